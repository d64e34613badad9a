"""Score the pipeline's quotes on the hand-annotated Wikinews dev set (dev/quotes), or any gold in that format.

usage: .venv/bin/python scripts/score_quotes.py [--articles dev/quotes/articles.jsonl] [--gold dev/quotes/gold.json]
                                                [--components ner] [--verbose] [--bench]
Runs the real pipeline code (read, parse, extract) and prints content and speaker precision, recall and F1.
A quote matches a gold quote like ../shared/tools/score_seeds.py: normalised containment, the shorter at least
half the longer; its speaker is right when the normalised speaker texts contain one another. A prediction that
matches only an `optional` gold quote is neither rewarded nor penalised.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.articles import Article  # noqa: E402
from pipeline.batch import model_for, process_batch  # noqa: E402
from pipeline.config import Config  # noqa: E402
from pipeline.entities import extract_mentions  # noqa: E402
from pipeline.inputs import read_articles  # noqa: E402
from pipeline.parse import parse  # noqa: E402
from pipeline.quotes import extract_quotes  # noqa: E402
from pipeline.rows import ErrorRow, QuoteRow  # noqa: E402


def norm(s: str | None) -> str:
    s = unicodedata.normalize("NFKC", s or "").replace("ʼ", "'").replace("’", "'")
    return " ".join(s.strip(" ,.\"“”'").split()).lower()


def same_text(a: str, b: str) -> bool:
    return bool(a and b) and (a in b or b in a) and min(len(a), len(b)) > 0.5 * max(len(a), len(b))


def same_speaker(pred: str, gold: str) -> bool:
    return bool(pred and gold) and (pred in gold or gold in pred)


def prf(tp_p: int, n_pred: int, tp_r: int, n_gold: int) -> tuple[float, float, float]:
    p = tp_p / n_pred if n_pred else 0.0
    r = tp_r / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score(quotes: dict[str, list], gold: dict, verbose: bool = False) -> dict[str, tuple[float, float, float]]:
    """Content and speaker (precision, recall, F1) of QUOTES (article_id -> rows) against GOLD."""
    c = {"pred": 0, "pred_ok": 0, "pred_spk": 0, "gold": 0, "gold_ok": 0, "gold_spk": 0, "kind": 0}
    for art in gold["articles"]:
        aid = Path(art["file"]).stem
        preds = [(norm(q.text), norm(q.speaker_text), q) for q in quotes.get(aid, [])]
        golds = [(norm(g["text"]), norm(g["speaker_text"]), g) for g in art["quotes"]]
        for gt, gs, g in golds:
            if g.get("optional"):
                continue
            hits = [ps for pt, ps, _ in preds if same_text(pt, gt)]
            c["kind"] += any(q.kind == g["kind"] for pt, _, q in preds if same_text(pt, gt))
            c["gold"] += 1
            c["gold_ok"] += bool(hits)
            c["gold_spk"] += any(same_speaker(ps, gs) for ps in hits)
            if verbose and not any(same_speaker(ps, gs) for ps in hits):
                why = " (found, speaker wrong)" if hits else ""
                print(f"  MISS {aid} [{g['kind']}] {g['text'][:70]!r} <- {g['speaker_text']}{why}")
        for pt, ps, q in preds:
            hits = [(gs, g) for gt, gs, g in golds if same_text(pt, gt)]
            if hits and all(g.get("optional") for _, g in hits):
                continue
            c["pred"] += 1
            c["pred_ok"] += bool(hits)
            c["pred_spk"] += any(same_speaker(ps, gs) for gs, g in hits if not g.get("optional"))
            if verbose and not hits:
                print(f"  FALSE {aid} [{q.kind}] {q.text[:70]!r} <- {q.speaker_text} ({q.cue})")
            elif verbose and not any(same_speaker(ps, gs) for gs, _ in hits):
                print(f"  SPEAKER {aid} {q.text[:50]!r} <- {q.speaker_text} (gold {hits[0][1]['speaker_text']})")
    return {
        "content": prf(c["pred_ok"], c["pred"], c["gold_ok"], c["gold"]),
        "speaker": prf(c["pred_spk"], c["pred"], c["gold_spk"], c["gold"]),
        "counts": (c["pred"], c["gold"]),
        "kind": c["kind"] / max(c["gold_ok"], 1),
    }


def run_pipeline(articles_path: Path, cfg: Config) -> dict[str, list]:
    """article_id -> quote rows, from the pipeline's own reader, parser and extractors."""
    items = list(read_articles(articles_path))
    tables = process_batch(items, cfg)
    for err in (ErrorRow(**row) for row in tables["errors"].to_pylist()):
        print(f"  ERROR {err.article_id} {err.stage}: {err.error}")
    out: dict[str, list] = {a.article_id: [] for a in items if isinstance(a, Article)}
    for q in (QuoteRow(**row) for row in tables["quotes"].to_pylist()):
        out[q.article_id].append(q)
    return out


def bench(articles_path: Path, cfg: Config) -> str:
    """Seconds spent parsing the articles and extracting their quotes, as one line."""
    items = [a for a in read_articles(articles_path) if isinstance(a, Article)]
    nlp = model_for(cfg)
    t0 = time.perf_counter()
    docs = list(parse(items, nlp, cfg))
    t1 = time.perf_counter()
    mentions = [extract_mentions(doc, article_id=a.article_id, text=a.text) for doc, a in docs]
    t2 = time.perf_counter()
    for (doc, a), m in zip(docs, mentions):
        extract_quotes(doc, article_id=a.article_id, text=a.text, mentions=m)
    t3 = time.perf_counter()
    return (
        f"timing: spaCy parse {t1 - t0:.2f}s ({', '.join(nlp.pipe_names)}), quotes {t3 - t2:.3f}s "
        f"= {100 * (t3 - t2) / (t1 - t0):.1f}% of the parse, {len(items)} articles"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=Path, default=ROOT / "dev/quotes/articles.jsonl", help="JSONL file or folder")
    ap.add_argument("--gold", type=Path, default=ROOT / "dev/quotes/gold.json")
    ap.add_argument("--components", nargs="*", help="spaCy components to run (default: the full pipeline)")
    ap.add_argument("--verbose", action="store_true", help="list misses and false quotes")
    ap.add_argument("--bench", action="store_true", help="also time the parse and the quote extraction")
    args = ap.parse_args(argv)
    cfg = Config(n_process=1).with_options(components=args.components)
    result = score(run_pipeline(args.articles, cfg), json.loads(args.gold.read_text(encoding="utf-8")), args.verbose)
    n_pred, n_gold = result["counts"]
    for name in ("content", "speaker"):
        p, r, f = result[name]
        print(f"quotes {name:8s} precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}  ({n_pred} predicted, {n_gold} gold)")
    print(f"quotes kind     agreement {result['kind']:.3f} (found gold quotes whose kind is right)")
    if args.bench:
        print(bench(args.articles, cfg))


if __name__ == "__main__":
    main()
