"""Stateless random numbers: TensorFlow's ``tf.random.stateless_*`` ops, keyed by a seed.

A stateless op is a pure function of its arguments: the same ``shape`` and ``seed`` (a
shape-``[2]`` integer tensor, list or tuple) give the same numbers every time, and no
global state is read or changed. The numbers come from NumPy's counter-based Philox bit
generator (``numpy.random.Philox``), keyed by the seed; ``tf.random.Generator``
(``learnet.random_generator``) draws through the same samplers, keyed by its state.

The numbers follow the same distributions as TensorFlow's but are not bit-for-bit
TensorFlow's (learnet's other random functions are not either): a seed reproduces
learnet's numbers, not TensorFlow's. The ``"threefry"`` algorithm is accepted and gives
its own independent stream, drawn with Philox as well.

Examples
--------
>>> import learnet as tf
>>> a = tf.random.stateless_normal([2, 3], seed=[1, 2])
>>> b = tf.random.stateless_normal([2, 3], seed=[1, 2])
>>> bool((a == b).numpy().all())
True
>>> tf.random.experimental.stateless_split([1, 2], num=3).shape
TensorShape([3, 2])
"""

import enum
import math

import numpy

from learnet import errors
from learnet.backend import xp
from learnet.tensor import Tensor, _as_dtype

__all__ = [
    "Algorithm",
    "fold_in",
    "index_shuffle",
    "split",
    "stateless_binomial",
    "stateless_categorical",
    "stateless_fold_in",
    "stateless_gamma",
    "stateless_normal",
    "stateless_parameterized_truncated_normal",
    "stateless_poisson",
    "stateless_shuffle",
    "stateless_split",
    "stateless_truncated_normal",
    "stateless_uniform",
]

_MASK64 = (1 << 64) - 1
_FLOATS = ("float16", "float32", "float64")
_UNIFORM_INTS = ("int32", "int64", "uint32", "uint64")
_COUNT_DTYPES = _FLOATS + ("int32", "int64")
# A stateless stream sets the top word of Philox's 256-bit counter; a Generator's never does,
# so a seed and a Generator's key never share a stream.
_STATELESS_DOMAIN = 1


class Algorithm(enum.Enum):
    """The counter-based algorithms TensorFlow names (``tf.random.Algorithm``).

    ``PHILOX`` is the default. ``THREEFRY`` is accepted and gives its own stream (learnet
    draws it with Philox too); ``AUTO_SELECT`` means Philox.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.random.Algorithm.PHILOX.value
    1
    """

    PHILOX = 1
    THREEFRY = 2
    AUTO_SELECT = 3


_ALGORITHM_NAMES = {"philox": 1, "threefry": 2, "auto_select": 3}


def convert_alg(alg, function):
    """The algorithm id (1, 2 or 3) of ``alg``: a name, an ``Algorithm`` or an id."""
    if isinstance(alg, Algorithm):
        return alg.value
    if isinstance(alg, str) and alg.lower() in _ALGORITHM_NAMES:
        return _ALGORITHM_NAMES[alg.lower()]
    if isinstance(alg, Tensor) and alg.ndim == 0 and alg.dtype.kind in "iu":
        alg = int(alg.numpy())
    if isinstance(alg, (int, numpy.integer)) and not isinstance(alg, bool) and int(alg) in (1, 2, 3):
        return int(alg)
    raise ValueError(
        f"{function}: alg must be 'philox', 'threefry', 'auto_select', a tf.random.Algorithm or 1, 2, 3; got {alg!r}"
    )


def _alg_word(alg):
    # Philox and auto-select share a stream; ThreeFry gets its own.
    return 1 if alg == Algorithm.THREEFRY.value else 0


def philox_generator(key_words, counter_words):
    """A ``numpy.random.Generator`` on Philox at the given 2-word key and 4-word counter."""
    bit_generator = numpy.random.Philox(
        key=numpy.array([w & _MASK64 for w in key_words], dtype=numpy.uint64),
        counter=numpy.array([w & _MASK64 for w in counter_words], dtype=numpy.uint64),
    )
    return numpy.random.Generator(bit_generator)


# --- arguments ---------------------------------------------------------------------------------


