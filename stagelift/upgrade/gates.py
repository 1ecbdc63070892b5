"""What must hold before traffic moves: the step has baked, and the new tier's alarms are OK.

The alarms are named from the service, so the command finds them without reading any stack:
``<service>-<environment>-<tier>-<kind>`` for the kinds in :data:`GATE_ALARMS`. The composition
code (stagelift/service_app.py) creates them under these names on the new tier's target group
while a migration runs; ``shift`` reads them with CloudWatch ``DescribeAlarms``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

# Kind -> what it watches on the new tier's target group.
GATE_ALARMS: dict[str, str] = {
    "5xx": "5xx answers of the new tier's targets",
    "latency": "p99 target response time of the new tier",
    "unhealthy-targets": "targets failing the load balancer health check",
}


def gate_alarm_names(service_name: str, environment: str, tier: str) -> dict[str, str]:
    """Kind -> alarm name of the gate alarms of ``tier``."""
    return {kind: f"{service_name}-{environment}-{tier}-{kind}" for kind in GATE_ALARMS}


def alarm_problems(cloudwatch: Any, names: Iterable[str]) -> list[str]:
    """Why the alarms do not allow a shift (empty when every one exists and is OK).

    :param cloudwatch: a boto3 CloudWatch client.
    """
    wanted = list(names)
    states: dict[str, str] = {}
    for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmNames=wanted, AlarmTypes=["MetricAlarm", "CompositeAlarm"]):
        for alarm in [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]:
            states[alarm["AlarmName"]] = alarm["StateValue"]
    problems = []
    for name in wanted:
        state = states.get(name)
        if state is None:
            problems.append(f"alarm {name} does not exist (is the new tier deployed with its gate alarms?)")
        elif state == "ALARM":
            problems.append(f"alarm {name} is in ALARM")
        elif state != "OK":
            problems.append(f"alarm {name} is {state}, not OK")
    return problems


def bake_problem(started: datetime, bake_minutes: int, now: datetime, weight: int) -> str | None:
    """None once the step started at ``started`` has run ``bake_minutes``; else how long is left."""
    left = started + timedelta(minutes=bake_minutes) - now
    if left <= timedelta(0):
        return None
    minutes = math.ceil(left.total_seconds() / 60)
    return f"weight {weight} has baked {int((now - started).total_seconds() // 60)} of {bake_minutes} minutes: {minutes} min left (since {started.isoformat()})"
