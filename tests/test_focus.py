"""Answers that answer the question: the answer type and the question's years decide, not closeness alone."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.answer import ask
from bot.focus import Focus, decisive, focus_of, meets, question_kind, refers_back
from bot.phrases import REFUSAL
from bot.qualifiers import expand_shorthand
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
        ("by what margin did the assembly pass it", "number"),
        ("what was the vote in the ruling", "number"),
        ("from what age can children be jailed", "number"),
        ("which provinces will the prisons be in", "place"),
        ("which district judge ordered the return", "person"),
        ("which justices dissented", "person"),
        ("what decree created the emergency", "person"),
        ("what was the name of the security plan", "person"),
        ("what prison sentence did the minister receive", "number"),
        ("what fraction of the dead were under 40", "number"),
        ("which 3 gangs did the government negotiate with", "list"),
        ("which court has to work out how much notice the men are owed", "person"),
        ("how many deaths were down to disease", "number"),
        ("where did the country rank in the 2016 poll", "other"),
        ("what was the 2022 tourism revenue", "number"),
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


def test_a_rarer_name_in_the_question_must_be_in_the_source() -> None:
    idf = {"hondura": 4.5, "salvador": 0.5, "homicid": 2.0, "rare": 5.5}  # 5.5 = a word of one passage
    focus = focus_of("how many homicides were recorded in Honduras in 2023", idf, lambda w: w.rstrip("s"), {"hondura"})
    assert focus.names == ("honduras",) and focus.counted == "homicides"
    sentence = "El Salvador recorded 154 homicides in 2023."
    assert not meets(focus, sentence, question="q", source="A report on El Salvador.")
    # A country must be named in the sentence's passage: a source that names Honduras elsewhere is not enough.
    assert not meets(focus, sentence, question="q", source="Police in Honduras and El Salvador said ...")
    assert meets(focus, sentence, question="q", passage="Unlike Honduras, ...", source="Police in Honduras ...")
    luna = focus_of("what did Osiris Luna run", {"osiri": 5.0, "luna": 5.0}, str, frozenset({"osiris", "luna"}))
    ran = "Luna and his mother ran a scheme."
    assert luna.names == ("osiris luna",) and meets(luna, ran, question="q", source="Osiris Luna, head of prisons")
    common = focus_of("how many homicides did El Salvador record", idf, lambda w: w.rstrip("s"), {"salvador"})
    assert common.names == ()  # the topic's own name, in most passages, is no constraint


def test_who_the_answer_is_attributed_to_must_be_named_near_it() -> None:
    stem = lambda w: w.rstrip("s")  # noqa: E731
    amnesty = focus_of("how many deaths in custody did amnesty count", {}, stem)
    assert amnesty.actors == (("amnesty",),)
    sentence = "It counted 190 deaths in state custody."
    assert meets(amnesty, sentence, question="q", passage="Amnesty International released a report. " + sentence)
    # Another organisation's count is not Amnesty's, even from a source that mentions Amnesty somewhere else.
    other = "Cristosal released a report. " + sentence
    assert not meets(amnesty, sentence, question="q", passage=other, source="... as Amnesty said in 2023 ...")
    crisis = focus_of("how many gang members were jailed acc to crisis group", {}, stem)
    assert crisis.actors == (("crisis", "group"),)
    assert not meets(crisis, "About 57,400 gang members were arrested.", question="q", passage="Villatoro said.")
    assert meets(crisis, "About 53,000 gang members were jailed.", passage="International Crisis Group report")
    # A last word in the passage ("Perspectives") needs the whole actor in the source.
    persp = focus_of("how many logbooks were taken acc to guatemala perspectives", {}, stem)
    taken = "221 logbooks were taken, El Salvador Perspectives said."
    assert not meets(persp, taken, question="q", passage=taken, source="... El Salvador Perspectives ...")
    assert meets(persp, taken, question="q", passage=taken, source="... Guatemala Perspectives ...")
    # A rate "per 100,000" or "per capita" names no actor; a document word is not one either.
    assert focus_of("homicide rate per 100,000 in 2024", {}, stem).actors == ()
    essay = focus_of("what drove it according to the journal of democracy essay", {}, stem)
    assert essay.actors == (("journal", "democracy"),)


def test_dates_and_names_are_no_figures_and_how_long_wants_a_time() -> None:
    focus = focus_of("how many interviews did the report rest on", {}, str)
    assert not meets(focus, "Amnesty released a report on 5 December 2023.", question="how many interviews")
    assert not meets(focus, "The chamber ruled on the COVID-19 pandemic.", question="how many interviews")
    assert meets(focus, "The report rests on more than 80 interviews.", question="how many interviews")
    long = focus_of("how long was he held", {}, str)
    assert not meets(long, "He was deported on April 4.", question="how long was he held")
    assert meets(long, "He was held for two years.", question="how long was he held")
    assert meets(long, "A month-long emergency was declared.", question="how long was he held")


def test_what_a_share_is_of_and_what_deaths_came_from_must_be_met() -> None:
    share = focus_of("what % of salvadorans trust the police", {}, str)
    assert share.counted == "salvadorans"
    assert not meets(share, "Worldwide, 71% said they trusted the police.", question="what % of salvadorans")
    assert meets(share, "Of Salvadorans, 53% said they trusted the police.", question="what % of salvadorans")
    hunger = focus_of("how many detainees died of hunger", {}, str)
    assert not meets(hunger, "21 detainees died for lack of medical care.", question="q")


@pytest.mark.parametrize(
    ("question", "sentence", "answers"),
    [
        ("how many journalists have been jailed", "More than 83,000 people had been arrested.", False),
        ("how many journalists have been jailed", "Twelve journalists were jailed in 2023.", True),
        ("How many innocent detainees have been released?", "8,000 people who were innocent were released.", True),
        ("how many killings were there in 2024", "In 2024, 114 people were killed.", True),
        ("what is the incarceration rate", "The homicide rate was 1.9 per 100,000.", False),
        ("what is the incarceration rate", "It jails 1,086 per 100,000, the top incarceration rate.", True),
        # A part of the people is counted only by its own words, not by any word for people.
        ("how many women are held in the prison", "The prison held about 20,000 gang members.", False),
        ("how many women are held in the prison", "It held 14 women and 2 girls.", True),
        ("how many children were jailed", "About 1,600 minors were jailed by June.", True),
        # Girls and boys are parts of their own: a count of women or of children does not say how many girls.
        ("how many girls died in custody", "Among the deaths it counted 14 women.", False),
        ("how many girls died in custody", "Among the deaths it counted 2 children.", False),
        ("how many girls died in custody", "Among the deaths it counted 3 girls.", True),
        ("how many children died in custody", "Among the deaths it counted 3 girls.", False),
        # A word for people counts people in its own form: "prisons" is no count of prisoners.
        ("how many inmates will the new prisons hold", "He will build two maximum-security prisons.", False),
        ("how many inmates will the new prisons hold", "Each will hold 20,000 prisoners.", True),
        # A kind of person is met by its own word, not by one that shares its first letters.
        ("how many police officers were arrested", "Official figures say 75,000 people were captured.", False),
        ("how many police officers were arrested", "About 200 police officers were arrested.", True),
        ("how many under-18s were jailed", "1,600 people under the age of 18 were jailed.", True),
        ("how many men died in custody", "It counted the deaths of 190 individuals in custody.", False),
        ("how many detainees died in custody", "It counted the deaths of 190 individuals in custody.", True),
        # A sentence is a time: a date is no answer to it.
        ("what sentence did the official get", "He was sanctioned on 8 December 2021 by the Treasury.", False),
        ("what sentence did the official get", "He was sentenced to 12 years in prison.", True),
    ],
)
def test_a_figure_must_count_what_the_question_counts(question: str, sentence: str, answers: bool) -> None:
    assert meets(focus_of(question, {}, str), sentence, question=question) is answers


def test_a_country_must_be_named_near_the_answer_not_only_elsewhere_in_its_source() -> None:
    from bot.focus import is_country

    assert is_country("ecuador") and is_country("Costa Rica") and not is_country("osiris luna")
    q = "what's ecuador's score on gallup's law and order index"
    focus = focus_of(q, {"ecuador": 5.0}, str, frozenset({"ecuador"}))
    assert focus.names == ("ecuador",)
    source = "Ecuador scored 50. El Salvador scored 89 on the index."
    assert not meets(focus, "El Salvador got a score of 89 on Gallup's index.", question=q, source=source)
    assert meets(focus, "Ecuador got a score of 50 on Gallup's index.", question=q, source=source)
    # (A person is still met anywhere in the source: see test_a_rarer_name_in_the_question_must_be_in_the_source.)


def test_names_match_without_accents() -> None:
    focus = Focus("number", (), (), names=("juridico",))
    assert meets(focus, "Socorro Jurídico Humanitario counted 79 deaths.", question="q")


def test_decisive_sentences_answer_by_their_form() -> None:
    acronym = focus_of("what does CECOT stand for", {}, str)
    assert decisive(acronym, "the Centre for the Confinement of Terrorism (CECOT).", "", "what does CECOT stand for")
    assert not decisive(acronym, "CECOT is massive, like two Madison Square Gardens.", "", "what does CECOT stand for")
    place = focus_of("what town is cecot in?", {}, str)
    q = "what town is cecot in?"
    assert decisive(place, "This prison is in Tecoluca.", "Inside the new prison, CECOT.", q)
    assert not decisive(place, "This prison is in Tecoluca.", "Inside a new prison.", q)  # which prison?
    assert not decisive(place, "A peek inside the Centre of Terrorism (CECOT).", "", q)
    role = "who's the director of the cooperative"
    coop = "The cooperative lost crews."
    assert decisive(focus_of(role, {}, str), "Its director, Helena Sarmento, said so.", coop, role)
    assert decisive(focus_of(role, {}, str), "Helena Sarmento, its director, said so.", coop, role)
    assert not decisive(focus_of(role, {}, str), "Its director, Helena Sarmento, said so.", "The port grew.", role)
    owned = "who is iudop's director"
    assert decisive(focus_of(owned, {}, str), "Laura Andrade, IUDOP's director, said so.", "", owned)
    assert not decisive(focus_of(owned, {}, str), "The prison's director, Belarmino García, said so.", "", owned)
    assert not decisive(focus_of(role, {}, str), "The cooperative lost eleven crews.", "", role)
    what = "what is lpg datos"
    assert decisive(focus_of(what, {}, str), "a poll by LPG Datos, the research unit of a newspaper.", "", what)
    assert decisive(focus_of(what, {}, str), "LPG Datos is a polling unit.", "", what)
    assert not decisive(focus_of(what, {}, str), "LPG Datos found 91.9% approval.", "", what)


def test_names_are_words_the_sources_capitalise() -> None:
    from bot.retrieval import _names, stem

    names = _names(["Police in Honduras said so. Honduras agreed.", "The report says crime fell in Honduras."])
    assert stem("honduras") in names and stem("police") not in names and stem("report") not in names


def test_acronym_and_place_questions_answered_by_form(corpus_index: Settings) -> None:
    answer = ask("what does CECOT stand for", settings=corpus_index)
    first = answer.citations[0].quote if answer.citations else ""
    assert not answer.refused and "Confinement" in first and "(CECOT)" in first  # spelt out beside the acronym
    town = ask("what town is cecot in?", settings=corpus_index)
    assert not town.refused and any("Tecoluca" in c.quote for c in town.citations)


def test_a_dated_sentence_must_name_the_asked_year() -> None:
    focus = focus_of("what share felt safe in the 2016 poll", {}, str)
    assert focus.published == ("2016",)
    passage = "In the 2016 ranking it was second from the bottom. 88% felt safe in 2023."
    assert not meets(focus, "88% of people said in 2023 that they felt safe.", question="q", passage=passage)
    assert meets(focus, "88% of people said that they felt safe.", question="q", published="Gallup report 2016-09-01")
    event = focus_of("homicide rate 2024", {}, str)
    assert not meets(event, "The homicide rate fell to 2.4 in 2023.", question="q", passage="... in 2024 ...")
    assert meets(event, "The homicide rate fell to 1.9.", question="q", passage="Figures for 2024 are out.")


@pytest.mark.parametrize(
    ("question", "sentence", "answers"),
    [
        ("what share of the men had no record", "In its 2016 ranking the country was second.", False),
        ("what share of the men had no record", "Half of them had no record.", True),
        ("how much did the us pay to house them", "The deal had three parts: the US would pay a fee.", False),
        ("how much did the us pay to house them", "It would cost the US $6 million a year.", True),
        ("how many were killed in 2022", "Gangs were active in 2022.", False),
        ("how come approval is so high", "Approval is the highest since he took office.", False),
        ("how come approval is so high", "Approval was driven by the fall in crime.", True),
        ("how much did it cost to build the prison", "It would cost the US $6 million to house the men.", False),
        ("how much did it cost to build the prison", "Building the prison cost $90 million.", True),
        ("what % of the deaths were in the prison", "It recorded 261 deaths, plus the deaths of four babies.", False),
        ("what % of the deaths were in the prison", "One in five of the deaths were in the prison.", True),
        ("what age did they lower prosecution to", "Sentences ranged from two to 12 years.", False),
        ("what age did they lower prosecution to", "They lowered the age of prosecution to twelve.", True),
        ("what's the avg sentence for gang membership", "Some 66% believed the gangs were beaten.", False),
        ("whats the average sentence for gang membership", "Some 66% believed the gangs were beaten.", False),
        ("what's the avg sentence for gang membership", "Gang members are sentenced to 20 to 40 years.", True),
        ("what % of people detained are women", "83,000 people were detained; the majority were jailed.", False),
        ("what % of people detained are women", "Women make up 7 percent of people detained.", True),
        ("how many under-18s were detained", "Of 68,000 people detained, 1,600 were under the age of 18.", True),
        ("how many of the deportees died in the prison", "Venezuela said 252 prisoners were released.", False),
        ("how many army troops guard the prison", "It is guarded by 600 soldiers of the armed forces.", True),
        ("how many journalists guard the prison", "It is guarded by 600 soldiers of the armed forces.", False),
        ("how many complaints about abuses were made", "Hurtado said 7,900 complaints had been made.", True),
        ("what share had convictions in the us", "Just 3 percent had been convicted in the United States.", True),
    ],
)
def test_a_figure_or_reason_is_of_the_kind_asked(question: str, sentence: str, answers: bool) -> None:
    assert meets(focus_of(question, {}, str), sentence, question=question) is answers


def test_names_in_possessives_and_spelt_out_acronyms() -> None:
    idf = {"mexico": 4.6, "hrw": 4.6, "rare": 5.5}
    focus = focus_of("what did mexico's president say", idf, str, frozenset({"mexico"}))
    assert focus.names == ("mexico",)
    hrw = Focus("other", (), (), names=("hrw",))
    assert meets(hrw, "Abuses documented by Human Rights Watch include torture.", question="q")
    assert not meets(hrw, "Abuses documented by Amnesty include torture.", question="q")
    assert question_kind("what abuses do hrw and cristosal document? list them") == "list"


def test_what_happened_to_the_counted_must_be_said() -> None:
    focus = focus_of("how many prisoners have escaped from cecot", {}, str)
    assert focus.event == "escaped"
    assert not meets(focus, "252 prisoners had been released from CECOT.", question="q")
    assert meets(focus, "Two prisoners escaped from CECOT in 2024.", question="q")
    arrested = focus_of("how many people were arrested under the regime", {}, str)
    assert meets(arrested, "83,000 people had been detained under the regime.", question="q")  # the same event
    flown = focus_of("how many venezuelans were flown to el salvador", {}, str)
    assert meets(flown, "The US flew 252 Venezuelans to El Salvador.", question="q")


def test_a_word_no_source_uses_is_foreign() -> None:
    from bot.qualifiers import foreign_terms

    idf = {"releas": 2.0, "prison": 1.0, "approv": 3.0}
    assert foreign_terms(["escap", "approve", "ppl", "100k"], idf) == ["escap"]  # approve ~ approv; ppl: too short
    assert foreign_terms(["total", "happen"], idf) == []  # the question's frame, not its subject
    # Nor a contraction, a form of "get" or another word for a share: "how come X couldn't ...", "had gotten into".
    assert foreign_terms(["couldn", "gotten", "fraction", "proportion"], idf) == []


def test_a_sentence_dated_by_another_month_does_not_answer() -> None:
    from bot.focus import asked_months

    assert asked_months("how many tourists visited jan-aug 2023") == ("jan", "aug")
    assert asked_months("what may happen in 2025") == ()  # "may" the verb is no month
    focus = focus_of("What was the vote in the May 2025 ruling?", {}, str)
    assert not meets(focus, "On April 7, 2025, the court ruled 5-4.", question="q")
    assert meets(focus, "In May 2025 the court ruled seven to two.", question="q")
    assert meets(focus, "The court ruled seven to two.", question="q", published="SCOTUS rules 2025-05-16")
    # An undated sentence whose passage and source date never name the month does not answer for that month.
    assert not meets(focus, "The court ruled seven to two.", question="q", published="SCOTUS rules 2025-04-07")
    assert meets(focus, "The court ruled seven to two.", question="q", passage="On 16 May ...", published="Ruling 2025")


def test_shorthand_is_spelt_out() -> None:
    from bot.qualifiers import expand_shorthand

    assert expand_shorthand("how many ppl detained acc to ohchr") == "how many people detained according to ohchr?"
    assert expand_shorthand("rate per 100k, avg over 3 yrs?") == "rate per 100,000, average over 3 years?"
    assert expand_shorthand("BC and PRES stay.") == "BC and PRES stay."  # capitals are more likely names
    assert expand_shorthand("when did scotus step in") == "when did the Supreme Court step in?"


def test_a_question_in_shorthand_gets_the_same_answer(corpus_index: Settings) -> None:
    typed = ask("how many ppl can cecot hold", settings=corpus_index)
    assert typed.query == "how many people can cecot hold?"  # what retrieval and the focus rules read
    assert not typed.refused and "40,000" in typed.citations[0].quote


def test_what_no_source_speaks_of_is_refused_not_answered_with_a_neighbour(corpus_index: Settings) -> None:
    escaped = ask("how many inmates have escaped from cecot", settings=corpus_index)
    assert escaped.refused and escaped.text == REFUSAL and escaped.closest and escaped.citations == []
    held = ask("how many inmates can cecot hold", settings=corpus_index)
    assert not held.refused and "40,000" in held.citations[0].quote


def test_another_countrys_question_is_not_answered_with_el_salvadors_figure(corpus_index: Settings) -> None:
    for country in ("Guatemala", "Nicaragua"):
        answer = ask(f"how many homicides did {country} record in 2024?", settings=corpus_index)
        assert answer.refused, [c.quote for c in answer.citations]
    assert not ask("how many homicides did El Salvador record in 2024?", settings=corpus_index).refused


def test_what_someone_said_must_be_reported_as_their_words() -> None:
    from bot.focus import speaker_of, speaks

    q = "what did el salvador's attorney general say about cristosal's death count"
    assert speaker_of(q) == ("attorney", "general")  # the owner, El Salvador, is not the speaker
    assert speaker_of("how many people did the police arrest") == ()
    assert speaks("The attorney general said the count was false.", ("attorney", "general"))
    assert speaks("According to the attorney general, the count was false.", ("attorney", "general"))
    assert speaks("The Justice Department called it an administrative error.", ("doj",))  # an alias
    assert speaks("Bukele spoke at the UN. He said the country had changed.", ("bukele",))  # a pronoun carries it
    assert speaks("The figures were false, said Giles.", ("giles",))
    assert not speaks("The Justice Department told the Supreme Court it was an error.", ("supreme", "court"))
    assert speaks("The Supreme Court refused to set aside the order.", ("supreme", "court"))  # a court decides
    assert not speaks("Bukele spoke at the UN. Critics said the country had not changed.", ("bukele",))
    focus = focus_of(q, {}, str)
    assert not meets(focus, "Cristosal built its count from 3,642 complaints.", question=q)
    # In the speaker's own publication every sentence is theirs: "the office" in a UN release speaks for the UN.
    un = "what does the un say the detentions were based on"
    assert speaker_of(un) == ("un",)
    said = "The office said the detentions appeared to rest on crude profiling."
    release = "The UN human rights office briefed the press in Geneva."  # the passage names the UN
    assert not meets(focus_of(un, {}, str), said, question=un, passage=release, by="Amnesty International")
    assert meets(focus_of(un, {}, str), said, question=un, passage=release, by="UN Human Rights Office (OHCHR)")
    assert meets(focus, "The 265 deaths were natural, the attorney general told reporters.", question=q)


def test_a_probe_is_a_document_and_the_ag_its_author() -> None:
    from bot.qualifiers import actors, named_actor

    found = actors("which gangs did the govt negotiate with acc to the ag's probe", frozenset(), str)
    assert ("ag",) in found and not any("probe" in a for a in found)
    assert named_actor("an investigation by the Attorney General's Office found", ("ag",))


def test_the_kind_of_place_asked_for_is_no_name_to_meet() -> None:
    q = "what city did the un give its briefing in"
    focus = focus_of(q, {"city": 6.0}, str, frozenset({"city"}))  # "Mexico City" makes "city" a name of the index
    assert "city" not in " ".join(focus.names)
    assert meets(focus, "The UN office gave the briefing in Geneva on 28 March.", question=q)


def test_an_acronym_is_spelt_out_across_hyphens() -> None:
    from bot.qualifiers import spelt_out

    assert spelt_out("The Inter-American Commission on Human Rights released", "iachr")
    assert spelt_out("Human Rights Watch said", "hrw")
    assert not spelt_out("The Inter-American Commission released", "iachr")
    assert spelt_out("the Inter-American Development Bank approved loans", "idb")  # one letter for the compound


def test_a_month_is_no_place() -> None:
    q = "where did the raids take place"
    focus = focus_of(q, {}, str)
    assert focus.kind == "place"
    assert not meets(focus, "The raids took place in March and again in December.", question=q)
    assert meets(focus, "The raids took place in Soyapango in March.", question=q)


def test_the_us_typed_in_lower_case_is_a_country_to_meet() -> None:
    q = "what's the us homicide rate"
    focus = focus_of(q, {}, str)
    assert "us" in focus.names
    assert not meets(focus, "El Salvador's homicide rate was 1.9 per 100,000.", question=q)
    assert meets(focus, "The United States had a homicide rate of 5.7 per 100,000.", question=q)


def test_only_who_reports_or_counts_is_an_actor() -> None:
    from bot.qualifiers import actors, event_verb

    names = frozenset({"amnesty", "carolina"})
    assert actors("what did amnesty say about the prisons", names, str) == (("amnesty",),)
    assert actors("how many deaths did amnesty count", names, str) == (("amnesty",),)
    assert actors("why did killings go up in the region", names, str) == ()
    assert actors("what did carolina get after the hearing", names, str) == ()
    assert event_verb("how many of the deaths were down to disease") == ""
    assert event_verb("how many prisoners were released") == "released"


def test_a_role_is_met_by_the_name_the_source_gives_its_holder() -> None:
    focus = focus_of("how old is the gang problem acc to the security minister", {}, str)
    assert focus.actors == (("security", "minister"),)
    sentence = "Villatoro said a phenomenon about 30 years old could not change in eight months."
    source = "The outlet reported that Security Minister Gustavo Villatoro confirmed the drop. " + sentence
    assert meets(focus, sentence, question="how old", source=source)
    assert not meets(focus, sentence, question="how old", source="Gustavo Villatoro, a lawyer. " + sentence)


def test_a_name_with_a_particle_is_met_only_whole() -> None:
    focus = Focus("number", (), (), names=("san salvador",))
    assert not meets(focus, "El Salvador had a homicide rate of 2.4 in 2023.", question="q", source="x")
    assert meets(focus, "San Salvador had a homicide rate of 2.4 in 2023.", question="q", source="x")


def test_a_cause_may_be_tied_to_or_linked_to() -> None:
    focus = Focus("reason", (), ())
    assert meets(focus, "In Saint Lucia the rise was tied to turf wars.", question="why did killings rise")
    assert not meets(focus, "In Saint Lucia killings rose by a third.", question="why did killings rise")


def test_latin_american_is_not_the_us() -> None:
    focus = Focus("number", (), (), names=("us",))
    assert not meets(focus, "The median rate of the Latin American group doubled to 219.", question="q")
    assert not meets(focus, "The Inter-American Commission counted 219.", question="q")
    assert meets(focus, "The American rate was 531 per 100,000.", question="q")


def test_people_counted_are_not_their_verb() -> None:
    from bot.qualifiers import counted_noun

    assert counted_noun("how many people live in the country") in ("", "people")
    assert counted_noun("how many prisoners' cases were reviewed") == "cases"


def test_what_the_figure_measures_must_be_said() -> None:
    q = "what's the margin of error of the poll"
    focus = focus_of(q, {}, str)
    assert focus.kind == "number" and "margin" in focus.terms
    assert not meets(focus, "The poll found 91.9% approval.", question=q)
    assert meets(focus, "The margin of error was 2.75 points.", question=q)
    assert "rate" not in focus_of("what's the homicide rate in 2023", {}, str).terms


def test_a_word_of_a_known_root_is_not_unseen() -> None:
    from bot.qualifiers import unseen

    idf = {"negotiations": 1.0, "gangs": 1.0}
    assert unseen(["negotiate", "probe", "ag"], idf) == ["probe", "ag"]


def test_cases_of_a_thing_count_the_thing() -> None:
    from bot.qualifiers import counted_noun

    assert counted_noun("how many sexual violence cases did the men report") == "violence"


def test_a_sentence_that_refers_back_is_dated_by_the_one_before() -> None:
    focus = focus_of("what was the 2022 tourism revenue", {}, str)
    before = "The country received 2.2 million tourists in 2023."
    passage = "Growth was 35% on 2022."
    assert not meets(focus, "Those visitors brought $2,100 million.", before, "q", passage)
    assert meets(focus, "Those visitors brought $2,100 million.", "It received 2 million tourists in 2022.", "q")


def test_sent_is_the_same_event_as_deported() -> None:
    from bot.qualifiers import happened

    assert happened("23 members of the gang were sent to El Salvador.", "deported")
    assert not happened("23 members of the gang were released.", "deported")


def test_a_figure_placed_in_another_country_does_not_answer() -> None:
    q = "how many of the men had convictions in venezuela"
    focus = focus_of(q, {}, str)
    assert not meets(focus, "Just 3 percent of the Venezuelans had been convicted in the United States.", question=q)
    assert focus.actors == () and "convictions" in focus.terms
    assert not meets(focus, "Half of the men had been deported from Venezuela.", question=q)
    assert meets(focus, "Just 3 percent of the men had been convicted in Venezuela.", question=q)
    assert meets(focus, "Just 3 percent of the men had a conviction.", question=q)


def test_a_long_verb_is_read_by_more_of_its_letters() -> None:
    from bot.qualifiers import event_verb, happened

    assert event_verb("how many ppl did the iachr interview for its report") == "interview"
    assert not happened("The Inter-American Commission counted 92 dead.", "interview")
    assert happened("It rests on interviews with more than 90 people.", "interview")


def test_initials_of_the_sources_main_names_are_spelt_out(corpus_index: Settings) -> None:
    from bot.retrieval import _initialisms, spell_out_initials

    texts = ["Crime fell in El Salvador. El Salvador is small.", "The Attorney General spoke in El Salvador."]
    assert _initialisms(texts, passages=10) == {"es": "El Salvador"}  # written out 3 times; the rest once
    assert _initialisms(texts, passages=100) == {}  # too rare for a corpus of that size
    spelt = spell_out_initials("how many tourists came to es in 2023, and what was es's rate", corpus_index)
    assert spelt == "how many tourists came to El Salvador in 2023, and what was El Salvador's rate"
    assert spell_out_initials("what does the us say", corpus_index) == "what does the us say"  # a word it knows


def test_a_month_typed_short_is_not_an_unknown_word(corpus_index: Settings) -> None:
    answer = ask("how many intl tourists came to es jan-aug 2023", settings=corpus_index)
    assert not answer.refused and any("2.2 million" in c.quote for c in answer.citations)


def test_a_possessive_ends_a_name_and_a_continent_is_met_in_the_passage() -> None:
    idf = {"ecuad": 5.0, "bukel": 5.0, "europ": 5.0, "inmat": 1.0, "touri": 1.0}
    names = frozenset({"ecuad", "bukel", "europ"})
    focus = focus_of("how many inmates will ecuador's bukele style prisons hold", idf, lambda w: w[:5], names)
    assert set(focus.names) == {"ecuador", "bukele"}
    prison = "The prison can hold 40,000 inmates."
    assert not meets(focus, prison, question="q", source="Bukele ... Ecuador is building two prisons.")
    tourists = focus_of("how many tourists came from europe in 2023", idf, lambda w: w[:5], names)
    sentence = "The country received 2.2 million tourists in 2023."
    assert not meets(tourists, sentence, question="q", source="A table lists Europe, Asia and Africa.")
    assert meets(tourists, sentence, question="q", passage="Most came from Europe.")


def test_a_count_of_another_people_does_not_answer() -> None:
    q = "how many venezuelan political prisoners were freed in the swap"
    focus = focus_of(q, {}, str)
    assert not meets(focus, "The deal freed 10 Americans who had been held in Venezuela.", question=q)
    assert meets(focus, "The deal freed 10 Venezuelan political prisoners.", question=q)
    assert meets(focus, "The deal freed 10 prisoners.", question=q)  # no people named: not another people
    assert focus_of("how many plans were freed", {}, str).nationals == ()


def test_a_share_of_anyone_is_a_share_of_people() -> None:
    q = "what % of ppl polled were ok with every suspension"
    focus = focus_of(expand_shorthand(q), {}, str)
    assert meets(focus, "Just 8.4% accepted every suspension listed.", question=expand_shorthand(q))
    assert not meets(focus, "Just 8 of the judges accepted every suspension listed.", question=expand_shorthand(q))
    people = focus_of("what % of people say he keeps his promises", {}, str)
    assert meets(people, "64.2% of Salvadorans polled said he was keeping the promises.", question="what % of people")
    assert not meets(people, "64.2% of the Plans said he was keeping the promises.", question="how many")


def test_lawyers_who_contend_speak() -> None:
    q = expand_shorthand("what did doj lawyers argue against the judge")
    focus = focus_of(q, {}, str)
    assert meets(focus, "Justice Department lawyers contended that the judge had exceeded his powers.", question=q)
    assert not meets(focus, "Justice Department lawyers were in court when the judge spoke.", question=q)


def test_how_many_times_asks_for_that_event() -> None:
    from bot.qualifiers import event_verb

    q = "how many times had the emergency been renewed by dec 2022"
    assert event_verb(q) == "renewed"
    focus = focus_of(q, {}, str)
    assert meets(focus, "By December 2022 the Assembly had extended the emergency eight times.", question=q)
    assert not meets(focus, "By December 2022 more than 60,000 people had been arrested.", question=q)


@pytest.mark.parametrize(
    ("question", "meeting", "missing"),
    [
        ("how many adults worldwide felt safe in 2023", "Worldwide, 70% of adults said yes in 2023.", "88% said so."),
        ("who is the prison's deputy director", "Its deputy director, Ana Ruiz, spoke.", "Its director, Ana Ruiz."),
        ("approval among 18-29 yr olds", "Among those aged 18 to 29, 95% approved.", "Approval reached 91.9%."),
    ],
)
def test_a_narrowed_question_needs_the_narrowing(question: str, meeting: str, missing: str) -> None:
    focus = focus_of(question, {}, str)
    assert meets(replace(focus, kind="other"), meeting, question=question)
    assert not meets(replace(focus, kind="other"), missing, question=question)


def test_whose_words_are_read_by_the_head_of_the_speakers_name() -> None:
    from bot.focus import speaker_of

    q = "what did the presidential human rights commissioner claim abt torture"
    assert speaker_of(q)[-1] == "commissioner"
    assert speaker_of("what did the director of the prison say")[-1] == "director"
    focus = focus_of(expand_shorthand(q), {}, str)
    said = "The Presidential Commissioner for Human Rights is quoted as saying that there is no torture."
    assert meets(focus, said, question=expand_shorthand(q))
    assert not meets(focus, "Human rights groups say there is torture.", question=expand_shorthand(q))


def test_a_people_named_for_a_country_places_the_figure() -> None:
    q = "what % of ppl in chile felt safe walking at night in 2023"
    focus = focus_of(expand_shorthand(q), {}, str)
    q = expand_shorthand(q)
    assert not meets(focus, "In 2023, 88% of Salvadorans said they felt safe walking at night.", question=q)
    assert meets(focus, "In 2023 Chile's figure was 36%, as few felt safe walking at night.", question=q)
    # A sentence that places its figure itself is read by that place: "Venezuelans ... in the United States".
    v = "how many of the venezuelans had convictions in venezuela"
    assert not meets(focus_of(v, {}, str), "Half of the Venezuelans had convictions in the United States.", question=v)


def test_debaters_contractions_and_causes() -> None:
    from bot.figures import gives_figure

    assert expand_shorthand("how many didnt show up, why cant they") == "how many did not show up, why cannot they?"
    reason = focus_of("how come bukele is so popular", {}, str)
    assert meets(reason, "Security gains had contributed to his extremely high popularity.", question="how come")
    age = "whats the avg age of the people who died"
    assert not gives_figure("Cristosal recorded 261 adult deaths.", expand_shorthand(age))
    assert gives_figure("Their average age was 34 years old.", expand_shorthand(age))


def test_did_not_names_no_actor_and_who_wrote_is_answered_by_a_byline() -> None:
    from bot.qualifiers import actors

    assert actors("how many lawmakers abstained or did not show up for the vote", frozenset(), str) == ()
    q = "who wrote the el salvador info report on the second transfer"
    focus = focus_of(q, {}, str)
    assert decisive(focus, "It draws on a report by Eddie Galdamez for El Salvador INFO.", "", q)
    assert not decisive(focus, "The report by the agency was published in March.", "", q)


def test_initials_may_keep_a_small_word_and_arrests_count_people() -> None:
    from bot.qualifiers import counts, spelt_out

    assert spelt_out("an essay in the Journal of Democracy", "jod")
    assert spelt_out("the Inter-American Development Bank", "idb")
    assert not spelt_out("a journal of democracy", "jod")  # names are capitalised
    assert counts("Authorities made more than 8,500 arrests in the first two weeks.", "people")
    assert not counts("Authorities made more than 8,500 promises in the first two weeks.", "people")


def test_the_sentence_that_goes_on_from_the_answer_comes_with_it(corpus_index: Settings) -> None:
    answer = ask("what was the aim of noboa keeping the most dangerous inmates apart", settings=corpus_index)
    quotes = [c.quote for c in answer.citations]
    assert not answer.refused and all(c.verified for c in answer.citations)
    follows = [i for i, q in enumerate(quotes) if refers_back(q)]
    assert follows and all(i > 0 for i in follows)  # it refers back to a sentence shown before it


def test_an_opening_window_of_time_must_be_the_one_asked_about() -> None:
    q = expand_shorthand("how many ppl were arrested in the first 24 hrs of the emergency")
    focus = focus_of(q, {}, str)
    weeks = "Authorities made more than 8,500 arrests in the first two weeks."
    assert not meets(focus, weeks, question=q)
    assert meets(focus, "Police made 600 arrests in the first 24 hours.", question=q)
    month = "how many gang members were arrested in the first month of the emergency"
    eight = "In roughly eight months of the emergency about 60,000 gang members had been arrested."
    assert not meets(focus_of(month, {}, str), eight, question=month)
    year = "how many died in custody in the first year"
    dead = "90 people had died in custody since the emergency was first enacted."
    assert not meets(focus_of(year, {}, str), dead, question=year)
    # a report on the first year need not say so in every sentence: its source (or "one year after") may
    assert meets(
        focus_of(year, {}, str), dead, question=year, source="Detentions over the first year of the emergency."
    )
    assert meets(focus_of(year, {}, str), dead, question=year, passage="The briefing came one year after the decree.")


def test_who_replaced_someone_is_answered_only_by_a_succession() -> None:
    q = "who replaced melara as attorney general in 2021"
    focus = focus_of(q, {}, str)
    assert not meets(focus, "Then Attorney General Raúl Melara opened an inquiry in 2021.", question=q)
    assert meets(focus, "In 2021 Rodolfo Delgado replaced Melara as attorney general.", question=q)


def test_a_part_of_the_people_is_needed_in_any_kind_of_question() -> None:
    q = "do salvadoran women feel less safe walking at night than men acc to gallup"
    focus = focus_of(q, {}, str)
    assert not meets(
        focus, "According to Gallup, 88% of Salvadorans said they felt safe walking alone at night.", question=q
    )
    assert meets(focus, "Gallup found that 80% of Salvadoran women felt safe walking alone at night.", question=q)


def _answered_by(question: str, answer: str, not_by: str) -> None:
    """The sentence ``answer`` meets the question's focus and ``not_by``, the same without what answers, does not."""
    focus = focus_of(question, {}, str)
    assert meets(focus, answer, question=question)
    assert not meets(focus, not_by, question=question)


