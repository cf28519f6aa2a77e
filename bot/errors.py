"""Errors the bot raises: each says what was wrong and what to do."""

from __future__ import annotations


class BotError(Exception):
    """Base of every error the bot raises on purpose; ``str()`` is a message fit for a user."""

    def __init__(self, problem: str, fix: str = "") -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem} {fix}".strip())


class InputError(BotError, ValueError):
    """A question, motion, parameter or file the bot cannot accept."""


class SourceError(BotError):
    """A source could not be read or held no usable text."""


class NotFoundError(BotError, KeyError):
    """A source id, card id or other name that does not exist."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.args[0] if self.args else ""


class IngestLockedError(BotError):
    """Another ingest holds the lock on the data dir."""


class StoreError(BotError):
    """The vector store is unreachable or inconsistent."""


class LLMError(BotError):
    """The configured LLM provider failed or is misconfigured."""


class ConfigError(BotError):
    """A shipped or configured file the bot needs is missing or invalid."""
