"""Layers that turn categories into numbers (Keras' preprocessing layers).

* ``StringLookup`` and ``IntegerLookup``: each token becomes its index in a
  vocabulary (learned by ``adapt``, most frequent first), or a one-hot / multi-hot /
  count / tf-idf vector; ``invert=True`` maps indices back to tokens.
* ``CategoryEncoding``: integer ids in ``[0, num_tokens)`` become one-hot, multi-hot
  or count vectors.
* ``Discretization``: numbers become the index of the bin they fall in (boundaries
  given, or learned as quantiles by ``adapt``).

Index layout of a lookup layer, as in Keras: ``[mask token] [OOV indices] tokens...``
(the mask slot only in ``output_mode="int"`` when ``mask_token`` is set).

Examples
--------
>>> from learnet.layers.lookup import StringLookup
>>> lookup = StringLookup()
>>> lookup.adapt([["a", "c", "d"], ["d", "z", "b"]])
>>> lookup.get_vocabulary()
['[UNK]', 'd', 'z', 'c', 'b', 'a']
>>> lookup([["a", "x"]]).numpy()
array([[5, 0]])
"""

import os
from collections import Counter

import numpy

from learnet import backend
from learnet.layers.base import KerasTensor, Layer, probing
from learnet.layers.farmhash import fingerprint64
from learnet.layers.text import OOV, IdfWeightsState
from learnet.layers.text import adapt_batches as _batches
from learnet.ragged import RaggedTensor
from learnet.tensor import Tensor

_ENCODINGS = ("one_hot", "multi_hot", "count")
_LOOKUP_MODES = ("int",) + _ENCODINGS + ("tf_idf",)
_ALIASES = {"binary": "multi_hot", "tf-idf": "tf_idf"}


# --- helpers shared by the layers ---------------------------------------------------------------


def _numpy(value):
    """A Tensor, array or (nested) list as a NumPy array (string tensors give bytes)."""
    if isinstance(value, Tensor):
        return numpy.asarray(backend.to_numpy(value._value))
    return numpy.asarray(value)


def _as_strings(value, encoding, who):
    """``value`` as a NumPy array of ``str`` (bytes are decoded), any shape."""
    array = _numpy(value) if not isinstance(value, numpy.ndarray) else value
    if array.dtype.kind == "U":
        return array
    if array.dtype.kind == "S":
        return numpy.char.decode(array, encoding)
    if array.size == 0:
        return array.astype(str)
    if array.dtype == object:
        flat = array.reshape(-1).tolist()
        if all(isinstance(item, (str, bytes)) for item in flat):
            text = [item.decode(encoding) if isinstance(item, bytes) else item for item in flat]
            return numpy.array(text, dtype=str).reshape(array.shape)
        bad = next(item for item in flat if not isinstance(item, (str, bytes)))
        raise TypeError(f"{who} expects strings, got {type(bad).__name__} {bad!r}")
    raise TypeError(f"{who} expects strings, got an array of {array.dtype}")


def _as_integers(value, who):
    """``value`` as a NumPy int64 array; floats are accepted when they hold whole numbers."""
    array = _numpy(value)
    if array.size == 0:
        return array.astype(numpy.int64)
    if array.dtype.kind in "iu":
        return array.astype(numpy.int64)
    if array.dtype.kind == "f":
        if not numpy.all(numpy.isfinite(array)) or not numpy.all(array == numpy.floor(array)):
            raise ValueError(f"{who} expects integers, got fractional or infinite values")
        return array.astype(numpy.int64)
    raise TypeError(f"{who} expects integers, got an array of {'text' if array.dtype.kind in 'USO' else array.dtype}")


def _encode(ids, output_mode, depth, count_weights=None, idf_weights=None):
    """One-hot / multi-hot / count / tf-idf vectors of ``depth`` from an int array of ids.

    Ids outside ``[0, depth)`` are left out (a lookup layer marks its mask tokens so).
    As in Keras: ``"one_hot"`` adds an axis (replacing a last axis of size 1);
    the others reduce the sample axis (the last of a rank-1 input, axis 1 otherwise).
    """
    ids = numpy.atleast_1d(ids)
    if output_mode == "one_hot":
        if ids.ndim > 1 and ids.shape[-1] == 1:
            ids = ids[..., 0]
        return (ids[..., None] == numpy.arange(depth)).astype("float32")
    weights = None if count_weights is None else numpy.broadcast_to(count_weights, ids.shape).astype("float32")
    # Move the sample axis last and flatten the rest: rows of ids, one output vector each.
    axis = 0 if ids.ndim == 1 else 1
    rows = numpy.moveaxis(ids, axis, -1)
    outer_shape = rows.shape[:-1]
    rows = rows.reshape(-1, rows.shape[-1])
    if weights is not None:
        weights = numpy.moveaxis(weights, axis, -1).reshape(rows.shape)
    out = numpy.zeros((rows.shape[0], depth), dtype="float32")
    row_index = numpy.broadcast_to(numpy.arange(rows.shape[0])[:, None], rows.shape)
    keep = (rows >= 0) & (rows < depth)
    numpy.add.at(out, (row_index[keep], rows[keep]), 1.0 if weights is None else weights[keep])
    if output_mode == "multi_hot":
        out = (out > 0).astype("float32")
    elif output_mode == "tf_idf":
        out *= idf_weights
    return out.reshape(outer_shape + (depth,))


