"""More elementwise functions of ``tf.math``: inverse trigonometric and hyperbolic functions,
``expm1``, the error function, ``lgamma`` and ``digamma``, and the ``xlogy`` family.

Each is a primitive with its backward beside it, as in ``learnet.ops.math``. NumPy has no
error or gamma function, so they are computed here:

* ``erf``/``erfc``: in float64 by the Taylor series of ``exp(z^2) erf(z)`` (all terms
  positive, so nothing cancels) below 2.5 and by the continued fraction of ``erfc`` above,
  to about 1e-15; in float32 (what models run in) by a single-exponential formula for
  ``erfc`` good to 1.2e-7 relative (Numerical Recipes' ``erfcc``), and the Taylor series
  near 0.
* ``lgamma``: Lanczos' approximation (g = 7, nine terms), with the reflection formula
  below 1/2; ``digamma`` and its derivative: the recurrence ``psi(x) = psi(x + 1) - 1/x``
  up to 10, then their asymptotic series.

Examples
--------
>>> import learnet as tf
>>> tf.math.erf(tf.constant([0.0, 1.0])).numpy()
array([0.       , 0.8427008], dtype=float32)
"""

import math

import numpy

from learnet.backend import xp
from learnet.ops.math import _check_broadcast, exp, log, log1p, sqrt, unbroadcast, where
from learnet.tape import primitive
from learnet.tensor import Tensor


def _float(x):
    """The float dtype a result of ``x`` takes (integers compute in float32)."""
    return x.dtype if x.dtype.kind in "fc" else numpy.dtype(numpy.float32)


# --- inverse trigonometric and hyperbolic functions -----------------------------------------------------
@primitive
def acos(x, name=None):
    """Elementwise arc cosine, in ``[0, pi]``."""
    return xp.arccos(x), lambda g, x, out: -g / sqrt(1 - x * x)


@primitive
def asin(x, name=None):
    """Elementwise arc sine, in ``[-pi/2, pi/2]``."""
    return xp.arcsin(x), lambda g, x, out: g / sqrt(1 - x * x)


@primitive
def atan(x, name=None):
    """Elementwise arc tangent, in ``(-pi/2, pi/2)``."""
    return xp.arctan(x), lambda g, x, out: g / (1 + x * x)


@primitive
def atan2(y, x, name=None):
    """The angle of the point ``(x, y)``, ``atan(y / x)`` in the right quadrant (``tf.math.atan2(y, x)``).

    Examples
    --------
    >>> import learnet as tf
    >>> round(float(tf.math.atan2(1.0, -1.0)), 4)
    2.3562
    """
    _check_broadcast("atan2", y, x)

    def backward(g, y, x, out):
        radius2 = x * x + y * y
        return unbroadcast(g * x / radius2, y.shape), unbroadcast(-g * y / radius2, x.shape)

    return xp.arctan2(y, x), backward


@primitive
def sinh(x, name=None):
    """Elementwise hyperbolic sine."""
    return xp.sinh(x), lambda g, x, out: g * cosh(x)


@primitive
def cosh(x, name=None):
    """Elementwise hyperbolic cosine."""
    return xp.cosh(x), lambda g, x, out: g * sinh(x)


@primitive
def asinh(x, name=None):
    """Elementwise inverse hyperbolic sine."""
    return xp.arcsinh(x), lambda g, x, out: g / sqrt(x * x + 1)


@primitive
def acosh(x, name=None):
    """Elementwise inverse hyperbolic cosine (``x >= 1``)."""
    return xp.arccosh(x), lambda g, x, out: g / sqrt(x * x - 1)


@primitive
def atanh(x, name=None):
    """Elementwise inverse hyperbolic tangent (``|x| < 1``)."""
    return xp.arctanh(x), lambda g, x, out: g / (1 - x * x)


@primitive
def expm1(x, name=None):
    """Elementwise ``exp(x) - 1``, accurate for small ``x``."""
    return xp.expm1(x), lambda g, x, out: g * (out + 1)


# --- the error function ----------------------------------------------------------------------------------
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
# Numerical Recipes' erfcc: erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z/2), relative error < 1.2e-7.
_ERFC_FAST = (
    -1.26551223,
    1.00002368,
    0.37409196,
    0.09678418,
    -0.18628806,
    0.27886807,
    -1.13520398,
    1.48851587,
    -0.82215223,
    0.17087277,
)


