"""HTTPS for a portal without a domain: CloudFront on its own ``*.cloudfront.net`` name, in front of
an internal load balancer reached through a CloudFront VPC origin.

Cognito accepts plain-HTTP callback URLs only for ``localhost``, and no certificate can be issued
for a load balancer's ``elb.amazonaws.com`` name; CloudFront's default domain comes with a
certificate, so a development portal without a domain is signed into over HTTPS there.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import custom_resources as cr
from constructs import Construct

from ..dependencies import drop_function_role_dependencies
from ..generated_nag import acknowledge_aws_custom_resource_handler
from ..nag import acknowledge
from ..secure_bucket import SecureBucket

# AWS-managed prefix list of CloudFront's origin-facing addresses. Traffic of a VPC origin reaches
# the load balancer from these addresses, not from the VPC's own block (aws-cdk-lib's
# aws_cloudfront_origins README, "Restrict traffic coming to the VPC origin"; CloudFront developer
# guide, "Restrict access with VPC origins").
ORIGIN_FACING_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"
# Backstage's backend API (auth, catalog, scaffolder, techdocs ...): never cached.
API_PATH = "/api/*"
# The app's bundle: content-hashed file names that Backstage's app backend serves with a 14-day
# Cache-Control; the one file it injects the frontend config into says no-cache, which CloudFront
# honours down to CachingOptimized's 1 s minimum TTL (@backstage/plugin-app-backend, router.ts).
STATIC_PATH = "/static/*"
# Regions enabled by default in every account (not opt-in regions). CloudFront's legacy
# standard logging delivers no logs to buckets in opt-in regions (CloudFront developer guide,
# "Standard logging (legacy)": choosing an S3 bucket), and every newer region is opt-in.
LOG_DELIVERY_REGIONS = frozenset(
    {
        "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
        "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
        "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ap-south-1",
    }
)  # fmt: skip
# CloudFront waits this long for the origin (default 30 s); the load balancer's idle timeout is 60 s,
# and a scaffolder dry run can take longer than 30 s. Within the default quota (120 s).
ORIGIN_READ_TIMEOUT = Duration.seconds(60)


class OriginFacingPrefixList(Construct):
    """The id of ``com.amazonaws.global.cloudfront.origin-facing`` in the stack's region, read at deploy time.

    Prefix list ids differ per region and CloudFormation has no attribute for an AWS-managed one;
    ``ec2.PrefixList.from_lookup`` would need AWS credentials at synthesis. An ``AwsCustomResource``
    calls ``ec2:DescribeManagedPrefixLists`` when the stack deploys (a read-only call on ``*``: the
    action has no resource-level permissions). Attribute: ``prefix_list_id`` (a token).
    """

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        drop_function_role_dependencies(self)
        call = cr.AwsSdkCall(
            service="EC2",
            action="describeManagedPrefixLists",
            parameters={"Filters": [{"Name": "prefix-list-name", "Values": [ORIGIN_FACING_PREFIX_LIST]}]},
            physical_resource_id=cr.PhysicalResourceId.of(ORIGIN_FACING_PREFIX_LIST),
            output_paths=["PrefixLists.0.PrefixListId"],
        )
        self.resource = cr.AwsCustomResource(
            self,
            "Lookup",
            on_create=call,
            on_update=call,
            policy=cr.AwsCustomResourcePolicy.from_statements([iam.PolicyStatement(actions=["ec2:DescribeManagedPrefixLists"], resources=["*"])]),
            install_latest_aws_sdk=False,
        )
        self.prefix_list_id = self.resource.get_response_field("PrefixLists.0.PrefixListId")
        policy = self.resource.node.try_find_child("CustomResourcePolicy")
        if policy is not None:
            acknowledge(policy, "AwsSolutions-IAM5[Resource::*]", "ec2:DescribeManagedPrefixLists has no resource-level permissions (Resource must be *); the call only reads prefix list metadata.")
        acknowledge_aws_custom_resource_handler(self)


class PortalDistribution(Construct):
    """CloudFront distribution serving the portal over HTTPS on its ``*.cloudfront.net`` name.

    The origin is ``load_balancer`` (internal, plain HTTP on port 80) through a CloudFront VPC
    origin: nothing on the internet reaches the load balancer except through CloudFront. Caching is
    off for the app (``/api/*`` and every page: sign-in runs through cookies, the ``Authorization``
    header and query strings, which the managed ``AllViewerExceptHostHeader`` policy forwards with
    ``CachingDisabled``), on for the content-hashed bundle under ``/static/*``. Standard logs go to
    their own bucket (``log_bucket``: legacy standard logging writes with ACLs, which the other
    buckets disable), except in opt-in regions, where CloudFront delivers none (``log_bucket`` None).

    Attributes: ``distribution``, ``domain_name`` (a deploy-time token), ``log_bucket``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        load_balancer: elbv2.IApplicationLoadBalancer,
        comment: str,
        access_log_bucket: s3.IBucket,
        log_retention_days: int,
        retain: bool,
    ) -> None:
        """
        :param load_balancer: the internal load balancer, listening on HTTP port 80.
        :param comment: the distribution's comment (shown in the console).
        :param access_log_bucket: where the log bucket's own server access logs go.
        :param log_retention_days: days CloudFront's standard logs are kept.
        :param retain: keep the log bucket when the stack is deleted.
        """
        super().__init__(scope, id)
        region = Stack.of(self).region
        self.log_bucket: s3.IBucket | None = None
        if region in LOG_DELIVERY_REGIONS:
            # Legacy standard logging grants CloudFront's log delivery account through an ACL.
            self.log_bucket = SecureBucket(
                self,
                "Logs",
                retain=retain,
                versioned=False,
                expire_after_days=log_retention_days,
                access_log_bucket=access_log_bucket,
                access_log_prefix="cloudfront-logs-bucket/",
                object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            ).bucket
        origin = origins.VpcOrigin.with_application_load_balancer(
            load_balancer,
            # CloudFront is global: the region keeps the name distinct when the same portal runs in two regions of one account.
            vpc_origin_name=f"{Stack.of(self).stack_name}-{region}"[:64],
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTP_ONLY,
            http_port=80,
            read_timeout=ORIGIN_READ_TIMEOUT,
        )
        uncached = cloudfront.BehaviorOptions(
            origin=origin,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            compress=True,
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=comment,
            default_behavior=uncached,
            additional_behaviors={
                API_PATH: uncached,
                STATIC_PATH: cloudfront.BehaviorOptions(
                    origin=origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                    cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                    compress=True,
                ),
            },
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_logging=self.log_bucket is not None,
            log_bucket=self.log_bucket,
            log_file_prefix="cloudfront/" if self.log_bucket is not None else None,
        )
        if self.log_bucket is None:
            acknowledge(
                self.distribution,
                "AwsSolutions-CFR3",
                f"{region} is an opt-in region, where CloudFront delivers no standard logs to buckets; "
                "the internal load balancer's access logs record every request this distribution forwards.",
            )
        self.domain_name = self.distribution.distribution_domain_name
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR4",
            "Served on the distribution's own *.cloudfront.net name with CloudFront's default certificate, for which CloudFront sets the security policy to TLSv1 "
            "whatever MinimumProtocolVersion says (CloudFront API, ViewerCertificate); a domain (domainName) moves the portal to its own certificate and TLS 1.3 policy.",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR1",
            "No geo restriction: the portal's users are the company's people wherever they work; every page and API call needs a Cognito sign-in.",
        )
