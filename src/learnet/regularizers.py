"""Regularizers: penalties on weights added to the loss (``keras.regularizers``).

``Dense(64, kernel_regularizer=regularizers.l2(1e-4))`` adds ``1e-4 * sum(kernel ** 2)``
to ``layer.losses``, which ``Model.fit`` adds to the loss it minimizes.

Examples
--------
>>> import learnet as tf
>>> from learnet import regularizers
>>> float(regularizers.L2(0.5)(tf.constant([1.0, 2.0])))
2.5
"""

from learnet import registry
from learnet.ops.math import abs as absolute
from learnet.ops.math import square
from learnet.ops.reduce import reduce_sum


class Regularizer:
    """Base class: ``__call__(x)`` returns a scalar penalty for the weight ``x``."""

    def __call__(self, x):
        return 0.0

    def get_config(self):
        """The constructor arguments, as a dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Create the regularizer from ``get_config()``'s dict."""
        return cls(**config)

    def __repr__(self):
        return f"<learnet.regularizers.{type(self).__name__} {self.get_config()}>"


def _factor(value, name):
    value = float(value)
    if value < 0:
        raise ValueError(f"regularization factor {name} must be non-negative, got {value}")
    return value


class L1(Regularizer):
    """``l1 * sum(|x|)``."""

    def __init__(self, l1=0.01):
        self.l1 = _factor(l1, "l1")

    def __call__(self, x):
        return self.l1 * reduce_sum(absolute(x))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(x ** 2)`` (no factor 1/2, as in Keras)."""

    def __init__(self, l2=0.01):
        self.l2 = _factor(l2, "l2")

    def __call__(self, x):
        return self.l2 * reduce_sum(square(x))

    def get_config(self):
        return {"l2": self.l2}


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x ** 2)``."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor(l1, "l1")
        self.l2 = _factor(l2, "l2")

    def __call__(self, x):
        total = 0.0
        if self.l1:
            total = self.l1 * reduce_sum(absolute(x))
        if self.l2:
            total = total + self.l2 * reduce_sum(square(x))
        if isinstance(total, float):
            return reduce_sum(x * 0.0)
        return total

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """``factor`` times the mean squared off-diagonal cosine similarity of rows (or columns)."""

    def __init__(self, factor=0.01, mode="rows"):
        if mode not in ("rows", "columns"):
            raise ValueError(f"OrthogonalRegularizer: mode must be 'rows' or 'columns', got {mode!r}")
        self.factor = _factor(factor, "factor")
        self.mode = mode

    def __call__(self, x):
        from learnet.ops.linalg import matmul
        from learnet.ops.math import sqrt
        from learnet.ops.shape import transpose
        from learnet.tensor import Tensor

        if x.ndim != 2:
            raise ValueError(f"OrthogonalRegularizer needs a 2-D weight, got shape {tuple(x.shape)}")
        if self.mode == "columns":
            x = transpose(x)
        norms = sqrt(reduce_sum(square(x), axis=1, keepdims=True)) + 1e-7
        unit = x / norms
        product = matmul(unit, unit, transpose_b=True)
        n = x.shape[0]
        from learnet.backend import xp

        off_diagonal = Tensor._wrap(1 - xp.eye(n, dtype=x.dtype))
        return self.factor * reduce_sum(square(product * off_diagonal)) / (n * (n - 1) if n > 1 else 1)

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


# Keras' lower-case names: `regularizers.l2(1e-4)`.
l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer

_BY_NAME = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2, "orthogonal_regularizer": OrthogonalRegularizer}
_BY_CLASS_NAME = {"L1": L1, "L2": L2, "L1L2": L1L2, "OrthogonalRegularizer": OrthogonalRegularizer}


def serialize(regularizer):
    """``{"class_name": ..., "config": ...}`` for a regularizer."""
    if isinstance(regularizer, Regularizer):
        return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}
    if callable(regularizer) and not isinstance(regularizer, type):
        # A function of the user's own: saved by the name it was registered under.
        return registry.function_name_for_saving(regularizer, "regularizer")
    raise ValueError(f"cannot serialize the regularizer {regularizer!r}: it is not a Regularizer")


def deserialize(config):
    """The inverse of ``serialize``."""
    return get(config)


def get(identifier):
    """Turn ``None``, a name (``"l2"``), a config dict, a ``Regularizer`` or a callable into one."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower()) or _BY_CLASS_NAME.get(identifier)
        if cls is None:
            custom = registry.get_registered_object(identifier)  # registered, or in custom_objects
            if custom is None:  # a library function saved by its TensorFlow name (tf.nn.l2_loss)
                custom = registry.library_function(identifier)
            if isinstance(custom, type) and issubclass(custom, Regularizer):
                return custom()
            if callable(custom) and not isinstance(custom, type):
                return custom
            raise ValueError(f"unknown regularizer {identifier!r}; known ones: l1, l2, l1_l2")
        return cls()
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        cls = _BY_CLASS_NAME.get(name) or _BY_NAME.get(str(name).lower()) or registry.get_registered_object(str(name))
        if not (isinstance(cls, type) and issubclass(cls, Regularizer)) and cls is not None:
            raise ValueError(f"the regularizer class {name!r} must be a keras.regularizers.Regularizer, got {cls!r}")
        if cls is None:
            raise ValueError(
                f"unknown regularizer class {name!r} in {identifier!r}. If it is your own Regularizer, "
                f"register it or pass custom_objects={{{name!r}: {name}}}"
            )
        return cls.from_config(identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise ValueError(f"cannot interpret {identifier!r} as a regularizer")
