"""Activation functions, by name or as functions (``keras.activations``).

Layers accept either: ``Dense(64, activation="relu")`` or ``activation=activations.relu``
(or ``learnet.nn.relu``). ``softmax`` and ``sigmoid`` are ``learnet.nn``'s, so their
outputs remember their logits and a cross-entropy after them is computed stably.

Examples
--------
>>> import learnet as tf
>>> from learnet import activations
>>> activations.get("relu")(tf.constant([-1.0, 2.0])).numpy()
array([0., 2.], dtype=float32)
>>> activations.serialize(activations.get("softmax"))
'softmax'
"""

import math

from learnet import registry
from learnet.backend import xp
from learnet.ops import nn as _nn
from learnet.ops.math import clip_by_value, maximum, minimum, sqrt, where
from learnet.ops.math import exp as _exp
from learnet.ops.math import tanh as _tanh
from learnet.ops.reduce import cumsum, reduce_sum
from learnet.ops.shape import sort
from learnet.tape import primitive
from learnet.tensor import Tensor


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0, alpha=None):
    """Rectified linear unit ``max(x, 0)``, with Keras' options.

    Parameters
    ----------
    negative_slope : float, default 0
        Slope below the threshold (``alpha`` is the older Keras name).
    max_value : float, optional
        Clip the output at this value (``relu6`` is ``max_value=6``).
    threshold : float, default 0
        Values below it are zeroed (or scaled by ``negative_slope``).
    """
    x = _tensor(x)
    if alpha is not None:
        negative_slope = alpha
    if negative_slope == 0 and max_value is None and threshold == 0:
        return _nn.relu(x)
    if threshold == 0:
        y = _nn.relu(x) if negative_slope == 0 else _nn.leaky_relu(x, alpha=negative_slope)
    else:
        below = negative_slope * (x - threshold)
        y = where(x >= threshold, x, below if negative_slope else x * 0.0)
    if max_value is not None:
        y = minimum(y, float(max_value))
    return y


def relu6(x):
    """``min(max(x, 0), 6)``."""
    return relu(x, max_value=6.0)


def leaky_relu(x, negative_slope=0.2, alpha=None):
    """``x`` where positive, ``negative_slope * x`` elsewhere."""
    return _nn.leaky_relu(_tensor(x), alpha=negative_slope if alpha is None else alpha)


def elu(x, alpha=1.0):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    return _nn.elu(_tensor(x), alpha=alpha)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x):
    """Scaled ELU: ``scale * elu(x, alpha)`` with the self-normalizing constants."""
    return _SELU_SCALE * _nn.elu(_tensor(x), alpha=_SELU_ALPHA)


def sigmoid(x):
    """``1 / (1 + exp(-x))`` (remembers its logits for a stable cross-entropy)."""
    return _nn.sigmoid(_tensor(x))


def hard_sigmoid(x):
    """Piecewise linear sigmoid: ``clip(x / 6 + 0.5, 0, 1)`` (Keras 3's definition)."""
    return relu(_tensor(x) / 6.0 + 0.5, max_value=1.0)


