"""plot_tape and animate_backprop: the tests read the drawn data (graph, labels, frames), not pixels.

The figures of the course network and of one MNIST MLP step are written to
test-artifacts/tape_plot/ to be looked at.
"""

import math
import pathlib

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the Agg backend is chosen)
from matplotlib.colors import to_rgba  # noqa: E402

import learnet as tf  # noqa: E402
from learnet import layers, plot  # noqa: E402
from learnet.examples import course_network  # noqa: E402
from learnet.tape import primitive, recording_scope  # noqa: E402
from learnet.plot.tape import format_value  # noqa: E402
from learnet.testing import check_gradients  # noqa: E402

ARTIFACTS = pathlib.Path(__file__).resolve().parents[1] / "test-artifacts" / "tape_plot"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def drawn_labels(fig):
    """gid -> text of every node label drawn on the figure."""
    return {t.get_gid(): t.get_text() for ax in fig.axes for t in ax.texts if (t.get_gid() or "").startswith("node:")}


def small_graph():
    x = tf.constant([[1.0, -2.0], [0.5, 3.0]], dtype="float64")
    w = tf.Variable([[0.2, -0.1], [0.4, 0.3]], name="w", dtype="float64")
    b = tf.Variable([0.1, -0.2], name="b", dtype="float64")
    with tf.GradientTape(persistent=True) as tape:
        h = tf.tanh(tf.matmul(x, w) + b)
        loss = tf.reduce_mean(tf.square(h))
    return tape, loss, [w, b], h


# --- the tape's read-only view ------------------------------------------------------------
def test_recorded_ops_lists_each_op_with_its_inputs_output_and_scope():
    x = tf.Variable(2.0, name="x")
    with tf.GradientTape() as tape:
        y = x * x
        with recording_scope("block"):
            z = tf.sin(y)
    ops = tape.recorded_ops()
    assert [op.name for op in ops] == ["multiply", "sin"]
    assert ops[0].inputs == (x, x) and ops[0].output is y and ops[1].output is z
    assert [op.scope for op in ops] == [None, "block"]
    assert float(ops[1].forward(np.array(0.5))) == pytest.approx(math.sin(0.5))
    tape.gradient(z, x)
    with pytest.raises(RuntimeError, match="persistent=True"):
        tape.recorded_ops()


def test_recording_scope_rejects_a_bad_name_and_leaves_no_scope_behind():
    with pytest.raises(TypeError, match="non-empty name"), recording_scope(""):
        pass
    x = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        x * 2.0
    assert tape.recorded_ops()[0].scope is None


# --- the graph drawn ----------------------------------------------------------------------
def test_every_recorded_op_is_one_node_and_edges_follow_the_recording():
    tape, loss, sources, _ = small_graph()
    fig = plot.plot_tape(tape, loss, sources)
    graph = fig.tape_graph
    ops = tape.recorded_ops()
    assert [node.index for node in graph.ops] == list(range(len(ops)))
    assert [node.title for node in graph.ops] == ["matmul", "add", "tanh", "square", "reduce_mean"]
    for op, node in zip(ops, graph.ops):
        into = sorted(graph.edges_into(node.key), key=lambda e: e.position)
        assert [graph.nodes[e.source].tensor for e in into] == list(op.inputs)
        assert graph.node_of(op.output) is node
    kinds = {graph.node_of(t).kind for t in sources}
    assert kinds == {"variable"}
    assert graph.node_of(ops[0].inputs[0]).kind == "constant"
    # Each drawn label is the node's text: values and gradients as the tape computed them.
    labels = drawn_labels(fig)
    assert set(labels) == {f"node:{key}" for key in graph.nodes}
    for key, node in graph.nodes.items():
        assert labels[f"node:{key}"] == node.text


def test_node_gradients_equal_what_tape_gradient_computes():
    tape, loss, sources, h = small_graph()
    graph = plot.trace_tape(tape, loss, sources)
    expected = tape.gradient(loss, sources + [h])
    for tensor, grad in zip(sources + [h], expected):
        np.testing.assert_array_equal(graph.node_of(tensor).grad, grad.numpy())
    for source, grad in zip(sources, graph.gradients):
        np.testing.assert_array_equal(grad, tape.gradient(loss, source).numpy())
    # The tape is left usable, and labels carry the numbers.
    node = graph.node_of(sources[1])
    assert format_value(node.grad) in node.text and format_value(node.value) in node.text


