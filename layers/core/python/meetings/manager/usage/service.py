"""Usage report for billing: sums of `agent_usage` over a period, per day, department or room."""

import csv
import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import Integer, Numeric, String, case, cast, func, null, select
from sqlalchemy.orm import Session

from meetings.errors import ValidationFailed
from meetings.identity.principal import Principal
from meetings.manager.departments.models import Department
from meetings.manager.entities.access import get_entity
from meetings.manager.usage.schemas import UsageFigures, UsageGroup, UsageReport, UsageRow
from meetings.secretary.agent_usage.models import NOTE_DRAFT_USAGE, AgentUsage
from meetings.secretary.rooms.models import Room

DEFAULT_PERIOD = timedelta(days=30)
FIGURES = list(UsageFigures.model_fields)
# agent_usage.data keys summed into each figure.
DATA_KEYS = {
    "tokens_in": "total_tokens_input",
    "tokens_out": "total_tokens_output",
    "audio_minutes": "total_audio_minutes",
    "interactions": "interactions_count",
    "cost_estimate": "cost_estimate",
}


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _data_number(key: str):
    """A numeric value of the usage JSON, ignored when absent or not a number."""
    value = AgentUsage.data[key]
    return func.coalesce(
        func.sum(case((func.jsonb_typeof(value) == "number", cast(value.astext, Numeric)))), 0
    )


def _group_columns(group_by: UsageGroup):
    """Selected key and label columns, GROUP BY columns and outer joins for one grouping."""
    if group_by == UsageGroup.DAY:
        day = func.to_char(func.timezone("UTC", AgentUsage.session_start), "YYYY-MM-DD")
        return [day.label("key"), null().label("label")], [day], []
    if group_by == UsageGroup.DEPARTMENT:
        return (
            [cast(AgentUsage.department_id, String).label("key"), Department.name.label("label")],
            [AgentUsage.department_id, Department.name],
            [(Department, Department.id == AgentUsage.department_id)],
        )
    return (
        [AgentUsage.room_id.label("key"), Room.title.label("label")],
        [AgentUsage.room_id, Room.title],
        [(Room, Room.id == AgentUsage.room_id)],
    )


def usage_report(
    *,
    db: Session,
    principal: Principal,
    entity_id: int | None,
    start: datetime | None,
    end: datetime | None,
    group_by: UsageGroup,
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> UsageReport:
    """Sums agent sessions that started in [start, end), one page of groups plus the period's totals;
    an entity admin only sees their entity."""
    now = now or datetime.now(UTC)
    end = _as_utc(end) if end else now
    start = _as_utc(start) if start else end - DEFAULT_PERIOD
    if start >= end:
        raise ValidationFailed.for_field("to", "invalid_range", "`to` must be after `from`.")
    if not principal.is_manager and entity_id is None:
        entity_id = principal.entity_id
    if entity_id is not None:
        get_entity(db=db, principal=principal, entity_id=entity_id)

    columns, group_keys, joins = _group_columns(group_by)
    running = AgentUsage.session_end.is_(None)
    duration = case(
        (running, cast(func.extract("epoch", now - AgentUsage.session_start), Integer)),
        else_=AgentUsage.duration_seconds,
    )
    session = AgentUsage.data["kind"].astext.is_distinct_from(NOTE_DRAFT_USAGE)  # not a drafting job's row
    figures = (
        func.count().filter(session).label("sessions"),
        func.count().filter(running).label("active_sessions"),
        func.coalesce(func.sum(func.greatest(duration, 0)), 0).label("duration_seconds"),
        *(_data_number(key).label(figure) for figure, key in DATA_KEYS.items()),
    )
    period = [AgentUsage.session_start >= start, AgentUsage.session_start < end]
    if entity_id is not None:
        period.append(AgentUsage.entity_id == entity_id)
    grouped = select(*columns, *figures).where(*period)
    for table, condition in joins:
        grouped = grouped.outerjoin(table, condition)
    grouped = grouped.group_by(*group_keys).order_by(group_keys[0].asc().nulls_last())

    total = db.execute(select(func.count()).select_from(grouped.order_by(None).subquery())).scalar_one()
    rows = db.execute(grouped.limit(limit).offset(offset)).mappings()
    totals = _figures(db.execute(select(*figures).where(*period)).mappings().one())
    return UsageReport(
        entity_id=entity_id,
        from_=start,
        to=end,
        group_by=group_by,
        items=[UsageRow(key=row["key"], label=row["label"], **_figures(row)) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
        totals=UsageFigures(**totals),
    )


def _figures(result) -> dict:
    values = {figure: result[figure] for figure in FIGURES}
    for figure in ("audio_minutes", "cost_estimate"):
        values[figure] = float(values[figure])
    for figure in ("tokens_in", "tokens_out", "interactions", "duration_seconds"):
        values[figure] = int(values[figure])
    return values


# OWASP CSV injection: a cell starting with one of these is a formula (or becomes one) in a spreadsheet.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """A text cell a spreadsheet shows as text: a formula trigger at its start is escaped with a quote."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def usage_csv(report: UsageReport) -> str:
    """The report's page as CSV: a header, one line per row, and a TOTAL line for the whole period."""
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(["key", "label", *FIGURES])
    for row in report.items:
        cells = [spreadsheet_safe(row.key or ""), spreadsheet_safe(row.label or "")]
        writer.writerow([*cells, *(getattr(row, figure) for figure in FIGURES)])
    writer.writerow(["TOTAL", "", *(getattr(report.totals, figure) for figure in FIGURES)])
    return output.getvalue()
