"""What each stage's rows depend on besides the input, as the manifest records it per article.

- parse: the release, the model (name and version), the settings that change a parse, and a fingerprint of
  every module that is not an extractor (reader, parse, rows, schemas, runner, ...) and of models/model.lock.
- extract: the release and a fingerprint of the extractor modules (pipeline/entities, dates and quotes, as a
  module or a sub-package) and of every models/ data file except model.lock.

Every module lands in one of the two by its path, so a new module or sub-package is covered from the start;
one that is not an extractor re-runs both stages when it changes, the safe side.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pipeline import __version__, config
from pipeline.config import Config
from pipeline.manifest import Versions

PACKAGE = Path(__file__).resolve().parent
EXTRACT_MODULES = ("entities", "dates", "quotes")  # pipeline/NAME.py or pipeline/NAME/**.py
PARSE_DATA = ("model.lock",)  # models/ files of the parse stage; every other models/ file is extractor data


def stage_files(package: Path, models: Path) -> dict[str, list[tuple[str, Path]]]:
    """(name, path) of every file each stage's version covers: PACKAGE's modules and MODELS' data files."""
    code = [(f"pipeline/{p.relative_to(package).as_posix()}", p) for p in sorted(package.rglob("*.py"))]
    data = [(f"models/{p.relative_to(models).as_posix()}", p) for p in sorted(models.rglob("*")) if p.is_file()]

    def extracts(name: str) -> bool:
        folder, top = name.split("/")[:2]
        return top not in PARSE_DATA if folder == "models" else top.removesuffix(".py") in EXTRACT_MODULES

    files = code + data
    return {"parse": [f for f in files if not extracts(f[0])], "extract": [f for f in files if extracts(f[0])]}


def fingerprint(files: list[tuple[str, Path]]) -> str:
    digest = hashlib.sha256()
    for name, path in files:
        digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:10]


def stage_fingerprints() -> dict[str, str]:
    return {stage: fingerprint(files) for stage, files in stage_files(PACKAGE, config.MODELS_DIR).items()}


def current_versions(cfg: Config) -> Versions:
    """The versions a run with CFG writes (the model's label read without loading spaCy)."""
    prints = stage_fingerprints()
    settings = json.dumps({"model": cfg.model, "components": list(cfg.components), "max_chars": cfg.max_chars})
    return Versions(
        f"{__version__}+parse.{prints['parse']}",
        installed_model_label(cfg),
        settings,
        f"{__version__}+extract.{prints['extract']}",
    )


def extract_version() -> str:
    return f"{__version__}+extract.{stage_fingerprints()['extract']}"


def installed_model_label(cfg: Config) -> str:
    """lang_name-version of the model from its meta.json, without loading spaCy (an unchanged re-run needs neither)."""
    meta = config.model_meta(cfg)
    if meta is None:
        from pipeline.batch import model_for  # noqa: PLC0415 - spaCy is slow to import

        meta = model_for(cfg).meta  # raises ModelError when the model is not installed
    return f"{meta.get('lang', 'xx')}_{meta.get('name', '?')}-{meta.get('version', '?')}"
