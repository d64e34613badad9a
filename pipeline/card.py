"""The dataset card OUTPUT/README.md: every table and column with its type and meaning, joins, run and row counts.

Generated from pipeline/schemas.py, so it cannot drift from the tables. It sits at the output root because a
non-Parquet file inside a table folder breaks `pandas.read_parquet(OUTPUT / NAME)`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.schemas import TABLES, Table
from pipeline.store import Output
from pipeline.write import PARSE_TABLE, STORED_PARSE

CARD_NAME = "README.md"
# Columns that join tables, and the column each one points to.
JOINS = {
    "article_id": "articles.article_id",
    "entity_id": "entities.entity_id",
    "speaker_entity_id": "entities.entity_id",
}


def description(field: pa.Field) -> str:
    return (field.metadata or {}).get(b"description", b"").decode("utf-8")


def undocumented() -> list[str]:
    """`table.column` of every column of every table whose schema field has no description."""
    return [f"{name}.{f.name}" for name, t in TABLES.items() for f in t.schema if not description(f).strip()]


def type_name(type_: pa.DataType) -> str:
    """Arrow type as a notebook user reads it: date32, int64, list<string>, ..."""
    if pa.types.is_list(type_):
        return f"list<{type_name(type_.value_type)}>"
    if pa.types.is_dictionary(type_):
        return f"dictionary<{type_name(type_.value_type)}>"
    return {"date32[day]": "date32"}.get(str(type_), str(type_))


def part_files(output_dir: Output, name: str) -> list[str]:
    """Keys of the Parquet files readers see in table NAME (hidden pending files left out, as readers do)."""
    return [f"{name}/{file}" for file in sorted(output_dir.file_names(name))
            if file.endswith(".parquet") and not file.startswith((".", "_"))]


def row_count(output_dir: Output, name: str) -> int:
    return sum(output_dir.num_rows(key) for key in part_files(output_dir, name))


def run_ids(output_dir: Output, name: str) -> list[str]:
    """Distinct run_id values in table NAME (rows kept by incremental runs keep the run that wrote them)."""
    files = part_files(output_dir, name)
    if not files or "run_id" not in TABLES[name].schema.names:
        return []
    ids = set()
    for key in files:
        ids.update(pc.unique(output_dir.read_parquet(key, ["run_id"])["run_id"]).to_pylist())
    return sorted(str(v) for v in ids if v is not None)


def joins_of(table: Table) -> list[str]:
    return [f"`{f.name}` -> `{JOINS[f.name]}`" for f in table.fields
            if f.name in JOINS and f"{table.name}.{f.name}" != JOINS[f.name]]


def escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def column_lines(table: Table) -> list[str]:
    lines = ["| column | type | nullable | meaning |", "|---|---|---|---|"]
    lines += [f"| `{f.name}` | {type_name(f.type)} | {'yes' if f.nullable else 'no'} | {escape(description(f))} |"
              for f in table.schema]
    return lines


def card_text(output_dir: Output, *, run_id: str, pipeline_version: str, model: str,
              input_dir: Path | None = None, written_at: datetime | None = None) -> str:
    """The dataset card of the tables in OUTPUT_DIR as Markdown."""
    when = (written_at or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    source = f" from `{input_dir}`" if input_dir else ""
    lines = [
        "# Dataset card: news extraction tables",
        "",
        f"Written by run `{run_id}` (pipeline {pipeline_version}, spaCy model `{model}`) on {when}{source}.",
        "Generated from `pipeline/schemas.py`; do not edit by hand. Rows kept from earlier runs (incremental",
        "re-runs process only new or changed articles) carry the `run_id` of the run that wrote them.",
        "",
        "## Reading the tables",
        "",
        "Each table is a folder of Parquet files with one schema. Read a table whole:",
        "",
        "```python",
        "import pandas as pd, polars as pl, duckdb",
        'mentions = pd.read_parquet("OUTPUT/mentions")',
        'mentions = pl.read_parquet("OUTPUT/mentions/*.parquet")',
        "duckdb.sql(\"SELECT label, count(*) FROM read_parquet('OUTPUT/mentions/*.parquet') GROUP BY label\")",
        "```",
        "",
        "Character offsets (`start_char`, `end_char`, `speaker_start_char`, `speaker_end_char`) index",
        "`articles.text` as a Python string, end exclusive: `text[start_char:end_char]` is the span's text.",
        "",
        "## Tables",
        "",
        "| table | one row per | rows | written by runs |",
        "|---|---|---:|---|",
    ]
    for name, table in TABLES.items():
        runs = ", ".join(f"`{r}`" for r in run_ids(output_dir, name)) or "-"
        lines.append(f"| [{name}](#{name}) | {table.one_row_per} | {row_count(output_dir, name):,} | {runs} |")
    lines += ["", "## Join keys", "", "| table | joins |", "|---|---|"]
    lines += [f"| {name} | {', '.join(joins_of(t))} |" for name, t in TABLES.items() if joins_of(t)]
    for name, table in TABLES.items():
        lines += ["", f"## {name}", "", f"One row per {table.one_row_per}.", ""] + column_lines(table)
    return "\n".join(lines + stored_parse_lines()) + "\n"


def stored_parse_lines() -> list[str]:
    """The stored parse: not a table for analysis, but documented, since it is most of a re-run's input."""
    return [
        "", f"## The stored parse (`{STORED_PARSE}`)", "",
        "The spaCy parse of every article, which the extract stage reads: after a change of the extractors or",
        "of `models/` data, `python -m pipeline run` (or `python -m pipeline extract --output OUTPUT`) re-runs",
        "only the extractors, without the model. Parquet (zstd) with one row per article; each Doc keeps",
        "words, spaces, norm, lemma, tag, pos, morph, dep, head, sentence starts and the model's entity IOB and",
        "type, and gives the extractors the same annotations as the parse itself:",
        "",
        "```python",
        "import pyarrow.parquet as pq, spacy",
        "from spacy.tokens import DocBin",
        f'row = pq.read_table("OUTPUT/{STORED_PARSE}").to_pylist()[0]',
        'doc = next(DocBin().from_bytes(row["doc"]).get_docs(spacy.blank(row["lang"]).vocab))',
        "```",
        "",
    ] + column_lines(PARSE_TABLE)


def write_card(output_dir: Output, *, run_id: str, pipeline_version: str, model: str,
               input_dir: Path | None = None) -> None:
    """Write the dataset card to OUTPUT_DIR/README.md, never half written."""
    text = card_text(output_dir, run_id=run_id, pipeline_version=pipeline_version, model=model, input_dir=input_dir)
    output_dir.write_bytes(CARD_NAME, text.encode("utf-8"))
