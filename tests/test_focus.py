"""Answers that answer the question: the answer type and the question's years decide, not closeness alone."""

from __future__ import annotations

import pytest

from bot.answer import ask
from bot.focus import Focus, focus_of, meets, question_kind, refers_back
from bot.phrases import REFUSAL
from bot.settings import Settings


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("what town is cecot in?", "place"),
        ("where is the prison", "place"),
        ("how many inmates can cecot fit", "number"),
        ("homicide rate 2024 per 100k", "number"),
        ("what does CECOT stand for", "expansion"),
        ("how come bukele's approval is so high?", "reason"),
        ("why do critics doubt the figures", "reason"),
        ("what year was the law passed", "year"),
        ("when did the emergency begin", "year"),
        ("who signed the proclamation", "person"),
        ("what are the four mechanisms behind mass incarceration", "list"),
        ("tell me about the prison", "other"),
    ],
)
def test_question_kind(question: str, kind: str) -> None:
    assert question_kind(question) == kind


def test_a_sentence_must_give_the_kind_of_answer_and_meet_the_years() -> None:
    focus = focus_of("How many homicides were there in 2019?", {}, str)
    assert focus.kind == "number" and focus.years == ("2019",)
    assert not meets(focus, "El Salvador ended 2024 with a record low of 114 homicides.", question="q")
    assert meets(focus, "There were 2,398 homicides in 2019.", question="q")
    assert meets(focus, "Police counted 2,398 of them.", before="In 2019 the homicide count fell.", question="q")
    place = Focus("place", (), ())
    assert meets(place, "This prison is in Tecoluca.", question="what town is cecot in?")
    assert not meets(place, "the prison is very large and crowded.", question="what town is cecot in?")
    rare = Focus("number", (), ("escaped",))
    assert not meets(rare, "CECOT has room for about 40,000 inmates.", question="q")
    assert meets(rare, "Nobody has escaped; 40,000 inmates are held.", question="q")


def test_refers_back() -> None:
    assert refers_back("Such deaths had been included before.")
    assert refers_back("This figure comes from the ministry.")
    assert not refers_back("Amnesty counted 190 deaths in custody.")


def test_wrong_year_is_refused_with_closest_material(corpus_index: Settings) -> None:
    answer = ask("homicides in el salvador in 2019?", settings=corpus_index)
    assert answer.refused and answer.text == REFUSAL and answer.closest
    assert answer.citations == []


def test_a_sentence_that_refers_back_brings_its_antecedent(corpus_index: Settings) -> None:
    answer = ask("Had such deaths been included in the homicide data before?", settings=corpus_index)
    quotes = [c.quote for c in answer.citations]
    leaning = [q for q in quotes if refers_back(q)]
    assert not answer.refused and leaning
    # The sentence before each one that refers back is in the answer too.
    assert len(quotes) > len(leaning)
