"""Candidate sampling (``learnet.candidate_sampling``): the ``tf.random.*_candidate_sampler`` ops,
``tf.nn.compute_accidental_hits``, ``tf.nn.sampled_softmax_loss`` and ``tf.nn.nce_loss``.

The expected counts are deterministic and compared with real TensorFlow's
(tests/fixtures/make_tf_candidate_sampling_fixture.py), with ``unique=True`` through the
number of tries each of TensorFlow's draws took. The draws are random: their
distribution is checked statistically, with seeded generators and wide tolerances. The
losses are compared with TensorFlow's values and GradientTape gradients on the same
``sampled_values``, and their gradients with central differences.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet import candidate_sampling
from learnet.testing import check_gradients

sys.path.insert(0, str(Path(__file__).resolve().parent / "fixtures"))
import make_tf_candidate_sampling_fixture as spec  # noqa: E402

REFERENCE = np.load(Path(__file__).resolve().parent / "fixtures" / "tf_candidate_sampling_reference.npz")
SAMPLER_NAMES = list(spec.SAMPLERS)
LOSS_CASES = spec.loss_cases()


def _sampler(name):
    sampler, kwargs = spec.SAMPLERS[name]
    return getattr(tf.random, sampler), kwargs


def _distribution(name):
    """learnet's probabilities of one of the fixture's samplers (to apply the tries formula to TF's draws)."""
    _, kwargs = spec.SAMPLERS[name]
    if name == "log_uniform":
        return candidate_sampling._LogUniform(kwargs["range_max"])
    if name == "uniform":
        return candidate_sampling._Uniform(kwargs["range_max"])
    weights = candidate_sampling._unigram_weights(
        kwargs["range_max"],
        kwargs["unigrams"],
        kwargs.get("distortion", 1.0),
        kwargs.get("num_reserved_ids", 0),
        kwargs.get("num_shards", 1),
        kwargs.get("shard", 0),
        "test",
    )
    return candidate_sampling._Weighted(weights)


# ---------------------------------------------------------------- names, dtypes, shapes
def test_namespaces():
    for name in [
        "log_uniform_candidate_sampler",
        "uniform_candidate_sampler",
        "fixed_unigram_candidate_sampler",
        "learned_unigram_candidate_sampler",
        "all_candidate_sampler",
    ]:
        assert getattr(tf.random, name) is getattr(candidate_sampling, name)
    for name in [
        "fixed_unigram_candidate_sampler",
        "learned_unigram_candidate_sampler",
        "all_candidate_sampler",
        "compute_accidental_hits",
        "sampled_softmax_loss",
        "nce_loss",
    ]:
        assert getattr(tf.nn, name) is getattr(candidate_sampling, name)


@pytest.mark.parametrize("name", SAMPLER_NAMES)
@pytest.mark.parametrize("unique", [False, True])
def test_dtypes_and_shapes(name, unique):
    function, kwargs = _sampler(name)
    sampled, true_count, sampled_count = function(spec.TRUE_CLASSES, 2, 4, unique, seed=0, **kwargs)
    assert str(sampled.dtype) == "int64" and tuple(sampled.shape) == (4,)
    assert str(true_count.dtype) == "float32" and tuple(true_count.shape) == (3, 2)
    assert str(sampled_count.dtype) == "float32" and tuple(sampled_count.shape) == (4,)
    result = function(spec.TRUE_CLASSES, 2, 4, unique, seed=0, **kwargs)
    assert result.sampled_candidates is not None and result.true_expected_count is not None


# ---------------------------------------------------------------- expected counts against TensorFlow
@pytest.mark.parametrize("name", SAMPLER_NAMES)
def test_expected_counts_without_unique_equal_tensorflow(name):
    function, kwargs = _sampler(name)
    result = function(spec.TRUE_CLASSES, 2, spec.NUM_SAMPLED, False, seed=1, **kwargs)
    np.testing.assert_array_equal(result.true_expected_count.numpy(), REFERENCE[f"{name}_plain_true"])
    # TensorFlow's own draws, asked about as true classes: the same p * num_sampled.
    tf_sampled = REFERENCE[f"{name}_plain_sampled"]
    again = function(tf_sampled[:, None], 1, spec.NUM_SAMPLED, False, seed=1, **kwargs)
    np.testing.assert_array_equal(again.true_expected_count.numpy()[:, 0], REFERENCE[f"{name}_plain_sampled_expected"])


@pytest.mark.parametrize("name", SAMPLER_NAMES)
@pytest.mark.parametrize("seed", spec.SEEDS)
def test_unique_expected_counts_follow_tensorflows_number_of_tries(name, seed):
    tries = int(REFERENCE[f"{name}_unique{seed}_tries"])
    assert tries >= spec.NUM_SAMPLED
    distribution = _distribution(name)
    expected = candidate_sampling._expected_count
    np.testing.assert_allclose(
        expected(distribution.probability(spec.TRUE_CLASSES), spec.NUM_SAMPLED, tries),
        REFERENCE[f"{name}_unique{seed}_true"],
        rtol=2.5e-7,  # two float32 steps: TensorFlow's last bit is its C library's log1pf / expm1f
        atol=0,
    )
    tf_sampled = REFERENCE[f"{name}_unique{seed}_sampled"]
    assert len(set(tf_sampled.tolist())) == spec.NUM_SAMPLED
    np.testing.assert_allclose(
        expected(distribution.probability(tf_sampled), spec.NUM_SAMPLED, tries),
        REFERENCE[f"{name}_unique{seed}_sampled_expected"],
        rtol=2.5e-7,  # two float32 steps: TensorFlow's last bit is its C library's log1pf / expm1f
        atol=0,
    )


@pytest.mark.parametrize("name", SAMPLER_NAMES)
@pytest.mark.parametrize("seed", range(5))
def test_unique_counts_are_one_number_of_tries(name, seed):
    # learnet's own unique draws: true and sampled counts all follow one whole number of tries.
    function, kwargs = _sampler(name)
    sampled, true_count, sampled_count = function(spec.TRUE_CLASSES, 2, spec.NUM_SAMPLED, True, seed=seed, **kwargs)
    distribution = _distribution(name)
    p_true, p_sampled = distribution.probability(spec.TRUE_CLASSES), distribution.probability(sampled.numpy())
    matches = [
        tries
        for tries in range(spec.NUM_SAMPLED, 2000)
        if np.array_equal(candidate_sampling._expected_count(p_true, spec.NUM_SAMPLED, tries), true_count.numpy())
        and np.array_equal(
            candidate_sampling._expected_count(p_sampled, spec.NUM_SAMPLED, tries), sampled_count.numpy()
        )
    ]
    assert matches, "no number of tries explains the counts"


def test_log_uniform_over_a_huge_range_equals_tensorflow():
    result = tf.random.log_uniform_candidate_sampler(spec.BIG_TRUE, 1, 3, False, spec.BIG_RANGE, seed=3)
    np.testing.assert_array_equal(result.true_expected_count.numpy(), REFERENCE["big_true"])
    sampled = result.sampled_candidates.numpy()
    assert ((sampled >= 0) & (sampled < spec.BIG_RANGE)).all()
    again = tf.random.log_uniform_candidate_sampler(REFERENCE["big_sampled"][:, None], 1, 3, False, spec.BIG_RANGE)
    np.testing.assert_array_equal(again.true_expected_count.numpy()[:, 0], REFERENCE["big_sampled_expected"])


def test_learned_unigram_counts_the_true_classes_as_tensorflow_does():
    tf.keras.backend.clear_session()
    for i, batch in enumerate(spec.LEARNED_BATCHES):
        result = tf.random.learned_unigram_candidate_sampler(
            batch, 2, spec.NUM_SAMPLED, False, spec.LEARNED_RANGE, seed=spec.LEARNED_SEED
        )
        np.testing.assert_array_equal(result.true_expected_count.numpy(), REFERENCE[f"learned_{i}_true"])
    # Other arguments keep their own counts; clear_session forgets them all.
    fresh = tf.random.learned_unigram_candidate_sampler(spec.LEARNED_BATCHES[0], 2, 4, False, spec.LEARNED_RANGE)
    np.testing.assert_array_equal(fresh.true_expected_count.numpy(), REFERENCE["learned_0_true"])
    tf.keras.backend.clear_session()
    again = tf.random.learned_unigram_candidate_sampler(
        spec.LEARNED_BATCHES[0], 2, spec.NUM_SAMPLED, False, spec.LEARNED_RANGE, seed=spec.LEARNED_SEED
    )
    np.testing.assert_array_equal(again.true_expected_count.numpy(), REFERENCE["learned_0_true"])


def test_learned_unigram_bad_call_changes_no_counts():
    tf.keras.backend.clear_session()
    sampler = tf.random.learned_unigram_candidate_sampler
    sampler([[1]], 1, 2, False, 4, seed=5)
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
        sampler([[9]], 1, 2, False, 4, seed=5)
    # One good call seen: class 1 counted twice of five.
    assert sampler([[1]], 1, 2, False, 4, seed=5).true_expected_count.numpy().tolist() == [[np.float32(0.8)]]


def test_all_candidate_sampler_equals_tensorflow():
    result = tf.random.all_candidate_sampler(spec.TRUE_CLASSES, 2, 10, True)
    np.testing.assert_array_equal(result.sampled_candidates.numpy(), REFERENCE["all_sampled"])
    np.testing.assert_array_equal(result.true_expected_count.numpy(), REFERENCE["all_true"])
    np.testing.assert_array_equal(result.sampled_expected_count.numpy(), REFERENCE["all_sampled_expected"])
    assert str(result.sampled_candidates.dtype) == "int64"


@pytest.mark.parametrize("name", list(spec.HITS))
def test_compute_accidental_hits_equals_tensorflow(name):
    true_classes, sampled = spec.HITS[name]
    indices, ids, weights = tf.nn.compute_accidental_hits(true_classes, sampled, true_classes.shape[1])
    assert (str(indices.dtype), str(ids.dtype), str(weights.dtype)) == ("int32", "int64", "float32")
    np.testing.assert_array_equal(indices.numpy(), REFERENCE[f"{name}_indices"])
    np.testing.assert_array_equal(ids.numpy(), REFERENCE[f"{name}_ids"])
    np.testing.assert_array_equal(weights.numpy(), REFERENCE[f"{name}_weights"])


# ---------------------------------------------------------------- the draws, statistically
@pytest.mark.parametrize("name", SAMPLER_NAMES)
def test_draws_follow_the_distribution(name):
    function, kwargs = _sampler(name)
    draws = 200_000
    sampled = function(spec.TRUE_CLASSES, 2, draws, False, seed=11, **kwargs).sampled_candidates.numpy()
    range_max = kwargs["range_max"]
    assert sampled.min() >= 0 and sampled.max() < range_max
    frequency = np.bincount(sampled, minlength=range_max) / draws
    p = _distribution(name).probability(np.arange(range_max)).astype(np.float64)
    # Six standard deviations of a frequency of `draws` draws: never exceeded by chance.
    np.testing.assert_array_less(np.abs(frequency - p), 6 * np.sqrt(p * (1 - p) / draws) + 1e-12)
    assert (frequency[p == 0] == 0).all()


def _draw_until_different(p, num_sampled, generator):
    """The reference of a unique draw, one class at a time: draw until num_sampled different classes."""
    found = []
    while len(found) < num_sampled:
        value = int(generator.choice(p.size, p=p))
        if value not in found:
            found.append(value)
    return found


def test_unique_draws_are_different_and_drawn_one_at_a_time():
    p = candidate_sampling._LogUniform(10).probability(np.arange(10)).astype(np.float64)
    p /= p.sum()
    calls = 3000
    first, included, reference = np.zeros(10), np.zeros(10), np.zeros(10)
    generator = np.random.default_rng(0)
    for seed in range(calls):
        sampled = tf.random.log_uniform_candidate_sampler([[0]], 1, 3, True, 10, seed=seed).sampled_candidates.numpy()
        assert len(set(sampled.tolist())) == 3 and sampled.min() >= 0 and sampled.max() < 10
        first[sampled[0]] += 1
        included[sampled] += 1
        reference[_draw_until_different(p, 3, generator)] += 1
    # The first draw is never a repeat: it follows p. Six standard deviations: never exceeded by chance.
    np.testing.assert_array_less(np.abs(first / calls - p), 6 * np.sqrt(p * (1 - p) / calls))
    # Each class is included as often as in the one-at-a-time reference (two samples of 3000 coins).
    np.testing.assert_array_less(np.abs(included - reference) / calls, 6 * np.sqrt(2 * 0.25 / calls))


def test_unique_draws_from_a_small_range_take_every_class():
    sampled = tf.random.uniform_candidate_sampler([[0]], 1, 6, True, 6, seed=2).sampled_candidates.numpy()
    assert sorted(sampled.tolist()) == list(range(6))


def test_seed_repeats_and_global_seed_repeats():
    draw = tf.random.log_uniform_candidate_sampler
    first = draw([[1]], 1, 5, True, 1000, seed=42).sampled_candidates.numpy()
    np.testing.assert_array_equal(first, draw([[1]], 1, 5, True, 1000, seed=42).sampled_candidates.numpy())
    tf.random.set_seed(3)
    a = draw([[1]], 1, 5, True, 1000).sampled_candidates.numpy()
    tf.random.set_seed(3)
    np.testing.assert_array_equal(a, draw([[1]], 1, 5, True, 1000).sampled_candidates.numpy())


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"true_classes": [[1.0], [2.0]]}, TypeError, "integer"),
        ({"true_classes": [1, 2]}, tf.errors.InvalidArgumentError, "matrix"),
        ({"num_true": 2}, tf.errors.InvalidArgumentError, "num_true columns"),
        ({"true_classes": [[1], [12]]}, tf.errors.InvalidArgumentError, r"out of range \[0, 10\)"),
        ({"true_classes": [[1], [-1]]}, tf.errors.InvalidArgumentError, "out of range"),
        ({"num_sampled": 11, "unique": True}, tf.errors.InvalidArgumentError, "range is too small"),
        ({"num_sampled": 0}, tf.errors.InvalidArgumentError, "num_sampled must be at least 1"),
        ({"range_max": 0}, tf.errors.InvalidArgumentError, "range_max must be at least 1"),
        ({"num_true": 1.5}, TypeError, "num_true must be an integer"),
        ({"seed": "a"}, TypeError, "seed"),
    ],
)
def test_sampler_bad_input(kwargs, error, match):
    arguments = {"true_classes": [[1], [3]], "num_true": 1, "num_sampled": 3, "unique": False, "range_max": 10}
    arguments.update(kwargs)
    with pytest.raises(error, match=match):
        tf.random.log_uniform_candidate_sampler(**arguments)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"unigrams": [1.0, 2.0, 3.0]}, tf.errors.InvalidArgumentError, "must be equal to weights size 3"),
        ({"unigrams": [1.0] * 6}, tf.errors.InvalidArgumentError, "must be equal to weights size 6"),
        ({}, tf.errors.InvalidArgumentError, "Must provide either vocab_file or unigrams"),
        ({"vocab_file": "v.txt", "unigrams": [1.0] * 5}, tf.errors.InvalidArgumentError, "only provide one"),
        ({"vocab_file": "v.txt"}, NotImplementedError, "unigrams"),
        ({"unigrams": [1.0, -2.0, 1.0, 1.0, 1.0]}, tf.errors.InvalidArgumentError, "non-negative"),
        ({"unigrams": [1.0, 0.0, 0.0, 0.0, 1.0], "unique": True}, tf.errors.InvalidArgumentError, "too small"),
        ({"unigrams": [1.0] * 5, "shard": 1}, tf.errors.InvalidArgumentError, "shard"),
    ],
)
def test_fixed_unigram_bad_input(kwargs, error, match):
    arguments = {"true_classes": [[1], [3]], "num_true": 1, "num_sampled": 3, "unique": False, "range_max": 5}
    arguments.update(kwargs)
    with pytest.raises(error, match=match):
        tf.random.fixed_unigram_candidate_sampler(**arguments)


