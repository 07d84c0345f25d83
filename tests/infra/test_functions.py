"""Functions: environment, one least-privilege role each, dead-letter queues, S3 notifications,
the purge schedule and the deploy-time migration (the visit notes' queue and drafter: test_notes.py)."""

import json
import re
from pathlib import Path

import pytest

from infra.sources import SNAPSTART_FUNCTIONS

API_FUNCTIONS = ("manager_api", "secretary_api", "livekit_webhook", "kb_search")
# The note drafter also drains a queue; its scheduled sweep is an asynchronous invocation.
ASYNC_FUNCTIONS = ("recording_finalizer", "retention_purge", "kb_ingest", "webhook_sweep", "note_drafter")
QUEUE_FUNCTIONS = ("webhook_dispatcher",)
ALL_FUNCTIONS = (*API_FUNCTIONS, *ASYNC_FUNCTIONS, *QUEUE_FUNCTIONS, "migrate")


def _function(synth, name) -> dict:
    return synth.resources[synth.logical_id(synth.stack.functions[name].function)]


def _policy_statements(synth, name) -> list[dict]:
    platform_function = synth.stack.functions[name]
    role = synth.resources[synth.logical_id(platform_function.role)]["Properties"]
    (policy_ref,) = role["ManagedPolicyArns"]
    policy = synth.resources[policy_ref["Ref"]]
    assert policy["Type"] == "AWS::IAM::ManagedPolicy"
    return policy["Properties"]["PolicyDocument"]["Statement"]


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _statement(statements, sid) -> dict:
    (statement,) = [s for s in statements if s.get("Sid") == sid]
    return statement


def _alarm_on(synth, queue) -> dict:
    """The properties of the one alarm watching this queue."""
    queue_id = synth.logical_id(queue)
    (alarm,) = [
        a["Properties"]
        for a in synth.of_type("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["Dimensions"]
        == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}]
    ]
    return alarm


def test_every_platform_function_exists_once(dev):
    assert set(dev.stack.functions) == set(ALL_FUNCTIONS)
    roles = {dev.logical_id(fn.role) for fn in dev.stack.functions.values()}
    assert len(roles) == len(ALL_FUNCTIONS)


@pytest.mark.parametrize("name", ALL_FUNCTIONS)
def test_function_runs_in_private_subnets_with_its_own_encrypted_log_group(dev, name):
    properties = _function(dev, name)["Properties"]
    private_subnets = {
        dev.stack.get_logical_id(s.node.default_child) for s in dev.stack.network.vpc.private_subnets
    }
    assert {ref["Ref"] for ref in properties["VpcConfig"]["SubnetIds"]} == private_subnets
    log_group = dev.resources[properties["LoggingConfig"]["LogGroup"]["Ref"]]["Properties"]
    assert "KmsKeyId" in log_group and log_group["RetentionInDays"] == 30
    if name.startswith("kb_"):
        assert properties["PackageType"] == "Image"
    else:
        assert properties["Handler"] == "handler.handler" and properties["Architectures"] == ["x86_64"]
        assert len(properties["Layers"]) == 2


@pytest.mark.parametrize("name", [name for name in ALL_FUNCTIONS if not name.startswith("kb_")])
def test_the_api_functions_run_python312_with_snapstart_and_its_layer_the_others_python311(dev, name):
    properties = _function(dev, name)["Properties"]
    snap_start = name in SNAPSTART_FUNCTIONS
    assert properties["Runtime"] == ("python3.12" if snap_start else "python3.11")
    assert properties.get("SnapStart") == ({"ApplyOn": "PublishedVersions"} if snap_start else None)
    assert properties.get("EphemeralStorage", {"Size": 512})["Size"] <= 512  # SnapStart takes no more
    dependencies = dev.stack.layers["snapstart_dependencies" if snap_start else "dependencies"]
    layers = {layer["Ref"] for layer in properties["Layers"]}
    assert layers == {dev.logical_id(dependencies), dev.logical_id(dev.stack.layers["core"])}
    runtimes = dev.resources[dev.logical_id(dependencies)]["Properties"]["CompatibleRuntimes"]
    assert runtimes == [properties["Runtime"]]


