"""``tf.summary``: scalars, histograms, text, images and audio in TensorBoard's event files.

TensorFlow's guides log a custom training loop like this::

    writer = tf.summary.create_file_writer("logs/train")
    with writer.as_default():
        for step in range(100):
            ...
            tf.summary.scalar("loss", loss, step=step)

learnet writes the same event files with tensorboardX (the ``tensorboard`` extra), so
``tensorboard --logdir logs`` shows them. A summary call outside any writer writes nothing
and returns a ``False`` boolean tensor, as in TensorFlow.

Images are written one picture per tag (``name`` for a single image, ``name/image/0``,
``name/image/1``, ... for several), the way TensorBoard's images dashboard lists them;
audio clips likewise (``name/audio/0``, ...), as 16-bit WAV.
"""

import contextlib
import inspect
import io
import os
import time
import types
import wave

import numpy

from learnet.tensor import Tensor

__all__ = [
    "SummaryWriter",
    "create_file_writer",
    "create_noop_writer",
    "scalar",
    "histogram",
    "text",
    "image",
    "audio",
    "flush",
    "experimental",
    "trace_on",
    "trace_off",
    "trace_export",
]

_default_writers = []  # the writers made default by as_default/set_as_default, innermost last
_default_step = [None]  # tf.summary.experimental.set_step


def _tensorboardx():
    try:
        import tensorboardX
    except ImportError:
        raise ImportError(
            "tf.summary writes its event files with tensorboardX; install it with "
            "pip install 'learnet[tensorboard]' (or pip install tensorboardX)"
        ) from None
    return tensorboardX


def _written(flag):
    # TensorFlow answers with a boolean tensor: whether the summary was written.
    return Tensor._wrap(numpy.asarray(flag))


def _numpy(value):
    return value.numpy() if isinstance(value, Tensor) else numpy.asarray(value)


class SummaryWriter:
    """Writes summaries to the event files of one folder (``tf.summary.create_file_writer``).

    Make it the default with ``with writer.as_default():`` (or ``writer.set_as_default()``);
    the summary functions then write through it.
    """

    def __init__(self, logdir, max_queue=None, flush_millis=None, filename_suffix=None):
        # tensorboardX's synchronous events writer: after flush() every summary is in the file
        # (its SummaryWriter writes from a background thread, whose flush does not wait for it).
        # max_queue and flush_millis are accepted for compatibility.
        tensorboardx = _tensorboardx()
        from tensorboardX.event_file_writer import EventsWriter

        self.logdir = os.fspath(logdir)
        os.makedirs(self.logdir, exist_ok=True)
        self._summaries = tensorboardx.summary
        self._events = EventsWriter(os.path.join(self.logdir, "events"), filename_suffix or ".v2")
        self._closed = False

    @contextlib.contextmanager
    def as_default(self, step=None):
        """Make this the default writer inside a ``with`` block (and ``step`` the default step)."""
        _default_writers.append(self)
        previous_step = _default_step[0]
        if step is not None:
            _default_step[0] = step
        try:
            yield self
        finally:
            _default_writers.remove(self)
            _default_step[0] = previous_step
            self.flush()

    def set_as_default(self, step=None):
        """Make this the default writer from now on."""
        _default_writers.append(self)
        if step is not None:
            _default_step[0] = step

    def init(self):
        """Accepted for compatibility: the file is opened when the writer is made."""

    def flush(self):
        """Write everything buffered to disk."""
        if not self._closed:
            self._events.flush()

    def close(self):
        """Flush and close the event file; the writer writes nothing afterwards."""
        if not self._closed:
            self._events.close()
            self._closed = True

    def _write(self, summary, step):
        if self._closed:
            raise ValueError(f"tf.summary: the writer for {self.logdir!r} is closed")
        from tensorboardX.proto.event_pb2 import Event

        self._events.write_event(Event(wall_time=time.time(), step=step, summary=summary))


class _NoopWriter:
    """A writer that writes nothing (``tf.summary.create_noop_writer``)."""

    @contextlib.contextmanager
    def as_default(self, step=None):
        _default_writers.append(self)
        try:
            yield self
        finally:
            _default_writers.remove(self)

    def set_as_default(self, step=None):
        _default_writers.append(self)

    def init(self):
        pass

    def flush(self):
        pass

    def close(self):
        pass


