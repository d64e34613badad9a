"""The dataset card OUTPUT/README.md: every table and column with its type and meaning, joins, run and row counts.

Generated from pipeline/schemas.py, so it cannot drift from the tables. It sits at the output root because a
non-Parquet file inside a table folder breaks `pandas.read_parquet(OUTPUT / NAME)`.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.config import PACKAGE_DIR, Config
from pipeline.manifest import MANIFEST_NAME
from pipeline.manifest import SCHEMA as MANIFEST_SCHEMA
from pipeline.schemas import TABLES, Table
from pipeline.store import Output

CARD_NAME = "README.md"
# Measured quality figures, with the commands that produced them; shipped with the package, filled per release.
QUALITY_FILE = PACKAGE_DIR / "quality.md"
MANIFEST_COLUMNS = {
    "key": "`a:` + article_id for an article; `e:` + source for an input that could not be read.",
    "kind": "`article` or `error`.",
    "source": "Input file (JSONL: file and line number) the item came from.",
    "article_id": "The article's id; null for an input that could not be read.",
    "content_sha256": "Hash of the article's text and metadata (for an unreadable input, of its error): "
                      "a re-run re-processes the item only when this changes.",
    "pipeline_version": "Pipeline release and code/models fingerprint that processed the item.",
    "model": "spaCy model name and version that processed the item.",
    "settings": "JSON of the settings that change output (model, components, max_chars).",
    "run_id": "Run that processed the item.",
    "part": "Stem of the part files (one per table folder) holding the item's rows.",
}
TIMEX3_VALUES = [
    ("`2025-11-19`, `2025-11`, `2025`, `199X`, `19XX`", "a day, month, year, decade, century"),
    ("`2025-W47`, `2025-W47-WE`", "an ISO week; its weekend"),
    ("`2025-Q4`, `2025-H2`", "a quarter, a half year"),
    ("`2025-SP`, `-SU`, `-FA`, `-WI`", "spring, summer, autumn (fall), winter"),
    ("`2025-11-19T14:30`, `2025-11-19TMO`, `TAF`, `TEV`, `TNI`", "a time; morning, afternoon, evening, night"),
    ("`P2Y`, `P3M`, `P1W`, `P5D`, `PT4H`, `PXY`", "durations (type DURATION; `X` for an unspecified number)"),
    ("`PRESENT_REF`, `PAST_REF`, `FUTURE_REF`", "now, the past, the future (\"now\", \"recently\", \"in the future\")"),
    ("`XXXX-10`, `XXXX-11-19`, `XXXX-WXX-1`",
     "a year (or week) not known: relative expressions of an article without a publication date, a bare weekday"),
    ("null", "an expression that could not be resolved"),
]
TIMEX3_MODS = {
    "START": "early, beginning of", "MID": "middle of", "END": "late, end of", "APPROX": "about, around",
    "LESS_THAN": "less than, nearly", "MORE_THAN": "more than, over", "EQUAL_OR_LESS": "up to, at most",
    "EQUAL_OR_MORE": "at least", "BEFORE": "before", "AFTER": "after", "ON_OR_BEFORE": "on or before",
    "ON_OR_AFTER": "on or after",
}
ENTITY_ID_TEXT = """\
`entity_id` is the first 16 hex digits of SHA-1 over the folded name of the entity's representative (case,
accents, apostrophes, common transliterations and legal suffixes such as Inc. or Plc ignored; the label left
out, except for a one-word name the corpus gives a person and something else in many articles each): the same in
every run and on every machine, with no registry to keep. Within an article the mentions of one entity (a full
name and its later surname, an acronym the article defines, an alias from `models/entities/aliases.tsv`) share
the article's canonical name, `mentions.entity_name`. Across articles, each run resolves the names of the whole
corpus (`pipeline/entities/resolve.py`): label flips ("Ryanair" ORG or PERSON), spelling variants ("Usama bin
Ladin" / "Osama bin Laden"), acronyms some article defines ("WHO") and bare surnames whose article shares
context with one full-name person ("Obama" -> "Barack Obama") join one entity; a bare surname stays apart when
that context does not single out one person. So a new article can change the id of earlier mentions (the first
article that links "Obama" to "Barack Obama"). `entities` is rebuilt from all of `mentions` each run: `name` is
the name written in full most often, `label` the vote of all mentions, `aliases` every surface form. A new
pipeline version may change ids where its rules changed."""
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


def input_location(input_dir: Path | str) -> str:
    """An input as an absolute path, or as given when it is a URL."""
    text = str(input_dir)
    return text if "://" in text else str(Path(text).resolve())


def settings_lines(cfg: Config) -> list[str]:
    lines = ["| setting | value |", "|---|---|"]
    for f in fields(cfg):
        value = getattr(cfg, f.name)
        shown = ", ".join(value) if isinstance(value, tuple) else "-" if value is None else value
        lines.append(f"| `{f.name}` | {escape(str(shown))} |")
    return lines


def quality_lines() -> list[str]:
    try:
        return QUALITY_FILE.read_text(encoding="utf-8").strip().splitlines()
    except OSError:
        return ["No quality figures ship with this version of the pipeline."]


def timex3_lines() -> list[str]:
    lines = ["`dates.value` follows TIMEX3 (TimeML). Besides calendar values it uses:", "",
             "| value | meaning |", "|---|---|"]
    lines += [f"| {value} | {meaning} |" for value, meaning in TIMEX3_VALUES]
    lines += ["", "`dates.mod` is null or one of:", "", "| mod | written as |", "|---|---|"]
    lines += [f"| `{mod}` | {words} |" for mod, words in TIMEX3_MODS.items()]
    return lines


def manifest_lines() -> list[str]:
    lines = [f"`{MANIFEST_NAME}` at the output root records what each input item's rows came from; a run commits",
             "by replacing it. One row per input item:", "", "| column | meaning |", "|---|---|"]
    return lines + [f"| `{name}` | {escape(MANIFEST_COLUMNS[name])} |" for name in MANIFEST_SCHEMA.names]


def card_text(output_dir: Output, *, run_id: str, pipeline_version: str, model: str,
              input_dir: Path | str | None = None, cfg: Config | None = None,
              written_at: datetime | None = None) -> str:
    """The dataset card of the tables in OUTPUT_DIR as Markdown."""
    when = (written_at or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    source = f" from `{input_location(input_dir)}`" if input_dir else ""
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
        "`mentions`, `dates` and `quotes` join `sentences` on `(article_id, sentence_index)`.",
        "`_summary.json` beside this card is the last run's summary (rows, errors by stage and reason, timing).",
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
    if cfg is not None:
        lines += ["", "## Settings of the run", "", f"spaCy components run: {', '.join(cfg.components)}.", ""]
        lines += settings_lines(cfg)
    lines += ["", "## Quality", "", *quality_lines()]
    lines += ["", "## Dates: TIMEX3 values", "", *timex3_lines()]
    lines += ["", "## Entity ids", "", *ENTITY_ID_TEXT.splitlines()]
    lines += ["", "## The manifest", "", *manifest_lines()]
    return "\n".join(lines) + "\n"


def write_card(output_dir: Output, *, run_id: str, pipeline_version: str, model: str,
               input_dir: Path | str | None = None, cfg: Config | None = None) -> None:
    """Write the dataset card to OUTPUT_DIR/README.md, never half written."""
    text = card_text(output_dir, run_id=run_id, pipeline_version=pipeline_version, model=model,
                     input_dir=input_dir, cfg=cfg)
    output_dir.write_bytes(CARD_NAME, text.encode("utf-8"))
