"""``keras.layers.TFSMLayer``: a model exported with ``model.export`` used again as a layer.

Keras 3 cannot load a SavedModel back as a model; it wraps the exported computation in a
layer instead, and so does learnet::

    model.export("my_model")                        # a directory (tf.saved_model format)
    layer = keras.layers.TFSMLayer("my_model")      # its "serve" endpoint, as a layer
    predictions = layer(x_new)

The directory is learnet's (see :mod:`learnet.saved_model`): it holds the model's
architecture and weights, so the layer needs none of the code that built the model, and
its weights are the layer's own (trainable unless ``trainable=False``). The layer lives on
the models floor because it loads a model file; ``learnet.layers.TFSMLayer`` finds it
through the class registry.
"""

from learnet.layers.base import Layer

__all__ = ["TFSMLayer"]

#: The endpoints of a directory that ``model.export`` wrote: both call the model for inference.
ENDPOINTS = ("serve", "serving_default")


class TFSMLayer(Layer):
    """Reload an exported model as a layer.

    Parameters
    ----------
    filepath : str or path-like
        The directory written by ``model.export`` (or ``tf.saved_model.save``).
    call_endpoint : str, default "serve"
        The endpoint called when the layer runs for inference: ``"serve"`` or
        ``"serving_default"`` (the two names Keras' export writes).
    call_training_endpoint : str, optional
        The endpoint called with ``training=True`` (the model then runs its dropout and
        batch statistics as in ``fit``). Without it, the layer always runs for inference.
    trainable : bool, default True
        Whether the reloaded weights are trainable.

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> model.export("exported", verbose=False)                  # doctest: +SKIP
    >>> reloaded = keras.layers.TFSMLayer("exported")            # doctest: +SKIP
    >>> np.allclose(reloaded(np.ones((1, 3))), model(np.ones((1, 3))))  # doctest: +SKIP
    True
    """

    def __init__(self, filepath, call_endpoint="serve", call_training_endpoint=None, trainable=True, **kwargs):
        for role, endpoint in (("call_endpoint", call_endpoint), ("call_training_endpoint", call_training_endpoint)):
            if endpoint is not None and endpoint not in ENDPOINTS:
                raise ValueError(
                    f"TFSMLayer: {role}={endpoint!r} is not an endpoint of the exported model; "
                    f"its endpoints are {list(ENDPOINTS)}"
                )
        from learnet import saved_model

        loaded = saved_model.load(filepath)
        super().__init__(trainable=trainable, **kwargs)
        self.filepath = str(filepath)
        self.call_endpoint = call_endpoint
        self.call_training_endpoint = call_training_endpoint
        self.exported_model = loaded
        loaded.trainable = trainable
        self.built = True

    def call(self, inputs, training=False):
        training = bool(training) and self.call_training_endpoint is not None
        return self.exported_model(inputs, training=training)

    def compute_output_shape(self, input_shape):
        return self.exported_model.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filepath": self.filepath,
                "call_endpoint": self.call_endpoint,
                "call_training_endpoint": self.call_training_endpoint,
            }
        )
        return config
