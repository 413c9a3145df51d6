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

``feature_space.save("space.keras")`` writes Keras 3's own file: a zip holding
``config.json`` (the features, crosses and their layers' configs), ``model.weights.h5``
(the layers' variables: a normalization's mean, variance and count) and, under
``assets/``, the vocabularies that ``adapt`` learned, one token a line. Keras 3 loads it,
and ``keras.saving.load_model`` reads it back as a ``FeatureSpace``, from learnet or from
Keras, through the checks of every Keras file learnet reads (no code runs, Keras modules
only, numbers only in the weights).
"""

import contextvars
import io
import os
import time
import zipfile

import numpy

from learnet import layers
from learnet.data import Dataset
from learnet.layers.base import Layer
from learnet.layers.hashing import HashedCrossing, Hashing
from learnet.layers.lookup import CategoryEncoding, Discretization, IntegerLookup, StringLookup
from learnet.layers.preprocessing import Normalization, Rescaling
from learnet.layers.serialization import InvalidModelFileError
from learnet.layers.text import TextVectorization
from learnet.tensor import Tensor
from learnet import weight_budget

_FEATURE_OUTPUT_MODES = ("int", "one_hot", "float")
_ADAPT_SCALAR_BATCH = 32  # Keras batches a dataset of single values by 32 before adapting
# Where Keras 3 keeps the classes a FeatureSpace's config names besides its layers.
_KERAS_MODULE = "keras.src.layers.preprocessing.feature_space"
_KERAS_IDENTITY = "TFDIdentity"  # Keras' class of FeatureSpace.float()'s preprocessor: _AsFloat here
_VOCABULARY_FILE = "vocabulary.txt"


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
        """The dtype, the preprocessor (described as Keras 3 describes a layer) and the output mode."""
        return {
            "dtype": self.dtype,
            "preprocessor": _preprocessor_to_keras(self.preprocessor),
            "output_mode": self.output_mode,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """The feature ``get_config`` described (the preprocessor is made afresh from its config)."""
        return _feature_from_keras(_described(cls, config), "Feature.from_config", custom_objects)

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
        if not all(isinstance(name, str) for name in self.feature_names):
            raise ValueError(f"FeatureSpace cross: the feature names must be strings, got {self.feature_names}")
        if isinstance(crossing_dim, bool) or not isinstance(crossing_dim, (int, numpy.integer)) or crossing_dim < 1:
            raise ValueError(f"FeatureSpace cross: crossing_dim must be a positive integer, got {crossing_dim!r}")
        self.crossing_dim = int(crossing_dim)
        self.output_mode = output_mode

    @property
    def name(self):
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {
            "feature_names": list(self.feature_names),
            "crossing_dim": self.crossing_dim,
            "output_mode": self.output_mode,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"Cross({self.feature_names}, crossing_dim={self.crossing_dim}, output_mode={self.output_mode!r})"


def _preprocessor_name(name, kind):
    """Keras' name for a feature's preprocessor: ``"<name>_preprocessor"``, the kind (numbered) when unnamed."""
    from learnet.layers.naming import unique_name

    return f"{name or unique_name(kind)}_preprocessor"


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

    ``save("name.keras")`` writes the adapted space in Keras 3's format;
    ``keras.saving.load_model`` reads it back (from learnet or Keras). ``get_config`` /
    ``from_config`` describe the features and crosses as Keras does.

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
        return Feature("float32", _AsFloat(name=_preprocessor_name(name, "float")), "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        """Float values times ``scale`` plus ``offset`` (``Rescaling``)."""
        preprocessor = Rescaling(scale=scale, offset=offset, name=_preprocessor_name(name, "float_rescaled"))
        return Feature("float32", preprocessor, "float")

    @classmethod
    def float_normalized(cls, name=None):
        """Float values standardized with the mean and variance ``adapt`` learns (``Normalization``)."""
        preprocessor = Normalization(axis=-1, name=_preprocessor_name(name, "float_normalized"))
        return Feature("float32", preprocessor, "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot", name=None):
        """Float values put into ``num_bins`` bins at quantiles ``adapt`` learns (or at ``bin_boundaries``)."""
        preprocessor = Discretization(
            num_bins=None if bin_boundaries is not None else num_bins,
            bin_boundaries=bin_boundaries,
            name=_preprocessor_name(name, "float_discretized"),
        )
        return Feature("float32", preprocessor, output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None):
        """Integer categories, indexed in a vocabulary ``adapt`` learns (``IntegerLookup``)."""
        preprocessor = IntegerLookup(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            name=_preprocessor_name(name, "integer_categorical"),
        )
        return Feature("int32", preprocessor, output_mode)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None):
        """String categories, indexed in a vocabulary ``adapt`` learns (``StringLookup``)."""
        preprocessor = StringLookup(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            name=_preprocessor_name(name, "string_categorical"),
        )
        return Feature("string", preprocessor, output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        """String categories hashed into ``num_bins`` bins (``Hashing``): no vocabulary."""
        preprocessor = Hashing(num_bins=num_bins, name=_preprocessor_name(name, "string_hashed"))
        return Feature("string", preprocessor, output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        """Integer categories hashed into ``num_bins`` bins (``Hashing``): no vocabulary."""
        preprocessor = Hashing(num_bins=num_bins, name=_preprocessor_name(name, "integer_hashed"))
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
        self._custom_objects = _CUSTOM_OBJECTS.get()
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
        if isinstance(kind, dict):  # a feature as get_config describes it (from_config)
            return _feature_from_keras(kind, f"FeatureSpace: feature {name!r}", self._custom_objects)
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
        if isinstance(cross, dict):  # a cross as get_config describes it (from_config)
            cross = _cross_from_keras(cross, "FeatureSpace: a cross")
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

    # --- saving ---------------------------------------------------------------------------------------
    def get_config(self):
        """The space as Keras 3 describes it: its features and crosses (serialized Keras objects),
        ``output_mode`` and the default dims. ``FeatureSpace.from_config`` makes an un-adapted space
        from it; what ``adapt`` learned (vocabularies, statistics) is kept by ``save``."""
        return {
            "features": {name: _described_object(feature) for name, feature in self.features.items()},
            "output_mode": self.output_mode,
            "crosses": [_described_object(cross) for cross in self.crosses],
            "crossing_dim": self.crossing_dim,
            "hashing_dim": self.hashing_dim,
            "num_discretization_bins": self.num_discretization_bins,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A space made from ``get_config()``'s dict (``custom_objects``: your own preprocessor classes).

        Examples
        --------
        >>> space = FeatureSpace({"size": "float_normalized", "color": "string_categorical"})
        >>> FeatureSpace.from_config(space.get_config()).get_config() == space.get_config()
        True
        """
        if not isinstance(config, dict):
            raise TypeError(f"FeatureSpace.from_config expects a dict, got {type(config).__name__}")
        token = _CUSTOM_OBJECTS.set(custom_objects)
        try:
            return cls(**config)
        finally:
            _CUSTOM_OBJECTS.reset(token)

    def get_build_config(self):
        """Each feature's preprocessor's build config (its input shape), as Keras 3 saves it."""
        return {name: feature.preprocessor.get_build_config() or {} for name, feature in self.features.items()}

    def _keras_paths(self):
        """``[(path, layer)]``: where Keras 3 keeps each layer of the space in ``model.weights.h5``
        (``preprocessors/normalization``, ``crossers/hashed_crossing``...) and its assets. Each group
        names its layers by class, counted (``integer_lookup``, ``integer_lookup_1``), in the order
        of the space's dicts; a layer inside a preprocessor of your own sits under its attribute."""
        from learnet import keras_files

        groups = [
            ("preprocessors", self.preprocessors.values()),
            ("crossers", self.crossers.values()),
            ("one_hot_encoders", self.one_hot_encoders.values()),
        ]
        paths, visited = [], set()
        for group, held in groups:
            used = {}
            for layer in held:
                name = keras_files._numbered(_keras_class_name(layer), used)
                paths.extend(keras_files._layer_paths(layer, f"{group}/{name}", visited))
        if self.concat is not None:
            paths.append(("concat", self.concat))
        return paths

    def save(self, filepath):
        """Save the adapted space to a ``.keras`` file, as Keras 3 writes it.

        ``keras.saving.load_model(filepath)`` (or ``keras.models.load_model``) reads it back as
        a ``FeatureSpace`` with the same inputs, encoded features and outputs; Keras 3 loads it too.

        Parameters
        ----------
        filepath : str or path-like
            A name ending in ``.keras``. An existing file is replaced (whole, or not at all).

        Raises
        ------
        ValueError
            For a name without ``.keras``, or a space that has not learned what it needs
            (call ``adapt`` first). Nothing is written then.

        Examples
        --------
        >>> import learnet as keras
        >>> space = FeatureSpace({"size": "float_normalized", "color": "string_categorical"})
        >>> space.adapt({"size": [1.0, 2.0, 3.0], "color": ["red", "blue", "red"]})
        >>> space.save("space.keras")                                    # doctest: +SKIP
        >>> loaded = keras.saving.load_model("space.keras")              # doctest: +SKIP
        """
        from learnet import backend, keras_files, saving

        if not isinstance(filepath, (str, os.PathLike)):
            raise TypeError(f"FeatureSpace.save: filepath must be a str or path, got {type(filepath).__name__}")
        filepath = os.fspath(filepath)
        if not str(filepath).endswith(".keras"):
            raise ValueError(
                f"FeatureSpace.save: invalid filepath {filepath!r}: expected a .keras extension "
                "(the feature space is saved in Keras 3's format)"
            )
        if not self._is_adapted and self._adaptable_names():
            raise ValueError(
                f"FeatureSpace.save: call adapt(dataset) before saving; the features {self._adaptable_names()} "
                "have not learned from data yet (vocabularies, means, bin boundaries), so the file could not be used"
            )
        self._build()
        h5py = keras_files._h5py()
        where = f"FeatureSpace.save: {filepath}"
        config = {
            "module": "keras.utils",
            "class_name": "FeatureSpace",
            "config": self.get_config(),
            "registered_name": None,
            "build_config": self.get_build_config(),
        }
        config = saving._plain_json(config, "the FeatureSpace config")
        metadata = {
            "keras_version": keras_files.KERAS_VERSION,
            "date_saved": time.strftime("%Y-%m-%d@%H:%M:%S"),
            "saved_by": "learnet",
        }
        paths = self._keras_paths()
        assets = {}
        buffer = io.BytesIO()
        with h5py.File(buffer, "w") as handle:
            handle.create_group("vars").attrs["name"] = self.name
            for path, layer in paths:
                group = handle.require_group(f"{path}/vars")
                group.attrs["name"] = layer.name
                if _learned_vocabulary(layer):  # the lookups keep their own state too (tf-idf weights)
                    tokens = "\n".join(str(token) for token in layer.get_vocabulary())
                    assets[f"assets/{path}/{_VOCABULARY_FILE}"] = tokens.encode("utf-8")
                if keras_files._overrides(layer, "save_own_variables"):
                    layer.save_own_variables(keras_files._VariablesStore(h5py, group, path, where))
                    continue
                for index, variable in enumerate(keras_files._saved_variables(layer)):
                    group.create_dataset(str(index), data=backend.to_numpy(variable._value))
        weights = buffer.getvalue()

        def write(stream):
            with zipfile.ZipFile(stream, "w") as archive:
                archive.writestr("metadata.json", saving._json_bytes(metadata), compress_type=zipfile.ZIP_DEFLATED)
                archive.writestr("config.json", saving._json_bytes(config), compress_type=zipfile.ZIP_DEFLATED)
                archive.writestr("model.weights.h5", weights, compress_type=zipfile.ZIP_STORED)
                for name, data in assets.items():
                    archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)

        saving.atomic_write(filepath, write)


