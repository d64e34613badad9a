"""Stage 4: rows to Parquet part files, every table with its declared schema (never an inferred one).

Layout: OUTPUT/NAME/part-*.parquet, and the stored parse in OUTPUT/_parse/part-*.parquet. Each stage writes its
own parts (stems part-RUN-pNNNNN for parse, part-RUN-xNNNNN for extract; `errors` holds parts of both). A run
writes its parts under hidden pending names, which every reader ignores; after the manifest is committed,
`sync_parts` renames them in (moves them, on an object store) and deletes parts no longer listed. Rewriting
parts that hold edited items (and merging small ones) is done here too.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, replace

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.manifest import STAGE_TABLES, STAGES, Manifest, row_keys
from pipeline.schemas import PARSE_TABLE, STORED_PARSE, TABLES, Table
from pipeline.store import Output

Tables = dict[str, pa.Table]  # every per-article table of a batch, by name
ROW_GROUP_ROWS = 128_000
PENDING_SUFFIX = ".parquet.pending"
COMPACT_AFTER = 8  # merge parts holding fewer than half a part's items once this many of them pile up

OUTPUT_TABLES: dict[str, Table] = {**TABLES, STORED_PARSE: PARSE_TABLE}
PARSE_ZSTD_LEVEL = 9  # the stored parse shrinks to 0.7x of level 3's size, at about 1% of the parse time


@dataclass(frozen=True)
class Provenance:
    run_id: str
    pipeline_version: str
    model: str


def to_arrow(name: str, rows: list) -> pa.Table:
    """ROWS (row objects) of table NAME as an Arrow table of its row schema (no provenance yet)."""
    schema = OUTPUT_TABLES[name].row_schema
    return pa.table({f: [getattr(row, f) for row in rows] for f in schema.names}, schema=schema)


def empty(name: str) -> pa.Table:
    """No rows of table NAME: what a batch gives for a table it has no rows of (e.g. whose worker died)."""
    return to_arrow(name, [])


def with_provenance(name: str, table: pa.Table, provenance: Provenance) -> pa.Table:
    """TABLE with the provenance columns filled in, when table NAME has them."""
    if OUTPUT_TABLES[name].provenance:
        for key, value in asdict(provenance).items():
            table = table.append_column(key, pa.repeat(pa.scalar(value, pa.string()), table.num_rows))
    return table


def part_key(name: str, stem: str) -> str:
    return f"{name}/{stem}.parquet"


def pending_key(name: str, stem: str) -> str:
    return f"{name}/.{stem}{PENDING_SUFFIX}"


def write_pending(output_dir: Output, name: str, stem: str, table: pa.Table) -> None:
    """Write one part of table NAME, invisible to readers until the manifest that lists it is committed."""
    output_dir.write_parquet(
        pending_key(name, stem),
        table.cast(OUTPUT_TABLES[name].schema),
        row_group_size=ROW_GROUP_ROWS,
        compression="zstd",
        compression_level=PARSE_ZSTD_LEVEL if name == STORED_PARSE else None,
    )


def read_part(output_dir: Output, name: str, stem: str, columns: list[str] | None = None) -> pa.Table:
    """A part of table NAME, pending (written by this run) or live."""
    pending = pending_key(name, stem)
    return output_dir.read_parquet(pending if output_dir.exists(pending) else part_key(name, stem), columns)


def table_rows(output_dir: Output, name: str, manifest: Manifest) -> int:
    """Row count of table NAME from the part files' footers."""
    return sum(output_dir.num_rows(part_key(name, p)) for p in manifest.stems(name))


def sync_parts(output_dir: Output, manifest: Manifest, *, prune: bool = True) -> None:
    """Make the table folders hold exactly the manifest's parts: rename pending ones in, delete the rest.

    Run after each commit and at the start of the next run, so a run killed between its commit and the end
    of this step is rolled forward. PRUNE=False only drops uncommitted pending files (no manifest yet).
    """
    for name in OUTPUT_TABLES:
        live = manifest.stems(name)
        for file in sorted(output_dir.file_names(name)):
            key = f"{name}/{file}"
            if file.startswith(".") and file.endswith((PENDING_SUFFIX, ".tmp")):
                stem = file[1 : -len(PENDING_SUFFIX)] if file.endswith(PENDING_SUFFIX) else None
                if stem in live:
                    output_dir.move(key, part_key(name, stem))
                else:
                    output_dir.delete(key)
            elif (
                prune
                and file.startswith("part-")
                and file.endswith(".parquet")
                and file.removesuffix(".parquet") not in live
            ):
                output_dir.delete(key)


def stage_tables(stage: str, tables: Tables, *, parsed: bool) -> Tables:
    """The tables of STAGE among a batch's TABLES. Errors go with the stage that failed; in a batch that only
    re-extracted (PARSED), every error goes with extract, since no parse part of that batch is written."""
    out = {name: tables.get(name, empty(name)) for name in STAGE_TABLES[stage] if name != "errors"}
    errors = tables.get("errors", empty("errors"))
    if not parsed:
        from_extract = pc.equal(errors["stage"], "extract")
        errors = errors.filter(from_extract if stage == "extract" else pc.invert(from_extract))
    return {**out, "errors": errors}


