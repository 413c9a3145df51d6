"""Candidate sampling: training over many classes by scoring a few sampled ones (``tf.random.*_candidate_sampler``).

A classifier over a vocabulary of 50,000 words would compute 50,000 logits per example.
Candidate sampling scores the true class against a handful of classes drawn from a
known distribution, and corrects each logit by how often its class is expected to be
drawn. This module holds the samplers, ``tf.nn.compute_accidental_hits``, and the two
losses built on them: ``tf.nn.sampled_softmax_loss`` and ``tf.nn.nce_loss`` (word2vec).

Every sampler returns ``(sampled_candidates, true_expected_count, sampled_expected_count)``:
the ``num_sampled`` drawn classes (int64), and for each true class and each drawn class
how many times it is expected among the draws (float32). With ``unique=True`` the
sampler draws until it has ``num_sampled`` different classes; a class's expected count
is then the chance it was drawn at all in that many tries, ``1 - (1 - p) ** tries``.

Examples
--------
>>> import learnet as tf
>>> sampled, true_count, sampled_count = tf.random.log_uniform_candidate_sampler(
...     true_classes=[[3]], num_true=1, num_sampled=4, unique=True, range_max=100, seed=1)
>>> sampled.shape.as_list(), str(sampled.dtype), true_count.shape.as_list(), str(sampled_count.dtype)
([4], 'int64', [1, 1], 'float32')
"""

import collections
import math

import numpy

from learnet import backend, errors
from learnet.backend import xp
from learnet.ops.linalg import matmul
from learnet.ops.math import cast
from learnet.ops.nn import sigmoid_cross_entropy_with_logits, softmax_cross_entropy_with_logits
from learnet.ops.reduce import reduce_sum
from learnet.ops.shape import concat, expand_dims, gather, reshape
from learnet.tensor import Tensor, convert_to_tensor

__all__ = [
    "all_candidate_sampler",
    "compute_accidental_hits",
    "fixed_unigram_candidate_sampler",
    "learned_unigram_candidate_sampler",
    "log_uniform_candidate_sampler",
    "nce_loss",
    "sampled_softmax_loss",
    "uniform_candidate_sampler",
]

_FIELDS = ["sampled_candidates", "true_expected_count", "sampled_expected_count"]
LogUniformCandidateSampler = collections.namedtuple("LogUniformCandidateSampler", _FIELDS)
UniformCandidateSampler = collections.namedtuple("UniformCandidateSampler", _FIELDS)
FixedUnigramCandidateSampler = collections.namedtuple("FixedUnigramCandidateSampler", _FIELDS)
LearnedUnigramCandidateSampler = collections.namedtuple("LearnedUnigramCandidateSampler", _FIELDS)
AllCandidateSampler = collections.namedtuple("AllCandidateSampler", _FIELDS)
ComputeAccidentalHits = collections.namedtuple("ComputeAccidentalHits", ["indices", "ids", "weights"])

# The weight compute_accidental_hits reports for a hit, as TensorFlow: the lowest float32.
_ACCIDENTAL_HIT_LOGIT = float(numpy.finfo(numpy.float32).min)
# What the losses add to an accidental hit's logit. Any number this low gives it a softmax weight
# and a sigmoid loss of exactly 0, as the lowest float32 does, but it leaves room for the
# products the backward pass forms with the logits (the lowest float32 times 2 overflows).
_HIT_PENALTY = -1e30


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


# ---------------------------------------------------------------- the distributions
class _LogUniform:
    """Zipf-like: ``P(class) = log((class + 2) / (class + 1)) / log(range_max + 1)``, class 0 the likeliest."""

    def __init__(self, range_max):
        self.range_max = range_max
        self._log_range = math.log(range_max + 1.0)

    def probability(self, classes):
        classes = numpy.asarray(classes, dtype=numpy.float64)
        return (numpy.log((classes + 2.0) / (classes + 1.0)) / self._log_range).astype(numpy.float32)

    def draw(self, generator, size):
        # exp(u * log(range_max + 1)) - 1 is spread as log((x + 2) / (x + 1)); its floor is the class.
        values = numpy.exp(generator.random(size) * self._log_range) - 1.0
        return values.astype(numpy.int64) % self.range_max

    def possible(self):
        return self.range_max


