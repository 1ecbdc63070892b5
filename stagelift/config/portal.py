"""Backstage portal configuration: one profile per environment, overridable key by key.

Values come from CDK context (``cdk.json`` or ``-c key=value``) and are validated here,
before any construct exists. Sizing follows the reference tables for a Backstage portal
on ECS Fargate with RDS PostgreSQL (development / staging / production).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import json
import re
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from .base import (
    ACM_CERTIFICATE_ARN_PATTERN,
    AWS_ACCOUNT_PATTERN,
    AWS_REGION_PATTERN,
    DOMAIN_NAME_PATTERN,
    EMAIL_PATTERN,
    HOSTED_ZONE_ID_PATTERN,
    LogRetentionDays,
    StageliftModel,
    check_fargate_size,
    is_subdomain_of,
)
from .errors import validate
from .network import VpcCidr, subnet_layout

Environment = Literal["development", "staging", "production"]
ENVIRONMENTS: tuple[Environment, ...] = ("development", "staging", "production")
MfaMode = Literal["OFF", "OPTIONAL", "ON"]
RepositoryEncryption = Literal["AES256", "KMS"]
AVAILABILITY_ZONE_PATTERN = r"[a-z]{2}(-gov)?-[a-z]+-[0-9][a-z]"
HTTPS_URL_PATTERN = r"^https://([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(:[0-9]{1,5})?(/[^\s?#]*)?(\?[^\s#]*)?$"
SECRETS_MANAGER_ARN_PATTERN = r"^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-gov)?-[a-z]+-[0-9]:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$"
GITHUB_ORGANIZATION_PATTERN = r"^[A-Za-z0-9](-?[A-Za-z0-9]){0,38}$"
# A complete secret ARN ends in "-" and the 6 characters Secrets Manager appends to the name.
SECRETS_MANAGER_COMPLETE_ARN_PATTERN = r"^arn:[^:]+:secretsmanager:[^:]+:[0-9]{12}:secret:.+-[A-Za-z0-9]{6}$"
KMS_KEY_ARN_PATTERN = r"^arn:aws[a-z-]*:kms:[a-z]{2}(-gov)?-[a-z]+-[0-9]:[0-9]{12}:key/[0-9a-f-]{36}$"
# Sign-in resolvers of Backstage's OIDC auth provider (@backstage/plugin-auth-backend-module-oidc-provider 0.4).
SignInResolver = Literal["emailMatchingUserEntityProfileEmail", "emailLocalPartMatchingUserEntityName"]
GITHUB_OIDC_PROVIDER_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\.actions\.githubusercontent\.com$"
# Names Cognito keeps for its own users and its social providers.
RESERVED_PROVIDER_NAMES = frozenset({"cognito", "google", "facebook", "loginwithamazon", "signinwithapple"})
# Regions without CloudFront VPC origins (AWS::CloudFront::VpcOrigin is not in their CloudFormation registry).
NO_VPC_ORIGIN_REGION_PREFIXES = ("us-gov-", "cn-")
# The e-mail claim most SAML identity providers (Entra ID, AD FS, Okta's default) send.
SAML_EMAIL_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"


class PortalConfig(StageliftModel):
    """Everything the portal stack needs. Every field is a CDK context key (camelCase)."""

    # --- identity and placement -------------------------------------------------------------
    environment: Environment = Field(description="Profile that sets every default below")
    portal_name: str = Field(
        default="backstage",
        pattern=r"^[a-z][a-z0-9-]{1,20}[a-z0-9]$",
        description="Short name used in resource names and tags",
    )
    account: str | None = Field(default=None, pattern=AWS_ACCOUNT_PATTERN, description="Target AWS account id; unset = the account of the credentials cdk deploy runs with")
    region: str = Field(
        default="us-east-1",
        pattern=AWS_REGION_PATTERN,
        description="Target AWS region (load balancer logging needs it at synth time; not read from your AWS profile, so templates do not depend on who synthesizes)",
    )
    availability_zones: tuple[str, ...] | None = Field(
        default=None,
        description="AZ names to use (comma-separated on the command line); unset = the first maxAzs zones CloudFormation finds in the region at deploy time (Fn::GetAZs: no name is guessed or looked up). With vpcId: the zones of the given subnets",
    )

    # --- DNS and TLS ---------------------------------------------------------------------------
    domain_name: str | None = Field(default=None, pattern=DOMAIN_NAME_PATTERN, description="Portal host name, e.g. backstage.example.com")
    hosted_zone_id: str | None = Field(default=None, pattern=HOSTED_ZONE_ID_PATTERN, description="Route 53 hosted zone id holding domainName")
    hosted_zone_name: str | None = Field(default=None, pattern=DOMAIN_NAME_PATTERN, description="Route 53 hosted zone name, e.g. example.com")
    certificate_arn: str | None = Field(
        default=None,
        pattern=ACM_CERTIFICATE_ARN_PATTERN,
        description="Existing ACM certificate for domainName instead of a DNS-validated one",
    )

    # --- image -------------------------------------------------------------------------------------
    image_tag: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$",
        description="Tag of a prebuilt image in the portal's ECR repository; with no imageTag, imageUri or portalAppPath the service runs 0 tasks",
    )
    image_uri: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[A-Za-z0-9_.-]+|@sha256:[0-9a-f]{64})$",
        description="Full image reference from another registry instead of the portal's ECR repository",
    )

    # --- network -------------------------------------------------------------------------------
    max_azs: int = Field(ge=2, le=6, description="Availability zones the VPC spans")
    nat_gateways: int = Field(ge=1, le=6, description="NAT gateways (1 = shared, cheaper; one per AZ = zonal resilience)")
    vpc_cidr: VpcCidr = Field(
        default="10.0.0.0/16",
        description="VPC CIDR block, /16 to /24. Subnet sizes follow it: per AZ a private subnet of 1/16 of the block, public and isolated subnets of 1/256 (at least /27 public, /28 otherwise; a /16 gives /24, /20, /24); a /24 fits 4 AZs. With vpcId: the existing VPC's block (required; endpoints accept HTTPS from it)",
    )

    vpc_id: str | None = Field(default=None, pattern=r"^vpc-[0-9a-f]{8,17}$", description="Existing VPC to use instead of creating one (needs vpcCidr, availabilityZones and the three subnet id lists)")
    public_subnet_ids: tuple[str, ...] | None = Field(default=None, description="Existing VPC: public subnets for the load balancer, one per AZ (comma-separated)")
    private_subnet_ids: tuple[str, ...] | None = Field(default=None, description="Existing VPC: private subnets with egress for the tasks, one per AZ (comma-separated)")
    isolated_subnet_ids: tuple[str, ...] | None = Field(default=None, description="Existing VPC: isolated subnets for the database, one per AZ (comma-separated)")
    private_subnet_route_table_ids: tuple[str, ...] | None = Field(
        default=None,
        description="Existing VPC with vpcEndpoints: route tables of privateSubnetIds, in the same order (comma-separated); the S3 gateway endpoint adds its route to them",
    )
    nat_instance: bool = Field(description="Use one NAT instance (t4g.nano) instead of NAT gateways: about $30/month cheaper, not highly available")
    vpc_endpoints: bool = Field(description="Interface endpoints for ECR, Secrets Manager, CloudWatch Logs and an S3 gateway endpoint, so task traffic stays off the NAT (with vpcId: false when the VPC already has them, a private DNS name exists once per VPC)")
    flow_logs: bool = Field(description="VPC flow logs to a KMS-encrypted log group (retention logRetentionDays)")

    # --- database ------------------------------------------------------------------------------
    database_instance_class: str = Field(pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$", description="RDS instance class, e.g. db.t3.micro")
    database_allocated_storage_gib: int = Field(ge=20, le=65536, description="Initial gp3 storage (GiB)")
    database_max_allocated_storage_gib: int = Field(ge=20, le=65536, description="Storage autoscaling ceiling (GiB)")
    database_multi_az: bool = Field(description="Standby in a second AZ")
    database_backup_retention_days: int = Field(ge=1, le=35, description="Automated backup retention (days)")
    database_deletion_protection: bool = Field(description="Refuse to delete the database instance")
    performance_insights_retention_days: int = Field(default=7, description="Performance Insights retention: 7 (free tier) or a multiple of 31 up to 731")

    rotate_database_credentials: bool = Field(description="Rotate the database password on a schedule with the alternating-users strategy (running tasks keep working)")
    rotation_days: int = Field(default=30, ge=1, le=365, description="Days between database credential rotations")

    # --- service ---------------------------------------------------------------------------------
    task_cpu: int = Field(description="Fargate task CPU units")
    task_memory_mib: int = Field(description="Fargate task memory (MiB), a size Fargate accepts for taskCpu")
    desired_count: int = Field(ge=0, le=100, description="Tasks to run once an image exists")
    min_capacity: int = Field(ge=1, le=100, description="Autoscaling floor")
    max_capacity: int = Field(ge=1, le=100, description="Autoscaling ceiling")
    fargate_spot: bool = Field(description="Run tasks on Fargate Spot (cheaper, can be interrupted)")
    cpu_target_percent: int = Field(default=70, ge=10, le=95, description="Target average CPU for scaling")
    memory_target_percent: int = Field(default=80, ge=10, le=95, description="Target average memory for scaling")
    log_retention_days: LogRetentionDays = Field(description="Container and database log retention (days)")

    portal_app_path: str | None = Field(
        default=None,
        description="Backstage app folder built into the image by cdk deploy (its Dockerfile); this repository's app.py defaults it to portal/app unless imageTag or imageUri is set, and none = no image",
    )

    # --- auth ----------------------------------------------------------------------------------------
    mfa: MfaMode = Field(description="Cognito MFA: OFF, OPTIONAL or ON")

    # --- federation with the company's identity provider (one of SAML or OIDC) -------------------
    saml_metadata_url: str | None = Field(
        default=None,
        pattern=HTTPS_URL_PATTERN,
        description="SAML identity provider: its metadata URL (https); Cognito registers it and the portal's sign-in page offers it",
    )
    saml_email_attribute: str = Field(
        default=SAML_EMAIL_CLAIM,
        min_length=1,
        max_length=256,
        description="SAML assertion attribute holding the user's e-mail, mapped to Cognito's email",
    )
    oidc_issuer: str | None = Field(
        default=None,
        pattern=HTTPS_URL_PATTERN,
        description="OIDC identity provider: issuer URL (https, serves /.well-known/openid-configuration); needs oidcClientId and oidcClientSecretArn",
    )
    oidc_client_id: str | None = Field(default=None, pattern=r"^[\x21-\x7e]{1,255}$", description="OIDC identity provider: client id registered for the portal's Cognito domain")
    oidc_client_secret_arn: str | None = Field(
        default=None,
        pattern=SECRETS_MANAGER_ARN_PATTERN,
        description="OIDC identity provider: Secrets Manager secret whose whole SecretString is the client secret; read by CloudFormation at deploy time (dynamic reference), never in the template",
    )
    identity_provider_name: str = Field(
        default="Company",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9.-]{1,30}[A-Za-z0-9]$",
        description="Name of the federated provider in Cognito (3-32 letters, digits, '.' or '-'; no spaces), shown on its sign-in button",
    )
    local_users: bool = Field(
        default=True,
        description="Cognito's own users (e-mail and password) may sign in; false (needs samlMetadataUrl or oidcIssuer) leaves only the company's identity provider",
    )

    # --- GitHub: TechDocs publishing from GitHub Actions, and the portal's GitHub App ---------------
    github_organization: str | None = Field(
        default=None,
        pattern=GITHUB_ORGANIZATION_PATTERN,
        description=(
            "GitHub organisation, spelt as on GitHub (the trust condition is case-sensitive), whose repositories may publish TechDocs to the portal's bucket "
            "(an IAM role trusted by GitHub OIDC); with githubAppSecretArn also the organisation the portal publishes to and discovers repositories, users and teams in; unset = no role"
        ),
    )
    github_oidc_provider_arn: str | None = Field(
        default=None,
        pattern=GITHUB_OIDC_PROVIDER_ARN_PATTERN,
        description="The account's existing IAM OIDC provider for token.actions.githubusercontent.com (an account has at most one); unset = the stack creates it",
    )

    github_app_secret_arn: str | None = Field(
        default=None,
        pattern=SECRETS_MANAGER_ARN_PATTERN,
        description=(
            "Complete ARN (with Secrets Manager's 6-character suffix) of a secret holding the portal's GitHub App as JSON with the keys "
            "appId, clientId, clientSecret, webhookSecret, privateKey (PEM), each injected into the task; needs githubOrganization. "
            "Turns on publish:github, discovery of the organisation's catalog-info.yaml files and its users and teams; unset = no GitHub integration"
        ),
    )
    github_app_secret_key_arn: str | None = Field(
        default=None,
        pattern=KMS_KEY_ARN_PATTERN,
        description="Customer-managed KMS key that encrypts githubAppSecretArn, which the task's execution role may then decrypt with; unset = the secret uses the AWS managed key",
    )
    sign_in_resolver: SignInResolver = Field(
        default="emailMatchingUserEntityProfileEmail",
        description=(
            "How a signed-in e-mail finds its User entity: emailMatchingUserEntityProfileEmail (spec.profile.email, which GitHub org ingestion fills only "
            "from e-mails the App may read) or emailLocalPartMatchingUserEntityName (the part before @ is the entity name, e.g. the GitHub login)"
        ),
    )

    # --- edge and data retention ---------------------------------------------------------------
    waf: bool = Field(
        description="AWS WAF web ACL on the load balancer: a per-address rate limit and AWS managed rule groups (the 8 KB body limit spares POSTs to /api/scaffolder/ and /api/catalog/), with logs kept"
    )
    customer_managed_key: bool = Field(
        description="One customer-managed KMS key (yearly rotation) for the portal's secrets and log groups, instead of AWS managed keys ($1 a month)"
    )
    repository_encryption: RepositoryEncryption = Field(
        default="AES256",
        description=(
            "ECR repository encryption, fixed when the repository is created: KMS (the portal's key; needs customerManagedKey) for a new deployment; "
            "AES256 keeps the repository of a portal deployed before this option existed (changing it replaces the repository)"
        ),
    )
    waf_rate_limit: int = Field(
        default=5000,
        ge=10,
        le=2_000_000_000,
        description="Requests one IP address may send in 5 minutes before WAF blocks it; raise it when many users share one egress address (corporate NAT or proxy)",
    )
    load_balancer_deletion_protection: bool = Field(description="Refuse to delete the load balancer")
    retain_data: bool = Field(description="Keep database snapshot, buckets, repository and user pool when the stack is deleted")
    alarm_email: str | None = Field(default=None, pattern=EMAIL_PATTERN, description="Subscribe this address to the alarm topic")
    production_overrides: dict[str, str] = Field(
        default_factory=dict,
        description="Production only: the reason for each production safeguard you weaken, keyed by its context key "
        '(e.g. {"mfa": "SSO enforces MFA upstream"}); recorded in the acknowledgments and the template metadata',
    )

    @field_validator("production_overrides", mode="before")
    @classmethod
    def _parse_overrides(cls, value: object) -> object:
        # `cdk synth -c productionOverrides='{"mfa": "..."}'` passes a JSON string.
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError as error:
                raise ValueError(f"expected a JSON object of setting -> reason ({error.msg})") from None
        return value

    @field_validator("availability_zones", "public_subnet_ids", "private_subnet_ids", "isolated_subnet_ids", "private_subnet_route_table_ids", mode="before")
    @classmethod
    def _split_lists(cls, value: object) -> object:
        # `cdk synth -c privateSubnetIds=subnet-a,subnet-b` passes a string; cdk.json may hold a list.
        if isinstance(value, str):
            return tuple(item.strip() for item in value.split(",") if item.strip())
        return value

    @property
    def has_domain(self) -> bool:
        return self.domain_name is not None

    @property
    def has_image(self) -> bool:
        """An image to run exists or is built: an ECR tag, an image URI, or a Backstage app to build."""
        return self.image_tag is not None or self.image_uri is not None or self.portal_app_path is not None

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @model_validator(mode="after")
    def _check_combinations(self) -> Self:
        check_fargate_size(self.task_cpu, self.task_memory_mib, "taskCpu", "taskMemoryMib")
        dns = {"domainName": self.domain_name, "hostedZoneId": self.hosted_zone_id, "hostedZoneName": self.hosted_zone_name}
        given = [k for k, v in dns.items() if v is not None]
        if self.certificate_arn is not None:
            if self.domain_name is None:
                raise ValueError("certificateArn is set but domainName is not: the certificate must name the portal's host")
            if self.hosted_zone_id is not None or self.hosted_zone_name is not None:
                raise ValueError(
                    "certificateArn and hostedZoneId/hostedZoneName are both set: give an existing certificate "
                    "(you manage DNS) or a hosted zone (the stack creates certificate and record), not both"
                )
        elif given and len(given) != 3:
            missing = ", ".join(k for k in dns if dns[k] is None)
            raise ValueError(f"domainName, hostedZoneId and hostedZoneName go together; missing: {missing}")
        if self.domain_name is None and self.environment != "development":
            raise ValueError(
                f"environment = {self.environment!r} needs domainName with hostedZoneId and hostedZoneName "
                "(or certificateArn): only development may go without a domain, served by CloudFront on its own "
                "*.cloudfront.net name (whose certificate allows TLS 1.0, and no web ACL at the edge)"
            )
        if self.domain_name is None and self.region.startswith(NO_VPC_ORIGIN_REGION_PREFIXES):
            raise ValueError(
                f"region = {self.region!r} without domainName: a portal without a domain is served by CloudFront through a VPC origin, "
                "which AWS GovCloud (US) and China regions lack; give domainName with hostedZoneId and hostedZoneName (or certificateArn)"
            )
        if self.domain_name and self.hosted_zone_name and not is_subdomain_of(self.domain_name, self.hosted_zone_name):
            raise ValueError(f"domainName = {self.domain_name!r} is not inside hostedZoneName = {self.hosted_zone_name!r}")
        image_sources = [k for k, v in {"imageTag": self.image_tag, "imageUri": self.image_uri, "portalAppPath": self.portal_app_path}.items() if v is not None]
        if len(image_sources) > 1:
            raise ValueError(
                f"{' and '.join(image_sources)} are {'both' if len(image_sources) == 2 else 'all'} set: imageTag picks a tag in the portal's ECR repository, "
                "imageUri names an image elsewhere, portalAppPath builds one from a Backstage app; give one"
            )
        subnet_lists = {"publicSubnetIds": self.public_subnet_ids, "privateSubnetIds": self.private_subnet_ids, "isolatedSubnetIds": self.isolated_subnet_ids}
        if self.vpc_id is not None:
            missing = [k for k, v in subnet_lists.items() if not v]
            if self.availability_zones is None:
                missing.append("availabilityZones")
            if "vpc_cidr" not in self.model_fields_set:
                # An imported VPC has no CIDR CloudFormation could read at synth time; rules that
                # admit the VPC's own traffic (endpoints) need it.
                missing.append("vpcCidr")
            if missing:
                raise ValueError(f"vpcId = {self.vpc_id!r} needs vpcCidr, availabilityZones, {', '.join(subnet_lists)}; missing: {', '.join(missing)}")
            if self.vpc_endpoints and not self.private_subnet_route_table_ids:
                raise ValueError(
                    f"vpcId = {self.vpc_id!r} with vpcEndpoints needs privateSubnetRouteTableIds (the S3 gateway endpoint routes through them), "
                    "or vpcEndpoints=false when the VPC already has its endpoints"
                )
            id_lists = {**subnet_lists, "privateSubnetRouteTableIds": self.private_subnet_route_table_ids}
            for key, ids in id_lists.items():
                if ids is None:
                    continue
                if len(ids) != len(self.availability_zones):  # type: ignore[arg-type]
                    raise ValueError(f"{key} lists {len(ids)} ids for {len(self.availability_zones)} availabilityZones: give one per zone")  # type: ignore[arg-type]
                prefix = "rtb" if key == "privateSubnetRouteTableIds" else "subnet"
                bad = [i for i in ids if not re.fullmatch(rf"{prefix}-[0-9a-f]{{8,17}}", i)]
                if bad:
                    raise ValueError(f"{key} = {bad!r}: ids look like {prefix}-0123456789abcdef0")
        elif any(subnet_lists.values()) or self.private_subnet_route_table_ids:
            given = [k for k, v in {**subnet_lists, "privateSubnetRouteTableIds": self.private_subnet_route_table_ids}.items() if v]
            raise ValueError(f"{', '.join(given)} given without vpcId")
        if self.repository_encryption == "KMS" and not self.customer_managed_key:
            raise ValueError("repositoryEncryption = 'KMS' encrypts with the portal's own key: set customerManagedKey = true as well")
        self._check_federation()
        if self.github_oidc_provider_arn is not None and self.github_organization is None:
            raise ValueError(
                f"githubOidcProviderArn = {self.github_oidc_provider_arn!r} is set but githubOrganization is not: "
                "the provider is used only by the TechDocs publishing role, which needs the organisation it trusts"
            )
        self._check_github_app()
        if self.min_capacity > self.max_capacity:
            raise ValueError(f"minCapacity = {self.min_capacity} is above maxCapacity = {self.max_capacity}")
        if self.has_image and not self.min_capacity <= self.desired_count <= self.max_capacity:
            raise ValueError(
                f"desiredCount = {self.desired_count} is outside minCapacity..maxCapacity = {self.min_capacity}..{self.max_capacity}"
            )
        if self.nat_gateways > self.max_azs:
            raise ValueError(f"natGateways = {self.nat_gateways} is above maxAzs = {self.max_azs}: at most one NAT gateway per AZ")
        if self.database_max_allocated_storage_gib < self.database_allocated_storage_gib:
            raise ValueError(
                f"databaseMaxAllocatedStorageGib = {self.database_max_allocated_storage_gib} is below "
                f"databaseAllocatedStorageGib = {self.database_allocated_storage_gib}"
            )
        pi = self.performance_insights_retention_days
        if pi != 7 and not (pi % 31 == 0 and 31 <= pi <= 731):
            raise ValueError(f"performanceInsightsRetentionDays = {pi}: Performance Insights keeps 7 days or a multiple of 31 days up to 731")
        if self.database_multi_az and self.max_azs < 2:
            raise ValueError("databaseMultiAz needs maxAzs >= 2")
        self._check_production_overrides()
        if self.availability_zones is not None:
            bad = [z for z in self.availability_zones if not re.fullmatch(AVAILABILITY_ZONE_PATTERN, z)]
            if bad:
                raise ValueError(f"availabilityZones = {bad!r}: zone names look like {self.region}a")
            elsewhere = [z for z in self.availability_zones if z[:-1] != self.region]
            if elsewhere:
                raise ValueError(f"availabilityZones = {elsewhere!r} are not in region = {self.region!r}")
            if self.vpc_id is None and len(self.availability_zones) < self.max_azs:
                raise ValueError(f"availabilityZones lists {len(self.availability_zones)} zones but maxAzs = {self.max_azs}")
        if self.vpc_id is None:
            try:
                subnet_layout(self.vpc_cidr, self.max_azs)
            except ValueError as error:
                raise ValueError(f"vpcCidr = {self.vpc_cidr!r} with maxAzs = {self.max_azs}: {error}") from None
        return self

    def weakened_safeguards(self) -> dict[str, str]:
        """Production safeguards this configuration sets below production's default: context key -> value."""
        return {key: str(_value(self, key)) for key, weaker in PRODUCTION_SAFEGUARDS.items() if weaker(_value(self, key))}

    def _check_production_overrides(self) -> None:
        if not self.production:
            if self.production_overrides:
                raise ValueError(
                    f"productionOverrides = {sorted(self.production_overrides)}: only environment = 'production' records overrides; "
                    f"{self.environment!r} may set its values directly"
                )
            return
        unknown = sorted(set(self.production_overrides) - set(PRODUCTION_SAFEGUARDS))
        if unknown:
            raise ValueError(f"productionOverrides names {unknown}: allowed keys are {', '.join(PRODUCTION_SAFEGUARDS)}")
        weakened = self.weakened_safeguards()
        for key, value in weakened.items():
            reason = self.production_overrides.get(key, "").strip()
            if len(reason) < 20:
                default = PROFILES["production"][key]
                raise ValueError(
                    f"{key} = {value} weakens production's default ({default}): keep the default, or record why in "
                    f'productionOverrides (e.g. -c productionOverrides=\'{{"{key}": "<reason, 20+ characters>"}}\'); '
                    "the reason goes into the cdk-nag acknowledgment and the template metadata"
                )
        stale = sorted(set(self.production_overrides) - set(weakened))
        if stale:
            raise ValueError(f"productionOverrides gives reasons for {stale}, which keep production's default: drop them")

    def why_weakened(self, key: str) -> str:
        """Why the safeguard ``key`` is below production's default, for an acknowledgment reason.

        Production: the recorded override. Other environments: the profile, and what production does.
        """
        if self.production:
            return f"production override, recorded reason: {self.production_overrides[key]}"
        return f"{self.environment} environment; production's default is {key} = {PROFILES['production'][key]}"

    def _check_federation(self) -> None:
        oidc = {"oidcIssuer": self.oidc_issuer, "oidcClientId": self.oidc_client_id, "oidcClientSecretArn": self.oidc_client_secret_arn}
        given = [k for k, v in oidc.items() if v is not None]
        if given and len(given) != len(oidc):
            raise ValueError(f"{', '.join(oidc)} go together; missing: {', '.join(k for k in oidc if oidc[k] is None)}")
        if self.saml_metadata_url is not None and self.oidc_issuer is not None:
            raise ValueError(
                "samlMetadataUrl and oidcIssuer are both set: give one company identity provider "
                "(Cognito would keep a separate user per provider for the same person)"
            )
        if self.identity_provider_name.lower() in RESERVED_PROVIDER_NAMES:
            raise ValueError(
                f"identityProviderName = {self.identity_provider_name!r} is reserved by Cognito "
                f"({', '.join(sorted(RESERVED_PROVIDER_NAMES))}, any case): choose another name"
            )
        if not self.local_users and self.federation is None:
            raise ValueError(
                "localUsers = false needs a company identity provider (samlMetadataUrl, or oidcIssuer with oidcClientId "
                "and oidcClientSecretArn): otherwise nobody could sign in"
            )

    def _check_github_app(self) -> None:
        arn = self.github_app_secret_arn
        if arn is None:
            if self.github_app_secret_key_arn is not None:
                raise ValueError(f"githubAppSecretKeyArn = {self.github_app_secret_key_arn!r} is set but githubAppSecretArn is not: the key only decrypts that secret")
            return
        if not re.fullmatch(SECRETS_MANAGER_COMPLETE_ARN_PATTERN, arn):
            raise ValueError(
                f"githubAppSecretArn = {arn!r} is a partial ARN: give the secret's complete ARN, which ends in '-' and the 6 characters "
                "Secrets Manager adds to its name (e.g. ...:secret:backstage/github-app-AbC123; `aws secretsmanager describe-secret --secret-id <name>` shows it)"
            )
        if self.github_organization is None:
            raise ValueError(
                f"githubAppSecretArn = {arn!r} is set but githubOrganization is not: the portal publishes to, and discovers repositories, users and teams in, "
                "one organisation where the App is installed"
            )

    @property
    def github_app(self) -> bool:
        """A GitHub App is configured: the task gets its credentials and the app-config its GitHub section."""
        return self.github_app_secret_arn is not None

    @property
    def federation(self) -> Literal["SAML", "OIDC"] | None:
        """The company identity provider's protocol, or None without federation."""
        if self.saml_metadata_url is not None:
            return "SAML"
        return "OIDC" if self.oidc_issuer is not None else None

    @property
    def zones(self) -> tuple[str, ...] | None:
        """The AZ names given for a new VPC (the first maxAzs), or None: CloudFormation picks them at deploy time."""
        if self.availability_zones is None:
            return None
        return self.availability_zones[: self.max_azs]


