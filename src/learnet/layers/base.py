"""``Layer``, the block every network is built from, and ``KerasTensor``, its symbolic input.

A layer holds weights (``learnet.Variable``) and a ``call`` that computes outputs from
inputs. It is written as Keras teaches::

    class Linear(Layer):
        def __init__(self, units=32, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):            # runs once, on the first call
            self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                     initializer="random_normal", trainable=True)
            self.b = self.add_weight(shape=(self.units,), initializer="zeros")

        def call(self, inputs):
            return inputs @ self.w + self.b

Calling a layer (``layer(x)``) converts ``x`` to a tensor (floats in the layer's
dtype, ``float32`` by default), builds the layer if needed, checks the input against
what the layer expects, and runs ``call``. Called on a ``KerasTensor`` (what
``Input(shape=...)`` returns), it runs nothing: it returns a new ``KerasTensor`` of
the output shape and remembers, in ``_keras_history``, which layer made it from
which inputs. A functional ``Model(inputs, outputs)`` walks that history back.

Contract used by ``learnet.models`` (stable):

* ``isinstance(x, KerasTensor)`` detects a symbolic tensor.
* ``x._keras_history`` is ``KerasHistory(layer, inputs)``: the layer that made ``x``
  and the structure it was called with (a ``KerasTensor``, or a list/tuple/dict of
  them); ``(InputLayer, ())`` for an ``Input``. ``x._keras_output_index`` is the
  position of ``x`` among the flattened outputs of that call (``None`` when the call
  had a single output); ``x._keras_call_args``/``x._keras_call_kwargs`` are the
  extra positional and keyword arguments of that call (``training`` excluded).
* ``layer._flatten_layers(include_self=True, recursive=True)`` yields sublayers in
  Keras order, deduplicated; ``layer.weights`` lists the layer's own variables (in
  creation order) and then those of its sublayers (Keras 3 order).
* Sublayers and variables are found by scanning the attributes (and lists, tuples and
  dicts in them) in assignment order, so later ``append``s are seen; a subclass lists
  attribute names to skip in the class attribute ``_untracked_attributes``.
* ``layer._batch_input_shape`` is the ``(None, ...)`` shape given by ``input_shape=``
  / ``input_dim=`` / ``batch_input_shape=`` to the constructor (``None`` if absent).
* ``reset_names()`` restarts the automatic names (``dense``, ``dense_1``, ...).
"""

import functools
import inspect
from typing import Any

import numpy

from learnet import backend, registry, weight_budget
from learnet import module as _tracking
from learnet.backend import xp
from learnet.ragged import RaggedTensor
from learnet.random import SeedGenerator
from learnet.sparse import SparseTensor
from learnet.sparse import to_dense as _sparse_to_dense
from learnet.tensor import Tensor, TensorShape, Variable, _variable_policy, name_scope_path, to_array
from learnet.tree import flatten as _flatten
from learnet.tree import flatten_shapes as _flatten_shapes
from learnet.tree import is_shape as _is_shape
from learnet.tree import map_shapes as _map_structure_shapes
from learnet.tree import map_structure as _map_structure

# Names, symbolic tensors and input specs live in their own files; these names stay
# importable from here, the contract above.
from learnet.layers.input_spec import InputSpec, _rank_hint  # noqa: E402,F401
from learnet.layers.keras_tensor import KerasHistory, KerasTensor, _is_symbolic, _shape_tuple  # noqa: E402,F401
from learnet.layers.naming import _name_counts, reset_names, to_snake_case, unique_name  # noqa: E402,F401


# --- the training flag, passed down to layers called inside another layer's call ----------------
_training_stack: list = []
# Depth of shape probes running now: a layer's output shape found by calling it on stand-in
# inputs (zeros, empty strings). A value check that stand-ins cannot pass (a vocabulary
# lookup with no out-of-vocabulary index) lets them through while it is above 0.
_probing: list = [0]


def probing():
    """Whether the layers are being called on stand-in inputs to find an output shape."""
    return _probing[0] > 0


# How many layers hold losses added during a call: while none do, a call skips clearing them.
_loss_holders = [0]
# Whether any layer ever had a loss added or a weight with a regularizer (never reset, so
# copies of layers are covered too). Until then no layer anywhere has a loss, and `losses`
# skips scanning every sublayer (it ran at every training step: 34 us of a 350 us overhead).
_any_losses = [False]


def _probe_text(words):
    """The text a symbolic call's text input holds while its output shape is probed: ``words`` words
    (as UTF-8 bytes, what a string tensor holds)."""
    return b" ".join([b"a"] * words)


def _kind(dtype):
    """NumPy's one-letter kind of ``dtype`` (``"f"``, ``"i"``, ``"O"`` for text), or None."""
    try:
        return numpy.dtype(object if dtype in ("string", str) else dtype).kind
    except TypeError:
        return None


def _accepts(function, argument):
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return argument in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def _names_parameter(function, argument):
    """Whether ``function`` has a parameter called ``argument`` (``**kwargs`` does not count)."""
    try:
        return argument in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def _input_mask(inputs):
    """The mask an earlier layer left on ``inputs`` (a list of them for a list of inputs), or None."""
    if isinstance(inputs, Tensor):
        return getattr(inputs, "_keras_mask", None)
    if isinstance(inputs, (list, tuple)):
        masks = [getattr(t, "_keras_mask", None) if isinstance(t, Tensor) else None for t in inputs]
        if any(m is not None for m in masks):
            return masks
    return None


def _gets_other_tensors(args, kwargs):
    """Whether a call gets tensors besides its first argument (``initial_state=[h, c]``, a second input).

    NumPy arrays count, as Keras converts them to tensors before it looks."""
    others = list(args) + [value for key, value in kwargs.items() if key not in ("mask", "training")]
    kinds = (Tensor, KerasTensor, numpy.ndarray, xp.ndarray)
    return any(isinstance(value, kinds) for value in _flatten(others))


def _symbolic_mask(inputs):
    """The symbolic mask(s) on KerasTensor inputs (a list for a list of inputs), or None."""
    if isinstance(inputs, KerasTensor):
        return getattr(inputs, "_keras_mask", None)
    if isinstance(inputs, (list, tuple)):
        masks = [getattr(t, "_keras_mask", None) if isinstance(t, KerasTensor) else None for t in inputs]
        if any(m is not None for m in masks):
            return masks
    return None


def _attach_masks(outputs, masks):
    """Leave each output's mask on it, for the next layer to find."""
    if isinstance(outputs, Tensor):
        if isinstance(masks, (list, tuple)):
            masks = masks[0] if masks else None
        outputs._keras_mask = masks
    elif isinstance(outputs, (list, tuple)):
        if not isinstance(masks, (list, tuple)):
            masks = [masks] * len(outputs)
        for output, mask in zip(outputs, masks):
            if isinstance(output, Tensor):
                output._keras_mask = mask


_FIRST_CALL_ARGUMENT: dict = {}


def _first_call_argument(cls):
    """The name of the first argument of ``cls.call`` (``inputs``, ``x``...), or None (kept per class)."""
    if cls not in _FIRST_CALL_ARGUMENT:
        try:
            parameters = list(inspect.signature(cls.call).parameters.values())[1:]
        except (TypeError, ValueError):
            parameters = []
        first = parameters[0] if parameters else None
        _FIRST_CALL_ARGUMENT[cls] = (
            first.name
            if first is not None and first.kind in (first.POSITIONAL_ONLY, first.POSITIONAL_OR_KEYWORD)
            else None
        )
    return _FIRST_CALL_ARGUMENT[cls]


def _init_signature_names(cls):
    try:
        return list(inspect.signature(cls.__init__).parameters)[1:]
    except (TypeError, ValueError):
        return []


_BASE_KWARGS = (
    "input_shape",
    "batch_input_shape",
    "batch_size",
    "input_dim",
    "weights",
    "activity_regularizer",
    "autocast",
    "dynamic",
    "input_length",
    "build_config",
)


def _trained(variable):
    """Whether training updates ``variable``: a trainable one of floats. A counter of integers kept
    on a model (``tf.Variable(0, dtype="int64")``) is state, as in Keras 3, not a weight to train."""
    return variable.trainable and variable.dtype.kind in "fc"


