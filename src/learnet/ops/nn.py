"""Neural-network ops: activation functions and the cross-entropies.

``softmax`` and ``sigmoid`` remember the logits they were computed from
(``_from_logits``), so a cross-entropy that receives their output can compute the loss
from the logits in one stable step: a user writes ``Dense(10, activation="softmax")``
with ``"categorical_crossentropy"`` and still never takes the log of a zero.
"""

from learnet import backend
from learnet.backend import xp
from learnet.ops import compiled
from learnet.ops.math import cast_like, exp, unbroadcast
from learnet.ops.reduce import reduce_logsumexp, reduce_sum
from learnet.ops.shape import expand_dims
from learnet.tape import is_recording, primitive
from learnet.tensor import Tensor, to_array


@primitive
def relu(features, name=None):
    """Rectified linear unit: ``max(x, 0)``. Its gradient at 0 is taken as 0."""
    return xp.maximum(features, 0), lambda g, x, out: g * cast_like(x > 0, g)


@primitive(inputs=1)
def leaky_relu(features, alpha=0.2, name=None):
    """``x`` where positive, ``alpha * x`` elsewhere (TensorFlow's default alpha is 0.2)."""
    slope = features.dtype.type(alpha)

    def backward(g, x, out):
        if not is_recording():  # no second derivative wanted: one select on the raw arrays
            return xp.where(x._value > 0, g._value, g._value * slope)
        positive = cast_like(x > 0, g)
        return g * (positive + alpha * (1 - positive))

    if 0 <= alpha <= 1:  # max(x, alpha * x): two passes instead of a mask, a product and a select
        return xp.maximum(features, features * slope), backward
    return xp.where(features > 0, features, features * slope), backward


