"""Optimizers: gradient descent and its adaptive variants, updating weights in place.

An optimizer takes the gradients a ``GradientTape`` computed and moves each weight a
little downhill. The update rules, argument names and defaults are those of Keras 3
(``keras.optimizers``), so a course's numbers come out the same.

Every step updates the weights' own buffers in place with NumPy ``out=`` calls:
no new tensors, no graph, and two scratch buffers shared by all weights. This is
the hot path of every training step.

Examples
--------
A custom training loop:

>>> import learnet as tf
>>> w = tf.Variable([1.0, -2.0])
>>> optimizer = tf.keras.optimizers.SGD(learning_rate=0.1)
>>> with tf.GradientTape() as tape:
...     loss = tf.reduce_sum(w * w)
>>> grads = tape.gradient(loss, [w])
>>> _ = optimizer.apply_gradients(zip(grads, [w]))
>>> w.numpy()                               # w - 0.1 * 2w
array([ 0.8, -1.6], dtype=float32)

Saving and restoring an optimizer's state (its slots and step counter):

>>> state = optimizer.get_state()
>>> sorted(state)
['iterations', 'learning_rate']
"""

import difflib
import inspect
import math
import re

import numpy

from learnet import backend, distribute, registry, schedules
from learnet.backend import xp
from learnet.ops import compiled, parallel
from learnet.schedules import LearningRateSchedule
from learnet.tape import GradientTape
from learnet.tensor import Tensor, Variable, to_array
from learnet.warn import LearnetDeprecationWarning  # noqa: F401 - learnet.optimizers' name for it
from learnet.warn import deprecated as _deprecated
from learnet.warn import warn


# Every FLUSH_EVERY steps the optimizer sets its slots' subnormal entries to zero.
# A weight whose gradient stays exactly 0 (a dead ReLU unit) has slots that shrink by a
# factor every step (RMSprop's rho, Adam's beta_1, SGD's momentum...) and become subnormal
# floats after several hundred steps, where they stay for good (0.9 times a few of the
# smallest subnormal rounds back to the same number). Intel and AMD CPUs compute with
# subnormals through a slow microcode assist, which doubled an MLP's epoch time.
# TensorFlow runs its kernels with flush-to-zero; learnet does not set the CPU's flags
# for the user's process, so it flushes the slots itself. A flushed slot stays 0 while
# its gradient stays 0, so each one is subnormal for at most FLUSH_EVERY steps. The flush
# is one pass over the slots (about a tenth of the MLP's step), so every 32 steps costs
# about 0.3 % of a step; every 256 steps left the MLP's epochs slow for 5 epochs (a slot
# was subnormal for up to 3 epochs of 79 steps) where 32 nearly removed the slowdown
# (benchmarks/subnormal_ab.py, benchmarks/README.md).
FLUSH_EVERY = 32


def _flush_subnormals(slots):
    """Set the entries of ``slots`` whose magnitude is below the dtype's smallest normal to 0.

    Only float32 and float64 slots are flushed. The weights do not change: in float32
    the flushed values are below ``tiny`` (about 1.2e-38), so they vanish in
    ``sqrt(v + epsilon)`` (half an ulp of 1e-7 is about 4e-15), and in ``sqrt(v) + epsilon``
    (``sqrt(tiny)`` is 1.1e-19) for any ``epsilon`` above about 2e-12; a first moment or
    momentum below ``tiny`` moves a weight by less than half its float resolution unless
    the weight itself is below about 1e-30 (and a gradient that comes back adds to the
    slot a value that absorbs it). Only the saved slot values differ. float16 slots are left alone: NumPy computes float16 in float32 (no slow
    path), and float16's ``tiny`` (6.1e-5) is a meaningful second moment, so flushing
    would change the updates.

    Examples
    --------
    >>> v = numpy.array([1e-39, -1e-40, 1e-30, 0.5, numpy.nan], dtype=numpy.float32)
    >>> _flush_subnormals([v])
    >>> v
    array([ 0.e+00, -0.e+00,  1.e-30,  5.e-01,     nan], dtype=float32)
    """
    for slot in slots:
        if slot.dtype in (numpy.float32, numpy.float64):
            # Multiplied by the mask (1 or 0) rather than a masked copy: a copy where a
            # random half of the mask is set mispredicts its branches, 7 times slower.
            xp.multiply(slot, xp.abs(slot) >= numpy.finfo(slot.dtype).tiny, out=slot)


class _VariableList(list):
    """A list that can also be called, so ``optimizer.variables`` (Keras 3) and
    ``optimizer.variables()`` (TensorFlow 2) both work."""

    def __call__(self):
        return self


