"""``tf.lookup``: tables that map keys (words, ids) to values, as TensorFlow's.

A table is built once from an initializer, the keys and values side by side
(``KeyValueTensorInitializer``, or a text file with ``TextFileInitializer``), and looks up
tensors of keys element by element, keeping their shape:

* ``StaticHashTable``: a key not in the table gives ``default_value``.
* ``StaticVocabularyTable``: keys to ids; a key not in the vocabulary goes to one of
  ``num_oov_buckets`` extra ids, chosen by hashing it as TensorFlow does (FarmHash's
  Fingerprint64, ``tf.strings.to_hash_bucket_fast``), so the ids equal TensorFlow's.
* ``experimental.MutableHashTable``: a table one can ``insert`` into and ``remove`` from.

Lookups are not differentiable (keys are words or ids). The Keras layers
``StringLookup`` and ``IntegerLookup`` do the same job inside a model.

Examples
--------
>>> import learnet as tf
>>> table = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(["a", "b"], [0, 1]), default_value=-1)
>>> table.lookup(tf.constant(["a", "z", "b"])).numpy()
array([ 0, -1,  1], dtype=int32)
>>> vocabulary = tf.lookup.StaticVocabularyTable(
...     tf.lookup.KeyValueTensorInitializer(["a", "b", "c"], tf.constant([0, 1, 2], "int64")), num_oov_buckets=5)
>>> vocabulary.lookup(tf.constant(["a", "zz", "qq", "b"])).numpy()
array([0, 5, 4, 1])
"""

import enum
import types

import numpy

from learnet.layers.farmhash import fingerprint64
from learnet.layers.keras_tensor import KerasTensor
from learnet.ragged import RaggedTensor
from learnet.tensor import Tensor, _as_dtype, convert_to_tensor

__all__ = [
    "KeyValueTensorInitializer",
    "TextFileInitializer",
    "TextFileIndex",
    "StaticHashTable",
    "StaticVocabularyTable",
    "experimental",
]


def _array(values, dtype=None, what="keys"):
    """``values`` as a NumPy array: text as Python ``str`` objects, numbers in ``dtype`` (else
    TensorFlow's: Python ints are int32, floats float32)."""
    array = values.numpy() if isinstance(values, Tensor) else numpy.asarray(values)
    if dtype is None and not isinstance(values, (Tensor, numpy.ndarray)) and array.dtype.kind in "iuf":
        array = convert_to_tensor(values).numpy()
    if array.dtype.kind in "OSU":
        return numpy.array(
            [v.decode() if isinstance(v, bytes) else str(v) for v in array.ravel()], dtype=object
        ).reshape(array.shape)
    if array.dtype.kind not in "iufb":
        raise TypeError(f"tf.lookup: the {what} must be text or numbers, got dtype {array.dtype}")
    return array.astype(_as_dtype(dtype)) if dtype is not None else array


def _text_dtype(dtype):
    return dtype is None or dtype in ("string", str, object) or getattr(dtype, "kind", None) in ("O", "S", "U")


# --- initializers -------------------------------------------------------------------------------------
class KeyValueTensorInitializer:
    """The keys and values of a table, side by side (``tf.lookup.KeyValueTensorInitializer``).

    Parameters
    ----------
    keys, values : array_like of the same length
        Text or numbers; integer values are ``int32`` unless ``value_dtype`` says otherwise.
    key_dtype, value_dtype : dtype, optional
    """

    def __init__(self, keys, values, key_dtype=None, value_dtype=None, name=None):
        keys = _array(keys, None if _text_dtype(key_dtype) else key_dtype)
        values = _array(values, None if value_dtype is None or _text_dtype(value_dtype) else value_dtype, "values")
        if keys.ndim != 1 or values.ndim != 1 or len(keys) != len(values):
            raise ValueError(
                f"KeyValueTensorInitializer: keys and values must be two 1-D lists of one length, "
                f"got shapes {keys.shape} and {values.shape}"
            )
        if len(set(keys.tolist())) != len(keys):
            raise ValueError("KeyValueTensorInitializer: the keys must be distinct")
        self.keys, self.values = keys, values

    @property
    def key_dtype(self):
        return self.keys.dtype

    @property
    def value_dtype(self):
        return self.values.dtype


class TextFileIndex(enum.IntEnum):
    """What a column number of ``TextFileInitializer`` may also be: the whole line, or its line number."""

    WHOLE_LINE = -2
    LINE_NUMBER = -1