def test_a_kind_of_place_and_a_punishment_for_something_answer_where_and_why() -> None:
    _answered_by(
        "where was carolina held right after her arrest",
        "Police arrested her and then held her for a week at a police station alongside adult women.",
        "Police arrested her on 1 July and held her for a week.",
    )
    _answered_by(
        "how come some venezuelans got beaten after the red cross visit",
        "Some reported beatings that appeared to punish them for having talked to the Red Cross.",
        "Some reported beatings during the Red Cross visit.",
    )


def test_what_happened_and_how_big_a_ask_for_no_figure_and_an_actor_ends_at_a_question_word() -> None:
    from bot.qualifiers import actors

    assert question_kind("what happened to how long ppl can be held w/o charges") == "other"
    assert question_kind("how big a role did safety play in the boom") == "other"
    assert question_kind("what kind of countries top the prison rate rankings") == "other"
    assert question_kind("how big is cecot") == "number"
    assert actors("acc to amnesty whats happening now to the barrios", frozenset(), str) == (("amnesty",),)
    assert actors("according to the state department how many were held", frozenset(), str) == (
        ("state", "department"),
    )


def test_a_measure_of_deaths_is_met_by_any_word_that_measures_deaths_but_not_by_victims() -> None:
    from bot.qualifiers import measures

    assert measures("The homicide rate in the Caribbean rose by 18.9%.", "murder")
    assert measures("Murders fell in every subregion.", "homicide")
    assert not measures("It rests on interviews with victims and relatives in San Salvador.", "homicide")
    assert not measures("The prison population rate rose by 18.9%.", "murder")


