"""Saving and loading: whole models round-trip (architecture, weights, optimizer state);
bad or hostile files are refused with clear errors; saves are atomic."""

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest

import learnet
from learnet import Input, layers, saving
from learnet.models import Model, Sequential, clone_model, load_model, model_from_json
from learnet.saving import InvalidModelFileError


@pytest.fixture(autouse=True)
def _fresh_names():
    learnet.utils.clear_session()


def data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype("float32")
    return x, (x[:, 0] + x[:, 1] > 0).astype("int64")


def trained_model(optimizer="adam"):
    model = Sequential(
        [
            layers.Dense(8, activation="relu", input_shape=(6,)),
            layers.Dropout(0.1),
            layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = data()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    return model


def rewrite_archive(source, target, change):
    """Copy a model archive, letting ``change(name, data)`` alter (or drop, with None) each entry."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = change(info.filename, old.read(info.filename))
            if data is not None:
                new.writestr(info.filename, data)


def edit_config(path, target, edit):
    def change(name, data):
        if name == "config.json":
            config = json.loads(data)
            edit(config)
            return json.dumps(config)
        return data

    rewrite_archive(path, target, change)


def npz(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


# --- round trips ------------------------------------------------------------------------------------


def test_save_and_load_give_identical_predictions_and_optimizer_state(tmp_path):
    model = trained_model()
    path = tmp_path / "model.learnet"
    model.save(path)
    restored = load_model(path)
    x, y = data()
    assert type(restored) is Sequential and restored.name == model.name
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    assert type(restored.optimizer) is type(model.optimizer)
    saved_state, restored_state = model.optimizer.get_state(), restored.optimizer.get_state()
    assert saved_state.keys() == restored_state.keys()
    for key in saved_state:
        np.testing.assert_array_equal(saved_state[key], restored_state[key])
    assert restored.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


def test_training_continues_identically_after_loading(tmp_path):
    model = trained_model()
    model.save(tmp_path / "model.keras")
    restored = load_model(tmp_path / "model.keras")
    x, y = data()
    learnet.utils.set_random_seed(11)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    learnet.utils.set_random_seed(11)
    restored.fit(x, y, epochs=2, batch_size=16, verbose=0)
    for a, b in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_load_without_compiling(tmp_path):
    trained_model().save(tmp_path / "m.learnet")
    restored = load_model(tmp_path / "m.learnet", compile=False)
    assert restored.optimizer is None and not restored.compiled


def test_functional_model_round_trip(tmp_path):
    left, right = Input(shape=(3,), name="left"), Input(shape=(2,), name="right")
    shared = layers.Dense(4, activation="tanh", name="shared")
    merged = layers.Concatenate()([shared(layers.Dense(4)(left)), shared(layers.Dense(4)(right))])
    score = layers.Dense(1, name="score")(merged)
    kind = layers.Dense(3, activation="softmax", name="kind")(merged)
    model = Model([left, right], [score, kind], name="two_by_two")
    model.compile(optimizer="rmsprop", loss=["mse", "sparse_categorical_crossentropy"], metrics=[[], ["accuracy"]])
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(10, 3)), rng.normal(size=(10, 2))]
    y = [rng.normal(size=(10, 1)), rng.integers(0, 3, 10)]
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "f.learnet")
    restored = load_model(tmp_path / "f.learnet")
    assert [layer.name for layer in restored.layers] == [layer.name for layer in model.layers]
    for a, b in zip(restored.predict(x, verbose=0), model.predict(x, verbose=0)):
        np.testing.assert_array_equal(a, b)
    assert restored.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))


@learnet.saving.register_keras_serializable()
class Scale(layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.scale = self.add_weight(name="scale", shape=(input_shape[-1],), initializer="ones")

    def call(self, inputs):
        return inputs * self.scale * self.factor


class Tiny(Model):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = layers.Dense(units)
        self.scale = Scale(0.5)

    def call(self, inputs, training=None):
        return self.scale(self.dense(inputs))


def test_subclassed_model_with_custom_layer_round_trip(tmp_path):
    model = Tiny(units=4)
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((5, 3), dtype="float32")
    model.fit(x, np.zeros((5, 4)), verbose=0)
    model.save(tmp_path / "tiny.learnet")
    with pytest.raises(InvalidModelFileError, match=r"unknown layer class 'Tiny'.*custom_objects"):
        load_model(tmp_path / "tiny.learnet")
    restored = load_model(tmp_path / "tiny.learnet", custom_objects={"Tiny": Tiny})
    assert restored.units == 4
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_save_weights_and_load_weights(tmp_path):
    model = trained_model()
    model.save_weights(tmp_path / "m.weights.npz")
    with zipfile.ZipFile(tmp_path / "m.weights.npz") as archive:
        assert archive.namelist()[:2] == ["0000/dense/kernel.npy", "0001/dense/bias.npy"]
    other = Sequential(
        [
            layers.Dense(8, activation="relu", input_shape=(6,)),
            layers.Dropout(0.1),
            layers.Dense(2, activation="softmax"),
        ]
    )
    other.load_weights(tmp_path / "m.weights.npz")
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    model.save(tmp_path / "whole.learnet")
    third = clone_model(model)
    third.load_weights(tmp_path / "whole.learnet")  # the weights of a whole-model file
    np.testing.assert_array_equal(third.get_weights()[0], model.get_weights()[0])


def test_load_weights_checks_everything_before_changing_anything(tmp_path):
    model = trained_model()
    model.save_weights(tmp_path / "m.weights.npz")
    different = Sequential([layers.Dense(8, input_shape=(6,)), layers.Dense(3)])
    before = different.get_weights()
    with pytest.raises(ValueError, match=r"shape \(8, 2\).*shape \(8, 3\)"):
        different.load_weights(tmp_path / "m.weights.npz")
    for a, b in zip(before, different.get_weights()):
        np.testing.assert_array_equal(a, b)
    unbuilt = Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="not built"):
        unbuilt.load_weights(tmp_path / "m.weights.npz")


def test_clone_model_and_json(tmp_path):
    model = trained_model()
    clone = clone_model(model)
    assert [type(layer) for layer in clone.layers] == [type(layer) for layer in model.layers]
    assert not np.array_equal(clone.get_weights()[0], model.get_weights()[0])
    rebuilt = model_from_json(model.to_json())
    assert rebuilt.count_params() == model.count_params()


# --- refusing bad files -------------------------------------------------------------------------------


def test_hdf5_names_get_a_clear_error(tmp_path):
    pytest.importorskip("h5py")
    model = trained_model()
    with pytest.raises(ValueError, match="HDF5"):
        model.save_weights(tmp_path / "model.h5")  # a weights file's name ends in .weights.h5, as in Keras 3
    assert not (tmp_path / "model.h5").exists()
    (tmp_path / "old.h5").write_bytes(b"\x89HDF\r\n\x1a\n")
    with pytest.raises(InvalidModelFileError, match="HDF5"):
        load_model(tmp_path / "old.h5")


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04" + b"\0" * 30])
def test_a_file_that_is_not_a_zip_is_refused(tmp_path, content):
    path = tmp_path / "bad.learnet"
    path.write_bytes(content)
    with pytest.raises(InvalidModelFileError, match="not a valid learnet file"):
        load_model(path)


def test_a_truncated_file_is_refused(tmp_path):
    trained_model().save(tmp_path / "m.learnet")
    whole = (tmp_path / "m.learnet").read_bytes()
    for cut in (len(whole) // 2, len(whole) - 10):
        (tmp_path / "cut.learnet").write_bytes(whole[:cut])
        with pytest.raises(InvalidModelFileError):
            load_model(tmp_path / "cut.learnet")


def test_a_damaged_entry_is_refused(tmp_path):
    trained_model().save(tmp_path / "m.learnet")
    whole = bytearray((tmp_path / "m.learnet").read_bytes())
    position = whole.find(b"dense/kernel.npy") + 200  # inside the stored weights
    whole[position] ^= 0xFF
    (tmp_path / "bad.learnet").write_bytes(bytes(whole))
    with pytest.raises(InvalidModelFileError, match="damaged|CRC"):
        load_model(tmp_path / "bad.learnet")


def test_a_pickle_inside_the_archive_is_refused(tmp_path):
    model = trained_model()
    model.save(tmp_path / "m.learnet")

    def object_array(name, data):
        if name == "model.weights.npz":
            return npz({"0000/dense/kernel": np.array([os.system, "echo hi"], dtype=object)})
        return data

    rewrite_archive(tmp_path / "m.learnet", tmp_path / "pickled.learnet", object_array)
    with pytest.raises(InvalidModelFileError, match="pickle"):
        load_model(tmp_path / "pickled.learnet")

    def extra_entry(name, data):
        return data

    rewrite_archive(tmp_path / "m.learnet", tmp_path / "extra.learnet", extra_entry)
    with zipfile.ZipFile(tmp_path / "extra.learnet", "a") as archive:
        archive.writestr("payload.pkl", b"\x80\x04cos\nsystem\n.")
    with pytest.raises(InvalidModelFileError, match="unexpected entries.*payload.pkl"):
        load_model(tmp_path / "extra.learnet")


def test_an_unknown_layer_class_is_refused(tmp_path):
    trained_model().save(tmp_path / "m.learnet")

    def rename(config):
        config["config"]["layers"][1]["class_name"] = "EvilLayer"

    edit_config(tmp_path / "m.learnet", tmp_path / "evil.learnet", rename)
    with pytest.raises(InvalidModelFileError, match="unknown layer class 'EvilLayer'"):
        load_model(tmp_path / "evil.learnet")


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda c: c["config"]["layers"][1]["config"].update(activation="os.system"), "names a Python module"),
        (
            lambda c: c["config"]["layers"][1]["config"].update(
                kernel_initializer={"module": "builtins", "class_name": "eval", "config": {}}
            ),
            "'module'",
        ),
        (lambda c: c.update(__reduce__=["os.system", ["ls"]]), "__reduce__"),
    ],
)
def test_a_config_naming_python_code_is_refused(tmp_path, edit, message):
    trained_model().save(tmp_path / "m.learnet")
    edit_config(tmp_path / "m.learnet", tmp_path / "evil.learnet", edit)
    with pytest.raises(InvalidModelFileError, match=message):
        load_model(tmp_path / "evil.learnet")


def test_a_config_with_a_bad_value_is_refused_clearly(tmp_path):
    trained_model().save(tmp_path / "m.learnet")
    edit_config(
        tmp_path / "m.learnet",
        tmp_path / "bad.learnet",
        lambda c: c["config"]["layers"][1]["config"].update(units="many"),
    )
    with pytest.raises(InvalidModelFileError, match="cannot create layer 'dense'.*units"):
        load_model(tmp_path / "bad.learnet")


@pytest.mark.parametrize(
    "replacement, message",
    [
        (np.zeros((6, 9), dtype="float32"), r"shape \(6, 9\)"),
        (np.zeros((6, 8), dtype="float64"), "dtype float64"),
    ],
)
def test_weights_of_the_wrong_shape_or_dtype_are_refused(tmp_path, replacement, message):
    model = trained_model()
    model.save(tmp_path / "m.learnet")

    def swap(name, data):
        if name == "model.weights.npz":
            arrays = dict(np.load(io.BytesIO(data), allow_pickle=False))
            arrays["0000/dense/kernel"] = replacement
            return npz(arrays)
        return data

    rewrite_archive(tmp_path / "m.learnet", tmp_path / "bad.learnet", swap)
    with pytest.raises(InvalidModelFileError, match=message):
        load_model(tmp_path / "bad.learnet")


def test_a_zip_bomb_is_refused_before_decompressing(tmp_path):
    path = tmp_path / "bomb.learnet"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", "{}")
        with archive.open("model.weights.npz", "w", force_zip64=True) as member:
            chunk = bytes(1 << 20)
            for _ in range(64):  # 64 MiB of zeros in a few dozen KiB
                member.write(chunk)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(InvalidModelFileError, match="zip bomb"):
        load_model(path)


def test_an_array_header_lying_about_its_size_is_refused(tmp_path):
    model = trained_model()
    model.save(tmp_path / "m.learnet")

    def lie(name, data):
        if name == "model.weights.npz":
            header = {"descr": "<f4", "fortran_order": False, "shape": (100000, 100000)}  # 37 GiB
            stream = io.BytesIO()
            np.lib.format.write_array_header_1_0(stream, header)
            return npz_raw({"0000/dense/kernel.npy": stream.getvalue() + b"\0" * 64})
        return data

    rewrite_archive(tmp_path / "m.learnet", tmp_path / "liar.learnet", lie)
    with pytest.raises(InvalidModelFileError, match="does not match"):
        load_model(tmp_path / "liar.learnet")


def npz_raw(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_folder_and_a_missing_file(tmp_path):
    with pytest.raises(InvalidModelFileError, match="folder"):
        load_model(tmp_path)
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "nothing.learnet")


# --- saving never leaves a broken file ---------------------------------------------------------------------


def test_a_failed_save_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    model = trained_model()
    path = tmp_path / "m.learnet"
    model.save(path)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(saving, "_json_bytes", broken)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.learnet"]  # no temporary file left


def test_overwrite_false_keeps_an_existing_file(tmp_path):
    model = trained_model()
    model.save(tmp_path / "m.learnet")
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "m.learnet", overwrite=False)


SAVER = textwrap.dedent("""
    import sys
    import numpy as np
    import learnet
    from learnet import layers
    model = learnet.Sequential([layers.Dense(64, input_shape=(256,)), layers.Dense(10)])
    model.compile(optimizer="adam", loss="mse")
    step = 0
    while True:
        model.layers[0].kernel.assign(np.full((256, 64), step, dtype="float32"))
        model.save(sys.argv[1])
        step += 1
        print(step, flush=True)
""")


def test_the_last_complete_save_survives_a_kill(tmp_path):
    path = tmp_path / "m.learnet"
    script = tmp_path / "saver.py"
    script.write_text(SAVER)
    for delay in (0.05, 0.13, 0.31):
        process = subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE)
        try:
            assert process.stdout.readline()  # at least one save completed
            time.sleep(delay)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        restored = load_model(path)
        kernel = restored.layers[0].kernel.numpy()
        assert np.all(kernel == kernel[0, 0])  # one whole save, not a mix of two
    leftovers = [p.name for p in tmp_path.iterdir() if p.name not in ("m.learnet", "saver.py")]
    assert all(name.endswith(".tmp") for name in leftovers)  # only a killed save's temporary file


def test_layers_holding_python_code_are_refused_at_save_or_load(tmp_path):
    # An operator is not code: it is saved as the keras.ops function it names.
    inputs = Input(shape=(2,))
    doubled = Model(inputs, inputs * 2.0)
    doubled.save(tmp_path / "op.learnet")
    x = np.array([[1.0, -2.0]], dtype="float32")
    np.testing.assert_array_equal(load_model(tmp_path / "op.learnet").predict(x, verbose=0), 2.0 * x)
    with_lambda = Sequential([Input(shape=(2,)), layers.Lambda(lambda x: x * 2.0)])
    with_lambda.save(tmp_path / "lambda.learnet")
    with pytest.raises(InvalidModelFileError, match="Lambda.*cannot be rebuilt"):
        load_model(tmp_path / "lambda.learnet")


def my_loss(y_true, y_pred):
    return learnet.reduce_mean(learnet.square(y_pred - y_true), axis=-1)


def test_a_custom_loss_function_is_found_through_custom_objects(tmp_path):
    model = Sequential([layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss=my_loss)
    model.save(tmp_path / "m.learnet")
    with pytest.raises(InvalidModelFileError, match="custom_objects"):
        load_model(tmp_path / "m.learnet")
    restored = load_model(tmp_path / "m.learnet", custom_objects={"my_loss": my_loss})
    x, y = np.ones((3, 2), dtype="float32"), np.zeros((3, 1), dtype="float32")
    assert restored.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))


def test_clone_model_with_custom_layers_and_a_clone_function():
    model = Sequential([Input(shape=(3,)), layers.Dense(4), Scale(3.0)])
    renamed = clone_model(
        model,
        clone_function=lambda layer: type(layer).from_config({**layer.get_config(), "name": layer.name + "_copy"}),
    )
    assert [layer.name for layer in renamed.layers] == [layer.name + "_copy" for layer in model.layers]
    assert renamed.layers[1].factor == 3.0


# --- file names and what a file holds -------------------------------------------------------------------

ACCEPTED = (
    "use a name ending in .learnet or .keras for a whole model (model.save), "
    "or in .weights.npz or .weights.h5 for the weights alone (model.save_weights)"
)


def test_save_picks_the_format_from_the_name_as_keras_3(tmp_path):
    model = trained_model()
    x, _ = data()
    for name in ("m.learnet", "m.keras"):
        model.save(tmp_path / name)
        np.testing.assert_array_equal(load_model(tmp_path / name).predict(x, verbose=0), model.predict(x, verbose=0))
    for name in ("w.weights.npz",):
        model.save_weights(tmp_path / name)
        copy = clone_model(model)
        copy.load_weights(tmp_path / name)
        np.testing.assert_array_equal(copy.get_weights()[0], model.get_weights()[0])


@pytest.mark.parametrize(
    "call, name, message",
    [
        (
            "save",
            "model.weights.npz",
            (
                "save: 'model.weights.npz' names a weights file; model.save writes the whole model: use a name ending in "
                ".learnet or .keras, or model.save_weights('model.weights.npz') for the weights alone"
            ),
        ),
        ("save", "model.pt", f"save: cannot tell the file format from the name 'model.pt': {ACCEPTED}"),
        ("save", "model.json", f"save: cannot tell the file format from the name 'model.json': {ACCEPTED}"),
        ("save", "my_keras_model", f"save: cannot tell the file format from the name 'my_keras_model': {ACCEPTED}"),
        (
            "save_weights",
            "my_weights",
            f"save_weights: cannot tell the file format from the name 'my_weights': {ACCEPTED}",
        ),
        (
            "save_weights",
            "model.learnet",
            (
                "save_weights: 'model.learnet' names a whole-model file; save_weights writes the weights alone: use a "
                "name ending in .weights.npz or .weights.h5, or model.save('model.learnet') for the whole model"
            ),
        ),
        (
            "save_weights",
            "weights.npz",
            f"save_weights: cannot tell the file format from the name 'weights.npz': {ACCEPTED}",
        ),
    ],
)
def test_other_names_are_refused_before_anything_is_written(tmp_path, call, name, message):
    model = trained_model()
    with pytest.raises(ValueError) as info:
        getattr(model, call)(tmp_path / name)
    assert str(info.value) == message
    assert list(tmp_path.iterdir()) == []


def test_load_model_on_a_weights_file_says_to_use_load_weights(tmp_path):
    model = trained_model()
    path = tmp_path / "m.weights.npz"
    model.save_weights(path)
    with pytest.raises(InvalidModelFileError) as info:
        load_model(path)
    assert str(info.value) == (
        f"load_model: {path}: this is a weights file: use model.load_weights('{path}') "
        "on a model built with the same layers"
    )


class NoKwargs(Model):
    def __init__(self, units=3):
        super().__init__()
        self.units = units
        self.dense = layers.Dense(units)

    def call(self, inputs):
        return self.dense(inputs)


def test_a_subclassed_model_without_kwargs_fails_to_load_naming_the_fix(tmp_path):
    model = NoKwargs(units=2)
    model(np.ones((1, 3), dtype="float32"))
    model.save(tmp_path / "m.learnet")
    with pytest.raises(InvalidModelFileError) as info:
        load_model(tmp_path / "m.learnet", custom_objects={"NoKwargs": NoKwargs})
    message = str(info.value)
    assert "unexpected keyword argument" in message
    assert (
        "let NoKwargs.__init__ accept **kwargs and pass them on (super().__init__(**kwargs)), "
        "or define NoKwargs.get_config and NoKwargs.from_config"
    ) in message


def test_metadata_travels_inside_the_model_file(tmp_path):
    model = trained_model()
    info = {
        "dataset": "fashion_mnist",
        "class_names": ["T-shirt/top", "Trouser"],
        "pixel_scale": 255.0,
        "source": "data.csv",
    }  # free text, even text that looks like a module path
    saving.save_model(model, tmp_path / "m.learnet", metadata=info)
    assert saving.read_metadata(tmp_path / "m.learnet") == info
    x, _ = data()
    np.testing.assert_array_equal(load_model(tmp_path / "m.learnet").predict(x, verbose=0), model.predict(x, verbose=0))
    model.save(tmp_path / "plain.learnet")
    assert saving.read_metadata(tmp_path / "plain.learnet") == {}


def test_metadata_that_is_not_plain_data_is_refused_before_writing(tmp_path):
    model = trained_model()
    with pytest.raises(ValueError, match="cannot save metadata\\['when'\\]: it holds a object"):
        saving.save_model(model, tmp_path / "m.learnet", metadata={"when": object()})
    with pytest.raises(TypeError, match="metadata must be a dict"):
        saving.save_model(model, tmp_path / "m.learnet", metadata=["mnist"])
    assert list(tmp_path.iterdir()) == []
