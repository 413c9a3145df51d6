"""Callbacks: code that ``fit``, ``evaluate`` and ``predict`` call at fixed moments.

A callback watches training (a progress bar, a CSV log), changes it (a new learning
rate, stopping early) or stores it (checkpoints). The names, arguments and defaults
are those of ``keras.callbacks``.

Examples
--------
>>> import learnet as keras
>>> stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=3,
...                                      restore_best_weights=True)
>>> model.fit(x, y, validation_split=0.2, epochs=100, callbacks=[stop])  # doctest: +SKIP
"""
import csv
import math
import os
import re
import shutil
import sys
import time
import warnings

import numpy as np

from learnet.warn import warn

__all__ = [
    "Callback", "CallbackList", "History", "HistoryDict", "ProgbarLogger", "EarlyStopping", "ModelCheckpoint",
    "LearningRateScheduler", "ReduceLROnPlateau", "TerminateOnNaN", "CSVLogger", "LambdaCallback",
    "TensorBoard",
]


class Callback:
    """Base class of callbacks: override the ``on_*`` methods you need.

    Attributes
    ----------
    model : Model
        The model being trained, set by ``fit`` before training begins.
    params : dict
        ``verbose``, ``epochs`` and ``steps`` (batches per epoch) of the run.

    Examples
    --------
    >>> class PrintLoss(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(f"epoch {epoch + 1}: loss {logs['loss']:.3f}")
    """

    def __init__(self):
        self.model = None
        self.params = {}
        self.validation_data = None

    def set_params(self, params):
        """Receive the run's parameters (``verbose``, ``epochs``, ``steps``)."""
        self.params = params

    def set_model(self, model):
        """Receive the model the callback works on."""
        self.model = model

    # Training
    def on_train_begin(self, logs=None):
        """Called once at the start of ``fit``."""

    def on_train_end(self, logs=None):
        """Called once at the end of ``fit``; ``logs`` hold the last epoch's values."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of each epoch (``epoch`` counts from 0)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of each epoch with its training and validation values."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before each training step (``batch`` counts from 0 in every epoch)."""

    def on_train_batch_end(self, batch, logs=None):
        """Called after each training step with the running loss and metrics."""

    # Keras' older names for the training batch hooks.
    def on_batch_begin(self, batch, logs=None):
        """Same as ``on_train_batch_begin`` (an older Keras name)."""

    def on_batch_end(self, batch, logs=None):
        """Same as ``on_train_batch_end`` (an older Keras name)."""

    # Evaluation
    def on_test_begin(self, logs=None):
        """Called at the start of ``evaluate`` (and of validation during ``fit``)."""

    def on_test_end(self, logs=None):
        """Called at the end of ``evaluate`` (and of validation during ``fit``)."""

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each evaluation step."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after each evaluation step."""

    # Prediction
    def on_predict_begin(self, logs=None):
        """Called at the start of ``predict``."""

    def on_predict_end(self, logs=None):
        """Called at the end of ``predict``."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each prediction step."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each prediction step; ``logs['outputs']`` holds the batch's outputs."""


_HOOKS = [
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
    "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
    "on_predict_batch_begin", "on_predict_batch_end",
]


def _overrides(callback, name):
    """Whether ``callback`` does something in hook ``name`` (so calling it is worth it)."""
    if name in vars(callback):  # a function given to LambdaCallback
        return True
    method = getattr(type(callback), name, None)
    return method is not None and method is not getattr(Callback, name)


