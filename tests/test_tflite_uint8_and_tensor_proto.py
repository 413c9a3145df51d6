"""tf.lite and saved models of layers that cast a uint8 input to float; tf.make_tensor_proto / tf.make_ndarray.

Reference values come from real TensorFlow: tests/fixtures/make_tensor_proto_fixture.py.
"""

from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet import keras

FIXTURES = Path(__file__).parent / "fixtures"
REFERENCE = np.load(FIXTURES / "tensor_proto_reference.npz")


def _fixture_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_tensor_proto_fixture", FIXTURES / "make_tensor_proto_fixture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURE = _fixture_module()
CASES = FIXTURE.cases(tf, np)


def _run_lite(content, x):
    interpreter = tf.lite.Interpreter(model_content=content)
    source, target = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    interpreter.resize_tensor_input(source["index"], list(x.shape))
    interpreter.allocate_tensors()
    interpreter.set_tensor(source["index"], x)
    interpreter.invoke()
    return np.dtype(source["dtype"]), interpreter.get_tensor(target["index"])


def _pixel_model(rescale=True):
    layers = [keras.layers.Input((4, 4), dtype="uint8"), keras.layers.Flatten(dtype="uint8")]
    layers += [keras.layers.Rescaling(1 / 255)] if rescale else []
    model = keras.Sequential([*layers, keras.layers.Dense(3)])
    model.layers[-1].set_weights([FIXTURE.KERNEL, FIXTURE.BIAS])
    return model


# --- (1) a layer's cast of integer inputs is a recorded op -------------------------------------------------


def test_tflite_uint8_rescaling_model_matches_tensorflow_lite():
    model = _pixel_model()
    dtype, output = _run_lite(tf.lite.TFLiteConverter.from_keras_model(model).convert(), FIXTURE.PIXELS)
    assert dtype.name == str(REFERENCE["lite/input_dtype"]) == "uint8"
    np.testing.assert_allclose(output, REFERENCE["lite/output"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model.predict(FIXTURE.PIXELS, verbose=0), REFERENCE["lite/keras"], rtol=1e-5, atol=1e-5)


def test_tflite_uint8_reproducer_converts_and_matches_the_model():
    model = keras.Sequential(
        [keras.layers.Input((4,), dtype="uint8"), keras.layers.Rescaling(1 / 255), keras.layers.Dense(2)]
    )
    x = np.array([[0, 255, 17, 128], [3, 9, 200, 1]], np.uint8)
    dtype, output = _run_lite(tf.lite.TFLiteConverter.from_keras_model(model).convert(), x)
    assert dtype == np.uint8
    np.testing.assert_allclose(output, model(x).numpy(), rtol=1e-6, atol=1e-6)


def test_tflite_uint8_flatten_then_dense_casts_inside_dense():
    model = _pixel_model(rescale=False)
    _, output = _run_lite(tf.lite.TFLiteConverter.from_keras_model(model).convert(), FIXTURE.PIXELS)
    expected = FIXTURE.PIXELS.reshape(2, -1).astype(np.float32) @ FIXTURE.KERNEL + FIXTURE.BIAS
    np.testing.assert_allclose(output, expected, rtol=1e-5)
    np.testing.assert_allclose(model(FIXTURE.PIXELS).numpy(), expected, rtol=1e-5)


def test_tflite_from_saved_model_of_uint8_model(tmp_path):
    model = _pixel_model()
    tf.saved_model.save(model, str(tmp_path / "pixels"))
    dtype, output = _run_lite(
        tf.lite.TFLiteConverter.from_saved_model(str(tmp_path / "pixels")).convert(), FIXTURE.PIXELS
    )
    assert dtype == np.uint8
    np.testing.assert_allclose(output, REFERENCE["lite/output"], rtol=1e-5, atol=1e-5)
    loaded = tf.saved_model.load(str(tmp_path / "pixels"))
    result = loaded.signatures["serving_default"](tf.constant(FIXTURE.PIXELS))
    value = next(iter(result.values())) if isinstance(result, dict) else result
    np.testing.assert_allclose(np.asarray(value), REFERENCE["lite/keras"], rtol=1e-5, atol=1e-5)


def test_layer_integer_autocast_is_recorded_on_the_tape():
    dense = keras.layers.Dense(2, kernel_initializer="ones")
    x = tf.constant(np.array([[1, 2, 3]], np.uint8))
    with tf.GradientTape() as tape:
        y = dense(x)
        loss = tf.reduce_sum(y)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), [[6.0, 6.0]])
    kernel_grad = tape.gradient(loss, dense.kernel)
    np.testing.assert_allclose(np.asarray(kernel_grad), [[1, 1], [2, 2], [3, 3]])
    assert x.dtype == np.uint8  # the caller's tensor is left as it was


