"""The cost model: computed from the configuration, in the README, moving the right way with each switch."""

from __future__ import annotations

from pathlib import Path

import pytest

from stagelift import costs
from stagelift.config import load_portal_config
from stagelift.costs import EXAMPLE_DNS, HOURS_PER_MONTH, PRICES, CostEstimate, estimate, markdown_table, profile_estimates

README = Path(__file__).resolve().parents[2] / "README.md"


def _estimate(environment: str, **overrides: object) -> CostEstimate:
    context: dict[str, object] = {"environment": environment, **overrides}
    if environment != "development":
        context = {**EXAMPLE_DNS, **context}
    return estimate(load_portal_config(context))


def _changed(before: CostEstimate, after: CostEstimate) -> dict[str, float]:
    """Line items whose cost differs, with the difference (after - before)."""
    names = {i.name for i in before.items} | {i.name for i in after.items}
    return {n: round(after.cost(n) - before.cost(n), 2) for n in sorted(names) if after.cost(n) != before.cost(n)}


@pytest.fixture(scope="module")
def profiles() -> dict[str, CostEstimate]:
    return {e.environment: e for e in profile_estimates()}


def test_readme_cost_table_is_the_generated_one(profiles: dict[str, CostEstimate]) -> None:
    text = README.read_text()
    assert costs.readme_block(text, "costs") == markdown_table(list(profiles.values())), (
        "README.md's cost table is stale: run `python -m stagelift.costs --update README.md`"
    )
    assert costs.readme_block(text, "prices") == costs.generated_blocks()["prices"], (
        "README.md's price list is stale: run `python -m stagelift.costs --update README.md`"
    )
    assert costs.PRICES_CHECKED in text


def test_production_costs_more_than_staging_which_costs_more_than_development(profiles: dict[str, CostEstimate]) -> None:
    assert profiles["production"].total > profiles["staging"].total > profiles["development"].total > 0


def test_total_is_the_sum_of_the_line_items(profiles: dict[str, CostEstimate]) -> None:
    for est in profiles.values():
        assert est.total == pytest.approx(sum(i.monthly_usd for i in est.items), abs=0.01)
        assert all(i.monthly_usd >= 0 and i.why for i in est.items)


def test_fargate_follows_task_size_count_and_spot() -> None:
    spot = _estimate("staging")
    on_demand = _estimate("staging", fargateSpot=False)
    assert _changed(spot, on_demand).keys() == {"ECS Fargate tasks"}
    expected = 2 * HOURS_PER_MONTH * (1 * PRICES["fargate_vcpu_hour"].usd + 2 * PRICES["fargate_gb_hour"].usd)
    assert on_demand.cost("ECS Fargate tasks") == pytest.approx(expected, abs=0.01)
    assert spot.cost("ECS Fargate tasks") == pytest.approx(expected * 0.3, abs=0.01)
    bigger = _estimate("staging", fargateSpot=False, taskCpu=2048, taskMemoryMib=4096)
    assert bigger.cost("ECS Fargate tasks") == pytest.approx(2 * expected, abs=0.01)


def test_multi_az_doubles_database_instance_and_storage_only() -> None:
    single = _estimate("staging")
    multi = _estimate("staging", databaseMultiAz=True)
    assert _changed(single, multi) == {
        "RDS PostgreSQL instance": single.cost("RDS PostgreSQL instance"),
        "RDS gp3 storage": single.cost("RDS gp3 storage"),
    }
    assert single.cost("RDS PostgreSQL instance") == pytest.approx(0.036 * HOURS_PER_MONTH, abs=0.01)


def test_vpc_endpoints_add_an_hourly_charge_per_endpoint_and_az_and_take_aws_traffic_off_the_nat() -> None:
    without = _estimate("staging")
    with_endpoints = _estimate("staging", vpcEndpoints=True)
    changed = _changed(without, with_endpoints)
    assert changed.keys() == {"VPC interface endpoints", "NAT"}
    assert changed["NAT"] < 0, "AWS traffic leaves the NAT gateway"
    hourly = 4 * 2 * HOURS_PER_MONTH * PRICES["interface_endpoint_az_hour"].usd  # 4 interface endpoints, 2 AZs
    assert with_endpoints.cost("VPC interface endpoints") == pytest.approx(hourly, abs=0.05)
    assert with_endpoints.total > without.total
    assert without.item("VPC interface endpoints") is None


def test_nat_instance_replaces_the_nat_gateway_for_a_few_dollars() -> None:
    gateway = _estimate("staging")
    instance = _estimate("staging", natInstance=True)
    assert _changed(gateway, instance).keys() == {"NAT"}
    assert instance.cost("NAT") < 5 < 32 < gateway.cost("NAT")
    assert "t4g.nano" in instance.item("NAT").detail  # type: ignore[union-attr]
    # Several NAT gateways are billed each; the NAT instance is always one.
    assert _estimate("staging", maxAzs=3, natGateways=3).cost("NAT") > 2.5 * gateway.cost("NAT") - 5


def test_waf_adds_its_web_acl_rule_groups_and_requests() -> None:
    without = _estimate("development")
    with_waf = _estimate("development", waf=True)
    changed = _changed(without, with_waf)
    assert changed.keys() == {"AWS WAF"}
    # $5 web ACL + 4 managed rule groups × $1 + 1 M requests × $0.60 + 1.5 GB of logs × $0.50
    assert changed["AWS WAF"] == pytest.approx(5 + 4 + 0.6 + 0.75, abs=0.01)
    assert _estimate("staging", waf=False).item("AWS WAF") is None


