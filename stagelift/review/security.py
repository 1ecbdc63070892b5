"""Security changes between two templates: IAM statements, security-group rules, settings turned off.

IAM statements are normalised (one row per statement: effect, sorted actions, resources,
principals, conditions, and the resource that carries it) from identity policies (inline
``AWS::IAM::Policy``, roles', users' and groups' inline and managed policies, managed policy
ARNs) and resource policies (trust policies, bucket, queue, topic, key, secret and repository
policies, Lambda permissions), then compared as sets. Broadening, as a reviewer means it: a new
wildcard action or resource, a new principal on something that already existed, a wildcard
principal, a condition removed from an otherwise identical statement, a new managed policy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .intrinsics import render

WORLD = {"0.0.0.0/0", "::/0"}


@dataclass(frozen=True)
class Statement:
    owner: str  # logical id of the resource the statement is on (a role, a bucket policy ...)
    kind: str  # "identity", "trust", "resource", "managed policy"
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    principals: tuple[str, ...]
    conditions: str  # canonical JSON, "" when none
    not_actions: bool = False
    targets: tuple[str, ...] = ()  # logical ids the statement protects or is attached to

    def describe(self) -> str:
        parts = [f"{self.effect} {'NOT ' if self.not_actions else ''}{', '.join(self.actions)}"]
        if self.resources:
            parts.append(f"on {', '.join(self.resources)}")
        if self.principals:
            parts.append(f"to {', '.join(self.principals)}")
        if self.conditions:
            parts.append(f"when {self.conditions}")
        return " ".join(parts)


@dataclass
class IamChange:
    stack: str
    change: str  # "added" | "removed"
    statement: Statement
    broadening: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Rule:
    group: str
    direction: str  # "ingress" | "egress"
    protocol: str
    ports: str
    peer: str

    def describe(self) -> str:
        return f"{self.direction} {self.protocol} {self.ports} {'from' if self.direction == 'ingress' else 'to'} {self.peer} on {self.group}"


@dataclass
class RuleChange:
    stack: str
    change: str
    rule: Rule
    open_to_world: bool


@dataclass
class SettingChange:
    stack: str
    logical_id: str
    type: str
    setting: str
    old: str
    new: str


def _list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _principals(principal: object) -> tuple[str, ...]:
    if principal is None:
        return ()
    if principal == "*" or not isinstance(principal, dict):
        return (render(principal),)
    return tuple(sorted(f"{kind}:{render(v)}" for kind, values in principal.items() for v in _list(values)))


def _statements(owner: str, kind: str, document: object, targets: tuple[str, ...] = ()) -> list[Statement]:
    if not isinstance(document, dict):
        return []
    out = []
    for raw in _list(document.get("Statement")):
        if not isinstance(raw, dict):
            continue
        not_actions = "NotAction" in raw
        actions = tuple(sorted(render(a) for a in _list(raw.get("NotAction" if not_actions else "Action"))))
        resources = tuple(sorted(render(r) for r in _list(raw.get("Resource") or raw.get("NotResource"))))
        principals = _principals(raw.get("Principal") or raw.get("NotPrincipal"))
        condition = raw.get("Condition")
        out.append(Statement(owner, kind, raw.get("Effect", "Allow"), actions, resources, principals,
                             json.dumps(condition, sort_keys=True) if condition else "", not_actions,
                             targets or (owner,)))
    return out


def _owner(value: object) -> str:
    return ", ".join(_logical_ids(value))


def _logical_ids(value: object) -> tuple[str, ...]:
    return tuple(sorted(render(v).strip("${}").split(".")[0] for v in _list(value)))


# Resource policy documents: type -> (document property, property naming what it protects).
RESOURCE_POLICIES = {
    "AWS::S3::BucketPolicy": ("PolicyDocument", "Bucket"),
    "AWS::SQS::QueuePolicy": ("PolicyDocument", "Queues"),
    "AWS::SQS::QueueInlinePolicy": ("PolicyDocument", "Queue"),
    "AWS::SNS::TopicPolicy": ("PolicyDocument", "Topics"),
    "AWS::SNS::TopicInlinePolicy": ("PolicyDocument", "TopicArn"),
    "AWS::KMS::Key": ("KeyPolicy", None),
    "AWS::SecretsManager::ResourcePolicy": ("ResourcePolicy", "SecretId"),
    "AWS::ECR::Repository": ("RepositoryPolicyText", None),
    "AWS::Logs::ResourcePolicy": ("PolicyDocument", None),
    "AWS::OpenSearchService::Domain": ("AccessPolicies", None),
}


def iam_statements(template: dict) -> set[Statement]:
    out: list[Statement] = []
    for lid, resource in (template.get("Resources") or {}).items():
        kind, props = resource.get("Type"), resource.get("Properties") or {}
        if kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            owners = [_owner(props.get(k)) for k in ("Roles", "Users", "Groups") if props.get(k)]
            owner = f"{lid} (on {'; '.join(owners)})" if owners else lid
            targets = tuple(t for k in ("Roles", "Users", "Groups") for t in _logical_ids(props.get(k)))
            out.extend(_statements(owner, "identity", props.get("PolicyDocument"), targets))
        elif kind in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
            out.extend(_statements(lid, "trust", props.get("AssumeRolePolicyDocument")))
            for policy in _list(props.get("Policies")):
                if isinstance(policy, dict):
                    out.extend(_statements(lid, "identity", policy.get("PolicyDocument")))
            for arn in _list(props.get("ManagedPolicyArns")):
                out.append(Statement(lid, "managed policy", "Allow", (render(arn),), (), (), ""))
        elif kind == "AWS::Lambda::Permission":
            condition = {k: render(props[k]) for k in ("SourceArn", "SourceAccount", "PrincipalOrgID") if k in props}
            out.append(Statement(_owner(props.get("FunctionName")), "resource", "Allow", (render(props.get("Action")),),
                                 (), (render(props.get("Principal")),), json.dumps(condition, sort_keys=True) if condition else ""))
        elif kind in RESOURCE_POLICIES:
            document, target = RESOURCE_POLICIES[kind]
            owner = f"{lid} (on {_owner(props.get(target))})" if target and props.get(target) else lid
            targets = _logical_ids(props.get(target)) if target and props.get(target) else (lid,)
            out.extend(_statements(owner, "resource", props.get(document), targets))
    return set(out)


def _wild(value: str) -> bool:
    return "*" in value


def iam_changes(stack: str, base: dict | None, head: dict | None) -> list[IamChange]:
    old = iam_statements(base or {})
    new = iam_statements(head or {})
    still_there = set(((head or {}).get("Resources") or {}))
    old_owners = {s.owner for s in old}
    out: list[IamChange] = []
    for statement in sorted(new - old, key=lambda s: (s.owner, s.describe())):
        reasons: list[str] = []
        same_owner = [s for s in old if s.owner == statement.owner and s.effect == "Allow"]
        if statement.effect == "Allow":
            known_actions = {a for s in same_owner for a in s.actions}
            known_resources = {r for s in same_owner for r in s.resources}
            known_principals = {p for s in same_owner for p in s.principals}
            if statement.kind == "managed policy":
                reasons.append(f"managed policy attached: {statement.actions[0]}")
            if statement.not_actions:
                reasons.append("Allow with NotAction")
            wild_actions = [a for a in statement.actions if _wild(a) and a not in known_actions]
            if wild_actions and statement.kind != "managed policy":
                reasons.append(f"wildcard action {', '.join(wild_actions)}")
            wild_resources = [r for r in statement.resources if _wild(r) and r not in known_resources]
            if wild_resources:
                reasons.append(f"wildcard resource {', '.join(wild_resources)}")
            world = [p for p in statement.principals if p in ("*", "AWS:*")]
            if world:
                reasons.append("any principal (*)")
            elif statement.owner in old_owners:
                new_principals = [p for p in statement.principals if p not in known_principals]
                if new_principals:
                    reasons.append(f"new principal {', '.join(new_principals)}")
            # The same grant existed with a condition that is now gone or shorter.
            # A grant that existed under a condition and now has a shorter one or none (possibly
            # merged with more principals, actions or resources: aws-cdk-lib minimizes policies).
            for gone in sorted(old - new, key=Statement.describe):
                if (gone.owner, gone.effect) == (statement.owner, statement.effect) and gone.conditions \
                        and len(statement.conditions) < len(gone.conditions) \
                        and all(set(getattr(gone, f)) <= set(getattr(statement, f)) for f in ("actions", "resources", "principals")):
                    reasons.append(f"condition removed (was {gone.conditions})")
        out.append(IamChange(stack, "added", statement, reasons))
    for statement in sorted(old - new, key=lambda s: (s.owner, s.describe())):
        reasons = []
        # A deny that goes away with what it protected is no loss; one whose target stays is.
        if statement.effect == "Deny" and any(t in still_there for t in statement.targets):
            reasons.append("TLS-only (aws:SecureTransport) deny removed" if "aws:SecureTransport" in statement.conditions
                           else "deny removed")
        out.append(IamChange(stack, "removed", statement, reasons))
    return out


def _sg_rules(template: dict) -> set[Rule]:
    out: set[Rule] = set()

    def add(group: str, direction: str, rule: dict) -> None:
        protocol = str(rule.get("IpProtocol", "-1"))
        protocol = "all" if protocol == "-1" else protocol
        low, high = rule.get("FromPort"), rule.get("ToPort")
        ports = "all ports" if protocol == "all" or low is None else (f"{low}" if low == high else f"{low}-{high}")
        for key in ("CidrIp", "CidrIpv6", "SourceSecurityGroupId", "DestinationSecurityGroupId",
                    "SourcePrefixListId", "DestinationPrefixListId"):
            if key in rule:
                out.add(Rule(group, direction, protocol, ports, render(rule[key])))

    for lid, resource in (template.get("Resources") or {}).items():
        kind, props = resource.get("Type"), resource.get("Properties") or {}
        if kind == "AWS::EC2::SecurityGroup":
            for rule in _list(props.get("SecurityGroupIngress")):
                add(lid, "ingress", rule)
            for rule in _list(props.get("SecurityGroupEgress")):
                add(lid, "egress", rule)
        elif kind in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
            group = _owner(props.get("GroupId") or props.get("GroupName"))
            add(group, "ingress" if kind.endswith("Ingress") else "egress", props)
    return out


def sg_changes(stack: str, base: dict | None, head: dict | None) -> list[RuleChange]:
    old, new = _sg_rules(base or {}), _sg_rules(head or {})
    out = [RuleChange(stack, "added", r, r.peer in WORLD) for r in sorted(new - old, key=Rule.describe)]
    out += [RuleChange(stack, "removed", r, r.peer in WORLD) for r in sorted(old - new, key=Rule.describe)]
    return out


# (type, property path, what it is, is the value the secure one?)
_TRUE = (lambda v: v is True or v == "true")
SETTINGS: list[tuple[str, tuple[str, ...], str, object]] = [
    ("AWS::S3::Bucket", ("BucketEncryption",), "encryption", lambda v: v is not None),
    *[("AWS::S3::Bucket", ("PublicAccessBlockConfiguration", k), "public access block", _TRUE)
      for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")],
    ("AWS::RDS::DBInstance", ("StorageEncrypted",), "encryption", _TRUE),
    ("AWS::RDS::DBCluster", ("StorageEncrypted",), "encryption", _TRUE),
    ("AWS::RDS::DBInstance", ("PubliclyAccessible",), "public access", lambda v: not _TRUE(v)),
    ("AWS::RDS::DBParameterGroup", ("Parameters", "rds.force_ssl"), "TLS", lambda v: str(v) == "1"),
    ("AWS::RDS::DBClusterParameterGroup", ("Parameters", "rds.force_ssl"), "TLS", lambda v: str(v) == "1"),
    ("AWS::DynamoDB::Table", ("SSESpecification", "SSEEnabled"), "encryption", _TRUE),
    ("AWS::SQS::Queue", ("KmsMasterKeyId",), "encryption", lambda v: v is not None),
    ("AWS::SNS::Topic", ("KmsMasterKeyId",), "encryption", lambda v: v is not None),
    ("AWS::Logs::LogGroup", ("KmsKeyId",), "encryption", lambda v: v is not None),
    ("AWS::EFS::FileSystem", ("Encrypted",), "encryption", _TRUE),
    ("AWS::Kinesis::Stream", ("StreamEncryption",), "encryption", lambda v: v is not None),
    ("AWS::ElastiCache::ReplicationGroup", ("AtRestEncryptionEnabled",), "encryption", _TRUE),
    ("AWS::ElastiCache::ReplicationGroup", ("TransitEncryptionEnabled",), "TLS", _TRUE),
    ("AWS::ElasticLoadBalancingV2::Listener", ("Protocol",), "TLS", lambda v: v in ("HTTPS", "TLS")),
    ("AWS::ElasticLoadBalancingV2::LoadBalancer", ("Scheme",), "public access", lambda v: v == "internal"),
    ("AWS::EC2::Subnet", ("MapPublicIpOnLaunch",), "public access", lambda v: not _TRUE(v)),
    ("AWS::ECS::Service", ("NetworkConfiguration", "AwsvpcConfiguration", "AssignPublicIp"), "public access",
     lambda v: v != "ENABLED"),
    ("AWS::OpenSearchService::Domain", ("EncryptionAtRestOptions", "Enabled"), "encryption", _TRUE),
    ("AWS::OpenSearchService::Domain", ("NodeToNodeEncryptionOptions", "Enabled"), "TLS", _TRUE),
    ("AWS::OpenSearchService::Domain", ("DomainEndpointOptions", "EnforceHTTPS"), "TLS", _TRUE),
    ("AWS::EKS::Cluster", ("ResourcesVpcConfig", "EndpointPublicAccess"), "public access", lambda v: v is False),
]


def _get(props: dict, path: tuple[str, ...]) -> object:
    value: object = props
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def settings_turned_off(stack: str, base: dict | None, head: dict | None) -> list[SettingChange]:
    """Secure settings a resource had in the base and no longer has (same logical id)."""
    out = []
    old_resources = (base or {}).get("Resources") or {}
    for lid, resource in ((head or {}).get("Resources") or {}).items():
        old = old_resources.get(lid)
        if not old or old.get("Type") != resource.get("Type"):
            continue
        for kind, path, what, secure in SETTINGS:
            if resource.get("Type") != kind:
                continue
            before, after = _get(old.get("Properties") or {}, path), _get(resource.get("Properties") or {}, path)
            if secure(before) and not secure(after):  # type: ignore[operator]
                out.append(SettingChange(stack, lid, kind, f"{what}: {'.'.join(path)}",
                                         render(before) if before is not None else "(unset)",
                                         render(after) if after is not None else "(unset)"))
    return out




