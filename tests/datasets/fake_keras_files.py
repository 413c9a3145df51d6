"""Small files in the real formats of Keras' IMDB, Reuters and Boston files and CIFAR's archives.

Made from a fixed seed, so the fixture script (which runs real Keras on them) and the
tests (which run learnet on them) see the same bytes.
"""

import io
import pickle
import tarfile

import numpy as np


def _sequences(rng, n, vocabulary=60):
    # Ragged lists of Python ints, as in Keras' files; some long, some short.
    return [[int(v) for v in rng.integers(1, vocabulary, size=int(rng.integers(1, 25)))] for _ in range(n)]


def _object_array(lists):
    array = np.empty(len(lists), dtype=object)
    for i, item in enumerate(lists):
        array[i] = item
    return array


def write_imdb(path, seed=0):
    rng = np.random.default_rng(seed)
    np.savez(
        path,
        x_train=_object_array(_sequences(rng, 30)),
        y_train=rng.integers(0, 2, 30),
        x_test=_object_array(_sequences(rng, 20)),
        y_test=rng.integers(0, 2, 20),
    )
    return path


def write_reuters(path, seed=1):
    rng = np.random.default_rng(seed)
    np.savez(path, x=_object_array(_sequences(rng, 40)), y=rng.integers(0, 46, 40))
    return path


def write_boston(path, seed=2):
    rng = np.random.default_rng(seed)
    np.savez(path, x=rng.normal(size=(25, 13)), y=rng.uniform(5, 50, size=25))
    return path


def write_california(path, seed=4):
    rng = np.random.default_rng(seed)
    np.savez(path, x=rng.normal(size=(700, 8)).astype("float32"), y=rng.uniform(2e4, 5e5, size=700).astype("float32"))
    return path


def cifar_arrays(seed, n_train, n_test, label_bytes):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n_train + n_test, 3, 32, 32), dtype=np.uint8)
    classes = (20, 100) if label_bytes == 2 else (10,)
    labels = np.stack([rng.integers(0, c, size=n_train + n_test) for c in classes], axis=1).astype(np.uint8)
    return images, labels


def _add(archive, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def write_cifar10_binary(path, seed=3, per_batch=4, n_test=5):
    images, labels = cifar_arrays(seed, 5 * per_batch, n_test, 1)
    records = np.concatenate([labels, images.reshape(len(images), -1)], axis=1)
    with tarfile.open(path, "w:gz") as archive:
        for i in range(5):
            _add(
                archive,
                f"cifar-10-batches-bin/data_batch_{i + 1}.bin",
                records[i * per_batch : (i + 1) * per_batch].tobytes(),
            )
        _add(archive, "cifar-10-batches-bin/test_batch.bin", records[5 * per_batch :].tobytes())
        _add(archive, "cifar-10-batches-bin/batches.meta.txt", b"airplane\nautomobile\n")
    return path


def write_cifar100_binary(path, seed=4, n_train=12, n_test=5):
    images, labels = cifar_arrays(seed, n_train, n_test, 2)
    records = np.concatenate([labels, images.reshape(len(images), -1)], axis=1)
    with tarfile.open(path, "w:gz") as archive:
        _add(archive, "cifar-100-binary/train.bin", records[:n_train].tobytes())
        _add(archive, "cifar-100-binary/test.bin", records[n_train:].tobytes())
    return path


def write_cifar_python_folder(folder, kind, seed):
    """The same images in the pickled layout Keras reads (used only by the fixture script)."""
    if kind == "cifar10":
        images, labels = cifar_arrays(seed, 20, 5, 1)
        batches = folder / "cifar-10-batches-py"
        batches.mkdir(parents=True)
        flat = images.reshape(len(images), -1)
        for i in range(5):
            part = slice(i * 4, (i + 1) * 4)
            (batches / f"data_batch_{i + 1}").write_bytes(
                pickle.dumps({b"data": flat[part], b"labels": [int(v) for v in labels[part, 0]]})
            )
        (batches / "test_batch").write_bytes(
            pickle.dumps({b"data": flat[20:], b"labels": [int(v) for v in labels[20:, 0]]})
        )
        return batches
    images, labels = cifar_arrays(seed, 12, 5, 2)
    batches = folder / "cifar-100-python"
    batches.mkdir(parents=True)
    flat = images.reshape(len(images), -1)
    for name, part in (("train", slice(0, 12)), ("test", slice(12, None))):
        (batches / name).write_bytes(
            pickle.dumps(
                {
                    b"data": flat[part],
                    b"coarse_labels": [int(v) for v in labels[part, 0]],
                    b"fine_labels": [int(v) for v in labels[part, 1]],
                }
            )
        )
    return batches
