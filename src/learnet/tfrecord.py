"""TFRecord files: ``tf.io.TFRecordWriter``, ``tf.io.TFRecordOptions`` and ``tf.data.TFRecordDataset``.

A TFRecord file is a sequence of binary records, each framed as TensorFlow frames it::

    uint64 length                   (little-endian)
    uint32 masked CRC32C of length
    byte   data[length]
    uint32 masked CRC32C of data

so the files learnet writes are byte for byte those TensorFlow writes, and each reads
the other's. The whole stream may be compressed with ``"GZIP"`` or ``"ZLIB"``, with
TensorFlow's zlib settings (level 6, 15 window bits, memory level 9), so a compressed
file is TensorFlow's bytes too wherever zlib is the same. Reading checks both
checksums of every record and refuses a corrupt or truncated file, naming the file and
the offset of the bad record.

The CRC32C (Castagnoli) checksum is table-driven and vectorized with NumPy: many records
(or the blocks of a long one) are checked at once, and the partial checksums of blocks
are joined with the linear map that runs a checksum register over a run of zero bytes.

Examples
--------
>>> import learnet as tf, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "data.tfrecord")
>>> with tf.io.TFRecordWriter(path) as writer:
...     writer.write(b"first record")
...     writer.write(b"second")
>>> [record.numpy() for record in tf.data.TFRecordDataset(path)]
[b'first record', b'second']
"""

import collections
import os
import struct
import zlib

import numpy

from learnet import errors
from learnet.control import TensorSpec
from learnet.tensor import Tensor

__all__ = ["TFRecordDataset", "TFRecordOptions", "TFRecordWriter", "crc32c", "masked_crc32c"]

AUTOTUNE = -1

# --- CRC32C -------------------------------------------------------------------------------------
_POLYNOMIAL = 0x82F63B78  # Castagnoli, bit-reflected
_MASK_DELTA = 0xA282EAD8
_ALL_ONES = numpy.uint32(0xFFFFFFFF)


def _byte_table():
    table = numpy.arange(256, dtype=numpy.uint32)
    for _ in range(8):
        table = numpy.where(table & 1, (table >> 1) ^ numpy.uint32(_POLYNOMIAL), table >> 1).astype(numpy.uint32)
    return table


_TABLE = _byte_table()
_TABLE_LIST = [int(value) for value in _TABLE]
_BASIS = numpy.uint32(1) << numpy.arange(32, dtype=numpy.uint32)
_BYTE_BITS = ((numpy.arange(256)[:, None] >> numpy.arange(8)) & 1).astype(bool)
_SHIFT_TABLES: dict[int, numpy.ndarray] = {}


def _apply(tables, registers):
    """A linear map of registers, given as four byte tables (one per byte of the register)."""
    return (
        tables[0][registers & 0xFF]
        ^ tables[1][(registers >> 8) & 0xFF]
        ^ tables[2][(registers >> 16) & 0xFF]
        ^ tables[3][registers >> 24]
    )


