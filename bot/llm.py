"""make_chat_model(settings): the only place an LLM provider is chosen (through LangChain's init_chat_model)."""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING, Any

from bot.errors import LLMError
from bot.settings import Settings, get_settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

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


@functools.lru_cache(maxsize=8)
def _build(
    provider: str,
    model: str,
    base_url: str | None,
    api_key: str | None,
    temperature: float,
    timeout: float,
    max_retries: int,
) -> BaseChatModel:
    try:
        from langchain.chat_models import init_chat_model
    except ImportError as exc:  # pragma: no cover - langchain is a core dependency
        raise LLMError("The langchain package is missing.", "Run `make install`.") from exc
    kwargs: dict[str, Any] = {"temperature": temperature, "max_retries": max_retries}
    if provider == "openai":
        kwargs["timeout"] = timeout
        if base_url:
            kwargs["base_url"] = base_url
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
