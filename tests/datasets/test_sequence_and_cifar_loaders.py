"""IMDB, Reuters, Boston housing, CIFAR-10 and CIFAR-100 loaders.

Small files in each real format are written by the test (``fake_keras_files``); what
real Keras returns for the same files is in ``fixtures/keras_sequences.npz`` (made by
``fixtures/make_keras_dataset_fixtures.py``). Downloads come from a server on 127.0.0.1.
"""

import dataclasses
import hashlib
import io
import pickle
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from learnet.datasets import (
    DatasetCorruptError,
    DatasetNotFoundError,
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    imdb,
    reuters,
)
from learnet.datasets.npz import read_npz

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import fake_keras_files  # noqa: E402  (found through the path set just above)

EXPECTED = np.load(HERE / "fixtures" / "keras_sequences.npz")
CASES = {
    "imdb": [
        {},
        {"num_words": 20},
        {"num_words": 30, "skip_top": 5, "maxlen": 15},
        {"start_char": None, "oov_char": None, "num_words": 25, "index_from": 0},
        {"seed": 7, "index_from": 2, "maxlen": 20},
    ],
    "reuters": [{}, {"num_words": 20, "test_split": 0.3}, {"maxlen": 12, "oov_char": None, "num_words": 40}],
    "boston_housing": [{}, {"test_split": 0.4, "seed": 3}],
    "california_housing": [{}, {"version": "small", "test_split": 0.25, "seed": 5}, {"test_split": 0.0}],
}
MODULES = {
    "imdb": imdb,
    "reuters": reuters,
    "boston_housing": boston_housing,
    "california_housing": california_housing,
    "cifar10": cifar10,
    "cifar100": cifar100,
}
WRITERS = {
    "imdb": fake_keras_files.write_imdb,
    "reuters": fake_keras_files.write_reuters,
    "boston_housing": fake_keras_files.write_boston,
    "california_housing": fake_keras_files.write_california,
    "cifar10": fake_keras_files.write_cifar10_binary,
    "cifar100": fake_keras_files.write_cifar100_binary,
}


@pytest.fixture(autouse=True)
def no_real_mirrors(monkeypatch, refused_url):
    """Every spec points at a closed local port: nothing here may reach the internet."""
    for module in MODULES.values():
        monkeypatch.setattr(module, "SPEC", dataclasses.replace(module.SPEC, mirrors=(refused_url,)))
    for module in (imdb, reuters):
        monkeypatch.setattr(
            module, "WORD_INDEX_SPEC", dataclasses.replace(module.WORD_INDEX_SPEC, mirrors=(refused_url,))
        )


def write(name, folder):
    folder.mkdir(parents=True, exist_ok=True)
    return WRITERS[name](folder / MODULES[name].SPEC.files[0].name)


def expected(name, index, label):
    key = f"{name}/{index}/{label}"
    if key in EXPECTED:
        return EXPECTED[key]
    lengths, ids = EXPECTED[key + "/lengths"], EXPECTED[key + "/ids"]
    return np.split(ids, np.cumsum(lengths)[:-1]) if len(lengths) else []


@pytest.mark.parametrize("name, index", [(n, i) for n, cases in CASES.items() for i in range(len(cases))])
def test_arrays_equal_what_keras_returns_for_the_same_file(name, index, tmp_path):
    path = write(name, tmp_path)
    (x_train, y_train), (x_test, y_test) = MODULES[name].load_data(path=path, **CASES[name][index])
    for label, got in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test), ("y_test", y_test)):
        want = expected(name, index, label)
        if name not in ("boston_housing", "california_housing") and label.startswith("x"):
            assert got.dtype == object and got.ndim == 1
            assert [list(map(int, w)) for w in want] == [list(g) for g in got]
            assert all(type(v) is int for seq in got for v in seq)
        else:
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_array_equal(got, want)


def test_files_are_found_in_the_same_places_as_mnist(tmp_path, monkeypatch, isolated):
    shared = tmp_path / "shared"
    write("imdb", shared / "imdb")
    monkeypatch.setenv("LEARNET_DATASETS", str(shared))
    (x_train, _), _ = imdb.load_data()
    assert len(x_train) == 30
    # A folder as `path`, and Keras' default `path="imdb.npz"` (a name, not a place).
    assert len(imdb.load_data(path=shared / "imdb")[0][0]) == 30
    assert len(imdb.load_data(path="imdb.npz")[0][0]) == 30
    # Then the cache.
    monkeypatch.delenv("LEARNET_DATASETS")
    write("reuters", isolated / "reuters")
    assert len(reuters.load_data()[0][0]) == 32


