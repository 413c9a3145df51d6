"""Keras 3 layers learnet added later: SeparableConv1D, DepthwiseConv1D, the adaptive pooling
layers (and their op, learnet.ops.adaptive_pool), GroupQueryAttention, ReversibleEmbedding,
Wrapper and Pipeline, checked against real Keras 3 (JAX): the same weights give the same
outputs, configs agree, and .keras files go both ways."""

import os

import numpy as np
import pytest

import learnet as tf
from learnet import layers
from learnet.ops.adaptive_pool import adaptive_average_pool, adaptive_max_pool, adaptive_windows
from learnet.testing import check_gradients

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

RNG = np.random.default_rng(11)


def _copy_weights(ours, theirs, *inputs, **kwargs):
    """Build both layers on ``inputs`` and give ours Keras' weights."""
    theirs(*inputs, **kwargs)
    ours(*inputs, **kwargs)
    ours.set_weights(theirs.get_weights())


# --- SeparableConv1D, DepthwiseConv1D ------------------------------------------------------------------
CONV_CASES = [
    dict(kernel_size=3),
    dict(kernel_size=3, strides=2, padding="same", depth_multiplier=2),
    dict(kernel_size=2, dilation_rate=2, padding="same", activation="relu"),
    dict(kernel_size=4, use_bias=False, activation="tanh"),
]


@pytest.mark.parametrize("arguments", CONV_CASES)
@pytest.mark.parametrize("name", ["DepthwiseConv1D", "SeparableConv1D"])
def test_conv1d_extra_equals_keras(name, arguments):
    x = RNG.normal(size=(2, 11, 3)).astype("float32")
    extra = {"filters": 5} if name == "SeparableConv1D" else {}
    theirs = getattr(keras.layers, name)(**arguments, **extra, bias_initializer="random_normal")
    ours = getattr(layers, name)(**arguments, **extra)
    _copy_weights(ours, theirs, x)
    assert [w.name.split("/")[-1] for w in ours.weights] == [w.path.split("/")[-1] for w in theirs.weights]
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), rtol=1e-5, atol=1e-5)
    assert ours.compute_output_shape((None, 11, 3)) == tuple(theirs.compute_output_shape((None, 11, 3)))
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    assert set(ours_config) == set(theirs_config)
    for key in ("kernel_size", "strides", "dilation_rate"):
        assert list(ours_config[key]) == list(theirs_config[key])
    copy = type(ours).from_config(ours_config)
    assert copy.get_config() == ours_config


def test_separable_convolution1d_alias():
    assert layers.SeparableConvolution1D is layers.SeparableConv1D


@pytest.mark.parametrize("name", ["DepthwiseConv1D", "SeparableConv1D"])
def test_conv1d_extra_gradients(name):
    extra = {"filters": 2} if name == "SeparableConv1D" else {}
    layer = getattr(layers, name)(kernel_size=3, padding="same", dtype="float64", **extra)
    x = RNG.normal(size=(2, 6, 3))
    layer(x)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x) ** 2)
    grads = tape.gradient(loss, layer.trainable_weights)
    assert all(g is not None and np.all(np.isfinite(g.numpy())) for g in grads)
    check_gradients(lambda inputs: layer(inputs), [x])


def test_conv1d_extra_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="filters"):
        layers.SeparableConv1D(0, 3)
    with pytest.raises(ValueError, match="depth_multiplier"):
        layers.DepthwiseConv1D(3, depth_multiplier=0)
    with pytest.raises(ValueError, match="padding"):
        layers.DepthwiseConv1D(3, padding="causal")
    with pytest.raises(ValueError, match="kernel_size"):
        layers.DepthwiseConv1D((3, 3))
    layer = layers.DepthwiseConv1D(3)
    with pytest.raises(ValueError):
        layer(np.zeros((2, 5, 5, 3), "float32"))
    assert not layer.built and layer.weights == []
    with pytest.raises(ValueError, match="spans 3 steps"):
        layers.SeparableConv1D(2, 3)(np.zeros((1, 2, 3), "float32"))


# --- adaptive pooling -------------------------------------------------------------------------------------
POOL_CASES = [((2, 7, 3), 3), ((2, 3, 2), 5), ((2, 5, 11, 2), (3, 4)), ((2, 6, 6, 1), 4), ((1, 4, 6, 5, 2), (3, 2, 4))]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("shape, size", POOL_CASES)
def test_adaptive_pool_ops_equal_keras(shape, size, data_format):
    x = RNG.normal(size=shape).astype("float32")
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    for ours, theirs in (
        (adaptive_average_pool, keras.ops.adaptive_average_pool),
        (adaptive_max_pool, keras.ops.adaptive_max_pool),
    ):
        expected = np.asarray(theirs(x, size, data_format=data_format))
        np.testing.assert_allclose(ours(x, size, data_format).numpy(), expected, rtol=1e-6, atol=1e-6)


