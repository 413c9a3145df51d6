"""What IMDB and Reuters share: turning stored word-id lists into Keras' returned arrays."""

from __future__ import annotations

import json

import numpy as np

from .errors import DatasetCorruptError

KERAS_MIRROR = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def shuffled(rng, *arrays):
    """The arrays in the order ``rng`` (a ``numpy.random.RandomState``) shuffles them, as Keras.

    Pass an int to start a fresh ``RandomState(seed)``; Keras shuffles IMDB's test
    split with the same generator, after the training split.
    """
    if not isinstance(rng, np.random.RandomState):
        rng = np.random.RandomState(rng)
    indices = np.arange(len(arrays[0]))
    rng.shuffle(indices)
    return [array[indices] for array in arrays]


def prepare(sequences, labels, *, num_words, skip_top, maxlen, start_char, oov_char, index_from, name):
    """Shift ids by ``index_from``, prepend ``start_char``, drop long reviews, cap the vocabulary.

    ``sequences`` is a list of lists of ids (all splits together, training first);
    returns the new lists and labels, exactly as Keras computes them.
    """
    if start_char is not None:
        sequences = [[start_char] + [w + index_from for w in x] for x in sequences]
    elif index_from:
        sequences = [[w + index_from for w in x] for x in sequences]
    else:
        sequences = [list(x) for x in sequences]
    if maxlen:
        kept = [i for i, x in enumerate(sequences) if len(x) < maxlen]
        sequences = [sequences[i] for i in kept]
        labels = labels[np.asarray(kept, dtype=np.intp)]
    if not num_words:
        num_words = max((max(x) for x in sequences if x), default=0)
    if oov_char is not None:
        sequences = [[w if skip_top <= w < num_words else oov_char for w in x] for x in sequences]
    else:
        sequences = [[w for w in x if skip_top <= w < num_words] for x in sequences]
    return sequences, labels


def object_array(sequences):
    """A one-dimensional object array of lists (never a 2-D array, even when lengths agree)."""
    array = np.empty(len(sequences), dtype=object)
    for index, sequence in enumerate(sequences):
        array[index] = sequence
    return array


def read_word_index(path):
    """A ``{word: id}`` JSON file, checked to be exactly that."""
    try:
        with open(path, encoding="utf-8") as file:
            index = json.load(file)
    except (OSError, ValueError) as err:
        raise DatasetCorruptError(f"{path} is not a readable JSON word index ({err}).") from None
    if not isinstance(index, dict) or not all(isinstance(k, str) and type(v) is int for k, v in index.items()):
        raise DatasetCorruptError(f"{path} is not a word index: expected {{word: integer id}}.")
    return index
