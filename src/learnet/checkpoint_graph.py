"""The object graph behind ``tf.train.Checkpoint``: how objects are found, stored and matched.

A checkpoint holds a graph, as TensorFlow's object-based checkpoints do. Its nodes are the
objects reachable from the ``Checkpoint`` (modules, Keras layers and models, optimizers,
lists, dicts, variables), each stored once; an edge is a named dependency (an attribute, a
list index, a dict key, a layer's weight). Every path that leads to an object leads to the
same node, so a restore matches an object by any of them. Variables carry their values;
an optimizer's slot variables hang off the variable they belong to. Other objects with state
that is not a variable (a ``tf.data`` iterator's position) store it as TensorFlow's
``_serialize_to_tensors`` gives it, ``{name: array}``, under ``<path>/.ATTRIBUTES/<name>``, and
get it back through ``_restore_from_tensors`` (and, when they have it, ``_check_restore``
first, in the pass that checks everything before anything changes).

Restoring walks the live objects and the stored graph side by side. What has no live
counterpart yet waits: an object attached later to a restored object (an attribute of a
``Checkpoint`` or ``tf.Module``, an item appended to a tracked list, a weight a Keras layer
creates when it builds, a slot an optimizer needs) gets its value at that moment
(``learnet.module.notify`` carries the notifications). Pending restores hold the objects
weakly.

Files: ``<prefix>.index`` is JSON (the graph, and for every stored value its key, shape and
dtype); ``<prefix>.data-00000-of-00001`` holds the arrays (NumPy ``.npz``, read with
``allow_pickle=False``). Nothing in them is ever run. Keys have TensorFlow's form:
``net/l1/kernel/.ATTRIBUTES/VARIABLE_VALUE``.

Examples
--------
>>> import learnet as tf, os, tempfile
>>> listed = [tf.Variable(1.0), tf.Variable(2.0)]
>>> path = tf.train.Checkpoint(listed=listed, mapped={"two": listed[1]}).write(
...     os.path.join(tempfile.mkdtemp(), "ckpt"))
>>> v = tf.Variable(0.0)
>>> _ = tf.train.Checkpoint(mapped={"two": v}).read(path)
>>> float(v)
2.0
"""

import collections
import functools
import json
import os
import types
import weakref

import numpy

from learnet import module as tracking
from learnet.errors import DataLossError, NotFoundError
from learnet.tensor import STRING_DTYPE, Tensor, Variable

__all__ = [
    "CheckpointLoadStatus",
    "CheckpointReader",
    "InitializationOnlyStatus",
    "OBJECT_GRAPH_KEY",
    "read_checkpoint_file",
    "restore",
    "write",
]

DATA_SUFFIX = ".data-00000-of-00001"
INDEX_SUFFIX = ".index"
ATTRIBUTES = "/.ATTRIBUTES/"
VALUE_SUFFIX = ATTRIBUTES + "VARIABLE_VALUE"
SLOT_MARK = ".OPTIMIZER_SLOT"
OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
FORMAT = "learnet checkpoint"
VERSION = 2

# A plain object (neither a module, a layer, an optimizer nor a container) is looked into for
# variables and modules it holds directly, not further: iterators, callbacks and the like
# are not walked through.
_NOT_STATE = (str, bytes, bytearray, int, float, complex, bool, numpy.ndarray, numpy.generic, type(None), type, range)
_CODE = (
    types.FunctionType,
    types.MethodType,
    types.BuiltinFunctionType,
    types.ModuleType,
    types.GeneratorType,
    functools.partial,
)


@functools.lru_cache(maxsize=1)
def _kinds():
    from learnet.layers.base import Layer
    from learnet.models.functional import Functional
    from learnet.models.sequential import Sequential
    from learnet.module import Module
    from learnet.optimizers import Optimizer

    return Layer, Module, Optimizer, (Sequential, Functional)


def escape(name):
    """A dependency name as it appears in a key: ``.`` becomes ``..`` and ``/`` becomes ``.S``.

    Examples
    --------
    >>> escape("a/b.c")
    'a.Sb..c'
    """
    return name.replace(".", "..").replace("/", ".S")


