"""learnet.plot: each test renders with the Agg backend and checks what was drawn."""

import sys
import warnings

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

import learnet as tf  # noqa: E402
from learnet import plot  # noqa: E402

RED = to_rgba("tab:red")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def visible_axes(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def lines_by_gid(ax, gid):
    return [line for line in ax.get_lines() if line.get_gid() == gid]


def is_png(path):
    with open(path, "rb") as file:
        return file.read(8) == b"\x89PNG\r\n\x1a\n"


# --- plot_history ------------------------------------------------------------------------
HISTORY = {
    "loss": [0.9, 0.5, 0.35, 0.3],
    "accuracy": [0.7, 0.82, 0.88, 0.9],
    "val_loss": [1.0, 0.62, 0.5, 0.52],
    "val_accuracy": [0.65, 0.78, 0.83, 0.84],
}


def test_plot_history_draws_training_and_validation_per_metric():
    fig = plot.plot_history(HISTORY)
    axes = visible_axes(fig)
    assert [ax.get_title() for ax in axes] == ["loss", "accuracy"]
    for ax, name in zip(axes, ["loss", "accuracy"]):
        lines = lines_by_label(ax)
        assert set(lines) == {"training", "validation"}
        assert list(lines["training"].get_xdata()) == [1, 2, 3, 4]
        np.testing.assert_allclose(lines["training"].get_ydata(), HISTORY[name])
        np.testing.assert_allclose(lines["validation"].get_ydata(), HISTORY["val_" + name])
        assert ax.get_xlabel() == "epoch"
        assert ax.get_ylabel() == name


class FakeHistory:
    """What model.fit returns: a .history dict and the 0-based .epoch list."""

    def __init__(self, history, epoch):
        self.history = history
        self.epoch = epoch


def test_plot_history_takes_a_history_object_and_its_epoch_numbers():
    history = FakeHistory({"loss": [tf.constant(0.8), np.float32(0.4)]}, epoch=[5, 6])
    fig = plot.plot_history(history, title="continued training")
    (ax,) = visible_axes(fig)
    line = lines_by_label(ax)["training"]
    assert list(line.get_xdata()) == [6, 7]  # shown counting from 1
    np.testing.assert_allclose(line.get_ydata(), [0.8, 0.4], rtol=1e-6)
    assert "validation" not in lines_by_label(ax)
    assert fig._suptitle.get_text() == "continued training"


def test_plot_history_places_sparse_validation_at_its_epochs():
    # fit(validation_freq=2): validated after epochs 2 and 4 only.
    fig = plot.plot_history({"loss": [4.0, 3.0, 2.0, 1.0], "val_loss": [3.5, 1.5]})
    line = lines_by_label(visible_axes(fig)[0])["validation"]
    assert list(line.get_xdata()) == [2, 4]


def test_plot_history_metrics_selects_panels_and_rejects_unknown_names():
    fig = plot.plot_history(HISTORY, metrics="accuracy")
    assert [ax.get_title() for ax in visible_axes(fig)] == ["accuracy"]
    with pytest.raises(ValueError, match="precision"):
        plot.plot_history(HISTORY, metrics=["precision"])


def test_plot_history_rejects_empty_and_wrong_inputs():
    with pytest.raises(ValueError, match="empty"):
        plot.plot_history({})
    with pytest.raises(TypeError, match="History"):
        plot.plot_history([0.5, 0.4])
    with pytest.raises(ValueError, match="'loss'"):
        plot.plot_history({"loss": ["a lot"]})


def test_plot_history_saves_a_png(tmp_path):
    path = tmp_path / "out" / "history.png"
    fig = plot.plot_history(HISTORY, save_path=path)
    assert is_png(path)
    assert fig is not None


# --- show_images -------------------------------------------------------------------------
def digits(n=6, side=8):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(n, side, side), dtype=np.uint8)


def test_show_images_draws_each_image_with_its_label():
    x = digits()
    fig = plot.show_images(x, y_true=[0, 1, 2, 3, 4, 5], class_names=list("abcdef"))
    axes = visible_axes(fig)
    assert len(axes) == 6
    for i, ax in enumerate(axes):
        np.testing.assert_array_equal(ax.images[0].get_array(), x[i])
        assert ax.get_title() == "abcdef"[i]


