"""``Sequential``: a plain stack of layers, each feeding the next.

Examples
--------
>>> from learnet import layers
>>> from learnet.models import Sequential
>>> model = Sequential([
...     layers.Flatten(input_shape=(28, 28)),
...     layers.Dense(512, activation="relu"),
...     layers.Dense(10, activation="softmax"),
... ])
>>> model.count_params()
407050
"""

from learnet.layers.base import KerasTensor, Layer
from learnet.layers import pooling, serialization
from learnet.layers.core import InputLayer
from learnet.models.model import Model, fit_input_rank, input_shape_error
from learnet.tensor import name_scope_path


class Sequential(Model):
    """A model made of layers applied one after the other.

    The model knows its input shape (and can show a ``summary``) when the first layer
    has ``input_shape=``, when the first element is ``Input(shape=...)`` or an
    ``InputLayer``, after ``build(input_shape)``, or after it first sees data.

    Parameters
    ----------
    layers : list of Layer, optional
        The layers, first to last; more can be added with ``add``.
    name : str, optional
    trainable : bool, default True

    Examples
    --------
    >>> from learnet import layers, Input
    >>> model = Sequential([Input(shape=(4,)), layers.Dense(2)])
    >>> model.output_shape
    (None, 2)
    >>> model.add(layers.Dense(1))
    >>> [layer.name for layer in model.layers]           # doctest: +SKIP
    ['dense', 'dense_1']
    """

    def __init__(self, layers=None, name=None, trainable=True, **kwargs):
        self._init_model(name=name, trainable=trainable, **kwargs)
        self._input_layer = None
        self._stack = []
        self._symbolic_output = None
        if layers is not None:
            if isinstance(layers, (Layer, KerasTensor)):
                layers = [layers]
            for layer in layers:
                self.add(layer)

    # --- adding and removing layers ------------------------------------------------------------
    def add(self, layer):
        """Add a layer on top of the stack.

        Raises
        ------
        TypeError
            If ``layer`` is not a layer (or an ``Input``).
        ValueError
            If its name is already taken in the model, or it does not fit the output of
            the layer before it.
        """
        if isinstance(layer, KerasTensor):
            history = layer._keras_history
            if history is None or not isinstance(history.layer, InputLayer):
                raise TypeError(
                    "Sequential.add accepts layers and Input(...) tensors; this tensor comes from a "
                    "layer call. Use the functional API (Model(inputs, outputs)) for graphs"
                )
            layer = history.layer
        if not isinstance(layer, Layer):
            raise TypeError(
                f"The added layer must be an instance of class Layer. Received: layer={layer!r} "
                f"of type {type(layer).__name__}"
            )
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._stack:
                raise ValueError(f"Sequential model '{self.name}': an Input / InputLayer can only be the first element")
            self._input_layer = layer
            self._rebuild()
            return
        # The same instance twice shares its weights (allowed); another layer may not reuse a name.
        names = {existing.name for existing in self._stack if existing is not layer}
        if layer.name in names:
            raise ValueError(
                f"All layers added to a Sequential model should have unique names. Name '{layer.name}' "
                f"is already the name of a layer in this model ('{self.name}')"
            )
        if not self._stack and self._input_layer is None:
            declared = _declared_input(layer)
            if declared is not None:
                self._input_layer = InputLayer(batch_shape=declared[0], dtype=declared[1])
        self._stack.append(layer)
        if self._input_layer is not None:
            current = self._symbolic_output if self._symbolic_output is not None else self._input_layer.output
            try:
                with name_scope_path(self.name, caller=self):  # its weights' paths start with the model's name
                    self._symbolic_output = layer(current)
            except Exception:
                self._stack.pop()
                raise
            self.built = True

    def pop(self):
        """Remove the last layer and return it."""
        if not self._stack:
            raise IndexError(f"Sequential model '{self.name}' has no layers to remove")
        layer = self._stack.pop()
        self._rebuild()
        return layer

    def _rebuild(self):
        """Run the input through every layer symbolically: builds them and fixes the shapes."""
        if self._input_layer is None:
            self._symbolic_output = None
            self.built = False
            return
        output = self._input_layer.output
        with name_scope_path(self.name, caller=self):
            for layer in self._stack:
                output = layer(output)
        self._symbolic_output = output
        self.built = True

    # --- building -------------------------------------------------------------------------------------
    def build(self, input_shape=None):
        """Build every layer for inputs of ``input_shape`` (batch axis first, e.g. ``(None, 784)``)."""
        new_input = False
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError(
                    f"Sequential model '{self.name}' cannot build without an input shape: pass "
                    "build((None, features)), or start the model with Input(shape=...)"
                )
        elif self._input_layer is None:
            shape = tuple(input_shape)
            if not shape or isinstance(shape[0], (list, tuple)):
                raise ValueError(f"Sequential model '{self.name}' takes one input; build got the shape {input_shape!r}")
            # A first layer that reads text (TextVectorization, StringLookup) takes a text input.
            first_takes_text = bool(self._stack) and getattr(self._stack[0], "_takes_text", False)
            dtype = "string" if first_takes_text else self.dtype
            declared = _declared_input_shape(self._stack[0]) if self._stack else None
            if declared is not None and len(declared) == len(shape):
                shape = declared  # a first layer that is a model with an Input: its shape, as Keras
            self._input_layer = InputLayer(batch_shape=(None,) + tuple(shape[1:]), dtype=dtype)
            new_input = True
        try:
            self._rebuild()
        except Exception:
            if new_input:  # inputs that do not fit leave the model as it was
                self._input_layer, self._symbolic_output, self.built = None, None, False
            raise
        if self._build_input_shape is None:
            self._build_input_shape = tuple(self._input_layer.batch_shape)

    def _maybe_build(self, input_shape):
        if not self.built:
            declared = self._input_layer is not None
            self.build(input_shape)
            # Built from the first data it saw (no Input): as in Keras, later data may differ in
            # the axes between the batch and the features (a sequence one step long, as when a
            # decoder generates text step by step); the layers check what they need.
            self._flexible_axes = not declared

    # --- running ----------------------------------------------------------------------------------
    def call(self, inputs, training=None, mask=None):
        if self._input_layer is not None:
            want = self._input_layer.batch_shape
            if getattr(self, "_flexible_axes", False):
                want = (None,) * (len(want) - 1) + tuple(want[-1:])
            fitted = fit_input_rank(inputs, want)
            if fitted is None:
                raise input_shape_error(f"Sequential model '{self.name}'", want, tuple(getattr(inputs, "shape", ())))
            inputs = fitted
        outputs = inputs
        stack, i = self._stack, 0
        while i < len(stack):
            layer = stack[i]
            after = stack[i + 1] if i + 1 < len(stack) else None
            if after is not None and pooling.fuses_with_pool(layer, after, outputs):
                # A Conv2D(relu) and its MaxPooling2D run as one op: the same result and
                # gradients, without the convolution's full output (see conv2d_relu_max_pool2d).
                outputs = pooling.call_conv_and_pool(layer, after, outputs, training)
                i += 2
                continue
            outputs = layer(outputs, training=training)
            i += 1
        return outputs

    def _output_dtype(self, inputs):
        # Called on a symbolic tensor: the dtype its last layer gives (StringLookup: int64).
        if isinstance(self._symbolic_output, KerasTensor):
            return self._symbolic_output.dtype
        return super()._output_dtype(inputs)

    def compute_output_shape(self, input_shape):
        shape = input_shape
        for layer in self._stack:
            shape = layer.compute_output_shape(shape)
        return shape

    # --- what it is -----------------------------------------------------------------------------------
    @property
    def layers(self):
        """The layers, first to last (an ``InputLayer`` is not listed, as in Keras)."""
        return list(self._stack)

    @property
    def inputs(self):
        return [self._input_layer.output] if self._input_layer is not None else None

    @property
    def outputs(self):
        return [self._symbolic_output] if self._symbolic_output is not None else None

    @property  # type: ignore[misc]  # a model's graph gives it; not settable
    def input(self):
        return self._input_layer.output if self._input_layer is not None else None

    @property  # type: ignore[misc]  # a model's graph gives it; not settable
    def output(self):
        return self._symbolic_output

    @property
    def input_shape(self):
        if self._input_layer is None:
            raise AttributeError(f"Sequential model '{self.name}' has no input shape yet: it is not built")
        return tuple(self._input_layer.batch_shape)

    @property
    def output_shape(self):
        if self._symbolic_output is None:
            raise AttributeError(f"Sequential model '{self.name}' has no output shape yet: it is not built")
        return tuple(self._symbolic_output.shape)

    @property
    def output_names(self):
        return [self._stack[-1].name] if self._stack else []

    def _graph_inputs_for_dtypes(self):
        return [self._input_layer.dtype] if self._input_layer is not None else None

    def _graph_input_shapes(self):
        return [tuple(self._input_layer.batch_shape)] if self._input_layer is not None else None

    # --- configuration -----------------------------------------------------------------------------
    def get_config(self):
        """The layers' configs, first to last (the input layer first when known)."""
        layers = []
        if self._input_layer is not None:
            layers.append(serialization.serialize(self._input_layer))
        layers.extend(serialization.serialize(layer) for layer in self._stack)
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype, "layers": layers}

    @classmethod
    def from_config(cls, config, custom_objects=None, layer_fn=None):
        """Rebuild a Sequential model from ``get_config()`` (``layer_fn`` maps each new layer)."""
        entries = serialization.require(config, "layers", list, "the Sequential config")
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for entry in entries:
            model.add(
                serialization.deserialize(
                    entry, custom_objects, layer_fn if serialization.is_not_input(entry) else None
                )
            )
        return model


def _declared_input_shape(layer):
    """The input shape a nested model declares (``Sequential([Embedding(..., input_shape=[None])])``), or None."""
    inner = getattr(layer, "_input_layer", None)
    if inner is not None:
        return tuple(inner.batch_shape)
    inputs = getattr(layer, "inputs", None) if not isinstance(layer, Sequential) else None
    if isinstance(inputs, (list, tuple)) and len(inputs) == 1 and isinstance(inputs[0], KerasTensor):
        return tuple(inputs[0].shape)
    return None


def _declared_input(layer):
    """``(batch_shape, dtype)`` a first layer declares: its ``input_shape=``, or, for a model
    with one input (a Sequential of augmentation layers given an input shape), that input's,
    as Keras builds the outer model from it; else None."""
    if getattr(layer, "_batch_input_shape", None) is not None:
        return layer._batch_input_shape, layer.dtype
    inputs = getattr(layer, "inputs", None) if getattr(layer, "built", False) else None
    if isinstance(inputs, (list, tuple)) and len(inputs) == 1 and isinstance(inputs[0], KerasTensor):
        return tuple(inputs[0].shape), inputs[0].dtype
    return None
