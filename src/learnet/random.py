"""``learnet.random``: random tensors from learnet's one seeded generator.

Examples
--------
>>> import learnet as tf
>>> tf.random.set_seed(0)
>>> a = tf.random.normal((2,))
>>> tf.random.set_seed(0)
>>> bool((tf.random.normal((2,)) == a).numpy().all())
True
"""
import numpy

from learnet import backend
from learnet.backend import xp
from learnet.tensor import Tensor, _as_dtype


def set_seed(seed):
    """Seed every random choice learnet makes (initializers, dropout, shuffling, these)."""
    backend.set_seed(seed)


def _generator(seed):
    return backend.rng() if seed is None else numpy.random.default_rng(seed)


def _shape(shape):
    if isinstance(shape, Tensor):
        shape = shape.numpy().tolist()
    if isinstance(shape, (int, numpy.integer)):
        shape = (shape,)
    return tuple(int(s) for s in shape)


def normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None):
    """Samples from a normal distribution with ``mean`` and ``stddev``."""
    values = _generator(seed).normal(mean, stddev, size=_shape(shape))
    return Tensor._wrap(xp.asarray(values.astype(_as_dtype(dtype))))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None):
    """Normal samples, redrawn until they lie within two standard deviations of the mean."""
    generator = _generator(seed)
    shape = _shape(shape)
    values = generator.normal(0.0, 1.0, size=shape)
    bad = numpy.abs(values) > 2
    while bad.any():
        values[bad] = generator.normal(0.0, 1.0, size=int(bad.sum()))
        bad = numpy.abs(values) > 2
    return Tensor._wrap(xp.asarray((mean + stddev * values).astype(_as_dtype(dtype))))


def uniform(shape, minval=0, maxval=None, dtype="float32", seed=None):
    """Samples uniformly from ``[minval, maxval)`` (``maxval`` is 1 for floats by default)."""
    dtype = _as_dtype(dtype)
    generator = _generator(seed)
    if dtype.kind in "iu":
        if maxval is None:
            raise ValueError("uniform: integer samples need a maxval")
        values = generator.integers(minval, maxval, size=_shape(shape))
    else:
        values = generator.uniform(minval, 1.0 if maxval is None else maxval, size=_shape(shape))
    return Tensor._wrap(xp.asarray(values.astype(dtype)))


def shuffle(value, seed=None):
    """Shuffle a tensor along its first axis."""
    array = value.numpy() if isinstance(value, Tensor) else numpy.asarray(value)
    return Tensor._wrap(xp.asarray(_generator(seed).permutation(array)))
