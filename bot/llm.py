"""make_chat_model(settings): the only place an LLM provider is chosen (through LangChain's init_chat_model).

Also the helpers every LLM call shares, because real models (small local ones above all) do not return tidy
replies: ``for_task`` sets a task's token limit and stop sequences, ``stream_within`` reads a reply within a
wall-clock budget, ``find_loop`` spots a reply that repeats itself, and ``check_line`` says why a one-line reply
(a tag, an analysis line) cannot be used.
"""

from __future__ import annotations

import functools
import math
import queue
import re
import threading
import time
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any

from bot.errors import BotError, LLMError
from bot.phrases import REFUSAL
from bot.settings import Settings, get_settings
from bot.text import split_sentences

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.runnables import Runnable

EXTRACTIVE = "extractive"
PROVIDERS = {
    "openai": "langchain-openai",
    "ollama": "langchain-ollama",
    "anthropic": "langchain-anthropic",
}
"""Supported providers and the package each needs (installed as the project's extra of the same name)."""

_override: dict[str, BaseChatModel] = {}
_lock = threading.Lock()


def parse_llm(spec: str) -> tuple[str, str]:
    """Split ``provider:model`` and check the provider is supported."""
    spec = spec.strip()
    if spec == EXTRACTIVE:
        return EXTRACTIVE, ""
    provider, sep, model = spec.partition(":")
    if not sep or not model.strip():
        raise LLMError(
            f"BOT_LLM={spec!r} is not of the form provider:model.",
            "Use e.g. openai:gpt-4o-mini, ollama:llama3.1, anthropic:claude-3-5-haiku-latest, or extractive.",
        )
    provider = provider.strip().lower()
    if provider not in PROVIDERS:
        raise LLMError(
            f"Unknown LLM provider {provider!r} in BOT_LLM={spec!r}.",
            f"Use one of: {', '.join(PROVIDERS)} "
            "(any OpenAI-compatible server works as openai: with BOT_LLM_BASE_URL).",
        )
    return provider, model.strip()


def model_name(settings: Settings | None = None) -> str:
    """Return the name of the answering model: ``extractive`` or ``provider:model``."""
    settings = settings or get_settings()
    if "model" in _override:
        return getattr(_override["model"], "_llm_type", type(_override["model"]).__name__)
    provider, model = parse_llm(settings.llm)
    return EXTRACTIVE if provider == EXTRACTIVE else f"{provider}:{model}"


def make_chat_model(settings: Settings | None = None) -> BaseChatModel | None:
    """Return the configured chat model (built once), or None for the extractive default."""
    settings = settings or get_settings()
    if "model" in _override:
        return _override["model"]
    provider, model = parse_llm(settings.llm)
    if provider == EXTRACTIVE:
        return None
    api_key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return _build(
        provider,
        model,
        settings.llm_base_url,
        api_key,
        settings.llm_temperature,
        settings.llm_timeout,
        settings.llm_max_retries,
    )


