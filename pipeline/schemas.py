"""The one place that declares every table: its Arrow schema, what one row is, and what each column means."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from pipeline import rows


def col(name: str, type_: pa.DataType, doc: str, *, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"description": doc})


ARTICLE_ID = col("article_id", pa.string(), "Article id: file name without .txt, or the JSONL `id`.", nullable=False)
START = col("start_char", pa.int64(), "Start offset into articles.text (Python str index).", nullable=False)
END = col("end_char", pa.int64(), "End offset into articles.text, exclusive.", nullable=False)
SENTENCE = col("sentence_index", pa.int32(), "Sentence holding start_char: joins sentences on (article_id, "
               "sentence_index).", nullable=False)

PROVENANCE = [
    col("run_id", pa.string(), "Id of the run that wrote this row."),
    col("pipeline_version", pa.string(), "Pipeline release and code/models fingerprint that wrote the row."),
    col("model", pa.string(), "spaCy model name and version used for the row."),
]


@dataclass(frozen=True)
class Table:
    name: str
    row_type: type
    one_row_per: str
    fields: list[pa.Field]
    provenance: bool = True

    @property
    def schema(self) -> pa.Schema:
        return pa.schema(self.fields + (PROVENANCE if self.provenance else []))

    @property
    def row_schema(self) -> pa.Schema:
        """The columns extraction fills; the writer adds the provenance columns."""
        return pa.schema(self.fields)


TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table("articles", rows.ArticleRow, "article", [
            ARTICLE_ID,
            col("source", pa.string(), "Input file the article came from (JSONL: file and line number).", nullable=False),
            col("published", pa.date32(), "Publication date; null if unknown."),
            col("title", pa.string(), "Title, when the input gives one."),
            col("url", pa.string(), "URL, when the input gives one."),
            col("text", pa.string(), "Full article text as read; every offset indexes this string.", nullable=False),
            col("content_sha256", pa.string(), "SHA-256 of the text and metadata, for change detection.", nullable=False),
            col("n_tokens", pa.int64(), "Number of non-space spaCy tokens.", nullable=False),
        ]),
        Table("sentences", rows.SentenceRow, "sentence", [
            ARTICLE_ID,
            col("sentence_index", pa.int32(), "0-based sentence number within the article.", nullable=False),
            START, END,
            col("text", pa.string(), "Sentence text.", nullable=False),
        ]),
        Table("tokens", rows.TokenRow, "token (whitespace tokens left out)", [
            ARTICLE_ID,
            col("token_index", pa.int32(), "spaCy token index within the article.", nullable=False),
            col("sentence_index", pa.int32(), "Sentence the token belongs to.", nullable=False),
            START, END,
            col("text", pa.string(), "Token text.", nullable=False),
            col("lemma", pa.string(), "Lemma (empty when the lemmatizer did not run)."),
            col("pos", pa.string(), "Universal part of speech (empty when the tagger did not run)."),
            col("tag", pa.string(), "Fine-grained Penn tag."),
            col("dep", pa.string(), "Dependency relation to the head (empty without the parser)."),
            col("head_index", pa.int32(), "token_index of the syntactic head."),
            col("ent_type", pa.string(), "Entity label of the mention covering the token, or empty."),
        ]),
        Table("mentions", rows.MentionRow, "named-entity mention", [
            ARTICLE_ID, START, END,
            col("text", pa.string(), "Mention text.", nullable=False),
            col("label", pa.string(), "OntoNotes label (PERSON, ORG, GPE, LOC, NORP, ...), voted over the entity's mentions.", nullable=False),
            col("entity_id", pa.string(), "Canonical entity id; joins entities.entity_id.", nullable=False),
            col("entity_name", pa.string(), "Canonical name of the entity within this article.", nullable=False),
            SENTENCE,
        ]),
        Table("entities", rows.EntityRow, "canonical entity across all articles", [
            col("entity_id", pa.string(), "Stable id derived from the entity's representative name.", nullable=False),
            col("name", pa.string(), "Canonical name: the most frequent full form.", nullable=False),
            col("label", pa.string(), "OntoNotes label.", nullable=False),
            col("aliases", pa.list_(pa.string()), "Every surface form seen for the entity.", nullable=False),
            col("n_mentions", pa.int64(), "Number of mentions over all articles.", nullable=False),
            col("n_articles", pa.int64(), "Number of articles that mention it.", nullable=False),
        ]),
        Table("dates", rows.DateRow, "temporal expression (TIMEX3)", [
            ARTICLE_ID, START, END,
            col("text", pa.string(), "Expression text, without a leading preposition.", nullable=False),
            col("type", pa.string(), "TIMEX3 type: DATE, TIME, DURATION or SET.", nullable=False),
            col("value", pa.string(), "TIMEX3 value (2025-11-19, 2025-W47, P2Y, XXXX-10, PRESENT_REF); null if unresolved."),
            col("mod", pa.string(), "TIMEX3 mod (START, MID, END, APPROX, ...)."),
            col("granularity", pa.string(), "Unit of the value: year, quarter, month, week, day, hour, ..."),
            col("start_date", pa.date32(), "First day of the interval the expression denotes."),
            col("end_date", pa.date32(), "Last day of that interval (inclusive)."),
            col("anchored", pa.bool_(), "True when the value needed the publication date.", nullable=False),
            SENTENCE,
        ]),
        Table("quotes", rows.QuoteRow, "quotation or reported statement", [
            ARTICLE_ID, START, END,
            col("text", pa.string(), "Quote content without quotation marks.", nullable=False),
            col("kind", pa.string(), "direct, partial or indirect.", nullable=False),
            col("speaker_mention_text", pa.string(), "Where the attribution refers to the speaker, as written there ('he', 'the spokesman')."),
            col("speaker_mention_start_char", pa.int64(), "Start offset of speaker_mention_text."),
            col("speaker_mention_end_char", pa.int64(), "End offset of speaker_mention_text, exclusive."),
            col("speaker_text", pa.string(), "Span naming the speaker: the mention, or the name a pronoun or description resolves to."),
            col("speaker_start_char", pa.int64(), "Start offset of speaker_text."),
            col("speaker_end_char", pa.int64(), "End offset of speaker_text, exclusive."),
            col("speaker_entity_id", pa.string(), "Speaker's entity; joins entities.entity_id. Null for an unnamed source."),
            col("cue", pa.string(), "Reporting verb (or 'according to')."),
            col("cue_start_char", pa.int64(), "Start offset of the cue in articles.text."),
            col("cue_end_char", pa.int64(), "End offset of the cue, exclusive."),
            SENTENCE,
            col("quote_id", pa.string(), "Id of the quote, unique over the table: a hash of article_id and the "
                "quote's offsets, so the same across runs while the article's text is.", nullable=False),
        ]),
        Table("errors", rows.ErrorRow, "input that could not be processed", [
            col("source", pa.string(), "Input file (and line) that failed.", nullable=False),
            col("article_id", pa.string(), "Article id when known."),
            col("stage", pa.string(), "Stage that failed: read, parse, extract.", nullable=False),
            col("error", pa.string(), "What went wrong, in words.", nullable=False),
        ]),
    ]
}

ARTICLE_TABLES = [name for name in TABLES if name != "entities"]
