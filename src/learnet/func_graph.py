"""The graph of a concrete ``tf.function``: what TensorFlow would have traced, read from the tape.

learnet runs every op at once, so a ``tf.function`` is never compiled to a graph. To show
one (Hands-On's "Exploring function definitions and graphs"), ``ConcreteFunction.graph``
runs the Python function once on placeholder inputs under a ``GradientTape`` and lists
what the tape recorded, in TensorFlow's terms::

    >>> import learnet as tf
    >>> @tf.function
    ... def cube(x):
    ...     return x ** 3
    >>> graph = cube.get_concrete_function(tf.constant(2.0)).graph
    >>> graph.get_operations()
    [<tf.Operation 'x' type=Placeholder>, <tf.Operation 'pow/y' type=Const>, <tf.Operation 'pow' type=Pow>, <tf.Operation 'Identity' type=Identity>]
    >>> list(graph.get_operation_by_name("pow").inputs)
    [<tf.Tensor 'x:0' shape=() dtype=float32>, <tf.Tensor 'pow/y:0' shape=() dtype=float32>]

Placeholders stand for the inputs, ``Const`` for numbers, ``ReadVariableOp`` for the
variables read, one operation per recorded op, and ``Identity`` for each output. Ops that
depend on no input or variable are not recorded by the tape, so they are not shown; sizes
that follow an input's ``None`` dimension are ``None``. A ``tf.data.Dataset`` input is a
``Placeholder`` of dtype ``variant`` (the function runs on the dataset it was made for);
the ops on its elements are not recorded, as they depend on no input the tape watches.
"""

import itertools

import numpy

from learnet import tape as _tape
from learnet.tensor import Tensor, TensorShape, Variable, _dtype_name, convert_to_tensor, keras2_name
from learnet.tree import flatten, pack_sequence_as

__all__ = ["FuncGraph", "FunctionDef", "Operation", "GraphTensor", "trace"]

# learnet's op names -> TensorFlow's op types, where they differ from the name in CamelCase.
_TF_TYPES = {
    "add": "AddV2",
    "subtract": "Sub",
    "multiply": "Mul",
    "divide": "RealDiv",
    "negative": "Neg",
    "pow": "Pow",
    "power": "Pow",
    "matmul": "MatMul",
    "reduce_sum": "Sum",
    "reduce_mean": "Mean",
    "reduce_max": "Max",
    "reduce_min": "Min",
    "abs": "Abs",
    "sqrt": "Sqrt",
    "square": "Square",
    "log": "Log",
    "exp": "Exp",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
    "relu": "Relu",
    "softmax": "Softmax",
    "reshape": "Reshape",
    "transpose": "Transpose",
    "concat": "ConcatV2",
    "gather": "GatherV2",
    "cast": "Cast",
    "maximum": "Maximum",
    "minimum": "Minimum",
}


# ... and the names TensorFlow gives those operations in a graph, where they differ.
_TF_NAMES = {
    "_getitem": "strided_slice",
    "getitem": "strided_slice",
    "multiply": "mul",
    "subtract": "sub",
    "divide": "truediv",
    "negative": "Neg",
    "reduce_sum": "Sum",
    "reduce_mean": "Mean",
    "reduce_max": "Max",
    "reduce_min": "Min",
    "matmul": "MatMul",
}
_TF_TYPES.update({"_getitem": "StridedSlice", "getitem": "StridedSlice"})
_DT_NAMES = {"float32": "FLOAT", "float64": "DOUBLE", "float16": "HALF", "string": "STRING"}


def _tf_name(name):
    return _TF_NAMES.get(name, name.lstrip("_"))


def _tf_type(name):
    if name in _TF_TYPES:
        return _TF_TYPES[name]
    name = name.lstrip("_")  # a private op (_matmul) has its public one's type
    return _TF_TYPES.get(name) or "".join(part.capitalize() for part in name.split("_"))


