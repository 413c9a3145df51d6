"""ONNX export: onnxruntime runs the exported graph and gives learnet's predictions (<= 1e-5)."""

import numpy as np
import pytest

import learnet
from learnet import layers as L

onnx = pytest.importorskip("onnx", reason="onnx is not installed (pip install 'learnet[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")


def _randomize(model, rng):
    values = []
    for variable, value in zip(model.weights, model.get_weights()):
        if "variance" in variable.name:
            values.append(rng.uniform(0.5, 1.5, size=value.shape).astype(value.dtype))
        elif value.dtype.kind == "f":
            values.append(rng.normal(scale=0.5, size=value.shape).astype(value.dtype))
        else:
            values.append(value)
    model.set_weights(values)


def _run(path, inputs):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {spec.name: x for spec, x in zip(session.get_inputs(), inputs)}
    return session.run(None, feeds)


def _check(model, inputs, tmp_path):
    rng = np.random.default_rng(0)
    _randomize(model, rng)
    path = learnet.onnx.export(model, tmp_path / "model.onnx")
    expected = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    expected = expected if isinstance(expected, list) else [expected]
    got = _run(path, inputs)
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)


def test_mlp(tmp_path):
    model = learnet.Sequential(
        [
            L.Input((28, 28)),
            L.Flatten(),
            L.Dense(64, activation="relu"),
            L.Dropout(0.2),
            L.Dense(32, activation="tanh"),
            L.Dense(16, activation="sigmoid"),
            L.Dense(10, activation="softmax"),
        ]
    )
    _check(model, [np.random.default_rng(1).random((5, 28, 28), dtype=np.float32)], tmp_path)


def test_keras_io_convnet(tmp_path):
    """The MNIST convnet of keras.io's "Simple MNIST convnet" example."""
    model = learnet.Sequential(
        [
            L.Input((28, 28, 1)),
            L.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            L.MaxPooling2D(pool_size=(2, 2)),
            L.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            L.MaxPooling2D(pool_size=(2, 2)),
            L.Flatten(),
            L.Dropout(0.5),
            L.Dense(10, activation="softmax"),
        ]
    )
    _check(model, [np.random.default_rng(2).random((3, 28, 28, 1), dtype=np.float32)], tmp_path)


def test_functional_model_with_a_skip(tmp_path):
    inputs = L.Input((8, 8, 3), name="image")
    x = L.Conv2D(4, 3, padding="same", strides=2, activation="elu")(inputs)
    x = L.BatchNormalization()(x)
    y = L.Conv2D(4, 3, padding="same", activation="gelu")(x)
    x = L.Add()([x, y])
    a = L.GlobalAveragePooling2D()(x)
    b = L.Flatten()(L.AveragePooling2D(padding="same", pool_size=3, strides=2)(x))
    joined = L.Concatenate()([a, b, L.GlobalMaxPooling2D()(x)])
    hidden = L.LayerNormalization()(L.Dense(6, activation="swish")(joined))
    outputs = [L.Dense(3, activation="softmax", name="label")(hidden), L.Dense(1, name="score")(hidden)]
    model = learnet.Model(inputs, outputs)
    _check(model, [np.random.default_rng(3).random((4, 8, 8, 3), dtype=np.float32)], tmp_path)


def test_more_layers_and_activations(tmp_path):
    model = learnet.Sequential(
        [
            L.Input((12,)),
            L.Rescaling(0.5, offset=-0.1),
            L.Dense(12),
            L.ReLU(max_value=1.5),
            L.LeakyReLU(0.1),
            L.ELU(0.5),
            L.PReLU(),
            L.Activation("selu"),
            L.Reshape((3, 4)),
            L.Permute((2, 1)),
            L.Conv1D(5, 2, padding="same", activation="softplus"),
            L.MaxPooling1D(2),
            L.AveragePooling1D(1),
            L.GlobalAveragePooling1D(),
            L.Dense(4, activation="hard_sigmoid"),
            L.Softmax(),
        ]
    )
    _check(model, [np.random.default_rng(4).normal(size=(5, 12)).astype(np.float32)], tmp_path)


