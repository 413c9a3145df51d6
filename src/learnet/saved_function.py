"""A ``tf.function`` as data: the learnet ops it runs, traced and run again after loading.

``tf.saved_model.save`` of a ``tf.Module`` stores no Python code. What it stores of each
``tf.function`` is the list of learnet ops the function ran, read while it runs on
placeholder inputs: each op by its registered name (``learnet.tape.PRIMITIVES``), its
options (axes, shapes, dtypes: plain data), and where its inputs come from — an input of
the function, a variable of the module, a constant, or an earlier op. Loading looks each
op up in that table and nothing else, and running the function runs the ops again on the
new inputs and the variables' current values, so gradients flow through it as through the
original.

A graph only holds what does not depend on Python decisions taken on the inputs' values
or sizes. To check that, the function runs three times, on placeholders of other values
and other sizes for the ``None`` dimensions of its ``input_signature``. A size that
follows the batch (``x.shape[0]`` in a reshape) is kept as "the batch size"; anything else
that changes between the runs (Python ``if`` on a tensor's value, a random number drawn in
Python, a size computed from two inputs) makes the save fail with a message saying which op
and why. A ``tf.custom_gradient`` is stored as the ops of its forward pass and those of its
gradient function (traced on a placeholder upstream gradient), so the loaded function has the
same gradients; ops made without ``primitive`` any other way cannot be saved, and say so. Text ops (``tf.strings``) are not primitives: a function may use them on
constants, but one whose text results follow its inputs is refused.

Examples
--------
>>> import learnet as tf
>>> from learnet import saved_function
>>> scale = tf.Variable(3.0)
>>> graph = saved_function.trace(lambda x: tf.reduce_sum(x * scale), [tf.TensorSpec([None], tf.float32)], "total")
>>> [node["op"].split(":")[1] for node in graph.nodes]
['multiply', 'reduce_sum']
>>> float(graph.run([tf.constant([1.0, 2.0])], [scale]))
9.0
"""

import base64
import contextlib
import importlib
import io
import re

import numpy

from learnet import tape as _tape
from learnet import tensor as _tensor
from learnet.tensor import Tensor, Variable, _as_dtype, convert_to_tensor

__all__ = ["Graph", "GraphError", "trace"]

# The sizes given to a None batch axis (axis 0) in the three runs; other None axes get one of
# the sizes the caller suggests (the sizes of the module's variables), and another in the third.
_BATCH = (5, 7, 5)


_PYTHON_DECIDES = (
    "the function decides in Python from its inputs' values or sizes, which a saved graph cannot hold "
    "(use tensor ops such as tf.where on the inputs instead)"
)


class GraphError(ValueError):
    """A function that learnet cannot store as a graph of ops (the message says why)."""


class _Everything(dict):
    def __contains__(self, key):
        return True


class _Recorder:
    """Stands in for a tape while a function is traced: every op is noted, whatever its inputs."""

    _watch_accessed_variables = False
    _records_every_op = True  # ops without a gradient too (learnet.tape.no_gradient)

    def __init__(self):
        self._watched = _Everything()
        self._notes = []
        self.quiet = []  # (start, end) of the notes made by a custom gradient's forward pass

    def _watch(self, tensor):
        pass

    def assigned(self, variable, kind, value):
        self._notes.append(_Assign(variable, kind, value))


class _Assign:
    """A variable's assignment seen while tracing: ``variable.<kind>(value)``."""

    def __init__(self, variable, kind, value):
        self.variable, self.kind, self.value = variable, kind, value
        self.name = kind


def _placeholder(spec, batch, free, rng):
    shape = []
    for axis, size in enumerate(spec.shape.as_list() if spec.shape is not None else []):
        shape.append(size if size is not None else (batch if axis == 0 else free))
    kind = numpy.dtype(spec.dtype)
    if kind.kind in "OSU":
        return Tensor(numpy.full(shape, b"b" if rng.integers(2) else b"a", dtype=object))
    if kind.kind == "b":
        return convert_to_tensor(rng.integers(0, 2, size=shape).astype(bool))
    if kind.kind in "iu":
        return convert_to_tensor(rng.integers(0, 2, size=shape).astype(kind))
    return convert_to_tensor(rng.uniform(0.25, 1.0, size=shape).astype(kind))


# The recorders of the traces under way, innermost last: a ``tf.custom_gradient`` forward pass
# that runs while one traces is noted by it too (see ``_custom_gradients_seen``).
_tracing: list = []


