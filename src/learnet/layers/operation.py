"""Operations on symbolic tensors: ``x + 1``, ``x[:, 0]``, ``keras.ops.mean(x, axis=1)`` in a functional model.

A functional model replays layer calls on real data and writes them to a file, so an
operation applied to the symbolic tensors of ``Input(...)`` becomes a layer too: an
:class:`OperationLayer`. It names the ``keras.ops`` function (``"not_equal"``) and keeps
its fixed arguments (``axis=1``); the tensors and constants it was called with are the
arguments of its call in the graph. That is how Keras 3 records an operation, so a
``.keras`` file holds the same graph (``{"class_name": "NotEqual", "module":
"keras.src.ops.numpy"}``) and models travel both ways: Keras writes such a node for every
``Embedding(mask_zero=True)`` (the mask is ``not_equal(tokens, 0)``).

Examples
--------
>>> import learnet as keras
>>> inputs = keras.Input((4,))
>>> outputs = keras.ops.mean(inputs * 2.0, axis=1, keepdims=True)
>>> model = keras.Model(inputs, outputs)
>>> [type(op).__name__ for op in model.operations]  # as Keras 3, not in model.layers
['InputLayer', 'OperationLayer', 'OperationLayer']
>>> model.predict(keras.ops.ones((2, 4)), verbose=0)
array([[2.],
       [2.]], dtype=float32)
"""

import inspect

import numpy as np

from learnet.backend import xp
from learnet.layers.base import Layer, _map_structure
from learnet.layers.keras_tensor import KerasTensor
from learnet.tensor import Tensor

# keras.ops function -> (Keras 3's class for it, the module Keras keeps it in, how many of the
# function's leading arguments are the call's inputs). The other arguments are the class's
# own (Mean(axis, keepdims)): Keras writes them into the node's config, the inputs into its call.
_NUMPY, _NN, _CORE = "keras.src.ops.numpy", "keras.src.ops.nn", "keras.src.ops.core"
KERAS_OPERATIONS = {
    **{
        name: (cls, _NUMPY, 2)
        for name, cls in [
            ("add", "Add"),
            ("subtract", "Subtract"),
            ("multiply", "Multiply"),
            ("divide", "Divide"),
            ("true_divide", "TrueDivide"),
            ("floor_divide", "FloorDivide"),
            ("mod", "Mod"),
            ("power", "Power"),
            ("maximum", "Maximum"),
            ("minimum", "Minimum"),
            ("equal", "Equal"),
            ("not_equal", "NotEqual"),
            ("greater", "Greater"),
            ("greater_equal", "GreaterEqual"),
            ("less", "Less"),
            ("less_equal", "LessEqual"),
            ("logical_and", "LogicalAnd"),
            ("logical_or", "LogicalOr"),
            ("logical_xor", "LogicalXor"),
            ("matmul", "Matmul"),
            ("dot", "Dot"),
            ("get_item", "GetItem"),
            ("take", "Take"),
        ]
    },
    **{
        name: (cls, _NUMPY, 1)
        for name, cls in [
            ("absolute", "Absolute"),
            ("negative", "Negative"),
            ("sqrt", "Sqrt"),
            ("square", "Square"),
            ("exp", "Exp"),
            ("log", "Log"),
            ("log1p", "Log1p"),
            ("sin", "Sin"),
            ("cos", "Cos"),
            ("tanh", "Tanh"),
            ("sign", "Sign"),
            ("floor", "Floor"),
            ("ceil", "Ceil"),
            ("round", "Round"),
            ("reciprocal", "Reciprocal"),
            ("logical_not", "LogicalNot"),
            ("mean", "Mean"),
            ("sum", "Sum"),
            ("max", "Max"),
            ("min", "Min"),
            ("prod", "Prod"),
            ("std", "Std"),
            ("var", "Var"),
            ("argmax", "Argmax"),
            ("argmin", "Argmin"),
            ("all", "All"),
            ("any", "Any"),
            ("cumsum", "Cumsum"),
            ("reshape", "Reshape"),
            ("transpose", "Transpose"),
            ("expand_dims", "ExpandDims"),
            ("squeeze", "Squeeze"),
            ("flip", "Flip"),
            ("repeat", "Repeat"),
            ("tile", "Tile"),
            ("concatenate", "Concatenate"),
            ("stack", "Stack"),
            ("clip", "Clip"),
            ("zeros_like", "ZerosLike"),
            ("ones_like", "OnesLike"),
        ]
    },
    "where": ("Where", _NUMPY, 3),
    "cast": ("Cast", _CORE, 1),
    **{
        name: (cls, _NN, 1)
        for name, cls in [
            ("relu", "Relu"),
            ("relu6", "Relu6"),
            ("sigmoid", "Sigmoid"),
            ("softplus", "Softplus"),
            ("silu", "Silu"),
            ("gelu", "Gelu"),
            ("elu", "Elu"),
            ("softmax", "Softmax"),
            ("log_softmax", "LogSoftmax"),
            ("one_hot", "OneHot"),
        ]
    },
}
# Keras' class name -> keras.ops function, for reading Keras' files (``abs`` is ``absolute``).
_FROM_KERAS = {cls: name for name, (cls, _, _) in KERAS_OPERATIONS.items()}
_FROM_KERAS.update({"Abs": "absolute", "Swish": "silu"})
KERAS_OPERATIONS["abs"] = KERAS_OPERATIONS["absolute"]