def _host(value):
    if isinstance(value, Tensor):
        return value.numpy()
    return numpy.asarray(value)


def output_shape(shape, function):
    """``shape`` (a list, tuple, int, TensorShape or 1-D int tensor) as a tuple of ints >= 0."""
    if isinstance(shape, Tensor):
        shape = shape.numpy().tolist()
    elif isinstance(shape, numpy.ndarray):
        shape = shape.tolist()
    if isinstance(shape, (int, numpy.integer)) and not isinstance(shape, bool):
        shape = [shape]
    try:
        dims = list(shape)
    except TypeError:
        raise ValueError(f"{function}: shape must be a list of non-negative ints, got {shape!r}") from None
    result = []
    for dim in dims:
        if isinstance(dim, Tensor):  # (tf.shape(x)[0], 3): a dimension may be a 0-d integer tensor
            dim = dim.numpy()
        if isinstance(dim, numpy.ndarray) and dim.ndim == 0 and dim.dtype.kind in "iu":
            dim = dim.item()
        if isinstance(dim, bool) or not isinstance(dim, (int, numpy.integer)) or dim < 0:
            raise ValueError(f"{function}: shape must be a list of non-negative ints, got {shape!r}")
        result.append(int(dim))
    return tuple(result)


def seed_words(seed, function):
    """The two 64-bit words of a shape-``[2]`` integer seed (checked)."""
    array = _host(seed) if isinstance(seed, (Tensor, numpy.ndarray, list, tuple)) else None
    if array is None or array.dtype == object:
        raise errors.InvalidArgumentError(
            None, None, f"{function}: seed must be a shape-[2] integer tensor, list or tuple, got {seed!r}"
        )
    if array.dtype.kind not in "iu":
        raise errors.InvalidArgumentError(
            None, None, f"{function}: seed must hold integers (int32 or int64), got dtype {array.dtype}: {seed!r}"
        )
    if array.shape != (2,):
        raise errors.InvalidArgumentError(
            None, None, f"{function}: seed must have shape [2], got shape {list(array.shape)}: {seed!r}"
        )
    return int(array[0]) & _MASK64, int(array[1]) & _MASK64


def _seed_dtype(seed):
    """The integer dtype TensorFlow gives tensors derived from ``seed`` (int32 or int64)."""
    if isinstance(seed, (Tensor, numpy.ndarray)):
        return numpy.dtype("int32") if _host(seed).dtype == numpy.int32 else numpy.dtype("int64")
    values = [int(v) for v in seed]
    return numpy.dtype("int32") if all(-(2**31) <= v < 2**31 for v in values) else numpy.dtype("int64")


def stateless_generator(seed, alg, function):
    """The NumPy generator a stateless op with ``seed`` draws from."""
    words = seed_words(seed, function)
    alg = convert_alg(alg, function)
    return philox_generator(words, (0, 0, _alg_word(alg), _STATELESS_DOMAIN))


def _dtype(dtype, allowed, default, function):
    dtype = _as_dtype(default if dtype is None else dtype)
    if dtype.name not in allowed:
        raise ValueError(f"{function}: dtype must be one of {', '.join(allowed)}; got {dtype.name}")
    return dtype


def _parameter(value, shape, dtype, name, function):
    """``value`` as an array of ``dtype`` that broadcasts to ``shape`` without changing it."""
    array = _host(value)
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise TypeError(f"{function}: {name} must be a number or a tensor of numbers, got {value!r}")
    try:
        fits = numpy.broadcast_shapes(array.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{function}: {name} of shape {list(array.shape)} does not broadcast to the output shape {list(shape)} "
            "(the shape must end with the shape of the parameters)",
        )
    return array.astype(dtype)


# --- the samplers: validate everything, then draw from ``generator`` ---------------------------
# Each returns a function of a NumPy generator, so a Generator can check the arguments before
# it reads (and then advances) its state.


def _unit_floats(generator, shape, dtype):
    """Floats of ``dtype`` uniform in ``[0, 1)``."""
    if dtype == numpy.float64:
        return generator.random(shape)
    values = generator.random(shape, dtype=numpy.float32)
    if dtype == numpy.float16:
        # Round down onto float16's grid, so no value rounds up to 1.
        values = numpy.floor(values * 2048.0) / 2048.0
    return values.astype(dtype)


def _standard_normals(generator, shape, dtype):
    return generator.standard_normal(shape, dtype=numpy.float64 if dtype == numpy.float64 else numpy.float32)


def normal_sampler(shape, mean, stddev, dtype, function):
    dtype = _dtype(dtype, _FLOATS, "float32", function)
    mean = _parameter(mean, shape, dtype, "mean", function)
    stddev = _parameter(stddev, shape, dtype, "stddev", function)

    def draw(generator):
        return (_standard_normals(generator, shape, dtype).astype(dtype) * stddev + mean).astype(dtype)

    return draw


def truncated_normal_sampler(shape, mean, stddev, dtype, function):
    dtype = _dtype(dtype, _FLOATS, "float32", function)
    mean = _parameter(mean, shape, dtype, "mean", function)
    stddev = _parameter(stddev, shape, dtype, "stddev", function)

    def draw(generator):
        values = _standard_normals(generator, shape, dtype)
        outside = numpy.abs(values) > 2.0
        while outside.any():  # about 4.6% of draws, redrawn
            values[outside] = _standard_normals(generator, (int(outside.sum()),), dtype)
            outside = numpy.abs(values) > 2.0
        return (values.astype(dtype) * stddev + mean).astype(dtype)

    return draw


def full_int_sampler(shape, dtype, function, allowed=_UNIFORM_INTS):
    dtype = _dtype(dtype, allowed, "uint64", function)
    info = numpy.iinfo(dtype)

    def draw(generator):
        return generator.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)

    return draw


def _int_bound(value, name, dtype, function):
    array = _host(value)
    if array.ndim != 0 or array.dtype.kind not in "iu":
        raise errors.InvalidArgumentError(
            None, None, f"{function}: for an integer dtype, {name} must be a scalar integer, got {value!r}"
        )
    info = numpy.iinfo(dtype)
    bound = int(array)
    if not info.min <= bound <= info.max:
        raise errors.InvalidArgumentError(None, None, f"{function}: {name}={bound} does not fit {dtype.name}")
    return bound


def uniform_sampler(shape, minval, maxval, dtype, function):
    dtype = _dtype(dtype, _FLOATS + _UNIFORM_INTS, "float32", function)
    if dtype.kind in "iu":
        if minval is None and maxval is None:
            return full_int_sampler(shape, dtype, function)
        if minval is None or maxval is None:
            raise ValueError(
                f"{function}: for the integer dtype {dtype.name}, minval and maxval must be both None "
                f"(the full range) or both given; got minval={minval!r} and maxval={maxval!r}"
            )
        low = _int_bound(minval, "minval", dtype, function)
        high = _int_bound(maxval, "maxval", dtype, function)
        if not low < high:
            raise errors.InvalidArgumentError(
                None, None, f"{function}: need minval < maxval for integers, got minval={low} and maxval={high}"
            )

        def draw_ints(generator):
            return generator.integers(low, high, size=shape, dtype=dtype)

        return draw_ints
    if minval is None:
        raise ValueError(f"{function}: minval=None is only for integer dtypes (the full range); got dtype {dtype.name}")
    low_array = _parameter(minval, shape, dtype, "minval", function)
    high_array = _parameter(1.0 if maxval is None else maxval, shape, dtype, "maxval", function)

    def draw_floats(generator):
        return (low_array + (high_array - low_array) * _unit_floats(generator, shape, dtype)).astype(dtype)

    return draw_floats


def binomial_sampler(shape, counts, probs, dtype, function):
    dtype = _dtype(dtype, _COUNT_DTYPES, "int32", function)
    counts = _parameter(counts, shape, numpy.float64, "counts", function)
    probs = _parameter(probs, shape, numpy.float64, "probs", function)
    if not numpy.all(numpy.isfinite(counts) & (counts >= 0)):
        raise errors.InvalidArgumentError(None, None, f"{function}: counts must be finite and >= 0, got {counts}")
    if not numpy.all((probs >= 0) & (probs <= 1)):
        raise errors.InvalidArgumentError(None, None, f"{function}: probs must lie in [0, 1], got {probs}")
    trials = numpy.floor(counts).astype(numpy.int64)

    def draw(generator):
        return generator.binomial(trials, probs, size=shape).astype(dtype)

    return draw


