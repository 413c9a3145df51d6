"""learnet, through its Keras-style API, on the same two Fashion-MNIST models.

What it measures (one process, one run, one task), written exactly as course
code written for Keras would be, with ``import learnet as keras``:

- ``--task mlp``::

      model = keras.Sequential([
          keras.Input(shape=(784,)),
          keras.layers.Dense(512, activation="relu"),
          keras.layers.Dense(10, activation="softmax"),
      ])
      model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                    metrics=["accuracy"])

- ``--task cnn``: the keras.io MNIST convnet on channels-last ``(n, 28, 28, 1)``
  images -- Conv2D(32, (3, 3), relu) -> MaxPooling2D((2, 2)) -> Conv2D(64,
  (3, 3), relu) -> MaxPooling2D((2, 2)) -> Flatten -> Dropout(0.5) ->
  Dense(10, softmax) -- compiled with ``optimizer="adam"``.

Then ``model.fit(x, y, batch_size=128, epochs=1, verbose=0)`` on a few
batches as a warm-up, the timed ``model.fit(x, y, batch_size=128,
epochs=E, verbose=0, callbacks=[timer])`` (a ``keras.callbacks.Callback``
timing each epoch between ``on_epoch_begin`` and ``on_epoch_end``; if the
library has no callbacks yet, one ``fit(..., epochs=1)`` call is timed per
epoch instead), ``model.predict(x_test, batch_size=1024, verbose=0)`` for
throughput and accuracy, and ``model.evaluate(x_test, y_test,
batch_size=1024, verbose=0)``.

The optimizers come from their string names, so Keras' defaults apply
(RMSprop lr=1e-3, rho=0.9, eps=1e-7; Adam lr=1e-3, eps=1e-7), and the
initializers are the layers' defaults (glorot-uniform kernels, zero biases).

If the installed learnet lacks what a task needs (``Sequential`` and the
layers above), the worker says so in one JSON line (``"available": false``
with the reason) instead of failing, so the driver can report it cleanly.
"""

from __future__ import annotations

import sys
import time

import common

NEEDED = {
    "mlp": ("Sequential", "layers.Dense"),
    "cnn": ("Sequential", "layers.Dense", "layers.Conv2D", "layers.MaxPooling2D", "layers.Flatten", "layers.Dropout"),
}


def import_learnet():
    """Import learnet, from the working tree's ``src/`` if it is not installed."""
    try:
        import learnet
    except ImportError:
        sys.path.insert(0, str(common.REPO_ROOT / "src"))
        import learnet
    return learnet


def missing_api(keras, task: str) -> list[str]:
    """Names ``task`` needs that the library cannot provide yet.

    Any error on lookup counts as missing: learnet imports its upper floors
    lazily, so a name may be declared while its module does not exist yet.
    """
    missing = []
    for dotted in NEEDED[task]:
        obj = keras
        try:
            for part in dotted.split("."):
                obj = getattr(obj, part)
        except Exception as error:
            missing.append((dotted, f"{error.__class__.__name__}: {error}"))
    return missing


def describe_missing(missing) -> str:
    names = ", ".join(name for name, _ in missing)
    return f"learnet lacks {names} (first error: {missing[0][1]})"


def with_input(keras, shape, layers):
    """``[keras.Input(shape), *layers]``; or ``input_shape=`` on the first layer
    if the library has no ``Input`` (older Keras style)."""
    if hasattr(keras, "Input"):
        return [keras.Input(shape=shape), *(make() for make in layers)]
    first, *rest = layers
    return [first(input_shape=shape), *(make() for make in rest)]


def build(keras, task: str, hidden: int):
    L = keras.layers
    if task == "mlp":
        model = keras.Sequential(
            with_input(
                keras,
                (common.IMAGE_PIXELS,),
                [
                    lambda **kw: L.Dense(hidden, activation="relu", **kw),
                    lambda: L.Dense(common.NUM_CLASSES, activation="softmax"),
                ],
            )
        )
        optimizer = "rmsprop"
    else:
        model = keras.Sequential(
            with_input(
                keras,
                (28, 28, 1),
                [
                    lambda **kw: L.Conv2D(32, kernel_size=(3, 3), activation="relu", **kw),
                    lambda: L.MaxPooling2D(pool_size=(2, 2)),
                    lambda: L.Conv2D(64, kernel_size=(3, 3), activation="relu"),
                    lambda: L.MaxPooling2D(pool_size=(2, 2)),
                    lambda: L.Flatten(),
                    lambda: L.Dropout(0.5),
                    lambda: L.Dense(common.NUM_CLASSES, activation="softmax"),
                ],
            )
        )
        optimizer = "adam"
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def timed_fit(keras, model, x, y, batch_size: int, epochs: int):
    """Fit for ``epochs``; return (seconds per epoch, last epoch's logs)."""
    callbacks = getattr(keras, "callbacks", None)
    base = getattr(callbacks, "Callback", None)
    if base is None:
        seconds, history = [], None
        for _ in range(epochs):
            start = time.perf_counter()
            history = model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
            seconds.append(time.perf_counter() - start)
        return seconds, history

    class EpochTimer(base):
        def __init__(self):
            super().__init__()
            self.seconds, self._start = [], None

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._start)

    timer = EpochTimer()
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[timer])
    return timer.seconds, history