def _keras_ops():
    # The functions live in learnet.keras_ops, beside this module on the same floor; imported
    # when first used because keras_ops in turn records its calls on symbolic tensors here.
    from learnet import keras_ops

    return keras_ops


def _function(operation, where):
    if operation.startswith(TF_PREFIX):
        return _tf_function(operation, where)
    ops = _keras_ops()
    # keras.ops' functions, then keras.ops.image's (a module of its own: ops.image.extract_patches)
    function = getattr(ops, operation, None) or getattr(ops.image, operation, None)
    if operation.startswith("_") or operation in ops._NOT_RECORDED or not callable(function):
        raise ValueError(f"{where}: {operation!r} is not a keras.ops operation learnet has")
    return function


# --- TensorFlow's functions on symbolic tensors (tf.concat(states, axis=-1), as tf.keras 2 allowed) -----
TF_PREFIX = "tf:"  # "tf:concat", "tf:math.reduce_mean" (not a dotted path: a file never names code)
_TF_NAMESPACES = ("", "math.", "nn.", "activations.")


def _tf_function(operation, where):
    """The TensorFlow-named function ``"tf.concat"`` / ``"tf.math.reduce_mean"`` names: only one of
    those ``keras_ops.record_symbolic_calls`` wrapped (computations; nothing that runs code or
    touches files)."""
    import learnet

    path = operation[len(TF_PREFIX) :]
    namespace, _, name = path.rpartition(".")
    found = None
    if (namespace + "." if namespace else "") in _TF_NAMESPACES and name and not name.startswith("_"):
        module = getattr(learnet, namespace) if namespace else learnet
        found = getattr(module, name, None)
    if not getattr(found, "_records_symbolic", False):
        raise ValueError(f"{where}: {operation!r} is not a TensorFlow operation learnet records")
    return found


def record_call(operation, function, args, kwargs):
    """A TensorFlow function on symbolic tensors: an :class:`OperationLayer` called with the same
    arguments (the keyword arguments without tensors are the layer's own)."""
    if not args:
        raise TypeError(f"{operation}: pass the tensors as positional arguments to use it in a functional model")
    call_kwargs = {key: value for key, value in kwargs.items() if _holds_symbolic(value)}
    fixed = {key: _plain_argument(value) for key, value in kwargs.items() if key not in call_kwargs}
    positional = [_plain_leaves(value) for value in args]
    layer = OperationLayer(operation, fixed, name=_unique(operation[len(TF_PREFIX) :].replace(".", "_")))
    return layer(positional[0], *positional[1:], **call_kwargs)


def _plain_leaves(value):
    """A positional argument for a recorded call: symbolic tensors kept, everything else plain data."""
    if isinstance(value, KerasTensor):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain_leaves(item) for item in value]
    return _plain_argument(value)


# --- indices: slices and ``...`` in a key, as plain data (Keras' own form) -----------------------------
def encode_key(key):
    """A ``get_item`` key as plain data: ``slice(None, 2)`` -> ``{"class_name": "__slice__", ...}``.

    Examples
    --------
    >>> encode_key((slice(None), 0))
    [{'class_name': '__slice__', 'config': {'start': None, 'stop': None, 'step': None}}, 0]
    """
    if isinstance(key, tuple):
        return [encode_key(k) for k in key]
    if isinstance(key, slice):
        parts = {"start": key.start, "stop": key.stop, "step": key.step}
        return {"class_name": "__slice__", "config": {k: _plain_index(v) for k, v in parts.items()}}
    if key is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    return _plain_index(key)


def _plain_index(value):
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    return value


def decode_key(key):
    """The key :func:`encode_key` wrote, as Python indices again (a list becomes a tuple, as in Keras)."""
    if isinstance(key, list):
        return tuple(decode_key(k) for k in key)
    if isinstance(key, dict):
        kind, config = key.get("class_name"), key.get("config") or {}
        if kind == "__slice__":
            return slice(config.get("start"), config.get("stop"), config.get("step"))
        if kind == "__ellipsis__":
            return Ellipsis
        raise ValueError(f"get_item: an index {key!r} that is neither a slice nor '...'")
    return key


