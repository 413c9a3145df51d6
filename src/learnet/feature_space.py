"""``keras.utils.FeatureSpace``: preprocess and encode a table of features in one object.

Each column of a structured dataset (a ``dict`` of columns, as ``dict(dataframe)``
gives) is declared once with its kind: a float to normalize, an integer or string
category to index or hash, a float to put into bins... ``adapt`` learns what the
preprocessing layers need (vocabularies, means, bin boundaries) from a dataset of
feature dicts; calling the feature space on a dict of columns encodes them into one
vector per row (or a dict of encoded features), and ``get_inputs`` /
``get_encoded_features`` give the same computation as symbolic tensors to build a
functional model on.

Every kind of feature is an ordinary preprocessing layer (``Normalization``,
``Discretization``, ``StringLookup``, ``Hashing``...), found in ``preprocessors``;
feature crosses are ``HashedCrossing`` layers, found in ``crossers``.

Saving a feature space to a ``.keras`` file (``feature_space.save``,
``keras.saving.load_model``) is not supported.
"""

import numpy

from learnet import layers
from learnet.data import Dataset
from learnet.layers.base import Layer
from learnet.layers.hashing import HashedCrossing, Hashing
from learnet.layers.lookup import CategoryEncoding, Discretization, IntegerLookup, StringLookup
from learnet.layers.preprocessing import Normalization, Rescaling
from learnet.layers.text import TextVectorization
from learnet.tensor import Tensor

_FEATURE_OUTPUT_MODES = ("int", "one_hot", "float")
_ADAPT_SCALAR_BATCH = 32  # Keras batches a dataset of single values by 32 before adapting


class _AsFloat(Layer):
    """The preprocessor of ``FeatureSpace.float()``: the values as float32, unchanged."""

    _autocast_integers = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class Feature:
    """One feature of a ``FeatureSpace``: its input dtype, the layer that preprocesses it,
    and how its preprocessed value is encoded (``"int"``, ``"one_hot"`` or ``"float"``)."""

    def __init__(self, dtype, preprocessor, output_mode):
        if output_mode not in _FEATURE_OUTPUT_MODES:
            raise ValueError(
                f"FeatureSpace feature: output_mode must be one of {_FEATURE_OUTPUT_MODES}, got {output_mode!r}"
            )
        self.dtype = dtype
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self):
        return {"dtype": self.dtype, "preprocessor": self.preprocessor.get_config(), "output_mode": self.output_mode}

    def __repr__(self):
        return f"Feature(dtype={self.dtype!r}, preprocessor={type(self.preprocessor).__name__}, output_mode={self.output_mode!r})"


class Cross:
    """A cross of features of a ``FeatureSpace``, hashed into ``crossing_dim`` bins."""

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in ("int", "one_hot"):
            raise ValueError(f"FeatureSpace cross: output_mode must be 'int' or 'one_hot', got {output_mode!r}")
        self.feature_names = tuple(feature_names)
        if len(self.feature_names) < 2:
            raise ValueError(f"FeatureSpace cross: needs at least two feature names, got {self.feature_names}")
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self):
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {"feature_names": self.feature_names, "crossing_dim": self.crossing_dim, "output_mode": self.output_mode}

    def __repr__(self):
        return f"Cross({self.feature_names}, crossing_dim={self.crossing_dim}, output_mode={self.output_mode!r})"


def _preprocessor_name(name):
    return None if name is None else f"{name}_preprocessor"


def _as_numpy(value):
    """A column (Tensor, array, list, scalar) as a NumPy array (string tensors give bytes)."""
    if isinstance(value, Tensor):
        return numpy.asarray(value.numpy())
    return numpy.asarray(value)


def _as_column(value):
    """A column of values as shape ``(batch, 1)``; a single value as ``(1, 1)``. Also says which."""
    array = _as_numpy(value)
    if array.ndim == 0:
        return array.reshape(1, 1), True
    if array.ndim == 1:
        return array[:, None], False
    return array, False


