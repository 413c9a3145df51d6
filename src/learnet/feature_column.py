"""``tf.feature_column``: descriptions of a table's input features, as TensorFlow 2 ships them.

A feature column says what one input feature is (a number, a category from a
vocabulary, a hashed string, a cross of categories) and how a model should see it
(as is, one-hot, embedded). ``make_parse_example_spec`` turns a list of columns into
the feature description ``tf.io.parse_example`` reads ``tf.train.Example`` records
with, which is how *Hands-On Machine Learning* (2nd edition, chapter 13) uses them.

TensorFlow deprecated feature columns in favour of Keras preprocessing layers, and
neither Keras 3 nor ``tf.keras`` in TensorFlow 2.21 has the ``DenseFeatures`` layer that
turned columns into a model's input; learnet has none either. To feed a model, use
``keras.utils.FeatureSpace`` or the preprocessing layers (``Normalization``,
``Discretization``, ``StringLookup``, ``Hashing``, ``HashedCrossing``, ``Embedding``).

Every column is a named tuple with TensorFlow's class name, fields, ``repr``, ``name``
and ``parse_example_spec``; every bad argument raises TensorFlow's error (mostly
``ValueError``) with its message, before any column is made.

Examples
--------
>>> import learnet as tf
>>> age = tf.feature_column.numeric_column("housing_median_age")
>>> income = tf.feature_column.bucketized_column(
...     tf.feature_column.numeric_column("median_income"), boundaries=[1.5, 3.0, 4.5, 6.0])
>>> ocean = tf.feature_column.categorical_column_with_vocabulary_list("ocean_proximity", ["INLAND", "NEAR BAY"])
>>> income.name, income.num_buckets, ocean.num_buckets
('median_income_bucketized', 5, 2)
>>> tf.feature_column.make_parse_example_spec([age, income, ocean])
{'housing_median_age': FixedLenFeature(shape=(1,), dtype=tf.float32, default_value=None), \
'median_income': FixedLenFeature(shape=(1,), dtype=tf.float32, default_value=None), \
'ocean_proximity': VarLenFeature(dtype=tf.string)}
"""

import collections
import math
import numbers
import os

import numpy

from learnet.example_parsing import FixedLenFeature, VarLenFeature
from learnet.tensor import TensorShape, _as_dtype, _dtype_name

__all__ = [
    "bucketized_column",
    "categorical_column_with_hash_bucket",
    "categorical_column_with_identity",
    "categorical_column_with_vocabulary_file",
    "categorical_column_with_vocabulary_list",
    "crossed_column",
    "embedding_column",
    "indicator_column",
    "make_parse_example_spec",
    "numeric_column",
    "sequence_categorical_column_with_hash_bucket",
    "sequence_categorical_column_with_identity",
    "sequence_categorical_column_with_vocabulary_file",
    "sequence_categorical_column_with_vocabulary_list",
    "sequence_numeric_column",
    "shared_embeddings",
    "weighted_categorical_column",
]

_STRING = numpy.dtype(object)  # tf.string: text tensors hold bytes in object arrays
_FLOAT32 = numpy.dtype("float32")
_INT64 = numpy.dtype("int64")
_COMBINERS = ("mean", "sqrtn", "sum")


# --- dtypes, written and checked as TensorFlow does ---------------------------------------------------
def _dtype(dtype):
    """``dtype`` as a NumPy dtype, text of any kind (``str``, ``"string"``, ``tf.string``) as ``tf.string``."""
    if dtype is str or dtype is bytes:
        return _STRING
    value = _as_dtype(dtype)
    return _STRING if value.kind in "OSU" else value


def _is_integer(dtype):
    return dtype.kind in "iu"


def _is_floating(dtype):
    return dtype.kind == "f"


def _dtype_text(dtype):
    """How TensorFlow prints a dtype in its messages: ``<dtype: 'float32'>``."""
    return f"<dtype: '{_dtype_name(dtype)}'>"


def _check_string_or_int(dtype, prefix):
    if dtype != _STRING and not _is_integer(dtype):
        raise ValueError(f"{prefix} dtype must be string or integer. dtype: {_dtype_text(dtype)}.")


def _check_key(key):
    if not isinstance(key, str):
        raise ValueError(f"key must be a string. Got: type {type(key)}. Given key: {key}.")


def _check_shape(shape, key):
    """``shape`` as a tuple of sizes >= 1 (an int ``n`` means ``(n,)``)."""
    if shape is None:
        raise TypeError(f"shape must be an int or a list of ints, got None. key: {key}")
    dims = tuple(shape) if isinstance(shape, (list, tuple)) else (shape,)
    for dim in dims:
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
            raise TypeError(f"shape dimensions must be integer. shape: {dims}, key: {key}")
        if dim < 1:
            raise ValueError(f"shape dimensions must be greater than 0. shape: {dims}, key: {key}")
    return tuple(int(dim) for dim in dims)


