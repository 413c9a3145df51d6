"""``tf.saved_model.save`` / ``load`` of a ``tf.Module``: its attributes, variables and functions.

``describe`` walks the object's attributes (submodules, Keras layers, lists, tuples and
dicts; an object met twice is stored once and referred to), collects its variables, and
traces each ``tf.function`` it holds into graphs of learnet ops
(:mod:`learnet.saved_function`). ``write`` puts that in a directory: ``saved_model.json``
(the tree, the graphs), ``variables.npz`` and ``constants.npz``. ``read`` builds a
``RestoredObject`` with the same attributes; its functions run the stored ops on the
restored variables. No code is stored and none runs when loading: an op is found only in
learnet's table of primitives.

Examples
--------
>>> import learnet as tf, tempfile, os
>>> class Scale(tf.Module):
...     def __init__(self):
...         super().__init__()
...         self.factor = tf.Variable(3.0)
...     @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
...     def __call__(self, x):
...         return x * self.factor
>>> folder = os.path.join(tempfile.mkdtemp(), "scale")
>>> tf.saved_model.save(Scale(), folder)
>>> restored = tf.saved_model.load(folder)
>>> restored(tf.constant([1.0, 2.0])).numpy().tolist(), float(restored.factor)
([3.0, 6.0], 3.0)
"""

import inspect
import json
import os
import sys

import numpy

from learnet import control, saved_function, tree
from learnet.control import TensorSpec
from learnet.module import Module, graph_operations
from learnet.tensor import Tensor, Variable, keras2_name

__all__ = [
    "RestoredFunction",
    "RestoredObject",
    "SignatureFunction",
    "describe",
    "describe_signatures",
    "model_signatures",
    "read",
    "read_signatures",
    "write",
    "write_signatures",
]

_MAX_DEPTH = 24


def _is_container(value):
    return isinstance(value, (list, tuple)) or (isinstance(value, dict) and all(isinstance(k, str) for k in value))


def _holds_state(value):
    """Objects whose attributes are walked: modules, Keras layers, optimizers and user objects
    that hold variables or functions somewhere below."""
    return isinstance(value, Module) or hasattr(value, "trainable_weights") or type(value).__module__ == "__main__"


class _Walker:
    def __init__(self):
        self.seen = {}  # id -> path of the first place an object was met
        self.variables = {}  # id -> (path, variable)
        self.functions = []  # (path, bound Function)
        self.keep = []

    def forget(self, path):
        """Drop what was met under ``path`` (a subtree that is not stored)."""
        self.seen = {
            key: where for key, where in self.seen.items() if where != path and not where.startswith(path + "/")
        }

    def walk(self, value, path, depth):
        if depth > _MAX_DEPTH:
            return None
        if isinstance(value, Variable):
            if id(value) in self.variables:
                return {"alias": self.variables[id(value)][0]}
            self.variables[id(value)] = (path, value)
            return {"variable": path, "trainable": bool(value.trainable), "name": keras2_name(value).split(":")[0]}
        if isinstance(value, control.Function):
            self.functions.append((path, value))
            return {"function": path}
        if _is_container(value):
            if id(value) in self.seen:
                return {"alias": self.seen[id(value)]}
            self.seen[id(value)] = path
            self.keep.append(value)
            if isinstance(value, dict):
                items = {key: self.walk(item, f"{path}/{key}", depth + 1) for key, item in value.items()}
                return {"dict": {k: v for k, v in items.items() if v is not None}}
            items = [self.walk(item, f"{path}/{i}", depth + 1) for i, item in enumerate(value)]
            if all(item is None for item in items) and value:
                return None
            return {"list" if isinstance(value, list) else "tuple": items}
        if isinstance(value, (Tensor, numpy.ndarray, str, bytes, int, float, bool)) or value is None:
            return None
        if not _holds_state(value):
            return None
        if id(value) in self.seen:
            return {"alias": self.seen[id(value)]}
        self.seen[id(value)] = path
        self.keep.append(value)
        children = {}
        # A Keras layer's bookkeeping (its constructor's arguments, lists of its own weights) holds
        # nothing of its own: skipped, so a sublayer is stored where Keras keeps it (_layers).
        layers_base = sys.modules.get("learnet.layers.base")
        untracked = getattr(layers_base, "_UNTRACKED", frozenset()) if hasattr(value, "trainable_weights") else ()
        # Public attributes first, so a variable is stored under the name users know (kernel,
        # not _trainable_variables/0); private ones only where they hold something.
        for key, item in sorted(vars(value).items(), key=lambda pair: (pair[0].startswith("_"), pair[0])):
            if key.startswith("__") or key in ("_name", "_scope_name") or key in untracked:
                continue
            child = f"{path}/{key}" if path else key
            node = self.walk(item, child, depth + 1)
            if node is not None and (not key.startswith("_") or _holds_anything(node)):
                children[key] = node
            elif node is not None:  # left out: what it met must be stored where it is met next
                self.forget(child)
        if hasattr(value, "trainable_weights") and hasattr(value, "weights"):  # a Keras layer's own weights
            for position, weight in enumerate(value.weights):
                if id(weight) not in self.variables:
                    key = f"weights_{position}"
                    children[key] = self.walk(weight, f"{path}/{key}" if path else key, depth + 1)
        for key in _function_names(type(value)):
            children[key] = self.walk(getattr(value, key), f"{path}/{key}" if path else key, depth + 1)
        name = getattr(value, "_name", None) if isinstance(value, Module) else getattr(value, "name", None)
        return {"object": type(value).__name__, "name": name if isinstance(name, str) else None, "children": children}


