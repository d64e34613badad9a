"""Runs the stages over an input folder: read, batch, process (one or many processes), write."""

from __future__ import annotations

import itertools
import shutil
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import pyarrow.parquet as pq

from pipeline import __version__
from pipeline.articles import read_articles
from pipeline.batch import Rows, model_for, process_batch
from pipeline.config import Config
from pipeline.entities import build_entities
from pipeline.parse import model_label
from pipeline.rows import MentionRow
from pipeline.schemas import TABLES
from pipeline.write import Provenance, to_arrow, write_part


@dataclass(frozen=True)
class RunSummary:
    articles: int
    errors: int
    output: Path


def batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def processed(batch_iter: Iterable[list], cfg: Config) -> Iterator[Rows]:
    """process_batch over every batch, in order, on cfg.processes spawned worker processes."""
    if cfg.processes == 1:
        yield from (process_batch(b, cfg) for b in batch_iter)
        return
    with ProcessPoolExecutor(cfg.processes, mp_context=get_context("spawn")) as pool:
        yield from pool.map(process_batch, batch_iter, itertools.repeat(cfg))


def run(input_dir: Path, output_dir: Path, cfg: Config) -> RunSummary:
    provenance = Provenance(uuid.uuid4().hex[:12], __version__, model_label(model_for(cfg)))
    for name in TABLES:
        shutil.rmtree(output_dir / name, ignore_errors=True)
    n_articles = n_errors = 0
    for index, rows in enumerate(processed(batches(read_articles(input_dir), cfg.articles_per_task), cfg)):
        for name in TABLES:
            if name != "entities":
                write_part(output_dir / name / f"part-{index:05d}.parquet",
                           to_arrow(name, rows.get(name, []), provenance))
        n_articles += len(rows.get("articles", []))
        n_errors += len(rows.get("errors", []))
    mentions = pq.read_table(output_dir / "mentions", columns=[f.name for f in TABLES["mentions"].fields])
    entity_rows = build_entities(MentionRow(**r) for r in mentions.to_pylist())
    write_part(output_dir / "entities" / "part-00000.parquet", to_arrow("entities", entity_rows, provenance))
    return RunSummary(n_articles, n_errors, output_dir)
