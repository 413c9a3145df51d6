"""``tf.lite``: the converter and interpreter of TensorFlow Lite's tutorials, in learnet's own format.

``tf.lite.TFLiteConverter`` turns a Keras model, a directory written by
``tf.saved_model.save`` or concrete ``tf.function``\\s into ``bytes``, and
``tf.lite.Interpreter`` runs those bytes: ``allocate_tensors``, ``set_tensor``, ``invoke``,
``get_tensor``, and the signature runners of ``get_signature_runner``. Code written for
TensorFlow Lite runs unchanged.

**The bytes are learnet's format, not a TensorFlow Lite flatbuffer.** A phone's TensorFlow
Lite runtime cannot read them, and learnet cannot read a real ``.tflite`` file (one that
carries the identifier ``TFL3`` at byte 4): it says so and stops. What ``convert`` returns
is a zip archive, read with the same safety checks as learnet's model files
(:mod:`learnet.saving`):

* ``lite.json``: the format's name and version, what the converter was asked, the stored
  weights (shape, dtype, how each is stored), and each signature: its inputs and outputs
  (names, shapes, dtypes, quantization) and the inference computation as a graph of
  learnet's registered ops (:mod:`learnet.saved_function`);
* ``weights.npz``: the weights (the variables the graphs read), as stored;
* ``constants.npz``: the other arrays the graphs hold (such as batch-normalization
  statistics).

Loading never runs code from the bytes: every op is looked up in learnet's table of
primitives, every array is read as numbers only, and damaged or hostile bytes raise
:class:`learnet.saving.InvalidModelFileError` (a ``ValueError``) saying what is wrong.

Post-training quantization (``converter.optimizations = [tf.lite.Optimize.DEFAULT]``):

* **dynamic range** (no ``representative_dataset``): every float weight with two axes or
  more and at least 1024 values (Dense and convolution kernels, as TensorFlow Lite picks
  them; biases and normalization vectors stay float) is stored as int8, symmetric, with one
  scale per output channel (the last axis: a Dense kernel's units, a Conv2D kernel's
  filters). The interpreter dequantizes the weights when it loads them and computes in
  float32, so outputs differ slightly from the float model's, and the bytes are about four
  times smaller for a large model.
* **float16** (``target_spec.supported_types = [tf.float16]``): every float32 weight is
  stored as float16 (half the bytes) and widened back to float32 when loaded.
* **full integer** (a ``representative_dataset``): every float weight with two axes or
  more is stored as int8 per channel (whatever its size), and the dataset is run through
  the float model to record the range of each input and output. With
  ``inference_input_type`` / ``inference_output_type`` set to ``tf.int8`` or ``tf.uint8``
  the interpreter's inputs and outputs are integers with the recorded ``(scale,
  zero_point)`` in their details, as in TensorFlow Lite; the activations inside stay
  float32 (learnet has no integer kernels), so the results are close to, not bit for bit,
  those of an integer-only runtime.

Signature names: a Keras model has one signature, ``serving_default``, whose inputs are named
after the model's inputs as learnet names them (``model.inputs[i].name``: ``"input_layer"``
for a Sequential model built with ``keras.Input``, or the ``name=`` given to ``keras.Input``;
TensorFlow's converter uses Keras 3's symbolic tensor names such as ``keras_tensor_15``, so
code that hard-codes such a name needs the name ``get_signature_list()`` shows). Its output is
``output_0`` (``output_<i>`` for a list of outputs, the keys for a dict, sorted).

Examples
--------
>>> import numpy as np
>>> import learnet as tf
>>> from learnet import lite
>>> model = tf.keras.Sequential([tf.keras.Input((3,), name="x"), tf.keras.layers.Dense(2)])
>>> blob = lite.TFLiteConverter.from_keras_model(model).convert()
>>> interpreter = lite.Interpreter(model_content=blob)
>>> interpreter.get_signature_list()
{'serving_default': {'inputs': ['x'], 'outputs': ['output_0']}}
>>> run = interpreter.get_signature_runner("serving_default")
>>> run(x=np.ones((4, 3), np.float32))["output_0"].shape
(4, 2)
"""

import enum
import io
import math
import os
import types
import zipfile

import numpy

from learnet import saved_function
from learnet.saving import (
    InvalidModelFileError,
    _Archive,
    _json_bytes,
    _npz_bytes,
    _read_json,
    _read_npz,
)
from learnet.tensor import Tensor, Variable, convert_to_tensor, keras2_name

__all__ = [
    "Interpreter",
    "InvalidModelFileError",
    "OpsSet",
    "Optimize",
    "RepresentativeDataset",
    "SignatureRunner",
    "TFLiteConverter",
    "TargetSpec",
    "experimental",
]

FORMAT_NAME = "learnet lite"
FORMAT_VERSION = 1
_JSON = "lite.json"
_WEIGHTS = "weights.npz"
_CONSTANTS = "constants.npz"
_MEMBERS = (_JSON, _WEIGHTS, _CONSTANTS)
_NOTE = (
    "learnet's own model format for learnet's tf.lite.Interpreter: a zip of JSON and .npz arrays. "
    "It is not a TensorFlow Lite flatbuffer, and TensorFlow Lite runtimes cannot read it."
)
#: TensorFlow Lite's dynamic-range quantization leaves weights smaller than this in float.
MIN_QUANTIZED_ELEMENTS = 1024
_INTEGER_IO = {"int8": (-128, 127), "uint8": (0, 255)}


# --- the option enums -------------------------------------------------------------------------------
class Optimize(str, enum.Enum):
    """What the converter optimizes, as ``tf.lite.Optimize``.

    ``DEFAULT`` quantizes the weights (see the module's notes); ``OPTIMIZE_FOR_SIZE`` and
    ``OPTIMIZE_FOR_LATENCY`` are TensorFlow's deprecated names of ``DEFAULT`` and act like it;
    ``EXPERIMENTAL_SPARSITY`` is accepted and changes nothing.

    Examples
    --------
    >>> Optimize.DEFAULT
    <Optimize.DEFAULT: 'DEFAULT'>
    """

    DEFAULT = "DEFAULT"
    OPTIMIZE_FOR_SIZE = "OPTIMIZE_FOR_SIZE"
    OPTIMIZE_FOR_LATENCY = "OPTIMIZE_FOR_LATENCY"
    EXPERIMENTAL_SPARSITY = "EXPERIMENTAL_SPARSITY"

    def __repr__(self):
        return f"<Optimize.{self.name}: {self.value!r}>"

    def __str__(self):
        return self.value


class OpsSet(str, enum.Enum):
    """The op sets of ``target_spec.supported_ops``, as ``tf.lite.OpsSet``.

    learnet's interpreter runs every learnet op, so ``TFLITE_BUILTINS`` and ``SELECT_TF_OPS``
    change nothing; ``TFLITE_BUILTINS_INT8`` asks for full integer quantization (it needs a
    ``representative_dataset``).

    Examples
    --------
    >>> OpsSet.TFLITE_BUILTINS_INT8.value
    'TFLITE_BUILTINS_INT8'
    """

    TFLITE_BUILTINS = "TFLITE_BUILTINS"
    SELECT_TF_OPS = "SELECT_TF_OPS"
    TFLITE_BUILTINS_INT8 = "TFLITE_BUILTINS_INT8"
    EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 = (
        "EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8"
    )
    EXPERIMENTAL_STABLEHLO_OPS = "EXPERIMENTAL_STABLEHLO_OPS"

    def __repr__(self):
        return f"<OpsSet.{self.name}: {self.value!r}>"

    def __str__(self):
        return self.value


class TargetSpec:
    """What the converted model may use, as ``tf.lite.TargetSpec``.

    Parameters
    ----------
    supported_ops : set of OpsSet, optional
        Default ``{OpsSet.TFLITE_BUILTINS}``.
    supported_types : set of dtypes, optional
        ``{tf.float16}`` (with ``Optimize.DEFAULT``) stores the weights as float16.

    Examples
    --------
    >>> import learnet as tf
    >>> spec = TargetSpec(supported_types=[tf.float16])
    >>> [numpy.dtype(t).name for t in spec.supported_types]
    ['float16']
    """

    def __init__(self, supported_ops=None, supported_types=None, experimental_select_user_tf_ops=None, **options):
        self.supported_ops = set(supported_ops) if supported_ops is not None else {OpsSet.TFLITE_BUILTINS}
        self.supported_types = set(supported_types) if supported_types is not None else set()
        self.experimental_select_user_tf_ops = set(experimental_select_user_tf_ops or ())
        for key, value in options.items():  # TensorFlow's experimental options: accepted, unused
            setattr(self, key, value)

    def __repr__(self):
        return f"TargetSpec(supported_ops={self.supported_ops}, supported_types={self.supported_types})"