def _zero_run(span):
    """The byte tables of the map that runs a register over ``span`` zero bytes (a power of two)."""
    tables = _SHIFT_TABLES.get(span)
    if tables is None:
        if span == 1:
            columns = _TABLE[_BASIS & 0xFF] ^ (_BASIS >> 8)
        else:
            half = _zero_run(span // 2)
            columns = _apply(half, _apply(half, _BASIS))
        tables = numpy.stack(
            [
                numpy.bitwise_xor.reduce(numpy.where(_BYTE_BITS, columns[8 * i : 8 * i + 8], numpy.uint32(0)), axis=1)
                for i in range(4)
            ]
        ).astype(numpy.uint32)
        _SHIFT_TABLES[span] = tables
    return tables


# Four bytes XORed into a register and run through it are the register's run over four
# zero bytes: one lookup in each half of these two 16-bit tables.
_FOUR = _zero_run(4)
_HALF = numpy.arange(65536, dtype=numpy.uint32)
_WORD_LOW = _FOUR[0][_HALF & 0xFF] ^ _FOUR[1][_HALF >> 8]
_WORD_HIGH = _FOUR[2][_HALF & 0xFF] ^ _FOUR[3][_HALF >> 8]
del _HALF

_SMALL = 2048  # below this many bytes in all, a plain Python loop is quicker than NumPy's calls


def _crc_loop(data):
    crc = 0xFFFFFFFF
    table = _TABLE_LIST
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _run_zeros(registers, lengths):
    """Each register run over its own number of zero bytes (binary powers of two, all at once)."""
    registers = registers.copy()
    bit = 0
    while (lengths >> bit).any():
        on = ((lengths >> bit) & 1).astype(bool)
        if on.any():
            registers[on] = _apply(_zero_run(1 << bit), registers[on])
        bit += 1
    return registers


def _crc32c_many(chunks):
    """The CRC32C of each bytes-like object in ``chunks``, as a ``uint32`` array.

    Each chunk is cut into blocks of ``block`` bytes, padded with zeros in front (zero
    bytes leave a register that starts at 0 unchanged); one NumPy pass per word of a block
    runs every block at once, and neighbouring blocks are then joined pairwise, level by
    level. The checksum is linear, so the initial value 0xFFFFFFFF is added at the end:
    run over as many zero bytes as the chunk has.
    """
    count = len(chunks)
    lengths = numpy.fromiter(map(len, chunks), dtype=numpy.int64, count=count)
    if int(lengths.sum()) <= _SMALL:
        return numpy.array([_crc_loop(chunk) for chunk in chunks], dtype=numpy.uint32)
    block = 8
    median = int(numpy.median(lengths))
    while block < median and block < 256:
        block *= 2
    blocks = -(-lengths // block)
    zeros = bytes(block)
    parts = []
    for pad, chunk in zip((blocks * block - lengths).tolist(), chunks):
        if pad:
            parts.append(zeros[:pad])
        parts.append(chunk)
    rows = int(blocks.sum())
    words = numpy.frombuffer(b"".join(parts), dtype="<u4").reshape(rows, block // 4).T.copy()
    crc = numpy.zeros(rows, dtype=numpy.uint32)
    for column in words:
        crc ^= column
        crc = _WORD_LOW[crc & 0xFFFF] ^ _WORD_HIGH[crc >> 16]
    counts, span = blocks, block
    while counts.max() > 1:
        # An odd count gets a zero block in front, then each pair (left, right) becomes
        # left run over the right block's span of zeros, XOR right.
        odd = counts & 1
        padded_counts = counts + odd
        owner = numpy.repeat(numpy.arange(count), counts)
        moved = (numpy.cumsum(padded_counts) - padded_counts + odd) - (numpy.cumsum(counts) - counts)
        padded = numpy.zeros(int(padded_counts.sum()), dtype=numpy.uint32)
        padded[numpy.arange(crc.size) + moved[owner]] = crc
        pairs = padded.reshape(-1, 2)
        crc = _apply(_zero_run(span), pairs[:, 0]) ^ pairs[:, 1]
        counts, span = padded_counts // 2, span * 2
    raw = numpy.zeros(count, dtype=numpy.uint32)
    raw[blocks > 0] = crc
    return raw ^ _run_zeros(numpy.full(count, _ALL_ONES), lengths) ^ _ALL_ONES


def crc32c(data):
    """The CRC32C (Castagnoli) checksum of ``data`` (bytes), as an ``int``.

    Examples
    --------
    >>> hex(crc32c(b"123456789"))
    '0xe3069283'
    """
    return int(_crc32c_many([data])[0])


def _mask(crc):
    """The masked checksums of a ``uint32`` array (the sum wraps around, as in uint32 arithmetic)."""
    return ((crc >> 15) | (crc << 17)) + numpy.uint32(_MASK_DELTA)


def _mask_int(crc):
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def masked_crc32c(data):
    """The masked CRC32C a TFRecord frame stores: ``((crc >> 15) | (crc << 17)) + 0xa282ead8``.

    Examples
    --------
    >>> hex(masked_crc32c(b""))
    '0xa282ead8'
    """
    return _mask_int(crc32c(data))


class _LengthChecksums:
    """The masked CRC of each length field, remembered: records of a file often share a length."""

    def __init__(self, limit=4096):
        self._known = collections.OrderedDict()
        self._limit = limit

    def __call__(self, length_bytes):
        value = self._known.get(length_bytes)
        if value is None:
            value = _mask_int(_crc_loop(length_bytes))
            self._known[length_bytes] = value
            if len(self._known) > self._limit:
                self._known.popitem(last=False)
        return value


_length_checksum = _LengthChecksums()


# --- options ----------------------------------------------------------------------------------------
_COMPRESSIONS = {None: "", "": "", "ZLIB": "ZLIB", "GZIP": "GZIP", 0: "", 1: "ZLIB", 2: "GZIP"}


def _compression(value, where):
    if isinstance(value, Tensor):
        value = value.numpy()
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, TFRecordOptions):
        return value.compression_type
    if isinstance(value, bool) or not isinstance(value, (str, int, type(None))) or value not in _COMPRESSIONS:
        hint = (
            " (upper case, as TensorFlow spells them)"
            if isinstance(value, str) and value.upper() in _COMPRESSIONS
            else ""
        )
        raise errors.InvalidArgumentError(
            None, None, f'{where}: compression_type must be "GZIP", "ZLIB" or "" (none){hint}, got {value!r}'
        )
    return _COMPRESSIONS[value]


class TFRecordOptions:
    """How a TFRecord file is compressed: ``TFRecordOptions(compression_type="GZIP")``.

    ``compression_type`` is ``"GZIP"``, ``"ZLIB"`` or ``""``/``None`` (none). The zlib
    settings default to TensorFlow's (level 6, 15 window bits, memory level 9), so a
    compressed file is the same bytes TensorFlow writes.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.io.TFRecordOptions(compression_type="GZIP").compression_type
    'GZIP'
    >>> tf.io.TFRecordOptions.get_compression_type_string("ZLIB")
    'ZLIB'
    """

    compression_type_map = {0: "", 1: "ZLIB", 2: "GZIP"}

    def __init__(
        self,
        compression_type=None,
        flush_mode=None,
        input_buffer_size=None,
        output_buffer_size=None,
        window_bits=None,
        compression_level=None,
        compression_method=None,
        mem_level=None,
        compression_strategy=None,
    ):
        self.compression_type = _compression(compression_type, "TFRecordOptions")
        self.flush_mode = flush_mode
        self.input_buffer_size = input_buffer_size
        self.output_buffer_size = output_buffer_size
        self.window_bits = window_bits
        self.compression_level = compression_level
        self.compression_method = compression_method
        self.mem_level = mem_level
        self.compression_strategy = compression_strategy
        if compression_level is not None and not -1 <= int(compression_level) <= 9:
            raise errors.InvalidArgumentError(
                None, None, f"TFRecordOptions: compression_level must be -1 to 9, got {compression_level}"
            )
        if window_bits is not None and not 8 <= int(window_bits) <= 15:
            raise errors.InvalidArgumentError(
                None, None, f"TFRecordOptions: window_bits must be 8 to 15, got {window_bits}"
            )
        if mem_level is not None and not 1 <= int(mem_level) <= 9:
            raise errors.InvalidArgumentError(None, None, f"TFRecordOptions: mem_level must be 1 to 9, got {mem_level}")

    @classmethod
    def get_compression_type_string(cls, options):
        """``"GZIP"``, ``"ZLIB"`` or ``""`` for options, a compression name, or ``None``."""
        return _compression(options, "TFRecordOptions.get_compression_type_string")

    def _compressor(self):
        if not self.compression_type:
            return None
        window = 15 if self.window_bits is None else int(self.window_bits)
        return zlib.compressobj(
            -1 if self.compression_level is None else int(self.compression_level),
            zlib.DEFLATED if self.compression_method is None else int(self.compression_method),
            window + 16 if self.compression_type == "GZIP" else window,
            9 if self.mem_level is None else int(self.mem_level),
            zlib.Z_DEFAULT_STRATEGY if self.compression_strategy is None else int(self.compression_strategy),
        )

    def __repr__(self):
        return f"TFRecordOptions(compression_type={self.compression_type!r})"


# --- writing ----------------------------------------------------------------------------------------
def _path(path, where):
    if isinstance(path, Tensor):
        path = path.numpy()
    if isinstance(path, numpy.ndarray) and path.ndim == 0:
        path = path.item()
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"{where} expects a file name (a string), got {type(path).__name__}")
    return os.fsdecode(path)


def _record_bytes(record):
    if isinstance(record, Tensor):
        record = record.numpy()
    if isinstance(record, numpy.ndarray) and record.ndim == 0:
        record = record.item()
    if isinstance(record, (bytes, numpy.bytes_)):
        return bytes(record)
    if isinstance(record, (bytearray, memoryview)):
        return bytes(record)
    if isinstance(record, str):
        return record.encode("utf-8")
    hint = " (call its SerializeToString())" if hasattr(record, "SerializeToString") else ""
    raise TypeError(f"TFRecordWriter.write expects bytes{hint}, got {type(record).__name__}")


class TFRecordWriter:
    """Write records (``bytes``) to a TFRecord file: ``tf.io.TFRecordWriter(path, options=None)``.

    ``options`` is a :class:`TFRecordOptions` or a compression name (``"GZIP"``,
    ``"ZLIB"``, ``""``). The file is created (or emptied) at once; records are framed in
    batches and reach the file by ``flush()`` and ``close()`` (and leaving the ``with``
    block), at the latest.

    Examples
    --------
    >>> import learnet as tf, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "small.tfrecord.gz")
    >>> with tf.io.TFRecordWriter(path, options="GZIP") as writer:
    ...     for number in range(3):
    ...         writer.write(str(number).encode())
    >>> [r.numpy() for r in tf.data.TFRecordDataset(path, compression_type="GZIP")]
    [b'0', b'1', b'2']
    """

    _BATCH_BYTES = 1 << 20
    _BATCH_RECORDS = 4096

    def __init__(self, path, options=None):
        self._options = options if isinstance(options, TFRecordOptions) else TFRecordOptions(options)
        self._path = _path(path, "TFRecordWriter")
        try:
            self._file = open(self._path, "wb")  # noqa: SIM115 - closed by close()
        except FileNotFoundError as error:
            raise errors.NotFoundError(
                None, None, f"TFRecordWriter: cannot create {self._path!r}: {error.strerror}"
            ) from error
        self._compressor = self._options._compressor()
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._closed = False

    def write(self, record):
        """Append one record (``bytes``, a ``str`` as UTF-8, or a scalar string tensor)."""
        if self._closed:
            raise errors.FailedPreconditionError(None, None, f"TFRecordWriter for {self._path!r}: the writer is closed")
        data = _record_bytes(record)
        self._pending.append(data)
        self._pending_bytes += len(data)
        if self._pending_bytes >= self._BATCH_BYTES or len(self._pending) >= self._BATCH_RECORDS:
            self._drain()

    def _drain(self):
        if not self._pending:
            return
        checksums = _mask(_crc32c_many(self._pending)).tolist()
        frames = []
        for data, checksum in zip(self._pending, checksums):
            length = struct.pack("<Q", len(data))
            frames.append(length + struct.pack("<I", _length_checksum(length)))
            frames.append(data)
            frames.append(struct.pack("<I", checksum))
        self._pending, self._pending_bytes = [], 0
        payload = b"".join(frames)
        if self._compressor is not None:
            payload = self._compressor.compress(payload)
        self._file.write(payload)

    def flush(self):
        """Write the records so far to the file (a compressed stream writes what zlib has ready)."""
        if self._closed:
            raise errors.FailedPreconditionError(None, None, f"TFRecordWriter for {self._path!r}: the writer is closed")
        self._drain()
        if self._compressor is not None and self._options.flush_mode in (zlib.Z_SYNC_FLUSH, zlib.Z_FULL_FLUSH):
            self._file.write(self._compressor.flush(self._options.flush_mode))
        self._file.flush()

    def close(self):
        """Write what is left, end the compressed stream and close the file (a second close does nothing)."""
        if self._closed:
            return
        try:
            self._drain()
            if self._compressor is not None:
                self._file.write(self._compressor.flush())
        finally:
            self._closed = True
            self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __del__(self):
        if not getattr(self, "_closed", True):
            self.close()

    def __repr__(self):
        state = "closed" if self._closed else "open"
        return f"<TFRecordWriter {self._path!r} ({state}, compression {self._options.compression_type!r})>"


# --- reading ----------------------------------------------------------------------------------------
class _Inflating:
    """A readable stream of the decompressed bytes of a GZIP or ZLIB file (concatenated streams too)."""

    def __init__(self, stream, compression, path, chunk):
        self._stream = stream
        self._wbits = 31 if compression == "GZIP" else 15
        self._path = path
        self._chunk = chunk
        self._inflater = zlib.decompressobj(self._wbits)
        self._buffer = bytearray()
        self._position = 0
        self._started = False
        self._done = False

    def _fill(self, wanted):
        while len(self._buffer) - self._position < wanted and not self._done:
            if self._inflater.eof:
                compressed = self._inflater.unused_data or self._stream.read(self._chunk)
                if not compressed:
                    self._done = True
                    break
                self._inflater = zlib.decompressobj(self._wbits)
            else:
                compressed = self._inflater.unconsumed_tail or self._stream.read(self._chunk)
                if not compressed:
                    if not self._started:  # an empty file holds no records
                        self._done = True
                        break
                    raise errors.DataLossError(
                        None, None, f"{self._path!r}: the compressed stream ends before its end (truncated file)"
                    )
            self._started = True
            try:
                self._buffer += self._inflater.decompress(compressed, max(wanted, 4 * self._chunk))
            except zlib.error as error:
                raise errors.DataLossError(None, None, f"{self._path!r}: corrupt compressed data ({error})") from error

    def read(self, size):
        self._fill(size)
        data = bytes(self._buffer[self._position : self._position + size])
        self._position += len(data)
        if self._position > (1 << 20) and 2 * self._position > len(self._buffer):
            del self._buffer[: self._position]
            self._position = 0
        return data

    def close(self):
        self._stream.close()


def _open(path, compression, buffer_size):
    try:
        stream = open(path, "rb", buffering=buffer_size or -1)  # noqa: SIM115 - closed by the reader
    except FileNotFoundError as error:
        raise errors.NotFoundError(None, None, f"TFRecordDataset: no file {path!r}") from error
    if compression:
        return _Inflating(stream, compression, path, buffer_size or (256 << 10))
    return stream


def _read_exact(stream, size):
    """``size`` bytes, read in pieces so a (corrupt) huge length does not allocate at once."""
    if size <= (64 << 20):
        return stream.read(size)
    pieces = []
    while size > 0:
        piece = stream.read(min(size, 64 << 20))
        if not piece:
            break
        pieces.append(piece)
        size -= len(piece)
    return b"".join(pieces)


def _truncated(path, offset, what):
    return errors.DataLossError(
        None, None, f"truncated record at offset {offset} of {path!r}: the file ends inside the record's {what}"
    )


def _read_records(path, compression="", buffer_size=None):
    """The records of one TFRecord file, each checked against both of its checksums.

    Checksums of data are checked in batches; the records before a bad one are given,
    then ``DataLossError`` names the file and the offset (in the uncompressed stream)
    of the bad record.
    """
    stream = _open(path, compression, buffer_size)
    try:
        offset = 0
        while True:
            batch = []
            batch_bytes = 0
            ended = False
            while batch_bytes < (1 << 20) and len(batch) < 4096:
                header = stream.read(12)
                if not header:
                    ended = True
                    break
                if len(header) < 12:
                    raise _truncated(path, offset, "length")
                length_bytes = header[:8]
                (stored,) = struct.unpack("<I", header[8:])
                if _length_checksum(length_bytes) != stored:
                    raise errors.DataLossError(
                        None,
                        None,
                        f"corrupted record at offset {offset} of {path!r}: the checksum of its length does not match",
                    )
                (length,) = struct.unpack("<Q", length_bytes)
                data = _read_exact(stream, length)
                if len(data) < length:
                    raise _truncated(path, offset, f"data ({len(data)} of {length} bytes)")
                footer = stream.read(4)
                if len(footer) < 4:
                    raise _truncated(path, offset, "data checksum")
                batch.append((offset, data, struct.unpack("<I", footer)[0]))
                batch_bytes += length
                offset += 16 + length
            if batch:
                computed = _mask(_crc32c_many([data for _, data, _ in batch])).tolist()
                for (start, data, stored), checksum in zip(batch, computed):
                    if checksum != stored:
                        raise errors.DataLossError(
                            None,
                            None,
                            f"corrupted record at offset {start} of {path!r}: the checksum of its "
                            f"{len(data)} bytes of data does not match (file damaged or not a TFRecord file)",
                        )
                    yield data
            if ended:
                return
    finally:
        stream.close()


def _interleave(sources, cycle_length, open_source):
    """TensorFlow's deterministic ``interleave`` with ``block_length=1``: one element from each
    open source in turn; a finished source's slot takes the next source when its turn comes."""
    sources = iter(sources)
    slots: list = [None] * cycle_length
    open_count = 0
    index = 0
    no_more_sources = False
    while not no_more_sources or open_count:
        if slots[index] is not None:
            try:
                element = next(slots[index])
            except StopIteration:
                slots[index] = None
                open_count -= 1
                index = (index + 1) % cycle_length
                continue
            yield element
            index = (index + 1) % cycle_length
        elif not no_more_sources:
            try:
                slots[index] = open_source(next(sources))
                open_count += 1
            except StopIteration:
                no_more_sources = True
        else:
            index = (index + 1) % cycle_length


def _file_names(filenames):
    """The file names as a list of ``str``, or a function giving them per pass (a dataset of names)."""
    if hasattr(filenames, "as_numpy_iterator") and hasattr(filenames, "element_spec"):
        source = filenames

        def names():
            for name in source.as_numpy_iterator():
                yield _path(name, "TFRecordDataset")

        return None, names
    if isinstance(filenames, Tensor):
        filenames = filenames.numpy()
    if isinstance(filenames, numpy.ndarray):
        if filenames.ndim > 1:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"TFRecordDataset: filenames must be a string or a list of strings, got shape {filenames.shape}",
            )
        filenames = filenames.tolist() if filenames.ndim else [filenames.item()]
    if isinstance(filenames, (str, bytes, os.PathLike)):
        filenames = [filenames]
    if not isinstance(filenames, (list, tuple)):
        raise TypeError(
            f"TFRecordDataset: filenames must be a string or a list of strings, got {type(filenames).__name__}"
        )
    names = [_path(name, "TFRecordDataset") for name in filenames]
    for name in names:
        if not os.path.isfile(name):
            raise errors.NotFoundError(None, None, f"TFRecordDataset: no file {name!r}")
    return names, None