def _saveable(value):
    """Whether ``value`` stores a state of its own that is not a variable (``_serialize_to_tensors``)."""
    return hasattr(type(value), "_serialize_to_tensors") and not isinstance(value, Variable)


def _is_trackable(value):
    """Whether ``value`` is a kind of object that holds checkpointable state by itself."""
    if isinstance(value, Variable) or hasattr(type(value), "_checkpoint_children") or _saveable(value):
        return True
    Layer, Module, Optimizer, _ = _kinds()
    return isinstance(value, (Layer, Module, Optimizer))


def _may_hold_state(value, plain_objects):
    if isinstance(value, Variable):
        return True
    if isinstance(value, (Tensor, _NOT_STATE, _CODE)):
        return False
    if isinstance(value, (list, tuple, dict)) or _is_trackable(value):
        return True
    return plain_objects and hasattr(value, "__dict__")


def optimizer_slots(optimizer):
    """``[(variable, slot_name, slot_variable)]``: the slots of a learnet optimizer, in order."""
    by_array = {id(slot._value): slot for slot in getattr(optimizer, "_slot_variables", ())}
    records = getattr(optimizer, "_records", {})
    averages = getattr(optimizer, "_averages", {})
    found = []
    for variable in getattr(optimizer, "_tracked", ()):
        if id(variable) in averages:
            found.append((variable, "average", averages[id(variable)]))
        record = records.get(id(variable))
        if record is None:
            continue
        for slot_name, array in zip(optimizer._slot_names, record[0]):
            slot = by_array.get(id(array))
            if slot is not None:
                found.append((variable, slot_name, slot))
    return found


def _optimizer_slot(optimizer, variable, slot_name, create):
    """The slot ``slot_name`` of ``variable`` in ``optimizer``, created first when ``create``."""
    for primary, name, slot in optimizer_slots(optimizer):
        if primary is variable and name == slot_name:
            return slot
    known = slot_name in optimizer._slot_names or (slot_name == "average" and optimizer.use_ema)
    if not create or not known or variable.dtype.kind != "f":
        return None
    optimizer.build([variable])  # TensorFlow too creates a slot as soon as its value is restored
    return _optimizer_slot(optimizer, variable, slot_name, create=False)


def live_children(obj, plain_objects=True):
    """``[(name, child)]``: the named dependencies of ``obj``, each name once, first wins.

    Parameters
    ----------
    obj : object
        A ``Checkpoint``, module, layer, optimizer, list, tuple, dict or plain object.
    plain_objects : bool, default True
        Whether plain objects (not modules, layers, optimizers) count as children.
    """
    if isinstance(obj, Variable):
        return []
    own = getattr(type(obj), "_checkpoint_children", None)
    Layer, Module, Optimizer, graph_models = _kinds()
    if own is not None:
        pairs = obj._checkpoint_children()
    elif isinstance(obj, Layer):
        pairs = _layer_children(obj, graph_models)
    elif isinstance(obj, Optimizer):
        pairs = [("iterations", obj._iterations)]
        if obj._schedule is None:
            pairs.append(("learning_rate", obj._learning_rate))
        pairs.extend(obj._extra_variables.items())
    elif isinstance(obj, (list, tuple)):
        pairs = [(str(i), value) for i, value in enumerate(obj)]
    elif isinstance(obj, dict):
        pairs = [(str(key), value) for key, value in obj.items()]
    elif isinstance(obj, Module):
        pairs = [(k, v) for k, v in vars(obj).items() if k not in ("_name", "_scope_name")]
    elif hasattr(obj, "__dict__"):
        # A plain object: only the variables, modules, layers and optimizers it holds directly.
        pairs = [(k, v) for k, v in vars(obj).items() if not k.startswith("__") and _is_trackable(v)]
    else:
        return []
    found, names = [], set()
    for name, value in pairs:
        if name not in names and _may_hold_state(value, plain_objects):
            names.add(name)
            found.append((name, value))
    return found


