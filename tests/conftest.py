"""Shared fixtures and helpers: the pinned model and the seeds' tables once per session, a Config, small inputs,
and table comparison. Test modules import helpers from here only, never from one another."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

from pipeline.articles import make_article
from pipeline.batch import model_for
from pipeline.cli import main
from pipeline.config import Config
from pipeline.runner import run
from pipeline.schemas import TABLES

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
NEWS = {
    "a1": "Kevin Book, head of research at ClearView Energy Partners, said oil prices have been supported "
    "by the talks.",
    "a2": "On Monday, Ukraine's defence minister Rustem Umerov met Steve Witkoff in Miami.",
    "a3": '"We will keep working," Kirill Dmitriev told reporters in Moscow on Tuesday.',
    "a4": "NASA launched the Artemis I rocket from Florida on November 16, 2022.",
    "a5": "The European Space Agency said the probe would reach Jupiter in 2031.",
    "a6": "Prime Minister Jacinda Ardern announced the new policy in Wellington last week.",
}
PROVENANCE = ["run_id", "pipeline_version", "model"]

# In CI the property tests replay the same examples every run, so a red build always means a change broke
# something; on a developer's machine they keep exploring new random examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def cfg() -> Config:
    return Config(n_process=1)


@pytest.fixture
def small_cfg(cfg):
    return replace(cfg, articles_per_task=2, articles_per_part=2)


@pytest.fixture(scope="session")
def nlp(cfg):
    return model_for(cfg)


@pytest.fixture(scope="session")
def parse_text(nlp):
    """TEXT (and an optional publication date) -> (Doc, Article), as the pipeline parses it."""

    def parse(text: str, published: date | None = None, article_id: str = "t1"):
        article = make_article(article_id, "test", text, {"published": published.isoformat() if published else None})
        return nlp(article.text_for_parser()), article

    return parse


@pytest.fixture(scope="session")
def seeds_out(tmp_path_factory) -> Path:
    """The seeds' tables, written once per session by the command line (tests must not change them)."""
    out = tmp_path_factory.mktemp("seeds") / "tables"
    assert main(["run", "--input", str(SEEDS), "--output", str(out), "--n-process", "1"]) == 0
    return out


def write_input(folder: Path, lines: list[str], txt: dict[str, str] | None = None) -> Path:
    """FOLDER holding news.jsonl (LINES: article ids, `BAD` for invalid JSON, `id=text` for an edit) and .txt files."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    records = []
    for line in lines:
        if line == "BAD":
            records.append('{"id": "broken", "text": ')
        else:
            aid, _, text = line.partition("=")
            records.append(json.dumps({"id": aid, "text": text or NEWS[aid], "published": "2025-11-20"}))
    (folder / "news.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")
    for name, text in (txt or {}).items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return folder


def table_frame(output: Path | str, name: str) -> pd.DataFrame:
    """Table NAME of a folder or URL without provenance, rows in a canonical order, list cells as tuples."""
    df = pd.read_parquet(f"{output}/{name}").drop(columns=PROVENANCE, errors="ignore")
    df = df.map(lambda v: tuple(v) if not isinstance(v, str) and hasattr(v, "__len__") else v)
    return df.sort_values(list(df.columns)).reset_index(drop=True)


def assert_same_tables(output: Path | str, expected: Path | str) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(table_frame(output, name), table_frame(expected, name), obj=name)


def full_run(folder: Path, tmp_path: Path, cfg) -> Path:
    out = tmp_path / "full"
    run(folder, out, cfg, full_refresh=True, progress=False)
    return out
