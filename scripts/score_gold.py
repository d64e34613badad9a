"""Precision and recall of an output folder against gold in the seeds' format (entities, dates, quotes).

usage: python scripts/score_gold.py OUTPUT_DIR [GOLD_JSON]     (default gold: ../shared/gold/seeds.json)
Unlike ../shared/tools/score_seeds.py it also counts predictions that match no gold item (precision) and
scores canonical entities, not surface forms. Optional gold items neither reward nor penalise.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path

import pandas as pd

CORE_LABELS = {"PERSON", "ORG", "GPE", "LOC"}


def norm(text: object) -> str:
    text = unicodedata.normalize("NFKC", text if isinstance(text, str) else "")
    text = text.replace("ʼ", "'").replace("’", "'")
    return " ".join(text.strip(" ,.\"“”'").split()).lower()


def overlaps(a: str, b: str) -> bool:
    return bool(a and b) and (a in b or b in a) and min(len(a), len(b)) > 0.5 * max(len(a), len(b))


def prf(tp_pred: int, n_pred: int, tp_gold: int, n_gold: int) -> str:
    p = tp_pred / n_pred if n_pred else 0.0
    r = tp_gold / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return f"P {p:.2f} ({tp_pred}/{n_pred})  R {r:.2f} ({tp_gold}/{n_gold})  F1 {f:.2f}"


def score_entities(gold: list[dict], mentions: pd.DataFrame) -> tuple[int, int, int, int]:
    forms = {eid: {(norm(t), lab) for t, lab in zip(g.text, g.label)} for eid, g in mentions.groupby("entity_id")}
    predicted = {eid for eid, fl in forms.items() if any(lab in CORE_LABELS for _, lab in fl)}
    gold_keys = [{(norm(m), lab) for m in g["mentions"] for lab in {g["type"], *g.get("alt_types", [])}} for g in gold]
    hit_pred = sum(any(forms[e] & keys for keys in gold_keys) for e in predicted)
    hit_gold = sum(any(forms[e] & keys for e in forms) for keys in gold_keys)
    return hit_pred, len(predicted), hit_gold, len(gold)


def score_spans(gold: list[dict], pred: pd.DataFrame, value_col: str, gold_value: str) -> tuple[int, ...]:
    """(preds matching a gold span, preds, gold found, gold, gold found with the right value)."""
    required = [g for g in gold if not g.get("optional") and not g.get("boilerplate")]
    optional = [g for g in gold if g.get("optional") or g.get("boilerplate")]
    texts, values = [norm(t) for t in pred.text], list(pred[value_col])
    match = lambda g, t: overlaps(norm(g["text"]), t) or (value_col == "value" and norm(g["text"]) in t)  # noqa: E731
    useful = [t for t in texts if not any(match(g, t) for g in optional) or any(match(g, t) for g in required)]
    hit_pred = sum(any(match(g, t) for g in required) for t in useful)
    hit_gold = right = 0
    for g in required:
        hits = [i for i, t in enumerate(texts) if match(g, t)]
        hit_gold += bool(hits)
        right += any(same(values[i], g.get(gold_value)) for i in hits)
    return hit_pred, len(useful), hit_gold, len(required), right


def same(pred: object, gold: object) -> bool:
    if gold is None:
        return pred is None or pd.isna(pred)
    return isinstance(pred, str) and (norm(pred) == norm(gold) or (norm(gold) in norm(pred) and len(norm(gold)) > 2))


def main(out: str, gold_path: str = "../shared/gold/seeds.json") -> None:
    out_dir, gold = Path(out), json.loads(Path(gold_path).read_text(encoding="utf-8"))
    tables = {n: pd.read_parquet(out_dir / n) for n in ("articles", "mentions", "dates", "quotes")}
    ids = {Path(str(s)).stem: a for s, a in zip(tables["articles"].source, tables["articles"].article_id)}
    ids.update({a: a for a in tables["articles"].article_id})
    totals = {"entities": [0] * 4, "dates": [0] * 5, "quotes": [0] * 5}
    for art in gold["articles"]:
        aid = ids[Path(art["file"]).stem]
        pick = {n: t[t.article_id == aid] for n, t in tables.items()}
        for area, counts in (
            ("entities", score_entities(art["entities"], pick["mentions"])),
            ("dates", score_spans(art["dates"], pick["dates"], "value", "value")),
            ("quotes", score_spans(art["quotes"], pick["quotes"], "speaker_text", "speaker_text")),
        ):
            totals[area] = [a + b for a, b in zip(totals[area], counts)]
    print("entities (canonical)   ", prf(*totals["entities"]))
    d, q = totals["dates"], totals["quotes"]
    print("dates (span)           ", prf(*d[:4]), f"  value accuracy {d[4] / max(d[3], 1):.2f}")
    print("quotes (content)       ", prf(*q[:4]), f"  right speaker {q[4] / max(q[3], 1):.2f}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
