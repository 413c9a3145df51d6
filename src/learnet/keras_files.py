"""Keras' own files: Keras 3 ``.keras``, legacy tf.keras 2 ``.h5`` and ``.weights.h5``.

learnet reads and writes them so that models travel between learnet and Keras:

* ``.keras`` (Keras 3): a zip of ``metadata.json``, ``config.json`` (the architecture and
  the compile arguments) and ``model.weights.h5`` (HDF5: ``layers/<layer>/vars/<i>``).
  ``load_model`` reads it, ``model.save("x.keras")`` writes one that Keras 3 loads.
* ``.h5`` (tf.keras 2): one HDF5 file whose ``model_config`` attribute is the
  architecture and whose ``model_weights`` group holds the weights. ``load_model`` and
  ``load_weights`` read it.
* ``.weights.h5``: the weights alone, in the Keras 3 layout (``save_weights`` writes it;
  ``load_weights`` reads it and the tf.keras 2 layout).

Reading never runs code from the file. A config is translated into learnet's own
config before anything is created: every ``module`` it names must be part of Keras
(it is never imported; classes come only from learnet's registry and
``custom_objects``), ``Lambda`` layers and serialized functions are refused, and the
result passes the same plain-data check as learnet's own files. HDF5 datasets are
read only when they are plain numbers whose shape matches the layer's weight; links
to other files, virtual and compound datasets are refused; and the layers may create
no more bytes of weights than the file holds (a small file asking for
``Dense(10**8)`` is refused before anything is allocated). Every problem raises
``InvalidModelFileError``.

The saving hooks of Keras 3 are honoured as Keras calls them: a layer's (or model's)
own ``save_own_variables(store)`` / ``load_own_variables(store)`` writes and reads its
``vars`` group (a dict-like ``store`` of number arrays), ``save_assets(dir_path)`` /
``load_assets(dir_path)`` its folder under the archive's ``assets/<layer path>/``, and a
model's own ``get_compile_config`` / ``compile_from_config`` its compile config (written
with ``serialize_keras_object``). Loading runs them in Keras' order: build
(``build_from_config``), compile, variables, assets; a hook that fails is reported as an
``InvalidModelFileError`` naming the layer, and ``load_weights`` then puts every variable
back as it was.

HDF5 goes through ``h5py`` (``pip install "learnet[keras]"``).

Examples
--------
>>> import learnet as keras
>>> model = keras.models.load_model("from_keras.keras")        # doctest: +SKIP
>>> model.save("for_keras.keras")                               # doctest: +SKIP
>>> model.load_weights("tf2_model.h5")                          # doctest: +SKIP
"""

import io
import json
import os
import re
import time
import warnings
import zipfile

import numpy as np

# The class registry and the checks shared with learnet's own format: imported in this
# one place only.
from learnet import registry, tree
from learnet import saving as _saving
from learnet.layers.serialization import _DOTTED_PATH
from learnet import weight_budget
from learnet.module import graph_operations
from learnet.version import LEARNET_VERSION

InvalidModelFileError = _saving.InvalidModelFileError


def _is_model(value):
    """Whether ``value`` is a learnet model (saving and its formats sit below ``models``: no import)."""
    return callable(getattr(value, "fit", None)) and hasattr(value, "layers")


HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
KERAS_VERSION = "3.5.0"  # the oldest Keras 3 whose files ours resemble; written in metadata.json

# A module named in a config must be Keras itself; it is only checked, never imported.
_KERAS_MODULE = re.compile(r"^(tf_)?keras(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_CODE_LAYERS = {"Lambda", "TFOpLambda", "SlicingOpLambda", "TFLambda"}
_POLICIES = {
    "DTypePolicy",
    "FloatDTypePolicy",
    "Policy",
    "QuantizedDTypePolicy",
    "QuantizedFloat8DTypePolicy",
    "Int4DTypePolicy",
}
# Keras-only arguments learnet does not have, dropped when they hold their default
# (any other value is passed on, and the layer refuses it with a clear error).
_KERAS_DEFAULTS = {
    "ragged": False,
    "optional": False,
    "quantization_config": None,
    "synchronized": False,
    "renorm": False,
    "renorm_clipping": None,
    "renorm_momentum": 0.99,
    "input_axes": None,
    "output_axes": None,
    "lora_rank": None,
    "lora_alpha": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
    "jit_compile": True,
    "is_legacy_optimizer": False,
    "decay": 0.0,
    "rms_scaling": False,
    "antialias": False,
    "pad_to_aspect_ratio": False,
}
_AUGMENTATION = ("RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast", "Resizing")
# The same for arguments of some classes only.
_KERAS_CLASS_DEFAULTS = {
    **{name: {"data_format": "channels_last"} for name in _AUGMENTATION},
    "Resizing": {"data_format": "channels_last", "fill_mode": "constant", "fill_value": 0.0},
    "RandomContrast": {"data_format": "channels_last", "value_range": [0, 255]},
}
# Keras writes these in a config for information only (the vocabulary's size follows from it).
_KERAS_DERIVED = {"TextVectorization": ("vocabulary_size",), "StringLookup": ("vocabulary_size",)}
_KERAS_DERIVED["IntegerLookup"] = _KERAS_DERIVED["StringLookup"]
# learnet arguments that Keras' class does not take, dropped (when default) on writing.
_LEARNET_ONLY = {
    "Conv1DTranspose": {"groups": 1},
    "Conv2DTranspose": {"groups": 1},
    "SpatialDropout1D": {"trainable": True},
    "SpatialDropout2D": {"trainable": True},
}
_SERIAL_KEYS = {
    "class_name",
    "config",
    "module",
    "registered_name",
    "shared_object_id",
    "build_config",
    "compile_config",
}
_MODEL_CLASSES = {"Sequential", "Functional", "Model"}
# Class names Keras writes (its legacy .h5 names a layer by its source class) for learnet's classes.
_KERAS_CLASS_ALIASES = {"GroupedQueryAttention": "GroupQueryAttention"}


def _is_keras_layer_entry(value):
    """Whether ``value`` is a serialized layer (``{"module", "class_name", "config", ...}``)."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("class_name"), str)
        and isinstance(value.get("config"), dict)
        and set(value) <= _SERIAL_KEYS
    )


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError(
            "Keras .h5 and .keras files are HDF5 inside, and reading or writing them needs h5py; "
            'install it with: pip install "learnet[keras]"'
        ) from None
    return h5py


def is_hdf5(filepath):
    """Whether the file starts with the HDF5 signature."""
    try:
        with open(filepath, "rb") as stream:
            return stream.read(8) == HDF5_SIGNATURE
    except OSError:
        return False


# --- Keras configs -> learnet configs ----------------------------------------------------------------
def _refuse(message):
    raise InvalidModelFileError(message)


def _check_module(value, where):
    module = value.get("module")
    if module is not None and not (isinstance(module, str) and _KERAS_MODULE.match(module)):
        _refuse(
            f"{where} names the Python module {module!r}, which is not part of Keras; learnet never "
            "imports code named in a file"
        )


def _users_class(value, custom_objects):
    """Whether ``value`` names a class the user passed in ``custom_objects`` or registered."""
    class_name, registered = value.get("class_name"), value.get("registered_name")
    if not isinstance(class_name, str) or class_name in ("function", "__lambda__") or class_name in _CODE_LAYERS:
        return False
    for name in (registered, class_name):
        if isinstance(name, str):
            found = _saving.get_registered_object(name, custom_objects)
            if isinstance(found, type) and found is not registry.builtin_class(class_name):
                return True
    return False


def _from_keras_object(value, where, custom_objects):
    """A serialized Keras object (``{"module", "class_name", "config", ...}``) as learnet data."""
    if not (value.get("class_name") == "function" and value.get("module") == "builtins") and not _users_class(
        value, custom_objects
    ):
        # Keras 3 writes a function given by name under "builtins", and a class of the user's
        # own under the user's module: that class comes from custom_objects or the registry
        # (never imported), so its module is only a name. Anything else must be Keras'.
        _check_module(value, where)
    class_name = value.get("class_name")
    if not isinstance(class_name, str):
        _refuse(f"{where} has a class_name that is not text")
    config = value.get("config")
    if class_name in ("function", "__lambda__") or "function_type" in value:
        # A function given by name (activations, losses): only a bare name, resolved later
        # in learnet's own tables; anything else would be code.
        if class_name == "function" and isinstance(config, str) and _DOTTED_PATH.match(config) is None:
            return config
        _refuse(f"{where} holds a serialized Python function ({class_name}); learnet never runs code from a file")
    if class_name in _POLICIES:
        # By name: a float or mixed policy ({"name": "mixed_float16"}, whose variables stay
        # float32) or a quantized one (Keras writes {"mode": "int8", "source_name": "float32"}).
        from learnet import mixed_precision

        name = mixed_precision.policy_name_of_config(config, None) if isinstance(config, dict) else None
        if not isinstance(name, str):
            _refuse(f"{where}: a dtype policy without a name or a mode")
        return name
    if class_name in _CODE_LAYERS:
        _refuse(
            f"{where} is a {class_name} layer, which holds Python code; learnet never runs code from a "
            "file. Rebuild the model in learnet with ordinary layers and load the weights only"
        )
    registered = value.get("registered_name")
    if (
        registered is not None
        and registered != class_name
        and class_name not in _MODEL_CLASSES
        and (
            not isinstance(registered, str)
            or (
                _saving.get_registered_object(registered, custom_objects) is None
                and _saving.get_registered_object(class_name, custom_objects) is None
            )
        )
    ):
        _refuse(
            f"{where} names the custom object {registered!r}; pass it in custom_objects="
            f"{{{registered!r}: ...}} to load_model if you trust it"
        )
    if (
        isinstance(registered, str)
        and registered != class_name
        and _saving.get_registered_object(registered, custom_objects) is not None
    ):
        # The class registered under that full name ("Package>Name"): another class of the same
        # short name (registered in another package) must not be taken for it.
        class_name = registered
    result = {"class_name": class_name, "config": _from_keras_value(config, f"{where}['config']", custom_objects)}
    if isinstance(value.get("build_config"), dict):
        result["build_config"] = value["build_config"]
    return result


def _from_keras_value(value, where, custom_objects):
    if isinstance(value, list):
        return [_from_keras_value(item, f"{where}[{i}]", custom_objects) for i, item in enumerate(value)]
    if isinstance(value, dict):
        if isinstance(value.get("class_name"), str) and set(value) <= _SERIAL_KEYS:
            return _from_keras_object(value, where, custom_objects)
        return {key: _from_keras_value(item, f"{where}[{key!r}]", custom_objects) for key, item in value.items()}
    return value


def _drop_keras_defaults(config):
    for key, default in _KERAS_DEFAULTS.items():
        if key in config and config[key] == default:
            del config[key]
    if config.get("use_ema") is None:
        config.pop("ema_momentum", None)
    for key, item in list(config.items()):
        for nested in item if isinstance(item, list) else [item]:  # StackedRNNCells: a list of cells
            if isinstance(nested, dict) and isinstance(nested.get("config"), dict):
                _drop_keras_defaults(nested["config"])


def layer_config_from_keras(entry, custom_objects=None, where="the Keras layer config"):
    """One layer (or model) as ``keras.layers.serialize`` wrote it, as learnet's entry:
    ``{"class_name", "config"}`` with Keras-only arguments at their defaults dropped, a model's
    calls translated, as when a ``.keras`` file is read."""
    return _layer_from_keras(entry, where, custom_objects)


def _layer_from_keras(entry, where, custom_objects):
    """One layer entry of a Keras model config, as a learnet layer entry."""
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        _refuse(f"{where} is not a layer entry")
    class_name = entry["class_name"]
    if class_name in ("function", "__lambda__", "__keras_tensor__") or not isinstance(entry.get("config"), dict):
        _refuse(f"{where} is a {class_name!r}, not a layer; learnet never runs code named in a file")
    name = entry.get("name") or entry["config"].get("name")
    where = f"{where} ({class_name} {name!r})" if name else where
    if str(entry.get("module")).startswith(_KERAS_OPS_MODULE):
        return _operation_from_keras(entry, where, custom_objects)
    if class_name in ("TFOpLambda", "SlicingOpLambda"):
        return _tf_operation_from_keras(entry, where)
    if class_name in _MODEL_CLASSES:
        _check_module(entry, where)
        return model_config_from_keras(entry, custom_objects, where)
    if class_name in _KERAS_CLASS_ALIASES and registry.builtin_class(class_name) is None:
        entry = {**entry, "class_name": _KERAS_CLASS_ALIASES[class_name]}
    # The layers a layer holds (TimeDistributed's layer, a Pipeline's layers...) are whole layer
    # entries: translated as the model's own layers are (a nested model as a model).
    nested = {}
    for key in _NESTED_LAYER_KEYS + ("layers",):
        value = entry["config"].get(key)
        if _is_keras_layer_entry(value):
            nested[key] = _layer_from_keras(value, f"{where}[{key!r}]", custom_objects)
        elif isinstance(value, list) and value and all(_is_keras_layer_entry(item) for item in value):
            nested[key] = [
                _layer_from_keras(item, f"{where}[{key!r}][{i}]", custom_objects) for i, item in enumerate(value)
            ]
    serial = {k: v for k, v in entry.items() if k in _SERIAL_KEYS}
    serial["config"] = {k: v for k, v in entry["config"].items() if k not in nested}
    layer = _from_keras_object(serial, where, custom_objects)
    config = layer["config"]
    if not isinstance(config, dict):
        _refuse(f"{where} has no config")
    config.update(nested)
    _drop_keras_defaults(config)
    for key, default in _KERAS_CLASS_DEFAULTS.get(class_name, {}).items():
        if key in config and config[key] == default:
            del config[key]
    for key in _KERAS_DERIVED.get(class_name, ()):
        config.pop(key, None)
    if class_name == "InputLayer":
        if "batch_input_shape" in config:
            config["batch_shape"] = config.pop("batch_input_shape")
        config.pop("input_shape", None)
    if class_name == "BatchNormalization" and isinstance(config.get("axis"), list) and len(config["axis"]) == 1:
        config["axis"] = config["axis"][0]
    if class_name == "Embedding" and "quantization_config" in config:
        _embedding_quantization(config, where)
    return layer


def _embedding_quantization(config, where):
    """Keras writes the model's ``quantization_config`` into every Embedding (even one it left
    in float, under float8); learnet's Embedding rebuilds an int8 table from its policy alone."""
    from learnet import mixed_precision

    mode = mixed_precision.get(config.get("dtype") or "float32").quantization_mode
    if mode not in (None, "int8"):
        _refuse(
            f"{where}: an Embedding quantized to {mode!r}; learnet quantizes Embedding to int8 only. "
            "Quantize the model to int8 (or not at all) in Keras before saving it"
        )
    config.pop("quantization_config")


