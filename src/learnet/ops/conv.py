"""Convolution and pooling ops on channels-last images ``(batch, height, width, channels)``.

These are fused kernels (``higher_order=False``): the forward and backward work on raw
arrays, fast. Each backward also carries a differentiable twin written with learnet ops
(``higher_order_backward``, see ``primitive``), which the tape runs instead only when an
outer tape differentiates the backward pass (second derivatives: a WGAN-GP critic's
gradient penalty). A convolution's twin is written with two more ops over the same
geometry (strides, padding, dilations), its input's and its filters' gradients; the
backward of each of the three is written with the other two:

=========================================  ================================  ==================================
op (upstream gradient ``h``)               gradient of its first input       gradient of its second input
=========================================  ================================  ==================================
``conv2d(x, k)``                           ``conv2d_backprop_input(h, k)``   ``conv2d_backprop_filter(x, h)``
``conv2d_backprop_input(g, k)``            ``conv2d(h, k)``                  ``conv2d_backprop_filter(h, g)``
``conv2d_backprop_filter(x, g)``           ``conv2d_backprop_input(g, h)``   ``conv2d(x, h)``
=========================================  ================================  ==================================

How a convolution becomes one matrix product ("im2col"): every output pixel sees a
``kh x kw x C`` patch of the (padded) input. Copying the patches side by side gives a
matrix ``cols`` of shape ``(N*OH*OW, kh*kw*C)``; with the kernel as a
``(kh*kw*C, F)`` matrix, the whole convolution is ``cols @ kernel``, one GEMM that
BLAS runs at full speed. With 2 channels or more the patches are gathered in one copy
through a strided view of the image (each patch row is a contiguous run of memory);
with one, by one strided copy of the whole batch per kernel offset.
Never a loop over pixels; a batch whose patch matrix would be very large goes a block of
images at a time (``_PATCH_BLOCK_BYTES``). The backward pass is the same in reverse:
``d_kernel = cols^T @ g``, and the input's gradient gathers each kernel offset's share
``g @ kernel[i, j]^T`` back into the image ("col2im"). Thin patch matrices (a first
layer on 1- or 3-channel images) are multiplied image by image where OpenBLAS has a
small-matrix path for that, as one product elsewhere (see ``_THIN_PATCHES``).

Pooling works the same way: one strided slice of the whole batch per window offset
(4 for a 2x2 pool), combined elementwise (``maximum`` or ``+``). This measured about
2x faster than reshaping into ``(N, OH, ph, OW, pw, C)`` blocks and reducing two
axes, and it handles any stride and padding. Max pooling's gradient, though, uses the
blocks when the windows tile the image (stride = window size, the usual case): one
comparison and one product over the whole batch.

Max pooling sends the gradient of a window to its maximum; where several elements
tie, the first in row-major order takes it all (as TensorFlow does).

At inference (no tape recording) a convolution runs a chunk of images at a time, and
``conv2d_relu_max_pool2d`` runs a ``Conv2D(activation="relu")`` and the max pooling after
it together, pooling each chunk while it is in cache (``Sequential`` and functional models
call it for such a pair of layers, in training too): the same numbers and gradients,
without the convolution's full output.
"""

import functools
import itertools

import numpy

from learnet import backend
from learnet.backend import xp
from learnet.ops import compiled
from learnet.ops.math import cast_like
from learnet.ops.parallel import split_run
from learnet.ops.reduce import reduce_sum
from learnet.ops.shape import _scatter, reshape
from learnet.tape import GradientTape, is_recording, primitive
from learnet.tensor import Tensor


# --- arguments ------------------------------------------------------------------------------
def _pair(value, name, op):
    """An int or a pair of ints -> ``(rows, cols)``; also TF's 4-entry ``[1, s, s, 1]``."""
    if isinstance(value, (int, numpy.integer)) and not isinstance(value, bool):
        pair = (int(value), int(value))
    else:
        try:
            items = [int(v) for v in value]
        except TypeError:
            raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}") from None
        if len(items) == 1:
            pair = (items[0], items[0])
        elif len(items) == 2:
            pair = tuple(items)
        elif len(items) == 4:
            if items[0] != 1 or items[3] != 1:
                raise ValueError(f"{op}: {name} over the batch or channel axis must be 1, got {value!r}")
            pair = (items[1], items[2])
        else:
            raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if pair[0] < 1 or pair[1] < 1:
        raise ValueError(f"{op}: {name} must be positive, got {value!r}")
    return pair


