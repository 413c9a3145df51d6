"""Shared test set-up: the real datasets folder, a fixed seed, the Agg backend, real Keras."""

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[1]

# Theme scripts are run by test_theme_scripts.py (in TensorFlow spelling, imports rewritten) and
# the fuzzer by hand: --doctest-modules must not import them.
collect_ignore = ["compat/themes", "reliability/fuzz_model_file.py", "distribute/mpi_job.py"]
# Fixture generators are scripts run by hand with Keras, TensorFlow or PyTorch installed.
collect_ignore_glob = ["fixtures/*", "*/fixtures/*"]


def pytest_ignore_collect(collection_path, config):
    """--doctest-modules would import every conftest.py again as a module named "conftest"
    (two of them clash); pytest loads them as plugins anyway, and they hold no examples."""
    if collection_path.name == "conftest.py":
        return True
    return None


def shared_datasets():
    """The folder of real datasets: $LEARNET_DATASETS, else shared/datasets beside the repository."""
    configured = os.environ.get("LEARNET_DATASETS")
    if configured:
        return Path(configured)
    return REPO.parent / "shared" / "datasets"


#: The four original files every dataset folder holds, and the title each folder is known by.
IDX_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
DATASET_TITLES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}


def missing_dataset_message(folder):
    """The plain-words reason a test skips when a dataset folder is missing or incomplete."""
    return (
        f"the {DATASET_TITLES.get(folder, folder)} files were not found; "
        f"set LEARNET_DATASETS to a folder holding {folder}/"
    )


def dataset_folder(folder):
    """``shared_datasets() / folder`` when it holds the four original files, else skip saying why."""
    path = shared_datasets() / folder
    if not all((path / name).is_file() for name in IDX_FILES):
        pytest.skip(missing_dataset_message(folder))
    return path


@pytest.fixture
def datasets_dir():
    """The datasets folder, holding complete mnist/ and fashion-mnist/ (else the test skips)."""
    for folder in DATASET_TITLES:
        dataset_folder(folder)
    return shared_datasets()


@pytest.fixture
def mnist_dir():
    """The folder of the complete original MNIST (else the test skips, saying why)."""
    return dataset_folder("mnist")


@pytest.fixture
def fashion_mnist_dir():
    """The folder of the complete Fashion-MNIST (else the test skips, saying why)."""
    return dataset_folder("fashion-mnist")


@pytest.fixture(autouse=True)
def _seeded():
    import learnet

    learnet.random.set_seed(1234)
    np.random.seed(1234)
    yield


@pytest.fixture(scope="session")
def keras():
    """Real Keras 3 (on JAX unless ``KERAS_BACKEND`` says otherwise), to compare against;
    the test is skipped where it is not installed."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    try:
        import keras as real_keras
    except Exception:  # noqa: BLE001 - a missing or broken install both mean: no comparison here
        pytest.skip("real Keras 3 is not installed (pip install keras jax)")
    return real_keras