_KERAS_OPS_MODULE = "keras.src.ops."


def _operation_from_keras(entry, where, custom_objects):
    """A ``keras.ops`` call in a Keras graph (``NotEqual`` for a mask, ``Add`` for ``a + b``) as
    learnet's ``OperationLayer`` (learnet/layers/operation.py)."""
    from learnet.layers import operation

    _check_module(entry, where)
    name = operation._FROM_KERAS.get(entry["class_name"])
    if name is None:
        _refuse(f"{where}: the Keras operation {entry['class_name']!r} is not one learnet has")
    arguments = _from_keras_value(dict(entry["config"]), f"{where}['config']", custom_objects)
    layer_name = arguments.pop("name", None)
    arguments.pop("dtype", None) if name != "cast" else None
    return {"class_name": "OperationLayer", "config": {"name": layer_name, "operation": name, "arguments": arguments}}


# tf.keras 2's names of Python's operators (`x + 1` is "__operators__.add") -> learnet's TensorFlow functions.
_TF_OPERATORS = {"add": "math.add", "sub": "math.subtract", "mul": "math.multiply", "truediv": "math.truediv"}


def _tf_operation_from_keras(entry, where):
    """tf.keras 2's ``TFOpLambda`` (``tf.concat(states, axis=-1)`` in a functional model). It holds
    no code, only the name of a TensorFlow function, which must be one learnet records
    (learnet/layers/operation.py); anything else is refused."""
    from learnet.layers import operation

    config = entry["config"]
    function = config.get("function")
    if not isinstance(function, str):
        _refuse(f"{where}: a TFOpLambda without the name of its function")
    if entry["class_name"] == "SlicingOpLambda":
        if function != "__operators__.getitem":
            _refuse(f"{where}: a SlicingOpLambda of {function!r}, not of indexing")
        return {"class_name": "OperationLayer", "config": {"name": config.get("name"), "operation": "get_item"}}
    if function.startswith("__operators__."):
        function = _TF_OPERATORS.get(function.split(".", 1)[1], function)
    if function.startswith("compat.v1.") and function.split(".")[-1] in ("squeeze", "transpose"):
        function = function.split(".")[-1]  # tf.keras 2 recorded these through TF1's names
    name = operation.TF_PREFIX + function
    try:
        operation._tf_function(name, where)
    except ValueError:
        _refuse(f"{where}: tf.{function} is not a TensorFlow function learnet can run in a model")
    return {"class_name": "OperationLayer", "config": {"name": config.get("name"), "operation": name, "arguments": {}}}


def _operation_to_keras(config):
    """learnet's ``OperationLayer`` as the Keras 3 operation it records."""
    from learnet.layers import operation

    known = operation.KERAS_OPERATIONS.get(config["operation"])
    if known is None:
        what = config["operation"]
        what = "tf." + what[len(operation.TF_PREFIX) :] if what.startswith(operation.TF_PREFIX) else "keras.ops." + what
        raise ValueError(
            f"cannot save layer {config.get('name')!r} as .keras: {what} on symbolic tensors has no "
            "Keras 3 operation class learnet knows; save it as .learnet"
        )
    class_name, module, _ = known
    return {
        "module": module,
        "class_name": class_name,
        "config": {"name": config["name"], **config.get("arguments", {})},
        "registered_name": None,
    }


def _ref_from_keras(value, where):
    """``{"class_name": "__keras_tensor__", ...}`` (Keras 3) or ``[name, node, index(, kwargs)]`` (Keras 2)."""
    if isinstance(value, dict):
        history = (value.get("config") or {}).get("keras_history")
    else:
        history = value[:3]
    if (
        not isinstance(history, list)
        or len(history) != 3
        or not isinstance(history[0], str)
        or not all(isinstance(h, int) and not isinstance(h, bool) and h >= 0 for h in history[1:])
    ):
        _refuse(f"{where}: a malformed tensor reference {history!r}")
    return {"__keras_tensor__": [history[0], history[1], history[2]]}


def _tf_call_kwargs(kwargs):
    """The keyword arguments of a tf.keras 2 TFOpLambda call, as learnet's functions take them:
    without TensorFlow's op ``name`` and defaults it writes out; an index (``slice_spec``) as the
    ``key`` of ``get_item``, its slices in Keras 3's form."""
    kwargs = {k: v for k, v in kwargs.items() if k != "name" and v is not None and (k, v) != ("conjugate", False)}
    if "slice_spec" in kwargs:

        def as_keras(part):
            if isinstance(part, dict) and set(part) <= {"start", "stop", "step"}:
                return {"class_name": "__slice__", "config": {k: part.get(k) for k in ("start", "stop", "step")}}
            if isinstance(part, list):
                return [as_keras(p) for p in part]
            return part

        spec = kwargs.pop("slice_spec")
        kwargs["key"] = as_keras(spec if isinstance(spec, list) else [spec])
    return kwargs


def _is_flat_keras2_ref(node):
    """``["input_1", 0, 0, {"axis": 1}]``: tf.keras 2's call of a TFOpLambda on a single tensor."""
    return (
        isinstance(node, list)
        and len(node) == 4
        and isinstance(node[0], str)
        and all(isinstance(v, int) and not isinstance(v, bool) for v in node[1:3])
        and isinstance(node[3], dict)
    )


def _is_keras2_ref(value, names):
    """Whether a keyword argument of a tf.keras 2 call is a tensor: ``[layer name, node, index]``
    (``MultiHeadAttention(query, value=x)`` keeps ``{"value": ["x", 0, 0]}``)."""
    return (
        isinstance(value, list)
        and len(value) == 3
        and isinstance(value[0], str)
        and value[0] in names
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value[1:])
    )


