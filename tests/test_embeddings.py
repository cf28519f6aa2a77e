"""The embedding model on ONNX Runtime and on PyTorch: same vectors, same token sums, no torch when serving."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.errors import BotError
from bot.settings import DEFAULT_EMBEDDING_MODEL, PROJECT_DIR, Settings
from bot.text import split_sentences
from tests.conftest import SHIPPED_CORPUS, make_settings


def _real_texts(n: int) -> list[str]:
    """Return n sentences of the shipped corpus (every source in turn) and a few questions and odd strings."""
    per_source: list[list[str]] = []
    for path in sorted(SHIPPED_CORPUS.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        per_source.append([text[a:b] for a, b in split_sentences(text) if b - a > 20])
    out: list[str] = []
    while len(out) < n and any(per_source):
        for sentences in per_source:
            if sentences and len(out) < n:
                out.append(sentences.pop(0))
    return [
        *out,
        "How many inmates can CECOT hold?",
        "deaths in custody",
        "  Émigrés — ñandú, 40 000 presos.  ",
        " ".join(["detention"] * 400),  # past the model's 256 tokens: truncated the same way by both
    ]


def _settings(tmp_path: Path, backend: str) -> Settings:
    return make_settings(tmp_path / "data", embed_backend=backend)


def test_onnx_vectors_and_token_sums_match_pytorch(tmp_path: Path) -> None:
    from bot.embeddings import backend, embed_query, embed_texts, token_sums

    texts = _real_texts(60)
    onnx, torch = _settings(tmp_path, "onnx"), _settings(tmp_path, "torch")
    assert backend(onnx) == "onnx" and backend(torch) == "torch"
    a, b = embed_texts(texts, onnx), embed_texts(texts, torch)
    assert a.shape == b.shape == (len(texts), 384) and a.dtype == np.float32
    cosine = np.sum(a * b, axis=1)
    assert float(cosine.min()) > 0.9999, f"lowest cosine {cosine.min()} ({texts[int(cosine.argmin())]!r})"
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    q = "Who runs the prison in Tecoluca?"
    assert float(embed_query(q, onnx) @ embed_query(q, torch)) > 0.9999

    sums_o, counts_o = token_sums(texts[:24], onnx) or (None, None)
    sums_t, counts_t = token_sums(texts[:24], torch) or (None, None)
    assert counts_o is not None and counts_t is not None and sums_o is not None and sums_t is not None
    assert np.array_equal(counts_o, counts_t)  # the same tokens, padding excluded
    pooled = sums_o / counts_o[:, None]
    pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
    assert float(np.sum(pooled * b[:24], axis=1).min()) > 0.9999  # sum / count is the text's own vector


def test_serving_on_onnx_does_not_import_torch(tmp_path: Path) -> None:
    from bot.embeddings import backend

    assert backend(_settings(tmp_path, "onnx")) == "onnx"  # the export exists before the child looks for it
    probe = (
        "import json, sys\n"
        "from bot.settings import get_settings\n"
        "from bot.embeddings import backend, embed_query\n"
        "v = embed_query('How many inmates can CECOT hold?', get_settings())\n"
        "print(json.dumps({'backend': backend(), 'dim': len(v), 'heavy': sorted(m for m in "
        "('torch', 'transformers', 'sentence_transformers') if m in sys.modules)}))\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("BOT_")}
    env.update(BOT_DATA_DIR=str(tmp_path / "data"), BOT_EMBED_BACKEND="onnx")
    env["BOT_EMBED_CACHE_DIR"] = str(_settings(tmp_path, "onnx").model_cache_dir)
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"backend": "onnx", "dim": 384, "heavy": []}


def _model_copy(tmp_path: Path) -> Path:
    """Copy the shipped model's small files and link its weights (a model folder we may edit)."""
    from bot.embeddings import resolve_model

    source = Path(resolve_model(DEFAULT_EMBEDDING_MODEL))
    target = tmp_path / "model"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.safetensors", "*.bin", "README.md"))
    (target / "model.safetensors").symlink_to(source / "model.safetensors")
    return target


def test_a_model_that_does_not_pool_by_mean_is_refused_by_onnx_and_said_why(tmp_path: Path) -> None:
    from bot import onnx_embed
    from bot.embeddings import get_encoder

    model = _model_copy(tmp_path)
    assert onnx_embed.unsupported(model) is None
    pooling = model / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    config.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    pooling.write_text(json.dumps(config))
    assert onnx_embed.unsupported(model) == "it does not pool by mean"
    assert "not a local sentence-transformers folder" in (onnx_embed.unsupported(tmp_path) or "")
    s = make_settings(tmp_path / "data", embedding_model=str(model), embed_backend="onnx")
    with pytest.raises(BotError, match="cannot run on ONNX Runtime: it does not pool by mean") as err:
        get_encoder(s)
    assert "BOT_EMBED_BACKEND=auto" in str(err.value)


def test_the_export_is_keyed_by_the_models_hash(tmp_path: Path) -> None:
    from bot import onnx_embed

    model = _model_copy(tmp_path)
    cache = tmp_path / "cache"
    first = onnx_embed.export_path(model, cache)
    assert first == onnx_embed.export_path(model, cache)  # memoised, same answer
    assert first.parent.parent == cache / "onnx"
    config = json.loads((model / "config.json").read_text())
    config["note"] = "edited"  # longer file, another hash
    (model / "config.json").write_text(json.dumps(config))
    assert onnx_embed.export_path(model, cache) != first  # another model: another export


def test_answers_briefs_and_rebuttals_never_embed_a_sentence_of_the_index(
    fixture_index: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.answer import ask
    from bot.debate.brief import brief
    from bot.debate.rebuttal import rebut
    from bot.embeddings import get_encoder
    from bot.manifest import list_sources, source_text

    encoder = get_encoder(fixture_index)
    seen: list[str] = []
    real_encode, real_sums = encoder.encode, encoder.token_sums

    def encode(texts: list[str], batch_size: int) -> np.ndarray:
        seen.extend(texts)
        return real_encode(texts, batch_size)

    def sums(texts: list[str], batch_size: int) -> tuple[np.ndarray, np.ndarray]:
        seen.extend(texts)
        return real_sums(texts, batch_size)

    monkeypatch.setattr(encoder, "encode", encode)
    monkeypatch.setattr(encoder, "token_sums", sums)
    ask("How many people are held in the mega-prison?", settings=fixture_index)
    result = brief("El Salvador's mass-incarceration policy, symbolised by CECOT, is justified", settings=fixture_index)
    rebut("Homicides fell, so the crackdown works", n=2, settings=fixture_index)
    assert result.pro or result.con  # the brief did its work
    indexed = set()
    for info in list_sources(fixture_index):
        text = source_text(info.id, fixture_index)
        indexed.update(text[a:b] for a, b in split_sentences(text))
    again = sorted(set(seen) & indexed)
    assert not again, f"{len(again)} sentences of the index were embedded again, e.g. {again[:3]}"
    assert 0 < len(set(seen)) <= 25  # the question, the motion, the argument and the motion's contentions only