def _layer_children(layer, graph_models):
    pairs = []
    if isinstance(layer, graph_models):
        # tf.keras 2 numbers every layer of a graph, its operations on symbolic tensors too.
        layers = list(tracking.graph_operations(layer))
        pairs += [(f"layer_with_weights-{i}", sub) for i, sub in enumerate([s for s in layers if s.weights])]
        pairs += [(f"layer-{i}", sub) for i, sub in enumerate(layers)]
    pairs += [(k, v) for k, v in layer._tracked_attributes() if _may_hold_state(v, plain_objects=False)]
    # Weights not held in an attribute, and the names weights are created under: a layer that
    # builds after a restore finds its values by them.
    for variable in layer._trainable_variables + layer._non_trainable_variables:
        pairs.append((str(variable.name).rsplit("/", 1)[-1], variable))
    return pairs


class _Node:
    __slots__ = ("obj", "children", "path", "slots", "plain")

    def __init__(self, obj, path, plain):
        self.obj = obj
        self.path = path
        self.plain = plain
        self.children = []
        self.slots = []


def live_graph(root):
    """The nodes reachable from ``root``, breadth first (a node's ``path`` is its shortest one)."""
    nodes, ids = [_Node(root, "", True)], {id(root): 0}
    queue = collections.deque([0])
    Layer = _kinds()[0]
    while queue:
        node = nodes[queue.popleft()]
        # Plain objects count as children of modules and checkpoints (and of lists in them),
        # not of layers: a layer's attributes hold much that is no state.
        inherited = node.plain and not isinstance(node.obj, Layer)
        for name, child in live_children(node.obj, plain_objects=node.plain):
            child_id = ids.get(id(child))
            if child_id is None:
                plain = inherited if isinstance(child, (list, tuple, dict)) else True
                child_id = ids[id(child)] = len(nodes)
                nodes.append(_Node(child, f"{node.path}/{escape(name)}" if node.path else escape(name), plain))
                queue.append(child_id)
            node.children.append((name, child_id))
    Optimizer = _kinds()[2]
    for node_id, node in enumerate(list(nodes)):
        if not isinstance(node.obj, Optimizer):
            continue
        for variable, slot_name, slot in optimizer_slots(node.obj):
            primary = ids.get(id(variable))
            if primary is None or id(slot) in ids:
                continue  # a slot of a variable outside the checkpoint is not stored (as in TensorFlow)
            slot_id = ids[id(slot)] = len(nodes)
            path = f"{nodes[primary].path}/{SLOT_MARK}/{node.path}/{escape(slot_name)}"
            nodes.append(_Node(slot, path, True))
            node.slots.append((primary, slot_name, slot_id))
    return nodes


def _kept(nodes):
    """Node ids worth storing: those with a variable or a saved state below them (and the root)."""
    parents = collections.defaultdict(list)
    for node_id, node in enumerate(nodes):
        for _, child in node.children:
            parents[child].append(node_id)
        for _, _, slot in node.slots:
            parents[slot].append(node_id)
    keep = set()
    stack = [i for i, node in enumerate(nodes) if isinstance(node.obj, Variable) or _saveable(node.obj)]
    while stack:
        node_id = stack.pop()
        if node_id not in keep:
            keep.add(node_id)
            stack.extend(parents[node_id])
    keep.add(0)
    return sorted(keep)


def _host_array(variable):
    value = variable.numpy()
    return numpy.asarray(value)


