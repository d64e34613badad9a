"""Engines run the same process_batch: the local pool and Dask's local mode write the tables one process writes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pipeline.engine import EngineError, run_engine
from pipeline.runner import run

from conftest import SEEDS
from test_incremental import assert_same_tables, write_input


@pytest.fixture(scope="module")
def engine_input(tmp_path_factory):
    folder = write_input(tmp_path_factory.mktemp("in"), ["a1", "a2", "a3", "BAD", "a4", "a5", "a6"],
                         txt={p.stem: p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")})
    return folder


@pytest.fixture(scope="module")
def one_process_out(engine_input, cfg, tmp_path_factory):
    out = tmp_path_factory.mktemp("one")
    run(engine_input, out, replace(cfg, n_process=1, articles_per_task=2), progress=False)
    return out


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_engine_two_workers_write_the_tables_of_one_process(engine_input, one_process_out, cfg, tmp_path, engine):
    if engine == "dask":
        pytest.importorskip("distributed")
    out = tmp_path / engine
    run(engine_input, out, replace(cfg, n_process=2, articles_per_task=2, engine=engine), progress=False)
    assert_same_tables(out, one_process_out)


@pytest.mark.parametrize("name", ["ray", ""])
def test_engine_unknown_name_is_refused(cfg, name):
    with pytest.raises(EngineError):
        run_engine(name, iter([]), cfg)