def test_show_images_marks_wrong_predictions_in_red():
    x = digits(4)
    probabilities = np.eye(10)[[3, 1, 7, 2]] * 0.9 + 0.01  # guesses 3, 1, 7, 2
    fig = plot.show_images(x, y_true=np.array([3, 1, 2, 2]), y_pred=probabilities)
    axes = visible_axes(fig)
    titles = [ax.get_title() for ax in axes]
    assert titles == ["3", "1", "7 (2)", "2"]
    wrong = axes[2]
    assert wrong.title.get_color() == "tab:red"
    assert all(s.get_visible() and s.get_edgecolor() == RED for s in wrong.spines.values())
    assert not any(s.get_visible() for s in axes[0].spines.values())
    assert "1 of 4 wrong" in fig._suptitle.get_text()


def test_show_images_accepts_flat_rows_one_hot_labels_and_channels():
    x = digits(3, side=28)
    fig = plot.show_images(x.reshape(3, 784), y_true=np.eye(10)[[4, 5, 6]])
    axes = visible_axes(fig)
    assert axes[0].images[0].get_array().shape == (28, 28)
    assert [ax.get_title() for ax in axes] == ["4", "5", "6"]
    fig = plot.show_images(x[..., None].astype("float32") / 255)
    np.testing.assert_allclose(visible_axes(fig)[1].images[0].get_array(), x[1] / 255, rtol=1e-6)


def test_show_images_errors_only_and_max_images():
    x = digits(6)
    y_true = np.array([0, 1, 2, 3, 4, 5])
    y_pred = np.array([0, 9, 2, 9, 4, 9])
    fig = plot.show_images(x, y_true, y_pred, errors_only=True)
    axes = visible_axes(fig)
    assert [ax.get_title() for ax in axes] == ["9 (1)", "9 (3)", "9 (5)"]
    np.testing.assert_array_equal(axes[1].images[0].get_array(), x[3])
    assert len(visible_axes(plot.show_images(x, max_images=4))) == 4


def test_show_images_rejects_bad_input():
    with pytest.raises(ValueError, match="3 labels"):
        plot.show_images(digits(4), y_true=[1, 2, 3])
    with pytest.raises(ValueError, match="shape"):
        plot.show_images(np.zeros((2, 3, 4, 5, 6)))
    with pytest.raises(ValueError, match="square"):
        plot.show_images(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="every prediction is right"):
        plot.show_images(digits(2), [1, 2], [1, 2], errors_only=True)


def test_show_images_saves_to_path(tmp_path):
    path = tmp_path / "predictions.png"
    plot.show_images(digits(2), [1, 2], [1, 3], save_path=path)
    assert is_png(path)


# --- confusion matrix ---------------------------------------------------------------------
def test_confusion_matrix_counts_true_rows_against_predicted_columns():
    counts = plot.confusion_matrix([0, 1, 1, 2, 2, 2], [0, 1, 2, 2, 2, 0])
    np.testing.assert_array_equal(counts, [[1, 0, 0], [0, 1, 1], [1, 0, 2]])


def test_plot_confusion_matrix_shows_counts_and_accuracy():
    y_true = np.array([0, 1, 1, 2, 2, 2])
    probabilities = np.eye(3)[[0, 1, 2, 2, 2, 0]]
    fig = plot.plot_confusion_matrix(y_true, probabilities, class_names=["cat", "dog", "bird"])
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), [[1, 0, 0], [0, 1, 1], [1, 0, 2]])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "bird"]
    assert ax.get_xlabel() == "predicted label" and ax.get_ylabel() == "true label"
    assert sorted(t.get_text() for t in ax.texts) == sorted("100011102")
    assert "66.7%" in ax.get_title()


