"""Keras 3's stateless API (``Metric.stateless_update_state``, ``Layer.stateless_call``,
``Optimizer.stateless_apply``) and a layer's ``dtype_policy``, against real Keras 3: the same
values in give the same values out, and the objects' own state is left as it was."""

import numpy as np
import pytest

import learnet
from learnet import layers

# --- metrics -------------------------------------------------------------------------------------------
Y_TRUE = np.array([0, 2, 1, 1, 0], "int64")
Y_PRED = np.random.default_rng(0).random((5, 3)).astype("float32")
Y_REG = np.random.default_rng(1).random((5, 3)).astype("float32")
Y_BIN = np.array([0, 1, 1, 0, 1], "float32")
P_BIN = np.array([0.2, 0.8, 0.4, 0.6, 0.9], "float32")

METRICS = [
    ("Mean", {}, lambda: (Y_PRED.ravel(),)),
    ("Sum", {}, lambda: (Y_PRED.ravel(),)),
    ("SparseCategoricalAccuracy", {}, lambda: (Y_TRUE, Y_PRED)),
    ("MeanSquaredError", {}, lambda: (Y_REG, Y_PRED)),
    ("RootMeanSquaredError", {}, lambda: (Y_REG, Y_PRED)),
    ("AUC", {"num_thresholds": 5}, lambda: (Y_BIN, P_BIN)),
]


def _values(values):
    return [np.asarray(v) for v in values]


