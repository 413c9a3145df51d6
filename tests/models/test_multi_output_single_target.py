"""A model with several outputs fitted on fewer target arrays than outputs, as Keras 3 allows
it: when no compiled loss pairs targets with outputs (the model computes its own loss, or has
no compiled loss) the targets reach ``compute_loss`` as given and the compiled metrics take
them in order, so one target array scores the first output's metrics only. A compiled loss
for every output still refuses one target array. Names and numbers are compared with real
Keras 3 (tests/fixtures/make_keras_multi_output_single_target_fixture.py)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import learnet as keras
from learnet import layers, ops
from learnet.models.compile_utils import targets_per_output

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REFERENCE = np.load(FIXTURES / "keras_multi_output_single_target_reference.npz")


def _fixture_maker():
    """The fixture's generator as a module: build() and data() make the same models and data here."""
    spec = importlib.util.spec_from_file_location(
        "make_keras_multi_output_single_target_fixture",
        FIXTURES / "make_keras_multi_output_single_target_fixture.py",
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKER = _fixture_maker()
X, Y = MAKER.data()
TRAINED = [name for name in MAKER.CASES if f"{name}/refused" not in REFERENCE.files]
REFUSED = [name for name in MAKER.CASES if f"{name}/refused" in REFERENCE.files]


def _reference_model(name):
    model = MAKER.build(keras, name)
    count = len([key for key in REFERENCE.files if key.startswith(f"{name}/weight_")])
    model.set_weights([REFERENCE[f"{name}/weight_{i}"] for i in range(count)])
    return model


def _expected(name, kind):
    prefix = f"{name}/{kind}/"
    return {key[len(prefix) :]: REFERENCE[key] for key in REFERENCE.files if key.startswith(prefix)}


def test_the_fixture_holds_the_keras_cases():
    assert np.array_equal(REFERENCE["x"], X) and np.array_equal(REFERENCE["y"], Y)
    assert "own_y_mae3" in TRAINED and "plain_y_mse3" in REFUSED


@pytest.mark.parametrize("name", TRAINED)
def test_evaluate_logs_what_keras_logs(name):
    model = _reference_model(name)
    results = model.evaluate(X, MAKER.targets(name, Y), batch_size=4, verbose=0, return_dict=True)
    expected = _expected(name, "evaluate")
    assert sorted(results) == sorted(expected)
    for key, value in expected.items():
        assert results[key] == pytest.approx(float(value), rel=1e-5), key


@pytest.mark.filterwarnings("ignore:SGD. gradients do not exist")  # outputs without a loss
@pytest.mark.parametrize("name", TRAINED)
def test_fit_history_matches_keras(name):
    model = _reference_model(name)
    given = MAKER.targets(name, Y)
    validation = {"validation_data": (X, given)} if MAKER.CASES[name][5] else {}
    history = model.fit(X, given, batch_size=4, epochs=2, shuffle=False, verbose=0, **validation)
    expected = _expected(name, "history")
    assert sorted(history.history) == sorted(expected)
    for key, values in expected.items():
        np.testing.assert_allclose(history.history[key], values, rtol=1e-4, err_msg=key)


@pytest.mark.parametrize("name", REFUSED)
def test_a_compiled_loss_per_output_still_refuses_too_few_targets(name):
    # Keras 3 refuses these (KeyError or ValueError deep in its loss); learnet says why, up front.
    model = _reference_model(name)
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match="output"):
        model.fit(X, MAKER.targets(name, Y), batch_size=4, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="output"):
        model.evaluate(X, MAKER.targets(name, Y), batch_size=4, verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_the_reproducer_trains_and_logs_the_first_output_metric():
    x_in = keras.Input((4,))
    outs = [layers.Dense(1, activation="sigmoid")(x_in) for _ in range(3)]

    class M(keras.Model):
        def compute_loss(self, x, y, y_pred, sample_weight=None, training=False):
            return sum(ops.mean((y - p) ** 2) for p in y_pred)

    m = M(inputs=x_in, outputs=outs)
    m.compile(optimizer="adam", metrics=[keras.metrics.MeanAbsoluteError(name="mae") for _ in m.outputs])
    h = m.fit(np.ones((8, 4), "float32"), np.ones((8, 1), "float32"), epochs=1, verbose=0)
    # Real Keras 3 logs ['dense_mae', 'loss']: the metric of the first output, by its layer's name.
    assert sorted(h.history) == sorted([f"{m.output_names[0]}_mae", "loss"])
    predictions = m.predict(np.ones((8, 4), "float32"), verbose=0)
    assert m.evaluate(np.ones((8, 4), "float32"), np.ones((8, 1), "float32"), verbose=0, return_dict=True)[
        f"{m.output_names[0]}_mae"
    ] == pytest.approx(float(np.mean(np.abs(1.0 - predictions[0]))), rel=1e-5)


def test_the_own_compute_loss_gets_the_targets_as_given():
    seen = []

    class M(keras.Model):
        def compute_loss(self, x, y, y_pred, sample_weight=None, training=False):
            seen.append(y)
            return sum(ops.mean((keras.tree.flatten(y)[0] - p) ** 2) for p in y_pred)

    x_in = keras.Input((4,))
    m = M(x_in, [layers.Dense(1)(x_in) for _ in range(3)])
    m.compile(optimizer="sgd")
    m.fit(X, Y.astype("float64"), batch_size=8, epochs=1, verbose=0)
    m.fit(X, [Y, Y], batch_size=8, epochs=1, verbose=0)
    first, second = seen
    assert np.shape(first) == (8, 1) and np.asarray(first).dtype == np.float32  # as Keras: floats in floatx
    assert isinstance(second, list) and len(second) == 2


def test_train_and_test_on_batch_take_one_target():
    model = _reference_model("own_y_mae3")
    logs = model.test_on_batch(X, Y, return_dict=True)
    assert sorted(logs) == ["loss", "o0_mae"]
    logs = model.train_on_batch(X, Y, return_dict=True)
    assert sorted(logs) == ["loss", "o0_mae"]


def test_a_plain_model_without_a_loss_says_it_has_none():
    # Keras 3 trains it with a loss of 0.0 (nothing to learn); learnet says there is no loss,
    # after the targets were accepted as Keras accepts them, and before any weight changes.
    x_in = keras.Input((4,))
    model = keras.Model(x_in, [layers.Dense(1)(x_in) for _ in range(3)])
    model.compile(optimizer="sgd", metrics=["mae", "mae", "mae"])
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match="no loss"):
        model.fit(X, Y, epochs=1, verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_targets_per_output_in_order():
    names = ["a", "b", "c"]
    assert targets_per_output("y", names, names, in_order=True) == ["y", None, None]
    assert targets_per_output(["y", "z"], names, names, in_order=True) == ["y", "z", None]
    assert targets_per_output(["y", "z", "w", "v"], names, names, in_order=True) == ["y", "z", "w"]
    # The loss's own pairing comes first: one target per output that has a loss.
    assert targets_per_output("y", names, names, [None, "mse", None], in_order=True) == [None, "y", None]
    with pytest.raises(ValueError, match="3 outputs"):
        targets_per_output("y", names, names, ["mse", "mse", "mse"])