@primitive(inputs=1)
def elu(features, alpha=1.0, name=None):
    """Exponential linear unit: ``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""

    def backward(g, x, out):
        positive = cast_like(x > 0, g)
        return g * (positive + (1 - positive) * (out + alpha))

    negative = features.dtype.type(alpha) * xp.expm1(xp.minimum(features, 0))
    return xp.where(features > 0, features, negative), backward


def _stable_sigmoid(x):
    # exp of a non-positive number never overflows.
    z = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype, copy=False)


@primitive
def _sigmoid(x):
    return _stable_sigmoid(x), lambda g, x, out: g * out * (1 - out)


def sigmoid(x, name=None):
    """The logistic function ``1 / (1 + exp(-x))``, computed without overflow."""
    y = _sigmoid(x)
    y._from_logits = ("sigmoid", x if isinstance(x, Tensor) else None)
    return y


@primitive
def softplus(features, name=None):
    """``log(1 + exp(x))``, computed without overflow; its derivative is the sigmoid."""
    x = features
    result = xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))
    return result.astype(x.dtype, copy=False), lambda g, x, out: g * sigmoid(x)


@primitive
def softsign(features, name=None):
    """``x / (1 + |x|)``."""
    from learnet.ops.math import abs as absolute

    return features / (1 + xp.abs(features)), lambda g, x, out: g / ((1 + absolute(x)) ** 2)


def tanh(x, name=None):
    """Hyperbolic tangent (the same op as ``learnet.tanh``)."""
    from learnet.ops.math import tanh as tanh_op

    return tanh_op(x)


@primitive(inputs=1)
def _softmax(logits, axis=-1):
    shifted = logits - xp.max(logits, axis=axis, keepdims=True)
    e = xp.exp(shifted)
    y = e / xp.sum(e, axis=axis, keepdims=True)
    return y, lambda g, x, out: out * (g - reduce_sum(g * out, axis=axis, keepdims=True))


def softmax(logits, axis=-1, name=None):
    """Softmax: ``exp(x) / sum(exp(x))`` along ``axis``, computed stably.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.nn.softmax(tf.constant([0.0, 0.0])).numpy()
    array([0.5, 0.5], dtype=float32)
    """
    y = _softmax(logits, axis=axis)
    if isinstance(logits, Tensor) and axis in (-1, logits.ndim - 1):
        y._from_logits = ("softmax", logits)
    return y


@primitive(inputs=1)
def log_softmax(logits, axis=-1, name=None):
    """``log(softmax(x))`` along ``axis``, computed stably."""
    shifted = logits - xp.max(logits, axis=axis, keepdims=True)
    y = shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))
    return y, lambda g, x, out: g - exp(out) * reduce_sum(g, axis=axis, keepdims=True)


def _labels_like(labels, logits, name):
    labels = labels if isinstance(labels, Tensor) else Tensor._wrap(to_array(labels, logits.dtype))
    if labels.dtype != logits.dtype:
        labels = Tensor._wrap(labels._value.astype(logits.dtype))
    if tuple(labels.shape) != tuple(logits.shape):
        raise ValueError(
            f"{name}: labels of shape {tuple(labels.shape)} do not match logits of shape {tuple(logits.shape)}"
        )
    return labels


def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    """Cross-entropy between ``labels`` (probabilities, e.g. one-hot) and ``softmax(logits)``.

    Returns one loss per example (the class axis is summed away). Computed as
    ``sum(labels) * logsumexp(logits) - sum(labels * logits)``: stable for any logits.
    """
    logits = logits if isinstance(logits, Tensor) else Tensor(logits)
    labels = _labels_like(labels, logits, "softmax_cross_entropy_with_logits")
    # -sum(y * log_softmax(z)) = sum(y) * logsumexp(z) - sum(y * z); sum(y) is 1 for
    # one-hot labels, but not for soft or multi-hot ones.
    total = reduce_sum(labels, axis=axis)
    return total * reduce_logsumexp(logits, axis=axis) - reduce_sum(labels * logits, axis=axis)


@primitive(inputs=2, higher_order=False)
def _sparse_softmax_cross_entropy(labels, logits):
    # A fused kernel: it runs at every training step of a classifier, so the forward
    # keeps the probabilities and the backward is one subtraction, (softmax - one_hot) * g.
    n_classes = logits.shape[-1]
    shifted = logits - xp.max(logits, axis=-1, keepdims=True)
    exps = xp.exp(shifted)
    sums = xp.sum(exps, axis=-1, keepdims=True)
    # Each example's true class as a position in the flattened array: one index array,
    # cheaper than indexing (row, class) pairs.
    picks = xp.arange(0, labels.size * n_classes, n_classes) + labels.reshape(-1).astype(xp.intp)
    picked = shifted.reshape(-1)[picks].reshape(labels.shape)
    loss = xp.log(sums[..., 0]) - picked

    def backward(g, labels, logits, out):
        grad = exps / sums
        grad.reshape(-1)[picks] -= 1
        grad *= g[..., None]
        return None, grad

    def higher_order_backward(g, labels, logits, out):
        # The same gradient with learnet ops, for an outer tape (see primitive): the
        # softmax is differentiable again, the one-hot labels are constants.
        hot = Tensor._wrap((labels._value[..., None] == xp.arange(n_classes)).astype(logits.dtype))
        return None, expand_dims(g, -1) * (_softmax(logits) - hot)

    backward.higher_order_backward = higher_order_backward
    return loss, backward


def sparse_softmax_cross_entropy_with_logits(labels, logits, name=None):
    """Cross-entropy with integer class ``labels`` (not one-hot), from ``logits``.

    Parameters
    ----------
    labels : int tensor of shape ``logits.shape[:-1]``
        Class indices in ``[0, n_classes)``.
    logits : float tensor of shape ``(..., n_classes)``

    Returns one loss per example, computed stably (no softmax is ever logged).
    """
    logits = logits if isinstance(logits, Tensor) else Tensor(logits)
    labels = to_array(labels)
    checked = backend.on_host(labels)  # reading a GPU's labels would stop every step
    if labels.dtype.kind == "f":
        if checked and not xp.all(labels == xp.round(labels)):
            raise ValueError("sparse cross-entropy: labels must be whole class numbers, got fractions")
        labels = labels.astype(xp.int64)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"sparse cross-entropy: labels must be integers, got {labels.dtype}")
    if tuple(labels.shape) != tuple(logits.shape[:-1]):
        raise ValueError(
            f"sparse cross-entropy: labels of shape {tuple(labels.shape)} do not match logits of shape "
            f"{tuple(logits.shape)} (expected labels of shape {tuple(logits.shape[:-1])})"
        )
    n_classes = logits.shape[-1]
    if checked and labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"sparse cross-entropy: labels must be in [0, {n_classes}), got values from "
            f"{int(labels.min())} to {int(labels.max())}"
        )
    return _sparse_softmax_cross_entropy(Tensor._wrap(labels), logits)


@primitive(inputs=2)
def _sigmoid_cross_entropy(labels, logits):
    # max(x, 0) - x*z + log(1 + exp(-|x|)): the stable form of -z log(s) - (1-z) log(1-s).
    x, z = logits, labels
    loss = xp.maximum(x, 0) - x * z + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(g, labels, logits, out):
        return (
            unbroadcast(-g * logits, labels.shape),
            unbroadcast(g * (sigmoid(logits) - labels), logits.shape),
        )

    return loss.astype(x.dtype, copy=False), backward


def sigmoid_cross_entropy_with_logits(labels, logits, name=None):
    """Elementwise binary cross-entropy between ``labels`` in [0, 1] and ``sigmoid(logits)``."""
    logits = logits if isinstance(logits, Tensor) else Tensor(logits)
    labels = _labels_like(labels, logits, "sigmoid_cross_entropy_with_logits")
    return _sigmoid_cross_entropy(labels, logits)


def dropout(x, rate, noise_shape=None, seed=None, training=True, name=None):
    """Zero each element with probability ``rate`` and scale the rest by ``1 / (1 - rate)``.

    The scaling keeps the expected value, so nothing changes at inference (inverted dropout).
    """
    from learnet import backend

    if not 0 <= rate < 1:
        raise ValueError(f"dropout: rate must be in [0, 1), got {rate}")
    x = x if isinstance(x, Tensor) else Tensor(x)
    if rate == 0 or not training:
        return x
    generator = backend.rng() if seed is None else xp.random.default_rng(seed)
    shape = x.shape if noise_shape is None else tuple(noise_shape)
    keep = generator.random(shape, dtype=xp.float32) >= rate
    return apply_dropout_mask(x, keep, rate)


def _masked_kernel(x, mask):
    try:
        fits = xp.broadcast_shapes(mask.shape, x.shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"dropout: a mask of shape {tuple(mask.shape)} does not fit inputs of shape {tuple(x.shape)}")

    def backward(g, x, out):
        if not is_recording():  # no second derivative wanted: a plain product
            return g._value * mask
        return g * Tensor._wrap(mask)

    return x * mask, backward


_masked_kernel.__name__ = "dropout"  # the name errors show
_masked = primitive(inputs=1)(_masked_kernel)


def apply_dropout_mask(x, keep, rate):
    """``x`` where ``keep`` is True, scaled by ``1 / (1 - rate)``; 0 elsewhere (inverted dropout).

    ``keep`` is a boolean array broadcasting to ``x``'s shape (the layer's ``noise_shape``).
    One op whose gradient is ``g`` times the same scaled mask (the mask, a constant, gets
    none), with the mask made in one pass from the booleans.
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    mask = xp.multiply(keep, x.dtype.type(1.0 / (1.0 - rate)))  # bool * float: the float dtype
    return _masked(x, mask)


