"""The one data entry point of fit/evaluate/predict (EpochIterator), and 1-D inputs as tf.keras 2 took them."""

import re

import numpy as np
import pytest

import learnet as tf
from learnet import layers
from learnet.data import Dataset
from learnet.models.data_adapter import EpochIterator

XS = np.array([-1.0, 0.0, 1.0, 2.0, 3.0, 4.0])
YS = 2 * XS - 1


def one_neuron():
    model = tf.keras.Sequential([layers.Dense(units=1, input_shape=[1])])
    model.compile(optimizer="sgd", loss="mean_squared_error")
    return model


def test_one_dimensional_x_becomes_a_column_for_one_feature():
    tf.keras.utils.set_random_seed(0)
    model = one_neuron()
    history = model.fit(XS, YS, epochs=200, verbose=0)
    assert history.history["loss"][-1] < 0.01 * history.history["loss"][0]
    assert model.predict(XS, verbose=0).shape == (6, 1)
    assert abs(float(model.predict([10.0], verbose=0)[0, 0]) - 19.0) < 0.5
    assert model.evaluate(XS, YS, verbose=0) < 0.05
    assert model.predict_on_batch(XS).shape == (6, 1)
    assert np.isfinite(model.train_on_batch(XS, YS))


def test_one_dimensional_x_in_a_functional_model_and_a_dataset():
    inputs = tf.keras.Input(shape=(1,))
    model = tf.keras.Model(inputs, layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(XS, YS, epochs=2, verbose=0)
    model.fit(Dataset.from_tensor_slices((XS, YS)).batch(3), epochs=2, verbose=0)
    assert model.predict(Dataset.from_tensor_slices(XS).batch(4), verbose=0).shape == (6, 1)


def test_one_dimensional_x_for_several_features_is_refused_with_the_shape_it_needs():
    model = tf.keras.Sequential([layers.Dense(1, input_shape=[3])])
    model.compile(optimizer="sgd", loss="mse")
    before = [w.numpy().copy() for w in model.weights]
    message = (
        "fit: x has shape (6,), one number per sample, but the model expects 3 features per "
        "sample (inputs of shape (None, 3)); give x of shape (samples, 3)"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        model.fit(XS, YS, verbose=0)
    with pytest.raises(ValueError, match=re.escape(message.replace("fit:", "predict:"))):
        model.predict(XS, verbose=0)
    assert all(np.array_equal(b, w.numpy()) for b, w in zip(before, model.weights))


def test_one_dimensional_x_for_a_model_without_an_input_shape_says_how_to_reshape():
    model = tf.keras.Sequential([layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    message = (
        "Dense 'dense_0': the last dimension of the input must be known, got (None,); "
        "a 1-D x (one number per sample) needs a feature axis: x.reshape(-1, 1)"
    )
    with pytest.raises(ValueError) as error:
        model.fit(XS, YS, verbose=0)
    assert re.sub(r"'dense_\d+'", "'dense_0'", str(error.value)) == message
    assert not model.built and model.optimizer.iterations.numpy() == 0
    model.fit(XS.reshape(-1, 1), YS, verbose=0)  # the fix the message gives works


def test_a_single_sample_still_gets_the_batch_axis_advice():
    model = tf.keras.Sequential([layers.Dense(1, input_shape=[3])])
    with pytest.raises(ValueError, match=re.escape("pass x[None]")):
        model.predict(np.array([1.0, 2.0, 3.0]), verbose=0)


# --- the iterator itself ---------------------------------------------------------------------------
def test_epoch_iterator_serves_checked_array_batches():
    model = one_neuron()
    data = EpochIterator(model, XS, YS, np.ones(6), who="fit", batch_size=4)
    assert data.steps == 2
    batches = list(data.epoch())
    assert [len(b) for b in batches] == [3, 3]  # (x, y, sample_weight)
    assert batches[0][0].shape == (4, 1) and batches[0][0].dtype == np.float32
    assert batches[0][1].shape == (4, 1)  # y fitted to the output (n, 1)
    assert [len(b) for b in EpochIterator(model, XS, who="predict", inputs_only=True).epoch()] == [1]


def test_epoch_iterator_with_steps_continues_across_epochs_when_training():
    model = one_neuron()
    data = EpochIterator(model, XS, YS, who="fit", batch_size=2, steps=2, continuous=True)
    first = [b[0].ravel().tolist() for b in data.epoch()]
    second = [b[0].ravel().tolist() for b in data.epoch()]
    assert first == [[-1.0, 0.0], [1.0, 2.0]] and second[0] == [3.0, 4.0]
    again = EpochIterator(model, XS, YS, who="evaluate", batch_size=2, steps=2)
    assert [b[0].ravel().tolist() for b in again.epoch()] == [b[0].ravel().tolist() for b in again.epoch()]


def test_epoch_iterator_reads_datasets_and_generators():
    model = one_neuron()
    dataset = Dataset.from_tensor_slices((XS, YS)).batch(4)
    data = EpochIterator(model, dataset, who="fit")
    assert data.steps == 2 and len(list(data.epoch())) == 2 and len(list(data.epoch())) == 2
    generator = ((XS[i : i + 2], YS[i : i + 2]) for i in range(0, 6, 2))
    once = EpochIterator(model, generator, who="fit")
    assert once.steps is None and len(list(once.epoch())) == 3 and list(once.epoch()) == []


def test_epoch_iterator_refuses_bad_data_before_any_step():
    model = one_neuron()
    with pytest.raises(ValueError, match="y must not be given separately"):
        EpochIterator(model, Dataset.from_tensor_slices((XS, YS)).batch(2), YS, who="evaluate")
    with pytest.raises(ValueError, match="x is a single number"):
        EpochIterator(model, 42, who="evaluate")
    with pytest.raises(ValueError, match="x and y must have the same number of samples"):
        EpochIterator(model, XS, YS[:5], who="evaluate")
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        EpochIterator(model, XS, YS, who="evaluate", batch_size=0)


def test_predict_and_evaluate_with_more_steps_than_data_stop_where_it_ends():
    # Keras 3.15: predict(ds, steps=5) on 2 batches returns the 64 rows once, with a
    # warning that the input ran out; it does not start the data again.
    import warnings

    import learnet as tf

    x = np.random.default_rng(0).random((64, 4)).astype("float32")
    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(2)])
    model.compile("sgd", "mse")
    dataset = tf.data.Dataset.from_tensor_slices(x).batch(32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert model.predict(dataset, steps=5, verbose=0).shape == (64, 2)
        assert model.predict(x, batch_size=32, steps=5, verbose=0).shape == (64, 2)
    assert sum("ran out of data" in str(w.message) for w in caught) == 2
    assert model.predict(x, batch_size=32, steps=1, verbose=0).shape == (32, 2)
    whole = model.evaluate(x, x[:, :2], batch_size=32, verbose=0)
    with pytest.warns(UserWarning, match="ran out of data"):
        assert model.evaluate(x, x[:, :2], batch_size=32, steps=5, verbose=0) == pytest.approx(whole)
