"""Keras' own files: Keras 3 ``.keras`` both ways, tf.keras 2 ``.h5`` in, ``.weights.h5`` both ways.

Round trips are checked against the real Keras 3 (on JAX, CPU) where it is installed;
the tf.keras 2 files under tests/fixtures/keras2 were made by a real tf.keras 2 with
tests/fixtures/keras2/make_fixtures.py.
"""

import io
import json
import pathlib
import zipfile

import numpy as np
import pytest

import learnet
from learnet import layers as L
from learnet.saving import InvalidModelFileError

h5py = pytest.importorskip("h5py", reason="h5py is not installed (pip install 'learnet[keras]')")

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "keras2"


def _randomize(model, rng):
    """Random weights (positive variances), so a mix-up of any two weights shows in the outputs."""
    values = []
    for variable, value in zip(model.weights, model.get_weights()):
        if value.dtype.kind != "f":
            values.append(value)
        elif "variance" in getattr(variable, "path", variable.name):
            values.append(rng.uniform(0.5, 1.5, size=value.shape).astype(value.dtype))
        else:
            values.append(rng.normal(scale=0.5, size=value.shape).astype(value.dtype))
    model.set_weights(values)


# --- the models: every layer both libraries share, in four models -------------------------------------
def dense_stack(M):
    return M.Sequential(
        [
            M.Input((6,)),
            M.layers.Dense(
                8,
                activation="relu",
                kernel_regularizer=M.regularizers.L2(0.01),
                kernel_constraint=M.constraints.MaxNorm(3.0),
                kernel_initializer="he_normal",
            ),
            M.layers.BatchNormalization(),
            M.layers.Dropout(0.3),
            M.layers.LayerNormalization(),
            M.layers.Activation("tanh"),
            M.layers.Dense(8),
            M.layers.ReLU(),
            M.layers.LeakyReLU(negative_slope=0.2),
            M.layers.ELU(),
            M.layers.PReLU(),
            M.layers.GaussianNoise(0.1),
            M.layers.GaussianDropout(0.1),
            M.layers.ActivityRegularization(l1=0.01),
            M.layers.Identity(),
            M.layers.Rescaling(0.5, offset=0.1),
            M.layers.Reshape((2, 4)),
            M.layers.Permute((2, 1)),
            M.layers.Flatten(),
            M.layers.RepeatVector(2),
            M.layers.Flatten(),
            M.layers.Dense(3, activation="softmax"),
        ],
        name="dense_stack",
    ), (6,)


def convnet(M):
    return M.Sequential(
        [
            M.Input((8, 8, 1)),
            M.layers.RandomFlip(),  # (the other augmentation layers pass too; each costs Keras seconds to build)
            M.layers.Conv2D(4, 3, activation="relu"),
            M.layers.BatchNormalization(),
            M.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same"),
            M.layers.SeparableConv2D(4, 3, padding="same", activation="relu"),
            M.layers.ZeroPadding2D(1),
            M.layers.MaxPooling2D(),
            M.layers.Conv2D(4, 3, strides=2, padding="same", activation="sigmoid"),
            M.layers.SpatialDropout2D(0.2),
            M.layers.UpSampling2D(2),
            M.layers.Cropping2D(1),
            M.layers.Conv2DTranspose(3, 3, strides=2, padding="same"),
            M.layers.AveragePooling2D(pool_size=3, strides=2, padding="same"),
            M.layers.Resizing(6, 6),
            M.layers.Flatten(),
            M.layers.Dense(5, activation="softmax"),
        ],
        name="convnet",
    ), (8, 8, 1)


def sequence_model(M):
    tokens = M.Input((7,), dtype="int32", name="tokens")
    x = M.layers.Embedding(20, 4)(tokens)
    x = M.layers.Conv1D(5, 3, activation="relu")(x)
    x = M.layers.ZeroPadding1D(1)(x)
    x = M.layers.UpSampling1D(2)(x)
    x = M.layers.Cropping1D(1)(x)
    a = M.layers.MaxPooling1D(2)(x)
    b = M.layers.AveragePooling1D(2)(x)
    pooled = M.layers.Concatenate()([M.layers.GlobalAveragePooling1D()(a), M.layers.GlobalMaxPooling1D()(b)])
    return M.Model(tokens, M.layers.Dense(2)(pooled), name="sequence_model"), (7,)