DATABASE_ROLES = {
    "manager_api": "app",
    "secretary_api": "app",
    "livekit_webhook": "app",
    "kb_search": "app",
    "recording_finalizer": "jobs",
    "retention_purge": "jobs",
    "kb_ingest": "jobs",
    "webhook_sweep": "jobs",
    "webhook_dispatcher": "jobs",
    "note_drafter": "jobs",
}
DATABASE_USERS = {name: f"meetings_{role}" for name, role in DATABASE_ROLES.items()}
SECRETS_USED = {
    "manager_api": ["jwt"],
    "secretary_api": ["jwt", "livekit"],
    "livekit_webhook": ["livekit"],
    "kb_search": ["jwt"],
    "recording_finalizer": [],
    "retention_purge": [],
    "kb_ingest": [],
    "webhook_sweep": [],
    "webhook_dispatcher": [],
    "note_drafter": ["openai"],
}


@pytest.mark.parametrize("name", [n for n in ALL_FUNCTIONS if n != "migrate"])
def test_application_functions_get_the_production_environment(dev, name):
    variables = _function(dev, name)["Properties"]["Environment"]["Variables"]
    proxy_id = dev.logical_id(dev.stack.database.proxy)
    assert variables["ENVIRONMENT"] == "production"
    assert variables["DATABASE_HOST"] == {"Fn::GetAtt": [proxy_id, "Endpoint"]}
    assert "DATABASE_SECRET_ARN" not in variables  # no function but migrate can log in as the owner
    assert variables["DATABASE_IAM_AUTH"] == "true"
    assert variables["DATABASE_USER"] == DATABASE_USERS[name]
    assert variables["DATABASE_SSLROOTCERT"] == "/opt/certs/rds-global-bundle.pem"
    assert variables["COMPONENT"] == name
    expected_secrets = [dev.logical_id(getattr(dev.stack, f"{s}_secret")) for s in SECRETS_USED[name]]
    assert str(variables.get("APP_SECRET_ARN", "")).count("Ref") == len(expected_secrets)
    for secret_id in expected_secrets:
        assert secret_id in str(variables["APP_SECRET_ARN"])
    assert variables["LIVEKIT_URL"] == dev.stack.config.livekit_url
    if name.startswith("kb_"):
        # The image's own EMBEDDING_MODEL (the baked-in model directory) must not be overridden.
        assert "EMBEDDING_MODEL" not in variables
    else:
        assert variables["EMBEDDING_MODEL"] == "intfloat/multilingual-e5-small"
    assert variables["EMBEDDING_DIM"] == "384"
    assert (variables["EMBEDDING_QUERY_PROMPT"], variables["EMBEDDING_PASSAGE_PROMPT"]) == (
        "query: ",
        "passage: ",
    )
    assert variables["EMBEDDING_LANGUAGES"] == "english,portuguese,spanish"
    assert variables["RECORDINGS_BUCKET"] == {"Ref": dev.logical_id(dev.stack.storage.recordings_bucket)}
    assert variables["KB_BUCKET"] == {"Ref": dev.logical_id(dev.stack.storage.kb_bucket)}
    assert variables["POWERTOOLS_SERVICE_NAME"]


@pytest.mark.parametrize("name", ALL_FUNCTIONS)
def test_roles_have_no_inline_policies_and_no_wildcard_actions(synthesized, name):
    role = synthesized.resources[synthesized.logical_id(synthesized.stack.functions[name].role)]["Properties"]
    assert "Policies" not in role
    attached = [
        p
        for p in synthesized.of_type("AWS::IAM::Policy").values()
        if {"Ref": synthesized.logical_id(synthesized.stack.functions[name].role)}
        in p["Properties"].get("Roles", [])
    ]
    assert attached == []
    for statement in _policy_statements(synthesized, name):
        assert statement["Effect"] == "Allow"
        for action in _as_list(statement["Action"]):
            assert "*" not in action, (name, action)
        if _as_list(statement["Resource"]) == ["*"]:
            # Only reading interfaces is unscoped; every write names this account's ENI resources.
            assert statement["Sid"] == "DescribeVpcNetworkInterfaces"
            assert _as_list(statement["Action"]) == ["ec2:DescribeNetworkInterfaces"]