class StageParts:
    """Gathers the rows of consecutive batches (small, so workers stay balanced) into parts of SIZE items."""

    def __init__(self, output_dir: Output, stage: str, run_id: str, provenance: Provenance, size: int):
        self.output_dir, self.stage, self.run_id, self.provenance, self.size = (
            output_dir,
            stage,
            run_id,
            provenance,
            size,
        )
        self.stems: list[str] = []
        self.open: dict[str, list[pa.Table]] = {name: [] for name in STAGE_TABLES[stage]}
        self.open_items = 0

    @property
    def stem(self) -> str:
        return f"part-{self.run_id}-{self.stage[0]}{len(self.stems):05d}"

    def add(self, tables: Tables, items: int) -> str:
        """Take the rows of a batch of ITEMS items; the stem of the part they go to."""
        stem = self.stem
        for name in self.open:
            self.open[name].append(tables[name])
        self.open_items += items
        if self.open_items >= self.size:
            self.flush()
        return stem

    def flush(self) -> None:
        if not self.open_items:
            return
        for name, tables in self.open.items():
            write_pending(
                self.output_dir, name, self.stem, with_provenance(name, pa.concat_tables(tables), self.provenance)
            )
        self.stems.append(self.stem)
        self.open = {name: [] for name in self.open}
        self.open_items = 0


class PartWriter:
    """The parts of both stages written by one run."""

    def __init__(self, output_dir: Output, run_id: str, provenance: dict[str, Provenance], size: int):
        self.stages = {stage: StageParts(output_dir, stage, run_id, provenance[stage], size) for stage in STAGES}

    def add(self, tables: Tables, items: int, *, parsed: bool) -> dict[str, str]:
        """Take a batch's tables (PARSED: a batch that only re-extracted); the stem each stage wrote them to."""
        stages = ["extract"] if parsed else STAGES
        return {stage: self.stages[stage].add(stage_tables(stage, tables, parsed=parsed), items) for stage in stages}

    def flush(self) -> None:
        for parts in self.stages.values():
            parts.flush()

    def stems(self, stage: str) -> list[str]:
        return self.stages[stage].stems


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
            new_source = pc.take(
                pa.array(list(self.moved.values()), pa.string()), pc.index_in(keys, value_set=moved_keys)
            )
            index = table.column_names.index("source")
            table = table.set_column(index, table.schema.field(index), pc.coalesce(new_source, table["source"]))
        if self.stale:
            is_stale = pc.is_in(keys, value_set=pa.array(sorted(self.stale), pa.string()))
            table = table.filter(pc.invert(pc.fill_null(is_stale, False)))
        return table


def rewrite_parts(
    output_dir: Output, manifest: Manifest, stage: str, edits: Edits, holding: set[str], run_id: str, target: int
) -> None:
    """Rewrite STAGE's parts HOLDING edited items with EDITS applied; merge small parts once they pile up."""
    sizes = Counter(e.part(stage) for e in manifest.entries.values())
    parts = manifest.parts[stage]
    dropped = {p for p in parts if sizes[p] == 0}  # every row in it is stale (or it is a placeholder)
    small = [p for p in parts if p not in dropped and sizes[p] < target // 2]
    rewrite = (holding | (set(small) if len(small) >= COMPACT_AFTER else set())) - dropped
    replaced_by: dict[str, str] = {}
    for index, group in enumerate(size_groups(sorted(rewrite), sizes, target)):
        stem = f"part-{run_id}-{stage[0]}r{index:05d}"
        for name in STAGE_TABLES[stage]:
            tables = [edits.apply(name, read_part(output_dir, name, p)) for p in group]
            write_pending(output_dir, name, stem, pa.concat_tables(tables))
        replaced_by.update((p, stem) for p in group)
    kept_parts = [p for p in parts if p not in dropped and p not in replaced_by]
    manifest.parts[stage] = sorted({*kept_parts, *replaced_by.values()})
    point_entries(manifest, stage, replaced_by)


def replace_part(output_dir: Output, manifest: Manifest, stage: str, part: str, stem: str, tables: Tables) -> None:
    """STAGE's PART written again as STEM with TABLES in place of its own (its other tables copied)."""
    for name in STAGE_TABLES[stage]:
        write_pending(output_dir, name, stem, tables[name] if name in tables else read_part(output_dir, name, part))
    manifest.parts[stage] = sorted({*(p for p in manifest.parts[stage] if p != part), stem})
    point_entries(manifest, stage, {part: stem})


def point_entries(manifest: Manifest, stage: str, replaced_by: dict[str, str]) -> None:
    """Entries whose STAGE part was replaced point to its replacement."""
    field = f"{stage}_part"
    for key, entry in manifest.entries.items():
        if entry.part(stage) in replaced_by:
            manifest.entries[key] = replace(entry, **{field: replaced_by[entry.part(stage)]})


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


def write_empty(output_dir: Output, stage: str, stem: str, provenance: Provenance) -> None:
    """An empty pending part of each of STAGE's tables, so every table folder stays readable."""
    for name in STAGE_TABLES[stage]:
        write_pending(output_dir, name, stem, with_provenance(name, to_arrow(name, []), provenance))