class CallbackList:
    """Several callbacks called as one, in order, as ``fit`` does.

    Only the callbacks that override a hook are called for it, so the per-batch hooks
    cost nothing when no callback uses them.

    Parameters
    ----------
    callbacks : list of Callback, optional
    add_history : bool, default False
        Add a ``History`` callback if there is none.
    add_progbar : bool, default False
        Add a ``ProgbarLogger`` if there is none.
    model : Model, optional
    **params
        ``verbose``, ``epochs``, ``steps``: passed to every callback's ``set_params``.
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        if callbacks is None:
            callbacks = []
        elif isinstance(callbacks, Callback):
            callbacks = [callbacks]
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    "callbacks must be instances of learnet.callbacks.Callback, "
                    f"got {type(callback).__name__}"
                )
        if add_history and not any(isinstance(c, History) for c in self.callbacks):
            self.callbacks.append(History())
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            # The progress bar prints the logs after the other callbacks have added theirs.
            self.callbacks.append(ProgbarLogger())
        self.model = None
        self.params = {}
        self._refresh()
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def _refresh(self):
        self._active = {
            name: [getattr(c, name) for c in self.callbacks if _overrides(c, name)] for name in _HOOKS
        }
        # A callback that only overrides the old batch names still hears about batches.
        for callback in self.callbacks:
            if _overrides(callback, "on_batch_begin") and not _overrides(callback, "on_train_batch_begin"):
                self._active["on_train_batch_begin"].append(callback.on_batch_begin)
            if _overrides(callback, "on_batch_end") and not _overrides(callback, "on_train_batch_end"):
                self._active["on_train_batch_end"].append(callback.on_batch_end)

    def append(self, callback):
        """Add a callback at the end."""
        self.callbacks.append(callback)
        if self.model is not None:
            callback.set_model(self.model)
        callback.set_params(self.params)
        self._refresh()

    def set_params(self, params):
        self.params = params
        for callback in self.callbacks:
            callback.set_params(params)

    def set_model(self, model):
        self.model = model
        for callback in self.callbacks:
            callback.set_model(model)

    def close_progress_bars(self):
        """Remove any progress bar being drawn (when a run stops with an error)."""
        for callback in self.callbacks:
            if isinstance(callback, ProgbarLogger):
                callback._close()

    def wants(self, name):
        """Whether any callback does something in hook ``name``."""
        return bool(self._active[name])

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)

    def _call(self, name, *args):
        if args[-1] is None:              # every hook receives a logs dict, never None (as Keras)
            args = args[:-1] + ({},)
        for method in self._active[name]:
            method(*args)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call("on_train_batch_end", batch, logs)

    on_batch_begin = on_train_batch_begin
    on_batch_end = on_train_batch_end

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call("on_test_batch_end", batch, logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call("on_predict_batch_end", batch, logs)


# Keys of `history.history` under their other Keras names: tf.keras 2 logs the learning
# rate as "lr" (Keras 3: "learning_rate"); Keras 2.2 wrote "acc" for metrics=["accuracy"]
# and "mean_absolute_error" for metrics=["mae"]. Older course code reads those names.
_HISTORY_ALIASES = {
    "lr": "learning_rate", "learning_rate": "lr",
    "acc": "accuracy", "accuracy": "acc",
    "mae": "mean_absolute_error", "mean_absolute_error": "mae",
    "mse": "mean_squared_error", "mean_squared_error": "mse",
}


class HistoryDict(dict):
    """``history.history``: a plain dict that also answers to a key's other Keras name.

    ``history.history["lr"]`` finds the values logged as ``"learning_rate"`` (and back),
    ``"val_acc"`` those of ``"val_accuracy"``, ``"mean_absolute_error"`` those of
    ``"mae"``. Iterating, ``keys()`` and ``in`` show only the names actually logged.

    Examples
    --------
    >>> h = HistoryDict(learning_rate=[0.01], val_accuracy=[0.9])
    >>> h["lr"], h["val_acc"], "lr" in h
    ([0.01], [0.9], False)
    """

    def _alias(self, key):
        if not isinstance(key, str):
            return None
        prefix, name = ("val_", key[4:]) if key.startswith("val_") else ("", key)
        other = _HISTORY_ALIASES.get(name)
        return prefix + other if other is not None else None

    def __missing__(self, key):
        other = self._alias(key)
        if other is not None and dict.__contains__(self, other):
            return dict.__getitem__(self, other)
        raise KeyError(key)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default


class History(Callback):
    """Record the logs of every epoch; ``fit`` returns this object.

    Attributes
    ----------
    history : dict
        ``{"loss": [...], "accuracy": [...], "val_loss": [...], ...}``, one value per epoch.
        Older Keras names of a key find it too (``"lr"``, ``"acc"``, ``"val_acc"``; see
        ``HistoryDict``).
    epoch : list of int
        The epochs seen (counting from 0).

    Examples
    --------
    >>> history = model.fit(x, y, epochs=3)          # doctest: +SKIP
    >>> history.history["loss"]                       # doctest: +SKIP
    [0.52, 0.31, 0.27]
    """

    def __init__(self):
        super().__init__()
        self.history = HistoryDict()
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self


# --- the progress bar ---------------------------------------------------------------

def format_logs(logs):
    """Keras' way of printing logs: ``" - loss: 0.2345 - accuracy: 0.9312"``."""
    parts = []
    for key, value in logs.items():
        if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
            value = float(value)
            parts.append(f" - {key}: {value:.4f}" if abs(value) > 1e-3 or value == 0
                         else f" - {key}: {value:.4e}")
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
    """Whether ``stream`` shows a progress bar redrawn in place (a terminal or a notebook)."""
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
                total=self.target, file=self.stream, mininterval=interval, ascii=".>=",
                ncols=columns, nrows=size.lines, leave=False, bar_format=bar_format,
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
            bar = bar[:done - 1] + ">" + bar[done:]
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
    if isinstance(verbose, bool) or not isinstance(verbose, (int, np.integer)) or verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    return int(verbose)