# --- Keras 3's descriptions of features, crosses and preprocessors -----------------------------------
# Set by FeatureSpace.from_config while the space is made: the classes of your own its
# preprocessors may name.
_CUSTOM_OBJECTS = contextvars.ContextVar("feature_space_custom_objects", default=None)


def _refuse(message):
    raise InvalidModelFileError(message)


def _described(cls, config):
    """``config`` of a ``Feature`` or ``Cross`` wrapped as Keras 3 describes one of them."""
    return {"module": _KERAS_MODULE, "class_name": cls.__name__, "config": config, "registered_name": cls.__name__}


def _described_object(obj):
    return _described(type(obj), obj.get_config())


def _keras_class_name(layer):
    """The class Keras has in place of ``layer``'s (the snake-case name of a file's group)."""
    return _KERAS_IDENTITY if isinstance(layer, _AsFloat) else type(layer).__name__


def _learned_vocabulary(layer):
    """Whether ``layer`` is a lookup whose vocabulary ``adapt`` (or a file's assets) gave it: state,
    which Keras keeps as an asset of the file, not in the config."""
    return (
        isinstance(layer, (StringLookup, IntegerLookup))
        and not layer._has_input_vocabulary
        and layer._tokens is not None
    )


def _preprocessor_to_keras(layer):
    """A preprocessor as Keras 3 describes it: module, class name, config, build config."""
    from learnet import keras_files
    from learnet.layers.serialization import serialize

    entry = keras_files._layer_to_keras(serialize(layer))
    if isinstance(layer, _AsFloat):
        entry.update(module=_KERAS_MODULE, class_name=_KERAS_IDENTITY, registered_name=_KERAS_IDENTITY)
        entry["config"] = {key: entry["config"][key] for key in ("name", "dtype", "trainable")}
    if isinstance(layer, Discretization):  # Keras' Discretization takes no trainable, and a dtype by name
        entry["config"].pop("trainable", None)
        entry["config"]["dtype"] = layer.get_config().get("dtype")
    if isinstance(layer, Normalization) and isinstance(entry["config"].get("axis"), int):
        entry["config"]["axis"] = [entry["config"]["axis"]]  # Keras 3 lists the axes
    if isinstance(layer, Hashing) and entry["config"].get("output_mode") == "int":
        entry["config"]["dtype"] = keras_files._policy("int64")  # Keras' Hashing gives integers in an integer dtype
    if _learned_vocabulary(layer):
        entry["config"]["vocabulary"] = None
    return entry


