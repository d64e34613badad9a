"""The context of an expression: the tense of the clause around it, the text before and after it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from spacy.tokens import Doc

from pipeline.dates.lexicon import FUTURE_CUES, FUTURE_NEEDS_TO, MID_SENTENCE, PAST_CUES, PRESENT_CUES

TENSE_REACH = 12  # tokens either side searched for a tense cue


def tense_near(doc: Doc, start: int, end: int) -> str | None:
    """'past', 'present' or 'future' from the nearest tense cue in the sentence, else None."""
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None:
        return None
    left = (tok for tok in reversed(doc[max(0, span.start - TENSE_REACH) : span.start]))
    right = (tok for tok in doc[span.end : span.end + TENSE_REACH])
    nearest_first = interleave(
        left, right, stop_left=lambda t: doc[t.i + 1].is_sent_start, stop_right=lambda t: t.is_sent_start
    )
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
            return "past" if needs_to and after_past_auxiliary(tok) else "future"
    if (
        tok.tag_ == "VBD"
        or participle_clause(tok)
        or (not tok.tag_ and low in PAST_CUES)
        or low in ("ago", "earlier", "previously", "since")
    ):
        return "past"
    if tok.tag_ in ("VBZ", "VBP") or low in PRESENT_CUES:
        return "present"
    return None


def participle_clause(tok) -> bool:
    """'the record set on Aug. 6', 'the terms, announced Friday, ...': a past participle without auxiliary."""
    return (
        tok.tag_ == "VBN"
        and tok.dep_ in ("acl", "advcl")
        and not any(c.dep_ in ("aux", "auxpass") for c in tok.children)
    )


def after_past_auxiliary(tok) -> bool:
    """'was due to', 'had been scheduled for': a plan reported in the past, its date past by now."""
    prev = tok.doc[tok.i - 1] if tok.i else None
    if prev is not None and prev.lower_ == "been" and prev.i:
        prev = tok.doc[prev.i - 1]
    return prev is not None and prev.tag_ == "VBD"


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
        return self.text[max(0, self.start - width) : self.start]

    def capitalised_name(self) -> bool:
        """A lowercase-class word capitalised mid-sentence is a name: 'USA Today', 'Daily Hive'."""
        words = self.text[self.start : self.end].split()
        first_is_name = words[0][0].isupper() and MID_SENTENCE.search(self.before()) is not None
        return first_is_name or any(w[0].isupper() for w in words[1:])

    def after(self, width: int = 30) -> str:
        return self.text[self.end : self.end + width]

    def previous_word(self) -> str:
        m = re.search(r"([\w'’-]+)\W*$", self.before())
        return m.group(1).lower() if m else ""
