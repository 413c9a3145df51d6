"""Saving and loading models: one zip file of JSON and ``.npz``, read without running code.

``model.save("model.learnet")`` writes a zip archive holding

* ``metadata.json``: the learnet version, the arguments of ``compile`` (optimizer,
  loss and metrics by name and config) and, under ``"user_metadata"``, what the caller
  passed as ``metadata=`` (``learnet train`` stores the dataset, its class names and
  the input scaling there, so a model file copied alone still knows what it learned;
  ``read_metadata`` reads it back);
* ``config.json``: the architecture, as class names and layer configs;
* ``model.weights.npz``: the weights' values, in the order of ``model.weights``,
  keyed ``"0003/dense_1/kernel"`` (index, then the weight's path);
* ``optimizer.npz``: the optimizer's state (``optimizer.get_state()``).

``load_model`` reads it back. Loading never executes code from the file: the layer
classes come from an explicit registry of learnet's own layers (custom classes only
through ``custom_objects``), every config value must be plain JSON data, arrays are
read with ``allow_pickle=False`` after their headers are checked (numbers only), and
the archive's sizes are checked before anything is decompressed (no zip bombs).
Every problem with a file raises ``InvalidModelFileError``, a ``ValueError``. Keras' own
files (``.keras``, ``.h5``, ``.weights.h5``) are read and written by ``learnet.keras_files``.

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

import contextlib
import contextvars
import io
import json
import os
import struct
import tempfile
import time
import zipfile
import zlib

import numpy as np

from learnet.keras_config import uses_legacy_keras
from learnet.layers.serialization import CONFIG_ERRORS as _CONFIG_ERRORS
from learnet.layers.serialization import InvalidModelFileError
from learnet.layers.serialization import check_plain as _check_plain
from learnet.layers.serialization import describe as _describe
from learnet.layers.serialization import deserialize as deserialize_layer
from learnet.layers.serialization import plain_json as _plain_json
from learnet.layers.serialization import serialize as serialize_layer
from learnet.object_serialization import (  # noqa: F401 - keras.saving's names
    deserialize_keras_object,
    get_custom_objects,
    get_registered_name,
    serialize_keras_object,
)
from learnet.registry import custom_object_scope, get_registered_object, register_keras_serializable
from learnet.registry import registered_function_name
from learnet import weight_budget

CustomObjectScope = custom_object_scope  # Keras' other name for it (keras.saving.CustomObjectScope)

__all__ = [
    "save_model",
    "load_model",
    "save_weights",
    "load_weights",
    "model_from_json",
    "read_metadata",
    "InvalidModelFileError",
    "register_keras_serializable",
    "get_registered_object",
    "custom_object_scope",
    "CustomObjectScope",
    "serialize_keras_object",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
]

FORMAT_NAME = "learnet"
FORMAT_VERSION = 1

# Archive limits: a real model file is mostly raw float32 arrays (stored uncompressed),
# so its contents are about as large as the file. An archive claiming far more than
# that is refused before anything is decompressed.
MAX_TOTAL_BYTES = 8 << 30  # 8 GiB of contents at most, whatever the file size
MAX_EXPANSION = 100  # contents at most 100 times the file's size ...
EXPANSION_ALLOWANCE = 16 << 20  # ... plus 16 MiB (JSON compresses well)
MAX_MEMBERS = 100000
MAX_JSON_BYTES = 64 << 20

# What the zipfile module raises for a damaged archive: an unsupported "version" or
# compression method (NotImplementedError), a cut header (struct.error, EOFError), ...
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    struct.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
)

_MODEL_MEMBERS = ("metadata.json", "config.json", "model.weights.npz", "optimizer.npz")
_ARRAY_KINDS = "biuf"


# --- architecture --------------------------------------------------------------------------------
# Set while weights alone are saved or loaded: the layers' order then comes from the graph of a
# functional model, and no layer is asked for its get_config() (Keras never asks then, and a
# custom layer's broken get_config must not stop a ModelCheckpoint(save_weights_only=True)).
_WEIGHTS_ONLY = contextvars.ContextVar("weights_only", default=False)


@contextlib.contextmanager
def _weights_only():
    token = _WEIGHTS_ONLY.set(True)
    try:
        yield
    finally:
        _WEIGHTS_ONLY.reset(token)


def serialize_model(model):
    """The architecture of ``model`` as plain data (what ``config.json`` holds).

    While weights alone are saved or loaded, a functional model gives its graph only: its layers
    by class and name, without their configs.
    """
    graph = getattr(model, "_graph_config", None)
    if _WEIGHTS_ONLY.get() and graph is not None:
        try:
            return {"class_name": type(model).__name__, "config": graph(), "name": model.name}
        except NotImplementedError as error:  # a graph that starts from layer outputs: no config
            raise ValueError(f"cannot describe model '{model.name}': {error}") from None
    return serialize_layer(model)


def keras_written(config):
    """Whether a model config is in the form Keras writes (``to_json``, a ``.keras`` file's
    ``config.json``): Keras 3 names each object's ``module``, and tf.keras 2's ``to_json``
    adds its ``keras_version``; learnet's own form has neither."""
    return isinstance(config, dict) and ("module" in config or "keras_version" in config)