def _holds_anything(node):
    if not isinstance(node, dict):
        return False
    if "variable" in node or "function" in node:
        return True
    if "alias" in node:
        return False
    values = node.get("children", node.get("dict", {}))
    values = values.values() if isinstance(values, dict) else values
    items = list(values) + list(node.get("list", node.get("tuple", [])) or [])
    return any(_holds_anything(item) for item in items if item is not None)


def _function_names(cls):
    names = []
    for klass in cls.__mro__:
        for key, attribute in vars(klass).items():
            if isinstance(attribute, control.Function) and key not in names:
                names.append(key)
    return names


def _parameter_names(function):
    return _parameter_names_of(function.python_function)


def _parameter_names_of(python_function):
    try:
        parameters = inspect.signature(python_function).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def describe(obj, signatures=None, custom_gradients=True):
    """Everything ``write`` stores of ``obj``, traced and checked (nothing is written).

    ``custom_gradients``: whether the gradient functions of the ``tf.custom_gradient``s its
    functions call are stored (``SaveOptions(experimental_custom_gradients=...)``)."""
    if isinstance(obj, (Variable, Tensor)) or _is_container(obj) or not hasattr(obj, "__dict__"):
        raise ValueError(
            f"saved_model.save expects a tf.Module, a Keras model or another object holding variables, "
            f"got {type(obj).__name__}"
        )
    walker = _Walker()
    walker.custom_gradients = bool(custom_gradients)
    root = walker.walk(obj, "", 0) if _holds_state(obj) else None
    if root is None:  # an object of another kind: its attributes all the same
        walker.seen[id(obj)] = ""
        root = {"object": type(obj).__name__, "name": None, "children": {}}
        for key, item in sorted(vars(obj).items()):
            node = walker.walk(item, key, 1)
            if node is not None:
                root["children"][key] = node
        for key in _function_names(type(obj)):
            root["children"][key] = walker.walk(getattr(obj, key), key, 1)
    sizes = {int(d) for _, v in walker.variables.values() for d in v.shape}
    functions = {}
    for path, function in walker.functions:
        graphs = []
        for signature in function.traced_signatures():
            graph = _trace(walker, function, signature, function.__name__, sizes)
            for variable in graph.variables:
                if id(variable) not in walker.variables:  # read by the function, held elsewhere
                    captured = f"__captured__/{len(walker.variables)}"
                    walker.variables[id(variable)] = (captured, variable)
            graphs.append(graph)
        functions[path] = {"graphs": graphs, "parameters": _parameter_names(function)}
    if not walker.variables and not any(f["graphs"] for f in functions.values()):
        raise ValueError(f"saved_model.save: {type(obj).__name__} holds no variables and no traced tf.function")
    signature_map = _signatures(obj, signatures, walker, functions, sizes)
    return {"root": root, "functions": functions, "signatures": signature_map, "variables": walker.variables}


