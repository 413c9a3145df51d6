"""TensorFlow's top-level initializers, tf.image.random_crop and the logical-device settings."""

import warnings

import numpy as np
import pytest

import learnet as tf
from learnet.testing import check_gradients


def test_top_level_initializers_are_keras_initializers():
    init = tf.random_normal_initializer(0.0, 0.02, seed=1)
    values = init([200, 50]).numpy()
    assert abs(values.mean()) < 0.005 and abs(values.std() - 0.02) < 0.002
    layer = tf.keras.layers.Dense(3, kernel_initializer=init)
    layer.build((None, 4))
    assert layer.kernel.shape == (4, 3)
    low = tf.random_uniform_initializer(-1.0, 1.0)([1000]).numpy()
    assert low.min() >= -1.0 and low.max() < 1.0
    assert tf.constant_initializer(3.0)([2]).numpy().tolist() == [3.0, 3.0]
    assert tf.zeros_initializer()([2], dtype=tf.float64).dtype == tf.float64
    assert tf.ones_initializer()([1]).numpy().tolist() == [1.0]


def test_random_crop_takes_a_slice_that_fits_and_passes_gradients():
    image = tf.reshape(tf.range(5 * 6 * 3, dtype=tf.float32), (5, 6, 3))
    seen = set()
    for seed in range(20):
        crop = tf.image.random_crop(image, size=(3, 4, 3), seed=seed).numpy()
        row, column = divmod(int(crop[0, 0, 0]) // 3, 6)
        np.testing.assert_array_equal(crop, image.numpy()[row : row + 3, column : column + 4])
        seen.add((row, column))
    assert len(seen) > 3  # the offsets vary
    weights = np.random.default_rng(0).normal(size=(2, 2, 1))
    check_gradients(lambda a: tf.image.random_crop(a, (2, 2, 1), seed=3) * weights, [np.ones((4, 4, 1))])
    with pytest.raises(ValueError, match="need value.shape >= size"):
        tf.image.random_crop(image, (6, 6, 3))
    with pytest.raises(ValueError, match="one entry per axis"):
        tf.image.random_crop(image, (2, 2))


def test_logical_devices_are_not_made_and_say_so():
    cpu = tf.config.list_physical_devices("CPU")[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        tf.config.experimental.set_virtual_device_configuration(
            cpu, [tf.config.experimental.VirtualDeviceConfiguration()] * 2
        )
    assert len(caught) == 2 and "one device per process" in str(caught[0].message)
    assert len(tf.config.list_logical_devices("CPU")) == 1


@pytest.mark.parametrize("method", ["bilinear", "nearest"])
def test_resize_is_differentiable(method):
    from learnet.layers.augmentation import resize_tensor  # float64 here: tf.image.resize works in float32

    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 4, 6, 2))
    weights = rng.normal(size=(2, 3, 5, 2))
    check_gradients(lambda a: resize_tensor(a, 3, 5, method) * weights, [x])
    enlarge = rng.normal(size=(2, 7, 9, 2))
    check_gradients(lambda a: resize_tensor(a, 7, 9, method) * enlarge, [x])
    check_gradients(lambda a: resize_tensor(a, 3, 3, method, box=(0, 1, 4, 4)) * weights[:, :, :3], [x])
    # the public ways in carry the same gradient
    image = tf.Variable(x.astype("float32"))
    layer = tf.keras.layers.Resizing(3, 5, interpolation=method)
    with tf.GradientTape(persistent=True) as tape:
        through_image = tf.reduce_sum(tf.image.resize(image, (3, 5), method=method) * weights.astype("float32"))
        through_layer = tf.reduce_sum(layer(image) * weights.astype("float32"))
    np.testing.assert_allclose(
        tape.gradient(through_image, image), tape.gradient(through_layer, image), rtol=1e-5, atol=1e-6
    )


def test_resizing_keeps_its_values_and_integer_images():
    image = np.arange(4 * 6, dtype="float32").reshape(1, 4, 6, 1)
    half = tf.image.resize(image, (2, 3)).numpy()[0, :, :, 0]
    np.testing.assert_allclose(half, [[3.5, 5.5, 7.5], [15.5, 17.5, 19.5]])  # means of 2x2 blocks
    pixels = np.arange(16, dtype="uint8").reshape(1, 4, 4, 1)
    nearest = tf.keras.layers.Resizing(2, 2, interpolation="nearest")(tf.constant(pixels))
    assert nearest.numpy()[0, :, :, 0].tolist() == [[5, 7], [13, 15]]