def model_json_config(model):
    """What ``model.to_json()`` writes: Keras 3's form, which Keras reads too, for a model it can
    describe (a Sequential or functional model of Keras' layers, a registered subclass);
    learnet's own form (``serialize_model``) for any other, which only learnet reads."""
    try:
        return _keras_files().model_config_to_keras(model)
    except ValueError:
        return serialize_model(model)


def model_from_config(config, custom_objects=None):
    """Create a model from its config: learnet's (``serialize_model``'s dict), or one Keras 3 or
    tf.keras 2 wrote (``keras_written``), read as a ``.keras`` file's ``config.json`` is. Either
    is checked to be plain data, naming no code, first."""
    if keras_written(config):
        config = _keras_files().model_config_from_keras(config, custom_objects)
    _check_plain(config, "config")
    return deserialize_layer(config, custom_objects)


def model_from_json(json_string, custom_objects=None):
    """Rebuild a model (new weights) from ``model.to_json()``, learnet's or Keras'."""
    try:
        config = json.loads(json_string)
    except (ValueError, RecursionError) as error:
        raise InvalidModelFileError(f"the model JSON cannot be read: {error}") from None
    return model_from_config(config, custom_objects)


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
            return _function_name(loss.fn)
        return _plain_json(losses_module.serialize(loss), "the loss")
    return _function_name(loss)


def _function_name(function):
    """A loss or metric function by name: the one it was registered under ("Package>name"), as
    Keras 3 writes it, else its own."""
    return registered_function_name(function) or getattr(function, "__name__", None)


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
            entry = _plain_json(metrics_module.serialize(metric), "a metric")
        except (ValueError, TypeError):
            return metric.name
        base_name = metric.__dict__.get("_compiled_base_name")
        if isinstance(base_name, str) and isinstance(entry.get("config"), dict) and "name" in entry["config"]:
            # The name the user gave, not the one compile made for one output ("o1_mean_pred").
            entry["config"]["name"] = base_name
        return entry
    return _function_name(metric) or getattr(metric, "name", None)


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
#: The endings that name a file's format, as Keras 3 reads them: a whole model, or its weights alone.
MODEL_SUFFIXES = (".learnet", ".keras")
WEIGHTS_SUFFIXES = (".weights.npz", ".weights.h5")
_ACCEPTED_NAMES = (
    "a name ending in .learnet or .keras for a whole model (model.save), "
    "or in .weights.npz or .weights.h5 for the weights alone (model.save_weights)"
)


def _legacy_saved_model_name(filepath):
    """Whether ``filepath`` names, under ``TF_USE_LEGACY_KERAS=1``, Keras 2's default for a whole
    model: a SavedModel directory (a name with no ``.keras``, ``.learnet``, ``.h5`` ending)."""
    lowered = os.fspath(filepath).lower()
    return uses_legacy_keras() and not lowered.endswith(MODEL_SUFFIXES + WEIGHTS_SUFFIXES + (".h5", ".hdf5"))


