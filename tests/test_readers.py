"""Every table read the same way by pandas, DuckDB and polars, with the types a notebook expects, and joinable."""

from __future__ import annotations

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from pipeline.schemas import PROVENANCE, TABLES

ROW_TABLES = [name for name, t in TABLES.items() if t.provenance]
OFFSETS = [
    (name, f.name)
    for name, t in TABLES.items()
    for f in t.fields
    if f.name.endswith(("_char", "_index")) or f.name.startswith("n_")
]
LABELS = [("mentions", "label"), ("entities", "label"), ("quotes", "kind"), ("dates", "type"), ("errors", "stage")]


def file_schema(out, name) -> pa.Schema:
    """The schema of table NAME as written to disk (not as declared)."""
    return ds.dataset(out / name, format="parquet").schema


@pytest.mark.parametrize("name", list(TABLES))
def test_readers_pandas_duckdb_polars_agree(seeds_out, name):
    by_pandas = pd.read_parquet(seeds_out / name)
    by_duckdb = duckdb.sql(f"SELECT * FROM read_parquet('{seeds_out / name}/*.parquet')").df()
    by_polars = pl.read_parquet(seeds_out / name / "*.parquet")
    assert list(by_pandas.columns) == list(by_duckdb.columns) == by_polars.columns == TABLES[name].schema.names
    assert len(by_pandas) == len(by_duckdb) == by_polars.height


@pytest.mark.parametrize("name", list(TABLES))
def test_readers_no_null_typed_column(seeds_out, name):
    schema = file_schema(seeds_out, name)
    assert [f.name for f in schema if pa.types.is_null(f.type)] == []
    assert schema.names == TABLES[name].schema.names


@pytest.mark.parametrize("name, column", [("articles", "published"), ("dates", "start_date"), ("dates", "end_date")])
def test_readers_dates_are_date32(seeds_out, name, column):
    assert file_schema(seeds_out, name).field(column).type == pa.date32()


@pytest.mark.parametrize("name, column", OFFSETS)
def test_readers_offsets_and_counts_are_integers(seeds_out, name, column):
    assert file_schema(seeds_out, name).field(column).type in (pa.int32(), pa.int64())


def test_readers_aliases_are_list_of_strings(seeds_out):
    assert file_schema(seeds_out, "entities").field("aliases").type == pa.list_(pa.string())
    aliases = pd.read_parquet(seeds_out / "entities").aliases
    assert all(isinstance(a, str) for row in aliases for a in row)


@pytest.mark.parametrize("name, column", LABELS)
def test_readers_labels_and_kinds_are_strings(seeds_out, name, column):
    assert file_schema(seeds_out, name).field(column).type == pa.string()


@pytest.mark.parametrize("name", ROW_TABLES)
def test_readers_provenance_on_every_row(seeds_out, name):
    df = pd.read_parquet(seeds_out / name)
    for field in PROVENANCE:
        assert df[field.name].notna().all(), field.name
    if len(df):
        assert df.model.str.contains("3.8").all()


def test_readers_quotes_join_entities(seeds_out):
    quotes = pd.read_parquet(seeds_out / "quotes")
    entities = pd.read_parquet(seeds_out / "entities")
    named = quotes.dropna(subset=["speaker_entity_id"])
    joined = named.merge(entities, left_on="speaker_entity_id", right_on="entity_id", suffixes=("", "_entity"))
    assert len(named) > 0 and len(joined) == len(named)


def test_readers_mentions_join_articles_and_entities_in_duckdb(seeds_out):
    out = seeds_out
    unmatched = duckdb.sql(f"""
        SELECT count(*) FILTER (WHERE a.article_id IS NULL), count(*) FILTER (WHERE e.entity_id IS NULL), count(*)
        FROM read_parquet('{out}/mentions/*.parquet') m
        LEFT JOIN read_parquet('{out}/articles/*.parquet') a USING (article_id)
        LEFT JOIN read_parquet('{out}/entities/*.parquet') e ON m.entity_id = e.entity_id
    """).fetchall()[0]
    assert unmatched[:2] == (0, 0) and unmatched[2] > 0


def test_readers_mentions_join_articles_in_polars(seeds_out):
    mentions = pl.read_parquet(seeds_out / "mentions" / "*.parquet")
    articles = pl.read_parquet(seeds_out / "articles" / "*.parquet")
    joined = mentions.join(articles.select("article_id", "published"), on="article_id", how="inner")
    assert joined.height == mentions.height > 0
    assert joined.schema["published"] == pl.Date
