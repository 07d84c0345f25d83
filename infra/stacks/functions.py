"""The platform's Lambda functions: what each does, its size, its environment and its permissions.

`migrate` is built with `_function` too, next to its migration trigger in the stack.
"""

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_

from infra import sources
from infra.constructs.database import SERVICE_ROLES
from infra.constructs.function import FunctionSettings, PlatformFunction
from infra.constructs.notes import DRAFTER_TIMEOUT
from infra.constructs.permissions import bucket_level, objects, read_secrets, use_key
from infra.constructs.storage import KB_PREFIX, RECORDINGS_PREFIX
from infra.constructs.webhooks import DISPATCHER_TIMEOUT


def _zip_code(stack, name: str) -> lambda_.Code:
    """The function's staged code, compiled (infra/code_assets.py)."""
    return lambda_.Code.from_asset(str(stack.code.functions[name]))


def _function(stack, id: str, settings: FunctionSettings, code, *, security_group=None) -> PlatformFunction:
    """One platform function in the stack's VPC, with its layers (zip code only), key and log retention;
    in the shared function security group unless given its own."""
    settings.environment.setdefault("POWERTOOLS_SERVICE_NAME", settings.name)
    settings.reserved_concurrency = stack.config.reserved_concurrency[settings.name.replace("-", "_")]
    settings.snap_start = settings.name.replace("-", "_") in sources.SNAPSTART_FUNCTIONS
    image = isinstance(code, lambda_.DockerImageCode)
    return PlatformFunction(
        stack,
        id,
        settings=settings,
        code=code,
        layers=None if image else stack.layers_for(snap_start=settings.snap_start),
        vpc=stack.network.vpc,
        security_group=security_group or stack.function_security_group,
        key=stack.key,
        log_retention_days=stack.config.log_retention_days,
    )


def _component(
    stack, name: str, role: str, secrets: list[str], environment: dict[str, str]
) -> dict[str, str]:
    """A function's environment: which component it is, its database role, and only its secrets."""
    environment = {**environment, "COMPONENT": name, "DATABASE_USER": SERVICE_ROLES[role]}
    if secrets:
        environment["APP_SECRET_ARN"] = ",".join(
            getattr(stack, f"{secret}_secret").secret_arn for secret in secrets
        )
    return environment


def _note_hand_over(stack) -> tuple[dict[str, str], list]:
    """A room's end queues its note for the drafter: the queue's URL, and sending to it (nothing else)."""
    queue = stack.note_queue
    return {"NOTE_QUEUE_URL": queue.queue.queue_url}, [
        queue.send_statement(),
        use_key(stack, stack.key, services=["sqs"], encrypt=True),
    ]


def _component_access(stack, role: str, secrets: list[str]) -> list:
    """The database as its own role (IAM authentication to the proxy), and reading its own secrets."""
    statements = [stack.database.connect_as(role)]
    if secrets:
        statements.append(read_secrets(*(getattr(stack, f"{secret}_secret") for secret in secrets)))
        statements.append(use_key(stack, stack.key, services=["secretsmanager"]))
    return statements