def merging_model(M):
    inputs = M.Input((5,), name="features")
    shared = M.layers.Dense(5, activation="tanh", name="shared")
    h1, h2 = shared(inputs), shared(M.layers.Dense(5, name="pre")(inputs))
    merged = [
        M.layers.Add()([inputs, h1]),
        M.layers.Subtract()([h1, h2]),
        M.layers.Multiply()([h1, h2]),
        M.layers.Average()([h1, h2]),
        M.layers.Maximum()([h1, h2]),
        M.layers.Minimum()([h1, h2]),
    ]
    joined = M.layers.Concatenate(name="joined")(merged)
    out_a = M.layers.Dense(3, activation="softmax", name="a")(joined)
    out_b = M.layers.Dense(1, activation="sigmoid", name="b")(
        M.layers.GlobalAveragePooling2D()(M.layers.Reshape((2, 3, 5))(joined))
    )
    return M.Model(inputs, [out_a, out_b], name="merging_model"), (5,)


def recurrent_model(M):
    """Layers that hold layers (Keras keeps their weights nested: ``lstm/cell``, ``bidirectional/forward_layer``)."""
    tokens = M.Input((7,), dtype="int32", name="tokens")
    x = M.layers.Embedding(20, 4, mask_zero=True)(tokens)
    x = M.layers.Bidirectional(M.layers.LSTM(5, return_sequences=True))(x)
    x = M.layers.Bidirectional(M.layers.GRU(3, return_sequences=True), merge_mode="sum")(x)
    x = M.layers.TimeDistributed(M.layers.Dense(4, activation="tanh"))(x)
    x = M.layers.LSTM(4, return_sequences=True)(x)
    x = M.layers.GRU(3, return_sequences=True, reset_after=False)(x)
    x = M.layers.SimpleRNN(3)(x)
    return M.Model(tokens, M.layers.Dense(2)(x), name="recurrent_model"), (7,)


def attention_model(M):
    """A transformer block (MultiHeadAttention keeps four projections nested), then Luong and Bahdanau attention."""
    tokens = M.Input((6,), dtype="int32", name="tokens")
    x = M.layers.Embedding(20, 8, mask_zero=True)(tokens)
    attended = M.layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x)
    x = M.layers.LayerNormalization()(M.layers.Add()([x, attended]))
    causal = M.layers.MultiHeadAttention(num_heads=2, key_dim=4, output_shape=5)(x, x, use_causal_mask=True)
    y = M.layers.EinsumDense("abc,cd->abd", output_shape=(None, 5), bias_axes="d")(x)
    x = M.layers.Attention(use_scale=True)([causal, y])
    x = M.layers.AdditiveAttention()([x, y])
    pooled = M.layers.GlobalAveragePooling1D()(x * 2.0 - 1.0)
    return M.Model(tokens, M.layers.Dense(2)(pooled), name="attention_model"), (6,)


def image_extras(M):
    """Crops, brightness, group and unit normalization, alpha dropout and a 1-D transposed convolution."""
    return M.Sequential(
        [
            M.Input((8, 8, 4)),
            M.layers.CenterCrop(6, 6),
            M.layers.RandomCrop(6, 6),
            M.layers.RandomBrightness(0.2),
            M.layers.GroupNormalization(groups=2),
            M.layers.UnitNormalization(),
            M.layers.AlphaDropout(0.1),
            M.layers.Reshape((6, 24)),
            M.layers.Conv1DTranspose(3, 3, strides=2, padding="same"),
            M.layers.Flatten(),
            M.layers.Dense(2),
        ],
        name="image_extras",
    ), (8, 8, 4)


def volume_model(M):
    """The 3-D layers: volumes of (depth, height, width, channels)."""
    return M.Sequential(
        [
            M.Input((4, 6, 6, 2)),
            M.layers.Conv3D(3, 3, padding="same", activation="relu"),
            M.layers.MaxPooling3D(2),
            M.layers.Conv3DTranspose(2, 2, strides=2),
            M.layers.AveragePooling3D(2),
            M.layers.UpSampling3D(2),
            M.layers.ZeroPadding3D(1),
            M.layers.Cropping3D(1),
            M.layers.GlobalAveragePooling3D(),
            M.layers.Dense(2),
        ],
        name="volume_model",
    ), (4, 6, 6, 2)


MODELS = [
    dense_stack,
    convnet,
    sequence_model,
    merging_model,
    recurrent_model,
    attention_model,
    image_extras,
    volume_model,
]


