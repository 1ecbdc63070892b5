"""The questions of each service skeleton, derived from the tier's configuration model.

Names, types, enums, defaults, patterns and bounds come from the pydantic fields' JSON Schema;
this module only chooses which fields are asked per tier, groups them into form pages, narrows an
enum where the skeleton supports less than the construct (the Lambda skeleton ships a Python
handler) and adds the few answers only the skeleton needs (description, repository, region,
stagelift requirement).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from pydantic import BaseModel

from stagelift import __version__
from stagelift.config import (
    FARGATE_MEMORY_BY_CPU,
    LOG_RETENTION_DAYS,
    STAGE_BY_TIER,
    EksPlatformConfig,
    EksServiceConfig,
    FargateServiceConfig,
    LambdaServiceConfig,
)
from stagelift.config.base import AWS_ACCOUNT_PATTERN, AWS_REGION_PATTERN

JsonType = Literal["string", "integer", "boolean"]

# Default pip requirement the generated infra/ installs: this release, as a published release
# installs it (from PyPI or the index pip is configured with). A platform team that ships
# stagelift elsewhere (a fork's git URL, a wheel) sets the answer once: cookiecutters/README.md.
DEFAULT_STAGELIFT_REQUIREMENT = f"stagelift=={__version__}"
GITHUB_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}$"
GITHUB_REPO_PATTERN = r"^[A-Za-z0-9._-]{1,100}$"


@dataclass(frozen=True)
class Question:
    """One answer of a skeleton: its JSON Schema, where it is asked and its cookiecutter default."""

    name: str
    schema: Mapping[str, object]
    page: str
    optional: bool = False
    # Asked in the Software Template form; False = filled by the template itself (fixed value or
    # derived from another parameter, e.g. the repository picker).
    in_form: bool = True
    from_model: bool = True
    ui: Mapping[str, object] = field(default_factory=dict)
    # cookiecutter.json default when it is not the schema's (e.g. a Jinja expression).
    cookiecutter_default: object = None

    @property
    def type(self) -> JsonType:
        return self.schema["type"]  # type: ignore[return-value]

    @property
    def default(self) -> object:
        """The cookiecutter default: the schema's, "" for an unset optional answer."""
        if self.cookiecutter_default is not None:
            return self.cookiecutter_default
        return self.schema.get("default", "")

    def rule(self) -> dict[str, object]:
        """What :mod:`stagelift.scaffolding.rules` checks for this answer."""
        keys = ("type", "enum", "pattern", "minimum", "maximum", "description")
        rule: dict[str, object] = {k: self.schema[k] for k in keys if k in self.schema}
        if self.optional:
            rule["optional"] = True
        return rule


@dataclass(frozen=True)
class TierSpec:
    tier: str
    model: type[BaseModel]
    title: str
    summary: str
    runtime_tag: str
    questions: tuple[Question, ...]
    # Extra JSON Schema keywords per form page (cross-field rules the form can express).
    page_rules: Mapping[str, Mapping[str, object]] = field(default_factory=dict)

    @property
    def stage(self) -> int:
        return STAGE_BY_TIER[self.tier]

    @property
    def folder(self) -> str:
        return f"{self.tier}-service"

    def question(self, name: str) -> Question:
        return next(q for q in self.questions if q.name == name)


def _field_schema(model: type[BaseModel], name: str) -> tuple[dict[str, object], bool]:
    """JSON Schema of one model field without the null branch, and whether it is optional."""
    properties = model.model_json_schema(by_alias=False)["properties"]
    schema = dict(properties[name])
    optional = False
    if "anyOf" in schema:
        branches = [b for b in schema.pop("anyOf") if b.get("type") != "null"]
        (branch,) = branches
        schema.update(branch)
        optional = True
    if schema.get("default", "") is None:
        del schema["default"]  # unset optional: no default in the form, "" in cookiecutter.json
    return schema, optional


def from_model(
    model: type[BaseModel],
    name: str,
    page: str,
    *,
    title: str | None = None,
    ui: Mapping[str, object] | None = None,
    **overrides: object,
) -> Question:
    """A question whose rules are the model field's; ``overrides`` narrow them (never widen)."""
    schema, optional = _field_schema(model, name)
    schema.update(overrides)
    if title:
        schema["title"] = title
    ordered = {k: schema[k] for k in ("title", "description", "type") if k in schema}
    ordered.update({k: v for k, v in schema.items() if k not in ordered})
    return Question(name=name, schema=ordered, page=page, optional=optional, ui=dict(ui or {}))


def _skeleton(name: str, page: str, schema: Mapping[str, object], **kwargs: object) -> Question:
    return Question(name=name, schema=dict(schema), page=page, from_model=False, **kwargs)  # type: ignore[arg-type]


SERVICE = "Service"
RUNTIME = "Runtime"
DATA = "Supporting services"
REPOSITORY = "Repository"


