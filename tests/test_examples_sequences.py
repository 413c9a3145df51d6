"""examples/imdb_lstm.py and examples/cifar10_cnn.py, run on small learnable files made here.

The files are in the real formats (Keras' imdb.npz, CIFAR's binary archive); their
contents are synthetic, with a pattern to learn, so the tests need no download.
"""

import importlib.util
import io
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load_example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def reviews(rng, n):
    """Word ids 1..40; a positive review uses more of ids 5..9 than of ids 10..14."""
    texts, labels = np.empty(n, dtype=object), rng.integers(0, 2, n)
    for i, label in enumerate(labels):
        words = rng.integers(15, 40, size=rng.integers(3, 12)).tolist()
        cue = rng.integers(5, 10, size=3) if label else rng.integers(10, 15, size=3)
        for word in cue.tolist():
            words.insert(int(rng.integers(0, len(words) + 1)), word)
        texts[i] = words
    return texts, labels


@pytest.mark.slow
def test_imdb_lstm_example_learns_sentiment(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x_train, y_train = reviews(rng, 2000)
    x_test, y_test = reviews(rng, 200)
    np.savez(tmp_path / "imdb.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    accuracy = load_example("imdb_lstm").main(epochs=3, max_features=50, maxlen=20, path=tmp_path, verbose=0)
    assert accuracy > 0.9
    out = capsys.readouterr().out
    assert "lstm" in out and f"Test accuracy: {accuracy}" in out


def _add(archive, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def test_cifar10_cnn_example_runs_on_the_binary_archive(tmp_path, capsys):
    # A smoke run (a convnet on 32x32 colour images is too slow to train to a fixed
    # accuracy within the test budget): it loads the archive, trains one epoch, reports.
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 10, 120).astype(np.uint8)
    images = rng.integers(0, 256, size=(120, 3 * 32 * 32)).astype(np.uint8)
    records = np.concatenate([labels[:, None], images], axis=1)
    with tarfile.open(tmp_path / "cifar-10-binary.tar.gz", "w:gz") as archive:
        for i in range(5):
            _add(archive, f"cifar-10-batches-bin/data_batch_{i + 1}.bin", records[i * 20 : (i + 1) * 20].tobytes())
        _add(archive, "cifar-10-batches-bin/test_batch.bin", records[100:].tobytes())
    example = load_example("cifar10_cnn")
    accuracy = example.main(epochs=1, path=tmp_path, verbose=0)
    assert 0.0 <= accuracy <= 1.0
    out = capsys.readouterr().out
    assert "x_train shape: (100, 32, 32, 3)" in out and "conv2d" in out and f"Test accuracy: {accuracy}" in out
