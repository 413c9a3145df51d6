"""Gradient descent on a function of one variable: learning rates and momentum.

Part 1 walks down ``f(x) = (x - 3)^2 + 1`` (lowest point at x = 3) from x = -2 with
three learning rates: too small (it crawls), good (it arrives), and too large (every
step overshoots further than the last: it diverges). Each step is the rule the course
writes on the board, ``x <- x - learning_rate * f'(x)``, with f'(x) from a GradientTape.

Part 2 starts ``g(x) = x^4 - 4x^2 + 2.5x`` at x = 2. The function has a shallow valley
near x = 1.22 and a deep one near x = -1.55. Plain gradient descent stops in the
shallow one; with momentum (``SGD(momentum=0.9)``) the speed it gathered carries it
over the hill into the deep one.

    python examples/gradient_descent.py
"""

import learnet as tf


def f(x):
    return (x - 3.0) ** 2 + 1.0


def g(x):
    return x**4 - 4.0 * x**2 + 2.5 * x


def descend(function, start, learning_rate, steps):
    """Plain gradient descent written out by hand; returns every x visited."""
    x = tf.Variable(start)
    path = [float(x.numpy())]
    for _ in range(steps):
        with tf.GradientTape() as tape:
            y = function(x)
        slope = tape.gradient(y, x)
        x.assign_sub(learning_rate * slope)
        path.append(float(x.numpy()))
    return path


def descend_with(optimizer, function, start, steps):
    """The same walk, with the update made by a Keras optimizer; returns every x visited."""
    x = tf.Variable(start)
    path = [float(x.numpy())]
    for _ in range(steps):
        with tf.GradientTape() as tape:
            y = function(x)
        optimizer.apply_gradients([(tape.gradient(y, x), x)])
        path.append(float(x.numpy()))
    return path


def learning_rates(steps=30, rates=(0.01, 0.1, 1.1)):
    """Part 1: the final x for each learning rate, as ``{rate: path}``."""
    print("f(x) = (x - 3)^2 + 1, lowest at x = 3, starting at x = -2")
    paths = {}
    for rate in rates:
        path = descend(f, -2.0, rate, steps)
        paths[rate] = path
        shown = ", ".join(f"{x:.3g}" for x in path[:6])
        print(f"  learning rate {rate:<5}: x = {shown}, ...  after {steps} steps x = {path[-1]:.4g}")
    return paths


def momentum(steps=200, learning_rate=0.01):
    """Part 2: where plain descent and descent with momentum end, as ``{momentum: x}``."""
    print("\ng(x) = x^4 - 4x^2 + 2.5x: a shallow valley near 1.22, the deep one near -1.55; start at x = 2")
    ends = {}
    for beta in (0.0, 0.9):
        optimizer = tf.optimizers.SGD(learning_rate=learning_rate, momentum=beta)
        end = descend_with(optimizer, g, 2.0, steps)[-1]
        ends[beta] = end
        print(f"  momentum {beta}: stops at x = {end:.4f}, g(x) = {float(g(tf.constant(end)).numpy()):.4f}")
    return ends


def main(steps=30, momentum_steps=200):
    """Run both parts; returns ``(paths by learning rate, end points by momentum)``."""
    return learning_rates(steps), momentum(momentum_steps)


if __name__ == "__main__":
    main()