def _preprocessor_from_keras(entry, where, custom_objects):
    """The layer a Keras 3 description names, through the checks of every Keras file learnet reads."""
    from learnet import keras_files, saving
    from learnet.layers.serialization import deserialize

    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        _refuse(f"{where} is not a layer description (a dict with a class_name and a config)")
    if not isinstance(entry.get("config"), dict):
        _refuse(f"{where} ({entry['class_name']}) has no config")
    if entry["class_name"] == _KERAS_IDENTITY:
        keras_files._check_module(entry, where)
        name = entry["config"].get("name")
        if name is not None and not isinstance(name, str):
            _refuse(f"{where}: the layer's name must be a string, got {type(name).__name__}")
        layer = _AsFloat(name=name)
        if isinstance(entry.get("build_config"), dict):
            layer.build_from_config(entry["build_config"])
        return layer
    layer_entry = keras_files._layer_from_keras(entry, where, custom_objects)
    saving._check_plain(layer_entry, where)
    layer = deserialize(layer_entry, custom_objects)
    if not isinstance(layer, Layer):
        _refuse(f"{where} describes a {type(layer).__name__}, not a layer")
    return layer


def _feature_from_keras(entry, where, custom_objects=None):
    """A ``Feature`` from its description (``FeatureSpace.get_config()["features"][name]``)."""
    from learnet import keras_files

    if not isinstance(entry, dict) or entry.get("class_name") != "Feature" or not isinstance(entry.get("config"), dict):
        _refuse(
            f"{where} is not a FeatureSpace feature: expected a 'Feature' description with a config, got {entry!r:.80}"
        )
    keras_files._check_module(entry, where)
    config = entry["config"]
    unknown = sorted(set(config) - {"dtype", "preprocessor", "output_mode"})
    if unknown:
        _refuse(f"{where}: a Feature takes dtype, preprocessor and output_mode, not {unknown}")
    if not isinstance(config.get("dtype"), str):
        _refuse(f"{where}: the feature's dtype must be a string, got {config.get('dtype')!r}")
    if config.get("output_mode") not in _FEATURE_OUTPUT_MODES:
        _refuse(f"{where}: output_mode must be one of {_FEATURE_OUTPUT_MODES}, got {config.get('output_mode')!r}")
    preprocessor = _preprocessor_from_keras(config.get("preprocessor"), f"{where}: its preprocessor", custom_objects)
    return Feature(config["dtype"], preprocessor, config["output_mode"])