class Optimizer:
    """Base class of the optimizers: gradients in, weights updated in place.

    Parameters
    ----------
    learning_rate : float, LearningRateSchedule or callable
        A number; a schedule (called with the step count before each step); or a
        function of no arguments returning the rate.
    weight_decay : float, optional
        Decoupled weight decay: before each step, ``w -= w * weight_decay * lr``.
    clipnorm : float, optional
        Rescale each gradient whose L2 norm exceeds this to that norm.
    clipvalue : float, optional
        Clip every gradient element to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float, optional
        Rescale all gradients together when their joint L2 norm exceeds this.
        At most one of the three clipping arguments may be set.
    name : str, optional
    lr : float, optional
        Deprecated alias of ``learning_rate`` (older Keras); warns.
    decay : float, optional
        Deprecated (Keras 2): the learning rate used at step ``t`` is
        ``learning_rate / (1 + decay * t)``; warns.

    Attributes
    ----------
    learning_rate
        Readable and settable. With a number, it is a scalar ``Variable``:
        ``float(opt.learning_rate)``, ``opt.learning_rate = 0.01`` and
        ``opt.learning_rate.assign(0.01)`` all work. With a schedule, reading gives
        the rate for the current step (a scalar tensor); assigning a number
        replaces the schedule by that constant rate (with a warning).
    iterations : Variable
        The number of steps taken (int64).

    Notes
    -----
    Subclasses name their per-weight state in ``_slot_names`` (for example
    ``("momentum", "velocity")``) and implement ``_update(w, g, slots, tmp, tmp2, c)``
    on raw arrays, where ``c`` is what ``_coefficients(lr)`` returned for this step.
    The built-in ones also have ``_fused_update(w, g, slots, c)``: the same rule as one
    compiled pass (``learnet.ops.compiled.update``), run instead when the compiled
    kernels are on (``learnet.ops.compiled.enabled()``).
    """

    _slot_names = ()

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        name=None,
        **kwargs,
    ):
        if "lr" in kwargs:
            _deprecated("the `lr` argument is deprecated; use `learning_rate` instead")
            learning_rate = kwargs.pop("lr")
        decay = kwargs.pop("decay", None)
        if decay is not None and decay != 0:
            _deprecated(
                "the `decay` argument is deprecated (Keras 2); it is applied as "
                "learning_rate / (1 + decay * iterations). Use a schedule from "
                "keras.optimizers.schedules (e.g. InverseTimeDecay) instead"
            )
            if decay < 0:
                raise ValueError(f"{type(self).__name__}: decay must be non-negative, got {decay!r}")
        kwargs.pop("jit_compile", None)  # nothing to compile: learnet runs eagerly
        # Made inside `strategy.scope()`: gradients are summed over its processes before each step.
        self._distribute_strategy = distribute.get_strategy() if distribute.has_strategy() else None
        if kwargs.pop("use_ema", False):
            raise ValueError(f"{type(self).__name__}: use_ema=True is not supported by learnet")
        for ignored in ("ema_momentum", "ema_overwrite_frequency"):
            kwargs.pop(ignored, None)
        if kwargs:
            raise TypeError(
                f"{type(self).__name__} got unexpected argument(s) {sorted(kwargs)}; "
                "see help(learnet.optimizers." + type(self).__name__ + ")"
            )
        clipping = [
            (k, v)
            for k, v in (("clipnorm", clipnorm), ("clipvalue", clipvalue), ("global_clipnorm", global_clipnorm))
            if v is not None
        ]
        if len(clipping) > 1:
            raise ValueError(
                f"{type(self).__name__}: only one of clipnorm, clipvalue and global_clipnorm can be "
                f"set, got {', '.join(f'{k}={v}' for k, v in clipping)}"
            )
        for key, value in clipping:
            if not value > 0:
                raise ValueError(f"{type(self).__name__}: {key} must be positive, got {value!r}")
        if weight_decay is not None and weight_decay < 0:
            raise ValueError(f"{type(self).__name__}: weight_decay must be non-negative, got {weight_decay!r}")

        self.name = name if name is not None else type(self).__name__.lower()
        self.weight_decay = None if weight_decay is None else float(weight_decay)
        self.clipnorm = None if clipnorm is None else float(clipnorm)
        self.clipvalue = None if clipvalue is None else float(clipvalue)
        self.global_clipnorm = None if global_clipnorm is None else float(global_clipnorm)
        self._legacy_decay = float(decay) if decay else 0.0
        self._iterations = Variable(numpy.int64(0), trainable=False, name=f"{self.name}/iteration", dtype="int64")
        self._learning_rate = Variable(0.0, trainable=False, name=f"{self.name}/learning_rate", dtype=backend.floatx())
        # Python reads the step count and the rate in every step: on a GPU they stay in host
        # memory, so reading them never waits for the device.
        for number in (self._iterations, self._learning_rate):
            number._value = backend.to_numpy(number._value).copy()
        self._schedule = None
        self._schedule_takes_step = False
        self.learning_rate = learning_rate

        self._tracked = []  # the model variables with slots, in the order first seen
        self._records = {}  # id(variable) -> (slot arrays, scratch view, scratch view)
        self._slot_variables = []  # the slots as Variables, for `variables` and saving
        self._extra_variables = {}  # per-optimizer state beyond slots, e.g. Nadam's u_product
        self._scratch = {}  # dtype -> two flat scratch buffers shared by all weights
        self._exclude_ids = set()
        self._exclude_pattern = None
        self.built = False

    # --- the learning rate ------------------------------------------------------------
    @property
    def learning_rate(self):
        """The learning rate: a ``Variable`` for a number, the current value for a schedule."""
        if self._schedule is None:
            return self._learning_rate
        return Tensor._wrap(xp.asarray(self._current_learning_rate(with_decay=False), dtype=backend.floatx()))

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, LearningRateSchedule) or (callable(value) and not isinstance(value, Tensor)):
            self._schedule = value
            self._schedule_takes_step = isinstance(value, LearningRateSchedule) or _takes_argument(value)
            return
        if isinstance(value, (str, bytes)) or value is None:
            raise TypeError(
                f"{type(self).__name__}: learning_rate must be a number, a LearningRateSchedule or a "
                f"function, got {value!r}"
            )
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise TypeError(
                f"{type(self).__name__}: learning_rate must be a number, a LearningRateSchedule or a "
                f"function, got {type(value).__name__}"
            ) from None
        if not number >= 0 or math.isinf(number):
            raise ValueError(f"{type(self).__name__}: learning_rate must be a finite number >= 0, got {number}")
        if self._schedule is not None:
            warn(
                f"{self.name}: a constant learning rate {number:g} replaces the learning-rate "
                f"schedule {type(self._schedule).__name__} from now on"
            )
            self._schedule = None
        self._learning_rate._value[...] = number

    # Keras 2 spelled it `optimizer.lr`.
    lr = learning_rate

    def _current_learning_rate(self, with_decay=True):
        """The learning rate for the coming step, as a Python float."""
        schedule = self._schedule
        if schedule is None:
            rate = float(self._learning_rate._value)
        elif self._schedule_takes_step:
            rate = float(schedule(self._iterations))
        else:
            rate = float(schedule())
        if with_decay and self._legacy_decay:
            rate /= 1.0 + self._legacy_decay * int(self._iterations._value)
        return rate

    @property
    def iterations(self):
        """The number of steps taken so far, a scalar int64 ``Variable``."""
        return self._iterations

    @iterations.setter
    def iterations(self, value):
        self._iterations._value[...] = int(value)

    # --- state: slots per variable ------------------------------------------------------
    def build(self, var_list):
        """Create the optimizer's state (slots) for ``var_list`` now rather than at the first step.

        Call it before ``set_state`` to restore a saved state, so the slots exist.
        Building again with more variables adds slots for the new ones only.
        """
        for variable in var_list:
            if id(variable) not in self._records:
                self._check_variable(variable, "build")
                self._create_slots(variable)
        self.built = True

    def _check_variable(self, variable, where):
        if not isinstance(variable, Variable):
            raise TypeError(f"{self.name}.{where}: expects Variables, got {type(variable).__name__}")
        if variable._value.dtype.kind != "f":
            raise TypeError(
                f"{self.name}.{where}: variable '{variable.name}' holds {variable.dtype}; "
                "only float variables can be optimized"
            )

    def _slot_initial_value(self, slot_name):
        return 0.0

    def _create_slots(self, variable):
        value = variable._value
        arrays = []
        for slot in self._slot_names:
            initial = xp.full(value.shape, self._slot_initial_value(slot), dtype=value.dtype)
            slot_variable = Variable(
                initial, trainable=False, name=f"{self.name}/{variable.name}_{slot}", dtype=value.dtype
            )
            self._slot_variables.append(slot_variable)
            arrays.append(slot_variable._value)
        self._tracked.append(variable)
        record = self._with_scratch(tuple(arrays), value)
        self._records[id(variable)] = record
        return record

    def _with_scratch(self, arrays, value):
        buffers = self._scratch.get(value.dtype)
        if buffers is None or buffers[0].size < value.size:
            # Grow the shared buffers and re-point every weight's views at the new ones.
            size = max([value.size] + [v._value.size for v in self._tracked if v._value.dtype == value.dtype])
            self._scratch[value.dtype] = (xp.empty(size, dtype=value.dtype), xp.empty(size, dtype=value.dtype))
            for other in self._tracked:
                if id(other) in self._records and other._value.dtype == value.dtype:
                    self._records[id(other)] = self._with_scratch(self._records[id(other)][0], other._value)
            buffers = self._scratch[value.dtype]
        n, shape = value.size, value.shape
        return arrays, buffers[0][:n].reshape(shape), buffers[1][:n].reshape(shape)

    def _add_extra_variable(self, name, value):
        variable = Variable(value, trainable=False, name=f"{self.name}/{name}", dtype=backend.floatx())
        variable._value = backend.to_numpy(variable._value).copy()  # a number Python reads each step: kept on the host
        self._extra_variables[name] = variable
        return variable

    @property
    def variables(self):
        """The optimizer's own variables: iterations, learning rate, then every slot.

        Works both as ``optimizer.variables`` (Keras 3) and ``optimizer.variables()``.
        """
        own = [self._iterations]
        if self._schedule is None:
            own.append(self._learning_rate)
        return _VariableList(own + list(self._extra_variables.values()) + self._slot_variables)

    def get_weights(self):
        """The values of ``variables`` as a list of NumPy arrays."""
        return [v.numpy() for v in self.variables]

    def set_weights(self, weights):
        """Set ``variables`` from a list of arrays, in the order ``get_weights`` gives."""
        variables = self.variables
        weights = list(weights)
        if len(weights) != len(variables):
            raise ValueError(
                f"{self.name}.set_weights: expected {len(variables)} arrays (build the optimizer "
                f"on the model's variables first), got {len(weights)}"
            )
        for variable, weight in zip(variables, weights):
            if tuple(numpy.shape(weight)) != tuple(variable.shape):
                raise ValueError(
                    f"{self.name}.set_weights: '{variable.name}' has shape {tuple(variable.shape)}, "
                    f"got an array of shape {tuple(numpy.shape(weight))}"
                )
        for variable, weight in zip(variables, weights):
            variable._value[...] = to_array(weight, variable.dtype)

    def _state_layout(self):
        """name -> array (the live buffer) of everything ``get_state`` saves, in order."""
        layout = {"iterations": self._iterations._value}
        if self._schedule is None:
            layout["learning_rate"] = self._learning_rate._value
        for name, variable in self._extra_variables.items():
            layout[name] = variable._value
        for index, variable in enumerate(self._tracked):
            arrays = self._records[id(variable)][0]
            for slot, array in zip(self._slot_names, arrays):
                layout[f"{index}/{slot}"] = array
        return layout

    def get_state(self):
        """Everything needed to resume training, as ``{name: NumPy array}``.

        Keys: ``"iterations"``; ``"learning_rate"`` when it is a number (not a schedule);
        optimizer-wide extras (Nadam's ``"u_product"``); then ``"<i>/<slot>"`` for the
        ``i``-th variable the optimizer has seen (the order of ``build`` or of the first
        ``apply_gradients``) and each of its slots, e.g. ``"0/momentum"``,
        ``"0/velocity"``, ``"1/momentum"``, ... The arrays are copies.
        """
        return {name: backend.to_numpy(array).copy() for name, array in self._state_layout().items()}

    def set_state(self, state):
        """Restore what ``get_state`` returned, in place.

        Call ``build(var_list)`` first with the same variables, in the same order, as
        when the state was saved. Everything is checked before anything changes.
        ``"learning_rate"`` may be absent (the current rate is kept), and is ignored
        when this optimizer uses a schedule.
        """
        state = dict(state)
        layout = self._state_layout()
        if self._schedule is not None:
            state.pop("learning_rate", None)
        elif "learning_rate" not in state:
            layout.pop("learning_rate")
        missing = [k for k in layout if k not in state]
        unexpected = [k for k in state if k not in layout]
        if missing or unexpected:
            hint = ""
            if not self._tracked and any("/" in k for k in unexpected):
                hint = " (call optimizer.build(model.trainable_variables) before set_state)"
            raise ValueError(
                f"{self.name}.set_state: the state does not fit this optimizer{hint}; "
                f"missing {missing[:6]}{'...' if len(missing) > 6 else ''}, "
                f"unexpected {unexpected[:6]}{'...' if len(unexpected) > 6 else ''}"
            )
        converted = {}
        for name, target in layout.items():
            value = to_array(state[name], target.dtype)
            if value.shape != target.shape:
                raise ValueError(
                    f"{self.name}.set_state: '{name}' has shape {tuple(target.shape)} here, got {tuple(value.shape)}"
                )
            converted[name] = value
        for name, target in layout.items():
            target[...] = converted[name]
        self.built = self.built or bool(self._tracked)

    # --- weight decay --------------------------------------------------------------------
    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exempt variables from weight decay: these ones, or those whose name contains any of ``var_names``."""
        self._exclude_ids = {id(v) for v in var_list or ()}
        names = [re.escape(n) for n in var_names or ()]
        self._exclude_pattern = re.compile("|".join(names)) if names else None

    def _decays(self, variable):
        if id(variable) in self._exclude_ids:
            return False
        pattern = self._exclude_pattern
        return pattern is None or pattern.search(variable.name) is None

    # --- one step ----------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars, name=None, skip_gradients_aggregation=False, **kwargs):
        """Update each variable from its gradient, in place; one step.

        Parameters
        ----------
        grads_and_vars : iterable of (gradient, Variable) pairs
            Typically ``zip(grads, model.trainable_variables)``. Pairs whose gradient
            is ``None`` are skipped (with a warning naming them).

        Returns
        -------
        Variable
            ``iterations``, after the step.

        Raises
        ------
        ValueError
            If every gradient is ``None``, or a gradient's shape differs from its
            variable's. Nothing is updated then.
        """
        grads, variables, missing = [], [], []
        for index, pair in enumerate(grads_and_vars):
            try:
                grad, variable = pair
            except (TypeError, ValueError):
                raise TypeError(
                    f"{self.name}.apply_gradients expects (gradient, variable) pairs such as "
                    f"zip(grads, model.trainable_variables); item {index} is {type(pair).__name__}"
                ) from None
            if type(variable) is not Variable and not isinstance(variable, Variable):
                swapped = " (did you write zip(variables, gradients)?)" if isinstance(variable, Tensor) else ""
                raise TypeError(
                    f"{self.name}.apply_gradients: the second item of pair {index} must be a "
                    f"Variable, got {type(variable).__name__}{swapped}"
                )
            if grad is None:
                missing.append(variable.name)
                continue
            grads.append(grad)
            variables.append(variable)
        if not variables:
            raise ValueError(
                f"{self.name}: No gradients provided for any variable: {missing}. Check that the "
                "loss was computed inside the GradientTape from these variables."
            )
        if missing:
            warn(
                f"{self.name}: gradients do not exist for variables {missing} when minimizing the "
                "loss; they are not updated"
            )
        strategy = getattr(self, "_distribute_strategy", None)
        if strategy is not None and strategy.distributed and not skip_gradients_aggregation:
            grads = strategy._reduce_gradients(grads)
        self._apply(grads, variables)
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """Keras 3 form of ``apply_gradients``: a list of gradients and a list of variables.

        Without ``trainable_variables``, the gradients match the variables of ``build``.
        """
        if trainable_variables is None:
            if not self._tracked:
                raise ValueError(
                    f"{self.name}.apply: without trainable_variables the optimizer must be built "
                    "first (optimizer.build(variables))"
                )
            trainable_variables = self._tracked
        grads, trainable_variables = list(grads), list(trainable_variables)
        if len(grads) != len(trainable_variables):
            raise ValueError(f"{self.name}.apply: {len(grads)} gradients for {len(trainable_variables)} variables")
        return self.apply_gradients(zip(grads, trainable_variables))

    def _apply(self, grads, variables):
        # Check and convert everything first: bad input changes nothing.
        arrays = []
        for grad, variable in zip(grads, variables):
            value = variable._value
            if isinstance(grad, Tensor):
                array = grad._value
            else:
                try:
                    array = to_array(grad)
                except (TypeError, ValueError) as error:
                    raise TypeError(f"{self.name}: the gradient of '{variable.name}' is not numeric: {error}") from None
            if array.shape != value.shape:
                raise ValueError(
                    f"{self.name}: the gradient for variable '{variable.name}' has shape "
                    f"{tuple(array.shape)}, but the variable has shape {tuple(value.shape)}"
                )
            if array.dtype != value.dtype:
                if value.dtype.kind != "f":
                    self._check_variable(variable, "apply_gradients")
                array = array.astype(value.dtype)
            arrays.append(array)
        records = self._records
        for variable in variables:
            if id(variable) not in records:
                self._check_variable(variable, "apply_gradients")
                self._create_slots(variable)
        self.built = True

        if self.clipnorm is not None or self.clipvalue is not None or self.global_clipnorm is not None:
            arrays = self._clip_gradients(arrays)
        rate = self._current_learning_rate()
        if self.weight_decay:
            self._apply_weight_decay(variables, rate)
        coefficients = self._coefficients(rate)
        update = self._update
        # The built-in updates are element-wise: large weights are split over the cores.
        threaded = type(self)._update.__module__ == __name__ and xp is numpy and parallel.num_threads() > 1
        fused = _fused_update(self)
        for array, variable in zip(arrays, variables):
            slots, tmp, tmp2 = records[id(variable)]
            if fused is not None and fused(variable._value, array, slots, coefficients):
                pass  # one compiled pass did it (False: an array was not contiguous)
            elif threaded and array.size >= parallel.MIN_ELEMENTS:
                _split_update(update, variable._value, array, slots, tmp, tmp2, coefficients)
            else:
                update(variable._value, array, slots, tmp, tmp2, coefficients)
            constraint = getattr(variable, "constraint", None)
            if constraint is not None:
                variable.assign(constraint(variable))
        self._iterations._value += 1
        if int(self._iterations._value) % FLUSH_EVERY == 0:
            for variable in variables:
                _flush_subnormals(records[id(variable)][0])

    def _coefficients(self, rate):
        """Numbers shared by every variable's update in this step (default: the rate)."""
        return rate

    def _update(self, w, g, slots, tmp, tmp2, c):
        raise NotImplementedError(f"{type(self).__name__} must implement _update")

    def _clip_gradients(self, arrays):
        # New arrays: a gradient may be shared with another variable or with the tape.
        if (
            arrays
            and not backend.on_host(arrays[0])
            and (self.clipnorm is not None or self.global_clipnorm is not None)
        ):
            return self._clip_on_device(arrays)
        if self.clipnorm is not None:
            clipped = []
            for g in arrays:
                norm = math.sqrt(float(xp.vdot(g.ravel(), g.ravel())))
                clipped.append(g * (self.clipnorm / norm) if norm > self.clipnorm else g)
            return clipped
        if self.global_clipnorm is not None:
            norm = math.sqrt(sum(float(xp.vdot(g.ravel(), g.ravel())) for g in arrays))
            if not math.isfinite(norm):
                return [g * numpy.nan for g in arrays]
            if norm <= self.global_clipnorm:
                return arrays
            scale = self.global_clipnorm / norm
            return [g * scale for g in arrays]
        limit = self.clipvalue
        return [xp.clip(g, -limit, limit) for g in arrays]

    def _clip_on_device(self, arrays):
        # The clipping of _clip_gradients, computed where the gradients are: reading a norm
        # back to Python would make every step wait for the GPU.
        if self.clipnorm is not None:
            return [g * xp.minimum(1.0, self.clipnorm / xp.sqrt(xp.vdot(g.ravel(), g.ravel()))) for g in arrays]
        norm = xp.sqrt(sum(xp.vdot(g.ravel(), g.ravel()).astype(numpy.float64) for g in arrays))
        scale = xp.where(xp.isfinite(norm), xp.minimum(1.0, self.global_clipnorm / norm), numpy.nan)
        return [g * scale.astype(g.dtype) for g in arrays]

    def _apply_weight_decay(self, variables, rate):
        factor = self.weight_decay * rate
        records = self._records
        fused = _fused_update(self) is not None
        for variable in variables:
            if self._decays(variable):
                w = variable._value
                if fused and _kernels().decay(w, factor):
                    continue
                tmp = records[id(variable)][1]
                xp.multiply(w, factor, out=tmp)
                xp.subtract(w, tmp, out=w)

    def minimize(self, loss, var_list, tape=None):
        """Compute the gradients of ``loss`` and apply them: one step.

        Parameters
        ----------
        loss : callable or Tensor
            A function of no arguments returning the loss (it is run under a new
            tape), or a loss tensor recorded by ``tape``.
        var_list : list of Variable, or a callable returning it
        tape : GradientTape, optional
            Needed when ``loss`` is a tensor.

        Examples
        --------
        >>> import learnet as tf
        >>> x = tf.Variable(3.0)
        >>> opt = tf.keras.optimizers.SGD(learning_rate=0.25)
        >>> _ = opt.minimize(lambda: x * x, [x])      # x - 0.25 * 2x
        >>> float(x)
        1.5
        """
        if callable(var_list) and not isinstance(var_list, (list, tuple)):
            var_list = var_list()
        var_list = list(var_list)
        if isinstance(loss, Tensor):
            if tape is None:
                raise TypeError(
                    f"{self.name}.minimize: a loss tensor needs the tape that recorded it "
                    "(minimize(loss, var_list, tape=tape)); or pass the loss as a function "
                    "of no arguments"
                )
            value = loss
        elif callable(loss):
            tape = tape if tape is not None else GradientTape()
            with tape:
                tape.watch([v for v in var_list if isinstance(v, Variable)])
                value = loss()
        else:
            raise TypeError(f"{self.name}.minimize: loss must be a tensor or a function, got {type(loss).__name__}")
        grads = tape.gradient(value, var_list)
        return self.apply_gradients(zip(grads, var_list))

    # --- configuration -----------------------------------------------------------------
    def get_config(self):
        """The constructor arguments, as a dictionary (the state is not included)."""
        if isinstance(self._schedule, LearningRateSchedule):
            rate = schedules.serialize(self._schedule)
        elif self._schedule is not None:
            rate = self._current_learning_rate(with_decay=False)
        else:
            rate = float(str(self._learning_rate._value))  # the float32 value, printed short
        config = {
            "name": self.name,
            "learning_rate": rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
        }
        if self._legacy_decay:
            config["decay"] = self._legacy_decay
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Create an optimizer from what ``get_config`` returned."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"], custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<learnet.optimizers.{type(self).__name__} name={self.name!r} learning_rate={self._current_learning_rate(with_decay=False):g}>"


