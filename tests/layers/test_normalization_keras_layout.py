"""``layers.Normalization`` keeps Keras 3's variables: ``mean`` and ``variance`` with one value
per feature, a scalar ``count``; a layer given its statistics has none. Every file format reads
and writes them, and files written with the older broadcast layout still load."""

import io
import zipfile

import numpy as np
import pytest

import learnet
from learnet import layers

h5py = pytest.importorskip("h5py", reason="h5py is not installed (pip install 'learnet[keras]')")

CASES = [
    ((None, 4, 4, 3), -1),
    ((None, 4, 5, 3), (1, 2)),
    ((None, 5), None),
    ((None, 6), -1),
]


def _data(shape, seed=0):
    return np.random.default_rng(seed).normal(2.0, 3.0, size=(7,) + shape[1:]).astype("float32")


@pytest.mark.parametrize("shape, axis", CASES)
def test_the_weights_are_keras_3s(keras, shape, axis):
    data = _data(shape)
    ours, theirs = layers.Normalization(axis=axis), keras.layers.Normalization(axis=axis)
    ours.adapt(data)
    theirs.adapt(data)
    assert [w.name.split("/")[-1] for w in ours.weights] == [w.name for w in theirs.weights]
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert [np.dtype(w.dtype) for w in ours.weights] == [np.dtype(w.dtype) for w in theirs.weights]
    assert ours.trainable_weights == [] and len(ours.non_trainable_weights) == 3
    assert ours.count_params() == theirs.count_params()
    for mine, other in zip(ours.get_weights()[:2], theirs.get_weights()[:2]):
        np.testing.assert_allclose(mine, other, rtol=1e-5, atol=1e-6)
    assert ours.get_weights()[2] == int(np.prod(data.shape) // np.prod(ours.get_weights()[0].shape or (1,)))
    # layer.mean reads the statistic broadcast against the inputs, as Keras' attribute does
    assert tuple(ours.mean.shape) == tuple(theirs.mean.shape)
    np.testing.assert_allclose(ours(data).numpy(), np.asarray(theirs(data)), rtol=1e-5, atol=1e-5)


def test_streamed_batches_give_the_statistics_of_the_whole(keras):
    data = _data((None, 4, 4, 3), seed=3)
    ours, theirs = layers.Normalization(), keras.layers.Normalization()
    ours.adapt([data[:3], data[3:]])
    theirs.adapt(data)
    np.testing.assert_allclose(ours.adapt_mean.numpy(), np.asarray(theirs.adapt_mean), rtol=1e-5)
    np.testing.assert_allclose(ours.adapt_variance.numpy(), np.asarray(theirs.adapt_variance), rtol=1e-5)
    assert int(ours.count.numpy()) == 7 * 4 * 4


def test_given_statistics_are_config_not_weights(keras):
    x = _data((None, 4, 4, 3))
    for invert in (False, True):
        ours = layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 1.0, 9.0], invert=invert)
        theirs = keras.layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 1.0, 9.0], invert=invert)
        np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), rtol=1e-6)
        assert ours.weights == [] and theirs.weights == []
        assert tuple(ours.mean.shape) == tuple(theirs.mean.shape) == (1, 1, 1, 3)


def test_the_summary_counts_seven_non_trainable_params():
    model = learnet.keras.Sequential([learnet.keras.Input((4, 4, 3)), layers.Normalization()])
    model.layers[0].adapt(_data((None, 4, 4, 3)))
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Non-trainable params: 7" in text and "Trainable params: 0" in text


def test_adapting_a_layer_given_its_statistics_is_refused_and_changes_nothing():
    layer = layers.Normalization(mean=2.0, variance=4.0)
    layer.build((None, 3))
    with pytest.raises(ValueError, match="given its mean and variance"):
        layer.adapt(np.ones((4, 3)))
    np.testing.assert_allclose(layer(np.full((1, 3), 4.0)).numpy(), [[1.0, 1.0, 1.0]])


def test_an_axis_out_of_range_is_refused():
    with pytest.raises(ValueError, match="out of range"):
        layers.Normalization(axis=3).build((None, 4))


def _model(axis=-1, shape=(4, 5, 3)):
    norm = layers.Normalization(axis=axis, name="norm")
    norm.adapt(_data((None,) + shape, seed=5))
    given = layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 1.0, 9.0], name="given")
    return learnet.keras.Sequential([learnet.keras.Input(shape), norm, given, layers.Dense(2, name="dense")])


