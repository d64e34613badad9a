"""The dataset card: generated from the schemas, at the output root, with every column, join and row count."""

from __future__ import annotations

import dataclasses
import re
import shutil
import tomllib
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from conftest import ROOT

from pipeline import card, schemas
from pipeline.card import JOINS, type_name, undocumented
from pipeline.dates import extract_dates
from pipeline.manifest import SCHEMA as MANIFEST_SCHEMA
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


@pytest.mark.parametrize(
    "type_, expected",
    [
        (pa.date32(), "date32"),
        (pa.list_(pa.string()), "list<string>"),
        (pa.int64(), "int64"),
        (pa.dictionary(pa.int32(), pa.string()), "dictionary<string>"),
    ],
)
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


@pytest.mark.parametrize(
    "key",
    [
        "`article_id` -> `articles.article_id`",
        "`entity_id` -> `entities.entity_id`",
        "`speaker_entity_id` -> `entities.entity_id`",
    ],
)
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


@pytest.mark.parametrize(
    "words",
    [
        "## Settings of the run",
        "spaCy components run: tok2vec, tagger, parser,",
        "| `max_chars` | 200000 |",
        "| `n_process` | 1 |",
    ],
)
def test_card_names_the_settings_of_the_run(card_text, words):
    assert words in card_text


def test_card_quality_section_is_the_shipped_quality_file(card_text):
    shipped = card.QUALITY_FILE.read_text(encoding="utf-8").strip()
    assert "| what | data set | command | result |" in shipped
    assert shipped in section(card_text, "Quality")


def test_card_quality_file_ships_with_the_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert card.QUALITY_FILE.name in project["tool"]["setuptools"]["package-data"]["pipeline"]


@pytest.mark.parametrize(
    "sentence, mod",
    [
        ("The plant opened in early March.", "START"),
        ("Prices rose in mid-2018.", "MID"),
        ("Sales fell in late 2019.", "END"),
        ("It took about two years to build.", "APPROX"),
        ("The strike lasted more than three weeks.", "MORE_THAN"),
        ("Talks went on for nearly a decade.", "LESS_THAN"),
        ("It will take at least five days.", "EQUAL_OR_MORE"),
    ],
)
def test_card_documents_every_mod_the_dates_give(parse_text, card_text, sentence, mod):
    doc, article = parse_text(sentence, date(2020, 6, 10))
    mods = {d.mod for d in extract_dates(doc, article_id="t1", text=article.text, published=article.published)}
    assert mods == {mod} and mod in card.TIMEX3_MODS
    assert f"| `{mod}` |" in section(card_text, "Dates: TIMEX3 values")


@pytest.mark.parametrize("value", ["PRESENT_REF", "PAST_REF", "FUTURE_REF", "XXXX-10", "2025-W47-WE", "TMO", "2025-SP"])
def test_card_documents_special_timex3_values(card_text, value):
    assert value in section(card_text, "Dates: TIMEX3 values")


def test_card_describes_every_manifest_column(card_text):
    assert list(card.MANIFEST_COLUMNS) == MANIFEST_SCHEMA.names
    manifest = section(card_text, "The manifest")
    assert all(f"| `{name}` |" in manifest for name in MANIFEST_SCHEMA.names)


def test_card_says_how_entity_ids_behave(card_text):
    assert "SHA-1" in section(card_text, "Entity ids") and "Across articles" in section(card_text, "Entity ids")


@pytest.mark.parametrize(
    "given, shown",
    [
        (Path("seeds"), str(Path("seeds").resolve())),
        ("s3://bucket/news", "s3://bucket/news"),
    ],
)
def test_card_input_as_absolute_path_or_url(seeds_out, given, shown):
    text = card.card_text(open_output(seeds_out), run_id="r", pipeline_version="v", model="m", input_dir=given)
    assert f"from `{shown}`" in text
