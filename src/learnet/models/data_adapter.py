"""Checking and converting the data given to ``fit``, ``evaluate`` and ``predict``.

Everything here runs once per call, on the whole arrays, before the first step: so a
mistake in the data (a wrong shape, a NaN, a label out of range) is reported with a
clear message before any weight or optimizer state changes, and the training loop
itself runs without per-step checks.
"""
import numbers
import re

import numpy as np

from learnet import backend
from learnet.tensor import Tensor
from learnet.tree import map_structure, named_leaves

# Rows checked at a time for NaN/inf, so a big dataset needs no big temporary array.
_CHUNK_ELEMENTS = 1 << 22


# --- nested structures (a model may take a list or dict of inputs) --------------------------

def map_with_names(function, structure, name):
    """Like ``map_structure``, also passing each leaf's name (``x[0]``, ``y['out']``)."""
    if isinstance(structure, (list, tuple)) and not _is_leaf_sequence(structure):
        items = [map_with_names(function, item, f"{name}[{i}]") for i, item in enumerate(structure)]
        return items if isinstance(structure, list) else tuple(items)
    if isinstance(structure, dict):
        return {key: map_with_names(function, value, f"{name}[{key!r}]") for key, value in structure.items()}
    return function(structure, name)


def _is_leaf_sequence(value):
    """A list of plain numbers (``[[0, 1], [1, 0]]``) is one array, not several inputs."""
    return not any(_holds_arrays(item) for item in value)


def _holds_arrays(value):
    if value is None or isinstance(value, (Tensor, np.ndarray, dict)) or hasattr(value, "__array__"):
        return not isinstance(value, (numbers.Number, str, bytes))
    if isinstance(value, (list, tuple)):
        return any(_holds_arrays(item) for item in value)
    return False