def _filled(shape, value):
    """A nested tuple of ``shape`` holding ``value`` everywhere (``value`` itself for ``()``)."""
    for size in reversed(shape):
        value = (value,) * size
    return value


def _nested_tuple(value):
    return tuple(_nested_tuple(item) for item in value) if isinstance(value, (list, tuple)) else value


def _fits(value, shape):
    """Whether the nested lists ``value`` have exactly ``shape``."""
    if not shape:
        return not isinstance(value, (list, tuple))
    return isinstance(value, (list, tuple)) and len(value) == shape[0] and all(_fits(item, shape[1:]) for item in value)


def _flat(value):
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _flat(item)]
    return [value]


def _check_default_value(shape, default_value, dtype, key):
    """``default_value`` as a nested tuple of ``shape`` (a single number fills it), or None."""
    if default_value is None:
        return None
    if callable(getattr(default_value, "tolist", None)):  # NumPy arrays and scalars
        default_value = default_value.tolist()
    if isinstance(default_value, int):
        return _filled(shape, default_value)
    if isinstance(default_value, float) and _is_floating(dtype):
        return _filled(shape, default_value)
    if isinstance(default_value, (list, tuple)):
        if not _fits(default_value, shape):
            raise ValueError(
                "The shape of default_value must be equal to given shape. "
                f"default_value: {default_value}, shape: {shape}, key: {key}"
            )
        leaves = _flat(default_value)
        if all(isinstance(leaf, int) for leaf in leaves):
            return _nested_tuple(default_value)
        if _is_floating(dtype) and all(isinstance(leaf, (int, float)) for leaf in leaves):
            return _nested_tuple(default_value)
    raise TypeError(
        "default_value must be compatible with dtype. "
        f"default_value: {default_value}, dtype: {_dtype_text(dtype)}, key: {key}"
    )


def _check_int(value, what):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{what} must be an integer, got {value!r}")


# --- the columns -------------------------------------------------------------------------------------
class FeatureColumn:
    """What every column has: a ``name`` and the ``parse_example_spec`` its features are parsed with.

    The columns are named tuples; their ``repr`` writes dtypes as TensorFlow does (``tf.float32``).
    """

    __slots__ = ()

    @property
    def name(self):
        raise NotImplementedError

    @property
    def parse_example_spec(self):
        raise NotImplementedError

    def __repr__(self):
        fields = ", ".join(
            f"{field}={'tf.' + _dtype_name(value) if isinstance(value, numpy.dtype) else repr(value)}"
            for field, value in zip(self._fields, self)
        )
        return f"{type(self).__name__}({fields})"


class DenseColumn(FeatureColumn):
    """A column a model sees as a dense tensor of ``variable_shape`` per example."""

    __slots__ = ()


class CategoricalColumn(FeatureColumn):
    """A column of category ids in ``range(num_buckets)``."""

    __slots__ = ()


class _KeyedVarLen:
    """A column read from the feature ``key``, named by it: a variable number of ``dtype``
    values per example (the categorical columns of ids or strings, the sequence columns)."""

    __slots__ = ()

    @property
    def name(self):
        return self.key

    @property
    def parse_example_spec(self):
        return {self.key: VarLenFeature(self.dtype)}


class _KeyedCategoricalColumn(_KeyedVarLen, CategoricalColumn):
    """A categorical column read from the feature ``key``: a variable number of ``dtype`` values per example."""

    __slots__ = ()


class SequenceDenseColumn(FeatureColumn):
    """A dense column over a sequence of values per example."""

    __slots__ = ()


class NumericColumn(
    DenseColumn, collections.namedtuple("NumericColumn", ("key", "shape", "default_value", "dtype", "normalizer_fn"))
):
    """See ``numeric_column``."""

    __slots__ = ()

    @property
    def name(self):
        return self.key

    @property
    def parse_example_spec(self):
        return {self.key: FixedLenFeature(self.shape, self.dtype, self.default_value)}

    @property
    def variable_shape(self):
        return TensorShape(self.shape)


class BucketizedColumn(
    DenseColumn, CategoricalColumn, collections.namedtuple("BucketizedColumn", ("source_column", "boundaries"))
):
    """See ``bucketized_column``."""

    __slots__ = ()

    @property
    def name(self):
        return f"{self.source_column.name}_bucketized"

    @property
    def parse_example_spec(self):
        return self.source_column.parse_example_spec

    @property
    def variable_shape(self):
        return TensorShape(tuple(self.source_column.shape) + (len(self.boundaries) + 1,))

    @property
    def num_buckets(self):
        return (len(self.boundaries) + 1) * math.prod(self.source_column.shape)


class HashedCategoricalColumn(
    _KeyedCategoricalColumn, collections.namedtuple("HashedCategoricalColumn", ("key", "hash_bucket_size", "dtype"))
):
    """See ``categorical_column_with_hash_bucket``."""

    __slots__ = ()

    @property
    def num_buckets(self):
        return self.hash_bucket_size


