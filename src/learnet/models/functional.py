"""The functional API: ``Model(inputs, outputs)`` from ``Input`` and layer calls.

Calling a layer on a ``KerasTensor`` (what ``Input`` returns) records which layer made
the result from which inputs (``_keras_history``). ``Model(inputs, outputs)`` walks
that record back from the outputs, keeps the layer calls in an order where every
call comes after the calls it depends on, and runs them in that order on real data.

Examples
--------
>>> from learnet import Input, Model, layers
>>> inputs = Input(shape=(784,))
>>> hidden = layers.Dense(64, activation="relu")(inputs)
>>> outputs = layers.Dense(10, activation="softmax")(hidden)
>>> model = Model(inputs=inputs, outputs=outputs)
>>> [layer.name for layer in model.layers]          # doctest: +SKIP
['input_layer', 'dense', 'dense_1']
"""

import warnings

import numpy as np

from learnet.backend import xp
from learnet.layers.base import KerasTensor, to_snake_case, unique_name
from learnet import registry
from learnet.layers import pooling, serialization
from learnet.layers.core import InputLayer
from learnet.keras_config import uses_legacy_keras
from learnet.layers.operation import OperationLayer
from learnet.models.model import Model, fit_input_rank, input_shape_error
from learnet.ops.math import cast
from learnet.tensor import Tensor
from learnet.tree import flatten, map_structure
from learnet.tree import map_shapes as _map_shapes


class _Node:
    """One layer call of the graph: the layer, what it was called with, and its outputs."""

    __slots__ = ("layer", "inputs", "args", "kwargs", "first_name", "dependencies", "is_input")

    def __init__(self, layer, inputs, args, kwargs, first_name=None):
        self.layer = layer
        self.inputs = inputs
        self.args = tuple(args)
        self.kwargs = dict(kwargs)
        self.first_name = first_name  # `layer(source=x, ...)`: the name the first argument was given under
        self.is_input = isinstance(layer, InputLayer) and inputs == ()
        self.dependencies = [t for t in flatten([inputs, list(self.args), self.kwargs]) if isinstance(t, KerasTensor)]


def _node_of(tensor, nodes):
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        raise ValueError(
            f"{tensor!r} was not made by a layer: the outputs of a functional model must come "
            "from layer calls on Input(...) tensors"
        )
    node = nodes.get(id(history))
    if node is None:
        node = _Node(
            history.layer,
            history.inputs,
            tensor._keras_call_args,
            tensor._keras_call_kwargs,
            getattr(tensor, "_keras_call_first_name", None),
        )
        nodes[id(history)] = node
    return node


def _made_by_input(tensor):
    history = tensor._keras_history
    return isinstance(history.layer, InputLayer) and history.inputs == ()


def build_graph(inputs, outputs):
    """The layer calls between ``inputs`` and ``outputs``, each after those it depends on.

    Returns ``(nodes, tensor_sources)``: the nodes in run order, and for every symbolic
    tensor involved, ``id(tensor) -> (node, output index)``.
    """
    flat_inputs = flatten(inputs)
    flat_outputs = flatten(outputs)
    for tensor in flat_inputs + flat_outputs:
        if not isinstance(tensor, KerasTensor):
            raise TypeError(
                "Model(inputs, outputs) expects the symbolic tensors of the functional API "
                f"(from Input(...) and layer calls), got {type(tensor).__name__}"
            )
    for tensor in flat_inputs:
        if tensor._keras_history is None:
            raise ValueError(
                f"the inputs of a functional model must be made by Input(...) or by layer calls on them; "
                f"{tensor!r} is neither"
            )
    if len({id(t) for t in flat_inputs}) != len(flat_inputs):
        raise ValueError("the same Input appears twice among the model's inputs")
    # An input made by a layer (Keras 3 allows it: `Model({"age": normalizer(age_input)}, ...)`)
    # is where the graph starts: the model is fed its values, and what made it is not run.
    entry_points = {id(t) for t in flat_inputs if not _made_by_input(t)}

    nodes, sources, order, done = {}, {}, [], set()
    for output in flat_outputs:
        sources[id(output)] = (_node_of(output, nodes), output._keras_output_index, output)
        stack = [(_node_of(output, nodes), 0)]
        while stack:
            node, position = stack.pop()
            if id(node) in done:
                continue
            if position < len(node.dependencies):
                stack.append((node, position + 1))
                dependency = node.dependencies[position]
                if id(dependency) in entry_points:
                    continue
                child = _node_of(dependency, nodes)
                sources[id(dependency)] = (child, dependency._keras_output_index, dependency)
                if id(child) not in done:
                    stack.append((child, 0))
            else:
                done.add(id(node))
                order.append(node)

    input_ids = {id(t._keras_history.layer) for t in flat_inputs}
    for node in order:
        if node.is_input and id(node.layer) not in input_ids:
            raise ValueError(
                f"Graph disconnected: the outputs depend on Input '{node.layer.name}', which is "
                "not among the model's inputs; add it to Model(inputs=[...])"
            )
    return order, sources