def create_file_writer(logdir, max_queue=None, flush_millis=None, filename_suffix=None, name=None):
    """A ``SummaryWriter`` that writes event files into the folder ``logdir``.

    Examples
    --------
    >>> import learnet as tf, tempfile
    >>> writer = tf.summary.create_file_writer(tempfile.mkdtemp())
    >>> with writer.as_default():
    ...     bool(tf.summary.scalar("loss", 0.25, step=1))
    True
    """
    if logdir is None or not str(logdir):
        raise ValueError("create_file_writer: logdir must name a folder")
    return SummaryWriter(logdir, max_queue=max_queue, flush_millis=flush_millis, filename_suffix=filename_suffix)


def create_noop_writer():
    """A writer that writes nothing: summaries under it return ``False``."""
    return _NoopWriter()


def _writer_and_step(function, step):
    """The default writer (or None: nothing is written) and the step as an int."""
    writer = _default_writers[-1] if _default_writers else None
    if not isinstance(writer, SummaryWriter):
        return None, None
    if step is None:
        step = _default_step[0]
    if step is None:
        raise ValueError(
            f"tf.summary.{function}: no step set; pass step=, or set one with "
            "tf.summary.experimental.set_step() or writer.as_default(step=)"
        )
    step = _numpy(step)
    if step.ndim or step.dtype.kind not in "iu":
        raise ValueError(f"tf.summary.{function}: step must be an integer, got {step!r}")
    return writer, int(step)


def scalar(name, data, step=None, description=None):
    """Write one number under ``name``; a boolean tensor: ``True`` when written, ``False`` without a
    default writer."""
    value = _numpy(data)
    if value.size != 1 or value.dtype.kind not in "biuf":
        raise ValueError(f"tf.summary.scalar {name!r}: data must be one number, got shape {value.shape}")
    writer, step = _writer_and_step("scalar", step)
    if writer is None:
        return _written(False)
    writer._write(writer._summaries.scalar(name, float(value.reshape(()))), step)
    return _written(True)


def histogram(name, data, step=None, buckets=None, description=None):
    """Write the distribution of the values of ``data`` (``buckets`` bins, 30 by default, as TensorFlow)."""
    values = _numpy(data)
    if values.dtype.kind not in "biuf":
        raise ValueError(f"tf.summary.histogram {name!r}: data must be numbers, got {values.dtype}")
    bins = 30 if buckets is None else int(buckets)
    if bins < 1:
        raise ValueError(f"tf.summary.histogram {name!r}: buckets must be at least 1, got {buckets}")
    writer, step = _writer_and_step("histogram", step)
    if writer is None:
        return _written(False)
    values = values.astype(numpy.float64).reshape(-1)
    if values.size:
        writer._write(writer._summaries.histogram(name, values, bins), step)
    return _written(True)


def text(name, data, step=None, description=None):
    """Write a string (or a tensor of strings, shown as a table) under ``name``."""
    values = _numpy(data)
    if values.dtype.kind not in "OSU" or not all(isinstance(v, (str, bytes)) for v in values.reshape(-1).tolist()):
        raise ValueError(f"tf.summary.text {name!r}: data must be strings, got {values.dtype}")
    writer, step = _writer_and_step("text", step)
    if writer is None:
        return _written(False)
    encoded = [v if isinstance(v, bytes) else v.encode("utf-8") for v in values.reshape(-1).tolist()]
    summary = _tensorboardx().summary.text(name, "")
    entry = summary.value[0]
    entry.tag = name  # TensorFlow's tag is the name itself (tensorboardX adds "/text_summary")
    del entry.tensor.string_val[:]
    entry.tensor.string_val.extend(encoded)
    del entry.tensor.tensor_shape.dim[:]
    for size in values.shape:
        entry.tensor.tensor_shape.dim.add(size=size)
    writer._write(summary, step)
    return _written(True)


