"""The manifest at OUTPUT/_manifest.parquet: per input item its hash, the versions of both stages, and the parts
holding its rows; the run's commit point.

Two stages, each with its own version and parts: **parse** (article -> the stored parse, articles, sentences,
tokens) and **extract** (stored parse -> mentions, dates, quotes). `errors` has parts of both: read and parse
errors go with the parse stage, extraction errors with the extract stage.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.articles import Article
from pipeline.rows import ErrorRow
from pipeline.schemas import STORED_PARSE
from pipeline.store import Output

MANIFEST_NAME = "_manifest.parquet"
STAGE_TABLES = {
    "parse": ("articles", "sentences", "tokens", "errors", STORED_PARSE),
    "extract": ("mentions", "dates", "quotes", "errors"),
}
STAGES = tuple(STAGE_TABLES)


@dataclass(frozen=True)
class Versions:
    """What rows depend on besides their input. A new parse version (release, parse code, model or settings)
    re-runs both stages; a new extract version (extractor code, models/ data) re-runs extract only."""

    parse: str
    model: str
    settings: str
    extract: str


@dataclass(frozen=True)
class Parsed:
    """An article to re-extract from its stored parse: DOC is a one-Doc spaCy DocBin in the vocabulary of LANG."""

    article: Article
    doc: bytes
    lang: str


@dataclass(frozen=True, slots=True)
class Entry:
    key: str  # "a:" + article_id for an article, "e:" + source for an input that could not be read
    kind: str  # article or error
    source: str
    article_id: str | None
    content_sha256: str
    parse_version: str
    model: str
    settings: str
    extract_version: str
    run_id: str  # the last run that wrote rows of the item
    parse_part: str  # stem of the parse stage's part files holding the item's rows
    extract_part: str  # the same for the extract stage; empty for an input that could not be read

    def part(self, stage: str) -> str:
        return self.parse_part if stage == "parse" else self.extract_part

    def parse_is(self, versions: Versions) -> bool:
        return (self.parse_version, self.model, self.settings) == (versions.parse, versions.model, versions.settings)


SCHEMA = pa.schema([pa.field(f.name, pa.string(), nullable=f.name == "article_id") for f in fields(Entry)])


@dataclass
class Manifest:
    entries: dict[str, Entry] = field(default_factory=dict)
    parts: dict[str, list[str]] = field(default_factory=lambda: {stage: [] for stage in STAGES})  # live stems
    entities_part: str | None = None

    def stems(self, table: str) -> set[str]:
        """Part stems that make up TABLE."""
        if table == "entities":
            return {self.entities_part} if self.entities_part else set()
        return {stem for stage, names in STAGE_TABLES.items() if table in names for stem in self.parts[stage]}


def item_key(item: Article | ErrorRow | Parsed) -> str:
    if isinstance(item, Parsed):
        item = item.article
    return f"a:{item.article_id}" if isinstance(item, Article) else f"e:{item.source}"


def item_hash(item: Article | ErrorRow) -> str:
    """Content hash of an input item; for an article its content_sha256, for a read error its reason."""
    if isinstance(item, Article):
        return item.content_sha256
    return hashlib.sha256(json.dumps([item.source, item.stage, item.error]).encode("utf-8")).hexdigest()


def entry_for(item: Article | ErrorRow, versions: Versions, run_id: str, parse_part: str, extract_part: str) -> Entry:
    """The entry of ITEM after both stages ran on it."""
    article = isinstance(item, Article)
    return Entry(
        item_key(item),
        "article" if article else "error",
        item.source,
        item.article_id,
        item_hash(item),
        versions.parse,
        versions.model,
        versions.settings,
        versions.extract,
        run_id,
        parse_part,
        extract_part if article else "",
    )


def unchanged(old: Entry | None, item: Article | ErrorRow) -> bool:
    """True when OLD recorded ITEM's content as it is now (its source, e.g. a JSONL line number, may differ)."""
    return old is not None and old.content_sha256 == item_hash(item)


def read_manifest(output_dir: Output) -> Manifest:
    """The committed manifest of OUTPUT_DIR, or an empty one before the first run."""
    if not output_dir.exists(MANIFEST_NAME):
        return Manifest()
    table = output_dir.read_parquet(MANIFEST_NAME)
    meta = json.loads((table.schema.metadata or {}).get(b"pipeline", b"{}"))
    if "part" in table.column_names:
        return legacy_manifest(table, meta)
    entries = {row["key"]: Entry(**row) for row in table.select(SCHEMA.names).to_pylist()}
    return Manifest(entries, {stage: list(meta["parts"][stage]) for stage in STAGES}, meta.get("entities_part"))


def legacy_manifest(table: pa.Table, meta: dict) -> Manifest:
    """A manifest written before the stages were split: each part holds both stages' tables, and no entry's
    versions match, so the next run re-processes everything and drops the old parts after its commit."""
    entries = {}
    for row in table.to_pylist():
        old = row.pop("pipeline_version"), row.pop("part")
        entries[row["key"]] = Entry(
            **row,
            parse_version=old[0],
            extract_version=old[0],
            parse_part=old[1],
            extract_part=old[1] if row["kind"] == "article" else "",
        )
    parts = list(meta.get("parts", []))
    return Manifest(entries, {stage: list(parts) for stage in STAGES}, meta.get("entities_part"))


def write_manifest(output_dir: Output, manifest: Manifest) -> None:
    """Replace the manifest atomically (a rename, or one PUT): the moment a run's result becomes the tables."""
    columns = {name: [getattr(e, name) for e in manifest.entries.values()] for name in SCHEMA.names}
    meta = {
        "parts": {stage: sorted(stems) for stage, stems in manifest.parts.items()},
        "entities_part": manifest.entities_part,
    }
    table = pa.table(columns, schema=SCHEMA.with_metadata({"pipeline": json.dumps(meta)}))
    output_dir.write_parquet(MANIFEST_NAME, table, durable=True, compression="zstd")


def row_keys(name: str, table: pa.Table) -> pa.ChunkedArray:
    """The manifest key of each row of table NAME: the item whose processing wrote it (agrees with item_key)."""
    by_article = pc.binary_join_element_wise("a:", table["article_id"], "")
    if name != "errors":
        return by_article
    by_source = pc.binary_join_element_wise("e:", table["source"], "")
    # Read errors belong to the input that failed; later stages' errors to their article.
    return pc.if_else(pc.equal(table["stage"], "read"), by_source, by_article)
