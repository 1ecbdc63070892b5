"""Refuses a service's listener rule before CloudFormation creates it, when the shared load balancer cannot take it.

Services deploy independently onto one Application Load Balancer, so what one stack cannot see
at synthesis is checked here, at deploy time, against the load balancer as it is:

- the rule's priority is free, or held by this service's own rule (same host: an update);
- the load balancer keeps within its rules quota (100 rules, default rules excluded);
- it keeps within its target groups quota (100 target groups per load balancer).

The quotas are read with ``DescribeAccountLimits`` (AWS's defaults when the answer lacks them).
Run by CloudFormation as a Lambda-backed custom resource (``handler``, which answers on the
pre-signed ``ResponseURL`` itself: no provider framework); ``check`` is the pure part, tested
against moto. Only the AWS SDK the Lambda runtime ships (boto3) is imported.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

LOGGER = logging.getLogger()
LOGGER.setLevel(logging.INFO)

# AWS defaults ("Quotas for your Application Load Balancers"), used when DescribeAccountLimits lacks them.
DEFAULT_LIMITS = {"rules-per-application-load-balancer": 100, "target-groups-per-application-load-balancer": 100}


class RuleCheckError(Exception):
    """The load balancer cannot take the rule; the message is what the deployment shows."""


def _pages(client: Any, operation: str, key: str, **arguments: Any) -> list[dict[str, Any]]:
    return [item for page in client.get_paginator(operation).paginate(**arguments) for item in page[key]]


def _hosts(rule: Mapping[str, Any]) -> list[str]:
    hosts: list[str] = []
    for condition in rule.get("Conditions", []):
        if condition.get("Field") == "host-header":
            hosts.extend(condition.get("HostHeaderConfig", {}).get("Values") or condition.get("Values") or [])
    return hosts


def _limits(client: Any) -> dict[str, int]:
    limits = dict(DEFAULT_LIMITS)
    try:
        for limit in _pages(client, "describe_account_limits", "Limits"):
            if limit.get("Name") in limits:
                limits[limit["Name"]] = int(limit["Max"])
    except Exception:  # noqa: BLE001 - the defaults are the documented values; never block on this read
        LOGGER.warning("DescribeAccountLimits failed; using AWS's default quotas", exc_info=True)
    return limits


def check(client: Any, *, listener_arn: str, priority: int, host_name: str, target_group_arns: Sequence[str]) -> str:
    """Raise ``RuleCheckError`` when the rule for ``host_name`` at ``priority`` cannot be added; else say why it can."""
    listener = client.describe_listeners(ListenerArns=[listener_arn])["Listeners"][0]
    load_balancer_arn = listener["LoadBalancerArn"]
    host = host_name.lower()

    ours = False
    for rule in _pages(client, "describe_rules", "Rules", ListenerArn=listener_arn):
        if rule.get("IsDefault") or rule.get("Priority") == "default":
            continue
        hosts = [h.lower() for h in _hosts(rule)]
        if host in hosts:
            ours = True
        if int(rule["Priority"]) == priority and host not in hosts:
            taken_by = ", ".join(hosts) or "a rule without a host-header condition"
            raise RuleCheckError(
                f"Listener rule priority {priority} for {host_name} is already taken by the rule for {taken_by} "
                f"({rule['RuleArn']}): give this service another priority (ServiceRoute priority=...), between 1 and 50000"
            )

    limits = _limits(client)
    if not ours:
        rules = 0
        for other in _pages(client, "describe_listeners", "Listeners", LoadBalancerArn=load_balancer_arn):
            rules += sum(
                1 for rule in _pages(client, "describe_rules", "Rules", ListenerArn=other["ListenerArn"]) if not (rule.get("IsDefault") or rule.get("Priority") == "default")
            )
        quota = limits["rules-per-application-load-balancer"]
        if rules + 1 > quota:
            raise RuleCheckError(
                f"The load balancer {load_balancer_arn} already has {rules} listener rules, its quota of {quota} "
                f"(rules per Application Load Balancer, default rules excluded): {host_name} needs one more; "
                "move services to another service environment or request a quota increase"
            )

    attached = {group["TargetGroupArn"] for group in _pages(client, "describe_target_groups", "TargetGroups", LoadBalancerArn=load_balancer_arn)}
    new = [arn for arn in target_group_arns if arn not in attached]
    quota = limits["target-groups-per-application-load-balancer"]
    if len(attached) + len(new) > quota:
        raise RuleCheckError(
            f"The load balancer {load_balancer_arn} has {len(attached)} target groups and {host_name} adds {len(new)}: "
            f"more than its quota of {quota} target groups per Application Load Balancer (not adjustable); "
            "move services to another service environment"
        )
    holder = "this service's own rule" if ours else "free"
    return f"priority {priority} for {host_name}: {holder}; rules and target groups within the load balancer's quotas"


def _respond(event: Mapping[str, Any], status: str, reason: str, physical_id: str) -> None:
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason[:3500],
            "PhysicalResourceId": physical_id,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
        }
    ).encode()
    request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(body))})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - CloudFormation's pre-signed https URL
        response.read()


def handler(event: Mapping[str, Any], context: object, respond: Any = _respond) -> None:
    """CloudFormation custom resource: Create and Update check, Delete does nothing. Always answers CloudFormation."""
    properties = event.get("ResourceProperties", {})
    physical_id = event.get("PhysicalResourceId") or f"{properties.get('ListenerArn', 'listener')}/{properties.get('HostName', 'host')}/check"
    status, reason = "SUCCESS", "deleted"
    try:
        if event["RequestType"] != "Delete":
            import boto3  # in the Lambda runtime

            reason = check(
                boto3.client("elbv2"),
                listener_arn=properties["ListenerArn"],
                priority=int(properties["Priority"]),
                host_name=properties["HostName"],
                target_group_arns=list(properties.get("TargetGroupArns", [])),
            )
    except RuleCheckError as error:
        status, reason = "FAILED", str(error)
    except Exception as error:  # noqa: BLE001 - CloudFormation must get an answer, or it waits an hour
        LOGGER.exception("check failed")
        status, reason = "FAILED", f"listener rule check failed: {type(error).__name__}: {error}"
    LOGGER.info("%s: %s", status, reason)
    respond(event, status, reason, physical_id)