def poisson_sampler(shape, lam, dtype, function):
    dtype = _dtype(dtype, _COUNT_DTYPES, "int32", function)
    lam = _parameter(lam, shape, numpy.float64, "lam", function)
    if not numpy.all(numpy.isfinite(lam) & (lam >= 0)):
        raise errors.InvalidArgumentError(None, None, f"{function}: lam must be finite and >= 0, got {lam}")

    def draw(generator):
        return generator.poisson(lam, size=shape).astype(dtype)

    return draw


def gamma_sampler(shape, alpha, beta, dtype, function):
    dtype = _dtype(dtype, _FLOATS, "float32", function)
    alpha = _parameter(alpha, shape, numpy.float64, "alpha", function)
    beta = _parameter(1.0 if beta is None else beta, shape, numpy.float64, "beta", function)
    if not numpy.all(alpha > 0) or not numpy.all(beta > 0):
        raise errors.InvalidArgumentError(None, None, f"{function}: alpha and beta must be > 0, got {alpha}, {beta}")

    def draw(generator):
        return (generator.standard_gamma(alpha, size=shape) / beta).astype(dtype)

    return draw


def categorical_sampler(logits, num_samples, dtype, function):
    """Draws of ``num_samples`` class indices per row of ``logits`` (batch, classes), checked first."""
    dtype = _dtype(dtype, ("int32", "int64"), "int64", function)
    logits = _host(logits).astype(numpy.float64)
    if logits.ndim != 2:
        raise errors.InvalidArgumentError(
            None, None, f"{function}: logits must be a matrix (batch, classes), got shape {list(logits.shape)}"
        )
    if isinstance(num_samples, Tensor):
        num_samples = num_samples.numpy()
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, numpy.integer)):
        raise TypeError(f"{function}: num_samples must be an int, got {num_samples!r}")
    if num_samples < 0:
        raise errors.InvalidArgumentError(None, None, f"{function}: num_samples must be >= 0, got {num_samples}")
    rows, classes = logits.shape
    if rows and num_samples and classes == 0:
        raise errors.InvalidArgumentError(None, None, f"{function}: logits have no classes (shape {[rows, 0]})")
    top = logits.max(axis=1, keepdims=True) if logits.size else logits
    if logits.size and not numpy.all(numpy.isfinite(top)):
        raise errors.InvalidArgumentError(None, None, f"{function}: every row of logits needs a finite maximum")
    shape = (rows, int(num_samples))

    def draw(generator):
        if not (rows and num_samples):
            return numpy.zeros(shape, dtype=dtype)
        cumulative = numpy.cumsum(numpy.exp(logits - top), axis=1)
        cumulative /= cumulative[:, -1:]
        uniforms = generator.random(shape)
        # Row r's cumulative probabilities shifted by r make one sorted list: one search finds every draw.
        offsets = numpy.arange(rows)[:, None]
        found = numpy.searchsorted((cumulative + offsets).ravel(), (uniforms + offsets).ravel(), side="right")
        return numpy.minimum(found.reshape(shape) - offsets * classes, classes - 1).astype(dtype)

    return draw


# --- the public ops ----------------------------------------------------------------------------


def _run(sampler, seed, alg, function):
    generator = stateless_generator(seed, alg, function)
    return Tensor._wrap(xp.asarray(sampler(generator)))


def stateless_normal(shape, seed, mean=0.0, stddev=1.0, dtype=None, name=None, alg="auto_select"):
    """Normal samples that depend only on ``shape`` and ``seed``.

    Parameters
    ----------
    shape : list of int or 1-D int tensor
    seed : shape-[2] int tensor, list or tuple
    mean, stddev : float or tensor broadcasting to ``shape``
    dtype : float16, float32 (default) or float64
    alg : 'philox', 'threefry' or 'auto_select'

    Examples
    --------
    >>> import learnet as tf
    >>> x = tf.random.stateless_normal([2, 3], seed=[1, 2])
    >>> x.shape, bool((x == tf.random.stateless_normal([2, 3], seed=[1, 2])).numpy().all())
    (TensorShape([2, 3]), True)
    """
    function = "stateless_normal"
    sampler = normal_sampler(output_shape(shape, function), mean, stddev, dtype, function)
    return _run(sampler, seed, alg, function)


