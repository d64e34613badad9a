"""Engines: run process_batch over a stream of batches, locally (spawned processes) or on a Dask cluster.

Both submit the same pure function and keep only a few batches in flight, so memory does not grow with the
corpus; each worker process loads the model once (batch.model_for) and never receives it pickled.

A dead worker costs one batch, not the run: its batch is retried once; a batch that kills a second worker is
split in halves until the article that kills it is alone, and that article becomes an errors row.
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import resource
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any, Protocol

import pyarrow as pa

from pipeline.articles import Article
from pipeline.config import Config
from pipeline.rows import ErrorRow
from pipeline.schemas import ARTICLE_TABLES
from pipeline.write import Tables, to_arrow

Batch = list
Results = Iterator[tuple[Batch, Tables]]
Work = Callable[[Batch, Config], Tables]

log = logging.getLogger(__name__)
DEATHS_BEFORE_SPLIT = 2  # a batch is retried once in a fresh worker before it is blamed
TASKS_PER_WORKER = 2  # the next task waits in the worker while the writer handles the last result


class EngineError(RuntimeError):
    """The requested engine cannot run (not installed, scheduler unreachable)."""


def process_batch(batch: Batch, cfg: Config) -> Tables:
    """batch.process_batch, imported where it runs: the writing process never needs spaCy (slow to import)."""
    from pipeline.batch import model_for  # noqa: PLC0415
    from pipeline.batch import process_batch as process  # noqa: PLC0415

    if any(isinstance(item, Article) for item in batch):  # a re-extract from stored parses needs no model
        model_for(cfg)  # loaded before the memory limit: the limit is on what the articles add
    with memory_limit(cfg.memory_limit_mb):
        return process(batch, cfg)


def ignore_interrupts() -> None:
    """In a worker: Ctrl-C reaches the whole process group; only the main process handles it (one message)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def parse_only(batch: Batch, cfg: Config) -> Tables:
    """Parse BATCH and throw the Docs away: tells whether an article that kills workers does so in parsing."""
    from pipeline.batch import model_for  # noqa: PLC0415
    from pipeline.parse import parse  # noqa: PLC0415

    articles = [item for item in batch if isinstance(item, Article)]  # stored parses are not parsed again
    if not articles:
        return {}
    nlp = model_for(cfg)
    with memory_limit(cfg.memory_limit_mb):
        for _ in parse(articles, nlp, cfg):
            pass
    return {}


@contextmanager
def memory_limit(megabytes: int) -> Iterator[None]:
    """Let this process's address space grow by at most MEGABYTES (0: no limit) inside the block.

    An allocation beyond it raises MemoryError: in extraction batch.process_batch turns it into the article's
    errors row; in parsing it fails the task, which is then split like one whose worker died.
    """
    if not megabytes:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = address_space() + megabytes * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def address_space() -> int:
    """This process's virtual memory size in bytes (what RLIMIT_AS limits)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


@dataclass
class Task:
    """A batch, or a piece of it once its workers died: items START.. of input batch INDEX."""

    index: int
    start: int
    items: Batch
    deaths: int = 0
    reason: str = ""
    probe: bool = False  # parse only: finds the stage at which a lone article kills its worker

    def halves(self) -> list[Task]:
        middle = len(self.items) // 2
        return [
            Task(self.index, self.start, self.items[:middle]),
            Task(self.index, self.start + middle, self.items[middle:]),
        ]


@dataclass(frozen=True)
class Died:
    """The task's worker died (or the task ran out of memory); COUNT deaths (Dask retries before it tells)."""

    reason: str
    count: int = 1


LOST = "lost"  # the task waited in a worker that another task killed: it runs again, it is not to blame


class Pool(Protocol):
    def has_room(self) -> bool: ...

    def submit(self, task: Task, work: Work, cfg: Config) -> None: ...

    def next_done(self) -> tuple[Task, Any]:
        """The next finished task and its tables, a Died, or LOST."""


@dataclass
class Assembly:
    """The batches taken from the input and not yet handed on, with the tables of their finished pieces."""

    batches: dict[int, Batch] = field(default_factory=dict)
    pieces: dict[int, list[tuple[int, int, Tables]]] = field(default_factory=dict)  # (start, items, tables)
    next_out: int = 0

    def add(self, task: Task, tables: Tables) -> None:
        self.pieces[task.index].append((task.start, len(task.items), tables))

    def complete(self) -> Results:
        """The finished batches at the head of the input order, with their pieces' tables joined."""
        while self.next_out in self.batches and sum(n for _, n, _ in self.pieces[self.next_out]) == len(
            self.batches[self.next_out]
        ):
            pieces = sorted(self.pieces.pop(self.next_out), key=lambda piece: piece[0])
            tables = {name: pa.concat_tables([t[name] for _, _, t in pieces]) for name in ARTICLE_TABLES}
            yield self.batches.pop(self.next_out), tables
            self.next_out += 1