@contextlib.contextmanager
def _custom_gradients_seen():
    """While a function is traced, ``tf.custom_gradient``'s forward pass is noted too.

    ``tf.custom_gradient`` runs its forward pass inside ``tape.variables_read()``, which hides
    it from every tape: only its gradient function says how gradients flow. A saved graph must
    run that forward pass again, so while tracing the innermost recorder keeps listening, and
    marks the ops it notes there as one "quiet" stretch (run again with no tape recording)."""
    original = _tape.variables_read

    @contextlib.contextmanager
    def variables_read():
        with original() as read:
            recorder = _tracing[-1] if _tracing else None
            if recorder is None:
                yield read
                return
            _tape._recording.append(recorder)
            start = len(recorder._notes)
            try:
                yield read
            finally:
                recorder.quiet.append((start, len(recorder._notes)))

    _tape.variables_read = variables_read
    try:
        yield
    finally:
        _tape.variables_read = original


def _upstream(note, rng):
    """A placeholder for the gradient flowing into a custom gradient's output."""
    value = note.output._value
    return convert_to_tensor(rng.uniform(0.25, 1.0, size=value.shape).astype(value.dtype))


def _trace_backward(note, rng):
    """The ops of a custom gradient's gradient function, run on a placeholder upstream gradient."""
    upstream = _upstream(note, rng)
    recorder = _Recorder()
    saved = list(_tape._recording)
    _tape._recording[:] = [recorder]  # type: ignore[list-item]
    _tracing.append(recorder)
    try:
        grads = note.backward(upstream, *note.inputs, note.output)
    finally:
        _tracing.pop()
        _tape._recording[:] = saved
    grads = grads if isinstance(grads, (tuple, list)) else (grads,)
    return {"upstream": upstream, "grads": list(grads), "notes": recorder._notes}


def _forward_value(note, earlier):
    """The tensor a custom gradient's forward pass returned: its output shares that array."""
    for tensor in [n.output for n in reversed(earlier) if not isinstance(n, _Assign)] + list(note.inputs):
        if tensor._value is note.output._value:
            return tensor
    return Tensor(note.output._value)  # made by no noted op: a constant (checked across the runs)


def _run(function, specs, run, free, custom_gradients=True):
    rng = numpy.random.default_rng(run)
    inputs = [_placeholder(spec, _BATCH[run], free, rng) for spec in specs]
    recorder = _Recorder()
    saved = list(_tape._recording)
    _tape._recording[:] = [recorder]  # type: ignore[list-item]
    _tracing.append(recorder)
    snapshot = {}  # what the variables the run assigns held before: they get it back afterwards

    def listen(variable, kind, value):
        snapshot.setdefault(id(variable), (variable, variable._value.copy()))
        recorder.assigned(variable, kind, value)

    _tensor._assign_listeners.append(listen)
    customs = {}
    try:
        # The first run is the trace users see (a print in the function shows once, as when
        # TensorFlow traces); the two runs that check it are quiet.
        quiet = contextlib.redirect_stdout(io.StringIO()) if run else contextlib.nullcontext()
        with numpy.errstate(all="ignore"), quiet, _custom_gradients_seen():
            result = function(*inputs)
            for position, note in enumerate(recorder._notes):
                if _is_custom(note):
                    customs[position] = {"value": _forward_value(note, recorder._notes[:position])}
                    if custom_gradients:
                        customs[position].update(_trace_backward(note, rng))
    finally:
        _tracing.pop()
        _tape._recording[:] = saved
        _tensor._assign_listeners.remove(listen)
        for variable, value in snapshot.values():
            variable._value[...] = value
    return inputs, result, recorder._notes, {"quiet": recorder.quiet, "customs": customs}


def _is_custom(note):
    """A ``tf.custom_gradient`` op: recorded by hand, with a gradient function and no primitive."""
    return not isinstance(note, _Assign) and note.call is None and callable(note.backward)