def _inputs(make, shape, rng):
    if make is sequence_model:
        return rng.integers(0, 20, size=(4,) + shape).astype("int32")
    if make in (recurrent_model, attention_model):  # padded token ids: the mask reaches every recurrent layer
        tokens = rng.integers(1, 20, size=(4,) + shape)
        tokens[::2, -3:] = 0
        return tokens.astype("int32")
    return rng.normal(size=(4,) + shape).astype("float32")


def _keras_predict(model, x):
    """Keras' outputs, called eagerly (no compilation: quicker for a handful of rows)."""
    outputs = model(x, training=False)
    return [np.asarray(o) for o in outputs] if isinstance(outputs, (list, tuple)) else np.asarray(outputs)


def _close(a, b):
    for x, y in zip(a if isinstance(a, list) else [a], b if isinstance(b, list) else [b]):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), atol=1e-5, rtol=1e-5)


@pytest.mark.slow  # real Keras builds its convolutions in JAX: seconds on a small CPU
@pytest.mark.parametrize("make", MODELS, ids=lambda f: f.__name__)
def test_keras3_file_loads_in_learnet_with_the_same_predictions(keras, make, tmp_path):
    rng = np.random.default_rng(1)
    model, shape = make(keras)
    _randomize(model, rng)
    model.save(tmp_path / "m.keras")
    restored = learnet.models.load_model(tmp_path / "m.keras")
    x = _inputs(make, shape, rng)
    _close(restored.predict(x, verbose=0), _keras_predict(model, x))
    assert [w.shape for w in restored.get_weights()] == [w.shape for w in model.get_weights()]


@pytest.mark.slow
@pytest.mark.parametrize("make", MODELS, ids=lambda f: f.__name__)
def test_learnet_keras_file_loads_in_keras3_with_the_same_predictions(keras, make, tmp_path):
    rng = np.random.default_rng(2)
    model, shape = make(learnet)
    _randomize(model, rng)
    model.save(tmp_path / "m.keras")
    restored = keras.models.load_model(tmp_path / "m.keras")
    x = _inputs(make, shape, rng)
    _close(_keras_predict(restored, x), model.predict(x, verbose=0))
    # and back into learnet, unchanged
    again = learnet.models.load_model(tmp_path / "m.keras")
    _close(again.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop"])
def test_compile_config_travels_both_ways(keras, optimizer, tmp_path):
    model = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3, activation="softmax")]
    )
    model.compile(optimizer=keras.optimizers.get(optimizer), loss="categorical_crossentropy", metrics=["accuracy"])
    model.optimizer.learning_rate = 0.0125
    model.save(tmp_path / "k.keras")
    restored = learnet.models.load_model(tmp_path / "k.keras")
    assert type(restored.optimizer).__name__.lower() == optimizer
    assert float(restored.optimizer.learning_rate) == pytest.approx(0.0125)
    x = np.random.default_rng(0).normal(size=(8, 6)).astype("float32")
    y = np.eye(3, dtype="float32")[[0, 1, 2, 0, 1, 2, 0, 1]]
    history = restored.fit(x, y, epochs=1, verbose=0)
    assert "accuracy" in history.history

    restored.save(tmp_path / "l.keras")
    back = keras.models.load_model(tmp_path / "l.keras")
    assert type(back.optimizer).__name__.lower() == optimizer
    assert float(back.optimizer.learning_rate) == pytest.approx(0.0125)
    back.compile(optimizer=back.optimizer, loss=back.loss)  # evaluate without Keras' metrics
    assert float(back.evaluate(x, y, verbose=0, return_dict=True)["loss"]) == pytest.approx(
        float(restored.evaluate(x, y, verbose=0, return_dict=True)["loss"]), rel=1e-4
    )


def test_weights_h5_both_ways(keras, tmp_path):
    rng = np.random.default_rng(3)
    mine, shape = convnet(learnet)
    theirs, _ = convnet(keras)
    _randomize(mine, rng)
    mine.save_weights(tmp_path / "mine.weights.h5")
    theirs.load_weights(tmp_path / "mine.weights.h5")
    x = _inputs(convnet, shape, rng)
    _close(_keras_predict(theirs, x), mine.predict(x, verbose=0))

    _randomize(theirs, rng)
    theirs.save_weights(tmp_path / "theirs.weights.h5")
    mine.load_weights(tmp_path / "theirs.weights.h5")
    _close(mine.predict(x, verbose=0), _keras_predict(theirs, x))


