"""Compiled kernels for the memory-bound passes of a convolutional network.

Each function here does what a piece of ``learnet.ops.conv`` does in NumPy, in one
loop compiled by numba (``prange`` over the images of the batch, or over rows, on
``num_threads()`` threads): the NumPy code in ``ops/conv.py`` stays the readable reference,
and ``tests/ops/test_compiled_conv.py`` checks the two against each other.

- ``bias_relu``: ``out += bias`` then ``max(out, 0)``, one pass in place.
- ``relu_bias_gradient``: ``g * (out > 0)`` and the bias's gradient (the sum of that
  over every pixel) in the same pass.
- ``col2im``: the patches' gradients (one matrix product ``g @ kernel^T`` for all
  kernel offsets) added back into the image, image by image.
- ``direct_conv``: at inference (no tape), a convolution with few input values per
  patch (a first layer on 1- or 3-channel images) as a direct sum, with the bias and
  ReLU added while each output pixel is in cache: no patch matrix, one pass. Used where
  OpenBLAS has no small-matrix path for the patches' thin products (see
  ``learnet.ops.conv._direct_taps``).
- ``max_pool`` and ``max_pool_gradient``: the forward pass (which may write into a given
  output, as the fused convolution and pooling at inference does) also stores, for every
  output, which element of its window won (an ``int8`` when the window has fewer than
  128 elements); the gradient is then one scatter, with no comparison (windows side by
  side: every element written once).

Ties and NaN follow the NumPy reference: the first maximum of a window in row-major
order takes the gradient, and a window holding a NaN outputs NaN and sends no
gradient anywhere. Sums (the bias's gradient, ``col2im``, overlapping pooling windows)
add the same terms in another order than NumPy, so they agree to rounding, not bit for
bit; everything else is bit-identical.

The patch matrix (im2col) stays NumPy's one strided copy: a compiled parallel copy
measured no faster inside a training step (see ``benchmarks/README.md``).

The kernels run on ``num_threads()`` threads (``LEARNET_NUM_THREADS``, default 1): each is
compiled serial and parallel (``learnet.ops.compiled.kernel``), and with one thread the
serial version runs, which never starts OpenMP (so a forked process can run them too).
The wrappers accept float32 and float64 arrays; ``supported`` says whether a call
can run here (the callers in ``ops/conv.py`` fall back to NumPy otherwise).
"""

import numpy

from learnet.ops import compiled, parallel
from learnet.ops.compiled import prange
from learnet.ops.compiled.aot import variants

_FLOATS = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))
# The signatures each loop is built ahead of time for (``learnet.ops.compiled.aot``): T is
# float32 or float64, I the dtype of a pooling's winners; ``[..., ::1]`` a C-contiguous array.
_T = {"T": ("f4", "f8")}
_TI = {"T": ("f4", "f8"), "I": ("i1", "i4")}
_SIX = "i8, i8, i8, i8, i8, i8"


def supported(*arrays):
    """Whether the compiled kernels take these arrays: float32 or float64, all one dtype."""
    dtype = arrays[0].dtype
    return dtype in _FLOATS and all(a.dtype == dtype for a in arrays)


def num_threads():
    """The threads of the compiled kernels: ``learnet.ops.parallel.num_threads()``.

    That is ``LEARNET_NUM_THREADS`` (or ``parallel.set_num_threads``), 1 by default, the
    same setting as the NumPy thread pool and the compiled optimizer updates. A second
    thread measured no faster for these passes on 2 cores (a convnet training step and
    predict, interleaved: 0.99-1.02; they are bound by memory bandwidth, which the cores
    share), and one thread is not stalled by a core that another job holds. BLAS keeps
    its own threads; it and these kernels run one after the other, never at once.
    """
    return parallel.num_threads()


# --- bias and ReLU -----------------------------------------------------------------------------------
@compiled.kernel(
    variants("void({T}[:, ::1], {T}[::1], b1, b1)", **_T) + variants("void({T}[:, :], {T}[:], b1, b1)", **_T),
    reads=(1,),
    cache=True,
    fastmath=False,
)
def _bias_relu_kernel(out2d, bias, use_bias, relu):
    rows, cols = out2d.shape
    for r in prange(rows):
        for k in range(cols):
            value = out2d[r, k]
            if use_bias:
                value += bias[k]
            if relu and value < 0:
                out2d[r, k] = 0
            else:
                out2d[r, k] = value


