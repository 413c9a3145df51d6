"""TFRecord files: tf.io.TFRecordWriter / TFRecordOptions and tf.data.TFRecordDataset, byte for byte
TensorFlow's (fixtures made by real TensorFlow 2.21 with fixtures/make_tfrecord_fixtures.py)."""

import importlib.util
import json
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet import tfrecord

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tfrecord"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())


def _fixture_module():
    path = Path(__file__).resolve().parent / "fixtures" / "make_tfrecord_fixtures.py"
    spec = importlib.util.spec_from_file_location("make_tfrecord_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURE = _fixture_module()
COMPRESSIONS = [("", "records.tfrecord"), ("GZIP", "records.gzip.tfrecord"), ("ZLIB", "records.zlib.tfrecord")]


def write(path, records, options=None):
    with tf.io.TFRecordWriter(str(path), options=options) as writer:
        for record in records:
            writer.write(record)
    return path


def read(path, **kwargs):
    return [record.numpy() for record in tf.data.TFRecordDataset(str(path), **kwargs)]


# --- the checksum ---------------------------------------------------------------------------------
def test_crc32c_matches_the_published_check_values():
    # RFC 3720 (iSCSI), appendix B.4, and the usual "123456789" check value.
    assert tfrecord.crc32c(b"123456789") == 0xE3069283
    assert tfrecord.crc32c(bytes(32)) == 0x8A9136AA
    assert tfrecord.crc32c(b"\xff" * 32) == 0x62A8AB43
    assert tfrecord.crc32c(bytes(range(32))) == 0x46DD794E
    assert tfrecord.crc32c(bytes(range(31, -1, -1))) == 0x113FDB5C
    assert tfrecord.crc32c(b"") == 0
    assert tfrecord.masked_crc32c(b"") == 0xA282EAD8


def test_the_vectorized_crc32c_equals_the_byte_loop_for_every_size():
    rng = np.random.default_rng(0)
    sizes = [0, 1, 2, 3, 4, 5, 7, 8, 9, 31, 255, 256, 257, 1000, 4099, 70_000, *rng.integers(0, 3000, 200).tolist()]
    chunks = [rng.integers(0, 256, size, dtype=np.uint8).tobytes() for size in sizes]
    got = tfrecord._crc32c_many(chunks)
    assert got.dtype == np.uint32
    assert got.tolist() == [tfrecord._crc_loop(chunk) for chunk in chunks]
    one_long = rng.integers(0, 256, 300_001, dtype=np.uint8).tobytes()
    assert tfrecord.crc32c(one_long) == tfrecord._crc_loop(one_long)


# --- TensorFlow's files -----------------------------------------------------------------------------
@pytest.mark.parametrize("compression, name", COMPRESSIONS)
def test_reads_the_files_tensorflow_wrote(compression, name):
    assert read(FIXTURES / name, compression_type=compression or None) == FIXTURE.RECORDS


@pytest.mark.parametrize("compression, name", COMPRESSIONS)
def test_writes_the_same_bytes_as_tensorflow(tmp_path, compression, name):
    expected = (FIXTURES / name).read_bytes()
    for options in (compression, tf.io.TFRecordOptions(compression_type=compression or None)):
        written = write(tmp_path / "out.tfrecord", FIXTURE.RECORDS, options).read_bytes()
        if compression and "ng" in zlib.ZLIB_RUNTIME_VERSION:  # pragma: no cover - zlib-ng compresses differently
            wbits = 31 if compression == "GZIP" else 15
            assert zlib.decompress(written, wbits) == zlib.decompress(expected, wbits)
        else:
            assert written == expected


def test_the_frame_is_tensorflows(tmp_path):
    data = write(tmp_path / "one.tfrecord", [b"abc"]).read_bytes()
    length = struct.pack("<Q", 3)
    assert data == (
        length
        + struct.pack("<I", tfrecord.masked_crc32c(length))
        + b"abc"
        + struct.pack("<I", tfrecord.masked_crc32c(b"abc"))
    )


def test_tensorflows_interleaved_order_with_num_parallel_reads(tmp_path):
    paths = [str(write(tmp_path / f"{name}.tfrecord", records)) for name, records in FIXTURE.INTERLEAVED_FILES.items()]
    got = [r.numpy().decode() for r in tf.data.TFRecordDataset(paths, num_parallel_reads=2)]
    assert got == EXPECTED["num_parallel_reads_2"]
    one_by_one = [r.decode() for records in FIXTURE.INTERLEAVED_FILES.values() for r in records]
    assert [r.numpy().decode() for r in tf.data.TFRecordDataset(paths)] == one_by_one
    assert sorted(r.numpy().decode() for r in tf.data.TFRecordDataset(paths, num_parallel_reads=tf.data.AUTOTUNE)) == (
        sorted(one_by_one)
    )


# --- round trips ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("compression", ["", "GZIP", "ZLIB"])
def test_many_records_of_many_sizes_round_trip(tmp_path, compression):
    rng = np.random.default_rng(1)
    records = [rng.integers(0, 256, size, dtype=np.uint8).tobytes() for size in rng.integers(0, 600, 6000)]
    records += [bytes(200_000), rng.integers(0, 256, 1_500_000, dtype=np.uint8).tobytes(), b""]
    path = write(tmp_path / "many.tfrecord", records, compression)
    assert read(path, compression_type=compression) == records
    assert read(path, compression_type=compression, buffer_size=1000) == records


def test_the_writer_takes_text_and_string_tensors_and_flushes(tmp_path):
    path = tmp_path / "mixed.tfrecord"
    writer = tf.io.TFRecordWriter(str(path))
    writer.write("caf\u00e9")
    writer.write(tf.constant(b"tensor"))
    writer.write(bytearray(b"array"))
    writer.flush()
    assert read(path) == ["caf\u00e9".encode(), b"tensor", b"array"]
    writer.write(b"after flush")
    writer.close()
    writer.close()  # a second close does nothing
    assert read(path)[-1] == b"after flush"
    with pytest.raises(tf.errors.FailedPreconditionError, match="closed"):
        writer.write(b"too late")


def test_the_writer_refuses_what_is_not_bytes(tmp_path):
    with tf.io.TFRecordWriter(str(tmp_path / "x.tfrecord")) as writer:
        with pytest.raises(TypeError, match="SerializeToString"):
            writer.write(tf.train.Example())
        with pytest.raises(TypeError, match="bytes"):
            writer.write(3)
    assert read(tmp_path / "x.tfrecord") == []
    with pytest.raises(tf.errors.NotFoundError, match="cannot create"):
        tf.io.TFRecordWriter(str(tmp_path / "no" / "such" / "folder.tfrecord"))


def test_options_are_checked():
    assert tf.io.TFRecordOptions().compression_type == ""
    assert tf.io.TFRecordOptions.get_compression_type_string(None) == ""
    assert tf.io.TFRecordOptions.get_compression_type_string(tf.io.TFRecordOptions("GZIP")) == "GZIP"
    with pytest.raises(tf.errors.InvalidArgumentError, match="upper case"):
        tf.io.TFRecordOptions(compression_type="gzip")
    with pytest.raises(ValueError, match="compression_type"):
        tf.io.TFRecordOptions(compression_type="BZIP2")
    with pytest.raises(ValueError, match="compression_level"):
        tf.io.TFRecordOptions("GZIP", compression_level=12)


def test_compression_options_change_the_stream(tmp_path):
    records = [b"x" * 1000] * 20
    small = write(tmp_path / "9.tfrecord", records, tf.io.TFRecordOptions("ZLIB", compression_level=9))
    none = write(tmp_path / "0.tfrecord", records, tf.io.TFRecordOptions("ZLIB", compression_level=0))
    assert small.stat().st_size < none.stat().st_size
    assert read(small, compression_type="ZLIB") == read(none, compression_type="ZLIB") == records


# --- the dataset -------------------------------------------------------------------------------------------
def test_the_dataset_gives_scalar_string_tensors_and_works_in_a_pipeline(tmp_path):
    path = write(tmp_path / "numbers.tfrecord", [np.float32(i).tobytes() for i in range(10)])
    ds = tf.data.TFRecordDataset(str(path))
    assert ds.element_spec == tf.TensorSpec((), tf.string)
    assert ds.cardinality() == -2
    first = next(iter(ds))
    assert first.dtype == tf.string and first.shape == () and isinstance(first.numpy(), bytes)
    numbers = ds.map(lambda r: tf.io.decode_raw(r, tf.float32)[0]).filter(lambda x: x % 2 == 0).batch(2)
    assert [b.numpy().tolist() for b in numbers] == [[0.0, 2.0], [4.0, 6.0], [8.0]]
    shuffled = sorted(float(x) for x in ds.shuffle(10, seed=0).map(lambda r: tf.io.decode_raw(r, tf.float32)[0]))
    assert shuffled == [float(i) for i in range(10)]
    assert len(list(ds.repeat(2).take(15))) == 15
    assert [r.numpy() for r in ds.skip(8)] == [np.float32(8).tobytes(), np.float32(9).tobytes()]


def test_the_dataset_takes_file_names_in_every_form(tmp_path):
    first = str(write(tmp_path / "1.tfrecord", [b"one"]))
    second = write(tmp_path / "2.tfrecord", [b"two", b"three"])
    expected = [b"one", b"two", b"three"]
    assert read(first) == [b"one"]
    for names in (
        [first, second],
        (first, str(second)),
        tf.constant([first, str(second)]),
        np.array([first, str(second)]),
    ):
        assert [r.numpy() for r in tf.data.TFRecordDataset(names)] == expected
    from_dataset = tf.data.TFRecordDataset(tf.data.Dataset.from_tensor_slices([first, str(second)]))
    assert [r.numpy() for r in from_dataset] == expected
    assert [r.numpy() for r in tf.data.TFRecordDataset([])] == []


@pytest.mark.skipif(
    not (hasattr(tf.data.Dataset, "list_files") and hasattr(tf.data.Dataset, "interleave")),
    reason="Dataset.list_files / interleave are not in learnet.data yet",
)
def test_list_files_then_interleave_as_hands_on_reads_shards(tmp_path):
    for shard in range(3):
        write(tmp_path / f"data_{shard}.tfrecord", [f"{shard}-{i}".encode() for i in range(4)], "GZIP")
    files = tf.data.Dataset.list_files(str(tmp_path / "data_*.tfrecord"), shuffle=False)
    ds = files.interleave(lambda f: tf.data.TFRecordDataset(f, compression_type="GZIP"), cycle_length=3)
    got = [r.numpy().decode() for r in ds]
    assert sorted(got) == sorted(f"{s}-{i}" for s in range(3) for i in range(4))
    assert got[:3] == ["0-0", "1-0", "2-0"]


def test_bad_dataset_arguments_are_refused(tmp_path):
    path = str(write(tmp_path / "ok.tfrecord", [b"x"]))
    with pytest.raises(tf.errors.NotFoundError, match="missing.tfrecord"):
        tf.data.TFRecordDataset([path, str(tmp_path / "missing.tfrecord")])
    with pytest.raises(FileNotFoundError):
        tf.data.TFRecordDataset(str(tmp_path / "missing.tfrecord"))
    with pytest.raises(ValueError, match="compression_type"):
        tf.data.TFRecordDataset(path, compression_type="ZIP")
    with pytest.raises(ValueError, match="num_parallel_reads"):
        tf.data.TFRecordDataset(path, num_parallel_reads=0)
    with pytest.raises(ValueError, match="buffer_size"):
        tf.data.TFRecordDataset(path, buffer_size=-5)
    with pytest.raises(TypeError, match="filenames"):
        tf.data.TFRecordDataset(42)


# --- damaged files --------------------------------------------------------------------------------------------
def _damaged(tmp_path, name, change):
    data = bytearray((FIXTURES / "records.tfrecord").read_bytes())
    data = change(data)
    path = tmp_path / name
    path.write_bytes(bytes(data))
    return path, bytes(data)


def _offsets():
    offsets, position = [], 0
    for record in FIXTURE.RECORDS:
        offsets.append(position)
        position += 16 + len(record)
    return offsets


def test_a_corrupt_record_is_refused_naming_the_file_and_offset(tmp_path):
    offsets = _offsets()

    def flip_data(data):
        data[offsets[3] + 12 + 10] ^= 0x01  # a byte inside the data of record 3
        return data

    path, before = _damaged(tmp_path, "flipped.tfrecord", flip_data)
    got = []
    with pytest.raises(
        tf.errors.DataLossError, match=rf"corrupted record at offset {offsets[3]} of .*flipped\.tfrecord"
    ):
        for record in tf.data.TFRecordDataset(str(path)):
            got.append(record.numpy())
    assert got == FIXTURE.RECORDS[:3]  # the good records before it were read, as in TensorFlow
    assert path.read_bytes() == before  # reading changes nothing

    def flip_length(data):
        data[offsets[2]] ^= 0x40
        return data

    path, _ = _damaged(tmp_path, "length.tfrecord", flip_length)
    with pytest.raises(tf.errors.DataLossError, match=rf"offset {offsets[2]} .*checksum of its length"):
        read(path)

    def flip_checksum(data):
        data[offsets[1] + 16] ^= 0xFF  # the stored data checksum of record 1 (one byte of data before it)
        return data

    path, _ = _damaged(tmp_path, "checksum.tfrecord", flip_checksum)
    with pytest.raises(tf.errors.DataLossError, match=rf"offset {offsets[1]}"):
        read(path)


@pytest.mark.parametrize("cut, what", [(-1, "data checksum"), (-10, "data"), (5, "length"), (20, "data")])
def test_a_truncated_file_is_refused(tmp_path, cut, what):
    size = (FIXTURES / "records.tfrecord").stat().st_size
    end = size + cut if cut < 0 else _offsets()[2] + cut
    path, _ = _damaged(tmp_path, "cut.tfrecord", lambda data: data[:end])
    with pytest.raises(tf.errors.DataLossError, match=rf"truncated record at offset \d+ of .*cut\.tfrecord.*{what}"):
        read(path)


def test_damaged_compressed_files_are_refused(tmp_path):
    data = (FIXTURES / "records.gzip.tfrecord").read_bytes()
    (tmp_path / "cut.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(tf.errors.DataLossError, match=r"cut\.gz.*truncated"):
        read(tmp_path / "cut.gz", compression_type="GZIP")
    broken = bytearray(data)
    broken[len(data) // 2] ^= 0xFF
    broken[len(data) // 2 + 1] ^= 0xFF
    (tmp_path / "broken.gz").write_bytes(bytes(broken))
    with pytest.raises(tf.errors.DataLossError, match=r"broken\.gz"):
        read(tmp_path / "broken.gz", compression_type="GZIP")
    with pytest.raises(tf.errors.DataLossError, match="corrupt compressed data"):
        read(FIXTURES / "records.tfrecord", compression_type="GZIP")  # a plain file read as GZIP


def test_a_file_that_is_not_a_tfrecord_file_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("this is a text file, not records\n")
    with pytest.raises(tf.errors.DataLossError, match="offset 0 of .*notes.txt"):
        read(tmp_path / "notes.txt")
    (tmp_path / "empty.tfrecord").write_bytes(b"")
    assert read(tmp_path / "empty.tfrecord") == []
    assert read(tmp_path / "empty.tfrecord", compression_type="GZIP") == []


# --- Hands-On ML, chapter 13: Examples in a TFRecord file, parsed and trained on -------------------------------
def _write_examples(path, x, y, options):
    with tf.io.TFRecordWriter(str(path), options) as f:
        for features, target in zip(x, y):
            example = tf.train.Example(
                features=tf.train.Features(
                    feature={
                        "x": tf.train.Feature(float_list=tf.train.FloatList(value=features)),
                        "y": tf.train.Feature(float_list=tf.train.FloatList(value=[target])),
                        "id": tf.train.Feature(int64_list=tf.train.Int64List(value=[len(features)])),
                    }
                )
            )
            f.write(example.SerializeToString())


def test_hands_on_chapter_13_write_read_parse_batch_and_fit(tmp_path):
    rng = np.random.default_rng(42)
    x = rng.normal(size=(256, 3)).astype("float32")
    y = (x @ np.array([2.0, -1.0, 0.5], dtype="float32") + 0.3).astype("float32")
    paths = [tmp_path / "train_00.tfrecord", tmp_path / "train_01.tfrecord"]
    options = tf.io.TFRecordOptions(compression_type="GZIP")
    _write_examples(paths[0], x[:128], y[:128], options)
    _write_examples(paths[1], x[128:], y[128:], options)

    feature_description = {
        "x": tf.io.FixedLenFeature([3], tf.float32),
        "y": tf.io.FixedLenFeature([], tf.float32, default_value=0.0),
        "id": tf.io.FixedLenFeature([], tf.int64, default_value=-1),
    }

    def preprocess(serialized_example):
        example = tf.io.parse_single_example(serialized_example, feature_description)
        return example["x"], example["y"]

    def preprocess_batch(serialized_examples):
        examples = tf.io.parse_example(serialized_examples, feature_description)
        return examples["x"], examples["y"]

    dataset = tf.data.TFRecordDataset([str(p) for p in paths], compression_type="GZIP")
    single = dataset.map(preprocess).batch(32)
    batched = dataset.batch(32).map(preprocess_batch)
    xs, ys = zip(*[(a.numpy(), b.numpy()) for a, b in single])
    assert np.array_equal(np.concatenate(xs), x) and np.array_equal(np.concatenate(ys), y)
    for (a, b), (c, d) in zip(single, batched):
        assert np.array_equal(a.numpy(), c.numpy()) and np.array_equal(b.numpy(), d.numpy())

    tf.random.set_seed(0)
    model = tf.keras.Sequential([tf.keras.layers.Input(shape=(3,)), tf.keras.layers.Dense(1)])
    model.compile(loss="mse", optimizer=tf.keras.optimizers.SGD(learning_rate=0.1))
    history = model.fit(dataset.map(preprocess).shuffle(256, seed=1).batch(32), epochs=15, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.01 * losses[0]
    weights = model.layers[-1].get_weights()[0].reshape(-1)
    assert np.allclose(weights, [2.0, -1.0, 0.5], atol=0.05)
    assert model.evaluate(batched, verbose=0) < 1e-3


def test_the_records_lie_where_tensorflow_reads_them(tmp_path):
    """A file learnet wrote is read record by record the way TensorFlow's reader walks it."""
    path = write(tmp_path / "walk.tfrecord", [b"x" * n for n in (0, 5, 300)])
    data = path.read_bytes()
    position, lengths = 0, []
    while position < len(data):
        (length,) = struct.unpack("<Q", data[position : position + 8])
        lengths.append(length)
        position += 16 + length
    assert lengths == [0, 5, 300] and position == len(data) == os.path.getsize(path)
