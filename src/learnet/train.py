"""``tf.train``: ``Checkpoint``, ``CheckpointManager``, ``latest_checkpoint``, ``get_checkpoint_state``,
``load_checkpoint``, ``list_variables`` and ``load_variable``.

``tf.train.Example`` and its parts (``Features``, ``Feature``, ``BytesList``,
``FloatList``, ``Int64List``, ``SequenceExample``, ``FeatureList``, ``FeatureLists``) are
the protocol buffers of ``learnet.train_example``, found here when first asked for (they
need the ``protobuf`` package).

A checkpoint stores the objects given to ``Checkpoint(...)`` (``tf.Module``s, Keras models
and layers, optimizers, variables, and lists or dicts of them) as TensorFlow's object-based
checkpoints do: a graph of objects joined by named dependencies, each variable stored
once, so that a restore matches an object by any path that leads to it. Objects attached
after a restore get their values when they appear (deferred restoration); see
:mod:`learnet.checkpoint_graph`. Values are stored under keys of TensorFlow's form,
``net/l1/kernel/.ATTRIBUTES/VARIABLE_VALUE``. The files are learnet's:
``<prefix>.index`` (JSON: the graph, names, shapes, dtypes) and
``<prefix>.data-00000-of-00001`` (the arrays, NumPy's ``.npz``); no code is stored, and
checkpoints of the first learnet format (a flat list of paths) still restore.

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

import collections
import glob
import json
import os
import re
import time

import numpy

from learnet import checkpoint_graph
from learnet import module as tracking
from learnet.checkpoint_graph import (
    INDEX_SUFFIX,
    VALUE_SUFFIX,
    CheckpointLoadStatus,
    CheckpointReader,
    InitializationOnlyStatus,
)
from learnet.distribute.cluster_resolver import ClusterSpec
from learnet.tensor import Tensor, Variable
from learnet.warn import warn

__all__ = [
    "Checkpoint",
    "CheckpointLoadStatus",
    "CheckpointManager",
    "CheckpointReader",
    "CheckpointState",
    "ClusterSpec",
    "get_checkpoint_state",
    "latest_checkpoint",
    "list_variables",
    "load_checkpoint",
    "load_variable",
]
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


# --- the first learnet format: a flat {path: value} list, read for compatibility --------------


def _legacy_children(obj):
    if isinstance(obj, dict):
        return [(str(k), v) for k, v in sorted(obj.items(), key=lambda item: str(item[0]))]
    if isinstance(obj, (list, tuple)):
        return [(str(i), v) for i, v in enumerate(obj)]
    if hasattr(obj, "__dict__"):
        return [(k, v) for k, v in sorted(vars(obj).items()) if not k.startswith("__")]
    return []


def _legacy_variables(root):
    """``{path: variable}`` as the first learnet format named them (attribute paths, underscores
    stripped, a Keras layer's weights as ``weights/<i>``)."""
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
            for i, variable in enumerate(obj.weights):
                if id(variable) not in seen:
                    seen.add(id(variable))
                    found[f"{path}/weights/{i}"] = variable
            return
        for key, value in _legacy_children(obj):
            visit(value, f"{path}/{key.lstrip('_')}" if path else key.lstrip("_"), depth + 1)

    for key, value in _legacy_children(root):
        visit(value, key, 0)
    return found


class _LegacyStatus:
    """What restoring a checkpoint of the first learnet format returns (matched by path)."""

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

    def assert_nontrivial_match(self):
        return self

    def expect_partial(self):
        return self

    def run_restore_ops(self, session=None):
        """Nothing to run."""

    def initialize_or_restore(self, session=None):
        """Nothing to run."""


def _legacy_restore(checkpoint, checkpoint_file):
    arrays = checkpoint_file.arrays()
    stored = {entry["name"]: arrays[entry["key"]] for entry in checkpoint_file.entries}
    objects = dict(checkpoint._dependencies)
    if checkpoint._root is not None:
        objects = {"root": checkpoint._root, **objects}
    variables = _legacy_variables(objects)
    if "save_counter" in stored or checkpoint._save_counter is not None:
        variables["save_counter"] = checkpoint.save_counter
    matched = [(name, variable) for name, variable in variables.items() if name in stored]
    for name, variable in matched:  # everything is checked before anything changes
        if tuple(stored[name].shape) != tuple(variable.shape):
            raise ValueError(
                f"Checkpoint: the value of {name!r} has shape {tuple(stored[name].shape)}, but the variable "
                f"'{variable.path}' it restores has shape {tuple(variable.shape)}; nothing was restored"
            )
    for name, variable in matched:
        variable.assign(stored[name].astype(variable.dtype, copy=False))
    return _LegacyStatus(sorted(set(stored) - set(variables)), sorted(set(variables) - set(stored)))


# --- Checkpoint ---------------------------------------------------------------------------------

_INTERNAL = frozenset({"_root", "_dependencies", "_save_counter"})


def _refuse_untrackable(name, value):
    if isinstance(value, Variable) or not isinstance(
        value, (Tensor, numpy.ndarray, numpy.generic, str, bytes, int, float, complex, bool, type(None))
    ):
        return
    raise ValueError(
        f"Checkpoint was expecting {name} to be a trackable object (a tf.Variable, tf.Module, Keras "
        f"model, layer or optimizer, or a list or dict of them), got {value!r}"
        + ("; wrap a value in tf.Variable(...) to checkpoint it" if not isinstance(value, (str, bytes)) else "")
    )


class Checkpoint:
    """Save and restore the objects given as keyword arguments, as TensorFlow's object-based checkpoints.

    Parameters
    ----------
    root : object, optional
        An object whose own dependencies become the checkpoint's top level.
    **kwargs
        The objects to checkpoint, by name: variables, ``tf.Module``s, Keras models and
        layers, optimizers, other ``Checkpoint``s (as plain containers), lists and dicts.
        Attributes set later (``checkpoint.extra = v``) are checkpointed too; lists and
        dicts become tracked containers (``ListWrapper``, ``DictWrapper``).

    Notes
    -----
    ``save_counter`` (how many times ``save`` ran) is created when first needed (``save``,
    ``restore``) and stored as ``save_counter`` of the checkpoint that saves; a nested
    ``Checkpoint`` used as a container has none.

    Examples
    --------
    >>> import learnet as tf, os, tempfile
    >>> layer = tf.train.Checkpoint(bias=tf.Variable([1.0, 2.0]))
    >>> path = tf.train.Checkpoint(net=tf.train.Checkpoint(l1=layer)).save(os.path.join(tempfile.mkdtemp(), "c"))
    >>> sorted(name for name, _ in tf.train.list_variables(path))
    ['_CHECKPOINTABLE_OBJECT_GRAPH', 'net/l1/bias/.ATTRIBUTES/VARIABLE_VALUE', 'save_counter/.ATTRIBUTES/VARIABLE_VALUE']
    >>> bias = tf.Variable([0.0, 0.0])
    >>> status = tf.train.Checkpoint(net=tf.train.Checkpoint(l1=tf.train.Checkpoint(bias=bias))).restore(path)
    >>> bias.numpy()
    array([1., 2.], dtype=float32)
    """

    def __init__(self, root=None, **kwargs):
        object.__setattr__(self, "_root", root)
        object.__setattr__(self, "_dependencies", {})
        object.__setattr__(self, "_save_counter", None)
        if root is not None:
            _refuse_untrackable("root", root)
        for name, value in kwargs.items():
            _refuse_untrackable(name, value)
            setattr(self, name, value)

    def __setattr__(self, name, value):
        if name in _INTERNAL or isinstance(getattr(type(self), name, None), property):
            object.__setattr__(self, name, value)
            return
        value = tracking.wrap(value)
        object.__setattr__(self, name, value)
        self._dependencies[name] = value
        tracking.notify(self)

    def __delattr__(self, name):
        object.__delattr__(self, name)
        self._dependencies.pop(name, None)

    def _checkpoint_children(self):
        pairs = checkpoint_graph.live_children(self._root) if self._root is not None else []
        pairs += list(self._dependencies.items())
        if self._save_counter is not None:
            pairs.append(("save_counter", self._save_counter))
        return pairs

    @property
    def save_counter(self):
        """How many times ``save`` ran (an int64 ``Variable``), created when first asked for."""
        if self._save_counter is None:
            object.__setattr__(self, "_save_counter", Variable(0, trainable=False, dtype="int64", name="save_counter"))
            tracking.notify(self)
        return self._save_counter

    def write(self, file_prefix, options=None):
        """Write the objects' values under ``file_prefix`` (no counter, no state file); returns it.

        Parameters
        ----------
        file_prefix : str or path
            The files are ``<file_prefix>.index`` and ``<file_prefix>.data-00000-of-00001``.
        options : ignored
            Kept for TensorFlow's signature.
        """
        return checkpoint_graph.write(self, file_prefix)

    def save(self, file_prefix, options=None):
        """Write a numbered checkpoint ``<file_prefix>-<n>`` and name it in the directory's state file.

        Returns
        -------
        str
            The checkpoint's path, for ``restore``.
        """
        counter = self.save_counter
        counter.assign_add(1)
        path = self.write(f"{os.fspath(file_prefix)}-{int(counter.numpy())}")
        directory = os.path.dirname(path) or "."
        _write_state(directory, CheckpointState(path, [path]))
        return path

    def read(self, save_path, options=None):
        """Restore from ``save_path`` without creating ``save_counter``; returns a status.

        See ``restore``.
        """
        save_path = os.fspath(save_path)
        checkpoint_file = checkpoint_graph.read_checkpoint_file(save_path)
        if checkpoint_file.legacy:
            return _legacy_restore(self, checkpoint_file)
        restoration = checkpoint_graph.restore(self, checkpoint_file)
        return CheckpointLoadStatus(restoration, self)

    def restore(self, save_path, options=None):
        """Put the stored values into the objects, matching them by any path that leads to them.

        Objects that exist now are restored now (everything is checked first: a value of the
        wrong shape raises ``ValueError`` and changes nothing). Objects attached later to a
        restored object (an attribute, a list item, a weight a layer creates as it builds,
        an optimizer's slot) are restored when they appear.

        Parameters
        ----------
        save_path : str, path or None
            A checkpoint's path (``manager.latest_checkpoint``, the value of ``save``); None
            restores nothing.

        Returns
        -------
        CheckpointLoadStatus
            With ``assert_consumed``, ``assert_existing_objects_matched``,
            ``assert_nontrivial_match`` and ``expect_partial``.

        Raises
        ------
        tf.errors.NotFoundError
            No checkpoint at ``save_path`` (also a ``FileNotFoundError``).
        tf.errors.DataLossError
            The checkpoint's files are damaged.
        """
        self.save_counter  # noqa: B018 - restored with the rest, as in TensorFlow
        if save_path is None:
            return InitializationOnlyStatus()
        return self.read(save_path, options)

    def __repr__(self):
        return f"<tf.train.Checkpoint of {', '.join(self._dependencies) or 'nothing'}>"


# --- the state file of a directory: which checkpoints it holds --------------------------------


class CheckpointState:
    """The ``checkpoint`` file of a directory: the newest checkpoint and those kept.

    Attributes
    ----------
    model_checkpoint_path : str
    all_model_checkpoint_paths : list of str
    all_model_checkpoint_timestamps : list of float
    last_preserved_timestamp : float

    Examples
    --------
    >>> from learnet.train import CheckpointState
    >>> print(CheckpointState("ckpt-2", ["ckpt-1", "ckpt-2"]), end="")
    model_checkpoint_path: "ckpt-2"
    all_model_checkpoint_paths: "ckpt-1"
    all_model_checkpoint_paths: "ckpt-2"
    """

    def __init__(
        self,
        model_checkpoint_path="",
        all_model_checkpoint_paths=(),
        all_model_checkpoint_timestamps=(),
        last_preserved_timestamp=None,
    ):
        self.model_checkpoint_path = model_checkpoint_path
        self.all_model_checkpoint_paths = list(all_model_checkpoint_paths)
        self.all_model_checkpoint_timestamps = list(all_model_checkpoint_timestamps)
        self.last_preserved_timestamp = last_preserved_timestamp

    def __str__(self):
        lines = [f"model_checkpoint_path: {_quote(self.model_checkpoint_path)}"]
        lines += [f"all_model_checkpoint_paths: {_quote(p)}" for p in self.all_model_checkpoint_paths]
        lines += [f"all_model_checkpoint_timestamps: {t!r}" for t in self.all_model_checkpoint_timestamps]
        if self.last_preserved_timestamp is not None:
            lines.append(f"last_preserved_timestamp: {self.last_preserved_timestamp!r}")
        return "".join(line + "\n" for line in lines)

    def __repr__(self):
        return f"CheckpointState({self.model_checkpoint_path!r}, {self.all_model_checkpoint_paths!r})"


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_UNESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "r": "\r", "t": "\t"}