def test_adaptive_windows_tile_the_axis():
    starts, ends = adaptive_windows(10, 4)
    assert starts.tolist() == [0, 2, 5, 7] and ends.tolist() == [3, 5, 8, 10]


@pytest.mark.parametrize("shape, size", [((2, 7, 2), 3), ((1, 5, 4, 2), (2, 3)), ((1, 3, 4, 3, 1), (2, 2, 2))])
def test_adaptive_average_pool_gradients(shape, size):
    check_gradients(lambda x: adaptive_average_pool(x, size), [RNG.normal(size=shape)])


@pytest.mark.parametrize("shape, size", [((2, 7, 2), 3), ((1, 5, 4, 2), (2, 3)), ((1, 3, 4, 3, 1), (2, 2, 2))])
def test_adaptive_max_pool_gradients(shape, size):
    check_gradients(lambda x: adaptive_max_pool(x, size), [RNG.normal(size=shape)])


def test_adaptive_pool_second_derivative():
    x = tf.Variable(RNG.normal(size=(1, 6, 2)))
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.reduce_sum(adaptive_average_pool(x * x, 4))
        (g,) = inner.gradient(y, [x])
        z = tf.reduce_sum(g)
    (h,) = outer.gradient(z, [x])
    assert h is not None and np.all(np.isfinite(h.numpy()))


ADAPTIVE = [f"Adaptive{kind}Pooling{rank}D" for kind in ("Average", "Max") for rank in (1, 2, 3)]


@pytest.mark.parametrize("name", ADAPTIVE)
def test_adaptive_pooling_layers_equal_keras(name):
    rank = int(name[-2])
    shape = {1: (2, 9, 3), 2: (2, 9, 7, 3), 3: (2, 5, 6, 7, 2)}[rank]
    size = {1: 4, 2: (4, 3), 3: (2, 3, 4)}[rank]
    x = RNG.normal(size=shape).astype("float32")
    theirs, ours = getattr(keras.layers, name)(size), getattr(layers, name)(size)
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), rtol=1e-6, atol=1e-6)
    config = ours.get_config()
    assert tuple(config["output_size"]) == tuple(theirs.get_config()["output_size"])
    assert config["data_format"] == theirs.get_config()["data_format"]
    assert type(ours).from_config(config).get_config() == config
    assert ours.compute_output_shape((None,) + shape[1:]) == tuple(theirs.compute_output_shape((None,) + shape[1:]))


def test_adaptive_pooling_bad_arguments():
    with pytest.raises(ValueError, match="output_size"):
        layers.AdaptiveAveragePooling2D((2, 2, 2))
    with pytest.raises(TypeError, match="output_size"):
        layers.AdaptiveMaxPooling1D("4")
    with pytest.raises(ValueError, match="positive"):
        layers.AdaptiveMaxPooling1D(0)
    with pytest.raises(ValueError, match="data_format"):
        layers.AdaptiveAveragePooling1D(2, data_format="channels_middle")
    with pytest.raises(ValueError):
        layers.AdaptiveAveragePooling2D(2)(np.zeros((2, 5, 3), "float32"))
    with pytest.raises(ValueError, match="rank 3, 4 or 5"):
        adaptive_average_pool(np.zeros((2, 3)), 2)


def test_adaptive_pooling_in_a_model_takes_any_size():
    inputs = layers.Input((None, None, 3))
    x = layers.Conv2D(4, 3, padding="same")(inputs)
    x = layers.AdaptiveMaxPooling2D((2, 2))(x)
    outputs = layers.Dense(2)(layers.Flatten()(x))
    model = tf.keras.Model(inputs, outputs)
    for size in (7, 12):
        assert model.predict(np.ones((2, size, size, 3), "float32"), verbose=0).shape == (2, 2)


# --- GroupQueryAttention ----------------------------------------------------------------------------------
QUERY = RNG.normal(size=(2, 5, 6)).astype("float32")
VALUE = RNG.normal(size=(2, 7, 6)).astype("float32")
MASK = RNG.uniform(size=(2, 5, 7)) > 0.4


