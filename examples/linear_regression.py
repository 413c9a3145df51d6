"""Fit a straight line y = w*x + b to a small table of points, two ways.

1. The closed form of least squares, straight from the formula on the board::

       w = sum((x - mean x) * (y - mean y)) / sum((x - mean x)^2)
       b = mean y - w * mean x

2. Gradient descent: a network of one neuron, ``Dense(1)``, trained with the mean
   squared error and plain SGD, exactly as Keras would train it.

Both give the same line.

    python examples/linear_regression.py
"""

import numpy as np

import learnet as keras  # instead of: from tensorflow import keras
from learnet import layers

# Hours of study (x) and the points scored in a quiz (y).
X = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])
Y = np.array([2.8, 4.1, 6.3, 7.2, 9.4, 10.9, 12.8, 14.1])


def least_squares(x, y):
    """The closed-form least squares line: returns ``(w, b)``."""
    x_mean, y_mean = x.mean(), y.mean()
    w = np.sum((x - x_mean) * (y - y_mean)) / np.sum((x - x_mean) ** 2)
    b = y_mean - w * x_mean
    return float(w), float(b)


def gradient_descent(x, y, epochs=1000, learning_rate=0.03):
    """Train ``Dense(1)`` with MSE and SGD on all points at once; returns ``(w, b)``."""
    model = keras.Sequential([keras.Input(shape=(1,)), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss="mse")
    history = model.fit(x.reshape(-1, 1), y, epochs=epochs, batch_size=len(x), verbose=0)
    print(
        f"gradient descent: loss {history.history['loss'][0]:.3f} after the first epoch, "
        f"{history.history['loss'][-1]:.4f} after {epochs}"
    )
    kernel, bias = model.layers[-1].get_weights()
    return float(kernel[0, 0]), float(bias[0])


def main(epochs=1000, learning_rate=0.03):
    """Fit both lines, print them side by side; returns ``{"least_squares": (w, b), "gradient_descent": (w, b)}``."""
    exact = least_squares(X, Y)
    learned = gradient_descent(X, Y, epochs=epochs, learning_rate=learning_rate)
    print(f"least squares:    y = {exact[0]:.4f} x + {exact[1]:.4f}")
    print(f"gradient descent: y = {learned[0]:.4f} x + {learned[1]:.4f}")
    print("\n   x      y   least squares   gradient descent")
    for x, y in zip(X, Y):
        print(f"{x:4.1f}  {y:5.1f}   {exact[0] * x + exact[1]:13.3f}   {learned[0] * x + learned[1]:16.3f}")
    return {"least_squares": exact, "gradient_descent": learned}


if __name__ == "__main__":
    main()
