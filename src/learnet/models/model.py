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
import json
import math
import numbers

import numpy as np

from learnet import backend
from learnet import callbacks as callbacks_module
from learnet import metrics as metrics_module
from learnet import optimizers as optimizers_module
from learnet import tape as tape_module
from learnet.batching import Batcher
from learnet.layers.base import Layer, _as_tuples
from learnet.models import data_adapter
from learnet.models.compile_utils import LossesContainer, MetricsContainer
from learnet.models.data_adapter import flatten, map_structure, unpack_x_y_sample_weight
from learnet.tape import GradientTape
from learnet.tensor import Tensor


@contextlib.contextmanager
def no_recording():
    """Run a block with no ``GradientTape`` recording, so inference builds no graph."""
    saved = list(tape_module._recording)
    tape_module._recording[:] = []
    try:
        yield
    finally:
        tape_module._recording[:] = saved


# Once per process: see _keep_freed_memory.
_memory_kept = [False]


def _keep_freed_memory():
    """Ask the C allocator (glibc) to keep freed memory for the next step, once per process.

    Every training step allocates and frees the same large arrays (activations, patch
    matrices, gradients). By default glibc gives the freed top of its heap back to the
    system after each step and then faults every page of the next step's arrays in
    again: on the Fashion-MNIST convnet that was a third of the step's time (9,400 page
    faults, 26 ms of 76 ms per step). Keeping up to 256 MiB of freed memory removes it;
    the resident memory then stays at its peak instead of dropping between steps.
    Nothing happens where the C library is not glibc.
    """
    if _memory_kept[0]:
        return
    _memory_kept[0] = True
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl)
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    # Arrays up to 32 MiB (glibc's largest setting) come from the heap, which keeps
    # up to 256 MiB of freed memory instead of trimming it after every step.
    mallopt(m_mmap_threshold, 32 * 1024 * 1024)
    mallopt(m_trim_threshold, 256 * 1024 * 1024)


def _is_functional_call(args, kwargs):
    return (len(args) == 2 or ("inputs" in kwargs and "outputs" in kwargs)
            or (len(args) == 1 and "outputs" in kwargs))


def _scalar(value):
    """A metric result (tensor, array, number) as a Python float, or as an array if not scalar."""
    if isinstance(value, Tensor):
        value = value._value
    array = np.asarray(backend.to_numpy(value) if not isinstance(value, (int, float)) else value)
    if array.ndim == 0 or array.size == 1:
        return float(array.reshape(()))
    return array


