"""The unit of work: a batch of items in, every per-article table's rows out. Local runner and Dask both call it.

An Article runs both stages: parse (the model's Doc, stored, plus the articles, sentences and tokens rows) and
extract (mentions, dates, quotes from that Doc). A Parsed item runs extract only, on its stored Doc rebuilt in a
blank vocabulary of its language: no model is loaded, and the extractors see the same annotations.
"""

from __future__ import annotations

import hashlib
import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa
import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab

from pipeline.articles import Article
from pipeline.config import Config
from pipeline.dates import extract_dates
from pipeline.entities import extract_mentions
from pipeline.manifest import Parsed
from pipeline.parse import load_model, parse, sentence_rows, token_table
from pipeline.quotes import extract_quotes
from pipeline.rows import ArticleRow, ErrorRow
from pipeline.schemas import ARTICLE_TABLES, STORED_PARSE
from pipeline.write import OUTPUT_TABLES, Tables, to_arrow

_MODELS: dict[tuple, Language] = {}
_VOCABS: dict[str, Vocab] = {}
VOCAB_STRINGS_BOUND = 400_000  # the small English model starts with about 85,000
# What the stored parse keeps of a Doc: every annotation the extractors read (and the text, via ORTH and spaces).
STORED_ATTRS = ["ORTH", "NORM", "TAG", "HEAD", "DEP", "ENT_IOB", "ENT_TYPE", "LEMMA", "MORPH", "POS", "SENT_START"]
SENTENCE_LINKED = ("mentions", "dates", "quotes")  # tables whose rows get the sentence_index of their start


def model_for(cfg: Config) -> Language:
    """The model for CFG, loaded once per process (workers never receive it pickled)."""
    key = (cfg.model, cfg.components)  # what load_model depends on; other settings must not reload it
    if key not in _MODELS:
        _MODELS[key] = load_model(cfg)
    return _MODELS[key]


def parse_rows(doc: Doc, article: Article) -> Tables:
    """The parse stage's tables for one parsed article (the stored parse aside)."""
    tokens = token_table(doc, article)
    row = ArticleRow(
        article.article_id,
        article.source,
        article.published,
        article.title,
        article.url,
        article.text,
        article.content_sha256,
        tokens.num_rows,
    )
    return {
        "articles": to_arrow("articles", [row]),
        "sentences": to_arrow("sentences", sentence_rows(doc, article)),
        "tokens": tokens,
    }


def extract_rows(doc: Doc, article: Article) -> Tables:
    """The extract stage's tables for one parsed article."""
    aid, text = article.article_id, article.text
    mentions = extract_mentions(doc, article_id=aid, text=text)
    rows: dict[str, list] = {
        "mentions": mentions,
        "dates": extract_dates(doc, article_id=aid, text=text, published=article.published),
        "quotes": extract_quotes(doc, article_id=aid, text=text, mentions=mentions),
    }
    tables = {name: to_arrow(name, table_rows) for name, table_rows in rows.items()}
    sentence_starts = np.array([s.start_char for s in sentence_rows(doc, article)], np.int64)
    for name in SENTENCE_LINKED:
        tables[name] = with_sentence_index(tables[name], sentence_starts)
    tables["quotes"] = with_quote_ids(tables["quotes"])
    return tables


def with_sentence_index(table: pa.Table, sentence_starts: np.ndarray) -> pa.Table:
    """TABLE with `sentence_index` set to the sentence holding each row's start_char (starts sorted)."""
    index = np.searchsorted(sentence_starts, table["start_char"].to_numpy(), side="right") - 1
    return set_column(table, "sentence_index", pa.array(np.maximum(index, 0), pa.int32()))


def with_quote_ids(quotes: pa.Table) -> pa.Table:
    """QUOTES with `quote_id`: a hash of the article id and the quote's offsets."""
    spans = zip(quotes["article_id"].to_pylist(), quotes["start_char"].to_pylist(), quotes["end_char"].to_pylist())
    ids = [hashlib.sha1(f"{a}|{start}|{end}".encode()).hexdigest()[:16] for a, start, end in spans]
    return set_column(quotes, "quote_id", pa.array(ids, pa.string()))


