"""The three ways to make a model: Sequential, the functional API, and subclassing Model."""

import numpy as np
import pytest

import learnet
from learnet import Input, layers
from learnet.models import Functional, Model, Sequential


@pytest.fixture(autouse=True)
def _fresh_names():
    learnet.utils.clear_session()


def data(n=32, features=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = (x.sum(axis=1) > 0).astype("int64")
    return x, y


# --- Sequential ---------------------------------------------------------------------------------------


def test_sequential_with_input_shape_is_built_at_once():
    model = Sequential([layers.Dense(8, input_shape=(4,)), layers.Dense(2)])
    assert model.built
    assert model.input_shape == (None, 4) and model.output_shape == (None, 2)
    assert [w.shape for w in model.weights] == [(4, 8), (8,), (8, 2), (2,)]


def test_sequential_starting_with_input_or_input_layer():
    first = Sequential([Input(shape=(4,)), layers.Dense(3)])
    second = Sequential([layers.InputLayer(shape=(4,)), layers.Dense(3)])
    assert first.output_shape == second.output_shape == (None, 3)
    assert len(first.layers) == 1  # the input is not a layer of the list, as in Keras


def test_sequential_builds_on_first_call_and_with_build():
    model = Sequential([layers.Dense(3), layers.Dense(1)])
    assert not model.built and model.weights == []
    out = model(np.ones((2, 5), dtype="float32"))
    assert tuple(out.shape) == (2, 1) and model.built and model.input_shape == (None, 5)
    other = Sequential([layers.Dense(3)])
    other.build((None, 7))
    assert other.count_params() == 7 * 3 + 3


def test_sequential_built_by_its_first_data_takes_other_lengths_later():
    # As in Keras: a feed-forward block built on 16-step sequences runs on a 1-step one when
    # a decoder generates text step by step; an Input given by hand keeps its shape strict.
    lazy = Sequential([layers.Dense(3)])
    assert lazy(np.ones((2, 16, 4), "float32")).shape == (2, 16, 3)
    assert lazy(np.ones((2, 1, 4), "float32")).shape == (2, 1, 3)
    with pytest.raises(ValueError, match="expects inputs of shape"):
        lazy(np.ones((2, 1, 5), "float32"))
    declared = Sequential([Input(shape=(16, 4)), layers.Dense(3)])
    with pytest.raises(ValueError, match="expects inputs of shape"):
        declared(np.ones((2, 1, 4), "float32"))


def test_sequential_add_pop_get_layer():
    model = Sequential()
    model.add(Input(shape=(4,)))
    model.add(layers.Dense(8, name="hidden"))
    model.add(layers.Dense(2, name="out"))
    assert model.output_shape == (None, 2)
    assert model.get_layer("hidden") is model.layers[0]
    assert model.get_layer(index=-1).name == "out"
    popped = model.pop()
    assert popped.name == "out" and model.output_shape == (None, 8)
    with pytest.raises(ValueError, match="No such layer"):
        model.get_layer("out")


def test_sequential_rejects_non_layers_and_duplicate_names():
    model = Sequential([layers.Dense(2, name="same")])
    with pytest.raises(TypeError, match="instance of class Layer"):
        model.add("dense")
    with pytest.raises(ValueError, match="unique names"):
        model.add(layers.Dense(2, name="same"))


def test_sequential_add_checks_the_new_layer_against_the_last_output():
    model = Sequential([Input(shape=(4,)), layers.Dense(3)])
    with pytest.raises(ValueError):
        model.add(layers.Conv2D(2, 3))
    assert len(model.layers) == 1 and model.output_shape == (None, 3)


def test_sequential_inside_another_model():
    inner = Sequential([layers.Dense(4, activation="relu"), layers.Dense(2)])
    outer = Sequential([Input(shape=(3,)), inner, layers.Dense(1)])
    assert outer.output_shape == (None, 1)
    assert len(outer.weights) == 6
    assert tuple(outer.predict(np.ones((5, 3)), verbose=0).shape) == (5, 1)


# --- functional ------------------------------------------------------------------------------------------


def test_functional_model_from_inputs_and_outputs():
    inputs = Input(shape=(4,))
    hidden = layers.Dense(8, activation="relu")(inputs)
    outputs = layers.Dense(1, activation="sigmoid")(hidden)
    model = Model(inputs=inputs, outputs=outputs)
    assert isinstance(model, Functional) and isinstance(model, Model)
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Dense", "Dense"]
    assert model.input_shape == (None, 4) and model.output_shape == (None, 1)
    x, y = data()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_functional_two_inputs_two_outputs_with_names():
    left, right = Input(shape=(3,), name="left"), Input(shape=(2,), name="right")
    merged = layers.Concatenate()([layers.Dense(4)(left), layers.Dense(4)(right)])
    score = layers.Dense(1, name="score")(merged)
    kind = layers.Dense(3, activation="softmax", name="kind")(merged)
    model = Model([left, right], [score, kind])
    assert model.output_names == ["score", "kind"]
    model.compile(
        optimizer="adam",
        loss={"score": "mse", "kind": "sparse_categorical_crossentropy"},
        loss_weights={"score": 1.0, "kind": 0.5},
        metrics={"kind": ["accuracy"]},
    )
    rng = np.random.default_rng(0)
    xl, xr = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
    ys, yk = rng.normal(size=(20,)), rng.integers(0, 3, 20)
    history = model.fit([xl, xr], [ys, yk], epochs=2, verbose=0)
    assert set(history.history) == {"loss", "score_loss", "kind_loss", "kind_accuracy"}
    by_name = model.predict({"left": xl, "right": xr}, verbose=0)
    by_order = model.predict([xl, xr], verbose=0)
    assert [p.shape for p in by_order] == [(20, 1), (20, 3)]
    np.testing.assert_array_equal(by_name[1], by_order[1])


def test_functional_total_loss_is_the_weighted_sum_of_output_losses():
    inputs = Input(shape=(2,))
    a = layers.Dense(1, name="a")(inputs)
    b = layers.Dense(1, name="b")(inputs)
    model = Model(inputs, [a, b])
    model.compile(optimizer="sgd", loss=["mse", "mae"], loss_weights=[2.0, 3.0])
    x = np.ones((4, 2), dtype="float32")
    ya, yb = np.zeros((4, 1)), np.ones((4, 1))
    pa, pb = model.predict(x, verbose=0)
    expected = 2.0 * np.mean((pa - ya) ** 2) + 3.0 * np.mean(np.abs(pb - yb))
    total, loss_a, loss_b = model.evaluate(x, [ya, yb], verbose=0)
    assert total == pytest.approx(expected, rel=1e-5)
    assert [loss_a, loss_b] == pytest.approx([np.mean((pa - ya) ** 2), np.mean(np.abs(pb - yb))], rel=1e-5)


def test_functional_shared_layer_and_operators():
    inputs = Input(shape=(3,))
    shared = layers.Dense(3, use_bias=False)
    outputs = shared(shared(inputs)) * 2.0 + inputs
    model = Model(inputs, outputs)
    assert len(model.weights) == 1
    x = np.random.default_rng(1).normal(size=(2, 3)).astype("float32")
    kernel = shared.kernel.numpy()
    np.testing.assert_allclose(model.predict(x, verbose=0), x @ kernel @ kernel * 2 + x, rtol=1e-5)


def test_functional_graph_errors_are_clear():
    a, b = Input(shape=(2,)), Input(shape=(2,))
    out = layers.Add()([a, b])
    with pytest.raises(ValueError, match="Graph disconnected"):
        Model(a, out)
    with pytest.raises(TypeError, match="symbolic tensors"):
        Model(a, np.ones(2))
    hidden = layers.Dense(2, name="twin")(a)
    with pytest.raises(ValueError, match="unique"):
        Model(a, layers.Dense(2, name="twin")(hidden))


def test_functional_inputs_made_by_layers_are_where_the_graph_starts(tmp_path):
    # keras.io's structured-data tutorial: Model({"age": normalizer(age_input), ...}, outputs).
    # As in Keras 3, the model is fed those tensors' values and what made them is not run.
    age = Input(shape=(1,), name="age")
    normalized = layers.Normalization(mean=40.0, variance=100.0)(age)
    hidden = layers.Dense(3, name="hidden")(normalized)
    model = Model({"age": normalized}, layers.Dense(1, name="out")(hidden))
    assert [layer.name for layer in model.layers] == ["hidden", "out"]
    x = np.array([[0.5], [-1.0]], "float32")
    expected = model.get_layer("out")(model.get_layer("hidden")(x)).numpy()
    np.testing.assert_allclose(model.predict({"age": x}, verbose=0), expected, rtol=1e-6)
    model.compile(optimizer="sgd", loss="mse")
    model.fit({"age": x}, np.zeros((2, 1), "float32"), epochs=1, verbose=0)
    # Its config cannot say where those tensors come from: saving it whole says so; its weights save.
    with pytest.raises(NotImplementedError, match="starts from tensors made by layers"):
        model.get_config()
    model.save_weights(tmp_path / "m.weights.h5")


def test_functional_checks_the_input_shape_before_running():
    inputs = Input(shape=(4,))
    model = Model(inputs, layers.Dense(2)(inputs))
    with pytest.raises(ValueError, match=r"expects inputs of shape \(None, 4\), got \(None, 5\)"):
        model(np.ones((3, 5), dtype="float32"))


def test_functional_model_used_as_a_layer():
    inputs = Input(shape=(4,))
    block = Model(inputs, layers.Dense(3, activation="relu")(inputs))
    outer_in = Input(shape=(4,))
    outer = Model(outer_in, layers.Dense(1)(block(outer_in)))
    assert outer.output_shape == (None, 1)
    assert tuple(outer.predict(np.ones((2, 4)), verbose=0).shape) == (2, 1)


# --- subclassing ---------------------------------------------------------------------------------------------


class Linear(layers.Layer):
    def __init__(self, units=8, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        return inputs @ self.w + self.b


class TwoLayers(Model):
    def __init__(self, hidden=8, **kwargs):
        super().__init__(**kwargs)
        self.hidden = Linear(hidden)
        self.out = layers.Dense(1, activation="sigmoid")

    def call(self, inputs, training=None):
        return self.out(learnet.nn.tanh(self.hidden(inputs)))


def test_subclassed_model_tracks_layers_and_trains():
    x, y = data()
    model = TwoLayers()
    model.compile(optimizer=learnet.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=30, batch_size=8, verbose=0)
    assert [type(layer).__name__ for layer in model.layers] == ["Linear", "Dense"]
    assert len(model.trainable_weights) == 4
    assert history.history["accuracy"][-1] > 0.9


def test_subclassed_model_build_and_summary(capsys):
    model = TwoLayers(hidden=5)
    model.summary()  # as Keras 3: the layers listed, unbuilt
    assert "? (unbuilt)" in capsys.readouterr().out
    model.build((None, 3))
    model.summary()
    text = capsys.readouterr().out
    assert "linear (Linear)" in text and "Total params: 26" in text


def test_subclassed_model_add_loss_counts_in_training():
    class Penalized(Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, inputs):
            outputs = self.dense(inputs)
            self.add_loss(100.0 * learnet.reduce_mean(learnet.square(outputs)))
            return outputs

    x, y = data()
    model = Penalized()
    model.compile(optimizer="sgd", loss="mse")
    plain = model.evaluate(x, y, verbose=0)
    predictions = model.predict(x, verbose=0)
    expected = np.mean((predictions[:, 0] - y) ** 2) + 100.0 * np.mean(predictions**2)
    assert plain == pytest.approx(expected, rel=1e-4)


def test_custom_train_step_keras_3_style():
    class Counting(Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)
            self.steps = 0

        def call(self, inputs):
            return self.dense(inputs)

        def train_step(self, data):
            x, y = data
            self.steps += 1
            with learnet.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    x, y = data()
    model = Counting()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert model.steps == 8
    assert set(history.history) == {"loss", "mae"}
    assert history.history["loss"][1] < history.history["loss"][0]


def test_custom_train_step_tensorflow_2_style_with_compiled_loss():
    class Old(Sequential):
        def train_step(self, data):
            x, y = data
            with learnet.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
            gradients = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
            self.compiled_metrics.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    x, y = data()
    model = Old([layers.Dense(1, input_shape=(4,))])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=2, verbose=0)
    assert history.history["loss"][0] > 0 and "mae" in history.history


def test_subclass_calling_super_with_inputs_and_outputs():
    class Wrapped(Model):
        def __init__(self):
            inputs = Input(shape=(3,))
            outputs = layers.Dense(2)(inputs)
            super().__init__(inputs, outputs)
            self.extra_attribute = "kept"

    model = Wrapped()
    assert isinstance(model, Wrapped) and isinstance(model, Functional)
    assert model.output_shape == (None, 2) and model.extra_attribute == "kept"
    assert model.name == "wrapped"
    assert model.predict(np.ones((1, 3)), verbose=0).shape == (1, 2)


def test_model_without_call_says_so():
    class Empty(Model):
        pass

    with pytest.raises(NotImplementedError, match="call"):
        Empty()(np.ones((1, 2)))


def test_a_sequential_whose_first_layer_is_a_model_with_an_input_is_built_from_it():
    # The TF image classification tutorial: Sequential([data_augmentation, Conv2D...]) where
    # data_augmentation was given input_shape; Keras builds the outer model at once (402 params).
    import learnet as tf
    from learnet import layers

    augmentation = tf.keras.Sequential([layers.RandomFlip("horizontal", input_shape=(8, 8, 3))])
    model = tf.keras.Sequential([augmentation, layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(2)])
    assert model.built and model.input_shape == (None, 8, 8, 3)
    assert model.count_params() == 402
    unbuilt = tf.keras.Sequential([tf.keras.Sequential([layers.Dense(3)]), layers.Dense(2)])
    assert not unbuilt.built  # no input shape anywhere: built at its first call, as before
