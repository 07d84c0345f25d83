"""The pieces of a job queue: KMS-encrypted and TLS-only, a message that fails five receives moves to a
dead-letter queue (kept 14 days), and any message there raises an alarm to the platform's alarm topic."""

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

MAX_RECEIVES = 5
CONSUME_ACTIONS = [
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
]


def consumer_visibility(consumer_timeout: Duration) -> Duration:
    """Six times the consumer's timeout, as AWS advises for an SQS event source."""
    return Duration.seconds(6 * consumer_timeout.to_seconds())


def dead_lettered_queue(
    scope: Construct, *, key: kms.IKey, visibility_timeout: Duration
) -> tuple[sqs.Queue, sqs.Queue]:
    """(queue, its dead-letter queue), as the children `Queue` and `DeadLetterQueue` of scope."""
    encrypted = dict(encryption=sqs.QueueEncryption.KMS, encryption_master_key=key, enforce_ssl=True)
    dead_letter_queue = sqs.Queue(scope, "DeadLetterQueue", retention_period=Duration.days(14), **encrypted)
    queue = sqs.Queue(
        scope,
        "Queue",
        visibility_timeout=visibility_timeout,
        retention_period=Duration.days(4),
        dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=MAX_RECEIVES, queue=dead_letter_queue),
        **encrypted,
    )
    return queue, dead_letter_queue


def dead_letters_alarm(
    scope: Construct, *, dead_letter_queue: sqs.IQueue, topic: sns.ITopic, description: str
) -> cloudwatch.Alarm:
    """Any message in the dead-letter queue (the child `DeadLettersAlarm` of scope) notifies the topic."""
    alarm = cloudwatch.Alarm(
        scope,
        "DeadLettersAlarm",
        alarm_description=description,
        metric=dead_letter_queue.metric_approximate_number_of_messages_visible(
            period=Duration.minutes(5), statistic="Maximum"
        ),
        threshold=0,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods=1,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    alarm.add_alarm_action(cloudwatch_actions.SnsAction(topic))
    return alarm


def send_statement(sid: str, queue: sqs.IQueue) -> iam.PolicyStatement:
    return iam.PolicyStatement(sid=sid, actions=["sqs:SendMessage"], resources=[queue.queue_arn])


def consume_statement(sid: str, queue: sqs.IQueue) -> iam.PolicyStatement:
    return iam.PolicyStatement(sid=sid, actions=CONSUME_ACTIONS, resources=[queue.queue_arn])
