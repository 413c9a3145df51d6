"""``tf.audio``: WAV files to float tensors and back.

* :func:`decode_wav` reads 16-bit PCM WAV bytes (what ``tf.io.read_file`` returns) into a
  ``float32`` tensor ``[samples, channels]`` in ``[-1, 1)`` and the sample rate;
* :func:`encode_wav` writes such a tensor as 16-bit PCM WAV bytes, byte for byte what
  TensorFlow writes.

Malformed bytes are refused with ``tf.errors.InvalidArgumentError`` saying what is wrong.

Examples
--------
>>> import numpy as np
>>> from learnet import audio
>>> data = audio.encode_wav(np.array([[0.0], [0.5], [-0.5]], "float32"), 16000)
>>> waveform, sample_rate = audio.decode_wav(data)
>>> waveform.numpy().ravel().tolist(), int(sample_rate)
([0.0, 0.5, -0.5], 16000)
"""

import collections
import struct

import numpy

from learnet import errors
from learnet.backend import xp
from learnet.tensor import Tensor, convert_to_tensor, to_array

__all__ = ["decode_wav", "encode_wav"]

DecodeWav = collections.namedtuple("DecodeWav", ["audio", "sample_rate"])
DecodeWav.__doc__ = (
    "What :func:`decode_wav` returns: ``audio`` (float32 ``[samples, channels]``) and ``sample_rate`` (int32)."
)

_PCM = 1
_EXTENSIBLE = 0xFFFE
_SCALE = 32768.0  # 2 ** 15: an int16 sample over this is in [-1, 1)


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def _contents_bytes(contents, who):
    if isinstance(contents, Tensor):
        value = contents.numpy()
        if isinstance(value, numpy.ndarray):
            if value.shape != () or value.dtype != object:
                raise _invalid(f"{who}: contents must be a scalar string tensor, got shape {value.shape} {value.dtype}")
            value = value.item()
        contents = value
    elif isinstance(contents, numpy.ndarray) and contents.shape == () and contents.dtype == object:
        contents = contents.item()
    if isinstance(contents, (bytearray, memoryview)):
        contents = bytes(contents)
    if not isinstance(contents, bytes):
        raise _invalid(
            f"{who}: contents must be the bytes of a WAV file (a scalar string tensor), got {type(contents).__name__}"
        )
    return contents


def _count(value, name, who):
    if isinstance(value, Tensor):
        value = value.numpy()
    if isinstance(value, numpy.ndarray) and value.size == 1 and value.dtype.kind in "iu":
        value = value.reshape(-1)[0]
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)):
        raise TypeError(f"{who}: {name} must be an integer, got {value!r}")
    value = int(value)
    if value == 0 or value < -1:
        raise _invalid(f"{who}: {name} must be positive, or -1 for the file's own, got {value}")
    return value


def _read_chunks(data, who):
    """``(fmt chunk body, data chunk body)`` of RIFF/WAVE bytes; other chunks (LIST...) are skipped."""
    if len(data) < 12:
        raise _invalid(f"{who}: {len(data)} bytes are too short for a WAV file (its RIFF header alone is 12 bytes)")
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise _invalid(f"{who}: not a WAV file: expected the header 'RIFF....WAVE', got {data[:4]!r}...{data[8:12]!r}")
    fmt = body = None
    offset = 12
    while offset + 8 <= len(data) and body is None:
        chunk_id = data[offset : offset + 4]
        (size,) = struct.unpack_from("<I", data, offset + 4)
        start = offset + 8
        if start + size > len(data):
            raise _invalid(
                f"{who}: the {chunk_id!r} chunk says it holds {size} bytes, but only {len(data) - start} follow "
                "(the file is truncated)"
            )
        if chunk_id == b"fmt ":
            fmt = data[start : start + size]
        elif chunk_id == b"data":
            if fmt is None:
                raise _invalid(f"{who}: the data chunk comes before the 'fmt ' chunk that describes it")
            body = data[start : start + size]
        offset = start + size + (size & 1)  # chunks are padded to an even size
    if fmt is None:
        raise _invalid(f"{who}: no 'fmt ' chunk (the description of the samples) in the {len(data)} bytes")
    if body is None:
        raise _invalid(f"{who}: no data chunk (the samples) in the {len(data)} bytes")
    return fmt, body


