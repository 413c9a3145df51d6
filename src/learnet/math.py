"""``learnet.math``: elementwise and reduction ops under TensorFlow's ``tf.math`` names."""
from learnet.ops.math import *  # noqa: F401,F403
from learnet.ops.math import (  # noqa: F401
    abs, add, ceil, cos, divide, equal, exp, floor, greater, greater_equal, is_finite, is_inf,
    is_nan, less, less_equal, log, log1p, logical_and, logical_not, logical_or, maximum, minimum,
    multiply, negative, not_equal, pow, reciprocal, round, rsqrt, sign, sin, sqrt, square,
    subtract, tan, tanh,
)
from learnet.ops.nn import sigmoid, softplus  # noqa: F401
from learnet.ops.reduce import (  # noqa: F401
    argmax, argmin, reduce_all, reduce_any, reduce_logsumexp, reduce_max, reduce_mean,
    reduce_min, reduce_prod, reduce_std, reduce_sum, reduce_variance,
)