def write(root, file_prefix):
    """Write the graph of ``root`` and its values under ``file_prefix``; returns the prefix."""
    nodes = live_graph(root)
    kept = _kept(nodes)
    renumber = {old: new for new, old in enumerate(kept)}
    graph, entries, arrays = [], [], {}

    def store(value, name, what, node_id):
        if value.dtype.kind in "OV":
            raise TypeError(f"Checkpoint: {what} holds {value.dtype} values, which a checkpoint cannot store")
        key = f"v{len(entries)}"
        arrays[key] = value
        entries.append(
            {"name": name, "key": key, "shape": list(value.shape), "dtype": value.dtype.name, "node": node_id}
        )
        return key

    for old in kept:
        node = nodes[old]
        record = {"children": [[name, renumber[child]] for name, child in node.children if child in renumber]}
        if node.slots:
            record["slots"] = [[renumber[p], name, renumber[s]] for p, name, s in node.slots if s in renumber]
        if isinstance(node.obj, Variable):
            record["value"] = store(
                _host_array(node.obj), node.path + VALUE_SUFFIX, f"variable '{node.obj.path}'", renumber[old]
            )
        elif _saveable(node.obj):
            what = type(node.obj).__name__
            record["attributes"] = []
            for name, value in sorted(node.obj._serialize_to_tensors().items()):
                key = store(numpy.asarray(value), f"{node.path}{ATTRIBUTES}{name}", what, renumber[old])
                record["attributes"].append([name, key])
        graph.append(record)
    index = {"format": FORMAT, "version": VERSION, "variables": entries, "object_graph": graph}
    file_prefix = os.fspath(file_prefix)
    directory = os.path.dirname(file_prefix)
    if directory:
        os.makedirs(directory, exist_ok=True)
    # Data first, index last, each replaced in one step: a reader never sees half a checkpoint.
    _replace(file_prefix + DATA_SUFFIX, lambda stream: numpy.savez(stream, **arrays))
    _replace(file_prefix + INDEX_SUFFIX, lambda stream: stream.write(json.dumps(index, indent=1).encode("utf-8")))
    return file_prefix


def _replace(path, write_to):
    temporary = f"{path}.tmp{os.getpid()}"
    try:
        with open(temporary, "wb") as stream:
            write_to(stream)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


# --- reading files -----------------------------------------------------------------------------


class CheckpointFile:
    """One checkpoint on disk: its index (checked) and, when asked, its arrays."""

    def __init__(self, prefix, entries, graph):
        self.prefix = prefix
        self.entries = entries  # [{"name", "key", "shape", "dtype", "node"?}]
        self.graph = graph  # None for files of the first learnet format (no object graph)
        self.by_name = {entry["name"]: entry for entry in entries}

    @property
    def legacy(self):
        return self.graph is None

    def arrays(self):
        """``{entry key: array}`` for every stored value, checked against the index."""
        path = self.prefix + DATA_SUFFIX
        if not os.path.isfile(path):
            raise DataLossError(None, None, f"checkpoint {self.prefix!r}: its data file {path} is missing")
        try:
            with numpy.load(path, allow_pickle=False) as data:
                arrays = {entry["key"]: data[entry["key"]] for entry in self.entries}
        except (OSError, ValueError, KeyError) as error:
            raise DataLossError(None, None, f"checkpoint {self.prefix!r}: its data file is damaged ({error})") from None
        for entry in self.entries:
            array = arrays[entry["key"]]
            if list(array.shape) != list(entry["shape"]):
                raise DataLossError(
                    None,
                    None,
                    f"checkpoint {self.prefix!r}: {entry['name']} has shape {list(array.shape)} in the data file "
                    f"but {entry['shape']} in the index",
                )
        return arrays


def _damaged(prefix, why):
    return DataLossError(
        None, None, f"the checkpoint index {prefix + INDEX_SUFFIX} is damaged or not a checkpoint: {why}"
    )


def read_checkpoint_file(prefix):
    """Read and check the index of the checkpoint ``prefix``.

    Raises ``tf.errors.NotFoundError`` (a ``FileNotFoundError``) when there is none and
    ``tf.errors.DataLossError`` when it is damaged.
    """
    prefix = os.fspath(prefix)
    if os.path.isdir(prefix) and not os.path.isfile(prefix + INDEX_SUFFIX):
        raise NotFoundError(
            None,
            None,
            f"no learnet checkpoint at {prefix!r}: it is a directory; pass a checkpoint prefix such as "
            f"'{os.path.join(prefix, 'ckpt-1')}' or tf.train.latest_checkpoint({prefix!r})",
        )
    if not os.path.isfile(prefix + INDEX_SUFFIX):
        raise NotFoundError(
            None,
            None,
            f"no learnet checkpoint at {prefix!r} (expected {prefix + INDEX_SUFFIX}); a checkpoint path is "
            "the prefix of its files, with its number, e.g. 'training/ckpt-1'",
        )
    try:
        with open(prefix + INDEX_SUFFIX, encoding="utf-8") as stream:
            index = json.load(stream)
    except (UnicodeDecodeError, ValueError) as error:
        raise _damaged(prefix, f"not JSON ({error})") from None
    if not isinstance(index, dict) or not isinstance(index.get("variables"), list):
        raise _damaged(prefix, "no list of variables")
    entries = index["variables"]
    for entry in entries:
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("name"), str)
            and isinstance(entry.get("key"), str)
            and isinstance(entry.get("shape"), list)
            and all(isinstance(s, int) and s >= 0 for s in entry["shape"])
            and isinstance(entry.get("dtype"), str)
        ):
            raise _damaged(prefix, f"a malformed variable entry {str(entry)[:80]}")
        try:
            numpy.dtype(entry["dtype"])
        except TypeError:
            raise _damaged(prefix, f"unknown dtype {entry['dtype']!r}") from None
    graph = index.get("object_graph")
    if graph is not None:
        _check_graph(prefix, graph, entries)
    return CheckpointFile(prefix, entries, graph)


