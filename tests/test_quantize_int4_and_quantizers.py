"""int4 quantization and ``keras.quantizers``, compared with real Keras 3 (JAX) in-process.

Keras is imported here (not needed by learnet): each case builds the same model in both
libraries, copies the float weights across with ``set_weights``, quantizes both and
compares the quantized variables and the outputs.
"""

import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import learnet  # noqa: E402
from learnet import quantizers as lq  # noqa: E402
from learnet.layers.einsum_dense import EinsumDense  # noqa: E402
from learnet.testing import check_gradients  # noqa: E402

keras = pytest.importorskip("keras")
if keras.backend.backend() != "jax":  # pragma: no cover - another backend was chosen before us
    pytest.skip("these comparisons run real Keras on JAX", allow_module_level=True)

RNG = np.random.default_rng(3)
X = RNG.normal(size=(4, 10)).astype("float32")
X3 = RNG.normal(size=(2, 3, 10)).astype("float32")
KERNEL = RNG.normal(size=(10, 7)).astype("float32")
BIAS = RNG.normal(size=(7,)).astype("float32")
EINSUM_KERNEL = RNG.normal(size=(10, 2, 3)).astype("float32")
EINSUM_BIAS = RNG.normal(size=(2, 3)).astype("float32")


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not have a `quantize` method")
        yield


def dense(lib, shape=(10,), units=7):
    model = lib.Sequential([lib.Input(shape), lib.layers.Dense(units, name="d")])
    model.layers[-1].set_weights([KERNEL[:, :units], BIAS[:units]])
    return model


def einsum(lib, shape=(10,)):
    layer = lib.layers.EinsumDense("ab,bde->ade", output_shape=(2, 3), bias_axes="de", name="e")
    model = lib.Sequential([lib.Input(shape), layer])
    layer.set_weights([EINSUM_KERNEL, EINSUM_BIAS])
    return model


def configs(q):
    """The quantize arguments compared, built from either library's quantizers module."""
    return {
        "int4": dict(mode="int4"),
        "int4_block4": dict(config=q.Int4QuantizationConfig(block_size=4)),
        "int4_per_channel": dict(config=q.Int4QuantizationConfig(block_size=None)),
        "int4_per_channel_w4a8": dict(
            config=q.Int4QuantizationConfig(block_size=-1, activation_quantizer=q.AbsMaxQuantizer())
        ),
        "int4_weight_quantizer": dict(
            config=q.Int4QuantizationConfig(
                weight_quantizer=q.AbsMaxQuantizer(axis=0, value_range=(-8, 7)), block_size=None
            )
        ),
        "int8": dict(mode="int8"),
        "int8_custom": dict(
            config=q.Int8QuantizationConfig(
                weight_quantizer=q.AbsMaxQuantizer(value_range=(-100, 100), axis=0),
                activation_quantizer=q.AbsMaxQuantizer(value_range=(-100, 100), axis=-1),
            )
        ),
        "int8_weight_only": dict(config=q.Int8QuantizationConfig(activation_quantizer=None)),
    }


