"""California housing prices: 20,640 districts of the 1990 census, 8 features each.

``load_data`` returns exactly what ``keras.datasets.california_housing.load_data``
returns: the features ``MedInc, HouseAge, AveRooms, AveBedrms, Population, AveOccup,
Latitude, Longitude`` and the median house value in dollars. ``version="small"`` keeps
the first 600 districts, Keras' stand-in for the Boston dataset.
"""

from __future__ import annotations

import numpy as np

from .errors import DatasetCorruptError
from .npz import read_npz
from .sequences import KERAS_MIRROR, shuffled
from .single import read_single
from .sources import DatasetFile, DatasetSpec

__all__ = ["SPEC", "FEATURES", "load_data"]

SPEC = DatasetSpec(
    name="california_housing",
    title="California housing",
    folder="california-housing",
    files=(DatasetFile("california_housing.npz", "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"),),
    mirrors=(KERAS_MIRROR,),
)

#: The columns of ``x``, in order.
FEATURES = ("MedInc", "HouseAge", "AveRooms", "AveBedrms", "Population", "AveOccup", "Latitude", "Longitude")


def _read(path):
    arrays = read_npz(path, ["x", "y"])
    x, y = arrays["x"], arrays["y"]
    if x.dtype.kind != "f" or y.dtype.kind != "f" or x.ndim != 2 or x.shape[1] != 8 or y.ndim != 1 or len(x) != len(y):
        raise DatasetCorruptError(
            f"{path}: expected float features x of shape (N, 8) and values y of shape (N,), "
            f"got {x.dtype} {x.shape} and {y.dtype} {y.shape}"
        )
    return x, y


def load_data(version="large", path=None, test_split=0.2, seed=113):
    """Load the California housing regression dataset.

    Parameters
    ----------
    version : {"large", "small"}, default "large"
        All 20,640 districts, or the first 600.
    path : str or path-like, optional
        ``california_housing.npz`` itself or the folder holding it.
    test_split : float, default 0.2
        The fraction kept for testing, in ``[0, 1)``.
    seed : int, default 113
        Shuffles the districts before the split, as Keras does.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x``: float arrays ``(N, 8)`` (columns :data:`FEATURES`); ``y``: median house
        values in dollars.

    Examples
    --------
    >>> from learnet.datasets import california_housing
    >>> (x_train, y_train), (x_test, y_test) = california_housing.load_data()  # doctest: +SKIP
    >>> x_train.shape, x_test.shape  # doctest: +SKIP
    ((16512, 8), (4128, 8))
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"california_housing.load_data: test_split must be in [0, 1), got {test_split}")
    if version not in ("large", "small"):
        raise ValueError(f"california_housing.load_data: version must be 'large' or 'small', got {version!r}")
    x, y = read_single(SPEC, path, _read)
    if version == "small":
        x, y = x[:600], y[:600]
    x, y = shuffled(seed, x, y)
    split = int(len(x) * (1 - test_split))
    return (np.array(x[:split]), np.array(y[:split])), (np.array(x[split:]), np.array(y[split:]))
