"""Monthly cost of one synthesized CloudFormation template, line by line.

Every line counts resources the template creates (task definitions x desired count x Spot or not,
database classes and Multi-AZ, NAT gateways and instances, addresses, endpoints x subnets, web
ACL rules, node groups, functions, tables, queues ...) times a price of the dated list; usage no
template value fixes is an ``Assumptions`` value. Item names are unique within an estimate: the
resources behind one item are listed in its ``logical_ids``. Free tiers that end or are shared
by a whole account are not subtracted; taxes, support and savings plans are out of scope.
Functions that only serve custom resources (they run when CloudFormation deploys) are $0, with a
note, not a ``Lambda`` line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .assumptions import Assumptions
from .price_list import PriceList, PriceNotFound, load_prices
from .template import TemplateView, mentions, ref_target, strings_in

CENT = Decimal("0.01")
MILLION = Decimal(1_000_000)
KIB = Decimal(1024)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(value: Decimal | int) -> str:
    """A quantity as people write it: 0.5, 2, 1.25 (no trailing zeros)."""
    text = f"{Decimal(value).normalize():f}"
    return text


def plural(count: Decimal | int, word: str) -> str:
    return f"{fmt(count)} {word}{'' if Decimal(count) == 1 else 's'}"


@dataclass(frozen=True)
class CostLine:
    item: str
    logical_ids: tuple[str, ...]
    monthly_usd: Decimal
    detail: str  # what is counted, short (a table cell)
    why: str = ""  # the arithmetic


@dataclass(frozen=True)
class Estimate:
    lines: list[CostLine]
    region: str = "us-east-1"
    notes: tuple[str, ...] = ()  # token and condition assumptions made while reading the template
    unpriced: tuple[str, ...] = ()  # resources whose price is not in the list (priced at 0)
    prices_used: tuple[str, ...] = ()  # keys of the price list this estimate read

    @property
    def total(self) -> Decimal:
        return sum((line.monthly_usd for line in self.lines), Decimal("0.00"))

    def line(self, item: str) -> CostLine | None:
        return next((line for line in self.lines if line.item == item), None)

    def cost(self, item: str) -> Decimal:
        found = self.line(item)
        return found.monthly_usd if found else Decimal("0.00")


@dataclass
class _Part:
    ids: list[str] = field(default_factory=list)
    amount: Decimal = Decimal(0)
    details: list[str] = field(default_factory=list)
    whys: list[str] = field(default_factory=list)


class _Pricing:
    """State of one estimate: the template, the prices, the assumptions and the lines so far."""

    def __init__(self, view: TemplateView, prices: PriceList, assumptions: Assumptions) -> None:
        self.view = view
        self.prices = prices
        self.a = assumptions
        self.hours = Decimal(prices.hours_per_month)
        self.parts: dict[str, _Part] = {}
        self.unpriced: list[str] = []
        self.used: list[str] = []
        # facts shared between lines
        self.fargate_tasks: dict[str, Decimal] = {}  # service id -> running tasks
        self.fargate_tasks_by_cluster: dict[str | None, Decimal] = {}

    def price(self, key: str) -> Decimal:
        value = self.prices.value(key, self.view.region)
        if key not in self.used:
            self.used.append(key)
        return value

    def try_price(self, key: str, logical_id: str) -> Decimal | None:
        try:
            return self.price(key)
        except PriceNotFound as missing:
            self.unpriced.append(f"{logical_id}: {missing}")
            return None

    def add(self, item: str, ids: Iterable[str], amount: Decimal, detail: str, why: str = "") -> None:
        part = self.parts.setdefault(item, _Part())
        part.ids.extend(i for i in ids if i not in part.ids)
        part.amount += amount
        if detail:
            part.details.append(detail)
        if why:
            part.whys.append(why)

    def lines(self) -> list[CostLine]:
        return [
            CostLine(item, tuple(p.ids), cents(p.amount), "; ".join(_merge(p.details)), "; ".join(p.whys))
            for item, p in self.parts.items()
        ]


def _merge(details: list[str]) -> list[str]:
    """Identical details once, with a count: ``2 × (1 web ACL)``."""
    out: list[str] = []
    for d in details:
        if d not in out:
            out.append(d)
    return [d if details.count(d) == 1 else f"{details.count(d)} × ({d})" for d in out]


# --- log groups: who writes to them decides the volume ------------------------------------------------


def _retention_days(p: _Pricing, log_group_id: str | None) -> Decimal:
    if log_group_id is None or p.view.type_of(log_group_id) != "AWS::Logs::LogGroup":
        return p.a.default_log_retention_days
    days = p.view.number(p.view.props(log_group_id), "RetentionInDays", None, log_group_id)
    if days is None:  # never expire: a year of it is a sensible horizon for a monthly figure
        return Decimal(365)
    return days


def _log_group_named(p: _Pricing, name: str) -> str | None:
    for logical_id, props in p.view.of_type("AWS::Logs::LogGroup"):
        if props.get("LogGroupName") == name:
            return logical_id
    return None


def _logs_cost(p: _Pricing, gb: Decimal, retention_days: Decimal) -> tuple[Decimal, Decimal]:
    stored = gb * retention_days / 30
    return gb * p.price("logs_ingest_gb") + stored * p.price("logs_store_gb_month"), stored


# --- compute ----------------------------------------------------------------------------------------


def _desired_count(p: _Pricing, service_id: str, props: Mapping[str, Any]) -> Decimal:
    count = p.view.number(props, "DesiredCount", None, service_id) if "DesiredCount" in props else None
    if count is not None:
        return count
    for target_id, target in p.view.of_type("AWS::ApplicationAutoScaling::ScalableTarget"):
        if mentions(target.get("ResourceId"), service_id):
            return p.view.quantity(target, "MinCapacity", 1, target_id)
    return Decimal(1)  # CloudFormation starts one task when DesiredCount is not given


def _spot_share(p: _Pricing, service_id: str, props: Mapping[str, Any], count: Decimal) -> Decimal:
    """Tasks on FARGATE_SPOT: providers' Base first, the rest split by Weight."""
    strategy = p.view.items(props, "CapacityProviderStrategy", service_id)
    providers = [
        (p.view.text(s, "CapacityProvider", "", service_id), p.view.quantity(s, "Base", 0, service_id), p.view.quantity(s, "Weight", 0, service_id))
        for s in strategy
        if isinstance(s, Mapping)
    ]
    if not providers:
        return Decimal(0)
    remaining, spot = count, Decimal(0)
    for name, base, _ in providers:
        taken = min(base, remaining)
        remaining -= taken
        spot += taken if name == "FARGATE_SPOT" else 0
    weights = sum(w for _, _, w in providers)
    if weights > 0 and remaining > 0:
        spot += remaining * sum(w for n, _, w in providers if n == "FARGATE_SPOT") / weights
    return spot


