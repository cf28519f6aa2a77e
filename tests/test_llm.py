"""The real `openai:` provider path against a fake OpenAI-compatible server; provider errors are clear."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bot import llm
from bot.__main__ import main
from bot.answer import ask
from bot.errors import LLMError
from bot.settings import Settings, get_settings

from .conftest import make_settings
from .fakes import FakeOpenAI


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI().running() as fake:
        yield fake


def openai_settings(base: Settings, fake: FakeOpenAI, **extra: Any) -> Settings:
    return make_settings(
        base.data_dir,
        base.corpus_dir,
        llm="openai:fake-model",
        llm_base_url=fake.url,
        llm_api_key="sk-test-secret",
        **{"llm_max_retries": 0, "llm_timeout": 5.0, **extra},
    )


def test_openai_provider_end_to_end(fixture_index: Settings, server: FakeOpenAI) -> None:
    s = openai_settings(fixture_index, server)
    server.queue.append("The new prison has room for about 40,000 inmates [1].")
    answer = ask("How many inmates can the prison hold?", settings=s)
    assert answer.model == "openai:fake-model"
    assert not answer.refused and answer.citations and "40,000" in answer.citations[0].quote
    request = server.requests[-1]
    assert request["path"] == "/v1/chat/completions" and request["body"]["model"] == "fake-model"
    assert request["auth"] == "Bearer sk-test-secret"
    messages = request["body"]["messages"]
    assert messages[0]["role"] == "system" and '<source n="1"' in messages[1]["content"]


@pytest.mark.parametrize(
    ("item", "message"),
    [(("status", 500), "failed"), (("status", 401), "rejected the API key"), (("status", 429), "rate-limiting")],
)
def test_http_errors_become_clear_llm_errors(
    fixture_index: Settings, server: FakeOpenAI, item: tuple[str, int], message: str
) -> None:
    server.queue.append(item)
    with pytest.raises(LLMError, match=message) as info:
        ask("How many inmates can the prison hold?", settings=openai_settings(fixture_index, server))
    assert "sk-test-secret" not in str(info.value)


def test_retries_with_backoff_then_succeeds(fixture_index: Settings, server: FakeOpenAI) -> None:
    server.queue.extend([("status", 500), "It holds about 40,000 inmates [1]."])
    answer = ask(
        "How many inmates can the prison hold?", settings=openai_settings(fixture_index, server, llm_max_retries=2)
    )
    assert not answer.refused and len(server.requests) == 2


def test_a_stalled_server_gives_the_extractive_answer_within_the_budget(
    fixture_index: Settings, server: FakeOpenAI
) -> None:
    s = openai_settings(fixture_index, server, llm_timeout=0.5)
    server.queue.append(("sleep", 2))
    began = time.perf_counter()
    answer = ask("How many inmates can the prison hold?", settings=s)
    assert time.perf_counter() - began < 1.5  # the index is warm (session fixture): the budget is the model's time
    assert answer.model == "extractive" and answer.fallback == "timeout" and answer.citations
    assert "BOT_LLM_TIMEOUT=0.5" in answer.note


def test_a_server_that_trickles_tokens_is_cut_at_the_budget(fixture_index: Settings, server: FakeOpenAI) -> None:
    s = openai_settings(fixture_index, server, llm_timeout=0.5)
    server.queue.append(("slow", "The prison has room for about 40,000 inmates [1]. " * 10, 0.05))
    began = time.perf_counter()
    answer = ask("How many inmates can the prison hold?", settings=s)
    assert time.perf_counter() - began < 1.5
    assert answer.fallback == "timeout" and answer.citations and not answer.refused


def test_each_task_sends_its_token_limit_and_stop_sequences(fixture_index: Settings, server: FakeOpenAI) -> None:
    s = openai_settings(fixture_index, server, llm_max_tokens_answer=123, llm_stop_answer=["\nQ:"])
    server.queue.extend(["How many inmates can the prison hold in total?", "It holds about 40,000 inmates [1]."])
    ask("And in total?", history=["How many inmates can the prison hold?"], settings=s)
    rewrite, answer = (r["body"] for r in server.requests[-2:])
    # Both names of the limit: OpenAI's newer one, and the one local OpenAI-compatible servers read.
    assert rewrite["max_tokens"] == rewrite["max_completion_tokens"] == s.llm_max_tokens_rewrite
    assert rewrite["stop"] == s.llm_stop_rewrite
    assert answer["max_tokens"] == answer["max_completion_tokens"] == 123 and answer["stop"] == ["\nQ:"]


def test_malformed_reply_is_an_error(fixture_index: Settings, server: FakeOpenAI) -> None:
    server.queue.append(("raw", "this is not json"))
    with pytest.raises(LLMError):
        ask("How many inmates can the prison hold?", settings=openai_settings(fixture_index, server))


def test_cli_exits_nonzero_with_the_message(
    fixture_index: Settings, server: FakeOpenAI, use_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    use_env(fixture_index, llm="openai:fake-model", llm_base_url=server.url, llm_max_retries="0")
    server.queue.append(("status", 500))
    assert main(["ask", "How many inmates can the prison hold?", "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "error: The LLM (openai:fake-model) failed" in captured.err


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("gpt-4o", "provider:model"),
        ("nosuch:model", "Unknown LLM provider"),
        ("openai:", "provider:model"),
    ],
)
def test_bad_llm_setting(spec: str, message: str, tmp_path: Any) -> None:
    with pytest.raises(LLMError, match=message):
        llm.make_chat_model(make_settings(tmp_path, llm=spec))


def test_missing_provider_package_names_the_fix(tmp_path: Any) -> None:
    import importlib.util

    if importlib.util.find_spec("langchain_ollama") is not None:
        pytest.skip("langchain-ollama is installed here, so the missing-package path cannot be shown")
    with pytest.raises(LLMError, match=r"pip install -e '\.\[ollama\]'"):
        llm.make_chat_model(make_settings(tmp_path, llm="ollama:llama3.1"))


def test_missing_key_names_the_fix(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(LLMError, match="BOT_LLM_API_KEY"):
        llm.make_chat_model(make_settings(tmp_path, llm="openai:gpt-4o-mini"))


def test_default_is_extractive() -> None:
    assert get_settings().llm == "extractive"
    assert llm.make_chat_model(get_settings()) is None


EVAL = """
questions:
- {id: q1, question: "How many inmates can the prison hold?", type: factual, gold_sources: [prison-capacity],
   answer: "40,000", split: dev}
