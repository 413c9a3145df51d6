"""``tf.strings``: string tensors (``tf.constant("text")``) and their basic operations.

A string tensor holds ``bytes`` (UTF-8), as TensorFlow's do: ``tf.constant("wolf").numpy()``
is ``b'wolf'``. The functions here work elementwise on such tensors (or on Python strings
and lists of them); ``split``, ``bytes_split`` and ``unicode_decode`` return a
``RaggedTensor`` (rows of different lengths).

Examples
--------
>>> import learnet as tf
>>> words = tf.constant(["Gray wolf", "Quick brown fox"])
>>> tf.strings.length(words).numpy().tolist()
[9, 15]
>>> tf.strings.split(words).to_list()
[[b'Gray', b'wolf'], [b'Quick', b'brown', b'fox']]
"""

import re

import numpy

from learnet.backend import to_numpy
from learnet.errors import InvalidArgumentError
from learnet.tensor import Tensor, _as_bytes, convert_to_tensor

__all__ = [
    "as_string",
    "bytes_split",
    "join",
    "length",
    "lower",
    "ngrams",
    "reduce_join",
    "regex_full_match",
    "regex_replace",
    "split",
    "strip",
    "substr",
    "to_number",
    "unicode_decode",
    "unicode_encode",
    "unicode_split",
    "upper",
]


def _ragged_rows(function):
    """Let an elementwise string function take a RaggedTensor of strings (applied to its values)."""
    import functools

    @functools.wraps(function)
    def wrapper(input, *args, **kwargs):  # noqa: A002 - TensorFlow's name
        if type(input).__name__ == "RaggedTensor":
            return input.with_flat_values(function(input.flat_values, *args, **kwargs))
        return function(input, *args, **kwargs)

    return wrapper


def _strings(value, what):
    if _is_ragged(value):
        raise ValueError(
            f"tf.strings.{what} of a RaggedTensor would give a ragged tensor of ragged rank 2, which "
            f"learnet does not have; apply it to rt.flat_values (one row per string) instead"
        )
    tensor = value if isinstance(value, Tensor) else convert_to_tensor(value)
    array = to_numpy(tensor._value)
    if array.dtype != object:
        raise TypeError(f"tf.strings.{what} expects string tensors, got dtype {array.dtype.name}")
    return array


def _map(array, function, dtype=object):
    out = numpy.empty(array.shape, dtype=dtype)
    flat, source = out.reshape(-1), array.reshape(-1)
    for i, item in enumerate(source.tolist()):
        flat[i] = function(item)
    return out


def _text(out):
    return convert_to_tensor(_as_bytes(out), dtype=object) if out.dtype == object else convert_to_tensor(out)


@_ragged_rows
def length(input, unit="BYTE", name=None):  # noqa: A002 - TensorFlow's name
    """The length of each string in bytes (``unit="UTF8_CHAR"``: in characters)."""
    array = _strings(input, "length")
    count = (lambda b: len(b.decode("utf-8"))) if unit == "UTF8_CHAR" else len
    return convert_to_tensor(_map(array, count, dtype="int32"), dtype="int32")


@_ragged_rows
def upper(input, encoding="", name=None):  # noqa: A002
    """Each string in upper case: its ASCII letters, or all its letters with ``encoding="utf-8"``."""
    if not encoding:
        return _text(_map(_strings(input, "upper"), bytes.upper))
    return _text(_map(_strings(input, "upper"), lambda b: b.decode("utf-8").upper().encode("utf-8")))


@_ragged_rows
def lower(input, encoding="", name=None):  # noqa: A002
    """Each string in lower case: its ASCII letters, or all its letters with ``encoding="utf-8"``."""
    if not encoding:
        return _text(_map(_strings(input, "lower"), bytes.lower))
    return _text(_map(_strings(input, "lower"), lambda b: b.decode("utf-8").lower().encode("utf-8")))


@_ragged_rows
def strip(input, name=None):  # noqa: A002
    """Each string without leading and trailing whitespace."""
    return _text(_map(_strings(input, "strip"), bytes.strip))


