"""Callbacks that steer training: stop it (``EarlyStopping``, ``TerminateOnNaN``) or set its
learning rate (``LearningRateScheduler``, ``ReduceLROnPlateau``)."""

import math

import numpy as np

from learnet.callbacks.callback import Callback
from learnet.warn import warn

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

    def __init__(
        self,
        monitor="val_loss",
        min_delta=0,
        patience=0,
        verbose=0,
        mode="auto",
        baseline=None,
        restore_best_weights=False,
        start_from_epoch=0,
    ):
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
                f"Available metrics are: {', '.join(logs or {})}"
            )
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
            raise ValueError(f"LearningRateScheduler: the schedule must return a number, got {lr!r}") from None
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

    def __init__(
        self,
        monitor="val_loss",
        factor=0.1,
        patience=10,
        verbose=0,
        mode="auto",
        min_delta=1e-4,
        cooldown=0,
        min_lr=0.0,
        **kwargs,
    ):
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
                f"available. Available metrics are: {', '.join(logs)}."
            )
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