def test_two_inputs_and_embedding(tmp_path):
    tokens = L.Input((5,), dtype="int32", name="tokens")
    extra = L.Input((3,), name="extra")
    pooled = L.GlobalAveragePooling1D()(L.Embedding(20, 3)(tokens))
    merged = [
        L.Subtract()([pooled, extra]),
        L.Multiply()([pooled, extra]),
        L.Average()([pooled, extra]),
        L.Maximum()([pooled, extra]),
        L.Minimum()([pooled, extra]),
    ]
    model = learnet.Model([tokens, extra], L.Dense(2)(L.Concatenate()(merged)))
    rng = np.random.default_rng(5)
    _check(model, [rng.integers(0, 20, (4, 5)).astype(np.int32), rng.normal(size=(4, 3)).astype(np.float32)], tmp_path)


def test_depthwise_and_separable_convolutions(tmp_path):
    model = learnet.Sequential(
        [
            L.Input((9, 8, 3)),
            L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="relu"),
            L.DepthwiseConv2D((2, 3), strides=2, use_bias=False),
            L.SeparableConv2D(5, 3, padding="same", dilation_rate=2, activation="tanh"),
            L.SeparableConv2D(4, (3, 2), depth_multiplier=3, use_bias=False),
            L.Flatten(),
            L.Dense(3, activation="softmax"),
        ]
    )
    _check(model, [np.random.default_rng(6).random((4, 9, 8, 3), dtype=np.float32)], tmp_path)


def test_dilated_same_convolutions(tmp_path):
    """onnxruntime refuses dilation with auto_pad: explicit pads, the odd one at the end."""
    model = learnet.Sequential(
        [
            L.Input((9, 8, 2)),
            L.Conv2D(3, (3, 2), padding="same", dilation_rate=(2, 3)),
            L.Conv2D(2, 2, padding="same", dilation_rate=3),  # 3 rows of padding: 1 above, 2 below
            L.SeparableConv2D(2, 3, padding="same", dilation_rate=2),
            L.Flatten(),
        ]
    )
    _check(model, [np.random.default_rng(7).random((3, 9, 8, 2), dtype=np.float32)], tmp_path)
    sequence = learnet.Sequential([L.Input((10, 3)), L.Conv1D(2, 2, padding="same", dilation_rate=3), L.Flatten()])
    _check(sequence, [np.random.default_rng(8).random((3, 10, 3), dtype=np.float32)], tmp_path)