def get_item(x, key):
    """``x[key]``: the operation behind indexing a symbolic tensor (``keras.ops.get_item``)."""
    return _keras_ops().get_item(x, decode_key(key) if isinstance(key, (list, dict)) else key)


# --- the layer ------------------------------------------------------------------------------------------
class OperationLayer(Layer):
    """A call of one ``keras.ops`` function, as a node of a functional model.

    You rarely make one yourself: ``x + 1``, ``x[:, 0]`` or ``keras.ops.mean(x, axis=1)`` on
    symbolic tensors make it. A model holding it saves in learnet's format and in Keras'
    ``.keras`` files, and loads from them.

    Parameters
    ----------
    operation : str
        The name of the function in ``keras.ops`` (``"not_equal"``, ``"mean"``).
    arguments : dict, optional
        Its fixed keyword arguments (``{"axis": 1}``); the tensors come with each call.

    Examples
    --------
    >>> import learnet as keras
    >>> from learnet.layers.operation import OperationLayer
    >>> OperationLayer("mean", {"axis": 0})(keras.ops.ones((3, 2))).numpy()
    array([1., 1.], dtype=float32)
    """

    def __init__(self, operation, arguments=None, **kwargs):
        if not isinstance(operation, str):
            raise TypeError(f"OperationLayer: operation must be the name of a keras.ops function, got {operation!r}")
        arguments = dict(arguments or {})
        bad = [key for key in arguments if not isinstance(key, str)]
        if bad:
            raise TypeError(f"OperationLayer: the names of the arguments must be text, got {bad}")
        function = _function(operation, "OperationLayer")
        super().__init__(**kwargs)
        self.operation = operation
        self.arguments = arguments
        self._function = get_item if operation == "get_item" else function
        self._symbolic_dtype = None
        self._call_has_training = False  # the model's `training` is not an argument of the function

    def _convert_input(self, value):
        # The function takes tensors, arrays and plain numbers as they are (``1 - x`` keeps
        # the 1 an int, so it takes x's dtype rather than making x an int64).
        return value

    def call(self, inputs, *args, **kwargs):
        return self._function(inputs, *args, **self.arguments, **kwargs)

    # --- in a functional model: shapes found by running the function on zeros ------------------------
    def _symbolic_call(self, inputs, args, kwargs, training):
        self._pending = (inputs, args, kwargs)
        try:
            return super()._symbolic_call(inputs, args, kwargs, training)
        finally:
            self._pending = None

    def compute_output_shape(self, input_shape):
        pending = getattr(self, "_pending", None)
        if pending is None:  # asked directly: one tensor input
            pending = (KerasTensor(tuple(input_shape)), (), {})
        inputs, args, kwargs = pending
        if self.operation in _RESHAPES:
            shape = self._reshape_output_shape(inputs, args, kwargs)
            if shape is not None:
                return shape
        results = []
        for fill in (2, 3):

            def zeros(value, fill=fill):
                if isinstance(value, KerasTensor):
                    shape = tuple(fill if s is None else s for s in value.shape)
                    return Tensor._wrap(xp.zeros(shape, dtype=value.dtype))
                return value

            with np.errstate(all="ignore"):
                outputs = self.call(
                    _map_structure(zeros, inputs),
                    *[_map_structure(zeros, a) for a in args],
                    **{k: _map_structure(zeros, v) for k, v in kwargs.items()},
                )
            results.append(outputs)
        first = results[0]
        self._symbolic_dtype = first.dtype if isinstance(first, Tensor) else None
        shapes = [_map_structure(lambda t: tuple(t.shape), r) for r in results]

        def merge(a, b):
            if isinstance(a, tuple) and all(isinstance(s, int) for s in a):
                return tuple(x if x == y else None for x, y in zip(a, b))
            return type(a)(merge(x, y) for x, y in zip(a, b))

        return merge(shapes[0], shapes[1])

    def _reshape_output_shape(self, inputs, args, kwargs):
        """The shape a reshape gives, found from the symbolic shape itself (None when the new
        shape is itself symbolic, left to the probe).

        Probing with a small batch cannot do this: ``reshape(x, (-1, 4))`` folds the batch of
        ``x`` of shape ``(None, 5, 4)`` into its first axis, and a later ``reshape(y, (-1, 5, 3))``
        of the probe's ``(2, 3)`` fails where any real batch fits.
        """
        if not isinstance(inputs, KerasTensor):
            return None
        try:
            bound = inspect.signature(self._function).bind(inputs, *args, **self.arguments, **kwargs)
        except TypeError:
            return None
        new_shape = bound.arguments.get("newshape", bound.arguments.get("shape"))
        if new_shape is None or _holds_symbolic(new_shape):
            return None
        self._symbolic_dtype = inputs.dtype
        return reshape_output_shape(tuple(inputs.shape), new_shape, self.name)

    def _output_dtype(self, inputs):
        return self._symbolic_dtype if self._symbolic_dtype is not None else self._dtype

    def get_config(self):
        config = super().get_config()
        config.update({"operation": self.operation, "arguments": dict(self.arguments)})
        return config