def _object_resources(synth, statement) -> list[tuple[str, str]]:
    """(bucket logical id, key pattern) of every object ARN in a statement."""
    answer = []
    for resource in _as_list(statement["Resource"]):
        parts = resource["Fn::Join"][1]
        answer.append((parts[0]["Fn::GetAtt"][0], parts[1]))
    return answer


S3_ACCESS = {
    # The backoffice uploads and deletes documents; it never reads one back.
    "manager_api": {("kb", "/kb/*"): {"s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"}},
    "secretary_api": {("recordings", "/recordings/*"): {"s3:GetObject"}},
    "livekit_webhook": {},
    "recording_finalizer": {
        ("recordings", "/recordings/*"): {
            "s3:GetObject",
            "s3:GetObjectVersion",
            "s3:PutObjectTagging",
            "s3:PutObjectVersionTagging",
        }
    },
    "retention_purge": {("recordings", "/recordings/*"): {"s3:DeleteObject", "s3:DeleteObjectVersion"}},
    "kb_ingest": {("kb", "/kb/*"): {"s3:GetObject"}},
    "kb_search": {},
    "webhook_sweep": {},
    "webhook_dispatcher": {},
    "note_drafter": {},
    "migrate": {},
}


BUCKET_LEVEL_SIDS = (
    "ListRecordingVersions",
    "ReadVersioningState",
    "ListKnowledgeVersions",
    "ListKnowledgeDocuments",
)


@pytest.mark.parametrize("name", ALL_FUNCTIONS)
def test_s3_access_is_scoped_to_one_bucket_prefix(dev, name):
    buckets = {
        dev.logical_id(dev.stack.storage.recordings_bucket): "recordings",
        dev.logical_id(dev.stack.storage.kb_bucket): "kb",
    }
    granted = {}
    for statement in _policy_statements(dev, name):
        actions = {a for a in _as_list(statement["Action"]) if a.startswith("s3:")}
        if not actions or statement["Sid"] in BUCKET_LEVEL_SIDS:
            continue
        for bucket_id, pattern in _object_resources(dev, statement):
            granted.setdefault((buckets[bucket_id], pattern), set()).update(actions)
    assert granted == S3_ACCESS[name]


@pytest.mark.parametrize(
    "name, sid", [("manager_api", "ListKnowledgeVersions"), ("kb_ingest", "ListKnowledgeDocuments")]
)
def test_knowledge_listing_is_limited_to_the_kb_prefix(dev, name, sid):
    listing = _statement(_policy_statements(dev, name), sid)
    assert listing["Resource"] == {"Fn::GetAtt": [dev.logical_id(dev.stack.storage.kb_bucket), "Arn"]}
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["kb/*"]}}


def test_purge_lists_only_the_recordings_prefix(dev):
    statements = _policy_statements(dev, "retention_purge")
    listing = _statement(statements, "ListRecordingVersions")
    bucket_id = dev.logical_id(dev.stack.storage.recordings_bucket)
    assert listing["Resource"] == {"Fn::GetAtt": [bucket_id, "Arn"]}
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["recordings/*"]}}
    assert _statement(statements, "ReadVersioningState")["Action"] == "s3:GetBucketVersioning"


@pytest.mark.parametrize("name", [n for n in ALL_FUNCTIONS if n != "migrate"])
def test_each_function_connects_as_its_own_database_role(dev, name):
    connect = _statement(
        _policy_statements(dev, name), f"ConnectToDatabaseAs{DATABASE_ROLES[name].capitalize()}"
    )
    assert connect["Action"] == "rds-db:connect"
    assert f"/{DATABASE_USERS[name]}" in str(connect["Resource"])
    others = set(DATABASE_USERS.values()) - {DATABASE_USERS[name]}
    assert not any(other in str(connect["Resource"]) for other in others)


