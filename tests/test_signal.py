"""``tf.signal`` (and complex numbers) against real TensorFlow 2.21 (fixture made by fixtures/make_tf_signal_fixture.py)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet import audio as tfaudio
from learnet import complex_math
from learnet import signal as tfsignal
from learnet.testing import check_gradients

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = np.load(FIXTURES / "tf_signal_reference.npz")


def _fixture_module():
    spec = importlib.util.spec_from_file_location("make_tf_signal_fixture", FIXTURES / "make_tf_signal_fixture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURE = _fixture_module()
CASES = FIXTURE.cases(tf, tfsignal, tfaudio)
SIGNAL_CASES = sorted(name for name in CASES if "wav" not in name)


@pytest.mark.parametrize("name", SIGNAL_CASES)
def test_matches_tensorflow(name):
    got = CASES[name]().numpy()
    expected = REFERENCE[name]
    assert got.shape == expected.shape and got.dtype == expected.dtype
    scale = float(np.abs(expected).max(initial=0.0))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * scale)


# --- shapes and dtypes ---------------------------------------------------------------------------
def test_stft_of_a_tutorial_batch_has_the_spectrogram_shape():
    waveforms = np.random.default_rng(0).uniform(-1, 1, (4, 16000)).astype("float32")
    spectrogram = tf.abs(tfsignal.stft(waveforms, frame_length=255, frame_step=128))[..., tf.newaxis]
    assert spectrogram.shape == (4, 124, 129, 1) and spectrogram.dtype == np.float32


def test_float64_signals_give_complex128():
    x = tf.constant(np.linspace(-1, 1, 64), dtype="float64")
    assert tfsignal.rfft(x).dtype == np.complex128
    assert tfsignal.stft(x, 16, 8).dtype == np.complex128
    assert tfsignal.irfft(tfsignal.rfft(x)).dtype == np.float64


def test_default_fft_length_is_the_enclosing_power_of_two():
    x = np.zeros(1000, "float32")
    assert tfsignal.stft(x, 255, 128).shape[-1] == 129
    assert tfsignal.stft(x, 256, 128).shape[-1] == 129
    assert tfsignal.stft(x, 257, 128).shape[-1] == 257


def test_frame_and_overlap_and_add_round_trip_without_overlap():
    x = np.arange(12, dtype="float32").reshape(2, 6)
    frames = tfsignal.frame(x, 3, 3)
    assert frames.shape == (2, 2, 3)
    np.testing.assert_array_equal(tfsignal.overlap_and_add(frames, 3).numpy(), x)


def test_inverse_stft_reconstructs_the_signal():
    x = np.random.default_rng(1).standard_normal(2048).astype("float32")
    spectra = tfsignal.stft(x, 256, 64)
    y = tfsignal.inverse_stft(spectra, 256, 64, window_fn=tfsignal.inverse_stft_window_fn(64)).numpy()
    np.testing.assert_allclose(y[256:-256], x[256 : len(y) - 256], atol=1e-4)


def test_fft_round_trips_and_real_input_is_taken_as_complex():
    x = tf.constant(np.random.default_rng(2).standard_normal((3, 8)), dtype="float64")
    np.testing.assert_allclose(tfsignal.ifft2d(tfsignal.fft2d(x)).numpy().real, x.numpy(), atol=1e-12)
    np.testing.assert_allclose(tfsignal.irfft3d(tfsignal.rfft3d(x[None])).numpy()[0], x.numpy(), atol=1e-12)


def test_mel_spectrogram_and_mfccs_pipeline():
    waveform = np.random.default_rng(3).uniform(-1, 1, 8000).astype("float32")
    magnitude = tf.abs(tfsignal.stft(waveform, 256, 128))
    mel = tfsignal.linear_to_mel_weight_matrix(40, magnitude.shape[-1], 16000, 20.0, 7600.0)
    log_mel = tf.math.log(tf.tensordot(magnitude, mel, 1) + 1e-6)
    mfccs = tfsignal.mfccs_from_log_mel_spectrograms(log_mel)[..., :13]
    assert mfccs.shape == (61, 13) and mfccs.dtype == np.float32


def test_complex_parts():
    z = complex_math.complex(tf.constant([3.0, 0.0]), tf.constant([4.0, -1.0]))
    assert z.dtype == np.complex64
    np.testing.assert_allclose(complex_math.real(z).numpy(), [3.0, 0.0])
    np.testing.assert_allclose(complex_math.imag(z).numpy(), [4.0, -1.0])
    np.testing.assert_allclose(complex_math.conj(z).numpy(), [3 - 4j, 1j])
    np.testing.assert_allclose(complex_math.angle(z).numpy(), [np.arctan2(4, 3), -np.pi / 2], rtol=1e-6)
    np.testing.assert_allclose(tf.abs(z).numpy(), [5.0, 1.0])
    assert complex_math.real(tf.constant([1.5])).numpy().tolist() == [1.5]
    assert complex_math.imag(tf.constant([1.5])).numpy().tolist() == [0.0]


# --- gradients -----------------------------------------------------------------------------------
RNG = np.random.default_rng(11)


def test_gradient_of_the_spectrogram_reaches_the_waveform():
    waveform = tf.Variable(RNG.standard_normal(600).astype("float32"))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.abs(tfsignal.stft(waveform, 255, 128)))
    grad = tape.gradient(loss, waveform)
    assert grad.shape == (600,) and grad.dtype == np.float32
    assert np.all(np.isfinite(grad.numpy())) and np.abs(grad.numpy()).max() > 0


def test_frame_gradients():
    weights = RNG.standard_normal((3, 4, 5))
    check_gradients(
        lambda x: tfsignal.frame(x, 4, 2) * weights[:, :3, :4].reshape(3, 3, 4)[0], [RNG.standard_normal(8)]
    )
    check_gradients(
        lambda x: tfsignal.frame(x, 3, 2, pad_end=True, pad_value=1.0, axis=0) * weights[:, :3, :3].transpose(1, 2, 0),
        [RNG.standard_normal((5, 3))],
    )


def test_overlap_and_add_gradients():
    weights = RNG.standard_normal(11)
    check_gradients(lambda x: tfsignal.overlap_and_add(x, 2) * weights, [RNG.standard_normal((4, 5))])
    # The primitive _overlap_add pads past the last frame too (the backward of frame with leftover samples).
    check_gradients(lambda x: tfsignal._overlap_add(x, 3, 0, 12) * weights[:1], [RNG.standard_normal((3, 4))])


def test_rfft_gradients():
    check_gradients(lambda x: tf.abs(tfsignal.rfft(x)) * np.arange(1.0, 6.0), [RNG.standard_normal((2, 8))])
    check_gradients(lambda x: complex_math.real(tfsignal.rfft(x, fft_length=[6])), [RNG.standard_normal(9)])
    check_gradients(lambda x: complex_math.imag(tfsignal.rfft(x, fft_length=[12])) ** 2, [RNG.standard_normal(9)])
    check_gradients(lambda x: tf.abs(tfsignal.rfft2d(x, fft_length=[3, 6])), [RNG.standard_normal((4, 5))])
    check_gradients(lambda x: tf.abs(tfsignal.rfft3d(x)), [RNG.standard_normal((2, 3, 4))])


def test_irfft_gradients():
    weights = RNG.standard_normal(10)
    check_gradients(
        lambda a, b: tfsignal.irfft(complex_math.complex(a, b)) * weights,
        [RNG.standard_normal(6), RNG.standard_normal(6)],
    )
    check_gradients(
        lambda a, b: tfsignal.irfft(complex_math.complex(a, b), fft_length=[7]) * weights[:7],
        [RNG.standard_normal(6), RNG.standard_normal(6)],
    )
    check_gradients(
        lambda a, b: tfsignal.irfft2d(complex_math.complex(a, b), fft_length=[2, 6]) * weights[:6],
        [RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))],
    )


def test_complex_fft_gradients():
    weights = RNG.standard_normal((2, 4))

    def power(transform):
        return lambda a, b: tf.abs(transform(complex_math.complex(a, b))) * weights

    inputs = [RNG.standard_normal((2, 4)), RNG.standard_normal((2, 4))]
    for transform in (tfsignal.fft, tfsignal.ifft, tfsignal.fft2d, tfsignal.ifft2d):
        check_gradients(power(transform), inputs)
    check_gradients(lambda a: complex_math.real(tfsignal.fft3d(a[None])) * weights, [inputs[0]])


def test_complex_part_gradients():
    inputs = [RNG.standard_normal(5), RNG.standard_normal(5)]
    check_gradients(lambda a, b: complex_math.angle(complex_math.complex(a, b)), inputs)
    check_gradients(lambda a, b: complex_math.imag(complex_math.conj(complex_math.complex(a, b))) * a, inputs)
    check_gradients(
        lambda a, b: complex_math.real(complex_math.complex(a, b)) * complex_math.imag(complex_math.complex(b, a)),
        inputs,
    )


def test_stft_and_inverse_stft_gradients():
    check_gradients(lambda x: tf.abs(tfsignal.stft(x, 8, 4, pad_end=True)), [RNG.standard_normal(20)], rtol=1e-4)
    check_gradients(
        lambda x: tfsignal.inverse_stft(tfsignal.stft(x, 8, 4), 8, 4) * np.arange(20.0), [RNG.standard_normal(20)]
    )


def test_dct_gradients():
    x = [RNG.standard_normal((2, 6))]
    for kind in (1, 2, 3, 4):
        check_gradients(lambda v, kind=kind: tfsignal.dct(v, type=kind) * np.arange(6.0), x)
    check_gradients(lambda v: tfsignal.idct(v, norm="ortho", n=4) * np.arange(4.0), x)
    check_gradients(lambda v: tfsignal.mfccs_from_log_mel_spectrograms(v) * np.arange(6.0), x)


def test_second_order_gradients_through_the_transforms():
    # The backward of each transform is its transpose, itself a primitive: gradients of gradients work.
    def first_gradient(transform):
        def gradient(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.reduce_sum(
                    tf.square(complex_math.real(transform(x))) + tf.square(complex_math.imag(transform(x)))
                )
            return tape.gradient(y, x)

        return gradient

    check_gradients(first_gradient(tfsignal.rfft), [RNG.standard_normal(6)])
    check_gradients(first_gradient(lambda x: tfsignal.irfft(tfsignal.rfft(x) * 2.0)), [RNG.standard_normal(6)])
    check_gradients(first_gradient(lambda x: tfsignal.fft(x * 1.0)), [RNG.standard_normal(6)])


def test_frame_second_order_gradient():
    def gradient(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(tfsignal.frame(x, 3, 2) ** 3)
        return tape.gradient(y, x)

    check_gradients(gradient, [RNG.standard_normal(7)])


# --- bad input -----------------------------------------------------------------------------------
def test_frame_longer_than_the_signal_is_refused_without_pad_end():
    x = np.arange(10, dtype="float32")
    with pytest.raises(tf.errors.InvalidArgumentError, match="frame: frame_length 20 is longer than the signal's 10"):
        tfsignal.frame(x, 20, 5)
    with pytest.raises(tf.errors.InvalidArgumentError, match="pad_end=True"):
        tfsignal.stft(x, 255, 128)
    assert tfsignal.frame(x, 20, 5, pad_end=True).shape == (2, 20)
    np.testing.assert_array_equal(x, np.arange(10, dtype="float32"))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: tfsignal.frame(np.float32(1.0), 1, 1), ValueError, "frame: signal must have rank >= 1"),
        (lambda: tfsignal.frame(np.zeros(5), 0, 1), ValueError, "frame_length must be an integer >= 1, got 0"),
        (lambda: tfsignal.frame(np.zeros(5), 2.5, 1), TypeError, "frame_length must be an integer"),
        (lambda: tfsignal.frame(np.zeros(5), 2, 1, axis=1), ValueError, "axis 1 is out of range"),
        (lambda: tfsignal.overlap_and_add(np.zeros(5), 1), ValueError, "overlap_and_add: signal must have rank >= 2"),
        (lambda: tfsignal.overlap_and_add(np.zeros((2, 3)), 4), ValueError, "frame_step \\(4\\) must be less"),
        (lambda: tfsignal.stft(np.zeros(300, "complex64"), 255, 128), TypeError, "stft: expected a real"),
        (lambda: tfsignal.rfft(np.zeros(8), fft_length=[0]), ValueError, "rfft: every FFT length must be >= 1"),
        (lambda: tfsignal.rfft(np.zeros(8), fft_length=[4, 4]), ValueError, "rfft: fft_length must be 1 integer"),
        (lambda: tfsignal.rfft2d(np.zeros(8)), ValueError, "rfft2d: input_tensor must have rank >= 2"),
        (lambda: tfsignal.fft(np.array(["a"])), TypeError, "fft: expected a complex"),
        (lambda: tfsignal.dct(np.zeros(4), type=5), ValueError, "dct: type must be 1, 2, 3 or 4"),
        (lambda: tfsignal.dct(np.zeros(4), type=1, norm="ortho"), ValueError, "not defined for the type 1"),
        (lambda: tfsignal.dct(np.zeros(4), norm="unit"), ValueError, 'norm must be None or "ortho"'),
        (lambda: tfsignal.dct(np.zeros((2, 4)), axis=0), NotImplementedError, "only axis=-1"),
        (lambda: tfsignal.hann_window(4, dtype="int32"), ValueError, "hann_window: dtype must be a floating"),
        (
            lambda: tfsignal.linear_to_mel_weight_matrix(upper_edge_hertz=5000.0),
            ValueError,
            "upper_edge_hertz 5000.0 must not be above the Nyquist",
        ),
        (
            lambda: tfsignal.linear_to_mel_weight_matrix(lower_edge_hertz=4000.0, upper_edge_hertz=100.0),
            ValueError,
            "must be smaller than upper_edge_hertz",
        ),
    ],
)
def test_bad_input_is_refused_clearly(call, error, message):
    with pytest.raises(error, match=message):
        call()
