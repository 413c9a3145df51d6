"""File sizes and load times of learnet's and Keras' model files, side by side (never asserted).

    KERAS_BACKEND=jax python benchmarks/keras_files.py

For the course's MNIST MLP and the keras.io convnet: the size of the ``.keras`` file each
library writes (and of learnet's ``.learnet``), and the median time to load a ``.keras``
file in learnet and in Keras 3.
"""

import os
import statistics
import tempfile
import time
import warnings

os.environ.setdefault("KERAS_BACKEND", "jax")
warnings.filterwarnings("ignore")

import keras  # noqa: E402

import learnet  # noqa: E402


def mlp(M):
    return M.Sequential(
        [
            M.Input((28, 28)),
            M.layers.Flatten(),
            M.layers.Dense(128, activation="relu"),
            M.layers.Dropout(0.2),
            M.layers.Dense(10, activation="softmax"),
        ],
        name="mlp",
    )


def convnet(M):
    return M.Sequential(
        [
            M.Input((28, 28, 1)),
            M.layers.Conv2D(32, 3, activation="relu"),
            M.layers.MaxPooling2D(2),
            M.layers.Conv2D(64, 3, activation="relu"),
            M.layers.MaxPooling2D(2),
            M.layers.Flatten(),
            M.layers.Dropout(0.5),
            M.layers.Dense(10, activation="softmax"),
        ],
        name="convnet",
    )


def median_time(function, repeats=5):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    folder = tempfile.mkdtemp()
    print(f"{'model':8} {'file':28} {'bytes':>10} {'learnet load':>13} {'Keras load':>11}")
    for make in (mlp, convnet):
        for library, M in (("learnet", learnet), ("keras", keras)):
            model = make(M)
            model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
            path = os.path.join(folder, f"{make.__name__}_{library}.keras")
            model.save(path)
            learnet_time = median_time(lambda: learnet.models.load_model(path))
            keras_time = median_time(lambda: keras.models.load_model(path))
            print(
                f"{make.__name__:8} {'.keras written by ' + library:28} {os.path.getsize(path):>10,} "
                f"{learnet_time * 1000:>10.1f} ms {keras_time * 1000:>8.1f} ms"
            )
        model = make(learnet)
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        path = os.path.join(folder, f"{make.__name__}.learnet")
        model.save(path)
        learnet_time = median_time(lambda: learnet.models.load_model(path))
        print(
            f"{make.__name__:8} {'.learnet':28} {os.path.getsize(path):>10,} {learnet_time * 1000:>10.1f} ms {'-':>11}"
        )


if __name__ == "__main__":
    main()
