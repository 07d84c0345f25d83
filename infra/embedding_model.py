"""The production embedding model and what describes it (decision 0026): its dimension, its instructions
and the languages it ranks well. The knowledge image and the agent image bake the same model and
values (functions/kb_ingest/Dockerfile, agent_container/Dockerfile); the stack gives every function
and the agent this profile. No CDK import here: bench/eval_retrieval.py reads it too."""

EMBEDDING_MODEL = "intfloat/multilingual-e5-small"
EMBEDDING_DIM = "384"
EMBEDDING_PROFILE = {
    "EMBEDDING_QUERY_PROMPT": "query: ",
    "EMBEDDING_PASSAGE_PROMPT": "passage: ",
    "EMBEDDING_LANGUAGES": "english,portuguese,spanish",
}
