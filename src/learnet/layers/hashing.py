"""Layers that hash categories into a fixed number of bins (Keras' ``Hashing`` and ``HashedCrossing``).

Hashing needs no vocabulary: a value goes to bin ``hash(value) % num_bins``, so
unseen values get a bin too (and different values may share one). The hash
functions are TensorFlow's, written out in Python, so the bins are Keras' own:

* ``Hashing`` without ``salt``: FarmHash ``Fingerprint64`` of the value's text
  (``tf.strings.to_hash_bucket_fast``); integers are hashed as their decimal
  string (``tf.strings.as_string``), floats first truncated to integers.
* ``Hashing`` with ``salt``: SipHash-2-4 keyed by the two salt words
  (``tf.strings.to_hash_bucket_strong``).
* ``HashedCrossing``: one fingerprint per feature (a string's FarmHash, an
  integer's own value), folded together with ``FingerprintCat64`` from TensorFlow's
  fixed key (``tf.sparse.cross_hashed``).

Examples
--------
>>> from learnet.layers.hashing import Hashing
>>> Hashing(num_bins=3)([["A"], ["B"], ["C"], ["D"], ["E"]]).numpy()
array([[1],
       [0],
       [1],
       [1],
       [2]])
"""

import struct

import numpy

from learnet.layers.base import KerasTensor, Layer
from learnet.layers.farmhash import fingerprint64, fingerprint_cat64
from learnet.layers.lookup import _check_mode, _encode, _encoded_shape, _numpy, _refuse_sparse
from learnet.tensor import Tensor

_MASK = (1 << 64) - 1  # uint64 arithmetic wraps modulo 2**64

# TensorFlow's default key of tf.sparse.cross_hashed: the start of every crossed fingerprint.
CROSS_HASH_KEY = 0xDECAFCAFFE


# --- SipHash-2-4 (tf.strings.to_hash_bucket_strong) ------------------------------------------------

# SipHash's initial state is its key mixed with these words: the ASCII of
# "somepseudorandomlygeneratedbytes", chosen by its authors (Aumasson and Bernstein).
_SIP_INIT = (0x736F6D6570736575, 0x646F72616E646F6D, 0x6C7967656E657261, 0x7465646279746573)


def _rotate_left(value, shift):
    return ((value << shift) | (value >> (64 - shift))) & _MASK


def _sip_round(v0, v1, v2, v3):
    """One SipRound: add, rotate, xor the four state words."""
    v0 = (v0 + v1) & _MASK
    v1 = _rotate_left(v1, 13) ^ v0
    v0 = _rotate_left(v0, 32)
    v2 = (v2 + v3) & _MASK
    v3 = _rotate_left(v3, 16) ^ v2
    v0 = (v0 + v3) & _MASK
    v3 = _rotate_left(v3, 21) ^ v0
    v2 = (v2 + v1) & _MASK
    v1 = _rotate_left(v1, 17) ^ v2
    v2 = _rotate_left(v2, 32)
    return v0, v1, v2, v3