def test_a_country_no_source_names_is_refused_and_a_sentence_opening_in_a_country_places_it(
    corpus_index: Settings,
) -> None:
    from bot.focus import _elsewhere

    answer = ask("whats oman's prison population rate per the world prison brief", settings=corpus_index)
    assert answer.refused and answer.text.startswith(REFUSAL)
    q = "what drove the murder rate up in suriname"
    assert not _elsewhere(q, "In Suriname the rise was tied to guns; in Saint Lucia, to turf wars.")
    assert _elsewhere(q, "In Saint Lucia the rise was tied to turf wars.")


def test_who_held_a_post_before_someone_is_answered_only_by_a_succession() -> None:
    q = "who was es's security minister before villatoro"
    focus = focus_of(q, {}, str)
    assert not meets(focus, "Security Minister Gustavo Villatoro said the gangs had been dismantled.", question=q)
    assert meets(focus, "Villatoro's predecessor as security minister was Rogelio Rivas.", question=q)
    # a time, not a person: "before 2019" asks no succession
    assert meets(
        focus_of("who was president before 2019", {}, str),
        "Salvador Sánchez Cerén was president until 2019.",
        question="who was president before 2019",
    )


def test_how_many_of_someones_people_counts_the_people() -> None:
    from bot.qualifiers import counted_noun

    assert counted_noun("how many of iudop's 1,270 respondents lived in rural areas") == "respondents"
    assert counted_noun("how many of the dead were children") == "dead"


def test_says_is_no_attribution_and_groups_places_and_so_answer_who_where_and_why() -> None:
    from bot.qualifiers import actors

    assert actors("how come noboa says ecuador's new jails will be the same as cecot", frozenset(), str) == ()
    _answered_by(
        "who was beating or sexually abusing the detained kids",
        "Some detained children were beaten or sexually abused by other detainees.",
        "Some detained children were beaten or abused.",
    )
    where = "which regions have the fewest ppl feeling safe at night"
    regions = "Latin America and the Caribbean, with sub-Saharan Africa, were still the regions where few feel safe."
    assert meets(focus_of(where, {}, str), regions, question=where)
    _answered_by(
        "why cant the table show every country on one date",
        "The national figures are reported for different periods, so the table cannot show any single date.",
        "The table cannot show any single date.",
    )