def _fargate(p: _Pricing) -> None:
    for service_id, props in p.view.of_type("AWS::ECS::Service"):
        launch = p.view.text(props, "LaunchType", None, service_id)
        providers = {p.view.text(s, "CapacityProvider", "", service_id) for s in p.view.items(props, "CapacityProviderStrategy", service_id) if isinstance(s, Mapping)}
        if launch in ("EC2", "EXTERNAL") or (providers and not providers <= {"FARGATE", "FARGATE_SPOT"}):
            p.view.note(f"{service_id}: runs on EC2 capacity (priced as its instances, if in this template)")
            continue
        task_id = ref_target(props.get("TaskDefinition"))
        task = p.view.props(task_id)
        if not task:
            p.view.note(f"{service_id}: task definition not in this template; not priced")
            continue
        where = task_id or service_id
        cpu = p.view.quantity(task, "Cpu", 256, where) / KIB
        gb = p.view.quantity(task, "Memory", 512, where) / KIB
        arm = p.view.text(p.view.mapping(task, "RuntimePlatform", where), "CpuArchitecture", "X86_64", where) == "ARM64"
        count = _desired_count(p, service_id, props)
        # Fargate Spot runs x86 tasks only; the share is the strategy's even when no task runs yet.
        spot_share = _spot_share(p, service_id, props, count or Decimal(1)) / (count or Decimal(1)) if not arm else Decimal(0)
        spot = spot_share * count
        on_demand = count - spot
        cluster = ref_target(props.get("Cluster"))
        p.fargate_tasks[service_id] = count
        p.fargate_tasks_by_cluster[cluster] = p.fargate_tasks_by_cluster.get(cluster, Decimal(0)) + count
        arch = "arm" if arm else ""
        od_vcpu = p.price("fargate_arm_vcpu_hour" if arm else "fargate_vcpu_hour")
        od_gb = p.price("fargate_arm_gb_hour" if arm else "fargate_gb_hour")
        amount = on_demand * p.hours * (cpu * od_vcpu + gb * od_gb)
        why = f"{fmt(on_demand)} × {p.hours} h × ({fmt(cpu)} vCPU × ${od_vcpu} + {fmt(gb)} GB × ${od_gb})"
        if spot:
            s_vcpu, s_gb = p.price("fargate_spot_vcpu_hour"), p.price("fargate_spot_gb_hour")
            amount += spot * p.hours * (cpu * s_vcpu + gb * s_gb)
            why = (why + " + " if on_demand else "") + f"{fmt(spot)} Spot × {p.hours} h × ({fmt(cpu)} vCPU × ${s_vcpu} + {fmt(gb)} GB × ${s_gb})"
        kind = "Spot" if spot_share == 1 else ("on-demand" if not spot_share else f"{fmt(spot)} on Spot")
        detail = f"{fmt(count)} × {fmt(cpu)} vCPU / {fmt(gb)} GB, {kind}" + (", ARM" if arch else "")
        p.add("ECS Fargate tasks", [service_id, where], amount, detail, why)


def _instances(p: _Pricing) -> None:
    """EC2 instances: NAT instances (source/destination check off) under NAT, the rest on their own."""
    for instance_id, props in p.view.of_type("AWS::EC2::Instance"):
        itype = p.view.text(props, "InstanceType", "m1.small", instance_id) or "m1.small"
        hourly = p.try_price(f"ec2_hour:{itype}", instance_id)
        volume_gb = p.a.ec2_root_volume_gb
        for mapping in p.view.items(props, "BlockDeviceMappings", instance_id):
            if isinstance(mapping, Mapping):
                volume_gb = p.view.quantity(p.view.mapping(mapping, "Ebs", instance_id), "VolumeSize", volume_gb, instance_id)
        amount = p.hours * (hourly or 0) + volume_gb * p.price("ebs_gp3_gb_month")
        nat = p.view.get(props, "SourceDestCheck", True, instance_id) in (False, "false")
        why = f"{p.hours} h × ${hourly} + {fmt(volume_gb)} GB gp3 root volume × ${p.price('ebs_gp3_gb_month')}"
        if nat:
            p.add("NAT", [instance_id], amount, f"1 {itype} NAT instance", why + "; no per-GB processing charge")
        else:
            p.add("EC2 instances", [instance_id], amount, f"1 {itype}", why)


# --- databases -----------------------------------------------------------------------------------------


