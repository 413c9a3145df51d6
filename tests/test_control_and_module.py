"""tf.custom_gradient, tf.while_loop / cond / case, tf.function with input_signature, tf.Module,
tf.name_scope and tf.saved_model, as the TensorFlow guides use them."""

import json

import numpy as np
import pytest

import learnet as tf


# --- custom_gradient ------------------------------------------------------------------------------
def test_custom_gradient_replaces_the_computed_one():
    @tf.custom_gradient
    def log1pexp(x):
        e = tf.exp(x)
        return tf.math.log(1 + e), lambda upstream: upstream * (1 - 1 / (1 + e))

    x = tf.constant([0.0, 30.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(log1pexp(x))
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [0.5, 1.0])  # stable where the plain one is NaN


def test_custom_gradient_with_several_inputs_and_clipping():
    @tf.custom_gradient
    def scaled_product(a, b):
        return a * b, lambda g: (tf.clip_by_value(g * b, -1.0, 1.0), g * a * 0)

    a, b = tf.Variable(2.0), tf.Variable(5.0)
    with tf.GradientTape() as tape:
        out = scaled_product(a, b) * 3.0
    grad_a, grad_b = tape.gradient(out, [a, b])
    assert float(grad_a) == 1.0 and float(grad_b) == 0.0


def test_custom_gradient_gets_the_variables_it_reads():
    w = tf.Variable(3.0)

    @tf.custom_gradient
    def times_w(x):
        def grad(upstream, variables):
            return upstream * w, [upstream * x * 10]

        return x * w, grad

    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = times_w(x)
    gx, gw = tape.gradient(y, [x, w])
    assert float(gx) == 3.0 and float(gw) == 20.0


def test_custom_gradient_errors_are_clear():
    @tf.custom_gradient
    def wrong(x):
        return x * 2, lambda g: (g, g)

    x = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        y = wrong(x)
    with pytest.raises(ValueError, match="2 input gradient"):
        tape.gradient(y, x)

    @tf.custom_gradient
    def no_grad_fn(x):
        return x

    with pytest.raises(TypeError, match="grad_fn"):
        no_grad_fn(tf.constant(1.0))


# --- control flow ------------------------------------------------------------------------------
def test_while_loop_returns_the_structure_it_was_given_and_is_differentiable():
    i, total = tf.while_loop(lambda i, t: i < 5, lambda i, t: (i + 1, t + i), (tf.constant(0), tf.constant(0)))
    assert int(i) == 5 and int(total) == 10
    assert isinstance(tf.while_loop(lambda i: i < 3, lambda i: [i + 1], [0]), list)
    assert int(tf.while_loop(lambda x: x < 100, lambda x: x * 2, tf.constant(1))) == 128
    assert tf.while_loop(lambda i: True, lambda i: i + 1, 0, maximum_iterations=4) == 4
    x = tf.Variable(1.5)
    with tf.GradientTape() as tape:
        _, y = tf.while_loop(lambda n, y: n < 3, lambda n, y: (n + 1, y * x), (0, tf.constant(1.0)))
    assert float(tape.gradient(y, x)) == pytest.approx(3 * 1.5**2)
    with pytest.raises(ValueError, match="loop variables"):
        tf.while_loop(lambda a, b: a < 1, lambda a, b: [a + 1], (0, 0))
    with pytest.raises(TypeError, match="list or tuple"):
        tf.while_loop(lambda n: n < 3, lambda n: n + 1, [0])  # TF: the body returns a list too


def test_cond_case_switch_case():
    x = tf.constant(3.0)
    assert float(tf.cond(x > 2, lambda: x * 2, lambda: x)) == 6.0
    assert (
        float(
            tf.case(
                [(x < 0, lambda: tf.constant(-1.0)), (x > 0, lambda: tf.constant(1.0))],
                default=lambda: tf.constant(0.0),
            )
        )
        == 1.0
    )
    assert tf.switch_case(1, [lambda: "a", lambda: "b"]) == "b"
    assert tf.switch_case(7, [lambda: "a", lambda: "b"], default=lambda: "d") == "d"
    with pytest.raises(TypeError, match="callables"):
        tf.cond(True, 1, 2)
    with pytest.raises(ValueError, match="no default"):
        tf.case([(x < 0, lambda: 1)])


# --- tf.function, TensorSpec -------------------------------------------------------------------------
def test_function_with_input_signature_checks_its_inputs():
    @tf.function(input_signature=[tf.TensorSpec(shape=[None, 2], dtype=tf.float32)])
    def total(x):
        return tf.reduce_sum(x, axis=1)

    assert total(tf.ones((3, 2))).numpy().tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(ValueError, match="input_signature"):
        total(tf.ones((3, 4)))
    with pytest.raises(ValueError, match="input_signature"):
        total(tf.ones((3, 2), dtype=tf.float64))
    with pytest.raises(TypeError, match="1 input"):
        total(tf.ones((3, 2)), tf.ones((3, 2)))
    # Hands-On catches a TypeError here (TensorFlow's newer error), older code a ValueError: both work.
    with pytest.raises(TypeError, match="input_signature"):
        total(tf.random.uniform(shape=[2, 2, 2]))


def test_get_concrete_function_and_methods():
    @tf.function
    def square(x):
        return x * x

    concrete = square.get_concrete_function(tf.TensorSpec([3], tf.float32))
    assert concrete(tf.constant([1.0, 2.0, 3.0])).numpy().tolist() == [1.0, 4.0, 9.0]
    with pytest.raises(ValueError, match="input_signature"):
        concrete(tf.constant([1.0, 2.0]))
    assert concrete.structured_input_signature[0][0] == tf.TensorSpec([3], tf.float32)

    class Scaler(tf.Module):
        def __init__(self):
            super().__init__()
            self.factor = tf.Variable(2.0)

        @tf.function
        def __call__(self, x):
            return x * self.factor

    assert float(Scaler()(tf.constant(4.0))) == 8.0
    assert tf.autograph.experimental.do_not_convert(square) is square
    assert "return x * x" in tf.autograph.to_code(square.python_function)


def test_tensor_spec():
    spec = tf.TensorSpec([None, 28, 28], tf.float32, name="images")
    assert spec.is_compatible_with(tf.zeros((5, 28, 28)))
    assert not spec.is_compatible_with(tf.zeros((5, 28)))
    assert tf.TensorSpec.from_tensor(tf.constant([1, 2])).dtype == np.int32
    assert "shape=(None, 28, 28)" in repr(spec) or "None, 28, 28" in repr(spec)


# --- tf.Module, name_scope ---------------------------------------------------------------------------
class Dense(tf.Module):
    def __init__(self, in_features, out_features, name=None):
        super().__init__(name=name)
        self.w = tf.Variable(tf.ones([in_features, out_features]), name="w")
        self.b = tf.Variable(tf.zeros([out_features]), name="b")

    def __call__(self, x):
        return tf.nn.relu(tf.matmul(x, self.w) + self.b)


class TwoLayers(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.dense_1 = Dense(3, 4)
        self.dense_2 = Dense(4, 2)
        self.extra = {"scale": tf.Variable(1.0, trainable=False)}
        self.layers = [tf.keras.layers.Dense(2)]

    def __call__(self, x):
        return self.dense_2(self.dense_1(x)) * self.extra["scale"]


def test_module_collects_variables_and_submodules():
    model = TwoLayers(name="two_layers")
    model.layers[0].build((None, 3))
    assert model.name == "two_layers" and Dense(1, 1).name == "dense"
    assert len(model.variables) == 7 and len(model.trainable_variables) == 6
    assert len(model.non_trainable_variables) == 1
    assert model.submodules[:2] == (model.dense_1, model.dense_2) and len(model.submodules) == 3
    assert model(tf.ones((1, 3))).shape == (1, 2)


def test_module_trains_with_a_tape():
    model = Dense(2, 1)
    x, y = tf.constant([[1.0, 2.0], [3.0, 4.0]]), tf.constant([[5.0], [11.0]])
    for _ in range(200):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x) - y))
        for v, g in zip(model.trainable_variables, tape.gradient(loss, model.trainable_variables)):
            v.assign_sub(0.02 * g)
    assert float(loss) < 0.05


