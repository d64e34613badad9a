"""Runs the stages over an input folder: read, skip what the manifest says is done, process, write, commit.

A run holds OUTPUT/.lock, writes new parts under pending names, rewrites the parts that held changed or
removed articles (merging small parts when they pile up), rebuilds `entities`, then commits by replacing
the manifest; only then are pending parts renamed in and obsolete ones deleted (see write.sync_parts).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import signal
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from tqdm import tqdm

from pipeline import __version__
from pipeline.articles import Article
from pipeline.card import write_card
from pipeline.config import MODELS_DIR, Config, model_meta
from pipeline.engine import Tables, run_engine
from pipeline.inputs import InputStats, read_articles
from pipeline.manifest import (MANIFEST_NAME, Entry, Manifest, Versions, entry_for, item_key, read_manifest,
                               row_keys, unchanged, write_manifest)
from pipeline.rows import ErrorRow
from pipeline.schemas import ARTICLE_TABLES, TABLES
from pipeline.store import Output, open_output
from pipeline.write import Provenance, part_key, read_part, sync_parts, to_arrow, with_provenance, write_pending

SUMMARY_NAME = "_summary.json"  # at the output root; `_` names are skipped by Parquet readers
# Merge parts holding fewer than half a task's articles once this many of them pile up.
COMPACT_AFTER = 8


@dataclass(frozen=True)
class RunSummary:
    articles: int  # rows of the articles table after the run
    errors: int  # rows of the errors table after the run
    processed: int  # input items parsed by this run (new or changed)
    removed: int  # input items whose rows this run dropped (changed or gone)
    output: str  # the output folder or URL
    run_id: str
    rows: dict[str, int] = field(default_factory=dict)  # rows per table after the run
    errors_by_stage: dict[str, dict[str, int]] = field(default_factory=dict)  # stage -> reason -> rows
    without_published: int = 0  # articles whose publication date is unknown
    skipped_files: list[str] = field(default_factory=list)  # input files of unknown kinds, not read
    skipped_records: dict[str, int] = field(default_factory=dict)  # records that are no article (WARC), by reason
    words: int = 0  # words of the articles parsed by this run
    elapsed_s: float = 0.0

    @property
    def words_per_s(self) -> float:
        return self.words / self.elapsed_s if self.elapsed_s else 0.0

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "words_per_s": round(self.words_per_s, 1)}, indent=2)


def run(input_dir: str | Path, output: Output | str | os.PathLike, cfg: Config, *, full_refresh: bool = False,
        progress: bool | None = None) -> RunSummary:
    """Bring the tables at OUTPUT (a folder or an fsspec URL) up to date with INPUT_DIR, parsing only what changed."""
    output_dir = output if isinstance(output, Output) else open_output(output)
    output_dir.makedirs()
    run_id = new_run_id()
    started = time.monotonic()
    with output_dir.locked(run_id):
        versions = current_versions(cfg)
        result = update(input_dir, output_dir, cfg, versions, run_id, full_refresh=full_refresh,
                        progress=sys.stderr.isatty() if progress is None else progress)
        write_card(output_dir, run_id=result.run_id, pipeline_version=versions.pipeline_version,
                   model=versions.model, input_dir=input_dir, cfg=cfg)
        result = replace(result, elapsed_s=round(time.monotonic() - started, 3))
        output_dir.write_bytes(SUMMARY_NAME, result.to_json().encode("utf-8"))
        return result


def update(input_dir: str | Path, output_dir: Output, cfg: Config, versions: Versions, run_id: str, *,
           full_refresh: bool, progress: bool) -> RunSummary:
    committed = read_manifest(output_dir)
    sync_parts(output_dir, committed, prune=output_dir.exists(MANIFEST_NAME))  # finish a killed run
    previous = committed if not full_refresh and committed.versions() <= {versions} else Manifest()
    provenance = Provenance(run_id, versions.pipeline_version, versions.model)

    kept: dict[str, Entry] = {}
    moved: dict[str, str] = {}
    inputs = InputStats()  # complete once the engine has taken every item
    todo = changed_items(read_articles(input_dir, columns=cfg.columns, stats=inputs), previous, kept, moved)
    parts = PartWriter(output_dir, run_id, provenance, versions, cfg.articles_per_part)
    with progress_bar(progress) as bar:
        for batch, tables in run_engine(cfg.engine, batches(todo, cfg.articles_per_task), cfg, cfg.scheduler):
            parts.add(batch, tables)
            bar.add(batch)
    parts.flush()
    new_entries, new_parts = parts.entries, parts.stems

    stale = set(previous.entries) - set(kept)
    if not new_entries and not stale and not moved and previous is committed and committed.entities_part:
        return summary(output_dir, committed, 0, 0, run_id, 0, inputs)  # nothing changed: nothing to write
    manifest = Manifest({**kept, **new_entries}, [*previous.parts, *new_parts])
    holding = {previous.entries[key].part for key in [*stale, *moved]}
    rewrite_parts(output_dir, manifest, Edits(stale, moved), holding, run_id, cfg.articles_per_part)
    if not manifest.parts:
        write_empty(output_dir, f"part-{run_id}-empty", provenance)  # every table stays readable
        manifest.parts.append(f"part-{run_id}-empty")
    manifest.entities_part = f"part-{run_id}"
    canonicalise_entities(output_dir, manifest)
    write_pending(output_dir, "entities", manifest.entities_part, entities_table(output_dir, manifest, provenance))
    with interrupts_deferred():  # the commit and the renames it promises finish together
        write_manifest(output_dir, manifest)  # the commit point
        sync_parts(output_dir, manifest)
    return summary(output_dir, manifest, len(new_entries), len(stale - set(new_entries)), run_id, bar.words, inputs)


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Ctrl-C (SIGINT) during the block takes effect when it ends."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers (and receives SIGINT)
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, _frame: caught.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def current_versions(cfg: Config) -> Versions:
    """Versions the rows depend on: the pipeline's, the model's, and the settings that change output."""
    settings = json.dumps({"model": cfg.model, "components": list(cfg.components), "max_chars": cfg.max_chars})
    return Versions(pipeline_version(), installed_model_label(cfg), settings)


def pipeline_version() -> str:
    """The release plus a fingerprint of the code and of models/ data: editing a rule re-processes everything."""
    package = Path(__file__).parent
    files = sorted([*package.rglob("*.py"), *(p for p in MODELS_DIR.rglob("*") if p.is_file())])
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:10]}"


def installed_model_label(cfg: Config) -> str:
    """lang_name-version of the model from its meta.json, without loading spaCy (an unchanged re-run needs neither)."""
    meta = model_meta(cfg)
    if meta is None:
        from pipeline.batch import model_for  # noqa: PLC0415 - spaCy is slow to import

        meta = model_for(cfg).meta  # raises ModelError when the model is not installed
    return f"{meta.get('lang', 'xx')}_{meta.get('name', '?')}-{meta.get('version', '?')}"


def new_run_id() -> str:
    """A sortable, unique run id: UTC time and a random suffix."""
    return f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def changed_items(items: Iterable[Article | ErrorRow], previous: Manifest, kept: dict[str, Entry],
                  moved: dict[str, str]) -> Iterator[Article | ErrorRow]:
    """Items new or changed since PREVIOUS; unchanged ones go to KEPT, and to MOVED when only their source did."""
    for item in items:
        key = item_key(item)
        old = previous.entries.get(key)
        if key in kept or not unchanged(old, item):
            yield item
        elif old.source != item.source:  # e.g. a line inserted above it in its JSONL file: no re-parse needed
            kept[key] = replace(old, source=item.source)
            moved[key] = item.source
        else:
            kept[key] = old


def batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def write_empty(output_dir: Output, stem: str, provenance: Provenance) -> None:
    """An empty pending part per per-article table, so every table folder stays readable."""
    for name in ARTICLE_TABLES:
        write_pending(output_dir, name, stem, with_provenance(name, to_arrow(name, []), provenance))


class PartWriter:
    """Gathers the rows of consecutive batches (small, so workers stay balanced) into parts of SIZE items."""

    def __init__(self, output_dir: Output, run_id: str, provenance: Provenance, versions: Versions, size: int):
        self.output_dir, self.run_id, self.provenance, self.versions, self.size = (
            output_dir, run_id, provenance, versions, size)
        self.entries: dict[str, Entry] = {}
        self.stems: list[str] = []
        self.open: dict[str, list[pa.Table]] = {name: [] for name in ARTICLE_TABLES}
        self.open_items = 0

    @property
    def stem(self) -> str:
        return f"part-{self.run_id}-{len(self.stems):05d}"

    def add(self, batch: list, tables: Tables) -> None:
        for name in ARTICLE_TABLES:
            self.open[name].append(tables[name])
        self.entries.update((item_key(i), entry_for(i, self.versions, self.run_id, self.stem)) for i in batch)
        self.open_items += len(batch)
        if self.open_items >= self.size:
            self.flush()

    def flush(self) -> None:
        if not self.open_items:
            return
        for name, tables in self.open.items():
            write_pending(self.output_dir, name, self.stem,
                          with_provenance(name, pa.concat_tables(tables), self.provenance))
        self.stems.append(self.stem)
        self.open = {name: [] for name in ARTICLE_TABLES}
        self.open_items = 0


@dataclass(frozen=True)
class Edits:
    """What changes in rows kept from earlier runs: rows of STALE keys go, MOVED keys get a new source."""

    stale: set[str]
    moved: dict[str, str]

    def apply(self, name: str, table: pa.Table) -> pa.Table:
        if not table.num_rows:
            return table
        keys = row_keys(name, table)
        if self.moved and "source" in table.column_names:
            moved_keys = pa.array(list(self.moved), pa.string())
            new_source = pc.take(pa.array(list(self.moved.values()), pa.string()),
                                 pc.index_in(keys, value_set=moved_keys))
            index = table.column_names.index("source")
            table = table.set_column(index, table.schema.field(index), pc.coalesce(new_source, table["source"]))
        if self.stale:
            is_stale = pc.is_in(keys, value_set=pa.array(sorted(self.stale), pa.string()))
            table = table.filter(pc.invert(pc.fill_null(is_stale, False)))
        return table


def rewrite_parts(output_dir: Output, manifest: Manifest, edits: Edits, holding: set[str], run_id: str,
                  target: int) -> None:
    """Rewrite the parts HOLDING edited items with EDITS applied; merge small parts once they pile up."""
    sizes = Counter(e.part for e in manifest.entries.values())
    dropped = {p for p in manifest.parts if sizes[p] == 0}  # every row in it is stale (or it is a placeholder)
    small = [p for p in manifest.parts if p not in dropped and sizes[p] < target // 2]
    rewrite = (holding | (set(small) if len(small) >= COMPACT_AFTER else set())) - dropped
    replaced_by: dict[str, str] = {}
    for index, group in enumerate(size_groups(sorted(rewrite), sizes, target)):
        stem = f"part-{run_id}-r{index:05d}"
        for name in ARTICLE_TABLES:
            tables = [edits.apply(name, read_part(output_dir, name, p)) for p in group]
            write_pending(output_dir, name, stem, pa.concat_tables(tables))
        replaced_by.update((p, stem) for p in group)
    for key, entry in manifest.entries.items():
        if entry.part in replaced_by:
            manifest.entries[key] = replace(entry, part=replaced_by[entry.part])
    kept_parts = [p for p in manifest.parts if p not in dropped and p not in replaced_by]
    manifest.parts = sorted({*kept_parts, *replaced_by.values()})


def size_groups(parts: list[str], sizes: Counter, target: int) -> list[list[str]]:
    """PARTS in consecutive groups of at most TARGET items (a larger part stays alone)."""
    groups: list[list[str]] = [[]]
    total = 0
    for part in parts:
        if groups[-1] and total + sizes[part] > target:
            groups.append([])
            total = 0
        groups[-1].append(part)
        total += sizes[part]
    return [g for g in groups if g]


def canonicalise_entities(output_dir: Output, manifest: Manifest) -> None:
    """The cross-article entity step: every live part's mentions.entity_id and quotes.speaker_entity_id set to the
    canonical ids that the mentions of the whole corpus resolve to. Only parts whose ids change are rewritten,
    as pending parts of the same stem (renamed in at the commit); the tally pass reads four mention columns."""
    from pipeline.entities.resolve import RESOLVE_COLUMNS, canonical_mentions, canonical_quotes, resolve  # noqa: PLC0415

    resolution = resolve(lambda: (read_part(output_dir, "mentions", p, RESOLVE_COLUMNS) for p in manifest.parts))
    for part in manifest.parts:
        mentions = read_part(output_dir, "mentions", part)
        canonical = canonical_mentions(mentions, resolution)
        if canonical is not None:
            quotes = canonical_quotes(read_part(output_dir, "quotes", part), mentions, canonical)
            write_pending(output_dir, "mentions", part, canonical)
            write_pending(output_dir, "quotes", part, quotes)


def entities_table(output_dir: Output, manifest: Manifest, provenance: Provenance) -> pa.Table:
    """The entities table rebuilt from the mentions of every live part, read one part at a time."""
    from pipeline.entities import MENTION_COLUMNS, entity_rows  # noqa: PLC0415 - only a run that writes needs it

    parts = (read_part(output_dir, "mentions", p, MENTION_COLUMNS) for p in manifest.parts)
    return with_provenance("entities", to_arrow("entities", entity_rows(parts)), provenance)


def summary(output_dir: Output, manifest: Manifest, processed: int, removed: int, run_id: str,
            words: int, inputs: InputStats) -> RunSummary:
    """What the run did, from the committed tables and the input's counts."""
    rows = {name: table_rows(output_dir, name, manifest) for name in TABLES}
    return RunSummary(rows["articles"], rows["errors"], processed, removed, output_dir.url, run_id, rows=rows,
                      errors_by_stage=errors_by_stage(output_dir, manifest),
                      without_published=null_count(output_dir, manifest, "articles", "published"), words=words,
                      skipped_files=inputs.skipped_files, skipped_records=dict(inputs.skipped_records))