@_ragged_rows
def substr(input, pos, len, unit="BYTE", name=None):  # noqa: A002 - TensorFlow's names
    """``len`` bytes (or characters) of each string from ``pos``."""
    if unit == "UTF8_CHAR":
        return _text(_map(_strings(input, "substr"), lambda b: b.decode("utf-8")[pos : pos + len].encode("utf-8")))
    return _text(_map(_strings(input, "substr"), lambda b: b[pos : pos + len]))


def _as_text(value):
    """A pattern or rewrite given as text, bytes, or a scalar string tensor, as text (UTF-8)."""
    if isinstance(value, Tensor):
        value = value.numpy()
        value = value.item() if hasattr(value, "item") else value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8")
    if not isinstance(value, str):
        raise TypeError(f"a regular expression must be a string, got {type(value).__name__}")
    return value


@_ragged_rows
def regex_full_match(input, pattern, name=None):  # noqa: A002
    """Whether each whole string matches ``pattern`` (text, bytes or a scalar string tensor)."""
    compiled = re.compile(_as_text(pattern))
    return convert_to_tensor(
        _map(
            _strings(input, "regex_full_match"), lambda b: compiled.fullmatch(b.decode("utf-8")) is not None, dtype=bool
        )
    )


@_ragged_rows
def regex_replace(input, pattern, rewrite, replace_global=True, name=None):  # noqa: A002
    r"""Each string with ``pattern`` replaced by ``rewrite``, in RE2's rewrite syntax as
    TensorFlow reads it: ``\0`` is the whole match, ``\1`` ... ``\9`` the groups, ``\\``
    a backslash (Python's ``re`` would read ``\0`` as a NUL character).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.strings.regex_replace("hola, que tal?", "[.?!,]", r" \0 ").numpy()
    b'hola ,  que tal ? '
    """
    compiled = re.compile(_as_text(pattern))
    count = 0 if replace_global else 1
    replacement = _re2_rewrite(_as_text(rewrite))
    return _text(
        _map(
            _strings(input, "regex_replace"),
            lambda b: compiled.sub(replacement, b.decode("utf-8"), count=count).encode("utf-8"),
        )
    )


def _re2_rewrite(rewrite):
    """A function building RE2's replacement for a match: literal text, and ``\\N`` the N-th group."""
    parts, literal, index = [], "", 0
    while index < len(rewrite):
        char = rewrite[index]
        if char == "\\" and index + 1 < len(rewrite):
            following = rewrite[index + 1]
            if following.isdigit():
                parts.append(literal)
                parts.append(int(following))
                literal, index = "", index + 2
                continue
            if following == "\\":
                literal, index = literal + "\\", index + 2
                continue
            raise ValueError(
                f"regex_replace: invalid rewrite {rewrite!r}: a backslash must be followed by a digit or a backslash"
            )
        literal += char
        index += 1
    parts.append(literal)
    return lambda match: "".join(part if isinstance(part, str) else (match.group(part) or "") for part in parts)


def _is_ragged(value):
    return type(value).__name__ == "RaggedTensor"


def join(inputs, separator="", name=None):
    """Elementwise concatenation of several string tensors.

    Ragged tensors are joined value by value, keeping their rows (they must have the same
    rows; a scalar string is joined to every value), as TensorFlow does.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.strings.join(["wolf", tf.constant(["s", "!"])]).numpy().tolist()
    [b'wolfs', b'wolf!']
    >>> tf.strings.join([tf.ragged.constant([["a", "b"], ["c"]]), "!"]).to_list()
    [[b'a!', b'b!'], [b'c!']]
    """
    ragged = [value for value in inputs if _is_ragged(value)]
    if ragged:
        return _join_ragged(list(inputs), ragged, separator)
    arrays = [_strings(value, "join") for value in inputs]
    joined = numpy.broadcast_arrays(*arrays)
    out = numpy.empty(joined[0].shape, dtype=object)
    sep = separator.encode("utf-8")
    for index in numpy.ndindex(out.shape):
        out[index] = sep.join(part[index] for part in joined)
    return _text(out)


