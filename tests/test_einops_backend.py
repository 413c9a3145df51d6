"""einops on learnet tensors (learnet.einops_backend): TensorFlow's tutorials call
einops.parse_shape / rearrange / repeat / reduce on their tensors."""

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet import einops_backend
from learnet.testing import check_gradients

einops = pytest.importorskip("einops")

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _fixture_cases():
    """The einops calls the fixture made on TensorFlow tensors, defined once in its generator."""
    spec = importlib.util.spec_from_file_location("make_einops_fixture", FIXTURES / "make_einops_fixture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.cases


cases = _fixture_cases()
REFERENCE = np.load(FIXTURES / "einops_reference.npz")
EINOPS_FOLDER = str(Path(einops.__file__).resolve().parents[1])


CASES = cases(einops, tf.constant(REFERENCE["x"]), tf.constant(REFERENCE["w"]))


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_einops_on_tensorflow(name):
    result = CASES[name]()
    assert isinstance(result, tf.Tensor)
    expected = REFERENCE[name]
    assert result.shape == expected.shape
    assert result.dtype == expected.dtype
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-6, atol=1e-6)


def test_backend_is_found_for_tensors_and_variables():
    backend = einops._backends.get_backend(tf.zeros((2, 3)))
    assert isinstance(backend, einops_backend.LearnetBackend)
    assert isinstance(backend, einops._backends.AbstractBackend)
    assert backend.framework_name == "learnet"
    assert einops._backends.get_backend(tf.Variable(np.zeros((2, 3)))) is backend
    assert repr(backend) == "<einops backend for learnet>"


def test_parse_shape():
    video = tf.zeros((2, 5, 8, 6, 3))
    assert einops.parse_shape(video, "b t h w c") == {"b": 2, "t": 5, "h": 8, "w": 6, "c": 3}
    assert einops.parse_shape(video, "b t _ _ c") == {"b": 2, "t": 5, "c": 3}
    assert einops.parse_shape(tf.Variable(np.zeros((4, 7))), "batch s") == {"batch": 4, "s": 7}
    assert all(type(size) is int for size in einops.parse_shape(video, "b ...").values())


def test_rearrange_splits_and_merges_axes():
    x = np.arange(2 * 6 * 4, dtype="float32").reshape(2, 6, 4)
    merged = einops.rearrange(tf.constant(x), "b (h w) c -> (b h) w c", h=3)
    np.testing.assert_array_equal(merged.numpy(), x.reshape(6, 2, 4))
    back = einops.rearrange(merged, "(b h) w c -> b (h w) c", b=2)
    np.testing.assert_array_equal(back.numpy(), x)


def test_repeat_and_reduce():
    x = np.arange(6, dtype="float32").reshape(2, 3)
    repeated = einops.repeat(tf.constant(x), "b c -> b n c", n=4)
    np.testing.assert_array_equal(repeated.numpy(), np.repeat(x[:, None], 4, axis=1))
    np.testing.assert_allclose(einops.reduce(repeated, "b n c -> b c", "mean").numpy(), x)
    np.testing.assert_array_equal(einops.reduce(tf.constant(x), "b c -> c", "max").numpy(), x.max(axis=0))
    integers = einops.reduce(tf.constant([[1, 2], [3, 4]]), "a b -> a", "sum")
    assert integers.dtype == np.int32
    np.testing.assert_array_equal(integers.numpy(), [3, 7])


def test_einsum_pack_unpack_and_asnumpy():
    x = np.arange(2 * 3 * 4, dtype="float32").reshape(2, 3, 4)
    w = np.ones((4, 5), dtype="float32")
    product = einops.einsum(tf.constant(x), tf.constant(w), "batch seq dim, dim out -> batch seq out")
    np.testing.assert_allclose(product.numpy(), x @ w)
    packed, shapes = einops.pack([tf.constant(x), tf.constant(x[:, 0])], "b *")
    assert packed.shape == (2, 16) and shapes == [(3, 4), (4,)]
    first, second = einops.unpack(packed, shapes, "b *")
    np.testing.assert_array_equal(first.numpy(), x)
    np.testing.assert_array_equal(second.numpy(), x[:, 0])
    np.testing.assert_array_equal(einops.asnumpy(tf.constant(x)), x)


