"""Activation functions drawn with their derivatives."""

import math

import numpy as np

from learnet.plot._helpers import _array, _finish, _pyplot
from learnet.tape import GradientTape
from learnet.tensor import constant


def _activation(name):
    """The activation function called ``name`` (or ``name`` itself if callable)."""
    if callable(name):
        return getattr(name, "__name__", "activation"), name
    from learnet import activations

    try:
        return name, activations.get(name)
    except ValueError as error:
        raise ValueError(f"plot_activations: {error}") from error


def plot_activations(activations=("relu", "sigmoid", "tanh", "softplus"), x_range=(-5.0, 5.0), num=401, save_path=None):
    """Draw activation functions and their derivatives, one panel each.

    The derivatives are computed by a ``GradientTape``, exactly as backpropagation
    computes them while training.

    Parameters
    ----------
    activations : sequence of str or callables
        ``"relu"``, ``"sigmoid"``, ``"tanh"``, ``"softplus"`` (the default four), any
        other name ``learnet.activations`` knows (``"elu"``, ``"swish"``, ``"gelu"``...),
        or any function of a tensor written with learnet ops.
    x_range : (float, float)
        The inputs drawn.
    num : int
        Number of points per curve.
    save_path : optional
        A file to save the figure to.

    Returns
    -------
    matplotlib.figure.Figure
        In each panel a solid line ``f(x)`` and a dashed line ``f'(x)``.
    """
    plt = _pyplot()
    if isinstance(activations, str) or callable(activations):
        activations = [activations]
    functions = [_activation(a) for a in activations]
    if not functions:
        raise ValueError("plot_activations: give at least one activation")
    xs = np.linspace(float(x_range[0]), float(x_range[1]), int(num))
    ncols = min(len(functions), 4)
    nrows = math.ceil(len(functions) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.4 * ncols, 3.0 * nrows), squeeze=False)
    axes = list(axes.ravel())
    for ax in axes[len(functions) :]:
        ax.set_visible(False)
    for ax, (name, function) in zip(axes, functions):
        x = constant(xs, dtype="float64")
        with GradientTape() as tape:
            tape.watch(x)
            y = function(x)
        dy_dx = tape.gradient(y, x)
        ax.axhline(0, color="0.7", linewidth=0.8)
        ax.axvline(0, color="0.7", linewidth=0.8)
        ax.plot(xs, _array(y), color="tab:blue", linewidth=2, label=f"{name}(x)")
        ax.plot(xs, _array(dy_dx), "--", color="tab:orange", linewidth=2, label="derivative")
        ax.set_title(name)
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return _finish(fig, save_path)