def _join_ragged(inputs, ragged, separator):
    """``join`` of inputs among which are ragged tensors: their values joined, their rows kept."""
    splits = to_numpy(ragged[0].row_splits._value)
    for other in ragged[1:]:
        if not numpy.array_equal(to_numpy(other.row_splits._value), splits):
            raise ValueError(
                f"tf.strings.join: ragged inputs must have the same rows, got row lengths "
                f"{numpy.diff(splits).tolist()} and {numpy.diff(to_numpy(other.row_splits._value)).tolist()}"
            )
    values = []
    for value in inputs:
        if _is_ragged(value):
            values.append(value.flat_values)
            continue
        array = _strings(value, "join")
        if array.ndim != 0:
            raise ValueError(
                f"tf.strings.join: a dense input joined to ragged tensors must be a single string, got shape "
                f"{array.shape}"
            )
        values.append(value)
    return ragged[0].with_flat_values(join(values, separator))


def reduce_join(inputs, axis=None, keepdims=False, separator="", name=None):
    """Join the strings along ``axis`` (all of them when None), with ``separator`` between them.

    A ``RaggedTensor`` of strings (rows of different lengths) joins each row along its
    ragged axis (``axis=-1`` or ``1``), or the values of each column over the rows that
    have one (``axis=0``), as TensorFlow does.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.strings.reduce_join([["a", "b"], ["c", "d"]], axis=1).numpy().tolist()
    [b'ab', b'cd']
    >>> chars = tf.strings.unicode_split(["abcdefg", "xyz"], "UTF-8")
    >>> tf.strings.reduce_join(chars, axis=-1).numpy().tolist()
    [b'abcdefg', b'xyz']
    """
    sep = separator.encode("utf-8")
    if _is_ragged(inputs):
        return _reduce_join_ragged(inputs, axis, keepdims, sep)
    array = _strings(inputs, "reduce_join")
    if axis is None:
        joined = numpy.array(sep.join(array.reshape(-1).tolist()), dtype=object)
        return _text(joined.reshape((1,) * array.ndim) if keepdims else joined)
    moved = numpy.moveaxis(array, axis, -1)
    out = numpy.empty(moved.shape[:-1], dtype=object)
    for index in numpy.ndindex(out.shape):
        out[index] = sep.join(moved[index].tolist())
    if keepdims:
        out = numpy.expand_dims(out, axis)
    return _text(out)


def _reduce_join_ragged(rt, axis, keepdims, sep):
    """``reduce_join`` of a RaggedTensor of strings (rows of different lengths)."""
    values = _strings(rt.flat_values, "reduce_join")
    if values.ndim != 1:
        raise ValueError(
            f"tf.strings.reduce_join: a RaggedTensor of strings must have rows of single strings, "
            f"got values of shape {values.shape}"
        )
    splits = to_numpy(rt.row_splits._value).astype(numpy.int64)
    strings = values.tolist()
    if axis is None:
        joined = numpy.array(sep.join(strings), dtype=object)
        return _text(joined.reshape(1, 1) if keepdims else joined)
    if isinstance(axis, bool) or not isinstance(axis, (int, numpy.integer)) or not -2 <= axis < 2:
        raise ValueError(f"tf.strings.reduce_join: axis={axis!r} out of bounds: expected -2<=axis<2")
    if axis % 2 == 1:  # along each row
        joined = [sep.join(strings[start:stop]) for start, stop in zip(splits[:-1].tolist(), splits[1:].tolist())]
        out = numpy.empty(len(joined), dtype=object)
        out[:] = joined
        return _text(out[:, None] if keepdims else out)
    # axis 0: the i-th value of every row that has one, joined in row order.
    lengths = numpy.diff(splits)
    column = numpy.arange(len(strings)) - numpy.repeat(splits[:-1], lengths)
    order = numpy.argsort(column, kind="stable")
    counts = numpy.bincount(column, minlength=int(lengths.max(initial=0)))
    ends = numpy.cumsum(counts)
    in_order = [strings[i] for i in order.tolist()]
    out = numpy.empty(len(counts), dtype=object)
    out[:] = [sep.join(in_order[stop - count : stop]) for count, stop in zip(counts.tolist(), ends.tolist())]
    return _text(out[None, :] if keepdims else out)


