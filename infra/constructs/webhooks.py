"""Outgoing webhooks' queue: the sweep puts leased delivery ids on it, the dispatcher drains it; a
message that fails five times lands in a dead-letter queue, and any message there raises an alarm."""

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

# Six times the dispatcher's timeout, as AWS advises for an SQS event source.
DISPATCHER_TIMEOUT = Duration.seconds(60)
VISIBILITY_TIMEOUT = Duration.seconds(6 * 60)
MAX_RECEIVES = 5


class WebhookQueue(Construct):
    def __init__(self, scope: Construct, id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, id)
        encrypted = dict(encryption=sqs.QueueEncryption.KMS, encryption_master_key=key, enforce_ssl=True)
        self.dead_letter_queue = sqs.Queue(
            self, "DeadLetterQueue", retention_period=Duration.days(14), **encrypted
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            visibility_timeout=VISIBILITY_TIMEOUT,
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=MAX_RECEIVES, queue=self.dead_letter_queue
            ),
            **encrypted,
        )
        self.alarm_topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name="Outgoing webhooks: the dispatcher keeps failing",
            master_key=key,
            enforce_ssl=True,
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublishToEncryptedTopics",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
        )
        self.alarm = cloudwatch.Alarm(
            self,
            "DeadLettersAlarm",
            alarm_description=(
                "Webhook queue messages failed five dispatches (database unreachable or a dispatcher bug). "
                "The deliveries are safe in the outbox and are swept again; find the cause in the "
                "webhook-dispatcher logs."
            ),
            metric=self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.alarm_topic))

    def send_statement(self) -> iam.PolicyStatement:
        return iam.PolicyStatement(
            sid="QueueWebhookDeliveries", actions=["sqs:SendMessage"], resources=[self.queue.queue_arn]
        )

    def consume_statement(self) -> iam.PolicyStatement:
        return iam.PolicyStatement(
            sid="ConsumeWebhookDeliveries",
            actions=[
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
            ],
            resources=[self.queue.queue_arn],
        )