def test_plot_confusion_matrix_normalize_makes_rows_fractions():
    fig = plot.plot_confusion_matrix([0, 0, 0, 1], [0, 0, 1, 1], normalize=True)
    shown = np.asarray(fig.axes[0].images[0].get_array())
    np.testing.assert_allclose(shown, [[2 / 3, 1 / 3], [0, 1]])
    assert "0.67" in [t.get_text() for t in fig.axes[0].texts]


def test_confusion_matrix_rejects_mismatched_and_out_of_range_labels():
    with pytest.raises(ValueError, match="3 labels in y_true but 2"):
        plot.confusion_matrix([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match="num_classes=2"):
        plot.plot_confusion_matrix([0, 1, 2], [0, 1, 1], class_names=["a", "b"])
    with pytest.raises(ValueError, match="whole class ids"):
        plot.confusion_matrix([0.5, 1.0], [0, 1])


# --- activations -------------------------------------------------------------------------
def test_plot_activations_draws_each_function_and_its_derivative():
    fig = plot.plot_activations(x_range=(-4, 4), num=81)
    axes = visible_axes(fig)
    assert [ax.get_title() for ax in axes] == ["relu", "sigmoid", "tanh", "softplus"]
    x = np.linspace(-4, 4, 81)
    sigmoid = 1 / (1 + np.exp(-x))
    expected = {
        "relu": (np.maximum(x, 0), (x > 0).astype(float)),
        "sigmoid": (sigmoid, sigmoid * (1 - sigmoid)),
        "tanh": (np.tanh(x), 1 - np.tanh(x) ** 2),
        "softplus": (np.log1p(np.exp(x)), sigmoid),
    }
    for ax in axes:
        name = ax.get_title()
        lines = lines_by_label(ax)
        np.testing.assert_allclose(lines[f"{name}(x)"].get_xdata(), x)
        np.testing.assert_allclose(lines[f"{name}(x)"].get_ydata(), expected[name][0], atol=1e-7)
        np.testing.assert_allclose(lines["derivative"].get_ydata(), expected[name][1], atol=1e-7)


def test_plot_activations_takes_other_names_and_functions():
    fig = plot.plot_activations(["swish", lambda x: x * x], x_range=(-1, 1), num=5)
    axes = visible_axes(fig)
    assert axes[0].get_title() == "swish"
    x = np.linspace(-1, 1, 5)
    sigmoid = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(
        lines_by_label(axes[0])["derivative"].get_ydata(), sigmoid + x * sigmoid * (1 - sigmoid), rtol=1e-6
    )
    np.testing.assert_allclose(lines_by_label(axes[1])["derivative"].get_ydata(), [-2, -1, 0, 1, 2])
    with pytest.raises(ValueError, match="plot_activations: unknown activation 'bogus'"):
        plot.plot_activations(["bogus"])


def test_missing_matplotlib_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "learnet\[plot\]"'):
        plot.plot_history(HISTORY)


# --- live curves ---------------------------------------------------------------------------
def test_plot_losses_redraws_after_every_epoch(tmp_path):
    path = tmp_path / "live.png"
    callback = plot.PlotLosses(save_path=path)
    assert isinstance(callback, tf.callbacks.Callback)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # given save_path, nothing to warn about
        callback.on_epoch_end(0, {"loss": 0.9, "val_loss": 1.0})
    assert is_png(path)
    callback.on_epoch_end(1, {"loss": 0.5, "val_loss": 0.7})
    ax = visible_axes(callback.figure)[0]
    lines = lines_by_label(ax)
    np.testing.assert_allclose(lines["training"].get_ydata(), [0.9, 0.5])
    np.testing.assert_allclose(lines["validation"].get_ydata(), [1.0, 0.7])
    assert list(lines["training"].get_xdata()) == [1, 2]
    assert callback.history == {"loss": [0.9, 0.5], "val_loss": [1.0, 0.7]}
    assert not plt.get_fignums()  # shown or saved, then closed: pyplot keeps nothing


def test_plot_losses_outside_a_notebook_without_a_file_warns_once():
    callback = plot.PlotLosses()
    with pytest.warns(UserWarning, match="save_path"):
        callback.on_epoch_end(0, {"loss": 1.0})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        callback.on_epoch_end(1, {"loss": 0.5})


# --- gradient descent ---------------------------------------------------------------------
def path_of(ax):
    (line,) = lines_by_gid(ax, "path")
    return np.asarray(line.get_xdata()), np.asarray(line.get_ydata())


def test_plot_descent_1d_follows_gradient_descent_and_draws_tangents():
    fig = plot.plot_descent_1d(lambda x: x**2, start=4.0, learning_rate=0.1, steps=5)
    ax = fig.axes[0]
    xs, ys = path_of(ax)
    expected = 4.0 * 0.8 ** np.arange(6)  # x <- x - 0.1 * 2x
    np.testing.assert_allclose(xs, expected, rtol=1e-5)
    np.testing.assert_allclose(ys, expected**2, rtol=1e-5)
    tangents = lines_by_gid(ax, "tangent")
    assert len(tangents) == 6
    for x0, tangent in zip(expected, tangents):
        (a, b), (fa, fb) = tangent.get_xdata(), tangent.get_ydata()
        assert a < x0 < b
        np.testing.assert_allclose((fb - fa) / (b - a), 2 * x0, rtol=1e-4)  # slope f'(x0)
        np.testing.assert_allclose((fa + fb) / 2, x0**2, rtol=1e-4)  # through (x0, f(x0))
    (curve,) = lines_by_gid(ax, "function")
    np.testing.assert_allclose(curve.get_ydata(), np.asarray(curve.get_xdata()) ** 2, rtol=1e-5)
    (loss,) = lines_by_gid(fig.axes[1], "loss")
    np.testing.assert_allclose(loss.get_ydata(), expected**2, rtol=1e-5)
    assert ax.get_title() == "gradient descent, learning rate 0.1"


def test_plot_descent_1d_with_momentum_matches_the_keras_rule():
    fig = plot.plot_descent_1d(lambda x: x**2, start=4.0, learning_rate=0.1, steps=6, momentum=0.9)
    x, v, expected = 4.0, 0.0, [4.0]
    for _ in range(6):
        v = 0.9 * v - 0.1 * 2 * x
        x += v
        expected.append(x)
    np.testing.assert_allclose(path_of(fig.axes[0])[0], expected, rtol=1e-5, atol=1e-6)
    assert "momentum 0.9" in fig.axes[0].get_title()


def test_plot_descent_1d_draws_tangents_at_the_first_points_only_when_asked():
    def count(**options):
        fig = plot.plot_descent_1d(lambda x: x**2, start=4.0, learning_rate=0.05, steps=20, **options)
        return len(lines_by_gid(fig.axes[0], "tangent"))

    assert count() == 12
    assert count(tangents=None) == 21
    assert count(tangents=3) == 3


def test_plot_descent_1d_says_when_descent_diverges():
    fig = plot.plot_descent_1d(lambda x: x**2, start=1.0, learning_rate=5.0, steps=50)
    xs, _ = path_of(fig.axes[0])
    assert len(xs) < 51 and np.all(np.isfinite(xs))
    assert "diverged" in fig.axes[0].get_title()


def test_plot_descent_1d_rejects_bad_arguments():
    with pytest.raises(ValueError, match="one number"):
        plot.plot_descent_1d(lambda x: x**2, start=[1.0, 2.0])
    with pytest.raises(ValueError, match="steps"):
        plot.plot_descent_1d(lambda x: x**2, start=1.0, steps=-1)
    with pytest.raises(TypeError, match="learnet ops"):
        plot.plot_descent_1d(lambda x: 3.0, start=1.0)


def valley(x, y):
    return x**2 + 10 * y**2


def test_plot_descent_2d_draws_one_path_per_optimizer_on_the_contours():
    fig = plot.plot_descent_2d(valley, start=(-4.0, 1.5), steps=20, learning_rate=0.05)
    ax = fig.axes[0]
    paths = lines_by_gid(ax, "path")
    assert [p.get_label() for p in paths] == [
        "SGD (learning rate 0.05)",
        "SGD (learning rate 0.05, momentum 0.9)",
        "RMSprop (learning rate 0.05)",
        "Adam (learning rate 0.05)",
    ]
    assert ax.collections, "no contour lines"
    # Plain SGD on x^2 + 10 y^2: x shrinks by 1 - 2*lr, y by 1 - 20*lr each step.
    steps = np.arange(21)
    np.testing.assert_allclose(paths[0].get_xdata(), -4.0 * 0.9**steps, rtol=1e-5)
    np.testing.assert_allclose(paths[0].get_ydata(), 1.5 * 0.0**steps, atol=1e-6)
    # Adam's first step moves each coordinate by the learning rate, against the gradient.
    np.testing.assert_allclose([paths[3].get_xdata()[1], paths[3].get_ydata()[1]], [-3.95, 1.45], rtol=1e-4)
    for path in paths:
        assert path.get_xdata()[0] == -4.0 and path.get_ydata()[0] == 1.5
        assert valley(path.get_xdata()[-1], path.get_ydata()[-1]) < valley(-4.0, 1.5)
    (start,) = lines_by_gid(ax, "start")
    assert list(start.get_xdata()) == [-4.0]


def test_plot_descent_2d_takes_optimizer_instances():
    optimizer = tf.optimizers.SGD(learning_rate=0.01, momentum=0.5)
    fig = plot.plot_descent_2d(valley, start=(1.0, 1.0), optimizers=[optimizer], steps=3)
    (path,) = lines_by_gid(fig.axes[0], "path")
    assert path.get_label() == "SGD (learning rate 0.01, momentum 0.5)"
    assert len(path.get_xdata()) == 4
    with pytest.raises(ValueError, match="unknown optimizer 'newton'"):
        plot.plot_descent_2d(valley, start=(1.0, 1.0), optimizers=["newton"])
    with pytest.raises(ValueError, match="two numbers"):
        plot.plot_descent_2d(valley, start=(1.0, 1.0, 1.0))


def test_plot_learning_rates_minimizing_a_function():
    fig = plot.plot_learning_rates(lambda x: x**2, [0.1, 0.5, 1.2], start=2.0, steps=10)
    losses = {line.get_label(): np.asarray(line.get_ydata()) for line in lines_by_gid(fig.axes[0], "loss")}
    assert list(losses) == ["learning rate 0.1", "learning rate 0.5", "learning rate 1.2"]
    np.testing.assert_allclose(losses["learning rate 0.1"], 4.0 * 0.64 ** np.arange(11), rtol=1e-4)
    np.testing.assert_allclose(losses["learning rate 0.5"][1:], 0.0, atol=1e-12)
    assert np.all(np.diff(losses["learning rate 1.2"]) > 0)  # too big: every step overshoots more
    assert fig.axes[0].get_yscale() == "linear"  # a loss reached 0: no log scale
    paths = lines_by_gid(fig.axes[1], "path")
    assert len(paths) == 3


def test_plot_learning_rates_with_a_training_function():
    def train(learning_rate):
        if learning_rate > 1:
            return [1.0, 5.0, float("inf"), float("nan")]
        return FakeHistory({"loss": [1.0, 1.0 - learning_rate, 1.0 - 2 * learning_rate]}, [0, 1, 2])

    fig = plot.plot_learning_rates(train, [0.1, 0.2, 2.0])
    (ax,) = visible_axes(fig)
    lines = {line.get_label(): line for line in lines_by_gid(ax, "loss")}
    np.testing.assert_allclose(lines["learning rate 0.2"].get_ydata(), [1.0, 0.8, 0.6])
    assert list(lines["learning rate 0.2"].get_xdata()) == [1, 2, 3]
    np.testing.assert_allclose(lines["learning rate 2 (diverged)"].get_ydata(), [1.0, 5.0])
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "epoch"
    with pytest.raises(TypeError, match="History or a list of losses"):
        plot.plot_learning_rates(lambda rate: "fast", [0.1])
    with pytest.raises(ValueError, match="positive"):
        plot.plot_learning_rates(train, [0.0])


# --- inside the network -------------------------------------------------------------------
from learnet import layers  # noqa: E402


def test_show_weights_draws_each_dense_unit_as_an_image():
    dense = layers.Dense(5)
    dense(np.zeros((1, 16), dtype="float32"))  # builds a (16, 5) kernel
    kernel = dense.kernel.numpy()
    fig = plot.show_weights(dense, class_names=list("abcde"))
    tiles = [ax for ax in fig.axes if ax.images]
    assert len(tiles) == 5
    for i, ax in enumerate(tiles):
        np.testing.assert_array_equal(ax.images[0].get_array(), kernel[:, i].reshape(4, 4))
        assert ax.get_title() == "abcde"[i]
    scale = np.abs(kernel).max()
    assert tiles[0].images[0].get_clim() == pytest.approx((-scale, scale))  # 0 is the middle colour
    assert f"layer '{dense.name}'" in fig._suptitle.get_text()
    assert any(ax.get_ylabel() == "weight" for ax in fig.axes)  # the colour bar


def test_show_weights_takes_an_image_shape_and_rejects_what_it_cannot_draw():
    dense = layers.Dense(2)
    dense(np.zeros((1, 12), dtype="float32"))
    fig = plot.show_weights(dense, shape=(3, 4), max_images=1)
    assert [ax.images[0].get_array().shape for ax in fig.axes if ax.images] == [(3, 4)]
    with pytest.raises(ValueError, match="12 inputs .* square"):
        plot.show_weights(dense)
    with pytest.raises(ValueError, match="not built"):
        plot.show_weights(layers.Dense(3))
    flatten = layers.Flatten()
    flatten(np.zeros((1, 2, 2), dtype="float32"))
    with pytest.raises(TypeError, match="no kernel"):
        plot.show_weights(flatten)


def test_show_weights_draws_conv_filters():
    conv = layers.Conv2D(6, 3)
    conv(np.zeros((1, 8, 8, 1), dtype="float32"))
    kernel = conv.kernel.numpy()
    fig = plot.show_weights(conv)
    tiles = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in tiles] == [f"filter {i}" for i in range(6)]
    np.testing.assert_array_equal(tiles[4].images[0].get_array(), kernel[:, :, 0, 4])

    colour = layers.Conv2D(4, 3)
    colour(np.zeros((1, 8, 8, 3), dtype="float32"))
    tiles = [ax for ax in plot.show_weights(colour).axes if ax.images]
    assert tiles[0].images[0].get_array().shape == (3, 3, 3)  # an RGB picture per filter

    deep = layers.Conv2D(5, 3)
    deep(np.zeros((1, 8, 8, 2), dtype="float32"))
    kernel = deep.kernel.numpy()
    fig = plot.show_weights(deep, max_images=6)  # 3 filters x 2 input channels
    tiles = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in tiles][:3] == ["filter 0, in 0", "filter 0, in 1", "filter 1, in 0"]
    np.testing.assert_array_equal(tiles[3].images[0].get_array(), kernel[:, :, 1, 1])
    assert "3 of 5 filters" in fig._suptitle.get_text()


