"""model.save("name.h5"): Keras' legacy HDF5 whole-model file, which learnet and real Keras 3
load back (architecture, weights, compile arguments and the optimizer's state)."""

import importlib.util
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

h5py = pytest.importorskip("h5py", reason=".h5 files need h5py (the 'h5' extra)")

import learnet as tf  # noqa: E402

RNG = np.random.default_rng(5)
X = RNG.normal(size=(32, 3)).astype("float32")
Y = RNG.normal(size=(32, 2)).astype("float32")


def _trained():
    tf.random.set_seed(0)
    model = tf.keras.Sequential(
        [
            tf.keras.Input((3,)),
            tf.keras.layers.Dense(4, activation="relu", name="d1"),
            tf.keras.layers.BatchNormalization(name="bn"),
            tf.keras.layers.Dense(2, name="d2"),
        ]
    )
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    model.fit(X, Y, epochs=2, batch_size=8, verbose=0)
    return model


def test_a_model_saved_as_h5_loads_back_and_trains_on_as_the_original(tmp_path):
    model = _trained()
    path = tmp_path / "my_model.h5"
    model.save(path)
    with h5py.File(path) as handle:
        assert {"model_config", "training_config", "keras_version"} <= set(handle.attrs)
        assert "optimizer_weights" in handle and "model_weights/d1" in handle
    restored = tf.keras.models.load_model(path)
    np.testing.assert_array_equal(restored.predict(X, verbose=0), model.predict(X, verbose=0))
    assert int(restored.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy()) == 8
    # the optimizer's moments came back: one more step moves both the same way
    model.fit(X, Y, epochs=1, batch_size=32, verbose=0, shuffle=False)
    restored.fit(X, Y, epochs=1, batch_size=32, verbose=0, shuffle=False)
    for a, b in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_a_nested_model_is_stored_as_keras_stores_it(tmp_path):
    inner = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(5, name="inner_dense")], name="inner")
    inputs = tf.keras.Input((3,), name="x")
    model = tf.keras.Model(inputs, tf.keras.layers.Dense(1, name="head")(inner(inputs)))
    model.save(tmp_path / "nested.h5")
    with h5py.File(tmp_path / "nested.h5") as handle:
        assert len(handle["model_weights/inner"].attrs["weight_names"]) == 2  # one group for the nested model
    restored = tf.keras.models.load_model(tmp_path / "nested.h5")
    np.testing.assert_array_equal(restored(X).numpy(), model(X).numpy())


def test_save_format_h5_and_the_weights_names(tmp_path):
    model = _trained()
    model.save(tmp_path / "model_file", save_format="h5")
    assert h5py.is_hdf5(tmp_path / "model_file")
    with pytest.raises(ValueError, match=r"must end in \.weights\.h5"):
        model.save_weights(tmp_path / "weights.h5")
    assert not (tmp_path / "weights.h5").exists()
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "model_file", save_format="h5", overwrite=False)


def test_a_model_keras_cannot_describe_is_refused_and_nothing_is_written(tmp_path):
    class Doubler(tf.keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = tf.keras.layers.Dense(2)

        def call(self, x):
            return self.dense(x) * 2.0

    model = Doubler()
    model(X)
    with pytest.raises(ValueError):
        model.save(tmp_path / "subclassed.h5")
    assert not (tmp_path / "subclassed.h5").exists()


@pytest.mark.slow
def test_real_keras_loads_the_h5_file_learnet_wrote(tmp_path):
    if importlib.util.find_spec("keras") is None or importlib.util.find_spec("jax") is None:
        pytest.skip("real Keras 3 with JAX is not installed (it is not part of the test extra)")
    model = _trained()
    model.save(tmp_path / "learnet.h5")
    np.save(tmp_path / "x.npy", X)
    # compile=False: Keras 3.15 cannot recompile a loss named by a string from any legacy .h5 file,
    # its own included ("Could not deserialize 'keras.metrics.mse'"); the architecture and weights load.
    script = textwrap.dedent(f"""
        import numpy as np
        import keras
        model = keras.models.load_model({str(tmp_path / "learnet.h5")!r}, compile=False)
        np.save({str(tmp_path / "keras.npy")!r}, np.asarray(model.predict(np.load({str(tmp_path / "x.npy")!r}), verbose=0)))
    """)
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    np.testing.assert_allclose(np.load(tmp_path / "keras.npy"), model.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
