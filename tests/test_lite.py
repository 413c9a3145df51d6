"""tf.lite in learnet: the converter's bytes (learnet's own format) run by the interpreter give the
model's predictions; quantization stores smaller weights; hostile or foreign bytes are refused."""

import io
import json
import zipfile

import numpy as np
import pytest

import learnet as tf
import learnet.lite as lite  # `from learnet import lite` once learnet wires tf.lite

RNG = np.random.default_rng(11)
L = tf.keras.layers


def _conv_model():
    model = tf.keras.Sequential(
        [
            tf.keras.Input((12, 12, 1)),
            L.Conv2D(4, 3, activation="relu"),
            L.MaxPooling2D(),
            L.BatchNormalization(),
            L.Dropout(0.3),
            L.Flatten(),
            L.Dense(5),
        ]
    )
    model(RNG.normal(size=(2, 12, 12, 1)).astype("float32"))
    return model


def _wide_model():
    """Large enough kernels (>= 1024 values) to be quantized, as TensorFlow Lite picks them."""
    return tf.keras.Sequential(
        [tf.keras.Input((64,), name="features"), L.Dense(128, activation="relu"), L.Dense(10, activation="softmax")]
    )


def _convert(model, **options):
    converter = lite.TFLiteConverter.from_keras_model(model)
    for key, value in options.items():
        setattr(converter, key, value)
    return converter.convert()


