"""CIFAR-10: 50,000 training and 10,000 test colour images, 32x32, in 10 classes.

``load_data`` returns what ``keras.datasets.cifar10.load_data`` returns, read from the
binary archive ``cifar-10-binary.tar.gz`` (Keras reads the pickled one; this never
unpickles anything). Classes: airplane, automobile, bird, cat, deer, dog, frog, horse,
ship, truck.
"""

from __future__ import annotations

from .cifar import read_records
from .errors import DatasetCorruptError
from .single import read_single
from .sources import DatasetFile, DatasetSpec

__all__ = ["CLASS_NAMES", "SPEC", "load_data"]

SPEC = DatasetSpec(
    name="cifar10",
    title="CIFAR-10",
    folder="cifar10",
    files=(
        DatasetFile(
            "cifar-10-binary.tar.gz", "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd", 170052171
        ),
    ),
    mirrors=("https://www.cs.toronto.edu/~kriz/",),
    image_shape=(32, 32, 3),
)
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
_FOLDER = "cifar-10-batches-bin/"


def _read(path):
    train = read_records(path, [f"{_FOLDER}data_batch_{i}.bin" for i in range(1, 6)], 1)
    test = read_records(path, [f"{_FOLDER}test_batch.bin"], 1)
    for images, labels in (train, test):
        if labels.size and labels.max() >= 10:
            raise DatasetCorruptError(f"{path}: a label is {labels.max()}, CIFAR-10 has 10 classes")
    return train, test


def load_data(path=None):
    """Load CIFAR-10.

    Parameters
    ----------
    path : str or path-like, optional
        ``cifar-10-binary.tar.gz`` itself or the folder holding it; by default looked
        for in ``$LEARNET_DATASETS/cifar10/`` and the cache, then downloaded (170 MB).

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x``: uint8 ``(N, 32, 32, 3)``; ``y``: uint8 ``(N, 1)``, classes 0..9.

    Examples
    --------
    >>> from learnet.datasets import cifar10
    >>> (x_train, y_train), (x_test, y_test) = cifar10.load_data()  # doctest: +SKIP
    >>> x_train.shape, y_train.shape  # doctest: +SKIP
    ((50000, 32, 32, 3), (50000, 1))
    """
    (x_train, y_train), (x_test, y_test) = read_single(SPEC, path, _read)
    return (x_train, y_train.copy()), (x_test, y_test.copy())