def stateless_truncated_normal(shape, seed, mean=0.0, stddev=1.0, dtype=None, name=None, alg="auto_select"):
    """Normal samples within two standard deviations of ``mean`` (others redrawn), from ``seed``.

    Examples
    --------
    >>> import learnet as tf
    >>> x = tf.random.stateless_truncated_normal([1000], seed=[3, 4])
    >>> bool((tf.abs(x) <= 2).numpy().all())
    True
    """
    function = "stateless_truncated_normal"
    sampler = truncated_normal_sampler(output_shape(shape, function), mean, stddev, dtype, function)
    return _run(sampler, seed, alg, function)


def stateless_uniform(shape, seed, minval=0, maxval=None, dtype=None, name=None, alg="auto_select"):
    """Uniform samples in ``[minval, maxval)`` that depend only on ``shape`` and ``seed``.

    Floats default to ``[0, 1)``. Integers (int32, int64, uint32, uint64) need both
    ``minval`` and ``maxval`` (scalars), or both None for the dtype's full range.

    Examples
    --------
    >>> import learnet as tf
    >>> x = tf.random.stateless_uniform([5], seed=[1, 2], minval=0, maxval=10, dtype=tf.int32)
    >>> x.dtype, bool(((x >= 0) & (x < 10)).numpy().all())
    (dtype('int32'), True)
    >>> tf.random.stateless_uniform([2], seed=[1, 2], minval=None, maxval=None, dtype=tf.int64).dtype
    dtype('int64')
    """
    function = "stateless_uniform"
    sampler = uniform_sampler(output_shape(shape, function), minval, maxval, dtype, function)
    return _run(sampler, seed, alg, function)


def stateless_binomial(shape, seed, counts, probs, output_dtype="int32", name=None):
    """Numbers of successes in ``counts`` trials of probability ``probs``, from ``seed``.

    ``counts`` and ``probs`` broadcast to ``shape`` (the shape ends with theirs).

    Examples
    --------
    >>> import learnet as tf
    >>> x = tf.random.stateless_binomial([2, 3], seed=[1, 2], counts=[10.0, 20.0, 30.0], probs=0.5)
    >>> x.shape, x.dtype
    (TensorShape([2, 3]), dtype('int32'))
    """
    function = "stateless_binomial"
    sampler = binomial_sampler(output_shape(shape, function), counts, probs, output_dtype, function)
    return _run(sampler, seed, "philox", function)


def stateless_poisson(shape, seed, lam, dtype="int32", name=None):
    """Poisson samples of rate ``lam`` (broadcasting to ``shape``), from ``seed``.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.random.stateless_poisson([10, 2], seed=[12, 34], lam=[5, 15]).shape
    TensorShape([10, 2])
    """
    function = "stateless_poisson"
    sampler = poisson_sampler(output_shape(shape, function), lam, dtype, function)
    return _run(sampler, seed, "philox", function)


def stateless_gamma(shape, seed, alpha, beta=None, dtype=None, name=None):
    """Gamma samples of shape ``alpha`` and rate ``beta`` (1 when None), from ``seed``.

    ``alpha`` and ``beta`` broadcast to ``shape``; the samples are ``Gamma(alpha, 1) / beta``.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.random.stateless_gamma([10, 2], seed=[12, 34], alpha=[0.5, 1.5]).shape
    TensorShape([10, 2])
    """
    function = "stateless_gamma"
    sampler = gamma_sampler(output_shape(shape, function), alpha, beta, dtype, function)
    return _run(sampler, seed, "philox", function)


def stateless_categorical(logits, num_samples, seed, dtype="int64", name=None):
    """For each row of ``logits`` (batch, classes), ``num_samples`` class indices drawn from
    ``softmax(logits)``, from ``seed``.

    Examples
    --------
    >>> import learnet as tf
    >>> x = tf.random.stateless_categorical(tf.math.log([[0.5, 0.5]]), 5, seed=[7, 17])
    >>> x.shape, x.dtype
    (TensorShape([1, 5]), dtype('int64'))
    """
    function = "stateless_categorical"
    sampler = categorical_sampler(logits, num_samples, dtype, function)
    return Tensor._wrap(xp.asarray(sampler(stateless_generator(seed, "philox", function))))