# --- the order of a graph's layers, as Keras 3 lists them ---------------------------------------


def _sorted_flatten(structure):
    """The leaves of ``structure`` as Keras 3 flattens it: a dict's values by sorted key."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _sorted_flatten(item)]
    if isinstance(structure, dict):
        try:
            keys = sorted(structure)
        except TypeError:  # keys of mixed types: no order to sort them in
            keys = list(structure)
        return [leaf for key in keys for leaf in _sorted_flatten(structure[key])]
    return [structure]


def _call_tensors(node):
    """The symbolic tensors a layer call was given, in the order Keras 3 records them: the
    positional arguments, then the keyword arguments by sorted name."""
    positional, keywords = [node.inputs, *node.args], dict(node.kwargs)
    if node.first_name is not None:  # `layer(source=x, ...)`: the first argument was given by name
        positional, keywords = list(node.args), {node.first_name: node.inputs, **keywords}
    return [t for t in _sorted_flatten([positional, keywords]) if isinstance(t, KerasTensor)]


def keras_layer_order(inputs, outputs, sources):
    """The layers of a graph in the order Keras 3's ``model.layers`` lists them.

    Keras walks the graph depth-first from the outputs (a dict's by sorted key), noting the
    order in which it first meets each layer. A call's *depth* is its distance from the
    outputs: 0 for the calls that make them, and a call that feeds another sits one deeper
    than it, along the longest way. A layer called several times takes the largest depth
    of its calls. The layers are then listed deepest first, ties in the walk's order, and
    an ``Input`` that no output uses comes last, before the layers of depth 0.

    Parameters
    ----------
    inputs, outputs : structures of KerasTensor
        The model's inputs and outputs.
    sources : dict
        ``id(tensor) -> (node, output index, tensor)``, as ``build_graph`` returns it.

    Returns
    -------
    list
        The layers, each once.

    Examples
    --------
    >>> from learnet import Input, layers
    >>> a = Input((3,), name="a")
    >>> h = layers.Dense(4, name="h")(a)
    >>> outputs = {"reg": layers.Dense(1, name="reg")(h), "cls": layers.Dense(3, name="cls")(h)}
    >>> _, sources = build_graph(a, outputs)
    >>> [layer.name for layer in keras_layer_order(a, outputs, sources)]
    ['a', 'h', 'cls', 'reg']
    """
    parents_of = {}

    def parents(node):
        found = parents_of.get(id(node))
        if found is None:
            found = [sources[id(t)][0] for t in _call_tensors(node) if id(t) in sources]
            found = parents_of[id(node)] = [] if node.is_input else found
        return found

    # The walk: every call after the calls it depends on, and where each layer was first met.
    finished, walked, first_met = set(), [], {}
    for output in _sorted_flatten(outputs):
        start = sources.get(id(output))
        if start is None or id(start[0]) in finished:
            continue
        first_met.setdefault(id(start[0].layer), len(first_met))
        stack = [(start[0], iter(parents(start[0])))]
        while stack:
            node, rest = stack[-1]
            parent = next(rest, None)
            if parent is None:
                stack.pop()
                finished.add(id(node))
                walked.append(node)
            elif id(parent) not in finished:
                first_met.setdefault(id(parent.layer), len(first_met))
                stack.append((parent, iter(parents(parent))))

    # Depths, from the outputs back: each call is final before its parents are reached.
    node_depth, layer_depth, layers = {}, {}, {}
    for node in reversed(walked):
        depth = max(node_depth.get(id(node), 0), layer_depth.get(id(node.layer), 0))
        node_depth[id(node)] = layer_depth[id(node.layer)] = depth
        layers[id(node.layer)] = node.layer
        for parent in parents(node):
            node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for tensor in _sorted_flatten(inputs):
        layer = tensor._keras_history.layer
        if _made_by_input(tensor) and id(layer) not in layers:  # an Input no output uses
            layers[id(layer)] = layer
            layer_depth[id(layer)] = 0
            first_met[id(layer)] = -1
    ranked = sorted(layers, key=lambda key: (-layer_depth[key], first_met[key]))
    return [layers[key] for key in ranked]


# --- matching the data a model is given to its (nested) inputs ----------------------------------


class _Mismatch(Exception):
    """Where data does not match a model's input structure, and how (``ambiguous``: a list
    given for a dict whose keys are not sorted)."""

    def __init__(self, path, problem, ambiguous=False):
        super().__init__(problem)
        self.path = path
        self.problem = problem
        self.ambiguous = ambiguous


def _holds_array(value):
    if isinstance(value, dict):
        return True
    if isinstance(value, (list, tuple)):
        return any(_holds_array(item) for item in value)
    return len(getattr(value, "shape", ())) > 0


def _is_one_array(value):
    """True for one array, or a Python list of numbers (one array written out); False for a
    dict, or a list or tuple that holds arrays (several inputs)."""
    if isinstance(value, dict):
        return False
    if isinstance(value, (list, tuple)):
        return not any(_holds_array(item) for item in value)
    return True


def _is_nested(structure):
    """Whether a model's input structure holds a container inside a container."""
    items = structure.values() if isinstance(structure, dict) else structure
    return isinstance(structure, (list, tuple, dict)) and any(isinstance(i, (list, tuple, dict)) for i in items)


