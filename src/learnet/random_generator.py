"""``tf.random.Generator``: a random-number generator whose whole state is one Variable.

The state is a small int64 ``Variable`` (``[counter_low, counter_high, key]`` for Philox,
``[counter, key]`` for ThreeFry), laid out as TensorFlow lays it out. Every draw reads the
numbers at the current counter from NumPy's counter-based Philox bit generator keyed by
``key``, then moves the counter on by 256 steps per number drawn (as TensorFlow's kernels
do), so ``g.skip(n)`` leaves ``g`` where ``g.normal([n])`` would. Because the state is a
Variable, ``tf.train.Checkpoint(generator=g)`` saves it, and restoring it continues the very
same stream.

The numbers follow TensorFlow's distributions but are not bit-for-bit TensorFlow's; the
state after each call is (``from_seed(1)`` then ``normal([])`` leaves ``[257, 0, 0]``).

Examples
--------
>>> import learnet as tf
>>> g1 = tf.random.Generator.from_seed(1)
>>> g2 = tf.random.Generator.from_seed(1)
>>> bool((g1.normal([2, 3]) == g2.normal([2, 3])).numpy().all())
True
>>> g1.state.numpy()
array([1537,    0,    0])
"""

import numpy

from learnet import backend
from learnet.backend import xp
from learnet.stateless_random import (
    Algorithm,
    binomial_sampler,
    convert_alg,
    full_int_sampler,
    normal_sampler,
    num_elements,
    output_shape,
    philox_generator,
    truncated_normal_sampler,
    uniform_sampler,
)
from learnet.tensor import Tensor, Variable

__all__ = ["Generator", "create_rng_state", "get_global_generator", "set_global_generator"]

_MASK64 = (1 << 64) - 1
_STATE_SIZE = {Algorithm.PHILOX.value: 3, Algorithm.THREEFRY.value: 2, Algorithm.AUTO_SELECT.value: 3}
_STEPS_PER_NUMBER = 256  # counter steps one output number reserves


def _signed(word):
    word &= _MASK64
    return word - (1 << 64) if word >= 1 << 63 else word


def _int_array(value, function, what):
    """``value`` (an int, list, array or tensor of ints) as an int64 NumPy array."""
    array = value.numpy() if isinstance(value, Tensor) else numpy.asarray(value)
    if array.dtype == object and array.ndim == 0 and isinstance(value, int):
        array = numpy.asarray(_signed(value))
    if array.dtype.kind not in "iu":
        raise TypeError(f"{function}: {what} must be integers, got {value!r}")
    if array.dtype == numpy.uint64:
        return numpy.array([_signed(int(v)) for v in array.reshape(-1)], dtype=numpy.int64).reshape(array.shape)
    return array.astype(numpy.int64)


def _state_from_seed(seed, size, function):
    if isinstance(seed, (int, numpy.integer)) and not isinstance(seed, bool):
        # A Python int of any size, cut into 64-bit words, lowest first.
        seed, words = int(seed), []
        for _ in range(size):
            words.append(_signed(seed))
            seed >>= 64
        return numpy.array(words, dtype=numpy.int64)
    if isinstance(seed, bool) or not isinstance(seed, (list, tuple, numpy.ndarray, Tensor)):
        raise TypeError(f"{function}: seed must be an int or a list of ints, got {seed!r}")
    words = _int_array(seed, function, "the seed").reshape(-1)[:size]
    # Padded on the left: a short seed fills the key, so small seeds give independent streams.
    return numpy.concatenate([numpy.zeros(size - words.size, dtype=numpy.int64), words])


def create_rng_state(seed, alg):
    """The state (a 1-D int64 tensor) a Generator of algorithm ``alg`` starts from for ``seed``.

    Parameters
    ----------
    seed : int or list of ints
        An int of any size is cut into 64-bit words; a list is padded with zeros on the left.
    alg : 'philox', 'threefry', 'auto_select' or a tf.random.Algorithm

    Examples
    --------
    >>> import learnet as tf
    >>> tf.random.create_rng_state(1234, "philox").numpy()
    array([1234,    0,    0])
    >>> tf.random.create_rng_state([12, 34], "threefry").numpy()
    array([12, 34])
    """
    size = _STATE_SIZE[convert_alg(alg, "create_rng_state")]
    return Tensor._wrap(xp.asarray(_state_from_seed(seed, size, "create_rng_state")))