@pytest.mark.parametrize("name, kwargs, args", METRICS)
def test_built_in_metrics_update_statelessly_as_keras(keras, name, kwargs, args):
    ours, theirs = getattr(learnet.metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
    assert [v.name.split("/")[-1] for v in ours.variables] == [v.name for v in theirs.variables]
    assert [tuple(v.shape) for v in ours.variables] == [tuple(v.shape) for v in theirs.variables]
    ours.update_state(*args())  # the metric's own state, which the stateless calls leave alone
    before = float(ours.result())
    start = [np.full(tuple(v.shape), 2.0, "float32") for v in theirs.variables]
    mine = ours.stateless_update_state(start, *args())
    other = theirs.stateless_update_state(start, *args())
    for a, b in zip(_values(mine), _values(other)):
        np.testing.assert_allclose(a, b, rtol=1e-5)
    np.testing.assert_allclose(float(ours.stateless_result(mine)), float(theirs.stateless_result(other)), rtol=1e-5)
    for a, b in zip(_values(ours.stateless_reset_state()), _values(theirs.stateless_reset_state())):
        np.testing.assert_array_equal(a, b)
    assert float(ours.result()) == before  # unchanged, to the bit


def test_stateless_updates_from_the_metrics_variables_give_the_stateful_result():
    stateful, stateless = learnet.metrics.SparseCategoricalAccuracy(), learnet.metrics.SparseCategoricalAccuracy()
    state = stateless.variables
    for rows in (slice(0, 2), slice(2, 5)):
        stateful.update_state(Y_TRUE[rows], Y_PRED[rows])
        state = stateless.stateless_update_state(state, Y_TRUE[rows], Y_PRED[rows])
    assert float(stateless.stateless_result(state)) == float(stateful.result())
    assert float(stateless.result()) == 0.0


def _custom_metric_class(M):
    class Total(M.metrics.Metric):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.total = self.add_weight(name="total", initializer="zeros")
            self.seen = self.add_weight(name="seen", shape=(2,), initializer="zeros")

        def update_state(self, values, sample_weight=None):
            values = M.ops.convert_to_tensor(values, "float32")
            self.total.assign_add(M.ops.sum(values))
            self.seen.assign_add(M.ops.stack([M.ops.max(values), M.ops.cast(M.ops.size(values), "float32")]))

        def result(self):
            return self.total / self.seen[1]

    return Total


def test_a_custom_metric_with_add_weight_updates_statelessly_as_keras(keras):
    ours, theirs = _custom_metric_class(learnet)(), _custom_metric_class(keras)()
    values = np.array([1.0, 4.0, 2.0], "float32")
    assert [v.name.split("/")[-1] for v in ours.variables] == [v.name for v in theirs.variables]
    start = [np.float32(3.0), np.array([1.0, 2.0], "float32")]
    mine, other = ours.stateless_update_state(start, values), theirs.stateless_update_state(start, values)
    for a, b in zip(_values(mine), _values(other)):
        np.testing.assert_allclose(a, b)
    assert float(ours.stateless_result(mine)) == pytest.approx(float(theirs.stateless_result(other)))
    assert [float(np.sum(v.numpy())) for v in ours.variables] == [0.0, 0.0]


def test_metric_variables_of_the_wrong_length_or_shape_are_refused_and_change_nothing():
    metric = learnet.metrics.Mean()
    metric.update_state([1.0, 2.0])
    with pytest.raises(ValueError, match="list of 2 values"):
        metric.stateless_update_state([1.0], [3.0])
    with pytest.raises(ValueError, match="has shape"):
        metric.stateless_result([np.zeros(3), 1.0])
    assert float(metric.result()) == 1.5

    class Loose(learnet.metrics.Metric):  # state outside add_weight: nothing to pass in and out
        def update_state(self, values):
            self.last = values

        def result(self):
            return 0.0

    with pytest.raises(ValueError, match="add_weight"):
        Loose().stateless_update_state([], [1.0])


# --- layers, models, optimizers --------------------------------------------------------------------------
def _model(M, seed=0):
    model = M.Sequential(
        [
            M.Input((4,)),
            # The batch normalization first: a bias just before it gets a gradient of zero up to
            # rounding, which Adam's first step would blow up to a whole step either way.
            M.layers.BatchNormalization(),
            M.layers.Dense(8, activation="relu", kernel_regularizer=M.regularizers.L2(0.01)),
            M.layers.Dense(3),
        ]
    )
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    model.layers[0].moving_variance.assign(np.abs(model.layers[0].moving_variance.numpy()) + 0.5)
    return model


X = np.random.default_rng(2).normal(size=(6, 4)).astype("float32")
Y = np.array([0, 1, 2, 2, 1, 0])


@pytest.mark.parametrize("training", [True, False])
def test_model_stateless_call_gives_keras_outputs_and_new_statistics(keras, training):
    ours, theirs = _model(learnet), _model(keras)
    theirs.set_weights(ours.get_weights())
    before = [w.copy() for w in ours.get_weights()]
    rng = np.random.default_rng(4)
    trainable = [rng.normal(size=tuple(v.shape)).astype("float32") for v in ours.trainable_variables]
    non_trainable = [np.abs(rng.normal(size=tuple(v.shape))).astype("float32") for v in ours.non_trainable_variables]
    mine = ours.stateless_call(trainable, non_trainable, X, training=training, return_losses=True)
    other = theirs.stateless_call(trainable, non_trainable, X, training=training, return_losses=True)
    np.testing.assert_allclose(np.asarray(mine[0]), np.asarray(other[0]), rtol=1e-4, atol=1e-5)
    for a, b in zip(_values(mine[1]), _values(other[1])):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(sum(float(loss) for loss in mine[2]), sum(float(loss) for loss in other[2]), rtol=1e-5)
    for a, b in zip(ours.get_weights(), before):
        np.testing.assert_array_equal(a, b)  # the model's own weights are as they were
    outputs, new = ours.stateless_call(trainable, non_trainable, X)
    assert len(new) == 2 and tuple(outputs.shape) == (6, 3)


def test_layer_stateless_call_gradients_reach_the_values_given():
    dense = layers.Dense(2, kernel_regularizer="l2")
    dense.build((None, 3))
    kernel = learnet.constant(np.random.default_rng(5).normal(size=(3, 2)).astype("float32"))
    bias = learnet.constant([0.5, -0.5])
    x = learnet.constant(X[:, :3])
    with learnet.GradientTape() as tape:
        tape.watch([kernel, bias])
        y, _, losses = dense.stateless_call([kernel, bias], [], x, return_losses=True)
        loss = learnet.reduce_sum(y * y) + losses[0]
    grads = tape.gradient(loss, [kernel, bias])
    with learnet.GradientTape() as tape:
        tape.watch([kernel, bias])
        y = learnet.matmul(x, kernel) + bias
        expected = learnet.reduce_sum(y * y) + 0.01 * learnet.reduce_sum(kernel * kernel)
    for got, want in zip(grads, tape.gradient(expected, [kernel, bias])):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5)
    assert not np.allclose(dense.kernel.numpy(), kernel.numpy())  # the layer's own kernel is untouched


