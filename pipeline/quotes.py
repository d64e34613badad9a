"""Stage 3c: quotations and reported speech of one Doc, with speaker and cue verb."""

from __future__ import annotations

import re

from spacy.tokens import Doc

from pipeline.rows import MentionRow, QuoteRow

QUOTED = re.compile(r"[\"“]([^\"“”\n]+)[\"”]")


def extract_quotes(doc: Doc, *, article_id: str, text: str, mentions: list[MentionRow]) -> list[QuoteRow]:
    """Text between quotation marks, attributed to the nearest PERSON in the same sentence."""
    out = []
    for match in QUOTED.finditer(text):
        start, end = match.span(1)
        sent = doc.char_span(start, end, alignment_mode="expand")
        sent = sent.sent if sent is not None else None
        people = [m for m in mentions if m.label == "PERSON" and sent is not None
                  and sent.start_char <= m.start_char < sent.end_char]
        speaker = min(people, key=lambda m: abs(m.start_char - end), default=None)
        cue = next((t.text for t in sent if t.pos_ == "VERB"), None) if sent is not None else None
        out.append(QuoteRow(article_id, start, end, text[start:end], "direct",
                            speaker.text if speaker else None, speaker.start_char if speaker else None,
                            speaker.end_char if speaker else None, speaker.entity_id if speaker else None, cue))
    return out