@functools.lru_cache(maxsize=16)
def _build(
    provider: str,
    model: str,
    base_url: str | None,
    api_key: str | None,
    temperature: float,
    timeout: float,
    max_retries: int,
    max_tokens: int = 0,
) -> BaseChatModel:
    try:
        from langchain.chat_models import init_chat_model
    except ImportError as exc:  # pragma: no cover - langchain is a core dependency
        raise LLMError("The langchain package is missing.", "Run `make install`.") from exc
    kwargs: dict[str, Any] = {"temperature": temperature, "max_retries": max_retries}
    if max_tokens:
        kwargs["num_predict" if provider == "ollama" else "max_tokens"] = max_tokens
    if provider == "openai":
        kwargs["timeout"] = timeout
        if base_url:
            kwargs["base_url"] = base_url
            if max_tokens:
                # langchain-openai sends OpenAI's newer max_completion_tokens; local servers (llama.cpp's among
                # them) read only max_tokens, and without it a looping small model writes until its context is full.
                kwargs["extra_body"] = {"max_tokens": max_tokens}
            # Local OpenAI-compatible servers usually need no key, but the client insists on one.
            kwargs["api_key"] = api_key or "not-needed"
        elif api_key:
            kwargs["api_key"] = api_key
    elif provider == "ollama":
        kwargs.pop("max_retries")
        kwargs["client_kwargs"] = {"timeout": timeout}
        if base_url:
            kwargs["base_url"] = base_url
    elif provider == "anthropic":
        kwargs["timeout"] = timeout
        if api_key:
            kwargs["api_key"] = api_key
        if base_url:
            kwargs["base_url"] = base_url
    try:
        return init_chat_model(model, model_provider=provider, **kwargs)
    except ImportError as exc:
        raise LLMError(
            f"The {provider} provider needs the package {PROVIDERS[provider]}, which is not installed.",
            f"Run `.venv/bin/pip install -e '.[{provider}]'`.",
        ) from exc
    except Exception as exc:  # provider constructors raise their own types, e.g. for a missing key
        message = str(exc)
        if "api_key" in message.lower() or "api key" in message.lower():
            env = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}.get(provider, "the provider's key")
            raise LLMError(
                f"No API key for the {provider} provider.",
                f"Set BOT_LLM_API_KEY (or {env}) in the environment or .env.",
            ) from exc
        raise LLMError(f"Could not set up the {provider} model {model!r}: {message}", "Check BOT_LLM.") from exc


def use_chat_model(model: BaseChatModel | None) -> None:
    """Answer with this chat model object (tests, notebooks), or with the configured one again when None."""
    with _lock:
        if model is None:
            _override.pop("model", None)
        else:
            _override["model"] = model


def describe_error(exc: BaseException, settings: Settings) -> LLMError:
    """Turn a provider exception into an LLMError saying what failed and what to do; secrets never included."""
    name = model_name(settings)
    kind = type(exc).__name__
    text = str(exc)
    if settings.llm_api_key:
        text = text.replace(settings.llm_api_key.get_secret_value(), "***")
    text = text[:300]
    lowered = f"{kind} {text}".lower()
    if "timeout" in lowered or "timed out" in lowered:
        problem, fix = (
            f"The LLM ({name}) did not answer within {settings.llm_timeout:g} s.",
            "Try again, or raise BOT_LLM_TIMEOUT.",
        )
    elif "ratelimit" in lowered or "rate limit" in lowered or "429" in lowered:
        problem, fix = f"The LLM ({name}) is rate-limiting requests.", "Wait a minute and try again."
    elif "authentication" in lowered or "401" in lowered or "api key" in lowered:
        problem, fix = f"The LLM ({name}) rejected the API key.", "Check BOT_LLM_API_KEY."
    elif "connect" in lowered:
        problem, fix = (
            f"Cannot reach the LLM ({name}).",
            "Check that the server is running and BOT_LLM_BASE_URL is right.",
        )
    else:
        problem, fix = f"The LLM ({name}) failed: {kind}: {text}", "Try again, or set BOT_LLM=extractive."
    return LLMError(problem, fix + " (Unset BOT_LLM to use the extractive answerer, which needs no model.)")


# --- what every LLM call shares ----------------------------------------------------------------------------

TASKS = ("answer", "rewrite", "stance", "tag", "analysis")
"""The jobs a model is given; each has its own token limit and stop sequences in settings."""