def siphash64(key, data):
    """SipHash-2-4 of ``data`` (bytes, or str as UTF-8) under ``key`` (two uint64 words): an int in ``[0, 2**64)``.

    Two rounds per 8-byte word, four to finish, as highwayhash's ``SipHash`` which
    TensorFlow calls.

    Examples
    --------
    >>> siphash64((133, 137), b"A") % 3  # Keras' Hashing(num_bins=3, salt=[133, 137]) puts "A" in bin 1
    1
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    k0, k1 = (int(k) & _MASK for k in key)
    v0, v1, v2, v3 = _SIP_INIT[0] ^ k0, _SIP_INIT[1] ^ k1, _SIP_INIT[2] ^ k0, _SIP_INIT[3] ^ k1
    length = len(data)
    whole = length - length % 8
    # The last word holds the remaining bytes and, in its top byte, the length mod 256.
    words = list(struct.unpack_from(f"<{whole // 8}Q", data)) if whole else []
    words.append(int.from_bytes(data[whole:], "little") | ((length & 0xFF) << 56))
    for word in words:
        v3 ^= word
        v0, v1, v2, v3 = _sip_round(*_sip_round(v0, v1, v2, v3))
        v0 ^= word
    v2 ^= 0xFF
    for _ in range(4):
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


# --- turning values into the bytes TensorFlow hashes -------------------------------------------


def _as_text_bytes(array, who):
    """Each value as the bytes ``tf.as_string`` gives: strings as UTF-8, integers in decimal,
    floats truncated to integers first, booleans as ``true``/``false``."""
    kind = array.dtype.kind
    if kind == "S":
        return array.astype(object)
    if kind == "U":
        return numpy.char.encode(array, "utf-8").astype(object)
    if kind == "f":
        array = numpy.trunc(array).astype(numpy.int64)  # tf.cast(float, int64) truncates toward zero
        kind = "i"
    if kind in "iu":
        return numpy.vectorize(lambda v: str(v).encode(), otypes=[object])(array) if array.size else array
    if kind == "b":
        return numpy.where(array, b"true", b"false").astype(object)
    if kind == "O":
        flat = array.reshape(-1).tolist()
        if all(isinstance(item, (str, bytes)) for item in flat):
            text = [item.encode("utf-8") if isinstance(item, str) else item for item in flat]
            out = numpy.empty(len(text), dtype=object)
            out[:] = text
            return out.reshape(array.shape)
        bad = next(item for item in flat if not isinstance(item, (str, bytes)))
        raise TypeError(f"{who} expects strings or numbers, got {type(bad).__name__} {bad!r}")
    raise TypeError(f"{who} expects strings or numbers, got an array of {array.dtype}")


def _hash_each(texts, hash_function):
    """``hash_function`` of every bytes value in an object array (each distinct value hashed once)."""
    if texts.size == 0:
        return numpy.zeros(texts.shape, dtype=numpy.uint64)
    unique, inverse = numpy.unique(texts.reshape(-1), return_inverse=True)
    hashes = numpy.array([hash_function(value) for value in unique.tolist()], dtype=numpy.uint64)
    return hashes[inverse].reshape(texts.shape)


class Hashing(Layer):
    """Hash strings or integers into ``num_bins`` bins (``keras.layers.Hashing``).

    Each value becomes ``FarmHash64(text) % num_bins`` (``SipHash64`` keyed by ``salt``
    when a salt is given), exactly as Keras computes it: integers are hashed as their
    decimal text, so ``Hashing`` of ``12`` and of ``"12"`` agree.

    Parameters
    ----------
    num_bins : int
        The number of bins, the ``mask_value`` bin included.
    mask_value : str or int, optional
        Values equal to it go to bin 0; the others to bins ``1 .. num_bins - 1``.
    salt : int or pair of int, optional
        Use SipHash keyed by ``[salt, salt]`` (or the pair) instead of FarmHash.
    output_mode : ``"int"`` (default), ``"one_hot"``, ``"multi_hot"`` or ``"count"``
        ``"int"`` gives int64 bin indices; the others float32 vectors of ``num_bins``
        (``"one_hot"`` replaces a last axis of size 1; ``"multi_hot"``/``"count"``
        make one vector per sample).
    sparse : False
        Sparse outputs are not supported.

    Examples
    --------
    >>> from learnet.layers.hashing import Hashing
    >>> Hashing(num_bins=3, mask_value="")([["A"], ["B"], [""], ["C"], ["D"]]).numpy().ravel()
    array([1, 1, 0, 2, 2])
    >>> Hashing(num_bins=3, salt=[133, 137])(["A", "B", "C", "D", "E"]).numpy()
    array([1, 2, 1, 0, 2])
    >>> Hashing(num_bins=4, output_mode="one_hot")([[7], [12]]).numpy().shape
    (2, 4)
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs):
        if kwargs.get("dtype") in ("int32", "int64"):
            kwargs.pop("dtype")  # Keras' config names the int outputs' dtype; learnet's layer computes in floats
        super().__init__(**kwargs)
        who = self._who
        if isinstance(num_bins, bool) or not isinstance(num_bins, (int, numpy.integer)) or num_bins <= 0:
            raise ValueError(f"{who}: num_bins must be a positive integer, got {num_bins!r}")
        self.output_mode = _check_mode(output_mode, ("int", "one_hot", "multi_hot", "count"), who)
        if sparse and self.output_mode == "int":
            raise ValueError(f"{who}: sparse=True only applies to the one_hot, multi_hot and count output modes")
        _refuse_sparse(sparse, who)
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = [int(s) for s in salt]
            elif isinstance(salt, (int, numpy.integer)) and not isinstance(salt, bool):
                salt = [int(salt), int(salt)]
            else:
                raise ValueError(f"{who}: salt must be an integer or a pair of integers, got {salt!r}")
        self.num_bins = int(num_bins)
        self.mask_value = mask_value
        self.salt = salt
        self.strong_hash = salt is not None
        self.sparse = False
        self.built = True

    @property
    def _who(self):
        return f"Hashing '{self.name}'"

    def __call__(self, inputs, *args, **kwargs):
        # Strings must not become float tensors on the way in: the work is done here.
        if isinstance(inputs, KerasTensor):
            return super().__call__(inputs, *args, **kwargs)
        kwargs.pop("training", None)
        return self.call(inputs)

    def _mask_of(self, values):
        """Where ``values`` equal ``mask_value`` (compared as TensorFlow does, before any conversion)."""
        mask_value = self.mask_value
        if values.dtype.kind in "USO":
            if not isinstance(mask_value, (str, bytes)):
                raise TypeError(f"{self._who}: the inputs are strings but mask_value is {mask_value!r}")
            if isinstance(mask_value, str):
                mask_value = mask_value.encode("utf-8")
            return _as_text_bytes(values, self._who) == mask_value
        if isinstance(mask_value, (str, bytes)):
            raise TypeError(f"{self._who}: the inputs are numbers but mask_value is the string {mask_value!r}")
        return values == mask_value

    def hash_values(self, values):
        """The bin of each value (int64 array of the inputs' shape), before any one-hot encoding."""
        values = _numpy(values)
        hash_bins = self.num_bins
        mask = None
        if self.mask_value is not None and hash_bins > 1:
            hash_bins -= 1  # bin 0 is kept for the mask value
            mask = self._mask_of(values)
        texts = _as_text_bytes(values, self._who)
        if self.strong_hash:
            key = tuple(self.salt)
            hashes = _hash_each(texts, lambda text: siphash64(key, text))
        else:
            hashes = _hash_each(texts, fingerprint64)
        bins = (hashes % numpy.uint64(hash_bins)).astype(numpy.int64)
        if mask is not None:
            bins = numpy.where(mask, 0, bins + 1)
        return bins

    def call(self, inputs):
        values = _numpy(inputs)
        if self.output_mode == "one_hot" and values.ndim and values.shape[-1] == 1:
            values = values[..., 0]  # Keras squeezes the last axis before encoding one-hot
        bins = self.hash_values(values)
        if self.output_mode == "int":
            return Tensor._wrap(bins)
        return Tensor._wrap(_encode(bins, self.output_mode, self.num_bins))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "one_hot" and input_shape and input_shape[-1] == 1:
            input_shape = input_shape[:-1]
        return _encoded_shape(input_shape, self.output_mode, self.num_bins)

    def _output_dtype(self, inputs):
        return "int64" if self.output_mode == "int" else "float32"

    def get_config(self):
        config = super().get_config()
        config.update(
            num_bins=self.num_bins,
            salt=self.salt,
            mask_value=self.mask_value,
            output_mode=self.output_mode,
            sparse=self.sparse,
        )
        if self.output_mode == "int":
            config["dtype"] = "int64"  # as Keras writes it: its layer refuses a float dtype for int outputs
        return config


