"""Candidates from the rules and from spaCy's DATE/TIME entities, the longest non-overlapping ones, and the
narrative's reference time for anaphoric expressions; extract_dates is the stage's entry point."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache

import dateparser.date
from spacy.tokens import Doc

from pipeline.articles import without_header
from pipeline.dates.calendar_math import add_months, interval, shifted, shifted_day, value_at
from pipeline.dates.context import Context
from pipeline.dates.lexicon import ANCHOR_WORDS, LEADING, NUMBERS, RULES, UNITS, Timex, alternation
from pipeline.dates.normalise import NORMALISERS
from pipeline.rows import DateRow

CAPITALISED_CLASSES = {"month", "weekday", "holiday"}
DIGIT: set[str] = {"digit"}
NONE: set[str] = set()
WORD = re.compile(r"\w+")
WINDOW_BEFORE, WINDOW_AFTER = 45, 30  # chars of a match that can lie before / after its anchor word
WORD_REACH = 40  # a window ends at the end of a word, unless a run without spaces is longer (kept linear)


GRANULARITY_RANK = {
    "second": 0,
    "minute": 0,
    "hour": 0,
    "part_of_day": 0,
    "day": 1,
    "week": 2,
    "month": 3,
    "quarter": 4,
    "season": 4,
    "half": 5,
    "year": 6,
    "decade": 7,
    "century": 8,
}
LEADING_WORDS = re.compile(rf"^(?:(?:{alternation(LEADING)})\s+)+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Candidate:
    start: int
    end: int
    rule: int
    timex: Timex
    length: int = 0  # of the whole match, context included: the longest reading wins


def windows(text: str) -> dict[str, list[tuple[int, int]]]:
    """Per anchor class, the stretches of TEXT around its words: the only places its rules can match."""
    out: dict[str, list[tuple[int, int]]] = {"digit": []}
    for m in WORD.finditer(text):
        word = m.group()
        if word[0].isdigit():
            classes = DIGIT
        else:
            classes = ANCHOR_WORDS.get(word.lower(), NONE)
            if classes and not word[0].isupper():
                classes = classes - CAPITALISED_CLASSES
        for name in classes:
            add_window(out.setdefault(name, []), text, m.start(), m.end())
    return out


def add_window(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    start, end = max(0, start - WINDOW_BEFORE), min(len(text), end + WINDOW_AFTER)
    limit = min(len(text), end + WORD_REACH)
    while end < limit and not text[end].isspace():  # never cut a word: lookaheads see the window only
        end += 1
    if spans and start <= spans[-1][1]:
        spans[-1] = (spans[-1][0], end)
    else:
        spans.append((start, end))


def rule_candidates(doc: Doc, doc_text: str, dct: date | None) -> list[Candidate]:
    text, out = doc_text.replace("\n", "\x00"), []  # an expression never runs over a line break
    spans = windows(text)
    for index, rule in enumerate(RULES):
        for m in (m for s, e in spans.get(rule.anchor, ()) for m in rule.regex.finditer(text, s, e)):
            groups = {k: v for k, v in m.groupdict().items() if v is not None}
            if "year" in groups and not groups["year"].isdigit():
                groups["words"], groups["year"], groups["spelled"] = groups["year"], spelled_year(groups["year"]), "yes"
            start, end = m.span("t") if "t" in groups else m.span()
            if text[end - 1] == ")" and "(" not in text[start:end]:
                end -= 1  # "3:51 ET (20:51 UTC)"
            try:
                timex = NORMALISERS[rule.name](groups, Context(doc, text, dct, start, end))
            except (OverflowError, ValueError):  # "9999999 days ago": no calendar date, no row
                continue
            if timex is not None:
                out.append(Candidate(start, end, index, timex, m.end() - m.start()))
    return out


def spelled_year(words: str) -> str:
    """'nineteen ninety-six' -> '1996', 'two thousand and one' -> '2001'."""
    parts = re.split(r"[\s-]+", words.lower())
    if parts[:2] == ["two", "thousand"]:
        return str(2000 + sum(NUMBERS[p] for p in parts[2:] if p != "and"))
    return str(NUMBERS[parts[0]] * 100 + sum(NUMBERS[p] for p in parts[1:]))


def non_overlapping(cands: list[Candidate], text_length: int) -> list[Candidate]:
    """Longest candidates first (earlier rule on ties), each kept only if it overlaps none kept before."""
    taken, kept = bytearray(text_length), []
    for c in sorted(cands, key=lambda c: (-c.length, c.rule, c.start)):
        if not any(taken[c.start : c.end]):  # a match is a few words long: checking its characters is cheap
            taken[c.start : c.end] = b"\x01" * (c.end - c.start)
            kept.append(c)
    return sorted(kept, key=lambda c: c.start)


def entity_candidates(doc: Doc, doc_text: str, dct: date | None, taken: list[Candidate]) -> list[Candidate]:
    """spaCy DATE/TIME entities no rule found, kept when dateparser reads them as a date."""
    covered = bytearray(len(doc_text))
    for k in taken:
        covered[k.start : k.end] = b"\x01" * (k.end - k.start)
    out = []
    for ent in doc.ents:
        if ent.label_ not in ("DATE", "TIME"):
            continue
        start, end = trimmed_span(doc_text, ent.start_char, ent.end_char)
        if start >= end or any(covered[start:end]):
            continue
        timex = parsed_timex(doc_text[start:end], dct)
        if timex is not None:
            out.append(Candidate(start, end, len(RULES), timex))
    return out


def trimmed_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Span without a leading preposition ('on November 16' -> 'November 16') or trailing punctuation."""
    m = LEADING_WORDS.match(text, start, end)
    if m:
        start = m.end()
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return start, end


