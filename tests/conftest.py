"""Shared fixtures: the pinned model once per session, a Config, and helpers that parse real sentences."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from hypothesis import settings

from pipeline.articles import make_article
from pipeline.batch import model_for
from pipeline.config import Config

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

# In CI the property tests replay the same examples every run, so a red build always means a change broke
# something; on a developer's machine they keep exploring new random examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def cfg() -> Config:
    return Config(n_process=1)


@pytest.fixture(scope="session")
def nlp(cfg):
    return model_for(cfg)


@pytest.fixture(scope="session")
def parse_text(nlp):
    """TEXT (and an optional publication date) -> (Doc, Article), as the pipeline parses it."""

    def parse(text: str, published: date | None = None, article_id: str = "t1"):
        article = make_article(article_id, "test", text, {"published": published.isoformat() if published else None})
        return nlp(article.text_for_parser()), article

    return parse
