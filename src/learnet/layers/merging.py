"""Layers that merge several inputs: ``Add``, ``Concatenate``, ``Multiply``, ``Average``...

Each is called on a list of tensors whose shapes broadcast as Keras 3's do (``Concatenate``:
matching except along ``axis``), and has a lower-case function form, as in Keras:
``layers.add([a, b])`` is ``layers.Add()([a, b])``.

Examples
--------
>>> import learnet as tf
>>> from learnet import layers
>>> layers.Concatenate()([tf.ones((2, 3)), tf.zeros((2, 4))]).shape
TensorShape([2, 7])
>>> layers.Add()([tf.ones((2, 3)), tf.ones((2, 3))]).numpy()[0]
array([2., 2., 2.], dtype=float32)
"""

import numpy as np

from learnet import backend
from learnet.layers.base import Layer
from learnet.ops.linalg import matmul
from learnet.ops.math import cast, maximum, minimum, sqrt
from learnet.ops.reduce import reduce_sum
from learnet.ops.shape import concat, expand_dims


def merged_dtype(dtypes):
    """The dtype a merge of tensors of ``dtypes`` computes in, by Keras 3's promotion rules.

    Unlike NumPy's rules (where ``int64`` with ``float32`` gives ``float64``), any float wins
    over integers and booleans: a float32 feature concatenated with an int64 column (a
    pandas column of whole numbers) stays float32. Floats meet in the wider one, integers
    promote as in NumPy, and ``uint64`` with a signed integer, which no integer type holds,
    gives the default float type.

    Examples
    --------
    >>> import numpy as np
    >>> merged_dtype([np.dtype("int64"), np.dtype("float32")])
    dtype('float32')
    >>> merged_dtype([np.dtype("bool"), np.dtype("int32")])
    dtype('int32')
    """
    dtypes = [np.dtype(d) for d in dtypes]
    floats = [d for d in dtypes if d.kind in "fc"]
    if floats:
        return np.result_type(*floats)
    result = np.result_type(*dtypes)
    return np.dtype(backend.floatx()) if result.kind == "f" else result


class _Merge(Layer):
    # Keras 3 merges a list of one tensor too (it comes back as it is); Subtract and Dot
    # check for exactly two.
    _min_inputs = 1

    def _check(self, shapes):
        who = f"{type(self).__name__} '{self.name}'"
        if not isinstance(shapes, (list, tuple)) or (shapes and not isinstance(shapes[0], (list, tuple))):
            raise ValueError(f"{who} must be called on a list of at least {self._min_inputs} tensors")
        if len(shapes) < self._min_inputs:
            raise ValueError(
                f"{who} must be called on a list of at least {self._min_inputs} tensors, got {len(shapes)}"
            )
        return who

    def build(self, input_shape):
        who = self._check(input_shape)
        self._check_shapes(who, [tuple(s) for s in input_shape])
        self.built = True

    def _check_shapes(self, who, shapes):
        self._broadcast_shape(who, shapes)

    @staticmethod
    def _broadcast_shape(who, shapes):
        """The shape past the batch axis that the inputs broadcast to, as Keras 3 works it out:
        aligned at the right, a size of 1 stretches; other sizes must agree."""
        result = ()
        for shape in (tuple(s)[1:] for s in shapes):
            longer, shorter = (result, shape) if len(result) >= len(shape) else (shape, result)
            lead = len(longer) - len(shorter)
            merged = list(longer[:lead])
            for a, b in zip(longer[lead:], shorter):
                if a is not None and b is not None and a != b and 1 not in (a, b):
                    raise ValueError(
                        f"{who}: inputs have incompatible shapes {', '.join(str(tuple(s)) for s in shapes)}"
                    )
                if a is None or b is None:
                    known = b if a is None else a
                    merged.append(known if known not in (None, 1) else None)
                else:
                    merged.append(b if a == 1 else a)
            result = tuple(merged)
        return result

    def call(self, inputs):
        shapes = [tuple(t.shape) for t in inputs]
        self._check(shapes)
        self._check_shapes(f"{type(self).__name__} '{self.name}'", shapes)
        inputs = list(inputs)
        rank = max(len(shape) for shape in shapes)
        # Inputs of different dtypes meet in one, as Keras 3 promotes them (int64 and float32 give float32).
        dtype = merged_dtype([x.dtype for x in inputs])
        for i, x in enumerate(inputs):  # as Keras: a lower-rank input gets new axes after the batch axis
            if x.dtype != dtype:
                x = cast(x, dtype)
            while x.ndim < rank:
                x = expand_dims(x, 1)
            inputs[i] = x
        return self._merge(inputs)

    def compute_output_shape(self, input_shape):
        batch = next((s[0] for s in input_shape if len(s) and s[0] is not None), None)
        return (batch,) + self._broadcast_shape(f"{type(self).__name__} '{self.name}'", input_shape)


class Add(_Merge):
    """Sum of the inputs (the "skip connection" of a residual network)."""

    def _merge(self, inputs):
        total = inputs[0]
        for x in inputs[1:]:
            total = total + x
        return total


