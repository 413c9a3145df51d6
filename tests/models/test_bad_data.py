"""Bad data gets a clear error that names the problem, before any weight or optimizer state changes."""

import numpy as np
import pytest

import learnet
from learnet import layers
from learnet.models import Sequential


def make_model(loss="sparse_categorical_crossentropy"):
    model = Sequential([layers.Flatten(input_shape=(4, 4)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


def good_data(n=20):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 4, 4)).astype("float32"), rng.integers(0, 3, n)


def snapshot(model):
    return [w.copy() for w in model.get_weights()], {k: v.copy() for k, v in model.optimizer.get_state().items()}


def assert_unchanged(model, before):
    weights, state = snapshot(model)
    for a, b in zip(before[0], weights):
        np.testing.assert_array_equal(a, b)
    assert state.keys() == before[1].keys()
    for key in state:
        np.testing.assert_array_equal(state[key], before[1][key])


def with_nan(x):
    x = x.copy()
    x[3, 1, 2] = np.nan
    return x


BAD_FIT_CALLS = [
    ("fewer labels", lambda x, y: dict(x=x, y=y[:-1]), r"same number of samples.*20.*19"),
    (
        "wrong feature shape",
        lambda x, y: dict(x=x.reshape(20, 16), y=y),
        r"expects inputs of shape \(None, 4, 4\), got \(None, 16\)",
    ),
    ("text inputs", lambda x, y: dict(x=np.full((20, 4, 4), "a"), y=y), r"x must hold numbers.*text"),
    ("ragged inputs", lambda x, y: dict(x=[[1.0, 2.0], [3.0]], y=y[:2]), r"cannot be turned into an array"),
    ("NaN input", lambda x, y: dict(x=with_nan(x), y=y), r"x contains 1 NaN.*\(3, 1, 2\)"),
    ("infinite label", lambda x, y: dict(x=x, y=np.where(np.arange(20) == 5, np.inf, y)), r"y contains 1 infinite"),
    ("label too large", lambda x, y: dict(x=x, y=np.where(np.arange(20) == 7, 3, y)), r"label 3.*labels 0\.\.2"),
    ("negative label", lambda x, y: dict(x=x, y=np.where(np.arange(20) == 7, -1, y)), r"label -1"),
    ("fractional label", lambda x, y: dict(x=x, y=y + 0.5), r"whole-number class indices"),
    ("one-hot for a sparse loss", lambda x, y: dict(x=x, y=np.eye(3)[y]), r"one-hot.*categorical_crossentropy"),
    ("empty arrays", lambda x, y: dict(x=x[:0], y=y[:0]), r"empty \(0 samples"),
    ("batch_size 0", lambda x, y: dict(x=x, y=y, batch_size=0), r"batch_size must be a positive integer"),
    ("batch_size 2.5", lambda x, y: dict(x=x, y=y, batch_size=2.5), r"batch_size must be a positive integer"),
    ("no labels", lambda x, y: dict(x=x, y=None), r"y is missing"),
    ("bad validation data", lambda x, y: dict(x=x, y=y, validation_data=(with_nan(x), y)), r"validation_data.*NaN"),
    ("validation split too big", lambda x, y: dict(x=x[:1], y=y[:1], validation_split=0.5), r"validation_split"),
    ("validation split out of range", lambda x, y: dict(x=x, y=y, validation_split=1.0), r"validation_split"),
    ("negative sample weight", lambda x, y: dict(x=x, y=y, sample_weight=-np.ones(20)), r"sample_weight"),
    (
        "sample weights of another length",
        lambda x, y: dict(x=x, y=y, sample_weight=np.ones(5)),
        r"same number of samples",
    ),
]


@pytest.mark.parametrize("case, arguments, message", BAD_FIT_CALLS, ids=[c[0] for c in BAD_FIT_CALLS])
def test_fit_rejects_bad_data_before_changing_anything(case, arguments, message):
    x, y = good_data()
    model = make_model()
    model.fit(x, y, epochs=1, verbose=0)  # built, with optimizer state
    before = snapshot(model)
    with pytest.raises(ValueError, match=message):
        model.fit(epochs=1, verbose=0, **arguments(x, y))
    assert_unchanged(model, before)


def test_fit_on_an_unbuilt_model_with_bad_data_creates_no_optimizer_state():
    x, y = good_data()
    model = make_model()
    with pytest.raises(ValueError, match="label 5"):
        model.fit(x, np.full(20, 5), verbose=0)
    assert int(model.optimizer.iterations) == 0
    assert list(model.optimizer.get_state()) == ["iterations", "learning_rate"]


def test_a_single_sample_without_batch_axis_gets_a_hint():
    x, _ = good_data()
    with pytest.raises(ValueError, match=r"got \(4, 4\); a single sample needs a batch axis"):
        make_model().predict(x[0], verbose=0)


def test_class_indices_for_a_one_hot_loss_get_a_hint():
    x, y = good_data()
    model = make_model(loss="categorical_crossentropy")
    with pytest.raises(ValueError, match=r"class indices.*sparse_categorical_crossentropy.*to_categorical"):
        model.fit(x, y, verbose=0)
    model.fit(x, learnet.utils.to_categorical(y, 3), verbose=0)  # the fix works


def test_whole_float_and_uint8_labels_are_accepted_like_keras():
    x, y = good_data()
    model = make_model()
    model.fit(x, y.astype("float32"), verbose=0)
    model.fit(x, y.astype("uint8").reshape(-1, 1), verbose=0)


def test_shape_mismatch_for_elementwise_losses():
    model = Sequential([layers.Dense(2, input_shape=(3,))])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"shape \(4, 3\).*\(None, 2\).*mean_squared_error"):
        model.fit(np.ones((4, 3)), np.ones((4, 3)), verbose=0)


@pytest.mark.parametrize("method", ["evaluate", "train_on_batch", "test_on_batch"])
def test_other_methods_check_the_labels_too(method):
    x, y = good_data()
    model = make_model()
    model.fit(x, y, verbose=0)
    before = snapshot(model)
    kwargs = {"verbose": 0} if method == "evaluate" else {}
    with pytest.raises(ValueError, match="label 9"):
        getattr(model, method)(x, np.full(20, 9), **kwargs)
    assert_unchanged(model, before)


def test_predict_rejects_bad_inputs_clearly():
    x, _ = good_data()
    model = make_model()
    with pytest.raises(ValueError, match="NaN"):
        model.predict(with_nan(x), verbose=0)
    with pytest.raises(ValueError, match="batch_size"):
        model.predict(x, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="empty"):
        model.predict(x[:0], verbose=0)


def test_methods_before_compile_say_what_to_do():
    model = Sequential([layers.Dense(1, input_shape=(2,))])
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(np.ones((2, 2)), np.ones(2), verbose=0)
    with pytest.raises(RuntimeError, match="compile"):
        model.evaluate(np.ones((2, 2)), np.ones(2), verbose=0)
    assert model.predict(np.ones((2, 2)), verbose=0).shape == (2, 1)  # predict needs no compile


def test_unknown_arguments_are_rejected():
    x, y = good_data()
    model = make_model()
    with pytest.raises(TypeError, match="epoch"):
        model.fit(x, y, epoch=3)
    with pytest.raises(TypeError, match="metrics must be a list"):
        model.compile(optimizer="sgd", loss="mse", metrics="accuracy")
