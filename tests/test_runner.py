"""The runner's guarantees: a lock, crash safety at every step, one table per folder, bounded work in flight."""

from __future__ import annotations

import shutil
from dataclasses import replace

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest
from conftest import assert_same_tables, full_run, write_input
from filelock import FileLock

from pipeline import runner, write
from pipeline.cli import main
from pipeline.schemas import TABLES


class Killed(BaseException):
    """Stands in for kill -9: nothing after the step runs, no cleanup in the runner."""


def test_runner_second_run_refuses_while_locked(tmp_path, capsys):
    folder, out = write_input(tmp_path / "in", ["a1"]), tmp_path / "out"
    out.mkdir()
    with FileLock(out / ".lock"):
        status = main(["run", "--input", str(folder), "--output", str(out), "--n-process", "1"])
    err = capsys.readouterr().err
    assert status != 0
    assert err.count("\n") == 1 and "another run" in err


@pytest.mark.parametrize(
    "step, calls",
    [
        ("write.write_pending", 1),
        ("write.write_pending", 9),
        ("write.write_pending", 14),
        ("rewrite_parts", 1),
        ("entities_table", 1),
        ("write_manifest", 1),
        ("sync_parts", 2),
    ],
)
def test_runner_killed_at_any_step_keeps_tables_and_next_run_converges(tmp_path, small_cfg, monkeypatch, step, calls):
    folder, out = tmp_path / "in", tmp_path / "out"
    write_input(folder, ["a1", "a2", "a3", "a4"])
    run_ok = runner.run(folder, out, small_cfg, progress=False)
    before = tmp_path / "before"
    shutil.copytree(out, before)
    write_input(folder, ["a1", "a2=Rustem Umerov met Steve Witkoff in Geneva.", "a4", "a5", "a6"])
    kill_on_call(monkeypatch, step, calls)
    with pytest.raises(Killed):
        runner.run(folder, out, small_cfg, progress=False)
    if step != "sync_parts":  # killed before the commit: the previous tables, exactly
        assert_same_tables(out, before)
    else:  # killed after it: every committed row is readable
        assert len(pq.read_table(out / "articles")) >= run_ok.articles
    monkeypatch.undo()
    runner.run(folder, out, small_cfg, progress=False)
    assert_same_tables(out, full_run(folder, tmp_path, small_cfg))


def kill_on_call(monkeypatch, step: str, calls: int) -> None:
    """Kill the run at the CALLS-th call of STEP: a function of the runner, or write.NAME of the part writer."""
    module, _, name = step.rpartition(".")
    module = write if module == "write" else runner
    original, seen = getattr(module, name), []

    def killing(*args, **kwargs):
        seen.append(1)
        if len(seen) == calls:
            raise Killed(name)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, killing)


@pytest.fixture(scope="module")
def many_parts(tmp_path_factory, cfg):
    folder = write_input(tmp_path_factory.mktemp("in"), ["a1", "a2", "a3", "a4", "a5", "BAD"])
    out = tmp_path_factory.mktemp("out")
    runner.run(folder, out, replace(cfg, articles_per_task=2, articles_per_part=2), progress=False)
    return out


@pytest.mark.parametrize("name", list(TABLES))
def test_runner_every_part_has_the_declared_schema(many_parts, name):
    parts = sorted((many_parts / name).iterdir())
    assert parts and all(p.name.startswith("part-") and p.suffix == ".parquet" for p in parts)
    assert all(pq.read_schema(p).equals(TABLES[name].schema) for p in parts)


@pytest.mark.parametrize("name", ["articles", "mentions", "errors"])
def test_runner_duckdb_and_polars_read_a_folder_as_one_table(many_parts, name):
    expected = pq.read_table(many_parts / name).num_rows
    glob = str(many_parts / name / "*.parquet")
    assert duckdb.sql(f"select count(*) from read_parquet('{glob}')").fetchall()[0][0] == expected
    assert pl.read_parquet(glob).height == expected
    assert expected > 0


def test_runner_progress_is_quiet_without_a_terminal(tmp_path, small_cfg, capsys):
    runner.run(write_input(tmp_path / "in", ["a1"]), tmp_path / "out", small_cfg)
    assert capsys.readouterr().err == ""
