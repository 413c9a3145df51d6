"""``Model``: layers grouped into one trainable whole, with ``compile``/``fit``/``evaluate``/``predict``.

There are three ways to make one, as in Keras:

* ``Sequential([...])``: a stack of layers (see ``sequential.py``);
* the functional API, ``Model(inputs, outputs)`` from ``Input`` and layer calls
  (see ``functional.py``);
* a subclass: layers as attributes (tracked automatically) and a ``call``::

      class MyModel(Model):
          def __init__(self):
              super().__init__()
              self.hidden = layers.Dense(64, activation="relu")
              self.out = layers.Dense(10, activation="softmax")

          def call(self, inputs, training=None):
              return self.out(self.hidden(inputs))

The training step is the loop a user would write by hand (``train_step``)::

    with GradientTape() as tape:
        y_pred = self(x, training=True)
        loss = self.compute_loss(x, y, y_pred)      # compiled loss + sum(self.losses)
    grads = tape.gradient(loss, self.trainable_weights)
    self.optimizer.apply_gradients(zip(grads, self.trainable_weights))

``fit`` only adds batching, metrics and callbacks around it. ``evaluate`` and
``predict`` run without any tape recording, so inference builds no graph.
"""

import contextlib
import inspect
import json
import numbers
import warnings
from typing import Any

import numpy as np

from learnet import backend
from learnet import callbacks as callbacks_module
from learnet import distribute, keras_config
from learnet import metrics as metrics_module
from learnet import optimizers as optimizers_module
from learnet.layers import quantization
from learnet.layers.base import KerasTensor, Layer, _as_tuples
from learnet.models import data_adapter
from learnet.models.compile_utils import LossesContainer, MetricsContainer
from learnet.models.data_adapter import unpack_x_y_sample_weight
from learnet.ops.shape import expand_dims, squeeze
from learnet.control import as_in_function
from learnet.tape import GradientTape, no_recording
from learnet.tensor import Tensor
from learnet.tree import flatten, map_shapes, map_structure


def _is_functional_call(args, kwargs):
    return len(args) == 2 or ("inputs" in kwargs and "outputs" in kwargs) or (len(args) == 1 and "outputs" in kwargs)


def _scalar(value):
    """A metric result (tensor, array, number) as a Python float, or as an array if not scalar."""
    if isinstance(value, Tensor):
        value = value._value
    array = np.asarray(backend.to_numpy(value) if not isinstance(value, (int, float)) else value)
    if array.ndim == 0 or array.size == 1:
        return float(array.reshape(()))
    return array


def _python_logs(logs):
    """Logs with Python floats (nested dicts flattened), as callbacks receive them: in the order
    of their names, as Keras 3 gives them (``accuracy, loss, val_accuracy, val_loss``)."""
    result = {}
    for key, value in (logs or {}).items():
        if isinstance(value, dict):
            result.update(_python_logs(value))
        else:
            result[key] = _scalar(value)
    return dict(sorted(result.items()))


def _refuse_unknown(kwargs, who):
    """Keras' arguments for its input pipelines are accepted and ignored; any other is a mistake."""
    for old in ("max_queue_size", "workers", "use_multiprocessing"):
        kwargs.pop(old, None)
    if kwargs:
        raise TypeError(f"{who} got unexpected keyword argument(s) {sorted(kwargs)}")


def _check_int(value, name, who, minimum=0):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{who}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


class _CompileState:
    """What ``compile`` set up. Kept in one plain object, so scanning the model's attributes
    for layers and weights never walks into the optimizer or the metrics."""

    def __init__(self, optimizer, loss, metrics, loss_tracker, config):
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
        self.loss_tracker = loss_tracker
        self.config = config
        self.validated_shapes = {}  # input shapes -> output shapes, from a one-sample probe
        # While fit runs, the list of trainable weights is fixed (as in Keras, where it is
        # captured when training starts): looked up once, not rescanned at every step.
        self.trainable_during_fit = None
        # (metrics made so far, the layers' metrics) while fit runs: see Model._layer_metrics.
        self.layer_metrics_during_fit = None