# Per-environment defaults (reference sizing tables). Every key can be overridden from context.
PROFILES: dict[Environment, dict[str, object]] = {
    "development": {
        "maxAzs": 2,
        "natGateways": 1,
        "databaseInstanceClass": "db.t3.micro",
        "databaseAllocatedStorageGib": 20,
        "databaseMaxAllocatedStorageGib": 50,
        "databaseMultiAz": False,
        "databaseBackupRetentionDays": 7,
        "databaseDeletionProtection": False,
        "taskCpu": 512,
        "taskMemoryMib": 1024,
        "desiredCount": 1,
        "minCapacity": 1,
        "maxCapacity": 2,
        "fargateSpot": True,
        "logRetentionDays": 30,
        "mfa": "OPTIONAL",
        "loadBalancerDeletionProtection": False,
        "retainData": False,
        "natInstance": True,
        "vpcEndpoints": False,
        "flowLogs": True,
        "rotateDatabaseCredentials": False,
        "waf": False,
        "customerManagedKey": False,
    },
    "staging": {
        "maxAzs": 2,
        "natGateways": 1,
        "databaseInstanceClass": "db.t3.small",
        "databaseAllocatedStorageGib": 50,
        "databaseMaxAllocatedStorageGib": 100,
        "databaseMultiAz": False,
        "databaseBackupRetentionDays": 7,
        "databaseDeletionProtection": False,
        "taskCpu": 1024,
        "taskMemoryMib": 2048,
        "desiredCount": 2,
        "minCapacity": 1,
        "maxCapacity": 4,
        "fargateSpot": True,
        "logRetentionDays": 30,
        "mfa": "OPTIONAL",
        "loadBalancerDeletionProtection": False,
        "retainData": False,
        "natInstance": False,
        "vpcEndpoints": False,
        "flowLogs": True,
        "rotateDatabaseCredentials": False,
        "waf": True,
        "customerManagedKey": False,
    },
    "production": {
        "maxAzs": 3,
        "natGateways": 3,
        "databaseInstanceClass": "db.r6g.large",
        "databaseAllocatedStorageGib": 100,
        "databaseMaxAllocatedStorageGib": 500,
        "databaseMultiAz": True,
        "databaseBackupRetentionDays": 30,
        "databaseDeletionProtection": True,
        "taskCpu": 2048,
        "taskMemoryMib": 4096,
        "desiredCount": 3,
        "minCapacity": 2,
        "maxCapacity": 10,
        "fargateSpot": False,
        "logRetentionDays": 90,
        "mfa": "ON",
        "loadBalancerDeletionProtection": True,
        "retainData": True,
        "natInstance": False,
        "vpcEndpoints": True,
        "flowLogs": True,
        "rotateDatabaseCredentials": True,
        "waf": True,
        "customerManagedKey": True,
    },
}

