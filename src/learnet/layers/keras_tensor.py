"""``KerasTensor``: the symbolic tensor a functional model is built from (what ``Input`` returns).

A ``KerasTensor`` has a shape and a dtype but no values. Calling a layer on one runs
nothing: the layer returns a new ``KerasTensor`` whose ``_keras_history`` remembers the
layer and its inputs, and ``learnet.models.Functional`` walks that history back.
"""

from collections import namedtuple

import numpy

from learnet.layers.naming import unique_name
from learnet.tensor import TensorShape


def _shape_tuple(shape):
    """A user's shape (int, list, TensorShape, with ``None``) as a tuple of ints and ``None``."""
    if shape is None:
        return None
    if isinstance(shape, (int, numpy.integer)):
        return (int(shape),)
    return tuple(None if s is None else int(s) for s in shape)


KerasHistory = namedtuple("KerasHistory", ["layer", "inputs"])


class KerasTensor:
    """A placeholder for a tensor in a functional model: a shape and a dtype, no values.

    ``Input(shape=(784,))`` returns one; calling a layer on it returns another, whose
    ``_keras_history`` says which layer made it from which inputs.

    Parameters
    ----------
    shape : tuple
        The full shape, ``None`` for the batch axis (and any unknown axis).
    dtype : str or numpy.dtype, default ``"float32"``
    name : str, optional

    Examples
    --------
    >>> from learnet import layers
    >>> x = layers.Input(shape=(784,))
    >>> x.shape
    TensorShape([None, 784])
    >>> y = layers.Dense(10)(x)
    >>> tuple(y.shape), type(y._keras_history.layer).__name__
    ((None, 10), 'Dense')
    """

    def __init__(self, shape, dtype="float32", name=None):
        self.shape = TensorShape(_shape_tuple(shape))
        self.dtype = numpy.dtype(dtype)
        self.name = name
        self._keras_history = None
        self._keras_output_index = None
        self._keras_call_args = ()
        self._keras_call_kwargs = {}

    @property
    def ndim(self):
        """The number of dimensions, batch included."""
        return len(self.shape)

    def __repr__(self):
        name = f", name={self.name}" if self.name else ""
        return f"<KerasTensor shape={tuple(self.shape)}, dtype={self.dtype.name}{name}>"

    def __bool__(self):
        raise TypeError(
            "a KerasTensor is a symbolic placeholder of a functional model: it has no value "
            "to test; use it only as the input of layers"
        )

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "a KerasTensor is a symbolic placeholder of a functional model and has no values; "
            "build a Model(inputs, outputs) and call it on real data"
        )

    # Operators on symbolic tensors become small anonymous layers, so `x * 2` or `a + b`
    # works inside a functional model as it does in Keras.
    def _op(self, name, function, *others):
        from learnet.layers.core import _OperatorLayer

        layer_name = unique_name(name)
        if others and isinstance(others[0], KerasTensor):
            return _OperatorLayer(function, name=layer_name)([self, others[0]])
        if others:
            constant = others[0]
            return _OperatorLayer(lambda a: function(a, constant), name=layer_name)(self)
        return _OperatorLayer(function, name=layer_name)(self)

    def __add__(self, other):
        return self._op("add", lambda a, b: a + b, other)

    def __radd__(self, other):
        return self._op("add", lambda a, b: b + a, other)

    def __sub__(self, other):
        return self._op("subtract", lambda a, b: a - b, other)

    def __rsub__(self, other):
        return self._op("subtract", lambda a, b: b - a, other)

    def __mul__(self, other):
        return self._op("multiply", lambda a, b: a * b, other)

    def __rmul__(self, other):
        return self._op("multiply", lambda a, b: b * a, other)

    def __truediv__(self, other):
        return self._op("truediv", lambda a, b: a / b, other)

    def __rtruediv__(self, other):
        return self._op("truediv", lambda a, b: b / a, other)

    def __pow__(self, other):
        return self._op("pow", lambda a, b: a**b, other)

    def __matmul__(self, other):
        return self._op("matmul", lambda a, b: a @ b, other)

    def __neg__(self):
        return self._op("negative", lambda a: -a)

    def __getitem__(self, key):
        return self._op("getitem", lambda a: a[key])


def _is_symbolic(structure):
    if isinstance(structure, KerasTensor):
        return True
    if isinstance(structure, (list, tuple)):
        return any(_is_symbolic(item) for item in structure)
    if isinstance(structure, dict):
        return any(_is_symbolic(item) for item in structure.values())
    return False
