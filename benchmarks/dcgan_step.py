"""One GAN training step, learnet against TF/Keras (CPU): TensorFlow's DCGAN tutorial, or
(``--model cgan``) a conditional GAN shaped like keras.io's.

Run from the repository root::

    python benchmarks/dcgan_step.py --peer-python /path/to/python-with-tensorflow
    python benchmarks/dcgan_step.py --model cgan --batch 64 --peer-python /path/to/python-with-tensorflow
    python benchmarks/dcgan_step.py --frameworks learnet --steps 3     # a quick look

The models are the tutorial's: a generator (Dense 100 -> 7x7x256, batch normalization,
LeakyReLU, then three Conv2DTranspose layers with 5x5 kernels up to 28x28x1) and a
discriminator (two strided 5x5 Conv2D layers with LeakyReLU and dropout, then Dense(1)).
One step is the tutorial's ``train_step``: both models run under two GradientTapes, the
generator's tape differentiates the generator's loss with respect to the generator's
variables, the discriminator's tape the discriminator's loss with respect to its own,
and two Adam optimizers apply them. TensorFlow runs the step as a ``tf.function``, as the
tutorial does. The images are random numbers in [-1, 1], the same for both: the time of
a step does not depend on what they show.

The conditional GAN (keras.io's conditional GAN example, written here in the same shape):
the generator maps 128 noise values and a one-hot label through Dense -> 7x7x138, two
4x4 Conv2DTranspose layers of 128 filters with LeakyReLU up to 28x28, and a 7x7 Conv2D to
one sigmoid channel (128 channels to 1: a convolution to few filters from many channels);
the discriminator reads the image with the label as 10 more channels (two strided 3x3
Conv2D layers, global max pooling, Dense(1)). One step trains the discriminator on real
and generated images, then the generator through the discriminator, each under its tape.

Every timed run is a fresh child process, started in interleaved order (learnet, TF,
learnet, TF, ...) with the same thread count for BLAS/OpenMP and the same glibc malloc
settings. Each child runs two untimed steps, then ``--steps`` timed ones, and prints one
JSON line with the median step; the driver prints the medians over repeats and the
ratio of each repeat. It measures and never asserts; it is not part of the test suite.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOISE = 100


def build(tf, layers, batch):
    import numpy as np

    generator = tf.keras.Sequential(
        [
            layers.Input((NOISE,)),
            layers.Dense(7 * 7 * 256, use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(),
            layers.Reshape((7, 7, 256)),
            layers.Conv2DTranspose(128, (5, 5), strides=(1, 1), padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(),
            layers.Conv2DTranspose(64, (5, 5), strides=(2, 2), padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(),
            layers.Conv2DTranspose(1, (5, 5), strides=(2, 2), padding="same", use_bias=False, activation="tanh"),
        ]
    )
    discriminator = tf.keras.Sequential(
        [
            layers.Input((28, 28, 1)),
            layers.Conv2D(64, (5, 5), strides=(2, 2), padding="same"),
            layers.LeakyReLU(),
            layers.Dropout(0.3),
            layers.Conv2D(128, (5, 5), strides=(2, 2), padding="same"),
            layers.LeakyReLU(),
            layers.Dropout(0.3),
            layers.Flatten(),
            layers.Dense(1),
        ]
    )
    cross_entropy = tf.keras.losses.BinaryCrossentropy(from_logits=True)
    g_optimizer, d_optimizer = tf.keras.optimizers.Adam(1e-4), tf.keras.optimizers.Adam(1e-4)
    images = (np.random.default_rng(0).random((batch, 28, 28, 1), dtype=np.float32) * 2 - 1).astype("float32")

    def train_step(images):
        noise = tf.random.normal([batch, NOISE])
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = generator(noise, training=True)
            real_output = discriminator(images, training=True)
            fake_output = discriminator(fake, training=True)
            g_loss = cross_entropy(tf.ones_like(fake_output), fake_output)
            d_loss = cross_entropy(tf.ones_like(real_output), real_output) + cross_entropy(
                tf.zeros_like(fake_output), fake_output
            )
        g_grads = g_tape.gradient(g_loss, generator.trainable_variables)
        d_grads = d_tape.gradient(d_loss, discriminator.trainable_variables)
        g_optimizer.apply_gradients(zip(g_grads, generator.trainable_variables))
        d_optimizer.apply_gradients(zip(d_grads, discriminator.trainable_variables))
        return g_loss, d_loss

    return train_step, images


def build_conditional(tf, layers, batch, latent=128, classes=10):
    import numpy as np

    channels = latent + classes
    generator = tf.keras.Sequential(
        [
            layers.Input((channels,)),
            layers.Dense(7 * 7 * channels),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Reshape((7, 7, channels)),
            layers.Conv2DTranspose(128, (4, 4), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2DTranspose(128, (4, 4), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(1, (7, 7), padding="same", activation="sigmoid"),
        ]
    )
    discriminator = tf.keras.Sequential(
        [
            layers.Input((28, 28, 1 + classes)),
            layers.Conv2D(64, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(128, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.GlobalMaxPooling2D(),
            layers.Dense(1),
        ]
    )
    loss = tf.keras.losses.BinaryCrossentropy(from_logits=True)
    d_optimizer, g_optimizer = tf.keras.optimizers.Adam(3e-4), tf.keras.optimizers.Adam(3e-4)
    rng = np.random.default_rng(0)
    images = rng.random((batch, 28, 28, 1), dtype=np.float32)
    labels = np.eye(classes, dtype=np.float32)[rng.integers(0, classes, batch)]

    def train_step(data):
        real, one_hot = data
        label_maps = tf.tile(tf.reshape(one_hot, (-1, 1, 1, classes)), [1, 28, 28, 1])
        fake = generator(tf.concat([tf.random.normal((batch, latent)), one_hot], axis=1))
        both = tf.concat([tf.concat([fake, label_maps], -1), tf.concat([real, label_maps], -1)], axis=0)
        targets = tf.concat([tf.ones((batch, 1)), tf.zeros((batch, 1))], axis=0)
        with tf.GradientTape() as tape:
            d_loss = loss(targets, discriminator(both))
        grads = tape.gradient(d_loss, discriminator.trainable_weights)
        d_optimizer.apply_gradients(zip(grads, discriminator.trainable_weights))
        noise = tf.concat([tf.random.normal((batch, latent)), one_hot], axis=1)
        with tf.GradientTape() as tape:
            fake = tf.concat([generator(noise), label_maps], -1)
            g_loss = loss(tf.zeros((batch, 1)), discriminator(fake))
        grads = tape.gradient(g_loss, generator.trainable_weights)
        g_optimizer.apply_gradients(zip(grads, generator.trainable_weights))
        return g_loss, d_loss

    return train_step, (images, labels)


def worker(framework, batch, steps, model="dcgan"):
    if framework == "learnet":
        sys.path.insert(0, str(HERE.parent / "src"))
        import learnet as tf
        from learnet import layers
    else:
        import tensorflow as tf
        from tensorflow.keras import layers
    train_step, images = (build_conditional if model == "cgan" else build)(tf, layers, batch)
    if framework != "learnet":
        train_step = tf.function(train_step)  # as the tutorial runs it
    for _ in range(2):
        train_step(images)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        g_loss, d_loss = train_step(images)
        times.append(time.perf_counter() - start)
    print(json.dumps({"framework": framework, "step_seconds": statistics.median(times), "all": times}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=["dcgan", "cgan"], default="dcgan")
    parser.add_argument("--batch", type=int, default=256, help="the tutorial's BATCH_SIZE")
    parser.add_argument("--steps", type=int, default=5, help="timed steps per run (the median is kept)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs of each framework")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--frameworks", default="learnet,tf")
    parser.add_argument("--peer-python", default=sys.executable, help="the Python that has TensorFlow")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.batch, args.steps, args.model)
        return
    env = dict(os.environ)
    for key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[key] = str(args.threads)
    # The same allocator settings for every framework (see benchmarks/README.md).
    env.update(MALLOC_MMAP_THRESHOLD_="33554432", MALLOC_TRIM_THRESHOLD_="268435456", TF_CPP_MIN_LOG_LEVEL="2")
    frameworks = args.frameworks.split(",")
    times = {name: [] for name in frameworks}
    for repeat in range(args.repeats):
        for name in frameworks:
            python = sys.executable if name == "learnet" else args.peer_python
            command = [python, __file__, "--worker", name, "--batch", str(args.batch), "--steps", str(args.steps)]
            command += ["--model", args.model]
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"{name}: failed\n{done.stderr[-2000:]}")
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            times[name].append(result["step_seconds"])
            print(f"repeat {repeat + 1}: {name:8s} {result['step_seconds']:8.3f} s per step", flush=True)
    kernel = os.environ.get("OPENBLAS_CORETYPE") or "auto-detected"
    print(f"\n{args.model} step, batch {args.batch}, {args.threads} threads, OpenBLAS kernel {kernel} (medians):")
    for name, values in times.items():
        if values:
            print(f"  {name:8s} {statistics.median(values):8.3f} s")
    if times.get("learnet") and times.get("tf") and len(times["learnet"]) == len(times["tf"]):
        ratios = [a / b for a, b in zip(times["learnet"], times["tf"])]
        listed = ", ".join(f"{r:.2f}" for r in ratios)
        print(f"  learnet / TF: {statistics.median(ratios):.2f}x (per repeat: {listed})")


if __name__ == "__main__":
    main()