def assert_same_layer(keras_layer, learnet_layer):
    assert learnet_layer.dtype_policy.name == keras_layer.dtype_policy.name
    expected = [(w.name, np.asarray(w)) for w in keras_layer.weights]
    got = [(w.name.split("/")[-1], w.numpy()) for w in learnet_layer.weights]
    assert [name for name, _ in got] == [name for name, _ in expected]
    for (name, want), (_, have) in zip(expected, got):
        assert have.dtype == want.dtype and have.shape == want.shape, name
        np.testing.assert_allclose(have, want, rtol=1e-6, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("case", sorted(configs(lq)))
def test_dense_matches_keras(case):
    expected, model = dense(keras), dense(learnet)
    expected.quantize(**configs(keras.quantizers)[case])
    model.quantize(**configs(lq)[case])
    assert_same_layer(expected.layers[-1], model.layers[-1])
    np.testing.assert_allclose(model(X).numpy(), np.asarray(expected(X)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("units", [1, 6])
def test_dense_int4_rank3_inputs_and_even_or_single_units(units):
    expected, model = dense(keras, (3, 10), units), dense(learnet, (3, 10), units)
    expected.quantize("int4")
    model.quantize("int4")
    assert_same_layer(expected.layers[-1], model.layers[-1])
    np.testing.assert_allclose(model(X3).numpy(), np.asarray(expected(X3)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", ["int4", "int4_block4", "int4_per_channel", "int4_per_channel_w4a8", "int8_custom"])
def test_einsum_dense_matches_keras(case):
    expected, model = einsum(keras), einsum(learnet)
    expected.quantize(**configs(keras.quantizers)[case])
    model.quantize(**configs(lq)[case])
    assert_same_layer(expected.layers[-1], model.layers[-1])
    np.testing.assert_allclose(model(X).numpy(), np.asarray(expected(X)), rtol=1e-5, atol=1e-5)


def test_inputs_quantizer_as_keras_sets_it():
    model = dense(learnet)
    model.quantize("int8")
    quantizer = model.layers[-1].inputs_quantizer
    assert isinstance(quantizer, lq.AbsMaxQuantizer) and isinstance(quantizer, lq.Quantizer)
    assert quantizer.get_config() == keras.quantizers.AbsMaxQuantizer().get_config()
    int4 = dense(learnet)
    int4.quantize("int4")
    assert int4.layers[-1].inputs_quantizer is None


def test_custom_quantizer_subclass_as_activation_quantizer():
    # The customizing_quantization guide's pattern: a Quantizer of one's own for the inputs.
    class Halving(lq.Quantizer):
        def __call__(self, x, axis, to_numpy=False):
            values = learnet.keras_ops.clip(learnet.keras_ops.round(x * 2.0), -127, 127)
            return learnet.keras_ops.cast(values, "int8"), np.float32(2.0)

        def get_config(self):
            return {"output_dtype": self.output_dtype}

    model = dense(learnet)
    model.quantize(config=lq.Int8QuantizationConfig(activation_quantizer=Halving()))
    layer = model.layers[-1]
    assert isinstance(layer.inputs_quantizer, Halving)
    expected = np.round(X * 2) @ layer.kernel.numpy().astype("float64") / (2 * layer.kernel_scale.numpy()) + BIAS
    np.testing.assert_allclose(model(X).numpy(), expected, rtol=1e-5, atol=1e-5)


# --- the quantizer functions against Keras' own ---------------------------------------------------------
def test_pack_and_unpack_int4_match_keras():
    values = RNG.integers(-8, 8, size=(5, 3)).astype("int8")
    for axis in (0, 1, -1):
        packed, shape, length = lq.pack_int4(values, axis=axis)
        expected, expected_shape, expected_length = keras.quantizers.pack_int4(values, axis=axis)
        np.testing.assert_array_equal(packed.numpy(), np.asarray(expected))
        assert (shape, length) == (tuple(expected_shape), expected_length)
        np.testing.assert_array_equal(lq.unpack_int4(packed, length, axis=axis).numpy(), values)
    unsigned = RNG.integers(0, 16, size=(4, 2)).astype("uint8")
    packed, _, _ = lq.pack_int4(unsigned, dtype="uint8")
    np.testing.assert_array_equal(lq.unpack_int4(packed, 4, dtype="uint8").numpy(), unsigned)


def test_grouped_quantize_and_abs_max_match_keras():
    kernel = RNG.normal(size=(11, 5)).astype("float32")
    got = lq.abs_max_quantize_grouped_with_zero_point(kernel, block_size=4)
    want = keras.quantizers.abs_max_quantize_grouped_with_zero_point(kernel, block_size=4, to_numpy=True)
    for have, expected in zip(got, want):
        assert have.numpy().dtype == np.asarray(expected).dtype
        np.testing.assert_allclose(have.numpy(), np.asarray(expected), rtol=1e-6)
    values, scale = lq.AbsMaxQuantizer(axis=0, value_range=(-8, 7))(kernel)
    k_values, k_scale = keras.quantizers.AbsMaxQuantizer(axis=0, value_range=(-8, 7))(kernel)
    np.testing.assert_array_equal(values.numpy(), np.asarray(k_values))
    np.testing.assert_allclose(scale.numpy(), np.asarray(k_scale), rtol=1e-6)


def test_configs_serialize_as_keras_and_round_trip():
    for make in (
        lambda q: q.Int4QuantizationConfig(block_size=64),
        lambda q: q.Int8QuantizationConfig(weight_quantizer=q.AbsMaxQuantizer(axis=0, value_range=(-100, 100))),
        lambda q: q.Float8QuantizationConfig(),
        lambda q: q.AbsMaxQuantizer(axis=(0, 1), epsilon=1e-5),
    ):
        ours, theirs = lq.serialize(make(lq)), keras.quantizers.serialize(make(keras.quantizers))
        assert ours["class_name"] == theirs["class_name"] and ours["module"] == theirs["module"]
        back = lq.deserialize(theirs)
        assert type(back).__name__ == theirs["class_name"]
        assert lq.serialize(back)["config"] == ours["config"]
    assert lq.get(None) is None and isinstance(lq.get("abs_max_quantizer", axis=0), lq.AbsMaxQuantizer)
    assert learnet.quantizers is lq and learnet.Quantizer is lq.Quantizer


# --- saving ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["int4", "int4_per_channel", "int8"])
def test_weights_files_load_both_ways(tmp_path, case):
    source, target = dense(keras), dense(learnet)
    source.quantize(**configs(keras.quantizers)[case])
    target.layers[-1].set_weights([np.zeros_like(KERNEL), np.zeros_like(BIAS)])
    target.quantize(**configs(lq)[case])
    source.save_weights(tmp_path / "keras.weights.h5")
    target.load_weights(tmp_path / "keras.weights.h5")
    np.testing.assert_allclose(target(X).numpy(), np.asarray(source(X)), rtol=1e-5, atol=1e-5)

    ours, theirs = dense(learnet), dense(keras)
    ours.quantize(**configs(lq)[case])
    theirs.layers[-1].set_weights([np.zeros_like(KERNEL), np.zeros_like(BIAS)])
    theirs.quantize(**configs(keras.quantizers)[case])
    ours.save_weights(tmp_path / "learnet.weights.h5")
    theirs.load_weights(tmp_path / "learnet.weights.h5")
    np.testing.assert_allclose(np.asarray(theirs(X)), ours(X).numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("suffix", [".keras", ".learnet"])
def test_int4_model_saves_and_loads(tmp_path, suffix):
    inputs = learnet.Input((10,))
    hidden = learnet.layers.Dense(7, activation="relu")(inputs)
    mixed = EinsumDense("ab,bde->ade", output_shape=(2, 3), bias_axes="de")(hidden)
    model = learnet.Model(inputs, mixed)
    model.quantize(config=lq.Int4QuantizationConfig(block_size=4))
    expected = model(X).numpy()
    model.save(tmp_path / f"m{suffix}")
    loaded = learnet.models.load_model(tmp_path / f"m{suffix}")
    np.testing.assert_allclose(loaded(X).numpy(), expected, rtol=1e-6)
    for old, new in zip(model.layers, loaded.layers):
        assert new.dtype_policy.name == old.dtype_policy.name
    assert loaded.layers[1].quantization_config.block_size == 4


# --- gradients --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("block_size", [None, 4])
def test_int4_dense_input_gradient_check(block_size):
    # Weight-only int4 is linear in the inputs: the gradient is the de-quantized kernel's.
    layer = learnet.layers.Dense(3, dtype="float64")
    layer.build((None, 5))
    layer.quantize(config=lq.Int4QuantizationConfig(block_size=block_size))
    check_gradients(lambda x: learnet.reduce_sum(layer(x) ** 2), [RNG.normal(size=(2, 5))])


def test_int4_einsum_dense_input_gradient_check():
    layer = EinsumDense("ab,bde->ade", output_shape=(2, 3), bias_axes="de", dtype="float64")
    layer.build((None, 5))
    layer.quantize("int4")
    check_gradients(lambda x: learnet.reduce_sum(layer(x) ** 2), [RNG.normal(size=(2, 5))])


def test_int4_bias_still_trains():
    model = dense(learnet)
    model.quantize("int4")
    assert [w.name.split("/")[-1] for w in model.trainable_weights] == ["bias"]
    model.compile(optimizer="sgd", loss="mse")
    kernel = model.layers[-1].kernel.numpy().copy()
    model.fit(X, np.ones((4, 7), "float32"), epochs=1, verbose=0)
    np.testing.assert_array_equal(model.layers[-1].kernel.numpy(), kernel)
    assert not np.allclose(model.layers[-1].bias.numpy(), BIAS)


# --- bad requests -------------------------------------------------------------------------------------------
def weights_of(model):
    return [w.numpy().copy() for w in model.weights]


@pytest.mark.parametrize(
    "call",
    [
        lambda m, q: m.quantize("int9"),
        lambda m, q: m.quantize(None),
        lambda m, q: m.quantize("int8", config=object()),
        lambda m, q: m.quantize("int4", config=q.Int8QuantizationConfig()),
        lambda m, q: m.quantize("gptq"),
        lambda m, q: m.layers[-1].quantize("int4", config="int9"),
    ],
)
def test_bad_requests_raise_value_error_as_keras_and_change_nothing(call):
    with pytest.raises(ValueError) as expected:
        call(dense(keras), keras.quantizers)
    model = dense(learnet)
    before = weights_of(model)
    with pytest.raises(ValueError) as got:
        call(model, lq)
    assert str(got.value).split(".")[0] == str(expected.value).split(".")[0]
    assert all(np.array_equal(a, b) for a, b in zip(weights_of(model), before))
    assert model.layers[-1].quantization_mode is None


@pytest.mark.parametrize(
    "make",
    [
        lambda q: q.Int4QuantizationConfig(block_size=0),
        lambda q: q.Int4QuantizationConfig(weight_quantizer=q.AbsMaxQuantizer(axis=0, value_range=(-8, 7))),
        lambda q: q.Int4QuantizationConfig(weight_quantizer=q.AbsMaxQuantizer(axis=0), block_size=None),
        lambda q: q.Int8QuantizationConfig(weight_quantizer=q.AbsMaxQuantizer(output_dtype="int16")),
        lambda q: q.AbsMaxQuantizer(value_range=(-200, 200)),
    ],
)
def test_bad_configs_raise_as_keras(make):
    with pytest.raises(ValueError) as expected:
        make(keras.quantizers)
    with pytest.raises(ValueError) as got:
        make(lq)
    assert str(got.value).split(".")[0] == str(expected.value).split(".")[0]


def test_quantizing_twice_raises_and_changes_nothing():
    expected = dense(keras)
    expected.quantize("int4")
    with pytest.raises(ValueError, match="already quantized"):
        expected.quantize("int4")
    model = dense(learnet)
    model.quantize("int4")
    before = weights_of(model)
    with pytest.raises(ValueError, match="already quantized with dtype_policy='int4/128_from_float32'"):
        model.quantize("int4")
    with pytest.raises(ValueError, match="already quantized"):
        model.layers[-1].quantize(config=lq.Int8QuantizationConfig())
    assert all(np.array_equal(a, b) for a, b in zip(weights_of(model), before))


def test_unknown_quantizer_identifiers_are_refused():
    with pytest.raises(ValueError, match="Could not interpret"):
        lq.get("no_such_quantizer")
    with pytest.raises(ValueError, match="Unknown quantizer"):
        lq.deserialize({"class_name": "NoSuchQuantizer", "config": {}})
    with pytest.raises(ValueError, match="block_size"):
        learnet.mixed_precision.get("int4/0_from_float32")