def _databases(p: _Pricing) -> None:
    clusters = dict(p.view.of_type("AWS::RDS::DBCluster"))
    for db_id, props in p.view.of_type("AWS::RDS::DBInstance"):
        cls = p.view.text(props, "DBInstanceClass", "db.t3.micro", db_id) or "db.t3.micro"
        engine = (p.view.text(props, "Engine", "postgres", db_id) or "postgres").lower()
        cluster_id = ref_target(props.get("DBClusterIdentifier"))
        if cluster_id is not None or engine.startswith("aurora"):
            cluster = clusters.get(cluster_id or "", {})
            if cls == "db.serverless":
                scaling = p.view.mapping(cluster, "ServerlessV2ScalingConfiguration", cluster_id or db_id)
                low = p.view.quantity(scaling, "MinCapacity", Decimal("0.5"), cluster_id or db_id)
                high = p.view.quantity(scaling, "MaxCapacity", 256, cluster_id or db_id)
                acu = min(max(p.a.aurora_average_acu, low), high)
                rate = p.price("aurora_serverless_v2_acu_hour")
                p.add("Aurora Serverless v2", [db_id], acu * p.hours * rate, f"{fmt(acu)} ACU average", f"{fmt(acu)} ACU × {p.hours} h × ${rate}")
            else:
                rate = p.try_price(f"aurora_postgresql_hour:{cls}", db_id)
                p.add("Aurora instances", [db_id], p.hours * (rate or 0), cls, f"{p.hours} h × ${rate}")
            continue
        if "postgres" not in engine:
            p.unpriced.append(f"{db_id}: engine {engine} has no prices in the list (RDS for PostgreSQL only)")
            continue
        multi_az = p.view.get(props, "MultiAZ", False, db_id) in (True, "true")
        copies = 2 if multi_az else 1
        rate = p.try_price(f"rds_postgresql_hour:{cls}", db_id)
        p.add(
            "RDS PostgreSQL instance",
            [db_id],
            copies * (rate or 0) * p.hours,
            cls + (", Multi-AZ" if multi_az else ""),
            f"{p.hours} h × ${rate}" + (" × 2 (Multi-AZ: the standby is billed like the primary)" if multi_az else " (Single-AZ)"),
        )
        storage = p.view.quantity(props, "AllocatedStorage", 20, db_id)
        storage_type = (p.view.text(props, "StorageType", "gp2", db_id) or "gp2").lower()
        key = "rds_gp3_gb_month" if storage_type == "gp3" else "rds_gp2_gb_month"
        per_gb = p.price(key)
        p.add(
            f"RDS {storage_type} storage",
            [db_id],
            copies * storage * per_gb,
            f"{fmt(storage)} GB" + (" × 2" if multi_az else ""),
            f"{fmt(storage)} GB allocated × ${per_gb}" + (" × 2 (Multi-AZ)" if multi_az else ""),
        )
    for cluster_id, props in clusters.items():
        engine = (p.view.text(props, "Engine", "aurora-postgresql", cluster_id) or "").lower()
        if not engine.startswith("aurora"):
            continue
        per_gb, per_io = p.price("aurora_storage_gb_month"), p.price("aurora_million_io")
        p.add(
            "Aurora storage and I/O",
            [cluster_id],
            p.a.aurora_storage_gb * per_gb + p.a.aurora_io_millions * per_io,
            f"{fmt(p.a.aurora_storage_gb)} GB, {fmt(p.a.aurora_io_millions)} M I/O",
            f"{fmt(p.a.aurora_storage_gb)} GB × ${per_gb} + {fmt(p.a.aurora_io_millions)} M I/O × ${per_io}",
        )


# --- network ---------------------------------------------------------------------------------------------


def _interface_endpoints(p: _Pricing) -> list[tuple[str, int]]:
    found = []
    for endpoint_id, props in p.view.of_type("AWS::EC2::VPCEndpoint"):
        if p.view.text(props, "VpcEndpointType", "Gateway", endpoint_id) == "Interface":
            subnets = p.view.items(props, "SubnetIds", endpoint_id)
            found.append((endpoint_id, len(subnets) or 1))
    return found


def _nat_gateways(p: _Pricing) -> None:
    gateways = [g for g, _ in p.view.of_type("AWS::EC2::NatGateway")]  # private ones bill the same hours
    if not gateways:
        return
    tasks = sum(p.fargate_tasks.values(), Decimal(0))
    if _interface_endpoints(p):
        gb = p.a.internet_egress_gb
        what = "internet traffic only: AWS traffic uses the interface endpoints"
    else:
        gb = p.a.internet_egress_gb + tasks * p.a.task_starts_per_task * p.a.image_gb + p.a.aws_api_gb
        what = "internet traffic, image pulls, AWS API calls"
    hourly, per_gb = p.price("nat_gateway_hour"), p.price("nat_gateway_gb")
    n = len(gateways)
    p.add(
        "NAT",
        gateways,
        n * p.hours * hourly + gb * per_gb,
        f"{plural(n, 'NAT gateway')}, {fmt(gb.quantize(Decimal('0.1')))} GB",
        f"{n} × {p.hours} h × ${hourly} + {fmt(gb.quantize(Decimal('0.1')))} GB × ${per_gb} ({what})",
    )


def _public_ipv4(p: _Pricing) -> None:
    ids: list[str] = []
    count = 0
    internal = 0  # load balancers without public addresses (e.g. behind a CloudFront VPC origin)
    for lb_id, props in p.view.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer"):
        if p.view.text(props, "Type", "application", lb_id) == "gateway":
            continue
        if p.view.text(props, "Scheme", "internet-facing", lb_id) != "internet-facing":
            internal += 1
            continue
        subnets = p.view.items(props, "Subnets", lb_id) or p.view.items(props, "SubnetMappings", lb_id)
        zones = len(subnets) or 2  # unknown subnets: the two AZs a load balancer needs at least
        count += zones
        ids.append(lb_id)
    for eip_id, _ in p.view.of_type("AWS::EC2::EIP"):
        count += 1
        ids.append(eip_id)
    for instance_id, props in p.view.of_type("AWS::EC2::Instance"):
        interfaces = p.view.items(props, "NetworkInterfaces", instance_id)
        if any(isinstance(i, Mapping) and i.get("AssociatePublicIpAddress") in (True, "true") for i in interfaces):
            count += 1
            ids.append(instance_id)
    if count:
        rate = p.price("public_ipv4_hour")
        none = f"; {'the internal load balancer has' if internal == 1 else f'{internal} internal load balancers have'} none" if internal else ""
        p.add(
            "Public IPv4 addresses",
            ids,
            count * p.hours * rate,
            f"{count} address{'' if count == 1 else 'es'}{none}",
            f"{count} × {p.hours} h × ${rate}: internet-facing load balancer nodes (one per subnet), Elastic IPs, instances' public addresses{none}",
        )


