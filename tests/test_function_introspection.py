"""What a ``tf.function`` tells of its traces, against real TensorFlow 2.21
(fixture made by fixtures/make_function_introspection_fixture.py): ``pretty_printed_concrete_signatures``,
``experimental_get_tracing_count``, ``ConcreteFunction.function_type`` and friends,
``tf.types.experimental.TraceType``, ``tf.init_scope`` and a ``tf.data.Dataset`` as an input."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet import control, function_type


def _fixture():
    path = Path(__file__).resolve().parent / "fixtures" / "make_function_introspection_fixture.py"
    spec = importlib.util.spec_from_file_location("make_function_introspection_fixture", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURE = _fixture()
CASES = FIXTURE.cases(tf)
REFERENCE = np.load(Path(__file__).resolve().parent / "fixtures" / "function_introspection_reference.npz")


@pytest.mark.parametrize("name", sorted(CASES))
def test_printed_text_matches_tensorflow(name):
    assert FIXTURE.normalise(CASES[name]()) == str(REFERENCE[name])


def test_every_case_has_a_reference():
    assert set(CASES) == set(REFERENCE.files) - {"tensorflow_version"}


# --- tracing counts ---------------------------------------------------------------------------------
def test_tracing_count_counts_new_kinds_of_input_only():
    bodies_run = []

    @tf.function
    def f(x):
        bodies_run.append(1)
        return x + 1

    assert f.experimental_get_tracing_count() == 0
    f(tf.constant(1.0))
    f(tf.constant(2.0))
    assert f.experimental_get_tracing_count() == 1
    f(tf.constant([1.0]))
    assert f.experimental_get_tracing_count() == 2
    assert len(bodies_run) == 3  # learnet runs the body every call, traced or not


def test_input_signature_traces_once_and_shows_unknown_sizes():
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def f(x):
        return tf.reduce_sum(x) * x

    for size in (1, 2, 5):
        f(tf.ones(size))
    assert f.experimental_get_tracing_count() == 1
    assert "Output Type:\n  TensorSpec(shape=(None,), dtype=tf.float32, name=None)" in (
        f.pretty_printed_concrete_signatures()
    )


def test_concrete_function_matching_a_relaxed_trace_is_not_a_new_trace():
    @tf.function
    def f(x):
        return x * 2

    f.get_concrete_function(tf.TensorSpec([None], tf.float32))
    f(tf.ones(3))
    f(tf.ones(4))
    assert f.experimental_get_tracing_count() == 1
    f(tf.ones((2, 2)))
    assert f.experimental_get_tracing_count() == 2


def test_methods_keep_their_traces_per_object():
    class Scaler(tf.Module):
        def __init__(self, factor):
            super().__init__()
            self.factor = tf.Variable(factor)

        @tf.function
        def __call__(self, x):
            return x * self.factor

    first, second = Scaler(2.0), Scaler(3.0)
    first(tf.constant(1.0))
    first(tf.constant(2.0))
    first(tf.constant([1.0]))
    second(tf.constant(1.0))
    assert first.__call__.experimental_get_tracing_count() == 2
    assert second.__call__.experimental_get_tracing_count() == 1
    text = second.__call__.pretty_printed_concrete_signatures()
    assert text.startswith("Input Parameters:\n  x (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(), dtype=tf.float32")
    assert "Captures:\n  " in text and "dtype=tf.resource" in text


def test_first_call_still_records_on_the_tape_around_it():
    # The first call of a new trace listens for the variables read; gradients must be unchanged.
    w = tf.Variable(3.0)

    @tf.function
    def loss(x):
        return w * x * x

    x = tf.constant(2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        first = loss(x)
        second = loss(x)
    assert float(tape.gradient(first, w)) == pytest.approx(4.0)
    assert float(tape.gradient(first, x)) == pytest.approx(12.0)
    assert float(tape.gradient(second, w)) == pytest.approx(4.0)
    assert not tf.tape.is_recording()


# --- concrete functions -----------------------------------------------------------------------------
def test_concrete_function_type_parameters_and_outputs():
    @tf.function
    def f(x, y=2.0):
        return {"sum": x + y, "pair": (x, None)}

    concrete = f.get_concrete_function(tf.TensorSpec([None, 2], tf.float32))
    parameters = concrete.function_type.parameters
    assert list(parameters) == ["x", "y"]
    assert parameters["y"].type_constraint == function_type.Literal(2.0)
    assert (
        repr(parameters["y"])
        == "Parameter(name=y, kind=POSITIONAL_OR_KEYWORD, optional=False, type_constraint=Literal[2.0])"
    )
    outputs = concrete.structured_outputs
    assert set(outputs) == {"sum", "pair"} and outputs["pair"][1] is None
    assert outputs["sum"].shape.as_list() == [None, 2]
    assert str(outputs["pair"][0]).startswith('Tensor("Identity')
    assert [op.type for op in concrete.graph.get_operations()][0] == "Placeholder"
    assert isinstance(concrete.function_type, tf.types.experimental.FunctionType)


def test_get_concrete_function_with_inputs_that_do_not_fit_raises_and_counts_nothing():
    @tf.function
    def f(x):
        return x

    with pytest.raises(TypeError, match="do not fit"):
        f.get_concrete_function(tf.constant(1.0), tf.constant(2.0))
    assert f.experimental_get_tracing_count() == 0
    assert f.pretty_printed_concrete_signatures() == ""


def test_a_call_that_does_not_fit_raises_pythons_error_and_notes_no_trace():
    @tf.function
    def f(x):
        return x

    with pytest.raises(TypeError):
        f(tf.constant(1.0), tf.constant(2.0))
    assert f.experimental_get_tracing_count() == 0


# --- datasets ---------------------------------------------------------------------------------------
def _pairs():
    return tf.data.Dataset.from_generator(lambda: [(1, 1)] * 3, (tf.int32, tf.int32))


def test_dataset_argument_runs_and_gives_a_graph():
    @tf.function
    def train(dataset):
        loss = tf.constant(0)
        for x, y in dataset:
            loss += tf.abs(y - x)
        return loss

    data = _pairs()
    assert int(train(data)) == 0
    concrete = train.get_concrete_function(data)
    operations = concrete.graph.get_operations()
    assert operations[0].name == "dataset" and operations[0].type == "Placeholder"
    assert repr(operations[0].outputs[0]) == "<tf.Tensor 'dataset:0' shape=() dtype=variant>"
    assert len(concrete.graph.as_graph_def().node) > 0
    assert "DT_VARIANT" in repr(concrete.function_def.signature)
    assert int(concrete(data)) == 0
    assert train.experimental_get_tracing_count() == 1


def test_concrete_function_of_a_dataset_refuses_other_inputs():
    @tf.function
    def count(dataset):
        return tf.reduce_sum(tf.stack([tf.reduce_sum(batch) for batch in dataset]))

    data = tf.data.Dataset.from_tensor_slices(np.arange(4.0, dtype="float32")).batch(2)
    concrete = count.get_concrete_function(data)
    with pytest.raises(TypeError, match="input_signature"):
        concrete(tf.constant([1.0, 2.0]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="DatasetSpec"):
        concrete(tf.data.Dataset.from_tensor_slices(np.arange(4, dtype="int64")).batch(2))
    assert float(concrete(data)) == 6.0


# --- trace types ------------------------------------------------------------------------------------
def test_trace_type_is_abstract():
    with pytest.raises(TypeError):
        tf.types.experimental.TraceType()

    class Incomplete(tf.types.experimental.TraceType):
        def is_subtype_of(self, other):
            return True

    with pytest.raises(TypeError):
        Incomplete()


def test_tracing_type_that_is_not_a_trace_type_raises_and_notes_nothing():
    class Bad:
        def __tf_tracing_type__(self, context):
            return "fruit"

    calls = []

    @tf.function
    def f(value):
        calls.append(value)
        return tf.constant(1)

    with pytest.raises(TypeError, match="TraceType"):
        f(Bad())
    assert calls == [] and f.experimental_get_tracing_count() == 0


def test_other_objects_trace_once_each():
    class Config:
        pass

    @tf.function
    def f(config):
        return tf.constant(1)

    a, b = Config(), Config()
    f(a), f(a), f(b)
    assert f.experimental_get_tracing_count() == 2
    assert "Weakref[<weakref at" in f.pretty_printed_concrete_signatures()


def test_unhashable_python_values_are_traced_as_objects():
    @tf.function
    def f(values):
        return tf.constant(len(values))

    f({1, 2})
    assert f.experimental_get_tracing_count() == 1


# --- init_scope ------------------------------------------------------------------------------------
def test_init_scope_leaves_the_function_for_its_block():
    seen = []

    @tf.function
    def f():
        seen.append(control.inside_function())
        with tf.init_scope():
            seen.append(control.inside_function())
        seen.append(control.inside_function())
        return tf.constant(0)

    f()
    assert seen == [True, False, True]
    assert not control.inside_function()


def test_init_scope_restores_on_error_and_takes_no_arguments():
    @tf.function
    def f():
        with tf.init_scope():
            raise RuntimeError("inside")

    with pytest.raises(RuntimeError, match="inside"):
        f()
    assert not control.inside_function()
    with pytest.raises(TypeError):
        tf.init_scope(3)


def test_a_concrete_functions_atomic_function_runs_it():
    # The tf.function guide: "You can access the AtomicFunction describing the traced
    # tf.Graph and call it directly instead of the ConcreteFunction".
    @tf.function
    def double(a):
        return a + a

    double_strings = double.get_concrete_function(tf.TensorSpec(shape=None, dtype=tf.string))
    atomic_fn = double_strings.inference_fn
    assert isinstance(atomic_fn, tf.types.experimental.AtomicFunction)
    assert atomic_fn(tf.constant("a")).numpy() == b"aa"
    assert atomic_fn(a=tf.constant("c")).numpy() == b"cc"
    (flat,) = atomic_fn.call_flat(tf.constant("b"))
    assert flat.numpy() == b"bb"
    assert atomic_fn.name == "double" and str(atomic_fn.function_type) == str(double_strings.function_type)
    assert [op.type for op in atomic_fn.graph.get_operations()] == [
        op.type for op in double_strings.graph.get_operations()
    ]
    assert atomic_fn.definition.signature.name == double_strings.function_def.signature.name
    with pytest.raises(TypeError):  # the signature is checked as the concrete function checks it
        atomic_fn(tf.constant(1.0))


def test_a_variable_given_or_captured_is_a_resource_input_of_the_function_def():
    # The Hands-On book's chapter 12: a variable is passed to a function as its resource handle,
    # and a captured one is one more input, after the function's own.
    counter = tf.Variable(0)

    @tf.function
    def increment(counter, c=1):
        return counter.assign_add(c)

    increment(counter)
    given = increment.get_concrete_function(counter).function_def.signature.input_arg
    assert [(arg.name, arg.type) for arg in given] == [("counter", "DT_RESOURCE")]

    @tf.function
    def increment_captured(c=1):
        return counter.assign_add(c)

    increment_captured()
    captured = increment_captured.get_concrete_function().function_def.signature.input_arg
    assert [arg.type for arg in captured] == ["DT_RESOURCE"] and captured[0].name.endswith("_resource")
    assert repr(captured[0]).splitlines()[1] == "type: DT_RESOURCE"

    @tf.function
    def scaled(x):
        return x * counter

    arguments = scaled.get_concrete_function(tf.constant(2)).function_def.signature.input_arg
    assert [arg.type for arg in arguments] == ["DT_INT32", "DT_RESOURCE"]