def test_backend_methods_directly():
    backend = einops._backends.get_backend(tf.zeros(1))
    x = backend.from_numpy(np.arange(6.0).reshape(2, 3))
    assert isinstance(x, tf.Tensor)
    np.testing.assert_array_equal(backend.to_numpy(backend.arange(2, 5)), [2, 3, 4])
    assert backend.shape(x) == (2, 3)
    assert backend.add_axis(x, 1).shape == (2, 1, 3)
    assert backend.tile(x, (2, 1)).shape == (4, 3)
    assert backend.concat([x, x], axis=1).shape == (2, 6)
    assert backend.stack_on_zeroth_dimension([x, x]).shape == (2, 2, 3)
    added = backend.add_axes(x, n_axes=4, pos2len={0: 5, 2: 2})
    np.testing.assert_array_equal(added.numpy(), np.broadcast_to(x.numpy()[None, :, None], (5, 2, 2, 3)))
    assert backend.is_float_type(x) and not backend.is_float_type(tf.constant([1, 2]))
    for operation in ("min", "max", "sum", "mean", "prod"):
        expected = getattr(np, operation)(x.numpy(), axis=(1,))
        np.testing.assert_allclose(backend.reduce(x, operation, (1,)).numpy(), expected)


# --- gradients flow through every einops call ----------------------------------------


def test_rearrange_gradient():
    rng = np.random.default_rng(0)
    check_gradients(
        lambda x: (
            einops.rearrange(x, "b (h h2) w -> b h (w h2)", h2=2)
            * tf.constant(np.arange(24.0).reshape(2, 2, 6), dtype="float64")
        ),
        [rng.normal(size=(2, 4, 3))],
    )


def test_repeat_gradient():
    rng = np.random.default_rng(1)
    weights = tf.constant(rng.normal(size=(2, 3, 4, 2)), dtype="float64")
    check_gradients(lambda x: einops.repeat(x, "b c -> b c n m", n=4, m=2) * weights, [rng.normal(size=(2, 3))])


@pytest.mark.parametrize("reduction", ["mean", "max", "min", "sum", "prod"])
def test_reduce_gradient(reduction):
    rng = np.random.default_rng(2)
    weights = tf.constant(rng.normal(size=(2, 3)), dtype="float64")
    check_gradients(
        lambda x: einops.reduce(x, "b (h h2) c -> b h", reduction, h2=2) * weights, [rng.normal(size=(2, 6, 2))]
    )


def test_einsum_and_pack_gradient():
    rng = np.random.default_rng(3)

    def function(x, w):
        packed, shapes = einops.pack([x, x[:, 0]], "b *")
        first, _ = einops.unpack(packed * 2.0, shapes, "b *")
        return einops.einsum(first, w, "b s d, d o -> b s o") ** 2

    check_gradients(function, [rng.normal(size=(2, 3, 4)), rng.normal(size=(4, 2))])


def test_gradient_through_stacked_list():
    rng = np.random.default_rng(4)
    check_gradients(lambda a, b: einops.rearrange([a, b], "n h w -> h (n w)") ** 2, [rng.normal(size=(2, 3))] * 2)


# --- inside Keras layers and models ---------------------------------------------------


class ResizeVideo(tf.keras.layers.Layer):
    """The video classification tutorial's layer: resize every frame of a video."""

    def __init__(self, height, width):
        super().__init__()
        self.resizing_layer = tf.keras.layers.Resizing(height, width)

    def call(self, video):
        old_shape = einops.parse_shape(video, "b t h w c")
        images = einops.rearrange(video, "b t h w c -> (b t) h w c")
        images = self.resizing_layer(images)
        return einops.rearrange(images, "(b t) h w c -> b t h w c", t=old_shape["t"])


class PoolFrames(tf.keras.layers.Layer):
    def call(self, video):
        return einops.reduce(video, "b t h w c -> b c", "mean")


def test_layers_with_einops_in_a_functional_model():
    keras = tf.keras
    inputs = keras.Input(shape=(3, 8, 6, 2))
    x = ResizeVideo(4, 3)(inputs)
    assert tuple(x.shape) == (None, 3, 4, 3, 2)
    x = PoolFrames()(x)
    outputs = keras.layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)

    rng = np.random.default_rng(5)
    videos = rng.normal(size=(4, 3, 8, 6, 2)).astype("float32")
    resized = keras.layers.Resizing(4, 3)(tf.constant(videos.reshape(12, 8, 6, 2))).numpy()
    pooled = resized.reshape(4, 3, 4, 3, 2).mean(axis=(1, 2, 3))
    kernel, bias = (weight.numpy() for weight in model.layers[-1].weights)
    np.testing.assert_allclose(model.predict(videos, verbose=0), pooled @ kernel + bias, rtol=1e-5, atol=1e-5)

    before = kernel.copy()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(videos, np.ones((4, 1), "float32"), epochs=1, verbose=0)
    assert not np.allclose(model.layers[-1].weights[0].numpy(), before)


