"""An encrypted SNS topic for alarms, and alarms that notify it."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct


class AlarmTopic(Construct):
    """KMS-encrypted, TLS-only SNS topic that CloudWatch alarms publish to.

    A customer managed key is used because CloudWatch cannot publish to a topic encrypted
    with the AWS managed SNS key; the key policy lets CloudWatch use it.
    """

    def __init__(self, scope: Construct, id: str, *, email: str | None = None, retain: bool = False) -> None:
        """
        :param email: address subscribed to the topic; default none (subscribe later).
        :param retain: keep the key when the stack is deleted; default False.
        """
        super().__init__(scope, id)
        self.key = kms.Key(
            self,
            "Key",
            description=f"Encrypts the alarm topic {self.node.path}",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY,
        )
        self.key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
        self.topic = sns.Topic(self, "Topic", master_key=self.key, enforce_ssl=True)
        if email is not None:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        self._action = cloudwatch_actions.SnsAction(self.topic)

    def alarm(
        self,
        scope: Construct,
        id: str,
        *,
        metric: cloudwatch.IMetric,
        threshold: float,
        description: str,
        comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods: int = 2,
        period: Duration | None = None,
        treat_missing_data: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
    ) -> cloudwatch.Alarm:
        """Create an alarm on ``metric`` that notifies this topic on ALARM and OK."""
        if period is not None and isinstance(metric, cloudwatch.Metric):
            metric = metric.with_(period=period)
        alarm = cloudwatch.Alarm(
            scope,
            id,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=evaluation_periods,
            alarm_description=description,
            treat_missing_data=treat_missing_data,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        return alarm

    def dead_letter_alarm(self, scope: Construct, *, queue: sqs.IQueue, service_name: str) -> cloudwatch.Alarm:
        """Alarm as soon as one message lands in ``queue`` (a dead-letter queue should stay empty)."""
        return self.alarm(
            scope,
            "DeadLettersAlarm",
            metric=queue.metric_approximate_number_of_messages_visible(period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM),
            threshold=0,
            evaluation_periods=1,
            description=f"{service_name}: messages reached the dead-letter queue",
        )
