"""``learnet.nn``: activation functions and cross-entropies with TensorFlow's names.

Examples
--------
>>> import learnet as tf
>>> tf.nn.relu(tf.constant([-1.0, 2.0])).numpy()
array([0., 2.], dtype=float32)
"""

import math as _math

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
from learnet.ops.math import abs as _abs
from learnet.ops.math import exp as _exp
from learnet.ops.math import log as _log
from learnet.ops.math import log1p as _log1p
from learnet.ops.math import rsqrt as _rsqrt
from learnet.ops.math import pow as _pow
from learnet.ops.math import tanh as _tanh
from learnet.ops.math import where as _where
from learnet.ops.nn import moments as _moments
from learnet.ops.nn import (  # noqa: F401
    dropout,
    elu,
    l2_loss,
    leaky_relu,
    log_sigmoid,
    log_softmax,
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
from learnet.ops.special import erf as _erf
from learnet.math import zero_fraction  # noqa: F401
from learnet.ops.shape import concat as _concat
from learnet.ops.shape import gather as _gather
from learnet.ops.shape import pad as _pad
from learnet.ops.shape import reshape as _reshape
from learnet.ops.shape import transpose as _transpose
from learnet.distribute.strategy import compute_average_loss, scale_regularization_loss  # noqa: F401
from learnet.ops.reduce import cumsum as _cumsum
from learnet.ops.shape import squeeze as _squeeze
from learnet.backend import xp as _xp
from learnet.candidate_sampling import (  # noqa: F401
    all_candidate_sampler,
    compute_accidental_hits,
    fixed_unigram_candidate_sampler,
    learned_unigram_candidate_sampler,
    nce_loss,
    sampled_softmax_loss,
)
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


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """``x / sqrt(max(sum(x ** 2, axis), epsilon))``: unit-length vectors along ``axis``.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.nn.l2_normalize(tf.constant([3.0, 4.0])).numpy()
    array([0.6, 0.8], dtype=float32)
    """
    x = _tensor(x)
    axis = dim if axis is None and dim is not None else axis  # dim: TensorFlow's old name of axis
    if isinstance(axis, list):
        axis = tuple(axis)
    squares = _reduce_sum(x * x, axis=axis, keepdims=True)
    return x * _rsqrt(_maximum(squares, epsilon))


def embedding_lookup(params, ids, max_norm=None, name=None):
    """The rows of ``params`` at ``ids`` (``tf.nn.embedding_lookup``); differentiable in ``params``."""
    if max_norm is not None:
        raise ValueError("embedding_lookup: max_norm is not supported; clip the rows yourself")
    return _gather(_tensor(params), ids)


def gelu(features, approximate=False, name=None):
    """Gaussian error linear unit ``x * P(X <= x)``, X standard normal (``tf.nn.gelu``).

    ``approximate=True`` uses the tanh formula ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.nn.gelu(tf.constant([-1.0, 0.0, 1.0])).numpy()
    array([-0.15865526,  0.        ,  0.8413447 ], dtype=float32)
    """
    x = _tensor(features)
    if approximate:
        inner = _math.sqrt(2.0 / _math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1.0 + _tanh(inner))
    return 0.5 * x * (1.0 + _erf(x * (1.0 / _math.sqrt(2.0))))


def crelu(features, axis=-1, name=None):
    """Concatenated ReLU: ``relu(x)`` and ``relu(-x)`` side by side along ``axis`` (``tf.nn.crelu``)."""
    x = _tensor(features)
    return _concat([relu(x), relu(-x)], axis)


def log_poisson_loss(targets, log_input, compute_full_loss=False, name=None):
    """The negative log-likelihood of ``targets`` under a Poisson of rate ``exp(log_input)``, elementwise.

    ``exp(log_input) - targets * log_input``; with ``compute_full_loss`` also the Stirling
    approximation of ``log(targets!)``, ``z log z - z + 0.5 log(2 pi z)`` (0 for targets <= 1).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.nn.log_poisson_loss(tf.constant([1.0]), tf.constant([0.0])).numpy()
    array([1.], dtype=float32)
    """
    log_input = _tensor(log_input)
    targets = _tensor(targets) if isinstance(targets, Tensor) else convert_to_tensor(targets, dtype=log_input.dtype)
    if tuple(targets.shape) != tuple(log_input.shape):
        raise ValueError(
            f"log_poisson_loss: targets {tuple(targets.shape)} and log_input {tuple(log_input.shape)} "
            "must have the same shape"
        )
    loss = _exp(log_input) - log_input * targets
    if compute_full_loss:
        above_one = targets > 1
        safe = _where(above_one, targets, Tensor._wrap(_xp.ones((), dtype=targets.dtype)))
        stirling = safe * _log(safe) - safe + 0.5 * _log(2.0 * _math.pi * safe)
        loss = loss + _where(above_one, stirling, Tensor._wrap(_xp.zeros((), dtype=targets.dtype)))
    return loss


def weighted_cross_entropy_with_logits(labels, logits, pos_weight, name=None):
    """Sigmoid cross-entropy with the positive term weighted by ``pos_weight``, from logits, stably.

    ``pos_weight * labels * -log(sigmoid(logits)) + (1 - labels) * -log(1 - sigmoid(logits))``:
    above 1 it favours recall, below 1 precision (``tf.nn.weighted_cross_entropy_with_logits``).

    Examples
    --------
    >>> import learnet as tf
    >>> round(float(tf.nn.weighted_cross_entropy_with_logits(1.0, 0.0, pos_weight=2.0)), 4)
    1.3863
    """
    logits = _tensor(logits)
    labels = labels if isinstance(labels, Tensor) else convert_to_tensor(labels, dtype=logits.dtype)
    if tuple(labels.shape) != tuple(logits.shape):
        raise ValueError(
            f"weighted_cross_entropy_with_logits: labels {tuple(labels.shape)} and logits {tuple(logits.shape)} "
            "must have the same shape"
        )
    # -log(sigmoid(x)) = log(1 + exp(-|x|)) + max(-x, 0), written so that no exp overflows.
    softplus_of_negative = _log1p(_exp(-_abs(logits))) + relu(-logits)
    log_weight = 1.0 + (pos_weight - 1.0) * labels
    return (1.0 - labels) * logits + log_weight * softplus_of_negative


def local_response_normalization(input, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5, name=None):  # noqa: A002
    """Divide each channel by ``(bias + alpha * sum of squares of its neighbours) ** beta``.

    The sum runs over the channels ``d - depth_radius ... d + depth_radius`` of the last axis
    of a 4-D ``input`` (AlexNet's normalization, ``tf.nn.local_response_normalization``,
    also ``tf.nn.lrn``). Differentiable.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.nn.lrn(tf.ones((1, 1, 1, 3)), depth_radius=1, bias=0.0, alpha=1.0, beta=1.0).numpy().ravel()
    array([0.5       , 0.33333334, 0.5       ], dtype=float32)
    """
    x = _tensor(input)
    if x.ndim != 4:
        raise ValueError(f"local_response_normalization expects a 4-D input, got shape {tuple(x.shape)}")
    radius = int(depth_radius)
    if radius < 0:
        raise ValueError(f"local_response_normalization: depth_radius must be >= 0, got {depth_radius}")
    channels = x.shape[-1]
    # Window sums as differences of a running sum of the squares, padded so each window fits.
    padded = _pad(x * x, [[0, 0], [0, 0], [0, 0], [radius + 1, radius]])
    running = _cumsum(padded, axis=3)
    window = running[..., 2 * radius + 1 : 2 * radius + 1 + channels] - running[..., :channels]
    return x / _pow(bias + alpha * window, beta)


lrn = local_response_normalization


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """``scale * (x - mean) / sqrt(variance + variance_epsilon) + offset`` (``tf.nn.batch_normalization``).

    ``offset`` and ``scale`` may be None (0 and 1).
    """
    x = _tensor(x)
    inverse = _rsqrt(_tensor(variance) + variance_epsilon)
    if scale is not None:
        inverse = inverse * scale
    out = (x - mean) * inverse
    return out + offset if offset is not None else out


def moments(x, axes, shift=None, keepdims=False, name=None):
    """Mean and variance of ``x`` over ``axes`` (``tf.nn.moments``; ``shift`` is unused, as in TensorFlow).

    Examples
    --------
    >>> import learnet as tf
    >>> mean, variance = tf.nn.moments(tf.constant([1.0, 2.0, 3.0]), axes=[0])
    >>> float(mean), round(float(variance), 4)
    (2.0, 0.6667)
    """
    return _moments(_tensor(x), axes, keepdims=keepdims)


def sufficient_statistics(x, axes, shift=None, keepdims=False, name=None):
    """``(count, sum(x - shift), sum((x - shift) ** 2), shift)`` over ``axes`` (``tf.nn.sufficient_statistics``).

    Feed them to ``normalize_moments`` for the mean and variance.
    """
    x = _tensor(x)
    axes = [int(a) % x.ndim for a in (axes if isinstance(axes, (list, tuple)) else [axes])]
    count = 1
    for a in axes:
        count *= x.shape[a]
    shifted = x if shift is None else x - shift
    mean_ss = _reduce_sum(shifted, axis=tuple(axes), keepdims=keepdims)
    variance_ss = _reduce_sum(shifted * shifted, axis=tuple(axes), keepdims=keepdims)
    return convert_to_tensor(count, dtype=x.dtype), mean_ss, variance_ss, shift


def normalize_moments(counts, mean_ss, variance_ss, shift, name=None):
    """Mean and variance from ``sufficient_statistics``' sums (``tf.nn.normalize_moments``)."""
    divisor = 1.0 / _tensor(counts)
    shifted_mean = _tensor(mean_ss) * divisor
    mean = shifted_mean if shift is None else shifted_mean + shift
    variance = _tensor(variance_ss) * divisor - shifted_mean * shifted_mean
    return mean, variance


def weighted_moments(x, axes, frequency_weights, keepdims=False, name=None):
    """Mean and variance of ``x`` over ``axes``, each entry counted ``frequency_weights`` times (broadcast).

    Examples
    --------
    >>> import learnet as tf
    >>> mean, variance = tf.nn.weighted_moments(tf.constant([1.0, 3.0]), [0], tf.constant([3.0, 1.0]))
    >>> float(mean), float(variance)
    (1.5, 0.75)
    """
    x = _tensor(x)
    weights = _tensor(frequency_weights)
    axes = tuple(int(a) % x.ndim for a in (axes if isinstance(axes, (list, tuple)) else [axes]))
    weights = weights + Tensor._wrap(_xp.zeros(x.shape, dtype=weights.dtype))  # broadcast to x
    total = _reduce_sum(weights, axis=axes, keepdims=True)
    mean = _reduce_sum(weights * x, axis=axes, keepdims=True) / total
    variance = _reduce_sum(weights * (x - mean) * (x - mean), axis=axes, keepdims=True) / total
    if not keepdims:
        mean, variance = _squeeze(mean, axis=axes), _squeeze(variance, axis=axes)
    return mean, variance


def depth_to_space(input, block_size, data_format="NHWC", name=None):  # noqa: A002 - TensorFlow's name
    """Move blocks of channels into ``block_size x block_size`` patches of space (``tf.nn.depth_to_space``).

    ``(batch, h, w, c * b * b) -> (batch, h * b, w * b, c)``: the pixel shuffle of
    super-resolution networks. Differentiable.
    """
    x = _tensor(input)
    b = _block(block_size, data_format, x, "depth_to_space")
    batch, height, width, depth = x.shape
    if depth % (b * b):
        raise ValueError(f"depth_to_space: channels {depth} must be divisible by block_size**2 = {b * b}")
    blocks = _reshape(x, [batch, height, width, b, b, depth // (b * b)])
    return _reshape(_transpose(blocks, [0, 1, 3, 2, 4, 5]), [batch, height * b, width * b, depth // (b * b)])


def space_to_depth(input, block_size, data_format="NHWC", name=None):  # noqa: A002 - TensorFlow's name
    """Move ``block_size x block_size`` patches of space into channels (``tf.nn.space_to_depth``).

    ``(batch, h * b, w * b, c) -> (batch, h, w, c * b * b)``, the inverse of ``depth_to_space``.
    """
    x = _tensor(input)
    b = _block(block_size, data_format, x, "space_to_depth")
    batch, height, width, depth = x.shape
    if height % b or width % b:
        raise ValueError(f"space_to_depth: height {height} and width {width} must be divisible by block_size {b}")
    blocks = _reshape(x, [batch, height // b, b, width // b, b, depth])
    return _reshape(_transpose(blocks, [0, 1, 3, 2, 4, 5]), [batch, height // b, width // b, b * b * depth])


def _block(block_size, data_format, x, who):
    if data_format != "NHWC":
        raise ValueError(f"{who}: only data_format='NHWC' (channels last) is supported, got {data_format!r}")
    if x.ndim != 4:
        raise ValueError(f"{who} expects a 4-D input (batch, height, width, channels), got shape {tuple(x.shape)}")
    if int(block_size) < 2:
        raise ValueError(f"{who}: block_size must be at least 2, got {block_size}")
    return int(block_size)
