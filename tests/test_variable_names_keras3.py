"""Variable names and paths as Keras 3 gives them, compared with real Keras 3 in this process.

Keras 3 names a layer's weight for itself (``kernel``) and gives it a ``path`` that holds
the name scopes open when it was made: ``dense/kernel`` for a functional model's layer,
``sequential/dense/kernel`` for a layer a Sequential model built, ``mha/query/kernel`` for
a sublayer. Every layer, model, optimizer and metric here is named explicitly, so the
counters behind automatic names (which differ between the two libraries' sessions) play
no part.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import pytest

import learnet
from learnet.tensor import keras2_name, name_scope_path, owned_variable

keras = pytest.importorskip("keras")


def names(variables):
    return [(str(v.name), str(v.path)) for v in variables]


def both(build):
    """``build(module)`` run with real Keras and with learnet: their (name, path) lists."""
    return names(build(keras)), names(build(learnet))


def assert_same(build):
    expected, got = both(build)
    assert got == expected


def test_sequential_with_input_puts_the_model_name_first():
    def build(k):
        model = k.Sequential([k.Input((3,)), k.layers.Dense(2, name="d1"), k.layers.Dense(1, name="d2")], name="seq")
        return model.weights

    expected, got = both(build)
    assert got == expected
    assert got[0] == ("kernel", "seq/d1/kernel")


def test_sequential_built_by_its_first_call():
    def build(k):
        model = k.Sequential([k.layers.Dense(2, name="d1")], name="lazy_seq")
        model(np.zeros((1, 3), "float32"))
        return model.weights

    assert_same(build)


def test_sequential_built_by_hand():
    def build(k):
        model = k.Sequential([k.layers.Dense(2, name="d1")], name="hand_seq")
        model.build((None, 3))
        return model.weights

    assert_same(build)


def test_functional_model_layer_paths_have_no_model_name():
    def build(k):
        inputs = k.Input((3,))
        outputs = k.layers.Dense(2, name="fd")(inputs)
        return k.Model(inputs, outputs, name="func").weights

    expected, got = both(build)
    assert got == expected == [("kernel", "fd/kernel"), ("bias", "fd/bias")]


def test_layer_built_alone():
    def build(k):
        layer = k.layers.Dense(2, name="alone")
        layer.build((None, 3))
        return layer.weights

    assert_same(build)


@pytest.mark.parametrize("symbolic", [True, False])
def test_multi_head_attention_sublayers(symbolic):
    def build(k):
        layer = k.layers.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")
        query = k.Input((4, 8)) if symbolic else np.zeros((1, 4, 8), "float32")
        layer(query, query)
        return layer.weights

    expected, got = both(build)
    assert got == expected
    assert got[0] == ("kernel", "mha/query/kernel")


def _block_classes(k):
    class Block(k.layers.Layer):
        """An inner Dense built in build, and a weight of its own."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = k.layers.Dense(3, name="inner")

        def build(self, input_shape):
            self.inner.build(input_shape)
            self.w = self.add_weight(shape=(3,), name="w")

        def call(self, x):
            return self.inner(x) + self.w

    class LazyBlock(k.layers.Layer):
        """An inner Dense built by its first call, inside this layer's call."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = k.layers.Dense(3, name="inner")

        def call(self, x):
            return self.inner(x)

    class VariableBlock(k.layers.Layer):
        """A keras.Variable made in build."""

        def build(self, input_shape):
            self.kv = k.Variable(np.zeros(2, "float32"), name="kv")

        def call(self, x):
            return x

    return Block, LazyBlock, VariableBlock


def test_custom_layer_with_an_inner_layer_built_in_build():
    def build(k):
        block = _block_classes(k)[0](name="block")
        block(np.zeros((1, 2), "float32"))
        return block.weights

    expected, got = both(build)
    assert got == expected
    assert ("kernel", "block/inner/kernel") in got


def test_custom_layer_with_an_inner_layer_built_in_call():
    def build(k):
        block = _block_classes(k)[1](name="lazy_block")
        block(np.zeros((1, 2), "float32"))
        return block.weights

    assert_same(build)


def test_variable_made_in_a_layers_build_has_the_layers_path():
    def build(k):
        block = _block_classes(k)[2](name="vblock")
        block(np.zeros((1, 2), "float32"))
        return [block.kv]

    expected, got = both(build)
    assert got == expected == [("kv", "vblock/kv")]


def test_batch_normalization_and_embedding():
    def build(k):
        model = k.Sequential(
            [k.Input((4,)), k.layers.Embedding(10, 3, name="emb"), k.layers.BatchNormalization(name="bn")],
            name="emb_bn",
        )
        return model.weights

    assert_same(build)


def test_lstm_cell_weights_sit_under_the_cell():
    def build(k):
        layer = k.layers.LSTM(2, name="lstm")
        layer(np.zeros((1, 3, 2), "float32"))
        return layer.weights

    expected, got = both(build)
    assert got == expected
    assert got[0] == ("kernel", "lstm/lstm_cell/kernel")


def test_lstm_in_a_sequential_model():
    def build(k):
        return k.Sequential([k.Input((3, 2)), k.layers.LSTM(2, name="lstm")], name="rnn").weights

    assert_same(build)


def test_subclassed_model():
    def build(k):
        class Net(k.Model):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.hidden = k.layers.Dense(4, name="hidden")
                self.out = k.layers.Dense(1, name="out")

            def call(self, x):
                return self.out(self.hidden(x))

        model = Net(name="net")
        model(np.zeros((1, 3), "float32"))
        return model.weights

    expected, got = both(build)
    assert got == expected
    assert got[0] == ("kernel", "net/hidden/kernel")


@pytest.mark.parametrize("kind", ["Adam", "SGD"])
def test_optimizer_variables(kind):
    def build(k):
        model = k.Sequential([k.Input((3,)), k.layers.Dense(2, name="d")], name="opt_seq")
        options = {"momentum": 0.9} if kind == "SGD" else {}
        optimizer = getattr(k.optimizers, kind)(name="opt", **options)
        optimizer.build(model.trainable_weights)
        return optimizer.variables

    expected, got = both(build)
    assert got == expected
    assert ("opt_seq_d_kernel_momentum", "opt/opt_seq_d_kernel_momentum") in got


def test_optimizer_slots_of_same_named_weights_stay_apart():
    model = learnet.Sequential([learnet.Input((3,)), learnet.layers.Dense(2), learnet.layers.Dense(2)])
    optimizer = learnet.optimizers.Adam()
    optimizer.build(model.trainable_weights)
    paths = [v.path for v in optimizer.variables]
    assert len(paths) == len(set(paths)) == 2 + 4 * 2


@pytest.mark.parametrize("kind", ["Mean", "Precision"])
def test_metric_variables(kind):
    def build(k):
        return getattr(k.metrics, kind)(name="metric").variables

    expected, got = both(build)
    assert got[: len(expected)] == expected
    if kind == "Precision":
        assert got[0] == ("true_positives", "metric/true_positives")


def test_plain_variables_keep_their_name_as_path():
    for k in (keras, learnet):
        v = k.Variable(np.zeros(2, "float32"), name="a")
        assert (v.name, v.path) == ("a", "a")
    v = learnet.Variable(1.0, name="a")
    assert (v.name, v.path) == ("a", "a")  # no ":0"
    v = learnet.Variable(1.0, name="outer/a")  # TensorFlow allows a "/" in a variable's name
    assert (v.name, v.path) == ("outer/a", "outer/a")


def test_name_scope_path_and_owned_variable():
    with name_scope_path("outer"):
        with name_scope_path("inner"):
            v = learnet.Variable(1.0, name="w")
        u = learnet.Variable(1.0, name="u")
    assert (v.name, v.path, u.path) == ("w", "outer/inner/w", "outer/u")
    assert learnet.Variable(1.0, name="after").path == "after"  # the scopes were closed
    owned = owned_variable("adam", 0.0, name="iteration")
    assert (owned.name, owned.path, keras2_name(owned)) == ("iteration", "adam/iteration", "adam/iteration")


def test_scope_closes_when_building_fails():
    class Broken(learnet.layers.Layer):
        def build(self, input_shape):
            self.add_weight(shape=(2,), name="w")
            raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        Broken(name="broken")(np.zeros((1, 2), "float32"))
    assert learnet.Variable(1.0, name="free").path == "free"


def test_a_bad_layer_name_is_refused_before_any_weight():
    with pytest.raises(ValueError, match="cannot contain '/'"):
        learnet.layers.Dense(2, name="a/b")


def test_files_keep_tf_keras_2_names(tmp_path):
    """learnet's own archive keeps its keys: the layer's name and the weight's."""
    import zipfile

    model = learnet.Sequential([learnet.Input((3,)), learnet.layers.Dense(2, name="d")], name="outer")
    assert model.weights[0].path == "outer/d/kernel"
    assert keras2_name(model.weights[0]) == "d/kernel"
    model.save_weights(tmp_path / "m.weights.npz")
    with zipfile.ZipFile(tmp_path / "m.weights.npz") as archive:
        assert archive.namelist() == ["0000/d/kernel.npy", "0001/d/bias.npy"]
    inputs = learnet.Input((3,))
    functional = learnet.Model(inputs, learnet.layers.Dense(2, name="d")(inputs))
    functional.load_weights(tmp_path / "m.weights.npz")
    np.testing.assert_array_equal(functional.weights[0].numpy(), model.weights[0].numpy())


def test_set_weights_error_names_the_path():
    model = learnet.Sequential([learnet.Input((3,)), learnet.layers.Dense(2, name="d")], name="errs")
    kernel = model.layers[0].kernel.numpy()
    with pytest.raises(ValueError, match="errs/d/kernel"):
        model.layers[0].set_weights([np.zeros((4, 2)), np.zeros(2)])
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), kernel)


def test_tensorboard_histograms_are_tagged_by_path(tmp_path):
    pytest.importorskip("tensorboardX")
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    model = learnet.Sequential([learnet.Input((3,)), learnet.layers.Dense(1, name="d")], name="board")
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((4, 3), "float32")
    callback = learnet.callbacks.TensorBoard(tmp_path / "run", histogram_freq=1)
    model.fit(x, x[:, :1], epochs=1, verbose=0, callbacks=[callback])
    events = accumulator.EventAccumulator(str(tmp_path / "run" / "train"))
    events.Reload()
    assert sorted(events.Tags()["histograms"]) == ["board/d/bias", "board/d/kernel"]
