"""Webhook endpoints of an entity: their lifecycle, secrets, delivery log and replays.

Everything is reached through the entity in the path: another entity's endpoint or delivery reads
exactly like a missing one.
"""

import base64
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from meetings.api.pagination import Page, PageParams
from meetings.errors import Conflict, NotFound, ValidationFailed
from meetings.identity.principal import Principal
from meetings.manager.entities.access import get_active_entity, get_entity
from meetings.notifications.addresses import AddressRefused, check_literal
from meetings.notifications.dispatch import disable_endpoint
from meetings.notifications.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage
from meetings.notifications.schemas import EndpointCreate, EndpointUpdate
from meetings.settings import get_settings

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
ROTATION_GRACE = timedelta(hours=24)
MAX_ENDPOINTS_PER_ENTITY = 20


@dataclass(frozen=True)
class DeliveryView:
    """A delivery with its event type and every attempt, as the log shows it."""

    id: uuid.UUID
    endpoint_id: int
    webhook_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    replay_of: uuid.UUID | None
    created_at: datetime
    completed_at: datetime | None
    attempt_log: list[WebhookAttempt]


def new_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def check_url(url: str) -> str:
    """HTTPS (plain HTTP outside production), no credentials, port 443 in production, no refused IP."""
    settings = get_settings()
    production = settings.environment == "production"

    def refuse(code: str, message: str) -> ValidationFailed:
        return ValidationFailed.for_field("url", code, message)

    try:
        parts = urlsplit(url)
    except ValueError as exc:  # a bracketed host that is not an IPv6 address, or brackets unbalanced
        raise refuse("invalid_webhook_url", "The URL's host is not valid.") from exc

    allowed_schemes = ("https",) if production else ("https", "http")
    if parts.scheme not in allowed_schemes:
        raise refuse("webhook_url_scheme", "The URL must use https.")
    try:
        port = parts.port
    except ValueError as exc:
        raise refuse("invalid_webhook_url", "The URL's port is not valid.") from exc
    if not parts.hostname:
        raise refuse("invalid_webhook_url", "The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise refuse("webhook_url_credentials", "The URL must not carry credentials.")
    if parts.fragment:
        raise refuse("invalid_webhook_url", "The URL must not have a fragment.")
    if production and port not in (None, 443):
        raise refuse("webhook_url_port", "Webhooks are sent to port 443 only.")
    allow_loopback = settings.webhooks_allow_loopback
    if parts.hostname.lower().rstrip(".") in ("localhost", "localhost.localdomain") and not allow_loopback:
        raise refuse("webhook_url_address", "The URL points at this machine.")
    try:
        check_literal(parts.hostname, allow_loopback=allow_loopback)
    except AddressRefused as exc:
        raise refuse("webhook_url_address", f"The URL points at a refused address ({exc.reason}).") from exc
    return url


def _status(endpoint: WebhookEndpoint) -> str:
    return "active" if endpoint.enabled else "disabled"


def endpoint_view(endpoint: WebhookEndpoint, *, secret: str | None = None) -> dict:
    """The endpoint as the API answers it; the secret only when given (creation and rotation)."""
    view = {
        column: getattr(endpoint, column)
        for column in (
            "id",
            "entity_id",
            "url",
            "description",
            "event_types",
            "enabled",
            "disabled_reason",
            "disabled_at",
            "previous_secret_expires_at",
            "created_at",
            "updated_at",
        )
    }
    view["status"] = _status(endpoint)
    if secret is not None:
        view["secret"] = secret
    return view


def list_endpoints_query(*, db: Session, principal: Principal, entity_id: int) -> Select:
    """The endpoints of one visible entity, oldest first."""
    get_entity(db=db, principal=principal, entity_id=entity_id)
    return select(WebhookEndpoint).where(WebhookEndpoint.entity_id == entity_id).order_by(WebhookEndpoint.id)


def get_endpoint(*, db: Session, principal: Principal, entity_id: int, endpoint_id: int) -> WebhookEndpoint:
    """An endpoint of a visible entity; any other id reads as missing."""
    get_entity(db=db, principal=principal, entity_id=entity_id)
    endpoint = db.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.entity_id != entity_id:
        raise NotFound(
            "Webhook endpoint not found.",
            code="webhook_endpoint_not_found",
            details={"endpoint_id": endpoint_id},
        )
    return endpoint


def create_endpoint(
    *, db: Session, principal: Principal, entity_id: int, data: EndpointCreate
) -> tuple[WebhookEndpoint, str]:
    """Adds an endpoint to an active entity; returns it with its secret (shown this once)."""
    get_active_entity(db=db, principal=principal, entity_id=entity_id)
    count = db.execute(select(func.count()).where(WebhookEndpoint.entity_id == entity_id)).scalar_one()
    if count >= MAX_ENDPOINTS_PER_ENTITY:
        raise Conflict(
            f"An entity has at most {MAX_ENDPOINTS_PER_ENTITY} webhook endpoints.",
            code="webhook_endpoint_limit",
            details={"limit": MAX_ENDPOINTS_PER_ENTITY},
        )
    secret = new_secret()
    endpoint = WebhookEndpoint(
        entity_id=entity_id,
        url=check_url(data.url),
        description=data.description,
        event_types=sorted({event.value for event in data.event_types}),
        enabled=data.enabled,
        secret=secret,
    )
    db.add(endpoint)
    db.flush()
    db.refresh(endpoint)
    return endpoint, secret


def update_endpoint(
    *, db: Session, principal: Principal, entity_id: int, endpoint_id: int, data: EndpointUpdate
) -> WebhookEndpoint:
    """Changes the fields sent; disabling cancels what is queued, enabling clears the platform's reason."""
    endpoint = get_endpoint(db=db, principal=principal, entity_id=entity_id, endpoint_id=endpoint_id)
    get_active_entity(db=db, principal=principal, entity_id=entity_id)
    changes = data.model_dump(exclude_unset=True)  # only `description` may be null (the schema says so)
    if "url" in changes:
        endpoint.url = check_url(changes["url"])
    if "event_types" in changes:
        endpoint.event_types = sorted({str(event) for event in changes["event_types"]})
    if "description" in changes:
        endpoint.description = changes["description"]
    if changes.get("enabled") is True and not endpoint.enabled:
        endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at = True, None, None
    db.flush()
    if changes.get("enabled") is False and endpoint.enabled:
        disable_endpoint(db=db, endpoint_id=endpoint.id, reason=None, now=datetime.now(UTC))
    db.flush()
    db.refresh(endpoint)
    return endpoint


def delete_endpoint(*, db: Session, principal: Principal, entity_id: int, endpoint_id: int) -> dict:
    """Removes an endpoint with its queue and delivery log; returns what it was."""
    endpoint = get_endpoint(db=db, principal=principal, entity_id=entity_id, endpoint_id=endpoint_id)
    view = endpoint_view(endpoint)
    db.delete(endpoint)
    db.flush()
    return view


def rotate_secret(
    *, db: Session, principal: Principal, entity_id: int, endpoint_id: int
) -> tuple[WebhookEndpoint, str]:
    """A new secret signs from now on; the current one keeps signing beside it for the grace period."""
    endpoint = get_endpoint(db=db, principal=principal, entity_id=entity_id, endpoint_id=endpoint_id)
    get_active_entity(db=db, principal=principal, entity_id=entity_id)
    secret = new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = datetime.now(UTC) + ROTATION_GRACE
    endpoint.secret = secret
    db.flush()
    db.refresh(endpoint)
    return endpoint, secret


def list_deliveries(
    *,
    db: Session,
    principal: Principal,
    entity_id: int,
    endpoint_id: int,
    page: PageParams,
    status: str | None = None,
) -> Page:
    """A page of an endpoint's deliveries, newest first, each with its attempts."""
    get_endpoint(db=db, principal=principal, entity_id=entity_id, endpoint_id=endpoint_id)
    statement = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        statement = statement.where(WebhookDelivery.status == status)
    total = db.execute(select(func.count()).select_from(statement.subquery())).scalar_one()
    deliveries = (
        db.execute(
            statement.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
            .limit(page.limit)
            .offset(page.offset)
        )
        .scalars()
        .all()
    )
    return Page(items=_views(db, deliveries), total=total, limit=page.limit, offset=page.offset)


def _views(db: Session, deliveries: list[WebhookDelivery]) -> list[DeliveryView]:
    if not deliveries:
        return []
    types = dict(
        db.execute(
            select(WebhookMessage.id, WebhookMessage.type).where(
                WebhookMessage.id.in_({delivery.message_id for delivery in deliveries})
            )
        ).all()
    )
    attempts: dict[uuid.UUID, list[WebhookAttempt]] = {}
    for attempt in db.execute(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_([delivery.id for delivery in deliveries]))
        .order_by(WebhookAttempt.attempted_at, WebhookAttempt.id)
    ).scalars():
        attempts.setdefault(attempt.delivery_id, []).append(attempt)
    return [
        DeliveryView(
            id=delivery.id,
            endpoint_id=delivery.endpoint_id,
            webhook_id=f"msg_{delivery.message_id.hex}",
            event_type=types[delivery.message_id],
            status=delivery.status,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at if delivery.status == "PENDING" else None,
            replay_of=delivery.replay_of,
            created_at=delivery.created_at,
            completed_at=delivery.completed_at,
            attempt_log=attempts.get(delivery.id, []),
        )
        for delivery in deliveries
    ]


def replay_delivery(
    *, db: Session, principal: Principal, entity_id: int, endpoint_id: int, delivery_id: uuid.UUID
) -> DeliveryView:
    """Queues the delivery's message to its endpoint again (same webhook-id), as a new delivery."""
    endpoint = get_endpoint(db=db, principal=principal, entity_id=entity_id, endpoint_id=endpoint_id)
    original = db.get(WebhookDelivery, delivery_id)
    if original is None or original.endpoint_id != endpoint.id:
        raise NotFound(
            "Delivery not found.",
            code="webhook_delivery_not_found",
            details={"delivery_id": str(delivery_id)},
        )
    if not endpoint.enabled:
        raise Conflict(
            "The endpoint is disabled; enable it before replaying.", code="webhook_endpoint_disabled"
        )
    replay = WebhookDelivery(message_id=original.message_id, endpoint_id=endpoint.id, replay_of=original.id)
    db.add(replay)
    db.flush()
    db.refresh(replay)
    return _views(db, [replay])[0]
