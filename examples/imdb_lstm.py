"""Movie reviews, positive or negative: an Embedding and an LSTM read the words in order.

The course's first sequence model. Each review is a list of word ids (most frequent
words first); reviews are cut or zero-padded to ``maxlen`` words, an ``Embedding``
turns each id into a learned vector (``mask_zero=True``: the padding is skipped), an
``LSTM`` reads the vectors one after another and a sigmoid unit gives the probability
that the review is positive. Two epochs reach about 85% test accuracy.

    python examples/imdb_lstm.py                         # downloads IMDB if needed
    python examples/imdb_lstm.py --epochs 1 --limit 5000
"""

import argparse

import learnet as keras  # instead of: import keras
from learnet import layers  # instead of: from keras import layers


def main(epochs=2, max_features=10000, maxlen=200, limit=None, test_limit=None, path=None, verbose=1):
    """Train the classifier; returns its test accuracy.

    ``limit`` and ``test_limit`` keep only the first reviews (for quick runs); ``path``
    is ``imdb.npz`` or the folder holding it.
    """
    (x_train, y_train), (x_test, y_test) = keras.datasets.imdb.load_data(path=path, num_words=max_features)
    x_train, y_train = x_train[:limit], y_train[:limit]
    x_test, y_test = x_test[:test_limit], y_test[:test_limit]
    print(len(x_train), "train sequences")
    print(len(x_test), "test sequences")

    # Cut long reviews to their last `maxlen` words; pad short ones with zeros in front.
    x_train = keras.utils.pad_sequences(x_train, maxlen=maxlen)
    x_test = keras.utils.pad_sequences(x_test, maxlen=maxlen)
    print("x_train shape:", x_train.shape)

    model = keras.Sequential(
        [
            keras.Input(shape=(None,), dtype="int32"),
            layers.Embedding(max_features, 32, mask_zero=True),
            layers.LSTM(32),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.summary()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=64, epochs=epochs, validation_split=0.1, verbose=verbose)

    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])
    return score[1]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Train an LSTM on the IMDB reviews.")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--limit", type=int, help="use only the first N training reviews")
    parser.add_argument("--data", help="imdb.npz, or the folder holding it")
    options = parser.parse_args()
    main(epochs=options.epochs, limit=options.limit, path=options.data)
