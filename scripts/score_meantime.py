"""Run the real pipeline's date extraction over a TIMEX3 dev set and score it with the official scorer.

usage: .venv/bin/python scripts/score_meantime.py [--dev ../shared/dev/meantime] [--out /tmp/meantime-dates]
Any set laid out as DEV/txt/*.txt + DEV/gold.json works: MEANTIME (the default) or TimeBank
(--dev DEV/dates/timebank, built by ../shared/tools/get_devsets.sh). Reads the txt files with pipeline.articles,
parses them with the configured model, runs extract_dates, writes OUT/dates.jsonl and prints
../shared/tools/score_dates.py's report (errors in OUT/errors.tsv), plus parse vs extraction time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.articles import Article  # noqa: E402
from pipeline.batch import model_for  # noqa: E402
from pipeline.config import Config  # noqa: E402
from pipeline.dates import extract_dates  # noqa: E402
from pipeline.inputs import read_articles  # noqa: E402
from pipeline.parse import parse  # noqa: E402

SHARED = ROOT.parent / "shared"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dev", type=Path, default=SHARED / "dev" / "meantime")
    ap.add_argument("--out", type=Path, default=Path("/tmp/meantime-dates"))
    ap.add_argument("--scorer", type=Path, default=SHARED / "tools" / "score_dates.py")
    a = ap.parse_args(argv)
    cfg = Config(n_process=1)
    nlp = model_for(cfg)
    articles = [x for x in read_articles(a.dev / "txt") if isinstance(x, Article)]
    if not articles or not a.scorer.is_file():
        print(f"no articles in {a.dev / 'txt'} or no scorer at {a.scorer}", file=sys.stderr)
        return 2
    rows, parse_s, extract_s = [], 0.0, 0.0
    t0 = time.perf_counter()
    for doc, article in parse(articles, nlp, cfg):
        t1 = time.perf_counter()
        parse_s += t1 - t0
        rows += extract_dates(doc, article_id=article.article_id, text=article.text, published=article.published)
        t0 = time.perf_counter()
        extract_s += t0 - t1
    a.out.mkdir(parents=True, exist_ok=True)
    pred = a.out / "dates.jsonl"
    with pred.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(asdict(r), default=str) + "\n")
    print(
        f"{len(articles)} articles, {len(rows)} dates; parse {parse_s:.2f}s, extract_dates {extract_s:.2f}s "
        f"({100 * extract_s / max(parse_s, 1e-9):.1f}% of parse)"
    )
    cmd = [
        sys.executable,
        str(a.scorer),
        "--gold",
        str(a.dev / "gold.json"),
        "--pred",
        str(pred),
        "--txt-dir",
        str(a.dev / "txt"),
        "--errors",
        str(a.out / "errors.tsv"),
    ]
    return subprocess.run(cmd, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