def _run(blob, x):
    interpreter = lite.Interpreter(model_content=blob)
    interpreter.resize_tensor_input(interpreter.get_input_details()[0]["index"], x.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


# --- float round trip ------------------------------------------------------------------------------------
def test_the_interpreter_gives_the_keras_models_predictions(tmp_path):
    model = _conv_model()
    x = RNG.normal(size=(3, 12, 12, 1)).astype("float32")
    blob = _convert(model)
    assert isinstance(blob, bytes) and blob[4:8] != b"TFL3"
    path = tmp_path / "model.tflite"
    path.write_bytes(blob)
    interpreter = lite.Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
    assert set(inp) == {
        "name",
        "index",
        "shape",
        "shape_signature",
        "dtype",
        "quantization",
        "quantization_parameters",
        "sparsity_parameters",
    }
    assert inp["shape"].tolist() == [1, 12, 12, 1] and inp["shape_signature"].tolist() == [-1, 12, 12, 1]
    assert inp["dtype"] is np.float32 and inp["quantization"] == (0.0, 0)
    assert out["shape_signature"].tolist() == [-1, 5]
    expected = model.predict(x, verbose=0)
    for row in range(3):
        interpreter.set_tensor(inp["index"], x[row : row + 1])
        interpreter.invoke()
        np.testing.assert_allclose(interpreter.get_tensor(out["index"]), expected[row : row + 1], atol=1e-5)
    np.testing.assert_allclose(_run(blob, x), expected, atol=1e-5)


def test_signature_runner_names_and_outputs():
    model = _conv_model()
    interpreter = lite.Interpreter(model_content=_convert(model))
    name = model.inputs[0].name
    assert interpreter.get_signature_list() == {"serving_default": {"inputs": [name], "outputs": ["output_0"]}}
    runner = interpreter.get_signature_runner("serving_default")
    assert list(runner.get_input_details()) == [name] and list(runner.get_output_details()) == ["output_0"]
    x = RNG.normal(size=(4, 12, 12, 1)).astype("float32")
    result = runner(**{name: x})
    assert list(result) == ["output_0"]
    np.testing.assert_allclose(result["output_0"], model.predict(x, verbose=0), atol=1e-5)
    assert interpreter.get_signature_runner() is not None  # one signature: the key may be left out


def test_a_functional_model_names_its_inputs_and_sorts_dict_outputs():
    a, b = tf.keras.Input((2,), name="a"), tf.keras.Input((3,), name="b")
    joined = L.Concatenate()([a, b])
    model = tf.keras.Model([a, b], {"z": joined, "y": L.Dense(1)(joined)})
    interpreter = lite.Interpreter(model_content=_convert(model))
    assert interpreter.get_signature_list() == {"serving_default": {"inputs": ["a", "b"], "outputs": ["y", "z"]}}
    xa, xb = np.ones((2, 2), "float32"), np.full((2, 3), 2.0, "float32")
    result = interpreter.get_signature_runner()(a=xa, b=xb)
    expected = model([xa, xb])
    np.testing.assert_allclose(result["z"], expected["z"].numpy())
    np.testing.assert_allclose(result["y"], expected["y"].numpy(), atol=1e-6)


def test_a_subclassed_model_is_converted_after_it_was_called():
    class Tiny(tf.keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = L.Dense(3)

        def call(self, x):
            return tf.nn.relu(self.dense(x))

    model = Tiny()
    with pytest.raises(ValueError, match="not been built or called"):
        lite.TFLiteConverter.from_keras_model(model)
    x = RNG.normal(size=(2, 4)).astype("float32")
    model(x)
    interpreter = lite.Interpreter(model_content=_convert(model))
    (name,) = interpreter.get_signature_list()["serving_default"]["inputs"]
    np.testing.assert_allclose(interpreter.get_signature_runner()(**{name: x})["output_0"], model(x).numpy(), atol=1e-6)


# --- quantization -----------------------------------------------------------------------------------------
def test_dynamic_range_quantization_stores_int8_kernels_per_channel():
    model = _wide_model()
    x = RNG.normal(size=(16, 64)).astype("float32")
    float_blob = _convert(model)
    quantized = _convert(model, optimizations=[lite.Optimize.DEFAULT])
    assert len(quantized) < 0.4 * len(float_blob)
    expected = model.predict(x, verbose=0)
    got = _run(quantized, x)
    assert not np.array_equal(got, expected)  # the weights were rounded ...
    np.testing.assert_allclose(got, expected, atol=2e-2)  # ... a little
    interpreter = lite.Interpreter(model_content=quantized)
    kernels = [d for d in interpreter.get_tensor_details() if d["name"].endswith("kernel")]
    assert [d["dtype"] for d in kernels] == [np.int8, np.int8]
    assert kernels[0]["quantization_parameters"]["scales"].shape == (128,)  # one scale per unit
    assert kernels[0]["quantization_parameters"]["quantized_dimension"] == 1
    biases = [d for d in interpreter.get_tensor_details() if d["name"].endswith("bias")]
    assert all(d["dtype"] is np.float32 for d in biases)
    stored = interpreter.get_tensor(kernels[0]["index"])
    assert stored.dtype == np.int8 and np.abs(stored).max() == 127


def test_small_kernels_stay_float_as_in_tensorflow_lite():
    model = tf.keras.Sequential([tf.keras.Input((4,)), L.Dense(3)])  # 12 values < 1024
    interpreter = lite.Interpreter(model_content=_convert(model, optimizations=[lite.Optimize.DEFAULT]))
    assert {d["dtype"] for d in interpreter.get_tensor_details()} == {np.float32}


def test_quantize_and_dequantize_per_channel():
    w = RNG.normal(size=(3, 3, 2, 4)).astype("float32") * np.array([1, 10, 0.1, 0], "float32")
    q, scale = lite.quantize_per_channel(w)
    assert q.dtype == np.int8 and scale.shape == (4,) and scale[3] == 1.0
    back = lite.dequantize_per_channel(q, scale)
    assert np.all(np.abs(back - w) <= scale / 2 + 1e-7)


def test_float16_weights_halve_the_size():
    model = _wide_model()
    x = RNG.normal(size=(8, 64)).astype("float32")
    float_blob = _convert(model)
    half = _convert(model, optimizations=[lite.Optimize.DEFAULT])
    converter = lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [tf.float16]
    half = converter.convert()
    assert len(half) < 0.6 * len(float_blob)
    interpreter = lite.Interpreter(model_content=half)
    assert {d["dtype"] for d in interpreter.get_tensor_details()[1:-1]} == {np.float16}
    assert interpreter.get_input_details()[0]["dtype"] is np.float32
    np.testing.assert_allclose(_run(half, x), model.predict(x, verbose=0), atol=2e-3)


def test_full_integer_quantization_with_uint8_inputs_and_outputs():
    model = _wide_model()
    samples = RNG.uniform(0, 1, size=(20, 64)).astype("float32")

    def representative_dataset():
        for row in samples:
            yield [row[None]]

    converter = lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [lite.Optimize.DEFAULT]
    converter.representative_dataset = lite.RepresentativeDataset(representative_dataset)
    converter.target_spec.supported_ops = [lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.uint8
    converter.inference_output_type = tf.uint8
    interpreter = lite.Interpreter(model_content=converter.convert())
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    assert inp["dtype"] is np.uint8 and out["dtype"] is np.uint8
    in_scale, in_zero = inp["quantization"]
    out_scale, out_zero = out["quantization"]
    assert in_zero == 0 and 0.9 / 255 < in_scale < 1.01 / 255 and out_scale > 0
    assert inp["quantization_parameters"]["scales"].tolist() == [pytest.approx(in_scale)]
    expected = model.predict(samples[:5], verbose=0)
    for row in range(5):
        image = np.rint(samples[row : row + 1] / in_scale + in_zero).astype(np.uint8)
        interpreter.set_tensor(inp["index"], image)
        interpreter.invoke()
        got = (interpreter.get_tensor(out["index"]).astype("float32") - out_zero) * out_scale
        np.testing.assert_allclose(got, expected[row : row + 1], atol=3 * out_scale + 1e-2)
        assert np.argmax(got) == np.argmax(expected[row])
    with pytest.raises(ValueError, match="FLOAT32 but expected type UINT8"):
        interpreter.set_tensor(inp["index"], samples[:1])


def test_converter_options_that_do_not_fit_are_refused():
    model = _wide_model()
    converter = lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [lite.Optimize.DEFAULT]
    converter.target_spec.supported_ops = [lite.OpsSet.TFLITE_BUILTINS_INT8]
    with pytest.raises(ValueError, match="representative_dataset"):
        converter.convert()
    converter = lite.TFLiteConverter.from_keras_model(model)
    converter.inference_input_type = tf.int8
    with pytest.raises(ValueError, match="must be tf.float32"):
        converter.convert()
    converter = lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: iter([[np.ones((1, 5), "float32")]])
    with pytest.raises(ValueError, match="input 'features' has shape"):
        converter.convert()
    with pytest.raises(TypeError, match="expects a Keras model"):
        lite.TFLiteConverter.from_keras_model(lambda x: x)
    converter = lite.TFLiteConverter.from_keras_model(model)
    assert converter.target_spec.supported_ops == {lite.OpsSet.TFLITE_BUILTINS}
    assert converter.allow_custom_ops is False and converter.experimental_new_converter is True


# --- other sources ---------------------------------------------------------------------------------------
class Scaler(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable(RNG.normal(size=(4, 2)).astype("float32"), name="w")

    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)])
    def __call__(self, x):
        return {"y": tf.matmul(x, self.w)}

    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32), tf.TensorSpec([], tf.float32)])
    def scale(self, inp, s):
        return tf.matmul(inp, self.w) * s, s