class RepresentativeDataset:
    """A generator of sample inputs for calibration, as ``tf.lite.RepresentativeDataset``.

    ``input_gen`` is a function of no arguments returning an iterable; each item is a list
    of arrays (one per input, in order), a dict by input name, or one array (one input).
    A plain function works as well: ``converter.representative_dataset = input_gen``.

    Examples
    --------
    >>> def input_gen():
    ...     for _ in range(3):
    ...         yield [numpy.zeros((1, 4), numpy.float32)]
    >>> len(list(RepresentativeDataset(input_gen).input_gen()))
    3
    """

    def __init__(self, input_gen):
        if not callable(input_gen):
            raise TypeError(
                "RepresentativeDataset expects a function of no arguments that yields sample inputs, "
                f"got {type(input_gen).__name__}"
            )
        self.input_gen = input_gen


def _dtype_name(value, what):
    try:
        return numpy.dtype(getattr(value, "as_numpy_dtype", value)).name
    except TypeError:
        raise TypeError(f"{what} must be a dtype such as tf.float32, tf.int8 or tf.uint8, got {value!r}") from None


# --- the converter ----------------------------------------------------------------------------------
class _Source:
    """One signature to convert: a traced graph, its input names and specs."""

    def __init__(self, key, graph, input_names):
        self.key = key
        self.graph = graph
        self.input_names = list(input_names)