# --- the fused dense kernel (Dense layers) -------------------------------------------------------
def _dense_backward(relu, with_bias):
    def backward(g, x, kernel, *rest):
        out = rest[-1]
        if not is_recording():
            # No other tape records this backward pass, so no second derivative can be
            # asked of it: plain array products, without the per-op cost of learnet ops.
            g_array = g._value
            if relu and with_bias and g_array.ndim == 2 and compiled.enabled():
                # One compiled pass for the mask and the bias gradient (the same numbers as below).
                g_array, bias_gradient = _compiled_dense().relu_gradient_and_bias_sum(g_array, out._value)
                return (lambda: g_array @ kernel._value.T, lambda: x._value.T @ g_array, lambda: bias_gradient)
            if relu:
                g_array = xp.multiply(g_array, out._value > 0)  # float times bool: stays float
            grads = (lambda: g_array @ kernel._value.T, lambda: x._value.T @ g_array)
            return grads + ((lambda: g_array.sum(axis=0)),) if with_bias else grads
        from learnet.ops.linalg import matmul

        if relu:
            g = g * cast_like(out > 0, g)
        grads = (lambda: matmul(g, kernel, transpose_b=True), lambda: matmul(x, g, transpose_a=True))
        return grads + ((lambda: reduce_sum(g, axis=0)),) if with_bias else grads

    return backward


