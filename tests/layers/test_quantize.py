"""Model.quantize / Layer.quantize (Keras 3's int8 and float8 quantization), against real Keras.

The reference is tests/fixtures/quantize_reference.npz, written by
tests/fixtures/make_quantize_fixture.py with real Keras 3; the same cases run here with learnet.
"""

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest

import learnet as keras
from learnet.layers import quantization
from learnet.layers.einsum_dense import EinsumDense
from learnet.layers.quantization import (
    abs_max_quantize,
    compute_float8_amax_history,
    compute_float8_scale,
    float8_fake_quantize,
    float8_fake_quantize_gradient,
    quantize_and_dequantize,
)
from learnet.testing import check_gradients, numerical_gradients

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
_spec = importlib.util.spec_from_file_location("make_quantize_fixture", FIXTURES / "make_quantize_fixture.py")
fixture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixture)
REFERENCE = np.load(FIXTURES / "quantize_reference.npz")


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not have a `quantize` method")
        yield


def dense_model(units=6):
    model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(units, name="dense")])
    return model


# --- against real Keras --------------------------------------------------------------------------------
@pytest.mark.parametrize("case", sorted(fixture.cases(keras)))
def test_matches_keras(case):
    results = fixture.cases(keras)[case]()
    for name, value in results.items():
        expected = REFERENCE[f"{case}/{name}"]
        got = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
        assert got.shape == expected.shape, (case, name)
        if expected.dtype.kind == "i":
            assert got.dtype == expected.dtype, (case, name)
            np.testing.assert_array_equal(got, expected, err_msg=f"{case}/{name}")
        elif case.endswith("training") and name in ("y", "bias"):
            # Keras' bias gradient passes back through its bfloat16 cast (rounded to 8 bits);
            # learnet's passes unrounded: the biases part by a few bfloat16 steps of the gradient.
            np.testing.assert_allclose(got, expected, atol=2e-4, err_msg=f"{case}/{name}")
        else:
            np.testing.assert_allclose(got, expected, rtol=2e-5, atol=2e-6, err_msg=f"{case}/{name}")


def test_int8_outputs_stay_close_to_the_float_model():
    model = fixture.dense(keras)
    before = model(fixture.X).numpy()
    model.quantize("int8")
    assert np.abs(model(fixture.X).numpy() - before).max() < 0.05


# --- variables, names and policies ----------------------------------------------------------------------
def test_int8_dense_variables_and_policy_as_keras():
    model = dense_model()
    model.quantize("int8")
    layer = model.layers[-1]
    assert [w.name.split("/")[-1] for w in layer.weights] == ["bias", "kernel", "kernel_scale"]
    assert [w.name.split("/")[-1] for w in layer.trainable_weights] == ["bias"]
    assert layer.kernel.dtype == np.int8 and tuple(layer.kernel_scale.shape) == (6,)
    assert layer.dtype_policy.name == "int8_from_float32"
    assert repr(layer.dtype_policy) == '<QuantizedDTypePolicy "int8_from_float32">'
    assert layer.quantization_mode == "int8" and layer.compute_dtype == "float32"


def test_float8_variables_and_policy_as_keras():
    layer = EinsumDense("abc,cd->abd", output_shape=(None, 4), bias_axes="d")
    layer.build((None, 5, 3))
    layer.quantize("float8")
    names = [w.name.split("/")[-1] for w in layer.trainable_weights]
    assert names == [
        "kernel",
        "bias",
        "inputs_scale",
        "inputs_amax_history",
        "kernel_scale",
        "kernel_amax_history",
        "outputs_grad_scale",
        "outputs_grad_amax_history",
    ]
    assert tuple(layer.inputs_amax_history.shape) == (1024,) and tuple(layer.inputs_scale.shape) == ()
    policy = layer.dtype_policy
    assert isinstance(policy, keras.mixed_precision.QuantizedFloat8DTypePolicy)
    assert policy.get_config() == {"mode": "float8", "source_name": "float32", "amax_history_length": 1024}


def test_float8_scales_are_marked_overwrite_with_gradient_as_in_keras():
    layer = keras.layers.Dense(3)
    layer.build((None, 4))
    layer.quantize("float8")
    marked = sorted(w.name for w in layer.weights if w.overwrite_with_gradient)
    assert marked == sorted(
        f"{kind}_{what}" for kind in ("inputs", "kernel", "outputs_grad") for what in ("scale", "amax_history")
    )
    assert not layer.kernel.overwrite_with_gradient and not layer.bias.overwrite_with_gradient
    with pytest.raises(TypeError, match="must be a bool"):
        layer.kernel.overwrite_with_gradient = 1
    assert layer.kernel.overwrite_with_gradient is False


def test_float8_from_mixed_bfloat16_policy_name():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
        try:
            layer = keras.layers.Dense(3)
            layer.build((None, 4))
        finally:
            keras.mixed_precision.set_global_policy("float32")
    layer.quantize("float8")
    assert layer.dtype_policy.name == "float8_from_mixed_bfloat16"