def bias_relu(out2d, bias, relu):
    """``out2d += bias`` (if a bias is given), then ``max(out2d, 0)`` with ``relu``: in place.

    Examples
    --------
    >>> import numpy as np
    >>> out = np.array([[-1.0, 2.0]])
    >>> bias_relu(out, np.array([0.5, 0.5]), True)
    >>> out
    array([[0. , 2.5]])
    """
    use_bias = bias is not None
    _bias_relu_kernel(out2d, bias if use_bias else out2d[0, :0], use_bias, relu)


@compiled.kernel(
    variants("void({T}[:, ::1], {T}[:, ::1], {T}[:, ::1], f8[:, ::1], b1, b1, {T})", **_T)
    + variants("void({T}[:, :], {T}[:, :], {T}[:, :], f8[:, ::1], b1, b1, {T})", **_T),
    reads=(0, 1),
    cache=True,
    fastmath=False,
)
def _relu_bias_gradient_kernel(g2d, out2d, masked, partial, relu, want_bias, zero):
    rows, cols = g2d.shape
    chunks = partial.shape[0]
    for chunk in prange(chunks):
        start = rows * chunk // chunks
        stop = rows * (chunk + 1) // chunks
        total = numpy.zeros(cols, dtype=numpy.float64)  # this chunk's bias gradient, kept in cache
        for r in range(start, stop):
            for k in range(cols):  # indexed in full, no row views (see _max_pool_gradient_kernel)
                value = g2d[r, k]
                if relu:
                    # g or g * 0, as NumPy's g * (out > 0): NaN and -0.0 come out the same.
                    value = value if out2d[r, k] > 0 else value * zero
                    masked[r, k] = value
                if want_bias:
                    total[k] += value
        if want_bias:
            partial[chunk] = total


def relu_bias_gradient(g2d, out2d, relu, want_bias):
    """The gradient behind a fused ReLU, ``g2d * (out2d > 0)`` (``g2d`` itself without
    ``relu``), and with ``want_bias`` its sum over the rows (the bias's gradient), in one pass.

    Returns ``(masked, bias_gradient or None)``. The sum is accumulated in float64.

    Examples
    --------
    >>> import numpy as np
    >>> masked, db = relu_bias_gradient(np.ones((2, 2)), np.array([[1.0, 0.0], [2.0, -1.0]]), True, True)
    >>> masked
    array([[1., 0.],
           [1., 0.]])
    >>> db
    array([2., 0.])
    """
    if not relu:
        # Only the bias's sum is left: one NumPy pass (in float64, as the loop sums). The loop
        # would also need g2d writable, and a gradient may be a read-only view.
        return g2d, (g2d.sum(axis=0, dtype=numpy.float64).astype(g2d.dtype) if want_bias else None)
    masked = numpy.empty_like(g2d)
    chunks = max(1, min(compiled.threads() * 4, g2d.shape[0]))
    partial = numpy.zeros((chunks, g2d.shape[1]), dtype=numpy.float64)  # one row per chunk of rows
    _relu_bias_gradient_kernel(g2d, out2d, masked, partial, relu, want_bias, g2d.dtype.type(0))
    if not want_bias:
        return masked, None
    return masked, partial.sum(axis=0).astype(g2d.dtype)


# --- patches -----------------------------------------------------------------------------------------
@compiled.kernel(
    variants("void({T}[:, ::1], {T}[:, :, :, ::1], " + _SIX + ", i8, i8, i8, i8)", **_T),
    reads=(0,),
    cache=True,
    fastmath=False,
)
def _col2im_kernel(dcols, dx, kh, kw, oh, ow, sh, sw, dh, dw, top, left):
    n, h, w, c = dx.shape
    for b in prange(n):
        dx[b] = 0
        for oi in range(oh):
            for oj in range(ow):
                row = (b * oh + oi) * ow + oj
                for i in range(kh):
                    y = oi * sh + i * dh - top
                    if y < 0 or y >= h:
                        continue
                    for j in range(kw):
                        xx = oj * sw + j * dw - left
                        if xx < 0 or xx >= w:
                            continue
                        base = (i * kw + j) * c
                        for ch in range(c):
                            dx[b, y, xx, ch] += dcols[row, base + ch]


def col2im(dcols, x_shape, oh, ow, kh, kw, strides, dilations, pad_h, pad_w, out=None):
    """Patches' gradients ``(N*OH*OW, kh*kw*C)`` added back into an image of ``x_shape``
    (written into ``out``, a C-contiguous array of that shape and dtype, when given).

    Each image is one task: its pixels are written by one thread only.
    """
    dx = numpy.empty(x_shape, dtype=dcols.dtype) if out is None else out
    (sh, sw), (dh, dw) = strides, dilations
    _col2im_kernel(numpy.ascontiguousarray(dcols), dx, kh, kw, oh, ow, sh, sw, dh, dw, pad_h[0], pad_w[0])
    return dx


