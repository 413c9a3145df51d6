"""Hostile Keras files: the tricks of Keras' own CVE record are refused, no code runs, memory stays small.

CVE-2024-3660 (a Lambda layer's marshalled bytecode), CVE-2025-1550 (a config naming a
module and function to import), CVE-2025-9905 (the same in a legacy ``.h5``) and
CVE-2025-9906 (a config that switches unsafe loading back on) are rebuilt here by
hand; so are oversized layers and zip/HDF5 bombs. Each test checks that the file is
refused with ``InvalidModelFileError`` and, where the trick would run code, that the
marker file that code would write does not appear.
"""

import base64
import io
import json
import marshal
import tracemalloc
import zipfile

import numpy as np
import pytest

import learnet
from learnet.saving import InvalidModelFileError

h5py = pytest.importorskip("h5py", reason="h5py is not installed (pip install 'learnet[keras]')")


def _dense(name="dense", units=2, activation="linear", **extra):
    config = {
        "name": name,
        "trainable": True,
        "dtype": {
            "module": "keras",
            "class_name": "DTypePolicy",
            "config": {"name": "float32"},
            "registered_name": None,
        },
        "units": units,
        "activation": activation,
        "use_bias": True,
        "kernel_initializer": {
            "module": "keras.initializers",
            "class_name": "GlorotUniform",
            "config": {"seed": None},
            "registered_name": None,
        },
        "bias_initializer": {
            "module": "keras.initializers",
            "class_name": "Zeros",
            "config": {},
            "registered_name": None,
        },
    }
    config.update(extra)
    return {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": config,
        "registered_name": None,
        "build_config": {"input_shape": [None, 3]},
    }


def _sequential(*layers):
    return {
        "module": "keras",
        "class_name": "Sequential",
        "config": {
            "name": "sequential",
            "trainable": True,
            "layers": [
                {
                    "module": "keras.layers",
                    "class_name": "InputLayer",
                    "config": {"batch_shape": [None, 3], "dtype": "float32", "name": "input_layer"},
                    "registered_name": None,
                },
                *layers,
            ],
        },
        "registered_name": None,
    }


def _weights_h5(arrays=()):
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as handle:
        handle.create_group("vars")
        for path, array in arrays:
            handle.create_dataset(path, data=array)
    return buffer.getvalue()


def _keras_file(path, config, weights=None):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.5.0"}))
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", weights if weights is not None else _weights_h5())
    return path


def _marshalled_code(marker):
    """What Keras writes for a Lambda: the function's bytecode, marshalled and base64-encoded."""

    def touch(x):
        open(marker, "w").close()
        return x

    return base64.b64encode(marshal.dumps(touch.__code__)).decode("ascii")


def _load_refused(path, match=None):
    with pytest.raises(InvalidModelFileError, match=match):
        learnet.models.load_model(path)


def test_a_good_hand_made_file_loads(tmp_path):
    """The helpers make a valid file (so the refusals below are about the trick, not the helpers)."""
    weights = _weights_h5(
        [("layers/dense/vars/0", np.ones((3, 2), "float32")), ("layers/dense/vars/1", np.zeros(2, "float32"))]
    )
    model = learnet.models.load_model(_keras_file(tmp_path / "ok.keras", _sequential(_dense()), weights))
    np.testing.assert_allclose(model.predict(np.ones((1, 3), "float32"), verbose=0), [[3.0, 3.0]])


def test_lambda_with_marshalled_bytecode_is_refused_and_never_runs(tmp_path):  # CVE-2024-3660
    marker = tmp_path / "ran"
    lam = {
        "module": "keras.layers",
        "class_name": "Lambda",
        "registered_name": None,
        "config": {
            "name": "lambda",
            "function": {
                "class_name": "__lambda__",
                "config": {"code": _marshalled_code(marker), "defaults": None, "closure": None},
            },
        },
    }
    _load_refused(_keras_file(tmp_path / "lambda.keras", _sequential(lam)), "Lambda")
    assert not marker.exists()


@pytest.mark.parametrize(
    "trick",
    [
        {"module": "os", "class_name": "Dense"},  # a module outside Keras
        {"module": "builtins", "class_name": "function", "config": "exec"},  # a function to call
    ],
)
def test_a_config_naming_a_python_module_is_refused(tmp_path, trick):  # CVE-2025-1550
    layer = _dense()
    layer.update(trick)
    _load_refused(_keras_file(tmp_path / "module.keras", _sequential(layer)), "module|code|function")