class _Encoder:
    """Turns the three runs' notes into one graph, checking that they agree."""

    def __init__(self, name, runs, specs, free):
        self.free = tuple(free)  # the size of the other None axes in each run
        self.name = name
        self.runs = runs
        self.specs = specs
        self.refs = [{} for _ in runs]  # per run: id(tensor) -> ref
        self.arrays = [{} for _ in runs]  # per run: id(tensor's array) -> ref, for tensors wrapped again
        self.keep_alive = []
        self.variables = []  # the Variables read, in order (from the first run)
        self.constants = []  # arrays
        for run, (inputs, _, _, _) in enumerate(runs):
            for position, tensor in enumerate(inputs):
                self._know(run, tensor, ["in", position])

    def _know(self, run, tensor, ref):
        self.refs[run][id(tensor)] = ref
        if not isinstance(tensor, Variable) and ref[0] != "const":
            self.arrays[run].setdefault(id(tensor._value), ref)
        self.keep_alive.append(tensor)

    # --- sizes that follow the inputs' None dimensions --------------------------------------------
    def _same(self, values, where):
        """One JSON value for an option seen in the three runs, or a size symbol."""
        first = values[0]
        if all(_equal(first, other) for other in values[1:]):
            return _plain(first, where)
        if all(isinstance(v, (int, numpy.integer)) and not isinstance(v, bool) for v in values):
            symbol = self._size_symbol([int(v) for v in values])
            if symbol is not None:
                return {"size": symbol}
        if all(isinstance(v, (tuple, list)) for v in values) and len({len(v) for v in values}) == 1:
            items = [self._same([v[i] for v in values], where) for i in range(len(first))]
            return items if isinstance(first, list) else {"tuple": items}
        if all(isinstance(v, dict) for v in values) and len({tuple(sorted(v)) for v in values}) == 1:
            return {"dict": {str(k): self._same([v[k] for v in values], where) for k in first}}
        if all(isinstance(v, slice) for v in values):
            parts = [self._same([getattr(v, part) for v in values], where) for part in ("start", "stop", "step")]
            return {"slice": parts}
        raise GraphError(
            f"{self.name}: {where} takes {_short(values[0])} for one input and {_short(values[1])} for "
            f"another: {_PYTHON_DECIDES}"
        )

    def option(self, values, where):
        if any(isinstance(v, Tensor) for v in values):
            if not all(isinstance(v, Tensor) for v in values):
                raise GraphError(f"{self.name}: {where} is a tensor in one run and not in another")
            return {"tensor": self.ref([v for v in values], where)}
        return self._same(values, where)

    # --- where an op's input comes from ----------------------------------------------------------
    def ref(self, tensors, where):
        known = [self.refs[run].get(id(t)) for run, t in enumerate(tensors)]
        if known[0] is None and not isinstance(tensors[0], Variable):
            # A tensor wrapped again around a known tensor's array (a layer's Tensor._wrap(x._value)) is it.
            known = [self.arrays[run].get(id(getattr(t, "_value", None))) for run, t in enumerate(tensors)]
        if known[0] is not None:
            if any(k != known[0] for k in known[1:]):
                raise GraphError(f"{self.name}: {where} comes from other places for other inputs")
            return known[0]
        first = tensors[0]
        if isinstance(first, Variable):
            if any(t is not first for t in tensors[1:]):
                raise GraphError(f"{self.name}: {where} reads another variable for other inputs")
            ref = ["var", len(self.variables)]
            self.variables.append(first)
        else:
            values = [numpy.asarray(t.numpy()) for t in tensors]
            ref = ["const", len(self.constants)]
            self.constants.append(self._constant(values, where))
        for run, tensor in enumerate(tensors):
            self._know(run, tensor, ref)
        return ref

    def _constant(self, values, where):
        first = values[0]
        if all(v.shape == first.shape and v.dtype == first.dtype and _arrays_equal(v, first) for v in values[1:]):
            return {"array": first, "sizes": []}
        if all(v.shape == first.shape for v in values) and first.dtype.kind in "iu":
            patches = []
            for index in zip(*numpy.nonzero(~(values[0] == values[1]) | ~(values[0] == values[2]))):
                symbol = self._size_symbol([int(v[index]) for v in values])
                if symbol is None:
                    break
                patches.append([int(numpy.ravel_multi_index(index, first.shape)), symbol])
            else:
                return {"array": first, "sizes": patches}
        raise GraphError(
            f"{self.name}: {where} is a tensor whose values change with the inputs but that no recorded op "
            "made (a value converted with .numpy() and back, a number drawn at random in Python, or a "
            "tf.strings op, which learnet does not record); a saved graph cannot hold it"
        )

    def _size_symbol(self, values):
        if tuple(values) == _BATCH:
            return "batch"
        if tuple(values) == self.free and self.free[0] != self.free[2]:
            return "free"
        return None

    def encode(self):
        notes = [notes for _, _, notes, _ in self.runs]
        extras = [extra for _, _, _, extra in self.runs]
        quiet = {i for start, end in extras[0]["quiet"] for i in range(start, end)}
        if any({i for start, end in extra["quiet"] for i in range(start, end)} != quiet for extra in extras[1:]):
            raise GraphError(f"{self.name}: a custom gradient runs other ops for other inputs: {_PYTHON_DECIDES}")
        nodes = self._nodes(notes, "op", quiet, [extra["customs"] for extra in extras])
        results = [result for _, result, _, _ in self.runs]
        structure = self._structure(results, "the result")
        return nodes, structure

    def _nodes(self, notes, kind, quiet=(), customs=None):
        """The nodes of one list of ops (the function's, ``kind`` "op", or a custom gradient's
        gradient function, "bop"), checking that the three runs agree."""
        if len({len(n) for n in notes}) != 1:
            raise GraphError(
                f"{self.name}: the function runs {len(notes[0])} ops for one input and {len(notes[1])} for "
                f"another: {_PYTHON_DECIDES}"
            )
        nodes = []
        for position, steps in enumerate(zip(*notes)):
            first = steps[0]
            where = f"op {position} ({first.name})" if kind == "op" else f"the gradient's op {position} ({first.name})"
            if isinstance(first, _Assign) or any(isinstance(step, _Assign) for step in steps):
                if not all(isinstance(step, _Assign) and step.kind == first.kind for step in steps):
                    raise GraphError(f"{self.name}: {where} is another step for other inputs: {_PYTHON_DECIDES}")
                target = self.ref([step.variable for step in steps], where)
                if target[0] != "var":
                    raise GraphError(f"{self.name}: {where} assigns to something that is not a variable")
                value = self.option([step.value for step in steps], where)
                nodes.append({"assign": first.kind, "variable": target, "value": value})
                continue
            if customs is not None and all(position in found for found in customs):
                node = self._custom(steps, [found[position] for found in customs], where)
            else:
                node = self._op(steps, where)
            if position in quiet:
                node["quiet"] = True
            nodes.append(node)
            for run, step in enumerate(steps):
                self._know(run, step.output, [kind, position])
        return nodes

    def _op(self, steps, where):
        first = steps[0]
        if first.call is None or getattr(first.call[0], "graph_name", None) is None:
            raise GraphError(
                f"{self.name}: {where} was not made with learnet's primitive (an op defined inside a function, "
                "or a custom gradient inside a custom gradient's gradient function), so a saved graph cannot name it"
            )
        if any(step.call is None or step.call[0] is not first.call[0] for step in steps[1:]):
            raise GraphError(f"{self.name}: {where} is another op for other inputs: {_PYTHON_DECIDES}")
        inputs = [self.ref([step.inputs[i] for step in steps], where) for i in range(len(first.inputs))]
        args = [self.option([step.call[1][i] for step in steps], where) for i in range(len(first.call[1]))]
        if any(set(step.call[2]) != set(first.call[2]) for step in steps[1:]):
            raise GraphError(f"{self.name}: {where} is called with other options for other inputs")
        kwargs = {key: self.option([step.call[2][key] for step in steps], where) for key in first.call[2]}
        return {"op": first.call[0].graph_name, "inputs": inputs, "args": args, "kwargs": kwargs}

    def _custom(self, steps, found, where):
        """A ``tf.custom_gradient`` op: its inputs, the value its forward pass made (those ops are
        nodes before it, marked quiet) and, unless custom gradients are not saved, the ops of its
        gradient function on the upstream gradient (``["up", 0]``)."""
        first = steps[0]
        if any(step.name != first.name or len(step.inputs) != len(first.inputs) for step in steps[1:]):
            raise GraphError(f"{self.name}: {where} is another op for other inputs: {_PYTHON_DECIDES}")
        node = {
            "custom_gradient": first.name,
            "inputs": [self.ref([step.inputs[i] for step in steps], where) for i in range(len(first.inputs))],
            "value": self.ref([f["value"] for f in found], where),
        }
        if "notes" not in found[0]:  # SaveOptions(experimental_custom_gradients=False)
            return node
        for run, traced in enumerate(found):
            self._know(run, traced["upstream"], ["up", 0])
        node["backward"] = self._nodes([f["notes"] for f in found], "bop")
        grads = []
        for i in range(len(first.inputs)):
            given = [f["grads"][i] if i < len(f["grads"]) else None for f in found]
            if all(g is None for g in given):
                grads.append(None)
            elif any(g is None for g in given):
                raise GraphError(f"{self.name}: the gradient function of {where} gives no gradient for some inputs")
            else:
                tensors = [g if isinstance(g, Tensor) else convert_to_tensor(g) for g in given]
                grads.append(self.ref(tensors, f"the gradient of {where}"))
        node["grads"] = grads
        return node

    def _structure(self, values, where):
        first = values[0]
        if isinstance(first, Tensor):
            shape = [
                a if all(len(v.shape) == len(first.shape) and v.shape[i] == a for v in values) else None
                for i, a in enumerate(first.shape)
            ]
            return {"ref": self.ref(values, where), "dtype": numpy.dtype(first.dtype).name, "shape": shape}
        if isinstance(first, dict):
            return {"dict": {str(key): self._structure([v[key] for v in values], where) for key in first}}
        if isinstance(first, (list, tuple)) and not hasattr(first, "_fields"):
            items = [self._structure([v[i] for v in values], where) for i in range(len(first))]
            return {"list" if isinstance(first, list) else "tuple": items}
        if first is None:
            return {"none": True}
        if isinstance(first, (bool, int, float, numpy.number, numpy.ndarray, str, bytes)):
            tensors = [convert_to_tensor(v) for v in values]
            shape, dtype = list(tensors[0].shape), numpy.dtype(tensors[0].dtype).name
            return {"ref": self.ref(tensors, where), "dtype": dtype, "shape": shape}
        raise GraphError(f"{self.name}: the function returns a {type(first).__name__}, which a graph cannot hold")


