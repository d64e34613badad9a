"""TIMEX3 extraction: spans as TimeML marks them, values resolved against a fixed publication date."""

from __future__ import annotations

from datetime import date

import pytest
import spacy
from spacy.tokens import Doc

from pipeline.dates import extract_dates
from pipeline.dates.calendar_math import holiday_date, interval
from pipeline.dates.extract import GRANULARITY_RANK
from pipeline.dates.lexicon import ANCHOR_WORDS, RULES, UNITS

PUBLISHED = date(2025, 11, 20)  # a Thursday, ISO week 47


def dates_of(parse_text, text: str, published: date | None = PUBLISHED):
    doc, article = parse_text(text, published)
    return extract_dates(doc, article_id=article.article_id, text=article.text, published=article.published)


def find(rows, text: str):
    hits = [r for r in rows if r.text == text]
    assert hits, f"{text!r} not among {[r.text for r in rows]}"
    return hits[0]


@pytest.mark.parametrize(
    "text, span",
    [
        ("Zelensky reported work on new talks in an address on November 16.", "November 16"),
        ("The envoy met Umerov in Miami on Tuesday to go over the plan.", "Tuesday"),
        ("Shares of the company have risen since 2019.", "2019"),
        ("The ceasefire was agreed during the weekend.", "the weekend"),
    ],
)
def test_dates_span_has_no_leading_preposition(parse_text, text, span):
    assert span in [r.text for r in dates_of(parse_text, text)]


@pytest.mark.parametrize(
    "text, span, value, granularity",
    [
        ("The plan was sent to Kyiv on November 16, 2025.", "November 16, 2025", "2025-11-16", "day"),
        ("Barra was named chief executive on 10 December 2013.", "10 December 2013", "2013-12-10", "day"),
        ("The iPhone went on sale in June 2007.", "June 2007", "2007-06", "month"),
        ("GM posted its first annual loss since 1992.", "1992", "1992", "year"),
        ("Sales fell to their lowest level since the 1980s.", "the 1980s", "198", "decade"),
        ("Hate groups grew through the nineties, the report says.", "the nineties", "199", "decade"),
        ("Reporters still recall the floods of nineteen ninety-eight.", "nineteen ninety-eight", "1998", "year"),
        ("Revenue rose 5% in the first quarter of 2009.", "the first quarter of 2009", "2009-Q1", "quarter"),
        ("The report was filed on 2025-11-18 in Brussels.", "2025-11-18", "2025-11-18", "day"),
    ],
)
def test_dates_absolute_value(parse_text, text, span, value, granularity):
    row = find(dates_of(parse_text, text), span)
    assert (row.type, row.value, row.granularity, row.anchored) == ("DATE", value, granularity, False)


@pytest.mark.parametrize(
    "text, span, value, granularity",
    [
        ("The plan was conveyed to Kyiv this week by the US envoy.", "this week", "2025-W47", "week"),
        ("Russia launched the offensive last month.", "last month", "2025-10", "month"),
        ("The economy grew last year despite the war.", "last year", "2024", "year"),
        ("Talks will resume next year, officials said.", "next year", "2026", "year"),
        ("The minister resigned yesterday after the scandal.", "yesterday", "2025-11-19", "day"),
        ("Markets in Asia fell sharply today.", "today", "2025-11-20", "day"),
        ("The company was founded two years ago in Kyiv.", "two years ago", "2023", "year"),
        ("Profits rose in the third quarter of this year.", "the third quarter of this year", "2025-Q3", "quarter"),
        (
            "Dealers whose franchises lapse after October of next year will get a letter.",
            "October of next year",
            "2026-10",
            "month",
        ),
    ],
)
def test_dates_relative_value_resolved_against_publication_date(parse_text, text, span, value, granularity):
    row = find(dates_of(parse_text, text), span)
    assert (row.value, row.granularity, row.anchored) == (value, granularity, True)


@pytest.mark.parametrize(
    "text, span, value, mod",
    [
        ("Fighting intensified in late October around Pokrovsk.", "late October", "2025-10", "END"),
        ("Earlier this week, Witkoff discussed the plan with Umerov.", "Earlier this week", "2025-W47", "START"),
        ("The factory will close at the end of this year.", "the end of this year", "2025", "END"),
        ("The merger is expected to close in mid-2026.", "mid-2026", "2026", "MID"),
        ("The first deliveries happened in early 2009.", "early 2009", "2009", "START"),
    ],
)
def test_dates_mod_for_early_mid_late(parse_text, text, span, value, mod):
    row = find(dates_of(parse_text, text), span)
    assert (row.value, row.mod) == (value, mod)