def stateless_split(seed, num=2, alg="auto_select"):
    """``num`` new seeds, shape ``[num, 2]``, derived from ``seed``.

    The new seeds give streams independent of one another and of ``seed``'s.

    Examples
    --------
    >>> import learnet as tf
    >>> seeds = tf.random.experimental.stateless_split([1, 2], num=3)
    >>> seeds.shape, seeds.dtype
    (TensorShape([3, 2]), dtype('int32'))
    >>> tf.random.stateless_normal([2], seed=seeds[0]).shape
    TensorShape([2])
    """
    function = "stateless_split"
    seed_words(seed, function)
    if isinstance(num, bool) or not isinstance(num, (int, numpy.integer)) or num < 0:
        raise ValueError(f"{function}: num must be an int >= 0, got {num!r}")
    sampler = full_int_sampler((int(num), 2), _seed_dtype(seed), function)
    return _run(sampler, seed, alg, function)


def stateless_fold_in(seed, data, alg="auto_select"):
    """A new seed from ``seed`` and an integer ``data`` (a step, a worker id...).

    Different ``data`` give independent streams; the same ``data`` the same seed.

    Examples
    --------
    >>> import learnet as tf
    >>> a = tf.random.experimental.stateless_fold_in([1, 2], 3)
    >>> b = tf.random.experimental.stateless_fold_in([1, 2], 4)
    >>> a.shape, bool((a == b).numpy().all())
    (TensorShape([2]), False)
    """
    function = "stateless_fold_in"
    seed_words(seed, function)
    array = _host(data)
    if array.ndim != 0 or array.dtype.kind not in "iu":
        raise ValueError(f"{function}: data must be a scalar integer, got {data!r}")
    dtype = numpy.dtype("int64") if array.dtype == numpy.int64 and isinstance(data, (Tensor, numpy.ndarray)) else None
    dtype = dtype or (numpy.dtype("int64") if not -(2**31) <= int(array) < 2**31 else numpy.dtype("int32"))
    first = full_int_sampler((), dtype, function)(stateless_generator(seed, alg, function))
    return Tensor._wrap(xp.asarray(numpy.array([first, int(array)], dtype=dtype)))


def stateless_shuffle(value, seed, alg="auto_select", name=None):
    """``value`` shuffled along its first axis, the order depending only on ``seed``.

    Examples
    --------
    >>> import learnet as tf
    >>> x = tf.random.experimental.stateless_shuffle(tf.range(5), seed=[1, 2])
    >>> sorted(x.numpy().tolist())
    [0, 1, 2, 3, 4]
    """
    function = "stateless_shuffle"
    tensor = value if isinstance(value, Tensor) else Tensor(value)
    if tensor.ndim == 0:
        raise ValueError(f"{function}: value must have at least one axis, got a scalar")
    order = stateless_generator(seed, alg, function).permutation(tensor.shape[0])
    return Tensor._wrap(tensor._value[xp.asarray(order)])


# TensorFlow 2.21 also names these tf.random.split and tf.random.fold_in.
split = stateless_split
fold_in = stateless_fold_in


def num_elements(shape):
    """The number of elements of an output of ``shape``."""
    return math.prod(shape)


# --- truncated normals between any bounds ------------------------------------------------------


def _truncated_standard_normals(generator, low, high):
    """Standard normals conditioned on ``low <= z <= high`` (arrays of one shape), by rejection.

    Each entry draws from the proposal that suits its interval: the normal itself when the
    interval is wide around 0, a uniform over the interval when it is narrow, and (Robert's
    method) an exponential tail when it lies far to one side. Intervals left of 0 are mirrored.
    """
    shape, low, high = low.shape, low.ravel(), high.ravel()
    mirrored = high <= 0
    low, high = numpy.where(mirrored, -high, low), numpy.where(mirrored, -low, high)
    rate = (low + numpy.sqrt(low * low + 4.0)) / 2.0  # the exponential's best rate for a tail at low
    use_uniform = numpy.where(low < 0, high - low < 2.0, high - low < 1.0 / rate)
    use_normal = (low < 0) & ~use_uniform
    # The uniform's acceptance is exp((peak^2 - z^2) / 2), with peak the point of the interval nearest 0.
    peak = numpy.where(low > 0, low, 0.0)
    width = numpy.where(numpy.isfinite(high - low), high - low, 0.0)
    values = numpy.zeros(low.shape)
    pending = numpy.ones(low.shape, dtype=bool)
    while pending.any():
        count = int(pending.sum())
        lo, hi, lam = low[pending], high[pending], rate[pending]
        normal = generator.standard_normal(count)
        flat = lo + width[pending] * generator.random(count)
        tail = lo + generator.exponential(size=count) / lam
        u = generator.random(count)
        z = numpy.where(use_normal[pending], normal, numpy.where(use_uniform[pending], flat, tail))
        by_uniform = u <= numpy.exp((peak[pending] ** 2 - flat**2) / 2.0)
        by_tail = u <= numpy.exp(-((tail - lam) ** 2) / 2.0)
        accept = numpy.select([use_normal[pending], use_uniform[pending]], [True, by_uniform], by_tail)
        accept &= (z >= lo) & (z <= hi)
        index = numpy.flatnonzero(pending)[accept]
        values[index] = z[accept]
        pending[index] = False
    return numpy.where(mirrored, -values, values).reshape(shape)


def _parameter_dtype(value):
    # A tensor keeps its dtype; Python numbers and lists become float32, as in TensorFlow.
    if isinstance(value, (Tensor, numpy.ndarray)) and _host(value).dtype.kind == "f":
        return _host(value).dtype
    return numpy.dtype("float32")


def stateless_parameterized_truncated_normal(shape, seed, means=0.0, stddevs=1.0, minvals=-2.0, maxvals=2.0, name=None):
    """Normal samples of ``means`` and ``stddevs`` kept within ``[minvals, maxvals]``, from ``seed``.

    The four parameters broadcast together, and ``shape`` must end with their broadcast shape.
    All four share one float dtype (a tensor's, or float32 for Python numbers), the output's.

    Examples
    --------
    >>> import learnet as tf
    >>> x = tf.random.stateless_parameterized_truncated_normal(
    ...     [1000, 2], seed=[1, 2], means=[0.0, 5.0], minvals=[-1.0, 4.0], maxvals=[1.0, 7.0])
    >>> bool((x[:, 0] >= -1).numpy().all() and (x[:, 1] >= 4).numpy().all())
    True
    """
    function = "stateless_parameterized_truncated_normal"
    shape = output_shape(shape, function)
    parameters = {"means": means, "stddevs": stddevs, "minvals": minvals, "maxvals": maxvals}
    dtypes = {_parameter_dtype(value) for value in parameters.values()}
    if len(dtypes) != 1:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{function}: means, stddevs, minvals and maxvals must share one dtype, got {sorted(map(str, dtypes))}",
        )
    (dtype,) = dtypes
    arrays = {key: _host(value).astype(numpy.float64) for key, value in parameters.items()}
    try:
        common = numpy.broadcast_shapes(*(array.shape for array in arrays.values()))
    except ValueError:
        common = None
    if common is None or len(common) > len(shape) or shape[len(shape) - len(common) :] != common:
        raise errors.InvalidArgumentError(
            None, None, f"{function}: shape {list(shape)} must end with the broadcast shape of the parameters"
        )
    mean, stddev, low, high = (numpy.broadcast_to(array, shape) for array in arrays.values())
    if not numpy.all(stddev > 0) or not numpy.all(low < high):
        raise errors.InvalidArgumentError(None, None, f"{function}: need stddevs > 0 and minvals < maxvals")
    generator = stateless_generator(seed, "philox", function)
    z = _truncated_standard_normals(generator, (low - mean) / stddev, (high - mean) / stddev)
    values = numpy.clip(mean + stddev * z, low, high)
    return Tensor._wrap(xp.asarray(values.astype(dtype)))


# --- index_shuffle -----------------------------------------------------------------------------

_INDEX_DTYPES = ("int32", "int64", "uint32", "uint64")
_FEISTEL_ROUNDS = 4


