"""Floor 3: every differentiable primitive, and the operators of ``Tensor``.

The ops live in rooms by kind (``math``, ``reduce``, ``shape``, ``linalg``, ``nn``,
``creation``); this package gathers them and teaches ``Tensor`` its Python operators,
so that ``a + b`` is exactly ``learnet.add(a, b)`` and is recorded the same way.
"""

from learnet.ops.creation import eye, fill, linspace, ones, ones_like, range, zeros, zeros_like
from learnet.ops.linalg import matmul, tensordot
from learnet.ops.math import (
    abs,
    add,
    cast,
    ceil,
    clip_by_value,
    cos,
    divide,
    equal,
    exp,
    floor,
    floordiv,
    floormod,
    greater,
    greater_equal,
    identity,
    is_finite,
    is_inf,
    is_nan,
    less,
    less_equal,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    pow,
    reciprocal,
    round,
    rsqrt,
    sign,
    sin,
    sqrt,
    square,
    subtract,
    tan,
    tanh,
    unbroadcast,
    where,
)
from learnet.ops.reduce import (
    argmax,
    argmin,
    cumprod,
    cumsum,
    reduce_all,
    reduce_any,
    reduce_logsumexp,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_std,
    reduce_sum,
    reduce_variance,
)
from learnet.ops.shape import (
    argsort,
    boolean_mask,
    broadcast_to,
    concat,
    expand_dims,
    gather,
    getitem,
    meshgrid,
    one_hot,
    pad,
    repeat,
    reshape,
    reverse,
    roll,
    slice,
    sort,
    split,
    squeeze,
    stack,
    take_along_axis,
    tile,
    transpose,
    unstack,
)
from learnet.ops.clipping import clip_by_global_norm, clip_by_norm  # noqa: F401
from learnet.ops import jacobians as _jacobians
from learnet.tape import GradientTape as _GradientTape
from learnet.tensor import Tensor, _UFUNC_OPS


def _reverse(op):
    return lambda self, other: op(other, self)


def _attach_operators():
    T = Tensor
    T.__add__, T.__radd__ = add, _reverse(add)
    T.__sub__, T.__rsub__ = subtract, _reverse(subtract)
    T.__mul__, T.__rmul__ = multiply, _reverse(multiply)
    T.__truediv__, T.__rtruediv__ = divide, _reverse(divide)
    T.__pow__, T.__rpow__ = pow, _reverse(pow)
    T.__matmul__, T.__rmatmul__ = matmul, _reverse(matmul)
    T.__neg__ = negative
    T.__pos__ = lambda self: self
    T.__abs__ = abs
    T.__getitem__ = getitem
    T.__eq__, T.__ne__ = equal, not_equal
    T.__lt__, T.__le__ = less, less_equal
    T.__gt__, T.__ge__ = greater, greater_equal
    T.__and__, T.__or__, T.__xor__ = logical_and, logical_or, logical_xor
    T.__invert__ = logical_not
    T.__floordiv__, T.__rfloordiv__ = floordiv, _reverse(floordiv)
    T.__mod__, T.__rmod__ = floormod, _reverse(floormod)
    # Convenience methods some course code calls on tensors, as NumPy arrays have them.
    T.reshape = lambda self, *shape: reshape(self, shape[0] if len(shape) == 1 else shape)
    T.T = property(lambda self: transpose(self))
    _UFUNC_OPS.update(
        add=add,
        subtract=subtract,
        multiply=multiply,
        true_divide=divide,
        divide=divide,
        power=pow,
        matmul=matmul,
    )


_attach_operators()
# GradientTape (the autodiff floor) gets its jacobians from here, as Tensor gets its operators.
setattr(_GradientTape, "jacobian", _jacobians.jacobian)  # setattr: a method added from a floor above
setattr(_GradientTape, "batch_jacobian", _jacobians.batch_jacobian)

# What `from learnet.ops import *` gives the top level: the ops, not the room modules.
__all__ = sorted(
    name
    for name, value in dict(globals()).items()
    if callable(value) and not name.startswith("_") and name not in ("Tensor", "unbroadcast")
)
