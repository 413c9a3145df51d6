"""``layers.STFTSpectrogram`` against real Keras 3 (fixtures/make_stft_spectrogram_fixture.py).

Outputs, kernels and output shapes for every mode, window, padding and layout; a model
with the layer read from a Keras-written ``.keras`` file; gradients through the layer to
the signal and to both kernels; configs; and the errors Keras raises for bad arguments.
"""

import importlib.util
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import learnet as keras
from learnet import layers
from learnet.layers.spectrogram import _spectrogram, get_window, stft_kernel
from learnet.testing import check_gradients

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REFERENCE = np.load(FIXTURES / "stft_spectrogram_reference.npz")


def _fixture_module():
    path = FIXTURES / "make_stft_spectrogram_fixture.py"
    spec = importlib.util.spec_from_file_location("make_stft_spectrogram_fixture", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURE = _fixture_module()


def _layer(kwargs, **more):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an fft_length that is not a power of two is only advised against
        return layers.STFTSpectrogram(**kwargs, **more)


def _close(got, want, name):
    """Equal to Keras' float32 values within 1e-4 of the output's scale."""
    scale = float(np.max(np.abs(want))) or 1.0
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * scale, err_msg=name)


@pytest.mark.parametrize("case", sorted(FIXTURE.CASES))
def test_matches_keras(case):
    kwargs = FIXTURE.CASES[case]
    layer = _layer(kwargs)
    x = FIXTURE.signals(kwargs.get("data_format", "channels_last"))
    got = layer(x).numpy()
    want = REFERENCE[f"{case}/output"]
    assert got.shape == want.shape
    if kwargs.get("mode") == "angle":
        # The phase of a bin whose value is (nearly) zero is noise: compare where it is defined,
        # and as an angle (pi and -pi are one phase).
        power = _layer(kwargs, name=None)
        power.mode = "magnitude"
        defined = power(x).numpy() > 1e-3
        difference = np.angle(np.exp(1j * (got - want)))
        assert defined.mean() > 0.9
        np.testing.assert_allclose(difference[defined], 0.0, atol=1e-3)
    else:
        _close(got, want, case)
    # The weights: Keras' names, order, shapes and initial values.
    names = [w.name.split("/")[-1] for w in layer.weights]
    expected = [k.split("/")[1] for k in REFERENCE.files if k.startswith(f"{case}/") and k.endswith("_kernel")]
    assert names == expected
    for weight, name in zip(layer.weights, names):
        # Keras computes the kernels in float32, learnet in float64 (then rounds them).
        np.testing.assert_allclose(weight.numpy(), REFERENCE[f"{case}/{name}"], atol=1e-5)
    unknown = (None, None, 2) if kwargs.get("data_format", "channels_last") == "channels_last" else (None, 2, None)
    want_shape = tuple(None if s == -1 else int(s) for s in REFERENCE[f"{case}/unknown_shape"])
    assert tuple(layer.compute_output_shape(unknown)) == want_shape
    known = (2,) + tuple(x.shape[1:])
    assert tuple(layer.compute_output_shape(known)) == got.shape


def test_keras_weights_load_with_set_weights():
    kwargs = FIXTURE.CASES["log_default"]
    layer = _layer(kwargs)
    x = FIXTURE.signals()
    layer.build(x.shape)
    keras_weights = [REFERENCE["log_default/real_kernel"], REFERENCE["log_default/imag_kernel"]]
    layer.set_weights([w * 2.0 for w in keras_weights])  # twice the kernels: twice the magnitude
    got = np.exp(layer(x).numpy())
    _close(got, 2.0 * np.exp(REFERENCE["log_default/output"]), "doubled kernels")


def test_keras_file_loads_and_runs():
    model = keras.models.load_model(FIXTURES / "stft_spectrogram_model.keras")
    stft = model.layers[0]
    assert isinstance(stft, layers.STFTSpectrogram)
    assert (stft.mode, stft.frame_length, stft.frame_step, stft.window, stft.padding) == (
        "log",
        32,
        16,
        "hamming",
        "same",
    )
    _close(model(REFERENCE["model/input"]).numpy(), REFERENCE["model/output"], "model")


def test_save_and_load_round_trip(tmp_path):
    model = keras.models.load_model(FIXTURES / "stft_spectrogram_model.keras")
    path = tmp_path / "again.keras"
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_array_equal(again(REFERENCE["model/input"]).numpy(), model(REFERENCE["model/input"]).numpy())


