"""Fashion-MNIST by Zalando Research: 70,000 28x28 grey images of clothes, 10 classes.

A drop-in replacement for MNIST, harder to learn. ``load_data`` returns exactly
what ``keras.datasets.fashion_mnist.load_data`` returns. See
:mod:`learnet.datasets.sources` for where the files are looked for.
"""

from __future__ import annotations

import os

from .loader import load_image_dataset
from .sources import DatasetFile, DatasetSpec

__all__ = ["load_data", "SPEC", "CLASS_NAMES"]

#: What each label means.
CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")

#: Files, digests, mirrors and system folders (replace it to point elsewhere).
SPEC = DatasetSpec(
    name="fashion_mnist",
    title="Fashion-MNIST",
    folder="fashion-mnist",
    files=(
        DatasetFile(
            "train-images-idx3-ubyte.gz", "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7", 26421856
        ),
        DatasetFile(
            "train-labels-idx1-ubyte.gz", "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056", 29491
        ),
        DatasetFile(
            "t10k-images-idx3-ubyte.gz", "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa", 4422079
        ),
        DatasetFile(
            "t10k-labels-idx1-ubyte.gz", "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05", 5125
        ),
    ),
    mirrors=(
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ),
    # Debian's package dataset-fashion-mnist installs the four files here.
    system_dirs=("/usr/share/datasets/fashion-mnist",),
)


def load_data(path: str | os.PathLike | None = None):
    """Load the Fashion-MNIST dataset.

    Parameters
    ----------
    path : str or path-like, optional
        A folder holding the four IDX files (``train-images-idx3-ubyte.gz``,
        ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz``,
        ``t10k-labels-idx1-ubyte.gz``, gzipped or not). When given, only this
        folder is used. Otherwise the files are looked for in
        ``$LEARNET_DATASETS/fashion-mnist/``, in Debian's
        ``/usr/share/datasets/fashion-mnist/``, then in the cache
        ``~/.learnet/datasets/fashion-mnist/``, and what is missing is downloaded
        into the cache.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x_*``: ``uint8`` arrays of shape ``(N, 28, 28)``, pixel values 0..255.
        ``y_*``: ``uint8`` arrays of shape ``(N,)``, classes 0..9 (see
        :data:`CLASS_NAMES`).

    Raises
    ------
    DatasetNotFoundError
        If a file is missing and cannot be downloaded; the message says which
        files to put into which folder.
    DatasetCorruptError
        If a file is truncated or damaged; the message names it.

    Examples
    --------
    >>> from learnet.datasets import fashion_mnist
    >>> (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()  # doctest: +SKIP
    >>> x_train.shape, CLASS_NAMES[y_train[0]]  # doctest: +SKIP
    ((60000, 28, 28), 'Ankle boot')
    """
    return load_image_dataset(SPEC, path)
