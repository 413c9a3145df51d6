"""The one way data reaches ``fit``, ``evaluate`` and ``predict``: ``EpochIterator``.

Arrays are checked and converted here once per call, on the whole arrays, before the
first step: so a mistake in the data (a wrong shape, a NaN, a label out of range) is
reported with a clear message before any weight or optimizer state changes, and the
training loop itself runs without per-step checks. Datasets and generators of batches
are read as they come. ``fit_epoch_iterators`` adds ``fit``'s validation data.

pandas objects arrive as Keras 3's data adapters make them: a ``Series`` (as ``x``, as a
value of a dict ``x`` such as ``dict(df)``, or as ``y``) becomes a column ``(n, 1)``, a
``DataFrame`` its array ``(n, columns)``. pandas is recognised by its class names, never
imported.

An input may also be a ``RaggedTensor`` (``tf.ragged.constant``, ``TextVectorization(ragged=True)``):
its rows are the samples, so batches, shuffling and ``validation_split`` take whole rows
(``RaggedTensor`` indexing cuts ``row_splits``), and each batch reaches the model as a
``RaggedTensor``, which the first layer pads, with a mask.
"""

import math
import numbers
import re
import warnings

import numpy as np

from learnet import backend
from learnet.batching import Batcher
from learnet.models.compile_utils import targets_per_output
from learnet.py_dataset import PyDataset
from learnet.ragged import RaggedTensor
from learnet.sparse import SparseTensor, _SparseRows
from learnet.tape import no_recording
from learnet.tensor import Tensor
from learnet.tree import flatten, flatten_shapes, map_structure, named_leaves
from learnet.warn import warn

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
    if (
        value is None
        or isinstance(value, (Tensor, np.ndarray, dict, RaggedTensor, SparseTensor))
        or hasattr(value, "__array__")
    ):
        return not isinstance(value, (numbers.Number, str, bytes))
    if isinstance(value, (list, tuple)):
        return any(_holds_arrays(item) for item in value)
    return False


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """One batch as ``train_step`` receives it, as ``keras.utils.pack_x_y_sample_weight``.

    Without targets the batch is ``x`` itself (``(x,)`` when ``x`` is a list or tuple of
    inputs), so a ``train_step`` of a model trained on inputs alone (a GAN's real images)
    gets them directly, as in Keras 3.
    """
    if y is None and sample_weight is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    return (x, y) if sample_weight is None else (x, y, sample_weight)


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
    raise ValueError(f"data must be x, (x,), (x, y) or (x, y, sample_weight); got a tuple of {len(data)} items")


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


def pandas_kind(value):
    """``"Series"``, ``"DataFrame"`` or ``None``: what pandas object ``value`` is.

    Found by the class's module, so learnet never imports pandas (nor needs it installed).
    """
    for cls in type(value).__mro__:
        if cls.__name__ in ("Series", "DataFrame") and cls.__module__.split(".")[0] == "pandas":
            return cls.__name__
    return None


def from_pandas(value):
    """A pandas ``Series`` as a column ``(n, 1)``, a ``DataFrame`` as its array ``(n, columns)``.

    This is what Keras 3's data adapters make of them, so ``fit(df[["a", "b"]], df["y"])`` and
    ``predict(dict(df))`` (a dict of columns, each of shape ``(n, 1)``) work as in Keras. Any
    other value is returned as it is.

    Examples
    --------
    >>> import pandas as pd                      # doctest: +SKIP
    >>> from_pandas(pd.Series([1.0, 2.0])).shape  # doctest: +SKIP
    (2, 1)
    """
    kind = pandas_kind(value)
    if kind is None:
        return value
    array = np.asarray(value.to_numpy())
    return array.reshape(-1, 1) if kind == "Series" else array


def to_numpy(value, name, who, text=False, hint="convert it to numbers first"):
    """``value`` as a NumPy array of numbers, or a ``ValueError`` saying what it is instead.

    With ``text=True`` an array of text is accepted too (NumPy ``str``, ``bytes``, or
    objects that are all ``str``/``bytes``, as a string tensor holds them): the inputs
    of a ``StringLookup``. ``hint`` ends the message for an array of text.
    """
    if isinstance(value, Tensor):
        array = value.numpy()
    elif isinstance(value, RaggedTensor):
        raise ValueError(
            f"{who}: {name} is a RaggedTensor (rows of different lengths), which only an input can be; "
            f"give it as a dense array, padded to one length (e.g. {name}.to_tensor())"
        )
    else:
        try:
            array = np.asarray(value)
        except (ValueError, TypeError) as error:
            raise ValueError(
                f"{who}: {name} cannot be turned into an array of numbers ({error}); are its rows of different lengths?"
            ) from None
    if array.dtype.kind in "biuf":
        return array
    if is_text(array, name, who):
        if text:
            return array
        raise ValueError(f"{who}: {name} must hold numbers, but it holds text (e.g. {_first_item(array)!r}); {hint}")
    raise ValueError(
        f"{who}: {name} must hold numbers, but it holds values of dtype {array.dtype} "
        f"(e.g. {_first_item(array)!r}); convert it to numbers first"
    )


def is_text(array, name="x", who="fit"):
    """True for an array of text: NumPy ``str`` or ``bytes``, or objects that are all ``str``/``bytes``.

    An object array that mixes text with other values (``None`` for a missing value, a
    number) raises a ``ValueError`` that shows the first of them.
    """
    if array.dtype.kind in "US":
        return True
    if array.dtype != object or array.size == 0:
        return False
    flat = array.reshape(-1)
    is_str = np.fromiter((isinstance(item, (str, bytes)) for item in flat), dtype=bool, count=flat.size)
    if is_str.all():
        return True
    if not is_str.any():
        return False
    index = int(np.argmin(is_str))
    where = tuple(int(i) for i in np.unravel_index(index, array.shape))
    raise ValueError(
        f"{who}: {name} holds text, but also {_plain(flat[index])!r} (at index {where}); "
        "every value of a text column must be a string: fill in missing values first"
    )


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
        chunk = array[start : start + rows]
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