def test_in_a_functional_model_with_unknown_time():
    inputs = keras.Input((None, 1))
    branches = [
        layers.STFTSpectrogram(frame_length=n, frame_step=16, fft_length=128, padding="same", expand_dims=True)(inputs)
        for n in (48, 64, 80)
    ]
    assert [tuple(b.shape) for b in branches] == [(None, None, 65, 1)] * 3
    merged = layers.Concatenate(axis=-1)(branches)
    outputs = layers.Dense(2)(layers.GlobalAveragePooling2D()(merged))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).standard_normal((4, 400, 1)).astype("float32")
    history = model.fit(x, np.zeros((4, 2), "float32"), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert len(model.trainable_weights) == 6 + 2  # two kernels per spectrogram, trained by default


def test_trainable_false_freezes_the_kernels():
    layer = layers.STFTSpectrogram(frame_length=16, trainable=False)
    layer(np.zeros((1, 64, 1), "float32"))
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2
    assert len(layers.STFTSpectrogram(mode="real", frame_length=16)(np.zeros((1, 32, 1), "float32")).shape) == 3


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mode": "log"},
        {"mode": "psd", "padding": "same"},
        {"mode": "angle", "data_format": "channels_first"},
        {"mode": "stft", "expand_dims": True},
        {"mode": "magnitude", "window": "hamming", "periodic": True},
    ],
)
def test_gradients_reach_the_signal_and_the_kernels(kwargs):
    layer = layers.STFTSpectrogram(frame_length=8, frame_step=3, fft_length=8, dtype="float64", **kwargs)
    rng = np.random.default_rng(1)
    shape = (2, 2, 20) if kwargs.get("data_format") == "channels_first" else (2, 20, 2)
    x = rng.standard_normal(shape)
    layer(x)
    # At random kernels, away from the DFT's exact zeros (the phase of 0 has no gradient).
    real, imag = (rng.standard_normal(layer.real_kernel.shape) for _ in range(2))
    check_gradients(lambda s, r, i: _spectrogram(layer, s, r, i), [x, real, imag], atol=1e-5, rtol=1e-4)


def test_gradient_through_the_layer_call():
    layer = layers.STFTSpectrogram(mode="log", frame_length=8, frame_step=4, dtype="float64")
    x = np.random.default_rng(2).standard_normal((1, 24, 1))
    check_gradients(lambda s: layer(s), [x], atol=1e-5, rtol=1e-4)


def test_config_round_trip():
    layer = layers.STFTSpectrogram(
        mode="psd", frame_length=20, frame_step=5, fft_length=32, window=np.hanning(20), scaling="spectrum", name="spec"
    )
    config = json.loads(json.dumps(layer.get_config()))
    keras_keys = ["name", "trainable", "dtype", "mode", "frame_length", "frame_step", "fft_length", "window"]
    keras_keys += ["periodic", "scaling", "padding", "data_format", "expand_dims"]
    assert [key for key in config if key in keras_keys] == keras_keys
    again = layers.STFTSpectrogram.from_config(config)
    x = np.random.default_rng(3).standard_normal((1, 60, 1)).astype("float32")
    np.testing.assert_array_equal(again(x).numpy(), layer(x).numpy())
    assert again.get_config() == config


def test_windows_are_scipys():
    scipy_signal = pytest.importorskip("scipy.signal")
    for name in ("hann", "hamming", "blackman", "bartlett", "boxcar", "triang", "ham", "rect", "tri"):
        for length in (1, 2, 7, 8):
            for periodic in (False, True):
                np.testing.assert_allclose(
                    get_window(name, length, periodic), scipy_signal.get_window(name, length, periodic), atol=1e-12
                )


def test_the_kernel_is_the_dft():
    # Correlating a frame with the kernels gives its one-sided FFT (window and scaling off).
    frame = np.random.default_rng(4).standard_normal(16)
    real = stft_kernel("real", 16, 16, window=None, dtype="float64")[:, 0, :]
    imag = stft_kernel("imag", 16, 16, window=None, dtype="float64")[:, 0, :]
    np.testing.assert_allclose(frame @ real + 1j * (frame @ imag), np.fft.rfft(frame), atol=1e-12)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"mode": "power"}, "mode"),
        ({"scaling": "l2"}, "Scaling"),
        ({"padding": "causal"}, "Padding"),
        ({"frame_length": 16, "frame_step": 17}, "frame_step"),
        ({"frame_length": 16, "frame_step": 0}, "frame_step"),
        ({"frame_length": 16, "fft_length": 8}, "fft_length"),
        ({"frame_length": 0}, "frame_length"),
        ({"frame_length": 2.5}, "frame_length"),
        ({"window": "hanning"}, "window"),
        ({"frame_length": 4, "window": [1.0, 2.0]}, "window"),
        ({"data_format": "channels_middle"}, "data_format"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.STFTSpectrogram(**kwargs)


def test_fft_length_not_a_power_of_two_warns():
    with pytest.warns(UserWarning, match="power of two"):
        layers.STFTSpectrogram(frame_length=16, fft_length=20)


def test_bad_inputs_raise_and_change_nothing():
    layer = layers.STFTSpectrogram(frame_length=16)
    with pytest.raises(ValueError, match="ndim|rank|dimension"):
        layer(np.zeros((2, 64), "float32"))
    assert not layer.built and layer.weights == []
    with pytest.raises(TypeError, match="float"):
        layer(np.zeros((2, 64, 1), "int32"))
    layer(np.zeros((2, 64, 1), "float32"))
    before = [w.numpy().copy() for w in layer.weights]
    with pytest.raises(ValueError, match="fewer than frame_length"):
        layer(np.zeros((2, 8, 1), "float32"))
    for weight, value in zip(layer.weights, before):
        np.testing.assert_array_equal(weight.numpy(), value)