class TextFileInitializer(KeyValueTensorInitializer):
    """Keys and values read from a text file, a line each (``tf.lookup.TextFileInitializer``).

    ``key_index`` and ``value_index`` name a column (split by ``delimiter``), or
    ``TextFileIndex.WHOLE_LINE`` / ``TextFileIndex.LINE_NUMBER``.
    """

    def __init__(
        self,
        filename,
        key_dtype,
        key_index,
        value_dtype,
        value_index,
        vocab_size=None,
        delimiter="\t",
        name=None,
        value_index_offset=0,
    ):
        from learnet import gfile

        with gfile.GFile(filename, "r") as stream:
            lines = stream.read().splitlines()
        if vocab_size is not None:
            if len(lines) < vocab_size:
                raise ValueError(
                    f"TextFileInitializer: {filename} has {len(lines)} lines, fewer than vocab_size={vocab_size}"
                )
            lines = lines[:vocab_size]

        def column(index, dtype, what):
            if index == TextFileIndex.LINE_NUMBER:
                items = [number + value_index_offset for number in range(len(lines))]
            elif index == TextFileIndex.WHOLE_LINE:
                items = list(lines)
            else:
                try:
                    items = [line.split(delimiter)[index] for line in lines]
                except IndexError:
                    raise ValueError(
                        f"TextFileInitializer: a line of {filename} has no column {index} for the {what}"
                    ) from None
            if _text_dtype(dtype):
                return items
            return numpy.asarray(items).astype(_as_dtype(dtype))

        super().__init__(
            column(key_index, key_dtype, "keys"),
            column(value_index, value_dtype, "values"),
            None if _text_dtype(key_dtype) else key_dtype,
            None if _text_dtype(value_dtype) else value_dtype,
        )


# --- tables -------------------------------------------------------------------------------------------
class _Table:
    """What every table does: look up each key of a tensor, keeping its shape."""

    _key_dtype = None
    _value_dtype = None

    @property
    def key_dtype(self):
        return "string" if self._key_dtype.kind == "O" else self._key_dtype

    @property
    def value_dtype(self):
        return "string" if self._value_dtype.kind == "O" else self._value_dtype

    def lookup(self, keys, name=None):
        """The value of each key of ``keys`` (a tensor, array, list, or ``RaggedTensor``), same shape."""
        if isinstance(keys, RaggedTensor):
            return keys.with_flat_values(self.lookup(keys.flat_values))
        if isinstance(keys, KerasTensor):
            # As Keras 3: a TensorFlow function takes no symbolic input; a layer's call runs on tensors.
            raise ValueError(
                f"{type(self).__name__}.lookup: a KerasTensor (a symbolic input of a functional model) has no keys "
                "to look up; call the table inside the call of a custom Layer, which then gives ids of the "
                f"table's dtype ({self.value_dtype})"
            )
        array = _array(keys)
        if (array.dtype.kind == "O") != (self._key_dtype.kind == "O"):
            raise TypeError(f"{type(self).__name__}.lookup: keys of dtype {self.key_dtype} expected, got {array.dtype}")
        flat = array.ravel()
        return Tensor._wrap(self._find(flat).reshape(array.shape))

    __getitem__ = lookup


class StaticHashTable(_Table):
    """A table made once from an initializer; a key not in it gives ``default_value`` (``tf.lookup.StaticHashTable``)."""

    def __init__(self, initializer, default_value, name=None, experimental_is_anonymous=False):
        if not isinstance(initializer, KeyValueTensorInitializer):
            raise TypeError(
                f"StaticHashTable needs a KeyValueTensorInitializer or TextFileInitializer, got {initializer!r}"
            )
        self._keys, self._values = initializer.keys, initializer.values
        self._key_dtype, self._value_dtype = self._keys.dtype, self._values.dtype
        self._index = {key: i for i, key in enumerate(self._keys.tolist())}
        default = _array([default_value], None if self._value_dtype.kind == "O" else self._value_dtype, "default value")
        self.default_value = default[0]

    def _find(self, flat):
        positions = numpy.array([self._index.get(key, -1) for key in flat.tolist()], dtype=numpy.int64)
        out = numpy.full(len(flat), self.default_value, dtype=self._value_dtype)
        found = positions >= 0
        out[found] = self._values[positions[found]]
        return out

    def size(self, name=None):
        """The number of keys."""
        return Tensor._wrap(numpy.asarray(len(self._keys), numpy.int64))

    def export(self, name=None):
        """``(keys, values)``: everything in the table."""
        return Tensor._wrap(self._keys.copy()), Tensor._wrap(self._values.copy())


