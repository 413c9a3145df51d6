"""Lion, Adafactor, Ftrl and Lamb, and the moving average of the weights (``use_ema``) of
every optimizer: step by step against real Keras 3 on the same weights and gradients,
their configs and names, the errors a user meets, and training a small model."""

import contextlib
import inspect

import numpy as np
import pytest

import learnet as tf
from learnet import optimizers
from learnet.ops import parallel

# Keras' variables convert to NumPy through an older protocol; NumPy 2 warns about it.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

# A scalar, a vector, a matrix, a 3-D weight (Adafactor factors its last two axes), a column.
SHAPES = [(), (5,), (4, 3), (2, 3, 4), (6, 1)]

NEW = {"lion": optimizers.Lion, "adafactor": optimizers.Adafactor, "ftrl": optimizers.Ftrl, "lamb": optimizers.Lamb}

# name -> keyword arguments; the same arguments make learnet's optimizer and Keras' one.
CASES = {
    "lion": ("Lion", dict(learning_rate=0.01)),
    "lion-options": ("Lion", dict(learning_rate=0.003, beta_1=0.8, beta_2=0.95, weight_decay=0.1)),
    "adafactor": ("Adafactor", dict()),
    "adafactor-options": (
        "Adafactor",
        dict(
            learning_rate=0.5,  # above 1 / sqrt(t) from the fifth step on: the cap takes over
            beta_2_decay=-0.5,
            epsilon_1=1e-20,
            epsilon_2=1e-2,
            clip_threshold=0.5,
            relative_step=False,
            weight_decay=0.01,
        ),
    ),
    "ftrl": ("Ftrl", dict(learning_rate=0.1)),
    "ftrl-regularized": (
        "Ftrl",
        dict(
            learning_rate=0.2,
            learning_rate_power=-0.7,
            initial_accumulator_value=0.2,
            l1_regularization_strength=0.05,
            l2_regularization_strength=0.1,
            l2_shrinkage_regularization_strength=0.02,
            beta=0.3,
        ),
    ),
    "ftrl-fixed-rate": ("Ftrl", dict(learning_rate=0.05, learning_rate_power=0.0, initial_accumulator_value=0.0)),
    "lamb": ("Lamb", dict(learning_rate=0.01)),
    "lamb-options": ("Lamb", dict(learning_rate=0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-6, weight_decay=0.05)),
    "lamb-global-clipnorm": ("Lamb", dict(learning_rate=0.01, global_clipnorm=0.5)),
    "lion-clipvalue": ("Lion", dict(learning_rate=0.01, clipvalue=0.3)),
}


def _data(shapes=SHAPES, steps=6, seed=0):
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(shape).astype("float32") for shape in shapes]
    grads = [[rng.standard_normal(shape).astype("float32") for shape in shapes] for _ in range(steps)]
    return weights, grads


def _assert_close(ours, theirs, what, rtol=2e-5, atol=2e-6):
    for index, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(
            np.asarray(a), np.asarray(b), rtol=rtol, atol=atol, err_msg=f"{what}, weight {index} {np.shape(a)}"
        )


def _run_side_by_side(keras, ours, theirs, shapes=SHAPES, steps=6, seed=0, check=None):
    """Apply the same gradients with both optimizers; compare the weights after every step."""
    initial, grads = _data(shapes, steps, seed)
    our_weights = [tf.Variable(w) for w in initial]
    their_weights = [keras.Variable(w) for w in initial]
    for step, step_grads in enumerate(grads):
        ours.apply_gradients(zip([tf.constant(g) for g in step_grads], our_weights))
        theirs.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in step_grads], their_weights))
        _assert_close([w.numpy() for w in our_weights], [w.numpy() for w in their_weights], f"step {step + 1}")
        if check is not None:
            check(our_weights, their_weights)
    assert int(ours.iterations) == int(theirs.iterations.numpy()) == steps
    return our_weights, their_weights


# --- the updates, against Keras 3 ------------------------------------------------------------
@pytest.mark.parametrize("case", sorted(CASES))
def test_updates_match_keras_step_by_step(keras, case):
    class_name, arguments = CASES[case]
    _run_side_by_side(
        keras, getattr(optimizers, class_name)(**arguments), getattr(keras.optimizers, class_name)(**arguments)
    )