@pytest.mark.parametrize("name", ALL_FUNCTIONS)
def test_secrets_read_are_only_the_ones_needed(dev, name):
    statements = _policy_statements(dev, name)
    if name == "migrate":
        expected = [dev.stack.database.secret, *dev.stack.database.role_secrets.values()]
    else:
        expected = [getattr(dev.stack, f"{s}_secret") for s in SECRETS_USED[name]]
    if not expected:
        assert not [s for s in statements if s.get("Sid") == "ReadSecrets"]
        return
    statement = _statement(statements, "ReadSecrets")
    expected = [{"Ref": dev.logical_id(secret)} for secret in expected]
    assert sorted(map(str, _as_list(statement["Resource"]))) == sorted(map(str, expected))
    assert set(_as_list(statement["Action"])) == {
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
    }


def _secret_keys(synth, secret_id) -> set[str]:
    """The JSON keys a secret of the stack holds (generated, or the operator's placeholders)."""
    properties = synth.resources[secret_id]["Properties"]
    if "GenerateSecretString" in properties:
        return {properties["GenerateSecretString"]["GenerateStringKey"]}
    return set(json.loads(properties["SecretString"]))


@pytest.mark.parametrize("name", [n for n in ALL_FUNCTIONS if n != "migrate"])
def test_each_component_gets_exactly_the_secrets_its_settings_validate(dev, name):
    from meetings.settings import COMPONENT_SECRETS

    variables = _function(dev, name)["Properties"]["Environment"]["Variables"]
    secret_ids = re.findall(r"'Ref': '([^']+)'", str(variables.get("APP_SECRET_ARN", "")))
    keys = set().union(*(_secret_keys(dev, secret_id) for secret_id in secret_ids))
    assert keys == {secret.upper() for secret in COMPONENT_SECRETS[name]}


def test_every_deployed_component_has_a_function(dev):
    from meetings.settings import COMPONENT_SECRETS

    assert set(COMPONENT_SECRETS) - {"agent"} == set(dev.stack.functions)


@pytest.mark.parametrize("name", ALL_FUNCTIONS)
def test_key_use_is_limited_to_named_services(dev, name):
    key_id = dev.logical_id(dev.stack.key)
    for statement in _policy_statements(dev, name):
        if any(a.startswith("kms:") for a in _as_list(statement["Action"])):
            assert statement["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}
            assert "kms:ViaService" in statement["Condition"]["StringEquals"], statement["Sid"]


@pytest.mark.parametrize("name", sorted(ASYNC_FUNCTIONS))
def test_a_function_dead_letter_raises_the_platform_alarm(dev, name):
    alarm = _alarm_on(dev, dev.stack.functions[name].dead_letter_queue)
    assert alarm["Threshold"] == 0
    assert alarm["AlarmActions"] == [{"Ref": dev.logical_id(dev.stack.webhook_queue.alarm_topic)}]


@pytest.mark.parametrize("name", sorted(ASYNC_FUNCTIONS))
def test_dead_letters_are_encrypted_through_sqs_only(dev, name):
    statement = _statement(_policy_statements(dev, name), "EncryptDeadLetters")
    (service,) = statement["Condition"]["StringEquals"]["kms:ViaService"]  # sqs.<region>.amazonaws.com
    assert json.dumps(service).startswith('{"Fn::Join": ["", ["sqs.') and set(
        _as_list(statement["Action"])
    ) == {
        "kms:Decrypt",
        "kms:GenerateDataKey",
    }


def test_the_backoffice_can_neither_download_nor_decrypt_a_document(dev):
    statements = _policy_statements(dev, "manager_api")
    assert not any("s3:GetObject" in _as_list(s["Action"]) for s in statements)
    via_s3 = _statement(statements, "UseDataKeyViaS3")
    assert _as_list(via_s3["Action"]) == ["kms:GenerateDataKey"]
    listing = _statement(statements, "ListKnowledgeVersions")
    assert _as_list(listing["Action"]) == ["s3:ListBucketVersions"]


@pytest.mark.parametrize("name", ALL_FUNCTIONS)
def test_dead_letter_queues_exactly_for_async_functions(dev, name):
    properties = _function(dev, name)["Properties"]
    platform_function = dev.stack.functions[name]
    if name in ASYNC_FUNCTIONS:
        queue_id = dev.logical_id(platform_function.dead_letter_queue)
        assert properties["DeadLetterConfig"] == {"TargetArn": {"Fn::GetAtt": [queue_id, "Arn"]}}
        queue = dev.resources[queue_id]["Properties"]
        assert queue["KmsMasterKeyId"] == {"Fn::GetAtt": [dev.logical_id(dev.stack.key), "Arn"]}
        send = _statement(_policy_statements(dev, name), "SendToDeadLetterQueue")
        assert send["Action"] == "sqs:SendMessage" and send["Resource"] == {"Fn::GetAtt": [queue_id, "Arn"]}
        assert properties["ReservedConcurrentExecutions"] >= 1
    else:
        assert "DeadLetterConfig" not in properties
        assert platform_function.dead_letter_queue is None


def test_dead_letter_queues_refuse_plain_http(dev):
    queues = {dev.logical_id(dev.stack.functions[n].dead_letter_queue) for n in ASYNC_FUNCTIONS}
    policies = dev.of_type("AWS::SQS::QueuePolicy").values()
    secured = set()
    for policy in policies:
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny" and statement["Condition"] == {
                "Bool": {"aws:SecureTransport": "false"}
            }:
                secured.update(ref["Ref"] for ref in policy["Properties"]["Queues"])
    assert queues <= secured