def _value(config: PortalConfig, key: str) -> object:
    return getattr(config, next(n for n, f in PortalConfig.model_fields.items() if (f.alias or n) == key))


# Settings that protect a production portal (context key -> "is this value weaker than production's?").
# Weakening one in production needs a reason in productionOverrides.
PRODUCTION_SAFEGUARDS: dict[str, Callable[[object], bool]] = {
    "mfa": lambda v: v != "ON",
    "databaseMultiAz": lambda v: v is False,
    "databaseDeletionProtection": lambda v: v is False,
    "databaseBackupRetentionDays": lambda v: int(v) < 30,  # type: ignore[call-overload]
    "rotateDatabaseCredentials": lambda v: v is False,
    "retainData": lambda v: v is False,
    "waf": lambda v: v is False,
    "loadBalancerDeletionProtection": lambda v: v is False,
    "flowLogs": lambda v: v is False,
}

CONTEXT_KEYS: tuple[str, ...] = tuple(f.alias or n for n, f in PortalConfig.model_fields.items())


def load_portal_config(context: Mapping[str, object]) -> PortalConfig:
    """Build the portal configuration from CDK context: profile defaults, then overrides.

    ``context`` may hold unrelated keys (feature flags, ``aws:cdk:*``); only the portal's own
    keys (``CONTEXT_KEYS``) are read.
    """
    environment = context.get("environment", "development")
    if environment not in ENVIRONMENTS:
        from .errors import ConfigError

        allowed = ", ".join(ENVIRONMENTS)
        raise ConfigError("portal configuration", [f"environment = {environment!r}: allowed values are {allowed}"])
    values: dict[str, object] = dict(PROFILES[environment])  # type: ignore[index]
    values.update({k: v for k, v in context.items() if k in CONTEXT_KEYS and v is not None})
    values["environment"] = environment
    return validate(PortalConfig, values, "portal configuration")
