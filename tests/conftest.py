"""Shared test set-up: the real datasets folder, a fixed seed, the Agg backend."""
import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[1]

# Course scripts are run by test_course_scripts.py and the fuzzer by hand: --doctest-modules
# must not import them.
collect_ignore = ["compat/scripts", "reliability/fuzz_model_file.py"]


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


@pytest.fixture
def datasets_dir():
    folder = shared_datasets()
    if not folder.is_dir():
        pytest.skip("the shared datasets folder is not available")
    return folder


@pytest.fixture(autouse=True)
def _seeded():
    import learnet

    learnet.random.set_seed(1234)
    np.random.seed(1234)
    yield