def _endpoints(p: _Pricing) -> None:
    endpoints = _interface_endpoints(p)
    if not endpoints:
        return
    zones = sum(n for _, n in endpoints)
    rate, per_gb = p.price("interface_endpoint_az_hour"), p.price("interface_endpoint_gb")
    subnets = sorted({n for _, n in endpoints})
    per = f"{subnets[0]} AZs" if len(subnets) == 1 else "their AZs"
    p.add(
        "VPC interface endpoints",
        [e for e, _ in endpoints],
        zones * p.hours * rate + p.a.aws_api_gb * per_gb,
        f"{len(endpoints)} endpoints × {per}",
        f"{zones} endpoint-AZs × {p.hours} h × ${rate} + {fmt(p.a.aws_api_gb)} GB × ${per_gb}; gateway endpoints are free",
    )


def _load_balancers(p: _Pricing) -> None:
    for lb_id, props in p.view.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer"):
        kind = p.view.text(props, "Type", "application", lb_id)
        if kind == "network":
            item, hour, lcu, short = "Network Load Balancer", "nlb_hour", "nlb_lcu_hour", "NLB"
        elif kind == "application":
            item, hour, lcu, short = "Application Load Balancer", "alb_hour", "alb_lcu_hour", "ALB"
        else:
            p.unpriced.append(f"{lb_id}: {kind} load balancers have no prices in the list")
            continue
        h, l = p.price(hour), p.price(lcu)
        p.add(item, [lb_id], p.hours * h + p.a.alb_lcu * p.hours * l, f"1 {short}, {fmt(p.a.alb_lcu)} LCU", f"{p.hours} h × ${h} + {fmt(p.a.alb_lcu)} LCU × {p.hours} h × ${l}")


def _cloudfront(p: _Pricing) -> None:
    """Requests and data out to viewers; origin fetches from an AWS origin and VPC origins cost nothing extra."""
    for dist_id, _ in p.view.of_type("AWS::CloudFront::Distribution"):
        per_m, per_gb = p.price("cloudfront_https_million_requests"), p.price("cloudfront_gb_out")
        millions, gb = p.a.requests_millions, p.a.cloudfront_gb_out
        vpc_origins = [o for o, _ in p.view.of_type("AWS::CloudFront::VpcOrigin") if mentions(p.view.props(dist_id), o)]
        p.add(
            "CloudFront",
            [dist_id, *vpc_origins],
            millions * per_m + gb * per_gb,
            f"1 distribution, {fmt(millions)} M requests, {fmt(gb)} GB" + (", VPC origin" if vpc_origins else ""),
            f"{fmt(millions)} M HTTPS requests × ${per_m} + {fmt(gb)} GB to viewers × ${per_gb}; origin fetches from AWS origins and VPC origins are free; the account's always-free tier is not subtracted",
        )


def _waf(p: _Pricing) -> None:
    logging = list(p.view.of_type("AWS::WAFv2::LoggingConfiguration"))
    for acl_id, props in p.view.of_type("AWS::WAFv2::WebACL"):
        n = len(p.view.items(props, "Rules", acl_id))
        acl, rule, per_m = p.price("waf_web_acl_month"), p.price("waf_rule_month"), p.price("waf_million_requests")
        amount = acl + n * rule + p.a.requests_millions * per_m
        why = f"${acl} + {n} rules × ${rule} + {fmt(p.a.requests_millions)} M requests × ${per_m}"
        ids = [acl_id]
        for log_id, log in logging:
            if mentions(log.get("ResourceArn"), acl_id):
                gb = p.a.requests_millions * MILLION * p.a.waf_log_kb_per_request / MILLION
                group = _waf_log_group(p, log)
                cost, stored = _logs_cost(p, gb, _retention_days(p, group))
                amount += cost
                ids.append(log_id)
                why += f" + {fmt(gb)} GB of WAF logs ingested, about {fmt(stored.quantize(Decimal('0.1')))} GB stored"
        p.add("AWS WAF", ids, amount, f"1 web ACL, {plural(n, 'rule')}", why)


def _waf_log_group(p: _Pricing, logging: Mapping[str, Any]) -> str | None:
    destinations = logging.get("LogDestinationConfigs")
    for destination in destinations if isinstance(destinations, list) else []:
        target = ref_target(destination)
        if target:
            return target
        for part in strings_in(destination):
            if ":log-group:" in part:
                return _log_group_named(p, part.split(":log-group:")[1].split(":")[0])
    return None


def _flow_logs(p: _Pricing) -> None:
    for flow_id, props in p.view.of_type("AWS::EC2::FlowLog"):
        destination = p.view.text(props, "LogDestinationType", "cloud-watch-logs", flow_id)
        gb = p.a.flow_log_gb
        if destination != "cloud-watch-logs":
            p.add("VPC flow logs", [flow_id], Decimal(0), f"{fmt(gb)} GB to {destination}", "delivery to S3/Firehose: not priced")
            p.unpriced.append(f"{flow_id}: flow logs to {destination} are not priced")
            continue
        group = ref_target(props.get("LogGroupName")) or ref_target(props.get("LogDestination"))
        days = _retention_days(p, group)
        cost, stored = _logs_cost(p, gb, days)
        p.add(
            "VPC flow logs",
            [flow_id] + ([group] if group else []),
            cost,
            f"{fmt(gb)} GB",
            f"{fmt(gb)} GB × ${p.price('logs_ingest_gb')} ingested, about {fmt(stored.quantize(Decimal('0.1')))} GB stored at {fmt(days)} days' retention × ${p.price('logs_store_gb_month')}",
        )