def _quote(text):
    return '"' + "".join(_ESCAPES.get(c, c) for c in text) + '"'


def _unquote(text):
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in "01234567":
                digits = re.match(r"[0-7]{1,3}", text[i + 1 :]).group(0)  # type: ignore[union-attr]
                out.append(chr(int(digits, 8)))
                i += 1 + len(digits)
                continue
            out.append(_UNESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


_LINE = re.compile(r'^\s*([A-Za-z_]+)\s*:\s*(?:"((?:[^"\\]|\\.)*)"|([-+0-9.eE]+|inf|nan))\s*$')


def _parse_state(text):
    """A ``CheckpointState`` from the text form TensorFlow writes, or the JSON form of the first
    learnet versions; paths as written (maybe relative). Raises ``ValueError`` when it is neither."""
    if text.lstrip().startswith("{"):
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("latest"), str):
            raise ValueError("a JSON state without 'latest'")
        return CheckpointState(data["latest"], [data["latest"]]), True
    state = CheckpointState()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise ValueError(f"line {number} is not 'name: value': {line[:80]!r}")
        field, string, value = match.groups()
        if field in ("model_checkpoint_path", "all_model_checkpoint_paths") and string is not None:
            if field == "model_checkpoint_path":
                state.model_checkpoint_path = _unquote(string)
            else:
                state.all_model_checkpoint_paths.append(_unquote(string))
        elif field in ("all_model_checkpoint_timestamps", "last_preserved_timestamp") and value is not None:
            if field == "last_preserved_timestamp":
                state.last_preserved_timestamp = float(value)
            else:
                state.all_model_checkpoint_timestamps.append(float(value))
        else:
            raise ValueError(f"line {number} has an unknown field or value: {line[:80]!r}")
    return state, False