def last_logged(history, *names):
    logs = getattr(history, "history", None) or {}
    for name in names:
        values = logs.get(name)
        if values:
            return float(values[-1])
    return None


def evaluate_metrics(result) -> dict:
    """``evaluate`` returns a scalar, a list ``[loss, accuracy]`` or a dict."""
    if isinstance(result, dict):
        return {"evaluate_" + k: float(v) for k, v in result.items()}
    if isinstance(result, (list, tuple)):
        names = ("loss", "accuracy")[: len(result)]
        return {"evaluate_" + k: float(v) for k, v in zip(names, result)}
    return {"evaluate_loss": float(result)}


def kernels_runtime() -> dict:
    """Which element-wise kernels ran (``LEARNET_KERNELS``): NumPy, or numba's and on how many threads."""
    try:
        from learnet.ops import compiled
    except ImportError:  # a learnet from before the compiled kernels
        return {"choice": "numpy", "compiled": False}
    info = {"choice": compiled.kernels(), "compiled": compiled.enabled()}
    if info["compiled"]:
        import numba

        info.update(numba=numba.__version__, threads=compiled.threads())
        try:
            info["layer"] = numba.threading_layer()
        except ValueError:  # no parallel kernel ran (one thread: the serial kernels)
            info["layer"] = None
    return info


def run(args, keras) -> dict:
    import numpy as np

    (x_train, y_train), (x_test, y_test) = common.load_fashion_mnist(args.train_limit, args.test_limit)
    memory = common.after_load()
    seeding = getattr(getattr(keras, "utils", None), "set_random_seed", None)
    if seeding is not None:
        seeding(args.seed)

    shape = (-1, common.IMAGE_PIXELS) if args.task == "mlp" else (-1, 28, 28, 1)
    x_train, x_test = x_train.reshape(shape), x_test.reshape(shape)  # views
    model = build(keras, args.task, args.hidden)

    result = {"epoch_seconds": [], "epoch_seconds_median": None, "train_loss": None, "train_accuracy": None}
    if args.epochs:
        warm = min(len(x_train), args.warmup_steps * args.batch_size)
        if warm:
            model.fit(x_train[:warm], y_train[:warm], batch_size=args.batch_size, epochs=1, verbose=0)
        gauge = [common.speed_gauge()]
        start = time.perf_counter()
        seconds, history = timed_fit(keras, model, x_train, y_train, args.batch_size, args.epochs)
        fit_seconds = time.perf_counter() - start
        gauge.append(common.speed_gauge())
        result.update(
            gauge_gflops=gauge,
            fit_seconds=fit_seconds,
            epoch_seconds=seconds,
            epoch_seconds_median=common.median(seconds),
            train_loss=last_logged(history, "loss"),
            train_accuracy=last_logged(history, "accuracy", "sparse_categorical_accuracy"),
        )
    train_peak = common.memory_snapshot()["peak_rss_mib"]

    def predict(x):
        return np.asarray(model.predict(x, batch_size=args.predict_batch, verbose=0))

    timing = common.time_predict(predict, x_test, args.predict_repeats)
    probabilities = timing.pop("probabilities")
    result.update(evaluate_metrics(model.evaluate(x_test, y_test, batch_size=args.predict_batch, verbose=0)))
    result.update(
        test_loss=common.crossentropy(probabilities, y_test),
        test_accuracy=common.accuracy(probabilities, y_test),
        **timing,
        **memory,
        train_peak_rss_mib=train_peak,
        peak_rss_mib=common.memory_snapshot()["peak_rss_mib"],
        train_images=len(x_train),
    )
    if args.task == "mlp":
        result["flops_per_epoch"] = common.mlp_flops_per_sample(args.hidden) * len(x_train)
    return common.with_predict_gauge(result)


def main(argv=None) -> int:
    args = common.base_parser(__doc__.splitlines()[0]).parse_args(argv)
    common.apply_threads(args.threads)
    try:
        keras = import_learnet()
    except Exception as error:  # broken mid-development trees too
        common.emit(
            {
                "available": False,
                "framework": "learnet",
                "reason": f"import learnet failed: {error.__class__.__name__}: {error}",
            }
        )
        return 0
    missing = missing_api(keras, args.task if not args.probe else "cnn")
    info = {"framework": "learnet", "learnet": getattr(keras, "__version__", "?")}
    if args.probe:
        usable = [t for t in NEEDED if not missing_api(keras, t)]
        common.emit(
            {"available": bool(usable), "tasks": usable, **info, "reason": describe_missing(missing) if missing else ""}
        )
        return 0
    if missing:
        common.emit({"available": False, **info, "reason": describe_missing(missing)})
        return 0
    result = run(args, keras)
    common.emit(
        {
            "available": True,
            **info,
            "task": args.task,
            "threads": args.threads,
            "hidden": args.hidden,
            "batch_size": args.batch_size,
            **result,
            "blas_runtime": common.blas_runtime(),
            "kernels": kernels_runtime(),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