def _encode_rows(ids, row_ids, nrows, output_mode, depth, idf_weights=None):
    """Multi-hot / count / tf-idf vectors, one per row of a ragged input: ``ids[k]`` belongs to row ``row_ids[k]``."""
    out = numpy.zeros((nrows, depth), dtype="float32")
    keep = (ids >= 0) & (ids < depth)
    numpy.add.at(out, (row_ids[keep], ids[keep]), 1.0)
    if output_mode == "multi_hot":
        return (out > 0).astype("float32")
    if output_mode == "tf_idf":
        return out * idf_weights
    return out


def _encoded_shape(input_shape, output_mode, depth):
    """The output shape of ``_encode`` for an input of ``input_shape`` (Keras' formulas)."""
    input_shape = tuple(input_shape)
    if output_mode == "int":
        return input_shape
    if len(input_shape) == 0:
        return (depth,)
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return input_shape[:-1] + (depth,)
        return input_shape + (depth,)
    if len(input_shape) == 1:
        return (depth,)
    return (input_shape[0],) + input_shape[2:] + (depth,)


def _fingerprint_buckets(tokens, num_buckets, who):
    """TensorFlow's ``to_hash_bucket_fast``: FarmHash Fingerprint64 of each string, modulo ``num_buckets``."""
    unique, inverse = numpy.unique(tokens, return_inverse=True)
    buckets = numpy.array([fingerprint64(token) % num_buckets for token in unique.tolist()], dtype=numpy.int64)
    return buckets[inverse].reshape(tokens.shape)


def _check_mode(output_mode, allowed, who):
    output_mode = _ALIASES.get(output_mode, output_mode)
    if output_mode not in allowed:
        raise ValueError(f"{who}: output_mode must be one of {allowed}, got {output_mode!r}")
    return output_mode


def _refuse_sparse(sparse, who):
    if sparse:
        raise ValueError(f"{who}: sparse=True is not supported; learnet's outputs are dense arrays")


def _layer_kwargs(kwargs):
    """Keras' lookup configs carry a dtype naming the vocabulary ("string", "int64"):
    the learnet layer itself keeps its float dtype."""
    dtype = kwargs.pop("dtype", None)
    if isinstance(dtype, dict):
        dtype = dtype.get("config", {}).get("name")
    if dtype in ("string", "int64", "int32", "object"):
        dtype = None
    if dtype is not None:
        kwargs["dtype"] = dtype
    return kwargs


# --- StringLookup and IntegerLookup --------------------------------------------------------------


