"""keras.utils' dataset makers, split_dataset, get_file, Progbar and the train_step helpers.

Where Keras 3 runs on JAX without TensorFlow, values are compared with it: the windows of
timeseries_dataset_from_array (Keras' own NumPy code path, fed through a stand-in for the
``grain`` package it hands the windows to), the split sizes of split_dataset, the file order
and validation split of text_dataset_from_directory, Progbar's averages and the packing helpers.
"""

import functools
import hashlib
import http.server
import io
import os
import random
import socket
import tarfile
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

import learnet
from learnet import layers, utils
from learnet.data import Dataset
from learnet.dataset_utils import (
    get_file,
    get_source_inputs,
    is_keras_tensor,
    pack_x_y_sample_weight,
    split_dataset,
    text_dataset_from_directory,
    timeseries_dataset_from_array,
    unpack_x_y_sample_weight,
)


def batches(dataset):
    return [tuple(np.asarray(a) for a in e) if isinstance(e, tuple) else np.asarray(e) for e in dataset]


# --- timeseries_dataset_from_array ----------------------------------------------------------------------
class _Items(list):
    """Just enough of grain's MapDataset for Keras' NumPy code path of timeseries_dataset_from_array."""

    def to_iter_dataset(self):
        return self

    def shuffle(self, seed=None):
        return self

    def batch(self, size, batch_fn=None):
        def stack(rows):
            if isinstance(rows[0], tuple):
                return tuple(np.stack(column) for column in zip(*rows))
            return np.stack(rows)

        return _Items(stack(self[i : i + size]) for i in range(0, len(self), size))


class _Grain:
    class MapDataset:
        source = staticmethod(_Items)

    class experimental:  # noqa: N801 - grain's name
        @staticmethod
        def ZipMapDataset(parts):  # noqa: N802 - grain's name
            return _Items(zip(*parts))


@pytest.fixture
def keras_windows(keras, monkeypatch):
    """Keras' own timeseries_dataset_from_array, on its NumPy path (format="grain")."""
    from keras.src.utils import timeseries_dataset_utils

    monkeypatch.setattr(timeseries_dataset_utils, "grain", _Grain)

    def run(data, targets, **options):
        return list(timeseries_dataset_utils.timeseries_dataset_from_array(data, targets, format="grain", **options))

    return run


TIMESERIES_CASES = [
    dict(sequence_length=5),
    dict(sequence_length=5, batch_size=4),
    dict(sequence_length=3, sequence_stride=4, batch_size=3),
    dict(sequence_length=4, sampling_rate=3, batch_size=5),
    dict(sequence_length=4, sampling_rate=2, sequence_stride=3, start_index=7, batch_size=2),
    dict(sequence_length=6, end_index=40, batch_size=8),
    dict(sequence_length=6, start_index=5, end_index=40, sampling_rate=2, batch_size=7),
    dict(sequence_length=1, batch_size=64),
]


@pytest.mark.parametrize("options", TIMESERIES_CASES)
@pytest.mark.parametrize("with_targets", [True, False])
def test_timeseries_windows_and_targets_equal_keras(keras_windows, options, with_targets):
    data = np.arange(60 * 2, dtype="float32").reshape(60, 2)
    targets = np.arange(60) * 10 if with_targets else None
    expected = keras_windows(data, targets, **options)
    got = batches(timeseries_dataset_from_array(data, targets, **options))
    assert len(got) == len(expected)
    for ours, theirs in zip(got, expected):
        if with_targets:
            np.testing.assert_array_equal(ours[0], theirs[0])
            np.testing.assert_array_equal(ours[1], theirs[1])
        else:
            np.testing.assert_array_equal(ours, theirs)


def test_timeseries_targets_shifted_as_in_the_forecasting_tutorials(keras_windows):
    # keras.io weather forecasting: the target of a window is the step `sequence_length` later.
    series = np.sin(np.arange(300) / 7).astype("float32")[:, None]
    options = dict(sequence_length=24, sampling_rate=2, batch_size=32)
    expected = keras_windows(series, series[48:], **options)
    got = batches(timeseries_dataset_from_array(series, series[48:], **options))
    np.testing.assert_array_equal(np.concatenate([x for x, _ in got]), np.concatenate([x for x, _ in expected]))
    np.testing.assert_array_equal(np.concatenate([y for _, y in got]), np.concatenate([y for _, y in expected]))


