"""IMDB movie reviews, labelled positive (1) or negative (0): 25,000 for training, 25,000 for testing.

Each review is a list of word ids, words ranked by how often they occur (id 1 is
the most frequent word before shifting). ``load_data`` returns exactly what
``keras.datasets.imdb.load_data`` returns for the same file and arguments; the file is
read with a restricted reader that accepts only lists of ints and plain arrays.
"""

from __future__ import annotations

import numpy as np

from .npz import read_npz
from .sequences import KERAS_MIRROR, object_array, prepare, read_word_index, shuffled
from .single import read_single
from .sources import DatasetFile, DatasetSpec

__all__ = ["SPEC", "WORD_INDEX_SPEC", "get_word_index", "load_data"]

SPEC = DatasetSpec(
    name="imdb",
    title="IMDB reviews",
    folder="imdb",
    files=(DatasetFile("imdb.npz", "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"),),
    mirrors=(KERAS_MIRROR,),
)
WORD_INDEX_SPEC = DatasetSpec(
    name="imdb_word_index",
    title="IMDB word index",
    folder="imdb",
    loader="imdb.get_word_index",
    files=(DatasetFile("imdb_word_index.json", "bfafd718b763782e994055a2d397834f"),),
    mirrors=(KERAS_MIRROR,),
)


def load_data(
    path=None, num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2, index_from=3, **kwargs
):
    """Load the IMDB sentiment dataset (``keras.datasets.imdb.load_data``).

    Parameters
    ----------
    path : str or path-like, optional
        ``imdb.npz`` itself or the folder holding it; by default it is looked for in
        ``$LEARNET_DATASETS/imdb/`` and the cache, then downloaded.
    num_words : int, optional
        Keep the ``num_words`` most frequent words (ids below it); rarer ones become
        ``oov_char``.
    skip_top : int, default 0
        Also replace the ``skip_top`` most frequent ids by ``oov_char``.
    maxlen : int, optional
        Drop reviews of ``maxlen`` words or more.
    seed : int, default 113
        Seed of the shuffle (the same shuffle as Keras).
    start_char : int, default 1
        Id put at the start of every review (None: none).
    oov_char : int, default 2
        Id of the words cut by ``num_words``/``skip_top`` (None: drop them).
    index_from : int, default 3
        Shift of the word ids (0 padding, 1 start, 2 out-of-vocabulary are reserved).

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x``: object arrays of lists of ints; ``y``: int arrays of 0/1.

    Examples
    --------
    >>> from learnet.datasets import imdb
    >>> (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=10000)  # doctest: +SKIP
    >>> len(x_train), x_train[0][:4]  # doctest: +SKIP
    (25000, [1, 14, 22, 16])
    """
    if kwargs:
        raise TypeError(f"imdb.load_data got unexpected keyword argument(s) {', '.join(map(repr, kwargs))}")
    arrays = read_single(SPEC, path, lambda p: read_npz(p, ["x_train", "y_train", "x_test", "y_test"]))
    rng = np.random.RandomState(seed)
    x_train, y_train = shuffled(rng, arrays["x_train"], arrays["y_train"])
    x_test, y_test = shuffled(rng, arrays["x_test"], arrays["y_test"])
    sequences, labels = prepare(
        list(x_train) + list(x_test),
        np.concatenate([y_train, y_test]),
        num_words=num_words,
        skip_top=skip_top,
        maxlen=maxlen,
        start_char=start_char,
        oov_char=oov_char,
        index_from=index_from,
        name="imdb",
    )
    n_train = len(x_train) if not maxlen else sum(1 for x in x_train if len(x) + (start_char is not None) < maxlen)
    if maxlen and (n_train == 0 or n_train == len(sequences)):
        raise ValueError(
            f"imdb.load_data: after dropping reviews of maxlen={maxlen} words or more, a split is "
            "empty; increase maxlen"
        )
    return (
        (object_array(sequences[:n_train]), labels[:n_train]),
        (object_array(sequences[n_train:]), labels[n_train:]),
    )


def get_word_index(path=None):
    """The ``{word: id}`` dictionary of the IMDB reviews (``keras.datasets.imdb.get_word_index``).

    Ids here are before the ``index_from`` shift: the word with id ``i`` appears as
    ``i + 3`` in ``load_data``'s reviews.

    Examples
    --------
    >>> from learnet.datasets import imdb
    >>> index = imdb.get_word_index()  # doctest: +SKIP
    >>> index["the"]  # doctest: +SKIP
    1
    """
    return read_single(WORD_INDEX_SPEC, path, read_word_index)
