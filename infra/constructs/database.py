"""RDS PostgreSQL 17 with pgvector, one rotated secret per database role, and the TLS-only RDS Proxy
that the services reach with IAM authentication, each as its own role.

The master secret belongs to the migrate function (the migrator owns the schema) and its rotation; the
proxy holds only the service roles' secrets, so no service can log in as the owner.
"""

from aws_cdk import Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.logging import encrypted_log_group
from infra.constructs.network import APPLICATION_SUBNETS, DATABASE_SUBNETS

ENGINE_VERSION = rds.PostgresEngineVersion.VER_17_9
DATABASE_NAME = "meetings"
MASTER_USERNAME = "meetings_admin"
PORT = 5432
EXPORTED_LOGS = ("postgresql", "upgrade")
ROTATION_DAYS = 30
# The service roles the migrations create (meetings/db_roles.py), by the short name of their secret.
SERVICE_ROLES = {"app": "meetings_app", "jobs": "meetings_jobs", "agent": "meetings_agent"}


class Database(Construct):
    def __init__(
        self, scope: Construct, id: str, *, config: StageConfig, vpc: ec2.IVpc, key: kms.IKey
    ) -> None:
        super().__init__(scope, id)
        self.instance_identifier = f"meetings-{config.stage}"
        self.security_group = ec2.SecurityGroup(
            self,
            "InstanceSecurityGroup",
            vpc=vpc,
            description="PostgreSQL: proxy, migrations and rotation only",
            allow_all_outbound=False,
        )
        self.proxy_security_group = ec2.SecurityGroup(
            self,
            "ProxySecurityGroup",
            vpc=vpc,
            description="RDS Proxy: platform Lambdas and the meeting agent",
            allow_all_outbound=False,
        )
        self.secret = rds.DatabaseSecret(
            self,
            "Secret",
            username=MASTER_USERNAME,
            encryption_key=key,
            secret_name=f"meetings/{config.stage}/database",
        )
        parameters = rds.ParameterGroup(
            self,
            "Parameters",
            engine=rds.DatabaseInstanceEngine.postgres(version=ENGINE_VERSION),
            description="TLS only; slow statements and connections logged, never a statement's values",
            parameters={
                "rds.force_ssl": "1",
                "log_connections": "1",
                "log_disconnections": "1",
                "log_min_duration_statement": "1000",
                # A slow or failed statement's bound values (a transcript line, a question) stay out of
                # the log; PostgreSQL's defaults write them in full with a slow statement.
                "log_parameter_max_length": "0",
                "log_parameter_max_length_on_error": "0",
                # ... and an error's DETAIL, which repeats the failing row or the duplicate key.
                "log_error_verbosity": "terse",
            },
        )
        # Created here (retention, KMS) rather than by RDS on first write (kept forever, unencrypted).
        log_groups = [
            encrypted_log_group(
                self,
                f"{name.capitalize()}Logs",
                name=f"/aws/rds/instance/{self.instance_identifier}/{name}",
                key=key,
                retention_days=config.log_retention_days,
            )
            for name in EXPORTED_LOGS
        ]
        self.instance = rds.DatabaseInstance(
            self,
            "Instance",
            instance_identifier=self.instance_identifier,
            engine=rds.DatabaseInstanceEngine.postgres(version=ENGINE_VERSION),
            instance_type=ec2.InstanceType(config.db_instance_type),
            vpc=vpc,
            vpc_subnets=DATABASE_SUBNETS,
            security_groups=[self.security_group],
            port=PORT,
            credentials=rds.Credentials.from_secret(self.secret),
            database_name=DATABASE_NAME,
            parameter_group=parameters,
            multi_az=config.db_multi_az,
            storage_type=rds.StorageType.GP3,
            allocated_storage=config.db_allocated_storage_gib,
            max_allocated_storage=config.db_max_allocated_storage_gib,
            storage_encrypted=True,
            storage_encryption_key=key,
            backup_retention=Duration.days(config.db_backup_retention_days),
            preferred_backup_window="03:00-04:00",
            preferred_maintenance_window="sun:04:30-sun:05:30",
            copy_tags_to_snapshot=True,
            deletion_protection=config.db_deletion_protection,
            removal_policy=RemovalPolicy.SNAPSHOT,
            auto_minor_version_upgrade=True,
            publicly_accessible=False,
            # IAM database authentication available to roles that use it; password logins still work.
            iam_authentication=True,
            cloudwatch_logs_exports=list(EXPORTED_LOGS),
            monitoring_interval=Duration.seconds(60),
            enable_performance_insights=config.db_performance_insights,
            performance_insight_encryption_key=key if config.db_performance_insights else None,
            ca_certificate=rds.CaCertificate.RDS_CA_RSA2048_G1,
        )
        for log_group in log_groups:
            self.instance.node.add_dependency(log_group)
        self.rotation = self.instance.add_rotation_single_user(
            automatically_after=Duration.days(ROTATION_DAYS),
            vpc_subnets=APPLICATION_SUBNETS,
        )
        self.role_secrets = {}
        for name, username in SERVICE_ROLES.items():
            secret = rds.DatabaseSecret(
                self,
                f"{name.capitalize()}RoleSecret",
                username=username,
                encryption_key=key,
                secret_name=f"meetings/{config.stage}/database/{name}",
                master_secret=self.secret,
            )
            attached = secret.attach(self.instance)  # host, port and dbname beside the password
            # Single-user rotation keeps the user name the IAM tokens are signed for.
            secretsmanager.SecretRotation(
                self,
                f"{name.capitalize()}RoleRotation",
                application=secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER,
                secret=attached,
                target=self.instance,
                vpc=vpc,
                vpc_subnets=APPLICATION_SUBNETS,
                automatically_after=Duration.days(ROTATION_DAYS),
            )
            self.role_secrets[name] = attached
        self.proxy = rds.DatabaseProxy(
            self,
            "Proxy",
            db_proxy_name=f"meetings-{config.stage}",
            proxy_target=rds.ProxyTarget.from_instance(self.instance),
            secrets=list(self.role_secrets.values()),
            vpc=vpc,
            vpc_subnets=DATABASE_SUBNETS,
            security_groups=[self.proxy_security_group],
            require_tls=True,
            iam_auth=True,
            idle_client_timeout=Duration.minutes(30),
            max_connections_percent=90,
        )
        self.security_group.add_ingress_rule(
            self.proxy_security_group, ec2.Port.tcp(PORT), "RDS Proxy to PostgreSQL"
        )
        self.proxy_security_group.add_egress_rule(
            self.security_group, ec2.Port.tcp(PORT), "RDS Proxy to PostgreSQL"
        )

    def connect_as(self, name: str) -> iam.PolicyStatement:
        """IAM authentication to the proxy as one service role, and as no other."""
        stack = Stack.of(self)
        proxy_id = Fn.select(6, Fn.split(":", self.proxy.db_proxy_arn))
        return iam.PolicyStatement(
            sid="ConnectToDatabaseAs" + name.capitalize(),
            actions=["rds-db:connect"],
            resources=[
                f"arn:{stack.partition}:rds-db:{stack.region}:{stack.account}:dbuser:{proxy_id}/{SERVICE_ROLES[name]}"
            ],
        )

    def allow_proxy_from(
        self, peer: ec2.SecurityGroup, description: str, *, peer_egress: bool = True
    ) -> None:
        """Lets a client security group open connections to the proxy."""
        self.proxy_security_group.add_ingress_rule(peer, ec2.Port.tcp(PORT), description)
        if peer_egress:
            peer.add_egress_rule(self.proxy_security_group, ec2.Port.tcp(PORT), description)

    def allow_instance_from(self, peer: ec2.SecurityGroup, description: str) -> None:
        """Direct connections to the instance: the migrate function only."""
        self.security_group.add_ingress_rule(peer, ec2.Port.tcp(PORT), description)
        peer.add_egress_rule(self.security_group, ec2.Port.tcp(PORT), description)
