"""MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28 grey.

``load_data`` returns exactly what ``keras.datasets.mnist.load_data`` returns.
See :mod:`learnet.datasets.sources` for where the files are looked for.
"""

from __future__ import annotations

import os

from .loader import load_image_dataset
from .sources import DatasetFile, DatasetSpec

__all__ = ["load_data", "SPEC"]

#: Files, digests and mirrors (replace it to point at other mirrors).
SPEC = DatasetSpec(
    name="mnist",
    title="MNIST",
    folder="mnist",
    files=(
        DatasetFile(
            "train-images-idx3-ubyte.gz", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9912422
        ),
        DatasetFile(
            "train-labels-idx1-ubyte.gz", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28881
        ),
        DatasetFile(
            "t10k-images-idx3-ubyte.gz", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 1648877
        ),
        DatasetFile(
            "t10k-labels-idx1-ubyte.gz", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 4542
        ),
    ),
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    archive=DatasetFile("mnist.npz", "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1", 11490434),
    archive_mirrors=("https://storage.googleapis.com/tensorflow/tf-keras-datasets/",),
)


def load_data(path: str | os.PathLike | None = None):
    """Load the MNIST dataset of handwritten digits.

    Parameters
    ----------
    path : str or path-like, optional
        A folder holding the four original IDX files
        (``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
        ``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz``, gzipped or
        not), or Keras' ``mnist.npz``. When given, only this place is used.
        Otherwise the files are looked for in ``$LEARNET_DATASETS/mnist/``, then
        in the cache ``~/.learnet/datasets/mnist/``, and what is missing is
        downloaded into the cache.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x_*``: ``uint8`` arrays of shape ``(N, 28, 28)``, pixel values 0..255.
        ``y_*``: ``uint8`` arrays of shape ``(N,)``, digits 0..9.

    Raises
    ------
    DatasetNotFoundError
        If a file is missing and cannot be downloaded; the message says which
        files to put into which folder.
    DatasetCorruptError
        If a file is truncated or damaged; the message names it.

    Examples
    --------
    >>> from learnet.datasets import mnist
    >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()  # doctest: +SKIP
    >>> x_train.shape, y_train[:5]  # doctest: +SKIP
    ((60000, 28, 28), array([5, 0, 4, 1, 9], dtype=uint8))
    """
    return load_image_dataset(SPEC, path)