def supervise(pool: Pool, batches: Iterable[Batch], cfg: Config, work: Work, in_flight: int) -> Results:
    """(batch, tables) in input order with at most IN_FLIGHT batches held; a dead worker costs a retry."""
    inputs = enumerate(batches)
    held = Assembly()
    todo: deque[Task] = deque()
    running = 0
    while True:
        yield from held.complete()
        while pool.has_room() and (todo or len(held.batches) < in_flight):
            if not todo:
                index, batch = next(inputs, (-1, None))
                if batch is None:
                    break
                held.batches[index], held.pieces[index] = batch, []
                todo.append(Task(index, 0, batch))
            pool.submit(todo[0], parse_only if todo[0].probe else work, cfg)
            todo.popleft()
            running += 1
        if not running:
            return
        task, outcome = pool.next_done()
        running -= 1
        if outcome is LOST:
            todo.appendleft(task)
        elif isinstance(outcome, Died):
            retry = after_death(task, outcome)
            if isinstance(retry, dict):
                held.add(task, retry)
            else:
                todo.extendleft(reversed(retry))
        else:
            held.add(task, killed_tables(task, "extract") if task.probe else outcome)


def after_death(task: Task, died: Died) -> list[Task] | Tables:
    """What to run after TASK's worker died: the task again, its halves, a probe of its lone article, or
    (the probe died too) the article's errors row."""
    if task.probe:
        return killed_tables(task, "parse")
    task.deaths += died.count
    task.reason = died.reason
    where = f"articles {describe(task.items)}"
    if task.deaths < DEATHS_BEFORE_SPLIT:
        log.warning("%s, processing %s: running them again", died.reason, where)
        return [task]
    if len(task.items) > 1:
        log.warning("%s again, processing %s: splitting them", died.reason, where)
        return task.halves()
    log.warning("%s again, processing article %s alone: it goes to errors", died.reason, describe(task.items))
    return [Task(task.index, task.start, task.items, task.deaths, task.reason, probe=True)]


def killed_tables(task: Task, stage: str) -> Tables:
    """The tables of a lone article that kills its worker: one errors row, nothing else."""
    errors = [ErrorRow(item.source, item.article_id, stage, task.reason) for item in task.items]
    return {name: to_arrow(name, errors if name == "errors" else []) for name in ARTICLE_TABLES}


def describe(items: Batch) -> str:
    ids = [str(item.article_id) for item in items]
    return ", ".join(ids) if len(ids) <= 3 else f"{ids[0]} .. {ids[-1]} ({len(ids)})"


def exit_reason(exitcode: int | None) -> str:
    if exitcode is None:
        return "worker died"
    if exitcode < 0:
        return f"worker died: killed by signal {-exitcode} ({signal.Signals(-exitcode).name})"
    return f"worker died: exit status {exitcode}"


class Process:
    """One spawned worker process (a pool of one) and the tasks given to it, which it runs in order."""

    def __init__(self) -> None:
        # spawn, never fork: forking after spaCy and numpy are loaded can deadlock.
        self.executor = ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=ignore_interrupts)
        self.tasks: deque[Task] = deque()
        self.death = ""  # how it ended, once it has
        self.blamed = False  # its death is charged to a task: the tasks after it are not to blame

    def end(self) -> None:
        """Note how the dead process ended and let its pool go."""
        if self.death:
            return
        # The pool's own process table (private): BrokenProcessPool does not say how the process ended.
        processes = list((getattr(self.executor, "_processes", None) or {}).values())
        for process in processes:
            process.join(timeout=5)
        self.death = exit_reason(processes[0].exitcode if processes else None)
        self.executor.shutdown(wait=False, cancel_futures=True)


class LocalWorker:
    """A worker slot: its process, replaced by a fresh one when it dies."""

    def __init__(self, done: queue.Queue):
        self.done = done
        self.process = Process()

    def submit(self, task: Task, work: Work, cfg: Config) -> None:
        try:
            future = self.process.executor.submit(work, task.items, cfg)
        except BrokenProcessPool:  # died since its last report: its tasks' failures are on their way
            self.replace(self.process)
            future = self.process.executor.submit(work, task.items, cfg)
        process = self.process
        process.tasks.append(task)
        future.add_done_callback(lambda f: self.done.put((self, process, task, f)))

    def replace(self, dead: Process) -> None:
        dead.end()
        if dead is self.process:
            self.process = Process()