def _trace(walker, function, signature, name, sizes):
    """``saved_function.trace``, once per Python function, object and signature."""
    python = getattr(function, "python_function", function)
    key = (id(getattr(python, "__func__", python)), id(getattr(python, "__self__", None)), tuple(signature))
    cache = walker.__dict__.setdefault("graphs", {})
    if key not in cache:
        cache[key] = saved_function.trace(
            function, signature, name, size_hints=sizes, custom_gradients=walker.__dict__.get("custom_gradients", True)
        )
    return cache[key]


def _signatures(obj, signatures, walker, functions, sizes):
    """``{name: function path}`` for the ``signatures=`` of ``save``, each traced into ``functions``."""
    if signatures is None:
        # TensorFlow's rule: the one function of the object with an input_signature that returns
        # tensors (not None) is the default signature, if there is exactly one.
        with_signature = [
            (p, f)
            for p, f in walker.functions
            if f.input_signature is not None and "/" not in p and _returns_tensors(functions.get(p))
        ]
        if len(with_signature) != 1:
            return {}
        signatures = {"serving_default": with_signature[0][1]}
    if not isinstance(signatures, dict):
        signatures = {"serving_default": signatures}
    for name in signatures:
        if not isinstance(name, str):
            raise ValueError(f"saved_model.save: the names of signatures are strings, got {name!r}")
    planned = [(name, function) + _signature_source(name, function) for name, function in signatures.items()]
    found = {}
    for name, function, spec, python, label in planned:
        path = f"__signatures__/{name}"
        graph = _trace(walker, python, spec, label, sizes)
        _check_signature_outputs(graph, label, name)
        for variable in graph.variables:
            if id(variable) not in walker.variables:
                walker.variables[id(variable)] = (f"__captured__/{len(walker.variables)}", variable)
        functions[path] = {"graphs": [graph], "parameters": _signature_keywords(function, spec)}
        found[name] = path
    return found


def _signature_source(name, function):
    """``(input specs, callable to trace, its name)`` of one signature; TensorFlow's ValueError
    for anything but a ``tf.function`` with an input_signature or a concrete function."""
    if isinstance(function, control.ConcreteFunction):
        python, names, bound = function._python_function, function._names, function._bound
        label = getattr(python, "__name__", name)
        if names is not None or bound:

            def python_call(*values):
                if names is None:
                    return python(*values, **bound)
                return python(**dict(zip(names, values)), **bound)

            python_call.__name__, python_call.__wrapped__ = label, python
            return list(function.inputs), python_call, label
        return list(function.inputs), python, label
    if isinstance(function, control.Function) and function.input_signature is not None:
        return list(function.input_signature), function, function.__name__
    raise ValueError(
        f"Expected a TensorFlow function for which to generate a signature, but got {function!r} (signature "
        f"{name!r}). Only `tf.functions` with an input signature or concrete functions can be used as a signature."
    )


def _signature_keywords(function, spec):
    """The name of each input, as TensorFlow names them: the spec's own name, else the
    parameter's (its keyword is that name made a Python identifier, see ``_sanitize``)."""
    parameters = [getattr(s, "name", None) for s in spec]
    if any(p is None for p in parameters):
        if isinstance(function, control.ConcreteFunction):
            names = list(function._names or []) or _parameter_names_of(function._python_function)
        else:
            names = _parameter_names(function)
        names = (names + [f"args_{i}" for i in range(len(spec))])[: len(spec)]
        parameters = [given or name for given, name in zip(parameters, names)]
    return parameters


def _sanitize(name):
    """TensorFlow's rule for an input's keyword: other characters than letters and digits become
    ``_``, and a name that does not start with a letter gets ``arg_`` in front."""
    swapped = "".join(c if c.isalnum() else "_" for c in str(name)) or "arg"
    return swapped if swapped[0].isalpha() else "arg_" + swapped


def _output_items(structure):
    """``[(key, item)]`` of a signature's outputs, named as TensorFlow names them."""
    if isinstance(structure, dict) and "dict" in structure:
        return list(structure["dict"].items())
    if isinstance(structure, dict) and ("list" in structure or "tuple" in structure):
        return [(f"output_{i}", item) for i, item in enumerate(structure.get("list", structure.get("tuple")))]
    return [("output_0", structure)]