class VocabularyFileCategoricalColumn(
    _KeyedCategoricalColumn,
    collections.namedtuple(
        "VocabularyFileCategoricalColumn",
        ("key", "vocabulary_file", "vocabulary_size", "num_oov_buckets", "dtype", "default_value", "file_format"),
    ),
):
    """See ``categorical_column_with_vocabulary_file``."""

    __slots__ = ()

    @property
    def num_buckets(self):
        return self.vocabulary_size + self.num_oov_buckets


class VocabularyListCategoricalColumn(
    _KeyedCategoricalColumn,
    collections.namedtuple(
        "VocabularyListCategoricalColumn", ("key", "vocabulary_list", "dtype", "default_value", "num_oov_buckets")
    ),
):
    """See ``categorical_column_with_vocabulary_list``."""

    __slots__ = ()

    @property
    def num_buckets(self):
        return len(self.vocabulary_list) + self.num_oov_buckets


class IdentityCategoricalColumn(
    CategoricalColumn,
    collections.namedtuple("IdentityCategoricalColumn", ("key", "number_buckets", "default_value")),
):
    """See ``categorical_column_with_identity``."""

    __slots__ = ()

    @property
    def name(self):
        return self.key

    @property
    def parse_example_spec(self):
        return {self.key: VarLenFeature(_INT64)}

    @property
    def num_buckets(self):
        return self.number_buckets


class WeightedCategoricalColumn(
    CategoricalColumn,
    collections.namedtuple("WeightedCategoricalColumn", ("categorical_column", "weight_feature_key", "dtype")),
):
    """See ``weighted_categorical_column``."""

    __slots__ = ()

    @property
    def name(self):
        return f"{self.categorical_column.name}_weighted_by_{self.weight_feature_key}"

    @property
    def parse_example_spec(self):
        spec = dict(self.categorical_column.parse_example_spec)
        if self.weight_feature_key in spec:
            raise ValueError(
                f"Parse config {spec[self.weight_feature_key]} already exists for {self.weight_feature_key}."
            )
        spec[self.weight_feature_key] = VarLenFeature(self.dtype)
        return spec

    @property
    def num_buckets(self):
        return self.categorical_column.num_buckets


def _leaf_keys(crossed):
    """The strings and columns a cross combines, crosses inside it opened up."""
    leaves = []
    for key in crossed.keys:
        leaves.extend(_leaf_keys(key) if isinstance(key, CrossedColumn) else [key])
    return leaves


class CrossedColumn(
    CategoricalColumn, collections.namedtuple("CrossedColumn", ("keys", "hash_bucket_size", "hash_key"))
):
    """See ``crossed_column``."""

    __slots__ = ()

    @property
    def name(self):
        names = [key.name if isinstance(key, FeatureColumn) else key for key in _leaf_keys(self)]
        return "_X_".join(sorted(names))

    @property
    def parse_example_spec(self):
        spec = {}
        for key in self.keys:
            spec.update(key.parse_example_spec if isinstance(key, FeatureColumn) else {key: VarLenFeature(_STRING)})
        return spec

    @property
    def num_buckets(self):
        return self.hash_bucket_size


class IndicatorColumn(DenseColumn, collections.namedtuple("IndicatorColumn", ("categorical_column",))):
    """See ``indicator_column``."""

    __slots__ = ()

    @property
    def name(self):
        return f"{self.categorical_column.name}_indicator"

    @property
    def parse_example_spec(self):
        return self.categorical_column.parse_example_spec

    @property
    def variable_shape(self):
        return TensorShape([1, self.categorical_column.num_buckets])


class EmbeddingColumn(
    DenseColumn,
    SequenceDenseColumn,
    collections.namedtuple(
        "EmbeddingColumn",
        (
            "categorical_column",
            "dimension",
            "combiner",
            "initializer",
            "ckpt_to_load_from",
            "tensor_name_in_ckpt",
            "max_norm",
            "trainable",
            "use_safe_embedding_lookup",
        ),
    ),
):
    """See ``embedding_column``."""

    __slots__ = ()

    @property
    def name(self):
        return f"{self.categorical_column.name}_embedding"

    @property
    def parse_example_spec(self):
        return self.categorical_column.parse_example_spec

    @property
    def variable_shape(self):
        return TensorShape([self.dimension])


class SequenceCategoricalColumn(
    CategoricalColumn, collections.namedtuple("SequenceCategoricalColumn", ("categorical_column",))
):
    """See the ``sequence_categorical_column_with_*`` functions."""

    __slots__ = ()

    @property
    def name(self):
        return self.categorical_column.name

    @property
    def parse_example_spec(self):
        return self.categorical_column.parse_example_spec

    @property
    def num_buckets(self):
        return self.categorical_column.num_buckets