class _Uniform:
    """Every class equally likely."""

    def __init__(self, range_max):
        self.range_max = range_max

    def probability(self, classes):
        shape = numpy.shape(classes)
        return numpy.full(shape, numpy.float32(1) / numpy.float32(self.range_max), dtype=numpy.float32)

    def draw(self, generator, size):
        return generator.integers(0, self.range_max, size=size, dtype=numpy.int64)

    def possible(self):
        return self.range_max


class _Weighted:
    """Classes drawn in proportion to float32 weights (the unigram samplers)."""

    def __init__(self, weights):
        self.weights = numpy.asarray(weights, dtype=numpy.float32)
        self.range_max = self.weights.size
        # Summed one weight after another in float32, as the probabilities are normalised.
        self.total = numpy.cumsum(self.weights, dtype=numpy.float32)[-1]

    def probability(self, classes):
        return self.weights[numpy.asarray(classes, dtype=numpy.int64)] / self.total

    def draw(self, generator, size):
        p = self.weights.astype(numpy.float64)
        return generator.choice(self.range_max, size=size, p=p / p.sum()).astype(numpy.int64)

    def possible(self):
        return int(numpy.count_nonzero(self.weights))


def _expected_count(probability, num_sampled, num_tries):
    """How many times a class of ``probability`` is expected among the draws, in float32.

    ``num_tries`` draws were made to find ``num_sampled`` classes; equal when no class was
    drawn twice (always with ``unique=False``): then ``p * num_sampled``, else the chance
    of being drawn at least once, ``1 - (1 - p) ** num_tries``, written stably.
    """
    p = numpy.asarray(probability, dtype=numpy.float32)
    if num_tries == num_sampled:
        return p * numpy.float32(num_sampled)
    return -numpy.expm1(numpy.float32(num_tries) * numpy.log1p(-p))


def _draw_unique(distribution, generator, num_sampled):
    """``num_sampled`` different classes in the order first drawn, and how many draws that took."""
    stream = numpy.empty(0, dtype=numpy.int64)
    chunk = max(2 * num_sampled, 64)
    while True:
        stream = numpy.concatenate([stream, distribution.draw(generator, chunk)])
        _, first_seen = numpy.unique(stream, return_index=True)
        if first_seen.size >= num_sampled:
            first_seen.sort()
            chosen = first_seen[:num_sampled]
            return stream[chosen], int(chosen[-1]) + 1
        chunk *= 2  # the rarest classes can take many tries: grow so the loop stays short


# ---------------------------------------------------------------- checks
def _int_attr(value, name, who, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)):
        raise TypeError(f"{who}: {name} must be an integer, got {value!r}")
    if value < minimum:
        raise _invalid(f"{who}: {name} must be at least {minimum}, got {value}")
    return int(value)


def _class_matrix(classes, num_true, who, argument="true_classes"):
    array = classes.numpy() if isinstance(classes, Tensor) else numpy.asarray(classes)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{who}: {argument} must hold integer class ids, got dtype {array.dtype}")
    if array.ndim != 2:
        raise _invalid(f"{who}: {argument} must be a matrix (batch_size, num_true), got shape {array.shape}")
    if array.shape[1] != num_true:
        raise _invalid(f"{who}: {argument} must have num_true columns, expected: {num_true} was: {array.shape[1]}")
    return array.astype(numpy.int64)


def _check_range(classes, range_max, who, argument="true_classes"):
    outside = (classes < 0) | (classes >= range_max)
    if outside.any():
        raise _invalid(f"{who}: {argument} out of range [0, {range_max}), received {classes[outside][0]}")


