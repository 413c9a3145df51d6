"""``tf.profiler``: where the time of a training step goes, as a trace a viewer draws.

``tf.profiler.experimental.start(logdir)`` ... ``stop()`` (or ``with Profile(logdir):``)
watches every learnet op, layer call, ``tf.function`` call, gradient and optimizer step the
Python thread runs (through :func:`sys.setprofile`, so nothing costs anything while no
profiler runs) and writes them, nested as they ran, to
``logdir/plugins/profile/<run>/<host>.trace.json.gz``: the Chrome trace-event format that
Perfetto (ui.perfetto.dev), ``chrome://tracing`` and TensorBoard's trace viewer open, the
format PyTorch's profiler exports too. ``Trace("train", step_num=step, _r=1)`` marks a step.

Watching every Python call slows the profiled code down (about 2-4x for small ops): the
durations are right relative to each other, and the trace shows the order of what ran.

Examples
--------
>>> import learnet as tf, tempfile
>>> logdir = tempfile.mkdtemp()
>>> tf.profiler.experimental.start(logdir)
>>> with tf.profiler.experimental.Trace("train", step_num=1, _r=1):
...     y = tf.nn.relu(tf.constant([-1.0, 2.0]))
>>> path = tf.profiler.experimental.stop()  # logdir/plugins/profile/<run>/<host>.trace.json.gz
>>> import gzip, json
>>> events = json.load(gzip.open(path))["traceEvents"]
>>> sorted({e["name"] for e in events if e.get("ph") == "X"})
['relu', 'train']
"""

import collections
import gzip
import json
import os
import socket
import sys
import threading
import time
import types

from learnet import errors, registry

__all__ = ["ProfilerOptions", "Profile", "Trace", "start", "stop", "experimental"]


ProfilerOptions = collections.namedtuple(
    "ProfilerOptions", ["host_tracer_level", "python_tracer_level", "device_tracer_level", "delay_ms"]
)
ProfilerOptions.__new__.__defaults__ = (2, 0, 1, None)
ProfilerOptions.__doc__ = """The options ``start`` takes (``tf.profiler.experimental.ProfilerOptions``).

``host_tracer_level``: 1 records only ``Trace`` blocks and ``tf.function`` calls; 2 (the
default) and 3 add every op, layer call, gradient, optimizer step and Keras step.
``python_tracer_level`` and ``device_tracer_level`` are accepted; learnet has one device and
watches Python anyway. ``delay_ms`` waits that long before recording starts.
"""


class _Session:
    """One profiling run: where it is written, what was recorded, since when."""

    def __init__(self, logdir, options):
        self.logdir = logdir
        self.options = options
        self.level = int(options.host_tracer_level)
        self.events = []
        self.origin = time.perf_counter_ns()
        self.begins = self.origin + int((options.delay_ms or 0) * 1_000_000)
        self.local = threading.local()  # each thread's stack of calls under way
        self.lock = threading.Lock()

    def stack(self):
        stack = getattr(self.local, "stack", None)
        if stack is None:
            stack = self.local.stack = []
        return stack

    def record(self, name, category, start_ns, end_ns, args=None):
        if start_ns < self.begins:
            return
        event = {
            "name": name,
            "cat": category,
            "ph": "X",
            "ts": (start_ns - self.origin) / 1000.0,
            "dur": (end_ns - start_ns) / 1000.0,
            "pid": os.getpid(),
            "tid": threading.get_ident(),
        }
        if args:
            event["args"] = args
        with self.lock:
            self.events.append(event)


_session: _Session | None = None


def _op_name(frame):
    name = frame.f_locals.get("name", "op")
    return str(name).lstrip("_") or "op"


def _self_name(attribute):
    def name(frame):
        owner = frame.f_locals.get("self")
        return str(getattr(owner, attribute, type(owner).__name__))

    return name


def _fixed(text):
    return lambda frame: text


def _watched(level):
    """``{code object: (name of the call from its frame, category)}`` of what is recorded at ``level``."""
    from learnet import control, tape

    watched = {control.Function.__call__.__code__: (_self_name("__name__"), "tf.function")}
    if level >= 2:
        from learnet.layers.base import Layer
        from learnet.optimizers import Optimizer

        watched[Layer.__call__.__code__] = (_self_name("name"), "layer")
        watched[tape.GradientTape.gradient.__code__] = (_fixed("gradient"), "backprop")
        watched[Optimizer.apply_gradients.__code__] = (_fixed("apply_gradients"), "optimizer")
        model = registry.builtin_class("Model")  # (a floor above: found through the registry)
        for step in ("train_step", "test_step", "predict_step"):
            watched[getattr(model, step).__code__] = (_fixed(step), "step")
        for op in tape.PRIMITIVES.values():
            watched[op.__code__] = (_op_name, "op")
    return watched


def _profile_function(watched):
    perf_counter_ns = time.perf_counter_ns

    def callback(frame, event, arg):
        session = _session
        if session is None:
            return
        if event == "call":
            entry = watched.get(frame.f_code)
            if entry is not None:
                session.stack().append((frame, entry, perf_counter_ns()))
        elif event == "return":
            stack = session.stack()
            if stack and stack[-1][0] is frame:
                _, (name, category), start = stack.pop()
                session.record(name(frame), category, start, perf_counter_ns())

    return callback


