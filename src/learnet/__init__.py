"""learnet: a deep-learning library written from scratch on NumPy.

Its public names follow TensorFlow and Keras, so course code runs after changing
only its imports::

    import learnet as tf            # instead of: import tensorflow as tf
    import learnet as keras         # instead of: from tensorflow import keras

Examples
--------
>>> import learnet as tf
>>> w = tf.Variable(2.0)
>>> with tf.GradientTape() as tape:
...     loss = (w * 3.0 - 1.0) ** 2
>>> float(tape.gradient(loss, w))
30.0
"""

import enum as _enum
import sys as _sys
import types as _types

import numpy as _numpy

from learnet import version  # noqa: E402 - the versions, said in one place
from learnet.version import LEARNET_VERSION as __learnet_version__  # noqa: E402

# The TensorFlow API level learnet implements (see learnet.version); learnet's own
# release is `__learnet_version__`.
__version__ = version.VERSION

from learnet import backend  # noqa: E402
from learnet.tensor import (  # noqa: E402
    Tensor,
    TensorShape,
    Variable,
    VariableAggregation,
    VariableSynchronization,
    _as_dtype,
    constant,
    convert_to_tensor,
    is_tensor,
)
from learnet.tape import GradientTape, stop_gradient  # noqa: E402
from learnet.ops import *  # noqa: E402,F401,F403
from learnet.ops import (  # noqa: E402,F401
    abs,
    add,
    argmax,
    argmin,
    broadcast_to,
    cast,
    ceil,
    clip_by_value,
    concat,
    cos,
    divide,
    equal,
    exp,
    expand_dims,
    eye,
    fill,
    floor,
    gather,
    greater,
    greater_equal,
    identity,
    less,
    less_equal,
    linspace,
    log,
    logical_and,
    logical_not,
    logical_or,
    matmul,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    one_hot,
    ones,
    ones_like,
    pad,
    pow,
    range,
    reduce_all,
    reduce_any,
    reduce_logsumexp,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_std,
    reduce_sum,
    reduce_variance,
    reshape,
    round,
    rsqrt,
    sign,
    sin,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    subtract,
    tan,
    tanh,
    tensordot,
    tile,
    transpose,
    unstack,
    where,
    zeros,
    zeros_like,
)
from learnet import errors, linalg, math, nn, random, testing  # noqa: E402
from learnet import summary  # noqa: E402 - tf.summary, written with tensorboardX
from learnet import debugging  # noqa: E402 - tf.debugging's checks
from learnet.debugging import Assert, assert_equal, assert_greater, assert_less, assert_rank  # noqa: E402,F401

# `keras.ops` is Keras 3's NumPy-style namespace; the primitives stay in the package
# learnet.ops (imported by module path, never as this attribute).
from learnet import keras_ops as ops  # noqa: E402
from learnet.control import (  # noqa: E402,F401 - TF's program tools, run eagerly
    TensorSpec,
    autograph,
    case,
    cond,
    custom_gradient,
    function,
    init_scope,
    map_fn,
    name_scope,
    numpy_function,
    py_function,
    switch_case,
    vectorized_map,
    while_loop,
)
from learnet.module import Module  # noqa: E402,F401
from learnet.function_type import types  # noqa: E402,F401 - tf.types.experimental.TraceType, FunctionType
from learnet.scatter import (  # noqa: E402,F401 - also gives Variable its scatter_* methods
    gather_nd,
    scatter_nd,
    tensor_scatter_nd_add,
    tensor_scatter_nd_max,
    tensor_scatter_nd_min,
    tensor_scatter_nd_sub,
    tensor_scatter_nd_update,
)
from learnet.ops.partition import dynamic_partition, dynamic_stitch  # noqa: E402,F401
from learnet import compat  # noqa: E402,F401 - tf.compat: as_bytes/as_str, v1.logging, Dimension

from learnet.ragged import dispatching as _ragged_dispatching  # noqa: E402

_ragged_dispatching(globals())  # tf.add(ragged, 3), tf.concat([r1, r2], 0), tf.reduce_mean(ragged, axis=1)