def _generator(seed, who):
    if seed is None:
        return backend.host_rng()
    if isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer)):
        raise TypeError(f"{who}: seed must be None or an integer, got {seed!r}")
    return numpy.random.default_rng(int(seed))


def _sample(result_type, distribution, true_classes, num_true, num_sampled, unique, seed, who):
    """Check the arguments, draw, and return the three tensors of a candidate sampler."""
    num_true = _int_attr(num_true, "num_true", who, 1)
    num_sampled = _int_attr(num_sampled, "num_sampled", who, 1)
    true_classes = _class_matrix(true_classes, num_true, who)
    _check_range(true_classes, distribution.range_max, who)
    if unique and num_sampled > distribution.possible():
        raise _invalid(
            f"{who}: Sampler's range is too small: unique=True asks for {num_sampled} different classes, "
            f"but only {distribution.possible()} can be drawn"
        )
    generator = _generator(seed, who)
    if unique:
        sampled, num_tries = _draw_unique(distribution, generator, num_sampled)
    else:
        sampled, num_tries = distribution.draw(generator, num_sampled), num_sampled
    true_count = _expected_count(distribution.probability(true_classes), num_sampled, num_tries)
    sampled_count = _expected_count(distribution.probability(sampled), num_sampled, num_tries)
    return result_type(
        Tensor._wrap(xp.asarray(sampled.astype(numpy.int64))),
        Tensor._wrap(xp.asarray(true_count.astype(numpy.float32))),
        Tensor._wrap(xp.asarray(sampled_count.astype(numpy.float32))),
    )


def _range_max(range_max, who):
    return _int_attr(range_max, "range_max", who, 1)


# ---------------------------------------------------------------- the samplers
def log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None, name=None):
    """Sample classes from a log-uniform (Zipfian) distribution over ``[0, range_max)``.

    ``P(class) = log((class + 2) / (class + 1)) / log(range_max + 1)``: small ids are the
    likeliest, which suits a vocabulary sorted by frequency (word2vec's negative samples).

    Parameters
    ----------
    true_classes : int tensor of shape ``(batch_size, num_true)``
        The target classes.
    num_true : int
        Number of target classes per example.
    num_sampled : int
        Number of classes to draw.
    unique : bool
        Draw without replacement (all ``num_sampled`` classes different).
    range_max : int
        Number of possible classes.
    seed : int, optional
        Seed of this draw (the same seed draws the same classes); learnet's global
        generator (``tf.random.set_seed``) when None.
    name : str, optional
        Unused (TensorFlow's op name).

    Returns
    -------
    sampled_candidates : int64 tensor of shape ``(num_sampled,)``
    true_expected_count : float32 tensor of shape ``(batch_size, num_true)``
    sampled_expected_count : float32 tensor of shape ``(num_sampled,)``

    Examples
    --------
    >>> import learnet as tf
    >>> result = tf.random.log_uniform_candidate_sampler([[0], [9]], 1, 3, False, 10, seed=0)
    >>> [[round(float(c), 4) for c in row] for row in result.true_expected_count.numpy()]
    [[0.8672], [0.1192]]
    """
    who = "log_uniform_candidate_sampler"
    distribution = _LogUniform(_range_max(range_max, who))
    return _sample(LogUniformCandidateSampler, distribution, true_classes, num_true, num_sampled, unique, seed, who)


def uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None, name=None):
    """Sample classes uniformly from ``[0, range_max)``.

    Arguments and results as in ``log_uniform_candidate_sampler``.

    Examples
    --------
    >>> import learnet as tf
    >>> result = tf.random.uniform_candidate_sampler([[1, 2]], 2, 5, False, 10, seed=0)
    >>> result.true_expected_count.numpy().tolist()
    [[0.5, 0.5]]
    """
    who = "uniform_candidate_sampler"
    distribution = _Uniform(_range_max(range_max, who))
    return _sample(UniformCandidateSampler, distribution, true_classes, num_true, num_sampled, unique, seed, who)


