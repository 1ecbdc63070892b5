"""An internet-facing front door: load balancer, TLS certificate, HTTPS listener, HTTP -> HTTPS redirect, DNS alias.

One building block for every public HTTP service (the portal and the Fargate tier), so a fix to
the listener, the TLS policy or the DNS record lands once.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .nag import acknowledge

TLS_POLICY = elbv2.SslPolicy.TLS13_RES  # TLS 1.3 and 1.2 with forward-secret AEAD ciphers only
# Pass as the construct id to keep the logical ids the resources had when their parent built them
# itself: CDK leaves a path component named "Default" out of logical ids (aws-cdk-lib
# core/lib/private/uniqueid.js, HIDDEN_ID).
KEEP_PARENT_IDS = "Default"


@dataclass(frozen=True)
class EndpointIds:
    """Child ids of the redirect listener and the alias record.

    Public contract: a renamed listener or record is replaced, and the replacement fails
    because the old one still holds port 80 or the record name. Override only to keep the ids a
    stack already has.
    """

    redirect_listener: str = "HttpRedirect"
    alias_record: str = "AliasRecord"


class HttpsEndpoint(Construct):
    """Internet-facing Application Load Balancer serving HTTPS, with HTTP redirected to it.

    HTTPS needs ``domain_name`` and either ``certificate_arn`` (imported) or the hosted zone
    ``hosted_zone_id``/``hosted_zone_name`` (an ACM certificate validated by DNS in it; no
    lookup). With a hosted zone an alias A record points ``domain_name`` at the load balancer.
    Without a domain the load balancer listens on plain HTTP on its own DNS name (there is no
    certificate for an ``elb.amazonaws.com`` name): callers allow that outside production only.

    With ``wildcard=True`` (a load balancer shared by many services, each at ``<name>.<domain_name>``)
    the certificate is issued for ``*.<domain_name>`` and no alias record is made: each service
    adds its own.

    Always: TLS 1.3 listener policy, invalid header fields dropped, access logs to
    ``access_logs``, ingress only on the listener ports.

    Attributes: ``load_balancer``, ``security_group``, ``listener`` (the HTTPS listener, or the
    HTTP one without a domain; add targets to it), ``redirect_listener``, ``certificate``,
    ``zone``, ``alias_record`` (None when absent), ``https``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vpc: ec2.IVpc,
        vpc_subnets: ec2.SubnetSelection,
        access_logs: s3.IBucket,
        access_log_prefix: str,
        domain_name: str | None = None,
        hosted_zone_id: str | None = None,
        hosted_zone_name: str | None = None,
        certificate_arn: str | None = None,
        security_group: ec2.ISecurityGroup | None = None,
        deletion_protection: bool = True,
        ids: EndpointIds = EndpointIds(),
        wildcard: bool = False,
        default_action: elbv2.ListenerAction | None = None,
    ) -> None:
        """
        :param vpc_subnets: public subnets for the load balancer.
        :param access_logs: bucket for the load balancer's access logs (SSE-S3: ALB cannot write to SSE-KMS buckets).
        :param domain_name: host name served over HTTPS; default none (plain HTTP on the load balancer's name).
        :param hosted_zone_id: Route 53 zone holding ``domain_name``, with ``hosted_zone_name``; default none.
        :param certificate_arn: existing ACM certificate for ``domain_name``; default none (issued with DNS validation in the zone).
        :param security_group: the load balancer's security group; default one the load balancer creates.
        :param deletion_protection: refuse to delete the load balancer; default True.
        :param ids: child ids of the redirect listener and alias record; default ``EndpointIds()``.
        :param wildcard: serve every name under ``domain_name``: the issued certificate is for
            ``*.<domain_name>`` (``certificate_arn`` must cover it) and no alias record is made;
            default False (``domain_name`` itself, with its alias record).
        :param default_action: the main listener's default action (e.g. a fixed 404 on a shared
            load balancer whose services add host rules); default none (the caller adds targets).
        """
        super().__init__(scope, id)
        if (hosted_zone_id is None) != (hosted_zone_name is None):
            raise ValueError("hosted_zone_id and hosted_zone_name go together: give both or neither")
        if domain_name is None and (hosted_zone_id is not None or certificate_arn is not None):
            raise ValueError("hosted_zone_id/hosted_zone_name/certificate_arn were given without domain_name: they serve domain_name")
        if domain_name is not None and hosted_zone_id is None and certificate_arn is None:
            raise ValueError("domain_name needs hosted_zone_id and hosted_zone_name (DNS-validated certificate) or certificate_arn")
        if wildcard and domain_name is None:
            raise ValueError("wildcard serves the names under domain_name: give domain_name")

        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            internet_facing=True,
            security_group=security_group,
            deletion_protection=deletion_protection,
            drop_invalid_header_fields=True,
        )
        self.load_balancer.log_access_logs(access_logs, prefix=access_log_prefix)
        self.security_group: ec2.ISecurityGroup = self.load_balancer.connections.security_groups[0]
        acknowledge(
            self.security_group,
            "AwsSolutions-EC23",
            "Internet-facing load balancer: it accepts its listener ports from any address (HTTP only redirects to HTTPS when a domain is set); the targets behind it accept only this security group.",
        )

        self.zone: route53.IHostedZone | None = None
        if hosted_zone_id is not None and hosted_zone_name is not None:
            self.zone = route53.HostedZone.from_hosted_zone_attributes(self, "Zone", hosted_zone_id=hosted_zone_id, zone_name=hosted_zone_name)
        self.certificate: acm.ICertificate | None = None
        if certificate_arn is not None:
            self.certificate = acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn)
        elif self.zone is not None and domain_name is not None:
            certificate_name = f"*.{domain_name}" if wildcard else domain_name
            self.certificate = acm.Certificate(self, "Certificate", domain_name=certificate_name, validation=acm.CertificateValidation.from_dns(self.zone))
        self.https = self.certificate is not None

        # Ingress rules written here (open=False on every listener) so each says why it exists.
        self.redirect_listener: elbv2.ApplicationListener | None = None
        if self.certificate is not None:
            self.load_balancer.connections.allow_from_any_ipv4(ec2.Port.tcp(443), "HTTPS from the internet")
            self.listener = self.load_balancer.add_listener(
                "Https",
                port=443,
                protocol=elbv2.ApplicationProtocol.HTTPS,
                certificates=[elbv2.ListenerCertificate.from_certificate_manager(self.certificate)],
                ssl_policy=TLS_POLICY,
                open=False,
                default_action=default_action,
            )
            self.load_balancer.connections.allow_from_any_ipv4(ec2.Port.tcp(80), "HTTP from the internet, redirected to HTTPS")
            self.redirect_listener = self.load_balancer.add_listener(
                ids.redirect_listener,
                port=80,
                protocol=elbv2.ApplicationProtocol.HTTP,
                open=False,
                default_action=elbv2.ListenerAction.redirect(protocol="HTTPS", port="443", permanent=True),
            )
        else:
            self.load_balancer.connections.allow_from_any_ipv4(ec2.Port.tcp(80), "HTTP from the internet (no domain: plain HTTP on the load balancer's name)")
            self.listener = self.load_balancer.add_listener("Http", port=80, protocol=elbv2.ApplicationProtocol.HTTP, open=False, default_action=default_action)

        self.alias_record: route53.ARecord | None = None
        if self.zone is not None and domain_name is not None and not wildcard:
            self.alias_record = route53.ARecord(
                self, ids.alias_record, zone=self.zone, record_name=domain_name, target=route53.RecordTarget.from_alias(targets.LoadBalancerTarget(self.load_balancer))
            )
