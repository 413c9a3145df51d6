"""CIFAR-10 and CIFAR-100 from their binary archives (no pickle is ever read).

The binary archives hold fixed-size records: the label byte(s), then 3,072 pixel
bytes (the 1,024 red, then green, then blue values of a 32x32 image, row by row).
The members are read straight from the ``.tar.gz`` (nothing is extracted to disk).
"""

from __future__ import annotations

import tarfile
import zlib

import numpy as np

from .errors import DatasetCorruptError

PIXELS = 3 * 32 * 32


def read_records(path, members, label_bytes):
    """Images ``(N, 32, 32, 3)`` uint8 (channels last, as Keras) and the label bytes ``(N, label_bytes)``."""
    record = label_bytes + PIXELS
    chunks = []
    try:
        with tarfile.open(path, "r:*") as archive:  # gzipped, as served, or unpacked to .tar
            for member in members:
                try:
                    info = archive.getmember(member)
                except KeyError:
                    raise DatasetCorruptError(f"{path} lacks {member}; is it the binary CIFAR archive?") from None
                handle = archive.extractfile(info)
                if handle is None:
                    raise DatasetCorruptError(f"{path}: {member} is not a regular file")
                data = handle.read()
                if len(data) == 0 or len(data) % record:
                    raise DatasetCorruptError(
                        f"{path}: {member} holds {len(data)} bytes, not a whole number of {record}-byte records"
                    )
                chunks.append(np.frombuffer(data, dtype=np.uint8).reshape(-1, record))
    except DatasetCorruptError:
        raise
    except (OSError, EOFError, tarfile.TarError, zlib.error) as err:
        raise DatasetCorruptError(f"{path} is not a readable .tar.gz archive ({type(err).__name__}: {err}).") from None
    records = np.concatenate(chunks)
    images = records[:, label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), records[:, :label_bytes]
