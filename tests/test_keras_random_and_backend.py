"""``keras.random`` (Keras 3, with SeedGenerator) and the ``keras.backend`` tensor helpers (Keras 2's K)."""

import numpy as np
import pytest

import learnet as keras
from learnet import backend as K
from learnet.testing import check_gradients


def test_seed_generator_gives_repeatable_but_changing_draws():
    a, b = keras.random.SeedGenerator(7), keras.random.SeedGenerator(7)
    first, second = keras.random.normal((3,), seed=a), keras.random.normal((3,), seed=a)
    assert not np.array_equal(first, second)
    assert np.array_equal(first, keras.random.normal((3,), seed=b))
    assert a.state.numpy().tolist() == [7, 2]


def test_int_seed_repeats_and_dtype_defaults_to_floatx():
    x = keras.random.uniform((2, 3), minval=2.0, maxval=3.0, seed=4)
    assert np.array_equal(x, keras.random.uniform((2, 3), minval=2.0, maxval=3.0, seed=4))
    assert x.dtype == np.float32 and 2.0 <= float(keras.ops.min(x)) and float(keras.ops.max(x)) < 3.0
    assert keras.random.normal((2,), dtype="float64").dtype == np.float64
    assert keras.random.truncated_normal((500,), seed=1).numpy().__abs__().max() <= 2.0


def test_statistics_of_draws():
    x = keras.random.normal((20000,), mean=3.0, stddev=2.0, seed=0).numpy()
    assert abs(x.mean() - 3.0) < 0.05 and abs(x.std() - 2.0) < 0.05
    counts = np.bincount(keras.random.randint((6000,), 0, 3, seed=2).numpy(), minlength=3)
    assert counts.min() > 1800
    samples = keras.random.categorical([[0.0, 20.0, 0.0], [20.0, 0.0, 0.0]], 5, seed=3).numpy()
    assert samples.tolist() == [[1] * 5, [0] * 5]
    assert keras.random.gamma((1000,), 2.0, seed=1).numpy().mean() == pytest.approx(2.0, rel=0.1)
    assert keras.random.beta((1000,), 2.0, 2.0, seed=1).numpy().mean() == pytest.approx(0.5, rel=0.1)
    assert keras.random.binomial((1000,), 10, 0.5, seed=1).numpy().mean() == pytest.approx(5.0, rel=0.1)


def test_dropout_keeps_expectation_and_is_differentiable():
    x = keras.ops.ones((200, 50))
    y = keras.random.dropout(x, 0.4, seed=keras.random.SeedGenerator(1)).numpy()
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.6], rtol=1e-6)
    assert abs((y == 0).mean() - 0.4) < 0.03
    shared = keras.random.dropout(x, 0.5, noise_shape=(1, 50), seed=3).numpy()
    assert (shared == shared[0]).all()
    assert check_gradients(lambda v: keras.random.dropout(v, 0.5, seed=5), [np.ones((3, 4))]) < 1e-6
    with pytest.raises(ValueError, match="rate"):
        keras.random.dropout(x, 1.0)


def test_shuffle_keras_and_tensorflow_spellings():
    x = keras.ops.arange(10)
    shuffled = keras.random.shuffle(x, seed=1).numpy()
    assert sorted(shuffled.tolist()) == list(range(10))
    assert np.array_equal(shuffled, keras.random.shuffle(x, 1).numpy())  # tf.random.shuffle(value, seed)
    grid = keras.ops.reshape(keras.ops.arange(12), (3, 4))
    columns = keras.random.shuffle(grid, axis=1, seed=2).numpy()
    assert (
        sorted(columns[0].tolist()) == [0, 1, 2, 3] and (columns - columns[:, :1] == columns[0] - columns[0, 0]).all()
    )
    with pytest.raises(TypeError, match="seed"):
        keras.random.normal((2,), seed="abc")
    with pytest.raises(ValueError, match="non-negative"):
        keras.random.SeedGenerator(-1)


def test_backend_helpers_as_keras_2_course_code_uses_them():
    y_true = K.constant([[1.0, 0.0], [0.0, 1.0]])
    y_pred = K.constant([[0.8, 0.3], [0.4, 0.9]])
    rmse = K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1))
    np.testing.assert_allclose(rmse.numpy(), np.sqrt([(0.04 + 0.09) / 2, (0.16 + 0.01) / 2]), rtol=1e-6)
    true_positives = K.sum(K.round(K.clip(y_true * y_pred, 0, 1)))
    assert float(true_positives) == 2.0
    assert float(true_positives / (K.sum(K.round(K.clip(y_pred, 0, 1))) + K.epsilon())) == pytest.approx(
        2 / 2, rel=1e-6
    )
    assert K.argmax(y_pred).numpy().tolist() == [0, 1]  # Keras 2: the last axis
    assert K.concatenate([y_true, y_pred]).shape == (2, 4)  # Keras 2: the last axis
    assert K.int_shape(y_true) == (2, 2) and K.shape(y_true).numpy().tolist() == [2, 2]
    assert K.image_data_format() == "channels_last" and K.backend() == "tensorflow"
    assert K.batch_dot(y_true, y_pred).shape == (2, 1)
    v = K.variable([1.0, 2.0])
    K.set_value(v, [3.0, 4.0])
    assert K.get_value(v).tolist() == [3.0, 4.0] and K.dtype(v) == "float32"
    assert K.switch(y_true > 0, y_pred, K.zeros_like(y_pred)).numpy().tolist()[0][1] == 0.0


def test_backend_floor_stays_below_and_unknown_names_fail():
    with pytest.raises(AttributeError, match="no_such_helper"):
        K.no_such_helper  # noqa: B018
    with pytest.raises(ValueError, match="channels_last"):
        K.set_image_data_format("channels_middle")
