"""Stage settings read from the CDK context (`cdk.json`, overridable with `-c key=value`)."""

from dataclasses import dataclass
from typing import Any

from constructs import Node

DEFAULT_STAGE = "dev"
DEFAULT_NOTE_MODEL = "gpt-4.1-mini"


@dataclass(frozen=True)
class AgentSize:
    cpu: int
    memory_mib: int
    min_tasks: int
    max_tasks: int
    target_cpu_percent: int
    # Job processes kept started and waiting, so a dispatched meeting is joined at once.
    idle_processes: int = 1


@dataclass(frozen=True)
class StageConfig:
    """Everything that differs between environments."""

    stage: str
    vpc_cidr: str
    nat_gateways: int
    db_instance_type: str
    db_allocated_storage_gib: int
    db_max_allocated_storage_gib: int
    db_multi_az: bool
    db_deletion_protection: bool
    db_backup_retention_days: int
    db_performance_insights: bool
    log_retention_days: int
    api_rate_limit: int
    api_burst_limit: int
    join_rate_limit: int
    join_burst_limit: int
    cors_allow_origins: tuple[str, ...]
    livekit_url: str
    public_base_url: str | None
    egress_role_principal: str | None
    egress_external_id: str | None
    agent: AgentSize
    # The model that drafts visit notes, and the OpenAI-compatible server that answers it (unset: OpenAI).
    note_model: str
    openai_base_url: str | None
    # Reserved concurrency per function (functions/ directory names): each is both guaranteed and capped,
    # so no function can take the join and webhook functions' share of the account's pool.
    reserved_concurrency: dict[str, int]
    # First deploy of an environment: no agent tasks until the operator has filled the app secret.
    agent_paused: bool
    skip_layer_build: bool

    @property
    def is_production(self) -> bool:
        return self.stage == "prod"


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true", "yes")


def _https_url(name: str, value: str | None) -> str | None:
    if value is not None and not value.lower().startswith("https://"):
        raise ValueError(f"{name} must be an https:// URL, got {value!r}")
    return value


def load_stage_config(node: Node) -> StageConfig:
    """Reads `stage` and the matching block of `stages` from the context."""
    stage = node.try_get_context("stage") or DEFAULT_STAGE
    stages = node.try_get_context("stages") or {}
    if stage not in stages:
        raise ValueError(f"unknown stage {stage!r}: cdk.json defines {sorted(stages)}")
    values = stages[stage]
    agent = values["agent"]
    cors = node.try_get_context("corsAllowOrigins") or values.get("corsAllowOrigins") or []
    if isinstance(cors, str):
        cors = [origin.strip() for origin in cors.split(",") if origin.strip()]
    return StageConfig(
        stage=stage,
        vpc_cidr=values["vpcCidr"],
        nat_gateways=int(values["natGateways"]),
        db_instance_type=values["dbInstanceType"],
        db_allocated_storage_gib=int(values["dbAllocatedStorageGiB"]),
        db_max_allocated_storage_gib=int(values["dbMaxAllocatedStorageGiB"]),
        db_multi_az=_flag(values["dbMultiAz"]),
        db_deletion_protection=_flag(values["dbDeletionProtection"]),
        db_backup_retention_days=int(values["dbBackupRetentionDays"]),
        db_performance_insights=_flag(values.get("dbPerformanceInsights", False)),
        log_retention_days=int(values["logRetentionDays"]),
        api_rate_limit=int(values["apiRateLimit"]),
        api_burst_limit=int(values["apiBurstLimit"]),
        join_rate_limit=int(values["joinRateLimit"]),
        join_burst_limit=int(values["joinBurstLimit"]),
        cors_allow_origins=tuple(cors),
        livekit_url=node.try_get_context("livekitUrl") or values["livekitUrl"],
        public_base_url=node.try_get_context("publicBaseUrl") or values.get("publicBaseUrl"),
        egress_role_principal=node.try_get_context("egressRolePrincipal")
        or values.get("egressRolePrincipal"),
        egress_external_id=node.try_get_context("egressExternalId") or values.get("egressExternalId"),
        agent=AgentSize(
            cpu=int(agent["cpu"]),
            memory_mib=int(agent["memoryMiB"]),
            min_tasks=int(agent["minTasks"]),
            max_tasks=int(agent["maxTasks"]),
            target_cpu_percent=int(agent["targetCpuPercent"]),
            idle_processes=int(agent.get("idleProcesses", 1)),
        ),
        note_model=node.try_get_context("noteModel") or values.get("noteModel") or DEFAULT_NOTE_MODEL,
        openai_base_url=_https_url(
            "openaiBaseUrl", node.try_get_context("openaiBaseUrl") or values.get("openaiBaseUrl")
        ),
        reserved_concurrency={name: int(value) for name, value in values["reservedConcurrency"].items()},
        agent_paused=_flag(node.try_get_context("agentPaused")),
        skip_layer_build=_flag(node.try_get_context("skipLayerBuild")),
    )