def standardize_inputs(x, who, input_dtypes=None, keep_integers=False):
    """Check ``x`` and convert its floats (and, for a model's float input, its integers) once.

    Floats become the default float type. An input declared with an integer dtype (token
    ids) keeps its integers; one declared with a float dtype gets floats (``uint8`` images
    become ``float32`` without scaling: the user normalizes), as a Keras model converts
    what it is given to its ``Input``'s dtype. With ``keep_integers`` (a model that declares
    no inputs, such as a subclassed ``Model``) integers and booleans are kept as they are,
    as Keras hands them to ``train_step``: its layers cast what they compute on.
    Text (NumPy ``str``/``bytes`` arrays, or objects that are all strings) stays as it
    is, for an input declared ``dtype="string"`` or one whose dtype the model does not
    declare; text given to an input declared with a number dtype is refused.

    ``input_dtypes`` is a list of the declared dtypes in the order of the inputs, or,
    for ``x`` a dict, a dict of them by input name.

    Examples
    --------
    >>> ids = np.array([[1, 2]], dtype="int32")
    >>> standardize_inputs(ids, "fit").dtype, standardize_inputs(ids, "fit", keep_integers=True).dtype
    (dtype('float32'), dtype('int32'))
    """
    if x is None:
        raise ValueError(f"{who}: no input data was given (x is None)")

    def converter(next_dtype):
        def convert(value, name):
            if value is None:
                raise ValueError(f"{who}: {name} is None; every input needs an array")
            value = from_pandas(value)
            wanted = next_dtype()
            wanted = None if wanted is None else np.dtype(wanted)
            if isinstance(value, RaggedTensor):
                return standardize_ragged(value, name, who, wanted, keep_integers)
            if isinstance(value, SparseTensor):
                return standardize_sparse(value, name, who, wanted, keep_integers)
            takes_text = wanted is None or wanted.kind in "OUS"
            array = to_numpy(
                value,
                name,
                who,
                text=takes_text,
                hint="convert it to numbers first, or declare the input with dtype='string' "
                "(keras.Input(shape=..., dtype='string')) and encode it with a StringLookup layer",
            )
            if array.ndim == 0:
                raise ValueError(f"{who}: {name} is a single number; it needs a first (sample) axis")
            if array.dtype.kind in "OUS":  # text, checked by to_numpy
                return array
            if _keeps_integers(wanted, keep_integers) and array.dtype.kind in "iub":
                return array
            check_finite(array, name, who)
            return to_floatx(array, name, who)

        return convert

    if isinstance(x, dict) and isinstance(input_dtypes, dict):
        return {
            key: map_with_names(converter(lambda key=key: input_dtypes.get(key)), value, f"x[{key!r}]")
            for key, value in x.items()
        }
    dtypes = iter(input_dtypes.values() if isinstance(input_dtypes, dict) else input_dtypes or [])
    return map_with_names(converter(lambda: next(dtypes, None)), x, "x")


def _keeps_integers(wanted, keep_integers):
    """Whether integer data stays integer for an input declared ``wanted`` (``None``: undeclared)."""
    return (wanted.kind in "iu") if wanted is not None else keep_integers


def keeps_integer_inputs(model):
    """Whether ``model`` is given its integer inputs as they are: a model that declares no
    ``Input`` (a subclassed ``Model``), as Keras hands data to ``train_step`` unconverted.

    A ``Sequential`` model converts them to its own float dtype even before it is built,
    as Keras' ``Sequential`` does at its door (its layers would cast them anyway).
    """
    from learnet.models.sequential import Sequential  # model.py imports this module

    return model._input_dtypes() is None and not isinstance(model, Sequential)


def standardize_ragged(value, name, who, wanted=None, keep_integers=False):
    """A ragged input checked and converted as an array is: its values, not its rows.

    The ``flat_values`` must be numbers and finite; they become the default float type,
    except integers (token ids) for an input declared with an integer dtype. The
    ``row_splits`` are kept, so every row keeps its length.

    Examples
    --------
    >>> import learnet as tf
    >>> rt = standardize_ragged(tf.ragged.constant([[1, 2], [3]]), "x", "fit")
    >>> rt.dtype, rt.to_list()
    (dtype('float32'), [[1.0, 2.0], [3.0]])
    """
    values = to_numpy(value.flat_values, f"{name}.flat_values", who)
    if _keeps_integers(wanted, keep_integers) and values.dtype.kind in "iub":
        return value
    check_finite(values, f"{name}.flat_values", who)
    converted = to_floatx(values, f"{name}.flat_values", who)
    if converted is values:
        return value
    return RaggedTensor(Tensor._wrap(backend.xp.asarray(converted)), value.row_splits)


_TEXT_TARGETS_HINT = (
    "targets must be numbers: turn text labels into class indices first "
    "(e.g. np.unique(labels, return_inverse=True)[1], or a StringLookup(num_oov_indices=0) adapted on them)"
)


def standardize_sparse(value, name, who, wanted=None, keep_integers=False):
    """A sparse input (``keras.Input(sparse=True)``) checked and converted as an array is: its values.

    The values must be numbers and finite; they become the default float type, except
    integers for an input declared with an integer dtype. The result is the SparseTensor
    read row by row, so batches (and ``validation_split``) cut it as they cut an array:
    each batch reaches the model as a ``SparseTensor``, which its first layer makes dense.

    Examples
    --------
    >>> import learnet as tf
    >>> rows = standardize_sparse(tf.SparseTensor([[0, 1], [2, 0]], [1, 2], [3, 2]), "x", "fit")
    >>> rows.shape, rows[0:2].dense_shape.numpy().tolist(), rows[0:2].values.dtype
    ((3, 2), [2, 2], dtype('float32'))
    """
    rows = _SparseRows(value)
    values = to_numpy(rows._values, f"{name} (its values)", who)
    if not (_keeps_integers(wanted, keep_integers) and values.dtype.kind in "iub"):
        check_finite(values, name, who)
        values = to_floatx(values, name, who)
    return rows.with_values(values)


