"""``tf.nn.max_pool`` / ``avg_pool`` of any rank, and TensorFlow's pooling over channels.

Hands-On (chapter 14) pools 60 feature maps down to 20 with
``tf.nn.max_pool(fmaps, ksize=(1, 1, 1, 3), strides=(1, 1, 1, 3), padding="VALID")`` and
checks it against a ``DepthPool`` layer written with ``reshape`` and ``reduce_max``.
"""

import numpy as np
import pytest

import learnet as tf
from learnet.testing import check_gradients

RNG = np.random.default_rng(0)


def test_depth_pooling_takes_the_max_of_each_group_of_channels():
    fmaps = RNG.random((2, 7, 5, 12))
    for depth in (2, 3, 4, 6):
        pooled = tf.nn.max_pool(fmaps, ksize=(1, 1, 1, depth), strides=(1, 1, 1, depth), padding="VALID")
        expected = fmaps.reshape(2, 7, 5, 12 // depth, depth).max(axis=-1)
        np.testing.assert_allclose(pooled.numpy(), expected, rtol=1e-6)


def test_depth_pooling_gradient_goes_to_each_groups_winner():
    check_gradients(lambda x: tf.nn.max_pool(x, [1, 1, 1, 3], [1, 1, 1, 3], "VALID"), [RNG.random((2, 3, 2, 6))])
    x = tf.Variable(np.array([[[[1.0, 5.0, 2.0, 0.0, -1.0, 3.0]]]]))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.nn.max_pool(x, (1, 1, 1, 3), (1, 1, 1, 3), "VALID"))
    assert tape.gradient(y, x).numpy().ravel().tolist() == [0, 1, 0, 0, 0, 1]


def test_max_pool_and_avg_pool_follow_the_rank_of_their_input():
    sequences, images, volumes = RNG.random((2, 8, 3)), RNG.random((2, 6, 6, 3)), RNG.random((2, 4, 4, 4, 3))
    np.testing.assert_array_equal(tf.nn.max_pool(sequences, 2, 2, "VALID"), tf.nn.max_pool1d(sequences, 2, 2, "VALID"))
    np.testing.assert_array_equal(tf.nn.max_pool(images, 3, 2, "SAME"), tf.nn.max_pool2d(images, 3, 2, "SAME"))
    np.testing.assert_array_equal(tf.nn.max_pool(volumes, 2, 2, "VALID"), tf.nn.max_pool3d(volumes, 2, 2, "VALID"))
    np.testing.assert_allclose(tf.nn.avg_pool(sequences, 2, 2, "SAME"), tf.nn.avg_pool1d(sequences, 2, 2, "SAME"))
    np.testing.assert_allclose(
        tf.nn.avg_pool(images, [1, 2, 2, 1], [1, 2, 2, 1], "VALID"), tf.nn.avg_pool2d(images, 2, 2, "VALID")
    )
    np.testing.assert_allclose(tf.nn.avg_pool(volumes, 2, 2, "VALID"), tf.nn.avg_pool3d(volumes, 2, 2, "VALID"))


@pytest.mark.parametrize(
    "ksize, strides, padding, message",
    [
        ((1, 1, 1, 5), (1, 1, 1, 5), "VALID", "must divide the 12 channels"),
        ((1, 2, 2, 3), (1, 2, 2, 3), "VALID", r"ksize \[1, 1, 1, k\]"),
        ((1, 1, 1, 3), (1, 1, 1, 2), "VALID", "strides equal to ksize"),
        ((1, 1, 1, 3), (1, 1, 1, 3), "SAME", "padding 'VALID'"),
    ],
)
def test_depth_pooling_refuses_what_tensorflow_refuses(ksize, strides, padding, message):
    with pytest.raises(ValueError, match=message):
        tf.nn.max_pool(RNG.random((1, 2, 2, 12)), ksize, strides, padding)


def test_a_pool_of_another_rank_is_refused():
    with pytest.raises(ValueError, match="rank 3, 4 or 5"):
        tf.nn.max_pool(RNG.random((4, 4)), 2, 2, "VALID")
    with pytest.raises(ValueError, match="rank 3, 4 or 5"):
        tf.nn.avg_pool(RNG.random((4,)), 2, 2, "VALID")
