"""The Layer base class: building, weights, names, configs, losses, symbolic calls."""

import numpy as np
import pytest

import learnet as tf
from learnet import layers
from learnet.layers.base import KerasTensor, reset_names


@pytest.fixture(autouse=True)
def _fresh_names():
    reset_names()
    yield


class Linear(layers.Layer):
    """The custom layer of the Keras guide."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b


# --- names -----------------------------------------------------------------------------------------------
def test_names_are_numbered_per_class_like_keras():
    assert [layers.Dense(1).name for _ in range(3)] == ["dense", "dense_1", "dense_2"]
    assert layers.Conv2D(1, 3).name == "conv2d"
    assert layers.BatchNormalization().name == "batch_normalization"
    assert layers.MaxPooling2D().name == "max_pooling2d"
    assert layers.ReLU().name == "re_lu"
    assert Linear().name == "linear"
    assert layers.Dense(1, name="out").name == "out"
    reset_names()
    assert layers.Dense(1).name == "dense"


def test_bad_names_and_arguments_are_refused():
    with pytest.raises(TypeError, match="unexpected keyword argument.*'unit'"):
        layers.Dense(3, unit=4)
    with pytest.raises(ValueError, match="cannot contain '/'"):
        layers.Dense(3, name="a/b")
    with pytest.raises(ValueError, match="units must be a positive integer"):
        layers.Dense(0)


# --- building and weights -------------------------------------------------------------------------------------
def test_build_happens_on_the_first_call_with_the_full_shape():
    seen = []

    class Probe(layers.Layer):
        def build(self, input_shape):
            seen.append(tuple(input_shape))

        def call(self, inputs):
            return inputs

    probe = Probe()
    assert not probe.built
    probe(np.zeros((5, 3)))
    probe(np.zeros((5, 3)))
    assert probe.built and seen == [(5, 3)]


def test_custom_layer_weights_in_creation_order_with_path_names():
    layer = Linear(4)
    out = layer(tf.ones((2, 3)))
    assert out.shape == (2, 4)
    assert [w.path for w in layer.weights] == ["linear/variable", "linear/variable_1"]
    assert [tuple(w.shape) for w in layer.trainable_weights] == [(3, 4), (4,)]
    assert layer.non_trainable_weights == []
    assert layer.count_params() == 16


def test_dense_weights_are_keras_shaped_and_named():
    dense = layers.Dense(10)
    dense(np.zeros((2, 784), dtype="float32"))
    kernel, bias = dense.get_weights()
    assert kernel.shape == (784, 10) and bias.shape == (10,)
    assert [w.path for w in dense.weights] == ["dense/kernel", "dense/bias"]
    assert kernel.dtype == np.float32
    assert dense.count_params() == 7850


def test_add_weight_accepts_the_keras2_positional_name():
    class Old(layers.Layer):
        def build(self, input_shape):
            self.kernel = self.add_weight("kernel", shape=[int(input_shape[-1]), 2])

        def call(self, inputs):
            return tf.matmul(inputs, self.kernel)

    layer = Old()
    layer(tf.ones((1, 3)))
    assert (layer.kernel.name, layer.kernel.path) == ("kernel", "old/kernel")
    # Keras' default initializer for a float weight is glorot_uniform, not zeros.
    assert np.abs(layer.kernel.numpy()).sum() > 0


def test_variables_set_as_attributes_are_tracked():
    class Scale(layers.Layer):
        def __init__(self):
            super().__init__()
            self.factor = tf.Variable(2.0)

        def call(self, inputs):
            return inputs * self.factor

    layer = Scale()
    assert len(layer.weights) == 1 and layer.weights[0] is layer.factor
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(layer(tf.ones((3,))))
    assert float(tape.gradient(y, layer.trainable_weights)[0]) == 3.0


def test_nested_layers_lists_and_later_appends_are_tracked():
    class Block(layers.Layer):
        def __init__(self):
            super().__init__()
            self.hidden = []
            self.hidden.append(layers.Dense(3))
            self.hidden.append(layers.BatchNormalization())
            self.out = layers.Dense(2)
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")

        def call(self, inputs, training=None):
            x = inputs
            for layer in self.hidden:
                x = layer(x)
            return self.out(x) * self.scale

    block = Block()
    block(tf.ones((4, 5)))
    names = [w.path for w in block.weights]
    # Keras 3 order: the layer's own weights, then each sublayer's, in tracking order; the
    # sublayers built in the block's call have paths under it.
    assert names == [
        "block/scale",
        "block/dense/kernel",
        "block/dense/bias",
        "block/batch_normalization/gamma",
        "block/batch_normalization/beta",
        "block/batch_normalization/moving_mean",
        "block/batch_normalization/moving_variance",
        "block/dense_1/kernel",
        "block/dense_1/bias",
    ]
    assert len(block.trainable_weights) == 7 and len(block.non_trainable_weights) == 2
    assert [type(l).__name__ for l in block._flatten_layers()] == ["Block", "Dense", "BatchNormalization", "Dense"]


def test_trainable_false_freezes_every_weight_of_the_layer_and_its_sublayers():
    outer = layers.Layer()
    outer.inner = layers.Dense(2)
    outer.inner(tf.ones((1, 3)))
    outer.trainable = False
    assert outer.trainable_weights == [] and len(outer.non_trainable_weights) == 2
    assert not outer.inner.trainable
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(outer.inner(tf.ones((1, 3))))
    # As TensorFlow's, the tape watches variables created trainable: the frozen kernel's gradient
    # is there when asked for (optimizers follow trainable_weights, which leave it out).
    assert tape.gradient(y, outer.inner.kernel) is not None
    outer.trainable = True
    assert len(outer.trainable_weights) == 2


def test_set_weights_checks_everything_before_changing_anything():
    dense = layers.Dense(2)
    dense(tf.ones((1, 3)))
    before = dense.get_weights()
    with pytest.raises(ValueError, match=r"Dense 'dense' has 2 weight\(s\).*got 1 array"):
        dense.set_weights([np.ones((3, 2))])
    with pytest.raises(ValueError, match=r"'dense/bias' has shape \(2,\), .*shape \(3,\)"):
        dense.set_weights([np.ones((3, 2)), np.ones(3)])
    for old, now in zip(before, dense.get_weights()):
        np.testing.assert_array_equal(old, now)
    dense.set_weights([np.ones((3, 2)), np.zeros(2)])
    np.testing.assert_array_equal(dense(tf.ones((1, 3))).numpy(), [[3.0, 3.0]])


def test_get_weights_returns_copies():
    dense = layers.Dense(2)
    dense(tf.ones((1, 3)))
    kernel = dense.get_weights()[0]
    kernel[...] = 7
    assert not np.any(dense.kernel.numpy() == 7)


def test_count_params_needs_a_built_layer():
    with pytest.raises(ValueError, match="Dense 'dense' is not built yet"):
        layers.Dense(3).count_params()
    assert layers.Dense(3, input_shape=(4,))._batch_input_shape == (None, 4)
    assert layers.Dense(3, input_dim=5)._batch_input_shape == (None, 5)


def test_weights_argument_sets_initial_values():
    dense = layers.Dense(1, weights=[np.full((2, 1), 2.0), np.array([1.0])])
    np.testing.assert_array_equal(dense(tf.ones((1, 2))).numpy(), [[5.0]])


# --- input checks and conversion -----------------------------------------------------------------------------
def test_wrong_input_shape_names_the_layer_and_both_shapes():
    dense = layers.Dense(10)
    dense(np.zeros((32, 784)))
    with pytest.raises(ValueError, match=r"Dense 'dense' expects inputs with last dimension 784, got \(32, 28, 28\)"):
        dense(np.zeros((32, 28, 28)))
    conv = layers.Conv2D(8, 3)
    with pytest.raises(ValueError, match=r"Conv2D 'conv2d' expects inputs of rank 4 .*got shape \(28, 28, 1\)"):
        conv(np.zeros((28, 28, 1)))


@pytest.mark.parametrize(
    "make, wrong, right",
    [
        (lambda: layers.Conv2D(4, 3), (2, 8, 3), (2, 8, 8, 5)),
        (lambda: layers.Conv1D(4, 3), (2, 8), (2, 8, 5)),
        (lambda: layers.LSTM(4), (2, 5), (2, 5, 3)),
    ],
)
def test_a_wrong_rank_is_refused_before_any_weight_is_made(make, wrong, right):
    """Otherwise the failed call would have built the layer for the wrong input's last
    axis, and the right input would be refused next for its channels."""
    layer = make()
    with pytest.raises(ValueError, match="rank"):
        layer(np.zeros(wrong, np.float32))
    assert not layer.built and layer.weights == []
    with pytest.raises(ValueError, match="rank"):
        layer(layers.Input(shape=wrong[1:]))
    assert not layer.built
    layer(np.zeros(right, np.float32))
    assert layer.built


def test_inputs_are_converted_to_the_layer_dtype():
    dense = layers.Dense(2)
    assert dense(np.ones((1, 3))).dtype == np.float32  # float64 NumPy -> float32
    assert dense([[1.0, 2.0, 3.0]]).dtype == np.float32  # nested lists
    assert dense(np.ones((1, 3), dtype="int64")).dtype == np.float32  # integers too, for float layers
    wide = layers.Dense(2, dtype="float64")
    assert wide(np.ones((1, 3), dtype="float32")).dtype == np.float64
    assert wide.kernel.dtype == np.float64


def test_custom_layers_keep_integer_inputs():
    class Ids(layers.Layer):
        def call(self, inputs):
            return inputs

    assert Ids()(np.array([1, 2])).dtype.kind == "i"


# --- training flag -------------------------------------------------------------------------------------------
def test_training_is_passed_down_to_nested_layers():
    seen = []

    class Probe(layers.Layer):
        def call(self, inputs, training=None):
            seen.append(training)
            return inputs

    class Outer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.probe = Probe()

        def call(self, inputs):  # does not take `training` itself
            return self.probe(inputs)

    outer = Outer()
    outer(tf.ones(2), training=True)
    outer(tf.ones(2), training=False)
    outer(tf.ones(2))
    assert seen == [True, False, None]


def test_call_default_for_training_is_used_when_nobody_says():
    class Probe(layers.Layer):
        def call(self, inputs, training=False):
            return inputs * (2.0 if training else 1.0)

    assert float(Probe()(tf.constant(1.0))) == 1.0
    assert float(Probe()(tf.constant(1.0), training=True)) == 2.0


# --- losses ----------------------------------------------------------------------------------------------------
def test_kernel_regularizer_loss_is_differentiable_and_recomputed():
    dense = layers.Dense(2, kernel_regularizer=tf.keras.regularizers.l2(0.5), use_bias=False)
    dense(tf.ones((1, 3)))
    with tf.GradientTape() as tape:
        penalty = sum(dense.losses)
    expected = 0.5 * np.sum(dense.kernel.numpy() ** 2)
    assert float(penalty) == pytest.approx(expected, rel=1e-6)
    grad = tape.gradient(penalty, dense.kernel).numpy()
    np.testing.assert_allclose(grad, dense.kernel.numpy(), rtol=1e-6)  # d(0.5 sum w^2)/dw = w
    dense.kernel.assign(np.zeros((3, 2)))
    assert float(dense.losses[0]) == 0.0


def test_add_loss_in_call_is_reset_at_each_call_and_collected_from_sublayers():
    class Penalized(layers.Layer):
        def call(self, inputs):
            self.add_loss(tf.reduce_sum(inputs))
            return inputs

    class Wrapper(layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = Penalized()

        def call(self, inputs):
            return self.inner(inputs)

    wrapper = Wrapper()
    wrapper(tf.ones(3))
    wrapper(tf.ones(2))
    assert [float(loss) for loss in wrapper.losses] == [2.0]


def test_activity_regularizer_adds_a_loss_on_the_output():
    dense = layers.Dense(2, activity_regularizer="l1", kernel_initializer="ones", use_bias=False)
    dense(tf.ones((1, 3)))
    assert float(dense.losses[0]) == pytest.approx(0.01 * 6.0)


# --- config ----------------------------------------------------------------------------------------------------
def test_config_round_trip_rebuilds_an_equivalent_layer():
    dense = layers.Dense(
        5,
        activation="relu",
        kernel_initializer="he_normal",
        kernel_regularizer=tf.keras.regularizers.L2(1e-3),
        name="hidden",
    )
    config = dense.get_config()
    assert config["activation"] == "relu" and config["units"] == 5 and config["name"] == "hidden"
    assert config["kernel_regularizer"] == {"class_name": "L2", "config": {"l2": 1e-3}}
    copy = layers.Dense.from_config(config)
    assert copy.get_config() == config


def test_custom_layer_gets_an_automatic_config():
    layer = Linear(units=7, name="lin")
    config = layer.get_config()
    assert config["units"] == 7 and config["name"] == "lin"
    assert Linear.from_config(config).units == 7


def test_repr_and_shapes():
    dense = layers.Dense(3)
    assert repr(dense) == "<Dense name=dense, built=False>"
    dense(tf.ones((2, 4)))
    assert dense.input_shape == (None, 4)
    assert dense.output_shape == (None, 3)


# --- symbolic (functional) calls -------------------------------------------------------------------------------
def test_input_returns_a_keras_tensor_with_an_input_layer_history():
    x = layers.Input(shape=(784,), name="pixels")
    assert isinstance(x, KerasTensor)
    assert x.shape == (None, 784) and x.dtype == np.float32 and x.name == "pixels"
    layer, inputs = x._keras_history
    assert isinstance(layer, layers.InputLayer) and inputs == ()
    assert layers.Input(shape=(3,), batch_size=8).shape == (8, 3)
    assert layers.Input(shape=(10,), dtype="int32").dtype == np.int32


def test_calling_a_layer_on_a_keras_tensor_records_the_node():
    x = layers.Input(shape=(784,))
    dense = layers.Dense(64, activation="relu")
    h = dense(x)
    assert isinstance(h, KerasTensor) and h.shape == (None, 64)
    assert h._keras_history.layer is dense and h._keras_history.inputs is x
    assert dense.built and dense.kernel.shape == (784, 64)
    assert dense.output_shape == (None, 64) and dense.input_shape == (None, 784)
    pair = layers.Concatenate()([h, x])
    assert pair.shape == (None, 848)
    assert pair._keras_history.inputs[0] is h and pair._keras_history.inputs[1] is x


def test_symbolic_call_checks_shapes_too():
    dense = layers.Dense(3)
    dense(layers.Input(shape=(4,)))
    with pytest.raises(ValueError, match="last dimension 4, got \\(None, 5\\)"):
        dense(layers.Input(shape=(5,)))


def test_operators_on_keras_tensors_become_layers():
    x = layers.Input(shape=(3,))
    y = x * 2.0 + x
    assert isinstance(y, KerasTensor) and y.shape == (None, 3)
    node_layer, first = y._keras_history
    assert y._keras_call_args[0] is x  # add(x * 2.0, x): the first input, then the others
    assert (node_layer.operation, first._keras_history.layer.operation) == ("add", "multiply")
    # Replaying the recorded nodes on real data gives the same as the expression.
    doubled = first._keras_history.layer(tf.constant([[1.0, 2.0, 3.0]]), 2.0)
    out = node_layer(doubled, tf.constant([[1.0, 2.0, 3.0]]))
    np.testing.assert_array_equal(out.numpy(), [[3.0, 6.0, 9.0]])
    assert x[:, 0].shape == (None,)


def test_custom_layer_output_shape_is_found_by_running_it():
    class Pairs(layers.Layer):
        def call(self, inputs):
            return tf.reshape(inputs, (-1, inputs.shape[1] // 2, 2))

    y = Pairs()(layers.Input(shape=(6,)))
    assert y.shape == (None, 3, 2)


def test_keras_tensors_have_no_values():
    x = layers.Input(shape=(2,))
    with pytest.raises(TypeError, match="symbolic placeholder"):
        np.asarray(x)
    with pytest.raises(TypeError, match="symbolic placeholder"):
        bool(x)


def test_a_layer_built_by_hand_counts_as_built():
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, inputs):
            return inputs * self.w

    layer = Scale()
    layer.build((None, 3))
    assert layer.built and layer.count_params() == 3
    np.testing.assert_array_equal(layer(tf.ones((1, 3))).numpy(), [[1.0, 1.0, 1.0]])


def test_untracked_attributes_are_left_out():
    class Holder(layers.Layer):
        _untracked_attributes = frozenset({"borrowed"})

        def __init__(self, borrowed):
            super().__init__()
            self.borrowed = borrowed
            self.own = layers.Dense(1)

    borrowed = layers.Dense(2)
    holder = Holder(borrowed)
    assert holder._layers == [holder.own]


def test_layer_input_and_output_of_its_symbolic_call():
    x = layers.Input(shape=(4,))
    hidden = layers.Dense(3)
    h = hidden(x)
    assert hidden.input is x and hidden.output is h
    assert x._keras_history.layer.output is x
    with pytest.raises(AttributeError, match="never been called on a symbolic input"):
        layers.Dense(2).output


def test_forgetting_super_init_is_explained():
    class Broken(layers.Layer):
        def __init__(self, units):
            self.units = units

        def call(self, inputs):
            return inputs

    with pytest.raises(RuntimeError, match=r"must call super\(\).__init__\(\)"):
        Broken(3)(tf.ones(2))
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        layers.Dense(2).nothing


def test_several_positional_inputs():
    class Weighted(layers.Layer):
        def call(self, a, b, scale=1.0):
            return (a + b) * scale

    out = Weighted()(np.ones((1, 2)), np.ones((1, 2)), scale=3.0)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [[6.0, 6.0]])


def test_the_first_argument_may_be_given_by_its_name():
    # As in Keras (the TensorFlow transformer tutorial calls `self.cross_attention(x=x, context=c)`).
    class Mix(layers.Layer):
        def call(self, x, context):
            return x + 2.0 * context

    a, b = tf.constant([1.0]), tf.constant([10.0])
    assert Mix()(x=a, context=b).numpy().tolist() == [21.0]
    assert Mix()(a, context=b).numpy().tolist() == [21.0]
    assert layers.Dense(1, kernel_initializer="ones")(inputs=tf.ones((1, 2))).numpy().tolist() == [[2.0]]


def test_symbolic_tensors_show_their_mask_and_mask_consumers_get_one_while_shapes_are_found():
    # keras.io's masking guide: `print("Mask found:", x._keras_mask)` in the functional API, and a
    # layer whose call takes `mask` (it would fail on mask=None) used in a functional model.
    class PassMask(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs):
            return tf.nn.relu(inputs)

    class MaskedSoftmax(layers.Layer):
        def call(self, inputs, mask=None):
            weights = tf.expand_dims(tf.cast(mask, "float32"), -1)
            return tf.exp(inputs) * weights / tf.reduce_sum(tf.exp(inputs) * weights, axis=1, keepdims=True)

    tokens = layers.Input(shape=(None,), dtype="int32")
    embedded = layers.Embedding(10, 4, mask_zero=True)(tokens)
    passed = PassMask()(embedded)
    assert isinstance(passed._keras_mask, KerasTensor) and tuple(passed._keras_mask.shape) == (None, None)
    assert passed._keras_mask.dtype == np.bool_
    assert not hasattr(layers.Input(shape=(3,)), "_keras_mask")
    model = tf.keras.Model(tokens, MaskedSoftmax()(layers.Dense(1)(passed)))
    ids = np.array([[1, 2, 0, 0], [3, 4, 5, 0]])
    out = model.predict(ids, verbose=0)[..., 0]
    np.testing.assert_allclose(out.sum(axis=1), [1.0, 1.0], rtol=1e-5)
    assert np.all(out[ids == 0] == 0)


def test_a_build_without_a_shape_argument_is_called_as_keras_calls_it():
    """keras.io's variable-selection network writes ``def build(self)``: Keras passes no shape."""

    class Scale(layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)
            self.built_with = None

        def build(self):
            self.built_with = "no shape"

        def call(self, x):
            return self.dense(x) * 2.0

    symbolic = Scale()
    assert symbolic(tf.keras.Input((3,))).shape == (None, 2) and symbolic.built_with == "no shape"
    assert Scale()(np.ones((1, 3), "float32")).shape == (1, 2)