def _notifications(synth, bucket) -> list[dict]:
    bucket_id = synth.logical_id(bucket)
    (notification,) = [
        n
        for n in synth.of_type("Custom::S3BucketNotifications").values()
        if n["Properties"]["BucketName"] == {"Ref": bucket_id}
    ]
    return notification["Properties"]["NotificationConfiguration"]["LambdaFunctionConfigurations"]


def _filter(configuration) -> dict:
    rules = configuration["Filter"]["Key"]["FilterRules"]
    return {rule["Name"]: rule["Value"] for rule in rules}


def test_recordings_prefix_notifies_the_finalizer(dev):
    (configuration,) = _notifications(dev, dev.stack.storage.recordings_bucket)
    finalizer_id = dev.logical_id(dev.stack.functions["recording_finalizer"].function)
    assert configuration["Events"] == ["s3:ObjectCreated:*"]
    assert configuration["LambdaFunctionArn"] == {"Fn::GetAtt": [finalizer_id, "Arn"]}
    assert _filter(configuration) == {"prefix": "recordings/", "suffix": ".mp4"}


def test_kb_prefix_notifies_the_ingestion_function(dev):
    (configuration,) = _notifications(dev, dev.stack.storage.kb_bucket)
    ingest_id = dev.logical_id(dev.stack.functions["kb_ingest"].function)
    assert configuration["Events"] == ["s3:ObjectCreated:*"]
    assert configuration["LambdaFunctionArn"] == {"Fn::GetAtt": [ingest_id, "Arn"]}
    assert _filter(configuration) == {"prefix": "kb/"}


