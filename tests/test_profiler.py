"""tf.profiler.experimental: a trace of the ops, layers, functions and steps that ran.

The trace is the Chrome trace-event format (what Perfetto, chrome://tracing and TensorBoard's
trace viewer open), written where TensorBoard's profile plugin looks for runs:
``logdir/plugins/profile/<run>/<host>.trace.json.gz``.
"""

import glob
import gzip
import json
import threading

import numpy as np
import pytest

import learnet as tf
from learnet import profiler

experimental = tf.profiler.experimental


@pytest.fixture(autouse=True)
def no_profiler_left_running():
    yield
    if profiler.is_running():
        profiler.stop(save=False)


def _events(logdir):
    [path] = glob.glob(f"{logdir}/plugins/profile/*/*.trace.json.gz")
    with gzip.open(path, "rt") as handle:
        trace = json.load(handle)
    return [event for event in trace["traceEvents"] if event["ph"] == "X"]


def _inside(inner, outer):
    return outer["ts"] <= inner["ts"] and inner["ts"] + inner["dur"] <= outer["ts"] + outer["dur"] + 1e-3


def _model():
    model = tf.keras.Sequential(
        [tf.keras.Input((4,)), tf.keras.layers.Dense(3, activation="relu", name="hidden"), tf.keras.layers.Dense(1)]
    )
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_a_training_step_is_recorded_nested_as_it_ran(tmp_path):
    model = _model()
    x, y = np.ones((8, 4), np.float32), np.zeros((8, 1), np.float32)
    experimental.start(str(tmp_path))
    for step in range(2):
        with experimental.Trace("train", step_num=step, _r=1):
            model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    path = experimental.stop()
    assert path.startswith(str(tmp_path / "plugins" / "profile")) and path.endswith(".trace.json.gz")
    events = _events(tmp_path)
    steps = [e for e in events if e["cat"] == "step" and e["name"] == "train"]
    assert [s["args"] for s in steps] == [{"step_num": 0, "_r": 1}, {"step_num": 1, "_r": 1}]
    train_steps = [e for e in events if e["name"] == "train_step"]
    assert len(train_steps) == 2 and all(any(_inside(t, s) for s in steps) for t in train_steps)
    hidden = [e for e in events if e["cat"] == "layer" and e["name"] == "hidden"]
    assert all(any(_inside(h, t) for h in hidden) for t in train_steps)  # (the first fit builds it outside too)
    ops = [e for e in events if e["cat"] == "op"]
    assert any(_inside(op, hidden[0]) for op in ops)  # the layer's own op, inside its call
    assert {"gradient", "apply_gradients"} <= {e["name"] for e in events}
    assert all(e["dur"] >= 0 for e in events)


def test_level_one_records_functions_and_trace_blocks_only(tmp_path):
    @tf.function
    def double(x):
        return x * 2.0

    with experimental.Profile(str(tmp_path), experimental.ProfilerOptions(host_tracer_level=1)):
        with experimental.Trace("block"):
            double(tf.constant(1.0))
    events = _events(tmp_path)
    assert sorted((e["name"], e["cat"]) for e in events) == [("block", "trace"), ("double", "tf.function")]


def test_one_profiler_at_a_time_and_stop_needs_one(tmp_path):
    with pytest.raises(tf.errors.UnavailableError, match="No profiler is running"):
        experimental.stop()
    experimental.start(str(tmp_path))
    with pytest.raises(tf.errors.AlreadyExistsError, match="Another profiler is running"):
        experimental.start(str(tmp_path / "other"))
    tf.nn.relu(tf.constant([1.0]))
    experimental.stop()
    assert {e["name"] for e in _events(tmp_path)} == {"relu"}
    assert not (tmp_path / "other").exists()


@pytest.mark.parametrize(
    "options, error",
    [("fast", TypeError), (profiler.ProfilerOptions(host_tracer_level=7), ValueError)],
)
def test_bad_options_are_refused_and_nothing_starts(tmp_path, options, error):
    with pytest.raises(error):
        experimental.start(str(tmp_path), options)
    assert not profiler.is_running()


def test_stop_without_saving_writes_nothing(tmp_path):
    experimental.start(str(tmp_path))
    tf.nn.relu(tf.constant([1.0]))
    assert experimental.stop(save=False) is None
    assert not (tmp_path / "plugins").exists()


def test_a_trace_block_without_a_profiler_does_nothing():
    with experimental.Trace("train", step_num=3, _r=1) as block:
        tf.nn.relu(tf.constant([1.0]))
    assert block.name == "train" and not profiler.is_running()


def test_an_error_inside_the_profiled_code_leaves_the_trace_whole(tmp_path):
    experimental.start(str(tmp_path))
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.gather(tf.constant([1.0]), [4])
    tf.nn.relu(tf.constant([1.0]))
    experimental.stop()
    assert {"gather", "relu"} <= {e["name"] for e in _events(tmp_path)}


def test_ops_of_other_threads_are_recorded_on_their_own_thread(tmp_path):
    experimental.start(str(tmp_path))
    worker = threading.Thread(target=lambda: tf.nn.relu(tf.constant([1.0])))
    worker.start()
    worker.join()
    tf.math.square(tf.constant([2.0]))
    experimental.stop()
    threads = {e["name"]: e["tid"] for e in _events(tmp_path)}
    assert threads["relu"] != threads["square"]


def test_delay_ms_leaves_out_the_start(tmp_path):
    experimental.start(str(tmp_path), experimental.ProfilerOptions(delay_ms=60_000))
    tf.nn.relu(tf.constant([1.0]))
    experimental.stop()
    assert _events(tmp_path) == []


def test_summary_trace_on_with_the_profiler_writes_graph_and_trace(tmp_path):
    @tf.function
    def double(x):
        return x * 2.0

    writer = tf.summary.create_file_writer(str(tmp_path / "graph"))
    tf.summary.trace_on(graph=True, profiler=True, profiler_outdir=str(tmp_path / "profile"))
    double(tf.constant(1.0))
    with writer.as_default():
        tf.summary.trace_export("double", step=0)
    assert not profiler.is_running()
    assert "double" in {e["name"] for e in _events(tmp_path / "profile")}
    assert glob.glob(str(tmp_path / "graph" / "events.out.tfevents.*"))
    tf.summary.trace_on(graph=True, profiler=True, profiler_outdir=str(tmp_path / "off"))
    tf.summary.trace_off()
    assert not profiler.is_running() and not (tmp_path / "off").exists()


def test_a_profiler_server_is_not_offered():
    with pytest.raises(tf.errors.UnimplementedError, match="profiles its own process"):
        experimental.server.start(6009)
