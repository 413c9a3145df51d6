"""``tf.train``: ``Checkpoint``, ``CheckpointManager``, ``latest_checkpoint`` and ``list_variables``.

``tf.train.Example`` and its parts (``Features``, ``Feature``, ``BytesList``,
``FloatList``, ``Int64List``, ``SequenceExample``, ``FeatureList``, ``FeatureLists``) are
the protocol buffers of ``learnet.train_example``, found here when first asked for (they
need the ``protobuf`` package).

A checkpoint stores the values of every variable reachable from the objects given to
``Checkpoint(...)`` (``tf.Module``s, Keras models and layers, optimizers, variables, and
lists or dicts of them), each under the path of attributes that leads to it, as
TensorFlow's object-based checkpoints do. ``restore`` puts the values back into the same
structure. The files are learnet's: ``<prefix>.index`` (JSON: names, shapes, dtypes) and
``<prefix>.data-00000-of-00001`` (the arrays, NumPy's ``.npz``); no code is stored.

Examples
--------
>>> import learnet as tf, tempfile, os
>>> v = tf.Variable(3.0)
>>> checkpoint = tf.train.Checkpoint(weight=v)
>>> path = checkpoint.save(os.path.join(tempfile.mkdtemp(), "ckpt"))
>>> _ = v.assign(0.0)
>>> _ = checkpoint.restore(path)
>>> float(v)
3.0
"""

import glob
import json
import os
import re

import numpy

from learnet.tensor import Variable

__all__ = ["Checkpoint", "CheckpointManager", "latest_checkpoint", "list_variables", "load_variable"]

# The messages of tf.train.Example, imported from learnet.train_example when first used.
_EXAMPLE_MESSAGES = (
    "BytesList",
    "Example",
    "Feature",
    "FeatureList",
    "FeatureLists",
    "Features",
    "FloatList",
    "Int64List",
    "SequenceExample",
)


def __getattr__(name):
    if name in _EXAMPLE_MESSAGES:
        from learnet import train_example

        value = getattr(train_example, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'learnet.train' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXAMPLE_MESSAGES))


DATA_SUFFIX = ".data-00000-of-00001"
INDEX_SUFFIX = ".index"


def _children(obj):
    if isinstance(obj, dict):
        return [(str(k), v) for k, v in sorted(obj.items(), key=lambda item: str(item[0]))]
    if isinstance(obj, (list, tuple)):
        return [(str(i), v) for i, v in enumerate(obj)]
    if hasattr(obj, "__dict__"):
        return [(k, v) for k, v in sorted(vars(obj).items()) if not k.startswith("__")]
    return []


def _variables(root):
    """``{path: variable}`` for every variable reachable from ``root``'s attributes."""
    found, seen = {}, set()

    def visit(obj, path, depth):
        if depth > 12 or id(obj) in seen:
            return
        if isinstance(obj, Variable):
            seen.add(id(obj))
            found[path] = obj
            return
        if (
            isinstance(obj, (str, bytes, int, float, bool, numpy.ndarray, type))
            or obj is None
            or callable(obj)
            and not hasattr(obj, "__dict__")
        ):
            return
        seen.add(id(obj))
        if hasattr(obj, "weights") and hasattr(obj, "_flatten_layers"):
            # A Keras layer or model: its weights in their fixed order, stable across runs.
            for i, variable in enumerate(obj.weights):
                if id(variable) not in seen:
                    seen.add(id(variable))
                    found[f"{path}/weights/{i}"] = variable
            return
        for key, value in _children(obj):
            visit(value, f"{path}/{key.lstrip('_')}" if path else key.lstrip("_"), depth + 1)

    for key, value in _children(root):
        visit(value, key, 0)
    return found


class _Status:
    """What ``restore`` returns: checks on how much of the checkpoint was matched."""

    def __init__(self, unmatched_in_file, unmatched_in_objects):
        self._unmatched_in_file = unmatched_in_file
        self._unmatched_in_objects = unmatched_in_objects

    def assert_consumed(self):
        if self._unmatched_in_file or self._unmatched_in_objects:
            raise AssertionError(
                f"checkpoint not fully consumed: in the file but not the objects {self._unmatched_in_file}, "
                f"in the objects but not the file {self._unmatched_in_objects}"
            )
        return self

    def assert_existing_objects_matched(self):
        if self._unmatched_in_objects:
            raise AssertionError(f"variables with no value in the checkpoint: {self._unmatched_in_objects}")
        return self

    def expect_partial(self):
        return self


