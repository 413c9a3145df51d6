"""Every path multiplies a convolution in the same chunks of images (``_CHUNK_BYTES``).

A BLAS may round a row of a product differently in products of different heights
(OpenBLAS' AVX2 sgemm computes the rows short of its 12-row block with other kernels), so
the plain convolution, recorded or not, and the convolution fused with its pooling must
multiply the same images together for their results to be equal to the bit everywhere.
These tests pin the chunks, and run the fusion's bit-for-bit tests again under the AVX2
kernel in a process of their own (the kernel is chosen when OpenBLAS loads).
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from learnet.ops import conv as conv_ops


def test_a_chunk_is_at_most_a_megabyte_of_output_and_a_block_of_patches():
    # The keras.io convnet, batch 128: 26x26x32 (86.5 kB an image) and 11x11x64 outputs.
    assert conv_ops._product_images(128, 26 * 26, 9, 32, 4) == (1 << 20) // (26 * 26 * 32 * 4) == 12
    assert conv_ops._product_images(128, 11 * 11, 288, 64, 4) == (1 << 20) // (11 * 11 * 64 * 4) == 33
    assert conv_ops._product_images(5, 11 * 11, 288, 64, 4) == 5  # a small batch: one product
    assert conv_ops._product_images(1000, 2 * 2, 9, 8, 4) == conv_ops._INFERENCE_CHUNK  # tiny images
    assert conv_ops._product_images(4, 224 * 224, 576, 64, 4) == 1  # an image's output over 1 MB
    # A wide layer whose patches pass _PATCH_BLOCK_BYTES first (16 images' output would fit in
    # 1 MB, 14 images' patches fill the 32 MB block): the block decides.
    assert conv_ops._product_images(64, 32 * 32, 576, 16, 4) == conv_ops._images_per_block(64, 32 * 32, 576, 4) == 14


@pytest.mark.parametrize("n, rows, k, f", [(128, 676, 9, 32), (37, 121, 288, 64), (9, 1024, 27, 40)])
def test_the_plain_product_is_the_chunks_products(n, rows, k, f, monkeypatch):
    monkeypatch.setattr(conv_ops, "_thin_per_image", lambda: False)  # thin patches as wide ones
    rng = np.random.default_rng(n)
    cols = rng.standard_normal((n * rows, k)).astype(np.float32)
    kernel = rng.standard_normal((k, f)).astype(np.float32)
    per = conv_ops._product_images(n, rows, k, f, 4)
    assert per < n
    by_chunk = np.concatenate([cols[s : s + per * rows] @ kernel for s in range(0, n * rows, per * rows)])
    np.testing.assert_array_equal(conv_ops._patch_product(cols, kernel, n), by_chunk)
    out = np.empty((n * rows, f), np.float32)
    assert conv_ops._patch_product(cols, kernel, n, out=out) is out
    np.testing.assert_array_equal(out, by_chunk)


def test_inference_chunks_are_whole_products():
    x = np.zeros((300, 28, 28, 1), np.float32)
    kernel = np.zeros((3, 3, 1, 32), np.float32)
    plan = conv_ops._inference_plan(x, kernel, (1, 1), "VALID", (1, 1))
    chunk = conv_ops._inference_chunk(x, kernel, plan)
    assert chunk % 12 == 0 and chunk <= conv_ops._INFERENCE_CHUNK  # 12 images a product


def _has_avx2():
    try:
        return " avx2" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not _has_avx2(), reason="OpenBLAS' Haswell kernel needs AVX2")
def test_fused_and_plain_are_equal_to_the_bit_under_openblas_avx2_kernel():
    here = Path(__file__).parent
    env = dict(os.environ, OPENBLAS_CORETYPE="Haswell")
    tests = here / "test_conv_pool_fusion.py"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(tests),
            "-k",
            "bit or two_ops or same_numbers",
        ],
        cwd=here.parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout
