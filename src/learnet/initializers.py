"""Initializers: how a layer's weights get their first values (``keras.initializers``).

Each is a class whose instances are called with a shape: ``GlorotUniform()((784, 10))``.
Layers accept them by name too: ``Dense(10, kernel_initializer="he_normal")``.
Random initializers draw from learnet's global generator, so
``learnet.utils.set_random_seed(0)`` makes a whole model repeat exactly; an
initializer given its own ``seed`` returns the same values at every call.

Examples
--------
>>> from learnet import initializers
>>> initializers.Constant(3.0)((2,)).numpy()
array([3., 3.], dtype=float32)
>>> initializers.get("he_normal")
<learnet.initializers.HeNormal object ...>
"""

import math

import numpy

from learnet import backend, registry
from learnet.backend import xp
from learnet import tensor as _tensor
from learnet.tensor import Tensor, to_array


def _dtype(dtype):
    return numpy.dtype(dtype or backend.floatx())


def _shape(shape):
    if isinstance(shape, (int, numpy.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def compute_fans(shape, input_axes=None, output_axes=None):
    """``(fan_in, fan_out)`` of a weight of ``shape``, as Keras computes them.

    A Dense kernel ``(in, out)`` has fans ``in`` and ``out``; a Conv2D kernel
    ``(kh, kw, in, out)`` has ``kh*kw*in`` and ``kh*kw*out``. Given both ``input_axes``
    and ``output_axes`` (Keras 3.15), the fans are the products of those axes' sizes.

    Examples
    --------
    >>> compute_fans((3, 3, 16, 32))
    (144, 288)
    >>> compute_fans((4, 5, 6), input_axes=[0], output_axes=[1, 2])
    (4, 30)
    """
    shape = _shape(shape)
    if input_axes is not None and output_axes is not None:
        for axis in (*input_axes, *output_axes):
            if not -len(shape) <= axis < len(shape):
                raise ValueError(f"compute_fans: axis {axis} is out of range for a weight of shape {shape}")
        return (
            int(numpy.prod([shape[a] for a in input_axes], dtype=numpy.int64)),
            int(numpy.prod([shape[a] for a in output_axes], dtype=numpy.int64)),
        )
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = int(numpy.prod(shape[:-2]))
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class Initializer:
    """Base class: ``__call__(shape, dtype=None)`` returns a tensor of that shape."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype=None)")

    def get_config(self):
        """The constructor arguments, as a dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Create the initializer from ``get_config()``'s dict."""
        return cls(**config)

    def __repr__(self):
        return f"<learnet.initializers.{type(self).__name__} object {self.get_config()}>"


class _Random(Initializer):
    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer))):
            raise ValueError(f"{type(self).__name__}: seed must be an int or None, got {seed!r}")
        self.seed = seed

    def _generator(self):
        return backend.host_rng() if self.seed is None else numpy.random.default_rng(self.seed)


def _wrap(array, dtype):
    return Tensor._wrap(xp.asarray(array.astype(dtype, copy=False)))


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype=None):
        return Tensor._wrap(xp.zeros(_shape(shape), dtype=_dtype(dtype)))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return Tensor._wrap(xp.ones(_shape(shape), dtype=_dtype(dtype)))


