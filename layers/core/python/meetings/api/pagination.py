"""Offset pagination with a total, shared by every list endpoint."""

from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

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


def paginate(db: Session, statement: Select, params: PageParams) -> Page:
    """One page of a select (ordered stably by the caller) with the count of all its rows; the route's
    response model turns the rows into its schema.

    The count rides along as an uncorrelated scalar subquery, which PostgreSQL runs once with its own
    plan: one round trip for the page and its total. Only a page past the end, which has no row to
    carry it, asks for the count on its own.
    """
    count = select(func.count()).select_from(statement.order_by(None).subquery())
    rows = db.execute(
        statement.add_columns(count.scalar_subquery().label("page_total"))
        .limit(params.limit)
        .offset(params.offset)
    ).all()
    if rows:
        total = rows[0][-1]
    else:
        total = db.execute(count).scalar_one() if params.offset else 0
    return Page(items=[row[0] for row in rows], total=total, limit=params.limit, offset=params.offset)