class GraphTensor:
    """One tensor of the graph: ``<op name>:<output index>``, its shape and dtype."""

    def __init__(self, op, index, shape, dtype):
        self.op = op
        self.value_index = index
        self.shape = TensorShape(shape)
        self.dtype = dtype

    @property
    def name(self):
        return f"{self.op.name}:{self.value_index}"

    def _shape_text(self):
        return (
            "("
            + ", ".join("None" if d is None else str(d) for d in self.shape)
            + ("," if len(self.shape) == 1 else "")
            + ")"
        )

    def _dtype_text(self):
        return self.dtype if isinstance(self.dtype, str) else _dtype_name(self.dtype)

    def __repr__(self):
        return f"<tf.Tensor '{self.name}' shape={self._shape_text()} dtype={self._dtype_text()}>"

    def __str__(self):
        # As TensorFlow prints a graph tensor: Tensor("Identity:0", shape=(None,), dtype=float32)
        return f'Tensor("{self.name}", shape={self._shape_text()}, dtype={self._dtype_text()})'


class Operation:
    """One operation of the graph: its name, type, input tensors and output tensors."""

    def __init__(self, name, type, inputs=()):  # noqa: A002 - TensorFlow's name
        self.name = name
        self.type = type
        self.inputs = list(inputs)
        self.outputs = []

    def _output(self, shape, dtype):
        tensor = GraphTensor(self, len(self.outputs), shape, dtype)
        self.outputs.append(tensor)
        return tensor

    @property
    def node_def(self):
        return _NodeDef(self.name, self.type, [t.name.removesuffix(":0") for t in self.inputs])

    def __repr__(self):
        return f"<tf.Operation '{self.name}' type={self.type}>"


class _NodeDef:
    def __init__(self, name, op, inputs):
        self.name, self.op, self.input = name, op, inputs

    def __repr__(self):
        lines = [f'name: "{self.name}"', f'op: "{self.op}"'] + [f'input: "{name}"' for name in self.input]
        return "\n".join(lines)


class _GraphDef:
    """``graph.as_graph_def()``: the nodes, printed as TensorFlow's text format."""

    def __init__(self, nodes):
        self.node = nodes

    def __repr__(self):
        return "\n".join("node {\n  " + repr(node).replace("\n", "\n  ") + "\n}" for node in self.node)


class FuncGraph:
    """The operations of one concrete function, in the order they ran.

    ``inputs`` and ``outputs`` are its placeholders' and identities' tensors,
    ``structured_outputs`` what the function returns with those tensors in its structure,
    ``variables`` the variables it reads, and ``captures`` the pairs
    ``(variable, tensor read from it in the graph)``.
    """

    def __init__(self, name, operations, inputs, outputs, structured_outputs=None, captures=()):
        self.name = name
        self._operations = operations
        self.inputs = inputs
        self.outputs = outputs
        self.structured_outputs = structured_outputs
        self.captures = list(captures)
        self.variables = tuple(variable for variable, _ in self.captures)

    def get_operations(self):
        """Every operation, in the order they ran (placeholders first, identities last)."""
        return list(self._operations)

    def get_operation_by_name(self, name):
        for operation in self._operations:
            if operation.name == name:
                return operation
        raise KeyError(f"The name {name!r} refers to an Operation not in the graph.")

    def get_tensor_by_name(self, name):
        op_name, _, index = name.partition(":")
        if not index.isdigit():
            raise ValueError(f"The name {name!r} looks like an Operation name; a tensor is named '<op>:<index>'")
        outputs = self.get_operation_by_name(op_name).outputs
        if int(index) >= len(outputs):
            raise KeyError(f"The name {name!r} refers to a Tensor which does not exist.")
        return outputs[int(index)]

    def as_graph_def(self):
        return _GraphDef([operation.node_def for operation in self._operations])

    def __repr__(self):
        return f"FuncGraph(name={self.name}, operations={len(self._operations)})"


