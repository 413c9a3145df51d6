"""``LambdaCallback``: a callback made of plain functions."""

from learnet.callbacks.callback import _HOOKS, Callback


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

    def __init__(
        self,
        on_epoch_begin=None,
        on_epoch_end=None,
        on_train_begin=None,
        on_train_end=None,
        on_train_batch_begin=None,
        on_train_batch_end=None,
        **kwargs,
    ):
        super().__init__()
        hooks = dict(kwargs)
        if "on_batch_begin" in hooks and on_train_batch_begin is None:
            on_train_batch_begin = hooks.pop("on_batch_begin")
        if "on_batch_end" in hooks and on_train_batch_end is None:
            on_train_batch_end = hooks.pop("on_batch_end")
        hooks.update(
            on_epoch_begin=on_epoch_begin,
            on_epoch_end=on_epoch_end,
            on_train_begin=on_train_begin,
            on_train_end=on_train_end,
            on_train_batch_begin=on_train_batch_begin,
            on_train_batch_end=on_train_batch_end,
        )
        for name, function in hooks.items():
            if name not in _HOOKS:
                raise TypeError(f"LambdaCallback got an unknown hook {name!r}")
            if function is None:
                continue
            if not callable(function):
                raise TypeError(f"LambdaCallback: {name} must be a function, got {type(function).__name__}")
            setattr(self, name, function)
