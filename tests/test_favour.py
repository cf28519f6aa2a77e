"""The favour encoder: rebuilt from the shipped layers and the installed base model, on ONNX Runtime; refused when the
base model differs; the stance model without it runs on its linear part."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from bot.debate import favour
from bot.debate.stance_model import load_model
from bot.errors import BotError
from tests.conftest import make_settings

# Sentences written for this test, about no motion in the training data: one speaks well of its subject, one ill.
GOOD = (
    "The new library has been a remarkable success: it is busy every day and has given children a safe place to read."
)
BAD = "The new library has been a costly failure: it sits empty, wastes public money and its roof already leaks."


def test_encoder_reads_good_and_ill(tmp_path: Path) -> None:
    encoder = favour.favour_encoder(make_settings(tmp_path))
    assert encoder is not None, "the shipped favour encoder should load from bot/data and the installed base model"
    good, bad = encoder.logits([GOOD, BAD])
    assert good > 0 > bad
    # Scored one at a time or in a batch, and from its memory, a text gets the same logit.
    again = favour.favour_encoder(make_settings(tmp_path)).logits([BAD])  # type: ignore[union-attr]
    assert np.isclose(again[0], bad)


def test_stance_model_uses_the_encoder_and_falls_back_to_linear(tmp_path: Path) -> None:
    model = load_model()
    assert model.encoder_weight > 0, "make train fits a positive weight for the encoder"
    settings = make_settings(tmp_path)
    from bot.embeddings import embed_texts

    texts = [GOOD, BAD]
    vectors = embed_texts(texts, settings)
    enc = favour.encoder_logits(texts, settings)
    assert enc is not None
    with_encoder = model.favour_logits(texts, vectors, enc)
    linear = model.favour_logits(texts, vectors, None)
    assert np.allclose(linear, model.linear_only_scale * model.linear_logits(texts, vectors))
    assert not np.allclose(with_encoder, linear)
    assert with_encoder[0] > 0 > with_encoder[1]


def test_a_different_base_model_is_refused(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    arrays = dict(np.load(favour.FAVOUR_FILE))
    arrays["base_sha256"] = np.array("0" * 64)
    wrong = tmp_path / "favour_encoder.npz"
    np.savez(wrong, **arrays)
    with pytest.raises(BotError, match="another all-MiniLM-L6-v2") as info:
        favour._build(wrong, tmp_path / "models")
    assert "Reinstall" in info.value.fix
    with caplog.at_level(logging.WARNING, logger="bot.debate.favour"):
        assert favour._load(str(wrong), str(tmp_path / "models")) is None
    assert "linear model alone" in caplog.text


def test_scores_are_kept_for_the_next_process(tmp_path: Path) -> None:
    encoder = favour.favour_encoder(make_settings(tmp_path))
    assert encoder is not None
    store = tmp_path / "scored.npz"
    first = favour.FavourEncoder(encoder.encoder, encoder.weight, encoder.bias, encoder.scale, store=store)
    first.logits([GOOD])  # one text: scored, not written
    assert not store.is_file()
    batch = [GOOD, BAD] + [f"{GOOD} (case {n})" for n in range(favour.KEEP_BATCH)]
    expected = first.logits(batch)[:2]
    assert store.is_file()

    class Refuses:
        def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
            raise AssertionError(f"re-encoded {texts}")

    second = favour.FavourEncoder(Refuses(), encoder.weight, encoder.bias, encoder.scale, store=store)
    assert np.allclose(second.logits([BAD, GOOD]), expected[::-1])
    store.write_bytes(b"not an npz")  # a damaged cache is ignored and rebuilt
    third = favour.FavourEncoder(encoder.encoder, encoder.weight, encoder.bias, encoder.scale, store=store)
    assert np.allclose(third.logits([GOOD]), expected[:1])
