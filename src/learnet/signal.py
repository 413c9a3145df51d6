"""``tf.signal``: frames, windows, Fourier transforms, spectrograms, mel filters and the DCT.

Audio models turn a waveform into an image-like spectrogram with these ops:

* :func:`frame` cuts a signal into (overlapping) frames and :func:`overlap_and_add` puts
  frames back together; each is the other's backward pass;
* :func:`hann_window`, :func:`hamming_window`: the windows applied to each frame;
* :func:`rfft`, :func:`irfft`, :func:`fft`, :func:`ifft` and their 2-D and 3-D forms;
* :func:`stft` (frame, window, ``rfft``) and :func:`inverse_stft`, with
  :func:`inverse_stft_window_fn` for a perfect reconstruction;
* :func:`linear_to_mel_weight_matrix`, :func:`mfccs_from_log_mel_spectrograms`, :func:`dct`
  and :func:`idct`.

The Fourier transforms return complex tensors (``complex64`` from ``float32``, as in
TensorFlow) and are differentiable: ``tf.abs(tf.signal.stft(waveform, 255, 128))`` carries a
gradient back to the waveform (see :mod:`learnet.complex_math` for the convention). The
transforms are computed in double precision and rounded once to the result's dtype.

Examples
--------
>>> import numpy as np
>>> from learnet import signal
>>> waveform = np.sin(np.arange(16000) * 0.1).astype("float32")
>>> signal.stft(waveform, frame_length=255, frame_step=128).shape
TensorShape([124, 129])
"""

import functools
import math

import numpy

from learnet import errors
from learnet.backend import xp
from learnet.complex_math import complex as _complex
from learnet.complex_math import complex_dtype_of, real_dtype_of
from learnet.ops.linalg import matmul
from learnet.ops.shape import pad
from learnet.tape import primitive
from learnet.tensor import Tensor, _as_dtype, to_array

__all__ = [
    "frame",
    "overlap_and_add",
    "hann_window",
    "hamming_window",
    "stft",
    "inverse_stft",
    "inverse_stft_window_fn",
    "fft",
    "ifft",
    "fft2d",
    "ifft2d",
    "fft3d",
    "ifft3d",
    "rfft",
    "irfft",
    "rfft2d",
    "irfft2d",
    "rfft3d",
    "irfft3d",
    "linear_to_mel_weight_matrix",
    "mfccs_from_log_mel_spectrograms",
    "dct",
    "idct",
]


# --- checks ------------------------------------------------------------------------------------
def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def _as_tensor(value, who):
    if isinstance(value, Tensor):
        return value
    try:
        return Tensor(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{who}: expected a tensor of numbers, got {type(value).__name__} ({error})") from None


def _integer(value, name, who, smallest=1):
    """A Python int from an int, a NumPy integer or a tensor of one element."""
    if isinstance(value, Tensor):
        value = value.numpy()
    if isinstance(value, numpy.ndarray) and value.size == 1 and value.dtype.kind in "iu":
        value = value.reshape(-1)[0]
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)):
        raise TypeError(f"{who}: {name} must be an integer, got {value!r}")
    if value < smallest:
        raise ValueError(f"{who}: {name} must be an integer >= {smallest}, got {int(value)}")
    return int(value)


def _float_signal(value, who):
    """A real floating tensor (integers become float32, as the spectrogram of an int16 waveform would need)."""
    tensor = _as_tensor(value, who)
    kind = tensor._value.dtype.kind
    if kind in "iub":
        return Tensor._wrap(tensor._value.astype(numpy.float32))
    if kind != "f":
        raise TypeError(f"{who}: expected a real (float) signal, got dtype {tensor.dtype}")
    return tensor


def _check_rank(tensor, smallest, who, name="input"):
    if tensor.ndim < smallest:
        raise ValueError(f"{who}: {name} must have rank >= {smallest}, got shape {tuple(tensor.shape)}")


# --- frames ------------------------------------------------------------------------------------
@primitive(inputs=1)
def _frame(signal, frame_length, frame_step, axis, count):
    """``count`` frames of ``frame_length`` samples, ``frame_step`` apart, along ``axis`` (>= 0)."""
    samples = signal.shape[axis]
    starts = xp.arange(count) * frame_step
    index = starts[:, None] + xp.arange(frame_length)[None, :]
    frames = xp.take(signal, index.reshape(-1), axis=axis)
    shape = signal.shape[:axis] + (count, frame_length) + signal.shape[axis + 1 :]
    return frames.reshape(shape), lambda g, x, out: _overlap_add(g, frame_step, axis, samples)