def _split_update(update, w, g, slots, tmp, tmp2, c):
    """``update`` run on slices of the flattened weight, state and scratch, one per thread.

    Every built-in ``_update`` is element-wise, so each slice's result is exactly what
    the whole-array update computes there. Arrays that are not contiguous (a flat
    view would be a copy, and writes to it lost) are updated in one call.
    """
    flat = parallel.flat_views([w, g, tmp, tmp2, *slots])
    if flat is None:
        update(w, g, slots, tmp, tmp2, c)
        return
    parallel.split_run(lambda w, g, tmp, tmp2, *slots: update(w, g, slots, tmp, tmp2, c), flat)


def _fused_update(optimizer):
    """The optimizer's compiled update (``_fused_update``) when the compiled kernels are on
    and the class's ``_update`` is the built-in one it mirrors; else None (the NumPy
    ``_update`` runs). A subclass that rewrites ``_update`` keeps its own rule."""
    if not compiled.enabled():
        return None
    owners = _FUSED_OWNERS.get(type(optimizer))
    if owners is None:
        mro = type(optimizer).__mro__
        owners = [next((k for k in mro if name in vars(k)), None) for name in ("_update", "_fused_update")]
        _FUSED_OWNERS[type(optimizer)] = owners
    return optimizer._fused_update if owners[0] is owners[1] else None