- {id: q2, question: "How many detainees died in state custody in the first year?", type: factual,
   gold_sources: [rights-report], answer: "153", split: test}
- {id: q3, question: "What is the capital of Norway?", type: unanswerable, split: test}
"""


def test_eval_llm_counts_passes_fallbacks_and_latency(
    fixture_index: Settings, server: FakeOpenAI, tmp_path: Any, use_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "eval.yaml"
    path.write_text(EVAL, encoding="utf-8")
    # q1: a supported answer; q2: a loop (falls back); q3 is refused before the model is asked.
    server.queue.extend(["The prison has room for about 40,000 inmates [1].", "Monitors counted deaths. " * 9])
    use_env(fixture_index, llm="openai:fake-model", llm_base_url=server.url, llm_max_retries="0")
    assert main(["eval", "--llm", "--set", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == "openai:fake-model" and result["n_questions"] == 3
    assert result["model_calls"] == 2 and len(server.requests) == 2
    assert result["passed_checks"] == 0.5 and result["fallback_share"] == 0.5 and result["fallbacks"] == {"loop": 1}
    assert result["llm"]["answer_accuracy"] == 1.0 and result["llm"]["citation_precision"] == 1.0
    assert result["llm"]["refusal_recall"] == 1.0 and result["extractive"]["answer_accuracy"] == 1.0
    assert 0 < result["latency_ms"]["p50"] <= result["latency_ms"]["p95"]
    with pytest.raises(SystemExit) as exited:
        main(["eval", "--llm", "--set", str(path), "--limit", "0"])
    assert exited.value.code == 2 and "below 1" in capsys.readouterr().err


def test_eval_llm_needs_a_configured_model(fixture_index: Settings, use_env: Any, capsys: Any) -> None:
    use_env(fixture_index)
    assert main(["eval", "--llm"]) == 2
    assert "BOT_LLM is extractive" in capsys.readouterr().err