class Checkpoint:
    """Save and restore the variables of the objects given as keyword arguments."""

    def __init__(self, root=None, **kwargs):
        if root is not None:
            kwargs["root"] = root
        for key, value in kwargs.items():
            setattr(self, key, value)
        self._objects = dict(kwargs)
        self.save_counter = Variable(0, trainable=False, dtype="int64", name="save_counter")

    def _tracked(self):
        variables = _variables(self._objects)
        variables["save_counter"] = self.save_counter
        return variables

    def write(self, file_prefix, options=None):
        """Write the values under ``file_prefix`` (no counter); returns the prefix."""
        file_prefix = os.fspath(file_prefix)
        directory = os.path.dirname(file_prefix)
        if directory:
            os.makedirs(directory, exist_ok=True)
        variables = self._tracked()
        arrays = {f"v{i}": v.numpy() for i, v in enumerate(variables.values())}
        index = {
            "format": "learnet checkpoint",
            "variables": [
                {"name": name, "key": f"v{i}", "shape": list(v.shape), "dtype": v.dtype.name}
                for i, (name, v) in enumerate(variables.items())
            ],
        }
        with open(file_prefix + DATA_SUFFIX, "wb") as stream:
            numpy.savez(stream, **arrays)
        with open(file_prefix + INDEX_SUFFIX, "w", encoding="utf-8") as stream:
            json.dump(index, stream, indent=1)
        return file_prefix

    def save(self, file_prefix, options=None):
        """Write a numbered checkpoint ``<file_prefix>-<n>`` and return its path."""
        self.save_counter.assign_add(1)
        path = f"{os.fspath(file_prefix)}-{int(self.save_counter)}"
        self.write(path)
        directory = os.path.dirname(path) or "."
        with open(os.path.join(directory, "checkpoint"), "w", encoding="utf-8") as stream:
            json.dump({"latest": os.path.basename(path)}, stream)
        return path

    def read(self, save_path, options=None):
        return self.restore(save_path)

    def restore(self, save_path, options=None):
        """Put the stored values back into the objects' variables (matched by path)."""
        if save_path is None:
            return _Status([], [])
        save_path = os.fspath(save_path)
        if not os.path.isfile(save_path + INDEX_SUFFIX):
            raise FileNotFoundError(f"no learnet checkpoint at {save_path!r} (expected {save_path + INDEX_SUFFIX})")
        with open(save_path + INDEX_SUFFIX, encoding="utf-8") as stream:
            index = json.load(stream)
        with numpy.load(save_path + DATA_SUFFIX, allow_pickle=False) as data:
            stored = {entry["name"]: data[entry["key"]] for entry in index["variables"]}
        variables = self._tracked()
        for name, variable in variables.items():
            if name in stored:
                value = stored[name]
                if tuple(value.shape) != tuple(variable.shape):
                    raise ValueError(
                        f"checkpoint value {name!r} has shape {value.shape}, the variable {tuple(variable.shape)}"
                    )
                variable.assign(value.astype(variable.dtype))
        return _Status(sorted(set(stored) - set(variables)), sorted(set(variables) - set(stored)))


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The path of the newest checkpoint saved in ``checkpoint_dir``, or None."""
    marker = os.path.join(os.fspath(checkpoint_dir), latest_filename or "checkpoint")
    if os.path.isfile(marker):
        with open(marker, encoding="utf-8") as stream:
            return os.path.join(os.fspath(checkpoint_dir), json.load(stream)["latest"])
    candidates = glob.glob(os.path.join(os.fspath(checkpoint_dir), "*" + INDEX_SUFFIX))
    if not candidates:
        return None
    return max(candidates, key=os.path.getmtime)[: -len(INDEX_SUFFIX)]


def list_variables(ckpt_dir_or_file):
    """``[(name, shape), ...]`` of the values stored in a checkpoint."""
    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path):
        path = latest_checkpoint(path)
    with open(path + INDEX_SUFFIX, encoding="utf-8") as stream:
        return [(entry["name"], entry["shape"]) for entry in json.load(stream)["variables"]]


def load_variable(ckpt_dir_or_file, name):
    """The stored value named ``name``, as a NumPy array."""
    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path):
        path = latest_checkpoint(path)
    with open(path + INDEX_SUFFIX, encoding="utf-8") as stream:
        keys = {entry["name"]: entry["key"] for entry in json.load(stream)["variables"]}
    with numpy.load(path + DATA_SUFFIX, allow_pickle=False) as data:
        return data[keys[name]]


class CheckpointManager:
    """Numbered checkpoints in a directory, keeping the newest ``max_to_keep``."""

    def __init__(self, checkpoint, directory, max_to_keep, checkpoint_name="ckpt", **kwargs):
        self._checkpoint = checkpoint
        self.directory = os.fspath(directory)
        self.max_to_keep = max_to_keep
        self._prefix = os.path.join(self.directory, checkpoint_name)
        pattern = re.compile(re.escape(checkpoint_name) + r"-(\d+)" + re.escape(INDEX_SUFFIX) + "$")
        existing = []
        if os.path.isdir(self.directory):
            for name in os.listdir(self.directory):
                match = pattern.match(name)
                if match:
                    existing.append((int(match.group(1)), os.path.join(self.directory, name[: -len(INDEX_SUFFIX)])))
        self._checkpoints = [path for _, path in sorted(existing)]

    @property
    def checkpoints(self):
        return list(self._checkpoints)

    @property
    def latest_checkpoint(self):
        return self._checkpoints[-1] if self._checkpoints else None

    def save(self, checkpoint_number=None, **kwargs):
        if checkpoint_number is not None:
            path = self._checkpoint.write(f"{self._prefix}-{int(checkpoint_number)}")
        else:
            path = self._checkpoint.save(self._prefix)
        self._checkpoints.append(path)
        while self.max_to_keep is not None and len(self._checkpoints) > self.max_to_keep:
            old = self._checkpoints.pop(0)
            for suffix in (INDEX_SUFFIX, DATA_SUFFIX):
                if os.path.exists(old + suffix):
                    os.remove(old + suffix)
        return path