def _python_logs(logs):
    """Logs with Python floats (nested dicts flattened), as callbacks receive them."""
    result = {}
    for key, value in (logs or {}).items():
        if isinstance(value, dict):
            result.update(_python_logs(value))
        else:
            result[key] = _scalar(value)
    return result


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
        self.validated_shapes = {}   # input shapes -> output shapes, from a one-sample probe
        # While fit runs, the list of trainable weights is fixed (as in Keras, where it is
        # captured when training starts): looked up once, not rescanned at every step.
        self.trainable_during_fit = None


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
        dummy = zeros(shapes) if single else map_structure_shapes(zeros, shapes)
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
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=None, steps_per_execution=1, jit_compile=None,
                auto_scale_loss=True, **kwargs):
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
            metrics = [metrics]                  # one Metric object, as tf.keras 2 accepted
        if metrics is not None and not isinstance(metrics, (list, tuple, dict)):
            raise TypeError(
                f"compile: metrics must be a list (or a dict per output), got {type(metrics).__name__}; "
                f"write metrics=[{metrics!r}]"
            )
        resolved_optimizer = optimizers_module.get(optimizer)
        loss_tracker = metrics_module.Mean(name="loss")
        loss_container = LossesContainer(loss, loss_weights, loss_tracker) if loss is not None else None
        metrics_container = MetricsContainer(metrics, weighted_metrics, loss_container)
        config = {
            "optimizer": optimizer, "loss": loss, "metrics": metrics, "loss_weights": loss_weights,
            "weighted_metrics": weighted_metrics,
        }
        self._compile_state = _CompileState(resolved_optimizer, loss_container, metrics_container,
                                            loss_tracker, config)
        self.stop_training = False

    @property
    def compiled(self):
        """Whether ``compile`` was called."""
        return getattr(self, "_compile_state", None) is not None

    def _assert_compiled(self, who):
        if not self.compiled:
            raise RuntimeError(
                f"You must compile your model before {who}: call "
                "model.compile(optimizer=..., loss=...) first"
            )

    @property
    def optimizer(self):
        """The optimizer given to ``compile`` (None before)."""
        state = getattr(self, "_compile_state", None)
        return None if state is None else state.optimizer

    @optimizer.setter
    def optimizer(self, value):
        self._assert_compiled("setting its optimizer")
        self._compile_state.optimizer = optimizers_module.get(value)

    @property
    def loss(self):
        """The ``loss`` argument given to ``compile``."""
        state = getattr(self, "_compile_state", None)
        return None if state is None else state.config["loss"]

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

        The compiled metrics appear once the model has trained or evaluated on data.
        """
        state = getattr(self, "_compile_state", None)
        if state is None:
            return []
        return [state.loss_tracker] + state.metrics.metrics + self._layer_metrics()

    def _layer_metrics(self):
        """Metrics the layers hold as attributes or made with ``add_metric``, each once."""
        found = []
        for layer in self._flatten_layers():
            values = list(vars(layer).values()) + list(getattr(layer, "_added_metrics", {}).values())
            for value in values:
                if isinstance(value, metrics_module.Metric) and all(value is not m for m in found):
                    found.append(value)
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
                state.loss.build(self._output_names(len(flatten(y_pred))))
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
                state.metrics.build(y, y_pred, self._output_names(len(flatten(y_pred))))
            state.metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self):
        """``{name: value}`` of every metric in ``metrics``."""
        return {metric.name: metric.result() for metric in self.metrics}

    def train_step(self, data):
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
        trainable_weights = self.trainable_weights
        grads = tape.gradient(loss, trainable_weights)
        self.optimizer.apply_gradients(zip(grads, trainable_weights))
        self._compile_state.loss_tracker.update_state(loss._value, sample_weight=len(flatten(x)[0]))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        """One step of evaluation: the loss and metrics on a batch, no weight changes."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        if y is not None or self.losses:
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
            self._compile_state.loss_tracker.update_state(loss._value, sample_weight=len(flatten(x)[0]))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """One step of prediction: the outputs for a batch of inputs."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    # --- checking data once, before the first step ------------------------------------------------
    def _input_dtypes(self):
        inputs = getattr(self, "_graph_inputs_for_dtypes", None)
        return inputs() if callable(inputs) else None

    def _output_names(self, count):
        names = getattr(self, "output_names", None)
        if names and len(names) == count:
            return list(names)
        return [f"output_{i + 1}" for i in range(count)]

    def _probe_output_shapes(self, x):
        """The output shapes for inputs like ``x``, from one sample (no tape, no training).

        Building the model here (if needed) creates its weights; nothing else changes.
        A wrong feature shape fails here with the layer's own message.
        """
        key = tuple((tuple(a.shape[1:]), str(a.dtype)) for a in flatten(x))
        state = self._compile_state
        cache = state.validated_shapes if state is not None else {}
        if key in cache and self.built:
            return cache[key]
        sample = data_adapter.take(x, slice(0, 1))
        with no_recording():
            outputs = self(sample, training=False)
            self._clear_losses()
        shapes = map_structure(lambda t: (None,) + tuple(t.shape[1:]), outputs)
        cache[key] = shapes
        return shapes

    def _prepare_targets(self, x, y, who, name="y"):
        """Check every target against its output's shape and loss; return them converted."""
        if y is None:
            return None
        output_shapes = self._probe_output_shapes(x)
        flat_shapes = _flatten_shapes(output_shapes)
        loss = self._compile_state.loss if self._compile_state is not None else None
        if loss is not None and not loss.built:
            loss.build(self._output_names(len(flat_shapes)))
        prepared = self._check_all_targets(y, flat_shapes, loss, who, name)
        metrics = self._compile_state.metrics if self._compile_state is not None else None
        if metrics is not None and not metrics.built:
            # The compiled metrics exist from the start (so a custom train_step that loops
            # over self.metrics sees them), resolved from the shapes of targets and outputs.
            predictions = [np.zeros((1,) + tuple(1 if s is None else s for s in shape[1:]), backend.floatx())
                           for shape in flat_shapes]
            targets = data_adapter.take(prepared, slice(0, 1))
            metrics.build(targets, predictions[0] if len(predictions) == 1 else predictions,
                          self._output_names(len(flat_shapes)))
        return prepared

    def _check_all_targets(self, y, flat_shapes, loss, who, name):
        if len(flat_shapes) == 1:
            if isinstance(y, (list, tuple)) and len(y) == 1:
                y = y[0]
            if isinstance(y, dict) and len(y) == 1:
                y = next(iter(y.values()))
            if isinstance(y, (list, tuple, dict)):
                raise ValueError(f"{who}: the model has one output, but {name} holds {len(y)} arrays")
            return data_adapter.check_targets(
                y, flat_shapes[0], loss.loss_for_output(0) if loss else None, name, who)
        names = self._output_names(len(flat_shapes))
        if isinstance(y, dict):
            unknown = sorted(set(y) - set(names))
            if unknown:
                raise ValueError(f"{who}: {name} names unknown output(s) {unknown}; the outputs are {names}")
            # Targets by output name are put in the order of the outputs (None where absent:
            # that output then has no loss), so losses and metrics pair them correctly.
            checked = [None if key not in y else data_adapter.check_targets(
                y[key], flat_shapes[index], loss.loss_for_output(index) if loss else None,
                f"{name}[{key!r}]", who) for index, key in enumerate(names)]
            if isinstance(getattr(self, "_output_structure", None), dict):
                return dict(zip(names, checked))
            return checked
        if not isinstance(y, (list, tuple)) or len(y) != len(flat_shapes):
            count = len(y) if isinstance(y, (list, tuple)) else 1
            raise ValueError(
                f"{who}: the model has {len(flat_shapes)} outputs {names}, but {name} holds {count} "
                "array(s); give a list with one array per output (or a dict by output name)"
            )
        return [data_adapter.check_targets(
            target, shape, loss.loss_for_output(i) if loss else None, f"{name}[{i}]", who)
            for i, (target, shape) in enumerate(zip(y, flat_shapes))]

    def _standardize(self, x, y, sample_weight, who, need_targets):
        x = data_adapter.standardize_inputs(x, who, self._input_dtypes())
        y = data_adapter.standardize_targets(y, who)
        sample_weight = data_adapter.standardize_sample_weight(sample_weight, who)
        count = data_adapter.count_samples([(x, "x"), (y, "y"), (sample_weight, "sample_weight")], who)
        if sample_weight is not None and sample_weight.ndim > 1 and sample_weight.size != count:
            raise ValueError(f"{who}: sample_weight must have one weight per sample, got shape {sample_weight.shape}")
        if need_targets and y is None and self._compile_state.loss is not None:
            raise ValueError(
                f"{who}: y is missing; the model was compiled with a loss, which compares the "
                "outputs to targets y"
            )
        return x, y, sample_weight, count

    # --- fit ---------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, **kwargs):
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
        for old in ("max_queue_size", "workers", "use_multiprocessing"):
            kwargs.pop(old, None)
        if kwargs:
            raise TypeError(f"fit got unexpected keyword argument(s) {sorted(kwargs)}")
        self._assert_compiled("training it (fit)")
        verbose = callbacks_module._resolve_verbose(verbose)
        epochs = _check_int(epochs, "epochs", who)
        initial_epoch = _check_int(initial_epoch, "initial_epoch", who)
        if steps_per_epoch is not None:
            steps_per_epoch = _check_int(steps_per_epoch, "steps_per_epoch", who, minimum=1)
        validation_freq = _check_int(validation_freq, "validation_freq", who, minimum=1)
        if not isinstance(validation_split, numbers.Real) or not 0 <= validation_split < 1:
            raise ValueError(f"{who}: validation_split must be a number in [0, 1), got {validation_split!r}")

        validation = None
        if data_adapter.is_array_data(x):
            batch_size = data_adapter.check_batch_size(batch_size, who)
            x, y, sample_weight, count = self._standardize(x, y, sample_weight, who, need_targets=True)
            if validation_split and validation_data is None:
                split_at = int(math.floor(count * (1.0 - validation_split)))
                if split_at == 0 or split_at == count:
                    raise ValueError(
                        f"{who}: validation_split={validation_split} of {count} samples leaves "
                        f"{split_at} for training and {count - split_at} for validation; both need at least one"
                    )
                validation = (data_adapter.take(x, slice(split_at, None)),
                              data_adapter.take(y, slice(split_at, None)),
                              data_adapter.take(sample_weight, slice(split_at, None)))
                x, y, sample_weight = (data_adapter.take(x, slice(0, split_at)),
                                       data_adapter.take(y, slice(0, split_at)),
                                       data_adapter.take(sample_weight, slice(0, split_at)))
            y = self._prepare_targets(x, y, who)
            if class_weight is not None:
                weights = data_adapter.class_weight_to_sample_weight(class_weight, y, who)
                sample_weight = weights if sample_weight is None else sample_weight * weights
            if validation is not None:
                validation = (validation[0], self._prepare_targets(validation[0], validation[1], who, "y (validation part)"),
                              validation[2])
            train = _ArrayBatches(x, y, sample_weight, batch_size, shuffle, steps_per_epoch, continuous=True)
        else:
            if y is not None:
                raise ValueError(f"{who}: when x is a dataset of (x, y) batches, y must not be given separately")
            if validation_split:
                raise ValueError(f"{who}: validation_split needs arrays; with a dataset, give validation_data")
            if batch_size is not None:
                raise ValueError(f"{who}: batch_size cannot be given with a dataset: the dataset makes the batches")
            train = _DatasetBatches(x, steps_per_epoch, who, continuous=True)
        if validation_data is not None:
            validation = self._prepare_validation(validation_data, validation_batch_size or batch_size,
                                                  validation_steps, who)
        elif validation is not None:
            vx, vy, vw = validation
            validation = _ArrayBatches(vx, vy, vw, validation_batch_size or batch_size, False, validation_steps)

        # Everything is checked: now create the optimizer's slots, then train.
        self.optimizer.build(self.trainable_weights)
        _keep_freed_memory()
        callback_list = callbacks_module.CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=train.steps, do_validation=validation is not None,
        )
        batch_begin = callback_list.wants("on_train_batch_begin")
        batch_end = callback_list.wants("on_train_batch_end")
        self.stop_training = False
        callback_list.on_train_begin()
        epoch_logs = {}
        # Fixed for the run, as Keras captures it; a model not built yet (fed by a dataset)
        # gets its weights at the first step, so its list is read live instead.
        self._compile_state.trainable_during_fit = list(self.trainable_weights) or None
        try:
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                callback_list.on_epoch_begin(epoch)
                logs = {}
                for step, batch in enumerate(train.epoch()):
                    if batch_begin:
                        callback_list.on_train_batch_begin(step)
                    logs = self.train_step(batch)
                    if batch_end:
                        callback_list.on_train_batch_end(step, _python_logs(logs))
                    if self.stop_training:
                        break
                epoch_logs = _python_logs(logs if logs else self.get_metrics_result())
                if validation is not None and (epoch + 1) % validation_freq == 0:
                    val_logs = self._test_loop(validation, callback_list)
                    epoch_logs.update({f"val_{key}": value for key, value in val_logs.items()})
                callback_list.on_epoch_end(epoch, epoch_logs)
                if self.stop_training:
                    break
        except BaseException:
            callback_list.close_progress_bars()   # an interrupted run leaves no half-drawn bar
            raise
        finally:
            self._compile_state.trainable_during_fit = None
            train.close()
        callback_list.on_train_end(epoch_logs)
        history = next(c for c in callback_list if isinstance(c, callbacks_module.History))
        self.history = history
        return history

    def _prepare_validation(self, validation_data, batch_size, steps, who):
        if data_adapter.is_array_data(validation_data) and isinstance(validation_data, (tuple, list)):
            if len(validation_data) not in (2, 3):
                raise ValueError(
                    f"{who}: validation_data must be (x_val, y_val) or (x_val, y_val, sample_weight_val), "
                    f"got a sequence of {len(validation_data)} items"
                )
            vx, vy, vw = unpack_x_y_sample_weight(tuple(validation_data))
            batch_size = data_adapter.check_batch_size(batch_size, who)
            vwho = f"{who} (validation_data)"
            vx, vy, vw, _ = self._standardize(vx, vy, vw, vwho, need_targets=True)
            vy = self._prepare_targets(vx, vy, vwho)
            return _ArrayBatches(vx, vy, vw, batch_size, False, steps)
        if data_adapter.is_array_data(validation_data):
            raise ValueError(f"{who}: validation_data must be a tuple (x_val, y_val), got {type(validation_data).__name__}")
        return _DatasetBatches(validation_data, steps, who)

    # --- evaluate ---------------------------------------------------------------------------------
    def _test_loop(self, batches, callback_list):
        """Run ``test_step`` over ``batches`` with no tape; return the logs."""
        _keep_freed_memory()
        self.reset_metrics()
        callback_list.on_test_begin()
        batch_begin = callback_list.wants("on_test_batch_begin")
        batch_end = callback_list.wants("on_test_batch_end")
        logs = {}
        with no_recording():
            try:
                for step, batch in enumerate(batches.epoch()):
                    if batch_begin:
                        callback_list.on_test_batch_begin(step)
                    logs = self.test_step(batch)
                    if batch_end:
                        callback_list.on_test_batch_end(step, _python_logs(logs))
            finally:
                batches.close()
        logs = _python_logs(logs if logs else self.get_metrics_result())
        callback_list.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, **kwargs):
        """The loss and metrics on data, without training.

        Returns
        -------
        float or list of float
            The loss alone when no metric was compiled, else ``[loss, *metrics]`` in the
            order of ``metrics_names``; a dict ``{name: value}`` with ``return_dict=True``.
        """
        who = "evaluate"
        for old in ("max_queue_size", "workers", "use_multiprocessing"):
            kwargs.pop(old, None)
        if kwargs:
            raise TypeError(f"evaluate got unexpected keyword argument(s) {sorted(kwargs)}")
        self._assert_compiled("evaluating it")
        verbose = callbacks_module._resolve_verbose(verbose)
        if steps is not None:
            steps = _check_int(steps, "steps", who, minimum=1)
        if data_adapter.is_array_data(x):
            batch_size = data_adapter.check_batch_size(batch_size, who)
            x, y, sample_weight, _ = self._standardize(x, y, sample_weight, who, need_targets=True)
            y = self._prepare_targets(x, y, who)
            batches = _ArrayBatches(x, y, sample_weight, batch_size, False, steps)
        else:
            if y is not None:
                raise ValueError(f"{who}: when x is a dataset of (x, y) batches, y must not be given separately")
            batches = _DatasetBatches(x, steps, who)
        callback_list = callbacks_module.CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=batches.steps)
        logs = self._test_loop(batches, callback_list)
        if return_dict:
            return logs
        return self._flatten_in_order(logs)

    def _flatten_in_order(self, logs):
        names = [name for name in self.metrics_names if name in logs]
        names += [name for name in logs if name not in names]
        results = [logs[name] for name in names]
        return results[0] if len(results) == 1 else results

    # --- predict ---------------------------------------------------------------------------------
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None, **kwargs):
        """The model's outputs for ``x``, as NumPy arrays, computed batch by batch.

        No tape records anything: prediction builds no graph.

        Returns
        -------
        numpy.ndarray, or a list/dict of arrays for a model with several outputs.
        """
        who = "predict"
        for old in ("max_queue_size", "workers", "use_multiprocessing"):
            kwargs.pop(old, None)
        if kwargs:
            raise TypeError(f"predict got unexpected keyword argument(s) {sorted(kwargs)}")
        verbose = callbacks_module._resolve_verbose(verbose)
        if steps is not None:
            steps = _check_int(steps, "steps", who, minimum=1)
        if data_adapter.is_array_data(x):
            batch_size = data_adapter.check_batch_size(batch_size, who)
            x = data_adapter.standardize_inputs(x, who, self._input_dtypes())
            data_adapter.count_samples([(x, "x")], who)
            batches = _ArrayBatches(x, None, None, batch_size, False, steps, inputs_only=True)
        else:
            batches = _DatasetBatches(x, steps, who, inputs_only=True)
        callback_list = callbacks_module.CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=batches.steps)
        callback_list.on_predict_begin()
        batch_end = callback_list.wants("on_predict_batch_end")
        _keep_freed_memory()
        outputs = []
        with no_recording():
            try:
                for step, batch in enumerate(batches.epoch()):
                    result = self.predict_step(batch)
                    result = map_structure(_to_numpy, result)
                    outputs.append(result)
                    if batch_end:
                        callback_list.on_predict_batch_end(step, {"outputs": result})
            finally:
                batches.close()
        callback_list.on_predict_end()
        if not outputs:
            raise ValueError(f"{who}: the data gave no batches to predict on")
        return _concatenate(outputs)

    # --- single batches ------------------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, reset_metrics=True,
                       return_dict=False):
        """One training step on exactly this batch; returns the loss (and metrics).

        Returns
        -------
        float or list
            As ``evaluate``: the loss alone without metrics, else ``[loss, *metrics]``.
        """
        who = "train_on_batch"
        self._assert_compiled("training it (train_on_batch)")
        x, y, sample_weight, _ = self._standardize(x, y, sample_weight, who, need_targets=True)
        y = self._prepare_targets(x, y, who)
        if class_weight is not None:
            weights = data_adapter.class_weight_to_sample_weight(class_weight, y, who)
            sample_weight = weights if sample_weight is None else sample_weight * weights
        self.optimizer.build(self.trainable_weights)
        if reset_metrics:
            self.reset_metrics()
        data = (x, y) if sample_weight is None else (x, y, sample_weight)
        logs = _python_logs(self.train_step(data))
        return logs if return_dict else self._flatten_in_order(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True, return_dict=False):
        """Loss (and metrics) on exactly this batch, without training."""
        who = "test_on_batch"
        self._assert_compiled("evaluating it (test_on_batch)")
        x, y, sample_weight, _ = self._standardize(x, y, sample_weight, who, need_targets=True)
        y = self._prepare_targets(x, y, who)
        if reset_metrics:
            self.reset_metrics()
        data = (x, y) if sample_weight is None else (x, y, sample_weight)
        with no_recording():
            logs = _python_logs(self.test_step(data))
        return logs if return_dict else self._flatten_in_order(logs)

    def predict_on_batch(self, x):
        """The outputs for exactly this batch, as NumPy arrays."""
        x = data_adapter.standardize_inputs(x, "predict_on_batch", self._input_dtypes())
        data_adapter.count_samples([(x, "x")], "predict_on_batch")
        with no_recording():
            return map_structure(_to_numpy, self.predict_step((x,)))

    # --- looking at the model --------------------------------------------------------------------------
    @property
    def layers(self):
        """The model's layers (the direct sublayers, in the order they were set)."""
        return list(self._flatten_layers(include_self=False, recursive=False))

    def get_layer(self, name=None, index=None):
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

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
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
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable)

    # --- saving ----------------------------------------------------------------------------------
    def save(self, filepath, overwrite=True, include_optimizer=True, **kwargs):
        """Save the architecture, the weights and the optimizer state in one file.

        The file is a zip archive (``.learnet``, or ``.keras``) of JSON and ``.npz``
        files; ``learnet.models.load_model`` reads it back, never running code from it.
        It is written to a temporary file and renamed, so an interrupted save leaves the
        previous file whole.
        """
        from learnet import saving

        saving.save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer, **kwargs)

    def save_weights(self, filepath, overwrite=True, **kwargs):
        """Save only the weights' values (an ``.npz`` archive, in the order of ``weights``)."""
        from learnet import saving

        saving.save_weights(self, filepath, overwrite=overwrite, **kwargs)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load weights saved by ``save_weights`` (or from a whole-model file).

        Every array is checked (count, shapes, dtypes) before any weight changes.
        """
        from learnet import saving

        saving.load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def to_json(self, **kwargs):
        """The architecture as a JSON string (no weights)."""
        from learnet import saving

        return json.dumps(saving.serialize_model(self), **kwargs)


def input_shape_error(who, want, shape):
    """A ``ValueError`` saying that inputs of ``shape`` do not fit ``want`` (batch axis first)."""
    want, shape = tuple(want), tuple(shape)
    if len(shape) == len(want) - 1 and all(w is None or w == s for w, s in zip(want[1:], shape)):
        return ValueError(
            f"{who} expects inputs of shape {want}, got {shape}; a single sample needs a batch "
            "axis too: pass x[None] (or np.expand_dims(x, 0))"
        )
    shown = (None,) + shape[1:] if shape else shape   # the batch size is not the problem
    return ValueError(f"{who} expects inputs of shape {want}, got {shown}")


def _is_shape(value):
    return isinstance(value, tuple) and all(s is None or isinstance(s, numbers.Integral) for s in value)


def _flatten_shapes(shapes):
    if _is_shape(shapes):
        return [shapes]
    if isinstance(shapes, dict):
        return [s for value in shapes.values() for s in _flatten_shapes(value)]
    return [s for value in shapes for s in _flatten_shapes(value)]


def map_structure_shapes(function, shapes):
    if _is_shape(shapes):
        return function(shapes)
    if isinstance(shapes, dict):
        return {k: map_structure_shapes(function, v) for k, v in shapes.items()}
    if isinstance(shapes, (list, tuple)):
        return type(shapes)(map_structure_shapes(function, s) for s in shapes)
    return function(shapes)


def _to_numpy(value):
    if isinstance(value, Tensor):
        return backend.to_numpy(value._value)
    return np.asarray(value)


def _concatenate(batches):
    first = batches[0]
    if isinstance(first, dict):
        return {key: _concatenate([b[key] for b in batches]) for key in first}
    if isinstance(first, (list, tuple)):
        return type(first)(_concatenate([b[i] for b in batches]) for i in range(len(first)))
    if len(batches) == 1:
        return first
    return np.concatenate(batches, axis=0)


# --- where batches come from ------------------------------------------------------------------

class _ArrayBatches:
    """Batches of arrays, through the shared ``Batcher`` (a new order each epoch)."""

    def __init__(self, x, y, sample_weight, batch_size, shuffle, steps, inputs_only=False, continuous=False):
        self.inputs_only = inputs_only
        self.continuous = continuous
        self.has_weights = sample_weight is not None
        if inputs_only:
            self.batcher = Batcher(x, batch_size=batch_size, shuffle=bool(shuffle), seed=backend.rng())
        else:
            self.batcher = Batcher(x, y, sample_weight, batch_size=batch_size, shuffle=bool(shuffle),
                                   seed=backend.rng(), names=["x", "y", "sample_weight"])
        self.limit = steps
        self.steps = len(self.batcher) if steps is None else steps
        self._stream = None

    def _batches(self):
        if self.limit is None:
            yield from self.batcher
            return
        # With steps_per_epoch the batches run on across epochs, reshuffling at each pass;
        # evaluation with steps starts from the first batch every time.
        if self._stream is None or not self.continuous:
            self._stream = self._endless()
        for _ in range(self.limit):
            yield next(self._stream)

    def _endless(self):
        while True:
            yield from self.batcher

    def epoch(self):
        for batch in self._batches():
            if self.inputs_only:
                yield (batch,)
            else:
                xb, yb, wb = batch
                yield (xb, yb) if wb is None else (xb, yb, wb)

    def close(self):
        pass


class _DatasetBatches:
    """Batches from an iterable of ``(x, y)`` tuples: a ``learnet.data.Dataset``, a ``Batcher``, a generator.

    Without ``steps`` each epoch is one pass over the data; with ``steps`` each epoch takes
    that many batches, continuing where the last epoch stopped (and starting a new pass
    over a re-iterable dataset when one ends).
    """

    def __init__(self, dataset, steps, who, inputs_only=False, continuous=False):
        if not (hasattr(dataset, "__iter__") or hasattr(dataset, "__next__")):
            raise ValueError(f"{who}: cannot read batches from {type(dataset).__name__}")
        self.dataset = dataset
        self.who = who
        self.inputs_only = inputs_only
        self.limit = steps
        try:
            length = len(dataset)
        except TypeError:
            length = None
        self.steps = steps if steps is not None else length
        self.continuous = continuous
        # A generator is its own iterator and runs out once; a dataset can be read again.
        self._reiterable = hasattr(dataset, "__iter__") and not hasattr(dataset, "__next__")
        self._iterator = None

    def epoch(self):
        if self.limit is None:
            for batch in self.dataset:
                yield self._convert(batch)
            return
        if not self.continuous and self._reiterable:
            self._iterator = None
        for count in range(self.limit):
            if self._iterator is None:
                self._iterator = iter(self.dataset)
            try:
                batch = next(self._iterator)
            except StopIteration:
                self._iterator = None
                if not self._reiterable:
                    return
                self._iterator = iter(self.dataset)
                try:
                    batch = next(self._iterator)
                except StopIteration:
                    raise ValueError(f"{self.who}: the dataset gave no batches") from None
            yield self._convert(batch)

    def _convert(self, batch):
        x, y, sample_weight = unpack_x_y_sample_weight(batch)
        x = map_structure(_as_float_input, x)
        if self.inputs_only:
            return (x,)
        y = map_structure(lambda v: None if v is None else _to_numpy(v), y)
        if sample_weight is not None:
            return (x, y, _to_numpy(sample_weight))
        return (x, y)

    def close(self):
        pass


def _as_float_input(value):
    array = _to_numpy(value)
    if array.dtype.kind in "biu" or (array.dtype.kind == "f" and array.dtype != backend.floatx()):
        array = array.astype(backend.floatx())
    return array
