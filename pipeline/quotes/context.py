"""What attribution needs about one article, computed once in linear time, and what it produces."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
from spacy.attrs import IDX, IS_QUOTE, LEMMA, LOWER, SENT_START
from spacy.strings import get_string_id
from spacy.tokens import Doc, Span, Token

from pipeline.quotes.lexicon import (
    CUE_FORMS,
    CUE_VERBS,
    NEWLINE,
    PRONOUN_SEX,
    SEX_OF_NAME,
)
from pipeline.quotes.marks import Marked
from pipeline.rows import MentionRow


@dataclass(frozen=True, slots=True)
class Speaker:
    """Who speaks: the name the attribution resolves to (start, end, entity) and the attribution's own words."""

    start: int
    end: int
    entity_id: str | None
    mention: tuple[int, int] | None = None

    def at(self, start: int, end: int) -> Speaker:
        return replace(self, mention=(start, end))

    @property
    def mention_span(self) -> tuple[int, int]:
        return self.mention or (self.start, self.end)


@dataclass(frozen=True, slots=True)
class Attribution:
    cue_at: int
    cue_end: int
    subject: Token | Speaker  # a Speaker when no parse gave a subject token


# string hashes of the words that can be cues: lemmas (as a lemmatizer may case them), or forms without one
_CUE_LEMMA_IDS = np.array([get_string_id(w) for v in CUE_VERBS for w in (v, v.title(), v.upper())], dtype=np.uint64)
_CUE_FORM_IDS = np.array([get_string_id(form) for form in CUE_FORMS], dtype=np.uint64)


