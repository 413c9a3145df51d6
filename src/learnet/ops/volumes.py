"""Convolution and pooling ops on channels-last volumes ``(batch, depth, height, width, channels)``.

The 3-D twins of ``learnet.ops.conv`` (CT scans, video clips), written the same way:
fused kernels (``higher_order=False``) whose forward and backward work on raw arrays.
Each backward also carries a differentiable twin written with learnet ops
(``higher_order_backward``, see ``primitive``), which the tape runs instead only when an
outer tape differentiates the backward pass (second derivatives). As for the 2-D
convolution, a convolution's twin is written with two more ops over the same geometry,
its input's and its filters' gradients, and the backward of each of the three is written
with the other two:

=========================================  ================================  ==================================
op (upstream gradient ``h``)               gradient of its first input       gradient of its second input
=========================================  ================================  ==================================
``conv3d(x, k)``                           ``conv3d_backprop_input(h, k)``   ``conv3d_backprop_filter(x, h)``
``conv3d_backprop_input(g, k)``            ``conv3d(h, k)``                  ``conv3d_backprop_filter(h, g)``
``conv3d_backprop_filter(x, g)``           ``conv3d_backprop_input(g, h)``   ``conv3d(x, h)``
=========================================  ================================  ==================================

A transposed convolution is ``conv3d_backprop_input`` run forward, so its twin is a
``conv3d`` and a ``conv3d_backprop_filter``. Max pooling's twin sends ``g`` to each
window's winner with ``_scatter``; average pooling's is ``avg_pool3d_backprop``, whose
own backward is the pooling again.

A convolution is one matrix product ("im2col"): every output voxel sees a
``kd x kh x kw x C`` patch of the (padded) input. A strided view of the volume puts all
patches side by side without copying; one reshape copies them into a matrix ``cols`` of
shape ``(N*OD*OH*OW, kd*kh*kw*C)``, and with the kernel as a ``(kd*kh*kw*C, F)`` matrix
the whole convolution is ``cols @ kernel``. The backward pass is the same in reverse:
``d_kernel = cols^T @ g``, and the input's gradient ``g @ kernel^T`` is added back into
the volume one kernel tap at a time ("col2im"). A transposed convolution is that
input gradient run forward. Patch matrices too large for memory (big scans) are built
and multiplied a slab of depth slices at a time (``_PATCH_BLOCK_BYTES``).

Pooling takes one strided slice of the whole batch per window tap (8 for a 2x2x2 pool)
and combines them elementwise (``maximum`` or ``+``). Max pooling sends the gradient of a
window to its maximum; where several elements tie, the first in (depth, row, column)
order takes it all, as TensorFlow does.

The only Python loops are over the kernel's or window's taps (and, for patch matrices
too large for memory, over slabs of them), never over single volumes' voxels.
"""

import numpy

from learnet.backend import xp
from learnet.ops.conv import _is_grouped, _window_padding, avg_pool1d, avg_pool2d, grouped_conv, max_pool1d, max_pool2d
from learnet.ops.reduce import reduce_max
from learnet.ops.shape import _scatter, reshape
from learnet.tape import primitive
from learnet.tensor import Tensor


# --- arguments ------------------------------------------------------------------------------
def _triple(value, name, op):
    """An int or three ints -> ``(depth, rows, cols)``; also TF's 5-entry ``[1, s, s, s, 1]``."""
    if isinstance(value, (int, numpy.integer)) and not isinstance(value, bool):
        triple = (int(value),) * 3
    else:
        try:
            items = [int(v) for v in value]
        except (TypeError, ValueError):
            raise TypeError(f"{op}: {name} must be an int or three ints, got {value!r}") from None
        if len(items) == 1:
            triple = (items[0],) * 3
        elif len(items) == 3:
            triple = tuple(items)
        elif len(items) == 5:
            if items[0] != 1 or items[4] != 1:
                raise ValueError(f"{op}: {name} over the batch or channel axis must be 1, got {value!r}")
            triple = tuple(items[1:4])
        else:
            raise ValueError(f"{op}: {name} must be an int or three ints, got {value!r}")
    if min(triple) < 1:
        raise ValueError(f"{op}: {name} must be positive, got {value!r}")
    return triple