class Model(Layer):
    """A network: layers with ``compile``, ``fit``, ``evaluate``, ``predict``, ``summary``, ``save``.

    ``Model(inputs, outputs)`` builds a functional model; ``class MyModel(Model)`` with
    ``call`` a subclassed one (see the module docstring).

    Parameters
    ----------
    inputs, outputs : KerasTensor or list/dict of them, optional
        For the functional API.
    name : str, optional
    trainable : bool, default True

    Examples
    --------
    >>> from learnet import layers, Model, Input
    >>> inputs = Input(shape=(4,))
    >>> outputs = layers.Dense(1, activation="sigmoid")(inputs)
    >>> model = Model(inputs, outputs)
    >>> model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    """

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild a model from ``get_config()``; ``custom_objects`` names your own layer classes."""
        if isinstance(config, dict) and "layers" in config and "input_layers" in config:
            from learnet.models.functional import Functional

            return Functional.from_config.__func__(cls, config, custom_objects)
        return cls(**config)

    def __new__(cls, *args, **kwargs):
        if cls is Model and _is_functional_call(args, kwargs):
            from learnet.models.functional import Functional

            return Layer.__new__(Functional, *args, **kwargs)
        return Layer.__new__(cls, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        if _is_functional_call(args, kwargs):
            from learnet.models.functional import Functional, functional_subclass

            if not isinstance(self, Functional):
                # A subclass that calls super().__init__(inputs, outputs), as Keras allows.
                self.__class__ = functional_subclass(type(self))
            Functional.__init__(self, *args, **kwargs)
            return
        if args:
            raise TypeError(
                f"{type(self).__name__}() takes inputs and outputs (the functional API) or keyword "
                f"arguments such as name=...; got {len(args)} positional argument(s)"
            )
        self._init_model(**kwargs)

    def _init_model(self, name=None, trainable=True, dtype=None, **kwargs):
        Layer.__init__(self, trainable=trainable, name=name, dtype=dtype, **kwargs)
        self._compile_state = None
        self.stop_training = False
        self.history = None
        self._distribute_strategy = distribute.get_strategy() if distribute.has_strategy() else None

    @property
    def distribute_strategy(self):
        """The ``learnet.distribute`` strategy the model was made or compiled in (else the default)."""
        strategy = self.__dict__.get("_distribute_strategy")
        return strategy if strategy is not None else distribute.get_strategy()

    def call(self, inputs, training=None):
        """The forward pass of a subclassed model: override it."""
        raise NotImplementedError(
            f"{type(self).__name__} is a Model subclass without a call() method; define "
            "call(self, inputs, training=None) returning the outputs"
        )

    # --- building --------------------------------------------------------------------------
    def _maybe_build(self, input_shape):
        if self.built:
            return
        if type(self).build is Model.build:
            # A subclassed model builds as its call runs: each layer builds on first use.
            self._build_input_shape = input_shape
            self.built = True
            return
        super()._maybe_build(input_shape)

    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch axis first, may be None).

        A subclassed model runs ``call`` once on zeros of that shape, so every layer
        builds; afterwards ``summary`` and ``count_params`` work.
        """
        if self.built and self.weights:
            return

        def zeros(shape):
            shape = tuple(1 if s is None else int(s) for s in shape)
            return Tensor._wrap(np.zeros(shape, dtype=self.dtype))

        shapes = input_shape
        single = isinstance(shapes, (tuple, list)) and all(s is None or isinstance(s, numbers.Integral) for s in shapes)
        dummy = zeros(shapes) if single else map_shapes(zeros, shapes)
        with no_recording():
            self._build_input_shape = input_shape
            self.built = True
            try:
                self(dummy, training=False)
            except Exception:
                self.built = False
                raise

    def build_from_config(self, config):
        """Build from ``get_build_config()`` (when loading): runs ``build`` on that input shape."""
        if config and config.get("input_shape") is not None and not (self.built and self.weights):
            self.built = False
            self.build(_as_tuples(config["input_shape"]))

    @property
    def trainable_weights(self):
        """The weights that training updates (fixed for the duration of a ``fit``)."""
        state = self.__dict__.get("_compile_state")
        if state is not None and state.trainable_during_fit is not None:
            return state.trainable_during_fit
        return Layer.trainable_weights.fget(self)

    trainable_variables = trainable_weights

    # --- compile ---------------------------------------------------------------------------
    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        metrics: Any = None,
        loss_weights: Any = None,
        weighted_metrics: Any = None,
        run_eagerly: bool | None = None,
        steps_per_execution: int = 1,
        jit_compile: bool | None = None,
        auto_scale_loss: bool = True,
        **kwargs: Any,
    ) -> None:
        """Choose the optimizer, the loss and the metrics for training.

        Parameters
        ----------
        optimizer : str or Optimizer, default "rmsprop"
        loss : str, Loss, function, or a list/dict of them (one per output), optional
        metrics : list, optional
            Names (``"accuracy"``, ``"mae"``...), metric objects or functions; a dict or
            list of lists to give each output its own.
        loss_weights : list or dict, optional
            Weights of the outputs' losses in the total.
        weighted_metrics : list, optional
            Metrics that take ``sample_weight`` into account.
        run_eagerly, steps_per_execution, jit_compile, auto_scale_loss
            Accepted for compatibility; learnet always runs eagerly, one step at a time.

        Examples
        --------
        >>> model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
        ...               metrics=["accuracy"])                            # doctest: +SKIP
        """
        for old in ("sample_weight_mode", "target_tensors", "distribute", "experimental_run_tf_function"):
            kwargs.pop(old, None)
        if kwargs:
            raise TypeError(f"compile got unexpected keyword argument(s) {sorted(kwargs)}")
        if isinstance(metrics, metrics_module.Metric):
            metrics = [metrics]  # one Metric object, as tf.keras 2 accepted
        if metrics is not None and not isinstance(metrics, (list, tuple, dict)):
            raise TypeError(
                f"compile: metrics must be a list (or a dict per output), got {type(metrics).__name__}; "
                f"write metrics=[{metrics!r}]"
            )
        resolved_optimizer = optimizers_module.get(optimizer)
        if distribute.has_strategy():
            self._distribute_strategy = distribute.get_strategy()
        strategy = self.__dict__.get("_distribute_strategy")
        if strategy is not None and getattr(resolved_optimizer, "_distribute_strategy", None) is None:
            resolved_optimizer._distribute_strategy = strategy  # its updates sum the processes' gradients
        loss_tracker = metrics_module.Mean(name="loss")
        loss_container = LossesContainer(loss, loss_weights, loss_tracker) if loss is not None else None
        metrics_container = MetricsContainer(metrics, weighted_metrics, loss_container)
        config = {
            "optimizer": optimizer,
            "loss": loss,
            "metrics": metrics,
            "loss_weights": loss_weights,
            "weighted_metrics": weighted_metrics,
        }
        self._compile_state = _CompileState(resolved_optimizer, loss_container, metrics_container, loss_tracker, config)
        if loss is not None:  # as Keras 3: compile sets `loss` to its own, and keeps one set before without
            self.__dict__.pop("_assigned_loss", None)
        self.stop_training = False

    @property
    def compiled(self):
        """Whether ``compile`` was called."""
        return getattr(self, "_compile_state", None) is not None

    def _assert_compiled(self, who):
        if not self.compiled:
            raise RuntimeError(
                f"You must compile your model before {who}: call model.compile(optimizer=..., loss=...) first"
            )

    @property
    def optimizer(self):
        """The optimizer given to ``compile``; before it, one set as ``model.optimizer = ...`` (or None).

        As in Keras 3, an optimizer set before ``compile`` is replaced by the one ``compile``
        takes (its default is ``"rmsprop"``).
        """
        state = getattr(self, "_compile_state", None)
        return self.__dict__.get("_optimizer_before_compile") if state is None else state.optimizer

    @optimizer.setter
    def optimizer(self, value):
        state = getattr(self, "_compile_state", None)
        if state is None:  # a subclass's __init__ may set one before compile, as Keras allows
            self.__dict__["_optimizer_before_compile"] = None if value is None else optimizers_module.get(value)
            return
        state.optimizer = optimizers_module.get(value)

    @property
    def loss(self):
        """The ``loss`` argument given to ``compile``, or what was set since (a subclass may set
        ``self.loss = keras.losses.MeanAbsoluteError()`` for its own ``train_step``, as in Keras 3)."""
        if "_assigned_loss" in self.__dict__:
            return self.__dict__["_assigned_loss"]
        state = getattr(self, "_compile_state", None)
        return None if state is None else state.config["loss"]

    @loss.setter
    def loss(self, value):
        self.__dict__["_assigned_loss"] = value

    @property
    def compiled_loss(self):
        """Callable ``compiled_loss(y, y_pred, sample_weight=None, regularization_losses=None)``."""
        state = getattr(self, "_compile_state", None)
        return None if state is None else state.loss

    @property
    def compiled_metrics(self):
        """The compiled metrics; ``compiled_metrics.update_state(y, y_pred)`` as in Keras 2."""
        state = getattr(self, "_compile_state", None)
        return None if state is None else state.metrics

    @property
    def metrics(self):
        """The metrics tracked during training: the loss (a ``Mean``), then the compiled ones.

        With several outputs that have a loss, each output's own loss (``<output>_loss``)
        follows the total, as in Keras.

        The compiled metrics appear once the model has trained or evaluated on data.
        """
        state = getattr(self, "_compile_state", None)
        if state is None:
            return []
        per_output = state.loss.output_loss_trackers if state.loss is not None else []
        return [state.loss_tracker] + per_output + state.metrics.metrics + self._layer_metrics()

    def _layer_metrics(self):
        """Metrics the layers hold as attributes or made with ``add_metric``, each once.

        The layers are scanned at every step of ``fit`` (the logs read every metric), so
        during a run the list is kept, and scanned again only when a metric was made since.
        """
        state = self.__dict__.get("_compile_state")
        kept = state.layer_metrics_during_fit if state is not None else None
        if kept is not None and kept[0] == metrics_module._made[0]:
            return kept[1]
        made = metrics_module._made[0]
        found = []
        for layer in self._flatten_layers():
            values = list(vars(layer).values()) + list(getattr(layer, "_added_metrics", {}).values())
            for value in values:
                if isinstance(value, metrics_module.Metric) and all(value is not m for m in found):
                    found.append(value)
        if state is not None and state.trainable_during_fit is not None:  # fit is running
            state.layer_metrics_during_fit = (made, found)
        return found

    @property
    def metrics_names(self):
        """The names of ``metrics``: the keys of the logs and of ``history.history``."""
        return [metric.name for metric in self.metrics]

    def reset_metrics(self):
        """Reset the state of every metric (done at the start of each epoch)."""
        for metric in self.metrics:
            metric.reset_state()

    def get_compile_config(self):
        """The arguments of ``compile`` as plain data (names and configs), for saving."""
        if not self.compiled:
            return None
        from learnet import saving

        return saving.serialize_compile_config(self)

    def compile_from_config(self, config):
        """Compile the model from what ``get_compile_config`` returned (when a model file is loaded).

        Override it together with ``get_compile_config`` when ``compile`` takes arguments
        of your own: the saved file then holds whatever ``get_compile_config`` returned
        (objects and registered functions described by
        ``keras.saving.serialize_keras_object``), and loading calls this method with it,
        after the model is built and before its weights are set.

        Examples
        --------
        >>> import learnet as keras
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> again = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        >>> again.compile_from_config(model.get_compile_config())
        >>> type(again.optimizer).__name__
        'SGD'
        """
        from learnet import saving

        saving.compile_from_config(self, config)

    # --- one step --------------------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The total loss of a batch: the compiled loss plus ``sum(self.losses)``.

        ``self.losses`` holds the regularization penalties and the ``add_loss`` values
        of the last call.
        """
        state = self._compile_state
        total = None
        if state is not None and state.loss is not None and y is not None:
            if not state.loss.built:
                state.loss.build(self._output_names(len(flatten(y_pred)), y_pred))
            total = state.loss.compute(y, y_pred, sample_weight)
        regularization = self.losses
        if regularization:
            penalty = sum(regularization)
            total = penalty if total is None else total + penalty
        if total is None:
            raise ValueError(
                "the model has no loss to minimize: compile it with loss=..., give targets y, "
                "or add losses in call() with self.add_loss(...)"
            )
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with a batch; return the current value of every metric."""
        state = self._compile_state
        if y is not None:
            if not state.metrics.built:
                state.metrics.build(y, y_pred, self._output_names(len(flatten(y_pred)), y_pred))
            state.metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self):
        """``{name: value}`` of every metric in ``metrics`` (summed over processes when distributed)."""
        return self.distribute_strategy._reduced_results(self.metrics)

    def train_step(self, data: Any) -> dict[str, Any]:
        """One step of training on a batch ``data`` = ``(x, y)`` or ``(x, y, sample_weight)``.

        Override it to customize training (a GAN, a VAE); ``fit`` calls it for every
        batch and logs what it returns.

        Returns
        -------
        dict
            ``{metric name: value}``: the running loss and metrics of the epoch.
        """
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight)
            scaled = self.optimizer.scale_loss(loss)  # the loss itself, unless a LossScaleOptimizer scales it
        trainable_weights = self.trainable_weights
        if trainable_weights:
            grads = tape.gradient(scaled, trainable_weights)
            # float8 layers' scales take their "gradients" as new values (Keras' overwrite_with_gradient).
            grads, trainable_weights = quantization.overwrite_with_gradients(grads, trainable_weights)
        if trainable_weights:
            self.optimizer.apply_gradients(zip(grads, trainable_weights))
        else:
            _warn_nothing_to_train(self)
        self._compile_state.loss_tracker.update_state(loss._value, sample_weight=flatten(x)[0].shape[0])
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data: Any) -> dict[str, Any]:
        """One step of evaluation: the loss and metrics on a batch, no weight changes."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        if y is not None or self.losses:
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
            self._compile_state.loss_tracker.update_state(loss._value, sample_weight=flatten(x)[0].shape[0])
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data: Any) -> Any:
        """One step of prediction: the outputs for a batch of inputs."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    # --- checking data once, before the first step ------------------------------------------------
    def _input_dtypes(self):
        inputs = getattr(self, "_graph_inputs_for_dtypes", None)
        return inputs() if callable(inputs) else None

    def _output_names(self, count, y_pred=None):
        names = getattr(self, "output_names", None)
        if names and len(names) == count:
            return list(names)
        if isinstance(y_pred, dict) and len(y_pred) == count:
            return list(y_pred)  # a subclassed model's dict outputs are named by their keys
        return [f"output_{i + 1}" for i in range(count)]

    def _input_shapes(self):
        """The shapes the inputs must have (batch axis first), where the model declares them."""
        shapes = getattr(self, "_graph_input_shapes", None)
        return shapes() if callable(shapes) else None

    # --- fit ---------------------------------------------------------------------------------
    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: str | int = "auto",
        callbacks: list | None = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        class_weight: dict | None = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: int = 1,
        **kwargs: Any,
    ) -> callbacks_module.History:
        """Train the model for ``epochs`` passes over the data.

        Parameters
        ----------
        x : array, list/dict of arrays, or a dataset of ``(x, y)`` batches
        y : array or list/dict of arrays, optional
        batch_size : int, default 32
        epochs : int, default 1
        verbose : "auto", 0, 1 or 2, default "auto"
            0 silent, 1 a progress bar per epoch ("auto"), 2 one line per epoch.
        callbacks : list of Callback, optional
        validation_split : float, default 0.0
            Fraction of the data held out for validation: the last samples, taken
            before shuffling (as Keras).
        validation_data : tuple, optional
            ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight_val)``.
        shuffle : bool, default True
            Shuffle the training samples before each epoch.
        class_weight : dict, optional
            ``{class index: weight}`` to weigh the loss of each sample by its class.
        sample_weight : array, optional
            A weight for each sample's loss.
        initial_epoch : int, default 0
            The epoch to start counting from (to resume training).
        steps_per_epoch : int, optional
            Batches per epoch (for datasets without a length, or to shorten epochs).
        validation_steps, validation_batch_size, validation_freq
            As in Keras.

        Returns
        -------
        History
            ``history.history`` maps "loss", every metric name and their "val_" versions
            to one value per epoch.

        Raises
        ------
        ValueError
            For data that cannot be trained on (mismatched sample counts, a wrong feature
            shape, NaN or infinity, labels outside the classes...), before anything changes.
        """
        who = "fit"
        _refuse_unknown(kwargs, who)
        self._assert_compiled("training it (fit)")
        verbose = callbacks_module._resolve_verbose(verbose)
        epochs, initial_epoch = _check_int(epochs, "epochs", who), _check_int(initial_epoch, "initial_epoch", who)
        if steps_per_epoch is not None:
            steps_per_epoch = _check_int(steps_per_epoch, "steps_per_epoch", who, minimum=1)
        epochs, steps_per_epoch = _capped_by_config(epochs, steps_per_epoch)
        validation_freq = _check_int(validation_freq, "validation_freq", who, minimum=1)
        train, validation = data_adapter.fit_epoch_iterators(
            self,
            x,
            y,
            sample_weight,
            who=who,
            batch_size=batch_size,
            validation_split=validation_split,
            validation_data=validation_data,
            shuffle=shuffle,
            class_weight=class_weight,
            steps_per_epoch=steps_per_epoch,
            validation_steps=validation_steps,
            validation_batch_size=validation_batch_size,
        )
        # Everything is checked: now create the optimizer's slots, then train.
        self.optimizer.build(self.trainable_weights)
        strategy = self.distribute_strategy
        if strategy.distributed:
            callbacks, verbose = self._start_distributed(
                strategy, callbacks, verbose, batch_size, epochs, steps_per_epoch, train.steps
            )
        callback_list = callbacks_module.CallbackList(
            callbacks,
            add_history=True,
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=epochs,
            steps=train.steps,
            do_validation=validation is not None,
        )
        batch_begin, batch_end = (callback_list.wants(f"on_train_batch_{when}") for when in ("begin", "end"))
        self.stop_training = False
        self._initial_epoch = None
        callback_list.on_train_begin()
        if self._initial_epoch is not None:  # a run restored from its backup (BackupAndRestore)
            initial_epoch, self._initial_epoch = max(initial_epoch, self._initial_epoch), None
        epoch_logs = {}
        with self._training_run(callback_list):
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                callback_list.on_epoch_begin(epoch)
                logs = {}
                for step, batch in enumerate(strategy._local_batches(train.epoch)):  # each process its share
                    if batch_begin:
                        callback_list.on_train_batch_begin(step)
                    with as_in_function():  # as TensorFlow traces fit's step into a tf.function
                        logs = self.train_step(batch)  # the tape, the gradients, the update
                    if batch_end:
                        callback_list.on_train_batch_end(step, _python_logs(logs))
                    if self.stop_training:
                        break
                epoch_logs = _python_logs(logs if logs else self.get_metrics_result())
                if validation is not None and (epoch + 1) % validation_freq == 0:
                    # Validation data that gives no batches adds no val_ entries, as in Keras.
                    val_logs = self._test_loop(validation, callback_list, when_empty={})
                    epoch_logs.update({f"val_{key}": value for key, value in val_logs.items()})
                callback_list.on_epoch_end(epoch, epoch_logs)
                if self.stop_training:
                    break
        # With use_ema=True the model ends with the moving averages of its weights, as in Keras 3.
        self.optimizer.finalize_variable_values(self.trainable_weights)
        callback_list.on_train_end(epoch_logs)
        self.history = next(c for c in callback_list if isinstance(c, callbacks_module.History))
        return self.history

    @contextlib.contextmanager
    def _training_run(self, callback_list):
        """Around fit's epochs: memory kept between steps, the weights to train fixed for the run."""
        backend.keep_freed_memory()
        # Fixed for the run, as Keras captures it; a model not built yet (fed by a dataset)
        # gets its weights at the first step, so its list is read live instead.
        self._compile_state.trainable_during_fit = list(self.trainable_weights) or None
        try:
            yield
        except BaseException:
            callback_list.close_progress_bars()  # an interrupted run leaves no half-drawn bar
            raise
        finally:
            self._compile_state.trainable_during_fit = None
            self._compile_state.layer_metrics_during_fit = None

    def _start_distributed(self, strategy, callbacks, verbose, batch_size, epochs, steps_per_epoch, steps):
        """Check that every process launched the same run, then give all of them rank 0's weights."""
        strategy._check_same_launch(
            model=[(w.path, tuple(w.shape), str(w.dtype)) for w in self.weights],
            optimizer=type(self.optimizer).__name__,
            batch_size=batch_size,
            epochs=epochs,
            steps_per_epoch=steps_per_epoch,
            steps=steps,
        )
        strategy.broadcast_variables(list(self.weights) + list(self.optimizer.variables))
        if not strategy.is_chief:
            callbacks, verbose = _this_process_callbacks(callbacks), 0
        return callbacks, verbose

    # --- evaluate ---------------------------------------------------------------------------------
    def _test_loop(self, batches, callback_list, when_empty=None):
        """Run ``test_step`` over ``batches`` with no tape; return the logs (``when_empty``, when
        given, if the data gave no batch)."""
        backend.keep_freed_memory()
        self.reset_metrics()
        callback_list.on_test_begin()
        batch_begin = callback_list.wants("on_test_batch_begin")
        batch_end = callback_list.wants("on_test_batch_end")
        logs = {}
        ran = False
        strategy = self.distribute_strategy
        with no_recording():
            for step, batch in enumerate(strategy._local_batches(batches.epoch)):  # each process its share
                ran = True
                if batch_begin:
                    callback_list.on_test_batch_begin(step)
                with as_in_function():
                    logs = self.test_step(batch)
                if batch_end:
                    callback_list.on_test_batch_end(step, _python_logs(logs))
        if not ran and when_empty is not None:
            callback_list.on_test_end(when_empty)
            return when_empty
        logs = _python_logs(logs if logs else self.get_metrics_result())
        callback_list.on_test_end(logs)
        return logs

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: str | int = "auto",
        sample_weight: Any = None,
        steps: int | None = None,
        callbacks: list | None = None,
        return_dict: bool = False,
        **kwargs: Any,
    ) -> Any:
        """The loss and metrics on data, without training.

        Returns
        -------
        float or list of float
            The loss alone when no metric was compiled, else ``[loss, *metrics]`` in the
            order of ``metrics_names``; a dict ``{name: value}`` with ``return_dict=True``.
        """
        who = "evaluate"
        _refuse_unknown(kwargs, who)
        self._assert_compiled("evaluating it")
        verbose = callbacks_module._resolve_verbose(verbose)
        if steps is not None:
            steps = _check_int(steps, "steps", who, minimum=1)
        batches = data_adapter.EpochIterator(self, x, y, sample_weight, who=who, batch_size=batch_size, steps=steps)
        if self.distribute_strategy.distributed and not self.distribute_strategy.is_chief:
            callbacks, verbose = _this_process_callbacks(callbacks), 0
        callback_list = callbacks_module.CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=batches.steps
        )
        logs = self._test_loop(batches, callback_list)
        if return_dict:
            return logs
        return self._flatten_in_order(logs)

    def _flatten_in_order(self, logs):
        # Keras 3.15's list: the loss, each output's loss (in the order of the outputs), then
        # every other result in the order of their names.
        names = [name for name in self.metrics_names if name in logs and (name == "loss" or name.endswith("_loss"))]
        names += sorted(name for name in logs if name not in names)
        results = [logs[name] for name in names]
        return results[0] if len(results) == 1 else results

    # --- predict ---------------------------------------------------------------------------------
    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: str | int = "auto",
        steps: int | None = None,
        callbacks: list | None = None,
        **kwargs: Any,
    ) -> Any:
        """The model's outputs for ``x``, as NumPy arrays, computed batch by batch.

        No tape records anything: prediction builds no graph.

        Returns
        -------
        numpy.ndarray, or a list/dict of arrays for a model with several outputs.
        """
        who = "predict"
        _refuse_unknown(kwargs, who)
        verbose = callbacks_module._resolve_verbose(verbose)
        if steps is not None:
            steps = _check_int(steps, "steps", who, minimum=1)
        batches = data_adapter.EpochIterator(self, x, who=who, batch_size=batch_size, steps=steps, inputs_only=True)
        callback_list = callbacks_module.CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=batches.steps
        )
        callback_list.on_predict_begin()
        batch_begin = callback_list.wants("on_predict_batch_begin")
        batch_end = callback_list.wants("on_predict_batch_end")
        backend.keep_freed_memory()
        outputs = []
        with no_recording():
            for step, batch in enumerate(batches.epoch()):
                if batch_begin:
                    callback_list.on_predict_batch_begin(step)
                with as_in_function():
                    result = map_structure(data_adapter.to_plain_numpy, self.predict_step(_step_data(batch)))
                outputs.append(result)
                if batch_end:
                    callback_list.on_predict_batch_end(step, {"outputs": result})
        callback_list.on_predict_end()
        if not outputs:
            raise ValueError(f"{who}: the data gave no batches to predict on")
        return _concatenate(outputs)

    # --- single batches ------------------------------------------------------------------------------
    def train_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        class_weight: dict | None = None,
        reset_metrics: bool = True,
        return_dict: bool = False,
    ) -> Any:
        """One training step on exactly this batch; returns the loss (and metrics).

        Returns
        -------
        float or list
            As ``evaluate``: the loss alone without metrics, else ``[loss, *metrics]``.
        """
        who = "train_on_batch"
        self._assert_compiled("training it (train_on_batch)")
        data = data_adapter.check_batch(self, x, y, sample_weight, class_weight, who=who)
        self.optimizer.build(self.trainable_weights)
        if reset_metrics:
            self.reset_metrics()
        with as_in_function():
            logs = _python_logs(self.train_step(data))
        return logs if return_dict else self._flatten_in_order(logs)

    def test_on_batch(
        self, x: Any, y: Any = None, sample_weight: Any = None, reset_metrics: bool = True, return_dict: bool = False
    ) -> Any:
        """Loss (and metrics) on exactly this batch, without training."""
        who = "test_on_batch"
        self._assert_compiled("evaluating it (test_on_batch)")
        data = data_adapter.check_batch(self, x, y, sample_weight, who=who)
        if reset_metrics:
            self.reset_metrics()
        backend.keep_freed_memory()
        with no_recording():
            with as_in_function():
                logs = _python_logs(self.test_step(data))
        return logs if return_dict else self._flatten_in_order(logs)

    def predict_on_batch(self, x: Any) -> Any:
        """The outputs for exactly this batch, as NumPy arrays."""
        x = data_adapter.standardize_predict_inputs(self, x, "predict_on_batch")
        backend.keep_freed_memory()
        with no_recording():
            with as_in_function():
                return map_structure(data_adapter.to_plain_numpy, self.predict_step((x,)))

    # --- looking at the model --------------------------------------------------------------------------
    @property
    def layers(self):
        """The model's layers (the direct sublayers, in the order they were set)."""
        return list(self._flatten_layers(include_self=False, recursive=False))

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by its name or by its index in ``layers``."""
        if index is not None and name is not None:
            raise ValueError("get_layer: give either name or index, not both")
        layers = self.layers
        if index is not None:
            if not isinstance(index, numbers.Integral) or not -len(layers) <= index < len(layers):
                raise ValueError(f"get_layer: index {index!r} is out of range: the model has {len(layers)} layers")
            return layers[index]
        if name is None:
            raise ValueError("get_layer: give a layer name or index")
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: {[layer.name for layer in layers]}.")

    def quantize(self, mode=None, config=None, filters=None, **kwargs):
        """Quantize the model's ``Dense``, ``EinsumDense`` and ``Embedding`` layers (Keras 3).

        Every layer without sublayers that ``filters`` selects is quantized with
        ``layer.quantize(mode, config=config)``; a layer that cannot be quantized is skipped
        with a warning, as in Keras. The arguments and every selected layer are checked
        first (built, not quantized yet), so a refused call changes nothing.

        Parameters
        ----------
        mode : {"int8", "int4", "float8"}, optional
            ``"int8"``: int8 kernels with per-channel scales, for inference (the biases
            still train). ``"int4"``: kernels of 4-bit integers packed two to a byte, a
            scale and a zero point per group of 128 input rows (``Int4QuantizationConfig``
            chooses another ``block_size``, or ``None`` for one scale per channel).
            ``"float8"``: float8 training with delayed scaling. Keras' ``"gptq"`` and
            ``"awq"`` are not implemented by learnet. Optional when ``config`` is given.
        config : keras.quantizers.QuantizationConfig, optional
            The quantizers for the weights and the activations
            (``Int8QuantizationConfig``, ``Int4QuantizationConfig``...); its ``mode`` must
            agree with ``mode``.
        filters : str, list of str or callable, optional
            A regular expression searched in each layer's name, a list of them (any
            matches), or ``filters(layer) -> bool``.

        Examples
        --------
        >>> import numpy as np
        >>> import learnet as keras
        >>> model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(4, name="d1"), keras.layers.Dense(1)])
        >>> model.quantize("int8", filters="d1")
        >>> [layer.dtype_policy.name for layer in model.layers]
        ['int8_from_float32', 'float32']
        >>> from learnet.quantizers import Int4QuantizationConfig
        >>> model.quantize(config=Int4QuantizationConfig(block_size=None), filters=lambda layer: layer.name != "d1")
        >>> model.layers[1].dtype_policy.name
        'int4/-1_from_float32'
        """
        type_check = kwargs.pop("type_check", True)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}")
        if filters is not None and not (isinstance(filters, (str, list, tuple)) or callable(filters)):
            raise ValueError(
                "The `filters` argument must be a regex string, a list of regex strings, or a callable. "
                f"Received: {type(filters)}"
            )
        config = quantization.validate_and_resolve_config(mode, config)
        mode = config.mode
        if mode not in quantization.IMPLEMENTED_MODES:
            raise NotImplementedError(
                f"Model.quantize: mode={mode!r} is not implemented by learnet; use one of "
                f"{list(quantization.IMPLEMENTED_MODES)}"
            )
        chosen = [
            layer
            for layer in self._flatten_layers()
            if len(list(layer._flatten_layers())) == 1 and quantization.should_quantize_layer(layer, filters)
        ]
        for layer in chosen:  # every check before any change
            quantization.check_quantize_args(layer, mode)
        for layer in chosen:
            try:
                layer.quantize(mode, type_check=type_check, config=config)
            except NotImplementedError as error:
                warnings.warn(str(error), stacklevel=2)

    def summary(
        self,
        line_length: int | None = None,
        positions: list | None = None,
        print_fn: Any = None,
        expand_nested: bool = False,
        show_trainable: bool = False,
        layer_range: Any = None,
    ) -> None:
        """Print a table of the layers: name (type), output shape and number of weights.

        Parameters
        ----------
        line_length : int, optional
            Width of the table (65, or 98 for a model that branches).
        positions : list of float or int, optional
            Right edge of each column, as fractions of ``line_length`` or as positions.
        print_fn : callable, optional
            Called with each line (``print`` by default).

        Raises
        ------
        ValueError
            If the model is not built yet (it does not know its input shape).
        """
        from learnet.models.summary import print_summary

        print_fn = print_fn or print
        print_summary(
            self,
            line_length=line_length,
            positions=positions,
            print_fn=print_fn,
            expand_nested=expand_nested,
            show_trainable=show_trainable,
        )

    # --- saving ----------------------------------------------------------------------------------
    def save(self, filepath: Any, overwrite: bool = True, include_optimizer: bool = True, **kwargs: Any) -> None:
        """Save the architecture, the weights and the optimizer state in one file.

        ``.learnet``: learnet's zip archive of JSON and ``.npz`` files. ``.keras``: Keras
        3's format, which real Keras loads (``learnet.keras_files``). Either way
        ``learnet.models.load_model`` reads it back, never running code from it. It is
        written to a temporary file and renamed, so an interrupted save leaves the
        previous file whole. As in Keras 3 the name says the format: a name ending in
        ``.weights.npz`` or ``.weights.h5`` (use ``save_weights``) or in anything else is
        refused before anything is written. ``metadata={...}`` stores plain data in the
        file (``learnet.saving.read_metadata`` reads it).

        Examples
        --------
        >>> model.save("digits.learnet")  # doctest: +SKIP
        """
        from learnet import saving

        _write_once(
            self.distribute_strategy,
            lambda: saving.save_model(
                self, filepath, overwrite=overwrite, include_optimizer=include_optimizer, **kwargs
            ),
        )

    def save_weights(self, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
        """Save only the weights' values: ``name.weights.npz`` (an ``.npz`` archive, in the order
        of ``weights``) or ``name.weights.h5`` (Keras 3's HDF5 layout, readable by Keras).

        Examples
        --------
        >>> model.save_weights("digits.weights.npz")  # doctest: +SKIP
        """
        from learnet import saving

        _write_once(
            self.distribute_strategy, lambda: saving.save_weights(self, filepath, overwrite=overwrite, **kwargs)
        )

    def export(
        self,
        filepath: Any,
        format: str = "tf_saved_model",  # noqa: A002 - Keras' name
        verbose: bool | None = None,
        input_signature: Any = None,
        **kwargs: Any,
    ) -> None:
        """Export the model's inference computation, as Keras 3's ``model.export``.

        Parameters
        ----------
        filepath : str or path-like
        format : {"tf_saved_model", "onnx"}
            ``"tf_saved_model"``: a directory that ``keras.layers.TFSMLayer`` and
            ``tf.saved_model.load`` read back (learnet's format, see
            :mod:`learnet.saved_model`; real TensorFlow cannot read it). ``"onnx"``: an ONNX
            file for onnxruntime (:func:`learnet.onnx.export`; ``opset_version=`` picks the opset).
        verbose : bool, optional
            Print what was written and the inputs and outputs of its ``serve`` endpoint
            (the default, as in Keras).
        input_signature : optional
            The inputs' shapes (``keras.InputSpec``, ``tf.TensorSpec`` or shape tuples, batch
            axis first, in the structure the model is called with; a list of one such
            structure also works, as Keras takes it). Without it, the shapes the model was
            built for.

        A subclassed model is traced once on symbolic inputs into a functional model of
        the same layers and weights, so the export needs none of its Python code (Python
        branches are taken as they fall for ``training=False``).

        Examples
        --------
        >>> model.export("my_model")                          # doctest: +SKIP
        >>> serve = keras.layers.TFSMLayer("my_model")        # doctest: +SKIP
        """
        options = dict(kwargs)
        opset = options.pop("opset_version", None)
        if options:
            raise TypeError(f"export: unexpected argument(s) {sorted(options)}")
        if format not in ("tf_saved_model", "onnx"):
            raise ValueError(f"export: format must be 'tf_saved_model' or 'onnx', got {format!r}")
        if opset is not None and format != "onnx":
            raise TypeError("export: opset_version is an option of format='onnx'")
        graph = self._inference_graph(input_signature)
        if format == "tf_saved_model":
            from learnet import saved_model

            _write_once(self.distribute_strategy, lambda: saved_model.save(graph, filepath, _endpoints=("serve",)))
        else:
            from learnet import onnx

            options = {} if opset is None else {"opset": int(opset)}
            _write_once(self.distribute_strategy, lambda: onnx.export(graph, filepath, **options))
        if verbose is None or verbose:
            inputs = map_structure(lambda t: f"({_shape_text(t.shape)}, {t.dtype})", graph.inputs)
            outputs = map_structure(lambda t: f"({_shape_text(t.shape)}, {t.dtype})", graph.outputs)
            print(
                f"Saved artifact at {str(filepath)!r}. The following endpoints are available:\n\n"
                f"* Endpoint 'serve'\n  inputs: {inputs}\n  outputs: {outputs}"
            )

    def _inference_graph(self, input_signature: Any = None) -> "Model":
        """This model as a functional graph of its layers: itself when it is one, else traced."""
        from learnet.layers.core import Input
        from learnet.models.functional import Functional
        from learnet.tree import is_shape

        if input_signature is None and isinstance(self, Functional):
            return self
        if input_signature is None:
            inputs = getattr(self, "inputs", None)
            try:
                # The model's own symbolic inputs where it has them (their dtypes too: a uint8
                # input stays uint8, as TensorFlow exports it), else its input shapes.
                input_signature = (
                    list(inputs) if inputs and len(inputs) > 1 else inputs[0] if inputs else self.input_shape
                )
            except AttributeError:
                raise ValueError(
                    f"export: the model {self.name!r} has not been called on data yet, so its input shapes are "
                    "unknown; call it (or fit it) first, or give input_signature"
                ) from None
        elif isinstance(input_signature, list) and len(input_signature) == 1 and not is_shape(input_signature):
            input_signature = input_signature[0]  # Keras: a list of the call's positional arguments

        def symbolic(spec):
            if hasattr(spec, "shape") and not is_shape(spec):
                shape, dtype = tuple(spec.shape), getattr(spec, "dtype", None)
            elif is_shape(spec):
                shape, dtype = tuple(spec), None
            elif isinstance(spec, dict):
                return {key: symbolic(value) for key, value in spec.items()}
            elif isinstance(spec, (list, tuple)):
                return type(spec)(symbolic(value) for value in spec)
            else:
                raise TypeError(f"export: cannot read an input shape from {spec!r}")
            if not shape:
                raise ValueError(f"export: an input shape needs a batch axis first, got {shape}")
            dtype = None if dtype is None else str(getattr(dtype, "name", dtype))
            return Input(shape=shape[1:], batch_size=shape[0], dtype=dtype)

        inputs = symbolic(input_signature)
        if isinstance(self, Functional):
            outputs = self(inputs)
        else:
            try:
                outputs = self.call(inputs, training=False) if _takes_training(self.call) else self.call(inputs)
            except Exception as error:
                raise ValueError(
                    f"export: tracing {type(self).__name__}.call on symbolic inputs failed ({error}); "
                    "a call that reads its inputs' values cannot be exported"
                ) from error
        if isinstance(outputs, tuple):
            outputs = list(outputs)
        return Functional(inputs, outputs, name=self.name)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
        """Load weights saved by ``save_weights`` from a whole-model file, or from Keras' ``.h5``.

        Every array is checked (count, shapes, dtypes) before any weight changes.
        """
        from learnet import saving

        saving.load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def _keras_description(self):
        """What ``keras.layers.serialize(model)`` gives: ``to_json``'s dict."""
        from learnet import saving

        return saving.model_json_config(self)

    def to_json(self, **kwargs: Any) -> str:
        """The architecture as a JSON string (no weights), as Keras 3 writes it (Keras reads it
        with ``keras.models.model_from_json``); a model Keras cannot describe (subclassed and
        not registered, a layer Keras lacks) in learnet's own form. ``kwargs`` go to ``json.dumps``.

        Examples
        --------
        >>> import json
        >>> import learnet as tf
        >>> model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
        >>> config = json.loads(model.to_json())
        >>> config["module"], config["class_name"]
        ('keras', 'Sequential')
        >>> tf.keras.models.model_from_json(model.to_json()).output_shape
        (None, 2)
        """
        from learnet import saving

        return json.dumps(saving.model_json_config(self), **kwargs)