class Context:
    """What attribution needs about one article: its mentions, its quoted tokens, whether it was parsed."""

    def __init__(self, doc: Doc, text: str, mentions: list[MentionRow], marked: list[Marked]):
        self.doc, self.text = doc, text
        self.parsed = doc.has_annotation("DEP")
        self.lemmas = doc.has_annotation("LEMMA")
        self.mentions = sorted(mentions, key=lambda m: m.start_char)
        self.mention_starts = [m.start_char for m in self.mentions]
        self.quoted = [False] * len(doc)
        for q in marked:
            span = doc.char_span(q.start, q.end, alignment_mode="expand")
            if span is not None:
                self.quoted[span.start : span.end] = [True] * len(span)
        marks = np.array(self.quoted, dtype=bool) | (doc.to_array(IS_QUOTE) == 1) if len(doc) else np.zeros(0, bool)
        self.quoted_before = [0, *np.cumsum(marks).tolist()]
        self.quoted_at = [i for i, q in enumerate(self.quoted) if q]
        self.newlines = [m.start() for m in NEWLINE.finditer(text)]
        self.token_starts = doc.to_array(IDX).tolist() if len(doc) else []
        self.line_start, self.sent_start, self.sent_end = _token_bounds(doc, self.newlines)
        self.unquoted = [m for m in self.mentions if not self._in_quote(m.start_char)]
        self.unquoted_starts = [m.start_char for m in self.unquoted]
        self.entity_sex: dict[str, str] = {}
        for m in self.mentions:
            words = m.text.split()
            sex = SEX_OF_NAME.get(words[0].rstrip(".")) if m.label == "PERSON" and words else None
            if sex:
                self.entity_sex.setdefault(m.entity_id, sex)
        self.speakers: list[tuple[int, int, Speaker]] = []  # (sentence start, token index, resolved speaker)
        self.speaker_at: list[int] = []  # token index of each entry of speakers
        self.named_speakers: list[tuple[int, Speaker]] = []  # the ones whose subject is a proper noun
        self.cue_candidates = self._cue_candidates()
        self.cue_set = set(self.cue_candidates)

    def _cue_candidates(self) -> list[int]:
        """Indices of the tokens whose word could make them a cue; is_cue looks only at these."""
        words = self.doc.to_array([LEMMA if self.lemmas else LOWER, LOWER])
        cues = np.isin(words[:, 0], _CUE_LEMMA_IDS if self.lemmas else _CUE_FORM_IDS)
        return np.flatnonzero(cues | (words[:, 1] == get_string_id("according"))).tolist()

    def mention_at(self, start: int, end: int) -> MentionRow | None:
        k = bisect.bisect_right(self.mention_starts, start) - 1
        if k >= 0 and self.mentions[k].end_char >= end:
            return self.mentions[k]
        return None

    def mentions_before(self, offset: int) -> Iterator[MentionRow]:
        """Mentions outside quotations that start before OFFSET, nearest first."""
        k = bisect.bisect_left(self.unquoted_starts, offset)
        return (self.unquoted[j] for j in range(k - 1, -1, -1))

    def candidates_in(self, start: int, end: int) -> list[int]:
        """Cue candidates among tokens START:END."""
        return self.cue_candidates[
            bisect.bisect_left(self.cue_candidates, start) : bisect.bisect_left(self.cue_candidates, end)
        ]

    def first_quoted(self, start: int, end: int) -> int | None:
        k = bisect.bisect_left(self.quoted_at, start)
        return self.quoted_at[k] if k < len(self.quoted_at) and self.quoted_at[k] < end else None

    def fits(self, pronoun: str, who: MentionRow | Speaker) -> bool:
        """Whether WHO may be what PRONOUN refers to: he/she against a known sex, they/we never one person."""
        if isinstance(who, Speaker):
            mention = self.mention_at(who.start, who.end)
            label, sex = (mention.label if mention else None), self.sex(who.entity_id, self.text[who.start : who.end])
        else:
            label, sex = who.label, self.sex(who.entity_id, who.text)
        if pronoun in PRONOUN_SEX:
            return sex is None or sex == PRONOUN_SEX[pronoun]
        return label != "PERSON" and sex is None

    def sex(self, entity_id: str | None, text: str) -> str | None:
        """The sex a person's given name or honorific tells, here or at another mention of the same entity."""
        words = text.split()
        first = SEX_OF_NAME.get(words[0].rstrip(".")) if words else None
        return first or (self.entity_sex.get(entity_id) if entity_id is not None else None)

    def sent(self, tok: Token) -> Span:
        return self.doc[self.sent_start[tok.i] : self.sent_end[tok.i]]

    def has_quote(self, start: int, end: int) -> bool:
        """Whether tokens START:END hold a quoted token or a quotation mark."""
        return self.quoted_before[end] > self.quoted_before[start]

    def paragraph(self, offset: int) -> tuple[int, int]:
        """Character bounds of the line holding OFFSET."""
        k = bisect.bisect_left(self.newlines, offset)
        return (self.newlines[k - 1] + 1 if k else 0), (self.newlines[k] if k < len(self.newlines) else len(self.text))

    def _in_quote(self, offset: int) -> bool:
        k = bisect.bisect_right(self.token_starts, offset) - 1
        return k >= 0 and self.quoted[k]

    def lemma(self, tok: Token) -> str:
        return self.word(tok.lemma_ if self.lemmas else tok.lower_)

    def word(self, lemma_or_form: str) -> str:
        """A token's lemma in lower case, or without a lemmatizer the lemma its form inflects."""
        return lemma_or_form.lower() if self.lemmas else CUE_FORMS.get(lemma_or_form, "")


def _token_bounds(doc: Doc, newlines: list[int]) -> tuple[list[int], list[int], list[int]]:
    """For every token: the index of the first token of its line, and its sentence's token bounds."""
    n = len(doc)
    if n == 0:
        return [], [], []
    starts = doc.to_array(IDX).astype(np.int64)
    line_first = np.searchsorted(starts, np.asarray(newlines, dtype=np.int64) + 1)  # first token of each next line
    line_start = np.concatenate(([0], line_first))[np.searchsorted(newlines, starts, side="right")]
    sent_firsts = np.array([0])
    if doc.has_annotation("SENT_START") or doc.has_annotation("DEP"):
        sent_firsts = np.union1d(sent_firsts, np.flatnonzero(doc.to_array(SENT_START) == 1))
    k = np.searchsorted(sent_firsts, np.arange(n), side="right") - 1
    sent_ends = np.append(sent_firsts[1:], n)
    return line_start.tolist(), sent_firsts[k].tolist(), sent_ends[k].tolist()


def last_char(text: str, end: int) -> str:
    """The last non-space character of TEXT before END, or ''."""
    while end > 0 and text[end - 1].isspace():
        end -= 1
    return text[end - 1] if end > 0 else ""