def _mix(x):
    """A 64-bit hash (SplitMix64's finaliser) of each entry of an unsigned 64-bit array."""
    x = x ^ (x >> numpy.uint64(30))
    x = x * numpy.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> numpy.uint64(27))
    x = x * numpy.uint64(0x94D049BB133111EB)
    return x ^ (x >> numpy.uint64(31))


def index_shuffle(index, seed, max_index):
    """The position of ``index`` in a random permutation of ``[0, ..., max_index]`` fixed by ``seed``.

    Nothing of size ``max_index`` is built: a keyed Feistel network permutes the integers
    below the next power of 4, and values past ``max_index`` walk on through it until they
    land inside (``tf.random.experimental.index_shuffle``). ``index`` and ``max_index`` are
    integers (scalars or vectors, one dtype of int32, int64, uint32, uint64), ``seed`` has
    shape ``[2]`` or ``[n, 2]``; vectors and scalars broadcast.

    Examples
    --------
    >>> import learnet as tf
    >>> order = tf.random.experimental.index_shuffle(tf.range(6), seed=[5, 9], max_index=5)
    >>> sorted(order.numpy().tolist())
    [0, 1, 2, 3, 4, 5]
    """
    function = "index_shuffle"
    index_array = _host(index)
    if not isinstance(index, (Tensor, numpy.ndarray)) and index_array.dtype.kind == "i":
        index_array = index_array.astype(_seed_dtype(index_array.reshape(-1).tolist()))  # int32 if they fit
    if index_array.dtype.name not in _INDEX_DTYPES:
        raise errors.InvalidArgumentError(
            None, None, f"{function}: index must be one of {', '.join(_INDEX_DTYPES)}, got {index_array.dtype}"
        )
    limit = _host(max_index)
    seeds = _host(seed)
    if seeds.dtype.kind not in "iu" or seeds.ndim not in (1, 2) or seeds.shape[-1] != 2:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{function}: seed must be integers of shape [2] or [n, 2], got {seeds.dtype} {list(seeds.shape)}",
        )
    if limit.dtype.kind not in "iu" or index_array.ndim > 1 or limit.ndim > 1:
        raise errors.InvalidArgumentError(
            None, None, f"{function}: index and max_index must be integer scalars or vectors"
        )
    batch = [a.shape[0] for a in (index_array, limit) if a.ndim == 1] + ([seeds.shape[0]] if seeds.ndim == 2 else [])
    if len(set(batch)) > 1:
        raise errors.InvalidArgumentError(None, None, f"{function}: the batch sizes of the inputs differ: {batch}")
    size = batch[0] if batch else None
    flat = (size or 1,)
    values = numpy.broadcast_to(index_array.astype(numpy.int64).reshape(-1), flat).astype(numpy.uint64)
    if numpy.any(index_array < 0) or numpy.any(limit < 0):
        raise errors.InvalidArgumentError(None, None, f"{function}: index and max_index must be >= 0")
    top = numpy.broadcast_to(limit.astype(numpy.uint64).reshape(-1), flat)
    if numpy.any(values > top):
        raise errors.InvalidArgumentError(None, None, f"{function}: max_index must be >= index")
    words = numpy.broadcast_to(seeds.astype(numpy.int64).reshape(-1, 2).astype(numpy.uint64), flat + (2,))
    # Half the bits of the smallest power of 4 above max_index (at least one bit per half).
    half_bits = numpy.maximum((numpy.array([int(t).bit_length() for t in top]) + 1) // 2, 1).astype(numpy.uint64)
    mask = (numpy.uint64(1) << half_bits) - numpy.uint64(1)

    def permute(x):
        left, right = x >> half_bits, x & mask
        for key in keys:
            left, right = right, left ^ (_mix(right ^ key) & mask)
        return (left << half_bits) | right

    with numpy.errstate(over="ignore"):  # the hashes wrap around 2**64 on purpose
        keys = [_mix(words[:, 0] ^ _mix(words[:, 1] + numpy.uint64(n + 1))) for n in range(_FEISTEL_ROUNDS)]
        values = permute(values)
        outside = values > top
        while outside.any():  # cycle-walking: at most a few steps, the domain is under 4 * (max_index + 1)
            values[outside] = permute(values)[outside]
            outside = values > top
    result = values.astype(index_array.dtype)
    return Tensor._wrap(xp.asarray(result if size is not None else result.reshape(())))
