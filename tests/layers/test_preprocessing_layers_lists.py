"""Image preprocessing layers read a list of same-sized images as one batch, as Keras does.

Hands-On (chapter 14) crops scikit-learn's two sample photos, which come as a list:
``tf.keras.layers.CenterCrop(height=70, width=120)(images)``.
"""

import numpy as np
import pytest

import learnet as tf

PHOTOS = [np.random.default_rng(i).integers(0, 256, (40, 60, 3)).astype("uint8") for i in range(2)]


def test_a_list_of_images_is_one_batch():
    cropped = tf.keras.layers.CenterCrop(height=20, width=30)(PHOTOS)
    assert cropped.shape == (2, 20, 30, 3)
    np.testing.assert_array_equal(cropped.numpy()[1], PHOTOS[1][10:30, 15:45])
    scaled = tf.keras.layers.Rescaling(scale=1 / 255)(PHOTOS)
    np.testing.assert_allclose(scaled.numpy(), np.stack(PHOTOS) / 255, rtol=1e-6)
    assert tf.keras.layers.Resizing(10, 15)(PHOTOS).shape == (2, 10, 15, 3)
    flipped = tf.keras.layers.RandomFlip("horizontal", seed=1)(PHOTOS, training=True)
    assert flipped.shape == (2, 40, 60, 3)
    assert tf.keras.layers.RandomRotation(0.1, seed=1)([tf.constant(p) for p in PHOTOS]).shape == (2, 40, 60, 3)


def test_images_of_different_sizes_in_one_list_are_refused():
    with pytest.raises(ValueError, match="must have one shape"):
        tf.keras.layers.CenterCrop(height=10, width=10)([PHOTOS[0], PHOTOS[0][:30]])


def test_layers_that_take_several_inputs_still_take_a_list():
    a, b = np.ones((2, 3), "float32"), np.zeros((2, 3), "float32")
    assert tf.keras.layers.Concatenate()([a, b]).shape == (2, 6)
    assert tf.keras.layers.Add()([a, b]).numpy().sum() == 6