def application_functions(
    stack, *, environment: dict[str, str], egress_environment: dict[str, str]
) -> dict[str, PlatformFunction]:
    """Every function but `migrate`, keyed by its directory name under functions/."""
    recordings = stack.storage.recordings_bucket
    kb = stack.storage.kb_bucket
    api_timeout = Duration.seconds(29)
    kb_code = sources.kb_image_code
    note_environment, note_statements = _note_hand_over(stack)
    # The images bake the model in and point EMBEDDING_MODEL at its directory; a Lambda variable
    # would override that with a hub name the offline image cannot download.
    image_environment = {key: value for key, value in environment.items() if key != "EMBEDDING_MODEL"}
    functions = {
        "manager_api": _function(
            stack,
            "ManagerApi",
            FunctionSettings(
                name="manager-api",
                description="Backoffice API: auth, users, entities, departments, professionals, knowledge base, usage",
                memory_mib=1024,
                timeout=api_timeout,
                environment=_component(stack, "manager_api", "app", ["jwt"], dict(environment)),
                statements=[
                    *_component_access(stack, "app", ["jwt"]),
                    # Uploads (direct, and the presigned POST this role signs) and deletes; the backoffice
                    # never reads a document back, so it can neither download nor decrypt one.
                    objects(
                        "KnowledgeDocuments",
                        kb,
                        KB_PREFIX,
                        ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
                    ),
                    # Deleting a document removes every version of its object.
                    bucket_level("ListKnowledgeVersions", kb, ["s3:ListBucketVersions"], prefix=KB_PREFIX),
                    use_key(stack, stack.key, services=["s3"], encrypt=True, decrypt=False),
                ],
            ),
            _zip_code(stack, "manager_api"),
        ),
        "secretary_api": _function(
            stack,
            "SecretaryApi",
            FunctionSettings(
                name="secretary-api",
                description="Meetings API: rooms, participants, joins, recordings, events, join page",
                memory_mib=1024,
                timeout=api_timeout,
                environment=_component(
                    stack,
                    "secretary_api",
                    "app",
                    ["jwt", "livekit"],
                    {**environment, **egress_environment, **note_environment},
                ),
                statements=[
                    *_component_access(stack, "app", ["jwt", "livekit"]),
                    objects("DownloadRecordings", recordings, RECORDINGS_PREFIX, ["s3:GetObject"]),
                    use_key(stack, stack.key, services=["s3"]),
                    *note_statements,
                ],
            ),
            _zip_code(stack, "secretary_api"),
        ),
        "livekit_webhook": _function(
            stack,
            "LivekitWebhook",
            FunctionSettings(
                name="livekit-webhook",
                description="LiveKit webhook receiver: room, participant and egress events",
                memory_mib=512,
                timeout=api_timeout,
                environment=_component(
                    stack,
                    "livekit_webhook",
                    "app",
                    ["livekit"],
                    {**environment, **egress_environment, **note_environment},
                ),
                # Egress retries go through LiveKit; the webhook itself never touches the recordings bucket.
                statements=[
                    *_component_access(stack, "app", ["livekit"]),
                    *note_statements,
                ],
            ),
            _zip_code(stack, "livekit_webhook"),
        ),
        "recording_finalizer": _function(
            stack,
            "RecordingFinalizer",
            FunctionSettings(
                name="recording-finalizer",
                description="Marks a recording available when its file lands under recordings/",
                memory_mib=512,
                timeout=Duration.minutes(1),
                environment=_component(stack, "recording_finalizer", "jobs", [], dict(environment)),
                asynchronous=True,
                statements=[
                    *_component_access(stack, "jobs", []),
                    objects(
                        "InspectAndTagRecordings",
                        recordings,
                        RECORDINGS_PREFIX,
                        [
                            "s3:GetObject",
                            "s3:GetObjectVersion",
                            "s3:PutObjectTagging",
                            "s3:PutObjectVersionTagging",
                        ],
                    ),
                    use_key(stack, stack.key, services=["s3"]),
                ],
            ),
            _zip_code(stack, "recording_finalizer"),
        ),
        "retention_purge": _function(
            stack,
            "RetentionPurge",
            FunctionSettings(
                name="retention-purge",
                description="Deletes recordings (every version) whose retention has passed",
                memory_mib=512,
                timeout=Duration.minutes(5),
                environment=_component(stack, "retention_purge", "jobs", [], dict(environment)),
                asynchronous=True,
                statements=[
                    *_component_access(stack, "jobs", []),
                    bucket_level(
                        "ListRecordingVersions",
                        recordings,
                        ["s3:ListBucketVersions", "s3:ListBucket"],
                        prefix=RECORDINGS_PREFIX,
                    ),
                    bucket_level("ReadVersioningState", recordings, ["s3:GetBucketVersioning"]),
                    objects(
                        "DeleteRecordings",
                        recordings,
                        RECORDINGS_PREFIX,
                        ["s3:DeleteObject", "s3:DeleteObjectVersion"],
                    ),
                ],
            ),
            _zip_code(stack, "retention_purge"),
        ),
        "kb_ingest": _function(
            stack,
            "KnowledgeIngest",
            FunctionSettings(
                name="kb-ingest",
                description="Chunks and embeds a knowledge-base document uploaded under kb/",
                memory_mib=3008,
                timeout=Duration.minutes(10),
                environment=_component(stack, "kb_ingest", "jobs", [], dict(image_environment)),
                asynchronous=True,
                ephemeral_storage_mib=2048,
                statements=[
                    *_component_access(stack, "jobs", []),
                    objects("ReadKnowledgeDocuments", kb, KB_PREFIX, ["s3:GetObject"]),
                    # A vanished object then reads as 404, not 403.
                    bucket_level("ListKnowledgeDocuments", kb, ["s3:ListBucket"], prefix=KB_PREFIX),
                    use_key(stack, stack.key, services=["s3"]),
                ],
            ),
            kb_code("ingest"),
        ),
        "kb_search": _function(
            stack,
            "KnowledgeSearch",
            FunctionSettings(
                name="kb-search",
                description="Semantic search over an entity's knowledge base",
                memory_mib=2048,
                timeout=api_timeout,
                environment=_component(stack, "kb_search", "app", ["jwt"], dict(image_environment)),
                statements=[
                    *_component_access(stack, "app", ["jwt"]),
                ],
            ),
            kb_code("search"),
        ),
        **_webhook_functions(stack, environment),
        **_note_functions(stack, environment),
    }
    return functions


