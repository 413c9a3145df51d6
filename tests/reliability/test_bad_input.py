"""A student's mistake in the data gets a clear error, raised before anything changes.

Every case runs through ``fit``, ``evaluate`` and ``predict`` (where it applies to that
method): the error must name the problem, and afterwards the weights and the
optimizer state (``optimizer.get_state()``) must be bit-identical to before. Where Keras
converts silently and safely (integer images, whole-number float labels, labels of
shape ``(n, 1)``), learnet does the same conversion, checked against the explicit one.
"""

import numpy as np
import pytest

import learnet
from learnet import Input, layers
from learnet.models import Model, Sequential

N = 20


@pytest.fixture(autouse=True)
def _fresh_names():
    learnet.utils.clear_session()


def classifier(loss="sparse_categorical_crossentropy"):
    model = Sequential([layers.Flatten(input_shape=(4, 4)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


def regressor():
    model = Sequential([layers.Flatten(input_shape=(4, 4)), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    return model


def two_inputs():
    left, right = Input(shape=(3,), name="left"), Input(shape=(2,), name="right")
    merged = layers.Concatenate()([layers.Dense(4)(left), layers.Dense(4)(right)])
    model = Model([left, right], layers.Dense(3, activation="softmax")(merged))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def good_data(kind):
    rng = np.random.default_rng(0)
    if kind == "two_inputs":
        return [rng.normal(size=(N, 3)).astype("float32"), rng.normal(size=(N, 2)).astype("float32")], rng.integers(
            0, 3, N
        )
    x = rng.normal(size=(N, 4, 4)).astype("float32")
    if kind == "categorical":
        return x, np.eye(3, dtype="float32")[rng.integers(0, 3, N)]
    if kind == "regression":
        return x, rng.normal(size=(N, 2)).astype("float32")
    return x, rng.integers(0, 3, N)


MODELS = {
    "sparse": classifier,
    "categorical": lambda: classifier("categorical_crossentropy"),
    "regression": regressor,
    "two_inputs": two_inputs,
}


def trained(kind):
    """A model of this kind after one epoch: built, with optimizer slots and iterations > 0."""
    model = MODELS[kind]()
    x, y = good_data(kind)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    return model


def snapshot(model):
    state = model.optimizer.get_state() if model.optimizer is not None else {}
    return [w.copy() for w in model.get_weights()], {k: np.array(v, copy=True) for k, v in state.items()}


def assert_bit_identical(model, before):
    weights, state = snapshot(model)
    assert len(weights) == len(before[0])
    for old, new in zip(before[0], weights):
        assert old.dtype == new.dtype and old.shape == new.shape
        assert old.tobytes() == new.tobytes()
    assert state.keys() == before[1].keys()
    for key in state:
        assert state[key].tobytes() == before[1][key].tobytes(), key


# --- changing one thing in good data -------------------------------------------------------------


def put(array, index, value, dtype=None):
    array = np.array(array, dtype=dtype or np.asarray(array).dtype, copy=True)
    array[index] = value
    return array


def as_float64(array):
    return np.asarray(array, dtype="float64")


def ragged(x):
    return [[1.0, 2.0], [3.0]]


# Each case: (name, model kind, methods, change(x, y) -> call arguments, expected message).
# "x", "y", "batch_size", "sample_weight" in the arguments replace the good ones.
CASES = [
    # sample counts
    (
        "fewer labels than samples",
        "sparse",
        "fit evaluate",
        lambda x, y: dict(y=y[:-1]),
        r"x and y must have the same number of samples.*20.*19",
    ),
    (
        "more labels than samples",
        "sparse",
        "fit evaluate",
        lambda x, y: dict(x=x[:5]),
        r"x and y must have the same number of samples.*5.*20",
    ),
    (
        "inputs of different lengths",
        "two_inputs",
        "fit evaluate predict",
        lambda x, y: dict(x=[x[0], x[1][:-2]]),
        r"x\[0\] and x\[1\] must have the same number of samples.*20.*18",
    ),
    (
        "sample weights of another length",
        "sparse",
        "fit evaluate",
        lambda x, y: dict(sample_weight=np.ones(7)),
        r"same number of samples.*sample_weight has 7",
    ),
    # shapes
    (
        "wrong feature shape",
        "sparse",
        "fit evaluate predict",
        lambda x, y: dict(x=x.reshape(N, 16)),
        r"expects inputs of shape \(None, 4, 4\), got \(None, 16\)",
    ),
    (
        "one feature too many",
        "sparse",
        "fit evaluate predict",
        lambda x, y: dict(x=np.concatenate([x, x[:, :1]], axis=1)),
        r"expects inputs of shape \(None, 4, 4\), got \(None, 5, 4\)",
    ),
    (
        "a single sample without its batch axis",
        "sparse",
        "predict",
        lambda x, y: dict(x=x[0]),
        r"got \(4, 4\); a single sample needs a batch axis",
    ),
    (
        "a single number as x",
        "sparse",
        "predict",
        lambda x, y: dict(x=np.float32(3.0)),
        r"x is a single number; it needs a first \(sample\) axis",
    ),
    (
        "one input for a two-input model",
        "two_inputs",
        "fit evaluate predict",
        lambda x, y: dict(x=x[0]),
        r"expects 2 input\(s\) \['left', 'right'\], got 1",
    ),
    (
        "one-hot labels of the wrong width",
        "categorical",
        "fit evaluate",
        lambda x, y: dict(y=np.eye(4, dtype="float32")[np.arange(N) % 4]),
        r"y has shape \(20, 4\).*\(None, 3\).*categorical_crossentropy",
    ),
    (
        "regression targets of the wrong width",
        "regression",
        "fit evaluate",
        lambda x, y: dict(y=np.zeros((N, 3), "float32")),
        r"y has shape \(20, 3\).*\(None, 2\).*mean_squared_error",
    ),
    # what the arrays hold
    (
        "text in x",
        "sparse",
        "fit evaluate predict",
        lambda x, y: dict(x=np.full((N, 4, 4), "0.5")),
        r"x must hold numbers, but it holds text \(e\.g\. '0\.5'\); convert it to numbers first",
    ),
    (
        "Python objects in x",
        "sparse",
        "fit evaluate predict",
        lambda x, y: dict(x=put(x.astype(object), (2, 0, 0), None)),
        r"x must hold numbers.*dtype object",
    ),
    (
        "complex numbers in x",
        "sparse",
        "fit evaluate predict",
        lambda x, y: dict(x=x.astype("complex64")),
        r"x must hold numbers.*complex64",
    ),
    (
        "dates in x",
        "sparse",
        "fit evaluate predict",
        lambda x, y: dict(x=np.zeros((N, 4, 4), "datetime64[s]")),
        r"x must hold numbers.*datetime64",
    ),
    (
        "rows of different lengths",
        "sparse",
        "fit evaluate predict",
        lambda x, y: dict(x=ragged(x), y=y[:2]),
        r"x cannot be turned into an array.*different lengths",
    ),
    (
        "text labels",
        "sparse",
        "fit evaluate",
        lambda x, y: dict(y=np.array(["cat", "dog"] * (N // 2))),
        r"y must hold numbers, but it holds text",
    ),
    (
        "x is None",
        "sparse",
        "fit evaluate predict",
        lambda x, y: dict(x=None),
        r"no input data was given \(x is None\)",
    ),
    ("labels missing", "sparse", "fit evaluate", lambda x, y: dict(y=None), r"y is missing.*loss"),
    # NaN and infinity
    (
        "NaN in x",
        "sparse",
        "fit evaluate predict",
        lambda x, y: dict(x=put(x, (3, 1, 2), np.nan)),
        r"x contains 1 NaN value\(s\) \(the first at index \(3, 1, 2\)\)",
    ),
    (
        "infinity in x",
        "sparse",
        "fit evaluate predict",
        lambda x, y: dict(x=put(x, (4, 0, 0), -np.inf)),
        r"x contains 1 infinite value\(s\) \(the first at index \(4, 0, 0\)\)",
    ),
    (
        "NaN in the second input",
        "two_inputs",
        "fit evaluate predict",
        lambda x, y: dict(x=[x[0], put(x[1], (6, 1), np.nan)]),
        r"x\[1\] contains 1 NaN.*\(6, 1\)",
    ),
    (
        "float64 x too large for float32",
        "sparse",
        "fit evaluate predict",
        lambda x, y: dict(x=put(as_float64(x), (2, 3, 3), 1e300)),
        r"x holds values too large for float32 \(e\.g\. 1e\+300 at index \(2, 3, 3\)",
    ),
    (
        "NaN in float labels",
        "sparse",
        "fit evaluate",
        lambda x, y: dict(y=put(y, 5, np.nan, dtype="float64")),
        r"y contains 1 NaN.*\(5,\)",
    ),
    (
        "infinity in regression targets",
        "regression",
        "fit evaluate",
        lambda x, y: dict(y=put(y, (1, 1), np.inf)),
        r"y contains 1 infinite.*\(1, 1\)",
    ),
    (
        "float64 targets too large for float32",
        "regression",
        "fit evaluate",
        lambda x, y: dict(y=put(as_float64(y), (9, 0), -1e39)),
        r"y holds values too large for float32 \(e\.g\. -1e\+39",
    ),
    (
        "NaN in sample weights",
        "sparse",
        "fit evaluate",
        lambda x, y: dict(sample_weight=put(np.ones(N), 0, np.nan)),
        r"sample_weight contains 1 NaN",
    ),
    (
        "negative sample weights",
        "sparse",
        "fit evaluate",
        lambda x, y: dict(sample_weight=put(np.ones(N), 4, -2.0)),
        r"sample_weight must not be negative, got -2",
    ),
    # labels of a sparse cross-entropy
    (
        "label equal to the number of classes",
        "sparse",
        "fit evaluate",
        lambda x, y: dict(y=put(y, 7, 3)),
        r"holds the label 3, but the model has 3 output\(s\).*labels 0\.\.2 only",
    ),
    (
        "negative label",
        "sparse",
        "fit evaluate",
        lambda x, y: dict(y=put(y, 7, -1)),
        r"holds the label -1.*labels 0\.\.2 only",
    ),
    (
        "huge float label",
        "sparse",
        "fit evaluate",
        lambda x, y: dict(y=put(y, 7, 1e12, dtype="float64")),
        r"holds the label 1000000000000.*labels 0\.\.2 only",
    ),
    (
        "label of another input's model",
        "two_inputs",
        "fit evaluate",
        lambda x, y: dict(y=put(y, 0, 10)),
        r"holds the label 10.*labels 0\.\.2",
    ),
    (
        "fractional labels",
        "sparse",
        "fit evaluate",
        lambda x, y: dict(y=y + 0.5),
        r"whole-number class indices for sparse_categorical_crossentropy, got values such as 2\.5",
    ),
    (
        "one-hot labels for a sparse loss",
        "sparse",
        "fit evaluate",
        lambda x, y: dict(y=np.eye(3, dtype="float32")[y]),
        r"y looks one-hot encoded \(shape \(20, 3\)\).*use loss='categorical_crossentropy'.*argmax",
    ),
    (
        "class indices for a one-hot loss",
        "categorical",
        "fit evaluate",
        lambda x, y: dict(y=y.argmax(axis=-1)),
        r"y holds class indices \(shape \(20,\)\).*sparse_categorical_crossentropy.*to_categorical\(y, 3\)",
    ),
    (
        "class indices (n, 1) for a one-hot loss",
        "categorical",
        "fit evaluate",
        lambda x, y: dict(y=y.argmax(axis=-1)[:, None]),
        r"y holds class indices \(shape \(20, 1\)\)",
    ),
    # empty data
    (
        "empty arrays",
        "sparse",
        "fit evaluate predict",
        lambda x, y: dict(x=x[:0], y=y[:0]),
        r"x is empty \(0 samples, shape \(0, 4, 4\)\)",
    ),
    (
        "empty inputs of a two-input model",
        "two_inputs",
        "fit evaluate predict",
        lambda x, y: dict(x=[x[0][:0], x[1][:0]], y=y[:0]),
        r"x\[0\] is empty \(0 samples",
    ),
    # batch sizes
    (
        "batch_size 0",
        "sparse",
        "fit evaluate predict",
        lambda x, y: dict(batch_size=0),
        r"batch_size must be a positive integer, got 0",
    ),
    (
        "negative batch_size",
        "sparse",
        "fit evaluate predict",
        lambda x, y: dict(batch_size=-8),
        r"batch_size must be a positive integer, got -8",
    ),
    (
        "fractional batch_size",
        "sparse",
        "fit evaluate predict",
        lambda x, y: dict(batch_size=2.5),
        r"batch_size must be a positive integer, got 2\.5",
    ),
    (
        "batch_size as text",
        "sparse",
        "fit evaluate predict",
        lambda x, y: dict(batch_size="32"),
        r"batch_size must be a positive integer, got '32'",
    ),
    (
        "batch_size True",
        "sparse",
        "fit evaluate predict",
        lambda x, y: dict(batch_size=True),
        r"batch_size must be a positive integer, got True",
    ),
]

CALLS = [(case, method) for case in CASES for method in case[2].split()]


def call(model, method, x, y, changes):
    arguments = dict(x=x, y=y, batch_size=8)
    arguments.update(changes)
    if method == "fit":
        return model.fit(epochs=1, verbose=0, **arguments)
    if method == "evaluate":
        return model.evaluate(verbose=0, **arguments)
    arguments.pop("y")
    arguments.pop("sample_weight", None)
    return model.predict(verbose=0, **arguments)


@pytest.mark.parametrize("case, method", CALLS, ids=[f"{method}: {case[0]}" for case, method in CALLS])
def test_bad_input_is_refused_before_anything_changes(case, method):
    name, kind, _, change, message = case
    model = trained(kind)
    x, y = good_data(kind)
    before = snapshot(model)
    iterations = int(model.optimizer.iterations)
    with pytest.raises(ValueError, match=message):
        call(model, method, x, y, change(x, y))
    assert_bit_identical(model, before)
    assert int(model.optimizer.iterations) == iterations
    # The model still works on good data afterwards: the error left nothing half-done.
    call(model, method, x, y, {})
    if method == "fit":
        assert int(model.optimizer.iterations) > iterations


FIT_ONLY = [
    (
        "NaN in validation data",
        lambda x, y: dict(validation_data=(put(x, (0, 0, 0), np.nan), y)),
        r"validation_data.*x contains 1 NaN",
    ),
    (
        "label out of range in validation data",
        lambda x, y: dict(validation_data=(x, put(y, 3, 5))),
        r"validation_data.*label 5",
    ),
    (
        "validation_split leaving nothing to train on",
        lambda x, y: dict(x=x[:1], y=y[:1], validation_split=0.5),
        r"validation_split=0\.5 of 1 samples",
    ),
    (
        "validation_split of 1",
        lambda x, y: dict(validation_split=1.0),
        r"validation_split must be a number in \[0, 1\)",
    ),
    ("negative epochs", lambda x, y: dict(epochs=-1), r"epochs must be an integer >= 0, got -1"),
    ("fractional epochs", lambda x, y: dict(epochs=1.5), r"epochs must be an integer >= 0, got 1\.5"),
]


@pytest.mark.parametrize("name, change, message", FIT_ONLY, ids=[c[0] for c in FIT_ONLY])
def test_fit_arguments_are_checked_before_the_first_step(name, change, message):
    model = trained("sparse")
    x, y = good_data("sparse")
    before = snapshot(model)
    arguments = dict(x=x, y=y, epochs=1, verbose=0)
    arguments.update(change(x, y))
    with pytest.raises(ValueError, match=message):
        model.fit(**arguments)
    assert_bit_identical(model, before)


@pytest.mark.parametrize("case", [c for c in CASES if "fit" in c[2]], ids=lambda c: c[0])
def test_bad_input_to_a_fresh_model_creates_no_optimizer_state(case):
    """The first fit of a model fails on bad data: no step was taken, no slot was created."""
    name, kind, _, change, message = case
    model = MODELS[kind]()
    x, y = good_data(kind)
    with pytest.raises(ValueError, match=message):
        call(model, "fit", x, y, change(x, y))
    assert int(model.optimizer.iterations) == 0
    assert sorted(model.optimizer.get_state()) == ["iterations", "learning_rate"]


# --- where Keras converts silently and safely, learnet does the same ---------------------------------


def weights_after_fit(kind, x, y, **kwargs):
    learnet.utils.clear_session()
    learnet.utils.set_random_seed(7)
    model = MODELS[kind]()
    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0, **kwargs)
    return model.get_weights()


SAFE_CONVERSIONS = [
    (
        "uint8 images",
        "sparse",
        lambda x, y: (np.round(np.abs(x) * 50).astype("uint8"), y),
        lambda x, y: (np.round(np.abs(x) * 50).astype("float32"), y),
    ),
    ("float64 images", "sparse", lambda x, y: (x.astype("float64"), y), lambda x, y: (x, y)),
    ("boolean images", "sparse", lambda x, y: (x > 0, y), lambda x, y: ((x > 0).astype("float32"), y)),
    ("nested Python lists", "sparse", lambda x, y: (x.tolist(), y.tolist()), lambda x, y: (x, y)),
    ("whole-number float labels", "sparse", lambda x, y: (x, y.astype("float64")), lambda x, y: (x, y)),
    ("uint8 labels of shape (n, 1)", "sparse", lambda x, y: (x, y.astype("uint8")[:, None]), lambda x, y: (x, y)),
    ("integer one-hot labels", "categorical", lambda x, y: (x, y.astype("int64")), lambda x, y: (x, y)),
    ("regression targets (n, 2) as float64", "regression", lambda x, y: (x, y.astype("float64")), lambda x, y: (x, y)),
]


@pytest.mark.parametrize("name, kind, given, explicit", SAFE_CONVERSIONS, ids=[c[0] for c in SAFE_CONVERSIONS])
def test_safe_conversions_train_exactly_like_the_explicit_ones(name, kind, given, explicit):
    x, y = good_data(kind)
    converted = weights_after_fit(kind, *given(x, y))
    reference = weights_after_fit(kind, *explicit(x, y))
    for a, b in zip(converted, reference):
        assert a.dtype == np.float32
        assert a.tobytes() == b.tobytes()
