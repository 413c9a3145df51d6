# TensorFlow tutorial "Overfit and underfit" (condensed): a learning-rate schedule, EarlyStopping
# on a metric, L2 regularization and dropout, a repeated tf.data pipeline with steps_per_epoch.
# Synthetic features stand in for the Higgs dataset.
import numpy as np
import tensorflow as tf

from tensorflow.keras import layers
from tensorflow.keras import regularizers

import matplotlib.pyplot as plt

print(tf.__version__)

FEATURES = 28
N_VALIDATION = 500
N_TRAIN = 2000
BUFFER_SIZE = N_TRAIN
BATCH_SIZE = 250
STEPS_PER_EPOCH = N_TRAIN//BATCH_SIZE

rng = np.random.default_rng(1)
features = rng.normal(size=(N_TRAIN + N_VALIDATION, FEATURES)).astype("float32")
labels = ((features[:, 0] * features[:, 1] + features[:, 2] + 0.5 * rng.normal(size=len(features))) > 0).astype("float32")

packed_ds = tf.data.Dataset.from_tensor_slices((features, labels))

validate_ds = packed_ds.take(N_VALIDATION).cache()
train_ds = packed_ds.skip(N_VALIDATION).take(N_TRAIN).cache()

for features_batch, label in train_ds.batch(1000).take(1):
  print(features_batch.shape, label.shape)

validate_ds = validate_ds.batch(BATCH_SIZE)
train_ds = train_ds.shuffle(BUFFER_SIZE).repeat().batch(BATCH_SIZE)

lr_schedule = tf.keras.optimizers.schedules.InverseTimeDecay(
  0.001,
  decay_steps=STEPS_PER_EPOCH*1000,
  decay_rate=1,
  staircase=False)

def get_optimizer():
  return tf.keras.optimizers.Adam(lr_schedule)

step = np.linspace(0,100000)
lr = lr_schedule(step)
plt.figure(figsize = (8,6))
plt.plot(step/STEPS_PER_EPOCH, lr)
plt.ylim([0,max(plt.ylim())])
plt.xlabel('Epoch')
_ = plt.ylabel('Learning Rate')

def get_callbacks(name):
  return [
    tf.keras.callbacks.EarlyStopping(monitor='val_binary_crossentropy', patience=200),
  ]

def compile_and_fit(model, name, optimizer=None, max_epochs=10):
  if optimizer is None:
    optimizer = get_optimizer()
  model.compile(optimizer=optimizer,
                loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
                metrics=[
                  tf.keras.metrics.BinaryCrossentropy(
                      from_logits=True, name='binary_crossentropy'),
                  'accuracy'])

  model.summary()

  history = model.fit(
    train_ds,
    steps_per_epoch = STEPS_PER_EPOCH,
    epochs=max_epochs,
    validation_data=validate_ds,
    callbacks=get_callbacks(name),
    verbose=0)
  return history

tiny_model = tf.keras.Sequential([
    layers.Dense(16, activation='elu', input_shape=(FEATURES,)),
    layers.Dense(1)
])

size_histories = {}
size_histories['Tiny'] = compile_and_fit(tiny_model, 'sizes/Tiny')

small_model = tf.keras.Sequential([
    # `input_shape` is only required here so that `.summary` works.
    layers.Dense(16, activation='elu', input_shape=(FEATURES,)),
    layers.Dense(16, activation='elu'),
    layers.Dense(1)
])
size_histories['Small'] = compile_and_fit(small_model, 'sizes/Small')

l2_model = tf.keras.Sequential([
    layers.Dense(64, activation='elu',
                 kernel_regularizer=regularizers.l2(0.001),
                 input_shape=(FEATURES,)),
    layers.Dense(64, activation='elu',
                 kernel_regularizer=regularizers.l2(0.001)),
    layers.Dense(1)
])

regularizer_histories = {}
regularizer_histories['l2'] = compile_and_fit(l2_model, "regularizers/l2")

result = l2_model(features[:3])
regularization_loss=tf.add_n(l2_model.losses)

dropout_model = tf.keras.Sequential([
    layers.Dense(64, activation='elu', input_shape=(FEATURES,)),
    layers.Dropout(0.5),
    layers.Dense(64, activation='elu'),
    layers.Dropout(0.5),
    layers.Dense(1)
])

regularizer_histories['dropout'] = compile_and_fit(dropout_model, "regularizers/dropout")

for name, history in {**size_histories, **regularizer_histories}.items():
  plt.plot(history.epoch, history.history['val_binary_crossentropy'], label=name)
plt.legend()

print("tiny val accuracy: %.3f" % size_histories['Tiny'].history['val_accuracy'][-1])
print("regularization loss: %.4f" % float(regularization_loss))