@pytest.mark.parametrize(
    "activation",
    [
        {"module": "subprocess", "class_name": "function", "config": "call", "registered_name": "call"},
        {"module": "keras.src.utils", "class_name": "function", "config": "os.system", "registered_name": None},
        {"module": "keras", "class_name": "__lambda__", "config": {"code": "AAAA"}, "registered_name": None},
        "os.system",
        "enable_unsafe_deserialization",
    ],
)
def test_a_custom_function_path_is_refused(tmp_path, activation):
    _load_refused(_keras_file(tmp_path / "function.keras", _sequential(_dense(activation=activation))))


def test_a_config_that_would_enable_unsafe_loading_is_refused(tmp_path):  # CVE-2025-9906
    switch = {
        "module": "keras.config",
        "class_name": "function",
        "config": "enable_unsafe_deserialization",
        "registered_name": "enable_unsafe_deserialization",
    }
    _load_refused(_keras_file(tmp_path / "switch.keras", _sequential(switch, _dense())), "not a layer")


def test_a_keras_function_named_as_a_layer_is_refused(tmp_path):
    fetch = {
        "module": "keras.utils",
        "class_name": "get_file",
        "registered_name": None,
        "config": {"fname": "x", "origin": "http://127.0.0.1:9/evil"},
    }
    _load_refused(_keras_file(tmp_path / "get_file.keras", _sequential(fetch)), "unknown layer class")


def test_a_custom_object_not_passed_in_is_refused(tmp_path):
    layer = _dense()
    layer["registered_name"] = "evil>Dense"
    _load_refused(_keras_file(tmp_path / "custom.keras", _sequential(layer)), "custom_objects")


def test_legacy_h5_with_a_marshalled_lambda_is_refused_and_never_runs(tmp_path):  # CVE-2025-9905
    marker = tmp_path / "ran"
    config = {
        "class_name": "Sequential",
        "config": {
            "name": "s",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "config": {"batch_input_shape": [None, 3], "dtype": "float32", "name": "in"},
                },
                {
                    "class_name": "Lambda",
                    "config": {
                        "name": "lambda",
                        "function": [_marshalled_code(marker), None, None],
                        "function_type": "lambda",
                        "module": "__main__",
                    },
                },
            ],
        },
    }
    path = tmp_path / "lambda.h5"
    with h5py.File(path, "w") as handle:
        handle.attrs["model_config"] = json.dumps(config)
        handle.create_group("model_weights").attrs["layer_names"] = np.array([b"lambda"])
    _load_refused(path, "code")
    assert not marker.exists()


def _peak_bytes(function):
    tracemalloc.start()
    try:
        function()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def _refused_within(path, limit=64 << 20):
    def load():
        with pytest.raises(InvalidModelFileError, match="bytes"):
            learnet.models.load_model(path)

    assert _peak_bytes(load) < limit


def test_a_small_keras_file_asking_for_a_huge_layer_is_refused_without_allocating(tmp_path):
    path = _keras_file(
        tmp_path / "huge.keras",
        _sequential(_dense(units=10**8)),
        _weights_h5([("layers/dense/vars/0", np.ones((3, 2), "float32"))]),
    )
    _refused_within(path)


def test_a_small_learnet_file_asking_for_a_huge_layer_is_refused_without_allocating(tmp_path):
    model = learnet.Sequential([learnet.layers.Input((3,)), learnet.layers.Dense(2)])
    model.save(tmp_path / "small.learnet")
    with zipfile.ZipFile(tmp_path / "small.learnet") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["config"]["units"] = 10**8
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(tmp_path / "huge.learnet", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    _refused_within(tmp_path / "huge.learnet")


def test_a_legacy_h5_asking_for_a_huge_layer_is_refused_without_allocating(tmp_path):
    config = {
        "class_name": "Sequential",
        "config": {
            "name": "s",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "config": {"batch_input_shape": [None, 3], "dtype": "float32", "name": "in"},
                },
                {"class_name": "Dense", "config": {"name": "dense", "units": 10**8}},
            ],
        },
    }
    path = tmp_path / "huge.h5"
    with h5py.File(path, "w") as handle:
        handle.attrs["model_config"] = json.dumps(config)
        group = handle.create_group("model_weights")
        group.attrs["layer_names"] = np.array([b"dense"])
        group.create_group("dense").attrs["weight_names"] = np.array([b"dense/kernel:0"])
        group["dense"].create_dataset("dense/kernel:0", data=np.ones((3, 2), "float32"))
    _refused_within(path)