def errors_by_stage(output_dir: Output, manifest: Manifest) -> dict[str, dict[str, int]]:
    """Rows of the errors table by stage and reason."""
    counts: dict[str, Counter] = {}
    for part in sorted(manifest.stems("errors")):
        table = output_dir.read_parquet(part_key("errors", part), ["stage", "error"])
        for stage, error in zip(table["stage"].to_pylist(), table["error"].to_pylist()):
            counts.setdefault(stage, Counter())[error_reason(error)] += 1
    return {stage: dict(c.most_common()) for stage, c in sorted(counts.items())}


def error_reason(error: str) -> str:
    """ERROR without its particulars: up to its first colon, quoted text as '…', numbers as N."""
    general = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", error.split(": ", 1)[0])
    return re.sub(r"\d[\d,.]*", "N", general)[:100]


def null_count(output_dir: Output, manifest: Manifest, name: str, column: str) -> int:
    return sum(output_dir.read_parquet(part_key(name, p), [column])[column].null_count
               for p in manifest.stems(name))


def table_rows(output_dir: Output, name: str, manifest: Manifest) -> int:
    """Row count of table NAME from the part files' footers."""
    return sum(output_dir.num_rows(part_key(name, p)) for p in manifest.stems(name))


class _Progress(tqdm):
    words = 0

    def add(self, batch: list) -> None:
        """Count BATCH's items and words (for the summary; splitting costs under 0.1% of the parse)."""
        self.update(len(batch))
        self.words += sum(len(i.text.split()) for i in batch if isinstance(i, Article))
        if not self.disable:
            self.set_postfix_str(f"{self.words / max(self.format_dict['elapsed'], 1e-9):,.0f} words/s")


def progress_bar(enabled: bool) -> tqdm:
    """Articles and words/s on a terminal; silent under cron or in a pipe."""
    return _Progress(unit=" articles", disable=not enabled, mininterval=1.0, smoothing=0.1)