def _equal(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, numpy.ndarray):
        return a.shape == b.shape and a.dtype == b.dtype and _arrays_equal(a, b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, Tensor):
        return False
    try:
        return bool(a == b) or (a != a and b != b)  # NaN options are the same option
    except (TypeError, ValueError):
        return a is b


def _arrays_equal(a, b):
    if a.dtype.kind in "fc":
        return bool(numpy.array_equal(a, b, equal_nan=True))
    return bool(numpy.array_equal(a, b))


def _like(grad, tensor):
    """A gradient in its input's float dtype, as ``tf.custom_gradient`` hands it back."""
    grad = grad if isinstance(grad, Tensor) else convert_to_tensor(grad)
    kind = numpy.dtype(tensor.dtype)
    if numpy.dtype(grad.dtype) != kind and kind.kind == "f":
        grad = Tensor._wrap(grad._value.astype(kind))
    return grad


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _plain(value, where):
    """An option as JSON-able data; anything that is not plain data is refused."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, numpy.integer)):
        return int(value)
    if isinstance(value, (float, numpy.floating)) and not isinstance(value, numpy.ndarray):
        if isinstance(value, numpy.floating):
            return {"scalar": float(value), "dtype": numpy.dtype(type(value)).name}
        return float(value)
    if isinstance(value, numpy.bool_):
        return bool(value)
    if isinstance(value, bytes):
        return {"bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list):
        return [_plain(v, where) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [_plain(v, where) for v in value]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"dict": {k: _plain(v, where) for k, v in value.items()}}
    if isinstance(value, slice):
        return {"slice": [_plain(value.start, where), _plain(value.stop, where), _plain(value.step, where)]}
    if value is Ellipsis:
        return {"ellipsis": True}
    if isinstance(value, numpy.dtype) or isinstance(value, type) and issubclass(value, numpy.generic):
        return {"dtype": numpy.dtype(value).name}
    if isinstance(value, numpy.ndarray) and value.dtype.kind in "biuf" and value.size <= 4096:
        return {"ndarray": value.tolist(), "dtype": value.dtype.name, "shape": list(value.shape)}
    raise GraphError(
        f"{where} has an option of type {type(value).__name__} ({_short(value)}), which a graph cannot hold"
    )


def _unplain(value, sizes):
    if isinstance(value, list):
        return [_unplain(v, sizes) for v in value]
    if not isinstance(value, dict):
        return value
    if "size" in value:
        return sizes[value["size"]]
    if "tuple" in value:
        return tuple(_unplain(v, sizes) for v in value["tuple"])
    if "dict" in value:
        return {k: _unplain(v, sizes) for k, v in value["dict"].items()}
    if "slice" in value:
        return slice(*(_unplain(v, sizes) for v in value["slice"]))
    if "ellipsis" in value:
        return Ellipsis
    if "bytes" in value:
        return base64.b64decode(value["bytes"])
    if "scalar" in value:
        return numpy.dtype(value["dtype"]).type(value["scalar"])
    if "ndarray" in value:
        return numpy.asarray(value["ndarray"], dtype=value["dtype"]).reshape(value["shape"])
    if "dtype" in value:
        return numpy.dtype(value["dtype"]).type
    raise GraphError(f"a saved graph holds an option it does not know: {_short(value)}")


_MODULE_NAME = re.compile(r"^learnet(\.[a-z_][a-z0-9_]*)+$")


def _primitive(key, function_name):
    """The registered primitive ``key`` names ("learnet.ops.math:multiply"); a learnet module
    not imported yet is imported first. Nothing outside learnet's table of primitives is run."""
    op = _tape.PRIMITIVES.get(key) if isinstance(key, str) else None
    if op is None and isinstance(key, str) and ":" in key:
        module = key.split(":", 1)[0]
        if _MODULE_NAME.match(module):
            try:
                importlib.import_module(module)
            except ImportError:
                pass
            op = _tape.PRIMITIVES.get(key)
    if op is None:
        raise GraphError(f"{function_name}: the saved graph names an op learnet does not have: {key!r}")
    return op