def unpack_x_y_sample_weight(data):
    """Split one batch into ``(x, y, sample_weight)``, as ``keras.utils.unpack_x_y_sample_weight``.

    A tuple of one, two or three items is ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``;
    anything else is ``x`` alone.
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(
        "data must be x, (x,), (x, y) or (x, y, sample_weight); "
        f"got a tuple of {len(data)} items"
    )


def is_array_data(x):
    """True for arrays (or lists/dicts of them); False for datasets and generators of batches."""
    if x is None or isinstance(x, (np.ndarray, Tensor, numbers.Number, str, bytes)):
        return True
    if isinstance(x, (list, tuple, dict)):
        return True
    if hasattr(x, "__array__") or hasattr(x, "shape"):
        return True
    return not (hasattr(x, "__iter__") or hasattr(x, "__next__"))


# --- one array -------------------------------------------------------------------------------

def to_numpy(value, name, who):
    """``value`` as a NumPy array of numbers, or a ``ValueError`` saying what it is instead."""
    if isinstance(value, Tensor):
        return value.numpy()
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"{who}: {name} cannot be turned into an array of numbers ({error}); "
            "are its rows of different lengths?"
        ) from None
    if array.dtype.kind not in "biuf":
        what = "text" if array.dtype.kind in "US" else f"values of dtype {array.dtype}"
        raise ValueError(
            f"{who}: {name} must hold numbers, but it holds {what} "
            f"(e.g. {_first_item(array)!r}); convert it to numbers first"
        )
    return array


def _first_item(array):
    """The first value, as plain Python (``'a'``, not NumPy's ``np.str_('a')``)."""
    try:
        return _plain(array.flat[0]) if array.size else None
    except (AttributeError, IndexError):  # pragma: no cover - defensive
        return None


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def check_finite(array, name, who):
    """Raise ``ValueError`` if a float array holds NaN or infinity (checked in chunks)."""
    if array.dtype.kind != "f" or array.size == 0:
        return
    rows = max(1, _CHUNK_ELEMENTS // max(1, array.size // max(1, len(array))))
    for start in range(0, len(array), rows):
        chunk = array[start:start + rows]
        if not np.isfinite(chunk).all():
            bad = ~np.isfinite(chunk)
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            where = (where[0] + start,) + where[1:]
            nan = int(np.isnan(array).sum())
            inf = int(np.isinf(array).sum())
            parts = [f"{nan} NaN" if nan else "", f"{inf} infinite" if inf else ""]
            raise ValueError(
                f"{who}: {name} contains {' and '.join(p for p in parts if p)} value(s) "
                f"(the first at index {where}); remove or replace them before training"
            )


def to_floatx(array, name, who):
    """``array`` in the default float type; a ``ValueError`` if a value does not fit in it.

    A float64 value such as ``1e300`` is finite, but becomes infinity in float32: the
    next step would then turn every weight into NaN.
    """
    floatx = np.dtype(backend.floatx())
    if array.dtype == floatx:
        return array
    with np.errstate(over="ignore"):
        converted = array.astype(floatx)
    if array.dtype.kind == "f" and array.dtype.itemsize > floatx.itemsize and converted.size:
        # min and max need no temporary array; NaN was refused before, so only overflow is left.
        if not (np.isfinite(converted.min()) and np.isfinite(converted.max())):
            where = tuple(int(i) for i in np.argwhere(~np.isfinite(converted))[0])
            raise ValueError(
                f"{who}: {name} holds values too large for {floatx} (e.g. {float(array[where]):g} at "
                f"index {where}; the largest {floatx} is about {float(np.finfo(floatx).max):.1e}); rescale it"
            )
    return converted


def standardize_inputs(x, who, input_dtypes=None):
    """Check ``x`` and convert its floats and integers to the default float type, once.

    Integer inputs (``uint8`` images) become ``float32`` without scaling: the user
    normalizes. An input declared with an integer dtype (token ids) stays integer.
    """
    if x is None:
        raise ValueError(f"{who}: no input data was given (x is None)")
    dtypes = iter(input_dtypes or [])

    def convert(value, name):
        if value is None:
            raise ValueError(f"{who}: {name} is None; every input needs an array")
        array = to_numpy(value, name, who)
        if array.ndim == 0:
            raise ValueError(f"{who}: {name} is a single number; it needs a first (sample) axis")
        wanted = next(dtypes, None)
        if wanted is not None and np.dtype(wanted).kind in "iu" and array.dtype.kind in "iub":
            return array
        check_finite(array, name, who)
        return to_floatx(array, name, who)

    return map_with_names(convert, x, "x")


def standardize_targets(y, who, name="y"):
    """``y`` as NumPy arrays (kept in their dtype here; the loss check converts them)."""
    if y is None:
        return None

    def convert(value, leaf_name):
        if value is None:
            return None
        array = to_numpy(value, leaf_name, who)
        if array.ndim == 0:
            raise ValueError(f"{who}: {leaf_name} is a single number; it needs a first (sample) axis")
        check_finite(array, leaf_name, who)
        return array

    return map_with_names(convert, y, name)


def standardize_sample_weight(sample_weight, who):
    if sample_weight is None:
        return None
    array = to_numpy(sample_weight, "sample_weight", who)
    if array.ndim == 0:
        raise ValueError(f"{who}: sample_weight needs one weight per sample, got a single number")
    check_finite(array, "sample_weight", who)
    if array.size and array.min() < 0:
        raise ValueError(f"{who}: sample_weight must not be negative, got {array.min()}")
    return to_floatx(array, "sample_weight", who)


def count_samples(named_structures, who):
    """The common number of samples of all arrays, or a ``ValueError`` naming the two that differ."""
    first = None
    for structure, name in named_structures:
        if structure is None:
            continue
        for leaf_name, array in named_leaves(structure, name):
            if array is None:
                continue
            count = int(array.shape[0])
            if first is None:
                first = (leaf_name, count, tuple(array.shape))
            elif count != first[1]:
                raise ValueError(
                    f"{who}: {first[0]} and {leaf_name} must have the same number of samples "
                    f"(first dimension), but {first[0]} has {first[1]} (shape {first[2]}) and "
                    f"{leaf_name} has {count} (shape {tuple(array.shape)})"
                )
    if first is None:
        raise ValueError(f"{who}: no data was given")
    if first[1] == 0:
        raise ValueError(f"{who}: {first[0]} is empty (0 samples, shape {first[2]}); there is nothing to do")
    return first[1]


def take(structure, index):
    """Rows ``index`` (a slice or index array) of every array in a structure."""
    return map_structure(lambda a: None if a is None else a[index], structure)


def check_batch_size(batch_size, who, default=32):
    if batch_size is None:
        return default
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
        raise ValueError(f"{who}: batch_size must be a positive integer, got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"{who}: batch_size must be a positive integer, got {batch_size}")
    return int(batch_size)


# --- targets against the model's outputs ---------------------------------------------------------

_SAME_SHAPE_LOSSES = (
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "binary_crossentropy", "binary_focal_crossentropy",
    "categorical_crossentropy", "categorical_focal_crossentropy", "hinge", "squared_hinge",
    "categorical_hinge", "huber", "log_cosh", "kl_divergence", "kullback_leibler_divergence",
    "poisson", "cosine_similarity",
)
_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error",
            "mape": "mean_absolute_percentage_error", "msle": "mean_squared_logarithmic_error",
            "kld": "kl_divergence", "logcosh": "log_cosh", "huber_loss": "huber"}


def loss_name(loss):
    """The snake-case name of a loss object, class or function (``"sparse_categorical_crossentropy"``)."""
    if loss is None:
        return None
    if isinstance(loss, str):
        name = loss
    else:
        fn = getattr(loss, "fn", None)
        if callable(fn) and hasattr(fn, "__name__"):
            name = fn.__name__
        elif isinstance(loss, type) or hasattr(loss, "__name__"):
            name = getattr(loss, "__name__", "")
        else:
            name = type(loss).__name__
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
    name = name.replace("cross_entropy", "crossentropy")
    return _ALIASES.get(name, name)


def check_targets(y, output_shape, loss, name, who):
    """Check one output's targets against its shape and loss; return them ready for the loss.

    Raises a ``ValueError`` that says what is wrong and how to fix it for: labels outside
    the classes of a sparse cross-entropy, one-hot labels given to a sparse loss and
    class indices given to a one-hot loss, and shapes no loss can compare. Where Keras
    converts silently and safely (targets ``(n,)`` for an output ``(n, 1)``, or the
    reverse), so does this.
    """
    if y is None:
        return None
    kind = loss_name(loss)
    out = tuple(output_shape)
    classes = out[-1] if len(out) >= 2 else None
    if kind == "sparse_categorical_crossentropy":
        if y.ndim == len(out) and classes is not None and y.shape[-1] == classes and classes > 1:
            raise ValueError(
                f"{who}: {name} looks one-hot encoded (shape {y.shape}), but the loss "
                f"sparse_categorical_crossentropy expects class indices of shape {y.shape[:-1]}: "
                "use loss='categorical_crossentropy', or pass y.argmax(axis=-1)"
            )
        if y.dtype.kind == "f":
            if np.any(y != np.round(y)):
                raise ValueError(
                    f"{who}: {name} must hold whole-number class indices for "
                    f"sparse_categorical_crossentropy, got values such as "
                    f"{_plain(y[y != np.round(y)].ravel()[0])!r}"
                )
        if classes is not None and y.size:
            # Checked before the cast to int32, which would wrap a label like 1e12 around.
            low, high = y.min(), y.max()
            if low < 0 or high >= classes:
                bad = low if low < 0 else high
                bad = int(bad) if abs(bad) < 2 ** 53 else f"{bad:g}"
                raise ValueError(
                    f"{who}: {name} holds the label {bad}, but the model has {classes} output(s), "
                    f"so sparse_categorical_crossentropy accepts labels 0..{classes - 1} only"
                )
        if y.dtype.kind in "fb":
            y = y.astype(np.int32)
        return y
    y = to_floatx(y, name, who)
    if kind == "categorical_crossentropy" and classes is not None and classes > 1:
        indices = (y.ndim == len(out) - 1) or (y.ndim == len(out) and y.shape[-1] == 1)
        if indices and y.shape[1:len(out) - 1] == tuple(s for s in out[1:-1]):
            raise ValueError(
                f"{who}: {name} holds class indices (shape {y.shape}), but categorical_crossentropy "
                f"expects one-hot rows of length {classes}: use loss='sparse_categorical_crossentropy', "
                f"or learnet.utils.to_categorical(y, {classes})"
            )
    # Targets of shape (n,) for outputs (n, 1): add the axis, as Keras does.
    if y.ndim == len(out) - 1 and out[-1] == 1 and _matches(y.shape[1:], out[1:-1]):
        y = y.reshape(y.shape + (1,))
    elif y.ndim == len(out) + 1 and y.shape[-1] == 1 and _matches(y.shape[1:-1], out[1:]):
        y = y.reshape(y.shape[:-1])
    if kind in _SAME_SHAPE_LOSSES and not _matches(y.shape[1:], out[1:]):
        raise ValueError(
            f"{who}: {name} has shape {y.shape}, but the model's output has shape "
            f"{(None,) + out[1:]}; the loss {kind} compares them element by element"
        )
    return y


def _matches(shape, reference):
    if len(shape) != len(reference):
        return False
    return all(r is None or s == r for s, r in zip(shape, reference))


def class_weight_to_sample_weight(class_weight, y, who):
    """Per-sample weights from ``{class: weight}``, reading each sample's class from ``y``."""
    if not isinstance(class_weight, dict):
        raise ValueError(f"{who}: class_weight must be a dict {{class index: weight}}, got {type(class_weight).__name__}")
    if isinstance(y, (list, tuple, dict)):
        raise ValueError(f"{who}: class_weight is only supported for models with one output")
    labels = y.argmax(axis=-1) if (y.ndim > 1 and y.shape[-1] > 1) else y.reshape(len(y), -1)[:, 0]
    labels = np.round(labels).astype(np.int64)
    weights = np.ones(len(labels), dtype=backend.floatx())
    for key, value in class_weight.items():
        weights[labels == int(key)] = float(value)
    return weights