def set_column(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    position = table.schema.get_field_index(name)
    return table.set_column(position, table.schema.field(position), values)


def parse_stage(doc: Doc, article: Article, lang: str) -> Tables:
    return {**parse_rows(doc, article), STORED_PARSE: stored_parse(doc, article, lang)}


def extract(doc: Doc, article: Article) -> Tables:
    """Every per-article table for one parsed article (the stored parse aside)."""
    return {**parse_rows(doc, article), **extract_rows(doc, article)}


def stored_parse(doc: Doc, article: Article, lang: str) -> pa.Table:
    """The stored parse's row for DOC: a one-Doc DocBin whose zlib stream is stored uncompressed, so that
    Parquet's zstd compresses it together with its neighbours (0.4x the size of separately compressed Docs)."""
    docs = DocBin(attrs=STORED_ATTRS, store_user_data=False)
    docs.add(doc)
    data = zlib.compress(zlib.decompress(docs.to_bytes()), 0)
    return pa.table(
        {"article_id": [article.article_id], "lang": [lang], "doc": [data]},
        schema=OUTPUT_TABLES[STORED_PARSE].row_schema,
    )


def stored_doc(item: Parsed) -> Doc:
    """ITEM's Doc rebuilt from its stored parse."""
    vocab = _VOCABS.get(item.lang)
    if vocab is None or len(vocab.strings) > VOCAB_STRINGS_BOUND:
        vocab = _VOCABS[item.lang] = spacy.blank(item.lang).vocab
    return next(DocBin().from_bytes(item.doc).get_docs(vocab))


def process_batch(items: Sequence[Article | ErrorRow | Parsed], cfg: Config) -> Tables:
    """Every per-article table (provenance not yet filled) for ITEMS; an article that fails becomes an errors row.

    Arrow tables, not row objects, come back: they cross process boundaries cheaply and the writer only adds
    provenance, so with many workers the writing process stays idle.
    """
    parts: dict[str, list[pa.Table]] = defaultdict(list)
    errors = [item for item in items if isinstance(item, ErrorRow)]
    articles = [item for item in items if isinstance(item, Article)]
    if articles:
        nlp = model_for(cfg)
        for doc, article in parse(articles, nlp, cfg):
            if run_stage("parse", article, parts, errors, parse_stage, doc, article, str(nlp.lang)):
                run_stage("extract", article, parts, errors, extract_rows, doc, article)
        release_if_grown(cfg, nlp)
    for item in items:
        if isinstance(item, Parsed):
            run_stage("extract", item.article, parts, errors, extract_stored, item)
    parts["errors"].append(to_arrow("errors", errors))
    return {name: concat(name, parts[name]) for name in ARTICLE_TABLES}


def extract_stored(item: Parsed) -> Tables:
    return extract_rows(stored_doc(item), item.article)


def run_stage(
    stage: str,
    article: Article,
    parts: dict[str, list[pa.Table]],
    errors: list[ErrorRow],
    tables_of: Callable[..., Tables],
    *args: object,
) -> bool:
    """Add the tables_of(*ARGS) of STAGE for ARTICLE to PARTS; on failure an errors row instead (and False)."""
    try:
        tables = tables_of(*args)
    except Exception as err:  # noqa: BLE001 - one article's failure must not stop the batch
        errors.append(ErrorRow(article.source, article.article_id, stage, f"{type(err).__name__}: {err}"))
        return False
    for name, table in tables.items():
        parts[name].append(table)
    return True


def concat(name: str, tables: list[pa.Table]) -> pa.Table:
    return pa.concat_tables(tables) if tables else to_arrow(name, [])


def release_if_grown(cfg: Config, nlp: Language) -> None:
    """Drop the cached model once its vocabulary has grown past a bound; the next batch loads it afresh.

    Every new word stays in the vocabulary, so a long-running worker would grow without end. A memory_zone
    around each batch bounds it too, but empties spaCy's lexeme cache every batch (17% slower parsing here);
    reloading the model every few hundred thousand new strings costs about a second.
    """
    if len(nlp.vocab.strings) > VOCAB_STRINGS_BOUND:
        _MODELS.pop((cfg.model, cfg.components), None)