def standardize_targets(y, who, name="y"):
    """``y`` as NumPy arrays (kept in their dtype here; the loss check converts them)."""
    if y is None:
        return None

    def convert(value, leaf_name):
        if value is None:
            return None
        array = to_numpy(from_pandas(value), leaf_name, who, hint=_TEXT_TARGETS_HINT)
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
    """Rows ``index`` (a slice or index array) of every array in a structure (sparse ones stay cuttable)."""

    def rows(a):
        if isinstance(a, _SparseRows):
            return _SparseRows(a[index])
        return None if a is None else a[index]

    return map_structure(rows, structure)


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
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "huber",
    "log_cosh",
    "kl_divergence",
    "kullback_leibler_divergence",
    "poisson",
    "cosine_similarity",
)
_ALIASES = {
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error",
    "kld": "kl_divergence",
    "logcosh": "log_cosh",
    "huber_loss": "huber",
}


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
                bad = int(bad) if abs(bad) < 2**53 else f"{bad:g}"
                raise ValueError(
                    f"{who}: {name} holds the label {bad}, but the model has {classes} output(s), "
                    f"so sparse_categorical_crossentropy accepts labels 0..{classes - 1} only"
                )
        if y.dtype.kind in "fb":
            y = y.astype(np.int32)
        return y
    if y.dtype.kind == "f":
        # Integer and boolean targets stay as they are, as in Keras: the loss casts them.
        y = to_floatx(y, name, who)
    if kind == "categorical_crossentropy" and classes is not None and classes > 1:
        indices = (y.ndim == len(out) - 1) or (y.ndim == len(out) and y.shape[-1] == 1)
        if indices and y.shape[1 : len(out) - 1] == tuple(s for s in out[1:-1]):
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
        problem = (
            f"{who}: {name} has shape {y.shape}, but the model's output has shape "
            f"{(None,) + out[1:]}; the loss {kind} compares them element by element"
        )
        lined_up = _same_rank_as_keras(y, out)
        if kind not in _BROADCASTING_LOSSES or not _broadcasts(lined_up.shape, out):
            raise ValueError(problem)
        # Keras trains on shapes that broadcast (each prediction compared with every target
        # beside it), but it is seldom what was meant: say so, and go on as Keras does.
        warn(
            f"{problem}, so they are broadcast against each other: is {name} the right target "
            "for this output (or should the last layer have one unit per target column)?"
        )
        return lined_up
    return y


def _same_rank_as_keras(y, out):
    """``y`` lined up with outputs of shape ``out`` as Keras's losses line up ranks that differ
    by one: a last axis of size 1 is dropped from the longer (targets ``(n, 10, 1)`` against
    outputs ``(n, 1)`` compare as ``(n, 10)``). Dropping it from the outputs is the same, for
    the comparison, as adding it to the targets."""
    if y.ndim == len(out) + 1 and y.shape[-1] == 1 and len(out) > 1:
        return y.reshape(y.shape[:-1])
    if len(out) == y.ndim + 1 and out[-1] == 1:
        return y.reshape(y.shape + (1,))
    return y


# Losses that Keras computes on targets whose shape broadcasts against the output's; the
# cross-entropies (and the binary focal loss built on them) refuse any other shape.
_BROADCASTING_LOSSES = frozenset(_SAME_SHAPE_LOSSES) - {
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
}


def _broadcasts(shape, output_shape):
    """Whether targets of ``shape`` and outputs of ``output_shape`` (batch axis first, the same
    rank, as Keras lines them up) broadcast against each other."""
    if len(shape) != len(output_shape):
        return False
    known = tuple(shape[0] if size is None else size for size in output_shape)
    try:
        np.broadcast_shapes(tuple(shape), known)
    except ValueError:
        return False
    return True


def _matches(shape, reference):
    if len(shape) != len(reference):
        return False
    return all(r is None or s == r for s, r in zip(shape, reference))


def class_weight_to_sample_weight(class_weight, y, who):
    """Per-sample weights from ``{class: weight}``, reading each sample's class from ``y``."""
    if not isinstance(class_weight, dict):
        raise ValueError(
            f"{who}: class_weight must be a dict {{class index: weight}}, got {type(class_weight).__name__}"
        )
    if isinstance(y, (list, tuple, dict)):
        raise ValueError(f"{who}: class_weight is only supported for models with one output")
    labels = y.argmax(axis=-1) if (y.ndim > 1 and y.shape[-1] > 1) else y.reshape(len(y), -1)[:, 0]
    labels = np.round(labels).astype(np.int64)
    weights = np.ones(len(labels), dtype=backend.floatx())
    for key, value in class_weight.items():
        weights[labels == int(key)] = float(value)
    return weights


# --- inputs against the model's declared input shapes ---------------------------------------------


def fit_to_input_shapes(x, input_shapes, who):
    """``x`` with a 1-D array turned into a column where the model expects one feature.

    ``Dense(1, input_shape=[1])`` trained on ``xs`` of shape ``(6,)`` is how many courses
    begin (tf.keras 2 accepted it): such an array becomes ``(6, 1)``. A 1-D array given
    to an input that expects several features is refused with the shape it needs.
    """
    if not input_shapes:
        return x
    if isinstance(input_shapes, _ByLeaf):
        shapes = iter(input_shapes)
        return map_with_names(lambda value, name: _fit_one(value, next(shapes), name, who), x, "x")
    if isinstance(input_shapes, dict):
        # Named inputs (the columns of a table): each column of shape (n,) for an input (None, 1).
        if not isinstance(x, dict):
            return fit_to_input_shapes(x, list(input_shapes.values()), who)
        return {key: _fit_one(value, input_shapes.get(key), f"x[{key!r}]", who) for key, value in x.items()}
    if len(input_shapes) == 1 and not isinstance(x, (list, tuple, dict)):
        return _fit_one(x, input_shapes[0], "x", who)
    if isinstance(x, (list, tuple)) and len(x) == len(input_shapes):
        fitted = [_fit_one(v, s, f"x[{i}]", who) for i, (v, s) in enumerate(zip(x, input_shapes))]
        return fitted if isinstance(x, list) else tuple(fitted)
    return x