def test_stateless_call_refuses_bad_values_and_changes_nothing():
    model = _model(learnet)
    before = model.get_weights()
    trainable = [v.numpy() for v in model.trainable_variables]
    non_trainable = [v.numpy() for v in model.non_trainable_variables]
    with pytest.raises(ValueError, match="one value per entry"):
        model.stateless_call(trainable[:-1], non_trainable, X)
    with pytest.raises(ValueError, match="has shape"):
        model.stateless_call(trainable[:-1] + [np.zeros(7)], non_trainable, X)
    with pytest.raises(ValueError, match="must be built"):
        layers.Dense(2).stateless_call([], [], X)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_optimizer_stateless_apply_as_keras(keras):
    ours, theirs = _model(learnet), _model(keras)
    theirs.set_weights(ours.get_weights())
    mine_opt, their_opt = learnet.optimizers.Adam(0.05), keras.optimizers.Adam(0.05)
    mine_opt.build(ours.trainable_variables)
    their_opt.build(theirs.trainable_variables)
    assert [tuple(v.shape) for v in mine_opt.variables] == [tuple(v.shape) for v in their_opt.variables]
    rng = np.random.default_rng(6)
    grads = [rng.normal(size=tuple(v.shape)).astype("float32") for v in ours.trainable_variables]
    weights = [v.numpy() for v in ours.trainable_variables]
    state = [np.asarray(v) for v in their_opt.variables]
    state[0] = np.asarray(3, state[0].dtype)  # a few steps in, moments not zero
    state[2:] = [np.abs(rng.normal(size=s.shape)).astype("float32") for s in state[2:]]
    new_weights, new_state = mine_opt.stateless_apply(state, grads, weights)
    their_weights, their_state = their_opt.stateless_apply(state, grads, weights)
    for a, b in zip(_values(new_weights) + _values(new_state), _values(their_weights) + _values(their_state)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert int(mine_opt.iterations.numpy()) == 0
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, np.asarray(b))