def test_adafactor_factors_a_matrix_and_not_a_vector(keras):
    """The row and column averages of a 2-D weight (and the full ones of a vector) equal Keras'."""
    ours, theirs = optimizers.Adafactor(learning_rate=0.1), keras.optimizers.Adafactor(learning_rate=0.1)
    shapes = [(4, 3), (5,)]

    def check(our_weights, their_weights):
        state = ours.get_state()
        matrix, vector = 0, 1
        np.testing.assert_allclose(state[f"{matrix}/row_velocity"], theirs._r[matrix].numpy(), rtol=2e-5)
        np.testing.assert_allclose(state[f"{matrix}/column_velocity"], theirs._c[matrix].numpy(), rtol=2e-5)
        np.testing.assert_allclose(state[f"{matrix}/velocity"], theirs._v[matrix].numpy(), rtol=2e-5)
        np.testing.assert_allclose(state[f"{vector}/velocity"], theirs._v[vector].numpy(), rtol=2e-5)

    _run_side_by_side(keras, ours, theirs, shapes=shapes, check=check)
    state = ours.get_state()
    assert state["0/row_velocity"].shape == (4,) and state["0/column_velocity"].shape == (3,)
    assert state["0/velocity"].shape == (4, 3) and state["1/velocity"].shape == (5,)
    assert state["1/row_velocity"].shape == () and state["1/column_velocity"].shape == ()


def test_ftrl_l1_sets_weights_to_exactly_zero_as_keras(keras):
    arguments = dict(learning_rate=0.1, l1_regularization_strength=2.0)
    our_weights, their_weights = _run_side_by_side(
        keras, optimizers.Ftrl(**arguments), keras.optimizers.Ftrl(**arguments), shapes=[(6, 5)]
    )
    zeros = our_weights[0].numpy() == 0
    assert zeros.any() and not zeros.all()
    np.testing.assert_array_equal(zeros, their_weights[0].numpy() == 0)


def test_the_state_in_keras_order_matches_keras_variables(keras):
    """get_state, read in Keras' order, holds Keras' optimizer variables (shapes and values)."""
    from learnet.keras_files import _keras_state_order

    for class_name in ("Lion", "Adafactor", "Ftrl", "Lamb"):
        ours = getattr(optimizers, class_name)(learning_rate=0.1, use_ema=True)
        theirs = getattr(keras.optimizers, class_name)(learning_rate=0.1, use_ema=True)
        _run_side_by_side(keras, ours, theirs, shapes=[(3,), (4, 2)], steps=3)
        state = ours.get_state()
        keys = _keras_state_order(state)
        assert len(keys) == len(theirs.variables), class_name
        for key, variable in zip(keys, theirs.variables):
            assert state[key].shape == tuple(variable.shape), (class_name, key, variable.path)
            if key == "iterations" or np.asarray(variable.numpy()).dtype.kind != "f":
                continue  # Keras' step counter is int32, and Adafactor's unused placeholders are int 0
            np.testing.assert_allclose(state[key], variable.numpy(), rtol=2e-5, atol=1e-6, err_msg=key)


# --- arguments and configs, against Keras 3 ------------------------------------------------------
KERAS_ONLY = {"loss_scale_factor"}  # not part of learnet
# Taken through **kwargs by learnet's subclasses (the base class reads it), so not in their signatures.
SIGNATURE_ONLY = KERAS_ONLY | {"gradient_accumulation_steps"}


@pytest.mark.parametrize("class_name", ["Lion", "Adafactor", "Ftrl", "Lamb"])
def test_arguments_defaults_and_config_keys_are_keras(keras, class_name):
    ours, theirs = getattr(optimizers, class_name), getattr(keras.optimizers, class_name)
    our_parameters = inspect.signature(ours).parameters
    their_parameters = {k: p for k, p in inspect.signature(theirs).parameters.items() if k not in SIGNATURE_ONLY}
    assert list(our_parameters) == list(their_parameters)
    for name, parameter in their_parameters.items():
        if name != "name":  # Keras numbers its names (lion, lion_1...); learnet names it "lion"
            assert our_parameters[name].default == parameter.default, name
    our_config, their_config = ours().get_config(), theirs().get_config()
    assert list(our_config) == [key for key in their_config if key not in KERAS_ONLY]
    for key, value in their_config.items():
        if key not in KERAS_ONLY | {"name"}:
            assert our_config[key] == pytest.approx(value), key
    assert our_config["name"] == class_name.lower()


