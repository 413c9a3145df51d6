"""``TextVectorization``: raw strings in, token ids or bag-of-words vectors out (Keras' layer).

The steps, as in Keras: standardize (lower case, strip punctuation), split into
words, optionally form n-grams, then look each token up in a vocabulary learned
by ``adapt`` (most frequent first) and output ids (``"int"``) or one vector per text
(``"multi_hot"``, ``"count"``, ``"tf_idf"``).

Examples
--------
>>> from learnet import layers
>>> vectorize = layers.TextVectorization(output_sequence_length=4)
>>> vectorize.adapt(["The cat sat.", "The dog sat on the cat!"])
>>> vectorize.get_vocabulary()[:4]
['', '[UNK]', 'the', 'sat']
>>> vectorize(["the cat ran"]).numpy()
array([[2, 4, 1, 0]])
"""

import numbers
import re
import string
from collections import Counter

import numpy

from learnet.layers.base import Layer
from learnet.ragged import RaggedTensor
from learnet.tensor import Tensor, Variable

# Keras' default punctuation: every ASCII punctuation character.
_PUNCTUATION = re.compile("[" + re.escape(string.punctuation) + "]")
_MODES = ("int", "multi_hot", "count", "tf_idf")
PAD, OOV = "", "[UNK]"


def adapt_batches(data, steps, who):
    """The batches of ``data``: one for an array, list or Tensor; each element of a
    dataset or generator otherwise (the inputs of ``(x, y)`` pairs)."""
    if isinstance(data, (Tensor, RaggedTensor, numpy.ndarray, list, tuple, str, bytes)) or hasattr(data, "__array__"):
        if isinstance(data, (str, bytes)):
            raise ValueError(f"{who}: adapt expects a batch of values (a list or array), got a single string")
        yield data
        return
    if not hasattr(data, "__iter__"):
        raise TypeError(f"{who}: adapt expects an array, a list or a dataset, got {type(data).__name__}")
    for index, batch in enumerate(data):
        if steps is not None and index >= steps:
            break
        if isinstance(batch, tuple):
            batch = batch[0]  # (x, y) pairs: only the inputs are data to learn from
        yield batch


class IdfWeightsState:
    """The tf-idf weights of a text or lookup layer, kept as Keras keeps them.

    ``layer.idf_weights`` is a non-trainable ``Variable`` (one weight per output index) that
    is not among ``layer.weights`` (Keras' lookup layers list none), and a Keras file holds
    it in the layer's weights group as ``vars/idf_weights``: ``save_own_variables`` writes
    it there and ``load_own_variables`` reads it back. An adapted layer read from a Keras
    file gets its vocabulary from the file's assets and its weights from there
    (``_await_idf_weights``); until they arrive, calling it is an error.
    """

    _untracked_attributes = frozenset({"idf_weights"})

    @property
    def _idf(self):
        variable = self.__dict__.get("idf_weights")
        return None if variable is None else variable.numpy()

    @_idf.setter
    def _idf(self, value):
        self.idf_weights = (
            None
            if value is None
            else Variable(numpy.asarray(value, dtype="float32"), trainable=False, name="idf_weights")
        )
        self._idf_pending = False

    def _await_idf_weights(self, vocabulary):
        """Set ``vocabulary`` now; its idf weights come from the weights file (``load_own_variables``)."""
        self.set_vocabulary(vocabulary, idf_weights=numpy.zeros(len(vocabulary), dtype="float32"))
        self._config_idf = None
        self._idf_pending = True

    def _check_idf_loaded(self):
        if self.__dict__.get("_idf_pending"):
            raise RuntimeError(
                f"{type(self).__name__} '{self.name}' has a vocabulary but no idf weights yet: they come from "
                "the model's weights file (vars/idf_weights)"
            )

    def save_own_variables(self, store):
        """Keep the tf-idf weights as Keras does: ``store["idf_weights"]`` (nothing in other modes)."""
        if self.output_mode == "tf_idf" and self._idf is not None:
            store["idf_weights"] = self._idf

    def load_own_variables(self, store):
        """Read back the tf-idf weights ``save_own_variables`` (or Keras) wrote, after checking their shape."""
        if self.output_mode != "tf_idf" or (self._idf is None and "idf_weights" not in store):
            return
        idf = numpy.asarray(store["idf_weights"])
        sizes = None if self._idf is None else self._idf_sizes()
        if idf.ndim != 1 or idf.dtype.kind not in "iuf" or (sizes is not None and len(idf) not in sizes):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the saved idf_weights have shape {idf.shape}, but the "
                f"vocabulary needs a vector of length {' or '.join(str(n) for n in sorted(sizes or ()))}"
            )
        self._idf = idf
        self._idf_loaded()

    def _idf_sizes(self):
        """The lengths the idf weights may have: one weight per output index."""
        return {len(self._idf)}

    def _idf_loaded(self):
        """What a layer does once its idf weights are read from a file (a lookup layer puts them in its config)."""

    @classmethod
    def _from_keras_config(cls, config):
        """``(config, vocabulary)``: an adapted tf-idf layer's config from a Keras file holds its
        vocabulary (from the file's assets) but not its idf weights, which are in the weights file."""
        config = dict(config)
        mode = {"tf-idf": "tf_idf"}.get(config.get("output_mode"), config.get("output_mode"))
        vocabulary = config.get("vocabulary")
        if mode == "tf_idf" and vocabulary is not None and config.get("idf_weights") is None:
            config["vocabulary"] = None
            return config, vocabulary
        return config, None


