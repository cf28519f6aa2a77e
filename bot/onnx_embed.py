"""The embedding model on ONNX Runtime: a one-time export with ``torch.onnx``, then inference without torch.

Only a sentence-transformers model that is a transformer, mean pooling and at most a normalisation qualifies (the
shipped all-MiniLM-L6-v2 is). The transformer alone is exported, to token vectors; tokenising (``tokenizers``, the
model's own ``tokenizer.json``) and pooling happen here in numpy, so token sums for ingest come for free. The export
lives under ``<cache>/onnx/<model hash>/`` and is made once: by ``make install`` / the first ingest, or at first use.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import BotError
from bot.files import file_lock, replacing, write_atomic

ONNX_OPSET = 17
EXPORT_FORMAT = 1
EXPORT_LOCK_TIMEOUT = 600
"""Seconds to wait for another process exporting the same model (an export takes about a minute on 2 cores)."""
"""Bumped when the export changes shape, so an old export is not reused."""
_HASHED = ("config.json", "modules.json", "sentence_bert_config.json", "tokenizer.json", "1_Pooling/config.json")
_WEIGHTS = ("model.safetensors", "pytorch_model.bin")


def unsupported(model_dir: Path) -> str | None:
    """Return why the model in ``model_dir`` cannot run on ONNX Runtime here, or None when it can.

    Read from the model's files alone (no torch): the module list, the pooling config and a fast tokenizer.
    """
    try:
        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "it has no readable modules.json (not a local sentence-transformers folder)"
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or kinds[2:] not in ([], ["Normalize"]) or modules[0].get("path"):
        return f"its modules are {kinds}, not Transformer, Pooling[, Normalize]"
    pooling = _read_json(model_dir / modules[1]["path"] / "config.json")
    mode = pooling.get("pooling_mode")
    flags = {k: v for k, v in pooling.items() if k.startswith("pooling_mode_") and v is True}
    if not (mode == "mean" or (mode is None and list(flags) == ["pooling_mode_mean_tokens"])):
        return "it does not pool by mean"
    if not (model_dir / "tokenizer.json").is_file():
        return "it has no tokenizer.json (fast tokenizer)"
    if not any((model_dir / w).is_file() for w in _WEIGHTS):
        return "it has no model.safetensors or pytorch_model.bin"
    return None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def model_hash(model_dir: Path, cache_dir: Path) -> str:
    """Return a sha256 over the model's weights and configs (memoised by file size and mtime in ``cache_dir``)."""
    memo_path = cache_dir / "onnx" / "hashes.json"
    memo = _read_json(memo_path)
    names = [n for n in (*_HASHED, *_WEIGHTS) if (model_dir / n).is_file()]
    stamp = ";".join(f"{n}:{(model_dir / n).stat().st_size}:{(model_dir / n).stat().st_mtime_ns}" for n in names)
    key = f"{model_dir.resolve()}|{stamp}"
    if isinstance(memo.get(key), str):
        return str(memo[key])
    total = hashlib.sha256(f"format {EXPORT_FORMAT} opset {ONNX_OPSET}".encode())
    for name in names:
        with open(model_dir / name, "rb") as handle:
            total.update(name.encode() + hashlib.file_digest(handle, "sha256").digest())
    digest = total.hexdigest()
    memo[key] = digest
    write_atomic(memo_path, json.dumps(memo, indent=1).encode("utf-8"))
    return digest


def export_path(model_dir: Path, cache_dir: Path) -> Path:
    """Return where the model's ONNX export lives (it may not exist yet)."""
    return cache_dir / "onnx" / model_hash(model_dir, cache_dir)[:16] / "model.onnx"


def ensure_export(model_dir: Path, cache_dir: Path, elsewhere: tuple[Path, ...] = ()) -> Path:
    """Return the model's ONNX export, making it first if needed (needs torch; a file lock stops two at once).

    An export already made in one of the ``elsewhere`` folders (the default data dir's) is used as it is.
    """
    target = export_path(model_dir, cache_dir)
    if target.is_file():
        return target
    for other in elsewhere:
        found = other / "onnx" / target.parent.name / target.name
        if found.is_file():
            return found

    def busy() -> BotError:
        return BotError(
            f"Another process has been exporting the embedding model to {target.parent} for 10 minutes.",
            "Wait for it to finish (or stop it) and try again.",
        )

    with file_lock(target.parent / "export.lock", EXPORT_LOCK_TIMEOUT, busy):
        if not target.is_file():
            export(model_dir, target)
    return target


