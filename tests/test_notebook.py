"""notebooks/explore.ipynb runs top to bottom on the seeds' tables and saves its figure."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "explore.ipynb"


@pytest.fixture(scope="module")
def executed(seeds_out, tmp_path_factory):
    """The notebook executed on the seeds' tables: (notebook, figure path)."""
    out = seeds_out
    figure = tmp_path_factory.mktemp("notebook") / "mentions.png"
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PIPELINE_OUTPUT", str(out))
        patch.setenv("PIPELINE_FIGURE", str(figure))
        NotebookClient(notebook, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    return notebook, figure


def test_notebook_runs_without_errors(executed):
    notebook, _ = executed
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert outputs and not [o for o in outputs if o.output_type == "error"]


def test_notebook_saves_the_mentions_figure(executed):
    _, figure = executed
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_notebook_has_a_parameters_cell():
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    assert any("parameters" in c.metadata.get("tags", []) and "PIPELINE_OUTPUT" in c.source for c in cells)


def test_notebook_stored_without_outputs():
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    assert not [c for c in cells if c.cell_type == "code" and (c.outputs or c.execution_count)]
