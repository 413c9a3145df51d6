"""Theme: training by hand, further: random batches, the model's own losses added to the
loss, constraints applied after each step, Mean / MeanAbsoluteError trackers reset per
epoch, a loop step inside tf.function, a train_step that calls compute_loss and updates the
compiled metrics (and its tf.keras 2 spelling with compiled_loss), and a two-player (GAN-style) train_step with two optimizers."""

import numpy as np
import tensorflow as tf
from tensorflow import keras

tf.keras.utils.set_random_seed(70)  # the same weights and shuffles every run
rng = np.random.default_rng(70)
x = rng.normal(size=(512, 4)).astype("float32")
y = (x @ np.array([[1.0], [0.5], [-1.0], [2.0]], "float32") + 0.3).astype("float32")

model = keras.Sequential(
    [
        keras.Input(shape=(4,)),
        keras.layers.Dense(
            16, activation="elu", kernel_initializer="he_normal", kernel_regularizer=keras.regularizers.l2(0.01)
        ),
        keras.layers.Dense(1, kernel_constraint=keras.constraints.MaxNorm(3.0)),
    ]
)
optimizer = keras.optimizers.Nadam(learning_rate=0.01)
mean_loss = keras.metrics.Mean(name="mean_loss")
metrics = [keras.metrics.MeanAbsoluteError()]


def random_batch(size=32):
    index = rng.integers(len(x), size=size)
    return x[index], y[index]


epoch_errors = []
for epoch in range(4):
    for step in range(16):
        x_batch, y_batch = random_batch()
        with tf.GradientTape() as tape:
            prediction = model(x_batch, training=True)
            main_loss = keras.losses.MeanSquaredError()(y_batch, prediction)
            loss = tf.add_n([main_loss] + model.losses)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        for variable in model.variables:
            if getattr(variable, "constraint", None) is not None:
                variable.assign(variable.constraint(variable))
        mean_loss(loss)
        for metric in metrics:
            metric(y_batch, prediction)
    epoch_errors.append(float(metrics[0].result()))
    for metric in [mean_loss] + metrics:
        metric.reset_state()
assert epoch_errors[-1] < epoch_errors[0] and float(mean_loss.result()) == 0.0
assert np.linalg.norm(model.layers[-1].kernel.numpy(), axis=0).max() <= 3.0 + 1e-5


step_accuracy = keras.metrics.SparseCategoricalAccuracy(name="step_accuracy")
classifier = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])
classify_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
classify_optimizer = keras.optimizers.Adam(0.05)
kinds = np.digitize(y[:, 0], [-1.0, 1.0]).astype("int64")


@tf.function
def classify_step(features, labels):
    with tf.GradientTape() as tape:
        logits = classifier(features, training=True)
        loss = classify_loss(labels, logits)
    grads = tape.gradient(loss, classifier.trainable_variables)
    classify_optimizer.apply_gradients(zip(grads, classifier.trainable_variables))
    step_accuracy.update_state(labels, logits)
    return loss


for features, labels in tf.data.Dataset.from_tensor_slices((x, kinds)).shuffle(buffer_size=512).batch(64).repeat(5):
    classify_step(features, labels)
assert step_accuracy.result() > 0.6 and step_accuracy.name == "step_accuracy"


class StepWithCompiledParts(keras.Model):
    def train_step(self, data):
        inputs, targets = data
        with tf.GradientTape() as tape:
            predictions = self(inputs, training=True)
            loss = self.compute_loss(x=inputs, y=targets, y_pred=predictions)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(targets, predictions)
        return {m.name: m.result() for m in self.metrics}


entry = keras.Input(shape=(4,))
custom = StepWithCompiledParts(entry, keras.layers.Dense(1)(entry))
custom.compile(optimizer="adam", loss="mse", metrics=["mae"])
history = custom.fit(x, y, epochs=3, verbose=0)
assert "loss" in history.history and history.history["loss"][-1] < history.history["loss"][0]


class StepWithKeras2Names(keras.Model):
    """The tf.keras 2 spelling of the same step, which TensorFlow 2.21 still accepts."""

    def train_step(self, data):
        inputs, targets = data
        with tf.GradientTape() as tape:
            predictions = self(inputs, training=True)
            loss = self.compiled_loss(targets, predictions, regularization_losses=self.losses)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.compiled_metrics.update_state(targets, predictions)
        return {m.name: m.result() for m in self.metrics}


older = StepWithKeras2Names(entry, keras.layers.Dense(1, kernel_regularizer="l2")(entry))
older.compile(optimizer="sgd", loss="mse", metrics=["mae"])
history = older.fit(x, y, epochs=3, verbose=0)
assert history.history["mae"][-1] < history.history["mae"][0]


class TinyGAN(keras.Model):
    def __init__(self, critic, maker, code_size):
        super().__init__()
        self.critic, self.maker, self.code_size = critic, maker, code_size
        self.critic_loss_tracker = keras.metrics.Mean(name="critic_loss")
        self.maker_loss_tracker = keras.metrics.Mean(name="maker_loss")

    @property
    def metrics(self):
        return [self.critic_loss_tracker, self.maker_loss_tracker]

    def compile(self, critic_optimizer, maker_optimizer, loss_fn):
        super().compile()
        self.critic_optimizer, self.maker_optimizer, self.loss_fn = critic_optimizer, maker_optimizer, loss_fn

    def train_step(self, real):
        batch = tf.shape(real)[0]
        fake = self.maker(tf.random.normal(shape=(batch, self.code_size)))
        both = tf.concat([fake, real], axis=0)
        labels = tf.concat([tf.ones((batch, 1)), tf.zeros((batch, 1))], axis=0)
        with tf.GradientTape() as tape:
            critic_loss = self.loss_fn(labels, self.critic(both))
        grads = tape.gradient(critic_loss, self.critic.trainable_weights)
        self.critic_optimizer.apply_gradients(zip(grads, self.critic.trainable_weights))
        with tf.GradientTape() as tape:
            judged = self.critic(self.maker(tf.random.normal(shape=(batch, self.code_size))))
            maker_loss = self.loss_fn(tf.zeros((batch, 1)), judged)
        grads = tape.gradient(maker_loss, self.maker.trainable_weights)
        self.maker_optimizer.apply_gradients(zip(grads, self.maker.trainable_weights))
        self.critic_loss_tracker.update_state(critic_loss)
        self.maker_loss_tracker.update_state(maker_loss)
        return {"critic_loss": self.critic_loss_tracker.result(), "maker_loss": self.maker_loss_tracker.result()}


critic = keras.Sequential(
    [keras.Input(shape=(6,)), keras.layers.Dense(8), keras.layers.LeakyReLU(0.2), keras.layers.Dense(1)], name="critic"
)
maker = keras.Sequential(
    [keras.Input(shape=(3,)), keras.layers.Dense(8), keras.layers.LeakyReLU(0.2), keras.layers.Dense(6)], name="maker"
)
gan = TinyGAN(critic, maker, code_size=3)
gan.compile(
    keras.optimizers.Adam(learning_rate=0.001),
    keras.optimizers.Adam(learning_rate=0.001),
    keras.losses.BinaryCrossentropy(from_logits=True),
)
real = tf.data.Dataset.from_tensor_slices(rng.normal(1.0, 0.2, size=(128, 6)).astype("float32")).batch(32)
history = gan.fit(real, epochs=2, verbose=0)
assert sorted(history.history) == ["critic_loss", "maker_loss"] and len(history.history["maker_loss"]) == 2
assert gan.maker(tf.random.normal(shape=(5, 3))).shape == (5, 6)
print("THEME OK")
