"""Lambda entry point of {{ cookiecutter.service_name }}.

One function serves four kinds of events: HTTP API requests (payload format 2.0), requests from
an Application Load Balancer (a service environment's shared front door, while the service moves
up a tier), SQS batches (failed messages are reported back so only they are retried) and
EventBridge schedules. Both HTTP shapes reach the same routes.
"""

from __future__ import annotations

import json
import logging
import os
from http import HTTPStatus
from typing import Any

logger = logging.getLogger()
logger.setLevel(logging.INFO)

SERVICE_NAME = os.environ.get("SERVICE_NAME", "{{ cookiecutter.service_name }}")


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def route(method: str, path: str) -> dict[str, Any]:
    """GET /healthz and GET / answer; anything else is 404. The same for every HTTP event shape."""
    if method == "GET" and path == "/healthz":
        return _response(200, {"status": "ok"})
    if method == "GET" and path == "/":
        return _response(200, {"service": SERVICE_NAME, "message": "hello"})
    return _response(404, {"error": f"no route for {method} {path}"})


def handle_http(event: dict[str, Any]) -> dict[str, Any]:
    """An HTTP API request (payload format 2.0): method in requestContext.http, path in rawPath."""
    http = event.get("requestContext", {}).get("http", {})
    return route(http.get("method", "GET"), event.get("rawPath", "/"))


def handle_alb(event: dict[str, Any]) -> dict[str, Any]:
    """An Application Load Balancer request: httpMethod and path at the top level.

    The load balancer needs statusDescription and isBase64Encoded in the answer besides the
    status, headers and body (multi-value headers are off on the target group).
    """
    response = route(event.get("httpMethod", "GET"), event.get("path", "/"))
    status = response["statusCode"]
    return {**response, "statusDescription": f"{status} {HTTPStatus(status).phrase}", "isBase64Encoded": False}


def process_message(body: dict[str, Any]) -> None:
    """Business logic for one queue message: replace with the service's own."""
    if "id" not in body:
        raise ValueError("message has no id")
    logger.info("processed message %s", body["id"])


def handle_sqs(event: dict[str, Any]) -> dict[str, Any]:
    """Process each record; report failures so SQS retries only those (ReportBatchItemFailures)."""
    failures = []
    for record in event["Records"]:
        try:
            process_message(json.loads(record["body"]))
        except (ValueError, KeyError) as error:
            logger.warning("message %s failed: %s", record.get("messageId"), error)
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def handle_schedule(event: dict[str, Any]) -> dict[str, Any]:
    logger.info("scheduled run at %s", event.get("time"))
    return {"status": "done"}


def handle(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    """Dispatch on the event's shape."""
    if "http" in event.get("requestContext", {}):
        return handle_http(event)
    if "elb" in event.get("requestContext", {}):
        return handle_alb(event)
    if event.get("Records") and event["Records"][0].get("eventSource") == "aws:sqs":
        return handle_sqs(event)
    if event.get("source") == "aws.events" or event.get("detail-type") == "Scheduled Event":
        return handle_schedule(event)
    raise ValueError(f"unsupported event with keys {sorted(event)}")