# --- direct convolution (inference) --------------------------------------------------------------------
# Multiply-adds may be fused (FMA): the sum is not NumPy's (a BLAS product's) order anyway.
@compiled.kernel(
    variants("void({T}[:, :, :, ::1], {T}[:, :, :, ::1], {T}[::1], {T}[:, :, :, ::1], i8, i8, i8, i8, b1, b1)", **_T),
    reads=(0, 1, 2),
    cache=True,
    fastmath={"contract"},
)
def _direct_conv_kernel(padded, kernel, bias, out, sh, sw, dh, dw, use_bias, relu):
    n, oh, ow, f = out.shape
    kh, kw, c = kernel.shape[0], kernel.shape[1], kernel.shape[2]
    for row in prange(n * oh):  # one row of output pixels of one image
        b = row // oh
        oi = row - b * oh
        acc = numpy.zeros((ow, f), dtype=out.dtype)  # the row's sums, small enough for L1
        for i in range(kh):
            line = padded[b, oi * sh + i * dh]
            for j in range(kw):
                for ch in range(c):
                    weights = kernel[i, j, ch]
                    for oj in range(ow):
                        value = line[oj * sw + j * dw, ch]
                        for k in range(f):  # contiguous: vectorized over the filters
                            acc[oj, k] += value * weights[k]
        for oj in range(ow):
            for k in range(f):
                value = acc[oj, k] + bias[k] if use_bias else acc[oj, k]
                out[b, oi, oj, k] = 0 if relu and value < 0 else value


def direct_conv(padded, kernel, bias, oh, ow, strides, dilations, relu, out=None):
    """``relu(conv2d(padded, kernel) + bias)`` summed directly, tap by tap, for every output pixel.

    ``padded`` is the already padded input ``(N, H, W, C)``, ``kernel`` is
    ``(kh, kw, C, F)``, ``bias`` ``(F,)`` or None; returns ``(N, oh, ow, F)``, written
    into ``out`` when given (C-contiguous, of that shape and the input's dtype). Meant
    for few taps (``kh * kw * C`` up to about 32), where the patch matrix would be a
    long thin array copied once and read once by a thin matrix product.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(4.0).reshape(1, 2, 2, 1)
    >>> direct_conv(x, np.ones((2, 2, 1, 1)), np.array([-7.0]), 1, 1, (1, 1), (1, 1), True)
    array([[[[0.]]]])
    """
    n, f = padded.shape[0], kernel.shape[3]
    if out is None:
        out = numpy.empty((n, oh, ow, f), dtype=padded.dtype)
    use_bias = bias is not None
    (sh, sw), (dh, dw) = strides, dilations
    _direct_conv_kernel(
        numpy.ascontiguousarray(padded),
        numpy.ascontiguousarray(kernel),
        numpy.ascontiguousarray(bias) if use_bias else numpy.zeros(f, dtype=padded.dtype),
        out,
        sh,
        sw,
        dh,
        dw,
        use_bias,
        relu,
    )
    return out


# --- max pooling -------------------------------------------------------------------------------------
# Every pooling kernel keeps the channels innermost and contiguous, and the running maximum of
# a window in registers or in a small per-image scratch row, never in the output array itself:
# read-modify-writes of ``out[b, oi, oj, ch]`` inside the window loop kept LLVM from
# vectorizing (a 2x2 pool over 128x26x26x32 took 15.7 ms that way, 0.8 ms now).
@compiled.kernel(
    variants("void({T}[:, :, :, ::1], {T}[:, :, :, ::1], i1[:, :, :, ::1], b1)", **_T),
    reads=(0,),
    cache=True,
    fastmath=False,
)
def _max_pool_2x2_kernel(x, out, index, keep_index):
    n = x.shape[0]
    oh, ow, c = out.shape[1], out.shape[2], out.shape[3]
    for b in prange(n):
        for oi in range(oh):
            top = 2 * oi
            for oj in range(ow):
                left = 2 * oj
                # Indexed in full, no row views: see ``_max_pool_gradient_kernel``.
                for ch in range(c):
                    best = x[b, top, left, ch]
                    k = 0 if best == best else -1
                    value = x[b, top, left + 1, ch]
                    if value > best or (value != value and best == best):  # a NaN wins, as numpy.maximum
                        best, k = value, (1 if value == value else -1)
                    value = x[b, top + 1, left, ch]
                    if value > best or (value != value and best == best):
                        best, k = value, (2 if value == value else -1)
                    value = x[b, top + 1, left + 1, ch]
                    if value > best or (value != value and best == best):
                        best, k = value, (3 if value == value else -1)
                    out[b, oi, oj, ch] = best
                    if keep_index:
                        index[b, oi, oj, ch] = k


