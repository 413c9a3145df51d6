"""``STFTSpectrogram``: the short-time Fourier transform of a signal, as a Keras 3 layer.

A spectrogram says how much of each frequency a sound holds over time. The signal is
cut into overlapping frames of ``frame_length`` samples, ``frame_step`` apart; each frame
is multiplied by a window and correlated with a cosine and a sine of every frequency
bin (the real and imaginary parts of the discrete Fourier transform). Here those cosines
and sines, windowed and scaled, are the layer's two weights, ``real_kernel`` and
``imag_kernel`` of shape ``(frame_length, 1, fft_length // 2 + 1)``: one matrix product of
the frames with a kernel gives every bin of every frame. So the transform can be trained
with the rest of a model (Keras' default, ``trainable=True``), or frozen as preprocessing
(``trainable=False``). The weights have Keras' names, shapes and order, so ``set_weights``
takes a Keras layer's weights.

Each input channel is transformed on its own; ``mode`` chooses the output: the ``"log"``
of the magnitude (default), the ``"magnitude"``, the power spectral density ``"psd"``, the
``"real"`` or ``"imag"`` part, the phase ``"angle"``, or ``"stft"`` (real parts, then
imaginary parts).

Examples
--------
>>> import numpy as np
>>> from learnet import layers
>>> layer = layers.STFTSpectrogram(mode="log", frame_length=64, frame_step=32, trainable=False)
>>> layer(np.zeros((2, 1000, 1), dtype="float32")).shape
TensorShape([2, 30, 33])
>>> [(w.name.split("/")[-1], tuple(w.shape)) for w in layer.weights]
[('real_kernel', (64, 1, 33)), ('imag_kernel', (64, 1, 33))]
"""

import math
import warnings

import numpy

from learnet import backend
from learnet.keras_config import _standardize_data_format
from learnet.layers.base import Layer
from learnet.layers.input_spec import InputSpec
from learnet.ops.linalg import matmul
from learnet.ops.math import cast, log, maximum, sqrt, square
from learnet.ops.shape import concat, pad, reshape, transpose
from learnet.ops.special import atan2
from learnet.signal import frame
from learnet.tensor import to_array

MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


def _cosine_sum(length, coefficients):
    """A symmetric window ``sum_k (-1)^k a_k cos(2 pi k n / (length - 1))`` (Hann, Hamming, Blackman)."""
    phase = 2.0 * numpy.pi * numpy.arange(length) / (length - 1)
    return sum((-1) ** k * a * numpy.cos(k * phase) for k, a in enumerate(coefficients))


