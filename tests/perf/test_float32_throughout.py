"""A float32 model computes in float32 end to end: no op output, gradient or optimizer
slot silently becomes float64 (which would halve the speed of every pass over it)."""

import numpy as np
import pytest

import learnet as tf

L = tf.keras.layers


def mlp():
    return tf.Sequential([tf.Input(shape=(20,)), L.Dense(16, activation="relu"), L.Dense(5, activation="softmax")])


def convnet():
    return tf.Sequential(
        [
            tf.Input(shape=(10, 10, 1)),
            L.Conv2D(4, 3, activation="relu"),
            L.MaxPooling2D(2),
            L.Conv2D(8, 3, activation="relu", padding="same"),
            L.MaxPooling2D(2),
            L.Flatten(),
            L.Dropout(0.5),
            L.Dense(5, activation="softmax"),
        ]
    )


@pytest.mark.parametrize(
    "build, optimizer, shape",
    [
        (mlp, "rmsprop", (20,)),
        (convnet, "adam", (10, 10, 1)),
    ],
)
def test_training_step_is_float32_everywhere(build, optimizer, shape):
    rng = np.random.default_rng(0)
    x = rng.random((8,) + shape).astype("float32")
    y = rng.integers(0, 5, 8)
    model = build()
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    with tf.GradientTape(persistent=True) as tape:
        y_pred = model(x, training=True)
        loss = model.compute_loss(x, y, y_pred)
    float_outputs = {note.name: note.output.dtype for note in tape._notes if np.dtype(note.output.dtype).kind == "f"}
    assert float_outputs and set(float_outputs.values()) == {np.dtype("float32")}, float_outputs
    grads = tape.gradient(loss, model.trainable_weights)
    assert {g.dtype for g in grads} == {np.dtype("float32")}

    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert {w.dtype for w in model.weights} == {np.dtype("float32")}
    assert {v.dtype for v in model.optimizer.variables if v.ndim > 0} == {np.dtype("float32")}
    assert model.predict(x, verbose=0).dtype == np.float32
