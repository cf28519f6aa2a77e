"""Follow-up questions made retrievable on their own: rewritten by the LLM, or with earlier key terms carried.

A rewrite is used only if it is one usable question on the conversation's subject, made within the answer's
budget; otherwise the offline rewrite is, and the reason is kept (``Answer.rewrite``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.errors import InputError
from bot.llm import Budget, OverBudget, find_loop, for_task, raise_unless_timeout, stream_within
from bot.phrases import CITATION, REFUSAL
from bot.prompts import load_prompt
from bot.retrieval import check_query, term_weights
from bot.settings import Settings
from bot.text import tokenize

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

History = Sequence[Any]
"""Earlier turns: ``[(question, answer), ...]``, ``[{"role": ..., "content": ...}, ...]`` or ``[question, ...]``."""

_FOLLOW_UP = re.compile(
    r"^\s*(and|but|also|so|what about|how about)\b"
    r"|\b(they|them|their|theirs|it|its|this|that|those|these|he|she|his|her)\b",
    re.I,
)


def previous_questions(history: History | None) -> list[str]:
    """Return the user's earlier questions from any supported history shape."""
    out: list[str] = []
    for turn in history or []:
        if isinstance(turn, str):
            out.append(turn)
        elif isinstance(turn, dict):
            if turn.get("role") == "user" and isinstance(turn.get("content"), str):
                out.append(turn["content"])
        elif isinstance(turn, list | tuple) and turn and isinstance(turn[0], str):
            out.append(turn[0])
    return [q for q in out if q.strip()]


def standalone_query(question: str, history: History | None, model: BaseChatModel | None, settings: Settings) -> str:
    """Make a follow-up retrievable on its own: an LLM rewrites it; without one, earlier key terms are carried."""
    return _standalone(question, history, model, settings, Budget(settings.llm_timeout))[0]


def _standalone(
    question: str, history: History | None, model: BaseChatModel | None, settings: Settings, budget: Budget
) -> tuple[str, str]:
    """Return the standalone query and how it was made (see ``Answer.rewrite``).

    The model's rewrite is used only if it is one usable question on the conversation's subject, made within the
    answer's budget; otherwise the offline rewrite is, and the reason is kept.
    """
    earlier = previous_questions(history)
    if not earlier:
        return question, ""
    if model is None:
        return _carry_terms(question, earlier, settings), "offline"
    lines = "\n".join(f"- {q}" for q in earlier[-3:])
    prompt = load_prompt("rewrite", settings).render(history=lines, question=question)
    try:
        reply = "".join(
            _chunk_text(c) for c in stream_within(for_task(model, "rewrite", settings), prompt, budget.start())
        )
    except OverBudget:
        problem = f"no reply within BOT_LLM_TIMEOUT={settings.llm_timeout:g} s"
    except Exception as exc:  # the provider's own error types
        raise_unless_timeout(exc, settings)
        problem = "the request timed out"
    else:
        rewritten, problem = usable_rewrite(reply, question, earlier, settings)
        if not problem:
            return rewritten, "llm"
    return _carry_terms(question, earlier, settings), f"offline (the model's rewrite was not used: {problem})"


_LABEL = re.compile(r"^\s*(standalone question|question|rewritten question)\s*:\s*", re.I)


def usable_rewrite(reply: str, question: str, earlier: Sequence[str], settings: Settings) -> tuple[str, str]:
    """Return the model's rewritten question and "" , or "" and what makes it unusable."""
    if find_loop(reply) is not None:
        return "", "it repeats itself"
    line = next((x.strip() for x in reply.splitlines() if x.strip()), "")
    line = _LABEL.sub("", line).strip().strip("\"'“”*`").strip()
    if not line:
        return "", "it is empty"
    if REFUSAL.rstrip(".").lower() in line.lower():
        return "", "the model declined"
    if "<source" in line or CITATION.search(line):
        return "", "it echoes the prompt"
    if len(line) > max(300, 3 * len(question)):
        return "", "it is too long to be the question"
    try:
        line = check_query(line, settings, what="question")
    except InputError as exc:
        return "", f"it is not a question ({exc.problem})"
    if not set(tokenize(line)) & set(tokenize(" ".join([question, *earlier[-3:]]))):
        return "", "it shares no word with the conversation"
    return line, ""


def _carry_terms(question: str, earlier: Sequence[str], settings: Settings) -> str:
    if not _is_follow_up(question):
        return question
    own = set(tokenize(question))
    weights = term_weights(earlier[-1], settings)
    carried = [t for t, _ in sorted(weights.items(), key=lambda kv: -kv[1]) if t not in own][:6]
    return f"{question} {' '.join(carried)}".strip()


def _chunk_text(chunk: Any) -> str:
    content = getattr(chunk, "content", chunk)
    if isinstance(content, list):  # content blocks
        return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return str(content)


def _is_follow_up(question: str) -> bool:
    return bool(_FOLLOW_UP.search(question)) or len(tokenize(question)) <= 2
