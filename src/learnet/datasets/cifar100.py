"""CIFAR-100: 50,000 training and 10,000 test colour images, 32x32, in 100 classes (20 superclasses).

``load_data`` returns what ``keras.datasets.cifar100.load_data`` returns, read from the
binary archive ``cifar-100-binary.tar.gz`` (never from the pickled one).
"""

from __future__ import annotations

import numpy as np

from .cifar import read_records
from .single import read_single
from .sources import DatasetFile, DatasetSpec

__all__ = ["SPEC", "load_data"]

SPEC = DatasetSpec(
    name="cifar100",
    title="CIFAR-100",
    folder="cifar100",
    files=(DatasetFile("cifar-100-binary.tar.gz", "58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec"),),
    mirrors=("https://www.cs.toronto.edu/~kriz/",),
    image_shape=(32, 32, 3),
    num_classes=100,
)
_FOLDER = "cifar-100-binary/"


def _read(path):
    return (read_records(path, [f"{_FOLDER}train.bin"], 2), read_records(path, [f"{_FOLDER}test.bin"], 2))


def load_data(label_mode="fine", path=None):
    """Load CIFAR-100.

    Parameters
    ----------
    label_mode : ``"fine"`` (100 classes, default) or ``"coarse"`` (20 superclasses)
    path : str or path-like, optional
        ``cifar-100-binary.tar.gz`` itself or the folder holding it.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x``: uint8 ``(N, 32, 32, 3)``; ``y``: int64 ``(N, 1)`` (as Keras returns them).

    Examples
    --------
    >>> from learnet.datasets import cifar100
    >>> (x_train, y_train), _ = cifar100.load_data(label_mode="coarse")  # doctest: +SKIP
    >>> int(y_train.max())  # doctest: +SKIP
    19
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'cifar100.load_data: label_mode must be "fine" or "coarse", got {label_mode!r}')
    column = 0 if label_mode == "coarse" else 1
    (x_train, y_train), (x_test, y_test) = read_single(SPEC, path, _read)
    return (
        (x_train, y_train[:, column : column + 1].astype(np.int64)),
        (x_test, y_test[:, column : column + 1].astype(np.int64)),
    )
