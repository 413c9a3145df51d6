"""GradientTape: partial derivatives by hand and by tape, then a training loop written with it.

Part 1 computes partial derivatives that can be checked on paper:

* one neuron's squared error, ``loss = (w*x + b - y)^2`` at w=2, b=1, x=3, y=10:
  ``dloss/dw = 2*(w*x + b - y)*x = -18`` and ``dloss/db = 2*(w*x + b - y) = -6``;
* ``f(x, y) = x^2*y + y^3`` at (3, 2): ``df/dx = 2xy = 12``, ``df/dy = x^2 + 3y^2 = 21``;
* a second derivative with two tapes, ``d2/dx2 x^3 = 6x = 12`` at x = 2.

Part 2 trains an MNIST network with a custom loop: the tape records the forward
pass, ``tape.gradient`` gives every weight's partial derivative, and the optimizer
moves the weights. This is all that ``model.fit`` does.

    python examples/tape_basics.py                       # downloads MNIST if needed
    python examples/tape_basics.py --data-dir DIR --epochs 1
"""

import argparse
import time

import learnet as tf  # instead of: import tensorflow as tf
from learnet import layers


def partial_derivatives():
    """Part 1: returns the derivatives as a dict, e.g. ``{"dloss/dw": -18.0, ...}``."""
    results = {}

    w = tf.Variable(2.0)
    b = tf.Variable(1.0)
    x, y = 3.0, 10.0
    with tf.GradientTape() as tape:
        loss = (w * x + b - y) ** 2
    dw, db = tape.gradient(loss, [w, b])
    print(f"loss = (w*x + b - y)^2 = {loss.numpy():g} at w=2, b=1, x=3, y=10")
    print(f"  dloss/dw = {dw.numpy():g}   (paper: 2*(w*x + b - y)*x = 2*(-3)*3 = -18)")
    print(f"  dloss/db = {db.numpy():g}   (paper: 2*(w*x + b - y) = 2*(-3) = -6)")
    results["loss"] = float(loss.numpy())
    results["dloss/dw"], results["dloss/db"] = float(dw.numpy()), float(db.numpy())

    x = tf.constant(3.0)
    y = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch([x, y])  # constants are not watched unless asked
        f = x**2 * y + y**3
    df_dx, df_dy = tape.gradient(f, [x, y])
    print(f"\nf(x, y) = x^2*y + y^3 = {f.numpy():g} at x=3, y=2")
    print(f"  df/dx = {df_dx.numpy():g}   (paper: 2xy = 12)")
    print(f"  df/dy = {df_dy.numpy():g}   (paper: x^2 + 3y^2 = 21)")
    results["f"] = float(f.numpy())
    results["df/dx"], results["df/dy"] = float(df_dx.numpy()), float(df_dy.numpy())

    x = tf.Variable(2.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            cube = x**3
        first = inner.gradient(cube, x)
    second = outer.gradient(first, x)
    print(f"\nd/dx x^3 = {first.numpy():g} (paper: 3x^2 = 12), d2/dx2 x^3 = {second.numpy():g} (paper: 6x = 12)")
    results["d/dx x^3"], results["d2/dx2 x^3"] = float(first.numpy()), float(second.numpy())
    return results


def train_mnist(epochs=3, batch_size=128, limit=None, path=None):
    """Part 2: a custom training loop on MNIST; returns the test accuracy."""
    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data(path=path)
    if limit is not None:
        x_train, y_train = x_train[:limit], y_train[:limit]
    x_train = x_train.reshape(-1, 784).astype("float32") / 255
    x_test = x_test.reshape(-1, 784).astype("float32") / 255

    model = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(784,)),
            layers.Dense(128, activation="relu"),
            layers.Dense(10),  # logits: the loss applies the softmax itself
        ]
    )
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = tf.keras.optimizers.Adam(learning_rate=1e-3)
    train_accuracy = tf.keras.metrics.SparseCategoricalAccuracy()
    train_data = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(len(x_train)).batch(batch_size)

    print(f"\ntraining on {len(x_train)} images with a custom loop")
    for epoch in range(epochs):
        started = time.perf_counter()
        train_accuracy.reset_state()
        for step, (x_batch, y_batch) in enumerate(train_data):
            with tf.GradientTape() as tape:
                logits = model(x_batch, training=True)
                loss = loss_fn(y_batch, logits)
            grads = tape.gradient(loss, model.trainable_weights)
            optimizer.apply_gradients(zip(grads, model.trainable_weights))
            train_accuracy.update_state(y_batch, logits)
        print(
            f"epoch {epoch + 1}/{epochs}: last batch loss {float(loss.numpy()):.4f}, "
            f"accuracy {float(train_accuracy.result().numpy()):.4f}, "
            f"{time.perf_counter() - started:.1f} s"
        )

    logits = model(x_test)  # no tape: inference builds no graph
    predicted = tf.argmax(logits, axis=1).numpy()
    accuracy = float((predicted == y_test).mean())
    print(f"test accuracy: {accuracy:.4f}")
    return accuracy


def main(epochs=3, limit=None, path=None):
    """Run both parts; returns ``(derivatives, test accuracy)``."""
    return partial_derivatives(), train_mnist(epochs=epochs, limit=limit, path=path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--data-dir", help="a folder holding the four MNIST files")
    options = parser.parse_args()
    main(epochs=options.epochs, path=options.data_dir)
