"""Stage 3a: named-entity mentions of one Doc, and canonical entities over many articles."""

from __future__ import annotations

import hashlib
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable

from spacy.tokens import Doc

from pipeline.rows import EntityRow, MentionRow

LABELS = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW", "LANGUAGE"}


def fold(name: str) -> str:
    """Accent-, case- and apostrophe-insensitive key of a name."""
    decomposed = unicodedata.normalize("NFKD", name)
    return " ".join("".join(c for c in decomposed if c.isalnum() or c.isspace()).lower().split())


def entity_id(name: str, label: str) -> str:
    return hashlib.sha1(f"{label}|{fold(name)}".encode()).hexdigest()[:16]


def extract_mentions(doc: Doc, *, article_id: str, text: str) -> list[MentionRow]:
    """Mentions of named entities, each linked to the article's longest name that ends with it."""
    spans = [(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in LABELS]
    names = [text[s:e] for s, e, _ in spans]
    out = []
    for (start, end, label), surface in zip(spans, names):
        canonical = max((n for n in names if n.endswith(surface)), key=len)
        out.append(MentionRow(article_id, start, end, surface, label, entity_id(canonical, label), canonical))
    return out


def build_entities(mentions: Iterable[MentionRow]) -> list[EntityRow]:
    """One row per entity_id over all articles: most frequent name, all aliases, counts."""
    names: dict[str, Counter] = defaultdict(Counter)
    aliases: dict[str, set] = defaultdict(set)
    articles: dict[str, set] = defaultdict(set)
    labels: dict[str, str] = {}
    for m in mentions:
        names[m.entity_id][m.entity_name] += 1
        aliases[m.entity_id].add(m.text)
        articles[m.entity_id].add(m.article_id)
        labels[m.entity_id] = m.label
    return [
        EntityRow(eid, min(c, key=lambda n: (-c[n], n)), labels[eid], sorted(aliases[eid]),
                  sum(c.values()), len(articles[eid]))
        for eid, c in sorted(names.items())
    ]
