"""Example handler: answers HTTP API requests, SQS batches and scheduled events."""

from __future__ import annotations

import json
import os


def handler(event: dict, context: object) -> dict:
    if "Records" in event:  # SQS batch: report no failures, so every message is deleted
        return {"batchItemFailures": []}
    if event.get("source") == "aws.events":  # EventBridge schedule
        return {"ok": True}
    body = {"service": os.environ.get("SERVICE_NAME", "unknown"), "path": event.get("rawPath", "/")}
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}
