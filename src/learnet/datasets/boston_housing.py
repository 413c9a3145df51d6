"""Boston housing prices: 506 districts, 13 features each, the median home price as target.

``load_data`` returns exactly what ``keras.datasets.boston_housing.load_data`` returns.
"""

from __future__ import annotations

import numpy as np

from .errors import DatasetCorruptError
from .npz import read_npz
from .sequences import KERAS_MIRROR, shuffled
from .single import read_single
from .sources import DatasetFile, DatasetSpec

__all__ = ["SPEC", "load_data"]

SPEC = DatasetSpec(
    name="boston_housing",
    title="Boston housing",
    folder="boston-housing",
    files=(DatasetFile("boston_housing.npz", "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"),),
    mirrors=(KERAS_MIRROR,),
)


def _read(path):
    arrays = read_npz(path, ["x", "y"])
    x, y = arrays["x"], arrays["y"]
    if x.dtype == object or y.dtype == object or x.ndim != 2 or y.ndim != 1 or len(x) != len(y):
        raise DatasetCorruptError(
            f"{path}: expected features x of shape (N, 13) and prices y of shape (N,), got {x.shape} and {y.shape}"
        )
    return x, y


def load_data(path=None, test_split=0.2, seed=113):
    """Load the Boston housing regression dataset.

    Parameters
    ----------
    path : str or path-like, optional
        ``boston_housing.npz`` itself or the folder holding it.
    test_split : float, default 0.2
    seed : int, default 113

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x``: float arrays ``(N, 13)``; ``y``: prices in thousands of dollars.

    Examples
    --------
    >>> from learnet.datasets import boston_housing
    >>> (x_train, y_train), (x_test, y_test) = boston_housing.load_data()  # doctest: +SKIP
    >>> x_train.shape, x_test.shape  # doctest: +SKIP
    ((404, 13), (102, 13))
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"boston_housing.load_data: test_split must be in [0, 1), got {test_split}")
    x, y = read_single(SPEC, path, _read)
    x, y = shuffled(seed, x, y)
    split = int(len(x) * (1 - test_split))
    return (np.array(x[:split]), np.array(y[:split])), (np.array(x[split:]), np.array(y[split:]))