# tf.concat(states, axis=-1) on the symbolic tensors of a functional model records a layer of the
# graph (learnet/layers/operation.py), as tf.keras 2 did; on tensors nothing changes.
_COMPUTING = ("learnet.ops", "learnet.math", "learnet.nn", "learnet.linalg", "learnet.ragged")
ops.record_symbolic_calls(globals(), "tf:", _COMPUTING)
ops.record_symbolic_calls(math.__dict__, "tf:math.", _COMPUTING)
ops.record_symbolic_calls(nn.__dict__, "tf:nn.", _COMPUTING)

float16 = _numpy.float16
float32 = _numpy.float32
float64 = _numpy.float64
int8 = _numpy.int8
int16 = _numpy.int16
int32 = _numpy.int32
int64 = _numpy.int64
uint8 = _numpy.uint8
bool = _numpy.bool_  # noqa: A001 - TensorFlow's name
string = _numpy.object_  # string tensors hold bytes in object arrays
half, double = float16, float64  # TensorFlow's other names
uint16 = _numpy.uint16
uint32 = _numpy.uint32
uint64 = _numpy.uint64
complex64 = _numpy.complex64
complex128 = _numpy.complex128
newaxis = None


def as_dtype(type_value):
    """The dtype ``type_value`` names (``tf.as_dtype("float32")``, ``tf.as_dtype(np.int64)``).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.as_dtype("float32") == tf.float32
    True
    """
    return _as_dtype(type_value)


# tf.dtypes: the same dtypes and conversions, under the namespace TensorFlow's guides use.
dtypes = _types.SimpleNamespace(
    cast=cast,
    **{
        name: globals()[name]
        for name in (
            "float16",
            "float32",
            "float64",
            "half",
            "double",
            "int8",
            "int16",
            "int32",
            "int64",
            "uint8",
            "uint16",
            "uint32",
            "uint64",
            "bool",
            "string",
            "complex64",
            "complex128",
            "as_dtype",
        )
    },
    DType=_numpy.dtype,
)


from learnet.ops.shape import shape, size  # noqa: E402 - tf.shape / tf.size, with out_type


def rank(input, name=None):  # noqa: A002 - TensorFlow's name
    """The number of dimensions of ``input`` as a scalar int32 tensor."""
    return constant(convert_to_tensor(input).ndim, dtype="int32")


def get_logger():
    """The Python logger named ``"tensorflow"`` (``tf.get_logger().setLevel("ERROR")``).

    Course code quiets TensorFlow's messages through it; learnet's own warnings go through
    the ``warnings`` module, so setting its level is accepted and changes nothing else. As in
    TensorFlow, it gets a handler writing to standard error when no logging is set up yet.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.get_logger().name
    'tensorflow'
    """
    import logging

    logger = logging.getLogger("tensorflow")
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(_sys.stderr)
        handler.setFormatter(logging.Formatter(logging.BASIC_FORMAT))
        logger.addHandler(handler)
    return logger


def executing_eagerly():
    """Always True: learnet runs every op at once, as TensorFlow 2 does by default."""
    return True


def print(*inputs, output_stream=None, summarize=3, sep=" ", end="\n", name=None):  # noqa: A001 - TF's name
    """Print tensors as their values and other objects as ``str`` does (``tf.print``).

    A tensor prints like a NumPy array, ``[1 2 3]``; long axes are cut to their first
    and last ``summarize`` entries (``summarize=-1`` prints everything). The text goes to
    ``output_stream``, standard error by default as in TensorFlow.

    Examples
    --------
    >>> import sys, learnet as tf
    >>> tf.print("x =", tf.constant([1, 2, 3]), output_stream=sys.stdout)
    x = [1 2 3]
    """

    def text(value):
        if isinstance(value, Tensor):
            array = value.numpy()
            if array.ndim == 0:
                return str(array)
            edge = array.size if summarize is None or summarize < 0 else int(summarize)
            return _numpy.array2string(array, threshold=2 * edge, edgeitems=edge, separator=" ")
        return str(value)

    stream = _sys.stderr if output_stream is None else output_stream
    stream.write(sep.join(text(value) for value in inputs) + end)


class UnconnectedGradients(str, _enum.Enum):
    """What ``tape.gradient`` returns for a source the target does not depend on."""

    NONE = "none"
    ZERO = "zero"