def tanh(x):
    """Hyperbolic tangent."""
    return _tanh(_tensor(x))


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis`` (remembers its logits for a stable cross-entropy)."""
    return _nn.softmax(_tensor(x), axis=axis)


def log_softmax(x, axis=-1):
    """``log(softmax(x))``, computed stably."""
    return _nn.log_softmax(_tensor(x), axis=axis)


def softplus(x):
    """``log(1 + exp(x))``."""
    return _nn.softplus(_tensor(x))


def softsign(x):
    """``x / (1 + |x|)``."""
    return _nn.softsign(_tensor(x))


def swish(x):
    """``x * sigmoid(x)`` (also called SiLU)."""
    x = _tensor(x)
    return x * _nn.sigmoid(x)


silu = swish


def hard_silu(x):
    """``x * hard_sigmoid(x)``."""
    x = _tensor(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def mish(x):
    """``x * tanh(softplus(x))``."""
    x = _tensor(x)
    return x * _tanh(_nn.softplus(x))


def exponential(x):
    """``exp(x)``."""
    return _exp(_tensor(x))


def linear(x):
    """The identity: what ``activation=None`` means."""
    return x


# erf by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7, under float32's step).
def _erf(x):
    sign = xp.sign(x)
    z = xp.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * xp.exp(-z * z))


@primitive
def _gelu_exact(x):
    cdf = (0.5 * (1.0 + _erf(x / math.sqrt(2.0)))).astype(x.dtype, copy=False)

    def backward(g, x, out):
        pdf = _exp(-0.5 * x * x) * (1.0 / math.sqrt(2.0 * math.pi))
        return g * (Tensor._wrap(cdf) + x * pdf)

    return x * cdf, backward


def gelu(x, approximate=False):
    """Gaussian error linear unit ``x * P(X <= x)``, X standard normal.

    ``approximate=True`` uses the tanh formula ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.
    """
    x = _tensor(x)
    if approximate:
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1.0 + _tanh(inner))
    return _gelu_exact(x)


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``, computed stably."""
    return -_nn.softplus(-_tensor(x))


def celu(x, alpha=1.0):
    """Continuously differentiable ELU: ``x`` where positive, ``alpha * (exp(x / alpha) - 1)`` elsewhere."""
    x = _tensor(x)
    # exp of the clipped value only: the branch not taken must not overflow into a NaN gradient.
    negative = alpha * (_exp(minimum(x, 0.0) / alpha) - 1.0)
    return where(x > 0, x, negative)