def _check_graph(prefix, graph, entries):
    if not isinstance(graph, list) or not graph:
        raise _damaged(prefix, "the object graph is not a list of nodes")
    keys = {entry["key"] for entry in entries}
    size = len(graph)
    for node in graph:
        if not isinstance(node, dict) or not isinstance(node.get("children", []), list):
            raise _damaged(prefix, "a malformed node in the object graph")
        for child in node.get("children", []):
            if not (isinstance(child, list) and len(child) == 2 and isinstance(child[0], str)):
                raise _damaged(prefix, f"a malformed dependency {child!r}")
            if not isinstance(child[1], int) or not 0 <= child[1] < size:
                raise _damaged(prefix, f"a dependency on a node that does not exist: {child!r}")
        for slot in node.get("slots", []):
            if not (
                isinstance(slot, list)
                and len(slot) == 3
                and isinstance(slot[1], str)
                and all(isinstance(s, int) and 0 <= s < size for s in (slot[0], slot[2]))
            ):
                raise _damaged(prefix, f"a malformed slot {slot!r}")
        if "value" in node and node["value"] not in keys:
            raise _damaged(prefix, f"a node whose value {node['value']!r} is not stored")
        for attribute in node.get("attributes", []):
            if not (isinstance(attribute, list) and len(attribute) == 2 and isinstance(attribute[0], str)):
                raise _damaged(prefix, f"a malformed saved state {attribute!r}")
            if attribute[1] not in keys:
                raise _damaged(prefix, f"a node whose state {attribute[1]!r} is not stored")


class CheckpointReader:
    """Reads the stored values of a checkpoint by key (``tf.train.load_checkpoint`` returns one).

    Parameters
    ----------
    prefix : str or path
        The checkpoint, e.g. ``training/ckpt-3``.

    Examples
    --------
    >>> import learnet as tf, os, tempfile
    >>> path = tf.train.Checkpoint(w=tf.Variable([1.0, 2.0])).write(os.path.join(tempfile.mkdtemp(), "c"))
    >>> reader = tf.train.load_checkpoint(path)
    >>> reader.get_variable_to_shape_map()["w/.ATTRIBUTES/VARIABLE_VALUE"]
    [2]
    >>> reader.get_tensor("w/.ATTRIBUTES/VARIABLE_VALUE")
    array([1., 2.], dtype=float32)
    """

    def __init__(self, prefix):
        self._file = read_checkpoint_file(prefix)
        self._arrays = None

    def get_variable_to_shape_map(self):
        """``{key: shape as a list}`` of every stored value (and of the object graph, ``[]``)."""
        shapes = {entry["name"]: list(entry["shape"]) for entry in self._file.entries}
        if not self._file.legacy:
            shapes[OBJECT_GRAPH_KEY] = []
        return shapes

    def get_variable_to_dtype_map(self):
        """``{key: dtype}``; a dtype's ``.name`` is e.g. ``'float32'``."""
        dtypes = {entry["name"]: numpy.dtype(entry["dtype"]) for entry in self._file.entries}
        if not self._file.legacy:
            dtypes[OBJECT_GRAPH_KEY] = STRING_DTYPE  # serialized bytes: tf.string, as TensorFlow says
        return dtypes

    def has_tensor(self, key):
        """Whether a value is stored under ``key``."""
        return key in self._file.by_name or (key == OBJECT_GRAPH_KEY and not self._file.legacy)

    def get_tensor(self, key):
        """The value stored under ``key``, as a NumPy array (a NumPy scalar for a scalar)."""
        if key == OBJECT_GRAPH_KEY and not self._file.legacy:
            return json.dumps(self._file.graph).encode("utf-8")
        entry = self._file.by_name.get(key)
        if entry is None:
            raise NotFoundError(None, None, f"Key {key} not found in checkpoint {self._file.prefix!r}")
        if self._arrays is None:
            self._arrays = self._file.arrays()
        value = self._arrays[entry["key"]].copy()
        return value[()] if value.ndim == 0 else value

    def debug_string(self):
        """One line per stored value: its key, dtype and shape."""
        dtypes = self.get_variable_to_dtype_map()
        return "".join(f"{k} ({dtypes[k].name}) {s}\n" for k, s in sorted(self.get_variable_to_shape_map().items()))