def test_from_saved_model_of_a_module_keeps_its_signatures(tmp_path):
    module = Scaler()
    folder = str(tmp_path / "module")
    tf.saved_model.save(module, folder, signatures={"serving_default": module.__call__, "scale": module.scale})
    converter = lite.TFLiteConverter.from_saved_model(folder, signature_keys=["serving_default", "scale"])
    interpreter = lite.Interpreter(model_content=converter.convert())
    assert interpreter.get_signature_list() == {
        "scale": {"inputs": ["inp", "s"], "outputs": ["output_0", "output_1"]},
        "serving_default": {"inputs": ["x"], "outputs": ["y"]},
    }
    x = np.ones((3, 4), "float32")
    result = interpreter.get_signature_runner("scale")(inp=x, s=np.float32(2.0))
    np.testing.assert_allclose(result["output_0"], 2 * (x @ module.w.numpy()), rtol=1e-6)
    assert float(result["output_1"]) == 2.0
    np.testing.assert_allclose(interpreter.get_signature_runner("serving_default")(x=x)["y"], x @ module.w.numpy())
    assert [d["name"] for d in interpreter.get_input_details()] == ["scale_inp:0", "scale_s:0"]  # the first, sorted
    with pytest.raises(ValueError, match="None is only allowed when the model has 1 SignatureDef"):
        interpreter.get_signature_runner()
    with pytest.raises(ValueError, match='Invalid signature_key provided: "nope"'):
        interpreter.get_signature_runner("nope")
    with pytest.raises(ValueError, match="has no signature 'other'.*'scale', 'serving_default'"):
        lite.TFLiteConverter.from_saved_model(folder, signature_keys=["other"])
    only_default = lite.Interpreter(model_content=lite.TFLiteConverter.from_saved_model(folder).convert())
    assert list(only_default.get_signature_list()) == ["serving_default"]