def start(logdir, options=None):
    """Start recording (``tf.profiler.experimental.start``); ``stop`` writes to ``logdir``.

    Raises
    ------
    learnet.errors.AlreadyExistsError
        When a profiler is running already.
    """
    global _session
    if _session is not None:
        raise errors.AlreadyExistsError(None, None, "Another profiler is running.")
    options = ProfilerOptions() if options is None else options
    if not isinstance(options, ProfilerOptions):
        raise TypeError(f"options must be a tf.profiler.experimental.ProfilerOptions, got {type(options).__name__}")
    if int(options.host_tracer_level) not in (1, 2, 3):
        raise ValueError(f"host_tracer_level must be 1, 2 or 3, got {options.host_tracer_level!r}")
    callback = _profile_function(_watched(int(options.host_tracer_level)))
    _session = _Session(None if logdir is None else os.fspath(logdir), options)
    sys.setprofile(callback)
    threading.setprofile(callback)


def stop(save=True):
    """Stop recording and, with ``save``, write the trace (``tf.profiler.experimental.stop``).

    Returns the path of the trace file written (None with ``save=False``).

    Raises
    ------
    learnet.errors.UnavailableError
        When no profiler is running.
    """
    global _session
    if _session is None:
        raise errors.UnavailableError(None, None, "Cannot export profiling results. No profiler is running.")
    session, _session = _session, None
    sys.setprofile(None)
    threading.setprofile(None)  # type: ignore[arg-type]
    if not save:
        return None
    return _write(session, session.logdir)


def export(logdir=None):
    """Stop recording and write the trace to ``logdir`` (the one ``start`` was given when None):
    what ``tf.summary.trace_export(profiler_outdir=...)`` does. Returns the file's path."""
    global _session
    if _session is None:
        raise errors.UnavailableError(None, None, "Cannot export profiling results. No profiler is running.")
    session = _session
    stop(save=False)
    return _write(session, session.logdir if logdir is None else os.fspath(logdir))


def _write(session, logdir):
    if logdir is None:
        raise ValueError("the profiler has no directory to write to: give start() a logdir")
    run = os.path.join(logdir, "plugins", "profile", time.strftime("%Y_%m_%d_%H_%M_%S"))
    os.makedirs(run, exist_ok=True)
    path = os.path.join(run, f"{socket.gethostname() or 'localhost'}.trace.json.gz")
    pid = os.getpid()
    metadata = [
        {"name": "process_name", "ph": "M", "pid": pid, "args": {"name": "learnet (host)"}},
        {
            "name": "thread_name",
            "ph": "M",
            "pid": pid,
            "tid": threading.main_thread().ident,
            "args": {"name": "python"},
        },
    ]
    trace = {
        "traceEvents": metadata + sorted(session.events, key=lambda e: (e["ts"], -e["dur"])),
        "displayTimeUnit": "ms",
    }
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump(trace, handle)
    return path


def is_running():
    """Whether a profiler is recording now."""
    return _session is not None


class Profile:
    """``with Profile(logdir):`` records its block (``tf.profiler.experimental.Profile``)."""

    def __init__(self, logdir, options=None):
        self.logdir, self.options = logdir, options

    def __enter__(self):
        start(self.logdir, self.options)
        return self

    def __exit__(self, *exc):
        stop()
        return False


class Trace:
    """``with Trace("train", step_num=step, _r=1):`` marks a block in the trace, with its
    keyword arguments (``tf.profiler.experimental.Trace``); ``_r=1`` makes it a step, as
    TensorBoard's step view reads it. Nothing is done while no profiler runs."""

    def __init__(self, name, **kwargs):
        self.name, self.kwargs = str(name), kwargs
        self._start = None

    def __enter__(self):
        self._start = time.perf_counter_ns() if _session is not None else None
        return self

    def __exit__(self, *exc):
        session = _session
        if session is not None and self._start is not None:
            args = {
                key: value if isinstance(value, (int, float, str, bool)) else str(value)
                for key, value in self.kwargs.items()
            }
            session.record(
                self.name, "step" if self.kwargs.get("_r") == 1 else "trace", self._start, time.perf_counter_ns(), args
            )
        return False


def _server_start(port):
    raise errors.UnimplementedError(
        None,
        None,
        "tf.profiler.experimental.server.start: learnet profiles its own process only; "
        "use tf.profiler.experimental.start(logdir) ... stop() in the program to profile",
    )


def _client_trace(*args, **kwargs):
    raise errors.UnimplementedError(
        None,
        None,
        "tf.profiler.experimental.client.trace: learnet has no profiler server; use start(logdir) ... stop()",
    )


experimental = types.SimpleNamespace(
    start=start,
    stop=stop,
    Profile=Profile,
    Trace=Trace,
    ProfilerOptions=ProfilerOptions,
    server=types.SimpleNamespace(start=_server_start),
    client=types.SimpleNamespace(trace=_client_trace),
)