def _dict_keys_sorted(structure):
    """Whether every dict in ``structure`` lists its keys in sorted order, the order in which
    Keras flattens a dict (so a flat list means the same to both)."""
    if isinstance(structure, dict):
        keys = [str(k) for k in structure]
        return keys == sorted(keys) and all(_dict_keys_sorted(v) for v in structure.values())
    if isinstance(structure, (list, tuple)):
        return all(_dict_keys_sorted(v) for v in structure)
    return True


def _path_text(prefix, path):
    """``inputs[2]['p']`` for the path ``(2, 'p')``."""
    return prefix + "".join(f"[{key!r}]" for key in path)


def _structure_text(structure):
    """The model's input structure with each input by name: ``['a', 'b', {'p': 'p', 'q': 'q'}]``."""
    return repr(map_structure(lambda t: t._keras_history.layer.name, structure))


def _describe(value):
    if isinstance(value, dict):
        return f"a dict with keys {list(value)}"
    if isinstance(value, (list, tuple)) and not _is_one_array(value):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"an array of shape {tuple(getattr(value, 'shape', ()))}" if hasattr(value, "shape") else "one array"


def _data_text(data):
    """The data's structure with each array by its shape."""
    if isinstance(data, dict):
        return "{" + ", ".join(f"{k!r}: {_data_text(v)}" for k, v in data.items()) + "}"
    if isinstance(data, (list, tuple)) and not _is_one_array(data):
        inner = ", ".join(_data_text(v) for v in data)
        return f"[{inner}]" if isinstance(data, list) else f"({inner}{',' if len(data) == 1 else ''})"
    return f"array{tuple(getattr(data, 'shape', ()))}" if hasattr(data, "shape") else "array"


def _match_structure(expected, given, path, pairs):
    """Append ``(path, input tensor, value)`` for every input of ``expected`` (a structure of
    input tensors) found in ``given``; raise ``_Mismatch`` where they part."""
    if isinstance(expected, KerasTensor):
        if not _is_one_array(given):
            raise _Mismatch(
                path, f"should be one array for Input '{expected._keras_history.layer.name}', not {_describe(given)}"
            )
        pairs.append((path, expected, given))
        return
    if isinstance(expected, dict):
        if isinstance(given, dict):
            missing = [key for key in expected if key not in given]
            if missing:
                raise _Mismatch(path, f"misses the key(s) {missing} (it should be a dict with keys {list(expected)})")
            for key, item in expected.items():
                _match_structure(item, given[key], path + (key,), pairs)
            return
        if isinstance(given, (list, tuple)) and len(given) == len(expected):
            if not _dict_keys_sorted(expected):
                raise _Mismatch(
                    path,
                    f"should be a dict with keys {list(expected)}: a {type(given).__name__} cannot say which "
                    "value is which when the keys are not in sorted order",
                    ambiguous=True,
                )
            for index, (item, value) in enumerate(zip(expected.values(), given)):
                _match_structure(item, value, path + (index,), pairs)
            return
        raise _Mismatch(path, f"should be a dict with keys {list(expected)}, not {_describe(given)}")
    if isinstance(given, (list, tuple)) and len(given) == len(expected):
        for index, (item, value) in enumerate(zip(expected, given)):
            _match_structure(item, value, path + (index,), pairs)
        return
    raise _Mismatch(path, f"should be a list or tuple of {len(expected)} items, not {_describe(given)}")


def _unpack_singleton(value):
    """The one item of a one-element list or tuple; anything else as it is."""
    if isinstance(value, (list, tuple)) and len(value) == 1:
        return value[0]
    return value


def _single_input(structure):
    """The one input of a model made with ``inputs=[x]``, else None."""
    if isinstance(structure, (list, tuple)) and len(structure) == 1 and isinstance(structure[0], KerasTensor):
        return structure[0]
    return None


_FUNCTIONAL_SUBCLASSES: dict[type, type] = {}