def TFRecordDataset(filenames, compression_type=None, buffer_size=None, num_parallel_reads=None, name=None):  # noqa: N802 - TF's name
    """The records of TFRecord files, one scalar string tensor (``bytes``) per record.

    Parameters
    ----------
    filenames : str, list of str, string tensor, or a ``Dataset`` of file names
        The files, read one after another.
    compression_type : {None, "", "ZLIB", "GZIP"}
        How the files are compressed.
    buffer_size : int, optional
        Bytes to read from a file at a time.
    num_parallel_reads : int or ``tf.data.AUTOTUNE``, optional
        Read this many files in turn, one record from each (TensorFlow's deterministic
        order: ``interleave`` with ``cycle_length=num_parallel_reads``, ``block_length=1``).

    Every record is checked against its checksums; a damaged or truncated file raises
    ``tf.errors.DataLossError`` naming the file and the offset of the record.

    Examples
    --------
    >>> import learnet as tf, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "numbers.tfrecord")
    >>> with tf.io.TFRecordWriter(path) as writer:
    ...     for number in range(5):
    ...         writer.write(bytes([number]))
    >>> ds = tf.data.TFRecordDataset([path]).map(lambda r: tf.io.decode_raw(r, tf.uint8)[0]).batch(2)
    >>> [batch.numpy().tolist() for batch in ds]
    [[0, 1], [2, 3], [4]]
    """
    from learnet.data import Dataset

    compression = _compression(compression_type, "TFRecordDataset")
    if buffer_size is not None and (isinstance(buffer_size, bool) or int(buffer_size) < 0):
        raise errors.InvalidArgumentError(None, None, f"TFRecordDataset: buffer_size must be >= 0, got {buffer_size!r}")
    buffer = None if buffer_size is None else int(buffer_size)
    if num_parallel_reads is None:
        cycle = 1
    elif isinstance(num_parallel_reads, bool) or (int(num_parallel_reads) < 1 and int(num_parallel_reads) != AUTOTUNE):
        raise errors.InvalidArgumentError(
            None,
            None,
            f"TFRecordDataset: num_parallel_reads must be a positive number or tf.data.AUTOTUNE, got {num_parallel_reads!r}",
        )
    else:
        cycle = (os.cpu_count() or 1) if int(num_parallel_reads) == AUTOTUNE else int(num_parallel_reads)
    names, names_per_pass = _file_names(filenames)

    def records():
        files = names if names is not None else names_per_pass()
        for record in _interleave(files, cycle, lambda path: _read_records(path, compression, buffer)):
            yield numpy.array(record, dtype=object)

    return Dataset(records, None, lambda: TensorSpec((), numpy.object_))
