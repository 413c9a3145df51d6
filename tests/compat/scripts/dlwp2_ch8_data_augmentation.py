# Deep Learning with Python (2nd ed.), chapter 8: the data-augmentation stage of the
# cats-vs-dogs convnet (RandomFlip, RandomRotation, RandomZoom), on random images.
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers
import matplotlib.pyplot as plt

data_augmentation = keras.Sequential(
    [
        layers.RandomFlip("horizontal"),
        layers.RandomRotation(0.1),
        layers.RandomZoom(0.2),
    ]
)

images = np.random.randint(0, 256, size=(9, 64, 64, 3)).astype("float32")
plt.figure(figsize=(10, 10))
for i in range(9):
    augmented_images = data_augmentation(images, training=True)
    ax = plt.subplot(3, 3, i + 1)
    plt.imshow(augmented_images[0].numpy().astype("uint8"))
    plt.axis("off")
plt.savefig("augmented.png")

inputs = keras.Input(shape=(64, 64, 3))
x = data_augmentation(inputs)
x = layers.Rescaling(1./255)(x)
x = layers.Conv2D(filters=16, kernel_size=3, activation="relu")(x)
x = layers.MaxPooling2D(pool_size=2)(x)
x = layers.Flatten()(x)
x = layers.Dropout(0.5)(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
model.fit(images, np.random.randint(0, 2, size=(9,)), epochs=1)
print("augmented model ok")