def test_all_candidate_sampler_and_accidental_hits_bad_input():
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
        tf.random.all_candidate_sampler([[3]], 1, 3, True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_true columns"):
        tf.nn.compute_accidental_hits([[1, 2]], [1, 2], 1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="vector"):
        tf.nn.compute_accidental_hits([[1]], [[1, 2]], 1)


# ---------------------------------------------------------------- the losses
def _loss_arguments(num_true, sampled):
    return {
        "labels": spec.LOSS_LABELS[num_true],
        "num_sampled": 5,
        "num_classes": 10,
        "num_true": num_true,
        "sampled_values": (
            spec.LOSS_SAMPLED[sampled],
            spec.LOSS_TRUE_EXPECTED[num_true],
            spec.LOSS_SAMPLED_EXPECTED,
        ),
    }


@pytest.mark.parametrize("case", list(LOSS_CASES))
def test_losses_and_gradients_equal_tensorflow(case):
    loss, num_true, sampled, remove = LOSS_CASES[case]
    weights, biases, inputs = (tf.Variable(a) for a in (spec.LOSS_WEIGHTS, spec.LOSS_BIASES, spec.LOSS_INPUTS))
    with tf.GradientTape() as tape:
        value = getattr(tf.nn, loss)(
            weights, biases, inputs=inputs, remove_accidental_hits=remove, **_loss_arguments(num_true, sampled)
        )
        total = tf.reduce_sum(value * spec.LOSS_COEFFICIENTS)
    assert str(value.dtype) == "float32" and tuple(value.shape) == (3,)
    np.testing.assert_allclose(value.numpy(), REFERENCE[f"{case}_loss"], rtol=1e-5, atol=1e-6)
    for key, grad in zip(("weights", "biases", "inputs"), tape.gradient(total, [weights, biases, inputs])):
        np.testing.assert_allclose(
            tf.convert_to_tensor(grad).numpy(), REFERENCE[f"{case}_grad_{key}"], rtol=1e-5, atol=1e-5
        )


@pytest.mark.parametrize("loss", ["sampled_softmax_loss", "nce_loss"])
@pytest.mark.parametrize("num_true", [1, 2])
@pytest.mark.parametrize("remove", [True, False])
def test_loss_numerical_gradients(loss, num_true, remove):
    # check_gradients: sampled_softmax_loss and nce_loss in weights, biases and inputs, central differences.
    function = getattr(tf.nn, loss)
    arguments = _loss_arguments(num_true, "repeats")

    def total(weights, biases, inputs):
        return function(weights, biases, inputs=inputs, remove_accidental_hits=remove, **arguments) * np.array(
            [1.0, 2.0, 3.0]
        )

    assert check_gradients(total, [spec.LOSS_WEIGHTS, spec.LOSS_BIASES, spec.LOSS_INPUTS]) < 1e-6


def test_accidental_hits_drop_out_of_the_softmax():
    # A sampled class equal to the label, removed, adds nothing: the loss equals that without the class.
    weights, biases, inputs = spec.LOSS_WEIGHTS, spec.LOSS_BIASES, spec.LOSS_INPUTS[:1]
    counts = np.ones((1, 1), "float32")
    with_hit = tf.nn.sampled_softmax_loss(
        weights, biases, [[3]], inputs, 3, 10, sampled_values=([3, 4, 5], counts, np.ones(3, "float32"))
    )
    without = tf.nn.sampled_softmax_loss(
        weights, biases, [[3]], inputs, 2, 10, sampled_values=([4, 5], counts, np.ones(2, "float32"))
    )
    np.testing.assert_allclose(with_hit.numpy(), without.numpy(), rtol=1e-6)


def test_weights_in_blocks_equal_one_matrix():
    arguments = _loss_arguments(2, "unique")
    whole = tf.nn.nce_loss(spec.LOSS_WEIGHTS, spec.LOSS_BIASES, inputs=spec.LOSS_INPUTS, **arguments)
    blocks = [spec.LOSS_WEIGHTS[:4], spec.LOSS_WEIGHTS[4:7], spec.LOSS_WEIGHTS[7:]]
    split = tf.nn.nce_loss(blocks, spec.LOSS_BIASES, inputs=spec.LOSS_INPUTS, **arguments)
    np.testing.assert_array_equal(whole.numpy(), split.numpy())


@pytest.mark.parametrize("loss", ["sampled_softmax_loss", "nce_loss"])
def test_losses_draw_their_own_samples(loss):
    kwargs = {"seed": 4} if loss == "sampled_softmax_loss" else {}
    tf.random.set_seed(4)
    value = getattr(tf.nn, loss)(
        spec.LOSS_WEIGHTS, spec.LOSS_BIASES, [[1], [2], [3]], spec.LOSS_INPUTS, 4, 10, **kwargs
    )
    assert tuple(value.shape) == (3,) and np.isfinite(value.numpy()).all() and (value.numpy() > 0).all()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"inputs": np.zeros((3, 4, 1), "float32")}, ValueError, "inputs must be"),
        ({"weights": np.zeros((10, 3), "float32")}, ValueError, "weights must be"),
        ({"biases": np.zeros((9,), "float32")}, ValueError, "biases must be"),
        ({"labels": [[1], [2]]}, ValueError, "labels must be"),
        ({"labels": [[1.0], [2.0], [3.0]]}, TypeError, "integer"),
        ({"labels": [[1], [2], [10]]}, tf.errors.InvalidArgumentError, "out of range"),
        ({"num_sampled": 4}, ValueError, "sampled_candidates must be 4"),
        ({"sampled_values": ([1, 2, 3, 4, 5], np.ones((3, 1)))}, ValueError, "triple"),
        ({"sampled_values": ([1, 2, 3, 4, 5], np.ones((2, 1)), np.ones(5))}, ValueError, "expected counts"),
        ({"sampled_values": ([1, 2, 3, 4, 50], np.ones((3, 1)), np.ones(5))}, tf.errors.InvalidArgumentError, "range"),
    ],
)
@pytest.mark.parametrize("loss", ["sampled_softmax_loss", "nce_loss"])
def test_loss_bad_input(loss, kwargs, error, match):
    arguments = {
        "weights": spec.LOSS_WEIGHTS,
        "biases": spec.LOSS_BIASES,
        "labels": [[1], [2], [3]],
        "inputs": spec.LOSS_INPUTS,
        "num_sampled": 5,
        "num_classes": 10,
        "sampled_values": ([1, 2, 3, 4, 5], np.ones((3, 1), "float32"), np.ones(5, "float32")),
    }
    arguments.update(kwargs)
    with pytest.raises(error, match=match):
        getattr(tf.nn, loss)(**arguments)


def test_word2vec_tutorial_negative_sampling():
    # The steps of TensorFlow's word2vec tutorial: negatives for one (target, context) pair.
    context_class = tf.expand_dims(tf.constant([7], dtype="int64"), 1)
    negatives, _, _ = tf.random.log_uniform_candidate_sampler(
        true_classes=context_class,
        num_true=1,
        num_sampled=4,
        unique=True,
        range_max=4096,
        seed=42,
        name="negative_sampling",
    )
    context = tf.concat([tf.squeeze(context_class, 1), negatives], 0)
    label = tf.constant([1] + [0] * 4, dtype="int64")
    assert tuple(context.shape) == (5,) and tuple(label.shape) == (5,)
