"""Outgoing webhooks' queue: the sweep puts leased delivery ids on it, the dispatcher drains it; a
message that fails five times lands in a dead-letter queue, and any message there raises an alarm.

The platform's alarm topic lives here (every job queue's alarm notifies it): its construct path, and so
its subscriptions, predate the other queues."""

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.constructs.queues import (
    consume_statement,
    consumer_visibility,
    dead_lettered_queue,
    dead_letters_alarm,
    send_statement,
)

DISPATCHER_TIMEOUT = Duration.seconds(60)


class WebhookQueue(Construct):
    def __init__(self, scope: Construct, id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, id)
        self.queue, self.dead_letter_queue = dead_lettered_queue(
            self, key=key, visibility_timeout=consumer_visibility(DISPATCHER_TIMEOUT)
        )
        self.alarm_topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name="Meetings platform: a job keeps failing",
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
        self.alarm = dead_letters_alarm(
            self,
            dead_letter_queue=self.dead_letter_queue,
            topic=self.alarm_topic,
            description=(
                "Webhook queue messages failed five dispatches (database unreachable or a dispatcher bug). "
                "The deliveries are safe in the outbox and are swept again; find the cause in the "
                "webhook-dispatcher logs."
            ),
        )

    def send_statement(self) -> iam.PolicyStatement:
        return send_statement("QueueWebhookDeliveries", self.queue)

    def consume_statement(self) -> iam.PolicyStatement:
        return consume_statement("ConsumeWebhookDeliveries", self.queue)
