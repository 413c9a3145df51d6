"""``Conv.convolution_op``, as keras.io's "subclassing conv layers" recipe uses it, runs as in Keras 3.

Layers of the recipe's kind transform the kernel before the convolution, once by overriding
``convolution_op`` and once by calling it from their own ``call``; both must give Keras 3's
outputs, train, and save and load. The plain layers keep their fused fast path.
"""

import numpy as np
import pytest

import learnet
from learnet import layers, ops
from learnet.layers.conv import _Conv


def recipe(layers, ops):
    """Two layers of the kind keras.io's recipe writes, against ``layers`` and ``ops``: one
    overrides ``convolution_op`` (its kernel centered on each filter's mean), the other calls
    it from its own ``call`` (its kernel scaled to each filter's unit variance)."""

    class CenteredKernelConv2D(layers.Conv2D):
        def convolution_op(self, inputs, kernel):
            mean, _ = ops.moments(kernel, axes=[0, 1, 2], keepdims=True)
            return ops.conv(
                inputs,
                kernel - mean,
                padding="valid",
                strides=list(self.strides),
                dilation_rate=list(self.dilation_rate),
            )

    class ScaledKernelConv2D(layers.Conv2D):
        def call(self, inputs):
            _, var = ops.moments(self.kernel, axes=[0, 1, 2], keepdims=True)
            result = self.convolution_op(inputs, self.kernel / ops.sqrt(var + 1e-6))
            if self.use_bias:
                result = result + self.bias
            return result

    return CenteredKernelConv2D, ScaledKernelConv2D


Override, Call = recipe(layers, ops)


def images(shape=(2, 9, 10, 3), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def keras_ops_for_the_recipe(keras):
    """Real Keras' ops, but for ``moments`` taking the kernel's value: this JAX refuses
    ``jnp.mean`` of a Keras variable itself."""

    class Ops:
        def __getattr__(self, name):
            return getattr(keras.ops, name)

        @staticmethod
        def moments(x, **kwargs):
            return keras.ops.moments(keras.ops.convert_to_tensor(x), **kwargs)

    return Ops()


def random_bias(layer, seed=1):
    layer.bias.assign(np.random.default_rng(seed).normal(size=layer.bias.shape).astype("float32"))


@pytest.mark.parametrize("which", [0, 1], ids=["override", "call"])
@pytest.mark.parametrize(
    "arguments",
    [dict(filters=4, kernel_size=3), dict(filters=5, kernel_size=(3, 2), strides=2, activation="relu")],
    ids=["plain", "strided-relu"],
)
def test_the_recipe_gives_keras_3_outputs(keras, which, arguments):
    x = images()
    mine = recipe(layers, ops)[which](**arguments)
    mine(x)
    random_bias(mine)
    theirs = recipe(keras.layers, keras_ops_for_the_recipe(keras))[which](**arguments)
    theirs.build(x.shape)
    theirs.set_weights([w.numpy() for w in mine.weights])
    np.testing.assert_allclose(mine(x).numpy(), np.asarray(theirs(x)), rtol=1e-5, atol=1e-5)


def test_an_override_changes_what_call_computes():
    class ZeroKernel(layers.Conv2D):
        def convolution_op(self, inputs, kernel):
            return super().convolution_op(inputs, kernel * 0.0)

    layer = ZeroKernel(2, 3, bias_initializer="ones", activation="relu")
    np.testing.assert_array_equal(layer(images()).numpy(), 1.0)  # bias, then the activation, after the override


@pytest.mark.parametrize(
    "layer, shape",
    [
        (layers.Conv1D(3, 3, padding="causal", dilation_rate=2), (2, 9, 2)),
        (layers.Conv1D(3, 2, strides=2, padding="same"), (2, 9, 2)),
        (layers.Conv2D(3, 3, padding="same", activation="relu"), (2, 6, 7, 2)),
        (layers.Conv3D(3, 2, strides=(1, 2, 1)), (1, 4, 5, 6, 2)),
    ],
    ids=["conv1d-causal", "conv1d-same", "conv2d-relu", "conv3d"],
)
def test_convolution_op_is_the_layer_without_bias_or_activation(layer, shape):
    x = images(shape)
    layer(x)
    random_bias(layer)
    expected = layer.activation(layer.convolution_op(x, layer.kernel) + layer.bias)
    np.testing.assert_allclose(layer(x).numpy(), expected.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("rank, shape", [(1, (2, 9, 2)), (2, (2, 6, 7, 2)), (3, (1, 4, 5, 6, 2))])
def test_convolution_op_matches_keras_3(keras, rank, shape):
    x = images(shape)
    arguments = dict(filters=3, kernel_size=2, padding="same", strides=2)
    mine = getattr(layers, f"Conv{rank}D")(**arguments)
    theirs = getattr(keras.layers, f"Conv{rank}D")(**arguments)
    mine(x), theirs(x)
    kernel = np.random.default_rng(2).normal(size=mine.kernel.shape).astype("float32")
    np.testing.assert_allclose(
        mine.convolution_op(x, kernel).numpy(), np.asarray(theirs.convolution_op(x, kernel)), rtol=1e-5, atol=1e-5
    )


def test_transposed_convolutions_have_no_convolution_op_as_in_keras():
    for layer in (layers.Conv1DTranspose(2, 3), layers.Conv2DTranspose(2, 3), layers.Conv3DTranspose(2, 3)):
        assert not hasattr(layer, "convolution_op")


def test_the_plain_conv2d_keeps_its_fused_path(monkeypatch):
    from learnet.ops import conv as conv_ops

    x = images()
    relu = layers.Conv2D(4, 3, activation="relu")
    before = relu(x).numpy()
    fused = []
    original = conv_ops.conv2d_relu
    monkeypatch.setattr(conv_ops, "conv2d_relu", lambda *a, **k: fused.append(1) or original(*a, **k))
    monkeypatch.setattr(_Conv, "convolution_op", lambda *a: pytest.fail("the plain layer went through convolution_op"))
    np.testing.assert_array_equal(relu(x).numpy(), before)
    assert fused == [1]


def test_the_plain_conv2d_output_is_unchanged(keras):
    x = images()
    for activation in (None, "relu", "tanh"):
        mine, theirs = layers.Conv2D(4, 3, activation=activation), keras.layers.Conv2D(4, 3, activation=activation)
        mine(x), theirs(x)
        random_bias(mine)
        theirs.set_weights([w.numpy() for w in mine.weights])
        np.testing.assert_allclose(mine(x).numpy(), np.asarray(theirs(x)), rtol=1e-5, atol=1e-5)


def test_a_model_of_the_recipe_trains_saves_and_loads(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 12, 12, 1)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 0).astype("int64")
    model = learnet.Sequential(
        [
            layers.Input(shape=(12, 12, 1)),
            Call(8, kernel_size=3, activation="relu"),
            layers.MaxPooling2D(pool_size=2),
            Override(8, kernel_size=3, activation="relu"),
            layers.Flatten(),
            layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    kernel_before = model.layers[0].kernel.numpy().copy()
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert not np.allclose(model.layers[0].kernel.numpy(), kernel_before)

    path = tmp_path / "standardized.keras"
    model.save(path)
    loaded = learnet.saving.load_model(
        path, custom_objects={"CenteredKernelConv2D": Override, "ScaledKernelConv2D": Call}
    )
    assert [type(layer) for layer in loaded.layers[:3:2]] == [Call, Override]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
