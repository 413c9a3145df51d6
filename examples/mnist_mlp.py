"""The book's first network: MNIST digits with two Dense layers.

This is the example that opens "Deep Learning with Python" (chapter 2), with only
the imports changed: 60,000 training images flattened to 784 numbers in 0..1, a
hidden layer of 512 ReLU neurons, a softmax over the 10 digits, RMSprop, batches of
128, 5 epochs. It reaches about 98% test accuracy.

    python examples/mnist_mlp.py                         # downloads MNIST if needed
    python examples/mnist_mlp.py --data-dir DIR --epochs 1
"""

import argparse

import learnet as keras  # instead of: from tensorflow import keras
from learnet import layers  # instead of: from tensorflow.keras import layers
from learnet.datasets import mnist  # instead of: from tensorflow.keras.datasets import mnist


def main(epochs=5, limit=None, path=None, verbose=1):
    """Train the network; returns its test accuracy.

    ``limit`` trains on the first ``limit`` images only, ``path`` is a folder
    holding the MNIST files (see ``mnist.load_data``).
    """
    (train_images, train_labels), (test_images, test_labels) = mnist.load_data(path=path)
    if limit is not None:
        train_images, train_labels = train_images[:limit], train_labels[:limit]

    model = keras.Sequential(
        [
            layers.Dense(512, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    train_images = train_images.reshape((len(train_images), 28 * 28)).astype("float32") / 255
    test_images = test_images.reshape((len(test_images), 28 * 28)).astype("float32") / 255

    model.fit(train_images, train_labels, epochs=epochs, batch_size=128, verbose=verbose)

    predictions = model.predict(test_images[:10], verbose=0)
    print("the first ten test digits:   ", " ".join(str(d) for d in test_labels[:10]))
    print("what the network sees in them:", " ".join(str(p.argmax()) for p in predictions))

    test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=0)
    print(f"test_acc: {test_acc:.4f}")
    return test_acc


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Train the book's MNIST network.")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--data-dir", help="a folder holding the four MNIST files")
    options = parser.parse_args()
    main(epochs=options.epochs, path=options.data_dir)
