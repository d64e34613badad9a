"""Stage 3b: temporal expressions of one Doc as TIMEX3, resolved against the publication date.

Rule design after HeidelTime: word classes (models/dates/lexicon.json) expand into the regexes of
models/dates/rules.tsv; each rule names the normaliser below that turns its groups into a TIMEX3 value.
spaCy DATE/TIME entities that no rule covers are kept when dateparser reads them as an absolute date.
Relative values need the publication date (DCT); without one they stay null or XXXX-..., never today.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from calendar import monthrange
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import dateparser.date
from spacy.tokens import Doc

from pipeline.articles import DATE_HEADER
from pipeline.config import MODELS_DIR
from pipeline.rows import DateRow

MODELS = MODELS_DIR / "dates"
LEX = json.loads((MODELS / "lexicon.json").read_text(encoding="utf-8"))

MONTHS: dict[str, int] = LEX["month"]
WEEKDAYS: dict[str, int] = LEX["weekday"]
NUMBERS: dict[str, int] = LEX["number"]
UNITS: dict[str, list] = LEX["unit"]
MODS: dict[str, str] = LEX["mod"]
APPROX: dict[str, str] = LEX["approx"]
RELATIVE: dict[str, int] = LEX["relative"]
FUTURE_CUES = set(LEX["future_cue"])
FUTURE_NEEDS_TO = set(LEX["future_needs_to"])
PAST_CUES = set(LEX["past_cue"])
DEADLINE = set(LEX["deadline"])
PRESENT_CUES = set(LEX["present_cue"])
MONTH_CONTEXT = set(LEX["month_context"])
FALL_CONTEXT = re.compile(rf"\b(?:{'|'.join(LEX['fall_context'])})\s+(?:the\s+)?$", re.I)
# A capitalised word right before a number makes it part of a name ("Russell 2000", "Long March 3"), unless the
# word is one that starts a date phrase or a sentence ("In 2008", "Since May 5").
NAME_BEFORE = re.compile(rf"(?<![.!?]\s)\b(?!(?:{'|'.join(LEX['not_names'])})\b)[A-Z][\w&-]*[a-zA-Z]\w*\s+$")
POSSESSIVE = re.compile(r"(?:['’]s|\b(?:its|their|his|her|our|your|my))\s+$", re.IGNORECASE)
CATALOGUE_AFTER = re.compile(r"\s*[A-Z]{1,3}\d")
YEAR_PREPOSITIONS = set(LEX["year_context"])
NAME_AFTER = re.compile(r"[ \t]*(?:[A-Z][a-z]|[Ii]ndex\b)")
SIGNAL_AFTER = re.compile(r"\s+(?:as|after|before|than)\b", re.IGNORECASE)
FRACTION_OF = re.compile(r"\s+of\b", re.IGNORECASE)
MID_SENTENCE = re.compile(r"[\w,;]\s+$")
LEADING = sorted(LEX["leading_words"], key=len, reverse=True)
TENS = set(LEX["tens"])
SEASON_MONTHS = {"SP": (3, 5), "SU": (6, 8), "FA": (9, 11), "WI": (12, 2)}


def alternation(words) -> str:
    """Regex alternation of WORDS, longest first, spaces matching any run of whitespace."""
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))


def unit_alternation() -> str:
    forms = []
    for unit in UNITS:
        plural = "centuries" if unit == "century" else unit + "s"
        forms += [plural, unit]
    return alternation(forms)


ZONE = rf"(?-i:{alternation(z.upper() for z in LEX['timezone'] if z != 'local time')})|local\s+time"
UNITS_WORDS = "one|two|three|four|five|six|seven|eight|nine"
SPELLED_YEAR = (rf"(?:nineteen|twenty)[\s-]+(?:(?:{alternation(LEX['tens'])})(?:[\s-](?:{UNITS_WORDS}))?|ten|eleven|twelve"
                rf"|(?:thir|four|fif|six|seven|eigh|nine)teen)|two\s+thousand(?:\s+(?:and\s+)?(?:{UNITS_WORDS}))?")
SIMPLE_NUMBER = alternation([w for w in NUMBERS if w not in TENS] + list(LEX["vague_number"]))
NUMBER = (rf"\d+(?:[.,]\d+)?|(?:{alternation(TENS)})(?:[\s-](?:{alternation(list(NUMBERS)[2:11])}))?"
          rf"|{SIMPLE_NUMBER}")
CLASSES = {
    "month": rf"(?-i:{alternation(w.capitalize() for w in MONTHS)}|{alternation(w.upper() for w in MONTHS)})",
    "monthname": rf"(?-i:{alternation(w.capitalize() for w in MONTHS if len(w) > 3 or w == 'may')})",
    "weekday": rf"(?-i:{alternation(w.capitalize() for w in WEEKDAYS if len(w) > 4)})",
    "day": r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?(?!\d)",
    "year": rf"(?<![\d$£€.,/#])(?:1[6-9]|20)\d\d(?![\d,.]\d)|{SPELLED_YEAR}",
    "num": rf"(?:{NUMBER})(?P<half>\s+and\s+a\s+half)?",
    "unit": unit_alternation(),
    "relative": alternation(RELATIVE),
    "mod": alternation(MODS),
    "approx": alternation(APPROX),
    "season": alternation(LEX["season"]),
    "part": alternation(LEX["part_of_day"]),
    "deictic": alternation(LEX["deictic_day"]),
    "reference": alternation(LEX["reference"]),
    "set": alternation(LEX["set"]),
    "holiday": rf"(?-i:{alternation(w.title().replace('S ', 's ') for w in LEX['holiday'])})".replace("'", "['’]"),
    "ordinal": alternation(LEX["ordinal"]),
    "clock": (r"(?P<hour>[01]?\d|2[0-3])(?:(?P<sep>[:.])(?P<minute>[0-5]\d))?"
              r"(?:\s*(?P<ampm>[ap])\.?m\.?(?!\w)|\s+(?P<oclock>o'clock))?"
              rf"(?:\s*(?:\(\s*(?P<tzp>{ZONE})(?:\s*(?P<offp>[+-]\s*\d\d?))?\s*\)|(?P<tz>{ZONE})(?:\s*(?P<off>[+-]\s*\d\d?))?))?"
              rf"(?:\s+in\s+the\s+(?P<inpart>morning|afternoon|evening|night))?"
              r"|(?P<hour2>[01]\d|2[0-3])(?P<minute2>[0-5]\d)\s+(?P<tz3>UTC|GMT)"),
    "named": alternation(LEX["named_time"]),
}
CLASSES["mod_prefix"] = r"(?:(?P<modword>early|mid|late|earlier|later)(?:\s+|-))?"
PLACEHOLDER = re.compile(r"\{(\w+)(?::(\w+))?\}")


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    type: str
    anchor: str
    regex: re.Pattern


@dataclass(frozen=True, slots=True)
class Timex:
    type: str
    value: str | None
    granularity: str | None
    mod: str | None = None
    anchored: bool = False
    # (unit, steps, mode) from the last date mentioned, when there is one; see resolve_anaphors for the modes
    anaphor: tuple[str, int, str] | None = None


def expand(pattern: str) -> str:
    """PATTERN with each {class} or {class:group} replaced by a named group of that word class."""
    def group(m: re.Match) -> str:
        name, alias = m.group(1), m.group(2) or m.group(1)
        body = CLASSES[name]
        return f"(?:{body})" if name in ("clock", "mod_prefix") else f"(?P<{alias}>{body})"
    return PLACEHOLDER.sub(group, pattern)


def load_rules(path: Path) -> list[Rule]:
    rules = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, type_, anchor, pattern = line.split("\t")
            regex = re.compile(rf"(?<![\w'’-])(?:{expand(pattern)})(?!\w|-\w)", re.IGNORECASE)
            rules.append(Rule(name, type_, anchor, regex))
    return rules


RULES = load_rules(MODELS / "rules.tsv")
# A rule's match always contains a word of its anchor class; rules run only near one, which keeps them cheap.
def anchor_words() -> dict[str, set[str]]:
    """Lowercase word -> anchor classes it belongs to; a phrase is anchored by its last word."""
    classes = {"unit": [*UNITS, "centuries", "period", "end", *(u + "s" for u in UNITS)], "half": ["half"],
               "dayword": [*LEX["deictic_day"], *LEX["part_of_day"], *LEX["named_time"], *(p + "s" for p in LEX["part_of_day"])], "reference": LEX["reference"],
               "set": LEX["set"], "season": LEX["season"], "month": MONTHS, "weekday": [*WEEKDAYS, *(w + "s" for w in WEEKDAYS)],
               "holiday": LEX["holiday"], "yearword": ["nineteen", "twenty", "thousand"]}
    out: dict[str, set[str]] = {}
    for name, words in classes.items():
        for phrase in words:
            out.setdefault(phrase.split()[-1].replace("'s", ""), set()).add(name)
    return out


ANCHOR_WORDS = anchor_words()
CAPITALISED_CLASSES = {"month", "weekday", "holiday"}
WORD = re.compile(r"\w+")
WINDOW_BEFORE, WINDOW_AFTER = 45, 30  # chars of a match that can lie before / after its anchor word
WORD_REACH = 40  # a window ends at the end of a word, unless a run without spaces is longer (kept linear)
TENSE_REACH = 12  # tokens either side searched for a tense cue
ANAPHORIC = set(LEX["anaphoric"])
PERIOD_BEFORE = re.compile(rf"\b(?:{'|'.join(LEX['period_before'])})\s+$", re.IGNORECASE)
GRANULARITY_RANK = {"minute": 0, "hour": 0, "part_of_day": 0, "day": 1, "week": 2, "month": 3, "quarter": 4,
                    "season": 4, "half": 5, "year": 6, "decade": 7, "century": 8}
LEADING_WORDS = re.compile(rf"^(?:(?:{alternation(LEADING)})\s+)+", re.IGNORECASE)


# ---- calendar arithmetic -------------------------------------------------------------------------

def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, min(d.day, monthrange(d.year + y, m + 1)[1]))


def week_value(d: date) -> str:
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def shifted(dct: date, unit: str, n: int) -> tuple[str, str] | None:
    """(value, granularity) of the UNIT N steps from DCT: this week, last month, next year, ..."""
    if unit == "day":
        return (dct + timedelta(days=n)).isoformat(), "day"
    if unit in ("week", "weekend"):
        return week_value(dct + timedelta(weeks=n)) + ("-WE" if unit == "weekend" else ""), "week"
    if unit == "fortnight":
        return week_value(dct + timedelta(weeks=2 * n)), "week"
    if unit == "month":
        return add_months(dct, n).strftime("%Y-%m"), "month"
    if unit == "quarter":
        q = (dct.year * 4 + (dct.month - 1) // 3) + n
        return f"{q // 4}-Q{q % 4 + 1}", "quarter"
    if unit == "year":
        return str(dct.year + n), "year"
    if unit == "decade":
        return str(dct.year // 10 + n), "decade"
    if unit == "century":
        return str(dct.year // 100 + n), "century"
    return None


def interval(value: str | None) -> tuple[date, date] | None:
    """First and last day of the calendar interval a TIMEX3 date value denotes."""
    if not value or value[:1] in "PX" or not value[:2].isdigit():
        return None
    head = value.split("T")[0]
    try:
        if re.fullmatch(r"\d{4}-\d\d-\d\d", head):
            d = date.fromisoformat(head)
            return d, d
        y = int(value[:4])
        if m := re.fullmatch(r"\d{4}-(\d\d)", head):
            mo = int(m.group(1))
            return date(y, mo, 1), date(y, mo, monthrange(y, mo)[1])
        if m := re.fullmatch(r"\d{4}-W(\d\d)(-WE)?", head):
            monday = date.fromisocalendar(y, int(m.group(1)), 1)
            return (monday + timedelta(days=5), monday + timedelta(days=6)) if m.group(2) else (
                monday, monday + timedelta(days=6))
        if m := re.fullmatch(r"\d{4}-Q([1-4])", head):
            q = int(m.group(1))
            return date(y, 3 * q - 2, 1), date(y, 3 * q, monthrange(y, 3 * q)[1])
        if m := re.fullmatch(r"\d{4}-H([12])", head):
            return (date(y, 1, 1), date(y, 6, 30)) if m.group(1) == "1" else (date(y, 7, 1), date(y, 12, 31))
        if m := re.fullmatch(r"\d{4}-(SP|SU|FA|WI)", head):
            first, last = SEASON_MONTHS[m.group(1)]
            end_year = y + 1 if last < first else y
            return date(y, first, 1), date(end_year, last, monthrange(end_year, last)[1])
        if re.fullmatch(r"\d{4}", head):
            return date(y, 1, 1), date(y, 12, 31)
        if re.fullmatch(r"\d{3}", head):
            return date(int(head) * 10, 1, 1), date(int(head) * 10 + 9, 12, 31)
        if re.fullmatch(r"\d{2}", head):
            return date(max(1, int(head) * 100), 1, 1), date(int(head) * 100 + 99, 12, 31)
    except (ValueError, OverflowError):
        return None
    return None


# ---- context: tense of the clause around an expression --------------------------------------------

def tense_near(doc: Doc, start: int, end: int) -> str | None:
    """'past', 'present' or 'future' from the nearest tense cue in the sentence, else None."""
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None:
        return None
    left = (tok for tok in reversed(doc[max(0, span.start - TENSE_REACH):span.start]))
    right = (tok for tok in doc[span.end:span.end + TENSE_REACH])
    nearest_first = interleave(left, right, stop_left=lambda t: doc[t.i + 1].is_sent_start,
                               stop_right=lambda t: t.is_sent_start)
    for tok in nearest_first:
        tense = token_tense(tok)
        if tense:
            return tense
    return None


def interleave(left, right, *, stop_left, stop_right):
    """Tokens nearest first, alternating left and right, each side ending at its sentence boundary."""
    sides = [[left, stop_left], [right, stop_right]]
    while sides:
        for side in list(sides):
            tok = next(side[0], None)
            if tok is None or side[1](tok):
                sides.remove(side)
            else:
                yield tok


def token_tense(tok) -> str | None:
    low = tok.lower_
    if low in FUTURE_CUES:
        needs_to = low in FUTURE_NEEDS_TO
        nxt = tok.nbor(1).lower_ if tok.i + 1 < len(tok.doc) else ""
        if not needs_to or nxt in ("to", "for"):
            return "future"
    if tok.tag_ == "VBD" or (not tok.tag_ and low in PAST_CUES) or low in ("ago", "earlier", "previously", "since"):
        return "past"
    if tok.tag_ in ("VBZ", "VBP") or low in PRESENT_CUES:
        return "present"
    return None


# ---- normalisers: one per rule name, (groups, context) -> Timex or None -----------------------------

@dataclass(frozen=True, slots=True)
class Context:
    doc: Doc
    text: str
    dct: date | None
    start: int
    end: int

    def tense(self) -> str | None:
        """'past' or 'future', else None."""
        tense = tense_near(self.doc, self.start, self.end)
        return tense if tense != "present" else None

    def before(self, width: int = 30) -> str:
        return self.text[max(0, self.start - width):self.start]

    def capitalised_name(self) -> bool:
        """A lowercase-class word capitalised mid-sentence is a name: 'USA Today', 'Daily Hive'."""
        words = self.text[self.start:self.end].split()
        first_is_name = words[0][0].isupper() and MID_SENTENCE.search(self.before()) is not None
        return first_is_name or any(w[0].isupper() for w in words[1:])

    def after(self, width: int = 30) -> str:
        return self.text[self.end:self.end + width]

    def previous_word(self) -> str:
        m = re.search(r"([\w'’-]+)\W*$", self.before())
        return m.group(1).lower() if m else ""


def number(text: str | None, half: str | None = None) -> str | None:
    """'two' -> '2', '2.5' / 'two and a half' -> '2.5'; vague amounts ('several') -> 'X'."""
    if not text:
        return None
    text = " ".join(text.lower().replace(",", ".").split())
    if text.endswith(" and a half"):
        text, half = text[: -len(" and a half")], half or "half"
    if text in LEX["vague_number"]:
        return "X"
    if re.fullmatch(r"\d+(\.\d+)?", text):
        n = float(text)
    elif text in NUMBERS:
        n = NUMBERS[text]
    else:
        parts = re.split(r"[\s-]", text)
        if not all(p in NUMBERS for p in parts):
            return None
        n = sum(NUMBERS[p] for p in parts)
    n += 0.5 if half else 0
    return str(int(n)) if n == int(n) else str(n)


def unit_of(word: str) -> str:
    word = " ".join(word.lower().split())
    if word == "centuries":
        return "century"
    return word if word in UNITS else word[:-1]


SUBUNITS = {("Y", False): ("M", 12), ("H", True): ("M", 60), ("M", True): ("S", 60)}  # months are not split


def duration_value(n: str, unit: str) -> str:
    code, _, is_time = UNITS[unit]
    if n != "X" and code[:-1].isdigit():  # decade = 10Y, century = 100Y, fortnight = 2W
        factor = int(code[:-1])
        amount = float(n) * factor
        n, code = str(int(amount)) if amount == int(amount) else str(amount), code[-1]
    elif code[:-1].isdigit():
        code = code[-1]
    whole, _, fraction = n.partition(".")
    if fraction and (code, is_time) in SUBUNITS:  # "two and a half years" is P2Y6M, "a minute and a half" PT1M30S
        sub, per = SUBUNITS[code, is_time]
        n, code = whole, f"{code}{float('0.' + fraction) * per:g}{sub}"
    return f"PT{n}{code}" if is_time else f"P{n}{code}"


NEAR_MONTHS = 3  # a month named in the present tense this close to publication, across a new year, is that one


def resolved_year(ctx: Context, month: int) -> tuple[int | None, bool]:
    """Year of a month named without one: the DCT's, moved by tense as HeidelTime does for news. After 'by',
    'until' or 'through' (a deadline, whatever the tense), or in the present tense within NEAR_MONTHS ('when it
    convenes in January', in December), the year that puts the month nearest the DCT."""
    if ctx.dct is None:
        return None, False
    y = ctx.dct.year
    nearest = min((y - 1, y, y + 1), key=lambda c: abs((c - y) * 12 + month - ctx.dct.month))
    tense = tense_near(ctx.doc, ctx.start, ctx.end)
    if ctx.previous_word() in DEADLINE or (
            tense == "present" and abs((nearest - y) * 12 + month - ctx.dct.month) <= NEAR_MONTHS):
        return nearest, True
    if tense == "past" and month > ctx.dct.month:
        return y - 1, True
    if tense == "future" and month < ctx.dct.month:
        return y + 1, True
    return y, True


def mod_of(word: str | None) -> str | None:
    return MODS.get(word.lower()) if word else None


def full(g: dict, ctx: Context) -> Timex | None:
    d = safe_date(int(g["year"]), MONTHS[g["month"].lower().rstrip(".")], int(re.sub(r"\D", "", g["day"])))
    return Timex("DATE", d.isoformat(), "day") if d else None


def safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def iso(g: dict, ctx: Context) -> Timex | None:
    d = safe_date(int(g["year"]), int(g["mnum"]), int(g["dnum"]))
    return Timex("DATE", d.isoformat(), "day") if d else None


def numeric(g: dict, ctx: Context) -> Timex | None:
    y = int(g["ynum"])
    y = y if y > 99 else (1900 + y if y >= 50 else 2000 + y)
    d = safe_date(y, int(g["mnum"]), int(g["dnum"]))
    return Timex("DATE", d.isoformat(), "day") if d else None


def month_day(g: dict, ctx: Context) -> Timex | None:
    if not g.get("weekday") and NAME_BEFORE.search(ctx.before()):
        return None  # a name with a number: "the Long March 3 rocket"
    month, day = MONTHS[g["month"].lower().rstrip(".")], int(re.sub(r"\D", "", g["day"]))
    year, anchored = resolved_year(ctx, month)
    if year is None:
        return Timex("DATE", f"XXXX-{month:02d}-{day:02d}", "day") if day <= 31 else None
    d = safe_date(year, month, day)
    return Timex("DATE", d.isoformat(), "day", anchored=anchored) if d else None


def month_year(g: dict, ctx: Context) -> Timex:
    m, y = MONTHS[g["monthname"].lower()], g.get("year") or relyear(g.get("relyear"), ctx)
    value = f"{y}-{m:02d}" if y else None
    return Timex("DATE", value, "month", mod_of(g.get("modword")), anchored=bool(y and not g.get("year")))


def month(g: dict, ctx: Context) -> Timex | None:
    word = g["monthname"].lower()
    if word in ("may", "march") and not g.get("modword") and ctx.previous_word() not in MONTH_CONTEXT:
        return None  # the modal verb "May" / the verb "march"
    m = MONTHS[word]
    year, anchored = resolved_year(ctx, m)
    value = f"{year}-{m:02d}" if year else f"XXXX-{m:02d}"
    return Timex("DATE", value, "month", mod_of(g.get("modword")), anchored)


def year(g: dict, ctx: Context) -> Timex | None:
    """A number is a year only where it reads as one: not in a name ('Resolution 1718', 'Russell 2000 Index'; but
    'WWDC 2005'), a catalogue number ('2008 QH24') or a count ('1600 applicants'); spelled out after 'in'."""
    if g.get("spelled") and not (ctx.previous_word() in YEAR_PREPOSITIONS or ctx.text[ctx.start:ctx.end].lower().startswith("the year")):
        return None
    name = NAME_BEFORE.search(ctx.before())
    if not g.get("modword") and name and (g.get("yy") or NAME_AFTER.match(ctx.after()) or not (
            name.group().isupper() or near_publication(g.get("year"), ctx))):
        return None
    dated = g.get("modword") or ctx.text[ctx.start:ctx.end].lower().startswith("fiscal") or (
        POSSESSIVE.search(ctx.before()) and near_publication(g.get("year"), ctx))  # "the company's 2009 results"
    if CATALOGUE_AFTER.match(ctx.after()) or (not dated and counted(ctx)):
        return None
    y = g.get("year")
    if y is None:
        yy = int(g["yy"])
        y = str(1900 + yy if yy >= 30 else 2000 + yy)
    return Timex("DATE", y, "year", mod_of(g.get("modword")))


def near_publication(y: str | None, ctx: Context) -> bool:
    """After a name, a number within a decade of publication is the year of an event ('Conference 2010'),
    another one a number ('Resolution 1718')."""
    return bool(y and ctx.dct and abs(int(y) - ctx.dct.year) <= 10)


def counted(ctx: Context) -> bool:
    """'1600 applicants': a number right before a plural noun, without a word of time before it ('in 1989 sales')."""
    span = ctx.doc.char_span(ctx.start, ctx.end, alignment_mode="expand")
    if span is None or span.end >= len(ctx.doc) or ctx.previous_word() in YEAR_PREPOSITIONS:
        return False
    nxt = ctx.doc[span.end]
    return nxt.tag_ in ("NNS", "NNPS") and nxt.lower_ not in ANCHOR_WORDS


def century(g: dict, ctx: Context) -> Timex | None:
    n = int(g["cent"])
    return Timex("DATE", f"{n - 1:02d}", "century") if 1 <= n <= 21 else None


def decade(g: dict, ctx: Context) -> Timex | None:
    digits = g["decade"].lstrip("'")
    if len(digits) == 2:
        digits = ("19" if int(digits) >= 30 else "20") + digits
    return Timex("DATE", digits[:3], "decade", mod_of(g.get("modword")))


def relyear(word: str | None, ctx: Context) -> int | None:
    if ctx.dct is None:
        return None
    return ctx.dct.year + {"last": -1, "next": 1}.get((word or "").lower(), 0)


def quarter(g: dict, ctx: Context) -> Timex | None:
    if g.get("relative"):
        if ctx.dct is None:
            return Timex("DATE", None, "quarter")
        value, gran = shifted(ctx.dct, "quarter", RELATIVE[g["relative"].lower()])
        return Timex("DATE", value, gran, anchored=True)
    q = int(g["qnum"]) if g.get("qnum") else LEX["ordinal"][g["ordinal"].lower()]
    if g.get("year") or g.get("qyear"):
        return Timex("DATE", f"{g.get('year') or g['qyear']}-Q{q}", "quarter")
    y = relyear("last" if g.get("yearago") else g.get("relyear"), ctx)
    if y is not None and not g.get("relyear") and not g.get("yearago") and ctx.tense() == "past" and q > (ctx.dct.month - 1) // 3 + 1:
        y -= 1
    return Timex("DATE", f"{y}-Q{q}" if y else f"XXXX-Q{q}", "quarter", anchored=y is not None)


def half(g: dict, ctx: Context) -> Timex:
    h = 1 if g["half"].lower() == "first" else 2  # second, last, latter
    y = g.get("year") or relyear(g.get("relyear"), ctx)
    return Timex("DATE", f"{y}-H{h}" if y else f"XXXX-H{h}", "half", anchored=not g.get("year") and y is not None)


def season(g: dict, ctx: Context) -> Timex | None:
    code = LEX["season"][g["season"].lower()]
    rel = (g.get("relseason") or "").lower()
    if g["season"].lower() == "fall" and not (rel or g.get("year") or FALL_CONTEXT.search(ctx.before())):
        return None  # the verb or noun "fall"
    y = int(g["year"]) if g.get("year") else relyear(rel if rel in ("last", "next") else None, ctx)
    return Timex("DATE", f"{y}-{code}" if y else f"XXXX-{code}", "season", mod_of(rel) if rel in MODS else None,
                 anchored=not g.get("year") and y is not None)


def holiday(g: dict, ctx: Context) -> Timex | None:
    rule = LEX["holiday"][" ".join(g["holiday"].lower().split()).replace("’", "'")]
    month = 4 if rule.startswith("E") else int(rule[:2])  # Easter falls in March or April
    y = int(g["year"]) if g.get("year") else resolved_year(ctx, month)[0]
    if y is None:
        return Timex("DATE", f"XXXX-{rule}" if re.fullmatch(r"\d\d-\d\d", rule) else None, "day")
    d = holiday_date(rule, y)
    return Timex("DATE", d.isoformat(), "day", anchored=not g.get("year")) if d else None


def holiday_date(rule: str, y: int) -> date | None:
    """The day a holiday RULE of lexicon.json (see its about_holiday) falls on in year Y."""
    if rule.startswith("E"):
        return easter(y) + timedelta(days=int(rule[1:]))
    parts = rule.split("-")
    if len(parts) == 2:
        return safe_date(y, int(parts[0]), int(parts[1]))
    m, wd, nth = int(parts[0]), int(parts[1]), parts[2]
    if nth == "L":
        last = date(y, m, monthrange(y, m)[1])
        return last - timedelta(days=(last.isoweekday() - wd) % 7)
    first = date(y, m, 1)
    return first + timedelta(days=(wd - first.isoweekday()) % 7 + 7 * (int(nth) - 1))


def easter(y: int) -> date:
    """Western Easter Sunday (the anonymous Gregorian computus)."""
    a, b, c = y % 19, y // 100, y % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(y, month, day + 1)


def deictic(g: dict, ctx: Context) -> Timex | None:
    if ctx.capitalised_name():
        return None
    offset = LEX["deictic_day"][g["deictic"].lower()]
    if ctx.dct is None:
        return Timex("DATE", None, "day")
    return Timex("DATE", (ctx.dct + timedelta(days=offset)).isoformat(), "day", anchored=True)


def mod_rel(g: dict, ctx: Context) -> Timex | None:
    mod = mod_of(g["mod"])
    if g.get("monthname"):
        m = MONTHS[g["monthname"].lower()]
        y, anchored = (int(g["year"]), False) if g.get("year") else resolved_year(ctx, m)
        return Timex("DATE", f"{y}-{m:02d}" if y else f"XXXX-{m:02d}", "month", mod, anchored)
    if g.get("year"):
        return Timex("DATE", g["year"], "year", mod)
    unit = unit_of(g["unit"])
    if g["unit"].lower().endswith("s") and unit != "century":
        return None
    return relative_date(ctx, unit, RELATIVE.get((g.get("relative") or "this").lower(), 0), mod)


def relative_date(ctx: Context, unit: str, n: int, mod: str | None = None, anaphoric: bool = False) -> Timex | None:
    """The UNIT N steps from the DCT; ANAPHORIC ones ('the following month') move to an earlier date later."""
    anaphor = (unit, n, "unit") if anaphoric else None
    if ctx.dct is None:
        return Timex("DATE", None, UNITS[unit][1], mod, anaphor=anaphor)
    got = shifted(ctx.dct, unit, n)
    return Timex("DATE", got[0], got[1], mod, anchored=True, anaphor=anaphor) if got else None


def rel_unit(g: dict, ctx: Context) -> Timex | None:
    rel, unit = g["relative"].lower(), unit_of(g["unit"])
    if g["unit"].lower().endswith("s") and unit != "century" or ctx.capitalised_name():
        return None  # plural units are rel_unit's; "This Week" mid-sentence is a programme's name
    text = ctx.text[ctx.start:ctx.end].lower()
    if rel in ("past", "last") and text.startswith("the") and not UNITS[unit][2] and unit != "day":
        return relative_date(ctx, unit, -1)  # "in the past year", "the last quarter": the one before the DCT's
    if rel in ("past", "coming") or (rel in ("last", "next") and text.startswith("the")
                                     and PERIOD_BEFORE.search(ctx.before())):
        return Timex("DURATION", duration_value("1", unit), UNITS[unit][1])  # "over the next year": a period
    anaphoric = rel in ANAPHORIC or text.startswith("the") and RELATIVE[rel] != 0  # "the following month"
    if UNITS[unit][2] or (unit == "day" and not (anaphoric and rel != "last")):
        return None  # "the next day" counts from a date; "this day", "last day" are not expressions of their own
    return relative_date(ctx, unit, RELATIVE[rel], anaphoric=anaphoric)


def that_unit(g: dict, ctx: Context) -> Timex | None:
    """'that year': the year of the narrative's last date (the DCT's when there is none)."""
    return relative_date(ctx, g["unit"].lower(), 0, anaphoric=True)


def weekday_date(dct: date, weekday: int, direction: int, include_today: bool = True) -> date:
    delta = (weekday - dct.isoweekday()) % 7
    if direction < 0:
        delta = -((dct.isoweekday() - weekday) % 7)
    if delta == 0 and not include_today:
        delta = 7 * direction
    return dct + timedelta(days=delta)


def weekday(g: dict, ctx: Context) -> Timex:
    wd = WEEKDAYS[g["weekday"].lower()]
    if ctx.dct is None:
        return Timex("DATE", f"XXXX-WXX-{wd}", "day", mod_of(g.get("modword")))
    direction = 1 if ctx.tense() == "future" else -1  # news reports the past unless the clause is future
    return Timex("DATE", weekday_date(ctx.dct, wd, direction).isoformat(), "day", mod_of(g.get("modword")),
                 anchored=True)


def rel_weekday(g: dict, ctx: Context) -> Timex | None:
    wd, rel = WEEKDAYS[g["weekday"].lower()], RELATIVE[g["relative"].lower()]
    if ctx.dct is None:
        return Timex("DATE", None, "day")
    if rel == 0:
        d = ctx.dct + timedelta(days=wd - ctx.dct.isoweekday())
    else:
        d = weekday_date(ctx.dct, wd, rel, include_today=False)
    return Timex("DATE", d.isoformat(), "day", anchored=True)


def rel_month(g: dict, ctx: Context) -> Timex:
    m, rel = MONTHS[g["monthname"].lower()], RELATIVE[g["relative"].lower()]
    if ctx.dct is None:
        return Timex("DATE", None, "month")
    y = ctx.dct.year
    if rel < 0:
        y -= 1 if m >= ctx.dct.month else 0
    elif rel > 0:
        y += 1 if m <= ctx.dct.month else 0
    return Timex("DATE", f"{y}-{m:02d}", "month", anchored=True)


def ago(g: dict, ctx: Context) -> Timex | None:
    """'two years ago' from the DCT; 'two days later' / 'a year earlier' from the narrative's last date."""
    unit = unit_of(g["unit"])
    n = number(g["num"], g.get("half")) if g.get("num") else "X"
    direction = g["dir"].lower()
    sign = -1 if direction in ("ago", "earlier") else 1
    if n is None:
        return None
    if unit in ("decade", "century") and n != "X":
        n, unit = str(float(n) * (10 if unit == "decade" else 100)), "year"  # "a decade ago" is a year
    if n == "X":
        return Timex("DATE", "PAST_REF" if sign < 0 else "FUTURE_REF", None)
    steps = sign * int(float(n))
    comparison = unit == "year" and direction in ("ago", "earlier")  # "profit fell from a year earlier"
    anaphor = (unit, steps, "ago" if comparison else "ref") if direction in ("earlier", "later") or comparison else None
    if ctx.dct is None:
        return Timex("DATE", None, UNITS[unit][1], anaphor=anaphor)
    if unit == "week":
        return Timex("DATE", (ctx.dct + timedelta(weeks=steps)).isoformat(), "day", anchored=True, anaphor=anaphor)
    got = shifted(ctx.dct, unit, steps)
    return Timex("DATE", got[0], got[1], anchored=True, anaphor=anaphor) if got else None


def quarter_ref(g: dict, ctx: Context) -> Timex | None:
    """'the quarter', 'the latest period', 'the year-ago quarter': the quarter the report is about (the last one
    named, else the last one ended before publication), a year back for 'year-ago' / 'year-earlier'."""
    words = ctx.text[ctx.start:ctx.end].lower().split()
    if len(words) == 1 and not g.get("yearago") or words[-1] == "period" and len(words) < 3 and not g.get("yearago"):
        return None
    back = -4 if g.get("yearago") else 0
    if g.get("year"):
        return Timex("DATE", g["year"], "year", anaphor=("quarter", 0, "year"))
    if ctx.dct is None:
        return Timex("DATE", None, "quarter", anaphor=("quarter", back, "quarter"))
    reported = 0 if ctx.tense() == "future" else -1
    value, gran = shifted(ctx.dct, "quarter", reported + back)
    latest = re.search(r"latest|most\s+recent", ctx.text[ctx.start:ctx.end], re.IGNORECASE)  # not a mention's
    return Timex("DATE", value, gran, anchored=True, anaphor=None if latest else ("quarter", back, "quarter"))


def same_period(g: dict, ctx: Context) -> Timex | None:
    """'the same period (a year earlier)': the narrative's last date (a year back)."""
    back = -1 if g.get("yearago") else 0
    got = shifted(ctx.dct, "year", back) if ctx.dct else None
    return Timex("DATE", got[0] if got else None, "year", anchored=bool(got), anaphor=("year", back, "same"))


def range_dur(g: dict, ctx: Context) -> Timex | None:
    n, unit = number(g["num"], g.get("half")), unit_of(g["unit"])
    return Timex("DURATION", duration_value(n, unit), UNITS[unit][1]) if n else None


def duration(g: dict, ctx: Context) -> Timex | None:
    unit = unit_of(g["unit"])
    if g.get("vague"):
        n = "X"
        if not g["unit"].lower().endswith("s"):
            return None  # "the past year" is rel_unit's
    elif g.get("single"):
        n = "X" if g["single"].lower() == "multi" else "1"
    else:
        n = number(g["num"], g.get("half") or g.get("uhalf"))
        if g.get("det") and n != "1" and not g["unit"].lower().endswith("s"):
            return None  # "the two year mission": the number and unit qualify the noun, the article does not
        if g["num"].lower() in ("a", "an") and unit == "second":
            return None  # "a second term"
        if unit == "quarter" and FRACTION_OF.match(ctx.after()):
            return None  # "about a quarter of the workforce"
    if n is None:
        return None
    approx = APPROX.get(" ".join((g.get("approx") or "").lower().split()))
    return Timex("DURATION", duration_value(n, unit), UNITS[unit][1], approx)


def bare_units(g: dict, ctx: Context) -> Timex:
    unit = unit_of(g["bare"])
    return Timex("DURATION", duration_value("X", unit), UNITS[unit][1])


def reference(g: dict, ctx: Context) -> Timex | None:
    if ctx.capitalised_name() or SIGNAL_AFTER.match(ctx.after()) and g["reference"].lower() == "soon":
        return None  # "as soon as", "soon after": a signal linking two events, no time of its own
    return Timex("DATE", LEX["reference"][" ".join(g["reference"].lower().split())], None)


def set_(g: dict, ctx: Context) -> Timex | None:
    if ctx.capitalised_name():
        return None
    if g.get("set"):
        value, gran = LEX["set"][g["set"].lower()]
        return Timex("SET", value, gran)
    unit = unit_of(g["unit"])
    return Timex("SET", duration_value("1", unit), UNITS[unit][1])


PART_PM = {"afternoon": True, "evening": True, "morning": False}
CLOCK_PREPOSITIONS = {"at", "by", "until", "till", "from", "around", "about", "before", "after", "since"}


def clock_value(g: dict, ctx: Context) -> str | None:
    """'THH:MM' (with 'Z' for UTC) of a clock time that says it is one: a.m./p.m., a zone, o'clock, 'in the
    morning', or hours:minutes after a preposition of time ('at 14:30'); else None ('3.5 points')."""
    hour = int(g.get("hour") or g.get("hour2"))
    minute = g.get("minute") or g.get("minute2")
    ampm = (g.get("ampm") or "").lower()
    tz = (g.get("tz") or g.get("tzp") or g.get("tz3") or "").lower()
    part = (g.get("inpart") or "").lower()
    tonight = (g.get("deictic") or "").lower() == "tonight"
    twelve_hour = ampm or part or g.get("oclock")
    at_clock = g.get("sep") == ":" and (ctx.previous_word() in CLOCK_PREPOSITIONS or g.get("weekday") or g.get("deictic"))
    if not (twelve_hour or tz or at_clock or g.get("hour2")):
        return None
    if twelve_hour and not 1 <= hour <= 12:
        return None
    if ampm:
        hour = hour % 12 + (12 if ampm == "p" else 0)
    elif hour < 12 and (PART_PM.get(part) or (part == "night" or tonight) and hour >= 6):
        hour += 12
    utc = LEX["timezone"].get(" ".join(tz.split())) == "Z"
    offset = int(re.sub(r"\s", "", g.get("off") or g.get("offp") or "0"))
    if utc and 0 <= hour - offset < 24:
        hour -= offset  # "6:40 p.m. (GMT +8)" is 10:40 UTC
    elif utc and offset:
        utc = False
    return f"T{hour:02d}:{int(minute or 0):02d}{'Z' if utc else ''}"


def clock(g: dict, ctx: Context) -> Timex | None:
    t = clock_value(g, ctx) if not g.get("named") else "T" + LEX["named_time"][g["named"].lower()]
    if t is None:
        return None
    day = day_of(g, ctx)
    own_day = bool(g.get("weekday") or g.get("deictic") or g.get("month"))
    return Timex("TIME", (day or "XXXX-XX-XX") + t, "minute", anchored=day is not None and not g.get("year"),
                 anaphor=None if own_day else ("day", 0, "clock"))


def day_of(g: dict, ctx: Context) -> str | None:
    """The day a time of day belongs to: a date, weekday or deictic word in the match, else the DCT."""
    if g.get("month"):
        got = full(g, ctx) if g.get("year") else month_day(g, ctx)
        return got.value if got else None
    if ctx.dct is None:
        return None
    if g.get("weekday"):
        return weekday(g, ctx).value
    if g.get("deictic"):
        return (ctx.dct + timedelta(days=LEX["deictic_day"][g["deictic"].lower()])).isoformat()
    return ctx.dct.isoformat()


def daypart(g: dict, ctx: Context) -> Timex | None:
    rel = (g.get("rel") or "").lower()
    part = LEX["part_of_day"].get((g.get("part") or rel).lower())
    mod = mod_of(g.get("modword"))
    if part is None:
        return None
    if g.get("every"):
        return Timex("SET", f"XXXX-WXX-{WEEKDAYS[g['weekday'].lower()]}T{part}", "part_of_day")
    if ctx.dct is None:
        return Timex("TIME", f"XXXX-WXX-{WEEKDAYS[g['weekday'].lower()]}T{part}" if g.get("weekday") else None,
                     "part_of_day", mod)
    day = ctx.dct - timedelta(days=1) if rel == "last" else None
    value = day.isoformat() if day else day_of(g, ctx)
    return Timex("TIME", f"{value}T{part}", "part_of_day", mod, anchored=True,
                 anaphor=None if (g.get("weekday") or g.get("deictic") or rel) else ("day", 0, "clock"))


def set_day(g: dict, ctx: Context) -> Timex | None:
    """'every Monday', 'Tuesdays' (XXXX-WXX-1), 'each July' (XXXX-07): a weekday or month that recurs."""
    if g.get("monthname"):
        return Timex("SET", f"XXXX-{MONTHS[g['monthname'].lower()]:02d}", "month")
    return Timex("SET", f"XXXX-WXX-{WEEKDAYS[g['weekday'].lower()]}", "day")


def weekend(g: dict, ctx: Context) -> Timex:
    rel = g["rel"].lower()
    if ctx.dct is None:
        return Timex("DATE", None, "week")
    if rel == "the":
        rel = "this" if ctx.tense() == "future" or ctx.dct.isoweekday() >= 6 else "last"
    n = {"this": 0, "next": 1}.get(rel, 0 if ctx.dct.isoweekday() >= 6 else -1)
    return Timex("DATE", shifted(ctx.dct, "weekend", n)[0], "week", anchored=True)


def the_year(g: dict, ctx: Context) -> Timex | None:
    """'for the year ended Sept. 30' is a year's length; 'sales for the full year' the year of publication."""
    if re.match(r"\s+(?:ended|ending)\b", ctx.after()):
        return Timex("DURATION", "P1Y", "year")
    return relative_date(ctx, "year", 0)


def year_end(g: dict, ctx: Context) -> Timex | None:
    return relative_date(ctx, "year", 0, "END")


def the_day(g: dict, ctx: Context) -> Timex | None:
    """'ended the day', 'for the week' in market reports: the day (week, ...) of publication."""
    return relative_date(ctx, g["unit"].lower(), 0)


NORMALISERS = {
    "full": full, "iso": iso, "numeric": numeric, "month_day": month_day, "month_year": month_year,
    "month": month, "year": year, "decade": decade, "century": century, "quarter": quarter, "half": half, "season": season,
    "holiday": holiday, "deictic": deictic, "mod_rel": mod_rel, "rel_unit": rel_unit, "rel_weekday": rel_weekday, "that_unit": that_unit,
    "rel_month": rel_month, "weekday": weekday, "ago": ago, "quarter_ref": quarter_ref, "same_period": same_period, "range_dur": range_dur, "duration": duration,
    "bare_units": bare_units, "reference": reference, "set": set_, "clock": clock, "clock_day": clock,
    "day_clock": clock, "clock_date": clock, "named": clock, "daypart": daypart, "set_day": set_day, "weekend": weekend, "the_day": the_day, "the_year": the_year, "year_end": year_end,
}


# ---- candidates and selection -------------------------------------------------------------------

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
            classes: set[str] | tuple[str] = ("digit",)
        else:
            classes = ANCHOR_WORDS.get(word.lower(), ())
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
                groups["year"], groups["spelled"] = spelled_year(groups["year"]), "yes"
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
        if not any(taken[c.start:c.end]):  # a match is a few words long: checking its characters is cheap
            taken[c.start:c.end] = b"\x01" * (c.end - c.start)
            kept.append(c)
    return sorted(kept, key=lambda c: c.start)


def entity_candidates(doc: Doc, doc_text: str, dct: date | None, taken: list[Candidate]) -> list[Candidate]:
    """spaCy DATE/TIME entities no rule found, kept when dateparser reads them as a date."""
    covered = bytearray(len(doc_text))
    for k in taken:
        covered[k.start:k.end] = b"\x01" * (k.end - k.start)
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
    return dateparser.date.DateDataParser(languages=["en"], settings={
        "RELATIVE_BASE": base, "REQUIRE_PARTS": ["year"], "STRICT_PARSING": False})


def extract_dates(doc: Doc, *, article_id: str, text: str, published: date | None) -> list[DateRow]:
    """TIMEX3 rows for the temporal expressions of DOC; relative values resolved against PUBLISHED."""
    doc_text = without_header(text)  # same offsets as doc.text, which spaCy rebuilds on every access
    chosen = non_overlapping(rule_candidates(doc, doc_text, published), len(doc_text))
    chosen = sorted(chosen + entity_candidates(doc, doc_text, published, chosen), key=lambda c: c.start)
    chosen = resolve_anaphors(chosen, [sent.start_char for sent in doc.sents] if doc.has_annotation("SENT_START") else [0])
    return [date_row(article_id, text, c) for c in chosen]


PERIOD_MODES = ("ago", "quarter", "year")  # count from the report's period, the last quarter or half named


def resolve_anaphors(chosen: list[Candidate], sentence_starts: list[int]) -> list[Candidate]:
    """Expressions that count from the narrative's last date (Timex.anaphor), in one pass. Modes:
    'unit' ('the following month') and 'ref' ('two days later', 'a year earlier') count from the last date at
    least as fine as the unit, the value at the unit's or the date's granularity; 'same' from the last date;
    'ago' ('profit fell from a year ago'), 'quarter' ('the year-ago quarter') and 'year' ('the 1988 period')
    from the last quarter or half named, as earnings reports compare periods; 'clock' takes the nearest day in
    its sentence. Comparisons ('a year ago', 'the same period last year') do not move the narrative."""
    out, ref, period = [], None, None
    sentence_of = [bisect_right(sentence_starts, c.start) for c in chosen]
    for i, c in enumerate(chosen):
        t = c.timex
        mode = t.anaphor[2] if t.anaphor else None
        if mode == "clock":
            day = day_in_sentence(chosen, i, sentence_of)
            if day:
                c = replace(c, timex=replace(t, value=day.value[:10] + t.value[t.value.index("T"):],
                                             anchored=day.anchored))
        elif mode in PERIOD_MODES and period:
            c = replace(c, timex=from_reference(t, period))
        elif mode and mode not in PERIOD_MODES and ref and follows(t.anaphor, ref):
            c = replace(c, timex=from_reference(t, ref))
        t = c.timex
        if mode not in (*PERIOD_MODES, "same") and t.type in ("DATE", "TIME") and t.granularity in GRANULARITY_RANK \
                and (span := interval(t.value)):
            ref = (span[0], t.granularity, t.value)
            if t.granularity in ("quarter", "half"):
                period = ref
        out.append(c)
    return out


def follows(anaphor: tuple[str, int, str], ref: tuple) -> bool:
    """Whether an ANAPHOR counts from REF (first day, granularity, value) rather than the DCT."""
    unit, _, mode = anaphor
    return mode == "same" or GRANULARITY_RANK[ref[1]] <= GRANULARITY_RANK[UNITS[unit][1]]


def from_reference(t: Timex, ref: tuple) -> Timex:
    unit, n, mode = t.anaphor
    if mode == "year":
        return replace(t, value=t.value[:4] + ref[2][4:], granularity=ref[1], anchored=False)
    if mode == "unit":
        got = shifted(ref[0], unit, n)
        return replace(t, value=got[0], granularity=got[1], anchored=False) if got else t
    gran = "day" if GRANULARITY_RANK[ref[1]] == 0 else ref[1]
    moved = add_months(ref[0], n * 3) if unit == "quarter" else shifted_day(ref[0], unit, n)
    value = value_at(moved, gran, ref[2])
    return replace(t, value=value, granularity=gran, anchored=False) if value else t


def shifted_day(d: date, unit: str, n: int) -> date:
    if unit in ("day", "week", "fortnight"):
        return d + timedelta(days=n * {"day": 1, "week": 7, "fortnight": 14}[unit])
    months = {"month": 1, "quarter": 3, "year": 12, "decade": 120, "century": 1200}.get(unit, 0)
    return add_months(d, n * months)


def value_at(d: date, gran: str, like: str) -> str | None:
    """D written at granularity GRAN, as the TIMEX3 value LIKE is written."""
    if gran == "day":
        return d.isoformat()
    if gran == "week":
        return week_value(d) + ("-WE" if like.endswith("-WE") else "")
    if gran in ("season", "half"):
        return f"{d.year}{like[4:]}"
    return {"month": f"{d.year}-{d.month:02d}", "quarter": f"{d.year}-Q{(d.month - 1) // 3 + 1}",
            "year": str(d.year), "decade": str(d.year // 10), "century": str(d.year // 100)}.get(gran)


NEIGHBOURS = 6  # candidates looked at on each side for the day of a clock time: bounded, so linear


def day_in_sentence(chosen: list[Candidate], i: int, sentence_of: list[int]) -> Timex | None:
    """The nearest day-granular DATE in the same sentence as candidate I, if any."""
    best = None
    for j in range(max(0, i - NEIGHBOURS), min(len(chosen), i + NEIGHBOURS + 1)):
        t = chosen[j].timex
        if j == i or sentence_of[j] != sentence_of[i] or t.type != "DATE" or t.granularity != "day" \
                or not t.value or "X" in t.value[:10]:
            continue
        gap = max(chosen[i].start, chosen[j].start) - min(chosen[i].end, chosen[j].end)
        if best is None or gap < best[0]:
            best = (gap, t)
    return best[1] if best else None


def without_header(text: str) -> str:
    header = DATE_HEADER.match(text)
    return " " * header.end() + text[header.end():] if header else text


def date_row(article_id: str, text: str, c: Candidate) -> DateRow:
    t = c.timex
    span = interval(t.value) if t.type in ("DATE", "TIME") else None
    return DateRow(article_id, c.start, c.end, text[c.start:c.end], t.type, t.value, t.mod, t.granularity,
                   span[0] if span else None, span[1] if span else None, t.anchored)