def glu(x, axis=-1):
    """Gated linear unit: the first half of ``x`` along ``axis`` times the sigmoid of the second.

    Examples
    --------
    >>> from learnet import activations
    >>> activations.glu([[1.0, 2.0, 0.0, 0.0]]).numpy()
    array([[0.5, 1. ]], dtype=float32)
    """
    x = _tensor(x)
    size = x.shape[axis]
    if size % 2:
        raise ValueError(f"glu: axis {axis} must have an even size to split in halves, got shape {tuple(x.shape)}")
    key = [slice(None)] * x.ndim
    key[axis] = slice(None, size // 2)
    a = x[tuple(key)]
    key[axis] = slice(size // 2, None)
    return a * _nn.sigmoid(x[tuple(key)])


def hard_tanh(x):
    """``clip(x, -1, 1)``."""
    return clip_by_value(_tensor(x), -1.0, 1.0)


def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0."""
    x = _tensor(x)
    return where((x > threshold) | (x < -threshold), x, x * 0.0)


def soft_shrink(x, threshold=0.5):
    """``x`` moved ``threshold`` towards 0, and 0 within ``[-threshold, threshold]``."""
    x = _tensor(x)
    return where(x > threshold, x - threshold, where(x < -threshold, x + threshold, x * 0.0))


def tanh_shrink(x):
    """``x - tanh(x)``."""
    x = _tensor(x)
    return x - _tanh(x)


def squareplus(x, b=4):
    """``(x + sqrt(x**2 + b)) / 2``, a smooth ReLU."""
    x = _tensor(x)
    return (x + sqrt(x * x + float(b))) / 2.0


def sparse_plus(x):
    """0 below -1, ``x`` above 1, and ``(x + 1)**2 / 4`` between: a softplus with flat ends."""
    x = _tensor(x)
    middle = clip_by_value(x, -1.0, 1.0) + 1.0
    return where(x >= 1.0, x, middle * middle / 4.0)


def sparse_sigmoid(x):
    """``clip((x + 1) / 2, 0, 1)``: a sigmoid that is exactly 0 and 1 outside ``[-1, 1]``."""
    return clip_by_value((_tensor(x) + 1.0) / 2.0, 0.0, 1.0)


def sparsemax(x, axis=-1):
    """The Euclidean projection of ``x`` onto the probability simplex along ``axis``.

    Like softmax it sums to one, but small entries are exactly 0.

    Examples
    --------
    >>> from learnet import activations
    >>> activations.sparsemax([[2.0, 1.0, -1.0]]).numpy()
    array([[1., 0., 0.]], dtype=float32)
    """
    x = _tensor(x)
    axis = int(axis) % x.ndim
    descending = -sort(-x, axis=axis)
    running = cumsum(descending, axis=axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    rank = Tensor._wrap(xp.arange(1, x.shape[axis] + 1, dtype=x.dtype).reshape(shape))
    support = (descending - (running - 1.0) / rank) > 0
    k = reduce_sum(Tensor._wrap(support._value.astype(x.dtype)), axis=axis, keepdims=True)
    tau = (reduce_sum(where(support, running, running * 0.0), axis=axis, keepdims=True) - 1.0) / k
    return maximum(x - tau, 0.0)


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``."""
    x = _tensor(x)
    return where(x > threshold, x, x * 0.0 + default_value)


_BY_NAME = {
    "relu": relu,
    "relu6": relu6,
    "leaky_relu": leaky_relu,
    "elu": elu,
    "selu": selu,
    "sigmoid": sigmoid,
    "hard_sigmoid": hard_sigmoid,
    "tanh": tanh,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "softplus": softplus,
    "softsign": softsign,
    "swish": swish,
    "silu": silu,
    "hard_silu": hard_silu,
    "hard_swish": hard_swish,
    "mish": mish,
    "exponential": exponential,
    "linear": linear,
    "gelu": gelu,
    "log_sigmoid": log_sigmoid,
    "celu": celu,
    "glu": glu,
    "hard_tanh": hard_tanh,
    "hard_shrink": hard_shrink,
    "soft_shrink": soft_shrink,
    "tanh_shrink": tanh_shrink,
    "squareplus": squareplus,
    "sparse_plus": sparse_plus,
    "sparse_sigmoid": sparse_sigmoid,
    "sparsemax": sparsemax,
    "threshold": threshold,
}

# Names of functions that are Keras activations under another name: Keras 3 writes swish as "silu";
# and the names TensorFlow gives library functions (registry's table of them: tf.nn.swish is
# "swish", tf.nn.softmax "softmax_v2"), which Keras 3 writes in a form it cannot load back, where
# learnet writes the activation that computes the same.
_ACTIVATION_OF_LIBRARY_NAME = {
    "swish": "silu",
    "softmax_v2": "softmax",
    "log_softmax_v2": "log_softmax",
    "exp": "exponential",
    "identity": "linear",
}


def serialize(activation):
    """The name of an activation function (``"relu"``), for ``get_config``.

    A library function is written as Keras 3 writes it: by the name of the Keras activation
    that computes the same (``tf.nn.gelu`` and ``keras.ops.gelu`` are ``"gelu"``), else by its
    name in TensorFlow (``tf.abs`` is ``"abs"``), which ``get`` finds again. A function of your
    own is written by the name it was registered under.

    Raises ``ValueError`` for a function learnet does not know by name.

    Examples
    --------
    >>> import learnet as tf
    >>> serialize(tf.nn.gelu), serialize(tf.nn.swish), serialize(tf.abs)
    ('gelu', 'silu', 'abs')
    """
    if activation is None:
        return "linear"
    activation = _unwrapped(activation)
    name = getattr(activation, "__name__", None)
    if name in _BY_NAME and _unwrapped(_BY_NAME[name]) is activation:
        return _ACTIVATION_OF_LIBRARY_NAME.get(name, name)
    library = registry.library_function_name(activation)
    if library is not None:
        return _ACTIVATION_OF_LIBRARY_NAME.get(library, library)
    if hasattr(activation, "get_config"):
        return {"class_name": type(activation).__name__, "config": activation.get_config()}
    # A function of the user's own: saved by the name it was registered under ("Custom>name").
    return registry.function_name_for_saving(activation, "activation")


def deserialize(name):
    """The inverse of ``serialize``."""
    return get(name)


def get(identifier):
    """Turn ``None``, a name (``"relu"``) or a callable into an activation function.

    ``None`` is ``linear``. Unknown names raise a ``ValueError`` listing the known ones.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        function = _BY_NAME.get(identifier.lower())
        if function is None:
            function = registry.get_registered_object(identifier)  # registered, or in custom_objects
        if function is None:
            function = registry.library_function(identifier)  # "abs": tf.abs, as serialize writes it
        if function is None or not callable(function):
            raise ValueError(
                f"unknown activation {identifier!r}; known ones: {', '.join(sorted(_BY_NAME))}. If it is "
                f"your own function, register it or pass custom_objects={{{identifier.split('>')[-1]!r}: ...}}"
            )
        return function
    if isinstance(identifier, dict) and identifier.get("class_name") == "function":
        # Keras 3's form of a function given by name: {"module": "builtins", "class_name": "function", "config": "abs"}.
        if not isinstance(identifier.get("config"), str):
            raise ValueError(f"unknown activation {identifier!r}: a function is named by a string")
        return get(identifier["config"])
    if isinstance(identifier, dict):
        name = identifier.get("class_name") or identifier.get("config", {}).get("name")
        if isinstance(name, str) and name.lower() in _BY_NAME:
            return _BY_NAME[name.lower()]
        # A layer by class name ("ReLU"), learnet's or one the user registered: no import of layers.
        cls = registry.get_registered_object(str(name)) or registry.builtin_class(str(name))
        if cls is None:
            raise ValueError(f"unknown activation {identifier!r}")
        return cls.from_config(identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise TypeError(f"an activation must be a name or a function, got {identifier!r}")


def _unwrapped(function):
    """``tf.nn.relu`` itself, not the wrapper that lets it record calls on symbolic tensors
    (``keras_ops.record_symbolic_calls``): its name is found by the function."""
    return function.__wrapped__ if getattr(function, "_records_symbolic", False) else function


# keras.activations.relu(x) on the symbolic tensors of a functional model records a node of the
# graph (learnet/layers/operation.py), as Keras does: the keras.ops operation Keras records where
# there is one (so the model saves as a .keras file Keras reads), else the activation by name. On
# tensors nothing changes. Wrapped once, here, so that `activations.relu`, `get("relu")` and the
# layers' fused-ReLU checks all see the same object.
_AS_KERAS_OPS = {
    "relu": "relu",
    "relu6": "relu6",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "softplus": "softplus",
    "swish": "silu",
    "silu": "silu",
    "gelu": "gelu",
    "elu": "elu",
    "softmax": "softmax",
    "log_softmax": "log_softmax",
    "exponential": "exp",
    "log_sigmoid": "log_sigmoid",
    "celu": "celu",
    "glu": "glu",
    "hard_tanh": "hard_tanh",
    "hard_shrink": "hard_shrink",
    "soft_shrink": "soft_shrink",
    "tanh_shrink": "tanh_shrink",
    "squareplus": "squareplus",
    "sparse_plus": "sparse_plus",
    "sparse_sigmoid": "sparse_sigmoid",
    "sparsemax": "sparsemax",
}


def _recorded_on_symbolic(name, function):
    keras_op = _AS_KERAS_OPS.get(name)

    def activation(*args, **kwargs):
        if not args or type(args[0]).__name__ != "KerasTensor":
            return function(*args, **kwargs)
        # The symbolic tensor records the call (activations sit below the layers that define it).
        if keras_op is not None and len(args) == 1 and set(kwargs) <= {"axis"}:
            return args[0]._record_call(keras_op, None, args, kwargs)
        return args[0]._record_call("tf:activations." + name, function, args, kwargs)

    activation.__name__, activation.__qualname__, activation.__doc__ = (
        function.__name__,
        function.__qualname__,
        function.__doc__,
    )
    activation.__module__, activation.__wrapped__, activation._records_symbolic = __name__, function, True
    return activation


_BY_NAME = {name: _recorded_on_symbolic(name, function) for name, function in _BY_NAME.items()}
globals().update({function.__name__: _BY_NAME[function.__name__] for function in list(_BY_NAME.values())})
globals().update({"silu": _BY_NAME["silu"], "hard_swish": _BY_NAME["hard_swish"]})
