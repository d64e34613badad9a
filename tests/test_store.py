"""Output to fsspec URLs: memory:// stands in for an object store (no rename, no FileLock), file:// for a local one."""

from __future__ import annotations

import importlib.util
import uuid
from dataclasses import replace

import fsspec
import pyarrow.parquet as pq
import pytest
from conftest import SEEDS, assert_same_tables, full_run, table_frame, write_input

from pipeline.cli import main
from pipeline.runner import extract, run
from pipeline.schemas import STORED_PARSE, TABLES
from pipeline.store import FsspecOutput

MEMORY = fsspec.filesystem("memory")


def new_memory_url() -> str:
    return f"memory://test-store-{uuid.uuid4().hex}"


def remove(url: str) -> None:
    if MEMORY.exists(url):
        MEMORY.rm(url, recursive=True)


@pytest.fixture
def memory_url():
    url = new_memory_url()
    yield url
    remove(url)


@pytest.fixture(scope="module")
def local_seeds(seeds_out):
    return seeds_out


@pytest.fixture(scope="module")
def memory_seeds(cfg):
    url = new_memory_url()
    run(SEEDS, url, cfg, progress=False)
    yield url
    remove(url)


def test_store_memory_tables_read_with_pandas_equal_a_local_run(memory_seeds, local_seeds):
    assert_same_tables(memory_seeds, local_seeds)


@pytest.mark.parametrize("name", list(TABLES))
def test_store_memory_tables_read_with_pyarrow_have_the_declared_schema(memory_seeds, local_seeds, name):
    fs, path = fsspec.core.url_to_fs(f"{memory_seeds}/{name}")
    table = pq.read_table(path, filesystem=fs)
    assert table.schema.equals(TABLES[name].schema)
    assert table.num_rows == len(table_frame(local_seeds, name))


def test_store_memory_run_leaves_only_committed_files(memory_seeds):
    _, root = fsspec.core.url_to_fs(memory_seeds)
    names = {path.removeprefix(root + "/") for path in MEMORY.find(root)}
    assert {"_manifest.parquet", "README.md"} <= names
    assert not [n for n in names if n.rsplit("/", 1)[-1].startswith(".")]  # no pending part, no lock
    assert {n.split("/")[0] for n in names if "/" in n} == {*TABLES, STORED_PARSE}


def test_store_memory_unchanged_rerun_processes_nothing(memory_seeds, local_seeds, cfg):
    summary = run(SEEDS, memory_seeds, cfg, progress=False)
    assert (summary.processed, summary.removed, summary.output) == (0, 0, memory_seeds)
    assert_same_tables(memory_seeds, local_seeds)


def test_store_memory_second_run_refuses_while_locked(memory_url, capsys):
    MEMORY.pipe_file(f"{memory_url}/.lock", b"run r1 on host-a (pid 1) since 2026-01-01 00:00 UTC")
    status = main(["run", "--input", str(SEEDS), "--output", memory_url, "--n-process", "1"])
    err = capsys.readouterr().err
    assert status == 4
    assert err.count("\n") == 1 and "another run" in err and "run r1 on host-a" in err and "delete" in err
    assert MEMORY.cat_file(f"{memory_url}/.lock").startswith(b"run r1")  # someone else's lock stays
    assert not MEMORY.exists(f"{memory_url}/_manifest.parquet")


def test_store_memory_run_killed_while_moving_parts_in_converges(tmp_path, memory_url, cfg, monkeypatch):
    small_cfg = replace(cfg, articles_per_task=2, articles_per_part=2)
    folder = write_input(tmp_path / "in", ["a1", "a2", "a3", "a4"])
    run(folder, memory_url, small_cfg, progress=False)
    write_input(folder, ["a1", "a2=Rustem Umerov met Steve Witkoff in Geneva.", "a4", "a5", "a6"])
    kill_on_move(monkeypatch, calls=3)
    with pytest.raises(KilledMove):
        run(folder, memory_url, small_cfg, progress=False)
    assert len(table_frame(memory_url, "articles")) >= 4  # committed: every row readable, some twice
    monkeypatch.undo()
    run(folder, memory_url, small_cfg, progress=False)
    assert_same_tables(memory_url, full_run(folder, tmp_path, small_cfg))


class KilledMove(BaseException):
    """Stands in for kill -9 between two moves of pending parts (an object store has no atomic rename)."""


def kill_on_move(monkeypatch, calls: int) -> None:
    original, seen = FsspecOutput.move, []

    def move(self, source, target):
        seen.append(1)
        if len(seen) == calls:
            raise KilledMove(source)
        return original(self, source, target)

    monkeypatch.setattr(FsspecOutput, "move", move)


def test_store_file_url_writes_a_local_folder(tmp_path, local_seeds, cfg):
    url = f"file://{tmp_path}/out"
    summary = run(SEEDS, url, cfg, progress=False)
    assert summary.output == url
    assert_same_tables(tmp_path / "out", local_seeds)


@pytest.mark.parametrize(
    "url, status, words",
    [
        ("nosuch://bucket/tables", 2, "Protocol not known: nosuch"),
        ("s3://bucket/tables", 1, "pip install s3fs"),
    ],
)
def test_store_unusable_url_is_one_line(url, status, words, capsys):
    if url.startswith("s3:") and importlib.util.find_spec("s3fs"):
        pytest.skip("s3fs is installed")
    assert main(["run", "--input", str(SEEDS), "--output", url]) == status
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err


def test_store_memory_reextract_reads_the_stored_parse_from_the_store(memory_url, local_seeds, cfg):
    run(SEEDS, memory_url, cfg, progress=False)
    summary = extract(memory_url, cfg, full_refresh=True)
    assert (summary.processed, summary.extracted) == (0, 2)
    assert_same_tables(memory_url, local_seeds)
