"""Three more Keras 3 layers: ``Wrapper`` (the base of layers that wrap a layer),
``ReversibleEmbedding`` (an embedding that also projects back to the vocabulary) and
``Pipeline`` (layers applied one after the other, as one layer).

Examples
--------
>>> import numpy as np
>>> from learnet import layers
>>> embedding = layers.ReversibleEmbedding(100, 8)
>>> hidden = embedding(np.array([[1, 2, 3]]))
>>> embedding(hidden, reverse=True).shape          # logits over the 100 tokens, weights tied
TensorShape([1, 3, 100])
"""

import numpy

from learnet.layers.base import Layer
from learnet.layers.preprocessing import Embedding
from learnet.ops.linalg import matmul
from learnet.ops.math import cast, tanh
from learnet.ops.shape import transpose


def _serialized(layer):
    """A sublayer as Keras 3 describes it inside a config."""
    from learnet.layers import serialize

    return serialize(layer)


def _deserialized(entry, custom_objects=None):
    from learnet.layers import deserialize

    return deserialize(entry, custom_objects=custom_objects)


class Wrapper(Layer):
    """The base class of layers that wrap another layer, as ``keras.layers.Wrapper``.

    A wrapper holds ``layer`` and changes how it is applied (``TimeDistributed`` applies
    it to every step, ``Bidirectional`` runs it both ways). It is a base class: subclass it
    and write ``call``. ``build`` builds the wrapped layer; the config holds it.

    Parameters
    ----------
    layer : Layer
        The layer to wrap.

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> class Twice(layers.Wrapper):
    ...     def call(self, inputs):
    ...         return self.layer(self.layer(inputs))
    >>> Twice(layers.Dense(4))(np.ones((2, 4), dtype="float32")).shape
    TensorShape([2, 4])
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"{type(self).__name__} wraps a layer, got {layer!r}")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        self.layer._maybe_build(input_shape)
        self.built = True

    def get_config(self):
        config = super().get_config()
        config["layer"] = _serialized(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = _deserialized(config.pop("layer"), custom_objects)
        return cls(layer, **config)


class ReversibleEmbedding(Embedding):
    """An embedding that can also project back from vectors to the vocabulary, as
    ``keras.layers.ReversibleEmbedding`` (language models that tie their input and output).

    Called as usual it looks ids up in ``embeddings`` ``(input_dim, output_dim)``; called with
    ``reverse=True`` it multiplies vectors ``(..., output_dim)`` by the transposed table, giving
    logits ``(..., input_dim)``. With ``tie_weights=False`` the reverse projection has its own
    weight, ``reverse_embeddings`` ``(output_dim, input_dim)``. There are no biases.

    Parameters
    ----------
    input_dim : int
        Size of the vocabulary.
    output_dim : int
        Length of each vector.
    tie_weights : bool, default True
        Whether the reverse projection uses the embedding table itself.
    embeddings_initializer, embeddings_regularizer, embeddings_constraint, mask_zero
        As ``Embedding``.
    reverse_dtype : str, optional
        The float type the reverse projection is computed in (the layer's by default).
    logit_soft_cap : float, optional
        With ``reverse=True``, the logits become ``tanh(logits / cap) * cap``.

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> embedding = layers.ReversibleEmbedding(50, 4, tie_weights=False)
    >>> vectors = embedding(np.array([[3, 1]]))
    >>> [tuple(w.shape) for w in embedding.weights]
    [(50, 4), (4, 50)]
    >>> embedding(vectors, reverse=True).shape
    TensorShape([1, 2, 50])
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        tie_weights=True,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        reverse_dtype=None,
        logit_soft_cap=None,
        **kwargs,
    ):
        if logit_soft_cap is not None:
            if isinstance(logit_soft_cap, bool) or not isinstance(logit_soft_cap, (int, float, numpy.number)):
                raise ValueError(f"ReversibleEmbedding: logit_soft_cap must be a number, got {logit_soft_cap!r}")
            if logit_soft_cap <= 0:
                raise ValueError(f"ReversibleEmbedding: logit_soft_cap must be positive, got {logit_soft_cap!r}")
        if reverse_dtype is not None and numpy.dtype(reverse_dtype).kind != "f":
            raise ValueError(f"ReversibleEmbedding: reverse_dtype must be a float type, got {reverse_dtype!r}")
        super().__init__(
            input_dim,
            output_dim,
            embeddings_initializer=embeddings_initializer,
            embeddings_regularizer=embeddings_regularizer,
            embeddings_constraint=embeddings_constraint,
            mask_zero=mask_zero,
            **kwargs,
        )
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap
        self._symbolic_reverse = False
        self._reverse_call = False

    def build(self, input_shape=None):
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                name="reverse_embeddings",
                shape=(self.output_dim, self.input_dim),
                initializer=self.embeddings_initializer,
            )
        self.built = True

    def __call__(self, inputs=None, *args, **kwargs):
        if kwargs.get("reverse"):
            # Vectors, not ids: no id mask is made, and they keep their float type.
            shape = tuple(getattr(inputs, "shape", numpy.shape(inputs)))
            if not shape or shape[-1] != self.output_dim:
                raise ValueError(
                    f"ReversibleEmbedding '{self.name}' with reverse=True expects vectors of last dimension "
                    f"{self.output_dim}, got shape {shape}"
                )
        self._reverse_call = bool(kwargs.get("reverse"))
        try:
            return super().__call__(inputs, *args, **kwargs)
        finally:
            self._reverse_call = False

    def call(self, inputs, reverse=False):
        if not reverse:
            return super().call(inputs)
        kernel = transpose(self.embeddings) if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            inputs, kernel = cast(inputs, self.reverse_dtype), cast(kernel, self.reverse_dtype)
        logits = matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            logits = tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    def compute_mask(self, inputs, mask=None):
        # Logits (reverse=True) carry no mask; embedded ids carry mask_zero's, as in Keras.
        if self._reverse_call:
            return None
        return super().compute_mask(inputs, mask)

    def _symbolic_call(self, inputs, args, kwargs, training):
        self._symbolic_reverse = bool(kwargs.get("reverse"))
        try:
            return super()._symbolic_call(inputs, args, kwargs, training)
        finally:
            self._symbolic_reverse = False

    def _output_dtype(self, inputs):
        if self._symbolic_reverse:
            return self.reverse_dtype or self._dtype
        return super()._output_dtype(inputs)

    def compute_output_shape(self, input_shape, reverse=None):
        input_shape = tuple(input_shape)
        reverse = self._symbolic_reverse if reverse is None else reverse
        if reverse:
            return input_shape[:-1] + (self.input_dim,)
        return input_shape + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update(
            tie_weights=self.tie_weights,
            reverse_dtype=self.reverse_dtype,
            logit_soft_cap=self.logit_soft_cap,
        )
        return config