def _erf_series(z, terms):
    """erf(z) for z >= 0 from ``exp(z^2) erf(z) = 2/sqrt(pi) sum 2^n z^(2n+1) / (1*3*...*(2n+1))``."""
    term, total, step = z, z, 2 * z * z
    for n in range(1, terms):
        term = term * step / (2 * n + 1)
        total = total + term
    return _TWO_OVER_SQRT_PI * xp.exp(-z * z) * total


def _erfc_continued_fraction(z, terms=30):
    """erfc(z) for z >= 2.5: ``exp(-z^2) / sqrt(pi) / (z + (1/2) / (z + 1 / (z + (3/2) / (z + ...))))``."""
    denominator = z
    for k in range(terms, 0, -1):
        denominator = z + (k / 2) / denominator
    return xp.exp(-z * z) / (math.sqrt(math.pi) * denominator)


def _erfc_fast(z):
    t = 1.0 / (1.0 + 0.5 * z)
    poly = _ERFC_FAST[-1]
    for c in _ERFC_FAST[-2::-1]:
        poly = c + t * poly
    return t * xp.exp(-z * z + poly)


def _erf_erfc(x):
    """``(erf(x), erfc(x))`` as arrays of x's float dtype."""
    dtype = _float(x)
    z = xp.abs(x.astype(numpy.float64))
    if dtype == numpy.float64:
        near = z < 2.5
        erf_z = xp.empty_like(z)
        erfc_z = xp.empty_like(z)
        erf_z[near] = _erf_series(z[near], 40)
        erfc_z[near] = 1.0 - erf_z[near]
        erfc_z[~near] = _erfc_continued_fraction(z[~near])
        erf_z[~near] = 1.0 - erfc_z[~near]
    else:
        erfc_z = _erfc_fast(z)
        erf_z = xp.where(z < 0.5, _erf_series(xp.minimum(z, 0.5), 12), 1.0 - erfc_z)
        erfc_z = xp.where(z < 0.5, 1.0 - erf_z, erfc_z)
    negative = x < 0
    erf_x = xp.where(negative, -erf_z, erf_z)
    erfc_x = xp.where(negative, 2.0 - erfc_z, erfc_z)
    return erf_x.astype(dtype), erfc_x.astype(dtype)


def _gaussian_slope(x):
    """``2/sqrt(pi) exp(-x^2)``, the derivative of erf (a learnet op: differentiable again)."""
    return _TWO_OVER_SQRT_PI * exp(-x * x)


@primitive
def erf(x, name=None):
    """The error function ``2/sqrt(pi) * integral from 0 to x of exp(-t^2) dt``, elementwise.

    Examples
    --------
    >>> import learnet as tf
    >>> round(float(tf.math.erf(0.5)), 6)
    0.5205
    """
    return _erf_erfc(x)[0], lambda g, x, out: g * _gaussian_slope(x)


@primitive
def erfc(x, name=None):
    """The complementary error function ``1 - erf(x)``, accurate where it is tiny (large ``x``)."""
    return _erf_erfc(x)[1], lambda g, x, out: -g * _gaussian_slope(x)


# --- the gamma function ------------------------------------------------------------------------------------
_LANCZOS_G = 7.0
_LANCZOS = (
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
)


def _lgamma_values(x):
    """``log|Gamma(x)|`` (float64 arrays); +inf at 0 and the negative integers."""
    reflect = x < 0.5
    y = xp.where(reflect, 1.0 - x, x) - 1.0  # Lanczos' sum is written for Gamma(y + 1), y >= -1/2
    total = xp.full_like(y, _LANCZOS[0])
    for k, c in enumerate(_LANCZOS[1:], start=1):
        total = total + c / (y + k)
    t = y + _LANCZOS_G + 0.5
    direct = 0.5 * math.log(2 * math.pi) + (y + 0.5) * xp.log(t) - t + xp.log(total)
    with numpy.errstate(divide="ignore"):
        # Gamma(x) Gamma(1 - x) = pi / sin(pi x)
        reflected = math.log(math.pi) - xp.log(xp.abs(xp.sin(math.pi * x))) - direct
    return xp.where(reflect, reflected, direct)