def _unigram_weights(range_max, unigrams, distortion, num_reserved_ids, num_shards, shard, who):
    # The ids 0 .. range_max - 1 of this shard: first the reserved ids (weight 0), then one per unigram.
    reserved = int(numpy.count_nonzero(numpy.arange(num_reserved_ids) % num_shards == shard))
    counts = numpy.asarray(unigrams, dtype=numpy.float32).ravel()
    if (counts < 0).any() or not numpy.isfinite(counts).all():
        raise _invalid(f"{who}: unigrams must be finite and non-negative, got {counts.tolist()}")
    # As TensorFlow does, the first unigram takes the id after this shard's reserved ids.
    ids = numpy.arange(reserved, reserved + counts.size)
    kept = counts[ids % num_shards == shard]
    distorted = numpy.power(kept.astype(numpy.float64), float(distortion)).astype(numpy.float32)
    weights = numpy.concatenate([numpy.zeros(reserved, dtype=numpy.float32), distorted])
    if weights.size != range_max:
        raise _invalid(
            f"{who}: range is {range_max} must be equal to weights size {weights.size} "
            "(the reserved ids and unigrams kept in this shard)"
        )
    return weights


def fixed_unigram_candidate_sampler(
    true_classes,
    num_true,
    num_sampled,
    unique,
    range_max,
    vocab_file="",
    distortion=1.0,
    num_reserved_ids=0,
    num_shards=1,
    shard=0,
    unigrams=(),
    seed=None,
    name=None,
):
    """Sample classes in proportion to given counts (``unigrams``), each raised to ``distortion``.

    word2vec draws its negatives from the word counts to the power 0.75.

    Parameters
    ----------
    true_classes, num_true, num_sampled, unique, range_max, seed, name
        As in ``log_uniform_candidate_sampler``.
    vocab_file : str
        Not supported by learnet: pass the counts as ``unigrams``.
    distortion : float
        Each count is raised to this power (1 keeps them, 0 makes the draw uniform).
    num_reserved_ids : int
        Ids ``0 .. num_reserved_ids - 1`` come first, with probability 0 (padding, unknown...).
    num_shards, shard : int
        Keep only the ids with ``id % num_shards == shard`` (a sharded vocabulary).
    unigrams : list of float
        The count (or probability) of each class after the reserved ids.

    Examples
    --------
    >>> import learnet as tf
    >>> result = tf.random.fixed_unigram_candidate_sampler(
    ...     [[0], [2]], 1, 4, False, 4, num_reserved_ids=1, unigrams=[1.0, 2.0, 1.0], seed=0)
    >>> result.true_expected_count.numpy().tolist()
    [[0.0], [2.0]]
    """
    who = "fixed_unigram_candidate_sampler"
    range_max = _range_max(range_max, who)
    if vocab_file and len(unigrams):
        raise _invalid(f"{who}: Must only provide one of vocab_file and unigrams.")
    if vocab_file:
        raise NotImplementedError(f"{who}: vocab_file is not supported by learnet; pass the counts as unigrams=[...]")
    if not len(unigrams):
        raise _invalid(f"{who}: Must provide either vocab_file or unigrams.")
    num_reserved_ids = _int_attr(num_reserved_ids, "num_reserved_ids", who, 0)
    num_shards = _int_attr(num_shards, "num_shards", who, 1)
    shard = _int_attr(shard, "shard", who, 0)
    if shard >= num_shards:
        raise _invalid(f"{who}: shard must be smaller than num_shards {num_shards}, got {shard}")
    weights = _unigram_weights(range_max, unigrams, distortion, num_reserved_ids, num_shards, shard, who)
    distribution = _Weighted(weights)
    return _sample(FixedUnigramCandidateSampler, distribution, true_classes, num_true, num_sampled, unique, seed, who)