@pytest.mark.parametrize(
    "arguments",
    [dict(), dict(use_gate=True), dict(sliding_window=2), dict(use_bias=False), dict(num_key_value_heads=1)],
)
@pytest.mark.parametrize(
    "call",
    [dict(), dict(use_causal_mask=True), dict(attention_mask=MASK), dict(return_attention_scores=True)],
)
def test_group_query_attention_equals_keras(arguments, call):
    arguments = {"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2, **arguments}
    theirs = keras.layers.GroupQueryAttention(**arguments, bias_initializer="random_normal")
    ours = layers.GroupQueryAttention(**arguments)
    _copy_weights(ours, theirs, QUERY, VALUE)
    expected, got = theirs(QUERY, VALUE, **call), ours(QUERY, VALUE, **call)
    if call.get("return_attention_scores"):
        np.testing.assert_allclose(got[1].numpy(), np.asarray(expected[1]), rtol=1e-5, atol=1e-6)
        expected, got = expected[0], got[0]
    np.testing.assert_allclose(got.numpy(), np.asarray(expected), rtol=1e-5, atol=1e-5)


def test_group_query_attention_fully_masked_rows_as_keras():
    theirs = keras.layers.GroupQueryAttention(4, 4, 2)
    ours = layers.GroupQueryAttention(4, 4, 2)
    _copy_weights(ours, theirs, QUERY, VALUE)
    mask = np.ones((2, 5, 7), bool)
    mask[0, 1] = False
    for scores in (False, True):
        expected = theirs(QUERY, VALUE, attention_mask=mask, return_attention_scores=scores)
        got = ours(QUERY, VALUE, attention_mask=mask, return_attention_scores=scores)
        expected, got = (expected[0], got[0]) if scores else (expected, got)
        np.testing.assert_allclose(got.numpy(), np.asarray(expected), rtol=1e-5, atol=1e-5)


def test_group_query_attention_config_and_weights_are_keras():
    theirs = keras.layers.GroupQueryAttention(4, 4, 2, use_gate=True, sliding_window=3, dropout=0.1, seed=2)
    ours = layers.GroupQueryAttention(4, 4, 2, use_gate=True, sliding_window=3, dropout=0.1, seed=2)
    _copy_weights(ours, theirs, QUERY, VALUE)
    theirs_config, ours_config = theirs.get_config(), ours.get_config()
    assert set(ours_config) == set(theirs_config)
    for key in ("head_dim", "num_query_heads", "num_key_value_heads", "use_gate", "sliding_window", "dropout", "seed"):
        assert ours_config[key] == theirs_config[key]
    assert ["/".join(w.path.split("/")[1:]) for w in ours.weights] == [
        "/".join(w.path.split("/")[1:]) for w in theirs.weights
    ]
    assert layers.GroupQueryAttention.from_config(keras.saving.serialize_keras_object(theirs)["config"])
    # Dropout in training changes the output; inference does not.
    assert not np.allclose(ours(QUERY, VALUE, training=True).numpy(), ours(QUERY, VALUE).numpy())


def test_group_query_attention_gradients():
    layer = layers.GroupQueryAttention(3, 4, 2, dtype="float64", use_gate=True)
    q, v = RNG.normal(size=(1, 3, 4)), RNG.normal(size=(1, 4, 4))
    layer(q, v)
    check_gradients(lambda query, value: layer(query, value, use_causal_mask=True), [q, v])


def test_group_query_attention_bad_arguments():
    with pytest.raises(ValueError, match="divisible"):
        layers.GroupQueryAttention(4, 4, 3)
    with pytest.raises(ValueError, match="sliding_window"):
        layers.GroupQueryAttention(4, 4, 2, sliding_window=0)
    with pytest.raises(ValueError, match="dropout"):
        layers.GroupQueryAttention(4, 4, 2, dropout=1.5)
    layer = layers.GroupQueryAttention(4, 4, 2)
    with pytest.raises(ValueError, match="value"):
        layer(QUERY)
    with pytest.raises(ValueError, match="sequence, features"):
        layer(QUERY[0], QUERY[0])
    assert not layer.built


def test_group_query_attention_in_a_functional_model():
    tokens = layers.Input((5,), dtype="int32")
    x = layers.Embedding(20, 8, mask_zero=True)(tokens)
    x = layers.GroupQueryAttention(4, 4, 2)(x, x, use_causal_mask=True)
    outputs = layers.Dense(1)(layers.GlobalAveragePooling1D()(x))
    model = tf.keras.Model(tokens, outputs)
    assert model.predict(RNG.integers(0, 20, (3, 5)), verbose=0).shape == (3, 1)


# --- ReversibleEmbedding ----------------------------------------------------------------------------------
IDS = np.array([[1, 2, 0], [3, 0, 0]])


@pytest.mark.parametrize("arguments", [dict(), dict(tie_weights=False), dict(logit_soft_cap=2.0), dict(mask_zero=True)])
def test_reversible_embedding_equals_keras(arguments):
    theirs = keras.layers.ReversibleEmbedding(10, 4, **arguments)
    ours = layers.ReversibleEmbedding(10, 4, **arguments)
    _copy_weights(ours, theirs, IDS)
    assert [w.name.split("/")[-1] for w in ours.weights] == [w.path.split("/")[-1] for w in theirs.weights]
    hidden, ours_hidden = theirs(IDS), ours(IDS)
    np.testing.assert_allclose(ours_hidden.numpy(), np.asarray(hidden))
    np.testing.assert_allclose(
        ours(ours_hidden, reverse=True).numpy(), np.asarray(theirs(hidden, reverse=True)), rtol=1e-5, atol=1e-6
    )
    assert (getattr(ours_hidden, "_keras_mask", None) is not None) == arguments.get("mask_zero", False)
    theirs_config = {k: v for k, v in theirs.get_config().items() if k != "quantization_config"}
    assert set(ours.get_config()) == set(theirs_config)


def test_reversible_embedding_gradients_and_tied_weights():
    layer = layers.ReversibleEmbedding(6, 3, dtype="float64", logit_soft_cap=3.0)
    layer.build()
    check_gradients(lambda h: layer(h, reverse=True), [RNG.normal(size=(2, 3))])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(layer(IDS % 6), reverse=True) ** 2)
    (grad,) = tape.gradient(loss, layer.trainable_weights)
    assert grad.shape == (6, 3)


