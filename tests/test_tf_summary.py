"""tf.summary: what is written is read back with TensorBoard's own EventAccumulator."""

import io
import sys
import wave

import numpy as np
import pytest

import learnet as tf

pytest.importorskip("tensorboardX")
accumulator_module = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def _read(folder):
    keep_all = {"scalars": 0, "images": 0, "histograms": 0, "tensors": 0, "audio": 0}
    accumulator = accumulator_module.EventAccumulator(str(folder), size_guidance=keep_all)
    accumulator.Reload()
    return accumulator


def test_a_custom_loop_logs_scalars_histograms_text_and_images(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path / "train"))
    weights = np.random.default_rng(0).normal(size=200)
    with writer.as_default():
        for step in range(3):
            written = tf.summary.scalar("loss", tf.constant(1.0 / (step + 1)), step=step)
            assert written.dtype == tf.bool and bool(written)
        assert tf.summary.histogram("weights", tf.constant(weights), step=0, buckets=10)
        assert tf.summary.text("note", "learning rate 0.01", step=0)
        assert tf.summary.text("table", tf.constant([["a", "b"], ["c", "d"]]), step=1)
        assert tf.summary.image("digits", np.linspace(0, 1, 2 * 4 * 5).reshape(2, 4, 5, 1), step=0)
        assert tf.summary.image("photo", np.full((1, 3, 2, 3), 200, np.uint8), step=2)
        tf.summary.flush()
    events = _read(tmp_path / "train")
    assert [(e.step, round(e.value, 6)) for e in events.Scalars("loss")] == [(0, 1.0), (1, 0.5), (2, 0.333333)]
    histogram = events.Histograms("weights")[0].histogram_value
    assert histogram.num == 200 and histogram.min == pytest.approx(weights.min())
    assert histogram.max == pytest.approx(weights.max()) and histogram.sum == pytest.approx(weights.sum())
    note = events.Tensors("note")[0]
    assert note.tensor_proto.string_val == [b"learning rate 0.01"]
    assert events.SummaryMetadata("note").plugin_data.plugin_name == "text"
    table = events.Tensors("table")[0].tensor_proto
    assert table.string_val == [b"a", b"b", b"c", b"d"] and [d.size for d in table.tensor_shape.dim] == [2, 2]
    assert sorted(events.Tags()["images"]) == ["digits/image/0", "digits/image/1", "photo"]
    photo = events.Images("photo")[0]
    assert (photo.step, photo.width, photo.height) == (2, 2, 3) and photo.encoded_image_string[:4] == b"\x89PNG"


def test_audio_clips_are_written_as_wav_that_reads_back(tmp_path):
    # Hands-On's TensorBoard example: a sine tone shaped [1, frames, 1], and a stereo batch.
    sine = tf.math.sin(tf.range(12000) / 48000 * 2 * np.pi * 440)
    stereo = np.stack([np.linspace(-2, 2, 100), np.zeros(100)], axis=-1)[None].repeat(4, axis=0)
    with tf.summary.create_file_writer(str(tmp_path)).as_default():
        assert tf.summary.audio("tone", tf.reshape(tf.cast(sine, tf.float32), [1, -1, 1]), sample_rate=48000, step=5)
        assert tf.summary.audio("stereo", stereo, sample_rate=8000, step=1, max_outputs=2)
        tf.summary.flush()
    events = _read(tmp_path)
    assert sorted(events.Tags()["audio"]) == ["stereo/audio/0", "stereo/audio/1", "tone"]
    tone = events.Audio("tone")[0]
    assert (tone.step, tone.sample_rate, tone.length_frames, tone.content_type) == (5, 48000, 12000, "audio/wav")
    with wave.open(io.BytesIO(tone.encoded_audio_string)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 48000)
        samples = np.frombuffer(wav.readframes(12000), "<i2") / 32767
    np.testing.assert_allclose(samples, np.sin(np.arange(12000) / 48000 * 2 * np.pi * 440), atol=1e-4)
    with wave.open(io.BytesIO(events.Audio("stereo/audio/1")[0].encoded_audio_string)) as wav:
        pcm = np.frombuffer(wav.readframes(100), "<i2").reshape(100, 2)
    assert wav.getnchannels() == 2 and pcm[0, 0] == -32767 and pcm[-1, 0] == 32767  # clipped to [-1, 1]
    assert not pcm[:, 1].any()


def test_default_step_and_nested_writers(tmp_path):
    outer = tf.summary.create_file_writer(tmp_path / "outer")
    inner = tf.summary.create_file_writer(tmp_path / "inner")
    with outer.as_default(step=7):
        tf.summary.scalar("a", 1.0)
        with inner.as_default():
            tf.summary.scalar("b", 2, step=tf.constant(3, tf.int64))
        tf.summary.scalar("c", 3.0)
    tf.summary.experimental.set_step(11)
    try:
        assert tf.summary.experimental.get_step() == 11
        with inner.as_default():
            tf.summary.scalar("d", 4.0)
    finally:
        tf.summary.experimental.set_step(None)
    outer.close()
    inner.close()
    assert [(e.step, e.value) for e in _read(tmp_path / "outer").Scalars("c")] == [(7, 3.0)]
    assert _read(tmp_path / "outer").Tags()["scalars"] == ["a", "c"]
    assert [(e.step, e.value) for e in _read(tmp_path / "inner").Scalars("d")] == [(11, 4.0)]
    assert [e.step for e in _read(tmp_path / "inner").Scalars("b")] == [3]


