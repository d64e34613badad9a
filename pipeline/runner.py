"""Runs the stages over an input folder: read, skip what the manifest says is done, process, write, commit.

Each article's entry records the version of both stages. New or changed articles, and every article after a
new parse version (model, parse settings, reader or parse code), run both stages; after a new extract version
(extractor code, models/ data) the rest run extract only, from the stored parse, and no model is loaded.
`extract` does the latter for an existing output without reading any input.

A run holds OUTPUT/.lock, writes new parts under pending names, rewrites the parts that held changed or
removed articles (merging small parts when they pile up), rebuilds `entities`, then commits by replacing
the manifest; only then are pending parts renamed in and obsolete ones deleted (see write.sync_parts).
"""

from __future__ import annotations

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
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from tqdm import tqdm

from pipeline.articles import Article, make_article
from pipeline.card import write_card
from pipeline.config import Config
from pipeline.engine import run_engine
from pipeline.inputs import InputStats, read_articles
from pipeline.manifest import (
    MANIFEST_NAME,
    STAGES,
    Entry,
    Manifest,
    Parsed,
    Versions,
    entry_for,
    item_key,
    read_manifest,
    unchanged,
    write_manifest,
)
from pipeline.rows import ErrorRow
from pipeline.schemas import STORED_PARSE, TABLES
from pipeline.store import Output, open_output
from pipeline.versions import current_versions, extract_version
from pipeline.write import (
    Edits,
    PartWriter,
    Provenance,
    Tables,
    empty,
    part_key,
    read_part,
    replace_part,
    rewrite_parts,
    sync_parts,
    table_rows,
    to_arrow,
    with_provenance,
    write_empty,
    write_pending,
)

SUMMARY_NAME = "_summary.json"  # at the output root; `_` names are skipped by Parquet readers
ARTICLE_COLUMNS = ["article_id", "text", "published", "title", "url"]


class NoOutput(ValueError):
    """`extract` was given a folder that holds no tables."""


@dataclass(frozen=True)
class RunSummary:
    articles: int  # rows of the articles table after the run
    errors: int  # rows of the errors table after the run
    processed: int  # input items parsed by this run (new or changed), both stages
    removed: int  # input items whose rows this run dropped (changed or gone)
    output: str  # the output folder or URL
    run_id: str
    extracted: int = 0  # articles re-extracted from their stored parse
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


@dataclass
class Plan:
    """What a run does: KEPT entries stay (MOVED ones with a new source), PARSE items run both stages, the
    articles of EXTRACT keys run extract only."""

    kept: dict[str, Entry] = field(default_factory=dict)
    moved: dict[str, str] = field(default_factory=dict)
    parse: list[Article | ErrorRow] = field(default_factory=list)
    extract: list[str] = field(default_factory=list)


def run(
    input_dir: str | Path,
    output: Output | str | os.PathLike,
    cfg: Config,
    *,
    full_refresh: bool = False,
    progress: bool | None = None,
) -> RunSummary:
    """Bring the tables at OUTPUT (a folder or an fsspec URL) up to date with INPUT_DIR, running only what changed."""
    output_dir = output if isinstance(output, Output) else open_output(output)
    output_dir.makedirs()
    run_id = new_run_id()
    started = time.monotonic()
    with output_dir.locked(run_id):
        versions = current_versions(cfg)
        committed = finish_killed_run(output_dir)
        previous = Manifest() if full_refresh else committed
        inputs = InputStats()  # complete once the engine has taken every item
        plan = plan_run(read_articles(input_dir, columns=cfg.columns, stats=inputs), previous, versions)
        result = commit(output_dir, cfg, versions, run_id, committed, previous, plan, show(progress), inputs)
        write_card(
            output_dir,
            run_id=run_id,
            pipeline_version=f"{versions.parse} / {versions.extract}",
            model=versions.model,
            input_dir=input_dir,
            cfg=cfg,
        )
        return finished(output_dir, result, started)