@functools.lru_cache(maxsize=None)
def _build_takes_no_shape(build):
    """Whether a ``build`` method is written ``def build(self)``, with no shape to take."""
    try:
        parameters = list(inspect.signature(build).parameters.values())[1:]
    except (TypeError, ValueError):
        return False
    return not parameters


class Layer:
    """The base class of all layers: weights, a ``build`` and a ``call``.

    Parameters
    ----------
    trainable : bool, default True
        Whether the layer's weights are updated in training.
    name : str, optional
        Unique by default: the class name in snake case, numbered (``dense``, ``dense_1``, ...).
    dtype : str, optional
        Dtype of the weights and of the computation, ``float32`` by default.
    input_shape : tuple, optional
        Shape of one example (no batch axis): lets a ``Sequential`` build this layer
        before seeing data. ``input_dim=n`` means ``input_shape=(n,)``.
    activity_regularizer : optional
        A regularizer applied to the layer's output; its value is added to ``losses``.

    Examples
    --------
    >>> import learnet as tf
    >>> class Double(tf.keras.layers.Layer):
    ...     def call(self, inputs):
    ...         return inputs * 2.0
    >>> Double()(tf.constant([1.0, 2.0])).numpy()
    array([2., 4.], dtype=float32)
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith("learnet.") and not cls.__name__.startswith("_"):
            registry.register_builtin(cls)  # a file may name learnet's own classes
        # A layer built by hand (`layer.build((None, 4))`) counts as built, as in Keras,
        # even when its `build` does not call `super().build`.
        if "build" in cls.__dict__ and not getattr(cls.__dict__["build"], "_marks_built", False):
            cls.build = _marking_built(cls.__dict__["build"])

    def __new__(cls, *args, **kwargs):
        layer = super().__new__(cls)
        # Kept for the automatic get_config of custom layers (as Keras 3 does).
        object.__setattr__(layer, "_init_arguments", (args, dict(kwargs)))
        return layer

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        unknown = sorted(set(kwargs) - set(_BASE_KWARGS))
        if unknown:
            raise TypeError(
                f"{type(self).__name__} got unexpected keyword argument(s) {', '.join(repr(k) for k in unknown)}"
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a string, got {name!r}")
        if name is not None and "/" in name:
            raise ValueError(f"{type(self).__name__}: a layer name cannot contain '/', got {name!r}")
        object.__setattr__(self, "_trainable", bool(trainable))
        self.name = name if name else unique_name(to_snake_case(type(self).__name__))
        self._dtype = _dtype_name(dtype)
        self._policy_name = _policy_name(dtype, self._dtype)
        self.built = False
        self.supports_masking = False
        self.input_spec = None
        self._trainable_variables = []
        self._non_trainable_variables = []
        self._regularized = []  # (variable, regularizer): their losses, recomputed on access
        self._constraints = []  # (variable, constraint), applied by optimizers after updates
        self._losses = []
        self._weight_names = {}
        self._build_input_shape = None
        self._symbolic_shapes = None  # (input shape, output shape) of the last symbolic call
        self._inbound = None  # (input KerasTensors, output KerasTensors) of that call
        self._call_has_training = _accepts(self.call, "training")
        self._call_has_mask = _names_parameter(self.call, "mask")
        from learnet import regularizers

        self.activity_regularizer = regularizers.get(kwargs.get("activity_regularizer"))
        batch_input_shape = kwargs.get("batch_input_shape")
        if batch_input_shape is None and kwargs.get("input_shape") is not None:
            batch_input_shape = (kwargs.get("batch_size"),) + tuple(_shape_tuple(kwargs["input_shape"]))
        elif batch_input_shape is None and kwargs.get("input_dim") is not None:
            batch_input_shape = (kwargs.get("batch_size"), int(kwargs["input_dim"]))
        self._batch_input_shape = _shape_tuple(batch_input_shape)
        self._initial_weights = kwargs.get("weights")

    def __getattr__(self, name):
        # Only reached when an attribute is missing: the usual cause in a custom layer is
        # an __init__ that never called the base class's.
        prop = getattr(type(self), name, None)
        if isinstance(prop, property) and "_trainable" in self.__dict__:
            return prop.fget(self)  # raises the property's own, more helpful, AttributeError
        if name.startswith("__") or "_trainable" in self.__dict__:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        raise RuntimeError(
            f"{type(self).__name__} was not set up as a layer: its __init__ must call "
            "super().__init__() (passing on **kwargs such as name) before the layer is used"
        )

    # Attribute names a subclass keeps out of tracking (e.g. a model's input layer or a
    # reference to layers it does not own).
    _untracked_attributes: frozenset[str] = frozenset()

    # --- tracking: sublayers and variables held as attributes are found by scanning them,
    # so `self.blocks = []` followed by `self.blocks.append(Dense(8))` is tracked too.
    def _tracked_attributes(self):
        """``[(name, value)]``: the attributes scanned for sublayers and variables, in assignment order."""
        skip = self._untracked_attributes
        return [(key, value) for key, value in self.__dict__.items() if key not in _UNTRACKED and key not in skip]

    @property
    def _layers(self):
        """The layers held directly as attributes (or in lists/dicts), in assignment order."""
        found, seen = [], {id(self)}
        for _, value in self._tracked_attributes():
            _collect(value, Layer, found, seen)
        return found

    @_layers.setter
    def _layers(self, layers):
        # A model may keep its layers in `self._layers = [...]`; they are tracked like any list.
        self.__dict__["_layers_list"] = layers

    def _flatten_layers(self, include_self=True, recursive=True):
        """Yield this layer (optionally) and its sublayers, depth first, each once."""
        if include_self:
            yield self
        seen = {id(self)}
        stack = list(reversed(self._layers))
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            yield layer
            if recursive:
                stack.extend(reversed(layer._layers))

    def _attribute_variables(self):
        """Variables set directly as attributes (``self.w = tf.Variable(...)``), as TF tracks them."""
        found, seen = [], set()
        for _, value in self._tracked_attributes():
            _collect(value, Variable, found, seen)
        return found

    def _own_variables(self):
        """This layer's variables (not its sublayers'), in Keras 3's order.

        Keras 3 tracks a variable when ``add_weight`` makes it or when it is set as an
        attribute, and lists the trainable ones first, then the others, each group in the
        order they were tracked. So a ``keras.Variable`` set in ``__init__`` comes before the
        weights ``build`` makes. An attribute variable's place among the ``add_weight``
        ones is the stamp ``add_weight`` left on it (see ``_stamp_attribute_variables``);
        one set after the last ``add_weight`` comes last in its group.
        """
        made = self._trainable_variables + self._non_trainable_variables
        attributes = self._attribute_variables()
        if not attributes:
            return made
        known = {id(v) for v in made}
        extra = [v for v in attributes if id(v) not in known]
        if not extra:
            return made
        stamps = self.__dict__.get("_variable_stamps", {})

        def merged(weights, others, group):
            # add_weight's weight i sorts as (i, 1); a variable stamped before it as (i, 0).
            keyed = [((index, 1, 0), v) for index, v in enumerate(weights)]
            for position, variable in enumerate(others):
                stamp = stamps.get(id(variable))
                at = stamp[group] if stamp is not None and stamp[0] is variable else len(weights)
                keyed.append(((at, 0, position), variable))
            return [variable for _, variable in sorted(keyed, key=lambda pair: pair[0])]

        trainable = [v for v in extra if v.trainable]
        frozen = [v for v in extra if not v.trainable]
        return merged(self._trainable_variables, trainable, 1) + merged(self._non_trainable_variables, frozen, 2)

    def _stamp_attribute_variables(self):
        """Remember, for each variable set as an attribute and not seen before, how many
        trainable and non-trainable weights ``add_weight`` had made when it was first seen:
        its place among them in ``weights`` (Keras 3's tracking order)."""
        stamps = self.__dict__.get("_variable_stamps")
        made = None
        for variable in self._attribute_variables():
            if stamps is not None and id(variable) in stamps and stamps[id(variable)][0] is variable:
                continue
            if made is None:
                made = {id(v) for v in self._trainable_variables + self._non_trainable_variables}
            if id(variable) in made:
                continue
            if stamps is None:
                stamps = self.__dict__["_variable_stamps"] = {}
            stamps[id(variable)] = (variable, len(self._trainable_variables), len(self._non_trainable_variables))

    def _seed_generators(self):
        """The ``keras.random.SeedGenerator``s held as attributes (or in lists/dicts), in assignment order."""
        found, seen = [], set()
        for _, value in self._tracked_attributes():
            _collect(value, SeedGenerator, found, seen)
        return found

    # --- weights ------------------------------------------------------------------------------
    @property
    def weights(self) -> list[Variable]:
        """All weights: the layer's own, in creation order, then its sublayers' (Keras 3 order)."""
        result, seen = [], set()
        for layer in self._flatten_layers():
            for variable in layer._own_variables():
                if id(variable) not in seen:
                    seen.add(id(variable))
                    result.append(variable)
        return result

    @property
    def variables(self) -> list[Variable]:
        """All the layer's state: ``weights`` and the state of its ``SeedGenerator``s (Keras 3 order).

        Each layer's own weights come first, then the states of the seed generators it
        holds, then its sublayers' variables. The states are not weights: ``get_weights``
        and the saved weights leave them out, as Keras 3 does.

        Examples
        --------
        >>> import learnet as keras
        >>> class Noise(keras.layers.Layer):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.seed_generator = keras.random.SeedGenerator(1337, name="noise_seed")
        >>> layer = Noise()
        >>> [v.path for v in layer.variables], layer.weights
        (['noise_seed/seed_generator_state'], [])
        """
        result, seen = [], set()
        for layer in self._flatten_layers():
            states = [generator.state for generator in layer._seed_generators()]
            for variable in layer._own_variables() + states:
                if id(variable) not in seen:
                    seen.add(id(variable))
                    result.append(variable)
        return result

    @property
    def trainable_weights(self) -> list[Variable]:
        """The weights that training updates (empty when ``trainable`` is False)."""
        if not self.trainable:
            return []
        return [v for v in self.weights if _trained(v)]

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self) -> list[Variable]:
        """The weights training leaves alone (BatchNormalization's moving statistics, frozen layers)."""
        if not self.trainable:
            return self.weights
        return [v for v in self.weights if not _trained(v)]

    @property
    def non_trainable_variables(self) -> list[Variable]:
        """``non_trainable_weights`` and the state of the layer's ``SeedGenerator``s (all of
        ``variables`` when ``trainable`` is False), as Keras 3 lists them."""
        if not self.trainable:
            return self.variables
        return [v for v in self.variables if not _trained(v)]

    @property
    def trainable(self):
        """Whether training updates this layer's weights. Setting it applies to sublayers too."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        for layer in self._flatten_layers():
            object.__setattr__(layer, "_trainable", value)
            for variable in layer._trainable_variables:
                variable.trainable = value

    def add_weight(
        self,
        name: str | None = None,
        shape: Any = None,
        dtype: Any = None,
        initializer: Any = None,
        regularizer: Any = None,
        trainable: bool = True,
        constraint: Any = None,
        **kwargs: Any,
    ) -> Variable:
        """Create a weight of this layer: a ``learnet.Variable`` named ``name``.

        Its ``path`` is the layer's place and name, then ``name``, as in Keras 3:
        ``dense/kernel``, or ``sequential/dense/kernel`` for a layer a Sequential model
        built, ``mha/query/kernel`` for a sublayer.

        Parameters
        ----------
        name : str, optional
            ``kernel``, ``bias``, ... (``variable``, ``variable_1``, ... when absent).
            A shape may be given first instead, as in Keras 3 (``add_weight((3, 4))``).
        shape : tuple of int, default ()
        dtype : optional
            The layer's dtype by default.
        initializer : str, Initializer or callable, default ``"glorot_uniform"``
            ``"zeros"`` for non-float dtypes.
        regularizer : str or Regularizer, optional
            Its value on this weight is part of ``layer.losses``.
        trainable : bool, default True
        constraint : callable, optional
            Applied to the weight after each optimizer update.
        aggregation : str or tf.VariableAggregation, optional
            ``"none"`` (default), ``"mean"``, ``"sum"`` or ``"only_first_replica"``; kept as
            ``variable.aggregation`` (a ``tf.VariableAggregation``). ``synchronization`` likewise.

        Returns
        -------
        learnet.Variable
        """
        from learnet import initializers, regularizers

        if name is not None and not isinstance(name, str):
            if shape is None:
                name, shape = None, name
            else:
                raise TypeError(f"{type(self).__name__}.add_weight: name must be a string, got {name!r}")
        unknown = set(kwargs) - {
            "autocast",
            "aggregation",
            "synchronization",
            "use_resource",
            "partitioner",
            "experimental_autocast",
            "caching_device",
            "getter",
        }
        if unknown:
            raise TypeError(f"add_weight got unexpected keyword argument(s) {sorted(unknown)}")
        # Keras' "mean", "sum", "only_first_replica", "none" or tf.VariableAggregation; checked before any change
        policy = {kind: _variable_policy(kind, kwargs.get(kind), name) for kind in ("synchronization", "aggregation")}
        shape = () if shape is None else _shape_tuple(shape)
        if any(s is None or s < 0 for s in shape):
            raise ValueError(f"{type(self).__name__} '{self.name}': add_weight needs a fully known shape, got {shape}")
        dtype = numpy.dtype(dtype or self._dtype)
        weight_budget.charge(f"{type(self).__name__} '{self.name}'", shape, dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dtype.kind == "f" else "zeros"
        initializer = initializers.get(initializer)
        base = name or "variable"
        count = self._weight_names.get(base, 0)
        self._weight_names[base] = count + 1
        short = base if count == 0 else f"{base}_{count}"
        self._stamp_attribute_variables()  # variables set as attributes so far come before this weight
        value = initializer(shape, dtype=dtype)
        value = to_array(value, dtype)
        if tuple(value.shape) != shape:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the initializer of weight '{short}' returned "
                f"shape {tuple(value.shape)}, expected {shape}"
            )
        with name_scope_path(self.name, caller=self):
            variable = Variable(value, trainable=bool(trainable), name=short, dtype=dtype, **policy)
        variable._keras2_name = f"{self.name}/{short}"  # what learnet's own files store
        if trainable:
            self._trainable_variables.append(variable)
            if not self._trainable:
                variable.trainable = False
        else:
            self._non_trainable_variables.append(variable)
        regularizer = regularizers.get(regularizer)
        if regularizer is not None:
            self._regularized.append((variable, regularizer))
            _any_losses[0] = True
        if constraint is not None:
            self._constraints.append((variable, constraint))
            try:  # optimizers apply `variable.constraint` after each update, where Variable has the slot
                variable.constraint = constraint
            except AttributeError:
                pass
        if _tracking.restore_hook is not None:  # a checkpoint restore waits for this weight
            _tracking.restore_hook(self)
        return variable

    add_variable = add_weight

    def get_weights(self) -> list[numpy.ndarray]:
        """The weights' values as a list of NumPy arrays, in the order of ``weights``.

        Examples
        --------
        >>> import learnet as tf
        >>> layer = tf.keras.layers.Dense(3)
        >>> _ = layer(tf.ones((1, 4)))
        >>> [w.shape for w in layer.get_weights()]
        [(4, 3), (3,)]
        """
        return [variable.numpy() for variable in self.weights]

    def set_weights(self, weights: Any) -> None:
        """Set the weights from a list of arrays, in the order and shapes of ``get_weights()``.

        Everything is checked first: on a mismatch a ``ValueError`` names the layer and the
        weight, and no weight changes.
        """
        variables = self.weights
        who = f"{type(self).__name__} '{self.name}'"
        weights = list(weights)
        if len(weights) != len(variables):
            raise ValueError(
                f"{who} has {len(variables)} weight(s) ({', '.join(v.path for v in variables) or 'none'}"
                f"{'' if self.built else '; the layer is not built yet'}), "
                f"but set_weights got {len(weights)} array(s)"
            )
        arrays = []
        for variable, value in zip(variables, weights):
            array = to_array(value, variable.dtype)
            if tuple(array.shape) != tuple(variable.shape):
                raise ValueError(
                    f"{who}: weight '{variable.path}' has shape {tuple(variable.shape)}, "
                    f"but set_weights got an array of shape {tuple(array.shape)}"
                )
            arrays.append(array)
        for variable, array in zip(variables, arrays):
            variable._value[...] = array

    # --- saving hooks: Keras 3 calls these for every layer when it writes or reads model.weights.h5 ---
    def save_own_variables(self, store: Any) -> None:
        """Write this layer's own variables (not its sublayers') into ``store``, keyed ``"0"``, ``"1"``...

        ``model.save("x.keras")`` and ``model.save_weights("x.weights.h5")`` call it once
        per layer with that layer's ``vars`` group of ``model.weights.h5`` as a dict-like
        ``store``. Override it (and ``load_own_variables``) to keep more: any array put into
        ``store`` under any name comes back in ``load_own_variables``.

        Parameters
        ----------
        store : dict-like
            ``store[key] = array`` keeps an array of numbers.

        Examples
        --------
        >>> import learnet as keras
        >>> layer = keras.layers.Dense(2)
        >>> layer.build((None, 3))
        >>> store = {}
        >>> layer.save_own_variables(store)
        >>> {key: value.shape for key, value in store.items()}
        {'0': (3, 2), '1': (2,)}
        """
        for index, variable in enumerate(self._own_variables()):
            store[str(index)] = variable.numpy()

    def load_own_variables(self, store: Any) -> None:
        """Set this layer's own variables from ``store``, as ``save_own_variables`` wrote them.

        Everything is checked first (the number of arrays, each one's shape): on a
        mismatch a ``ValueError`` names the layer and no variable changes.

        Parameters
        ----------
        store : dict-like
            ``store["0"]``, ``store["1"]``...: one array for each variable.

        Examples
        --------
        >>> import numpy as np
        >>> import learnet as keras
        >>> layer = keras.layers.Dense(2)
        >>> layer.build((None, 3))
        >>> layer.load_own_variables({"0": np.ones((3, 2)), "1": np.zeros(2)})
        >>> float(layer.kernel.numpy().sum())
        6.0
        """
        variables = self._own_variables()
        who = f"{type(self).__name__} '{self.name}'"
        keys = sorted(store.keys(), key=str)
        expected = [str(index) for index in range(len(variables))]
        if sorted(expected) != keys:
            raise ValueError(
                f"{who} has {len(variables)} variable(s) ({', '.join(v.path for v in variables) or 'none'}), "
                f"but the saved state holds the keys {keys}; expected {expected}"
                f"{'' if self.built else ' (the layer is not built yet)'}"
            )
        arrays = []
        for key, variable in zip(expected, variables):
            array = to_array(store[key], variable.dtype)
            if tuple(array.shape) != tuple(variable.shape):
                raise ValueError(
                    f"{who}: variable '{variable.path}' has shape {tuple(variable.shape)}, "
                    f"but the saved state holds an array of shape {tuple(array.shape)} under {key!r}"
                )
            arrays.append(array)
        for variable, array in zip(variables, arrays):
            variable._value[...] = array

    def count_params(self) -> int:
        """The number of scalars in all weights; the layer must be built."""
        if not self.built:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' is not built yet, so it has no weights to count: "
                "call it on data first, or give the first layer an input_shape"
            )
        return int(sum(int(numpy.prod(v.shape)) for v in self.weights))

    # --- losses ------------------------------------------------------------------------------------
    def add_loss(self, loss: Any) -> None:
        """Add a loss tensor (or a function of no argument returning one) to ``losses``.

        Losses added inside ``call`` are forgotten at the start of the next call.
        """
        if not callable(loss) and not isinstance(loss, Tensor):
            loss = Tensor(loss, dtype=self._dtype)
        self._append_loss(loss)

    def add_metric(self, value, name=None, aggregation="mean"):
        """Report ``value`` as a metric of the model during ``fit`` and ``evaluate`` (tf.keras 2).

        With a ``name``, the model logs the mean of the values over each epoch under that
        name. Without one, ``value`` must come from a ``Metric`` the layer holds as an
        attribute (``self.my_mean = keras.metrics.Mean(name="...")``): such metrics are
        logged by the model already, under their own names.
        """
        if aggregation not in ("mean", None):
            raise ValueError(f"add_metric: aggregation must be 'mean', got {aggregation!r}")
        if type(value).__name__ == "KerasTensor":
            return  # building a functional model: nothing to measure
        if name is None:
            if any(
                type(v).__name__ != "type" and hasattr(v, "update_state") and hasattr(v, "result")
                for v in vars(self).values()
            ):
                return
            raise ValueError(
                f"add_metric in layer '{self.name}' needs a name=, e.g. add_metric(value, name='my_metric')"
            )
        from learnet.metrics import Mean

        added = self.__dict__.setdefault("_added_metrics", {})
        if name not in added:
            added[name] = Mean(name=name)
        added[name].update_state(value)

    def _append_loss(self, loss):
        _any_losses[0] = True
        if not self._losses:
            _loss_holders[0] += 1
        self._losses.append(loss)

    @property
    def losses(self) -> list[Tensor]:
        """Scalar losses of this layer and its sublayers: ``add_loss`` from the last call and
        the weight regularizers, recomputed now (so, read inside a ``GradientTape``, they
        are differentiable)."""
        result: list[Tensor] = []
        if not _any_losses[0]:
            return result
        for layer in self._flatten_layers():
            for loss in layer._losses:
                result.append(loss() if callable(loss) and not isinstance(loss, Tensor) else loss)
            for variable, regularizer in layer._regularized:
                result.append(regularizer(variable))
        return result

    def _clear_losses(self):
        for layer in self._flatten_layers():
            if layer._losses:
                layer._losses = [loss for loss in layer._losses if callable(loss) and not isinstance(loss, Tensor)]
                if not layer._losses:
                    _loss_holders[0] -= 1

    # --- building and calling -----------------------------------------------------------------------
    def build(self, input_shape: Any) -> None:
        """Create the weights, knowing the input shape (batch axis included). Runs once."""
        self._build_input_shape = input_shape
        self.built = True

    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """The computation of the layer; the base class returns its input unchanged."""
        return inputs

    def _maybe_build(self, input_shape):
        if self.built:
            return
        if _is_shape(input_shape):
            input_shape = TensorShape(input_shape)
        self.build(input_shape)  # a `def build(self)` is called without it (see _marking_built)
        self.built = True
        if self._build_input_shape is None:
            self._build_input_shape = input_shape
        if self._initial_weights is not None:
            weights, self._initial_weights = self._initial_weights, None
            self.set_weights(weights)

    # Layers that compute in floats (Dense, Conv2D...) set this: integer inputs (uint8
    # pixels, 0/1 features) become floats of the layer's dtype instead of failing later.
    _autocast_integers = False
    # Image preprocessing layers read a list of same-sized images as one batch (Keras converts it).
    _stacks_input_lists = False
    # Layers that take a RaggedTensor as it is; the others get it padded, with a mask.
    _takes_ragged = False

    def _convert_input(self, value):
        if isinstance(value, Tensor):
            kind = value._value.dtype.kind
            if (kind == "f" or kind in "iub" and self._autocast_integers) and value._value.dtype != self._dtype:
                # A recorded cast, so a traced graph (tf.lite, a saved function) holds it as an op.
                from learnet.ops.math import cast

                return cast(value, self._dtype)
            return value
        if isinstance(value, xp.ndarray):
            kind = value.dtype.kind
            if (kind == "f" or kind in "iub" and self._autocast_integers) and value.dtype != self._dtype:
                return Tensor._wrap(value.astype(self._dtype))
            return Tensor._wrap(value)
        if value is None:
            return None
        if isinstance(value, SparseTensor):
            # keras.Input(sparse=True): the layer computes on the dense tensor (differentiable in
            # the stored values), so Dense and every other layer take a SparseTensor as Keras does.
            return self._convert_input(_sparse_to_dense(value))
        if isinstance(value, RaggedTensor) and not self._takes_ragged:
            # Rows of different lengths (TextVectorization(ragged=True)) become a padded batch whose
            # mask marks the real steps, which the next layers (an RNN, attention) honour.
            lengths = xp.asarray(value.row_lengths().numpy())
            padded = value.to_tensor(0)
            padded = self._convert_input(padded)
            steps = padded.shape[1] if padded.ndim > 1 else 0
            padded._keras_mask = Tensor._wrap(xp.arange(steps)[None, :] < lengths[:, None])
            return padded
        if isinstance(value, dict):
            return {key: self._convert_input(item) for key, item in value.items()}
        if (
            self._stacks_input_lists
            and isinstance(value, (list, tuple))
            and value
            and all(isinstance(v, (Tensor, xp.ndarray)) for v in value)
        ):
            # An image layer reads a list of same-sized images as one batch, as Keras does.
            shapes = {tuple(v.shape) for v in value}
            if len(shapes) > 1:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': a list of images is read as one batch, so the images "
                    f"must have one shape; got {sorted(shapes)}"
                )
            return self._convert_input(xp.stack([v._value if isinstance(v, Tensor) else v for v in value]))
        if isinstance(value, (list, tuple)) and any(isinstance(v, (Tensor, xp.ndarray)) for v in _flatten(value)):
            # A list of tensors is several inputs (Concatenate, Add); a list of numbers is one tensor.
            return _map_structure(self._convert_input, value)
        array = to_array(value)
        kind = array.dtype.kind
        if (kind == "f" or kind in "iub" and self._autocast_integers) and array.dtype != self._dtype:
            array = array.astype(self._dtype)
        return Tensor._wrap(array)

    def _check_rank_before_build(self, shapes):
        """A layer that takes inputs of one exact rank (Conv2D: 4, LSTM: 3) refuses another
        before ``build`` makes weights from it: else the failed call would leave the layer
        built for the wrong input's last axis, and the right input refused next. (Layers
        with a minimum rank, as Dense, explain a too-small input in ``build``.)"""
        spec = self.input_spec
        if isinstance(spec, InputSpec) and spec.ndim is not None and _is_shape(shapes):
            spec.check(self, shapes)

    def _check_input_spec(self, shapes):
        spec = self.input_spec
        if spec is None:
            return
        if isinstance(spec, (list, tuple)):
            if _is_shape(shapes) or not isinstance(shapes, (list, tuple)):
                shapes = [shapes]
            if len(spec) != len(shapes):
                raise ValueError(f"{type(self).__name__} '{self.name}' expects {len(spec)} input(s), got {len(shapes)}")
            for one_spec, shape in zip(spec, shapes):
                if one_spec is not None:
                    one_spec.check(self, shape)
        elif _is_shape(shapes):
            spec.check(self, shapes)

    def __call__(self, inputs: Any = None, *args: Any, **kwargs: Any) -> Any:
        # In the layer's name scope, as Keras 3: the weights it (or a sublayer) makes while
        # building have the path `layer/sublayer/kernel`.
        with name_scope_path(self.name, caller=self):
            return self._call_in_scope(inputs, *args, **kwargs)

    def _call_in_scope(self, inputs: Any = None, *args: Any, **kwargs: Any) -> Any:
        named_first = None
        if inputs is None and kwargs:
            # The first argument given by its name, as Keras allows: `attention(x=x, context=c)`.
            first = _first_call_argument(type(self))
            if first is not None and first in kwargs:
                inputs = kwargs.pop(first)
                named_first = first
        if "training" in kwargs:
            training = kwargs.pop("training")
        else:
            training = None
        if training is None and _training_stack:
            training = _training_stack[-1]
        if _is_symbolic(inputs) or _is_symbolic(args) or _is_symbolic(kwargs):
            # A functional model's config says how the first argument was given, as Keras writes it.
            self._symbolic_named_first = named_first
            try:
                return self._symbolic_call(inputs, args, kwargs, training)
            finally:
                self._symbolic_named_first = None

        inputs = self._convert_input(inputs)
        if args:  # further positional tensors (`layer(a, b)`) are converted the same way
            args = tuple(self._convert_input(a) if isinstance(a, (Tensor, xp.ndarray)) else a for a in args)
        shapes = _map_structure(lambda t: tuple(t.shape) if isinstance(t, Tensor) else None, inputs)
        if not self.built:
            self._check_rank_before_build(shapes)
            self._maybe_build(shapes)
        if self.input_spec is not None:
            self._check_input_spec(shapes)
        if not _training_stack and _loss_holders[0]:
            # Losses added in the previous call are forgotten (scanning only when some exist).
            self._clear_losses()
        if self._call_has_training and training is not None:
            kwargs["training"] = training
        # Masks (Embedding(mask_zero=True), Masking) travel on the tensors, as in Keras.
        mask = kwargs.get("mask") if self._call_has_mask else kwargs.pop("mask", None)
        given_mask = mask
        if mask is None:
            mask = _input_mask(inputs)
        # Keras passes the inputs' mask on to `call` only when the call gets no other tensor
        # (an RNN called with initial_state= runs unmasked); the outputs' masks follow it anyway.
        if given_mask is None and _gets_other_tensors(args, kwargs):
            kwargs.pop("mask", None)
        elif mask is not None and self._call_has_mask:
            kwargs["mask"] = mask
        _training_stack.append(training)
        try:
            outputs = self.call(inputs, *args, **kwargs)
        finally:
            _training_stack.pop()
        if mask is not None or type(self).compute_mask is not Layer.compute_mask:
            _attach_masks(outputs, self.compute_mask(inputs, mask))
        if self.activity_regularizer is not None:
            for output in _flatten(outputs):
                if isinstance(output, Tensor):
                    self._append_loss(self.activity_regularizer(output))
        return outputs

    def _symbolic_call(self, inputs, args, kwargs, training):
        """Called on KerasTensors: build, work out the output shape, record the node."""
        named_first = getattr(self, "_symbolic_named_first", None)
        input_shapes = _map_structure(
            lambda t: (
                tuple(t.shape) if isinstance(t, KerasTensor) else (tuple(t.shape) if isinstance(t, Tensor) else None)
            ),
            inputs,
        )
        if not self.built:
            self._check_rank_before_build(input_shapes)
            self._maybe_build(input_shapes)
        if self.input_spec is not None:
            self._check_input_spec(input_shapes)
        # Further tensors, positional (`layer(targets, logits)`) or by keyword (`encoder(x,
        # source_mask=m)`), reach the shape-finding call too, and so does the inputs' mask, for a
        # call that takes one.
        self._symbolic_extra_args = tuple(args)
        self._symbolic_extra_kwargs = {key: value for key, value in kwargs.items() if key != "mask"}
        mask = kwargs.get("mask") if "mask" in kwargs else _symbolic_mask(inputs)
        passed = "mask" in kwargs or not _gets_other_tensors(args, kwargs)  # Keras' rule, as in __call__
        self._symbolic_mask_arg = mask if self._call_has_mask and passed else None
        # Integer inputs (token ids, time steps) stay integers in the shape-finding call.
        self._symbolic_input_dtypes = [getattr(t, "dtype", None) for t in _flatten(inputs)]
        self._probed_dtypes = None
        try:
            output_shapes = self.compute_output_shape(
                TensorShape(input_shapes) if _is_shape(input_shapes) else input_shapes
            )
        finally:
            self._symbolic_extra_args = ()
            self._symbolic_extra_kwargs = {}
            self._symbolic_mask_arg = None
            self._symbolic_input_dtypes = None
        probed, self._probed_dtypes = self._probed_dtypes, None
        if probed is not None and (output_shapes is None or len(probed) != len(_flatten_shapes(output_shapes))):
            probed = None  # a compute_output_shape that reshaped the probe's answer: its dtypes unknown
        output_dtype = self._output_dtype(inputs)

        # The call's lists and dicts as they are now: a list the caller changes afterwards
        # (`features.append(block(Concatenate()(features)))`) must not change the graph.
        def frozen(value):
            return _map_structure(lambda leaf: leaf, value) if isinstance(value, (list, dict)) else value

        inputs, args = frozen(inputs), tuple(frozen(a) for a in args)
        call_kwargs = {key: frozen(value) for key, value in kwargs.items()}
        self._symbolic_shapes = (input_shapes, output_shapes)
        history = KerasHistory(self, inputs)

        def make(shape, index):
            tensor = KerasTensor(shape, dtype=self._probed_output_dtype(output_dtype, probed, index))
            tensor._keras_history = history
            tensor._keras_output_index = index
            tensor._keras_call_args = tuple(args)
            tensor._keras_call_kwargs = call_kwargs
            tensor._keras_call_first_name = named_first
            return tensor

        if _is_shape(output_shapes):
            outputs = make(output_shapes, None)
        else:
            counter = iter(range(1 << 30))
            outputs = _map_structure_shapes(lambda shape: make(shape, next(counter)), output_shapes)
        self._inbound = (inputs, outputs)
        self._attach_symbolic_masks(inputs, outputs)
        return outputs

    def _attach_symbolic_masks(self, inputs, outputs):
        """Put on symbolic outputs what their mask will look like (``x._keras_mask``, as Keras
        shows it in the functional API): found by asking ``compute_mask`` about zeros. The
        masks themselves travel with the data when the model runs."""
        mask = _symbolic_mask(inputs)
        if mask is None and type(self).compute_mask is Layer.compute_mask:
            return
        from learnet import tape

        def zeros(t, fill, dtype=None):
            shape = tuple(fill if s is None else s for s in t.shape)
            return Tensor._wrap(xp.zeros(shape, dtype=dtype or t.dtype))

        found = []
        try:
            with tape.no_recording():
                for fill in (2, 3):
                    dummy = _map_structure(lambda t: zeros(t, fill) if isinstance(t, KerasTensor) else t, inputs)
                    dummy_mask = _map_structure(
                        lambda m: zeros(m, fill, bool) if isinstance(m, KerasTensor) else m, mask
                    )
                    found.append(self.compute_mask(dummy, dummy_mask))
        except Exception:  # noqa: BLE001 - a compute_mask that cannot run on zeros: no mask shown
            return

        def symbolic(a, b):
            if not isinstance(a, Tensor) or not isinstance(b, Tensor):
                return None
            shape = tuple(x if x == y else None for x, y in zip(a.shape, b.shape))
            return KerasTensor(shape, dtype="bool")

        if isinstance(found[0], (list, tuple)):
            masks = [symbolic(a, b) for a, b in zip(found[0], found[1])]
        else:
            masks = symbolic(found[0], found[1])
        for output, output_mask in zip(
            _flatten(outputs), masks if isinstance(masks, list) else [masks] * len(_flatten(outputs))
        ):
            if isinstance(output, KerasTensor) and output_mask is not None:
                output._keras_mask = output_mask

    @property
    def _takes_text(self):
        """Whether a Sequential model built from the data it sees starts with a text input, for this
        first layer: one whose dtype is text (``dtype=tf.string``), as Keras 3 gives the input the
        first layer's dtype. TextVectorization and StringLookup say so themselves."""
        return _kind(self._dtype) == "O"

    def _output_dtype(self, inputs):
        """The dtype of the outputs in a functional model: the layer's float type."""
        return self._dtype

    def _probed_output_dtype(self, output_dtype, probed, index):
        """The dtype of output ``index`` of a symbolic call: what running ``call`` on stand-ins
        gave (``probed``, found by the base ``compute_output_shape``), as Keras 3 traces it: ids
        from a lookup table are int64, ``tf.strings.lower`` gives text, whatever the layer's own
        dtype. Where both are floats the layer's float type stays (its dtype policy), and a layer
        that says its outputs' dtype (``_output_dtype``) is believed."""
        if probed is None or type(self)._output_dtype is not Layer._output_dtype:
            return output_dtype
        found = probed[0] if index is None else (probed[index] if index < len(probed) else None)
        if found is None:
            return output_dtype
        return output_dtype if _kind(found) == "f" and _kind(output_dtype) == "f" else numpy.dtype(found)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape for an input of ``input_shape`` (``None`` for unknown sizes).

        The base class finds it by running ``call`` on zeros (batch 2 and 3, to see which
        sizes follow the batch); layers override it with the formula.
        """
        from learnet import tape

        single = _is_shape(tuple(input_shape)) if isinstance(input_shape, (tuple, list)) else False
        results = []
        saved_losses = [list(layer._losses) for layer in self._flatten_layers()]
        # A symbolic call draws no random numbers in Keras 3: the seed generators' states are put back.
        generators = [generator for layer in self._flatten_layers() for generator in layer._seed_generators()]
        saved_states = [generator.state._value.copy() for generator in generators]
        try:
            with tape.no_recording():
                for fill in (2, 3):

                    def zeros(shape, dtype=None):
                        size = tuple(fill if s is None else s for s in shape)
                        return Tensor._wrap(xp.zeros(size, dtype=self._dtype if dtype is None else dtype))

                    def text_stand_in(shape, text):
                        size = tuple(fill if s is None else s for s in shape)
                        return Tensor._wrap(numpy.full(size, text, dtype=object))

                    def stand_ins(text):
                        # The inputs: zeros in the layer's float type, integers stay integers (token
                        # ids, time steps), and text holds `text` (a StringLookup, tf.strings inside).
                        kinds = iter(getattr(self, "_symbolic_input_dtypes", None) or ())

                        def input_zeros(shape):
                            kind = next(kinds, None)
                            kind = None if kind is None else numpy.dtype(object if kind == "string" else kind)
                            if kind is not None and kind.kind in "OSU":
                                return text_stand_in(shape, text)
                            integer = kind is not None and kind.kind in "iub"
                            return zeros(shape, kind if integer else None)

                        def stand_in(value):
                            # Zeros for a further tensor: in the layer's float type, or as integers or
                            # booleans when the tensor holds those (token ids, a padding mask), or text.
                            if not isinstance(value, KerasTensor):
                                return value
                            if value.dtype.kind in "OSU":
                                return text_stand_in(value.shape, text)
                            return zeros(tuple(value.shape), value.dtype if value.dtype.kind in "iub" else None)

                        dummy = (
                            input_zeros(tuple(input_shape))
                            if single
                            else _map_structure_shapes(input_zeros, input_shape)
                        )
                        extra = tuple(_map_structure(stand_in, a) for a in getattr(self, "_symbolic_extra_args", ()))
                        kwargs = {
                            key: _map_structure(stand_in, value)
                            for key, value in (getattr(self, "_symbolic_extra_kwargs", None) or {}).items()
                        }
                        if self._call_has_training:
                            kwargs["training"] = False
                        mask = getattr(self, "_symbolic_mask_arg", None)
                        if mask is not None:
                            kwargs["mask"] = _map_structure(
                                lambda m: (
                                    Tensor._wrap(xp.ones(tuple(fill if s is None else s for s in m.shape), bool))
                                    if isinstance(m, KerasTensor)
                                    else m
                                ),
                                mask,
                            )
                        return dummy, extra, kwargs

                    # Text holds `fill` words, so that a row split into words has a length that
                    # differs between the two probes and stays unknown, as TensorFlow infers it
                    # (tf.strings.split(x).to_tensor() is (None, None)). A call that cannot take
                    # words (tf.strings.to_number) is tried again on a number.
                    texts = (_probe_text(fill), b"0") if self._probes_text() else (b"",)
                    _training_stack.append(False)
                    _probing[0] += 1
                    try:
                        for attempt, text in enumerate(texts):
                            dummy, extra, kwargs = stand_ins(text)
                            try:
                                with numpy.errstate(all="ignore"):  # zeros may divide by zero: only shapes matter
                                    outputs = self.call(dummy, *extra, **kwargs)
                                break
                            except Exception:
                                if attempt == len(texts) - 1:
                                    raise
                    finally:
                        _probing[0] -= 1
                        _training_stack.pop()
                    results.append(_map_structure(lambda t: tuple(t.shape), outputs))
                    if fill == 2:
                        # What the call gives, for the outputs' dtypes (int64 ids from a table).
                        self._probed_dtypes = tuple(getattr(t, "dtype", None) for t in _flatten(outputs))
        finally:
            for layer, losses in zip(self._flatten_layers(), saved_losses):
                if bool(layer._losses) != bool(losses):
                    _loss_holders[0] += 1 if losses else -1
                layer._losses = losses
            for generator, state in zip(generators, saved_states):
                generator.state._value[...] = state

        def merge(a, b):
            if _is_shape(a):
                return tuple(x if x == y else None for x, y in zip(a, b))
            if isinstance(a, dict):
                return {k: merge(a[k], b[k]) for k in a}
            return type(a)(merge(x, y) for x, y in zip(a, b))

        return merge(results[0], results[1])

    def _probes_text(self):
        """Whether the symbolic call being probed has a text input or further argument."""
        further = list(getattr(self, "_symbolic_extra_args", None) or ())
        further += list((getattr(self, "_symbolic_extra_kwargs", None) or {}).values())
        kinds = list(getattr(self, "_symbolic_input_dtypes", None) or ())
        kinds += [value.dtype for value in _flatten(further) if isinstance(value, KerasTensor)]
        return any(_kind(kind) in ("O", "S", "U") for kind in kinds)

    def compute_mask(self, inputs, mask=None):
        """The mask of the outputs: the input's for a layer that ``supports_masking``, else None.

        Layers that make a mask (``Embedding(mask_zero=True)``, ``Masking``) or change it
        (a recurrent layer that returns only its last output) override this.
        """
        return mask if self.supports_masking else None

    def compute_output_spec(self, inputs):
        """``KerasTensor``(s) describing the output for symbolic ``inputs``."""
        return self._symbolic_call(inputs, (), {}, None)

    # --- what is known about the layer ------------------------------------------------------------------
    @property
    def dtype(self):
        """The dtype of the weights and computations, as a string (``"float32"``)."""
        return self._dtype

    @property
    def compute_dtype(self):
        """The dtype this layer computes in (``"float32"``; also under a mixed policy, see ``dtype_policy``)."""
        return self._dtype

    @property
    def variable_dtype(self):
        """The dtype of this layer's weights."""
        return self._dtype

    @property
    def dtype_policy(self):
        """The layer's ``keras.mixed_precision.DTypePolicy``: the ``dtype`` it was given, or the
        global policy when it was made.

        A mixed policy (``"mixed_float16"``) keeps its name here, as in Keras, while learnet
        computes in float32 (see ``learnet.mixed_precision``): ``compute_dtype`` says what the
        layer really computes in. Setting it (a name or a policy) sets the dtype the layer
        computes in from then on.

        Examples
        --------
        >>> import learnet as keras
        >>> dense = keras.layers.Dense(2, dtype="float64")
        >>> dense.dtype_policy
        <DTypePolicy "float64">
        >>> dense.dtype_policy.compute_dtype, dense.compute_dtype
        ('float64', 'float64')
        """
        from learnet.mixed_precision import get as get_policy

        return get_policy(getattr(self, "_policy_name", None) or self._dtype)

    @dtype_policy.setter
    def dtype_policy(self, value):
        from learnet.mixed_precision import DTypePolicy

        if not isinstance(value, (str, dict, DTypePolicy)):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': dtype_policy must be a policy name such as 'float32' "
                f"or 'mixed_float16', or a DTypePolicy, got {value!r}"
            )
        try:
            name = _policy_name(value, _dtype_name(value))
            policy = DTypePolicy(name)  # refuses an unknown name before anything changes
        except (TypeError, ValueError):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': unknown dtype policy {value!r}; use a float type such "
                "as 'float32', 'mixed_float16' or 'mixed_bfloat16'"
            ) from None
        self._dtype = _dtype_name(policy.name)
        self._policy_name = policy.name

    # --- Keras 3's stateless call -----------------------------------------------------------------------
    @property
    def quantization_mode(self):
        """``"int8"`` or ``"float8"`` once ``quantize`` has run (see ``dtype_policy``), else None."""
        name = self.__dict__.get("_policy_name")
        if not name or "_from_" not in name:  # cheap: Dense asks on every call
            return None
        return name.split("_from_", 1)[0].split("/")[0]

    def quantize(self, mode=None, type_check=True, config=None):
        """Quantize the layer's weights (Keras 3): ``Dense``, ``EinsumDense`` and ``Embedding``
        implement it (see ``learnet.layers.quantization``); other layers raise
        ``NotImplementedError``, which ``Model.quantize`` turns into a warning."""
        from learnet.layers import quantization

        quantization.check_quantize_args(self, mode)
        raise self._not_implemented_error(self.quantize)

    def _not_implemented_error(self, method):
        return NotImplementedError(
            f"Layer {type(self).__name__} does not have a `{method.__name__}` method implemented."
        )

    def stateless_call(self, trainable_variables, non_trainable_variables, *args, return_losses=False, **kwargs):
        """Call the layer with the weights' values given, leaving its own weights as they were.

        The JAX style of Keras 3: the state goes in and comes out as values. The values
        stand in for ``self.trainable_variables`` and ``self.non_trainable_variables`` (same
        order) during the call; what the call writes into the non-trainable ones
        (``BatchNormalization``'s moving statistics in training) comes back. Gradients reach
        the values given: watch them with a ``GradientTape``.

        Parameters
        ----------
        trainable_variables, non_trainable_variables : list
            One value (Variable, Tensor or array) per weight, in the order of
            ``trainable_variables`` and ``non_trainable_variables``.
        *args, **kwargs
            What calling the layer takes (``x``, ``training=True``...).
        return_losses : bool, default False
            Also return ``losses`` (``add_loss`` and the weight regularizers), computed
            with the values given.

        Returns
        -------
        ``(outputs, non_trainable_variables)``, with ``losses`` third when asked: the new
        non-trainable values as Tensors.

        Examples
        --------
        >>> import learnet as keras
        >>> dense = keras.layers.Dense(1, kernel_initializer="ones")
        >>> dense.build((None, 2))
        >>> y, _ = dense.stateless_call([keras.ops.full((2, 1), 2.0), keras.ops.zeros((1,))], [], keras.ops.ones((1, 2)))
        >>> float(y[0, 0]), float(dense(keras.ops.ones((1, 2)))[0, 0])
        (4.0, 2.0)
        """
        from learnet import tape as _tape

        if not self.built:
            raise ValueError(
                f"To call stateless_call, {type(self).__name__} '{self.name}' must be built (its variables "
                "must exist): call it on some data or build(input_shape) first"
            )
        trainable, non_trainable = list(self.trainable_variables), list(self.non_trainable_variables)
        given = _stateless_values(self, trainable_variables, trainable, "trainable_variables")
        given += _stateless_values(self, non_trainable_variables, non_trainable, "non_trainable_variables")
        variables = trainable + non_trainable
        # Each Variable holds a fresh array during the call (ops that keep their inputs see it)
        # and its own array again afterwards; the ops recorded meanwhile are re-pointed from the
        # Variables to the values given, so a gradient reaches those and not the layer's weights.
        stand_ins = {}
        for variable, (value, array) in zip(variables, given):
            stand_ins[id(variable)] = value if value is not None else Tensor._wrap(array.copy())
        tapes = list(_tape._recording)
        marks = [len(tape._notes) for tape in tapes]
        added = []
        for tape in tapes:  # a watched value makes its Variable watched for the call
            for variable in variables:
                if id(stand_ins[id(variable)]) in tape._watched and id(variable) not in tape._watched:
                    tape._watched[id(variable)] = variable
                    added.append((tape, id(variable)))
        originals = [variable._value for variable in variables]
        try:
            for variable, (_, array) in zip(variables, given):
                variable._value = array
            outputs = self(*args, **kwargs)
            losses = list(self.losses) if return_losses else None
            new_values = [Tensor._wrap(variable._value) for variable in non_trainable]
        finally:
            for variable, original in zip(variables, originals):
                variable._value = original
            for tape, mark in zip(tapes, marks):
                for note in tape._notes[mark:]:
                    if any(id(t) in stand_ins for t in note.inputs):
                        note.inputs = tuple(stand_ins.get(id(t), t) for t in note.inputs)
            for tape, key in added:
                tape._watched.pop(key, None)
        if return_losses:
            return outputs, new_values, losses
        return outputs, new_values

    @property
    def input_shape(self):
        """The shape of the input this layer was built for or last called on symbolically."""
        if self._symbolic_shapes is not None:
            return self._symbolic_shapes[0]
        if self._build_input_shape is not None:
            return _map_structure_shapes(lambda s: (None,) + tuple(s)[1:], self._build_input_shape)
        if self._batch_input_shape is not None:
            return self._batch_input_shape
        raise AttributeError(
            f"{type(self).__name__} '{self.name}' has no defined input shape yet: call it on data first"
        )

    @property
    def input(self):
        """The symbolic input of the layer's last call in a functional model (``keras.Input`` graph)."""
        if self._inbound is None:
            raise AttributeError(
                f"{type(self).__name__} '{self.name}' has never been called on a symbolic input "
                "(keras.Input), so it has no input tensor"
            )
        return self._inbound[0]

    @input.setter
    def input(self, value):
        self._inbound = (value, None if self._inbound is None else self._inbound[1])

    @property
    def output(self):
        """The symbolic output of the layer's last call in a functional model.

        ``Model(model.input, model.layers[1].output)`` builds a model that stops there,
        to look at what a hidden layer computes.
        """
        if self._inbound is None:
            raise AttributeError(
                f"{type(self).__name__} '{self.name}' has never been called on a symbolic input "
                "(keras.Input), so it has no output tensor"
            )
        return self._inbound[1]

    @output.setter
    def output(self, value):
        self._inbound = (None if self._inbound is None else self._inbound[0], value)

    @property
    def output_shape(self):
        """The shape of the output, where the input shape is known."""
        if self._symbolic_shapes is not None:
            return self._symbolic_shapes[1]
        try:
            shape = self.input_shape
        except AttributeError:
            raise AttributeError(
                f"{type(self).__name__} '{self.name}' has no defined output shape yet: call it on data first"
            ) from None
        return self.compute_output_shape(TensorShape(shape) if _is_shape(shape) else shape)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments as plain data, so ``from_config`` can rebuild the layer.

        A custom layer whose ``__init__`` takes only plain values (numbers, strings, lists)
        gets them here automatically; otherwise override ``get_config``.
        """
        config = {"name": self.name, "trainable": self.trainable, "dtype": self._dtype}
        mixed = str(getattr(self, "_policy_name", "") or "").startswith("mixed_")
        if self.quantization_mode is not None or mixed:  # rebuilt with its quantized variables, or its mixed policy
            config["dtype"] = self._policy_name
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = self._batch_input_shape
        if type(self).get_config is Layer.get_config and type(self).__init__ is not Layer.__init__:
            args, kwargs = self._init_arguments
            names = [n for n in _init_signature_names(type(self)) if n not in ("args", "kwargs")]
            extra = dict(zip(names, args))
            extra.update(kwargs)
            for key, value in extra.items():
                if key in ("name", "trainable", "dtype"):
                    continue
                if not _is_plain(value):
                    raise NotImplementedError(
                        f"{type(self).__name__}.get_config: the argument {key}={value!r} is not plain "
                        "data; override get_config() in your layer to describe it"
                    )
                config[key] = value
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        """Create a layer from the dictionary ``get_config`` returned."""
        return cls(**config)

    def get_build_config(self):
        """The input shape the layer was built with (for saving), or None."""
        if self._build_input_shape is None:
            return None
        return {"input_shape": _as_lists(self._build_input_shape)}

    def build_from_config(self, config):
        """Build from what ``get_build_config`` returned (for loading)."""
        if config and config.get("input_shape") is not None and not self.built:
            self._maybe_build(_as_tuples(config["input_shape"]))

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


registry.register_builtin(Layer)


def _marking_built(build):
    import functools

    takes_no_shape = _build_takes_no_shape(build)  # `def build(self)`, which Keras calls so

    @functools.wraps(build)
    def wrapper(self, input_shape=None, *args, **kwargs):
        with name_scope_path(self.name, caller=self):  # a layer built by hand names its weights too
            result = build(self) if takes_no_shape else build(self, input_shape, *args, **kwargs)
        self.built = True
        if getattr(self, "_build_input_shape", None) is None and input_shape is not None:
            self._build_input_shape = input_shape
        return result

    wrapper._marks_built = True
    return wrapper


# Bookkeeping attributes that hold no sublayer or extra variable: skipped when scanning.
_UNTRACKED = frozenset(
    {
        "_fusable_pairs",
        "_init_arguments",
        "_initial_weights",
        "_symbolic_shapes",
        "_probed_dtypes",
        "_inbound",
        "input_spec",
        "_regularized",
        "_constraints",
        "_losses",
        "activity_regularizer",
        "_trainable_variables",
        "_non_trainable_variables",
        "_build_input_shape",
        "_batch_input_shape",
        "_weight_names",
        "_variable_stamps",
        "_parent_path",
    }
)


def _collect(value, kind, found, seen):
    if isinstance(value, kind):
        if id(value) not in seen:
            seen.add(id(value))
            found.append(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect(item, kind, found, seen)
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, kind, found, seen)


def _as_tuples(shapes):
    if shapes is None:
        return None
    if isinstance(shapes, dict):
        return {k: _as_tuples(v) for k, v in shapes.items()}
    if (
        isinstance(shapes, (list, tuple))
        and shapes
        and all(isinstance(s, (list, tuple, dict)) or s is None for s in shapes)
        and not all(s is None for s in shapes)
    ):
        return [_as_tuples(s) for s in shapes]
    return tuple(shapes)


def _as_lists(shapes):
    if _is_shape(tuple(shapes)) if isinstance(shapes, (list, tuple)) else False:
        return list(shapes)
    if isinstance(shapes, dict):
        return {k: _as_lists(v) for k, v in shapes.items()}
    return [_as_lists(s) for s in shapes]


def _is_plain(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False


def _stateless_values(layer, values, variables, what):
    """``[(tensor or None, array)]`` for the values ``stateless_call`` was given in place of
    ``variables``: each checked (count, shape) before anything changes, each array a copy in
    its variable's dtype; the tensor is the value itself when it is one (gradients reach it)."""
    try:
        values = list(values)
    except TypeError:
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}'.stateless_call: {what} must be a list of "
            f"{len(variables)} values, got {type(values).__name__}"
        ) from None
    if len(values) != len(variables):
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}'.stateless_call: {what} must hold one value per entry of "
            f"layer.{what} ({len(variables)}), got {len(values)}"
        )
    result = []
    for value, variable in zip(values, variables):
        array = value._value if isinstance(value, Tensor) else to_array(value)
        if tuple(array.shape) != tuple(variable.shape):
            raise ValueError(
                f"{type(layer).__name__} '{layer.name}'.stateless_call: the value given for "
                f"'{variable.path}' has shape {tuple(array.shape)}, expected {tuple(variable.shape)}"
            )
        array = xp.array(array, dtype=variable._value.dtype, copy=True)
        result.append((value if isinstance(value, Tensor) else None, array))
    return result