def _triangle(length):
    """SciPy's ``triang``: a triangle that does not reach zero at its ends."""
    n = numpy.arange(1, (length + 1) // 2 + 1)
    if length % 2 == 0:
        half = (2 * n - 1.0) / length
        return numpy.concatenate([half, half[::-1]])
    half = 2 * n / (length + 1.0)
    return numpy.concatenate([half, half[-2::-1]])


# The windows by SciPy's names (``scipy.signal.get_window``), each a symmetric window of a length >= 2.
_WINDOWS = {
    "hann": lambda m: _cosine_sum(m, (0.5, 0.5)),
    "hamming": lambda m: _cosine_sum(m, (0.54, 0.46)),
    "blackman": lambda m: _cosine_sum(m, (0.42, 0.5, 0.08)),
    "bartlett": numpy.bartlett,
    "boxcar": numpy.ones,
    "triang": _triangle,
}
_ALIASES = {
    "han": "hann",
    "hamm": "hamming",
    "ham": "hamming",
    "black": "blackman",
    "blk": "blackman",
    "bart": "bartlett",
    "brt": "bartlett",
    "box": "boxcar",
    "ones": "boxcar",
    "rect": "boxcar",
    "rectangular": "boxcar",
    "triangle": "triang",
    "tri": "triang",
}


def _window_name(window, who):
    name = _ALIASES.get(window, window)
    if name not in _WINDOWS:
        raise ValueError(
            f"{who}: unknown window {window!r}; use one of {sorted(_WINDOWS)} (or SciPy's short names), "
            "an array of frame_length values, or None"
        )
    return name


def get_window(window, length, periodic=False):
    """The ``window`` of ``length`` samples as a float64 array, with SciPy's values.

    Parameters
    ----------
    window : str
        ``"hann"``, ``"hamming"``, ``"blackman"``, ``"bartlett"``, ``"boxcar"`` or ``"triang"``
        (SciPy's short names, such as ``"ham"`` or ``"rect"``, too).
    length : int
    periodic : bool, default False
        A periodic window (for spectral analysis: the symmetric window one sample longer,
        without its last sample) rather than a symmetric one.

    Examples
    --------
    >>> get_window("hann", 5)
    array([0. , 0.5, 1. , 0.5, 0. ])
    >>> get_window("hann", 4, periodic=True)
    array([0. , 0.5, 1. , 0.5])
    """
    make = _WINDOWS[_window_name(window, "get_window")]
    if length == 1:
        return numpy.ones(1)
    if periodic:
        return make(length + 1)[:-1]
    return make(length)


def stft_kernel(side, frame_length, fft_length, window="hann", scaling="density", periodic=False, dtype="float32"):
    """The ``real`` (cosine) or ``imag`` (minus sine) half of the DFT as a convolution kernel.

    Entry ``[t, 0, f]`` is ``cos(-2 pi t f / fft_length) * w[t] / s`` (``sin`` for the
    imaginary side), for ``f`` in ``0 .. fft_length // 2``: correlating a frame with it gives
    that part of the frame's windowed Fourier transform. ``w`` is the window and ``s`` its
    L2 norm (``scaling="density"``), its sum (``"spectrum"``) or 1 (``None``). Keras 3's
    ``keras.initializers.STFT``.

    Returns
    -------
    numpy.ndarray
        Shape ``(frame_length, 1, fft_length // 2 + 1)``.
    """
    bins = fft_length // 2 + 1
    time = numpy.arange(frame_length, dtype=numpy.float64)[:, None, None]
    # Keras divides by 2 * (bins - 1): fft_length itself when it is even.
    frequency = numpy.arange(bins, dtype=numpy.float64)[None, None, :] / max(2 * (bins - 1), 1)
    angle = -2.0 * numpy.pi * time * frequency
    kernel = numpy.cos(angle) if side == "real" else numpy.sin(angle)
    if window is not None:
        if isinstance(window, str):
            values = get_window(window, frame_length, periodic)
        else:
            values = numpy.asarray(to_array(window), dtype=numpy.float64)
        values = values.reshape(frame_length, 1, 1)
        if scaling == "density":
            kernel = kernel * values / numpy.sqrt(numpy.sum(values * values))
        elif scaling == "spectrum":
            kernel = kernel * values / numpy.sum(numpy.abs(values))
        else:
            kernel = kernel * values
    return kernel.astype(dtype)


def _positive_int(value, name, who):
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value < 1:
        raise ValueError(f"{who}: {name} must be a positive integer, got {value!r}")
    return int(value)


class STFTSpectrogram(Layer):
    """Spectrograms of signals ``(batch, time, channels)`` by the short-time Fourier transform.

    Parameters
    ----------
    mode : str, default "log"
        ``"log"`` (log of the magnitude), ``"magnitude"``, ``"psd"`` (power spectral density:
        the power, doubled for the bins between 0 and the Nyquist frequency), ``"real"``,
        ``"imag"``, ``"angle"`` (the phase) or ``"stft"`` (the real parts, then the
        imaginary parts, on the frequency axis).
    frame_length : int, default 256
        Samples in each frame (the window's length).
    frame_step : int, optional
        Samples between the starts of two frames, 1 to ``frame_length``; ``frame_length // 2``
        by default.
    fft_length : int, optional
        Size of the Fourier transform, at least ``frame_length`` (a power of two is
        recommended); the smallest power of two >= ``frame_length`` by default. The output
        has ``fft_length // 2 + 1`` frequency bins per channel.
    window : str, array_like or None, default "hann"
        ``"hann"``, ``"hamming"``, ``"blackman"``, ``"bartlett"``, ``"boxcar"``, ``"triang"``
        (SciPy's names), ``frame_length`` values of your own, or None (no window).
    periodic : bool, default False
        A periodic window rather than a symmetric one.
    scaling : {"density", "spectrum", None}, default "density"
        Divide the window by its L2 norm (``"density"``) or its sum (``"spectrum"``).
    padding : {"valid", "same"}, default "valid"
        ``"valid"``: only whole frames, ``(time - frame_length) // frame_step + 1`` of them.
        ``"same"``: zeros around the signal so there are ``ceil(time / frame_step)`` frames.
    expand_dims : bool, default False
        Keep channels and frequencies on two axes (an image per example) instead of one.
    data_format : {"channels_last", "channels_first"}, optional
        ``(batch, time, channels)`` (default) or ``(batch, channels, time)``.
    **kwargs
        ``name``, ``trainable`` (the kernels train by default, as in Keras), ``dtype``.

    Output shape
    ------------
    ``channels_last``: ``(batch, frames, channels * bins)``, or ``(batch, frames, bins,
    channels)`` with ``expand_dims``. ``channels_first``: ``(batch, channels * bins,
    frames)``, or ``(batch, channels, frames, bins)`` with ``expand_dims``. ``bins`` is
    ``fft_length // 2 + 1`` (twice that with ``mode="stft"``).

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as keras
    >>> x = np.random.default_rng(0).standard_normal((3, 16000, 1)).astype("float32")
    >>> layer = keras.layers.STFTSpectrogram(frame_length=640, frame_step=240, trainable=False)
    >>> layer(x).shape
    TensorShape([3, 65, 513])
    >>> keras.layers.STFTSpectrogram(frame_length=256, padding="same", expand_dims=True)(x).shape
    TensorShape([3, 125, 129, 1])
    """

    def __init__(
        self,
        mode="log",
        frame_length=256,
        frame_step=None,
        fft_length=None,
        window="hann",
        periodic=False,
        scaling="density",
        padding="valid",
        expand_dims=False,
        data_format=None,
        **kwargs,
    ):
        who = "STFTSpectrogram"
        frame_length = _positive_int(frame_length, "frame_length", who)
        if frame_step is not None:
            if isinstance(frame_step, bool) or not isinstance(frame_step, (int, numpy.integer)):
                raise ValueError(f"{who}: frame_step must be a positive integer, got {frame_step!r}")
            if frame_step > frame_length or frame_step < 1:
                raise ValueError(
                    "`frame_step` should be a positive integer not greater than "
                    f"`frame_length`. Received frame_step={frame_step}, frame_length={frame_length}"
                )
            frame_step = int(frame_step)
        if fft_length is not None:
            fft_length = _positive_int(fft_length, "fft_length", who)
            if fft_length < frame_length:
                raise ValueError(
                    "`fft_length` should be not less than `frame_length`. "
                    f"Received fft_length={fft_length}, frame_length={frame_length}"
                )
            if fft_length & (fft_length - 1):
                warnings.warn(
                    f"`fft_length` is recommended to be a power of two. Received fft_length={fft_length}",
                    stacklevel=2,
                )
        if mode not in MODES:
            raise ValueError(f"Output mode is invalid, it must be one of {', '.join(MODES)}. Received: mode={mode!r}")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(
                f"Scaling is invalid, it must be `None`, 'density' or 'spectrum'. Received scaling={scaling!r}"
            )
        if padding not in ("valid", "same"):
            raise ValueError(f"Padding is invalid, it should be 'valid', 'same'. Received: padding={padding!r}")
        if isinstance(window, str):
            _window_name(window, who)
        elif window is not None:
            values = numpy.asarray(to_array(window))
            if values.shape != (frame_length,) or values.dtype.kind not in "biuf":
                raise ValueError(
                    f"{who}: a window given as values must hold frame_length={frame_length} numbers, "
                    f"got shape {values.shape} of {values.dtype}"
                )
            window = values.astype(numpy.float64).tolist()  # plain data, for get_config
        data_format = _standardize_data_format(data_format, who)
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self.fft_length = fft_length
        self._frame_step = frame_step or frame_length // 2
        self._fft_length = fft_length or 2 ** math.ceil(math.log2(frame_length))
        self.window = window
        self.periodic = bool(periodic)
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = bool(expand_dims)
        self.data_format = data_format
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        for side in ("real", "imag"):
            if self.mode == ("imag" if side == "real" else "real"):
                continue  # "real" needs only the real kernel, "imag" only the imaginary one

            def initializer(shape, dtype=None, side=side):
                return stft_kernel(
                    side, shape[0], self._fft_length, self.window, self.scaling, self.periodic, dtype or "float32"
                )

            setattr(
                self, f"{side}_kernel", self.add_weight(name=f"{side}_kernel", shape=shape, initializer=initializer)
            )

    def call(self, inputs):
        if inputs.dtype not in (numpy.float16, numpy.float32, numpy.float64):
            raise TypeError(
                f"STFTSpectrogram '{self.name}': invalid input type. Expected `float16`, `float32` or "
                f"`float64`. Received: input type={inputs.dtype}"
            )
        return _spectrogram(self, inputs, getattr(self, "real_kernel", None), getattr(self, "imag_kernel", None))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.data_format == "channels_last":
            batch, time, channels = input_shape
        else:
            batch, channels, time = input_shape
        bins = self._fft_length // 2 + 1
        if self.mode == "stft":
            bins *= 2
        frames = None if time is None else _frame_count(self, time)
        if self.expand_dims:
            if self.data_format == "channels_last":
                return (batch, frames, bins, channels)
            return (batch, channels, frames, bins)
        features = None if channels is None else channels * bins
        if self.data_format == "channels_last":
            return (batch, frames, features)
        return (batch, features, frames)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "mode": self.mode,
                "frame_length": self.frame_length,
                "frame_step": self.frame_step,
                "fft_length": self.fft_length,
                "window": self.window,
                "periodic": self.periodic,
                "scaling": self.scaling,
                "padding": self.padding,
                "data_format": self.data_format,
                "expand_dims": self.expand_dims,
            }
        )
        return config