def test_scalar_labels_carry_values_and_gradients():
    w = tf.Variable(3.0, name="w")
    with tf.GradientTape(persistent=True) as tape:
        y = w * w + w
    fig = plot.plot_tape(tape, y, [w])
    node = fig.tape_graph.node_of(w)
    assert node.text.splitlines() == ["w", "value 3", "grad 7"]
    assert drawn_labels(fig)[f"node:{node.key}"].endswith("grad 7")


def test_each_edge_product_is_the_upstream_gradient_times_the_local_derivative():
    net = course_network()
    graph = plot.trace_tape(net.tape, net.loss, net.sources, names=net.tensors)
    checked = 0
    for edge in graph.edges:
        if edge.product is None:
            continue
        assert edge.local is not None  # the course network is small enough to show them all
        out_size = np.size(edge.upstream)
        jacobian = edge.local.reshape(out_size, -1)
        expected = (np.reshape(edge.upstream, -1) @ jacobian).reshape(np.shape(edge.product))
        np.testing.assert_allclose(edge.product, expected, rtol=1e-12, atol=1e-15)
        checked += 1
    assert checked >= 15
    sigmoid_edge = next(e for e in graph.edges if e.target == graph.node_of(net.tensors["a"]).key)
    assert sigmoid_edge.text == "-1.076 × 0.25 = -0.2689"


def test_the_course_network_matches_the_hand_computation():
    net = course_network()
    graph = plot.trace_tape(net.tape, net.loss, net.sources, names=net.tensors)
    # Forward, by hand.
    z = 1.0 * 0.4 + 0.5 * 0.2 - 0.5
    a = 1 / (1 + math.exp(-z))
    z1, z2 = a * 2.0 + 0.0, a * -2.0 + 1.0
    p1, p2 = math.exp(z1) / (math.exp(z1) + math.exp(z2)), math.exp(z2) / (math.exp(z1) + math.exp(z2))
    cost = -math.log(p1)
    # Backward, by hand: the output layer first (p - y), then the layer before it.
    d_z1, d_z2 = p1 - 1.0, p2 - 0.0
    d_a = 2.0 * d_z1 + -2.0 * d_z2
    d_z = a * (1 - a) * d_a
    by_hand = {
        "z": (z, d_z),
        "a": (a, d_a),
        "z'": (z1, d_z1),
        "z''": (z2, d_z2),
        "C": (cost, 1.0),
    }
    for name, (value, grad) in by_hand.items():
        node = graph.node_of(net.tensors[name])
        assert float(node.value) == pytest.approx(value, abs=1e-12), name
        assert float(node.grad) == pytest.approx(grad, abs=1e-12), name
        assert node.text.splitlines()[0].startswith(f"{name} = ")
    np.testing.assert_allclose(graph.node_of(net.tensors["p"]).value, [p1, p2], atol=1e-12)
    weights = {"w1": 1.0 * d_z, "w2": 0.5 * d_z, "b": d_z, "w3": a * d_z1, "b3": d_z1, "w4": a * d_z2, "b4": d_z2}
    for name, grad in weights.items():
        assert float(graph.node_of(net.weights[name]).grad) == pytest.approx(grad, abs=1e-12), name
    # The deck's rounded numbers, as the picture writes them.
    assert "grad -0.2689" in graph.node_of(net.weights["w1"]).text
    assert "value 0.3133" in graph.node_of(net.loss).text
    assert round(d_a, 4) == -1.0758 and round(cost, 4) == 0.3133


def test_course_network_rejects_unknown_numbers():
    with pytest.raises(TypeError, match="unknown numbers"):
        course_network(w5=1.0)
    with pytest.raises(ValueError, match="pair"):
        course_network(y=(1.0, 0.0, 0.0))


def test_the_course_network_figure_is_saved(tmp_path):
    net = course_network()
    path = ARTIFACTS / "course_network.png"
    fig = plot.plot_tape(
        net.tape,
        net.loss,
        net.sources,
        names=net.tensors,
        title="the course network: forward values and gradients",
        save_path=path,
    )
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(fig.tape_graph.ops) == len(net.tape.recorded_ops())


