"""Activation layers, merging, reshaping, embedding and preprocessing layers."""

import numpy as np
import pytest

import learnet as tf
from learnet import layers
from learnet.testing import check_gradients

X = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0, 8.0]], dtype="float32")


# --- activation layers ----------------------------------------------------------------------------------------------
def test_relu_layer_options():
    np.testing.assert_array_equal(layers.ReLU()(X).numpy(), np.maximum(X, 0))
    np.testing.assert_array_equal(layers.ReLU(max_value=6.0)(X).numpy(), np.clip(X, 0, 6))
    np.testing.assert_allclose(layers.ReLU(negative_slope=0.1)(X).numpy(), np.where(X > 0, X, 0.1 * X))
    np.testing.assert_allclose(layers.ReLU(threshold=1.0)(X).numpy(), np.where(X >= 1, X, 0))


def test_leaky_relu_default_slope_is_keras_0_3():
    np.testing.assert_allclose(layers.LeakyReLU()(X).numpy(), np.where(X > 0, X, 0.3 * X), rtol=1e-6)
    np.testing.assert_allclose(layers.LeakyReLU(alpha=0.1)(X).numpy(), np.where(X > 0, X, 0.1 * X), rtol=1e-6)


def test_elu_prelu_softmax_layers():
    np.testing.assert_allclose(layers.ELU(alpha=2.0)(X).numpy(), np.where(X > 0, X, 2 * np.expm1(X)), rtol=1e-6)
    prelu = layers.PReLU(alpha_initializer=tf.keras.initializers.Constant(0.25))
    np.testing.assert_allclose(prelu(X).numpy(), np.where(X > 0, X, 0.25 * X), rtol=1e-6)
    assert prelu.alpha.shape == (6,) and prelu.trainable_weights[0] is prelu.alpha
    assert layers.PReLU(shared_axes=[1, 2])(np.zeros((2, 4, 4, 3), dtype="float32")).shape == (2, 4, 4, 3)
    soft = layers.Softmax()(X).numpy()
    np.testing.assert_allclose(soft, np.exp(X) / np.exp(X).sum(), rtol=1e-5)
    masked = layers.Softmax()(X, mask=np.array([[1, 1, 1, 1, 1, 0]])).numpy()
    assert masked[0, -1] < 1e-6 and masked.sum() == pytest.approx(1.0, rel=1e-5)


def test_prelu_gradient():
    prelu = layers.PReLU(alpha_initializer=tf.keras.initializers.Constant(0.2), dtype="float64")
    check_gradients(lambda t: prelu(t) ** 2, [np.array([[-1.5, -0.3, 0.4, 2.0]])])


# --- merging ---------------------------------------------------------------------------------------------------------
def test_merge_layers_against_numpy():
    rng = np.random.default_rng(0)
    a, b, c = (rng.standard_normal((2, 3)).astype("float32") for _ in range(3))
    np.testing.assert_allclose(layers.Add()([a, b, c]).numpy(), a + b + c, rtol=1e-6)
    np.testing.assert_allclose(layers.Subtract()([a, b]).numpy(), a - b)
    np.testing.assert_allclose(layers.Multiply()([a, b]).numpy(), a * b)
    np.testing.assert_allclose(layers.Average()([a, b]).numpy(), (a + b) / 2, rtol=1e-6)
    np.testing.assert_allclose(layers.Maximum()([a, b]).numpy(), np.maximum(a, b))
    np.testing.assert_allclose(layers.Minimum()([a, b]).numpy(), np.minimum(a, b))
    np.testing.assert_allclose(layers.Concatenate()([a, b]).numpy(), np.concatenate([a, b], axis=-1))
    np.testing.assert_allclose(layers.concatenate([a, b], axis=0).numpy(), np.concatenate([a, b]))
    np.testing.assert_allclose(layers.add([a, b]).numpy(), a + b)
    np.testing.assert_allclose(layers.Dot(axes=1)([a, b]).numpy(), (a * b).sum(axis=1, keepdims=True), rtol=1e-6)
    cos = layers.Dot(axes=1, normalize=True)([a, b]).numpy()
    expected = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(cos[:, 0], expected, rtol=1e-5)


