"""Theme: images from class folders (image_dataset_from_directory with a validation split),
class_names, cache/prefetch, Rescaling in map(), random augmentation layers (RandomFlip,
RandomRotation, RandomZoom) in a model, load_img / img_to_array / array_to_img for one picture."""

import os
import struct
import zlib

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


def write_png(path, pixels):
    """A minimal RGB PNG writer (8-bit, no filtering)."""
    height, width, _ = pixels.shape
    raw = b"".join(b"\x00" + pixels[row].astype("uint8").tobytes() for row in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    with open(path, "wb") as handle:
        handle.write(
            b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
        )


tf.keras.utils.set_random_seed(21)  # the same weights and shuffles every run
rng = np.random.default_rng(21)
colours = {"red_things": 0, "green_things": 1, "blue_things": 2}
for folder, channel in colours.items():
    os.makedirs(os.path.join("shapes", folder), exist_ok=True)
    for index in range(20):
        picture = rng.integers(0, 90, size=(20, 24, 3))
        picture[..., channel] += 150
        write_png(os.path.join("shapes", folder, f"pic_{index:02d}.png"), picture)

train_ds = keras.utils.image_dataset_from_directory(
    "shapes", validation_split=0.25, subset="training", seed=4, image_size=(16, 16), batch_size=8
)
val_ds = keras.utils.image_dataset_from_directory(
    "shapes", validation_split=0.25, subset="validation", seed=4, image_size=(16, 16), batch_size=8
)
assert train_ds.class_names == ["blue_things", "green_things", "red_things"]
images, labels = next(iter(train_ds.take(1)))
assert tuple(images.shape) == (8, 16, 16, 3) and tuple(labels.shape) == (8,) and images.dtype == tf.float32
assert sum(int(batch[1].shape[0]) for batch in train_ds) == 45
assert sum(int(batch[1].shape[0]) for batch in val_ds) == 15
rescale = layers.Rescaling(1.0 / 255)
scaled = train_ds.map(lambda x, y: (rescale(x), y))
first_scaled = next(iter(scaled))[0].numpy()
assert 0.0 <= first_scaled.min() and first_scaled.max() <= 1.0
train_ds = train_ds.cache().shuffle(100).prefetch(buffer_size=tf.data.AUTOTUNE)
val_ds = val_ds.cache().prefetch(buffer_size=tf.data.AUTOTUNE)

augment = keras.Sequential(
    [layers.RandomFlip("horizontal", input_shape=(16, 16, 3)), layers.RandomRotation(0.1), layers.RandomZoom(0.1)]
)
batch = images[:4]
assert augment(batch, training=True).shape == (4, 16, 16, 3)
assert np.array_equal(augment(batch, training=False).numpy(), batch.numpy())  # inactive at inference
model = keras.Sequential(
    [
        augment,
        layers.Rescaling(1.0 / 255),
        layers.Conv2D(8, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Dropout(0.2),
        layers.Flatten(),
        layers.Dense(3),
    ]
)
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
history = model.fit(train_ds, validation_data=val_ds, epochs=12, verbose=0)
assert history.history["val_accuracy"][-1] > 0.6, history.history["val_accuracy"]

one = keras.utils.load_img(os.path.join("shapes", "green_things", "pic_00.png"), target_size=(16, 16))
array = keras.utils.img_to_array(one)
assert array.shape == (16, 16, 3) and array.dtype == np.float32
scores = tf.nn.softmax(model.predict(tf.expand_dims(array, 0), verbose=0)[0])
assert scores.shape == (3,) and abs(float(tf.reduce_sum(scores)) - 1.0) < 1e-5
back = keras.utils.array_to_img(array / 255.0, scale=True)
assert back.size == (16, 16)
print("THEME OK")
