"""The meeting agent on ECS Fargate."""

import pytest

from infra.constructs.agent import INJECTED_APP_SECRET_KEYS, INJECTED_SECRET_KEYS


def _only(synth, resource_type) -> dict:
    (resource,) = synth.of_type(resource_type).values()
    return resource["Properties"]


def test_cluster_has_container_insights(dev):
    cluster = _only(dev, "AWS::ECS::Cluster")
    assert {"Name": "containerInsights", "Value": "enabled"} in cluster["ClusterSettings"]


def test_service_rolls_back_on_failed_deployments_and_stays_private(dev):
    service = _only(dev, "AWS::ECS::Service")
    assert service["LaunchType"] == "FARGATE"
    assert service["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {
        "Enable": True,
        "Rollback": True,
    }
    network = service["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == "DISABLED"
    private = {dev.stack.get_logical_id(s.node.default_child) for s in dev.stack.network.vpc.private_subnets}
    assert {ref["Ref"] for ref in network["Subnets"]} == private


@pytest.mark.parametrize(("stage", "cpu", "memory"), [("dev", "1024", "2048"), ("prod", "2048", "4096")])
def test_task_size_follows_the_stage(request, stage, cpu, memory):
    task = _only(request.getfixturevalue(stage), "AWS::ECS::TaskDefinition")
    assert (task["Cpu"], task["Memory"]) == (cpu, memory)
    assert task["RuntimePlatform"] == {"CpuArchitecture": "X86_64", "OperatingSystemFamily": "LINUX"}


def test_secrets_are_injected_not_written_in_the_environment(dev):
    (container,) = _only(dev, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    injected = {secret["Name"]: secret["ValueFrom"] for secret in container["Secrets"]}
    assert set(injected) == set(INJECTED_APP_SECRET_KEYS)
    assert "JWT_SECRET" not in injected  # with it, anyone could mint a backoffice token
    holders = {"livekit": dev.stack.livekit_secret, "openai": dev.stack.openai_secret}
    for holder, keys in INJECTED_SECRET_KEYS.items():
        for name in keys:
            parts = injected[name]["Fn::Join"][1]
            assert {"Ref": dev.logical_id(holders[holder])} in parts and f":{name}::" in parts
    environment = {item["Name"]: item["Value"] for item in container["Environment"]}
    assert not set(environment) & set(INJECTED_APP_SECRET_KEYS)
    assert environment["ENVIRONMENT"] == "production"
    assert "EMBEDDING_MODEL" not in environment  # the image's baked-in model directory
    assert (environment["EMBEDDING_QUERY_PROMPT"], environment["EMBEDDING_PASSAGE_PROMPT"]) == (
        "query: ",
        "passage: ",
    )
    assert environment["EMBEDDING_LANGUAGES"] == "english,portuguese,spanish"
    assert environment["DATABASE_HOST"] == {
        "Fn::GetAtt": [dev.logical_id(dev.stack.database.proxy), "Endpoint"]
    }
    assert (environment["DATABASE_USER"], environment["DATABASE_IAM_AUTH"]) == ("meetings_agent", "true")
    assert environment["COMPONENT"] == "agent" and "DATABASE_SECRET_ARN" not in environment


def test_logs_go_to_an_encrypted_group_with_retention(dev):
    (container,) = _only(dev, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    options = container["LogConfiguration"]["Options"]
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"
    log_group = dev.resources[options["awslogs-group"]["Ref"]]["Properties"]
    assert log_group["RetentionInDays"] == 30 and "KmsKeyId" in log_group


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_autoscaling_tracks_cpu(request, stage):
    synth = request.getfixturevalue(stage)
    target = _only(synth, "AWS::ApplicationAutoScaling::ScalableTarget")
    size = synth.stack.config.agent
    assert (target["MinCapacity"], target["MaxCapacity"]) == (size.min_tasks, size.max_tasks)
    policy = _only(synth, "AWS::ApplicationAutoScaling::ScalingPolicy")
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert (
        tracking["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ECSServiceAverageCPUUtilization"
    )
    assert tracking["TargetValue"] == size.target_cpu_percent


def test_roles_read_only_their_secrets_through_managed_policies(dev):
    agent = dev.stack.agent
    for role, secrets in (
        (agent.execution_role, [dev.stack.livekit_secret, dev.stack.openai_secret]),
        (agent.task_role, []),  # at run time: the database through IAM authentication, no secret
    ):
        properties = dev.resources[dev.logical_id(role)]["Properties"]
        assert "Policies" not in properties
        (policy_ref,) = properties["ManagedPolicyArns"]
        statements = dev.resources[policy_ref["Ref"]]["Properties"]["PolicyDocument"]["Statement"]
        reads = [s for s in statements if s.get("Sid") == "ReadSecrets"]
        if secrets:
            (read,) = reads
            assert read["Resource"] == [{"Ref": dev.logical_id(secret)} for secret in secrets]
        else:
            assert not reads
            (connect,) = [s for s in statements if s.get("Sid") == "ConnectToDatabaseAsAgent"]
            assert connect["Action"] == "rds-db:connect" and "meetings_agent" in str(connect["Resource"])
        for statement in statements:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not any(action.endswith("*") for action in actions)
    for policy in dev.of_type("AWS::IAM::Policy").values():
        roles = str(policy["Properties"].get("Roles"))
        assert "AgentExecutionRole" not in roles and "AgentTaskRole" not in roles


def test_unhealthy_workers_are_replaced(dev):
    (container,) = _only(dev, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    check = container["HealthCheck"]
    assert check["Command"][0] == "CMD" and "8081" in check["Command"][-1]
    assert container["StopTimeout"] == 120


def test_a_paused_agent_runs_no_tasks(tmp_path):
    from tests.infra.conftest import synthesize

    paused = synthesize("dev", tmp_path, {"agentPaused": "true"})
    service = _only(paused, "AWS::ECS::Service")
    target = _only(paused, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert service["DesiredCount"] == 0 and target["MinCapacity"] == 0


@pytest.mark.parametrize(("stage", "jobs"), [("dev", 1), ("prod", 7)])
def test_the_worker_gets_its_budgets_from_the_stage(request, stage, jobs):
    from agent_container.meeting_agent.config import AgentConfig

    (container,) = _only(request.getfixturevalue(stage), "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    environment = {item["Name"]: item["Value"] for item in container["Environment"]}
    assert environment["AGENT_MAX_JOBS"] == str(jobs)
    assert environment["AGENT_NUM_IDLE_PROCESSES"] == "1"
    # every variable is one the agent reads, with a value it accepts
    agent_settings = {name: value for name, value in environment.items() if name.startswith("AGENT_")}
    with pytest.MonkeyPatch.context() as env:
        for name, value in agent_settings.items():
            env.setenv(name, value)
        config = AgentConfig()
    assert config.max_jobs == jobs
    # the drain and each job's departure end before ECS kills the task
    assert (
        config.drain_timeout_seconds + config.shutdown_process_timeout_seconds + 30
        <= container["StopTimeout"]
    )
    assert container["StopTimeout"] == 120