class Pipeline(Layer):
    """Layers applied one after the other, as one layer (``keras.layers.Pipeline``).

    Unlike a ``Sequential`` model it is a plain layer: a preprocessing or augmentation
    pipeline to put at a model's input or map over a dataset. Called on its own it runs in
    training mode (augmentations apply); in ``predict`` and ``evaluate`` in inference mode.

    Parameters
    ----------
    layers : list of Layer
    name : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> augment = layers.Pipeline([layers.RandomFlip(seed=0), layers.Rescaling(1 / 255)])
    >>> float(augment(np.full((2, 4, 4, 3), 255, dtype="float32")).numpy().max())
    1.0
    """

    _stacks_input_lists = True

    def __init__(self, layers, name=None, **kwargs):
        if not isinstance(layers, (list, tuple)) or not all(isinstance(layer, Layer) for layer in layers):
            raise ValueError(f"Pipeline: layers must be a list of layers, got {layers!r}")
        super().__init__(name=name, **kwargs)
        # A plain attribute named as Keras' property: Keras files keep the layers under `layers/`.
        self.layers = list(layers)

    def _convert_input(self, value):
        return value  # each layer converts its own inputs (a dict of images and labels stays a dict)

    def build(self, input_shape=None):
        # Each layer built for what the one before it gives (so a model saved before any call
        # holds every weight).
        shape = input_shape
        for layer in self.layers:
            if shape is None:
                break
            layer._maybe_build(shape)
            shape = layer.compute_output_shape(shape)
        self.built = True

    def call(self, inputs, training=True, mask=None):
        outputs = inputs
        for layer in self.layers:
            kwargs = {} if training is None else {"training": training}
            if mask is not None and layer._call_has_mask:
                kwargs["mask"] = mask
            outputs = layer(outputs, **kwargs)
            mask = None  # after the first layer, the masks travel on the tensors
        return outputs

    def compute_output_shape(self, input_shape):
        shape = input_shape
        for layer in self.layers:
            shape = layer.compute_output_shape(shape)
        return shape

    def get_config(self):
        return {"layers": [_serialized(layer) for layer in self.layers], "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(f"Pipeline: the config must hold a list of layers under 'layers', got {layers!r}")
        config = dict(config)
        config["layers"] = [_deserialized(entry, custom_objects) for entry in layers]
        config.pop("trainable", None)
        config.pop("dtype", None)
        return cls(**config)
