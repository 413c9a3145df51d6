"""Datasets kept in one file (IMDB, Reuters, Boston housing, CIFAR): find it, read it safely.

The file is looked for and downloaded exactly as MNIST's files are (see
:mod:`learnet.datasets.sources`): the ``path`` argument, ``$LEARNET_DATASETS/<folder>/``,
the cache, then the mirrors, with the known digest checked. A damaged file in the
cache is removed, so the next call downloads a fresh copy.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from .errors import DatasetCorruptError
from .sources import CACHE, DOWNLOAD, DatasetSpec, Found, fetch

T = TypeVar("T")


def locate_single(spec: DatasetSpec, path: str | os.PathLike | None) -> Found:
    """Find (or download) the one file of ``spec``; ``path`` may name the file or its folder."""
    name = spec.files[0].name
    if (
        path is not None
        and not Path(path).expanduser().exists()
        and Path(path).name == name
        and len(Path(path).parts) == 1
    ):
        path = None  # Keras' default `path="imdb.npz"`: a name in the cache, not a place
    if path is not None and Path(path).expanduser().is_file():
        return Found("path argument", Path(path).expanduser())
    location = fetch(spec, path)
    found = location.found.get(name) or location.archive
    return found


def read_single(spec: DatasetSpec, path: str | os.PathLike | None, reader: Callable[[Path], T]) -> T:
    """Locate the file and read it with ``reader``; a damaged cached copy is removed."""
    found = locate_single(spec, path)
    try:
        return reader(found.path)
    except DatasetCorruptError as err:
        if found.source in (CACHE, DOWNLOAD):
            found.path.unlink(missing_ok=True)
            raise DatasetCorruptError(
                f"{err} It has been removed from the cache; load the dataset again to download a fresh copy."
            ) from None
        raise
