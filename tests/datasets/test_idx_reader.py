"""The IDX reader: round trips, real files, and every way a file can be broken."""

import gzip

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from learnet.datasets import DatasetCorruptError, read_idx
from learnet.datasets.idx import parse_idx

IDX_DTYPES = ["u1", "i1", ">i2", ">i4", ">f4", ">f8"]


@settings(max_examples=40, deadline=None)
@given(
    array=st.sampled_from(IDX_DTYPES).flatmap(
        lambda dtype: hnp.arrays(
            dtype,
            hnp.array_shapes(min_dims=1, max_dims=4, max_side=5),
            elements={"allow_nan": False} if "f" in dtype else None,
        )
    ),
    compress=st.booleans(),
)
def test_round_trip_every_type(tmp_path_factory, idx_writer, array, compress):
    path = tmp_path_factory.mktemp("idx") / ("data.gz" if compress else "data")
    idx_writer(path, array, compress=compress)
    result = read_idx(path)
    assert result.shape == array.shape
    assert result.dtype == array.dtype.newbyteorder("=")
    np.testing.assert_array_equal(result, array)


def test_result_is_writable_and_native(tmp_path, idx_writer):
    path = idx_writer(tmp_path / "values-idx1.gz", np.array([1, -2, 300], ">i4"))
    result = read_idx(path)
    assert result.dtype.isnative
    result[0] = 7  # Keras' arrays are writable; ours too
    assert result.tolist() == [7, -2, 300]


def test_gzip_is_recognised_by_content_not_name(tmp_path, idx_writer):
    array = np.arange(6, dtype=np.uint8).reshape(2, 3)
    plain = idx_writer(tmp_path / "plain.gz", array, compress=False)
    zipped = idx_writer(tmp_path / "zipped-idx2-ubyte", array, compress=True)
    np.testing.assert_array_equal(read_idx(plain), array)
    np.testing.assert_array_equal(read_idx(zipped), array)


def test_reads_real_fashion_mnist_labels(shared):
    labels = read_idx(shared / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz")
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert np.bincount(labels).tolist() == [1000] * 10


def _header(code, shape):
    return bytes([0, 0, code, len(shape)]) + np.asarray(shape, ">u4").tobytes()


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x01\x00\x08\x01" + bytes(8), "not an IDX file"),
        (b"\x00", "not an IDX file"),
        (_header(0x07, (2,)) + bytes(2), "unknown IDX type code 0x07"),
        (_header(0x08, (2, 3))[:8], "header announces 2 dimensions"),
        (_header(0x08, (2, 3)) + bytes(5), "truncated: shape (2, 3) of uint8 needs 6 bytes"),
        (_header(0x0C, (2,)) + bytes(9), "longer than its header says"),
    ],
)
def test_broken_contents_raise_with_the_name(data, message):
    with pytest.raises(DatasetCorruptError, match="my-file") as info:
        parse_idx(data, name="my-file")
    assert message in str(info.value)


def test_truncated_gzip_names_the_file(tmp_path, idx_writer):
    path = idx_writer(tmp_path / "labels-idx1-ubyte.gz", np.arange(1000, dtype=np.uint8) % 10)
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(DatasetCorruptError, match="labels-idx1-ubyte.gz.*damaged or truncated"):
        read_idx(path)


def test_damaged_gzip_names_the_file(tmp_path):
    path = tmp_path / "images-idx3-ubyte.gz"
    data = bytearray(gzip.compress(_header(0x08, (50, 4, 4)) + bytes(range(200)) * 4))
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DatasetCorruptError, match="images-idx3-ubyte.gz"):
        read_idx(path)


def test_corrupt_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_idx(b"junk")
