"""Where shared platform pieces publish what services need: SSM parameters under one path scheme.

Every shared piece (the EKS platform today; a shared service environment, the portal ...) writes
plain String / StringList parameters named

    /stagelift/<environment>/<piece>/<name>/<key>

and a service stack reads the ones it uses with ``ssm.StringParameter.value_for_string_parameter``: a
CloudFormation parameter of type ``AWS::SSM::Parameter::Value<String>``, resolved when the stack
is deployed. Synthesis never looks anything up, and nothing is copied by hand from outputs.

``<environment>`` is ``development``, ``staging`` or ``production`` (the services' environments);
``<piece>/<name>`` says which shared piece (``eks/<cluster name>``, ``environment/<name>``).

EKS platform (``EksPlatform``), ``/stagelift/<environment>/eks/<cluster>/<key>``:

=============================  ==========  ======================================================
key                            type        value
=============================  ==========  ======================================================
vpc-id                         String      the cluster's VPC
availability-zones             StringList  its AZs, in the order of the subnet lists below
private-subnet-ids             StringList  private subnets with egress (nodes, Kafka)
data-subnet-ids                StringList  subnets for data stores (isolated; private without)
cluster-security-group-id      String      EKS cluster security group (data stores admit it)
kubectl-service-token          String      service token of the cluster's kubectl handler
                                           (namespaces, ConfigMaps, Argo CD Applications)
oidc-provider-arn              String      the cluster's IAM OIDC provider (IRSA)
oidc-issuer                    String      its issuer without ``https://`` (IRSA conditions)
node-architecture              String      ``arm64`` or ``amd64``: what images must be built for
keda-operator-role-arn         String      KEDA operator role (``none`` without KEDA)
=============================  ==========  ======================================================

Backstage portal (``PortalStack``), ``/stagelift/<environment>/portal/<portal name>/<key>``:

=============================  ==========  ======================================================
key                            type        value
=============================  ==========  ======================================================
techdocs-bucket                String      bucket ``techdocs-cli publish --storage-name`` writes to
techdocs-publisher-role-arn    String      role GitHub Actions of ``githubOrganization`` assume
                                           to publish there (``none`` without an organisation)
=============================  ==========  ======================================================

Service environment (``ServiceEnvironment``), ``/stagelift/<environment>/environment/<name>/<key>``:

===============================  ==========  ====================================================
key                              type        value
===============================  ==========  ====================================================
vpc-id                           String      the environment's VPC
availability-zones               StringList  its AZs, in the order of the subnet lists below
private-subnet-ids               StringList  private subnets with egress (tasks, pods, data stores)
public-subnet-ids                StringList  public subnets (the shared load balancer's)
cluster-name                     String      ECS cluster (Fargate and Fargate Spot providers)
cluster-arn                      String      its ARN
load-balancer-arn                String      the shared internet-facing Application Load Balancer
listener-arn                     String      its HTTPS listener (wildcard certificate, default 404):
                                             services add host-header rules to it
load-balancer-security-group-id  String      the load balancer's security group (targets admit it)
load-balancer-dns-name           String      its DNS name (alias records of services)
load-balancer-hosted-zone-id     String      its canonical hosted zone id (alias records)
domain-name                      String      ``services.example.com``: service ``x`` is ``x.services.example.com``
hosted-zone-id                   String      Route 53 zone holding the domain (services' records)
hosted-zone-name                 String      that zone's name, e.g. ``example.com``
eks-cluster-name                 String      EKS platform on the same VPC (``none`` without one)
===============================  ==========  ====================================================
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import get_args

from stagelift.config.service import ServiceEnvironment

ROOT = "/stagelift"
ENVIRONMENTS: tuple[str, ...] = get_args(ServiceEnvironment)
# SSM parameter names allow letters, digits and . - _ in each level.
_SEGMENT = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
NONE = "none"


class EksParameter(StrEnum):
    """Keys the EKS platform publishes under ``/stagelift/<environment>/eks/<cluster>/``."""

    VPC_ID = "vpc-id"
    AVAILABILITY_ZONES = "availability-zones"
    PRIVATE_SUBNET_IDS = "private-subnet-ids"
    DATA_SUBNET_IDS = "data-subnet-ids"
    CLUSTER_SECURITY_GROUP_ID = "cluster-security-group-id"
    KUBECTL_SERVICE_TOKEN = "kubectl-service-token"
    OIDC_PROVIDER_ARN = "oidc-provider-arn"
    OIDC_ISSUER = "oidc-issuer"
    NODE_ARCHITECTURE = "node-architecture"
    KEDA_OPERATOR_ROLE_ARN = "keda-operator-role-arn"


class PortalParameter(StrEnum):
    """Keys the portal publishes under ``/stagelift/<environment>/portal/<portal name>/``."""

    TECHDOCS_BUCKET = "techdocs-bucket"
    TECHDOCS_PUBLISHER_ROLE_ARN = "techdocs-publisher-role-arn"


class EnvironmentParameter(StrEnum):
    """Keys a service environment publishes under ``/stagelift/<environment>/environment/<name>/``."""

    VPC_ID = "vpc-id"
    AVAILABILITY_ZONES = "availability-zones"
    PRIVATE_SUBNET_IDS = "private-subnet-ids"
    PUBLIC_SUBNET_IDS = "public-subnet-ids"
    CLUSTER_NAME = "cluster-name"
    CLUSTER_ARN = "cluster-arn"
    LOAD_BALANCER_ARN = "load-balancer-arn"
    LISTENER_ARN = "listener-arn"
    LOAD_BALANCER_SECURITY_GROUP_ID = "load-balancer-security-group-id"
    LOAD_BALANCER_DNS_NAME = "load-balancer-dns-name"
    LOAD_BALANCER_HOSTED_ZONE_ID = "load-balancer-hosted-zone-id"
    DOMAIN_NAME = "domain-name"
    HOSTED_ZONE_ID = "hosted-zone-id"
    HOSTED_ZONE_NAME = "hosted-zone-name"
    EKS_CLUSTER_NAME = "eks-cluster-name"


def parameter_name(environment: str, piece: str, name: str, key: str) -> str:
    """``/stagelift/<environment>/<piece>/<name>/<key>``, each part checked.

    :raises ValueError: an unknown environment or a part SSM does not accept.
    """
    if environment not in ENVIRONMENTS:
        raise ValueError(f"environment = {environment!r}: expected one of {', '.join(ENVIRONMENTS)}")
    for label, part in (("piece", piece), ("name", name), ("key", key)):
        if not _SEGMENT.match(part):
            raise ValueError(f"{label} = {part!r}: an SSM parameter level takes 1-128 letters, digits, '.', '-' or '_'")
    return f"{ROOT}/{environment}/{piece}/{name}/{key}"


def eks_parameter(environment: str, cluster_name: str, key: EksParameter) -> str:
    """Name of one EKS platform parameter, e.g. ``/stagelift/production/eks/platform/vpc-id``."""
    return parameter_name(environment, "eks", cluster_name, EksParameter(key).value)


def eks_parameter_prefix(environment: str, cluster_name: str) -> str:
    """The path every parameter of one EKS platform lives under (for IAM ``ssm:GetParameters*`` grants)."""
    return parameter_name(environment, "eks", cluster_name, "x")[: -len("/x")]


def portal_parameter(environment: str, portal_name: str, key: PortalParameter) -> str:
    """Name of one portal parameter, e.g. ``/stagelift/production/portal/backstage/techdocs-bucket``."""
    return parameter_name(environment, "portal", portal_name, PortalParameter(key).value)


def environment_parameter(environment: str, name: str, key: EnvironmentParameter) -> str:
    """Name of one service environment parameter, e.g. ``/stagelift/production/environment/shared/listener-arn``."""
    return parameter_name(environment, "environment", name, EnvironmentParameter(key).value)


def environment_parameter_prefix(environment: str, name: str) -> str:
    """The path every parameter of one service environment lives under (for IAM ``ssm:GetParameters*`` grants)."""
    return parameter_name(environment, "environment", name, "x")[: -len("/x")]