# --- restoring ---------------------------------------------------------------------------------

_pending = []  # restorations still waiting for objects; tracking.restore_hook is set while any


def _reference(obj):
    try:
        return weakref.ref(obj)
    except TypeError:
        return lambda: obj


class _Restoration:
    """One ``restore``: the stored graph, its values, and what is matched to which object."""

    def __init__(self, checkpoint_file, arrays):
        graph = checkpoint_file.graph
        self.keys = {}
        self.values = {}
        by_key = {entry["key"]: entry for entry in checkpoint_file.entries}
        self.attributes = {}  # node -> {name: array}: the saved state of an object that is not a variable
        for node_id, node in enumerate(graph):
            if "value" in node:
                self.values[node_id] = arrays[node["value"]]
                self.keys[node_id] = by_key[node["value"]]["name"]
            if node.get("attributes"):
                self.attributes[node_id] = {name: arrays[key] for name, key in node["attributes"]}
                self.keys[node_id] = ", ".join(by_key[key]["name"] for _, key in node["attributes"])
        self.children = [[(name, child) for name, child in node.get("children", [])] for node in graph]
        self.slots = {}  # optimizer node -> [(variable node, slot name, slot node)]
        self.slots_of = collections.defaultdict(list)  # variable node -> [(optimizer node, name, slot node)]
        for node_id, node in enumerate(graph):
            for primary, name, slot in node.get("slots", []):
                self.slots.setdefault(node_id, []).append((primary, name, slot))
                self.slots_of[primary].append((node_id, name, slot))
        self.bound = collections.defaultdict(list)  # node -> [reference to the object]
        self.objects = {}  # id(object) -> (reference, [nodes])
        self.closed = {}  # (node, id(object)) -> reference: everything below is matched
        self.open = {}  # id(object) -> (reference, node): something below still waits

    # -- what is matched
    def objects_of(self, node_id):
        return [obj for obj in (ref() for ref in self.bound.get(node_id, ())) if obj is not None]

    def is_bound_object(self, obj):
        entry = self.objects.get(id(obj))
        return entry is not None and entry[0]() is obj

    def _bind(self, node_id, obj):
        if any(other is obj for other in self.objects_of(node_id)):
            return False
        reference = _reference(obj)
        self.bound[node_id].append(reference)
        entry = self.objects.get(id(obj))
        if entry is None or entry[0]() is not obj:
            self.objects[id(obj)] = (reference, [node_id])
        else:
            entry[1].append(node_id)
        return True

    def _check_value(self, node_id, variable):
        value = self.values[node_id]
        if tuple(value.shape) != tuple(variable.shape):
            raise ValueError(
                f"Checkpoint: the value of {self.keys[node_id]} has shape {tuple(value.shape)}, but the "
                f"variable '{variable.path}' it restores has shape {tuple(variable.shape)}; nothing was restored"
            )

    def _assign(self, node_id, variable):
        self._check_value(node_id, variable)
        if self._bind(node_id, variable):
            variable.assign(self.values[node_id].astype(variable.dtype, copy=False))
            for optimizer_node, name, slot_node in self.slots_of.get(node_id, ()):
                for optimizer in self.objects_of(optimizer_node):
                    self._restore_slot(optimizer, variable, name, slot_node)

    def _restore_slot(self, optimizer, variable, slot_name, slot_node):
        if slot_node not in self.values:
            return
        slot = _optimizer_slot(optimizer, variable, slot_name, create=True)
        if slot is not None:
            self._assign(slot_node, slot)

    # -- the walk
    def walk(self, node_id, obj, check_only=False, visited=None):
        """Match ``obj`` to the stored node and everything below; returns whether all of it matched.

        With ``check_only`` nothing changes: shapes are checked (the first pass of a restore).
        """
        visited = set() if visited is None else visited
        key = (node_id, id(obj))
        if key in visited:
            return True
        visited.add(key)
        closed_ref = self.closed.get(key)
        if closed_ref is not None and closed_ref() is obj:
            return True
        if node_id in self.values:
            if not isinstance(obj, Variable):
                return True  # a different kind of object: not a match
            if check_only:
                self._check_value(node_id, obj)
                return True
            self._assign(node_id, obj)
        elif node_id in self.attributes:
            if not _saveable(obj):
                return True  # a different kind of object: not a match
            if check_only:
                check = getattr(obj, "_check_restore", None)
                if check is not None:
                    check(self.attributes[node_id])
            elif self._bind(node_id, obj):
                obj._restore_from_tensors(self.attributes[node_id])
        elif not check_only:
            self._bind(node_id, obj)
        complete = True
        if self.children[node_id]:
            live = dict(live_children(obj))
            for name, child_id in self.children[node_id]:
                child = live.get(name)
                if child is None:
                    # Missing here, but found by another path (an alias): nothing waits for it.
                    complete = complete and bool(self.objects_of(child_id))
                elif not self.walk(child_id, child, check_only, visited):
                    complete = False
        if check_only:
            return True
        for primary, name, slot_node in self.slots.get(node_id, ()):
            for variable in self.objects_of(primary):
                self._restore_slot(obj, variable, name, slot_node)
        if complete:
            self.closed[key] = _reference(obj)
            self.open.pop(id(obj), None)
        else:
            try:  # plain lists and dicts cannot be watched: their nearest watched owner waits for them
                self.open[id(obj)] = (weakref.ref(obj), node_id)
            except TypeError:
                pass
        return complete

    def rematch(self):
        """Walk again from every object still waiting for something (after a change)."""
        before = None
        while self.open and len(self.open) != before:  # a match found late may complete an earlier object
            before = len(self.open)
            visited: set = set()
            for reference, node_id in list(self.open.values()):
                obj = reference()
                if obj is not None:
                    self.walk(node_id, obj, visited=visited)
        for object_id, (reference, _) in list(self.open.items()):
            if reference() is None:
                del self.open[object_id]

    def waits_for(self, owner):
        entry = self.open.get(id(owner))
        return entry is not None and entry[0]() is owner


