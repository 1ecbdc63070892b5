"""A function behind both an HTTP API (payload 2.0) and an Application Load Balancer."""

from __future__ import annotations

import json
from http import HTTPStatus


def handle(event: dict, context: object = None) -> dict:
    context_ = event.get("requestContext", {})
    if "elb" in context_:
        method, path = event.get("httpMethod", "GET"), event.get("path", "/")
    else:
        method, path = context_.get("http", {}).get("method", "GET"), event.get("rawPath", "/")
    status = 200 if (method, path) in {("GET", "/"), ("GET", "/healthz")} else 404
    response = {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps({"path": path})}
    if "elb" in context_:
        # The load balancer's answer also carries the status line and the body's encoding.
        response.update(statusDescription=f"{status} {HTTPStatus(status).phrase}", isBase64Encoded=False)
    return response