def test_timeseries_unbatched_elements_and_the_keras_docstring_example():
    # Keras' docstring: windows [0..9], [1..10], ... of arange(100) with targets data[10:].
    data = np.arange(100)
    ds = timeseries_dataset_from_array(data, data[10:], sequence_length=10, batch_size=None)
    first_x, first_y = next(iter(ds))
    assert first_x.numpy().tolist() == list(range(10)) and int(first_y) == 10
    assert len(ds) == 90
    last_x, last_y = list(ds)[-1]
    assert last_x.numpy().tolist() == list(range(89, 99)) and int(last_y) == 99


def test_timeseries_shuffle_keeps_the_pairs_and_repeats_with_a_seed():
    data = np.arange(50)

    def run():
        return batches(timeseries_dataset_from_array(data, data * 2, 4, batch_size=8, shuffle=True, seed=3))

    first = run()
    x = np.concatenate([b[0] for b in first])
    y = np.concatenate([b[1] for b in first])
    np.testing.assert_array_equal(y, x[:, 0] * 2)  # each window keeps its own target
    assert sorted(x[:, 0].tolist()) == list(range(47))
    assert x[:, 0].tolist() != list(range(47))
    np.testing.assert_array_equal(x, np.concatenate([b[0] for b in run()]))


def test_timeseries_dtypes_spec_and_fit():
    data = np.random.default_rng(0).normal(size=(80, 3))  # float64, as pandas gives
    ds = timeseries_dataset_from_array(data, data[8:, 0], sequence_length=8, batch_size=16)
    x, y = next(iter(ds))
    assert x.dtype == np.float32 and y.dtype == np.float32 and tuple(x.shape) == (16, 8, 3)
    assert [tuple(s.shape) for s in ds.element_spec] == [(None, 8, 3), (None,)]
    model = learnet.keras.Sequential([layers.Input((8, 3)), layers.Flatten(), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(ds, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(sequence_length=0), "sequence_length"),
        (dict(sequence_length=3, sequence_stride=0), "sequence_stride"),
        (dict(sequence_length=3, sampling_rate=-1), "sampling_rate"),
        (dict(sequence_length=3, sampling_rate=20), "sampling_rate must be lower"),
        (dict(sequence_length=3, batch_size=0), "batch_size"),
        (dict(sequence_length=3, start_index=-2), "start_index"),
        (dict(sequence_length=3, start_index=20), "start_index must be lower"),
        (dict(sequence_length=3, start_index=5, end_index=4), "end_index"),
        (dict(sequence_length=3, end_index=20), "end_index must be lower"),
        (dict(sequence_length=2.5), "sequence_length"),
    ],
)
def test_timeseries_bad_input_is_named(options, message):
    with pytest.raises(ValueError, match="timeseries_dataset_from_array") as caught:
        timeseries_dataset_from_array(np.arange(20), None, **options)
    assert message in str(caught.value)


# --- text_dataset_from_directory ----------------------------------------------------------------------
@pytest.fixture
def text_folder(tmp_path):
    root = tmp_path / "reviews"
    texts = {
        "neg": ["dull and slow", "bad plot", "boring", "awful acting", "meh"],
        "pos": ["great fun", "loved it", "superb", "a joy", "brilliant cast", "wonderful"],
    }
    for label, items in texts.items():
        for i, text in enumerate(items):
            folder = root / label / ("more" if i == 2 else "")
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{i}.txt").write_text(text)
        (root / label / "notes.md").write_text("not a review")
    (root / ".hidden").mkdir()
    (root / ".hidden" / "x.txt").write_text("hidden")
    (root / "top.txt").write_text("outside every class")
    return root


def test_text_files_order_and_split_equal_keras(keras, text_folder, capsys):
    from keras.src.utils import dataset_utils

    expected, expected_labels, expected_names = dataset_utils.index_directory(
        str(text_folder), "inferred", formats=(".txt",), shuffle=True, seed=42, verbose=False
    )
    ds = text_dataset_from_directory(text_folder, seed=42)
    assert ds.file_paths == list(expected) and ds.class_names == expected_names
    train, val = text_dataset_from_directory(text_folder, seed=42, validation_split=0.3, subset="both")
    held_out = int(0.3 * len(expected))
    assert train.file_paths == list(expected[:-held_out]) and val.file_paths == list(expected[-held_out:])
    labels = np.concatenate([y.numpy() for _, y in val])
    np.testing.assert_array_equal(labels, expected_labels[-held_out:])  # validation is not shuffled
    assert "Using 8 files for training." in capsys.readouterr().out

    unshuffled, _, _ = dataset_utils.index_directory(str(text_folder), None, formats=(".txt",), shuffle=False)
    assert text_dataset_from_directory(text_folder, labels=None, shuffle=False).file_paths == list(unshuffled)