def _warn_nothing_to_train(model):
    """Keras 3 trains nothing, with a warning, when a model has no trainable weights."""
    if getattr(model, "_warned_nothing_to_train", False):
        return
    model._warned_nothing_to_train = True
    warnings.warn(
        f"The model {model.name!r} does not have any trainable weights, so training changes nothing. If "
        "trainable was set to False after compile (the GAN recipe of tf.keras 2, which froze the "
        "trainable state at compile time): Keras 3 and learnet use the state at each step",
        stacklevel=3,
    )


def _shape_text(shape):
    return (
        "("
        + ", ".join("None" if d is None else str(d) for d in tuple(shape))
        + ("," if len(tuple(shape)) == 1 else "")
        + ")"
    )


def _takes_training(function):
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return "training" in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def _write_once(strategy, write):
    """Call ``write()`` (a file write) on rank 0 only, so a distributed job writes one file.

    No process waits here: a script that saves only on rank 0 must not hang. A process
    that reads the file back calls ``strategy.barrier()`` first.
    """
    if strategy.is_chief:
        write()


def _this_process_callbacks(callbacks):
    """The callbacks a process other than rank 0 runs: all but those that only write or draw."""
    return [c for c in (callbacks or []) if not getattr(c, "_chief_only", False)]


def _fits(want, shape):
    return len(shape) == len(want) and all(w is None or w == s for w, s in zip(want[1:], shape[1:]))