def _policy_name(dtype, dtype_name):
    """The name of a layer's dtype policy: a mixed or quantized policy's own name, else its
    dtype (the global policy's name for a layer given none)."""
    from learnet import mixed_precision

    if dtype is None:
        policy = mixed_precision.global_policy()
        return policy.name if policy.name.startswith("mixed_") else dtype_name
    if isinstance(dtype, dict):
        dtype = mixed_precision.policy_name_of_config(dtype.get("config", {}), dtype_name)
    dtype = getattr(dtype, "name", dtype)
    special = isinstance(dtype, str) and (dtype.startswith("mixed_") or mixed_precision.is_quantized_name(dtype))
    return dtype if special else dtype_name


def _dtype_name(dtype):
    if dtype is None:
        return backend.floatx()
    from learnet import mixed_precision

    if isinstance(dtype, dict):  # a serialized Keras 3 DTypePolicy
        dtype = mixed_precision.policy_name_of_config(dtype.get("config", {}), backend.floatx())
    if hasattr(dtype, "variable_dtype") and hasattr(dtype, "name"):  # a keras.mixed_precision policy
        dtype = dtype.name
    if isinstance(dtype, str) and mixed_precision.is_quantized_name(dtype):  # "int8_from_float32"
        dtype = dtype.split("_from_", 1)[1]
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        return backend.floatx()
    if isinstance(dtype, str) and dtype == "string":
        # Keras' spelling of tf.string, whose tensors hold bytes in object arrays (learnet.string).
        return "object"
    try:
        return numpy.dtype(dtype).name
    except TypeError:
        raise TypeError(f"a layer dtype must be a type like 'float32' or 'string', got {dtype!r}") from None