def _padding_modes(padding, op):
    """``"same"``/``"valid"`` (any case) for each axis, or explicit ``(before, after)`` pairs.

    Explicit padding is ``[[front, back], [top, bottom], [left, right]]``, or TF's five
    pairs with zeros for the batch and channel axes.
    """
    if isinstance(padding, str):
        mode = padding.lower()
        if mode not in ("same", "valid"):
            raise ValueError(f"{op}: padding must be 'same' or 'valid', got {padding!r}")
        return (mode,) * 3
    try:
        pairs = [tuple(int(p) for p in pair) for pair in padding]
    except (TypeError, ValueError):
        raise ValueError(f"{op}: padding must be 'same', 'valid' or a list of pairs, got {padding!r}") from None
    if len(pairs) == 5:
        if pairs[0] != (0, 0) or pairs[4] != (0, 0):
            raise ValueError(f"{op}: explicit padding of the batch and channel axes must be 0, got {padding!r}")
        pairs = pairs[1:4]
    if len(pairs) != 3 or any(len(p) != 2 or min(p) < 0 for p in pairs):
        raise ValueError(
            f"{op}: explicit padding must be [[front, back], [top, bottom], [left, right]], got {padding!r}"
        )
    return tuple(pairs)


def _check_volume(x, op, what="input"):
    if x.ndim != 5:
        raise ValueError(
            f"{op}: the {what} must be a batch of channels-last volumes (batch, depth, height, width, channels), "
            f"got shape {tuple(x.shape)}"
        )


def _geometry(shape, window, strides, padding, dilations, op):
    """Output sizes ``(od, oh, ow)`` and ``(before, after)`` paddings of the three spatial axes."""
    sizes, pads = [], []
    for axis, mode in enumerate(padding):
        effective = (window[axis] - 1) * dilations[axis] + 1
        size, pad = _window_padding(shape[1 + axis], effective, strides[axis], mode, op)
        sizes.append(size)
        pads.append(pad)
    return tuple(sizes), tuple(pads)


def _pad(x, pads, value=0):
    """``x`` with ``pads[axis]`` voxels of ``value`` before/after each spatial axis."""
    if all(p == (0, 0) for p in pads):
        return x
    return xp.pad(x, ((0, 0),) + tuple(pads) + ((0, 0),), constant_values=value)


def _unpad(padded, x_shape, pads):
    (front, _), (top, _), (left, _) = pads
    d, h, w = x_shape[1:4]
    return padded[:, front : front + d, top : top + h, left : left + w, :]


def _tap_slice(tap, out_size, strides, dilations):
    """The slice of the padded input that kernel tap ``(a, b, e)`` sees, for every output at once."""
    return (slice(None),) + tuple(
        slice(t * dl, t * dl + s * (o - 1) + 1, s) for t, o, s, dl in zip(tap, out_size, strides, dilations)
    )


def _taps(window):
    """Every tap ``(a, b, e)`` of a ``kd x kh x kw`` window, in row-major order."""
    kd, kh, kw = window
    return [(a, b, e) for a in range(kd) for b in range(kh) for e in range(kw)]


# --- im2col / col2im -------------------------------------------------------------------------
# A volume's patch matrix is kd*kh*kw times larger than the volume: 27x for a 3x3x3 kernel,
# 1.5 GB for the second layer of keras.io's CT-scan model (two 128x128x64 scans, 64
# channels). Where a batch's patches would take more than this many bytes, they are built
# and multiplied a slab of output depth slices at a time (of one volume), each slab at most
# this size, and none is kept for the backward pass, which builds each slab again.
_PATCH_BLOCK_BYTES = 32 * 1024 * 1024


def _patch_view(x, window, out_size, strides, dilations, pads):
    """Every patch of the padded batch, ``(N, OD, OH, OW, kd, kh, kw, C)``: a strided view, no copy."""
    padded = xp.ascontiguousarray(_pad(x, pads))
    n, c = x.shape[0], x.shape[4]
    s0, s1, s2, s3, s4 = padded.strides
    (sd, sh, sw), (dd, dh, dw) = strides, dilations
    read_only = {"writeable": False} if xp is numpy else {}  # CuPy's as_strided has no writeable
    return xp.lib.stride_tricks.as_strided(
        padded,
        (n,) + tuple(out_size) + tuple(window) + (c,),
        (s0, sd * s1, sh * s2, sw * s3, dd * s1, dh * s2, dw * s3, s4),
        **read_only,
    )