def test_weights_h5_round_trip_in_learnet(tmp_path):
    rng = np.random.default_rng(4)
    model, _ = merging_model(learnet)
    _randomize(model, rng)
    model.save_weights(tmp_path / "w.weights.h5")
    other, _ = merging_model(learnet)
    other.load_weights(tmp_path / "w.weights.h5")
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
    with h5py.File(tmp_path / "w.weights.h5") as handle:  # Keras 3's layout
        assert handle["layers/dense/vars/0"].shape == (5, 5)


def test_save_whole_model_as_h5_writes_keras_legacy_file(tmp_path):
    model, _ = dense_stack(learnet)
    model.save(tmp_path / "m.h5")
    x = np.ones((2,) + tuple(model.inputs[0].shape[1:]), "float32")
    _close(learnet.models.load_model(tmp_path / "m.h5").predict(x, verbose=0), model.predict(x, verbose=0))


# --- tf.keras 2 .h5 files -------------------------------------------------------------------------------
KERAS2_FIXTURES = ["mlp", "classic", "convnet", "functional_skip", "recurrent", "attention", "tf_operations"]


@pytest.mark.parametrize("name", KERAS2_FIXTURES)
def test_tf_keras2_h5_model_loads_with_the_same_predictions(name):
    data = np.load(FIXTURES / f"{name}.npz")
    model = learnet.models.load_model(FIXTURES / f"{name}.h5")
    _close(model.predict(data["x"], verbose=0), data["y"])
    assert model.optimizer is not None and type(model.optimizer).__name__ == "Adam"


@pytest.mark.parametrize("name", KERAS2_FIXTURES)
@pytest.mark.parametrize("weights", ["{}.h5", "{}.weights.h5"])
def test_tf_keras2_weights_load_into_a_learnet_model(name, weights):
    data = np.load(FIXTURES / f"{name}.npz")
    reference = learnet.models.load_model(FIXTURES / f"{name}.h5", compile=False)
    fresh = learnet.models.model_from_json(reference.to_json())
    learnet.layers.reset_names()
    fresh.load_weights(FIXTURES / weights.format(name))
    _close(fresh.predict(data["x"], verbose=0), data["y"])


def test_tf_keras2_weights_match_by_order_not_name():
    data = np.load(FIXTURES / "mlp.npz")
    model = learnet.Sequential(
        [
            L.Input((20,)),
            L.Dense(16, activation="relu", name="a"),
            L.Dropout(0.2),
            L.Dense(8, activation="tanh", name="b"),
            L.Dense(5, activation="softmax", name="c"),
        ]
    )
    model.load_weights(FIXTURES / "mlp.h5")
    _close(model.predict(data["x"], verbose=0), data["y"])


def test_weights_that_do_not_fit_change_nothing(tmp_path):
    model = learnet.Sequential([L.Input((20,)), L.Dense(16), L.Dense(8), L.Dense(4)])
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(InvalidModelFileError, match="shape"):
        model.load_weights(FIXTURES / "mlp.h5")
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_without_h5py_the_error_names_the_extra(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ImportError, match=r"learnet\[keras\]"):
        learnet.models.load_model(FIXTURES / "mlp.h5")