def for_task(chat: BaseChatModel, task: str, settings: Settings) -> Runnable:
    """Return the chat model set up for one task: BOT_LLM_MAX_TOKENS_<TASK> and BOT_LLM_STOP_<TASK>."""
    if task not in TASKS:
        raise ValueError(f"unknown LLM task {task!r}; one of {', '.join(TASKS)}")
    max_tokens = int(getattr(settings, f"llm_max_tokens_{task}"))
    stop = list(getattr(settings, f"llm_stop_{task}"))
    bound: dict[str, Any] = {"stop": stop} if stop else {}
    model: Any = chat
    provider, name = parse_llm(settings.llm)
    configured = "model" not in _override and provider != EXTRACTIVE
    if configured and max_tokens:
        # The configured model is rebuilt with the limit (each provider names it differently; built once per task).
        api_key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        model = _build(
            provider,
            name,
            settings.llm_base_url,
            api_key,
            settings.llm_temperature,
            settings.llm_timeout,
            settings.llm_max_retries,
            max_tokens,
        )
    elif max_tokens and "ollama" not in type(chat).__name__.lower():
        bound["max_tokens"] = max_tokens  # a model object given to use_chat_model: passed with the request
    return model.bind(**bound) if bound else model


def raise_unless_timeout(exc: Exception, settings: Settings) -> None:
    """Return quietly when a provider's request timed out (the caller falls back); raise any other error.

    A BotError is raised as it is; a provider's own error becomes an LLMError that says what to do.
    """
    if isinstance(exc, BotError):
        raise exc
    if not is_timeout(exc):
        raise describe_error(exc, settings) from exc


def is_timeout(exc: BaseException) -> bool:
    """Return True when a provider exception means the model did not answer in time."""
    if isinstance(exc, TimeoutError):
        return True
    text = f"{type(exc).__name__} {exc}".lower()
    return "timeout" in text or "timed out" in text


class OverBudget(Exception):
    """The reply did not finish within its wall-clock budget."""


def stream_within(runnable: Runnable, inputs: Any, deadline: float) -> Generator[Any, None, None]:
    """Yield the runnable's stream chunks until it ends; raise OverBudget once ``time.perf_counter()`` passes deadline.

    The stream is read in a worker thread so that a server that stalls cannot hold the caller past the deadline;
    closing this generator early (the caller saw enough) tells the worker to stop reading, which closes the request.
    """
    chunks: queue.Queue[tuple[str, Any]] = queue.Queue()
    stop = threading.Event()

    def work() -> None:
        try:
            for chunk in runnable.stream(inputs):
                if stop.is_set():
                    break
                chunks.put(("chunk", chunk))
            chunks.put(("done", None))
        except BaseException as exc:  # handed to the caller's thread, which decides
            chunks.put(("error", exc))

    threading.Thread(target=work, daemon=True, name="llm-stream").start()
    try:
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise OverBudget
            try:
                kind, item = chunks.get(timeout=remaining)
            except queue.Empty:
                raise OverBudget from None
            if kind == "done":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()


LOOP_SENTENCE_REPEATS = 3
"""A sentence (citations, case and spacing aside) said this many times means the model is looping."""
LOOP_MIN_WORDS = 24
"""A stretch of words repeated back to back counts as a loop once the repeats cover this many words (and 3 repeats)."""
LOOP_MAX_PERIOD = 80
"""Longest repeated stretch, in words, looked for at the end of a reply."""

_CITES = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")
_WORDS = re.compile(r"\S+")


def _normal(text: str) -> str:
    return " ".join(_CITES.sub(" ", text).lower().split()).strip(" .;:,")


