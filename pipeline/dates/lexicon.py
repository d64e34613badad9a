"""Word classes of models/dates/lexicon.json, the regexes of models/dates/rules.tsv built from them, and the
TIMEX3 value type the rules give."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import MODELS_DIR

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
SPELLED_YEAR = (
    rf"(?:nineteen|twenty)[\s-]+(?:(?:{alternation(LEX['tens'])})(?:[\s-](?:{UNITS_WORDS}))?"
    rf"|ten|eleven|twelve|(?:thir|four|fif|six|seven|eigh|nine)teen)"
    rf"|two\s+thousand(?:\s+(?:and\s+)?(?:{UNITS_WORDS}))?"
)
SIMPLE_NUMBER = alternation([w for w in NUMBERS if w not in TENS] + list(LEX["vague_number"]))
NUMBER = (
    rf"\d{{1,3}}(?:,\d{{3}})+(?!\d)|\d+(?:[.,]\d+)?"
    rf"|(?:{alternation(TENS)})(?:[\s-](?:{alternation(list(NUMBERS)[2:11])}))?"
    rf"|{SIMPLE_NUMBER}"
)
CLASSES = {
    "month": rf"(?-i:{alternation(w.capitalize() for w in MONTHS)}|{alternation(w.upper() for w in MONTHS)})",
    "monthname": rf"(?-i:{alternation(w.capitalize() for w in MONTHS if len(w) > 3 or w == 'may')})",
    "weekday": rf"(?-i:{alternation(w.capitalize() for w in WEEKDAYS if len(w) > 4)})",
    "day": r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?(?!\d)",
    "year": rf"(?<![\d$£€.,/#])(?:1[6-9]|20)\d\d(?![\d,.]\d)|{SPELLED_YEAR}",
    "num": rf"(?:{NUMBER})(?P<half>\s+and\s+a\s+half|\s+1/2|\s*½)?",
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
    "clock": (
        r"(?P<hour>[01]?\d|2[0-3])(?:(?P<sep>[:.])(?P<minute>[0-5]\d)(?::[0-5]\d)?)?"
        r"(?:\s*(?P<ampm>[ap])\.?m\.?(?!\w)|\s+(?P<oclock>o'clock)|\s+(?P<hours>hours))?"
        rf"(?:\s*(?:\(\s*(?P<tzp>{ZONE})(?:\s*(?P<offp>[+-]\s*\d\d?))?\s*\)|(?P<tz>{ZONE})(?:\s*(?P<off>[+-]\s*\d\d?))?))?"
        rf"(?:\s+in\s+the\s+(?P<inpart>morning|afternoon|evening|night))?"
        r"|(?P<hour2>[01]\d|2[0-3])(?P<minute2>[0-5]\d)\s+(?P<tz3>UTC|GMT)"
    ),
    "named": alternation(LEX["named_time"]),
    "decade_word": alternation(LEX["decade_word"]),
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
            regex = re.compile(rf"(?<![\w'’:/.,-])(?:{expand(pattern)})(?!\w|-\w)", re.IGNORECASE)
            rules.append(Rule(name, type_, anchor, regex))
    return rules


RULES = load_rules(MODELS / "rules.tsv")


# A rule's match always contains a word of its anchor class; rules run only near one, which keeps them cheap.
def anchor_words() -> dict[str, set[str]]:
    """Lowercase word -> anchor classes it belongs to; a phrase is anchored by its last word."""
    classes = {
        "unit": [*UNITS, "centuries", "period", "end", *(u + "s" for u in UNITS)],
        "half": ["half"],
        "dayword": [
            *LEX["deictic_day"],
            *LEX["part_of_day"],
            *LEX["named_time"],
            *(p + "s" for p in LEX["part_of_day"]),
        ],
        "reference": LEX["reference"],
        "set": LEX["set"],
        "season": LEX["season"],
        "month": MONTHS,
        "weekday": [*WEEKDAYS, *(w + "s" for w in WEEKDAYS)],
        "holiday": LEX["holiday"],
        "yearword": ["nineteen", "twenty", "thousand", *LEX["decade_word"]],
    }
    out: dict[str, set[str]] = {}
    for name, words in classes.items():
        for phrase in words:
            out.setdefault(phrase.split()[-1].replace("'s", ""), set()).add(name)
    return out


ANCHOR_WORDS = anchor_words()


ANAPHORIC = set(LEX["anaphoric"])
ATTRIBUTIVE_NOT_SET = set(LEX["attributive_not_set"])
PERIOD_BEFORE = re.compile(rf"\b(?:{'|'.join(LEX['period_before'])})\s+$", re.IGNORECASE)
