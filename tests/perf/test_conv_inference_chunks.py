"""Convolutions of large batches with no tape recording run chunk by chunk: same results.

At inference nothing needs the patch matrix afterwards, so ``conv2d`` convolves
``_INFERENCE_CHUNK`` images at a time (cache-sized patch matrices, a chunk's peak
memory). These tests compare that path with the whole-batch path a recording tape
takes, on batches that leave a short last chunk, for thin (1- and 3-channel) and wide
patches, strides, dilations, both paddings, with and without bias and ReLU.
"""

import numpy as np
import pytest

import learnet as tf
from learnet.ops import conv as conv_ops
from learnet.ops.conv import conv2d_relu


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(conv_ops, "_INFERENCE_CHUNK", 4)


def _recorded(fn, *args):
    """``fn(*args)`` computed under a tape: the whole-batch path that keeps its patches."""
    watched = [tf.Variable(a) for a in args]
    with tf.GradientTape():
        return fn(*watched).numpy()


CASES = [
    ((11, 9, 8, 1), (3, 3, 1, 5), 1, "valid", None),
    ((10, 7, 7, 3), (3, 3, 3, 4), 2, "same", None),
    ((9, 12, 10, 16), (3, 3, 16, 6), 1, "same", None),
    ((13, 11, 11, 8), (2, 3, 8, 7), 1, "valid", 2),
    ((5, 6, 6, 8), (3, 3, 8, 2), 1, "valid", None),  # one chunk and a one-image rest
]


@pytest.mark.parametrize("x_shape, k_shape, strides, padding, dilations", CASES)
@pytest.mark.parametrize("with_bias", [False, True])
def test_chunked_conv2d_equals_the_whole_batch(small_chunks, x_shape, k_shape, strides, padding, dilations, with_bias):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(x_shape).astype(np.float32)
    kernel = rng.standard_normal(k_shape).astype(np.float32)
    bias = rng.standard_normal(k_shape[-1]).astype(np.float32)

    def plain(x, k, b):
        return tf.nn.conv2d(x, k, strides, padding.upper(), dilations=dilations, bias=b if with_bias else None)

    def fused(x, k, b):
        return conv2d_relu(x, k, bias=b if with_bias else None, strides=strides, padding=padding, dilations=dilations)

    for fn in (plain, fused):
        chunked = fn(tf.constant(x), tf.constant(kernel), tf.constant(bias)).numpy()
        whole = _recorded(fn, x, kernel, bias)
        np.testing.assert_allclose(chunked, whole, rtol=1e-5, atol=1e-5)


def test_predict_of_a_convnet_matches_its_recorded_forward(small_chunks):
    layers = tf.keras.layers
    model = tf.keras.Sequential(
        [
            tf.keras.Input((12, 12, 1)),
            layers.Conv2D(8, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(16, 3, activation="relu", padding="same"),
            layers.Flatten(),
            layers.Dense(3),
        ]
    )
    x = np.random.default_rng(4).random((10, 12, 12, 1), dtype=np.float32)
    with tf.GradientTape():
        recorded = model(x).numpy()
    np.testing.assert_allclose(model.predict(x, batch_size=10, verbose=0), recorded, rtol=1e-5, atol=1e-6)


def test_default_chunk_with_a_short_last_chunk():
    rng = np.random.default_rng(5)
    n = conv_ops._INFERENCE_CHUNK * 2 + 3
    x = rng.standard_normal((n, 5, 5, 8)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 8, 4)).astype(np.float32)
    chunked = tf.nn.conv2d(x, kernel, 1, "SAME").numpy()
    np.testing.assert_allclose(
        chunked, _recorded(lambda a, b: tf.nn.conv2d(a, b, 1, "SAME"), x, kernel), rtol=1e-5, atol=1e-5
    )


def test_a_bad_chunked_batch_gets_the_clear_error(small_chunks):
    x = np.zeros((9, 6, 6, 3), np.float32)
    with pytest.raises(ValueError, match="the input has 3 channels but the filters expect 2"):
        tf.nn.conv2d(x, np.zeros((3, 3, 2, 4), np.float32), 1, "VALID")
    assert not x.any()


def test_gradients_still_flow_when_recorded(small_chunks):
    x = tf.Variable(np.random.default_rng(6).standard_normal((9, 6, 6, 3)).astype(np.float32))
    kernel = tf.Variable(np.ones((3, 3, 3, 2), np.float32))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.nn.conv2d(x, kernel, 1, "SAME"))
    dx, dk = tape.gradient(loss, [x, kernel])
    assert dx.shape == x.shape and dk.shape == kernel.shape and np.abs(dk.numpy()).sum() > 0
