"""The meeting agent: a livekit-agents worker on ECS Fargate, built from agent_container/, secrets
injected from Secrets Manager, scaled on CPU, rolled back by the deployment circuit breaker."""

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.logging import encrypted_log_group
from infra.constructs.network import APPLICATION_SUBNETS
from infra.constructs.permissions import read_secrets, use_key, write_logs

# Secret keys the agent receives as environment variables at task start (never JWT_SECRET, with which
# anyone could mint a backoffice token), by the secret that holds them.
INJECTED_SECRET_KEYS = {"livekit": ("LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"), "openai": ("OPENAI_API_KEY",)}
INJECTED_APP_SECRET_KEYS = tuple(key for keys in INJECTED_SECRET_KEYS.values() for key in keys)
HEALTH_PROBE = "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8081/', timeout=4)"
ECR_PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]

# Stopping (agent_container/meeting_agent/worker.py): SIGTERM, a drain for meetings that end by
# themselves, then each job leaves (AGENT_LEFT, final usage) and dispatches the agent again; all of it
# before ECS kills the task at STOP_TIMEOUT_SECONDS, the longest Fargate allows.
STOP_TIMEOUT_SECONDS = 120
DRAIN_TIMEOUT_SECONDS = 45
SHUTDOWN_PROCESS_TIMEOUT_SECONDS = 30
STOP_MARGIN_SECONDS = STOP_TIMEOUT_SECONDS - DRAIN_TIMEOUT_SECONDS - SHUTDOWN_PROCESS_TIMEOUT_SECONDS

# Memory, measured by bench/bench_agent_worker.py with all-mpnet-base-v2 (docs/agent.md); the production
# model since, multilingual-e5-small, is of its size (118 M parameters against 110 M). The worker and
# its forkserver hold torch and the weights once per task (a job process's peak RSS is 820 MiB, of
# which 83 MiB private); each job process adds its private memory,
# counted here at 3x the measured figure for a long meeting's buffers. Headroom is for the OS.
WORKER_BASE_MIB = 1100
JOB_PROCESS_MIB = 250
MEMORY_HEADROOM = 0.8
# livekit-agents checks a job's PSS (private pages plus its share of the weights: 382 MiB measured with
# one sibling); warn well above it, kill a runaway process before it takes the task down.
JOB_MEMORY_WARN_MIB = 600
JOB_MEMORY_LIMIT_MIB = 1000


