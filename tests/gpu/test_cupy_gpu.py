"""learnet on real CuPy and a CUDA GPU: the MLP and the convnet reach the CPU's accuracy.

Marked ``gpu`` and skipped, saying why, where CuPy or a GPU is missing (CI), so they are
collected everywhere and run where a GPU is lent: ``pytest -m gpu tests/gpu``. Each run
is its own process, since the array module is chosen before any weight exists: one by
``LEARNET_BACKEND=cupy``, one by ``learnet.backend.set_backend("cupy")``.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"


def _gpu_missing():
    """Why the GPU tests cannot run here, or None."""
    try:
        import cupy
    except ImportError:
        return "CuPy and a CUDA GPU are needed (CuPy is not installed)"
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return "CuPy and a CUDA GPU are needed (no GPU found)"
    except Exception as error:
        return f"CuPy and a CUDA GPU are needed (CUDA: {type(error).__name__})"
    return None


pytestmark = [pytest.mark.gpu, pytest.mark.skipif(_gpu_missing() is not None, reason=str(_gpu_missing()))]

# Trains one network on MNIST and prints its test accuracy and where its weights live.
_RUN = """
import json, sys
import learnet as tf
from learnet import backend
how, task = sys.argv[1], sys.argv[2]
if how == "set_backend":
    backend.set_backend("cupy")
backend.set_seed(0)
(x, y), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
x, x_test = (x[:20000, ..., None] / 255.0).astype("float32"), (x_test[..., None] / 255.0).astype("float32")
y = y[:20000]
L = tf.keras.layers
if task == "mlp":
    layers, optimizer = [L.Flatten(), L.Dense(512, activation="relu"), L.Dense(10, activation="softmax")], "rmsprop"
else:
    layers, optimizer = [
        L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2), L.Conv2D(64, 3, activation="relu"),
        L.MaxPooling2D(2), L.Flatten(), L.Dropout(0.5), L.Dense(10, activation="softmax"),
    ], "adam"
model = tf.keras.Sequential([tf.keras.Input((28, 28, 1)), *layers])
model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=2, batch_size=128, verbose=0)
_, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
print(json.dumps({"accuracy": accuracy, "backend": backend.name(), "weights": type(model.weights[0]._value).__module__}))
"""


def _run(how, task, datasets):
    env = dict(os.environ, LEARNET_BACKEND="cupy" if how == "env" else "numpy", LEARNET_DATASETS=str(datasets))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-c", _RUN, how, task], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("task, how", [("mlp", "env"), ("cnn", "set_backend")])
def test_fit_on_the_gpu_reaches_the_cpu_accuracy(mnist_dir, task, how):
    cpu = _run("cpu", task, mnist_dir.parent)
    gpu = _run(how, task, mnist_dir.parent)
    assert cpu["backend"] == "numpy" and gpu["backend"] == "cupy"
    assert gpu["weights"].startswith("cupy")  # the weights live on the GPU
    assert abs(gpu["accuracy"] - cpu["accuracy"]) <= 0.005, (gpu, cpu)


def test_scatter_add_and_the_generator_on_the_gpu():
    code = (
        "import cupy, numpy as np\n"
        "from learnet import backend\n"
        "backend.set_backend('cupy'); backend.set_seed(1)\n"
        "a = cupy.zeros(4, dtype=cupy.float32)\n"
        "backend.scatter_add(a, cupy.asarray([1, 1, 3]), cupy.float32(1))\n"
        "assert cupy.asnumpy(a).tolist() == [0, 2, 0, 1]\n"
        "assert isinstance(backend.rng().random((3,), dtype=np.float32), cupy.ndarray)\n"
        "print('ok')\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]
