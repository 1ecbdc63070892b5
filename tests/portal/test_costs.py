"""The portal's README cost tables: each profile's synthesized stack priced by stagelift.pricing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from stagelift import costs
from stagelift.config import load_portal_config
from stagelift.costs import ProfileEstimate, markdown_table, profile_context, profile_estimates
from stagelift.pricing import changed, load_prices
from tests.portal.conftest import synth_portal

README = Path(__file__).resolve().parents[2] / "README.md"
PRICES = load_prices()
H = Decimal(730)


def price(key: str) -> Decimal:
    return PRICES.value(key, "us-east-1")


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def synthesize(context: Any) -> dict[str, Any]:
    """Synthesized once per context in the test process (shared with the other portal tests)."""
    return synth_portal(dict(context)).template.to_json()


def _estimate(environment: str, **overrides: object) -> ProfileEstimate:
    return costs.price_template(environment, synthesize(profile_context(environment, **overrides)))


def _changed(before: ProfileEstimate, after: ProfileEstimate) -> dict[str, Decimal]:
    """Line items whose cost differs, with the difference (after - before), as a review shows them."""
    return {d.item: d.delta for d in changed(before.estimate, after.estimate)}


@pytest.fixture(scope="module")
def profiles() -> dict[str, ProfileEstimate]:
    return {e.environment: e for e in profile_estimates(synthesizer=synthesize)}


def test_readme_cost_tables_are_the_generated_ones(profiles: dict[str, ProfileEstimate]) -> None:
    text = README.read_text()
    blocks = costs.generated_blocks(list(profiles.values()))
    assert costs.readme_block(text, "costs") == blocks["costs"], "README.md's cost table is stale: run `python -m stagelift.costs --update README.md`"
    assert costs.readme_block(text, "prices") == blocks["prices"], "README.md's price list is stale: run `python -m stagelift.costs --update README.md`"


def test_the_price_table_shows_how_and_when_each_price_was_obtained(profiles: dict[str, ProfileEstimate]) -> None:
    block = costs.generated_blocks(list(profiles.values()))["prices"]
    assert "| `fargate_vcpu_hour` | 0.04048 | per vCPU-hour, Linux/x86 | manual, 2026-11-23 | https://aws.amazon.com/fargate/pricing/ |" in block
    used = {key for est in profiles.values() for key in est.estimate.prices_used}
    assert all(f"| `{key}` |" in block for key in used)


def test_production_costs_more_than_staging_which_costs_more_than_development(profiles: dict[str, ProfileEstimate]) -> None:
    assert profiles["production"].total > profiles["staging"].total > profiles["development"].total > 0


def test_every_line_names_the_template_resources_it_prices(profiles: dict[str, ProfileEstimate]) -> None:
    for env, est in profiles.items():
        resources = synthesize(profile_context(env))["Resources"]
        assert est.total == sum(i.monthly_usd for i in est.items)
        for line in est.items:
            assert line.logical_ids and set(line.logical_ids) <= set(resources), (env, line)
            assert line.monthly_usd >= 0 and line.why


def test_fargate_task_size_change_costs_exactly_what_the_price_list_says() -> None:
    spot = _estimate("staging")
    on_demand = _estimate("staging", fargateSpot=False)
    assert _changed(spot, on_demand).keys() == {"ECS Fargate tasks"}
    # 2 tasks × 730 h × (1 vCPU × $0.04048 + 2 GB × $0.004445) = $72.0802
    expected = 2 * H * (1 * price("fargate_vcpu_hour") + 2 * price("fargate_gb_hour"))
    assert on_demand.cost("ECS Fargate tasks") == cents(expected) == Decimal("72.08")
    assert spot.cost("ECS Fargate tasks") == cents(2 * H * (price("fargate_spot_vcpu_hour") + 2 * price("fargate_spot_gb_hour"))) == Decimal("21.62")
    bigger = _estimate("staging", fargateSpot=False, taskCpu=2048, taskMemoryMib=4096)
    assert _changed(on_demand, bigger) == {"ECS Fargate tasks": Decimal("72.08")}  # twice the size: exactly the same again


def test_multi_az_doubles_database_instance_and_storage_only() -> None:
    single = _estimate("staging")
    multi = _estimate("staging", databaseMultiAz=True)
    assert _changed(single, multi) == {"RDS PostgreSQL instance": single.cost("RDS PostgreSQL instance"), "RDS gp3 storage": single.cost("RDS gp3 storage")}
    assert single.cost("RDS PostgreSQL instance") == cents(price("rds_postgresql_hour:db.t3.small") * H)


def test_vpc_endpoints_add_an_hourly_charge_per_endpoint_and_subnet_and_take_aws_traffic_off_the_nat() -> None:
    without = _estimate("staging")
    with_endpoints = _estimate("staging", vpcEndpoints=True)
    changed = _changed(without, with_endpoints)
    assert changed.keys() == {"VPC interface endpoints", "NAT"}
    assert changed["NAT"] < 0, "AWS traffic leaves the NAT gateway"
    # 4 interface endpoints × 2 subnets × 730 h × $0.01 + 2 GB × $0.01
    assert with_endpoints.cost("VPC interface endpoints") == cents(4 * 2 * H * price("interface_endpoint_az_hour") + 2 * price("interface_endpoint_gb"))
    assert without.item("VPC interface endpoints") is None


def test_nat_instance_replaces_the_nat_gateway_for_a_few_dollars() -> None:
    gateway = _estimate("staging")
    instance = _estimate("staging", natInstance=True)
    changed = _changed(gateway, instance)
    assert changed.keys() == {"NAT"}, "the instance's public address replaces the gateway's Elastic IP: same count"
    assert instance.cost("NAT") == cents(H * price("ec2_hour:t4g.nano") + 8 * price("ebs_gp3_gb_month")) < 5 < 32 < gateway.cost("NAT")
    assert "t4g.nano" in instance.item("NAT").detail  # type: ignore[union-attr]


def test_waf_adds_its_web_acl_rule_groups_requests_and_logs() -> None:
    without = _estimate("development")
    with_waf = _estimate("development", waf=True)
    assert _changed(without, with_waf).keys() == {"AWS WAF"}
    # $5 web ACL + (4 managed rule groups + rate rule + body-size rule) × $1 + 1 M requests × $0.60 + 1.5 GB of logs × $0.50 + 1.5 GB stored 30 days × $0.03
    assert with_waf.cost("AWS WAF") == Decimal("12.40")


def test_flow_logs_cost_their_ingestion_and_their_key() -> None:
    changed = _changed(_estimate("development", flowLogs=False), _estimate("development"))
    assert changed.keys() == {"VPC flow logs", "KMS keys"}
    assert changed["KMS keys"] == price("kms_key_month")


def test_existing_vpc_leaves_nat_to_its_owner() -> None:
    existing = _estimate(
        "development",
        vpcId="vpc-0123456789abcdef0",
        vpcCidr="10.20.0.0/16",
        availabilityZones=["us-east-1a", "us-east-1b"],
        publicSubnetIds=["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
        privateSubnetIds=["subnet-0123456789abcdef2", "subnet-0123456789abcdef3"],
        isolatedSubnetIds=["subnet-0123456789abcdef4", "subnet-0123456789abcdef5"],
    )
    assert existing.item("NAT") is None
    # Nor any public address: without a domain the load balancer is internal, behind CloudFront.
    assert existing.item("Public IPv4 addresses") is None


def test_unknown_database_class_is_a_clear_error() -> None:
    config = load_portal_config({"environment": "development", "databaseInstanceClass": "db.x2g.16xlarge"})
    with pytest.raises(ValueError, match=r"no price 'rds_postgresql_hour:db.x2g.16xlarge' for us-east-1 .*listed: .*db.t3.micro"):
        costs.estimate(config)


def test_markdown_table_lists_every_item_and_marks_absent_ones(profiles: dict[str, ProfileEstimate]) -> None:
    table = markdown_table([profiles["development"], profiles["production"]])
    lines = table.splitlines()
    assert lines[0] == "| Item | development | production |"
    assert any(line.startswith("| VPC interface endpoints | — | $") for line in lines)
    assert lines[-1].startswith("| **Total per month** | **$")


def test_cli_prints_the_tables_explains_a_profile_and_updates_a_readme(tmp_path: Path, capsys: pytest.CaptureFixture[str], profiles: dict[str, ProfileEstimate]) -> None:
    assert costs.main([], synthesizer=synthesize) == 0
    assert markdown_table(list(profiles.values())) in capsys.readouterr().out
    stale = tmp_path / "README.md"
    stale.write_text("# x\n<!-- costs:start -->\nold\n<!-- costs:end -->\n\n<!-- prices:start -->\nold\n<!-- prices:end -->\n")
    assert costs.main(["--update", str(stale)], synthesizer=synthesize) == 0
    assert costs.readme_block(stale.read_text(), "costs") == markdown_table(list(profiles.values()))
    assert costs.main(["--explain", "production"], synthesizer=synthesize) == 0
    assert "VPC interface endpoints" in capsys.readouterr().out