def test_from_saved_model_of_a_keras_model(tmp_path):
    model = _conv_model()
    folder = str(tmp_path / "keras")
    tf.saved_model.save(model, folder)
    blob = lite.TFLiteConverter.from_saved_model(folder).convert()
    x = RNG.normal(size=(2, 12, 12, 1)).astype("float32")
    np.testing.assert_allclose(_run(blob, x), model.predict(x, verbose=0), atol=1e-5)
    with pytest.raises(ValueError, match="one signature"):
        lite.TFLiteConverter.from_saved_model(folder, signature_keys=["scale"])
    with pytest.raises(OSError, match="not a directory written by learnet"):
        lite.TFLiteConverter.from_saved_model(str(tmp_path / "nowhere"))


def test_from_concrete_functions():
    module = Scaler()
    model = _wide_model()
    run_model = tf.function(lambda x: model(x))
    concrete = run_model.get_concrete_function(tf.TensorSpec([1, 64], tf.float32))
    interpreter = lite.Interpreter(
        model_content=lite.TFLiteConverter.from_concrete_functions([concrete], model).convert()
    )
    assert interpreter.get_signature_list() == {"serving_default": {"inputs": ["x"], "outputs": ["output_0"]}}
    x = RNG.normal(size=(1, 64)).astype("float32")
    np.testing.assert_allclose(interpreter.get_signature_runner()(x=x)["output_0"], model(x).numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="Dimension mismatch"):  # the spec fixed the batch at 1
        interpreter.get_signature_runner()(x=np.ones((2, 64), "float32"))
    both = lite.TFLiteConverter.from_concrete_functions(
        [module.__call__.get_concrete_function(), module.scale.get_concrete_function()], module
    )
    assert lite.Interpreter(model_content=both.convert()).get_signature_list() == {
        "scale": {"inputs": ["inp", "s"], "outputs": ["output_0", "output_1"]},
        "serving_default": {"inputs": ["x"], "outputs": ["y"]},
    }
    named = tf.function(lambda a, b: a * b).get_concrete_function(
        tf.TensorSpec([2], tf.float32, name="left"), tf.TensorSpec([2], tf.float32)
    )
    interpreter = lite.Interpreter(model_content=lite.TFLiteConverter.from_concrete_functions([named]).convert())
    # Each input is named by its spec's name, else by the function's argument.
    assert interpreter.get_signature_list()["serving_default"]["inputs"] == ["left", "b"]
    with pytest.raises(ValueError, match="non-empty list"):
        lite.TFLiteConverter.from_concrete_functions(concrete)


# --- the interpreter's checks ----------------------------------------------------------------------------
def test_runner_errors_name_what_the_signature_has():
    model = _wide_model()
    runner = lite.Interpreter(model_content=_convert(model)).get_signature_runner()
    with pytest.raises(ValueError, match=r"Invalid Input name \(pixels\).*\['features'\]"):
        runner(pixels=np.ones((1, 64), "float32"))
    with pytest.raises(ValueError, match="expected 1 vs provided 0"):
        runner()
    with pytest.raises(TypeError):
        runner(np.ones((1, 64), "float32"))
    with pytest.raises(ValueError, match="FLOAT64 but expected type FLOAT32"):
        runner(features=np.ones((1, 64)))
    with pytest.raises(ValueError, match=r"shape signature \[-1, 64\]"):
        runner(features=np.ones((1, 65), "float32"))
    assert runner(features=np.ones((7, 64), "float32"))["output_0"].shape == (7, 10)  # resized to the batch


def test_set_tensor_checks_shape_and_dtype_as_tflite():
    interpreter = lite.Interpreter(model_content=_convert(_wide_model()))
    index = interpreter.get_input_details()[0]["index"]
    with pytest.raises(ValueError, match="allocate_tensors"):
        interpreter.set_tensor(index, np.ones((1, 64), "float32"))
    with pytest.raises(RuntimeError, match="not ready"):
        interpreter.invoke()
    interpreter.allocate_tensors()
    with pytest.raises(ValueError, match="Got value of type FLOAT64 but expected type FLOAT32"):
        interpreter.set_tensor(index, np.ones((1, 64)))
    with pytest.raises(ValueError, match="Got value of type INT64"):
        interpreter.set_tensor(index, [[1] * 64])
    with pytest.raises(ValueError, match="Got 2 but expected 1 for dimension 0"):
        interpreter.set_tensor(index, np.ones((2, 64), "float32"))
    with pytest.raises(ValueError, match="Got 63 but expected 64 for dimension 1"):
        interpreter.set_tensor(index, np.ones((1, 63), "float32"))
    with pytest.raises(ValueError, match="Invalid tensor index 99"):
        interpreter.set_tensor(99, np.ones((1, 64), "float32"))
    with pytest.raises(ValueError, match="not an input"):
        interpreter.set_tensor(interpreter.get_output_details()[0]["index"], np.ones((1, 10), "float32"))