def _check_signature_outputs(graph, label, key):
    for name, item in _output_items(graph.structure):
        if not (isinstance(item, dict) and "ref" in item):
            raise ValueError(
                f"Got a non-Tensor value for key {name!r} in the output of the function {label} used to generate "
                f"the SavedModel signature {key!r}. Outputs for functions used as signatures must be a single "
                "Tensor, a sequence of Tensors, or a dictionary from string to Tensor."
            )


def _returns_tensors(entry):
    """Whether a function's outputs can be a signature's: a tensor, a list of tensors or a dict
    of them (TensorFlow makes no default signature of another)."""
    if not (entry and entry["graphs"]):
        return False
    return all(isinstance(item, dict) and "ref" in item for _, item in _output_items(entry["graphs"][0].structure))


def _encode(saved, keep_variable=lambda path: True):
    """The JSON of ``saved``'s functions, and the arrays of its variables and constants."""
    paths = {key: path for key, (path, _) in saved["variables"].items()}
    stored = [(path, v) for path, v in saved["variables"].values() if keep_variable(path)]
    variables = {f"v{i}": v.numpy() for i, (_, v) in enumerate(stored)}
    variable_keys = {path: f"v{i}" for i, (path, _) in enumerate(stored)}
    captured = {
        path: {"trainable": bool(v.trainable), "name": keras2_name(v).split(":")[0]}
        for path, v in stored
        if path.startswith("__captured__/")
    }
    constants, functions = {}, {}
    for number, (path, entry) in enumerate(saved["functions"].items()):
        graphs = []
        for index, graph in enumerate(entry["graphs"]):
            data, arrays = graph.to_json(paths, f"f{number}g{index}c")
            constants.update(arrays)
            graphs.append(data)
        functions[path] = {"graphs": graphs, "parameters": entry["parameters"]}
    description = {
        "functions": functions,
        "signatures": saved["signatures"],
        "variables": variable_keys,
        "captured": captured,
    }
    return description, variables, constants


def write(saved, export_dir, marker_file, variables_file, constants_file):
    """Write what ``describe`` found into ``export_dir``."""
    encoded, variables, constants = _encode(saved)
    description = {
        "format": "learnet saved_model",
        "kind": "object",
        "note": "a learnet object directory (variables and traced functions); not a TensorFlow SavedModel",
        "root": saved["root"],
        **encoded,
    }
    text = json.dumps(description, indent=1)
    with open(os.path.join(export_dir, variables_file), "wb") as stream:
        numpy.savez(stream, **variables)
    with open(os.path.join(export_dir, constants_file), "wb") as stream:
        numpy.savez(stream, **_storable(constants))
    with open(os.path.join(export_dir, marker_file), "w", encoding="utf-8") as stream:
        stream.write(text)


# --- the signatures of a Keras model saved as its model file ---------------------------------------
_MODEL_WEIGHT = "__model__/layers/"


def _layer_weights(model):
    """``[(path, weight)]`` of the weights of the model's layers, named by the layer's place in
    ``model.layers`` and the weight's in ``layer.weights``: the same in the model loaded back."""
    return [
        (f"{_MODEL_WEIGHT}{position}/weights/{index}", weight)
        for position, layer in enumerate(graph_operations(model))  # as files written before layers left them out
        for index, weight in enumerate(layer.weights)
    ]


def describe_signatures(model, signatures, custom_gradients=True):
    """The ``signatures=`` given to ``save`` for a Keras model stored as its model file, traced
    and checked (nothing is written). A variable they read that is a weight of one of the model's
    layers is named by its place there, and is the loaded model's own after loading; any other
    (a variable set on the model itself, or held elsewhere) is stored with its value."""
    walker = _Walker()
    walker.custom_gradients = bool(custom_gradients)
    for path, weight in _layer_weights(model):
        walker.variables.setdefault(id(weight), (path, weight))
    sizes = {int(d) for _, v in walker.variables.values() for d in v.shape}
    functions: dict = {}
    found = _signatures(model, signatures, walker, functions, sizes)
    return {"functions": functions, "signatures": found, "variables": walker.variables}


