"""``model.export`` and ``keras.layers.TFSMLayer``: Keras 3's way to serve a model and use it again.

Hands-On (chapter 10) exports its subclassed wide-and-deep model with ``model.export`` and
reloads it with ``tf.keras.layers.TFSMLayer``; the reloaded layer must give the model's
predictions without the model's Python class.
"""

import numpy as np
import pytest

import learnet as tf
from learnet import layers as L

RNG = np.random.default_rng(0)
X_WIDE = RNG.random((40, 5)).astype("float32")
X_DEEP = RNG.random((40, 6)).astype("float32")
Y = RNG.random((40, 1)).astype("float32")


def _wide_and_deep_class():
    # A subclassed two-input, two-output model of the kind Hands-On exports (written here anew).
    class TwoPaths(tf.keras.Model):
        def __init__(self, width=30, **kwargs):
            super().__init__(**kwargs)
            self.scale_short = L.Normalization()
            self.scale_long = L.Normalization()
            self.first = L.Dense(width, activation="relu")
            self.second = L.Dense(width, activation="relu")
            self.drop = L.Dropout(0.5)
            self.head = L.Dense(1)
            self.side_head = L.Dense(1)

        def call(self, inputs, training=None):
            short, long = inputs
            features = self.drop(self.second(self.first(self.scale_long(long))), training=training)
            return self.head(L.concatenate([self.scale_short(short), features])), self.side_head(features)

    return TwoPaths


def _trained_wide_and_deep():
    model = _wide_and_deep_class()(8, name="two_paths")
    model.compile(loss=["mse", "mse"], loss_weights=[0.9, 0.1], optimizer="adam")
    model.scale_short.adapt(X_WIDE)
    model.scale_long.adapt(X_DEEP)
    model.fit((X_WIDE, X_DEEP), (Y, Y), epochs=2, verbose=0)
    return model