def test_module_name_scope_and_bad_names():
    model = Dense(1, 1, name="outer")
    with model.name_scope as scope:
        assert scope == "outer/" and tf.name_scope.current() == "outer/"
    assert tf.name_scope.current() == ""
    with pytest.raises(ValueError, match="not a valid module name"):
        Dense(1, 1, name="has space")


# --- saved_model ----------------------------------------------------------------------------------
def test_saved_model_round_trip(tmp_path):
    model = tf.keras.Sequential(
        [tf.keras.Input((3,)), tf.keras.layers.Dense(4, activation="relu"), tf.keras.layers.Dense(1)]
    )
    x = np.random.default_rng(0).random((5, 3)).astype("float32")
    tf.saved_model.save(model, tmp_path / "export")
    assert tf.saved_model.contains_saved_model(tmp_path / "export")
    assert "not a TensorFlow SavedModel" in json.loads((tmp_path / "export" / "saved_model.json").read_text())["note"]
    restored = tf.saved_model.load(tmp_path / "export")
    np.testing.assert_allclose(restored(x).numpy(), model(x).numpy(), rtol=1e-6)
    np.testing.assert_allclose(restored.signatures["serving_default"](x)["output_0"].numpy(), model(x).numpy())


def test_saved_model_errors(tmp_path):
    with pytest.raises(ValueError, match="expects a tf.Module"):
        tf.saved_model.save([tf.Variable(1.0)], tmp_path / "list")
    assert not (tmp_path / "list").exists()
    with pytest.raises(OSError, match="not a directory written by learnet"):
        tf.saved_model.load(tmp_path)