def _tensors_from_keras(value, where):
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            return _ref_from_keras(value, where)
        return {k: _tensors_from_keras(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, list):
        return [_tensors_from_keras(v, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def _set_kwargs(kwargs):
    """A call's keyword arguments without those left at None (Keras 3 records ``mask=None``)."""
    if not isinstance(kwargs, dict):
        return kwargs
    return {key: value for key, value in kwargs.items() if value is not None}


def _endpoints_from_keras(value, where):
    """``input_layers`` / ``output_layers``: one ``[name, node, index]`` or a list/dict of them.

    A list of one stays a list, as Keras 3 reads it: a model saved with ``outputs=[y]`` (or by
    tf.keras 2, which writes every model's inputs and outputs as lists) loads with
    ``model.output == [y]``."""

    def is_triple(item):
        return isinstance(item, list) and len(item) == 3 and isinstance(item[0], str)

    if is_triple(value):
        return _ref_from_keras(value, where)
    if isinstance(value, list):
        return [_endpoints_from_keras(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        return {k: _endpoints_from_keras(v, f"{where}[{k!r}]") for k, v in value.items()}
    _refuse(f"{where} is malformed")


def model_config_from_keras(entry, custom_objects=None, where="the Keras model config"):
    """A Keras 2 or 3 model config (``config.json``, ``model_config``) as learnet's config."""
    class_name = entry.get("class_name")
    config = entry.get("config")
    if not isinstance(config, dict):
        _refuse(f"{where} has no config")
    if class_name not in _MODEL_CLASSES and _users_class(entry, custom_objects):
        # A subclassed model of the user's own (registered, or in custom_objects): made from its config.
        result = _layer_from_keras(entry, where, custom_objects)
        if isinstance(entry.get("registered_name"), str):
            result["registered_name"] = entry["registered_name"]
        return result
    entries = config.get("layers")
    if not isinstance(entries, list):
        _refuse(f"{where} has no list of layers")
    if class_name == "Sequential":
        layers = [_layer_from_keras(layer, f"{where}: layer {i}", custom_objects) for i, layer in enumerate(entries)]
        result = {
            "class_name": "Sequential",
            "config": {"name": config.get("name"), "trainable": config.get("trainable", True), "layers": layers},
        }
        shape = (entry.get("build_config") or {}).get("input_shape") or config.get("build_input_shape")
        if isinstance(shape, list) and not any(layer["class_name"] == "InputLayer" for layer in layers):
            result["build_config"] = {"input_shape": shape}  # built by fit, without an Input
        return result
    if class_name not in ("Functional", "Model"):
        _refuse(f"{where} describes a {class_name!r}; learnet loads Sequential and functional models")
    layers, pending = [], []
    names = {e.get("name") or (e.get("config") or {}).get("name") for e in entries if isinstance(e, dict)}
    for i, layer_entry in enumerate(entries):
        layer = _layer_from_keras(layer_entry, f"{where}: layer {i}", custom_objects)
        name = layer_entry.get("name") or layer["config"].get("name")
        if not isinstance(name, str):
            _refuse(f"{where}: layer {i} has no name")
        layer["name"] = name  # the calls name it so; its config keeps what get_config gave (maybe no name)
        layers.append(layer)
        nodes = layer_entry.get("inbound_nodes") or []
        if not isinstance(nodes, list):
            _refuse(f"{where}: the inbound nodes of {name!r} are malformed")
        calls = []
        for node in nodes:
            node_where = f"{where}: a call of {name!r}"
            if isinstance(node, dict):  # Keras 3
                args = node.get("args") or []
                if not isinstance(args, list) or not (args or node.get("kwargs")):
                    _refuse(f"{node_where} has no inputs")
                calls.append(
                    {
                        "layer": name,
                        # None: every argument given by name (`layer(source=x, source_mask=m)`)
                        "inputs": _tensors_from_keras(args[0], node_where) if args else None,
                        "args": [_tensors_from_keras(a, node_where) for a in args[1:]],
                        "kwargs": _tensors_from_keras(
                            _from_keras_value(_set_kwargs(node.get("kwargs")), node_where, custom_objects), node_where
                        ),
                    }
                )
            elif (
                isinstance(node, list)
                and node
                and all(isinstance(n, list) and len(n) in (3, 4) for n in node)
                or (_is_flat_keras2_ref(node))
            ):
                if _is_flat_keras2_ref(node):  # a TFOpLambda called on one tensor: the call is one reference
                    node = [node]
                refs = [_ref_from_keras(n, node_where) for n in node]
                kwargs = node[0][3] if len(node[0]) == 4 and isinstance(node[0][3], dict) else {}
                if layer_entry.get("class_name") in ("TFOpLambda", "SlicingOpLambda"):
                    kwargs = _tf_call_kwargs(kwargs)
                kwargs = {
                    key: _ref_from_keras(value, node_where) if _is_keras2_ref(value, names) else value
                    for key, value in kwargs.items()
                }
                calls.append(
                    {
                        "layer": name,
                        "inputs": refs[0] if len(refs) == 1 else refs,
                        "args": [],
                        "kwargs": _tensors_from_keras(
                            _from_keras_value(kwargs, node_where, custom_objects), node_where
                        ),
                    }
                )
            else:
                _refuse(f"{node_where} is malformed")
        pending.append(calls)
    # Keras lists each layer's calls with the layer; learnet wants them in the order they run.
    done, ordered = {(_entry_name(layer), 0) for layer in layers if layer["class_name"] == "InputLayer"}, []
    counts = {}

    def ready(structure):
        if isinstance(structure, dict):
            if "__keras_tensor__" in structure:
                return tuple(structure["__keras_tensor__"][:2]) in done
            return all(ready(v) for v in structure.values())
        if isinstance(structure, list):
            return all(ready(v) for v in structure)
        return True

    progress = True
    while progress and any(pending):
        progress = False
        for calls in pending:
            while calls and ready([calls[0]["inputs"], calls[0]["args"], calls[0]["kwargs"]]):
                call = calls.pop(0)
                index = counts.get(call["layer"], 0)
                counts[call["layer"]] = index + 1
                done.add((call["layer"], index))
                ordered.append(call)
                progress = True
    if any(pending):
        _refuse(f"{where}: the layers' calls refer to outputs that never exist (a cycle, or a damaged file)")
    return {
        "class_name": "Functional",
        "config": {
            "name": config.get("name"),
            "trainable": config.get("trainable", True),
            "layers": layers,
            "nodes": ordered,
            "input_layers": _endpoints_from_keras(config.get("input_layers"), f"{where}: input_layers"),
            "output_layers": _endpoints_from_keras(config.get("output_layers"), f"{where}: output_layers"),
        },
    }


def compile_config_from_keras(config, custom_objects=None, where="the compile config"):
    """Keras' ``compile_config`` as learnet's (optimizer, loss, metrics)."""
    if not isinstance(config, dict):
        _refuse(f"{where} must be a dict")
    result = {}
    for key in ("optimizer", "loss", "metrics", "loss_weights", "weighted_metrics"):
        value = _from_keras_value(config.get(key), f"{where}[{key!r}]", custom_objects)
        if isinstance(value, dict) and isinstance(value.get("config"), dict):
            _drop_keras_defaults(value["config"])
            # tf.keras 2 names its own optimizers "Custom>Adam"; learnet looks up "Adam" in its own table.
            if key == "optimizer" and str(value.get("class_name")).startswith("Custom>"):
                value["class_name"] = value["class_name"].split(">", 1)[1]
        result[key] = value
    return result


# --- learnet configs -> Keras 3 configs ----------------------------------------------------------------
_MODULE_BY_SUFFIX = (
    ("_initializer", "keras.initializers"),
    ("_regularizer", "keras.regularizers"),
    ("_constraint", "keras.constraints"),
)


def _policy(name):
    """A layer's dtype as Keras 3 writes it: a ``DTypePolicy``, or a quantized layer's
    ``QuantizedDTypePolicy`` / ``QuantizedFloat8DTypePolicy`` / ``Int4DTypePolicy``."""
    from learnet import mixed_precision

    if isinstance(name, str) and mixed_precision.is_quantized_name(name):
        return mixed_precision.serialize(name)
    return {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": name or "float32"},
        "registered_name": None,
    }


def _quantization_config_to_keras(value):
    """A layer's ``quantization_config`` (and the quantizers in it) under ``keras.quantizers``, as Keras writes it."""
    if isinstance(value, dict) and isinstance(value.get("class_name"), str) and isinstance(value.get("config"), dict):
        config = {key: _quantization_config_to_keras(item) for key, item in value["config"].items()}
        return {
            "module": "keras.quantizers",
            "class_name": value["class_name"],
            "config": config,
            "registered_name": None,
        }
    return value


def _own_classes(module):
    """The class names of learnet's own initializers, regularizers or constraints (as Keras names them)."""
    from learnet import constraints, initializers, regularizers

    tables = {
        "keras.initializers": initializers._BY_CLASS_NAME,
        "keras.regularizers": regularizers._BY_CLASS_NAME,
        "keras.constraints": constraints._BY_NAME,
    }
    return tables.get(module, {})


def _users_activation(key, value):
    """Whether an activation written as ``value`` names a function of the user's own (neither one
    of Keras' activation names nor a library function's)."""
    from learnet import activations

    return key.endswith("activation") and value not in activations._BY_NAME and registry.library_function(value) is None


def _to_keras_value(key, value):
    if key == "quantization_config":
        return _quantization_config_to_keras(value)
    function_keys = ("activation", *(suffix for suffix, _ in _MODULE_BY_SUFFIX))
    if isinstance(value, str) and key.endswith(function_keys) and (">" in value or _users_activation(key, value)):
        # A function of the user's own, by the name it was registered under (or its own name,
        # found through custom_objects when loading): Keras 3's form.
        return {"module": "builtins", "class_name": "function", "config": value, "registered_name": "function"}
    if isinstance(value, dict) and set(value) == {"class_name", "config"}:
        module = next((m for suffix, m in _MODULE_BY_SUFFIX if key.endswith(suffix)), "keras")
        class_name = value["class_name"]
        if module != "keras" and class_name not in _own_classes(module):
            # A class of the user's own (a Regularizer subclass...): Keras finds it by its registered name.
            registered = registry.get_registered_object(class_name)
            name = registry.get_registered_name(registered) if registered is not None else class_name
            return {"module": None, "class_name": class_name, "config": value["config"], "registered_name": name}
        return {"module": module, "class_name": class_name, "config": value["config"], "registered_name": None}
    return value


# Arguments that hold a whole layer: Bidirectional(layer, backward_layer=), TimeDistributed(layer), RNN(cell);
# or a list of them: StackedRNNCells(cells).
_NESTED_LAYER_KEYS = ("layer", "backward_layer", "cell", "cells")


def _is_builtin_entry(value):
    return isinstance(value, dict) and registry.builtin_class(str(value.get("class_name"))) is not None


def _model_layer(owner, name):
    """The layer ``owner`` (a model) holds under ``name``, or ``None``."""
    if owner is None or not _is_model(owner) or not isinstance(name, str):
        return None
    try:
        return owner.get_layer(name)
    except ValueError:
        return None


def _layer_to_keras(entry, owner=None, layer=None):
    """One learnet layer entry as Keras writes it; ``layer`` is the layer object (else found by
    name in the model ``owner``), needed where the entry is a model of its own."""
    class_name = entry["class_name"]
    config = dict(entry["config"])
    if layer is None:
        layer = _model_layer(owner, _entry_name(entry))
    if class_name in ("Sequential", "Functional"):
        if not _is_model(layer):
            raise ValueError(f"cannot save the model {_entry_name(entry)!r} held by a layer as .keras: not found")
        return model_config_to_keras(layer)
    if class_name == "OperationLayer":
        return _operation_to_keras(config)
    config.pop("batch_input_shape", None)  # Keras 3 layers do not take it; the model's InputLayer says it
    if class_name != "InputLayer" and "dtype" in config:
        config["dtype"] = _policy(config["dtype"])
    if class_name == "InputLayer" and config.get("dtype") == "object":
        config["dtype"] = "string"  # learnet keeps text in object arrays; Keras names it string
    for key, default in _LEARNET_ONLY.get(class_name, {}).items():
        if config.get(key, default) != default:
            raise ValueError(
                f"cannot save layer {config.get('name')!r} as .keras: Keras' {class_name} has no "
                f"argument {key!r} (it is {config[key]!r}); save it as .learnet"
            )
        config.pop(key, None)
    for key in _NESTED_LAYER_KEYS + ("layers",):
        nested, held = config.get(key), getattr(layer, key, None)
        if _is_builtin_entry(nested):
            # The wrapped layer (a model too): a whole Keras layer entry.
            config[key] = _layer_to_keras(nested, layer=held if _is_layer(held) else None)
        elif isinstance(nested, list):
            held = list(held) if isinstance(held, (list, tuple)) and len(held) == len(nested) else [None] * len(nested)
            config[key] = [
                _layer_to_keras(item, layer=one if _is_layer(one) else None) if _is_builtin_entry(item) else item
                for item, one in zip(nested, held)
            ]
    config = {key: _to_keras_value(key, value) for key, value in config.items()}
    if registry.builtin_class(class_name) is None:
        # Keras finds a class of the user's own by the name it was registered under.
        registered = entry.get("registered_name")  # the class's own registration, when serialize knew it
        if not isinstance(registered, str):
            registered = registry.registered_name_of_class(class_name) or f"Custom>{class_name}"
        module = None
    else:
        module, registered = "keras.layers", None
    result = {"module": module, "class_name": class_name, "config": config, "registered_name": registered}
    if "build_config" in entry:
        result["build_config"] = entry["build_config"]
    return result


def _tensor_specs(model):
    """``{(layer name, call, output index): (shape, dtype)}`` for the symbolic tensors of a functional model."""
    calls, specs = {}, {}
    positions = {}
    for node in model._nodes:
        index = calls.get(id(node.layer), 0)
        calls[id(node.layer)] = index + 1
        positions[id(node)] = (node.layer.name, index)
    tensors = [t for node in model._nodes for t in node.dependencies] + [
        t for t in tree.flatten(model._output_structure) if hasattr(t, "_keras_history")
    ]
    for tensor in tensors:
        node, output_index, _ = model._sources.get(id(tensor), (None, None, None))
        if node is None:
            key = (tensor._keras_history.layer.name, 0, None)
        else:
            key = positions[id(node)] + (output_index,)
        shape = [None if s is None else int(s) for s in tuple(tensor.shape)]
        dtype = str(np.dtype(tensor.dtype))
        specs[key] = (shape, "string" if dtype == "object" else dtype)
    return specs


def _tensors_to_keras(value, specs):
    if isinstance(value, dict):
        if set(value) == {"__keras_tensor__"}:
            name, call, index = value["__keras_tensor__"]
            shape, dtype = specs.get((name, call, index), (None, "float32"))
            return {
                "class_name": "__keras_tensor__",
                "config": {
                    "shape": shape,
                    "dtype": dtype,
                    "keras_history": [name, call, 0 if index is None else index],
                },
            }
        return {k: _tensors_to_keras(v, specs) for k, v in value.items()}
    if isinstance(value, list):
        return [_tensors_to_keras(v, specs) for v in value]
    return value


def _endpoints_to_keras(value):
    if isinstance(value, dict) and set(value) == {"__keras_tensor__"}:
        name, call, index = value["__keras_tensor__"]
        return [name, call, 0 if index is None else index]
    if isinstance(value, list):
        return [_endpoints_to_keras(v) for v in value]
    if isinstance(value, dict):
        return {k: _endpoints_to_keras(v) for k, v in value.items()}
    raise ValueError(f"cannot save the model's inputs or outputs {value!r} as .keras")


def _entry_name(entry):
    """A layer entry's name: the entry's own, else its config's (a custom get_config may leave it out)."""
    name = entry.get("name")
    return name if isinstance(name, str) else entry["config"].get("name")


def model_config_to_keras(model):
    """The Keras 3 ``config.json`` for a learnet Sequential or functional model."""
    entry = _saving.serialize_model(model)
    config = entry["config"]
    if entry["class_name"] == "Sequential":
        layers = [_layer_to_keras(layer, model) for layer in config["layers"]]
        first = config["layers"][0]["config"] if config["layers"] else {}
        if config["layers"] and config["layers"][0]["class_name"] != "InputLayer" and first.get("batch_input_shape"):
            layers.insert(
                0,
                {
                    "module": "keras.layers",
                    "class_name": "InputLayer",
                    "registered_name": None,
                    "config": {
                        "batch_shape": first["batch_input_shape"],
                        "dtype": first.get("dtype", "float32"),
                        "sparse": False,
                        "name": f"{config['name']}_input",
                    },
                },
            )
        result = {
            "module": "keras",
            "class_name": "Sequential",
            "config": {
                "name": config["name"],
                "trainable": config["trainable"],
                "dtype": _policy(config.get("dtype")),
                "layers": layers,
            },
            "registered_name": None,
        }
    elif entry["class_name"] == "Functional":
        calls, specs = {}, _tensor_specs(model)
        for node in config["nodes"]:
            calls.setdefault(node["layer"], []).append(
                {
                    "args": ([] if node["inputs"] is None else [_tensors_to_keras(node["inputs"], specs)])
                    + [_tensors_to_keras(a, specs) for a in node["args"]],
                    "kwargs": _tensors_to_keras(node["kwargs"], specs),
                }
            )
        layers = []
        # In Keras' own order, which a reader of the weights file follows (as Keras writes it).
        rank = {name: index for index, name in enumerate(keras_layer_order(config))}
        for layer in sorted(config["layers"], key=lambda entry: rank.get(_entry_name(entry), len(rank))):
            keras_layer = _layer_to_keras(layer, model)
            keras_layer["name"] = _entry_name(layer)
            keras_layer["inbound_nodes"] = calls.get(_entry_name(layer), [])
            layers.append(keras_layer)
        result = {
            "module": "keras.src.models.functional",
            "class_name": "Functional",
            "config": {
                "name": config["name"],
                "trainable": config["trainable"],
                "layers": layers,
                "input_layers": _endpoints_to_keras(config["input_layers"]),
                "output_layers": _endpoints_to_keras(config["output_layers"]),
            },
            "registered_name": "Functional",
        }
    elif registry.registered_name_of_class(entry["class_name"]) is not None and not _is_graph_model(model):
        # A subclassed model registered with register_keras_serializable: Keras 3 finds it by that
        # name and rebuilds it from its get_config, as any layer of the user's own.
        result = _layer_to_keras(entry)
    else:
        raise ValueError(
            f"cannot save a {type(model).__name__} as .keras: learnet writes Sequential and functional "
            "models, and subclassed models registered with @keras.saving.register_keras_serializable(), "
            "in Keras' format (save others as .learnet)"
        )
    if "build_config" in entry:
        result["build_config"] = entry["build_config"]
    return result


def _builtin_names(module):
    """The class names of learnet's own losses, metrics or schedules (Keras' names)."""
    from learnet import losses, metrics, schedules

    if module == "keras.losses":
        return {cls.__name__ for cls in losses._CLASSES.values()} | {"LossFunctionWrapper"}
    if module == "keras.metrics":
        return {cls.__name__ for cls in metrics._CLASSES}
    return set(schedules._SCHEDULES)


def _keras_entry(value, module):
    """``{"class_name", "config"}`` as Keras writes it: one of Keras' own classes under ``module``;
    a class of the user's own by the name it was registered under ("Package>Name")."""
    class_name = value["class_name"]
    if class_name in _builtin_names(module):
        return {"module": module, "class_name": class_name, "config": value["config"], "registered_name": None}
    registered = registry.registered_name_of_class(class_name) or class_name
    return {"module": None, "class_name": class_name, "config": value["config"], "registered_name": registered}


def _optimizer_to_keras(optimizer):
    """An optimizer's ``{"class_name", "config"}`` as Keras writes it, with its learning-rate
    schedule (and a LossScaleOptimizer's inner optimizer) as whole Keras objects too."""
    config = dict(optimizer["config"])
    rate = config.get("learning_rate")
    if isinstance(rate, dict) and set(rate) == {"class_name", "config"}:
        config["learning_rate"] = _keras_entry(rate, "keras.optimizers.schedules")
    inner = config.get("inner_optimizer")
    if isinstance(inner, dict) and set(inner) == {"class_name", "config"}:
        config["inner_optimizer"] = _optimizer_to_keras(inner)
    class_name = optimizer["class_name"]
    return {"module": "keras.optimizers", "class_name": class_name, "config": config, "registered_name": None}


def compile_config_to_keras(model):
    config = _saving.serialize_compile_config(model)
    optimizer = config["optimizer"]
    if isinstance(optimizer, dict):
        optimizer = _optimizer_to_keras(optimizer)

    def wrap(value, module):
        if isinstance(value, dict) and set(value) == {"class_name", "config"}:
            return _keras_entry(value, module)
        if isinstance(value, str) and ">" in value:
            # A function of the user's own, by its registered name: Keras 3's form.
            return {"module": "builtins", "class_name": "function", "config": value, "registered_name": "function"}
        if isinstance(value, list):
            return [wrap(v, module) for v in value]
        if isinstance(value, dict):
            return {k: wrap(v, module) for k, v in value.items()}
        return value

    return {
        "optimizer": optimizer,
        "loss": wrap(config["loss"], "keras.losses"),
        "loss_weights": config["loss_weights"],
        "metrics": wrap(config["metrics"], "keras.metrics"),
        "weighted_metrics": wrap(config["weighted_metrics"], "keras.metrics"),
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": False,
    }


# --- weights in HDF5 ----------------------------------------------------------------------------------
def _snake_case(name):
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _check_covered(model, layers, where, error=InvalidModelFileError, variables_of=None):
    """Every weight of ``model`` must be one that Keras keeps for one of ``layers``."""
    variables_of = variables_of or _saved_variables
    covered = {id(v) for layer in layers for v in variables_of(layer)}
    missing = sorted({v.path for v in model.weights if id(v) not in covered})
    if missing:
        raise error(
            f"{where}: the weights {missing} were not made by a layer's add_weight, so Keras' files "
            "have no place for them; use the .learnet format"
        )


def _refs(structure):
    if isinstance(structure, dict):
        if set(structure) == {"__keras_tensor__"}:
            return [tuple(structure["__keras_tensor__"][:2])]
        return [ref for key in sorted(structure) for ref in _refs(structure[key])]
    if isinstance(structure, list):
        return [ref for item in structure for ref in _refs(item)]
    return []


def keras_layer_order(config):
    """The order of ``model.layers`` that Keras 3 gives a functional model built from ``config``.

    Keras names each layer's place in a weights file after that order (``dense``,
    ``dense_1``, ...), so it must be followed exactly: a depth-first walk from the
    outputs, then layers sorted by depth (inputs first), ties in the walk's order.
    """
    parents = {}
    for layer in config["layers"]:
        if layer["class_name"] == "InputLayer":
            parents[(_entry_name(layer), 0)] = []
    calls = {}
    for node in config["nodes"]:
        index = calls.get(node["layer"], 0)
        calls[node["layer"]] = index + 1
        parents[(node["layer"], index)] = _refs([node["inputs"], node["args"], node["kwargs"]])
    finished, in_progress, ordered, first_seen = set(), set(), [], {}

    def walk(key):
        if key in finished:
            return
        if key in in_progress or key not in parents:
            raise ValueError(f"the model's graph is malformed at {key}")
        first_seen.setdefault(key[0], len(first_seen))
        in_progress.add(key)
        for parent in parents[key]:
            walk(parent)
        finished.add(key)
        in_progress.discard(key)
        ordered.append(key)

    for ref in _refs(config["output_layers"]):
        walk(ref)
    node_depth, layer_depth = {}, {}
    for key in reversed(ordered):
        depth = max(node_depth.setdefault(key, 0), layer_depth.get(key[0], 0))
        layer_depth[key[0]] = node_depth[key] = depth
        for parent in parents[key]:
            if parent in finished:
                node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    return sorted(layer_depth, key=lambda name: (-layer_depth[name], first_seen[name]))


def _keras_layers(model):
    """``model.operations`` (a functional model's) or ``model.layers`` in Keras 3's order,
    ``InputLayer`` s left out."""
    if isinstance(model, registry.builtin_class("Functional")):
        by_name = {layer.name: layer for layer in model.operations}
        try:
            config = _saving.serialize_model(model)["config"]
        except ValueError:  # a graph starting from layer outputs has no config: learnet's own order
            return [layer for layer in model.operations if type(layer).__name__ != "InputLayer"]
        return [by_name[name] for name in keras_layer_order(config) if name in by_name]
    return [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]


def _is_graph_model(model):
    """A Sequential or functional model (Keras lists its layers under ``layers/``); else a subclassed one."""
    kinds = tuple(registry.builtin_class(name) for name in ("Sequential", "Functional"))
    return isinstance(model, kinds)


def _join(path, name):
    return f"{path}/{name}" if path else name


def _keras3_paths(model, prefix="layers", order=None):
    """``[(path, layer)]``: where Keras 3 keeps each layer's variables (``layers/dense_1``...).

    The model itself comes first, at ``""`` (its ``vars`` group is the file's root ``vars``);
    a nested model is listed too, at its own place, before its layers. A subclassed model
    keeps its layers under their attributes' names (``dense1/vars``), as Keras walks them.
    ``order``: the layers' names in Keras' order, when known from a Keras file.
    """
    if not _is_graph_model(model):
        return _layer_paths(model, "", set())
    if order is not None:
        by_name = {layer.name: layer for layer in graph_operations(model)}
        layers = [by_name[name] for name in order if name in by_name]
        if (
            {id(layer) for layer in graph_operations(model)}
            - {id(layer) for layer in layers}
            - {id(layer) for layer in model.layers if type(layer).__name__ == "InputLayer"}
        ):
            _refuse("the layers of the model config and of the model built from it differ")
    else:
        layers = _keras_layers(model)
    return [("", model)] + _container_paths(layers, prefix, {id(model)})


def _container_paths(layers, prefix, visited):
    """Keras 3's names for a list of layers: each its class in snake case, counted (``dense``, ``dense_1``)."""
    used, result = {}, []
    for layer in layers:
        result.extend(_layer_paths(layer, f"{prefix}/{_numbered(type(layer).__name__, used)}", visited))
    return result


# Classes Keras exports under another name than its source class's, whose snake-case name
# its files use (keras.layers.GroupQueryAttention is the class GroupedQueryAttention).
_KERAS_SNAKE_NAMES = {"GroupQueryAttention": "grouped_query_attention"}


def _numbered(class_name, used):
    """Keras' name for the next layer of a class in a list: ``dense``, then ``dense_1``..."""
    base = _KERAS_SNAKE_NAMES.get(class_name) or _snake_case(class_name)
    count = used.get(base, 0)
    used[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def _attribute_key(name):
    """Keras walks a layer's public attributes first, then its private ones, each group sorted by name."""
    return "~" + name if name.startswith("_") else name


def _layer_paths(layer, path, visited):
    """``[(path, layer)]`` for ``layer`` at ``path`` and every layer it holds, as Keras 3 walks them.

    A sublayer sits under its attribute's name (``lstm/cell``, ``bidirectional/forward_layer``,
    ``multi_head_attention/query_dense``), a list of layers under the attribute's name and
    each layer's class (``block/layers/dense_1``), a model under ``<name>/layers``. A layer
    held twice is written once, where the walk meets it first.
    """
    if id(layer) in visited:
        return []
    visited.add(id(layer))
    result = [(path, layer)]
    if _is_model(layer) and _is_graph_model(layer):
        return result + _container_paths(_keras_layers(layer), _join(path, "layers"), visited)
    for name, value in sorted(layer._tracked_attributes(), key=lambda item: _attribute_key(item[0])):
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, (list, tuple)):
            held = [item for item in value if _is_layer(item)]
            if held:
                result.extend(_container_paths(held, _join(path, name), visited))
        elif _is_layer(value):
            result.extend(_layer_paths(value, _join(path, name), visited))
    return result


def _is_layer(value):
    return hasattr(value, "_tracked_attributes")


def _own_weights(layer):
    return list(getattr(layer, "_trainable_variables", [])) + list(getattr(layer, "_non_trainable_variables", []))


def _saved_variables(layer):
    """The variables whose place in a Keras file ``layer`` answers for: its own, those set as attributes
    included (Keras 3 tracks them too); a model's are its layers'."""
    if _is_model(layer) and not _overrides(layer, "save_own_variables"):
        return _own_weights(layer)
    # A quantized Dense or EinsumDense lists them in Keras' file order (its kernel before its bias).
    own = getattr(layer, "_file_variables", None) or getattr(layer, "_own_variables", None)
    return list(own()) if own is not None else _own_weights(layer)


def _overrides(obj, method):
    """Whether ``obj``'s class defines ``method`` itself rather than taking learnet's default:
    a saving hook of the user's own, which Keras 3 calls in place of the default."""
    base = registry.builtin_class("Model" if _is_model(obj) else "Layer")
    own = getattr(type(obj), method, None)
    return own is not None and own is not getattr(base, method, None)


def _dataset(h5py, group, name, where):
    """``group[name]`` if it is a plain dataset of numbers stored in this file; refuses anything else."""
    link = group.get(name, getlink=True)
    if link is None:
        _refuse(f"{where} is missing")
    if not isinstance(link, h5py.HardLink):
        _refuse(f"{where} is a link ({type(link).__name__}) to elsewhere; learnet reads data stored in the file only")
    dataset = group[name]
    if not isinstance(dataset, h5py.Dataset):
        _refuse(f"{where} is not an array")
    dtype = dataset.dtype
    if dtype.kind not in "biuf" or dtype.fields is not None or h5py.check_vlen_dtype(dtype) is not None:
        _refuse(f"{where} holds data of type {dtype}; learnet loads numbers only")
    if dataset.is_virtual or dataset.external:
        _refuse(f"{where} keeps its data in other files; learnet reads data stored in the file only")
    return dataset


def _same_but_ones(a, b):
    """Shapes that differ only by axes of size 1 (a file may keep a statistic as (1, 3) where the layer has (3,))."""
    return [s for s in a if s != 1] == [s for s in b if s != 1]


def _read_into(pairs, where_all, skip_mismatch=False):
    """Read each checked dataset (shape already compared) into a new array; assign only when all read.

    With ``skip_mismatch`` a weight whose saved shape differs keeps its value (with a warning).
    """
    values = []
    for variable, dataset, where in pairs:
        if tuple(dataset.shape) != tuple(variable.shape) and not _same_but_ones(dataset.shape, variable.shape):
            if skip_mismatch:
                _warn_skipped(where, variable, dataset.shape)
                continue
            _refuse(
                f"{where} has shape {tuple(dataset.shape)}, but the model's weight {variable.path!r} has "
                f"shape {tuple(variable.shape)}"
            )
        try:
            array = np.empty(dataset.shape, dtype=variable.dtype)
            if array.size:
                dataset.read_direct(array)
        except (OSError, ValueError, TypeError) as error:
            _refuse(f"{where} cannot be read: {error}")
        values.append((variable, array.reshape(tuple(variable.shape))))
    for variable, array in values:
        variable._value[...] = array


def _warn_skipped(where, variable, shape):
    warnings.warn(
        f"{where}: skipped (skip_mismatch=True): the file's weight has shape {tuple(shape)}, the model's "
        f"{variable.path!r} has shape {tuple(variable.shape)}; it keeps its value",
        stacklevel=4,
    )


def _find_group(root, path):
    """The group at ``path``; a sublayer may be kept under its private name instead (tf.keras 2.13+
    writes ``multi_head_attention/_key_dense`` where Keras 3 writes ``key_dense``)."""
    group = root
    for part in path.split("/"):
        if part in group:
            group = group[part]
        elif "_" + part in group:
            group = group["_" + part]
        else:
            return None
    return group


class _VariablesStore:
    """The dict-like ``store`` that ``save_own_variables`` and ``load_own_variables`` receive: one
    ``vars`` group of ``model.weights.h5`` (``layers/dense/vars``), as Keras 3 hands it over.

    Writing keeps arrays of numbers (``store["0"] = variable``); reading gives NumPy arrays,
    each checked like every array learnet reads (numbers stored in the file, no links), and a
    key the file lacks raises a ``KeyError`` that says where it was looked for.
    """

    def __init__(self, h5py, group, path, where):
        self._h5py, self._group, self._where = h5py, group, where
        self._at = f"{path}/vars" if path else "vars"

    def keys(self):
        return list(self._group.keys()) if self._group is not None else []

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def __contains__(self, key):
        return self._group is not None and str(key) in self._group

    def items(self):
        return [(key, self[key]) for key in self.keys()]

    def __getitem__(self, key):
        key = str(key)
        if key not in self:
            raise KeyError(f"{self._where}: the file holds no array {key!r} at {self._at} (it holds {self.keys()})")
        return np.asarray(_dataset(self._h5py, self._group, key, f"{self._where}: {self._at}/{key}")[()])

    def __setitem__(self, key, value):
        value = value.numpy() if hasattr(value, "numpy") else value
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise ValueError(
                f"{self._where}: save_own_variables can keep arrays of numbers only, got {array.dtype} under "
                f"{key!r} at {self._at}; keep other data in files written by save_assets"
            )
        key = str(key)
        if key in self._group:
            del self._group[key]
        self._group.create_dataset(key, data=array)


def _hook_failed(where, layer, method, error):
    """A user's saving hook raised: say which layer and which hook, as an ``InvalidModelFileError``."""
    if isinstance(error, InvalidModelFileError):
        return error
    message = error.args[0] if isinstance(error, KeyError) and error.args else error
    return InvalidModelFileError(f"{where}: {type(layer).__name__} {layer.name!r}: {method} failed: {message}")


def _snapshot(model):
    """The values of every variable of ``model``, to put back if loading fails."""
    return [(variable, np.array(variable._value, copy=True)) for variable in model.weights]


def _restore(snapshot):
    for variable, value in snapshot:
        variable._value[...] = value


def _read_keras3_state(h5py, root, model, where, order=None, skip_mismatch=False):
    """Set every layer's variables from a Keras 3 weights file: learnet's checks for ordinary
    layers, the layer's own ``load_own_variables`` where it defines one (as Keras 3 calls it).

    All arrays for ordinary layers are checked before any is assigned; if a layer's own
    ``load_own_variables`` then fails, every variable gets its previous value back.
    """
    pairs, hooked = _keras3_weight_pairs(h5py, root, model, where, order, skip_mismatch)
    snapshot = _snapshot(model) if hooked else []
    try:
        _read_into(pairs, where)
        for path, layer in hooked:
            found = root if path == "" else _find_group(root, path)
            group = found.get("vars") if found is not None else None
            try:
                layer.load_own_variables(_VariablesStore(h5py, group, path, where))
            except Exception as error:  # noqa: BLE001 - a hook of the user's: any failure is the file's
                raise _hook_failed(where, layer, "load_own_variables", error) from None
    except BaseException:
        _restore(snapshot)
        raise


def _written_under_layers(root, paths):
    """Whether a file keeps a subclassed model's layers under ``layers/`` and none under the
    attribute paths ``paths`` name."""
    named = [path for path, _ in paths if path]
    return "layers" in root and bool(named) and all(_find_group(root, path) is None for path in named)


def _keras3_weight_pairs(h5py, root, model, where, order=None, skip_mismatch=False):
    """``(pairs, hooked)``: the checked (variable, dataset, where) of the ordinary layers, and the
    ``(path, layer)`` of layers that load their state themselves (``load_own_variables``).

    With ``skip_mismatch`` a layer whose saved weights differ in number or shape from its own
    is left out whole, with a warning, as Keras 3 skips it (a new classifier head).
    """
    paths = _keras3_paths(model, order=order)
    if not _is_graph_model(model) and _written_under_layers(root, paths):
        # A subclassed model's weights as learnet wrote them before it named them by attribute,
        # as Keras 3 does: under layers/<class name, counted>. Such files still load.
        paths = [("", model)] + _container_paths(_keras_layers(model), "layers", {id(model)})
    _check_covered(model, [layer for _, layer in paths], where)
    if not model.weights and not any(_overrides(layer, "load_own_variables") for _, layer in paths):
        # Nothing to load (a model of ReLU, Flatten...); a file of weights is for another model.
        stored = _stored_arrays(h5py, root["layers"]) if isinstance(root.get("layers"), h5py.Group) else 0
        if stored:
            _refuse(f"{where} holds {stored} weight arrays, but model {model.name!r} has no weights to load them into")
    pairs, hooked = [], []
    for path, layer in paths:
        if _overrides(layer, "load_own_variables"):
            hooked.append((path, layer))
            continue
        if _is_model(layer):
            continue  # a model's variables are its layers'
        variables = _saved_variables(layer)
        found = _find_group(root, path)
        group = found.get("vars") if found is not None else None
        stored = len(group) if group is not None else 0
        if stored != len(variables):
            message = (
                f"{where}: layer {layer.name!r} has {len(variables)} weights, but the file holds {stored} "
                f"at {path}/vars"
            )
            if skip_mismatch:
                warnings.warn(f"{message}; skipped (skip_mismatch=True): the layer keeps its values", stacklevel=4)
                continue
            _refuse(message)
        layer_pairs = [
            (
                variable,
                _dataset(h5py, group, str(index), f"{where}: {path}/vars/{index}"),
                f"{where}: {path}/vars/{index}",
            )
            for index, variable in enumerate(variables)
        ]
        mismatched = [
            (variable, dataset)
            for variable, dataset, _ in layer_pairs
            if tuple(dataset.shape) != tuple(variable.shape) and not _same_but_ones(dataset.shape, variable.shape)
        ]
        if skip_mismatch and mismatched:
            variable, dataset = mismatched[0]
            _warn_skipped(f"{where}: layer {layer.name!r}", variable, dataset.shape)
            continue
        pairs.extend(layer_pairs)
    return pairs, hooked


def _legacy_weight_pairs(h5py, root, model, where, by_name, complete=False):
    """tf.keras 2 layout: ``<layer>/<weight names>`` in the order of ``weight_names``.

    ``complete``: every layer the file holds weights for must be one of the model's (a whole
    model's file), as Keras checks the count of layers.
    """
    names = _text_list(root.attrs.get("layer_names"), f"{where}: layer_names")
    stored = []
    for name in names:
        if name not in root:
            _refuse(f"{where}: layer {name!r} is listed but missing")
        weights = _text_list(root[name].attrs.get("weight_names"), f"{where}: weight_names of {name!r}")
        if weights and not _given_normalization(name, model):
            stored.append((name, weights))
    # Keras keeps a nested model's weights in one group named after it (its top-level
    # layers); some files list the layers inside instead: whichever the names match.
    layers = [layer for layer in model.layers if _legacy_variables(layer)]
    if sorted(layer.name for layer in layers) != sorted(name for name, _ in stored):
        layers = [layer for layer in _flat_layers(model) if _legacy_variables(layer)]
    _check_covered(model, layers, where, variables_of=_legacy_variables)
    if complete and len(stored) != len(layers):
        hint = (
            " (a subclassed model's .h5 holds no architecture to build its layers from: save it as .keras)"
            if not _is_graph_model(model)
            else ""
        )
        _refuse(
            f"{where}: Layer count mismatch: model {model.name!r} has {len(layers)} layers with weights, "
            f"but the file holds weights for {len(stored)} layers{hint}"
        )
    stored_names = [name for name, _ in stored]
    if len(set(stored_names)) == len(stored_names) and sorted(stored_names) == sorted(x.name for x in layers):
        # The same layers in another order (a file learnet wrote before a functional model
        # listed its layers as Keras does): each is matched by its name.
        by_name = True
    if by_name:
        table = dict(stored)
        missing = [layer.name for layer in layers if layer.name not in table]
        if missing:
            _refuse(f"{where} has no weights for the layers {missing}")
        stored = [(layer.name, table[layer.name]) for layer in layers]
    if len(stored) != len(layers):
        _refuse(f"{where} holds weights for {len(stored)} layers, but the model has {len(layers)} layers with weights")
    pairs = []
    for layer, (name, weights) in zip(layers, stored):
        variables = _legacy_variables(layer)
        if _without_normalization_count(layer, weights, variables):
            variables = variables[:-1]  # a file learnet wrote before Normalization kept its count
        if len(weights) != len(variables):
            _refuse(
                f"{where}: layer {name!r} holds {len(weights)} weights, but learnet's layer {layer.name!r} "
                f"has {len(variables)}"
            )
        for variable, weight in zip(variables, weights):
            pairs.append(
                (variable, _dataset(h5py, root[name], weight, f"{where}: {name}/{weight}"), f"{where}: {name}/{weight}")
            )
    return pairs


def _without_normalization_count(layer, weights, variables):
    """Whether ``weights`` are an adapted Normalization's mean and variance without the ``count``
    Keras keeps after them (files learnet wrote before its Normalization kept a count)."""
    return (
        type(layer).__name__ == "Normalization"
        and len(weights) == len(variables) - 1
        and str(variables[-1].name).rsplit("/", 1)[-1] == "count"
    )


def _given_normalization(name, model):
    """Whether ``name`` is a Normalization given its statistics, which has no weights (older learnet
    files hold its mean and variance: they are read past, the config has them)."""
    try:
        layer = model.get_layer(name)
    except ValueError:
        return False
    return type(layer).__name__ == "Normalization" and getattr(layer, "input_mean", None) is not None


def _legacy_variables(layer):
    """A layer's weights as tf.keras 2 lists them, its sublayers' included: the trainable ones
    first (``lstm/lstm_cell/kernel:0``...), then the others."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _flat_layers(model):
    result = []
    for layer in model.layers:
        result.extend(_flat_layers(layer) if _is_model(layer) else [layer])
    return result


def _text_list(value, where):
    if value is None:
        return []
    array = np.asarray(value)
    if array.dtype.kind == "f" and array.size == 0:
        return []
    if array.dtype.kind not in "SUO" or array.ndim > 1 or array.size > 100000:
        _refuse(f"{where} is not a list of names")
    result = []
    for item in array.reshape(-1):
        if isinstance(item, bytes):
            item = item.decode("utf-8", "replace")
        if not isinstance(item, str):
            _refuse(f"{where} is not a list of names")
        result.append(item)
    return result


def _text_attribute(attrs, name, where):
    value = attrs.get(name)
    if value is None:
        return None
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        _refuse(f"{where}: the attribute {name!r} is not text")
    if len(value) > _saving.MAX_JSON_BYTES:
        _refuse(f"{where}: the attribute {name!r} is too large")
    try:
        return json.loads(value)
    except (ValueError, RecursionError) as error:
        _refuse(f"{where}: the attribute {name!r} is not valid JSON ({error})")


def _stored_bytes(h5py, root):
    """Bytes that the datasets under ``root`` declare (from their headers; nothing is read)."""
    total = [0]

    def visit(name, item):
        if isinstance(item, h5py.Dataset):
            total[0] += (
                int(np.prod(item.shape, dtype=np.int64)) * item.dtype.itemsize if item.shape else item.dtype.itemsize
            )

    root.visititems(visit)
    return total[0]


def _stored_arrays(h5py, group):
    """How many datasets are under ``group`` (from their headers; nothing is read)."""
    count = [0]

    def visit(name, item):
        if isinstance(item, h5py.Dataset):
            count[0] += 1

    group.visititems(visit)
    return count[0]


def _open_h5(h5py, source, where, size):
    try:
        handle = h5py.File(source, "r")
    except (OSError, ValueError) as error:
        _refuse(f"{where} is not a readable HDF5 file (truncated or damaged?): {error}")
    try:
        declared = _stored_bytes(h5py, handle)
    except (OSError, ValueError, RuntimeError) as error:
        handle.close()
        _refuse(f"{where} is damaged: {error}")
    allowed = min(_saving.MAX_TOTAL_BYTES, _saving.EXPANSION_ALLOWANCE + _saving.MAX_EXPANSION * size)
    if declared > allowed:
        handle.close()
        _refuse(
            f"{where} declares {declared:,} bytes of arrays in a {size:,}-byte file; refusing to read it "
            "(an HDF5 bomb, or a damaged file)"
        )
    return handle, declared


def _build(config, custom_objects, budget, where):
    """Create the model from a learnet config, with no more bytes of weights than ``budget``."""
    _saving._check_plain(config, "the model config")
    # A layer may hold a whole model (TimeDistributed(Sequential)): the wrappers find the layer
    # they hold by name, and learnet's model classes are found by name too.
    models = {name: registry.builtin_class(name) for name in ("Sequential", "Functional")}
    with weight_budget.limit(budget + (1 << 16), where), registry.custom_object_scope(models):
        model = _saving.deserialize_layer(config, custom_objects)
    if not _is_model(model):
        _refuse(f"{where} describes a {type(model).__name__}, not a model")
    return model


def _compile(model, keras_compile, custom_objects, where):
    if keras_compile and _overrides(model, "compile_from_config"):
        # The model's own compile_from_config gets what its get_compile_config returned, as Keras 3
        # wrote it (serialize_keras_object's form), once checked to name no code and no foreign module.
        _saving._check_plain(
            _from_keras_value(keras_compile, f"{where}: the compile config", custom_objects), "the compile config"
        )
        try:
            with registry.custom_object_scope(custom_objects):
                model.compile_from_config(keras_compile)
        except Exception as error:  # noqa: BLE001 - a hook of the user's: any failure is the file's
            raise _hook_failed(where, model, "compile_from_config", error) from None
        return
    if keras_compile:
        config = compile_config_from_keras(keras_compile, custom_objects, f"{where}: the compile config")
        _saving._check_plain(config, "the compile config")
        if config.get("optimizer") is not None and config.get("loss") is not None:
            _saving.compile_from_config(model, config, custom_objects)


# --- .keras (Keras 3) ------------------------------------------------------------------------------------
# What a .keras file may hold besides a model, by the class name of its config.json, and the
# learnet module that reads it (its load_keras_file). That module sits on a higher floor, so it
# is named, not imported, and loaded on first use, as the registry finds learnet's layers.
_OTHER_KERAS_OBJECTS = {"FeatureSpace": "learnet.feature_space"}


def load_keras(archive, filepath, custom_objects=None, compile=True):
    """Load a Keras 3 ``.keras`` archive (already opened and size-checked by ``saving``)."""
    h5py = _h5py()
    where = f"load_model: {os.fspath(filepath)}"
    names = archive.names()
    unknown = sorted(set(names) - {"metadata.json", "config.json", "model.weights.h5"})
    if unknown and not all(name.startswith("assets/") for name in unknown):
        _refuse(f"{where} holds unexpected entries {unknown[:5]}")
    if "config.json" not in names:
        _refuse(f"{where} has no config.json: it is not a Keras model file")
    keras_config = _saving._read_json(archive, "config.json")
    if not isinstance(keras_config, dict):
        _refuse(f"{where}: config.json must hold a dict")
    reader = _OTHER_KERAS_OBJECTS.get(keras_config.get("class_name"))
    if reader is not None:
        import importlib

        return importlib.import_module(reader).load_keras_file(archive, keras_config, where, custom_objects)
    weights = archive.read("model.weights.h5")
    config = model_config_from_keras(keras_config, custom_objects, where)
    _vocabularies_into_config(archive, names, keras_config, config, where)
    handle, declared = _open_h5(h5py, io.BytesIO(weights), f"{where}: model.weights.h5", len(weights))
    # Keras 3's order: build (build_from_config), compile (compile_from_config), the variables
    # (load_own_variables), then the assets (load_assets).
    try:
        model = _build(config, custom_objects, declared, where)
        if compile:
            _compile(model, keras_config.get("compile_config"), custom_objects, where)
        order = _keras_order(keras_config) if keras_config.get("class_name") in _MODEL_CLASSES else None
        _read_keras3_state(h5py, handle, model, where, order)
        if compile and getattr(model, "optimizer", None) is not None and "optimizer" in handle:
            metadata = _saving._read_json(archive, "metadata.json") if "metadata.json" in names else {}
            older_learnet = (
                isinstance(metadata, dict)
                and metadata.get("saved_by") == "learnet"
                and "learnet_version" not in metadata
            )
            _read_optimizer(h5py, handle["optimizer"], model, where, _interleaved_order if older_learnet else None)
    finally:
        handle.close()
    _load_assets(archive, model, where)
    return model


# --- assets: the files a layer keeps beside the weights (save_assets / load_assets) --------------------
_ASSETS = "assets"


def _asset_owners(model, method):
    """``[(path, layer)]`` of the model and layers that define ``method`` (``save_assets``, ``load_assets``)."""
    return [(path, layer) for path, layer in _keras3_paths(model) if callable(getattr(layer, method, None))]


def _save_assets(model, archive):
    """Call each layer's ``save_assets`` with a folder of its own and put what it wrote into the
    archive under ``assets/<the layer's path>/`` (Keras 3's layout)."""
    import tempfile

    owners = _asset_owners(model, "save_assets")
    if not owners:
        return
    with tempfile.TemporaryDirectory(prefix="learnet-assets-") as folder:
        for path, layer in owners:
            inner = os.path.join(folder, *path.split("/")) if path else folder
            os.makedirs(inner, exist_ok=True)
            layer.save_assets(inner)
        for current, _, files in sorted(os.walk(folder)):
            for name in sorted(files):
                full = os.path.join(current, name)
                relative = os.path.relpath(full, folder).replace(os.sep, "/")
                archive.write(full, f"{_ASSETS}/{relative}", compress_type=zipfile.ZIP_DEFLATED)


def _load_assets(archive, model, where):
    """Unpack the archive's ``assets/`` into a temporary folder and call each layer's
    ``load_assets`` with its own folder there (Keras 3's layout); the folder is removed after."""
    import tempfile

    owners = _asset_owners(model, "load_assets")
    if not owners:
        return
    with tempfile.TemporaryDirectory(prefix="learnet-assets-") as folder:
        root = os.path.realpath(folder)
        for name in archive.names():
            if not name.startswith(f"{_ASSETS}/") or name.endswith("/"):
                continue
            parts = name.split("/")[1:]
            target = os.path.realpath(os.path.join(root, *parts))
            if "\\" in name or any(part in ("", ".", "..") for part in parts) or not target.startswith(root + os.sep):
                _refuse(f"{where}: the asset {name!r} points outside the archive's assets folder")
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as stream:
                stream.write(archive.read(name))
        for path, layer in owners:
            inner = os.path.join(root, *path.split("/")) if path else root
            present = os.path.isdir(inner)
            os.makedirs(inner, exist_ok=True)
            try:
                layer.load_assets(inner)
            except Exception as error:  # noqa: BLE001 - a hook of the user's: any failure is the file's
                if not present:
                    error = OSError(f"the file holds no assets at {_ASSETS}/{path} ({error})")
                raise _hook_failed(where, layer, "load_assets", error) from None


_VOCABULARY_LAYERS = ("TextVectorization", "StringLookup", "IntegerLookup")


def _vocabularies_into_config(archive, names, keras_config, config, where):
    """Put an adapted TextVectorization's or lookup's vocabulary, which Keras keeps as a text file
    beside the weights (``assets/layers/text_vectorization/vocabulary.txt``, a token a line), into
    its config, so the layer is whole when the model is built (its output size may depend on it)."""
    entries = {entry["config"].get("name"): entry for entry in config["config"].get("layers", [])}
    used = {}
    for name in _keras_order(keras_config):
        entry = entries.get(name)
        if entry is None:
            continue
        asset = f"assets/layers/{_numbered(entry['class_name'], used)}/vocabulary.txt"
        if entry["class_name"] not in _VOCABULARY_LAYERS or asset not in names:
            continue
        if entry["config"].get("vocabulary") is not None:
            continue  # given in the config already
        try:
            tokens = archive.read(asset).decode("utf-8").split("\n")
        except UnicodeDecodeError:
            _refuse(f"{where}: {asset} is not UTF-8 text")
        if entry["class_name"] == "IntegerLookup":
            try:
                tokens = [int(token) for token in tokens if token != ""]
            except ValueError:
                _refuse(f"{where}: {asset} holds a token that is not an integer")
        entry["config"]["vocabulary"] = tokens


_INNER = "inner_optimizer/"  # the keys of a LossScaleOptimizer's inner optimizer in its state


def _keras_state_order(state):
    """learnet's optimizer-state keys in Keras 3's order: step and rate, the slots, then extras (Nadam's u_product).

    A ``LossScaleOptimizer``'s own variables come first, then its inner optimizer's, in their order.
    """
    keys = list(state)
    wrapped = [k for k in keys if k.startswith(_INNER)]
    if wrapped:
        inner = _keras_state_order({k[len(_INNER) :]: None for k in wrapped})
        return [k for k in keys if k not in wrapped] + [_INNER + k for k in inner]
    head = [k for k in keys if k in ("iterations", "learning_rate")]
    slots = [k for k in keys if "/" in k]
    return head + slots + [k for k in keys if k not in head and k not in slots]


def _interleaved_order(keys, optimizer):
    """The order older learnet releases wrote an optimizer's state in: as Keras 3's, but with
    each variable's slots side by side (``0/velocity``, ``0/momentum``, ``1/velocity``...)
    where Keras 3 groups them by kind (Adam's velocity_hats, RMSprop's momentums).

    Their ``.keras`` files carry no ``learnet_version`` in ``metadata.json``; only the
    order of the slot block differs.
    """
    keys = list(keys)
    wrapped = [k for k in keys if k.startswith(_INNER)]
    if wrapped:
        inner = _interleaved_order([k[len(_INNER) :] for k in wrapped], optimizer.inner_optimizer)
        return [k for k in keys if k not in wrapped] + [_INNER + k for k in inner]
    names = list(getattr(optimizer, "_slot_names", ()))
    slots = [k for k in keys if "/" in k and k.split("/", 1)[1] in names]
    slot_set = set(slots)
    by_variable = iter(sorted(slots, key=lambda k: (int(k.split("/", 1)[0]), names.index(k.split("/", 1)[1]))))
    return [next(by_variable) if k in slot_set else k for k in keys]


def _named_order(names):
    """learnet's own ``.h5`` files name each optimizer weight after its state key
    (``adam/0_velocity_hat``): those are read by name, in whatever order a learnet release
    wrote them; other files (real Keras') in Keras 3's order."""

    def order(keys, optimizer):
        by_form = {key.replace("/", "_"): key for key in keys}
        named = [by_form.get(str(name).split("/", 1)[-1]) for name in names]
        if None in named or len(set(named)) != len(keys):
            return _keras_state_order(keys)
        return named

    return order


def _read_optimizer(h5py, group, model, where, order=None):
    """The optimizer's state from ``optimizer/vars/<i>`` of a ``.keras`` file."""
    stored = group.get("vars")
    count = len(stored) if stored is not None else 0
    _set_optimizer_state(
        model,
        [(stored, str(index), f"{where}: optimizer/vars/{index}") for index in range(count)],
        h5py,
        where,
        order,
    )


def _set_optimizer_state(model, sources, h5py, where, order=None):
    """Put the arrays of ``sources`` ((group, name, where) in Keras 3's order of the optimizer's
    variables, or in ``order(keys, optimizer)``'s) into the optimizer, where they fit learnet's
    layout; else a warning."""
    import warnings

    optimizer = model.optimizer
    optimizer.build(model.trainable_weights)
    layout = optimizer.get_state()
    if len(sources) != len(layout):
        warnings.warn(
            f"{where}: the saved optimizer state ({len(sources)} arrays) does not fit learnet's "
            f"{type(optimizer).__name__} ({len(layout)}); the optimizer starts afresh",
            stacklevel=4,
        )
        return
    state = {}
    keys = order(list(layout), optimizer) if order is not None else _keras_state_order(layout)
    for key, (group, name, here) in zip(keys, sources):
        current = layout[key]
        dataset = _dataset(h5py, group, name, here)
        if tuple(dataset.shape) != tuple(np.shape(current)):
            warnings.warn(
                f"{where}: the saved optimizer state does not fit the model's weights; the optimizer starts afresh",
                stacklevel=4,
            )
            return
        state[key] = np.asarray(dataset[()]).astype(np.asarray(current).dtype)
    try:
        optimizer.set_state(state)
    except (ValueError, TypeError) as error:
        _refuse(f"{where}: the saved optimizer state does not fit: {error}")


def _keras_order(keras_config):
    """The layer names of a Keras config in the order Keras wrote them (its ``model.layers``)."""
    entries = (keras_config.get("config") or {}).get("layers") or []
    names = [
        entry.get("name") or (entry.get("config") or {}).get("name") for entry in entries if isinstance(entry, dict)
    ]
    if keras_config.get("class_name") == "Sequential":
        names = [n for n, e in zip(names, entries) if e.get("class_name") != "InputLayer"]
    return names


def save_keras(model, filepath, include_optimizer=True):
    """Write ``model`` as a Keras 3 ``.keras`` file (architecture, compile arguments, weights).

    Returns False, after a warning, for a model that Keras' format cannot describe (a
    subclassed model, a wrapper layer): the caller then writes learnet's own format,
    which learnet (not Keras) loads.
    """
    import warnings

    h5py = _h5py()
    try:
        config = model_config_to_keras(model)
        _check_covered(model, [layer for _, layer in _keras3_paths(model)], "cannot save", ValueError)
    except ValueError as error:
        warnings.warn(
            f"{os.fspath(filepath)}: {error}. Writing learnet's own format instead: learnet loads it, Keras cannot",
            stacklevel=3,
        )
        return False
    if _overrides(model, "get_compile_config"):
        # What the model's own get_compile_config returns, described as Keras 3 does.
        compile_config = model.get_compile_config()
        if compile_config is not None:
            config["compile_config"] = _saving.serialize_keras_object(compile_config)
    elif getattr(model, "compiled", False) and getattr(model, "optimizer", None) is not None:
        config["compile_config"] = compile_config_to_keras(model)
    config = _saving._plain_json(config, "the model config")
    metadata = {
        "keras_version": KERAS_VERSION,
        "date_saved": time.strftime("%Y-%m-%d@%H:%M:%S"),
        "saved_by": "learnet",
        # Tells learnet's reader the optimizer state is in Keras 3's order (older files interleave slots).
        "learnet_version": LEARNET_VERSION,
    }
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as handle:
        _write_keras3_weights(handle, model, f"save: {os.fspath(filepath)}")
        optimizer = getattr(model, "optimizer", None) if include_optimizer else None
        if optimizer is not None and hasattr(optimizer, "get_state"):
            group = handle.create_group("optimizer/vars")
            group.attrs["name"] = optimizer.name
            state = optimizer.get_state()
            order = _keras_state_order(state)
            for index, key in enumerate(order):
                group.create_dataset(str(index), data=state[key])
            inner = [key for key in order if key.startswith(_INNER)]
            if inner:  # Keras 3 also stores a LossScaleOptimizer's inner optimizer on its own
                group = handle.create_group("optimizer/inner_optimizer/vars")
                for index, key in enumerate(inner):
                    group.create_dataset(str(index), data=state[key])
    weights = buffer.getvalue()

    def write(stream):
        with zipfile.ZipFile(stream, "w") as archive:
            archive.writestr("metadata.json", json.dumps(metadata), compress_type=zipfile.ZIP_DEFLATED)
            archive.writestr("config.json", json.dumps(config), compress_type=zipfile.ZIP_DEFLATED)
            archive.writestr("model.weights.h5", weights, compress_type=zipfile.ZIP_STORED)
            _save_assets(model, archive)

    _saving.atomic_write(filepath, write)
    return True


def _write_keras3_weights(handle, model, where="save"):
    """Each layer's variables at ``<path>/vars/<i>``, as Keras 3 writes them; a layer (or model)
    that defines ``save_own_variables`` writes its own ``vars`` group itself."""
    from learnet import backend

    h5py = _h5py()
    paths = _keras3_paths(model)
    _check_covered(model, [layer for _, layer in paths], "cannot save", ValueError)
    root = handle.create_group("vars")
    for path, layer in paths:
        if _overrides(layer, "save_own_variables"):
            group = root if path == "" else handle.require_group(f"{path}/vars")
            group.attrs["name"] = layer.name
            layer.save_own_variables(_VariablesStore(h5py, group, path, where))
            continue
        if _is_model(layer):
            continue  # a model's variables are its layers'
        group = handle.require_group(f"{path}/vars")
        group.attrs["name"] = layer.name
        values = [backend.to_numpy(v._value) for v in _saved_variables(layer)]
        for index, value in enumerate(values):
            group.create_dataset(str(index), data=value)


# --- .h5 (tf.keras 2) and .weights.h5 ---------------------------------------------------------------------
def load_h5_model(filepath, custom_objects=None, compile=True):
    """Load a whole model saved by tf.keras 2 (``model.save("x.h5")``)."""
    h5py = _h5py()
    filepath = os.fspath(filepath)
    where = f"load_model: {filepath}"
    handle, declared = _open_h5(h5py, filepath, where, os.path.getsize(filepath))
    try:
        keras_config = _text_attribute(handle.attrs, "model_config", where)
        if not isinstance(keras_config, dict):
            _refuse(
                f"{where} has no model_config attribute: it holds weights only; build the model and "
                "call model.load_weights on it"
            )
        training = _text_attribute(handle.attrs, "training_config", where)
        config = model_config_from_keras(keras_config, custom_objects, where)
        root = handle.get("model_weights", handle)
        model = _build(config, custom_objects, declared, where)
        _read_into(_legacy_weight_pairs(h5py, root, model, where, by_name=True, complete=True), where)
        if compile and isinstance(training, dict):
            keras_compile = {
                "optimizer": training.get("optimizer_config"),
                "loss": training.get("loss"),
                "metrics": training.get("metrics"),
                "loss_weights": training.get("loss_weights"),
                "weighted_metrics": training.get("weighted_metrics"),
            }
            _compile(model, keras_compile, custom_objects, where)
            stored = handle.get("optimizer_weights")
            if stored is not None and getattr(model, "optimizer", None) is not None:
                names = _text_list(stored.attrs.get("weight_names"), f"{where}: optimizer_weights")
                sources = [(stored, name, f"{where}: optimizer_weights/{name}") for name in names]
                _set_optimizer_state(model, sources, h5py, where, _named_order(names))
    finally:
        handle.close()
    return model


def save_h5_model(model, filepath, include_optimizer=True):
    """Write ``model`` as Keras' legacy HDF5 whole-model file (``model.save("x.h5")``).

    The layout Keras 3 and tf.keras 2 write: attributes ``model_config`` (the model's Keras
    config as JSON), ``training_config`` (compile arguments), ``keras_version`` and
    ``backend``; ``model_weights/<layer>/...`` with each layer's ``weight_names``, a nested
    model's weights in one group; and ``optimizer_weights`` in the order of Keras'
    optimizer variables. Real Keras and learnet load it with ``load_model``.

    Raises
    ------
    ValueError
        For a model Keras' config cannot describe (a subclassed model): nothing is written.
    """
    h5py = _h5py()
    config = model_config_to_keras(model)
    layers = [layer for layer in model.layers if _legacy_variables(layer)]
    _check_covered(model, layers, "save", ValueError, variables_of=_legacy_variables)
    model_config = _saving._plain_json({"class_name": config["class_name"], "config": config["config"]}, "the config")
    training = None
    if getattr(model, "compiled", False) and getattr(model, "optimizer", None) is not None:
        compiled = compile_config_to_keras(model)
        optimizer = compiled.pop("optimizer")
        compiled["optimizer_config"] = (
            {"class_name": optimizer["class_name"], "config": optimizer["config"]}
            if isinstance(optimizer, dict)
            else optimizer
        )
        training = _saving._plain_json(compiled, "the compile config")

    def names(values):
        return np.array([value.encode("utf-8") for value in values], dtype=bytes) if values else np.zeros(0)

    from learnet import backend

    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as handle:
        handle.attrs["backend"] = "learnet"
        handle.attrs["keras_version"] = KERAS_VERSION
        handle.attrs["model_config"] = json.dumps(model_config)
        if training is not None:
            handle.attrs["training_config"] = json.dumps(training)
        weights = handle.create_group("model_weights")
        weights.attrs["backend"] = "learnet"
        weights.attrs["keras_version"] = KERAS_VERSION
        weights.attrs["layer_names"] = names([layer.name for layer in model.layers])
        for layer in model.layers:
            group = weights.create_group(layer.name)
            paths, used = [], set()
            for variable in _legacy_variables(layer):
                short = str(variable.name).split(":")[0].split("/")[-1]
                path = f"{model.name}/{layer.name}/{short}"
                number = 1
                while path in used:  # two weights of one name (sublayers): keep both
                    path, number = f"{model.name}/{layer.name}/{short}_{number}", number + 1
                used.add(path)
                paths.append(path)
                group.create_dataset(path, data=backend.to_numpy(variable._value))
            group.attrs["weight_names"] = names(paths)
        optimizer = getattr(model, "optimizer", None) if include_optimizer and training is not None else None
        if optimizer is not None and hasattr(optimizer, "get_state") and getattr(optimizer, "built", True):
            state = optimizer.get_state()
            if state:
                group = handle.create_group("optimizer_weights")
                stored = []
                for key in _keras_state_order(state):
                    path = f"{optimizer.name}/{key.replace('/', '_')}"
                    group.create_dataset(path, data=np.asarray(state[key]))
                    stored.append(path)
                group.attrs["weight_names"] = names(stored)
    data = buffer.getvalue()
    _saving.atomic_write(filepath, lambda stream: stream.write(data))


def load_weights_h5(model, filepath, by_name=False, skip_mismatch=False):
    """Load weights from an HDF5 file: Keras 3 ``.weights.h5``, tf.keras 2 weights or whole-model ``.h5``.

    ``skip_mismatch``: weights (Keras 3 layout: layers) whose saved shapes differ keep their values.
    """
    h5py = _h5py()
    filepath = os.fspath(filepath)
    where = f"load_weights: {filepath}"
    if not model.built and not model.weights:  # a built model whose layers hold no weights loads nothing
        raise ValueError(
            f"load_weights: model '{model.name}' is not built yet, so it has no weights to load "
            "into; call it on data or build(input_shape) first"
        )
    handle, _ = _open_h5(h5py, filepath, where, os.path.getsize(filepath))
    try:
        if "layer_names" in handle.attrs or "model_weights" in handle:
            root = handle.get("model_weights", handle)
            _read_into(_legacy_weight_pairs(h5py, root, model, where, by_name), where, skip_mismatch)
        else:
            _read_keras3_state(h5py, handle, model, where, skip_mismatch=skip_mismatch)
    finally:
        handle.close()


def load_weights_keras(model, archive, filepath, skip_mismatch=False):
    """Load the weights of a Keras 3 ``.keras`` archive into ``model`` (``skip_mismatch`` as
    ``load_weights_h5``)."""
    h5py = _h5py()
    where = f"load_weights: {os.fspath(filepath)}"
    weights = archive.read("model.weights.h5")
    handle, _ = _open_h5(h5py, io.BytesIO(weights), f"{where}: model.weights.h5", len(weights))
    try:
        _read_keras3_state(h5py, handle, model, where, skip_mismatch=skip_mismatch)
    finally:
        handle.close()


def save_weights_h5(model, filepath):
    """Write the weights in the Keras 3 ``.weights.h5`` layout (``layers/<layer>/vars/<i>``)."""
    h5py = _h5py()
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as handle:
        _write_keras3_weights(handle, model, f"save_weights: {os.fspath(filepath)}")
    data = buffer.getvalue()
    _saving.atomic_write(filepath, lambda stream: stream.write(data))
