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
from learnet.tensor import Tensor, Variable, owned_variable, to_array
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
    use_ema : bool, default False
        Keep an exponential moving average (EMA) of every trained weight, updated
        after each step (weight averaging). ``fit`` ends with the averages in the
        model (``finalize_variable_values``); ``callbacks.SwapEMAWeights`` evaluates
        with them during training.
    ema_momentum : float in [0, 1], default 0.99
        With ``use_ema``: ``average = ema_momentum * average + (1 - ema_momentum) * w``
        after every step but the first, which sets ``average = w``.
    ema_overwrite_frequency : int, optional
        With ``use_ema``: every this many steps the weights are replaced by their
        averages. ``None``: only ``finalize_variable_values`` does it.
    gradient_accumulation_steps : int >= 2, optional
        Update the weights only every this many calls of ``apply_gradients``, with the
        mean of the gradients of those calls (summed meanwhile in one
        ``gradient_accumulator`` variable per weight): training as with a batch that many
        times larger. ``iterations`` then counts the updates (the calls divided by this
        number); a learning-rate schedule still sees every call, as in Keras 3.
        ``None`` (or 0): every call updates.
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
        The number of steps taken (int64). With ``gradient_accumulation_steps``, the
        number of updates made (a scalar tensor: the calls divided by that number).

    Notes
    -----
    Subclasses name their per-weight state in ``_slot_names`` (for example
    ``("momentum", "velocity")``) and implement ``_update(w, g, slots, tmp, tmp2, c)``
    on raw arrays, where ``c`` is what ``_coefficients(lr)`` returned for this step.
    Most built-in ones also have ``_fused_update(w, g, slots, c)``: the same rule as one
    compiled pass (``learnet.ops.compiled.update``), run instead when the compiled
    kernels are on (``learnet.ops.compiled.enabled()``). A slot shaped unlike its weight
    comes from ``_slot_shape`` (Adafactor's row and column averages), and an update that
    needs the whole weight at once (a norm: Lamb, Adafactor) sets ``_elementwise = False``
    so that a large weight is never updated in slices on several threads.
    """

    _slot_names = ()
    # Whether ``_update`` works element by element (then a large weight may be updated in
    # slices, one per thread); False for updates that use a whole weight's norm.
    _elementwise = True

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        name=None,
        gradient_accumulation_steps=None,
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
        gradient_accumulation_steps = _accumulation_steps(gradient_accumulation_steps, type(self).__name__)
        if use_ema:  # Keras checks the EMA arguments only when they are used
            if not 0.0 <= ema_momentum <= 1.0:
                raise ValueError(f"{type(self).__name__}: ema_momentum must be in [0, 1], got {ema_momentum!r}")
            if ema_overwrite_frequency and (
                not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    f"{type(self).__name__}: ema_overwrite_frequency must be an integer >= 1 or None, "
                    f"got {ema_overwrite_frequency!r}"
                )

        self.name = name if name is not None else type(self).__name__.lower()
        self.weight_decay = None if weight_decay is None else float(weight_decay)
        self.clipnorm = None if clipnorm is None else float(clipnorm)
        self.clipvalue = None if clipvalue is None else float(clipvalue)
        self.global_clipnorm = None if global_clipnorm is None else float(global_clipnorm)
        self._legacy_decay = float(decay) if decay else 0.0
        self.use_ema = bool(use_ema)
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self._iterations = owned_variable(self.name, numpy.int64(0), trainable=False, name="iteration", dtype="int64")
        self._learning_rate = owned_variable(
            self.name, 0.0, trainable=False, name="learning_rate", dtype=backend.floatx()
        )
        # Python reads the step count and the rate in every step: on a GPU they stay in host
        # memory, so reading them never waits for the device.
        for number in (self._iterations, self._learning_rate):
            number._value = backend.to_numpy(number._value).copy()
        self._schedule = None
        self._schedule_takes_step = False
        self.learning_rate = learning_rate

        self._tracked = []  # the model variables with slots, in the order first seen
        self._records = {}  # id(variable) -> (slot arrays, scratch view, scratch view)
        self._slot_variables = []  # the slots as Variables, in the order they were made
        self._slots_of = {}  # id(variable) -> its slot Variables, in the order of `_slot_names`
        self._extra_variables = {}  # per-optimizer state beyond slots, e.g. Nadam's u_product
        self._averages = {}  # id(variable) -> its moving average, a Variable (use_ema=True)
        self._accumulators = {}  # id(variable) -> its summed gradients, a Variable (gradient_accumulation_steps)
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
        """The number of steps taken so far, a scalar int64 ``Variable``.

        With ``gradient_accumulation_steps=N`` it counts the updates, as Keras 3 does: a
        scalar tensor holding the calls of ``apply_gradients`` divided by ``N``.
        """
        steps = self.gradient_accumulation_steps
        if steps:
            return Tensor._wrap(xp.asarray(self._iterations._value // steps))
        return self._iterations

    @iterations.setter
    def iterations(self, value):
        # With accumulation the value counts updates: the calls start again at that update.
        self._iterations._value[...] = int(value) * (self.gradient_accumulation_steps or 1)

    def _steps_taken(self):
        """The updates made so far (Adam's bias correction counts them): the calls of
        ``apply_gradients``, or those calls divided by ``gradient_accumulation_steps``."""
        count = int(self._iterations._value)
        steps = self.gradient_accumulation_steps
        return count // steps if steps else count

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
                f"{self.name}.{where}: variable '{variable.path}' holds {variable.dtype}; "
                "only float variables can be optimized"
            )

    def _slot_initial_value(self, slot_name):
        return 0.0

    def _set_moment_decays(self, beta_1, beta_2, epsilon):
        """Adam's family: check and keep the decays of the two moments, each in [0, 1), and epsilon."""
        for key, value in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{type(self).__name__}: {key} must be in [0, 1), got {value}")
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)

    def _slot_shape(self, slot_name, shape):
        """The shape of a slot of a variable of ``shape`` (the variable's own, but for Adafactor)."""
        return shape

    def _create_slots(self, variable):
        value = variable._value
        arrays, slot_variables = [], []
        for slot in self._slot_names:
            initial = xp.full(self._slot_shape(slot, value.shape), self._slot_initial_value(slot), dtype=value.dtype)
            slot_variable = owned_variable(
                self.name, initial, trainable=False, name=f"{variable.path.replace('/', '_')}_{slot}", dtype=value.dtype
            )
            self._slot_variables.append(slot_variable)
            slot_variables.append(slot_variable)
            arrays.append(slot_variable._value)
        self._slots_of[id(variable)] = tuple(slot_variables)
        if self.use_ema:
            self._average_of(variable)
        if self.gradient_accumulation_steps:
            self._accumulators[id(variable)] = owned_variable(
                self.name,
                xp.zeros_like(value),
                trainable=False,
                name=f"{variable.path.replace('/', '_')}_gradient_accumulator",
                dtype=value.dtype,
            )
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
        variable = owned_variable(self.name, value, trainable=False, name=name, dtype=backend.floatx())
        variable._value = backend.to_numpy(variable._value).copy()  # a number Python reads each step: kept on the host
        self._extra_variables[name] = variable
        return variable

    def _slot_groups(self):
        """The slot names in the groups Keras 3 lists them by: ``((names...), ...)``.

        Keras 3 makes the slots of one group for every variable in turn, then the next
        group: Adam's ``(("momentum", "velocity"), ("velocity_hat",))`` lists
        ``m0 v0 m1 v1 ... vhat0 vhat1 ...``. By default all slots form one group
        (interleaved per variable). Only the listing follows it: each weight keeps its slots
        together where the updates read them.
        """
        return (self._slot_names,) if self._slot_names else ()

    def _listed_slots(self):
        """``[(key, slot Variable)]`` in Keras 3's order, the key as ``get_state`` names it."""
        listed = []
        for group in self._slot_groups():
            for index, variable in enumerate(self._tracked):
                slots = dict(zip(self._slot_names, self._slots_of[id(variable)]))
                listed.extend((f"{index}/{slot}", slots[slot]) for slot in group)
        return listed

    def _listed_variables(self):
        """``[(key, Variable)]``: everything the optimizer keeps, in Keras 3's order.

        The step count, the learning rate (a number, not a schedule), with ``use_ema`` the
        moving averages of all variables, with ``gradient_accumulation_steps`` their gradient
        accumulators, the slots by group (``_slot_groups``), and last the optimizer-wide
        extras (Nadam's ``u_product``, which Keras 3 makes after the slots).
        """
        listed = [("iterations", self._iterations)]
        if self._schedule is None:
            listed.append(("learning_rate", self._learning_rate))
        for kind, table in (("average", self._averages), ("gradient_accumulator", self._accumulators)):
            listed.extend(
                (f"{index}/{kind}", table[id(variable)])
                for index, variable in enumerate(self._tracked)
                if id(variable) in table
            )
        listed.extend(self._listed_slots())
        listed.extend(self._extra_variables.items())
        return listed

    @property
    def variables(self):
        """The optimizer's own variables, in Keras 3's order.

        Iterations, learning rate (unless a schedule), with ``use_ema`` the moving averages,
        with ``gradient_accumulation_steps`` the gradient accumulators, then the slots
        grouped by kind as Keras 3 makes them (Adam with ``amsgrad``: the momentums and
        velocities of every variable, then all velocity_hats; RMSprop: all velocities, all
        momentums, all average_gradients), and last Nadam's ``u_product``. A ``.keras``
        file lists them in this order.
        Works both as ``optimizer.variables`` (Keras 3) and ``optimizer.variables()``.

        Examples
        --------
        >>> import learnet as keras
        >>> opt = keras.optimizers.Adam(amsgrad=True)
        >>> opt.build([keras.Variable([1.0], name="w"), keras.Variable([2.0], name="b")])
        >>> [v.name.rsplit("_", 1)[-1] for v in opt.variables][2:]
        ['momentum', 'velocity', 'momentum', 'velocity', 'hat', 'hat']
        """
        return _VariableList(variable for _, variable in self._listed_variables())

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
                    f"{self.name}.set_weights: '{variable.path}' has shape {tuple(variable.shape)}, "
                    f"got an array of shape {tuple(numpy.shape(weight))}"
                )
        for variable, weight in zip(variables, weights):
            variable._value[...] = to_array(weight, variable.dtype)

    def _state_layout(self):
        """name -> array (the live buffer) of everything ``get_state`` saves, in the order of ``variables``."""
        return {key: variable._value for key, variable in self._listed_variables()}

    def get_state(self):
        """Everything needed to resume training, as ``{name: NumPy array}``.

        Keys, in the order of ``variables`` (Keras 3's): ``"iterations"``;
        ``"learning_rate"`` when it is a number (not a schedule); with ``use_ema``,
        ``"<i>/average"`` for every variable; with ``gradient_accumulation_steps``,
        ``"<i>/gradient_accumulator"`` for every variable; then ``"<i>/<slot>"`` for the
        ``i``-th variable the optimizer has seen (the order of ``build`` or of the first
        ``apply_gradients``) and each of its slots, grouped as Keras 3 lists them, e.g.
        ``"0/momentum"``, ``"0/velocity"``, ``"1/momentum"``, ``"1/velocity"``, then with
        ``amsgrad`` ``"0/velocity_hat"``, ``"1/velocity_hat"``; last the optimizer-wide
        extras (Nadam's ``"u_product"``). ``set_state`` reads the keys by name, so a state
        saved in an older order still fits. The arrays are copies.
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
                missing.append(variable.path)
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

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        """One step on the values given, returned as new values; the optimizer and the model's
        weights are left as they were (Keras 3's JAX style).

        Parameters
        ----------
        optimizer_variables : list
            One value per entry of ``optimizer.variables`` (iterations, learning rate, slots...).
        grads : list
            One gradient per variable the optimizer was built for.
        trainable_variables : list
            The values of those variables (``build``'s order).

        Returns
        -------
        ``(trainable_variables, optimizer_variables)``: the new values, as lists of Tensors.

        Examples
        --------
        >>> import learnet as keras
        >>> w = keras.Variable([1.0, 2.0])
        >>> sgd = keras.optimizers.SGD(0.1)
        >>> sgd.build([w])
        >>> new_w, new_state = sgd.stateless_apply(sgd.variables, [[1.0, 1.0]], [w])
        >>> new_w[0].numpy(), w.numpy(), int(new_state[0])
        (array([0.9, 1.9], dtype=float32), array([1., 2.], dtype=float32), 1)
        """
        if not self._tracked:
            raise ValueError(
                f"{self.name}.stateless_apply: the optimizer must be built first: call "
                "optimizer.build(model.trainable_variables)"
            )
        own, tracked = list(self.variables), list(self._tracked)
        state = self._stateless_arrays(optimizer_variables, own, "optimizer_variables")
        weights = self._stateless_arrays(trainable_variables, tracked, "trainable_variables")
        grads = list(grads)
        if len(grads) != len(tracked):
            raise ValueError(
                f"{self.name}.stateless_apply: {len(grads)} gradients for the {len(tracked)} variables the "
                "optimizer was built for"
            )
        # The slots are arrays the optimizer keeps references to: values go in and out in place.
        variables = own + tracked
        saved = [variable._value.copy() for variable in variables]
        try:
            for variable, array in zip(variables, state + weights):
                variable._value[...] = array
            self.apply(grads, tracked)
            new_weights = [Tensor._wrap(variable._value.copy()) for variable in tracked]
            new_state = [Tensor._wrap(variable._value.copy()) for variable in own]
        finally:
            for variable, array in zip(variables, saved):
                variable._value[...] = array
        return new_weights, new_state

    def _stateless_arrays(self, values, variables, what):
        """The values given in place of ``variables`` as arrays of their dtypes, checked (count,
        shape) before anything changes."""
        try:
            values = list(values)
        except TypeError:
            raise ValueError(
                f"{self.name}.stateless_apply: {what} must be a list of {len(variables)} values, "
                f"got {type(values).__name__}"
            ) from None
        if len(values) != len(variables):
            raise ValueError(
                f"{self.name}.stateless_apply: {what} must hold {len(variables)} values, one per "
                f"{'entry of optimizer.variables' if what == 'optimizer_variables' else 'variable of build'}, "
                f"got {len(values)}"
            )
        arrays = []
        for value, variable in zip(values, variables):
            array = value._value if isinstance(value, Tensor) else to_array(value)
            if tuple(array.shape) != tuple(variable.shape):
                raise ValueError(
                    f"{self.name}.stateless_apply: the value given for '{variable.path}' has shape "
                    f"{tuple(array.shape)}, expected {tuple(variable.shape)}"
                )
            arrays.append(xp.array(array, dtype=variable._value.dtype, copy=True))
        return arrays

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
                    raise TypeError(f"{self.name}: the gradient of '{variable.path}' is not numeric: {error}") from None
            if array.shape != value.shape:
                raise ValueError(
                    f"{self.name}: the gradient for variable '{variable.path}' has shape "
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

        accumulators = None
        if self.gradient_accumulation_steps:
            arrays, accumulators = self._accumulate(arrays, variables)
            if accumulators is None:  # not an update step: the gradients were only summed
                self._end_step(variables)
                return
        if self.clipnorm is not None or self.clipvalue is not None or self.global_clipnorm is not None:
            arrays = self._clip_gradients(arrays)
        rate = self._current_learning_rate()
        coefficients = self._coefficients(rate)  # may refuse the rate (Ftrl's 0): before anything changes
        if self.weight_decay:
            self._apply_weight_decay(variables, rate)
        update = self._update
        # Most built-in updates are element-wise: large weights are split over the cores.
        threaded = (
            self._elementwise
            and type(self)._update.__module__ == __name__
            and xp is numpy
            and parallel.num_threads() > 1
        )
        fused = _fused_update(self)
        for array, variable in zip(arrays, variables):
            slots, tmp, tmp2 = records[id(variable)]
            if fused is not None and fused(variable._value, array, slots, coefficients):
                pass  # one compiled pass did it (False: an array was not contiguous)
            elif threaded and array.size >= parallel.MIN_ELEMENTS:
                _split_update(update, variable._value, array, slots, tmp, tmp2, coefficients)
            else:
                update(variable._value, array, slots, tmp, tmp2, coefficients)
        if accumulators is not None:
            for accumulator in accumulators:
                accumulator.fill(0)
        self._end_step(variables)

    def _end_step(self, variables):
        """What follows every call of ``apply_gradients``, update or not: the moving averages,
        the constraints, the step count and, now and then, the flush of subnormal slots."""
        if self.use_ema:
            self._update_moving_averages()
        # After the averages, as in Keras 3 (they follow the weights before their constraints).
        for variable in variables:
            constraint = getattr(variable, "constraint", None)
            if constraint is not None:
                variable.assign(constraint(variable))
        self._iterations._value += 1
        if int(self._iterations._value) % FLUSH_EVERY == 0:
            records = self._records
            for variable in variables:
                _flush_subnormals(records[id(variable)][0])
                if id(variable) in self._averages:
                    _flush_subnormals([self._averages[id(variable)]._value])

    def _accumulate(self, arrays, variables):
        """Gradient accumulation (``gradient_accumulation_steps=N``), as Keras 3 does it.

        On N - 1 calls out of N the gradients are added to the accumulators and
        ``(arrays, None)`` comes back: no update this time. On every N-th call the
        mean of the N calls' gradients comes back (new arrays: the given ones may be the
        tape's), with the accumulators to empty once the update is made; clipping and
        weight decay then act on that mean.
        """
        steps = self.gradient_accumulation_steps
        accumulators = [self._accumulators[id(variable)]._value for variable in variables]
        if (int(self._iterations._value) + 1) % steps:
            for accumulator, array in zip(accumulators, arrays):
                xp.add(accumulator, array, out=accumulator)
            return arrays, None
        means = []
        for accumulator, array in zip(accumulators, arrays):
            mean = xp.add(array, accumulator)
            xp.divide(mean, mean.dtype.type(steps), out=mean)
            means.append(mean)
        return means, accumulators

    # --- exponential moving average of the weights (use_ema=True) -----------------------------
    def _average_of(self, variable):
        """The moving average of ``variable``, a Variable, created on first use.

        Keras 3 starts an average at zero and its first step overwrites it; starting from
        the weight gives the same averages, and ``finalize_variable_values`` before any
        step leaves the weight as it is rather than zeroing it.
        """
        average = self._averages.get(id(variable))
        if average is None:
            value = variable._value
            average = owned_variable(
                self.name,
                value.copy(),
                trainable=False,
                name=f"{variable.path.replace('/', '_')}_average",
                dtype=value.dtype,
            )
            self._averages[id(variable)] = average
        return average

    def _update_moving_averages(self):
        """After a step: move every variable's average towards it; every
        ``ema_overwrite_frequency`` steps, put the averages in the variables."""
        step = self._steps_taken()  # the step just taken, counted from 0 (updates, with accumulation)
        for variable in self._tracked:
            w, average = variable._value, self._average_of(variable)._value
            if step == 0:
                xp.copyto(average, w)
                continue
            # Keras 3 computes in the variable's dtype: momentum * average + (1 - momentum) * w.
            momentum = w.dtype.type(self.ema_momentum)
            tmp = self._records[id(variable)][1]
            xp.multiply(w, w.dtype.type(1) - momentum, out=tmp)
            xp.multiply(average, momentum, out=average)
            xp.add(average, tmp, out=average)
        frequency = self.ema_overwrite_frequency
        if frequency and (step + 1) % frequency == 0:
            for variable in self._tracked:
                xp.copyto(variable._value, self._averages[id(variable)]._value)

    def finalize_variable_values(self, var_list):
        """Put the final values in the model's variables: with ``use_ema``, their moving averages.

        ``Model.fit`` calls it when training ends, as Keras 3 does; call it yourself at the
        end of a custom training loop. Without ``use_ema`` it does nothing. A variable this
        optimizer never updated (it has no average) keeps its value.

        Parameters
        ----------
        var_list : list of Variable
            Typically ``model.trainable_variables``.

        Examples
        --------
        >>> import learnet as tf
        >>> w = tf.Variable(0.0)
        >>> opt = tf.keras.optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5)
        >>> for _ in range(2):
        ...     _ = opt.apply_gradients([(tf.constant(-1.0), w)])   # w: 1, then 2
        >>> float(w), float(opt.variables[2])                      # the average: 1, then 1.5
        (2.0, 1.5)
        >>> opt.finalize_variable_values([w])
        >>> float(w)
        1.5
        """
        if not self.use_ema:
            return
        var_list = list(var_list)
        for variable in var_list:
            self._check_variable(variable, "finalize_variable_values")
        for variable in var_list:
            average = self._averages.get(id(variable))
            if average is not None:
                xp.copyto(variable._value, average._value)

    def _ema_pairs(self):
        """``[(variable, its average)]`` for every variable with an average, in the order first seen."""
        return [(v, self._averages[id(v)]) for v in self._tracked if id(v) in self._averages]

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

    def scale_loss(self, loss):
        """The loss to differentiate: ``loss`` itself (``LossScaleOptimizer`` multiplies it by its scale)."""
        return loss

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
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
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


def _accumulation_steps(value, who):
    """``gradient_accumulation_steps`` checked as Keras 3 checks it: ``None`` or 0 (no
    accumulation) or an integer >= 2. A float is taken only when it is a whole number (Keras
    takes 2.5 too, and then never updates on schedule); a bool or a string is refused."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, (int, float, numpy.integer, numpy.floating)):
        raise TypeError(f"{who}: gradient_accumulation_steps must be an integer >= 2 or None, got {value!r}")
    if isinstance(value, (bool, numpy.bool_)) or not math.isfinite(value) or value != int(value) or 0 != value < 2:
        raise ValueError(
            f"{who}: `gradient_accumulation_steps` must be an integer >= 2. "
            f"Received: gradient_accumulation_steps={value!r}"
        )
    return int(value)


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
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        name="SGD",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
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
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        name="rmsprop",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
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

    def _slot_groups(self):
        # Keras 3 makes all velocities, then all momentums, then all average gradients.
        return tuple((slot,) for slot in self._slot_names)

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
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        name="adam",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            name=name,
            **kwargs,
        )
        self._set_moment_decays(beta_1, beta_2, epsilon)
        self.amsgrad = bool(amsgrad)
        self._slot_names = ("momentum", "velocity") + (("velocity_hat",) if self.amsgrad else ())

    def _slot_groups(self):
        # Keras 3 makes the momentum and velocity of every variable, then all velocity_hats.
        return (("momentum", "velocity"),) + ((("velocity_hat",),) if self.amsgrad else ())

    def _coefficients(self, lr):
        t = self._steps_taken() + 1
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
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
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
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
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
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        name="adagrad",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
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
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        name="adadelta",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
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
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        name="adamax",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            name=name,
            **kwargs,
        )
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self._slot_names = ("momentum", "norm")

    def _coefficients(self, lr):
        t = self._steps_taken() + 1
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
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        name="nadam",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            name=name,
            **kwargs,
        )
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self._slot_names = ("momentum", "velocity")
        self._u_product = self._add_extra_variable("u_product", 1.0)

    def _coefficients(self, lr):
        t = self._steps_taken() + 1
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


