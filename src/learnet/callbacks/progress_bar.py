"""The progress bar: ``Progbar`` draws Keras' bar with tqdm, ``ProgbarLogger`` drives it from ``fit``."""

import shutil
import sys
import time
import warnings

import numpy as np

from learnet import keras_config
from learnet.callbacks.callback import Callback


def format_logs(logs):
    """Keras' way of printing logs: ``" - accuracy: 0.9312 - loss: 0.2345"`` (in the order the logs come, by name)."""
    parts = []
    for key, value in logs.items():
        if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
            value = float(value)
            parts.append(f" - {key}: {value:.4f}" if abs(value) > 1e-3 or value == 0 else f" - {key}: {value:.4e}")
    return "".join(parts)


def _format_time_per_step(seconds):
    if seconds >= 1:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


def _format_elapsed(seconds):
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, seconds = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{seconds:02d}s"


def _in_notebook():
    """Whether this code runs in a Jupyter (or Colab) kernel."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # noqa: BLE001 - any failure means: not in a notebook
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


def _interactive(stream):
    """Whether ``stream`` shows a progress bar redrawn in place (a terminal or a notebook,
    unless ``keras.config.disable_interactive_logging()`` asked for plain lines)."""
    if not keras_config.is_interactive_logging_enabled():
        return False
    if _in_notebook():
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _tqdm_class():
    # tqdm.auto draws a widget in a notebook and text in a terminal.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from tqdm.auto import tqdm
    return tqdm


_BAR_CLASS = None


def _bar_class():
    """A tqdm class whose bar format can show Keras' ``- loss: ...`` text as ``{metrics}``."""
    global _BAR_CLASS
    if _BAR_CLASS is None:
        base = _tqdm_class()

        class KerasBar(base):
            metrics = ""

            @property
            def format_dict(self):
                values = super().format_dict
                values["metrics"] = self.metrics
                return values

        _BAR_CLASS = KerasBar
    return _BAR_CLASS


class Progbar:
    """A Keras-style progress bar over ``target`` steps, drawn with tqdm.

    ``verbose=1`` draws ``12/469 [==>......] - ETA: 3s - loss: 0.4123``, redrawn
    at most ``interval`` seconds apart (about 10 times a second), and leaves the
    final line ``469/469 [======] - 3s 6ms/step - loss: 0.2345``. When the output
    is not a terminal or a notebook (a log file, a pipe), only that final line is
    written, as Keras does. ``verbose=2`` prints only the final line, without the
    bar: ``469/469 - 3s - 6ms/step - loss: 0.2345``. ``verbose=0`` prints nothing.

    Parameters
    ----------
    target : int or None
        Number of steps (None when unknown).
    verbose : int, default 1
    interval : float, default 0.1
        Least time in seconds between two redraws.
    stream : file-like, optional
        Where to write, ``sys.stdout`` by default (as Keras).
    """

    def __init__(self, target, verbose=1, interval=0.1, stream=None):
        self.target = None if target is None else int(target)
        self.verbose = verbose
        self.stream = stream if stream is not None else sys.stdout
        self.interval = interval
        self._start = time.perf_counter()
        self._last = self._start
        self._seen = 0
        self._bar = None
        if verbose == 1 and _interactive(self.stream):
            if self.target is None:
                bar_format = "{n_fmt}/Unknown - {elapsed}{metrics}"
            else:
                bar_format = "{n_fmt}/{total_fmt} [{bar:30}] - ETA: {remaining}{metrics}"
            # The size comes from shutil, which falls back to 80x24 where a terminal
            # reports none (tqdm would then draw nothing).
            size = shutil.get_terminal_size()
            # A notebook wraps long lines itself, so the bar there is not cut at 80 columns.
            columns = max(size.columns, 160) if _in_notebook() else size.columns
            self._bar = _bar_class()(
                total=self.target,
                file=self.stream,
                mininterval=interval,
                ascii=".>=",
                ncols=columns,
                nrows=size.lines,
                leave=False,
                bar_format=bar_format,
            )

    def update(self, current, logs=None):
        """Move the bar to step ``current`` (1-based), showing ``logs`` when it is redrawn."""
        self._seen = current
        bar = self._bar
        if bar is None:
            return
        now = time.perf_counter()
        if logs and now - self._last >= self.interval:
            bar.metrics = format_logs(logs)
            self._last = now
        bar.update(current - bar.n)

    def _final_line(self, logs):
        elapsed = time.perf_counter() - self._start
        per_step = _format_time_per_step(elapsed / max(self._seen, 1))
        target = self.target if self.target is not None else self._seen
        text = format_logs(logs or {})
        if self.verbose == 2:
            return f"{self._seen}/{target} - {_format_elapsed(elapsed)} - {per_step}{text}"
        done = int(30 * self._seen / target) if target else 30
        bar = "=" * done + ("." * (30 - done) if done < 30 else "")
        if 0 < done < 30:
            bar = bar[: done - 1] + ">" + bar[done:]
        return f"{self._seen}/{target} [{bar}] - {_format_elapsed(elapsed)} {per_step}{text}"

    def finish(self, logs=None):
        """Write the final line: steps, time taken, time per step and ``logs``."""
        line = self._final_line(logs)
        if self._bar is not None:
            # The live bar is trimmed to the terminal's width; the final line is printed whole.
            bar, self._bar = self._bar, None
            bar.leave = False
            bar.close()
        if self.verbose in (1, 2):
            print(line, file=self.stream, flush=True)

    def close(self):
        """Remove the bar without a final line (after an error)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _resolve_verbose(verbose):
    if verbose == "auto":
        return 1
    # True and False are 1 and 0, as Keras reads them (Hands-On: fit(..., verbose=False)).
    if not isinstance(verbose, (int, np.integer)) or verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    return int(verbose)


class ProgbarLogger(Callback):
    """Print a progress bar during ``fit``, ``evaluate`` and ``predict``.

    ``fit`` adds one by itself when ``verbose`` is not 0, so there is rarely a need to
    create one. With ``verbose=1`` (the default, ``"auto"``) each epoch shows a bar
    with the time left and the running loss and metrics; with ``verbose=2`` one line
    per epoch; with ``verbose=0`` nothing.
    """

    _chief_only = True  # under learnet.distribute, only rank 0 draws or writes

    def __init__(self):
        super().__init__()
        self.verbose = 1
        self.epochs = 1
        self.target = None
        self._progbar = None
        self._in_fit = False

    def set_params(self, params):
        super().set_params(params)
        self.verbose = _resolve_verbose(params.get("verbose", 1))
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _start(self):
        self._close()
        if self.verbose:
            self._progbar = Progbar(self.target, verbose=self.verbose)

    def _update(self, batch, logs):
        if self._progbar is not None:
            self._progbar.update(batch + 1, logs)

    def _finish(self, logs):
        if self._progbar is not None:
            self._progbar.finish(logs)
            self._progbar = None

    def _close(self):
        if self._progbar is not None:
            self._progbar.close()
            self._progbar = None

    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)
        self._start()

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finish(logs)

    def on_train_end(self, logs=None):
        self._close()
        self._in_fit = False

    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._start()

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._update(batch, logs)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._finish(logs)

    def on_predict_begin(self, logs=None):
        self._start()

    def on_predict_batch_end(self, batch, logs=None):
        self._update(batch, None)

    def on_predict_end(self, logs=None):
        self._finish(None)