class SequenceNumericColumn(
    _KeyedVarLen,
    SequenceDenseColumn,
    collections.namedtuple("SequenceNumericColumn", ("key", "shape", "default_value", "dtype", "normalizer_fn")),
):
    """See ``sequence_numeric_column``."""

    __slots__ = ()

    @property
    def variable_shape(self):
        return TensorShape(self.shape)


# --- the functions that make them -------------------------------------------------------------------
def numeric_column(key, shape=(1,), default_value=None, dtype=_FLOAT32, normalizer_fn=None):
    """A real-valued feature: ``shape`` numbers per example.

    Parameters
    ----------
    key : str
        The feature's name in the examples (and the column's name).
    shape : int or tuple of int, default (1,)
        The values per example; an int ``n`` means ``(n,)``.
    default_value : number or nested list, optional
        What a parsed example without the feature gets (one number fills ``shape``);
        None makes a missing feature an error.
    dtype : dtype, default tf.float32
        An integer or floating dtype.
    normalizer_fn : callable, optional
        A function a model applies to the values (``lambda x: (x - mean) / std``).

    Returns
    -------
    NumericColumn

    Examples
    --------
    >>> import learnet as tf
    >>> age = tf.feature_column.numeric_column("age", default_value=0)
    >>> age
    NumericColumn(key='age', shape=(1,), default_value=(0,), dtype=tf.float32, normalizer_fn=None)
    >>> age.parse_example_spec
    {'age': FixedLenFeature(shape=(1,), dtype=tf.float32, default_value=(0,))}
    """
    shape = _check_shape(shape, key)
    dtype = _dtype(dtype)
    if not (_is_integer(dtype) or _is_floating(dtype)):
        raise ValueError(f"dtype must be convertible to float. dtype: {_dtype_text(dtype)}, key: {key}")
    default_value = _check_default_value(shape, default_value, dtype, key)
    if normalizer_fn is not None and not callable(normalizer_fn):
        raise TypeError(f"normalizer_fn must be a callable. Given: {normalizer_fn}")
    _check_key(key)
    return NumericColumn(key, shape, default_value, dtype, normalizer_fn)


def bucketized_column(source_column, boundaries):
    """A numeric column cut into buckets at sorted ``boundaries``: ``len(boundaries) + 1`` categories.

    A bucket holds its left boundary: ``boundaries=[0., 1.]`` makes ``(-inf, 0)``,
    ``[0, 1)`` and ``[1, inf)``.

    Parameters
    ----------
    source_column : NumericColumn
        A one-dimensional column made by ``numeric_column``.
    boundaries : list or tuple of float
        Strictly increasing.

    Returns
    -------
    BucketizedColumn

    Examples
    --------
    >>> import learnet as tf
    >>> income = tf.feature_column.bucketized_column(
    ...     tf.feature_column.numeric_column("income"), boundaries=[1.5, 3.0])
    >>> income.name, income.boundaries, income.num_buckets
    ('income_bucketized', (1.5, 3.0), 3)
    """
    if not isinstance(source_column, NumericColumn):
        raise ValueError(f"source_column must be a column generated with numeric_column(). Given: {source_column}")
    if len(source_column.shape) > 1:
        raise ValueError(f"source_column must be one-dimensional column. Given: {source_column}")
    if not isinstance(boundaries, (list, tuple)):
        raise ValueError("boundaries must be a sorted list.")
    if not boundaries:
        raise ValueError("boundaries must not be empty.")
    if any(not isinstance(b, numbers.Real) or isinstance(b, bool) for b in boundaries):
        raise ValueError(f"boundaries must be a sorted list of numbers. Given: {boundaries}")
    if any(left >= right for left, right in zip(boundaries[:-1], boundaries[1:])):
        raise ValueError("boundaries must be a sorted list.")
    return BucketizedColumn(source_column, tuple(boundaries))


def categorical_column_with_hash_bucket(key, hash_bucket_size, dtype=_STRING):
    """A categorical feature whose ids are its values hashed into ``hash_bucket_size`` buckets.

    Parameters
    ----------
    key : str
    hash_bucket_size : int
        At least 1.
    dtype : dtype, default tf.string
        tf.string or an integer dtype.

    Returns
    -------
    HashedCategoricalColumn

    Examples
    --------
    >>> import learnet as tf
    >>> tf.feature_column.categorical_column_with_hash_bucket("city", hash_bucket_size=1000)
    HashedCategoricalColumn(key='city', hash_bucket_size=1000, dtype=tf.string)
    """
    if hash_bucket_size is None:
        raise ValueError(f"hash_bucket_size must be set. key: {key}")
    _check_int(hash_bucket_size, "hash_bucket_size")
    if hash_bucket_size < 1:
        raise ValueError(f"hash_bucket_size must be at least 1. hash_bucket_size: {hash_bucket_size}, key: {key}")
    _check_key(key)
    dtype = _dtype(dtype)
    _check_string_or_int(dtype, f"column_name: {key}")
    return HashedCategoricalColumn(key, hash_bucket_size, dtype)


