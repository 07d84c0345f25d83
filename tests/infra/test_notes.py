"""Visit notes: the drafting queue with its dead-letter queue and alarm, the note drafter (queue
consumer, five-minute sweep, its model settings and security group) and the two producers' grants."""

import pytest

from meetings.secretary.notes.drafting import LEASE
from tests.infra.conftest import synthesize
from tests.infra.test_functions import _alarm_on, _as_list, _function, _policy_statements, _statement

PRODUCERS = ("secretary_api", "livekit_webhook")
CONSUME_ACTIONS = {
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
}


def _queue_arn(synth, queue) -> dict:
    return {"Fn::GetAtt": [synth.logical_id(queue), "Arn"]}


def _sqs_grants(synth, name) -> set[tuple[str, str]]:
    """(action, resource) of every SQS action the function's role may use."""
    return {
        (action, str(resource))
        for statement in _policy_statements(synth, name)
        for action in _as_list(statement["Action"])
        if action.startswith("sqs:")
        for resource in _as_list(statement["Resource"])
    }


def test_the_notes_queue_has_an_encrypted_tls_only_dead_letter_queue(dev):
    notes = dev.stack.note_queue
    queue = dev.resources[dev.logical_id(notes.queue)]["Properties"]
    dead_letters_id = dev.logical_id(notes.dead_letter_queue)
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dead_letters_id, "Arn"]},
        "maxReceiveCount": 5,
    }
    dead_letters = dev.resources[dead_letters_id]["Properties"]
    assert dead_letters["MessageRetentionPeriod"] == 14 * 24 * 3600
    key = {"Fn::GetAtt": [dev.logical_id(dev.stack.key), "Arn"]}
    assert queue["KmsMasterKeyId"] == key and dead_letters["KmsMasterKeyId"] == key
    secured = set()
    for policy in dev.of_type("AWS::SQS::QueuePolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny" and statement["Condition"] == {
                "Bool": {"aws:SecureTransport": "false"}
            }:
                secured.update(ref["Ref"] for ref in policy["Properties"]["Queues"])
    assert {dev.logical_id(notes.queue), dead_letters_id} <= secured


def test_the_visibility_timeout_is_six_times_the_drafters(dev):
    queue = dev.resources[dev.logical_id(dev.stack.note_queue.queue)]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * _function(dev, "note_drafter")["Properties"]["Timeout"]


def test_any_dead_letter_raises_the_platform_alarm(dev):
    alarm = _alarm_on(dev, dev.stack.note_queue.dead_letter_queue)
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    # The same topic as the webhook queue's alarm: one subscription hears every job queue.
    topic = {"Ref": dev.logical_id(dev.stack.webhook_queue.alarm_topic)}
    assert alarm["AlarmActions"] == [topic]
    assert dev.template.to_json()["Outputs"]["AlarmTopicArn"]["Value"] == topic


def test_the_drafter_drains_the_queue_one_message_at_a_time_below_its_reservation(synthesized):
    drafter_id = synthesized.logical_id(synthesized.stack.functions["note_drafter"].function)
    (mapping,) = [
        m["Properties"]
        for m in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": drafter_id}
    ]
    assert mapping["EventSourceArn"] == _queue_arn(synthesized, synthesized.stack.note_queue.queue)
    assert mapping["BatchSize"] == 1
    reserved = synthesized.resources[drafter_id]["Properties"]["ReservedConcurrentExecutions"]
    # Above the reservation, Lambda throttles the poller and the throttled receives count toward the DLQ.
    assert 2 <= mapping["ScalingConfig"]["MaximumConcurrency"] < reserved <= 5


def test_the_drafter_sweeps_every_five_minutes(dev):
    drafter_id = dev.logical_id(dev.stack.functions["note_drafter"].function)
    (rule,) = [
        r["Properties"]
        for r in dev.of_type("AWS::Events::Rule").values()
        if r["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": [drafter_id, "Arn"]}
    ]
    assert rule["ScheduleExpression"] == "rate(5 minutes)" and rule["State"] == "ENABLED"
    (target,) = rule["Targets"]
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 0  # the next sweep is five minutes away
    # EventBridge invokes asynchronously: a failing sweep ends in the function's own dead-letter queue.
    dead_letters = dev.logical_id(dev.stack.functions["note_drafter"].dead_letter_queue)
    assert _function(dev, "note_drafter")["Properties"]["DeadLetterConfig"] == {
        "TargetArn": {"Fn::GetAtt": [dead_letters, "Arn"]}
    }


def test_a_drafting_run_ends_before_its_lease_on_the_note(dev):
    properties = _function(dev, "note_drafter")["Properties"]
    assert 120 <= properties["Timeout"] < LEASE.total_seconds()
    assert properties["MemorySize"] == _function(dev, "webhook_dispatcher")["Properties"]["MemorySize"]


def test_the_drafter_gets_the_queue_and_the_default_model(dev):
    variables = _function(dev, "note_drafter")["Properties"]["Environment"]["Variables"]
    assert variables["NOTE_QUEUE_URL"] == {"Ref": dev.logical_id(dev.stack.note_queue.queue)}
    assert variables["NOTE_MODEL"] == "gpt-4.1-mini"
    assert "OPENAI_BASE_URL" not in variables  # OpenAI itself
    assert (variables["COMPONENT"], variables["DATABASE_USER"]) == ("note_drafter", "meetings_jobs")
    assert variables["APP_SECRET_ARN"] == {"Ref": dev.logical_id(dev.stack.openai_secret)}


def test_the_model_and_its_server_come_from_the_context(tmp_path):
    synth = synthesize(
        "dev", tmp_path, {"noteModel": "llama-3.3-70b", "openaiBaseUrl": "https://llm.example.org/v1"}
    )
    variables = _function(synth, "note_drafter")["Properties"]["Environment"]["Variables"]
    assert variables["NOTE_MODEL"] == "llama-3.3-70b"
    assert variables["OPENAI_BASE_URL"] == "https://llm.example.org/v1"
    # Only the drafter talks to the notes model.
    for name in synth.stack.functions:
        if name != "note_drafter":
            assert "OPENAI_BASE_URL" not in str(_function(synth, name)["Properties"].get("Environment"))


def test_the_drafter_consumes_and_requeues_only_the_notes_queue(dev):
    queue = str(_queue_arn(dev, dev.stack.note_queue.queue))
    own_dead_letters = str(_queue_arn(dev, dev.stack.functions["note_drafter"].dead_letter_queue))
    assert _sqs_grants(dev, "note_drafter") == {
        *((action, queue) for action in CONSUME_ACTIONS),
        ("sqs:SendMessage", queue),  # the sweep
        ("sqs:SendMessage", own_dead_letters),  # failed scheduled invocations
    }
    statements = _policy_statements(dev, "note_drafter")
    assert "sqs:SendMessage" not in _as_list(_statement(statements, "ConsumeNoteDrafts")["Action"])
    key_use = _statement(statements, "UseDataKeyViaSqs")
    assert set(_as_list(key_use["Action"])) == {"kms:Decrypt", "kms:GenerateDataKey"}


@pytest.mark.parametrize("name", PRODUCERS)
def test_a_room_end_may_only_send_to_the_notes_queue(dev, name):
    queue = dev.stack.note_queue.queue
    assert _sqs_grants(dev, name) == {("sqs:SendMessage", str(_queue_arn(dev, queue)))}
    variables = _function(dev, name)["Properties"]["Environment"]["Variables"]
    assert variables["NOTE_QUEUE_URL"] == {"Ref": dev.logical_id(queue)}
    key_use = _statement(_policy_statements(dev, name), "UseDataKeyViaSqs")
    assert key_use["Condition"]["StringEquals"]["kms:ViaService"]  # only through SQS


def test_no_other_function_reaches_the_notes_queue(dev):
    queue_id = dev.logical_id(dev.stack.note_queue.queue)
    for name in set(dev.stack.functions) - {*PRODUCERS, "note_drafter"}:
        assert queue_id not in str(_policy_statements(dev, name)), name
        assert "NOTE_QUEUE_URL" not in str(_function(dev, name)["Properties"].get("Environment")), name


def test_the_drafter_has_its_own_security_group_https_and_the_proxy_only(dev):
    properties = _function(dev, "note_drafter")["Properties"]
    group_id = dev.logical_id(dev.stack.note_drafter_security_group)
    assert properties["VpcConfig"]["SecurityGroupIds"] == [{"Fn::GetAtt": [group_id, "GroupId"]}]
    egress = dev.resources[group_id]["Properties"]["SecurityGroupEgress"]
    assert [(rule["CidrIp"], rule["FromPort"], rule["ToPort"]) for rule in egress] == [
        ("0.0.0.0/0", 443, 443)
    ]
    proxy_group = {"Fn::GetAtt": [dev.logical_id(dev.stack.database.proxy_security_group), "GroupId"]}
    to_proxy = [
        rule["Properties"]
        for rule in dev.of_type("AWS::EC2::SecurityGroupEgress").values()
        if rule["Properties"]["GroupId"] == {"Fn::GetAtt": [group_id, "GroupId"]}
    ]
    assert [(r["DestinationSecurityGroupId"], r["FromPort"]) for r in to_proxy] == [(proxy_group, 5432)]
    admitted = [
        rule["Properties"]
        for rule in dev.of_type("AWS::EC2::SecurityGroupIngress").values()
        if rule["Properties"]["GroupId"] == proxy_group
        and rule["Properties"]["SourceSecurityGroupId"] == {"Fn::GetAtt": [group_id, "GroupId"]}
    ]
    assert len(admitted) == 1