@lru_cache(maxsize=4096)
def parsed_timex(span_text: str, dct: date | None) -> Timex | None:
    """An absolute date dateparser reads from SPAN_TEXT (year required: relative spans stay with the rules)."""
    if not re.search(r"\b(1[6-9]|20)\d\d\b", span_text) or not re.search(r"[A-Za-z]{3}", span_text):
        return None  # a bare number is the year rule's call ("Russell 2000")
    data = date_parser().get_date_data(span_text)
    if data is None or data.date_obj is None:
        return None
    d, period = data.date_obj.date(), data.period
    value = {"year": d.strftime("%Y"), "month": d.strftime("%Y-%m")}.get(period, d.isoformat())
    return Timex("DATE", value, period if period in ("year", "month") else "day")


@lru_cache(maxsize=1)
def date_parser() -> dateparser.date.DateDataParser:
    # A fixed base far from any real date: a span that still needs it is not absolute and is rejected above.
    base = datetime(1900, 1, 1)
    return dateparser.date.DateDataParser(
        languages=["en"], settings={"RELATIVE_BASE": base, "REQUIRE_PARTS": ["year"], "STRICT_PARSING": False}
    )


def extract_dates(doc: Doc, *, article_id: str, text: str, published: date | None) -> list[DateRow]:
    """TIMEX3 rows for the temporal expressions of DOC; relative values resolved against PUBLISHED."""
    doc_text = without_header(text)  # same offsets as doc.text, which spaCy rebuilds on every access
    chosen = non_overlapping(rule_candidates(doc, doc_text, published), len(doc_text))
    chosen = sorted(chosen + entity_candidates(doc, doc_text, published, chosen), key=lambda c: c.start)
    sentence_starts = [sent.start_char for sent in doc.sents] if doc.has_annotation("SENT_START") else [0]
    chosen = resolve_anaphors(chosen, sentence_starts, published)
    return [date_row(article_id, text, c) for c in chosen]


PERIOD_MODES = ("ago", "quarter", "year")  # count from the report's period, the last quarter or half named