def input_declarations(model, x):
    """The model's declared input dtypes and shapes, ``(dtypes, shapes)``, each a list in the
    order of the inputs or, where ``x`` is a dict, a dict by input name (``None`` where unknown).

    A dict of named inputs need not list them in the model's order: each is matched by name,
    as the model matches them when called.
    """
    dtypes, shapes = model._input_dtypes(), model._input_shapes()
    if _is_nested_data(x) and hasattr(model, "_inputs_like"):
        return _leaf_declarations(model, x)
    if not isinstance(x, dict):
        return dtypes, shapes
    structure = getattr(model, "_input_structure", None)
    if isinstance(structure, dict) and all(hasattr(t, "shape") and hasattr(t, "dtype") for t in structure.values()):
        return (
            {key: t.dtype for key, t in structure.items()},
            {key: tuple(t.shape) for key, t in structure.items()},
        )
    try:
        names = list(model.input_names)
    except (AttributeError, TypeError):
        return dtypes, shapes
    if dtypes is not None and len(dtypes) == len(names):
        dtypes = dict(zip(names, dtypes))
    if shapes is not None and len(shapes) == len(names):
        shapes = dict(zip(names, shapes))
    return dtypes, shapes


class _ByLeaf(list):
    """Declarations (dtypes or shapes) for the arrays of a nested ``x``, one per array in the
    order ``map_with_names`` visits them (``None`` for an array the model does not take)."""


def _is_nested_data(x):
    """Whether ``x`` holds a list, tuple or dict of arrays inside a list, tuple or dict:
    ``(x_a, x_b, {"p": x_p, "q": x_q})`` for a model made with ``Model([a, b, {"p": p, "q": q}], ...)``."""
    if isinstance(x, dict):
        items = list(x.values())
    elif isinstance(x, (list, tuple)) and not _is_leaf_sequence(x):
        items = list(x)
    else:
        return False
    return any(isinstance(i, dict) or (isinstance(i, (list, tuple)) and not _is_leaf_sequence(i)) for i in items)


def _leaf_declarations(model, x):
    """The dtypes and shapes of the inputs that a nested ``x``'s arrays go to, as the model
    matches them (a dict by key, in any order). ``(None, None)`` where ``x`` does not match:
    the model's call then says where."""
    try:
        inputs = model._inputs_like(x)
    except ValueError:
        return None, None
    names = []
    map_with_names(lambda value, name: names.append(name), x, "x")
    tensors = [inputs.get(name) for name in names]
    return (
        _ByLeaf(None if t is None else t.dtype for t in tensors),
        _ByLeaf(None if t is None else tuple(t.shape) for t in tensors),
    )


def _fit_one(array, want, name, who):
    if want is None or getattr(array, "ndim", None) != 1 or len(want) != 2:
        return array
    features = want[1]
    if features == 1:
        return array.reshape(-1, 1)
    if features is not None and len(array) != features:  # not one sample without its batch axis
        raise ValueError(
            f"{who}: {name} has shape {tuple(array.shape)}, one number per sample, but the model "
            f"expects {features} features per sample (inputs of shape {tuple(want)}); give x of "
            f"shape (samples, {features})"
        )
    return array


# --- checking a whole call's data, once ------------------------------------------------------------


def standardize(model, x, y, sample_weight, who):
    """Check and convert ``x``, ``y`` and ``sample_weight`` (arrays); return them and the sample count."""
    dtypes, shapes = input_declarations(model, x)
    x = standardize_inputs(x, who, dtypes, keeps_integer_inputs(model))
    x = fit_to_input_shapes(x, shapes, who)
    y = standardize_targets(y, who)
    sample_weight = standardize_sample_weight(sample_weight, who)
    count = count_samples([(x, "x"), (y, "y"), (sample_weight, "sample_weight")], who)
    if sample_weight is not None and sample_weight.ndim > 1 and sample_weight.size != count:
        raise ValueError(f"{who}: sample_weight must have one weight per sample, got shape {sample_weight.shape}")
    state = model._compile_state
    if y is None and state is not None and state.loss is not None:
        raise ValueError(
            f"{who}: y is missing; the model was compiled with a loss, which compares the outputs to targets y"
        )
    build_for_ragged_rows(model, x)
    return x, y, sample_weight, count


def standardize_predict_inputs(model, x, who):
    """Check and convert the inputs of ``predict``."""
    dtypes, shapes = input_declarations(model, x)
    x = standardize_inputs(x, who, dtypes, keeps_integer_inputs(model))
    x = fit_to_input_shapes(x, shapes, who)
    count_samples([(x, "x")], who)
    build_for_ragged_rows(model, x)
    return x


def build_for_ragged_rows(model, x):
    """Build a ``Sequential`` model that has no ``Input`` yet for rows of any length, when ``x`` is ragged.

    Such a model is built from the first data it sees. A batch of ragged rows is padded to
    its longest row, so building from the first batch would fix the number of steps to
    that batch's; as TensorFlow gives a ragged axis the length ``None``, the model is built
    for inputs ``(None, None, ...)`` instead, and every batch fits it.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet import layers
    >>> model = tf.keras.Sequential([layers.Embedding(10, 4), layers.GRU(2)])
    >>> build_for_ragged_rows(model, tf.ragged.constant([[1, 2], [3]]))
    >>> model.input_shape
    (None, None)
    """
    from learnet.models.sequential import Sequential  # model.py imports this module

    if isinstance(x, RaggedTensor) and isinstance(model, Sequential) and not model.built:
        model.build((None, None) + tuple(x.flat_values.shape[1:]))