def write_signatures(saved, export_dir, arrays_file):
    """Write the arrays of ``describe_signatures``'s result (the variables that are not the
    model's, the constants) into ``arrays_file``; return the JSON that describes them."""
    encoded, variables, constants = _encode(saved, keep_variable=lambda path: not path.startswith(_MODEL_WEIGHT))
    with open(os.path.join(export_dir, arrays_file), "wb") as stream:
        numpy.savez(stream, **variables, **_storable(constants))
    return encoded


def read_signatures(export_dir, description, arrays_file, model):
    """The signatures ``write_signatures`` described, running on ``model``'s weights."""
    from learnet.errors import InvalidArgumentError

    try:
        with numpy.load(os.path.join(export_dir, arrays_file), allow_pickle=False) as data:
            arrays = _readable({key: data[key] for key in data.files})
        variables = dict(_layer_weights(model))
        for entry in description["functions"].values():
            for graph in entry["graphs"]:
                for path in graph["variables"]:
                    if path.startswith(_MODEL_WEIGHT) and path not in variables:
                        raise KeyError(f"the model loaded back has no weight {path[len('__model__/') :]}")
                    if path not in variables:
                        node = description["captured"].get(path, {})
                        variables[path] = Variable(
                            arrays[description["variables"][path]],
                            trainable=node.get("trainable", True),
                            name=node.get("name"),
                        )
        functions = {
            path: _restored_function(entry, variables, arrays) for path, entry in description["functions"].items()
        }
    except (OSError, ValueError, KeyError, IndexError, TypeError) as error:
        raise InvalidArgumentError(
            None, None, f"saved_model.load: the signatures saved in {export_dir!r} cannot be read ({error})"
        ) from error
    return {name: _graph_signature(functions[path]) for name, path in description["signatures"].items()}


def _readable(arrays):
    """The arrays of a file ``_storable`` wrote, text constants back as objects."""
    out = {}
    for key, array in arrays.items():
        if key.endswith("__text"):
            out[key[: -len("__text")]] = array.astype(object)
        else:
            out[key] = array
    return out


def _restored_function(entry, variables_by_path, arrays, default_name="function"):
    """A ``RestoredFunction`` of one stored function (``entry``), reading ``variables_by_path``."""
    graphs, pool = [], {}
    for data in entry["graphs"]:
        graph = saved_function.Graph.from_json(data, variables_by_path, arrays)
        graph._variable_ids = [id(v) for v in graph.variables]
        for v in graph.variables:
            pool[id(v)] = v
        graphs.append(graph)
    name = graphs[0].name if graphs else default_name
    return RestoredFunction(name, graphs, pool, entry["parameters"])


def _storable(arrays):
    """Text constants (object arrays) are stored as fixed-width bytes, without pickling."""
    out = {}
    for key, array in arrays.items():
        if array.dtype.kind == "O":
            out[key + "__text"] = numpy.asarray(array.astype(bytes))
        else:
            out[key] = array
    return out


class RestoredFunction:
    """A ``tf.function`` loaded back: it runs the stored graph whose input signature fits."""

    def __init__(self, name, graphs, variables, parameters):
        self.__name__ = name
        self._graphs = graphs
        self._variables = variables
        self._parameters = list(parameters)

    @property
    def input_signature(self):
        return list(self._graphs[0].input_specs) if len(self._graphs) == 1 else None

    def _inputs(self, args, kwargs):
        """The call's inputs in the order of the parameters; a ``None`` (``states=None``) is a
        parameter left at its default, as it was when the function was traced without it."""
        args = list(args)
        while args and args[-1] is None:
            args.pop()
        for name in self._parameters[len(args) :]:
            value = kwargs.pop(name, None)
            if value is None:
                break
            args.append(value)
        kwargs = {name: value for name, value in kwargs.items() if value is not None}
        if kwargs:
            raise TypeError(f"{self.__name__}: unexpected keyword argument(s) {sorted(kwargs)}")
        return args

    def __call__(self, *args, **kwargs):
        from learnet.tensor import convert_to_tensor

        args = self._inputs(args, kwargs)
        for graph in self._graphs:
            if len(args) != len(graph.input_specs):
                continue
            tensors = [
                value
                if isinstance(value, Tensor)
                else convert_to_tensor(value, dtype=spec.dtype)
                if not isinstance(value, str | bytes)
                else Tensor(value)
                for value, spec in zip(args, graph.input_specs)
            ]
            if graph.matches(tensors):
                return graph.run(tensors, [self._variables[id_] for id_ in graph._variable_ids])
        expected = "\n".join(f"  {graph.input_specs}" for graph in self._graphs) or "  (no traced signature)"
        got = [getattr(a, "shape", a) for a in args]
        raise ValueError(
            f"Could not find matching concrete function to call loaded from the SavedModel: {self.__name__} "
            f"got inputs of shapes {got}; the saved signatures are:\n{expected}"
        )

    def get_concrete_function(self, *args, **kwargs):
        return self

    def __repr__(self):
        return f"<RestoredFunction {self.__name__} with {len(self._graphs)} signature(s)>"


