"""The LLM path of ask(): one LCEL chain per model (prompt -> model -> parser), its reply checked or replaced.

The reply has a token limit and stop sequences, a reply that repeats itself is cut off, and the whole answer has a
wall-clock budget. A reply that loops, runs out of time, is empty, refuses what the sources answer, or has no
sentence supported by a passage it cites is never returned as an answer: the extractive answer is, with
``fallback`` and ``note`` saying why.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from bot.answer import Partial, _extractive, _metrics, _Prepared, _refusal, prepare
from bot.files import VersionedCache
from bot.grounding import ground
from bot.llm import Budget, OverBudget, find_loop, for_task, model_name, raise_unless_timeout, stream_within
from bot.phrases import REFUSAL
from bot.prompts import fence_source, load_prompt
from bot.settings import Settings
from bot.text import split_sentences
from bot.types import Answer, Passage

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.runnables import Runnable

_CHAINS: VersionedCache[tuple[Any, Runnable]] = VersionedCache(maxsize=16)
"""Chains by model and task settings; each entry holds its model, so no other model can take over its id."""


def get_chain(model: BaseChatModel, settings: Settings) -> Runnable:
    """Return the answer chain for this model and task settings, built once: prompt -> model -> parser.

    Its input is ``{"question": ..., "prepared": ...}`` (retrieval is done before, so that the passages are at hand
    for the checks and the fallback whatever the model does).
    """
    key = (settings.llm_max_tokens_answer, tuple(settings.llm_stop_answer), str(settings.prompts_dir), settings.llm)
    held, chain = _CHAINS.get((id(model), *key), 0, lambda: (model, _build_chain(model, settings)))
    assert held is model  # the entry keeps its model alive, so its id is not reused while it is cached
    return chain


def _build_chain(model: BaseChatModel, settings: Settings) -> Runnable:
    from langchain_core.messages import SystemMessage
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_core.runnables import RunnableLambda

    system = load_prompt("answer_system", settings).render()
    prompt = ChatPromptTemplate.from_messages([SystemMessage(content=system), ("human", "{user}")])
    user_template = load_prompt("answer", settings)

    def user_message(x: dict[str, Any]) -> dict[str, str]:
        passages: list[Passage] = x["prepared"].passages
        blocks = "\n\n".join(fence_source(n, p.title, p.publisher, p.date, p.text) for n, p in enumerate(passages, 1))
        return {"user": user_template.render(sources=blocks, question=x["question"])}

    return RunnableLambda(user_message) | prompt | for_task(model, "answer", settings) | StrOutputParser()


FALLBACK_DETAIL = {
    "timeout": "did not finish within BOT_LLM_TIMEOUT={timeout:g} s",
    "loop": "repeated itself, so it was cut off",
    "empty": "was empty",
    "model_refused": "said the sources do not answer this, though the retrieved passages do",
    "unsupported": "failed the checks: no sentence of it is supported by a passage it cites",
}
"""Why a model's answer is replaced by the extractive one (``Answer.fallback``), as said in ``Answer.note``."""


def _llm_answer(
    model: BaseChatModel,
    question: str,
    query: str,
    k: int,
    sources: list[str] | None,
    settings: Settings,
    began: float,
    budget: Budget | None = None,
) -> Iterator[Partial | Answer]:
    prepared = prepare(question, query, k, sources, settings)
    name = model_name(settings)
    if not prepared.check.answerable:
        yield _refusal(prepared, name, began)
        return
    chain = get_chain(model, settings)
    text, fallback = "", ""
    t0 = time.perf_counter()
    deadline = (budget or Budget(settings.llm_timeout)).start()
    stream = stream_within(chain, {"question": question, "prepared": prepared}, deadline)
    try:
        for chunk in stream:
            text += str(chunk)
            cut = find_loop(text)
            if cut is not None:
                text, fallback = text[:cut], "loop"
                break
            yield Partial(text, draft=True)
    except OverBudget:
        fallback = "timeout"
    except Exception as exc:  # the provider's own error types
        raise_unless_timeout(exc, settings)
        fallback = "timeout"
    finally:
        stream.close()
    extra: dict[str, float | int] = {"model_ms": round((time.perf_counter() - t0) * 1000, 2), "model_chars": len(text)}
    checked = None
    if not fallback:
        body = _without_refusal(text)
        if body is None:
            fallback = "model_refused"
        elif not body.strip():
            fallback = "empty"
        else:
            checked = ground(body, prepared.passages, settings)
            if not checked.sentences:  # citation markers and nothing else
                fallback = "empty"
            elif not any(s.supported for s in checked.sentences):
                fallback = "unsupported"
                extra["model_sentences"] = len(checked.sentences)
    if fallback or checked is None:
        yield _fallback(prepared, settings, began, name, fallback or "empty", extra)
        return
    unsupported = sum(not s.supported for s in checked.sentences)
    note = (
        f"{unsupported} of {len(checked.sentences)} sentences of the model's answer are not supported by the "
        "sources they cite; they are marked, with the reason, and carry no citation."
        if unsupported
        else ""
    )
    yield Answer(
        question=question,
        text=checked.text,
        citations=checked.citations,
        refused=False,
        model=name,
        metrics=_metrics(prepared, began, **checked.metrics, **extra),
        sentences=checked.sentences,
        flagged=checked.flagged,
        query=query,
        note=note,
    )


def _without_refusal(text: str) -> str | None:
    """Return the reply without the refusal sentence, or None when the refusal is all it says."""
    phrase = REFUSAL.rstrip(".").lower()
    if phrase not in text.lower():
        return text
    rest = " ".join(text[a:b] for a, b in split_sentences(text) if phrase not in text[a:b].lower())
    return rest if rest.strip() else None


def _fallback(
    prepared: _Prepared, settings: Settings, began: float, name: str, reason: str, extra: dict[str, float | int]
) -> Answer:
    """Return the extractive answer in place of a model's answer that failed, saying so."""
    answer: Answer | None = None
    for event in _extractive(prepared, settings, began):
        if isinstance(event, Answer):
            answer = event
    assert answer is not None  # _extractive always ends with an Answer
    detail = FALLBACK_DETAIL[reason].format(timeout=settings.llm_timeout)
    answer.fallback = reason
    answer.note = (
        f"The model's answer ({name}) {detail}. This is the extractive answer instead: verbatim sentences from the "
        "sources."
    )
    answer.metrics.update(extra)
    return answer
