"""A concrete tf.function's graph (Hands-On, "Exploring function definitions and graphs").

The expected lists are TensorFlow 2.21's for the same functions; learnet shows a variable as
one ``ReadVariableOp`` named after it (TensorFlow adds a resource placeholder and a NoOp).
"""

import pytest

import learnet as tf


@tf.function
def cube(x):
    return x**3


def test_the_graph_of_a_cube():
    concrete = cube.get_concrete_function(tf.constant(2.0))
    assert concrete is cube.get_concrete_function(tf.constant(2.0))
    assert float(concrete(tf.constant(2.0))) == 8.0
    ops = concrete.graph.get_operations()
    assert [repr(op) for op in ops] == [
        "<tf.Operation 'x' type=Placeholder>",
        "<tf.Operation 'pow/y' type=Const>",
        "<tf.Operation 'pow' type=Pow>",
        "<tf.Operation 'Identity' type=Identity>",
    ]
    pow_op = ops[2]
    assert [repr(t) for t in pow_op.inputs] == [
        "<tf.Tensor 'x:0' shape=() dtype=float32>",
        "<tf.Tensor 'pow/y:0' shape=() dtype=float32>",
    ]
    assert [repr(t) for t in pow_op.outputs] == ["<tf.Tensor 'pow:0' shape=() dtype=float32>"]
    assert concrete.graph.get_operation_by_name("x") is ops[0]
    assert concrete.graph.get_tensor_by_name("Identity:0") is ops[3].outputs[0]
    signature = concrete.function_def.signature
    assert signature.name.startswith("__inference_cube_")
    assert [(a.name, a.type) for a in signature.input_arg] == [("x", "DT_FLOAT")]
    assert [(a.name, a.type) for a in signature.output_arg] == [("identity", "DT_FLOAT")]
    assert 'name: "pow"\n  op: "Pow"\n  input: "x"\n  input: "pow/y"' in repr(concrete.graph.as_graph_def())
    with pytest.raises(KeyError, match="not in the graph"):
        concrete.graph.get_operation_by_name("nothing")


def test_a_python_loop_is_unrolled_and_integer_inputs_are_shown():
    @tf.function
    def add_ten(x):
        for _ in range(10):
            x += 1
        return x

    names = [op.name for op in add_ten.get_concrete_function(tf.constant(5)).graph.get_operations()]
    assert names == ["x"] + [
        n for i in range(10) for n in (f"add{'_' + str(i) if i else ''}/y", f"add{'_' + str(i) if i else ''}")
    ] + ["Identity"]


def test_unknown_sizes_stay_unknown_and_variables_are_read():
    @tf.function(input_signature=[tf.TensorSpec([None, 28, 28], tf.float32)])
    def halve(images):
        return images[:, ::2, ::2]

    concrete = halve.get_concrete_function()
    assert [op.type for op in concrete.graph.get_operations()] == ["Placeholder", "StridedSlice", "Identity"]
    assert repr(concrete.outputs[0]) == "<tf.Tensor 'Identity:0' shape=(None, 14, 14) dtype=float32>"
    counter = tf.Variable(0.0, name="counter")

    @tf.function
    def scale(c):
        return counter * c + 1.0

    ops = scale.get_concrete_function(tf.constant(2.0)).graph.get_operations()
    assert [(op.name, op.type) for op in ops] == [
        ("c", "Placeholder"),
        ("counter", "ReadVariableOp"),
        ("mul", "Mul"),
        ("add/y", "Const"),
        ("add", "AddV2"),
        ("Identity", "Identity"),
    ]


def test_concretes_take_inputs_by_name_and_fix_python_values():
    # TensorFlow's tf.function guide: double_strings(a=...), pow.get_concrete_function(a=spec, b=2).
    @tf.function
    def double(a):
        return a + a

    double_strings = double.get_concrete_function(tf.constant("a"))
    assert double_strings(a=tf.constant("b")).numpy() == b"bb"
    with pytest.raises(tf.errors.InvalidArgumentError):  # and a TypeError, as Hands-On catches it
        double_strings(tf.constant(1))
    assert [op.type for op in double_strings.graph.get_operations()] == ["Placeholder", "AddV2", "Identity"]

    @tf.function
    def power(a, b):
        return a**b

    square = power.get_concrete_function(a=tf.TensorSpec(None, tf.float32), b=2)
    assert float(square(tf.constant(10.0))) == 100.0
    with pytest.raises(TypeError, match="were fixed"):
        square(tf.constant(10.0), b=3)
    assert square is power.get_concrete_function(a=tf.TensorSpec(None, tf.float32), b=2)
    assert [op.name for op in square.graph.get_operations()] == ["a", "pow/y", "pow", "Identity"]


def test_dtypes_namespace_and_an_index_past_the_end():
    x = tf.random.uniform(shape=[3, 3], minval=-1, maxval=2, dtype=tf.dtypes.int32)
    assert x.dtype == tf.int32 and tf.dtypes.cast(x, tf.dtypes.float32).dtype == tf.float32
    assert tf.as_dtype("float64") == tf.double
    # TensorFlow's graph guide catches InvalidArgumentError from an eager gather past the end.
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
        tf.gather(tf.constant([0.0]), [1])
    with pytest.raises(IndexError):
        tf.gather(tf.constant([0.0]), [1])