def test_flow_logs_cost_their_ingestion_and_their_key() -> None:
    changed = _changed(_estimate("development", flowLogs=False), _estimate("development"))
    assert changed.keys() == {"VPC flow logs", "KMS keys"}
    assert changed["KMS keys"] == PRICES["kms_key_month"].usd


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
    assert existing.cost("NAT") == 0
    assert existing.cost("Public IPv4 addresses") == pytest.approx(2 * HOURS_PER_MONTH * PRICES["public_ipv4_hour"].usd, abs=0.01)


def test_any_priced_database_class_can_be_picked() -> None:
    assert _estimate("development", databaseInstanceClass="db.t4g.micro").cost("RDS PostgreSQL instance") < _estimate("development").cost("RDS PostgreSQL instance")


def test_unknown_database_class_is_a_clear_error() -> None:
    config = load_portal_config({"environment": "development", "databaseInstanceClass": "db.x2g.16xlarge"})
    with pytest.raises(ValueError, match=r"databaseInstanceClass = 'db.x2g.16xlarge' has no price .*known classes: .*db.t3.micro"):
        estimate(config)


def test_markdown_table_lists_every_item_and_marks_absent_ones() -> None:
    table = markdown_table([_estimate("development"), _estimate("production")])
    lines = table.splitlines()
    assert lines[0] == "| Item | development | production |"
    assert any(line.startswith("| VPC interface endpoints | — | $") for line in lines)
    assert lines[-1].startswith("| **Total per month** | **$")


def test_cli_prints_the_tables_and_updates_a_readme(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert costs.main([]) == 0
    out = capsys.readouterr().out
    assert markdown_table(profile_estimates()) in out
    stale = tmp_path / "README.md"
    stale.write_text("# x\n<!-- costs:start -->\nold\n<!-- costs:end -->\n\n<!-- prices:start -->\nold\n<!-- prices:end -->\n")
    assert costs.main(["--update", str(stale)]) == 0
    assert costs.readme_block(stale.read_text(), "costs") == markdown_table(profile_estimates())
    assert costs.main(["--explain", "production"]) == 0
    assert "VPC interface endpoints" in capsys.readouterr().out


# --- the model counts what the stack really creates ---------------------------------------------


@pytest.mark.parametrize("environment", ["development", "production"])
def test_cost_model_counts_match_the_synthesized_portal(environment: str) -> None:
    """Alarms, secrets, keys, endpoints, rule groups, NAT and sizes priced here are the template's."""
    from tests.portal.conftest import synth_profile

    portal = synth_profile(environment)
    est = _estimate(environment)
    config = load_portal_config({**(EXAMPLE_DNS if environment != "development" else {}), "environment": environment})

    assert len(portal.of_type("AWS::CloudWatch::Alarm")) == len(costs.ALARMS)
    assert len(portal.of_type("AWS::SecretsManager::Secret")) == len(costs.SECRETS)
    assert len(portal.of_type("AWS::KMS::Key")) == round(est.cost("KMS keys") / PRICES["kms_key_month"].usd)
    endpoints = [r["Properties"] for r in portal.of_type("AWS::EC2::VPCEndpoint").values()]
    interface = [e for e in endpoints if e.get("VpcEndpointType") == "Interface"]
    assert len(interface) == (len(costs.INTERFACE_ENDPOINTS) if config.vpc_endpoints else 0)
    assert all(len(e["SubnetIds"]) == config.max_azs for e in interface)
    acls = list(portal.of_type("AWS::WAFv2::WebACL").values())
    assert len(acls) == (1 if config.waf else 0)
    if acls:
        assert len(acls[0]["Properties"]["Rules"]) == len(costs.WAF_MANAGED_RULE_GROUPS)
    nat_gateways = portal.of_type("AWS::EC2::NatGateway")
    nat_instances = [r for r in portal.of_type("AWS::EC2::Instance").values() if r["Properties"]["InstanceType"] == "t4g.nano"]
    if config.nat_instance:
        assert (len(nat_gateways), len(nat_instances)) == (0, 1)
    else:
        assert (len(nat_gateways), len(nat_instances)) == (config.nat_gateways, 0)
    assert len(portal.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer")) == 1
    database = portal.one("AWS::RDS::DBInstance")["Properties"]
    assert database["DBInstanceClass"] == config.database_instance_class
    assert bool(database.get("MultiAZ", False)) == config.database_multi_az
    assert int(database["AllocatedStorage"]) == config.database_allocated_storage_gib
    assert database["StorageType"] == "gp3"
    task = portal.one("AWS::ECS::TaskDefinition")["Properties"]
    assert (int(task["Cpu"]), int(task["Memory"])) == (config.task_cpu, config.task_memory_mib)
    assert task["RuntimePlatform"]["CpuArchitecture"] == "X86_64", "Fargate prices here are Linux/x86"
    strategy = portal.one("AWS::ECS::Service")["Properties"]["CapacityProviderStrategy"]
    assert [s["CapacityProvider"] for s in strategy] == ["FARGATE_SPOT" if config.fargate_spot else "FARGATE"]
    pool = portal.one("AWS::Cognito::UserPool")["Properties"]
    assert pool["UserPoolTier"] == "PLUS", "Cognito is priced at the Plus plan"
    cluster = portal.one("AWS::ECS::Cluster")["Properties"]
    assert {"Name": "containerInsights", "Value": "enhanced"} in cluster["ClusterSettings"]