def _identity(model: type[BaseModel]) -> list[Question]:
    return [
        from_model(model, "service_name", SERVICE, title="Service name", ui={"ui:autofocus": True}),
        _skeleton(
            "description",
            SERVICE,
            {"title": "Description", "description": "One sentence: what the service does", "type": "string", "default": "A stagelift service", "pattern": "^[^\"\\\\{}]{1,200}$"},
        ),
        from_model(
            model,
            "owner",
            SERVICE,
            ui={"ui:field": "OwnerPicker", "ui:options": {"catalogFilter": {"kind": "Group"}}},
        ),
        from_model(
            model,
            "system",
            SERVICE,
            ui={"ui:field": "EntityPicker", "ui:options": {"catalogFilter": {"kind": "System"}, "defaultKind": "System", "defaultNamespace": "default"}},
        ),
        from_model(model, "environment", SERVICE),
    ]


def _operations(model: type[BaseModel]) -> list[Question]:
    return [
        _skeleton(
            "aws_region",
            RUNTIME,
            {"title": "AWS region", "description": "Region the service is deployed to", "type": "string", "default": "us-east-1", "pattern": AWS_REGION_PATTERN},
        ),
        from_model(model, "log_retention_days", RUNTIME, title="Log retention (days)", enum=list(LOG_RETENTION_DAYS)),
        from_model(model, "alarm_email", RUNTIME, title="Alarm e-mail", ui={"ui:help": "Leave empty for no e-mail subscription"}),
    ]


def _repository() -> list[Question]:
    # In the portal both come from the RepoUrlPicker (parameter repoUrl); the CLI asks them.
    return [
        _skeleton(
            "github_org",
            REPOSITORY,
            {"title": "GitHub organization", "description": "Owner of the service's repository", "type": "string", "default": "example-org", "pattern": GITHUB_NAME_PATTERN},
            in_form=False,
        ),
        _skeleton(
            "github_repo",
            REPOSITORY,
            {"title": "GitHub repository", "description": "Repository name (default: the service name)", "type": "string", "pattern": GITHUB_REPO_PATTERN},
            in_form=False,
            cookiecutter_default="{{ cookiecutter.service_name }}",
        ),
        _skeleton(
            "stagelift_requirement",
            REPOSITORY,
            {"title": "stagelift requirement", "description": "pip requirement naming where stagelift comes from (infra/requirements.txt adds the extras the tier needs)", "type": "string", "default": DEFAULT_STAGELIFT_REQUIREMENT, "pattern": r"^\S.*$"},
            in_form=False,
        ),
    ]


def _service_environment(model: type[BaseModel]) -> Question:
    # Generated services attach to the platform's service environment unless told "standalone".
    return from_model(
        model,
        "service_environment",
        SERVICE,
        title="Service environment",
        default="shared",
        ui={"ui:help": "The service environment (shared load balancer, cluster, VPC) to join; standalone = its own, for sandboxes"},
    )


def _lambda() -> TierSpec:
    m = LambdaServiceConfig
    python_runtimes = [r for r in m.model_json_schema()["properties"]["runtime"]["enum"] if r.startswith("python")]
    questions = [
        *_identity(m),
        # The skeleton ships a Python handler: only the model's Python runtimes are offered.
        from_model(m, "runtime", RUNTIME, enum=python_runtimes),
        from_model(m, "architecture", RUNTIME),
        from_model(m, "memory_mib", RUNTIME, title="Memory (MiB)"),
        from_model(m, "timeout_seconds", RUNTIME, title="Timeout (seconds)"),
        from_model(m, "reserved_concurrency", RUNTIME, title="Reserved concurrency"),
        from_model(m, "tracing", RUNTIME, title="X-Ray tracing"),
        *_operations(m),
        from_model(m, "enable_table", DATA, title="DynamoDB table"),
        from_model(m, "enable_queue", DATA, title="SQS queue"),
        from_model(m, "enable_bucket", DATA, title="S3 bucket"),
        from_model(m, "schedule_expression", DATA, title="Schedule", ui={"ui:placeholder": "rate(5 minutes)"}),
        *_repository(),
    ]
    return TierSpec("lambda", m, "AWS Lambda service (stage 1)", "A Python function on AWS Lambda with optional DynamoDB table, SQS queue, S3 bucket and schedule", "lambda", tuple(questions))


