"""What counts as a figure for a question (bot.figures): days, names with numbers, shares, money, times."""

from __future__ import annotations

from bot.figures import days_named, gives_figure, other_day


def test_days_of_the_month_are_read_in_both_orders_and_in_ranges() -> None:
    assert days_named("On 26 March 2022, the day before") == {(26, "mar")}
    assert days_named("between March 24 and 27, 2022") == {(24, "mar"), (27, "mar")}
    assert days_named("the events of 1 and 2 May 2021") == {(1, "may"), (2, "may")}
    assert days_named("in May 2025 the court ruled") == set()  # a month and a year name no day


def test_a_figure_dated_by_other_days_of_the_asked_month_is_not_that_days() -> None:
    asked = {(26, "mar")}
    assert other_day(asked, "92 people were killed between March 24 and 27, 2022.")
    assert not other_day(asked, "62 people died on Saturday 26 March 2022.")
    assert not other_day(asked, "In March 2022, gangs killed 62 people in a matter of hours.")  # no day: may answer
    assert not other_day(asked, "On 3 December 2022 a cordon began.")  # another month says nothing of March


def test_what_is_no_figure_and_what_a_share_money_or_time_question_wants() -> None:
    q = "how many interviews did it rest on"
    assert not gives_figure("It was released on 5 December 2023.", q)
    assert not gives_figure("MS-13 and the COVID-19 rules were discussed.", q)
    assert gives_figure("It rests on more than 80 interviews.", q)
    assert not gives_figure("Most of them said so.", "what share of them said so")
    assert gives_figure("Half of them said so.", "what share of them said so")
    assert not gives_figure("It took 300 prisoners.", "how much did the us pay")
    assert gives_figure("It cost $6 million.", "how much did the us pay")
    assert not gives_figure("He was sent there on 15 March.", "how long was he held")
    assert gives_figure("He was held for two years.", "how long was he held")


def test_a_span_of_time_counts_nothing_unless_time_is_asked() -> None:
    assert not gives_figure("It assessed the first six months of the emergency.", "how many members were on the run")
    assert gives_figure("It jailed 53,000 people in six months.", "how many people were jailed")
    assert gives_figure("It lasted two years.", "how many years did it last")


def test_a_rate_by_another_unit_of_time_or_a_sum_that_is_no_money_is_no_answer() -> None:
    per_day = "how much does it cost to keep one inmate per day"
    assert not gives_figure("The prison system costs $200 million a year.", per_day)
    assert gives_figure("Each inmate costs $4 a day to keep.", per_day)
    assert gives_figure("Keeping an inmate costs $4.", per_day)
    money = "how much extortion money has been seized"
    assert not gives_figure("About 60,000 gang members had been arrested.", money)
    assert gives_figure("Police seized $1.2 million in extortion payments.", money)


def test_a_vote_is_a_tally_not_a_date() -> None:
    q = "What was the vote in the court's April 7, 2025 ruling?"
    assert not gives_figure("On Monday, April 7, 2025, the court ruled in the case.", q)
    assert gives_figure("On April 7, the court ruled 5-4 to lift the block.", q)
    assert gives_figure("The report was adopted by four votes to three.", "by what vote was the report adopted")
    assert gives_figure("He claimed more than 85% of the vote.", "what share of the vote did he claim")
