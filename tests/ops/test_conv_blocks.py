"""Wide convolutions built and multiplied a block of images at a time (``_PATCH_BLOCK_BYTES``).

The forward pass, the kernel's gradient and the input's gradient of a block-by-block
convolution must be the whole batch's to rounding, for every geometry and both kernel
choices, with blocks of one image, blocks that leave a shorter last one, and one block
for the whole batch; and the forward pass must keep no patch matrix for the backward.
"""

import importlib.util
import tracemalloc

import numpy as np
import pytest

import learnet as tf
from learnet.ops import compiled
from learnet.ops import conv as conv_ops

from compiled_kernels import restore_kernels  # noqa: F401 (autouse)

KERNELS = ["numpy"] + (["numba"] if importlib.util.find_spec("numba") else [])

# (image height, width, channels), kernel (height, width), filters, strides, padding, dilations
GEOMETRIES = [
    ((13, 13, 32), (3, 3), 64, 1, "VALID", 1),  # the keras.io convnet's second layer
    ((9, 11, 8), (3, 3), 5, 1, "SAME", 1),
    ((10, 9, 16), (3, 2), 7, 2, "SAME", 1),
    ((12, 12, 12), (3, 3), 4, (2, 3), "VALID", 1),
    ((11, 10, 9), (3, 3), 6, 1, "SAME", 2),  # dilated
    ((8, 8, 4), (3, 3), 3, 1, "VALID", 1),  # 36 columns from 4 channels: NumPy's few-channel path
    ((7, 6, 40), (1, 1), 3, 1, "VALID", 1),  # a 1x1 convolution, 40 columns
    ((9, 9, 16), (4, 4), 8, 3, [[0, 0], [2, 1], [1, 2], [0, 0]], 1),  # explicit, uneven padding
]


def close(got, want, dtype):
    """Equal to rounding: sums of hundreds of terms added in another order, so the error is
    measured against the largest value, not each one (a sum that cancels to almost zero)."""
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * float(np.abs(want).max()))


def per_image_bytes(shape, window, strides, padding, dilations, itemsize):
    """The bytes of one image's patch matrix for this geometry."""
    strides = conv_ops._pair(strides, "strides", "test")
    dilations = conv_ops._pair(dilations, "dilations", "test")
    mode = padding if isinstance(padding, str) else conv_ops._padding_mode(padding, "test")
    oh, ow, _, _ = conv_ops._geometry((1,) + shape, window, strides, mode, dilations, "test")
    return oh * ow * window[0] * window[1] * shape[2] * itemsize


def run(x, kernel, bias, strides, padding, dilations, relu):
    """Forward and every gradient of a (fused) convolution, as NumPy arrays."""
    x, kernel, bias = (tf.Variable(a, dtype=a.dtype) for a in (x, kernel, bias))
    with tf.GradientTape() as tape:
        if relu:
            y = conv_ops.conv2d_relu(x, kernel, bias, strides, padding, dilations)
        else:
            y = tf.nn.conv2d(x, kernel, strides, padding, dilations=dilations, bias=bias)
        weights = np.linspace(-1.0, 2.0, y.numpy().size).reshape(y.shape).astype(x.dtype.name)
        weights = tf.constant(weights, dtype=weights.dtype)
        loss = tf.reduce_sum(y * weights)
    grads = tape.gradient(loss, [x, kernel, bias])
    return [y.numpy()] + [g.numpy() for g in grads]