class TFLiteConverter:
    """Converts a model into the bytes ``tf.lite.Interpreter`` runs (learnet's format).

    Build it with ``from_keras_model``, ``from_saved_model`` or ``from_concrete_functions``,
    set the options, and call ``convert()``.

    Attributes
    ----------
    optimizations : list of Optimize
        ``[Optimize.DEFAULT]`` quantizes the weights (module notes).
    target_spec : TargetSpec
        ``supported_ops`` and ``supported_types`` (``[tf.float16]`` stores float16 weights).
    representative_dataset : callable or RepresentativeDataset, optional
        Sample inputs: with ``Optimize.DEFAULT``, full integer quantization.
    inference_input_type, inference_output_type : dtype
        ``tf.float32`` (default), or ``tf.int8`` / ``tf.uint8`` after full integer quantization.
    allow_custom_ops, experimental_new_converter : bool
        Accepted for compatibility; they change nothing in learnet.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet import lite
    >>> model = tf.keras.Sequential([tf.keras.Input((64,)), tf.keras.layers.Dense(32)])
    >>> converter = lite.TFLiteConverter.from_keras_model(model)
    >>> float_bytes = converter.convert()
    >>> converter.optimizations = [lite.Optimize.DEFAULT]
    >>> len(converter.convert()) < len(float_bytes) / 2
    True
    """

    def __init__(self, sources, description="model"):
        self._sources = list(sources)
        self._description = description
        self.optimizations = []
        self.target_spec = TargetSpec()
        self.representative_dataset = None
        self.inference_type = numpy.float32
        self.inference_input_type = numpy.float32
        self.inference_output_type = numpy.float32
        self.allow_custom_ops = False
        self.experimental_new_converter = True
        self.experimental_new_quantizer = True
        self.exclude_conversion_metadata = False

    # --- where the computation comes from ------------------------------------------------------
    @classmethod
    def from_keras_model(cls, model):
        """A converter for a Keras model (Sequential, functional or subclassed, called or built).

        The model's inference (``training=False``) becomes the signature ``serving_default``,
        whose inputs are named as ``model.inputs`` are.

        Raises
        ------
        ValueError
            If the model's input shapes are unknown (not built, never called), or its
            computation cannot be held as a graph of learnet ops (the message says why).
        """
        if not callable(getattr(model, "predict", None)) or not hasattr(model, "weights"):
            raise TypeError(
                f"TFLiteConverter.from_keras_model expects a Keras model, got {type(model).__name__}; "
                "for a tf.function use from_concrete_functions"
            )
        return cls([_model_source(model)], f"model {getattr(model, 'name', '')!r}")

    @classmethod
    def from_saved_model(cls, saved_model_dir, signature_keys=None, tags=None):
        """A converter for a directory written by learnet's ``tf.saved_model.save``.

        A saved Keras model gives its ``serving_default`` signature; a saved ``tf.Module``
        gives the stored graphs of the signatures named in ``signature_keys`` (default
        ``["serving_default"]``), without tracing anything again.

        Raises
        ------
        OSError
            If the directory was not written by learnet's ``tf.saved_model.save``.
        ValueError
            If a signature asked for is not in the directory.
        """
        from learnet import saved_model, saved_objects

        if signature_keys is not None and (isinstance(signature_keys, str) or not signature_keys):
            raise ValueError(
                f"from_saved_model: signature_keys must be a non-empty list of names, got {signature_keys!r}"
            )
        loaded = saved_model.load(saved_model_dir)
        if not isinstance(loaded, saved_objects.RestoredObject):  # a Keras model
            keys = list(signature_keys or ["serving_default"])
            if keys != ["serving_default"]:
                raise ValueError(
                    f"from_saved_model: the model saved in {os.fspath(saved_model_dir)!r} has one signature, "
                    f"'serving_default'; got signature_keys={keys}"
                )
            return cls([_model_source(loaded)], f"saved model {os.fspath(saved_model_dir)!r}")
        available = sorted(loaded.signatures)
        keys = list(signature_keys) if signature_keys is not None else ["serving_default"]
        if not available:
            raise ValueError(
                f"from_saved_model: {os.fspath(saved_model_dir)!r} holds no signature (Only support at least one "
                "signature key): save the module with signatures={'serving_default': module.function} or give "
                "its tf.function an input_signature"
            )
        sources = []
        for key in keys:
            if key not in loaded.signatures:
                raise ValueError(
                    f"from_saved_model: {os.fspath(saved_model_dir)!r} has no signature {key!r}; it has {available}"
                )
            signature = loaded.signatures[key]
            graph = signature._function._graphs[0]
            names = list(signature.structured_input_signature[1])
            sources.append(_Source(key, graph, names))
        return cls(sources, f"saved model {os.fspath(saved_model_dir)!r}")

    @classmethod
    def from_concrete_functions(cls, funcs, trackable_obj=None):
        """A converter for concrete functions (``f.get_concrete_function(tf.TensorSpec(...))``).

        One function becomes the signature ``serving_default``; with several, the first is
        ``serving_default`` and the others are named after their functions. Inputs are
        named by the specs' ``name`` or else the function's parameters.
        ``trackable_obj`` (the object holding the variables) is accepted for compatibility.
        """
        from learnet import control, saved_objects

        if isinstance(funcs, control.ConcreteFunction) or not isinstance(funcs, (list, tuple)) or not funcs:
            raise ValueError(
                "from_concrete_functions expects a non-empty list of concrete functions "
                "([f.get_concrete_function(...)])"
            )
        sources, used = [], set()
        for position, function in enumerate(funcs):
            if isinstance(function, control.Function):
                if function.input_signature is None:
                    raise ValueError(
                        f"from_concrete_functions: {function.__name__} has no input_signature; pass "
                        f"{function.__name__}.get_concrete_function(tf.TensorSpec(shape, dtype))"
                    )
                function = function.get_concrete_function()
            if not isinstance(function, control.ConcreteFunction):
                raise ValueError(
                    "from_concrete_functions expects concrete functions (f.get_concrete_function(...)), "
                    f"got {type(function).__name__}"
                )
            specs = list(function.inputs)
            names = [getattr(spec, "name", None) for spec in specs]
            if any(name is None for name in names):
                parameters = list(function._names or []) or saved_objects._parameter_names_of(function._python_function)
                parameters = (parameters + [f"args_{i}" for i in range(len(specs))])[: len(specs)]
                names = [name or parameter for name, parameter in zip(names, parameters)]
            key = "serving_default" if position == 0 else str(function.name)
            while key in used:
                key += "_"
            used.add(key)
            graph = _trace(function, specs, str(function.name))
            sources.append(_Source(key, graph, names))
        return cls(sources, "concrete functions")

    @classmethod
    def experimental_from_jax(cls, *args, **kwargs):
        raise NotImplementedError("TFLiteConverter.experimental_from_jax: learnet does not convert JAX functions")

    # --- conversion -------------------------------------------------------------------------------------
    def _mode(self):
        optimizations = {Optimize(o) if not isinstance(o, Optimize) else o for o in (self.optimizations or ())}
        quantize = bool(optimizations & {Optimize.DEFAULT, Optimize.OPTIMIZE_FOR_SIZE, Optimize.OPTIMIZE_FOR_LATENCY})
        ops = {OpsSet(o) if not isinstance(o, OpsSet) else o for o in (self.target_spec.supported_ops or ())}
        types_ = {_dtype_name(t, "target_spec.supported_types") for t in (self.target_spec.supported_types or ())}
        int8_ops = bool(
            ops & {OpsSet.TFLITE_BUILTINS_INT8, OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8}
        )
        io_types = (
            _dtype_name(self.inference_input_type, "inference_input_type"),
            _dtype_name(self.inference_output_type, "inference_output_type"),
        )
        if int8_ops and self.representative_dataset is None:
            raise ValueError(
                "For full integer quantization, a `representative_dataset` must be specified "
                "(target_spec.supported_ops holds TFLITE_BUILTINS_INT8)"
            )
        for what, name in zip(("inference_input_type", "inference_output_type"), io_types):
            if name not in ("float32", "int8", "uint8"):
                raise ValueError(f"{what} must be tf.float32, tf.int8 or tf.uint8, got {name}")
        full_integer = quantize and self.representative_dataset is not None
        if any(name != "float32" for name in io_types) and not full_integer:
            raise ValueError(
                "The inference_input_type and inference_output_type must be tf.float32 unless the model is fully "
                "quantized: set optimizations=[tf.lite.Optimize.DEFAULT] and a representative_dataset"
            )
        if not quantize:
            return "none", io_types
        if full_integer:
            return "full_integer", io_types
        if "float16" in types_ and not int8_ops:
            return "float16", io_types
        return "dynamic_range", io_types

    def convert(self):
        """The converted model, as ``bytes`` in learnet's format (module notes).

        Write them to a file (``open("model.tflite", "wb").write(...)``) and load them with
        ``tf.lite.Interpreter(model_path=...)``, or pass them as ``model_content``.

        Raises
        ------
        ValueError
            For options that do not fit together (as TensorFlow's converter refuses them),
            or a representative dataset whose samples do not fit the inputs.
        """
        mode, io_types = self._mode()
        variables = {}  # id -> (key, Variable)
        for source in self._sources:
            for variable in source.graph.variables:
                if id(variable) not in variables:
                    variables[id(variable)] = (f"w{len(variables)}", variable)
        calibration = self._calibrate() if mode == "full_integer" else None
        weights, arrays = [], {}
        for key, variable in variables.values():
            entry, stored = _store_weight(key, variable, mode)
            weights.append(entry)
            arrays.update(stored)
        paths = {id_: key for id_, (key, _) in variables.items()}
        constants, signatures = {}, {}
        for number, source in enumerate(self._sources):
            data, graph_arrays = source.graph.to_json(paths, f"s{number}c")
            for name, array in graph_arrays.items():
                if array.dtype.kind not in "biuf":
                    raise ValueError(
                        f"TFLiteConverter: the signature {source.key!r} holds a constant of type {array.dtype} "
                        "(text?); learnet's tf.lite stores numeric computations only"
                    )
                constants[name] = array
            signatures[source.key] = _signature_entry(source, data, calibration, io_types)
        description = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "note": _NOTE,
            "learnet_version": _version(),
            "converter": {
                "source": self._description,
                "quantization": mode,
                "optimizations": sorted(str(Optimize(o).value) for o in self.optimizations or ()),
                "supported_ops": sorted(str(OpsSet(o).value) for o in self.target_spec.supported_ops or ()),
                "supported_types": sorted(
                    _dtype_name(t, "target_spec.supported_types") for t in self.target_spec.supported_types or ()
                ),
                "inference_input_type": io_types[0],
                "inference_output_type": io_types[1],
            },
            "weights": weights,
            "signatures": signatures,
        }
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(_JSON, _json_bytes(description), compress_type=zipfile.ZIP_DEFLATED)
            archive.writestr(_WEIGHTS, _npz_bytes(arrays), compress_type=zipfile.ZIP_STORED)
            archive.writestr(_CONSTANTS, _npz_bytes(constants), compress_type=zipfile.ZIP_STORED)
        return buffer.getvalue()

    def _calibrate(self):
        """``{signature: {"inputs": [(min, max)], "outputs": [(min, max)]}}`` over the representative dataset."""
        from learnet.tape import no_recording

        dataset = self.representative_dataset
        generator = getattr(dataset, "input_gen", dataset)
        if not callable(generator):
            raise TypeError(
                "representative_dataset must be a function of no arguments that yields sample inputs "
                f"(or a tf.lite.RepresentativeDataset), got {type(dataset).__name__}"
            )
        ranges = {}
        for source in self._sources:
            low_in = [math.inf] * len(source.input_names)
            high_in = [-math.inf] * len(source.input_names)
            low_out, high_out = None, None
            count = 0
            for sample in generator():
                values = _sample_inputs(sample, source)
                with no_recording(), numpy.errstate(all="ignore"):
                    outputs = _flatten_result(source.graph.run(values, source.graph.variables))
                arrays = [numpy.asarray(v.numpy(), numpy.float64) for v in values]
                results = [numpy.asarray(o.numpy(), numpy.float64) for o in outputs]
                if low_out is None or high_out is None:
                    low_out, high_out = [math.inf] * len(results), [-math.inf] * len(results)
                for i, array in enumerate(arrays):
                    if array.size:
                        low_in[i], high_in[i] = min(low_in[i], float(array.min())), max(high_in[i], float(array.max()))
                for i, array in enumerate(results):
                    if array.size:
                        low_out[i] = min(low_out[i], float(array.min()))
                        high_out[i] = max(high_out[i], float(array.max()))
                count += 1
            if not count:
                raise ValueError("representative_dataset yielded no samples; calibration needs at least one")
            ranges[source.key] = {
                "inputs": [[lo, hi] for lo, hi in zip(low_in, high_in)],
                "outputs": [[lo, hi] for lo, hi in zip(low_out or [], high_out or [])],
                "samples": count,
            }
        return ranges


def _version():
    from learnet.version import LEARNET_VERSION

    return LEARNET_VERSION


def _trace(function, specs, name):
    try:
        return saved_function.trace(function, specs, name)
    except saved_function.GraphError as error:
        raise ValueError(f"TFLiteConverter: {error}") from error


def _model_source(model):
    """The ``serving_default`` source of a Keras model: its inference traced into a graph."""
    from learnet.control import TensorSpec

    inputs = getattr(model, "inputs", None)
    if inputs:
        specs = [TensorSpec(list(t.shape), t.dtype, name=t.name) for t in inputs]
        names = [str(t.name) for t in inputs]
    else:
        try:
            shape = model.input_shape
        except (AttributeError, ValueError):
            raise ValueError(
                f"TFLiteConverter.from_keras_model: the model {getattr(model, 'name', '')!r} has not been built or "
                "called yet, so its input shapes are unknown; call it on data (or fit it) first"
            ) from None
        shapes = [shape] if all(s is None or isinstance(s, int) for s in shape) else list(shape)
        names = _call_parameter_names(model, len(shapes))
        specs = [TensorSpec(list(s), numpy.float32, name=n) for s, n in zip(shapes, names)]
    if len(set(names)) != len(names):
        names = [f"{n}_{i}" if names.count(n) > 1 else n for i, n in enumerate(names)]

    def serve(*values):
        return model(values[0] if len(values) == 1 else list(values), training=False)

    graph = _trace(serve, specs, str(getattr(model, "name", "serve")))
    return _Source("serving_default", graph, names)