def test_gradient_through_a_layer_call():
    rng = np.random.default_rng(6)
    layer = ResizeVideo(2, 2)
    x = tf.Variable(rng.normal(size=(1, 2, 4, 4, 1)))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(einops.reduce(layer(x), "b t h w c -> b", "sum"))
    grad = tape.gradient(y, x).numpy()
    # A halving bilinear resize averages 2x2 blocks: each input pixel gets a quarter of every output's gradient.
    np.testing.assert_allclose(grad, np.full((1, 2, 4, 4, 1), 0.25), rtol=1e-6)


# --- bad input -------------------------------------------------------------------------


def test_bad_patterns_raise_and_change_nothing():
    values = np.arange(12, dtype="float32").reshape(2, 6)
    x = tf.Variable(values)
    with pytest.raises(einops.EinopsError, match="divide"):
        einops.rearrange(x, "b (h w) -> b h w", h=5)
    with pytest.raises(einops.EinopsError):
        einops.rearrange(x, "b h w -> b (h w)")  # three names for two axes
    with pytest.raises(einops.EinopsError):
        einops.repeat(x, "b c -> b c n")  # the size of n is not given
    with pytest.raises(NotImplementedError, match="non-floating"):
        einops.reduce(tf.constant([[1, 2]]), "a b -> a", "mean")
    np.testing.assert_array_equal(x.numpy(), values)


def test_unknown_reduction_raises_value_error():
    backend = einops._backends.get_backend(tf.zeros(1))
    x = tf.zeros((2, 3))
    with pytest.raises(ValueError, match="unknown reduction 'median'"):
        backend.reduce(x, "median", (1,))
    with pytest.raises(einops.EinopsError):
        einops.reduce(x, "a b -> a", "median")


# --- learnet never imports einops; either import order works ---------------------------


def _run(code, with_einops):
    folders = [folder for folder in os.environ.get("PYTHONPATH", "").split(os.pathsep) if folder]
    folders = [folder for folder in folders if Path(folder).resolve() != Path(EINOPS_FOLDER)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(([EINOPS_FOLDER] if with_einops else []) + folders))
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_import_learnet_without_einops():
    out = _run(
        """
        import sys
        sys.modules["einops"] = None  # as if einops were not installed, wherever it lives
        import learnet as tf
        from learnet import einops_backend
        assert einops_backend.LearnetBackend is None
        assert float(tf.reduce_sum(tf.ones((2, 2)))) == 4.0
        try:
            import einops
        except ImportError:
            pass
        else:
            raise AssertionError("einops imported")
        import email.mime.text, json.decoder  # other imports pass the hook untouched
        print("ok")
        """,
        with_einops=False,
    )
    assert out.split() == ["ok"]


def test_import_learnet_does_not_import_einops():
    _run(
        """
        import sys
        import learnet
        from learnet import einops_backend
        assert "einops" not in sys.modules
        assert einops_backend._hook in sys.meta_path
        """,
        with_einops=True,
    )


CHECK_EINOPS = """
    x = learnet.zeros((2, 3, 4))
    assert einops.rearrange(x, "a b c -> a (b c)").shape == (2, 12)
    assert einops.parse_shape(x, "a b c") == {"a": 2, "b": 3, "c": 4}
    assert einops_backend._hook not in sys.meta_path
    assert issubclass(einops_backend.LearnetBackend, einops._backends.AbstractBackend)
    print("ok")
"""


def test_einops_imported_before_learnet():
    code = "import sys\nimport einops\nimport learnet\nfrom learnet import einops_backend\n"
    assert _run(code + textwrap.dedent(CHECK_EINOPS), with_einops=True).split() == ["ok"]


def test_einops_imported_after_learnet():
    code = """
        import inspect, sys
        import learnet
        from learnet import einops_backend
        import einops
        # einops' own loader still answers for its module (tracebacks, inspect).
        assert "class AbstractBackend" in inspect.getsource(einops._backends)
    """
    assert _run(textwrap.dedent(code) + textwrap.dedent(CHECK_EINOPS), with_einops=True).split() == ["ok"]