def test_dot_on_sequences_is_a_batched_matrix_product():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 3, 4)).astype("float32"), rng.standard_normal((2, 5, 4)).astype("float32")
    out = layers.Dot(axes=(2, 2))([a, b])
    np.testing.assert_allclose(out.numpy(), np.einsum("nik,njk->nij", a, b), rtol=1e-5)
    assert layers.Dot(axes=(2, 2)).compute_output_shape([(None, 3, 4), (None, 5, 4)]) == (None, 3, 5)


def test_merge_layers_explain_mismatches():
    with pytest.raises(ValueError, match="incompatible shapes"):
        layers.Add()([np.zeros((2, 3)), np.zeros((2, 4))])
    with pytest.raises(ValueError, match="list of at least 1"):
        layers.Add()([])
    with pytest.raises(ValueError, match="exactly 2"):
        layers.Subtract()([np.zeros((2, 3))])
    with pytest.raises(ValueError, match="except along axis -1"):
        layers.Concatenate()([np.zeros((2, 3)), np.zeros((3, 3, 1))])


@pytest.mark.parametrize("name", ["Add", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"])
def test_merge_layers_take_a_list_of_one_tensor_as_keras_3(name):
    # Keras 3 (and tf.keras 2.21): the one tensor comes back as it is, also in a model.
    x = np.arange(6.0, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(getattr(layers, name)()([x]).numpy(), x)
    import learnet as keras

    inputs = keras.Input((3,))
    model = keras.Model(inputs, getattr(layers, name)()([inputs]))
    assert model.output_shape == (None, 3)
    np.testing.assert_array_equal(model(x).numpy(), x)


@pytest.mark.parametrize("name", ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"])
def test_merge_layers_broadcast_as_keras_3(name):
    import os

    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(2)
    for first, second in [((3, 5), (3, 1)), ((1,), (64,)), ((3,), (4, 3)), ((5,), (1,))]:
        symbolic = getattr(layers, name)()([layers.Input(first), layers.Input(second)])
        expected = getattr(keras.layers, name)()([keras.Input(first), keras.Input(second)])
        assert tuple(symbolic.shape) == tuple(expected.shape)
        a, b = rng.random((2,) + first).astype("float32"), rng.random((2,) + second).astype("float32")
        np.testing.assert_allclose(
            getattr(layers, name)()([a, b]).numpy(), np.asarray(getattr(keras.layers, name)()([a, b])), rtol=1e-6
        )


def test_merge_layers_in_a_functional_graph():
    a, b = layers.Input(shape=(4,)), layers.Input(shape=(6,))
    assert layers.Concatenate()([a, b]).shape == (None, 10)
    assert layers.Add()([a, a]).shape == (None, 4)


def test_merge_gradient():
    rng = np.random.default_rng(2)
    concat = layers.Concatenate(dtype="float64")
    check_gradients(lambda x, y: concat([x, y]) ** 2, [rng.standard_normal((2, 3)), rng.standard_normal((2, 2))])


# --- reshaping -------------------------------------------------------------------------------------------------------
def test_upsampling_repeats_pixels():
    x = np.arange(4, dtype="float32").reshape(1, 2, 2, 1)
    y = layers.UpSampling2D()(x).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(y, np.repeat(np.repeat(x[0, :, :, 0], 2, 0), 2, 1))
    assert layers.UpSampling2D((2, 3))(x).shape == (1, 4, 6, 1)
    assert layers.UpSampling1D(3)(np.zeros((1, 4, 2), dtype="float32")).shape == (1, 12, 2)
    up = layers.UpSampling2D(dtype="float64")
    check_gradients(lambda t: up(t) * np.arange(16.0).reshape(1, 4, 4, 1), [x.astype("float64")])


@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic", "lanczos3", "lanczos5"])
def test_upsampling2d_interpolates_as_keras_3(interpolation):
    import os

    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(0).random((2, 3, 4, 5)).astype("float32")
    for size in ((2, 3), 2):
        ours = layers.UpSampling2D(size, interpolation=interpolation)
        theirs = keras.layers.UpSampling2D(size, interpolation=interpolation)
        np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), atol=1e-6)
        assert ours.get_config()["interpolation"] == interpolation
    up = layers.UpSampling2D(2, interpolation=interpolation, dtype="float64")
    weights = np.random.default_rng(1).standard_normal((1, 4, 6, 2))
    assert check_gradients(lambda t: up(t) * weights, [x[:1, :2, :3, :2].astype("float64")]) < 1e-6


def test_upsampling2d_refuses_an_unknown_interpolation():
    with pytest.raises(ValueError, match="interpolation must be one of"):
        layers.UpSampling2D(interpolation="area")


def test_padding_and_cropping():
    x = np.ones((1, 3, 3, 1), dtype="float32")
    padded = layers.ZeroPadding2D(1)(x).numpy()[0, :, :, 0]
    assert padded.shape == (5, 5) and padded.sum() == 9 and padded[0, 0] == 0
    assert layers.ZeroPadding2D(((1, 0), (2, 3)))(x).shape == (1, 4, 8, 1)
    assert layers.Cropping2D(((1, 0), (0, 1)))(np.zeros((1, 5, 5, 2), dtype="float32")).shape == (1, 4, 4, 2)
    assert layers.ZeroPadding1D(2)(np.zeros((1, 3, 2), dtype="float32")).shape == (1, 7, 2)
    assert layers.Cropping1D((1, 2))(np.zeros((1, 6, 2), dtype="float32")).shape == (1, 3, 2)
    with pytest.raises(ValueError, match="removes every pixel"):
        layers.Cropping2D(2)(np.zeros((1, 4, 4, 1), dtype="float32"))


def test_permute_and_repeat_vector():
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    np.testing.assert_array_equal(layers.Permute((2, 1))(x).numpy(), x.transpose(0, 2, 1))
    v = np.arange(6, dtype="float32").reshape(2, 3)
    r = layers.RepeatVector(4)(v).numpy()
    assert r.shape == (2, 4, 3) and np.all(r[:, 2] == v)
    with pytest.raises(ValueError, match="permutation"):
        layers.Permute((1, 1))


# --- embedding and preprocessing -----------------------------------------------------------------------------------
def test_embedding_looks_up_rows_and_learns_them():
    emb = layers.Embedding(10, 3)
    ids = np.array([[1, 4, 1]])
    out = emb(ids)
    table = emb.embeddings.numpy()
    np.testing.assert_array_equal(out.numpy()[0], table[[1, 4, 1]])
    assert np.all(np.abs(table) <= 0.05)  # Keras' "uniform" initializer
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(emb(ids))
    grad = tape.gradient(total, emb.embeddings).numpy()
    np.testing.assert_array_equal(grad[:, 0], [0, 2, 0, 0, 1, 0, 0, 0, 0, 0])
    with pytest.raises(ValueError, match=r"ids in \[0, 10\)"):
        emb(np.array([[10]]))
    assert emb(layers.Input(shape=(5,), dtype="int32")).shape == (None, 5, 3)


def test_rescaling_turns_pixels_into_floats():
    y = layers.Rescaling(1.0 / 255, offset=-0.5)(np.array([[0, 255]], dtype="uint8"))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), [[-0.5, 0.5]], rtol=1e-6)


