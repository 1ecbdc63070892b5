"""Monthly cost estimate of a portal deployment, computed from its PortalConfig.

Every line follows from a configuration value (task size and count, Spot, database class and
Multi-AZ, NAT gateways or NAT instance, endpoints, WAF, flow logs, rotation ...) times a list
price below; nothing is written per profile. Usage that no configuration value fixes (traffic,
requests, log volume, users) is a named assumption, the same for every profile, so the table
compares what the profiles *deploy*, not how busy they are.

    python -m stagelift.costs                  # the README tables for the three profiles
    python -m stagelift.costs --update README.md

Prices: us-east-1, on-demand, list prices in USD, checked on ``PRICES_CHECKED`` on the AWS
pricing pages in ``PRICE_SOURCES``. Free tiers that end (12-month) or are shared by a whole
account are not subtracted. Taxes, support plans and savings plans are out of scope.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
import sys

from .config.portal import ENVIRONMENTS, PortalConfig, load_portal_config
from .generated_blocks import read_block, update_blocks

REGION = "us-east-1"
PRICES_CHECKED = "2026-11-23"
HOURS_PER_MONTH = 730  # AWS's own monthly convention (8,760 h / 12)


@dataclass(frozen=True)
class Price:
    usd: float
    unit: str
    source: str


PRICE_SOURCES: dict[str, str] = {
    "fargate": "https://aws.amazon.com/fargate/pricing/",
    "rds": "https://aws.amazon.com/rds/postgresql/pricing/",
    "vpc": "https://aws.amazon.com/vpc/pricing/",
    "ec2": "https://aws.amazon.com/ec2/pricing/on-demand/",
    "ebs": "https://aws.amazon.com/ebs/pricing/",
    "elb": "https://aws.amazon.com/elasticloadbalancing/pricing/",
    "privatelink": "https://aws.amazon.com/privatelink/pricing/",
    "waf": "https://aws.amazon.com/waf/pricing/",
    "cloudwatch": "https://aws.amazon.com/cloudwatch/pricing/",
    "secretsmanager": "https://aws.amazon.com/secrets-manager/pricing/",
    "kms": "https://aws.amazon.com/kms/pricing/",
    "cognito": "https://aws.amazon.com/cognito/pricing/",
    "ecr": "https://aws.amazon.com/ecr/pricing/",
}

# Every unit price the estimate uses, in one place.
PRICES: dict[str, Price] = {
    "fargate_vcpu_hour": Price(0.04048, "per vCPU-hour, Linux/x86", "fargate"),
    "fargate_gb_hour": Price(0.004445, "per GB-hour, Linux/x86", "fargate"),
    # Fargate Spot prices move with spare capacity; the page quotes "up to 70% off". 70% is assumed.
    "fargate_spot_vcpu_hour": Price(0.012144, "per vCPU-hour, Linux/x86 Spot (70% below on-demand, assumed)", "fargate"),
    "fargate_spot_gb_hour": Price(0.0013335, "per GB-hour, Linux/x86 Spot (70% below on-demand, assumed)", "fargate"),
    "rds_gp3_gb_month": Price(0.115, "per GB-month, gp3, Single-AZ (Multi-AZ: twice)", "rds"),
    "nat_gateway_hour": Price(0.045, "per NAT gateway-hour", "vpc"),
    "nat_gateway_gb": Price(0.045, "per GB processed by a NAT gateway", "vpc"),
    "t4g_nano_hour": Price(0.0042, "per t4g.nano instance-hour (NAT instance)", "ec2"),
    "ebs_gp3_gb_month": Price(0.08, "per GB-month, EBS gp3 (NAT instance root volume)", "ebs"),
    "public_ipv4_hour": Price(0.005, "per public IPv4 address-hour (load balancer nodes, NAT)", "vpc"),
    "alb_hour": Price(0.0225, "per Application Load Balancer-hour", "elb"),
    "alb_lcu_hour": Price(0.008, "per LCU-hour", "elb"),
    "interface_endpoint_az_hour": Price(0.01, "per interface VPC endpoint per AZ-hour", "privatelink"),
    "interface_endpoint_gb": Price(0.01, "per GB processed by interface endpoints", "privatelink"),
    "waf_web_acl_month": Price(5.00, "per web ACL-month", "waf"),
    "waf_rule_month": Price(1.00, "per rule or managed rule group-month", "waf"),
    "waf_million_requests": Price(0.60, "per million requests inspected", "waf"),
    "logs_ingest_gb": Price(0.50, "per GB ingested, CloudWatch Logs (standard and vended: flow logs, WAF)", "cloudwatch"),
    "logs_store_gb_month": Price(0.03, "per GB-month stored, CloudWatch Logs", "cloudwatch"),
    "alarm_month": Price(0.10, "per standard-resolution alarm-month", "cloudwatch"),
    "container_insights_million_observations": Price(0.21, "per million observations, Container Insights enhanced (ECS)", "cloudwatch"),
    "secret_month": Price(0.40, "per secret-month", "secretsmanager"),
    "kms_key_month": Price(1.00, "per customer managed key-month", "kms"),
    "cognito_plus_mau": Price(0.02, "per monthly active user, Plus feature plan (no free tier)", "cognito"),
    "ecr_gb_month": Price(0.10, "per GB-month of image storage", "ecr"),
}

# RDS for PostgreSQL, Single-AZ on-demand, USD per instance-hour (Multi-AZ with one standby: twice).
RDS_INSTANCE_HOUR: dict[str, float] = {
    "db.t3.micro": 0.018,
    "db.t3.small": 0.036,
    "db.t3.medium": 0.072,
    "db.t3.large": 0.145,
    "db.t4g.micro": 0.016,
    "db.t4g.small": 0.032,
    "db.t4g.medium": 0.065,
    "db.t4g.large": 0.129,
    "db.m5.large": 0.178,
    "db.m6g.large": 0.159,
    "db.m6i.large": 0.178,
    "db.r5.large": 0.25,
    "db.r6g.large": 0.225,
    "db.r6g.xlarge": 0.45,
    "db.r6i.large": 0.25,
}

# --- what the portal creates (kept in step with stagelift/constructs/portal) ------------------
INTERFACE_ENDPOINTS = ("ECR API", "ECR Docker registry", "Secrets Manager", "CloudWatch Logs")  # S3: gateway, free
WAF_MANAGED_RULE_GROUPS = ("Common rule set", "Known bad inputs", "Amazon IP reputation", "SQL injection")
WAF_OWN_RULES = ("rate limit per address", "body size outside the Backstage API")
SECRETS = ("database master", "database application user", "Cognito client", "session cookie key")
ALARMS = ("service CPU", "database CPU", "database storage", "load balancer 5xx", "target 5xx", "unhealthy targets")
KMS_KEYS_ALWAYS = ("alarm topic",)  # + one for flow logs when they are on, + the portal's key (customerManagedKey)
NAT_INSTANCE_ROOT_GB = 8

# --- usage assumptions: the same for every profile -----------------------------------------------
ASSUMED_MONTHLY_ACTIVE_USERS = 100
ASSUMED_REQUESTS_MILLIONS = 1.0  # requests a month reaching the load balancer (and WAF)
ASSUMED_ALB_LCU = 0.5  # average LCUs billed per hour (a portal rarely reaches one)
ASSUMED_INTERNET_EGRESS_GB = 10.0  # tasks -> internet through NAT: GitHub, catalog locations, OIDC
ASSUMED_IMAGE_GB = 0.6  # compressed portal image pulled at every task start
ASSUMED_TASK_STARTS_PER_TASK = 15  # deployments, scaling, Spot replacements, per running task a month
ASSUMED_AWS_API_GB = 2.0  # tasks -> ECR API, Secrets Manager, CloudWatch Logs (endpoints or NAT)
ASSUMED_LOG_GB_PER_TASK = 2.0  # container logs a month per running task
ASSUMED_DATABASE_LOG_GB = 1.0  # PostgreSQL log exports and Enhanced Monitoring a month
ASSUMED_FLOW_LOG_GB = 3.0  # VPC flow log records (all traffic) a month
ASSUMED_WAF_LOG_KB_PER_REQUEST = 1.5  # one WAF log record per request
ASSUMED_INSIGHTS_CLUSTER_MILLIONS = 1.0  # Container Insights observations a month for the cluster and service
ASSUMED_INSIGHTS_TASK_MILLIONS = 2.5  # ... and per running task (task and container metrics every minute)
ASSUMED_ECR_GB = 5.0  # images kept in the repository

NOT_COUNTED = (
    "Route 53 hosted zone (yours already) and alias queries to the load balancer (free)",
    "ACM public certificate (free)",
    "Data transfer to the internet (the first 100 GB a month of an account are free)",
    "Cross-AZ traffic, and the NAT instance's data transfer",
    "RDS backups up to the database's size, Performance Insights with 7 days' retention (free)",
    "The rotation Lambda, S3 (TechDocs, access logs) at portal volumes: cents",
    "The S3 gateway endpoint (free) and Fargate ephemeral storage up to 20 GB (included)",
    "T3 database CPU credits above the baseline (unlimited mode)",
)


@dataclass(frozen=True)
class LineItem:
    name: str
    monthly_usd: float
    detail: str  # what is counted, short (goes in the table cell)
    why: str  # the arithmetic and the reason


@dataclass(frozen=True)
class CostEstimate:
    environment: str
    items: tuple[LineItem, ...]

    @property
    def total(self) -> float:
        return round(sum(i.monthly_usd for i in self.items), 2)

    def item(self, name: str) -> LineItem | None:
        return next((i for i in self.items if i.name == name), None)

    def cost(self, name: str) -> float:
        item = self.item(name)
        return item.monthly_usd if item else 0.0


def price(key: str) -> float:
    return PRICES[key].usd


def rds_instance_hour(instance_class: str) -> float:
    """Single-AZ hourly price of an RDS for PostgreSQL instance class."""
    try:
        return RDS_INSTANCE_HOUR[instance_class]
    except KeyError:
        known = ", ".join(sorted(RDS_INSTANCE_HOUR))
        raise ValueError(
            f"databaseInstanceClass = {instance_class!r} has no price in stagelift.costs.RDS_INSTANCE_HOUR; "
            f"known classes: {known}. Add its us-east-1 PostgreSQL on-demand price from {PRICE_SOURCES['rds']}"
        ) from None


def _usd(value: float) -> float:
    return round(value, 2)


def _gib(mib: int) -> float:
    return mib / 1024


def _vcpu(units: int) -> float:
    return units / 1024


def _fmt(value: float) -> str:
    return f"{value:g}"


def _s(count: float) -> str:
    return "" if count == 1 else "s"


def estimate(config: PortalConfig) -> CostEstimate:
    """The monthly cost of the portal ``config`` describes, line by line."""
    items: list[LineItem] = []
    add = items.append
    h = HOURS_PER_MONTH
    zones = len(config.availability_zones) if config.vpc_id is not None and config.availability_zones else config.max_azs
    tasks = config.desired_count

    # --- compute ------------------------------------------------------------------------------
    vcpu, gb = _vcpu(config.task_cpu), _gib(config.task_memory_mib)
    kind = "spot" if config.fargate_spot else "on-demand"
    per_vcpu = price("fargate_spot_vcpu_hour" if config.fargate_spot else "fargate_vcpu_hour")
    per_gb = price("fargate_spot_gb_hour" if config.fargate_spot else "fargate_gb_hour")
    add(
        LineItem(
            "ECS Fargate tasks",
            _usd(tasks * h * (vcpu * per_vcpu + gb * per_gb)),
            f"{tasks} × {_fmt(vcpu)} vCPU / {_fmt(gb)} GB, {'Spot' if config.fargate_spot else 'on-demand'}",
            f"{tasks} task{_s(tasks)} × {h} h × ({_fmt(vcpu)} vCPU × ${per_vcpu} + {_fmt(gb)} GB × ${per_gb}) ({kind}); "
            f"autoscaling up to {config.max_capacity} adds the same per extra task",
        )
    )

    # --- database -----------------------------------------------------------------------------
    copies = 2 if config.database_multi_az else 1
    hourly = rds_instance_hour(config.database_instance_class)
    add(
        LineItem(
            "RDS PostgreSQL instance",
            _usd(copies * hourly * h),
            f"{config.database_instance_class}{', Multi-AZ' if config.database_multi_az else ''}",
            f"{h} h × ${hourly}" + (" × 2 (Multi-AZ: a standby in a second AZ is billed like the primary)" if copies == 2 else " (Single-AZ)"),
        )
    )
    storage = config.database_allocated_storage_gib
    add(
        LineItem(
            "RDS gp3 storage",
            _usd(copies * storage * price("rds_gp3_gb_month")),
            f"{storage} GB" + (" × 2" if copies == 2 else ""),
            f"{storage} GB allocated × ${price('rds_gp3_gb_month')}" + (" × 2 (Multi-AZ)" if copies == 2 else "")
            + f"; autoscaling may grow it to {config.database_max_allocated_storage_gib} GB",
        )
    )

    # --- network --------------------------------------------------------------------------------
    image_pull_gb = tasks * ASSUMED_TASK_STARTS_PER_TASK * ASSUMED_IMAGE_GB
    if config.vpc_endpoints:
        nat_gb = ASSUMED_INTERNET_EGRESS_GB  # image layers via the free S3 gateway, API calls via interface endpoints
    else:
        nat_gb = ASSUMED_INTERNET_EGRESS_GB + image_pull_gb + ASSUMED_AWS_API_GB
    public_ips = zones  # an internet-facing ALB has a public address in every AZ it serves
    if config.vpc_id is not None:
        add(LineItem("NAT", 0.0, "your VPC's", "Existing VPC: its NAT (and its cost) is yours, not the stack's"))
    elif config.nat_instance:
        public_ips += 1
        add(
            LineItem(
                "NAT",
                _usd(h * price("t4g_nano_hour") + NAT_INSTANCE_ROOT_GB * price("ebs_gp3_gb_month")),
                "1 t4g.nano NAT instance",
                f"{h} h × ${price('t4g_nano_hour')} + {NAT_INSTANCE_ROOT_GB} GB gp3 root volume; no per-GB processing charge "
                f"(a NAT gateway would cost ${_usd(h * price('nat_gateway_hour'))} plus ${price('nat_gateway_gb')}/GB), "
                "not highly available: one instance in one AZ",
            )
        )
    else:
        gateways = config.nat_gateways
        public_ips += gateways
        add(
            LineItem(
                "NAT",
                _usd(gateways * h * price("nat_gateway_hour") + nat_gb * price("nat_gateway_gb")),
                f"{gateways} NAT gateway{_s(gateways)}, {_fmt(round(nat_gb, 1))} GB",
                f"{gateways} × {h} h × ${price('nat_gateway_hour')} + {_fmt(round(nat_gb, 1))} GB × ${price('nat_gateway_gb')} "
                + ("(internet traffic only: AWS traffic uses the endpoints)" if config.vpc_endpoints else "(internet traffic, image pulls, AWS API calls)"),
            )
        )
    add(
        LineItem(
            "Public IPv4 addresses",
            _usd(public_ips * h * price("public_ipv4_hour")),
            f"{public_ips} addresses",
            f"{public_ips} × {h} h × ${price('public_ipv4_hour')}: the load balancer's address in each of {zones} AZs"
            + ("" if public_ips == zones else f", and {public_ips - zones} for NAT"),
        )
    )
    if config.vpc_endpoints:
        count = len(INTERFACE_ENDPOINTS)
        endpoint_gb = ASSUMED_AWS_API_GB
        add(
            LineItem(
                "VPC interface endpoints",
                _usd(count * zones * h * price("interface_endpoint_az_hour") + endpoint_gb * price("interface_endpoint_gb")),
                f"{count} endpoints × {zones} AZs",
                f"{count} ({', '.join(INTERFACE_ENDPOINTS)}) × {zones} AZs × {h} h × ${price('interface_endpoint_az_hour')} "
                f"+ {_fmt(endpoint_gb)} GB × ${price('interface_endpoint_gb')}; the S3 gateway endpoint is free",
            )
        )
    add(
        LineItem(
            "Application Load Balancer",
            _usd(h * price("alb_hour") + ASSUMED_ALB_LCU * h * price("alb_lcu_hour")),
            f"1 ALB, {_fmt(ASSUMED_ALB_LCU)} LCU",
            f"{h} h × ${price('alb_hour')} + {_fmt(ASSUMED_ALB_LCU)} LCU × {h} h × ${price('alb_lcu_hour')}",
        )
    )
    if config.waf:
        groups, own = len(WAF_MANAGED_RULE_GROUPS), len(WAF_OWN_RULES)
        rules = groups + own
        requests = ASSUMED_REQUESTS_MILLIONS
        waf_log_gb = requests * 1_000_000 * ASSUMED_WAF_LOG_KB_PER_REQUEST / 1_000_000
        add(
            LineItem(
                "AWS WAF",
                _usd(price("waf_web_acl_month") + rules * price("waf_rule_month") + requests * price("waf_million_requests") + waf_log_gb * price("logs_ingest_gb")),
                f"1 web ACL, {groups} managed rule groups, {own} rules",
                f"${price('waf_web_acl_month')} + ({groups} rule groups + {own} rules: {', '.join(WAF_OWN_RULES)}) × ${price('waf_rule_month')} + {_fmt(requests)} M requests × "
                f"${price('waf_million_requests')} + {_fmt(waf_log_gb)} GB of WAF logs × ${price('logs_ingest_gb')}",
            )
        )
    if config.flow_logs:
        retention_months = config.log_retention_days / 30
        add(
            LineItem(
                "VPC flow logs",
                _usd(ASSUMED_FLOW_LOG_GB * (price("logs_ingest_gb") + retention_months * price("logs_store_gb_month"))),
                f"{_fmt(ASSUMED_FLOW_LOG_GB)} GB",
                f"{_fmt(ASSUMED_FLOW_LOG_GB)} GB × ${price('logs_ingest_gb')} ingested, about "
                f"{_fmt(round(ASSUMED_FLOW_LOG_GB * retention_months, 1))} GB stored at {config.log_retention_days} days' retention × "
                f"${price('logs_store_gb_month')}; KMS key counted under KMS keys",
            )
        )

    # --- identity, secrets, keys, observability -------------------------------------------------
    add(
        LineItem(
            "Cognito",
            _usd(ASSUMED_MONTHLY_ACTIVE_USERS * price("cognito_plus_mau")),
            f"{ASSUMED_MONTHLY_ACTIVE_USERS} users, Plus",
            f"{ASSUMED_MONTHLY_ACTIVE_USERS} monthly active users × ${price('cognito_plus_mau')}: the Plus plan (threat protection) "
            "has no free tier; Essentials would be free up to 10,000 users",
        )
    )
    add(
        LineItem(
            "Secrets Manager",
            _usd(len(SECRETS) * price("secret_month")),
            f"{len(SECRETS)} secrets",
            f"{len(SECRETS)} ({', '.join(SECRETS)}) × ${price('secret_month')}"
            + ("; rotation (alternating users) reuses the master secret" if config.rotate_database_credentials else ""),
        )
    )
    key_uses = [*KMS_KEYS_ALWAYS, *(["flow logs"] if config.flow_logs else []), *(["portal secrets and log groups"] if config.customer_managed_key else [])]
    keys = len(key_uses)
    add(
        LineItem(
            "KMS keys",
            _usd(keys * price("kms_key_month")),
            f"{keys} keys",
            f"{keys} customer managed keys ({', '.join(key_uses)}) × ${price('kms_key_month')}; requests: cents ($0.03 per 10,000 above the free 20,000 a month)",
        )
    )
    log_gb = tasks * ASSUMED_LOG_GB_PER_TASK + ASSUMED_DATABASE_LOG_GB
    stored_gb = log_gb * config.log_retention_days / 30
    add(
        LineItem(
            "CloudWatch Logs",
            _usd(log_gb * price("logs_ingest_gb") + stored_gb * price("logs_store_gb_month")),
            f"{_fmt(log_gb)} GB",
            f"{_fmt(log_gb)} GB ingested × ${price('logs_ingest_gb')} (tasks and database), "
            f"about {_fmt(round(stored_gb, 1))} GB stored at {config.log_retention_days} days' retention × ${price('logs_store_gb_month')}",
        )
    )
    observations = ASSUMED_INSIGHTS_CLUSTER_MILLIONS + ASSUMED_INSIGHTS_TASK_MILLIONS * tasks
    add(
        LineItem(
            "Container Insights",
            _usd(observations * price("container_insights_million_observations")),
            f"{_fmt(observations)} M observations",
            f"enhanced observability: {_fmt(ASSUMED_INSIGHTS_CLUSTER_MILLIONS)} M observations a month for the cluster "
            f"+ {_fmt(ASSUMED_INSIGHTS_TASK_MILLIONS)} M per task × ${price('container_insights_million_observations')} per million",
        )
    )
    add(
        LineItem(
            "CloudWatch alarms",
            _usd(len(ALARMS) * price("alarm_month")),
            f"{len(ALARMS)} alarms",
            f"{len(ALARMS)} ({', '.join(ALARMS)}) × ${price('alarm_month')}",
        )
    )
    add(
        LineItem(
            "ECR storage",
            _usd(ASSUMED_ECR_GB * price("ecr_gb_month")),
            f"{_fmt(ASSUMED_ECR_GB)} GB",
            f"{_fmt(ASSUMED_ECR_GB)} GB of images × ${price('ecr_gb_month')}",
        )
    )
    return CostEstimate(config.environment, tuple(items))


# --- tables -------------------------------------------------------------------------------------------


def markdown_table(estimates: Sequence[CostEstimate]) -> str:
    """One row per line item, one column per estimate: ``$cost (what)``; a total row at the end."""
    names: list[str] = []
    for est in estimates:
        names.extend(i.name for i in est.items if i.name not in names)
    header = "| Item | " + " | ".join(e.environment for e in estimates) + " |"
    rule = "|---|" + "---:|" * len(estimates)
    rows = [header, rule]
    for name in names:
        cells = []
        for est in estimates:
            item = est.item(name)
            cells.append("—" if item is None else f"${item.monthly_usd:,.2f} ({item.detail})")
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    rows.append("| **Total per month** | " + " | ".join(f"**${e.total:,.2f}**" for e in estimates) + " |")
    return "\n".join(rows)


def price_table() -> str:
    """The unit prices used, with their date and source."""
    rows = [f"| Price ({REGION}, checked {PRICES_CHECKED}) | USD | Unit | Source |", "|---|---:|---|---|"]
    for key, p in PRICES.items():
        rows.append(f"| `{key}` | {p.usd:g} | {p.unit} | {PRICE_SOURCES[p.source]} |")
    classes = ", ".join(f"{name} {hourly:g}" for name, hourly in RDS_INSTANCE_HOUR.items())
    rows.append(f"| `rds_instance_hour` | — | per instance-hour, PostgreSQL Single-AZ: {classes} | {PRICE_SOURCES['rds']} |")
    return "\n".join(rows)


def assumptions_list() -> str:
    lines = [
        f"- {ASSUMED_MONTHLY_ACTIVE_USERS} monthly active users; {ASSUMED_REQUESTS_MILLIONS:g} M requests a month; {ASSUMED_ALB_LCU:g} LCU on average",
        f"- {ASSUMED_INTERNET_EGRESS_GB:g} GB a month from the tasks to the internet; a {ASSUMED_IMAGE_GB:g} GB image pulled "
        f"{ASSUMED_TASK_STARTS_PER_TASK} times a month per task; {ASSUMED_AWS_API_GB:g} GB of AWS API traffic",
        f"- Logs a month: {ASSUMED_LOG_GB_PER_TASK:g} GB per task, {ASSUMED_DATABASE_LOG_GB:g} GB from the database, "
        f"{ASSUMED_FLOW_LOG_GB:g} GB of flow logs, {ASSUMED_WAF_LOG_KB_PER_REQUEST:g} KB of WAF log per request",
        f"- {ASSUMED_ECR_GB:g} GB of images in ECR; tasks running all month at `desiredCount` (no autoscaling peaks)",
        "- Not counted: " + "; ".join(NOT_COUNTED) + ".",
    ]
    return "\n".join(lines)


EXAMPLE_DNS: dict[str, object] = {"domainName": "backstage.example.com", "hostedZoneId": "Z0123456789EXAMPLE", "hostedZoneName": "example.com"}


def profile_estimates(environments: Iterable[str] = ENVIRONMENTS) -> list[CostEstimate]:
    """Estimates of the profiles' defaults (staging and production with an example domain)."""
    result = []
    for env in environments:
        context: dict[str, object] = {"environment": env}
        if env != "development":
            context.update(EXAMPLE_DNS)
        result.append(estimate(load_portal_config(context)))
    return result