def test_reversible_embedding_in_a_model_and_errors():
    tokens = layers.Input((3,), dtype="int32")
    embedding = layers.ReversibleEmbedding(10, 4)
    logits = embedding(layers.Dense(4)(embedding(tokens)), reverse=True)
    model = tf.keras.Model(tokens, logits)
    assert model.output_shape == (None, 3, 10)
    assert model.predict(IDS, verbose=0).shape == (2, 3, 10)
    with pytest.raises(ValueError, match="last dimension 4"):
        embedding(np.zeros((2, 5), "float32"), reverse=True)
    with pytest.raises(ValueError, match="logit_soft_cap"):
        layers.ReversibleEmbedding(10, 4, logit_soft_cap=-1.0)


# --- Wrapper, Pipeline ------------------------------------------------------------------------------------
class Twice(layers.Wrapper):
    def call(self, inputs):
        return self.layer(self.layer(inputs))


def test_wrapper_is_a_base_class_with_keras_config():
    wrapper = Twice(layers.Dense(3))
    assert wrapper(np.ones((2, 3), "float32")).shape == (2, 3)
    assert len(wrapper.weights) == 2
    config = wrapper.get_config()
    assert config["layer"]["class_name"] == "Dense" and config["layer"]["module"] == "keras.layers"
    copy = Twice.from_config(config)
    assert isinstance(copy.layer, layers.Dense) and copy.layer.units == 3
    with pytest.raises(ValueError, match="wraps a layer"):
        layers.Wrapper("dense")


def test_pipeline_equals_keras_and_follows_training():
    x = RNG.uniform(0, 255, (2, 6, 6, 3)).astype("float32")
    ours = layers.Pipeline([layers.RandomFlip(seed=1), layers.Rescaling(1 / 255), layers.Dense(2)])
    theirs = keras.layers.Pipeline(
        [keras.layers.RandomFlip(seed=1), keras.layers.Rescaling(1 / 255), keras.layers.Dense(2)]
    )
    _copy_weights(ours, theirs, x, training=False)
    np.testing.assert_allclose(
        ours(x, training=False).numpy(), np.asarray(theirs(x, training=False)), rtol=1e-5, atol=1e-6
    )
    assert len(ours.layers) == 3
    flip = layers.Pipeline([layers.RandomFlip("horizontal", seed=3)])
    assert any(not np.array_equal(flip(x).numpy(), x) for _ in range(5))  # alone: augments
    assert np.array_equal(flip(x, training=False).numpy(), x)
    config = ours.get_config()
    assert set(config) == set(theirs.get_config()) == {"layers", "name"}
    assert [entry["class_name"] for entry in config["layers"]] == ["RandomFlip", "Rescaling", "Dense"]
    assert layers.Pipeline.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="list of layers"):
        layers.Pipeline(layers.Dense(2))
    with pytest.raises(ValueError, match="list of layers"):
        layers.Pipeline.from_config({"layers": "dense"})