def export(model_dir: Path, target: Path) -> None:
    """Export the model's transformer (token ids -> token vectors) to ``target`` with ``torch.onnx``."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    began = time.perf_counter()
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager").eval()
    names = ["input_ids", "attention_mask"]
    if getattr(model.config, "type_vocab_size", 0):
        names.append("token_type_ids")

    class _TokenVectors(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *inputs: Any) -> Any:
            return self.inner(**dict(zip(names, inputs, strict=True))).last_hidden_state

    # Trace with padding in the batch, so the attention mask is part of the graph and not a folded constant.
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]], dtype=torch.long)
    mask = (ids != 0).long()
    args = (ids, mask, torch.zeros_like(ids))[: len(names)]
    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "token_embeddings"]}
    try:
        with replacing(target) as tmp, torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about Python booleans: the mask path is traced
            torch.onnx.export(
                _TokenVectors(model),
                args,
                str(tmp),
                input_names=names,
                output_names=["token_embeddings"],
                dynamic_axes=axes,
                opset_version=ONNX_OPSET,
                dynamo=False,
            )
    except Exception as exc:
        raise BotError(
            f"Could not export the embedding model {model_dir} to ONNX ({type(exc).__name__}: {exc}).",
            "Set BOT_EMBED_BACKEND=torch to run it on PyTorch.",
        ) from exc
    info = {"model": str(model_dir), "inputs": names, "opset": ONNX_OPSET, "torch": torch.__version__}
    info["export_s"] = round(time.perf_counter() - began, 2)
    write_atomic(target.parent / "export.json", json.dumps(info, indent=1).encode("utf-8"))


class OnnxEncoder:
    """Token vectors from ONNX Runtime, pooled by mean in numpy: the same vectors as sentence-transformers."""

    pools_by_mean = True

    def __init__(self, model_dir: Path, onnx_path: Path, quick_single: bool = False) -> None:
        """``quick_single``: keep a second session whose threads may spin, for one text at a time (a query).

        Waking sleeping worker threads costs a one-text run about a third of its time here (2.7 ms with spinning
        against 4.0 ms without, a query on this 2-core machine); batches keep the session whose idle threads sleep,
        so a long ingest or a busy app leaves the cores to the rest. The second session costs about 90 MB.
        """
        import onnxruntime as ort
        from tokenizers import Tokenizer

        config = _read_json(model_dir / "sentence_bert_config.json")
        self.max_tokens = int(config.get("max_seq_length") or 512)
        self.lower_case = bool(config.get("do_lower_case", False))
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=self.max_tokens)
        self.tokenizer.no_padding()

        def session(spin: bool) -> Any:
            options = ort.SessionOptions()
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
            options.log_severity_level = 3
            return ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])

        # Idle worker threads must not spin: the web app's other threads and other processes need the cores.
        self.session = session(spin=False)
        self.single = session(spin=True) if quick_single else self.session
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.dim = int(self.session.get_outputs()[0].shape[-1])

    def _batch(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Return the token vectors (batch, tokens, dim) and the attention mask (batch, tokens) of a batch."""
        encodings = self.tokenizer.encode_batch([t.lower() for t in texts] if self.lower_case else texts)
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        types = np.zeros((len(texts), width), dtype=np.int64)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = e.attention_mask
            types[row, : len(e.ids)] = e.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        session = self.single if len(texts) == 1 else self.session
        (tokens,) = session.run(None, {name: feeds[name] for name in self.inputs})
        return np.asarray(tokens, dtype=np.float32), mask

    def token_sums(self, texts: list[str], batch_size: int) -> tuple[np.ndarray, np.ndarray]:
        """Return each text's sum of token vectors and its token count (padding excluded)."""
        sums = np.zeros((len(texts), self.dim), dtype=np.float32)
        counts = np.zeros(len(texts), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # evenly filled batches, as encode() sorts
        for at in range(0, len(order), batch_size):
            rows = order[at : at + batch_size]
            tokens, mask = self._batch([texts[i] for i in rows])
            weights = mask.astype(np.float32)
            sums[rows] = np.einsum("btd,bt->bd", tokens, weights)
            counts[rows] = weights.sum(axis=1)
        return sums, counts

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """Return unit-length mean-pooled vectors, one row per text."""
        sums, counts = self.token_sums(texts, batch_size)
        vectors = sums / np.maximum(counts, 1.0)[:, None]
        return np.asarray(vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12), np.float32)
