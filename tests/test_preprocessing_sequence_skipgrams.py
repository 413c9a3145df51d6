"""``keras.preprocessing.sequence.skipgrams`` and ``make_sampling_table`` (word2vec's pairs).

``make_sampling_table`` and the unshuffled positive pairs are compared with real
TensorFlow's (tests/fixtures/make_tf_candidate_sampling_fixture.py); the random parts
(negatives, shuffle, subsampling) are checked for their structure.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet.preprocessing.sequence import make_sampling_table, skipgrams

sys.path.insert(0, str(Path(__file__).resolve().parent / "fixtures"))
import make_tf_candidate_sampling_fixture as spec  # noqa: E402

REFERENCE = np.load(Path(__file__).resolve().parent / "fixtures" / "tf_candidate_sampling_reference.npz")
SEQUENCE = spec.SKIPGRAM_SEQUENCE


def _positives(sequence, window):
    """The positive pairs worked out one by one: each non-zero word with each non-zero neighbour."""
    pairs = []
    for i, word in enumerate(sequence):
        for j in range(max(0, i - window), min(len(sequence), i + window + 1)):
            if j != i and word and sequence[j]:
                pairs.append([word, sequence[j]])
    return pairs


def test_reachable_as_keras_names():
    assert tf.keras.preprocessing.sequence.skipgrams is skipgrams
    assert tf.keras.preprocessing.sequence.make_sampling_table is make_sampling_table


@pytest.mark.parametrize("case", range(len(spec.SAMPLING_TABLES)))
def test_make_sampling_table_equals_tensorflow(case):
    size, factor = spec.SAMPLING_TABLES[case]
    table = make_sampling_table(size, sampling_factor=factor)
    np.testing.assert_array_equal(table, REFERENCE[f"sampling_table_{case}"])
    assert table.shape == (size,) and (table > 0).all() and (table <= 1).all()


@pytest.mark.parametrize("case", list(spec.SKIPGRAM_CASES))
def test_unshuffled_positive_pairs_equal_tensorflow(case):
    window, categorical = spec.SKIPGRAM_CASES[case]
    couples, labels = skipgrams(
        SEQUENCE, 8, window_size=window, negative_samples=0.0, shuffle=False, categorical=categorical
    )
    np.testing.assert_array_equal(np.array(couples), REFERENCE[f"skipgrams_{case}_couples"])
    np.testing.assert_array_equal(np.array(labels), REFERENCE[f"skipgrams_{case}_labels"])
    assert couples == _positives(SEQUENCE, window)
    assert all(type(word) is int for pair in couples for word in pair)  # plain Python ints, as Keras gives


@pytest.mark.parametrize("window", [1, 2, 4])
@pytest.mark.parametrize("negative_samples", [1.0, 2.5, 0.5])
def test_negatives_and_shuffle_structure(window, negative_samples):
    positives = _positives(SEQUENCE, window)
    couples, labels = skipgrams(SEQUENCE, 8, window_size=window, negative_samples=negative_samples, seed=3)
    assert len(couples) == len(labels) == len(positives) + int(len(positives) * negative_samples)
    assert set(labels) == {0, 1}
    kept = [pair for pair, label in zip(couples, labels) if label == 1]
    assert sorted(kept) == sorted(positives)  # the pairs and their labels were shuffled together
    negatives = [pair for pair, label in zip(couples, labels) if label == 0]
    assert len(negatives) == int(len(positives) * negative_samples)
    centres = [pair[0] for pair in positives]
    assert all(word in centres and 1 <= context < 8 for word, context in negatives)
    # Every centre word is used before any is used twice (they are cycled through).
    counts = np.bincount([word for word, _ in negatives], minlength=8)
    expected = np.bincount(centres, minlength=8) * (len(negatives) // len(centres))
    assert (counts >= expected).all()


def test_shuffle_with_seed_repeats_and_is_a_permutation():
    first = skipgrams(SEQUENCE, 8, window_size=2, negative_samples=0, seed=7)
    assert first == skipgrams(SEQUENCE, 8, window_size=2, negative_samples=0, seed=7)
    assert first != skipgrams(SEQUENCE, 8, window_size=2, negative_samples=0, seed=8)
    assert sorted(first[0]) == sorted(_positives(SEQUENCE, 2))


def test_global_seed_repeats_negatives():
    tf.keras.utils.set_random_seed(5)
    first = skipgrams(SEQUENCE, 8, window_size=2)
    tf.keras.utils.set_random_seed(5)
    assert first == skipgrams(SEQUENCE, 8, window_size=2)


def test_categorical_labels():
    couples, labels = skipgrams(SEQUENCE, 8, window_size=1, negative_samples=1.0, categorical=True, seed=1)
    assert sorted(map(tuple, labels)) == sorted([(0, 1)] * (len(couples) // 2) + [(1, 0)] * (len(couples) // 2))


def test_sampling_table_keeps_centres_with_its_probability():
    positives = _positives(SEQUENCE, 2)
    always = skipgrams(SEQUENCE, 8, window_size=2, negative_samples=0, shuffle=False, sampling_table=np.ones(8))
    assert always[0] == positives
    never = skipgrams(SEQUENCE, 8, window_size=2, negative_samples=0, sampling_table=np.zeros(8))
    assert never == ([], [])
    # Word 1 kept with probability 0.3, the others always: over many sentences, 30% of word 1's pairs.
    long_sequence = [1, 2, 3, 4] * 5000
    table = np.array([1.0, 0.3, 1.0, 1.0, 1.0])
    tf.keras.utils.set_random_seed(0)
    couples, _ = skipgrams(long_sequence, 5, window_size=1, negative_samples=0, shuffle=False, sampling_table=table)
    centres = np.array(couples)[:, 0]
    kept = np.sum(centres == 1) / np.sum(np.array(_positives(long_sequence, 1))[:, 0] == 1)
    assert abs(kept - 0.3) < 6 * np.sqrt(0.3 * 0.7 / 5000)  # six standard deviations of 5000 coins
    assert set(centres[centres != 1].tolist()) == {2, 3, 4}


def test_tutorial_call_and_empty_sequences():
    # TensorFlow's word2vec tutorial: positive pairs only, with a subsampling table.
    table = make_sampling_table(10)
    couples, labels = tf.keras.preprocessing.sequence.skipgrams(
        np.array([3, 1, 4, 1, 5, 9, 2, 6]), vocabulary_size=10, sampling_table=table, window_size=2, negative_samples=0
    )
    assert len(couples) == len(labels) and set(labels) <= {1}
    assert skipgrams([], 5) == ([], [])
    assert skipgrams([0, 0, 3], 5) == ([], [])


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (([[1, 2], [3, 4]], 5), {}, "flat sequence"),
        (([1.5, 2.0], 5), {}, "integer"),
        (([1, 2], 5), {"window_size": -1}, "window_size"),
        (([1, 2], 1), {}, "vocabulary_size must be at least 2"),
        (([1, 2], 5), {"negative_samples": -1.0}, "negative_samples"),
        (([1, 7], 8), {"sampling_table": np.ones(5)}, "no entry in the sampling_table"),
    ],
)
def test_skipgrams_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        skipgrams(*args, **kwargs)


@pytest.mark.parametrize(("args", "match"), [((0,), "size"), ((5, 0.0), "sampling_factor"), ((2.5,), "size")])
def test_make_sampling_table_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        make_sampling_table(*args)
