# TensorFlow tutorial "Image classification": overfitting, data augmentation and dropout, on a small folder of Fashion-MNIST
# pictures that this script writes first (the flowers archive is not available offline).
import matplotlib.pyplot as plt
import numpy as np
import PIL
import tensorflow as tf
import pathlib
import os

from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras.models import Sequential

# --- setup: data/<class>/<n>.png, like the extracted flower_photos folder ---
(x, y), _ = keras.datasets.fashion_mnist.load_data()
folders = {0: "t_shirt", 1: "trouser", 7: "sneaker"}
for label, folder in folders.items():
    os.makedirs(os.path.join("data", folder), exist_ok=True)
    for i, image in enumerate(x[y == label][:60]):
        rgb = np.repeat(image[:, :, None], 3, axis=-1)
        PIL.Image.fromarray(rgb).save(os.path.join("data", folder, f"{i}.png"))
data_dir = pathlib.Path("data")

image_count = len(list(data_dir.glob('*/*.png')))
print(image_count)

sneakers = list(data_dir.glob('sneaker/*'))
PIL.Image.open(str(sneakers[0]))

batch_size = 32
img_height = 32
img_width = 32

train_ds = tf.keras.utils.image_dataset_from_directory(
  data_dir,
  validation_split=0.2,
  subset="training",
  seed=123,
  image_size=(img_height, img_width),
  batch_size=batch_size)

val_ds = tf.keras.utils.image_dataset_from_directory(
  data_dir,
  validation_split=0.2,
  subset="validation",
  seed=123,
  image_size=(img_height, img_width),
  batch_size=batch_size)

class_names = train_ds.class_names
print(class_names)

class_names = train_ds.class_names
num_classes = len(class_names)

data_augmentation = keras.Sequential(
  [
    layers.RandomFlip("horizontal",
                      input_shape=(img_height,
                                  img_width,
                                  3)),
    layers.RandomRotation(0.1),
    layers.RandomZoom(0.1),
  ]
)

model = Sequential([
  data_augmentation,
  layers.Rescaling(1./255),
  layers.Conv2D(8, 3, padding='same', activation='relu'),
  layers.MaxPooling2D(),
  layers.Dropout(0.2),
  layers.Flatten(),
  layers.Dense(32, activation='relu'),
  layers.Dense(num_classes, name="outputs")
])

model.compile(optimizer='adam',
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=['accuracy'])
history = model.fit(train_ds, validation_data=val_ds, epochs=2)

print("validation accuracy: %.3f" % history.history['val_accuracy'][-1])