def test_every_optimizer_takes_and_reports_the_ema_arguments(keras):
    for class_name in ("SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "Nadam"):
        config = getattr(optimizers, class_name)(use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=5).get_config()
        theirs = getattr(keras.optimizers, class_name)(use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=5)
        assert list(config) == [key for key in theirs.get_config() if key not in KERAS_ONLY], class_name
        assert (config["use_ema"], config["ema_momentum"], config["ema_overwrite_frequency"]) == (True, 0.9, 5)


# --- the moving average (use_ema), against Keras 3 --------------------------------------------------
@pytest.mark.parametrize(
    "class_name, arguments",
    [
        ("SGD", dict(learning_rate=0.1, momentum=0.9)),
        ("Adam", dict(learning_rate=0.05, ema_momentum=0.9)),
        ("Lion", dict(learning_rate=0.01, ema_momentum=0.8, ema_overwrite_frequency=3)),
        ("Adafactor", dict(learning_rate=0.1, ema_overwrite_frequency=2)),
        ("Ftrl", dict(learning_rate=0.1, ema_momentum=0.5)),
        ("Lamb", dict(learning_rate=0.01, ema_momentum=0.7, ema_overwrite_frequency=4, weight_decay=0.1)),
    ],
)
def test_moving_averages_match_keras(keras, class_name, arguments):
    ours = getattr(optimizers, class_name)(use_ema=True, **arguments)
    theirs = getattr(keras.optimizers, class_name)(use_ema=True, **arguments)

    def check(our_weights, their_weights):
        averages = [ours._averages[id(w)].numpy() for w in our_weights]
        _assert_close(averages, [a.numpy() for a in theirs._model_variables_moving_average], "the averages")

    our_weights, their_weights = _run_side_by_side(keras, ours, theirs, steps=7, check=check)
    ours.finalize_variable_values(our_weights)
    theirs.finalize_variable_values(their_weights)
    _assert_close([w.numpy() for w in our_weights], [w.numpy() for w in their_weights], "after finalize")


# --- the moving average, by its formula (no Keras needed) -------------------------------------------
def test_the_moving_average_follows_its_formula():
    w = tf.Variable([1.0, -1.0])
    opt = optimizers.SGD(learning_rate=0.5, use_ema=True, ema_momentum=0.75)
    expected_w, expected_average = np.array([1.0, -1.0]), None
    for step, g in enumerate([[1.0, 0.0], [0.5, 2.0], [-1.0, 1.0], [0.0, 0.25]]):
        opt.apply_gradients([(tf.constant(g), w)])
        expected_w = expected_w - 0.5 * np.array(g)
        if step == 0:
            expected_average = expected_w.copy()  # the first step's average is the weight
        else:
            expected_average = 0.75 * expected_average + 0.25 * expected_w
        np.testing.assert_allclose(w.numpy(), expected_w, rtol=1e-6)
        np.testing.assert_allclose(opt.get_state()["0/average"], expected_average, rtol=1e-6)
    opt.finalize_variable_values([w])
    np.testing.assert_allclose(w.numpy(), expected_average, rtol=1e-6)


def test_ema_overwrite_frequency_puts_the_averages_in_the_weights_every_n_steps():
    w = tf.Variable([0.0])
    opt = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2)
    values = []
    for _ in range(4):
        opt.apply_gradients([(tf.constant([-1.0]), w)])
        values.append(float(w.numpy()[0]))
    # step 1: w 1, average 1; step 2: w 2, average 1.5, overwritten: w 1.5;
    # step 3: w 2.5, average 2; step 4: w 3.5, average 2.75, overwritten.
    assert values == [1.0, 1.5, 2.5, 2.75]