def _call_parameter_names(model, count):
    from learnet import saved_objects

    names = [n for n in saved_objects._parameter_names_of(model.call) if n not in ("training", "mask")]
    if count == 1 and names:
        return names[:1]
    return [f"args_{i}" for i in range(count)]


def _store_weight(key, variable, mode):
    """One weight as stored: ``(entry for lite.json, {array name: array})``."""
    array = numpy.asarray(variable.numpy())
    entry = {
        "key": key,
        "name": keras2_name(variable).split(":")[0],
        "shape": list(array.shape),
        "dtype": array.dtype.name,
        "storage": array.dtype.name,
        "trainable": bool(getattr(variable, "trainable", False)),
    }
    floating = array.dtype.kind == "f"
    large = array.size >= MIN_QUANTIZED_ELEMENTS or mode == "full_integer"
    if floating and array.ndim >= 2 and large and mode in ("dynamic_range", "full_integer"):
        q, scale = quantize_per_channel(array)
        entry.update(storage="int8", axis=array.ndim - 1)
        return entry, {key: q, key + "_scale": scale}
    if floating and mode == "float16" and array.dtype == numpy.float32:
        entry["storage"] = "float16"
        return entry, {key: array.astype(numpy.float16)}
    return entry, {key: array}


def quantize_per_channel(array, axis=-1):
    """Symmetric int8 quantization with one scale per slice along ``axis``: ``(int8 array, scales)``.

    ``array ≈ q * scale`` (scales broadcast along ``axis``); values are in ``[-127, 127]``, as
    TensorFlow Lite stores weights.

    Examples
    --------
    >>> q, scale = quantize_per_channel(numpy.array([[1.0, -0.5], [-2.0, 0.25]], numpy.float32))
    >>> q.tolist(), [round(float(s), 4) for s in scale]
    ([[64, -127], [-127, 64]], [0.0157, 0.0039])
    """
    array = numpy.asarray(array, numpy.float32)
    axis = axis % array.ndim
    others = tuple(i for i in range(array.ndim) if i != axis)
    largest = numpy.max(numpy.abs(array), axis=others) if others else numpy.abs(array)
    scale = (largest / 127.0).astype(numpy.float32)
    scale[~(scale > 0)] = 1.0  # an all-zero channel (or NaN) gets scale 1
    shape = [1] * array.ndim
    shape[axis] = -1
    q = numpy.clip(numpy.rint(array / scale.reshape(shape)), -127, 127).astype(numpy.int8)
    return q, scale


def dequantize_per_channel(q, scale, axis=-1):
    """``q * scale`` as float32, ``scale`` broadcast along ``axis`` (the inverse of ``quantize_per_channel``).

    Examples
    --------
    >>> dequantize_per_channel(numpy.array([[64, -127]], numpy.int8), numpy.array([0.5, 1.0], numpy.float32))
    array([[  32., -127.]], dtype=float32)
    """
    shape = [1] * q.ndim
    shape[axis % q.ndim] = -1
    return (q.astype(numpy.float32) * numpy.asarray(scale, numpy.float32).reshape(shape)).astype(numpy.float32)


def _io_quantization(low, high, dtype_name):
    """``(scale, zero_point)`` of an affine int8/uint8 tensor covering ``[low, high]`` (and 0)."""
    low, high = min(float(low), 0.0), max(float(high), 0.0)
    qmin, qmax = _INTEGER_IO[dtype_name]
    scale = (high - low) / (qmax - qmin)
    if not scale > 0 or not math.isfinite(scale):
        scale = 1.0
    zero_point = int(numpy.clip(round(qmin - low / scale), qmin, qmax))
    return float(numpy.float32(scale)), zero_point


def _structure_names(structure, where):
    """The output names of a graph's result structure, in order."""
    if "ref" in structure:
        return ["output_0"]
    if "dict" in structure:
        items = structure["dict"]
        if all("ref" in value for value in items.values()):
            return sorted(items)
    for kind in ("list", "tuple"):
        if kind in structure and all("ref" in value for value in structure[kind]):
            return [f"output_{i}" for i in range(len(structure[kind]))]
    raise ValueError(
        f"TFLiteConverter: {where} returns {_describe_structure(structure)}; learnet's tf.lite holds functions "
        "that return a tensor, a list of tensors or a dict of tensors"
    )


def _describe_structure(structure):
    if "none" in structure:
        return "None"
    if "dict" in structure:
        return "a dict holding more than tensors"
    if "list" in structure or "tuple" in structure:
        return "a nested list"
    return "something else"


def _flatten_result(result):
    if isinstance(result, dict):
        return [result[key] for key in sorted(result)]
    if isinstance(result, (list, tuple)):
        return list(result)
    return [result]


def _shape_list(spec):
    return None if spec.shape is None else spec.shape.as_list()


def _signature_entry(source, graph_data, calibration, io_types):
    names = _structure_names(source.graph.structure, f"the signature {source.key!r}")
    ranges = (calibration or {}).get(source.key)
    inputs = []
    for position, (name, spec) in enumerate(zip(source.input_names, source.graph.input_specs)):
        shape = _shape_list(spec)
        if shape is None:
            raise ValueError(
                f"TFLiteConverter: input {name!r} of {source.key!r} has an unknown rank; give its shape "
                "(None for the sizes that vary)"
            )
        entry = {"name": str(name), "shape": shape, "dtype": numpy.dtype(spec.dtype).name}
        if ranges is not None:
            entry["range"] = ranges["inputs"][position]
            if io_types[0] != "float32" and entry["dtype"].startswith("float"):
                entry["quantization"] = list(_io_quantization(*ranges["inputs"][position], io_types[0]))
                entry["dtype"] = io_types[0]
        inputs.append(entry)
    specs = _flatten_result(source.graph.output_specs)
    outputs = []
    for position, (name, spec) in enumerate(zip(names, specs)):
        entry = {"name": name, "shape": _shape_list(spec), "dtype": numpy.dtype(spec.dtype).name}
        if ranges is not None:
            entry["range"] = ranges["outputs"][position]
            if io_types[1] != "float32" and entry["dtype"].startswith("float"):
                entry["quantization"] = list(_io_quantization(*ranges["outputs"][position], io_types[1]))
                entry["dtype"] = io_types[1]
        outputs.append(entry)
    return {"inputs": inputs, "outputs": outputs, "graph": graph_data}


def _sample_inputs(sample, source):
    """The tensors of one representative sample, in the signature's input order."""
    specs = source.graph.input_specs
    if isinstance(sample, dict):
        missing = [n for n in source.input_names if n not in sample]
        if missing:
            raise ValueError(
                f"representative_dataset: a sample lacks the input(s) {missing}; the signature "
                f"{source.key!r} has inputs {source.input_names}"
            )
        values = [sample[n] for n in source.input_names]
    elif isinstance(sample, (list, tuple)):
        values = list(sample)
    else:
        values = [sample]
    if len(values) != len(specs):
        raise ValueError(
            f"representative_dataset: a sample holds {len(values)} input(s), but the signature {source.key!r} "
            f"takes {len(specs)} ({source.input_names}); yield a list with one array per input"
        )
    tensors = []
    for name, value, spec in zip(source.input_names, values, specs):
        value = value.numpy() if isinstance(value, Tensor) else value
        tensor = convert_to_tensor(numpy.asarray(value, dtype=numpy.dtype(spec.dtype)))
        if not spec.is_compatible_with(tensor):
            raise ValueError(
                f"representative_dataset: input {name!r} has shape {tuple(tensor.shape)}, but the signature "
                f"expects {_shape_list(spec)} (None: any size)"
            )
        tensors.append(tensor)
    return tensors


# --- reading the bytes -----------------------------------------------------------------------------------
def _refuse(what, message):
    raise InvalidModelFileError(f"{what}: {message}")


def _check(condition, what, message):
    if not condition:
        _refuse(what, message)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _check_shape(shape, what, allow_none=True):
    _check(isinstance(shape, list) and len(shape) <= 32, what, f"a shape must be a list of sizes, got {shape!r}")
    for size in shape:
        _check((size is None and allow_none) or (_is_int(size) and 0 <= size < 1 << 40), what, f"bad size in {shape!r}")