def resolve_anaphors(chosen: list[Candidate], sentence_starts: list[int], dct: date | None = None) -> list[Candidate]:
    """Expressions that count from the narrative's last date (Timex.anaphor), in one pass. Modes:
    'unit' ('the following month') and 'ref' ('two days later', 'a year earlier') count from the last date at
    least as fine as the unit, the value at the unit's or the date's granularity; 'same' from the last date;
    'ago' ('profit fell from a year ago'), 'quarter' ('the year-ago quarter') and 'year' ('the 1988 period')
    from the last quarter or half named, as earnings reports compare periods, or the year of 'the nine months'
    ('to_date': a report's months so far in the year); 'clock' takes the nearest day in its sentence (else the
    day the sentence before named). Comparisons ('a year ago', 'the same period last year') do not move the
    narrative."""
    out, ref, period = [], None, None
    ref_timex, ref_sentence = None, -1  # the last day named, for a time of day in the next sentence
    sentence_of = [bisect_right(sentence_starts, c.start) for c in chosen]
    for i, c in enumerate(chosen):
        t, anaphor = c.timex, c.timex.anaphor
        mode = anaphor[2] if anaphor else None
        if anaphor and mode == "clock":
            day = day_in_sentence(chosen, i, sentence_of) or (
                ref_timex if ref_timex and ref_sentence == sentence_of[i] - 1 else None
            )
            if day and day.value and t.value:
                c = replace(
                    c, timex=replace(t, value=day.value[:10] + t.value[t.value.index("T") :], anchored=day.anchored)
                )
        elif anaphor and mode in PERIOD_MODES and period:
            c = replace(c, timex=from_reference(t, anaphor, period))
        elif mode == "to_date":
            period = year_to_date(period[0] if period else dct)
        elif anaphor and mode not in PERIOD_MODES and ref and follows(anaphor, ref):
            c = replace(c, timex=from_reference(t, anaphor, ref))
        t = c.timex
        if (
            mode not in (*PERIOD_MODES, "same", "to_date")
            and t.type in ("DATE", "TIME")
            and t.granularity in GRANULARITY_RANK
            and (span := interval(t.value))
        ):
            ref = (span[0], t.granularity, t.value)
            if t.value and FULL_DATE.match(t.value) and not (t.type == "TIME" and t.anaphor):
                ref_timex, ref_sentence = t, sentence_of[i]
            if t.granularity in ("quarter", "half"):
                period = ref
        out.append(c)
    return out


def year_to_date(day: date | None) -> tuple | None:
    """DAY's year as the period 'the nine months' report on: compared 'with a year earlier', it is a year."""
    return (date(day.year, 1, 1), "year", str(day.year)) if day else None


def follows(anaphor: tuple[str, int, str], ref: tuple) -> bool:
    """Whether an ANAPHOR counts from REF (first day, granularity, value) rather than the DCT."""
    unit, _, mode = anaphor
    return mode == "same" or GRANULARITY_RANK[ref[1]] <= GRANULARITY_RANK[UNITS[unit][1]]


def from_reference(t: Timex, anaphor: tuple[str, int, str], ref: tuple) -> Timex:
    """T's value counted by ANAPHOR (unit, steps, mode) from REF (first day, granularity, value)."""
    unit, n, mode = anaphor
    if mode == "year":  # "the 1988 period": that year's quarter of the report
        return replace(t, value=f"{(t.value or 'XXXX')[:4]}{ref[2][4:]}", granularity=ref[1], anchored=False)
    if mode == "unit":
        value, gran = shifted(ref[0], unit, n)
        return replace(t, value=value, granularity=gran, anchored=False)
    gran = "day" if GRANULARITY_RANK[ref[1]] == 0 else ref[1]
    moved = add_months(ref[0], n * 3) if unit == "quarter" else shifted_day(ref[0], unit, n)
    at_ref = value_at(moved, gran, ref[2])
    return replace(t, value=at_ref, granularity=gran, anchored=False) if at_ref else t


FULL_DATE = re.compile(r"\d{4}-\d\d-\d\d")
NEIGHBOURS = 6  # candidates looked at on each side for the day of a clock time: bounded, so linear


def day_in_sentence(chosen: list[Candidate], i: int, sentence_of: list[int]) -> Timex | None:
    """The nearest DATE or TIME that names a day, in the same sentence as candidate I, if any."""
    best = None
    for j in range(max(0, i - NEIGHBOURS), min(len(chosen), i + NEIGHBOURS + 1)):
        t = chosen[j].timex
        if (
            j == i
            or sentence_of[j] != sentence_of[i]
            or not t.value
            or not FULL_DATE.match(t.value)
            or t.type == "TIME"
            and t.anaphor
        ):  # a clock time that named no day of its own
            continue
        gap = max(chosen[i].start, chosen[j].start) - min(chosen[i].end, chosen[j].end)
        if best is None or gap < best[0]:
            best = (gap, t)
    return best[1] if best else None


def date_row(article_id: str, text: str, c: Candidate) -> DateRow:
    t = c.timex
    span = interval(t.value) if t.type in ("DATE", "TIME") else None
    return DateRow(
        article_id,
        c.start,
        c.end,
        text[c.start : c.end],
        t.type,
        t.value,
        t.mod,
        t.granularity,
        span[0] if span else None,
        span[1] if span else None,
        t.anchored,
    )
