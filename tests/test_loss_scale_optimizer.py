"""``keras.optimizers.LossScaleOptimizer``: dynamic loss scaling, step by step as Keras 3 does it."""

import os

import numpy as np
import pytest

import learnet
from learnet import optimizers

os.environ.setdefault("KERAS_BACKEND", "jax")  # real Keras 3 on JAX, as the conftest fixture uses it
keras = pytest.importorskip("keras")

X = np.random.default_rng(0).random((8, 3)).astype("float32")
Y = np.random.default_rng(1).random((8, 2)).astype("float32")


def _pair(initial_scale=8.0, growth=2):  # the same optimizer in learnet and in Keras 3
    ours = optimizers.LossScaleOptimizer(
        optimizers.Adam(0.01), initial_scale=initial_scale, dynamic_growth_steps=growth
    )
    theirs = keras.optimizers.LossScaleOptimizer(
        keras.optimizers.Adam(0.01), initial_scale=initial_scale, dynamic_growth_steps=growth
    )
    return ours, theirs


def test_steps_skips_and_scale_follow_the_rule_keras_documents():
    # Keras 3's own stateful apply does not run eagerly on JAX, so its rule is kept by hand here:
    # a non-finite gradient skips the step, halves the scale and resets the counter; after
    # `dynamic_growth_steps` finite steps the scale doubles. The inner steps are Keras' Adam's.
    ours = optimizers.LossScaleOptimizer(optimizers.Adam(0.01), initial_scale=8.0, dynamic_growth_steps=2)
    inner = keras.optimizers.Adam(0.01)
    w_ours = learnet.Variable(np.ones((3, 2), "float32"))
    w_theirs = keras.Variable(np.ones((3, 2), "float32"))
    scale, counter = 8.0, 0
    scaled = (
        [np.full((3, 2), 4.0, "float32")] * 3 + [np.full((3, 2), np.inf, "float32")] + [np.ones((3, 2), "float32")] * 4
    )
    for g in scaled:
        ours.apply_gradients([(g, w_ours)])
        if np.isfinite(g).all():
            inner.apply([keras.ops.convert_to_tensor(g / np.float32(scale))], [w_theirs])
            counter += 1
            if counter == 2:
                scale, counter = scale * 2, 0
        else:
            scale, counter = scale / 2, 0
        assert (float(ours.dynamic_scale), int(ours.step_counter)) == (scale, counter)
        assert int(ours.iterations) == int(inner.iterations)
        np.testing.assert_allclose(w_ours.numpy(), np.asarray(w_theirs), rtol=1e-6)


def test_fit_scales_the_loss_and_matches_keras():
    model = learnet.Sequential([learnet.Input((3,)), learnet.layers.Dense(2)])
    reference = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    reference.set_weights(model.get_weights())
    ours, theirs = _pair()
    model.compile(ours, "mse")
    reference.compile(theirs, "mse")
    model.fit(X, Y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    reference.fit(X, Y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(model.predict(X, verbose=0), reference.predict(X, verbose=0), atol=1e-5)
    assert float(ours.dynamic_scale) == float(theirs.dynamic_scale) == 64.0


def test_keras2_custom_loop_with_scaled_loss_and_unscaled_gradients():
    # TensorFlow's mixed-precision guide: get_scaled_loss, then get_unscaled_gradients.
    w = learnet.Variable(2.0)
    opt = learnet.mixed_precision.LossScaleOptimizer(optimizers.SGD(0.25), initial_scale=1024.0)
    with learnet.GradientTape() as tape:
        loss = w * w
        scaled = opt.get_scaled_loss(loss)
    (gradient,) = opt.get_unscaled_gradients(tape.gradient(scaled, [w]))
    assert float(gradient) == 4.0
    opt.apply_gradients([(gradient, w)])
    assert float(w) == 1.0 and float(opt.loss_scale) == 1024.0 and opt.dynamic


@pytest.mark.parametrize("direction", ["learnet to keras", "keras to learnet"])
def test_keras_files_carry_the_scale_and_the_inner_state(tmp_path, direction):
    path = tmp_path / "model.keras"
    ours, theirs = _pair()
    if direction == "learnet to keras":
        writer = learnet.Sequential([learnet.Input((3,)), learnet.layers.Dense(2)])
        writer.compile(ours, "mse")
        writer.fit(X, Y, verbose=0, epochs=3)
        writer.save(path)
        reader = keras.models.load_model(path)
    else:
        writer = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        writer.compile(theirs, "mse")
        writer.fit(X, Y, verbose=0, epochs=3)
        writer.save(path)
        reader = learnet.models.load_model(path)
    assert type(reader.optimizer).__name__ == "LossScaleOptimizer"
    assert float(reader.optimizer.dynamic_scale) == 16.0 and int(reader.optimizer.iterations) == 3
    saved = [np.asarray(v) for v in writer.optimizer.variables]
    loaded = [np.asarray(v) for v in reader.optimizer.variables]
    assert len(saved) == len(loaded) == 10
    for a, b in zip(saved, loaded):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_config_round_trip():
    opt = optimizers.LossScaleOptimizer(optimizers.RMSprop(0.003), initial_scale=32.0, dynamic_growth_steps=7)
    again = optimizers.deserialize(optimizers.serialize(opt))
    assert isinstance(again.inner_optimizer, optimizers.RMSprop)
    assert float(again.learning_rate) == pytest.approx(0.003)
    assert (again.initial_scale, again.dynamic_growth_steps) == (32.0, 7)


@pytest.mark.parametrize(
    "arguments, error, message",
    [
        ({"inner_optimizer": "adam"}, TypeError, "wraps an optimizer"),
        ({"initial_scale": 0.0}, ValueError, "initial_scale"),
        ({"dynamic_growth_steps": 0}, ValueError, "dynamic_growth_steps"),
        ({"dynamic": False}, ValueError, "dynamic=False"),
        ({"clipnorm": 1.0}, ValueError, "clipnorm"),
    ],
)
def test_bad_arguments_are_refused(arguments, error, message):
    arguments = {"inner_optimizer": optimizers.SGD(), **arguments}
    with pytest.raises(error, match=message):
        optimizers.LossScaleOptimizer(**arguments)


def test_a_state_that_does_not_fit_changes_nothing():
    opt = optimizers.LossScaleOptimizer(optimizers.SGD(0.1), initial_scale=8.0)
    w = learnet.Variable(1.0)
    opt.build([w])
    state = opt.get_state()
    with pytest.raises(ValueError, match="dynamic_scale"):
        opt.set_state({**state, "dynamic_scale": np.float32(-1.0)})
    with pytest.raises(ValueError, match="missing"):
        opt.set_state({k: v for k, v in state.items() if k != "step_counter"})
    assert float(opt.dynamic_scale) == 8.0
