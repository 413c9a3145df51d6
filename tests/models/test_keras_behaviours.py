"""Keras behaviours course code relies on: one Metric for metrics=, Model.from_config with
custom_objects, one-element input/output lists unwrap, one layer used several times,
metrics held by layers and Layer.add_metric."""

import numpy as np
import pytest

import learnet as keras

RNG = np.random.default_rng(0)
X = RNG.random((64, 4)).astype("float32")
Y = (X.sum(axis=1, keepdims=True) > 2).astype("float32")


def test_a_single_metric_object_is_accepted():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(
        optimizer="adam",
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=keras.metrics.BinaryAccuracy(threshold=0.0),
    )
    history = model.fit(X, Y, epochs=1, verbose=0)
    assert sorted(history.history) == ["binary_accuracy", "loss"]
    with pytest.raises(TypeError, match="metrics must be a list"):
        model.compile(optimizer="adam", loss="mse", metrics="accuracy")


class TimesFactorForConfigTest(keras.layers.Layer):
    def __init__(self, factor=2.0):  # no **kwargs, no name: as course code writes it
        super().__init__()
        self.factor = factor

    def call(self, inputs):
        return inputs * self.factor

    def get_config(self):
        return {"factor": self.factor}


def test_model_from_config_with_custom_objects():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(2)(TimesFactorForConfigTest(3.0)(inputs)))
    rebuilt = keras.Model.from_config(
        model.get_config(), custom_objects={"TimesFactorForConfigTest": TimesFactorForConfigTest}
    )
    assert rebuilt.output_shape == (None, 2)
    assert [type(layer).__name__ for layer in rebuilt.layers] == ["InputLayer", "TimesFactorForConfigTest", "Dense"]
    assert rebuilt.layers[1].factor == 3.0
    with pytest.raises(Exception, match="TimesFactorForConfigTest"):
        keras.Model.from_config(model.get_config())


def test_one_element_lists_unwrap():
    inputs = keras.Input((4,))
    model = keras.Model(inputs=[inputs], outputs=[keras.layers.Dense(1)(inputs)])
    assert model.output_shape == (None, 1)
    prediction = model.predict(X[:3], verbose=0)
    assert isinstance(prediction, np.ndarray) and prediction.shape == (3, 1)
    model.compile(optimizer="sgd", loss="mse")
    assert isinstance(model.evaluate(X, Y, verbose=0), float)


def test_the_same_layer_twice_in_a_sequential_shares_its_weights():
    block = keras.layers.Dense(4, activation="relu")
    model = keras.Sequential([keras.Input((4,)), block, block, keras.layers.Dense(1)])
    assert len(model.trainable_weights) == 4  # block's kernel and bias, once
    before = block.kernel.numpy().copy()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, Y, epochs=1, verbose=0)
    assert not np.array_equal(before, block.kernel.numpy())
    x = X[:2]
    expected = model.layers[-1](block(block(x)))
    np.testing.assert_allclose(model(x).numpy(), expected.numpy(), rtol=1e-6)
    other = keras.layers.Dense(4, name=block.name)
    with pytest.raises(ValueError, match="unique names"):
        model.add(other)