def test_without_use_ema_nothing_is_averaged_or_finalized():
    w = tf.Variable([1.0, 2.0])
    opt = optimizers.Adam(learning_rate=0.1)
    opt.apply_gradients([(tf.constant([1.0, 1.0]), w)])
    before = w.numpy()
    opt.finalize_variable_values([w])
    np.testing.assert_array_equal(w.numpy(), before)
    assert not any(key.endswith("/average") for key in opt.get_state())
    assert opt.get_config()["use_ema"] is False


def test_the_averages_are_saved_and_restored_with_the_state():
    weights = [tf.Variable(np.ones((3, 2), "float32")), tf.Variable(np.zeros(2, "float32"))]
    opt = optimizers.Lion(learning_rate=0.1, use_ema=True)
    for g in ([0.5, -1.0], [1.0, 2.0]):
        opt.apply_gradients(zip([tf.constant(np.full((3, 2), g[0], "float32")), tf.constant(g)], weights))
    state = opt.get_state()
    assert list(state) == ["iterations", "learning_rate", "0/average", "1/average", "0/momentum", "1/momentum"]
    assert len(opt.variables) == len(state)
    restored = optimizers.Lion(learning_rate=0.1, use_ema=True)
    restored.build(weights)
    restored.set_state(state)
    for key, value in restored.get_state().items():
        np.testing.assert_array_equal(value, state[key])


def test_finalize_leaves_weights_it_never_updated():
    trained, untouched = tf.Variable([1.0]), tf.Variable([5.0])
    opt = optimizers.SGD(learning_rate=1.0, use_ema=True)
    opt.apply_gradients([(tf.constant([1.0]), trained)])
    opt.apply_gradients([(tf.constant([1.0]), trained)])
    opt.finalize_variable_values([trained, untouched])
    assert float(untouched.numpy()[0]) == 5.0
    np.testing.assert_allclose(trained.numpy(), [0.99 * 0.0 + 0.01 * -1.0], rtol=1e-5)


# --- names, configs, errors -----------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(NEW))
def test_get_by_name_and_config_round_trip(name):
    cls = NEW[name]
    assert type(optimizers.get(name)) is cls
    assert type(optimizers.get(name.upper())) is cls
    assert type(tf.keras.optimizers.get(name)) is cls
    opt = cls(learning_rate=0.01, use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=10, clipnorm=1.0)
    config = opt.get_config()
    clone = cls.from_config(config)
    assert type(clone) is cls and clone.get_config() == config
    again = optimizers.deserialize(optimizers.serialize(opt))
    assert type(again) is cls and again.get_config() == config
    assert getattr(tf.keras.optimizers, cls.__name__) is cls and cls.__name__ in optimizers.__all__


def test_get_suggests_the_new_names():
    with pytest.raises(ValueError, match="Did you mean 'adafactor'"):
        optimizers.get("adafactr")