class ProgbarLogger(Callback):
    """Print a progress bar during ``fit``, ``evaluate`` and ``predict``.

    ``fit`` adds one by itself when ``verbose`` is not 0, so there is rarely a need to
    create one. With ``verbose=1`` (the default, ``"auto"``) each epoch shows a bar
    with the time left and the running loss and metrics; with ``verbose=2`` one line
    per epoch; with ``verbose=0`` nothing.
    """

    _chief_only = True   # under learnet.distribute, only rank 0 draws or writes

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


# --- watching a monitored value -----------------------------------------------------

_MAXIMIZED = ("acc", "accuracy", "auc", "precision", "recall", "fmeasure", "f1")


def _is_maximized(monitor, model, mode, who):
    """Whether a larger value of ``monitor`` is better, following ``mode``."""
    if mode == "max":
        return True
    if mode == "min":
        return False
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name.endswith("loss"):
        return False
    for metric in getattr(model, "metrics", None) or []:
        if getattr(metric, "name", None) == name and getattr(metric, "_direction", None) in ("up", "down"):
            return metric._direction == "up"
    if any(word in name for word in _MAXIMIZED):
        return True
    if who == "EarlyStopping":
        raise ValueError(
            f"EarlyStopping received monitor={monitor!r}, but cannot tell whether it "
            "should be maximized or minimized: pass mode='max' or mode='min'"
        )
    return False


def _check_mode(mode, who):
    if mode not in ("auto", "min", "max"):
        warn(f"{who} mode {mode!r} is unknown, falling back to 'auto'")
        return "auto"
    return mode


def _get_learning_rate(model, who):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(f"{who} needs a compiled model whose optimizer has a 'learning_rate'")
    return float(np.asarray(optimizer.learning_rate))


def _set_learning_rate(model, value):
    model.optimizer.learning_rate = float(value)