def _check_extension(filepath, what, weights):
    lowered = filepath.lower()
    if weights and lowered.endswith((".h5", ".hdf5")) and not lowered.endswith(".weights.h5"):
        shown = os.path.basename(filepath)
        raise ValueError(
            f"{what}: {shown!r}: as in Keras 3, a weights file's name must end in .weights.h5 (or .weights.npz); "
            f"model.save({shown!r}) writes the whole model in Keras' legacy HDF5 format"
        )


def _check_save_name(filepath, what, weights):
    """Refuse, before anything is written, a name whose ending does not say what ``what`` writes.

    As Keras 3: ``.learnet``/``.keras`` hold a whole model, ``.weights.npz``/``.weights.h5``
    weights alone; any other name, one with no ending included, is refused. Under
    ``TF_USE_LEGACY_KERAS=1`` a whole model may have any other name, as in Keras 2: it is
    written as a SavedModel directory (``save_format="tf"``).
    """
    _check_extension(filepath, what, weights)
    if not weights and _legacy_saved_model_name(filepath):
        return
    base = os.path.basename(filepath).lower()
    if base.endswith(WEIGHTS_SUFFIXES if weights else MODEL_SUFFIXES):
        return
    if not weights and base.endswith((".h5", ".hdf5")):  # Keras' legacy whole-model file
        return
    shown = os.path.basename(filepath)
    if base.endswith(MODEL_SUFFIXES):
        raise ValueError(
            f"{what}: {shown!r} names a whole-model file; save_weights writes the weights alone: use a "
            f"name ending in .weights.npz or .weights.h5, or model.save({shown!r}) for the whole model"
        )
    if base.endswith(WEIGHTS_SUFFIXES):
        raise ValueError(
            f"{what}: {shown!r} names a weights file; model.save writes the whole model: use a name "
            f"ending in .learnet or .keras, or model.save_weights({shown!r}) for the weights alone"
        )
    raise ValueError(f"{what}: cannot tell the file format from the name {shown!r}: use {_ACCEPTED_NAMES}")


def _keras_files():
    """Keras' own formats (``.keras``, ``.h5``, ``.weights.h5``) live in their own module."""
    from learnet import keras_files

    return keras_files


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
    from learnet.tensor import keras2_name

    arrays = {}
    for index, variable in enumerate(model.weights):
        arrays[f"{index:04d}/{keras2_name(variable)}"] = backend.to_numpy(variable._value)
    return arrays


def _json_bytes(value):
    return json.dumps(value, indent=1, allow_nan=True).encode("utf-8")


