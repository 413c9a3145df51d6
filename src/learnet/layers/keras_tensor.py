"""``KerasTensor``: the symbolic tensor a functional model is built from (what ``Input`` returns).

A ``KerasTensor`` has a shape and a dtype but no values. Calling a layer on one runs
nothing: the layer returns a new ``KerasTensor`` whose ``_keras_history`` remembers the
layer and its inputs, and ``learnet.models.Functional`` walks that history back.
"""

from collections import namedtuple

import numpy

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
        self._keras_call_first_name = None  # the name the first argument was given under, if any

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

    def __int__(self):
        raise ValueError(
            "a KerasTensor is a symbolic placeholder of a functional model: it has no value to make an int"
        )

    def __float__(self):
        raise ValueError(
            "a KerasTensor is a symbolic placeholder of a functional model: it has no value to make a float"
        )

    def __iter__(self):
        raise NotImplementedError("iterating over a symbolic KerasTensor is not supported; index it (x[:, 0]) instead")

    def reshape(self, newshape):
        """``keras.ops.reshape(self, newshape)``, recorded in the graph."""
        return self._record_call("reshape", None, (self, newshape), {})

    def squeeze(self, axis=None):
        """``keras.ops.squeeze(self, axis)``, recorded in the graph."""
        return self._record_call("squeeze", None, (self, axis), {})

    # Operators on symbolic tensors become layers of the graph (learnet/layers/operation.py),
    # recorded as the keras.ops function Keras 3 records: `x * 2` is multiply(x, 2).
    def _operation(self, name, *args):
        return self._record_call(name, None, args, {})

    def _record_call(self, name, function, args, kwargs):
        """A function of a lower floor (``keras.activations.relu``) called on this tensor, recorded as a
        node: as the keras.ops operation ``name``, or, for a ``"tf:..."`` name, as that function."""
        from learnet.layers import operation
        from learnet import keras_ops

        if name.startswith(operation.TF_PREFIX):
            return operation.record_call(name, function, args, kwargs)
        return operation.record(name, getattr(keras_ops, name).__wrapped__, args, kwargs)

    def __add__(self, other):
        return self._operation("add", self, other)

    def __radd__(self, other):
        return self._operation("add", other, self)

    def __sub__(self, other):
        return self._operation("subtract", self, other)

    def __rsub__(self, other):
        return self._operation("subtract", other, self)

    def __mul__(self, other):
        return self._operation("multiply", self, other)

    def __rmul__(self, other):
        return self._operation("multiply", other, self)

    def __truediv__(self, other):
        return self._operation("true_divide", self, other)

    def __rtruediv__(self, other):
        return self._operation("true_divide", other, self)

    def __floordiv__(self, other):
        return self._operation("floor_divide", self, other)

    def __rfloordiv__(self, other):
        return self._operation("floor_divide", other, self)

    def __mod__(self, other):
        return self._operation("mod", self, other)

    def __rmod__(self, other):
        return self._operation("mod", other, self)

    def __pow__(self, other):
        return self._operation("power", self, other)

    def __rpow__(self, other):
        return self._operation("power", other, self)

    def __matmul__(self, other):
        return self._operation("matmul", self, other)

    def __rmatmul__(self, other):
        return self._operation("matmul", other, self)

    def __neg__(self):
        return self._operation("negative", self)

    def __abs__(self):
        return self._operation("absolute", self)

    def __lt__(self, other):
        return self._operation("less", self, other)

    def __le__(self, other):
        return self._operation("less_equal", self, other)

    def __gt__(self, other):
        return self._operation("greater", self, other)

    def __ge__(self, other):
        return self._operation("greater_equal", self, other)

    # `!=` is an operation, `==` is not (as in Keras 3): `==` stays Python's identity test, which
    # `in`, `list.index` and dictionaries rely on. Compare values with keras.ops.equal(x, y).
    def __ne__(self, other):
        return self._operation("not_equal", self, other)

    # `&`, `|`, `^` and `~` are the logical operations, as in Keras 3 (not bitwise ones).
    def __and__(self, other):
        return self._operation("logical_and", self, other)

    def __rand__(self, other):
        return self._operation("logical_and", other, self)

    def __or__(self, other):
        return self._operation("logical_or", self, other)

    def __ror__(self, other):
        return self._operation("logical_or", other, self)

    def __xor__(self, other):
        return self._operation("logical_xor", self, other)

    def __rxor__(self, other):
        return self._operation("logical_xor", other, self)

    def __invert__(self):
        return self._operation("logical_not", self)

    def __round__(self, ndigits=None):
        return self._record_call("round", None, (self,), {"decimals": ndigits or 0})

    def __getitem__(self, key):
        return self._operation("get_item", self, key)


def _is_symbolic(structure):
    if isinstance(structure, KerasTensor):
        return True
    if isinstance(structure, (list, tuple)):
        return any(_is_symbolic(item) for item in structure)
    if isinstance(structure, dict):
        return any(_is_symbolic(item) for item in structure.values())
    return False
