"""Database, proxy, secrets, buckets and network."""

import pytest

from infra.constructs.storage import PURGE_GRACE_DAYS, RETENTION_DAYS


def _only(synth, resource_type) -> dict:
    (resource,) = synth.of_type(resource_type).values()
    return resource


def test_postgres_17_pinned_encrypted_private(synthesized):
    instance = _only(synthesized, "AWS::RDS::DBInstance")["Properties"]
    assert instance["Engine"] == "postgres"
    assert instance["EngineVersion"] == "17.9"
    assert instance["StorageEncrypted"] is True
    assert instance["KmsKeyId"] == {"Fn::GetAtt": [synthesized.logical_id(synthesized.stack.key), "Arn"]}
    assert instance["PubliclyAccessible"] is False
    assert instance["AutoMinorVersionUpgrade"] is True
    assert instance["EnableCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    assert instance["MonitoringInterval"] == 60
    isolated = {
        synthesized.stack.get_logical_id(s.node.default_child)
        for s in synthesized.stack.network.vpc.isolated_subnets
    }
    (subnet_group,) = synthesized.of_type("AWS::RDS::DBSubnetGroup").values()
    assert {ref["Ref"] for ref in subnet_group["Properties"]["SubnetIds"]} == isolated


@pytest.mark.parametrize(
    ("stage", "multi_az", "deletion_protection", "backup_days", "instance_class"),
    [("dev", False, False, 7, "db.t4g.small"), ("prod", True, True, 30, "db.m7g.large")],
)
def test_sizes_and_protection_follow_the_stage(
    request, stage, multi_az, deletion_protection, backup_days, instance_class
):
    synth = request.getfixturevalue(stage)
    resource = _only(synth, "AWS::RDS::DBInstance")
    instance = resource["Properties"]
    assert instance["MultiAZ"] is multi_az
    assert instance["DeletionProtection"] is deletion_protection
    assert instance["BackupRetentionPeriod"] == backup_days
    assert instance["DBInstanceClass"] == instance_class
    assert resource["DeletionPolicy"] == "Snapshot"


def test_parameter_group_forces_tls(dev):
    parameters = _only(dev, "AWS::RDS::DBParameterGroup")["Properties"]
    assert parameters["Family"] == "postgres17"
    assert parameters["Parameters"]["rds.force_ssl"] == "1"


def test_the_database_log_keeps_slow_statements_but_never_their_values(dev):
    parameters = _only(dev, "AWS::RDS::DBParameterGroup")["Properties"]["Parameters"]
    assert parameters["log_min_duration_statement"] == "1000"
    assert parameters["log_parameter_max_length"] == "0"
    assert parameters["log_parameter_max_length_on_error"] == "0"
    assert parameters["log_error_verbosity"] == "terse"  # no DETAIL: "Failing row contains (...)"
    assert "log_statement" not in parameters  # its default, none: no statement logged for being run


def test_credentials_live_in_secrets_manager_and_rotate(dev):
    secret_id = dev.logical_id(dev.stack.database.secret)
    secret = dev.resources[secret_id]["Properties"]
    assert secret["KmsKeyId"] == {"Fn::GetAtt": [dev.logical_id(dev.stack.key), "Arn"]}
    instance = _only(dev, "AWS::RDS::DBInstance")["Properties"]
    assert secret_id in str(instance["MasterUserPassword"])
    rotations = [
        r["Properties"]
        for r in dev.of_type("AWS::SecretsManager::RotationSchedule").values()
        if "SecretAttachment" in str(r["Properties"]["SecretId"])
    ]
    assert len(rotations) == 4  # the master user and each service role
    for rotation in rotations:
        assert rotation["RotationRules"]["ScheduleExpression"] == "rate(30 days)"


def test_each_service_role_has_its_own_rotated_secret(dev):
    for name, username in (("app", "meetings_app"), ("jobs", "meetings_jobs"), ("agent", "meetings_agent")):
        template = next(
            r["Properties"]
            for key, r in dev.of_type("AWS::SecretsManager::Secret").items()
            if f"{name.capitalize()}RoleSecret" in key
        )
        assert f'"username":"{username}"' in str(template["GenerateSecretString"]["SecretStringTemplate"])
        assert template["Name"] == f"meetings/dev/database/{name}"


def test_proxy_requires_tls_and_iam_and_knows_only_the_service_roles(dev):
    proxy = _only(dev, "AWS::RDS::DBProxy")["Properties"]
    assert proxy["RequireTLS"] is True
    assert proxy["EngineFamily"] == "POSTGRESQL"
    assert len(proxy["Auth"]) == 3
    for auth in proxy["Auth"]:
        assert auth["IAMAuth"] == "REQUIRED"
        assert "RoleSecret" in str(auth["SecretArn"])  # never the master user's
    target = _only(dev, "AWS::RDS::DBProxyTargetGroup")["Properties"]
    assert target["DBInstanceIdentifiers"] == [{"Ref": dev.logical_id(dev.stack.database.instance)}]


def test_only_the_proxy_migrate_and_rotation_reach_the_instance(dev):
    database_sg = dev.logical_id(dev.stack.database.security_group)
    sources = [
        str(r["Properties"]["SourceSecurityGroupId"])
        for r in dev.of_type("AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [database_sg, "GroupId"]}
    ]
    assert sources
    for source in sources:
        assert any(
            name in source
            for name in ("ProxySecurityGroup", "MigrateSecurityGroup", "RotationSingleUser", "RoleRotation")
        )


def test_proxy_admits_the_functions_and_the_agent(dev):
    proxy_sg = dev.logical_id(dev.stack.database.proxy_security_group)
    sources = {
        str(r["Properties"]["SourceSecurityGroupId"])
        for r in dev.of_type("AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [proxy_sg, "GroupId"]}
    }
    assert any("FunctionSecurityGroup" in s for s in sources)
    assert any("AgentSecurityGroup" in s for s in sources)


def test_jwt_secret_is_generated_and_the_providers_keys_wait_for_the_operator(dev):
    generator = dev.resources[dev.logical_id(dev.stack.jwt_secret)]["Properties"]["GenerateSecretString"]
    assert generator["GenerateStringKey"] == "JWT_SECRET"
    assert generator["PasswordLength"] >= 32
    livekit = str(dev.resources[dev.logical_id(dev.stack.livekit_secret)]["Properties"]["SecretString"])
    openai = str(dev.resources[dev.logical_id(dev.stack.openai_secret)]["Properties"]["SecretString"])
    assert "LIVEKIT_API_KEY" in livekit and "LIVEKIT_API_SECRET" in livekit and "OPENAI" not in livekit
    assert "OPENAI_API_KEY" in openai and "LIVEKIT" not in openai


def _bucket(synth, bucket) -> dict:
    return synth.resources[synth.logical_id(bucket)]["Properties"]


@pytest.mark.parametrize("which", ["recordings_bucket", "kb_bucket"])
def test_data_buckets_are_encrypted_versioned_private_and_logged(dev, which):
    bucket = getattr(dev.stack.storage, which)
    properties = _bucket(dev, bucket)
    (encryption,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["LoggingConfiguration"]["DestinationBucketName"] == {
        "Ref": dev.logical_id(dev.stack.storage.log_bucket)
    }
    policies = [
        p
        for p in dev.of_type("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": dev.logical_id(bucket)}
    ]
    (policy,) = policies
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    )


def test_recordings_expire_by_retention_tag_as_a_backstop(dev):
    rules = {
        r["Id"]: r
        for r in _bucket(dev, dev.stack.storage.recordings_bucket)["LifecycleConfiguration"]["Rules"]
    }
    for days in RETENTION_DAYS:
        rule = rules[f"expire-retention-{days}"]
        assert rule["Status"] == "Enabled"
        assert rule["TagFilters"] == [{"Key": "retention-days", "Value": str(days)}]
        assert rule["Prefix"] == "recordings/"
        assert rule["ExpirationInDays"] == days + PURGE_GRACE_DAYS
        assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] >= 1
    assert rules["housekeeping"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}


def test_buckets_outlive_the_stack(synthesized):
    for bucket in synthesized.of_type("AWS::S3::Bucket").values():
        assert bucket["DeletionPolicy"] == "Retain"


def test_vpc_has_flow_logs_nat_and_an_s3_endpoint(synthesized):
    (flow_log,) = synthesized.of_type("AWS::EC2::FlowLog").values()
    assert flow_log["Properties"]["TrafficType"] == "ALL"
    assert flow_log["Properties"]["LogDestinationType"] == "s3"
    assert len(synthesized.of_type("AWS::EC2::NatGateway")) == synthesized.stack.config.nat_gateways
    endpoints = synthesized.of_type("AWS::EC2::VPCEndpoint").values()
    assert any("s3" in str(e["Properties"]["ServiceName"]) for e in endpoints)
    for subnet in synthesized.of_type("AWS::EC2::Subnet").values():
        assert subnet["Properties"]["MapPublicIpOnLaunch"] is False


def test_every_log_group_is_encrypted_with_a_retention(synthesized):
    for log_group in synthesized.of_type("AWS::Logs::LogGroup").values():
        assert "KmsKeyId" in log_group["Properties"]
        assert log_group["Properties"]["RetentionInDays"] == synthesized.stack.config.log_retention_days


def test_outputs_name_the_api_buckets_cluster_and_service(dev):
    outputs = dev.template.to_json()["Outputs"]
    for name in (
        "ApiUrl",
        "RecordingsBucketName",
        "KnowledgeBaseBucketName",
        "AgentClusterName",
        "AgentServiceName",
    ):
        assert name in outputs
