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

from learnet import backend, errors, random_generator
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
    index_shuffle,
    split,
    stateless_binomial,
    stateless_categorical,
    stateless_fold_in,
    stateless_gamma,
    stateless_normal,
    stateless_parameterized_truncated_normal,
    stateless_poisson,
    stateless_shuffle,
    stateless_split,
    stateless_truncated_normal,
    stateless_uniform,
)
from learnet.stateless_random import categorical_sampler, output_shape
from learnet.tensor import Tensor, _as_dtype, owned_variable

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
    index_shuffle=index_shuffle,
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

    Its state is a non-trainable ``Variable`` of two ``uint32`` (``[seed, count]``) named
    ``seed_generator_state``, as in Keras 3. A layer that holds a generator as an
    attribute lists that state in ``layer.variables`` and ``non_trainable_variables``
    (not in ``weights``: as in Keras, it is not saved with the weights, so a loaded
    model draws the sequence of a new one). ``state.assign`` rewinds or moves it.

    Parameters
    ----------
    seed : int, optional
        The starting seed, from 0 to 2**32 - 1; a random one when None.
    name : str, optional
        ``seed_generator``, ``seed_generator_1``... by default.

    Examples
    --------
    >>> import learnet as keras
    >>> a = keras.random.SeedGenerator(7)
    >>> b = keras.random.SeedGenerator(7)
    >>> x1, x2 = keras.random.normal((2,), seed=a), keras.random.normal((2,), seed=a)
    >>> bool((x1 == keras.random.normal((2,), seed=b)).numpy().all()), bool((x1 == x2).numpy().all())
    (True, False)
    >>> a.state.numpy().tolist(), a.state.dtype.name
    ([7, 2], 'uint32')
    >>> _ = a.state.assign([7, 0])  # rewind: the same draws again
    >>> bool((keras.random.normal((2,), seed=a) == x1).numpy().all())
    True
    """

    def __init__(self, seed=None, name=None, **kwargs):
        unknown = sorted(set(kwargs) - {"backend"})
        if unknown:
            raise ValueError(f"SeedGenerator: unrecognized keyword argument(s) {unknown}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"SeedGenerator: name must be a string, got {name!r}")
        self._initial_seed = seed
        if seed is None:
            seed = int(backend.host_rng().integers(0, 2**31 - 1))
        if isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer)):
            raise ValueError(f"SeedGenerator expects an integer seed, got {seed!r}")
        if not 0 <= seed < 2**32:
            raise ValueError(f"SeedGenerator expects a non-negative integer seed below 2**32 (uint32), got {seed!r}")
        self.name = name or _unique_generator_name()
        self.state = owned_variable(
            self.name,
            numpy.array([seed, 0], dtype="uint32"),
            trainable=False,
            name="seed_generator_state",
            dtype="uint32",
        )

    def next(self, ordered=True):
        """Advance the state and return the seed of the next draw, ``[seed, count]``.

        ``ordered=False`` moves the state to a scrambled new value, as Keras 3's does.
        """
        seed, count = (int(n) for n in backend.to_numpy(self.state._value))
        if ordered:
            new = [seed, (count + 1) % 2**32]
        else:  # Keras' scramble, in uint32 arithmetic
            new = [((n + 1) * 5387 % 2**32) % 933199 for n in (seed, count)]
        self.state.assign(numpy.array(new, dtype="uint32"))
        return new

    def get_config(self):
        """``{"seed": ..., "name": ...}``: the seed as given (None for a random one) and the name."""
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        """A new generator from ``get_config()``."""
        return cls(**config)

    def __repr__(self):
        return f"<SeedGenerator name={self.name}, state={backend.to_numpy(self.state._value).tolist()}>"


_generator_names: dict = {}


def _unique_generator_name():
    """``seed_generator``, then ``seed_generator_1``..., as Keras 3 names its generators."""
    count = _generator_names.get("seed_generator", 0)
    _generator_names["seed_generator"] = count + 1
    return "seed_generator" if count == 0 else f"seed_generator_{count}"


def _shape(shape, function="random"):
    # A list, tuple, TensorShape, int or 1-D int tensor of non-negative sizes.
    try:
        return output_shape(shape, function)
    except ValueError as error:
        raise errors.InvalidArgumentError(None, None, str(error)) from None


def _float_dtype(dtype, function):
    dtype = _as_dtype(dtype or backend.floatx())
    if dtype.kind != "f":
        raise TypeError(f"{function}: dtype must be a float type (float16, float32, float64), got {dtype.name}")
    return dtype


def _numbers(value, name, function):
    """A parameter (a number, list or tensor of numbers) as a float64 NumPy array."""
    array = value.numpy() if isinstance(value, Tensor) else numpy.asarray(value)
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise TypeError(f"{function}: {name} must be a number or a tensor of numbers, got {value!r}")
    return array.astype(numpy.float64)


def _scaled(shape, draw, scale, offset, dtype, function):
    """``draw(shape) * scale + offset``, broadcast as TensorFlow broadcasts them, cast to ``dtype``.

    The shapes are checked before anything is drawn, so a mistake leaves the random stream alone.
    """
    scale, offset = _numbers(scale, "scale", function), _numbers(offset, "offset", function)
    try:
        out_shape = numpy.broadcast_shapes(shape, scale.shape, offset.shape)
    except ValueError:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{function}: the parameters of shapes {list(scale.shape)} and {list(offset.shape)} do not broadcast "
            f"with the output shape {list(shape)}",
        ) from None
    values = numpy.broadcast_to(draw(shape) * scale + offset, out_shape)
    return Tensor._wrap(xp.asarray(values.astype(dtype)))


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None, name=None):
    """Samples from a normal distribution with ``mean`` and ``stddev``.

    ``mean`` and ``stddev`` may be tensors: the samples are ``N(0, 1) * stddev + mean``,
    broadcast as TensorFlow and Keras broadcast them. ``dtype`` must be a float type.

    Examples
    --------
    >>> import learnet as tf
    >>> x = tf.random.normal([2, 3], mean=[0.0, 10.0, 20.0], seed=1)
    >>> x.shape, x.dtype
    (TensorShape([2, 3]), dtype('float32'))
    """
    dtype, shape = _float_dtype(dtype, "normal"), _shape(shape, "normal")
    return _scaled(shape, lambda size: _generator(seed).standard_normal(size), stddev, mean, dtype, "normal")


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None, name=None):
    """Normal samples, redrawn until they lie within two standard deviations of the mean.

    Examples
    --------
    >>> import learnet as tf
    >>> x = tf.random.truncated_normal([1000], mean=5.0, stddev=0.5, seed=1)
    >>> bool((tf.abs(x - 5.0) <= 1.0).numpy().all())
    True
    """
    dtype, shape = _float_dtype(dtype, "truncated_normal"), _shape(shape, "truncated_normal")

    def draw(size):
        generator = _generator(seed)
        values = generator.standard_normal(size)
        outside = numpy.abs(values) > 2
        while outside.any():  # about 4.6% of the draws, redrawn
            values[outside] = generator.standard_normal(int(outside.sum()))
            outside = numpy.abs(values) > 2
        return values

    return _scaled(shape, draw, stddev, mean, dtype, "truncated_normal")


_UNIFORM_DTYPES = ("float16", "float32", "float64", "int32", "int64")


def _integer_bound(value, name):
    array = value.numpy() if isinstance(value, Tensor) else numpy.asarray(value)
    if array.dtype.kind == "f" and numpy.all(array == numpy.floor(array)):
        array = array.astype(numpy.int64)  # 10.0 is 10, as TensorFlow converts it
    if array.dtype.kind not in "iu":
        raise TypeError(f"uniform: for an integer dtype, {name} must be an integer, got {value!r}")
    if array.ndim != 0:
        raise errors.InvalidArgumentError(
            None, None, f"uniform: for an integer dtype, {name} must be a scalar, got shape {list(array.shape)}"
        )
    return int(array)


def uniform(shape, minval=0, maxval=None, dtype=None, seed=None, name=None):
    """Samples uniformly from ``[minval, maxval)`` (``maxval`` is 1 for floats by default).

    Floats (float16, float32, float64) take ``minval`` and ``maxval`` as numbers or tensors
    that broadcast; integers (int32, int64) need a scalar ``maxval`` above ``minval``.

    Examples
    --------
    >>> import learnet as tf
    >>> dice = tf.random.uniform([5], minval=1, maxval=7, dtype=tf.int32, seed=3)
    >>> dice.dtype, bool(((dice >= 1) & (dice < 7)).numpy().all())
    (dtype('int32'), True)
    """
    dtype = _as_dtype(dtype or backend.floatx())
    if dtype.name not in _UNIFORM_DTYPES:
        raise ValueError(f"uniform: dtype must be one of {', '.join(_UNIFORM_DTYPES)}; got {dtype.name}")
    shape = _shape(shape, "uniform")
    if dtype.kind == "f":
        low, high = (
            _numbers(minval, "minval", "uniform"),
            _numbers(1.0 if maxval is None else maxval, "maxval", "uniform"),
        )
        return _scaled(shape, lambda size: _generator(seed).random(size), high - low, low, dtype, "uniform")
    if maxval is None:
        raise ValueError(f"uniform: an integer dtype ({dtype.name}) needs a maxval")
    low, high = _integer_bound(minval, "minval"), _integer_bound(maxval, "maxval")
    info = numpy.iinfo(dtype)
    if not low < high:
        raise errors.InvalidArgumentError(None, None, f"uniform: need minval < maxval, got {low} >= {high}")
    if low < info.min or high > info.max + 1:
        raise errors.InvalidArgumentError(None, None, f"uniform: [{low}, {high}) does not fit {dtype.name}")
    return Tensor._wrap(xp.asarray(_generator(seed).integers(low, high, size=shape, dtype=dtype)))


def shuffle(value, axis=0, seed=None, name=None):
    """Shuffle a tensor along ``axis`` (its first axis by default).

    ``tf.random.shuffle(value, seed)`` (TensorFlow) and ``keras.random.shuffle(x, axis=0,
    seed=None)`` (Keras 3) are both this function: an int in the second place is an axis
    when the value has that axis (Keras), else the seed (TensorFlow); give ``seed=`` by
    name to be sure. A scalar comes back unchanged.

    Examples
    --------
    >>> import learnet as tf
    >>> sorted(tf.random.shuffle(tf.range(5), 7).numpy().tolist())
    [0, 1, 2, 3, 4]
    """
    array = value.numpy() if isinstance(value, Tensor) else numpy.asarray(value)
    if seed is None and axis != 0:
        is_axis = isinstance(axis, (int, numpy.integer)) and -array.ndim <= int(axis) < array.ndim
        if isinstance(axis, SeedGenerator) or not is_axis:
            axis, seed = 0, axis  # tf.random.shuffle(value, 42): the seed
    if array.ndim == 0:
        return Tensor._wrap(xp.asarray(array))
    return Tensor._wrap(xp.asarray(_generator(seed).permutation(array, axis=int(axis))))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers drawn uniformly from ``[minval, maxval)``."""
    values = _generator(seed).integers(minval, maxval, size=_shape(shape, "randint"))
    return Tensor._wrap(xp.asarray(values.astype(_as_dtype(dtype))))