# --- the animation -------------------------------------------------------------------------
def test_animation_frames_run_forward_in_recording_order_then_backward_in_reverse():
    net = course_network()
    movie = plot.animate_backprop(net.tape, net.loss, net.sources, names=net.tensors)
    graph = movie.graph
    forward = [f for f in movie.frames if f.phase == "forward"]
    backward = [f for f in movie.frames if f.phase == "backward"]
    assert [f.node for f in forward[1:]] == [node.key for node in graph.ops]
    shown = [len(f.values) for f in forward]
    assert shown == sorted(shown) and len(set(shown)) == len(shown)  # one value appears per frame
    assert backward[0].node == graph.target and backward[0].grads[graph.target] == 1
    visited = [graph.nodes[f.node].index for f in backward[1:]]
    assert visited == sorted(visited, reverse=True) and len(visited) == len(graph.ops)
    for frame in backward[1:]:
        assert frame.products, frame
        for edge in frame.products:
            assert edge.target == frame.node
            np.testing.assert_allclose(
                edge.product,
                (np.reshape(edge.upstream, -1) @ edge.local.reshape(np.size(edge.upstream), -1)).reshape(
                    np.shape(edge.product)
                ),
                atol=1e-15,
            )
    last = backward[-1]
    for weight in net.sources:
        key = graph.node_of(weight).key
        np.testing.assert_array_equal(last.grads[key], graph.nodes[key].grad)
    # Each backward frame writes its chain-rule products on the drawn edges.
    movie.animation._func(len(movie.frames) - 1)
    edge_texts = {
        t.get_gid(): t.get_text() for t in movie.figure.axes[0].texts if (t.get_gid() or "").startswith("edge-text:")
    }
    written = [text for text in edge_texts.values() if text]
    assert written and all("=" in text for text in written)


def test_animation_saves_a_gif_and_rejects_other_formats(tmp_path):
    w = tf.Variable(1.5, name="w")
    with tf.GradientTape(persistent=True) as tape:
        y = tf.sigmoid(w * 2.0)
    movie = plot.animate_backprop(tape, y, [w], save_path=tmp_path / "steps.gif", interval=500)
    assert (tmp_path / "steps.gif").read_bytes()[:6] in (b"GIF89a", b"GIF87a")
    assert len(movie.frames) == 1 + 2 + 1 + 2
    assert "<img" in movie._repr_html_()  # what a notebook shows: the frames, with play buttons
    with pytest.raises(ValueError, match=".gif or .mp4"):
        movie.save(tmp_path / "steps.avi")
    assert not (tmp_path / "steps.avi").exists()


# --- per-node gradient checks, coloured ---------------------------------------------------
@primitive
def wrong_cube(x):
    return x**3, lambda g, x, y: g * 2 * x * x  # should be 3 x^2


def test_check_gradients_per_node_finds_the_wrong_op_and_plot_tape_colours_it():
    report = check_gradients(lambda x: tf.reduce_sum(tf.sin(wrong_cube(x * 2.0))), [[0.3, -0.7]], per_node=True)
    assert not report.ok and report.input_errors
    assert [node.name for node in report.wrong_nodes] == ["wrong_cube"]
    assert [node.ok for node in report.nodes] == [True, False, True, True]
    fig = plot.plot_tape(
        report.tape, report.target, report.sources, check=report, save_path=ARTIFACTS / "check_wrong_cube.png"
    )
    graph = fig.tape_graph
    assert graph.node_of(report.sources[0]).text.startswith("input\n")
    colours = {
        t.get_gid(): t.get_bbox_patch().get_edgecolor()
        for t in fig.axes[0].texts
        if (t.get_gid() or "").startswith("node:")
    }
    for node in graph.ops:
        expected = "tab:green" if node.ok else "tab:red"
        assert colours[f"node:{node.key}"] == to_rgba(expected)
        assert ("✗" in node.text) == (node.title == "wrong_cube")
    # The plain check still raises, naming the input.
    with pytest.raises(AssertionError, match="input 0"):
        check_gradients(lambda x: tf.reduce_sum(wrong_cube(x)), [[0.3, -0.7]])


def test_check_gradients_per_node_passes_a_correct_function():
    report = check_gradients(
        lambda a, b: tf.reduce_sum(tf.matmul(a, b) * a), [np.ones((2, 2)), [[0.5, 1.0], [2.0, -1.0]]], per_node=True
    )
    assert report.ok and report.error < 1e-6
    assert [n.ok for n in report.nodes] == [True, True, True]