def test_without_a_default_writer_nothing_is_written(tmp_path):
    # TensorFlow answers with a boolean tensor: False when nothing was written.
    unwritten = tf.summary.scalar("loss", 1.0, step=0)
    assert unwritten.dtype == tf.bool and unwritten.shape == () and not bool(unwritten)
    assert not bool(tf.summary.histogram("w", [1.0, 2.0], step=0))
    with tf.summary.create_noop_writer().as_default():
        assert not bool(tf.summary.text("t", "x", step=0))
    tf.summary.flush()


def test_bad_input_is_refused_and_writes_nothing(tmp_path):
    writer = tf.summary.create_file_writer(tmp_path)
    with writer.as_default():
        with pytest.raises(ValueError, match="no step set"):
            tf.summary.scalar("loss", 1.0)
        with pytest.raises(ValueError, match="one number"):
            tf.summary.scalar("loss", [1.0, 2.0], step=0)
        with pytest.raises(ValueError, match="step must be an integer"):
            tf.summary.scalar("loss", 1.0, step=0.5)
        with pytest.raises(ValueError, match=r"\(k, height, width, channels\)"):
            tf.summary.image("img", np.zeros((4, 5, 1)), step=0)
        with pytest.raises(ValueError, match=r"\(k, frames, channels\)"):
            tf.summary.audio("a", np.zeros(10), sample_rate=8000, step=0)
        with pytest.raises(ValueError, match=r"floats in \[-1, 1\]"):
            tf.summary.audio("a", np.zeros((1, 10, 1), np.int16), sample_rate=8000, step=0)
        with pytest.raises(ValueError, match="sample_rate must be a positive"):
            tf.summary.audio("a", np.zeros((1, 10, 1)), sample_rate=0, step=0)
        with pytest.raises(ValueError, match="only encoding"):
            tf.summary.audio("a", np.zeros((1, 10, 1)), sample_rate=8000, step=0, encoding="mp3")
        with pytest.raises(ValueError, match="must be strings"):
            tf.summary.text("t", 3.0, step=0)
        with pytest.raises(ValueError, match="must be numbers"):
            tf.summary.histogram("h", ["a"], step=0)
    writer.close()
    with pytest.raises(ValueError, match="closed"), writer.as_default():
        tf.summary.scalar("late", 1.0, step=0)
    assert _read(tmp_path).Tags()["scalars"] == [] and _read(tmp_path).Tags()["tensors"] == []
    assert _read(tmp_path).Tags()["audio"] == []


def test_without_tensorboardx_the_error_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r"learnet\[tensorboard\]"):
        tf.summary.create_file_writer(tmp_path)


def test_trace_export_writes_the_graph_tensorboard_draws(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path / "func"))

    @tf.function
    def dense(x, w):
        return tf.nn.relu(tf.matmul(x, w))

    tf.summary.trace_on(graph=True)
    dense(tf.ones([2, 3]), tf.ones([3, 4]))
    dense(tf.ones([2, 3]), tf.ones([3, 4]))  # one graph per function
    with writer.as_default():
        tf.summary.trace_export(name="dense_trace", step=0)
    graph = _read(tmp_path / "func").Graph()
    ops = [node.op for node in graph.node]
    assert ops.count("Placeholder") == 2 and "MatMul" in ops and "Relu" in ops
    matmul = next(node for node in graph.node if node.op == "MatMul")
    assert list(matmul.input) == ["x", "w"]
    # tracing stopped: a later call records nothing, and an export without a writer writes nothing
    dense(tf.ones([2, 3]), tf.ones([3, 4]))
    tf.summary.trace_export(name="nothing", step=1)
    tf.summary.trace_on(graph=True, profiler=True)  # the profiler runs too (tests/test_profiler.py)
    assert tf.profiler.is_running()
    tf.summary.trace_off()
    assert not tf.profiler.is_running()


def test_trace_export_draws_a_method_once_however_often_it_is_called(tmp_path):
    class Scale(tf.Module):
        def __init__(self):
            super().__init__()
            self.factor = tf.Variable(2.0)

        @tf.function
        def __call__(self, x):
            return x * self.factor

    module = Scale()
    writer = tf.summary.create_file_writer(str(tmp_path / "method"))
    tf.summary.trace_on(graph=True)
    module(tf.constant(1.0))
    module(tf.constant(2.0))  # the same method, reached through a new bound object
    with writer.as_default():
        tf.summary.trace_export(name="scale", step=0)
    ops = [node.op for node in _read(tmp_path / "method").Graph().node]
    assert ops.count("Placeholder") == 1 and ops.count("Mul") == 1
