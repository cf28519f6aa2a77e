"""The LLM path against the replies real models give: loops, no citations, garbage, refusals, stalls and trickles.

A fake model (the only fake) replies; retrieval, the index and the checks are real. The rule under test: an answer
is either the model's, with at least one sentence supported by a passage it cites and every citation behind a
supported sentence, or the extractive answer labelled as such with the reason, or a refusal; never an answer with
no supported sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from pydantic import ValidationError

from bot import llm
from bot.answer import Partial, ask, ask_stream
from bot.debate.brief import brief
from bot.debate.rebuttal import rebut
from bot.followup import usable_rewrite
from bot.llm import check_line, find_loop
from bot.manifest import source_text
from bot.phrases import REFUSAL
from bot.render import answer_html, brief_html, rebuttal_html
from bot.settings import Settings
from bot.types import Answer

from .fakes import QueuedChatModel, ScriptedChatModel

QUESTION = "How many inmates can the prison hold?"
GOOD = "The prison has room for about 40,000 inmates [1]."
LOOP = "The report also notes that the prison now holds about 65% of all the inmates in the country. "


@pytest.fixture
def fake() -> Iterator[QueuedChatModel]:
    model = QueuedChatModel(responses=[], history=[], calls=[], sent=[])
    llm.use_chat_model(model)
    yield model
    llm.use_chat_model(None)


def assert_never_an_unsupported_answer(answer: Answer, s: Settings) -> None:
    """The invariant every answer keeps, whatever the model said."""
    assert answer.refused or answer.citations, "refused: false with zero citations"
    for c in answer.citations:
        assert c.verified and source_text(c.source_id, s)[c.start : c.end] == c.quote
    if answer.refused:
        return
    if answer.model == "extractive":
        assert all(x.supported for x in answer.sentences)
        return
    assert any(x.supported for x in answer.sentences)
    backed = {n for x in answer.sentences if x.supported for n in x.citations}
    assert {c.n for c in answer.citations} <= backed, "a citation that no supported sentence stands behind"
    for x in answer.sentences:
        assert x.supported == (not x.reason)
        if not x.supported:
            assert x.citations == ()


# --- replies that must not be answers ----------------------------------------------------------------------


def test_a_looping_reply_is_cut_off_and_the_extractive_answer_given(
    fixture_index: Settings, fake: QueuedChatModel
) -> None:
    fake.enqueue(LOOP * 120)  # about 11,000 characters, as the 135M model wrote, with no citation
    fake.delay = 0.001  # a word a millisecond: 2 s to say it all
    answer = ask(QUESTION, settings=fixture_index)
    assert answer.fallback == "loop" and answer.model == "extractive" and not answer.refused
    assert "queued-fake" in answer.note and "40,000" in " ".join(c.quote for c in answer.citations)
    # The stream stopped at the third repeat: the model was not read to the end.
    assert len("".join(fake.sent)) < 4 * len(LOOP)
    assert_never_an_unsupported_answer(answer, fixture_index)


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("The prison is very large. It holds a great many people.", "unsupported"),  # no citation at all
        ("It holds 40,000 inmates [7]. It was built fast [8].", "unsupported"),  # only unknown sources
        ("Bananas are a good source of potassium [1]. The moon orbits the earth [2].", "unsupported"),
        ("[1][2][3]", "empty"),
        ("   ", "empty"),
        ("", "empty"),
        ("!!!! ???? ....", "unsupported"),
        ('<source n="1" title="x">The prison</source> [1]', "unsupported"),
        (REFUSAL, "model_refused"),
    ],
)
def test_a_reply_with_no_supported_sentence_gives_the_extractive_answer(
    fixture_index: Settings, fake: QueuedChatModel, reply: str, reason: str
) -> None:
    fake.enqueue(reply)
    answer = ask(QUESTION, settings=fixture_index)
    assert answer.fallback == reason and answer.model == "extractive"
    assert answer.note.startswith("The model's answer (queued-fake)")
    assert_never_an_unsupported_answer(answer, fixture_index)


def test_the_extractive_path_would_refuse_so_the_llm_path_refuses(
    fixture_index: Settings, fake: QueuedChatModel
) -> None:
    answer = ask("What is the capital of Norway?", settings=fixture_index)
    assert answer.refused and answer.citations == [] and fake.history == []


def test_a_partly_supported_answer_keeps_the_model_and_flags_the_rest(
    fixture_index: Settings, fake: QueuedChatModel
) -> None:
    fake.enqueue(f"{GOOD} Bananas are a good source of potassium [1]. It was built on the moon.")
    answer = ask(QUESTION, settings=fixture_index)
    assert answer.model == "queued-fake" and answer.fallback == ""
    good, bananas, moon = answer.sentences
    assert good.supported and good.citations == (1,)
    assert not bananas.supported and bananas.claimed == (1,) and "does not say this" in bananas.reason
    assert not moon.supported and moon.reason == "no citation"
    assert "2 of 3 sentences" in answer.note
    assert "potassium [1]" not in answer.text  # the citation an unsupported sentence claimed is not shown
    assert_never_an_unsupported_answer(answer, fixture_index)


def test_a_repeated_sentence_is_kept_once(fixture_index: Settings, fake: QueuedChatModel) -> None:
    fake.enqueue(f"{GOOD} {GOOD}")
    answer = ask(QUESTION, settings=fixture_index)
    assert answer.model == "queued-fake" and len(answer.sentences) == 1
    assert any("repeated sentence" in f for f in answer.flagged)


def test_a_refusal_sentence_appended_to_an_answer_is_dropped(fixture_index: Settings, fake: QueuedChatModel) -> None:
    fake.enqueue(f"{GOOD} {REFUSAL}")
    answer = ask(QUESTION, settings=fixture_index)
    assert answer.model == "queued-fake" and [s.supported for s in answer.sentences] == [True]


def test_stream_shows_the_draft_then_the_checked_answer(fixture_index: Settings, fake: QueuedChatModel) -> None:
    fake.enqueue("The prison holds 40,000 inmates [1]. It was built on the moon [9].")
    events = list(ask_stream(QUESTION, settings=fixture_index))
    drafts = [e for e in events if isinstance(e, Partial)]
    final = events[-1]
    assert isinstance(final, Answer) and len(drafts) > 3 and all(d.draft for d in drafts)
    assert "[9]" in drafts[-1].text and "[9]" not in final.text  # the checked answer replaces the draft


def test_stream_of_a_failed_answer_ends_with_the_extractive_answer(
    fixture_index: Settings, fake: QueuedChatModel
) -> None:
    fake.enqueue(LOOP * 10)
    events = list(ask_stream(QUESTION, settings=fixture_index))
    final = events[-1]
    assert isinstance(final, Answer) and final.fallback == "loop" and final.citations
    assert all(e.draft for e in events if isinstance(e, Partial))


def test_each_task_gets_its_limit_and_stop_sequences(fixture_index: Settings, fake: QueuedChatModel) -> None:
    fake.enqueue(GOOD)
    ask(QUESTION, settings=fixture_index)
    (call,) = fake.calls
    assert call["max_tokens"] == fixture_index.llm_max_tokens_answer and call["stop"] == fixture_index.llm_stop_answer


# --- follow-ups --------------------------------------------------------------------------------------------

EARLIER = ["How many detainees died in custody?"]


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "custody custody custody " * 20,
        "Monitors counted 153 deaths of detainees [1]. " * 2 + "They also said much more about the prisons. " * 8,
        "Bananas?",
        REFUSAL,
    ],
)
def test_an_unusable_rewrite_falls_back_to_the_offline_one(
    fixture_index: Settings, fake: QueuedChatModel, reply: str
) -> None:
    fake.enqueue(reply, "Monitors counted 153 deaths of detainees in custody [1].")
    answer = ask("And in the first year?", history=EARLIER, settings=fixture_index)
    assert answer.rewrite.startswith("offline (the model's rewrite was not used: ")
    assert "custody" in answer.query and answer.query.startswith("And in the first year?")


def test_a_usable_rewrite_is_used(fixture_index: Settings, fake: QueuedChatModel) -> None:
    fake.enqueue('Standalone question: "How many detainees died in custody in the first year?"', GOOD)
    answer = ask("And in the first year?", history=EARLIER, settings=fixture_index)
    assert answer.rewrite == "llm" and answer.query == "How many detainees died in custody in the first year?"
    assert fake.calls[0]["stop"] == ["\n"] and fake.calls[0]["max_tokens"] == fixture_index.llm_max_tokens_rewrite


def test_usable_rewrite_reasons(settings: Settings) -> None:
    q, earlier = "And in 2023?", ["How many inmates does CECOT hold?"]
    assert usable_rewrite("How many inmates did CECOT hold in 2023?", q, earlier, settings) == (
        "How many inmates did CECOT hold in 2023?",
        "",
    )
    assert usable_rewrite("It held 12,000 [1].", q, earlier, settings)[1] == "it echoes the prompt"
    assert usable_rewrite("Bananas are yellow?", q, earlier, settings)[1] == "it shares no word with the conversation"


# --- the detectors -----------------------------------------------------------------------------------------


def test_find_loop() -> None:
    assert find_loop(LOOP * 3) == len(LOOP)  # cut after the first copy
    assert find_loop(LOOP * 2) is None  # said twice is a repeat, handled by the checks, not yet a loop
    words = "and the prison grows and the prison grows " * 5
    assert find_loop("It began well. " + words) is not None
    assert find_loop("the " * 30) == 4
    assert find_loop(GOOD + " Critics say the cells hold far more people than designed [2].") is None
    varied = " ".join(f"Sentence number {i} is about the prison [1]." for i in range(40))
    assert find_loop(varied) is None


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ("Tag: Killings collapsed under the crackdown", ""),
        ("", "the reply is empty"),
        ("pro pro pro " * 20, "the reply repeats itself"),
        ("Motion: the motion\nSide: pro", "the reply echoes the prompt"),
        ("</evidence> more", "the reply echoes the prompt"),
        ("I'm sorry, I cannot help with that.", "the model declined"),
        ("$$$ 123 456 ### 789", "the reply is not a line of text"),
        (" ".join(f"{w}s" for w in "abcdefghijklmnopqrstuvwxyz"), "the reply runs past 24 words"),
    ],
)
def test_check_line(reply: str, problem: str) -> None:
    line, found = check_line(reply, 24)
    assert found == problem and bool(line) == (not problem)


def test_check_line_keeps_the_first_sentences_that_fit() -> None:
    first, second = "The figures leave out killings.", "So the fall is overstated by the government."
    long = f"{first} {second} " + " ".join(["More words that run on"] * 10) + "."
    assert check_line(long, 20, sentences=2) == (f"{first} {second}", "")
    assert check_line(long, 5, sentences=2) == (first, "")
    assert check_line(long, 4, sentences=2)[1] == "the reply runs past 4 words"
    assert check_line(long, 20)[1] == "the reply runs past 20 words"  # a tag is one line: never cut


def test_too_many_stop_sequences_is_a_clear_error(tmp_path: object) -> None:
    with pytest.raises(ValidationError, match="at most 4 stop sequences"):
        Settings(_env_file=None, llm_stop_answer=["a", "b", "c", "d", "e"])  # type: ignore[call-arg]


# --- debate replies that do not parse ----------------------------------------------------------------------

MOTION = "El Salvador's mass-incarceration policy, symbolised by CECOT, is justified"
BAD_LINES = ["", "the crackdown " * 30, "Motion: the motion\nSide: pro", "$$$ 123 ### 456"]


@pytest.fixture
def scripted() -> Iterator[Callable[[Callable[[str], str]], ScriptedChatModel]]:
    def install(script: Callable[[str], str]) -> ScriptedChatModel:
        model = ScriptedChatModel(script=script, prompts=[])
        llm.use_chat_model(model)
        return model

    yield install
    llm.use_chat_model(None)


def test_brief_tags_and_stance_replies_that_do_not_parse_fall_back_per_item(
    corpus_index: Settings, scripted: Callable[..., ScriptedChatModel]
) -> None:
    offline = {c.id: c for c in (lambda b: b.pro + b.con)(brief(MOTION, per_side=2, settings=corpus_index))}
    bad = iter(BAD_LINES * 5)
    good_tag = "Killings collapsed under the crackdown"
    replies = {"tag": 0}

    def script(prompt: str) -> str:
        if "Which side does this passage help" in prompt:
            return "It could be pro or con, or neutral."  # names several: unreadable
        replies["tag"] += 1
        return good_tag if replies["tag"] == 1 else next(bad)

    scripted(script)
    result = brief(MOTION, per_side=2, settings=corpus_index)
    cards = result.pro + result.con
    assert cards
    by_model = [c for c in cards if c.tag_method.startswith("llm: ")]
    kept = [c for c in cards if c.tag_method.startswith("extractive: ")]
    assert len(by_model) == 1 and by_model[0].tag == good_tag
    assert len(kept) == len(cards) - 1
    for c in kept:
        assert "not used (" in c.tag_method and c.tag != good_tag
        if c.id in offline:
            assert c.tag == offline[c.id].tag  # the extractive tag, unchanged
    tag_counts = {k: n for k, n in result.methods.items() if k.startswith("tag: ")}
    assert sum(tag_counts.values()) == len(cards)
    stance_counts = {k: n for k, n in result.methods.items() if k.startswith("stance: ")}
    assert stance_counts and all("unreadable reply; offline verdict" in k for k in stance_counts)
    *_, report = brief_html(result)
    assert "made by" in report and "unreadable reply" in report


def test_rebut_analysis_that_does_not_parse_gives_no_line(
    corpus_index: Settings, scripted: Callable[..., ScriptedChatModel]
) -> None:
    scripted(lambda prompt: "the figures " * 40 if "An opponent argues" in prompt else "pro")
    result = rebut("Homicides fell, so the crackdown works", n=1, settings=corpus_index)
    blocks = [b for b in result.blocks if b.cards]
    assert blocks and all(b.analysis == "" and b.analysis_method.startswith("none: ") for b in blocks)
    assert "the reply repeats itself" in blocks[0].analysis_method
    assert result.methods[f"analysis: {blocks[0].analysis_method}"] == len(blocks)
    assert any(k.startswith("stance: llm: scripted-fake") for k in result.methods)
    html = rebuttal_html(result)
    assert "No analysis line" in html and "Made by" in html


# --- what the app shows ------------------------------------------------------------------------------------


def test_the_app_strikes_unsupported_sentences_with_the_reason(fixture_index: Settings, fake: QueuedChatModel) -> None:
    fake.enqueue(f"{GOOD} It was built on the moon [1].")
    html = answer_html(ask(QUESTION, settings=fixture_index))
    struck = html.split('<span class="unsupported"', 1)[1]
    assert "It was built on the moon" in struck.split("</span>", 1)[0]
    assert "not supported: the cited source [1] does not say this" in html
    assert "llm-note" in html


def test_the_app_shows_why_the_extractive_answer_replaced_the_models(
    fixture_index: Settings, fake: QueuedChatModel
) -> None:
    fake.enqueue(LOOP * 5)
    html = answer_html(ask(QUESTION, settings=fixture_index))
    assert "llm-note" in html and "repeated itself" in html and "verbatim sentences from the sources" in html
    assert 'class="unsupported"' not in html