def _cross_from_keras(entry, where):
    """A ``Cross`` from its description (``FeatureSpace.get_config()["crosses"][i]``)."""
    from learnet import keras_files

    if not isinstance(entry, dict) or entry.get("class_name") != "Cross" or not isinstance(entry.get("config"), dict):
        _refuse(f"{where} is not a FeatureSpace cross: expected a 'Cross' description with a config, got {entry!r:.80}")
    keras_files._check_module(entry, where)
    config = entry["config"]
    unknown = sorted(set(config) - {"feature_names", "crossing_dim", "output_mode"})
    if unknown or not isinstance(config.get("feature_names"), (list, tuple)):
        _refuse(f"{where}: a Cross takes a list of feature_names, crossing_dim and output_mode; got {sorted(config)}")
    try:
        return Cross(
            config["feature_names"], config.get("crossing_dim"), output_mode=config.get("output_mode", "one_hot")
        )
    except (TypeError, ValueError) as error:
        raise InvalidModelFileError(f"{where}: {error}") from None


# --- reading a .keras file -------------------------------------------------------------------------
def _space_from_config(config, where, custom_objects):
    from learnet import saving

    features, crosses = config.get("features"), config.get("crosses") or []
    if not isinstance(features, dict) or not features:
        _refuse(f"{where}: the FeatureSpace config has no features (a dict of name -> Feature)")
    if not isinstance(crosses, list):
        _refuse(f"{where}: the FeatureSpace's crosses must be a list, got {type(crosses).__name__}")
    options = {key: value for key, value in config.items() if key not in ("features", "crosses")}
    unknown = sorted(set(options) - {"output_mode", "crossing_dim", "hashing_dim", "num_discretization_bins", "name"})
    if unknown:
        _refuse(f"{where}: the FeatureSpace config holds unknown arguments {unknown}")
    saving._check_plain(options, "the FeatureSpace config")
    features = {
        name: _feature_from_keras(entry, f"{where}: feature {name!r}", custom_objects)
        for name, entry in features.items()
    }
    crosses = [_cross_from_keras(entry, f"{where}: cross {index}") for index, entry in enumerate(crosses)]
    try:
        return FeatureSpace(features=features, crosses=crosses, **options)
    except InvalidModelFileError:
        raise
    except (TypeError, ValueError) as error:
        raise InvalidModelFileError(
            f"{where}: the FeatureSpace config does not make a feature space: {error}"
        ) from None