class _Arg:
    def __init__(self, name, dtype):
        kind = dtype if isinstance(dtype, str) else _dtype_name(dtype)
        self.name, self.type = name, "DT_" + _DT_NAMES.get(kind, kind.upper())

    def __repr__(self):
        return f'name: "{self.name}"\ntype: {self.type}'


class _Signature:
    def __init__(self, name, inputs, outputs):
        self.name, self.input_arg, self.output_arg = name, inputs, outputs

    def __repr__(self):
        def block(kind, arg):
            return f"{kind} {{\n  " + repr(arg).replace("\n", "\n  ") + "\n}"

        parts = [f'name: "{self.name}"'] + [block("input_arg", a) for a in self.input_arg]
        return "\n".join(parts + [block("output_arg", a) for a in self.output_arg])


class FunctionDef:
    """``concrete_function.function_def``: the signature and the nodes of the traced function."""

    _count = itertools.count(1)

    def __init__(self, function_name, graph):
        number = next(FunctionDef._count)
        inputs = [_Arg(t.op.name, "resource" if getattr(t.op, "_resource", False) else t.dtype) for t in graph.inputs]
        # A variable the function reads without being given it is captured: TensorFlow passes its
        # resource handle as one more input, after the function's own, named for the op reading it.
        inputs += [
            _Arg("readvariableop_resource" if i == 0 else f"readvariableop_{i}_resource", "resource")
            for i in range(len(graph.captures))
        ]
        outputs = [_Arg("identity" if i == 0 else f"identity_{i}", t.dtype) for i, t in enumerate(graph.outputs)]
        self.signature = _Signature(f"__inference_{function_name}_{number}", inputs, outputs)
        self.node_def = [op.node_def for op in graph.get_operations() if op.type != "Placeholder"]


def _is_spec(value):
    return hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, Tensor)


def _is_dataset_spec(value):
    return hasattr(value, "element_spec") and hasattr(value, "dataset") and not hasattr(value, "shape")


def _run(python_function, names, specs, fill, free=None):
    """Run the function on placeholders (``None`` sizes set to ``fill``; those after the first
    axis to ``free`` when given) under a tape."""
    values = []
    for spec in specs:
        if type(spec).__name__ == "VariableSpec":  # a stand-in variable: the caller's never changes
            values.append(Variable(numpy.ones(spec.shape, dtype=spec.dtype), trainable=spec.trainable))
        elif _is_spec(spec):
            dims = list(spec.shape or ())
            shape = tuple(
                (fill if axis == 0 or free is None else free) if d is None else int(d) for axis, d in enumerate(dims)
            )
            kind = numpy.dtype(spec.dtype)
            if kind.kind in "OSU":  # text placeholders: one short string each
                values.append(Tensor(numpy.full(shape, b"a", dtype=object)))
            else:
                values.append(convert_to_tensor(numpy.ones(shape, dtype=kind)))
        elif _is_dataset_spec(spec):  # the function runs on the dataset it was made for
            if spec.dataset is None:
                raise ValueError(f"{spec!r}: the dataset this concrete function was made for no longer exists")
            values.append(spec.dataset)
        else:
            values.append(spec)
    with _tape.GradientTape(persistent=True) as tape, numpy.errstate(all="ignore"):
        for value in values:
            if isinstance(value, Tensor):
                tape._watch(value)  # integers too: the graph shows their ops, no gradient is asked
        result = python_function(*values)
    return values, result, tape.recorded_ops()