def test_resize_tensor_input():
    model = _wide_model()
    interpreter = lite.Interpreter(model_content=_convert(model))
    interpreter.allocate_tensors()
    index = interpreter.get_input_details()[0]["index"]
    interpreter.resize_tensor_input(index, [5, 64])
    assert interpreter.get_input_details()[0]["shape"].tolist() == [5, 64]
    with pytest.raises(ValueError, match="unallocated"):
        interpreter.set_tensor(index, np.ones((5, 64), "float32"))
    interpreter.allocate_tensors()
    x = RNG.normal(size=(5, 64)).astype("float32")
    interpreter.set_tensor(index, x)
    interpreter.invoke()
    output = interpreter.get_output_details()[0]
    np.testing.assert_allclose(interpreter.get_tensor(output["index"]), model.predict(x, verbose=0), atol=1e-6)
    assert interpreter.get_output_details()[0]["shape"].tolist() == [5, 10]
    with pytest.raises(RuntimeError, match="only allows changing the unknown dimensions"):
        interpreter.resize_tensor_input(index, [5, 65], strict=True)
    interpreter.resize_tensor_input(index, [5, 65])
    with pytest.raises(RuntimeError, match="does not fit its shape signature"):
        interpreter.allocate_tensors()


def test_interpreter_arguments():
    with pytest.raises(ValueError, match="must be specified"):
        lite.Interpreter()
    with pytest.raises(ValueError, match="Could not open"):
        lite.Interpreter(model_path="no_such_model.tflite")
    blob = _convert(_wide_model())
    with pytest.raises(ValueError, match="both"):
        lite.Interpreter(model_path="x.tflite", model_content=blob)
    lite.Interpreter(model_content=bytearray(blob), num_threads=2)
    with pytest.raises(ValueError, match="no delegates"):
        lite.experimental.load_delegate("libedgetpu.so.1")


def test_analyzer_prints_the_model(capsys):
    lite.experimental.Analyzer.analyze(model_content=_convert(_wide_model(), optimizations=[lite.Optimize.DEFAULT]))
    text = capsys.readouterr().out
    assert "not a TensorFlow Lite flatbuffer" in text and "dynamic_range" in text and "2 int8" in text


# --- foreign, damaged and hostile bytes ------------------------------------------------------------------
def test_a_real_tflite_flatbuffer_is_refused_clearly(tmp_path):
    flatbuffer = b"\x1c\x00\x00\x00TFL3\x14\x00 \x00" + bytes(200)
    with pytest.raises(lite.InvalidModelFileError, match="real TensorFlow Lite flatbuffer.*cannot run"):
        lite.Interpreter(model_content=flatbuffer)
    path = tmp_path / "mobilenet.tflite"
    path.write_bytes(flatbuffer)
    with pytest.raises(ValueError, match="TFL3"):
        lite.Interpreter(model_path=str(path))


@pytest.mark.parametrize("content", [b"", b"garbage bytes here", b"PK\x03\x04" + bytes(30)])
def test_bytes_that_are_not_a_learnet_lite_model_are_refused(content):
    with pytest.raises(lite.InvalidModelFileError):
        lite.Interpreter(model_content=content)


