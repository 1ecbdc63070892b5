"""An S3 bucket that is private, encrypted and TLS-only from the start."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"

from .nag import acknowledge


class SecureBucket(Construct):
    """Private (all public access blocked), SSE-S3 encrypted, TLS-only, versioned bucket.

    Server access logs go to ``access_log_bucket``; without one the bucket is itself an
    access-log destination, and that is acknowledged to cdk-nag with the reason.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        retain: bool,
        access_log_bucket: s3.IBucket | None = None,
        access_log_prefix: str | None = None,
        versioned: bool = True,
        expire_after_days: int | None = None,
        object_ownership: s3.ObjectOwnership = s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    ) -> None:
        """
        :param retain: keep the bucket when the stack is deleted (production data).
        :param access_log_bucket: where server access logs go; default none (this bucket is a log bucket).
        :param access_log_prefix: key prefix for those logs; default the bucket's construct id.
        :param versioned: keep object versions; default True.
        :param expire_after_days: delete objects (and old versions) after this many days; default never.
        :param object_ownership: default BUCKET_OWNER_ENFORCED (ACLs disabled).
        """
        super().__init__(scope, id)
        # Log delivery through a bucket policy, not the LogDeliveryWrite ACL (which ACL-less buckets
        # refuse), whatever the app's feature flags: the flag is read in this subtree, where a log
        # bucket that is itself a SecureBucket grants delivery.
        self.node.set_context(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, True)
        rules = []
        if expire_after_days is not None:
            rules.append(
                s3.LifecycleRule(
                    expiration=Duration.days(expire_after_days),
                    noncurrent_version_expiration=Duration.days(expire_after_days) if versioned else None,
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=versioned,
            object_ownership=object_ownership,
            server_access_logs_bucket=access_log_bucket,
            server_access_logs_prefix=(access_log_prefix or f"{id}/") if access_log_bucket else None,
            lifecycle_rules=rules or None,
            removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY,
        )
        if access_log_bucket is None:
            acknowledge(
                self.bucket,
                "AwsSolutions-S1",
                "This bucket receives access logs itself; logging a log bucket into another bucket would recurse without adding an audit trail.",
            )
