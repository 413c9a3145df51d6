"""``CallbackList``: several callbacks called as one, as ``fit``, ``evaluate`` and ``predict`` do."""

from learnet.callbacks.callback import _HOOKS, Callback, _overrides
from learnet.callbacks.history import History
from learnet.callbacks.progress_bar import ProgbarLogger


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
                    f"callbacks must be instances of learnet.callbacks.Callback, got {type(callback).__name__}"
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
        self._active = {name: [getattr(c, name) for c in self.callbacks if _overrides(c, name)] for name in _HOOKS}
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
        if args[-1] is None:  # every hook receives a logs dict, never None (as Keras)
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