_FUSED_OWNERS = {}  # optimizer class -> [class defining _update, class defining _fused_update]


def _kernels():
    """``learnet.ops.compiled.update``, imported on first use (it needs numba)."""
    from learnet.ops.compiled import update

    return update


def _takes_argument(function):
    """Whether a learning-rate function wants the step (TF's are functions of no argument)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(
        p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        for p in parameters
    )


# --- the optimizers -----------------------------------------------------------------------
class SGD(Optimizer):
    """Gradient descent, with optional (Nesterov) momentum.

    Update rule (Keras), with velocity ``v`` starting at zero::

        momentum == 0:  w = w - learning_rate * g
        otherwise:      v = momentum * v - learning_rate * g
                        w = w + v                                      (plain)
                        w = w + momentum * v - learning_rate * g       (nesterov=True)

    Parameters
    ----------
    learning_rate : float or schedule, default 0.01
    momentum : float in [0, 1], default 0.0
    nesterov : bool, default False
    **kwargs
        ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``
        (see ``Optimizer``); ``lr`` and ``decay`` are deprecated aliases.

    Examples
    --------
    >>> import learnet as tf
    >>> opt = tf.keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    >>> w = tf.Variable(1.0)
    >>> _ = opt.apply_gradients([(tf.constant(1.0), w)])   # v = -0.1
    >>> _ = opt.apply_gradients([(tf.constant(1.0), w)])   # v = -0.19
    >>> round(float(w), 4)
    0.71
    """

    def __init__(
        self,
        learning_rate=0.01,
        momentum=0.0,
        nesterov=False,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        name="SGD",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            name=name,
            **kwargs,
        )
        momentum = float(momentum)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"SGD: momentum must be a float in [0, 1], got {momentum}")
        self.momentum = momentum
        self.nesterov = bool(nesterov)
        self._slot_names = ("momentum",) if momentum != 0 else ()

    def _update(self, w, g, slots, tmp, tmp2, lr):
        if not slots:
            xp.multiply(g, lr, out=tmp)
            xp.subtract(w, tmp, out=w)
            return
        v = slots[0]
        momentum = self.momentum
        xp.multiply(g, lr, out=tmp)
        xp.multiply(v, momentum, out=v)
        xp.subtract(v, tmp, out=v)
        if self.nesterov:
            xp.multiply(v, momentum, out=tmp2)
            xp.subtract(tmp2, tmp, out=tmp2)
            xp.add(w, tmp2, out=w)
        else:
            xp.add(w, v, out=w)

    def _fused_update(self, w, g, slots, lr):
        return _kernels().sgd(w, g, slots[0] if slots else None, lr, self.momentum, self.nesterov)

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config


class RMSprop(Optimizer):
    """RMSprop: divide each gradient by a running root-mean-square of its recent values.

    Update rule (Keras 3)::

        v = rho * v + (1 - rho) * g**2
        a = rho * a + (1 - rho) * g                  (centered=True only)
        increment = learning_rate * g / sqrt(v + epsilon)              (not centered)
        increment = learning_rate * g / sqrt(v - a**2 + epsilon)       (centered)
        m = momentum * m + increment;  w = w - m     (momentum > 0)
        w = w - increment                            (momentum == 0)

    Parameters
    ----------
    learning_rate : float or schedule, default 0.001
    rho : float, default 0.9
    momentum : float, default 0.0
    epsilon : float, default 1e-7
    centered : bool, default False
    **kwargs
        See ``Optimizer``.
    """

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.9,
        momentum=0.0,
        epsilon=1e-7,
        centered=False,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        name="rmsprop",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            name=name,
            **kwargs,
        )
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"RMSprop: rho must be in [0, 1], got {rho}")
        if momentum < 0:
            raise ValueError(f"RMSprop: momentum must be non-negative, got {momentum}")
        self.rho = float(rho)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.centered = bool(centered)
        self._slot_names = (
            ("velocity",)
            + (("momentum",) if self.momentum > 0 else ())
            + (("average_gradient",) if self.centered else ())
        )

    def _update(self, w, g, slots, tmp, tmp2, lr):
        v = slots[0]
        rho = self.rho
        xp.multiply(v, rho, out=v)
        xp.square(g, out=tmp)
        xp.multiply(tmp, 1.0 - rho, out=tmp)
        xp.add(v, tmp, out=v)
        if self.centered:
            a = slots[-1]
            xp.multiply(a, rho, out=a)
            xp.multiply(g, 1.0 - rho, out=tmp)
            xp.add(a, tmp, out=a)
            xp.square(a, out=tmp)
            xp.subtract(v, tmp, out=tmp)
            xp.add(tmp, self.epsilon, out=tmp)
        else:
            xp.add(v, self.epsilon, out=tmp)
        xp.sqrt(tmp, out=tmp)
        xp.multiply(g, lr, out=tmp2)
        xp.divide(tmp2, tmp, out=tmp2)
        if self.momentum > 0:
            m = slots[1]
            xp.multiply(m, self.momentum, out=m)
            xp.add(m, tmp2, out=m)
            xp.subtract(w, m, out=w)
        else:
            xp.subtract(w, tmp2, out=w)

    def _fused_update(self, w, g, slots, lr):
        m = slots[1] if self.momentum > 0 else None
        a = slots[-1] if self.centered else None
        return _kernels().rmsprop(w, g, slots[0], m, a, lr, self.rho, self.momentum, self.epsilon)

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon, "centered": self.centered})
        return config


class Adam(Optimizer):
    """Adam: momentum on the gradient and on its square, with bias correction.

    Update rule (Keras 3), with ``t`` the step number counted from 1::

        alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        m = m + (g - m) * (1 - beta_1)
        v = v + (g**2 - v) * (1 - beta_2)
        v_hat = max(v_hat, v)                        (amsgrad=True; then v_hat is used for v)
        w = w - alpha * m / (sqrt(v) + epsilon)

    Parameters
    ----------
    learning_rate : float or schedule, default 0.001
    beta_1 : float, default 0.9
    beta_2 : float, default 0.999
    epsilon : float, default 1e-7
    amsgrad : bool, default False
    **kwargs
        See ``Optimizer``.

    Examples
    --------
    >>> import learnet as tf
    >>> opt = tf.keras.optimizers.Adam(learning_rate=0.1)
    >>> w = tf.Variable(1.0)
    >>> _ = opt.apply_gradients([(tf.constant(5.0), w)])   # the first step moves by about lr
    >>> round(float(w), 4)
    0.9
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        name="adam",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            name=name,
            **kwargs,
        )
        for key, value in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{type(self).__name__}: {key} must be in [0, 1), got {value}")
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.amsgrad = bool(amsgrad)
        self._slot_names = ("momentum", "velocity") + (("velocity_hat",) if self.amsgrad else ())

    def _coefficients(self, lr):
        t = int(self._iterations._value) + 1
        return lr * math.sqrt(1.0 - self.beta_2**t) / (1.0 - self.beta_1**t)

    def _update(self, w, g, slots, tmp, tmp2, alpha):
        m, v = slots[0], slots[1]
        xp.subtract(g, m, out=tmp)
        xp.multiply(tmp, 1.0 - self.beta_1, out=tmp)
        xp.add(m, tmp, out=m)
        xp.square(g, out=tmp)
        xp.subtract(tmp, v, out=tmp)
        xp.multiply(tmp, 1.0 - self.beta_2, out=tmp)
        xp.add(v, tmp, out=v)
        if self.amsgrad:
            v_hat = slots[2]
            xp.maximum(v_hat, v, out=v_hat)
            v = v_hat
        xp.sqrt(v, out=tmp)
        xp.add(tmp, self.epsilon, out=tmp)
        xp.multiply(m, alpha, out=tmp2)
        xp.divide(tmp2, tmp, out=tmp2)
        xp.subtract(w, tmp2, out=w)

    def _fused_update(self, w, g, slots, alpha):
        v_hat = slots[2] if self.amsgrad else None
        return _kernels().adam(w, g, slots[0], slots[1], v_hat, alpha, self.beta_1, self.beta_2, self.epsilon)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon, "amsgrad": self.amsgrad})
        return config


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter).

    Before each Adam step, every weight shrinks: ``w = w - w * weight_decay * learning_rate``.
    Exempt biases and the like with ``exclude_from_weight_decay(var_names=["bias"])``.

    Parameters
    ----------
    learning_rate : float or schedule, default 0.001
    weight_decay : float, default 0.004
    beta_1, beta_2, epsilon, amsgrad
        As ``Adam``.
    """

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        name="adamw",
        **kwargs,
    ):
        if weight_decay is None:
            raise ValueError("AdamW: weight_decay must be a number (use Adam for no weight decay), got None")
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            name=name,
            **kwargs,
        )


class Adagrad(Optimizer):
    """Adagrad: the learning rate of each weight shrinks with the sum of its squared gradients.

    Update rule (Keras 3), accumulator starting at ``initial_accumulator_value``::

        acc = acc + g**2
        w = w - learning_rate * g / sqrt(acc + epsilon)

    Parameters
    ----------
    learning_rate : float or schedule, default 0.001
    initial_accumulator_value : float, default 0.1
    epsilon : float, default 1e-7
    **kwargs
        See ``Optimizer``.
    """

    def __init__(
        self,
        learning_rate=0.001,
        initial_accumulator_value=0.1,
        epsilon=1e-7,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        name="adagrad",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            name=name,
            **kwargs,
        )
        if initial_accumulator_value < 0:
            raise ValueError(
                f"Adagrad: initial_accumulator_value must be non-negative, got {initial_accumulator_value}"
            )
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.epsilon = float(epsilon)
        self._slot_names = ("accumulator",)

    def _slot_initial_value(self, slot_name):
        return self.initial_accumulator_value

    def _update(self, w, g, slots, tmp, tmp2, lr):
        accumulator = slots[0]
        xp.square(g, out=tmp)
        xp.add(accumulator, tmp, out=accumulator)
        xp.add(accumulator, self.epsilon, out=tmp)
        xp.sqrt(tmp, out=tmp)
        xp.multiply(g, lr, out=tmp2)
        xp.divide(tmp2, tmp, out=tmp2)
        xp.subtract(w, tmp2, out=w)

    def _fused_update(self, w, g, slots, lr):
        return _kernels().adagrad(w, g, slots[0], lr, self.epsilon)

    def get_config(self):
        config = super().get_config()
        config.update({"initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon})
        return config


class Adadelta(Optimizer):
    """Adadelta: steps scaled by running averages of squared gradients and squared steps.

    Update rule (Keras 3)::

        acc_g = rho * acc_g + (1 - rho) * g**2
        delta = -sqrt(acc_delta + epsilon) * g / sqrt(acc_g + epsilon)
        acc_delta = rho * acc_delta + (1 - rho) * delta**2
        w = w + learning_rate * delta

    Parameters
    ----------
    learning_rate : float or schedule, default 0.001
    rho : float, default 0.95
    epsilon : float, default 1e-7
    """

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.95,
        epsilon=1e-7,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        name="adadelta",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            name=name,
            **kwargs,
        )
        self.rho = float(rho)
        self.epsilon = float(epsilon)
        self._slot_names = ("accumulated_grad", "accumulated_delta_var")

    def _update(self, w, g, slots, tmp, tmp2, lr):
        accumulated_grad, accumulated_delta = slots
        rho, epsilon = self.rho, self.epsilon
        xp.multiply(accumulated_grad, rho, out=accumulated_grad)
        xp.square(g, out=tmp)
        xp.multiply(tmp, 1.0 - rho, out=tmp)
        xp.add(accumulated_grad, tmp, out=accumulated_grad)
        xp.add(accumulated_delta, epsilon, out=tmp)
        xp.sqrt(tmp, out=tmp)
        xp.multiply(tmp, g, out=tmp)
        xp.add(accumulated_grad, epsilon, out=tmp2)
        xp.sqrt(tmp2, out=tmp2)
        xp.divide(tmp, tmp2, out=tmp)
        xp.negative(tmp, out=tmp)  # tmp is delta now
        xp.multiply(accumulated_delta, rho, out=accumulated_delta)
        xp.square(tmp, out=tmp2)
        xp.multiply(tmp2, 1.0 - rho, out=tmp2)
        xp.add(accumulated_delta, tmp2, out=accumulated_delta)
        xp.multiply(tmp, lr, out=tmp)
        xp.add(w, tmp, out=w)

    def _fused_update(self, w, g, slots, lr):
        return _kernels().adadelta(w, g, slots[0], slots[1], lr, self.rho, self.epsilon)

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config


class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm in place of the squared gradients.

    Update rule (Keras 3), ``t`` counted from 1::

        m = m + (g - m) * (1 - beta_1)
        u = max(beta_2 * u, |g|)
        w = w - learning_rate * m / ((1 - beta_1**t) * (u + epsilon))

    Parameters
    ----------
    learning_rate : float or schedule, default 0.001
    beta_1 : float, default 0.9
    beta_2 : float, default 0.999
    epsilon : float, default 1e-7
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        name="adamax",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            name=name,
            **kwargs,
        )
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self._slot_names = ("momentum", "norm")

    def _coefficients(self, lr):
        t = int(self._iterations._value) + 1
        return lr, 1.0 - self.beta_1**t

    def _update(self, w, g, slots, tmp, tmp2, c):
        lr, correction = c
        m, u = slots
        xp.subtract(g, m, out=tmp)
        xp.multiply(tmp, 1.0 - self.beta_1, out=tmp)
        xp.add(m, tmp, out=m)
        xp.multiply(u, self.beta_2, out=u)
        xp.abs(g, out=tmp)
        xp.maximum(u, tmp, out=u)
        xp.add(u, self.epsilon, out=tmp)
        xp.multiply(tmp, correction, out=tmp)
        xp.multiply(m, lr, out=tmp2)
        xp.divide(tmp2, tmp, out=tmp2)
        xp.subtract(w, tmp2, out=w)

    def _fused_update(self, w, g, slots, c):
        lr, correction = c
        return _kernels().adamax(w, g, slots[0], slots[1], lr, self.beta_1, self.beta_2, self.epsilon, correction)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config


class Nadam(Optimizer):
    """Nadam: Adam with Nesterov momentum (Dozat), as Keras 3 computes it.

    With ``t`` counted from 1, ``mu_t = beta_1 * (1 - 0.5 * 0.96**t)`` and
    ``P_t = mu_1 * ... * mu_t``::

        m = m + (g - m) * (1 - beta_1);  v = v + (g**2 - v) * (1 - beta_2)
        m_hat = mu_{t+1} * m / (1 - P_t * mu_{t+1}) + (1 - mu_t) * g / (1 - P_t)
        v_hat = v / (1 - beta_2**t)
        w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    Parameters
    ----------
    learning_rate : float or schedule, default 0.001
    beta_1 : float, default 0.9
    beta_2 : float, default 0.999
    epsilon : float, default 1e-7
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        name="nadam",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            name=name,
            **kwargs,
        )
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self._slot_names = ("momentum", "velocity")
        self._u_product = self._add_extra_variable("u_product", 1.0)

    def _coefficients(self, lr):
        t = int(self._iterations._value) + 1
        u_t = self.beta_1 * (1.0 - 0.5 * 0.96**t)
        u_next = self.beta_1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        product = float(self._u_product._value) * u_t
        self._u_product._value[...] = product
        return (lr, u_next / (1.0 - product * u_next), (1.0 - u_t) / (1.0 - product), 1.0 / (1.0 - self.beta_2**t))

    def _update(self, w, g, slots, tmp, tmp2, c):
        lr, m_scale, g_scale, v_scale = c
        m, v = slots
        xp.subtract(g, m, out=tmp)
        xp.multiply(tmp, 1.0 - self.beta_1, out=tmp)
        xp.add(m, tmp, out=m)
        xp.square(g, out=tmp)
        xp.subtract(tmp, v, out=tmp)
        xp.multiply(tmp, 1.0 - self.beta_2, out=tmp)
        xp.add(v, tmp, out=v)
        xp.multiply(v, v_scale, out=tmp)  # v_hat
        xp.sqrt(tmp, out=tmp)
        xp.add(tmp, self.epsilon, out=tmp)  # the denominator
        # w -= lr * m_hat / d, with m_hat = m_scale * m + g_scale * g, one term at a time.
        xp.multiply(m, lr * m_scale, out=tmp2)
        xp.divide(tmp2, tmp, out=tmp2)
        xp.subtract(w, tmp2, out=w)
        xp.multiply(g, lr * g_scale, out=tmp2)
        xp.divide(tmp2, tmp, out=tmp2)
        xp.subtract(w, tmp2, out=w)

    def _fused_update(self, w, g, slots, c):
        lr, m_scale, g_scale, v_scale = c
        m, v = slots
        return _kernels().nadam(w, g, m, v, lr * m_scale, lr * g_scale, self.beta_1, self.beta_2, v_scale, self.epsilon)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config