def small_cnn():
    model = tf.Sequential(
        [
            layers.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)),
            layers.Flatten(),
            layers.Dense(3, activation="softmax"),
        ]
    )
    return model


def test_show_feature_maps_shows_what_a_conv_layer_outputs():
    model = small_cnn()
    image = np.random.default_rng(1).random((8, 8)).astype("float32")
    expected = model.layers[0](image[None, :, :, None]).numpy()[0]
    for given in (image, image[:, :, None], image[None, :, :, None]):
        fig = plot.show_feature_maps(model, given, layer=0)
        tiles = [ax for ax in fig.axes if ax.images]
        assert [ax.get_title() for ax in tiles] == ["input", "channel 0", "channel 1", "channel 2", "channel 3"]
        np.testing.assert_allclose(tiles[0].images[0].get_array(), image)
        for c in range(4):
            np.testing.assert_allclose(tiles[c + 1].images[0].get_array(), expected[:, :, c], rtol=1e-6)
    assert "6x6" in fig._suptitle.get_text()


def test_show_feature_maps_of_a_dense_layer_are_bars():
    model = small_cnn()
    image = np.random.default_rng(2).random((8, 8, 1)).astype("float32")
    fig = plot.show_feature_maps(model, image, layer=model.layers[-1].name)
    bars = fig.axes[1].patches
    np.testing.assert_allclose([bar.get_height() for bar in bars], model.predict(image[None], verbose=0)[0], rtol=1e-6)


