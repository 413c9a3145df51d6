"""``tf.io``: files as string tensors, raw bytes, images decoded from PNG/JPEG/GIF/BMP bytes, and TFRecords.

``read_file`` gives the whole file as a scalar string tensor (``bytes``); the
``decode_*`` functions turn such bytes into a ``uint8`` image tensor
``(height, width, channels)`` (Pillow, the ``image`` extra), as the TensorFlow image
tutorials load pictures: ``tf.io.decode_jpeg(tf.io.read_file(path), channels=3)``.
``TFRecordWriter`` and ``TFRecordOptions`` write TFRecord files (``learnet.tfrecord``);
``parse_example`` and its friends read ``tf.train.Example`` records into tensors, and
``serialize_tensor``/``parse_tensor`` turn a tensor into bytes and back
(``learnet.example_parsing``).

Examples
--------
>>> import learnet as tf
>>> tf.io.decode_raw(tf.constant("Duck"), tf.uint8).numpy().tolist()
[68, 117, 99, 107]
"""

import io as _stdlib_io
import os

import numpy

from learnet.backend import to_numpy
from learnet.example_parsing import (
    FixedLenFeature,
    FixedLenSequenceFeature,
    VarLenFeature,
    parse_example,
    parse_sequence_example,
    parse_single_example,
    parse_single_sequence_example,
    deserialize_sparse,
    parse_tensor,
    serialize_sparse,
    serialize_tensor,
)
from learnet import gfile  # noqa: F401 - tf.io.gfile
from learnet.proto_codec import decode_proto, encode_proto
from learnet.tensor import Tensor, _as_dtype, convert_to_tensor
from learnet.tfrecord import TFRecordOptions, TFRecordWriter

__all__ = [
    "FixedLenFeature",
    "FixedLenSequenceFeature",
    "TFRecordOptions",
    "TFRecordWriter",
    "VarLenFeature",
    "decode_bmp",
    "deserialize_sparse",
    "encode_jpeg",
    "serialize_sparse",
    "decode_csv",
    "decode_proto",
    "encode_proto",
    "decode_gif",
    "decode_image",
    "decode_jpeg",
    "decode_png",
    "decode_raw",
    "encode_png",
    "parse_example",
    "parse_sequence_example",
    "parse_single_example",
    "parse_single_sequence_example",
    "parse_tensor",
    "read_file",
    "serialize_tensor",
    "write_file",
    "gfile",
]


def _bytes(contents, what):
    if isinstance(contents, Tensor):
        value = to_numpy(contents._value)
        if value.dtype != object or value.ndim != 0:
            raise TypeError(
                f"tf.io.{what} expects a scalar string tensor, got shape {value.shape} and dtype {value.dtype.name}"
            )
        return value.item()
    if isinstance(contents, str):
        return contents.encode("utf-8")
    if isinstance(contents, (bytes, bytearray)):
        return bytes(contents)
    raise TypeError(f"tf.io.{what} expects bytes or a string tensor, got {type(contents).__name__}")


def read_file(filename, name=None):
    """The whole file as a scalar string tensor."""
    path = _bytes(filename, "read_file").decode("utf-8") if not isinstance(filename, os.PathLike) else filename
    with open(path, "rb") as stream:
        return convert_to_tensor(numpy.array(stream.read(), dtype=object))


def write_file(filename, contents, name=None):
    """Write a scalar string tensor (or bytes) to a file."""
    path = _bytes(filename, "write_file").decode("utf-8") if not isinstance(filename, os.PathLike) else filename
    with open(path, "wb") as stream:
        stream.write(_bytes(contents, "write_file"))


def decode_raw(input_bytes, out_type, little_endian=True, fixed_length=None, name=None):  # noqa: A002
    """The bytes of a string tensor read as numbers of ``out_type``."""
    dtype = _as_dtype(out_type)
    if not little_endian:
        dtype = dtype.newbyteorder(">")
    return convert_to_tensor(
        numpy.frombuffer(_bytes(input_bytes, "decode_raw"), dtype=dtype).astype(_as_dtype(out_type)),
        dtype=_as_dtype(out_type),
    )


