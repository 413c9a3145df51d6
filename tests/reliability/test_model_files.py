"""A downloaded model file never runs code, and a bad one gets a clear ``ValueError``.

Hostile files are built from a valid one: a pickle inside (with a ``__reduce__`` payload
that would create a marker file if it were ever unpickled), unknown layer classes,
configs naming Python code anywhere, weights of the wrong shape or dtype, truncated
and non-zip files, zip bombs. Two hypothesis fuzzers mutate valid files (their bytes,
and their JSON configs) for a bounded number of examples: only learnet's own
``InvalidModelFileError`` (a ``ValueError``) may come out, and the marker never appears.

Not covered here: a config asking for a layer that is huge but allocatable
(``units=10**9``) is built, allocating gigabytes, before its weights are compared with
the file's; absurd sizes fail at once and are refused. A weight budget (``add_weight``
refusing, while a file loads, more elements than the file's weights hold) would close
that gap.
"""

import copy
import io
import json
import os
import pickle
import struct
import sys
import tempfile
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import learnet
from learnet import Input, layers
from learnet.models import Model, Sequential, load_model
from learnet.saving import InvalidModelFileError

MARKER_MODULE = "learnet_marker_payload"


@pytest.fixture(autouse=True)
def _fresh_names():
    learnet.utils.clear_session()