# --- identity, secrets, keys, observability ------------------------------------------------------------


def _cognito(p: _Pricing) -> None:
    for pool_id, props in p.view.of_type("AWS::Cognito::UserPool"):
        tier = (p.view.text(props, "UserPoolTier", "ESSENTIALS", pool_id) or "ESSENTIALS").upper()
        users = p.a.monthly_active_users
        if tier == "PLUS":
            rate = p.price("cognito_plus_mau")
            p.add("Cognito", [pool_id], users * rate, f"{fmt(users)} users, Plus", f"{fmt(users)} monthly active users × ${rate}: the Plus plan has no free tier")
        else:
            rate = p.price("cognito_essentials_mau" if tier == "ESSENTIALS" else "cognito_lite_mau")
            billed = max(Decimal(0), users - 10_000)
            p.add("Cognito", [pool_id], billed * rate, f"{fmt(users)} users, {tier.title()}", f"{fmt(billed)} users above the free 10,000 × ${rate}")


def _count_line(p: _Pricing, resource_type: str, item: str, key: str, word: str) -> None:
    ids = [i for i, _ in p.view.of_type(resource_type)]
    if ids:
        rate = p.price(key)
        p.add(item, ids, len(ids) * rate, plural(len(ids), word), f"{len(ids)} × ${rate}")


def _cloudwatch_logs(p: _Pricing) -> None:
    """Logs written by tasks, databases, functions and clusters (flow and WAF logs have their own lines)."""
    task_groups: dict[str | None, Decimal] = {}
    for service_id, tasks in p.fargate_tasks.items():
        task = p.view.props(ref_target(p.view.props(service_id).get("TaskDefinition")))
        groups = set()
        for container in p.view.items(task, "ContainerDefinitions", service_id):
            logging = p.view.mapping(container, "LogConfiguration", service_id) if isinstance(container, Mapping) else {}
            if logging.get("LogDriver") == "awslogs":
                groups.add(ref_target(p.view.mapping(logging, "Options", service_id).get("awslogs-group")))
        for group in groups or {None}:
            task_groups[group] = task_groups.get(group, Decimal(0)) + tasks * p.a.log_gb_per_task / max(len(groups), 1)
    sources: list[tuple[list[str], Decimal, Decimal, str]] = []  # ids, GB, retention, what
    for group, gb in task_groups.items():
        sources.append(([group] if group else [], gb, _retention_days(p, group), "tasks"))
    for db_id, props in list(p.view.of_type("AWS::RDS::DBInstance")) + list(p.view.of_type("AWS::RDS::DBCluster")):
        if p.view.type_of(db_id) == "AWS::RDS::DBInstance" and props.get("DBClusterIdentifier"):
            continue  # a cluster's instances export through the cluster
        exports = [e for e in p.view.items(props, "EnableCloudwatchLogsExports", db_id) if isinstance(e, str)]
        if not exports:
            continue
        identifier = p.view.text(props, "DBInstanceIdentifier", None, db_id) or p.view.text(props, "DBClusterIdentifier", None, db_id)
        kind = "instance" if p.view.type_of(db_id) == "AWS::RDS::DBInstance" else "cluster"
        group = _log_group_named(p, f"/aws/rds/{kind}/{identifier}/{exports[0]}") if identifier else None
        sources.append(([db_id], p.a.database_log_gb, _retention_days(p, group), "database"))
    for fn_id, props in p.view.of_type("AWS::Lambda::Function"):
        if fn_id in _service_functions(p):
            group = ref_target(p.view.mapping(props, "LoggingConfig", fn_id).get("LogGroup"))
            sources.append(([fn_id], p.a.lambda_log_gb, _retention_days(p, group), "functions"))
    for cluster_id, props in p.view.of_type("AWS::EKS::Cluster"):
        types = p.view.items(p.view.mapping(p.view.mapping(props, "Logging", cluster_id), "ClusterLogging", cluster_id), "EnabledTypes", cluster_id)
        if types:
            sources.append(([cluster_id], p.a.eks_control_plane_log_gb, p.a.default_log_retention_days, "EKS control plane"))
    if not sources:
        return
    ingest, store = p.price("logs_ingest_gb"), p.price("logs_store_gb_month")
    gb = sum((s[1] for s in sources), Decimal(0))
    stored = sum((s[1] * s[2] / 30 for s in sources), Decimal(0))
    days = sorted({fmt(s[2]) for s in sources})
    what = ", ".join(dict.fromkeys(s[3] for s in sources))
    p.add(
        "CloudWatch Logs",
        [i for s in sources for i in s[0]],
        gb * ingest + stored * store,
        f"{fmt(gb)} GB",
        f"{fmt(gb)} GB ingested × ${ingest} ({what}), about {fmt(stored.quantize(Decimal('0.1')))} GB stored at {'/'.join(days)} days' retention × ${store}",
    )


def _container_insights(p: _Pricing) -> None:
    for cluster_id, props in p.view.of_type("AWS::ECS::Cluster"):
        settings = p.view.items(props, "ClusterSettings", cluster_id)
        mode = next((p.view.text(s, "Value", "disabled", cluster_id) for s in settings if isinstance(s, Mapping) and s.get("Name") == "containerInsights"), "disabled")
        if mode != "enhanced":
            continue
        tasks = p.fargate_tasks_by_cluster.get(cluster_id, Decimal(0))
        millions = p.a.insights_cluster_millions + p.a.insights_task_millions * tasks
        rate = p.price("container_insights_million_observations")
        p.add(
            "Container Insights",
            [cluster_id],
            millions * rate,
            f"{fmt(millions)} M observations",
            f"enhanced: {fmt(p.a.insights_cluster_millions)} M observations for the cluster + {fmt(p.a.insights_task_millions)} M per task × ${rate} per million",
        )


