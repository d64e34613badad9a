"""Re-runs: after any sequence of input changes the tables equal one full run on the final input."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from conftest import NEWS, assert_same_tables, full_run, write_input

from pipeline import versions
from pipeline.manifest import read_manifest
from pipeline.runner import run
from pipeline.store import open_output
from pipeline.write import COMPACT_AFTER

EDITED_A2 = "On Tuesday, Rustem Umerov met Steve Witkoff and Dan Driscoll in Geneva."


@pytest.mark.parametrize(
    "states",
    [
        [["a1", "a2"], ["a1", "a2", "a3", "a4"]],  # new articles
        [["a1", "a2", "a3", "a4"], ["a1", f"a2={EDITED_A2}", "a3", "a4"]],  # an edited article
        [["a1", "a2", "a3", "a4"], ["a1", "a3", "a4"]],  # a removed article
        [["a1", "a2", "a3"], ["a4", "a1", "a2", "a3"]],  # a line inserted above: sources shift
        [["a1", "BAD", "a2"], ["a1", "a2"]],  # an input error fixed
        [["a1", "a2"], ["a1", "a2", "a3"], ["a3", "a5", "a1"], [], ["a6", "BAD"], ["a6", "a2", "a1"]],
    ],
)
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
        "parse": 2,
        "extract": 2,
    }
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