def _load_vocabularies(space, archive, where):
    """Each lookup's vocabulary from ``assets/<its path>/vocabulary.txt``, a token a line, as Keras keeps it."""
    names = set(archive.names())
    for path, layer in space._keras_paths():
        if not isinstance(layer, (StringLookup, IntegerLookup)) or layer._tokens is not None:
            continue  # not a lookup, or given its vocabulary in the config
        asset = f"assets/{path}/{_VOCABULARY_FILE}"
        if asset not in names:
            _refuse(f"{where}: {type(layer).__name__} {layer.name!r} has no vocabulary: the file holds no {asset}")
        try:
            tokens = archive.read(asset).decode("utf-8").split("\n")
        except UnicodeDecodeError:
            _refuse(f"{where}: {asset} is not UTF-8 text")
        if isinstance(layer, IntegerLookup):
            try:
                tokens = [int(token) for token in tokens if token != ""]
            except ValueError:
                _refuse(f"{where}: {asset} holds a token that is not an integer")
        try:
            layer.set_vocabulary(tokens)
        except (TypeError, ValueError) as error:
            raise InvalidModelFileError(f"{where}: {asset} is not a vocabulary for {layer.name!r}: {error}") from None


def _load_variables(h5py, root, space, where):
    """Every layer's variables from ``<path>/vars/<i>``: all checked (numbers stored in the file, the
    right count and shapes) before any is assigned; a layer's own ``load_own_variables`` reads its own."""
    from learnet import keras_files

    pairs, hooked = [], []
    for path, layer in space._keras_paths():
        found = keras_files._find_group(root, path)
        group = found.get("vars") if isinstance(found, h5py.Group) else None
        group = group if isinstance(group, h5py.Group) else None
        if keras_files._overrides(layer, "load_own_variables"):
            hooked.append((path, layer, group))
            continue
        variables = keras_files._saved_variables(layer)
        stored = len(group) if group is not None else 0
        if stored != len(variables):
            _refuse(
                f"{where}: layer {layer.name!r} has {len(variables)} weights, but the file holds {stored} at {path}/vars"
            )
        for index, variable in enumerate(variables):
            at = f"{where}: {path}/vars/{index}"
            pairs.append((variable, keras_files._dataset(h5py, group, str(index), at), at))
    keras_files._read_into(pairs, where)
    for path, layer, group in hooked:
        try:
            layer.load_own_variables(keras_files._VariablesStore(h5py, group, path, where))
        except Exception as error:  # noqa: BLE001 - a hook of the user's: any failure is the file's
            raise keras_files._hook_failed(where, layer, "load_own_variables", error) from None


