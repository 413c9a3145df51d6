"""GradientTape: recording, gradients, persistence, nesting, and the textbook examples."""

import gc
import weakref

import numpy as np
import pytest

import learnet as tf


def test_textbook_partial_derivatives_by_hand():
    # L = (w1*x1 + w2*x2 + b - y)^2 with x = (1, 2), y = 10, w1 = 2, w2 = 3, b = 1:
    # prediction 9, error -1, dL/dw1 = 2*(-1)*1 = -2, dL/dw2 = 2*(-1)*2 = -4, dL/db = -2.
    w1, w2, b = tf.Variable(2.0), tf.Variable(3.0), tf.Variable(1.0)
    with tf.GradientTape() as tape:
        loss = (w1 * 1.0 + w2 * 2.0 + b - 10.0) ** 2
    grads = tape.gradient(loss, [w1, w2, b])
    assert [float(g) for g in grads] == [-2.0, -4.0, -2.0]
    # One step of w - lr * grad with lr = 0.1 moves them exactly as on paper.
    for variable, grad in zip([w1, w2, b], grads):
        variable.assign_sub(0.1 * grad)
    assert [float(v) for v in (w1, w2, b)] == pytest.approx([2.2, 3.4, 1.2])


def test_constants_are_not_watched_unless_asked():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        y = x * x
    assert tape.gradient(y, x) is None
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    assert float(tape.gradient(y, x)) == 6.0


def test_watch_accessed_variables_false():
    a, b = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(a)
        y = a * b
    grads = tape.gradient(y, [a, b])
    assert float(grads[0]) == 2.0 and grads[1] is None
    assert tape.watched_variables() == (a,)


def test_non_trainable_variables_are_not_watched():
    v = tf.Variable(2.0, trainable=False)
    with tf.GradientTape() as tape:
        y = v * v
    assert tape.gradient(y, v) is None


def test_sources_keep_their_structure():
    a, b = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        y = a * b
    assert isinstance(tape.gradient(y, (a, b)), tuple)
    grads = tape.gradient(y, {"a": a, "b": b})
    assert set(grads) == {"a", "b"} and float(grads["b"]) == 1.0
    assert isinstance(tape.gradient(y, [a, [b]])[1], list)


def test_non_scalar_target_is_summed_and_unconnected_sources():
    x = tf.Variable([1.0, 2.0, 3.0])
    unused = tf.Variable([5.0])
    with tf.GradientTape(persistent=True) as tape:
        y = x * x
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [2.0, 4.0, 6.0])
    assert tape.gradient(y, unused) is None
    np.testing.assert_array_equal(tape.gradient(y, unused, unconnected_gradients="zero").numpy(), [0.0])


def test_output_gradients_seed_the_backward_pass():
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = x * 3.0
    grad = tape.gradient(y, x, output_gradients=tf.constant([1.0, 10.0]))
    np.testing.assert_array_equal(grad.numpy(), [3.0, 30.0])


def test_second_call_on_non_persistent_tape_raises():
    x = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="persistent"):
        tape.gradient(y, x)


def test_persistent_tape_allows_several_calls():
    x = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        y = x * x
        z = y * x
    assert float(tape.gradient(y, x)) == 4.0
    assert float(tape.gradient(z, x)) == 12.0


def test_stop_recording_and_stop_gradient():
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x * x
        with tape.stop_recording():
            z = y * 100.0
        total = y + tf.stop_gradient(z)
    assert float(tape.gradient(total, x)) == 6.0


def test_accumulation_when_a_tensor_is_used_several_times():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x * x + x * 3.0 + tf.exp(x) * 0.0 + x
    assert float(tape.gradient(y, x)) == pytest.approx(2 * 2.0 + 3.0 + 1.0)


def test_broadcast_input_gets_gradient_summed_back_to_its_shape():
    x = tf.Variable(np.ones((4, 3), np.float32))
    b = tf.Variable(np.zeros((3,), np.float32))
    s = tf.Variable(np.ones((4, 1), np.float32))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum((x + b) * s)
    gb, gs = tape.gradient(y, [b, s])
    assert gb.shape == (3,) and gs.shape == (4, 1)
    np.testing.assert_array_equal(gb.numpy(), [4.0, 4.0, 4.0])
    np.testing.assert_array_equal(gs.numpy(), [[3.0]] * 4)