def _dense_forward(x, kernel, bias, relu):
    out = x @ kernel
    if relu and bias is not None and bias.dtype == out.dtype and out.ndim == 2 and compiled.enabled():
        _compiled_dense().bias_relu(out, bias)  # one compiled pass for the two below
        return out
    if bias is not None:
        out += bias
    if relu:
        xp.maximum(out, 0, out=out)
    return out


def _compiled_dense():
    """``learnet.ops.compiled.dense``, imported on first use (it needs numba)."""
    from learnet.ops.compiled import dense

    return dense


def _dense_bias_kernel(x, kernel, bias, relu=False):
    return _dense_forward(x, kernel, bias, relu), _dense_backward(relu, True)


def _dense_no_bias_kernel(x, kernel, relu=False):
    return _dense_forward(x, kernel, None, relu), _dense_backward(relu, False)


_dense_bias_kernel.__name__ = _dense_no_bias_kernel.__name__ = "dense"  # the name errors show
_dense_bias = primitive(inputs=3)(_dense_bias_kernel)
_dense_no_bias = primitive(inputs=2)(_dense_no_bias_kernel)


def dense(x, kernel, bias=None, relu=False):
    """``x @ kernel + bias`` (then ``relu`` if asked) as one op: what a ``Dense`` layer computes.

    ``x`` is a matrix ``(batch, features)``. One op instead of three (product, bias,
    activation): the bias and the ReLU run in place on the product, and when no outer
    tape records the backward pass (no second derivative is wanted) the gradients are
    three plain array products. Under an outer tape the backward is written with learnet
    ops, so second derivatives work as for ``relu(matmul(x, kernel) + bias)``.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.ops.nn import dense
    >>> dense(tf.constant([[1.0, -2.0]]), tf.ones((2, 3)), tf.constant([0.5, 1.0, 1.5]), relu=True).numpy()
    array([[0. , 0. , 0.5]], dtype=float32)
    """
    if bias is None:
        return _dense_no_bias(x, kernel, relu=relu)
    return _dense_bias(x, kernel, bias, relu=relu)


def l2_loss(t, name=None):
    """``sum(t ** 2) / 2``."""
    return reduce_sum(t * t) / 2


def log_sigmoid(x):
    """``log(sigmoid(x))``, stable."""
    from learnet.ops.math import negative

    return negative(softplus(negative(x)))


def moments(x, axes, shift=None, keepdims=False, name=None):
    """Mean and variance of ``x`` over ``axes`` (``tf.nn.moments``; ``shift`` is unused, as in TensorFlow)."""
    from learnet.ops.reduce import reduce_mean
    from learnet.ops.math import square

    mean = reduce_mean(x, axis=axes, keepdims=True)
    variance = reduce_mean(square(x - mean), axis=axes, keepdims=keepdims)
    if not keepdims:
        from learnet.ops.shape import squeeze

        mean = squeeze(mean, axis=axes)
    return mean, variance


__all__ = [
    "relu",
    "leaky_relu",
    "elu",
    "sigmoid",
    "softplus",
    "softsign",
    "tanh",
    "softmax",
    "log_softmax",
    "softmax_cross_entropy_with_logits",
    "sparse_softmax_cross_entropy_with_logits",
    "sigmoid_cross_entropy_with_logits",
    "dropout",
    "l2_loss",
    "log_sigmoid",
    "moments",
]
