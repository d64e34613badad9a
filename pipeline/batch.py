"""The unit of work: a batch of articles in, every table's rows out. Local runner and Dask both call it."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
from spacy.language import Language
from spacy.tokens import Doc

from pipeline.articles import Article
from pipeline.config import Config
from pipeline.dates import extract_dates
from pipeline.engine import Tables
from pipeline.entities import extract_mentions
from pipeline.parse import load_model, parse, sentence_rows, token_table
from pipeline.quotes import extract_quotes
from pipeline.rows import ArticleRow, ErrorRow
from pipeline.schemas import ARTICLE_TABLES
from pipeline.write import to_arrow

_MODELS: dict[tuple, Language] = {}
VOCAB_STRINGS_BOUND = 400_000  # the small English model starts with about 85,000
SENTENCE_LINKED = ("mentions", "dates", "quotes")  # tables whose rows get the sentence_index of their start


def model_for(cfg: Config) -> Language:
    """The model for CFG, loaded once per process (workers never receive it pickled)."""
    key = (cfg.model, cfg.components)  # what load_model depends on; other settings must not reload it
    if key not in _MODELS:
        _MODELS[key] = load_model(cfg)
    return _MODELS[key]


def extract(doc: Doc, article: Article) -> Tables:
    """Every per-article table for one parsed article."""
    aid, text = article.article_id, article.text
    tokens = token_table(doc, article)
    mentions = extract_mentions(doc, article_id=aid, text=text)
    rows = {
        "articles": [ArticleRow(aid, article.source, article.published, article.title, article.url, text,
                                article.content_sha256, tokens.num_rows)],
        "sentences": sentence_rows(doc, article),
        "mentions": mentions,
        "dates": extract_dates(doc, article_id=aid, text=text, published=article.published),
        "quotes": extract_quotes(doc, article_id=aid, text=text, mentions=mentions),
    }
    tables = {name: to_arrow(name, table_rows) for name, table_rows in rows.items()}
    sentence_starts = np.fromiter((s.start_char for s in rows["sentences"]), np.int64, len(rows["sentences"]))
    for name in SENTENCE_LINKED:
        tables[name] = with_sentence_index(tables[name], sentence_starts)
    tables["quotes"] = with_quote_ids(tables["quotes"])
    return {"tokens": tokens, **tables}


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


def process_batch(items: Sequence[Article | ErrorRow], cfg: Config) -> Tables:
    """Every per-article table (provenance not yet filled) for ITEMS; an article that fails becomes an errors row.

    Arrow tables, not row objects, come back: they cross process boundaries cheaply and the writer only adds
    provenance, so with many workers the writing process stays idle.
    """
    parts: dict[str, list[pa.Table]] = defaultdict(list)
    errors = [item for item in items if isinstance(item, ErrorRow)]
    articles = [item for item in items if isinstance(item, Article)]
    nlp = model_for(cfg)
    for doc, article in parse(articles, nlp, cfg):
        try:
            tables = extract(doc, article)
        except Exception as err:  # noqa: BLE001 - one article's failure must not stop the batch
            errors.append(ErrorRow(article.source, article.article_id, "extract", f"{type(err).__name__}: {err}"))
            continue
        for name, table in tables.items():
            parts[name].append(table)
    release_if_grown(cfg, nlp)
    parts["errors"].append(to_arrow("errors", errors))
    return {name: concat(name, parts[name]) for name in ARTICLE_TABLES}


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