def test_show_feature_maps_works_on_a_functional_model():
    inputs = tf.Input(shape=(8, 8, 1))
    features = layers.Conv2D(2, 3, name="edges")(inputs)
    outputs = layers.Dense(1)(layers.Flatten()(features))
    model = tf.Model(inputs=inputs, outputs=outputs)
    image = np.ones((8, 8, 1), dtype="float32")
    fig = plot.show_feature_maps(model, image, layer="edges")
    tiles = [ax for ax in fig.axes if ax.images]
    expected = model.get_layer("edges")(image[None]).numpy()[0]
    np.testing.assert_allclose(tiles[2].images[0].get_array(), expected[:, :, 1], rtol=1e-6)
    assert "call" not in vars(model.get_layer("edges"))  # the layer is left as it was


def test_show_feature_maps_rejects_unknown_layers_and_batches():
    model = small_cnn()
    with pytest.raises(ValueError, match="no layer named 'pool'"):
        plot.show_feature_maps(model, np.zeros((8, 8)), layer="pool")
    with pytest.raises(ValueError, match="layer index 7"):
        plot.show_feature_maps(model, np.zeros((8, 8)), layer=7)
    with pytest.raises(ValueError, match="one input, got a batch of 2"):
        plot.show_feature_maps(model, np.zeros((2, 8, 8, 1)), layer=0)


def test_plot_losses_during_fit_and_plot_history_of_its_result(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x.sum(axis=1) > 0).astype("int32")
    model = tf.Sequential([layers.Dense(8, activation="relu", input_shape=(4,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    live = plot.PlotLosses(save_path=tmp_path / "live.png")
    history = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0, callbacks=[live])
    assert is_png(tmp_path / "live.png")
    for fig in (live.figure, plot.plot_history(history)):
        loss_panel = next(ax for ax in visible_axes(fig) if ax.get_title() == "loss")
        lines = lines_by_label(loss_panel)
        np.testing.assert_allclose(lines["training"].get_ydata(), history.history["loss"], rtol=1e-6)
        np.testing.assert_allclose(lines["validation"].get_ydata(), history.history["val_loss"], rtol=1e-6)
        assert list(lines["training"].get_xdata()) == [1, 2, 3]
        assert {ax.get_title() for ax in visible_axes(fig)} == {"loss", "accuracy"}


def test_plot_history_of_one_epoch_has_one_epoch_tick():
    fig = plot.plot_history({"loss": [0.4], "val_loss": [0.3]})
    ax = visible_axes(fig)[0]
    assert list(ax.get_xticks()) == [1]


# --- the package: every name where course code and notebooks look for it ------------------------------
def test_every_picture_is_reachable_from_learnet_plot_and_plot_model_from_utils():
    import learnet.plot.history
    import learnet.plot.model
    import learnet.plot.tape
    import learnet.utils

    names = [
        "plot_history",
        "show_images",
        "plot_confusion_matrix",
        "confusion_matrix",
        "show_weights",
        "show_feature_maps",
        "plot_activations",
        "plot_descent_1d",
        "plot_descent_2d",
        "plot_learning_rates",
        "PlotLosses",
        "plot_tape",
        "animate_backprop",
        "trace_tape",
        "trace_train_step",
        "plot_model",
    ]
    assert sorted(plot.__all__) == sorted(names)
    assert all(callable(getattr(plot, name)) for name in names)
    # One function each, whichever door it is reached through (keras.utils.plot_model in course code).
    assert learnet.utils.plot_model is plot.plot_model is tf.utils.plot_model is learnet.plot.model.plot_model
    assert plot.plot_history is learnet.plot.history.plot_history
    assert plot.plot_tape is learnet.plot.tape.plot_tape
