"""``callbacks.SwapEMAWeights`` and the end of ``fit`` with ``use_ema=True``: evaluation sees
the optimizer's moving averages, training goes on from the trained weights, and the values
match Keras 3's."""

import numpy as np
import pytest

import learnet as tf
from learnet import optimizers
from learnet.callbacks import Callback, SwapEMAWeights

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

RNG = np.random.default_rng(0)
X = RNG.standard_normal((64, 3)).astype("float32")
Y = (X @ np.array([[1.0, -1.0], [2.0, 0.5], [-0.5, 1.5]], "float32")).astype("float32")
X_VAL, Y_VAL = X[:16] + 0.1, Y[:16]
KERNEL = RNG.standard_normal((3, 2)).astype("float32")
BIAS = np.array([0.1, -0.2], "float32")


def _model(optimizer=None):
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
    model.set_weights([KERNEL, BIAS])
    optimizer = optimizer or optimizers.SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.8)
    model.compile(optimizer=optimizer, loss="mse")
    return model


def _values(variables):
    return [np.array(v.numpy()) for v in variables]


def _averages(model):
    return [average.numpy() for _, average in model.optimizer._ema_pairs()]


def _assert_all_equal(first, second):
    assert len(first) == len(second)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


class Recorder(Callback):
    """Writes down the model's weights and the optimizer's averages at some hooks."""

    def __init__(self):
        super().__init__()
        self.seen = {}

    def _keep(self, hook):
        self.seen.setdefault(hook, []).append((_values(self.model.trainable_weights), _averages(self.model)))

    def on_epoch_begin(self, epoch, logs=None):
        self._keep("epoch_begin")

    def on_epoch_end(self, epoch, logs=None):
        self._keep("epoch_end")

    def on_test_begin(self, logs=None):
        self._keep("test_begin")


def _trained(model, steps=5):
    """Some steps of training by hand, so the weights and their averages differ."""
    model.optimizer.build(model.trainable_weights)
    for _ in range(steps):
        model.train_on_batch(X[:16], Y[:16])
    return _values(model.trainable_weights), _averages(model)


# --- swapping, and swapping back ------------------------------------------------------------------
def test_test_and_predict_hooks_swap_and_swap_back():
    model = _model()
    trained, averages = _trained(model)
    assert not np.allclose(trained[0], averages[0])
    callback = SwapEMAWeights()
    callback.set_model(model)
    for begin, end in (
        (callback.on_test_begin, callback.on_test_end),
        (callback.on_predict_begin, callback.on_predict_end),
    ):
        begin()
        _assert_all_equal(_values(model.trainable_weights), averages)
        _assert_all_equal(_averages(model), trained)
        begin()  # a second begin changes nothing
        _assert_all_equal(_values(model.trainable_weights), averages)
        end()
        _assert_all_equal(_values(model.trainable_weights), trained)
        _assert_all_equal(_averages(model), averages)


def test_evaluate_and_predict_use_the_averages_and_leave_the_trained_weights():
    model = _model()
    trained, averages = _trained(model)
    loss = model.evaluate(X_VAL, Y_VAL, verbose=0, callbacks=[SwapEMAWeights()])
    predictions = model.predict(X_VAL, verbose=0, callbacks=[SwapEMAWeights()])
    _assert_all_equal(_values(model.trainable_weights), trained)
    _assert_all_equal(_averages(model), averages)
    expected = X_VAL @ averages[0] + averages[1]
    np.testing.assert_allclose(predictions, expected, rtol=1e-5, atol=1e-6)
    assert loss == pytest.approx(float(np.mean((expected - Y_VAL) ** 2)), rel=1e-5)


def test_validation_during_fit_sees_the_averages_and_training_is_unchanged():
    recorder = Recorder()
    with_swap = _model()
    history = with_swap.fit(
        X,
        Y,
        batch_size=16,
        epochs=3,
        shuffle=False,
        verbose=0,
        validation_data=(X_VAL, Y_VAL),
        callbacks=[SwapEMAWeights(), recorder],
    ).history
    plain_recorder = Recorder()
    plain = _model()
    plain_history = plain.fit(
        X,
        Y,
        batch_size=16,
        epochs=3,
        shuffle=False,
        verbose=0,
        validation_data=(X_VAL, Y_VAL),
        callbacks=[plain_recorder],
    ).history
    # The swaps leave training alone: the same losses, the same weights at the end of every epoch.
    assert history["loss"] == plain_history["loss"]
    for (weights, averages), (plain_weights, _) in zip(recorder.seen["epoch_end"], plain_recorder.seen["epoch_end"]):
        _assert_all_equal(weights, plain_weights)
        # What validation saw (the callback after SwapEMAWeights) were the averages.
    for (validated, _), (_, averages) in zip(recorder.seen["test_begin"], recorder.seen["epoch_end"]):
        _assert_all_equal(validated, averages)
    # ... so its loss is the averaged model's, not the trained one's.
    assert history["val_loss"] != plain_history["val_loss"]
    for val_loss, (_, averages) in zip(history["val_loss"], recorder.seen["epoch_end"]):
        expected = np.mean((X_VAL @ averages[0] + averages[1] - Y_VAL) ** 2)
        assert val_loss == pytest.approx(float(expected), rel=1e-5)