class Graph:
    """One traced function: its ``nodes`` (ops in order), ``structure`` (what it returns),
    ``input_specs``, the ``variables`` it reads and the ``constants`` it holds."""

    def __init__(self, name, input_specs, nodes, structure, variables, constants):
        self.name = name
        self.input_specs = list(input_specs)
        self.nodes = nodes
        self.structure = structure
        self.variables = list(variables)
        self.constants = list(constants)

    @property
    def output_specs(self):
        """What the function returns, as ``TensorSpec``s in its structure."""
        from learnet.control import TensorSpec

        def build(structure, name=None):
            if "ref" in structure:
                return TensorSpec(structure.get("shape"), _as_dtype(structure.get("dtype", "float32")), name=name)
            if "dict" in structure:
                return {key: build(value, key) for key, value in structure["dict"].items()}
            if "list" in structure:
                return [build(value) for value in structure["list"]]
            if "tuple" in structure:
                return tuple(build(value) for value in structure["tuple"])
            return None

        return build(self.structure)

    def matches(self, inputs):
        """Whether ``inputs`` (tensors) fit this graph's input specs."""
        if len(inputs) != len(self.input_specs):
            return False
        return all(spec.is_compatible_with(value) for spec, value in zip(self.input_specs, inputs))

    def _sizes(self, inputs):
        sizes = {"batch": None, "free": None}
        for spec, value in zip(self.input_specs, inputs):
            for axis, size in enumerate(spec.shape.as_list() if spec.shape is not None else []):
                if size is None:
                    key = "batch" if axis == 0 else "free"
                    if sizes[key] is None:
                        sizes[key] = int(value.shape[axis])
        return sizes

    def run(self, inputs, variables):
        """Run the ops again on ``inputs`` (tensors) with ``variables`` (in ``self.variables`` order)."""
        sizes = self._sizes(inputs)
        constants = []
        for constant in self.constants:
            array = constant["array"]
            if constant["sizes"]:
                array = array.copy()
                for flat, symbol in constant["sizes"]:
                    array.reshape(-1)[flat] = sizes[symbol]
            constants.append(Tensor(array) if array.dtype.kind == "O" else convert_to_tensor(array))
        values = []
        places = {"in": inputs, "var": variables, "const": constants, "op": values}

        def source(ref):
            kind, index = ref
            return places[kind][index]

        self._execute(self.nodes, values, source, sizes)

        def build(structure):
            if "ref" in structure:
                return source(structure["ref"])
            if "dict" in structure:
                return {key: build(value) for key, value in structure["dict"].items()}
            if "list" in structure:
                return [build(value) for value in structure["list"]]
            if "tuple" in structure:
                return tuple(build(value) for value in structure["tuple"])
            return None

        return build(self.structure)

    def _execute(self, nodes, values, source, sizes):
        """Run ``nodes`` in order, appending each result to ``values``."""

        def given(a):
            return source(a["tensor"]) if isinstance(a, dict) and "tensor" in a else _unplain(a, sizes)

        for node in nodes:
            if "custom_gradient" in node:
                values.append(self._custom(node, source, sizes))
                continue
            if "assign" in node:  # a variable's update, in its place among the ops
                target = source(node["variable"])
                if node["assign"] not in ("assign", "assign_add", "assign_sub") or not isinstance(target, Variable):
                    raise GraphError(
                        f"{self.name}: the saved graph holds an update it does not know: {node['assign']!r}"
                    )
                getattr(target, node["assign"])(given(node["value"]))
                values.append(target)
                continue
            op = _primitive(node["op"], self.name)
            tensors = [source(ref) for ref in node["inputs"]]
            args = [given(a) for a in node["args"]]
            kwargs = {key: given(a) for key, a in node["kwargs"].items()}
            # A custom gradient's forward pass runs with no tape recording, as tf.custom_gradient runs it.
            with _tape.no_recording() if node.get("quiet") else contextlib.nullcontext():
                if getattr(op, "variadic", False):
                    values.append(op(tensors, *args, **kwargs))
                else:
                    values.append(op(*tensors, *args, **kwargs))

    def _custom(self, node, source, sizes):
        """A ``tf.custom_gradient`` op run again: its forward value, recorded with its saved gradient."""
        name = node["custom_gradient"]
        sources = tuple(source(ref) for ref in node["inputs"])
        output = Tensor._wrap(source(node["value"])._value)
        if "backward" in node:

            def backward(upstream, *inputs_and_output):
                local = {"up": [upstream], "bop": []}

                def inner(ref):
                    return local[ref[0]][ref[1]] if ref[0] in local else source(ref)

                self._execute(node["backward"], local["bop"], inner, sizes)
                return tuple(
                    None if ref is None else _like(inner(ref), tensor) for ref, tensor in zip(node["grads"], sources)
                )

        else:

            def backward(upstream, *inputs_and_output):
                raise LookupError(
                    f"No gradient defined for operation {name!r}: its custom gradient was not saved "
                    "(tf.saved_model.SaveOptions(experimental_custom_gradients=False))"
                )

        _tape.record_op(name, sources, output, backward, True)
        return output

    # --- as data: JSON and arrays ----------------------------------------------------------------
    def to_json(self, variable_paths, array_prefix):
        """The graph as JSON-able data; its constants go in the returned ``{name: array}``."""
        arrays = {}
        constants = []
        for position, constant in enumerate(self.constants):
            key = f"{array_prefix}{position}"
            arrays[key] = constant["array"]
            constants.append({"array": key, "sizes": constant["sizes"]})
        return {
            "name": self.name,
            "inputs": [
                {"shape": None if s.shape is None else s.shape.as_list(), "dtype": numpy.dtype(s.dtype).name}
                for s in self.input_specs
            ],
            "nodes": self.nodes,
            "structure": self.structure,
            "variables": [variable_paths[id(v)] for v in self.variables],
            "constants": constants,
        }, arrays

    @classmethod
    def from_json(cls, data, variables_by_path, arrays):
        from learnet.control import TensorSpec

        specs = [TensorSpec(s["shape"], _as_dtype(s["dtype"])) for s in data["inputs"]]
        constants = []
        for constant in data["constants"]:
            array = arrays[constant["array"]]
            constants.append({"array": array, "sizes": [list(p) for p in constant["sizes"]]})
        variables = [variables_by_path[path] for path in data["variables"]]
        return cls(data["name"], specs, data["nodes"], data["structure"], variables, constants)