def _count_vocabulary(vocabulary_file, file_format):
    if file_format == "tfrecord_gzip":
        from learnet.tfrecord import _read_records

        return sum(1 for _ in _read_records(vocabulary_file, "GZIP"))
    with open(vocabulary_file, "rb") as lines:
        return sum(1 for _ in lines)


def categorical_column_with_vocabulary_file(
    key, vocabulary_file, vocabulary_size=None, dtype=_STRING, default_value=None, num_oov_buckets=0, file_format=None
):
    """A categorical feature whose ids are the line numbers of its values in ``vocabulary_file``.

    Parameters
    ----------
    key : str
    vocabulary_file : str
        One value a line (a file ending in ``tfrecord.gz``: one a record, ``file_format="tfrecord_gzip"``).
    vocabulary_size : int, optional
        How many lines to use; by default, all of them (counted now).
    dtype : dtype, default tf.string
    default_value : int, optional
        The id of a value not in the vocabulary (by default -1: dropped).
    num_oov_buckets : int, default 0
        Buckets that values outside the vocabulary are hashed into (not with ``default_value``).
    file_format : str, optional

    Returns
    -------
    VocabularyFileCategoricalColumn

    Examples
    --------
    >>> import learnet as tf, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "colors.txt")
    >>> with open(path, "w") as f:
    ...     _ = f.write("red\\ngreen\\nblue\\n")
    >>> tf.feature_column.categorical_column_with_vocabulary_file("color", path).num_buckets
    3
    """
    if not vocabulary_file:
        raise ValueError(f"Missing vocabulary_file in {key}.")
    vocabulary_file = os.fspath(vocabulary_file)
    if file_format is None and vocabulary_file.endswith("tfrecord.gz"):
        file_format = "tfrecord_gzip"
    if vocabulary_size is None:
        if not os.path.exists(vocabulary_file):
            raise ValueError(f"vocabulary_file in {key} does not exist.")
        vocabulary_size = _count_vocabulary(vocabulary_file, file_format)
    _check_int(vocabulary_size, "vocabulary_size")
    if vocabulary_size < 1:
        raise ValueError(f"Invalid vocabulary_size in {key}.")
    if num_oov_buckets:
        if default_value is not None:
            raise ValueError(f"Can't specify both num_oov_buckets and default_value in {key}.")
        _check_int(num_oov_buckets, "num_oov_buckets")
        if num_oov_buckets < 0:
            raise ValueError(f"Invalid num_oov_buckets {num_oov_buckets} in {key}.")
    dtype = _dtype(dtype)
    _check_string_or_int(dtype, f"column_name: {key}")
    _check_key(key)
    return VocabularyFileCategoricalColumn(
        key,
        vocabulary_file,
        int(vocabulary_size),
        0 if num_oov_buckets is None else num_oov_buckets,
        dtype,
        -1 if default_value is None else default_value,
        file_format,
    )


def categorical_column_with_vocabulary_list(key, vocabulary_list, dtype=None, default_value=-1, num_oov_buckets=0):
    """A categorical feature whose ids are the positions of its values in ``vocabulary_list``.

    Parameters
    ----------
    key : str
    vocabulary_list : list
        Distinct strings or integers.
    dtype : dtype, optional
        tf.string or an integer dtype; by default, the vocabulary's.
    default_value : int, default -1
        The id of a value not in the vocabulary (-1: dropped).
    num_oov_buckets : int, default 0
        Buckets that values outside the vocabulary are hashed into (not with ``default_value``).

    Returns
    -------
    VocabularyListCategoricalColumn

    Examples
    --------
    >>> import learnet as tf
    >>> ocean = tf.feature_column.categorical_column_with_vocabulary_list("ocean", ["INLAND", "ISLAND"])
    >>> ocean
    VocabularyListCategoricalColumn(key='ocean', vocabulary_list=('INLAND', 'ISLAND'), dtype=tf.string, \
default_value=-1, num_oov_buckets=0)
    """
    if isinstance(vocabulary_list, (str, bytes)):
        raise ValueError(
            f"vocabulary_list must be a list of values, not the single value {vocabulary_list!r}, column_name: {key}"
        )
    if vocabulary_list is None or len(vocabulary_list) < 1:
        raise ValueError(f"vocabulary_list {vocabulary_list} must be non-empty, column_name: {key}")
    if len(set(vocabulary_list)) != len(vocabulary_list):
        raise ValueError(f"Duplicate keys in vocabulary_list {vocabulary_list}, column_name: {key}")
    vocabulary_dtype = _dtype(numpy.array(vocabulary_list).dtype)
    if num_oov_buckets:
        if default_value != -1:
            raise ValueError(f"Can't specify both num_oov_buckets and default_value in {key}.")
        _check_int(num_oov_buckets, "num_oov_buckets")
        if num_oov_buckets < 0:
            raise ValueError(f"Invalid num_oov_buckets {num_oov_buckets} in {key}.")
    _check_string_or_int(vocabulary_dtype, f"column_name: {key} vocabulary")
    if dtype is None:
        dtype = vocabulary_dtype
    else:
        dtype = _dtype(dtype)
        if _is_integer(dtype) != _is_integer(vocabulary_dtype):
            raise ValueError(
                f"dtype {_dtype_text(dtype)} and vocabulary dtype {_dtype_text(vocabulary_dtype)} do not match, "
                f"column_name: {key}"
            )
    _check_string_or_int(dtype, f"column_name: {key}")
    _check_key(key)
    return VocabularyListCategoricalColumn(key, tuple(vocabulary_list), dtype, default_value, num_oov_buckets)