def test_swap_on_epoch_holds_the_averages_between_epochs_and_at_the_end():
    recorder = Recorder()
    model = _model()
    model.fit(
        X,
        Y,
        batch_size=16,
        epochs=3,
        shuffle=False,
        verbose=0,
        callbacks=[SwapEMAWeights(swap_on_epoch=True), recorder],
    )
    plain_recorder = Recorder()
    _model().fit(X, Y, batch_size=16, epochs=3, shuffle=False, verbose=0, callbacks=[plain_recorder])
    for epoch, ((weights, averages), (trained, plain_averages)) in enumerate(
        zip(recorder.seen["epoch_end"], plain_recorder.seen["epoch_end"])
    ):
        _assert_all_equal(weights, plain_averages)  # callbacks after it see the averages at each epoch's end
        if epoch < 2:
            _assert_all_equal(averages, trained)  # ... while the trained weights wait in the optimizer
    for (weights, _), (trained, _) in zip(recorder.seen["epoch_begin"][1:], plain_recorder.seen["epoch_end"]):
        _assert_all_equal(weights, trained)  # and every epoch trains on from the trained weights
    # After the last epoch the model keeps the averages, and the optimizer's averages are the same.
    final_averages = plain_recorder.seen["epoch_end"][-1][1]
    _assert_all_equal(_values(model.trainable_weights), final_averages)
    _assert_all_equal(_averages(model), final_averages)


def test_an_optimizer_without_use_ema_is_refused_clearly():
    model = _model(optimizers.SGD(learning_rate=0.1))
    with pytest.raises(ValueError, match="use_ema=True"):
        model.evaluate(X_VAL, Y_VAL, verbose=0, callbacks=[SwapEMAWeights()])


def test_it_is_a_keras_callback_name():
    assert tf.keras.callbacks.SwapEMAWeights is SwapEMAWeights
    assert SwapEMAWeights().swap_on_epoch is False


# --- the end of fit: Keras 3's fit ends with optimizer.finalize_variable_values(model.trainable_weights) --


def test_fit_ends_with_the_averages_in_the_model():
    recorder = Recorder()
    model = _model()
    model.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0, callbacks=[recorder])
    trained, averages = recorder.seen["epoch_end"][-1]
    assert not np.allclose(trained[0], averages[0])
    _assert_all_equal(_values(model.trainable_weights), averages)


# --- against Keras 3 -------------------------------------------------------------------------------
def _keras_model(keras, optimizer):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.set_weights([KERNEL, BIAS])
    model.compile(optimizer=optimizer, loss="mse")
    return model


@pytest.mark.parametrize("swap_on_epoch", [False, True])
def test_fit_with_swap_ema_weights_matches_keras(keras, swap_on_epoch):
    arguments = dict(learning_rate=0.1, momentum=0.5, use_ema=True, ema_momentum=0.7, ema_overwrite_frequency=5)
    fit = dict(batch_size=16, epochs=3, shuffle=False, verbose=0, validation_data=(X_VAL, Y_VAL))
    ours = _model(optimizers.SGD(**arguments))
    theirs = _keras_model(keras, keras.optimizers.SGD(**arguments))
    history = ours.fit(X, Y, callbacks=[SwapEMAWeights(swap_on_epoch=swap_on_epoch)], **fit).history
    their_history = theirs.fit(
        X, Y, callbacks=[keras.callbacks.SwapEMAWeights(swap_on_epoch=swap_on_epoch)], **fit
    ).history
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(history[key], their_history[key], rtol=1e-5, err_msg=key)
    their_averages = [np.asarray(a.numpy()) for a in theirs.optimizer._model_variables_moving_average]
    for ours_average, their_average in zip(_averages(ours), their_averages):
        np.testing.assert_allclose(ours_average, their_average, rtol=1e-5, atol=1e-6)
    if swap_on_epoch:  # the model ends with the averages whatever fit does at its end
        for ours_weight, their_weight in zip(ours.get_weights(), theirs.get_weights()):
            np.testing.assert_allclose(ours_weight, their_weight, rtol=1e-5, atol=1e-6)


def test_fit_ends_with_the_same_weights_as_keras(keras):
    arguments = dict(learning_rate=0.1, use_ema=True, ema_momentum=0.6)
    ours = _model(optimizers.Adam(**arguments))
    theirs = _keras_model(keras, keras.optimizers.Adam(**arguments))
    ours.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    theirs.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    for ours_weight, their_weight in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(ours_weight, their_weight, rtol=1e-5, atol=2e-5)  # Adam's float32 rounding