class SignatureFunction:
    """A loaded signature, called as TensorFlow's: inputs by name, a dict of outputs.

    ``structured_input_signature`` is ``((), {name: TensorSpec})`` and ``structured_outputs``
    ``{name: TensorSpec}``; outputs that were not a dict are named ``output_0``, ``output_1``...
    A signature with one input also takes it by position; with several, only by name (their
    order is not kept, as in a SavedModel's signature map).

    Examples
    --------
    >>> import learnet as tf, tempfile, os
    >>> model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(3)])
    >>> @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="image")])
    ... def serve(image):
    ...     return {"label": tf.argmax(model(image), axis=-1)}
    >>> folder = os.path.join(tempfile.mkdtemp(), "served")
    >>> tf.saved_model.save(model, folder, signatures={"serving_default": serve})
    >>> signature = tf.saved_model.load(folder).signatures["serving_default"]
    >>> signature.structured_input_signature
    ((), {'image': TensorSpec(shape=(None, 4), dtype=tf.float32, name='image')})
    >>> signature.structured_outputs
    {'label': TensorSpec(shape=(None,), dtype=tf.int64, name='label')}
    >>> signature(image=tf.ones((2, 4)))["label"].shape
    TensorShape([2])
    """

    def __init__(self, name, specs, run, output_specs):
        self.name = self.__name__ = f"signature_wrapper_{name}"
        # Each input is called by its name made a Python identifier; its spec keeps the name as given.
        self._specs = {_sanitize(key): TensorSpec(spec.shape, spec.dtype, name=key) for key, spec in specs.items()}
        self._run = run
        self._output_specs = output_specs  # a dict, or a function of no arguments that gives one

    @property
    def structured_input_signature(self):
        """``((), {name: TensorSpec})``: no positional inputs, each input by its name."""
        return (), dict(self._specs)

    @property
    def structured_outputs(self):
        """The outputs' ``TensorSpec``s by name, as the signature returns them."""
        if callable(self._output_specs):
            self._output_specs = self._output_specs()
        return {key: TensorSpec(s.shape, s.dtype, name=key) for key, s in self._output_specs.items()}

    @property
    def inputs(self):
        """The input ``TensorSpec``s, in the order of ``structured_input_signature``."""
        return list(self._specs.values())

    def _summary(self):
        return f"{self.name}({', '.join(sorted(self._specs))})"

    def _bind(self, args, kwargs):
        keywords = list(self._specs)
        positional = 1 if len(keywords) == 1 else 0
        if len(args) > positional:
            raise TypeError(
                f"{self._summary()} takes {positional} positional arguments, got {len(args)}: a loaded signature "
                f"takes its inputs by name, as {', '.join(f'{k}=...' for k in keywords)}"
            )
        given = dict(zip(keywords, args))
        twice = sorted(set(given) & set(kwargs))
        if twice:
            raise TypeError(f"{self._summary()} got two values for {twice[0]!r}")
        unexpected = sorted(set(kwargs) - set(keywords))
        if unexpected:
            raise TypeError(
                f"{self._summary()} got unexpected keyword arguments: {', '.join(unexpected)} (its inputs are "
                f"{keywords})"
            )
        given.update(kwargs)
        missing = [k for k in keywords if k not in given]
        if missing:
            raise TypeError(f"{self._summary()} missing required arguments: {', '.join(missing)}")
        return [self._tensor(key, given[key]) for key in keywords]

    def _tensor(self, key, value):
        from learnet.errors import InvalidArgumentError
        from learnet.tensor import convert_to_tensor

        spec = self._specs[key]
        if not isinstance(value, Tensor):
            value = Tensor(value) if isinstance(value, str | bytes) else convert_to_tensor(value, dtype=spec.dtype)
        if not spec.is_compatible_with(value):
            raise InvalidArgumentError(
                None,
                None,
                f"{self.name}: the input {key!r} must fit {spec!r}, got a {value.dtype.name} tensor of shape "
                f"{tuple(value.shape)}",
            )
        return value

    def __call__(self, *args, **kwargs):
        tensors = self._bind(args, kwargs)  # every input checked before anything runs
        return _as_output_dict(self._run(tensors))

    def get_concrete_function(self, *args, **kwargs):
        return self

    def pretty_printed_signature(self, verbose=True):
        inputs = ", ".join(f"{key}: {spec!r}" for key, spec in self._specs.items())
        outputs = ", ".join(f"[{key!r}, {spec!r}]" for key, spec in self.structured_outputs.items())
        return f"Input Parameters:\n  ({inputs})\nOutput Type:\n  Dict[{outputs}]"

    def __repr__(self):
        inputs = ", ".join(f"{key}: {spec!r}" for key, spec in self._specs.items())
        return f"<ConcreteFunction {self.name}(*, {inputs})>"