class _KerasLookupPlace(Layer):
    """The place of the StringLookup inside Keras' TextVectorization (its ``_lookup_layer``): a
    tf-idf layer's Keras file holds the idf weights there too, and Keras reads them there."""

    _untracked_attributes = frozenset({"_owner"})

    def __init__(self, owner):
        super().__init__(name=f"{owner.name}_lookup")
        self._owner = owner
        self.built = True

    def save_own_variables(self, store):
        self._owner.save_own_variables(store)

    def load_own_variables(self, store):
        """Nothing to do: the owner reads the same weights from its own group."""


def _as_texts(inputs, who):
    if isinstance(inputs, Tensor):
        inputs = inputs._value
    if isinstance(inputs, str):
        raise ValueError(f"{who} expects a batch of strings (a list or array), got a single string; wrap it in a list")
    array = numpy.asarray(inputs, dtype=object)
    if array.ndim == 0:  # one text: an element of an unbatched dataset, as Keras adapts it
        array = array.reshape(1)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f"{who} expects a batch of strings of shape (batch,) or (batch, 1), got shape {array.shape}")
    texts = []
    for item in array:
        if isinstance(item, bytes):
            item = item.decode("utf-8")
        if not isinstance(item, str):
            raise TypeError(f"{who} expects strings, got {type(item).__name__} {item!r}")
        texts.append(item)
    return texts