def probe_output_shapes(model, x):
    """The output shapes for inputs like ``x``, from one sample (no tape, no training).

    Building the model here (if needed) creates its weights; nothing else changes.
    A wrong feature shape fails here with the layer's own message.
    """
    key = tuple((tuple(a.shape[1:]), str(a.dtype)) for a in flatten(x))
    state = model._compile_state
    cache = state.validated_shapes if state is not None else {}
    if key in cache and model.built:
        return cache[key]
    # A sparse input's first row as a SparseTensor batch, as the model gets its batches.
    sample = map_structure(lambda a: a[0:1] if isinstance(a, _SparseRows) else a, take(x, slice(0, 1)))
    with no_recording():
        outputs = model(sample, training=False)
        model._clear_losses()
    shapes = map_structure(lambda t: (None,) + tuple(t.shape[1:]), outputs)
    cache[key] = shapes
    return shapes


def prepare_targets(model, x, y, who, name="y"):
    """Check every target against its output's shape and loss; return them converted."""
    if y is None:
        return None
    if _has_no_call(model) or _has_own_steps(model):
        return _targets_of_a_model_without_call(model, _floats_as_floatx(y))
    try:
        shapes = probe_output_shapes(model, x)
    except TypeError as error:
        # Text given to a model that declares no input dtype reaches a layer that computes
        # with numbers: say so, rather than leave NumPy's complaint about its ufuncs.
        text = [name for name, array in named_leaves(x, "x") if array is not None and array.dtype.kind in "OUS"]
        if not text:
            raise
        raise ValueError(
            f"{who}: {text[0]} holds text, which the model's layers cannot compute with ({error}); "
            "convert it to numbers first, or give the model an input with dtype='string' "
            "(keras.Input(shape=..., dtype='string')) encoded by a StringLookup layer"
        ) from None
    flat_shapes = flatten_shapes(shapes)
    names = model._output_names(len(flat_shapes), shapes)
    state = model._compile_state
    loss = state.loss if state is not None else None
    if _computes_own_loss(model):
        # Its compute_loss decides what the targets mean; the compiled loss is built (and logs
        # each output's loss) only if that compute_loss calls it, as in Keras 3.
        loss = None
    if loss is not None and not loss.built:
        loss.build(names)
    prepared = _check_all_targets(model, y, flat_shapes, loss, who, name, names)
    metrics = state.metrics if state is not None else None
    if metrics is not None and not metrics.built:
        # The compiled metrics exist from the start (so a custom train_step that loops
        # over self.metrics sees them), resolved from the shapes of targets and outputs.
        predictions = [
            np.zeros((1,) + tuple(1 if s is None else s for s in shape[1:]), backend.floatx()) for shape in flat_shapes
        ]
        metrics.build(take(prepared, slice(0, 1)), predictions[0] if len(predictions) == 1 else predictions, names)
    return prepared


def _has_no_call(model):
    """Whether ``model`` is a subclass that trains through its own ``train_step`` and has no
    ``call()`` to run (keras.io's Shift-ViT trainer): its outputs cannot be probed."""
    from learnet.models.model import Model

    return isinstance(model, Model) and getattr(type(model), "call", None) is Model.call


def _floats_as_floatx(y):
    """Float targets in the default float type (float64 and float16 arrays to float32), as
    Keras hands them to a ``train_step``; integer and bool targets keep their dtype."""

    def convert(value):
        if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.dtype != backend.floatx():
            return value.astype(backend.floatx())
        return value

    return map_structure(convert, y)


def _has_own_steps(model):
    """Whether ``model`` writes its own ``train_step`` or ``test_step``: then the data means
    what those steps make of it (keras.io's graph attention network feeds node indices
    that its ``call()`` never sees), and the model is not called on ``x`` to check the
    targets against its outputs, as Keras never calls it there either."""
    from learnet.models.model import Model

    kind = type(model)
    return isinstance(model, Model) and (
        kind.train_step is not Model.train_step or kind.test_step is not Model.test_step
    )


def _targets_of_a_model_without_call(model, y):
    """The targets of a model with no ``call()``, as given: its own ``train_step`` decides what
    they mean. Its compiled metrics are made now (one output, read as shaped like its target),
    so a ``train_step`` that loops over ``self.metrics`` finds and updates them, as in Keras."""
    state = model._compile_state
    metrics = state.metrics if state is not None else None
    if metrics is not None and not metrics.built:
        target = take(y, slice(0, 1))
        if isinstance(target, (list, tuple, dict)):
            return y  # several targets: the metrics wait for the first update_state
        metrics.build(target, np.zeros(np.shape(target), backend.floatx()), model._output_names(1, None))
    return y


def _computes_own_loss(model):
    """Whether ``model`` overrides ``compute_loss``."""
    from learnet.models.model import Model  # model.py imports this module

    return isinstance(model, Model) and type(model).compute_loss is not Model.compute_loss


def _loss_reads_targets_freely(model, loss):
    """Whether no compiled loss pairs the targets with the outputs: the model has no compiled
    loss, or computes its own (``compute_loss`` overridden). Keras 3 then hands the targets to
    ``compute_loss`` as given, whatever their number, and its metrics take them in order."""
    return loss is None or _computes_own_loss(model)


