"""Weights in Keras 3's .weights.h5 layout: round trips, files written by real Keras, bad files."""

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

h5py = pytest.importorskip("h5py", reason=".weights.h5 files need h5py (the 'h5' extra)")

import learnet  # noqa: E402
from learnet import layers  # noqa: E402
from learnet.models import load_model  # noqa: E402
from learnet.saving import InvalidModelFileError  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _fixture_builder():
    """The architecture of the fixture, from the script that wrote it (it builds with any Keras-like module)."""
    spec = importlib.util.spec_from_file_location("make_keras_weights", FIXTURES / "make_keras_weights.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build


@pytest.fixture(autouse=True)
def _fresh_names():
    learnet.utils.clear_session()


def test_weights_written_by_keras_3_load_and_predict_the_same():
    build = _fixture_builder()
    model = build(learnet)
    model.load_weights(FIXTURES / "keras_convnet.weights.h5")
    io = np.load(FIXTURES / "keras_convnet_io.npz")
    np.testing.assert_allclose(model.predict(io["x"], verbose=0), io["y"], rtol=1e-5, atol=1e-5)


def test_round_trip_and_the_keras_layout(tmp_path):
    build = _fixture_builder()
    model, other = build(learnet), build(learnet)
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "r") as file:
        names = sorted(file["layers"])
        assert names == ["batch_normalization", "conv2d", "dense", "dense_1", "flatten", "max_pooling2d"]
        assert file["layers/dense_1/vars"].attrs["name"] == model.layers[-1].name
        assert file["layers/batch_normalization/vars/3"].shape == (4,)
    other.load_weights(path)
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_file_that_does_not_fit_changes_nothing(tmp_path):
    model = learnet.Sequential([learnet.Input((6,)), layers.Dense(4), layers.Dense(2)])
    model.save_weights(tmp_path / "m.weights.h5")
    wider = learnet.Sequential([learnet.Input((6,)), layers.Dense(5), layers.Dense(2)])
    before = wider.get_weights()
    with pytest.raises(ValueError, match=r"layers/dense/vars/0 has shape \(6, 4\), but the model's weight"):
        wider.load_weights(tmp_path / "m.weights.h5")
    for a, b in zip(before, wider.get_weights()):
        np.testing.assert_array_equal(a, b)
    (tmp_path / "junk.weights.h5").write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match="is not a readable HDF5 file"):
        model.load_weights(tmp_path / "junk.weights.h5")


def test_load_model_on_a_weights_h5_file_says_to_use_load_weights(tmp_path):
    model = learnet.Sequential([learnet.Input((6,)), layers.Dense(2)])
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with pytest.raises(InvalidModelFileError, match=r"this is a weights file: use model.load_weights"):
        load_model(path)


def test_a_subclassed_model_keeps_its_layers_by_attribute_as_in_keras(tmp_path):
    class Twice(learnet.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = layers.Dense(2)

        def call(self, inputs):
            return self.dense(inputs) * 2

    model = Twice()
    model(np.ones((1, 3), dtype="float32"))
    model.save_weights(tmp_path / "m.weights.h5")
    with h5py.File(tmp_path / "m.weights.h5", "r") as file:
        assert file["dense/vars/0"].shape == (3, 2)  # under the attribute's name, as Keras 3.15 writes it
    other = Twice()
    other(np.ones((1, 3), dtype="float32"))
    other.load_weights(tmp_path / "m.weights.h5")
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    # A file learnet wrote before, with the layers under layers/<class name>, still loads.
    with h5py.File(tmp_path / "old.weights.h5", "w") as file:
        file.create_dataset("layers/dense/vars/0", data=np.full((3, 2), 2.0, "float32"))
        file.create_dataset("layers/dense/vars/1", data=np.ones(2, "float32"))
        file.create_group("vars")
    other.load_weights(tmp_path / "old.weights.h5")
    np.testing.assert_array_equal(other.dense.kernel.numpy(), np.full((3, 2), 2.0))


@pytest.mark.slow
def test_weights_written_by_learnet_load_into_real_keras(tmp_path):
    if importlib.util.find_spec("keras") is None or importlib.util.find_spec("jax") is None:
        pytest.skip("real Keras 3 with JAX is not installed (it is not part of the test extra)")
    build = _fixture_builder()
    model = build(learnet)
    rng = np.random.default_rng(1)
    weights = [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in model.get_weights()]
    weights[5] = rng.uniform(0.5, 2.0, size=weights[5].shape).astype("float32")  # the moving variance
    model.set_weights(weights)
    x = np.load(FIXTURES / "keras_convnet_io.npz")["x"]
    np.save(tmp_path / "x.npy", x)
    model.save_weights(tmp_path / "learnet.weights.h5")
    script = textwrap.dedent(f"""
        import sys
        import numpy as np
        import keras
        sys.path.insert(0, {str(FIXTURES)!r})
        from make_keras_weights import build
        model = build(keras)
        model.load_weights({str(tmp_path / "learnet.weights.h5")!r})
        np.save({str(tmp_path / "keras.npy")!r}, np.asarray(model.predict(np.load({str(tmp_path / "x.npy")!r}), verbose=0)))
    """)
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    expected = model.predict(x, verbose=0)
    assert np.isfinite(expected).all()
    np.testing.assert_allclose(np.load(tmp_path / "keras.npy"), expected, rtol=1e-5, atol=1e-5)