def test_truncated_bytes_are_refused():
    blob = _convert(_wide_model())
    for cut in (10, len(blob) // 3, len(blob) // 2, len(blob) - 10):
        with pytest.raises(lite.InvalidModelFileError):
            lite.Interpreter(model_content=blob[:cut])
    damaged = bytearray(blob)
    damaged[len(blob) // 2 : len(blob) // 2 + 64] = bytes(64)
    with pytest.raises(lite.InvalidModelFileError):
        lite.Interpreter(model_content=bytes(damaged))


def _members(blob):
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _pack(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _edited(blob, edit):
    members = _members(blob)
    description = json.loads(members["lite.json"])
    edit(description)
    members["lite.json"] = json.dumps(description).encode()
    return _pack(members)


def _graph(description):
    return description["signatures"]["serving_default"]["graph"]


def _set(path, value):
    def edit(description):
        target = description
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return edit


HOSTILE_EDITS = {
    "python code as an op": (lambda d: _graph(d)["nodes"][0].update(op="os:system"), "does not have"),
    "builtins eval": (lambda d: _graph(d)["nodes"][0].update(op="builtins:eval"), "does not have"),
    "a reference forward": (lambda d: _graph(d)["nodes"][0].update(inputs=[["op", 5]]), "points nowhere"),
    "a reference of an odd kind": (lambda d: _graph(d)["nodes"][0].update(inputs=[["global", 0]]), "unknown kind"),
    "an unknown update": (lambda d: _graph(d)["nodes"].insert(0, {"assign": "__class__"}), "unknown update"),
    "a missing weight": (lambda d: _graph(d)["variables"].append("w99"), "not stored"),
    "a bad shape": (lambda d: d["signatures"]["serving_default"]["inputs"][0].update(shape="big"), "shape"),
    "an object dtype": (lambda d: d["signatures"]["serving_default"]["inputs"][0].update(dtype="object"), "dtype"),
    "a weight of another shape": (lambda d: d["weights"][0].update(shape=[3, 3]), "has shape"),
    "a newer format": (lambda d: d.update(format_version=99), "newer learnet"),
    "another format": (lambda d: d.update(format="learnet"), "does not describe"),
    "no signatures": (lambda d: d.update(signatures={}), "no signatures"),
    "a structure pointing nowhere": (lambda d: _graph(d)["structure"].update(ref=["op", 1000]), "points nowhere"),
    "an unknown size symbol": (
        lambda d: _graph(d)["nodes"][0]["args"].append({"size": "__import__"}),
        "unknown size",
    ),
    "an option of an odd dtype": (lambda d: _graph(d)["nodes"][0]["args"].append({"dtype": "object"}), "dtype"),
    "a bad quantization": (
        lambda d: d["signatures"]["serving_default"]["inputs"][0].update(quantization=[-1, 0]),
        "bad quantization",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_EDITS))
def test_hostile_descriptions_are_refused_before_anything_runs(case):
    edit, message = HOSTILE_EDITS[case]
    blob = _edited(_convert(_wide_model()), edit)
    with pytest.raises(lite.InvalidModelFileError, match=message):
        lite.Interpreter(model_content=blob)


def test_hostile_arrays_and_members_are_refused():
    blob = _convert(_wide_model(), optimizations=[lite.Optimize.DEFAULT])
    members = _members(blob)
    pickled = io.BytesIO()
    np.savez(pickled, w0=np.array([{"a": 1}], dtype=object), allow_pickle=True)
    for replacement, message in ((pickled.getvalue(), "Python objects"), (b"not an npz", "not a valid")):
        hostile = dict(members, **{"weights.npz": replacement})
        with pytest.raises(lite.InvalidModelFileError, match=message):
            lite.Interpreter(model_content=_pack(hostile))
    with pytest.raises(lite.InvalidModelFileError, match="not learnet lite's"):
        lite.Interpreter(model_content=_pack(dict(members, **{"run_me.py": b"import os"})))
    missing_scale = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(members["weights.npz"])) as archive:
        arrays = {n[:-4]: np.load(io.BytesIO(archive.read(n))) for n in archive.namelist() if "scale" not in n}
    np.savez(missing_scale, **arrays)
    with pytest.raises(lite.InvalidModelFileError, match="no valid scales"):
        lite.Interpreter(model_content=_pack(dict(members, **{"weights.npz": missing_scale.getvalue()})))


def test_a_zip_bomb_is_refused_before_decompressing():
    members = _members(_convert(_wide_model()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.writestr("bomb", bytes(64 << 20), compress_type=zipfile.ZIP_DEFLATED)
    with pytest.raises(lite.InvalidModelFileError, match="zip bomb"):
        lite.Interpreter(model_content=buffer.getvalue())


def test_the_format_says_what_it_is():
    description = json.loads(_members(_convert(_wide_model()))["lite.json"])
    assert description["format"] == "learnet lite" and "not a TensorFlow Lite flatbuffer" in description["note"]
