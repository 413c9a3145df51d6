"""Reuters newswires, 11,228 of them, each labelled with one of 46 topics.

``load_data`` returns exactly what ``keras.datasets.reuters.load_data`` returns for
the same file and arguments; the file is read with a restricted reader that accepts
only lists of ints and plain arrays.
"""

from __future__ import annotations

from .npz import read_npz
from .sequences import KERAS_MIRROR, object_array, prepare, read_word_index, shuffled
from .single import read_single
from .sources import DatasetFile, DatasetSpec

__all__ = ["SPEC", "WORD_INDEX_SPEC", "get_label_names", "get_word_index", "load_data"]

SPEC = DatasetSpec(
    name="reuters",
    title="Reuters newswires",
    folder="reuters",
    files=(DatasetFile("reuters.npz", "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"),),
    mirrors=(KERAS_MIRROR,),
)
WORD_INDEX_SPEC = DatasetSpec(
    name="reuters_word_index",
    title="Reuters word index",
    folder="reuters",
    loader="reuters.get_word_index",
    files=(DatasetFile("reuters_word_index.json", "4d44cc38712099c9e383dc6e5f11a921"),),
    mirrors=(KERAS_MIRROR,),
)

_LABELS = (
    "cocoa",
    "grain",
    "veg-oil",
    "earn",
    "acq",
    "wheat",
    "copper",
    "housing",
    "money-supply",
    "coffee",
    "sugar",
    "trade",
    "reserves",
    "ship",
    "cotton",
    "carcass",
    "crude",
    "nat-gas",
    "cpi",
    "money-fx",
    "interest",
    "gnp",
    "meal-feed",
    "alum",
    "oilseed",
    "gold",
    "tin",
    "strategic-metal",
    "livestock",
    "retail",
    "ipi",
    "iron-steel",
    "rubber",
    "heat",
    "jobs",
    "lei",
    "bop",
    "zinc",
    "orange",
    "pet-chem",
    "dlr",
    "gas",
    "silver",
    "wpi",
    "hog",
    "lead",
)


def load_data(
    path=None,
    num_words=None,
    skip_top=0,
    maxlen=None,
    test_split=0.2,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
    **kwargs,
):
    """Load the Reuters topic dataset (``keras.datasets.reuters.load_data``).

    Parameters
    ----------
    path : str or path-like, optional
        ``reuters.npz`` itself or the folder holding it.
    test_split : float, default 0.2
        Fraction of the (shuffled) newswires kept for testing.
    num_words, skip_top, maxlen, seed, start_char, oov_char, index_from :
        As for ``learnet.datasets.imdb.load_data``.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x``: object arrays of lists of ints; ``y``: topics 0..45.

    Examples
    --------
    >>> from learnet.datasets import reuters
    >>> (x_train, y_train), (x_test, y_test) = reuters.load_data(num_words=10000)  # doctest: +SKIP
    >>> len(x_train), len(x_test)  # doctest: +SKIP
    (8982, 2246)
    """
    if kwargs:
        raise TypeError(f"reuters.load_data got unexpected keyword argument(s) {', '.join(map(repr, kwargs))}")
    if not 0 <= test_split < 1:
        raise ValueError(f"reuters.load_data: test_split must be in [0, 1), got {test_split}")
    arrays = read_single(SPEC, path, lambda p: read_npz(p, ["x", "y"]))
    xs, labels = shuffled(seed, arrays["x"], arrays["y"])
    sequences, labels = prepare(
        list(xs),
        labels,
        num_words=num_words,
        skip_top=skip_top,
        maxlen=maxlen,
        start_char=start_char,
        oov_char=oov_char,
        index_from=index_from,
        name="reuters",
    )
    split = int(len(sequences) * (1 - test_split))
    return ((object_array(sequences[:split]), labels[:split]), (object_array(sequences[split:]), labels[split:]))


def get_word_index(path=None):
    """The ``{word: id}`` dictionary of the newswires (ids before the ``index_from`` shift)."""
    return read_single(WORD_INDEX_SPEC, path, read_word_index)


def get_label_names():
    """The 46 topic names, in label order (``keras.datasets.reuters.get_label_names``)."""
    return _LABELS