@pytest.mark.parametrize("suffix", [".keras", ".h5", ".learnet"])
@pytest.mark.parametrize("axis", [-1, (1, 2)])
def test_files_round_trip(tmp_path, suffix, axis):
    model = _model(axis)
    x = _data((None, 4, 5, 3), seed=8)
    model.save(tmp_path / f"m{suffix}")
    restored = learnet.keras.models.load_model(tmp_path / f"m{suffix}")
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert int(restored.get_layer("norm").count.numpy()) == int(model.get_layer("norm").count.numpy())


@pytest.mark.parametrize("axis", [-1, (1, 2)])
def test_keras_reads_what_learnet_writes_and_back(keras, tmp_path, axis):
    model = _model(axis)
    x = _data((None, 4, 5, 3), seed=8)
    model.save(tmp_path / "m.keras")
    theirs = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(np.asarray(theirs(x)), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    theirs.save(tmp_path / "back.keras")
    ours = learnet.keras.models.load_model(tmp_path / "back.keras")
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(theirs(x)), rtol=1e-5, atol=1e-6)


def _old_layout(model):
    """The weights as learnet wrote them before: broadcast-shaped statistics, no count, and the
    given layer's statistics as weights too."""
    arrays, index = {}, 0
    for layer in model.layers:
        if layer.name == "norm":
            shape = tuple(layer.mean.shape)
            own = [
                ("mean", layer.adapt_mean.numpy().reshape(shape)),
                ("variance", layer.adapt_variance.numpy().reshape(shape)),
            ]
        elif layer.name == "given":
            own = [("mean", layer.mean.numpy()), ("variance", layer.variance.numpy())]
        else:
            own = [(w.name.split("/")[-1], w.numpy()) for w in layer.weights]
        for short, array in own:
            arrays[f"{index:04d}/{layer.name}/{short}"] = array
            index += 1
    return arrays


def test_a_learnet_file_of_the_old_layout_still_loads(tmp_path):
    model = _model((1, 2))
    x = _data((None, 4, 5, 3), seed=8)
    model.save(tmp_path / "new.learnet")
    buffer = io.BytesIO()
    np.savez(buffer, **_old_layout(model))
    with zipfile.ZipFile(tmp_path / "new.learnet") as new, zipfile.ZipFile(tmp_path / "old.learnet", "w") as old:
        for name in new.namelist():
            old.writestr(name, buffer.getvalue() if name == "model.weights.npz" else new.read(name))
    restored = learnet.keras.models.load_model(tmp_path / "old.learnet")
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert [tuple(w.shape) for w in restored.get_layer("norm").weights] == [(4, 5), (4, 5), ()]
    # load_weights reads the old layout too
    fresh = _model((1, 2))
    np.savez(tmp_path / "old_weights.npz", **_old_layout(model))
    with zipfile.ZipFile(tmp_path / "old.weights.learnet", "w") as archive:
        archive.writestr("model.weights.npz", buffer.getvalue())
    fresh.load_weights(tmp_path / "old.weights.learnet")
    np.testing.assert_allclose(fresh.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_a_legacy_h5_file_without_the_count_still_loads(tmp_path):
    model = _model()
    x = _data((None, 4, 5, 3), seed=8)
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r+") as handle:
        weights = handle["model_weights"]
        group = weights["norm"]
        names = [n.decode() for n in group.attrs["weight_names"]]
        for name in names:
            if name.endswith("/count"):
                del group[name]
        group.attrs["weight_names"] = np.array([n.encode() for n in names if not n.endswith("/count")])
        given = weights["given"]
        for short, value in (("mean", [1.0, 2.0, 3.0]), ("variance", [4.0, 1.0, 9.0])):
            given.create_dataset(f"sequential/given/{short}", data=np.reshape(value, (1, 1, 1, 3)))
        given.attrs["weight_names"] = np.array([b"sequential/given/mean", b"sequential/given/variance"])
    restored = learnet.keras.models.load_model(tmp_path / "m.h5")
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_onnx_export_folds_the_statistics(tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    model = _model((1, 2))
    x = _data((None, 4, 5, 3), seed=8)
    path = tmp_path / "m.onnx"
    learnet.onnx.export(model, path)
    session = onnxruntime.InferenceSession(str(path))
    (out,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_allclose(out, model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