@pytest.mark.parametrize("kernels", KERNELS)
@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: f"{g[0]}-{g[1]}-s{g[3]}-{g[4]}-d{g[5]}"[:60])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_blocks_give_the_whole_batch_result(kernels, geometry, dtype, monkeypatch):
    shape, window, filters, strides, padding, dilations = geometry
    rng = np.random.default_rng(5)
    n = 7
    x = rng.normal(size=(n,) + shape).astype(dtype)
    kernel = rng.normal(size=window + (shape[2], filters)).astype(dtype)
    bias = rng.normal(size=filters).astype(dtype)
    compiled.set_kernels(kernels)
    itemsize = np.dtype(dtype).itemsize
    one = per_image_bytes(shape, window, strides, padding, dilations, itemsize)
    columns = window[0] * window[1] * shape[2]
    assert columns > conv_ops._THIN_PATCHES  # wide: blocks apply
    for relu in (False, True):
        monkeypatch.setattr(conv_ops, "_PATCH_BLOCK_BYTES", 1 << 40)
        whole = run(x, kernel, bias, strides, padding, dilations, relu)
        for images in (1, 3, n):  # one image per block, 3 + 3 + 1, and one block
            monkeypatch.setattr(conv_ops, "_PATCH_BLOCK_BYTES", images * one)
            assert conv_ops._images_per_block(n, one // (columns * itemsize), columns, itemsize) == images
            blocked = run(x, kernel, bias, strides, padding, dilations, relu)
            for got, want in zip(blocked, whole):
                assert got.dtype == want.dtype == dtype and got.shape == want.shape
                close(got, want, dtype)


@pytest.mark.parametrize("kernels", KERNELS)
def test_blocked_gradients_match_finite_differences(kernels, monkeypatch):
    """The block-by-block backward checked against central differences, not only against itself."""
    compiled.set_kernels(kernels)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 6, 5, 8))
    kernel = rng.normal(size=(3, 3, 8, 2))
    weights = rng.normal(size=(3, 6, 5, 2))
    monkeypatch.setattr(conv_ops, "_PATCH_BLOCK_BYTES", 1)  # one image per block

    def loss_of(x_value, kernel_value):
        y = tf.nn.conv2d(
            tf.constant(x_value, dtype=x_value.dtype), tf.constant(kernel_value, dtype=kernel_value.dtype), 1, "SAME"
        )
        return float(np.sum(y.numpy() * weights))

    xv, kv = tf.Variable(x, dtype=x.dtype), tf.Variable(kernel, dtype=kernel.dtype)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.nn.conv2d(xv, kv, 1, "SAME") * weights)
    dx, dk = (g.numpy() for g in tape.gradient(loss, [xv, kv]))
    assert dx.dtype == dk.dtype == np.float64
    eps = 1e-6
    checks = [(dx, 0, index) for index in [(0, 0, 0, 0), (1, 3, 2, 5), (2, 5, 4, 7)]]
    checks += [(dk, 1, index) for index in [(0, 0, 0, 0), (1, 2, 7, 1), (2, 1, 3, 0)]]
    for grad, which, index in checks:
        nudged = []
        for step in (eps, -eps):
            args = [x.copy(), kernel.copy()]
            args[which][index] += step
            nudged.append(loss_of(*args))
        assert grad[index] == pytest.approx((nudged[0] - nudged[1]) / (2 * eps), rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("kernels", KERNELS)
def test_conv2d_transpose_by_blocks(kernels, monkeypatch):
    """A transposed convolution's forward is a convolution's input gradient: by blocks too."""
    compiled.set_kernels(kernels)
    rng = np.random.default_rng(3)
    y = rng.normal(size=(5, 4, 4, 16)).astype(np.float32)
    kernel = rng.normal(size=(3, 3, 6, 16)).astype(np.float32)
    results = []
    for block in (1 << 40, 1):
        monkeypatch.setattr(conv_ops, "_PATCH_BLOCK_BYTES", block)
        yv, kv = tf.Variable(y), tf.Variable(kernel)
        with tf.GradientTape() as tape:
            out = tf.nn.conv2d_transpose(yv, kv, (5, 8, 8, 6), 2, "SAME")
            loss = tf.reduce_sum(out * out)
        results.append([out.numpy()] + [g.numpy() for g in tape.gradient(loss, [yv, kv])])
    for got, want in zip(results[1], results[0]):
        close(got, want, np.float32)


def test_thin_patches_and_other_arrays_stay_whole(monkeypatch):
    assert conv_ops._images_per_block(128, 121, 288, 4) == 128  # the keras.io convnet: 17.8 MB, whole
    assert conv_ops._images_per_block(64, 1024, 576, 4) == 32 * 1024 * 1024 // (1024 * 576 * 4)  # CIFAR-sized
    monkeypatch.setattr(conv_ops, "_PATCH_BLOCK_BYTES", 1)
    assert conv_ops._images_per_block(128, 676, 9, 4) == 128  # a first layer: 9 columns
    assert conv_ops._images_per_block(128, 676, conv_ops._THIN_PATCHES, 4) == 128
    assert conv_ops._images_per_block(128, 121, 288, 4) == 1
    monkeypatch.setattr(conv_ops, "_PATCH_BLOCK_BYTES", 2 * 1024 * 1024)
    assert conv_ops._images_per_block(128, 121, 288, 4) == 2 * 1024 * 1024 // (121 * 288 * 4)
    assert conv_ops._images_per_block(128, 224 * 224, 576, 4) == 1  # one image's patches over the block size
    assert conv_ops._images_per_block(4, 121, 288, 4) == 4  # the batch fits in one block
    monkeypatch.setattr(conv_ops, "xp", object())  # another array module (a GPU): one product
    assert conv_ops._images_per_block(128, 121, 288, 4) == 128


def retained_by_forward(monkeypatch, block_bytes):
    """Bytes the forward pass of a recorded convolution leaves allocated for its backward."""
    monkeypatch.setattr(conv_ops, "_PATCH_BLOCK_BYTES", block_bytes)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(64, 13, 13, 32)).astype(np.float32))
    kernel = tf.Variable(rng.normal(size=(3, 3, 32, 64)).astype(np.float32))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        with tf.GradientTape() as tape:
            y = tf.nn.conv2d(x, kernel, 1, "VALID")
        retained = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert tape.gradient(y, kernel).shape == kernel.shape
    return retained


@pytest.mark.parametrize("kernels", KERNELS)
def test_the_forward_keeps_no_patch_matrix(kernels, monkeypatch):
    """64 images of 13x13x32 under a 3x3 kernel: 8.9 MB of patches, 2 MB of output."""
    compiled.set_kernels(kernels)
    output_bytes, patch_bytes = 64 * 11 * 11 * 64 * 4, 64 * 11 * 11 * 288 * 4
    whole = retained_by_forward(monkeypatch, 1 << 40)
    blocked = retained_by_forward(monkeypatch, 2 * 1024 * 1024)
    assert whole >= output_bytes + patch_bytes  # the measure sees a kept patch matrix
    assert blocked < output_bytes + patch_bytes // 4
