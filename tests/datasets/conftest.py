"""Fixtures for the dataset tests: real data, an isolated home, local HTTP mirrors."""

from __future__ import annotations

import dataclasses
import gzip
import http.server
import os
import shutil
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from learnet.datasets import fashion_mnist, mnist, read_idx

# The real data lives beside the repository (read its README); CI points
# LEARNET_DATASETS at it. Read once, before any test changes the environment.
SHARED = Path(os.environ.get("LEARNET_DATASETS") or Path(__file__).resolve().parents[3] / "shared" / "datasets")


ALL_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)

# The specs as shipped, before the autouse fixture below points them elsewhere.
PRISTINE_SPECS = {"mnist": mnist.SPEC, "fashion_mnist": fashion_mnist.SPEC}


@pytest.fixture
def pristine_specs():
    return PRISTINE_SPECS


def _require_shared(*folders) -> Path:
    """SHARED, when each of ``folders`` holds its four original files; else skip, saying why."""
    titles = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}
    for folder in folders:
        if not all((SHARED / folder / name).is_file() for name in ALL_FILES):
            pytest.skip(
                f"the {titles[folder]} files were not found; set LEARNET_DATASETS to a folder holding {folder}/"
            )
    return SHARED


@pytest.fixture
def shared() -> Path:
    """The folder holding the complete mnist/ and fashion-mnist/ (read only)."""
    return _require_shared("mnist", "fashion-mnist")


#: How many training images the small MNIST copy keeps.
SMALL_COUNT = 2000


@pytest.fixture(scope="session")
def small(tmp_path_factory) -> Path:
    """A complete but smaller MNIST built from the real files.

    The first ``SMALL_COUNT`` training images and labels (their IDX counts say so),
    and the original test files, copied.
    """
    source = _require_shared("mnist") / "mnist"
    folder = tmp_path_factory.mktemp("mnist-small")
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        write_idx(folder / name, read_idx(source / name)[:SMALL_COUNT])
    copy_files(source, folder, names=("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"))
    return folder


@pytest.fixture
def small_count() -> int:
    return SMALL_COUNT


def _refused_url() -> str:
    """A URL on 127.0.0.1 whose port nothing listens on: connections fail at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Keep every test away from the real home, the real network and system folders.

    The cache goes to ``tmp_path/home``; ``LEARNET_DATASETS`` is unset; mirrors
    point at a closed local port, so a test that would download fails fast
    instead of reaching the internet.
    """
    monkeypatch.setenv("LEARNET_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LEARNET_DATASETS", raising=False)
    nowhere = _refused_url()
    for module in (mnist, fashion_mnist):
        spec = dataclasses.replace(module.SPEC, mirrors=(nowhere,), system_dirs=())
        if spec.archive is not None:
            spec = dataclasses.replace(spec, archive_mirrors=(nowhere,))
        monkeypatch.setattr(module, "SPEC", spec)
    return tmp_path / "home" / "datasets"


@pytest.fixture
def refused_url() -> str:
    return _refused_url()


def copy_files(source: Path, target: Path, names=None) -> Path:
    """Copy (some of) the files of ``source`` into ``target``; return ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for file in sorted(source.iterdir()):
        if file.is_file() and (names is None or file.name in names):
            shutil.copyfile(file, target / file.name)
            (target / file.name).chmod(0o644)  # the shared copies are read-only
    return target


@pytest.fixture(scope="session")
def copy_to():
    """``copy_to(source, target, names=None)`` copies files into a writable folder."""
    return copy_files


def write_idx(path: Path, array: np.ndarray, *, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file (gzipped when the name ends in .gz)."""
    codes = {"u1": 0x08, "i1": 0x09, "i2": 0x0B, "i4": 0x0C, "f4": 0x0D, "f8": 0x0E}
    array = np.asarray(array)
    code = codes[array.dtype.kind + str(array.dtype.itemsize)]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    data = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    if compress if compress is not None else path.name.endswith(".gz"):
        data = gzip.compress(data, compresslevel=1)
    path.write_bytes(data)
    return path


@pytest.fixture(scope="session")
def idx_writer():
    """``idx_writer(path, array, compress=None)`` writes an IDX file."""
    return write_idx


@dataclasses.dataclass
class Mirror:
    url: str
    requests: list


@pytest.fixture
def http_mirror():
    """Start local HTTP mirrors: ``http_mirror(folder, failures=0) -> Mirror``.

    Each serves the files of ``folder`` on 127.0.0.1 and logs the paths asked
    for; its first ``failures`` requests get HTTP 500 (``float("inf")``: all).
    All are stopped when the test ends.
    """
    running = []

    def start(folder: Path, failures: float = 0) -> Mirror:
        requests: list[str] = []

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(folder), **kwargs)

            def do_GET(self):
                requests.append(self.path)
                if len(requests) <= failures:
                    self.send_error(500, "mirror out of order")
                    return
                super().do_GET()

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        running.append((server, thread))
        return Mirror(f"http://127.0.0.1:{server.server_address[1]}/", requests)

    yield start
    for server, thread in running:
        server.shutdown()
        server.server_close()
        thread.join()