class EarlyStopping(Callback):
    """Stop training when a monitored value has stopped improving.

    Parameters
    ----------
    monitor : str, default "val_loss"
        The value to watch, a key of the epoch logs.
    min_delta : float, default 0
        The least change that counts as an improvement.
    patience : int, default 0
        Epochs without improvement after which training stops.
    verbose : int, default 0
        1 prints a message when training stops or weights are restored.
    mode : {"auto", "min", "max"}, default "auto"
        Whether smaller or larger is better; ``"auto"`` infers it from the name
        (losses are minimized, accuracies maximized).
    baseline : float, optional
        Training stops if the value does not beat the baseline within ``patience``
        epochs.
    restore_best_weights : bool, default False
        At the end of training, put back the weights of the best epoch.
    start_from_epoch : int, default 0
        Epochs to wait before starting to watch (a warm-up).

    Examples
    --------
    >>> stop = EarlyStopping(monitor="loss", patience=3)
    >>> history = model.fit(x, y, epochs=10, callbacks=[stop])  # doctest: +SKIP
    >>> len(history.history["loss"])   # fewer than 10 if it stopped  # doctest: +SKIP
    4
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor = monitor
        self.min_delta = abs(min_delta)
        self.patience = patience
        self.verbose = verbose
        self.mode = _check_mode(mode, "EarlyStopping")
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0
        self._maximize = None

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def _is_improvement(self, value, reference):
        if reference is None:
            return True
        if self._maximize:
            return value - self.min_delta > reference
        return value + self.min_delta < reference

    def get_monitor_value(self, logs):
        value = (logs or {}).get(self.monitor)
        if value is None:
            warn(
                f"Early stopping conditioned on metric {self.monitor!r}, which is not available. "
                f"Available metrics are: {', '.join(logs or {})}")
        return value

    def on_epoch_end(self, epoch, logs=None):
        if self._maximize is None:
            self._maximize = _is_maximized(self.monitor, self.model, self.mode, "EarlyStopping")
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(Callback):
    """Save the model (or only its weights) during training.

    The file is written to a temporary file beside it and renamed, so an interrupted
    run always leaves the last complete checkpoint.

    Parameters
    ----------
    filepath : str or path-like
        Where to save; may hold ``{epoch:02d}`` and any log key, e.g.
        ``"ckpt-{epoch:02d}-{val_loss:.2f}.learnet"``.
    monitor : str, default "val_loss"
    verbose : int, default 0
    save_best_only : bool, default False
        Save only when ``monitor`` improves on the best value so far.
    save_weights_only : bool, default False
        ``model.save_weights`` instead of ``model.save``.
    mode : {"auto", "min", "max"}, default "auto"
    save_freq : "epoch" or int, default "epoch"
        Save after every epoch, or after every ``save_freq`` training batches.
    initial_value_threshold : float, optional
        With ``save_best_only``, the value the first save must beat.

    Examples
    --------
    >>> checkpoint = ModelCheckpoint("best.learnet", save_best_only=True)
    >>> model.fit(x, y, validation_split=0.2, epochs=10, callbacks=[checkpoint])  # doctest: +SKIP
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__()
        self.filepath = os.fspath(filepath)
        # A name that does not say what is saved is refused here, before training, rather
        # than after the first epoch's work (the {epoch}-style fields are left out of the check).
        from learnet import saving

        saving._check_save_name(re.sub(r"\{[^}]*\}", "", self.filepath), "ModelCheckpoint",
                                weights=save_weights_only)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        mode = _check_mode(mode, "ModelCheckpoint")
        if mode == "max" or (mode == "auto" and ("acc" in monitor or monitor.startswith("fmeasure"))):
            self._maximize = True
        else:
            self._maximize = False
        self.mode = mode
        if initial_value_threshold is not None:
            self.best = float(initial_value_threshold)
        else:
            self.best = -np.inf if self._maximize else np.inf
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, (int, np.integer)) or save_freq < 1
        ):
            raise ValueError(f"ModelCheckpoint: save_freq must be 'epoch' or a positive integer, got {save_freq!r}")
        self.save_freq = save_freq
        self._current_epoch = 0
        self._batches_seen = 0

    def _improved(self, current):
        return current > self.best if self._maximize else current < self.best

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_seen += 1
        if self._batches_seen % self.save_freq == 0:
            self._save_model(self._current_epoch, batch, logs or {})

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs or {})

    def _get_file_path(self, epoch, batch, logs):
        values = dict(logs)
        values["epoch"] = epoch + 1
        if batch is not None and "batch" not in logs:
            values["batch"] = batch + 1
        try:
            return self.filepath.format(**values)
        except KeyError as error:
            raise KeyError(
                f"ModelCheckpoint: the filepath {self.filepath!r} asks for {error}, which is not "
                f"in the logs (available: epoch{', batch' if batch is not None else ''}, {', '.join(logs)})"
            ) from None

    def _save_model(self, epoch, batch, logs):
        filepath = self._get_file_path(epoch, batch, logs)
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warn(
                    f"Can save best model only with {self.monitor} available, skipping.")
                return
            current = float(current)
            if not self._improved(current):
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                      f"{current:.5f}, saving model to {filepath}")
            self.best = current
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)


