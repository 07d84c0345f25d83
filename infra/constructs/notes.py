"""Visit notes' queue: the secretary API and the LiveKit webhook put a note id on it when a room ends
(and the drafter's own sweep, for notes left pending); the note drafter drains it. A message that fails
five times lands in a dead-letter queue, and any message there raises an alarm."""

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

# Up to three model calls of about a minute each; shorter than the job's five-minute lease on a note
# (meetings.secretary.notes.drafting.LEASE), so a lease never runs out under a live job.
DRAFTER_TIMEOUT = Duration.minutes(3)


class NoteQueue(Construct):
    def __init__(self, scope: Construct, id: str, *, key: kms.IKey, alarm_topic: sns.ITopic) -> None:
        super().__init__(scope, id)
        self.queue, self.dead_letter_queue = dead_lettered_queue(
            self, key=key, visibility_timeout=consumer_visibility(DRAFTER_TIMEOUT)
        )
        self.alarm = dead_letters_alarm(
            self,
            dead_letter_queue=self.dead_letter_queue,
            topic=alarm_topic,
            description=(
                "Visit note messages failed five drafting runs (model endpoint or database unreachable, or "
                "a drafter bug). The notes wait in the database and the drafter's sweep queues them again; "
                "find the cause in the note-drafter logs."
            ),
        )

    def send_statement(self) -> iam.PolicyStatement:
        return send_statement("QueueNoteDrafts", self.queue)

    def consume_statement(self) -> iam.PolicyStatement:
        return consume_statement("ConsumeNoteDrafts", self.queue)