def test_a_module_without_functions_saves_its_variables(tmp_path):
    tf.saved_model.save(Dense(2, 3), tmp_path / "module")
    restored = tf.saved_model.load(tmp_path / "module")
    assert restored.w.shape == (2, 3) and float(tf.reduce_sum(restored.w)) == 6.0


def test_function_returns_tensors_as_a_traced_function_does():
    @tf.function
    def simple_relu(x):
        return x if tf.greater(x, 0) else 0

    assert simple_relu(tf.constant(-3)).numpy() == 0 and simple_relu(tf.constant(2)).numpy() == 2
    pair = tf.function(lambda: (1.5, [2]))()
    assert isinstance(pair, tuple) and float(pair[0]) == 1.5 and pair[1][0].numpy() == 2


def test_tensors_report_their_device():
    assert tf.constant(1.0).device.endswith("device:CPU:0") and tf.Variable(1.0).device.startswith("/job:localhost")


def test_a_module_whose_init_skips_super_init_still_has_a_name():
    # The tf.function guide's SimpleModel sets attributes without super().__init__().
    import learnet as tf

    class SimpleModel(tf.Module):
        def __init__(self):
            self.bias = 0.0
            self.weight = tf.Variable(2.0)

    m = SimpleModel()
    assert m.name == "simple_model"
    assert repr(m) == "<SimpleModel name='simple_model'>"
    assert [float(v) for v in m.variables] == [2.0]
    with m.name_scope:
        pass


def test_input_signature_binds_keywords_and_defaults_as_tensorflow():
    # The DeepDream tutorial's TiledGradients.__call__(self, img, img_size, tile_size=512) has a
    # 3-entry signature and is called with 2 arguments: the default fills the third (TF 2.21).
    import learnet as tf

    class Tiled(tf.Module):
        @tf.function(input_signature=(tf.TensorSpec([None], tf.float32), tf.TensorSpec([], tf.int32)))
        def __call__(self, x, n=3):
            return x * tf.cast(n, tf.float32)

    tiled = Tiled()
    assert tiled(tf.constant([1.0, 2.0])).numpy().tolist() == [3.0, 6.0]
    assert tiled(tf.constant([1.0]), n=tf.constant(2)).numpy().tolist() == [2.0]
    with pytest.raises(TypeError, match="input_signature"):
        tiled()
    with pytest.raises(TypeError):
        tiled(tf.constant([1.0]), tf.constant(2.5))  # n must be an int32 scalar


def test_input_signature_hands_the_body_tensors_for_python_values():
    # TensorFlow traces with tensors: the transformer tutorial's translator("una frase") gets a
    # string tensor, and calls s[tf.newaxis] on it.
    import learnet as tf

    class Upper(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec(shape=[], dtype=tf.string)])
        def __call__(self, s):
            assert isinstance(s, tf.Tensor)
            return tf.strings.upper(s[tf.newaxis])

    assert Upper()("abc").numpy().tolist() == [b"ABC"]

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def double(x):
        return x * 2.0

    assert double([1, 2]).dtype == tf.float32  # a list of ints, as the spec's float32
