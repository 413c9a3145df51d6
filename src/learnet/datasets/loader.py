"""Turn a located image-classification dataset into Keras-style arrays."""

from __future__ import annotations

import os
import zipfile
import zlib
from typing import NoReturn

import numpy as np

from .errors import DatasetCorruptError
from .idx import read_idx
from .sources import CACHE, DOWNLOAD, DatasetSpec, Found, fetch

__all__ = ["load_image_dataset"]

_NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_image_dataset(spec: DatasetSpec, path: str | os.PathLike | None = None):
    """Load ``(x_train, y_train), (x_test, y_test)`` of an MNIST-like dataset.

    Finds the files (downloading what is missing, see
    :mod:`learnet.datasets.sources`), reads them and checks that images and
    labels have the expected shapes, types and counts.

    Parameters
    ----------
    spec : DatasetSpec
    path : str or path-like, optional
        A folder holding the four files, or an ``.npz`` archive in Keras' layout.

    Returns
    -------
    tuple
        ``(x_train, y_train), (x_test, y_test)``: ``uint8`` images of shape
        ``(N, *spec.image_shape)`` and ``uint8`` labels of shape ``(N,)``.

    Raises
    ------
    DatasetNotFoundError
        If files are missing and cannot be downloaded.
    DatasetCorruptError
        If a file is damaged or does not hold what it should. A damaged file
        in the cache is removed.
    """
    location = fetch(spec, path)
    if location.files_complete:
        arrays = [_read_file(spec, location.found[f.name], role) for f, role in zip(spec.files, _NPZ_KEYS)]
        names = [location.found[f.name].path for f in spec.files]
    else:
        arrays = _read_archive(spec, location.archive)
        names = [f"{location.archive.path} [{key}]" for key in _NPZ_KEYS]
    x_train, y_train, x_test, y_test = arrays
    for images, labels, images_name, labels_name in (
        (x_train, y_train, names[0], names[1]),
        (x_test, y_test, names[2], names[3]),
    ):
        if len(images) != len(labels):
            raise DatasetCorruptError(
                f"{spec.title}: {images_name} holds {len(images)} images but "
                f"{labels_name} holds {len(labels)} labels; they come from different "
                "copies of the dataset. Put matching files together."
            )
    return (x_train, y_train), (x_test, y_test)


def _check(spec: DatasetSpec, array: np.ndarray, role: str) -> str | None:
    """Say what is wrong with an array meant as ``role``, or None if it is fine."""
    if array.dtype != np.uint8:
        return f"expected uint8 values, found {array.dtype}"
    if role.startswith("x"):
        if array.shape[1:] != tuple(spec.image_shape) or array.ndim != 1 + len(spec.image_shape):
            return f"expected images of shape (N, {', '.join(map(str, spec.image_shape))}), found shape {array.shape}"
        return None
    if array.ndim != 1:
        return f"expected labels of shape (N,), found shape {array.shape}"
    if array.size and array.max() >= spec.num_classes:
        return f"expected labels 0..{spec.num_classes - 1}, found {array.max()}"
    return None


def _read_file(spec: DatasetSpec, found: Found, role: str) -> np.ndarray:
    try:
        array = read_idx(found.path)
        problem = _check(spec, array, role)
        if problem:
            raise DatasetCorruptError(f"{found.path} is not a {spec.title} file: {problem}.")
    except DatasetCorruptError as err:
        _evict_from_cache(found, err)
    return array


def _read_archive(spec: DatasetSpec, found: Found) -> list[np.ndarray]:
    try:
        arrays = _read_npz(found.path)
        for key, array in zip(_NPZ_KEYS, arrays):
            problem = _check(spec, array, key)
            if problem:
                raise DatasetCorruptError(f"{found.path} [{key}]: {problem}.")
    except DatasetCorruptError as err:
        _evict_from_cache(found, err)
    return arrays


def _read_npz(path) -> list[np.ndarray]:
    try:
        # allow_pickle=False: loading data must never run code from the file.
        archive = np.load(path, allow_pickle=False)
        if not hasattr(archive, "files"):
            raise DatasetCorruptError(
                f"{path} is a single .npy array, not an .npz archive with {', '.join(_NPZ_KEYS)}."
            )
        with archive:
            missing = [key for key in _NPZ_KEYS if key not in archive.files]
            if missing:
                raise DatasetCorruptError(
                    f"{path} lacks the arrays {', '.join(missing)} (it holds "
                    f"{', '.join(archive.files) or 'none'}); expected Keras' layout "
                    f"with {', '.join(_NPZ_KEYS)}."
                )
            return [archive[key] for key in _NPZ_KEYS]
    except DatasetCorruptError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        # Pickled or object arrays are refused with a ValueError.
        raise DatasetCorruptError(f"{path} is not a readable .npz archive ({type(err).__name__}: {err}).") from None


def _evict_from_cache(found: Found, err: DatasetCorruptError) -> NoReturn:
    """Re-raise ``err``, first removing the file when it sits in the cache."""
    if found.source not in (CACHE, DOWNLOAD):
        raise err
    # The cache is ours: a bad file left there would fail every later run.
    found.path.unlink(missing_ok=True)
    raise DatasetCorruptError(
        f"{err} It has been removed from the cache; load the dataset again to download a fresh copy."
    ) from None