@pytest.mark.parametrize(
    "text, span, value",
    [
        ("The envoy met Umerov in Miami on Tuesday.", "Tuesday", "2025-11-18"),
        ("Putin spoke to reporters on Friday about the plan.", "Friday", "2025-11-14"),
        ("The stock exchange reopened on Thursday.", "Thursday", "2025-11-20"),
        ("The delegation will travel to Istanbul on Monday.", "Monday", "2025-11-24"),
        ("Zelensky is scheduled to meet Witkoff on Saturday.", "Saturday", "2025-11-22"),
        ("Trading in the shares is to resume on Tuesday.", "Tuesday", "2025-11-25"),
        ("Trading in the shares resumed on Tuesday.", "Tuesday", "2025-11-18"),
        ("The offer had been due to expire on Tuesday.", "Tuesday", "2025-11-18"),
        ("The offer is due to expire on Tuesday.", "Tuesday", "2025-11-25"),
        ("Under the new terms, announced Friday, holders would receive more cash.", "Friday", "2025-11-14"),
        ("The minister meets his Polish counterpart on Monday.", "Monday", "2025-11-24"),
        ("The minister says his Polish counterpart left on Monday.", "Monday", "2025-11-17"),
    ],
)
def test_dates_weekday_past_in_past_tense_future_when_clause_is_future(parse_text, text, span, value):
    assert find(dates_of(parse_text, text), span).value == value


@pytest.mark.parametrize(
    "text, span, value",
    [
        ("The plan was conveyed to Kyiv this week by the US envoy.", "this week", None),
        ("Russia launched the offensive last month.", "last month", None),
        ("Fighting intensified in late October around Pokrovsk.", "late October", "XXXX-10"),
        ("The envoy met Umerov in Miami on Tuesday.", "Tuesday", "XXXX-WXX-2"),
        ("Zelensky reported work on new talks in an address on November 16.", "November 16", "XXXX-11-16"),
        ("The minister resigned yesterday after the scandal.", "yesterday", None),
    ],
)
def test_dates_without_publication_date_stay_unresolved(parse_text, text, span, value):
    row = find(dates_of(parse_text, text, published=None), span)
    assert (row.value, row.anchored) == (value, False)


@pytest.mark.parametrize(
    "text, span, type_, value",
    [
        ("The war has lasted almost four years.", "almost four years", "DURATION", "P4Y"),
        ("Negotiators talked for 12 hours without a break.", "12 hours", "DURATION", "PT12H"),
        ("The country signed a five-year deal with the IMF.", "five-year", "DURATION", "P5Y"),
        ("Growth has slowed over the past two decades.", "the past two decades", "DURATION", "P20Y"),
        ("The deal was delayed by two and a half years.", "two and a half years", "DURATION", "P2Y6M"),
        ("The talks lasted an hour and a half.", "an hour and a half", "DURATION", "PT1H30M"),
        ("He served 2 1/2 years in prison.", "2 1/2 years", "DURATION", "P2Y6M"),
        ("The total exposure lasted 173,000 seconds.", "173,000 seconds", "DURATION", "PT173000S"),
        ("Prices have risen steadily over the years.", "the years", "DURATION", "PXY"),
        ("Investors will sell more bonds in the weeks ahead.", "the weeks ahead", "DURATION", "PXW"),
        ("The rocket lifted off at 18:05 hours local time.", "18:05 hours local time", "TIME", "2025-11-20T18:05"),
        ("Apple holds an annual developers conference.", "annual", "SET", "P1Y"),
        ("The market is estimated to be worth $2.5 billion a year.", "a year", "SET", "P1Y"),
        ("Shares of Ford rose 4% for the week.", "the week", "DATE", "2025-W47"),
        ("Jupiter was hit by a comet 16 years ago.", "16 years ago", "DATE", "2009"),
        ("The company was founded in the 19th century.", "the 19th century", "DATE", "18"),
        ("The council meets every week in Brussels.", "every week", "SET", "P1W"),
        ("Prices are currently rising across Europe.", "currently", "DATE", "PRESENT_REF"),
        ("The minister recently visited Kyiv.", "recently", "DATE", "PAST_REF"),
        ("Prices may rise again in the future, analysts said.", "the future", "DATE", "FUTURE_REF"),
        ("The talks ended at 18:00 UTC on Monday.", "18:00 UTC on Monday", "TIME", "2025-11-17T18:00Z"),
        ("Stocks rallied this morning in Tokyo.", "this morning", "TIME", "2025-11-20TMO"),
    ],
)
def test_dates_type_and_value(parse_text, text, span, type_, value):
    row = find(dates_of(parse_text, text), span)
    assert (row.type, row.value) == (type_, value)


