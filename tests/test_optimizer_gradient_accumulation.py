"""``gradient_accumulation_steps`` on every optimizer, against real Keras 3 (JAX backend).

The reference (fixtures/make_gradient_accumulation_fixture.py) trains a small network with
``fit`` and drives ``apply_gradients`` by hand; learnet must give the same weights, the same
``iterations`` (the updates: calls divided by the steps) and the same accumulators. Each
comparison runs with the NumPy updates and, where numba is installed, with the compiled ones.
"""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import learnet as keras
from learnet import optimizers
from learnet.ops import compiled

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = np.load(FIXTURES / "gradient_accumulation_reference.npz")


def _fixture_module():
    spec = importlib.util.spec_from_file_location(
        "make_gradient_accumulation_fixture", FIXTURES / "make_gradient_accumulation_fixture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURE = _fixture_module()
KERNELS = ["numpy"] + (["numba"] if importlib.util.find_spec("numba") is not None else [])


@pytest.fixture(params=KERNELS)
def kernels(request):
    """Runs a test once with the NumPy updates and once with the compiled ones."""
    before = compiled.kernels()
    compiled.set_kernels(request.param)
    yield request.param
    compiled.set_kernels(before)


def _weights():
    return [REFERENCE[f"weight_{index}"] for index in range(4)]


@pytest.mark.parametrize("case", sorted(FIXTURE.FIT_CASES))
def test_fit_matches_keras(case, kernels):
    cls, kwargs = FIXTURE.FIT_CASES[case]
    model = FIXTURE.make_model(keras, _weights())
    optimizer = FIXTURE.make_optimizer(keras, cls, kwargs)
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(REFERENCE["x"], REFERENCE["y"], batch_size=FIXTURE.BATCH_SIZE, epochs=1, shuffle=False, verbose=0)
    for index, array in enumerate(model.get_weights()):
        np.testing.assert_allclose(array, REFERENCE[f"fit/{case}/weight_{index}"], rtol=1e-5, atol=1e-6)
    assert int(optimizer.iterations) == int(REFERENCE[f"fit/{case}/iterations"])
    assert int(optimizer._iterations.numpy()) == int(REFERENCE[f"fit/{case}/calls"])
    accumulators = [v.numpy() for v in optimizer.variables if v.name.endswith("_gradient_accumulator")]
    expected = [
        REFERENCE[key] for key in sorted(k for k in REFERENCE.files if k.startswith(f"fit/{case}/accumulator_"))
    ]
    assert len(accumulators) == len(expected)
    for got, want in zip(accumulators, expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", sorted(FIXTURE.APPLY_CASES))
def test_apply_gradients_matches_keras(case, kernels):
    cls, kwargs = FIXTURE.APPLY_CASES[case]
    variable = keras.Variable(REFERENCE["start"])
    optimizer = FIXTURE.make_optimizer(keras, cls, kwargs)
    for call, grad in enumerate(REFERENCE["grads"]):
        optimizer.apply_gradients([(keras.constant(grad), variable)])
        np.testing.assert_allclose(variable.numpy(), REFERENCE[f"apply/{case}/values"][call], rtol=1e-5, atol=1e-6)
        assert int(optimizer.iterations) == int(REFERENCE[f"apply/{case}/iterations"][call])
    if kwargs.get("use_ema"):
        optimizer.finalize_variable_values([variable])
        np.testing.assert_allclose(variable.numpy(), REFERENCE[f"apply/{case}/finalized"], rtol=1e-5, atol=1e-6)


def test_reproducer_fit_counts_updates():
    optimizer = keras.optimizers.Adam(5e-5, gradient_accumulation_steps=2)
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(np.ones((8, 4)), np.ones((8, 1)), batch_size=2, verbose=0)
    assert int(optimizer.iterations) == 2  # 4 batches, one update per 2, as Keras 3
    assert int(optimizer._iterations.numpy()) == 4


def test_weights_move_only_every_nth_call_with_the_mean():
    w = keras.Variable([1.0, 2.0])
    sgd = optimizers.SGD(1.0, gradient_accumulation_steps=3)
    for grad in ([3.0, 0.0], [0.0, 3.0]):
        sgd.apply_gradients([(keras.constant(grad), w)])
        np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])
    sgd.apply_gradients([(keras.constant([3.0, 3.0]), w)])
    np.testing.assert_allclose(w.numpy(), [1.0 - 2.0, 2.0 - 2.0])  # the mean of 3 calls: [2, 2]
    accumulator = sgd.variables[2]
    assert accumulator.name.endswith("_gradient_accumulator")
    np.testing.assert_array_equal(accumulator.numpy(), [0.0, 0.0])  # emptied after the update


def test_the_schedule_sees_every_call():
    seen = []

    def rate(step):
        seen.append(int(step))
        return 0.1

    w = keras.Variable([1.0])
    sgd = optimizers.SGD(rate, gradient_accumulation_steps=2)
    for _ in range(4):
        sgd.apply_gradients([(keras.constant([1.0]), w)])
    assert seen[-1] == 3 and 1 in seen  # the updates happened at calls 1 and 3 (from 0)


def test_variables_and_state_hold_the_accumulators_in_keras_order():
    w1, w2 = keras.Variable(np.ones((2, 3), "float32")), keras.Variable(np.ones(3, "float32"))
    adam = optimizers.Adam(0.1, gradient_accumulation_steps=2)
    adam.build([w1, w2])
    names = [v.name.rsplit("_", 2)[-2:] for v in adam.variables]
    assert [v.shape for v in adam.variables][:4] == [(), (), (2, 3), (3,)]
    assert names[2] == names[3] == ["gradient", "accumulator"]
    state = adam.get_state()
    assert list(state)[:4] == ["iterations", "learning_rate", "0/gradient_accumulator", "1/gradient_accumulator"]
    # Without the argument nothing is added.
    plain = optimizers.Adam(0.1)
    plain.build([w1, w2])
    assert len(plain.variables) == len(adam.variables) - 2


