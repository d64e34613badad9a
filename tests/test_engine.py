"""Engines run the same process_batch: the local pool and Dask's local mode write the tables one process writes,
also when a worker is killed (kill -9, as the out-of-memory killer does) in the middle of the run."""

from __future__ import annotations

import os
import signal
from dataclasses import replace

import psutil
import pytest
from conftest import SEEDS, assert_same_tables, write_input

from pipeline import runner
from pipeline.engine import EngineError, run_engine
from pipeline.runner import run


@pytest.fixture(scope="module")
def engine_input(tmp_path_factory):
    folder = write_input(
        tmp_path_factory.mktemp("in"),
        ["a1", "a2", "a3", "BAD", "a4", "a5", "a6"],
        txt={p.stem: p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")},
    )
    return folder


@pytest.fixture(scope="module")
def one_process_out(engine_input, cfg, tmp_path_factory):
    out = tmp_path_factory.mktemp("one")
    run(engine_input, out, replace(cfg, n_process=1, articles_per_task=2), progress=False)
    return out


def worker_pids() -> set[int]:
    """The spawned worker processes below this one (pool workers, Dask workers; not multiprocessing's tracker)."""
    return {
        p.pid for p in psutil.Process().children(recursive=True) if any("spawn_main" in part for part in p.cmdline())
    }


def kill_a_worker_after_the_first_batch(monkeypatch) -> set[int]:
    """Make the runner's engine kill -9 one worker once the first batch is back (others are still running)."""
    killed: set[int] = set()
    engine = runner.run_engine

    def killing(*args, **kwargs):
        for n, result in enumerate(engine(*args, **kwargs)):
            if n == 0:
                victim = max(worker_pids())
                os.kill(victim, signal.SIGKILL)
                killed.add(victim)
            yield result

    monkeypatch.setattr(runner, "run_engine", killing)
    return killed


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_engine_two_workers_write_the_tables_of_one_process(engine_input, one_process_out, cfg, tmp_path, engine):
    if engine == "dask":
        pytest.importorskip("distributed")
    out = tmp_path / engine
    run(engine_input, out, replace(cfg, n_process=2, articles_per_task=2, engine=engine), progress=False)
    assert_same_tables(out, one_process_out)


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_engine_worker_killed_mid_run_costs_nothing(
    engine_input, one_process_out, cfg, tmp_path, monkeypatch, caplog, engine
):
    if engine == "dask":
        pytest.importorskip("distributed")
    killed = kill_a_worker_after_the_first_batch(monkeypatch)
    out = tmp_path / engine
    with caplog.at_level("WARNING", logger="pipeline.engine"):
        run(engine_input, out, replace(cfg, n_process=2, articles_per_task=1, engine=engine), progress=False)
    assert len(killed) == 1
    if engine == "local":  # Dask re-runs the lost task itself
        assert "worker died: killed by signal 9 (SIGKILL), processing articles" in caplog.text
    assert_same_tables(out, one_process_out)


@pytest.mark.parametrize("name", ["ray", ""])
def test_engine_unknown_name_is_refused(cfg, name):
    with pytest.raises(EngineError):
        run_engine(name, iter([]), cfg)