def test_an_unsupported_layer_is_named_and_nothing_is_written(tmp_path):
    model = learnet.Sequential(
        [L.Input((4, 3)), L.TimeDistributed(L.Dense(2), name="per_step"), L.Lambda(lambda x: x * 2, name="double")]
    )
    with pytest.raises(ValueError, match=r"per_step \(TimeDistributed\).*|double \(Lambda\)"):
        learnet.onnx.export(model, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_a_subclassed_model_gets_a_clear_error(tmp_path):
    class Mine(learnet.Model):
        def __init__(self):
            super().__init__()
            self.dense = L.Dense(2)

        def call(self, x):
            return self.dense(x)

    model = Mine()
    model(np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match="subclassed"):
        learnet.onnx.export(model, tmp_path / "m.onnx")


def test_cli_export(tmp_path, capsys):
    from learnet import cli

    model = learnet.Sequential([L.Input((4,)), L.Dense(3, activation="softmax")])
    model.save(tmp_path / "m.learnet")
    assert cli.main(["export", str(tmp_path / "m.learnet"), "--format", "onnx"]) in (0, None)
    x = np.random.default_rng(6).normal(size=(2, 4)).astype(np.float32)
    np.testing.assert_allclose(_run(tmp_path / "m.onnx", [x])[0], model.predict(x, verbose=0), atol=1e-5)
    assert "m.onnx" in capsys.readouterr().out


def test_padding_cropping_upsampling_and_repeat(tmp_path):
    images = L.Input((5, 6, 2))
    x = L.ZeroPadding2D(((1, 2), (0, 1)))(images)
    x = L.Cropping2D(((0, 1), (2, 1)))(L.UpSampling2D((2, 3))(x))
    x = L.Conv2DTranspose(3, 4, strides=3, padding="same", activation="relu")(x)
    x = L.Conv2DTranspose(2, 3, strides=2)(x)
    a = L.Flatten()(L.Conv2D(2, 3, strides=2)(x))
    series = L.Input((7, 3))
    y = L.Cropping1D((1, 2))(L.UpSampling1D(2)(L.ZeroPadding1D((2, 1))(series)))
    b = L.Flatten()(L.RepeatVector(3)(L.GlobalMaxPooling1D()(y)))
    model = learnet.Model([images, series], L.Dense(3)(L.Concatenate()([a, b])))
    rng = np.random.default_rng(8)
    _check(
        model,
        [rng.normal(size=(2, 5, 6, 2)).astype(np.float32), rng.normal(size=(2, 7, 3)).astype(np.float32)],
        tmp_path,
    )


def test_bilinear_upsampling_exports_and_bicubic_is_refused(tmp_path):
    model = learnet.Sequential([L.Input((5, 6, 2)), L.UpSampling2D((2, 3), interpolation="bilinear"), L.Conv2D(2, 3)])
    _check(model, [np.random.default_rng(9).random((2, 5, 6, 2), dtype=np.float32)], tmp_path)
    cubic = learnet.Sequential([L.Input((5, 6, 2)), L.UpSampling2D(2, interpolation="bicubic", name="cubic")])
    with pytest.raises(ValueError, match="cubic.*'bicubic'; only 'nearest' and 'bilinear' export"):
        learnet.onnx.export(cubic, tmp_path / "cubic.onnx")
    assert not (tmp_path / "cubic.onnx").exists()


def test_adapted_normalization_and_its_inverse(tmp_path):
    # Hands-On's regression models start with an adapted Normalization (here over image channels too).
    data = np.random.default_rng(2).normal(3.0, 2.0, size=(64, 4, 4, 3)).astype(np.float32)
    inputs = L.Input((4, 4, 3))
    normalized = L.Normalization()
    normalized.adapt(data)
    inverse = L.Normalization(mean=1.5, variance=4.0, invert=True)
    outputs = inverse(L.Conv2D(2, 3)(normalized(inputs)))
    model = learnet.Model(inputs, outputs)
    path = learnet.onnx.export(model, tmp_path / "model.onnx")
    np.testing.assert_allclose(_run(path, [data[:5]])[0], model.predict(data[:5], verbose=0), atol=1e-5, rtol=1e-5)


def test_augmentation_and_noise_layers_are_identities_at_inference(tmp_path):
    # Each passes images through in predict, as the exported graph must.
    model = learnet.Sequential(
        [
            L.Input((8, 8, 3)),
            L.RandomBrightness(0.2),
            L.RandomGrayscale(0.5),
            L.RandomHue(0.2, value_range=(0, 1)),
            L.RandomSaturation(0.2, value_range=(0, 1)),
            L.RandomColorJitter(value_range=(0, 1), brightness_factor=0.1),
            L.RandomShear(0.2),
            L.RandomErasing(),
            L.RandomGaussianBlur(),
            L.RandomInvert(value_range=(0, 1)),
            L.Solarization(value_range=(0, 1)),
            L.Conv2D(4, 3, activation="relu"),
            L.Flatten(),
            L.Dense(3),
        ]
    )
    images = np.random.default_rng(2).random((2, 8, 8, 3), dtype=np.float32)
    np.testing.assert_array_equal(model.layers[0](images, training=False).numpy(), images)
    _check(model, [images], tmp_path)


def test_spatial_dropout_3d_is_an_identity(tmp_path):
    model = learnet.Sequential([L.Input((4, 4, 4, 2)), L.SpatialDropout3D(0.5), L.Flatten(), L.Dense(2)])
    _check(model, [np.random.default_rng(3).random((2, 4, 4, 4, 2), dtype=np.float32)], tmp_path)
