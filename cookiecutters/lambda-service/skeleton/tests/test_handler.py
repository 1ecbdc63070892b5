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


def alb_event(path: str, method: str = "GET") -> dict:
    """What an Application Load Balancer sends (multi-value headers off)."""
    return {
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/service/6d0ecf831eec9f09"}},
        "httpMethod": method,
        "path": path,
        "queryStringParameters": {},
        "headers": {"host": "{{ cookiecutter.service_name }}.services.example.com", "user-agent": "ELB-HealthChecker/2.0"},
        "body": "",
        "isBase64Encoded": False,
    }


def test_the_load_balancer_health_check_answers_in_its_own_shape():
    response = handle(alb_event("/healthz"))
    assert response["statusCode"] == 200
    assert response["statusDescription"] == "200 OK"
    assert response["isBase64Encoded"] is False
    assert response["headers"] == {"content-type": "application/json"}
    assert json.loads(response["body"]) == {"status": "ok"}


def test_load_balancer_requests_reach_the_same_routes_as_the_http_api():
    for path, method in (("/", "GET"), ("/nope", "POST")):
        through_alb, through_api = handle(alb_event(path, method)), handle(http_event(path, method))
        assert (through_alb["statusCode"], through_alb["body"]) == (through_api["statusCode"], through_api["body"])
    assert handle(alb_event("/nope", "POST"))["statusDescription"] == "404 Not Found"


def test_http_api_answers_keep_their_own_shape():
    assert "statusDescription" not in handle(http_event("/healthz"))


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
