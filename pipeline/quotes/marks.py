"""Quotation marks paired on the raw text: unbalanced marks cost at most one quote; no parse needed."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.parse import trimmed
from pipeline.quotes.lexicon import (
    D_CLOSE,
    D_EITHER,
    D_OPEN,
    MARK,
    OPENERS,
    PARAGRAPH,
    S_CLOSE,
    S_EITHER,
    S_OPEN,
)


@dataclass(frozen=True, slots=True)
class Marked:
    """A quotation found by its marks: content offsets, mark offsets, and whether it runs on to the next one."""

    start: int
    end: int
    open_at: int
    continues: bool = False


def _opens(prev: str, nxt: str) -> bool:
    return not prev.isalnum() and not nxt.isspace()


def _closes(prev: str, nxt: str) -> bool:
    return not prev.isspace() and not nxt.isalnum()


def _scan_paragraph(text: str, pstart: int, pend: int) -> tuple[list[tuple[int, int]], int | None]:
    """(open, close) mark pairs in one paragraph, and the offset of a double mark left open at its end."""
    pairs: list[tuple[int, int]] = []
    open_d = open_s = None
    for mark in MARK.finditer(text, pstart, pend):  # only the marks: the paragraph's other characters cost nothing
        i, ch = mark.start(), mark.group()
        prev = text[i - 1] if i > pstart else " "
        nxt = text[i + 1] if i + 1 < pend else " "
        if ch in D_OPEN or (ch in D_EITHER and open_d is None):
            if ch in D_OPEN or _opens(prev, nxt):
                open_d, open_s = i, None
        elif ch in D_CLOSE or ch in D_EITHER:
            if ch in D_EITHER and _opens(prev, nxt) and (nxt.isalnum() or nxt in "[(‘'") and not _closes(prev, nxt):
                open_d, open_s = i, None  # a straight mark that can only open: the earlier one was never closed
            elif open_d is not None:
                pairs.append((open_d, i))
                open_d = None
        elif open_d is None and (ch in S_OPEN or ch in S_CLOSE or ch in S_EITHER):
            # inside a double quotation, single marks are nested quotes: left to the outer one
            if open_s is not None and ch not in S_OPEN and _closes(prev, nxt):
                pairs.append((open_s, i))
                open_s = None
            elif open_s is None and ch not in S_CLOSE and _opens(prev, nxt):
                open_s = i
    return pairs, open_d


def quotation_spans(text: str) -> list[Marked]:
    """Every quotation marked in TEXT; a double quotation left open at a paragraph end runs to that end."""
    paragraphs = [(m.start(), m.end()) for m in PARAGRAPH.finditer(text)]
    out: list[Marked] = []
    for k, (pstart, pend) in enumerate(paragraphs):
        pairs, open_d = _scan_paragraph(text, pstart, pend)
        for o, c in pairs:
            out.append(Marked(*trimmed(text, o + 1, c), o))
        if open_d is not None:
            nxt = paragraphs[k + 1] if k + 1 < len(paragraphs) else None
            continues = nxt is not None and text[nxt[0]] in OPENERS
            out.append(Marked(*trimmed(text, open_d + 1, pend), open_d, continues))
    return [m for m in out if m.end > m.start]
