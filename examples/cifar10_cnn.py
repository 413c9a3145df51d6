"""Colour photos in ten classes (CIFAR-10) with a small convnet.

After MNIST's grey digits: 32x32 colour images of airplanes, cars, birds, cats, deer,
dogs, frogs, horses, ships and trucks. Three convolution blocks find edges, textures
and parts; dropout fights overfitting; a softmax names the class. Labels stay class
numbers (``sparse_categorical_crossentropy``). About 70% test accuracy after 10 epochs.

    python examples/cifar10_cnn.py                       # downloads CIFAR-10 (170 MB) if needed
    python examples/cifar10_cnn.py --epochs 1 --limit 5000
"""

import argparse

import learnet as keras  # instead of: import keras
from learnet import layers  # instead of: from keras import layers

CLASS_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def main(epochs=10, limit=None, test_limit=None, path=None, verbose=1):
    """Train the convnet; returns its test accuracy.

    ``limit`` and ``test_limit`` keep only the first images (for quick runs); ``path``
    is ``cifar-10-binary.tar.gz`` or the folder holding it.
    """
    (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data(path=path)
    x_train, y_train = x_train[:limit], y_train[:limit]
    x_test, y_test = x_test[:test_limit], y_test[:test_limit]
    print("x_train shape:", x_train.shape)
    print(x_train.shape[0], "train samples")
    print(x_test.shape[0], "test samples")

    model = keras.Sequential(
        [
            keras.Input(shape=(32, 32, 3)),
            layers.Rescaling(1.0 / 255),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dropout(0.3),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.summary()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=64, epochs=epochs, validation_split=0.1, verbose=verbose)

    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])
    return score[1]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Train a small convnet on CIFAR-10.")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--limit", type=int, help="use only the first N training images")
    parser.add_argument("--data", help="cifar-10-binary.tar.gz, or the folder holding it")
    options = parser.parse_args()
    main(epochs=options.epochs, limit=options.limit, path=options.data)