@pytest.mark.parametrize(
    "text, span, value",
    [
        (
            "In the third quarter, profit rose to $5 million from $4 million a year earlier.",
            "a year earlier",
            "2024-Q3",
        ),
        (
            "For the first nine months, profit rose to $9 million from $7 million a year earlier.",
            "a year earlier",
            "2024",
        ),
        (
            "In the third quarter, profit rose. For the nine months, sales fell from a year earlier.",
            "a year earlier",
            "2024",
        ),
        (
            "In the third quarter, profit rose. In the first nine months, sales fell from a year earlier.",
            "a year earlier",
            "2024",
        ),
    ],
)
def test_dates_earnings_comparison_takes_the_reported_period(parse_text, text, span, value):
    assert find(dates_of(parse_text, text), span).value == value


@pytest.mark.parametrize(
    "text, span, value",
    [
        (
            "In November 2018 the party nominated Bayes; Collins was nominated the following month.",
            "the following month",
            "2018-12",
        ),
        (
            "The talks collapsed on March 3, 2022. The next day, Russian troops shelled Kharkiv.",
            "The next day",
            "2022-03-04",
        ),
        ("Gammon withdrew in 2019, and the previous year he had run for mayor.", "the previous year", "2018"),
    ],
)
def test_dates_anaphoric_expressions_count_from_the_last_date(parse_text, text, span, value):
    row = find(dates_of(parse_text, text), span)
    assert (row.value, row.anchored) == (value, False)


@pytest.mark.parametrize(
    "text, span, value",
    [
        ("The 787 made its first test flight Tuesday in Everett at 18:00 UTC.", "18:00 UTC", "2025-11-18T18:00Z"),
        (
            "At a press conference at 16:15 UTC, November 3, the chief executive spoke.",
            "16:15 UTC",
            "2025-11-03T16:15Z",
        ),
        ("The index closed at 14:00 GMT.", "14:00 GMT", "2025-11-20T14:00Z"),
        ("Shares fell on Tuesday. Dealers sold heavily in the morning.", "the morning", "2025-11-18TMO"),
        ("Dealers sold heavily in the morning.", "the morning", "2025-11-20TMO"),
    ],
)
def test_dates_clock_time_takes_the_day_named_in_its_sentence(parse_text, text, span, value):
    assert find(dates_of(parse_text, text), span).value == value


@pytest.mark.parametrize(
    "text, span, value",
    [
        ("The launch was originally slated for December, officials said.", "December", "2025-12"),
        ("US stock markets have their best week since December.", "December", "2024-12"),
        ("The fireball was seen in October by two amateur astronomers.", "October", "2025-10"),
        ("The probe was launched in December, the agency said.", "December", "2024-12"),
        ("The index is near the record high set on December 6.", "December 6", "2024-12-06"),
        (
            "The paper said in an editorial on Saturday, November 1: the court erred.",
            "Saturday, November 1",
            "2025-11-01",
        ),
        ("The tender offer was extended to December 16.", "December 16", "2025-12-16"),
        ("The board said the December 1 deadline was firm.", "December 1", "2025-12-01"),
        ("The board said the talks ended on December 1.", "December 1", "2024-12-01"),
        ("The airline will double its flights to India by May.", "May", "2026-05"),
        ("The airline had doubled its flights to India by May.", "May", "2025-05"),
        ("The index is near the record high it will test on December 6.", "December 6", "2025-12-06"),
    ],
)
def test_dates_month_year_follows_tense(parse_text, text, span, value):
    assert find(dates_of(parse_text, text), span).value == value