def test_second_derivative_of_cube():
    x = tf.constant(3.0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = x**3
        dy_dx = inner.gradient(y, x)
    assert float(dy_dx) == 27.0
    assert float(outer.gradient(dy_dx, x)) == 18.0


@pytest.mark.parametrize(
    "function, second",
    [
        (lambda x: tf.sin(x) * x, lambda x: 2 * np.cos(x) - x * np.sin(x)),
        (lambda x: tf.exp(2.0 * x), lambda x: 4 * np.exp(2 * x)),
        (lambda x: tf.tanh(x), lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
        (lambda x: tf.nn.sigmoid(x), lambda x: (s := 1 / (1 + np.exp(-x))) * (1 - s) * (1 - 2 * s)),
        (lambda x: tf.log(x) * x, lambda x: 1 / x),
        (lambda x: tf.sqrt(x), lambda x: -0.25 * x**-1.5),
        (lambda x: tf.reduce_sum(tf.square(tf.stack([x, 2.0 * x]))), lambda x: 10.0 + 0 * x),
        (lambda x: tf.nn.softplus(x), lambda x: (s := 1 / (1 + np.exp(-x))) * (1 - s)),
    ],
)
def test_second_derivatives_of_elementwise_ops(function, second):
    for value in (0.3, 1.7):
        x = tf.constant(value, dtype="float64")
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                y = function(x)
            first = inner.gradient(y, x)
        assert float(outer.gradient(first, x)) == pytest.approx(second(value), rel=1e-6)


def test_hessian_of_a_quadratic_form_through_matmul_and_reductions():
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    x = tf.constant([[1.0], [2.0]], dtype="float64")
    A = tf.constant(a, dtype="float64")
    with tf.GradientTape(persistent=True) as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(tf.matmul(tf.transpose(x), tf.matmul(A, x)))
        g = inner.gradient(y, x)  # (A + A^T) x
        g0, g1 = g[0, 0], g[1, 0]
    row0 = outer.gradient(g0, x).numpy().ravel()
    row1 = outer.gradient(g1, x).numpy().ravel()
    np.testing.assert_allclose(np.stack([row0, row1]), a + a.T)


def test_gradient_wrt_integer_tensor_says_why():
    # As TensorFlow: a warning that says why, and None for that source.
    x = tf.constant([1, 2])
    with tf.GradientTape() as tape:
        with pytest.warns(UserWarning, match="float and complex tensors"):
            tape.watch(x)
        y = tf.cast(x, "float32") * 2.0
    with pytest.warns(UserWarning, match="float and complex tensors"):
        assert tape.gradient(y, x) is None


def test_shape_mismatch_errors_name_op_and_shapes():
    with pytest.raises(ValueError, match=r"matmul.*\(2, 3\).*\(2, 3\)"):
        tf.matmul(tf.ones((2, 3)), tf.ones((2, 3)))
    with pytest.raises(ValueError, match=r"add.*\(2, 3\).*\(4,\)"):
        tf.ones((2, 3)) + tf.ones((4,))


def test_no_graph_outside_a_tape():
    x = tf.constant(np.ones(1000, np.float32))
    y = x * 2.0
    alive = weakref.ref(x)
    del x
    gc.collect()
    # Nothing but our own name held x: no recorded graph kept it alive.
    assert alive() is None
    assert y.shape == (1000,)


def test_non_persistent_tape_releases_its_graph():
    x = tf.Variable(np.ones(10, np.float32))
    with tf.GradientTape() as tape:
        hidden = x * 3.0
        y = tf.reduce_sum(hidden * hidden)
    alive = weakref.ref(hidden)
    del hidden
    tape.gradient(y, x)
    gc.collect()
    assert alive() is None


def test_jacobian_free_custom_loop_one_step():
    # A custom training loop written as the courses teach: fit y = 3x + 2.
    x = np.linspace(-1, 1, 50).astype(np.float32)
    y = 3 * x + 2
    w, b = tf.Variable(0.0), tf.Variable(0.0)
    for _ in range(300):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((w * x + b - y) ** 2)
        dw, db = tape.gradient(loss, [w, b])
        w.assign_sub(0.1 * dw)
        b.assign_sub(0.1 * db)
    assert float(w) == pytest.approx(3.0, abs=1e-3) and float(b) == pytest.approx(2.0, abs=1e-3)


# --- the public switch of recording -----------------------------------------------------------
def test_is_recording_follows_the_tapes():
    from learnet.tape import is_recording

    assert not is_recording()
    with tf.GradientTape() as tape:
        assert is_recording()
        with tape.stop_recording():
            assert not is_recording()
        assert is_recording()
    assert not is_recording()


def test_no_recording_pauses_every_tape_and_resumes_them():
    from learnet.tape import is_recording, no_recording

    x = tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as outer:
        with tf.GradientTape(persistent=True) as inner:
            with no_recording():
                assert not is_recording()
                hidden = x * x  # recorded by neither tape
            seen = x * x
    assert inner.gradient(hidden, x) is None
    assert outer.gradient(hidden, x) is None
    assert float(inner.gradient(seen, x)) == 6.0
    assert float(outer.gradient(seen, x)) == 6.0


def test_no_recording_resumes_after_an_error():
    from learnet.tape import is_recording, no_recording

    with tf.GradientTape():
        with pytest.raises(ZeroDivisionError):
            with no_recording():
                1 / 0
        assert is_recording()


def test_gradient_returns_the_structure_of_its_sources():
    a, b = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        y = a * b
    as_list = tape.gradient(y, [a, b])
    as_tuple = tape.gradient(y, (a, b))
    nested = tape.gradient(y, {"w": [a], "v": (b,)})
    assert type(as_list) is list and [float(g) for g in as_list] == [2.0, 1.0]
    assert type(as_tuple) is tuple and [float(g) for g in as_tuple] == [2.0, 1.0]
    assert float(nested["w"][0]) == 2.0 and type(nested["v"]) is tuple and float(nested["v"][0]) == 1.0
    assert tape.gradient(y, []) == []


def test_backward_runs_only_for_ops_a_source_leads_to():
    # Two tapes over one pass, as in a GAN's step: the discriminator's gradients need none of
    # the generator's backward, and TensorFlow does not run it; nor does learnet.
    calls = []

    @tf.custom_gradient
    def generator_op(z):
        def grad(upstream):
            calls.append("generator")
            return upstream * 3.0

        return z * 3.0, grad

    g_weight, d_weight = tf.Variable(2.0), tf.Variable(0.5)
    with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
        fake = generator_op(g_weight * tf.constant(1.5))
        score = d_weight * fake * fake
    (d_grad,) = d_tape.gradient(score, [d_weight])
    assert calls == [] and float(d_grad) == pytest.approx(81.0)
    (g_grad,) = g_tape.gradient(score, [g_weight])
    assert calls == ["generator"] and float(g_grad) == pytest.approx(0.5 * 2 * 9.0 * 3.0 * 1.5)


def test_a_list_of_tensors_given_to_an_op_is_packed_and_its_gradient_reaches_each():
    # TensorFlow packs it (tf.stack): tf.reduce_sum([loss_a, loss_b]) trains both, as the
    # DeepDream tutorial's calc_loss relies on; so do tf.convert_to_tensor and keras.ops.
    import learnet as tf
    from learnet import keras_ops
    from learnet.testing import check_gradients

    check_gradients(lambda x: tf.reduce_sum([tf.reduce_mean(x * 2.0), tf.reduce_mean(x * x)]), [[1.0, 2.0, 3.0]])
    check_gradients(
        lambda x, y: tf.reduce_max(tf.convert_to_tensor([[x[0], y[1]], [y[0] * 3.0, x[1]]])), [[1.0, 2.0], [0.5, 0.25]]
    )
    check_gradients(lambda x: keras_ops.mean([x[0] * x[1], x[1]]), [[1.5, -2.0]])
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        total = tf.reduce_sum([x[0], 1.0, x[1] * 4.0])  # plain numbers beside tensors
    np.testing.assert_allclose(tape.gradient(total, x).numpy(), [1.0, 4.0])
    assert tf.reduce_sum([tf.constant(1.0), 2.0]).numpy() == 3.0  # no tape: a plain conversion


def test_concat_of_one_tensor_or_array_is_a_list_of_one():
    # TensorFlow: tf.concat(model.predict(ds), axis=0) is the array itself (the video
    # classification tutorial); a list is joined as before.
    import learnet as tf

    p = np.arange(6, dtype="float32").reshape(3, 2)
    assert tf.concat(p, axis=0).shape == (3, 2)
    assert tf.concat(tf.constant(p), axis=1).shape == (3, 2)
    assert tf.concat([p, p], axis=0).shape == (6, 2)
    with pytest.raises(TypeError, match="list of tensors"):
        tf.stack(tf.constant(p))
