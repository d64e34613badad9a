"""Stage 2: load the pinned spaCy model once and parse articles in batches, offsets kept to the original text."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import spacy
from spacy.attrs import DEP, ENT_TYPE, HEAD, IDX, IS_SPACE, LEMMA, LENGTH, POS, TAG
from spacy.language import Language
from spacy.tokens import Doc

from pipeline.articles import Article
from pipeline.config import Config
from pipeline.rows import SentenceRow
from pipeline.schemas import TABLES

PARAGRAPH_END = re.compile(r"\n\s*\n|\n")


class ModelError(RuntimeError):
    """The configured spaCy model cannot be loaded."""


def load_model(cfg: Config) -> Language:
    """The configured model with only the configured components enabled."""
    try:
        nlp = spacy.load(cfg.model)
    except OSError:
        raise ModelError(
            f"spaCy model {cfg.model!r} is not installed: run `make install` "
            f"(or pip install the package that provides it)"
        ) from None
    for name in nlp.pipe_names:
        if name not in cfg.components:
            nlp.disable_pipe(name)
    if "parser" not in nlp.pipe_names and "senter" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer", first=True)
    return nlp


def pieces(text: str, max_chars: int) -> list[str]:
    """TEXT cut at line ends into pieces of at most MAX_CHARS (hard cuts only for a longer line)."""
    out, start = [], 0
    while len(text) - start > max_chars:
        cut = max((m.end() for m in PARAGRAPH_END.finditer(text, start, start + max_chars)), default=0)
        if cut <= start:
            cut = text.rfind(" ", start, start + max_chars) + 1 or start + max_chars
        out.append(text[start:cut])
        start = cut
    out.append(text[start:])
    return out


def piece_size(nlp: Language, cfg: Config) -> int:
    """The longest text parsed in one go: cfg.max_chars, never beyond what the model accepts."""
    return max(1, min(cfg.max_chars, nlp.max_length))


def parse_long(nlp: Language, text: str, cfg: Config) -> Doc:
    """One Doc over TEXT parsed piece by piece; token offsets index TEXT (the pieces concatenate to it)."""
    docs = list(nlp.pipe(pieces(text, piece_size(nlp, cfg)), batch_size=1))
    return Doc.from_docs(docs, ensure_whitespace=False)


def parse(articles: Sequence[Article], nlp: Language, cfg: Config) -> Iterator[tuple[Doc, Article]]:
    """(Doc, Article) pairs of one batch in input order; each Doc's text has the length of the article text."""
    short: list[Article] = []
    for article in articles:
        if len(article.text) > piece_size(nlp, cfg):
            yield from _pipe(short, nlp, cfg)
            short = []
            yield parse_long(nlp, article.text_for_parser(), cfg), article
        else:
            short.append(article)
    yield from _pipe(short, nlp, cfg)


def _pipe(articles: list[Article], nlp: Language, cfg: Config) -> Iterator[tuple[Doc, Article]]:
    pairs = ((a.text_for_parser(), a) for a in articles)
    yield from nlp.pipe(pairs, as_tuples=True, batch_size=cfg.batch_size)


def sentence_rows(doc: Doc, article: Article) -> list[SentenceRow]:
    """One row per sentence, whitespace trimmed, text taken from the original article."""
    out: list[SentenceRow] = []
    for sent in doc.sents:
        start, end = trimmed(article.text, sent.start_char, sent.end_char)
        if start < end:
            out.append(SentenceRow(article.article_id, len(out), start, end, article.text[start:end]))
    return out


TOKEN_ATTRS = [IDX, LENGTH, IS_SPACE, HEAD, LEMMA, POS, TAG, DEP, ENT_TYPE]
TOKEN_STRINGS = {"lemma": LEMMA, "pos": POS, "tag": TAG, "dep": DEP, "ent_type": ENT_TYPE}


def token_table(doc: Doc, article: Article) -> pa.Table:
    """One row per non-space token (columns of TokenRow), built from doc.to_array: no Python object per token."""
    # to_array gives uint64 (string hashes); as int64, HEAD's relative offsets get their sign back.
    values = doc.to_array(TOKEN_ATTRS).astype(np.int64)
    column = {attr: values[:, k] for k, attr in enumerate(TOKEN_ATTRS)}
    is_space = column[IS_SPACE] != 0
    keep = ~is_space
    index = np.arange(len(doc))
    starts, ends = column[IDX][keep], (column[IDX] + column[LENGTH])[keep]
    table = {
        "article_id": pa.repeat(pa.scalar(article.article_id), int(keep.sum())),
        "token_index": index[keep],
        "sentence_index": sentence_index_of_tokens(doc, is_space)[keep],
        "start_char": starts,
        "end_char": ends,
        "text": [article.text[s:e] for s, e in zip(starts.tolist(), ends.tolist())],
        "head_index": (index + column[HEAD])[keep],  # HEAD is relative to the token
        **{name: strings_of(doc, column[attr][keep]) for name, attr in TOKEN_STRINGS.items()},
    }
    return pa.table(table, schema=TABLES["tokens"].row_schema)


def strings_of(doc: Doc, ids: np.ndarray) -> pa.Array:
    """The strings behind spaCy string/symbol ids, looked up once per distinct id."""
    distinct, positions = np.unique(ids, return_inverse=True)
    names = pa.array([doc.vocab.strings[int(i)] for i in distinct.astype(np.uint64)], pa.string())
    return pc.take(names, pa.array(positions.reshape(-1), pa.int32()))


def sentence_index_of_tokens(doc: Doc, is_space: np.ndarray) -> np.ndarray:
    """Per token, its sentence's number in sentence_rows (a sentence of only spaces joins the one before)."""
    starts = np.array([sent.start for sent in doc.sents], dtype=np.int64)
    if not len(starts):
        return np.zeros(0, dtype=np.int64)
    counted = np.add.reduceat((~is_space).astype(np.int64), starts) > 0
    numbers = np.maximum(np.cumsum(counted) - 1, 0)
    return np.repeat(numbers, np.diff(starts, append=len(doc)))


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
