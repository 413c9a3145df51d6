"""MNIST from the real files: the complete copy, incomplete, smaller and mixed folders, Keras' npz, damage.

Incomplete, damaged and mixed folders are built in temporary folders from the real files,
so the tests do not depend on which files the shared folder happens to hold.
"""

import gzip
import hashlib
import re

import numpy as np
import pytest

from learnet.datasets import (
    DatasetCorruptError,
    DatasetError,
    DatasetNotFoundError,
    locate,
    mnist,
)

FILES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]


@pytest.fixture
def small_arrays(small):
    return mnist.load_data(path=small)


def test_missing_training_images_give_the_offline_error(shared, tmp_path, copy_to, monkeypatch, isolated):
    env = tmp_path / "env"
    copy_to(shared / "mnist", env / "mnist", names=FILES[1:])  # no training images
    monkeypatch.setenv("LEARNET_DATASETS", str(env))
    with pytest.raises(DatasetNotFoundError) as info:
        mnist.load_data()
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert "1 of 4 files not found: train-images-idx3-ubyte.gz" in message
    assert str(env / "mnist") in message  # where to put it ...
    assert str(isolated / "mnist") in message  # ... or the cache
    assert "LEARNET_DATASETS" in message
    assert "mnist.npz" in message  # the Keras alternative
    assert "Downloading failed" in message and mnist.SPEC.mirrors[0] in message
    # Nothing half-downloaded is left behind.
    assert not any(p.is_file() for p in isolated.rglob("*"))


def test_load_data_matches_keras_on_the_complete_mnist(shared, monkeypatch):
    monkeypatch.setenv("LEARNET_DATASETS", str(shared))
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert all(a.dtype == np.uint8 for a in (x_train, y_train, x_test, y_test))
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]  # the famous first digits
    assert y_test[:5].tolist() == [7, 2, 1, 0, 4]
    assert x_train[0].max() == 255 and x_train[0, 0].sum() == 0  # digit centred, empty border
    # The class counts of the original distribution.
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_the_small_copy_is_a_prefix_of_the_complete_one(shared, small_arrays, small_count):
    from learnet.datasets import read_idx

    (x_train, y_train), _ = small_arrays
    assert x_train.shape == (small_count, 28, 28)
    np.testing.assert_array_equal(y_train, read_idx(shared / "mnist" / FILES[1])[:small_count])


def test_test_set_is_the_original_one(shared, small_arrays):
    from learnet.datasets import read_idx

    _, (x_test, y_test) = small_arrays
    np.testing.assert_array_equal(x_test, read_idx(shared / "mnist" / FILES[2]))
    np.testing.assert_array_equal(y_test, read_idx(shared / "mnist" / FILES[3]))


def test_files_may_come_from_different_sources(shared, small, small_count, tmp_path, monkeypatch, copy_to, isolated):
    copy_to(shared / "mnist", tmp_path / "env" / "mnist", names=FILES[2:])
    copy_to(small, isolated / "mnist", names=FILES[:2])
    monkeypatch.setenv("LEARNET_DATASETS", str(tmp_path / "env"))
    location = locate("mnist")
    assert [location.found[name].source for name in FILES] == ["cache", "cache", "LEARNET_DATASETS", "LEARNET_DATASETS"]
    (x_train, _), (x_test, _) = mnist.load_data()
    assert len(x_train) == small_count and len(x_test) == 10000


def test_mismatched_copies_are_refused(shared, small, small_count, tmp_path, copy_to):
    folder = copy_to(shared / "mnist", tmp_path / "mixed")  # 60,000 labels
    copy_to(small, folder, names=FILES[:1])  # the first images only
    with pytest.raises(DatasetCorruptError, match=f"{small_count} images but .* 60000 labels"):
        mnist.load_data(path=folder)


