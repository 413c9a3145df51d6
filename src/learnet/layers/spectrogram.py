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


class MelSpectrogram(Layer):
    """Mel spectrograms of raw audio, as Keras 3's ``MelSpectrogram`` preprocessing layer.

    Each signal (the last axis of a ``(time,)`` or ``(batch, time)`` input) goes through the
    short-time Fourier transform (``keras.ops.stft``, centred frames); the magnitudes raised
    to ``mag_exp`` are summed into ``num_mel_bins`` triangular bands evenly spaced on the
    mel scale between ``min_freq`` and ``max_freq`` (``tf.signal.linear_to_mel_weight_matrix``),
    and, with ``power_to_db``, turned into decibels: ``10 log10(max(S, min_power) / ref_power)``,
    floored at ``top_db`` below the largest value of the whole input. The output is
    ``(..., num_mel_bins, frames)``, frames being ``1 + time // sequence_stride`` (an even
    ``fft_length``). It has no weights, and gradients flow through it.

    Parameters
    ----------
    fft_length : int, default 2048
        Size of the Fourier transform.
    sequence_stride : int, default 512
        Samples between the centres of two frames.
    sequence_length : int, optional
        Samples the window covers (``fft_length`` by default), at most ``fft_length``.
    window : {"hann", "hamming"}, a tensor of ``sequence_length`` values, or None; default "hann"
    sampling_rate : int, default 16000
        Samples per second, which place the bands in hertz.
    num_mel_bins : int, default 128
    min_freq, max_freq : float, default 20.0 and ``sampling_rate / 2``
        The lower edge of the lowest band and the upper edge of the highest, in hertz.
    power_to_db : bool, default True
    top_db : float, default 80.0
    mag_exp : float, default 2.0
        1 for the magnitude, 2 for the power.
    min_power, ref_power : float, default 1e-10 and 1.0

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> layer = layers.MelSpectrogram(num_mel_bins=64, sampling_rate=8000, sequence_stride=256, fft_length=2048)
    >>> layer(np.random.default_rng(0).uniform(size=16000).astype("float32")).shape
    TensorShape([64, 63])
    """

    def __init__(
        self,
        fft_length=2048,
        sequence_stride=512,
        sequence_length=None,
        window="hann",
        sampling_rate=16000,
        num_mel_bins=128,
        min_freq=20.0,
        max_freq=None,
        power_to_db=True,
        top_db=80.0,
        mag_exp=2.0,
        min_power=1e-10,
        ref_power=1.0,
        **kwargs,
    ):
        for name, value in (
            ("fft_length", fft_length),
            ("sequence_stride", sequence_stride),
            ("sampling_rate", sampling_rate),
            ("num_mel_bins", num_mel_bins),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value < 1:
                raise ValueError(f"MelSpectrogram: {name} must be a positive int, got {value!r}")
        sequence_length = sequence_length or fft_length
        if isinstance(sequence_length, bool) or not isinstance(sequence_length, (int, numpy.integer)):
            raise ValueError(f"MelSpectrogram: sequence_length must be a positive int, got {sequence_length!r}")
        if fft_length < sequence_length:
            raise ValueError(
                "`fft_length` must be greater than or equal to `sequence_length`. Received: "
                f"`sequence_length`={sequence_length}, `fft_length`={fft_length}."
            )
        if isinstance(window, str) and window not in ("hann", "hamming"):
            raise ValueError(f"MelSpectrogram: window must be 'hann', 'hamming', a tensor or None, got {window!r}")
        max_freq = max_freq or int(sampling_rate / 2)
        if not 0 <= min_freq < max_freq:
            raise ValueError(f"MelSpectrogram: need 0 <= min_freq < max_freq, got {min_freq} and {max_freq}")
        super().__init__(**kwargs)
        self.fft_length, self.sequence_stride = int(fft_length), int(sequence_stride)
        self.sequence_length, self.window = int(sequence_length), window
        self.sampling_rate, self.num_mel_bins = int(sampling_rate), int(num_mel_bins)
        self.min_freq, self.max_freq = min_freq, max_freq
        self.power_to_db, self.top_db, self.mag_exp = power_to_db, top_db, mag_exp
        self.min_power, self.ref_power = min_power, ref_power
        self.trainable = False  # a preprocessing layer: nothing to train

    def call(self, inputs):
        from learnet import keras_ops
        from learnet.signal import linear_to_mel_weight_matrix

        if inputs.ndim not in (1, 2):
            raise ValueError(
                f"MelSpectrogram '{self.name}': expects signals of shape (time,) or (batch, time), got {tuple(inputs.shape)}"
            )
        dtype = self.compute_dtype if self.compute_dtype in ("float32", "float64") else "float32"
        inputs = cast(inputs, dtype)
        real, imag = keras_ops.stft(
            inputs, self.sequence_length, self.sequence_stride, self.fft_length, window=self.window, center=True
        )
        spectrum = sqrt(square(real) + square(imag)) ** self.mag_exp
        matrix = linear_to_mel_weight_matrix(
            self.num_mel_bins, spectrum.shape[-1], self.sampling_rate, self.min_freq, self.max_freq, dtype=dtype
        )
        mel = matmul(spectrum, matrix)
        if self.power_to_db:
            ten = numpy.asarray(10.0, dtype)
            decibels = ten * keras_ops.log10(maximum(mel, numpy.asarray(self.min_power, dtype)))
            reference = max(abs(float(self.ref_power)), float(self.min_power))
            decibels = decibels - ten * numpy.log10(numpy.asarray(reference, dtype))
            mel = maximum(decibels, keras_ops.max(decibels) - numpy.asarray(self.top_db, dtype))
        return cast(keras_ops.swapaxes(mel, -1, -2), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        time = input_shape[-1]
        # Centred frames: the signal padded by fft_length // 2 on each side.
        frames = (
            None if time is None else 1 + (time + 2 * (self.fft_length // 2) - self.fft_length) // self.sequence_stride
        )
        return input_shape[:-1] + (self.num_mel_bins, frames)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "fft_length": self.fft_length,
                "sequence_stride": self.sequence_stride,
                "sequence_length": self.sequence_length,
                "window": self.window,
                "sampling_rate": self.sampling_rate,
                "num_mel_bins": self.num_mel_bins,
                "min_freq": self.min_freq,
                "max_freq": self.max_freq,
                "power_to_db": self.power_to_db,
                "top_db": self.top_db,
                "mag_exp": self.mag_exp,
                "min_power": self.min_power,
                "ref_power": self.ref_power,
            }
        )
        return config