class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate at the start of every epoch.

    Parameters
    ----------
    schedule : callable
        ``schedule(epoch, lr)`` (or ``schedule(epoch)``) returning the new learning
        rate as a float; ``epoch`` counts from 0.
    verbose : int, default 0
        1 prints the learning rate set at each epoch.

    Examples
    --------
    >>> def halve_after_ten(epoch, lr):
    ...     return lr if epoch < 10 else lr * 0.5
    >>> scheduler = LearningRateScheduler(halve_after_ten)
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler needs a function, got {type(schedule).__name__}")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        lr = _get_learning_rate(self.model, "LearningRateScheduler")
        try:
            lr = self.schedule(epoch, lr)
        except TypeError:  # a schedule of the epoch alone, as older Keras allowed
            lr = self.schedule(epoch)
        if hasattr(lr, "numpy"):
            lr = lr.numpy()
        try:
            lr = float(lr)
        except (TypeError, ValueError):
            raise ValueError(
                f"LearningRateScheduler: the schedule must return a number, got {lr!r}"
            ) from None
        if not math.isfinite(lr):
            raise ValueError(f"LearningRateScheduler: the schedule returned {lr} at epoch {epoch}")
        _set_learning_rate(self.model, lr)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _get_learning_rate(self.model, "LearningRateScheduler")


