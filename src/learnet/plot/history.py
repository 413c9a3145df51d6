"""Training curves: the loss and each metric per epoch, from what ``model.fit`` returns."""

import math

from learnet.plot._helpers import _finish, _number, _pyplot


def _history_series(history, function):
    """``{name: (epochs, values)}`` from a History or a dict of lists."""
    if hasattr(history, "history") and isinstance(history.history, dict):
        epochs = getattr(history, "epoch", None)
        history = history.history
    elif isinstance(history, dict):
        epochs = None
    else:
        raise TypeError(
            f"{function} expects a History (what model.fit returns) or a dict of lists, got {type(history).__name__}"
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
    for ax in axes[len(names) :]:
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