# --- a model's training step ----------------------------------------------------------------
def small_model():
    model = tf.keras.Sequential(
        [
            layers.Input((6,)),
            layers.Dense(4, activation="relu", name="hidden"),
            layers.Dense(3, activation="softmax", name="out"),
        ]
    )
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    return model


def test_a_train_step_draws_layers_as_boxes_with_their_weight_gradients():
    model = small_model()
    x = np.random.rand(8, 6).astype("float32")
    y = np.eye(3, dtype="float32")[np.arange(8) % 3]
    before = [w.numpy().copy() for w in model.trainable_weights]
    tape, loss, weights = plot.trace_train_step(model, x, y)
    for w, old in zip(model.trainable_weights, before):
        np.testing.assert_array_equal(w.numpy(), old)  # no optimizer step
    fig = plot.plot_tape(tape, loss, weights)
    boxes = {key: node for key, node in fig.tape_nodes.items() if node.kind == "layer"}
    assert list(boxes) == ["layer:hidden", "layer:out", "layer:loss"]
    grads = tape.gradient(loss, weights)
    for weight, grad in zip(weights, grads):
        box = boxes[f"layer:{weight.path.split('/')[-2]}"]
        assert any(m.tensor is weight for m in box.members)
        norm = float(np.linalg.norm(grad.numpy().astype(np.float64)))
        assert f"grad {weight.name} {tuple(weight.shape)} |g| {norm:.3g}" in box.text
    assert not any(n.kind == "variable" for n in fig.tape_nodes.values())
    # Expanding one layer draws its ops (and Variables) one by one again.
    opened = plot.plot_tape(tape, loss, weights, expand=["out"])
    titles = [n.title for n in opened.tape_nodes.values() if n.kind == "op"]
    assert titles == ["dense", "softmax"]
    assert {"out/kernel", "out/bias"} <= {n.title for n in opened.tape_nodes.values()}
    with pytest.raises(ValueError, match="hidden, out, loss"):
        plot.plot_tape(tape, loss, weights, expand=["dense_9"])