# Trial inputs stay small. A ``None`` axis other than the batch is given one "free" size; the
# candidates are tried in order until the function runs, and a candidate is skipped when the
# placeholders it makes (at the largest batch) would take more than the trial budget: 4 MiB,
# or 16 times the smallest trial the signature allows when its fixed sizes are larger. A
# signature whose smallest trial is above the hard limit is refused before anything is made.
_TRIAL_BYTES = 4 * 2**20
_TRIAL_GROWTH = 16
_TRIAL_HARD_LIMIT = 256 * 2**20
_MAX_TRIES = 64


def _trial_bytes(specs, batch, free):
    """How many bytes the placeholders for ``specs`` take with these sizes of the ``None`` axes."""
    total = 0
    for spec in specs:
        count = 1
        for axis, size in enumerate(spec.shape.as_list() if spec.shape is not None else []):
            count *= size if size is not None else (batch if axis == 0 else free)
        kind = numpy.dtype(spec.dtype)
        total += count * (8 if kind.kind in "OSU" else kind.itemsize)
    return total


def _code_integers(function, depth=0):
    """The integers written in ``function``'s code (``tf.reshape(x, [-1, 784])`` gives 784) and
    held in its closure: sizes the function may ask of its inputs."""
    for attribute in ("python_function", "__func__", "__wrapped__"):
        inner = getattr(function, attribute, None)
        if inner is not None and depth < 8:
            return _code_integers(inner, depth + 1)
    found = set()

    def collect(value, level):
        if isinstance(value, bool) or level > 8:
            return
        if isinstance(value, int):
            if 2 <= abs(value) <= 2**20:
                found.add(abs(value))
        elif isinstance(value, (tuple, frozenset)):
            for item in value:
                collect(item, level + 1)
        elif hasattr(value, "co_consts"):
            collect(value.co_consts, level + 1)

    code = getattr(function, "__code__", None)
    if code is not None:
        collect(code.co_consts, 0)
    for cell in getattr(function, "__closure__", None) or ():
        try:
            collect(cell.cell_contents, 0)
        except ValueError:  # a cell not filled yet
            pass
    return found


