"""Images and what the network guessed: a grid of labelled images, the confusion matrix."""

import math
import numbers

import numpy as np

from learnet.plot._helpers import _RIGHT, _WRONG, _array, _bare, _class_ids, _finish, _grid, _label_text, _pyplot


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


def show_images(
    x,
    y_true=None,
    y_pred=None,
    class_names=None,
    max_images=25,
    ncols=None,
    errors_only=False,
    cmap="binary",
    title=None,
    save_path=None,
):
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
            title = f"guess (right answer): {wrong} of {n} wrong" + (f" ({len(index)} shown)" if len(index) < n else "")
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


def plot_confusion_matrix(y_true, y_pred, class_names=None, normalize=False, cmap="Blues", title=None, save_path=None):
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
