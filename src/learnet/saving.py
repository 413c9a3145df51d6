"""Saving and loading models: one zip file of JSON and ``.npz``, read without running code.

``model.save("model.learnet")`` writes a zip archive holding

* ``metadata.json``: the learnet version and the arguments of ``compile`` (optimizer,
  loss and metrics by name and config);
* ``config.json``: the architecture, as class names and layer configs;
* ``model.weights.npz``: the weights' values, in the order of ``model.weights``,
  keyed ``"0003/dense_1/kernel"`` (index, then the weight's path);
* ``optimizer.npz``: the optimizer's state (``optimizer.get_state()``).

``load_model`` reads it back. Loading never executes code from the file: the layer
classes come from an explicit registry of learnet's own layers (custom classes only
through ``custom_objects``), every config value must be plain JSON data, arrays are
read with ``allow_pickle=False`` after their headers are checked (numbers only), and
the archive's sizes are checked before anything is decompressed (no zip bombs).
Every problem with a file raises ``InvalidModelFileError``, a ``ValueError``.

Files are written to a temporary file in the same folder, flushed to disk and renamed
over the target, so a crash or a kill in the middle of a save leaves the previous
file whole.

Examples
--------
>>> import learnet as keras
>>> model.save("mnist.learnet")                                   # doctest: +SKIP
>>> model = keras.models.load_model("mnist.learnet")             # doctest: +SKIP
>>> model.save_weights("mnist.weights.npz")                       # doctest: +SKIP
"""
import inspect
import io
import json
import os
import re
import struct
import tempfile
import time
import zipfile
import zlib

import numpy as np

__all__ = [
    "save_model", "load_model", "save_weights", "load_weights", "clone_model", "model_from_json",
    "InvalidModelFileError", "register_keras_serializable", "get_registered_object",
]

FORMAT_NAME = "learnet"
FORMAT_VERSION = 1

# Archive limits: a real model file is mostly raw float32 arrays (stored uncompressed),
# so its contents are about as large as the file. An archive claiming far more than
# that is refused before anything is decompressed.
MAX_TOTAL_BYTES = 8 << 30          # 8 GiB of contents at most, whatever the file size
MAX_EXPANSION = 100                # contents at most 100 times the file's size ...
EXPANSION_ALLOWANCE = 16 << 20     # ... plus 16 MiB (JSON compresses well)
MAX_MEMBERS = 100000
MAX_JSON_BYTES = 64 << 20

# What the zipfile module raises for a damaged archive: an unsupported "version" or
# compression method (NotImplementedError), a cut header (struct.error, EOFError), ...
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, struct.error, EOFError, OSError,
               ValueError, NotImplementedError)

# What a layer's constructor, build or call may raise when a file gives it nonsense
# (units=-1, a kernel of 2**31 rows, a zero stride): all reported as a bad file.
# MemoryError is one of them: a config may describe weights far too large to create.
_CONFIG_ERRORS = (TypeError, ValueError, LookupError, AttributeError, ArithmeticError, MemoryError)

_MODEL_MEMBERS = ("metadata.json", "config.json", "model.weights.npz", "optimizer.npz")
_ARRAY_KINDS = "biuf"


class InvalidModelFileError(ValueError):
    """A model or weights file that learnet cannot (or will not) load."""


# --- custom objects -----------------------------------------------------------------------------
_REGISTERED = {}


def register_keras_serializable(package="Custom", name=None):
    """Decorator that lets ``load_model`` find a custom layer or model class by name.

    Registering is an explicit promise by the code that defines the class; a file
    can only name classes registered this way (or given in ``custom_objects``).

    Examples
    --------
    >>> @register_keras_serializable()
    ... class Scale(learnet.layers.Layer):                 # doctest: +SKIP
    ...     ...
    """
    def decorator(cls):
        key = name or cls.__name__
        _REGISTERED[key] = cls
        _REGISTERED[f"{package}>{key}"] = cls
        return cls

    return decorator


def get_registered_object(name, custom_objects=None):
    """The class registered (or given in ``custom_objects``) under ``name``, or None."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    return _REGISTERED.get(name)


def _layer_registry():
    """learnet's own layer and model classes, by class name: the only ones a file may name."""
    from learnet import layers as layers_module
    from learnet.layers.base import Layer
    from learnet.models.functional import Functional
    from learnet.models.sequential import Sequential

    registry = {}
    for attribute in dir(layers_module):
        value = getattr(layers_module, attribute)
        if isinstance(value, type) and issubclass(value, Layer) and value.__module__.startswith("learnet."):
            registry[value.__name__] = value
    registry["Sequential"] = Sequential
    registry["Functional"] = Functional
    registry["Model"] = Functional
    return registry


