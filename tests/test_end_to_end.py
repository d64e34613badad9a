"""The whole pipeline over seeds/: the contract's tables, their offsets, and the gold facts that matter most."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.schemas import TABLES


@pytest.mark.parametrize("name", list(TABLES))
def test_end_to_end_every_table_readable_with_its_schema(seeds_out, name):
    df = pd.read_parquet(seeds_out / name)
    assert list(df.columns) == TABLES[name].schema.names


@pytest.mark.parametrize(
    "name, text_col, start, end",
    [
        ("sentences", "text", "start_char", "end_char"),
        ("tokens", "text", "start_char", "end_char"),
        ("mentions", "text", "start_char", "end_char"),
        ("dates", "text", "start_char", "end_char"),
        ("quotes", "text", "start_char", "end_char"),
        ("quotes", "speaker_text", "speaker_start_char", "speaker_end_char"),
    ],
)
def test_end_to_end_offsets_slice_back_to_text(seeds_out, name, text_col, start, end):
    texts = dict(pd.read_parquet(seeds_out / "articles")[["article_id", "text"]].values)
    df = pd.read_parquet(seeds_out / name).dropna(subset=[start])
    assert len(df) > 0
    for aid, s, e, t in zip(df.article_id, df[start], df[end], df[text_col]):
        assert texts[aid][int(s) : int(e)] == t


@pytest.mark.parametrize("name", ["Steve Witkoff", "Rustem Umerov", "Kirill Dmitriev"])
def test_end_to_end_envoys_are_people(seeds_out, name):
    mentions = pd.read_parquet(seeds_out / "mentions")
    labels = set(mentions[mentions.text == name].label)
    assert labels == {"PERSON"}


def test_end_to_end_oil_quote_speaker(seeds_out):
    quotes = pd.read_parquet(seeds_out / "quotes")
    oil = quotes[quotes.text.str.startswith("Oil prices have been supported")]
    assert list(oil.speaker_text) == ["Kevin Book"]


def test_end_to_end_november_16_resolved(seeds_out):
    dates = pd.read_parquet(seeds_out / "dates")
    row = dates[dates.text.str.contains("November 16")]
    assert list(row.value) == ["2025-11-16"]


def test_end_to_end_inline_date_header_is_publication_date(seeds_out):
    articles = pd.read_parquet(seeds_out / "articles").set_index("article_id")
    assert str(articles.loc["004_9d8816c947d5e01e", "published"]) == "2025-11-20"
    assert pd.isna(articles.loc["000_ebc3933f1a9890b8", "published"])