def _read_state(checkpoint_dir, latest_filename=None):
    """``(state with paths joined to the directory, whether it was the JSON form)`` or ``(None, False)``."""
    checkpoint_dir = os.fspath(checkpoint_dir)
    path = os.path.join(checkpoint_dir, latest_filename or "checkpoint")
    if not os.path.isfile(path):
        return None, False
    try:
        with open(path, encoding="utf-8") as stream:
            state, legacy = _parse_state(stream.read())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        warn(f"the checkpoint state file {path} cannot be read ({error}); it is ignored")
        return None, False

    def joined(name):
        return name if not name or os.path.isabs(name) else os.path.join(checkpoint_dir, name)

    state.model_checkpoint_path = joined(state.model_checkpoint_path)
    state.all_model_checkpoint_paths = [joined(p) for p in state.all_model_checkpoint_paths]
    return state, legacy


def _write_state(directory, state):
    """Write ``state`` (paths made relative to ``directory``) as the directory's ``checkpoint`` file."""

    def relative(path):
        return os.path.relpath(path, directory) if not os.path.isabs(path) or os.path.isabs(directory) else path

    written = CheckpointState(
        relative(state.model_checkpoint_path),
        [relative(p) for p in state.all_model_checkpoint_paths],
        state.all_model_checkpoint_timestamps,
        state.last_preserved_timestamp,
    )
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "checkpoint")
    temporary = f"{path}.tmp{os.getpid()}"
    with open(temporary, "w", encoding="utf-8") as stream:
        stream.write(str(written))
    os.replace(temporary, path)