def save_model(model, filepath, overwrite=True, include_optimizer=True, metadata=None, **kwargs):
    """Save ``model`` (architecture, weights, compile arguments, optimizer state) to one file.

    Parameters
    ----------
    model : Model
    filepath : str or path-like
        ``.learnet`` for learnet's format; ``.keras`` for Keras 3's (see ``learnet.keras_files``).
    overwrite : bool, default True
        With False, an existing file raises ``FileExistsError``.
    include_optimizer : bool, default True
        Save the optimizer's state, so training resumes exactly where it stopped.
    metadata : dict, optional
        Plain data (numbers, strings, lists, dicts) stored inside the file, e.g. the
        dataset the model learned; ``read_metadata(filepath)`` returns it.
    save_format : {"tf"}, optional
        ``"tf"``, tf.keras 2's SavedModel request: ``filepath`` becomes a directory written
        by ``tf.saved_model.save`` (``load_model`` and ``tf.saved_model.load`` read it).

    Examples
    --------
    >>> save_model(model, "digits.learnet", metadata={"dataset": "mnist"})  # doctest: +SKIP
    >>> read_metadata("digits.learnet")                                      # doctest: +SKIP
    {'dataset': 'mnist'}
    """
    from learnet.version import LEARNET_VERSION as __version__

    save_format = kwargs.pop("save_format", None)
    for ignored in ("signatures", "options", "save_traces", "zipped"):
        kwargs.pop(ignored, None)
    if kwargs:
        raise TypeError(f"save got unexpected keyword argument(s) {sorted(kwargs)}")
    filepath = os.fspath(filepath)
    if save_format is None and _legacy_saved_model_name(filepath):
        save_format = "tf"  # Keras 2's default (TF_USE_LEGACY_KERAS=1) for a name with no file ending
    if save_format == "tf":  # tf.keras 2's SavedModel directory: learnet's tf.saved_model directory
        from learnet import saved_model

        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(f"{filepath} exists; pass overwrite=True to replace it")
        saved_model.save(model, filepath)
        return
    if save_format not in (None, "keras", "learnet", "h5"):
        raise ValueError(f"save: save_format must be 'keras', 'tf' or 'h5' (as the name says), got {save_format!r}")
    lowered = filepath.lower()
    if save_format == "h5" or (lowered.endswith((".h5", ".hdf5")) and not lowered.endswith(".weights.h5")):
        # Keras' legacy HDF5 whole-model file, which Keras 3 still writes (with a warning) and reads.
        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(f"{filepath} exists; pass overwrite=True to replace it")
        _keras_files().save_h5_model(model, filepath, include_optimizer)
        return
    _check_save_name(filepath, "save", weights=False)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists; pass overwrite=True to replace it")
    if filepath.lower().endswith(".keras") and _keras_files().save_keras(model, filepath, include_optimizer):
        return
    config = serialize_model(model)
    metadata_entry = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "learnet_version": __version__,
        "date_saved": time.strftime("%Y-%m-%d@%H:%M:%S"),
        # serialize_keras_object, as Keras 3 does: a get_compile_config of the user's own may
        # return optimizers and registered functions, which are then described by name and config.
        "compile_config": serialize_keras_object(model.get_compile_config())
        if getattr(model, "compiled", False)
        else None,
    }
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise TypeError(f"save: metadata must be a dict of plain data, got {type(metadata).__name__}")
        metadata_entry["user_metadata"] = _plain_json(metadata, "metadata")
    weights = _npz_bytes(_weight_arrays(model))
    optimizer = getattr(model, "optimizer", None)
    optimizer_state = None
    if include_optimizer and optimizer is not None and hasattr(optimizer, "get_state"):
        optimizer_state = _npz_bytes(optimizer.get_state())

    def write(stream):
        with zipfile.ZipFile(stream, "w") as archive:
            archive.writestr("metadata.json", _json_bytes(metadata_entry), compress_type=zipfile.ZIP_DEFLATED)
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
    _check_save_name(filepath, "save_weights", weights=True)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists; pass overwrite=True to replace it")
    if filepath.lower().endswith((".h5", ".hdf5")):
        with _weights_only():
            return _keras_files().save_weights_h5(model, filepath)
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
                f"{what} is not a valid learnet file: it is not a zip archive, or it is truncated or damaged ({error})"
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


def _normalization_layout(model, saved):
    """``saved`` with the Normalization weights of files written before the layer kept Keras 3's
    variables brought up to date.

    Those files hold an adapted layer's ``mean`` and ``variance`` broadcast against the inputs
    (``(1, 1, 1, 3)``) and no ``count``; now they are one value per feature (``(3,)``) and a
    sample count follows (unknown there: 0, as Keras 3 keeps it). A layer given its statistics
    now has no weights; the file's two arrays are left out (its config holds them).
    """
    saved = list(saved)
    for layer in model._flatten_layers():
        if type(layer).__name__ != "Normalization" or not layer.built:
            continue
        paths = [path for path, _ in saved]
        mean, variance, count = (f"{layer.name}/{short}" for short in ("mean", "variance", "count"))
        if mean not in paths:
            continue
        at = paths.index(mean)
        if paths[at + 1 : at + 2] != [variance] or paths[at + 2 : at + 3] == [count]:
            continue  # not the old layout
        if layer.input_mean is not None:
            del saved[at : at + 2]
            continue
        pairs = []
        for (path, array), variable in zip(saved[at : at + 2], (layer.adapt_mean, layer.adapt_variance)):
            if array.size != variable._value.size:
                break  # not this layer's: the checks below say what differs
            pairs.append((path, np.reshape(array, tuple(variable.shape))))
        else:
            saved[at : at + 2] = pairs + [(count, np.zeros((), layer.count.dtype))]
    return saved