class LocalPool:
    """N spawned worker processes, each holding TASKS_PER_WORKER tasks at most."""

    def __init__(self, n: int):
        self.done: queue.Queue = queue.Queue()
        self.workers = [LocalWorker(self.done) for _ in range(n)]

    def has_room(self) -> bool:
        return any(len(w.process.tasks) < TASKS_PER_WORKER for w in self.workers)

    def submit(self, task: Task, work: Work, cfg: Config) -> None:
        min(self.workers, key=lambda w: len(w.process.tasks)).submit(task, work, cfg)

    def next_done(self) -> tuple[Task, Any]:
        worker, process, task, future = self.done.get()
        process.tasks.popleft()  # one process runs its tasks in order: this one is the oldest
        try:
            return task, future.result()
        except BrokenProcessPool:
            if process.blamed:
                return task, LOST  # its process died running the task before it
            process.blamed = True
            worker.replace(process)
            return task, Died(process.death)
        except MemoryError as err:
            return task, out_of_memory(err)

    def close(self) -> None:
        for worker in self.workers:
            worker.process.executor.shutdown(wait=True, cancel_futures=True)


def out_of_memory(err: MemoryError) -> Died:
    """A task beyond memory_limit_mb: its worker lives, the task is split at once."""
    return Died(f"MemoryError: needed more than memory_limit_mb ({err})", DEATHS_BEFORE_SPLIT)


def run_local(batches: Iterable[Batch], cfg: Config, work: Work = process_batch) -> Results:
    """WORK over BATCHES on cfg.processes spawned processes (in this process for a single batch)."""
    iterator = iter(batches)
    head = list(itertools.islice(iterator, 2))
    if not head:
        return
    if cfg.processes == 1 or len(head) < 2:
        # Starting a pool costs a model load per worker: not worth it for one batch (a small re-run).
        yield from ((b, work(b, cfg)) for b in itertools.chain(head, iterator))
        return
    pool = LocalPool(cfg.processes)
    try:
        yield from supervise(pool, itertools.chain(head, iterator), cfg, work, 2 * cfg.processes)
    finally:
        pool.close()


@contextmanager
def dask_client(scheduler: str | None, n_workers: int):
    """A client of the cluster at SCHEDULER, or of a local cluster of N_WORKERS one-thread processes."""
    # The worker profiler costs ~7% on this workload; workers started here inherit the setting.
    os.environ.setdefault("DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED", "False")
    try:
        import dask  # noqa: PLC0415 - an optional extra
        from distributed import Client, LocalCluster  # noqa: PLC0415
    except ImportError:
        raise EngineError("the dask engine needs the extra: pip install '.[dask]'") from None
    # A task whose worker dies is run again by Dask; after a second death it is ours to split (see supervise).
    # One task per thread at a time: a worker's death then blames only the task it was running.
    dask.config.set(
        {
            "distributed.worker.profile.enabled": False,
            "distributed.scheduler.allowed-failures": 1,
            "distributed.scheduler.worker-saturation": 1.0,
        }
    )
    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as err:
            raise EngineError(f"cannot reach the Dask scheduler at {scheduler}: {err}") from None
        with client:
            yield client
        return
    with (
        LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        yield client


class DaskPool:
    """Tasks on a Dask cluster; Dask itself re-runs a task whose worker died, and tells us after the last try."""

    def __init__(self, client: Any, slots: int):
        from distributed.scheduler import KilledWorker  # noqa: PLC0415 - an optional extra

        self.client, self.slots, self.killed = client, slots, (KilledWorker,)
        self.running = 0
        self.done: queue.Queue = queue.Queue()

    def has_room(self) -> bool:
        return self.running < self.slots

    def submit(self, task: Task, work: Work, cfg: Config) -> None:
        # pure=False: never share a result by key; no retries=: an exception is the article's, not the worker's.
        future = self.client.submit(work, task.items, cfg, pure=False)
        self.running += 1
        future.add_done_callback(lambda f: self.done.put((task, f)))

    def next_done(self) -> tuple[Task, Any]:
        task, future = self.done.get()
        self.running -= 1
        try:
            return task, future.result()
        except self.killed:
            return task, Died("worker died: killed Dask workers twice", DEATHS_BEFORE_SPLIT)
        except MemoryError as err:
            return task, out_of_memory(err)


def run_dask(
    batches: Iterable[Batch], cfg: Config, scheduler: str | None = None, work: Work = process_batch
) -> Results:
    """WORK over BATCHES as Dask tasks; tables come back to this process, which writes them."""
    with dask_client(scheduler, cfg.processes) as client:
        n_threads = sum(client.nthreads().values()) or 1
        yield from supervise(DaskPool(client, 2 * n_threads), batches, cfg, work, 2 * n_threads)


def run_engine(name: str, batches: Iterable[Batch], cfg: Config, scheduler: str | None = None) -> Results:
    """(batch, tables) for every batch, from the engine NAME (local or dask)."""
    if name == "local":
        return run_local(batches, cfg)
    if name == "dask":
        return run_dask(batches, cfg, scheduler)
    raise EngineError(f"unknown engine {name!r}: use local or dask")