class _IndexLookup(IdfWeightsState, Layer):
    """What ``StringLookup`` and ``IntegerLookup`` share: the vocabulary, adapt, lookup and encodings.

    With ``output_mode="tf_idf"`` the weights are ``layer.idf_weights``, a non-trainable
    Variable kept out of ``layer.weights`` and saved as ``vars/idf_weights``, as in Keras.
    """

    _token_kind = "token"

    def __init__(
        self,
        max_tokens,
        num_oov_indices,
        mask_token,
        oov_token,
        vocabulary,
        idf_weights,
        invert,
        output_mode,
        pad_to_max_tokens,
        sparse,
        oov_method,
        salt,
        **kwargs,
    ):
        kwargs.pop("vocabulary_size", None)  # Keras' config records it; the vocabulary says it here
        kwargs.pop("has_input_vocabulary", None)
        super().__init__(**_layer_kwargs(kwargs))
        who = self._who
        output_mode = _check_mode(output_mode, _LOOKUP_MODES, who)
        if max_tokens is not None and (not isinstance(max_tokens, (int, numpy.integer)) or max_tokens <= 1):
            raise ValueError(f"{who}: max_tokens must be an integer greater than 1, got {max_tokens!r}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{who}: pad_to_max_tokens=True needs max_tokens")
        if not isinstance(num_oov_indices, (int, numpy.integer)) or num_oov_indices < 0:
            raise ValueError(f"{who}: num_oov_indices must be an integer >= 0, got {num_oov_indices!r}")
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(f"{who}: oov_method must be 'floormod' or 'farmhash', got {oov_method!r}")
        if salt is not None:
            raise NotImplementedError(
                f"{who}: salt (Keras' keyed SipHash of OOV tokens) is not supported; leave salt=None"
            )
        if invert and output_mode != "int":
            raise ValueError(f"{who}: invert=True needs output_mode='int', got {output_mode!r}")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"{who}: idf_weights only apply to output_mode='tf_idf', got {output_mode!r}")
        if output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise ValueError(f"{who}: output_mode='tf_idf' with a given vocabulary needs idf_weights")
        _refuse_sparse(sparse, who)
        self.max_tokens = None if max_tokens is None else int(max_tokens)
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.invert = bool(invert)
        self.output_mode = output_mode
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.sparse = False
        self.oov_method = oov_method
        self.salt = salt
        self._tokens = None  # the learned or given tokens, without the special ones
        self._idf = None  # tf-idf weights, one per output index
        self._config_vocabulary = None  # what get_config reports (Keras: the list given)
        self._config_idf = None
        self._has_input_vocabulary = vocabulary is not None
        self.built = True
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    @property
    def _who(self):
        return f"{type(self).__name__} '{self.name}'"

    # --- subclasses say what a token is -------------------------------------------------------------
    def _tokens_of(self, values):
        """``values`` as an array of tokens (str or int64)."""
        raise NotImplementedError

    def _read_vocabulary_file(self, path):
        raise NotImplementedError

    def _hash_oov(self, keys):
        """The OOV bucket (0 .. num_oov_indices - 1) of each unknown key."""
        raise NotImplementedError

    def _inverted_output(self, tokens):
        raise NotImplementedError

    # --- index layout --------------------------------------------------------------------------------
    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def _special_tokens(self):
        return [self.mask_token] * self._oov_start_index() + [self.oov_token] * self.num_oov_indices

    def _depth(self):
        return self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()

    # --- the vocabulary ---------------------------------------------------------------------------------
    def get_vocabulary(self, include_special_tokens=True):
        """The tokens by index: mask token (``"int"`` mode), OOV token(s), then the vocabulary."""
        tokens = [] if self._tokens is None else self._tokens.tolist()
        return self._special_tokens() + tokens if include_special_tokens else tokens

    def vocabulary_size(self):
        """The number of indices the layer uses, special tokens included."""
        return self._token_start_index() + (0 if self._tokens is None else len(self._tokens))

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Use ``vocabulary`` (a list, a 1-D array, or the path of a text file of one token
        a line) instead of adapting. It may start with the special tokens, in their order.

        With ``output_mode="tf_idf"``, ``idf_weights`` gives one weight per token (the
        special tokens get the mean unless the vocabulary lists them)."""
        who = self._who
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(f"{who}: output_mode='tf_idf' needs idf_weights with the vocabulary")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(f"{who}: idf_weights only apply to output_mode='tf_idf', got {self.output_mode!r}")
        config_vocabulary = vocabulary
        if isinstance(vocabulary, (str, os.PathLike)):
            if self.output_mode == "tf_idf":
                raise ValueError(f"{who}: output_mode='tf_idf' cannot read its vocabulary from a file")
            if not os.path.isfile(vocabulary):
                raise ValueError(f"{who}: the vocabulary file {os.fspath(vocabulary)!r} does not exist")
            vocabulary = self._read_vocabulary_file(vocabulary)
            config_vocabulary = list(vocabulary)
        vocabulary = self._tokens_of(_numpy(vocabulary).reshape(-1) if len(vocabulary) else numpy.array([]))
        if vocabulary.size == 0:
            raise ValueError(f"{who}: cannot set an empty vocabulary")
        specials = self._special_tokens()
        start = len(specials)
        has_specials = vocabulary[:start].tolist() == specials
        tokens = vocabulary[start:] if has_specials else vocabulary
        counts = Counter(tokens.tolist())
        repeated = [token for token, count in counts.items() if count > 1]
        if repeated:
            raise ValueError(f"{who}: the vocabulary repeats {repeated}; every token must appear once")
        for special, what in ((self.mask_token, "mask_token"), (self.oov_token if self.invert else None, "oov_token")):
            if special is not None and special in counts:
                raise ValueError(
                    f"{who}: the vocabulary holds the {what} {special!r} among its tokens; leave the special "
                    f"tokens out, or put them first in this order: {specials}"
                )
        size = start + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(f"{who}: a vocabulary of {size} indices is larger than max_tokens={self.max_tokens}")
        idf = None
        if idf_weights is not None:
            idf = numpy.asarray(_numpy(idf_weights), dtype=numpy.float64)
            if idf.ndim != 1 or len(idf) != len(vocabulary):
                raise ValueError(f"{who}: {idf.size} idf_weights for a vocabulary of {len(vocabulary)} tokens")
            front = [] if has_specials else [idf.mean()] * start
            back = [0.0] * (self.max_tokens - size) if self.pad_to_max_tokens else []
            idf = numpy.concatenate([front, idf, back]).astype("float32")
        self._tokens = tokens
        self._idf = idf
        self._config_vocabulary = config_vocabulary
        self._config_idf = idf_weights

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary from ``data`` (an array, a list, or a dataset of batches).

        Tokens are ranked by count, ties broken as Keras does (the larger token first);
        ``max_tokens`` keeps the most frequent. With ``output_mode="tf_idf"`` each row
        is a document, and ``idf = log(1 + documents / (1 + documents with the token))``.
        """
        who = self._who
        if self._has_input_vocabulary:
            raise ValueError(f"{who}: cannot adapt a layer created with a vocabulary")
        counts, documents, num_documents = Counter(), Counter(), 0
        for batch in _batches(data, steps, who):
            if isinstance(batch, RaggedTensor):  # rows of different lengths: each row a document
                keys = self._tokens_of(batch.flat_values)
                counts.update(dict(zip(*numpy.unique(keys, return_counts=True))))
                if self.output_mode == "tf_idf":
                    splits = batch.row_splits.numpy()
                    for start, stop in zip(splits[:-1], splits[1:]):
                        documents.update(numpy.unique(keys[start:stop]).tolist())
                    num_documents += len(splits) - 1
                continue
            keys = self._tokens_of(batch)
            if keys.ndim == 0:
                keys = keys.reshape(1, 1)
            elif keys.ndim == 1:
                # An array or list given whole is a column of samples; a batch from a
                # dataset of rank-1 batches is one document (as in Keras).
                keys = keys[:, None] if batch is data else keys[None, :]
            counts.update(dict(zip(*numpy.unique(keys, return_counts=True))))
            if self.output_mode == "tf_idf":
                rows = keys.reshape(keys.shape[0], -1)
                for row in rows:
                    documents.update(numpy.unique(row).tolist())
                num_documents += rows.shape[0]
        counts = {token.item() if hasattr(token, "item") else token: int(c) for token, c in counts.items()}
        for special in (self.mask_token, self.oov_token):
            counts.pop(special, None)
        if not counts:
            raise ValueError(f"{who}: adapt got no tokens to learn a vocabulary from")
        tokens = self._tokens_of(numpy.array(list(counts)))
        frequency = numpy.array(list(counts.values()))
        order = numpy.lexsort((tokens, frequency))[::-1]  # by count, then by token, both descending
        if self.max_tokens is not None:
            order = order[: self.max_tokens - self._token_start_index()]
        self._tokens = tokens[order]
        self._config_vocabulary = self.get_vocabulary()
        self._idf = self._config_idf = None
        if self.output_mode == "tf_idf":
            document_counts = numpy.array([documents[t] for t in self._tokens.tolist()], dtype=numpy.float64)
            idf = numpy.log(1 + num_documents / (1 + document_counts)).astype("float32")
            mean = idf.mean() if idf.size else 0.0
            back = [0.0] * (self.max_tokens - self.vocabulary_size()) if self.pad_to_max_tokens else []
            self._idf = numpy.concatenate([[mean] * self._token_start_index(), idf, back]).astype("float32")
            self._config_idf = self._idf[: self.vocabulary_size()].tolist()

    # --- calling ------------------------------------------------------------------------------------------
    def __call__(self, inputs, *args, **kwargs):
        # Tokens (strings above all) must not become float tensors: the work is done here.
        if isinstance(inputs, KerasTensor):
            return super().__call__(inputs, *args, **kwargs)
        kwargs.pop("training", None)
        return self.call(inputs)

    def call(self, inputs):
        who = self._who
        if self._tokens is None:
            raise RuntimeError(f"{who} has no vocabulary: call adapt(data) or pass vocabulary= first")
        self._check_idf_loaded()
        if isinstance(inputs, RaggedTensor):
            return self._call_ragged(inputs)
        if self.invert:
            return self._inverted_output(self._invert(_as_integers(inputs, who)))
        keys = self._tokens_of(inputs)
        ids = self._lookup(keys)
        if self.output_mode == "int":
            return Tensor._wrap(ids)
        # float32 vectors: the dtype of Keras' output spec (eager TensorFlow gives int64 ones).
        return Tensor._wrap(_encode(ids, self.output_mode, self._depth(), idf_weights=self._idf))

    def _call_ragged(self, inputs):
        """A RaggedTensor of tokens (one row per sample), as Keras takes it: ``"int"`` and
        ``invert`` keep the rows (a RaggedTensor), ``"one_hot"`` gives a RaggedTensor of
        vectors, and the other modes one dense vector per row."""
        splits = inputs.row_splits
        if self.invert:
            tokens = self._inverted_output(self._invert(_as_integers(inputs.flat_values, self._who)))
            return RaggedTensor.from_row_splits(tokens, splits)
        ids = self._lookup(self._tokens_of(inputs.flat_values))
        if self.output_mode == "int":
            return RaggedTensor.from_row_splits(Tensor._wrap(ids), splits)
        if self.output_mode == "one_hot":
            vectors = (ids[:, None] == numpy.arange(self._depth())).astype("float32")
            return RaggedTensor.from_row_splits(Tensor._wrap(vectors), splits)
        row_ids = inputs.value_rowids().numpy()
        return Tensor._wrap(
            _encode_rows(ids, row_ids, inputs.nrows_int(), self.output_mode, self._depth(), idf_weights=self._idf)
        )

    def _lookup(self, keys):
        """The index of each key: vocabulary, OOV bucket or mask (vectorised: a search in the sorted tokens)."""
        order = numpy.argsort(self._tokens, kind="stable")
        sorted_tokens = self._tokens[order]
        position = numpy.searchsorted(sorted_tokens, keys)
        position = numpy.minimum(position, len(sorted_tokens) - 1)
        found = sorted_tokens[position] == keys
        ids = numpy.where(found, order[position] + self._token_start_index(), -1).astype(numpy.int64)
        masked = keys == self.mask_token if self.mask_token is not None else numpy.zeros(keys.shape, bool)
        unknown = ~found & ~masked
        if unknown.any():
            if self.num_oov_indices == 0 and probing():  # stand-ins for a shape: any index will do
                ids[unknown] = self._token_start_index()
            elif self.num_oov_indices == 0:
                examples = numpy.unique(keys[unknown])[:5].tolist()
                raise ValueError(
                    f"{self._who}: with num_oov_indices=0 every input must be in the vocabulary; "
                    f"found {examples}; set num_oov_indices=1 to map unknown values to an OOV index"
                )
            elif self.num_oov_indices == 1:
                ids[unknown] = self._oov_start_index()
            else:
                ids[unknown] = self._oov_start_index() + self._hash_oov(keys[unknown])
        # A mask token is index 0 in "int" mode and counts nowhere in the vector modes.
        ids[masked] = 0 if self.output_mode == "int" else -1
        return ids

    def _invert(self, ids):
        table = numpy.array(self.get_vocabulary())  # strings: wide enough for the special tokens too
        inside = (ids >= 0) & (ids < len(table))
        return numpy.where(inside, table[numpy.clip(ids, 0, len(table) - 1)], numpy.array(self.oov_token))

    # --- in a functional model ----------------------------------------------------------------------------
    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        if self._tokens is None and not self.pad_to_max_tokens:
            raise RuntimeError(
                f"{self._who}: with output_mode={self.output_mode!r} (and pad_to_max_tokens=False) the output "
                "size is the vocabulary's: call adapt(data) or pass vocabulary= before using the layer in a model"
            )
        return _encoded_shape(input_shape, self.output_mode, self._depth())

    def _output_dtype(self, inputs):
        if self.invert:
            return self._inverted_dtype
        return "int64" if self.output_mode == "int" else "float32"

    def get_config(self):
        config = super().get_config()
        config.update(
            invert=self.invert,
            max_tokens=self.max_tokens,
            num_oov_indices=self.num_oov_indices,
            oov_token=self.oov_token,
            mask_token=self.mask_token,
            output_mode=self.output_mode,
            sparse=self.sparse,
            pad_to_max_tokens=self.pad_to_max_tokens,
            idf_weights=_listed(self._config_idf),
            vocabulary=_listed(self._config_vocabulary),
            vocabulary_size=self.vocabulary_size() if self._tokens is not None else None,
            oov_method=self.oov_method,
            salt=self.salt,
        )
        return config

    def _idf_loaded(self):
        # An adapted layer read from a Keras file: its config now names its weights, as after adapt.
        if self._config_idf is None and self._tokens is not None:
            self._config_idf = self._idf[: self.vocabulary_size()].tolist()

    @classmethod
    def from_config(cls, config):
        config, vocabulary = cls._from_keras_config(config)
        layer = super().from_config(config)
        if vocabulary is not None:
            layer._await_idf_weights(vocabulary)
        return layer