def _frame_count(layer, time):
    if layer.padding == "same":
        return -(-time // layer._frame_step)
    return max(0, (time - layer.frame_length) // layer._frame_step + 1)


def _spectrogram(layer, inputs, real_kernel, imag_kernel):
    """The layer's output for ``inputs`` with these kernels (tensors): written with
    differentiable ops, so gradients reach both the signal and the kernels."""
    if layer.data_format == "channels_last":
        batch, time, channels = inputs.shape
        signals = transpose(inputs, (0, 2, 1))
    else:
        batch, channels, time = inputs.shape
        signals = inputs
    signals = reshape(signals, (batch * channels, time))  # every channel is a signal of its own
    frames_wanted = _frame_count(layer, time)
    if layer.padding == "same":
        missing = max((frames_wanted - 1) * layer._frame_step + layer.frame_length - time, 0)
        signals = pad(signals, [(0, 0), (missing // 2, missing - missing // 2)])
    elif frames_wanted == 0:
        raise ValueError(
            f"STFTSpectrogram '{layer.name}': the signals have {time} samples, fewer than frame_length="
            f"{layer.frame_length}; use longer signals or padding='same'"
        )
    frames = frame(signals, layer.frame_length, layer._frame_step)  # (signals, frames, frame_length)

    def transform(kernel):
        kernel = reshape(cast(kernel, inputs.dtype), (layer.frame_length, -1))
        return matmul(frames, kernel)  # (signals, frames, bins)

    mode = layer.mode
    if mode == "real":
        output = transform(real_kernel)
    elif mode == "imag":
        output = transform(imag_kernel)
    else:
        real, imag = transform(real_kernel), transform(imag_kernel)
        if mode == "angle":
            output = atan2(imag, real)
        elif mode == "stft":
            output = concat([real, imag], axis=-1)
        else:
            power = square(real) + square(imag)
            if mode == "psd":
                # One-sided spectrum: every bin but 0 and the last holds its mirror bin's power too.
                output = power + pad(power[:, :, 1:-1], [(0, 0), (0, 0), (1, 1)])
            else:
                epsilon = backend.epsilon()
                output = sqrt(maximum(power, epsilon))
                if mode == "log":
                    output = log(maximum(output, epsilon))
    count, bins = output.shape[1], output.shape[2]
    output = reshape(output, (batch, channels, count, bins))
    if layer.data_format == "channels_last":
        if layer.expand_dims:
            return transpose(output, (0, 2, 3, 1))  # (batch, frames, bins, channels)
        return reshape(transpose(output, (0, 2, 1, 3)), (batch, count, channels * bins))
    if layer.expand_dims:
        return output  # (batch, channels, frames, bins)
    return reshape(transpose(output, (0, 1, 3, 2)), (batch, channels * bins, count))