def find_loop(text: str) -> int | None:
    """Return where a reply starts repeating itself (the offset to cut at), or None when it does not loop.

    Two signs: one sentence said ``LOOP_SENTENCE_REPEATS`` times, or the reply ending in a stretch of words repeated
    back to back (``the the the ...``, or a clause without a full stop said over and over).
    """
    seen: dict[str, list[int]] = {}
    for start, end in split_sentences(text):
        key = _normal(text[start:end])
        if len(key.split()) < 3:
            continue
        starts = seen.setdefault(key, [])
        starts.append(start)
        if len(starts) >= LOOP_SENTENCE_REPEATS:
            return starts[1]
    words = [(m.start(), m.group(0).lower()) for m in _WORDS.finditer(text)]
    tokens = [w for _, w in words]
    for period in range(1, min(LOOP_MAX_PERIOD, len(tokens) // 3) + 1):
        repeats = max(3, math.ceil(LOOP_MIN_WORDS / period))
        span = period * repeats
        if span > len(tokens):
            continue
        tail = tokens[-span:]
        if all(tail[i] == tail[i % period] for i in range(span)):
            # Walk back to the first repeat of the stretch, then cut after it: one copy is kept.
            first = len(tokens) - span
            while first - period >= 0 and tokens[first - period : first] == tokens[first : first + period]:
                first -= period
            return words[first + period][0]
    return None


_SCAFFOLD = re.compile(r"</?\s*(source|evidence|passage|argument)\b|^\s*(motion|side|question)\s*:", re.I | re.M)
_DECLINES = re.compile(r"\b(as an ai|i'?m sorry|i cannot|i can'?t|language model)\b", re.I)
_LETTERS = re.compile(r"[^\W\d_]")


def check_line(reply: str, max_words: int, sentences: int = 0) -> tuple[str, str]:
    """Return a one-line reply cleaned (first line, no label, quotes or markup) and what is wrong with it ("" if fine).

    A line is unusable when it is empty, loops, runs past ``max_words``, echoes the prompt's scaffolding, declines
    the task, or is mostly not words. With ``sentences``, a line that runs past ``max_words`` keeps its first whole
    sentences (at most that many) that fit, and is unusable only when the first alone does not.
    """
    if find_loop(reply) is not None:
        return "", "the reply repeats itself"
    if _SCAFFOLD.search(reply):
        return "", "the reply echoes the prompt"
    line = next((x.strip() for x in reply.splitlines() if x.strip()), "")
    line = re.sub(r"^(?:tag|analysis|answer)\s*:\s*", "", line, flags=re.I).strip(" \"'“”*#`-")
    words = line.split()
    if not words:
        return "", "the reply is empty"
    if len(words) > max_words:
        ends = [b for _, b in split_sentences(line)][:sentences]
        fits = [b for b in ends if len(line[:b].split()) <= max_words]
        if not fits:
            return "", f"the reply runs past {max_words} words"
        line = line[: fits[-1]].strip()
        words = line.split()
    if REFUSAL.rstrip(".").lower() in line.lower() or _DECLINES.search(line):
        return "", "the model declined"
    letters = len(_LETTERS.findall(line))
    if len(words) < 2 or letters < 0.6 * len(line.replace(" ", "")):
        return "", "the reply is not a line of text"
    return line, ""


def llm_replies(chat: BaseChatModel, prompts: Sequence[str], settings: Settings, task: str | None = None) -> list[str]:
    """Send each prompt to the chat model (a few at a time) and return the replies' text.

    ``task`` ("stance", "tag", "analysis") sets the reply's token limit and stop sequences (``bot.llm.for_task``).
    A request that times out gives "" for that prompt, which the caller's fallback handles; other errors raise.
    """
    if not prompts:
        return []
    model: Any = for_task(chat, task, settings) if task else chat
    try:
        messages = model.batch(
            list(prompts), config={"max_concurrency": settings.debate_llm_concurrency}, return_exceptions=True
        )
    except BotError:
        raise
    except Exception as exc:  # the provider's own error types
        raise describe_error(exc, settings) from exc
    for m in messages:
        if isinstance(m, Exception):
            raise_unless_timeout(m, settings)
    return ["" if isinstance(m, Exception) else _content(m) for m in messages]


def _content(message: Any) -> str:
    content = getattr(message, "content", message)
    if isinstance(content, list):  # content blocks
        content = "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return str(content).strip()


class Budget:
    """The wall-clock budget of one answer's model calls (BOT_LLM_TIMEOUT), counted from the first call.

    Loading the embedding model or a cold index is not the model's time, so the clock starts at the first request.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline: float | None = None

    def start(self) -> float:
        """Start the clock if it is not running; return the deadline (a ``time.perf_counter()`` value)."""
        if self.deadline is None:
            self.deadline = time.perf_counter() + self.seconds
        return self.deadline
