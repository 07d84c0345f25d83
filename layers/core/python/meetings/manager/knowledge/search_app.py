"""The knowledge search API: the FastAPI app behind the kb-search Lambda (the image with the model)."""

from meetings.api.app import create_app
from meetings.manager.knowledge.search_routes import router as search_router

ROUTERS = [search_router]

app = create_app(
    "Meetings knowledge search API", ROUTERS, description="Semantic search over an organization's documents."
)