def decode_image(contents, channels=None, dtype="uint8", name=None, expand_animations=True):
    """A ``(height, width, channels)`` image from PNG, JPEG, GIF or BMP bytes."""
    try:
        from PIL import Image
    except ImportError as error:  # pragma: no cover - Pillow is in the test extra
        raise ImportError("tf.io.decode_image needs Pillow: pip install learnet[image]") from error
    with Image.open(_stdlib_io.BytesIO(_bytes(contents, "decode_image"))) as picture:
        mode = {None: None, 0: None, 1: "L", 3: "RGB", 4: "RGBA"}.get(channels, "invalid")
        if mode == "invalid":
            raise ValueError(f"decode_image: channels must be 0, 1, 3 or 4, got {channels}")
        if mode is None:
            mode = picture.mode if picture.mode in ("L", "RGB", "RGBA") else "RGB"
        array = numpy.asarray(picture.convert(mode))
    if array.ndim == 2:
        array = array[:, :, None]
    image = convert_to_tensor(array, dtype="uint8")
    if _as_dtype(dtype) != numpy.dtype("uint8"):
        from learnet.image import convert_image_dtype

        image = convert_image_dtype(image, dtype)
    return image


def decode_png(contents, channels=0, dtype="uint8", name=None):
    """A ``uint8`` image from PNG bytes."""
    return decode_image(contents, channels=channels, dtype=dtype)


def decode_jpeg(
    contents,
    channels=0,
    ratio=1,
    fancy_upscaling=True,
    try_recover_truncated=False,
    acceptable_fraction=1,
    dct_method="",
    name=None,
):
    """A ``uint8`` image from JPEG bytes."""
    return decode_image(contents, channels=channels)


def decode_gif(contents, name=None):
    """The first frame of a GIF as a batch of one RGB image ``(1, height, width, 3)``."""
    image = decode_image(contents, channels=3)
    return convert_to_tensor(image.numpy()[None], dtype="uint8")


def decode_bmp(contents, channels=0, name=None):
    """A ``uint8`` image from BMP bytes."""
    return decode_image(contents, channels=channels)


def encode_png(image, compression=-1, name=None):
    """PNG bytes (a scalar string tensor) of a ``uint8`` image ``(height, width, channels)``."""
    from PIL import Image

    array = to_numpy(convert_to_tensor(image)._value)
    if array.dtype != numpy.uint8 or array.ndim != 3 or array.shape[-1] not in (1, 3, 4):
        raise ValueError(f"encode_png expects a uint8 image (height, width, 1/3/4), got {array.dtype} {array.shape}")
    buffer = _stdlib_io.BytesIO()
    Image.fromarray(array[:, :, 0] if array.shape[-1] == 1 else array).save(buffer, format="PNG")
    return convert_to_tensor(numpy.array(buffer.getvalue(), dtype=object))


def encode_jpeg(
    image,
    format="",  # noqa: A002 - TensorFlow's name
    quality=95,
    progressive=False,
    optimize_size=False,
    chroma_downsampling=True,
    density_unit="in",
    x_density=300,
    y_density=300,
    xmp_metadata="",
    name=None,
):
    """JPEG bytes (a scalar string tensor) of a ``uint8`` image ``(height, width, 1 or 3)``.

    Examples
    --------
    >>> import numpy as np, learnet as tf
    >>> data = tf.io.encode_jpeg(np.full((8, 8, 3), 200, np.uint8))
    >>> tf.io.decode_jpeg(data).shape
    TensorShape([8, 8, 3])
    """
    from PIL import Image

    array = to_numpy(convert_to_tensor(image)._value)
    if array.dtype != numpy.uint8 or array.ndim != 3 or array.shape[-1] not in (1, 3):
        raise ValueError(f"encode_jpeg expects a uint8 image (height, width, 1 or 3), got {array.dtype} {array.shape}")
    if not 0 <= int(quality) <= 100:
        raise ValueError(f"encode_jpeg: quality must be in [0, 100], got {quality}")
    if format not in ("", "grayscale", "rgb"):
        raise ValueError(f"encode_jpeg: format must be '', 'grayscale' or 'rgb', got {format!r}")
    if format == "grayscale" and array.shape[-1] != 1 or format == "rgb" and array.shape[-1] != 3:
        raise ValueError(f"encode_jpeg: format {format!r} does not fit an image of {array.shape[-1]} channel(s)")
    picture = Image.fromarray(array[:, :, 0] if array.shape[-1] == 1 else array)
    buffer = _stdlib_io.BytesIO()
    units = {"in": 1, "cm": 2}.get(density_unit, 1)
    picture.save(
        buffer,
        format="JPEG",
        quality=int(quality),
        progressive=bool(progressive),
        optimize=bool(optimize_size),
        subsampling=2 if chroma_downsampling else 0,
        dpi=(x_density, y_density) if units == 1 else None,
    )
    return convert_to_tensor(numpy.array(buffer.getvalue(), dtype=object))