def test_optimizer_stateless_apply_refuses_bad_input_and_changes_nothing():
    w = learnet.Variable([1.0, 2.0])
    sgd = learnet.optimizers.SGD(0.1, momentum=0.9)
    with pytest.raises(ValueError, match="must be built"):
        sgd.stateless_apply([], [[1.0, 1.0]], [w])
    sgd.build([w])
    with pytest.raises(ValueError, match="must hold 3 values"):
        sgd.stateless_apply(sgd.variables[:2], [[1.0, 1.0]], [w])
    with pytest.raises(ValueError, match="gradients"):
        sgd.stateless_apply(sgd.variables, [], [w])
    with pytest.raises(ValueError, match="has shape"):
        sgd.stateless_apply(sgd.variables, [[1.0, 1.0]], [[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])
    assert int(sgd.iterations.numpy()) == 0


def _jax_style_step(model, optimizer, loss_fn, metric, state, x, y):
    """One training step as the Keras book writes it for JAX, with a GradientTape for the gradient."""
    trainable, non_trainable, optimizer_variables, metric_variables = state
    with learnet.GradientTape() as tape:
        tape.watch(trainable)
        y_pred, non_trainable, losses = model.stateless_call(
            trainable, non_trainable, x, training=True, return_losses=True
        )
        loss = loss_fn(y, y_pred) + sum(losses)
    grads = tape.gradient(loss, trainable)
    trainable, optimizer_variables = optimizer.stateless_apply(optimizer_variables, grads, trainable)
    metric_variables = metric.stateless_update_state(metric_variables, y, y_pred)
    return loss, (trainable, non_trainable, optimizer_variables, metric_variables)


def test_a_jax_style_training_step_matches_a_fit_step_and_keras(keras):
    import jax

    model = _model(learnet)
    loss_fn = learnet.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer, metric = learnet.optimizers.Adam(0.01), learnet.metrics.SparseCategoricalAccuracy()
    optimizer.build(model.trainable_variables)
    initial = model.get_weights()
    state = (
        [learnet.constant(v.numpy()) for v in model.trainable_variables],
        [v.numpy() for v in model.non_trainable_variables],
        optimizer.variables,
        metric.variables,
    )
    loss, state = _jax_style_step(model, optimizer, loss_fn, metric, state, X, Y)
    for a, b in zip(model.get_weights(), initial):
        np.testing.assert_array_equal(a, b)  # nothing of the model moved

    fitted = _model(learnet)
    fitted.set_weights(initial)
    fitted.compile(
        optimizer=learnet.optimizers.Adam(0.01),
        loss=learnet.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["sparse_categorical_accuracy"],
    )
    history = fitted.fit(X, Y, batch_size=len(X), epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(float(loss), history.history["loss"][0], rtol=1e-5)
    for got, want in zip(_values(state[0]), [v.numpy() for v in fitted.trainable_variables]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    for got, want in zip(_values(state[1]), [v.numpy() for v in fitted.non_trainable_variables]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    for got, want in zip(_values(state[2]), [v.numpy() for v in fitted.optimizer.variables]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert float(metric.stateless_result(state[3])) == pytest.approx(history.history["sparse_categorical_accuracy"][0])

    # The same step in Keras 3 on JAX, with jax.value_and_grad.
    theirs = _model(keras)
    theirs.set_weights(initial)
    their_loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    their_opt = keras.optimizers.Adam(0.01)
    their_opt.build(theirs.trainable_variables)

    def compute_loss(trainable, non_trainable, x, y):
        y_pred, non_trainable, losses = theirs.stateless_call(
            trainable, non_trainable, x, training=True, return_losses=True
        )
        return their_loss_fn(y, y_pred) + sum(losses), non_trainable

    (their_value, their_non_trainable), grads = jax.value_and_grad(compute_loss, has_aux=True)(
        [v.value for v in theirs.trainable_variables], [v.value for v in theirs.non_trainable_variables], X, Y
    )
    their_trainable, their_state = their_opt.stateless_apply(
        [v.value for v in their_opt.variables], grads, [v.value for v in theirs.trainable_variables]
    )
    np.testing.assert_allclose(float(loss), float(their_value), rtol=1e-5)
    for got, want in zip(
        _values(state[0]) + _values(state[1]) + _values(state[2]),
        _values(their_trainable) + _values(their_non_trainable) + _values(their_state),
    ):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


# --- dtype_policy ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [None, "float32", "float64", "float16", "mixed_float16", "mixed_bfloat16"])
def test_a_layers_dtype_policy_is_named_as_in_keras(keras, dtype):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = layers.Dense(2, dtype=dtype), keras.layers.Dense(2, dtype=dtype)
    assert repr(ours.dtype_policy) == repr(theirs.dtype_policy)
    assert ours.dtype_policy.name == theirs.dtype_policy.name
    assert ours.dtype_policy.compute_dtype == theirs.dtype_policy.compute_dtype
    assert ours.dtype_policy.variable_dtype == theirs.dtype_policy.variable_dtype == ours.variable_dtype
    if dtype is None or not dtype.startswith("mixed_"):
        assert ours.compute_dtype == theirs.compute_dtype
    else:
        assert ours.compute_dtype == "float32"  # learnet computes mixed policies in float32


def test_the_global_mixed_policy_names_new_layers_policies():
    with pytest.warns(UserWarning, match="keeps computing in float32"):
        learnet.mixed_precision.set_global_policy("mixed_float16")
    try:
        dense = layers.Dense(2)
        assert dense.dtype_policy == learnet.mixed_precision.DTypePolicy("mixed_float16")
        assert dense(np.ones((1, 3), "float32")).dtype == np.float32
    finally:
        learnet.mixed_precision.set_global_policy("float32")
    assert layers.Dense(2).dtype_policy.name == "float32"


def test_setting_the_dtype_policy_sets_the_compute_dtype_and_refuses_nonsense():
    dense = layers.Dense(2)
    dense.dtype_policy = "float64"
    assert dense.dtype == dense.compute_dtype == "float64" and dense.dtype_policy.name == "float64"
    dense.dtype_policy = learnet.mixed_precision.Policy("mixed_float16")
    assert dense.dtype_policy.name == "mixed_float16" and dense.compute_dtype == "float32"
    for bad in ("float8", 3):
        with pytest.raises(ValueError, match="dtype policy|dtype_policy"):
            dense.dtype_policy = bad
    assert dense.dtype_policy.name == "mixed_float16"
    with pytest.raises(ValueError, match="unknown policy"):
        learnet.mixed_precision.set_global_policy("int32")
    assert learnet.mixed_precision.global_policy().name == "float32"