def _as_input_dtype(value, dtype):
    """``value`` cast to its ``Input``'s dtype, as Keras 3 converts what a functional model is
    given: an ``int64`` array fed to ``Input(shape=(), dtype="float32")`` computes in float32,
    and floats fed to an ``Input(dtype="int32")`` become integers. Text, ragged and sparse
    values are left as they are."""
    if not isinstance(value, Tensor) or isinstance(value, KerasTensor):
        return value
    try:
        want = np.dtype(dtype)
    except TypeError:
        return value
    have = np.dtype(value.dtype)
    if have == want or want.kind not in "biufc" or have.kind not in "biufc":
        return value
    return cast(value, want)


def _named_only(layer):
    """A layer entry of a graph by the layer's class and name, without its config."""
    return {"class_name": type(layer).__name__, "config": {"name": layer.name}, "name": layer.name}


def functional_subclass(cls):
    """A class that is both ``cls`` (a user's Model subclass) and ``Functional``."""
    combined = _FUNCTIONAL_SUBCLASSES.get(cls)
    if combined is None:
        combined = type(
            cls.__name__, (cls, Functional), {"__module__": cls.__module__, "__qualname__": cls.__qualname__}
        )
        _FUNCTIONAL_SUBCLASSES[cls] = combined
    return combined