def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """For each row of ``logits`` (batch, classes), ``num_samples`` class indices drawn from ``softmax(logits)``.

    The indices are int64 by default, as ``tf.random.categorical`` gives them (Keras 3's
    ``keras.random.categorical`` says int32: pass ``dtype="int32"``). ``dtype`` may be int32 or int64.

    Examples
    --------
    >>> import learnet as tf
    >>> samples = tf.random.categorical(tf.math.log([[0.5, 0.5]]), 5, seed=1)
    >>> samples.shape, samples.dtype
    (TensorShape([1, 5]), dtype('int64'))
    """
    if dtype is None:
        dtype = "int64"
    sampler = categorical_sampler(logits, num_samples, dtype, "categorical")
    return Tensor._wrap(xp.asarray(sampler(_generator(seed))))


def _is_dtype(value):
    return isinstance(value, (str, numpy.dtype, type))


def gamma(shape, alpha, beta=None, dtype=None, seed=None, name=None):
    """Samples from gamma distributions of shape ``alpha`` and rate ``beta`` (1 when None).

    TensorFlow's rule: the output's shape is ``shape`` followed by the broadcast shape of
    ``alpha`` and ``beta``, one set of ``shape`` samples per distribution. Keras 3's
    ``keras.random.gamma(shape, alpha, dtype=None, seed=None)`` has no ``beta`` and returns
    ``shape`` itself, ``alpha`` broadcast to it; code that imported learnet as ``keras`` gets
    that rule, and a dtype in the third place is read as the dtype.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.random.gamma([10], [0.5, 1.5], seed=1).shape
    TensorShape([10, 2])
    >>> tf.random.gamma([7, 5], [[1.0], [2.0]], beta=[3.0, 4.0], seed=1).shape
    TensorShape([7, 5, 2, 2])
    """
    if dtype is None and beta is not None and _is_dtype(beta):
        beta, dtype = None, beta  # keras.random.gamma(shape, alpha, "float64")
    dtype, shape = _float_dtype(dtype, "gamma"), _shape(shape, "gamma")
    alpha_values = _numbers(alpha, "alpha", "gamma")
    beta_values = _numbers(1.0 if beta is None else beta, "beta", "gamma")
    try:
        parameters = numpy.broadcast_shapes(alpha_values.shape, beta_values.shape)
    except ValueError:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"gamma: alpha of shape {list(alpha_values.shape)} and beta of shape {list(beta_values.shape)} "
            "do not broadcast",
        ) from None
    out_shape = shape + parameters  # TensorFlow's rule (Keras 3 broadcasts a vector alpha into shape)
    if not numpy.all(alpha_values > 0) or not numpy.all(beta_values > 0):
        raise errors.InvalidArgumentError(None, None, "gamma: alpha and beta must be > 0")
    values = _generator(seed).standard_gamma(alpha_values, size=out_shape) / beta_values
    return Tensor._wrap(xp.asarray(values.astype(dtype)))