def test_text_batches_are_string_tensors_with_labels(text_folder, capsys):
    ds = text_dataset_from_directory(text_folder, batch_size=4, shuffle=False)
    assert capsys.readouterr().out.startswith("Found 11 files belonging to 2 classes.")
    texts, labels = next(iter(ds))
    assert texts.dtype == learnet.constant(["a"]).dtype and tuple(texts.shape) == (4,)
    assert texts.numpy().tolist() == [b"dull and slow", b"bad plot", b"awful acting", b"meh"]
    assert labels.dtype == np.int32 and labels.numpy().tolist() == [0, 0, 0, 0]
    assert len(ds) == 3 and ds.class_names == ["neg", "pos"]
    inferred = Dataset(ds._make_iterator).element_spec  # what reading the first batch tells
    assert repr(ds.element_spec) == repr(inferred).replace("(4,)", "(None,)")
    assert "tf.string" in repr(ds.element_spec)


@pytest.mark.parametrize(
    "label_mode, shape, dtype", [("binary", (11, 1), "float32"), ("categorical", (11, 2), "float32")]
)
def test_text_label_modes(text_folder, label_mode, shape, dtype):
    ds = text_dataset_from_directory(text_folder, label_mode=label_mode, batch_size=32, shuffle=False, verbose=False)
    _, labels = next(iter(ds))
    assert tuple(labels.shape) == shape and labels.dtype == dtype
    assert labels.numpy()[:, -1].sum() == 6  # the six "pos" reviews


def test_text_options(text_folder):
    quiet = functools.partial(text_dataset_from_directory, text_folder, shuffle=False, verbose=False)
    only_texts = next(iter(quiet(labels=None, batch_size=None)))  # the whole tree, as in Keras
    assert only_texts.numpy() == b"outside every class" and only_texts.shape == ()
    cut = next(iter(quiet(max_length=4)))[0].numpy()
    assert all(len(text) <= 4 for text in cut) and cut[0] == b"dull"
    chosen = quiet(class_names=["pos"])
    assert chosen.class_names == ["pos"] and len(chosen.file_paths) == 6
    given = quiet(labels=[i % 3 for i in range(13)], label_mode="categorical")
    assert given.class_names == ["0", "1", "2"] and tuple(next(iter(given))[1].shape) == (13, 3)
    single, label = next(iter(quiet(batch_size=None)))
    assert single.shape == () and label.shape == () and int(label) == 0


def test_text_dataset_in_a_tutorial_pipeline(text_folder):
    # TF "Basic text classification": .map, .cache().prefetch(AUTOTUNE), TextVectorization.
    raw = text_dataset_from_directory(text_folder, batch_size=4, seed=1, verbose=False)
    vectorize = layers.TextVectorization(max_tokens=50, output_mode="int", output_sequence_length=5)
    vectorize.adapt(np.concatenate(list(raw.map(lambda x, y: x).as_numpy_iterator())))
    ds = raw.map(lambda x, y: (vectorize(x), y)).cache().prefetch(learnet.data.AUTOTUNE)
    x, y = next(iter(ds))
    assert tuple(x.shape)[1] == 5 and x.shape[0] == y.shape[0]
    unbatched = text_dataset_from_directory(text_folder, batch_size=None, seed=1, verbose=False).batch(3)
    assert tuple(next(iter(unbatched))[0].shape) == (3,)


def test_text_vectorization_adapts_on_the_dataset(text_folder):
    raw = text_dataset_from_directory(text_folder, batch_size=4, seed=1, verbose=False)
    vectorize = layers.TextVectorization(max_tokens=50)
    vectorize.adapt(raw.map(lambda x, y: x))
    assert "great" in vectorize.get_vocabulary()