def _check_all_targets(model, y, flat_shapes, loss, who, name, names):
    if len(flat_shapes) == 1:
        if isinstance(y, (list, tuple)) and len(y) == 1:
            y = y[0]
        if isinstance(y, dict) and len(y) == 1:
            y = next(iter(y.values()))
        if isinstance(y, (list, tuple, dict)):
            if _loss_reads_targets_freely(model, loss):
                return _floats_as_floatx(y)
            raise ValueError(f"{who}: the model has one output, but {name} holds {len(y)} arrays")
        return check_targets(y, flat_shapes[0], loss.loss_for_output(0) if loss else None, name, who)
    if isinstance(y, dict):
        unknown = sorted(set(y) - set(names))
        if unknown:
            raise ValueError(f"{who}: {name} names unknown output(s) {unknown}; the outputs are {names}")
        # Targets by output name are put in the order of the outputs (None where absent:
        # that output then has no loss), so losses and metrics pair them correctly.
        if loss is not None:
            with_loss = [key for index, key in enumerate(names) if loss.loss_for_output(index) is not None]
            if not set(with_loss) & set(y):
                raise ValueError(
                    f"{who}: {name} gives targets for {sorted(y)}, but the outputs with a loss are {with_loss}; "
                    "give the targets of at least one of them"
                )
        checked = [
            None
            if key not in y
            else check_targets(
                y[key], flat_shapes[index], loss.loss_for_output(index) if loss else None, f"{name}[{key!r}]", who
            )
            for index, key in enumerate(names)
        ]
        if isinstance(getattr(model, "_output_structure", None), dict):
            return dict(zip(names, checked))
        return checked
    # Keras 3's rule: one target per output, or one per output that has a loss (a model
    # compiled with loss=[loss, None] trains on fit(x, y) with y the first output's targets).
    losses = [loss.loss_for_output(i) for i in range(len(flat_shapes))] if loss else None
    try:
        targets = targets_per_output(y if isinstance(y, (list, tuple)) else [y], names, names, losses)
    except ValueError as error:
        if _loss_reads_targets_freely(model, loss):
            # Targets that pair with no output (one array for three outputs) are the model's
            # own compute_loss's to read, as in Keras 3: handed over as given.
            return _floats_as_floatx(y)
        raise ValueError(f"{who}: {error} (in {name})") from None
    return [
        None
        if target is None
        else check_targets(target, shape, losses[i] if losses else None, _target_name(name, y, i, targets), who)
        for i, (target, shape) in enumerate(zip(targets, flat_shapes))
    ]


def _target_name(name, y, index, targets):
    """How an error names the target of output ``index``: ``y`` itself, or ``y[0]``."""
    if not isinstance(y, (list, tuple)):
        return name
    return f"{name}[{index if len(y) == len(targets) else sum(t is not None for t in targets[:index])}]"


def check_batch(model, x, y=None, sample_weight=None, class_weight=None, *, who):
    """One batch for ``train_on_batch`` / ``test_on_batch``: checked, as ``(x, y[, sample_weight])``."""
    x, y, sample_weight, _ = standardize(model, x, y, sample_weight, who)
    y = prepare_targets(model, x, y, who)
    if class_weight is not None:
        weights = class_weight_to_sample_weight(class_weight, y, who)
        sample_weight = weights if sample_weight is None else sample_weight * weights
    return (x, y) if sample_weight is None else (x, y, sample_weight)


# --- the one entry point: EpochIterator ---------------------------------------------------------


def _on_device(batch):
    """A batch with its NumPy arrays copied to the GPU under CuPy: once, before the step."""
    if backend.xp is np:
        return batch
    # Text stays on the host: the lookup layers that read it work on NumPy arrays.
    return map_structure(
        lambda value: (
            backend.xp.asarray(value) if isinstance(value, np.ndarray) and value.dtype.kind in "biuf" else value
        ),
        batch,
    )


