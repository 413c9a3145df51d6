"""``tf.audio`` and ``audio_dataset_from_directory``: WAV bytes against real TensorFlow 2.21 (fixtures/make_tf_signal_fixture.py)."""

import importlib.util
import io
import struct
import wave
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet import audio as tfaudio
from learnet import signal as tfsignal
from learnet.audio_dataset import audio_dataset_from_directory

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = np.load(FIXTURES / "tf_signal_reference.npz")


def _fixture_module():
    spec = importlib.util.spec_from_file_location("make_tf_signal_fixture", FIXTURES / "make_tf_signal_fixture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURE = _fixture_module()
CASES = FIXTURE.cases(tf, tfsignal, tfaudio)
WAV_CASES = sorted(name for name in CASES if "wav" in name)


@pytest.mark.parametrize("name", WAV_CASES)
def test_matches_tensorflow_byte_for_byte(name):
    got = FIXTURE.as_array(CASES[name]().numpy())
    expected = REFERENCE[name]
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def _wav_bytes(samples, rate=16000, width=2, channels=1):
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(samples)
    return buffer.getvalue()


def test_decode_reads_what_the_wave_module_writes_and_a_string_tensor():
    pcm = np.array([0, 1000, -32768, 32767], dtype="<i2")
    data = tf.constant(np.array(_wav_bytes(pcm.tobytes(), rate=8000), dtype=object))
    waveform, sample_rate = tfaudio.decode_wav(data)
    assert waveform.dtype == np.float32 and waveform.shape == (4, 1)
    np.testing.assert_array_equal(waveform.numpy()[:, 0], pcm / 32768.0)
    assert sample_rate.dtype == np.int32 and int(sample_rate) == 8000
    decoded = tfaudio.decode_wav(data, desired_channels=1, desired_samples=2)
    assert decoded.audio.shape == (2, 1) and int(decoded.sample_rate) == 8000


def test_decode_skips_chunks_it_does_not_need():
    data = _wav_bytes(np.array([5, -5], dtype="<i2").tobytes())
    listed = data[:36] + b"LIST" + struct.pack("<I", 3) + b"abc\x00" + data[36:]
    listed = listed[:4] + struct.pack("<I", len(listed) - 8) + listed[8:]
    np.testing.assert_array_equal(tfaudio.decode_wav(listed)[0].numpy()[:, 0], [5 / 32768, -5 / 32768])


def test_encode_then_decode_round_trips_within_one_step():
    audio = np.random.default_rng(0).uniform(-1, 1, (500, 2)).astype("float32")
    back, rate = tfaudio.decode_wav(tfaudio.encode_wav(audio, tf.constant(44100)))
    assert int(rate) == 44100
    assert np.abs(back.numpy() - audio).max() <= 1 / 32768


def test_encoded_file_is_read_by_the_wave_module():
    data = tfaudio.encode_wav(np.array([[0.5, -0.5]] * 3, "float32"), 22050).numpy()
    with wave.open(io.BytesIO(data)) as reader:
        assert (reader.getnchannels(), reader.getsampwidth(), reader.getframerate(), reader.getnframes()) == (
            2,
            2,
            22050,
            3,
        )


GOOD = _wav_bytes(np.array([1, 2, 3], dtype="<i2").tobytes())


@pytest.mark.parametrize(
    "contents, message",
    [
        (b"hello", "too short for a WAV file"),
        (b"RIFX" + GOOD[4:], "not a WAV file: expected the header 'RIFF....WAVE'"),
        (GOOD[:-2], "the b'data' chunk says it holds 6 bytes, but only 4 follow"),
        (GOOD[:36], "no data chunk"),
        (_wav_bytes(bytes(4), width=1), "can only read 16-bit WAV files, got 8-bit samples"),
        (_wav_bytes(bytes(6), width=3), "got 24-bit samples"),
        (GOOD[:20] + struct.pack("<H", 3) + GOOD[22:], "can only read PCM WAV files \\(format 1\\), got format 0x3"),
        (GOOD[:12] + b"data" + GOOD[16:], "data chunk comes before the 'fmt ' chunk"),
        (12345, "contents must be the bytes of a WAV file"),
    ],
)
def test_decode_refuses_malformed_bytes(contents, message):
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        tfaudio.decode_wav(contents)


def test_decode_refuses_bad_sizes():
    with pytest.raises(tf.errors.InvalidArgumentError, match="desired_channels must be positive"):
        tfaudio.decode_wav(GOOD, desired_channels=0)
    with pytest.raises(TypeError, match="desired_samples must be an integer"):
        tfaudio.decode_wav(GOOD, desired_samples=1.5)


@pytest.mark.parametrize(
    "audio, rate, message",
    [
        (
            np.zeros(3, "float32"),
            16000,
            "audio must be 2-dimensional \\[samples, channels\\], got shape \\(3,\\); add a channel",
        ),
        (np.zeros((3, 1), "int16"), 16000, "audio must hold floats"),
        (np.zeros((3, 1), "float32"), 0, "sample_rate must be a positive int32, got 0"),
        (np.zeros((3, 1), "float32"), 1.5, "sample_rate must be an integer scalar"),
        (np.zeros((3, 0), "float32"), 8000, "at least one channel"),
    ],
)
def test_encode_refuses_bad_input_and_leaves_it_unchanged(audio, rate, message):
    before = audio.copy()
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        tfaudio.encode_wav(audio, rate)
    np.testing.assert_array_equal(audio, before)


# --- audio_dataset_from_directory ------------------------------------------------------------------
def _make_folder(root, lengths=None):
    rng = np.random.default_rng(0)
    for label, frequency in (("high", 2000.0), ("low", 300.0), ("noise", None)):
        (root / label).mkdir()
        for index in range(5):
            length = (lengths or {}).get((label, index), 800)
            t = np.arange(length) / 8000.0
            tone = 0.5 * np.sin(2 * np.pi * frequency * t) if frequency else rng.uniform(-0.5, 0.5, length)
            data = tfaudio.encode_wav(tone.astype("float32")[:, None], 8000).numpy()
            (root / label / f"{index}.wav").write_bytes(data)
    (root / "README.md").write_text("not a class")
    return root


def test_audio_dataset_from_directory_with_a_validation_split(tmp_path, capsys):
    root = _make_folder(tmp_path)
    train, validation = audio_dataset_from_directory(
        root, batch_size=4, validation_split=0.2, seed=0, output_sequence_length=1000, subset="both"
    )
    assert "Found 15 files belonging to 3 classes." in capsys.readouterr().out
    assert train.class_names == ["high", "low", "noise"] and validation.class_names == train.class_names
    assert len(train.file_paths) == 12 and len(validation.file_paths) == 3
    assert not set(train.file_paths) & set(validation.file_paths)
    audio, labels = next(iter(train))
    assert audio.shape == (4, 1000, 1) and audio.dtype == np.float32
    assert labels.dtype == np.int32 and labels.shape == (4,)
    np.testing.assert_array_equal(audio.numpy()[:, 800:], 0.0)  # padded to output_sequence_length
    batches = list(validation)
    assert [tuple(a.shape) for a, _ in batches] == [(3, 1000, 1)]
    squeezed = train.map(lambda a, label: (tf.squeeze(a, axis=-1), label), tf.data.AUTOTUNE)
    spectrograms = squeezed.map(lambda a, label: (tf.abs(tfsignal.stft(a, 255, 128)), label))
    assert next(iter(spectrograms))[0].shape == (4, 6, 129)


def test_audio_dataset_pads_each_batch_to_its_longest_file(tmp_path):
    root = _make_folder(tmp_path, lengths={("high", 0): 900, ("low", 1): 700})
    dataset = audio_dataset_from_directory(
        root, batch_size=None, shuffle=False, verbose=False, label_mode="categorical"
    )
    first_audio, first_label = next(iter(dataset))
    assert first_audio.shape == (900, 1) and first_label.numpy().tolist() == [1.0, 0.0, 0.0]
    whole = audio_dataset_from_directory(root, batch_size=15, shuffle=False, verbose=False)
    audio, labels = next(iter(whole))
    assert audio.shape == (15, 900, 1) and labels.numpy().tolist() == [0] * 5 + [1] * 5 + [2] * 5


def test_audio_dataset_refuses_bad_arguments(tmp_path):
    root = _make_folder(tmp_path)
    with pytest.raises(ValueError, match="ragged and output_sequence_length"):
        audio_dataset_from_directory(root, ragged=True, output_sequence_length=10)
    with pytest.raises(ValueError, match="sampling_rate must be a positive integer"):
        audio_dataset_from_directory(root, sampling_rate=-1)
    with pytest.raises(ValueError, match="give a seed"):
        audio_dataset_from_directory(root, validation_split=0.2, subset="training")
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        audio_dataset_from_directory(tmp_path / "missing")
    dataset = audio_dataset_from_directory(root, sampling_rate=16000, verbose=False)
    with pytest.raises(ValueError, match="sample rate 8000 .* sampling_rate=16000"):
        next(iter(dataset))
