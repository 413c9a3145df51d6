"""``History``: the logs of every epoch, which ``fit`` returns (``history.history``)."""

from learnet.callbacks.callback import Callback

# Keys of `history.history` under their other Keras names: tf.keras 2 logs the learning
# rate as "lr" (Keras 3: "learning_rate"); Keras 2.2 wrote "acc" for metrics=["accuracy"]
# and "mean_absolute_error" for metrics=["mae"]. Older course code reads those names.
_HISTORY_ALIASES = {
    "lr": "learning_rate",
    "learning_rate": "lr",
    "acc": "accuracy",
    "accuracy": "acc",
    "mae": "mean_absolute_error",
    "mean_absolute_error": "mae",
    "mse": "mean_squared_error",
    "mean_squared_error": "mse",
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
