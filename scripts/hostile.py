"""Hostile article shapes, each built from ordinary news text: what `make bench` times and the tests check.

Every builder takes news TEXT (any length; repeated as needed) and returns about N characters of one shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
NUMBER = re.compile(r"\d[\d,.]*\d|\d")
CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")


def cycle(parts: list[str], n: int, sep: str) -> str:
    """PARTS joined by SEP, repeated until about N characters, cut after a whole part."""
    if not any(parts):
        raise ValueError("no text to build a shape from")
    out: list[str] = []
    size = 0
    while size < n:
        for part in parts:
            size += len(part) + (len(sep) if out else 0)
            out.append(part)
            if size >= n:
                break
    return sep.join(out)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text.replace("\n", " ")) if s.strip()]


def ordinary(text: str, n: int) -> str:
    """News as it comes: paragraphs, line breaks."""
    return cycle([p.strip() for p in text.split("\n") if p.strip()], n, "\n\n")


def one_line(text: str, n: int) -> str:
    """The same news without a single line break."""
    return ordinary(text, n).replace("\n\n", " ")


def quoted(text: str, n: int) -> str:
    """Thousands of quotation marks and cues: every sentence a quote attributed to a speaker."""
    return cycle([f"\u201c{s.rstrip('.')},\u201d the spokesman said." for s in sentences(text)], n, " ")


def stray_quotes(text: str, n: int) -> str:
    """Quotation marks that pair with nothing sensible: one before every fifth word."""
    words = ordinary(text, n).split(" ")
    return " ".join(f'"{w}' if k % 5 == 0 else w for k, w in enumerate(words))


def cues(text: str, n: int) -> str:
    """Reported speech in every sentence, cue verbs everywhere, no quotation marks."""
    return cycle([f"Officials said that {s}" for s in sentences(text)], n, " ")


def nested_brackets(text: str, n: int) -> str:
    """Brackets nested as deep as the text has sentences: each sentence opens one, all close at the end."""
    opened = cycle([f"({s}" for s in sentences(text)], n, " ")
    return opened + ")" * opened.count("(")


def numbers(text: str, n: int) -> str:
    """A long run of the text's numbers (years, amounts, counts) and nothing else."""
    return cycle(NUMBER.findall(text) or ["2005"], n, " ")


def capitalised(text: str, n: int) -> str:
    """A long run of the text's capitalised words: one endless name."""
    return cycle(CAPITALISED.findall(text) or ["Brazil"], n, " ")


def one_sentence(text: str, n: int) -> str:
    """One huge sentence: no full stop, no line break until the very end."""
    return cycle([s.rstrip(".!?") for s in sentences(text)], n, ", and ") + "."


SHAPES: dict[str, Callable[[str, int], str]] = {
    "one line": one_line,
    "quotes and cues": quoted,
    "stray quotation marks": stray_quotes,
    "reported speech everywhere": cues,
    "nested brackets": nested_brackets,
    "run of numbers": numbers,
    "run of capitalised words": capitalised,
    "one huge sentence": one_sentence,
}


def shapes(text: str, n: int) -> Iterator[tuple[str, str]]:
    """(name, article text) for every hostile shape of about N characters."""
    for name, build in SHAPES.items():
        yield name, build(text, n)
