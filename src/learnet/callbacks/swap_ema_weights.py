"""``SwapEMAWeights``: evaluate (and checkpoint) with the optimizer's moving averages of the weights."""

from learnet.callbacks.callback import Callback


class SwapEMAWeights(Callback):
    """Put the optimizer's moving averages (EMA) of the weights in the model while it is
    evaluated, and the trained weights back afterwards.

    The optimizer must keep the averages: create it with ``use_ema=True``. Validation
    during ``fit``, ``evaluate`` and ``predict`` then see the averaged weights, which
    often generalize better, while training goes on from the trained ones. The values are
    swapped in place; do not change the weights or the averages in other callbacks meanwhile.

    Parameters
    ----------
    swap_on_epoch : bool, default False
        Also hold the averages in the model from the end of each epoch to the start of
        the next, so that callbacks after this one (``ModelCheckpoint``) see them. After
        the last epoch the model keeps the averages.

    Examples
    --------
    >>> import learnet as keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer=keras.optimizers.SGD(use_ema=True), loss="mse")
    >>> model.fit(x, y, validation_split=0.2, callbacks=[SwapEMAWeights()])  # doctest: +SKIP

    Notes
    -----
    Keras 3's ``on_predict_end`` leaves the averages in the model after ``predict``
    (its test is the wrong way round); here the trained weights come back, as they do
    after evaluation.
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _optimizer(self):
        optimizer = getattr(self.model, "optimizer", None)
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # a loss-scale wrapper holds the real one
        if not getattr(optimizer, "use_ema", False):
            raise ValueError(
                "SwapEMAWeights must be used when `use_ema=True` is set on the optimizer. "
                f"Received: use_ema={getattr(optimizer, 'use_ema', None)} "
                f"(optimizer {type(optimizer).__name__})"
            )
        return optimizer

    def _swap_variables(self):
        for variable, average in self._optimizer()._ema_pairs():
            trained = variable.numpy()
            variable.assign(average)
            average.assign(trained)

    def _finalize_ema_values(self):
        # The model holds the averages: copy them back, so that fit's final
        # finalize_variable_values puts these same values in the model.
        for variable, average in self._optimizer()._ema_pairs():
            average.assign(variable)

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True
            if epoch == self.params.get("epochs", 0) - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_test_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_predict_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_predict_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False