def test_an_mnist_mlp_step_is_drawn(mnist_dir):
    from learnet.datasets import mnist

    tf.keras.backend.clear_session()  # layer names count from dense, dense_1 again
    (x_train, y_train), _ = mnist.load_data(path=mnist_dir)
    x = x_train[:64].reshape(64, 784).astype("float32") / 255
    y = np.eye(10, dtype="float32")[y_train[:64]]
    model = tf.keras.Sequential(
        [layers.Input((784,)), layers.Dense(64, activation="relu"), layers.Dense(10, activation="softmax")]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    tape, loss, weights = plot.trace_train_step(model, x, y)
    path = ARTIFACTS / "mnist_mlp_step.png"
    fig = plot.plot_tape(tape, loss, weights, title="one MNIST MLP training step", save_path=path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [n.title for n in fig.tape_nodes.values() if n.kind == "layer"] == ["dense", "dense_1", "loss"]
    for weight, grad in zip(weights, tape.gradient(loss, weights)):
        np.testing.assert_array_equal(fig.tape_graph.node_of(weight).grad, grad.numpy())


# --- bad input: a clear error --------------------------------------------------------------
def test_bad_input_gets_a_clear_error():
    tape, loss, sources, _ = small_graph()
    with pytest.raises(TypeError, match="GradientTape"):
        plot.plot_tape("tape", loss, sources)
    with pytest.raises(ValueError, match="not recorded"):
        plot.plot_tape(tape, tf.constant(1.0), sources)
    with pytest.raises(TypeError, match="sources"):
        plot.plot_tape(tape, loss, "w")
    with pytest.raises(ValueError, match="not an input"):
        plot.plot_tape(tape, loss, [tf.Variable(1.0)])
    with pytest.raises(ValueError, match="collapse"):
        plot.plot_tape(tape, loss, sources, collapse="sometimes")
    with tf.GradientTape(persistent=True) as long_tape:
        total = sources[1]
        for _ in range(320):
            total = total * 1.001
    with pytest.raises(ValueError, match="320|nodes"):
        plot.plot_tape(long_tape, total, sources[1])
    assert plt.get_fignums() == []
    with tf.GradientTape() as empty:
        pass
    with pytest.raises(ValueError, match="recorded no ops"):
        plot.plot_tape(empty, loss, sources)
    with tf.GradientTape() as once:
        y = sources[0] * 2.0
    once.gradient(y, sources[0])
    with pytest.raises(RuntimeError, match="persistent=True"):
        plot.plot_tape(once, y, sources[0])
    with pytest.raises(TypeError, match="compiled Model"):
        plot.trace_train_step(object(), None, None)
    # Nothing was consumed: the persistent tape still answers.
    assert tape.gradient(loss, sources)[0] is not None


def test_the_course_network_matches_pytorch_autograd():
    # Made by tests/fixtures/make_course_network_reference.py with PyTorch's autograd.
    import json

    reference = json.loads((pathlib.Path(__file__).parent / "fixtures" / "course_network_torch.json").read_text())
    net = course_network()
    graph = plot.trace_tape(net.tape, net.loss, net.sources, names=net.tensors)
    assert float(graph.node_of(net.loss).value) == pytest.approx(reference["loss"], abs=1e-12)
    for name in reference["values"]:
        node = graph.node_of(net.tensors[name])
        np.testing.assert_allclose(node.value, reference["values"][name], atol=1e-12, err_msg=name)
        np.testing.assert_allclose(node.grad, reference["grads"][name], atol=1e-12, err_msg=name)
    for name, grad in reference["weight_grads"].items():
        assert float(graph.node_of(net.weights[name]).grad) == pytest.approx(grad, abs=1e-12), name


def test_an_mp4_needs_ffmpeg_and_says_so(tmp_path):
    from matplotlib import animation

    w = tf.Variable(0.5, name="w")
    with tf.GradientTape(persistent=True) as tape:
        y = w * w
    movie = plot.animate_backprop(tape, y, [w])
    if animation.writers.is_available("ffmpeg"):
        movie.save(tmp_path / "steps.mp4")
        assert (tmp_path / "steps.mp4").stat().st_size > 0
    else:
        with pytest.raises(RuntimeError, match="ffmpeg"):
            movie.save(tmp_path / "steps.mp4")
        assert not (tmp_path / "steps.mp4").exists()


def test_check_gradients_per_node_replays_fused_ops():
    from learnet.ops.nn import dense

    rng = np.random.default_rng(0)
    report = check_gradients(
        lambda x, w, b: tf.reduce_sum(dense(x, w, b, relu=True) ** 2),
        [rng.normal(size=(3, 4)), rng.normal(size=(4, 2)), rng.normal(size=2)],
        per_node=True,
    )
    assert report.ok and [n.name for n in report.nodes] == ["dense", "pow", "reduce_sum"]
    dense_check = report.nodes[0]
    assert len(dense_check.analytic) == 3 and all(a is not None for a in dense_check.analytic)
    np.testing.assert_allclose(dense_check.analytic[1], dense_check.numerical[1], atol=1e-6)


def test_a_custom_training_loop_groups_ops_by_their_variables_names():
    model = small_model()
    x = np.random.rand(8, 6).astype("float32")
    y = np.eye(3, dtype="float32")[np.arange(8) % 3]
    loss_fn = tf.keras.losses.CategoricalCrossentropy()
    with tf.GradientTape(persistent=True) as tape:
        loss = loss_fn(y, model(x, training=True))
    graph = plot.trace_tape(tape, loss)  # sources default to the watched Variables
    assert [s.name for s in tape.watched_variables()] == [w.name for w in model.trainable_weights]
    for weight, grad in zip(model.trainable_weights, graph.gradients):
        np.testing.assert_array_equal(grad, tape.gradient(loss, weight).numpy())
    dense_ops = [n for n in graph.ops if n.title == "dense"]
    assert [n.scope for n in dense_ops] == ["hidden", "out"]
    fig = plot.plot_tape(tape, loss, collapse=True)
    assert {"layer:hidden", "layer:out"} <= set(fig.tape_nodes)


def test_backward_captions_write_the_chain_rule_products():
    w = tf.Variable(3.0, name="w")
    with tf.GradientTape(persistent=True) as tape:
        y = tf.square(w)
    movie = plot.animate_backprop(tape, y)
    assert movie.frames[-1].caption.endswith("(1 × 6 = 6)")