@pytest.mark.parametrize(
    "text, not_a_date, date_span",
    [
        ("Stock markets worldwide continue to fall this week.", "fall", "this week"),
        ("May I ask what the plan is for 2026?", "May", "2026"),
        ("The Russell 2000 index of smaller companies fell on Monday.", "2000", "Monday"),
        ("The 51-year-old chief executive resigned in March.", "51-year", "March"),
        ("The resume of the 24-year old had claimed a degree from 2019.", "24-year", "2019"),
        ("The Long March 3 rocket lifted off from Xichang on Tuesday.", "March 3", "Tuesday"),
        ("About a quarter of the workforce will be laid off next year.", "a quarter", "next year"),
        ("The planetarium will close this week for repairs.", "close this week", "this week"),
        ("The commission's scope was criticised, USA Today noted on Friday.", "Today", "Friday"),
        ("He dressed as Marty McFly from Back to the Future in 2015.", "the Future", "2015"),
        ("The UN passed Resolution 1718 against the regime in October 2006.", "1718", "October 2006"),
        ("Comet C/2007 N3 was first seen in July.", "2007", "July"),
        ("The asteroid 2008 QH24 passed the Earth on Sunday.", "2008", "Sunday"),
        ("There were 1600 applicants for the job last year.", "1600", "last year"),
        ("Officials said 2000 people had fled by Wednesday.", "2000", "Wednesday"),
        ("The Americans could leave as soon as the threats end, he said yesterday.", "soon", "yesterday"),
        ("The crater formed 50 million years ago, scientists said on Monday.", "years ago", "Monday"),
        ("The deal matters to the future of both nations, the envoy said on Monday.", "future", "Monday"),
        ("The future looks bleak, the minister said on Monday.", "uture", "Monday"),
        ("The bank raised its quarterly dividend to 30 cents on Tuesday.", "quarterly", "Tuesday"),
        ("The airline will start daily flights to Lima in March.", "daily", "March"),
    ],
)
def test_dates_words_that_are_not_dates(parse_text, text, not_a_date, date_span):
    rows = dates_of(parse_text, text)
    assert date_span in [r.text for r in rows]
    assert not any(not_a_date in r.text for r in rows if r.text != date_span)


@pytest.mark.parametrize(
    "value, start, end",
    [
        ("2025-11-16", date(2025, 11, 16), date(2025, 11, 16)),
        ("2025-10", date(2025, 10, 1), date(2025, 10, 31)),
        ("2025-W47", date(2025, 11, 17), date(2025, 11, 23)),
        ("2025-Q3", date(2025, 7, 1), date(2025, 9, 30)),
        ("2024", date(2024, 1, 1), date(2024, 12, 31)),
        ("198", date(1980, 1, 1), date(1989, 12, 31)),
        ("P2Y", None, None),
        ("XXXX-10", None, None),
    ],
)
def test_dates_interval_of_value(value, start, end):
    assert (interval(value) or (None, None)) == (start, end)


@pytest.mark.parametrize(
    "text",
    [
        "The plan was conveyed to Kyiv this week by the US envoy, who met Umerov on Tuesday in Miami.",
    ],
)
def test_dates_offsets_slice_back_to_text(parse_text, text):
    rows = dates_of(parse_text, text)
    assert rows and all(text[r.start_char : r.end_char] == r.text for r in rows)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_dates_every_rule_has_a_known_anchor(rule):
    known = {c for classes in ANCHOR_WORDS.values() for c in classes} | {"digit"}
    assert rule.anchor in known


@pytest.mark.parametrize(
    "text, impossible, date_span",
    [
        ("The probe was launched 9999999 days ago, on Monday.", "9999999 days ago", "Monday"),
        ("The deal was signed on February 30, 2025 in Kyiv, not in March.", "February 30, 2025", "March"),
    ],
)
def test_dates_impossible_values_are_dropped_not_raised(parse_text, text, impossible, date_span):
    rows = [r.text for r in dates_of(parse_text, text)]
    assert date_span in rows and impossible not in rows


