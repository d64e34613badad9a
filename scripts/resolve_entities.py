"""Apply the cross-article entity step to a plain output folder (one or more Parquet files per table), in place.

  python scripts/resolve_entities.py OUT

For outputs written outside the runner (e.g. a parse cache's extract step): rewrites mentions.entity_id and
quotes.speaker_entity_id to the canonical ids and rebuilds OUT/entities, as a pipeline run does.
"""

import sys
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.entities import MENTION_COLUMNS, entity_rows
from pipeline.entities.resolve import (
    RESOLVE_COLUMNS,
    canonical_mentions,
    canonical_quotes,
    resolve,
)
from pipeline.write import to_arrow


def main(out: Path) -> None:
    files = sorted((out / "mentions").glob("*.parquet"))
    resolution = resolve(lambda: (pq.read_table(f, columns=RESOLVE_COLUMNS) for f in files))
    for file in files:
        old = pq.read_table(file)
        new = canonical_mentions(old, resolution)
        if new is None:
            continue
        pq.write_table(new, file)
        quotes_file = out / "quotes" / file.name
        if quotes_file.exists():
            pq.write_table(canonical_quotes(pq.read_table(quotes_file), old, new), quotes_file)
    entities = entity_rows(pq.read_table(f, columns=MENTION_COLUMNS) for f in files)
    for old in (out / "entities").glob("*.parquet"):
        old.unlink()
    (out / "entities").mkdir(exist_ok=True)
    pq.write_table(to_arrow("entities", entities), out / "entities" / "part-0.parquet")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
