"""CSV and Parquet inputs: one article per row, its fields in the columns `[pipeline.columns]` names.

A column not named there is looked up under the field's own name (id, text, published, title, url); id and
text are required. A row's source is FILE:N, N the line a CSV record starts on (the header is line 1) or the
Parquet row (from 1). Both are read a block at a time, so memory does not grow with the file.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable, Iterator, Mapping

from pipeline.articles import Article, InputError, clean, make_article, reason, record_id
from pipeline.config import ARTICLE_FIELDS
from pipeline.rows import ErrorRow

PARQUET_BATCH_ROWS = 1024


def column_names(columns: Mapping[str, str] | None) -> dict[str, str]:
    """Article field -> column name, every field present."""
    return {name: (columns or {}).get(name, name) for name in ARTICLE_FIELDS}


def check_header(header: Iterable[str], names: dict[str, str]) -> None:
    present = set(header)
    for required in ("id", "text"):
        if names[required] not in present:
            raise InputError(f"no column {names[required]!r} for the article {required} "
                             f"(name it with `{required} = \"...\"` under [pipeline.columns])")


def row_article(row: Mapping, names: dict[str, str], source: str) -> Article | ErrorRow:
    """The article of one row (FIELD -> value under its column), or why it is none."""
    record = {field: row.get(column) for field, column in names.items()}
    for field in ("published", "title", "url"):  # an empty CSV cell means no value
        record[field] = record[field] if record[field] != "" else None
    try:
        return make_article(record_id(record), source, record["text"], record)
    except ValueError as err:
        return ErrorRow(source=clean(source), article_id=None, stage="read", error=reason(err))


def read_csv(path, columns: Mapping[str, str] | None = None) -> Iterator[Article | ErrorRow]:
    names = column_names(columns)
    csv.field_size_limit(sys.maxsize)  # long articles are refused by their length, with a reason, later
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
        reader = csv.DictReader(text)
        check_header(reader.fieldnames or [], names)
        line = reader.line_num + 1
        for row in reader:
            yield row_article(row, names, f"{path}:{line}")
            line = reader.line_num + 1


def read_parquet(path, columns: Mapping[str, str] | None = None) -> Iterator[Article | ErrorRow]:
    import pyarrow.parquet as pq  # noqa: PLC0415 - only Parquet inputs need it

    names = column_names(columns)
    with path.open("rb") as raw:
        file = pq.ParquetFile(raw)
        check_header(file.schema_arrow.names, names)
        wanted = [c for c in dict.fromkeys(names.values()) if c in file.schema_arrow.names]
        number = 0
        for batch in file.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=wanted):
            for row in batch.to_pylist():
                number += 1
                yield row_article(row, names, f"{path}:{number}")