def _patch_blocks(x, window, out_size, strides, dilations, pads):
    """The patch matrix, as ``(where, block)`` pairs: ``block`` has one row per output voxel of
    ``out[where]``, columns in ``(kd, kh, kw, C)`` order.

    One block, ``where`` the whole output, when the batch's patches fit in
    ``_PATCH_BLOCK_BYTES``; else slabs of output depth slices of one volume at a time.
    """
    patches = _patch_view(x, window, out_size, strides, dilations, pads)
    n, (od, oh, ow) = x.shape[0], out_size
    columns = patches[0, 0, 0, 0].size
    slice_bytes = oh * ow * columns * x.dtype.itemsize  # one output depth slice of one volume
    if n * od * slice_bytes <= _PATCH_BLOCK_BYTES:
        yield (slice(None),), patches.reshape(n * od * oh * ow, columns)  # the one copy
        return
    depths = max(1, _PATCH_BLOCK_BYTES // slice_bytes)
    for volume in range(n):
        for first in range(0, od, depths):
            last = min(od, first + depths)
            yield (volume, slice(first, last)), patches[volume, first:last].reshape(-1, columns)


def _patches_times(x, matrix, out, window, out_size, strides, dilations, pads):
    """``out = patches(x) @ matrix``, block by block; returns the patch matrix when it was
    built whole (small enough to keep for the backward pass), else None."""
    whole = None
    for where, block in _patch_blocks(x, window, out_size, strides, dilations, pads):
        out[where] = (block @ matrix).reshape(out[where].shape)
        if where == (slice(None),):
            whole = block
    return whole


def _patches_transposed_times(x, cols, g, window, out_size, strides, dilations, pads):
    """``patches(x)^T @ g`` (the kernel's gradient), from the kept patch matrix ``cols`` or block by block."""
    f = g.shape[-1]
    if cols is not None:
        return cols.T @ g.reshape(-1, f)
    total = None
    for where, block in _patch_blocks(x, window, out_size, strides, dilations, pads):
        share = block.T @ g[where].reshape(-1, f)
        total = share if total is None else xp.add(total, share, out=total)
    return total


def _col2im(g, kernel, x_shape, window, out_size, strides, dilations, pads):
    """The input's gradient of a convolution: each patch's gradient ``g @ kernel^T``
    added back into a volume of ``x_shape``, one kernel tap at a time.

    ``g`` has shape ``(N, OD, OH, OW, F)`` and ``kernel`` ``(kd, kh, kw, C, F)``. With 8
    channels or more each tap's share is its own product ``g @ kernel[a, b, e]^T``, so the
    patches' gradients are never all in memory at once; with fewer those products would
    be nearly matrix-vector ones, and one product for every tap is faster.
    """
    n, c, f = x_shape[0], x_shape[4], kernel.shape[-1]
    padded_shape = (n,) + tuple(size + sum(pad) for size, pad in zip(x_shape[1:4], pads)) + (c,)
    dpadded = xp.zeros(padded_shape, dtype=xp.result_type(g.dtype, kernel.dtype))
    g2d = g.reshape(-1, f)
    taps = _taps(window)
    if c >= 8:
        for tap in taps:
            share = g2d @ kernel[tap].T
            dpadded[_tap_slice(tap, out_size, strides, dilations)] += share.reshape(g.shape[:4] + (c,))
    else:
        per_tap = (g2d @ kernel.reshape(-1, f).T).reshape(g.shape[:4] + (len(taps), c))
        for number, tap in enumerate(taps):
            dpadded[_tap_slice(tap, out_size, strides, dilations)] += per_tap[..., number, :]
    return _unpad(dpadded, x_shape, pads)


# --- convolution -------------------------------------------------------------------------------
def _conv3d_kernel(x, kernel, strides, padding, dilations):
    op = "conv3d"
    _check_volume(x, op)
    if kernel.ndim != 5:
        raise ValueError(
            f"{op}: filters must have shape (depth, height, width, in_channels, out_channels), "
            f"got {tuple(kernel.shape)}"
        )
    *window, c, f = kernel.shape
    if x.shape[4] != c:
        raise ValueError(
            f"{op}: the input has {x.shape[4]} channels but the filters expect {c} "
            f"(input {tuple(x.shape)}, filters {tuple(kernel.shape)})"
        )
    geometry = _geometry(x.shape, window, strides, padding, dilations, op)
    out_size, pads = geometry
    out = xp.empty((x.shape[0],) + out_size + (f,), dtype=xp.result_type(x.dtype, kernel.dtype))
    cols = _patches_times(x, kernel.reshape(-1, f), out, window, out_size, strides, dilations, pads)

    def backward(g, x, kernel, out):
        return (
            lambda: _col2im(g, kernel, x.shape, window, out_size, strides, dilations, pads),
            lambda: _patches_transposed_times(x, cols, g, window, out_size, strides, dilations, pads).reshape(
                kernel.shape
            ),
        )

    def higher_order_backward(g, x, kernel, out):  # the same with learnet ops (see primitive)
        return (
            lambda: _conv3d_backprop_input(g, kernel, x._value.shape, strides, padding, dilations),
            lambda: _conv3d_backprop_filter(x, g, kernel._value.shape, strides, padding, dilations),
        )

    backward.higher_order_backward = higher_order_backward
    return out, backward


_conv3d_kernel.__name__ = "conv3d"  # the name errors show
_conv3d = primitive(inputs=2, higher_order=False)(_conv3d_kernel)


def _conv3d_backprop_input_kernel(g, kernel, input_shape, strides, padding, dilations):
    """The gradient of ``conv3d(x, kernel)`` with respect to ``x`` (of ``input_shape``), for the
    output gradient ``g``: a transposed convolution. Second derivatives only (the twin of
    ``conv3d``'s backward); training runs the fused kernels."""
    op = "conv3d_backprop_input"
    _check_volume(g, op, "gradient")
    input_shape = tuple(int(s) for s in input_shape)
    *window, c, f = kernel.shape
    out_size, pads = _geometry(input_shape, window, strides, padding, dilations, op)
    if tuple(g.shape) != (input_shape[0],) + out_size + (f,):
        raise ValueError(
            f"{op}: an input of shape {input_shape} and filters of shape {tuple(kernel.shape)} give outputs of "
            f"shape {(input_shape[0],) + out_size + (f,)}, but the gradient has shape {tuple(g.shape)}"
        )
    dx = xp.ascontiguousarray(_col2im(g, kernel, input_shape, window, out_size, strides, dilations, pads))

    def backward(h, g, kernel, dx):
        return (
            lambda: _conv3d(h, kernel, strides, padding, dilations),
            lambda: _conv3d_backprop_filter(h, g, kernel._value.shape, strides, padding, dilations),
        )

    return dx, backward


_conv3d_backprop_input_kernel.__name__ = "conv3d_backprop_input"  # the name errors show
_conv3d_backprop_input = primitive(inputs=2)(_conv3d_backprop_input_kernel)


def _conv3d_backprop_filter_kernel(x, g, filter_shape, strides, padding, dilations):
    """The gradient of ``conv3d(x, kernel)`` with respect to ``kernel`` (of ``filter_shape``),
    for the output gradient ``g``: the patches of ``x`` times ``g``. Second derivatives only
    (the twin of ``conv3d``'s backward)."""
    op = "conv3d_backprop_filter"
    _check_volume(x, op)
    _check_volume(g, op, "gradient")
    *window, c, f = (int(s) for s in filter_shape)
    out_size, pads = _geometry(x.shape, window, strides, padding, dilations, op)
    if x.shape[4] != c or tuple(g.shape) != (x.shape[0],) + out_size + (f,):
        raise ValueError(
            f"{op}: an input of shape {tuple(x.shape)} and filters of shape {tuple(filter_shape)} give outputs of "
            f"shape {(x.shape[0],) + out_size + (f,)}, but the gradient has shape {tuple(g.shape)}"
        )
    dk = _patches_transposed_times(x, None, g, window, out_size, strides, dilations, pads).reshape(filter_shape)

    def backward(h, x, g, dk):
        return (
            lambda: _conv3d_backprop_input(g, h, x._value.shape, strides, padding, dilations),
            lambda: _conv3d(x, h, strides, padding, dilations),
        )

    return dk, backward


_conv3d_backprop_filter_kernel.__name__ = "conv3d_backprop_filter"  # the name errors show
_conv3d_backprop_filter = primitive(inputs=2)(_conv3d_backprop_filter_kernel)


def _conv_arguments(strides, padding, data_format, dilations, op):
    """``(strides, padding, dilations)`` of a 3-D convolution, checked and normalised as TF does."""
    if data_format not in ("NDHWC", "channels_last", None):
        raise ValueError(f"{op}: only channels-last data (data_format='NDHWC') is supported, got {data_format!r}")
    strides = _triple(strides, "strides", op)
    dilations = _triple(1 if dilations is None else dilations, "dilations", op)
    if strides != (1, 1, 1) and dilations != (1, 1, 1):
        raise ValueError(f"{op}: strides and dilations cannot both be above 1 (as in TensorFlow)")
    return strides, _padding_modes(padding, op), dilations


def conv3d(
    input,  # noqa: A002
    filters,
    strides=1,
    padding="VALID",
    data_format="NDHWC",
    dilations=None,
    name=None,
    bias=None,
):
    """3-D convolution of channels-last volumes, as ``tf.nn.conv3d``.

    Parameters
    ----------
    input : Tensor of shape ``(batch, depth, height, width, in_channels)``
    filters : Tensor of shape ``(kernel_depth, kernel_height, kernel_width, in_channels, out_channels)``
        With ``in_channels / groups`` input channels instead (a multiple of them in the
        input), a grouped convolution: see ``learnet.ops.conv.grouped_conv``.
    strides : int, three ints, or TF's ``[1, sd, sh, sw, 1]``
    padding : ``"VALID"``, ``"SAME"`` (any case) or ``[[front, back], [top, bottom], [left, right]]``
        ``"SAME"`` keeps ``ceil(size / stride)`` outputs and, as TensorFlow, puts any odd
        padding at the back, bottom and right.
    data_format : ``"NDHWC"`` (channels-last) only.
    dilations : int or three ints, optional
        Spacing between the kernel's taps.
    bias : Tensor of shape ``(out_channels,)``, optional

    Returns
    -------
    Tensor of shape ``(batch, out_depth, out_height, out_width, out_channels)``

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.ops.volumes import conv3d
    >>> x = tf.ones((1, 4, 4, 4, 1))
    >>> conv3d(x, tf.ones((3, 3, 3, 1, 2)), strides=1, padding="VALID").shape
    TensorShape([1, 2, 2, 2, 2])
    >>> float(conv3d(x, tf.ones((3, 3, 3, 1, 1)), 1, "SAME")[0, 0, 0, 0, 0])   # a corner sees 2x2x2 voxels
    8.0
    """
    from learnet.ops.math import add

    strides, padding, dilations = _conv_arguments(strides, padding, data_format, dilations, "conv3d")
    if _is_grouped(input, filters):  # input channels a multiple of the filters': see grouped_conv
        return grouped_conv(input, filters, strides, padding, dilations, bias, op="conv3d")
    out = _conv3d(input, filters, strides, padding, dilations)
    return out if bias is None else add(out, bias)


def _conv3d_transpose_kernel(y, kernel, output_shape, strides, padding, dilations):
    op = "conv3d_transpose"
    _check_volume(y, op)
    if kernel.ndim != 5:
        raise ValueError(
            f"{op}: filters must have shape (depth, height, width, out_channels, in_channels), "
            f"got {tuple(kernel.shape)}"
        )
    *window, c, f = kernel.shape
    n = y.shape[0]
    if len(output_shape) != 5 or output_shape[0] != n or output_shape[4] != c:
        raise ValueError(
            f"{op}: output_shape must be (batch={n}, depth, height, width, channels={c}), got {output_shape}"
        )
    if y.shape[4] != f:
        raise ValueError(f"{op}: the input has {y.shape[4]} channels but the filters expect {f}")
    out_size, pads = _geometry(output_shape, window, strides, padding, dilations, op)
    if out_size != tuple(y.shape[1:4]):
        raise ValueError(
            f"{op}: a convolution of an output of shape {output_shape} would have spatial size {out_size}, "
            f"not the input's {tuple(y.shape[1:4])}"
        )
    # The transposed convolution is conv3d's input gradient, with y in the place of g.
    out = xp.ascontiguousarray(_col2im(y, kernel, output_shape, window, out_size, strides, dilations, pads))

    def backward(g, y, kernel, out):
        def input_gradient():
            dy = xp.empty(y.shape, dtype=xp.result_type(g.dtype, kernel.dtype))
            _patches_times(g, kernel.reshape(-1, f), dy, window, out_size, strides, dilations, pads)
            return dy

        def kernel_gradient():
            dk = _patches_transposed_times(g, None, y, window, out_size, strides, dilations, pads)
            return dk.reshape(kernel.shape)

        return input_gradient, kernel_gradient

    def higher_order_backward(g, y, kernel, out):  # the same with learnet ops (see primitive)
        return (
            lambda: _conv3d(g, kernel, strides, padding, dilations),
            lambda: _conv3d_backprop_filter(g, y, kernel._value.shape, strides, padding, dilations),
        )

    backward.higher_order_backward = higher_order_backward
    return out, backward


_conv3d_transpose_kernel.__name__ = "conv3d_transpose"  # the name errors show
_conv3d_transpose = primitive(inputs=2, higher_order=False)(_conv3d_transpose_kernel)


def conv3d_transpose(
    input,  # noqa: A002
    filters,
    output_shape,
    strides=1,
    padding="SAME",
    data_format="NDHWC",
    dilations=None,
    name=None,
    bias=None,
):
    """Transposed 3-D convolution (the gradient of ``conv3d`` with respect to its input), as TF.

    Parameters
    ----------
    input : Tensor of shape ``(batch, depth, height, width, in_channels)``
    filters : Tensor of shape ``(kernel_depth, kernel_height, kernel_width, out_channels, in_channels)``
    output_shape : the full shape of the result, ``(batch, out_depth, out_height, out_width, out_channels)``;
        a ``conv3d`` with the same strides and padding maps that shape back to the input's.
    strides, padding, dilations : as ``conv3d``
    bias : Tensor of shape ``(out_channels,)``, optional

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.ops.volumes import conv3d_transpose
    >>> y = conv3d_transpose(tf.ones((1, 2, 2, 2, 4)), tf.ones((3, 3, 3, 1, 4)), (1, 4, 4, 4, 1), 2, "SAME")
    >>> y.shape
    TensorShape([1, 4, 4, 4, 1])
    """
    from learnet.ops.math import add

    op = "conv3d_transpose"
    strides, padding, dilations = _conv_arguments(strides, padding, data_format, dilations, op)
    if isinstance(output_shape, Tensor):
        output_shape = output_shape.numpy().tolist()
    output_shape = tuple(int(s) for s in output_shape)
    out = _conv3d_transpose(input, filters, output_shape, strides, padding, dilations)
    return out if bias is None else add(out, bias)


# --- pooling --------------------------------------------------------------------------------------
def _pool_setup(x, window, strides, padding, op):
    _check_volume(x, op)
    out_size, pads = _geometry(x.shape, window, strides, padding, (1, 1, 1), op)
    slices = [_tap_slice(tap, out_size, strides, (1, 1, 1)) for tap in _taps(window)]
    return out_size, pads, slices


def _max_pool3d_kernel(x, window, strides, padding):
    out_size, pads, slices = _pool_setup(x, window, strides, padding, "max_pool3d")
    lowest = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
    padded = _pad(x, pads, lowest)  # padded voxels never win
    out = padded[slices[0]].copy()
    for where in slices[1:]:
        xp.maximum(out, padded[where], out=out)

    def backward(g, x, out):
        # The first maximum of each window (row-major order) takes the gradient, as in TF.
        dpadded = xp.zeros(padded.shape, dtype=g.dtype)
        taken = None
        for where in slices:
            hit = padded[where] == out
            if taken is None:
                taken = hit.copy()
            else:
                xp.greater(hit, taken, out=hit)  # a maximum, and none taken before it
                taken |= hit
            dpadded[where] += hit * g  # windows may overlap: add
        return _unpad(dpadded, x.shape, pads)

    def higher_order_backward(g, x, out):
        """The same with learnet ops (see ``primitive``): ``g`` scattered to each window's
        winner. The winners do not move under a small change of ``x``, so the second
        derivative through ``x`` is zero."""
        size = x._value.size
        positions = _max_pool3d_winners(padded, out._value, slices, x._value.shape, pads)
        # One extra slot takes the gradient of windows no element of x wins (NaN, all padding).
        flat = _scatter(reshape(g, [-1]), (positions.reshape(-1),), (size + 1,))
        return reshape(flat[:size], x._value.shape)

    backward.higher_order_backward = higher_order_backward
    return out, backward


def _max_pool3d_winners(padded, out, slices, x_shape, pads):
    """The flat position in ``x`` of each window's winner (the first maximum in row-major
    order, as the kernel's backward); ``x.size`` where none is an element of ``x``."""
    size = int(numpy.prod(x_shape))
    where_in_x = _pad(xp.arange(size).reshape(x_shape), pads, size)  # padding -> the extra slot
    positions = xp.full(out.shape, size, dtype=where_in_x.dtype)
    taken = xp.zeros(out.shape, dtype=bool)
    for where in slices:
        hit = (padded[where] == out) & ~taken
        positions[hit] = where_in_x[where][hit]
        taken |= hit
    return positions


_max_pool3d_kernel.__name__ = "max_pool3d"  # the name errors show
_max_pool3d = primitive(inputs=1, higher_order=False)(_max_pool3d_kernel)


def _avg_pool3d_counts(x_shape, dtype, window, out_size, pads, slices):
    """How many real (unpadded) voxels each window holds: TensorFlow averages over those."""
    if all(p == (0, 0) for p in pads):
        return dtype.type(window[0] * window[1] * window[2])
    ones = _pad(xp.ones((1,) + tuple(x_shape[1:4]) + (1,), dtype=dtype), pads, 0)
    counts = xp.zeros((1,) + tuple(out_size) + (1,), dtype=dtype)
    for where in slices:
        counts += ones[where]
    return counts


def _avg_pool3d_spread(g, counts, x_shape, pads, slices):
    """Average pooling's input gradient: each window's share of ``g`` added to its voxels."""
    share = g / counts
    padded_shape = (x_shape[0],) + tuple(size + sum(pad) for size, pad in zip(x_shape[1:4], pads)) + (x_shape[4],)
    dpadded = xp.zeros(padded_shape, dtype=g.dtype)
    for where in slices:
        dpadded[where] += share
    return _unpad(dpadded, x_shape, pads)


def _avg_pool3d_kernel(x, window, strides, padding):
    out_size, pads, slices = _pool_setup(x, window, strides, padding, "avg_pool3d")
    padded = _pad(x, pads, 0)
    counts = _avg_pool3d_counts(x.shape, x.dtype, window, out_size, pads, slices)
    total = padded[slices[0]].copy()
    for where in slices[1:]:
        total += padded[where]
    total /= counts

    def backward(g, x, out):
        return _avg_pool3d_spread(g, counts, x.shape, pads, slices)

    def higher_order_backward(g, x, out):  # the same as an op (see primitive), differentiable
        return _avg_pool3d_backprop(g, x._value.shape, window, strides, padding)

    backward.higher_order_backward = higher_order_backward
    return total, backward


def _avg_pool3d_backprop_kernel(g, input_shape, window, strides, padding):
    """The gradient of ``avg_pool3d`` with respect to its input (of ``input_shape``), for the
    output gradient ``g``. A linear map whose transpose is the pooling itself, so each is the
    other's backward. Second derivatives only; training runs the fused kernel."""
    op = "avg_pool3d_backprop"
    _check_volume(g, op, "gradient")
    input_shape = tuple(int(s) for s in input_shape)
    out_size, pads = _geometry(input_shape, window, strides, padding, (1, 1, 1), op)
    if tuple(g.shape) != (input_shape[0],) + out_size + (input_shape[4],):
        raise ValueError(f"{op}: an input of shape {input_shape} pools to {out_size}, got a gradient {g.shape}")
    slices = [_tap_slice(tap, out_size, strides, (1, 1, 1)) for tap in _taps(window)]
    counts = _avg_pool3d_counts(input_shape, g.dtype, window, out_size, pads, slices)
    dx = xp.ascontiguousarray(_avg_pool3d_spread(g, counts, input_shape, pads, slices))
    return dx, lambda h, g, dx: _avg_pool3d(h, window, strides, padding)


_avg_pool3d_backprop_kernel.__name__ = "avg_pool3d_backprop"  # the name errors show
_avg_pool3d_backprop = primitive(inputs=1)(_avg_pool3d_backprop_kernel)


_avg_pool3d_kernel.__name__ = "avg_pool3d"  # the name errors show
_avg_pool3d = primitive(inputs=1, higher_order=False)(_avg_pool3d_kernel)


def _pool_arguments(ksize, strides, padding, data_format, op):
    if data_format not in ("NDHWC", "channels_last", None):
        raise ValueError(f"{op}: only channels-last data (data_format='NDHWC') is supported, got {data_format!r}")
    window = _triple(ksize, "ksize", op)
    strides = window if strides is None else _triple(strides, "strides", op)
    return window, strides, _padding_modes(padding, op)


def max_pool3d(input, ksize, strides=None, padding="VALID", data_format="NDHWC", name=None):  # noqa: A002
    """Max pooling of channels-last volumes, as ``tf.nn.max_pool3d``.

    Parameters
    ----------
    input : Tensor of shape ``(batch, depth, height, width, channels)``
    ksize : int, three ints, or ``[1, pd, ph, pw, 1]``
        Size of the pooling window.
    strides : int, three ints or ``[1, sd, sh, sw, 1]``, optional
        The window size by default.
    padding : ``"VALID"`` or ``"SAME"``
        Padded voxels never win the max.

    The gradient goes to each window's maximum (the first one, where several tie).

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.ops.volumes import max_pool3d
    >>> x = tf.reshape(tf.range(8.0), (1, 2, 2, 2, 1))
    >>> max_pool3d(x, 2, 2, "VALID").numpy().ravel()
    array([7.], dtype=float32)
    """
    window, strides, padding = _pool_arguments(ksize, strides, padding, data_format, "max_pool3d")
    return _max_pool3d(input, window, strides, padding)


def avg_pool3d(input, ksize, strides=None, padding="VALID", data_format="NDHWC", name=None):  # noqa: A002
    """Average pooling of channels-last volumes, as ``tf.nn.avg_pool3d``.

    With ``"SAME"`` padding each window is averaged over its real voxels only, as
    TensorFlow does. Arguments as ``max_pool3d``.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.ops.volumes import avg_pool3d
    >>> x = tf.reshape(tf.range(8.0), (1, 2, 2, 2, 1))
    >>> avg_pool3d(x, 2, 2, "VALID").numpy().ravel()
    array([3.5], dtype=float32)
    """
    window, strides, padding = _pool_arguments(ksize, strides, padding, data_format, "avg_pool3d")
    return _avg_pool3d(input, window, strides, padding)


def _depth_window(ksize, strides, padding):
    """``k`` when ``ksize`` pools over channels only (``[1, 1, 1, k]``, TensorFlow's depth pooling), else None."""
    try:
        window = [int(v) for v in ksize]
    except TypeError:
        return None
    if len(window) != 4 or window[3] == 1:
        return None
    if window[:3] != [1, 1, 1]:
        raise ValueError(
            f"max_pool: pooling over channels takes ksize [1, 1, 1, k] (no spatial window with it), got {ksize!r}"
        )
    steps = None if strides is None else [int(v) for v in strides]
    if steps is not None and steps != window:
        raise ValueError(f"max_pool: pooling over channels needs strides equal to ksize {window}, got {strides!r}")
    if str(padding).upper() != "VALID":
        raise ValueError(f"max_pool: pooling over channels needs padding 'VALID', got {padding!r}")
    return window[3]


def max_pool(input, ksize, strides=None, padding="VALID", data_format=None, name=None):  # noqa: A002
    """Max pooling of any rank, as ``tf.nn.max_pool``: ``(batch, steps, channels)``, images or volumes.

    For images, ``ksize=[1, 1, 1, k]`` with the same ``strides`` pools over channels instead:
    the maximum of every ``k`` consecutive channels (TensorFlow's depth pooling).

    Examples
    --------
    >>> import numpy as np, learnet as tf
    >>> maps = np.arange(12.0).reshape(1, 1, 2, 6)
    >>> tf.nn.max_pool(maps, ksize=(1, 1, 1, 3), strides=(1, 1, 1, 3), padding="VALID").numpy().tolist()
    [[[[2.0, 5.0], [8.0, 11.0]]]]
    """
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim == 3:
        return max_pool1d(x, ksize, strides, padding, "NWC" if data_format is None else data_format)
    if x.ndim == 5:
        return max_pool3d(x, ksize, strides, padding, "NDHWC" if data_format is None else data_format)
    if x.ndim != 4:
        raise ValueError(f"max_pool: input must have rank 3, 4 or 5, got shape {tuple(x.shape)}")
    depth = _depth_window(ksize, strides, padding)
    if depth is None:
        return max_pool2d(x, ksize, strides, padding, "NHWC" if data_format is None else data_format)
    channels = x.shape[-1]
    if channels % depth:
        raise ValueError(f"max_pool: the depth window {depth} must divide the {channels} channels")
    grouped = reshape(x, (-1, x.shape[1], x.shape[2], channels // depth, depth))
    return reduce_max(grouped, axis=-1)


def avg_pool(input, ksize, strides=None, padding="VALID", data_format=None, name=None):  # noqa: A002
    """Average pooling of any rank, as ``tf.nn.avg_pool``: sequences, images or volumes."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    pools = {3: (avg_pool1d, "NWC"), 4: (avg_pool2d, "NHWC"), 5: (avg_pool3d, "NDHWC")}
    if x.ndim not in pools:
        raise ValueError(f"avg_pool: input must have rank 3, 4 or 5, got shape {tuple(x.shape)}")
    pool, layout = pools[x.ndim]
    return pool(x, ksize, strides, padding, layout if data_format is None else data_format)


__all__ = ["conv3d", "conv3d_transpose", "max_pool3d", "avg_pool3d", "max_pool", "avg_pool"]