def test_embedding_int8_variables():
    layer = keras.layers.Embedding(20, 6)
    layer.build()
    layer.quantize("int8")
    assert [(w.name.split("/")[-1], w.dtype) for w in layer.weights] == [
        ("embeddings", np.int8),
        ("embeddings_scale", np.float32),
    ]


def test_filters_regex_list_and_callable():
    def build():
        return keras.Sequential(
            [keras.Input((4,)), keras.layers.Dense(3, name="keep"), keras.layers.Dense(2, name="q_out")]
        )

    for filters in ("q_", ["nothing", "^q"], lambda layer: layer.name.startswith("q")):
        model = build()
        model.quantize("int8", filters=filters)
        assert [layer.quantization_mode for layer in model.layers] == [None, "int8"]


def test_model_with_attention_quantizes_its_einsum_dense_sublayers():
    inputs = keras.Input((8,), dtype="int32")
    x = keras.layers.Embedding(50, 16)(inputs)
    x = keras.layers.MultiHeadAttention(num_heads=2, key_dim=8)(x, x)
    outputs = keras.layers.Dense(1)(keras.layers.GlobalAveragePooling1D()(x))
    model = keras.Model(inputs, outputs)
    model.quantize("float8")
    quantized = [layer for layer in model._flatten_layers() if layer.quantization_mode == "float8"]
    assert len(quantized) == 5  # query, key, value, output projections and the Dense
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.random.randint(0, 50, (8, 8)), np.random.rand(8, 1), epochs=1, verbose=0)


# --- training ----------------------------------------------------------------------------------------------
def test_int8_model_still_trains_its_bias_as_keras():
    model = fixture.dense(keras)
    model.quantize("int8")
    layer = model.layers[-1]
    kernel = layer.kernel.numpy().copy()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(fixture.X, fixture.Y, epochs=1, verbose=0)
    np.testing.assert_array_equal(layer.kernel.numpy(), kernel)
    assert not np.allclose(layer.bias.numpy(), fixture.BIAS)


def test_float8_delayed_scaling_updates_the_scales():
    model = fixture.dense(keras)
    model.quantize("float8")
    model.compile(optimizer="sgd", loss="mse")
    model.fit(fixture.X, fixture.Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    layer = model.layers[-1]
    assert layer.inputs_amax_history.numpy()[0] == pytest.approx(np.abs(fixture.X).max())
    assert layer.inputs_scale.numpy() == pytest.approx(np.abs(fixture.X).max() / 448.0)


# --- gradients ---------------------------------------------------------------------------------------------
def test_int8_input_gradient_is_the_dequantized_kernels():
    """Keras' int8 layers send gradients through the de-quantized kernel (straight through):
    the tape's gradient of the quantized layer equals the numerical gradient of
    ``x @ (kernel / kernel_scale) + bias``."""
    layer = keras.layers.Dense(3, dtype="float64")
    layer.build((None, 4))
    layer.quantize("int8")
    float_kernel = layer.kernel.numpy() / layer.kernel_scale.numpy()
    x = np.random.default_rng(0).normal(size=(2, 4))
    with keras.GradientTape() as tape:
        x_tensor = keras.constant(x)
        tape.watch(x_tensor)
        loss = keras.reduce_sum(layer(x_tensor) ** 2)
    analytic = tape.gradient(loss, x_tensor).numpy()
    reference = lambda t: keras.reduce_sum((keras.matmul(t, float_kernel) + layer.bias) ** 2)  # noqa: E731
    (numeric,) = numerical_gradients(reference, [x])
    # The forward is the quantized value, the slope the float one: within quantization error.
    np.testing.assert_allclose(analytic, numeric, rtol=0.05, atol=0.05)
    check_gradients(reference, [x])


def test_float8_fake_quantize_gradient_check():
    """``float8_fake_quantize`` passes the gradient straight through, and
    ``float8_fake_quantize_gradient`` is the identity forward whose backward rounds ``g``:
    with g = 1 (representable) both agree with central differences of the identity."""
    scale, history = np.float64(1.0), np.zeros(4)
    check_gradients(lambda y: keras.reduce_sum(float8_fake_quantize_gradient(y, scale, history)), [[0.3, -2.0]])
    x = np.array([0.3, -2.0, 7.1])
    with keras.GradientTape() as tape:
        t = keras.constant(x)
        tape.watch(t)
        y = keras.reduce_sum(float8_fake_quantize(t, scale, history) * 3.0)
    np.testing.assert_array_equal(tape.gradient(y, t).numpy(), [3.0, 3.0, 3.0])
    check_gradients(lambda t: keras.reduce_sum(t * 3.0), [x])  # the straight-through slope


def test_float8_scale_and_history_receive_their_next_values():
    scale = keras.Variable(1.0)
    history = keras.Variable(np.array([4.0, 0.0, 8.0], "float32"))
    x = keras.constant(np.array([-3.0, 2.0], "float32"))
    with keras.GradientTape() as tape:
        y = keras.reduce_sum(float8_fake_quantize(x, scale, history, training=True))
    new_scale, new_history = tape.gradient(y, [scale, history])
    assert float(new_scale) == pytest.approx(8.0 / 448.0)
    np.testing.assert_array_equal(np.asarray(new_history), [3.0, 8.0, 4.0])


# --- the quantizers ----------------------------------------------------------------------------------------
def test_float8_rounding_matches_a_real_cast():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    values = np.random.default_rng(1).normal(size=2000).astype("float32") * np.float32(50.0)
    values = np.concatenate([values, np.float32([0.0, 1e-4, -3e-3, 0.0009765625, 447.9, -448.0])])
    for name in ("float8_e4m3fn", "float8_e5m2"):
        got = quantize_and_dequantize(values, 1.0, name).numpy()
        largest = float(ml_dtypes.finfo(getattr(ml_dtypes, name)).max)
        expected = np.clip(values, -largest, largest).astype(getattr(ml_dtypes, name)).astype("float32")
        np.testing.assert_array_equal(got, expected)


def test_abs_max_quantize_and_float8_helpers():
    values, scale = abs_max_quantize(np.array([[0.5, -1.0], [0.25, 2.0]], "float32"), axis=0)
    np.testing.assert_array_equal(values.numpy(), [[127, -64], [63, 127]])  # 63.49999
    assert float(compute_float8_scale(0.0, 2.0, 448.0)) == 2.0  # no history: the scale stays
    np.testing.assert_array_equal(compute_float8_amax_history([1.0, -5.0], np.zeros(3, "float32")).numpy(), [5, 0, 0])


# --- saving ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".keras", ".learnet"])
@pytest.mark.parametrize("mode", ["int8", "float8"])
def test_save_and_load_keep_the_quantized_layers(tmp_path, suffix, mode):
    model = fixture.dense(keras)
    model.quantize(mode)
    path = tmp_path / f"model{suffix}"
    model.save(path)
    loaded = keras.models.load_model(path)
    layer = loaded.layers[-1]
    assert layer.dtype_policy.name == f"{mode}_from_float32"
    assert [w.name.split("/")[-1] for w in layer.weights] == [w.name.split("/")[-1] for w in model.layers[-1].weights]
    np.testing.assert_array_equal(loaded(fixture.X).numpy(), model(fixture.X).numpy())


def test_embedding_and_einsum_round_trip(tmp_path):
    inputs = keras.Input((5,), dtype="int32")
    x = keras.layers.Embedding(20, 6)(inputs)
    outputs = EinsumDense("abc,cd->abd", output_shape=(None, 3), bias_axes="d")(x)
    model = keras.Model(inputs, outputs)
    model.quantize("int8")
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded(fixture.IDS).numpy(), model(fixture.IDS).numpy())