def test_an_hdf5_bomb_is_refused_before_reading(tmp_path):
    """A compressed dataset that declares 400 MB in a file of a few kilobytes."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as handle:
        handle.create_dataset(
            "layers/dense/vars/0", shape=(10000, 10000), dtype="float32", compression="gzip", chunks=(1000, 1000)
        )
        handle.create_dataset("layers/dense/vars/1", data=np.zeros(10000, "float32"))
    layer = _dense(units=10000)
    layer["build_config"] = {"input_shape": [None, 10000]}
    config = _sequential(layer)
    config["config"]["layers"][0]["config"]["batch_shape"] = [None, 10000]
    _refused_within(_keras_file(tmp_path / "bomb.keras", config, buffer.getvalue()))


def test_a_zip_bomb_is_refused_before_decompressing(tmp_path):
    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", b" " * (40 << 20), compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("model.weights.h5", _weights_h5())
    _load_refused(path, "zip bomb")


@pytest.mark.parametrize("kind", ["text", "external", "soft link"])
def test_weights_that_are_not_plain_numbers_in_the_file_are_refused_and_change_nothing(tmp_path, kind):
    model = learnet.Sequential([learnet.layers.Input((3,)), learnet.layers.Dense(2)])
    before = [w.copy() for w in model.get_weights()]
    path = tmp_path / "w.weights.h5"
    with h5py.File(path, "w") as handle:
        group = handle.create_group("layers/dense/vars")
        group.create_dataset("1", data=np.zeros(2, "float32"))
        if kind == "text":
            group.create_dataset("0", data=np.array([[b"a", b"b"]] * 3, dtype=object), dtype=h5py.string_dtype())
        elif kind == "external":
            (tmp_path / "outside.bin").write_bytes(b"\0" * 24)
            group.create_dataset("0", shape=(3, 2), dtype="float32", external=[(str(tmp_path / "outside.bin"), 0, 24)])
        else:
            group["0"] = h5py.SoftLink("/layers/dense/vars/1")
    with pytest.raises(InvalidModelFileError):
        model.load_weights(path)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("content", [b"\x89HDF\r\n\x1a\n", b"\x89HDF\r\n\x1a\n" + b"\0" * 200])
def test_a_truncated_h5_is_refused(tmp_path, content):
    path = tmp_path / "cut.h5"
    path.write_bytes(content)
    _load_refused(path)


@pytest.mark.parametrize("function", ["py_function", "numpy_function", "io.write_file", "__import__", "os.system"])
def test_a_tf_op_layer_may_name_only_a_computation_learnet_records(tmp_path, function):
    # tf.keras 2's TFOpLambda names a TensorFlow function; only learnet's recorded computations
    # (tf.concat, tf.math.reduce_mean...) are found, never code, files or imports.
    layer = {
        "class_name": "TFOpLambda",
        "config": {"name": "tf.op", "trainable": True, "dtype": "float32", "function": function},
    }
    _load_refused(_keras_file(tmp_path / "op.keras", _sequential(layer)), "not a TensorFlow function")


@pytest.mark.parametrize("operation", ["tf:py_function", "tf:io.write_file", "tf:math._private", "eval", "cond"])
def test_learnets_own_file_may_name_only_a_recorded_operation(tmp_path, operation):
    inputs = learnet.Input((3,))
    model = learnet.Model(inputs, learnet.ops.mean(inputs, axis=1))
    config = learnet.saving.serialize_model(model)
    entry = next(e for e in config["config"]["layers"] if e["class_name"] == "OperationLayer")
    entry["config"]["operation"] = operation
    with pytest.raises((InvalidModelFileError, ValueError), match="not a (keras.ops|TensorFlow) operation"):
        learnet.saving.model_from_config(config)