def _ecr(p: _Pricing) -> None:
    for repo_id, _ in p.view.of_type("AWS::ECR::Repository"):
        rate = p.price("ecr_gb_month")
        p.add("ECR storage", [repo_id], p.a.ecr_gb * rate, f"{fmt(p.a.ecr_gb)} GB", f"{fmt(p.a.ecr_gb)} GB of images × ${rate}")


# --- serverless and data services -----------------------------------------------------------------------

_INVOKERS = ("apigateway.amazonaws.com", "events.amazonaws.com", "sns.amazonaws.com", "s3.amazonaws.com", "elasticloadbalancing.amazonaws.com", "scheduler.amazonaws.com")


def _service_functions(p: _Pricing) -> set[str]:
    """Functions an API, queue, schedule, topic or bucket invokes (the others are deployment helpers)."""
    found: set[str] = set()
    for _, props in p.view.of_type("AWS::Lambda::Permission"):
        if p.view.resolve(props.get("Principal")) in _INVOKERS:
            target = ref_target(props.get("FunctionName"))
            if target:
                found.add(target)
    for _, props in p.view.of_type("AWS::Lambda::EventSourceMapping"):
        target = ref_target(props.get("FunctionName"))
        if target:
            found.add(target)
    return found


# Construct paths of the functions aws-cdk-lib creates to serve custom resources (seen when the
# template carries ``aws:cdk:path`` metadata): its custom-resource providers, the provider
# framework's functions, the AwsCustomResource singleton, LogRetention, EKS cluster/kubectl providers.
_PROVIDER_PATH = re.compile(
    r"CustomResourceProvider|/framework-(onEvent|isComplete|onTimeout)/|/AWS679f53fac002430cb0da5b7982bd2287/"
    r"|/LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a/|ClusterResourceProvider|KubectlProvider"
)


def _is_custom_resource(resource_type: object) -> bool:
    return isinstance(resource_type, str) and (resource_type == "AWS::CloudFormation::CustomResource" or resource_type.startswith("Custom::"))


def _custom_resource_handlers(p: _Pricing) -> dict[str, str]:
    """``{function id: custom resource type it serves}`` for functions that run only when
    CloudFormation creates, updates or deletes a custom resource: the ServiceToken's function, the
    functions a provider framework function calls (its environment names their ARNs, directly or
    through its waiter state machine), and functions whose construct path is a CDK provider's."""
    functions = dict(p.view.of_type("AWS::Lambda::Function"))
    handlers: dict[str, str] = {}
    for _, resource in p.view.resources.items():
        if isinstance(resource, Mapping) and _is_custom_resource(resource.get("Type")):
            props = resource.get("Properties")
            target = ref_target(props.get("ServiceToken")) if isinstance(props, Mapping) else None
            if target in functions:
                handlers.setdefault(target, str(resource["Type"]))
    machines = dict(p.view.of_type("AWS::StepFunctions::StateMachine"))
    for fn_id in list(handlers):
        _follow(fn_id, handlers, functions, machines)
    for fn_id in functions:
        path = (p.view.resources[fn_id].get("Metadata") or {}).get("aws:cdk:path")
        if fn_id not in handlers and isinstance(path, str) and _PROVIDER_PATH.search(path):
            handlers[fn_id] = "a CDK custom resource provider"
    return handlers


def _follow(fn_id: str, handlers: dict[str, str], functions: Mapping[str, Mapping[str, Any]], machines: Mapping[str, Mapping[str, Any]]) -> None:
    """Mark the functions ``fn_id``'s environment names (and those of state machines it names)."""
    environment = functions.get(fn_id, {}).get("Environment")
    named = [f for f in functions if f not in handlers and mentions(environment, f)]
    for machine_id, machine in machines.items():
        if mentions(environment, machine_id):
            named += [f for f in functions if f not in handlers and f not in named and mentions(machine, f)]
    for other in named:
        handlers[other] = handlers[fn_id]
        _follow(other, handlers, functions, machines)


def _lambda(p: _Pricing) -> None:
    service = _service_functions(p)
    handlers = _custom_resource_handlers(p)
    for fn_id, serves in handlers.items():
        if fn_id not in service:
            p.view.note(f"{fn_id}: runs only when CloudFormation deploys {serves}; priced at $0")
    for fn_id, props in p.view.of_type("AWS::Lambda::Function"):
        if fn_id in handlers and fn_id not in service:
            continue
        memory_gb = p.view.quantity(props, "MemorySize", 128, fn_id) / KIB
        arm = p.view.items(props, "Architectures", fn_id) == ["arm64"]
        millions = p.a.lambda_invocations_millions if fn_id in service else p.a.lambda_helper_invocations_millions
        seconds = millions * MILLION * p.a.lambda_duration_ms / 1000
        gb_s_rate = p.price("lambda_arm_gb_second" if arm else "lambda_x86_gb_second")
        req = p.price("lambda_million_requests")
        p.add(
            "Lambda",
            [fn_id],
            millions * req + seconds * memory_gb * gb_s_rate,
            f"{fmt(millions)} M × {fmt(memory_gb * KIB)} MB {'arm64' if arm else 'x86_64'}",
            f"{fn_id}: {fmt(millions)} M requests × ${req} + {fmt(seconds * memory_gb)} GB-s × ${gb_s_rate}",
        )


def _apis(p: _Pricing) -> None:
    for api_id, props in p.view.of_type("AWS::ApiGatewayV2::Api"):
        if p.view.text(props, "ProtocolType", "HTTP", api_id) != "HTTP":
            p.unpriced.append(f"{api_id}: WebSocket APIs are not priced")
            continue
        rate = p.price("http_api_million_requests")
        p.add("API Gateway", [api_id], p.a.requests_millions * rate, f"HTTP API, {fmt(p.a.requests_millions)} M requests", f"{fmt(p.a.requests_millions)} M × ${rate}")
    for api_id, _ in p.view.of_type("AWS::ApiGateway::RestApi"):
        rate = p.price("rest_api_million_requests")
        p.add("API Gateway", [api_id], p.a.requests_millions * rate, f"REST API, {fmt(p.a.requests_millions)} M requests", f"{fmt(p.a.requests_millions)} M × ${rate}")


