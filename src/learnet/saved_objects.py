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

from learnet import control, saved_function
from learnet.module import Module
from learnet.tensor import Tensor, Variable

__all__ = ["RestoredFunction", "RestoredObject", "describe", "read", "write"]

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
            return {"variable": path, "trainable": bool(value.trainable), "name": str(value.name).split(":")[0]}
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
    """``{name: (function path, graph index)}`` for the ``signatures=`` of ``save``."""
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
    found = {}
    for name, function in signatures.items():
        if isinstance(function, control.ConcreteFunction):
            spec, python = list(function.inputs), function._python_function
            label = getattr(python, "__name__", name)
        elif isinstance(function, control.Function):
            if function.input_signature is None:
                raise ValueError(
                    f"saved_model.save: the signature {name!r} needs a tf.function with an input_signature "
                    "(or a concrete function from get_concrete_function)"
                )
            spec, python, label = list(function.input_signature), function, function.__name__
        else:
            raise TypeError(
                f"saved_model.save: signature {name!r} must be a tf.function, got {type(function).__name__}"
            )
        path = f"__signatures__/{name}"
        graph = _trace(walker, python, spec, label, sizes)
        for variable in graph.variables:
            if id(variable) not in walker.variables:
                walker.variables[id(variable)] = (f"__captured__/{len(walker.variables)}", variable)
        parameters = [getattr(s, "name", None) for s in spec]
        if any(p is None for p in parameters):  # a spec's own name first, as TensorFlow names inputs
            if isinstance(function, control.ConcreteFunction):
                names = list(function._names or []) or _parameter_names_of(function._python_function)
            else:
                names = _parameter_names(function)
            names = (names + [f"args_{i}" for i in range(len(spec))])[: len(spec)]
            parameters = [given or name for given, name in zip(parameters, names)]
        functions[path] = {"graphs": [graph], "parameters": parameters}
        found[name] = path
    return found


def _returns_tensors(entry):
    return bool(entry and entry["graphs"]) and "none" not in entry["graphs"][0].structure


def write(saved, export_dir, marker_file, variables_file, constants_file):
    """Write what ``describe`` found into ``export_dir``."""
    paths = {key: path for key, (path, _) in saved["variables"].items()}
    variables = {f"v{i}": v.numpy() for i, (_, v) in enumerate(saved["variables"].values())}
    variable_keys = {path: f"v{i}" for i, (path, _) in enumerate(saved["variables"].values())}
    captured = {
        path: {"trainable": bool(v.trainable), "name": str(v.name).split(":")[0]}
        for path, v in saved["variables"].values()
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
        "format": "learnet saved_model",
        "kind": "object",
        "note": "a learnet object directory (variables and traced functions); not a TensorFlow SavedModel",
        "root": saved["root"],
        "functions": functions,
        "signatures": saved["signatures"],
        "variables": variable_keys,
        "captured": captured,
    }
    text = json.dumps(description, indent=1)
    with open(os.path.join(export_dir, variables_file), "wb") as stream:
        numpy.savez(stream, **variables)
    with open(os.path.join(export_dir, constants_file), "wb") as stream:
        numpy.savez(stream, **_storable(constants))
    with open(os.path.join(export_dir, marker_file), "w", encoding="utf-8") as stream:
        stream.write(text)


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


class _Signature:
    """A loaded signature: called with keyword arguments, it returns a dict of outputs."""

    def __init__(self, function):
        self._function = function
        graph = function._graphs[0]
        names = (function._parameters + [f"args_{i}" for i in range(len(graph.input_specs))])[: len(graph.input_specs)]
        self.structured_input_signature = ((), dict(zip(names, graph.input_specs)))

    @property
    def structured_outputs(self):
        """The outputs' ``TensorSpec``s by name, as the signature returns them."""
        specs = self._function._graphs[0].output_specs
        if isinstance(specs, dict):
            return specs
        if isinstance(specs, (list, tuple)):
            return {f"output_{i}": spec for i, spec in enumerate(specs)}
        return {"output_0": specs}

    def __call__(self, *args, **kwargs):
        result = self._function(*args, **kwargs)
        if isinstance(result, dict):
            return result
        if isinstance(result, (list, tuple)):
            return {f"output_{i}": value for i, value in enumerate(result)}
        return {"output_0": result}


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
            arrays = {}
            for key in data.files:
                if key.endswith("__text"):
                    arrays[key[: -len("__text")]] = data[key].astype(object)
                else:
                    arrays[key] = data[key]
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
        graphs, pool = [], {}
        for data in entry["graphs"]:
            for variable_path in data["variables"]:
                if variable_path.startswith("__captured__/"):
                    variable(variable_path, description["captured"][variable_path])
                elif variable_path not in variables:
                    variable(variable_path, {})
            graph = saved_function.Graph.from_json(data, variables, arrays)
            graph._variable_ids = [id(v) for v in graph.variables]
            for v in graph.variables:
                pool[id(v)] = v
            graphs.append(graph)
        name = graphs[0].name if graphs else path.rsplit("/", 1)[-1]
        functions[path] = RestoredFunction(name, graphs, pool, entry["parameters"])
        return functions[path]

    root = build(description["root"], "")
    if isinstance(root, RestoredObject):
        root.signatures = {
            name: _Signature(restored_function(path, name)) for name, path in description["signatures"].items()
        }
    return root