# The learned counts, one table per distinct call (as TensorFlow keeps one kernel, with its
# counts, for each distinct set of arguments between eager calls).
_learned_counts = {}


@backend.on_clear_session
def _forget_learned_counts():
    _learned_counts.clear()


def learned_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None, name=None):
    """Sample classes in proportion to how often they were seen as true classes so far.

    Every class starts with a count of 1; after each call the true classes of that call
    are counted. The counts are kept per distinct set of arguments (``num_true``,
    ``num_sampled``, ``unique``, ``range_max``, ``seed``), as TensorFlow keeps them when run
    eagerly; ``tf.keras.backend.clear_session()`` forgets them. Other arguments and
    results as in ``log_uniform_candidate_sampler``.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.keras.backend.clear_session()
    >>> first = tf.random.learned_unigram_candidate_sampler([[1]], 1, 2, False, 4, seed=3)
    >>> second = tf.random.learned_unigram_candidate_sampler([[1]], 1, 2, False, 4, seed=3)
    >>> first.true_expected_count.numpy().tolist(), second.true_expected_count.numpy().tolist()
    ([[0.5]], [[0.800000011920929]])
    """
    who = "learned_unigram_candidate_sampler"
    range_max = _range_max(range_max, who)
    _generator(seed, who)  # a bad seed is refused before it becomes part of the key
    key = (num_true, num_sampled, bool(unique), range_max, seed)
    counts = _learned_counts.get(key)
    if counts is None:
        counts = numpy.ones(range_max, dtype=numpy.int64)
    result = _sample(
        LearnedUnigramCandidateSampler, _Weighted(counts), true_classes, num_true, num_sampled, unique, seed, who
    )
    counts = counts.copy()  # a bad call above raised before this: the counts change only after a good one
    numpy.add.at(counts, _class_matrix(true_classes, num_true, who).ravel(), 1)
    _learned_counts[key] = counts
    return result


def all_candidate_sampler(true_classes, num_true, num_sampled, unique, seed=None, name=None):
    """Return every class ``0 .. num_sampled - 1``, each with expected count 1 (for tests and small vocabularies).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.random.all_candidate_sampler([[1]], 1, 3, True).sampled_candidates.numpy().tolist()
    [0, 1, 2]
    """
    who = "all_candidate_sampler"
    num_true = _int_attr(num_true, "num_true", who, 1)
    num_sampled = _int_attr(num_sampled, "num_sampled", who, 1)
    classes = _class_matrix(true_classes, num_true, who)
    _check_range(classes, num_sampled, who)
    return AllCandidateSampler(
        Tensor._wrap(xp.arange(num_sampled, dtype=xp.int64)),
        Tensor._wrap(xp.ones(classes.shape, dtype=xp.float32)),
        Tensor._wrap(xp.ones((num_sampled,), dtype=xp.float32)),
    )


def _accidental_hits(true_classes, sampled):
    """For each true class found among ``sampled``: its row, and the last place it was drawn."""
    order = numpy.argsort(sampled, kind="stable")
    ordered = sampled[order]
    # A stable sort keeps repeats in drawing order, so the last of a run is the last draw.
    place = numpy.searchsorted(ordered, true_classes, side="right") - 1
    found = (place >= 0) & (ordered[numpy.maximum(place, 0)] == true_classes)
    rows = numpy.nonzero(found)[0]
    return rows, order[place[found]]