# The operations whose output shape is worked out from the symbolic shape, not probed.
_RESHAPES = frozenset({"reshape", TF_PREFIX + "reshape"})


def reshape_output_shape(input_shape, new_shape, name="reshape"):
    """The shape ``reshape`` gives a tensor of ``input_shape`` (``None`` for an unknown size).

    A ``-1`` is worked out where every input size is known; where one is not (the batch),
    the ``-1`` absorbs it and stays unknown, as in Keras.

    Raises
    ------
    ValueError
        More than one ``-1``, a negative size, or sizes that cannot hold the input's elements.

    Examples
    --------
    >>> reshape_output_shape((None, 5, 4), (-1, 4))
    (None, 4)
    >>> reshape_output_shape((None, 4), (-1, 5, 4))
    (None, 5, 4)
    >>> reshape_output_shape((6, 4), (-1, 8))
    (3, 8)
    """
    if isinstance(new_shape, Tensor):
        new_shape = new_shape.numpy().tolist()
    if isinstance(new_shape, (int, np.integer)):
        new_shape = (new_shape,)
    try:
        sizes = tuple(-1 if s is None else int(s) for s in new_shape)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: a shape must be a sequence of ints, got {new_shape!r}") from None
    if sum(1 for s in sizes if s == -1) > 1 or any(s < -1 for s in sizes):
        raise ValueError(f"{name}: a new shape holds sizes >= 0 and at most one -1, got {sizes}")
    fixed = int(np.prod([s for s in sizes if s != -1], dtype=np.int64))
    known = int(np.prod([s for s in input_shape if s is not None], dtype=np.int64))
    if any(s is None for s in input_shape):
        # The unknown size (the batch) folds into the -1, which is then unknown too. Without
        # a -1 the new sizes must still hold a whole number of the known part's elements.
        if -1 not in sizes and known and fixed % known:
            raise ValueError(f"{name}: cannot reshape a tensor of shape {input_shape} into shape {sizes}")
        return tuple(None if s == -1 else s for s in sizes)
    if -1 in sizes:
        if fixed == 0 or known % fixed:
            raise ValueError(f"{name}: cannot reshape a tensor of shape {input_shape} into shape {sizes}")
        return tuple(known // fixed if s == -1 else s for s in sizes)
    if fixed != known:
        raise ValueError(
            f"{name}: cannot reshape a tensor of shape {input_shape} ({known} elements) into shape {sizes}"
        )
    return sizes


def record(operation, function, args, kwargs):
    """``function(*args, **kwargs)`` on symbolic tensors: an :class:`OperationLayer` called on them.

    The function's leading arguments (as many as Keras' class takes as inputs) become the
    inputs of the call; the others are the layer's fixed arguments.
    """
    try:
        bound = inspect.signature(function).bind(*args, **kwargs)
    except TypeError as error:
        raise TypeError(f"keras.ops.{operation}: {error}") from None
    names = list(bound.arguments)
    parameters = inspect.signature(function).parameters
    if operation in KERAS_OPERATIONS:
        count = KERAS_OPERATIONS[operation][2]
    else:  # learnet's guess: the leading arguments that hold symbolic tensors
        count = 0
        while count < len(names) and _holds_symbolic(bound.arguments[names[count]]):
            count += 1
        count = max(count, 1)
    inputs = []
    for name in names[:count]:
        if parameters[name].kind is inspect.Parameter.VAR_POSITIONAL:
            inputs.extend(bound.arguments[name])
        else:
            inputs.append(bound.arguments[name])
    fixed = {name: _plain_argument(bound.arguments[name]) for name in names[count:]}
    if operation == "get_item" and len(inputs) == 2:
        inputs[1] = encode_key(inputs[1])
    layer = OperationLayer(operation, fixed, name=_unique(operation))
    return layer(inputs[0], *inputs[1:])


def _holds_symbolic(value):
    """Whether ``value`` is or holds a symbolic tensor (the test keras.ops makes before recording)."""
    return _keras_ops()._holds_symbolic(value)


def _plain_argument(value):
    """A fixed argument as plain data for a config (tuples as lists, NumPy scalars and dtypes by value)."""
    if isinstance(value, (list, tuple)):
        return [_plain_argument(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return np.dtype(value).name
    if isinstance(value, KerasTensor):
        raise TypeError(
            "a symbolic tensor given as a fixed argument of a keras.ops function cannot be recorded; "
            "pass tensors as the function's leading arguments"
        )
    return value


def _unique(operation):
    from learnet.layers.naming import unique_name

    return unique_name(operation)
