"""notebooks/explore.ipynb runs top to bottom on the seeds' tables, saves its figure beside them (never over a
tracked file), and is stored with its results so it shows them when opened."""

from __future__ import annotations

import os
import shutil
import time

import nbformat
import pandas as pd
import pytest
from conftest import ROOT
from nbclient import NotebookClient

NOTEBOOK = ROOT / "notebooks" / "explore.ipynb"
FIGURE_NAME = "mentions_per_100_articles.png"
NOT_SOURCE = {".venv", ".git", "__pycache__", ".pytest_cache", ".hypothesis", "build", "outputs"}


def repository_files_changed_since(start: float) -> list[str]:
    changed = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in NOT_SOURCE and not d.endswith(".egg-info")]
        changed += [os.path.join(folder, f) for f in files if os.path.getmtime(os.path.join(folder, f)) >= start]
    return changed


@pytest.fixture(scope="module")
def executed(seeds_out, tmp_path_factory):
    """The notebook executed on a copy of the seeds' tables: (notebook, output folder, repository files it changed)."""
    out = shutil.copytree(seeds_out, tmp_path_factory.mktemp("notebook") / "tables")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    start = time.time() - 1
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PIPELINE_OUTPUT", str(out))
        patch.delenv("PIPELINE_FIGURE", raising=False)
        NotebookClient(
            notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
        ).execute()
    return notebook, out, repository_files_changed_since(start)


def errors_in(notebook) -> list:
    return [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs if o.output_type == "error"]


def figure_outputs(notebook) -> list:
    return [
        o
        for cell in notebook.cells
        if cell.cell_type == "code"
        for o in cell.outputs
        if "image/png" in o.get("data", {})
    ]


def test_notebook_runs_without_errors(executed):
    notebook, _, _ = executed
    assert [c for c in notebook.cells if c.cell_type == "code" and c.outputs] and not errors_in(notebook)


def test_notebook_saves_its_figure_in_the_output_folder(executed):
    _, out, _ = executed
    assert (out.parent / "tables" / FIGURE_NAME).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_notebook_changes_no_file_of_the_repository(executed):
    _, _, changed = executed
    assert changed == []


def test_notebook_figure_shown_with_words_on_its_axes():
    source = "\n".join(c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code")
    for words in [
        'set_xlabel("Month of publication")',
        'set_ylabel("Mentions per 100 articles published that month")',
        'groupby(["month", "entity_id"])',
    ]:
        assert words in source


def test_notebook_counts_mentions_per_100_articles_of_the_month(executed):
    notebook, out, _ = executed
    articles, mentions = pd.read_parquet(out / "articles"), pd.read_parquet(out / "mentions")
    dated = articles.dropna(subset=["published"])
    people = mentions[(mentions.label == "PERSON") & mentions.article_id.isin(dated.article_id)]
    expected = people.groupby("entity_id").size() / len(dated) * 100  # the seeds' dated article: one month
    table = next(c for c in notebook.cells if c.cell_type == "code" and "per_100.round(1)" in c.source)
    shown = table.outputs[0]["data"]["text/plain"]
    assert len(expected) > 0 and all(f"{value:.1f}" in shown for value in expected.nlargest(3))


def test_notebook_has_a_parameters_cell():
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    assert any("parameters" in c.metadata.get("tags", []) and "PIPELINE_OUTPUT" in c.source for c in cells)


def test_notebook_stored_with_its_results():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    counts = [c.execution_count for c in notebook.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))  # run top to bottom, every cell
    assert len(figure_outputs(notebook)) == 1 and not errors_in(notebook)
