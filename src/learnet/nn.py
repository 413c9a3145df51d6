"""``learnet.nn``: activation functions and cross-entropies with TensorFlow's names.

Examples
--------
>>> import learnet as tf
>>> tf.nn.relu(tf.constant([-1.0, 2.0])).numpy()
array([0., 2.], dtype=float32)
"""

from learnet.ctc import ctc_beam_search_decoder, ctc_greedy_decoder  # noqa: F401
from learnet.ctc import tf_ctc_loss as ctc_loss  # noqa: F401
from learnet.math import in_top_k, top_k  # noqa: F401
from learnet.ops.conv import (  # noqa: F401
    avg_pool1d,
    avg_pool2d,
    conv1d,
    conv2d,
    conv2d_transpose,
    depthwise_conv2d,
    max_pool1d,
    max_pool2d,
    separable_conv2d,
)
from learnet.ops.volumes import avg_pool, avg_pool3d, conv3d, conv3d_transpose, max_pool, max_pool3d  # noqa: F401
from learnet.ops.math import maximum as _maximum
from learnet.ops.math import minimum as _minimum
from learnet.ops.math import rsqrt as _rsqrt
from learnet.ops.nn import (  # noqa: F401
    dropout,
    elu,
    l2_loss,
    leaky_relu,
    log_sigmoid,
    log_softmax,
    moments,
    relu,
    sigmoid,
    sigmoid_cross_entropy_with_logits,
    softmax,
    softmax_cross_entropy_with_logits,
    softplus,
    softsign,
    sparse_softmax_cross_entropy_with_logits,
    tanh,
)
from learnet.ops.reduce import reduce_sum as _reduce_sum
from learnet.ops.shape import gather as _gather
from learnet.distribute.strategy import compute_average_loss, scale_regularization_loss  # noqa: F401
from learnet.tensor import Tensor, convert_to_tensor

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _tensor(x):
    return x if isinstance(x, Tensor) else convert_to_tensor(x)


def relu6(features, name=None):
    """``min(max(features, 0), 6)``."""
    return _minimum(relu(_tensor(features)), 6.0)


def selu(features, name=None):
    """Scaled ELU with the self-normalizing constants (use with ``lecun_normal`` weights)."""
    return _SELU_SCALE * elu(_tensor(features), alpha=_SELU_ALPHA)


def silu(features, beta=1.0):
    """``features * sigmoid(beta * features)``, also called swish."""
    x = _tensor(features)
    return x * sigmoid(x * beta if beta != 1.0 else x)


swish = silu


def bias_add(value, bias, data_format=None, name=None):
    """``value + bias``, the bias broadcast along the last (channels) axis."""
    value, bias = _tensor(value), _tensor(bias)
    if bias.ndim != 1 or (value.ndim and value.shape[-1] != bias.shape[0]):
        raise ValueError(
            f"bias_add expects a 1-D bias as long as the last axis of value {tuple(value.shape)}, "
            f"got a bias of shape {tuple(bias.shape)}"
        )
    return value + bias


def l2_normalize(x, axis=None, epsilon=1e-12, name=None):
    """``x / sqrt(max(sum(x ** 2, axis), epsilon))``: unit-length vectors along ``axis``.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.nn.l2_normalize(tf.constant([3.0, 4.0])).numpy()
    array([0.6, 0.8], dtype=float32)
    """
    x = _tensor(x)
    if isinstance(axis, list):
        axis = tuple(axis)
    squares = _reduce_sum(x * x, axis=axis, keepdims=True)
    return x * _rsqrt(_maximum(squares, epsilon))


def embedding_lookup(params, ids, max_norm=None, name=None):
    """The rows of ``params`` at ``ids`` (``tf.nn.embedding_lookup``); differentiable in ``params``."""
    if max_norm is not None:
        raise ValueError("embedding_lookup: max_norm is not supported; clip the rows yourself")
    return _gather(_tensor(params), ids)