def _fargate() -> TierSpec:
    m = FargateServiceConfig
    memories = sorted({mem for mems in FARGATE_MEMORY_BY_CPU.values() for mem in mems})
    pairs = "; ".join(f"{cpu}: {mems[0]}-{mems[-1]}" for cpu, mems in FARGATE_MEMORY_BY_CPU.items())
    questions = [
        *_identity(m),
        _service_environment(m),
        # On the page of `environment`: the form's rule "production needs HTTPS" refers to both.
        from_model(m, "domain_name", SERVICE, title="Domain name", ui={"ui:placeholder": "orders.example.com", "ui:help": "Required in production (HTTPS); without it the load balancer serves plain HTTP"}),
        from_model(m, "hosted_zone_id", SERVICE, title="Route 53 hosted zone id", ui={"ui:help": "With the zone name: the stack issues the certificate and the DNS record"}),
        from_model(m, "hosted_zone_name", SERVICE, title="Route 53 hosted zone name", ui={"ui:placeholder": "example.com"}),
        from_model(m, "certificate_arn", SERVICE, title="ACM certificate ARN", ui={"ui:help": "An existing certificate for the domain, instead of a hosted zone"}),
        from_model(m, "cpu", RUNTIME, title="CPU units", enum=list(FARGATE_MEMORY_BY_CPU)),
        from_model(
            m,
            "memory_mib",
            RUNTIME,
            title="Memory (MiB)",
            enum=memories,
            ui={"ui:help": f"Fargate accepts, per CPU units, memory (MiB) {pairs}"},
        ),
        from_model(m, "container_port", RUNTIME, title="Container port"),
        from_model(m, "desired_count", RUNTIME, title="Tasks"),
        from_model(m, "min_capacity", RUNTIME, title="Minimum tasks"),
        from_model(m, "max_capacity", RUNTIME, title="Maximum tasks"),
        *_operations(m),
        from_model(m, "database", DATA, title="PostgreSQL database"),
        from_model(m, "enable_redis", DATA, title="Redis cache"),
        from_model(m, "enable_messaging", DATA, title="SNS topic + SQS queue"),
        *_repository(),
    ]
    # The CPU/memory pairs Fargate accepts, as conditions the portal's form checks (the CLI's hook
    # checks them through the model).
    pairs_rule = {
        "allOf": [
            {"if": {"properties": {"cpu": {"const": cpu}}, "required": ["cpu"]}, "then": {"properties": {"memory_mib": {"enum": list(mems)}}}}
            for cpu, mems in FARGATE_MEMORY_BY_CPU.items()
        ]
    }
    # FargateServiceConfig's HTTPS rules, as the portal's form can check them (the CLI's hook
    # checks them through the model): production needs a domain; a domain needs a zone or a
    # certificate; zone id and name go together.
    https_rule = {
        "allOf": [
            {
                "if": {"properties": {"environment": {"const": "production"}, "service_environment": {"const": "standalone"}}, "required": ["environment", "service_environment"]},
                "then": {"required": ["domain_name"]},
            },
            {"if": {"required": ["domain_name"]}, "then": {"anyOf": [{"required": ["hosted_zone_id", "hosted_zone_name"]}, {"required": ["certificate_arn"]}]}},
        ],
        "dependencies": {
            "hosted_zone_id": ["hosted_zone_name", "domain_name"],
            "hosted_zone_name": ["hosted_zone_id", "domain_name"],
            "certificate_arn": ["domain_name"],
        },
    }
    return TierSpec(
        "fargate",
        m,
        "AWS ECS Fargate service (stage 2)",
        "A containerized HTTP service on ECS Fargate behind a load balancer, with optional PostgreSQL, Redis and messaging",
        "ecs",
        tuple(questions),
        page_rules={SERVICE: https_rule, RUNTIME: pairs_rule},
    )


def _eks() -> TierSpec:
    m = EksServiceConfig
    questions = [
        *_identity(m),
        _service_environment(m),
        from_model(m, "namespace", RUNTIME, title="Kubernetes namespace"),
        from_model(m, "replicas", RUNTIME),
        from_model(m, "container_port", RUNTIME, title="Container port"),
        from_model(m, "cpu_request", RUNTIME, title="CPU request"),
        from_model(m, "cpu_limit", RUNTIME, title="CPU limit"),
        from_model(m, "memory_request", RUNTIME, title="Memory request"),
        from_model(m, "memory_limit", RUNTIME, title="Memory limit"),
        from_model(m, "enable_hpa", RUNTIME, title="Horizontal Pod Autoscaler"),
        from_model(m, "min_replicas", RUNTIME, title="Minimum replicas"),
        from_model(m, "max_replicas", RUNTIME, title="Maximum replicas"),
        from_model(m, "ingress_class", RUNTIME, title="Ingress class"),
        from_model(m, "host", RUNTIME, title="Ingress host", ui={"ui:placeholder": "orders.example.com"}),
        *_operations(m),
        _skeleton(
            "aws_account_id",
            RUNTIME,
            {"title": "AWS account", "description": "Account of the shared EKS platform: the manifests name the pod role and image by account", "type": "string", "default": "123456789012", "pattern": AWS_ACCOUNT_PATTERN},
        ),
        # The shared cluster the service runs on: EksPlatformConfig's rule for its name.
        replace(from_model(EksPlatformConfig, "cluster_name", RUNTIME, title="EKS cluster"), from_model=False),
        # The image is built for the nodes' architecture (published as the platform's node-architecture parameter).
        from_model(m, "architecture", RUNTIME, title="Node architecture"),
        from_model(m, "enable_database", DATA, title="Aurora PostgreSQL"),
        from_model(m, "enable_redis", DATA, title="Redis cache"),
        from_model(m, "enable_fifo_queue", DATA, title="SQS FIFO queue"),
        *_repository(),
    ]
    return TierSpec("eks", m, "Amazon EKS service (stage 3)", "A containerized HTTP service on the shared EKS cluster, delivered by Argo CD, with optional Aurora, Redis and a FIFO queue", "kubernetes", tuple(questions))


TIERS: dict[str, TierSpec] = {spec.tier: spec for spec in (_lambda(), _fargate(), _eks())}