def _on_change(owner):
    """``tracking.restore_hook``: ``owner`` gained a child while restores are pending."""
    Layer = _kinds()[0]
    for restoration in list(_pending):
        # A layer building inside another one after the restore is not known yet: look again
        # from every object still waiting.
        if restoration.waits_for(owner) or isinstance(owner, Layer):
            restoration.rematch()
    _forget_finished()


def _forget_finished():
    _pending[:] = [r for r in _pending if any(ref() is not None for ref, _ in r.open.values())]
    tracking.restore_hook = _on_change if _pending else None


def restore(root, checkpoint_file):
    """Put the values of ``checkpoint_file`` into the objects reachable from ``root``.

    Everything is checked before anything changes. Returns the restoration, which keeps
    waiting (weakly) for objects not there yet.
    """
    arrays = checkpoint_file.arrays()
    restoration = _Restoration(checkpoint_file, arrays)
    restoration.walk(0, root, check_only=True)
    restoration.walk(0, root)
    restoration.rematch()  # objects left waiting early in the walk may have been completed later in it
    # A new restore from the same root replaces the older one's waiting objects.
    _pending[:] = [r for r in _pending if not r.is_bound_object(root)]
    if restoration.open:
        _pending.append(restoration)
    _forget_finished()
    return restoration


