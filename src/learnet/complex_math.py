"""Complex numbers: ``tf.complex``, ``tf.math.real``, ``imag``, ``conj`` and ``angle``.

A complex tensor (``complex64`` or ``complex128``) carries a gradient as TensorFlow's
does: for a real loss ``L`` and ``z = x + iy``, the gradient of ``z`` is the complex
number ``dL/dx + i dL/dy``. With that convention ``tf.abs(z)``, whose backward is
``g * z / |z|``, already carries gradients into complex tensors, and the Fourier
transforms of ``learnet.signal`` carry them on to the real signal they came from.
Through an analytic op (a product, ``exp``, a matrix product) the gradient goes back as
``g * conj(f'(z))``: the tape conjugates around every backward whose op has a complex
output (``learnet.tape._conjugated``), except the ops marked ``complex_aware`` here and
in ``learnet.signal``, whose backward is written in this convention directly.

Examples
--------
>>> import learnet as tf
>>> from learnet import complex_math
>>> z = complex_math.complex(tf.constant([3.0]), tf.constant([4.0]))
>>> z.dtype, tf.abs(z).numpy()
(dtype('complex64'), array([5.], dtype=float32))
"""

import numpy

from learnet.backend import xp
from learnet.tape import primitive
from learnet.tensor import Tensor


def complex_dtype_of(dtype):
    """The complex dtype that holds two numbers of the float ``dtype`` (``float64 -> complex128``)."""
    return numpy.dtype(numpy.complex128) if numpy.dtype(dtype) == numpy.float64 else numpy.dtype(numpy.complex64)


def real_dtype_of(dtype):
    """The float dtype of the parts of ``dtype`` (``complex64 -> float32``); a float dtype is kept."""
    dtype = numpy.dtype(dtype)
    if dtype.kind == "c":
        return numpy.dtype(numpy.float64) if dtype == numpy.complex128 else numpy.dtype(numpy.float32)
    return dtype if dtype.kind == "f" else numpy.dtype(numpy.float32)


def _float_parts(real, imag, who):
    for part, label in ((real, "real"), (imag, "imag")):
        if part.dtype.kind not in "fiu":
            raise TypeError(f"{who}: the {label} part must hold real numbers, got dtype {part.dtype}")
    dtype = numpy.result_type(real_dtype_of(real.dtype), real_dtype_of(imag.dtype))
    if real.shape != imag.shape:
        try:
            numpy.broadcast_shapes(real.shape, imag.shape)
        except ValueError:
            raise ValueError(
                f"{who}: real and imag parts of shapes {real.shape} and {imag.shape} cannot be broadcast together"
            ) from None
    return dtype


@primitive(complex_aware=True)
def complex(real, imag):  # noqa: A001 - TensorFlow's name
    """Build ``real + i * imag`` (``tf.complex``): float32 parts give complex64, float64 parts complex128.

    Examples
    --------
    >>> import learnet as tf
    >>> complex(tf.constant([1.0]), tf.constant([2.0])).numpy()
    array([1.+2.j], dtype=complex64)
    """
    dtype = _float_parts(real, imag, "complex")
    result = xp.empty(numpy.broadcast_shapes(real.shape, imag.shape), dtype=complex_dtype_of(dtype))
    result.real = real
    result.imag = imag

    def backward(g, real_part, imag_part, out):
        from learnet.ops.math import unbroadcast

        return unbroadcast(_real(g), real_part.shape), unbroadcast(_imag(g), imag_part.shape)

    return result, backward


@primitive
def _real(input):  # noqa: A002 - TensorFlow's name
    if input.dtype.kind != "c":
        return input.copy(), lambda g, x, out: g
    return input.real.copy(), lambda g, x, out: complex(g, _zeros_like(g))  # copy: a scalar stays a scalar


@primitive
def _imag(input):  # noqa: A002 - TensorFlow's name
    if input.dtype.kind != "c":
        return xp.zeros_like(input), lambda g, x, out: None
    return input.imag.copy(), lambda g, x, out: complex(_zeros_like(g), g)


def _zeros_like(tensor):
    return Tensor._wrap(xp.zeros_like(tensor._value))


def real(input, name=None):  # noqa: A002 - TensorFlow's name
    """The real part of each element (``tf.math.real``); a real tensor is returned as it is.

    Examples
    --------
    >>> import learnet as tf
    >>> real(tf.constant([1 + 2j])).numpy()
    array([1.])
    """
    return _real(input)


def imag(input, name=None):  # noqa: A002 - TensorFlow's name
    """The imaginary part of each element (``tf.math.imag``); zeros for a real tensor.

    Examples
    --------
    >>> import learnet as tf
    >>> imag(tf.constant([1 + 2j])).numpy()
    array([2.])
    """
    return _imag(input)


@primitive(complex_aware=True)
def conj(x):
    """The complex conjugate ``x - i y`` (``tf.math.conj``); a real tensor is returned unchanged.

    Examples
    --------
    >>> import learnet as tf
    >>> conj(tf.constant([1 + 2j])).numpy()
    array([1.-2.j])
    """
    if x.dtype.kind != "c":
        return x.copy(), lambda g, x, out: g
    return xp.conj(x), lambda g, x, out: conj(g)


@primitive
def angle(input):  # noqa: A002 - TensorFlow's name
    """The argument ``atan2(imag, real)`` of each element (``tf.math.angle``), in ``(-pi, pi]``.

    Its gradient is taken as 0 at 0.

    Examples
    --------
    >>> import learnet as tf
    >>> angle(tf.constant([1j])).numpy()
    array([1.57079633])
    """
    if input.dtype.kind != "c":
        result = xp.where(input < 0, numpy.pi, 0.0).astype(real_dtype_of(input.dtype))
        return result, lambda g, x, out: None

    def backward(g, z, out):
        # d angle / dx = -y / |z|^2 and d angle / dy = x / |z|^2: the gradient i * z / |z|^2.
        magnitude = z._value.real**2 + z._value.imag**2
        safe = xp.where(magnitude > 0, magnitude, 1)
        rotated = xp.where(magnitude > 0, 1j * z._value / safe, 0).astype(z._value.dtype)
        return g * Tensor._wrap(rotated)

    return xp.angle(input).astype(real_dtype_of(input.dtype)), backward