def categorical_column_with_identity(key, num_buckets, default_value=None):
    """A categorical feature whose integer values are its ids, in ``range(num_buckets)``.

    Parameters
    ----------
    key : str
    num_buckets : int
        At least 1.
    default_value : int, optional
        The id given to values outside the range (by default they are an error when looked up).

    Returns
    -------
    IdentityCategoricalColumn

    Examples
    --------
    >>> import learnet as tf
    >>> tf.feature_column.categorical_column_with_identity("video_id", num_buckets=10)
    IdentityCategoricalColumn(key='video_id', number_buckets=10, default_value=None)
    """
    _check_int(num_buckets, "num_buckets")
    if num_buckets < 1:
        raise ValueError(f"num_buckets {num_buckets} < 1, column_name {key}")
    if default_value is not None:
        _check_int(default_value, "default_value")
        if not 0 <= default_value < num_buckets:
            raise ValueError(f"default_value {default_value} not in range [0, {num_buckets}), column_name {key}")
    _check_key(key)
    return IdentityCategoricalColumn(key, num_buckets, default_value)


def indicator_column(categorical_column):
    """A categorical column seen as a multi-hot vector of ``num_buckets`` counts.

    Parameters
    ----------
    categorical_column : CategoricalColumn
        Made by a ``categorical_column_with_*`` function, ``bucketized_column`` or ``crossed_column``.

    Returns
    -------
    IndicatorColumn

    Examples
    --------
    >>> import learnet as tf
    >>> ocean = tf.feature_column.categorical_column_with_vocabulary_list("ocean", ["INLAND", "ISLAND"])
    >>> tf.feature_column.indicator_column(ocean).name
    'ocean_indicator'
    """
    if not isinstance(categorical_column, CategoricalColumn):
        raise ValueError(f"Unsupported input type. Input must be a CategoricalColumn. Given: {categorical_column}")
    return IndicatorColumn(categorical_column)


def embedding_column(
    categorical_column,
    dimension,
    combiner="mean",
    initializer=None,
    ckpt_to_load_from=None,
    tensor_name_in_ckpt=None,
    max_norm=None,
    trainable=True,
    use_safe_embedding_lookup=True,
):
    """A categorical column seen through a trainable embedding of ``dimension`` numbers per category.

    Parameters
    ----------
    categorical_column : CategoricalColumn
    dimension : int
        At least 1.
    combiner : {"mean", "sqrtn", "sum"}, default "mean"
        How the embeddings of several values in one example are combined.
    initializer : callable, optional
        By default a truncated normal with standard deviation ``1 / sqrt(dimension)``.
    ckpt_to_load_from, tensor_name_in_ckpt : str, optional
        A checkpoint and the tensor in it to start from (both or neither).
    max_norm : float, optional
    trainable : bool, default True
    use_safe_embedding_lookup : bool, default True

    Returns
    -------
    EmbeddingColumn

    Examples
    --------
    >>> import learnet as tf
    >>> ocean = tf.feature_column.categorical_column_with_vocabulary_list("ocean", ["INLAND", "ISLAND"])
    >>> embedded = tf.feature_column.embedding_column(ocean, dimension=2)
    >>> embedded.name, embedded.dimension, embedded.variable_shape
    ('ocean_embedding', 2, TensorShape([2]))
    """
    if dimension is None:
        raise ValueError("Invalid dimension None.")
    _check_int(dimension, "dimension")
    if dimension < 1:
        raise ValueError(f"Invalid dimension {dimension}.")
    if (ckpt_to_load_from is None) != (tensor_name_in_ckpt is None):
        raise ValueError("Must specify both `ckpt_to_load_from` and `tensor_name_in_ckpt` or none of them.")
    if not isinstance(categorical_column, CategoricalColumn):
        raise ValueError(f"Unsupported input type. Input must be a CategoricalColumn. Given: {categorical_column}")
    if initializer is not None and not callable(initializer):
        raise ValueError(
            f"initializer must be callable if specified. Embedding of column_name: {categorical_column.name}"
        )
    if combiner not in _COMBINERS:
        raise ValueError(f"combiner must be one of {list(_COMBINERS)}, got {combiner!r}")
    if initializer is None:
        from learnet.initializers import TruncatedNormal

        initializer = TruncatedNormal(mean=0.0, stddev=1 / math.sqrt(dimension))
    return EmbeddingColumn(
        categorical_column,
        int(dimension),
        combiner,
        initializer,
        ckpt_to_load_from,
        tensor_name_in_ckpt,
        max_norm,
        trainable,
        use_safe_embedding_lookup,
    )


