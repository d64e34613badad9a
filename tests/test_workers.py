"""A dead worker costs one batch, not the run: retried once, then split until the article that kills it is alone.

The supervisor is checked against a scripted pool (no processes); the real pools against a work function
that kills its own process on the article `KILLER` (a test-only stand-in for an article that exhausts memory).
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections import deque
from dataclasses import replace

import pytest

from pipeline import engine
from pipeline.articles import Article, make_article
from pipeline.engine import LOST, Died, parse_only, run_dask, run_local, supervise
from pipeline.rows import ErrorRow
from pipeline.schemas import ARTICLE_TABLES
from pipeline.write import to_arrow

KILLER = "KILLER"


def items(*ids: str) -> list[Article]:
    return [make_article(i, f"news.jsonl:{i}", f"Article {i} was read.", {}) for i in ids]


def echo(batch: list, cfg) -> dict:
    """Tables recording which items were processed: one errors row (stage `done`) per item."""
    rows = [ErrorRow(i.source, i.article_id, "done", "") for i in batch]
    return {name: to_arrow(name, rows if name == "errors" else []) for name in ARTICLE_TABLES}


def echo_or_die(batch: list, cfg) -> dict:
    """echo, except that the process dies as the out-of-memory killer would kill it on the article KILLER."""
    if any(i.article_id == KILLER for i in batch):
        os.kill(os.getpid(), signal.SIGKILL)
    return echo(batch, cfg)


def errors_of(results) -> list[tuple[str, str, str]]:
    return [
        (a, s, e)
        for _, tables in results
        for a, s, e in zip(*(tables["errors"][c].to_pylist() for c in ("article_id", "stage", "error")))
    ]


class ScriptedPool:
    """Runs tasks in this process, finishing them in a shuffled order; a task dies when a rule says so."""

    def __init__(self, slots: int, dies=lambda task, calls: False, kills_in_parse: bool = False, seed: int = 0):
        self.slots, self.dies, self.kills_in_parse = slots, dies, kills_in_parse
        self.running: deque = deque()
        self.calls = 0
        self.most = 0
        self.random = random.Random(seed)

    def has_room(self) -> bool:
        return len(self.running) < self.slots

    def submit(self, task, work, cfg) -> None:
        self.running.append((task, work))
        self.most = max(self.most, len(self.running))

    def next_done(self):
        self.running.rotate(self.random.randrange(len(self.running)))
        task, work = self.running.popleft()
        self.calls += 1
        if self.dies(task, self.calls):
            return task, Died("worker died: killed by signal 9 (SIGKILL)")
        if work is parse_only:
            return task, Died("worker died: killed by signal 9 (SIGKILL)") if self.kills_in_parse else {}
        if any(i.article_id == KILLER for i in task.items):
            return task, Died("worker died: killed by signal 9 (SIGKILL)")
        return task, work(task.items, None)


def batches_of(n_batches: int, size: int, killer_at: int | None = None) -> list[list]:
    ids = [f"a{k}" for k in range(n_batches * size)]
    if killer_at is not None:
        ids[killer_at] = KILLER
    return [items(*ids[k : k + size]) for k in range(0, len(ids), size)]


def done_ids(results) -> list[str]:
    return [a for a, stage, _ in errors_of(results) if stage == "done"]


@pytest.mark.parametrize("n_batches, in_flight, slots", [(1, 4, 4), (10, 3, 2), (7, 1, 1), (9, 4, 8)])
def test_workers_results_in_input_order_with_few_batches_held(n_batches, in_flight, slots):
    pool = ScriptedPool(slots)
    batches = batches_of(n_batches, 2)
    results = list(supervise(pool, iter(batches), None, echo, in_flight))
    assert [b for b, _ in results] == batches
    assert pool.most <= min(in_flight, slots)


def test_workers_one_death_is_retried_and_costs_nothing():
    pool = ScriptedPool(4, dies=lambda task, calls: calls == 3)
    batches = batches_of(6, 4)
    results = list(supervise(pool, iter(batches), None, echo, 4))
    assert done_ids(results) == [i.article_id for b in batches for i in b]
    assert pool.calls == 7


@pytest.mark.parametrize("size, killer_at", [(8, 0), (8, 5), (8, 7), (5, 3), (1, 0)])
@pytest.mark.parametrize("kills_in_parse, stage", [(False, "extract"), (True, "parse")])
def test_workers_killer_article_alone_becomes_an_errors_row(size, killer_at, kills_in_parse, stage):
    batches = batches_of(3, size, killer_at=size + killer_at)  # in the second batch
    results = list(supervise(ScriptedPool(4, kills_in_parse=kills_in_parse), iter(batches), None, echo, 4))
    assert [b for b, _ in results] == batches
    assert done_ids(results) == [i.article_id for b in batches for i in b if i.article_id != KILLER]
    assert [e for e in errors_of(results) if e[1] != "done"] == [
        (KILLER, stage, "worker died: killed by signal 9 (SIGKILL)")
    ]


def test_workers_tasks_lost_with_a_dead_worker_are_not_blamed():
    lost = set()

    class LosingPool(ScriptedPool):
        def next_done(self):
            task, outcome = super().next_done()
            if task.index % 2 and task.index not in lost:  # every odd batch lost once, then twice more
                lost.add(task.index)
                return task, LOST
            return task, outcome

    batches = batches_of(6, 3)
    results = list(supervise(LosingPool(2), iter(batches), None, echo, 4))
    assert done_ids(results) == [i.article_id for b in batches for i in b]
    assert lost == {1, 3, 5}


def test_workers_memory_error_splits_like_a_death():
    class MemoryPool(ScriptedPool):
        def next_done(self):
            task, outcome = super().next_done()
            if isinstance(outcome, Died):
                return task, Died("MemoryError: more than memory_limit_mb", 2)
            return task, outcome

    batches = batches_of(2, 4, killer_at=2)
    results = list(supervise(MemoryPool(2, kills_in_parse=True), iter(batches), None, echo, 2))
    assert [e for e in errors_of(results) if e[1] != "done"] == [
        (KILLER, "parse", "MemoryError: more than memory_limit_mb")
    ]
    assert len(done_ids(results)) == 7


@pytest.fixture
def two_workers(cfg):
    return replace(cfg, n_process=2)


@pytest.mark.parametrize("run", ["local", "dask"])
def test_workers_real_pool_survives_an_article_that_kills_every_worker(two_workers, run, caplog):
    if run == "dask":
        pytest.importorskip("distributed")
    batches = batches_of(4, 3, killer_at=4)
    runner = run_local if run == "local" else run_dask
    with caplog.at_level("WARNING", logger=engine.__name__):
        results = list(runner(iter(batches), two_workers, work=echo_or_die))
    assert [b for b, _ in results] == batches
    assert done_ids(results) == [i.article_id for b in batches for i in b if i.article_id != KILLER]
    (killed,) = [e for e in errors_of(results) if e[1] != "done"]
    assert killed[:2] == (KILLER, "extract") and killed[2].startswith("worker died")
    assert "splitting" in caplog.text


def test_workers_real_pool_without_deaths_logs_nothing(two_workers, caplog):
    batches = batches_of(4, 3)
    with caplog.at_level("WARNING", logger=engine.__name__):
        results = list(run_local(iter(batches), two_workers, work=echo_or_die))
    assert done_ids(results) == [i.article_id for b in batches for i in b]
    assert caplog.text == ""


SENTENCE = "Hu Jintao, the President of the People's Republic of China, had lunch today with the President of Brazil. "


@pytest.mark.parametrize("limit_mb", [100])
def test_workers_memory_limit_turns_a_runaway_article_into_an_errors_row(two_workers, limit_mb):
    def article(aid: str, text: str) -> Article:
        return make_article(aid, f"news.jsonl:{aid}", text, {})

    batches = [
        [article("s1", SENTENCE), article("huge", SENTENCE * 2500), article("s2", SENTENCE)],
        [article("s3", SENTENCE)],
    ]
    results = list(run_local(iter(batches), replace(two_workers, memory_limit_mb=limit_mb)))
    assert [b for b, _ in results] == batches
    assert [a for _, t in results for a in t["articles"]["article_id"].to_pylist()] == ["s1", "s2", "s3"]
    (error,) = errors_of(results)
    assert error[:2] == ("huge", "parse") and error[2].startswith("MemoryError: needed more than memory_limit_mb")


def test_workers_memory_limit_is_lifted_after_the_block():
    with engine.memory_limit(50), pytest.raises(MemoryError):
        bytearray(300 * 2**20)
    assert len(bytearray(300 * 2**20)) == 300 * 2**20


def test_workers_task_given_to_a_process_that_just_died_runs_in_its_replacement(cfg):
    pool = engine.LocalPool(1)
    try:
        killer, next_task = engine.Task(0, 0, items(KILLER)), engine.Task(1, 0, items("a1"))
        pool.submit(killer, echo_or_die, cfg)
        while pool.done.empty():  # the death is known to its pool, not yet to the supervisor
            time.sleep(0.05)
        pool.submit(next_task, echo_or_die, cfg)
        first, second = pool.next_done(), pool.next_done()
    finally:
        pool.close()
    assert first[0] is killer and first[1].reason == "worker died: killed by signal 9 (SIGKILL)"
    assert second[0] is next_task and done_ids([(None, second[1])]) == ["a1"]
