"""keras.saving.serialize_keras_object / deserialize_keras_object / get_custom_objects, and
layers.serialize with the Keras objects inside a config, as Keras 3 writes them."""

import pytest

import learnet as keras


def test_builtin_objects_round_trip_in_keras_3_form():
    config = keras.saving.serialize_keras_object(keras.regularizers.L1(0.005))
    assert config == {
        "module": "keras.regularizers",
        "class_name": "L1",
        "config": config["config"],
        "registered_name": None,
    }
    assert config["config"]["l1"] == pytest.approx(0.005)
    assert type(keras.saving.deserialize_keras_object(config)).__name__ == "L1"
    for obj, module in [
        (keras.layers.Dense(3, kernel_regularizer="l2"), "keras.layers"),
        (keras.optimizers.Adam(1e-3), "keras.optimizers"),
        (keras.initializers.HeNormal(seed=1), "keras.initializers"),
        (keras.losses.Huber(delta=2.0), "keras.losses"),
    ]:
        described = keras.saving.serialize_keras_object(obj)
        assert described["module"] == module
        again = keras.utils.deserialize_keras_object(keras.utils.serialize_keras_object(obj))
        assert type(again) is type(obj) and again.get_config() == obj.get_config()
    assert keras.saving.serialize_keras_object([1, (2.5, "a"), {"k": None}]) == [1, [2.5, "a"], {"k": None}]
    assert keras.saving.serialize_keras_object(keras.activations.relu) == "relu"


def test_registered_classes_are_found_by_their_registered_name():
    @keras.saving.register_keras_serializable(package="Guide", name="KernelMult")
    class Multiplied(keras.layers.Layer):
        def __init__(self, units, nested=None, **kwargs):
            super().__init__(**kwargs)
            self.units, self.nested = units, nested

        def get_config(self):
            return {**super().get_config(), "units": self.units, "nested": self.nested}

    assert keras.saving.get_custom_objects()["Guide>KernelMult"] is Multiplied
    assert keras.saving.get_registered_name(Multiplied) == "Guide>KernelMult"
    config = keras.layers.serialize(Multiplied(3, nested=Multiplied(2)))
    assert config["registered_name"] == "Guide>KernelMult"
    assert config["config"]["nested"]["class_name"] == "Multiplied"  # the sublayer is described, not kept raw
    layer = keras.layers.deserialize(config)
    assert isinstance(layer, Multiplied) and layer.units == 3
    assert isinstance(
        keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(Multiplied(4))), Multiplied
    )
    inputs = keras.Input((4,))
    model = keras.Model(inputs, Multiplied(2, nested=Multiplied(5))(inputs))
    assert model.get_config()["layers"][1]["registered_name"] == "Guide>KernelMult"


def test_what_cannot_be_found_or_described_is_refused_clearly():
    with pytest.raises(ValueError, match="could not locate class 'Nowhere'"):
        keras.saving.deserialize_keras_object({"class_name": "Nowhere", "config": {}, "module": "os"})
    with pytest.raises(ValueError, match="no get_config"):
        keras.saving.serialize_keras_object(object())

    def own(x):
        return x

    with pytest.raises(ValueError, match="register_keras_serializable"):
        keras.saving.serialize_keras_object(own)
