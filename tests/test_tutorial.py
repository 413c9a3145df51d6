"""Run examples/tutorial.ipynb from top to bottom: its assert cells are the checks."""

import os
import shutil
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "examples" / "tutorial.ipynb"


def test_the_notebook_is_committed_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, "the tutorial has no code cells"
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
    assert notebook.metadata["kernelspec"]["name"] == "python3"


def test_the_python3_kernel_is_this_interpreter():
    # jupyter_client swaps a kernel spec's "python" for the running interpreter, so the
    # notebook runs with the same environment (and the same learnet) as the tests.
    from jupyter_client.manager import KernelManager

    manager = KernelManager(kernel_name="python3")
    command = manager.format_kernel_cmd()
    assert Path(command[0]).resolve() == Path(sys.executable).resolve()


def mnist_folder(tmp_path):
    """A LEARNET_DATASETS folder whose mnist/ holds the complete original MNIST (linked)."""
    shared = Path(os.environ.get("LEARNET_DATASETS") or REPO.parent / "shared" / "datasets")
    source = shared / "mnist"
    if not (source / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip("the MNIST files were not found; set LEARNET_DATASETS to a folder holding mnist/")
    target = tmp_path / "datasets" / "mnist"
    target.mkdir(parents=True)
    for file in source.iterdir():
        try:
            os.symlink(file, target / file.name)
        except OSError:  # no symlinks on this file system: copy (12 MB)
            shutil.copyfile(file, target / file.name)
    return target.parent


@pytest.mark.slow
def test_the_tutorial_runs_and_its_checks_pass(tmp_path, monkeypatch):
    monkeypatch.setenv("LEARNET_DATASETS", str(mnist_folder(tmp_path)))
    monkeypatch.setenv("LEARNET_HOME", str(tmp_path / "home"))  # no cache outside tmp_path
    # The kernel draws with Jupyter's own (inline) backend, as it does for a reader.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    work = tmp_path / "work"
    work.mkdir()
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(work)}},
    )
    client.execute()  # raises CellExecutionError, with the failing cell, if an assert fails
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors
