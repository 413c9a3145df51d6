"""The examples in examples/: each is run with small settings and its outcome checked."""

import importlib.util
import math
import re
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load_example(name):
    """Import examples/<name>.py as a module (the folder is not a package)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


# --- linear regression -----------------------------------------------------------------


def test_linear_regression_gradient_descent_finds_the_least_squares_line(capsys):
    example = load_example("linear_regression")
    lines = example.main()
    w_exact, b_exact = lines["least_squares"]
    w_learned, b_learned = lines["gradient_descent"]
    # The closed form, computed here from the table: y = 1.65 x + 1.025.
    assert w_exact == pytest.approx(1.65, abs=1e-9)
    assert b_exact == pytest.approx(1.025, abs=1e-9)
    assert w_learned == pytest.approx(w_exact, abs=2e-3)
    assert b_learned == pytest.approx(b_exact, abs=1e-2)
    out = capsys.readouterr().out
    assert "least squares:    y = 1.6500 x + 1.0250" in out


def test_linear_regression_with_too_few_steps_has_not_arrived_yet():
    example = load_example("linear_regression")
    lines = example.main(epochs=3)
    w_exact, b_exact = lines["least_squares"]
    w_learned, b_learned = lines["gradient_descent"]
    assert abs(w_learned - w_exact) + abs(b_learned - b_exact) > 0.05


# --- gradient descent ------------------------------------------------------------------


def test_gradient_descent_learning_rates_crawl_arrive_and_diverge(capsys):
    example = load_example("gradient_descent")
    paths, ends = example.main()
    too_small, good, too_large = (paths[rate] for rate in (0.01, 0.1, 1.1))
    # x <- x - lr * 2 (x - 3): the distance to 3 shrinks by (1 - 2 lr) each step.
    assert too_small[1] == pytest.approx(-2 + 0.01 * 10, abs=1e-5)
    assert abs(too_small[-1] - 3) == pytest.approx(5 * 0.98**30, rel=1e-3)
    assert abs(too_small[-1] - 3) > 2  # still far away
    assert good[-1] == pytest.approx(3, abs=0.01)
    distances = [abs(x - 3) for x in too_large]
    assert all(later > earlier for earlier, later in zip(distances, distances[1:]))
    assert distances[-1] > 1000  # diverged
    # Momentum escapes the shallow valley where plain descent stays.
    assert ends[0.0] == pytest.approx(1.2197, abs=1e-3)
    assert ends[0.9] == pytest.approx(-1.5502, abs=1e-3)
    assert "momentum 0.9: stops at x = -1.5502" in capsys.readouterr().out


# --- GradientTape ----------------------------------------------------------------------


def test_tape_basics_partial_derivatives_equal_the_paper_values(capsys):
    example = load_example("tape_basics")
    results = example.partial_derivatives()
    assert results == pytest.approx(
        {
            "loss": 9.0,
            "dloss/dw": -18.0,
            "dloss/db": -6.0,
            "f": 26.0,
            "df/dx": 12.0,
            "df/dy": 21.0,
            "d/dx x^3": 12.0,
            "d2/dx2 x^3": 12.0,
        }
    )
    out = capsys.readouterr().out
    assert "dloss/dw = -18" in out and "df/dy = 21" in out


def test_tape_basics_custom_training_loop_learns_mnist(mnist_dir, capsys):
    example = load_example("tape_basics")
    accuracy = example.train_mnist(epochs=1, limit=12000, path=mnist_dir)
    assert accuracy > 0.87
    assert f"test accuracy: {accuracy:.4f}" in capsys.readouterr().out


# --- forward pass ----------------------------------------------------------------------


def test_forward_pass_prints_what_a_hand_computation_gives(capsys):
    example = load_example("forward_pass")
    outputs = example.main()
    out = capsys.readouterr().out

    # The same network, by hand: weights[l][i][j] joins input i to neuron j.
    weights = [[[0.5, -0.3, 0.8], [0.2, 0.7, -0.6]], [[0.4, -0.5], [0.9, 0.3], [-0.7, 0.6]], [[1.2], [-0.8]]]
    biases = [[0.1, 0.0, -0.2], [0.0, 0.1], [0.3]]
    values = [1.0, 0.5]
    expected = []  # (layer, neuron, z, a)
    for layer, (w, b) in enumerate(zip(weights, biases), start=1):
        zs = [sum(values[i] * w[i][j] for i in range(len(values))) + b[j] for j in range(len(b))]
        values = [sigmoid(z) for z in zs]
        expected += [(layer, j + 1, z, a) for j, (z, a) in enumerate(zip(zs, values))]
    # Spot values done with pencil and paper: z1.1 = 0.5 + 0.1 + 0.1 = 0.7.
    assert expected[0][2] == pytest.approx(0.7)
    assert expected[0][3] == pytest.approx(0.6682, abs=1e-4)

    printed = re.findall(r"neuron (\d)\.(\d): z = .* = (-?\d+\.\d{4})\s+a = sigmoid\(z\) = (\d\.\d{4})", out)
    assert len(printed) == 6
    for (layer, neuron, z, a), (p_layer, p_neuron, p_z, p_a) in zip(expected, printed):
        assert (int(p_layer), int(p_neuron)) == (layer, neuron)
        assert float(p_z) == pytest.approx(z, abs=6e-5)
        assert float(p_a) == pytest.approx(a, abs=6e-5)
    assert outputs[-1][0] == pytest.approx(expected[-1][3], abs=1e-6)
    assert f"the network's answer: {expected[-1][3]:.4f}" in out
    assert "0.50*x1 + 0.20*x2 + 0.10" in out


# --- the MNIST networks ----------------------------------------------------------------


def test_mnist_mlp_learns_digits_in_one_epoch(mnist_dir, capsys):
    example = load_example("mnist_mlp")
    accuracy = example.main(epochs=1, limit=12000, path=mnist_dir, verbose=0)
    assert accuracy > 0.87
    out = capsys.readouterr().out
    assert f"test_acc: {accuracy:.4f}" in out
    assert "the first ten test digits:    7 2 1 0 4 1 4 9 5 9" in out


def test_mnist_cnn_learns_digits_in_one_epoch(mnist_dir, capsys):
    example = load_example("mnist_cnn")
    accuracy = example.main(epochs=1, limit=6000, test_limit=1000, path=mnist_dir, verbose=0)
    assert accuracy > 0.72
    out = capsys.readouterr().out
    assert "conv2d" in out  # the summary
    assert f"Test accuracy: {accuracy}" in out


def test_fashion_mnist_tutorial_learns_clothes_in_one_epoch(fashion_mnist_dir, capsys):
    example = load_example("fashion_mnist")
    accuracy = example.main(epochs=1, limit=6000, path=fashion_mnist_dir, verbose=0)
    assert accuracy > 0.7
    out = capsys.readouterr().out
    assert "Test accuracy:" in out
    # Five predictions, each naming a class and its probability.
    guesses = re.findall(r"^\s*(.+?)\s+(\d+\.\d)%\s+\(truly: (.+)\)$", out, flags=re.MULTILINE)
    assert len(guesses) == 5
    assert {guess for guess, _, _ in guesses} <= set(example.CLASS_NAMES)
    assert all(0 < float(p) <= 100 for _, p, _ in guesses)