def _check_dtype(name, what, kinds="biuf"):
    _check(isinstance(name, str), what, f"a dtype must be a name, got {name!r}")
    try:
        dtype = numpy.dtype(name)
    except TypeError:
        _refuse(what, f"unknown dtype {name!r}")
    _check(dtype.kind in kinds and dtype.name == name, what, f"unexpected dtype {name!r}")
    return dtype


def _check_ref(ref, counts, position, what):
    _check(isinstance(ref, list) and len(ref) == 2, what, f"a graph reference must be [kind, index], got {ref!r}")
    kind, index = ref
    _check(kind in counts, what, f"a graph reference names an unknown kind {kind!r}")
    limit = position if kind == "op" else counts[kind]
    _check(_is_int(index) and 0 <= index < limit, what, f"a graph reference points nowhere: {ref!r}")


def _check_options(value, counts, position, what, depth=0):
    _check(depth < 64, what, "the graph's options nest too deeply")
    if isinstance(value, dict):
        if "tensor" in value:
            _check_ref(value["tensor"], counts, position, what)
            return
        if "size" in value:
            _check(value["size"] in ("batch", "free"), what, f"an option names an unknown size {value['size']!r}")
        if "dtype" in value:
            _check_dtype(value["dtype"], what, kinds="biufc")
        for item in value.values():
            _check_options(item, counts, position, what, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_options(item, counts, position, what, depth + 1)


def _check_structure(structure, counts, what, depth=0):
    _check(isinstance(structure, dict) and depth < 32, what, "the graph's result is not a valid structure")
    if "ref" in structure:
        _check_ref(structure["ref"], counts, counts["op"], what)
    elif "dict" in structure:
        _check(isinstance(structure["dict"], dict), what, "the graph's result is not a valid structure")
        for value in structure["dict"].values():
            _check_structure(value, counts, what, depth + 1)
    elif "list" in structure or "tuple" in structure:
        items = structure.get("list", structure.get("tuple"))
        _check(isinstance(items, list), what, "the graph's result is not a valid structure")
        for value in items:
            _check_structure(value, counts, what, depth + 1)


def _check_graph(data, what, weight_keys, arrays):
    """Check a signature's graph before it is built: every reference points to something earlier,
    every op is one of learnet's primitives, every array it names is there."""
    _check(isinstance(data, dict), what, "the graph is not a JSON object")
    for key, kind in (("inputs", list), ("nodes", list), ("variables", list), ("constants", list), ("structure", dict)):
        _check(isinstance(data.get(key), kind), what, f"the graph has no valid {key!r}")
    _check(isinstance(data.get("name", ""), str), what, "the graph's name is not text")
    for spec in data["inputs"]:
        _check(isinstance(spec, dict), what, "an input of the graph is not a JSON object")
        _check_shape(spec.get("shape"), what)
        _check_dtype(spec.get("dtype"), what)
    for path in data["variables"]:
        _check(path in weight_keys, what, f"the graph reads a weight that is not stored: {path!r}")
    for constant in data["constants"]:
        _check(isinstance(constant, dict), what, "a constant of the graph is not a JSON object")
        _check(constant.get("array") in arrays, what, f"the graph names a missing array {constant.get('array')!r}")
        sizes = constant.get("sizes")
        _check(isinstance(sizes, list), what, "a constant's sizes are not a list")
        array = arrays[constant["array"]]
        for patch in sizes:
            _check(
                isinstance(patch, list)
                and len(patch) == 2
                and _is_int(patch[0])
                and 0 <= patch[0] < array.size
                and patch[1] in ("batch", "free")
                and array.dtype.kind in "iu",
                what,
                f"a constant's size patch is not valid: {patch!r}",
            )
    counts = {"in": len(data["inputs"]), "var": len(data["variables"]), "const": len(data["constants"])}
    for position, node in enumerate(data["nodes"]):
        counts["op"] = position
        _check(isinstance(node, dict), what, f"op {position} is not a JSON object")
        if "assign" in node:
            _check(
                node["assign"] in ("assign", "assign_add", "assign_sub"), what, f"op {position} is an unknown update"
            )
            _check_ref(node.get("variable"), counts, position, what)
            _check(node["variable"][0] == "var", what, f"op {position} assigns to something that is not a weight")
            _check_options(node.get("value"), counts, position, what)
            continue
        _check(isinstance(node.get("op"), str), what, f"op {position} has no op name")
        try:
            saved_function._primitive(node["op"], what)
        except saved_function.GraphError as error:
            _refuse(what, str(error))
        _check(isinstance(node.get("inputs"), list), what, f"op {position} has no list of inputs")
        _check(isinstance(node.get("args"), list), what, f"op {position} has no list of arguments")
        _check(isinstance(node.get("kwargs"), dict), what, f"op {position} has no keyword arguments")
        for ref in node["inputs"]:
            _check_ref(ref, counts, position, what)
        _check_options(node["args"], counts, position, what)
        _check_options(node["kwargs"], counts, position, what)
    counts["op"] = len(data["nodes"])
    _check_structure(data["structure"], counts, what)


def _load_weights(entries, arrays, what):
    """``{key: Variable}``, dequantized to float32 where stored as int8 or float16."""
    _check(isinstance(entries, list), what, "the weights are not a list")
    weights, infos = {}, {}
    for entry in entries:
        _check(isinstance(entry, dict), what, "a weight entry is not a JSON object")
        key = entry.get("key")
        _check(isinstance(key, str) and key in arrays and key not in weights, what, f"weight {key!r} is not stored")
        _check_shape(entry.get("shape"), what, allow_none=False)
        dtype = _check_dtype(entry.get("dtype"), what)
        storage = entry.get("storage")
        stored = arrays[key]
        shape = tuple(entry["shape"])
        _check(tuple(stored.shape) == shape, what, f"weight {key!r} has shape {stored.shape}, not {shape}")
        if storage == "int8":
            scale = arrays.get(key + "_scale")
            _check(stored.dtype == numpy.int8 and len(shape) >= 1, what, f"weight {key!r} is not int8")
            axis = entry.get("axis")
            _check(_is_int(axis) and 0 <= axis < len(shape), what, f"weight {key!r} has no valid axis")
            _check(
                scale is not None and scale.dtype == numpy.float32 and scale.shape == (shape[axis],),
                what,
                f"weight {key!r} has no valid scales",
            )
            value = dequantize_per_channel(stored, scale, axis).astype(dtype)
        elif storage == "float16":
            _check(stored.dtype == numpy.float16, what, f"weight {key!r} is not float16")
            value = stored.astype(dtype)
        else:
            _check(storage == stored.dtype.name == dtype.name, what, f"weight {key!r} is not stored as {storage!r}")
            value = stored
        name = entry.get("name")
        weights[key] = Variable(value, trainable=False, name=name if isinstance(name, str) and name else key)
        infos[key] = {"entry": entry, "stored": stored, "scale": arrays.get(key + "_scale")}
    return weights, infos


def _check_io(entries, what, kind):
    _check(isinstance(entries, list), what, f"the {kind} are not a list")
    for entry in entries:
        _check(isinstance(entry, dict) and isinstance(entry.get("name"), str), what, f"an {kind[:-1]} has no name")
        _check_shape(entry.get("shape"), what)
        _check_dtype(entry.get("dtype"), what)
        quantization = entry.get("quantization")
        if quantization is not None:
            _check(
                isinstance(quantization, list)
                and len(quantization) == 2
                and isinstance(quantization[0], (int, float))
                and quantization[0] > 0
                and math.isfinite(quantization[0])
                and _is_int(quantization[1])
                and entry["dtype"] in _INTEGER_IO,
                what,
                f"the {kind[:-1]} {entry['name']!r} has a bad quantization",
            )


def load_bytes(content, what="tf.lite.Interpreter"):
    """Read converted bytes into ``(description, {signature: Graph}, weights, infos)``, checking everything.

    Raises
    ------
    InvalidModelFileError
        For a real TensorFlow Lite flatbuffer, or bytes that are not learnet's lite format or are
        damaged (the message says what is wrong).
    """
    if isinstance(content, (bytearray, memoryview)):
        content = bytes(content)
    if not isinstance(content, bytes):
        raise TypeError(f"{what}: model_content must be bytes (what converter.convert() returns), got {type(content)}")
    if len(content) >= 8 and content[4:8] == b"TFL3":
        _refuse(
            what,
            "this is a real TensorFlow Lite flatbuffer (identifier 'TFL3'); learnet cannot run .tflite files made by "
            "TensorFlow. learnet's tf.lite.Interpreter runs the bytes of learnet's own TFLiteConverter: convert the "
            "original model with learnet (tf.lite.TFLiteConverter.from_keras_model(model).convert())",
        )
    if not content.startswith(b"PK\x03\x04"):
        _refuse(
            what,
            "these bytes are not a model converted by learnet's tf.lite.TFLiteConverter (learnet's lite format is "
            "a zip archive; they are empty, truncated or something else)",
        )
    archive = _Archive(io.BytesIO(content), what, len(content))
    try:
        names = set(archive.names())
        _check(names == set(_MEMBERS), what, f"the archive holds {sorted(names)}, not learnet lite's {list(_MEMBERS)}")
        description = _read_json(archive, _JSON)
        arrays = _read_npz(archive.read(_WEIGHTS), f"{what}: {_WEIGHTS}")
        constants = _read_npz(archive.read(_CONSTANTS), f"{what}: {_CONSTANTS}")
    finally:
        archive.close()
    _check(isinstance(description, dict), what, f"{_JSON} is not a JSON object")
    _check(
        description.get("format") == FORMAT_NAME,
        what,
        f"{_JSON} does not describe a learnet lite model (format {description.get('format')!r})",
    )
    version = description.get("format_version")
    _check(_is_int(version) and version >= 1, what, f"unknown format version {version!r}")
    _check(
        version <= FORMAT_VERSION,
        what,
        f"the model was written in format version {version} by a newer learnet; upgrade learnet to load it",
    )
    weights, infos = _load_weights(description.get("weights"), arrays, what)
    signatures = description.get("signatures")
    _check(isinstance(signatures, dict) and signatures, what, "the model has no signatures")
    graphs = {}
    for key, signature in signatures.items():
        where = f"{what}: signature {key!r}"
        _check(isinstance(signature, dict), where, "not a JSON object")
        _check_io(signature.get("inputs"), where, "inputs")
        _check_io(signature.get("outputs"), where, "outputs")
        data = signature.get("graph")
        _check_graph(data, where, weights, constants)
        _check(len(data["inputs"]) == len(signature["inputs"]), where, "the graph's inputs do not match")
        try:
            graph = saved_function.Graph.from_json(data, weights, constants)
            output_count = len(_structure_names(graph.structure, where))
        except (KeyError, TypeError, ValueError, IndexError) as error:
            _refuse(where, f"the graph cannot be read ({type(error).__name__}: {error})")
        _check(output_count == len(signature["outputs"]), where, "the graph's outputs do not match")
        graphs[key] = graph
    return description, graphs, weights, infos


# --- the interpreter ------------------------------------------------------------------------------------
def _details(name, index, shape, signature, dtype_name, quantization=None, per_channel=None):
    if per_channel is not None:
        scales, axis = per_channel
        parameters = {
            "scales": numpy.asarray(scales, numpy.float32),
            "zero_points": numpy.zeros(len(scales), numpy.int32),
            "quantized_dimension": int(axis),
            "block_size": 0,
        }
        quantized = (0.0, 0)
    elif quantization is not None:
        parameters = {
            "scales": numpy.asarray([quantization[0]], numpy.float32),
            "zero_points": numpy.asarray([quantization[1]], numpy.int32),
            "quantized_dimension": 0,
            "block_size": 0,
        }
        quantized = (float(quantization[0]), int(quantization[1]))
    else:
        parameters = {
            "scales": numpy.zeros(0, numpy.float32),
            "zero_points": numpy.zeros(0, numpy.int32),
            "quantized_dimension": 0,
            "block_size": 0,
        }
        quantized = (0.0, 0)
    return {
        "name": name,
        "index": index,
        "shape": numpy.asarray(shape, numpy.int32),
        "shape_signature": numpy.asarray([-1 if s is None else s for s in signature], numpy.int32),
        "dtype": numpy.dtype(dtype_name).type,
        "quantization": quantized,
        "quantization_parameters": parameters,
        "sparsity_parameters": {},
    }


class _Subgraph:
    """One signature's tensors: inputs ``0..n-1``, then the weights it reads, then its outputs."""

    def __init__(self, key, entry, graph, infos):
        self.key = key
        self.graph = graph
        self.inputs = entry["inputs"]
        self.outputs = entry["outputs"]
        self.weight_keys = list(graph._lite_weight_keys)
        self.infos = infos
        self.input_shapes = [[1 if s is None else s for s in i["shape"]] for i in self.inputs]
        self.output_shapes = [[1 if s is None else s for s in (o["shape"] or [])] for o in self.outputs]
        self.values = {}
        self.allocated = False
        self.first_output = len(self.inputs) + len(self.weight_keys)

    # --- details ---
    def input_name(self, position):
        return f"{self.key}_{self.inputs[position]['name']}:0"

    def input_details(self, position):
        entry = self.inputs[position]
        return _details(
            self.input_name(position),
            position,
            self.input_shapes[position],
            entry["shape"],
            entry["dtype"],
            entry.get("quantization"),
        )

    def output_details(self, position):
        entry = self.outputs[position]
        shape = entry["shape"] or []
        return _details(
            f"StatefulPartitionedCall:{position}",
            self.first_output + position,
            self.output_shapes[position],
            shape,
            entry["dtype"],
            entry.get("quantization"),
        )

    def weight_details(self, position):
        key = self.weight_keys[position]
        info = self.infos[key]
        entry = info["entry"]
        per_channel = (info["scale"], entry["axis"]) if entry["storage"] == "int8" else None
        return _details(
            entry.get("name") or key,
            len(self.inputs) + position,
            entry["shape"],
            entry["shape"],
            entry["storage"],
            per_channel=per_channel,
        )

    def tensor_count(self):
        return self.first_output + len(self.outputs)

    def _index(self, index):
        if not _is_int(index) and not isinstance(index, numpy.integer):
            raise TypeError(f"a tensor index must be an int, got {type(index).__name__}")
        index = int(index)
        if not 0 <= index < self.tensor_count():
            raise ValueError(f"Invalid tensor index {index} exceeds max tensor index {self.tensor_count() - 1}")
        return index

    # --- tensors ---
    def resize(self, index, shape, strict=False):
        index = self._index(index)
        if index >= len(self.inputs):
            raise ValueError(
                f"resize_tensor_input: tensor {index} is not an input; inputs are 0..{len(self.inputs) - 1}"
            )
        shape = [int(s) for s in numpy.asarray(shape).reshape(-1)] if numpy.size(shape) else []
        signature = self.inputs[index]["shape"]
        if any(s < 0 for s in shape):
            raise ValueError(f"resize_tensor_input: sizes must be non-negative, got {shape}")
        if strict:
            if len(shape) != len(signature) or any(
                fixed is not None and fixed != size for fixed, size in zip(signature, shape)
            ):
                raise RuntimeError(
                    f"resize_tensor_input(strict=True) only allows changing the unknown dimensions (-1) of input "
                    f"{index} with shape signature {[-1 if s is None else s for s in signature]}; got {shape}"
                )
        self.input_shapes[index] = shape
        self.allocated = False
        self.values = {}

    def allocate(self):
        for position, (entry, shape) in enumerate(zip(self.inputs, self.input_shapes)):
            signature = entry["shape"]
            if len(signature) != len(shape) or any(f is not None and f != s for f, s in zip(signature, shape)):
                raise RuntimeError(
                    f"allocate_tensors: input {position} ({self.input_name(position)}) was resized to {shape}, which "
                    f"does not fit its shape signature {[-1 if s is None else s for s in signature]}"
                )
        self.values = {
            position: numpy.zeros(shape, numpy.dtype(entry["dtype"]))
            for position, (entry, shape) in enumerate(zip(self.inputs, self.input_shapes))
        }
        for position, (entry, shape) in enumerate(zip(self.outputs, self.output_shapes)):
            self.values[self.first_output + position] = numpy.zeros(shape, numpy.dtype(entry["dtype"]))
        self.allocated = True

    def set(self, index, value):
        index = self._index(index)
        if index >= len(self.inputs):
            raise ValueError(f"Cannot set tensor: tensor {index} is not an input; inputs are 0..{len(self.inputs) - 1}")
        if not self.allocated:
            raise ValueError("Cannot set tensor: Tensor is unallocated. Try calling allocate_tensors() first")
        value = value.numpy() if isinstance(value, Tensor) else value
        array = numpy.asarray(value)
        entry = self.inputs[index]
        expected = numpy.dtype(entry["dtype"])
        if array.dtype != expected:
            raise ValueError(
                f"Cannot set tensor: Got value of type {array.dtype.name.upper()} but expected type "
                f"{expected.name.upper()} for input {index}, name: {self.input_name(index)} "
                f"(convert it first: numpy.asarray(value, dtype=numpy.{expected.name}))"
            )
        shape = self.input_shapes[index]
        if array.ndim != len(shape):
            raise ValueError(
                f"Cannot set tensor: Dimension mismatch. Got {array.ndim} dimensions but expected {len(shape)} "
                f"(shape {shape}) for input {index}, name: {self.input_name(index)}"
            )
        for axis, (got, want) in enumerate(zip(array.shape, shape)):
            if got != want:
                raise ValueError(
                    f"Cannot set tensor: Dimension mismatch. Got {got} but expected {want} for dimension {axis} of "
                    f"input {index} (shape {shape}; call resize_tensor_input({index}, {list(array.shape)}) and "
                    "allocate_tensors() to change it)"
                )
        self.values[index] = numpy.array(array, copy=True)

    def get(self, index):
        index = self._index(index)
        if len(self.inputs) <= index < self.first_output:
            key = self.weight_keys[index - len(self.inputs)]
            return numpy.array(self.infos[key]["stored"], copy=True)
        if not self.allocated:
            raise ValueError("Tensor is unallocated. Try calling allocate_tensors() first")
        return numpy.array(self.values[index], copy=True)

    def invoke(self):
        from learnet.tape import no_recording

        if not self.allocated:
            raise RuntimeError("Invoke called on model that is not ready: call allocate_tensors() first")
        tensors = []
        for position, (entry, spec) in enumerate(zip(self.inputs, self.graph.input_specs)):
            value = self.values[position]
            quantization = entry.get("quantization")
            if quantization is not None:
                scale, zero_point = quantization
                value = ((value.astype(numpy.float32) - zero_point) * scale).astype(numpy.dtype(spec.dtype))
            tensors.append(convert_to_tensor(value))
        with no_recording():
            result = self.graph.run(tensors, self.graph.variables)
        for position, (entry, value) in enumerate(zip(self.outputs, _flatten_result(result))):
            array = numpy.asarray(value.numpy() if isinstance(value, Tensor) else value)
            quantization = entry.get("quantization")
            if quantization is not None:
                scale, zero_point = quantization
                low, high = _INTEGER_IO[entry["dtype"]]
                array = numpy.clip(numpy.rint(array / scale + zero_point), low, high)
            array = array.astype(numpy.dtype(entry["dtype"]), copy=False)
            self.values[self.first_output + position] = array
            self.output_shapes[position] = list(array.shape)


class SignatureRunner:
    """One signature of a converted model, called with keyword inputs: ``runner(x=array)``.

    Returns a dict of outputs by name (``output_0`` for a Keras model). Inputs are resized
    to the arrays given, which must have the signature's dtype and fit its shape.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet import lite
    >>> model = tf.keras.Sequential([tf.keras.Input((2,), name="x"), tf.keras.layers.Dense(1)])
    >>> runner = lite.Interpreter(model_content=lite.TFLiteConverter.from_keras_model(model).convert()).get_signature_runner()
    >>> sorted(runner.get_input_details()), sorted(runner.get_output_details())
    (['x'], ['output_0'])
    """

    def __init__(self, subgraph):
        self._subgraph = subgraph
        self._subgraph.allocate()

    def get_input_details(self):
        """``{input name: details}`` (the keys of ``tf.lite.Interpreter.get_input_details``)."""
        graph = self._subgraph
        return {entry["name"]: graph.input_details(i) for i, entry in enumerate(graph.inputs)}

    def get_output_details(self):
        """``{output name: details}``."""
        graph = self._subgraph
        return {entry["name"]: graph.output_details(i) for i, entry in enumerate(graph.outputs)}

    def allocate_tensors(self):
        self._subgraph.allocate()

    def __call__(self, **kwargs):
        graph = self._subgraph
        names = [entry["name"] for entry in graph.inputs]
        for name in kwargs:
            if name not in names:
                raise ValueError(
                    f"Invalid Input name ({name}) for SignatureDef {graph.key!r}: its inputs are {names} "
                    "(see interpreter.get_signature_list())"
                )
        if len(kwargs) != len(names):
            missing = [n for n in names if n not in kwargs]
            raise ValueError(
                f"Invalid number of inputs provided for running a SignatureDef, expected {len(names)} vs provided "
                f"{len(kwargs)}: missing {missing}"
            )
        resized = False
        arrays = {}
        for position, name in enumerate(names):
            value = kwargs[name]
            value = value.numpy() if isinstance(value, Tensor) else value
            array = numpy.asarray(value)
            arrays[position] = array
            if list(array.shape) != graph.input_shapes[position]:
                signature = graph.inputs[position]["shape"]
                if array.ndim != len(signature) or any(
                    f is not None and f != s for f, s in zip(signature, array.shape)
                ):
                    raise ValueError(
                        f"Cannot set tensor: Dimension mismatch. Input {name!r} of SignatureDef {graph.key!r} has "
                        f"shape signature {[-1 if s is None else s for s in signature]} (-1: any size), got an array "
                        f"of shape {list(array.shape)}"
                    )
                graph.resize(position, list(array.shape))
                resized = True
        if resized or not graph.allocated:
            graph.allocate()
        for position, array in arrays.items():
            graph.set(position, array)
        graph.invoke()
        return {entry["name"]: graph.get(graph.first_output + i) for i, entry in enumerate(graph.outputs)}

    def __repr__(self):
        return f"<SignatureRunner {self._subgraph.key!r}>"


class Interpreter:
    """Runs a model converted by ``tf.lite.TFLiteConverter`` (learnet's format), as ``tf.lite.Interpreter``.

    Parameters
    ----------
    model_path : str or path-like, optional
        A file holding the bytes of ``converter.convert()``.
    model_content : bytes, optional
        The bytes themselves.
    num_threads : int, optional
        Accepted for compatibility (NumPy's BLAS picks its threads).

    The interpreter's own tensors (``get_input_details``, ``set_tensor``, ``invoke``,
    ``get_tensor``) are those of the first signature (in sorted order, as TensorFlow Lite
    lists them); ``get_signature_runner`` runs any signature.

    Raises
    ------
    InvalidModelFileError
        (a ``ValueError``) for a real TensorFlow Lite flatbuffer, which learnet cannot run, and
        for bytes that are damaged or are not learnet's lite format.

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as tf
    >>> from learnet import lite
    >>> model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
    >>> interpreter = lite.Interpreter(model_content=lite.TFLiteConverter.from_keras_model(model).convert())
    >>> interpreter.allocate_tensors()
    >>> details = interpreter.get_input_details()[0]
    >>> details["shape"].tolist(), details["shape_signature"].tolist(), details["dtype"].__name__
    ([1, 3], [-1, 3], 'float32')
    >>> interpreter.set_tensor(details["index"], np.ones((1, 3), np.float32))
    >>> interpreter.invoke()
    >>> interpreter.get_tensor(interpreter.get_output_details()[0]["index"]).shape
    (1, 2)
    """

    def __init__(
        self,
        model_path=None,
        model_content=None,
        experimental_delegates=None,
        num_threads=None,
        experimental_op_resolver_type=None,
        experimental_preserve_all_tensors=False,
        experimental_disable_delegate_clustering=False,
        experimental_default_delegate_latest_features=False,
    ):
        if model_path is not None and model_content is not None:
            raise ValueError("Can't both provide `model_path` and `model_content`")
        if model_path is None and model_content is None:
            raise ValueError("`model_path` or `model_content` must be specified.")
        if num_threads is not None and (not _is_int(num_threads) or num_threads < -1):
            raise ValueError(f"num_threads should be an int >= 1 (or -1 for the default), got {num_threads!r}")
        if experimental_delegates:
            raise ValueError(
                "tf.lite.Interpreter: learnet has no delegates (GPU, Edge TPU, ...); it runs on NumPy: leave "
                "experimental_delegates out"
            )
        what = "tf.lite.Interpreter"
        if model_path is not None:
            path = os.fspath(model_path)
            if not os.path.isfile(path):
                raise ValueError(f"Could not open '{path}'.")
            what = f"tf.lite.Interpreter: {path}"
            with open(path, "rb") as stream:
                model_content = stream.read()
        self._description, graphs, weights, infos = load_bytes(model_content, what)
        for graph in graphs.values():
            keys = {id(v): k for k, v in weights.items()}
            graph._lite_weight_keys = [keys[id(v)] for v in graph.variables]
        self._graphs = graphs
        self._infos = infos
        self._keys = sorted(graphs)
        signatures = self._description["signatures"]
        self._subgraph = _Subgraph(self._keys[0], signatures[self._keys[0]], graphs[self._keys[0]], infos)

    # --- the first signature's tensors ---
    def allocate_tensors(self):
        """Make room for the inputs and outputs at their current shapes (call it after a resize)."""
        self._subgraph.allocate()

    def get_input_details(self):
        """One dict per input: ``name``, ``index``, ``shape``, ``shape_signature``, ``dtype``,
        ``quantization``, ``quantization_parameters``, ``sparsity_parameters``."""
        return [self._subgraph.input_details(i) for i in range(len(self._subgraph.inputs))]

    def get_output_details(self):
        """One dict per output, with the keys of ``get_input_details``."""
        return [self._subgraph.output_details(i) for i in range(len(self._subgraph.outputs))]

    def get_tensor_details(self):
        """The details of every tensor: the inputs, the stored weights (int8 ones with their
        per-channel scales) and the outputs."""
        graph = self._subgraph
        return (
            self.get_input_details()
            + [graph.weight_details(i) for i in range(len(graph.weight_keys))]
            + self.get_output_details()
        )

    def set_tensor(self, tensor_index, value):
        """Copy ``value`` into input ``tensor_index``; its dtype and shape must be the input's.

        Raises
        ------
        ValueError
            On a dtype or shape mismatch (resize with ``resize_tensor_input`` first), or when
            ``allocate_tensors`` has not been called.
        """
        self._subgraph.set(tensor_index, value)

    def get_tensor(self, tensor_index, subgraph_index=0):
        """A copy of tensor ``tensor_index`` (an output after ``invoke``, an input, or a stored weight)."""
        self._check_subgraph(subgraph_index)
        return self._subgraph.get(tensor_index)

    def tensor(self, tensor_index):
        """A function returning tensor ``tensor_index`` (a copy, not a view as in TensorFlow Lite)."""
        self._subgraph._index(tensor_index)
        return lambda: self._subgraph.get(tensor_index)

    def invoke(self):
        """Run the model on the inputs set with ``set_tensor``."""
        self._subgraph.invoke()

    def resize_tensor_input(self, input_index, tensor_size, strict=False):
        """Give input ``input_index`` the shape ``tensor_size`` (then call ``allocate_tensors``).

        With ``strict=True`` only the sizes that are ``-1`` in ``shape_signature`` may change.
        """
        self._subgraph.resize(input_index, tensor_size, strict)

    def reset_all_variables(self):
        """Accepted for compatibility: the converted weights do not change."""

    # --- signatures ---
    def get_signature_list(self):
        """``{signature: {"inputs": [names], "outputs": [names]}}``."""
        signatures = self._description["signatures"]
        return {
            key: {
                "inputs": [entry["name"] for entry in signatures[key]["inputs"]],
                "outputs": [entry["name"] for entry in signatures[key]["outputs"]],
            }
            for key in self._keys
        }

    def get_signature_runner(self, signature_key=None):
        """A :class:`SignatureRunner` for ``signature_key`` (the only one when None).

        Raises
        ------
        ValueError
            If the key is unknown, or None while the model has several signatures.
        """
        if signature_key is None:
            if len(self._keys) != 1:
                raise ValueError(
                    f"SignatureDef signature_key is None and model has {len(self._keys)} Signatures. None is only "
                    f"allowed when the model has 1 SignatureDef; pick one of {self._keys}"
                )
            signature_key = self._keys[0]
        if signature_key not in self._graphs:
            raise ValueError(f'Invalid signature_key provided: "{signature_key}"; the model has {self._keys}')
        entry = self._description["signatures"][signature_key]
        return SignatureRunner(_Subgraph(signature_key, entry, self._graphs[signature_key], self._infos))

    def _check_subgraph(self, subgraph_index):
        if subgraph_index != 0:
            raise ValueError("learnet's tf.lite.Interpreter reads the tensors of subgraph 0 only")

    def __repr__(self):
        return f"<learnet tf.lite.Interpreter signatures={self._keys}>"


# --- tf.lite.experimental ------------------------------------------------------------------------------
class OpResolverType(enum.Enum):
    """``tf.lite.experimental.OpResolverType``: accepted, learnet has one way to run ops."""

    AUTO = 0
    BUILTIN = 1
    BUILTIN_REF = 2
    BUILTIN_WITHOUT_DEFAULT_DELEGATES = 3


class Analyzer:
    """``tf.lite.experimental.Analyzer``: prints what a converted model holds."""

    @staticmethod
    def analyze(model_path=None, model_content=None, gpu_compatibility=False, **options):
        """Print the signatures, ops and weights of a converted model.

        Examples
        --------
        >>> import learnet as tf
        >>> from learnet import lite
        >>> model = tf.keras.Sequential([tf.keras.Input((3,), name="x"), tf.keras.layers.Dense(2)])
        >>> lite.experimental.Analyzer.analyze(model_content=lite.TFLiteConverter.from_keras_model(model).convert())
        learnet lite model (learnet's own format, not a TensorFlow Lite flatbuffer); quantization: none
        Signature 'serving_default': inputs x [-1, 3] float32 -> outputs output_0 [-1, 2] float32
          op 0: learnet.ops.nn:_dense_bias_kernel
        Weights: 2 (2 float32), 32 bytes
        """
        interpreter = Interpreter(model_path=model_path, model_content=model_content)
        description = interpreter._description
        print(
            "learnet lite model (learnet's own format, not a TensorFlow Lite flatbuffer); quantization: "
            f"{description['converter'].get('quantization')}"
        )

        def text(entries):
            return ", ".join(
                f"{e['name']} {[-1 if s is None else s for s in (e['shape'] or [])]} {e['dtype']}" for e in entries
            )

        for key in interpreter._keys:
            entry = description["signatures"][key]
            print(f"Signature {key!r}: inputs {text(entry['inputs'])} -> outputs {text(entry['outputs'])}")
            for position, node in enumerate(entry["graph"]["nodes"]):
                print(f"  op {position}: {node.get('op', 'assign ' + str(node.get('assign')))}")
        storages = {}
        size = 0
        for info in interpreter._infos.values():
            storage = info["entry"]["storage"]
            storages[storage] = storages.get(storage, 0) + 1
            size += info["stored"].nbytes + (0 if info["scale"] is None else info["scale"].nbytes)
        kinds = ", ".join(f"{count} {storage}" for storage, count in sorted(storages.items()))
        print(f"Weights: {len(interpreter._infos)} ({kinds}), {size} bytes")


def load_delegate(library, options=None):
    """``tf.lite.experimental.load_delegate``: learnet has no hardware delegates, so this refuses clearly."""
    raise ValueError(
        f"Failed to load delegate from {library}: learnet's tf.lite has no delegates (GPU, Edge TPU, ...); "
        "its interpreter runs on NumPy"
    )


#: ``tf.lite.experimental``: the names tutorials touch.
experimental = types.SimpleNamespace(Analyzer=Analyzer, OpResolverType=OpResolverType, load_delegate=load_delegate)