def get_checkpoint_state(checkpoint_dir, latest_filename=None):
    """The state of ``checkpoint_dir``'s ``checkpoint`` file, or None when there is none.

    Parameters
    ----------
    checkpoint_dir : str or path
    latest_filename : str, optional
        The state file's name, ``checkpoint`` by default.

    Returns
    -------
    CheckpointState or None
        Its ``model_checkpoint_path`` and ``all_model_checkpoint_paths`` are joined to
        ``checkpoint_dir``.

    Examples
    --------
    >>> import learnet as tf, os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> _ = tf.train.Checkpoint(v=tf.Variable(1.0)).save(os.path.join(folder, "ckpt"))
    >>> os.path.basename(tf.train.get_checkpoint_state(folder).model_checkpoint_path)
    'ckpt-1'
    """
    return _read_state(checkpoint_dir, latest_filename)[0]


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The path of the newest checkpoint named in ``checkpoint_dir``'s state file, or None.

    None too when the state file names a checkpoint whose files are gone.

    Examples
    --------
    >>> import learnet as tf, tempfile
    >>> tf.train.latest_checkpoint(tempfile.mkdtemp()) is None
    True
    """
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is None or not state.model_checkpoint_path:
        return None
    if os.path.isfile(state.model_checkpoint_path + INDEX_SUFFIX):
        return state.model_checkpoint_path
    return None


# --- reading checkpoints by key -----------------------------------------------------------------


def _checkpoint_path(ckpt_dir_or_file):
    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path) and not os.path.isfile(path + INDEX_SUFFIX):
        found = latest_checkpoint(path)
        if found is None:
            raise ValueError(f"Couldn't find 'checkpoint' file or checkpoints in given directory {path}")
        return found
    return path


def load_checkpoint(ckpt_dir_or_file):
    """A ``CheckpointReader`` of a checkpoint, or of the newest one in a directory.

    Examples
    --------
    >>> import learnet as tf, os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> _ = tf.train.Checkpoint(w=tf.Variable([[1.0, 2.0]])).save(os.path.join(folder, "ckpt"))
    >>> reader = tf.train.load_checkpoint(folder)
    >>> reader.get_variable_to_shape_map()["w/.ATTRIBUTES/VARIABLE_VALUE"]
    [1, 2]
    >>> reader.get_variable_to_dtype_map()["w/.ATTRIBUTES/VARIABLE_VALUE"].name
    'float32'
    """
    return CheckpointReader(_checkpoint_path(ckpt_dir_or_file))


def list_variables(ckpt_dir_or_file):
    """``[(key, shape), ...]`` of the values stored in a checkpoint, sorted by key.

    Examples
    --------
    >>> import learnet as tf, os, tempfile
    >>> path = tf.train.Checkpoint(w=tf.Variable([1.0])).write(os.path.join(tempfile.mkdtemp(), "c"))
    >>> tf.train.list_variables(path)
    [('_CHECKPOINTABLE_OBJECT_GRAPH', []), ('w/.ATTRIBUTES/VARIABLE_VALUE', [1])]
    """
    shapes = load_checkpoint(ckpt_dir_or_file).get_variable_to_shape_map()
    return sorted(shapes.items())


def load_variable(ckpt_dir_or_file, name):
    """The value stored under ``name`` (a key; ``/.ATTRIBUTES/VARIABLE_VALUE`` may be left off).

    Examples
    --------
    >>> import learnet as tf, os, tempfile
    >>> path = tf.train.Checkpoint(w=tf.Variable([1.0])).write(os.path.join(tempfile.mkdtemp(), "c"))
    >>> tf.train.load_variable(path, "w/.ATTRIBUTES/VARIABLE_VALUE")
    array([1.], dtype=float32)
    """
    if name.endswith(":0"):
        name = name[:-2]
    reader = load_checkpoint(ckpt_dir_or_file)
    if not reader.has_tensor(name) and reader.has_tensor(name + VALUE_SUFFIX):
        name += VALUE_SUFFIX
    return reader.get_tensor(name)


# --- CheckpointManager --------------------------------------------------------------------------


def _remove_checkpoint_files(prefix):
    for path in [prefix + INDEX_SUFFIX] + glob.glob(glob.escape(prefix) + ".data-?????-of-?????"):
        if os.path.exists(path):
            os.remove(path)


class CheckpointManager:
    """Numbered checkpoints in a directory, keeping the newest ``max_to_keep``.

    Parameters
    ----------
    checkpoint : Checkpoint
        What to save (``checkpoint.save_counter`` numbers the files).
    directory : str or path
    max_to_keep : int or None
        How many checkpoints to keep; None keeps all.
    keep_checkpoint_every_n_hours : float, optional
        Also keep one checkpoint out of every this many hours.
    checkpoint_name : str, default ``"ckpt"``
        The files are ``<directory>/<checkpoint_name>-<n>``.
    step_counter : Variable, optional
        The training step, needed with ``checkpoint_interval``.
    checkpoint_interval : int, optional
        ``save`` writes only when ``step_counter`` moved this many steps since the last one.
    init_fn : callable, optional
        Called by ``restore_or_initialize`` when there is no checkpoint yet.

    Examples
    --------
    >>> import learnet as tf, tempfile
    >>> step = tf.Variable(0)
    >>> manager = tf.train.CheckpointManager(tf.train.Checkpoint(step=step), tempfile.mkdtemp(), max_to_keep=2)
    >>> for _ in range(3):
    ...     _ = step.assign_add(1)
    ...     path = manager.save()
    >>> [p.rsplit("-", 1)[1] for p in manager.checkpoints]
    ['2', '3']
    >>> _ = step.assign(0)
    >>> manager.restore_or_initialize() == manager.latest_checkpoint, int(step)
    (True, 3)
    """

    def __init__(
        self,
        checkpoint,
        directory,
        max_to_keep,
        keep_checkpoint_every_n_hours=None,
        checkpoint_name="ckpt",
        step_counter=None,
        checkpoint_interval=None,
        init_fn=None,
        last_checkpoint_step=None,
    ):
        if not hasattr(checkpoint, "write") or not hasattr(checkpoint, "save_counter"):
            raise TypeError(f"CheckpointManager expects a tf.train.Checkpoint, got {type(checkpoint).__name__}")
        if max_to_keep is not None and (isinstance(max_to_keep, bool) or int(max_to_keep) != max_to_keep):
            raise ValueError(f"Expected a positive integer or `None` for `max_to_keep`, got {max_to_keep!r}.")
        if max_to_keep is not None and max_to_keep <= 0:
            raise ValueError(f"Expected a positive integer or `None` for `max_to_keep`, got {max_to_keep}.")
        if checkpoint_interval is not None and step_counter is None:
            raise ValueError("`step_counter` should be passed if `checkpoint_interval` is not None.")
        self._checkpoint = checkpoint
        self._directory = os.fspath(directory)
        self._max_to_keep = max_to_keep
        self._keep_checkpoint_every_n_hours = keep_checkpoint_every_n_hours
        self._checkpoint_name = checkpoint_name
        self._prefix = os.path.join(self._directory, checkpoint_name)
        self._step_counter = step_counter
        self._checkpoint_interval = checkpoint_interval
        self._init_fn = init_fn
        self._last_checkpoint_step = last_checkpoint_step
        self._maybe_delete = collections.OrderedDict()
        now = time.time()
        state, legacy = _read_state(self._directory)
        if state is None:
            self._latest_checkpoint = None
            self._last_preserved_timestamp = now - 1.0
        elif legacy:
            # The first learnet versions wrote only the newest: every numbered file counts.
            self._latest_checkpoint = state.model_checkpoint_path
            self._last_preserved_timestamp = now - 1.0
            pattern = re.compile(re.escape(checkpoint_name) + r"-(\d+)" + re.escape(INDEX_SUFFIX) + "$")
            found = []
            for name in os.listdir(self._directory):
                match = pattern.match(name)
                if match:
                    found.append((int(match.group(1)), os.path.join(self._directory, name[: -len(INDEX_SUFFIX)])))
            for _, path in sorted(found):
                self._maybe_delete[path] = now
        else:
            self._latest_checkpoint = state.model_checkpoint_path or None
            preserved = state.last_preserved_timestamp
            self._last_preserved_timestamp = now - 1.0 if preserved is None else min(preserved, now)
            stamps = state.all_model_checkpoint_timestamps or [self._last_preserved_timestamp] * len(
                state.all_model_checkpoint_paths
            )
            for path, stamp in zip(state.all_model_checkpoint_paths, stamps):
                if min(stamp, now) > self._last_preserved_timestamp:
                    self._maybe_delete[path] = min(stamp, now)

    @property
    def directory(self):
        """The directory the checkpoints are in."""
        return self._directory

    @property
    def checkpoint(self):
        """The ``Checkpoint`` this manager saves and restores."""
        return self._checkpoint

    @property
    def checkpoint_interval(self):
        """The least number of steps between two checkpoints (None: every ``save``)."""
        return self._checkpoint_interval

    @property
    def checkpoints(self):
        """The kept checkpoints this manager may still delete, oldest first."""
        return list(self._maybe_delete)

    @property
    def latest_checkpoint(self):
        """The newest checkpoint's path, or None (for ``checkpoint.restore``)."""
        return self._latest_checkpoint

    def _record_state(self):
        _write_state(
            self._directory,
            CheckpointState(
                self._latest_checkpoint or "",
                list(self._maybe_delete),
                list(self._maybe_delete.values()),
                self._last_preserved_timestamp,
            ),
        )

    def _sweep(self):
        if not self._max_to_keep:
            return
        while len(self._maybe_delete) > self._max_to_keep:
            path, stamp = self._maybe_delete.popitem(last=False)
            hours = self._keep_checkpoint_every_n_hours
            if hours and stamp - hours * 3600.0 >= self._last_preserved_timestamp:
                self._last_preserved_timestamp = stamp
                continue
            _remove_checkpoint_files(path)

    def save(self, checkpoint_number=None, check_interval=True, options=None):
        """Write a checkpoint and delete the oldest beyond ``max_to_keep``.

        Parameters
        ----------
        checkpoint_number : int or Variable, optional
            The number in the file name (by default ``checkpoint.save_counter`` after it is
            increased).
        check_interval : bool, default True
            With ``checkpoint_interval``: write only when enough steps passed.

        Returns
        -------
        str or None
            The new checkpoint's path, or None when the interval skipped it.
        """
        if self._checkpoint_interval is not None and check_interval:
            current_step = int(numpy.asarray(_value_of(self._step_counter)))
            if self._last_checkpoint_step is not None:
                if current_step < self._last_checkpoint_step + self._checkpoint_interval:
                    return None
            self._last_checkpoint_step = current_step
        counter = self._checkpoint.save_counter
        counter.assign_add(1)
        number = counter if checkpoint_number is None else checkpoint_number
        path = self._checkpoint.write(f"{self._prefix}-{int(numpy.asarray(_value_of(number)))}")
        self._maybe_delete.pop(path, None)
        self._maybe_delete[path] = time.time()
        self._latest_checkpoint = path
        # The state names the new checkpoint before old ones are deleted, and again after.
        self._record_state()
        self._sweep()
        self._record_state()
        return path

    def restore_or_initialize(self):
        """Restore the newest checkpoint if there is one (returning its path), else call ``init_fn``
        (returning None)."""
        if self._latest_checkpoint is not None:
            self._checkpoint.restore(self._latest_checkpoint)
            if self._checkpoint_interval is not None:
                self._last_checkpoint_step = int(numpy.asarray(_value_of(self._step_counter)))
            return self._latest_checkpoint
        if self._init_fn is not None:
            self._init_fn()
        return None

    def sync(self):
        """Nothing to wait for: learnet writes checkpoints synchronously."""


def _value_of(number):
    return number.numpy() if hasattr(number, "numpy") else number