def _runs_that_fit(python_function, names, specs):
    """Two runs (batches of 2 and 3) with the other ``None`` axes at the first small size that
    fits, chosen as ``tf.saved_model.save`` chooses it (its trial inputs stay a few MB)."""
    from learnet import saved_function

    tensor_specs = [spec for spec in specs if _is_spec(spec)]
    budget = max(
        saved_function._TRIAL_BYTES, saved_function._TRIAL_GROWTH * saved_function._trial_bytes(tensor_specs, 3, 1)
    )
    for free in saved_function._free_sizes(python_function, tensor_specs, (), budget):
        try:
            return [_run(python_function, names, specs, fill, free) for fill in (2, 3)]
        except Exception:  # noqa: S112 - this size does not fit either: try the next
            continue
    return None


def trace(python_function, names, specs, function_name):
    """The ``FuncGraph`` of ``python_function`` on inputs like ``specs`` (``TensorSpec`` or values)."""
    try:
        runs = [_run(python_function, names, specs, fill) for fill in (2, 3)]
    except Exception as error:  # sizes of 2 and 3 do not fit (a reshape to [-1, 784]): small ones that do
        runs = _runs_that_fit(python_function, names, specs)
        if runs is None:
            raise error
    (values, result, recorded), (_, other_result, other_recorded) = runs
    if len(recorded) != len(other_recorded):
        raise ValueError(f"{function_name}: the function runs other ops for other input sizes; it has no one graph")

    def shape_of(tensor, twin):
        return tuple(a if a == b else None for a, b in zip(tensor.shape, twin.shape))

    operations, tensors, used = [], {}, {}

    def unique(name):
        count = used.get(name, 0)
        used[name] = count + 1
        return name if count == 0 else f"{name}_{count}"

    inputs = []
    for name, value, spec in zip(names, values, specs):
        if isinstance(value, Tensor):
            op = Operation(unique(name), "Placeholder")
            op._resource = isinstance(value, Variable)  # a variable given: TensorFlow passes its handle
            shape = tuple(spec.shape) if getattr(spec, "shape", None) is not None else tuple(value.shape)
            tensors[id(value)] = op._output(shape, value.dtype)
            operations.append(op)
            inputs.append(tensors[id(value)])
        elif _is_dataset_spec(spec):  # TensorFlow passes a dataset as one scalar of dtype variant
            op = Operation(unique(name), "Placeholder")
            operations.append(op)
            inputs.append(op._output((), "variant"))
    captures = []
    for note, twin in zip(recorded, other_recorded):
        op_name = unique(_tf_name(note.name))
        arguments = []
        for position, (tensor, twin_tensor) in enumerate(zip(note.inputs, twin.inputs)):
            if id(tensor) not in tensors:
                if isinstance(tensor, Variable):
                    source = Operation(unique(keras2_name(tensor).split(":")[0]), "ReadVariableOp")
                    captures.append((tensor, source))
                else:
                    source = Operation(f"{op_name}/{'xyz'[position] if position < 3 else position}", "Const")
                tensors[id(tensor)] = source._output(shape_of(tensor, twin_tensor), tensor.dtype)
                if captures and captures[-1][1] is source:
                    captures[-1] = (tensor, tensors[id(tensor)])
                operations.append(source)
            arguments.append(tensors[id(tensor)])
        op = Operation(op_name, _tf_type(note.name), arguments)
        tensors[id(note.output)] = op._output(shape_of(note.output, twin.output), note.output.dtype)
        operations.append(op)
    outputs, leaves = [], []
    for value, twin in zip(flatten(result), flatten(other_result)):
        leaves.append(value)
        if not isinstance(value, Tensor):
            continue
        source = tensors.get(id(value))
        if source is None:  # an output no recorded op made: a constant, or an input returned as it is
            const = Operation(unique("Const"), "Const")
            source = const._output(shape_of(value, twin), value.dtype)
            operations.append(const)
        identity = Operation(unique("Identity"), "Identity", [source])
        outputs.append(identity._output(source.shape, source.dtype))
        leaves[-1] = outputs[-1]
        operations.append(identity)
    structured = pack_sequence_as(result, leaves)
    return FuncGraph(function_name, operations, inputs, outputs, structured, captures)
