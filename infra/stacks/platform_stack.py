"""One environment of the platform: network, data, storage, functions, API, schedules and the agent."""

from aws_cdk import Annotations, CfnOutput, Duration, RemovalPolicy, SecretValue, Stack, triggers
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra import sources
from infra.code_assets import StagedCode
from infra.config import StageConfig
from infra.constructs.agent import MeetingAgent
from infra.constructs.api import KB_SEARCH_ROUTES, MANAGER_ROUTES, SECRETARY_ROUTES, WEBHOOK_ROUTES, HttpApi
from infra.constructs.database import Database
from infra.constructs.function import ARCHITECTURE, RUNTIME, SNAPSTART_RUNTIME, FunctionSettings
from infra.constructs.network import Network
from infra.constructs.notes import NoteQueue
from infra.constructs.permissions import objects, read_secrets, use_key
from infra.constructs.queues import dead_letters_alarm
from infra.constructs.storage import KB_PREFIX, RECORDINGS_PREFIX, Storage
from infra.constructs.webhooks import WebhookQueue
from infra.embedding_model import EMBEDDING_DIM, EMBEDDING_MODEL, EMBEDDING_PROFILE
from infra.stacks.functions import _function, application_functions

# Filled by the operator after the first deploy (see the README); the services refuse these placeholders.
LIVEKIT_SECRET_PLACEHOLDERS = {"LIVEKIT_API_KEY": "changeme", "LIVEKIT_API_SECRET": "changeme"}
OPENAI_SECRET_PLACEHOLDERS = {"OPENAI_API_KEY": "changeme"}
# Where the RDS CA bundle lies in the layer (/opt) and in the images (meetings.settings.RDS_CA_BUNDLE).
RDS_CA_BUNDLE = "/opt/certs/rds-global-bundle.pem"
PURGE_SCHEDULE = events.Schedule.rate(Duration.hours(1))
WEBHOOK_SWEEP_SCHEDULE = events.Schedule.rate(Duration.minutes(1))
NOTE_SWEEP_SCHEDULE = events.Schedule.rate(Duration.minutes(5))


