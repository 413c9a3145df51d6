"""The tensor helpers of Keras 2's ``keras.backend`` (``K.sum``, ``K.square``, ``K.epsilon``...).

Older course code writes custom metrics and losses with them::

    from keras import backend as K
    def rmse(y_true, y_pred):
        return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1))

``learnet.backend`` (floor 1) holds the array module and the settings; it hands every
name it does not have to this module, so ``K.sum`` resolves. The functions follow Keras
2's signatures and defaults, which differ from ``keras.ops`` in places (``K.argmax`` and
``K.concatenate`` work on the last axis by default, ``K.shape`` returns a tensor).

Examples
--------
>>> from learnet import backend as K
>>> float(K.sum(K.square(K.constant([1.0, 2.0]))))
5.0
"""

import importlib

import numpy as _np

from learnet import ctc as _ctc
from learnet import keras_config as _config
from learnet import keras_ops as _ops
from learnet.backend import floatx
from learnet.tensor import Tensor, Variable
from learnet.sparse import SparseTensor as _SparseTensor
from learnet.tensor import constant as _constant

_prim = importlib.import_module("learnet.ops")  # the primitives (`learnet.ops` the attribute is keras.ops)


def image_data_format():
    """The default image layout, ``'channels_last'`` unless set (``keras.config.image_data_format``)."""
    return _config.image_data_format()


def set_image_data_format(data_format):
    """Set the default image layout: ``'channels_last'`` or ``'channels_first'``
    (``keras.config.set_image_data_format``)."""
    _config.set_image_data_format(data_format)


def learning_phase():
    """0: learnet passes ``training=`` to layers explicitly instead of a global phase."""
    return 0


def backend():
    """``'tensorflow'``: the Keras backend learnet stands in for.

    Keras 3 scripts branch on the backend (``if keras.backend.backend() == "tensorflow":``)
    to call TensorFlow's functions on the tensors; learnet runs those ``tf.*`` calls, so it
    answers as Keras on TensorFlow and the scripts take that branch.
    """
    return "tensorflow"


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def variable(value, dtype=None, name=None, constraint=None):
    """A ``Variable`` holding ``value`` (``floatx`` by default)."""
    return Variable(_constant(value, dtype=dtype or floatx()), name=name, constraint=constraint)


def constant(value, dtype=None, shape=None, name=None):
    """A constant tensor (``floatx`` by default)."""
    return _constant(value, dtype=dtype or floatx(), shape=shape)


def cast_to_floatx(x):
    """``x`` as a NumPy array of the default float type."""
    import numpy

    return numpy.asarray(x, dtype=floatx())


def is_keras_tensor(x):
    """Whether ``x`` is a symbolic model input (a ``keras.Input``)."""
    return type(x).__name__ in ("KerasTensor", "SymbolicTensor")


def int_shape(x):
    """The shape of ``x`` as a tuple of ints."""
    return tuple(x.shape)


def shape(x):
    """The shape of ``x`` as an int32 tensor."""
    return _constant(list(_t(x).shape), dtype="int32")


def ndim(x):
    return _t(x).ndim


def dtype(x):
    return _t(x).dtype.name


def count_params(x):
    """The number of entries of ``x``."""
    return int(_t(x).size)


