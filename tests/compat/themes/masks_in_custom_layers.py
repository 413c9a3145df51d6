"""Theme: masks through layers of one's own in a functional model: a layer that makes a mask
(compute_mask), layers whose call takes `mask` (so it reaches them while the graph is built and
when it runs), a model nested in a model, and text vectorized inside a tf.data pipeline."""

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers, ops

keras.utils.set_random_seed(1)


class TokensAndPlaces(layers.Layer):
    def __init__(self, steps, vocabulary, depth, **kwargs):
        super().__init__(**kwargs)
        self.tokens = layers.Embedding(vocabulary, depth)
        self.places = layers.Embedding(steps, depth)

    def call(self, inputs):
        return self.tokens(inputs) + self.places(ops.arange(ops.shape(inputs)[-1]))

    def compute_mask(self, inputs, mask=None):
        return ops.not_equal(inputs, 0)


class Mixer(layers.Layer):
    def __init__(self, depth, **kwargs):
        super().__init__(**kwargs)
        self.attention = layers.MultiHeadAttention(num_heads=2, key_dim=depth)
        self.norm = layers.LayerNormalization()
        self.supports_masking = True

    def call(self, inputs, context, mask=None):
        steps = ops.shape(inputs)[1]
        causal = ops.cast(ops.arange(steps)[:, None] >= ops.arange(steps), "int32")[None]
        allowed = causal if mask is None else ops.minimum(ops.cast(mask[:, None, :], "int32"), causal)
        seen = self.attention(query=inputs, value=context, key=context, attention_mask=allowed)
        return self.norm(inputs + seen)


words = keras.layers.TextVectorization(max_tokens=30, output_sequence_length=6)
sentences = ["red cat sat", "blue dog ran far", "red dog sat", "a blue cat ran far away"]
words.adapt(sentences)
data = tf.data.Dataset.from_tensor_slices((sentences * 8, [0, 1, 0, 1] * 8)).batch(4).map(lambda x, y: (words(x), y))

tokens = keras.Input(shape=(None,), dtype="int64")
placed = TokensAndPlaces(6, 30, 8)(tokens)
assert placed._keras_mask is not None  # the mask of a symbolic tensor, as Keras shows it
inner_in = keras.Input(shape=(None, 8))
inner = keras.Model(inner_in, layers.GlobalAveragePooling1D()(inner_in))
mixed = Mixer(8)(placed, placed)
model = keras.Model(tokens, layers.Dense(2, activation="softmax")(inner(mixed)))
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(data, epochs=8, verbose=0)
assert history.history["loss"][-1] < history.history["loss"][0]
predictions = model.predict(words(tf.constant(["red cat", "blue dog ran far"])), verbose=0)
assert predictions.shape == (2, 2)
np.testing.assert_allclose(predictions.sum(axis=1), 1.0, rtol=1e-5)
print("THEME OK")