class PlatformStack(Stack):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StageConfig,
        dependencies_layer_dir: str,
        snapstart_dependencies_layer_dir: str,
        code: StagedCode,
        **kwargs,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        self.config = config
        self.code = code
        self.key = self._data_key()
        self.storage = Storage(self, "Storage", config=config, key=self.key)
        self.network = Network(self, "Network", config=config, log_bucket=self.storage.log_bucket)
        vpc = self.network.vpc
        self.database = Database(self, "Database", config=config, vpc=vpc, key=self.key)
        # One secret per concern, so that each component reads only what it uses.
        self.jwt_secret = secretsmanager.Secret(
            self,
            "JwtSecret",
            secret_name=f"meetings/{config.stage}/jwt",
            description="JWT_SECRET (generated): signs and checks backoffice access tokens",
            encryption_key=self.key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template="{}",
                generate_string_key="JWT_SECRET",
                password_length=64,
                exclude_punctuation=True,
            ),
        )
        self.livekit_secret = secretsmanager.Secret(
            self,
            "LivekitSecret",
            secret_name=f"meetings/{config.stage}/livekit",
            description="LIVEKIT_API_KEY and LIVEKIT_API_SECRET (set by the operator)",
            encryption_key=self.key,
            secret_object_value={
                name: SecretValue.unsafe_plain_text(value)
                for name, value in LIVEKIT_SECRET_PLACEHOLDERS.items()
            },
        )
        self.openai_secret = secretsmanager.Secret(
            self,
            "OpenaiSecret",
            secret_name=f"meetings/{config.stage}/openai",
            description="OPENAI_API_KEY (set by the operator): the meeting agent and the note drafter",
            encryption_key=self.key,
            secret_object_value={
                name: SecretValue.unsafe_plain_text(value)
                for name, value in OPENAI_SECRET_PLACEHOLDERS.items()
            },
        )
        self.http_api = HttpApi(self, "Http", config=config, key=self.key)
        public_base_url = config.public_base_url or self.http_api.url

        self.function_security_group = self._lambda_security_group(
            "FunctionSecurityGroup",
            vpc,
            who="Platform Lambdas",
            reaches="the RDS Proxy and HTTPS out",
            https_to="AWS APIs, LiveKit, OpenAI",
        )
        self.webhook_queue = WebhookQueue(self, "Webhooks", key=self.key)
        self.webhook_security_group = self._lambda_security_group(
            "WebhookDispatcherSecurityGroup",
            vpc,
            who="Webhook dispatcher",
            reaches="the RDS Proxy and HTTPS to the endpoints of entities",
            https_to="webhook endpoints of entities, AWS APIs",
        )
        self.note_queue = NoteQueue(self, "Notes", key=self.key, alarm_topic=self.webhook_queue.alarm_topic)
        self.note_drafter_security_group = self._lambda_security_group(
            "NoteDrafterSecurityGroup",
            vpc,
            who="Note drafter",
            reaches="the RDS Proxy and HTTPS to the model endpoint",
            https_to="the OpenAI-compatible model endpoint, AWS APIs",
        )
        self.layers = self._layers(dependencies_layer_dir, snapstart_dependencies_layer_dir)
        environment = {
            "ENVIRONMENT": "production",
            # Each component logs in to the proxy as its own role (DATABASE_USER) with an IAM token.
            "DATABASE_HOST": self.database.proxy.endpoint,
            "DATABASE_IAM_AUTH": "true",
            "DATABASE_SSLROOTCERT": RDS_CA_BUNDLE,
            "LIVEKIT_URL": config.livekit_url,
            "RECORDINGS_BUCKET": self.storage.recordings_bucket.bucket_name,
            "KB_BUCKET": self.storage.kb_bucket.bucket_name,
            "EMBEDDING_MODEL": EMBEDDING_MODEL,
            "EMBEDDING_DIM": EMBEDDING_DIM,
            **EMBEDDING_PROFILE,
            "PUBLIC_BASE_URL": public_base_url,
        }
        self.egress_role = self._egress_role()
        egress_environment = {}
        if self.egress_role is not None:
            egress_environment = {
                "EGRESS_S3_ASSUME_ROLE_ARN": self.egress_role.role_arn,
                "EGRESS_S3_ASSUME_ROLE_EXTERNAL_ID": config.egress_external_id or "",
            }
        self.functions = application_functions(
            self, environment=environment, egress_environment=egress_environment
        )
        self._wire_api()
        self._wire_storage_events()
        self._schedule_purge()
        self._wire_webhooks()
        self._wire_notes()
        self._alarm_dead_letters()
        self._migrations()
        self.agent = self._agent(environment)
        self._outputs()
        missing = sources.missing_sources()
        if missing:
            Annotations.of(self).add_warning_v2(
                "meetings:missing-sources", "placeholders deployed for missing sources: " + ", ".join(missing)
            )

    # -- building blocks -------------------------------------------------------------------------

    def _lambda_security_group(
        self, construct_id: str, vpc: ec2.IVpc, *, who: str, reaches: str, https_to: str
    ) -> ec2.SecurityGroup:
        """A Lambda's own group: HTTPS out and the RDS Proxy, nothing else."""
        group = ec2.SecurityGroup(
            self, construct_id, vpc=vpc, description=f"{who}: {reaches}", allow_all_outbound=False
        )
        group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), f"HTTPS: {https_to}")
        self.database.allow_proxy_from(group, f"{who} to RDS Proxy")
        return group

    def _data_key(self) -> kms.Key:
        key = kms.Key(
            self,
            "DataKey",
            alias=f"alias/meetings-{self.config.stage}-data",
            description="Encrypts the platform's data at rest: database, buckets, secrets, queues, logs",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsOfThisAccount",
                principals=[iam.ServicePrincipal(f"logs.{self.region}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": f"arn:{self.partition}:logs:{self.region}:{self.account}:log-group:*"
                    }
                },
            )
        )
        return key

    def _layers(
        self, dependencies_layer_dir: str, snapstart_dependencies_layer_dir: str
    ) -> dict[str, lambda_.LayerVersion]:
        packages = "Third-party packages of the {} functions (layer_requirements.txt, CPython {})"

        def layer(id: str, description: str, directory: str, runtimes: list) -> lambda_.LayerVersion:
            return lambda_.LayerVersion(
                self,
                id,
                description=description,
                code=lambda_.Code.from_asset(directory, exclude=[".complete"]),
                compatible_runtimes=runtimes,
                compatible_architectures=[ARCHITECTURE],
            )

        return {
            "dependencies": layer(
                "DependenciesLayer", packages.format("job", "3.11"), dependencies_layer_dir, [RUNTIME]
            ),
            "snapstart_dependencies": layer(
                "SnapStartDependenciesLayer",
                packages.format("API", "3.12"),
                snapstart_dependencies_layer_dir,
                [SNAPSTART_RUNTIME],
            ),
            "core": layer(
                "CoreLayer",
                "The shared meetings package (layers/core/python)",
                str(self.code.core_layer),
                [RUNTIME, SNAPSTART_RUNTIME],
            ),
        }

    def layers_for(self, *, snap_start: bool) -> list[lambda_.LayerVersion]:
        """A zip function's layers: the dependencies built for its runtime, and the core package."""
        dependencies = self.layers["snapstart_dependencies" if snap_start else "dependencies"]
        return [dependencies, self.layers["core"]]

    def _egress_role(self) -> iam.Role | None:
        """A role LiveKit egress assumes to upload recordings, when the operator names its principal."""
        if not self.config.egress_role_principal:
            return None
        policy = iam.ManagedPolicy(
            self,
            "EgressUploadPolicy",
            description="LiveKit egress: upload recordings under recordings/",
            statements=[
                objects(
                    "UploadRecordings", self.storage.recordings_bucket, RECORDINGS_PREFIX, ["s3:PutObject"]
                ),
                use_key(self, self.key, services=["s3"], encrypt=True),
            ],
        )
        return iam.Role(
            self,
            "EgressUploadRole",
            assumed_by=iam.ArnPrincipal(self.config.egress_role_principal),
            external_ids=[self.config.egress_external_id] if self.config.egress_external_id else None,
            description="Assumed by LiveKit egress to write meeting recordings",
            managed_policies=[policy],
        )

    def _wire_api(self) -> None:
        api = self.http_api
        api.route("Manager", self.functions["manager_api"].entry_point, MANAGER_ROUTES)
        api.route("KnowledgeSearch", self.functions["kb_search"].entry_point, KB_SEARCH_ROUTES)
        api.route("Secretary", self.functions["secretary_api"].entry_point, SECRETARY_ROUTES)
        api.route("Webhook", self.functions["livekit_webhook"].entry_point, WEBHOOK_ROUTES)
        api.throttle_join_routes()

    def _wire_storage_events(self) -> None:
        self.storage.recordings_bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            s3n.LambdaDestination(self.functions["recording_finalizer"].function),
            s3.NotificationKeyFilter(prefix=RECORDINGS_PREFIX, suffix=".mp4"),
        )
        self.storage.kb_bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            s3n.LambdaDestination(self.functions["kb_ingest"].function),
            s3.NotificationKeyFilter(prefix=KB_PREFIX),
        )

    def _schedule_purge(self) -> None:
        self.purge_rule = events.Rule(
            self,
            "RetentionPurgeSchedule",
            description="Hourly retention purge of recordings",
            schedule=PURGE_SCHEDULE,
            targets=[targets.LambdaFunction(self.functions["retention_purge"].function, retry_attempts=2)],
        )

    def _wire_webhooks(self) -> None:
        """The sweep every minute (it runs for most of it); the dispatcher on the queue, a message at a time."""
        self.webhook_sweep_rule = events.Rule(
            self,
            "WebhookSweepSchedule",
            description="Outgoing webhooks: move due deliveries from the outbox to the dispatch queue",
            schedule=WEBHOOK_SWEEP_SCHEDULE,
            targets=[targets.LambdaFunction(self.functions["webhook_sweep"].function, retry_attempts=0)],
        )
        lambda_.EventSourceMapping(
            self,
            "WebhookDispatchMapping",
            target=self.functions["webhook_dispatcher"].function,
            event_source_arn=self.webhook_queue.queue.queue_arn,
            batch_size=1,
            # Never more pollers than the reserved concurrency: a throttled receive would count toward
            # the dead-letter queue. SQS event sources take two at least.
            max_concurrency=max(2, self.config.reserved_concurrency["webhook_dispatcher"]),
        )

    def _alarm_dead_letters(self) -> None:
        """An event an async function failed on every retry (an S3 notification, a schedule) waits in its
        dead-letter queue for 14 days: someone is told, on the platform's alarm topic."""
        for name, platform_function in self.functions.items():
            if platform_function.dead_letter_queue is None:
                continue
            dead_letters_alarm(
                platform_function,
                dead_letter_queue=platform_function.dead_letter_queue,
                topic=self.webhook_queue.alarm_topic,
                description=(
                    f"{name}: an event failed every retry and waits in the dead-letter queue (kept 14 days). "
                    "Find the cause in the function's log, then send the event again."
                ),
            )

    def _wire_notes(self) -> None:
        """The drafter on the notes queue, a message at a time, below its reserved concurrency (a throttled
        receive would count toward the dead-letter queue); and its sweep every five minutes."""
        drafter = self.functions["note_drafter"].function
        lambda_.EventSourceMapping(
            self,
            "NoteDraftMapping",
            target=drafter,
            event_source_arn=self.note_queue.queue.queue_arn,
            batch_size=1,
            # One left for the sweep; SQS event sources take two at least.
            max_concurrency=max(2, self.config.reserved_concurrency["note_drafter"] - 1),
        )
        self.note_sweep_rule = events.Rule(
            self,
            "NoteSweepSchedule",
            description="Visit notes: queue again the notes a lost message or a dead job left pending",
            schedule=NOTE_SWEEP_SCHEDULE,
            targets=[targets.LambdaFunction(drafter, retry_attempts=0)],
        )

    def _migrations(self) -> None:
        """`alembic upgrade head` at every deploy, straight to the instance (not the proxy)."""
        security_group = ec2.SecurityGroup(
            self,
            "MigrateSecurityGroup",
            vpc=self.network.vpc,
            description="Migrate function: PostgreSQL instance",
            allow_all_outbound=False,
        )
        security_group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS: Secrets Manager")
        self.database.allow_instance_from(security_group, "Migrate function to PostgreSQL")
        migrate = _function(
            self,
            "Migrate",
            FunctionSettings(
                name="migrate",
                description="Brings the database to the newest schema (alembic upgrade head)",
                memory_mib=1024,
                timeout=Duration.minutes(10),
                # No APP_SECRET_ARN: migrations read only the database and the embedding dimension, and
                # must run on the first deploy, before the operator fills the app secret.
                environment={
                    "ENVIRONMENT": "production",
                    "SETTINGS_SCOPE": "database",
                    "COMPONENT": "migrate",
                    "DATABASE_SECRET_ARN": self.database.secret.secret_arn,
                    "DATABASE_HOST": self.database.instance.db_instance_endpoint_address,
                    "DATABASE_SSLROOTCERT": RDS_CA_BUNDLE,
                    # First deployment: each service role gets a login with its secret's password.
                    "DATABASE_ROLE_SECRET_ARNS": ",".join(
                        secret.secret_arn for secret in self.database.role_secrets.values()
                    ),
                    "EMBEDDING_DIM": EMBEDDING_DIM,
                    "MIGRATIONS_DIR": "/var/task/migrations",
                },
                statements=[
                    read_secrets(self.database.secret, *self.database.role_secrets.values()),
                    use_key(self, self.key, services=["secretsmanager"]),
                ],
            ),
            lambda_.Code.from_asset(str(self.code.functions["migrate"])),
            security_group=security_group,
        )
        self.functions["migrate"] = migrate
        self.migration_trigger = triggers.Trigger(
            self,
            "MigrateOnDeploy",
            handler=migrate.function,
            timeout=Duration.minutes(10),
            invocation_type=triggers.InvocationType.REQUEST_RESPONSE,
            execute_on_handler_change=True,
            # The instance, its ingress rules and the function's own egress rules exist before it runs.
            execute_after=[self.database, security_group],
        )

    def _agent(self, environment: dict[str, str]) -> MeetingAgent:
        agent_environment = {
            name: environment[name]
            # EMBEDDING_MODEL stays the image's own: the model baked into agent_container/Dockerfile.
            for name in (
                "ENVIRONMENT",
                "DATABASE_HOST",
                "DATABASE_IAM_AUTH",
                "DATABASE_SSLROOTCERT",
                "LIVEKIT_URL",
                "EMBEDDING_DIM",
                *EMBEDDING_PROFILE,
                "KB_BUCKET",
                "RECORDINGS_BUCKET",
            )
        }
        image = ecr_assets.DockerImageAsset(
            self,
            "AgentImage",
            directory=str(sources.agent_image_context()),
            file=sources.agent_image_file(),
            exclude=sources.AGENT_IMAGE_EXCLUDES,
            platform=ecr_assets.Platform.LINUX_AMD64,
        )
        agent = MeetingAgent(
            self,
            "Agent",
            config=self.config,
            vpc=self.network.vpc,
            key=self.key,
            image=image,
            livekit_secret=self.livekit_secret,
            openai_secret=self.openai_secret,
            database_connect=self.database.connect_as("agent"),
            environment={**agent_environment, "COMPONENT": "agent", "DATABASE_USER": "meetings_agent"},
        )
        # The agent keeps open egress (WebRTC media to LiveKit uses UDP ports), so no egress rule is added.
        self.database.allow_proxy_from(agent.security_group, "Meeting agent to RDS Proxy", peer_egress=False)
        return agent

    def _outputs(self) -> None:
        CfnOutput(self, "ApiUrl", value=self.http_api.url, description="Base URL of the HTTP API")
        CfnOutput(self, "RecordingsBucketName", value=self.storage.recordings_bucket.bucket_name)
        CfnOutput(self, "KnowledgeBaseBucketName", value=self.storage.kb_bucket.bucket_name)
        CfnOutput(self, "AgentClusterName", value=self.agent.cluster.cluster_name)
        CfnOutput(self, "AgentServiceName", value=self.agent.service.service_name)
        CfnOutput(
            self, "LivekitSecretArn", value=self.livekit_secret.secret_arn, description="Fill LIVEKIT_* here"
        )
        CfnOutput(
            self,
            "OpenaiSecretArn",
            value=self.openai_secret.secret_arn,
            description="Fill OPENAI_API_KEY here",
        )
        CfnOutput(self, "DatabaseProxyEndpoint", value=self.database.proxy.endpoint)
        CfnOutput(
            self,
            "AlarmTopicArn",
            value=self.webhook_queue.alarm_topic.topic_arn,
            description="Subscribe here: dead letters in the webhook and visit-note queues",
        )