def generated_blocks() -> dict[str, str]:
    """What goes between each pair of README markers."""
    return {"costs": markdown_table(profile_estimates()), "prices": price_table() + "\n\nAssumptions, the same for every profile:\n\n" + assumptions_list()}


def readme_block(text: str, name: str) -> str:
    """The text between the ``name`` markers (``costs`` or ``prices``) of ``text``."""
    return read_block(text, name)


def update_readme(path: Path) -> bool:
    """Rewrite the generated blocks of ``path``; True if anything changed."""
    return update_blocks(path, generated_blocks())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stagelift.costs", description="Monthly cost of each portal profile (us-east-1 list prices).")
    parser.add_argument("--update", metavar="README", type=Path, help="rewrite the generated blocks between the costs/prices markers of this file")
    parser.add_argument("--explain", choices=ENVIRONMENTS, help="print one profile's line items with their arithmetic")
    args = parser.parse_args(argv)
    if args.explain is not None:
        (est,) = profile_estimates([args.explain])
        for item in est.items:
            print(f"{item.name:<28} ${item.monthly_usd:>9,.2f}  {item.why}")
        print(f"{'Total':<28} ${est.total:>9,.2f}")
        return 0
    if args.update is not None:
        changed = update_readme(args.update)
        print(f"{args.update}: {'updated' if changed else 'already up to date'}")
        return 0
    blocks = generated_blocks()
    print(blocks["costs"])
    print()
    print(blocks["prices"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