def image(name, data, step=None, max_outputs=3, description=None):
    """Write up to ``max_outputs`` images from a batch ``(k, height, width, channels)``.

    ``channels`` is 1 (grey), 3 (RGB) or 4 (RGBA); floats are read in ``[0, 1]``, ``uint8``
    as they are.
    """
    images = _numpy(data)
    if images.ndim != 4 or images.shape[-1] not in (1, 3, 4):
        raise ValueError(
            f"tf.summary.image {name!r}: data must have shape (k, height, width, channels) with 1, 3 or 4 "
            f"channels, got {images.shape}"
        )
    if images.dtype.kind not in "buf":
        raise ValueError(f"tf.summary.image {name!r}: data must be floats in [0, 1] or uint8, got {images.dtype}")
    if images.dtype.kind != "u":
        images = numpy.clip(images.astype(numpy.float32), 0.0, 1.0)
    elif images.dtype != numpy.uint8:
        raise ValueError(f"tf.summary.image {name!r}: integer images must be uint8, got {images.dtype}")
    writer, step = _writer_and_step("image", step)
    if writer is None:
        return _written(False)
    chosen = images[: max(int(max_outputs), 0)]
    for index, picture in enumerate(chosen):
        tag = name if len(chosen) == 1 else f"{name}/image/{index}"
        writer._write(writer._summaries.image(tag, picture, dataformats="HWC"), step)
    return _written(True)


def audio(name, data, sample_rate, step=None, max_outputs=3, encoding=None, description=None):
    """Write up to ``max_outputs`` sound clips from a batch ``(k, frames, channels)`` as WAV.

    Samples are floats in ``[-1, 1]`` (clipped, as TensorFlow does), stored as 16-bit PCM
    at ``sample_rate`` frames per second.

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as tf
    >>> tone = np.sin(np.arange(4800) / 48000 * 2 * np.pi * 440).reshape(1, -1, 1)
    >>> bool(tf.summary.audio("tone", tone, sample_rate=48000, step=0))  # no default writer
    False
    """
    clips = _numpy(data)
    if clips.ndim != 3:
        raise ValueError(f"tf.summary.audio {name!r}: data must have shape (k, frames, channels), got {clips.shape}")
    if clips.dtype.kind != "f":
        raise ValueError(f"tf.summary.audio {name!r}: data must be floats in [-1, 1], got {clips.dtype}")
    rate = _numpy(sample_rate)
    if rate.size != 1 or rate.dtype.kind not in "iuf" or float(rate) <= 0 or float(rate) != int(rate):
        raise ValueError(f"tf.summary.audio {name!r}: sample_rate must be a positive whole number, got {sample_rate!r}")
    if encoding not in (None, "wav"):
        raise ValueError(f"tf.summary.audio {name!r}: the only encoding is 'wav', got {encoding!r}")
    writer, step = _writer_and_step("audio", step)
    if writer is None:
        return _written(False)
    rate = int(rate)
    _tensorboardx()
    from tensorboardX.proto import summary_pb2

    chosen = clips[: max(int(max_outputs), 0)]
    for index, clip in enumerate(chosen):
        frames, channels = clip.shape
        pcm = numpy.round(numpy.clip(clip.astype(numpy.float64), -1.0, 1.0) * 32767).astype("<i2")
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as wav:
            wav.setnchannels(channels)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            wav.writeframes(pcm.tobytes())
        sound = summary_pb2.Summary.Audio(
            sample_rate=rate,
            num_channels=channels,
            length_frames=frames,
            encoded_audio_string=buffer.getvalue(),
            content_type="audio/wav",
        )
        tag = name if len(chosen) == 1 else f"{name}/audio/{index}"
        writer._write(summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, audio=sound)]), step)
    return _written(True)


def flush(writer=None, name=None):
    """Flush ``writer`` (the default writer when ``None``)."""
    if writer is None:
        writer = _default_writers[-1] if _default_writers else None
    if writer is not None:
        writer.flush()


def _set_step(step):
    _default_step[0] = step


def _get_step():
    return _default_step[0]


experimental = types.SimpleNamespace(set_step=_set_step, get_step=_get_step)


