"""Stage 3b: temporal expressions of one Doc as TIMEX3, resolved against the publication date.

Rule design after HeidelTime: word classes (models/dates/lexicon.json) expand into the regexes of
models/dates/rules.tsv; each rule names the normaliser below that turns its groups into a TIMEX3 value.
spaCy DATE/TIME entities that no rule covers are kept when dateparser reads them as an absolute date.
Relative values need the publication date (DCT); without one they stay null or XXXX-..., never today.
"""

from __future__ import annotations

import json
import re
from calendar import monthrange
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import dateparser.date
from spacy.tokens import Doc

from pipeline.articles import without_header
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
FUTURE_NEEDS_TO = {"going", "scheduled", "expected", "due", "plans", "planned", "plan", "set", "intends", "aims",
                   "hopes", "slated", "pencilled", "penciled"}
PAST_CUES = set(LEX["past_cue"])
PRESENT_CUES = set(LEX["present_cue"])
MONTH_CONTEXT = set(LEX["month_context"])
FALL_CONTEXT = re.compile(r"\b(?:in|during|until|since|by|this|last|next|over|through)\s+(?:the\s+)?$", re.I)
# A capitalised word right before a number makes it part of a name ("Russell 2000", "Long March 3"), unless the
# word is one that starts a date phrase or a sentence ("In 2008", "Since May 5").
NAME_BEFORE = re.compile(rf"(?<![.!?]\s)\b(?!(?:{'|'.join(LEX['not_names'])})\b)[A-Z][\w&-]*[a-zA-Z]\w*\s+$")
NAME_AFTER = re.compile(r"[ \t]*(?:[A-Z][a-z]|[Ii]ndex\b)")
FRACTION_OF = re.compile(r"\s+of\b", re.IGNORECASE)
MID_SENTENCE = re.compile(r"[\w,;]\s+$")
LEADING = sorted(LEX["leading_words"], key=len, reverse=True)
TENS = {"twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
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


SIMPLE_NUMBER = alternation([w for w in NUMBERS if w not in TENS] + list(LEX["vague_number"]))
NUMBER = (rf"\d+(?:[.,]\d+)?|(?:{alternation(TENS)})(?:[\s-](?:{alternation(list(NUMBERS)[2:11])}))?"
          rf"|{SIMPLE_NUMBER}")
CLASSES = {
    "month": rf"(?-i:{alternation(w.capitalize() for w in MONTHS)}|{alternation(w.upper() for w in MONTHS)})",
    "monthname": rf"(?-i:{alternation(w.capitalize() for w in MONTHS if len(w) > 3 or w == 'may')})",
    "weekday": rf"(?-i:{alternation(w.capitalize() for w in WEEKDAYS if len(w) > 4)})",
    "day": r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?(?!\d)",
    "year": r"(?<![\d$£€.,])(?:1[6-9]|20)\d\d(?![\d,.]\d)",
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
    "holiday": rf"(?-i:{alternation(w.title().replace('S ', 's ') for w in LEX['holiday'])})",
    "ordinal": alternation(LEX["ordinal"]),
    "clock": (r"(?P<hour>[01]?\d|2[0-3])(?:[:.](?P<minute>[0-5]\d))?\s*(?:(?P<ampm>[ap])\.?m\.?(?!\w)"
              r"(?:\s+\(?(?P<tz>UTC|GMT|EST|EDT|PST|PDT|CET|BST)(?:\s*[+-]\s*\d+)?\)?)?"
              r"|\s*\(?(?P<tz2>UTC|GMT|EST|EDT|PST|PDT|CET|BST)\)?)"
              r"|(?P<hour2>[01]\d|2[0-3])(?P<minute2>[0-5]\d)\s+(?P<tz3>UTC|GMT)"),
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
    anaphor: tuple[str, int] | None = None  # (unit, steps) from the last date mentioned, when there is one


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
    classes = {"unit": list(UNITS) + ["centuries"] + [u + "s" for u in UNITS], "half": ["half"],
               "dayword": list(LEX["deictic_day"]) + list(LEX["part_of_day"]), "reference": LEX["reference"],
               "set": LEX["set"], "season": LEX["season"], "month": MONTHS, "weekday": WEEKDAYS,
               "holiday": LEX["holiday"]}
    out: dict[str, set[str]] = {}
    for name, words in classes.items():
        for phrase in words:
            out.setdefault(phrase.split()[-1].replace("'s", ""), set()).add(name)
    return out


ANCHOR_WORDS = anchor_words()
CAPITALISED_CLASSES = {"month", "weekday", "holiday"}
WORD = re.compile(r"\w+")
WINDOW_BEFORE, WINDOW_AFTER = 45, 30  # chars of a match that can lie before / after its anchor word
TENSE_REACH = 12  # tokens either side searched for a tense cue
ANAPHORIC = {"following", "previous", "preceding", "prior"}
PERIOD_BEFORE = re.compile(r"\b(?:over|for|during|within|in|throughout|through)\s+$", re.IGNORECASE)
SENTENCE_BREAK = re.compile(r"[.!?]\s|\n")
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
    """'past' or 'future' from the nearest tense cue in the sentence, else None."""
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
            return tense if tense != "present" else None
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
        return tense_near(self.doc, self.start, self.end)

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


def duration_value(n: str, unit: str) -> str:
    code, _, is_time = UNITS[unit]
    if n != "X" and code[:-1].isdigit():  # decade = 10Y, century = 100Y, fortnight = 2W
        factor = int(code[:-1])
        amount = float(n) * factor
        n, code = str(int(amount)) if amount == int(amount) else str(amount), code[-1]
    elif code[:-1].isdigit():
        code = code[-1]
    return f"PT{n}{code}" if is_time else f"P{n}{code}"


def resolved_year(ctx: Context, month: int) -> tuple[int | None, bool]:
    """Year of a month named without one: the DCT's, moved by tense as HeidelTime does for news."""
    if ctx.dct is None:
        return None, False
    tense = ctx.tense()
    if tense == "past" and month > ctx.dct.month:
        return ctx.dct.year - 1, True
    if tense == "future" and month < ctx.dct.month:
        return ctx.dct.year + 1, True
    return ctx.dct.year, True


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
    if not g.get("modword") and NAME_BEFORE.search(ctx.before()) and (g.get("yy") or NAME_AFTER.match(ctx.after())):
        return None  # a number in a name: "Russell 2000 Index", "iLife '11"; but "WWDC 2005" is a year
    y = g.get("year")
    if y is None:
        yy = int(g["yy"])
        y = str(1900 + yy if yy >= 30 else 2000 + yy)
    return Timex("DATE", y, "year", mod_of(g.get("modword")))


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
    if g.get("year"):
        return Timex("DATE", f"{g['year']}-Q{q}", "quarter")
    y = relyear(g.get("relyear"), ctx)
    if y is not None and not g.get("relyear") and ctx.tense() == "past" and q > (ctx.dct.month - 1) // 3 + 1:
        y -= 1
    return Timex("DATE", f"{y}-Q{q}" if y else f"XXXX-Q{q}", "quarter", anchored=y is not None)


def half(g: dict, ctx: Context) -> Timex:
    h = 1 if g["half"].lower() == "first" else 2
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


def holiday(g: dict, ctx: Context) -> Timex:
    md = LEX["holiday"][" ".join(g["holiday"].lower().split()).replace("’", "'")]
    y = g.get("year") or relyear(None, ctx)
    return Timex("DATE", f"{y}-{md}" if y else f"XXXX-{md}", "day", anchored=not g.get("year") and y is not None)


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
    anaphor = (unit, n) if anaphoric else None
    if ctx.dct is None:
        return Timex("DATE", None, UNITS[unit][1], mod, anaphor=anaphor)
    got = shifted(ctx.dct, unit, n)
    return Timex("DATE", got[0], got[1], mod, anchored=True, anaphor=anaphor) if got else None


def rel_unit(g: dict, ctx: Context) -> Timex | None:
    rel, unit = g["relative"].lower(), unit_of(g["unit"])
    if g["unit"].lower().endswith("s") and unit != "century":
        return None
    text = ctx.text[ctx.start:ctx.end].lower()
    if rel in ("past", "coming") or (rel in ("last", "next") and text.startswith("the")
                                     and (rel == "last" or PERIOD_BEFORE.search(ctx.before()))):
        return Timex("DURATION", duration_value("1", unit), UNITS[unit][1])  # "(over) the past year": a period
    anaphoric = rel in ANAPHORIC or text.startswith("the")  # "the following month", "the next year"
    if UNITS[unit][2] or (unit == "day" and not (anaphoric and rel != "last")):
        return None  # "the next day" counts from a date; "this day", "last day" are not expressions of their own
    return relative_date(ctx, unit, RELATIVE[rel], anaphoric=anaphoric)


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
    unit = unit_of(g["unit"])
    n = number(g["num"], g.get("half")) if g.get("num") else "X"
    sign = -1 if g["dir"].lower() == "ago" else 1
    if n is None:
        return None
    if unit in ("decade", "century") and n != "X":
        n, unit = str(float(n) * (10 if unit == "decade" else 100)), "year"  # "a decade ago" is a year
    if n == "X":
        return Timex("DATE", "PAST_REF" if sign < 0 else "FUTURE_REF", None)
    if ctx.dct is None:
        return Timex("DATE", None, UNITS[unit][1])
    steps = sign * int(float(n))
    if unit == "week":
        return Timex("DATE", (ctx.dct + timedelta(weeks=steps)).isoformat(), "day", anchored=True)
    got = shifted(ctx.dct, unit, steps)
    return Timex("DATE", got[0], got[1], anchored=True) if got else None


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
        n = number(g["num"], g.get("half"))
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
    if ctx.capitalised_name():
        return None
    return Timex("DATE", LEX["reference"][" ".join(g["reference"].lower().split())], None)


def set_(g: dict, ctx: Context) -> Timex | None:
    if ctx.capitalised_name():
        return None
    if g.get("set"):
        value, gran = LEX["set"][g["set"].lower()]
        return Timex("SET", value, gran)
    unit = unit_of(g["unit"])
    return Timex("SET", duration_value("1", unit), UNITS[unit][1])


def clock_value(g: dict) -> str | None:
    hour = int(g.get("hour") or g.get("hour2"))
    minute = g.get("minute") or g.get("minute2")
    ampm = (g.get("ampm") or "").lower()
    tz = g.get("tz") or g.get("tz2") or g.get("tz3")
    if not ampm and not tz:
        return None
    if ampm and not 1 <= hour <= 12:
        return None
    hour = hour % 12 + (12 if ampm == "p" else 0) if ampm else hour
    zone = "Z" if tz and tz.upper() in ("UTC", "GMT") else ""
    return f"T{hour:02d}:{int(minute or 0):02d}{zone}"


def clock(g: dict, ctx: Context) -> Timex | None:
    t = clock_value(g)
    if t is None:
        return None
    day = day_of(g, ctx)
    own_day = bool(g.get("weekday") or g.get("deictic"))
    return Timex("TIME", (day or "XXXX-XX-XX") + t, "minute", anchored=day is not None,
                 anaphor=None if own_day else ("clock", 0))


def day_of(g: dict, ctx: Context) -> str | None:
    """The day a time of day belongs to: a weekday or deictic word in the match, else the DCT."""
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
    if part is None or rel in ("early", "late"):
        return None
    if ctx.dct is None:
        return Timex("TIME", f"XXXX-WXX-{WEEKDAYS[g['weekday'].lower()]}T{part}" if g.get("weekday") else None,
                     "part_of_day")
    day = ctx.dct - timedelta(days=1) if rel == "last" else None
    value = day.isoformat() if day else day_of(g, ctx)
    return Timex("TIME", f"{value}T{part}", "part_of_day", anchored=True)


def weekend(g: dict, ctx: Context) -> Timex:
    rel = g["rel"].lower()
    if ctx.dct is None:
        return Timex("DATE", None, "week")
    if rel == "the":
        rel = "this" if ctx.tense() == "future" or ctx.dct.isoweekday() >= 6 else "last"
    n = {"this": 0, "next": 1}.get(rel, 0 if ctx.dct.isoweekday() >= 6 else -1)
    return Timex("DATE", shifted(ctx.dct, "weekend", n)[0], "week", anchored=True)


def the_day(g: dict, ctx: Context) -> Timex | None:
    """'ended the day', 'for the week' in market reports: the day (week, ...) of publication."""
    return relative_date(ctx, g["unit"].lower(), 0)


NORMALISERS = {
    "full": full, "iso": iso, "numeric": numeric, "month_day": month_day, "month_year": month_year,
    "month": month, "year": year, "decade": decade, "century": century, "quarter": quarter, "half": half, "season": season,
    "holiday": holiday, "deictic": deictic, "mod_rel": mod_rel, "rel_unit": rel_unit, "rel_weekday": rel_weekday,
    "rel_month": rel_month, "weekday": weekday, "ago": ago, "range_dur": range_dur, "duration": duration,
    "bare_units": bare_units, "reference": reference, "set": set_, "clock": clock, "clock_day": clock,
    "day_clock": clock, "daypart": daypart, "weekend": weekend, "the_day": the_day,
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
    while end < len(text) and not text[end].isspace():  # never cut a word: lookaheads see the window only
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


def non_overlapping(cands: list[Candidate]) -> list[Candidate]:
    """Longest candidates first (earlier rule on ties), each kept only if it overlaps none kept before."""
    kept: list[Candidate] = []
    for c in sorted(cands, key=lambda c: (-c.length, c.rule, c.start)):
        if all(c.end <= k.start or c.start >= k.end for k in kept):
            kept.append(c)
    return sorted(kept, key=lambda c: c.start)


def entity_candidates(doc: Doc, doc_text: str, dct: date | None, taken: list[Candidate]) -> list[Candidate]:
    """spaCy DATE/TIME entities no rule found, kept when dateparser reads them as a date."""
    out = []
    for ent in doc.ents:
        if ent.label_ not in ("DATE", "TIME"):
            continue
        start, end = trimmed_span(doc_text, ent.start_char, ent.end_char)
        if start >= end or any(start < k.end and k.start < end for k in taken):
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
    chosen = non_overlapping(rule_candidates(doc, doc_text, published))
    chosen = sorted(chosen + entity_candidates(doc, doc_text, published, chosen), key=lambda c: c.start)
    chosen = resolve_anaphors(chosen, doc_text)
    return [date_row(article_id, text, c) for c in chosen]


def resolve_anaphors(chosen: list[Candidate], text: str) -> list[Candidate]:
    """'the following month' counts from the last date mentioned before it, if one is as fine-grained;
    a clock time takes the day named next to it in its sentence ('Tuesday ... at 18:00 UTC')."""
    out, ref = [], None
    for i, c in enumerate(chosen):
        t = c.timex
        if t.anaphor and t.anaphor[0] == "clock":
            day = day_in_sentence(chosen, i, text)
            if day:
                c = replace(c, timex=replace(t, value=day.value[:10] + t.value[t.value.index("T"):],
                                             anchored=day.anchored))
        elif t.anaphor and ref and GRANULARITY_RANK[ref[1]] <= GRANULARITY_RANK[UNITS[t.anaphor[0]][1]]:
            got = shifted(ref[0], *t.anaphor)
            if got:
                c = replace(c, timex=replace(t, value=got[0], granularity=got[1], anchored=False))
        elif t.type in ("DATE", "TIME") and t.granularity in GRANULARITY_RANK and (span := interval(t.value)):
            ref = (span[0], t.granularity)
        out.append(c)
    return out


def day_in_sentence(chosen: list[Candidate], i: int, text: str) -> Timex | None:
    """The nearest day-granular DATE in the same sentence as candidate I, if any."""
    c, best = chosen[i], None
    for other in chosen:
        t = other.timex
        if other is c or t.type != "DATE" or t.granularity != "day" or not t.value or "X" in t.value[:10]:
            continue
        gap = text[min(c.end, other.end):max(c.start, other.start)]
        if not SENTENCE_BREAK.search(gap) and (best is None or len(gap) < best[0]):
            best = (len(gap), t)
    return best[1] if best else None


def date_row(article_id: str, text: str, c: Candidate) -> DateRow:
    t = c.timex
    span = interval(t.value) if t.type in ("DATE", "TIME") else None
    return DateRow(article_id, c.start, c.end, text[c.start:c.end], t.type, t.value, t.mod, t.granularity,
                   span[0] if span else None, span[1] if span else None, t.anchored)