@pytest.mark.parametrize(
    "text, span, type_, value",
    [
        ("Growth has slowed over the past three years.", "the past three years", "DURATION", "P3Y"),
        ("The vote came late Tuesday, hours before the deadline.", "late Tuesday", "DATE", "2025-11-18"),
        ("The company was founded two weeks ago in Kyiv.", "two weeks ago", "DATE", "2025-11-06"),
        ("The quake struck on Sunday April 5, 2009, officials said.", "Sunday April 5, 2009", "DATE", "2009-04-05"),
        ("Revenue for the nine months rose 4%.", "the nine months", "DURATION", "P9M"),
        ("Oil prices peaked in the late 1970s.", "the late 1970s", "DATE", "197"),
        ("Sales rose 8% in fiscal 2024.", "fiscal 2024", "DATE", "2024"),
        ("Profit rose in the same period a year earlier.", "the same period a year earlier", "DATE", "2024"),
    ],
)
def test_dates_timeml_span_takes_the_whole_expression_without_preposition(parse_text, text, span, type_, value):
    row = find(dates_of(parse_text, text), span)
    assert (row.type, row.value) == (type_, value)


@pytest.mark.parametrize(
    "text, span, value",
    [
        ("The earthquake struck at 11.32 local time.", "11.32 local time", "2025-11-20T11:32"),
        ("He was woken at 3:30 in the morning on Monday.", "3:30 in the morning on Monday", "2025-11-17T03:30"),
        ("He was woken at 3:30 in the morning.", "3:30 in the morning", "2025-11-20T03:30"),
        ("The vote came late Tuesday night.", "late Tuesday night", "2025-11-18TNI"),
        ("The quake struck (02.32 GMT) on Sunday April 5, 2009.", "02.32 GMT", "2009-04-05T02:32Z"),
        ("Trading resumed at noon Thursday.", "noon Thursday", "2025-11-20T12:00"),
        ("The rally began at 6:40 p.m. (GMT +8) in Taipei.", "6:40 p.m. (GMT +8)", "2025-11-20T10:40Z"),
        ("The offer expires at 5 p.m. EST Nov. 28.", "5 p.m. EST Nov. 28", "2025-11-28T17:00"),
        ("The polls close at 9 o'clock tonight.", "9 o'clock tonight", "2025-11-20T21:00"),
        ("The talks ended at 14:30 on Tuesday.", "14:30 on Tuesday", "2025-11-18T14:30"),
    ],
)
def test_dates_time_of_day_with_zone_and_day(parse_text, text, span, value):
    row = find(dates_of(parse_text, text), span)
    assert (row.type, row.value) == ("TIME", value)


@pytest.mark.parametrize(
    "text, span, value",
    [
        ("The council meets every Monday in Brussels.", "every Monday", "XXXX-WXX-1"),
        ("The prize is awarded each year in Oslo.", "each year", "P1Y"),
        ("The ferry to the island sails twice a week.", "twice a week", "P1W"),
        ("The newspaper is published daily.", "daily", "P1D"),
        ("The fund reports its holdings quarterly.", "quarterly", "P3M"),
        ("The club meets on Tuesday nights.", "Tuesday nights", "XXXX-WXX-2TNI"),
        ("The festival is held each July in Edinburgh.", "each July", "XXXX-07"),
    ],
)
def test_dates_set_values(parse_text, text, span, value):
    row = find(dates_of(parse_text, text), span)
    assert (row.type, row.value) == ("SET", value)


@pytest.mark.parametrize(
    "text, span, value",
    [
        ("Parades were held across the country on Labor Day.", "Labor Day", "2025-09-01"),
        ("Most shops will close on Christmas.", "Christmas", "2025-12-25"),
        ("Fireworks are planned for New Year's Eve.", "New Year's Eve", "2025-12-31"),
        ("Churches were full at Easter.", "Easter", "2025-04-20"),
        ("Airports expect record traffic at Thanksgiving.", "Thanksgiving", "2025-11-27"),
        ("The ceasefire held over Christmas 2014.", "Christmas 2014", "2014-12-25"),
        ("Sales were weak over Christmas, the retailer said.", "Christmas", "2024-12-25"),
    ],
)
def test_dates_holidays_resolve_against_the_publication_year(parse_text, text, span, value):
    row = find(dates_of(parse_text, text), span)
    assert (row.type, row.value) == ("DATE", value)


@pytest.mark.parametrize(
    "text, span, value",
    [
        ("Most shops will close on Christmas.", "Christmas", "XXXX-12-25"),
        ("Parades were held across the country on Labor Day.", "Labor Day", None),
    ],
)
def test_dates_holidays_without_publication_date(parse_text, text, span, value):
    assert find(dates_of(parse_text, text, published=None), span).value == value