class ReduceLROnPlateau(Callback):
    """Lower the learning rate when a monitored value has stopped improving.

    Parameters
    ----------
    monitor : str, default "val_loss"
    factor : float, default 0.1
        The learning rate is multiplied by it (``new_lr = lr * factor``); below 1.
    patience : int, default 10
        Epochs without improvement before the rate is lowered.
    verbose : int, default 0
    mode : {"auto", "min", "max"}, default "auto"
    min_delta : float, default 1e-4
        The least change that counts as an improvement.
    cooldown : int, default 0
        Epochs to wait after lowering before watching again.
    min_lr : float, default 0
        The learning rate is never lowered below it.

    Examples
    --------
    >>> reduce_lr = ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=5, min_lr=0.001)
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        super().__init__()
        if "epsilon" in kwargs:  # the old Keras name of min_delta
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau got unexpected arguments: {', '.join(kwargs)}")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0, got {factor}")
        self.monitor = monitor
        self.factor = factor
        self.min_lr = min_lr
        self.min_delta = min_delta
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.mode = _check_mode(mode, "ReduceLROnPlateau")
        self.cooldown_counter = 0
        self.wait = 0
        self.best = 0
        self._reset()

    def _reset(self):
        if self.mode == "min" or (self.mode == "auto" and "acc" not in self.monitor):
            self._maximize = False
            self.best = np.inf
        else:
            self._maximize = True
            self.best = -np.inf
        self.cooldown_counter = 0
        self.wait = 0

    def _improved(self, current):
        if self._maximize:
            return current > self.best + self.min_delta
        return current < self.best - self.min_delta

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        old_lr = _get_learning_rate(self.model, "ReduceLROnPlateau")
        logs["learning_rate"] = old_lr
        current = logs.get(self.monitor)
        if current is None:
            warn(
                f"Learning rate reduction is conditioned on metric {self.monitor!r}, which is not "
                f"available. Available metrics are: {', '.join(logs)}.")
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(current):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and old_lr > np.float32(self.min_lr):
                new_lr = max(old_lr * self.factor, self.min_lr)
                _set_learning_rate(self.model, new_lr)
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
                self.cooldown_counter = self.cooldown
                self.wait = 0


class TerminateOnNaN(Callback):
    """Stop training as soon as the loss becomes NaN or infinite.

    Examples
    --------
    >>> model.fit(x, y, callbacks=[TerminateOnNaN()])  # doctest: +SKIP
    Batch 3: Invalid loss, terminating training
    """

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class CSVLogger(Callback):
    """Write each epoch's logs as a row of a CSV file.

    Parameters
    ----------
    filename : str or path-like
    separator : str, default ","
    append : bool, default False
        Add to an existing file instead of overwriting it (for resumed training).

    Examples
    --------
    >>> logger = CSVLogger("training.csv")
    >>> model.fit(x, y, epochs=3, callbacks=[logger])  # doctest: +SKIP
    >>> print(open("training.csv").read())              # doctest: +SKIP
    epoch,loss
    0,0.52...
    """

    _chief_only = True   # under learnet.distribute, only rank 0 draws or writes

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, encoding="utf-8") as existing:
                    self.append_header = not bool(existing.readline())
            mode = "a"
        else:
            mode = "w"
        self.csv_file = open(self.filename, mode, newline="", encoding="utf-8")  # noqa: SIM115 - open for the whole run
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            # With validation_freq > 1 the first epoch has no validation values yet;
            # their columns are added now and hold "NA" where validation did not run.
            if self.params.get("do_validation") and not any(k.startswith("val_") for k in self.keys):
                self.keys += [f"val_{k}" for k in self.keys if k != "learning_rate"]
        if self.csv_file is None:
            self.on_train_begin()
        if self.writer is None:
            self.writer = csv.DictWriter(
                self.csv_file, fieldnames=["epoch"] + self.keys, delimiter=self.sep,
                extrasaction="ignore",
            )
            if self.append_header:
                self.writer.writeheader()

        def text(value):
            if isinstance(value, (str, bytes)):
                return value
            if isinstance(value, (list, tuple, np.ndarray)):
                return f'[{", ".join(map(str, np.ravel(value)))}]'
            return value

        row = {"epoch": epoch}
        row.update((key, text(logs[key]) if key in logs else "NA") for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None:
            self.csv_file.close()
        self.csv_file = None
        self.writer = None


class LambdaCallback(Callback):
    """A callback made of plain functions, for small jobs.

    Parameters
    ----------
    on_epoch_begin, on_epoch_end : callable, optional
        ``f(epoch, logs)``.
    on_train_begin, on_train_end : callable, optional
        ``f(logs)``.
    on_train_batch_begin, on_train_batch_end : callable, optional
        ``f(batch, logs)`` (also accepted as ``on_batch_begin``/``on_batch_end``).
    **kwargs
        Any other hook by its name, e.g. ``on_test_end=f``.

    Examples
    --------
    >>> losses = []
    >>> keep_loss = LambdaCallback(on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]))
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        hooks = dict(kwargs)
        if "on_batch_begin" in hooks and on_train_batch_begin is None:
            on_train_batch_begin = hooks.pop("on_batch_begin")
        if "on_batch_end" in hooks and on_train_batch_end is None:
            on_train_batch_end = hooks.pop("on_batch_end")
        hooks.update(
            on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
            on_train_begin=on_train_begin, on_train_end=on_train_end,
            on_train_batch_begin=on_train_batch_begin, on_train_batch_end=on_train_batch_end,
        )
        for name, function in hooks.items():
            if name not in _HOOKS:
                raise TypeError(f"LambdaCallback got an unknown hook {name!r}")
            if function is None:
                continue
            if not callable(function):
                raise TypeError(f"LambdaCallback: {name} must be a function, got {type(function).__name__}")
            setattr(self, name, function)




