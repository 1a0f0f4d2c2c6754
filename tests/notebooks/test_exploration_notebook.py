"""The exploration notebook runs headless, top to bottom, through the Kedro catalog."""

from __future__ import annotations

import shutil

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import REPO, make_project


@pytest.mark.slow
def test_exploration_notebook_runs(tmp_path):
    root = make_project(tmp_path / "project")
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    notebook = nbformat.read(root / "notebooks/exploration.ipynb", as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(root / "notebooks")}})
    client.execute()
    text = "\n".join(
        output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
        for cell in notebook.cells if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    constant = next(line for line in text.splitlines() if line.startswith("constant"))
    assert "'joint_30'" in constant
    assert "joint_00-12: mean" in text
    assert "no_pain" in text
