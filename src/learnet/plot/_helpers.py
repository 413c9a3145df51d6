"""What every picture of ``learnet.plot`` shares: pyplot on demand, saving a figure,
arrays from tensors, class ids from labels, grids of image tiles."""

import math
import os

import numpy as np

from learnet.tensor import Tensor

# Right and wrong guesses. A wrong one is also framed and bold, so the mark does not
# rest on colour alone (red and green look alike to many readers).
_RIGHT = "tab:green"
_WRONG = "tab:red"


def _pyplot():
    """Import pyplot, or say how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError('learnet.plot needs Matplotlib, an optional extra: pip install "learnet[plot]"') from error
    return plt


def _finish(fig, save_path):
    """Save ``fig`` to ``save_path`` (when given) and return it."""
    if save_path is not None:
        folder = os.path.dirname(os.fspath(save_path))
        if folder:
            os.makedirs(folder, exist_ok=True)
        fig.savefig(save_path, dpi=100, bbox_inches="tight")
    return fig


def _array(value):
    """A NumPy array from a Tensor, Variable, list or array."""
    if isinstance(value, Tensor):
        return np.asarray(value.numpy())
    if hasattr(value, "numpy") and callable(value.numpy):
        return np.asarray(value.numpy())
    return np.asarray(value)


def _number(value):
    """A Python float from a number, a 0-d array, a Tensor or a Variable."""
    return float(_array(value).reshape(()))


def _class_ids(y, what, function):
    """Turn labels (ints, one-hot rows or predicted probabilities) into class ids."""
    y = _array(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
        if y.dtype.kind == "f" and what == "y_pred":
            return (y > 0.5).astype(np.int64)  # one sigmoid output: a binary guess
    if y.ndim != 1:
        raise ValueError(
            f"{function}: {what} must be class ids (N,), one-hot rows or probabilities (N, classes), "
            f"got shape {y.shape}"
        )
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise ValueError(f"{function}: {what} must hold whole class ids, got {y[:5]}...")
    return y.astype(np.int64)


def _label_text(label, class_names):
    if class_names is not None and 0 <= label < len(class_names):
        return str(class_names[label])
    return str(label)


def _grid(n, ncols, tile_inches, plt):
    """A figure with ``n`` image tiles in rows of ``ncols``; unused tiles are hidden."""
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(tile_inches * ncols, tile_inches * nrows), squeeze=False)
    axes = list(axes.ravel())
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _bare(ax):
    """An image tile: no ticks, no frame."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