def test_optimizer_state_travels_in_keras_layout(keras, tmp_path):
    x = np.random.default_rng(5).normal(size=(16, 6)).astype("float32")
    y = np.eye(3, dtype="float32")[np.arange(16) % 3]
    model = learnet.Sequential([L.Input((6,)), L.Dense(8, activation="relu"), L.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "m.keras")
    theirs = keras.models.load_model(tmp_path / "m.keras")
    assert int(theirs.optimizer.iterations) == int(model.optimizer.iterations)
    mine = model.optimizer.get_state()
    slots = [np.asarray(v) for v in theirs.optimizer.variables[2:]]
    for (key, value), slot in zip(list(mine.items())[2:], slots):
        np.testing.assert_allclose(slot, value, err_msg=key)
    restored = learnet.models.load_model(tmp_path / "m.keras")
    for key, value in restored.optimizer.get_state().items():
        np.testing.assert_array_equal(value, mine[key])


def test_a_model_nested_in_a_model_travels_both_ways(keras, tmp_path):
    rng = np.random.default_rng(6)
    for M, other in ((learnet, keras), (keras, learnet)):
        augment = M.Sequential([M.layers.RandomFlip(), M.layers.Rescaling(0.5)], name="augment")
        inputs = M.Input((6, 6, 1))
        x = M.layers.Conv2D(2, 3, activation="relu")(augment(inputs))
        model = M.Model(inputs, M.layers.Dense(3)(M.layers.Flatten()(x)))
        _randomize(model, rng)
        model.save(tmp_path / "nested.keras")
        restored = other.models.load_model(tmp_path / "nested.keras")
        x = rng.normal(size=(2, 6, 6, 1)).astype("float32")
        _close(
            _keras_predict(restored, x) if other is keras else restored.predict(x, verbose=0),
            _keras_predict(model, x) if M is keras else model.predict(x, verbose=0),
        )


def test_a_model_keras_cannot_describe_is_saved_in_learnets_format_with_a_warning(tmp_path):
    inputs = L.Input((4, 3))
    # an operation with no Keras class in learnet's table (learnet/layers/operation.py)
    model = learnet.Model(inputs, L.TimeDistributed(L.Dense(2))(learnet.ops.arcsinh(inputs)))
    with pytest.warns(UserWarning, match="learnet's own format"):
        model.save(tmp_path / "wrapped.keras")
    restored = learnet.models.load_model(tmp_path / "wrapped.keras")
    x = np.ones((1, 4, 3), "float32")
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["Adam", "SGD", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "AdamW"])
def test_every_optimizer_and_its_state_travel_both_ways(keras, name, tmp_path):
    from learnet import keras_files

    x = np.random.default_rng(7).random((8, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[np.arange(8) % 3]

    def compiled(M):
        model = M.Sequential([M.Input((4,)), M.layers.Dense(3, activation="softmax")])
        model.compile(
            optimizer=getattr(M.optimizers, name)(learning_rate=0.02),
            loss=M.losses.CategoricalCrossentropy(label_smoothing=0.1),
            metrics=[M.metrics.CategoricalAccuracy(), "mae"],
        )
        model.fit(x, y, verbose=0)
        return model

    def same_state(learnet_optimizer, keras_optimizer):
        state = learnet_optimizer.get_state()
        theirs = [np.asarray(v) for v in keras_optimizer.variables]
        assert len(state) == len(theirs)
        for key, value in zip(keras_files._keras_state_order(state), theirs):
            np.testing.assert_allclose(np.asarray(state[key], dtype=float), value.astype(float), atol=1e-6, err_msg=key)

    theirs = compiled(keras)
    theirs.save(tmp_path / "k.keras")
    mine = learnet.models.load_model(tmp_path / "k.keras")
    assert type(mine.optimizer).__name__ == name
    same_state(mine.optimizer, theirs.optimizer)

    mine = compiled(learnet)
    mine.save(tmp_path / "l.keras")
    theirs = keras.models.load_model(tmp_path / "l.keras")
    assert type(theirs.optimizer).__name__ == name
    same_state(mine.optimizer, theirs.optimizer)


def test_a_keras_sequential_built_by_fit_without_an_input_loads(keras, tmp_path):
    model = keras.Sequential([keras.layers.Dense(4, activation="relu"), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(8).random((6, 3)).astype("float32")
    model.fit(x, np.zeros((6, 2), "float32"), verbose=0)
    model.save(tmp_path / "no_input.keras")
    restored = learnet.models.load_model(tmp_path / "no_input.keras")
    _close(restored.predict(x, verbose=0), _keras_predict(model, x))


class TimesFactor(L.Layer):
    """A custom layer, for the custom_objects round trip."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs):
        return inputs * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_a_custom_layer_loads_only_when_passed_in_custom_objects(tmp_path):
    model = learnet.Sequential([L.Input((3,)), L.Dense(2), TimesFactor(3.0)])
    model.save(tmp_path / "custom.keras")
    with pytest.raises(InvalidModelFileError, match="TimesFactor"):
        learnet.models.load_model(tmp_path / "custom.keras")
    restored = learnet.models.load_model(tmp_path / "custom.keras", custom_objects={"TimesFactor": TimesFactor})
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_an_adapted_normalization_travels_both_ways(keras, tmp_path):
    data = np.random.default_rng(9).normal(3.0, 2.0, size=(50, 3)).astype("float32")
    for M, other in ((learnet, keras), (keras, learnet)):
        norm = M.layers.Normalization()
        norm.adapt(data)
        model = M.Sequential([M.Input((3,)), norm, M.layers.Dense(2)])
        model.save(tmp_path / "norm.keras")
        restored = other.models.load_model(tmp_path / "norm.keras")
        _close(
            _keras_predict(restored, data[:4]) if other is keras else restored.predict(data[:4], verbose=0),
            _keras_predict(model, data[:4]) if M is keras else model.predict(data[:4], verbose=0),
        )


def _block_class(M):
    """A layer of the user's own holding layers, a model and a list of layers, as Keras and learnet spell it."""

    class Block(M.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.attention = M.layers.MultiHeadAttention(num_heads=2, key_dim=3)
            self.feed_forward = M.Sequential([M.layers.Dense(units, activation="relu"), M.layers.Dense(4)])
            self.norms = [M.layers.LayerNormalization(), M.layers.LayerNormalization()]

        def call(self, x):
            x = self.norms[0](x + self.attention(x, x))
            return self.norms[1](x + self.feed_forward(x))

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return M.saving.register_keras_serializable(package="tests")(Block)


@pytest.mark.slow
def test_a_layer_of_ones_own_holding_layers_travels_both_ways(keras, tmp_path):
    x = np.random.default_rng(3).normal(size=(3, 5, 4)).astype("float32")
    outputs = {}
    for M in (keras, learnet):
        block = _block_class(M)
        inputs = M.Input((5, 4))
        model = M.Model(inputs, M.layers.Dense(2)(block(6)(inputs)))
        _randomize(model, np.random.default_rng(4))
        model.save(tmp_path / f"{M.__name__}.keras")
        outputs[M.__name__] = np.asarray(model(x))
    # Each library reads the other's file, weights in Keras' nested places (block/attention/query_dense...).
    for M, other in ((learnet, "keras"), (keras, "learnet")):
        block = _block_class(M)
        restored = M.models.load_model(tmp_path / f"{other}.keras", custom_objects={"Block": block})
        np.testing.assert_allclose(np.asarray(restored(x)), outputs[other], rtol=1e-5, atol=1e-5)
    with h5py.File(io.BytesIO(zipfile.ZipFile(tmp_path / "learnet.keras").read("model.weights.h5"))) as f:
        assert "layers/block/attention/query_dense/vars/0" in f
        assert "layers/block/feed_forward/layers/dense_1/vars/1" in f
        assert "layers/block/norms/layer_normalization_1/vars/0" in f


def test_a_keras_text_model_loads_with_its_vocabularies(tmp_path):
    # Keras keeps an adapted TextVectorization's and StringLookup's vocabulary as text files in
    # the archive's assets/ (tests/fixtures/make_keras_text_fixture.py made it with real Keras).
    fixtures = pathlib.Path(__file__).parent / "fixtures"
    data = np.load(fixtures / "keras_text_io.npz")
    text, colour = data["text"].astype(object), data["colour"].astype(object)
    model = learnet.models.load_model(fixtures / "keras_text.keras")
    assert model.get_layer("text_vectorization").get_vocabulary()[:3] == ["", "[UNK]", "the"]
    _close(model.predict([text, colour], verbose=0), data["y"])
    # Written back, the vocabularies travel in the config, which Keras reads too.
    model.save(tmp_path / "again.keras")
    again = learnet.models.load_model(tmp_path / "again.keras")
    _close(again.predict([text, colour], verbose=0), data["y"])
    with zipfile.ZipFile(tmp_path / "again.keras") as archive:
        inputs = [
            e for e in json.loads(archive.read("config.json"))["config"]["layers"] if e["class_name"] == "InputLayer"
        ]
    assert {e["config"]["dtype"] for e in inputs} == {"string"}


def test_two_registered_classes_of_one_name_keep_apart_in_keras_files(tmp_path):
    # Registered under "PackageA>Twice" and "PackageB>Twice": each .keras file names its own
    # class by its registered name, and loading takes that class, not the other.
    import learnet as keras

    def make(package, factor):
        @keras.saving.register_keras_serializable(package=package)
        class Twice(keras.layers.Layer):
            def call(self, inputs):
                return inputs * factor

        return Twice

    first, second = make("PackageA", 2.0), make("PackageB", 5.0)
    for cls, factor in ((first, 2.0), (second, 5.0)):
        inputs = keras.Input((2,))
        model = keras.Model(inputs, cls()(inputs))
        path = tmp_path / f"{cls.__module__}_{factor}.keras"
        model.save(path)
        loaded = keras.saving.load_model(path)
        np.testing.assert_allclose(loaded(np.ones((1, 2), "float32")).numpy(), [[factor, factor]])