def _as_output_dict(result):
    """A signature's outputs as a dict, named as TensorFlow names them."""
    if isinstance(result, dict):
        return dict(result)
    if isinstance(result, (list, tuple)):
        return {f"output_{i}": value for i, value in enumerate(result)}
    return {"output_0": result}


def _graph_signature(function):
    """The ``SignatureFunction`` of a stored signature graph."""
    graph = function._graphs[0]
    specs = dict(zip(function._parameters, graph.input_specs))

    def run(tensors):
        return graph.run(tensors, [function._variables[id_] for id_ in graph._variable_ids])

    signature = SignatureFunction(graph.name, specs, run, _as_output_dict(graph.output_specs))
    signature._function = function  # the stored graph, which tf.lite's converter reads
    return signature


def model_signatures(model):
    """A loaded Keras model's default signatures: ``{"serving_default": ...}`` calling the model,
    its inputs named ``inputs``, ``inputs_1``... as TensorFlow names them (a dict's keys sorted),
    or ``{}`` for a model whose inputs are not known (never built)."""
    structure = _model_inputs(model)
    if structure is None:
        return {}
    leaves = _sorted_leaves(structure)
    names = ["inputs"] + [f"inputs_{i}" for i in range(1, len(leaves))]
    specs = {name: TensorSpec(tuple(leaf.shape), leaf.dtype) for name, leaf in zip(names, leaves)}

    def run(tensors):
        return model(_pack_sorted(structure, iter(tensors)))

    def outputs():
        # The symbolic outputs where the model has them, else one run on zeros (a subclassed model).
        try:
            symbolic = model.output
        except (AttributeError, ValueError):
            symbolic = None
        leaves = _sorted_leaves(symbolic)
        if symbolic is None or not all(hasattr(t, "shape") and hasattr(t, "dtype") for t in leaves):
            zeros = [numpy.zeros([2 if s is None else s for s in spec.shape], spec.dtype) for spec in specs.values()]
            real = run([Tensor(z) for z in zeros])
            symbolic = tree.map_structure(lambda t: TensorSpec((None,) + tuple(t.shape)[1:], t.dtype), real)
        return {key: TensorSpec(tuple(t.shape), t.dtype) for key, t in _as_output_dict(symbolic).items()}

    return {"serving_default": SignatureFunction("serving_default", specs, run, outputs)}


def _model_inputs(model):
    """The model's inputs: its symbolic inputs (functional, Sequential with an Input), or specs of
    the shapes it was built for (a subclassed model), in the structure it takes them."""
    structure = None
    try:
        structure = model.input
    except (AttributeError, ValueError):
        structure = None
    if structure is not None:
        return structure
    shapes = getattr(model, "_build_input_shape", None)
    if shapes is None:
        return None
    dtype = model.dtype if isinstance(getattr(model, "dtype", None), str) else "float32"
    return tree.map_shapes(lambda shape: TensorSpec((None,) + tuple(shape)[1:], dtype), shapes)


