"""Offset pagination with a total, shared by every list endpoint."""

import functools
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, func, inspect, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from meetings.validation import MAX_OFFSET

T = TypeVar("T")

MAX_PAGE_SIZE = 200


class PageParams(BaseModel):
    limit: int = 50
    offset: int = 0


async def page_params(  # a coroutine: no worker-thread hop for a sync dependency
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Rows per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


Pagination = Annotated[PageParams, Depends(page_params)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def paginate(
    db: Session, statement: Select, params: PageParams, schema: type[BaseModel] | None = None
) -> Page:
    """One page of a select (ordered stably by the caller) with the count of all its rows.

    Without `schema`, the page holds the select's mapped objects, for the route to answer with. With
    `schema` (the route's item model), it holds that model's instances, validated here once, so that
    the response model has nothing left to do but write the JSON. A schema that reads nothing but the
    entity's columns is read from those columns alone: no mapped object is loaded for it.

    The count rides along as an uncorrelated scalar subquery, which PostgreSQL runs once with its own
    plan: one round trip for the page and its total. Only a page past the end, which has no row to
    carry it, asks for the count on its own.
    """
    columns = _columns_read(schema, statement) if schema is not None else None
    if columns is None:
        rows, total = _rows_and_total(db, statement, params)
        items = [row[0] for row in rows]
    else:
        rows, total = _rows_and_total(db, statement.with_only_columns(*columns), params)
        keys = [column.key for column in columns]
        items = [dict(zip(keys, row[:-1], strict=True)) for row in rows]  # the last column is the total
    page = {"items": items, "total": total, "limit": params.limit, "offset": params.offset}
    if schema is None:
        return Page(**page)
    return Page[schema].model_validate(page, from_attributes=True)


def _rows_and_total(db: Session, statement: Select, params: PageParams) -> tuple[list, int]:
    count = select(func.count()).select_from(statement.order_by(None).subquery())
    rows = db.execute(
        statement.add_columns(count.scalar_subquery().label("page_total"))
        .limit(params.limit)
        .offset(params.offset)
    ).all()
    if rows:
        return rows, rows[0][-1]
    return rows, db.execute(count).scalar_one() if params.offset else 0


def _columns_read(schema: type[BaseModel], statement: Select) -> tuple[InstrumentedAttribute, ...] | None:
    """The columns `schema` reads when `statement` selects one mapped entity, or None."""
    selected = statement.column_descriptions
    if len(selected) != 1 or selected[0]["expr"] is not selected[0]["entity"]:  # not one entity
        return None
    return _columns_of(schema, selected[0]["entity"])


@functools.cache
def _columns_of(schema: type[BaseModel], entity: type) -> tuple[InstrumentedAttribute, ...] | None:
    """The entity's columns that the fields of `schema` read (by their validation alias, if any), in the
    schema's order; None when the schema reads anything else (a property, a relationship) or a model
    validator of it sees the input."""
    if any(
        validator.info.mode != "after"
        for validator in schema.__pydantic_decorators__.model_validators.values()
    ):
        return None
    keys = [field.validation_alias or name for name, field in schema.model_fields.items()]
    mapped_columns = inspect(entity).mapper.column_attrs
    if not all(isinstance(key, str) and key in mapped_columns for key in keys):
        return None
    return tuple(getattr(entity, key) for key in keys)
