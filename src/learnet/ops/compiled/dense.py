"""The element-wise passes of a ``Dense(..., activation="relu")`` layer, fused.

``learnet.ops.nn.dense`` computes ``relu(x @ kernel + bias)`` as one op. Around its
matrix products the NumPy reference makes separate passes over the ``(batch, units)``
output: the bias add and the ReLU forward; the ReLU mask (a boolean array, then a
product) and the bias gradient's column sums backward. Here each direction is one
loop over the rows, with the same float operations in the same order as the reference
(the column sums accumulate row after row in the output's dtype, as NumPy's
``sum(axis=0)`` does), so the results equal it bit for bit.

Only imported when the compiled kernels are on (``learnet.ops.compiled.enabled()``);
it needs numba (the ``fast`` extra).

Examples
--------
>>> import numpy as np
>>> from learnet.ops.compiled import dense
>>> out = np.array([[1.0, -2.0], [-0.5, 3.0]], np.float32)
>>> dense.bias_relu(out, np.array([0.25, 1.0], np.float32))
>>> out
array([[1.25, 0.  ],
       [0.  , 4.  ]], dtype=float32)
>>> g = np.ones((2, 2), np.float32)
>>> masked, bias_gradient = dense.relu_gradient_and_bias_sum(g, out)
>>> masked, bias_gradient
(array([[1., 0.],
       [0., 1.]], dtype=float32), array([1., 1.], dtype=float32))
"""

import numpy

from learnet.ops import compiled
from learnet.ops.compiled.aot import variants

_T = {"T": ("f4", "f8")}


@compiled.loop(
    variants("void({T}[:, ::1], {T}[::1])", **_T) + variants("void({T}[:, ::1], {T}[:])", **_T),
    reads=(1,),
    cache=True,
    error_model="numpy",
)
def _bias_relu(out, bias):
    rows, columns = out.shape
    for i in range(rows):
        row = out[i]
        for j in range(columns):
            value = row[j] + bias[j]
            # numpy.maximum(value, 0): NaN stays NaN.
            row[j] = value if (value >= 0 or value != value) else 0


def bias_relu(out, bias):
    """``out = maximum(out + bias, 0)`` in place, for a C-contiguous ``(rows, units)`` ``out``."""
    _bias_relu(out, bias.astype(out.dtype, copy=False))


@compiled.loop(
    variants("void({T}[:, ::1], {T}[:, ::1], {T}[:, ::1], {T}[::1], {T}, {T})", **_T)
    + variants("void({T}[:, :], {T}[:, :], {T}[:, ::1], {T}[::1], {T}, {T})", **_T),
    reads=(0, 1),
    cache=True,
    error_model="numpy",
)
def _relu_gradient_and_bias_sum(g, out, masked, bias_gradient, one, zero):
    rows, columns = g.shape
    for j in range(columns):
        bias_gradient[j] = zero
    for i in range(rows):
        g_row, out_row, masked_row = g[i], out[i], masked[i]
        for j in range(columns):
            # g * (out > 0) as the reference computes it: times 1 or times 0 (a NaN stays NaN).
            value = g_row[j] * (one if out_row[j] > 0 else zero)
            masked_row[j] = value
            bias_gradient[j] += value


def relu_gradient_and_bias_sum(g, out):
    """The ReLU's gradient ``g * (out > 0)`` and its column sums (the bias gradient), in one pass.

    ``g`` and ``out`` are ``(rows, units)`` arrays of one float dtype; ``g`` need not be
    contiguous. Returns two new arrays.
    """
    masked = numpy.empty(g.shape, g.dtype)
    bias_gradient = numpy.empty(g.shape[1], g.dtype)
    scalar = g.dtype.type
    _relu_gradient_and_bias_sum(g, out, masked, bias_gradient, scalar(1), scalar(0))
    return masked, bias_gradient


__all__ = ["bias_relu", "relu_gradient_and_bias_sum"]
