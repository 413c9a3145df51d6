"""Theme: training deeper nets: initializers (he_normal, VarianceScaling), LeakyReLU and PReLU,
BatchNormalization before the activation, gradient clipping, momentum / Nesterov and the
adaptive optimizers with their hyperparameters, clone_model for transfer learning, a
learning-rate callback on validation loss, max-norm constraints and Monte Carlo dropout."""

import numpy as np
import tensorflow as tf
from tensorflow import keras

tf.keras.utils.set_random_seed(30)  # the same weights and shuffles every run
rng = np.random.default_rng(30)
patches = rng.normal(size=(600, 6, 6)).astype("float32")
classes = (patches[:, :, :3].sum(axis=(1, 2)) > 0).astype("int64") + 2 * (patches[:, :3].sum(axis=(1, 2)) > 0)
train_x, valid_x, train_y, valid_y = patches[:500], patches[500:], classes[:500], classes[500:]

public_initializers = [name for name in dir(keras.initializers) if not name.startswith("_")]
assert {"HeNormal", "GlorotUniform", "VarianceScaling", "Zeros"} <= set(public_initializers)
assert {"relu", "elu", "selu", "sigmoid"} <= {m for m in dir(keras.activations) if not m.startswith("_")}
assert {"LeakyReLU", "PReLU", "ReLU"} <= {m for m in dir(keras.layers) if "relu" in m.lower()}
fan_avg = keras.initializers.VarianceScaling(scale=2.0, mode="fan_avg", distribution="uniform")
drawn = fan_avg((200, 300)).numpy()
limit = np.sqrt(3 * 2.0 / ((200 + 300) / 2))
assert drawn.max() <= limit and drawn.min() >= -limit and abs(drawn.std() - limit / np.sqrt(3)) < 0.01


def deep_model(optimizer):
    model = keras.Sequential(
        [
            keras.layers.Flatten(input_shape=[6, 6]),
            keras.layers.Dense(32, kernel_initializer="he_normal"),
            keras.layers.LeakyReLU(negative_slope=0.2),
            keras.layers.Dense(32, kernel_initializer=fan_avg, use_bias=False),
            keras.layers.BatchNormalization(),
            keras.layers.Activation("relu"),
            keras.layers.Dense(32, kernel_initializer="he_normal"),
            keras.layers.PReLU(),
            keras.layers.Dense(4, activation="softmax"),
        ]
    )
    model.compile(loss="sparse_categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    return model


optimizers = [
    keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True),
    keras.optimizers.SGD(learning_rate=0.01, clipvalue=1.0),
    keras.optimizers.SGD(learning_rate=0.01, clipnorm=1.0),
    keras.optimizers.Adagrad(learning_rate=0.05),
    keras.optimizers.RMSprop(learning_rate=0.005, rho=0.9),
    keras.optimizers.Adam(learning_rate=0.005, beta_1=0.9, beta_2=0.999),
    keras.optimizers.Adamax(learning_rate=0.005, beta_1=0.9, beta_2=0.999),
    keras.optimizers.Nadam(learning_rate=0.005, beta_1=0.9, beta_2=0.999),
]
for optimizer in optimizers:
    model = deep_model(optimizer)
    history = model.fit(train_x, train_y, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0], type(optimizer).__name__
assert float(optimizers[0].momentum) == 0.9 and optimizers[0].nesterov
assert model.evaluate(valid_x, valid_y, verbose=0)[1] > 0.4

# transfer learning: clone, copy the weights, reuse all but the output layer
clone = keras.models.clone_model(model)
clone.set_weights(model.get_weights())
assert all(np.array_equal(a, b) for a, b in zip(clone.get_weights(), model.get_weights()))
assert clone.layers[1] is not model.layers[1]
reused = keras.Sequential(clone.layers[:-1] + [keras.layers.Dense(1, activation="sigmoid")])
for layer in reused.layers[:-1]:
    layer.trainable = False
reused.compile(loss="binary_crossentropy", optimizer="sgd", metrics=["accuracy"])
reused.fit(train_x, (train_y % 2).astype("float32"), epochs=1, verbose=0)
assert np.array_equal(clone.layers[1].get_weights()[0], model.layers[1].get_weights()[0])

# reduce the learning rate when validation stalls; max-norm kernels; MC dropout
plateau = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=0, min_delta=10.0)
constrained = keras.Sequential(
    [
        keras.layers.Flatten(input_shape=[6, 6]),
        keras.layers.Dense(
            32, activation="relu", kernel_initializer="he_normal", kernel_constraint=keras.constraints.max_norm(1.0)
        ),
        keras.layers.Dropout(rate=0.3),
        keras.layers.Dense(4, activation="softmax"),
    ]
)
constrained.compile(
    loss="sparse_categorical_crossentropy",
    optimizer=keras.optimizers.SGD(learning_rate=0.02, momentum=0.9),
    metrics=["accuracy"],
)
constrained.fit(train_x, train_y, epochs=3, verbose=0, validation_data=(valid_x, valid_y), callbacks=[plateau])
assert np.isclose(float(constrained.optimizer.learning_rate), 0.02 * 0.5**2)  # the first epoch sets the best value
assert np.all(np.linalg.norm(constrained.layers[1].kernel.numpy(), axis=0) <= 1.0 + 1e-5)
samples = np.stack([constrained(valid_x[:10], training=True).numpy() for _ in range(20)])
assert samples.std(axis=0).max() > 0  # dropout stays on with training=True
assert np.allclose(constrained(valid_x[:10]).numpy(), constrained(valid_x[:10]).numpy())


class AlwaysDropout(keras.layers.Dropout):
    def call(self, inputs, training=None):
        return super().call(inputs, training=True)


mc_model = keras.Sequential(
    [AlwaysDropout(layer.rate) if isinstance(layer, keras.layers.Dropout) else layer for layer in constrained.layers]
)
runs = np.stack([mc_model.predict(valid_x[:10], verbose=0) for _ in range(10)])
assert runs.std(axis=0).max() > 0 and np.allclose(runs.mean(axis=0).sum(axis=1), 1.0, atol=1e-5)
print("THEME OK")
