# TensorFlow tutorial "Basic regression: Predict fuel efficiency", without pandas:
# synthetic "Auto MPG"-like NumPy arrays stand in for the dataset.
import matplotlib.pyplot as plt
import numpy as np

np.set_printoptions(precision=3, suppress=True)

import tensorflow as tf

from tensorflow import keras
from tensorflow.keras import layers

print(tf.__version__)

rng = np.random.default_rng(0)
n = 398
cylinders = rng.choice([4, 6, 8], size=n).astype("float32")
displacement = cylinders * 40 + rng.normal(0, 20, n)
horsepower = displacement * 0.5 + rng.normal(0, 10, n)
weight = 1500 + displacement * 6 + rng.normal(0, 200, n)
acceleration = 20 - horsepower / 20 + rng.normal(0, 1, n)
model_year = rng.integers(70, 83, n).astype("float32")
features = np.stack([cylinders, displacement, horsepower, weight, acceleration, model_year], axis=1).astype("float32")
mpg = (50 - horsepower * 0.12 - weight * 0.004 + (model_year - 70) * 0.7 + rng.normal(0, 2, n)).astype("float32")

train_features, test_features = features[:318], features[318:]
train_labels, test_labels = mpg[:318], mpg[318:]

normalizer = tf.keras.layers.Normalization(axis=-1)
normalizer.adapt(np.array(train_features))
print(normalizer.mean.numpy())

first = np.array(train_features[:1])

with np.printoptions(precision=2, suppress=True):
  print('First example:', first)
  print()
  print('Normalized:', normalizer(first).numpy())

train_horsepower = train_features[:, 2]
test_horsepower = test_features[:, 2]

horsepower = np.array(train_horsepower)

horsepower_normalizer = layers.Normalization(input_shape=[1,], axis=None)
horsepower_normalizer.adapt(horsepower)

horsepower_model = tf.keras.Sequential([
    horsepower_normalizer,
    layers.Dense(units=1)
])

horsepower_model.summary()

print(horsepower_model.predict(horsepower[:10]))

horsepower_model.compile(
    optimizer=tf.optimizers.Adam(learning_rate=0.1),
    loss='mean_absolute_error')

history = horsepower_model.fit(
    train_horsepower,
    train_labels,
    epochs=20,
    # Suppress logging.
    verbose=0,
    # Calculate validation results on 20% of the training data.
    validation_split = 0.2)

def plot_loss(history):
  plt.plot(history.history['loss'], label='loss')
  plt.plot(history.history['val_loss'], label='val_loss')
  plt.ylim([0, 10])
  plt.xlabel('Epoch')
  plt.ylabel('Error [MPG]')
  plt.legend()
  plt.grid(True)

plot_loss(history)

test_results = {}

test_results['horsepower_model'] = horsepower_model.evaluate(
    test_horsepower,
    test_labels, verbose=0)

x = tf.linspace(0.0, 250, 251)
y = horsepower_model.predict(x)

def plot_horsepower(x, y):
  plt.scatter(train_horsepower, train_labels, label='Data')
  plt.plot(x, y, color='k', label='Predictions')
  plt.xlabel('Horsepower')
  plt.ylabel('MPG')
  plt.legend()

plot_horsepower(x, y)
print(test_results)
