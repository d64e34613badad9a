"""Stage 4: rows to Parquet part files, every table with its declared schema (never an inferred one).

Layout: OUTPUT/NAME/part-*.parquet. A run writes its parts under hidden pending names, which every reader
ignores; after the manifest is committed, `sync_parts` renames them in and deletes parts no longer listed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.manifest import Manifest
from pipeline.schemas import TABLES

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


def part_path(output_dir: Path, name: str, stem: str) -> Path:
    return output_dir / name / f"{stem}.parquet"


def pending_path(output_dir: Path, name: str, stem: str) -> Path:
    return output_dir / name / f".{stem}{PENDING_SUFFIX}"


def write_parquet(path: Path, table: pa.Table) -> None:
    """Write TABLE to PATH through a temporary name, so PATH is never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp")
    pq.write_table(table, tmp, row_group_size=ROW_GROUP_ROWS, compression="zstd")
    tmp.replace(path)


def write_pending(output_dir: Path, name: str, stem: str, table: pa.Table) -> None:
    """Write one part of table NAME, invisible to readers until the manifest that lists it is committed."""
    write_parquet(pending_path(output_dir, name, stem), table.cast(TABLES[name].schema))


def read_part(output_dir: Path, name: str, stem: str, columns: list[str] | None = None) -> pa.Table:
    """A part of table NAME, pending (written by this run) or live."""
    pending = pending_path(output_dir, name, stem)
    path = pending if pending.exists() else part_path(output_dir, name, stem)
    return pq.ParquetFile(path).read(columns=columns)


def sync_parts(output_dir: Path, manifest: Manifest, *, prune: bool = True) -> None:
    """Make the table folders hold exactly the manifest's parts: rename pending ones in, delete the rest.

    Run after each commit and at the start of the next run, so a run killed between its commit and the end
    of this step is rolled forward. PRUNE=False only drops uncommitted pending files (no manifest yet).
    """
    for name in TABLES:
        folder = output_dir / name
        if not folder.is_dir():
            continue
        live = manifest.stems(name)
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") and path.name.endswith((PENDING_SUFFIX, ".tmp")):
                stem = path.name[1 : -len(PENDING_SUFFIX)] if path.name.endswith(PENDING_SUFFIX) else None
                if stem in live:
                    path.replace(part_path(output_dir, name, stem))
                else:
                    path.unlink()
            elif prune and path.name.startswith("part-") and path.suffix == ".parquet" and path.stem not in live:
                path.unlink()