def test_a_subclassed_model_exported_and_reloaded_as_a_layer_predicts_the_same(tmp_path, capsys):
    model = _trained_wide_and_deep()
    model.export(tmp_path / "my_keras_model")
    printed = capsys.readouterr().out
    assert "Saved artifact at" in printed and "Endpoint 'serve'" in printed and "(None, 5)" in printed
    tfsm_layer = tf.keras.layers.TFSMLayer(tmp_path / "my_keras_model")
    y_pred_main, y_pred_aux = tfsm_layer((X_WIDE[:3], X_DEEP[:3]))
    main, aux = model.predict((X_WIDE[:3], X_DEEP[:3]), verbose=0)
    np.testing.assert_allclose(y_pred_main, main, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(y_pred_aux, aux, rtol=1e-6, atol=1e-6)
    # The reloaded weights are the layer's own, and inference never runs the dropout.
    # (Two Normalizations' mean, variance and count, as Keras 3 keeps them.)
    assert len(tfsm_layer.trainable_weights) == 8 and len(tfsm_layer.non_trainable_weights) == 6
    again, _ = tfsm_layer((X_WIDE[:3], X_DEEP[:3]), training=True)
    np.testing.assert_array_equal(again, y_pred_main)


def test_the_exported_directory_needs_no_python_class(tmp_path):
    model = _trained_wide_and_deep()
    model.export(tmp_path / "served", verbose=False)
    del model
    reloaded = tf.saved_model.load(tmp_path / "served")
    assert type(reloaded).__name__ == "Functional"
    assert [type(layer).__name__ for layer in reloaded.layers].count("Dense") == 4


def test_a_reloaded_layer_inside_a_new_model_can_be_frozen_or_fine_tuned(tmp_path):
    base = tf.keras.Sequential([L.Input((6,)), L.Dense(4, activation="relu"), L.Dense(3)])
    base.export(tmp_path / "base", verbose=False)
    frozen = tf.keras.layers.TFSMLayer(tmp_path / "base", trainable=False)
    inputs = L.Input((6,))
    model = tf.keras.Model(inputs, L.Dense(1)(frozen(inputs)))
    assert model.output_shape == (None, 1)
    assert len(model.trainable_weights) == 2  # only the new head
    before = [w.copy() for w in frozen.get_weights()]
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X_DEEP, Y, epochs=1, verbose=0)
    for old, new in zip(before, frozen.get_weights()):
        np.testing.assert_array_equal(old, new)
    tuned = tf.keras.layers.TFSMLayer(tmp_path / "base")
    model = tf.keras.Sequential([L.Input((6,)), tuned, L.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X_DEEP, Y, epochs=1, verbose=0)
    assert not np.allclose(tuned.get_weights()[0], before[0])
    assert tuned.get_config()["filepath"] == str(tmp_path / "base")


def test_the_training_endpoint_runs_the_model_as_fit_does(tmp_path):
    model = tf.keras.Sequential([L.Input((6,)), L.Dropout(0.9), L.Dense(2)])
    model.export(tmp_path / "dropout", verbose=False)
    layer = tf.keras.layers.TFSMLayer(tmp_path / "dropout", call_training_endpoint="serve")
    np.testing.assert_allclose(layer(X_DEEP), model.predict(X_DEEP, verbose=0), rtol=1e-6)
    assert not np.allclose(layer(X_DEEP, training=True), model.predict(X_DEEP, verbose=0))


def test_export_takes_an_input_signature_as_keras_does(tmp_path):
    class Doubler(tf.keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = L.Dense(2)

        def call(self, inputs):
            return self.dense(inputs) * 2.0

    model = Doubler()  # never called: its shapes come from the signature
    for signature in (
        [L.InputSpec(shape=(None, 6), dtype="float32")],
        [tf.TensorSpec(shape=(None, 6), dtype=tf.float32)],
        (None, 6),
    ):
        model.export(tmp_path / "doubler", verbose=False, input_signature=signature)
        reloaded = tf.keras.layers.TFSMLayer(tmp_path / "doubler")
        np.testing.assert_allclose(reloaded(X_DEEP), model(X_DEEP), rtol=1e-6)


def test_export_to_onnx_runs_in_onnxruntime(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    model = _trained_wide_and_deep()
    model.export(tmp_path / "model.onnx", format="onnx", verbose=False, opset_version=17)
    session = ort.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    names = [spec.name for spec in session.get_inputs()]
    main, aux = session.run(None, dict(zip(names, (X_WIDE, X_DEEP))))
    expected_main, expected_aux = model.predict((X_WIDE, X_DEEP), verbose=0)
    np.testing.assert_allclose(main, expected_main, atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(aux, expected_aux, atol=1e-5, rtol=1e-5)


def test_bad_exports_are_refused_and_write_nothing(tmp_path):
    model = tf.keras.Sequential([L.Input((6,)), L.Dense(2)])
    with pytest.raises(ValueError, match="format must be 'tf_saved_model' or 'onnx'"):
        model.export(tmp_path / "a", format="h5")
    with pytest.raises(TypeError, match="unexpected argument"):
        model.export(tmp_path / "b", opset=3)
    with pytest.raises(TypeError, match="opset_version is an option of format='onnx'"):
        model.export(tmp_path / "c", opset_version=17)
    unbuilt = _wide_and_deep_class()()
    with pytest.raises(ValueError, match="has not been called on data yet"):
        unbuilt.export(tmp_path / "d")

    class ReadsValues(tf.keras.Model):
        def call(self, inputs):
            return inputs * float(np.asarray(inputs).sum())

    reads = ReadsValues()
    reads(X_DEEP)
    with pytest.raises(ValueError, match="tracing ReadsValues.call on symbolic inputs failed"):
        reads.export(tmp_path / "e")
    assert list(tmp_path.iterdir()) == []


def test_a_layer_of_a_missing_or_wrong_export_is_refused(tmp_path):
    with pytest.raises(OSError, match="is not a directory written by"):
        tf.keras.layers.TFSMLayer(tmp_path / "nothing")
    tf.keras.Sequential([L.Input((6,)), L.Dense(2)]).export(tmp_path / "m", verbose=False)
    with pytest.raises(ValueError, match="'train' is not an endpoint"):
        tf.keras.layers.TFSMLayer(tmp_path / "m", call_endpoint="train")
    with pytest.raises(ValueError, match="'fit' is not an endpoint"):
        tf.keras.layers.TFSMLayer(tmp_path / "m", call_training_endpoint="fit")
    from learnet.layers import TFSMLayer

    assert TFSMLayer is tf.keras.layers.TFSMLayer