class EpochIterator:
    """The batches of ``fit``, ``evaluate`` and ``predict``: checked once, then served epoch by epoch.

    ``x`` may be arrays (a NumPy array, a list or dict of them), which are checked and
    converted here, before any step (shapes, NaN, labels against the loss), and cut
    into batches by the shared ``learnet.batching.Batcher``; or an iterable of batches
    (a ``learnet.data.Dataset``, a ``Batcher``, a generator), whose batches are
    converted as they come. Either way ``epoch()`` yields ``(x, y)`` or
    ``(x, y, sample_weight)`` tuples (``(x,)`` for prediction), as ``train_step``,
    ``test_step`` and ``predict_step`` take them.

    Parameters
    ----------
    model : Model
        The model the data is for: its inputs, outputs, loss and metrics check the data.
    x, y, sample_weight
        As ``Model.fit`` takes them.
    who : str
        The method name errors begin with (``"fit"``, ``"evaluate"``...).
    batch_size : int, optional
        Samples per batch for arrays (default 32).
    steps : int, optional
        Batches per epoch. Without it an epoch is one pass over the data.
    shuffle : bool
        A new order of the samples at each epoch (arrays only).
    class_weight : dict, optional
        ``{class: weight}``, folded into the sample weights.
    inputs_only : bool
        Prediction: ``x`` alone, no targets.
    continuous : bool
        With ``steps``, each epoch continues where the last one stopped (training).
    checked : bool
        The arrays were checked already (the validation part cut from ``fit``'s data).

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers, Sequential
    >>> model = Sequential([layers.Dense(1, input_shape=[2])])
    >>> model.compile("sgd", "mse")
    >>> data = EpochIterator(model, np.zeros((5, 2)), np.zeros(5), who="fit", batch_size=2)
    >>> data.steps, [tuple(y.shape) for _, y in data.epoch()]
    (3, [(2, 1), (2, 1), (1, 1)])
    """

    def __init__(
        self,
        model,
        x=None,
        y=None,
        sample_weight=None,
        *,
        who,
        batch_size=None,
        steps=None,
        shuffle=False,
        class_weight=None,
        inputs_only=False,
        continuous=False,
        checked=False,
    ):
        self.who = who
        self.inputs_only = inputs_only
        self.continuous = continuous
        self.limit = steps
        self.model = model
        self._stream = None
        self._iterator = None
        if is_array_data(x):
            if not checked:
                batch_size = check_batch_size(batch_size, who)
                if inputs_only:
                    x = standardize_predict_inputs(model, x, who)
                else:
                    x, y, sample_weight, _ = standardize(model, x, y, sample_weight, who)
                    y = prepare_targets(model, x, y, who)
                    if class_weight is not None:
                        weights = class_weight_to_sample_weight(class_weight, y, who)
                        sample_weight = weights if sample_weight is None else sample_weight * weights
            self._init_arrays(x, y, sample_weight, batch_size, shuffle)
        else:
            if y is not None and not inputs_only:
                raise ValueError(f"{who}: when x is a dataset of (x, y) batches, y must not be given separately")
            self._init_dataset(x)

    # --- arrays, through the shared Batcher (a new order each epoch) ---
    def _init_arrays(self, x, y, sample_weight, batch_size, shuffle):
        self.dataset = None
        if self.inputs_only:
            self.batcher = Batcher(x, batch_size=batch_size, shuffle=bool(shuffle), seed=backend.host_rng())
        else:
            self.batcher = Batcher(
                x,
                y,
                sample_weight,
                batch_size=batch_size,
                shuffle=bool(shuffle),
                seed=backend.host_rng(),
                names=["x", "y", "sample_weight"],
            )
        if self.limit is None:
            self.steps = len(self.batcher)
        else:  # evaluation and prediction stop where the data ends
            self.steps = self.limit if self.continuous else min(self.limit, len(self.batcher))

    # --- an iterable of batches: a Dataset, a Batcher, a generator ---
    def _init_dataset(self, dataset):
        if not (hasattr(dataset, "__iter__") or hasattr(dataset, "__next__")):
            raise ValueError(f"{self.who}: cannot read batches from {type(dataset).__name__}")
        self.batcher = None
        self.dataset = dataset
        try:
            length = len(dataset)
        except TypeError:
            length = None
        self.steps = self.limit if self.limit is not None else length
        if self.limit is not None and length is not None and not self.continuous:
            self.steps = min(self.limit, length)  # evaluation and prediction stop where the data ends
        # A generator is its own iterator and runs out once; a dataset can be read again.
        # A PyDataset is read by index, an epoch at a time, even when it also has __next__
        # (Keras' image iterators, whose own iteration never ends).
        if isinstance(dataset, PyDataset):
            self._reiterable = True
            self._new_pass = dataset._epoch_batches
        else:
            self._reiterable = hasattr(dataset, "__iter__") and not hasattr(dataset, "__next__")
            self._new_pass = dataset.__iter__ if hasattr(dataset, "__iter__") else lambda: dataset

    def epoch(self):
        """The batches of one epoch, as tuples ``train_step`` / ``test_step`` / ``predict_step`` take."""
        if self.batcher is not None:
            for batch in self._array_batches():
                if self.inputs_only:
                    yield _on_device((batch,))
                else:
                    yield _on_device(pack_x_y_sample_weight(*batch))
        else:
            for batch in self._dataset_batches():
                yield _on_device(self._convert(batch))

    def _array_batches(self):
        if self.limit is None:
            yield from self.batcher
            return
        # With steps_per_epoch the batches run on across epochs, reshuffling at each pass;
        # evaluation and prediction with steps start from the first batch every time and
        # stop where the data ends, as Keras does.
        if not self.continuous:
            for step, batch in enumerate(self.batcher):
                if step == self.limit:
                    return
                yield batch
            if self.limit > len(self.batcher):
                _ran_out(self.who, self.limit, len(self.batcher))
            return
        if self._stream is None:
            self._stream = self._endless()
        for _ in range(self.limit):
            yield next(self._stream)

    def _endless(self):
        while True:
            yield from self.batcher

    def _dataset_batches(self):
        """Without ``steps`` one pass; with ``steps`` that many batches, continuing where
        the last epoch stopped (and starting a new pass over a re-iterable dataset when one ends)."""
        if self.limit is None:
            yield from self._new_pass()
            return
        if not self.continuous and self._reiterable:
            self._iterator = None
        for step in range(self.limit):
            if self._iterator is None:
                self._iterator = self._new_pass()
            try:
                batch = next(self._iterator)
            except StopIteration:
                self._iterator = None
                if not self._reiterable or not self.continuous:
                    _ran_out(self.who, self.limit, step)
                    return
                self._iterator = self._new_pass()
                try:
                    batch = next(self._iterator)
                except StopIteration:
                    raise ValueError(f"{self.who}: the dataset gave no batches") from None
            yield batch

    def _convert(self, batch):
        x, y, sample_weight = unpack_x_y_sample_weight(batch)
        dtypes, shapes = input_declarations(self.model, x)
        x = fit_to_input_shapes(_as_declared_inputs(x, dtypes, keeps_integer_inputs(self.model)), shapes, self.who)
        build_for_ragged_rows(self.model, x)
        if self.inputs_only:
            return (x,)
        y = map_with_names(lambda v, name: None if v is None else _dataset_target(v, name, self.who), y, "y")
        if y is not None and _has_no_call(self.model):
            y = _targets_of_a_model_without_call(self.model, y)
        return pack_x_y_sample_weight(x, y, None if sample_weight is None else to_plain_numpy(sample_weight))


def _ran_out(who, steps, served):
    """Keras's warning when the data ends before ``steps`` batches: the pass stops there."""
    warnings.warn(
        f"{who}: your input ran out of data after {served} of steps={steps} batches; stopped there. "
        "Make sure the data gives at least `steps` batches (Dataset.repeat() repeats a dataset).",
        UserWarning,
        stacklevel=4,
    )


def fit_epoch_iterators(
    model,
    x,
    y,
    sample_weight,
    *,
    who,
    batch_size,
    validation_split,
    validation_data,
    shuffle,
    class_weight,
    steps_per_epoch,
    validation_steps,
    validation_batch_size,
):
    """``fit``'s training batches and validation batches (``None`` without validation), all checked."""
    if not isinstance(validation_split, numbers.Real) or not 0 <= validation_split < 1:
        raise ValueError(f"{who}: validation_split must be a number in [0, 1), got {validation_split!r}")
    validation = None
    if is_array_data(x):
        batch_size = check_batch_size(batch_size, who)
        x, y, sample_weight, count = standardize(model, x, y, sample_weight, who)
        if validation_split and validation_data is None:
            split_at = int(math.floor(count * (1.0 - validation_split)))
            if split_at == 0 or split_at == count:
                raise ValueError(
                    f"{who}: validation_split={validation_split} of {count} samples leaves "
                    f"{split_at} for training and {count - split_at} for validation; both need at least one"
                )
            validation = [take(part, slice(split_at, None)) for part in (x, y, sample_weight)]
            x, y, sample_weight = (take(part, slice(0, split_at)) for part in (x, y, sample_weight))
        y = prepare_targets(model, x, y, who)
        if class_weight is not None:
            weights = class_weight_to_sample_weight(class_weight, y, who)
            sample_weight = weights if sample_weight is None else sample_weight * weights
        if validation is not None:
            validation[1] = prepare_targets(model, validation[0], validation[1], who, "y (validation part)")
        train = EpochIterator(
            model,
            x,
            y,
            sample_weight,
            who=who,
            batch_size=batch_size,
            steps=steps_per_epoch,
            shuffle=shuffle,
            continuous=True,
            checked=True,
        )
    else:
        if y is not None:
            raise ValueError(f"{who}: when x is a dataset of (x, y) batches, y must not be given separately")
        if validation_split:
            raise ValueError(f"{who}: validation_split needs arrays; with a dataset, give validation_data")
        # As Keras 3: batch_size is ignored for a dataset, which makes its own batches.
        train = EpochIterator(model, x, who=who, steps=steps_per_epoch, continuous=True)
    if validation_data is not None:
        validation = _validation_iterator(
            model, validation_data, validation_batch_size or batch_size, validation_steps, who
        )
    elif validation is not None:
        validation = EpochIterator(
            model,
            *validation,
            who=who,
            batch_size=validation_batch_size or batch_size,
            steps=validation_steps,
            checked=True,
        )
    return train, validation