_POISSON_DTYPES = ("float16", "float32", "float64", "int32", "int64")


def poisson(shape, lam, dtype=None, seed=None, name=None):
    """Samples from Poisson distributions of rate ``lam``.

    As ``tf.random.poisson``: the output's shape is ``shape`` followed by ``lam``'s shape,
    and its dtype float32 (``floatx``) unless ``dtype`` says float16, float64, int32 or int64.

    Examples
    --------
    >>> import learnet as tf
    >>> x = tf.random.poisson([10], [0.5, 1.5], seed=1)
    >>> x.shape, x.dtype
    (TensorShape([10, 2]), dtype('float32'))
    """
    dtype = _as_dtype(dtype or backend.floatx())
    if dtype.name not in _POISSON_DTYPES:
        raise errors.InvalidArgumentError(
            None, None, f"poisson: dtype must be one of {', '.join(_POISSON_DTYPES)}; got {dtype.name}"
        )
    shape = _shape(shape, "poisson")
    rates = _numbers(lam, "lam", "poisson")
    if not numpy.all(numpy.isfinite(rates) & (rates >= 0)):
        raise errors.InvalidArgumentError(None, None, f"poisson: lam must be finite and >= 0, got {rates}")
    values = _generator(seed).poisson(rates, size=shape + rates.shape)
    return Tensor._wrap(xp.asarray(values.astype(dtype)))


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