# --- graphs of tf.functions for TensorBoard's Graphs tab ------------------------------------------
_traced = []  # (function, input specs) of the tf.functions called since trace_on


def _remember_call(function, args, kwargs):
    from learnet.control import TensorSpec

    def identity(python):  # a method is a new bound object at each access: its function and object
        return (getattr(python, "__func__", python), id(getattr(python, "__self__", None)))

    specs = [TensorSpec.from_tensor(a) if isinstance(a, (Tensor, numpy.ndarray)) else a for a in args]
    key = identity(function.python_function)
    if not kwargs and all(identity(entry[0].python_function) != key for entry in _traced):
        _traced.append((function, specs))


def trace_on(graph=True, profiler=False, profiler_outdir=None):
    """Record the graph of every ``tf.function`` called from now on (``tf.summary.trace_on``),
    until ``trace_export`` writes them to the default writer.

    The graph is the one ``ConcreteFunction.graph`` shows (:mod:`learnet.func_graph`): the
    learnet ops the function runs, named as TensorFlow names them. ``profiler=True`` starts
    the profiler (:mod:`learnet.profiler`) too; ``trace_export`` stops it and writes its trace
    to ``profiler_outdir`` (given here or there).

    Examples
    --------
    >>> import learnet as tf, tempfile
    >>> writer = tf.summary.create_file_writer(tempfile.mkdtemp())
    >>> @tf.function
    ... def double(x):
    ...     return 2.0 * x
    >>> tf.summary.trace_on(graph=True)
    >>> _ = double(tf.constant([1.0]))
    >>> with writer.as_default():
    ...     tf.summary.trace_export("double", step=0)
    """
    from learnet import control

    trace_off()
    if graph:
        control.trace_listeners.append(_remember_call)
    if profiler:
        from learnet import profiler as _profiler

        _profiler.start(profiler_outdir)
        _profiling[0] = True


_profiling = [False]  # whether trace_on started the profiler


def trace_off():
    """Stop recording and forget what was recorded (``tf.summary.trace_off``); a profiler
    that ``trace_on`` started stops without writing."""
    from learnet import control

    while _remember_call in control.trace_listeners:
        control.trace_listeners.remove(_remember_call)
    _traced.clear()
    if _profiling[0]:
        from learnet import profiler

        _profiling[0] = False
        if profiler.is_running():
            profiler.stop(save=False)


def trace_export(name, step=None, profiler_outdir=None):
    """Write the graphs recorded since ``trace_on`` to the default writer, then stop recording.

    Each function becomes one ``GraphDef`` in the event file, which TensorBoard's Graphs tab
    draws; several functions share one graph, each under its own name scope. Without a
    default writer nothing is written. A profiler started by ``trace_on(profiler=True)``
    writes its trace to ``profiler_outdir`` (or the one ``trace_on`` was given).
    """
    from learnet import func_graph

    writer, step = _writer_and_step("trace_export", step)
    traced = list(_traced)
    if _profiling[0]:
        from learnet import profiler

        _profiling[0] = False
        if profiler.is_running():
            profiler.export(profiler_outdir)
    trace_off()
    if writer is None or not traced:
        return
    from tensorboardX.proto import event_pb2, graph_pb2, node_def_pb2

    graph_def = graph_pb2.GraphDef()
    for function, specs in traced:
        python = function.python_function
        try:
            names = [p for p in inspect.signature(python).parameters][: len(specs)]
        except (TypeError, ValueError):
            names = []
        names = (names + [f"args_{i}" for i in range(len(specs))])[: len(specs)]
        graph = func_graph.trace(python, names, specs, function.__name__)
        scope = function.__name__ if len(traced) > 1 else ""
        for operation in graph.get_operations():
            node = operation.node_def
            graph_def.node.append(
                node_def_pb2.NodeDef(
                    name=f"{scope}/{node.name}" if scope else node.name,
                    op=node.op,
                    input=[f"{scope}/{i}" if scope else i for i in node.input],
                )
            )
    writer._events.write_event(
        event_pb2.Event(wall_time=time.time(), step=step, graph_def=graph_def.SerializeToString())
    )
    writer.flush()