def extract(
    output: Output | str | os.PathLike, cfg: Config, *, full_refresh: bool = False, progress: bool | None = None
) -> RunSummary:
    """Re-run the extract stage over the tables at OUTPUT from their stored parse, reading no input and loading
    no model: every article whose extract version is not the current one (every article with FULL_REFRESH)."""
    output_dir = output if isinstance(output, Output) else open_output(output)
    if not output_dir.exists(MANIFEST_NAME):
        raise NoOutput(f"{output_dir.url} holds no tables: run `python -m pipeline run` into it first")
    run_id = new_run_id()
    started = time.monotonic()
    with output_dir.locked(run_id):
        committed = finish_killed_run(output_dir)
        model = Counter(e.model for e in committed.entries.values()).most_common(1)
        versions = Versions("", model[0][0] if model else "", "", extract_version())
        plan = Plan(
            kept=dict(committed.entries),
            extract=[
                key
                for key, e in committed.entries.items()
                if e.extract_part and (full_refresh or e.extract_version != versions.extract)
            ],
        )
        result = commit(output_dir, cfg, versions, run_id, committed, committed, plan, show(progress), InputStats())
        write_card(output_dir, run_id=run_id, pipeline_version=versions.extract, model=versions.model, cfg=cfg)
        return finished(output_dir, result, started)


def finished(output_dir: Output, result: RunSummary, started: float) -> RunSummary:
    """RESULT with its time, also written as OUTPUT/_summary.json."""
    result = replace(result, elapsed_s=round(time.monotonic() - started, 3))
    output_dir.write_bytes(SUMMARY_NAME, result.to_json().encode("utf-8"))
    return result


def finish_killed_run(output_dir: Output) -> Manifest:
    """The committed manifest, after rolling a run killed after its commit forward (or dropping its pending parts)."""
    committed = read_manifest(output_dir)
    sync_parts(output_dir, committed, prune=output_dir.exists(MANIFEST_NAME))
    return committed


def show(progress: bool | None) -> bool:
    return sys.stderr.isatty() if progress is None else progress


def new_run_id() -> str:
    """A sortable, unique run id: UTC time and a random suffix."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def plan_run(items: Iterable[Article | ErrorRow], previous: Manifest, versions: Versions) -> Plan:
    """What to do with each input item, given what PREVIOUS recorded for it."""
    plan = Plan()
    for item in items:
        key = item_key(item)
        old = previous.entries.get(key)
        if key in plan.kept or old is None or not unchanged(old, item) or not old.parse_is(versions):
            plan.parse.append(item)
            continue
        if old.source != item.source:  # e.g. a line inserted above it in its JSONL file: no re-parse needed
            old = replace(old, source=item.source)
            plan.moved[key] = item.source
        plan.kept[key] = old
        if old.extract_part and old.extract_version != versions.extract:
            plan.extract.append(key)
    return plan


def commit(
    output_dir: Output,
    cfg: Config,
    versions: Versions,
    run_id: str,
    committed: Manifest,
    previous: Manifest,
    plan: Plan,
    progress: bool,
    inputs: InputStats,
) -> RunSummary:
    """Run PLAN's work, write its parts, rewrite the parts it changes, rebuild entities, commit the manifest."""
    provenance = {
        "parse": Provenance(run_id, versions.parse, versions.model),
        "extract": Provenance(run_id, versions.extract, versions.model),
    }
    writer = PartWriter(output_dir, run_id, provenance, cfg.articles_per_part)
    parsed_entries, extracted_entries, words = process(output_dir, cfg, versions, run_id, plan, writer, progress)
    stale = {"parse": set(previous.entries) - set(plan.kept)}  # gone, or parsed again
    stale["extract"] = stale["parse"] | set(extracted_entries)
    if (
        not parsed_entries
        and not stale["extract"]
        and not plan.moved
        and previous is committed
        and committed.entities_part
    ):
        return summary(output_dir, committed, run_id, inputs)  # nothing changed: nothing to write
    manifest = Manifest(
        {**plan.kept, **parsed_entries, **extracted_entries},
        {stage: [*previous.parts[stage], *writer.stems(stage)] for stage in STAGES},
    )
    for stage in STAGES:
        holding = {previous.entries[key].part(stage) for key in [*stale[stage], *plan.moved]}
        rewrite_parts(
            output_dir, manifest, stage, Edits(stale[stage], plan.moved), holding - {""}, run_id, cfg.articles_per_part
        )
        if not manifest.parts[stage]:
            placeholder = f"part-{run_id}-{stage[0]}empty"
            write_empty(output_dir, stage, placeholder, provenance[stage])  # every table stays readable
            manifest.parts[stage].append(placeholder)
    manifest.entities_part = f"part-{run_id}"
    canonicalise_entities(output_dir, manifest, run_id)
    write_pending(
        output_dir, "entities", manifest.entities_part, entities_table(output_dir, manifest, provenance["extract"])
    )
    with interrupts_deferred():  # the commit and the renames it promises finish together
        write_manifest(output_dir, manifest)  # the commit point
        sync_parts(output_dir, manifest)
    return summary(
        output_dir,
        manifest,
        run_id,
        inputs,
        processed=len(parsed_entries),
        extracted=len(extracted_entries),
        removed=len(stale["parse"] - set(parsed_entries)),
        words=words,
    )


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