@pytest.mark.parametrize(
    "options, error, message",
    [
        (dict(label_mode="sparse"), ValueError, "label_mode"),
        (dict(label_mode="binary", class_names=["neg", "pos", "x"]), ValueError, "class_names"),
        (dict(validation_split=0.2, subset="training"), ValueError, "seed"),
        (dict(subset="training"), ValueError, "validation_split"),
        (dict(validation_split=1.5, subset="training", seed=1), ValueError, "between 0 and 1"),
        (dict(labels=[0, 1]), ValueError, "2 labels given for the 13"),
        (dict(labels="folders"), ValueError, "labels"),
        (dict(labels=[0] * 11, class_names=["neg"]), ValueError, "class_names"),
        (dict(batch_size=0), ValueError, "batch_size"),
    ],
)
def test_text_bad_input_is_named(text_folder, options, error, message):
    with pytest.raises(error, match="text_dataset_from_directory") as caught:
        text_dataset_from_directory(text_folder, verbose=False, **options)
    assert message in str(caught.value)


def test_text_missing_or_empty_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="text_dataset_from_directory.*not a folder"):
        text_dataset_from_directory(tmp_path / "nowhere")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.txt").write_text("one")
    (tmp_path / "c").mkdir()
    with pytest.raises(ValueError, match="no text files"):
        text_dataset_from_directory(tmp_path / "a", verbose=False)
    with pytest.raises(ValueError, match='label_mode="binary" needs exactly 2 classes'):
        text_dataset_from_directory(tmp_path, label_mode="binary", verbose=False)


# --- split_dataset ---------------------------------------------------------------------------------
SIZE_CASES = [
    (0.8, None),
    (None, 0.25),
    (3, None),
    (None, 7),
    (0.5, 0.3),
    (4, 5),
    (0.33, None),
    (0.5, 0.5),
    (0.999, None),
    (None, 0.05),
]


@pytest.mark.parametrize("left_size, right_size", SIZE_CASES)
def test_split_sizes_equal_keras(keras, left_size, right_size):
    from keras.src.utils.dataset_utils import _rescale_dataset_split_sizes

    total = 10
    try:
        expected = _rescale_dataset_split_sizes(left_size, right_size, total)
    except ValueError:
        with pytest.raises(ValueError, match="split_dataset"):
            split_dataset(np.arange(total), left_size, right_size)
        return
    left, right = split_dataset(np.arange(total), left_size=left_size, right_size=right_size)
    assert (len(left), len(right)) == expected
    assert [int(v) for v in left] == list(range(expected[0]))
    assert [int(v) for v in right] == list(range(total - expected[1], total))


@pytest.mark.parametrize(
    "left_size, right_size", [(0, None), (10, None), (1.0, None), (-1, None), (0.6, 0.6), (6, 6), (0.01, None)]
)
def test_split_bad_sizes_raise_like_keras(keras, left_size, right_size):
    from keras.src.utils.dataset_utils import _rescale_dataset_split_sizes

    with pytest.raises(ValueError):
        _rescale_dataset_split_sizes(left_size, right_size, 10)
    with pytest.raises(ValueError, match="split_dataset"):
        split_dataset(np.arange(10), left_size, right_size)


def test_split_bad_kinds():
    with pytest.raises(TypeError, match="split_dataset: left_size"):
        split_dataset(np.arange(10), left_size="half")
    with pytest.raises(ValueError, match="give left_size, right_size"):
        split_dataset(np.arange(10))
    with pytest.raises(TypeError, match="split_dataset expects"):
        split_dataset(42, left_size=0.5)
    with pytest.raises(ValueError, match="different numbers of samples"):
        split_dataset((np.zeros(4), np.zeros(5)), left_size=2)


def test_split_structures_keep_rows_together():
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    left, right = split_dataset((x, y), left_size=0.7, shuffle=True, seed=5)
    rows = [(a.numpy(), int(b)) for a, b in left] + [(a.numpy(), int(b)) for a, b in right]
    assert sorted(int(b) for _, b in rows) == list(range(10))
    assert all((a == x[b]).all() for a, b in rows)
    features, labels = split_dataset({"f": x, "l": y}, right_size=2)
    assert len(features) == 8 and set(next(iter(labels))) == {"f", "l"}
    as_list = split_dataset([x, y], left_size=5)[0]
    assert isinstance(next(iter(as_list)), tuple)
    left, right = split_dataset(list(range(6)), left_size=4)  # a list of numbers is one array
    assert [int(v) for v in right] == [4, 5]