def _listed(value):
    if value is None:
        return None
    if isinstance(value, Tensor):
        value = _numpy(value)
    return numpy.asarray(value).tolist() if isinstance(value, numpy.ndarray) else list(value)


class StringLookup(_IndexLookup):
    """Map strings to integer indices in a vocabulary (``keras.layers.StringLookup``).

    Parameters
    ----------
    max_tokens : int, optional
        Largest vocabulary size, the mask and OOV indices included.
    num_oov_indices : int, default 1
        Indices for out-of-vocabulary strings (several: spread by FarmHash, as in
        Keras; 0: unknown strings are an error).
    mask_token : str, optional
        A token meaning "padding": index 0 in ``"int"`` mode, left out of the vectors.
    oov_token : str, default ``"[UNK]"``
        What ``invert=True`` returns for OOV indices.
    vocabulary : list of str or path of a text file (one token a line), optional
    idf_weights : list of float, optional
        With ``output_mode="tf_idf"`` and ``vocabulary``.
    invert : bool, default False
        Map indices back to strings.
    output_mode : ``"int"`` (default), ``"one_hot"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"``
    pad_to_max_tokens : bool, default False
        Vector modes: vectors ``max_tokens`` long even when the vocabulary is smaller.
    sparse : False
        Sparse outputs are not supported.
    encoding : str, default ``"utf-8"``
        How bytes inputs are decoded.

    Examples
    --------
    >>> from learnet.layers.lookup import StringLookup
    >>> lookup = StringLookup(vocabulary=["a", "b", "c", "d"])
    >>> lookup([["a", "c", "d"], ["d", "z", "b"]]).numpy()
    array([[1, 3, 4],
           [4, 0, 2]])
    >>> StringLookup(vocabulary=["a", "b"], output_mode="one_hot")(["b", "z"]).numpy()
    array([[0., 0., 1.],
           [1., 0., 0.]], dtype=float32)
    """

    _inverted_dtype = "object"  # a string tensor

    _takes_text = True  # a Sequential built from data it sees starts with a text input

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token=OOV,
        vocabulary=None,
        idf_weights=None,
        invert=False,
        output_mode="int",
        pad_to_max_tokens=False,
        sparse=False,
        encoding="utf-8",
        name=None,
        salt=None,
        oov_method="floormod",
        **kwargs,
    ):
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            pad_to_max_tokens=pad_to_max_tokens,
            sparse=sparse,
            oov_method=oov_method,
            salt=salt,
            name=name,
            **kwargs,
        )

    def _tokens_of(self, values):
        return _as_strings(values, self.encoding, self._who)

    def _read_vocabulary_file(self, path):
        with open(path, encoding=self.encoding) as file:
            lines = file.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        return lines

    def _hash_oov(self, keys):
        return _fingerprint_buckets(keys, self.num_oov_indices, self._who)

    def _inverted_output(self, tokens):
        return Tensor(tokens)  # a string tensor (bytes), as Keras returns

    def get_config(self):
        config = super().get_config()
        config["encoding"] = self.encoding
        return config


