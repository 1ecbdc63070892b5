"""Bad configuration is refused with one message naming key, value and what is allowed."""

from __future__ import annotations

import pytest

from stagelift.config import ConfigError, FargateServiceConfig, LambdaServiceConfig, validate


def test_unknown_key_is_refused_and_lists_the_allowed_keys() -> None:
    with pytest.raises(ConfigError, match=r"timeoutSecs = 30: unknown key; allowed keys are .*timeoutSeconds"):
        validate(LambdaServiceConfig, {"serviceName": "orders", "timeoutSecs": 30}, "lambda service")


def test_pattern_error_explains_the_rule_in_words() -> None:
    with pytest.raises(ConfigError, match=r"serviceName = 'Orders_API': expected Service name: lowercase letters"):
        validate(LambdaServiceConfig, {"serviceName": "Orders_API"}, "lambda service")


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        validate(LambdaServiceConfig, {"serviceName": "orders", "memoryMib": 64, "timeoutSeconds": 901}, "lambda service")
    assert [p.split(" = ")[0] for p in caught.value.problems] == ["memoryMib", "timeoutSeconds"]


def test_missing_required_key_is_named() -> None:
    with pytest.raises(ConfigError, match=r"serviceName: is required"):
        validate(FargateServiceConfig, {}, "fargate service")


def test_fargate_memory_for_cpu_lists_the_irregular_sizes_of_the_smallest_task() -> None:
    with pytest.raises(ConfigError, match=r"memoryMib = 4096 with cpu = 256: Fargate accepts 512, 1024, 2048 MiB"):
        validate(FargateServiceConfig, {"serviceName": "orders", "cpu": 256, "memoryMib": 4096}, "fargate service")


def test_values_from_the_cdk_cli_arrive_as_strings_and_are_converted() -> None:
    config = validate(LambdaServiceConfig, {"serviceName": "orders", "memoryMib": "512", "tracing": "false"}, "lambda service")
    assert (config.memory_mib, config.tracing) == (512, False)
