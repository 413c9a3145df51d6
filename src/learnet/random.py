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

import types

import numpy

from learnet import backend, random_generator
from learnet.backend import xp

# tf.random.Generator and the stateless ops live in their own modules; these names re-export them.
from learnet.random_generator import (  # noqa: F401
    Generator,
    create_rng_state,
    get_global_generator,
    set_global_generator,
)
from learnet.stateless_random import (  # noqa: F401
    Algorithm,
    fold_in,
    split,
    stateless_binomial,
    stateless_categorical,
    stateless_fold_in,
    stateless_gamma,
    stateless_normal,
    stateless_poisson,
    stateless_shuffle,
    stateless_split,
    stateless_truncated_normal,
    stateless_uniform,
)
from learnet.tensor import Tensor, _as_dtype

# The candidate samplers (word2vec's negative sampling) live in their own module.
from learnet.candidate_sampling import (  # noqa: F401
    all_candidate_sampler,
    fixed_unigram_candidate_sampler,
    learned_unigram_candidate_sampler,
    log_uniform_candidate_sampler,
    uniform_candidate_sampler,
)

# tf.random.experimental: TensorFlow's names for the same Generator and stateless tools.
experimental = types.SimpleNamespace(
    Algorithm=Algorithm,
    Generator=Generator,
    create_rng_state=create_rng_state,
    get_global_generator=get_global_generator,
    set_global_generator=set_global_generator,
    stateless_fold_in=stateless_fold_in,
    stateless_shuffle=stateless_shuffle,
    stateless_split=stateless_split,
)


def set_seed(seed):
    """Seed every random choice learnet makes (initializers, dropout, shuffling, these).

    learnet's own global ``tf.random.Generator`` starts again from this seed too.
    """
    backend.set_seed(seed)
    random_generator.reseed_global_generator(seed)


def _generator(seed):
    # These draw on the host (NumPy's generator), then copy the result to the array module.
    if seed is None:
        return backend.host_rng()
    if isinstance(seed, SeedGenerator):
        return numpy.random.default_rng(seed.next())
    if isinstance(seed, Tensor):
        seed = seed.numpy().tolist()
    if isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer, list, tuple)):
        raise TypeError(f"seed must be None, an int or a keras.random.SeedGenerator, got {seed!r}")
    return numpy.random.default_rng(seed)


