"""``keras.mixed_precision``: the dtype policy layers compute with.

Keras trains faster on GPUs with ``set_global_policy("mixed_float16")``: layers compute in
float16 and keep float32 weights. learnet computes with NumPy (or CuPy), where float16
brings no such speed, so a ``mixed_*`` policy is accepted and learnet keeps computing in
float32, with a warning that says so; a plain float policy (``"float64"``) changes the
default float type of new layers and tensors, as ``keras.backend.set_floatx`` does.

Examples
--------
>>> import learnet as keras
>>> keras.mixed_precision.set_global_policy("float64")
>>> keras.mixed_precision.global_policy()
<DTypePolicy "float64">
>>> keras.layers.Dense(2).dtype
'float64'
>>> keras.mixed_precision.set_global_policy("float32")
"""

import warnings

from learnet import backend

__all__ = [
    "DTypePolicy",
    "Policy",
    "QuantizedDTypePolicy",
    "QuantizedFloat8DTypePolicy",
    "Int4DTypePolicy",
    "FloatDTypePolicy",
    "get",
    "serialize",
    "deserialize",
    "global_policy",
    "set_global_policy",
    "dtype_policy",
    "set_dtype_policy",
]

_FLOATS = ("float16", "float32", "float64")
_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
# The policies of layers that work on other types (lookups, hashing): Keras names them by dtype.
_OTHERS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool", "string")


class DTypePolicy:
    """A dtype policy: the dtype layers compute in (``compute_dtype``) and keep weights in (``variable_dtype``).

    Parameters
    ----------
    name : str
        ``"float32"``, ``"float64"``, ``"float16"``, ``"mixed_float16"`` or ``"mixed_bfloat16"``;
        the policy of a layer of another type is its dtype's name (``"int64"``, ``"string"``).

    Examples
    --------
    >>> import learnet as keras
    >>> policy = keras.mixed_precision.DTypePolicy("mixed_float16")
    >>> policy.name, policy.compute_dtype, policy.variable_dtype
    ('mixed_float16', 'float16', 'float32')
    >>> keras.layers.Dense(2, dtype=policy).dtype_policy
    <DTypePolicy "mixed_float16">
    """

    def __init__(self, name=None):
        name = backend.floatx() if name is None else str(name)
        if name == "object":
            name = "string"  # learnet keeps text in object arrays; Keras names the type string
        if name not in _FLOATS and name not in _MIXED and name not in _OTHERS:
            raise ValueError(f"DTypePolicy: unknown policy {name!r}; use one of {list(_FLOATS) + list(_MIXED)}")
        self._name = name

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        """What Keras computes in under this policy (``"float16"`` for ``"mixed_float16"``)."""
        return _MIXED.get(self._name, self._name)

    @property
    def variable_dtype(self):
        """What the weights are kept in (``"float32"`` for a mixed policy)."""
        return "float32" if self._name in _MIXED else self._name

    @property
    def quantization_mode(self):
        """``"int8"`` or ``"float8"`` for a quantized policy, else None."""
        return None

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'


Policy = DTypePolicy  # tf.keras 2's name


class FloatDTypePolicy(DTypePolicy):
    """Keras 3's earlier name of a float policy (``"float32"``, ``"mixed_float16"``); it
    is a ``DTypePolicy`` in every way, and files that name it load as one.

    Examples
    --------
    >>> import learnet as keras
    >>> keras.dtype_policies.FloatDTypePolicy("float16")
    <DTypePolicy "float16">
    """


# --- quantized policies (``Layer.quantize``) ------------------------------------------------------------
_QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")


