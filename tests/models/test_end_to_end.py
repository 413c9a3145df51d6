"""End to end: small models really learn (XOR; a tiny convnet on real handwritten digits)."""

import numpy as np
import pytest

import learnet
from learnet import Input, layers
from learnet.models import Sequential, load_model


def test_xor_is_learned_to_100_percent():
    learnet.utils.set_random_seed(0)
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
    y = np.array([0, 1, 1, 0])
    model = Sequential(
        [
            Input(shape=(2,)),
            layers.Dense(8, activation="tanh"),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=learnet.optimizers.Adam(learning_rate=0.05), loss="binary_crossentropy", metrics=["accuracy"]
    )
    history = model.fit(x, y, epochs=300, batch_size=4, verbose=0)
    assert history.history["accuracy"][-1] == 1.0
    predictions = model.predict(x, verbose=0)[:, 0]
    np.testing.assert_array_equal(predictions > 0.5, y.astype(bool))
    assert history.history["loss"][-1] < 0.05


@pytest.mark.slow
def test_tiny_convnet_learns_real_digits(mnist_dir, tmp_path):
    from learnet.datasets import mnist

    (x_train, y_train), (x_test, y_test) = mnist.load_data(path=mnist_dir)
    x_train = (x_train[:2000, :, :, None] / 255.0).astype("float32")
    y_train = y_train[:2000]
    x_test = (x_test[:500, :, :, None] / 255.0).astype("float32")
    y_test = y_test[:500]

    learnet.utils.set_random_seed(0)
    model = Sequential(
        [
            Input(shape=(28, 28, 1)),
            layers.Conv2D(16, kernel_size=3, activation="relu"),
            layers.MaxPooling2D(pool_size=2),
            layers.Conv2D(32, kernel_size=3, activation="relu"),
            layers.MaxPooling2D(pool_size=2),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=32, epochs=4, validation_split=0.1, verbose=0)
    assert history.history["val_accuracy"][-1] > 0.85
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy > 0.9

    model.save(tmp_path / "digits.learnet")
    restored = load_model(tmp_path / "digits.learnet")
    assert restored.evaluate(x_test, y_test, verbose=0) == pytest.approx([loss, accuracy])