def _sorted_leaves(structure):
    """The leaves in TensorFlow's order: a dict's by sorted key."""
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in _sorted_leaves(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _sorted_leaves(item)]
    return [structure]


def _pack_sorted(structure, values):
    """``values`` (an iterator, in ``_sorted_leaves``'s order) put back in ``structure``'s shape."""
    if isinstance(structure, dict):
        placed = {key: _pack_sorted(structure[key], values) for key in sorted(structure)}
        return {key: placed[key] for key in structure}
    if isinstance(structure, list):
        return [_pack_sorted(item, values) for item in structure]
    if isinstance(structure, tuple):
        return tuple(_pack_sorted(item, values) for item in structure)
    return next(values)


class RestoredObject(Module):
    """An object loaded by ``tf.saved_model.load``: the saved attributes, variables and functions."""

    def __init__(self, name=None, class_name=None):
        super().__init__(name=name if isinstance(name, str) and name else "restored_object")
        self._class_name = class_name
        self.signatures = {}

    def __call__(self, *args, **kwargs):
        function = vars(self).get("__call__")
        if function is None:
            raise TypeError(f"the loaded {self._class_name or 'object'} has no saved __call__ function")
        return function(*args, **kwargs)

    def __repr__(self):
        return f"<RestoredObject of {self._class_name} name={self._name!r}>"


def read(export_dir, marker_file, variables_file, constants_file):
    """Build the object described in ``export_dir`` (``write``'s directory)."""
    from learnet.errors import InvalidArgumentError

    try:
        with open(os.path.join(export_dir, marker_file), encoding="utf-8") as stream:
            description = json.load(stream)
        with numpy.load(os.path.join(export_dir, variables_file), allow_pickle=False) as data:
            stored = {key: data[key] for key in data.files}
        with numpy.load(os.path.join(export_dir, constants_file), allow_pickle=False) as data:
            arrays = _readable({key: data[key] for key in data.files})
        if description.get("kind") != "object":
            raise ValueError("not a saved object")
    except (OSError, ValueError, KeyError) as error:
        raise InvalidArgumentError(
            None, None, f"saved_model.load: {export_dir!r} is not a readable learnet saved object ({error})"
        ) from error
    variables = {}

    def variable(path, node):
        if path not in variables:
            key = description["variables"][path]
            variables[path] = Variable(stored[key], trainable=node.get("trainable", True), name=node.get("name"))
        return variables[path]

    functions = {}
    built = {}

    def build(node, path):
        if "alias" in node:
            return built.get(node["alias"]) or variables.get(node["alias"])
        if "variable" in node:
            return variable(node["variable"], node)
        if "function" in node:
            return restored_function(node["function"], path)
        if "dict" in node:
            built[path] = out = {}
            for key, child in node["dict"].items():
                out[key] = build(child, f"{path}/{key}")
            return out
        if "list" in node or "tuple" in node:
            items = [
                None if child is None else build(child, f"{path}/{i}")
                for i, child in enumerate(node.get("list", node.get("tuple")))
            ]
            value = items if "list" in node else tuple(items)
            built[path] = value
            return value
        obj = RestoredObject(node.get("name"), node.get("object"))
        built[path] = obj
        for key, child in node.get("children", {}).items():
            setattr(obj, key, build(child, f"{path}/{key}" if path else key))
        return obj

    def restored_function(path, label):
        if path in functions:
            return functions[path]
        entry = description["functions"][path]
        for data in entry["graphs"]:
            for variable_path in data["variables"]:
                if variable_path.startswith("__captured__/"):
                    variable(variable_path, description["captured"][variable_path])
                elif variable_path not in variables:
                    variable(variable_path, {})
        functions[path] = _restored_function(entry, variables, arrays, path.rsplit("/", 1)[-1])
        return functions[path]

    root = build(description["root"], "")
    if isinstance(root, RestoredObject):
        root.signatures = {
            name: _graph_signature(restored_function(path, name)) for name, path in description["signatures"].items()
        }
    return root