# --- what restore returns ----------------------------------------------------------------------


class CheckpointLoadStatus:
    """What ``Checkpoint.restore`` returns: checks on how the checkpoint and the objects matched.

    The checks look at the objects as they are when called, so objects attached after the
    restore (and restored then) count.

    Examples
    --------
    >>> import learnet as tf, os, tempfile
    >>> v = tf.Variable(1.0)
    >>> path = tf.train.Checkpoint(v=v).save(os.path.join(tempfile.mkdtemp(), "ckpt"))
    >>> tf.train.Checkpoint(v=tf.Variable(0.0)).restore(path).assert_consumed()  # doctest: +ELLIPSIS
    <...CheckpointLoadStatus object at ...>
    """

    def __init__(self, restoration, root):
        self._restoration = restoration
        self._root = root

    def _unmatched_objects(self):
        return [
            node.path or "(root)"
            for node in live_graph(self._root)
            if (isinstance(node.obj, Variable) or _saveable(node.obj))
            and not self._restoration.is_bound_object(node.obj)
        ]

    def assert_existing_objects_matched(self):
        """Raise ``AssertionError`` unless every variable of the objects got a value from the file.

        The file may hold more (values whose objects do not exist here).
        """
        unmatched = self._unmatched_objects()
        if unmatched:
            raise AssertionError(
                f"Found {len(unmatched)} Python objects that were not bound to checkpointed values, likely "
                f"due to changes in the Python program: {', '.join(unmatched[:20])}"
                + (" ..." if len(unmatched) > 20 else "")
            )
        return self

    def assert_consumed(self):
        """Raise ``AssertionError`` unless the objects and the file match both ways."""
        self.assert_existing_objects_matched()
        restoration = self._restoration
        stored = sorted(set(restoration.values) | set(restoration.attributes))
        unresolved = [restoration.keys[n] for n in stored if not restoration.objects_of(n)]
        if unresolved:
            raise AssertionError(
                f"Unresolved object in checkpoint: {len(unresolved)} stored values matched no Python object: "
                f"{', '.join(unresolved[:20])}" + (" ..." if len(unresolved) > 20 else "")
            )
        return self

    def assert_nontrivial_match(self):
        """Raise ``AssertionError`` when nothing but the root object matched the file."""
        restoration = self._restoration
        if not any(restoration.objects_of(n) for n in range(1, len(restoration.children))):
            unmatched = self._unmatched_objects()
            if unmatched:
                raise AssertionError(
                    "Nothing except the root object matched a checkpointed value. Typically this means that "
                    "the checkpoint does not match the Python program. The following objects have no "
                    f"matching checkpointed value: {', '.join(unmatched[:20])}"
                )
            raise AssertionError("Nothing to load: no dependencies have been added to the checkpoint yet")
        return self

    def expect_partial(self):
        """Say that a partial match is expected (learnet never warns about it); returns the status."""
        return self

    def run_restore_ops(self, session=None):
        """Nothing to run: values are restored eagerly (kept for TensorFlow 1 code)."""

    def initialize_or_restore(self, session=None):
        """Nothing to run: values are restored eagerly (kept for TensorFlow 1 code)."""


class InitializationOnlyStatus:
    """What ``restore(None)`` returns: nothing was restored; every assertion but ``expect_partial`` fails."""

    _MESSAGE = "No checkpoint specified (save_path=None); nothing is being restored."

    def assert_consumed(self):
        raise AssertionError(self._MESSAGE)

    def assert_existing_objects_matched(self):
        raise AssertionError(self._MESSAGE)

    def assert_nontrivial_match(self):
        raise AssertionError(self._MESSAGE)

    def expect_partial(self):
        return self

    def run_restore_ops(self, session=None):
        """Nothing to run."""

    def initialize_or_restore(self, session=None):
        """Nothing to run."""