def _in_model_order(variables, saved):
    """``saved`` in the order of ``variables`` where it holds the same weights by name in another
    order: a file learnet wrote before a functional model listed its layers as Keras 3 does."""
    from learnet.tensor import keras2_name

    names = [keras2_name(variable) for variable in variables]
    paths = [path for path, _ in saved]
    if paths == names or len(set(names)) != len(names) or sorted(paths) != sorted(names):
        return saved
    by_path = dict(saved)
    return [(name, by_path[name]) for name in names]


def _assign_weights(model, saved, where, skip_mismatch=False):
    """Check every saved array against ``model.weights``, then assign them all (or none)."""
    saved = _normalization_layout(model, saved)
    variables = model.weights
    if len(saved) != len(variables):
        raise InvalidModelFileError(
            f"{where} holds {len(saved)} weight arrays, but the model has {len(variables)} weights"
            f"{'' if variables else ' (is it built? call it on data or build it first)'}"
        )
    saved = _in_model_order(variables, saved)
    pairs = []
    for variable, (path, array) in zip(variables, saved):
        if tuple(array.shape) != tuple(variable.shape) or array.dtype != variable.dtype:
            if skip_mismatch:
                continue
            raise InvalidModelFileError(
                f"{where}: weight {path!r} has shape {tuple(array.shape)} and dtype {array.dtype}, but "
                f"the model's weight {variable.path!r} has shape {tuple(variable.shape)} and dtype {variable.dtype}"
            )
        pairs.append((variable, array))
    for variable, array in pairs:
        variable._value[...] = array


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """Load weights saved by ``save_weights`` (or the weights of a whole-model file) into ``model``.

    Every array is checked against the model's weights (count, shape, dtype) before any
    weight changes.
    """
    with _weights_only():
        return _load_weights(model, filepath, skip_mismatch, **kwargs)


def _load_weights(model, filepath, skip_mismatch, **kwargs):
    by_name = bool(kwargs.pop("by_name", False))
    kwargs.pop("options", None)
    if kwargs:
        raise TypeError(f"load_weights got unexpected keyword argument(s) {sorted(kwargs)}")
    if os.path.isfile(filepath) and (
        _keras_files().is_hdf5(filepath) or os.fspath(filepath).lower().endswith((".h5", ".hdf5"))
    ):
        return _keras_files().load_weights_h5(model, filepath, by_name=by_name, skip_mismatch=skip_mismatch)
    archive, stream = _open_file(filepath, "load_weights")
    try:
        names = archive.names()
        if "model.weights.h5" in names:
            return _keras_files().load_weights_keras(model, archive, filepath, skip_mismatch)
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
    _assign_weights(
        model,
        _ordered_weights(arrays, f"load_weights: {filepath}"),
        f"load_weights: {filepath}",
        skip_mismatch=skip_mismatch,
    )


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
    if os.path.isdir(filepath):  # a directory of tf.saved_model.save / save_format="tf", as tf.keras 2 read it
        from learnet import saved_model

        if os.path.isfile(os.path.join(os.fspath(filepath), saved_model.MODEL_FILE)):
            return saved_model.load(filepath, custom_objects=custom_objects)
        raise InvalidModelFileError(
            f"load_model: {os.fspath(filepath)} is a directory without a learnet model in it; a tf.Module "
            "saved there loads with tf.saved_model.load, a model exported with model.export with "
            "keras.layers.TFSMLayer"
        )
    if os.path.isfile(filepath) and _keras_files().is_hdf5(filepath):
        if os.fspath(filepath).lower().endswith(".weights.h5"):
            raise InvalidModelFileError(
                f"load_model: {os.fspath(filepath)}: this is a weights file: use "
                f"model.load_weights({os.fspath(filepath)!r}) on a model built with the same layers"
            )
        return _keras_files().load_h5_model(filepath, custom_objects, compile=compile)
    archive, stream = _open_file(filepath, "load_model")
    try:
        names = archive.names()
        if names and "config.json" not in names and all(name.endswith(".npy") for name in names):
            raise InvalidModelFileError(
                f"{archive.what}: this is a weights file: use model.load_weights({os.fspath(filepath)!r}) "
                "on a model built with the same layers"
            )
        unknown = sorted(set(names) - set(_MODEL_MEMBERS))
        if "model.weights.h5" in names:
            return _keras_files().load_keras(archive, filepath, custom_objects, compile=compile)
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
    # What the caller stored is data only (never a class name to look up), so free text is fine there.
    # The compile config is checked where it is used (_compile_loaded): a model's own
    # compile_from_config reads it in Keras 3's form.
    _check_plain(
        {key: value for key, value in metadata.items() if key not in ("user_metadata", "compile_config")},
        "metadata.json",
    )
    # The layers may create no more bytes of weights than the file holds (Dense(10**8) in a small file).
    with weight_budget.limit(sum(array.nbytes for array in weights.values()) + (1 << 16), what):
        model = deserialize_layer(config, custom_objects)
    if not callable(getattr(model, "fit", None)):  # a layer, not a model
        raise InvalidModelFileError(f"{what}: the file describes a {type(model).__name__}, not a model")
    _assign_weights(model, _ordered_weights(weights, what), what)
    compile_config = metadata.get("compile_config")
    if compile and compile_config:
        _compile_loaded(model, compile_config, custom_objects, what)
        if optimizer_state:
            _restore_optimizer(model, optimizer_state, what)
    return model


