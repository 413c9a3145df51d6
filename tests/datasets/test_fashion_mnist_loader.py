"""Fashion-MNIST from the real files: Keras' arrays, every source in its place."""

import dataclasses
import gzip

import numpy as np
import pytest

from learnet.datasets import fashion_mnist, locate

FILES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]


def test_load_data_matches_keras(shared, monkeypatch):
    monkeypatch.setenv("LEARNET_DATASETS", str(shared))
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()

    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    for array in (x_train, y_train, x_test, y_test):
        assert array.dtype == np.uint8
        assert array.flags.writeable and array.flags.c_contiguous
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert (y_train[0], y_test[0]) == (9, 9)  # both sets open with an ankle boot
    assert fashion_mnist.CLASS_NAMES[y_train[0]] == "Ankle boot"
    assert x_train.min() == 0 and x_train.max() == 255
    # Images are not shuffled against labels: mean brightness differs by class as expected
    # (trousers are thin, bags and pullovers fill the frame).
    brightness = [x_train[y_train == c].mean() for c in range(10)]
    assert brightness[1] < brightness[2] and brightness[1] < brightness[8]


def test_path_argument_reads_that_folder_only(shared, tmp_path, monkeypatch, copy_to):
    folder = copy_to(shared / "fashion-mnist", tmp_path / "mine", names=FILES[2:])
    monkeypatch.setenv("LEARNET_DATASETS", str(shared))  # complete, but not to be used
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.gz") as info:
        fashion_mnist.load_data(path=folder)
    assert str(folder) in str(info.value)


def test_path_argument_may_be_the_parent_folder(shared):
    (x_train, _), (x_test, y_test) = fashion_mnist.load_data(path=shared)
    assert x_train.shape == (60000, 28, 28)
    assert y_test[:3].tolist() == [9, 2, 1]


def test_debian_system_folder_is_used(shared, monkeypatch):
    spec = dataclasses.replace(fashion_mnist.SPEC, system_dirs=(str(shared / "fashion-mnist"),))
    monkeypatch.setattr(fashion_mnist, "SPEC", spec)
    location = locate("fashion_mnist")
    assert location.complete
    assert {found.source for found in location.found.values()} == {"system folder"}
    (_, y_train), _ = fashion_mnist.load_data()
    assert len(y_train) == 60000


def test_default_spec_knows_debians_folder(pristine_specs):
    assert "/usr/share/datasets/fashion-mnist" in pristine_specs["fashion_mnist"].system_dirs


def test_sources_are_searched_in_order(shared, tmp_path, monkeypatch, copy_to, isolated):
    source = shared / "fashion-mnist"
    env = copy_to(source, tmp_path / "env" / "fashion-mnist", names=FILES[3:])
    system = copy_to(source, tmp_path / "system", names=FILES[2:])
    cache = copy_to(source, isolated / "fashion-mnist", names=FILES[1:])
    monkeypatch.setenv("LEARNET_DATASETS", str(tmp_path / "env"))
    monkeypatch.setattr(fashion_mnist, "SPEC", dataclasses.replace(fashion_mnist.SPEC, system_dirs=(str(system),)))
    location = locate("fashion-mnist")
    assert location.missing == ["train-images-idx3-ubyte.gz"]
    assert {name: (f.source, f.path.parent) for name, f in location.found.items()} == {
        "t10k-labels-idx1-ubyte.gz": ("LEARNET_DATASETS", env),
        "t10k-images-idx3-ubyte.gz": ("system folder", system),
        "train-labels-idx1-ubyte.gz": ("cache", cache),
    }


def test_uncompressed_files_are_accepted(shared, tmp_path, copy_to):
    folder = tmp_path / "unzipped"
    folder.mkdir()
    for name in FILES[2:]:
        data = gzip.decompress((shared / "fashion-mnist" / name).read_bytes())
        (folder / name.removesuffix(".gz")).write_bytes(data)
    copy_to(shared / "fashion-mnist", folder, names=FILES[:2])
    (_, _), (x_test, y_test) = fashion_mnist.load_data(path=folder)
    (_, _), (x_ref, y_ref) = fashion_mnist.load_data(path=shared / "fashion-mnist")
    np.testing.assert_array_equal(x_test, x_ref)
    np.testing.assert_array_equal(y_test, y_ref)
