"""locate() and describe(): where each dataset stands, without side effects."""

import dataclasses

import pytest

from learnet.datasets import DATASETS, cache_dir, describe, locate

FILES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]


def test_reports_the_shared_folder(shared, monkeypatch):
    monkeypatch.setenv("LEARNET_DATASETS", str(shared))
    for name, folder in (("fashion_mnist", "fashion-mnist"), ("mnist", "mnist")):
        location = locate(name)
        assert location.complete and location.missing == []
        assert {f.source for f in location.found.values()} == {"LEARNET_DATASETS"}
        assert all(f.path.parent == shared / folder for f in location.found.values())


@pytest.fixture
def incomplete(shared, tmp_path, copy_to, monkeypatch):
    """LEARNET_DATASETS at a copy of the shared folder whose mnist/ lacks the training images."""
    env = tmp_path / "env"
    copy_to(shared / "mnist", env / "mnist", names=FILES[1:])
    copy_to(shared / "fashion-mnist", env / "fashion-mnist")
    monkeypatch.setenv("LEARNET_DATASETS", str(env))
    return env


def test_reports_a_missing_file(incomplete):
    digits = locate("mnist")
    assert not digits.complete
    assert digits.missing == ["train-images-idx3-ubyte.gz"]


def test_describe_says_what_is_ready(shared, monkeypatch):
    monkeypatch.setenv("LEARNET_DATASETS", str(shared))
    text = describe()
    assert "Fashion-MNIST: ready" in text and "MNIST: ready" in text
    mnist_blocks = text.split("\n\n")[:2]  # the datasets after them are not in the shared folder
    assert "missing" not in "".join(mnist_blocks)


def test_describe_says_what_is_missing_and_what_to_do(incomplete, isolated):
    text = describe()
    assert "Fashion-MNIST: ready" in text
    assert "MNIST: incomplete, 3 of 4 files found" in text
    assert "train-images-idx3-ubyte.gz  missing" in text
    assert str(incomplete / "mnist") in text and str(isolated / "mnist") in text


def test_has_no_side_effects(tmp_path, monkeypatch, http_mirror, isolated):
    (tmp_path / "served").mkdir()
    mirror = http_mirror(tmp_path / "served")
    for name, module in DATASETS.items():
        monkeypatch.setattr(module, "SPEC", dataclasses.replace(module.SPEC, mirrors=(mirror.url,)))
        assert locate(name).missing  # nothing anywhere
    describe()
    assert mirror.requests == []  # never downloads
    assert not isolated.exists()  # never creates the cache


def test_accepts_the_folder_name_and_rejects_unknown_names():
    assert locate("Fashion-MNIST").spec.name == "fashion_mnist"
    assert locate("CIFAR10").spec.name == "cifar10"
    with pytest.raises(ValueError, match="Unknown dataset 'svhn'.*mnist, fashion_mnist, cifar10"):
        locate("svhn")


def test_cache_dir_follows_learnet_home(tmp_path, monkeypatch):
    monkeypatch.setenv("LEARNET_HOME", str(tmp_path / "elsewhere"))
    assert cache_dir() == tmp_path / "elsewhere" / "datasets"
    monkeypatch.delenv("LEARNET_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert cache_dir() == tmp_path / "user" / ".learnet" / "datasets"