class HashedCrossing(Layer):
    """Cross categorical features with the hashing trick (``keras.layers.HashedCrossing``):
    ``hash((a, b, ...)) % num_bins`` for each row of the features ``a``, ``b``...

    Every feature is a string or integer column of shape ``()``, ``(batch,)`` or
    ``(batch, 1)``, all of the same shape. The bins are Keras' (``tf.sparse.cross_hashed``).

    Parameters
    ----------
    num_bins : int
        The number of bins.
    output_mode : ``"int"`` (default) or ``"one_hot"``
        ``"int"`` gives int64 bin indices of the features' shape; ``"one_hot"`` float32
        vectors of ``num_bins`` (a last axis of size 1 is replaced).
    sparse : False
        Sparse outputs are not supported.

    Examples
    --------
    >>> import numpy as np
    >>> from learnet.layers.hashing import HashedCrossing
    >>> layer = HashedCrossing(num_bins=5)
    >>> layer((np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102]))).numpy()
    array([1, 4, 1, 1, 3])
    """

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None, **kwargs):
        if dtype in ("int32", "int64"):
            dtype = None  # Keras' config names the int outputs' dtype; learnet's layer computes in floats
        super().__init__(name=name, dtype=dtype, **kwargs)
        who = self._who
        if isinstance(num_bins, bool) or not isinstance(num_bins, (int, numpy.integer)) or num_bins <= 0:
            raise ValueError(f"{who}: num_bins must be a positive integer, got {num_bins!r}")
        self.output_mode = _check_mode(output_mode, ("int", "one_hot"), who)
        _refuse_sparse(sparse, who)
        self.num_bins = int(num_bins)
        self.sparse = False
        self.built = True

    @property
    def _who(self):
        return f"HashedCrossing '{self.name}'"

    def __call__(self, inputs, *args, **kwargs):
        if isinstance(inputs, (list, tuple)) and any(isinstance(x, KerasTensor) for x in inputs):
            return super().__call__(list(inputs), *args, **kwargs)
        kwargs.pop("training", None)
        return self.call(inputs)

    def _check_shapes(self, shapes):
        who = self._who
        first = tuple(shapes[0])
        if len(first) > 2 or (len(first) == 2 and first[-1] != 1):
            raise ValueError(f"{who}: every input must have shape (), (batch,) or (batch, 1), got {first}")
        if any(tuple(shape) != first for shape in shapes[1:]):
            raise ValueError(f"{who}: all inputs must have the same shape, got {[tuple(s) for s in shapes]}")

    def call(self, inputs):
        who = self._who
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{who} must be called on a list or tuple of inputs, got {type(inputs).__name__}")
        if len(inputs) < 2:
            raise ValueError(f"{who} needs at least two inputs to cross, got {len(inputs)}")
        arrays = [_numpy(x) for x in inputs]
        self._check_shapes([a.shape for a in arrays])
        fingerprints = []
        for array in arrays:
            kind = array.dtype.kind
            if kind in "iu":
                # An integer's fingerprint is the integer itself (as uint64: negatives wrap).
                fingerprints.append([int(v) & _MASK for v in array.reshape(-1).tolist()])
            elif kind in "USO":
                texts = _as_text_bytes(array, who).reshape(-1)
                fingerprints.append(_hash_each(texts, fingerprint64).tolist())
            else:
                raise TypeError(f"{who}: every input must hold integers or strings, got an array of {array.dtype}")
        crossed = []
        for row in zip(*fingerprints):
            value = CROSS_HASH_KEY
            for fingerprint in row:
                value = fingerprint_cat64(value, fingerprint)
            crossed.append(value % self.num_bins)
        bins = numpy.array(crossed, dtype=numpy.int64).reshape(arrays[0].shape)
        if self.output_mode == "int":
            return Tensor._wrap(bins)
        return Tensor._wrap(_encode(bins, "one_hot", self.num_bins))

    def compute_output_shape(self, input_shape):
        shapes = [tuple(s) for s in input_shape]
        if len(shapes) < 2:
            raise ValueError(f"{self._who} needs at least two inputs to cross, got {len(shapes)}")
        self._check_shapes(shapes)
        return _encoded_shape(shapes[0], self.output_mode, self.num_bins)

    def _output_dtype(self, inputs):
        return "int64" if self.output_mode == "int" else "float32"

    def get_config(self):
        config = super().get_config()
        config.update(num_bins=self.num_bins, output_mode=self.output_mode, sparse=self.sparse)
        if self.output_mode == "int":
            config["dtype"] = "int64"  # as Keras writes it (the dtype of the int outputs)
        return config
