"""The class registry: where configs and files find classes by name."""

import subprocess
import sys

import pytest

import learnet
from learnet import activations, registry


@pytest.fixture(autouse=True)
def _registry_restored():
    """Classes these tests register are forgotten afterwards, so other tests see a clean registry."""
    registered, names = dict(registry._REGISTERED), dict(registry._NAMES)
    yield
    registry._REGISTERED.clear()
    registry._REGISTERED.update(registered)
    registry._NAMES.clear()
    registry._NAMES.update(names)


def test_builtin_classes_are_found_whatever_was_imported_before():
    code = (
        "from learnet import registry; "
        "print(registry.builtin_class('Dense').__name__, registry.builtin_class('Sequential').__name__, "
        "registry.builtin_class('Model').__name__, registry.builtin_class('Nope'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["Dense", "Sequential", "Functional", "None"]


def test_only_learnet_classes_are_builtin():
    class Mine(learnet.layers.Layer):
        pass

    assert registry.builtin_class("Mine") is None
    assert registry.builtin_class("Layer") is learnet.layers.Layer


def test_registered_classes_and_custom_objects():
    @registry.register_keras_serializable(package="Tests")
    class Doubler(learnet.layers.Layer):
        def call(self, x):
            return x * 2.0

    assert registry.get_registered_object("Doubler") is Doubler
    assert registry.get_registered_object("Tests>Doubler") is Doubler
    assert registry.get_registered_name(Doubler) == "Tests>Doubler"
    other = object()
    assert registry.get_registered_object("Doubler", {"Doubler": other}) is other
    assert learnet.saving.register_keras_serializable is registry.register_keras_serializable


def test_an_activation_layer_by_class_name_comes_from_the_registry():
    layer = activations.get({"class_name": "LeakyReLU", "config": {"negative_slope": 0.1}})
    assert type(layer).__name__ == "LeakyReLU" and layer.negative_slope == 0.1


def test_layers_serialize_and_deserialize_through_the_registry():
    from learnet.layers import serialization

    entry = serialization.serialize(learnet.layers.Dense(4, activation="relu", name="d"))
    layer = serialization.deserialize(entry)
    assert type(layer).__name__ == "Dense" and layer.units == 4 and layer.name == "d"


def test_every_family_finds_a_registered_class_by_name():
    from learnet import constraints, initializers, losses, metrics, optimizers, regularizers, schedules

    @registry.register_keras_serializable(package="Tests")
    class HalfLoss(losses.Loss):
        def call(self, y_true, y_pred):
            return 0.5 * losses.mean_squared_error(y_true, y_pred)

    @registry.register_keras_serializable(package="Tests")
    class CountMetric(metrics.Sum):
        pass

    @registry.register_keras_serializable(package="Tests")
    class SlowSGD(optimizers.SGD):
        pass

    @registry.register_keras_serializable(package="Tests")
    class Halving(schedules.ExponentialDecay):
        pass

    @registry.register_keras_serializable(package="Tests")
    class Fives(initializers.Constant):
        pass

    @registry.register_keras_serializable(package="Tests")
    class Tiny(regularizers.L2):
        pass

    @registry.register_keras_serializable(package="Tests")
    class Positive(constraints.NonNeg):
        pass

    assert type(losses.deserialize(losses.serialize(HalfLoss()))) is HalfLoss
    assert type(metrics.deserialize(metrics.serialize(CountMetric()))) is CountMetric
    assert type(optimizers.deserialize(optimizers.serialize(SlowSGD()))) is SlowSGD
    schedule = Halving(0.1, decay_steps=10, decay_rate=0.5)
    assert type(schedules.deserialize(schedules.serialize(schedule))) is Halving
    assert type(initializers.get(initializers.serialize(Fives(5.0)))) is Fives
    assert type(regularizers.get(regularizers.serialize(Tiny(0.01)))) is Tiny
    assert type(constraints.deserialize(constraints.serialize(Positive()))) is Positive
    with pytest.raises(ValueError, match="unknown loss class 'Nowhere'"):
        losses.deserialize({"class_name": "Nowhere", "config": {}})


def test_layers_deserialize_finds_a_registered_layer():
    @registry.register_keras_serializable(package="Tests")
    class Shift(learnet.layers.Layer):
        def call(self, x):
            return x + 1.0

    layer = learnet.layers.deserialize(learnet.layers.serialize(Shift(name="s")))
    assert type(layer) is Shift and layer.name == "s"