def decode_csv(
    records, record_defaults, field_delim=",", use_quote_delim=True, na_value="", select_cols=None, name=None
):
    """Split CSV lines into columns: one tensor per column, shaped like ``records``.

    ``record_defaults`` has one entry per column (per selected column with ``select_cols``):
    a value used when the field is empty (its type is the column's: ``0.`` float32, ``0``
    int32, ``""`` string, or a typed tensor), or an empty tensor such as
    ``tf.constant([], dtype=tf.float32)`` for a column that must be present.

    Examples
    --------
    >>> import learnet as tf
    >>> defaults = [0.0, 0.0, tf.constant([], dtype=tf.float32), ""]
    >>> a, b, c, d = tf.io.decode_csv("1.5,,3,cat", record_defaults=defaults)
    >>> [float(a), float(b), float(c)], d.numpy()
    ([1.5, 0.0, 3.0], b'cat')
    """
    import csv

    from learnet import errors

    columns = []
    for index, default in enumerate(record_defaults):
        if isinstance(default, (type, numpy.dtype)):  # a dtype alone (CsvDataset): a required column
            array = numpy.zeros(0, dtype=numpy.dtype(default))
        else:
            array = to_numpy(convert_to_tensor(default)._value)
        kind = array.dtype
        if kind.kind in "SU":
            kind, array = numpy.dtype(object), array.astype(object)
        if kind.kind not in "fiO" or kind.itemsize < 4 and kind.kind == "i":
            raise TypeError(
                f"decode_csv: record_defaults[{index}] must be float32, float64, int32, int64 or string, got {kind}"
            )
        if array.size > 1:
            raise ValueError(f"decode_csv: record_defaults[{index}] must hold one value or none, got {array.size}")
        fallback = None if array.size == 0 else array.reshape(()).item()
        dtype_name = "string" if kind.kind == "O" else kind.name
        columns.append((kind, fallback, dtype_name))
    if not isinstance(field_delim, str) or len(field_delim) != 1:
        raise ValueError(f"decode_csv: field_delim must be one character, got {field_delim!r}")
    wanted = None
    if select_cols is not None:
        wanted = [int(c) for c in select_cols]
        if wanted != sorted(set(wanted)) or (wanted and wanted[0] < 0):
            raise ValueError(f"decode_csv: select_cols must be increasing column indices, got {select_cols!r}")
        if len(wanted) != len(columns):
            raise ValueError(
                f"decode_csv: {len(wanted)} select_cols but {len(columns)} record_defaults; give one default per column"
            )
    lines = to_numpy(convert_to_tensor(records)._value)
    shape = lines.shape
    if isinstance(na_value, bytes):
        na_value = na_value.decode("utf-8")
    outputs = [numpy.empty(len(lines.reshape(-1)), dtype=kind) for kind, _, _ in columns]
    for row, line in enumerate(lines.reshape(-1).tolist()):
        text = line.decode("utf-8") if isinstance(line, bytes) else str(line)
        quoting = csv.QUOTE_MINIMAL if use_quote_delim else csv.QUOTE_NONE
        fields = next(csv.reader([text], delimiter=field_delim, quoting=quoting), [""])
        if wanted is None and len(fields) != len(columns):
            raise errors.InvalidArgumentError(
                None, None, f"decode_csv: expect {len(columns)} fields but have {len(fields)} in record {row}: {text!r}"
            )
        if wanted is not None and wanted and wanted[-1] >= len(fields):
            raise errors.InvalidArgumentError(
                None, None, f"decode_csv: record {row} has {len(fields)} fields, column {wanted[-1]} was selected"
            )
        chosen = fields if wanted is None else [fields[c] for c in wanted]
        for column, (field, (kind, fallback, dtype_name)) in enumerate(zip(chosen, columns)):
            if field == "" or field == na_value:
                if fallback is None:
                    raise errors.InvalidArgumentError(
                        None, None, f"decode_csv: field {column} is required but missing in record {row}: {text!r}"
                    )
                outputs[column][row] = (
                    fallback if kind.kind != "O" or isinstance(fallback, bytes) else str(fallback).encode()
                )
                continue
            try:
                outputs[column][row] = field.encode("utf-8") if kind.kind == "O" else kind.type(field.strip())
            except ValueError:
                raise errors.InvalidArgumentError(
                    None, None, f"decode_csv: field {column} of record {row} is not a valid {dtype_name}: {field!r}"
                ) from None
    return [Tensor(out.reshape(shape)) if out.dtype == object else Tensor._wrap(out.reshape(shape)) for out in outputs]