# --- checking configs ------------------------------------------------------------------------------
_DOTTED_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")
_FORBIDDEN_KEYS = {"module", "fn_module", "function_type", "__class__", "__reduce__", "py/object",
                   "py/function", "py/reduce"}


def _check_plain(value, where, depth=0):
    """Raise unless ``value`` is plain data (no hint of a Python module or callable to import)."""
    if depth > 64:
        raise InvalidModelFileError(f"the model config is nested too deeply at {where}")
    if value is None or isinstance(value, (bool, int, float)):
        return
    if isinstance(value, str):
        if _DOTTED_PATH.match(value) and not where.endswith(("['name']", "['layer']")) and "__keras_tensor__" not in where:
            raise InvalidModelFileError(
                f"the model config names a Python module or function ({value!r} at {where}); "
                "learnet never imports code named in a file"
            )
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_plain(item, f"{where}[{index}]", depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidModelFileError(f"the model config has a non-text key at {where}")
            if key in _FORBIDDEN_KEYS or (key.startswith("__") and key != "__keras_tensor__"):
                raise InvalidModelFileError(
                    f"the model config holds the key {key!r} at {where}, which names Python code "
                    "(a module or a callable); learnet never imports code named in a file"
                )
            _check_plain(item, f"{where}[{key!r}]", depth + 1)
        return
    raise InvalidModelFileError(f"the model config holds a {type(value).__name__} at {where}")


def _plain_json(value, where):
    """Convert a config value to JSON-ready data (tuples to lists), refusing anything else."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_plain_json(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {str(k): _plain_json(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise ValueError(
        f"cannot save {where}: it holds a {type(value).__name__} ({value!r:.60}), which is not plain "
        "data; give the layer a get_config() that returns numbers, strings, lists and dicts"
    )


# --- architecture --------------------------------------------------------------------------------
def _layer_config(layer):
    try:
        config = layer.get_config()
    except NotImplementedError as error:
        raise ValueError(f"cannot save layer '{layer.name}' ({type(layer).__name__}): {error}") from None
    return _plain_json(config, f"the config of layer '{layer.name}'")


def serialize_layer(layer):
    """``{"class_name": ..., "config": ..., "build_config": ...}`` for one layer or model."""
    entry = {"class_name": type(layer).__name__, "config": _layer_config(layer), "name": layer.name}
    build = layer.get_build_config() if hasattr(layer, "get_build_config") else None
    if build is not None:
        entry["build_config"] = _plain_json(build, f"the build config of '{layer.name}'")
    return entry


def serialize_model(model):
    """The architecture of ``model`` as plain data (what ``config.json`` holds)."""
    return serialize_layer(model)


def serialize_sequential_config(model):
    layers = []
    if model._input_layer is not None:
        layers.append(serialize_layer(model._input_layer))
    layers.extend(serialize_layer(layer) for layer in model._stack)
    return {"name": model.name, "trainable": model.trainable, "dtype": model.dtype, "layers": layers}


def serialize_functional_config(model):
    calls = {}
    positions = {}
    for node in model._nodes:
        index = calls.get(id(node.layer), 0)
        calls[id(node.layer)] = index + 1
        positions[id(node)] = (node.layer.name, index)

    def reference(tensor, where):
        if tensor.__class__.__name__ != "KerasTensor":
            return _plain_json(tensor, where)
        node, output_index, _ = model._sources.get(id(tensor), (None, None, None))
        if node is None:  # a model input
            return {"__keras_tensor__": [tensor._keras_history.layer.name, 0, None]}
        name, call = positions[id(node)]
        return {"__keras_tensor__": [name, call, output_index]}

    def encode(structure, where):
        if isinstance(structure, (list, tuple)):
            return [encode(item, f"{where}[{i}]") for i, item in enumerate(structure)]
        if isinstance(structure, dict):
            return {str(k): encode(v, f"{where}[{k!r}]") for k, v in structure.items()}
        return reference(structure, where)

    nodes = []
    for node in model._nodes:
        if node.is_input:
            continue
        where = f"the call of layer '{node.layer.name}'"
        nodes.append({
            "layer": node.layer.name,
            "inputs": encode(node.inputs, where),
            "args": [encode(a, where) for a in node.args],
            "kwargs": {k: encode(v, where) for k, v in node.kwargs.items()},
        })
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": [serialize_layer(layer) for layer in model.layers],
        "nodes": nodes,
        "input_layers": encode(model._input_structure, "the inputs"),
        "output_layers": encode(model._output_structure, "the outputs"),
    }


def _require(config, key, kind, where):
    if not isinstance(config, dict) or key not in config:
        raise InvalidModelFileError(f"{where} has no {key!r}")
    value = config[key]
    if not isinstance(value, kind):
        raise InvalidModelFileError(f"{where}: {key!r} must be a {kind.__name__ if isinstance(kind, type) else kind}, got {type(value).__name__}")
    return value


def deserialize_layer(entry, custom_objects=None, layer_fn=None):
    """Create a layer (or model) from ``serialize_layer``'s dict, by registered class name only."""
    from learnet.layers.base import Layer

    where = "a layer entry of the model config"
    class_name = _require(entry, "class_name", str, where)
    config = _require(entry, "config", dict, f"the entry of {class_name!r}")
    cls = get_registered_object(class_name, custom_objects)
    if cls is None:
        cls = _layer_registry().get(class_name)
    if cls is None:
        raise InvalidModelFileError(
            f"unknown layer class {class_name!r} in the model file. If it is your own class, pass "
            f"custom_objects={{{class_name!r}: {class_name}}} to load_model"
        )
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise InvalidModelFileError(f"custom_objects[{class_name!r}] must be a Layer or Model class, got {cls!r}")
    try:
        if _accepts_custom_objects(cls.from_config):
            layer = cls.from_config(dict(config), custom_objects=custom_objects)
        else:
            layer = cls.from_config(dict(config))
    except InvalidModelFileError:
        raise
    except _CONFIG_ERRORS as error:
        raise InvalidModelFileError(
            f"cannot create layer {config.get('name', '?')!r} ({class_name}) from its config: {_describe(error)}"
        ) from None
    build = entry.get("build_config")
    if build is not None and not getattr(layer, "built", False):
        try:
            layer.build_from_config(build)
        except _CONFIG_ERRORS as error:
            raise InvalidModelFileError(
                f"cannot build layer {layer.name!r} ({class_name}) from its build config: {_describe(error)}"
            ) from None
    if layer_fn is not None:
        layer = layer_fn(layer)
    return layer


def _describe(error):
    """The message of an error raised while rebuilding from a file (MemoryError's is not enough)."""
    if isinstance(error, MemoryError):
        return f"its weights would not fit in memory ({error}); the file asks for implausibly large layers"
    return str(error) or type(error).__name__


def _accepts_custom_objects(function):
    try:
        return "custom_objects" in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def sequential_from_config(config, custom_objects=None, cls=None, layer_fn=None):
    from learnet.models.sequential import Sequential

    cls = cls or Sequential
    entries = _require(config, "layers", list, "the Sequential config")
    model = cls(name=config.get("name"), trainable=config.get("trainable", True))
    for entry in entries:
        model.add(deserialize_layer(entry, custom_objects, layer_fn if _is_not_input(entry) else None))
    return model


def _is_not_input(entry):
    return not (isinstance(entry, dict) and entry.get("class_name") == "InputLayer")


def functional_from_config(config, custom_objects=None, cls=None, layer_fn=None):
    from learnet.layers.core import InputLayer
    from learnet.models.data_adapter import flatten
    from learnet.models.functional import Functional

    cls = cls or Functional
    where = "the functional model config"
    entries = _require(config, "layers", list, where)
    calls = _require(config, "nodes", list, where)
    layers = {}
    for entry in entries:
        layer = deserialize_layer(entry, custom_objects, layer_fn if _is_not_input(entry) else None)
        # Calls name a layer as it was saved: a custom get_config may leave the name out.
        key = entry["name"] if isinstance(entry, dict) and isinstance(entry.get("name"), str) else layer.name
        if key in layers:
            raise InvalidModelFileError(f"{where} has two layers named {key!r}")
        layers[key] = layer
    outputs = {}
    counts = {}
    for name, layer in layers.items():
        if isinstance(layer, InputLayer):
            outputs[(name, 0)] = layer.output
            counts[name] = 1

    def decode(structure):
        if isinstance(structure, list):
            return [decode(item) for item in structure]
        if isinstance(structure, dict):
            if set(structure) == {"__keras_tensor__"}:
                ref = structure["__keras_tensor__"]
                if (not isinstance(ref, list) or len(ref) != 3 or not isinstance(ref[0], str)
                        or not isinstance(ref[1], int) or not (ref[2] is None or isinstance(ref[2], int))):
                    raise InvalidModelFileError(f"{where}: a tensor reference is malformed: {ref!r}")
                key = (ref[0], ref[1])
                if key not in outputs:
                    raise InvalidModelFileError(
                        f"{where}: a call uses output {ref[1]} of layer {ref[0]!r}, which does not exist (yet)"
                    )
                value = outputs[key]
                if ref[2] is None:
                    return value
                flat = flatten(value)
                if not 0 <= ref[2] < len(flat):
                    raise InvalidModelFileError(f"{where}: output index {ref[2]} of layer {ref[0]!r} is out of range")
                return flat[ref[2]]
            return {k: decode(v) for k, v in structure.items()}
        return structure

    for call in calls:
        name = _require(call, "layer", str, f"{where}: a call")
        if name not in layers:
            raise InvalidModelFileError(f"{where}: a call names the unknown layer {name!r}")
        layer = layers[name]
        inputs = decode(call.get("inputs"))
        args = [decode(a) for a in call.get("args", [])]
        kwargs = {k: decode(v) for k, v in (call.get("kwargs") or {}).items()}
        try:
            result = layer(inputs, *args, **kwargs)
        except InvalidModelFileError:
            raise
        except _CONFIG_ERRORS as error:
            raise InvalidModelFileError(f"{where}: calling layer {name!r} failed: {_describe(error)}") from None
        index = counts.get(name, 0)
        counts[name] = index + 1
        outputs[(name, index)] = result
    inputs = decode(config.get("input_layers"))
    result = decode(config.get("output_layers"))
    try:
        return cls(inputs, result, name=config.get("name"), trainable=config.get("trainable", True))
    except _CONFIG_ERRORS as error:
        raise InvalidModelFileError(f"{where}: the graph cannot be rebuilt: {_describe(error)}") from None


def model_from_config(config, custom_objects=None):
    """Create a model from ``serialize_model``'s dict, checking that it is plain data first."""
    _check_plain(config, "config")
    return deserialize_layer(config, custom_objects)


def model_from_json(json_string, custom_objects=None):
    """Rebuild a model (new weights) from ``model.to_json()``."""
    try:
        config = json.loads(json_string)
    except (ValueError, RecursionError) as error:
        raise InvalidModelFileError(f"the model JSON cannot be read: {error}") from None
    return model_from_config(config, custom_objects)


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model with the same architecture and newly initialized weights.

    Parameters
    ----------
    model : Model
    input_tensors : not supported
    clone_function : callable, optional
        ``clone_function(layer)`` returns the layer to use in the clone (default: a new
        layer from the original's config).
    """
    from learnet.models.functional import Functional
    from learnet.models.sequential import Sequential

    if input_tensors is not None:
        raise NotImplementedError("clone_model: input_tensors is not supported by learnet")
    config = serialize_model(model)
    # The classes are those of the model's own layers: already in memory, nothing looked up.
    classes = {type(layer).__name__: type(layer) for layer in model._flatten_layers()}
    if clone_function is not None:
        if isinstance(model, Sequential):
            return sequential_from_config(config["config"], classes, layer_fn=clone_function)
        if isinstance(model, Functional):
            return functional_from_config(config["config"], classes, layer_fn=clone_function)
    return deserialize_layer(config, classes)


# --- compile config ---------------------------------------------------------------------------------
def _serialize_loss(loss):
    from learnet import losses as losses_module

    if loss is None or isinstance(loss, str):
        return loss
    if isinstance(loss, (list, tuple)):
        return [_serialize_loss(item) for item in loss]
    if isinstance(loss, dict):
        return {key: _serialize_loss(value) for key, value in loss.items()}
    if isinstance(loss, type):
        return loss.__name__
    if isinstance(loss, losses_module.Loss):
        if isinstance(loss, losses_module.LossFunctionWrapper) and type(loss) is losses_module.LossFunctionWrapper:
            return getattr(loss.fn, "__name__", None)
        return _plain_json(losses_module.serialize(loss), "the loss")
    return getattr(loss, "__name__", None)


def _serialize_metric(metric):
    from learnet import metrics as metrics_module

    if metric is None or isinstance(metric, str):
        return metric
    if isinstance(metric, (list, tuple)):
        return [_serialize_metric(item) for item in metric]
    if isinstance(metric, dict):
        return {key: _serialize_metric(value) for key, value in metric.items()}
    if isinstance(metric, type):
        return metric.__name__
    if isinstance(metric, metrics_module.Metric) and type(metric) is not metrics_module.MeanMetricWrapper:
        try:
            return _plain_json(metrics_module.serialize(metric), "a metric")
        except (ValueError, TypeError):
            return metric.name
    return getattr(metric, "__name__", getattr(metric, "name", None))


def serialize_compile_config(model):
    """The arguments of ``compile`` as plain data: optimizer, loss and metrics by name and config."""
    from learnet import optimizers as optimizers_module

    config = model._compile_state.config
    return {
        "optimizer": _plain_json(optimizers_module.serialize(model.optimizer), "the optimizer"),
        "loss": _serialize_loss(config["loss"]),
        "metrics": _serialize_metric(config["metrics"]),
        "loss_weights": _plain_json(config["loss_weights"], "loss_weights"),
        "weighted_metrics": _serialize_metric(config["weighted_metrics"]),
    }


def _deserialize_loss(value, custom_objects):
    from learnet import losses as losses_module

    if value is None:
        return None
    if isinstance(value, list):
        return [_deserialize_loss(item, custom_objects) for item in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {key: _deserialize_loss(item, custom_objects) for key, item in value.items()}
    if isinstance(value, str):
        custom = get_registered_object(value, custom_objects)
        return custom if custom is not None else losses_module.get(value)
    return losses_module.deserialize(value, custom_objects=_classes_only(custom_objects))


def _deserialize_metric(value, custom_objects):
    from learnet import metrics as metrics_module

    if value is None:
        return None
    if isinstance(value, list):
        return [_deserialize_metric(item, custom_objects) for item in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {key: _deserialize_metric(item, custom_objects) for key, item in value.items()}
    if isinstance(value, str):
        custom = get_registered_object(value, custom_objects)
        return custom if custom is not None else value
    return metrics_module.deserialize(value, custom_objects=_classes_only(custom_objects))


def _classes_only(custom_objects):
    return {k: v for k, v in (custom_objects or {}).items() if isinstance(v, type)}


def compile_from_config(model, config, custom_objects=None):
    """Compile ``model`` with what ``serialize_compile_config`` returned."""
    from learnet import optimizers as optimizers_module

    where = "the compile config"
    if not isinstance(config, dict):
        raise InvalidModelFileError(f"{where} must be a dict")
    try:
        optimizer = optimizers_module.deserialize(config.get("optimizer"), custom_objects=_classes_only(custom_objects))
        model.compile(
            optimizer=optimizer,
            loss=_deserialize_loss(config.get("loss"), custom_objects),
            metrics=_deserialize_metric(config.get("metrics"), custom_objects),
            loss_weights=config.get("loss_weights"),
            weighted_metrics=_deserialize_metric(config.get("weighted_metrics"), custom_objects),
        )
    except InvalidModelFileError:
        raise
    except _CONFIG_ERRORS as error:
        raise InvalidModelFileError(
            f"cannot compile the loaded model from its saved compile config: {_describe(error)}. For your own "
            "loss or metric, pass custom_objects={'name': function}; or load with compile=False "
            "and compile the model yourself"
        ) from None


# --- writing files safely ------------------------------------------------------------------------------
def _check_extension(filepath, what):
    lowered = filepath.lower()
    if lowered.endswith((".h5", ".hdf5")):
        raise ValueError(
            f"{what}: HDF5 files ({os.path.basename(filepath)}) are not supported by learnet. Use the "
            "learnet format: a name ending in '.learnet' or '.keras' for a whole model, "
            "'.weights.npz' for weights"
        )


def atomic_write(filepath, write):
    """Write a file through ``write(fileobj)`` so that it appears whole or not at all.

    The data go to a temporary file in the same folder, are flushed to disk (fsync), and
    the temporary file is renamed over ``filepath`` (``os.replace``, atomic). If anything
    fails, the temporary file is removed and ``filepath`` is untouched.
    """
    filepath = os.fspath(filepath)
    folder = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot save to {filepath}: the folder {folder} does not exist")
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(filepath)}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temporary, 0o666 & ~mask)
        os.replace(temporary, filepath)
    except BaseException:
        try:
            os.remove(temporary)
        except OSError:
            pass
        raise
    _fsync_folder(folder)


def _fsync_folder(folder):
    """Make the rename itself durable (where the system allows opening a folder)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(descriptor)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(descriptor)


def _npz_bytes(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _weight_arrays(model):
    from learnet import backend

    arrays = {}
    for index, variable in enumerate(model.weights):
        arrays[f"{index:04d}/{variable.name}"] = backend.to_numpy(variable._value)
    return arrays


def _json_bytes(value):
    return json.dumps(value, indent=1, allow_nan=True).encode("utf-8")


def save_model(model, filepath, overwrite=True, include_optimizer=True, **kwargs):
    """Save ``model`` (architecture, weights, compile arguments, optimizer state) to one file.

    Parameters
    ----------
    model : Model
    filepath : str or path-like
        Usually ending in ``.learnet`` (``.keras`` is accepted and means the same format).
    overwrite : bool, default True
        With False, an existing file raises ``FileExistsError``.
    include_optimizer : bool, default True
        Save the optimizer's state, so training resumes exactly where it stopped.
    """
    from learnet.version import LEARNET_VERSION as __version__

    for ignored in ("save_format", "signatures", "options", "save_traces", "zipped"):
        kwargs.pop(ignored, None)
    if kwargs:
        raise TypeError(f"save got unexpected keyword argument(s) {sorted(kwargs)}")
    filepath = os.fspath(filepath)
    _check_extension(filepath, "save")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists; pass overwrite=True to replace it")
    config = serialize_model(model)
    metadata = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "learnet_version": __version__,
        "date_saved": time.strftime("%Y-%m-%d@%H:%M:%S"),
        "compile_config": model.get_compile_config() if getattr(model, "compiled", False) else None,
    }
    weights = _npz_bytes(_weight_arrays(model))
    optimizer = getattr(model, "optimizer", None)
    optimizer_state = None
    if include_optimizer and optimizer is not None and hasattr(optimizer, "get_state"):
        optimizer_state = _npz_bytes(optimizer.get_state())

    def write(stream):
        with zipfile.ZipFile(stream, "w") as archive:
            archive.writestr("metadata.json", _json_bytes(metadata), compress_type=zipfile.ZIP_DEFLATED)
            archive.writestr("config.json", _json_bytes(config), compress_type=zipfile.ZIP_DEFLATED)
            archive.writestr("model.weights.npz", weights, compress_type=zipfile.ZIP_STORED)
            if optimizer_state is not None:
                archive.writestr("optimizer.npz", optimizer_state, compress_type=zipfile.ZIP_STORED)

    atomic_write(filepath, write)


def save_weights(model, filepath, overwrite=True, **kwargs):
    """Save the values of ``model.weights`` to an ``.npz`` archive (atomically).

    The keys are ``"0000/dense/kernel"``: the index in ``model.weights``, then the weight's path.
    """
    for ignored in ("save_format", "options"):
        kwargs.pop(ignored, None)
    if kwargs:
        raise TypeError(f"save_weights got unexpected keyword argument(s) {sorted(kwargs)}")
    filepath = os.fspath(filepath)
    _check_extension(filepath, "save_weights")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists; pass overwrite=True to replace it")
    data = _npz_bytes(_weight_arrays(model))
    atomic_write(filepath, lambda stream: stream.write(data))


# --- reading files safely -------------------------------------------------------------------------------
class _Archive:
    """A zip archive opened for reading, its sizes checked before anything is decompressed."""

    def __init__(self, source, what, size=None):
        self.what = what
        try:
            self.zip = zipfile.ZipFile(source)
        except _ZIP_ERRORS as error:
            raise InvalidModelFileError(
                f"{what} is not a valid learnet file: it is not a zip archive, or it is truncated "
                f"or damaged ({error})"
            ) from None
        infos = self.zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise InvalidModelFileError(f"{what} holds {len(infos)} files; that is not a learnet file")
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            raise InvalidModelFileError(f"{what} holds two entries with the same name")
        total = sum(info.file_size for info in infos)
        if size is None:
            size = sum(info.compress_size for info in infos)
        allowed = min(MAX_TOTAL_BYTES, EXPANSION_ALLOWANCE + MAX_EXPANSION * size)
        if total > allowed:
            raise InvalidModelFileError(
                f"{what} claims {total:,} bytes of contents for a {size:,}-byte file; refusing to "
                "decompress it (a zip bomb, or a damaged file)"
            )
        self.infos = {info.filename: info for info in infos}

    def names(self):
        return list(self.infos)

    def read(self, name, limit=None):
        """The bytes of entry ``name``, reading no more than its declared size."""
        info = self.infos.get(name)
        if info is None:
            raise InvalidModelFileError(f"{self.what} has no {name!r}")
        if info.flag_bits & 0x1:
            raise InvalidModelFileError(f"{self.what}: {name!r} is encrypted")
        if limit is not None and info.file_size > limit:
            raise InvalidModelFileError(f"{self.what}: {name!r} is too large ({info.file_size:,} bytes)")
        try:
            with self.zip.open(info) as member:
                data = member.read(info.file_size + 1)
        except _ZIP_ERRORS as error:
            raise InvalidModelFileError(f"{self.what}: {name!r} is damaged or truncated ({error})") from None
        if len(data) != info.file_size:
            raise InvalidModelFileError(
                f"{self.what}: {name!r} holds {len(data):,} bytes instead of the {info.file_size:,} it declares"
            )
        return data

    def close(self):
        self.zip.close()


def _open_file(filepath, what):
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"{what}: no such file: {filepath}")
    if os.path.isdir(filepath):
        raise InvalidModelFileError(
            f"{what}: {filepath} is a folder (a TensorFlow SavedModel?); learnet loads the single "
            "file written by model.save('name.learnet')"
        )
    _check_extension(filepath, what)
    size = os.path.getsize(filepath)
    stream = open(filepath, "rb")  # noqa: SIM115 - closed by the caller
    try:
        return _Archive(stream, f"{what}: {filepath}", size), stream
    except BaseException:
        stream.close()
        raise


def _read_json(archive, name):
    data = archive.read(name, limit=MAX_JSON_BYTES)
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise InvalidModelFileError(f"{archive.what}: {name} is not valid JSON ({error})") from None


def _read_npy(data, where):
    """One ``.npy`` array from bytes: header checked first (numbers only, consistent size)."""
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except ValueError as error:
        raise InvalidModelFileError(f"{where} is not a valid .npy array ({error})") from None
    if dtype.hasobject or dtype.kind not in _ARRAY_KINDS or dtype.fields is not None:
        raise InvalidModelFileError(
            f"{where} holds {'Python objects (a pickle)' if dtype.hasobject else f'data of type {dtype}'}; "
            "learnet loads numbers only, since unpickling could run code from the file"
        )
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if any(s < 0 for s in shape) or count * dtype.itemsize != len(data) - stream.tell():
        raise InvalidModelFileError(
            f"{where}: the array header says shape {shape} of {dtype}, which does not match the "
            f"{len(data) - stream.tell():,} bytes stored (a truncated or damaged file)"
        )
    stream.seek(0)
    try:
        return np.lib.format.read_array(stream, allow_pickle=False)
    except ValueError as error:
        raise InvalidModelFileError(f"{where} cannot be read: {error}") from None


def _read_npz(data, where):
    """``{key: array}`` from the bytes of an ``.npz`` archive (itself checked like the outer zip)."""
    archive = _Archive(io.BytesIO(data), where, len(data))
    try:
        arrays = {}
        for name in archive.names():
            if not name.endswith(".npy"):
                raise InvalidModelFileError(f"{where} holds {name!r}, which is not an .npy array")
            arrays[name[:-4]] = _read_npy(archive.read(name), f"{where}: {name}")
        return arrays
    finally:
        archive.close()


def _ordered_weights(arrays, where):
    entries = []
    for key, array in arrays.items():
        index, _, path = key.partition("/")
        if not index.isdigit():
            raise InvalidModelFileError(f"{where}: unexpected entry {key!r} (expected '0000/layer/weight')")
        entries.append((int(index), path, array))
    entries.sort(key=lambda entry: entry[0])
    if [entry[0] for entry in entries] != list(range(len(entries))):
        raise InvalidModelFileError(f"{where}: the weights are not numbered 0..{len(entries) - 1}")
    return [(path, array) for _, path, array in entries]


def _assign_weights(model, saved, where, skip_mismatch=False):
    """Check every saved array against ``model.weights``, then assign them all (or none)."""
    variables = model.weights
    if len(saved) != len(variables):
        raise InvalidModelFileError(
            f"{where} holds {len(saved)} weight arrays, but the model has {len(variables)} weights"
            f"{'' if variables else ' (is it built? call it on data or build it first)'}"
        )
    pairs = []
    for variable, (path, array) in zip(variables, saved):
        if tuple(array.shape) != tuple(variable.shape) or array.dtype != variable.dtype:
            if skip_mismatch:
                continue
            raise InvalidModelFileError(
                f"{where}: weight {path!r} has shape {tuple(array.shape)} and dtype {array.dtype}, but "
                f"the model's weight {variable.name!r} has shape {tuple(variable.shape)} and dtype {variable.dtype}"
            )
        pairs.append((variable, array))
    for variable, array in pairs:
        variable._value[...] = array


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """Load weights saved by ``save_weights`` (or the weights of a whole-model file) into ``model``.

    Every array is checked against the model's weights (count, shape, dtype) before any
    weight changes.
    """
    for ignored in ("by_name", "options"):
        kwargs.pop(ignored, None)
    if kwargs:
        raise TypeError(f"load_weights got unexpected keyword argument(s) {sorted(kwargs)}")
    archive, stream = _open_file(filepath, "load_weights")
    try:
        names = archive.names()
        if "model.weights.npz" in names:
            arrays = _read_npz(archive.read("model.weights.npz"), f"{archive.what}: model.weights.npz")
        else:
            arrays = {}
            for name in names:
                if not name.endswith(".npy"):
                    raise InvalidModelFileError(f"{archive.what} holds {name!r}, which is not a weight array")
                arrays[name[:-4]] = _read_npy(archive.read(name), f"{archive.what}: {name}")
    finally:
        archive.close()
        stream.close()
    if not model.built and not model.weights:
        raise ValueError(
            f"load_weights: model '{model.name}' is not built yet, so it has no weights to load into; "
            "call it on data or build(input_shape) first"
        )
    _assign_weights(model, _ordered_weights(arrays, f"load_weights: {filepath}"), f"load_weights: {filepath}",
                    skip_mismatch=skip_mismatch)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002 - Keras' name
    """Load a model saved by ``model.save``: architecture, weights and optimizer state.

    Parameters
    ----------
    filepath : str or path-like
    custom_objects : dict, optional
        ``{"MyLayer": MyLayer}``: your own layer, model, loss or metric classes named in
        the file. Nothing else is looked up by name.
    compile : bool, default True
        Compile the model as it was saved (optimizer with its state, loss, metrics).
    safe_mode : bool, default True
        Accepted for Keras compatibility; loading is always safe (no code runs).

    Raises
    ------
    InvalidModelFileError
        (a ``ValueError``) for a file that is not a learnet model, is damaged or
        truncated, names unknown classes or Python code, or holds weights that do not fit.
    """
    if custom_objects is not None and not isinstance(custom_objects, dict):
        raise TypeError(f"load_model: custom_objects must be a dict, got {type(custom_objects).__name__}")
    archive, stream = _open_file(filepath, "load_model")
    try:
        names = archive.names()
        unknown = sorted(set(names) - set(_MODEL_MEMBERS))
        if "model.weights.h5" in names:
            raise InvalidModelFileError(
                f"{archive.what} was saved by Keras (its weights are in HDF5), which learnet cannot read; "
                "load it in Keras and save the weights with numpy, or retrain in learnet"
            )
        if unknown:
            raise InvalidModelFileError(
                f"{archive.what} holds unexpected entries {unknown[:5]}; a learnet model file holds only "
                f"{list(_MODEL_MEMBERS)}"
            )
        for required in ("config.json", "model.weights.npz"):
            if required not in names:
                raise InvalidModelFileError(f"{archive.what} has no {required}: it is not a learnet model file")
        metadata = _read_json(archive, "metadata.json") if "metadata.json" in names else {}
        config = _read_json(archive, "config.json")
        weights = _read_npz(archive.read("model.weights.npz"), f"{archive.what}: model.weights.npz")
        optimizer_state = None
        if "optimizer.npz" in names:
            optimizer_state = _read_npz(archive.read("optimizer.npz"), f"{archive.what}: optimizer.npz")
    finally:
        archive.close()
        stream.close()
    what = f"load_model: {os.fspath(filepath)}"
    if not isinstance(metadata, dict):
        raise InvalidModelFileError(f"{what}: metadata.json must hold a dict")
    version = metadata.get("format_version", FORMAT_VERSION)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise InvalidModelFileError(
            f"{what} was written in format version {version!r} by a newer learnet; upgrade learnet to load it"
        )
    _check_plain(config, "config.json")
    _check_plain(metadata, "metadata.json")
    model = deserialize_layer(config, custom_objects)
    from learnet.models.model import Model

    if not isinstance(model, Model):
        raise InvalidModelFileError(f"{what}: the file describes a {type(model).__name__}, not a model")
    _assign_weights(model, _ordered_weights(weights, what), what)
    compile_config = metadata.get("compile_config")
    if compile and compile_config:
        compile_from_config(model, compile_config, custom_objects)
        if optimizer_state:
            _restore_optimizer(model, optimizer_state, what)
    return model


def _restore_optimizer(model, state, what):
    optimizer = model.optimizer
    if any("/" in key for key in state):
        optimizer.build(model.trainable_weights)
    try:
        optimizer.set_state(state)
    except _CONFIG_ERRORS as error:
        raise InvalidModelFileError(f"{what}: the saved optimizer state does not fit: {error}") from None