def sum(x, axis=None, keepdims=False):
    return _ops.sum(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    return _ops.mean(x, axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False):
    return _ops.max(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    return _ops.min(x, axis=axis, keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    return _ops.prod(x, axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    return _ops.std(x, axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    return _ops.var(x, axis=axis, keepdims=keepdims)


def any(x, axis=None, keepdims=False):
    return _ops.any(x, axis=axis, keepdims=keepdims)


def all(x, axis=None, keepdims=False):
    return _ops.all(x, axis=axis, keepdims=keepdims)


def argmax(x, axis=-1):
    """Index of the largest value along ``axis`` (the last by default, as Keras 2)."""
    return _ops.argmax(x, axis=axis)


def argmin(x, axis=-1):
    """Index of the smallest value along ``axis`` (the last by default, as Keras 2)."""
    return _ops.argmin(x, axis=axis)


def clip(x, min_value, max_value):
    """Values limited to ``[min_value, max_value]``."""
    return _ops.clip(x, min_value, max_value)


def pow(x, a):
    return _ops.power(x, a)


def dot(x, y):
    """The matrix product (``x @ y``) of Keras 2's ``K.dot``."""
    return _ops.dot(x, y)


def batch_dot(x, y, axes=None):
    """Per-sample products: ``(b, n, m) x (b, m, k) -> (b, n, k)``; of vectors, ``(b, 1)``."""
    x, y = _t(x), _t(y)
    if x.ndim == 2 and y.ndim == 2:
        return _ops.sum(x * y, axis=1, keepdims=True)
    return _prim.matmul(x, y)


def concatenate(tensors, axis=-1):
    """Join along ``axis`` (the last by default, as Keras 2)."""
    return _ops.concatenate(tensors, axis=axis)


def flatten(x):
    return _ops.ravel(x)


def batch_flatten(x):
    """``x`` reshaped to ``(batch, -1)``."""
    x = _t(x)
    return _prim.reshape(x, [x.shape[0], -1])


def switch(condition, then_expression, else_expression):
    """``then_expression`` where ``condition`` holds, else ``else_expression``."""
    then_value = then_expression() if callable(then_expression) else then_expression
    else_value = else_expression() if callable(else_expression) else else_expression
    return _ops.where(condition, then_value, else_value)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    from learnet import random

    return random.normal(shape, mean=mean, stddev=stddev, dtype=dtype, seed=seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    from learnet import random

    return random.uniform(shape, minval=minval, maxval=maxval, dtype=dtype, seed=seed)


def binary_crossentropy(target, output, from_logits=False):
    return _ops.binary_crossentropy(target, output, from_logits=from_logits)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return _ops.categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return _ops.sparse_categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


def l2_normalize(x, axis=None):
    return _ops.normalize(x, axis=-1 if axis is None else axis)


# --- CTC, as Keras 2 called TensorFlow: softmax probabilities in, the blank is the last class ----
_CTC_EPSILON = 1e-7


def ctc_label_dense_to_sparse(labels, label_lengths):
    """The first ``label_lengths[b]`` labels of each row of ``labels`` as a ``SparseTensor``.

    Examples
    --------
    >>> from learnet import backend as K
    >>> K.ctc_label_dense_to_sparse([[1, 2, 0], [3, 0, 0]], [2, 1]).values.numpy()
    array([1, 2, 3], dtype=int32)
    """
    dense = _ctc._integers(labels, "ctc_label_dense_to_sparse", "labels")
    if dense.ndim != 2:
        raise ValueError(f"ctc_label_dense_to_sparse: expected labels of shape (batch, max_length), got {dense.shape}")
    lengths = _ctc._integers(label_lengths, "ctc_label_dense_to_sparse", "label_lengths").reshape(-1)
    rows, columns = _np.nonzero(_np.arange(dense.shape[1])[None, :] < lengths[:, None])
    return _SparseTensor(_np.stack([rows, columns], axis=1), Tensor(dense[rows, columns].astype("int32")), dense.shape)


def ctc_batch_cost(y_true, y_pred, input_length, label_length):
    """Keras 2's CTC loss of each example, shape ``(batch, 1)``.

    Parameters
    ----------
    y_true : array_like of int, shape (batch, max_label_length)
    y_pred : tensor, shape (batch, time, classes)
        Softmax probabilities; the last class is the blank.
    input_length, label_length : array_like of int, shape (batch, 1)
        Output steps and labels of each example.

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import backend as K
    >>> probabilities = np.full((1, 4, 3), 1 / 3, dtype="float32")
    >>> K.ctc_batch_cost([[0, 1]], probabilities, [[4]], [[2]]).shape
    TensorShape([1, 1])
    """
    y_pred = y_pred if isinstance(y_pred, Tensor) else Tensor(y_pred)
    input_length = _ctc._numpy(input_length).reshape(-1)
    label_length = _ctc._numpy(label_length).reshape(-1)
    logits = _ops.log(y_pred + _CTC_EPSILON)
    loss = _ctc.ctc_loss(y_true, logits, label_length, input_length, mask_index=-1)
    return _ops.expand_dims(loss, 1)


def ctc_decode(y_pred, input_length, greedy=True, beam_width=100, top_paths=1):
    """Keras 2's CTC decoding of softmax probabilities (the blank is the last class).

    Returns
    -------
    decoded : list of ``top_paths`` int64 Tensors, shape (batch, time)
        The labels of each path, left-aligned and padded with ``-1``.
    log_probabilities : Tensor, shape (batch, top_paths)
        Greedy: minus the sum of the best log-probability of each step.

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import backend as K
    >>> steps = np.eye(3, dtype="float32")[[0, 0, 2, 1]][None]  # "a a - b"
    >>> K.ctc_decode(steps, [4])[0][0].numpy()
    array([[ 0,  1, -1, -1]])
    """
    y_pred = y_pred if isinstance(y_pred, Tensor) else Tensor(y_pred)
    log_probabilities = _ops.log(y_pred + _CTC_EPSILON)
    lengths = _ctc._numpy(input_length).reshape(-1)
    if greedy:
        decoded, scores = _ctc.ctc_decode(log_probabilities, lengths, strategy="greedy", mask_index=-1)
        paths = decoded.numpy()
    else:
        decoded, scores = _ctc.ctc_decode(
            log_probabilities, lengths, "beam_search", beam_width=beam_width, top_paths=top_paths, mask_index=-1
        )
        # TensorFlow 1's beam search decoder, which Keras 2 called, merges equal neighbours.
        paths = _np.stack([[_merge_repeats(row) for row in path] for path in decoded.numpy()])
    return [Tensor(path.astype("int64")) for path in paths], scores


def _merge_repeats(row):
    labels = row[row >= 0]
    kept = labels[_np.r_[True, labels[1:] != labels[:-1]]] if labels.size else labels
    return _np.r_[kept, _np.full(row.size - kept.size, -1)]


# Same meaning, same signature in Keras 2 and keras.ops: share them.
_SHARED = (
    "abs",
    "sqrt",
    "square",
    "exp",
    "log",
    "round",
    "sign",
    "cos",
    "sin",
    "tanh",
    "sigmoid",
    "relu",
    "softmax",
    "softplus",
    "softsign",
    "elu",
    "hard_sigmoid",
    "equal",
    "not_equal",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "maximum",
    "minimum",
    "cast",
    "reshape",
    "transpose",
    "expand_dims",
    "squeeze",
    "stack",
    "ones",
    "zeros",
    "ones_like",
    "zeros_like",
    "eye",
    "tile",
    "repeat",
    "stop_gradient",
    "gather",
    "one_hot",
    "logsumexp",
    "cumsum",
    "cumprod",
    "arange",
)
for _name in _SHARED:
    if _name == "gather":
        globals()[_name] = _prim.gather
    else:
        globals()[_name] = getattr(_ops, _name)
del _name

# --- Keras 3's dtype helpers and name counter (keras.backend.standardize_dtype, get_uid...) -------------
# The dtypes Keras 3 knows, by their names; Python's types and "int" mean what Keras' TensorFlow
# backend makes of them (learnet reports itself as that backend).
_KERAS_DTYPES = frozenset(
    "float16 float32 float64 uint8 uint16 uint32 uint64 int8 int16 int32 int64 bfloat16 bool string "
    "float8_e4m3fn float8_e5m2 complex64 complex128".split()
)
_PYTHON_DTYPES = {bool: "bool", int: "int64", float: "float32", str: "string", "int": "int64", complex: "complex128"}


def standardize_dtype(dtype):
    """A dtype's Keras name (``"float32"``): from a name, a NumPy dtype or type, a Python type,
    or None (``floatx()``); a ``ValueError`` for anything Keras does not know (``"float"``).

    Examples
    --------
    >>> import numpy as np
    >>> standardize_dtype(np.float64), standardize_dtype(int), standardize_dtype(None)
    ('float64', 'int64', 'float32')
    """
    if dtype is None:
        return floatx()
    dtype = _PYTHON_DTYPES.get(dtype, dtype)  # (an unhashable value: TypeError, as in Keras)
    if hasattr(dtype, "name"):
        dtype = dtype.name
    elif hasattr(dtype, "__name__"):
        dtype = dtype.__name__
    if dtype not in _KERAS_DTYPES:
        raise ValueError(f"Invalid dtype: {dtype}")
    return dtype


# keras.backend.result_type: Keras 3's promotion lattice, kept with the keras.ops it governs.
result_type = _ops.result_type


def is_float_dtype(dtype):
    """Whether ``dtype`` is a float type (``bfloat16`` included), as Keras 3 says."""
    dtype = standardize_dtype(dtype)
    return dtype.startswith("float") or dtype.startswith("bfloat")


def is_int_dtype(dtype):
    """Whether ``dtype`` is a signed or unsigned integer type (not ``bool``), as Keras 3 says."""
    dtype = standardize_dtype(dtype)
    return dtype.startswith("int") or dtype.startswith("uint")


def get_uid(prefix=""):
    """The next number of ``prefix``'s counter, from 1: the counter automatic layer names use
    (after one ``Dense``, ``get_uid("dense")`` is 2), reset by ``clear_session``.

    Examples
    --------
    >>> get_uid("course_example"), get_uid("course_example")
    (1, 2)
    """
    from learnet.layers import naming

    return naming.next_uid(prefix)


# What `learnet.backend` hands on to this module.
EXPORTS = frozenset(name for name in globals() if not name.startswith("_") and name not in ("Tensor", "Variable"))