def test_state_round_trip_resumes_the_accumulation():
    w = keras.Variable([1.0, 2.0])
    adam = optimizers.Adam(0.1, gradient_accumulation_steps=3)
    adam.apply_gradients([(keras.constant([1.0, -1.0]), w)])
    state = adam.get_state()
    twin_w = keras.Variable(w.numpy())
    twin = optimizers.Adam.from_config(adam.get_config())
    twin.build([twin_w])
    twin.set_state(state)
    for grad in ([0.5, 0.5], [2.0, 1.0], [1.0, 1.0]):
        adam.apply_gradients([(keras.constant(grad), w)])
        twin.apply_gradients([(keras.constant(grad), twin_w)])
    np.testing.assert_array_equal(w.numpy(), twin_w.numpy())
    assert int(twin.iterations) == int(adam.iterations) == 1


def test_model_save_and_load_keeps_the_accumulators(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(optimizer=optimizers.Adam(0.01, gradient_accumulation_steps=2), loss="mse")
    x, y = np.ones((6, 4), "float32"), np.zeros((6, 2), "float32")
    model.fit(x, y, batch_size=2, verbose=0)  # 3 calls: one update, one gradient waiting
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.optimizer.gradient_accumulation_steps == 2
    saved = [v.numpy() for v in model.optimizer.variables]
    restored = [v.numpy() for v in loaded.optimizer.variables]
    assert len(saved) == len(restored)
    for a, b in zip(saved, restored):
        np.testing.assert_array_equal(a, b)
    assert int(loaded.optimizer.iterations) == 1


@pytest.mark.parametrize(
    "name",
    ["SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "Nadam", "Lion", "Adafactor", "Ftrl", "Lamb"],
)
def test_every_optimizer_takes_it_and_round_trips_its_config(name):
    optimizer = getattr(optimizers, name)(gradient_accumulation_steps=4)
    config = optimizer.get_config()
    assert config["gradient_accumulation_steps"] == 4
    again = getattr(optimizers, name).from_config(json.loads(json.dumps(config)))
    assert again.gradient_accumulation_steps == 4
    assert again.get_config() == config
    w = keras.Variable(np.ones(3, "float32"))
    before = w.numpy()
    for _ in range(3):
        again.apply_gradients([(keras.constant(np.ones(3, "float32")), w)])
    np.testing.assert_array_equal(w.numpy(), before)  # three calls of four: nothing moved yet
    again.apply_gradients([(keras.constant(np.ones(3, "float32")), w)])
    assert not np.array_equal(w.numpy(), before)
    assert int(again.iterations) == 1


def test_default_config_says_none():
    assert optimizers.SGD().get_config()["gradient_accumulation_steps"] is None
    assert (
        optimizers.get({"class_name": "Adam", "config": {"gradient_accumulation_steps": 3}}).gradient_accumulation_steps
        == 3
    )


@pytest.mark.parametrize("value", [1, -1, -3, 2.5, True, float("nan"), float("inf")])
def test_bad_values_raise_value_error(value):
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        optimizers.Adam(gradient_accumulation_steps=value)


@pytest.mark.parametrize("value", ["2", [2]])
def test_values_that_are_not_numbers_raise_type_error(value):
    with pytest.raises(TypeError, match="gradient_accumulation_steps"):
        optimizers.SGD(gradient_accumulation_steps=value)


def test_zero_and_whole_floats_as_keras():
    # Keras 3 takes 0 as "no accumulation" and a whole float as its integer.
    assert not optimizers.Adam(gradient_accumulation_steps=0).gradient_accumulation_steps
    assert optimizers.Adam(gradient_accumulation_steps=2.0).gradient_accumulation_steps == 2
    w = keras.Variable([1.0])
    sgd = optimizers.SGD(0.5, gradient_accumulation_steps=0)
    sgd.apply_gradients([(keras.constant([1.0]), w)])
    np.testing.assert_allclose(w.numpy(), [0.5])
    assert int(sgd.iterations) == 1


def test_a_bad_gradient_changes_nothing():
    w = keras.Variable([1.0, 2.0])
    sgd = optimizers.SGD(0.1, gradient_accumulation_steps=2)
    sgd.apply_gradients([(keras.constant([1.0, 1.0]), w)])
    state = sgd.get_state()
    with pytest.raises(ValueError, match="shape"):
        sgd.apply_gradients([(keras.constant([1.0, 1.0, 1.0]), w)])
    after = sgd.get_state()
    assert list(after) == list(state)
    for key in state:
        np.testing.assert_array_equal(after[key], state[key])
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])


def test_stateless_apply_carries_the_accumulators():
    w = keras.Variable([1.0, 2.0])
    sgd = optimizers.SGD(1.0, gradient_accumulation_steps=2)
    sgd.build([w])
    weights, state = [w], sgd.variables
    weights, state = sgd.stateless_apply(state, [[2.0, 2.0]], weights)
    np.testing.assert_array_equal(weights[0].numpy(), [1.0, 2.0])
    weights, state = sgd.stateless_apply(state, [[4.0, 0.0]], weights)
    np.testing.assert_allclose(weights[0].numpy(), [-2.0, 1.0])
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])  # the variable itself untouched
