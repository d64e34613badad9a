"""The manifest at OUTPUT/_manifest.parquet: per input item its hash, versions, run and part; the run's commit point."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.articles import Article
from pipeline.rows import ErrorRow
from pipeline.store import Output

MANIFEST_NAME = "_manifest.parquet"


@dataclass(frozen=True)
class Versions:
    """What a row's content depends on besides its input: a change of any of these re-processes everything."""

    pipeline_version: str
    model: str
    settings: str


@dataclass(frozen=True, slots=True)
class Entry:
    key: str  # "a:" + article_id for an article, "e:" + source for an input that could not be read
    kind: str  # article or error
    source: str
    article_id: str | None
    content_sha256: str
    pipeline_version: str
    model: str
    settings: str
    run_id: str
    part: str  # stem of the part files (one per table folder) that hold the item's rows


SCHEMA = pa.schema([pa.field(f.name, pa.string(), nullable=f.name == "article_id") for f in fields(Entry)])


@dataclass
class Manifest:
    entries: dict[str, Entry] = field(default_factory=dict)
    parts: list[str] = field(default_factory=list)  # live part stems of the per-article tables
    entities_part: str | None = None

    def stems(self, table: str) -> set[str]:
        """Part stems that make up TABLE."""
        if table == "entities":
            return {self.entities_part} if self.entities_part else set()
        return set(self.parts)

    def versions(self) -> set[Versions]:
        return {Versions(e.pipeline_version, e.model, e.settings) for e in self.entries.values()}


def item_key(item: Article | ErrorRow) -> str:
    return f"a:{item.article_id}" if isinstance(item, Article) else f"e:{item.source}"


def item_hash(item: Article | ErrorRow) -> str:
    """Content hash of an input item; for an article its content_sha256, for a read error its reason."""
    if isinstance(item, Article):
        return item.content_sha256
    return hashlib.sha256(json.dumps([item.source, item.stage, item.error]).encode("utf-8")).hexdigest()


def entry_for(item: Article | ErrorRow, versions: Versions, run_id: str, part: str) -> Entry:
    return Entry(item_key(item), "article" if isinstance(item, Article) else "error", item.source,
                 item.article_id, item_hash(item), versions.pipeline_version, versions.model,
                 versions.settings, run_id, part)


def unchanged(old: Entry | None, item: Article | ErrorRow) -> bool:
    """True when OLD recorded ITEM's content as it is now (its source, e.g. a JSONL line number, may differ)."""
    return old is not None and old.content_sha256 == item_hash(item)


def read_manifest(output_dir: Output) -> Manifest:
    """The committed manifest of OUTPUT_DIR, or an empty one before the first run."""
    if not output_dir.exists(MANIFEST_NAME):
        return Manifest()
    table = output_dir.read_parquet(MANIFEST_NAME)
    meta = json.loads((table.schema.metadata or {}).get(b"pipeline", b"{}"))
    entries = {row["key"]: Entry(**row) for row in table.select(SCHEMA.names).to_pylist()}
    return Manifest(entries, list(meta.get("parts", [])), meta.get("entities_part"))


def write_manifest(output_dir: Output, manifest: Manifest) -> None:
    """Replace the manifest atomically (a rename, or one PUT): the moment a run's result becomes the tables."""
    columns = {name: [getattr(e, name) for e in manifest.entries.values()] for name in SCHEMA.names}
    meta = {"parts": sorted(manifest.parts), "entities_part": manifest.entities_part}
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