# --- errors -----------------------------------------------------------------------------------------------
def weights_of(model):
    return [w.numpy().copy() for w in model.weights]


def assert_unchanged(model, before):
    after = weights_of(model)
    assert len(after) == len(before) and all(np.array_equal(a, b) for a, b in zip(after, before))
    assert all(layer.quantization_mode is None for layer in model.layers)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda m: m.quantize("int9"), ValueError, "Invalid quantization mode"),
        (lambda m: m.quantize(None), ValueError, "must provide either `mode` or `config`"),
        (lambda m: m.quantize("int8", filters=3), ValueError, "filters` argument must be"),
        (lambda m: m.quantize("int8", colour="red"), ValueError, "Unrecognized keyword"),
        (lambda m: m.quantize("gptq"), ValueError, "you must pass a `GPTQConfig`"),
        (lambda m: m.quantize("int8", config=object()), ValueError, "must be an instance of `QuantizationConfig`"),
        (lambda m: m.layers[0].quantize("int9"), ValueError, "Invalid quantization mode"),
    ],
)
def test_bad_requests_raise_and_change_nothing(call, error, match):
    model = dense_model()
    before = weights_of(model)
    with pytest.raises(error, match=match):
        call(model)
    assert_unchanged(model, before)


def test_quantizing_twice_raises_and_changes_nothing():
    model = dense_model()
    model.quantize("int8")
    before = weights_of(model)
    with pytest.raises(ValueError, match="already quantized with dtype_policy='int8_from_float32'"):
        model.quantize("float8")
    assert all(np.array_equal(a, b) for a, b in zip(weights_of(model), before))


def test_unbuilt_layer_is_refused():
    with pytest.raises(ValueError, match="isn't yet built"):
        keras.layers.Dense(3).quantize("int8")


def test_a_layer_that_cannot_be_quantized():
    conv = keras.layers.Conv2D(2, 3)
    conv.build((None, 8, 8, 1))
    with pytest.raises(NotImplementedError, match="Layer Conv2D does not have a `quantize` method"):
        conv.quantize("int8")
    model = keras.Sequential([keras.Input((8, 8, 1)), conv])
    with pytest.warns(UserWarning, match="Conv2D does not have a `quantize`"):
        model.quantize("int8")
    embedding = keras.layers.Embedding(4, 2)
    embedding.build()
    with pytest.raises(NotImplementedError, match="Expected one of \\('int8', 'int4'\\)"):
        embedding.quantize("float8")
    assert embedding.quantization_mode is None


def test_quantization_module_names_keras_modes():
    assert quantization.QUANTIZATION_MODES == ("int8", "float8", "int4", "gptq", "awq")