def _count(value, function, what):
    if isinstance(value, Tensor) and value.ndim == 0:
        value = value.numpy()
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)):
        raise TypeError(f"{function}: {what} must be an int, got {value!r}")
    return int(value)


class Generator:
    """A random-number generator whose state is a Variable (TensorFlow's ``tf.random.Generator``).

    Make one with ``Generator.from_seed(seed)``, ``from_non_deterministic_state()``,
    ``from_state(state, alg)`` or ``from_key_counter(key, counter, alg)``. Two generators
    made from the same seed give the same numbers; each draw advances the state.

    Parameters
    ----------
    copy_from : Generator, optional
        Start from a copy of this generator's state (and algorithm).
    state : int64 array, list or Variable, optional
        The starting state (with ``alg``); a Variable is used as the state itself.
    alg : 'philox', 'threefry', 'auto_select' or a tf.random.Algorithm, optional

    Examples
    --------
    >>> import learnet as tf
    >>> g = tf.random.Generator.from_seed(1)
    >>> g.normal(shape=[2, 3]).shape
    TensorShape([2, 3])
    >>> [child.state.numpy()[:2].tolist() for child in g.split(2)]
    [[0, 0], [0, 0]]
    """

    def __init__(self, copy_from=None, state=None, alg=None):
        function = "Generator"
        if copy_from is not None:
            if state is not None or alg is not None:
                raise ValueError(f"{function}: give copy_from alone, or state and alg; got all three")
            if not isinstance(copy_from, Generator):
                raise TypeError(f"{function}: copy_from must be a tf.random.Generator, got {copy_from!r}")
            state, alg = copy_from.state.numpy(), copy_from.algorithm
        elif state is None or alg is None:
            raise ValueError(
                f"{function} needs state and alg together (or copy_from); "
                "Generator.from_seed(seed) makes one from a seed"
            )
        alg = convert_alg(alg, function)
        if isinstance(state, Variable):
            self._check_state(state, alg, function)
            if state.dtype != numpy.int64:
                raise TypeError(f"{function}: a state Variable must hold int64, got {state.dtype}")
            self._state_var = state
        else:
            words = self._check_state(state, alg, function)
            self._state_var = Variable(words, trainable=False, dtype="int64", name="StateVar")
        self._alg = alg

    @staticmethod
    def _check_state(state, alg, function):
        words = _int_array(state, function, "the state")
        size = _STATE_SIZE[alg]
        if words.shape != (size,):
            raise ValueError(
                f"{function}: the state of algorithm {Algorithm(alg).name} has shape [{size}], "
                f"got shape {list(words.shape)}"
            )
        return words

    # --- making one ----------------------------------------------------------------------------

    @classmethod
    def from_state(cls, state, alg):
        """A generator starting from ``state`` (for example another generator's ``state``).

        Examples
        --------
        >>> import learnet as tf
        >>> tf.random.Generator.from_state([1, 2, 3], "philox").state.numpy()
        array([1, 2, 3])
        """
        return cls(state=state, alg=alg)

    @classmethod
    def from_seed(cls, seed, alg=None):
        """A generator from an integer seed (or a list of them); Philox unless ``alg`` says.

        Examples
        --------
        >>> import learnet as tf
        >>> g = tf.random.Generator.from_seed(1, alg="philox")
        >>> g.state.numpy(), g.algorithm
        (array([1, 0, 0]), 1)
        """
        alg = convert_alg(Algorithm.PHILOX if alg is None else alg, "Generator.from_seed")
        return cls(state=_state_from_seed(seed, _STATE_SIZE[alg], "Generator.from_seed"), alg=alg)

    @classmethod
    def from_non_deterministic_state(cls, alg=None):
        """A generator whose state comes from the operating system's entropy.

        Examples
        --------
        >>> import learnet as tf
        >>> tf.random.Generator.from_non_deterministic_state().normal([2]).shape
        TensorShape([2])
        """
        alg = convert_alg(Algorithm.PHILOX if alg is None else alg, "Generator.from_non_deterministic_state")
        words = numpy.random.SeedSequence().generate_state(_STATE_SIZE[alg], numpy.uint64)
        return cls(state=words.view(numpy.int64), alg=alg)

    @classmethod
    def from_key_counter(cls, key, counter, alg):
        """A generator from a ``key`` (a scalar) and a ``counter`` (2 words for Philox, 1 for ThreeFry).

        Examples
        --------
        >>> import learnet as tf
        >>> tf.random.Generator.from_key_counter(5, [1, 2], "philox").state.numpy()
        array([1, 2, 5])
        """
        alg = convert_alg(alg, "Generator.from_key_counter")
        return cls(state=cls._key_counter_state(key, counter, alg, "Generator.from_key_counter"), alg=alg)

    @staticmethod
    def _key_counter_state(key, counter, alg, function):
        key_words = _int_array(key, function, "key")
        counter_words = _int_array(counter, function, "counter")
        if key_words.shape != ():
            raise ValueError(f"{function}: key must be a scalar, got shape {list(key_words.shape)}")
        size = _STATE_SIZE[alg] - 1
        if counter_words.shape != (size,):
            raise ValueError(
                f"{function}: the counter of algorithm {Algorithm(alg).name} has shape [{size}], "
                f"got shape {list(counter_words.shape)}"
            )
        return numpy.concatenate([counter_words, key_words.reshape(1)])

    # --- what it holds -------------------------------------------------------------------------

    @property
    def state(self):
        """The state: an int64 ``Variable`` (``[counter_low, counter_high, key]`` for Philox)."""
        return self._state_var

    @property
    def algorithm(self):
        """The algorithm id: 1 (Philox), 2 (ThreeFry) or 3 (auto-select)."""
        return self._alg

    @property
    def key(self):
        """The key part of the state (its last word), a scalar int64 tensor."""
        return Tensor._wrap(xp.asarray(numpy.int64(self._state_var.numpy()[-1])))

    def _words(self):
        return [int(w) & _MASK64 for w in self._state_var.numpy().tolist()]

    def _counter(self):
        words = self._words()[:-1]
        return sum(word << (64 * i) for i, word in enumerate(words))

    def _advance(self, steps):
        words = self._words()
        size = len(words) - 1
        counter = (self._counter() + steps) % (1 << (64 * size))
        new = [_signed(counter >> (64 * i)) for i in range(size)] + [_signed(words[-1])]
        self._state_var.assign(numpy.array(new, dtype=numpy.int64))

    def _numpy_generator(self):
        words = self._words()
        counter = self._counter()
        # The counter fills Philox's low 128 bits; the key word, with the algorithm beside it.
        key = (words[-1], 1 if self._alg == Algorithm.THREEFRY.value else 0)
        return philox_generator(key, (counter & _MASK64, counter >> 64, 0, 0))

    def _draw(self, shape, sampler):
        """Draw ``sampler``'s numbers at the current counter, then advance past them."""
        values = sampler(self._numpy_generator())
        self._advance(_STEPS_PER_NUMBER * num_elements(shape))
        return Tensor._wrap(xp.asarray(values))

    # --- changing the state ---------------------------------------------------------------------

    def reset(self, state):
        """Set the state to ``state`` (same shape).

        Examples
        --------
        >>> import learnet as tf
        >>> g = tf.random.Generator.from_seed(1)
        >>> g.reset([0, 0, 7])
        >>> g.state.numpy()
        array([0, 0, 7])
        """
        self._state_var.assign(self._check_state(state, self._alg, "Generator.reset"))

    def reset_from_seed(self, seed):
        """Set the state to what ``Generator.from_seed(seed)`` starts from.

        Examples
        --------
        >>> import learnet as tf
        >>> g = tf.random.Generator.from_seed(1)
        >>> a = g.normal([])
        >>> g.reset_from_seed(1)
        >>> bool(g.normal([]) == a)
        True
        """
        self._state_var.assign(_state_from_seed(seed, _STATE_SIZE[self._alg], "Generator.reset_from_seed"))

    def reset_from_key_counter(self, key, counter):
        """Set the state from a ``key`` and a ``counter`` (see ``from_key_counter``)."""
        self._state_var.assign(self._key_counter_state(key, counter, self._alg, "Generator.reset_from_key_counter"))

    def skip(self, delta):
        """Advance the state as if ``delta`` numbers had been drawn; returns the state before.

        ``g.skip(n)`` leaves ``g`` where ``g.normal([n])`` would (a negative ``delta`` goes back).

        Examples
        --------
        >>> import learnet as tf
        >>> g1, g2 = tf.random.Generator.from_seed(1), tf.random.Generator.from_seed(1)
        >>> _ = g1.normal([3])
        >>> _ = g2.skip(3)
        >>> bool((g1.state.numpy() == g2.state.numpy()).all())
        True
        """
        delta = _count(delta, "Generator.skip", "delta")
        before = self._state_var.read_value()
        self._advance(_STEPS_PER_NUMBER * delta)
        return before

    # --- drawing ---------------------------------------------------------------------------------

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=None, name=None):
        """Normal samples of ``shape`` (``mean`` and ``stddev`` broadcast to it).

        Parameters
        ----------
        shape : list of int or 1-D int tensor
        mean, stddev : float or tensor
        dtype : float16, float32 (learnet's default float type when None) or float64

        Examples
        --------
        >>> import learnet as tf
        >>> tf.random.Generator.from_seed(1).normal([2, 3]).dtype
        dtype('float32')
        """
        function = "Generator.normal"
        shape = output_shape(shape, function)
        return self._draw(shape, normal_sampler(shape, mean, stddev, dtype or backend.floatx(), function))

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=None, name=None):
        """Normal samples within two standard deviations of ``mean`` (others redrawn).

        Examples
        --------
        >>> import learnet as tf
        >>> x = tf.random.Generator.from_seed(1).truncated_normal([1000])
        >>> bool((tf.abs(x) <= 2).numpy().all())
        True
        """
        function = "Generator.truncated_normal"
        shape = output_shape(shape, function)
        return self._draw(shape, truncated_normal_sampler(shape, mean, stddev, dtype or backend.floatx(), function))

    def uniform(self, shape, minval=0, maxval=None, dtype=None, name=None):
        """Uniform samples in ``[minval, maxval)``.

        Floats default to ``[0, 1)``. Integers (int32, int64, uint32, uint64) need both
        ``minval`` and ``maxval`` (scalars), or both None for the dtype's full range.

        Examples
        --------
        >>> import learnet as tf
        >>> g = tf.random.Generator.from_seed(1)
        >>> x = g.uniform([4], minval=0, maxval=10, dtype=tf.int32)
        >>> x.dtype, bool(((x >= 0) & (x < 10)).numpy().all())
        (dtype('int32'), True)
        """
        function = "Generator.uniform"
        shape = output_shape(shape, function)
        return self._draw(shape, uniform_sampler(shape, minval, maxval, dtype or backend.floatx(), function))

    def uniform_full_int(self, shape, dtype="uint64", name=None):
        """Integers over the whole range of ``dtype`` (int32, int64, uint32 or uint64).

        Examples
        --------
        >>> import learnet as tf
        >>> tf.random.Generator.from_seed(1).uniform_full_int([3]).dtype
        dtype('uint64')
        """
        function = "Generator.uniform_full_int"
        shape = output_shape(shape, function)
        return self._draw(shape, full_int_sampler(shape, dtype, function))

    def binomial(self, shape, counts, probs, dtype="int32", name=None):
        """Numbers of successes in ``counts`` trials of probability ``probs`` (both broadcast to ``shape``).

        Examples
        --------
        >>> import learnet as tf
        >>> g = tf.random.Generator.from_seed(1)
        >>> g.binomial([2, 3], counts=[10.0, 20.0, 30.0], probs=0.5).shape
        TensorShape([2, 3])
        """
        function = "Generator.binomial"
        shape = output_shape(shape, function)
        return self._draw(shape, binomial_sampler(shape, counts, probs, dtype, function))

    def make_seeds(self, count=1):
        """``count`` seeds for the stateless ops, as an int64 tensor of shape ``[2, count]``.

        Column ``i`` (``seeds[:, i]``) is one seed.

        Examples
        --------
        >>> import learnet as tf
        >>> g = tf.random.Generator.from_seed(1)
        >>> seed = g.make_seeds(2)[:, 0]
        >>> tf.random.stateless_normal([3], seed=seed).shape
        TensorShape([3])
        """
        count = _count(count, "Generator.make_seeds", "count")
        if count < 0:
            raise ValueError(f"Generator.make_seeds: count must be >= 0, got {count}")
        keys = self._draw((count,), full_int_sampler((count,), "int64", "Generator.make_seeds")).numpy()
        return Tensor._wrap(xp.asarray(numpy.stack([keys, numpy.zeros_like(keys)])))

    def split(self, count=1):
        """``count`` new, independent generators; this one advances as if it drew ``count`` numbers.

        Each new generator has a fresh key (drawn from this one) and a zero counter, so the
        split is deterministic given this generator's state.

        Examples
        --------
        >>> import learnet as tf
        >>> g = tf.random.Generator.from_seed(1)
        >>> children = g.split(3)
        >>> len(children), g.state.numpy()
        (3, array([769,   0,   0]))
        """
        count = _count(count, "Generator.split", "count")
        if count < 0:
            raise ValueError(f"Generator.split: count must be >= 0, got {count}")
        keys = self._draw((count,), full_int_sampler((count,), "int64", "Generator.split")).numpy()
        zeros = [0] * (_STATE_SIZE[self._alg] - 1)
        return [Generator(state=numpy.array(zeros + [key], dtype=numpy.int64), alg=self._alg) for key in keys]

    def _checkpoint_children(self):
        # What a checkpoint stores of a generator, wherever it is held (a layer, a module):
        # its state, under TensorFlow's name for it.
        return [("_state_var", self._state_var)]

    def __repr__(self):
        return f"<learnet.random.Generator alg={Algorithm(self._alg).name} state={self._state_var.numpy().tolist()}>"