def _webhook_functions(stack, environment) -> dict[str, PlatformFunction]:
    """The sweep (outbox -> queue) and the dispatcher (queue -> signed POSTs to entities' URLs).

    The dispatcher has a security group of its own: HTTPS out and the RDS Proxy, nothing else; the
    addresses it may reach are checked again in the code at every send (no private ones).
    """
    queue = stack.webhook_queue
    return {
        "webhook_sweep": _function(
            stack,
            "WebhookSweep",
            FunctionSettings(
                name="webhook-sweep",
                description="Moves due webhook deliveries from the outbox to the dispatch queue",
                memory_mib=256,
                timeout=Duration.seconds(70),
                environment=_component(
                    stack,
                    "webhook_sweep",
                    "jobs",
                    [],
                    {**environment, "WEBHOOK_QUEUE_URL": queue.queue.queue_url},
                ),
                asynchronous=True,
                statements=[
                    *_component_access(stack, "jobs", []),
                    queue.send_statement(),
                    use_key(stack, stack.key, services=["sqs"], encrypt=True),
                ],
            ),
            _zip_code(stack, "webhook_sweep"),
        ),
        "webhook_dispatcher": _function(
            stack,
            "WebhookDispatcher",
            FunctionSettings(
                name="webhook-dispatcher",
                description="Signs and sends webhook deliveries to entities' endpoints (Standard Webhooks)",
                memory_mib=512,
                timeout=DISPATCHER_TIMEOUT,
                environment=_component(stack, "webhook_dispatcher", "jobs", [], dict(environment)),
                statements=[
                    *_component_access(stack, "jobs", []),
                    queue.consume_statement(),
                    use_key(stack, stack.key, services=["sqs"]),
                ],
            ),
            _zip_code(stack, "webhook_dispatcher"),
            security_group=stack.webhook_security_group,
        ),
    }


def _note_functions(stack, environment) -> dict[str, PlatformFunction]:
    """The drafter: one note per queue message, and every five minutes (EventBridge, asynchronous) the
    notes left pending queued again; in a security group of its own, HTTPS out and the RDS Proxy."""
    queue = stack.note_queue
    config = stack.config
    model = {"NOTE_QUEUE_URL": queue.queue.queue_url, "NOTE_MODEL": config.note_model}
    if config.openai_base_url:
        model["OPENAI_BASE_URL"] = config.openai_base_url
    return {
        "note_drafter": _function(
            stack,
            "NoteDrafter",
            FunctionSettings(
                name="note-drafter",
                description="Drafts a visit note from the consented transcript when a room ends (LLM)",
                memory_mib=512,
                timeout=DRAFTER_TIMEOUT,
                environment=_component(stack, "note_drafter", "jobs", ["openai"], {**environment, **model}),
                asynchronous=True,
                statements=[
                    *_component_access(stack, "jobs", ["openai"]),
                    queue.consume_statement(),
                    queue.send_statement(),
                    use_key(stack, stack.key, services=["sqs"], encrypt=True),
                ],
            ),
            _zip_code(stack, "note_drafter"),
            security_group=stack.note_drafter_security_group,
        ),
    }