def process(
    output_dir: Output, cfg: Config, versions: Versions, run_id: str, plan: Plan, writer: PartWriter, progress: bool
) -> tuple[dict[str, Entry], dict[str, Entry], int]:
    """Run both stages on PLAN's parse items, then extract on its stored articles; the entries of each, and
    the words parsed."""
    parsed_entries, extracted_entries = {}, {}
    work = itertools.chain(
        batches(plan.parse, cfg.articles_per_task), batches(stored_items(output_dir, plan), cfg.articles_per_task)
    )
    with progress_bar(progress) as bar:
        for batch, tables in run_engine(cfg.engine, work, cfg, cfg.scheduler):
            if isinstance(batch[0], Parsed):
                stems = writer.add(tables, len(batch), parsed=True)
                extracted_entries.update(reextracted(batch, plan.kept, versions, run_id, stems["extract"]))
            else:
                stems = writer.add(tables, len(batch), parsed=False)
                parsed_entries.update(both_stages(batch, tables, versions, run_id, stems))
            bar.add(batch)
    writer.flush()
    return parsed_entries, extracted_entries, bar.words


def both_stages(batch: list, tables: Tables, versions: Versions, run_id: str, stems: dict[str, str]) -> dict:
    """Entries of a batch that ran both stages; an article whose parse failed has no extract part."""
    parsed = set(tables.get(STORED_PARSE, empty(STORED_PARSE))["article_id"].to_pylist())
    return {
        item_key(item): entry_for(
            item, versions, run_id, stems["parse"], stems["extract"] if item.article_id in parsed else ""
        )
        for item in batch
    }


def reextracted(batch: list[Parsed], kept: dict[str, Entry], versions: Versions, run_id: str, stem: str) -> dict:
    """Entries of a batch re-extracted from the stored parse: their parse stays as it was."""
    return {
        key: replace(kept[key], extract_version=versions.extract, run_id=run_id, extract_part=stem)
        for key in map(item_key, batch)
    }


def stored_items(output_dir: Output, plan: Plan) -> Iterator[Parsed]:
    """The articles of PLAN.extract with their stored parse, read one parse part at a time."""
    by_part: dict[str, set[str]] = {}
    for key in plan.extract:
        by_part.setdefault(plan.kept[key].parse_part, set()).add(key[2:])
    for part, ids in sorted(by_part.items()):
        wanted = pa.array(sorted(ids), pa.string())
        docs = read_part(output_dir, STORED_PARSE, part)
        docs = docs.filter(pc.is_in(docs["article_id"], value_set=wanted))
        articles = read_part(output_dir, "articles", part, ARTICLE_COLUMNS)
        articles = articles.filter(pc.is_in(articles["article_id"], value_set=wanted))
        meta = {row["article_id"]: row for row in articles.to_pylist()}
        for aid, lang, doc in zip(*(docs[c].to_pylist() for c in ("article_id", "lang", "doc")), strict=True):
            row = meta[aid]
            article = make_article(
                aid,
                plan.kept[f"a:{aid}"].source,
                row["text"],
                {**row, "published": row["published"] and row["published"].isoformat()},
            )
            yield Parsed(article, doc, lang)


def batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def canonicalise_entities(output_dir: Output, manifest: Manifest, run_id: str) -> None:
    """The cross-article entity step: every live part's mentions.entity_id and quotes.speaker_entity_id set to the
    canonical ids that the mentions of the whole corpus resolve to. Only parts whose ids change are rewritten, as
    new extract parts of this run (a part of an earlier run is never replaced under its own name, so a run killed
    before its commit leaves the committed tables as they were); the tally pass reads four mention columns."""
    from pipeline.entities.resolve import RESOLVE_COLUMNS, canonical_mentions, canonical_quotes, resolve  # noqa: PLC0415

    parts = list(manifest.parts["extract"])  # mentions and quotes are the extract stage's
    resolution = resolve(lambda: (read_part(output_dir, "mentions", p, RESOLVE_COLUMNS) for p in parts))
    for index, part in enumerate(parts):
        mentions = read_part(output_dir, "mentions", part)
        canonical = canonical_mentions(mentions, resolution)
        if canonical is not None:
            quotes = canonical_quotes(read_part(output_dir, "quotes", part), mentions, canonical)
            replace_part(
                output_dir,
                manifest,
                "extract",
                part,
                f"part-{run_id}-xc{index:05d}",
                {"mentions": canonical, "quotes": quotes},
            )


def entities_table(output_dir: Output, manifest: Manifest, provenance: Provenance) -> pa.Table:
    """The entities table rebuilt from the mentions of every live part, read one part at a time."""
    from pipeline.entities import MENTION_COLUMNS, entity_rows  # noqa: PLC0415 - only a run that writes needs it

    parts = (read_part(output_dir, "mentions", p, MENTION_COLUMNS) for p in sorted(manifest.stems("mentions")))
    return with_provenance("entities", to_arrow("entities", entity_rows(parts)), provenance)


def summary(
    output_dir: Output,
    manifest: Manifest,
    run_id: str,
    inputs: InputStats,
    *,
    processed: int = 0,
    extracted: int = 0,
    removed: int = 0,
    words: int = 0,
) -> RunSummary:
    """What the run did, from the committed tables and the input's counts."""
    rows = {name: table_rows(output_dir, name, manifest) for name in TABLES}
    return RunSummary(
        rows["articles"],
        rows["errors"],
        processed,
        removed,
        output_dir.url,
        run_id,
        extracted,
        rows=rows,
        errors_by_stage=errors_by_stage(output_dir, manifest),
        without_published=null_count(output_dir, manifest, "articles", "published"),
        words=words,
        skipped_files=inputs.skipped_files,
        skipped_records=dict(inputs.skipped_records),
    )


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
    return sum(output_dir.read_parquet(part_key(name, p), [column])[column].null_count for p in manifest.stems(name))


class _Progress(tqdm):
    words = 0

    def add(self, batch: list) -> None:
        """Count BATCH's items and words parsed (for the summary; splitting costs under 0.1% of the parse)."""
        self.update(len(batch))
        self.words += sum(len(i.text.split()) for i in batch if isinstance(i, Article))
        if not self.disable:
            self.set_postfix_str(f"{self.words / max(self.format_dict['elapsed'], 1e-9):,.0f} words/s")


def progress_bar(enabled: bool) -> tqdm:
    """Articles and words/s on a terminal; silent under cron or in a pipe."""
    return _Progress(unit=" articles", disable=not enabled, mininterval=1.0, smoothing=0.1)