@pytest.mark.parametrize(
    "rule, year_, day",
    [
        ("E+0", 2024, date(2024, 3, 31)),
        ("E-2", 2019, date(2019, 4, 19)),
        ("05-1-L", 2025, date(2025, 5, 26)),
        ("11-4-4", 2024, date(2024, 11, 28)),
        ("12-25", 2030, date(2030, 12, 25)),
    ],
)
def test_dates_holiday_rules(rule, year_, day):
    assert holiday_date(rule, year_) == day


@pytest.mark.parametrize(
    "text, span, value",
    [
        ("The budget was cut in 2009 after the crash.", "2009", "2009"),
        ("The 2009 budget was cut after the crash.", "2009", "2009"),
        ("2009's budget was cut after the crash.", "2009", "2009"),
        ("The company's 2024 results beat estimates.", "2024", "2024"),
        ("Sales fell sharply in nineteen ninety-six.", "nineteen ninety-six", "1996"),
        ("Apple unveiled the phone at the Worldwide Developers Conference 2024.", "2024", "2024"),
    ],
)
def test_dates_year_with_calendar_reading(parse_text, text, span, value):
    assert find(dates_of(parse_text, text), span).value == value


@pytest.mark.parametrize(
    "text, span, value",
    [
        ("The talks began on March 3, 2022. Two days later the deal was signed.", "Two days later", "2022-03-05"),
        ("The plant opened in June 2010, and a year later it closed.", "a year later", "2011-06"),
        ("Two days later the deal was signed.", "Two days later", "2025-11-22"),
        ("Net income in the third quarter of 2024 fell from $5 million a year ago.", "a year ago", "2023-Q3"),
        (
            "Results for the third quarter of 2024 were weak. Sales in the year-ago quarter were higher.",
            "the year-ago quarter",
            "2023-Q3",
        ),
        ("Sales rose in March 2024 from the same period a year earlier.", "the same period a year earlier", "2023-03"),
    ],
)
def test_dates_reference_time_follows_the_narrative(parse_text, text, span, value):
    assert find(dates_of(parse_text, text), span).value == value


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1,2,3,4,5," * 300 + " The index rose in 2009.", 1),
        ("Prices rose on March 3, 2009 and fell on Tuesday. " * 200, 400),
        ("(" * 500 + "in 2009" + ")" * 500, 1),
    ],
)
def test_dates_hostile_shapes_give_the_expected_rows(parse_text, text, expected):
    rows = dates_of(parse_text, text)
    assert len(rows) == expected and all(text[r.start_char : r.end_char] == r.text for r in rows)


@pytest.mark.parametrize(
    "tagged, published, value",
    [
        ("The/DT plant/NN closed/VBD in/IN December/NNP ./.", date(2025, 11, 20), "2024-12"),
        ("The/DT plant/NN will/MD close/VB in/IN December/NNP ./.", date(2025, 11, 20), "2025-12"),
        ("The/DT plant/NN will/MD reopen/VB in/IN March/NNP ./.", date(2025, 11, 20), "2026-03"),
        ("The/DT council/NN convenes/VBZ in/IN January/NNP ./.", date(2025, 12, 10), "2026-01"),
        ("The/DT council/NN convenes/VBZ in/IN June/NNP ./.", date(2025, 12, 10), "2025-06"),
        ("Talks/NNS continue/VBP until/IN February/NNP ./.", date(2025, 11, 20), "2026-02"),
    ],
)
def test_dates_month_year_from_tense_on_hand_built_docs(tagged, published, value):
    """The rule under test, not the tagger: a Doc with the tags given."""
    words, tags = zip(*(pair.rsplit("/", 1) for pair in tagged.split()))
    starts = [True] + [False] * (len(words) - 1)
    doc = Doc(spacy.blank("en").vocab, words=list(words), tags=list(tags), sent_starts=starts)
    rows = extract_dates(doc, article_id="t1", text=doc.text, published=published)
    assert [(r.text, r.value) for r in rows] == [(words[-2], value)]


def test_dates_every_unit_has_a_granularity_rank():
    """A narrative anaphor of any unit ('seconds later') compares with its reference (KeyError before)."""
    assert {unit[1] for unit in UNITS.values()} <= set(GRANULARITY_RANK)