def jobs_per_task(memory_mib: int, idle_processes: int) -> int:
    """Meetings a task holds: what its memory leaves after the worker and the idle processes."""
    usable = memory_mib * MEMORY_HEADROOM - WORKER_BASE_MIB - idle_processes * JOB_PROCESS_MIB
    return max(1, int(usable // JOB_PROCESS_MIB))


def worker_environment(config: StageConfig) -> dict[str, str]:
    """The worker's budgets (AGENT_* settings of agent_container/meeting_agent/config.py)."""
    size = config.agent
    return {
        "AGENT_NUM_IDLE_PROCESSES": str(size.idle_processes),
        "AGENT_MAX_JOBS": str(jobs_per_task(size.memory_mib, size.idle_processes)),
        "AGENT_JOB_MEMORY_WARN_MB": str(JOB_MEMORY_WARN_MIB),
        "AGENT_JOB_MEMORY_LIMIT_MB": str(JOB_MEMORY_LIMIT_MIB),
        "AGENT_DRAIN_TIMEOUT_SECONDS": str(DRAIN_TIMEOUT_SECONDS),
        "AGENT_SHUTDOWN_PROCESS_TIMEOUT_SECONDS": str(SHUTDOWN_PROCESS_TIMEOUT_SECONDS),
    }


class MeetingAgent(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StageConfig,
        vpc: ec2.IVpc,
        key: kms.IKey,
        image: ecr_assets.DockerImageAsset,
        livekit_secret: secretsmanager.ISecret,
        openai_secret: secretsmanager.ISecret,
        database_connect: iam.PolicyStatement,
        environment: dict[str, str],
    ) -> None:
        super().__init__(scope, id)
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            cluster_name=f"meetings-{config.stage}",
            vpc=vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )
        self.log_group = encrypted_log_group(self, "Logs", key=key, retention_days=config.log_retention_days)
        # Both roles carry one managed policy and refuse the inline grants ECS constructs would add.
        execution_policy = iam.ManagedPolicy(
            self,
            "ExecutionPolicy",
            description="Meeting agent task start: pull its image, write its logs, inject its secrets",
            statements=[
                iam.PolicyStatement(sid="EcrLogin", actions=["ecr:GetAuthorizationToken"], resources=["*"]),
                iam.PolicyStatement(
                    sid="PullImage", actions=ECR_PULL_ACTIONS, resources=[image.repository.repository_arn]
                ),
                write_logs(self.log_group),
                read_secrets(livekit_secret, openai_secret),
                use_key(self, key, services=["secretsmanager"]),
            ],
        )
        self.execution_role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description="Meeting agent task execution role",
            managed_policies=[execution_policy],
        )
        task_policy = iam.ManagedPolicy(
            self,
            "TaskPolicy",
            description="Meeting agent at run time: the database as its own role, through the proxy",
            statements=[database_connect],
        )
        self.task_role = iam.Role(
            self,
            "TaskRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description="Meeting agent task role",
            managed_policies=[task_policy],
        )
        task = ecs.FargateTaskDefinition(
            self,
            "Task",
            cpu=config.agent.cpu,
            memory_limit_mib=config.agent.memory_mib,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.X86_64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
            execution_role=self.execution_role.without_policy_updates(),
            task_role=self.task_role.without_policy_updates(),
        )
        # Referenced by ARN so ECS's automatic grants have nowhere to go: the managed policy above holds them.
        injected = {
            name: secretsmanager.Secret.from_secret_complete_arn(
                self, f"Injected{name.capitalize()}Secret", arn
            )
            for name, arn in (("livekit", livekit_secret.secret_arn), ("openai", openai_secret.secret_arn))
        }
        task.add_container(
            "agent",
            image=ecs.ContainerImage.from_docker_image_asset(image),
            environment={**environment, **worker_environment(config)},
            secrets={
                key: ecs.Secret.from_secrets_manager(injected[name], key)
                for name, keys in INJECTED_SECRET_KEYS.items()
                for key in keys
            },
            logging=ecs.LogDrivers.aws_logs(stream_prefix="agent", log_group=self.log_group),
            # livekit-agents answers on :8081 in `start` mode, 503 once it lost LiveKit: a task that cannot
            # take jobs is replaced, and a deployment whose tasks never get healthy rolls back.
            health_check=ecs.HealthCheck(
                command=["CMD", "python", "-c", HEALTH_PROBE],
                interval=Duration.seconds(30),
                timeout=Duration.seconds(5),
                retries=3,
                start_period=Duration.seconds(60),
            ),
            stop_timeout=Duration.seconds(STOP_TIMEOUT_SECONDS),
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Meeting agent: no inbound; outbound to LiveKit, OpenAI and the RDS Proxy",
            allow_all_outbound=True,
        )
        self.service = ecs.FargateService(
            self,
            "Service",
            service_name="meeting-agent",
            cluster=self.cluster,
            task_definition=task,
            desired_count=0 if config.agent_paused else config.agent.min_tasks,
            vpc_subnets=APPLICATION_SUBNETS,
            security_groups=[self.security_group],
            assign_public_ip=False,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            min_healthy_percent=100,
            max_healthy_percent=200,
            enable_execute_command=False,
        )
        # Paused, the minimum is 0 and nothing runs to produce CPU load, so nothing scales out.
        scaling = self.service.auto_scale_task_count(
            min_capacity=0 if config.agent_paused else config.agent.min_tasks,
            max_capacity=config.agent.max_tasks,
        )
        scaling.scale_on_cpu_utilization(
            "CpuScaling",
            target_utilization_percent=config.agent.target_cpu_percent,
            scale_out_cooldown=Duration.minutes(1),
            # Scaling in stops a task with live meetings: be slow about it.
            scale_in_cooldown=Duration.minutes(15),
        )