class Constant(Initializer):
    """Every element ``value`` (a number, or an array broadcast to the shape)."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        value = to_array(self.value, _dtype(dtype))
        return Tensor._wrap(xp.broadcast_to(value, _shape(shape)).copy())

    def get_config(self):
        value = self.value
        if isinstance(value, (Tensor, numpy.ndarray)):
            value = numpy.asarray(value).tolist()
        return {"value": value}


class RandomNormal(_Random):
    """Normal samples with ``mean`` and ``stddev`` (Keras' default stddev is 0.05)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape, dtype=None):
        values = self._generator().normal(self.mean, self.stddev, size=_shape(shape))
        return _wrap(values, _dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(_Random):
    """Uniform samples in ``[minval, maxval)`` (Keras' default is ``[-0.05, 0.05)``)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = float(minval), float(maxval)

    def __call__(self, shape, dtype=None):
        values = self._generator().uniform(self.minval, self.maxval, size=_shape(shape))
        return _wrap(values, _dtype(dtype))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


def _truncated_normal(generator, shape, stddev):
    """Normal samples with ``stddev``, redrawn until within two standard deviations."""
    values = generator.standard_normal(size=shape)
    bad = numpy.abs(values) > 2
    while bad.any():
        values[bad] = generator.standard_normal(size=int(bad.sum()))
        bad = numpy.abs(values) > 2
    return values * stddev


class TruncatedNormal(_Random):
    """Normal samples with ``mean`` and ``stddev``, none further than two stddevs from the mean."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape, dtype=None):
        values = self.mean + _truncated_normal(self._generator(), _shape(shape), self.stddev)
        return _wrap(values, _dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(_Random):
    """Samples whose variance is ``scale / n``, ``n`` being the fan-in, fan-out or their mean.

    Parameters
    ----------
    scale : float, default 1.0
    mode : {"fan_in", "fan_out", "fan_avg"}
    distribution : {"truncated_normal", "untruncated_normal", "uniform"}
        (``"normal"`` means ``"truncated_normal"``, as in Keras.)
    seed : int, optional
    input_axes, output_axes : list of int, optional
        The weight's axes whose sizes multiply to the fan-in and the fan-out (Keras 3.15),
        both or neither; by default the fans of ``compute_fans``.

    Examples
    --------
    >>> init = VarianceScaling(2.0, "fan_in", "uniform", seed=1, input_axes=[0, 1], output_axes=[2])
    >>> init((4, 5, 6)).shape   # fan-in 4 * 5 = 20: values within sqrt(3 * 2 / 20)
    TensorShape([4, 5, 6])
    """

    def __init__(
        self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None, input_axes=None, output_axes=None
    ):
        input_axes, output_axes = _fan_axes(type(self).__name__, input_axes, output_axes)
        super().__init__(seed)
        if scale <= 0:
            raise ValueError(f"VarianceScaling: scale must be positive, got {scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be 'fan_in', 'fan_out' or 'fan_avg', got {mode!r}")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(
                "VarianceScaling: distribution must be 'truncated_normal', 'untruncated_normal' "
                f"or 'uniform', got {distribution!r}"
            )
        self.scale, self.mode, self.distribution = float(scale), mode, distribution
        self.input_axes, self.output_axes = input_axes, output_axes

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        generator = self._generator()
        if self.distribution == "truncated_normal":
            # 0.8796... is the stddev of a unit normal truncated to [-2, 2].
            values = _truncated_normal(generator, shape, math.sqrt(variance) / 0.87962566103423978)
        elif self.distribution == "untruncated_normal":
            values = generator.normal(0.0, math.sqrt(variance), size=shape)
        else:
            limit = math.sqrt(3.0 * variance)
            values = generator.uniform(-limit, limit, size=shape)
        return _wrap(values, _dtype(dtype))

    def get_config(self):
        config = {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}
        return {**config, **self._axes_config()}

    def _axes_config(self):
        # Written only when set: a Keras older than 3.15 refuses the two arguments.
        if self.input_axes is None:
            return {}
        return {"input_axes": list(self.input_axes), "output_axes": list(self.output_axes)}


def _fan_axes(who, input_axes, output_axes):
    """``(input_axes, output_axes)`` as tuples of ints, or both None; else a clear error."""
    if (input_axes is None) != (output_axes is None):
        raise ValueError(f"{who}: give both input_axes and output_axes, or neither")
    if input_axes is None:
        return None, None
    axes = []
    for name, value in (("input_axes", input_axes), ("output_axes", output_axes)):
        if isinstance(value, (int, numpy.integer)) or not all(
            isinstance(a, (int, numpy.integer)) and not isinstance(a, bool) for a in value
        ):
            raise TypeError(f"{who}: {name} must be a list of int axes, got {value!r}")
        axes.append(tuple(int(a) for a in value))
    return axes[0], axes[1]


class _Preset(VarianceScaling):
    _preset = {}

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(seed=seed, input_axes=input_axes, output_axes=output_axes, **self._preset)

    def get_config(self):
        return {"seed": self.seed, **self._axes_config()}


class GlorotUniform(_Preset):
    """Uniform in ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))`` (Keras' default kernel)."""

    _preset = {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}


class GlorotNormal(_Preset):
    """Truncated normal with ``stddev = sqrt(2 / (fan_in + fan_out))``."""

    _preset = {"scale": 1.0, "mode": "fan_avg", "distribution": "truncated_normal"}


class HeNormal(_Preset):
    """Truncated normal with ``stddev = sqrt(2 / fan_in)``: for ReLU networks."""

    _preset = {"scale": 2.0, "mode": "fan_in", "distribution": "truncated_normal"}


class HeUniform(_Preset):
    """Uniform in ``[-limit, limit]``, ``limit = sqrt(6 / fan_in)``."""

    _preset = {"scale": 2.0, "mode": "fan_in", "distribution": "uniform"}


class LecunNormal(_Preset):
    """Truncated normal with ``stddev = sqrt(1 / fan_in)``: for SELU networks."""

    _preset = {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"}


class LecunUniform(_Preset):
    """Uniform in ``[-limit, limit]``, ``limit = sqrt(3 / fan_in)``."""

    _preset = {"scale": 1.0, "mode": "fan_in", "distribution": "uniform"}


class Identity(Initializer):
    """The identity matrix times ``gain`` (2-D shapes only)."""

    def __init__(self, gain=1.0):
        self.gain = float(gain)

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2-D shape, got {shape}")
        return Tensor._wrap(xp.eye(*shape, dtype=_dtype(dtype)) * _dtype(dtype).type(self.gain))

    def get_config(self):
        return {"gain": self.gain}


class Orthogonal(_Random):
    """A (semi-)orthogonal matrix times ``gain``, from the QR decomposition of a normal one."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = float(gain)

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializer needs a shape of rank 2 or more, got {shape}")
        rows, cols = int(numpy.prod(shape[:-1])), shape[-1]
        flat = self._generator().normal(0.0, 1.0, size=(max(rows, cols), min(rows, cols)))
        q, r = numpy.linalg.qr(flat)
        q *= numpy.sign(numpy.diag(r))
        if rows < cols:
            q = q.T
        return _wrap(self.gain * q.reshape(shape), _dtype(dtype))

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


# Keras' lower-case aliases: `initializers.glorot_uniform()` is `GlorotUniform()`.
class STFT(Initializer):
    """The kernel of a short-time Fourier transform as a convolution (Keras 3's
    ``keras.initializers.STFT``, what ``STFTSpectrogram`` starts from).

    Called with a shape ``(frame_length, channels, bins)``, it gives the ``"real"`` (cosine)
    or ``"imag"`` (minus sine) half of the DFT over ``2 * (bins - 1)`` points, for the first
    ``bins`` frequencies, times the window (``scaling``: divided by its L2 norm,
    ``"density"``, or its sum, ``"spectrum"``), of shape ``(frame_length, 1, bins)``.

    Parameters
    ----------
    side : {"real", "imag"}, default "real"
    window : str, array_like or None, default "hann"
        A window's name as SciPy's ``get_window`` knows it (``"hann"``, ``"hamming"``,
        ``"blackman"``, ``"bartlett"``, ``"boxcar"``, ``"triang"``), ``frame_length`` values,
        or None.
    scaling : {"density", "spectrum", None}, default "density"
    periodic : bool, default False

    Examples
    --------
    >>> STFT("real", "hann")((4, 1, 3)).shape
    TensorShape([4, 1, 3])
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side!r}")
        if isinstance(window, str):
            from learnet.layers.spectrogram import get_window

            get_window(window, 1)  # an unknown window's name is refused here
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(
                f"Scaling is invalid, it must be `None`, 'density' or 'spectrum'. Received scaling={scaling!r}"
            )
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def __call__(self, shape, dtype=None):
        from learnet.layers.spectrogram import stft_kernel

        shape = _shape(shape)
        if len(shape) != 3:
            raise ValueError(f"STFT: the shape must be (frame_length, channels, bins), got {shape}")
        frame_length, bins = shape[0], shape[2]
        if self.window is not None and not isinstance(self.window, str):
            window = numpy.asarray(to_array(self.window))
            if window.shape != (frame_length,):
                raise ValueError(
                    f"The shape of `window` must be equal to [frame_length]. Received: window shape={window.shape}"
                )
        kernel = stft_kernel(
            self.side, frame_length, 2 * (bins - 1), self.window, self.scaling, self.periodic, "float64"
        )
        return _wrap(kernel, _dtype(dtype))

    def get_config(self):
        window = self.window if self.window is None or isinstance(self.window, str) else to_array(self.window).tolist()
        return {"side": self.side, "window": window, "periodic": self.periodic, "scaling": self.scaling}


zeros = Zeros
ones = Ones
constant = Constant
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_normal = HeNormal
he_uniform = HeUniform
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
identity = Identity
orthogonal = Orthogonal
# Keras 3's other names for the same classes.
IdentityInitializer = Identity
OrthogonalInitializer = Orthogonal
STFTInitializer = STFT
stft = STFT

_BY_NAME = {
    "zeros": Zeros,
    "ones": Ones,
    "constant": Constant,
    "random_normal": RandomNormal,
    "random_uniform": RandomUniform,
    "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_normal": HeNormal,
    "he_uniform": HeUniform,
    "lecun_normal": LecunNormal,
    "lecun_uniform": LecunUniform,
    "identity": Identity,
    "orthogonal": Orthogonal,
    "stft": STFT,
}
_BY_CLASS_NAME = {cls.__name__: cls for cls in _BY_NAME.values()}
# Keras' short names for the plain random initializers.
_BY_NAME.update(uniform=RandomUniform, normal=RandomNormal)
_BY_CLASS_NAME.update(
    Zero=Zeros,
    One=Ones,
    Orthogonal=Orthogonal,
    IdentityInitializer=Identity,
    OrthogonalInitializer=Orthogonal,
    STFTInitializer=STFT,
)


def serialize(initializer):
    """``{"class_name": ..., "config": ...}`` for an initializer (or its name for a string).

    A library function (``kernel_initializer=tf.random.normal``) is written by its name in
    TensorFlow, as Keras 3 writes it, and marked as a function: ``{"class_name": "function",
    "config": "random_normal"}`` is ``tf.random.normal``, not the ``"random_normal"`` that
    names ``RandomNormal()``. ``get`` also reads Keras 3's own form of it, which adds
    ``"module": "builtins"``.

    Examples
    --------
    >>> import learnet as tf
    >>> serialize(tf.random.normal)["config"]
    'random_normal'
    """
    if isinstance(initializer, str):
        return initializer
    if isinstance(initializer, Initializer):
        return {"class_name": type(initializer).__name__, "config": initializer.get_config()}
    if callable(initializer) and not isinstance(initializer, type):
        library = registry.library_function_name(initializer)
        if library is not None:
            return {"class_name": "function", "config": library}
        return registry.function_name_for_saving(initializer, "initializer")
    raise ValueError(f"cannot serialize the initializer {initializer!r}: it is not an Initializer")


def deserialize(config):
    """The inverse of ``serialize``."""
    return get(config)


def get(identifier):
    """Turn a name, a config dict, an ``Initializer`` or a callable into an initializer.

    ``None`` gives ``None``. Unknown names raise a ``ValueError`` listing the known ones.
    """
    if identifier is None or isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        key = identifier
        cls = _BY_NAME.get(key.lower()) or _BY_CLASS_NAME.get(key)
        if cls is None:
            custom = registry.get_registered_object(key)  # registered, or in custom_objects
            if isinstance(custom, type) and issubclass(custom, Initializer):
                return custom()
            if callable(custom) and not isinstance(custom, type):
                return custom
            raise ValueError(
                f"unknown initializer {identifier!r}; known ones: {', '.join(sorted(_BY_NAME))}. If it is "
                f"your own function, register it or pass custom_objects={{{key.split('>')[-1]!r}: ...}}"
            )
        return cls()
    if isinstance(identifier, dict) and identifier.get("class_name") == "function":
        return _function_by_name(identifier)
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        cls = _BY_CLASS_NAME.get(name) or _BY_NAME.get(str(name).lower()) or registry.get_registered_object(str(name))
        if cls is None:
            raise ValueError(f"unknown initializer class {name!r} in {identifier!r}")
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"cannot interpret {identifier!r} as an initializer")


def _function_by_name(identifier):
    """The function Keras 3's ``{"class_name": "function", "config": name}`` names: one of the
    user's (registered, or in ``custom_objects``) or a library function (``tf.random.normal``)."""
    name = identifier.get("config")
    function = None
    if isinstance(name, str):
        function = registry.get_registered_object(name) or registry.library_function(name)
    if not callable(function) or isinstance(function, type):
        raise ValueError(
            f"unknown initializer function {name!r} in {identifier!r}: it is neither one of TensorFlow's "
            f"functions nor registered. If it is your own function, register it or pass custom_objects={{{name!r}: ...}}"
        )
    return function


# TensorFlow's top-level names for the same initializers: tf.random_normal_initializer(0.0, 0.02)
# is Keras' RandomNormal, usable as a layer's kernel_initializer or called with a shape.
constant_initializer = Constant
ones_initializer = Ones
zeros_initializer = Zeros
random_normal_initializer = RandomNormal
random_uniform_initializer = RandomUniform


# keras.Variable("uniform", shape=...) resolves the name through `get` (tensor.Variable sits below this floor).
_tensor._initializer_lookup[0] = get
