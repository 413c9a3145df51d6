"""``Callback``: the base class, its hooks, and which hooks a callback overrides."""


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
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_begin",
    "on_test_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_begin",
    "on_predict_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
]


def _overrides(callback, name):
    """Whether ``callback`` does something in hook ``name`` (so calling it is worth it)."""
    if name in vars(callback):  # a function given to LambdaCallback
        return True
    method = getattr(type(callback), name, None)
    return method is not None and method is not getattr(Callback, name)
