"""`learnet datasets` and describe() for CIFAR, IMDB, Reuters and Boston housing: the exact lines."""

import gzip
import sys
from pathlib import Path

import numpy as np
import pytest

from learnet.cli import main
from learnet.datasets import DATASETS, cifar10, describe, locate, locate_all

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import fake_keras_files  # noqa: E402  (found through the path set just above)


def blocks(text):
    """The printed summary, as {first line: all its lines}."""
    return {block.splitlines()[0]: block.splitlines() for block in text.strip().split("\n\n")}


@pytest.fixture
def env(tmp_path, monkeypatch):
    """LEARNET_DATASETS holding IMDB (reviews only) and CIFAR-10 unpacked to a plain .tar."""
    shared = tmp_path / "shared"
    (shared / "imdb").mkdir(parents=True)
    fake_keras_files.write_imdb(shared / "imdb" / "imdb.npz")
    (shared / "cifar10").mkdir()
    packed = fake_keras_files.write_cifar10_binary(tmp_path / "cifar-10-binary.tar.gz")
    (shared / "cifar10" / "cifar-10-binary.tar").write_bytes(gzip.decompress(packed.read_bytes()))
    monkeypatch.setenv("LEARNET_DATASETS", str(shared))
    return shared


def test_every_dataset_is_listed_in_order():
    assert list(DATASETS) == [
        "mnist",
        "fashion_mnist",
        "cifar10",
        "cifar100",
        "imdb",
        "reuters",
        "boston_housing",
        "california_housing",
    ]
    assert list(blocks(describe())) == [
        "MNIST: incomplete, 0 of 4 files found",
        "Fashion-MNIST: incomplete, 0 of 4 files found",
        "CIFAR-10: missing",
        "CIFAR-100: missing",
        "IMDB reviews: missing",
        "IMDB word index: missing",
        "Reuters newswires: missing",
        "Reuters word index: missing",
        "Boston housing: missing",
        "California housing: missing",
    ]
    assert [loc.spec.title for loc in locate_all("reuters")] == ["Reuters newswires", "Reuters word index"]
    assert [loc.spec.title for loc in locate_all("cifar-100")] == ["CIFAR-100"]


def test_found_files_say_where(env):
    found = blocks(describe())
    assert found["IMDB reviews: ready"] == [
        "IMDB reviews: ready",
        f"  imdb.npz  LEARNET_DATASETS: {env / 'imdb' / 'imdb.npz'}",
    ]
    tar = env / "cifar10" / "cifar-10-binary.tar"
    assert found["CIFAR-10: ready"] == ["CIFAR-10: ready", f"  cifar-10-binary.tar.gz  LEARNET_DATASETS: {tar}"]
    assert locate("imdb").complete and not locate_all("imdb")[1].complete


def test_an_unpacked_cifar_archive_loads_like_the_gzipped_one(env, tmp_path):
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    (gx_train, gy_train), (gx_test, gy_test) = cifar10.load_data(path=tmp_path / "cifar-10-binary.tar.gz")
    for got, want in ((x_train, gx_train), (y_train, gy_train), (x_test, gx_test), (y_test, gy_test)):
        np.testing.assert_array_equal(got, want)
    assert x_train.shape == (20, 32, 32, 3)


def test_missing_files_say_which_file_goes_where(env, isolated):
    missing = blocks(describe())
    assert missing["IMDB word index: missing"] == [
        "IMDB word index: missing",
        "  imdb_word_index.json  missing",
        "  To fix this, put imdb_word_index.json (the file as the mirrors serve it) into "
        f"{env / 'imdb'} or {isolated / 'imdb'}.",
        "  Or set the environment variable LEARNET_DATASETS to a folder whose imdb/ subfolder holds "
        "imdb_word_index.json;",
        "  or pass get_word_index(path=...) a folder holding it.",
        f"  With a network connection, imdb.get_word_index() downloads it into {isolated / 'imdb'}.",
    ]
    assert missing["CIFAR-100: missing"][2] == (
        "  To fix this, put cifar-100-binary.tar.gz (the file as the mirrors serve it, gzipped or not) "
        f"into {env / 'cifar100'} or {isolated / 'cifar100'}."
    )
    assert missing["Boston housing: missing"][1:3] == [
        "  boston_housing.npz  missing",
        "  To fix this, put boston_housing.npz (the file as the mirrors serve it) into "
        f"{env / 'boston-housing'} or {isolated / 'boston-housing'}.",
    ]
    assert missing["Reuters newswires: missing"][-1] == (
        f"  With a network connection, reuters.load_data() downloads it into {isolated / 'reuters'}."
    )


def test_the_command_lists_them_in_its_own_words(env, isolated, capsys):
    assert main(["datasets"]) == 0
    out = blocks(capsys.readouterr().out)
    assert out["IMDB reviews: ready"][1] == f"  imdb.npz  LEARNET_DATASETS: {env / 'imdb' / 'imdb.npz'}"
    assert out["Reuters word index: missing"][-2:] == [
        "  or pass --data-dir a folder holding it.",
        f"  With a network connection, reuters.get_word_index() downloads it into {isolated / 'reuters'}.",
    ]
    # `learnet train` downloads only the datasets it trains on.
    assert out["MNIST: incomplete, 0 of 4 files found"][-1] == (
        f"  With a network connection, learnet train downloads them into {isolated / 'mnist'}."
    )


def test_the_command_with_a_data_dir_looks_only_there(env, capsys):
    assert main(["datasets", "--data-dir", str(env / "imdb")]) == 0
    out = blocks(capsys.readouterr().out)
    assert out["IMDB reviews: ready"] == [
        "IMDB reviews: ready",
        f"  imdb.npz  path argument: {env / 'imdb' / 'imdb.npz'}",
    ]
    assert out["CIFAR-10: missing"] == [
        "CIFAR-10: missing",
        "  cifar-10-binary.tar.gz  missing",
        f"  Put cifar-10-binary.tar.gz into {env / 'imdb'}, or leave out --data-dir to use "
        "LEARNET_DATASETS, the cache or a download.",
    ]
    assert out["IMDB word index: missing"][-1] == (
        f"  Put imdb_word_index.json into {env / 'imdb'}, or leave out --data-dir to use "
        "LEARNET_DATASETS, the cache or a download."
    )
