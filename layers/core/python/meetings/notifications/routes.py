"""/v1/entities/{entity_id}/webhook-endpoints: where an entity's systems hear about its meetings."""

import uuid
from typing import Literal

from fastapi import APIRouter, status

from meetings.api.database import DbSession
from meetings.api.pagination import Page, Pagination, paginate
from meetings.identity.dependency import CurrentPrincipal
from meetings.notifications import service
from meetings.notifications.schemas import (
    DeliveryOut,
    EndpointCreate,
    EndpointOut,
    EndpointUpdate,
    EndpointWithSecret,
)

ERRORS = {
    401: {"description": "`not_authenticated`, `invalid_token` or `token_expired`"},
    404: {
        "description": "`entity_not_found`, `webhook_endpoint_not_found` or `webhook_delivery_not_found` "
        "(also for another entity's ids)"
    },
    409: {"description": "`entity_inactive`, `webhook_endpoint_limit` or `webhook_endpoint_disabled`"},
    422: {"description": "`validation_failed`: e.g. `webhook_url_scheme`, `webhook_url_address`"},
}
ENDPOINTS = "/v1/entities/{entity_id}/webhook-endpoints"
ENDPOINT = ENDPOINTS + "/{endpoint_id}"

router = APIRouter(tags=["webhooks"], responses=ERRORS)


@router.get(ENDPOINTS, response_model=Page[EndpointOut], summary="List an entity's webhook endpoints")
def list_endpoints(db: DbSession, principal: CurrentPrincipal, page: Pagination, entity_id: int):
    statement = service.list_endpoints_query(db=db, principal=principal, entity_id=entity_id)
    result = paginate(db, statement, page)
    result.items = [service.endpoint_view(endpoint) for endpoint in result.items]
    return result


@router.post(
    ENDPOINTS,
    response_model=EndpointWithSecret,
    status_code=status.HTTP_201_CREATED,
    summary="Add a webhook endpoint (its secret is shown only in this answer)",
)
def create_endpoint(db: DbSession, principal: CurrentPrincipal, entity_id: int, data: EndpointCreate):
    endpoint, secret = service.create_endpoint(db=db, principal=principal, entity_id=entity_id, data=data)
    return service.endpoint_view(endpoint, secret=secret)


@router.get(ENDPOINT, response_model=EndpointOut, summary="Get a webhook endpoint")
def get_endpoint(db: DbSession, principal: CurrentPrincipal, entity_id: int, endpoint_id: int):
    endpoint = service.get_endpoint(db=db, principal=principal, entity_id=entity_id, endpoint_id=endpoint_id)
    return service.endpoint_view(endpoint)


@router.patch(ENDPOINT, response_model=EndpointOut, summary="Update a webhook endpoint")
def update_endpoint(
    db: DbSession, principal: CurrentPrincipal, entity_id: int, endpoint_id: int, data: EndpointUpdate
):
    endpoint = service.update_endpoint(
        db=db, principal=principal, entity_id=entity_id, endpoint_id=endpoint_id, data=data
    )
    return service.endpoint_view(endpoint)


@router.delete(
    ENDPOINT, response_model=EndpointOut, summary="Delete a webhook endpoint with its queue and log"
)
def delete_endpoint(db: DbSession, principal: CurrentPrincipal, entity_id: int, endpoint_id: int):
    endpoint = service.delete_endpoint(
        db=db, principal=principal, entity_id=entity_id, endpoint_id=endpoint_id
    )
    return endpoint


@router.post(
    ENDPOINT + "/rotate-secret",
    response_model=EndpointWithSecret,
    summary="Rotate the signing secret (the old one keeps signing for 24 hours)",
)
def rotate_secret(db: DbSession, principal: CurrentPrincipal, entity_id: int, endpoint_id: int):
    endpoint, secret = service.rotate_secret(
        db=db, principal=principal, entity_id=entity_id, endpoint_id=endpoint_id
    )
    return service.endpoint_view(endpoint, secret=secret)


@router.get(
    ENDPOINT + "/deliveries",
    response_model=Page[DeliveryOut],
    summary="Page through an endpoint's deliveries and their attempts, newest first",
)
def list_deliveries(
    db: DbSession,
    principal: CurrentPrincipal,
    page: Pagination,
    entity_id: int,
    endpoint_id: int,
    status: Literal["PENDING", "SUCCEEDED", "FAILED", "CANCELED"] | None = None,
):
    return service.list_deliveries(
        db=db, principal=principal, entity_id=entity_id, endpoint_id=endpoint_id, page=page, status=status
    )


@router.post(
    ENDPOINT + "/deliveries/{delivery_id}/replay",
    response_model=DeliveryOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a delivery's message again (same webhook-id), as a new delivery",
)
def replay_delivery(
    db: DbSession, principal: CurrentPrincipal, entity_id: int, endpoint_id: int, delivery_id: uuid.UUID
):
    replay = service.replay_delivery(
        db=db, principal=principal, entity_id=entity_id, endpoint_id=endpoint_id, delivery_id=delivery_id
    )
    return replay
