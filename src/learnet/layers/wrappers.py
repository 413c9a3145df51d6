"""Layer wrappers: ``TimeDistributed`` applies one layer to every step of a sequence.

Examples
--------
>>> import learnet as tf
>>> from learnet import layers
>>> layers.TimeDistributed(layers.Dense(8))(tf.zeros((4, 10, 16))).shape
TensorShape([4, 10, 8])
"""

from learnet.layers.base import Layer, _is_shape
from learnet.ops.shape import reshape


class TimeDistributed(Layer):
    """Apply ``layer`` to each slice ``inputs[:, t]`` with the same weights.

    The batch and time axes are merged into one, the layer runs once on all slices,
    and the result is split back: ``(batch, steps, ...)`` -> ``(batch, steps, ...)``.

    Parameters
    ----------
    layer : Layer
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise TypeError(f"TimeDistributed wraps a layer, got {layer!r}")
        super().__init__(**kwargs)
        self.supports_masking = True  # the time steps keep their mask, as in Keras
        self.layer = layer

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) < 3:
            raise ValueError(
                f"TimeDistributed '{self.name}' expects inputs of rank 3 or more (batch, steps, ...), got {input_shape}"
            )
        self.layer._maybe_build((None,) + input_shape[2:])
        self.built = True

    def call(self, inputs, training=None):
        batch, steps = inputs.shape[0], inputs.shape[1]
        merged = reshape(inputs, (batch * steps,) + tuple(inputs.shape[2:]))
        outputs = self.layer(merged, training=training)
        return reshape(outputs, (batch, steps) + tuple(outputs.shape[1:]))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        inner = self.layer.compute_output_shape((None,) + input_shape[2:])
        if not _is_shape(tuple(inner)):
            raise ValueError(f"TimeDistributed '{self.name}': the wrapped layer must have one output")
        return input_shape[:2] + tuple(inner)[1:]

    def get_config(self):
        config = super().get_config()
        config["layer"] = {"class_name": type(self.layer).__name__, "config": self.layer.get_config()}
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from learnet.layers import deserialize

        config = dict(config)
        layer = deserialize(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)