class Payload:
    """Unpickling this object opens (creates) ``path``: proof that code from a file ran."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.fixture
def marker(tmp_path, monkeypatch):
    """A path that appears only if code from a file runs: by unpickling, or by importing a module.

    The module ``learnet_marker_payload`` (on ``sys.path`` for the test) creates the marker
    when it is imported, so a config naming ``learnet_marker_payload.run`` would give the
    loader away if it ever imported what a file names.
    """
    path = tmp_path / "code-ran.txt"
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / f"{MARKER_MODULE}.py").write_text(
        f"open({str(path)!r}, 'w').close()\n\ndef run(*args, **kwargs):\n    return 0\n\nclass Evil:\n    pass\n"
    )
    monkeypatch.syspath_prepend(str(modules))
    monkeypatch.delitem(sys.modules, MARKER_MODULE, raising=False)
    yield path
    assert not path.exists(), "code from a model file ran"


def test_the_marker_works(marker):
    """The payloads are real: unpickling or importing them does create the marker."""
    pickle.loads(pickle.dumps(Payload(marker)))
    assert marker.exists()
    marker.unlink()
    buffer = io.BytesIO()
    np.save(buffer, np.array([Payload(marker)], dtype=object), allow_pickle=True)
    buffer.seek(0)
    np.load(buffer, allow_pickle=True)
    assert marker.exists()
    marker.unlink()
    __import__(MARKER_MODULE)
    assert marker.exists()
    marker.unlink()


# --- valid files to start from ---------------------------------------------------------------------


def sequential_model():
    model = Sequential(
        [
            Input(shape=(6,)),
            layers.Dense(8, activation="relu", kernel_regularizer=learnet.regularizers.L2(1e-3)),
            layers.Dropout(0.1),
            layers.BatchNormalization(),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(16, 6)), rng.integers(0, 3, 16), epochs=1, verbose=0)
    return model


def functional_model():
    left, right = Input(shape=(3,), name="left"), Input(shape=(2,), name="right")
    merged = layers.Concatenate()([layers.Dense(4, name="a")(left), layers.Dense(4, name="b")(right)])
    model = Model([left, right], layers.Dense(1, name="out")(merged), name="pair")
    model.compile(optimizer="rmsprop", loss="mse")
    model.fit([np.ones((4, 3)), np.ones((4, 2))], np.ones((4, 1)), verbose=0)
    return model


def conv_model():
    model = Sequential(
        [
            Input(shape=(6, 6, 1)),
            layers.Conv2D(2, 3, padding="same"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(2),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 6, 6, 1)), np.zeros((4, 2)), verbose=0)
    return model


BUILDERS = {"sequential": sequential_model, "functional": functional_model, "conv": conv_model}
_SAVED = {}


def valid_bytes(kind="sequential"):
    """The bytes of a valid saved model of this kind (made once per session)."""
    if kind not in _SAVED:
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "model.learnet")
            BUILDERS[kind]().save(path)
            with open(path, "rb") as stream:
                _SAVED[kind] = stream.read()
    return _SAVED[kind]


def members(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info.filename) for info in archive.infolist()}


def archive_bytes(entries, compression=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def with_entries(kind="sequential", **changes):
    """A valid file with some entries replaced (``None`` removes one). Names use '_' for '.'."""
    entries = members(valid_bytes(kind))
    for key, value in changes.items():
        name = key.replace("_json", ".json").replace("_npz", ".npz").replace("model_weights", "model.weights")
        if value is None:
            entries.pop(name, None)
        else:
            entries[name] = value
    return archive_bytes(entries)


def with_config(edit, kind="sequential", member="config.json"):
    entries = members(valid_bytes(kind))
    config = json.loads(entries[member])
    edit(config)
    entries[member] = json.dumps(config).encode()
    return archive_bytes(entries)


def npz(arrays, allow_pickle=False):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for key, array in arrays.items():
            item = io.BytesIO()
            np.save(item, array, allow_pickle=allow_pickle)
            archive.writestr(f"{key}.npy", item.getvalue())
    return buffer.getvalue()


def saved_weights(kind="sequential"):
    return dict(np.load(io.BytesIO(members(valid_bytes(kind))["model.weights.npz"]), allow_pickle=False))


def load_bytes(tmp_path, data, name="model.learnet", **kwargs):
    path = tmp_path / name
    path.write_bytes(data)
    return load_model(path, **kwargs)


def refused(tmp_path, data, match=None, name="model.learnet"):
    """Loading ``data`` raises InvalidModelFileError (a ValueError) matching ``match``."""
    with pytest.raises(InvalidModelFileError, match=match) as error:
        load_bytes(tmp_path, data, name)
    assert isinstance(error.value, ValueError)
    return str(error.value)


def test_the_valid_files_load(tmp_path):
    for kind in BUILDERS:
        model = load_bytes(tmp_path, valid_bytes(kind))
        assert model.count_params() > 0


# --- pickles -----------------------------------------------------------------------------------------


def object_array(marker):
    return np.array([Payload(marker), "x"], dtype=object)


def pickle_cases(marker):
    weights = saved_weights()
    poisoned = dict(weights)
    poisoned["0000/dense/kernel"] = object_array(marker)
    return {
        "an object array among the weights": with_entries(model_weights_npz=npz(poisoned, allow_pickle=True)),
        "an object array as the only weight": with_entries(
            model_weights_npz=npz({"0000/dense/kernel": object_array(marker)}, allow_pickle=True)
        ),
        "an object array in the optimizer state": with_entries(
            optimizer_npz=npz({"iterations": object_array(marker)}, allow_pickle=True)
        ),
        "a raw pickle as the weights": with_entries(model_weights_npz=pickle.dumps(Payload(marker))),
        "a raw pickle as the config": with_entries(config_json=pickle.dumps(Payload(marker))),
        "a pickle as an extra entry": archive_bytes(
            {**members(valid_bytes()), "payload.pkl": pickle.dumps(Payload(marker))}
        ),
        "a pickle named like a weight": with_entries(
            model_weights_npz=archive_bytes({"0000/dense/kernel.npy": pickle.dumps(Payload(marker))})
        ),
        "a structured dtype with an object field": with_entries(
            model_weights_npz=npz(
                {"0000/dense/kernel": np.zeros(2, dtype=[("a", "f4"), ("b", "O")])}, allow_pickle=True
            )
        ),
        "the whole file is a pickle": pickle.dumps(Payload(marker)),
    }


PICKLE_CASES = list(pickle_cases("unused"))


@pytest.mark.parametrize("case", PICKLE_CASES)
def test_a_pickle_anywhere_is_refused_and_never_run(tmp_path, marker, case):
    message = refused(tmp_path, pickle_cases(marker)[case])
    assert any(
        word in message
        for word in (
            "pickle",
            "not a valid",
            "unexpected entries",
            "not valid JSON",
            "not a valid .npy",
            "Python objects",
        )
    )
    assert not marker.exists()


def test_load_weights_refuses_a_pickle_too(tmp_path, marker):
    model = sequential_model()
    before = [w.copy() for w in model.get_weights()]
    path = tmp_path / "m.weights.npz"
    weights = {f"{i:04d}/w": w for i, w in enumerate(before)}
    weights["0000/w"] = object_array(marker)
    path.write_bytes(npz(weights, allow_pickle=True))
    with pytest.raises(InvalidModelFileError, match="Python objects \\(a pickle\\)"):
        model.load_weights(path)
    for old, new in zip(before, model.get_weights()):
        assert old.tobytes() == new.tobytes()


# --- unknown classes and configs naming code ------------------------------------------------------


def set_path(config, path, value):
    for key in path[:-1]:
        config = config[key]
    config[path[-1]] = value


UNKNOWN_CLASSES = [
    ("a made-up layer", "sequential", ("config", "layers", 1, "class_name"), "EvilLayer"),
    ("a Python builtin as a layer", "sequential", ("config", "layers", 1, "class_name"), "eval"),
    ("a module path as a layer", "sequential", ("config", "layers", 3, "class_name"), f"{MARKER_MODULE}.Evil"),
    ("an unknown model class", "sequential", ("class_name",), "Evil"),
    ("an unknown class in a functional model", "functional", ("config", "layers", 2, "class_name"), "Evil"),
    ("a class name that is not text", "sequential", ("config", "layers", 1, "class_name"), ["Dense"]),
]


@pytest.mark.parametrize("name, kind, path, value", UNKNOWN_CLASSES, ids=[c[0] for c in UNKNOWN_CLASSES])
def test_an_unknown_layer_class_is_refused(tmp_path, marker, name, kind, path, value):
    data = with_config(lambda config: set_path(config, path, value), kind)
    message = refused(tmp_path, data)
    assert "unknown layer class" in message or "module or function" in message or "must be a str" in message


CODE_IN_CONFIG = [
    ("os.system as an activation", "config.json", ("config", "layers", 1, "config", "activation"), "os.system"),
    ("builtins.eval as an activation", "config.json", ("config", "layers", 4, "config", "activation"), "builtins.eval"),
    (
        "a marker module's function as an activation",
        "config.json",
        ("config", "layers", 1, "config", "activation"),
        f"{MARKER_MODULE}.run",
    ),
    (
        "a module key in an initializer",
        "config.json",
        ("config", "layers", 1, "config", "kernel_initializer"),
        {"module": "builtins", "class_name": "eval", "config": {}},
    ),
    (
        "a module key deep in a regularizer",
        "config.json",
        ("config", "layers", 1, "config", "kernel_regularizer"),
        {"class_name": "L2", "config": {"l2": 0.001, "inner": [{"deeper": {"module": MARKER_MODULE}}]}},
    ),
    (
        "a registered_name with a module path",
        "config.json",
        ("config", "layers", 1, "config", "bias_initializer"),
        {"class_name": "Zeros", "config": {}, "registered_name": f"{MARKER_MODULE}.Evil"},
    ),
    ("a __reduce__ key", "config.json", ("__reduce__",), ["os.system", ["touch hacked"]]),
    ("a __class__ key in a layer config", "config.json", ("config", "layers", 2, "config", "__class__"), "os.system"),
    ("a py/object key (jsonpickle)", "config.json", ("config", "layers", 1, "py/object"), "os.system"),
    ("a function_type key (Keras Lambda)", "config.json", ("config", "layers", 1, "config", "function_type"), "lambda"),
    ("a module path inside a list", "config.json", ("config", "layers", 1, "config", "extra"), [1, ["os.system"]]),
    ("os.system as the loss", "metadata.json", ("compile_config", "loss"), "os.system"),
    ("builtins.eval as a metric", "metadata.json", ("compile_config", "metrics"), ["builtins.eval"]),
    (
        "a module path as the optimizer class",
        "metadata.json",
        ("compile_config", "optimizer"),
        {"class_name": f"{MARKER_MODULE}.Evil", "config": {}},
    ),
    ("a module key in the optimizer", "metadata.json", ("compile_config", "optimizer", "module"), "builtins"),
    ("a module path in the metadata", "metadata.json", ("learnet_version",), "os.system"),
]


@pytest.mark.parametrize("name, member, path, value", CODE_IN_CONFIG, ids=[c[0] for c in CODE_IN_CONFIG])
def test_a_config_naming_python_code_is_refused(tmp_path, marker, name, member, path, value):
    data = with_config(lambda config: set_path(config, path, value), member=member)
    message = refused(tmp_path, data)
    assert "module" in message or "Python code" in message or "key" in message
    assert MARKER_MODULE not in sys.modules


def test_a_lambda_layer_is_never_rebuilt_from_a_file(tmp_path, marker):
    model = Sequential([Input(shape=(2,)), layers.Lambda(lambda x: x * 2.0)])
    model.save(tmp_path / "lambda.learnet")
    with pytest.raises(InvalidModelFileError, match="Lambda.*cannot be rebuilt"):
        load_model(tmp_path / "lambda.learnet")


# --- weights that do not fit ----------------------------------------------------------------------------


def replace_weight(key, array):
    weights = saved_weights()
    if array is None:
        del weights[key]
    else:
        weights[key] = array
    return with_entries(model_weights_npz=npz(weights))


WRONG_WEIGHTS = [
    (
        "a kernel of the wrong shape",
        lambda: replace_weight("0000/dense/kernel", np.zeros((6, 9), "float32")),
        r"weight 'dense/kernel' has shape \(6, 9\).*shape \(6, 8\)",
    ),
    (
        "a transposed kernel",
        lambda: replace_weight("0000/dense/kernel", np.zeros((8, 6), "float32")),
        r"shape \(8, 6\)",
    ),
    (
        "a float64 kernel",
        lambda: replace_weight("0000/dense/kernel", np.zeros((6, 8), "float64")),
        r"dtype float64.*dtype float32",
    ),
    ("an int32 bias", lambda: replace_weight("0001/dense/bias", np.zeros(8, "int32")), r"dtype int32"),
    (
        "a complex kernel",
        lambda: replace_weight("0000/dense/kernel", np.zeros((6, 8), "complex64")),
        r"data of type complex64",
    ),
    ("a text kernel", lambda: replace_weight("0000/dense/kernel", np.full((6, 8), "a")), r"data of type <U1"),
    ("a scalar kernel", lambda: replace_weight("0000/dense/kernel", np.float32(1.0)), r"shape \(\)"),
    ("a weight missing", lambda: replace_weight("0001/dense/bias", None), r"not numbered|weight arrays"),
    (
        "a weight too many",
        lambda: replace_weight("0099/dense/extra", np.zeros(2, "float32")),
        r"not numbered|weight arrays",
    ),
    ("a badly named weight", lambda: replace_weight("kernel", np.zeros(2, "float32")), r"unexpected entry 'kernel'"),
    ("no weights at all", lambda: with_entries(model_weights_npz=npz({})), r"holds 0 weight arrays"),
    ("weights file missing", lambda: with_entries(model_weights_npz=None), r"has no model.weights.npz"),
    ("config missing", lambda: with_entries(config_json=None), r"has no config.json"),
    (
        "an optimizer slot of the wrong shape",
        lambda: with_entries(
            optimizer_npz=npz(
                {**dict(np.load(io.BytesIO(members(valid_bytes())["optimizer.npz"]))), "0/m": np.zeros(3, "float32")}
            )
        ),
        r"optimizer state does not fit",
    ),
    (
        "an array header lying about its size",
        lambda: with_entries(model_weights_npz=archive_bytes({"0000/dense/kernel.npy": lying_npy((100000, 100000))})),
        r"does not match",
    ),
    (
        "a negative shape in a header",
        lambda: with_entries(model_weights_npz=archive_bytes({"0000/dense/kernel.npy": lying_npy((-1, 8))})),
        r"not a valid .npy|does not match",
    ),
    (
        "an unknown .npy version",
        lambda: with_entries(
            model_weights_npz=archive_bytes({"0000/dense/kernel.npy": b"\x93NUMPY\x09\x00" + b"\0" * 32})
        ),
        r"not a valid .npy",
    ),
]


def lying_npy(shape):
    stream = io.BytesIO()
    np.lib.format.write_array_header_1_0(stream, {"descr": "<f4", "fortran_order": False, "shape": shape})
    return stream.getvalue() + b"\0" * 64


@pytest.mark.parametrize("name, build, message", WRONG_WEIGHTS, ids=[c[0] for c in WRONG_WEIGHTS])
def test_weights_that_do_not_fit_are_refused(tmp_path, name, build, message):
    refused(tmp_path, build(), message)


# --- not a zip, truncated, damaged ----------------------------------------------------------------------

NOT_ZIP = {
    "empty": b"",
    "text": b"this is not a model\n" * 10,
    "JSON": json.dumps({"class_name": "Sequential", "config": {"layers": []}}).encode(),
    "PNG": b"\x89PNG\r\n\x1a\n" + bytes(64),
    "gzip": b"\x1f\x8b\x08\x00" + bytes(64),
    "a local header only": b"PK\x03\x04" + bytes(30),
    "an end record only": b"PK\x05\x06" + bytes(18),
    "random bytes": bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)),
}


@pytest.mark.parametrize("name", NOT_ZIP)
def test_a_file_that_is_not_a_zip_is_refused(tmp_path, name):
    refused(tmp_path, NOT_ZIP[name], "not a valid learnet file|not a learnet model file")


def test_an_hdf5_file_gets_its_own_message(tmp_path):
    refused(tmp_path, b"\x89HDF\r\n\x1a\n" + bytes(64), name="model.keras")


def test_a_bare_weights_archive_is_not_a_model(tmp_path):
    refused(tmp_path, members(valid_bytes())["model.weights.npz"], "this is a weights file: use model.load_weights")


def truncation_offsets(size):
    """Many cut points: every 37th byte, and each of the last 64 (the central directory)."""
    return sorted(set(range(0, size, 37)) | set(range(max(0, size - 64), size)))


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_a_file_truncated_anywhere_is_refused(tmp_path, kind):
    data = valid_bytes(kind)
    offsets = truncation_offsets(len(data))
    for cut in offsets:
        with pytest.raises(InvalidModelFileError):
            load_bytes(tmp_path, data[:cut])
    assert len(offsets) > 100


def patch_headers(data, central_offset, local_offset, value):
    """Set a 2-byte field of every entry's central and local header."""
    data = bytearray(data)
    for signature, offset in ((b"PK\x01\x02", central_offset), (b"PK\x03\x04", local_offset)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            struct.pack_into("<H", data, start + offset, value)
            start += 4
    return bytes(data)


DAMAGED_HEADERS = [
    ("a zip version from the future", lambda d: patch_headers(d, 6, 4, 99), "not a valid learnet file|damaged"),
    ("an unknown compression method", lambda d: patch_headers(d, 10, 8, 99), "damaged|not a valid"),
    ("entries marked encrypted", lambda d: patch_headers(d, 8, 6, 1), "encrypted|damaged|not a valid"),
]


@pytest.mark.parametrize("name, damage, message", DAMAGED_HEADERS, ids=[c[0] for c in DAMAGED_HEADERS])
def test_damaged_zip_headers_are_refused(tmp_path, name, damage, message):
    refused(tmp_path, damage(valid_bytes()), message)


def test_a_flipped_bit_in_the_weights_is_caught_by_the_checksum(tmp_path):
    data = bytearray(valid_bytes())
    data[data.find(b"0000/dense/kernel.npy") + 200] ^= 0x01
    refused(tmp_path, bytes(data), "damaged|CRC")


def test_bytes_around_a_valid_archive_are_tolerated_like_unzip_does(tmp_path):
    data = valid_bytes()
    # A self-extracting stub before the archive, or padding after it: the archive is whole.
    assert load_bytes(tmp_path, b"junk" * 25 + data).count_params() > 0
    assert load_bytes(tmp_path, data + b"\0" * 100).count_params() > 0


# --- zip bombs --------------------------------------------------------------------------------------------


def deflated_zeros_entry(archive, name, mebibytes):
    with archive.open(name, "w", force_zip64=True) as member:
        chunk = bytes(1 << 20)
        for _ in range(mebibytes):
            member.write(chunk)


def outer_bomb():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", members(valid_bytes())["config.json"])
        deflated_zeros_entry(archive, "model.weights.npz", 256)
    return buffer.getvalue()


def inner_bomb():
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        deflated_zeros_entry(archive, "0000/dense/kernel.npy", 256)
    return with_entries(model_weights_npz=inner.getvalue())


def many_entries():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(100001):
            archive.writestr(f"{index}", b"")
    return buffer.getvalue()


def lying_sizes():
    """An entry whose headers declare 10 bytes but whose deflated data hold 32 MiB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", members(valid_bytes())["config.json"])
        archive.writestr("model.weights.npz", bytes(32 << 20))
    data = bytearray(buffer.getvalue())
    # Patch the declared uncompressed size in the local header and the central directory.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            name_length = struct.unpack_from("<H", data, start + (26 if signature == b"PK\x03\x04" else 28))[0]
            name_start = start + (30 if signature == b"PK\x03\x04" else 46)
            if bytes(data[name_start : name_start + name_length]) == b"model.weights.npz":
                struct.pack_into("<I", data, start + offset, 10)
            start += 4
    return bytes(data)


BOMBS = [
    ("256 MiB of zeros in the archive", outer_bomb, "zip bomb"),
    ("256 MiB of zeros inside the weights archive", inner_bomb, "zip bomb"),
    ("100,001 entries", many_entries, "holds 100001 files"),
    ("sizes that lie", lying_sizes, "damaged|CRC|instead of|not a valid"),
]


@pytest.mark.parametrize("name, build, message", BOMBS, ids=[c[0] for c in BOMBS])
def test_a_zip_bomb_is_refused_without_decompressing_it(tmp_path, name, build, message):
    import psutil

    data = build()
    assert len(data) < 16 << 20
    process = psutil.Process()
    before = process.memory_info().rss
    refused(tmp_path, data, message)
    assert process.memory_info().rss - before < 64 << 20  # never held the decompressed data


def test_load_weights_refuses_a_bomb_and_a_truncated_file(tmp_path):
    model = sequential_model()
    before = [w.copy() for w in model.get_weights()]
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        deflated_zeros_entry(archive, "0000/dense/kernel.npy", 64)
    (tmp_path / "bomb.weights.npz").write_bytes(inner.getvalue())
    with pytest.raises(InvalidModelFileError, match="zip bomb"):
        model.load_weights(tmp_path / "bomb.weights.npz")
    model.save_weights(tmp_path / "good.weights.npz")
    whole = (tmp_path / "good.weights.npz").read_bytes()
    (tmp_path / "cut.weights.npz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InvalidModelFileError):
        model.load_weights(tmp_path / "cut.weights.npz")
    for old, new in zip(before, model.get_weights()):
        assert old.tobytes() == new.tobytes()


# --- fuzzing -------------------------------------------------------------------------------------------------


def load_or_refuse(tmp_path, data):
    """Load ``data``; return "loaded" or "refused". Any other exception fails the test."""
    try:
        load_bytes(tmp_path, data)
    except InvalidModelFileError:
        return "refused"
    return "loaded"


mutation = st.one_of(
    st.tuples(st.just("set"), st.integers(0, 1 << 20), st.integers(0, 255)),
    st.tuples(st.just("delete"), st.integers(0, 1 << 20), st.integers(1, 64)),
    st.tuples(st.just("insert"), st.integers(0, 1 << 20), st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("truncate"), st.integers(0, 1 << 20), st.just(0)),
)


def mutate(data, mutations):
    data = bytearray(data)
    for kind, position, argument in mutations:
        if not data:
            break
        position %= len(data)
        if kind == "set":
            data[position] = argument
        elif kind == "delete":
            del data[position : position + argument]
        elif kind == "insert":
            data[position:position] = argument
        else:
            del data[position:]
    return bytes(data)


@settings(
    max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], derandomize=True
)
@given(kind=st.sampled_from(sorted(BUILDERS)), mutations=st.lists(mutation, min_size=1, max_size=6))
def test_fuzz_byte_mutations_only_give_learnets_error(tmp_path, marker, kind, mutations):
    load_or_refuse(tmp_path, mutate(valid_bytes(kind), mutations))
    assert not marker.exists()


JSON_VALUES = st.recursive(
    # Integers are small or absurd (>= 2**62, refused before any allocation). Sizes in
    # between (units=10**9) would allocate gigabytes while building the layer: see the
    # module docstring.
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-3, 40),
        st.sampled_from([1 << 62, 1 << 63, 1 << 64, -(1 << 63)]),
        st.floats(allow_nan=True),
        st.sampled_from(
            [
                "",
                "relu",
                "same",
                "valid",
                "channels_first",
                "float16",
                "int32",
                "bool",
                "zeros",
                "os.system",
                f"{MARKER_MODULE}.run",
                "Dense",
                "x" * 300,
            ]
        ),
        st.text(max_size=8),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(["class_name", "config", "name", "module", "a"]), children, max_size=3),
    ),
    max_leaves=6,
)


def config_paths(value, path=()):
    """Every place in a JSON document where a value could be replaced or removed."""
    places = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            places += config_paths(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            places += config_paths(item, path + (index,))
    return places


@settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], derandomize=True
)
@given(
    kind=st.sampled_from(sorted(BUILDERS)),
    member=st.sampled_from(["config.json", "metadata.json"]),
    edits=st.lists(st.tuples(st.integers(0, 1 << 16), st.booleans(), JSON_VALUES), min_size=1, max_size=3),
)
def test_fuzz_config_mutations_only_give_learnets_error(tmp_path, marker, kind, member, edits):
    """Replace or delete values anywhere in the configs: units=-1, kernel_size=2**40, strides=0, ..."""
    entries = members(valid_bytes(kind))
    config = json.loads(entries[member])
    for position, remove, value in edits:
        places = config_paths(config)
        if not places:
            break
        path = places[position % len(places)]
        parent = config
        for key in path[:-1]:
            parent = parent[key]
        if remove:
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(value)
    entries[member] = json.dumps(config).encode()
    load_or_refuse(tmp_path, archive_bytes(entries))
    assert MARKER_MODULE not in sys.modules