def decode_wav(contents, desired_channels=-1, desired_samples=-1, name=None):
    """Decode 16-bit PCM WAV bytes into ``float32`` samples in ``[-1, 1)`` (``tf.audio.decode_wav``).

    Parameters
    ----------
    contents : scalar string Tensor or bytes
        The whole file, as ``tf.io.read_file`` gives it.
    desired_channels : int, default -1
        Channels of the result: the file's first channels, or its last channel repeated
        where it has fewer; ``-1`` keeps the file's.
    desired_samples : int, default -1
        Samples of the result: the file's first ones, zero-padded where it has fewer;
        ``-1`` keeps them all.

    Returns
    -------
    DecodeWav
        ``(audio, sample_rate)``: ``float32 [samples, channels]`` and an ``int32`` scalar.

    Raises
    ------
    tf.errors.InvalidArgumentError
        For bytes that are not a 16-bit PCM WAV file, saying what is wrong.

    Examples
    --------
    >>> import numpy as np
    >>> data = encode_wav(np.array([[0.25], [-1.0]], "float32"), 8000)
    >>> audio, rate = decode_wav(data, desired_samples=3)
    >>> audio.numpy().ravel().tolist(), int(rate)
    ([0.25, -1.0, 0.0], 8000)
    """
    who = "decode_wav"
    desired_channels = _count(desired_channels, "desired_channels", who)
    desired_samples = _count(desired_samples, "desired_samples", who)
    data = _contents_bytes(contents, who)
    fmt, body = _read_chunks(data, who)
    if len(fmt) < 16:
        raise _invalid(f"{who}: the 'fmt ' chunk holds {len(fmt)} bytes, fewer than the 16 it needs")
    format_tag, channels, sample_rate, _, block_align, bits = struct.unpack_from("<HHIIHH", fmt)
    if format_tag == _EXTENSIBLE and len(fmt) >= 26:
        (format_tag,) = struct.unpack_from("<H", fmt, 24)  # the sub-format's first two bytes
    if format_tag != _PCM:
        raise _invalid(f"{who}: can only read PCM WAV files (format 1), got format {format_tag:#x}")
    if bits != 16:
        raise _invalid(f"{who}: can only read 16-bit WAV files, got {bits}-bit samples")
    if channels < 1:
        raise _invalid(f"{who}: the file says it has {channels} channels")
    if sample_rate < 1 or sample_rate > numpy.iinfo(numpy.int32).max:
        raise _invalid(f"{who}: the file's sample rate {sample_rate} is not a positive int32")
    if block_align != 2 * channels:
        raise _invalid(f"{who}: block align {block_align} does not match {channels} channel(s) of 16-bit samples")
    if len(body) % block_align:
        raise _invalid(
            f"{who}: the data chunk holds {len(body)} bytes, not a whole number of {block_align}-byte sample frames"
        )
    samples = numpy.frombuffer(body, dtype="<i2").reshape(-1, channels)
    if desired_channels != -1 and desired_channels != channels:
        samples = samples[:, numpy.minimum(numpy.arange(desired_channels), channels - 1)]
    if desired_samples != -1 and desired_samples != samples.shape[0]:
        resized = numpy.zeros((desired_samples, samples.shape[1]), dtype=samples.dtype)
        kept = min(desired_samples, samples.shape[0])
        resized[:kept] = samples[:kept]
        samples = resized
    audio = (samples.astype(numpy.float32) / numpy.float32(_SCALE)).astype(numpy.float32)
    return DecodeWav(Tensor._wrap(xp.asarray(audio)), Tensor._wrap(xp.asarray(numpy.int32(sample_rate))))


def encode_wav(audio, sample_rate, name=None):
    """Encode ``float32 [samples, channels]`` audio as 16-bit PCM WAV bytes (``tf.audio.encode_wav``).

    Samples are scaled by 32768, rounded half away from zero and clipped to the int16
    range, so ``decode_wav`` gives them back within ``1 / 32768``; the 44-byte header and
    samples are byte for byte what TensorFlow writes.

    Parameters
    ----------
    audio : Tensor
        ``[samples, channels]`` floats in ``[-1, 1]`` (louder samples are clipped).
    sample_rate : int or int32 scalar Tensor

    Returns
    -------
    Tensor
        A scalar string tensor holding the file; write it with ``tf.io.write_file``.

    Examples
    --------
    >>> import numpy as np
    >>> data = encode_wav(np.zeros((100, 2), "float32"), 16000)
    >>> len(data.numpy()), data.numpy()[:4]
    (444, b'RIFF')
    """
    who = "encode_wav"
    array = numpy.asarray(to_array(audio))
    if array.ndim != 2:
        raise _invalid(
            f"{who}: audio must be 2-dimensional [samples, channels], got shape {array.shape}"
            + ("; add a channel axis with audio[:, tf.newaxis]" if array.ndim == 1 else "")
        )
    if array.dtype.kind != "f":
        raise _invalid(f"{who}: audio must hold floats in [-1, 1], got dtype {array.dtype}")
    samples, channels = array.shape
    if channels < 1:
        raise _invalid(f"{who}: audio needs at least one channel, got shape {array.shape}")
    rate = to_array(sample_rate)
    if numpy.ndim(rate) != 0 or numpy.asarray(rate).dtype.kind not in "iu":
        raise _invalid(f"{who}: sample_rate must be an integer scalar, got {sample_rate!r}")
    rate = int(rate)
    if not 0 < rate <= numpy.iinfo(numpy.int32).max:
        raise _invalid(f"{who}: sample_rate must be a positive int32, got {rate}")
    data_size = samples * channels * 2
    if 36 + data_size > 0xFFFFFFFF:
        raise _invalid(f"{who}: {samples} samples of {channels} channel(s) do not fit in one WAV file (4 GiB)")
    # float64 keeps the scaled value and the half exact, so rounding is TensorFlow's roundf.
    scaled = numpy.nan_to_num(array.astype(numpy.float64)) * _SCALE
    rounded = numpy.sign(scaled) * numpy.floor(numpy.abs(scaled) + 0.5)
    pcm = numpy.clip(rounded, -32768, 32767).astype("<i2")
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + data_size,
        b"WAVE",
        b"fmt ",
        16,
        _PCM,
        channels,
        rate,
        rate * channels * 2,
        channels * 2,
        16,
        b"data",
        data_size,
    )
    return convert_to_tensor(numpy.array(header + pcm.tobytes(), dtype=object))