@_ragged_rows
def to_number(string_tensor, out_type="float32", name=None):
    """Each string parsed as a number of ``out_type``."""
    array = _strings(string_tensor, "to_number")
    kind = numpy.dtype(out_type).kind
    try:
        values = _map(array, (lambda b: float(b)) if kind == "f" else (lambda b: int(b)), dtype=out_type)
    except ValueError as error:
        raise ValueError(f"tf.strings.to_number: {error}") from None
    return convert_to_tensor(values, dtype=out_type)


@_ragged_rows
def as_string(input, precision=-1, name=None):  # noqa: A002
    """Each number written as a string (``precision`` digits after the point for floats)."""
    tensor = input if isinstance(input, Tensor) else convert_to_tensor(input)
    array = tensor.numpy()
    if array.dtype.kind == "f":
        fmt = (lambda v: f"{v:.{precision}f}") if precision >= 0 else (lambda v: f"{v:f}")
    else:
        fmt = str
    return _text(_map(array, lambda v: fmt(v).encode("utf-8")))


def _ragged(rows, dtype=None):
    from learnet.ragged import RaggedTensor

    flat = [item for row in rows for item in row]
    if dtype is None:
        values = (
            convert_to_tensor(_as_bytes(numpy.array(flat, dtype=object)))
            if flat
            else convert_to_tensor(numpy.empty(0, dtype=object), dtype=object)  # no strings at all
        )
    else:
        values = convert_to_tensor(numpy.asarray(flat, dtype=dtype), dtype=dtype)
    return RaggedTensor.from_row_lengths(values, [len(row) for row in rows])


def split(input, sep=None, maxsplit=-1, name=None):  # noqa: A002
    """Split each string at ``sep`` (whitespace by default): a ragged tensor for a vector of strings."""
    array = _strings(input, "split")
    separator = None if sep is None else _as_text(sep).encode("utf-8")  # text, bytes or a string tensor

    def cut(b):
        return b.split(separator, maxsplit) if maxsplit >= 0 else b.split(separator)

    if array.ndim == 0:
        return _text(numpy.array(cut(array.item()), dtype=object))
    if array.ndim != 1:
        raise ValueError(f"tf.strings.split expects a scalar or a vector of strings, got rank {array.ndim}")
    return _ragged([cut(b) for b in array.tolist()])


