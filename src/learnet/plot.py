"""Pictures of learning: training curves, images and guesses, weights, gradient descent.

Every function draws one Matplotlib figure and returns it, so a notebook shows it and
a script can keep working on it; ``save_path="file.png"`` also writes it to a file.
Matplotlib is an optional extra: ``pip install "learnet[plot]"``.

Examples
--------
>>> import learnet as tf
>>> from learnet import plot
>>> history = {"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.6, 0.45]}
>>> fig = plot.plot_history(history)            # doctest: +SKIP
>>> fig = plot.plot_descent_1d(lambda x: x ** 2, start=3.0, learning_rate=0.2, steps=8)  # doctest: +SKIP
"""
import math
import numbers
import os

import numpy as np

from learnet.callbacks import Callback
from learnet.tape import GradientTape
from learnet.tensor import Tensor, Variable, constant
from learnet.warn import warn

__all__ = [
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
]

# Right and wrong guesses. A wrong one is also framed and bold, so the mark does not
# rest on colour alone (red and green look alike to many readers).
_RIGHT = "tab:green"
_WRONG = "tab:red"


# --- helpers ---------------------------------------------------------------------------
def _pyplot():
    """Import pyplot, or say how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            'learnet.plot needs Matplotlib, an optional extra: pip install "learnet[plot]"'
        ) from error
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


# --- training curves -----------------------------------------------------------------------
def _history_series(history, function):
    """``{name: (epochs, values)}`` from a History or a dict of lists."""
    if hasattr(history, "history") and isinstance(history.history, dict):
        epochs = getattr(history, "epoch", None)
        history = history.history
    elif isinstance(history, dict):
        epochs = None
    else:
        raise TypeError(
            f"{function} expects a History (what model.fit returns) or a dict of lists, "
            f"got {type(history).__name__}"
        )
    if not history:
        raise ValueError(f"{function}: the history is empty (nothing was trained yet)")
    values = {}
    for name, series in history.items():
        try:
            values[str(name)] = [_number(v) for v in series]
        except (TypeError, ValueError) as error:
            raise ValueError(f"{function}: history[{name!r}] must be a list of numbers") from error
    count = max(len(v) for v in values.values())
    if epochs is not None and len(epochs) == count:
        epoch_numbers = [int(e) + 1 for e in epochs]  # Keras counts epochs from 0; people from 1
    else:
        epoch_numbers = list(range(1, count + 1))
    series = {}
    for name, vals in values.items():
        if len(vals) == count:
            series[name] = (epoch_numbers, vals)
        elif vals and count % len(vals) == 0:
            # validation_freq=k: validated every k-th epoch.
            step = count // len(vals)
            series[name] = ([epoch_numbers[(i + 1) * step - 1] for i in range(len(vals))], vals)
        else:
            series[name] = (list(range(1, len(vals) + 1)), vals)
    return series


def _draw_history(series, metrics, title, plt):
    names = [n for n in series if not n.startswith("val_")]
    names += [n[4:] for n in series if n.startswith("val_") and n[4:] not in series]
    if metrics is not None:
        wanted = [metrics] if isinstance(metrics, str) else list(metrics)
        unknown = [m for m in wanted if m not in names]
        if unknown:
            raise ValueError(f"plot_history: no {unknown} in the history; it holds {names}")
        names = wanted
    ncols = min(len(names), 3)
    nrows = math.ceil(len(names) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.4 * nrows), squeeze=False)
    axes = list(axes.ravel())
    for ax in axes[len(names):]:
        ax.set_visible(False)
    for ax, name in zip(axes, names):
        if name in series:
            epochs, values = series[name]
            ax.plot(epochs, values, "o-", color="tab:blue", label="training", markersize=4)
        if "val_" + name in series:
            epochs, values = series["val_" + name]
            ax.plot(epochs, values, "s--", color="tab:orange", label="validation", markersize=4)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.xaxis.get_major_locator().set_params(integer=True)
        drawn = {e for key in (name, "val_" + name) if key in series for e in series[key][0]}
        if len(drawn) == 1:  # a single epoch: one tick, not 0.96 ... 1.04
            ax.set_xticks(sorted(drawn))
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_history(history, metrics=None, title=None, save_path=None):
    """Draw the loss and each metric per epoch, training and validation side by side.

    Parameters
    ----------
    history : History or dict
        What ``model.fit`` returns, or its ``.history`` dict
        (``{"loss": [...], "val_loss": [...], "accuracy": [...], ...}``).
    metrics : str or list of str, optional
        Which curves to draw (``"loss"``, ``"accuracy"``...); all by default. A
        ``val_`` curve is drawn in the same panel as its training curve.
    title : str, optional
        A title above all panels.
    save_path : str or path-like, optional
        Also save the figure there (PNG, PDF, SVG... by the file's extension).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per metric; epochs are numbered from 1.

    Examples
    --------
    >>> history = model.fit(x, y, epochs=5, validation_split=0.1)  # doctest: +SKIP
    >>> plot_history(history, save_path="history.png")               # doctest: +SKIP
    """
    plt = _pyplot()
    series = _history_series(history, "plot_history")
    fig = _draw_history(series, metrics, title, plt)
    return _finish(fig, save_path)


# --- images and what the network guessed --------------------------------------------------
def _as_images(x, function):
    """``(N, H, W)`` grey or ``(N, H, W, 3)`` colour images from what a dataset holds."""
    x = _array(x)
    if x.ndim == 2:  # flattened rows: (N, 784) -> (N, 28, 28)
        side = math.isqrt(x.shape[1])
        if side * side != x.shape[1]:
            raise ValueError(
                f"{function}: cannot draw flat rows of {x.shape[1]} values as square images; "
                "reshape x to (N, height, width) first"
            )
        x = x.reshape(len(x), side, side)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if not (x.ndim == 3 or (x.ndim == 4 and x.shape[-1] in (3, 4))):
        raise ValueError(
            f"{function}: x must hold images (N, height, width), (N, height, width, 1 or 3) "
            f"or flat rows (N, height*width), got shape {x.shape}"
        )
    if x.ndim == 4 and x.dtype.kind == "f":
        low, high = float(x.min()), float(x.max())
        if low < 0 or high > 1:  # imshow wants colour floats in [0, 1]
            x = (x - low) / (high - low or 1.0)
    return x


def show_images(x, y_true=None, y_pred=None, class_names=None, max_images=25, ncols=None,
                errors_only=False, cmap="binary", title=None, save_path=None):
    """Draw a grid of images with their labels; wrong predictions are marked in red.

    Parameters
    ----------
    x : array_like
        Images ``(N, height, width)``, ``(N, height, width, channels)`` or flat rows
        ``(N, height*width)`` of square images (MNIST's 784 becomes 28x28).
    y_true : array_like, optional
        The right labels: class ids ``(N,)`` or one-hot rows ``(N, classes)``.
    y_pred : array_like, optional
        What the network guessed: class ids, or its output probabilities
        ``(N, classes)`` (the guess is the largest).
    class_names : list of str, optional
        Names to show instead of the class ids.
    max_images : int
        Draw at most this many images (the first ones).
    ncols : int, optional
        Images per row (about a square grid by default).
    errors_only : bool
        Draw only the images the network got wrong.
    cmap : str
        Matplotlib colour map for grey images (``"binary"``: black ink on white).
    title, save_path : optional
        A title above the grid; a file to save it to.

    Returns
    -------
    matplotlib.figure.Figure
        One tile per image. A tile's title is the label, or the guess with the right
        answer in brackets; the frame and title of a wrong guess are red.

    Examples
    --------
    >>> probabilities = model.predict(x_test[:25])                            # doctest: +SKIP
    >>> show_images(x_test[:25], y_test[:25], probabilities, save_path="guesses.png")  # doctest: +SKIP
    """
    plt = _pyplot()
    images = _as_images(x, "show_images")
    n = len(images)
    truth = None if y_true is None else _class_ids(y_true, "y_true", "show_images")
    guess = None if y_pred is None else _class_ids(y_pred, "y_pred", "show_images")
    for what, labels in (("y_true", truth), ("y_pred", guess)):
        if labels is not None and len(labels) != n:
            raise ValueError(f"show_images: {n} images but {len(labels)} labels in {what}")
    index = np.arange(n)
    if errors_only:
        if truth is None or guess is None:
            raise ValueError("show_images: errors_only needs both y_true and y_pred")
        index = index[truth != guess]
        if len(index) == 0:
            raise ValueError("show_images: errors_only, but every prediction is right")
    if not isinstance(max_images, numbers.Integral) or max_images < 1:
        raise ValueError(f"show_images: max_images must be a positive integer, got {max_images!r}")
    index = index[:max_images]
    ncols = ncols or math.ceil(math.sqrt(len(index)))
    long_names = class_names is not None and max(len(str(c)) for c in class_names) > 6
    fig, axes = _grid(len(index), ncols, 1.9 if long_names else 1.5, plt)
    for ax, i in zip(axes, index):
        image = images[i]
        if image.ndim == 2:
            ax.imshow(image, cmap=cmap)
        else:
            ax.imshow(image)
        _bare(ax)
        if guess is None and truth is None:
            continue
        if guess is None:
            ax.set_title(_label_text(truth[i], class_names), fontsize=9)
        elif truth is None:
            ax.set_title(_label_text(guess[i], class_names), fontsize=9)
        elif guess[i] == truth[i]:
            ax.set_title(_label_text(guess[i], class_names), fontsize=9, color=_RIGHT)
        else:
            text = f"{_label_text(guess[i], class_names)} ({_label_text(truth[i], class_names)})"
            ax.set_title(text, fontsize=9, color=_WRONG, fontweight="bold")
            for spine in ax.spines.values():
                spine.set_visible(True)
                spine.set_edgecolor(_WRONG)
                spine.set_linewidth(3)
    if title is None and guess is not None and truth is not None:
        wrong = int(np.sum(guess != truth))
        if errors_only:
            title = f"{wrong} of {n} guesses wrong ({len(index)} shown), the right answer in brackets"
        else:
            title = f"guess (right answer): {wrong} of {n} wrong" + (
                f" ({len(index)} shown)" if len(index) < n else "")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _finish(fig, save_path)


def confusion_matrix(y_true, y_pred, num_classes=None):
    """Count how often each true class (row) was predicted as each class (column).

    Parameters
    ----------
    y_true, y_pred : array_like
        Class ids ``(N,)``, one-hot rows or probabilities ``(N, classes)``.
    num_classes : int, optional
        The matrix size (by default: the largest class id seen, plus one).

    Returns
    -------
    numpy.ndarray
        ``(num_classes, num_classes)`` int counts; the diagonal holds the right guesses.

    Examples
    --------
    >>> confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])
    """
    truth = _class_ids(y_true, "y_true", "confusion_matrix")
    guess = _class_ids(y_pred, "y_pred", "confusion_matrix")
    if len(truth) != len(guess):
        raise ValueError(f"confusion_matrix: {len(truth)} labels in y_true but {len(guess)} in y_pred")
    if len(truth) and min(truth.min(), guess.min()) < 0:
        raise ValueError("confusion_matrix: class ids must not be negative")
    needed = int(max(truth.max(initial=-1), guess.max(initial=-1))) + 1
    if num_classes is None:
        num_classes = needed
    elif num_classes < needed:
        raise ValueError(f"confusion_matrix: num_classes={num_classes} but a class id {needed - 1} occurs")
    counts = np.bincount(truth * num_classes + guess, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def plot_confusion_matrix(y_true, y_pred, class_names=None, normalize=False, cmap="Blues",
                          title=None, save_path=None):
    """Draw the confusion matrix: rows are the right answers, columns the guesses.

    Parameters
    ----------
    y_true, y_pred : array_like
        Class ids ``(N,)``, one-hot rows or probabilities ``(N, classes)``.
    class_names : list of str, optional
        Names of the classes (their number also fixes the matrix size).
    normalize : bool
        Show each row as fractions of that class (rows sum to 1) instead of counts.
    cmap, title, save_path : optional
        Colour map, title (the accuracy by default), file to save to.

    Returns
    -------
    matplotlib.figure.Figure
        The matrix as an image with the number written in each cell.

    Examples
    --------
    >>> plot_confusion_matrix(y_test, model.predict(x_test))  # doctest: +SKIP
    """
    plt = _pyplot()
    counts = confusion_matrix(y_true, y_pred, None if class_names is None else len(class_names))
    k = len(counts)
    shown = counts.astype(np.float64)
    if normalize:
        totals = shown.sum(axis=1, keepdims=True)
        shown = np.divide(shown, totals, out=np.zeros_like(shown), where=totals > 0)
    size = max(4.0, 0.55 * k + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(shown, cmap=cmap, vmin=0)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    names = [_label_text(i, class_names) for i in range(k)]
    slanted = class_names is not None  # names are long: slant them so they do not overlap
    ax.set_xticks(range(k), names, rotation=45 if slanted else 0, ha="right" if slanted else "center")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    threshold = shown.max() / 2 if shown.size else 0
    for i in range(k):
        for j in range(k):
            text = f"{shown[i, j]:.2f}" if normalize else str(counts[i, j])
            colour = "white" if shown[i, j] > threshold else "black" if counts[i, j] else "0.7"
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color=colour)
    if title is None:
        total = counts.sum()
        accuracy = np.trace(counts) / total if total else 0.0
        title = f"confusion matrix (accuracy {accuracy:.1%})"
    ax.set_title(title)
    fig.tight_layout()
    return _finish(fig, save_path)


# --- inside the network -----------------------------------------------------------------
def _layer_name(layer):
    return getattr(layer, "name", type(layer).__name__)


def _kernel_of(layer, function):
    """The kernel of a Dense or Conv2D layer (or a kernel given directly), as an array."""
    if isinstance(layer, (np.ndarray, Tensor)):
        return _array(layer), None
    kernel = getattr(layer, "kernel", None)
    if kernel is None:
        if hasattr(layer, "built") and not layer.built and hasattr(type(layer), "build"):
            raise ValueError(
                f"{function}: layer '{_layer_name(layer)}' ({type(layer).__name__}) has no kernel yet: "
                "it is not built (call the model on data, fit it, or give its first layer an "
                "input_shape); only Dense and Conv2D layers have a kernel to show"
            )
        raise TypeError(
            f"{function}: layer '{_layer_name(layer)}' ({type(layer).__name__}) has no kernel to show; "
            "give it a Dense or Conv2D layer"
        )
    return _array(kernel), _layer_name(layer)


def show_weights(layer, shape=None, max_images=64, ncols=None, class_names=None, cmap="RdBu_r",
                 title=None, save_path=None):
    """Draw a layer's weights as images.

    * ``Dense``: the weights from the inputs to each unit form one image per unit
      (28x28 for a Dense layer that reads flattened MNIST images): a unit responds to
      inputs where its image is red and is held back where it is blue.
    * ``Conv2D``: one image per filter (in colour when the filter reads RGB images;
      a row of images, one per input channel, otherwise).

    Parameters
    ----------
    layer : Layer or array
        A built ``Dense`` or ``Conv2D`` layer (or a kernel array).
    shape : (int, int), optional
        The image shape of a Dense layer's inputs (by default the square root of their
        number, as for MNIST's 784 = 28x28).
    max_images : int
        Draw at most this many images.
    ncols : int, optional
        Images per row.
    class_names : list of str, optional
        Titles for the units (for an output layer: the classes).
    cmap : str
        A diverging colour map, so that 0 is white; all tiles share one scale.
    title, save_path : optional
        A title; a file to save to.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> show_weights(model.layers[1])   # the Dense layer after Flatten  # doctest: +SKIP
    """
    plt = _pyplot()
    if not isinstance(max_images, numbers.Integral) or max_images < 1:
        raise ValueError(f"show_weights: max_images must be a positive integer, got {max_images!r}")
    kernel, name = _kernel_of(layer, "show_weights")
    rgb = False
    if kernel.ndim == 2:  # Dense: (inputs, units)
        inputs, units = kernel.shape
        if shape is None:
            side = math.isqrt(inputs)
            if side * side != inputs:
                raise ValueError(
                    f"show_weights: the {inputs} inputs of layer '{name or 'kernel'}' do not form a square image; "
                    "give shape=(height, width)"
                )
            shape = (side, side)
        shape = tuple(int(s) for s in shape)
        if int(np.prod(shape)) != inputs:
            raise ValueError(f"show_weights: shape {shape} does not hold the {inputs} inputs of layer '{name or 'kernel'}'")
        images = kernel.T.reshape(units, *shape)[:max_images]
        titles = [_label_text(i, class_names) if class_names is not None else f"unit {i}"
                  for i in range(len(images))]
        what = f"{len(images)} of {units} units" if len(images) < units else f"{units} units"
        default_title = f"weights of layer '{name}' ({what})" if name else f"weights ({what})"
    elif kernel.ndim == 4:  # Conv2D: (height, width, in channels, filters)
        height, width, channels, filters = kernel.shape
        per_filter = 1 if channels in (1, 3) else channels
        count = min(filters, max(1, max_images // per_filter))
        if channels == 3:
            rgb = True
            images = np.moveaxis(kernel[..., :count], 3, 0)
            titles = [f"filter {f}" for f in range(count)]
        elif channels == 1:
            images = np.moveaxis(kernel[:, :, 0, :count], 2, 0)
            titles = [f"filter {f}" for f in range(count)]
        else:  # one row per filter, one image per input channel
            images = np.moveaxis(kernel[..., :count], (3, 2), (0, 1)).reshape(-1, height, width)
            titles = [f"filter {f}, in {c}" for f in range(count) for c in range(channels)]
            ncols = ncols or channels
        what = f"{count} of {filters} filters" if count < filters else f"{filters} filters"
        default_title = f"{height}x{width} filters" + (f" of layer '{name}'" if name else "") + f" ({what})"
    else:
        raise ValueError(
            f"show_weights: expected a Dense kernel (inputs, units) or a Conv2D kernel "
            f"(height, width, channels, filters), got shape {kernel.shape}"
        )
    ncols = ncols or math.ceil(math.sqrt(len(images)))
    fig, axes = _grid(len(images), ncols, 1.3, plt)
    scale = float(np.abs(images).max()) or 1.0
    drawn = None
    for ax, image, text in zip(axes, images, titles):
        if rgb:  # weights to colours: 0 becomes grey
            ax.imshow(np.clip(image / (2 * scale) + 0.5, 0, 1))
        else:
            drawn = ax.imshow(image, cmap=cmap, vmin=-scale, vmax=scale)
        _bare(ax)
        ax.set_title(text, fontsize=7)
    fig.suptitle(title or default_title)
    fig.tight_layout()
    if drawn is not None:
        fig.colorbar(drawn, ax=axes, shrink=0.6, label="weight")
    return _finish(fig, save_path)


def _find_layer(model, layer):
    layers = list(getattr(model, "layers", []))
    if isinstance(layer, str):
        for candidate in layers:
            if candidate.name == layer:
                return candidate
        raise ValueError(
            f"show_feature_maps: the model has no layer named {layer!r}; "
            f"its layers are {[l.name for l in layers]}"
        )
    if isinstance(layer, numbers.Integral):
        if not -len(layers) <= layer < len(layers):
            raise ValueError(f"show_feature_maps: layer index {layer} but the model has {len(layers)} layers")
        return layers[layer]
    if not any(candidate is layer for candidate in layers):
        raise ValueError(f"show_feature_maps: layer '{_layer_name(layer)}' is not a layer of this model")
    return layer


def _activations_at(model, x, layer):
    """The output of ``layer`` while ``model`` reads the batch ``x``.

    The model runs as usual while the layer's ``call`` is listened in on, so this works
    for ``Sequential``, functional and subclassed models alike.
    """
    heard = []
    original = layer.call

    def listen(*args, **kwargs):
        output = original(*args, **kwargs)
        heard.append(output)
        return output

    layer.call = listen  # an instance attribute: it hides the class's method for now
    try:
        model(x)
    finally:
        del layer.call
    if not heard:
        raise ValueError(f"show_feature_maps: layer '{_layer_name(layer)}' did not run when the model ran")
    return heard[0]


def show_feature_maps(model, x, layer, max_maps=32, ncols=None, cmap="viridis", title=None,
                      save_path=None):
    """Draw what one layer of ``model`` outputs for one input: its feature maps.

    Parameters
    ----------
    model : Model
        A model (``Sequential`` or functional) that has been built.
    x : array_like
        One input, with or without the batch axis: ``(28, 28)``, ``(28, 28, 1)`` or
        ``(1, 28, 28, 1)`` for a CNN on MNIST.
    layer : Layer, str or int
        The layer to look at: the object, its name, or its index in ``model.layers``.
    max_maps : int
        Draw at most this many channels.
    ncols, cmap, title, save_path : optional
        Tiles per row; colour map; title; file to save to.

    Returns
    -------
    matplotlib.figure.Figure
        The input image first, then one tile per channel of the layer's output
        (for a layer with flat output, such as Dense, a bar per unit).

    Examples
    --------
    >>> show_feature_maps(cnn, x_test[0], layer=0)   # what the first Conv2D sees  # doctest: +SKIP
    """
    plt = _pyplot()
    if not isinstance(max_maps, numbers.Integral) or max_maps < 1:
        raise ValueError(f"show_feature_maps: max_maps must be a positive integer, got {max_maps!r}")
    layer = _find_layer(model, layer)
    x = _array(x)
    if x.dtype.kind != "f":
        x = x.astype("float32")
    try:
        expected = tuple(model.input_shape)  # (None, 28, 28, 1) for a CNN on MNIST
    except (AttributeError, TypeError, ValueError):
        expected = None  # not known before the model has seen data
    if expected is not None and expected and (expected[0] is None or isinstance(expected[0], int)):
        if x.ndim == len(expected) - 2 and expected[-1] == 1:
            x = x[..., None]  # (28, 28) -> (28, 28, 1): the one channel of a grey image
        if x.ndim == len(expected) - 1:
            x = x[None]
    elif x.ndim < 2 or x.shape[0] != 1:
        x = x[None]
    if x.shape[0] != 1:
        raise ValueError(f"show_feature_maps: give one input, got a batch of {x.shape[0]}")
    maps = _array(_activations_at(model, x, layer))[0]
    name = _layer_name(layer)
    picture = x[0]
    if picture.ndim == 3 and picture.shape[-1] == 1:
        picture = picture[..., 0]
    elif picture.ndim == 1 and math.isqrt(picture.size) ** 2 == picture.size:
        side = math.isqrt(picture.size)  # a flattened image, as a Dense network reads it
        picture = picture.reshape(side, side)
    if maps.ndim == 3:  # (height, width, channels)
        channels = maps.shape[-1]
        shown = np.moveaxis(maps[..., :max_maps], -1, 0)
        ncols = ncols or math.ceil(math.sqrt(len(shown) + 1))
        fig, axes = _grid(len(shown) + 1, ncols, 1.4, plt)
        if picture.ndim in (2, 3):
            axes[0].imshow(picture, cmap="binary" if picture.ndim == 2 else None)
        axes[0].set_title("input", fontsize=8)
        _bare(axes[0])
        for i, (ax, feature_map) in enumerate(zip(axes[1:], shown)):
            ax.imshow(feature_map, cmap=cmap)
            _bare(ax)
            ax.set_title(f"channel {i}", fontsize=7)
        what = f"{len(shown)} of {channels} channels" if len(shown) < channels else f"{channels} channels"
        fig.suptitle(title or f"feature maps of layer '{name}' ({what}, {maps.shape[0]}x{maps.shape[1]})")
    elif maps.ndim == 1:
        fig, (ax_in, ax) = plt.subplots(1, 2, figsize=(10, 3), gridspec_kw={"width_ratios": [1, 4]})
        if picture.ndim in (2, 3):
            ax_in.imshow(picture, cmap="binary" if picture.ndim == 2 else None)
        _bare(ax_in)
        ax_in.set_title("input", fontsize=8)
        ax.bar(np.arange(len(maps)), maps, color="tab:blue")
        ax.set_xlabel("unit")
        ax.set_ylabel("activation")
        ax.set_title(title or f"outputs of layer '{name}' ({len(maps)} units)")
    else:
        raise ValueError(
            f"show_feature_maps: layer '{name}' outputs shape {maps.shape} per input; "
            "expected feature maps (height, width, channels) or units (n,)"
        )
    fig.tight_layout()
    return _finish(fig, save_path)


# --- activation functions -------------------------------------------------------------------
def _activation(name):
    """The activation function called ``name`` (or ``name`` itself if callable)."""
    if callable(name):
        return getattr(name, "__name__", "activation"), name
    from learnet import activations

    try:
        return name, activations.get(name)
    except ValueError as error:
        raise ValueError(f"plot_activations: {error}") from error


def plot_activations(activations=("relu", "sigmoid", "tanh", "softplus"), x_range=(-5.0, 5.0),
                     num=401, save_path=None):
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
    for ax in axes[len(functions):]:
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


# --- gradient descent -------------------------------------------------------------------
def _optimizer(spec, learning_rate, function):
    """A learnet optimizer from an instance or a name (``"momentum"``: SGD with 0.9)."""
    from learnet import optimizers

    if not isinstance(spec, str):
        if not hasattr(spec, "apply_gradients"):
            raise TypeError(f"{function}: {spec!r} is not an optimizer (it has no apply_gradients)")
        return spec
    key = spec.lower()
    if key == "sgd":
        return optimizers.SGD(learning_rate=learning_rate)
    if key == "momentum":
        return optimizers.SGD(learning_rate=learning_rate, momentum=0.9)
    if key == "rmsprop":
        return optimizers.RMSprop(learning_rate=learning_rate)
    if key == "adam":
        return optimizers.Adam(learning_rate=learning_rate)
    raise ValueError(
        f"{function}: unknown optimizer {spec!r}; use 'sgd', 'momentum', 'rmsprop', 'adam' "
        "or an optimizer from learnet.optimizers"
    )


def _optimizer_label(optimizer):
    name = type(optimizer).__name__
    parts = []
    rate = getattr(optimizer, "learning_rate", None)
    try:
        parts.append(f"learning rate {_number(rate):g}")
    except (TypeError, ValueError):
        pass  # a schedule: no single number to show
    momentum = getattr(optimizer, "momentum", 0)
    try:
        if _number(momentum):
            parts.append(f"momentum {_number(momentum):g}")
    except (TypeError, ValueError):
        pass
    return f"{name} ({', '.join(parts)})" if parts else name


def _descend(f, start, optimizer, steps, function):
    """Minimize ``f`` from ``start`` with ``optimizer``.

    Returns the points visited (``steps + 1`` rows unless it diverged), the value of
    ``f`` and its gradient at each.
    """
    start = np.atleast_1d(np.asarray(start, dtype=np.float64))
    variables = [Variable(float(v), name=f"x{i}") for i, v in enumerate(start)]
    points, values, slopes = [], [], []
    for step in range(steps + 1):
        with GradientTape() as tape:
            y = f(*variables)
        if not isinstance(y, Tensor):
            raise TypeError(
                f"{function}: f must compute with learnet ops and return a tensor, "
                f"got {type(y).__name__}"
            )
        if y.shape not in ((), (1,)):
            raise ValueError(f"{function}: f must return one number, got shape {tuple(y.shape)}")
        grads = tape.gradient(y, variables, unconnected_gradients="zero")  # flat along an unused input
        point = [_number(v) for v in variables]
        value, slope = _number(y), [_number(g) for g in grads]
        if not np.all(np.isfinite(point + [value] + slope)) or max(abs(p) for p in point) > 1e6:
            break  # diverged: the next points would be meaningless
        points.append(point)
        values.append(value)
        slopes.append(slope)
        if step < steps:
            optimizer.apply_gradients(zip(grads, variables))
    return np.array(points).reshape(-1, len(start)), np.array(values), np.array(slopes).reshape(-1, len(start))


def _evaluate(f, *grids):
    """``f`` on arrays of points: in one call when ``f`` is written with elementwise ops."""
    try:
        result = _array(f(*[constant(g, dtype="float32") for g in grids]))
        if result.shape == grids[0].shape:
            return result.astype(np.float64)
    except Exception:  # noqa: BLE001 - any failure: fall back to one point at a time
        pass
    flat = [g.ravel() for g in grids]
    values = [_number(f(*[constant(float(g[i])) for g in flat])) for i in range(flat[0].size)]
    return np.array(values).reshape(grids[0].shape)


def _around(values, share=0.15, least=0.5):
    """An axis range around ``values`` with a margin (``share`` of their span, at least ``least``)."""
    low, high = float(np.min(values)), float(np.max(values))
    margin = max(share * (high - low), least)
    return low - margin, high + margin


def _check_steps(steps, function):
    if not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"{function}: steps must be a non-negative integer, got {steps!r}")


def plot_descent_1d(f, start, learning_rate=0.1, steps=10, momentum=0.0, x_range=None,
                    tangents=12, save_path=None):
    """Draw a function, the steps of gradient descent on it, and the tangent at each step.

    Each step asks a ``GradientTape`` for the slope ``f'(x)`` and lets learnet's
    ``SGD`` optimizer move ``x`` downhill: ``x <- x - learning_rate * f'(x)`` (with
    momentum, the velocity remembers earlier steps).

    Parameters
    ----------
    f : callable
        A function of one scalar tensor written with learnet ops, e.g.
        ``lambda x: x ** 2`` or ``lambda x: tf.sin(x) + 0.1 * x ** 2``.
    start : float
        Where descent begins.
    learning_rate : float
        The step size.
    steps : int
        How many updates.
    momentum : float
        SGD's momentum (0: plain gradient descent).
    x_range : (float, float), optional
        The part of the x axis drawn (by default: the path with some margin).
    tangents : int or None
        Draw the tangent at the first ``tangents`` points of the path (``None``: at
        every point); later ones pile up near the minimum.
    save_path : optional
        A file to save the figure to.

    Returns
    -------
    matplotlib.figure.Figure
        The curve ``f(x)``, the path (numbered points), a short tangent line through
        each point, and ``f`` per step in a second panel.

    Examples
    --------
    >>> plot_descent_1d(lambda x: x ** 2, start=4.0, learning_rate=0.1, steps=10)  # doctest: +SKIP
    """
    from learnet import optimizers

    plt = _pyplot()
    _check_steps(steps, "plot_descent_1d")
    if np.ndim(start) != 0:
        raise ValueError(f"plot_descent_1d: start must be one number, got {start!r}")
    optimizer = optimizers.SGD(learning_rate=learning_rate, momentum=momentum)
    points, values, slopes = _descend(f, start, optimizer, steps, "plot_descent_1d")
    xs_path, slopes = points[:, 0], slopes[:, 0]
    diverged = len(xs_path) < steps + 1

    if x_range is None:
        x_range = _around(np.append(xs_path, float(start)))
    xs = np.linspace(x_range[0], x_range[1], 400)
    ys = _evaluate(f, xs)

    fig, (ax, ax_loss) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [2, 1]})
    ax.plot(xs, ys, color="0.45", linewidth=1.2, label="f(x)", gid="function")
    # The view follows the path; where the curve climbs higher it leaves the picture.
    y_low = min(np.nanmin(ys), values.min())
    y_high = min(values.max() + 0.25 * (values.max() - y_low), max(np.nanmax(ys), values.max())) + 1e-6
    x_span, y_span = x_range[1] - x_range[0], (y_high - y_low) or 1.0
    # A tangent of the same drawn length at every point, whatever its slope.
    count = len(xs_path) if tangents is None else min(int(tangents), len(xs_path))
    for i, (x0, y0, slope) in enumerate(zip(xs_path[:count], values, slopes)):
        half = 0.09 / math.hypot(1 / x_span, slope / y_span)
        ax.plot([x0 - half, x0 + half], [y0 - slope * half, y0 + slope * half], color="tab:orange",
                linewidth=2, gid="tangent", zorder=2.5,
                label="tangent (slope f'(x))" if i == 0 else "_nolegend_")
    ax.plot(xs_path, values, "o-", color=_WRONG, markersize=5, linewidth=1, label="gradient descent",
            gid="path", zorder=3)
    # Number the points, skipping those that would print over a number already there.
    numbered = []
    for i, (x0, y0) in enumerate(zip(xs_path, values)):
        here = np.array([x0 / x_span, y0 / y_span])
        if all(np.hypot(*(here - there)) > 0.045 for there in numbered):
            ax.annotate(str(i), (x0, y0), textcoords="offset points", xytext=(4, 6), fontsize=8)
            numbered.append(here)
    ax.set_xlim(*x_range)
    ax.set_ylim(y_low - 0.06 * y_span, y_high)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    what = f"learning rate {learning_rate:g}" + (f", momentum {momentum:g}" if momentum else "")
    ax.set_title(f"gradient descent, {what}" + (" (diverged)" if diverged else ""))
    ax.legend(loc="upper center", fontsize=8)
    ax.grid(alpha=0.3)

    ax_loss.plot(range(len(values)), values, "o-", color=_WRONG, markersize=4, gid="loss")
    ax_loss.set_xlabel("step")
    ax_loss.set_ylabel("f(x)")
    ax_loss.set_title("f(x) after each step")
    ax_loss.grid(alpha=0.3)
    fig.tight_layout()
    return _finish(fig, save_path)


def plot_descent_2d(f, start, optimizers=("sgd", "momentum", "rmsprop", "adam"), learning_rate=0.1,
                    steps=50, x_range=None, y_range=None, levels=20, save_path=None):
    """Draw contour lines of ``f(x, y)`` and the paths optimizers take across them.

    Parameters
    ----------
    f : callable
        A function of two scalar tensors written with learnet ops, e.g.
        ``lambda x, y: x ** 2 + 10 * y ** 2``.
    start : (float, float)
        Where every optimizer begins.
    optimizers : sequence
        Optimizers from ``learnet.optimizers`` (each used for this one path), or
        names: ``"sgd"``, ``"momentum"`` (SGD with momentum 0.9), ``"rmsprop"``,
        ``"adam"``, created with ``learning_rate``.
    learning_rate : float
        The learning rate of the optimizers given by name.
    steps : int
        Updates per optimizer.
    x_range, y_range : (float, float), optional
        The window drawn (by default: every path with some margin).
    levels : int
        Number of contour lines.
    save_path : optional
        A file to save the figure to.

    Returns
    -------
    matplotlib.figure.Figure
        Contour lines, one path per optimizer (labelled with its name and settings),
        the start marked with a black star.

    Examples
    --------
    >>> plot_descent_2d(lambda x, y: x ** 2 + 10 * y ** 2, start=(-4.0, 1.5),
    ...                 optimizers=["sgd", "adam"], learning_rate=0.05)  # doctest: +SKIP
    """
    plt = _pyplot()
    _check_steps(steps, "plot_descent_2d")
    start = np.asarray(start, dtype=np.float64)
    if start.shape != (2,):
        raise ValueError(f"plot_descent_2d: start must be two numbers (x, y), got {start.tolist()}")
    if isinstance(optimizers, str) or hasattr(optimizers, "apply_gradients"):
        optimizers = [optimizers]
    chosen = [_optimizer(o, learning_rate, "plot_descent_2d") for o in optimizers]
    if not chosen:
        raise ValueError("plot_descent_2d: give at least one optimizer")
    paths = []
    for optimizer in chosen:
        points, values, _ = _descend(f, start, optimizer, steps, "plot_descent_2d")
        paths.append((_optimizer_label(optimizer), points, len(points) < steps + 1))

    everything = np.concatenate([p for _, p, _ in paths] + [start[None]])
    x_range = tuple(x_range) if x_range is not None else _around(everything[:, 0])
    y_range = tuple(y_range) if y_range is not None else _around(everything[:, 1])
    gx, gy = np.meshgrid(np.linspace(*x_range, 160), np.linspace(*y_range, 160))
    gz = _evaluate(f, gx, gy)

    fig, ax = plt.subplots(figsize=(7.5, 6))
    finite = gz[np.isfinite(gz)]
    if finite.size and finite.min() >= 0 and finite.max() > 0:
        # Contours evenly spaced in log scale show the flat valley floor as well as the walls.
        floor = max(finite.min(), finite.max() * 1e-4)
        contour_levels = np.geomspace(floor, finite.max(), levels)
    else:
        contour_levels = levels
    ax.contour(gx, gy, gz, levels=contour_levels, colors="0.65", linewidths=0.7)
    colours = ["tab:red", "tab:blue", "tab:orange", "tab:purple", "tab:green", "tab:brown", "tab:pink"]
    for i, (label, points, diverged) in enumerate(paths):
        ax.plot(points[:, 0], points[:, 1], "o-", color=colours[i % len(colours)], markersize=3,
                linewidth=1.5, label=label + (" (diverged)" if diverged else ""), gid="path")
    ax.plot([start[0]], [start[1]], "*", color="black", markersize=14, label="start", gid="start")
    ax.set_xlim(*x_range)
    ax.set_ylim(*y_range)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(f"{steps} steps of each optimizer")
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return _finish(fig, save_path)


def _losses_of(result, function):
    if hasattr(result, "history") and isinstance(result.history, dict):
        result = result.history.get("loss")
        if result is None:
            raise ValueError(f"{function}: the History returned by train has no 'loss'")
    try:
        return np.array([_number(v) for v in result], dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{function}: train(learning_rate) must return a History or a list of losses, "
            f"got {type(result).__name__}"
        ) from error


def _plain_log_axis(ax):
    """A logarithmic y axis labelled with plain numbers (0.3, 2, 10) rather than 3x10^-1."""
    from matplotlib.ticker import FuncFormatter

    def label(value, _):
        if value <= 0:
            return ""
        mantissa = value / 10 ** math.floor(math.log10(value) + 1e-9)
        low, high = ax.get_ylim()
        short = low > 0 and math.log10(high / low) < 2  # room for 2, 3 and 5 between the powers of 10
        wanted = (1, 2, 3, 5) if short else (1,)
        if round(mantissa) in wanted and abs(mantissa - round(mantissa)) < 1e-6:
            return f"{value:g}"
        return ""

    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(label))
    ax.yaxis.set_minor_formatter(FuncFormatter(label))


def plot_learning_rates(problem, learning_rates=(0.01, 0.1, 0.5, 1.0), start=None, steps=30,
                        optimizer="sgd", log_scale=None, save_path=None):
    """Train the same problem with several learning rates and draw the loss of each.

    Two ways to say what is trained:

    * ``start`` given: ``problem`` is a function (of one scalar tensor, or of as many
      as ``start`` has numbers) that learnet's optimizer minimizes from ``start`` for
      ``steps`` steps. For a function of one number, a second panel shows the paths
      on its curve.
    * ``start`` not given: ``problem(learning_rate)`` trains something (a model, say)
      and returns what ``model.fit`` returns, or a list of losses.

    Parameters
    ----------
    problem : callable
        See above.
    learning_rates : sequence of float
        The learning rates to compare.
    start : float or sequence of float, optional
        Where minimizing ``problem`` begins.
    steps : int
        Steps per learning rate (with ``start``).
    optimizer : str
        With ``start``: ``"sgd"``, ``"momentum"``, ``"rmsprop"`` or ``"adam"``.
    log_scale : bool, optional
        A logarithmic loss axis (default: when every loss is positive).
    save_path : optional
        A file to save the figure to.

    Returns
    -------
    matplotlib.figure.Figure
        One line per learning rate, labelled ``learning rate 0.1``; a run whose loss
        blew up is cut where it became infinite and marked ``(diverged)``.

    Examples
    --------
    >>> plot_learning_rates(lambda x: x ** 2, [0.01, 0.1, 0.9, 1.1], start=3.0)  # doctest: +SKIP
    >>> def train(learning_rate):                                                 # doctest: +SKIP
    ...     model = make_model()
    ...     model.compile(optimizer=tf.optimizers.SGD(learning_rate), loss="mse")
    ...     return model.fit(x, y, epochs=5, verbose=0)
    >>> plot_learning_rates(train, [0.001, 0.01, 0.1])                            # doctest: +SKIP
    """
    plt = _pyplot()
    learning_rates = [float(r) for r in np.atleast_1d(learning_rates)]
    if not learning_rates or min(learning_rates) <= 0:
        raise ValueError(f"plot_learning_rates: learning rates must be positive, got {learning_rates}")
    if start is not None:
        _check_steps(steps, "plot_learning_rates")
    runs = []
    for rate in learning_rates:
        if start is None:
            losses = _losses_of(problem(rate), "plot_learning_rates")
            points = None
        else:
            chosen = _optimizer(optimizer, rate, "plot_learning_rates")
            points, losses, _ = _descend(problem, start, chosen, steps, "plot_learning_rates")
        finite = np.isfinite(losses)
        diverged = not finite.all() or (start is not None and len(losses) < steps + 1)
        cut = len(losses) if finite.all() else int(np.argmin(finite))
        runs.append((rate, losses[:cut], points, diverged))

    curve = start is not None and np.ndim(start) == 0
    fig, axes = plt.subplots(1, 2 if curve else 1, figsize=(11 if curve else 6.5, 4.2), squeeze=False)
    ax = axes[0, 0]
    colours = [plt.get_cmap("tab10")(i % 10) for i in range(len(runs))]
    first = 0 if start is not None else 1  # steps count from 0, epochs from 1
    for colour, (rate, losses, _, diverged) in zip(colours, runs):
        ax.plot(np.arange(first, first + len(losses)), losses, "o-", markersize=3, color=colour,
                label=f"learning rate {rate:g}" + (" (diverged)" if diverged else ""), gid="loss")
    kept = np.concatenate([r[1] for r in runs]) if runs else np.array([])
    if log_scale is None:
        log_scale = kept.size > 0 and kept.min() > 0
    if log_scale:
        _plain_log_axis(ax)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("step" if start is not None else "epoch")
    ax.set_ylabel("loss")
    ax.set_title("the same problem, several learning rates")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if curve:
        ax_curve = axes[0, 1]
        # Frame the runs that went downhill; one that blew up leaves the picture.
        tame = [r for r in runs if len(r[1]) and not r[3] and r[1][-1] <= r[1][0]] or runs
        path_x = np.concatenate([r[2][:, 0] for r in tame if len(r[2])] + [[float(start)]])
        xs = np.linspace(*_around(path_x), 300)
        ys = _evaluate(problem, xs)
        ax_curve.set_xlim(xs[0], xs[-1])
        ax_curve.set_ylim(ys.min() - 0.05 * np.ptp(ys), ys.max() + 0.05 * np.ptp(ys))
        ax_curve.plot(xs, ys, color="0.4", linewidth=2, label="f(x)", gid="function")
        for colour, (rate, losses, points, _) in zip(colours, runs):
            ax_curve.plot(points[:, 0], losses, "o-", markersize=3, color=colour, linewidth=1,
                          label=f"learning rate {rate:g}", gid="path")
        ax_curve.set_xlabel("x")
        ax_curve.set_ylabel("f(x)")
        ax_curve.set_title("the paths")
        ax_curve.grid(alpha=0.3)
    fig.tight_layout()
    return _finish(fig, save_path)


# --- live training curves ----------------------------------------------------------------
def _in_notebook():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


class PlotLosses(Callback):
    """A callback that redraws the training curves after every epoch, live in a notebook.

    In Jupyter the figure replaces itself each epoch. Elsewhere, give ``save_path``:
    the file is rewritten after every epoch (open it in an image viewer).

    Parameters
    ----------
    metrics : str or list of str, optional
        Which curves to draw, as in ``plot_history``; all by default.
    save_path : str or path-like, optional
        A file to rewrite after every epoch.

    Attributes
    ----------
    history : dict
        ``{"loss": [...], "val_loss": [...], ...}``: every value seen, one per epoch.
    figure : matplotlib.figure.Figure
        The latest drawing.

    Examples
    --------
    >>> from learnet.plot import PlotLosses
    >>> model.fit(x, y, epochs=10, validation_split=0.1, callbacks=[PlotLosses()])  # doctest: +SKIP
    """

    def __init__(self, metrics=None, save_path=None):
        super().__init__()
        _pyplot()  # fail now, not after the first epoch, if Matplotlib is missing
        self.metrics = metrics
        self.save_path = save_path
        self.history = {}
        self.figure = None
        self._epochs = {}  # name -> the epoch number of each value (1, 2, ...)
        self._seen = 0
        self._warned = False

    def on_epoch_end(self, epoch, logs=None):
        plt = _pyplot()
        self._seen += 1  # counted here so that a second fit() continues the curves
        for name, value in (logs or {}).items():
            try:
                value = _number(value)
            except (TypeError, ValueError):
                continue  # not a number (nothing to draw)
            self.history.setdefault(name, []).append(value)
            self._epochs.setdefault(name, []).append(self._seen)
        series = {name: (self._epochs[name], values) for name, values in self.history.items()}
        if not series:
            return
        metrics = self.metrics
        if metrics is not None:
            wanted = [metrics] if isinstance(metrics, str) else list(metrics)
            metrics = [m for m in wanted if m in series or "val_" + m in series]
        fig = _draw_history(series, metrics or None, f"after epoch {self._seen}", plt)
        _finish(fig, self.save_path)
        if _in_notebook():
            from IPython.display import clear_output, display

            clear_output(wait=True)
            display(fig)
        elif self.save_path is None and not self._warned:
            warn("PlotLosses draws in a Jupyter notebook; elsewhere give it save_path='curves.png'")
            self._warned = True
        # The figure is shown (or saved); closing it keeps pyplot from showing it again.
        plt.close(fig)
        self.figure = fig


from learnet.tape_plot import animate_backprop, plot_tape, trace_tape, trace_train_step  # noqa: E402,F401  (tape_plot uses this module's helpers)
