from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response

from meetings.api.database import DbSession
from meetings.api.pagination import Pagination
from meetings.api.params import IdQuery, time_query
from meetings.identity.dependency import CurrentPrincipal
from meetings.manager.usage import service
from meetings.manager.usage.schemas import UsageGroup, UsageReport

ERRORS = {
    401: {"description": "`not_authenticated`, `invalid_token` or `token_expired`"},
    404: {"description": "`entity_not_found` (also for another entity's id)"},
}

router = APIRouter(tags=["usage"], responses=ERRORS)

CSV_EXAMPLE = "key,label,sessions,active_sessions,...\n2026-11-20,,3,0,...\nTOTAL,,3,0,...\n"


@router.get(
    "/v1/usage",
    response_model=UsageReport,
    summary="Agent usage totals for billing (JSON, or CSV with Accept: text/csv)",
    responses={200: {"content": {"text/csv": {"example": CSV_EXAMPLE}}}},
)
def usage(
    db: DbSession,
    principal: CurrentPrincipal,
    page: Pagination,
    entity_id: Annotated[
        IdQuery, Query(description="Managers: omit for every entity. Entity admins: their own.")
    ] = None,
    start: time_query("Inclusive; default `to` minus 30 days", alias="from") = None,
    end: time_query("Exclusive; default now", alias="to") = None,
    group_by: UsageGroup = UsageGroup.DAY,
    accept: Annotated[str | None, Header()] = None,
):
    report = service.usage_report(
        db=db,
        principal=principal,
        entity_id=entity_id,
        start=start,
        end=end,
        group_by=group_by,
        limit=page.limit,
        offset=page.offset,
    )
    if accept and "text/csv" in accept:
        return Response(
            service.usage_csv(report),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="usage.csv"'},
        )
    return report