def _dynamodb(p: _Pricing) -> None:
    for table_id, props in p.view.of_type("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"):
        mode = p.view.text(props, "BillingMode", "PROVISIONED", table_id)
        storage = p.a.dynamodb_gb * p.price("dynamodb_storage_gb_month")
        if mode == "PAY_PER_REQUEST":
            w, r = p.price("dynamodb_million_write_units"), p.price("dynamodb_million_read_units")
            p.add(
                "DynamoDB",
                [table_id],
                p.a.dynamodb_write_millions * w + p.a.dynamodb_read_millions * r + storage,
                f"on-demand, {fmt(p.a.dynamodb_write_millions)} M writes / {fmt(p.a.dynamodb_read_millions)} M reads",
                f"{fmt(p.a.dynamodb_write_millions)} M WRU × ${w} + {fmt(p.a.dynamodb_read_millions)} M RRU × ${r} + {fmt(p.a.dynamodb_gb)} GB stored",
            )
        else:
            p.unpriced.append(f"{table_id}: provisioned-capacity tables are not priced (on-demand only)")
            p.add("DynamoDB", [table_id], storage, "provisioned capacity (not priced), storage", f"{fmt(p.a.dynamodb_gb)} GB stored")


def _sqs(p: _Pricing) -> None:
    queues = list(p.view.of_type("AWS::SQS::Queue"))
    dead_letter = {ref_target(p.view.mapping(props, "RedrivePolicy", queue_id).get("deadLetterTargetArn")) for queue_id, props in queues}
    for queue_id, props in queues:
        if queue_id in dead_letter:
            p.add("SQS", [queue_id], Decimal(0), "", "")
            continue
        fifo = p.view.get(props, "FifoQueue", False, queue_id) in (True, "true")
        rate = p.price("sqs_fifo_million_requests" if fifo else "sqs_million_requests")
        p.add("SQS", [queue_id], p.a.sqs_requests_millions * rate, f"{fmt(p.a.sqs_requests_millions)} M requests{' FIFO' if fifo else ''}", f"{queue_id}: {fmt(p.a.sqs_requests_millions)} M × ${rate}")
    if dead_letter & {q for q, _ in queues}:
        part = p.parts["SQS"]
        part.details.append(plural(len(dead_letter & {q for q, _ in queues}), "dead-letter queue") + " (idle)")


def _sns(p: _Pricing) -> None:
    topics = [t for t, _ in p.view.of_type("AWS::SNS::Topic")]
    if topics:
        rate = p.price("sns_million_publishes")
        p.add("SNS", topics, len(topics) * p.a.sns_publishes_millions * rate, plural(len(topics), "topic"), f"{len(topics)} × {fmt(p.a.sns_publishes_millions)} M publishes × ${rate}")


def _eventbridge(p: _Pricing) -> None:
    for bus_id, _ in p.view.of_type("AWS::Events::EventBus"):
        rate = p.price("eventbridge_million_events")
        p.add("EventBridge", [bus_id], p.a.eventbridge_events_millions * rate, f"custom bus, {fmt(p.a.eventbridge_events_millions)} M events", f"{fmt(p.a.eventbridge_events_millions)} M × ${rate}; rules on AWS events and schedules are free")


def _s3(p: _Pricing) -> None:
    buckets = [b for b, _ in p.view.of_type("AWS::S3::Bucket")]
    if buckets:
        gb, put, get = p.price("s3_standard_gb_month"), p.price("s3_thousand_put_requests"), p.price("s3_thousand_get_requests")
        each = p.a.s3_gb * gb + p.a.s3_put_thousands * put + p.a.s3_get_thousands * get
        p.add("S3", buckets, len(buckets) * each, f"{plural(len(buckets), 'bucket')}, {fmt(p.a.s3_gb)} GB each", f"{len(buckets)} × ({fmt(p.a.s3_gb)} GB × ${gb} + {fmt(p.a.s3_put_thousands)} k PUT × ${put} + {fmt(p.a.s3_get_thousands)} k GET × ${get})")


def _elasticache(p: _Pricing) -> None:
    for group_id, props in p.view.of_type("AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::CacheCluster"):
        node = p.view.text(props, "CacheNodeType", "cache.t4g.micro", group_id) or "cache.t4g.micro"
        engine = (p.view.text(props, "Engine", "redis", group_id) or "redis").lower()
        if p.view.type_of(group_id) == "AWS::ElastiCache::CacheCluster":
            nodes = p.view.quantity(props, "NumCacheNodes", 1, group_id)
        elif "NumCacheClusters" in props:
            nodes = p.view.quantity(props, "NumCacheClusters", 1, group_id)
        else:
            groups = p.view.quantity(props, "NumNodeGroups", 1, group_id)
            replicas = p.view.quantity(props, "ReplicasPerNodeGroup", 0, group_id)
            nodes = groups * (replicas + 1)
        key = f"elasticache_{'valkey' if engine == 'valkey' else 'redis'}_hour:{node}"
        rate = p.try_price(key, group_id)
        p.add("ElastiCache", [group_id], nodes * p.hours * (rate or 0), f"{plural(nodes, 'node')} {node}, {engine}", f"{fmt(nodes)} × {p.hours} h × ${rate}")
    for cache_id, props in p.view.of_type("AWS::ElastiCache::ServerlessCache"):
        gb, ecpu = p.price("elasticache_serverless_valkey_gb_hour"), p.price("elasticache_serverless_valkey_million_ecpu")
        p.add("ElastiCache", [cache_id], p.a.elasticache_serverless_gb * p.hours * gb + p.a.elasticache_serverless_ecpu_millions * ecpu, f"serverless, {fmt(p.a.elasticache_serverless_gb)} GB", f"Valkey serverless prices for {p.view.text(props, 'Engine', 'valkey', cache_id)}")