def shared_embeddings(
    categorical_columns,
    dimension,
    combiner="mean",
    initializer=None,
    shared_embedding_collection_name=None,
    ckpt_to_load_from=None,
    tensor_name_in_ckpt=None,
    max_norm=None,
    trainable=True,
    use_safe_embedding_lookup=True,
):
    """Embeddings shared by several categorical columns: like TensorFlow 2, refused when running eagerly.

    TensorFlow builds shared embeddings only inside a graph (``tf.compat.v1``); learnet
    always runs eagerly, so this raises ``RuntimeError`` as TensorFlow 2 does by default.

    Raises
    ------
    RuntimeError
        Always.

    Examples
    --------
    >>> import learnet as tf
    >>> watched = tf.feature_column.categorical_column_with_identity("watched", 3)
    >>> tf.feature_column.shared_embeddings([watched], dimension=2)
    Traceback (most recent call last):
    ...
    RuntimeError: shared_embedding_columns are not supported when eager execution is enabled. ...
    """
    raise RuntimeError(
        "shared_embedding_columns are not supported when eager execution is enabled. "
        "Share one keras.layers.Embedding between the inputs instead."
    )


def weighted_categorical_column(categorical_column, weight_feature_key, dtype=_FLOAT32):
    """A categorical column whose ids carry weights, read from the feature ``weight_feature_key``.

    Parameters
    ----------
    categorical_column : CategoricalColumn
    weight_feature_key : str
        The feature holding one weight for each value of ``categorical_column``'s feature.
    dtype : dtype, default tf.float32
        An integer or floating dtype.

    Returns
    -------
    WeightedCategoricalColumn

    Examples
    --------
    >>> import learnet as tf
    >>> words = tf.feature_column.categorical_column_with_identity("terms", 100)
    >>> weighted = tf.feature_column.weighted_categorical_column(words, "frequencies")
    >>> weighted.name, sorted(weighted.parse_example_spec)
    ('terms_weighted_by_frequencies', ['frequencies', 'terms'])
    """
    if dtype is None or not (_is_integer(_dtype(dtype)) or _is_floating(_dtype(dtype))):
        shown = None if dtype is None else _dtype_text(_dtype(dtype))
        raise ValueError(f"dtype {shown} is not convertible to float.")
    if not isinstance(categorical_column, CategoricalColumn):
        raise ValueError(f"Unsupported input type. Input must be a CategoricalColumn. Given: {categorical_column}")
    _check_key(weight_feature_key)
    return WeightedCategoricalColumn(categorical_column, weight_feature_key, _dtype(dtype))


def crossed_column(keys, hash_bucket_size, hash_key=None):
    """A categorical column of the combinations of several categorical features, hashed into buckets.

    Parameters
    ----------
    keys : list
        At least two feature names (strings, read as ``tf.string``) or categorical columns
        (not ``categorical_column_with_hash_bucket``: cross the feature's name instead).
    hash_bucket_size : int
        At least 1.
    hash_key : int, optional
        The key of the hash (TensorFlow's fingerprint by default).

    Returns
    -------
    CrossedColumn

    Examples
    --------
    >>> import learnet as tf
    >>> age = tf.feature_column.bucketized_column(tf.feature_column.numeric_column("age"), [20.0, 40.0])
    >>> cross = tf.feature_column.crossed_column([age, "ocean"], hash_bucket_size=100)
    >>> cross.name, cross.num_buckets
    ('age_bucketized_X_ocean', 100)
    """
    if not hash_bucket_size:
        raise ValueError(f"hash_bucket_size must be > 1. hash_bucket_size: {hash_bucket_size}")
    _check_int(hash_bucket_size, "hash_bucket_size")
    if hash_bucket_size < 1:
        raise ValueError(f"hash_bucket_size must be > 1. hash_bucket_size: {hash_bucket_size}")
    if isinstance(keys, (str, bytes)) or not keys or len(keys) < 2:
        raise ValueError(f"keys must be a list with length > 1. Given: {keys}")
    for key in keys:
        if not isinstance(key, (str, CategoricalColumn)):
            raise ValueError(
                "Unsupported key type. All keys must be either string, or categorical column except "
                f"HashedCategoricalColumn. Given: {key}"
            )
        if isinstance(key, HashedCategoricalColumn):
            raise ValueError(
                "categorical_column_with_hash_bucket is not supported for crossing. Hashing before crossing "
                f"will increase probability of collision. Instead, use the feature name as a string. Given: {key}"
            )
    return CrossedColumn(tuple(keys), hash_bucket_size, hash_key)


