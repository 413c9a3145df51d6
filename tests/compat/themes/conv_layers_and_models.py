"""Theme: convnet building blocks and what is done with them: Conv2D with strides, padding,
use_bias and names, pooling with padding, BatchNormalization + Activation, a residual add,
GlobalMaxPooling2D, an encoder/decoder with Conv2DTranspose, UpSampling2D and Reshape,
LeakyReLU, a named Sequential grown with add() and trimmed with pop(), a feature extractor
from layer outputs, frozen layers, and Embedding + average + Concatenate in a functional model."""

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

tf.keras.utils.set_random_seed(12)  # the same weights and shuffles every run
rng = np.random.default_rng(12)
pictures = rng.random((96, 16, 16, 1)).astype("float32")
kinds = (pictures[:, :8].mean(axis=(1, 2, 3)) > pictures[:, 8:].mean(axis=(1, 2, 3))).astype("int64")

inputs = keras.Input(shape=(16, 16, 1))
x = layers.Rescaling(2.0)(inputs)
x = layers.Conv2D(filters=8, kernel_size=3, padding="same", use_bias=False)(x)
x = layers.BatchNormalization()(x)
x = layers.Activation("relu")(x)
residual = x
x = layers.Conv2D(filters=8, kernel_size=3, padding="same", activation="relu")(x)
x = layers.add([x, residual])
x = layers.MaxPooling2D(pool_size=3, strides=2, padding="same")(x)
assert tuple(x.shape) == (None, 8, 8, 8)
x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(x)
assert tuple(x.shape) == (None, 4, 4, 16)
x = layers.GlobalMaxPooling2D()(x)
outputs = layers.Dense(2, activation="softmax")(x)
classifier = keras.Model(inputs, outputs, name="small_resnet")
assert classifier.name == "small_resnet"
classifier.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = classifier.fit(pictures, kinds, epochs=4, batch_size=16, verbose=0)
assert history.history["loss"][-1] < history.history["loss"][0]

# an autoencoder: down with strides, up with Conv2DTranspose and UpSampling2D
encoder_in = keras.Input(shape=(16, 16, 1), name="picture")
code = layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")(encoder_in)
code = layers.Flatten()(code)
decoder = layers.Reshape((8, 8, 4))(code)
decoder = layers.Conv2DTranspose(4, 3, strides=2, padding="same", activation="relu")(decoder)
assert tuple(decoder.shape) == (None, 16, 16, 4)
small = layers.MaxPooling2D(2)(decoder)
decoder = layers.UpSampling2D(2)(small)
decoded = layers.Conv2DTranspose(1, 3, padding="same", activation="sigmoid")(decoder)
autoencoder = keras.Model(encoder_in, decoded, name="autoencoder")
assert autoencoder.output_shape == (None, 16, 16, 1)
autoencoder.compile(optimizer="adam", loss="mse")
autoencoder.fit(pictures, pictures, epochs=1, batch_size=32, verbose=0)

# a named Sequential grown with add(), trimmed with pop(), read layer by layer
stack = keras.Sequential(name="growing")
stack.add(keras.Input(shape=(16, 16, 1)))
stack.add(layers.Conv2D(6, 5, strides=2, activation="relu", name="first_conv"))
stack.add(layers.Conv2D(6, 3, activation="relu", name="second_conv"))
stack.add(layers.MaxPooling2D(2))
stack.add(layers.Dense(3))
assert stack.name == "growing" and len(stack.layers) == 4
stack.pop()
assert len(stack.layers) == 3 and stack.output_shape == (None, 2, 2, 6)
stack.add(layers.GlobalMaxPooling2D())
stack.add(layers.Dense(2))
assert stack.get_layer(name="first_conv").output.shape[1:] == (6, 6, 6)
extractor = keras.Model(inputs=stack.inputs, outputs=[layer.output for layer in stack.layers])
features = extractor(pictures[:2])
assert len(features) == 5 and features[0].shape == (2, 6, 6, 6)
only_second = keras.Model(inputs=stack.inputs, outputs=stack.get_layer(name="second_conv").output)
assert only_second(pictures[:2]).shape == (2, 4, 4, 6)

# transfer-learning style: freeze every layer but the last, train, compare
for layer in stack.layers[:-1]:
    layer.trainable = False
before = [layer.get_weights() for layer in stack.layers]
stack.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
stack.fit(pictures, kinds, epochs=1, verbose=0)
after = [layer.get_weights() for layer in stack.layers]
frozen_same = all(np.array_equal(a, b) for old, new in zip(before[:-1], after[:-1]) for a, b in zip(old, new))
assert frozen_same and not np.array_equal(before[-1][0], after[-1][0])

# a generator-like block with LeakyReLU; integer tokens through Embedding, average of two views
noise_to_image = keras.Sequential(
    [
        keras.Input(shape=(8,)),
        layers.Dense(4 * 4 * 8),
        layers.LeakyReLU(0.2),
        layers.Reshape((4, 4, 8)),
        layers.Conv2DTranspose(8, 4, strides=2, padding="same"),
        layers.LeakyReLU(0.2),
        layers.Conv2D(1, 3, padding="same", activation="sigmoid"),
    ],
    name="maker",
)
assert noise_to_image(tf.random.normal(shape=(3, 8))).shape == (3, 8, 8, 1)
tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
embedded = layers.Embedding(50, 8)(tokens)
pooled = layers.GlobalAveragePooling1D()(embedded)
view_a, view_b = layers.Dense(4)(pooled), layers.Dense(4)(pooled)
merged = layers.Concatenate()([layers.average([view_a, view_b]), pooled])
text_model = keras.Model(tokens, layers.Dense(1)(merged), name="text_model")
assert text_model(np.array([[1, 4, 9], [2, 2, 0]])).shape == (2, 1)
print("THEME OK")