def _msk(p: _Pricing) -> None:
    for cluster_id, _ in p.view.of_type("AWS::MSK::ServerlessCluster"):
        c, part = p.price("msk_serverless_cluster_hour"), p.price("msk_serverless_partition_hour")
        i, o, s = p.price("msk_serverless_gb_in"), p.price("msk_serverless_gb_out"), p.price("msk_serverless_storage_gb_month")
        a = p.a
        amount = p.hours * c + a.msk_partitions * p.hours * part + a.msk_gb_in * i + a.msk_gb_out * o + a.msk_storage_gb * s
        p.add("MSK Serverless", [cluster_id], amount, f"1 cluster, {fmt(a.msk_partitions)} partitions", f"{p.hours} h × ${c} + {fmt(a.msk_partitions)} partitions × {p.hours} h × ${part} + {fmt(a.msk_gb_in)} GB in × ${i} + {fmt(a.msk_gb_out)} GB out × ${o} + {fmt(a.msk_storage_gb)} GB stored × ${s}")
    for cluster_id, _ in p.view.of_type("AWS::MSK::Cluster"):
        p.unpriced.append(f"{cluster_id}: provisioned MSK clusters are not priced (MSK Serverless only)")


def _efs(p: _Pricing) -> None:
    for fs_id, _ in p.view.of_type("AWS::EFS::FileSystem"):
        rate = p.price("efs_standard_gb_month")
        p.add("EFS", [fs_id], p.a.efs_gb * rate, f"{fmt(p.a.efs_gb)} GB Standard", f"{fmt(p.a.efs_gb)} GB × ${rate}")


def _eks(p: _Pricing) -> None:
    for cluster_id, _ in p.view.of_type("AWS::EKS::Cluster"):
        rate = p.price("eks_cluster_hour")
        p.add("EKS clusters", [cluster_id], p.hours * rate, "1 cluster, standard support", f"{p.hours} h × ${rate}")
    for group_id, props in p.view.of_type("AWS::EKS::Nodegroup"):
        types = [t for t in p.view.items(props, "InstanceTypes", group_id) if isinstance(t, str)] or ["t3.medium"]  # EKS's default
        itype = types[0]
        scaling = p.view.mapping(props, "ScalingConfig", group_id)
        nodes = p.view.number(scaling, "DesiredSize", None, group_id)
        if nodes is None:
            nodes = p.view.quantity(scaling, "MinSize", 1, group_id)
        spot = p.view.text(props, "CapacityType", "ON_DEMAND", group_id) == "SPOT"
        rate = p.try_price(f"ec2_hour:{itype}", group_id) or Decimal(0)
        if spot:
            rate *= p.price("ec2_spot_factor")
        disk = p.view.quantity(props, "DiskSize", p.a.eks_node_disk_gb, group_id)
        ebs = p.price("ebs_gp3_gb_month")
        p.add(
            "EKS nodes",
            [group_id],
            nodes * (p.hours * rate + disk * ebs),
            f"{fmt(nodes)} × {itype}{', Spot' if spot else ''}",
            f"{fmt(nodes)} × ({p.hours} h × ${rate} + {fmt(disk)} GB × ${ebs})" + (f"; other types of the group ({', '.join(map(str, types[1:]))}) priced as {itype}" if len(types) > 1 else ""),
        )


_RUNTIME_CREATORS = {
    "karpenter": "Karpenter launches EC2 nodes at run time: they are not in the template and not priced",
    "aws-load-balancer-controller": "the AWS Load Balancer Controller creates load balancers for Ingresses at run time: not in the template, not priced",
}


def _runtime_resources(p: _Pricing) -> None:
    """Say so when a Helm chart will create billable resources CloudFormation never sees."""
    for chart_id, props in p.view.of_type("Custom::AWSCDK-EKS-HelmChart"):
        chart = p.view.text(props, "Chart", "", chart_id)
        if chart in _RUNTIME_CREATORS:
            p.view.note(f"{chart_id}: {_RUNTIME_CREATORS[chart]}")


# The order of the lines (the README table's row order follows it).
PRICERS: tuple[Callable[[_Pricing], None], ...] = (
    _fargate,
    _databases,
    _instances,
    _nat_gateways,
    _public_ipv4,
    _load_balancers,
    _cloudfront,
    _flow_logs,
    _cognito,
    lambda p: _count_line(p, "AWS::SecretsManager::Secret", "Secrets Manager", "secret_month", "secret"),
    lambda p: _count_line(p, "AWS::KMS::Key", "KMS keys", "kms_key_month", "key"),
    _cloudwatch_logs,
    _container_insights,
    lambda p: _count_line(p, "AWS::CloudWatch::Alarm", "CloudWatch alarms", "alarm_month", "alarm"),
    _ecr,
    _waf,
    _endpoints,
    _lambda,
    _apis,
    _dynamodb,
    _sqs,
    _sns,
    _eventbridge,
    _s3,
    _elasticache,
    _msk,
    _efs,
    _eks,
    _runtime_resources,
)


def estimate_template(
    template: Mapping[str, Any],
    *,
    region: str = "us-east-1",
    assumptions: Assumptions | None = None,
    prices: PriceList | None = None,
) -> Estimate:
    """The monthly cost of what ``template`` (a synthesized CloudFormation template) creates.

    :param region: the region whose prices apply (the list must hold them); default us-east-1.
    :param assumptions: usage the template does not fix; default ``assumptions.yaml``.
    :param prices: default the dated list shipped in this package.
    """
    view = TemplateView(template, region)
    state = _Pricing(view, prices or load_prices(), assumptions or Assumptions.defaults())
    for pricer in PRICERS:
        pricer(state)
    return Estimate(state.lines(), region, tuple(view.notes), tuple(state.unpriced), tuple(state.used))