def compute_accidental_hits(true_classes, sampled_candidates, num_true, seed=None, name=None):
    """Find the sampled candidates that are also true classes of an example.

    A sampled softmax must not count a true class again as a "wrong" one; the losses
    give those places the lowest float32 as logit.

    Returns
    -------
    indices : int32 tensor
        The example (row of ``true_classes``) of each hit.
    ids : int64 tensor
        Where in ``sampled_candidates`` the hit was drawn (its last place, if drawn more than once).
    weights : float32 tensor
        The lowest float32, ``-3.4028235e38``, for each hit.

    Examples
    --------
    >>> import learnet as tf
    >>> indices, ids, weights = tf.nn.compute_accidental_hits([[3], [7]], [7, 0, 3], 1)
    >>> indices.numpy().tolist(), ids.numpy().tolist()
    ([0, 1], [2, 0])
    """
    who = "compute_accidental_hits"
    num_true = _int_attr(num_true, "num_true", who, 1)
    classes = _class_matrix(true_classes, num_true, who)
    sampled = (
        sampled_candidates.numpy() if isinstance(sampled_candidates, Tensor) else numpy.asarray(sampled_candidates)
    )
    if sampled.dtype.kind not in "iu" or sampled.ndim != 1:
        raise _invalid(
            f"{who}: sampled_candidates must be a vector of integer class ids, got {sampled.dtype} {sampled.shape}"
        )
    rows, ids = _accidental_hits(classes, sampled.astype(numpy.int64))
    return ComputeAccidentalHits(
        Tensor._wrap(xp.asarray(rows.astype(numpy.int32))),
        Tensor._wrap(xp.asarray(ids.astype(numpy.int64))),
        Tensor._wrap(xp.full(rows.shape, _ACCIDENTAL_HIT_LOGIT, dtype=xp.float32)),
    )


# ---------------------------------------------------------------- the losses
def _as_dtype_of(tensor, dtype):
    return tensor if tensor.dtype == dtype else cast(tensor, dtype)