class TextVectorization(IdfWeightsState, Layer):
    """Map text to sequences of token ids or to bag-of-words vectors (``keras.layers.TextVectorization``).

    Parameters
    ----------
    max_tokens : int, optional
        Largest vocabulary size, the padding and ``[UNK]`` tokens included.
    standardize : ``"lower_and_strip_punctuation"`` (default), ``"lower"``,
        ``"strip_punctuation"``, None or a function ``str -> str``
    split : ``"whitespace"`` (default), ``"character"``, None or a function ``str -> list``
    ngrams : int or tuple of ints, optional
        Also make n-grams of these sizes (``2``: words and pairs of words).
    output_mode : ``"int"`` (default), ``"multi_hot"``, ``"count"`` or ``"tf_idf"``
        ``"int"``: one id per token (0 padding, 1 out of vocabulary). The others: one
        vector per text of the vocabulary's size (index 0 counts unknown tokens).
    output_sequence_length : int, optional
        ``"int"`` only: pad with 0 or cut every sequence to this length (else to the
        longest in the batch).
    pad_to_max_tokens : bool, default False
        Vector modes: make vectors ``max_tokens`` long even when the vocabulary is smaller.
    vocabulary : list of str, optional
        A vocabulary to use instead of ``adapt`` (without the padding/``[UNK]`` tokens,
        or starting with them).
    idf_weights : list of float, optional
        With ``output_mode="tf_idf"`` and ``vocabulary``: the inverse document frequencies.

    Examples
    --------
    >>> from learnet import layers
    >>> bag = layers.TextVectorization(output_mode="multi_hot")
    >>> bag.adapt(["good movie", "bad movie"])
    >>> bag(["good good film"]).numpy()
    array([[1, 0, 1, 0]])
    """

    _takes_text = True  # a Sequential built from data it sees starts with a text input

    def __init__(
        self,
        max_tokens=None,
        standardize="lower_and_strip_punctuation",
        split="whitespace",
        ngrams=None,
        output_mode="int",
        output_sequence_length=None,
        pad_to_max_tokens=False,
        vocabulary=None,
        idf_weights=None,
        sparse=False,
        ragged=False,
        encoding="utf-8",
        **kwargs,
    ):
        super().__init__(**kwargs)
        who = f"TextVectorization '{self.name}'"
        # TensorFlow's older names: "binary" is multi_hot (as tf.keras 2.21 still reads it).
        output_mode = {"tf-idf": "tf_idf", "binary": "multi_hot"}.get(output_mode, output_mode)
        if output_mode not in _MODES:
            raise ValueError(f"{who}: output_mode must be one of {_MODES}, got {output_mode!r}")
        if max_tokens is not None and (
            not isinstance(max_tokens, numbers.Integral)
            or isinstance(max_tokens, bool)
            or max_tokens < (3 if output_mode == "int" else 2)
        ):
            raise ValueError(
                f"{who}: max_tokens must be an integer of at least {3 if output_mode == 'int' else 2}, got {max_tokens!r}"
            )
        if output_sequence_length is not None and output_mode != "int":
            raise ValueError(f"{who}: output_sequence_length only applies to output_mode='int'")
        if standardize not in ("lower_and_strip_punctuation", "lower", "strip_punctuation", None) and not callable(
            standardize
        ):
            raise ValueError(f"{who}: unknown standardize {standardize!r}")
        if split not in ("whitespace", "character", None) and not callable(split):
            raise ValueError(f"{who}: unknown split {split!r}")
        if sparse:
            raise ValueError(f"{who}: sparse outputs are not supported; outputs are dense arrays")
        if ragged and (output_mode != "int" or output_sequence_length is not None):
            raise ValueError(f"{who}: ragged=True needs output_mode='int' and no output_sequence_length, as in Keras")
        self.max_tokens = None if max_tokens is None else int(max_tokens)
        self.standardize = standardize
        self.split = split
        self.ngrams = (
            tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else (tuple(ngrams) if ngrams is not None else None)
        )
        self.output_mode = output_mode
        self.output_sequence_length = output_sequence_length
        self.ragged = bool(ragged)
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.encoding = encoding
        self._vocabulary = None
        self._idf = None
        if output_mode == "tf_idf":
            self._lookup_layer = _KerasLookupPlace(self)
        self.built = True
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # --- the text pipeline -------------------------------------------------------------------
    def _standardize(self, text):
        mode = self.standardize
        if callable(mode):
            # A function of tf.strings ops (the TensorFlow text tutorial's custom_standardization)
            # gives a string tensor: back to Python text.
            return self._as_text(mode(text))
        if mode in ("lower", "lower_and_strip_punctuation"):
            text = text.lower()
        if mode in ("strip_punctuation", "lower_and_strip_punctuation"):
            text = _PUNCTUATION.sub("", text)
        return text

    def _tokens(self, text):
        text = self._standardize(text)
        if callable(self.split):
            pieces = self.split(text)
            if isinstance(pieces, Tensor):
                pieces = numpy.asarray(pieces.numpy(), dtype=object).reshape(-1)
            tokens = [self._as_text(piece) for piece in pieces]
        elif self.split == "whitespace":
            tokens = text.split()
        elif self.split == "character":
            tokens = list(text)
        else:
            tokens = [text]
        if self.ngrams:
            grams = []
            for n in self.ngrams:
                grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
            tokens = grams
        return tokens

    def _as_text(self, value):
        """A Python ``str`` from what a custom standardize or split gave: str, bytes or a string tensor."""
        if isinstance(value, Tensor):
            value = numpy.asarray(value.numpy(), dtype=object).reshape(-1)
            value = value[0] if value.size == 1 else " ".join(self._as_text(v) for v in value)
        elif isinstance(value, numpy.ndarray):
            value = value.reshape(-1)[0] if value.size == 1 else " ".join(self._as_text(v) for v in value.reshape(-1))
        return value.decode(self.encoding) if isinstance(value, bytes) else str(value)

    @property
    def _specials(self):
        return [PAD, OOV] if self.output_mode == "int" else [OOV]

    # --- the vocabulary -------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary (and, for ``"tf_idf"``, the document frequencies) from texts.

        Tokens are ranked by count, ties broken as Keras does (reverse string order).
        """
        who = f"TextVectorization '{self.name}'.adapt"
        # An array or list of texts, or a dataset of batches of them (`ds.map(lambda x, y: x)`).
        texts = [text for batch in adapt_batches(data, steps, who) for text in _as_texts(batch, who)]
        counts, documents = Counter(), Counter()
        for text in texts:
            tokens = self._tokens(text)
            counts.update(tokens)
            documents.update(set(tokens))
        for special in (PAD, OOV):
            counts.pop(special, None)
        ranked = sorted(counts, key=lambda token: (counts[token], token.encode(self.encoding)), reverse=True)
        if self.max_tokens is not None:
            ranked = ranked[: self.max_tokens - len(self._specials)]
        self._vocabulary = self._specials + ranked
        if self.output_mode == "tf_idf":
            idf = numpy.log(1 + len(texts) / (1 + numpy.array([documents[t] for t in ranked], dtype=numpy.float64)))
            mean = idf.mean() if idf.size else 0.0
            self._idf = self._padded_idf(numpy.concatenate([[mean], idf]))
        self._index = {token: i for i, token in enumerate(self._vocabulary)}

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Use ``vocabulary`` (a list of tokens) instead of adapting."""
        who = f"TextVectorization '{self.name}'"
        vocabulary = [str(v) for v in vocabulary]
        specials = self._specials
        has_specials = vocabulary[: len(specials)] == specials
        tokens = vocabulary[len(specials) :] if has_specials else vocabulary
        if len(set(tokens)) != len(tokens) or any(t in (PAD, OOV) for t in tokens):
            raise ValueError(f"{who}: the vocabulary has repeated tokens or misplaced '' / '[UNK]' tokens")
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError(f"{who}: output_mode='tf_idf' with a given vocabulary needs idf_weights")
            idf = numpy.asarray(idf_weights, dtype="float32")
            if len(idf) != len(vocabulary):
                raise ValueError(f"{who}: {len(idf)} idf_weights for a vocabulary of {len(vocabulary)} tokens")
            self._idf = self._padded_idf(idf if has_specials else numpy.concatenate([[idf.mean()], idf]))
        elif idf_weights is not None:
            raise ValueError(f"{who}: idf_weights only apply to output_mode='tf_idf'")
        self._vocabulary = specials + tokens
        self._index = {token: i for i, token in enumerate(self._vocabulary)}

    def get_vocabulary(self, include_special_tokens=True):
        """The tokens, by id: ``['', '[UNK]', most frequent, ...]`` in ``"int"`` mode."""
        if self._vocabulary is None:
            return list(self._specials) if include_special_tokens else []
        return list(self._vocabulary) if include_special_tokens else self._vocabulary[len(self._specials) :]

    def vocabulary_size(self):
        """The number of tokens, special tokens included."""
        return len(self.get_vocabulary())

    # --- calling -----------------------------------------------------------------------------------
    def __call__(self, inputs, *args, **kwargs):
        # Strings never become float tensors: the work is done here, on Python strings.
        from learnet.layers.base import KerasTensor

        if isinstance(inputs, KerasTensor):
            return super().__call__(inputs, *args, **kwargs)
        return self.call(inputs)

    def call(self, inputs):
        if self._vocabulary is None:
            raise RuntimeError(
                f"TextVectorization '{self.name}' has no vocabulary: call adapt(texts) or pass vocabulary= first"
            )
        self._check_idf_loaded()
        value = inputs._value if isinstance(inputs, Tensor) else inputs
        if isinstance(value, (str, bytes)) or (isinstance(value, numpy.ndarray) and value.ndim == 0):
            # One string gives one unbatched row, as in Keras: text_vectorization("I write").
            return Tensor._wrap(self.call([numpy.asarray(value, dtype=object).item()])._value[0])
        texts = _as_texts(inputs, f"TextVectorization '{self.name}'")
        index = self._index
        ids = [
            [index.get(token, 1 if self.output_mode == "int" else 0) for token in self._tokens(text)] for text in texts
        ]
        if self.output_mode == "int" and self.ragged:
            flat = numpy.array([i for row in ids for i in row], dtype=numpy.int64)
            return RaggedTensor.from_row_lengths(flat, [len(row) for row in ids])
        if self.output_mode == "int":
            length = self.output_sequence_length
            if length is None:
                length = max((len(row) for row in ids), default=0)
            out = numpy.zeros((len(ids), length), dtype=numpy.int64)
            for row, sequence in enumerate(ids):
                sequence = sequence[:length]
                out[row, : len(sequence)] = sequence
            return Tensor._wrap(out)
        size = self.max_tokens if self.pad_to_max_tokens and self.max_tokens else len(self._vocabulary)
        # Keras returns int64 counts and multi-hot vectors, float32 tf-idf weights.
        out = numpy.zeros((len(ids), size), dtype="float32" if self.output_mode == "tf_idf" else "int64")
        for row, sequence in enumerate(ids):
            numpy.add.at(out[row], sequence, 1)
        if self.output_mode == "multi_hot":
            numpy.minimum(out, 1, out=out)
        elif self.output_mode == "tf_idf":
            idf = self._idf
            out[:, : len(idf)] *= idf
        return Tensor._wrap(out)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return (input_shape[0], self.output_sequence_length)
        size = (
            self.max_tokens
            if self.pad_to_max_tokens and self.max_tokens
            else (len(self._vocabulary) if self._vocabulary is not None else None)
        )
        return (input_shape[0], size)

    def _output_dtype(self, inputs):
        return "float32" if self.output_mode == "tf_idf" else "int64"

    def get_config(self):
        config = super().get_config()
        if callable(self.standardize) or callable(self.split):
            raise NotImplementedError(
                f"TextVectorization '{self.name}': a custom standardize or split function cannot be saved"
            )
        config.update(
            max_tokens=self.max_tokens,
            standardize=self.standardize,
            split=self.split,
            ngrams=list(self.ngrams) if self.ngrams else None,
            output_mode=self.output_mode,
            output_sequence_length=self.output_sequence_length,
            pad_to_max_tokens=self.pad_to_max_tokens,
            ragged=self.ragged,
            vocabulary=self.get_vocabulary() if self._vocabulary is not None else None,
            # As many weights as tokens (Keras pads them to max_tokens again when it reads them).
            idf_weights=(
                self._idf[: len(self._vocabulary)].tolist() if self._idf is not None and not self._idf_pending else None
            ),
        )
        return config

    def _padded_idf(self, idf):
        """With ``pad_to_max_tokens``, zeros after the tokens' weights up to ``max_tokens`` (as Keras keeps them)."""
        idf = numpy.asarray(idf, dtype="float32")
        if self.pad_to_max_tokens and self.max_tokens and len(idf) < self.max_tokens:
            idf = numpy.concatenate([idf, numpy.zeros(self.max_tokens - len(idf), dtype="float32")])
        return idf

    def _idf_sizes(self):
        # Keras pads the weights of pad_to_max_tokens with zeros up to max_tokens; learnet need not.
        sizes = {len(self._vocabulary)}
        if self.pad_to_max_tokens and self.max_tokens:
            sizes.add(self.max_tokens)
        return sizes

    @classmethod
    def from_config(cls, config):
        config, vocabulary = cls._from_keras_config(config)
        layer = super().from_config(config)
        if vocabulary is not None:
            layer._await_idf_weights(vocabulary)
        return layer
