"""One frozen dataclass per table: what the stages produce, before provenance is added at write time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class ArticleRow:
    article_id: str
    source: str
    published: date | None
    title: str | None
    url: str | None
    text: str
    content_sha256: str
    n_tokens: int


@dataclass(frozen=True, slots=True)
class SentenceRow:
    article_id: str
    sentence_index: int
    start_char: int
    end_char: int
    text: str


@dataclass(frozen=True, slots=True)
class TokenRow:
    article_id: str
    token_index: int
    sentence_index: int
    start_char: int
    end_char: int
    text: str
    lemma: str
    pos: str
    tag: str
    dep: str
    head_index: int
    ent_type: str


@dataclass(frozen=True, slots=True)
class MentionRow:
    article_id: str
    start_char: int
    end_char: int
    text: str
    label: str
    entity_id: str
    entity_name: str
    sentence_index: int | None = None  # filled by batch.extract_rows from the sentence rows


@dataclass(frozen=True, slots=True)
class EntityRow:
    entity_id: str
    name: str
    label: str
    aliases: list[str] = field(default_factory=list)
    n_mentions: int = 0
    n_articles: int = 0


@dataclass(frozen=True, slots=True)
class DateRow:
    article_id: str
    start_char: int
    end_char: int
    text: str
    type: str
    value: str | None
    mod: str | None
    granularity: str | None
    start_date: date | None
    end_date: date | None
    anchored: bool
    sentence_index: int | None = None  # filled by batch.extract_rows from the sentence rows


@dataclass(frozen=True, slots=True)
class QuoteRow:
    article_id: str
    start_char: int
    end_char: int
    text: str
    kind: str
    speaker_mention_text: str | None
    speaker_mention_start_char: int | None
    speaker_mention_end_char: int | None
    speaker_text: str | None
    speaker_start_char: int | None
    speaker_end_char: int | None
    speaker_entity_id: str | None
    cue: str | None
    cue_start_char: int | None = None
    cue_end_char: int | None = None
    sentence_index: int | None = None  # this and quote_id are filled by batch.extract_rows
    quote_id: str | None = None


@dataclass(frozen=True, slots=True)
class ErrorRow:
    source: str
    article_id: str | None
    stage: str
    error: str