class IntegerLookup(_IndexLookup):
    """Map integers (ids, codes, years...) to contiguous indices (``keras.layers.IntegerLookup``).

    Parameters
    ----------
    max_tokens : int, optional
        Largest vocabulary size, the mask and OOV indices included.
    num_oov_indices : int, default 1
        Indices for out-of-vocabulary values (several: ``value mod num_oov_indices``
        with ``oov_method="floormod"``; 0: unknown values are an error).
    mask_token : int, optional
        A value meaning "padding": index 0 in ``"int"`` mode, left out of the vectors.
    oov_token : int, default -1
        What ``invert=True`` returns for OOV indices.
    vocabulary : list of int or path of a text file (one value a line), optional
    vocabulary_dtype : ``"int64"``
    idf_weights, invert, output_mode, sparse, pad_to_max_tokens :
        As in ``StringLookup``.
    oov_method : ``"floormod"`` (default) or ``"farmhash"``

    Examples
    --------
    >>> from learnet.layers.lookup import IntegerLookup
    >>> lookup = IntegerLookup()
    >>> lookup.adapt([[12, 1138, 42], [42, 1000, 36]])
    >>> lookup.get_vocabulary()
    [-1, 42, 1138, 1000, 36, 12]
    >>> lookup([[12, 7]]).numpy()
    array([[5, 0]])
    """

    _inverted_dtype = "int64"

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token=-1,
        vocabulary=None,
        vocabulary_dtype="int64",
        idf_weights=None,
        invert=False,
        output_mode="int",
        sparse=False,
        pad_to_max_tokens=False,
        oov_method="floormod",
        salt=None,
        name=None,
        **kwargs,
    ):
        if vocabulary_dtype != "int64":
            raise ValueError(f"IntegerLookup: only vocabulary_dtype='int64' is supported, got {vocabulary_dtype!r}")
        self.vocabulary_dtype = vocabulary_dtype
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=None if mask_token is None else int(mask_token),
            oov_token=None if oov_token is None else int(oov_token),
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            pad_to_max_tokens=pad_to_max_tokens,
            sparse=sparse,
            oov_method=oov_method,
            salt=salt,
            name=name,
            **kwargs,
        )

    def _tokens_of(self, values):
        return _as_integers(values, self._who)

    def _read_vocabulary_file(self, path):
        with open(path, encoding="utf-8") as file:
            return [int(line) for line in file.read().splitlines() if line.strip()]

    def _hash_oov(self, keys):
        if self.oov_method == "farmhash":
            return _fingerprint_buckets(keys.astype(str), self.num_oov_indices, self._who)
        return numpy.mod(keys, self.num_oov_indices)  # floor modulo, as tf.math.floormod

    def _inverted_output(self, tokens):
        return Tensor._wrap(tokens.astype(numpy.int64))

    def get_config(self):
        config = super().get_config()
        config["vocabulary_dtype"] = self.vocabulary_dtype
        return config


