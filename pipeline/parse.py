"""Stage 2: load the pinned spaCy model once and parse articles in batches, offsets kept to the original text."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from pipeline.articles import Article
from pipeline.config import Config
from pipeline.rows import SentenceRow, TokenRow

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
    out = []
    for sent in doc.sents:
        start, end = trimmed(article.text, sent.start_char, sent.end_char)
        if start < end:
            out.append(SentenceRow(article.article_id, len(out), start, end, article.text[start:end]))
    return out


def token_rows(doc: Doc, article: Article) -> list[TokenRow]:
    """One row per non-space token; sentence_index follows sentence_rows' numbering."""
    sent_index = sentence_index_of_tokens(doc)
    text, aid = article.text, article.article_id
    return [
        TokenRow(aid, t.i, sent_index[t.i], t.idx, t.idx + len(t), text[t.idx : t.idx + len(t)],
                 t.lemma_, t.pos_, t.tag_, t.dep_, t.head.i, t.ent_type_)
        for t in doc
        if not t.is_space
    ]


def sentence_index_of_tokens(doc: Doc) -> list[int]:
    index, current = [0] * len(doc), -1
    for sent in doc.sents:
        if sent.text.strip():
            current += 1
        for i in range(sent.start, sent.end):
            index[i] = max(current, 0)
    return index


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
