"""Property-based tests over random text through the real reader, parser and extractors: every span slices back
to its text, offsets lie within the article, and nothing raises."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pipeline.articles import Article, InputError, make_article
from pipeline.batch import extract
from pipeline.inputs import read_file
from pipeline.parse import parse, pieces

FRAGMENTS = [
    "Steve Witkoff",
    "Rustem Umerov",
    "Kevin Book",
    "the Kremlin",
    "Ukraine",
    "Miami",
    "said",
    "told reporters",
    "according to",
    "he added",
    "on Sunday",
    "November 16",
    "last year",
    "2025-11-20",
    "for two weeks",
    "every day",
    '"',
    "\u201c",
    "\u201d",
    "'",
    "\u2019",
    ",",
    ".",
    ":",
    " ",
    " ",
    " ",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "\t",
    "\u200b",
    "\u2066",
    "\u2069",
    "\u00a0",
    "\x00",
    "\U0001f600",
    "é",
    "date 2025-11-20\n",
]
texts = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), min_size=1, max_size=60).map("".join)
SLOW = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SPANS = {
    "sentences": [("start_char", "end_char", "text")],
    "tokens": [("start_char", "end_char", "text")],
    "mentions": [("start_char", "end_char", "text")],
    "dates": [("start_char", "end_char", "text")],
    "quotes": [("start_char", "end_char", "text"), ("speaker_start_char", "speaker_end_char", "speaker_text")],
}


def article_of(text: str) -> Article:
    try:
        return make_article("p1", "test", text, {"published": "2025-11-20"})
    except InputError:
        assume(False)


def assert_spans_slice_back(tables: dict, text: str) -> None:
    for table, spans in SPANS.items():
        for row in tables[table].to_pylist():
            for start, end, span_text in spans:
                s, e, t = row[start], row[end], row[span_text]
                if s is None:
                    continue
                assert 0 <= s <= e <= len(text), (table, s, e)
                assert text[s:e] == t, (table, s, e, t)


@given(text=st.text(max_size=300), size=st.integers(min_value=1, max_value=40))
@settings(max_examples=300)
def test_properties_pieces_concatenate_to_text(text, size):
    parts = pieces(text, size)
    assert "".join(parts) == text
    assert all(len(p) <= size for p in parts)


@given(data=st.binary(max_size=400))
@settings(max_examples=200, deadline=None)
def test_properties_any_bytes_read_without_raising(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "x.txt"
    path.write_bytes(data)
    [item] = list(read_file(path))
    if isinstance(item, Article):
        assert len(item.text_for_parser()) == len(item.text)
    else:
        assert item.stage == "read" and item.error


@given(text=texts)
@SLOW
def test_properties_random_text_spans_slice_back(nlp, text):
    article = article_of(text)
    rows = extract(nlp(article.text_for_parser()), article)
    assert_spans_slice_back(rows, article.text)


@given(text=texts, size=st.integers(min_value=20, max_value=120))
@SLOW
def test_properties_text_parsed_in_pieces_spans_slice_back(nlp, cfg, text, size):
    article = article_of(text)
    [(doc, same)] = list(parse([article], nlp, replace(cfg, max_chars=size)))
    assert same is article and len(doc.text) == len(article.text)
    assert_spans_slice_back(extract(doc, article), article.text)


def test_properties_long_article_parsed_in_pieces_keeps_offsets(nlp, cfg):
    paragraph = "U.S. envoy Steve Witkoff met Kirill Dmitriev in Miami on Sunday, officials said."
    text = "\n".join(f"{i}. {paragraph}" for i in range(60))
    article = article_of(text)
    [(doc, _)] = list(parse([article], nlp, replace(cfg, max_chars=500)))
    rows = extract(doc, article)
    assert_spans_slice_back(rows, text)
    names = [m["start_char"] for m in rows["mentions"].to_pylist() if m["text"] == "Steve Witkoff"]
    assert len(names) >= 50 and max(names) > len(text) - len(paragraph)