@pytest.mark.parametrize("name", ["imdb", "reuters", "boston_housing", "california_housing", "cifar10", "cifar100"])
def test_download_from_a_mirror_checks_the_digest(name, tmp_path, http_mirror, monkeypatch, isolated):
    module = MODULES[name]
    served = write(name, tmp_path / "served")
    digest = hashlib.sha256(served.read_bytes()).hexdigest()
    file = dataclasses.replace(module.SPEC.files[0], sha256=digest, size=None)
    mirror = http_mirror(served.parent)
    monkeypatch.setattr(module, "SPEC", dataclasses.replace(module.SPEC, files=(file,), mirrors=(mirror.url,)))
    first = module.load_data()
    assert mirror.requests == ["/" + file.name]
    assert (isolated / module.SPEC.folder / file.name).read_bytes() == served.read_bytes()
    again = module.load_data()  # from the cache now: no second request
    assert mirror.requests == ["/" + file.name]
    np.testing.assert_array_equal(first[1][1], again[1][1])


def test_a_corrupt_download_is_refused_and_nothing_is_kept(tmp_path, http_mirror, monkeypatch, isolated):
    served = write("imdb", tmp_path / "served")
    good = hashlib.sha256(served.read_bytes()).hexdigest()
    data = bytearray(served.read_bytes())
    data[len(data) // 2] ^= 1
    served.write_bytes(bytes(data))
    mirror = http_mirror(served.parent)
    file = dataclasses.replace(imdb.SPEC.files[0], sha256=good)
    monkeypatch.setattr(imdb, "SPEC", dataclasses.replace(imdb.SPEC, files=(file,), mirrors=(mirror.url,)))
    with pytest.raises(DatasetNotFoundError, match="SHA-256"):
        imdb.load_data()
    assert not any(p.is_file() for p in isolated.rglob("*"))


def test_missing_files_say_where_to_put_them(isolated):
    with pytest.raises(DatasetNotFoundError, match=r"imdb\.npz") as error:
        imdb.load_data()
    assert str(isolated / "imdb") in str(error.value)
    with pytest.raises(DatasetNotFoundError, match=r"cifar-10-binary\.tar\.gz"):
        cifar10.load_data()
    with pytest.raises(DatasetNotFoundError):
        imdb.load_data(path=isolated / "nowhere")


def test_a_damaged_file_in_the_cache_is_removed(isolated):
    cached = write("reuters", isolated / "reuters")
    cached.write_bytes(cached.read_bytes()[:100])
    with pytest.raises(DatasetCorruptError, match="removed from the cache"):
        reuters.load_data()
    assert not cached.exists()


def _npz_with(path, **members):
    with zipfile.ZipFile(path, "w") as archive:
        for key, data in members.items():
            archive.writestr(key + ".npy", data)
    return path


def _object_npy(payload):
    """An .npy member declaring an object array, whose body is the given pickle bytes."""
    stream = io.BytesIO()
    np.lib.format.write_array_header_1_0(stream, {"descr": "|O", "fortran_order": False, "shape": (1,)})
    return stream.getvalue() + payload


class Marker:
    """Unpickled blindly, this would create the marker file."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_restricted_reader_refuses_a_pickle_that_names_code(tmp_path):
    marker = tmp_path / "MARKER"
    payload = pickle.dumps(np.array([Marker(str(marker))], dtype=object))
    path = _npz_with(
        tmp_path / "evil.npz",
        x_train=_object_npy(payload),
        y_train=_object_npy(payload),
        x_test=_object_npy(payload),
        y_test=_object_npy(payload),
    )
    with pytest.raises(DatasetCorruptError, match=r"names io\.open.*nothing from the file was run"):
        imdb.load_data(path=path)
    assert not marker.exists()
    # The same payload, read blindly, would have run: the marker proves the test can fail.
    pickle.loads(payload)
    assert marker.exists()


@pytest.mark.parametrize(
    "content, message",
    [
        ([1.5, 2.0], "not a list of integers"),
        (["text"], "not a list of integers"),
        ({"a": 1}, "not a list of integers"),
    ],
)
def test_restricted_reader_accepts_only_lists_of_ints(tmp_path, content, message):
    array = np.empty(1, dtype=object)
    array[0] = content
    path = _npz_with(tmp_path / "odd.npz", x=_object_npy(pickle.dumps(array)))
    with pytest.raises(DatasetCorruptError, match=message):
        read_npz(path, ["x"])


def test_a_california_file_of_the_wrong_shape_is_refused(tmp_path):
    path = tmp_path / "california_housing.npz"
    np.savez(path, x=np.zeros((10, 13)), y=np.zeros(10))
    with pytest.raises(DatasetCorruptError, match=r"x of shape \(N, 8\)"):
        california_housing.load_data(path=path)


def test_restricted_reader_errors(tmp_path):
    with pytest.raises(DatasetCorruptError, match="lacks the arrays z"):
        read_npz(write("boston_housing", tmp_path), ["x", "z"])
    two_dimensional = _object_npy(pickle.dumps(np.array([[[1]]], dtype=object).reshape(1, 1)))
    with pytest.raises(DatasetCorruptError, match="one-dimensional"):
        read_npz(_npz_with(tmp_path / "x.npz", x=two_dimensional), ["x"])
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    with pytest.raises(DatasetCorruptError, match="not a readable .npz"):
        read_npz(tmp_path / "junk.npz", ["x"])


def test_cifar10_binary_archive_gives_keras_layout(tmp_path):
    path = write("cifar10", tmp_path)
    (x_train, y_train), (x_test, y_test) = cifar10.load_data(path=path)
    images, labels = fake_keras_files.cifar_arrays(3, 20, 5, 1)
    assert x_train.shape == (20, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (20, 1) and y_train.dtype == np.uint8
    np.testing.assert_array_equal(x_train, images[:20].transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(x_test, images[20:].transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y_train[:, 0], labels[:20, 0])
    np.testing.assert_array_equal(y_test[:, 0], labels[20:, 0])
    # Pixel (row 0, column 1) of image 0 is bytes 1, 1025 and 2049 of its record.
    raw = images[0].reshape(-1)
    assert tuple(x_train[0, 0, 1]) == (raw[1], raw[1025], raw[2049])


def test_cifar100_fine_and_coarse_labels(tmp_path):
    path = write("cifar100", tmp_path)
    images, labels = fake_keras_files.cifar_arrays(4, 12, 5, 2)
    (x_train, fine), (_, fine_test) = cifar100.load_data(path=path)
    (_, coarse), _ = cifar100.load_data(label_mode="coarse", path=path)
    assert fine.shape == (12, 1) and fine.dtype == np.int64
    np.testing.assert_array_equal(fine[:, 0], labels[:12, 1])
    np.testing.assert_array_equal(coarse[:, 0], labels[:12, 0])
    np.testing.assert_array_equal(fine_test[:, 0], labels[12:, 1])
    np.testing.assert_array_equal(x_train, images[:12].transpose(0, 2, 3, 1))
    with pytest.raises(ValueError, match="label_mode"):
        cifar100.load_data(label_mode="medium", path=path)


def test_damaged_cifar_archives_get_clear_errors(tmp_path):
    import tarfile

    truncated = tmp_path / "t" / "cifar-10-binary.tar.gz"
    truncated.parent.mkdir()
    with tarfile.open(truncated, "w:gz") as archive:
        for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
            info = tarfile.TarInfo("cifar-10-batches-bin/" + name)
            info.size = 3000
            archive.addfile(info, io.BytesIO(bytes(3000)))
    with pytest.raises(DatasetCorruptError, match="not a whole number of 3073-byte records"):
        cifar10.load_data(path=truncated)
    python_layout = tmp_path / "p" / "cifar-10-binary.tar.gz"
    python_layout.parent.mkdir()
    with tarfile.open(python_layout, "w:gz") as archive:
        info = tarfile.TarInfo("cifar-10-batches-py/data_batch_1")
        archive.addfile(info, io.BytesIO(b""))
    with pytest.raises(DatasetCorruptError, match="lacks cifar-10-batches-bin/data_batch_1.bin"):
        cifar10.load_data(path=python_layout)
    (tmp_path / "cifar-10-binary.tar.gz").write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(DatasetCorruptError, match="not a readable .tar.gz"):
        cifar10.load_data(path=tmp_path / "cifar-10-binary.tar.gz")


def test_word_index(tmp_path):
    (tmp_path / "imdb_word_index.json").write_text('{"the": 1, "and": 2}')
    assert imdb.get_word_index(path=tmp_path / "imdb_word_index.json") == {"the": 1, "and": 2}
    (tmp_path / "reuters_word_index.json").write_text('{"the": "one"}')
    with pytest.raises(DatasetCorruptError, match="not a word index"):
        reuters.get_word_index(path=tmp_path / "reuters_word_index.json")
    assert len(reuters.get_label_names()) == 46


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="test_split"):
        reuters.load_data(path=write("reuters", tmp_path), test_split=1.5)
    with pytest.raises(ValueError, match="version must be 'large' or 'small'"):
        california_housing.load_data(path=write("california_housing", tmp_path), version="medium")
    with pytest.raises(ValueError, match="test_split"):
        california_housing.load_data(path=tmp_path / "california_housing.npz", test_split=1)
    with pytest.raises(TypeError, match="unexpected keyword"):
        imdb.load_data(path=write("imdb", tmp_path), nb_words=10)
    with pytest.raises(ValueError, match="increase maxlen"):
        imdb.load_data(path=tmp_path / "imdb.npz", maxlen=2)