class Subtract(_Merge):
    """The first input minus the second (exactly two inputs)."""

    def _check(self, shapes):
        who = super()._check(shapes)
        if len(shapes) != 2:
            raise ValueError(f"{who} needs exactly 2 inputs, got {len(shapes)}")
        return who

    def _merge(self, inputs):
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    """Elementwise product of the inputs."""

    def _merge(self, inputs):
        total = inputs[0]
        for x in inputs[1:]:
            total = total * x
        return total


class Average(_Merge):
    """Elementwise mean of the inputs."""

    def _merge(self, inputs):
        return Add._merge(self, inputs) / float(len(inputs))


class Maximum(_Merge):
    """Elementwise maximum of the inputs."""

    def _merge(self, inputs):
        total = inputs[0]
        for x in inputs[1:]:
            total = maximum(total, x)
        return total


class Minimum(_Merge):
    """Elementwise minimum of the inputs."""

    def _merge(self, inputs):
        total = inputs[0]
        for x in inputs[1:]:
            total = minimum(total, x)
        return total


class Concatenate(_Merge):
    """Join the inputs along ``axis`` (the last by default); other sizes must match.

    Parameters
    ----------
    axis : int, default -1
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def _check_shapes(self, who, shapes):
        rank = len(shapes[0])
        axis = self.axis % rank if rank else 0
        for shape in shapes[1:]:
            if len(shape) != rank or any(
                i != axis and a is not None and b is not None and a != b
                for i, (a, b) in enumerate(zip(shape, shapes[0]))
                if i > 0
            ):
                raise ValueError(
                    f"{who} needs inputs with matching shapes except along axis {self.axis}, "
                    f"got {', '.join(str(s) for s in shapes)}"
                )

    def _merge(self, inputs):
        return concat(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape):
        shapes = [tuple(s) for s in input_shape]
        out = [next((s[i] for s in shapes if s[i] is not None), None) for i in range(len(shapes[0]))]
        axis = self.axis % len(out)
        sizes = [s[axis] for s in shapes]
        out[axis] = None if any(s is None for s in sizes) else sum(sizes)
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


class Dot(_Merge):
    """Dot product of two inputs along ``axes`` (per example), optionally of unit vectors.

    Parameters
    ----------
    axes : int or (int, int)
        The axis of each input summed over (axis 0 is the batch axis, so 1 or 2).
    normalize : bool, default False
        Divide each input by its L2 norm first: the result is the cosine similarity.
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        self.axes = [int(axes), int(axes)] if isinstance(axes, int) else [int(a) for a in axes]
        self.normalize = bool(normalize)

    def _check(self, shapes):
        who = super()._check(shapes)
        if len(shapes) != 2:
            raise ValueError(f"{who} needs exactly 2 inputs, got {len(shapes)}")
        return who

    def _check_shapes(self, who, shapes):
        a, b = shapes
        if len(a) != len(b) or len(a) not in (2, 3):
            raise ValueError(f"{who} supports two inputs of rank 2, or two of rank 3, got {a} and {b}")
        ia, ib = self.axes[0] % len(a), self.axes[1] % len(b)
        if a[ia] is not None and b[ib] is not None and a[ia] != b[ib]:
            raise ValueError(f"{who}: axis {self.axes[0]} of {a} and axis {self.axes[1]} of {b} differ in size")

    def _merge(self, inputs):
        a, b = inputs
        ia, ib = self.axes[0] % a.ndim, self.axes[1] % b.ndim
        if self.normalize:
            a = a / sqrt(reduce_sum(a * a, axis=ia, keepdims=True) + 1e-12)
            b = b / sqrt(reduce_sum(b * b, axis=ib, keepdims=True) + 1e-12)
        if a.ndim == 2:
            return reduce_sum(a * b, axis=1, keepdims=True)
        # Two batches of matrices: one batched matrix product over the chosen axes.
        return matmul(a, b, transpose_a=(ia == 1), transpose_b=(ib == 2))

    def compute_output_shape(self, input_shape):
        a, b = (tuple(s) for s in input_shape)
        ia, ib = self.axes[0] % len(a), self.axes[1] % len(b)
        rest = [s for i, s in enumerate(a) if i not in (0, ia)] + [s for i, s in enumerate(b) if i not in (0, ib)]
        return (a[0],) + tuple(rest) if rest else (a[0], 1)

    def get_config(self):
        config = super().get_config()
        config.update(axes=self.axes, normalize=self.normalize)
        return config


def add(inputs, **kwargs):
    """Functional form of ``Add``: ``add([a, b])``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of ``Subtract``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of ``Multiply``."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of ``Average``."""
    return Average(**kwargs)(inputs)


def maximum_(inputs, **kwargs):
    """Functional form of ``Maximum``."""
    return Maximum(**kwargs)(inputs)


def minimum_(inputs, **kwargs):
    """Functional form of ``Minimum``."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of ``Concatenate``: ``concatenate([a, b], axis=-1)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes, normalize=False, **kwargs):
    """Functional form of ``Dot``."""
    return Dot(axes, normalize=normalize, **kwargs)(inputs)