def load_keras_file(archive, keras_config, where, custom_objects=None):
    """The ``FeatureSpace`` of a ``.keras`` file that ``feature_space.save`` wrote, in Keras 3 or learnet.

    ``keras.saving.load_model`` calls it (through ``learnet.keras_files``) once it has opened and
    size-checked the archive and read ``config.json`` (``keras_config``). The layers are made from
    their configs, the lookups get their vocabularies from the assets, the preprocessors are built
    and their variables read; the space is then adapted and built, as Keras leaves it.
    """
    from learnet import keras_files

    h5py = keras_files._h5py()
    keras_files._check_module(keras_config, where)
    config = keras_config.get("config")
    if not isinstance(config, dict):
        _refuse(f"{where}: config.json holds a FeatureSpace without a config")
    if "model.weights.h5" not in archive.names():
        _refuse(f"{where} has no model.weights.h5")
    weights = archive.read("model.weights.h5")
    handle, declared = keras_files._open_h5(h5py, io.BytesIO(weights), f"{where}: model.weights.h5", len(weights))
    try:
        # The layers may create no more bytes of weights than the file holds.
        with weight_budget.limit(declared + (1 << 16), where):
            space = _space_from_config(config, where, custom_objects)
            builds = keras_config.get("build_config")
            for name, build in (builds if isinstance(builds, dict) else {}).items():
                preprocessor = space.preprocessors.get(name)
                if preprocessor is not None and isinstance(build, dict) and not preprocessor.built:
                    try:
                        preprocessor.build_from_config(build)
                    except (TypeError, ValueError) as error:
                        raise InvalidModelFileError(
                            f"{where}: cannot build the preprocessor of {name!r}: {error}"
                        ) from None
        _load_vocabularies(space, archive, where)
        _load_variables(h5py, handle, space, where)
    finally:
        handle.close()
    space._is_adapted = True
    try:
        space._build()
    except InvalidModelFileError:
        raise
    except (TypeError, ValueError, RuntimeError) as error:
        raise InvalidModelFileError(f"{where}: the loaded feature space cannot be built: {error}") from None
    return space
