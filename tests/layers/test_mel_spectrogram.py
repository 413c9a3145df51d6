"""``keras.layers.MelSpectrogram``: the same numbers as Keras 3's, its shapes, its config both
ways, gradients through it, and clear errors for bad arguments."""

import json

import numpy as np
import pytest

import learnet
from learnet.testing import check_gradients

L = learnet.keras.layers
SIGNALS = np.random.default_rng(0).standard_normal((2, 4000)).astype("float32")
SETTINGS = [
    {},
    {"mag_exp": 1.0},
    {"power_to_db": False},
    {"window": "hamming", "fft_length": 512, "sequence_stride": 128, "num_mel_bins": 40, "sampling_rate": 8000},
    {"sequence_length": 300, "fft_length": 512, "sequence_stride": 100, "max_freq": 3000, "min_freq": 50.0},
    {"window": None, "fft_length": 256, "sequence_stride": 64, "top_db": 20.0, "ref_power": 2.0},
]


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: ",".join(s) or "defaults")
def test_the_same_spectrogram_as_keras(keras, settings):
    expected = np.asarray(keras.layers.MelSpectrogram(**settings)(SIGNALS))
    layer = L.MelSpectrogram(**settings)
    got = layer(SIGNALS).numpy()
    assert got.shape == expected.shape and got.dtype == np.float32
    if settings.get("power_to_db", True):
        np.testing.assert_allclose(got, expected, atol=1e-2)  # decibels
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-3)
    unbatched = layer(SIGNALS[0]).numpy()
    assert unbatched.shape == expected.shape[1:]


def test_shapes_symbolic_and_eager_agree():
    for time in (4000, 4095, 4096, 511):
        layer = L.MelSpectrogram(fft_length=512, sequence_stride=128, num_mel_bins=16)
        inputs = learnet.keras.Input((time,))
        model = learnet.keras.Model(inputs, layer(inputs))
        assert model.output_shape == (None, 16, 1 + time // 128)
        assert model(np.zeros((1, time), "float32")).shape == (1, 16, 1 + time // 128)
    assert L.MelSpectrogram().compute_output_shape((None, None)) == (None, 128, None)


def test_config_both_ways_with_keras(keras):
    settings = {"fft_length": 512, "sequence_stride": 100, "num_mel_bins": 20, "window": "hamming", "top_db": 60.0}
    ours = L.MelSpectrogram(**settings)
    again = L.MelSpectrogram.from_config(ours.get_config())
    np.testing.assert_array_equal(again(SIGNALS).numpy(), ours(SIGNALS).numpy())
    theirs = keras.layers.deserialize(json.loads(json.dumps(L.serialize(ours))))
    np.testing.assert_allclose(np.asarray(theirs(SIGNALS)), ours(SIGNALS).numpy(), atol=1e-2)
    from_keras = L.deserialize(json.loads(json.dumps(keras.layers.serialize(keras.layers.MelSpectrogram(**settings)))))
    assert isinstance(from_keras, L.MelSpectrogram) and from_keras.get_config()["num_mel_bins"] == 20
    assert not ours.trainable and ours.weights == []


@pytest.mark.parametrize("power_to_db", [False, True])
def test_gradients_flow_through_it(power_to_db):
    layer = L.MelSpectrogram(
        fft_length=16, sequence_stride=8, num_mel_bins=4, sampling_rate=100, power_to_db=power_to_db
    )
    signal = np.random.default_rng(1).standard_normal((1, 40))
    layer64 = L.MelSpectrogram.from_config({**layer.get_config(), "dtype": "float64"})
    # top_db's floor at the largest value makes the function piecewise: keep every value above it.
    layer64.top_db = 1e6
    check_gradients(lambda x: layer64(x), [signal], rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"fft_length": 256, "sequence_length": 512}, "greater than or equal to `sequence_length`"),
        ({"fft_length": 0}, "fft_length must be a positive int"),
        ({"sequence_stride": 2.5}, "sequence_stride must be a positive int"),
        ({"window": "blackman"}, "window must be 'hann', 'hamming'"),
        ({"min_freq": 9000.0}, "min_freq < max_freq"),
    ],
)
def test_bad_arguments_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        L.MelSpectrogram(**arguments)


def test_a_bad_input_is_refused_and_changes_nothing():
    layer = L.MelSpectrogram(fft_length=64, sequence_stride=32, num_mel_bins=8)
    before = layer(SIGNALS).numpy()
    with pytest.raises(ValueError, match=r"\(time,\) or \(batch, time\)"):
        layer(SIGNALS[:, :, None])
    np.testing.assert_array_equal(layer(SIGNALS).numpy(), before)
