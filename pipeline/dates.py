"""Stage 3b: temporal expressions of one Doc as TIMEX3, resolved against the publication date."""

from __future__ import annotations

from datetime import date, datetime

import dateparser
from spacy.tokens import Doc

from pipeline.rows import DateRow


def extract_dates(doc: Doc, *, article_id: str, text: str, published: date | None) -> list[DateRow]:
    """DATE/TIME entities, with a value where dateparser resolves them."""
    out = []
    for ent in doc.ents:
        if ent.label_ not in ("DATE", "TIME"):
            continue
        settings = {"RELATIVE_BASE": datetime.combine(published, datetime.min.time())} if published else {}
        parsed = dateparser.parse(ent.text, settings={**settings, "PREFER_DATES_FROM": "past"})
        value = parsed.date().isoformat() if parsed and published else None
        out.append(DateRow(article_id, ent.start_char, ent.end_char, text[ent.start_char:ent.end_char], ent.label_,
                           value, None, "day" if value else None, None, None, bool(value)))
    return out