def make_parse_example_spec(feature_columns):
    """The feature description ``tf.io.parse_example`` needs to read the features of ``feature_columns``.

    Parameters
    ----------
    feature_columns : iterable of FeatureColumn

    Returns
    -------
    dict
        Each feature's name to its ``tf.io.FixedLenFeature`` or ``tf.io.VarLenFeature``.

    Raises
    ------
    ValueError
        If an item is not a feature column, or two columns read one feature differently.

    Examples
    --------
    >>> import learnet as tf
    >>> columns = [tf.feature_column.numeric_column("age"), tf.feature_column.numeric_column("value")]
    >>> spec = tf.feature_column.make_parse_example_spec(columns)
    >>> record = tf.train.Example(features=tf.train.Features(feature={
    ...     "age": tf.train.Feature(float_list=tf.train.FloatList(value=[41.0])),
    ...     "value": tf.train.Feature(float_list=tf.train.FloatList(value=[452600.0])),
    ... })).SerializeToString()
    >>> tf.io.parse_single_example(record, spec)["age"].numpy()
    array([41.], dtype=float32)
    """
    if isinstance(feature_columns, FeatureColumn):
        raise ValueError(
            "All feature_columns must be FeatureColumn instances: pass a list of columns, "
            f"not one column. Given: {feature_columns}"
        )
    spec = {}
    for column in feature_columns:
        if not isinstance(column, FeatureColumn):
            raise ValueError(f"All feature_columns must be FeatureColumn instances. Given: {column}")
        for key, feature in column.parse_example_spec.items():
            if key in spec and feature != spec[key]:
                raise ValueError(
                    f"feature_columns contain different parse_spec for key {key}. Given {feature} and {spec[key]}"
                )
        spec.update(column.parse_example_spec)
    return spec


# --- sequences of values per example (SequenceExample feature lists) ----------------------------------
def sequence_numeric_column(key, shape=(1,), default_value=0.0, dtype=_FLOAT32, normalizer_fn=None):
    """A sequence of numbers per example, ``shape`` of them a step; parsed as a ``tf.io.VarLenFeature``.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.feature_column.sequence_numeric_column("temperature").parse_example_spec
    {'temperature': VarLenFeature(dtype=tf.float32)}
    """
    shape = _check_shape(shape, key)
    dtype = _dtype(dtype)
    if not (_is_integer(dtype) or _is_floating(dtype)):
        raise ValueError(f"dtype must be convertible to float. dtype: {_dtype_text(dtype)}, key: {key}")
    if normalizer_fn is not None and not callable(normalizer_fn):
        raise TypeError(f"normalizer_fn must be a callable. Given: {normalizer_fn}")
    _check_key(key)
    return SequenceNumericColumn(key, shape, default_value, dtype, normalizer_fn)


def sequence_categorical_column_with_identity(key, num_buckets, default_value=None):
    """``categorical_column_with_identity`` over a sequence of values per example.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.feature_column.sequence_categorical_column_with_identity("steps", 5).num_buckets
    5
    """
    return SequenceCategoricalColumn(categorical_column_with_identity(key, num_buckets, default_value))


def sequence_categorical_column_with_hash_bucket(key, hash_bucket_size, dtype=_STRING):
    """``categorical_column_with_hash_bucket`` over a sequence of values per example.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.feature_column.sequence_categorical_column_with_hash_bucket("tokens", 100).name
    'tokens'
    """
    return SequenceCategoricalColumn(categorical_column_with_hash_bucket(key, hash_bucket_size, dtype))


def sequence_categorical_column_with_vocabulary_file(
    key, vocabulary_file, vocabulary_size=None, num_oov_buckets=0, default_value=None, dtype=_STRING
):
    """``categorical_column_with_vocabulary_file`` over a sequence of values per example.

    Examples
    --------
    >>> import learnet as tf, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "words.txt")
    >>> with open(path, "w") as f:
    ...     _ = f.write("a\\nb\\n")
    >>> tf.feature_column.sequence_categorical_column_with_vocabulary_file("words", path).num_buckets
    2
    """
    return SequenceCategoricalColumn(
        categorical_column_with_vocabulary_file(
            key,
            vocabulary_file,
            vocabulary_size=vocabulary_size,
            num_oov_buckets=num_oov_buckets,
            default_value=default_value,
            dtype=dtype,
        )
    )


def sequence_categorical_column_with_vocabulary_list(
    key, vocabulary_list, dtype=None, default_value=-1, num_oov_buckets=0
):
    """``categorical_column_with_vocabulary_list`` over a sequence of values per example.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.feature_column.sequence_categorical_column_with_vocabulary_list("colors", ["R", "G", "B"]).num_buckets
    3
    """
    return SequenceCategoricalColumn(
        categorical_column_with_vocabulary_list(key, vocabulary_list, dtype, default_value, num_oov_buckets)
    )