class Reconstructing(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(8, activation="relu")
        self.out = keras.layers.Dense(1)
        self.error_mean = keras.metrics.Mean(name="recon_error")

    def call(self, inputs, training=None):
        z = self.hidden(inputs)
        error = keras.ops.mean(keras.ops.square(z[:, :4] - inputs))
        if training:
            self.add_metric(self.error_mean(error))
            self.add_metric(error * 2, name="double_error")
        return self.out(z)


def test_metrics_held_by_layers_and_add_metric_are_logged():
    model = Reconstructing()
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(X, Y, epochs=2, verbose=0)
    assert sorted(history.history) == ["double_error", "loss", "recon_error"]
    errors, doubled = history.history["recon_error"], history.history["double_error"]
    np.testing.assert_allclose(doubled, [2 * e for e in errors], rtol=1e-5)  # reset every epoch
    with pytest.raises(ValueError, match="needs a name"):
        keras.layers.Dense(1).add_metric(keras.ops.ones(()))
    with pytest.raises(ValueError, match="aggregation"):
        model.add_metric(keras.ops.ones(()), name="x", aggregation="sum")


class LateTracker(keras.layers.Layer):
    """Makes its metric only at its third training call, in the middle of an epoch."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def call(self, inputs, training=None):
        if training:
            self.calls += 1
            if self.calls == 3:
                self.late = keras.metrics.Mean(name="late")
            if self.calls >= 3:
                self.late.update_state(keras.ops.mean(inputs))
        return inputs


def test_a_metric_made_during_fit_is_logged_from_that_step_and_one_set_after_fit_is_found():
    """fit keeps the list of the layers' metrics while it runs (the logs read it every
    step); a metric made at any step is found at that step, and after fit the layers are
    scanned as they are."""
    tracker = LateTracker()
    model = keras.Sequential([keras.Input(shape=(4,)), tracker, keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    seen = []

    class Keys(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(sorted(logs))

    history = model.fit(X[:40], Y[:40], batch_size=8, epochs=1, shuffle=False, verbose=0, callbacks=[Keys()])
    assert seen[:2] == [["loss"], ["loss"]] and all(keys == ["late", "loss"] for keys in seen[2:])
    assert history.history["late"][0] == pytest.approx(float(np.mean(X[16:40])), rel=1e-5)
    other = keras.metrics.Mean(name="other")
    tracker.other = other  # an existing metric, set on a layer after fit
    assert any(m is other for m in model.metrics)


def test_every_callback_hook_receives_a_logs_dict():
    seen = {}

    class Recorder(keras.callbacks.Callback):
        pass

    for name in (
        "on_train_begin",
        "on_train_end",
        "on_test_begin",
        "on_test_end",
        "on_predict_begin",
        "on_predict_end",
    ):
        setattr(Recorder, name, lambda self, logs=None, name=name: seen.setdefault(name, logs))
    for name in (
        "on_epoch_begin",
        "on_epoch_end",
        "on_train_batch_begin",
        "on_train_batch_end",
        "on_test_batch_begin",
        "on_test_batch_end",
        "on_predict_batch_end",
    ):
        setattr(Recorder, name, lambda self, index, logs=None, name=name: seen.setdefault(name, logs))
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, Y, epochs=1, verbose=0, validation_data=(X[:8], Y[:8]), callbacks=[Recorder()])
    model.predict(X[:4], verbose=0, callbacks=[Recorder()])
    assert len(seen) == 13
    assert all(isinstance(logs, dict) for logs in seen.values()), seen


class Batches(keras.utils.PyDataset):
    def __init__(self, batch_size=16, **kwargs):
        super().__init__(**kwargs)
        self.batch_size = batch_size
        self.epochs_seen = 0

    def __len__(self):
        return int(np.ceil(len(X) / self.batch_size))

    def __getitem__(self, index):
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return X[part], Y[part]

    def on_epoch_end(self):
        self.epochs_seen += 1


def test_py_dataset_trains_evaluates_and_predicts():
    data = Batches(workers=2, use_multiprocessing=False)
    assert data.workers == 2 and data.num_batches == 4 and keras.utils.Sequence is keras.utils.PyDataset
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(data, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3 and data.epochs_seen == 3
    assert model.evaluate(data, verbose=0) == pytest.approx(model.evaluate(X, Y, verbose=0, batch_size=16), rel=1e-5)
    assert model.predict(data, verbose=0).shape == (64, 1)


def test_py_dataset_errors_are_clear():
    class Empty(keras.utils.PyDataset):
        pass

    with pytest.raises(NotImplementedError, match="__len__"):
        list(Empty())

    class Wrong(Batches):
        def __getitem__(self, index):
            return 3

    with pytest.raises(TypeError, match="must return a batch"):
        list(Wrong())


class Endpoint(keras.layers.Layer):
    def call(self, targets, logits):
        self.add_loss(keras.ops.mean(keras.ops.square(targets - logits)))
        return keras.ops.sigmoid(logits)


def test_a_layer_called_on_several_tensors_gets_them_all():
    features, targets = keras.Input((4,), name="features"), keras.Input((1,), name="targets")
    logits = keras.layers.Dense(1)(features)
    model = keras.Model([features, targets], Endpoint()(targets, logits))
    assert model.output_shape == (None, 1)
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    history = model.fit({"features": X, "targets": Y}, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.predict({"features": X[:3], "targets": Y[:3]}, verbose=0).shape == (3, 1)


class RecordsItsBatches(keras.Model):
    def train_step(self, data):
        self.seen.append(data)
        return {}


def test_train_step_gets_the_inputs_alone_when_there_are_no_targets():
    # As Keras 3 (keras.utils.pack_x_y_sample_weight): x itself, or (x,) when x is a tuple of inputs.
    inputs = keras.Input((4,))
    model = RecordsItsBatches(inputs, keras.layers.Dense(1)(inputs))
    model.seen = []
    model.compile()
    model.fit(X, epochs=1, batch_size=32, verbose=0)
    model.fit(keras.data.Dataset.from_tensor_slices(X).batch(32), epochs=1, verbose=0)
    assert len(model.seen) == 4 and all(getattr(batch, "shape", None) == (32, 4) for batch in model.seen)
    model.seen = []
    model.fit(X, Y, epochs=1, batch_size=64, verbose=0)
    ((x_batch, y_batch),) = model.seen
    assert x_batch.shape == (64, 4) and y_batch.shape == (64, 1)
    left, right = keras.Input((4,)), keras.Input((2,))
    two = RecordsItsBatches([left, right], keras.layers.Dense(1)(keras.layers.concatenate([left, right])))
    two.seen = []
    two.compile()
    two.fit([X, X[:, :2]], epochs=1, batch_size=64, verbose=0)
    ((batch,),) = two.seen
    assert isinstance(batch, (list, tuple)) and [b.shape for b in batch] == [(64, 4), (64, 2)]


def test_a_model_frozen_after_compile_trains_nothing_with_a_warning_as_keras_3():
    # Hands-On's GAN freezes the discriminator after compiling it; Keras 3 (checked) then warns and
    # leaves it unchanged in its own train_on_batch, and the GAN step trains the generator only.
    generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6)])
    discriminator = keras.Sequential([keras.Input((6,)), keras.layers.Dense(1, activation="sigmoid")])
    gan = keras.Sequential([generator, discriminator])
    discriminator.compile(loss="binary_crossentropy", optimizer="rmsprop")
    discriminator.trainable = False
    gan.compile(loss="binary_crossentropy", optimizer="rmsprop")
    rng = np.random.default_rng(0)
    before, generator_before = discriminator.get_weights(), generator.get_weights()
    with pytest.warns(UserWarning, match="does not have any trainable weights"):
        loss = discriminator.train_on_batch(rng.random((8, 6)), np.ones((8, 1)))
    assert np.isfinite(loss)
    gan.train_on_batch(rng.random((8, 4)), np.ones((8, 1)))
    for old, new in zip(before, discriminator.get_weights()):
        np.testing.assert_array_equal(old, new)
    assert not np.allclose(generator_before[0], generator.get_weights()[0])


def test_a_model_with_its_own_steps_is_not_called_on_x_and_predict_step_gets_x():
    # keras.io's graph attention network: fit feeds node indices that only train_step reads
    # (its call() takes a pair), and predict_step gets the batch of x itself, not (x,).
    import learnet as tf

    seen = []

    class Net(tf.keras.Model):
        def __init__(self, table):
            super().__init__()
            self.table = table
            self.dense = tf.keras.layers.Dense(3)

        def call(self, inputs):
            states, scale = inputs
            return self.dense(states * scale)

        def train_step(self, data):
            index, y = data
            with tf.GradientTape() as tape:
                out = tf.gather(self([self.table, self.table]), index)
                loss = self.compute_loss(y=y, y_pred=out)
            grads = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
            return {"loss": loss}

        def predict_step(self, data):
            seen.append(type(data))
            return tf.nn.softmax(tf.gather(self([self.table, self.table]), data))

    table = tf.constant(np.random.default_rng(0).random((10, 4)).astype("float32"))
    model = Net(table)
    model.compile(optimizer="sgd", loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(np.arange(8), np.arange(8) % 3, batch_size=4, epochs=1, verbose=0)
    assert list(history.history) == ["loss"]
    assert model.predict(np.arange(6), batch_size=4, verbose=0).shape == (6, 3)
    assert all(kind is not tuple for kind in seen)