class Lion(Optimizer):
    """Lion: every weight takes a step of the same size, in the direction of the sign of an
    interpolated momentum ("EvoLved Sign Momentum", found by a program search).

    Update rule (Keras 3), with the momentum ``m`` starting at zero::

        w = w - learning_rate * sign(beta_1 * m + (1 - beta_1) * g)
        m = beta_2 * m + (1 - beta_2) * g

    Each weight moves by exactly ``learning_rate`` (or not at all), so Lion's learning
    rate is usually 3 to 10 times smaller than Adam's, and its ``weight_decay`` as many
    times larger (the decay per step is ``learning_rate * weight_decay``). It keeps one
    slot per weight where Adam keeps two.

    Parameters
    ----------
    learning_rate : float or schedule, default 0.001
    beta_1 : float in (0, 1], default 0.9
        How much the momentum, rather than the new gradient, decides the sign of the step
        (with 0, Lion would be sign descent on the gradient alone).
    beta_2 : float in [0, 1], default 0.99
        The decay of the momentum.
    **kwargs
        ``weight_decay``, the clipping arguments, ``use_ema``... (see ``Optimizer``).

    Examples
    --------
    >>> import learnet as tf
    >>> opt = tf.keras.optimizers.Lion(learning_rate=0.1)
    >>> w = tf.Variable([1.0, 1.0])
    >>> _ = opt.apply_gradients([(tf.constant([5.0, -0.01]), w)])   # every weight moves by 0.1
    >>> w.numpy()
    array([0.9, 1.1], dtype=float32)
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.99,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        name="lion",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            name=name,
            **kwargs,
        )
        if not 0.0 < beta_1 <= 1.0:
            raise ValueError(
                f"Lion: beta_1 must be in (0, 1] (with 0 Lion would be sign descent on the gradient), got {beta_1}"
            )
        if not 0.0 <= beta_2 <= 1.0:
            raise ValueError(f"Lion: beta_2 must be in [0, 1], got {beta_2}")
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self._slot_names = ("momentum",)

    def _update(self, w, g, slots, tmp, tmp2, lr):
        m = slots[0]
        # The step: lr * sign(beta_1 * m + (1 - beta_1) * g), with the momentum before its update.
        xp.multiply(m, self.beta_1, out=tmp)
        xp.multiply(g, 1.0 - self.beta_1, out=tmp2)
        xp.add(tmp, tmp2, out=tmp)
        xp.sign(tmp, out=tmp2)  # into another buffer: NumPy's sign in place was 10 times slower
        xp.multiply(tmp2, lr, out=tmp2)
        xp.subtract(w, tmp2, out=w)
        xp.multiply(m, self.beta_2, out=m)
        xp.multiply(g, 1.0 - self.beta_2, out=tmp)
        xp.add(m, tmp, out=m)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2})
        return config


class Adafactor(Optimizer):
    """Adafactor: Adam-like steps, without momentum, whose second moment costs little memory.

    For a weight of two dimensions or more, the running average of the squared gradients
    is kept as one average per row and one per column of its last two axes (``r`` and
    ``c``), and the full second moment ``v`` is rebuilt from them at each step. The step
    is relative to the weight's own size (``rms(w)``) and clipped in its root mean square.

    Update rule (Keras 3), ``t`` counted from 1, ``rms(x) = sqrt(mean(x**2))``::

        rho = min(learning_rate, 1 / sqrt(t))
        alpha = max(epsilon_2, rms(w)) * rho
        g2 = g**2 + epsilon_1
        beta = 1 - t**beta_2_decay
        two dimensions or more:
            r = beta * r + (1 - beta) * mean(g2, axis=-1)
            c = beta * c + (1 - beta) * mean(g2, axis=-2)
            v = (r / mean(r, axis=-1))[..., None] * c[..., None, :]
        a number or a vector:
            v = beta * v + (1 - beta) * g2
        u = g / sqrt(v)
        w = w - alpha * u / max(1, rms(u) / clip_threshold)

    Parameters
    ----------
    learning_rate : float or schedule, default 0.001
        The most a step may be relative to ``rms(w)``; from step ``t`` on the cap is
        ``1 / sqrt(t)``.
    beta_2_decay : float, default -0.8
        How the averaging of the squared gradients slows down with the steps (see ``beta``).
    epsilon_1 : float, default 1e-30
        Added to the squared gradients, keeping the denominator away from 0.
    epsilon_2 : float, default 1e-3
        The smallest ``rms(w)`` the step is relative to (weights starting at 0 move too).
    clip_threshold : float, default 1.0
        The largest ``rms(u)`` of a step; independent of ``clipnorm``, ``clipvalue`` and
        ``global_clipnorm``.
    relative_step : bool, default True
        Kept as Keras 3 keeps it: Keras caps the rate at ``1 / sqrt(t)`` either way (``rho``
        above), so it changes nothing.
    **kwargs
        See ``Optimizer``.

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as tf
    >>> opt = tf.keras.optimizers.Adafactor(learning_rate=0.1)
    >>> kernel, bias = tf.Variable(np.ones((3, 2), "float32")), tf.Variable(np.ones(2, "float32"))
    >>> opt.build([kernel, bias])
    >>> {key: value.shape for key, value in opt.get_state().items() if "/" in key}
    {'0/row_velocity': (3,), '0/column_velocity': (2,), '0/velocity': (3, 2), '1/row_velocity': (), '1/column_velocity': (), '1/velocity': (2,)}
    """

    _elementwise = False  # rms(w), rms(u) and the row and column means span the whole weight

    def __init__(
        self,
        learning_rate=0.001,
        beta_2_decay=-0.8,
        epsilon_1=1e-30,
        epsilon_2=1e-3,
        clip_threshold=1.0,
        relative_step=True,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        name="adafactor",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            name=name,
            **kwargs,
        )
        if not clip_threshold > 0:
            raise ValueError(f"Adafactor: clip_threshold must be positive, got {clip_threshold!r}")
        for key, value in (("epsilon_1", epsilon_1), ("epsilon_2", epsilon_2)):
            if not value >= 0:
                raise ValueError(f"Adafactor: {key} must be non-negative, got {value!r}")
        self.beta_2_decay = float(beta_2_decay)
        self.epsilon_1 = float(epsilon_1)
        self.epsilon_2 = float(epsilon_2)
        self.clip_threshold = float(clip_threshold)
        self.relative_step = bool(relative_step)
        self._slot_names = ("row_velocity", "column_velocity", "velocity")

    def _slot_shape(self, slot_name, shape):
        if slot_name == "velocity":
            return shape
        if len(shape) < 2:
            return ()  # not factored: an unused number, where Keras 3 keeps one too
        if slot_name == "row_velocity":
            return shape[:-1]
        return shape[:-2] + shape[-1:]

    def _coefficients(self, lr):
        t = self._steps_taken() + 1
        return min(lr, 1.0 / math.sqrt(t)), 1.0 - t**self.beta_2_decay

    def _update(self, w, g, slots, tmp, tmp2, c):
        rho, beta = c
        rows, columns, v = slots
        alpha = xp.maximum(self.epsilon_2, _rms(w)) * rho
        g2 = tmp
        xp.square(g, out=g2)
        xp.add(g2, self.epsilon_1, out=g2)
        if w.ndim >= 2:
            xp.multiply(rows, beta, out=rows)
            xp.add(rows, (1.0 - beta) * xp.mean(g2, axis=-1), out=rows)
            xp.multiply(columns, beta, out=columns)
            xp.add(columns, (1.0 - beta) * xp.mean(g2, axis=-2), out=columns)
            row_share = rows / xp.mean(rows, axis=-1, keepdims=True)
            xp.multiply(row_share[..., None], columns[..., None, :], out=v)
        else:
            xp.multiply(v, beta, out=v)
            xp.multiply(g2, 1.0 - beta, out=g2)
            xp.add(v, g2, out=v)
        u = tmp
        xp.sqrt(v, out=u)
        xp.divide(g, u, out=u)
        xp.divide(u, xp.maximum(1.0, _rms(u) / self.clip_threshold), out=tmp2)
        xp.multiply(tmp2, alpha, out=tmp2)
        xp.subtract(w, tmp2, out=w)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "beta_2_decay": self.beta_2_decay,
                "epsilon_1": self.epsilon_1,
                "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold,
                "relative_step": self.relative_step,
            }
        )
        return config


class Ftrl(Optimizer):
    """FTRL-Proximal ("Follow The Regularized Leader"): a rate per weight, with L1 and L2
    penalties solved inside the step, so that L1 sets weights to exactly 0.

    Made for shallow models with many sparse features (click-through prediction). With
    ``p = -learning_rate_power``, the accumulator ``n`` starting at
    ``initial_accumulator_value`` and the linear term ``z`` at zero, the update rule
    (Keras 3) is::

        n_new = n + g**2
        z = z + (g + 2 * l2_shrinkage * w) - (n_new**p - n**p) / learning_rate * w
        quadratic = n_new**p / learning_rate + 2 * (l2 + beta / (2 * learning_rate))
        w = (clip(z, -l1, l1) - z) / quadratic            (0 where |z| <= l1)
        n = n_new

    where ``l1``, ``l2`` and ``l2_shrinkage`` are the three regularization strengths.

    Parameters
    ----------
    learning_rate : float or schedule, default 0.001
        Must be positive at every step: the update divides by it.
    learning_rate_power : float <= 0, default -0.5
        How fast each weight's rate falls as its squared gradients add up (0: it does not).
    initial_accumulator_value : float >= 0, default 0.1
    l1_regularization_strength : float >= 0, default 0.0
    l2_regularization_strength : float >= 0, default 0.0
        A stabilizing L2 penalty, inside the step.
    l2_shrinkage_regularization_strength : float >= 0, default 0.0
        An L2 penalty on the weights' size, added to the gradient.
    beta : float, default 0.0
        The ``beta`` of the FTRL-Proximal paper (added to the L2 strength as ``beta / (2 * lr)``).
    **kwargs
        See ``Optimizer``.

    Examples
    --------
    >>> import learnet as tf
    >>> opt = tf.keras.optimizers.Ftrl(learning_rate=0.1, l1_regularization_strength=0.5)
    >>> w = tf.Variable([1.0, 1.0])
    >>> _ = opt.apply_gradients([(tf.constant([2.0, 0.1]), w)])   # the small gradient's weight goes to 0
    >>> w.numpy().round(4)
    array([0.7204, 0.    ], dtype=float32)
    """

    def __init__(
        self,
        learning_rate=0.001,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        l2_shrinkage_regularization_strength=0.0,
        beta=0.0,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        name="ftrl",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            name=name,
            **kwargs,
        )
        if not initial_accumulator_value >= 0:
            raise ValueError(f"Ftrl: initial_accumulator_value must be >= 0, got {initial_accumulator_value!r}")
        if not learning_rate_power <= 0:
            raise ValueError(f"Ftrl: learning_rate_power must be <= 0, got {learning_rate_power!r}")
        for key, value in (
            ("l1_regularization_strength", l1_regularization_strength),
            ("l2_regularization_strength", l2_regularization_strength),
            ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength),
        ):
            if not value >= 0:
                raise ValueError(f"Ftrl: {key} must be >= 0, got {value!r}")
        if self._schedule is None and float(self._learning_rate._value) == 0:
            raise ValueError("Ftrl: learning_rate must be positive (the FTRL update divides by it), got 0")
        self.learning_rate_power = float(learning_rate_power)
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.l1_regularization_strength = float(l1_regularization_strength)
        self.l2_regularization_strength = float(l2_regularization_strength)
        self.l2_shrinkage_regularization_strength = float(l2_shrinkage_regularization_strength)
        self.beta = float(beta)
        self._slot_names = ("accumulator", "linear")

    def _slot_initial_value(self, slot_name):
        return self.initial_accumulator_value if slot_name == "accumulator" else 0.0

    def _coefficients(self, lr):
        if lr == 0:
            raise ValueError(f"{self.name}: Ftrl's learning rate must be positive (its update divides by it), got 0")
        return lr, self.l2_regularization_strength + self.beta / (2.0 * lr)

    def _update(self, w, g, slots, tmp, tmp2, c):
        lr, l2 = c
        accumulator, linear = slots
        power = -self.learning_rate_power
        new_accumulator = tmp
        xp.square(g, out=new_accumulator)
        xp.add(new_accumulator, accumulator, out=new_accumulator)
        # sigma * w, in the accumulator's buffer (it receives new_accumulator at the end).
        sigma_w = accumulator
        _power(accumulator, power, out=sigma_w)
        _power(new_accumulator, power, out=tmp2)
        xp.subtract(tmp2, sigma_w, out=sigma_w)
        xp.divide(sigma_w, lr, out=sigma_w)
        xp.multiply(sigma_w, w, out=sigma_w)
        shrinkage = self.l2_shrinkage_regularization_strength
        gradient = g + (2.0 * shrinkage) * w if shrinkage else g
        xp.subtract(gradient, sigma_w, out=sigma_w)
        xp.add(linear, sigma_w, out=linear)
        quadratic = tmp2
        xp.divide(quadratic, lr, out=quadratic)
        xp.add(quadratic, 2.0 * l2, out=quadratic)
        l1 = self.l1_regularization_strength
        xp.clip(linear, -l1, l1, out=w)
        xp.subtract(w, linear, out=w)
        xp.divide(w, quadratic, out=w)
        xp.copyto(accumulator, new_accumulator)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                "beta": self.beta,
            }
        )
        return config


class Lamb(Optimizer):
    """Lamb: Adam's step rescaled for each weight array to the size of the array itself
    (a layer-wise trust ratio), which keeps training stable with very large batches.

    Update rule (Keras 3), ``t`` counted from 1, norms over the whole weight array::

        m = m + (g - m) * (1 - beta_1)
        v = v + (g**2 - v) * (1 - beta_2)
        step = (m / (1 - beta_1**t)) / (sqrt(v / (1 - beta_2**t)) + epsilon)
        ratio = ||w|| / ||step||              (1 when either norm is 0)
        w = w - ratio * learning_rate * step

    Parameters
    ----------
    learning_rate : float or schedule, default 0.001
    beta_1 : float in [0, 1), default 0.9
    beta_2 : float in [0, 1), default 0.999
    epsilon : float, default 1e-7
    **kwargs
        ``weight_decay`` (applied before the step, as in every Keras 3 optimizer), the
        clipping arguments, ``use_ema``... (see ``Optimizer``).

    Examples
    --------
    >>> import learnet as tf
    >>> opt = tf.keras.optimizers.Lamb(learning_rate=0.1)
    >>> w = tf.Variable([3.0, 4.0])
    >>> _ = opt.apply_gradients([(tf.constant([1.0, -1.0]), w)])   # moves by 0.1 * ||w|| = 0.5
    >>> w.numpy().round(4)
    array([2.6464, 4.3536], dtype=float32)
    """

    _elementwise = False  # the trust ratio uses the norms of the whole weight and step

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
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        name="lamb",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            name=name,
            **kwargs,
        )
        self._set_moment_decays(beta_1, beta_2, epsilon)
        self._slot_names = ("momentum", "velocity")

    def _coefficients(self, lr):
        t = self._steps_taken() + 1
        return lr, 1.0 - self.beta_1**t, 1.0 - self.beta_2**t

    def _update(self, w, g, slots, tmp, tmp2, c):
        lr, m_correction, v_correction = c
        m, v = slots
        xp.subtract(g, m, out=tmp)
        xp.multiply(tmp, 1.0 - self.beta_1, out=tmp)
        xp.add(m, tmp, out=m)
        xp.square(g, out=tmp)
        xp.subtract(tmp, v, out=tmp)
        xp.multiply(tmp, 1.0 - self.beta_2, out=tmp)
        xp.add(v, tmp, out=v)
        xp.divide(v, v_correction, out=tmp)
        xp.sqrt(tmp, out=tmp)
        xp.add(tmp, self.epsilon, out=tmp)
        step = tmp2
        xp.divide(m, m_correction, out=step)
        xp.divide(step, tmp, out=step)
        w_norm, step_norm = _norm(w), _norm(step)
        both = (w_norm > 0) & (step_norm > 0)
        ratio = xp.where(both, w_norm, 1.0) / xp.where(both, step_norm, 1.0)  # 1 when either norm is 0
        xp.multiply(step, ratio * lr, out=step)
        xp.subtract(w, step, out=w)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config


# The norms stay arrays (0-d): on a GPU, reading one into Python would make every step wait for it.
def _norm(x):
    """The L2 norm of a whole array, a 0-d array."""
    flat = x.ravel()
    return xp.sqrt(xp.vdot(flat, flat))


def _rms(x):
    """The root mean square of a whole array, a 0-d array."""
    return _norm(x) / math.sqrt(x.size)


def _power(x, exponent, out):
    """``x ** exponent`` into ``out``; a square root for 0.5 (Ftrl's default), which is ten
    times faster than NumPy's float32 ``power``."""
    if exponent == 0.5:
        return xp.sqrt(x, out=out)
    return xp.power(x, exponent, out=out)


class LossScaleOptimizer(Optimizer):
    """An optimizer wrapped in dynamic loss scaling (``keras.optimizers.LossScaleOptimizer``).

    With float16 arithmetic, small gradients underflow to zero; multiplying the loss by
    a large *loss scale* before differentiating keeps them representable, and dividing
    the gradients by it before the step brings them back. The scale adapts as training
    goes: a step whose gradients hold an infinity or a NaN is skipped and the scale
    halved; after ``dynamic_growth_steps`` finite steps in a row it is doubled.

    learnet computes in float32 (a ``mixed_float16`` policy keeps float32, with a
    warning), where the scale changes no gradient but the skipping still guards a step
    against an overflowing loss. ``fit`` scales the loss itself; in a training loop
    written by hand, scale it with ``scale_loss`` (Keras 3) or ``get_scaled_loss`` and
    ``get_unscaled_gradients`` (Keras 2 and TensorFlow's mixed-precision guide).

    Parameters
    ----------
    inner_optimizer : Optimizer
        The optimizer that takes the steps; it keeps its own state and learning rate.
    initial_scale : float, default 2**15
    dynamic_growth_steps : int, default 2000
    name : str, optional

    Examples
    --------
    >>> import learnet as keras
    >>> x = keras.Variable(1.0)
    >>> opt = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.5), initial_scale=4.0)
    >>> with keras.GradientTape() as tape:
    ...     loss = opt.scale_loss(x * x)                     # 4 * x**2
    >>> _ = opt.apply_gradients(zip(tape.gradient(loss, [x]), [x]))  # the gradient 8 is unscaled to 2
    >>> float(x), float(opt.dynamic_scale)
    (0.0, 4.0)
    """

    def __init__(self, inner_optimizer, initial_scale=2.0**15, dynamic_growth_steps=2000, name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer: dynamic=False is not supported (as in Keras 3); to scale the loss "
                "by a fixed factor, multiply it yourself and divide the gradients"
            )
        if kwargs:
            raise ValueError(f"LossScaleOptimizer does not support the arguments {sorted(kwargs)}")
        if not isinstance(inner_optimizer, Optimizer) or isinstance(inner_optimizer, LossScaleOptimizer):
            raise TypeError(
                f"LossScaleOptimizer wraps an optimizer such as keras.optimizers.Adam(), got {inner_optimizer!r}"
            )
        initial_scale = float(initial_scale)
        if not initial_scale > 0 or math.isinf(initial_scale):
            raise ValueError(f"LossScaleOptimizer: initial_scale must be a finite number > 0, got {initial_scale}")
        if isinstance(dynamic_growth_steps, bool) or int(dynamic_growth_steps) != dynamic_growth_steps:
            raise ValueError(f"LossScaleOptimizer: dynamic_growth_steps must be an int, got {dynamic_growth_steps!r}")
        if dynamic_growth_steps < 1:
            raise ValueError(f"LossScaleOptimizer: dynamic_growth_steps must be >= 1, got {dynamic_growth_steps}")
        super().__init__(learning_rate=0.0, name=name or "loss_scale_optimizer")
        self.inner_optimizer = inner_optimizer
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = int(dynamic_growth_steps)
        self.step_counter = self._add_extra_variable("step_counter", 0)
        self.step_counter._value = numpy.zeros((), numpy.int64)
        self.dynamic_scale = self._add_extra_variable("dynamic_scale", initial_scale)

    # --- the loss scale ------------------------------------------------------------------
    def scale_loss(self, loss):
        """``loss`` times the current loss scale (Keras 3's name)."""
        return loss * Tensor._wrap(xp.asarray(self.dynamic_scale._value, dtype=numpy.float32))

    def get_scaled_loss(self, loss):
        """``loss`` times the current loss scale (Keras 2's and TensorFlow's name)."""
        return self.scale_loss(loss)

    def get_unscaled_gradients(self, grads):
        """Each gradient divided by the current loss scale (``None`` kept); Keras 2's name.

        ``apply_gradients`` then takes the unscaled gradients: it checks that they are
        finite and adapts the scale, but does not divide them again.
        """
        scale = float(self.dynamic_scale._value)
        self._unscaled_by_hand = True
        return [None if g is None else g / scale for g in grads]

    @property
    def loss_scale(self):
        """The current loss scale (Keras 2's name of ``dynamic_scale``)."""
        return self.dynamic_scale

    @property
    def dynamic(self):
        """Always True: the scale adapts (Keras 2's attribute)."""
        return True

    # --- what belongs to the inner optimizer --------------------------------------------
    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if "inner_optimizer" not in self.__dict__:  # Optimizer.__init__ sets the unused rate of the wrapper
            Optimizer.learning_rate.fset(self, value)
            return
        self.inner_optimizer.learning_rate = value

    lr = learning_rate

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    @iterations.setter
    def iterations(self, value):
        self.inner_optimizer.iterations = value

    def build(self, var_list):
        """Create the inner optimizer's state for ``var_list``."""
        self.inner_optimizer.build(var_list)
        self.built = True

    @property
    def variables(self):
        """The wrapper's own variables (as Keras 3 orders them), then the inner optimizer's."""
        own = [self._iterations, self._learning_rate, self.step_counter, self.dynamic_scale]
        return _VariableList(own + list(self.inner_optimizer.variables))

    def get_state(self):
        """The wrapper's state, then the inner optimizer's under ``"inner_optimizer/..."``."""
        state = {
            "iterations": self._iterations.numpy().copy(),
            "learning_rate": self._learning_rate.numpy().copy(),
            "step_counter": self.step_counter.numpy().copy(),
            "dynamic_scale": self.dynamic_scale.numpy().copy(),
        }
        state.update({f"inner_optimizer/{key}": value for key, value in self.inner_optimizer.get_state().items()})
        return state

    def set_state(self, state):
        """Restore what ``get_state`` returned (the inner optimizer is built first, as for any optimizer)."""
        state = dict(state)
        own = ("iterations", "learning_rate", "step_counter", "dynamic_scale")
        missing = [key for key in own if key not in state]
        if missing:
            raise ValueError(f"{self.name}.set_state: the state does not fit a LossScaleOptimizer; missing {missing}")
        inner = {
            key[len("inner_optimizer/") :]: value for key, value in state.items() if key.startswith("inner_optimizer/")
        }
        unexpected = [key for key in state if key not in own and not key.startswith("inner_optimizer/")]
        if unexpected:
            raise ValueError(f"{self.name}.set_state: unexpected entries {unexpected[:6]}")
        scale = float(numpy.asarray(state["dynamic_scale"]))
        if not scale > 0 or math.isinf(scale):
            raise ValueError(f"{self.name}.set_state: dynamic_scale must be a finite number > 0, got {scale}")
        self.inner_optimizer.set_state(inner)  # checks everything of its own before changing anything
        self._iterations._value[...] = numpy.asarray(state["iterations"])
        self._learning_rate._value[...] = numpy.asarray(state["learning_rate"])
        self.step_counter._value[...] = numpy.asarray(state["step_counter"])
        self.dynamic_scale._value[...] = scale
        self.built = self.inner_optimizer.built

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    # --- one step ------------------------------------------------------------------------
    def _apply(self, grads, variables):
        unscaled_by_hand, self._unscaled_by_hand = getattr(self, "_unscaled_by_hand", False), False
        arrays = [g._value if isinstance(g, Tensor) else to_array(g) for g in grads]
        if not all(bool(xp.isfinite(a).all()) for a in arrays):
            # An overflow: skip the step, halve the scale, count again from zero.
            self.step_counter._value[...] = 0
            self.dynamic_scale._value[...] = float(self.dynamic_scale._value) * 0.5
            return
        if not unscaled_by_hand:
            scale = float(self.dynamic_scale._value)
            arrays = [a / a.dtype.type(scale) if a.dtype.kind == "f" else a for a in arrays]
        self.inner_optimizer._apply(arrays, variables)
        if int(self.step_counter._value) == self.dynamic_growth_steps - 1:
            self.step_counter._value[...] = 0
            self.dynamic_scale._value[...] = float(self.dynamic_scale._value) * 2.0
        else:
            self.step_counter._value[...] = int(self.step_counter._value) + 1

    def get_config(self):
        """The inner optimizer's description, the initial scale and the growth interval (as Keras 3)."""
        return {
            "name": self.name,
            # Keras 3's description of an object, so that its files and learnet's read each other.
            "inner_optimizer": {
                "module": "keras.optimizers",
                **serialize(self.inner_optimizer),
                "registered_name": None,
            },
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        inner = config.pop("inner_optimizer")
        if isinstance(inner, dict):
            inner = deserialize(inner, custom_objects=custom_objects)
        return cls(inner, **config)

    def __repr__(self):
        return (
            f"<learnet.optimizers.LossScaleOptimizer name={self.name!r} scale={float(self.dynamic_scale._value):g} "
            f"inner={self.inner_optimizer!r}>"
        )


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
    "lion": Lion,
    "adafactor": Adafactor,
    "ftrl": Ftrl,
    "lamb": Lamb,
    "lossscaleoptimizer": LossScaleOptimizer,
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
        ``"adadelta"``, ``"adamax"``, ``"nadam"``, ``"lion"``, ``"adafactor"``,
        ``"ftrl"``, ``"lamb"``, any case) gives a new optimizer with Keras' defaults;
        an optimizer is returned as it is.

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

    SGD, RMSprop, Adam, Adagrad, Adadelta, Adamax, Nadam, Ftrl, Optimizer = (
        SGD,
        RMSprop,
        Adam,
        Adagrad,
        Adadelta,
        Adamax,
        Nadam,
        Ftrl,
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
    "Lion",
    "Adafactor",
    "Ftrl",
    "Lamb",
    "LossScaleOptimizer",
    "schedules",
    "get",
    "serialize",
    "deserialize",
    "LearnetDeprecationWarning",
]