# `tf.config`, `tf.device` and `tf.sysconfig`: the devices learnet computes on and their settings
# (learnet.device_config); `tf.config` holds Keras 3's global settings too (`keras_config`), as
# `keras.config` and `tf.config` are one namespace here (learnet is both).
from learnet import device_config as _device_config  # noqa: E402
from learnet import keras_config  # noqa: E402
from learnet.device_config import device, sysconfig  # noqa: E402,F401

config = _device_config.config_namespace(**{name: getattr(keras_config, name) for name in keras_config.__all__})


# `learnet.keras` is learnet itself, so `tf.keras.layers.Dense` resolves.
keras = _sys.modules[__name__]
_sys.modules[__name__ + ".keras"] = keras

# The blocks, models and apps above the core are imported when first used, so
# `import learnet` stays quick and a command-line tool starts fast.
_LAZY_MODULES = (
    "activations",
    "batching",
    "callbacks",
    "datasets",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "plot",
    "regularizers",
    "saving",
    "utils",
    "preprocessing",
    "data",
    "schedules",
    "constraints",
    "onnx",
    "lite",
    "keras_files",
    "distribute",
    "image",
    "saved_model",
    "mixed_precision",
    "quantizers",
    "sparse",
    "ragged",
    "strings",
    "train",
    "io",
    "signal",
    "audio",
    "experimental",
    "lookup",
    "applications",
    "test",
    "feature_column",
    "profiler",
)
_LAZY_NAMES = {
    "Sequential": "learnet.models",
    "Model": "learnet.models",
    "Input": "learnet.layers",
    "KerasTensor": "learnet.layers.keras_tensor",  # keras.KerasTensor: a symbolic tensor
    "Layer": "learnet.layers",
    "Quantizer": "learnet.quantizers",  # keras.Quantizer
    "dtype_policies": "learnet.mixed_precision",  # keras.dtype_policies: the module itself
    # TensorFlow's top-level aliases of tf.math / tf.nn / tf.linalg functions.
    "add_n": "learnet.math",
    **{name: "learnet.math" for name in ("acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh")},
    **{name: "learnet.math" for name in ("cosh", "sinh", "scalar_mul", "truediv")},
    "sigmoid": "learnet.nn",
    "norm": "learnet.linalg",
    "einsum": "learnet.linalg",
    # Tensors of other kinds and their namespaces.
    "SparseTensor": "learnet.sparse",
    "SparseTensorSpec": "learnet.sparse",
    "edit_distance": "learnet.sparse",
    "IndexedSlices": "learnet.sparse",
    "RaggedTensor": "learnet.ragged",
    "RaggedTensorSpec": "learnet.ragged",
    "TensorArray": "learnet.containers",
    "sets": "learnet.containers",
    "queue": "learnet.containers",
    "complex": "learnet.complex_math",
    "saturate_cast": "learnet.keras_ops",  # tf.saturate_cast: clip to the dtype's range, then cast
    # tf.make_tensor_proto / tf.make_ndarray: a tensor as TensorFlow's TensorProto record.
    "make_tensor_proto": "learnet.tensor_proto",
    "make_ndarray": "learnet.tensor_proto",
    # TensorFlow's top-level initializers (tf.random_normal_initializer(0.0, 0.02)).
    "constant_initializer": "learnet.initializers",
    "ones_initializer": "learnet.initializers",
    "zeros_initializer": "learnet.initializers",
    "random_normal_initializer": "learnet.initializers",
    "random_uniform_initializer": "learnet.initializers",
}


def __getattr__(name):
    import importlib

    if name in _LAZY_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    if name in _LAZY_NAMES:
        value = getattr(importlib.import_module(_LAZY_NAMES[name]), name)
        globals()[name] = value
        return value
    _raise_if_not_yet(name)
    raise AttributeError(f"module 'learnet' has no attribute {name!r}")


def _raise_if_not_yet(name):
    from learnet.not_yet import missing

    error = missing(__name__, name)
    if error is not None:
        raise error from None


def __dir__():
    return sorted(set(globals()) | set(_LAZY_MODULES) | set(_LAZY_NAMES))


# einops works on learnet tensors (without learnet importing einops): see learnet.einops_backend.
from learnet import einops_backend as _einops_backend  # noqa: E402

_einops_backend.install()
