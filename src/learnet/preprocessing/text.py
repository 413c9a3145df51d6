"""Text helpers from Keras 2's ``keras.preprocessing.text``, which books and courses still use.

``Tokenizer`` learns a word index from texts (most frequent word first) and turns
texts into lists of word ids or into bag-of-words matrices; ``text_to_word_sequence``
splits one text. New code can use ``layers.TextVectorization`` instead.

Examples
--------
>>> from learnet.preprocessing.text import Tokenizer
>>> tokenizer = Tokenizer(num_words=100)
>>> tokenizer.fit_on_texts(["The cat sat.", "The dog sat on the mat."])
>>> tokenizer.word_index["the"], tokenizer.texts_to_sequences(["the cat ran"])
(1, [[1, 3]])
"""

from collections import Counter

import numpy

__all__ = ["Tokenizer", "hashing_trick", "one_hot", "text_to_word_sequence"]

_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def text_to_word_sequence(input_text, filters=_FILTERS, lower=True, split=" "):
    """Split a text into words: lower-cased, the ``filters`` characters removed.

    >>> text_to_word_sequence("Hello, World! Hello.")
    ['hello', 'world', 'hello']
    """
    if lower:
        input_text = input_text.lower()
    input_text = input_text.translate(str.maketrans({c: split for c in filters}))
    return [word for word in input_text.split(split) if word]


def hashing_trick(text, n, hash_function=None, filters=_FILTERS, lower=True, split=" "):
    """Word ids in ``[1, n)`` from a hash of each word (no vocabulary to learn).

    ``hash_function`` defaults to MD5, which is the same in every run (Python's
    ``hash`` of a string is not).
    """
    import hashlib

    if hash_function is None or hash_function == "md5":

        def hash_function(word):
            return int(hashlib.md5(word.encode()).hexdigest(), 16)

    return [hash_function(w) % (n - 1) + 1 for w in text_to_word_sequence(text, filters, lower, split)]


def one_hot(input_text, n, filters=_FILTERS, lower=True, split=" ", analyzer=None):
    """``hashing_trick`` with MD5: word ids in ``[1, n)``."""
    return hashing_trick(input_text, n, filters=filters, lower=lower, split=split)


class Tokenizer:
    """Learn a word index from texts and vectorize texts with it (``keras.preprocessing.text.Tokenizer``).

    Parameters
    ----------
    num_words : int, optional
        Keep only words with an id below ``num_words`` (the ``num_words - 1`` most
        frequent) when converting; the index itself keeps every word.
    filters, lower, split, char_level :
        How texts are split into words (see ``text_to_word_sequence``).
    oov_token : str, optional
        Id 1 is given to this token, and unknown words map to it instead of being dropped.

    Attributes
    ----------
    word_index : dict
        Word -> id, from 1, most frequent first (ties: first seen first).
    index_word : dict
        Id -> word.
    word_counts : dict
        Word -> count over all texts.
    document_count : int
        Number of texts seen.
    """

    def __init__(
        self,
        num_words=None,
        filters=_FILTERS,
        lower=True,
        split=" ",
        char_level=False,
        oov_token=None,
        analyzer=None,
        **kwargs,
    ):
        if kwargs:
            raise TypeError(f"Tokenizer got unexpected keyword argument(s) {', '.join(map(repr, kwargs))}")
        self.num_words = num_words
        self.filters = filters
        self.lower = lower
        self.split = split
        self.char_level = char_level
        self.oov_token = oov_token
        self.analyzer = analyzer
        self.word_counts = {}
        self.word_docs = {}
        self.index_docs = {}
        self.word_index = {}
        self.index_word = {}
        self.document_count = 0

    def _words(self, text):
        if isinstance(text, (list, tuple)):
            return [w.lower() if self.lower else w for w in text]
        if self.char_level:
            return list(text.lower() if self.lower else text)
        if self.analyzer is not None:
            return list(self.analyzer(text))
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts):
        """Count the words of ``texts`` (strings, or lists of words) and rebuild the index.

        A single string is read as Keras' Tokenizer reads it: as the sequence of its characters,
        each one text (so ``Tokenizer(char_level=True).fit_on_texts(book)`` indexes its characters).
        """
        counts = Counter(self.word_counts)
        docs = Counter(self.word_docs)
        for text in texts:
            self.document_count += 1
            words = self._words(text)
            counts.update(words)
            docs.update(set(words))
        self.word_counts = dict(counts)
        self.word_docs = dict(docs)
        ranked = sorted(self.word_counts, key=lambda w: -self.word_counts[w])  # stable: first seen first
        if self.oov_token is not None:
            ranked = [self.oov_token] + [w for w in ranked if w != self.oov_token]
        self.word_index = {word: i for i, word in enumerate(ranked, start=1)}
        self.index_word = {i: word for word, i in self.word_index.items()}
        self.index_docs = {self.word_index[w]: c for w, c in self.word_docs.items()}

    def texts_to_sequences(self, texts):
        """Each text as a list of word ids (unknown words dropped, or ``oov_token``'s id)."""
        oov = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        sequences = []
        for text in texts:
            sequence = []
            for word in self._words(text):
                i = self.word_index.get(word)
                if i is not None and (not self.num_words or i < self.num_words):
                    sequence.append(i)
                elif oov is not None:
                    sequence.append(oov)
            sequences.append(sequence)
        return sequences

    def sequences_to_texts(self, sequences):
        """Word ids back to space-joined words (ids beyond ``num_words`` as ``oov_token`` or dropped)."""
        oov = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        texts = []
        for sequence in sequences:
            words = []
            for i in sequence:
                word = self.index_word.get(i)
                if word is not None and (not self.num_words or i < self.num_words):
                    words.append(word)
                elif oov is not None:
                    words.append(self.index_word[oov])
            texts.append(" ".join(words))
        return texts

    def texts_to_matrix(self, texts, mode="binary"):
        """One row per text: ``"binary"``, ``"count"``, ``"freq"`` or ``"tfidf"`` of each word id."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        """One row per sequence of ids, ``num_words`` (or vocabulary + 1) columns."""
        if mode not in ("binary", "count", "freq", "tfidf"):
            raise ValueError(f'Tokenizer: mode must be "binary", "count", "freq" or "tfidf", got {mode!r}')
        size = self.num_words or (len(self.word_index) + 1)
        if not size or size <= 1:
            raise ValueError("Tokenizer: fit it on texts (or give num_words) before making a matrix")
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Tokenizer: tfidf needs the document counts of fit_on_texts")
        matrix = numpy.zeros((len(sequences), size))
        for row, sequence in enumerate(sequences):
            if not sequence:
                continue
            for j, c in Counter(sequence).items():
                if j >= size:
                    continue
                if mode == "binary":
                    matrix[row, j] = 1
                elif mode == "count":
                    matrix[row, j] = c
                elif mode == "freq":
                    matrix[row, j] = c / len(sequence)
                else:
                    idf = numpy.log(1 + self.document_count / (1 + self.index_docs.get(j, 0)))
                    matrix[row, j] = (1 + numpy.log(c)) * idf
        return matrix

    def get_config(self):
        """The settings and the learned counts, as plain data."""
        return {
            "num_words": self.num_words,
            "filters": self.filters,
            "lower": self.lower,
            "split": self.split,
            "char_level": self.char_level,
            "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": self.word_counts,
            "word_docs": self.word_docs,
            "word_index": self.word_index,
        }