def test_normalization_adapts_to_data():
    data = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 50.0]])
    norm = layers.Normalization()
    norm.adapt(data)
    y = norm(data).numpy()
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=1e-6)
    np.testing.assert_allclose(y.std(axis=0), 1.0, rtol=1e-5)
    assert len(norm.non_trainable_weights) == 3 and norm.trainable_weights == []  # mean, variance, count
    batches = [(data[:2], None), (data[2:], None)]
    streamed = layers.Normalization()
    streamed.adapt(batches)
    np.testing.assert_allclose(streamed.mean.numpy(), norm.mean.numpy(), rtol=1e-6)
    given = layers.Normalization(mean=3.0, variance=4.0)
    np.testing.assert_allclose(given(np.array([[5.0]])).numpy(), [[1.0]])
    undo = layers.Normalization(mean=3.0, variance=4.0, invert=True)
    np.testing.assert_allclose(undo(np.array([[1.0]])).numpy(), [[5.0]])
    one_feature = layers.Normalization(axis=None)
    one_feature.adapt(np.array([1.0, 2.0, 3.0]))
    assert float(one_feature.mean.numpy().ravel()[0]) == pytest.approx(2.0)


def test_random_flip_only_in_training():
    x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1).repeat(32, axis=0)
    flip = layers.RandomFlip("horizontal", seed=0)
    np.testing.assert_array_equal(flip(x, training=False).numpy(), x)
    y = flip(x, training=True).numpy()
    flipped = np.all(y == x[:, :, ::-1], axis=(1, 2, 3))
    same = np.all(y == x, axis=(1, 2, 3))
    assert np.all(flipped | same) and flipped.any() and same.any()