@primitive(inputs=1)
def _overlap_add(frames, frame_step, axis, length):
    """Sum the frames on axes ``(axis, axis + 1)`` into ``length`` samples (zeros past the last frame)."""
    count, frame_length = frames.shape[axis], frames.shape[axis + 1]
    moved = xp.moveaxis(frames, (axis, axis + 1), (-2, -1))
    lead = moved.shape[:-2]
    # Cut each frame into pieces of frame_step samples: piece k of every frame lands on
    # a run of back-to-back, non-overlapping blocks, so one slice-add per piece does it.
    pieces = -(-frame_length // frame_step)
    padded = xp.zeros(lead + (count, pieces * frame_step), dtype=frames.dtype)
    padded[..., :frame_length] = moved
    padded = padded.reshape(lead + (count, pieces, frame_step))
    blocks = xp.zeros(lead + (count + pieces - 1, frame_step), dtype=frames.dtype)
    for k in range(pieces):
        blocks[..., k : k + count, :] += padded[..., :, k, :]
    flat = blocks.reshape(lead + ((count + pieces - 1) * frame_step,))
    result = xp.zeros(lead + (length,), dtype=frames.dtype)
    used = min(length, flat.shape[-1])
    result[..., :used] = flat[..., :used]
    result = xp.moveaxis(result, -1, axis)
    return result, lambda g, x, out: _frame(g, frame_length, frame_step, axis, count)


def frame(signal, frame_length, frame_step, pad_end=False, pad_value=0, axis=-1, name=None):
    """Cut ``signal`` into frames of ``frame_length`` samples, ``frame_step`` apart, along ``axis``.

    The axis of samples is replaced by two: the frames and the samples of each frame. With
    ``pad_end=True`` the end of the signal is padded with ``pad_value`` so that every sample
    starts a frame's worth of steps (``ceil(samples / frame_step)`` frames); otherwise the
    frames that would run past the end are dropped, and a signal shorter than one frame is
    refused. Differentiable (the gradient of the frames is overlap-added back).

    Parameters
    ----------
    signal : Tensor
        ``[..., samples, ...]``, any rank >= 1.
    frame_length, frame_step : int
        Samples per frame and between the starts of two frames.
    pad_end : bool, default False
    pad_value : number, default 0
    axis : int, default -1
        The axis of samples.

    Returns
    -------
    Tensor
        ``signal.shape[:axis] + [frames, frame_length] + signal.shape[axis + 1:]``.

    Examples
    --------
    >>> import learnet as tf
    >>> frame(tf.range(6), frame_length=3, frame_step=2).numpy().tolist()
    [[0, 1, 2], [2, 3, 4]]
    >>> frame(tf.range(6), 3, 2, pad_end=True, pad_value=-1).numpy().tolist()
    [[0, 1, 2], [2, 3, 4], [4, 5, -1]]
    """
    who = "frame"
    signal = _as_tensor(signal, who)
    _check_rank(signal, 1, who, "signal")
    frame_length = _integer(frame_length, "frame_length", who)
    frame_step = _integer(frame_step, "frame_step", who)
    axis = _integer(axis, "axis", who, smallest=-signal.ndim)
    if axis >= signal.ndim:
        raise ValueError(f"{who}: axis {axis} is out of range for a signal of rank {signal.ndim}")
    axis %= signal.ndim
    samples = signal.shape[axis]
    if pad_end:
        count = -(-samples // frame_step)
        missing = max(0, (count - 1) * frame_step + frame_length - samples) if count else 0
        if missing:
            paddings = [(0, 0)] * signal.ndim
            paddings[axis] = (0, missing)
            signal = pad(signal, paddings, constant_values=pad_value)
    else:
        if samples < frame_length:
            raise _invalid(
                f"{who}: frame_length {frame_length} is longer than the signal's {samples} samples on axis {axis} "
                f"(shape {tuple(signal.shape)}); pass pad_end=True to pad the end, or use a shorter frame_length"
            )
        count = 1 + (samples - frame_length) // frame_step
    return _frame(signal, frame_length, frame_step, axis, count)


def overlap_and_add(signal, frame_step, name=None):
    """Add frames ``[..., frames, frame_length]`` back into one signal, ``frame_step`` apart.

    The inverse of :func:`frame` up to the overlaps (which are summed). Differentiable.

    Returns
    -------
    Tensor
        ``[..., (frames - 1) * frame_step + frame_length]``.

    Examples
    --------
    >>> import learnet as tf
    >>> overlap_and_add(tf.ones((3, 4)), frame_step=2).numpy().tolist()
    [1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 1.0, 1.0]
    """
    who = "overlap_and_add"
    signal = _as_tensor(signal, who)
    _check_rank(signal, 2, who, "signal")
    frame_step = _integer(frame_step, "frame_step", who)
    count, frame_length = signal.shape[-2], signal.shape[-1]
    if frame_step > frame_length:
        raise ValueError(
            f"{who}: frame_step ({frame_step}) must be less than or equal to frame_length ({frame_length})"
        )
    length = max(0, (count - 1) * frame_step + frame_length) if count else 0
    return _overlap_add(signal, frame_step, signal.ndim - 2, length)


# --- windows -----------------------------------------------------------------------------------
def _raised_cosine(who, window_length, periodic, dtype, a, b):
    window_length = _integer(window_length, "window_length", who, smallest=0)
    dtype = _as_dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"{who}: dtype must be a floating dtype, got {dtype}")
    if window_length == 1:
        return Tensor._wrap(xp.ones(1, dtype=dtype))
    # TensorFlow's rule: `periodic` only changes windows of even length (the denominator
    # becomes window_length instead of window_length - 1); computed in `dtype`, as there.
    even = 1 - window_length % 2
    denominator = dtype.type(window_length + int(bool(periodic)) * even - 1)
    count = xp.arange(window_length, dtype=dtype)
    argument = dtype.type(2 * numpy.pi) * count / denominator
    return Tensor._wrap((dtype.type(a) - dtype.type(b) * xp.cos(argument)).astype(dtype))


def hann_window(window_length, periodic=True, dtype="float32", name=None):
    """The Hann window ``0.5 - 0.5 cos(2 pi n / N)`` (``tf.signal.hann_window``).

    ``N`` is ``window_length`` for a periodic window of even length (the one for spectra),
    ``window_length - 1`` otherwise, as TensorFlow computes it.

    Examples
    --------
    >>> hann_window(4).numpy()
    array([0. , 0.5, 1. , 0.5], dtype=float32)
    """
    return _raised_cosine("hann_window", window_length, periodic, dtype, 0.5, 0.5)


def hamming_window(window_length, periodic=True, dtype="float32", name=None):
    """The Hamming window ``0.54 - 0.46 cos(2 pi n / N)`` (``tf.signal.hamming_window``); ``N`` as in :func:`hann_window`.

    Examples
    --------
    >>> hamming_window(4, periodic=False).numpy().round(2)
    array([0.08, 0.77, 0.77, 0.08], dtype=float32)
    """
    return _raised_cosine("hamming_window", window_length, periodic, dtype, 0.54, 0.46)


# --- Fourier transforms ------------------------------------------------------------------------
def _axes(rank):
    return tuple(range(-rank, 0))


def _resize(array, lengths):
    """Crop or zero-pad the last ``len(lengths)`` axes of ``array`` to ``lengths``."""
    rank = len(lengths)
    if tuple(array.shape[-rank:]) == tuple(lengths):
        return array
    result = xp.zeros(array.shape[:-rank] + tuple(lengths), dtype=array.dtype)
    common = tuple(slice(0, min(a, b)) for a, b in zip(array.shape[-rank:], lengths))
    result[(Ellipsis,) + common] = array[(Ellipsis,) + common]
    return result


@primitive(inputs=1, complex_aware=True)
def _fft(x, rank, inverse):
    """The complex FFT (``inverse``: the inverse FFT) over the last ``rank`` axes."""
    size = math.prod(x.shape[-rank:])
    transform = xp.fft.ifftn if inverse else xp.fft.fftn
    result = transform(x.astype(numpy.complex128), axes=_axes(rank)).astype(x.dtype)

    def backward(g, x, out):
        # The adjoint of the DFT is size times the inverse DFT, and the other way round.
        back = _fft(g, rank, not inverse)
        return back / float(size) if inverse else back * float(size)

    return result, backward


@primitive(inputs=1, complex_aware=True)
def _rfft(x, rank, lengths):
    """The FFT of a real tensor over the last ``rank`` axes, cropped or zero-padded to ``lengths``."""
    sizes = tuple(x.shape[-rank:])
    result = xp.fft.rfftn(x.astype(numpy.float64), s=lengths, axes=_axes(rank)).astype(complex_dtype_of(x.dtype))
    return result, lambda g, x, out: _rfft_transpose(g, rank, lengths, sizes)


@primitive(inputs=1)
def _rfft_transpose(spectrum, rank, lengths, sizes):
    """The transpose of ``_rfft`` (the gradient it sends back): real, of the input's ``sizes``."""
    full = xp.zeros(spectrum.shape[:-1] + (lengths[-1],), dtype=numpy.complex128)
    full[..., : spectrum.shape[-1]] = spectrum
    result = xp.fft.ifftn(full, axes=_axes(rank)).real * math.prod(lengths)
    result = _resize(result, sizes).astype(real_dtype_of(spectrum.dtype))
    return result, lambda g, spectrum, out: _rfft(g, rank, lengths)


@primitive(inputs=1)
def _irfft(spectrum, rank, lengths):
    """The inverse of ``_rfft``: a real tensor of ``lengths`` from the non-negative frequencies."""
    sizes = tuple(spectrum.shape[-rank:])
    result = xp.fft.irfftn(spectrum.astype(numpy.complex128), s=lengths, axes=_axes(rank))
    return result.astype(real_dtype_of(spectrum.dtype)), lambda g, x, out: _irfft_transpose(g, rank, lengths, sizes)


@primitive(inputs=1, complex_aware=True)
def _irfft_transpose(signal, rank, lengths, sizes):
    """The transpose of ``_irfft``: the bins that appear twice in the full spectrum count twice."""
    spectrum = xp.fft.rfftn(signal.astype(numpy.float64), s=lengths, axes=_axes(rank))
    weights = xp.full(spectrum.shape[-1], 2.0)
    weights[0] = 1.0
    if lengths[-1] % 2 == 0:
        weights[-1] = 1.0
    spectrum = _resize(spectrum * (weights / math.prod(lengths)), sizes)
    return spectrum.astype(complex_dtype_of(signal.dtype)), lambda g, x, out: _irfft(g, rank, lengths)


def _fft_lengths(tensor, rank, fft_length, who, inverse_real=False):
    if fft_length is None:
        lengths = list(tensor.shape[-rank:])
        if inverse_real:
            lengths[-1] = 2 * (lengths[-1] - 1)
    else:
        values = fft_length.numpy() if isinstance(fft_length, Tensor) else fft_length
        values = numpy.atleast_1d(numpy.asarray(values))
        if values.shape != (rank,) or values.dtype.kind not in "iu":
            raise ValueError(f"{who}: fft_length must be {rank} integer(s), got {fft_length!r}")
        lengths = [int(v) for v in values]
    if any(length < 1 for length in lengths):
        raise ValueError(f"{who}: every FFT length must be >= 1, got {lengths} (input shape {tuple(tensor.shape)})")
    return tuple(lengths)


def _complex_input(value, rank, who):
    tensor = _as_tensor(value, who)
    _check_rank(tensor, rank, who)
    kind = tensor._value.dtype.kind
    if kind == "c":
        return tensor
    if kind not in "fiu":
        raise TypeError(f"{who}: expected a complex (or real) tensor, got dtype {tensor.dtype}")
    real = _float_signal(tensor, who)
    return _complex(real, Tensor._wrap(xp.zeros_like(real._value)))


def _make_complex_fft(rank, inverse):
    name = ("i" if inverse else "") + "fft" + (f"{rank}d" if rank > 1 else "")
    axes_text = "the last axis" if rank == 1 else f"the last {rank} axes"

    def transform(input, name=None):  # noqa: A002 - TensorFlow's name
        tensor = _complex_input(input, rank, transform.__name__)
        return _fft(tensor, rank, inverse)

    transform.__name__ = transform.__qualname__ = name
    kind = "inverse discrete Fourier transform" if inverse else "discrete Fourier transform"
    transform.__doc__ = f"""The {kind} over {axes_text} (``tf.signal.{name}``).

    A real input is taken as complex with zero imaginary part. Differentiable.

    Examples
    --------
    >>> import numpy as np
    >>> float({name}(np.ones({(4,) * rank}, "complex64")).numpy().real.max())
    {"1.0" if inverse else f"{4.0**rank}"}
    """
    return transform


fft = _make_complex_fft(1, False)
ifft = _make_complex_fft(1, True)
fft2d = _make_complex_fft(2, False)
ifft2d = _make_complex_fft(2, True)
fft3d = _make_complex_fft(3, False)
ifft3d = _make_complex_fft(3, True)


def _make_real_fft(rank):
    name = "rfft" + (f"{rank}d" if rank > 1 else "")
    axes_text = "the last axis" if rank == 1 else f"the last {rank} axes"

    def transform(input_tensor, fft_length=None, name=None):
        who = transform.__name__
        tensor = _float_signal(input_tensor, who)
        _check_rank(tensor, rank, who, "input_tensor")
        lengths = _fft_lengths(tensor, rank, fft_length, who)
        return _rfft(tensor, rank, lengths)

    transform.__name__ = transform.__qualname__ = name
    transform.__doc__ = f"""The discrete Fourier transform of a real tensor over {axes_text} (``tf.signal.{name}``).

    Only the non-negative frequencies of the innermost axis are returned (the others are
    their complex conjugates): ``fft_length // 2 + 1`` of them. The input is cropped or
    zero-padded to ``fft_length`` ({rank} integer(s); the input's own sizes by default).
    ``float32`` gives ``complex64``, ``float64`` gives ``complex128``. Differentiable.

    Examples
    --------
    >>> import numpy as np
    >>> {name}(np.ones({(4,) * rank}, "float32")).shape
    TensorShape({[4] * (rank - 1) + [3]})
    """
    return transform


def _make_inverse_real_fft(rank):
    name = "irfft" + (f"{rank}d" if rank > 1 else "")
    axes_text = "the last axis" if rank == 1 else f"the last {rank} axes"

    def transform(input_tensor, fft_length=None, name=None):
        who = transform.__name__
        tensor = _complex_input(input_tensor, rank, who)
        lengths = _fft_lengths(tensor, rank, fft_length, who, inverse_real=True)
        return _irfft(tensor, rank, lengths)

    transform.__name__ = transform.__qualname__ = name
    transform.__doc__ = f"""The inverse of :func:`{name[1:]}` over {axes_text} (``tf.signal.{name}``): a real tensor.

    The input holds the non-negative frequencies of the innermost axis; it is cropped or
    zero-padded to ``fft_length // 2 + 1`` bins (and the other axes to ``fft_length``).
    ``fft_length`` defaults to ``2 * (bins - 1)`` for the innermost axis. Differentiable.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(8, dtype="float32").reshape({(2,) * (rank - 1) + (8 // 2 ** (rank - 1),)})
    >>> bool(np.allclose({name}({name[1:]}(x)).numpy(), x, atol=1e-5))
    True
    """
    return transform


rfft = _make_real_fft(1)
rfft2d = _make_real_fft(2)
rfft3d = _make_real_fft(3)
irfft = _make_inverse_real_fft(1)
irfft2d = _make_inverse_real_fft(2)
irfft3d = _make_inverse_real_fft(3)


# --- short-time Fourier transform --------------------------------------------------------------
def _enclosing_power_of_two(value):
    return 2 ** int(numpy.ceil(numpy.log(value) / numpy.log(2.0)))


def stft(signals, frame_length, frame_step, fft_length=None, window_fn=hann_window, pad_end=False, name=None):
    """The short-time Fourier transform of ``signals [..., samples]`` (``tf.signal.stft``).

    Frames of ``frame_length`` samples, ``frame_step`` apart (see :func:`frame`), are
    multiplied by ``window_fn(frame_length, dtype=...)`` (no window when ``None``) and
    transformed with :func:`rfft` of ``fft_length`` points (by default the smallest power
    of two >= ``frame_length``). ``tf.abs`` of the result is the magnitude spectrogram, and
    it is differentiable with respect to ``signals``.

    Returns
    -------
    Tensor
        ``complex64`` (``complex128`` for float64 signals) of shape
        ``[..., frames, fft_length // 2 + 1]``.

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as tf
    >>> waveform = np.random.default_rng(0).standard_normal(16000).astype("float32")
    >>> spectrogram = tf.abs(stft(waveform, frame_length=255, frame_step=128))
    >>> spectrogram.shape, spectrogram.dtype
    (TensorShape([124, 129]), dtype('float32'))
    """
    who = "stft"
    signals = _float_signal(signals, who)
    _check_rank(signals, 1, who, "signals")
    frame_length = _integer(frame_length, "frame_length", who)
    frame_step = _integer(frame_step, "frame_step", who)
    if fft_length is None:
        fft_length = _enclosing_power_of_two(frame_length)
    fft_length = _integer(fft_length, "fft_length", who)
    framed = frame(signals, frame_length, frame_step, pad_end=pad_end)
    if window_fn is not None:
        framed = framed * _as_tensor(window_fn(frame_length, dtype=signals.dtype), who)
    return _rfft(framed, 1, (fft_length,))


def inverse_stft(stfts, frame_length, frame_step, fft_length=None, window_fn=hann_window, name=None):
    """The signal whose :func:`stft` is ``stfts [..., frames, bins]`` (``tf.signal.inverse_stft``).

    Each frame is brought back with :func:`irfft`, cut (or zero-padded) to ``frame_length``,
    multiplied by ``window_fn(frame_length, dtype=...)`` and overlap-added. For a perfect
    reconstruction pass ``window_fn=inverse_stft_window_fn(frame_step)``. Differentiable.

    Returns
    -------
    Tensor
        Real, ``[..., (frames - 1) * frame_step + frame_length]``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).standard_normal(1024).astype("float32")
    >>> spectra = stft(x, 256, 64)
    >>> y = inverse_stft(spectra, 256, 64, window_fn=inverse_stft_window_fn(64)).numpy()
    >>> bool(np.allclose(y[256:-256], x[256:len(y) - 256], atol=1e-4))
    True
    """
    who = "inverse_stft"
    stfts = _complex_input(stfts, 2, who)
    frame_length = _integer(frame_length, "frame_length", who)
    frame_step = _integer(frame_step, "frame_step", who)
    if fft_length is None:
        fft_length = _enclosing_power_of_two(frame_length)
    fft_length = _integer(fft_length, "fft_length", who)
    real_frames = _irfft(stfts, 1, (fft_length,))
    if fft_length > frame_length:
        real_frames = real_frames[..., :frame_length]
    elif fft_length < frame_length:
        paddings = [(0, 0)] * (real_frames.ndim - 1) + [(0, frame_length - fft_length)]
        real_frames = pad(real_frames, paddings)
    if window_fn is not None:
        real_frames = real_frames * _as_tensor(window_fn(frame_length, dtype=real_frames.dtype), who)
    return overlap_and_add(real_frames, frame_step)


def inverse_stft_window_fn(frame_step, forward_window_fn=hann_window, name=None):
    """A window function for :func:`inverse_stft` that undoes ``forward_window_fn``'s windowing.

    The forward window divided by the sum of the squared forward windows that overlap at
    each sample, so that ``inverse_stft(stft(x))`` gives back ``x`` (away from the ends).

    Examples
    --------
    >>> window_fn = inverse_stft_window_fn(frame_step=2)
    >>> window_fn(4).numpy()
    array([0., 1., 1., 1.], dtype=float32)
    """
    frame_step = _integer(frame_step, "frame_step", "inverse_stft_window_fn")

    def inverse_window_fn(frame_length, dtype="float32"):
        frame_length = _integer(frame_length, "frame_length", "inverse_stft_window_fn")
        forward = numpy.asarray(to_array(forward_window_fn(frame_length, dtype=dtype)))
        overlaps = -(-frame_length // frame_step)
        squares = numpy.zeros(overlaps * frame_step, dtype=forward.dtype)
        squares[:frame_length] = forward * forward
        denominator = numpy.tile(squares.reshape(overlaps, frame_step).sum(axis=0), overlaps)[:frame_length]
        return Tensor._wrap(xp.asarray((forward / denominator).astype(forward.dtype)))

    return inverse_window_fn


# --- mel scale ---------------------------------------------------------------------------------
_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


def _hertz_to_mel(frequencies_hertz):
    return _MEL_HIGH_FREQUENCY_Q * numpy.log(1.0 + frequencies_hertz / _MEL_BREAK_FREQUENCY_HERTZ)


def linear_to_mel_weight_matrix(
    num_mel_bins=20,
    num_spectrogram_bins=129,
    sample_rate=8000,
    lower_edge_hertz=125.0,
    upper_edge_hertz=3800.0,
    dtype="float32",
    name=None,
):
    """The ``[num_spectrogram_bins, num_mel_bins]`` matrix that turns a linear spectrogram into a mel one.

    Triangular filters, evenly spaced on the mel scale (``1127 ln(1 + f / 700)``) between
    ``lower_edge_hertz`` and ``upper_edge_hertz``, as ``tf.signal.linear_to_mel_weight_matrix``
    builds them (the DC bin gets no weight). Multiply a magnitude spectrogram
    ``[..., num_spectrogram_bins]`` by it (``tf.tensordot(spectrogram, matrix, 1)``).

    Examples
    --------
    >>> m = linear_to_mel_weight_matrix(num_mel_bins=8, num_spectrogram_bins=129, sample_rate=16000)
    >>> m.shape, float(m.numpy().min()) >= 0.0
    (TensorShape([129, 8]), True)
    """
    who = "linear_to_mel_weight_matrix"
    num_mel_bins = _integer(num_mel_bins, "num_mel_bins", who)
    num_spectrogram_bins = _integer(num_spectrogram_bins, "num_spectrogram_bins", who)
    sample_rate = float(to_array(sample_rate))
    lower_edge_hertz, upper_edge_hertz = float(lower_edge_hertz), float(upper_edge_hertz)
    if sample_rate <= 0.0:
        raise ValueError(f"{who}: sample_rate must be positive, got {sample_rate}")
    if lower_edge_hertz < 0.0:
        raise ValueError(f"{who}: lower_edge_hertz must be non-negative, got {lower_edge_hertz}")
    if lower_edge_hertz >= upper_edge_hertz:
        raise ValueError(
            f"{who}: lower_edge_hertz {lower_edge_hertz} must be smaller than upper_edge_hertz {upper_edge_hertz}"
        )
    if upper_edge_hertz > sample_rate / 2:
        raise ValueError(
            f"{who}: upper_edge_hertz {upper_edge_hertz} must not be above the Nyquist frequency "
            f"sample_rate / 2 = {sample_rate / 2}"
        )
    dtype = _as_dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"{who}: dtype must be a floating dtype, got {dtype}")
    # The DC bin (frequency 0) gets no weight, as in TensorFlow.
    linear_hertz = numpy.linspace(0.0, sample_rate / 2, num_spectrogram_bins)[1:]
    spectrogram_mel = _hertz_to_mel(linear_hertz)[:, None]
    edges = numpy.linspace(_hertz_to_mel(lower_edge_hertz), _hertz_to_mel(upper_edge_hertz), num_mel_bins + 2)
    lower, center, upper = edges[:-2][None, :], edges[1:-1][None, :], edges[2:][None, :]
    lower_slopes = (spectrogram_mel - lower) / (center - lower)
    upper_slopes = (upper - spectrogram_mel) / (upper - center)
    weights = numpy.maximum(0.0, numpy.minimum(lower_slopes, upper_slopes))
    weights = numpy.concatenate([numpy.zeros((1, num_mel_bins)), weights], axis=0)
    return Tensor._wrap(xp.asarray(weights.astype(dtype)))


# --- discrete cosine transform -----------------------------------------------------------------
@functools.lru_cache(maxsize=32)
def _dct_matrix(kind, size, input_size, norm):
    """``W [input_size, size]`` with ``dct(x) = x @ W``: the DCT of ``size`` points, the input cropped or zero-padded."""
    k = numpy.arange(size)[:, None]  # output index
    j = numpy.arange(size)[None, :]  # input index
    if kind == 1:
        matrix = 2.0 * numpy.cos(numpy.pi * k * j / (size - 1))
        matrix[:, 0] = 1.0
        matrix[:, -1] = (-1.0) ** numpy.arange(size)
    elif kind == 2:
        matrix = 2.0 * numpy.cos(numpy.pi * k * (2 * j + 1) / (2 * size))
        if norm == "ortho":
            matrix[0] *= numpy.sqrt(1.0 / (4 * size))
            matrix[1:] *= numpy.sqrt(1.0 / (2 * size))
    elif kind == 3:
        matrix = 2.0 * numpy.cos(numpy.pi * j * (2 * k + 1) / (2 * size))
        matrix[:, 0] = 1.0
        if norm == "ortho":
            matrix[:, 0] *= numpy.sqrt(1.0 / size)
            matrix[:, 1:] *= numpy.sqrt(1.0 / (2 * size))
    else:
        matrix = 2.0 * numpy.cos(numpy.pi * (2 * j + 1) * (2 * k + 1) / (4 * size))
        if norm == "ortho":
            matrix *= numpy.sqrt(1.0 / (2 * size))
    weights = numpy.zeros((input_size, size))
    used = min(size, input_size)
    weights[:used] = matrix.T[:used]
    return weights


def dct(input, type=2, n=None, axis=-1, norm=None, name=None):  # noqa: A002 - TensorFlow's names
    """The discrete cosine transform of types 1 to 4 over the last axis (``tf.signal.dct``).

    Unnormalized (``norm=None``) it is SciPy's and TensorFlow's DCT (type 2:
    ``y[k] = 2 sum_n x[n] cos(pi k (2n + 1) / 2N)``); ``norm="ortho"`` scales it to an
    orthonormal transform (types 2, 3 and 4). ``n`` crops or zero-pads the input to ``n``
    points. Computed as one product with a cached matrix, so it is differentiable.

    Examples
    --------
    >>> import numpy as np
    >>> dct(np.array([1.0, 1.0, 1.0, 1.0], "float32")).numpy().round(4)
    array([8., 0., 0., 0.], dtype=float32)
    """
    who = "dct"
    tensor = _float_signal(input, who)
    _check_rank(tensor, 1, who)
    if type not in (1, 2, 3, 4):
        raise ValueError(f"{who}: type must be 1, 2, 3 or 4, got {type!r}")
    if norm not in (None, "ortho"):
        raise ValueError(f'{who}: norm must be None or "ortho", got {norm!r}')
    if axis not in (-1, tensor.ndim - 1):
        raise NotImplementedError(f"{who}: only axis=-1 is supported (as in TensorFlow), got axis={axis!r}")
    size = tensor.shape[-1] if n is None else _integer(n, "n", who)
    if type == 1:
        if norm == "ortho":
            raise ValueError(f'{who}: norm="ortho" is not defined for the type 1 DCT')
        if size < 2:
            raise ValueError(f"{who}: the type 1 DCT needs at least 2 points, got {size}")
    if size < 1:
        raise ValueError(f"{who}: the DCT needs at least 1 point, got input shape {tuple(tensor.shape)}")
    weights = _dct_matrix(type, size, tensor.shape[-1], norm).astype(tensor._value.dtype)
    return matmul(tensor, Tensor._wrap(xp.asarray(weights)))


def idct(input, type=2, n=None, axis=-1, norm=None, name=None):  # noqa: A002 - TensorFlow's names
    """The inverse DCT (``tf.signal.idct``): the DCT of the inverse type (2 <-> 3, 1 and 4 their own).

    With ``norm="ortho"`` it inverts :func:`dct` exactly; unnormalized, ``idct(dct(x))`` is
    ``x`` times ``2N`` (type 1: ``2(N - 1)``), as in TensorFlow and SciPy.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 2.0, 3.0], "float32")
    >>> idct(dct(x, norm="ortho"), norm="ortho").numpy().round(5)
    array([1., 2., 3.], dtype=float32)
    """
    if type not in (1, 2, 3, 4):
        raise ValueError(f"idct: type must be 1, 2, 3 or 4, got {type!r}")
    return dct(input, type={1: 1, 2: 3, 3: 2, 4: 4}[type], n=n, axis=axis, norm=norm)


def mfccs_from_log_mel_spectrograms(log_mel_spectrograms, name=None):
    """Mel-frequency cepstral coefficients of ``log_mel_spectrograms [..., num_mel_bins]``.

    The type 2 DCT scaled by ``1 / sqrt(2 * num_mel_bins)``, as
    ``tf.signal.mfccs_from_log_mel_spectrograms`` computes them; keep the first dozen or so.
    Differentiable.

    Examples
    --------
    >>> import numpy as np
    >>> mfccs_from_log_mel_spectrograms(np.zeros((3, 40), "float32")).shape
    TensorShape([3, 40])
    """
    who = "mfccs_from_log_mel_spectrograms"
    tensor = _float_signal(log_mel_spectrograms, who)
    _check_rank(tensor, 1, who, "log_mel_spectrograms")
    num_mel_bins = tensor.shape[-1]
    if num_mel_bins < 1:
        raise ValueError(f"{who}: num_mel_bins (the last axis) must be >= 1, got shape {tuple(tensor.shape)}")
    return dct(tensor, type=2) * (1.0 / math.sqrt(2.0 * num_mel_bins))
