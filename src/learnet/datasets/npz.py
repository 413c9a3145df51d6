"""A restricted reader for Keras' ``.npz`` dataset files: plain arrays and lists of ints only.

Keras stores the IMDB and Reuters reviews as NumPy object arrays of Python lists,
which ``.npy`` can only hold as pickles, and unpickling runs whatever code the file
names. This reader never unpickles blindly:

* a plain (non-object) array is read with ``allow_pickle=False``;
* an object array's pickle is read by an unpickler that knows only the three names a
  NumPy object array needs (``ndarray``, ``dtype`` and ``_reconstruct``) and nothing
  else: any other name in the stream (a function to call, a class to build) stops
  the reading with ``DatasetCorruptError`` before anything runs;
* the result must then be a one-dimensional object array whose every item is a list
  of Python ints; anything else is refused too.
"""

from __future__ import annotations

import io
import pickle
import zipfile
import zlib

import numpy as np
from numpy.lib import format as npy_format

from .errors import DatasetCorruptError

__all__ = ["read_npz"]

# The only names a pickled NumPy object array refers to, under NumPy 1 and 2.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"it names {module}.{name}, which a file of integer sequences never needs; "
            "refusing to load it (nothing from the file was run)"
        )


def _read_member(data: bytes, where: str) -> np.ndarray:
    stream = io.BytesIO(data)
    version = npy_format.read_magic(stream)
    if version == (1, 0):
        _, _, dtype = npy_format.read_array_header_1_0(stream)
    elif version == (2, 0):
        _, _, dtype = npy_format.read_array_header_2_0(stream)
    else:
        raise DatasetCorruptError(f"{where}: unsupported .npy format version {version}")
    if not dtype.hasobject:
        stream.seek(0)
        return npy_format.read_array(stream, allow_pickle=False)
    try:
        array = _RestrictedUnpickler(stream, encoding="latin1").load()
    except Exception as err:  # any failure of a hostile or damaged stream is the same refusal
        raise DatasetCorruptError(f"{where}: {err}") from None
    if not isinstance(array, np.ndarray) or array.dtype != object or array.ndim != 1:
        raise DatasetCorruptError(f"{where}: expected a one-dimensional array of sequences")
    for index, item in enumerate(array):
        if not isinstance(item, list) or not all(type(value) is int for value in item):
            raise DatasetCorruptError(f"{where}: item {index} is a {type(item).__name__}, not a list of integers")
    return array


def read_npz(path, keys) -> dict[str, np.ndarray]:
    """Read the arrays ``keys`` from a Keras ``.npz`` file, refusing anything but data.

    Parameters
    ----------
    path : str or path-like
    keys : list of str
        The arrays that must be there (``["x_train", "y_train", ...]``).

    Returns
    -------
    dict
        Key -> array; object arrays hold lists of ints.

    Raises
    ------
    DatasetCorruptError
        If the file is not a readable ``.npz``, lacks a key, or holds anything but
        plain arrays and lists of ints (a pickle naming code is refused unread).

    Examples
    --------
    >>> from learnet.datasets.npz import read_npz
    >>> read_npz("imdb.npz", ["x_train", "y_train"])["x_train"][0][:3]  # doctest: +SKIP
    [1, 14, 22]
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = {name.removesuffix(".npy"): name for name in archive.namelist()}
            missing = [key for key in keys if key not in names]
            if missing:
                raise DatasetCorruptError(
                    f"{path} lacks the arrays {', '.join(missing)} (it holds {', '.join(sorted(names)) or 'none'})."
                )
            return {key: _read_member(archive.read(names[key]), f"{path} [{key}]") for key in keys}
    except DatasetCorruptError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise DatasetCorruptError(f"{path} is not a readable .npz archive ({type(err).__name__}: {err}).") from None