def test_keras_npz_is_read_from_a_file_or_a_folder(small_arrays, tmp_path):
    (x_train, y_train), (x_test, y_test) = small_arrays
    archive = tmp_path / "mnist.npz"
    np.savez_compressed(archive, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    for path in (archive, tmp_path):
        (a, b), (c, d) = mnist.load_data(path=path)
        for got, want in zip((a, b, c, d), (x_train, y_train, x_test, y_test)):
            np.testing.assert_array_equal(got, want)
            assert got.dtype == np.uint8


def test_npz_with_pickled_objects_is_refused(tmp_path):
    archive = tmp_path / "mnist.npz"
    objects = np.empty(2, dtype=object)
    objects[:] = [{"x": 1}, None]
    np.savez(archive, x_train=objects, y_train=objects, x_test=objects, y_test=objects)
    with pytest.raises(DatasetCorruptError, match="mnist.npz is not a readable .npz"):
        mnist.load_data(path=archive)


def test_npz_missing_an_array_names_it(small_arrays, tmp_path):
    (x_train, y_train), (x_test, _) = small_arrays
    archive = tmp_path / "mnist.npz"
    np.savez(archive, x_train=x_train, y_train=y_train, x_test=x_test)
    with pytest.raises(DatasetCorruptError, match="mnist.npz lacks the arrays y_test"):
        mnist.load_data(path=archive)


def test_npz_with_wrong_shapes_is_refused(tmp_path):
    archive = tmp_path / "mnist.npz"
    images, labels = np.zeros((3, 32, 32), np.uint8), np.zeros(3, np.uint8)
    np.savez(archive, x_train=images, y_train=labels, x_test=images, y_test=labels)
    with pytest.raises(DatasetCorruptError, match=r"x_train.*\(N, 28, 28\)"):
        mnist.load_data(path=archive)


def test_a_path_to_some_other_file_is_explained(shared):
    with pytest.raises(DatasetNotFoundError, match="is a file; pass load_data"):
        mnist.load_data(path=shared / "README.md")


def test_missing_path_folder_is_reported(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="4 of 4 files not found") as info:
        mnist.load_data(path=tmp_path / "nowhere")
    assert "no such folder" in str(info.value)


def _truncated_copy(source, target):
    data = source.read_bytes()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data[: len(data) // 2])
    return target


def test_truncated_file_in_a_user_folder_is_named_and_kept(small, tmp_path, copy_to):
    folder = copy_to(small, tmp_path / "mine")
    bad = _truncated_copy(small / FILES[0], folder / FILES[0])
    with pytest.raises(DatasetCorruptError, match=re.escape(str(bad))) as info:
        mnist.load_data(path=folder)
    assert isinstance(info.value, ValueError) and isinstance(info.value, DatasetError)
    assert bad.exists()  # never delete a user's own files


def test_truncated_file_in_the_cache_is_removed(shared, small, tmp_path, monkeypatch, copy_to, isolated):
    copy_to(shared / "mnist", tmp_path / "env" / "mnist", names=FILES[2:])
    copy_to(small, isolated / "mnist", names=FILES[1:2])
    bad = _truncated_copy(small / FILES[0], isolated / "mnist" / FILES[0])
    monkeypatch.setenv("LEARNET_DATASETS", str(tmp_path / "env"))
    with pytest.raises(DatasetCorruptError, match="removed from the cache") as info:
        mnist.load_data()
    assert str(bad) in str(info.value)
    assert not bad.exists()
    # The next attempt reports the file as missing, not as corrupt.
    with pytest.raises(DatasetNotFoundError, match=FILES[0]):
        mnist.load_data()


def test_idx_header_longer_than_the_data_is_truncation(small, small_count, tmp_path, copy_to):
    folder = copy_to(small, tmp_path / "mine", names=FILES[1:])
    data = bytearray(gzip.decompress((small / FILES[0]).read_bytes()))
    data[4:8] = (small_count + 1).to_bytes(4, "big")  # one image more than the file holds
    (folder / FILES[0]).write_bytes(gzip.compress(bytes(data), compresslevel=1))
    with pytest.raises(DatasetCorruptError, match="train-images-idx3-ubyte.gz is truncated"):
        mnist.load_data(path=folder)


def test_files_swapped_by_mistake_are_refused(small, tmp_path, copy_to):
    folder = copy_to(small, tmp_path / "mine", names=FILES[1:])
    (folder / FILES[0]).write_bytes((small / FILES[1]).read_bytes())  # labels as images
    with pytest.raises(DatasetCorruptError, match=r"train-images.*expected images of shape"):
        mnist.load_data(path=folder)


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_known_digests_match_the_real_files(shared, pristine_specs, name):
    spec = pristine_specs[name]
    for file in spec.files:
        data = (shared / spec.folder / file.name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == file.sha256, file.name
        assert len(data) == file.size, file.name


def test_default_mirrors_are_the_public_ones(pristine_specs):
    mirrors = " ".join(pristine_specs["mnist"].mirrors + pristine_specs["mnist"].archive_mirrors)
    assert "ossci-datasets.s3.amazonaws.com/mnist/" in mirrors
    assert "storage.googleapis.com/tensorflow/tf-keras-datasets/" in mirrors
    assert all(m.endswith("/") for m in pristine_specs["fashion_mnist"].mirrors)