def test_ftrl_is_in_the_legacy_namespace():
    assert tf.keras.optimizers.legacy.Ftrl is optimizers.Ftrl


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: optimizers.Lion(beta_1=0.0), "beta_1 must be in \\(0, 1\\]"),
        (lambda: optimizers.Lion(beta_2=1.5), "beta_2 must be in \\[0, 1\\]"),
        (lambda: optimizers.Lamb(beta_1=1.0), "beta_1 must be in \\[0, 1\\)"),
        (lambda: optimizers.Adafactor(clip_threshold=0.0), "clip_threshold must be positive"),
        (lambda: optimizers.Adafactor(epsilon_1=-1.0), "epsilon_1 must be non-negative"),
        (lambda: optimizers.Ftrl(learning_rate_power=0.5), "learning_rate_power must be <= 0"),
        (lambda: optimizers.Ftrl(l1_regularization_strength=-0.1), "l1_regularization_strength must be >= 0"),
        (lambda: optimizers.Ftrl(initial_accumulator_value=-1.0), "initial_accumulator_value must be >= 0"),
        (lambda: optimizers.Ftrl(learning_rate=0.0), "learning_rate must be positive"),
        (lambda: optimizers.Adam(use_ema=True, ema_momentum=1.5), "ema_momentum must be in \\[0, 1\\]"),
        (lambda: optimizers.Lion(use_ema=True, ema_overwrite_frequency=2.5), "ema_overwrite_frequency"),
        (lambda: optimizers.Lamb(use_ema=True, ema_overwrite_frequency=-1), "ema_overwrite_frequency"),
    ],
)
def test_bad_arguments_are_refused_clearly(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_unknown_arguments_are_refused_by_name():
    with pytest.raises(TypeError, match="beta1"):
        optimizers.Lion(beta1=0.9)


@pytest.mark.parametrize("name", sorted(NEW))
def test_a_bad_gradient_changes_nothing(name):
    weights = [tf.Variable(np.ones((3, 2), "float32")), tf.Variable(np.ones(4, "float32"))]
    opt = NEW[name](learning_rate=0.1, use_ema=True)
    opt.apply_gradients(
        zip([tf.constant(np.full((3, 2), 0.5, "float32")), tf.constant(np.ones(4, "float32"))], weights)
    )
    values, state = [w.numpy() for w in weights], opt.get_state()
    with pytest.raises(ValueError, match="has shape"):
        opt.apply_gradients(zip([tf.constant(np.ones((3, 2), "float32")), tf.constant(np.ones(3, "float32"))], weights))
    for before, w in zip(values, weights):
        np.testing.assert_array_equal(w.numpy(), before)
    for key, value in opt.get_state().items():
        np.testing.assert_array_equal(value, state[key])


def test_ftrl_refuses_a_zero_rate_at_a_step_and_changes_nothing():
    w = tf.Variable([1.0, 2.0])
    opt = optimizers.Ftrl(learning_rate=0.1, weight_decay=0.1)
    opt.apply_gradients([(tf.constant([0.5, 0.5]), w)])
    before, state = w.numpy(), opt.get_state()
    opt.learning_rate = 0.0
    with pytest.raises(ValueError, match="learning rate must be positive"):
        opt.apply_gradients([(tf.constant([0.5, 0.5]), w)])
    np.testing.assert_array_equal(w.numpy(), before)
    assert int(opt.iterations) == 1 and np.array_equal(opt.get_state()["0/linear"], state["0/linear"])


def test_finalize_wants_variables():
    opt = optimizers.SGD(use_ema=True)
    with pytest.raises(TypeError, match="expects Variables"):
        opt.finalize_variable_values([np.ones(2)])


# --- whole-weight updates are never split over threads ---------------------------------------------
@pytest.mark.parametrize("name", sorted(NEW))
def test_threads_give_the_same_result(name):
    shape = (parallel.MIN_ELEMENTS // 64 + 5, 64)
    rng = np.random.default_rng(1)
    initial = rng.standard_normal(shape).astype("float32")
    grads = [rng.standard_normal(shape).astype("float32") for _ in range(3)]
    before = parallel.num_threads()
    results = []
    try:
        for threads in (1, 4):
            parallel.set_num_threads(threads)
            w = tf.Variable(initial)
            opt = NEW[name](learning_rate=0.01)
            for g in grads:
                opt.apply_gradients([(tf.constant(g), w)])
            results.append(w.numpy())
    finally:
        parallel.set_num_threads(before)
    np.testing.assert_array_equal(results[0], results[1])


# --- on a GPU (CuPy's rules, on the NumPy stand-in): no step waits for the device -----------------
@pytest.mark.parametrize("name", sorted(NEW))
def test_steps_stay_on_the_device_and_give_the_numbers_of_numpy(name):
    from gpu import device_standin as standin

    from learnet import backend

    initial, grads = _data(shapes=[(4, 3), (5,), ()], steps=4)

    def run(to_array, watch=lambda: contextlib.nullcontext()):
        weights = [tf.Variable(to_array(w)) for w in initial]
        opt = NEW[name](learning_rate=0.05, use_ema=True, ema_overwrite_frequency=3, weight_decay=0.01)
        opt.apply_gradients(zip([to_array(g) for g in grads[0]], weights))  # creates the slots
        for step_grads in grads[1:]:
            step_grads = [to_array(g) for g in step_grads]
            with watch():
                opt.apply_gradients(zip(step_grads, weights))
        return [w.numpy() for w in weights], opt.get_state()

    expected, expected_state = run(np.asarray)
    backend._use_module(standin.cupy, standin.cupyx.scatter_add, "cupy", check=False)
    try:
        weights, state = run(standin.cupy.asarray, lambda: standin.forbid("to_host", "syncs", "to_device"))
    finally:
        backend._use_module(np, None, "numpy", check=False)
    _assert_close(weights, expected, "on the device", rtol=1e-6, atol=1e-7)
    _assert_close([state[k] for k in expected_state], list(expected_state.values()), "state", rtol=1e-6, atol=1e-7)


# --- training ------------------------------------------------------------------------------------
def _regression_model(optimizer):
    tf.random.set_seed(0)
    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(8, "relu"), tf.keras.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 4)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]], "float32") + 1.0).astype("float32")
    return model, x, y