class StaticVocabularyTable(_Table):
    """Keys to ids, with ``num_oov_buckets`` ids for keys out of the vocabulary (``tf.lookup.StaticVocabularyTable``).

    A key out of the vocabulary goes to ``vocabulary size + bucket``, where the bucket is
    FarmHash's Fingerprint64 of the key (of its decimal text, for integer keys) modulo
    ``num_oov_buckets``, as in TensorFlow.
    """

    def __init__(self, initializer, num_oov_buckets, lookup_key_dtype=None, name=None, experimental_is_anonymous=False):
        if isinstance(num_oov_buckets, bool) or int(num_oov_buckets) != num_oov_buckets or num_oov_buckets < 1:
            raise ValueError(f"StaticVocabularyTable: num_oov_buckets must be an int >= 1, got {num_oov_buckets!r}")
        if initializer is None:
            self._vocabulary = StaticHashTable(KeyValueTensorInitializer([], numpy.zeros(0, numpy.int64)), -1)
            self._vocabulary._key_dtype = _as_dtype(lookup_key_dtype or "int64")
        else:
            if initializer.values.dtype.kind not in "iu":
                raise TypeError("StaticVocabularyTable: the initializer's values must be integer ids")
            self._vocabulary = StaticHashTable(initializer, -1)
        self.num_oov_buckets = int(num_oov_buckets)
        self._key_dtype = self._vocabulary._key_dtype
        self._value_dtype = numpy.dtype(numpy.int64)

    def _find(self, flat):
        ids = self._vocabulary._find(flat).astype(numpy.int64)
        unknown = numpy.flatnonzero(ids < 0)
        size = len(self._vocabulary._keys)
        for i in unknown:
            text = flat[i] if isinstance(flat[i], str) else str(int(flat[i]))
            ids[i] = size + fingerprint64(text.encode()) % self.num_oov_buckets
        return ids

    def size(self, name=None):
        """The number of ids: the vocabulary and the out-of-vocabulary buckets."""
        return Tensor._wrap(numpy.asarray(len(self._vocabulary._keys) + self.num_oov_buckets, numpy.int64))


class MutableHashTable(_Table):
    """A table that grows and shrinks: ``insert``, ``remove``, ``lookup`` (``tf.lookup.experimental.MutableHashTable``)."""

    def __init__(self, key_dtype, value_dtype, default_value, name="MutableHashTable", experimental_is_anonymous=False):
        self._key_dtype = numpy.dtype(object) if _text_dtype(key_dtype) else _as_dtype(key_dtype)
        self._value_dtype = numpy.dtype(object) if _text_dtype(value_dtype) else _as_dtype(value_dtype)
        self.default_value = _array([default_value], None if self._value_dtype.kind == "O" else self._value_dtype)[0]
        self._table = {}

    def _checked_keys(self, keys):
        array = _array(keys, None if self._key_dtype.kind == "O" else self._key_dtype)
        if (array.dtype.kind == "O") != (self._key_dtype.kind == "O"):
            raise TypeError(f"MutableHashTable: keys of dtype {self.key_dtype} expected, got {array.dtype}")
        return array.ravel().tolist()

    def insert(self, keys, values, name=None):
        """Set the value of each key (a new key is added, an old one's value replaced)."""
        keys = self._checked_keys(keys)
        values = _array(values, None if self._value_dtype.kind == "O" else self._value_dtype, "values").ravel()
        if len(keys) != len(values):
            raise ValueError(f"MutableHashTable.insert: {len(keys)} keys but {len(values)} values")
        self._table.update(zip(keys, values.tolist()))

    def remove(self, keys, name=None):
        """Remove the keys (those not in the table are ignored)."""
        for key in self._checked_keys(keys):
            self._table.pop(key, None)

    def _find(self, flat):
        default = self.default_value
        return numpy.array([self._table.get(key, default) for key in flat.tolist()], dtype=self._value_dtype)

    def size(self, name=None):
        return Tensor._wrap(numpy.asarray(len(self._table), numpy.int64))

    def export(self, name=None):
        keys = numpy.array(list(self._table), dtype=self._key_dtype)
        values = numpy.array(list(self._table.values()), dtype=self._value_dtype)
        return Tensor._wrap(keys), Tensor._wrap(values)


experimental = types.SimpleNamespace(MutableHashTable=MutableHashTable)
