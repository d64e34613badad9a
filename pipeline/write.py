"""Stage 4: rows to Parquet, every table with its declared schema (never an inferred one)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.schemas import TABLES


@dataclass(frozen=True)
class Provenance:
    run_id: str
    pipeline_version: str
    model: str


def to_arrow(name: str, rows: list, provenance: Provenance) -> pa.Table:
    """ROWS of table NAME as an Arrow table with the table's schema, provenance filled in."""
    table = TABLES[name]
    columns = {f.name: [getattr(row, f.name) for row in rows] for f in table.fields}
    if table.provenance:
        for key, value in asdict(provenance).items():
            columns[key] = [value] * len(rows)
    return pa.table(columns, schema=table.schema)


def write_part(path: Path, table: pa.Table) -> None:
    """Write TABLE to PATH through a temporary name, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp, row_group_size=100_000, compression="zstd")
    tmp.replace(path)