@pytest.mark.parametrize("name", ["adafactor", "lion", "lamb", "ftrl"])
def test_compile_by_name_trains_a_small_model(name):
    """With Keras' default rates (small), the loss goes down every epoch."""
    model, x, y = _regression_model(name)
    assert type(model.optimizer) is NEW[name]
    first = model.evaluate(x, y, verbose=0)
    losses = model.fit(x, y, epochs=4, batch_size=32, verbose=0).history["loss"]
    assert all(later < earlier for earlier, later in zip([first] + losses, losses))
    assert model.evaluate(x, y, verbose=0) < first


@pytest.mark.parametrize(
    "optimizer",
    [
        lambda: optimizers.Adafactor(learning_rate=0.1),
        lambda: optimizers.Lion(learning_rate=0.01),
        lambda: optimizers.Lamb(learning_rate=0.05),
        lambda: optimizers.Ftrl(learning_rate=0.5),
        lambda: optimizers.Adafactor(learning_rate=0.1, use_ema=True, ema_momentum=0.9),
    ],
)
def test_a_small_model_learns_the_function(optimizer):
    model, x, y = _regression_model(optimizer())
    first = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.2 * first


# --- Keras' .keras files: the optimizer and its state travel both ways --------------------------------
@pytest.mark.parametrize(
    "name, arguments",
    [
        ("Lion", dict(learning_rate=0.02)),
        ("Adafactor", dict(learning_rate=0.02, use_ema=True)),
        ("Ftrl", dict(learning_rate=0.02, l1_regularization_strength=0.01)),
        ("Lamb", dict(learning_rate=0.02, use_ema=True, ema_momentum=0.9)),
    ],
)
def test_the_optimizer_and_its_state_travel_through_keras_files(keras, tmp_path, name, arguments):
    from learnet import keras_files

    x = np.random.default_rng(7).random((8, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[np.arange(8) % 3]

    def compiled(M):
        model = M.Sequential([M.Input((4,)), M.layers.Dense(3, activation="softmax")])
        model.compile(optimizer=getattr(M.optimizers, name)(**arguments), loss="categorical_crossentropy")
        model.fit(x, y, batch_size=4, verbose=0)
        return model

    def same(learnet_optimizer, keras_optimizer):
        assert type(learnet_optimizer).__name__ == type(keras_optimizer).__name__ == name
        config = learnet_optimizer.get_config()
        their_config = keras_optimizer.get_config()
        for key in config:
            if key != "name":
                assert config[key] == pytest.approx(their_config[key]), key
        state = learnet_optimizer.get_state()
        theirs = [np.asarray(v) for v in keras_optimizer.variables]
        assert len(state) == len(theirs)
        for key, value in zip(keras_files._keras_state_order(state), theirs):
            np.testing.assert_allclose(np.asarray(state[key], float), value.astype(float), atol=1e-6, err_msg=key)

    theirs = compiled(keras)
    theirs.save(tmp_path / "k.keras")
    same(tf.keras.models.load_model(tmp_path / "k.keras").optimizer, theirs.optimizer)

    mine = compiled(tf.keras)
    mine.save(tmp_path / "l.keras")
    same(mine.optimizer, keras.models.load_model(tmp_path / "l.keras").optimizer)
