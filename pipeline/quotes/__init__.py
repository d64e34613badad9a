"""Stage 3c: quotations and reported speech of one Doc, with speaker and cue verb.

Quotation marks are paired on the raw text (so unbalanced marks cost at most one quote and a NER-only run still
finds them); speakers, cues and reported speech come from the dependency parse when the Doc has one.
"""

from __future__ import annotations

from spacy.tokens import Doc, Token

from pipeline.quotes.context import Attribution, Context
from pipeline.quotes.cues import (
    attribute_marked,
    is_cue,
    is_partial,
    is_title,
    worth_keeping,
)
from pipeline.quotes.lexicon import (
    CUE_VERBS,
    OTHER_PRONOUNS,
    PERSON_PRONOUNS,
    RELATIVES,
)
from pipeline.quotes.marks import Marked, quotation_spans
from pipeline.quotes.reported import _row, indirect_rows
from pipeline.quotes.speakers import own_subject, resolve_speaker, subject_of
from pipeline.rows import MentionRow, QuoteRow

__all__ = ["extract_quotes", "quotation_spans"]


def _cue_token(ctx: Context, attr: Attribution) -> Token | None:
    span = ctx.doc.char_span(attr.cue_at, attr.cue_end, alignment_mode="expand")
    return span[0] if span is not None and len(span) else None


def marked_rows(marked: list[Marked], ctx: Context, article_id: str) -> list[QuoteRow]:
    """Rows for quotations in marks; a piece without its own cue shares the speaker of its neighbour piece."""
    attrs = [attribute_marked(q, ctx) for q in marked]
    for k in range(len(marked) - 2, -1, -1):  # a paragraph-spanning quotation is attributed at its end
        if attrs[k] is None and marked[k].continues:
            attrs[k] = attrs[k + 1]
    for k in range(1, len(marked)):  # "...," he said. "..." : the second piece takes the first one's speaker
        previous = attrs[k - 1]
        if attrs[k] is None and previous is not None and _adjacent(marked[k - 1], marked[k], previous, ctx.text):
            attrs[k] = attrs[k - 1]
    rows = []
    for q, attr in zip(marked, attrs):
        if is_title(q, ctx.text) or (attr is None and not worth_keeping(q, ctx.text)):
            continue
        speaker = resolve_speaker(attr.subject, ctx) if attr else None
        cue_tok = _cue_token(ctx, attr) if attr else None
        kind = "partial" if is_partial(q, cue_tok, ctx) else "direct"
        cue = (attr.cue_at, attr.cue_end) if attr else None
        rows.append(_row(article_id, ctx.text, q.start, q.end, kind, speaker, cue))
    return rows


def _adjacent(a: Marked, b: Marked, attr: Attribution, text: str) -> bool:
    """B follows A with nothing but A's attribution between them, in one paragraph or continuing it."""
    gap = text[a.end + 1 : b.open_at]
    if a.continues:
        return True
    if "\n" in gap.strip() or len(gap) > 400:
        return False
    return a.end < attr.cue_at < b.open_at or not any(ch.isalnum() for ch in gap)


def remember_speakers(ctx: Context) -> None:
    """Non-pronoun subjects of every cue, in text order, for resolving later pronouns."""
    found = []
    for cue in map(ctx.doc.__getitem__, ctx.cue_candidates):
        if is_cue(cue, ctx, CUE_VERBS):
            subject = own_subject(cue, ctx) if cue.lower_ != "according" else subject_of(cue, ctx)
            if subject is not None and subject.lower_ in RELATIVES and cue.dep_ == "relcl":
                subject = cue.head
            if subject is not None and subject.lower_ not in PERSON_PRONOUNS | OTHER_PRONOUNS | RELATIVES:
                found.append((subject, resolve_speaker(subject, ctx)))
    found.sort(key=lambda pair: pair[0].i)
    ctx.speakers = [(ctx.sent_start[subject.i], subject.i, speaker) for subject, speaker in found]
    ctx.speaker_at = [subject.i for subject, _ in found]
    ctx.named_speakers = [(subject.i, speaker) for subject, speaker in found if subject.pos_ == "PROPN"]


def extract_quotes(doc: Doc, *, article_id: str, text: str, mentions: list[MentionRow]) -> list[QuoteRow]:
    """Quotations in marks (direct or partial) and reported speech (indirect), each with speaker and cue."""
    marked = quotation_spans(text)
    ctx = Context(doc, text, mentions, marked)
    if ctx.parsed:
        remember_speakers(ctx)
    rows = marked_rows(marked, ctx, article_id)
    if ctx.parsed:
        rows += indirect_rows(ctx, article_id)
    unique = {(r.start_char, r.end_char): r for r in rows}
    return sorted(unique.values(), key=lambda r: r.start_char)