def _rule_targeting(synth, name) -> dict:
    function_id = synth.logical_id(synth.stack.functions[name].function)
    (rule,) = [
        rule
        for rule in synth.of_type("AWS::Events::Rule").values()
        if rule["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    ]
    return rule


def test_purge_runs_hourly_from_eventbridge(dev):
    rule = _rule_targeting(dev, "retention_purge")
    purge_id = dev.logical_id(dev.stack.functions["retention_purge"].function)
    assert rule["Properties"]["ScheduleExpression"] == "rate(1 hour)"
    assert rule["Properties"]["State"] == "ENABLED"
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [purge_id, "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2


def test_migrate_runs_at_deploy_against_the_instance_not_the_proxy(dev):
    migrate = _function(dev, "migrate")
    variables = migrate["Properties"]["Environment"]["Variables"]
    instance_id = dev.logical_id(dev.stack.database.instance)
    assert variables["DATABASE_HOST"] == {"Fn::GetAtt": [instance_id, "Endpoint.Address"]}
    assert variables["EMBEDDING_DIM"] == "384"
    assert variables["MIGRATIONS_DIR"] == "/var/task/migrations"
    assert "APP_SECRET_ARN" not in variables
    assert (variables["ENVIRONMENT"], variables["SETTINGS_SCOPE"]) == ("production", "database")
    assert variables["DATABASE_ROLE_SECRET_ARNS"]  # the first deployment's logins
    (_, trigger) = next(iter(dev.of_type("Custom::Trigger").items()))
    assert trigger["Properties"]["InvocationType"] == "RequestResponse"
    migrate_id = dev.logical_id(dev.stack.functions["migrate"].function)
    version = dev.resources[trigger["Properties"]["HandlerArn"]["Ref"]]
    # The current version: a new migration or a new core layer is a new version, so it runs again.
    assert version["Type"] == "AWS::Lambda::Version"
    assert version["Properties"]["FunctionName"] == {"Ref": migrate_id}
    assert instance_id in trigger["DependsOn"]
    egress_rules = [
        key
        for key, value in dev.of_type("AWS::EC2::SecurityGroupEgress").items()
        if "MigrateSecurityGroup" in str(value["Properties"]["GroupId"])
    ]
    assert egress_rules and set(egress_rules) <= set(trigger["DependsOn"])


def test_migrate_reaches_the_instance_directly(dev):
    database_sg = dev.logical_id(dev.stack.database.security_group)
    ingress = [
        r["Properties"]
        for r in dev.of_type("AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [database_sg, "GroupId"]}
    ]
    sources = {json.dumps(rule["SourceSecurityGroupId"]) for rule in ingress}
    migrate_sg = dev.resources[
        _function(dev, "migrate")["Properties"]["VpcConfig"]["SecurityGroupIds"][0]["Fn::GetAtt"][0]
    ]
    assert migrate_sg["Type"] == "AWS::EC2::SecurityGroup"
    assert any("MigrateSecurityGroup" in source for source in sources)
    assert not any("FunctionSecurityGroup" in source for source in sources)


def test_migrate_asset_carries_the_migrations(dev):
    staged = dev.build_root / "assets" / "functions" / "migrate"
    assert (staged / "handler.py").exists()
    assert (staged / "migrations" / "env.py").exists()
    assert sorted(p.name for p in (staged / "migrations" / "versions").glob("*.py"))


def test_knowledge_functions_share_one_image_with_their_own_entry_points(dev):
    ingest = _function(dev, "kb_ingest")["Properties"]
    search = _function(dev, "kb_search")["Properties"]
    assert ingest["Code"]["ImageUri"] == search["Code"]["ImageUri"] or "ImageConfig" in search
    assert "ImageConfig" not in ingest  # the Dockerfile's CMD: the ingestion handler
    assert search["ImageConfig"]["Command"] == ["kb_search_handler.handler"]
    assert ingest["MemorySize"] >= 3008 and ingest["Timeout"] <= 900


def test_the_webhook_sweep_runs_every_minute_and_fills_the_queue(dev):
    rule = _rule_targeting(dev, "webhook_sweep")
    assert rule["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    queue_id = dev.logical_id(dev.stack.webhook_queue.queue)
    variables = _function(dev, "webhook_sweep")["Properties"]["Environment"]["Variables"]
    assert variables["WEBHOOK_QUEUE_URL"] == {"Ref": queue_id}
    send = _statement(_policy_statements(dev, "webhook_sweep"), "QueueWebhookDeliveries")
    assert send["Action"] == "sqs:SendMessage" and send["Resource"] == {"Fn::GetAtt": [queue_id, "Arn"]}


def test_a_sweep_run_ends_before_the_next_one_starts(dev):
    """Reserved concurrency 1: a run still going when the next minute's starts would throttle it."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("sweep_handler", "functions/webhook_sweep/handler.py")
    handler = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(handler)
    from meetings.notifications.queue import SWEEP_IDLE_SECONDS

    timeout = _function(dev, "webhook_sweep")["Properties"]["Timeout"]
    last_round_starts_by = timeout - handler.SAFETY_MARGIN_MILLIS / 1000
    assert last_round_starts_by + SWEEP_IDLE_SECONDS + 5 <= 60  # 5 s for the last round itself


def test_the_dispatcher_drains_the_queue_one_message_at_a_time(dev):
    queue_id = dev.logical_id(dev.stack.webhook_queue.queue)
    dispatcher_id = dev.logical_id(dev.stack.functions["webhook_dispatcher"].function)
    (mapping,) = [
        m
        for m in dev.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": dispatcher_id}
    ]
    assert mapping["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert mapping["Properties"]["BatchSize"] == 1
    reserved = _function(dev, "webhook_dispatcher")["Properties"]["ReservedConcurrentExecutions"]
    assert mapping["Properties"]["ScalingConfig"]["MaximumConcurrency"] == max(2, reserved)
    consume = _statement(_policy_statements(dev, "webhook_dispatcher"), "ConsumeWebhookDeliveries")
    assert consume["Resource"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert "sqs:SendMessage" not in _as_list(consume["Action"])


def test_the_webhook_queue_has_an_encrypted_dead_letter_queue_with_an_alarm(dev):
    queue = dev.resources[dev.logical_id(dev.stack.webhook_queue.queue)]["Properties"]
    dead_letters_id = dev.logical_id(dev.stack.webhook_queue.dead_letter_queue)
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dead_letters_id, "Arn"]},
        "maxReceiveCount": 5,
    }
    assert queue["VisibilityTimeout"] >= 6 * _function(dev, "webhook_dispatcher")["Properties"]["Timeout"]
    key = {"Fn::GetAtt": [dev.logical_id(dev.stack.key), "Arn"]}
    assert queue["KmsMasterKeyId"] == key
    assert dev.resources[dead_letters_id]["Properties"]["KmsMasterKeyId"] == key
    alarm = _alarm_on(dev, dev.stack.webhook_queue.dead_letter_queue)
    assert alarm["Threshold"] == 0
    assert alarm["AlarmActions"] == [{"Ref": dev.logical_id(dev.stack.webhook_queue.alarm_topic)}]


def test_the_dispatcher_has_its_own_security_group_https_and_the_proxy_only(dev):
    properties = _function(dev, "webhook_dispatcher")["Properties"]
    group_id = dev.logical_id(dev.stack.webhook_security_group)
    assert properties["VpcConfig"]["SecurityGroupIds"] == [{"Fn::GetAtt": [group_id, "GroupId"]}]
    egress = dev.resources[group_id]["Properties"]["SecurityGroupEgress"]
    assert [(rule["CidrIp"], rule["FromPort"], rule["ToPort"]) for rule in egress] == [
        ("0.0.0.0/0", 443, 443)
    ]


ACCOUNT_CONCURRENCY = 1000  # the default regional quota
UNRESERVED_MINIMUM = 100  # Lambda refuses reservations that leave less unreserved


def test_reserved_concurrency_guarantees_the_join_and_webhook_paths(synthesized):
    reserved = {
        name: synthesized.resources[synthesized.logical_id(f.function)]["Properties"][
            "ReservedConcurrentExecutions"
        ]
        for name, f in synthesized.stack.functions.items()
    }
    assert set(reserved) == set(synthesized.stack.config.reserved_concurrency)
    # Reserved is both a floor and a ceiling: the backoffice (uploads included), ingestion and the jobs
    # can never use the join and webhook functions' share, and the rest of the account keeps its pool.
    assert sum(reserved.values()) <= ACCOUNT_CONCURRENCY - UNRESERVED_MINIMUM
    assert reserved["secretary_api"] >= reserved["manager_api"] * 2
    assert reserved["livekit_webhook"] >= reserved["kb_search"]
    assert reserved["kb_ingest"] <= 2 and reserved["retention_purge"] == 1


def test_zip_functions_and_the_core_layer_deploy_their_compiled_staged_code(dev):
    """The assets are the staged copies with bytecode (infra/code_assets.py), not the source tree."""
    from infra.sources import ZIP_FUNCTIONS

    manifest = json.loads(dev.template_path.with_name("Meetings-dev.assets.json").read_text())
    asset_paths = {key: Path(asset["source"]["path"]) for key, asset in manifest["files"].items()}
    core = dev.resources[dev.logical_id(dev.stack.layers["core"])]["Properties"]["Content"]
    codes = [core, *(_function(dev, name)["Properties"]["Code"] for name in ZIP_FUNCTIONS)]
    for code in codes:
        path = asset_paths[code["S3Key"].removesuffix(".zip")]
        assert path.is_relative_to(dev.build_root / "assets"), path
        assert list(path.rglob("__pycache__/*.cpython-311.pyc")), path
