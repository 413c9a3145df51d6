# TensorFlow tutorial "Basic regression": the linear model and the DNN on all features, with a
# Normalization layer (synthetic NumPy data stand in for the Auto MPG dataset).
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from tensorflow import keras
from tensorflow.keras import layers

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

linear_model = tf.keras.Sequential([
    normalizer,
    layers.Dense(units=1)
])

print(linear_model.predict(train_features[:10]))
print(linear_model.layers[1].kernel)

linear_model.compile(
    optimizer=tf.keras.optimizers.Adam(learning_rate=0.1),
    loss='mean_absolute_error')

history = linear_model.fit(
    train_features,
    train_labels,
    epochs=30,
    # Suppress logging.
    verbose=0,
    # Calculate validation results on 20% of the training data.
    validation_split = 0.2)

test_results = {}
test_results['linear_model'] = linear_model.evaluate(
    test_features, test_labels, verbose=0)


def build_and_compile_model(norm):
  model = keras.Sequential([
      norm,
      layers.Dense(64, activation='relu'),
      layers.Dense(64, activation='relu'),
      layers.Dense(1)
  ])

  model.compile(loss='mean_absolute_error',
                optimizer=tf.keras.optimizers.Adam(0.001))
  return model


dnn_model = build_and_compile_model(normalizer)
dnn_model.summary()

history = dnn_model.fit(
    train_features,
    train_labels,
    validation_split=0.2,
    verbose=0, epochs=30)

test_results['dnn_model'] = dnn_model.evaluate(test_features, test_labels, verbose=0)
print(test_results)

test_predictions = dnn_model.predict(test_features).flatten()

a = plt.axes(aspect='equal')
plt.scatter(test_labels, test_predictions)
plt.xlabel('True Values [MPG]')
plt.ylabel('Predictions [MPG]')
lims = [0, 50]
plt.xlim(lims)
plt.ylim(lims)
_ = plt.plot(lims, lims)

error = test_predictions - test_labels
plt.hist(error, bins=25)
plt.xlabel('Prediction Error [MPG]')
_ = plt.ylabel('Count')

dnn_model.save('dnn_model.keras')
reloaded = tf.keras.models.load_model('dnn_model.keras')

test_results['reloaded'] = reloaded.evaluate(
    test_features, test_labels, verbose=0)
print("dnn mae %.3f reloaded mae %.3f" % (test_results['dnn_model'], test_results['reloaded']))