class FeatureSpace:
    """Preprocess and encode structured data, one declared kind per feature
    (``keras.utils.FeatureSpace``).

    Parameters
    ----------
    features : dict
        Feature name -> its kind: a ``FeatureSpace.float()``... object, or the kind's
        name (``"float_normalized"``, ``"string_categorical"``...) for its defaults.
    output_mode : ``"concat"`` (default) or ``"dict"``
        One float32 vector per row (all encoded features side by side, in sorted name
        order, crosses last), or a dict of the encoded features.
    crosses : list, optional
        ``FeatureSpace.cross(...)`` objects, or tuples of feature names (hashed into
        ``crossing_dim`` bins and one-hot encoded).
    crossing_dim : int, default 32
        Bins of a cross given as a tuple of names.
    hashing_dim : int, default 32
        Bins of ``"integer_hashed"`` / ``"string_hashed"`` features given by name.
    num_discretization_bins : int, default 32
        Bins of ``"float_discretized"`` features given by name.

    Feature kinds: ``float``, ``float_normalized`` (``Normalization``),
    ``float_rescaled(scale, offset)`` (``Rescaling``), ``float_discretized(num_bins)``
    (``Discretization``), ``integer_categorical`` (``IntegerLookup``),
    ``string_categorical`` (``StringLookup``), ``integer_hashed(num_bins)`` and
    ``string_hashed(num_bins)`` (``Hashing``), and ``feature(dtype, preprocessor,
    output_mode)`` for a layer of your own. The values (bins, indices, hashes) are
    those of the underlying layers, which follow Keras'.

    Saving (``save`` to a ``.keras`` file and ``keras.saving.load_model``) is not
    supported: keep the code that builds and adapts the feature space.

    Examples
    --------
    >>> from learnet.feature_space import FeatureSpace
    >>> data = {"size": [1.0, 2.0, 3.0, 4.0], "color": ["red", "blue", "red", "green"]}
    >>> space = FeatureSpace(
    ...     features={"size": "float_normalized", "color": "string_categorical"},
    ...     output_mode="concat",
    ... )
    >>> space.adapt(data)
    >>> space(data).numpy().round(2)
    array([[ 0.  ,  1.  ,  0.  ,  0.  , -1.34],
           [ 0.  ,  0.  ,  0.  ,  1.  , -0.45],
           [ 0.  ,  1.  ,  0.  ,  0.  ,  0.45],
           [ 0.  ,  0.  ,  1.  ,  0.  ,  1.34]], dtype=float32)
    """

    # --- the kinds of features --------------------------------------------------------------------
    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        """A cross of the named features, hashed into ``crossing_dim`` bins."""
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        """A feature preprocessed by a layer of your own (``output_mode``: int, one_hot or float)."""
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        """Float values, used as they are."""
        return Feature("float32", _AsFloat(name=_preprocessor_name(name)), "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        """Float values times ``scale`` plus ``offset`` (``Rescaling``)."""
        preprocessor = Rescaling(scale=scale, offset=offset, name=_preprocessor_name(name))
        return Feature("float32", preprocessor, "float")

    @classmethod
    def float_normalized(cls, name=None):
        """Float values standardized with the mean and variance ``adapt`` learns (``Normalization``)."""
        preprocessor = Normalization(axis=-1, name=_preprocessor_name(name))
        return Feature("float32", preprocessor, "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot", name=None):
        """Float values put into ``num_bins`` bins at quantiles ``adapt`` learns (or at ``bin_boundaries``)."""
        preprocessor = Discretization(
            num_bins=None if bin_boundaries is not None else num_bins,
            bin_boundaries=bin_boundaries,
            name=_preprocessor_name(name),
        )
        return Feature("float32", preprocessor, output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None):
        """Integer categories, indexed in a vocabulary ``adapt`` learns (``IntegerLookup``)."""
        preprocessor = IntegerLookup(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            name=_preprocessor_name(name),
        )
        return Feature("int32", preprocessor, output_mode)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None):
        """String categories, indexed in a vocabulary ``adapt`` learns (``StringLookup``)."""
        preprocessor = StringLookup(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            name=_preprocessor_name(name),
        )
        return Feature("string", preprocessor, output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        """String categories hashed into ``num_bins`` bins (``Hashing``): no vocabulary."""
        preprocessor = Hashing(num_bins=num_bins, name=_preprocessor_name(name))
        return Feature("string", preprocessor, output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        """Integer categories hashed into ``num_bins`` bins (``Hashing``): no vocabulary."""
        preprocessor = Hashing(num_bins=num_bins, name=_preprocessor_name(name))
        return Feature("int32", preprocessor, output_mode)

    # --- building ---------------------------------------------------------------------------------
    def __init__(
        self,
        features,
        output_mode="concat",
        crosses=None,
        crossing_dim=32,
        hashing_dim=32,
        num_discretization_bins=32,
        name=None,
    ):
        if not features:
            raise ValueError("FeatureSpace: the features argument cannot be None or empty")
        if not isinstance(features, dict):
            raise TypeError(
                f"FeatureSpace: features must be a dict of name -> feature kind, got {type(features).__name__}"
            )
        if output_mode not in ("concat", "dict"):
            raise ValueError(f"FeatureSpace: output_mode must be 'concat' or 'dict', got {output_mode!r}")
        self.name = name or "feature_space"
        self.output_mode = output_mode
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.features = {name: self._standardize_feature(name, kind) for name, kind in features.items()}
        self.crosses = [self._standardize_cross(cross) for cross in (crosses or [])]
        self.crosses_by_name = {cross.name: cross for cross in self.crosses}
        self.preprocessors = {name: feature.preprocessor for name, feature in self.features.items()}
        self.crossers = {cross.name: HashedCrossing(cross.crossing_dim, name=cross.name) for cross in self.crosses}
        self.inputs = {
            name: layers.Input(shape=(1,), dtype=feature.dtype, name=name) for name, feature in self.features.items()
        }
        self.one_hot_encoders = {}  # feature or cross name -> CategoryEncoding, made when first built
        self.concat = None
        self.encoded_features = None
        self._is_adapted = False
        self._built = False

    def _standardize_feature(self, name, kind):
        if isinstance(kind, Feature):
            return kind
        makers = {
            "float": lambda: self.float(name=name),
            "float_normalized": lambda: self.float_normalized(name=name),
            "float_rescaled": lambda: self.float_rescaled(name=name),
            "float_discretized": lambda: self.float_discretized(self.num_discretization_bins, name=name),
            "integer_categorical": lambda: self.integer_categorical(name=name),
            "string_categorical": lambda: self.string_categorical(name=name),
            "integer_hashed": lambda: self.integer_hashed(self.hashing_dim, name=name),
            "string_hashed": lambda: self.string_hashed(self.hashing_dim, name=name),
        }
        if not isinstance(kind, str) or kind not in makers:
            raise ValueError(
                f"FeatureSpace: feature {name!r} has an unknown kind {kind!r}; use one of {sorted(makers)} "
                "or a FeatureSpace.float()... object"
            )
        return makers[kind]()

    def _standardize_cross(self, cross):
        if not isinstance(cross, Cross):
            if not self.crossing_dim:
                raise ValueError("FeatureSpace: crosses given as names need crossing_dim (the number of bins)")
            cross = Cross(cross, crossing_dim=self.crossing_dim)
        unknown = [name for name in cross.feature_names if name not in self.features]
        if unknown:
            raise ValueError(
                f"FeatureSpace: the cross {cross.feature_names} names unknown features {unknown}; "
                f"the features are {list(self.features)}"
            )
        return cross

    # --- adapt ------------------------------------------------------------------------------------
    def _adaptable_names(self):
        """The features whose preprocessor still has something to learn."""
        names = []
        for name, preprocessor in self.preprocessors.items():
            if isinstance(preprocessor, Normalization) and preprocessor.input_mean is not None:
                continue
            if isinstance(preprocessor, (StringLookup, IntegerLookup, TextVectorization)) and getattr(
                preprocessor, "_has_input_vocabulary", False
            ):
                continue
            if isinstance(preprocessor, Discretization) and preprocessor.num_bins is None:
                continue  # given its bin boundaries
            if hasattr(preprocessor, "adapt"):
                names.append(name)
        return names

    def adapt(self, dataset):
        """Learn what the preprocessing layers need from ``dataset``: a learnet ``Dataset``
        (batched or not) of feature dicts, as ``train_ds.map(lambda x, y: x)`` gives, or a
        dict of columns."""
        if isinstance(dataset, dict):
            dataset = Dataset.from_tensor_slices(dataset)
        if not hasattr(dataset, "__iter__") or isinstance(dataset, (str, bytes, numpy.ndarray, Tensor)):
            raise ValueError(
                "FeatureSpace.adapt expects a Dataset of feature dicts or a dict of columns, "
                f"got {type(dataset).__name__}"
            )
        names = self._adaptable_names()
        batches = {name: [] for name in names}
        elements = dataset.as_numpy_iterator() if hasattr(dataset, "as_numpy_iterator") else iter(dataset)
        for element in elements:
            if not isinstance(element, dict):
                raise ValueError(
                    "FeatureSpace.adapt expects a dataset of feature dicts, got elements of type "
                    f"{type(element).__name__}; for (features, label) pairs use dataset.map(lambda x, y: x)"
                )
            missing = [name for name in names if name not in element]
            if missing:
                raise ValueError(f"FeatureSpace.adapt: the dataset has no feature {missing}; it has {list(element)}")
            for name in names:
                batches[name].append(_as_numpy(element[name]))
        for name in names:
            columns = batches[name]
            if not columns:
                raise ValueError("FeatureSpace.adapt: the dataset is empty")
            if columns[0].ndim == 0:  # single values: batched as Keras does
                values = numpy.stack(columns)
                columns = [values[i : i + _ADAPT_SCALAR_BATCH] for i in range(0, len(values), _ADAPT_SCALAR_BATCH)]
            columns = [column[:, None] if column.ndim == 1 else column for column in columns]
            preprocessor = self.preprocessors[name]
            if isinstance(preprocessor, Discretization):
                preprocessor.adapt(columns)  # batch by batch: its quantile summary follows Keras'
            else:
                preprocessor.adapt(numpy.concatenate(columns))
        self._is_adapted = True
        self._built = False
        self.encoded_features = None
        self._build()

    def _check_if_adapted(self):
        if not self._is_adapted:
            if self._adaptable_names():
                raise ValueError(
                    f"FeatureSpace: call adapt(dataset) before using it; the features {self._adaptable_names()} "
                    "learn from data (vocabularies, means, bin boundaries)"
                )
            self._is_adapted = True

    # --- encoding ---------------------------------------------------------------------------------
    def _spec(self, name):
        return self.features.get(name) or self.crosses_by_name[name]

    def _cardinality(self, name):
        """The number of values the preprocessor (or crosser) of ``name`` gives: the one-hot width."""
        layer = self.preprocessors.get(name) or self.crossers.get(name)
        if isinstance(layer, (IntegerLookup, StringLookup)):
            return layer.vocabulary_size()
        if isinstance(layer, CategoryEncoding):
            return layer.num_tokens
        if isinstance(layer, Discretization):
            return len(layer.bin_boundaries) + 1
        if isinstance(layer, (Hashing, HashedCrossing)):
            return layer.num_bins
        raise ValueError(
            f"FeatureSpace: feature {name!r} has output_mode='one_hot', but the size of what its preprocessor "
            f"{type(layer).__name__} gives is not known, so it cannot be one-hot encoded; use output_mode='int'"
        )

    def _build(self):
        """Make the one-hot encoders and the concatenation, and the symbolic encoded features."""
        if self._built:
            return
        self._check_if_adapted()
        self.one_hot_encoders = {}
        for name in self._ordered_names():
            if self._spec(name).output_mode == "one_hot":
                self.one_hot_encoders[name] = CategoryEncoding(
                    num_tokens=self._cardinality(name), output_mode="multi_hot", name=f"{name}_one_hot"
                )
            elif self.output_mode == "concat" and self._spec(name).output_mode == "int":
                raise ValueError(
                    f"FeatureSpace: cannot concatenate feature {name!r}: it is not encoded (output_mode='int'); "
                    "use output_mode='dict' for the FeatureSpace, or 'one_hot' for the feature"
                )
        self.concat = layers.Concatenate(axis=-1, name=f"{self.name}_concat") if self.output_mode == "concat" else None
        self._built = True
        self.encoded_features = self._encode(self.inputs)

    def _ordered_names(self):
        return sorted(self.features) + sorted(self.crosses_by_name)

    def _encode(self, inputs):
        """Preprocess, cross, one-hot and merge: the same steps for symbolic and real inputs."""
        outputs = {name: self.preprocessors[name](inputs[name]) for name in self.features}
        for cross in self.crosses:
            outputs[cross.name] = self.crossers[cross.name]([outputs[name] for name in cross.feature_names])
        encoded = {}
        for name in self._ordered_names():
            encoder = self.one_hot_encoders.get(name)
            encoded[name] = encoder(outputs[name]) if encoder is not None else outputs[name]
        if self.output_mode == "dict":
            return encoded
        return self.concat([encoded[name] for name in self._ordered_names()])

    def get_inputs(self):
        """A dict of ``Input`` tensors, one per feature (shape ``(None, 1)``), for a functional model."""
        self._build()
        return self.inputs

    def get_encoded_features(self):
        """The encoded features of ``get_inputs()``, symbolic: a tensor (``"concat"``) or a dict."""
        self._build()
        return self.encoded_features

    def __call__(self, data):
        """Encode a dict of columns (batched, shape ``(batch,)`` or ``(batch, 1)``, or single values)."""
        self._build()
        if not isinstance(data, dict):
            raise ValueError(f"FeatureSpace can only be called on a dict of features, got {type(data).__name__}")
        unknown = [name for name in data if name not in self.features]
        missing = [name for name in self.features if name not in data]
        if unknown or missing:
            raise ValueError(
                f"FeatureSpace: the data's features do not match; unknown: {unknown}, missing: {missing} "
                f"(the features are {list(self.features)})"
            )
        columns, single = {}, False
        for name, value in data.items():
            columns[name], rebatched = _as_column(value)
            single = single or rebatched
        merged = self._encode(columns)
        if single:  # single values in, one row out: the batch axis goes again
            if self.output_mode == "concat":
                return Tensor._wrap(merged.numpy()[0])
            return {
                name: Tensor._wrap(x.numpy()[0]) if len(x.shape) == 2 and x.shape[0] == 1 else x
                for name, x in merged.items()
            }
        return merged

    def get_config(self):
        return {
            "features": {name: feature.get_config() for name, feature in self.features.items()},
            "output_mode": self.output_mode,
            "crosses": [cross.get_config() for cross in self.crosses],
            "crossing_dim": self.crossing_dim,
            "hashing_dim": self.hashing_dim,
            "num_discretization_bins": self.num_discretization_bins,
        }

    def save(self, filepath):
        """Not supported: learnet cannot save a FeatureSpace to a ``.keras`` file yet."""
        raise NotImplementedError(
            "FeatureSpace.save is not supported in learnet; keep the code that builds and adapts the feature space"
        )
