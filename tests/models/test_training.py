"""fit / evaluate / predict and the single-batch methods: what they return and how they train."""

import gc

import numpy as np
import pytest

import learnet
from learnet import Input, callbacks, layers
from learnet.models import Model, Sequential


def classification_data(n=60, features=5, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = (x[:, :classes].argmax(axis=1)).astype("int64")
    return x, y


def classifier(features=5, classes=3, optimizer="adam"):
    model = Sequential(
        [
            layers.Dense(16, activation="relu", input_shape=(features,)),
            layers.Dense(classes, activation="softmax"),
        ]
    )
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def frozen_sgd_model(features=5, classes=3):
    """A model trained with a learning rate of 0: its weights never move."""
    model = Sequential([layers.Dense(classes, activation="softmax", input_shape=(features,))])
    model.compile(
        optimizer=learnet.optimizers.SGD(learning_rate=0.0),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


# --- what comes back ------------------------------------------------------------------------------


def test_fit_returns_history_with_keras_keys():
    x, y = classification_data()
    history = classifier().fit(x, y, epochs=4, batch_size=16, validation_split=0.2, verbose=0)
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]  # Keras 3's order
    assert len(history.history["loss"]) == 4
    assert all(isinstance(v, float) for v in history.history["val_accuracy"])


def test_fit_learns():
    x, y = classification_data(n=300)
    model = classifier()
    history = model.fit(x, y, epochs=40, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert model.evaluate(x, y, verbose=0)[1] > 0.9


def test_evaluate_returns_loss_alone_or_list_or_dict():
    x, y = classification_data()
    model = classifier()
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert model.metrics_names == ["loss", "accuracy"]
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {"loss": loss, "accuracy": accuracy}
    plain = Sequential([layers.Dense(1, input_shape=(5,))])
    plain.compile(optimizer="sgd", loss="mse")
    assert isinstance(plain.evaluate(x, y.astype("float32"), verbose=0), float)


def test_evaluate_matches_the_loss_computed_by_hand():
    x, y = classification_data()
    model = classifier()
    probabilities = model.predict(x, verbose=0)
    expected = -np.mean(np.log(probabilities[np.arange(len(y)), y]))
    accuracy = np.mean(probabilities.argmax(axis=1) == y)
    loss, acc = model.evaluate(x, y, batch_size=7, verbose=0)  # uneven batches, weighted by size
    assert loss == pytest.approx(expected, rel=1e-5)
    assert acc == pytest.approx(accuracy)


def test_predict_returns_numpy_concatenated_over_batches():
    x, _ = classification_data(n=70)
    model = classifier()
    out = model.predict(x, batch_size=32, verbose=0)
    assert isinstance(out, np.ndarray) and out.shape == (70, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out, model(x).numpy(), rtol=1e-6)


def test_predict_builds_no_graph_even_inside_a_tape():
    x, _ = classification_data()
    model = classifier()
    with learnet.GradientTape() as tape:
        model.predict(x, verbose=0)
        model.evaluate(x, np.zeros(len(x), "int64"), verbose=0)
    assert tape._notes == []


def test_uint8_inputs_become_float32_without_scaling():
    model = Sequential([layers.Flatten(input_shape=(4, 4)), layers.Dense(2)])
    images = np.arange(32, dtype=np.uint8).reshape(2, 4, 4)
    np.testing.assert_array_equal(model.predict(images, verbose=0), model.predict(images.astype("float32"), verbose=0))


def test_train_on_batch_trains_and_test_on_batch_does_not():
    x, y = classification_data()
    model = classifier()
    before = model.get_weights()
    loss, accuracy = model.train_on_batch(x, y)
    after = model.get_weights()
    assert not np.array_equal(before[0], after[0])
    assert 0 <= accuracy <= 1 and loss > 0
    result = model.test_on_batch(x, y, return_dict=True)
    np.testing.assert_array_equal(after[0], model.get_weights()[0])
    assert set(result) == {"loss", "accuracy"}
    assert model.predict_on_batch(x[:3]).shape == (3, 3)


def test_fit_is_the_gradient_tape_loop_a_user_would_write():
    x, y = classification_data(n=16)
    learnet.utils.set_random_seed(7)
    fitted = Sequential([layers.Dense(3, activation="softmax", input_shape=(5,))])
    fitted.compile(optimizer=learnet.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    learnet.utils.set_random_seed(7)
    manual = Sequential([layers.Dense(3, activation="softmax", input_shape=(5,))])
    optimizer = learnet.optimizers.SGD(0.1)
    loss_fn = learnet.losses.SparseCategoricalCrossentropy()

    fitted.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    for _ in range(2):
        with learnet.GradientTape() as tape:
            loss = loss_fn(y, manual(x, training=True))
        grads = tape.gradient(loss, manual.trainable_weights)
        optimizer.apply_gradients(zip(grads, manual.trainable_weights))
    for a, b in zip(fitted.get_weights(), manual.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_same_seed_same_training():
    x, y = classification_data()

    def run():
        learnet.utils.set_random_seed(3)
        model = classifier()
        model.fit(x, y, epochs=2, batch_size=8, verbose=0)
        return model.get_weights()

    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)


# --- batching, validation, weights ----------------------------------------------------------------------


class Spy(Sequential):
    """Records the first input value of every training batch."""

    def train_step(self, data):
        self.seen.append(np.asarray(data[0])[:, 0].copy())
        return super().train_step(data)


def spy_model():
    model = Spy([layers.Dense(1, input_shape=(1,))])
    model.seen = []
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_shuffle_gives_a_new_order_each_epoch_and_false_keeps_it():
    x = np.arange(20, dtype="float32").reshape(20, 1)
    model = spy_model()
    model.fit(x, x, batch_size=5, epochs=2, shuffle=False, verbose=0)
    ordered = np.concatenate(model.seen)
    np.testing.assert_array_equal(ordered, np.concatenate([x[:, 0], x[:, 0]]))
    model.seen = []
    model.fit(x, x, batch_size=5, epochs=2, shuffle=True, verbose=0)
    first, second = np.concatenate(model.seen[:4]), np.concatenate(model.seen[4:])
    assert sorted(first) == sorted(second) == list(x[:, 0])
    assert not np.array_equal(first, second)


def test_validation_split_holds_out_the_last_samples_before_shuffling():
    x = np.arange(20, dtype="float32").reshape(20, 1)
    model = spy_model()
    model.fit(x, x, batch_size=4, epochs=1, validation_split=0.25, verbose=0)
    trained = np.sort(np.concatenate(model.seen))
    np.testing.assert_array_equal(trained, np.arange(15))


def test_validation_loss_is_the_loss_on_the_held_out_part():
    x, y = classification_data(n=40)
    model = frozen_sgd_model()
    history = model.fit(x, y, epochs=1, validation_split=0.25, verbose=0)
    held_out = model.evaluate(x[30:], y[30:], verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(held_out[0], rel=1e-6)
    assert history.history["val_accuracy"][0] == pytest.approx(held_out[1])


def test_validation_data_and_validation_freq():
    x, y = classification_data()
    history = classifier().fit(x, y, epochs=4, validation_data=(x[:10], y[:10]), validation_freq=2, verbose=0)
    assert len(history.history["loss"]) == 4
    assert len(history.history["val_loss"]) == 2


def test_sample_weight_zero_removes_samples_from_the_loss():
    x, y = classification_data(n=8)
    model = frozen_sgd_model()
    weights = np.array([1, 1, 1, 1, 0, 0, 0, 0], dtype="float32")
    weighted = model.evaluate(x, y, sample_weight=weights, batch_size=8, verbose=0)[0]
    first_half = model.evaluate(x[:4], y[:4], batch_size=8, verbose=0)[0]
    # Keras' sum_over_batch_size: weighted sum divided by the batch size.
    assert weighted == pytest.approx(first_half / 2, rel=1e-5)


def test_class_weight_matches_the_equivalent_sample_weight():
    x, y = classification_data(n=30)
    learnet.utils.set_random_seed(5)
    a = classifier()
    learnet.utils.set_random_seed(5)
    b = classifier()
    a.fit(x, y, epochs=2, batch_size=30, class_weight={0: 2.0, 1: 1.0, 2: 0.5}, shuffle=False, verbose=0)
    b.fit(x, y, epochs=2, batch_size=30, sample_weight=np.array([2.0, 1.0, 0.5])[y], shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-6)


def test_initial_epoch_counts_from_there():
    x, y = classification_data()
    seen = []
    history = classifier().fit(
        x,
        y,
        epochs=5,
        initial_epoch=3,
        verbose=0,
        callbacks=[callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: seen.append(e))],
    )
    assert seen == [3, 4] and len(history.history["loss"]) == 2


def test_targets_of_shape_n_for_an_output_n_by_1_are_lined_up():
    x = np.linspace(-1, 1, 12, dtype="float32").reshape(12, 1)
    y = 2 * x[:, 0]
    model = Sequential([layers.Dense(1, input_shape=(1,))])
    model.compile(optimizer="sgd", loss="mse")
    prediction = model.predict(x, verbose=0)[:, 0]
    assert model.evaluate(x, y, verbose=0) == pytest.approx(np.mean((prediction - y) ** 2), rel=1e-5)


# --- datasets and generators -------------------------------------------------------------------------


def test_fit_on_a_dataset_of_batches():
    x, y = classification_data(n=64)
    dataset = learnet.data.Dataset.from_tensor_slices((x, y)).shuffle(64).batch(16)
    model = classifier()
    history = model.fit(dataset, epochs=3, validation_data=dataset, verbose=0)
    assert len(history.history["val_loss"]) == 3
    assert model.evaluate(dataset, verbose=0)[0] == pytest.approx(model.evaluate(x, y, verbose=0)[0], rel=1e-5)
    assert model.predict(learnet.data.Dataset.from_tensor_slices(x).batch(10), verbose=0).shape == (64, 3)


def test_fit_on_a_generator_with_steps_per_epoch():
    x, y = classification_data(n=64)

    def endless():
        while True:
            for start in range(0, 64, 16):
                yield x[start : start + 16], y[start : start + 16]

    steps = []
    counter = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: steps.append(batch))
    classifier().fit(endless(), steps_per_epoch=3, epochs=2, callbacks=[counter], verbose=0)
    assert steps == [0, 1, 2, 0, 1, 2]


def test_fit_on_a_batcher():
    x, y = classification_data(n=40)
    batcher = learnet.batching.Batcher(x, y, batch_size=10, seed=0)
    history = classifier().fit(batcher, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


# --- no leaks --------------------------------------------------------------------------------------


def test_training_longer_does_not_keep_more_tensors_alive():
    x, y = classification_data(n=64)
    model = classifier()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)

    def live_tensors():
        gc.collect()
        return sum(1 for obj in gc.get_objects() if isinstance(obj, learnet.Tensor))

    before = live_tensors()
    model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert live_tensors() <= before + 5


def test_compiled_metrics_exist_from_the_start_of_training():
    x, y = classification_data()
    model = classifier()
    names = []
    model.fit(
        x,
        y,
        epochs=1,
        verbose=0,
        callbacks=[callbacks.LambdaCallback(on_train_begin=lambda logs: names.extend(model.metrics_names))],
    )
    assert names == ["loss", "accuracy"]


def test_functional_targets_by_output_name_in_any_order():
    inputs = Input(shape=(2,))
    first = layers.Dense(1, name="first")(inputs)
    second = layers.Dense(2, activation="softmax", name="second")(inputs)
    model = Model(inputs, [first, second])
    model.compile(optimizer="sgd", loss={"first": "mse", "second": "sparse_categorical_crossentropy"})
    x = np.ones((6, 2), dtype="float32")
    y_first, y_second = np.zeros(6), np.array([0, 1, 0, 1, 0, 1])
    a = model.evaluate(x, {"second": y_second, "first": y_first}, verbose=0)
    b = model.evaluate(x, [y_first, y_second], verbose=0)
    assert a == pytest.approx(b)


def test_fit_with_nothing_to_do_returns_an_empty_history():
    x, y = classification_data()
    history = classifier().fit(x, y, epochs=2, initial_epoch=2, verbose=0)
    assert history.history == {} and history.epoch == []


def test_steps_per_epoch_runs_on_and_validation_steps_restart():
    x = np.arange(20, dtype="float32").reshape(20, 1)
    model = spy_model()
    model.fit(x, x, batch_size=5, epochs=2, steps_per_epoch=3, shuffle=False, verbose=0)
    firsts = [batch[0] for batch in model.seen]
    assert firsts == [0, 5, 10, 15, 0, 5]  # the second epoch goes on where the first stopped
    model.seen = []
    history = model.fit(x, x, batch_size=5, epochs=2, validation_data=(x, x), validation_steps=1, verbose=0)
    first_batch_loss = model.evaluate(x[:5], x[:5], verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(first_batch_loss, rel=1e-6)


def test_targets_with_an_extra_unit_axis_for_a_flat_output():
    model = Sequential([layers.Dense(1, input_shape=(2,)), layers.Lambda(lambda t: learnet.squeeze(t, -1))])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((4, 2), dtype="float32")
    y = np.arange(4, dtype="float32").reshape(4, 1)
    prediction = model.predict(x, verbose=0)
    assert prediction.shape == (4,)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(np.mean((prediction - y[:, 0]) ** 2), rel=1e-5)


def test_validation_data_that_gives_no_batches_adds_no_val_entries():
    # Keras 3 / TF 2.21 leave val_* out of the history when the validation data is empty
    # (the simple_audio tutorial's shard can be); learnet wrote val_loss: 0.0.
    import learnet as tf

    x = np.random.default_rng(0).random((16, 4)).astype("float32")
    y = np.arange(16) % 2
    empty = tf.data.Dataset.from_tensor_slices((x, y)).batch(16).shard(num_shards=2, index=1)
    model = tf.keras.Sequential([tf.keras.layers.Input((4,)), tf.keras.layers.Dense(2)])
    model.compile("adam", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    history = model.fit(x, y, validation_data=empty, epochs=2, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss"]
    full = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    assert "val_loss" in model.fit(x, y, validation_data=full, epochs=1, verbose=0).history
