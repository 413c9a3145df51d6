"""A fast reader for the IDX format of MNIST and Fashion-MNIST.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number
of dimensions), one big-endian 32-bit size per dimension, then the values in
row-major order, big-endian. The files are usually distributed gzipped; the
reader recognises gzip by its signature, not by the file name.
"""

from __future__ import annotations

import gzip
import os
import zlib

import numpy as np

from .errors import DatasetCorruptError

__all__ = ["read_idx", "parse_idx", "IDX_TYPES"]

#: IDX type code -> NumPy dtype of the stored (big-endian) values.
IDX_TYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_GZIP_SIGNATURE = b"\x1f\x8b"


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, gzipped or not, into a NumPy array.

    Parameters
    ----------
    path : str or path-like
        The file, e.g. ``train-images-idx3-ubyte.gz`` or its uncompressed
        ``train-images-idx3-ubyte``.

    Returns
    -------
    numpy.ndarray
        A writable array in native byte order with the shape stored in the
        file, e.g. ``uint8`` of shape ``(60000, 28, 28)`` for MNIST images.

    Raises
    ------
    DatasetCorruptError
        If the file is truncated, its gzip stream is damaged, or its header does
        not describe its contents. The message names the file.

    Examples
    --------
    >>> import gzip, os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "labels-idx1-ubyte.gz")
    >>> with gzip.open(path, "wb") as f:
    ...     _ = f.write(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]))
    >>> read_idx(path)
    array([7, 2, 1], dtype=uint8)
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == _GZIP_SIGNATURE:
        try:
            data = gzip.decompress(data)
        except (EOFError, OSError, zlib.error) as err:
            raise DatasetCorruptError(
                f"{path} is a damaged or truncated gzip file ({err}). Delete it and get a fresh copy."
            ) from None
    return parse_idx(data, name=path)


def parse_idx(data: bytes, name: str = "IDX data") -> np.ndarray:
    """Decode the bytes of an uncompressed IDX file.

    Parameters
    ----------
    data : bytes
        The whole file contents.
    name : str, optional
        How to call the data in error messages (usually the file path).

    Returns
    -------
    numpy.ndarray
        A writable array in native byte order.

    Raises
    ------
    DatasetCorruptError
        If the magic number is wrong, the type code unknown, or the number of
        value bytes differs from what the header announces.

    Examples
    --------
    >>> parse_idx(bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4]))
    array([[1, 2],
           [3, 4]], dtype=uint8)
    """
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DatasetCorruptError(
            f"{name} is not an IDX file: it does not start with the IDX magic "
            f"number (two zero bytes, a type code, a dimension count); "
            f"it starts with {data[:4]!r}."
        )
    type_code, ndim = data[2], data[3]
    if type_code not in IDX_TYPES:
        known = ", ".join(f"0x{code:02X}" for code in IDX_TYPES)
        raise DatasetCorruptError(f"{name} has unknown IDX type code 0x{type_code:02X} (known: {known}).")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise DatasetCorruptError(
            f"{name} is truncated: its header announces {ndim} dimensions "
            f"({header_size} header bytes) but the file has only {len(data)} bytes."
        )
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
    dtype = IDX_TYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(data) - header_size
    if found != expected:
        problem = "truncated" if found < expected else "longer than its header says"
        raise DatasetCorruptError(
            f"{name} is {problem}: shape {shape} of {dtype.name} needs {expected} "
            f"bytes of values, the file holds {found}."
        )
    values = np.frombuffer(data, dtype, count=expected // dtype.itemsize, offset=header_size)
    # astype copies: the result is writable (like Keras' arrays) and native-endian.
    return values.astype(dtype.newbyteorder("="), copy=True).reshape(shape)