# --- noise, regularization and wrappers -------------------------------------------------------------------------
def test_spatial_dropout_drops_whole_channels():
    x = np.ones((8, 5, 5, 16), dtype="float32")
    y = layers.SpatialDropout2D(0.5)(x, training=True).numpy()
    assert np.all(y == y[:, :1, :1, :]) and 0 < (y == 0).mean() < 1
    np.testing.assert_array_equal(layers.SpatialDropout2D(0.5)(x).numpy(), x)
    s = layers.SpatialDropout1D(0.5)(np.ones((4, 7, 6), dtype="float32"), training=True).numpy()
    assert np.all(s == s[:, :1, :])


def test_gaussian_noise_and_dropout_only_in_training():
    x = np.zeros((200, 50), dtype="float32")
    np.testing.assert_array_equal(layers.GaussianNoise(0.5)(x).numpy(), x)
    noisy = layers.GaussianNoise(0.5)(x, training=True).numpy()
    assert noisy.std() == pytest.approx(0.5, rel=0.05) and noisy.dtype == np.float32
    ones = np.ones((200, 50), dtype="float32")
    dropped = layers.GaussianDropout(0.2)(ones, training=True).numpy()
    assert dropped.mean() == pytest.approx(1.0, abs=0.02)
    assert dropped.std() == pytest.approx(np.sqrt(0.2 / 0.8), rel=0.05)


def test_activity_regularization_adds_its_loss():
    layer = layers.ActivityRegularization(l1=0.1, l2=0.5)
    np.testing.assert_array_equal(layer(tf.ones((2, 3))).numpy(), np.ones((2, 3)))
    assert float(layer.losses[0]) == pytest.approx(0.1 * 6 + 0.5 * 6)


def test_time_distributed_applies_one_layer_to_every_step():
    dense = layers.Dense(4)
    wrapped = layers.TimeDistributed(dense)
    x = np.random.default_rng(3).standard_normal((2, 5, 3)).astype("float32")
    y = wrapped(x).numpy()
    kernel, bias = dense.get_weights()
    np.testing.assert_allclose(y, x @ kernel + bias, rtol=1e-5, atol=1e-6)
    assert wrapped.weights[0] is dense.kernel
    assert layers.TimeDistributed(layers.Conv2D(2, 3))(layers.Input(shape=(5, 8, 8, 1))).shape == (None, 5, 6, 6, 2)
    config = wrapped.get_config()
    assert layers.TimeDistributed.from_config(config).layer.units == 4


def test_old_experimental_preprocessing_names():
    assert layers.experimental.preprocessing.Rescaling is layers.Rescaling


def test_an_activation_set_to_none_after_building_is_linear():
    """Grad-CAM recipes take the last layer's softmax away with ``layer.activation = None``."""
    x = np.random.default_rng(3).random((2, 4, 4, 3)).astype("float32")
    model = tf.keras.Sequential(
        [layers.Input((4, 4, 3)), layers.Conv2D(2, 3, activation="relu"), layers.Flatten(), layers.Dense(3, "softmax")]
    )
    model.predict(x, verbose=0)
    model.layers[-1].activation = None
    model.layers[0].activation = None
    conv, dense = model.layers[0], model.layers[-1]
    features = tf.nn.conv2d(x, conv.kernel, 1, "VALID").numpy() + conv.bias.numpy()
    logits = features.reshape(2, -1) @ dense.kernel.numpy() + dense.bias.numpy()
    np.testing.assert_allclose(model.predict(x, verbose=0), logits, rtol=1e-5, atol=1e-6)
