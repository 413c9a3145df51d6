"""Live training curves: the ``PlotLosses`` callback, redrawn after every epoch."""

from learnet.callbacks import Callback
from learnet.plot._helpers import _finish, _number, _pyplot
from learnet.plot.history import _draw_history
from learnet.warn import warn


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
