"""Small helpers around training: one-hot labels, normalizing rows, seeding.

The names and behaviour follow ``keras.utils``.

Examples
--------
>>> from learnet.utils import to_categorical
>>> to_categorical([0, 2, 1])
array([[1., 0., 0.],
       [0., 0., 1.],
       [0., 1., 0.]], dtype=float32)
"""
import random as _python_random

import numpy as np

from learnet import backend

__all__ = ["to_categorical", "normalize", "set_random_seed", "clear_session"]


def to_categorical(y, num_classes=None, dtype="float32"):
    """Turn integer class labels into one-hot rows (``keras.utils.to_categorical``).

    Parameters
    ----------
    y : array_like of int
        Class labels, ``0 .. num_classes - 1``. A trailing axis of size 1
        (labels shaped ``(n, 1)``) is dropped first, as in Keras.
    num_classes : int, optional
        Number of classes; ``max(y) + 1`` when not given.
    dtype : str, default "float32"

    Returns
    -------
    numpy.ndarray
        Shape ``y.shape + (num_classes,)``.

    Raises
    ------
    ValueError
        If a label is negative, not a whole number, or not below ``num_classes``.

    Examples
    --------
    >>> to_categorical([1, 0], num_classes=3)
    array([[0., 1., 0.],
           [1., 0., 0.]], dtype=float32)
    """
    labels = np.asarray(y)
    if labels.dtype.kind not in "iub":
        if labels.dtype.kind != "f":
            raise ValueError(
                f"to_categorical expects integer class labels, got an array of dtype {labels.dtype}"
            )
        if labels.size and (not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels))):
            raise ValueError(
                "to_categorical expects whole-number class labels, got values such as "
                f"{labels[(~np.isfinite(labels)) | (labels != np.round(labels))].ravel()[0]!r}"
            )
    labels = labels.astype(np.int64)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if labels.size and labels.min() < 0:
        raise ValueError(f"to_categorical expects labels >= 0, got {labels.min()}")
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    elif isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
    num_classes = int(num_classes)
    if labels.size and labels.max() >= num_classes:
        raise ValueError(
            f"to_categorical got label {labels.max()}, but num_classes={num_classes} "
            f"allows labels 0..{num_classes - 1}"
        )
    categorical = np.zeros(labels.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(categorical, labels[..., None], 1, axis=-1)
    return categorical


def normalize(x, axis=-1, order=2):
    """Scale ``x`` so that its vectors along ``axis`` have norm 1 (``keras.utils.normalize``).

    Vectors of norm 0 are left as they are.

    Parameters
    ----------
    x : array_like
    axis : int, default -1
    order : int, default 2
        The norm's order (2 for Euclidean length, 1 for the sum of absolute values).

    Examples
    --------
    >>> normalize([[3.0, 4.0], [0.0, 0.0]])
    array([[0.6, 0.8],
           [0. , 0. ]])
    """
    array = np.asarray(x)
    if array.dtype.kind not in "fiub":
        raise ValueError(f"normalize expects numbers, got an array of dtype {array.dtype}")
    if array.dtype.kind != "f":
        array = array.astype(backend.floatx())
    norm = np.atleast_1d(np.linalg.norm(array, order, axis))
    norm[norm == 0] = 1
    return array / np.expand_dims(norm, axis).astype(array.dtype, copy=False)


def set_random_seed(seed):
    """Seed every random generator a training run draws from, so it repeats exactly.

    Seeds learnet's own generator (weight initializers, dropout, shuffling),
    Python's ``random`` module and NumPy's legacy global generator
    (``np.random.rand`` and friends), as ``keras.utils.set_random_seed`` does.

    Parameters
    ----------
    seed : int
        A non-negative integer.

    Examples
    --------
    >>> import numpy as np
    >>> set_random_seed(1); a = np.random.rand()
    >>> set_random_seed(1); a == np.random.rand()
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"set_random_seed expects a non-negative integer, got {seed!r}")
    seed = int(seed)
    backend.set_seed(seed)
    _python_random.seed(seed)
    np.random.seed(seed % 2**32)


def clear_session():
    """Forget the automatic layer names used so far, as ``keras.backend.clear_session``.

    After it, the next ``Dense`` layer is called ``dense`` again. Models and layers
    that already exist keep working.
    """
    from learnet.layers import reset_names  # utils sits above layers; imported when used

    reset_names()