class SeedGenerator:
    """A seed that changes with every draw (Keras 3's ``keras.random.SeedGenerator``).

    Pass it as ``seed=`` to the functions of this module: each call draws from a new
    seed, and two generators made with the same ``seed`` give the same sequence.

    Parameters
    ----------
    seed : int, optional
        The starting seed; a random one when None.

    Examples
    --------
    >>> import learnet as keras
    >>> a = keras.random.SeedGenerator(7)
    >>> b = keras.random.SeedGenerator(7)
    >>> x1, x2 = keras.random.normal((2,), seed=a), keras.random.normal((2,), seed=a)
    >>> bool((x1 == keras.random.normal((2,), seed=b)).numpy().all()), bool((x1 == x2).numpy().all())
    (True, False)
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if seed is None:
            seed = int(backend.host_rng().integers(0, 2**31 - 1))
        if isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer)) or seed < 0:
            raise ValueError(f"SeedGenerator expects a non-negative integer seed, got {seed!r}")
        self.name = name or "seed_generator"
        self._initial = int(seed)
        self._count = 0

    @property
    def state(self):
        """The seed and how many draws were made, as ``[seed, count]``."""
        return Tensor._wrap(xp.asarray([self._initial, self._count], dtype="int64"))

    def next(self, ordered=True):
        """The seed of the next draw (and advance)."""
        self._count += 1
        return [self._initial, self._count]

    def get_config(self):
        return {"seed": self._initial, "name": self.name}


def _shape(shape):
    if isinstance(shape, Tensor):
        shape = shape.numpy().tolist()
    if isinstance(shape, (int, numpy.integer)):
        shape = (shape,)
    return tuple(int(s) for s in shape)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None, name=None):
    """Samples from a normal distribution with ``mean`` and ``stddev``."""
    values = _generator(seed).normal(mean, stddev, size=_shape(shape))
    return Tensor._wrap(xp.asarray(values.astype(_as_dtype(dtype or backend.floatx()))))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None, name=None):
    """Normal samples, redrawn until they lie within two standard deviations of the mean."""
    generator = _generator(seed)
    shape = _shape(shape)
    values = generator.normal(0.0, 1.0, size=shape)
    bad = numpy.abs(values) > 2
    while bad.any():
        values[bad] = generator.normal(0.0, 1.0, size=int(bad.sum()))
        bad = numpy.abs(values) > 2
    return Tensor._wrap(xp.asarray((mean + stddev * values).astype(_as_dtype(dtype or backend.floatx()))))


def uniform(shape, minval=0, maxval=None, dtype=None, seed=None, name=None):
    """Samples uniformly from ``[minval, maxval)`` (``maxval`` is 1 for floats by default)."""
    dtype = _as_dtype(dtype or backend.floatx())
    generator = _generator(seed)
    if dtype.kind in "iu":
        if maxval is None:
            raise ValueError("uniform: integer samples need a maxval")
        values = generator.integers(minval, maxval, size=_shape(shape))
    else:
        values = generator.uniform(minval, 1.0 if maxval is None else maxval, size=_shape(shape))
    return Tensor._wrap(xp.asarray(values.astype(dtype)))


def shuffle(value, axis=0, seed=None, name=None):
    """Shuffle a tensor along ``axis`` (its first axis by default).

    ``tf.random.shuffle(value, seed)`` (TensorFlow) and ``keras.random.shuffle(x, axis=0,
    seed=None)`` (Keras 3) are both this function: an int in the second place is TF's seed.
    """
    array = value.numpy() if isinstance(value, Tensor) else numpy.asarray(value)
    if seed is None and (isinstance(axis, SeedGenerator) or not -array.ndim <= int(axis) < max(array.ndim, 1)):
        axis, seed = 0, axis  # tf.random.shuffle(value, 42): the seed
    return Tensor._wrap(xp.asarray(_generator(seed).permutation(array, axis=int(axis))))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers drawn uniformly from ``[minval, maxval)``."""
    values = _generator(seed).integers(minval, maxval, size=_shape(shape))
    return Tensor._wrap(xp.asarray(values.astype(_as_dtype(dtype))))


def categorical(logits, num_samples, dtype="int32", seed=None, name=None):
    """For each row of ``logits``, ``num_samples`` class indices drawn from ``softmax(logits)``."""
    logits = numpy.asarray(logits.numpy() if isinstance(logits, Tensor) else logits, dtype=numpy.float64)
    if logits.ndim != 2:
        raise ValueError(f"categorical expects logits of shape (batch, classes), got {logits.shape}")
    generator = _generator(seed)
    probabilities = numpy.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    draws = [generator.choice(logits.shape[1], size=int(num_samples), p=row) for row in probabilities]
    return Tensor._wrap(xp.asarray(numpy.array(draws).astype(_as_dtype(dtype))))


def gamma(shape, alpha, dtype=None, seed=None, name=None):
    """Samples from a gamma distribution of shape ``alpha`` (scale 1)."""
    values = _generator(seed).gamma(alpha, 1.0, size=_shape(shape))
    return Tensor._wrap(xp.asarray(values.astype(_as_dtype(dtype or backend.floatx()))))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Samples of the number of successes in ``counts`` trials of probability ``probabilities``."""
    values = _generator(seed).binomial(counts, probabilities, size=_shape(shape))
    return Tensor._wrap(xp.asarray(values.astype(_as_dtype(dtype or backend.floatx()))))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Samples from a beta distribution."""
    values = _generator(seed).beta(alpha, beta, size=_shape(shape))
    return Tensor._wrap(xp.asarray(values.astype(_as_dtype(dtype or backend.floatx()))))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Keras 3's ``keras.random.dropout``: zero entries with probability ``rate``, scale the rest.

    Differentiable in ``inputs`` (the gradient passes through the kept entries, scaled).
    """
    from learnet.ops.nn import apply_dropout_mask

    if not 0 <= rate < 1:
        raise ValueError(f"dropout: rate must be in [0, 1), got {rate}")
    inputs = inputs if isinstance(inputs, Tensor) else Tensor(inputs)
    if rate == 0:
        return inputs
    shape = (
        inputs.shape
        if noise_shape is None
        else tuple(inputs.shape[i] if s is None else int(s) for i, s in enumerate(noise_shape))
    )
    keep = xp.asarray(_generator(seed).random(shape) >= rate)
    return apply_dropout_mask(inputs, keep, rate)