# --- look-up by name ------------------------------------------------------------------------
_OPTIMIZERS = {
    "sgd": SGD,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
    "adagrad": Adagrad,
    "adadelta": Adadelta,
    "adamax": Adamax,
    "nadam": Nadam,
}


def serialize(optimizer):
    """Return ``{"class_name": ..., "config": ...}`` describing ``optimizer``."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"serialize expects an Optimizer, got {type(optimizer).__name__}")
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config, custom_objects=None):
    """Create an optimizer from ``{"class_name": ..., "config": ...}``."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"deserialize expects a dict with 'class_name' and 'config', got {config!r}")
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _OPTIMIZERS.get(str(name).lower()) or registry.get_registered_object(name)
    if cls is None:
        raise ValueError(f"unknown optimizer {name!r}; known: {sorted(c.__name__ for c in _OPTIMIZERS.values())}")
    return cls.from_config(dict(config.get("config", {})), custom_objects=custom_objects)


def get(identifier):
    """Return an optimizer for ``identifier``.

    Parameters
    ----------
    identifier : str, Optimizer, Optimizer subclass or dict
        A name (``"sgd"``, ``"rmsprop"``, ``"adam"``, ``"adamw"``, ``"adagrad"``,
        ``"adadelta"``, ``"adamax"``, ``"nadam"``, any case) gives a new optimizer
        with Keras' defaults; an optimizer is returned as it is.

    Examples
    --------
    >>> get("adam").get_config()["learning_rate"]
    0.001
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _OPTIMIZERS.get(identifier.lower())
        if cls is None:
            close = difflib.get_close_matches(identifier.lower(), _OPTIMIZERS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"unknown optimizer {identifier!r}; known: {sorted(_OPTIMIZERS)}.{hint}")
        return cls()
    raise ValueError(f"cannot interpret {identifier!r} as an optimizer")


class legacy:
    """``tf.keras.optimizers.legacy``: the same optimizers, for code written for TF 2.11+."""

    SGD, RMSprop, Adam, Adagrad, Adadelta, Adamax, Nadam, Optimizer = (
        SGD,
        RMSprop,
        Adam,
        Adagrad,
        Adadelta,
        Adamax,
        Nadam,
        Optimizer,
    )


__all__ = [
    "Optimizer",
    "SGD",
    "RMSprop",
    "Adam",
    "AdamW",
    "Adagrad",
    "Adadelta",
    "Adamax",
    "Nadam",
    "schedules",
    "get",
    "serialize",
    "deserialize",
    "LearnetDeprecationWarning",
]
