"""Basic classification of clothes: TensorFlow's Fashion-MNIST tutorial, imports changed.

70,000 grey 28x28 images of 10 kinds of clothing. The network flattens each image,
has 128 ReLU neurons and ends in 10 logits; the loss applies the softmax itself
(``from_logits=True``). After training, a ``Softmax`` layer turns the logits into
probabilities for predictions. About 88% test accuracy after 10 epochs.

    python examples/fashion_mnist.py
    python examples/fashion_mnist.py --epochs 2 --data-dir DIR
"""

import argparse

import numpy as np

import learnet as tf  # instead of: import tensorflow as tf

CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def main(epochs=10, limit=None, path=None, verbose=1):
    """Train the tutorial's network; returns its test accuracy.

    ``limit`` trains on the first ``limit`` images only; ``path`` is a folder holding
    the four Fashion-MNIST files (see ``fashion_mnist.load_data``).
    """
    fashion_mnist = tf.keras.datasets.fashion_mnist
    (train_images, train_labels), (test_images, test_labels) = fashion_mnist.load_data(path=path)
    train_images, train_labels = train_images[:limit], train_labels[:limit]

    train_images = train_images / 255.0
    test_images = test_images / 255.0

    model = tf.keras.Sequential(
        [
            tf.keras.layers.Flatten(input_shape=(28, 28)),
            tf.keras.layers.Dense(128, activation="relu"),
            tf.keras.layers.Dense(10),
        ]
    )
    model.compile(
        optimizer="adam", loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"]
    )
    model.fit(train_images, train_labels, epochs=epochs, verbose=verbose)

    test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=2)
    print("\nTest accuracy:", test_acc)

    probability_model = tf.keras.Sequential([model, tf.keras.layers.Softmax()])
    predictions = probability_model.predict(test_images[:5], verbose=0)
    for probabilities, label in zip(predictions, test_labels[:5]):
        guess = int(np.argmax(probabilities))
        print(f"{CLASS_NAMES[guess]:>12} {100 * probabilities[guess]:5.1f}%   (truly: {CLASS_NAMES[label]})")
    return test_acc


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Train the Fashion-MNIST tutorial's network.")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--data-dir", help="a folder holding the four Fashion-MNIST files")
    options = parser.parse_args()
    main(epochs=options.epochs, path=options.data_dir)