# --- the global generator --------------------------------------------------------------------------

_global_generator = None
_global_is_learnets = False  # made here (not set by the user), so set_seed may reseed it


def _seeded_state(seed):
    """A Philox state derived from learnet's global seed (entropy when none was set)."""
    sequence = numpy.random.SeedSequence() if seed is None else numpy.random.SeedSequence([int(seed), 0x52414E44])
    return sequence.generate_state(_STATE_SIZE[Algorithm.PHILOX.value], numpy.uint64).view(numpy.int64)


def get_global_generator():
    """The generator ``tf.random`` code shares, made on first use.

    Unlike TensorFlow's, it starts from learnet's global seed when ``tf.random.set_seed``
    was called (and ``set_seed`` starts it again), so seeded runs repeat.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.random.get_global_generator() is tf.random.get_global_generator()
    True
    """
    global _global_generator, _global_is_learnets
    if _global_generator is None:
        _global_generator = Generator(state=_seeded_state(backend._seed), alg=Algorithm.PHILOX)
        _global_is_learnets = True
    return _global_generator


def set_global_generator(generator):
    """Make ``generator`` the one ``get_global_generator`` returns.

    Examples
    --------
    >>> import learnet as tf
    >>> g = tf.random.Generator.from_seed(5)
    >>> tf.random.set_global_generator(g)
    >>> tf.random.get_global_generator() is g
    True
    """
    global _global_generator, _global_is_learnets
    if not isinstance(generator, Generator):
        raise TypeError(f"set_global_generator expects a tf.random.Generator, got {generator!r}")
    _global_generator = generator
    _global_is_learnets = False


def reseed_global_generator(seed):
    """Start learnet's own global generator again from ``seed`` (one set by the user is left alone)."""
    if _global_generator is not None and _global_is_learnets:
        _global_generator.reset(_seeded_state(seed))