def _divisors(number):
    small = [d for d in range(1, int(number**0.5) + 1) if number % d == 0]
    return set(small) | {number // d for d in small}


def _free_sizes(function, specs, size_hints, budget):
    """The sizes tried for the ``None`` axes after the first: 9; the sizes of the module's
    variables (a matmul needs its kernel's size); 1 to 32; the divisors of those sizes and of
    the integers in the function's code (a reshape to ``[-1, 784]`` needs a multiple of 784
    elements: 28 gives one); a few common widths. Only sizes within ``budget`` are kept."""
    hints = sorted({int(h) for h in size_hints if int(h) > 1})
    derived = sorted({d for number in set(hints) | _code_integers(function) for d in _divisors(number)})
    ordered = [9] + hints + list(range(1, 33)) + derived + [64, 128, 256, 784]
    sizes = []
    for size in ordered:
        if size not in sizes and _trial_bytes(specs, max(_BATCH), size) <= budget:
            sizes.append(size)
    return sizes[:_MAX_TRIES]


def trace(function, specs, name="function", size_hints=(), custom_gradients=True):
    """The ``Graph`` of ``function`` called on inputs like ``specs`` (``tf.TensorSpec``s, in order).

    The function runs on small placeholder inputs. ``None`` axes other than the first take one
    size, tried among candidates until the function runs: the sizes of ``size_hints`` (the
    sizes of the module's variables), small sizes, and divisors of those sizes and of the
    integers written in the function's code; no candidate makes placeholders larger than a few
    MB, whatever the variables' sizes.

    Raises
    ------
    GraphError
        When the function cannot be held as a graph of learnet ops (the message says why), or
        when no small trial input fits it.

    A ``tf.custom_gradient`` the function calls is stored as its forward ops and, unless
    ``custom_gradients`` is False, the ops of its gradient function, so gradients through the
    loaded function are the custom ones (TensorFlow's ``SaveOptions(experimental_custom_gradients=True)``,
    its default).
    """
    specs = list(specs)
    has_free = any(
        size is None and axis > 0 for spec in specs if spec.shape is not None for axis, size in enumerate(spec.shape)
    )
    smallest = _trial_bytes(specs, max(_BATCH), 1)
    if smallest > _TRIAL_HARD_LIMIT:
        raise GraphError(
            f"{name}: tracing it would need placeholder inputs of {smallest / 2**20:.0f} MiB for the input "
            f"signature {specs} (the limit is {_TRIAL_HARD_LIMIT // 2**20} MiB); give smaller fixed sizes"
        )
    budget = max(_TRIAL_BYTES, _TRIAL_GROWTH * smallest)
    candidates = _free_sizes(function, specs, size_hints, budget) if has_free else [9]
    failure = None
    for free in candidates:
        try:
            first = _run(function, specs, 0, free, custom_gradients)
        except Exception as error:  # this size does not fit: try the next
            failure = failure or error
            continue
        try:
            second = _run(function, specs, 1, free, custom_gradients)
        except Exception as error:
            raise GraphError(
                f"{name}: it runs on a batch of {_BATCH[0]} but not of {_BATCH[1]} ({type(error).__name__}: {error})"
            ) from error
        other = free + 2 if has_free and _trial_bytes(specs, max(_BATCH), free + 2) <= budget else free
        try:
            third = _run(function, specs, 2, other, custom_gradients)
        except Exception:  # the other axes must have this size: they are fixed
            other = free
            third = _run(function, specs, 2, other, custom_gradients)
        encoder = _Encoder(name, [first, second, third], specs, (free, free, other))
        nodes, structure = encoder.encode()
        return Graph(name, specs, nodes, structure, encoder.variables, encoder.constants)
    tried = f" (sizes {candidates[0]} to {max(candidates)} for its other None axes)" if has_free else ""
    raise GraphError(
        f"{name}: running it on placeholder inputs {specs}{tried} failed ({type(failure).__name__}: {failure}); "
        f"trial inputs are kept under {budget / 2**20:.0f} MiB, so give an input_signature with the sizes "
        "the function needs"
    ) from failure
