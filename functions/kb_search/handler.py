"""Knowledge search Lambda: the search API (FastAPI) behind API Gateway, in the image with the model.

Runs from the kb-ingest image with the command `kb_search_handler.handler`.
"""

from meetings.init_phase import collector_paused

with collector_paused():
    from mangum import Mangum

    from meetings.embeddings import get_embedder
    from meetings.manager.knowledge.search_app import app

    get_embedder()  # in the init phase, not on the first request

handler = Mangum(app, lifespan="off")
