"""The dataset card: generated from the schemas, at the output root, with every column, join and row count."""

from __future__ import annotations

import dataclasses
import re
import shutil

import pandas as pd
import pyarrow as pa
import pytest

from pipeline import card, schemas
from pipeline.card import JOINS, type_name, undocumented
from pipeline.schemas import TABLES
from pipeline.store import open_output


@pytest.fixture(scope="module")
def card_text(seeds_out):
    return (seeds_out / "README.md").read_text(encoding="utf-8")


def section(text: str, name: str) -> str:
    return text.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]


def test_card_every_column_has_a_description():
    assert undocumented() == []


def test_card_undocumented_column_is_caught(monkeypatch):
    table = TABLES["quotes"]
    bare = dataclasses.replace(table, fields=[*table.fields, pa.field("new_column", pa.string())])
    monkeypatch.setitem(schemas.TABLES, "quotes", bare)
    assert undocumented() == ["quotes.new_column"]


@pytest.mark.parametrize("type_, expected", [
    (pa.date32(), "date32"), (pa.list_(pa.string()), "list<string>"), (pa.int64(), "int64"),
    (pa.dictionary(pa.int32(), pa.string()), "dictionary<string>"),
])
def test_card_type_names(type_, expected):
    assert type_name(type_) == expected


@pytest.mark.parametrize("column, target", list(JOINS.items()))
def test_card_join_keys_exist(column, target):
    table, target_column = target.split(".")
    assert target_column in TABLES[table].schema.names
    assert any(column in t.schema.names for name, t in TABLES.items() if name != table)


def test_card_at_output_root_never_in_a_table_folder(seeds_out):
    assert (seeds_out / "README.md").is_file()
    assert not [p for name in TABLES for p in (seeds_out / name).iterdir() if not p.name.endswith(".parquet")]


@pytest.mark.parametrize("name", list(TABLES))
def test_card_lists_every_column_with_type(card_text, name):
    text = section(card_text, name)
    for field in TABLES[name].schema:
        assert f"| `{field.name}` | {type_name(field.type)} |" in text


@pytest.mark.parametrize("name", list(TABLES))
def test_card_row_counts_match_tables(seeds_out, card_text, name):
    row = re.search(rf"^\| \[{name}\]\(#{name}\) \| [^|]+ \| ([\d,]+) \|", card_text, re.M)
    assert int(row.group(1).replace(",", "")) == len(pd.read_parquet(seeds_out / name))


@pytest.mark.parametrize("key", ["`article_id` -> `articles.article_id`", "`entity_id` -> `entities.entity_id`",
                                 "`speaker_entity_id` -> `entities.entity_id`"])
def test_card_names_join_keys(card_text, key):
    assert key in section(card_text, "Join keys")


def test_card_names_the_run(seeds_out, card_text):
    run_ids = set(pd.read_parquet(seeds_out / "articles").run_id)
    assert len(run_ids) == 1 and f"Written by run `{run_ids.pop()}`" in card_text


def test_card_rewritten_by_each_run(seeds_out, tmp_path):
    out = shutil.copytree(seeds_out, tmp_path / "tables")
    before = (out / "README.md").read_text(encoding="utf-8")
    card.write_card(open_output(out), run_id="later-run", pipeline_version="v", model="m")
    after = (out / "README.md").read_text(encoding="utf-8")
    assert "Written by run `later-run`" in after and after != before