def _step_data(batch):
    """What ``predict_step`` gets for a batch ``(x,)``, as Keras passes it: ``x`` itself,
    unless ``x`` is a tuple or list (several inputs), which stays wrapped in ``(x,)`` so
    that it is not read as ``(x, y)``."""
    (x,) = batch
    return batch if isinstance(x, (tuple, list)) else x


def _capped_by_config(epochs, steps_per_epoch):
    """``epochs`` and ``steps_per_epoch`` within ``keras.config.set_max_epochs`` /
    ``set_max_steps_per_epoch``, with Keras' warning when a cap applies."""
    max_epochs, max_steps = keras_config.max_epochs(), keras_config.max_steps_per_epoch()
    if max_epochs and max_epochs < epochs:
        warnings.warn(f"Limiting epochs to {max_epochs}", stacklevel=3)
        epochs = max_epochs
    if max_steps and (steps_per_epoch is None or max_steps < steps_per_epoch):
        warnings.warn(f"Limiting steps_per_epoch to {max_steps}", stacklevel=3)
        steps_per_epoch = max_steps
    return epochs, steps_per_epoch


def fit_input_rank(value, want):
    """``value`` (real data) shaped to fit ``want``, as Keras 3 adjusts a model's inputs: a missing
    last axis of size 1 is added (a series ``(batch, steps)`` for inputs ``(None, None, 1)``) and an
    extra one of size 1 is dropped. ``None`` when the value does not fit either way."""
    want = tuple(want)
    shape = tuple(getattr(value, "shape", ()))
    if _fits(want, shape):
        return value
    if isinstance(value, KerasTensor) or not hasattr(value, "shape"):
        return None
    if len(shape) == len(want) - 1 and want[-1] == 1 and _fits(want, shape + (1,)):
        return expand_dims(value, -1)
    if len(shape) == len(want) + 1 and shape[-1] == 1 and _fits(want, shape[:-1]):
        return squeeze(value, -1)
    return None


def input_shape_error(who, want, shape):
    """A ``ValueError`` saying that inputs of ``shape`` do not fit ``want`` (batch axis first)."""
    want, shape = tuple(want), tuple(shape)
    if len(shape) == len(want) - 1 and all(w is None or w == s for w, s in zip(want[1:], shape)):
        return ValueError(
            f"{who} expects inputs of shape {want}, got {shape}; a single sample needs a batch "
            "axis too: pass x[None] (or np.expand_dims(x, 0))"
        )
    shown = (None,) + shape[1:] if shape else shape  # the batch size is not the problem
    return ValueError(f"{who} expects inputs of shape {want}, got {shown}")


def _concatenate(batches):
    first = batches[0]
    if isinstance(first, dict):
        return {key: _concatenate([b[key] for b in batches]) for key in first}
    if isinstance(first, (list, tuple)):
        return type(first)(_concatenate([b[i] for b in batches]) for i in range(len(first)))
    if len(batches) == 1:
        return first
    return np.concatenate(batches, axis=0)
