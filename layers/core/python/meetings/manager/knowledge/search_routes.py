"""Knowledge-base search. Served by the knowledge search app, which carries the embedding model."""

from fastapi import APIRouter

from meetings.api.database import DbSession
from meetings.api.params import IdPath
from meetings.identity.dependency import CurrentPrincipal
from meetings.manager.knowledge import service
from meetings.manager.knowledge.schemas import SearchRequest, SearchResponse, SearchResult

router = APIRouter(tags=["knowledge-base"])


@router.post(
    "/v1/entities/{entity_id}/knowledge-base/search",
    response_model=SearchResponse,
    summary="Find the chunks of an entity's documents nearest to a question",
    description=(
        "With `department_id`, the department's documents replace entity-wide documents of the same name; "
        "entity-wide documents it does not override still count, other departments' never do. Without it, "
        "only entity-wide documents are searched."
    ),
    responses={422: {"description": "invalid_department or field errors"}},
)
def search_knowledge_base(db: DbSession, principal: CurrentPrincipal, entity_id: IdPath, data: SearchRequest):
    chunks = service.search_documents(db=db, principal=principal, entity_id=entity_id, data=data)
    return SearchResponse(
        results=[
            SearchResult(
                chunk_id=chunk.id,
                document_name=chunk.document_name,
                department_id=chunk.department_id,
                page=chunk.page,
                chunk_index=chunk.chunk_index,
                section=chunk.metadata.get("section"),
                text=chunk.text,
                score=round(chunk.score, 6),
            )
            for chunk in chunks
        ]
    )
