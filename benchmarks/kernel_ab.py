"""In-process, interleaved A/B timings of candidate kernels against the ones in use.

Run from the repository root::

    python benchmarks/kernel_ab.py                 # every comparison, 15 rounds each
    python benchmarks/kernel_ab.py --only threads --rounds 31

Whole-epoch runs (``compare.py``) need a quiet machine; a kernel decision does not.
Here A and B run alternately in one process on the same arrays, many short rounds,
and the figure is the median of the per-round ratios B / A (below 1: B is faster):
a neighbour's burst slows one round of both, not one side. Still, two threads only
pay when a second core is free; on a busy machine the ``threads`` comparison shows
the contention, not the kernel.

Comparisons:

- ``threads``: the element-wise passes of a convnet step (bias+ReLU forward, ReLU
  gradient, max pooling and its gradient) and the optimizer updates (Adam on the
  convnet's weights, RMSprop on the MLP's), serial (A, ``set_num_threads(1)``)
  against split over 2 threads (B); and one whole training step of the keras.io
  convnet (batch 128) both ways.
- ``winograd``: a 3x3 stride-1 convolution as im2col + one GEMM (A, what learnet
  does) against Winograd F(2,3) (B: input and output transforms as strided
  element-wise passes, 16 batched GEMMs of a 2.25x smaller total), at the
  convnet's second layer for training (batch 128) and predict (batch 1024).
- ``col2im``: the input gradient of that layer (batch 128) as 9 thin products
  added into strided slices (A, what learnet does) against one full convolution
  of the zero-padded output gradient with the rotated kernel (B: im2col + one GEMM,
  no adds).
- ``chunks``: that layer at predict (batch 1024, no tape) as one whole-batch
  im2col + GEMM (A) against 128 images at a time (B, what learnet does now).
- ``taps``: the first layer (1 input channel) as im2col + GEMM (A) against a
  direct 9-tap multiply-add over shifted views of the image (B).
- ``conv-numba``: the NumPy kernels (A, ``set_kernels("numpy")``) against the compiled ones
  (B, ``set_kernels("numba")``, the ``fast`` extra) pass by pass at the keras.io
  convnet's sizes (bias+ReLU, ReLU and bias gradient, the second layer's input
  gradient, max pooling and its gradient), then one whole training step (batch 128) and ``predict`` (batch 1024).
- ``blocks``: one training step (batch 64) of a CIFAR-sized convnet (32x32x3 images,
  Conv2D 32 and 64 "same", pooling, Conv2D 128) with every patch matrix whole (A) against
  wide patch matrices over ``_PATCH_BLOCK_BYTES`` built a block of images at a time and
  rebuilt for the backward pass (B, what learnet does), then against 2 MB blocks (B);
  with the peak of NumPy's traced memory during a step for each (``tracemalloc``).
- ``serial``: every compiled conv kernel's serial version (A, what one thread runs)
  against its parallel version on one thread (B): numba vectorizes some loops only in
  the parallel version (it knows there the arrays do not overlap), so a kernel whose
  serial version loses must be rewritten.
- ``compiled``: the NumPy reference (A, ``set_kernels("numpy")``) against the numba
  kernels (B, ``set_kernels("numba")``): the optimizer updates (RMSprop on the MLP's
  weights, Adam on the convnet's), the dense layer's bias+ReLU forward and its
  backward, and one whole MLP training step (784-512-10, RMSprop, batch 128); then the
  compiled RMSprop update and the MLP step on one thread (A) against two (B,
  ``set_num_threads(2)``: numba's threads share the large weights).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import numpy as np

import learnet as keras
from learnet.ops import compiled, parallel
from learnet.ops import conv as conv_ops


def ab(name, a, b, rounds):
    """Median over rounds of time(b) / time(a), A and B alternating (B first on odd rounds)."""
    a(), b()
    ratios, ta, tb = [], [], []
    for r in range(rounds):
        order = (a, b) if r % 2 == 0 else (b, a)
        times = {}
        for fn in order:
            start = time.perf_counter()
            fn()
            times[fn] = time.perf_counter() - start
        ta.append(times[a])
        tb.append(times[b])
        ratios.append(times[b] / times[a])
    print(
        f"{name:48s} A {statistics.median(ta) * 1e3:8.2f} ms   B {statistics.median(tb) * 1e3:8.2f} ms"
        f"   B/A median {statistics.median(ratios):.2f} (quartiles "
        f"{np.percentile(ratios, 25):.2f}-{np.percentile(ratios, 75):.2f})",
        flush=True,
    )


def with_threads(n, fn):
    def run():
        before = parallel.num_threads()
        parallel.set_num_threads(n)
        try:
            fn()
        finally:
            parallel.set_num_threads(before)

    return run


def threads_comparisons(rounds):
    rng = np.random.default_rng(0)
    conv_out = rng.standard_normal((128 * 26 * 26, 32), dtype=np.float32)
    bias = rng.standard_normal(32, dtype=np.float32)
    g = rng.standard_normal(conv_out.shape, dtype=np.float32)
    image = np.maximum(rng.standard_normal((128, 26, 26, 32), dtype=np.float32), 0)
    pooled = keras.constant(image)

    def bias_relu():
        out = conv_out.copy()
        conv_ops._add_bias_relu(out, bias, True)

    def relu_grad():
        conv_ops._relu_gradient(g, conv_out, True)

    def pool_step():
        with keras.GradientTape() as tape:
            tape.watch(pooled)
            y = keras.nn.max_pool2d(pooled, 2, 2, "VALID")
        tape.gradient(y, pooled, output_gradients=keras.ones_like(y))

    for name, fn in (
        ("bias + ReLU forward (128x26x26x32)", bias_relu),
        ("ReLU gradient (128x26x26x32)", relu_grad),
        ("max pool 2x2 forward + gradient", pool_step),
    ):
        ab(f"threads 1 -> 2: {name}", with_threads(1, fn), with_threads(2, fn), rounds)

    for label, opt, shapes in (
        (
            "Adam, convnet weights",
            keras.keras.optimizers.Adam(),
            [(3, 3, 1, 32), (32,), (3, 3, 32, 64), (64,), (1600, 10), (10,)],
        ),
        ("RMSprop, MLP weights", keras.keras.optimizers.RMSprop(), [(784, 512), (512,), (512, 10), (10,)]),
    ):
        weights = [keras.Variable(rng.standard_normal(s, dtype=np.float32) * 0.01) for s in shapes]
        grads = [rng.standard_normal(s, dtype=np.float32) * 1e-3 for s in shapes]

        def step(opt=opt, weights=weights, grads=grads):
            opt.apply_gradients(zip(grads, weights))

        ab(f"threads 1 -> 2: {label}", with_threads(1, step), with_threads(2, step), rounds)

    model = convnet()
    x = rng.random((128, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, 128)

    def train_step():
        model.train_on_batch(x, y)

    ab(
        "threads 1 -> 2: one convnet training step (batch 128)",
        with_threads(1, train_step),
        with_threads(2, train_step),
        rounds,
    )


def with_kernels(name, fn):
    def run():
        before = compiled.kernels()
        compiled.set_kernels(name)
        try:
            fn()
        finally:
            compiled.set_kernels(before)

    return run


def convnet():
    layers = keras.keras.layers
    model = keras.keras.Sequential(
        [
            keras.keras.Input((28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def numba_comparisons(rounds):
    import numba

    from learnet.ops.compiled import conv as compiled_conv

    print(f"numba {numba.__version__}, {compiled_conv.num_threads()} threads", flush=True)
    rng = np.random.default_rng(0)
    conv_out = rng.standard_normal((128 * 26 * 26, 32), dtype=np.float32)
    bias = rng.standard_normal(32, dtype=np.float32)
    g = rng.standard_normal(conv_out.shape, dtype=np.float32)
    kernel = rng.standard_normal((3, 3, 32, 64), dtype=np.float32)
    g2d = rng.standard_normal((128 * 11 * 11, 64), dtype=np.float32)
    geometry = ((128, 13, 13, 32), (128, 13, 13, 32), 11, 11, (0, 0), (0, 0))

    def bias_relu():
        out = conv_out.copy()
        conv_ops._add_bias_relu(out, bias, True)

    def relu_bias_grad():
        g2d, db = conv_ops._relu_bias_gradient(g, conv_out, True, 128)
        db()

    def pool(shape):
        x = keras.constant(np.maximum(rng.standard_normal(shape, dtype=np.float32), 0))

        def step():
            with keras.GradientTape() as tape:
                tape.watch(x)
                y = keras.nn.max_pool2d(x, 2, 2, "VALID")
            tape.gradient(y, x, output_gradients=keras.ones_like(y))

        return step

    passes = (
        ("copy + bias + ReLU forward (128x26x26x32)", bias_relu),
        ("ReLU gradient + bias gradient (128x26x26x32)", relu_bias_grad),
        (
            "input gradient 11x11x64 -> 13x13x32 (col2im)",
            lambda: conv_ops._conv_input_gradient(g2d, kernel, geometry, (1, 1), (1, 1)),
        ),
        ("max pool 2x2 + gradient, 26x26x32", pool((128, 26, 26, 32))),
        ("max pool 2x2 + gradient, 11x11x64", pool((128, 11, 11, 64))),
    )
    for name, fn in passes:
        ab(f"numpy -> numba: {name}", with_kernels("numpy", fn), with_kernels("numba", fn), rounds)

    model = convnet()
    x = rng.random((128, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, 128)
    images = rng.random((1024, 28, 28, 1), dtype=np.float32)
    ab(
        "numpy -> numba: one convnet training step (batch 128)",
        with_kernels("numpy", lambda: model.train_on_batch(x, y)),
        with_kernels("numba", lambda: model.train_on_batch(x, y)),
        rounds,
    )
    ab(
        "numpy -> numba: convnet predict (1024 images)",
        with_kernels("numpy", lambda: model.predict(images, batch_size=1024, verbose=0)),
        with_kernels("numba", lambda: model.predict(images, batch_size=1024, verbose=0)),
        rounds,
    )


def compiled_comparisons(rounds):

    rng = np.random.default_rng(0)
    optimizer_cases = (
        ("RMSprop, MLP weights", keras.keras.optimizers.RMSprop, [(784, 512), (512,), (512, 10), (10,)]),
        (
            "Adam, convnet weights",
            keras.keras.optimizers.Adam,
            [(3, 3, 1, 32), (32,), (3, 3, 32, 64), (64,), (1600, 10), (10,)],
        ),
    )
    for label, make, shapes in optimizer_cases:
        steps = {}
        for kernels in ("numpy", "numba"):
            weights = [keras.Variable(rng.standard_normal(s, dtype=np.float32) * 0.01) for s in shapes]
            grads = [rng.standard_normal(s, dtype=np.float32) * 1e-3 for s in shapes]
            opt = make()
            steps[kernels] = with_kernels(kernels, lambda opt=opt, w=weights, g=grads: opt.apply_gradients(zip(g, w)))
        ab(f"numpy -> numba: {label}", steps["numpy"], steps["numba"], rounds)

    from learnet.ops import nn as nn_ops

    x = rng.random((128, 784), dtype=np.float32)
    kernel = rng.standard_normal((784, 512), dtype=np.float32) * 0.05
    bias = rng.standard_normal(512, dtype=np.float32) * 0.1
    product = x @ kernel
    g = rng.standard_normal((128, 512), dtype=np.float32)
    relu_out = np.maximum(product + bias, 0)

    def bias_relu_forward():
        out = product.copy()
        if compiled.enabled():
            nn_ops._compiled_dense().bias_relu(out, bias)
        else:
            out += bias
            np.maximum(out, 0, out=out)

    def relu_backward():
        if compiled.enabled():
            nn_ops._compiled_dense().relu_gradient_and_bias_sum(g, relu_out)
        else:
            np.multiply(g, relu_out > 0).sum(axis=0)

    for label, fn in (
        ("dense bias + ReLU forward (128x512)", bias_relu_forward),
        ("dense ReLU gradient + bias gradient (128x512)", relu_backward),
    ):
        ab(f"numpy -> numba: {label}", with_kernels("numpy", fn), with_kernels("numba", fn), rounds)

    layers = keras.keras.layers
    model = keras.keras.Sequential(
        [keras.keras.Input((784,)), layers.Dense(512, activation="relu"), layers.Dense(10, activation="softmax")]
    )
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = rng.random((128, 784), dtype=np.float32)
    y = rng.integers(0, 10, 128)

    def train_step():
        model.train_on_batch(x, y)

    ab(
        "numpy -> numba: one MLP training step (batch 128)",
        with_kernels("numpy", train_step),
        with_kernels("numba", train_step),
        rounds,
    )

    weights = [keras.Variable(rng.standard_normal((784, 512), dtype=np.float32) * 0.01)]
    grads = [rng.standard_normal((784, 512), dtype=np.float32) * 1e-3]
    opt = keras.keras.optimizers.RMSprop()

    def rmsprop_step():
        opt.apply_gradients(zip(grads, weights))

    ab(
        "numba threads 1 -> 2: RMSprop 784x512",
        with_kernels("numba", with_threads(1, rmsprop_step)),
        with_kernels("numba", with_threads(2, rmsprop_step)),
        rounds,
    )
    ab(
        "numba threads 1 -> 2: one MLP training step",
        with_kernels("numba", with_threads(1, train_step)),
        with_kernels("numba", with_threads(2, train_step)),
        rounds,
    )


def im2col_conv(x, kernel):
    out, _, _ = conv_ops._conv_forward(x, kernel, (1, 1), "valid", (1, 1), "conv2d")
    return out


def winograd_conv(x, kernel):
    """Winograd F(2,3): a 'valid' 3x3 stride-1 convolution from 4x4 tiles, 2x2 outputs each."""
    n, h, w, c = x.shape
    f = kernel.shape[3]
    oh, ow = h - 2, w - 2
    th, tw = -(-oh // 2), -(-ow // 2)
    if (2 * th + 2, 2 * tw + 2) != (h, w):
        big = np.zeros((n, 2 * th + 2, 2 * tw + 2, c), x.dtype)
        big[:, :h, :w] = x
        x = big
    k = kernel  # U = G k G^T with G = [[1, 0, 0], [.5, .5, .5], [.5, -.5, .5], [0, 0, 1]]
    rows = np.stack([k[0], (k[0] + k[1] + k[2]) / 2, (k[0] - k[1] + k[2]) / 2, k[2]])
    u = np.stack(
        [
            rows[:, 0],
            (rows[:, 0] + rows[:, 1] + rows[:, 2]) / 2,
            (rows[:, 0] - rows[:, 1] + rows[:, 2]) / 2,
            rows[:, 2],
        ],
        axis=1,
    )
    u = u.reshape(16, c, f).astype(x.dtype)
    r = [x[:, i : i + 2 * th : 2] for i in range(4)]  # V = B^T d B: rows, then columns
    t = [r[0] - r[2], r[1] + r[2], r[2] - r[1], r[1] - r[3]]
    v = np.empty((4, 4, n, th, tw, c), x.dtype)
    for i in range(4):
        s = [t[i][:, :, j : j + 2 * tw : 2] for j in range(4)]
        np.subtract(s[0], s[2], out=v[i, 0])
        np.add(s[1], s[2], out=v[i, 1])
        np.subtract(s[2], s[1], out=v[i, 2])
        np.subtract(s[1], s[3], out=v[i, 3])
    m = np.matmul(v.reshape(16, n * th * tw, c), u).reshape(4, 4, n, th, tw, f)
    rows = [m[0] + m[1] + m[2], m[1] - m[2] - m[3]]  # Y = A^T m A
    out = np.empty((n, th, 2, tw, 2, f), x.dtype)
    for i in range(2):
        np.add(rows[i][0] + rows[i][1], rows[i][2], out=out[:, :, i, :, 0])
        np.subtract(rows[i][1] - rows[i][2], rows[i][3], out=out[:, :, i, :, 1])
    return out.reshape(n, 2 * th, 2 * tw, f)[:, :oh, :ow].reshape(-1, f)


def winograd_comparisons(rounds):
    rng = np.random.default_rng(0)
    for label, n in (("training, batch 128", 128), ("predict, batch 1024", 1024)):
        x = rng.standard_normal((n, 13, 13, 32), dtype=np.float32)
        kernel = rng.standard_normal((3, 3, 32, 64), dtype=np.float32)
        reference = im2col_conv(x, kernel)
        error = np.abs(winograd_conv(x, kernel) - reference).max() / np.abs(reference).max()
        ab(
            f"im2col -> Winograd F(2,3), 13x13x32->64, {label} (rel. error {error:.0e})",
            lambda x=x, kernel=kernel: im2col_conv(x, kernel),
            lambda x=x, kernel=kernel: winograd_conv(x, kernel),
            rounds,
        )


def col2im_comparisons(rounds):
    rng = np.random.default_rng(0)
    n, h, c, f = 128, 13, 32, 64
    oh = h - 2
    kernel = rng.standard_normal((3, 3, c, f), dtype=np.float32)
    g2d = rng.standard_normal((n * oh * oh, f), dtype=np.float32)
    geometry = ((n, h, h, c), (n, h, h, c), oh, oh, (0, 0), (0, 0))
    rotated = np.ascontiguousarray(kernel[::-1, ::-1].transpose(0, 1, 3, 2)).reshape(9 * f, c)

    def strided_adds():
        return conv_ops._conv_input_gradient(g2d, kernel, geometry, (1, 1), (1, 1))

    def full_convolution():
        cols = conv_ops._im2col(g2d.reshape(n, oh, oh, f), 3, 3, h, h, (1, 1), (1, 1), (2, 2), (2, 2))
        return (cols @ rotated).reshape(n, h, h, c)

    error = np.abs(full_convolution() - strided_adds()).max()
    ab(
        f"col2im -> full convolution, input gradient 11x11x64->13x13x32 (max error {error:.0e})",
        strided_adds,
        full_convolution,
        rounds,
    )


def chunks_comparisons(rounds):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1024, 13, 13, 32), dtype=np.float32)
    kernel = rng.standard_normal((3, 3, 32, 64), dtype=np.float32)

    def chunked():
        return conv_ops._conv_inference(x, kernel, None, (1, 1), "valid", (1, 1), False)

    error = np.abs(chunked() - im2col_conv(x, kernel)).max()
    ab(
        f"whole batch -> {conv_ops._INFERENCE_CHUNK}-image chunks, predict 13x13x32->64, batch 1024 "
        f"(max error {error:.0e})",
        lambda: im2col_conv(x, kernel),
        chunked,
        rounds,
    )


def with_block_bytes(size, fn):
    def run():
        before = conv_ops._PATCH_BLOCK_BYTES
        conv_ops._PATCH_BLOCK_BYTES = size
        try:
            fn()
        finally:
            conv_ops._PATCH_BLOCK_BYTES = before

    return run


def traced_peak(fn):
    """The peak of the memory NumPy and Python allocate while ``fn`` runs, in MiB."""
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def blocks_comparisons(rounds):
    layers = keras.keras.layers
    model = keras.keras.Sequential(
        [
            keras.keras.Input((32, 32, 3)),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(128, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((64, 32, 32, 3), dtype=np.float32)
    y = rng.integers(0, 10, 64)

    def step():
        model.train_on_batch(x, y)

    whole = with_block_bytes(1 << 62, step)
    default = conv_ops._PATCH_BLOCK_BYTES
    for size in (default, 2 * 2**20):
        blocked = with_block_bytes(size, step)
        ab(f"CIFAR-sized convnet step, whole -> {size / 2**20:g} MB blocks", whole, blocked, rounds)
        print(
            f"{'':48s} traced peak of a step: whole {traced_peak(whole):.0f} MiB, blocks {traced_peak(blocked):.0f} MiB"
        )


def taps_comparisons(rounds):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 28, 28, 1), dtype=np.float32)
    kernel = rng.standard_normal((3, 3, 1, 32), dtype=np.float32)

    def taps():
        out = np.zeros((128, 26, 26, 32), np.float32)
        for i in range(3):
            for j in range(3):
                out += x[:, i : i + 26, j : j + 26, :] * kernel[i, j, 0]
        return out

    error = np.abs(taps().reshape(-1, 32) - im2col_conv(x, kernel)).max()
    ab(
        f"im2col -> direct 9-tap sum, first layer 28x28x1->32 (max error {error:.0e})",
        lambda: im2col_conv(x, kernel),
        taps,
        rounds,
    )


def serial_comparisons(rounds):
    """Each compiled conv kernel's serial version (A, what one thread runs) against its
    parallel version run on one thread (B): the serial one must not lose vectorization."""
    import numba

    from learnet.ops.compiled import conv as compiled_conv

    numba.set_num_threads(1)
    rng = np.random.default_rng(0)
    shape = (128, 26, 26, 32)
    x = np.maximum(rng.standard_normal(shape, dtype=np.float32), 0)
    pooled, index = compiled_conv.max_pool(x, (2, 2), (2, 2), 13, 13, (0, 0), (0, 0), True)
    g = rng.standard_normal(pooled.shape, dtype=np.float32)
    dx, out = np.empty(shape, np.float32), np.empty(pooled.shape, np.float32)
    rows = x.reshape(-1, 32).copy()
    bias = rng.standard_normal(32, dtype=np.float32)
    g_rows = rng.standard_normal(rows.shape, dtype=np.float32)
    dcols = rng.standard_normal((128 * 11 * 11, 288), dtype=np.float32)
    image = rng.random((128, 28, 28, 1), dtype=np.float32)
    kernel = rng.standard_normal((3, 3, 1, 32), dtype=np.float32)
    cases = (
        ("max pool 2x2", "_max_pool_2x2_kernel", (x, out, index, True)),
        ("max pool, any window", "_max_pool_kernel", (x, out, index, 2, 2, 2, 2, 0, 0, True, np.float32(-np.inf))),
        ("max pool gradient, tiles", "_max_pool_gradient_kernel", (g, index, dx, 2, 2, 2, 2, 0, 0, True)),
        ("max pool gradient, scatter", "_max_pool_gradient_kernel", (g, index, dx, 2, 2, 2, 2, 0, 0, False)),
        ("bias + ReLU", "_bias_relu_kernel", (rows, bias, True, True)),
        (
            "ReLU + bias gradient",
            "_relu_bias_gradient_kernel",
            (g_rows, rows, np.empty_like(rows), np.zeros((4, 32)), True, True, np.float32(0)),
        ),
        ("col2im", "_col2im_kernel", (dcols, np.empty((128, 13, 13, 32), np.float32), 3, 3, 11, 11, 1, 1, 1, 1, 0, 0)),
        ("direct convolution", "_direct_conv_kernel", (image, kernel, bias, dx, 1, 1, 1, 1, True, True)),
    )
    for name, attribute, arguments in cases:
        kernel_pair = getattr(compiled_conv, attribute)
        ab(
            f"serial -> parallel on 1 thread: {name}",
            lambda k=kernel_pair, a=arguments: k.serial(*a),
            lambda k=kernel_pair, a=arguments: k.parallel(*a),
            rounds,
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="threads,winograd,col2im,chunks,taps,compiled,conv-numba")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    print(
        f"learnet {keras.__version__}, NumPy {np.__version__}, element-wise threads "
        f"{parallel.num_threads()} by default",
        flush=True,
    )
    parts = {
        "threads": threads_comparisons,
        "winograd": winograd_comparisons,
        "col2im": col2im_comparisons,
        "chunks": chunks_comparisons,
        "taps": taps_comparisons,
        "compiled": compiled_comparisons,
        "conv-numba": numba_comparisons,
        "serial": serial_comparisons,
        "blocks": blocks_comparisons,
    }
    for name in args.only.split(","):
        parts[name.strip()](args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