class QuantizedDTypePolicy(DTypePolicy):
    """The policy of a quantized layer: ``"<mode>_from_<source>"`` (``"int8_from_float32"``).

    It computes as its source policy does; ``quantization_mode`` says how the weights
    are stored. ``Layer.quantize`` sets it; a layer read from a file rebuilds its
    quantized variables from it.

    Parameters
    ----------
    mode : {"int8", "float8"}
    source_name : str, optional
        The policy the layer had before (the global policy by default).

    Examples
    --------
    >>> import learnet as keras
    >>> policy = keras.mixed_precision.QuantizedDTypePolicy("int8", "float32")
    >>> policy.name, policy.compute_dtype, policy.quantization_mode
    ('int8_from_float32', 'float32', 'int8')
    """

    def __init__(self, mode, source_name=None):
        source_name = global_policy().name if source_name is None else str(source_name)
        if mode not in _QUANTIZATION_MODES:
            raise ValueError(f"Invalid quantization mode. Expected one of {_QUANTIZATION_MODES}. Received: mode={mode}")
        source = DTypePolicy(source_name)  # refuses an unknown source
        if source.compute_dtype == "float16" and mode == "int8":
            raise ValueError(f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'.")
        self._name = f"{mode}_from_{source_name}"
        self._source = source
        self._mode = mode

    @property
    def compute_dtype(self):
        return self._source.compute_dtype

    @property
    def variable_dtype(self):
        return self._source.variable_dtype

    @property
    def quantization_mode(self):
        return self._mode

    def get_config(self):
        return {"mode": self._mode, "source_name": self._source.name}

    def __eq__(self, other):
        return type(other) is type(self) and other.get_config() == self.get_config()

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return f'<{type(self).__name__} "{self._name}">'


class QuantizedFloat8DTypePolicy(QuantizedDTypePolicy):
    """The policy of a layer quantized to ``"float8"``: also the length of the amax
    histories of delayed scaling (1024 by default, as in Keras).

    Examples
    --------
    >>> import learnet as keras
    >>> keras.mixed_precision.QuantizedFloat8DTypePolicy("float8", "mixed_bfloat16").name
    'float8_from_mixed_bfloat16'
    """

    default_amax_history_length = 1024

    def __init__(self, mode, source_name=None, amax_history_length=1024):
        super().__init__(mode, source_name)
        if isinstance(amax_history_length, bool) or not isinstance(amax_history_length, int):
            raise TypeError(
                f"`amax_history_length` must be an integer. Received: amax_history_length={amax_history_length}"
            )
        self._amax_history_length = amax_history_length

    @property
    def amax_history_length(self):
        return self._amax_history_length

    def get_config(self):
        return {**super().get_config(), "amax_history_length": self._amax_history_length}


class Int4DTypePolicy(QuantizedDTypePolicy):
    """The policy of a layer quantized to ``"int4"``: ``"int4/<block_size>_from_<source>"``,
    where the block size is the number of kernel rows that share a scale (``-1``: one scale
    per output channel), as Keras 3 names it.

    Examples
    --------
    >>> import learnet as keras
    >>> policy = keras.mixed_precision.get("int4/128_from_float32")
    >>> policy.quantization_mode, policy.block_size, policy.get_config()
    ('int4', 128, {'mode': 'int4/128', 'source_name': 'float32'})
    """

    def __init__(self, mode, source_name=None):
        parts = str(mode).split("/")
        if len(parts) != 2 or parts[0] != "int4":
            raise ValueError(
                f"Invalid mode for Int4DTypePolicy. Expected format 'int4/<block_size>', but got '{mode}'."
            )
        try:
            block_size = int(parts[1])
        except ValueError:
            raise ValueError(
                "Invalid mode for Int4DTypePolicy. <block_size> must be an integer. Expected format "
                f"'int4/<block_size>', but got '{mode}'."
            ) from None
        if block_size < -1 or block_size == 0:
            raise ValueError(
                "Invalid block_size in mode. Supported values are -1 (per-channel) or a positive integer "
                f"(sub-channel), but got {block_size} from '{mode}'."
            )
        super().__init__("int4", source_name)
        self._name = f"int4/{block_size}_from_{self._source.name}"
        self.block_size = block_size

    def get_config(self):
        return {"mode": f"int4/{self.block_size}", "source_name": self._source.name}


def is_quantized_name(name):
    """Whether ``name`` names a quantized policy (``"int8_from_float32"``)."""
    if not isinstance(name, str) or "_from_" not in name:
        return False
    return name.split("_from_", 1)[0].split("/")[0] in _QUANTIZATION_MODES


def policy_name_of_config(config, default):
    """The policy name in a serialized policy's config: ``{"name": ...}`` or Keras'
    ``{"mode": "int8", "source_name": "float32"}``."""
    if isinstance(config, dict) and "mode" in config and "source_name" in config:
        return f"{config['mode']}_from_{config['source_name']}"
    return config.get("name", default) if isinstance(config, dict) else default


def get(identifier):
    """A dtype policy from a name, a serialized policy or a policy (``keras.mixed_precision.get``).

    Examples
    --------
    >>> import learnet as keras
    >>> keras.mixed_precision.get("float8_from_float32")
    <QuantizedFloat8DTypePolicy "float8_from_float32">
    """
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        if "class_name" in identifier:
            return deserialize(identifier)
        identifier = policy_name_of_config(identifier.get("config", identifier), None)
    if not isinstance(identifier, str):
        raise ValueError(f"Cannot interpret `dtype` argument. Received: {identifier!r}")
    if is_quantized_name(identifier):
        mode, source = identifier.split("_from_", 1)
        if mode.startswith("float8"):
            return QuantizedFloat8DTypePolicy(mode, source)
        if mode.startswith("int4/"):
            return Int4DTypePolicy(mode, source)
        return QuantizedDTypePolicy(mode, source)
    return DTypePolicy(identifier)


_BY_CLASS_NAME = {
    "DTypePolicy": DTypePolicy,
    "FloatDTypePolicy": DTypePolicy,
    "Policy": DTypePolicy,
    "QuantizedDTypePolicy": QuantizedDTypePolicy,
    "QuantizedFloat8DTypePolicy": QuantizedFloat8DTypePolicy,
    "Int4DTypePolicy": Int4DTypePolicy,
}


def serialize(policy):
    """A policy as Keras 3 writes it in a ``.keras`` file (``keras.dtype_policies.serialize``).

    A float policy is ``{"module": "keras", "class_name": "DTypePolicy", "config": {"name": ...}}``;
    a quantized one names its own class under ``keras.dtype_policies``, with its mode and source.

    Examples
    --------
    >>> import learnet as keras
    >>> keras.dtype_policies.serialize(keras.dtype_policies.get("int8_from_float32"))["config"]
    {'mode': 'int8', 'source_name': 'float32'}
    """
    policy = get(policy)
    if isinstance(policy, QuantizedDTypePolicy):
        module, class_name = "keras.dtype_policies", type(policy).__name__
    else:
        module, class_name = "keras", "DTypePolicy"
    return {"module": module, "class_name": class_name, "config": policy.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """The policy a serialized one (``serialize``'s form, or Keras 3's) describes.

    Raises ``ValueError`` for a class that is not a dtype policy or a config that does not fit it.

    Examples
    --------
    >>> import learnet as keras
    >>> keras.dtype_policies.deserialize(
    ...     {"class_name": "QuantizedDTypePolicy", "config": {"mode": "int8", "source_name": "float32"}}
    ... )
    <QuantizedDTypePolicy "int8_from_float32">
    """
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        raise ValueError(f"dtype_policies.deserialize: expected a serialized dtype policy, got {config!r}")
    class_name = config.get("class_name")
    inner = config["config"]
    cls = _BY_CLASS_NAME.get(class_name)
    if cls is None and custom_objects and class_name in custom_objects:
        cls = custom_objects[class_name]
    if cls is None:
        raise ValueError(
            f"dtype_policies.deserialize: unknown dtype policy class {class_name!r}; expected one of "
            f"{sorted(_BY_CLASS_NAME)}"
        )
    if cls is DTypePolicy:
        if not isinstance(inner.get("name"), str):
            raise ValueError(f"dtype_policies.deserialize: a {class_name} needs a 'name', got {inner!r}")
        policy = get(inner["name"])  # a float policy, or a quantized one written by name
        return policy
    if not isinstance(inner.get("mode"), str):
        raise ValueError(f"dtype_policies.deserialize: a {class_name} needs a 'mode', got {inner!r}")
    try:
        return cls(**inner)
    except TypeError as error:
        raise ValueError(f"dtype_policies.deserialize: {class_name} cannot take {inner!r} ({error})") from None


_global = [None]


def set_global_policy(policy):
    """Set the policy of the layers made from now on: a name or a ``DTypePolicy``.

    A float policy sets learnet's default float type; a mixed policy keeps float32 (see
    the module's note) and warns once.
    """
    policy = policy if isinstance(policy, DTypePolicy) else DTypePolicy(policy)
    if policy.name in _OTHERS:
        raise ValueError(
            f"set_global_policy: unknown policy {policy.name!r} for every layer; use one of "
            f"{list(_FLOATS) + list(_MIXED)}"
        )
    if policy.name in _MIXED:
        warnings.warn(
            f"mixed precision ({policy.name!r}) speeds up GPUs with half-precision units; learnet keeps "
            "computing in float32, with the same results up to rounding",
            stacklevel=2,
        )
        backend.set_floatx("float32")
    else:
        backend.set_floatx(policy.name)
    _global[0] = policy


def global_policy():
    """The policy new layers get (the default float type when none was set)."""
    if _global[0] is None or (_global[0].name in _FLOATS and _global[0].name != backend.floatx()):
        return DTypePolicy(backend.floatx())
    return _global[0]


# Keras 3's other spellings.
dtype_policy = global_policy
set_dtype_policy = set_global_policy


def __getattr__(name):
    # keras.mixed_precision.LossScaleOptimizer is keras.optimizers.LossScaleOptimizer (imported
    # when first asked for: the optimizers need nothing from here).
    if name == "dtype_policies":  # keras.dtype_policies: the same policies, Keras 3's namespace
        import sys

        return sys.modules[__name__]
    if name == "LossScaleOptimizer":
        from learnet.optimizers import LossScaleOptimizer

        return LossScaleOptimizer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