@compiled.kernel(
    variants("void({T}[:, :, :, ::1], {T}[:, :, :, ::1], {I}[:, :, :, ::1], " + _SIX + ", b1, {T})", **_TI),
    reads=(0,),
    cache=True,
    fastmath=False,
)
def _max_pool_kernel(x, out, index, ph, pw, sh, sw, top, left, keep_index, lowest):
    n, h, w, c = x.shape
    oh, ow = out.shape[1], out.shape[2]
    for b in prange(n):
        best = numpy.empty(c, dtype=x.dtype)  # this window's maximum so far, per channel
        winner = numpy.empty(c, dtype=numpy.int32)
        for oi in range(oh):
            for oj in range(ow):
                for i in range(ph):
                    y = oi * sh + i - top
                    for j in range(pw):
                        xx = oj * sw + j - left
                        k = i * pw + j
                        if not (0 <= y < h and 0 <= xx < w):
                            if k == 0:  # padding counts as ``lowest``: it wins only a window of padding
                                best[:] = lowest
                                winner[:] = 0
                            continue
                        if k == 0:
                            for ch in range(c):
                                value = x[b, y, xx, ch]
                                best[ch] = value
                                winner[ch] = 0 if value == value else -1
                        else:
                            for ch in range(c):
                                value, current = x[b, y, xx, ch], best[ch]
                                take = value > current or (value != value and current == current)
                                best[ch] = value if take else current
                                winner[ch] = (k if value == value else -1) if take else winner[ch]
                for ch in range(c):
                    out[b, oi, oj, ch] = best[ch]
                    if keep_index:
                        index[b, oi, oj, ch] = winner[ch]


def _tiles(window, strides, x_shape, oh, ow, pad_h, pad_w):
    """Whether the windows sit side by side from the top-left corner (stride = window, no
    padding before), none reaching past the image: the usual 2x2 pool with "valid" padding."""
    return (
        tuple(strides) == tuple(window)
        and (pad_h[0], pad_w[0]) == (0, 0)
        and oh * window[0] <= x_shape[1]
        and ow * window[1] <= x_shape[2]
    )


def index_dtype(window):
    """The dtype of a pooling's winners: ``int8`` for windows of fewer than 128 elements."""
    return numpy.dtype(numpy.int8 if window[0] * window[1] < 128 else numpy.int32)


def max_pool(x, window, strides, oh, ow, pad_h, pad_w, keep_index=True, out=None, index=None):
    """Max pooling of ``x``; returns ``(out, index)``, ``index`` saying which element of each
    window won (row-major, the first of ties; -1 for a NaN), or None without ``keep_index``.
    ``out`` and ``index``, when given, receive them (C-contiguous, ``(N, oh, ow, C)``, of
    ``x``'s dtype and of ``index_dtype(window)``): the fused convolution and pooling pools a
    chunk of images at a time into the batch's arrays.

    Padded elements count as ``-inf`` (they never win unless a whole window is padding).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 3.0, 3.0, 2.0]).reshape(1, 2, 2, 1)
    >>> out, index = max_pool(x, (2, 2), (2, 2), 1, 1, (0, 0), (0, 0))
    >>> float(out[0, 0, 0, 0]), int(index[0, 0, 0, 0])
    (3.0, 1)
    """
    n, c = x.shape[0], x.shape[3]
    if out is None:
        out = numpy.empty((n, oh, ow, c), dtype=x.dtype)
    if index is None or not keep_index:
        index = numpy.empty((n, oh, ow, c if keep_index else 0), dtype=index_dtype(window))
    if tuple(window) == (2, 2) and _tiles(window, strides, x.shape, oh, ow, pad_h, pad_w):
        _max_pool_2x2_kernel(numpy.ascontiguousarray(x), out, index, keep_index)
        return out, (index if keep_index else None)
    lowest = x.dtype.type(-numpy.inf)
    _max_pool_kernel(numpy.ascontiguousarray(x), out, index, *window, *strides, pad_h[0], pad_w[0], keep_index, lowest)
    return out, (index if keep_index else None)