def _validation_iterator(model, validation_data, batch_size, steps, who):
    if is_array_data(validation_data) and isinstance(validation_data, (tuple, list)):
        if len(validation_data) not in (2, 3):
            raise ValueError(
                f"{who}: validation_data must be (x_val, y_val) or (x_val, y_val, sample_weight_val), "
                f"got a sequence of {len(validation_data)} items"
            )
        vx, vy, vw = unpack_x_y_sample_weight(tuple(validation_data))
        return EpochIterator(
            model, vx, vy, vw, who=f"{who} (validation_data)", batch_size=check_batch_size(batch_size, who), steps=steps
        )
    if is_array_data(validation_data):
        raise ValueError(f"{who}: validation_data must be a tuple (x_val, y_val), got {type(validation_data).__name__}")
    return EpochIterator(model, validation_data, who=who, steps=steps)


def to_plain_numpy(value):
    """A tensor or array-like as a NumPy array (a tensor's values copied off the device)."""
    if isinstance(value, Tensor):
        return backend.to_numpy(value._value)
    return np.asarray(value)


def _dataset_target(value, name, who):
    """One target array of a dataset's batch; text is refused as for arrays given to ``fit``."""
    array = to_plain_numpy(value)
    if array.dtype.kind not in "biuf":
        array = to_numpy(array, f"{name} (from the dataset)", who, hint=_TEXT_TARGETS_HINT)
    return array


def _as_declared_inputs(x, dtypes, keep_integers=False):
    """A dataset batch's inputs as arrays, converted as ``fit`` converts arrays: floats in the
    default float type; integers kept where the input is declared an integer
    (``Input(shape=[], dtype="int32")`` for time steps or token ids) or, with ``keep_integers``,
    where the model declares no inputs; else integers become floats."""

    def one(value, dtype):
        try:
            kind = None if dtype is None or dtype == "string" else np.dtype(dtype)
        except TypeError:
            kind = None
        if isinstance(value, RaggedTensor):
            return _ragged_as_input(value, kind)
        if isinstance(value, SparseTensor):
            return _sparse_as_input(value, kind)
        array = to_plain_numpy(value)
        if kind is not None and kind.kind in "iu" and array.dtype.kind in "iub":
            return array
        return _as_float_input(array)

    if keep_integers:
        return map_structure(_kept_input, x)
    if isinstance(dtypes, _ByLeaf):
        leaf_dtypes = iter(dtypes)
        return map_with_names(lambda value, name: one(value, next(leaf_dtypes)), x, "x")

    if isinstance(x, dict) and isinstance(dtypes, dict):
        return {key: map_structure(lambda v, d=dtypes.get(key): one(v, d), value) for key, value in x.items()}
    if isinstance(x, (list, tuple)) and isinstance(dtypes, (list, tuple)) and len(dtypes) == len(x):
        return type(x)(one(value, dtype) for value, dtype in zip(x, dtypes))
    if not isinstance(x, (list, tuple, dict)) and isinstance(dtypes, (list, tuple)) and len(dtypes) == 1:
        return one(x, dtypes[0])
    return map_structure(_as_float_input, x)


def _ragged_as_input(value, kind=None):
    """A dataset's ragged batch with float values, or integer ones where the input is declared integer."""
    values = value.flat_values
    dtype = np.dtype(values.dtype)
    if kind is not None and kind.kind in "iu" and dtype.kind in "iub":
        return value
    if dtype.kind in "biu" or (dtype.kind == "f" and dtype != backend.floatx()):
        return RaggedTensor(Tensor._wrap(values._value.astype(backend.floatx())), value.row_splits)
    return value


def _sparse_as_input(value, kind=None):
    """A dataset's sparse batch with float values, or integer ones where the input is declared integer."""
    dtype = np.dtype(value.dtype)
    if (kind is not None and kind.kind in "iu" and dtype.kind in "iub") or dtype == backend.floatx():
        return value
    if dtype.kind in "biuf":
        return value.with_values(Tensor._wrap(backend.xp.asarray(value.values.numpy().astype(backend.floatx()))))
    return value


def _kept_input(value):
    """A dataset's input for a model that declares none: integers, booleans and text as they
    are, floats in the default float type (Keras hands such a batch to ``train_step`` as is)."""
    if isinstance(value, RaggedTensor):
        return value if np.dtype(value.flat_values.dtype).kind in "iub" else _ragged_as_input(value)
    if isinstance(value, SparseTensor):
        return value if np.dtype(value.dtype).kind in "iub" else _sparse_as_input(value)
    array = to_plain_numpy(value)
    if array.dtype.kind in "iub":
        return array
    return _as_float_input(array)


def _as_float_input(value):
    if isinstance(value, RaggedTensor):
        return _ragged_as_input(value)
    if isinstance(value, SparseTensor):
        return _sparse_as_input(value)
    array = to_plain_numpy(value)
    if array.dtype.kind in "biu" or (array.dtype.kind == "f" and array.dtype != backend.floatx()):
        array = array.astype(backend.floatx())
    return array