def _sampled_logits(
    weights,
    biases,
    labels,
    inputs,
    num_sampled,
    num_classes,
    num_true,
    sampled_values,
    remove_accidental_hits,
    seed,
    who,
):
    """The logits of each example's true classes and of the sampled classes, and their targets.

    Returns ``(logits, targets)``, both ``(batch_size, num_true + num_sampled)``: the true
    classes first (target ``1 / num_true`` each), then the sampled ones (target 0). Each
    logit has ``log(expected count)`` of its class subtracted, so the classes drawn often
    are not favoured; accidental hits get the lowest float32 when asked.
    """
    if isinstance(weights, (list, tuple)):
        # A vocabulary split into consecutive blocks of rows ("div"): put the blocks back together.
        weights = concat([w if isinstance(w, Tensor) else convert_to_tensor(w) for w in weights], 0)
    weights = weights if isinstance(weights, Tensor) else convert_to_tensor(weights)
    biases = biases if isinstance(biases, Tensor) else convert_to_tensor(biases)
    inputs = inputs if isinstance(inputs, Tensor) else convert_to_tensor(inputs)
    num_true = _int_attr(num_true, "num_true", who, 1)
    num_sampled = _int_attr(num_sampled, "num_sampled", who, 1)
    num_classes = _int_attr(num_classes, "num_classes", who, 1)
    if inputs.ndim != 2:
        raise ValueError(f"{who}: inputs must be (batch_size, dim), got shape {tuple(inputs.shape)}")
    batch, dim = inputs.shape
    if weights.ndim != 2 or weights.shape[1] != dim:
        raise ValueError(f"{who}: weights must be (num_classes, {dim}) to match inputs, got {tuple(weights.shape)}")
    if biases.ndim != 1 or biases.shape[0] != weights.shape[0]:
        raise ValueError(
            f"{who}: biases must be ({weights.shape[0]},), one per row of weights, got {tuple(biases.shape)}"
        )
    label_array = labels.numpy() if isinstance(labels, Tensor) else numpy.asarray(labels)
    if label_array.dtype.kind not in "iu":
        raise TypeError(f"{who}: labels must be integer class ids, got dtype {label_array.dtype}")
    if label_array.size != batch * num_true:
        raise ValueError(
            f"{who}: labels must be (batch_size, num_true) = ({batch}, {num_true}), got shape {label_array.shape}"
        )
    label_array = label_array.reshape(batch, num_true).astype(numpy.int64)
    _check_range(label_array, weights.shape[0], who, "labels")

    if sampled_values is None:
        sampled_values = log_uniform_candidate_sampler(label_array, num_true, num_sampled, True, num_classes, seed=seed)
    if len(sampled_values) != 3:
        raise ValueError(
            f"{who}: sampled_values must be a (sampled_candidates, true_expected_count, sampled_expected_count) triple"
        )
    sampled, true_count, sampled_count = (
        numpy.asarray(v.numpy() if isinstance(v, Tensor) else v) for v in sampled_values
    )
    if sampled.dtype.kind not in "iu" or sampled.shape != (num_sampled,):
        raise ValueError(
            f"{who}: sampled_candidates must be {num_sampled} integer class ids, got {sampled.dtype} {sampled.shape}"
        )
    if true_count.size != batch * num_true or sampled_count.shape != (num_sampled,):
        raise ValueError(
            f"{who}: expected counts must be ({batch}, {num_true}) and ({num_sampled},), "
            f"got {true_count.shape} and {sampled_count.shape}"
        )
    sampled = sampled.astype(numpy.int64)
    _check_range(sampled, weights.shape[0], who, "sampled_candidates")

    dtype = inputs.dtype
    true_w = gather(weights, xp.asarray(label_array.ravel()))
    sampled_w = gather(weights, xp.asarray(sampled))
    true_w, sampled_w = _as_dtype_of(true_w, dtype), _as_dtype_of(sampled_w, dtype)
    # Each example against its own true rows: (batch, num_true, dim) times (batch, 1, dim), summed.
    true_logits = reduce_sum(reshape(true_w, (batch, num_true, dim)) * expand_dims(inputs, 1), axis=2)
    true_b = reshape(gather(biases, xp.asarray(label_array.ravel())), (batch, num_true))
    true_logits = true_logits + _as_dtype_of(true_b, dtype)
    # Every example against the same sampled rows.
    sampled_logits = matmul(inputs, sampled_w, transpose_b=True) + _as_dtype_of(
        gather(biases, xp.asarray(sampled)), dtype
    )

    if remove_accidental_hits:
        rows, ids = _accidental_hits(label_array, sampled)
        hits = numpy.zeros((batch, num_sampled), dtype=dtype)
        hits[rows, ids] = max(_HIT_PENALTY, float(numpy.finfo(dtype).min))
        sampled_logits = sampled_logits + Tensor._wrap(xp.asarray(hits))
    # log q in float32, as the counts are.
    log_true = numpy.log(true_count.astype(numpy.float32)).reshape(batch, num_true).astype(dtype)
    log_sampled = numpy.log(sampled_count.astype(numpy.float32)).astype(dtype)
    true_logits = true_logits - Tensor._wrap(xp.asarray(log_true))
    sampled_logits = sampled_logits - Tensor._wrap(xp.asarray(log_sampled))

    logits = concat([true_logits, sampled_logits], 1)
    targets = numpy.concatenate(
        [numpy.full((batch, num_true), 1.0 / num_true), numpy.zeros((batch, num_sampled))], axis=1
    ).astype(dtype)
    return logits, Tensor._wrap(xp.asarray(targets))