def _polygamma_values(x, order):
    """digamma (``order`` 0) or trigamma (1) of the float64 array ``x``."""
    reflect = x < 0.5
    y = xp.where(reflect, 1.0 - x, x)
    shift = xp.zeros_like(y)
    for _ in range(10):  # psi(y) = psi(y + 1) - 1/y, psi'(y) = psi'(y + 1) + 1/y^2: move y to 10 or more
        small = y < 10
        shift = shift + xp.where(small, 1.0 / y if order == 0 else 1.0 / (y * y), 0.0)
        y = xp.where(small, y + 1.0, y)
    inverse2 = 1.0 / (y * y)
    if order == 0:
        series = inverse2 * (
            1 / 12 - inverse2 * (1 / 120 - inverse2 * (1 / 252 - inverse2 * (1 / 240 - inverse2 / 132)))
        )
        value = xp.log(y) - 0.5 / y - series - shift
        with numpy.errstate(divide="ignore", invalid="ignore"):
            return xp.where(reflect, value - math.pi / xp.tan(math.pi * x), value)  # psi(1-x) - psi(x) = pi cot(pi x)
    series = (1 + inverse2 * (1 / 6 - inverse2 * (1 / 30 - inverse2 * (1 / 42 - inverse2 / 30)))) / y
    value = series + 0.5 * inverse2 + shift
    with numpy.errstate(divide="ignore", invalid="ignore"):
        return xp.where(reflect, (math.pi / xp.sin(math.pi * x)) ** 2 - value, value)  # psi'(1-x) + psi'(x)


@primitive
def lgamma(x, name=None):
    """``log(|Gamma(x)|)``, elementwise; its gradient is ``digamma(x)``.

    Examples
    --------
    >>> import learnet as tf
    >>> round(float(tf.math.lgamma(5.0)), 4)  # log(4!)
    3.1781
    """
    return _lgamma_values(x.astype(numpy.float64)).astype(_float(x)), lambda g, x, out: g * digamma(x)


@primitive(higher_order=False)
def digamma(x, name=None):
    """The digamma function ``d/dx log(Gamma(x))``, elementwise (``tf.math.digamma``).

    Its gradient (the trigamma function) is of first order only.
    """

    def backward(g, x, out):
        return g * _polygamma_values(x.astype(numpy.float64), 1).astype(g.dtype)

    return _polygamma_values(x.astype(numpy.float64), 0).astype(_float(x)), backward


# --- x log y and friends: 0 where x is 0, whatever y -----------------------------------------------------
def _zero_where_x_is_zero(name, x, y, value):
    _check_broadcast(name, x, y)
    with numpy.errstate(divide="ignore", invalid="ignore"):
        return xp.where(x == 0, 0, value(x, y)).astype(numpy.result_type(x, y))


def _masked(x, y, grad):
    zero = Tensor._wrap(xp.zeros((), dtype=x._value.dtype))
    nonzero = Tensor._wrap(x._value != 0)
    safe_y = where(nonzero, y, Tensor._wrap(xp.ones((), dtype=y._value.dtype)))
    return where(nonzero, grad(safe_y), zero)


@primitive
def xlogy(x, y, name=None):
    """``x * log(y)``, but 0 where ``x`` is 0 (``tf.math.xlogy``), as entropies need.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.math.xlogy(tf.constant([0.0, 2.0]), tf.constant([0.0, 1.0])).numpy()
    array([0., 0.], dtype=float32)
    """

    def backward(g, x, y, out):
        return (
            unbroadcast(_masked(x, y, lambda y: g * log(y)), x.shape),
            unbroadcast(_masked(x, y, lambda y: g * x / y), y.shape),
        )

    return _zero_where_x_is_zero("xlogy", x, y, lambda x, y: x * xp.log(y)), backward


@primitive
def xlog1py(x, y, name=None):
    """``x * log(1 + y)``, but 0 where ``x`` is 0 (``tf.math.xlog1py``)."""

    def backward(g, x, y, out):
        return (
            unbroadcast(_masked(x, y, lambda y: g * log1p(y)), x.shape),
            unbroadcast(_masked(x, y, lambda y: g * x / (1 + y)), y.shape),
        )

    return _zero_where_x_is_zero("xlog1py", x, y, lambda x, y: x * xp.log1p(y)), backward


@primitive
def xdivy(x, y, name=None):
    """``x / y``, but 0 where ``x`` is 0 (``tf.math.xdivy``)."""

    def backward(g, x, y, out):
        return (
            unbroadcast(_masked(x, y, lambda y: g / y), x.shape),
            unbroadcast(_masked(x, y, lambda y: -g * x / (y * y)), y.shape),
        )

    return _zero_where_x_is_zero("xdivy", x, y, lambda x, y: x / y), backward