# --- .keras files, both ways --------------------------------------------------------------------------------
def _sequence_model(module):
    L = module.layers
    inputs = L.Input((12, 3))
    x = L.SeparableConv1D(4, 3, padding="same", activation="relu")(inputs)
    x = L.DepthwiseConv1D(3, depth_multiplier=2)(x)
    x = L.AdaptiveAveragePooling1D(4)(x)
    x = L.AdaptiveMaxPooling1D(2)(x)
    outputs = L.Dense(2)(L.Flatten()(x))
    return module.Model(inputs, outputs)


def _attention_model(module):
    L = module.layers
    inputs = L.Input((6, 8))
    outputs = L.GroupQueryAttention(4, 4, 2, use_gate=True)(inputs, inputs, use_causal_mask=True)
    return module.Model(inputs, outputs)


def _image_model(module):
    L = module.layers
    inputs = L.Input((9, 9, 3))
    x = L.Pipeline([L.Rescaling(1 / 255), L.Conv2D(2, 3)])(inputs)
    x = L.AdaptiveAveragePooling2D((3, 3))(x)
    x = L.AdaptiveMaxPooling2D(2)(x)
    outputs = L.Dense(2)(L.Flatten()(x))
    return module.Model(inputs, outputs)


def _volume_model(module):
    L = module.layers
    inputs = L.Input((4, 6, 5, 2))
    x = L.AdaptiveAveragePooling3D((2, 3, 2))(inputs)
    x = L.AdaptiveMaxPooling3D(1)(x)
    outputs = L.Dense(2)(L.Flatten()(x))
    return module.Model(inputs, outputs)


def _token_model(module):
    L = module.layers
    tokens = L.Input((3,), dtype="int32")
    embedding = L.ReversibleEmbedding(10, 4, tie_weights=False)
    outputs = embedding(embedding(tokens), reverse=True)
    return module.Model(tokens, outputs)


MODELS = {
    "sequence": (_sequence_model, lambda: RNG.normal(size=(2, 12, 3)).astype("float32")),
    "attention": (_attention_model, lambda: RNG.normal(size=(2, 6, 8)).astype("float32")),
    "image": (_image_model, lambda: RNG.uniform(0, 255, (2, 9, 9, 3)).astype("float32")),
    "volume": (_volume_model, lambda: RNG.normal(size=(2, 4, 6, 5, 2)).astype("float32")),
    "token": (_token_model, lambda: RNG.integers(0, 10, (2, 3)).astype("int32")),
}


_ACROSS = list(MODELS)


@pytest.mark.parametrize("kind", list(MODELS))
def test_learnet_reads_its_own_keras_file(kind, tmp_path):
    make, data = MODELS[kind]
    ours = make(tf.keras)
    x = data()
    ours.save(tmp_path / "ours.keras")
    again = tf.keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(again.predict(x, verbose=0), ours.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert [type(layer).__name__ for layer in again.layers] == [type(layer).__name__ for layer in ours.layers]


@pytest.mark.parametrize("kind", _ACROSS)
def test_keras_reads_the_file_learnet_writes(kind, tmp_path):
    make, data = MODELS[kind]
    ours = make(tf.keras)
    x = data()
    ours.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(
        np.asarray(theirs.predict(x, verbose=0)), ours.predict(x, verbose=0), rtol=1e-4, atol=1e-5
    )


@pytest.mark.parametrize("kind", _ACROSS)
def test_learnet_reads_the_file_keras_writes(kind, tmp_path):
    make, data = MODELS[kind]
    theirs = make(keras)
    x = data()
    theirs.save(tmp_path / "theirs.keras")
    ours = tf.keras.models.load_model(tmp_path / "theirs.keras")
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), np.asarray(theirs.predict(x, verbose=0)), rtol=1e-4, atol=1e-5
    )


def test_sequential_model_trains_with_the_new_layers():
    model = tf.keras.Sequential(
        [
            layers.Input((12, 3)),
            layers.SeparableConv1D(4, 3, padding="same", activation="relu"),
            layers.DepthwiseConv1D(3),
            layers.AdaptiveAveragePooling1D(3),
            layers.Flatten(),
            layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    x, y = RNG.normal(size=(32, 12, 3)).astype("float32"), RNG.normal(size=(32, 1)).astype("float32")
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
