# TensorFlow tutorial "Basic text classification" (the model part): Embedding,
# GlobalAveragePooling1D, a binary classifier from logits, tf.data pipelines.
# Synthetic integer-encoded reviews stand in for the IMDB text and TextVectorization.
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from tensorflow.keras import layers
from tensorflow.keras import losses

max_features = 1000
sequence_length = 50
rng = np.random.default_rng(3)


def make_reviews(n):
    labels = rng.integers(0, 2, size=n)
    texts = rng.integers(10, max_features, size=(n, sequence_length))
    for i, label in enumerate(labels):
        positions = rng.choice(sequence_length, size=5, replace=False)
        texts[i, positions] = rng.integers(1, 5) if label else rng.integers(5, 10)
    return texts, labels


x_train, y_train = make_reviews(1600)
x_val, y_val = make_reviews(400)
x_test, y_test = make_reviews(400)

AUTOTUNE = tf.data.AUTOTUNE

train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(32)
val_ds = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(32)
test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(32)

train_ds = train_ds.cache().prefetch(buffer_size=AUTOTUNE)
val_ds = val_ds.cache().prefetch(buffer_size=AUTOTUNE)
test_ds = test_ds.cache().prefetch(buffer_size=AUTOTUNE)

embedding_dim = 16

model = tf.keras.Sequential([
  layers.Embedding(max_features + 1, embedding_dim),
  layers.Dropout(0.2),
  layers.GlobalAveragePooling1D(),
  layers.Dropout(0.2),
  layers.Dense(1)])

model.compile(loss=losses.BinaryCrossentropy(from_logits=True),
              optimizer='adam',
              metrics=tf.metrics.BinaryAccuracy(threshold=0.0))

epochs = 5
history = model.fit(
    train_ds,
    validation_data=val_ds,
    epochs=epochs)

model.summary()

loss, accuracy = model.evaluate(test_ds)

print("Loss: ", loss)
print("Accuracy: ", accuracy)

history_dict = history.history
print(history_dict.keys())

acc = history_dict['binary_accuracy']
val_acc = history_dict['val_binary_accuracy']
loss = history_dict['loss']
val_loss = history_dict['val_loss']

epochs = range(1, len(acc) + 1)

# "bo" is for "blue dot"
plt.plot(epochs, loss, 'bo', label='Training loss')
# b is for "solid blue line"
plt.plot(epochs, val_loss, 'b', label='Validation loss')
plt.title('Training and validation loss')
plt.xlabel('Epochs')
plt.ylabel('Loss')
plt.legend()

plt.show()

export_model = tf.keras.Sequential([
  model,
  layers.Activation('sigmoid')
])

export_model.compile(
    loss=losses.BinaryCrossentropy(from_logits=False), optimizer="adam", metrics=['accuracy']
)

# Test it with `raw_ds_test`, which yields raw strings
metrics = export_model.evaluate(x_test, y_test, return_dict=True)
print(metrics)
print("loss decreased:", loss[-1] < loss[0])
