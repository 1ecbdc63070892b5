import json

import pytest

from service.handler import handle


def http_event(path: str, method: str = "GET") -> dict:
    return {"rawPath": path, "requestContext": {"http": {"method": method, "path": path}}}


def test_health_check_answers_ok():
    response = handle(http_event("/healthz"))
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"status": "ok"}


def test_root_names_the_service():
    assert json.loads(handle(http_event("/"))["body"])["service"] == "{{ cookiecutter.service_name }}"


def test_unknown_route_is_404():
    assert handle(http_event("/nope", "POST"))["statusCode"] == 404


def test_sqs_batch_reports_only_failed_messages():
    event = {
        "Records": [
            {"eventSource": "aws:sqs", "messageId": "good", "body": json.dumps({"id": 1})},
            {"eventSource": "aws:sqs", "messageId": "bad", "body": json.dumps({"no": "id"})},
        ]
    }
    assert handle(event) == {"batchItemFailures": [{"itemIdentifier": "bad"}]}


def test_scheduled_event_runs():
    assert handle({"source": "aws.events", "detail-type": "Scheduled Event", "time": "2026-01-01T00:00:00Z"}) == {"status": "done"}


def test_unknown_event_is_refused():
    with pytest.raises(ValueError, match="unsupported event"):
        handle({"something": "else"})