def test_split_shuffle_is_keras_order_and_keeps_the_global_generator():
    state = random.getstate()
    random.seed(11)  # Keras: random.seed(seed); random.shuffle(samples)
    keras_order = list(range(12))
    random.shuffle(keras_order)
    random.setstate(state)
    left, right = split_dataset(np.arange(12), left_size=9, shuffle=True, seed=11)
    assert [int(v) for v in left] + [int(v) for v in right] == keras_order
    assert random.getstate() == state


def test_split_a_dataset():
    ds = Dataset.from_tensor_slices((np.arange(10.0), np.arange(10)))
    left, right = split_dataset(ds, left_size=0.6)
    assert len(left) == 6 and len(right) == 4
    assert [int(y) for _, y in right] == [6, 7, 8, 9]
    assert [b[1].numpy().tolist() for b in left.batch(4)] == [[0, 1, 2, 3], [4, 5]]
    assert len(list(left)) == 6  # can be read again


# --- get_file --------------------------------------------------------------------------------------------
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/www; ``.requests`` counts the GETs."""
    root = tmp_path / "www"
    root.mkdir()
    requests = []

    class Handler(_QuietHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            requests.append(self.path)
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.root, httpd.requests = root, requests
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def home(tmp_path, monkeypatch):
    folder = tmp_path / "home"
    monkeypatch.setenv("LEARNET_HOME", str(folder))
    return folder


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def test_get_file_downloads_once_into_the_learnet_home(server, home):
    data = b"x,y\n1,2\n"
    (server.root / "table.csv").write_bytes(data)
    path = get_file(origin=server.url + "table.csv", file_hash=sha256(data))
    assert Path(path) == home / "datasets" / "table.csv" and Path(path).read_bytes() == data
    assert get_file("table.csv", server.url + "table.csv", file_hash=sha256(data)) == path
    assert len(server.requests) == 1  # the second call used the cache
    get_file("table.csv", server.url + "table.csv", force_download=True)
    assert len(server.requests) == 2
    other = get_file("t.csv", server.url + "table.csv", cache_subdir="mine", md5_hash=hashlib.md5(data).hexdigest())
    assert Path(other) == home / "mine" / "t.csv"


def test_get_file_without_hash_and_cache_dir(server, tmp_path, home):
    (server.root / "a b.txt").write_bytes(b"spaced")
    path = get_file(origin=server.url + "a%20b.txt", cache_dir=tmp_path / "cache")
    assert Path(path) == tmp_path / "cache" / "datasets" / "a b.txt" and Path(path).read_bytes() == b"spaced"


def test_get_file_refuses_a_corrupt_download_and_replaces_a_corrupt_cache(server, home):
    (server.root / "w.bin").write_bytes(b"right")
    with pytest.raises(ValueError, match="get_file: the file downloaded from .* corrupted"):
        get_file(origin=server.url + "w.bin", file_hash=sha256(b"wrong"))
    assert not (home / "datasets" / "w.bin").exists()
    assert not [p for p in (home / "datasets").iterdir()]  # no partial file either
    with pytest.raises(ValueError, match="corrupted"):
        get_file(origin=server.url + "w.bin", file_hash=hashlib.md5(b"wrong").hexdigest(), hash_algorithm="md5")
    (home / "datasets" / "w.bin").write_bytes(b"stale")
    path = get_file(origin=server.url + "w.bin", file_hash=sha256(b"right"))
    assert Path(path).read_bytes() == b"right" and len(server.requests) == 3


def test_get_file_reads_local_paths_and_file_urls(tmp_path, home):
    source = tmp_path / "local.txt"
    source.write_bytes(b"here")
    assert Path(get_file(origin=str(source))).read_bytes() == b"here"
    assert Path(get_file("copy.txt", source.as_uri(), file_hash=sha256(b"here"))).read_bytes() == b"here"


def test_get_file_offline_and_missing_files_say_what_to_do(server, home):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(FileNotFoundError, match="get_file: could not download") as caught:
        get_file(origin=f"http://127.0.0.1:{closed_port}/data.zip")
    assert "put the file at" in str(caught.value) and str(home / "datasets" / "data.zip") in str(caught.value)
    with pytest.raises(FileNotFoundError, match="404"):
        get_file(origin=server.url + "missing.txt")
    with pytest.raises(FileNotFoundError, match="neither a URL"):
        get_file(origin="no/such/file.txt")
    assert not list((home / "datasets").iterdir())


@pytest.mark.parametrize(
    "options, error, message",
    [
        (dict(), ValueError, "give origin"),
        (dict(origin="http://h/x", file_hash="not-hex"), ValueError, "hexadecimal"),
        (dict(origin="http://h/x", file_hash="ab", hash_algorithm="sha1"), ValueError, "hash_algorithm"),
        (dict(origin="http://h/x", fname="a/b.txt"), ValueError, "plain file name"),
        (dict(origin="ftp:/"), ValueError, "file name"),
        (dict(origin="gopher://h/x"), ValueError, "unsupported scheme"),
    ],
)
def test_get_file_bad_arguments(home, options, error, message):
    with pytest.raises(error, match="get_file") as caught:
        get_file(**options)
    assert message in str(caught.value)


def _tar(members, gz=True):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz" if gz else "w") as tar:
        for name, data, kind in members:
            info = tarfile.TarInfo(name)
            if kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, data
                tar.addfile(info)
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, data
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _zip(members, symlink=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            archive.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink[0])
            info.external_attr = (0o120777 << 16) | 0
            archive.writestr(info, symlink[1])
    return buffer.getvalue()


def test_get_file_extracts_tar_and_zip(server, home):
    (server.root / "flowers.tgz").write_bytes(_tar([("flowers/a/1.txt", b"one", "file")]))
    (server.root / "pack.zip").write_bytes(_zip([("pack/b.txt", b"two")]))
    folder = get_file(origin=server.url + "flowers.tgz", extract=True)
    assert Path(folder) == home / "datasets" / "flowers.tgz"
    assert (Path(folder) / "flowers" / "a" / "1.txt").read_bytes() == b"one"
    assert (home / "datasets" / "flowers.tgz_archive").is_file()
    named = get_file("pack.zip", server.url + "pack.zip", extract=True)
    assert Path(named) == home / "datasets" / "pack_extracted" and (Path(named) / "pack" / "b.txt").is_file()
    plain = get_file("plain", server.url + "flowers.tgz", untar=True)
    assert (Path(plain) / "flowers" / "a" / "1.txt").is_file()
    assert get_file(origin=server.url + "flowers.tgz", extract=True) == folder
    assert len(server.requests) == 3  # the extracted folder was used again


@pytest.mark.parametrize(
    "archive",
    [
        _tar([("ok.txt", b"fine", "file"), ("../escaped.txt", b"evil", "file")]),
        _tar([("/tmp/absolute.txt", b"evil", "file")], gz=False),
        _tar([("ok.txt", b"fine", "file"), ("link", "/etc/passwd", "symlink")]),
        _tar([("ok.txt", b"fine", "file"), ("hard", "ok.txt", "hardlink")]),
        _zip([("ok.txt", b"fine"), ("../escaped.txt", b"evil")]),
        _zip([("ok.txt", b"fine")], symlink=("link", "/etc/passwd")),
    ],
    ids=["tar-dotdot", "tar-absolute", "tar-symlink", "tar-hardlink", "zip-dotdot", "zip-symlink"],
)
def test_get_file_refuses_unsafe_archives_and_writes_nothing(server, home, archive):
    (server.root / "bad.archive").write_bytes(archive)
    with pytest.raises(ValueError, match="get_file: refusing to extract .*(outside|link)"):
        get_file("bad", server.url + "bad.archive", extract=True)
    assert sorted(p.name for p in (home / "datasets").iterdir()) == ["bad_archive"]
    assert not (home / "escaped.txt").exists() and not (home / "datasets" / "escaped.txt").exists()


def test_get_file_warns_when_nothing_to_extract(server, home):
    (server.root / "text.txt").write_bytes(b"not an archive")
    with pytest.warns(UserWarning, match="not a"):
        get_file("text", server.url + "text.txt", extract=True)
    with pytest.raises(ValueError, match="archive_format"):
        get_file("text", server.url + "text.txt", extract=True, archive_format="rar")


# --- Progbar ---------------------------------------------------------------------------------------------
def test_progbar_averages_like_keras(keras, capsys):
    steps = [(1, [("loss", 4.0), ("acc", 0.5)]), (3, [("loss", 1.0), ("acc", 0.7)]), (4, [("loss", 2.0)])]
    theirs = keras.utils.Progbar(10, verbose=0, stateful_metrics=["acc"])
    ours = utils.Progbar(10, verbose=0, stateful_metrics=["acc"])
    for current, values in steps:
        theirs.update(current, values)
        ours.update(current, values)
    for name in ("loss", "acc"):
        assert ours._values[name][0] / ours._values[name][1] == pytest.approx(
            theirs._values[name][0] / theirs._values[name][1]
        )
    assert capsys.readouterr().out == ""


def test_progbar_final_lines(capsys):
    bar = utils.Progbar(4, verbose=2, unit_name="sample")
    for _ in range(4):
        bar.add(1, values=[("loss", 2.0)])
    line = capsys.readouterr().out.strip()
    assert line.startswith("4/4 - ") and "/sample" in line and line.endswith("loss: 2.0000")

    bar = utils.Progbar(10, width=10, verbose=1)
    bar.update(5, [("loss", 1.0)])
    bar.update(10, [("loss", 3.0)])
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("10/10 [==========] ") and line.endswith("loss: 3.0000")

    bar = utils.Progbar(None, verbose=2)
    bar.update(3, [("loss", 1.0)])
    bar.update(3, [("loss", 1.0)], finalize=True)
    assert capsys.readouterr().out.startswith("3/3 - ")


def test_progbar_bad_arguments():
    with pytest.raises(ValueError, match="Progbar: width"):
        utils.Progbar(10, width=0)
    with pytest.raises(ValueError, match="Progbar: give stateful_metrics or stateless_metrics"):
        utils.Progbar(10, stateful_metrics=["a"], stateless_metrics=["b"])
    with pytest.raises(ValueError, match="Progbar: verbose"):
        utils.Progbar(10, verbose=3)


# --- the train_step helpers ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args", [(1,), (1, 2), (1, 2, 3), (1, None, 3), ((1, 2),), ([1, 2], 3), (np.zeros(2),)], ids=str
)
def test_pack_equals_keras(keras, args):
    expected = keras.utils.pack_x_y_sample_weight(*args)
    got = pack_x_y_sample_weight(*args)
    assert type(got) is type(expected) and repr(got) == repr(expected)


@pytest.mark.parametrize("data", [1, (1,), (1, 2), [1, 2, 3], None, np.zeros(2)], ids=str)
def test_unpack_equals_keras(keras, data):
    assert repr(unpack_x_y_sample_weight(data)) == repr(keras.utils.unpack_x_y_sample_weight(data))


def test_unpack_too_many():
    with pytest.raises(ValueError, match="unpack_x_y_sample_weight.*tuple of 4"):
        unpack_x_y_sample_weight((1, 2, 3, 4))


def test_keras_tensors_and_their_sources():
    a, b = layers.Input(shape=(4,)), layers.Input(shape=(4,))
    shared = layers.Dense(4)
    left, right = shared(a), shared(b)
    merged = layers.Add()([layers.Dense(4)(left), left, right])
    assert is_keras_tensor(merged) and not is_keras_tensor(np.zeros(2)) and not is_keras_tensor(3)
    sources = get_source_inputs(merged)
    assert len(sources) == 2 and sources[0] is a and sources[1] is b
    assert get_source_inputs(a)[0] is a and len(get_source_inputs(a)) == 1
    value = np.zeros(3)
    assert get_source_inputs(value) is value


def test_get_source_inputs_of_a_deep_chain_does_not_recurse():
    x = inputs = layers.Input(shape=(2,))
    for _ in range(1500):
        x = x + 1.0
    assert get_source_inputs(x)[0] is inputs


def test_everything_is_in_keras_utils():
    for name in (
        "timeseries_dataset_from_array",
        "text_dataset_from_directory",
        "split_dataset",
        "get_file",
        "Progbar",
        "pack_x_y_sample_weight",
        "unpack_x_y_sample_weight",
        "is_keras_tensor",
        "get_source_inputs",
    ):
        assert getattr(learnet.keras.utils, name) is getattr(utils, name)
    assert os.fspath(Path(utils.get_file.__module__.replace(".", "/"))) == "learnet/dataset_utils"
