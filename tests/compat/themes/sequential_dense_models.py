"""Theme: the first networks of a course: Sequential().add(...), Dense(units=, input_shape=),
a 1-D input learned as a column, one-hot labels with to_categorical, loss and metric functions
passed to compile, metrics=["acc"], Flatten(input_shape=), a Softmax layer on top of logits,
regularizers l1 / l2 / l1_l2 with Dropout, predict + argmax, get_layer, clear_session."""

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers, models, regularizers

tf.keras.utils.set_random_seed(8)  # the same weights and shuffles every run
rng = np.random.default_rng(8)

# y = 3x + 1 from six numbers, a 1-D array of inputs
line = models.Sequential([layers.Dense(units=1, input_shape=[1])])
line.compile(optimizer="sgd", loss="mean_squared_error")
xs = np.array([-1.0, 0.0, 1.0, 2.0, 3.0, 4.0], dtype=float)
line.fit(xs, 3 * xs + 1, epochs=300, verbose=0)
assert abs(float(line.predict(np.array([10.0]), verbose=0)[0, 0]) - 31.0) < 1.0

# a binary classifier built with add(), loss and metric given as functions
reviews = (rng.random((400, 50)) < 0.1).astype("float32")
liked = (reviews[:, :25].sum(axis=1) > reviews[:, 25:].sum(axis=1)).astype("float32")
binary = models.Sequential()
binary.add(layers.Dense(16, activation="relu", input_shape=(50,)))
binary.add(layers.Dense(1, activation="sigmoid"))
binary.compile(
    optimizer=keras.optimizers.RMSprop(learning_rate=0.01),
    loss=keras.losses.binary_crossentropy,
    metrics=[keras.metrics.binary_accuracy],
)
history = binary.fit(
    reviews[:300], liked[:300], epochs=8, batch_size=64, verbose=0, validation_data=(reviews[300:], liked[300:])
)
assert sorted(history.history) == ["binary_accuracy", "loss", "val_binary_accuracy", "val_loss"]
assert history.history["loss"][-1] < history.history["loss"][0]
binary.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
history = binary.fit(reviews, liked, epochs=1, batch_size=64, verbose=0, validation_split=0.2)
assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]

# several classes with one-hot labels
topics = rng.integers(0, 4, size=500)
words = rng.normal(size=(500, 20)).astype("float32")
words[np.arange(500), topics] += 3.0
one_hot = keras.utils.to_categorical(topics)
assert one_hot.shape == (500, 4) and one_hot[0, topics[0]] == 1.0
multi = models.Sequential()
multi.add(layers.Dense(32, activation="relu", input_shape=(20,)))
multi.add(layers.Dense(4, activation="softmax"))
multi.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
multi.fit(words[:400], one_hot[:400], epochs=10, batch_size=32, verbose=0)
loss, accuracy = multi.evaluate(words[400:], one_hot[400:], batch_size=50, verbose=0)
assert accuracy > 0.8, accuracy
predicted = multi.predict(words[400:403], verbose=0)
assert predicted.shape == (3, 4) and np.allclose(predicted.sum(axis=1), 1.0, atol=1e-5)
assert np.argmax(predicted, axis=1).shape == (3,)

# logits, then a Softmax layer for probabilities; Flatten(input_shape=) on little images
tiles = rng.random((300, 6, 6)).astype("float32")
bright = (tiles[:, :3].mean(axis=(1, 2)) > tiles[:, 3:].mean(axis=(1, 2))).astype("int64")
logits_model = keras.Sequential(
    [layers.Flatten(input_shape=(6, 6)), layers.Dense(16, activation="relu"), layers.Dense(2)]
)
logits_model.compile(
    optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"]
)
logits_model.fit(tiles, bright, epochs=10, verbose=0)
probability_model = keras.Sequential([logits_model, layers.Softmax()])
probabilities = probability_model.predict(tiles[:5], verbose=0)
assert probabilities.shape == (5, 2) and np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
assert np.allclose(probabilities, tf.nn.softmax(logits_model(tiles[:5])).numpy(), atol=1e-5)

# weight penalties and dropout against overfitting
keras.backend.clear_session()
penalized = models.Sequential(
    [
        layers.Dense(16, activation="relu", input_shape=(20,), kernel_regularizer=regularizers.l2(0.002), name="first"),
        layers.Dropout(0.5),
        layers.Dense(16, activation="relu", kernel_regularizer=regularizers.l1(0.001)),
        layers.Dense(16, activation="relu", kernel_regularizer=regularizers.l1_l2(l1=0.001, l2=0.001)),
        layers.Dense(4, activation="softmax"),
    ]
)
penalized.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
penalized.fit(words, topics, epochs=2, verbose=0)
assert len(penalized.losses) == 3 and all(float(loss) > 0 for loss in penalized.losses)
assert penalized.get_layer("first").kernel.shape == (20, 16)
print("THEME OK")
