"""Engines: run process_batch over a stream of batches, locally (spawned processes) or on a Dask cluster.

Both submit the same pure function and keep only a few batches in flight, so memory does not grow with the
corpus; each worker process loads the model once (batch.model_for) and never receives it pickled.
"""

from __future__ import annotations

import itertools
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context

import pyarrow as pa

from pipeline.config import Config

Batch = list
Tables = dict[str, pa.Table]  # every per-article table of a batch, by name
Results = Iterator[tuple[Batch, Tables]]


class EngineError(RuntimeError):
    """The requested engine cannot run (not installed, scheduler unreachable)."""


def in_order(submit: Callable, batches: Iterable[Batch], in_flight: int) -> Results:
    """(batch, tables) in input order, with at most IN_FLIGHT batches submitted and not yet collected."""
    pending: deque = deque()
    for batch in batches:
        pending.append((batch, submit(batch)))
        if len(pending) >= in_flight:
            done, future = pending.popleft()
            yield done, future.result()
    while pending:
        done, future = pending.popleft()
        yield done, future.result()


def process_batch(batch: Batch, cfg: Config) -> Tables:
    """batch.process_batch, imported where it runs: the writing process never needs spaCy (slow to import)."""
    from pipeline.batch import process_batch as process  # noqa: PLC0415

    return process(batch, cfg)


def ignore_interrupts() -> None:
    """In a worker: Ctrl-C reaches the whole process group; only the main process handles it (one message)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_local(batches: Iterable[Batch], cfg: Config) -> Results:
    """process_batch over BATCHES on cfg.processes spawned processes (in this process for a single batch)."""
    iterator = iter(batches)
    head = list(itertools.islice(iterator, 2))
    if not head:
        return
    if cfg.processes == 1 or len(head) < 2:
        # Starting a pool costs a model load per worker: not worth it for one batch (a small re-run).
        yield from ((b, process_batch(b, cfg)) for b in itertools.chain(head, iterator))
        return
    # spawn, never fork: forking after spaCy and numpy are loaded can deadlock.
    with ProcessPoolExecutor(cfg.processes, mp_context=get_context("spawn"), initializer=ignore_interrupts) as pool:
        submit = lambda batch: pool.submit(process_batch, batch, cfg)  # noqa: E731
        yield from in_order(submit, itertools.chain(head, iterator), 2 * cfg.processes)


@contextmanager
def dask_client(scheduler: str | None, n_workers: int):
    """A client of the cluster at SCHEDULER, or of a local cluster of N_WORKERS one-thread processes."""
    # The worker profiler costs ~7% on this workload; workers started here inherit the setting.
    os.environ.setdefault("DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED", "False")
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise EngineError("the dask engine needs the extra: pip install '.[dask]'") from None
    dask.config.set({"distributed.worker.profile.enabled": False})
    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as err:
            raise EngineError(f"cannot reach the Dask scheduler at {scheduler}: {err}") from None
        with client:
            yield client
        return
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def run_dask(batches: Iterable[Batch], cfg: Config, scheduler: str | None = None) -> Results:
    """process_batch over BATCHES as Dask tasks; tables come back to this process, which writes them."""
    with dask_client(scheduler, cfg.processes) as client:
        n_threads = sum(client.nthreads().values()) or 1
        submit = lambda batch: client.submit(process_batch, batch, cfg, pure=False)  # noqa: E731
        yield from in_order(submit, batches, 2 * n_threads)


def run_engine(name: str, batches: Iterable[Batch], cfg: Config, scheduler: str | None = None) -> Results:
    """(batch, tables) for every batch, from the engine NAME (local or dask)."""
    if name == "local":
        return run_local(batches, cfg)
    if name == "dask":
        return run_dask(batches, cfg, scheduler)
    raise EngineError(f"unknown engine {name!r}: use local or dask")