# --- CategoryEncoding -----------------------------------------------------------------------------


class CategoryEncoding(Layer):
    """Encode integer ids in ``[0, num_tokens)`` as one-hot, multi-hot or count vectors
    (``keras.layers.CategoryEncoding``).

    Parameters
    ----------
    num_tokens : int
        The number of categories (the length of each output vector).
    output_mode : ``"multi_hot"`` (default), ``"one_hot"`` or ``"count"``
        ``"one_hot"``: one vector per id (a last axis of size 1 is replaced).
        ``"multi_hot"`` / ``"count"``: one vector per sample (row), marking or counting its ids.
    sparse : False
        Sparse outputs are not supported.

    Call arguments: ``inputs`` (ids, rank 1 or 2) and, in ``"count"`` mode, optional
    ``count_weights`` of the same shape (summed instead of 1 per id).

    Examples
    --------
    >>> from learnet.layers.lookup import CategoryEncoding
    >>> CategoryEncoding(num_tokens=4, output_mode="one_hot")([3, 2, 0]).numpy()
    array([[0., 0., 0., 1.],
           [0., 0., 1., 0.],
           [1., 0., 0., 0.]], dtype=float32)
    >>> CategoryEncoding(num_tokens=4)([[0, 1], [1, 1]]).numpy()
    array([[1., 1., 0., 0.],
           [0., 1., 0., 0.]], dtype=float32)
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        who = f"CategoryEncoding '{self.name}'"
        self.output_mode = _check_mode(output_mode, _ENCODINGS, who)
        if num_tokens is None:
            raise ValueError(
                f"{who}: num_tokens must be set; when the number of categories is not known, use IntegerLookup"
            )
        if not isinstance(num_tokens, (int, numpy.integer)) or num_tokens < 1:
            raise ValueError(f"{who}: num_tokens must be an integer >= 1, got {num_tokens!r}")
        _refuse_sparse(sparse, who)
        self.num_tokens = int(num_tokens)
        self.sparse = False
        self.built = True

    def call(self, inputs, count_weights=None):
        who = f"CategoryEncoding '{self.name}'"
        ids = _as_integers(inputs, who)
        if ids.size and (ids.min() < 0 or ids.max() >= self.num_tokens):
            raise ValueError(
                f"{who} expects values in [0, {self.num_tokens}) (num_tokens={self.num_tokens}), got values "
                f"from {int(ids.min())} to {int(ids.max())}"
            )
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(f"{who}: count_weights only apply to output_mode='count', got {self.output_mode!r}")
            count_weights = _numpy(count_weights).astype("float32")
            if count_weights.shape != ids.shape:
                raise ValueError(
                    f"{who}: count_weights must have the shape of the inputs {ids.shape}, got {count_weights.shape}"
                )
        return Tensor._wrap(_encode(ids, self.output_mode, self.num_tokens, count_weights=count_weights))

    def compute_output_shape(self, input_shape):
        return _encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self):
        config = super().get_config()
        config.update(num_tokens=self.num_tokens, output_mode=self.output_mode, sparse=self.sparse)
        return config


# --- Discretization -------------------------------------------------------------------------------


def _summarize(values, epsilon):
    """A summary of a batch for quantiles: about ``1 / epsilon`` of its sorted values
    (every ``step``-th), each standing for ``step`` values (Keras' algorithm)."""
    values = numpy.sort(values.reshape(-1))
    step = max(values.size / (1.0 / epsilon), 1)  # values per kept point (Keras' float arithmetic)
    kept = values[int(step - 1) :: int(step)]
    return numpy.stack([kept, numpy.ones_like(kept) * step])


def _compress(summary, epsilon):
    """Shrink a summary to about ``1 / epsilon`` points, at evenly spaced cumulative weights."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + numpy.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    points = numpy.interp(fractions, cumulative / cumulative[-1], summary[0])
    weights = numpy.interp(fractions, cumulative / cumulative[-1], cumulative)
    weights = weights - numpy.concatenate(([0], weights[:-1]))
    return numpy.stack((points, weights)).astype("float32")


def _merge(new, previous, epsilon):
    merged = numpy.concatenate((new, previous), axis=1)
    merged = merged[:, numpy.argsort(merged[0])]
    return _compress(merged, epsilon)


class Discretization(Layer):
    """Put numbers into bins: output the index of the bin each value falls in
    (``keras.layers.Discretization``).

    ``bin_boundaries=[0., 1., 2.]`` makes the bins ``(-inf, 0)``, ``[0, 1)``, ``[1, 2)``
    and ``[2, inf)``: indices 0 to 3.

    Parameters
    ----------
    bin_boundaries : list of float, optional
        The boundaries (sorted). Give these, or ``num_bins`` and call ``adapt``.
    num_bins : int, optional
        The number of bins ``adapt`` makes, at the quantiles of the data.
    epsilon : float, default 0.01
        The quantile approximation's tolerance (Keras' summary algorithm, followed exactly).
    output_mode : ``"int"`` (default), ``"one_hot"``, ``"multi_hot"`` or ``"count"``
        ``"int"`` gives int32 indices (as Keras); the others float32 vectors of ``num_bins``.
    sparse : False
        Sparse outputs are not supported.

    Examples
    --------
    >>> import numpy as np
    >>> from learnet.layers.lookup import Discretization
    >>> x = np.array([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]])
    >>> Discretization(bin_boundaries=[0.0, 1.0, 2.0])(x).numpy()
    array([[0, 2, 3, 1],
           [1, 3, 2, 1]], dtype=int32)
    >>> layer = Discretization(num_bins=4, epsilon=0.01)
    >>> layer.adapt(x)
    >>> layer(x).numpy()
    array([[0, 2, 3, 2],
           [1, 3, 3, 1]], dtype=int32)
    """

    def __init__(
        self,
        bin_boundaries=None,
        num_bins=None,
        epsilon=0.01,
        output_mode="int",
        sparse=False,
        dtype=None,
        name=None,
        **kwargs,
    ):
        super().__init__(name=name, dtype=dtype, **kwargs)
        who = f"Discretization '{self.name}'"
        self.output_mode = _check_mode(output_mode, ("int",) + _ENCODINGS, who)
        _refuse_sparse(sparse, who)
        if num_bins is not None and (not isinstance(num_bins, (int, numpy.integer)) or num_bins < 0):
            raise ValueError(f"{who}: num_bins must be an integer >= 0, got {num_bins!r}")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(f"{who}: give bin_boundaries or num_bins, not both")
        if num_bins is None and bin_boundaries is None:
            raise ValueError(f"{who}: give bin_boundaries, or num_bins and call adapt(data)")
        if bin_boundaries is not None:
            bin_boundaries = [float(b) for b in _numpy(bin_boundaries).reshape(-1)]
            if any(b > a for a, b in zip(bin_boundaries[1:], bin_boundaries)):
                raise ValueError(f"{who}: bin_boundaries must be sorted, got {bin_boundaries}")
        self.bin_boundaries = bin_boundaries
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.sparse = False
        self.built = True

    def adapt(self, data, batch_size=None, steps=None):
        """Learn ``num_bins - 1`` boundaries at the quantiles of ``data`` (array, list or dataset)."""
        who = f"Discretization '{self.name}'"
        if self.num_bins is None:
            raise ValueError(f"{who}: created with bin_boundaries, it cannot adapt; create it with num_bins instead")
        summary = numpy.array([[], []], dtype="float32")
        # As in Keras, a list is a list of batches (an array is one batch).
        batches = (
            iter(data[:steps] if steps is not None else data) if isinstance(data, list) else _batches(data, steps, who)
        )
        for batch in batches:
            values = _numpy(batch).astype("float32")
            if values.size:
                summary = _merge(_summarize(values, self.epsilon), summary, self.epsilon)
        if summary.shape[1] == 0:
            raise ValueError(f"{who}: adapt got no values to learn bin boundaries from")
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise RuntimeError(
                f"Discretization '{self.name}' has no bin boundaries: pass bin_boundaries= or call adapt(data) first"
            )
        values = _numpy(inputs).astype("float32")
        boundaries = numpy.asarray(self.bin_boundaries, dtype="float32")
        ids = numpy.searchsorted(boundaries, values, side="right")  # [b_i, b_i+1) is bin i + 1
        if self.output_mode == "int":
            return Tensor._wrap(ids.astype(numpy.int32))
        return Tensor._wrap(_encode(ids, self.output_mode, len(boundaries) + 1))

    def _depth(self):
        return len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins

    def compute_output_shape(self, input_shape):
        return _encoded_shape(input_shape, self.output_mode, self._depth())

    def _output_dtype(self, inputs):
        return "int32" if self.output_mode == "int" else "float32"

    def get_config(self):
        config = super().get_config()
        config.update(
            bin_boundaries=self.bin_boundaries,
            num_bins=self.num_bins,
            epsilon=self.epsilon,
            output_mode=self.output_mode,
            sparse=self.sparse,
        )
        config.pop("trainable", None)  # Keras' Discretization takes no trainable argument (nor writes one)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        boundaries = config.get("bin_boundaries")
        if boundaries is not None and config.get("num_bins") is not None:
            # An adapted layer has both: the boundaries are set after creating it, as in Keras.
            config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = [float(b) for b in boundaries]
            return layer
        return cls(**config)