def test_check_gradients_through_a_float64_layer_casting_float32_input():
    # The layer's input cast is the differentiable `cast`: gradients reach a float32 input.
    from learnet.testing import check_gradients

    dense = keras.layers.Dense(2, dtype="float64", kernel_initializer="glorot_uniform")
    x = np.random.default_rng(0).normal(size=(3, 4))
    dense(x)
    check_gradients(lambda t: tf.cast(dense(t), "float64"), [x])


# --- (2) tf.make_tensor_proto / tf.make_ndarray --------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_make_tensor_proto_matches_tensorflow(name):
    values, kwargs = CASES[name]
    proto = tf.make_tensor_proto(values, **kwargs)
    assert str(proto) == str(REFERENCE[f"{name}/text"])
    assert repr(proto) == str(proto)
    assert proto.dtype == int(REFERENCE[f"{name}/dtype"])
    assert [d.size for d in proto.tensor_shape.dim] == REFERENCE[f"{name}/shape"].tolist()
    array = tf.make_ndarray(proto)
    expected = REFERENCE[f"{name}/array"]
    if array.dtype == object:
        assert array.astype("S").tolist() == expected.tolist()
    else:
        assert array.dtype == expected.dtype
        np.testing.assert_array_equal(array, expected)


@pytest.mark.parametrize(
    "dtype",
    [
        "float16",
        "float32",
        "float64",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "bool",
        "complex64",
        "complex128",
    ],
)
def test_make_ndarray_round_trips_every_dtype(dtype):
    values = (np.arange(6).reshape(2, 3) % 4).astype(dtype)
    for array in (values, values[:1, :1], values[0, 0]):
        back = tf.make_ndarray(tf.make_tensor_proto(array))
        assert back.dtype == array.dtype and back.shape == array.shape
        np.testing.assert_array_equal(back, array)


def test_make_tensor_proto_reads_learnet_tensors_and_compares_equal():
    proto = tf.make_tensor_proto(tf.constant([[1.0, 2.0]]))
    assert proto == tf.make_tensor_proto(np.array([[1.0, 2.0]], np.float32))
    assert proto != tf.make_tensor_proto(np.array([[1.0, 2.5]], np.float32))
    assert tf.make_tensor_proto(np.float32("nan")) == tf.make_tensor_proto(np.float32("nan"))
    assert str(proto.tensor_shape) == "dim {\n  size: 1\n}\ndim {\n  size: 2\n}\n"
    assert proto.tensor_shape.unknown_rank is False and proto.version_number == 0


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"values": [1, 2, 3, 4, 5], "shape": [2, 2]}, ValueError, "Too many elements"),
        ({"values": [1.5], "dtype": "int32"}, TypeError, "Expected int32, but got 1.5"),
        ({"values": [1, 2], "dtype": "string"}, TypeError, "Expected string"),
        ({"values": ["a"], "dtype": "float32"}, TypeError, "Expected float32"),
        ({"values": [[1], [2, 3]]}, ValueError, "not rectangular"),
        ({"values": object()}, TypeError, "cannot hold"),
        ({"values": [1, 2], "shape": [-1]}, ValueError, "0 or more"),
        ({"values": [1, 2], "shape": [2, 2], "verify_shape": True}, TypeError, "Expected Tensor's shape"),
        ({"values": [1, 2], "shape": [3], "allow_broadcast": True}, TypeError, "Expected Tensor's shape"),
        ({"values": [1, "a"]}, TypeError, "mixes strings and numbers"),
        ({"values": np.ones(2, np.float32), "dtype": "string"}, TypeError, "cannot be stored"),
    ],
)
def test_make_tensor_proto_rejects_bad_input(kwargs, error, match):
    values = kwargs["values"]
    before = values.copy() if isinstance(values, (list, np.ndarray)) else values
    with pytest.raises(error, match=match):
        tf.make_tensor_proto(**kwargs)
    if isinstance(values, np.ndarray):
        np.testing.assert_array_equal(values, before)
    elif isinstance(values, list):
        assert values == before


def test_make_ndarray_rejects_what_is_not_a_tensor_proto():
    with pytest.raises(TypeError, match="expects a TensorProto"):
        tf.make_ndarray(np.ones(2))
    proto = tf.make_tensor_proto(np.ones((2, 2), np.float32))
    proto.tensor_content = proto.tensor_content[:-4]
    with pytest.raises(ValueError, match="needs 16"):
        tf.make_ndarray(proto)
    proto.dtype = 99
    with pytest.raises(TypeError, match="dtype 99"):
        tf.make_ndarray(proto)


def test_model_export_keeps_a_uint8_input():
    # TensorFlow exports the model's own input: a uint8 image model is served uint8.
    import os
    import tempfile

    import learnet as tf

    model = tf.keras.Sequential(
        [tf.keras.layers.Input((4,), dtype="uint8"), tf.keras.layers.Rescaling(1 / 255), tf.keras.layers.Dense(2)]
    )
    folder = os.path.join(tempfile.mkdtemp(), "exported")
    model.export(folder, verbose=False)
    signature = tf.saved_model.load(folder).signatures["serving_default"]
    assert signature.structured_input_signature[1]["inputs"].dtype == tf.uint8
