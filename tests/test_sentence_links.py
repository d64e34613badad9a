"""mentions, dates and quotes carry the sentence_index of their start, and quotes a quote_id, so they join
sentences with no offset arithmetic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from pipeline.batch import with_quote_ids, with_sentence_index
from pipeline.cli import main

TEXT = (
    "date 2021-06-01\nThe council met on Monday. Its chair, Maria Lopez, said the vote was close. "
    '"We will try again in July," Lopez said. Critics in Leeds said the plan had failed.\n'
)
LINKED = ["mentions", "dates", "quotes"]


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    folder = tmp_path_factory.mktemp("links")
    (folder / "input").mkdir()
    (folder / "input" / "council.txt").write_text(TEXT, encoding="utf-8")
    out = folder / "tables"
    assert main(["run", "--input", str(folder / "input"), "--output", str(out), "--n-process", "1", "--quiet"]) == 0
    return out


@pytest.mark.parametrize("name", LINKED)
def test_links_rows_join_the_sentence_holding_their_start(tables, name):
    rows = pd.read_parquet(tables / name)
    sentences = pd.read_parquet(tables / "sentences")[["article_id", "sentence_index", "start_char", "end_char"]]
    joined = rows.merge(sentences, on=["article_id", "sentence_index"], suffixes=("", "_sentence"), how="left")
    assert len(rows) > 0 and len(joined) == len(rows)
    assert ((joined.start_char >= joined.start_char_sentence) & (joined.start_char < joined.end_char_sentence)).all()


@pytest.mark.parametrize(
    "name, text, sentence",
    [
        ("mentions", "Maria Lopez", 1),
        ("mentions", "Leeds", 3),
        ("dates", "Monday", 0),
        ("dates", "July", 2),
        ("quotes", "We will try again in July,", 2),
    ],
)
def test_links_known_rows_sit_in_their_sentence(tables, name, text, sentence):
    rows = pd.read_parquet(tables / name)
    assert rows[rows.text == text].sentence_index.tolist() == [sentence]


@pytest.mark.parametrize(
    "starts, positions, expected",
    [
        ([0, 10, 25], [0, 9, 10, 24, 30], [0, 0, 1, 1, 2]),
        ([3, 10], [0, 3, 12], [0, 0, 1]),  # before the first sentence (leading space): the first sentence
        ([0], [], []),
    ],
)
def test_links_sentence_index_by_start(starts, positions, expected):
    table = pa.table(
        {"start_char": pa.array(positions, pa.int64()), "sentence_index": pa.array([None] * len(positions), pa.int32())}
    )
    filled = with_sentence_index(table, np.array(starts, np.int64))
    assert filled["sentence_index"].to_pylist() == expected and filled.schema.field("sentence_index").type == pa.int32()


def test_links_quote_ids_differ_by_span_and_article():
    quotes = pa.table(
        {
            "article_id": ["a", "a", "b"],
            "start_char": [0, 5, 0],
            "end_char": [4, 9, 4],
            "quote_id": pa.array([None] * 3, pa.string()),
        }
    )
    ids = with_quote_ids(quotes)["quote_id"].to_pylist()
    assert len(set(ids)) == 3 and all(len(i) == 16 for i in ids)


def test_links_quote_ids_unique_and_stable_across_runs(tables):
    first = pd.read_parquet(tables / "quotes")
    assert (
        main(
            [
                "run",
                "--input",
                str(tables.parent / "input"),
                "--output",
                str(tables),
                "--n-process",
                "1",
                "--quiet",
                "--full-refresh",
            ]
        )
        == 0
    )
    second = pd.read_parquet(tables / "quotes")
    assert first.quote_id.is_unique and first.quote_id.notna().all()
    assert sorted(first.quote_id) == sorted(second.quote_id) and set(first.run_id) != set(second.run_id)