@compiled.kernel(
    variants(
        "void({T}[:, :, :, ::1], {I}[:, :, :, ::1], {T}[:, :, :, ::1], "
        + _SIX
        + ", b1, {T}[:, :, :, ::1], b1, f8[:, ::1], {T})",
        **_TI,
    ),
    reads=(0, 1, 10),
    cache=True,
    fastmath=False,
)
def _max_pool_gradient_kernel(g, index, dx, ph, pw, sh, sw, top, left, tiles, out, relu, partial, zero):
    n, h, w, c = dx.shape
    oh, ow = g.shape[1], g.shape[2]
    for b in prange(n):
        value = numpy.empty(c, dtype=g.dtype)  # one window's gradient, masked by the ReLU before it
        if relu:
            partial[b] = 0
        if tiles:
            # Windows side by side from the top-left corner: every element is written once,
            # the gradient at each window's winner and 0 elsewhere (and the rows and columns
            # past the last whole window 0), with no clearing pass.
            dx[b, oh * ph :] = 0
            dx[b, : oh * ph, ow * pw :] = 0
        else:
            dx[b] = 0
        # This image's bias gradient (two branches: with prange's unsigned index, a
        # conditional expression with 0 would be typed as a float).
        if relu:
            total = partial[b]
        else:
            total = partial[0]
        # Elements are indexed in full (``g[b, oi, oj, ch]``), never through row views made
        # inside the loops: each view costs the compiled module a reference count taken and
        # dropped, which took 3x the time of the pass itself.
        for oi in range(oh):
            for oj in range(ow):
                for ch in range(c):
                    v = g[b, oi, oj, ch]
                    if relu:
                        # The ReLU's mask, out > 0, read at the winner: its value is the window's
                        # maximum. g or g * 0, as NumPy's g * (out > 0).
                        v = v if out[b, oi, oj, ch] > 0 else v * zero
                        if tiles:
                            total[ch] += v if index[b, oi, oj, ch] >= 0 else zero
                    value[ch] = v
                if tiles:
                    for i in range(ph):
                        for j in range(pw):
                            k = i * pw + j
                            y, xx = oi * ph + i, oj * pw + j
                            for ch in range(c):
                                dx[b, y, xx, ch] = value[ch] if index[b, oi, oj, ch] == k else 0
                    continue
                for ch in range(c):
                    k = index[b, oi, oj, ch]
                    if k < 0:
                        continue
                    y = oi * sh + k // pw - top
                    xx = oj * sw + k % pw - left
                    if 0 <= y < h and 0 <= xx < w:  # else a window of padding only: its gradient goes nowhere
                        dx[b, y, xx, ch] += value[ch]
                        if relu:
                            total[ch] += value[ch]


def max_pool_gradient(g, index, x_shape, window, strides, pad_h, pad_w, relu_out=None):
    """Max pooling's input gradient: each output's gradient goes to the element ``index`` names.

    With ``relu_out`` (the pooling's output, when its input came out of a ReLU), the
    ReLU's gradient is applied on the way, ``g * (relu_out > 0)`` at each winner, and its
    sum over the image, the gradient of a bias added before the ReLU, comes back too:
    returns ``(dx, bias_gradient)`` then, else ``dx``. The winner's value is the window's
    maximum, so the ReLU's mask is read from the small pooled array, and the image-sized
    gradient is written once instead of written, read, masked and written again.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 1.0, 0.0]).reshape(1, 2, 4, 1)  # after a ReLU
    >>> out, index = max_pool(x, (2, 2), (2, 2), 1, 2, (0, 0), (0, 0))
    >>> g = np.array([5.0, 7.0]).reshape(1, 1, 2, 1)
    >>> dx, db = max_pool_gradient(g, index, x.shape, (2, 2), (2, 2), (0, 0), (0, 0), relu_out=out)
    >>> dx[0, :, :, 0]               # the first window's maximum is 0: the ReLU lets nothing through
    array([[0., 0., 7., 0.],
           [0., 0., 0., 0.]])
    >>> db
    array([7.])
    """
    dx = numpy.empty(x_shape, dtype=g.dtype)
    tiles = _tiles(window, strides, x_shape, g.shape[1], g.shape[2], pad_h, pad_w)
    relu = relu_out is not None
    partial = numpy.empty((x_shape[0] if relu else 1, x_shape[3]), dtype=numpy.float64)  # per image
    g = numpy.ascontiguousarray(g)
    out = numpy.ascontiguousarray(relu_out) if relu else g  # not read without relu
    geometry = (*window, *strides, pad_h[0], pad_w[0], tiles)
    _max_pool_gradient_kernel(g, index, dx, *geometry, out, relu, partial, g.dtype.type(0))
    if not relu:
        return dx
    return dx, partial.sum(axis=0).astype(g.dtype)


__all__ = [
    "bias_relu",
    "col2im",
    "direct_conv",
    "index_dtype",
    "max_pool",
    "max_pool_gradient",
    "num_threads",
    "relu_bias_gradient",
    "supported",
]
