"""Sequence helpers under their older Keras home, ``keras.preprocessing.sequence``.

``pad_sequences`` lines sequences up; ``skipgrams`` and ``make_sampling_table`` make the
(word, context) pairs that word2vec learns from.

>>> from learnet.preprocessing.sequence import skipgrams
>>> pairs, labels = skipgrams([1, 2, 3], vocabulary_size=4, window_size=1, negative_samples=0, shuffle=False)
>>> pairs, labels
([[1, 2], [2, 1], [2, 3], [3, 2]], [1, 1, 1, 1])
"""

import numpy

from learnet import backend
from learnet.utils import pad_sequences

__all__ = ["make_sampling_table", "pad_sequences", "skipgrams"]

_EULER_GAMMA = 0.577  # the Euler-Mascheroni constant, to the digits word2vec's table uses


def make_sampling_table(size, sampling_factor=1e-5):
    """The probability of keeping each word of a vocabulary sorted by frequency (word2vec's subsampling).

    Frequent words ("the", "of") carry little and are dropped often. word2vec keeps a
    word of frequency ``f`` with probability ``min(1, sqrt(sampling_factor / f))``; the
    frequency of the word of rank ``r`` is taken from Zipf's law,
    ``f(r) ~ 1 / (r (log r + gamma) + 1/2 - 1 / (12 r))``. Entry ``i`` is for the word of
    index ``i`` (index 0, padding, counted as rank 1).

    Parameters
    ----------
    size : int
        Number of words in the vocabulary.
    sampling_factor : float
        word2vec's ``t``: the smaller, the more often frequent words are dropped.

    Returns
    -------
    numpy.ndarray of shape ``(size,)``, probabilities in ``(0, 1]``, for ``skipgrams(sampling_table=...)``.

    Examples
    --------
    >>> from learnet.preprocessing.sequence import make_sampling_table
    >>> make_sampling_table(5).round(5).tolist()
    [0.00315, 0.00315, 0.00548, 0.00742, 0.00913]
    """
    if isinstance(size, bool) or not isinstance(size, (int, numpy.integer)) or size < 1:
        raise ValueError(f"make_sampling_table: size must be a positive integer, got {size!r}")
    if not sampling_factor > 0:
        raise ValueError(f"make_sampling_table: sampling_factor must be positive, got {sampling_factor!r}")
    rank = numpy.arange(size)
    rank[0] = 1
    inverse_frequency = rank * (numpy.log(rank) + _EULER_GAMMA) + 0.5 - 1.0 / (12.0 * rank)
    scaled = sampling_factor * inverse_frequency
    return numpy.minimum(1.0, scaled / numpy.sqrt(scaled))


def skipgrams(
    sequence,
    vocabulary_size,
    window_size=4,
    negative_samples=1.0,
    shuffle=True,
    categorical=False,
    sampling_table=None,
    seed=None,
):
    """Skip-gram pairs of a sequence of word indices: ``[word, context]`` with label 1, and random negatives with 0.

    For each word ``sequence[i]`` (skipping 0, the padding index), each word within
    ``window_size`` places of it gives the pair ``[sequence[i], sequence[j]]``, label 1,
    in the order of ``i`` then ``j``. Then ``int(negative_samples * positives)`` negative
    pairs follow: a word of the positive pairs (shuffled) with a random index in
    ``[1, vocabulary_size)``, label 0.

    Parameters
    ----------
    sequence : list of int
        A sentence as word indices (0 is padding and never used).
    vocabulary_size : int
        Number of words; negative contexts are drawn from ``1 .. vocabulary_size - 1``.
    window_size : int
        How many words on each side are context.
    negative_samples : float
        Number of negative pairs per positive one (0 for none).
    shuffle : bool
        Shuffle the pairs (and their labels alike).
    categorical : bool
        Labels as one-hot ``[0, 1]`` (positive) and ``[1, 0]`` (negative) instead of 1 and 0.
    sampling_table : array_like, optional
        ``sampling_table[w]``: the probability of keeping word ``w`` as the centre of its
        pairs (``make_sampling_table``).
    seed : int, optional
        Seed of the shuffle. The subsampling and the negatives draw from learnet's global
        generator (``keras.utils.set_random_seed``), as Keras draws them from Python's.

    Returns
    -------
    couples : list of ``[int, int]``
    labels : list of int (list of ``[int, int]`` if ``categorical``)

    Examples
    --------
    >>> from learnet.preprocessing.sequence import skipgrams
    >>> couples, labels = skipgrams([1, 2, 0, 3], 4, window_size=2, negative_samples=0, shuffle=False)
    >>> couples
    [[1, 2], [2, 1], [2, 3], [3, 2]]
    """
    words = numpy.asarray(sequence.numpy() if hasattr(sequence, "numpy") else sequence)
    if words.ndim != 1 or (words.size and words.dtype.kind not in "iu"):
        raise ValueError(f"skipgrams expects a flat sequence of integer word indices, got shape {words.shape}")
    words = words.astype(numpy.int64)
    if isinstance(window_size, bool) or not isinstance(window_size, (int, numpy.integer)) or window_size < 0:
        raise ValueError(f"skipgrams: window_size must be a non-negative integer, got {window_size!r}")
    if not negative_samples >= 0:
        raise ValueError(f"skipgrams: negative_samples must be >= 0, got {negative_samples!r}")
    if negative_samples > 0 and (not isinstance(vocabulary_size, (int, numpy.integer)) or vocabulary_size < 2):
        raise ValueError(
            f"skipgrams: negative samples are drawn from 1 .. vocabulary_size - 1, so vocabulary_size must be "
            f"at least 2, got {vocabulary_size!r}"
        )
    generator = backend.host_rng()

    centre_kept = words != 0
    if sampling_table is not None:
        table = numpy.asarray(sampling_table, dtype=numpy.float64).ravel()
        if words.size and words.max() >= table.size:
            raise ValueError(
                f"skipgrams: word index {int(words.max())} has no entry in the sampling_table of {table.size} entries"
            )
        # Keep a centre word with probability sampling_table[word].
        centre_kept &= ~(table[words] < generator.random(words.size))

    # Every (centre, context) position pair within the window, centre by centre, context left to right.
    offsets = numpy.arange(-window_size, window_size + 1)
    offsets = offsets[offsets != 0]
    centre = numpy.repeat(numpy.arange(words.size), offsets.size)
    context = centre + numpy.tile(offsets, words.size)
    inside = (context >= 0) & (context < words.size)
    centre, context = centre[inside], context[inside]
    keep = centre_kept[centre] & (words[context] != 0)
    couples = numpy.stack([words[centre[keep]], words[context[keep]]], axis=1).reshape(-1, 2)
    labels = numpy.ones(len(couples), dtype=numpy.int64)

    num_negative = int(len(couples) * negative_samples) if negative_samples > 0 else 0
    if num_negative:
        centres = generator.permutation(couples[:, 0])
        negatives = numpy.stack(
            [
                centres[numpy.arange(num_negative) % centres.size],
                generator.integers(1, int(vocabulary_size), size=num_negative),
            ],
            axis=1,
        )
        couples = numpy.concatenate([couples, negatives])
        labels = numpy.concatenate([labels, numpy.zeros(num_negative, dtype=numpy.int64)])

    if shuffle:
        shuffler = generator if seed is None else numpy.random.default_rng(seed)
        order = shuffler.permutation(len(couples))
        couples, labels = couples[order], labels[order]
    if categorical:
        labels = numpy.stack([1 - labels, labels], axis=1)
    return couples.tolist(), labels.tolist()
