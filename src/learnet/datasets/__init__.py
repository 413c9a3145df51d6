"""Datasets, loaded exactly as ``keras.datasets`` loads them.

>>> from learnet.datasets import mnist
>>> (x_train, y_train), (x_test, y_test) = mnist.load_data()  # doctest: +SKIP

Files are looked for in the ``path`` argument, in ``$LEARNET_DATASETS/<name>/``,
in system folders (Debian's ``dataset-fashion-mnist``), and in the cache
``~/.learnet/datasets`` (``$LEARNET_HOME/datasets``); missing ones are downloaded
from public mirrors. ``describe()`` says where each dataset stands.
"""

from learnet.batching import Batcher, batches

from . import boston_housing, california_housing, cifar10, cifar100, fashion_mnist, imdb, mnist, reuters
from .catalog import DATASETS, describe, locate, locate_all
from .errors import DatasetCorruptError, DatasetError, DatasetNotFoundError
from .idx import read_idx
from .sources import cache_dir

__all__ = [
    "mnist",
    "fashion_mnist",
    "imdb",
    "reuters",
    "cifar10",
    "cifar100",
    "boston_housing",
    "california_housing",
    "DATASETS",
    "locate",
    "locate_all",
    "describe",
    "cache_dir",
    "read_idx",
    "DatasetError",
    "DatasetNotFoundError",
    "DatasetCorruptError",
    "Batcher",
    "batches",
]

# Datasets courses reach for that learnet does not have yet: a clear error (see learnet.not_yet).
from learnet.not_yet import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr(__name__)
