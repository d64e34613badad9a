"""Re-runs: after any sequence of input changes the tables equal one full run on the final input."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from pipeline import versions
from pipeline.manifest import read_manifest
from pipeline.runner import run
from pipeline.schemas import TABLES
from pipeline.store import open_output
from pipeline.write import COMPACT_AFTER

NEWS = {
    "a1": "Kevin Book, head of research at ClearView Energy Partners, said oil prices have been supported by the talks.",
    "a2": "On Monday, Ukraine's defence minister Rustem Umerov met Steve Witkoff in Miami.",
    "a3": '"We will keep working," Kirill Dmitriev told reporters in Moscow on Tuesday.',
    "a4": "NASA launched the Artemis I rocket from Florida on November 16, 2022.",
    "a5": "The European Space Agency said the probe would reach Jupiter in 2031.",
    "a6": "Prime Minister Jacinda Ardern announced the new policy in Wellington last week.",
}
EDITED_A2 = "On Tuesday, Rustem Umerov met Steve Witkoff and Dan Driscoll in Geneva."
PROVENANCE = ["run_id", "pipeline_version", "model"]


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


@pytest.fixture
def small_cfg(cfg):
    return replace(cfg, articles_per_task=2, articles_per_part=2)


def full_run(folder: Path, tmp_path: Path, cfg) -> Path:
    out = tmp_path / "full"
    run(folder, out, cfg, full_refresh=True, progress=False)
    return out


@pytest.mark.parametrize("states", [
    [["a1", "a2"], ["a1", "a2", "a3", "a4"]],  # new articles
    [["a1", "a2", "a3", "a4"], ["a1", f"a2={EDITED_A2}", "a3", "a4"]],  # an edited article
    [["a1", "a2", "a3", "a4"], ["a1", "a3", "a4"]],  # a removed article
    [["a1", "a2", "a3"], ["a4", "a1", "a2", "a3"]],  # a line inserted above: sources shift
    [["a1", "BAD", "a2"], ["a1", "a2"]],  # an input error fixed
    [["a1", "a2"], ["a1", "a2", "a3"], ["a3", "a5", "a1"], [], ["a6", "BAD"], ["a6", "a2", "a1"]],
])
def test_incremental_sequence_equals_full_run(tmp_path, small_cfg, states):
    folder, out = tmp_path / "in", tmp_path / "out"
    for lines in states:
        write_input(folder, lines)
        run(folder, out, small_cfg, progress=False)
    assert_same_tables(out, full_run(folder, tmp_path, small_cfg))


def test_incremental_duplicate_id_in_a_new_file_equals_full_run(tmp_path, small_cfg):
    folder, out = tmp_path / "in", tmp_path / "out"
    write_input(folder, ["a1", "a2"])
    run(folder, out, small_cfg, progress=False)
    write_input(folder, ["a1", "a2"], txt={"a2": NEWS["a5"]})  # a2.txt sorts before news.jsonl: it wins now
    run(folder, out, small_cfg, progress=False)
    assert_same_tables(out, full_run(folder, tmp_path, small_cfg))


def test_incremental_unchanged_rerun_touches_no_file(tmp_path, small_cfg):
    folder, out = write_input(tmp_path / "in", ["a1", "a2", "a3"]), tmp_path / "out"
    run(folder, out, small_cfg, progress=False)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.parquet")}
    summary = run(folder, out, small_cfg, progress=False)
    assert (summary.processed, summary.removed) == (0, 0)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.parquet")} == before


def test_incremental_edit_rewrites_only_the_part_holding_it(tmp_path, small_cfg):
    folder, out = write_input(tmp_path / "in", ["a1", "a2", "a3", "a4", "a5", "a6"]), tmp_path / "out"
    run(folder, out, small_cfg, progress=False)
    parts_before = {e.article_id: (e.parse_part, e.extract_part) for e in entries_of(out)}
    write_input(folder, ["a1", "a2", "a3", "a4", "a5=The probe reached orbit.", "a6"])
    summary = run(folder, out, small_cfg, progress=False)
    parts_after = {e.article_id: (e.parse_part, e.extract_part) for e in entries_of(out)}
    assert summary.processed == 1
    assert {a for a in parts_after if parts_after[a] != parts_before[a]} == {"a5", "a6"}


def entries_of(out: Path) -> list:
    return list(read_manifest(open_output(out)).entries.values())


@pytest.mark.parametrize("change", ["pipeline_version", "settings", "full_refresh"])
def test_incremental_version_change_reprocesses_everything(tmp_path, small_cfg, monkeypatch, change):
    folder, out = write_input(tmp_path / "in", ["a1", "a2", "a3"]), tmp_path / "out"
    run(folder, out, small_cfg, progress=False)
    cfg, full_refresh = small_cfg, change == "full_refresh"
    if change == "pipeline_version":
        monkeypatch.setattr(versions, "__version__", "99.0")
    if change == "settings":
        cfg = replace(small_cfg, max_chars=small_cfg.max_chars + 1)
    summary = run(folder, out, cfg, full_refresh=full_refresh, progress=False)
    assert summary.processed == 3
    assert {stage: len(parts) for stage, parts in read_manifest(open_output(out)).parts.items()} == {
        "parse": 2, "extract": 2}
    assert len(list((out / "articles").glob("*.parquet"))) == 2


def test_incremental_small_parts_are_compacted(tmp_path, small_cfg):
    folder, out = tmp_path / "in", tmp_path / "out"
    cfg = replace(small_cfg, articles_per_part=4)
    lines: list[str] = []
    for n in range(COMPACT_AFTER + 2):
        lines.append(f"n{n}={NEWS[f'a{n % 6 + 1}']} Story {n}.")
        write_input(folder, lines)
        run(folder, out, cfg, progress=False)
    assert all(len(parts) < COMPACT_AFTER for parts in read_manifest(open_output(out)).parts.values())
    assert_same_tables(out, full_run(folder, tmp_path, cfg))
