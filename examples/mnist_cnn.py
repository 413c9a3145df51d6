"""A simple convnet for MNIST: the keras.io example, with only the imports changed.

Two convolution + max-pooling blocks find strokes and shapes, dropout fights
overfitting, and a softmax layer names the digit. Labels are one-hot vectors and the
loss is categorical cross-entropy, as on keras.io; 15 epochs of Adam reach about
99% test accuracy.

    python examples/mnist_cnn.py                         # downloads MNIST if needed
    python examples/mnist_cnn.py --data-dir DIR --epochs 2
"""

import argparse

import numpy as np

import learnet as keras  # instead of: import keras
from learnet import layers  # instead of: from keras import layers


def main(epochs=15, limit=None, test_limit=None, path=None, verbose=1):
    """Train the convnet; returns its test accuracy.

    ``limit`` and ``test_limit`` keep only the first images of the training and test
    sets (for quick runs); ``path`` is a folder holding the MNIST files.
    """
    # Model / data parameters
    num_classes = 10
    input_shape = (28, 28, 1)

    # Load the data and split it between train and test sets
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data(path=path)
    x_train, y_train = x_train[:limit], y_train[:limit]
    x_test, y_test = x_test[:test_limit], y_test[:test_limit]

    # Scale images to the [0, 1] range
    x_train = x_train.astype("float32") / 255
    x_test = x_test.astype("float32") / 255
    # Make sure images have shape (28, 28, 1)
    x_train = np.expand_dims(x_train, -1)
    x_test = np.expand_dims(x_test, -1)
    print("x_train shape:", x_train.shape)
    print(x_train.shape[0], "train samples")
    print(x_test.shape[0], "test samples")

    # convert class vectors to binary class matrices
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)

    model = keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(num_classes, activation="softmax"),
        ]
    )
    model.summary()

    batch_size = 128
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1, verbose=verbose)

    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])
    return score[1]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Train the keras.io MNIST convnet.")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--data-dir", help="a folder holding the four MNIST files")
    options = parser.parse_args()
    main(epochs=options.epochs, path=options.data_dir)