def ngrams(
    data, ngram_width, separator=" ", pad_values=None, padding_width=None, preserve_short_sequences=False, name=None
):
    """The n-grams of each row of tokens: every ``ngram_width`` neighbouring tokens, joined by ``separator``.

    Parameters
    ----------
    data : string tensor (rank >= 1) or RaggedTensor of strings
        Tokens along the last axis (``tf.strings.split(texts)``: one row of words per text).
    ngram_width : int or sequence of ints
        The width of the n-grams; several widths give each row's n-grams of each width in turn.
    separator : str, default " "
    pad_values : str or (str, str), optional
        Tokens added before (and after) each row, so that its first and last tokens start and
        end n-grams too. Without them no padding is added.
    padding_width : int, optional
        How many pad tokens go on each side (``ngram_width - 1`` by default, never more).
    preserve_short_sequences : bool, default False
        A non-empty row too short for any n-gram gives one n-gram of all its (padded) tokens.

    Returns
    -------
    A RaggedTensor of n-grams for a RaggedTensor; a string tensor for a tensor, whose last
    axis holds each row's n-grams.

    Raises
    ------
    ValueError
        A width below 1, ``padding_width`` without ``pad_values``, or a scalar ``data``.
    InvalidArgumentError
        ``padding_width`` below 1.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.strings.ngrams(tf.strings.split(["a b c", "d"]), 2).to_list()
    [[b'a b', b'b c'], []]
    >>> tf.strings.ngrams(tf.constant(["a", "b"]), 2, pad_values="#").numpy().tolist()
    [b'# a', b'a b', b'b #']
    """
    widths = list(ngram_width) if isinstance(ngram_width, (list, tuple)) else [ngram_width]
    for width in widths:
        if isinstance(width, bool) or not isinstance(width, (int, numpy.integer)) or width < 1:
            raise ValueError(f"tf.strings.ngrams: all ngram_widths must be ints greater than 0, got {width!r}")
    if padding_width is not None and pad_values is None:
        raise ValueError("tf.strings.ngrams: pad_values must be provided if padding_width is set")
    if padding_width is not None and padding_width < 1:
        raise InvalidArgumentError(None, None, f"tf.strings.ngrams: padding_width must be > 0, got {padding_width}")
    if pad_values is None:
        left = right = b""
    elif isinstance(pad_values, (list, tuple)):
        if len(pad_values) != 2:
            raise ValueError(f"tf.strings.ngrams: pad_values must be a string or a pair of strings, got {pad_values!r}")
        left, right = (_as_text(value).encode("utf-8") for value in pad_values)
    else:
        left = right = _as_text(pad_values).encode("utf-8")
    joiner = _as_text(separator).encode("utf-8")

    def pads(width):
        if pad_values is None:
            return 0
        return min(width - 1 if padding_width is None else padding_width, width - 1)

    def grams(tokens):
        out = []
        for width in widths:
            padded = [left] * pads(width) + tokens + [right] * pads(width)
            out += [joiner.join(padded[i : i + width]) for i in range(len(padded) - width + 1)]
        if preserve_short_sequences and tokens and not out:
            around = (padding_width or 0) if pad_values is not None else 0
            out = [joiner.join([left] * around + tokens + [right] * around)]
        return out

    if _is_ragged(data):
        if data.flat_values.ndim != 1:
            raise ValueError("tf.strings.ngrams: a RaggedTensor's rows must hold single tokens")
        _strings(data.flat_values, "ngrams")  # the tokens must be text
        return _ragged([grams(row) for row in data.to_list()])
    array = _strings(data, "ngrams")
    if array.ndim == 0:
        raise ValueError("tf.strings.ngrams: data must have rank > 0, got a scalar")
    rows = array.reshape(-1, array.shape[-1]).tolist()
    count = len(grams([b""] * array.shape[-1]))  # every row has the same length: the same count
    out = numpy.empty((len(rows), count), dtype=object)
    for i, row in enumerate(rows):
        out[i, :] = grams(row)
    return _text(out.reshape(array.shape[:-1] + (count,)))


def bytes_split(input, name=None):  # noqa: A002
    """Each string cut into single bytes."""
    array = _strings(input, "bytes_split")
    pieces = lambda b: [bytes([c]) for c in b]  # noqa: E731
    if array.ndim == 0:
        return _text(numpy.array(pieces(array.item()), dtype=object))
    return _ragged([pieces(b) for b in array.tolist()])


def unicode_split(input, input_encoding="UTF-8", errors="replace", name=None):  # noqa: A002
    """Each string cut into its characters (as UTF-8 bytes)."""
    array = _strings(input, "unicode_split")
    chars = lambda b: [c.encode("utf-8") for c in b.decode("utf-8")]  # noqa: E731
    if array.ndim == 0:
        return _text(numpy.array(chars(array.item()), dtype=object))
    return _ragged([chars(b) for b in array.tolist()])


def unicode_decode(input, input_encoding="UTF-8", errors="replace", name=None):  # noqa: A002
    """The Unicode code points of each string (int32; ragged for a vector of strings)."""
    array = _strings(input, "unicode_decode")
    points = lambda b: [ord(c) for c in b.decode(input_encoding.lower(), errors=errors)]  # noqa: E731
    if array.ndim == 0:
        return convert_to_tensor(numpy.asarray(points(array.item()), dtype="int32"), dtype="int32")
    return _ragged([points(b) for b in array.tolist()], dtype="int32")


def unicode_encode(input, output_encoding="UTF-8", errors="replace", name=None):  # noqa: A002
    """Code points (a vector, or a RaggedTensor of rows) back into strings."""
    from learnet.ragged import RaggedTensor

    def encode(points):
        return "".join(chr(int(p)) for p in points).encode(output_encoding.lower())

    if isinstance(input, RaggedTensor):
        return _text(numpy.array([encode(row) for row in input.to_list()], dtype=object))
    array = numpy.asarray(input.numpy() if isinstance(input, Tensor) else input)
    if array.ndim == 1:
        return _text(numpy.array(encode(array.tolist()), dtype=object))
    return _text(numpy.array([encode(row) for row in array.tolist()], dtype=object))