def _window_padding(size, window, stride, padding, op):
    """Output size and ``(before, after)`` padding of one spatial axis, as TensorFlow does.

    ``"same"``: output ``ceil(size / stride)``, any odd padding goes after (bottom/right).
    ``"valid"``: no padding, output ``floor((size - window) / stride) + 1``.
    """
    if padding == "same":
        out = -(-size // stride)
        total = max((out - 1) * stride + window - size, 0)
        return out, (total // 2, total - total // 2)
    if padding == "valid":
        if size < window:
            raise ValueError(f"{op}: the window ({window}) is larger than the input ({size}) with padding='valid'")
        return (size - window) // stride + 1, (0, 0)
    before, after = padding
    padded = size + before + after
    if padded < window:
        raise ValueError(f"{op}: the window ({window}) is larger than the padded input ({padded})")
    return (padded - window) // stride + 1, (before, after)


def _padding_mode(padding, op):
    """``"same"``/``"valid"`` (any case), or explicit ``[[0,0],[t,b],[l,r],[0,0]]`` pairs."""
    if isinstance(padding, str):
        mode = padding.lower()
        if mode not in ("same", "valid"):
            raise ValueError(f"{op}: padding must be 'same' or 'valid', got {padding!r}")
        return mode, mode
    try:
        pairs = [tuple(int(p) for p in pair) for pair in padding]
    except TypeError:
        raise ValueError(f"{op}: padding must be 'same', 'valid' or a list of pairs, got {padding!r}") from None
    if len(pairs) == 4:
        if pairs[0] != (0, 0) or pairs[3] != (0, 0):
            raise ValueError(f"{op}: explicit padding of the batch and channel axes must be 0, got {padding!r}")
        pairs = pairs[1:3]
    if len(pairs) != 2 or any(len(p) != 2 or min(p) < 0 for p in pairs):
        raise ValueError(f"{op}: explicit padding must be [[top, bottom], [left, right]], got {padding!r}")
    return pairs[0], pairs[1]


def _geometry(shape, window, strides, padding, dilations, op):
    """Output size and padding for both spatial axes."""
    rows_mode, cols_mode = _padding_mode(padding, op)
    (kh, kw), (dh, dw) = window, dilations
    eff_h, eff_w = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    oh, pad_h = _window_padding(shape[1], eff_h, strides[0], rows_mode, op)
    ow, pad_w = _window_padding(shape[2], eff_w, strides[1], cols_mode, op)
    return oh, ow, pad_h, pad_w


def _pad(x, pad_h, pad_w, value=0):
    if pad_h == (0, 0) and pad_w == (0, 0):
        return x
    n, h, w, c = x.shape
    out = xp.full((n, h + pad_h[0] + pad_h[1], w + pad_w[0] + pad_w[1], c), value, dtype=x.dtype)
    out[:, pad_h[0] : pad_h[0] + h, pad_w[0] : pad_w[0] + w, :] = x
    return out


def _offset_slice(i, j, oh, ow, strides, dilations):
    """The slice of the padded input that kernel offset ``(i, j)`` sees, for all outputs at once."""
    (sh, sw), (dh, dw) = strides, dilations
    top, left = i * dh, j * dw
    return (slice(None), slice(top, top + sh * (oh - 1) + 1, sh), slice(left, left + sw * (ow - 1) + 1, sw))


def _kernels(*arrays):
    """The compiled kernels (``learnet.ops.compiled.conv``) when they are on and take these arrays, else None."""
    if not compiled.enabled():
        return None
    from learnet.ops.compiled import conv as kernels

    return kernels if kernels.supported(*arrays) else None


def _check_filters(x, kernel, op, name, last_axis):
    """Check a batch of images ``x`` against a 4-D kernel (``name``, its last axis
    ``last_axis``) whose third axis is the input channels; return the kernel's shape."""
    _check_image(x, op)
    if kernel.ndim != 4:
        raise ValueError(
            f"{op}: {name} must have shape (height, width, in_channels, {last_axis}), got {tuple(kernel.shape)}"
        )
    channels = kernel.shape[2]
    if x.shape[3] != channels:
        verb = "expect" if name.endswith("s") else "expects"
        raise ValueError(
            f"{op}: the input has {x.shape[3]} channels but the {name} {verb} {channels} "
            f"(input {tuple(x.shape)}, {name} {tuple(kernel.shape)})"
        )
    return kernel.shape


def _check_image(x, op, what="input"):
    if x.ndim != 4:
        raise ValueError(
            f"{op}: the {what} must be a batch of channels-last images (batch, height, width, channels), "
            f"got shape {tuple(x.shape)}"
        )


# --- convolution -------------------------------------------------------------------------------
# Patch matrices with at most this many columns (a first layer on 1- or 3-channel images:
# 9 or 27) make very thin, very long products. Where OpenBLAS has its "direct" small-matrix
# sgemm (the AVX-512 kernels: SkylakeX and its successors), they are multiplied image by
# image: each product is small enough for that path, with no packing and no threads, and
# the whole is 2-3x faster than one product over the batch, which multithreaded BLAS runs
# badly and stalls for tens of milliseconds when the cores are busy (measured at batch 128,
# 28x28 images, 32 filters). Its other kernels (Haswell, Zen...) have no such path and pay
# a whole call per image: there one product over the batch is faster (the forward 0.7 ms
# against 1.3 ms on an AVX2 machine). The choice follows the kernel OpenBLAS loaded
# (``backend.blas_core``), not a timing, so a seeded run gives the same numbers every time.
_THIN_PATCHES = 32
# OpenBLAS cores with the direct small-matrix sgemm; an unknown BLAS keeps per-image products.
_DIRECT_SGEMM_CORES = frozenset({"skylakex", "cooperlake", "sapphirerapids"})


def _thin_per_image():
    """Whether thin patch products are done image by image here (see ``_THIN_PATCHES``)."""
    core = backend.blas_core()
    return core is None or core.lower() in _DIRECT_SGEMM_CORES


# Below this many output pixels per image, per-image products are too small to pay for
# their own calls (one matrix-vector product per image): the batch is done at once.
_PER_IMAGE_PIXELS = 16


def _per_image(rows, n):
    """Whether products over ``rows`` output pixels of ``n`` images are done image by image."""
    return n > 1 and rows >= n * _PER_IMAGE_PIXELS


# A batch's patch matrix can be far larger than its images: kh*kw times, 9x for a 3x3 kernel
# (a CIFAR-sized layer, 64 images of 32x32x64, has 151 MB of patches). Where the whole
# batch's wide patches (more than ``_THIN_PATCHES`` columns) would take more than this many
# bytes, they are built and multiplied a block of images at a time, each block at most
# this size, and none is kept for the backward pass, which builds each block again to
# multiply it with its share of the gradient (as Caffe does image by image); the input's
# gradient goes by the same blocks. Measured on a 2-core AVX2 machine, 2 BLAS threads, a
# three-layer CIFAR-sized convnet at batch 64 (in-process, steps of the two settings
# interleaved): training peaks at 345 MiB instead of 490, for steps 1.01x (compiled
# kernels) and 1.05x (NumPy) as long, the second build of the patches. Smaller blocks
# gain nothing: with 2 MB blocks a step took 1.04x-1.2x as long (two BLAS threads stall on
# many small products when the other core is busy), so the keras.io convnet's 17.8 MB of
# patches stay whole. Thin patch matrices are cheaper to keep than to build twice, and a
# GPU wants one large product: both stay whole.
_PATCH_BLOCK_BYTES = 32 * 1024 * 1024


def _images_per_block(n, rows, k, itemsize):
    """How many of ``n`` images' patches (``rows`` per image, ``k`` columns) form one block.

    ``n`` (the whole batch at once) for thin patches, on a GPU, or where the batch's
    patches fit in one block.
    """
    if xp is not numpy or k <= _THIN_PATCHES:
        return n
    return max(1, min(n, _PATCH_BLOCK_BYTES // max(1, rows * k * itemsize)))


class _PatchBlocks:
    """The patch matrix of a batch, built a block of images at a time whenever it is read.

    Iterating gives ``(rows, block)``: the slice of the batch's output rows a block covers,
    and the block's patch matrix (``_im2col`` of its images).
    """

    def __init__(self, x, kh, kw, oh, ow, strides, dilations, pad_h, pad_w, per_block):
        self.x, self.per_block = x, per_block
        self.geometry = (kh, kw, oh, ow, strides, dilations, pad_h, pad_w)
        self.shape = (x.shape[0] * oh * ow, kh * kw * x.shape[3])

    def __iter__(self):
        kh, kw, oh, ow, strides, dilations, pad_h, pad_w = self.geometry
        n, per, rows = self.x.shape[0], self.per_block, oh * ow
        for start in range(0, n, per):
            stop = min(n, start + per)
            block = _im2col(self.x[start:stop], kh, kw, oh, ow, strides, dilations, pad_h, pad_w)
            yield slice(start * rows, stop * rows), block


# A convolution to few filters from many channels (a generator's last layer: 7x7 taps from
# 128 channels to 1) has a patch matrix far wider than its result: kh*kw*C columns against
# F. It is then cheaper the other way round ("spread"): multiply every padded pixel by the
# kernel once, ``padded @ kernel`` with ``kh*kw*F`` columns, and add each kernel offset's
# column into the output pixels it reaches. The backward pass spreads the output's gradient
# to the pixels each offset reaches, a ``(pixels, kh*kw*F)`` matrix, and both gradients are
# one product with it. The work is the same at stride 1 (stride ``s`` costs ``s*s`` times
# more, every padded pixel being multiplied by every offset) and the memory moved is
# ``kh*kw*F`` per pixel instead of ``kh*kw*C``: used where ``F * sh * sw * _SPREAD_RATIO``
# is at most ``C``. Measured on the 2-core AVX2 machine (busy with other work: the best of
# 3 interleaved runs), 64 images of 28x28, "same" padding, forward and backward:
#   7x7, 128 channels to 1 (a generator's last layer): 0.34 s spread, 2.95 s patches;
#   3x3, 64 to 3: 88 against 196 ms;  3x3, 64 to 16: 321 against 372 ms;
#   3x3, 32 to 8: 128 against 140 ms;  3x3 at stride 2, 128 to 8: 144 against 200 ms.
_SPREAD_RATIO = 4


def _spread(kh, kw, c, f, strides):
    """Whether a convolution of ``(kh, kw, c, f)`` filters goes the spread way (``_SPREAD_RATIO``)."""
    return kh * kw > 1 and f * strides[0] * strides[1] * _SPREAD_RATIO <= c


class _Spread:
    """What the backward pass of a convolution done the spread way keeps: the padded input."""

    def __init__(self, padded, kernel_shape, oh, ow, strides, dilations):
        self.padded = padded
        self.kernel_shape, self.oh, self.ow = kernel_shape, oh, ow
        self.strides, self.dilations = strides, dilations

    def forward(self, kernel):
        """The convolution as a ``(N*OH*OW, F)`` matrix: each offset's product added where it lands."""
        kh, kw, c, f = self.kernel_shape
        n, hp, wp, _ = self.padded.shape
        by_offset = self.padded.reshape(-1, c) @ kernel.transpose(2, 0, 1, 3).reshape(c, kh * kw * f)
        by_offset = by_offset.reshape(n, hp, wp, kh, kw, f)
        out = xp.zeros((n, self.oh, self.ow, f), dtype=by_offset.dtype)
        for i in range(kh):
            for j in range(kw):
                out += by_offset[_offset_slice(i, j, self.oh, self.ow, self.strides, self.dilations) + (i, j)]
        return out.reshape(-1, f)

    def spread(self, g2d):
        """The output's gradient copied to the padded pixels each kernel offset reads: ``(pixels, kh*kw*F)``."""
        kh, kw, c, f = self.kernel_shape
        n, hp, wp, _ = self.padded.shape
        g = g2d.reshape(n, self.oh, self.ow, f)
        spread = xp.zeros((n, hp, wp, kh, kw, f), dtype=g2d.dtype)
        for i in range(kh):
            for j in range(kw):
                spread[_offset_slice(i, j, self.oh, self.ow, self.strides, self.dilations) + (i, j)] = g
        return spread.reshape(n * hp * wp, kh * kw * f)

    def weight_gradient(self, spread):
        """``padded^T @ spread``, as the kernel's ``(kh*kw*C, F)`` matrix."""
        kh, kw, c, f = self.kernel_shape
        by_channel = self.padded.reshape(-1, c).T @ spread  # (C, kh*kw*F)
        return by_channel.reshape(c, kh, kw, f).transpose(1, 2, 0, 3).reshape(kh * kw * c, f)

    def input_gradient(self, spread, kernel, x_shape, pad_h, pad_w):
        """``spread @ kernel^T``: every padded pixel's gradient in one product, the padding cut off."""
        kh, kw, c, f = self.kernel_shape
        n, hp, wp, _ = self.padded.shape
        dpadded = (spread @ kernel.transpose(0, 1, 3, 2).reshape(kh * kw * f, c)).reshape(n, hp, wp, c)
        return xp.ascontiguousarray(dpadded[:, pad_h[0] : pad_h[0] + x_shape[1], pad_w[0] : pad_w[0] + x_shape[2], :])


def _conv_gradients(g2d, kernel, cols, geometry, strides, dilations, n):
    """The input's and the kernel's gradients of a convolution (``_conv_forward``'s ``cols``
    and ``geometry``), each a function of no arguments: computed only when needed."""
    if isinstance(cols, _Spread):  # both from one spread of the gradient
        x_shape, _, _, _, pad_h, pad_w = geometry
        spread = functools.cache(lambda: cols.spread(g2d))
        return (
            lambda: cols.input_gradient(spread(), kernel, x_shape, pad_h, pad_w),
            lambda: cols.weight_gradient(spread()).reshape(kernel.shape),
        )
    return (
        lambda: _conv_input_gradient(g2d, kernel, geometry, strides, dilations),
        lambda: _weight_gradient(cols, g2d, n).reshape(kernel.shape),
    )


def _conv_forward(x, kernel, strides, padding, dilations, op):
    kh, kw, c, f = _check_filters(x, kernel, op, "filters", "out_channels")
    n = x.shape[0]
    oh, ow, pad_h, pad_w = _geometry(x.shape, (kh, kw), strides, padding, dilations, op)
    kernel2d = kernel.reshape(kh * kw * c, f)
    per_block = _images_per_block(n, oh * ow, kh * kw * c, x.dtype.itemsize)
    if _spread(kh, kw, c, f, strides):  # few filters from many channels: the other way round
        cols = _Spread(_pad(x, pad_h, pad_w), (kh, kw, c, f), oh, ow, strides, dilations)
        out = cols.forward(kernel)
    elif per_block < n:  # large and wide: a block of images at a time, none kept (see _PATCH_BLOCK_BYTES)
        dtype = xp.result_type(x.dtype, kernel.dtype)
        per_product = _product_images(n, oh * ow, kh * kw * c, f, dtype.itemsize)
        per_block -= per_block % per_product  # whole products (see _CHUNK_BYTES)
        cols = _PatchBlocks(x, kh, kw, oh, ow, strides, dilations, pad_h, pad_w, per_block)
        out = xp.empty((n * oh * ow, f), dtype=dtype)
        for rows, block in cols:
            _patch_product(block, kernel2d, block.shape[0] // (oh * ow), out=out[rows])
    else:
        cols = _im2col(x, kh, kw, oh, ow, strides, dilations, pad_h, pad_w)
        out = _patch_product(cols, kernel2d, n)
    padded_shape = (n, x.shape[1] + sum(pad_h), x.shape[2] + sum(pad_w), c)
    geometry = (x.shape, padded_shape, oh, ow, pad_h, pad_w)
    return out, cols, geometry


# --- inference: no tape recording (predict, evaluate) ----------------------------------------------
# Nothing keeps a patch matrix for a backward pass, so a batch is convolved this many images
# at a time, each chunk's bias and ReLU applied while its result is still in cache: the patch
# matrix of the keras.io convnet's second layer at predict's batch of 1024 is 18 MB instead
# of 143 MB. Chunks of 128 against the whole batch: no clear difference in time on a busy
# 2-core machine (median ratio 0.98-1.06 over interleaved rounds, benchmarks/kernel_ab.py
# --only chunks; smaller chunks stalled with two BLAS threads), so the gain is the memory.
_INFERENCE_CHUNK = 128

# A row of a matrix product is not always rounded the same way in products of different
# heights: OpenBLAS's AVX2 (Haswell) sgemm computes a product's last rows, those short of its
# 12-row block, with other kernels, whose sums round differently (up to 1 ulp). A convolution
# is therefore always multiplied in the same chunks of images, counted from the batch's
# first, whichever path computes it: recorded or not, alone or fused with the pooling after
# it (which convolves a chunk into a scratch array and pools it while it is still in cache).
# A chunk's output is at most this size (the keras.io convnet's first layer: 12 images of
# 26x26x32), and at most ``_INFERENCE_CHUNK`` images whose patches fit ``_PATCH_BLOCK_BYTES``.
# The same results to the bit then, on every BLAS (where a fused pool leaves outputs unread,
# to rounding: see ``conv2d_relu_max_pool2d``). Multiplying in such chunks costs nothing
# measurable against one product over the batch (AMD EPYC, 2 threads, either OpenBLAS
# kernel; a CIFAR-sized layer's product, 64 images of 32x32x64, took 33-39 ms either way).
_CHUNK_BYTES = 1 << 20


def _product_images(n, rows, k, f, itemsize):
    """How many of ``n`` images a patch product covers (``rows`` output pixels per image, ``k``
    patch columns, ``f`` filters): see ``_CHUNK_BYTES``. The whole batch on a GPU."""
    per_block = _images_per_block(n, rows, k, itemsize)
    if xp is not numpy:
        return per_block
    return max(1, min(per_block, _INFERENCE_CHUNK, _CHUNK_BYTES // max(1, rows * f * itemsize)))


def _direct_taps(x, kernel, bias):
    """The compiled kernels, when a convolution's few taps (``_THIN_PATCHES``, a first layer)
    are better summed directly than multiplied as patches; else None.

    Directly (``direct_conv``) where OpenBLAS has no small-matrix path: on an AMD EPYC (AVX2)
    the first layer at batch 1024 took 33 ms against 41 ms for patches and per-image products.
    Where it has one (``_thin_per_image``: the AVX-512 kernels), the per-image products are the
    faster: on an Intel Xeon (AVX-512, auto-detected kernel) the same layer took 19 ms as
    patches and products a chunk at a time against 29 ms directly.
    """
    fast = _kernels(x, kernel) if bias is None else _kernels(x, kernel, bias)
    kh, kw, c, _ = kernel.shape
    if fast is None or kh * kw * c > _THIN_PATCHES or _thin_per_image():
        return None
    return fast


def _conv_inference(x, kernel, bias, strides, padding, dilations, relu):
    """``relu(conv2d(x, kernel) + bias)`` when no tape records it, chunk by chunk (see
    ``_INFERENCE_CHUNK``); None when the recorded path must run (a spread convolution, or
    arguments whose errors that path reports)."""
    plan = _inference_plan(x, kernel, strides, padding, dilations)
    if plan is None:
        return None
    n, oh, ow = x.shape[0], plan[0], plan[1]
    out = xp.empty((n, oh, ow, kernel.shape[3]), dtype=xp.result_type(x.dtype, kernel.dtype))
    per_chunk = _inference_chunk(x, kernel, plan)
    for start in range(0, n, per_chunk):
        stop = min(n, start + per_chunk)
        _convolve_chunk(x[start:stop], kernel, bias, plan, strides, dilations, relu, out[start:stop])
    return out


def _inference_chunk(x, kernel, plan):
    """Images per chunk at inference: ``_INFERENCE_CHUNK``, fewer where their patch matrix
    would pass ``_PATCH_BLOCK_BYTES`` (a large, wide layer), and a whole number of products
    (``_product_images``)."""
    kh, kw, c, f = kernel.shape
    rows, n = plan[0] * plan[1], x.shape[0]
    limit = min(_INFERENCE_CHUNK, _images_per_block(n, rows, kh * kw * c, x.dtype.itemsize))
    per_product = _product_images(n, rows, kh * kw * c, f, xp.result_type(x.dtype, kernel.dtype).itemsize)
    return max(per_product, limit - limit % per_product)


def _inference_plan(x, kernel, strides, padding, dilations):
    """``(oh, ow, pad_h, pad_w)`` of a convolution run chunk by chunk at inference, or None."""
    if is_recording() or x.ndim != 4 or kernel.ndim != 4 or x.shape[3] != kernel.shape[2]:
        return None  # (a recording tape, or a bad call: the recorded path raises its error)
    if _spread(*kernel.shape, strides):
        return None  # a spread convolution (see _SPREAD_RATIO) keeps no patch matrix to chunk
    return _geometry(x.shape, kernel.shape[:2], strides, padding, dilations, "conv2d")


def _convolve_chunk(x, kernel, bias, plan, strides, dilations, relu, out):
    """``relu(conv2d(x, kernel) + bias)`` of a few images, written into ``out`` (C-contiguous,
    ``(n, oh, ow, f)``): summed directly, or as patches times the kernel (image by image for
    thin patches where OpenBLAS has its small-matrix path)."""
    oh, ow, pad_h, pad_w = plan
    kh, kw, c, f = kernel.shape
    n = x.shape[0]
    direct = _direct_taps(x, kernel, bias)
    if direct is not None:
        direct.direct_conv(_pad(x, pad_h, pad_w), kernel, bias, oh, ow, strides, dilations, relu, out=out)
        return
    cols = _im2col(x, kh, kw, oh, ow, strides, dilations, pad_h, pad_w)
    _patch_product(cols, kernel.reshape(kh * kw * c, f), n, out=out.reshape(n * oh * ow, f))
    _add_bias_relu(out.reshape(n * oh * ow, f), bias, relu)


def _no_backward(*args):
    raise RuntimeError("this result was computed with no tape recording; it has no gradient")


def _patch_product(cols, kernel2d, n, out=None):
    """``cols @ kernel2d`` for ``n`` images, ``_product_images`` of them a product (thin
    patches: per image, see ``_THIN_PATCHES``); written into ``out`` (C-contiguous,
    ``(rows, f)``) when given."""
    k, f = kernel2d.shape
    if k <= _THIN_PATCHES and _thin_per_image() and _per_image(cols.shape[0], n):
        per_image = None if out is None else out.reshape(n, -1, f)
        return xp.matmul(cols.reshape(n, -1, k), kernel2d, out=per_image).reshape(-1, f)
    rows = cols.shape[0] // max(1, n)
    dtype = xp.result_type(cols.dtype, kernel2d.dtype)
    per_product = _product_images(n, rows, k, f, dtype.itemsize)
    if per_product >= n:
        return xp.matmul(cols, kernel2d, out=out)
    if out is None:
        out = xp.empty((cols.shape[0], f), dtype=dtype)
    step = per_product * rows
    for start in range(0, cols.shape[0], step):
        xp.matmul(cols[start : start + step], kernel2d, out=out[start : start + step])
    return out


def _weight_gradient(cols, g2d, n):
    """``cols^T @ g``: the kernel's gradient, summed over every output pixel of the batch.

    ``cols`` is the patch matrix, or its blocks (``_PatchBlocks``), whose shares are summed.
    Thin patch matrices are multiplied image by image and the ``n`` small results summed
    where OpenBLAS has a small-matrix path (see ``_THIN_PATCHES``).
    """
    k, f = cols.shape[1], g2d.shape[1]
    if isinstance(cols, _PatchBlocks):  # each block's share, summed
        total = None
        for rows, block in cols:
            share = block.T @ g2d[rows]
            total = share if total is None else xp.add(total, share, out=total)
        return total
    if k <= _THIN_PATCHES and _thin_per_image() and _per_image(cols.shape[0], n):
        per_image = xp.matmul(cols.reshape(n, -1, k).transpose(0, 2, 1), g2d.reshape(n, -1, f))
        return per_image.sum(axis=0)
    return cols.T @ g2d


def _bias_gradient(g2d, n):
    """The sum of ``g`` over every output pixel: a matrix-vector product per image.

    ``g2d.sum(axis=0)`` reduces along the long axis with a short inner loop, about 8x
    slower; one product over the whole batch is as fast but stalls under load like the
    thin products above.
    """
    if not _per_image(g2d.shape[0], n):
        return g2d.sum(axis=0)
    f = g2d.shape[1]
    per_image = g2d.reshape(n, -1, f)
    return xp.matmul(xp.ones(per_image.shape[1], dtype=g2d.dtype), per_image).sum(axis=0)


def _conv_input_gradient(g2d, kernel, geometry, strides, dilations):
    """col2im: the patches' gradients added back into the input, one kernel offset at a time.

    Large wide patch matrices go a block of images at a time (``_PATCH_BLOCK_BYTES``): the
    patches' gradients are never all in memory at once.
    """
    x_shape, padded_shape, oh, ow, pad_h, pad_w = geometry
    kh, kw, c, f = kernel.shape
    n, rows = x_shape[0], oh * ow
    per_block = _images_per_block(n, rows, kh * kw * c, g2d.dtype.itemsize)
    if per_block >= n:
        return _input_gradient_block(g2d, kernel, geometry, strides, dilations)
    dx = xp.empty(x_shape, dtype=xp.result_type(g2d.dtype, kernel.dtype))
    for start in range(0, n, per_block):
        stop = min(n, start + per_block)
        block = ((stop - start,) + tuple(x_shape[1:]), (stop - start,) + tuple(padded_shape[1:])) + geometry[2:]
        g_block = g2d[start * rows : stop * rows]
        _input_gradient_block(g_block, kernel, block, strides, dilations, out=dx[start:stop])
    return dx


def _input_gradient_block(g2d, kernel, geometry, strides, dilations, out=None):
    """The input's gradient for the images of ``g2d`` (``geometry`` describes just those);
    written into ``out`` when given.

    Compiled: one product for every offset's share, then a scatter-add per image. In NumPy,
    with 8 input channels or more, each offset's share is its own small product
    ``g @ kernel[i, j]^T``, contiguous, added into a strided slice of the input's
    gradient; computing all patches' gradients in one product and adding strided
    columns of it measured 2x slower (the adds dominate). With fewer channels those
    products would be nearly matrix-vector ones, so the single product is kept there.
    """
    x_shape, padded_shape, oh, ow, pad_h, pad_w = geometry
    kh, kw, c, f = kernel.shape
    n = x_shape[0]
    fast = _kernels(g2d, kernel)
    if fast is not None:
        dcols = g2d @ kernel.reshape(kh * kw * c, f).T
        return fast.col2im(dcols, x_shape, oh, ow, kh, kw, strides, dilations, pad_h, pad_w, out=out)
    dpadded = xp.zeros(padded_shape, dtype=g2d.dtype)
    if c >= 8:
        for i in range(kh):
            for j in range(kw):
                share = (g2d @ kernel[i, j].T).reshape(n, oh, ow, c)
                dpadded[_offset_slice(i, j, oh, ow, strides, dilations)] += share
    else:
        dcols = (g2d @ kernel.reshape(kh * kw * c, f).T).reshape(n, oh, ow, kh, kw, c)
        for i in range(kh):
            for j in range(kw):
                dpadded[_offset_slice(i, j, oh, ow, strides, dilations)] += dcols[:, :, :, i, j, :]
    h, w = x_shape[1], x_shape[2]
    dx = dpadded[:, pad_h[0] : pad_h[0] + h, pad_w[0] : pad_w[0] + w, :]
    if out is None:
        return dx
    out[...] = dx
    return out


def _relu_gradient(g, out, relu):
    """``g`` as a ``(pixels, filters)`` matrix; with a fused ReLU, zero where the output is not positive."""
    g2d = g.reshape(-1, g.shape[-1])
    fast = _kernels(g, out) if relu else None
    if fast is not None:
        return fast.relu_bias_gradient(g2d, out.reshape(g2d.shape), True, False)[0]
    if relu:
        masked = xp.empty(g2d.shape, dtype=g2d.dtype)
        # A float times a boolean stays float: one pass, no 0/1 float mask; rows split over the cores.
        split_run(lambda g, out, masked: xp.multiply(g, out > 0, out=masked), [g2d, out.reshape(g2d.shape), masked])
        g2d = masked
    return g2d


def _relu_bias_gradient(g, out, relu, n):
    """``_relu_gradient`` and, compiled, the bias's gradient from the same pass: ``(g2d, bias_gradient)``."""
    fast = _kernels(g, out)
    if fast is None:
        g2d = _relu_gradient(g, out, relu)
        return g2d, lambda: _bias_gradient(g2d, n)
    g2d = g.reshape(-1, g.shape[-1])
    g2d, db = fast.relu_bias_gradient(g2d, out.reshape(g2d.shape), relu, True)
    return g2d, lambda: db


def _add_bias_relu(out2d, bias, relu):
    """``out2d += bias`` then, with a fused ReLU, ``max(out2d, 0)``: in place, rows split over the cores."""
    fast = _kernels(out2d) if bias is None else _kernels(out2d, bias)
    if fast is not None and out2d.flags.c_contiguous:
        fast.bias_relu(out2d, bias, relu)
        return

    def rows(chunk):
        if bias is not None:
            chunk += bias
        if relu:
            xp.maximum(chunk, 0, out=chunk)

    if bias is not None or relu:
        split_run(rows, [out2d])


# What a fused ReLU's backward accepts from the op after it (``learnet.tape._handovers``):
# the gradient already multiplied by ``out > 0``, with its sum over every pixel (the
# bias's gradient, or None), as ``(masked, bias_gradient)``.
RELU_MASKED = "relu-masked gradient and its sum"


def _relu_handover(backward, finish):
    """Let the tape hand ``backward`` a ReLU-masked gradient; ``finish(masked, *inputs, out)``
    then does the rest of its work. Max pooling prepares one in the pass that sends its
    gradient to each window's winner (``_max_pool2d_kernel``)."""
    backward.accepts = RELU_MASKED
    backward.finish = finish


def _conv2d_kernel(x, kernel, strides, padding, dilations, relu=False):
    inference = _conv_inference(x, kernel, None, strides, padding, dilations, relu)
    if inference is not None:
        return inference, _no_backward
    out2d, cols, geometry = _conv_forward(x, kernel, strides, padding, dilations, "conv2d")
    n, oh, ow, f = x.shape[0], geometry[2], geometry[3], kernel.shape[3]
    _add_bias_relu(out2d, None, relu)

    def gradients(g2d, kernel):
        return _conv_gradients(g2d, kernel, cols, geometry, strides, dilations, n)

    def backward(g, x, kernel, out):
        return gradients(_relu_gradient(g, out, relu), kernel)

    backward.higher_order_backward = _conv2d_twin(strides, padding, dilations, relu, with_bias=False)
    if relu:  # the next op's backward may apply the ReLU's mask for us (see _relu_handover)
        _relu_handover(backward, lambda masked, x, kernel, out: gradients(masked[0].reshape(-1, f), kernel))
    return out2d.reshape(n, oh, ow, f), backward


_conv2d_kernel.__name__ = "conv2d"  # the name errors show
_conv2d = primitive(inputs=2, higher_order=False)(_conv2d_kernel)


def _conv2d_bias_kernel(x, kernel, bias, strides, padding, dilations, relu=False):
    if bias.shape != (kernel.shape[3],):
        raise ValueError(f"conv2d: the bias must have shape ({kernel.shape[3]},), got {tuple(bias.shape)}")
    inference = _conv_inference(x, kernel, bias, strides, padding, dilations, relu)
    if inference is not None:
        return inference, _no_backward
    out2d, cols, geometry = _conv_forward(x, kernel, strides, padding, dilations, "conv2d")
    _add_bias_relu(out2d, bias, relu)
    n, oh, ow, f = x.shape[0], geometry[2], geometry[3], kernel.shape[3]

    def gradients(g2d, kernel, bias_gradient):
        return _conv_gradients(g2d, kernel, cols, geometry, strides, dilations, n) + (bias_gradient,)

    def backward(g, x, kernel, bias, out):
        g2d, bias_gradient = _relu_bias_gradient(g, out, relu, n)
        return gradients(g2d, kernel, bias_gradient)

    backward.higher_order_backward = _conv2d_twin(strides, padding, dilations, relu, with_bias=True)

    if relu:  # the next op's backward may apply the ReLU's mask for us (see _relu_handover)
        _relu_handover(
            backward, lambda masked, x, kernel, bias, out: gradients(masked[0].reshape(-1, f), kernel, masked[1])
        )
    return out2d.reshape(n, oh, ow, f), backward


_conv2d_bias_kernel.__name__ = "conv2d"  # the name errors show
_conv2d_bias = primitive(inputs=3, higher_order=False)(_conv2d_bias_kernel)


def _conv2d_twin(strides, padding, dilations, relu, with_bias):
    """The differentiable twin of the fused convolution's backward (see ``primitive``).

    The same gradients as the kernel, written with learnet ops: the ReLU's mask as a
    product (its own derivative is zero almost everywhere), the input's and the
    filters' gradients as ``conv2d_backprop_input`` and ``conv2d_backprop_filter``,
    the bias's as a sum over every pixel.
    """

    def twin(g, x, kernel, *bias_and_out):
        out = bias_and_out[-1]
        if relu:
            g = g * cast_like(out > 0, g)
        grads = (
            lambda: _conv2d_backprop_input(g, kernel, x._value.shape, strides, padding, dilations),
            lambda: _conv2d_backprop_filter(x, g, kernel._value.shape, strides, padding, dilations),
        )
        return grads + ((lambda: reduce_sum(g, axis=(0, 1, 2))),) if with_bias else grads

    return twin


def _transposed_convolution(y, kernel, output_shape, strides, padding, dilations, op):
    """``conv2d``'s input gradient for the output gradient ``y``: the transposed convolution.

    Returns ``(result, geometry)``, the geometry of the ``conv2d`` that maps a result of
    ``output_shape`` to ``y``'s shape (see ``_conv_forward``).
    """
    _check_image(y, op)
    if kernel.ndim != 4:
        raise ValueError(
            f"{op}: filters must have shape (height, width, out_channels, in_channels), got {tuple(kernel.shape)}"
        )
    kh, kw, c, f = kernel.shape
    n = y.shape[0]
    output_shape = tuple(int(s) for s in output_shape)
    if len(output_shape) != 4 or output_shape[0] != n or output_shape[3] != c:
        raise ValueError(f"{op}: output_shape must be (batch={n}, height, width, channels={c}), got {output_shape}")
    if y.shape[3] != f:
        raise ValueError(f"{op}: the input has {y.shape[3]} channels but the filters expect {f}")
    oh, ow, pad_h, pad_w = _geometry(output_shape, (kh, kw), strides, padding, dilations, op)
    if (oh, ow) != tuple(y.shape[1:3]):
        raise ValueError(
            f"{op}: a convolution of an output of shape {output_shape} would have spatial size {(oh, ow)}, "
            f"not the input's {tuple(y.shape[1:3])}"
        )
    padded_shape = (n, output_shape[1] + sum(pad_h), output_shape[2] + sum(pad_w), c)
    geometry = (output_shape, padded_shape, oh, ow, pad_h, pad_w)
    out = _conv_input_gradient(y.reshape(n * oh * ow, f), kernel, geometry, strides, dilations)
    return xp.ascontiguousarray(out), geometry


def _conv2d_backprop_input_kernel(g, kernel, input_shape, strides, padding, dilations):
    """The gradient of ``conv2d(x, kernel)`` with respect to ``x`` (of ``input_shape``), for
    the output gradient ``g``: a transposed convolution. Second derivatives only (see
    ``_conv2d_twin``); training runs the fused kernels."""
    dx, _ = _transposed_convolution(g, kernel, input_shape, strides, padding, dilations, "conv2d_backprop_input")

    def backward(h, g, kernel, dx):
        return (
            lambda: _conv2d(h, kernel, strides, padding, dilations),
            lambda: _conv2d_backprop_filter(h, g, kernel._value.shape, strides, padding, dilations),
        )

    return dx, backward


_conv2d_backprop_input_kernel.__name__ = "conv2d_backprop_input"  # the name errors show
_conv2d_backprop_input = primitive(inputs=2)(_conv2d_backprop_input_kernel)


def _conv2d_backprop_filter_kernel(x, g, filter_shape, strides, padding, dilations):
    """The gradient of ``conv2d(x, kernel)`` with respect to ``kernel`` (of ``filter_shape``),
    for the output gradient ``g``: the patches of ``x`` times ``g``. Second derivatives only
    (see ``_conv2d_twin``)."""
    op = "conv2d_backprop_filter"
    kh, kw, c, f = (int(s) for s in filter_shape)
    _check_image(x, op)
    _check_image(g, op, "gradient")
    n = x.shape[0]
    oh, ow, pad_h, pad_w = _geometry(x.shape, (kh, kw), strides, padding, dilations, op)
    if x.shape[3] != c or tuple(g.shape) != (n, oh, ow, f):
        raise ValueError(
            f"{op}: an input of shape {tuple(x.shape)} and filters of shape {(kh, kw, c, f)} give outputs of "
            f"shape {(n, oh, ow, f)}, but the gradient has shape {tuple(g.shape)}"
        )
    per_block = _images_per_block(n, oh * ow, kh * kw * c, x.dtype.itemsize)
    if per_block < n:  # large and wide: a block of images at a time (see _PATCH_BLOCK_BYTES)
        cols = _PatchBlocks(x, kh, kw, oh, ow, strides, dilations, pad_h, pad_w, per_block)
    else:
        cols = _im2col(x, kh, kw, oh, ow, strides, dilations, pad_h, pad_w)
    dk = _weight_gradient(cols, g.reshape(n * oh * ow, f), n).reshape(kh, kw, c, f)

    def backward(h, x, g, dk):
        return (
            lambda: _conv2d_backprop_input(g, h, x._value.shape, strides, padding, dilations),
            lambda: _conv2d(x, h, strides, padding, dilations),
        )

    return dk, backward


_conv2d_backprop_filter_kernel.__name__ = "conv2d_backprop_filter"  # the name errors show
_conv2d_backprop_filter = primitive(inputs=2)(_conv2d_backprop_filter_kernel)


def _conv_arguments(strides, padding, data_format, dilations, op):
    """``(strides, padding, dilations)`` of a 2-D convolution, checked and normalised as TF does."""
    if data_format not in ("NHWC", "channels_last", None):
        raise ValueError(f"{op}: only channels-last data (data_format='NHWC') is supported, got {data_format!r}")
    strides = _pair(strides, "strides", op)
    dilations = _pair(1 if dilations is None else dilations, "dilations", op)
    if strides != (1, 1) and dilations != (1, 1):
        raise ValueError(f"{op}: strides and dilations cannot both be above 1 (as in TensorFlow)")
    padding = padding if isinstance(padding, str) else _padding_mode(padding, op)
    return strides, padding, dilations


def conv2d_relu(input, filters, bias=None, strides=1, padding="VALID", dilations=None):  # noqa: A002
    """``relu(conv2d(input, filters) + bias)`` as one fused kernel (``Conv2D(activation="relu")``).

    The ReLU runs in place on the convolution's result and its gradient is applied inside
    the convolution's backward pass: two passes over the output and an output-sized
    temporary fewer than ``relu`` after ``conv2d``. Arguments as ``conv2d``.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.ops.conv import conv2d_relu
    >>> x = tf.constant([[[[-1.0], [2.0]]]])             # one 1x2 image, one channel
    >>> conv2d_relu(x, tf.ones((1, 1, 1, 1)), bias=tf.constant([0.5])).numpy().ravel()
    array([0. , 2.5], dtype=float32)
    """
    strides, padding, dilations = _conv_arguments(strides, padding, None, dilations, "conv2d")
    if _is_grouped(input, filters):
        from learnet.ops.nn import relu

        return relu(grouped_conv(input, filters, strides, _padding_mode(padding, "conv2d"), dilations, bias))
    if bias is None:
        return _conv2d(input, filters, strides, padding, dilations, relu=True)
    return _conv2d_bias(input, filters, bias, strides, padding, dilations, relu=True)


def conv2d(
    input,
    filters,
    strides=1,
    padding="VALID",
    data_format="NHWC",
    dilations=None,  # noqa: A002
    name=None,
    bias=None,
):
    """2-D convolution of channels-last images, as ``tf.nn.conv2d``.

    Parameters
    ----------
    input : Tensor of shape ``(batch, height, width, in_channels)``
    filters : Tensor of shape ``(kernel_height, kernel_width, in_channels, out_channels)``
        With ``in_channels / groups`` input channels instead (a multiple of them in the
        input), a grouped convolution: see ``grouped_conv``.
    strides : int, pair, or TF's ``[1, sh, sw, 1]``
    padding : ``"VALID"``, ``"SAME"`` (any case) or ``[[0, 0], [top, bottom], [left, right], [0, 0]]``
        ``"SAME"`` keeps ``ceil(size / stride)`` outputs and, as TensorFlow, puts any
        odd padding at the bottom and right.
    data_format : ``"NHWC"`` (channels-last) only.
    dilations : int or pair, optional
        Spacing between the kernel's taps ("atrous" convolution).
    bias : Tensor of shape ``(out_channels,)``, optional
        Added to every output pixel inside the same fused kernel.

    Returns
    -------
    Tensor of shape ``(batch, out_height, out_width, out_channels)``

    Examples
    --------
    >>> import learnet as tf
    >>> x = tf.ones((1, 4, 4, 1))
    >>> k = tf.ones((3, 3, 1, 2))
    >>> tf.nn.conv2d(x, k, strides=1, padding="VALID").shape
    TensorShape([1, 2, 2, 2])
    >>> float(tf.nn.conv2d(x, k, 1, "SAME")[0, 0, 0, 0])
    4.0
    """
    strides, padding, dilations = _conv_arguments(strides, padding, data_format, dilations, "conv2d")
    if _is_grouped(input, filters):  # input channels a multiple of the filters': see grouped_conv
        return grouped_conv(input, filters, strides, _padding_mode(padding, "conv2d"), dilations, bias)
    if bias is None:
        return _conv2d(input, filters, strides, padding, dilations)
    return _conv2d_bias(input, filters, bias, strides, padding, dilations)


def _im2col(x, kh, kw, oh, ow, strides, dilations, pad_h, pad_w):
    """The patch matrix ``(N*OH*OW, kh*kw*C)``: one row per output pixel, ``(kh, kw, C)`` order."""
    padded = _pad(x, pad_h, pad_w)
    n, c = x.shape[0], x.shape[3]
    if c >= 2:
        # One copy through a strided view of every patch: with the channels (and, undilated,
        # a whole row of the kernel) contiguous, NumPy copies long runs. Against one strided
        # copy per kernel offset (3x3 kernel, batch 128): 2.2x faster at 32 channels, 2.9x
        # at 8, 3.2x at 3 (RGB images: 32x32, 3.3 against 10.7 ms), 3.2x at 2. With a
        # single channel a patch row is only kw elements long and the copy per offset is
        # 2.3x faster (28x28: 0.8 against 1.9 ms).
        padded = xp.ascontiguousarray(padded)
        (sh, sw), (dh, dw) = strides, dilations
        s0, s1, s2, s3 = padded.strides
        read_only = {"writeable": False} if xp is numpy else {}  # CuPy's as_strided has no writeable
        patches = xp.lib.stride_tricks.as_strided(
            padded, (n, oh, ow, kh, kw, c), (s0, sh * s1, sw * s2, dh * s1, dw * s2, s3), **read_only
        )
        return patches.reshape(n * oh * ow, kh * kw * c)
    # One channel: one strided copy of the whole batch per kernel offset.
    cols = xp.empty((n, oh, ow, kh, kw, c), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, :, i, j, :] = padded[_offset_slice(i, j, oh, ow, strides, dilations)]
    return cols.reshape(n * oh * ow, kh * kw * c)


def _conv2d_transpose_kernel(y, kernel, output_shape, strides, padding, dilations):
    out, geometry = _transposed_convolution(y, kernel, output_shape, strides, padding, dilations, "conv2d_transpose")
    kh, kw, c, f = kernel.shape
    n = y.shape[0]
    _, _, oh, ow, pad_h, pad_w = geometry
    y2d = y.reshape(n * oh * ow, f)

    def backward(g, y, kernel, out):
        cols = _im2col(g, kh, kw, oh, ow, strides, dilations, pad_h, pad_w)
        return (
            lambda: _patch_product(cols, kernel.reshape(kh * kw * c, f), n).reshape(y.shape),
            lambda: _weight_gradient(cols, y2d, n).reshape(kernel.shape),
        )

    def higher_order_backward(g, y, kernel, out):  # the same with learnet ops (see _conv2d_twin)
        return (
            lambda: _conv2d(g, kernel, strides, padding, dilations),
            lambda: _conv2d_backprop_filter(g, y, kernel._value.shape, strides, padding, dilations),
        )

    backward.higher_order_backward = higher_order_backward
    return out, backward


_conv2d_transpose_kernel.__name__ = "conv2d_transpose"  # the name errors show
_conv2d_transpose = primitive(inputs=2, higher_order=False)(_conv2d_transpose_kernel)


def conv2d_transpose(
    input,
    filters,
    output_shape,
    strides=1,
    padding="SAME",
    data_format="NHWC",  # noqa: A002
    dilations=None,
    name=None,
    bias=None,
):
    """Transposed convolution (the gradient of ``conv2d`` with respect to its input), as TF.

    Parameters
    ----------
    input : Tensor of shape ``(batch, height, width, in_channels)``
    filters : Tensor of shape ``(kernel_height, kernel_width, out_channels, in_channels)``
    output_shape : the full shape of the result, ``(batch, out_height, out_width, out_channels)``;
        a ``conv2d`` with the same strides and padding maps that shape back to the input's.
    strides, padding, dilations : as ``conv2d``
    bias : Tensor of shape ``(out_channels,)``, optional

    Examples
    --------
    >>> import learnet as tf
    >>> y = tf.nn.conv2d_transpose(tf.ones((1, 4, 4, 8)), tf.ones((3, 3, 2, 8)), (1, 8, 8, 2), 2, "SAME")
    >>> y.shape
    TensorShape([1, 8, 8, 2])
    """
    from learnet.ops.math import add

    if data_format not in ("NHWC", "channels_last", None):
        raise ValueError(
            f"conv2d_transpose: only channels-last data (data_format='NHWC') is supported, got {data_format!r}"
        )
    strides = _pair(strides, "strides", "conv2d_transpose")
    dilations = _pair(1 if dilations is None else dilations, "dilations", "conv2d_transpose")
    if isinstance(output_shape, Tensor):
        output_shape = output_shape.numpy().tolist()
    padding = padding if isinstance(padding, str) else _padding_mode(padding, "conv2d_transpose")
    out = _conv2d_transpose(input, filters, tuple(int(s) for s in output_shape), strides, padding, dilations)
    return out if bias is None else add(out, bias)


# --- grouped convolution --------------------------------------------------------------------------
# A grouped convolution (Keras' ``groups``; ResNeXt, focal modulation) cuts the ``C`` input
# channels into ``groups`` consecutive runs of ``C / groups`` and the ``F`` filters into as
# many runs of ``F / groups``: filter run ``g`` sees input run ``g`` only. Its kernel has
# ``C / groups`` input channels, ``(*kernel_size, C / groups, F)``, and TensorFlow and Keras
# read ``groups`` from the shapes: an input whose channels are a multiple of the kernel's.
#
# Every output pixel's patch ``(*kernel_size, C)`` is cut into the groups, and all groups go
# through one batched product (no loop over groups or channels):
#
#     cols (groups, pixels, taps * C/groups)  @  kernel (groups, taps * C/groups, F/groups)
#
# The backward pass is ``conv2d``'s in reverse, group by group in the same batched products:
# the kernel's gradient ``cols^T @ g``, the input's ``g @ kernel^T`` added back into the
# image one kernel tap at a time (col2im). One code for any number of spatial axes: conv1d
# (as conv2d on images of height 1), conv2d and conv3d share it. As for ``conv2d``, two more
# ops, the input's and the kernel's gradients, make second derivatives possible.


def _static_shape(value):
    """The shape of a tensor, an array or nested lists, as a tuple."""
    return tuple(value.shape) if hasattr(value, "shape") else numpy.shape(value)


def _is_grouped(input, filters):  # noqa: A002
    """Whether ``input`` has a multiple (more than one times) of ``filters``'s input channels,
    so that TensorFlow convolves it in groups."""
    x_shape, k_shape = _static_shape(input), _static_shape(filters)
    if len(x_shape) < 3 or len(x_shape) != len(k_shape):
        return False
    channels, per_group = x_shape[-1], k_shape[-2]
    return bool(channels and per_group and channels != per_group and channels % per_group == 0)


def _groups(x_shape, filter_shape, op):
    """The number of groups of an input of ``x_shape`` under filters of ``filter_shape``, checked."""
    channels, per_group, filters = x_shape[-1], filter_shape[-2], filter_shape[-1]
    if per_group < 1 or channels % per_group:
        raise ValueError(
            f"{op}: the input's {channels} channels must be a multiple of the filters' {per_group} input channels "
            f"(input {tuple(x_shape)}, filters {tuple(filter_shape)})"
        )
    groups = channels // per_group
    if filters % groups:
        raise ValueError(
            f"{op}: the {filters} output channels of the filters must be a multiple of the number of groups, "
            f"{groups} (= {channels} input channels / {per_group} per group; filters {tuple(filter_shape)})"
        )
    return groups


def _grouped_geometry(x_shape, window, strides, padding, dilations, op):
    """Output sizes and ``(before, after)`` paddings of every spatial axis.

    ``padding`` has one entry per axis: ``"same"``, ``"valid"`` or a ``(before, after)`` pair.
    """
    sizes, pads = [], []
    for axis, mode in enumerate(padding):
        effective = (window[axis] - 1) * dilations[axis] + 1
        size, pad = _window_padding(x_shape[1 + axis], effective, strides[axis], mode, op)
        sizes.append(size)
        pads.append(tuple(pad))
    return tuple(sizes), tuple(pads)


def _grouped_patches(x, window, out_size, strides, dilations, pads, groups):
    """The patch matrix cut into the groups, ``(groups, N * pixels, taps * C / groups)``.

    A strided view of the padded input, ``(N, *out_size, *window, groups, C / groups)``,
    with its group axis moved first and copied once.
    """
    if any(pad != (0, 0) for pad in pads):
        x = xp.pad(x, ((0, 0),) + pads + ((0, 0),))
    padded = xp.ascontiguousarray(x)
    rank, per_group = len(window), x.shape[-1] // groups
    batch_stride, *axis_strides, channel_stride = padded.strides
    read_only = {"writeable": False} if xp is numpy else {}  # CuPy's as_strided has no writeable
    view = xp.lib.stride_tricks.as_strided(
        padded,
        (x.shape[0],) + tuple(out_size) + tuple(window) + (groups, per_group),
        (batch_stride,)
        + tuple(s * step for s, step in zip(strides, axis_strides))
        + tuple(d * step for d, step in zip(dilations, axis_strides))
        + (per_group * channel_stride, channel_stride),
        **read_only,
    )
    group_axis = 1 + 2 * rank
    order = (group_axis,) + tuple(range(group_axis)) + (group_axis + 1,)
    pixels = x.shape[0] * int(numpy.prod(out_size))
    return view.transpose(order).reshape(groups, pixels, int(numpy.prod(window)) * per_group)


def _group_kernel(kernel, groups):
    """``(*window, C / groups, F)`` -> ``(groups, taps * C / groups, F / groups)``: each group's matrix."""
    f = kernel.shape[-1]
    return kernel.reshape(-1, groups, f // groups).transpose(1, 0, 2)


def _ungroup_kernel(grouped, kernel_shape):
    """The inverse of ``_group_kernel``: ``(groups, taps * C / groups, F / groups)`` -> ``kernel_shape``."""
    return xp.ascontiguousarray(grouped.transpose(1, 0, 2)).reshape(kernel_shape)


def _group_gradient(g, groups):
    """An output (gradient) ``(N, *out_size, F)`` -> ``(groups, N * pixels, F / groups)``."""
    return g.reshape(-1, groups, g.shape[-1] // groups).transpose(1, 0, 2)


def _grouped_col2im(g, kernel, x_shape, window, out_size, strides, dilations, pads):
    """The input's gradient: each patch's gradient ``g @ kernel^T`` (every group in one batched
    product) added back into a padded input, one kernel tap at a time."""
    groups = x_shape[-1] // kernel.shape[-2]
    per_group, rank, n = kernel.shape[-2], len(window), x_shape[0]
    dcols = xp.matmul(_group_gradient(g, groups), _group_kernel(kernel, groups).transpose(0, 2, 1))
    # (groups, N, *out, *window, C/g) viewed as (N, *out, *window, groups, C/g)
    dcols = xp.moveaxis(dcols.reshape((groups, n) + tuple(out_size) + tuple(window) + (per_group,)), 0, -2)
    padded_sizes = tuple(size + before + after for size, (before, after) in zip(x_shape[1:-1], pads))
    dpadded = xp.zeros((n,) + padded_sizes + (groups, per_group), dtype=xp.result_type(g.dtype, kernel.dtype))
    for tap in itertools.product(*(range(k) for k in window)):
        where = (slice(None),) + tuple(
            slice(t * d, t * d + s * (o - 1) + 1, s) for t, o, s, d in zip(tap, out_size, strides, dilations)
        )
        dpadded[where] += dcols[(slice(None),) * (1 + rank) + tap]
    inside = (slice(None),) + tuple(slice(before, before + size) for size, (before, _) in zip(x_shape[1:-1], pads))
    return xp.ascontiguousarray(dpadded[inside]).reshape(x_shape)


def _grouped_conv_kernel(x, kernel, strides, padding, dilations, op="conv2d"):
    """The grouped convolution of ``x`` ``(N, *spatial, C)`` with ``kernel``
    ``(*window, C / groups, F)``; ``padding`` one entry per spatial axis."""
    if kernel.ndim != x.ndim:
        raise ValueError(
            f"{op}: filters must have shape (*kernel_size, in_channels, out_channels) with "
            f"{x.ndim - 2} spatial axes, got {tuple(kernel.shape)}"
        )
    groups = _groups(x.shape, kernel.shape, op)
    window, f = kernel.shape[:-2], kernel.shape[-1]
    out_size, pads = _grouped_geometry(x.shape, window, strides, padding, dilations, op)
    cols = _grouped_patches(x, window, out_size, strides, dilations, pads, groups)
    out = xp.matmul(cols, _group_kernel(kernel, groups))  # (groups, N * pixels, F / groups)
    out = xp.ascontiguousarray(out.transpose(1, 0, 2)).reshape((x.shape[0],) + out_size + (f,))

    def backward(g, x, kernel, out):
        return (
            lambda: _grouped_col2im(g, kernel, x.shape, window, out_size, strides, dilations, pads),
            lambda: _ungroup_kernel(xp.matmul(cols.transpose(0, 2, 1), _group_gradient(g, groups)), kernel.shape),
        )

    def higher_order_backward(g, x, kernel, out):  # the same with learnet ops (see primitive)
        return (
            lambda: _grouped_conv_backprop_input(g, kernel, x._value.shape, strides, padding, dilations),
            lambda: _grouped_conv_backprop_filter(x, g, kernel._value.shape, strides, padding, dilations),
        )

    backward.higher_order_backward = higher_order_backward
    return out, backward


_grouped_conv_kernel.__name__ = "grouped_conv"  # the name the tape shows
_grouped_conv = primitive(inputs=2, higher_order=False)(_grouped_conv_kernel)


def _grouped_conv_backprop_input_kernel(g, kernel, input_shape, strides, padding, dilations):
    """The gradient of a grouped convolution with respect to its input (of ``input_shape``),
    for the output gradient ``g``. Second derivatives only; training runs ``_grouped_conv``."""
    op = "grouped_conv_backprop_input"
    input_shape = tuple(int(s) for s in input_shape)
    groups = _groups(input_shape, kernel.shape, op)
    window = kernel.shape[:-2]
    out_size, pads = _grouped_geometry(input_shape, window, strides, padding, dilations, op)
    expected = (input_shape[0],) + out_size + (kernel.shape[-1],)
    if tuple(g.shape) != expected:
        raise ValueError(
            f"{op}: an input of shape {input_shape} and filters of shape {tuple(kernel.shape)} give outputs of "
            f"shape {expected}, but the gradient has shape {tuple(g.shape)} ({groups} groups)"
        )
    dx = _grouped_col2im(g, kernel, input_shape, window, out_size, strides, dilations, pads)

    def backward(h, g, kernel, dx):
        return (
            lambda: _grouped_conv(h, kernel, strides, padding, dilations),
            lambda: _grouped_conv_backprop_filter(h, g, kernel._value.shape, strides, padding, dilations),
        )

    return dx, backward


_grouped_conv_backprop_input_kernel.__name__ = "grouped_conv_backprop_input"
_grouped_conv_backprop_input = primitive(inputs=2)(_grouped_conv_backprop_input_kernel)


def _grouped_conv_backprop_filter_kernel(x, g, filter_shape, strides, padding, dilations):
    """The gradient of a grouped convolution with respect to its kernel (of ``filter_shape``),
    for the output gradient ``g``. Second derivatives only; training runs ``_grouped_conv``."""
    op = "grouped_conv_backprop_filter"
    filter_shape = tuple(int(s) for s in filter_shape)
    groups = _groups(x.shape, filter_shape, op)
    window = filter_shape[:-2]
    out_size, pads = _grouped_geometry(x.shape, window, strides, padding, dilations, op)
    expected = (x.shape[0],) + out_size + (filter_shape[-1],)
    if tuple(g.shape) != expected:
        raise ValueError(
            f"{op}: an input of shape {tuple(x.shape)} and filters of shape {filter_shape} give outputs of "
            f"shape {expected}, but the gradient has shape {tuple(g.shape)}"
        )
    cols = _grouped_patches(x, window, out_size, strides, dilations, pads, groups)
    dk = _ungroup_kernel(xp.matmul(cols.transpose(0, 2, 1), _group_gradient(g, groups)), filter_shape)

    def backward(h, x, g, dk):
        return (
            lambda: _grouped_conv_backprop_input(g, h, x._value.shape, strides, padding, dilations),
            lambda: _grouped_conv(x, h, strides, padding, dilations),
        )

    return dk, backward


_grouped_conv_backprop_filter_kernel.__name__ = "grouped_conv_backprop_filter"
_grouped_conv_backprop_filter = primitive(inputs=2)(_grouped_conv_backprop_filter_kernel)


def grouped_conv(input, filters, strides, padding, dilations, bias=None, op="conv2d"):  # noqa: A002
    """A grouped convolution of channels-last data with any number of spatial axes.

    ``conv1d``, ``conv2d`` and ``conv3d`` (and so ``keras.ops.conv`` and the ``Conv`` layers
    with ``groups > 1``) come here when the input has a multiple of the filters' input
    channels, as TensorFlow allows.

    Parameters
    ----------
    input : Tensor of shape ``(batch, *spatial, channels)``
    filters : Tensor of shape ``(*kernel_size, channels / groups, out_channels)``
        Output channel ``f`` belongs to group ``f // (out_channels / groups)`` and sees input
        channels ``g * channels / groups`` to ``(g + 1) * channels / groups - 1`` only.
    strides, dilations : one int per spatial axis
    padding : one entry per spatial axis, ``"same"``, ``"valid"`` or ``(before, after)``
    bias : Tensor of shape ``(out_channels,)``, optional
    op : the name errors show

    Returns
    -------
    Tensor of shape ``(batch, *out_spatial, out_channels)``

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.ops.conv import grouped_conv
    >>> x = tf.ones((1, 4, 4, 6))                   # 6 channels, 3 groups of 2
    >>> y = grouped_conv(x, tf.ones((3, 3, 2, 9)), (1, 1), ("valid", "valid"), (1, 1))
    >>> y.shape, float(y[0, 0, 0, 0])               # each output sums 3 x 3 x 2 inputs
    (TensorShape([1, 2, 2, 9]), 18.0)
    """
    from learnet.ops.math import add

    out = _grouped_conv(input, filters, tuple(strides), tuple(padding), tuple(dilations), op=op)
    if bias is None:
        return out
    if tuple(_static_shape(bias)) != (out.shape[-1],):
        raise ValueError(f"{op}: the bias must have shape ({out.shape[-1]},), got {tuple(_static_shape(bias))}")
    return add(out, bias)


# --- depthwise and separable convolution ----------------------------------------------------------
def _depthwise_conv2d_kernel(x, kernel, strides, padding, dilations):
    """Each input channel convolved with its own ``multiplier`` kernels, never mixed.

    One multiply-add per kernel offset over the whole batch (the channels are independent,
    so there is no matrix product to hand to BLAS), for each multiplier ``m`` in turn, on
    contiguous ``(batch, height, width, channels)`` arrays: ``out_m += x_offset *
    kernel[i, j, :, m]``. The backward pass is the same in reverse: the input's gradient
    adds each offset's ``g_m * kernel[i, j, :, m]`` back into a strided slice, and the
    kernel's gradient at each offset is a sum over every pixel of ``x_offset * g_m``.
    """
    op = "depthwise_conv2d"
    kh, kw, c, m = _check_filters(x, kernel, op, "filter", "channel_multiplier")
    n = x.shape[0]
    oh, ow, pad_h, pad_w = _geometry(x.shape, (kh, kw), strides, padding, dilations, op)
    padded = _pad(x, pad_h, pad_w)
    offsets = [_offset_slice(i, j, oh, ow, strides, dilations) for i in range(kh) for j in range(kw)]
    taps = kernel.reshape(kh * kw, c, m)
    dtype = xp.result_type(x.dtype, kernel.dtype)
    out = xp.empty((n, oh, ow, c, m), dtype=dtype)
    term = xp.empty((n, oh, ow, c), dtype=dtype)
    for k in range(m):
        total = xp.zeros((n, oh, ow, c), dtype=dtype)
        for tap, where in enumerate(offsets):
            xp.multiply(padded[where], taps[tap, :, k], out=term)
            total += term
        out[..., k] = total

    def backward(g, x, kernel, out):
        g5 = g.reshape(n, oh, ow, c, m)
        per_multiplier = [xp.ascontiguousarray(g5[..., k]) for k in range(m)]
        taps = kernel.reshape(kh * kw, c, m)

        def input_gradient():
            dpadded = xp.zeros(padded.shape, dtype=g.dtype)
            share = xp.empty((n, oh, ow, c), dtype=g.dtype)
            for k, g_k in enumerate(per_multiplier):
                for tap, where in enumerate(offsets):
                    xp.multiply(g_k, taps[tap, :, k], out=share)
                    dpadded[where] += share
            return _unpad(dpadded, x.shape, pad_h, pad_w)

        def kernel_gradient():
            dk = xp.empty((kh * kw, c, m), dtype=g.dtype)
            product = xp.empty((n, oh, ow, c), dtype=g.dtype)
            for k, g_k in enumerate(per_multiplier):
                for tap, where in enumerate(offsets):
                    xp.multiply(padded[where], g_k, out=product)
                    dk[tap, :, k] = product.reshape(-1, c).sum(axis=0)
            return dk.reshape(kernel.shape)

        return input_gradient, kernel_gradient

    backward.higher_order_backward = _depthwise_conv2d_twin(strides, padding, dilations)
    return out.reshape(n, oh, ow, c * m), backward


def _depthwise_conv2d_twin(strides, padding, dilations):
    """The differentiable twin of the depthwise convolution's backward (see ``primitive``).

    A depthwise convolution is a ``conv2d`` whose filters never mix channels: filters
    of shape ``(kh, kw, C, C * M)``, zero between different channels. The twin builds
    them from the depthwise kernel with learnet ops and takes the convolution's
    gradients (``conv2d_backprop_input``, ``conv2d_backprop_filter``); the kernel's
    gradient is the full filters' gradient read on the same diagonal. ``C`` times the
    work of the fused kernel: for second derivatives only.
    """

    def twin(g, x, kernel, out):
        kh, kw, c, m = kernel._value.shape
        diagonal = Tensor._wrap(xp.eye(c, dtype=kernel._value.dtype).reshape(1, 1, c, c, 1))
        full = reshape(reshape(kernel, (kh, kw, 1, c, m)) * diagonal, (kh, kw, c, c * m))
        return (
            lambda: _conv2d_backprop_input(g, full, x._value.shape, strides, padding, dilations),
            lambda: reduce_sum(
                reshape(
                    _conv2d_backprop_filter(x, g, (kh, kw, c, c * m), strides, padding, dilations), (kh, kw, c, c, m)
                )
                * diagonal,
                axis=2,
            ),
        )

    return twin


_depthwise_conv2d_kernel.__name__ = "depthwise_conv2d"  # the name errors show
_depthwise_conv2d = primitive(inputs=2, higher_order=False)(_depthwise_conv2d_kernel)


def depthwise_conv2d(input, filter, strides, padding, data_format=None, dilations=None, name=None):  # noqa: A002
    """Depthwise 2-D convolution, as ``tf.nn.depthwise_conv2d``: every input channel is
    convolved with its own ``channel_multiplier`` kernels, and the channels never mix.

    Parameters
    ----------
    input : Tensor of shape ``(batch, height, width, in_channels)``
    filter : Tensor of shape ``(kernel_height, kernel_width, in_channels, channel_multiplier)``
    strides : int, pair, or TF's ``[1, sh, sw, 1]``
    padding : ``"VALID"``, ``"SAME"`` or explicit padding, as ``conv2d``
    dilations : int or pair, optional

    Returns
    -------
    Tensor of shape ``(batch, out_height, out_width, in_channels * channel_multiplier)``;
    output channel ``c * channel_multiplier + m`` is input channel ``c`` under kernel ``m``.

    Examples
    --------
    >>> import learnet as tf
    >>> x = tf.reshape(tf.range(8, dtype="float32"), (1, 2, 2, 2))   # two channels
    >>> k = tf.ones((2, 2, 2, 1))
    >>> tf.nn.depthwise_conv2d(x, k, [1, 1, 1, 1], "VALID").numpy().ravel()   # each channel summed alone
    array([12., 16.], dtype=float32)
    """
    strides, padding, dilations = _conv_arguments(strides, padding, data_format, dilations, "depthwise_conv2d")
    return _depthwise_conv2d(input, filter, strides, padding, dilations)


def separable_conv2d(
    input,  # noqa: A002
    depthwise_filter,
    pointwise_filter,
    strides,
    padding,
    data_format=None,
    dilations=None,
    name=None,
):
    """Depthwise convolution, then a 1x1 convolution that mixes the channels, as
    ``tf.nn.separable_conv2d``.

    Parameters
    ----------
    input : Tensor of shape ``(batch, height, width, in_channels)``
    depthwise_filter : Tensor of shape ``(kernel_height, kernel_width, in_channels, channel_multiplier)``
    pointwise_filter : Tensor of shape ``(1, 1, in_channels * channel_multiplier, out_channels)``
    strides, padding, dilations : as ``depthwise_conv2d`` (the pointwise step has none)

    Examples
    --------
    >>> import learnet as tf
    >>> y = tf.nn.separable_conv2d(tf.ones((1, 5, 5, 3)), tf.ones((3, 3, 3, 2)), tf.ones((1, 1, 6, 4)), 1, "SAME")
    >>> y.shape
    TensorShape([1, 5, 5, 4])
    """
    op = "separable_conv2d"
    strides, padding, dilations = _conv_arguments(strides, padding, data_format, dilations, op)
    shape = tuple(getattr(pointwise_filter, "shape", numpy.shape(pointwise_filter)))
    if len(shape) != 4 or shape[:2] != (1, 1):
        raise ValueError(
            f"{op}: pointwise_filter must have shape (1, 1, in_channels * channel_multiplier, out_channels), "
            f"got {shape}"
        )
    depthwise = _depthwise_conv2d(input, depthwise_filter, strides, padding, dilations)
    if depthwise.shape[-1] != shape[2]:
        raise ValueError(
            f"{op}: the depthwise step gives {depthwise.shape[-1]} channels but pointwise_filter expects "
            f"{shape[2]} (shape {shape})"
        )
    return _conv2d(depthwise, pointwise_filter, (1, 1), "VALID", (1, 1))


def conv1d(
    input,
    filters,
    stride=1,
    padding="VALID",
    data_format="NWC",
    dilations=None,
    name=None,  # noqa: A002
    bias=None,
):
    """1-D convolution of ``(batch, width, channels)`` sequences, as ``tf.nn.conv1d``.

    ``filters`` has shape ``(kernel_width, in_channels, out_channels)``. Runs as a
    ``conv2d`` on images of height 1.
    """
    from learnet.ops.shape import expand_dims, squeeze

    if data_format not in ("NWC", "channels_last", None):
        raise ValueError(f"conv1d: only channels-last data (data_format='NWC') is supported, got {data_format!r}")
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim != 3:
        raise ValueError(f"conv1d: the input must have shape (batch, width, channels), got {tuple(x.shape)}")
    k = filters if isinstance(filters, Tensor) else Tensor(filters, dtype=x.dtype)
    if k.ndim != 3:
        raise ValueError(f"conv1d: filters must have shape (width, in_channels, out_channels), got {tuple(k.shape)}")
    stride = stride if isinstance(stride, (int, numpy.integer)) else _pair(stride, "stride", "conv1d")[-1]
    dilation = (
        1
        if dilations is None
        else (dilations if isinstance(dilations, (int, numpy.integer)) else _pair(dilations, "dilations", "conv1d")[-1])
    )
    if not isinstance(padding, str):
        # Explicit padding: TF's [[0, 0], [left, right], [0, 0]], or just [left, right].
        pairs = [list(p) for p in padding] if not isinstance(padding[0], (int, numpy.integer)) else [list(padding)]
        steps = pairs[1] if len(pairs) == 3 else pairs[0]
        padding = [[0, 0], [0, 0], steps, [0, 0]]
    y = conv2d(expand_dims(x, 1), expand_dims(k, 0), (1, int(stride)), padding, dilations=(1, int(dilation)), bias=bias)
    return squeeze(y, 1)


# --- pooling --------------------------------------------------------------------------------------
def _pool_setup(x, ksize, strides, padding, op):
    _check_image(x, op)
    window = _pair(ksize, "ksize", op)
    strides = window if strides is None else _pair(strides, "strides", op)
    oh, ow, pad_h, pad_w = _geometry(x.shape, window, strides, padding, (1, 1), op)
    return window, strides, oh, ow, pad_h, pad_w


def _unpad(dpadded, x_shape, pad_h, pad_w):
    h, w = x_shape[1], x_shape[2]
    return dpadded[:, pad_h[0] : pad_h[0] + h, pad_w[0] : pad_w[0] + w, :]


def _window_slices(window, strides, oh, ow):
    """One strided slice of the padded image per window offset: ``ph * pw`` of them."""
    return [_offset_slice(i, j, oh, ow, strides, (1, 1)) for i in range(window[0]) for j in range(window[1])]


def _max_pool2d_kernel(x, window, strides, padding):
    window, strides, oh, ow, pad_h, pad_w = _pool_setup(x, window, strides, padding, "max_pool2d")
    fast = _kernels(x)
    if fast is not None:  # the forward pass notes each window's winner; the gradient is one scatter
        out, index = fast.max_pool(x, window, strides, oh, ow, pad_h, pad_w, keep_index=is_recording())
        if index is None:
            return out, _no_backward

        def backward(g, x, out):
            return fast.max_pool_gradient(g, index, x.shape, window, strides, pad_h, pad_w)

        backward.higher_order_backward = _max_pool_twin(index, window, strides, pad_h, pad_w)

        def prepare(kind, g, x, out):
            # After a fused ReLU: the mask, out > 0, read at each winner (its value is the
            # window's maximum), and the bias's gradient summed in the same pass.
            if kind != RELU_MASKED:
                return None
            return fast.max_pool_gradient(g, index, x.shape, window, strides, pad_h, pad_w, relu_out=out)

        backward.prepare = prepare
        return out, backward
    lowest = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
    padded = _pad(x, pad_h, pad_w, lowest)
    slices = _window_slices(window, strides, oh, ow)
    out = xp.empty((x.shape[0], oh, ow, x.shape[3]), dtype=x.dtype)

    def images(padded, out):
        xp.copyto(out, padded[slices[0]])
        for where in slices[1:]:
            xp.maximum(out, padded[where], out=out)

    split_run(images, [padded, out])
    twin = _max_pool_twin(None, window, strides, pad_h, pad_w)
    if strides == window:

        def backward(g, x, out):
            dpadded = xp.empty(padded.shape, dtype=g.dtype)
            split_run(lambda *arrays: _max_pool_tiles_gradient(*arrays, window), [padded, out, g, dpadded])
            return _unpad(dpadded, x.shape, pad_h, pad_w)

        backward.higher_order_backward = twin
        return out, backward

    overlapping = strides[0] < window[0] or strides[1] < window[1]

    def backward(g, x, out):
        # The first maximum of each window (in row-major order) takes the gradient, as in TF.
        dpadded = xp.zeros(padded.shape, dtype=g.dtype)
        taken = None
        for where in slices:
            hit = padded[where] == out
            if taken is None:
                taken = hit.copy()
            else:
                xp.greater(hit, taken, out=hit)  # hit and not yet taken
                taken |= hit
            if overlapping:
                dpadded[where] += hit * g
            else:
                xp.multiply(hit, g, out=dpadded[where])
        return _unpad(dpadded, x.shape, pad_h, pad_w)

    backward.higher_order_backward = twin
    return out, backward


def _max_pool_twin(index, window, strides, pad_h, pad_w):
    """The differentiable twin of max pooling's backward (see ``primitive``).

    The backward sends ``g`` to each window's winner: an ``_scatter`` (learnet's op, whose
    own derivative gathers at the same places). The winners do not move under a small
    change of ``x``, so the second derivative through ``x`` is zero. ``index`` is the
    compiled kernel's record of each window's winner (None: found again here, with the
    same rule, the first maximum in row-major order).
    """

    def twin(g, x, out):
        shape = x._value.shape
        taps = index if index is not None else _max_pool_taps(x._value, out._value, window, strides, pad_h, pad_w)
        positions = _winner_positions(taps, shape, window, strides, pad_h, pad_w)
        size = x._value.size
        # One extra slot takes the gradient of windows no element of x wins (NaN, all padding).
        flat = _scatter(reshape(g, [-1]), (positions.reshape(-1),), (size + 1,))
        return reshape(flat[:size], shape)

    return twin


def _max_pool_taps(x, out, window, strides, pad_h, pad_w):
    """Which offset of its window won each output of a max pooling (row-major, the first of
    ties; -1 where none equals the maximum, a NaN): the compiled kernel's ``index``."""
    oh, ow = out.shape[1], out.shape[2]
    lowest = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
    padded = _pad(x, pad_h, pad_w, lowest)
    taps = xp.full(out.shape, -1, dtype=xp.int32)
    for tap, where in enumerate(_window_slices(window, strides, oh, ow)):
        taps[(padded[where] == out) & (taps < 0)] = tap
    return taps


def _winner_positions(taps, x_shape, window, strides, pad_h, pad_w):
    """The flat position in ``x`` of each window's winner (``taps``, as ``_max_pool_taps``);
    ``x.size`` where the winner is no element of ``x`` (padding, or none)."""
    n, h, w, c = x_shape
    oh, ow = taps.shape[1], taps.shape[2]
    taps = taps.astype(xp.intp)
    rows = xp.arange(oh).reshape(1, oh, 1, 1) * strides[0] - pad_h[0] + taps // window[1]
    cols = xp.arange(ow).reshape(1, 1, ow, 1) * strides[1] - pad_w[0] + taps % window[1]
    inside = (taps >= 0) & (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    images = xp.arange(n).reshape(n, 1, 1, 1)
    flat = ((images * h + rows) * w + cols) * c + xp.arange(c)
    return xp.where(inside, flat, n * h * w * c)


def _max_pool_tiles_gradient(padded, out, g, dpadded, window):
    """Max pooling's input gradient when the windows tile the image (stride = window size).

    The image is viewed as blocks ``(n, oh, ph, ow, pw, c)`` (no copy), compared with the
    output in one broadcast pass, and the gradient written in one broadcast product;
    ties keep only the first maximum of each window (row-major order, as TensorFlow).
    About 1.6x faster than one comparison and one product per window offset. Rows and
    columns beyond the last whole window get no gradient. Writes into ``dpadded`` (the
    images of the batch are independent: slices of it are done on separate threads).
    """
    n, oh, ow, c = out.shape
    ph, pw = window
    blocks = padded[:, : oh * ph, : ow * pw, :].reshape(n, oh, ph, ow, pw, c)
    dpadded[:, oh * ph :] = 0
    dpadded[:, :, ow * pw :] = 0
    dblocks = dpadded[:, : oh * ph, : ow * pw, :].reshape(n, oh, ph, ow, pw, c)  # a view: splits axes
    hit = blocks == out[:, :, None, :, None, :]
    if ph * pw > 1:
        taken = hit[:, :, 0, :, 0, :].copy()
        offsets = [(i, j) for i in range(ph) for j in range(pw)][1:]
        for number, (i, j) in enumerate(offsets, start=1):
            later = hit[:, :, i, :, j, :]
            xp.greater(later, taken, out=later)  # a maximum, and none taken before it
            if number < len(offsets):
                taken |= later
    xp.multiply(hit, g[:, :, None, :, None, :], out=dblocks)


_max_pool2d_kernel.__name__ = "max_pool2d"  # the name errors show
_max_pool2d = primitive(inputs=1, higher_order=False)(_max_pool2d_kernel)


def _avg_pool_counts(x_shape, dtype, window, pad_h, pad_w, slices, oh, ow):
    """How many real (unpadded) elements each window holds: TensorFlow averages over those."""
    if pad_h == (0, 0) and pad_w == (0, 0):
        return dtype.type(window[0] * window[1])
    ones = _pad(xp.ones((1, x_shape[1], x_shape[2], 1), dtype=dtype), pad_h, pad_w, 0)
    counts = xp.zeros((1, oh, ow, 1), dtype=dtype)
    for where in slices:
        counts += ones[where]
    return counts


def _avg_pool2d_kernel(x, window, strides, padding):
    window, strides, oh, ow, pad_h, pad_w = _pool_setup(x, window, strides, padding, "avg_pool2d")
    padded = _pad(x, pad_h, pad_w, 0)
    slices = _window_slices(window, strides, oh, ow)
    counts = _avg_pool_counts(x.shape, x.dtype, window, pad_h, pad_w, slices, oh, ow)
    total = padded[slices[0]].copy()
    for where in slices[1:]:
        total += padded[where]
    total /= counts
    padded_shape = padded.shape  # the backward keeps the shape, not the padded copy

    def backward(g, x, out):
        return _avg_pool_spread(g, counts, padded_shape, x.shape, slices, pad_h, pad_w)

    def higher_order_backward(g, x, out):  # the same as an op (see primitive), differentiable
        return _avg_pool2d_backprop(g, x._value.shape, window, strides, padding)

    backward.higher_order_backward = higher_order_backward
    return total, backward


def _avg_pool_spread(g, counts, padded_shape, x_shape, slices, pad_h, pad_w):
    """Average pooling's input gradient: each window's share of ``g`` added to its elements."""
    share = g / counts
    dpadded = xp.zeros(padded_shape, dtype=g.dtype)
    for where in slices:
        dpadded[where] += share
    return _unpad(dpadded, x_shape, pad_h, pad_w)


def _avg_pool2d_backprop_kernel(g, input_shape, window, strides, padding):
    """The gradient of ``avg_pool2d`` with respect to its input (of ``input_shape``), for the
    output gradient ``g``. A linear map whose transpose is the pooling itself, so each is the
    other's backward. Second derivatives only; training runs the fused kernel."""
    op = "avg_pool2d_backprop"
    _check_image(g, op, "gradient")
    input_shape = tuple(int(s) for s in input_shape)
    oh, ow, pad_h, pad_w = _geometry(input_shape, window, strides, padding, (1, 1), op)
    if tuple(g.shape) != (input_shape[0], oh, ow, input_shape[3]):
        raise ValueError(f"{op}: an input of shape {input_shape} pools to {(oh, ow)}, got a gradient {g.shape}")
    slices = _window_slices(window, strides, oh, ow)
    counts = _avg_pool_counts(input_shape, g.dtype, window, pad_h, pad_w, slices, oh, ow)
    padded_shape = (input_shape[0], input_shape[1] + sum(pad_h), input_shape[2] + sum(pad_w), input_shape[3])
    dx = _avg_pool_spread(g, counts, padded_shape, input_shape, slices, pad_h, pad_w)
    return xp.ascontiguousarray(dx), lambda h, g, dx: _avg_pool2d(h, window, strides, padding)


_avg_pool2d_backprop_kernel.__name__ = "avg_pool2d_backprop"  # the name errors show
_avg_pool2d_backprop = primitive(inputs=1)(_avg_pool2d_backprop_kernel)


_avg_pool2d_kernel.__name__ = "avg_pool2d"  # the name errors show
_avg_pool2d = primitive(inputs=1, higher_order=False)(_avg_pool2d_kernel)


def _pool_arguments(ksize, strides, padding, data_format, op):
    if data_format not in ("NHWC", "channels_last", None):
        raise ValueError(f"{op}: only channels-last data (data_format='NHWC') is supported, got {data_format!r}")
    window = _pair(ksize, "ksize", op)
    strides = window if strides is None else _pair(strides, "strides", op)
    padding = padding if isinstance(padding, str) else _padding_mode(padding, op)
    return window, strides, padding


def max_pool2d(input, ksize, strides=None, padding="VALID", data_format="NHWC", name=None):  # noqa: A002
    """Max pooling of channels-last images, as ``tf.nn.max_pool2d``.

    Parameters
    ----------
    input : Tensor of shape ``(batch, height, width, channels)``
    ksize : int, pair, or ``[1, ph, pw, 1]``
        Size of the pooling window.
    strides : int, pair or ``[1, sh, sw, 1]``, optional
        The window size by default.
    padding : ``"VALID"`` or ``"SAME"``
        Padded elements never win the max.

    The gradient goes to each window's maximum (the first one, where several tie).

    Examples
    --------
    >>> import learnet as tf
    >>> x = tf.reshape(tf.range(16.0), (1, 4, 4, 1))
    >>> tf.nn.max_pool2d(x, 2, 2, "VALID")[0, :, :, 0].numpy()
    array([[ 5.,  7.],
           [13., 15.]], dtype=float32)
    """
    window, strides, padding = _pool_arguments(ksize, strides, padding, data_format, "max_pool2d")
    return _max_pool2d(input, window, strides, padding)


# A convolution with ReLU and the max pooling after it, run together: each chunk of images
# (one product's, ``_product_images``) is convolved into a scratch array of at most
# ``_CHUNK_BYTES``, small enough to stay in the core's cache, and pooled from there. The
# convolution's whole output (the keras.io convnet's first layer at predict's batch of
# 1024: 88 MB) is then never written to memory and read back, and never allocated: an array
# that large is mapped afresh by malloc for every batch, and its first touch cost 9 ms of
# page faults here (Intel Xeon, 2 cores).


def conv2d_relu_max_pool2d(
    input,  # noqa: A002
    filters,
    bias=None,
    strides=1,
    padding="VALID",
    dilations=None,
    pool_size=2,
    pool_strides=None,
    pool_padding="VALID",
):
    """``max_pool2d(conv2d_relu(input, filters, bias, ...), pool_size, pool_strides, pool_padding)``:
    a ``Conv2D(activation="relu")`` and the ``MaxPooling2D`` after it, as one op.

    The two run a few images at a time: each chunk's convolution (the same computation as
    ``conv2d_relu``'s, so the results are the same to the bit) goes into a small scratch
    array that is pooled while it is still in cache, and the convolution's full output is
    never made. With a tape recording, the patch matrix and the pool's winners are kept
    and the gradients are the two ops' to the bit (second derivatives go through the two
    ops); where the compiled kernels do not run, or the patches are built in blocks, it is
    simply the two ops. ``Sequential`` and functional models call it for such a pair of
    layers. Arguments as ``conv2d_relu`` and ``max_pool2d``.

    Only the outputs the pool reads are convolved (``_pool_reads``): a "valid" pool drops
    the windows that do not fit, so a 2x2 pool of an 11x11 convolution reads its first
    10x10 outputs, and the other 21 of 121 are neither multiplied nor kept (the keras.io
    convnet's second layer: its forward and backward products 17 % shorter). The results
    are the same numbers, but from shorter products and gradient sums over fewer rows,
    which a BLAS may round in another order (OpenBLAS's AVX2 kernel does): there they equal
    the two ops' to rounding, not always to the bit.

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as tf
    >>> from learnet.ops.conv import conv2d_relu, conv2d_relu_max_pool2d
    >>> x = np.random.default_rng(0).standard_normal((3, 8, 8, 2)).astype("float32")
    >>> k = np.random.default_rng(1).standard_normal((3, 3, 2, 4)).astype("float32")
    >>> fused = conv2d_relu_max_pool2d(x, k, pool_size=2)
    >>> fused.shape
    TensorShape([3, 3, 3, 4])
    >>> bool((fused.numpy() == tf.nn.max_pool2d(conv2d_relu(x, k), 2, 2, "VALID").numpy()).all())
    True
    """
    strides, padding, dilations = _conv_arguments(strides, padding, None, dilations, "conv2d")
    window, pool_strides, pool_padding = _pool_arguments(pool_size, pool_strides, pool_padding, None, "max_pool2d")
    options = (strides, padding, dilations, window, pool_strides, pool_padding)
    tensors = (input, filters) if bias is None else (input, filters, bias)
    if is_recording():
        if not _trains_fused(tensors, *options):
            conv = conv2d_relu(input, filters, bias, strides, padding, dilations)
            return _max_pool2d(conv, window, pool_strides, pool_padding)
        return (_conv_relu_pool_train if bias is None else _conv_bias_relu_pool_train)(*tensors, *options)
    if _is_grouped(input, filters):
        conv = conv2d_relu(input, filters, bias, strides, padding, dilations)
        return _max_pool2d(conv, window, pool_strides, pool_padding)
    return (_conv_relu_pool if bias is None else _conv_bias_relu_pool)(*tensors, *options)


def _trains_fused(tensors, strides, padding, dilations, window, pool_strides, pool_padding):
    """Whether a recorded convolution and pool can run as the fused training op: tensors of
    one float dtype the compiled kernels take, a whole patch matrix (not the spread way, not
    in blocks) and a valid geometry; anything else runs as the two ops (and raises their
    errors)."""
    arrays = [t._value if isinstance(t, Tensor) else None for t in tensors]
    if any(a is None for a in arrays) or arrays[0].ndim != 4 or arrays[1].ndim != 4:
        return False
    x, kernel = arrays[0], arrays[1]
    kh, kw, c, f = kernel.shape
    if x.shape[3] != c or (len(arrays) == 3 and arrays[2].shape != (f,)) or _kernels(*arrays) is None:
        return False
    try:
        oh, ow, _, _ = _geometry(x.shape, (kh, kw), strides, padding, dilations, "conv2d")
        _geometry((x.shape[0], oh, ow, f), window, pool_strides, pool_padding, (1, 1), "max_pool2d")
    except ValueError:
        return False
    whole = _images_per_block(x.shape[0], oh * ow, kh * kw * c, x.dtype.itemsize) >= x.shape[0]
    return whole and not _spread(kh, kw, c, f, strides)


def _pool_reads(oh, ow, window, pool_strides, pool_padding):
    """The rows and columns of a convolution's ``(oh, ow)`` output that the max pooling after
    it reads: ``(rows, columns)``, from the top-left corner.

    With ``"valid"`` pooling (or explicit zero padding) windows that do not fit are dropped,
    and the outputs under none of them are never read: the keras.io convnet's second layer
    makes 11x11 outputs and its 2x2 pool reads the first 10x10 of them. The fused op then
    convolves only those (17 % of that layer's products, patches and gradients saved). A
    ``"same"`` axis, or one with padding, is read whole. A bad pool raises here.
    """
    read = []
    for size, mode, w, s in zip((oh, ow), _padding_mode(pool_padding, "max_pool2d"), window, pool_strides):
        out, pad = _window_padding(size, w, s, mode, "max_pool2d")
        read.append((out - 1) * s + w if mode != "same" and pad == (0, 0) else size)
    return tuple(read)


def _fused_arrays(n, conv_shape, k, dtype, window, pool_strides, pool_padding):
    """What both fused kernels convolve and pool into: ``(per_chunk, scratch, pool, out)``,
    the images per chunk (one product's: ``_product_images``, for ``k`` patch columns), the
    chunk's scratch array ``(per_chunk, oh, ow, f)``, the pool's ``_pool_setup`` (a bad pool
    raises here) and the pooled output of all ``n`` images."""
    oh, ow, f = conv_shape
    per_chunk = _product_images(n, oh * ow, k, f, dtype.itemsize)
    scratch = xp.empty((per_chunk, oh, ow, f), dtype=dtype)
    pool = _pool_setup(scratch, window, pool_strides, pool_padding, "max_pool2d")
    return per_chunk, scratch, pool, xp.empty((n, pool[2], pool[3], f), dtype=dtype)


def _conv_relu_pool_kernel(x, kernel, strides, padding, dilations, window, pool_strides, pool_padding, bias=None):
    plan = _inference_plan(x, kernel, strides, padding, dilations)
    if plan is None:  # a spread convolution, or a bad call: the plain ops (and their errors)
        conv = _conv2d_bias_kernel if bias is not None else _conv2d_kernel
        arrays = (x, kernel) if bias is None else (x, kernel, bias)
        out, _ = conv(*arrays, strides, padding, dilations, relu=True)
        return _max_pool2d_kernel(out, window, pool_strides, pool_padding)[0], _no_backward
    oh, ow = _pool_reads(*plan[:2], window, pool_strides, pool_padding)
    plan = (oh, ow) + tuple(plan[2:])  # only the outputs the pool reads
    n, f = x.shape[0], kernel.shape[3]
    dtype = xp.result_type(x.dtype, kernel.dtype)
    k = kernel.shape[0] * kernel.shape[1] * kernel.shape[2]
    per_chunk, scratch, pool, out = _fused_arrays(n, (oh, ow, f), k, dtype, window, pool_strides, pool_padding)
    for start in range(0, n, per_chunk):
        stop = min(n, start + per_chunk)
        conv = scratch[: stop - start]
        _convolve_chunk(x[start:stop], kernel, bias, plan, strides, dilations, True, conv)
        _max_pool_into(conv, pool, pool_padding, out[start:stop])
    return out, _no_backward


def _conv_bias_relu_pool_kernel(x, kernel, bias, *options):
    if x.ndim == 4 and kernel.ndim == 4 and bias.shape != (kernel.shape[3],):
        raise ValueError(f"conv2d: the bias must have shape ({kernel.shape[3]},), got {tuple(bias.shape)}")
    return _conv_relu_pool_kernel(x, kernel, *options, bias=bias)


_conv_relu_pool_kernel.__name__ = _conv_bias_relu_pool_kernel.__name__ = "conv2d_relu_max_pool2d"
_conv_relu_pool = primitive(inputs=2, higher_order=False)(_conv_relu_pool_kernel)
_conv_bias_relu_pool = primitive(inputs=3, higher_order=False)(_conv_bias_relu_pool_kernel)


def _conv_relu_pool_train_kernel(x, kernel, strides, padding, dilations, window, pool_strides, pool_padding, bias=None):
    """The fused op under a tape (``_trains_fused`` checked the arguments): the patch matrix
    is built whole and kept for the gradients, as ``conv2d_relu``'s; each chunk's product,
    bias and ReLU go into the scratch array and are pooled from there, winners kept. The
    backward needs only those: the pool's gradient, masked by the ReLU at each winner (its
    value is the pooled one), is the convolution's, as ``conv2d_relu`` and ``max_pool2d``
    hand it over when run one after the other."""
    fast = _kernels(x, kernel)
    kh, kw, c, f = kernel.shape
    n = x.shape[0]
    oh, ow, pad_h, pad_w = _geometry(x.shape, (kh, kw), strides, padding, dilations, "conv2d")
    oh, ow = _pool_reads(oh, ow, window, pool_strides, pool_padding)  # only the outputs the pool reads
    cols = _im2col(x, kh, kw, oh, ow, strides, dilations, pad_h, pad_w)
    kernel2d = kernel.reshape(kh * kw * c, f)
    conv_shape = (n, oh, ow, f)
    per_chunk, scratch, pool, out = _fused_arrays(
        n, (oh, ow, f), kh * kw * c, x.dtype, window, pool_strides, pool_padding
    )
    index = xp.empty(out.shape, dtype=fast.index_dtype(window))
    rows = oh * ow
    for start in range(0, n, per_chunk):
        stop = min(n, start + per_chunk)
        conv = scratch[: stop - start]
        _patch_product(cols[start * rows : stop * rows], kernel2d, stop - start, out=conv.reshape(-1, f))
        _add_bias_relu(conv.reshape(-1, f), bias, True)
        fast.max_pool(conv, *pool, keep_index=True, out=out[start:stop], index=index[start:stop])
    padded_shape = (n, x.shape[1] + sum(pad_h), x.shape[2] + sum(pad_w), c)
    geometry = (x.shape, padded_shape, oh, ow, pad_h, pad_w)

    def backward(g, x, kernel, *rest):
        masked, bias_gradient = fast.max_pool_gradient(g, index, conv_shape, *pool[:2], *pool[4:], relu_out=rest[-1])
        gradients = _conv_gradients(masked.reshape(-1, f), kernel, cols, geometry, strides, dilations, n)
        return gradients if bias is None else gradients + (lambda: bias_gradient,)

    backward.higher_order_backward = _conv_pool_twin(strides, padding, dilations, window, pool_strides, pool_padding)
    return out, backward


def _conv_bias_relu_pool_train_kernel(x, kernel, bias, *options):
    return _conv_relu_pool_train_kernel(x, kernel, *options, bias=bias)


def _conv_pool_twin(strides, padding, dilations, window, pool_strides, pool_padding):
    """The differentiable twin of the fused training op's backward: the two ops it fuses,
    run again on a tape of their own whose backward the outer tapes record (each op with
    its own twin), for second derivatives (see ``primitive``)."""

    def twin(g, x, kernel, *rest):
        inputs = [x, kernel, *rest[:-1]]
        with GradientTape() as tape:
            for tensor in inputs:
                tape.watch(tensor)
            conv = conv2d_relu(x, kernel, inputs[2] if len(inputs) == 3 else None, strides, padding, dilations)
            pooled = _max_pool2d(conv, window, pool_strides, pool_padding)
        return tuple(tape.gradient(pooled, inputs, output_gradients=g))

    return twin


_conv_relu_pool_train_kernel.__name__ = _conv_bias_relu_pool_train_kernel.__name__ = "conv2d_relu_max_pool2d"
_conv_relu_pool_train = primitive(inputs=2, higher_order=False)(_conv_relu_pool_train_kernel)
_conv_bias_relu_pool_train = primitive(inputs=3, higher_order=False)(_conv_bias_relu_pool_train_kernel)


def _max_pool_into(x, pool, padding, out):
    """Max pooling of ``x`` (no tape: no winners kept) written into ``out``; ``pool`` is
    ``_pool_setup``'s ``(window, strides, oh, ow, pad_h, pad_w)`` for ``padding``."""
    window, strides, oh, ow, pad_h, pad_w = pool
    fast = _kernels(x)
    if fast is not None:
        fast.max_pool(x, window, strides, oh, ow, pad_h, pad_w, keep_index=False, out=out)
        return
    out[...] = _max_pool2d_kernel(x, window, strides, padding)[0]


def avg_pool2d(input, ksize, strides=None, padding="VALID", data_format="NHWC", name=None):  # noqa: A002
    """Average pooling of channels-last images, as ``tf.nn.avg_pool2d``.

    With ``"SAME"`` padding each window is averaged over its real elements only, as
    TensorFlow does.

    Examples
    --------
    >>> import learnet as tf
    >>> x = tf.reshape(tf.range(16.0), (1, 4, 4, 1))
    >>> tf.nn.avg_pool2d(x, 2, 2, "VALID")[0, :, :, 0].numpy()
    array([[ 2.5,  4.5],
           [10.5, 12.5]], dtype=float32)
    """
    window, strides, padding = _pool_arguments(ksize, strides, padding, data_format, "avg_pool2d")
    return _avg_pool2d(input, window, strides, padding)


def _pool1d(pool, input, ksize, strides, padding, op):
    from learnet.ops.shape import expand_dims, squeeze

    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim != 3:
        raise ValueError(f"{op}: the input must have shape (batch, steps, channels), got {tuple(x.shape)}")
    k = _pair(ksize, "ksize", op)[-1] if not isinstance(ksize, (int, numpy.integer)) else int(ksize)
    s = (
        k
        if strides is None
        else (_pair(strides, "strides", op)[-1] if not isinstance(strides, (int, numpy.integer)) else int(strides))
    )
    return squeeze(pool(expand_dims(x, 1), (1, k), (1, s), padding), 1)


def max_pool1d(input, ksize, strides=None, padding="VALID", data_format="NWC", name=None):  # noqa: A002
    """Max pooling of ``(batch, steps, channels)`` sequences, as ``tf.nn.max_pool1d``."""
    return _pool1d(max_pool2d, input, ksize, strides, padding, "max_pool1d")


def avg_pool1d(input, ksize, strides=None, padding="VALID", data_format="NWC", name=None):  # noqa: A002
    """Average pooling of ``(batch, steps, channels)`` sequences, as ``tf.nn.avg_pool1d``."""
    return _pool1d(avg_pool2d, input, ksize, strides, padding, "avg_pool1d")


__all__ = [
    "conv1d",
    "conv2d",
    "conv2d_transpose",
    "max_pool2d",
    "avg_pool2d",
    "max_pool1d",
    "avg_pool1d",
]