def sampled_softmax_loss(
    weights,
    biases,
    labels,
    inputs,
    num_sampled,
    num_classes,
    num_true=1,
    sampled_values=None,
    remove_accidental_hits=True,
    seed=None,
    name="sampled_softmax_loss",
):
    """Softmax cross-entropy over the true classes and ``num_sampled`` sampled ones (training only).

    An estimate of the full softmax loss over ``num_classes`` classes that computes only
    ``num_true + num_sampled`` logits per example: ``inputs @ weights[c] + biases[c]``, each
    minus the log of its class's expected count. Differentiable in ``weights``,
    ``biases`` and ``inputs``. At evaluation, use the full softmax.

    Parameters
    ----------
    weights : tensor ``(num_classes, dim)``, or a list of row blocks
        The output layer's class embeddings.
    biases : tensor ``(num_classes,)``
    labels : int tensor ``(batch_size, num_true)``
        The target classes.
    inputs : float tensor ``(batch_size, dim)``
        The network's activations.
    num_sampled : int
        Number of classes drawn per batch.
    num_classes : int
        Number of possible classes.
    num_true : int
        Number of target classes per example (each gets target ``1 / num_true``).
    sampled_values : tuple, optional
        ``(sampled_candidates, true_expected_count, sampled_expected_count)`` from a
        ``*_candidate_sampler``; by default ``log_uniform_candidate_sampler(unique=True)``.
    remove_accidental_hits : bool
        Give a sampled class that is one of the example's targets the lowest logit.
    seed : int, optional
        Seed of the default sampler.

    Returns
    -------
    Tensor of shape ``(batch_size,)``: one loss per example.

    Examples
    --------
    >>> import learnet as tf
    >>> weights, biases = tf.zeros((10, 4)), tf.zeros((10,))
    >>> sampled = (tf.constant([1, 2, 3], dtype="int64"), tf.ones((2, 1)), tf.ones((3,)))
    >>> loss = tf.nn.sampled_softmax_loss(weights, biases, [[0], [5]], tf.ones((2, 4)), 3, 10,
    ...                                   sampled_values=sampled)
    >>> [round(float(v), 4) for v in loss.numpy()]  # log(4): four equal logits
    [1.3863, 1.3863]
    """
    who = "sampled_softmax_loss"
    logits, targets = _sampled_logits(
        weights,
        biases,
        labels,
        inputs,
        num_sampled,
        num_classes,
        num_true,
        sampled_values,
        remove_accidental_hits,
        seed,
        who,
    )
    return softmax_cross_entropy_with_logits(targets, logits)


def nce_loss(
    weights,
    biases,
    labels,
    inputs,
    num_sampled,
    num_classes,
    num_true=1,
    sampled_values=None,
    remove_accidental_hits=False,
    name="nce_loss",
):
    """Noise-contrastive estimation loss: tell the true classes from sampled "noise" ones (training only).

    Each of the ``num_true + num_sampled`` logits (as in ``sampled_softmax_loss``) is a
    binary question, "is this a true class?", answered with a sigmoid cross-entropy
    (target ``1 / num_true`` for a true class, 0 for a sampled one) and summed per
    example. Differentiable in ``weights``, ``biases`` and ``inputs``.

    Parameters
    ----------
    weights, biases, labels, inputs, num_sampled, num_classes, num_true, sampled_values
        As in ``sampled_softmax_loss``.
    remove_accidental_hits : bool, default False
        Give a sampled class that is one of the example's targets the lowest logit.

    Returns
    -------
    Tensor of shape ``(batch_size,)``: one loss per example.

    Examples
    --------
    >>> import learnet as tf
    >>> weights, biases = tf.zeros((10, 4)), tf.zeros((10,))
    >>> sampled = (tf.constant([1, 2], dtype="int64"), tf.ones((1, 1)), tf.ones((2,)))
    >>> loss = tf.nn.nce_loss(weights, biases, [[0]], tf.ones((1, 4)), 2, 10, sampled_values=sampled)
    >>> [round(float(v), 4) for v in loss.numpy()]  # 3 * log(2): three logits of 0
    [2.0794]
    """
    who = "nce_loss"
    logits, targets = _sampled_logits(
        weights,
        biases,
        labels,
        inputs,
        num_sampled,
        num_classes,
        num_true,
        sampled_values,
        remove_accidental_hits,
        None,
        who,
    )
    return reduce_sum(sigmoid_cross_entropy_with_logits(targets, logits), axis=1)