def _compile_loaded(model, config, custom_objects, what):
    """Compile a loaded model: through its own ``compile_from_config`` where its class defines one
    (as Keras 3 does), else from learnet's compile config."""
    from learnet import registry

    if type(model).compile_from_config is registry.builtin_class("Model").compile_from_config:
        _check_plain(config, "metadata.json['compile_config']")
        compile_from_config(model, config, custom_objects)
        return
    # Keras 3's descriptions (with "module" keys) are checked the way Keras' own files are: modules
    # of Keras only, registered classes and functions only, no code.
    keras_files = _keras_files()
    _check_plain(
        keras_files._from_keras_value(config, f"{what}: the compile config", custom_objects),
        "metadata.json['compile_config']",
    )
    try:
        with custom_object_scope(custom_objects):
            model.compile_from_config(config)
    except _CONFIG_ERRORS as error:
        raise InvalidModelFileError(
            f"{what}: {type(model).__name__}.compile_from_config failed on the saved compile config: {_describe(error)}"
        ) from None


def _restore_optimizer(model, state, what):
    optimizer = model.optimizer
    if any("/" in key for key in state):
        optimizer.build(model.trainable_weights)
    try:
        optimizer.set_state(state)
    except _CONFIG_ERRORS as error:
        raise InvalidModelFileError(f"{what}: the saved optimizer state does not fit: {error}") from None


def read_metadata(filepath):
    """What ``save_model(..., metadata=...)`` stored in a model file (``{}`` when nothing was).

    Only ``metadata.json`` is read: no model is built and no weights are loaded.

    Raises
    ------
    InvalidModelFileError
        If the file is not a readable learnet model file.

    Examples
    --------
    >>> read_metadata("model.learnet")  # doctest: +SKIP
    {'dataset': 'fashion_mnist', 'pixel_scale': 255.0, 'class_names': ['T-shirt/top', ...]}
    """
    archive, stream = _open_file(filepath, "read_metadata")
    try:
        names = archive.names()
        metadata = _read_json(archive, "metadata.json") if "metadata.json" in names else {}
    finally:
        archive.close()
        stream.close()
    if not isinstance(metadata, dict):
        raise InvalidModelFileError(f"read_metadata: {os.fspath(filepath)}: metadata.json must hold a dict")
    stored = metadata.get("user_metadata") or {}
    if not isinstance(stored, dict):
        raise InvalidModelFileError(f"read_metadata: {os.fspath(filepath)}: the stored metadata is not a dict")
    return stored
