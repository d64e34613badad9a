"""Hostile article shapes (scripts/hostile.py, timed by `make bench`), small: the stages still find what they
should, and every offset still indexes the text. Text: Wikinews (CC BY 2.5), two articles of 2005."""

from __future__ import annotations

from collections import Counter

import pytest

from pipeline.articles import make_article
from pipeline.engine import process_batch
from scripts.hostile import SHAPES, ordinary

NEWS = """Hu Jintao, the President of the People's Republic of China had lunch today with the President of Brazil, \
Luiz Inácio Lula da Silva, at the Granja do Torto, the President's country residence in the Brazilian Federal \
District. Lunch was a traditional Brazilian barbecue with different kinds of meat.

Some Brazilian ministers were present at the event: Antonio Palocci (Economy), Eduardo Campos (Science and \
Technology), Roberto Rodrigues (Agriculture), Luiz Fernando Furlan (Development), Celso Amorim (Exterior \
Relations), Dilma Rousseff (Mines and Energy). Also present were Roger Agnelli (Vale do Rio Doce company \
president) and Eduardo Dutra (Petrobras, government oil company, president).

Comparison of the inner core of the extrasolar planet HD 149026b and Jupiter HD 149026b, a newly found planet in \
the constellation Hercules is dense, gassy and the hottest planet found to date. HD 149026b is smaller than the \
typical gas giant and its atmosphere is much heavier, contributing to its staggering temperature of 2,310 K \
(2,037°C, or 3,700°F), scientists said.

Scientist Joeseph Harrington described the planet as looking "like the evil eye."

"This planet is off the temperature scale that we expect for planets," said Drake Deming of NASA's Goddard Space \
Flight Center.

Harrington said for a planet to get so hot, it must be absorbing most of the light that reaches it. This energy \
is radiated back in the infrared spectrum.

HD 149026b is located 279 light-years from Earth with a light-year being the distance light travels in a year, \
about 9.46 trillion kilometres."""
CHARS = 3000
SPANNED = ["sentences", "tokens", "mentions", "dates"]


@pytest.fixture(scope="module")
def tables(cfg):
    """Shape name -> (article text, its tables), every shape and ordinary news of the same length."""
    out = {}
    for name, build in {"ordinary": ordinary, **SHAPES}.items():
        text = build(NEWS, CHARS)
        out[name] = text, process_batch([make_article(name, "hostile", text, {})], cfg)
    return out


def rows(tables, name: str, table: str) -> list[dict]:
    return tables[name][1][table].to_pylist()


@pytest.mark.parametrize("name", ["ordinary", *SHAPES])
def test_hostile_shape_processed_without_errors_offsets_index_the_text(tables, name):
    text, out = tables[name]
    assert len(text) >= CHARS
    assert out["errors"].num_rows == 0 and out["articles"].num_rows == 1 and out["tokens"].num_rows > 0
    for table in SPANNED:
        for row in out[table].to_pylist():
            assert text[row["start_char"] : row["end_char"]] == row["text"], (table, row)


@pytest.mark.parametrize("name", ["one line", "nested brackets", "one huge sentence"])
def test_hostile_shape_keeps_the_names_of_ordinary_news(tables, name):
    def people(shape: str) -> set[str]:
        return {m["text"] for m in rows(tables, shape, "mentions") if m["label"] == "PERSON"}

    assert {"Hu Jintao", "Drake Deming", "Dilma Rousseff"} <= people("ordinary")
    assert people("ordinary") <= people(name)


def test_hostile_one_line_finds_the_quotes_of_ordinary_news(tables):
    def quotes(shape: str) -> Counter:
        return Counter((q["text"], q["kind"], q["speaker_text"]) for q in rows(tables, shape, "quotes"))

    assert [
        q for q in quotes("ordinary") if q[0].startswith("This planet is off") and q[1:] == ("direct", "Drake Deming")
    ]
    assert quotes("one line") == quotes("ordinary")


def test_hostile_every_quoted_sentence_is_a_direct_quote_of_its_speaker(tables):
    text, _ = tables["quotes and cues"]
    quoted = [part.split("\u201d")[0] for part in text.split("\u201c")[1:]]
    by_spokesman = [q for q in rows(tables, "quotes and cues", "quotes") if q["speaker_text"] == "the spokesman"]
    # A sentence quoting someone else ("...," said Drake Deming) keeps its own speaker.
    assert len(by_spokesman) == sum('"' not in sentence for sentence in quoted) > 10
    assert {q["kind"] for q in by_spokesman} == {"direct"}


def test_hostile_reported_speech_is_attributed_to_its_speaker(tables):
    text, _ = tables["reported speech everywhere"]
    officials = [q for q in rows(tables, "reported speech everywhere", "quotes") if q["speaker_text"] == "Officials"]
    assert len(officials) >= 0.8 * text.count("Officials said that")


def test_hostile_runs_of_numbers_and_names_are_tokenised_word_by_word(tables):
    for name in ("run of numbers", "run of capitalised words"):
        text, out = tables[name]
        assert out["tokens"].num_rows >= len(text.split())
    assert len(rows(tables, "run of capitalised words", "mentions")) > 10
