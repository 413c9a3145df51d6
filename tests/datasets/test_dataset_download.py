"""Downloads from real HTTP servers on 127.0.0.1 serving the real files."""

import dataclasses
import hashlib

import numpy as np
import pytest

from learnet.datasets import DatasetNotFoundError, fashion_mnist, locate, mnist
from learnet.datasets.sources import DatasetFile, DownloadError, download_file

FILES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]


def use_mirrors(monkeypatch, module, *mirrors, **changes):
    monkeypatch.setattr(module, "SPEC", dataclasses.replace(module.SPEC, mirrors=tuple(mirrors), **changes))


def cached_files(cache):
    return sorted(p.name for p in cache.rglob("*") if p.is_file())


@pytest.fixture
def fashion_files(shared, tmp_path, copy_to):
    return copy_to(shared / "fashion-mnist", tmp_path / "served" / "good")


@pytest.fixture
def corrupt_files(fashion_files, tmp_path):
    """The same files, each with one byte flipped half-way through."""
    folder = tmp_path / "served" / "corrupt"
    folder.mkdir()
    for file in fashion_files.iterdir():
        data = bytearray(file.read_bytes())
        data[len(data) // 2] ^= 0x01
        (folder / file.name).write_bytes(bytes(data))
    return folder


def test_downloads_into_the_cache_then_reads_from_it(fashion_files, http_mirror, monkeypatch, isolated, capsys):
    mirror = http_mirror(fashion_files)
    use_mirrors(monkeypatch, fashion_mnist, mirror.url)

    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()

    assert x_train.shape == (60000, 28, 28) and y_test.shape == (10000,)
    assert sorted(mirror.requests) == sorted("/" + name for name in FILES)
    assert cached_files(isolated) == sorted(FILES)  # no temporary files left over
    for file in fashion_mnist.SPEC.files:
        data = (isolated / "fashion-mnist" / file.name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == file.sha256
    assert "train-images-idx3-ubyte.gz" in capsys.readouterr().err  # the progress bar

    # From now on the cache serves, even with no mirror at all.
    use_mirrors(monkeypatch, fashion_mnist)
    assert {f.source for f in locate("fashion_mnist").found.values()} == {"cache"}
    (_, y_again), _ = fashion_mnist.load_data()
    np.testing.assert_array_equal(y_again, y_train)
    assert len(mirror.requests) == 4


def test_corrupt_copy_is_rejected_and_never_cached(corrupt_files, http_mirror, monkeypatch, isolated):
    mirror = http_mirror(corrupt_files)
    use_mirrors(monkeypatch, fashion_mnist, mirror.url)
    with pytest.raises(DatasetNotFoundError) as info:
        fashion_mnist.load_data()
    message = str(info.value)
    for name in FILES:
        assert f"{mirror.url}{name}: corrupt download: SHA-256" in message
    assert cached_files(isolated) == []


def test_corrupt_mirror_is_followed_by_the_next(corrupt_files, fashion_files, http_mirror, monkeypatch, isolated):
    bad, good = http_mirror(corrupt_files), http_mirror(fashion_files)
    use_mirrors(monkeypatch, fashion_mnist, bad.url, good.url)
    (_, y_train), _ = fashion_mnist.load_data()
    assert len(y_train) == 60000
    assert len(bad.requests) == 4 and len(good.requests) == 4
    assert cached_files(isolated) == sorted(FILES)


def test_failing_mirror_is_followed_by_the_next(fashion_files, http_mirror, refused_url, monkeypatch, isolated):
    broken = http_mirror(fashion_files, failures=float("inf"))
    good = http_mirror(fashion_files)
    use_mirrors(monkeypatch, fashion_mnist, refused_url, broken.url, good.url)
    (x_train, _), _ = fashion_mnist.load_data()
    assert x_train.shape == (60000, 28, 28)
    assert len(broken.requests) == 4 and len(good.requests) == 4


def test_mirror_failing_at_first_then_recovering(fashion_files, http_mirror, monkeypatch, isolated):
    flaky = http_mirror(fashion_files, failures=1)
    use_mirrors(monkeypatch, fashion_mnist, flaky.url)
    with pytest.raises(DatasetNotFoundError, match="HTTP Error 500") as info:
        fashion_mnist.load_data()
    assert "1 of 4 files not found" in str(info.value)  # the other three came through
    (x_train, _), _ = fashion_mnist.load_data()  # and a second call completes it
    assert x_train.shape == (60000, 28, 28)
    assert cached_files(isolated) == sorted(FILES)


def test_only_missing_files_are_downloaded(
    shared, small, small_count, tmp_path, http_mirror, monkeypatch, copy_to, isolated
):
    # The digests are injectable: serve a smaller MNIST and declare its digests known.
    served = copy_to(small, tmp_path / "served" / "mnist-small")
    files = tuple(DatasetFile(name, hashlib.sha256((served / name).read_bytes()).hexdigest()) for name in FILES)
    mirror = http_mirror(served)
    use_mirrors(monkeypatch, mnist, mirror.url, files=files)
    copy_to(shared / "mnist", tmp_path / "env" / "mnist", names=FILES[2:])
    monkeypatch.setenv("LEARNET_DATASETS", str(tmp_path / "env"))

    (x_train, y_train), (x_test, _) = mnist.load_data()

    assert sorted(mirror.requests) == ["/train-images-idx3-ubyte.gz", "/train-labels-idx1-ubyte.gz"]
    assert x_train.shape == (small_count, 28, 28) and y_train[:3].tolist() == [5, 0, 4]
    assert x_test.shape == (10000, 28, 28)
    assert cached_files(isolated) == sorted(FILES[:2])


def test_keras_npz_is_downloaded_when_the_idx_mirrors_fail(
    small, tmp_path, http_mirror, refused_url, monkeypatch, isolated
):
    (x_train, y_train), (x_test, y_test) = mnist.load_data(path=small)
    served = tmp_path / "served"
    served.mkdir()
    np.savez_compressed(served / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    digest = hashlib.sha256((served / "mnist.npz").read_bytes()).hexdigest()
    mirror = http_mirror(served)
    use_mirrors(
        monkeypatch, mnist, refused_url, archive=DatasetFile("mnist.npz", digest), archive_mirrors=(mirror.url,)
    )

    (a, b), (c, d) = mnist.load_data()

    np.testing.assert_array_equal(a, x_train)
    np.testing.assert_array_equal(d, y_test)
    assert mirror.requests == ["/mnist.npz"]
    assert cached_files(isolated) == ["mnist.npz"]
    assert locate("mnist").archive.source == "cache"


def test_offline_error_lists_every_mirror_and_what_to_do(refused_url, monkeypatch, isolated):
    use_mirrors(monkeypatch, fashion_mnist, refused_url, refused_url + "second/")
    with pytest.raises(DatasetNotFoundError) as info:
        fashion_mnist.load_data()
    message = str(info.value)
    assert "4 of 4 files not found" in message
    for name in FILES:
        assert f"{refused_url}{name}:" in message
        assert f"{refused_url}second/{name}:" in message
    assert f"into {isolated / 'fashion-mnist'}" in message
    assert "LEARNET_DATASETS" in message and "load_data(path=...)" in message
    assert cached_files(isolated) == []


def test_explicit_path_never_downloads(fashion_files, http_mirror, monkeypatch, tmp_path):
    mirror = http_mirror(fashion_files)
    use_mirrors(monkeypatch, fashion_mnist, mirror.url)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetNotFoundError, match="without path"):
        fashion_mnist.load_data(path=tmp_path / "empty")
    assert mirror.requests == []


def test_download_stops_when_a_server_sends_too_much(fashion_files, http_mirror, tmp_path):
    mirror = http_mirror(fashion_files)
    target = tmp_path / "out" / "t10k-labels-idx1-ubyte.gz"
    with pytest.raises(DownloadError, match="more than the expected 100 bytes") as info:
        download_file([mirror.url + target.name], target, "0" * 64, size=100, progress=False)
    assert info.value.reasons[0][0] == mirror.url + target.name
    assert list(target.parent.iterdir()) == []
