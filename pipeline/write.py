"""Stage 4: rows to Parquet part files, every table with its declared schema (never an inferred one).

Layout: OUTPUT/NAME/part-*.parquet. A run writes its parts under hidden pending names, which every reader
ignores; after the manifest is committed, `sync_parts` renames them in (moves them, on an object store) and
deletes parts no longer listed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pyarrow as pa

from pipeline.manifest import Manifest
from pipeline.schemas import TABLES
from pipeline.store import Output

ROW_GROUP_ROWS = 128_000
PENDING_SUFFIX = ".parquet.pending"


@dataclass(frozen=True)
class Provenance:
    run_id: str
    pipeline_version: str
    model: str


def to_arrow(name: str, rows: list) -> pa.Table:
    """ROWS (row objects) of table NAME as an Arrow table of its row schema (no provenance yet)."""
    schema = TABLES[name].row_schema
    return pa.table({f: [getattr(row, f) for row in rows] for f in schema.names}, schema=schema)


def with_provenance(name: str, table: pa.Table, provenance: Provenance) -> pa.Table:
    """TABLE with the provenance columns filled in, when table NAME has them."""
    if TABLES[name].provenance:
        for key, value in asdict(provenance).items():
            table = table.append_column(key, pa.repeat(pa.scalar(value, pa.string()), table.num_rows))
    return table


def part_key(name: str, stem: str) -> str:
    return f"{name}/{stem}.parquet"


def pending_key(name: str, stem: str) -> str:
    return f"{name}/.{stem}{PENDING_SUFFIX}"


def write_pending(output_dir: Output, name: str, stem: str, table: pa.Table) -> None:
    """Write one part of table NAME, invisible to readers until the manifest that lists it is committed."""
    output_dir.write_parquet(pending_key(name, stem), table.cast(TABLES[name].schema),
                             row_group_size=ROW_GROUP_ROWS, compression="zstd")


def read_part(output_dir: Output, name: str, stem: str, columns: list[str] | None = None) -> pa.Table:
    """A part of table NAME, pending (written by this run) or live."""
    pending = pending_key(name, stem)
    return output_dir.read_parquet(pending if output_dir.exists(pending) else part_key(name, stem), columns)


def sync_parts(output_dir: Output, manifest: Manifest, *, prune: bool = True) -> None:
    """Make the table folders hold exactly the manifest's parts: rename pending ones in, delete the rest.

    Run after each commit and at the start of the next run, so a run killed between its commit and the end
    of this step is rolled forward. PRUNE=False only drops uncommitted pending files (no manifest yet).
    """
    for name in TABLES:
        live = manifest.stems(name)
        for file in sorted(output_dir.file_names(name)):
            key = f"{name}/{file}"
            if file.startswith(".") and file.endswith((PENDING_SUFFIX, ".tmp")):
                stem = file[1 : -len(PENDING_SUFFIX)] if file.endswith(PENDING_SUFFIX) else None
                if stem in live:
                    output_dir.move(key, part_key(name, stem))
                else:
                    output_dir.delete(key)
            elif (prune and file.startswith("part-") and file.endswith(".parquet")
                  and file.removesuffix(".parquet") not in live):
                output_dir.delete(key)