# --- TensorBoard: event files of scalars (and weight histograms) -------------------------------------
class _EventFileWriter:
    """Scalars and histograms in an ``events.out.tfevents.*`` file, written by tensorboardX."""

    def __init__(self, folder):
        try:
            from tensorboardX import SummaryWriter
        except ImportError:
            raise ImportError(
                "the TensorBoard callback writes its event files with tensorboardX; install it with "
                "pip install 'learnet[tensorboard]' (or pip install tensorboardX)"
            ) from None
        self._writer = SummaryWriter(log_dir=os.fspath(folder), filename_suffix=".learnet")

    def scalars(self, values, step):
        for tag, value in values.items():
            self._writer.add_scalar(tag, float(value), global_step=int(step))

    def histograms(self, arrays, step):
        for tag, array in arrays.items():
            if np.size(array):
                self._writer.add_histogram(tag, np.asarray(array, dtype=np.float64), global_step=int(step),
                                           bins=30)

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.close()


class TensorBoard(Callback):
    """Write the training curves to event files that TensorBoard shows (``tensorboard --logdir``).

    As in Keras, ``log_dir/train`` receives the training values (``epoch_loss``,
    ``epoch_accuracy``, ...) and ``log_dir/validation`` the validation values, one point
    per epoch; ``update_freq="batch"`` (or a number of batches) adds ``batch_*`` points,
    ``histogram_freq=n`` the distribution of every weight each ``n`` epochs.

    learnet writes scalars and histograms; it has no TensorFlow graph to draw, so
    ``write_graph``, ``write_images`` and ``profile_batch`` change nothing.

    Parameters
    ----------
    log_dir : str or path-like, default "logs"
    histogram_freq : int, default 0
    write_graph, write_images, write_steps_per_second, profile_batch, embeddings_freq,
    embeddings_metadata : accepted for compatibility
    update_freq : "epoch", "batch" or int, default "epoch"

    Examples
    --------
    >>> tensorboard_cb = TensorBoard("my_logs/run_1")
    >>> model.fit(x, y, epochs=10, validation_split=0.1, callbacks=[tensorboard_cb])  # doctest: +SKIP
    """

    _chief_only = True   # under learnet.distribute, only rank 0 draws or writes

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None, **kwargs):
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, (int, np.integer)) or histogram_freq < 0:
            raise ValueError(f"TensorBoard: histogram_freq must be a non-negative integer, got {histogram_freq!r}")
        self.histogram_freq = int(histogram_freq)
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (
            isinstance(update_freq, bool) or not isinstance(update_freq, (int, np.integer)) or update_freq < 1
        ):
            raise ValueError(f"TensorBoard: update_freq must be 'epoch', 'batch' or a positive integer, got {update_freq!r}")
        self.update_freq = update_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self._writers = {}
        self._batches_seen = 0

    def _writer(self, name):
        if name not in self._writers:
            self._writers[name] = _EventFileWriter(os.path.join(self.log_dir, name))
        return self._writers[name]

    def on_train_begin(self, logs=None):
        self._batches_seen = 0

    def on_train_batch_end(self, batch, logs=None):
        self._batches_seen += 1
        if self.update_freq != "epoch" and self._batches_seen % self.update_freq == 0:
            values = {f"batch_{k}": v for k, v in (logs or {}).items() if _is_number(v)}
            if values:
                self._writer("train").scalars(values, self._batches_seen)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        train = {f"epoch_{k}": v for k, v in logs.items() if not k.startswith("val_") and _is_number(v)}
        validation = {f"epoch_{k[4:]}": v for k, v in logs.items() if k.startswith("val_") and _is_number(v)}
        if train:
            self._writer("train").scalars(train, epoch)
        if validation:
            self._writer("validation").scalars(validation, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0 and self.model is not None:
            weights = {variable.name: variable.numpy() for variable in self.model.weights}
            self._writer("train").histograms(weights, epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}


def _is_number(value):
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return np.size(value) == 1