class Functional(Model):
    """A model defined by its inputs and outputs: ``Model(inputs, outputs)``.

    Parameters
    ----------
    inputs : KerasTensor, or list or dict of them
        What ``Input(...)`` returned.
    outputs : KerasTensor, or list or dict of them
        Results of layer calls that lead back to ``inputs``.
    name : str, optional
    trainable : bool, default True

    Notes
    -----
    ``model.input`` and ``model.output`` keep the structure given here, as in Keras 3: a
    model made with ``inputs=[x]`` has ``model.input == [x]``, while calling it, ``predict``
    and ``fit`` take and give a single array for a one-element list.

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as keras
    >>> x = keras.Input((3,))
    >>> y = keras.layers.Dense(2)(x)
    >>> model = keras.Model(inputs=[x], outputs=[y])
    >>> model.input[0] is x, type(model.output).__name__
    (True, 'list')
    >>> model.predict(np.ones((4, 3)), verbose=0).shape
    (4, 2)
    """

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        if isinstance(inputs, tuple):
            inputs = list(inputs)
        if isinstance(outputs, tuple):
            outputs = list(outputs)
        # The structures are kept as given, as in Keras 3: `Model([x], [y]).input` is the list `[x]`
        # (so `model.input[0] is x`), and its config and files say `[x]`; calling, predicting and
        # training still take and give one array (see `_match_inputs` and `call`).
        if uses_legacy_keras():
            # Keras 2 (TF_USE_LEGACY_KERAS=1) holds a list of one input or output as that tensor:
            # the model, called on symbolic tensors, gives one tensor, not a list of one.
            if isinstance(inputs, list) and len(flatten(inputs)) == 1:
                inputs = inputs[0]
            if isinstance(outputs, list) and len(flatten(outputs)) == 1:
                outputs = outputs[0]
        if name is None:
            # "functional", "functional_1"... as Keras 3 names functional models; a subclass its own way.
            base = "functional" if type(self) is Functional else to_snake_case(type(self).__name__)
            name = unique_name(base)
        self._init_model(name=name, trainable=trainable, **kwargs)
        nodes, sources = build_graph(inputs, outputs)
        self._input_structure = inputs
        self._output_structure = outputs
        self._nodes = nodes
        self._sources = sources
        # The layers in Keras 3's order, which `layers`, `weights`, `get_weights`, the weight files
        # and the optimizer's variables all follow (a file written by one then fits the other).
        layers = keras_layer_order(inputs, outputs, sources)
        self._graph_layers = layers
        names = [layer.name for layer in layers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"the layer names of a model must be unique, but {duplicates} appear more than once")
        self.built = True
        self._build_input_shape = map_structure(lambda t: tuple(t.shape), inputs)

    # --- what it is ---------------------------------------------------------------------------
    @property
    def layers(self):
        """The layers of the graph in Keras 3's order: deepest first, counted from the outputs
        (see ``keras_layer_order``); for a chain, the ``InputLayer`` then each layer in turn.

        As in Keras 3, an operation on symbolic tensors (``x + 1``, ``keras.ops.mean(x)``) is
        not a layer of the model: it is in ``operations``, with the layers.
        """
        return [layer for layer in self._graph_layers if not isinstance(layer, OperationLayer)]

    @property
    def operations(self):
        """Every operation of the graph in Keras 3's order: the layers and the operations on
        symbolic tensors (``OperationLayer`` s), as the model's config and summary list them.

        Examples
        --------
        >>> import learnet as keras
        >>> inputs = keras.Input((3,))
        >>> outputs = keras.layers.Dense(2)(inputs * 2.0)
        >>> model = keras.Model(inputs, outputs)
        >>> [type(op).__name__ for op in model.operations]
        ['InputLayer', 'OperationLayer', 'Dense']
        >>> [type(layer).__name__ for layer in model.layers]
        ['InputLayer', 'Dense']
        """
        return list(self._graph_layers)

    @property
    def inputs(self):
        """The input ``KerasTensor`` s, as a list."""
        return flatten(self._input_structure)

    @property
    def outputs(self):
        """The output ``KerasTensor`` s, as a list."""
        return flatten(self._output_structure)

    @property  # type: ignore[misc]  # a model's graph gives it; not settable
    def input(self):
        """The input(s), in the structure given to ``Model``."""
        return self._input_structure

    @property  # type: ignore[misc]  # a model's graph gives it; not settable
    def output(self):
        """The output(s), in the structure given to ``Model``."""
        return self._output_structure

    @property
    def input_names(self):
        return [t._keras_history.layer.name for t in self.inputs]

    @property
    def output_names(self):
        if isinstance(self._output_structure, dict):
            return list(self._output_structure)
        return [self._sources[id(t)][0].layer.name for t in self.outputs]

    @property
    def input_shape(self):
        shapes = map_structure(lambda t: tuple(t.shape), self._input_structure)
        return shapes[0] if isinstance(shapes, list) and len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = map_structure(lambda t: tuple(t.shape), self._output_structure)
        return shapes[0] if isinstance(shapes, list) and len(shapes) == 1 else shapes

    def _graph_inputs_for_dtypes(self):
        return [t.dtype for t in self.inputs]

    def _graph_input_shapes(self):
        return [tuple(t.shape) for t in self.inputs]

    def compute_output_shape(self, input_shape):
        """The output shape(s) for inputs of ``input_shape``: the model's own when they match its
        inputs, else found again through the layers (a backbone made on ``Input((None, None, 3))``
        and called on 32x32 images gives 15x15 feature maps, not unknown sizes)."""
        if isinstance(input_shape, dict) and isinstance(self._input_structure, dict):
            input_shape = {key: input_shape.get(key) for key in self._input_structure}
        given = []
        _map_shapes(lambda shape: given.append(tuple(shape)), input_shape)
        expected = self._graph_input_shapes()
        if len(given) != len(expected) or given == expected:
            return map_structure(lambda t: tuple(t.shape), self._output_structure)
        outputs = self._trace_shapes(given)
        return map_structure(lambda t: tuple(t.shape), outputs)

    def _trace_shapes(self, shapes):
        """The outputs (KerasTensors) of the graph run on symbolic inputs of ``shapes``. The layers'
        record of their own call in this model (``layer.output``) is left as it was."""
        inputs = [KerasTensor(shape, dtype=t.dtype) for shape, t in zip(shapes, self.inputs)]
        layers = [node.layer for node in self._nodes]
        saved = [(layer._inbound, layer._symbolic_shapes) for layer in layers]
        try:
            return self._run_graph(inputs, training=False)
        finally:
            for layer, (inbound, symbolic_shapes) in zip(layers, saved):
                layer._inbound, layer._symbolic_shapes = inbound, symbolic_shapes

    def _output_dtype(self, inputs):
        dtypes = {str(t.dtype) for t in self.outputs}
        return dtypes.pop() if len(dtypes) == 1 else super()._output_dtype(inputs)

    def build(self, input_shape=None):
        """A functional model is built when it is made: nothing to do."""

    def _maybe_build(self, input_shape):
        self.built = True

    # --- running -------------------------------------------------------------------------------
    def _match_inputs(self, data):
        """Pair the data given to the model with its inputs: ``[(path, input tensor, value), ...]``
        in the order of ``model.inputs``, where ``path`` is the place of the value in ``data``
        (a tuple of indices and keys). Raises ``ValueError`` saying where ``data`` does not match.

        ``data`` may have the structure the model was made with (lists and tuples alike, a
        dict's keys in any order, extra keys ignored), be the flat list of ``model.inputs``,
        or, for a model whose inputs are not a dict, a dict of all inputs by name.
        """
        structure, flat = self._input_structure, self.inputs
        if isinstance(data, dict) and not isinstance(structure, dict):
            names = self.input_names
            missing = [n for n in names if n not in data]
            if missing:
                raise ValueError(f"Model '{self.name}' is missing input(s) {missing}; it got {sorted(data)}")
            return [((name,), tensor, data[name]) for name, tensor in zip(names, flat)]
        if isinstance(structure, KerasTensor):
            if isinstance(data, (list, tuple)) and len(data) == 1:
                return [((0,), structure, data[0])]
            if isinstance(data, (list, tuple)) and not _is_one_array(data):
                raise ValueError(f"Model '{self.name}' expects 1 input(s) {self.input_names}, got {len(data)}")
            return [((), structure, data)]
        single = _single_input(structure)
        if single is not None and _is_one_array(data):
            # `Model([x], ...)` fed one array: it is the one input's, as Keras 3 reads it.
            return [((), single, data)]
        pairs = []
        try:
            _match_structure(structure, data, (), pairs)
        except _Mismatch as mismatch:
            flat_data = isinstance(data, (list, tuple)) and all(_is_one_array(item) for item in data)
            if flat_data and not isinstance(structure, dict) and len(data) == len(flat):
                # The flat list of `model.inputs`, which Keras also takes for any structure.
                if not _dict_keys_sorted(structure):
                    raise ValueError(
                        f"Model '{self.name}' takes inputs structured as {_structure_text(structure)}; "
                        "a flat list cannot say which value goes to which key of a dict whose keys are "
                        "not in sorted order: give the data in that structure"
                    ) from None
                return [((index,), tensor, value) for index, (tensor, value) in enumerate(zip(flat, data))]
            if len(flat) == 1 and _is_one_array(data):
                # One input, nested in lists (keras.Model(inputs=[other.inputs])): Keras warns that
                # the structure differs and feeds the one array to it.
                warnings.warn(
                    f"Model '{self.name}' takes inputs structured as {_structure_text(structure)}; "
                    "it got one array, which goes to its one input",
                    UserWarning,
                    stacklevel=4,
                )
                return [((), flat[0], data)]
            if not _is_nested(structure) and not mismatch.ambiguous and not isinstance(data, dict):
                count = 1 if _is_one_array(data) else len(data)
                raise ValueError(
                    f"Model '{self.name}' expects {len(flat)} input(s) {self.input_names}, got {count}"
                ) from None
            raise ValueError(
                f"Model '{self.name}' takes inputs structured as {_structure_text(structure)}; "
                f"{_path_text('inputs', mismatch.path)} {mismatch.problem}. It got {_data_text(data)}"
            ) from None
        return pairs

    def _inputs_like(self, data, prefix="x"):
        """``{name of a leaf of data: input tensor}`` (names as ``x[2]['p']``), for the data path
        to convert each array to its input's dtype and shape. Raises ``ValueError`` on a mismatch."""
        return {_path_text(prefix, path): tensor for path, tensor, _ in self._match_inputs(data)}

    def _feed(self, inputs):
        """Match the data given to ``call`` to the model's inputs, checking their shapes."""
        fitted = []
        for path, tensor, value in self._match_inputs(inputs):
            value_fitted = fit_input_rank(value, tuple(tensor.shape))
            if value_fitted is None:
                where = f" (at {_path_text('inputs', path)})" if _is_nested(self._input_structure) else ""
                raise input_shape_error(
                    f"Input '{tensor._keras_history.layer.name}'{where} of model '{self.name}'",
                    tuple(tensor.shape),
                    tuple(getattr(value, "shape", ())),
                )
            fitted.append(_as_input_dtype(value_fitted, tensor.dtype))
        return fitted

    def _convert_input(self, value):
        # Float arrays keep their dtype at the model's door: `_feed` casts each value to its own
        # Input's dtype, so an Input(dtype="float64") gets float64 data unrounded, as in Keras 3.
        if isinstance(value, Tensor) and np.dtype(value.dtype).kind == "f":
            return value
        if isinstance(value, xp.ndarray) and value.dtype.kind == "f":
            return Tensor._wrap(value)
        return super()._convert_input(value)

    def call(self, inputs, training=None, mask=None):
        # A one-element list of outputs gives its one value, as Keras 3's call does:
        # `Model(x, [y])(data)` and `predict` return an array, while `model.output` stays `[y]`.
        return _unpack_singleton(self._run_graph(self._feed(inputs), training, with_losses=True))

    def _run_graph(self, feed, training, with_losses=False):
        """Run every layer call of the graph on ``feed`` (one value per model input, in order)."""
        values = {}
        for tensor, value in zip(self.inputs, feed):
            values[id(tensor)] = value
        sources = self._sources
        results = {}

        def value_of(item):
            if not isinstance(item, KerasTensor):
                return item
            key = id(item)
            if key in values:
                return values[key]
            node, index, _ = sources[key]
            output = results[id(node)]
            value = output if index is None else flatten(output)[index]
            values[key] = value
            return value

        # A Conv2D(relu) whose output only a MaxPooling2D reads runs with it as one op (the same
        # result and gradients, without the convolution's full output; see conv2d_relu_max_pool2d).
        pairs = self._conv_pool_pairs()
        pooled = set()
        for node in self._nodes:
            if node.is_input or id(node) in pooled:
                continue
            args = map_structure(value_of, node.inputs)
            pool = pairs.get(id(node))
            if pool is not None and pooling.fuses_with_pool(node.layer, pool.layer, args):
                results[id(pool)] = pooling.call_conv_and_pool(node.layer, pool.layer, args, training)
                pooled.add(id(pool))  # and the convolution's own output is read by nothing else
                continue
            extra = [map_structure(value_of, a) for a in node.args]
            kwargs = {k: map_structure(value_of, v) for k, v in node.kwargs.items()}
            results[id(node)] = node.layer(args, *extra, training=training, **kwargs)
        for loss in getattr(self, "_symbolic_losses", ()) if with_losses else ():
            self._append_loss(value_of(loss))
        return map_structure(value_of, self._output_structure)

    def _conv_pool_pairs(self):
        """``{id(conv node): pool node}`` for each call of a ``Conv2D`` on one tensor whose output
        is read by exactly one call, of a ``MaxPooling2D`` on it alone, and is neither a model
        output nor part of a loss: the pairs ``_run_graph`` may run as one op.
        Worked out once per graph."""
        cached = self.__dict__.get("_fusable_pairs")
        if cached is not None and cached[0] is self._nodes:
            return cached[1]
        reads = {}
        for node in self._nodes:
            for tensor in node.dependencies:
                reads[id(tensor)] = reads.get(id(tensor), 0) + 1
        for tensor in flatten([self._output_structure, list(getattr(self, "_symbolic_losses", ()))]):
            reads[id(tensor)] = reads.get(id(tensor), 0) + 2  # a result the caller sees: never skipped
        pairs = {}
        for node in self._nodes:
            alone = isinstance(node.inputs, KerasTensor) and not node.args and not node.kwargs
            if not (alone and type(node.layer) is pooling.MaxPooling2D and reads.get(id(node.inputs)) == 1):
                continue
            conv, index, _ = self._sources.get(id(node.inputs), (None, 0, None))
            if conv is None or index is not None or type(conv.layer) is not pooling.Conv2D:
                continue
            if isinstance(conv.inputs, KerasTensor) and not conv.args and not conv.kwargs:
                pairs[id(conv)] = node
        self.__dict__["_fusable_pairs"] = (self._nodes, pairs)
        return pairs

    def add_loss(self, loss):
        """Add a loss: a tensor, a function of no argument, or (as tf.keras 2 allowed) a symbolic
        tensor computed from the model's own tensors, recomputed at every call.

        Hands-On's variational autoencoder adds its latent loss this way::

            latent_loss = -0.5 * tf.reduce_sum(1 + log_var - tf.exp(log_var) - tf.square(mean), axis=-1)
            model.add_loss(tf.reduce_mean(latent_loss) / 784.0)

        Such a loss is part of training, not of the model's saved configuration.
        """
        symbolic = (
            [t for t in flatten(loss) if isinstance(t, KerasTensor)]
            if isinstance(loss, (KerasTensor, list, tuple))
            else []
        )
        if not symbolic:
            return super().add_loss(loss)
        if len(symbolic) != len(flatten(loss)) or any(tuple(t.shape) not in ((), (1,)) for t in symbolic):
            raise ValueError(
                f"add_loss on model '{self.name}': a symbolic loss must be one number computed from the "
                f"model's tensors (reduce it first, e.g. tf.reduce_mean), got {[tuple(t.shape) for t in symbolic]}"
            )
        losses = list(getattr(self, "_symbolic_losses", ())) + symbolic
        try:
            nodes, sources = build_graph(self._input_structure, [self._output_structure, *losses])
        except ValueError as error:
            raise ValueError(
                f"add_loss on model '{self.name}': the loss must come from the model's inputs ({error})"
            ) from None
        self._nodes, self._sources, self._symbolic_losses = nodes, sources, losses
        return None

    # --- configuration ------------------------------------------------------------------------------
    def get_config(self):
        """The graph as plain data: the layers' configs and every call between them."""
        return self._graph_config(serialization.serialize)

    def _graph_config(self, describe_layer=None):
        """``get_config``'s graph, each layer as ``describe_layer(layer)`` gives it; by default by
        its class and name only, without asking it for its config: all that the order of the layers
        needs while weights alone are saved or loaded, when Keras calls no ``get_config`` either."""
        describe_layer = describe_layer or _named_only
        calls = {}
        positions = {}
        for node in self._nodes:
            index = calls.get(id(node.layer), 0)
            calls[id(node.layer)] = index + 1
            positions[id(node)] = (node.layer.name, index)

        inputs = flatten(self._input_structure)
        if not all(_made_by_input(t) for t in inputs):
            raise NotImplementedError(
                f"model '{self.name}' starts from tensors made by layers, not only from Input(...): "
                "its config cannot say where those come from. Save its weights (save_weights), or "
                "build it from Input(...) tensors to save it whole"
            )

        def reference(tensor, where):
            if tensor.__class__.__name__ != "KerasTensor":
                return serialization.plain_json(tensor, where)
            node, output_index, _ = self._sources.get(id(tensor), (None, None, None))
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
        for node in self._nodes:
            if node.is_input:
                continue
            where = f"the call of layer '{node.layer.name}'"
            kwargs = {k: encode(v, where) for k, v in node.kwargs.items()}
            inputs = encode(node.inputs, where)
            if node.first_name is not None:
                # `layer(source=x, source_mask=m)`: every argument by name (no "inputs"), as Keras keeps it.
                kwargs, inputs = {node.first_name: inputs, **kwargs}, None
            nodes.append(
                {
                    "layer": node.layer.name,
                    "inputs": inputs,
                    "args": [encode(a, where) for a in node.args],
                    "kwargs": kwargs,
                }
            )
        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": [describe_layer(layer) for layer in self.operations],
            "nodes": nodes,
            "input_layers": encode(self._input_structure, "the inputs"),
            "output_layers": encode(self._output_structure, "the outputs"),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None, layer_fn=None):
        """Rebuild a functional model from ``get_config()`` (layer classes by registered name),
        learnet's or Keras 3's (whose layers name their calls in ``inbound_nodes``)."""
        where = "the functional model config"
        if isinstance(config, dict) and "nodes" not in config and "input_layers" in config:
            from learnet import keras_files  # Keras' form, read as a .keras file's config is

            entry = {"class_name": "Functional", "config": config}
            config = keras_files.model_config_from_keras(entry, custom_objects, where)["config"]
        entries = serialization.require(config, "layers", list, where)
        calls = serialization.require(config, "nodes", list, where)
        layers = {}
        for entry in entries:
            layer = serialization.deserialize(
                entry, custom_objects, layer_fn if serialization.is_not_input(entry) else None
            )
            # Calls name a layer as it was saved: a custom get_config may leave the name out,
            # and the layer made from it then takes back the name it was saved under.
            key = entry["name"] if isinstance(entry, dict) and isinstance(entry.get("name"), str) else layer.name
            if "name" not in entry.get("config", {}) and layer.name != key:
                layer.name = key
            if key in layers:
                raise serialization.InvalidModelFileError(f"{where} has two layers named {key!r}")
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
                    if (
                        not isinstance(ref, list)
                        or len(ref) != 3
                        or not isinstance(ref[0], str)
                        or not isinstance(ref[1], int)
                        or not (ref[2] is None or isinstance(ref[2], int))
                    ):
                        raise serialization.InvalidModelFileError(f"{where}: a tensor reference is malformed: {ref!r}")
                    key = (ref[0], ref[1])
                    if key not in outputs:
                        raise serialization.InvalidModelFileError(
                            f"{where}: a call uses output {ref[1]} of layer {ref[0]!r}, which does not exist (yet)"
                        )
                    value = outputs[key]
                    if ref[2] is None:
                        return value
                    flat = flatten(value)
                    if not 0 <= ref[2] < len(flat):
                        raise serialization.InvalidModelFileError(
                            f"{where}: output index {ref[2]} of layer {ref[0]!r} is out of range"
                        )
                    return flat[ref[2]]
                return {k: decode(v) for k, v in structure.items()}
            return structure

        for call in calls:
            name = serialization.require(call, "layer", str, f"{where}: a call")
            if name not in layers:
                raise serialization.InvalidModelFileError(f"{where}: a call names the unknown layer {name!r}")
            layer = layers[name]
            inputs = decode(call.get("inputs"))
            args = [decode(a) for a in call.get("args", [])]
            kwargs = {k: decode(v) for k, v in (call.get("kwargs") or {}).items()}
            try:
                result = layer(inputs, *args, **kwargs)
            except serialization.InvalidModelFileError:
                raise
            except serialization.CONFIG_ERRORS as error:
                raise serialization.InvalidModelFileError(
                    f"{where}: calling layer {name!r} failed: {serialization.describe(error)}"
                ) from None
            index = counts.get(name, 0)
            counts[name] = index + 1
            outputs[(name, index)] = result
        inputs = decode(config.get("input_layers"))
        result = decode(config.get("output_layers"))
        try:
            return cls(inputs, result, name=config.get("name"), trainable=config.get("trainable", True))
        except serialization.CONFIG_ERRORS as error:
            raise serialization.InvalidModelFileError(
                f"{where}: the graph cannot be rebuilt: {serialization.describe(error)}"
            ) from None


# A config or file naming "Model" means a functional model, as in Keras.
registry.register_builtin(Functional, "Model")
