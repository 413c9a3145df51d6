"""Theme: attention. A small encoder-decoder transformer (MultiHeadAttention, masks, a causal
mask, cross-attention scores, layers called with keyword arguments, a learning-rate schedule,
a masked loss), greedy decoding, and Luong attention in a functional model saved as .keras."""

import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(0)
STEPS, VOCAB, START, END = 8, 24, 1, 2
rng = np.random.default_rng(3)
lengths = rng.integers(3, STEPS - 1, size=512)
source = np.zeros((512, STEPS), "int64")
target = np.zeros((512, STEPS + 1), "int64")
for row, length in enumerate(lengths):  # the task: copy the tokens in reverse order
    tokens = rng.integers(3, VOCAB, size=length)
    source[row, :length] = tokens
    target[row, : length + 2] = np.concatenate([[START], tokens[::-1], [END]])
batches = tf.data.Dataset.from_tensor_slices((source, target)).batch(32).map(lambda s, t: ((s, t[:, :-1]), t[:, 1:]))


class Embed(tf.keras.layers.Layer):
    def __init__(self, depth):
        super().__init__()
        self.depth = depth
        self.tokens = tf.keras.layers.Embedding(VOCAB, depth, mask_zero=True)
        angles = np.arange(64)[:, None] / 10000 ** (np.arange(depth // 2)[None, :] / (depth // 2))
        self.positions = tf.cast(np.concatenate([np.sin(angles), np.cos(angles)], axis=-1), tf.float32)

    def compute_mask(self, *args, **kwargs):
        return self.tokens.compute_mask(*args, **kwargs)

    def call(self, x):
        length = tf.shape(x)[1]
        x = self.tokens(x) * tf.math.sqrt(tf.cast(self.depth, tf.float32))
        return x + self.positions[tf.newaxis, :length, :]


class Block(tf.keras.layers.Layer):
    def __init__(self, depth, causal=False, cross=False):
        super().__init__()
        self.causal, self.cross = causal, cross
        self.attention = tf.keras.layers.MultiHeadAttention(num_heads=2, key_dim=depth)
        self.norm = tf.keras.layers.LayerNormalization()
        self.add = tf.keras.layers.Add()
        self.scores = None

    def call(self, x, context=None):
        if self.cross:
            out, self.scores = self.attention(query=x, key=context, value=context, return_attention_scores=True)
        else:
            out = self.attention(query=x, value=x, key=x, use_causal_mask=self.causal)
        return self.norm(self.add([x, out]))


class Translator(tf.keras.Model):
    def __init__(self, depth=16):
        super().__init__()
        self.embed_source, self.embed_target = Embed(depth), Embed(depth)
        self.encoder = Block(depth)
        self.decoder = Block(depth, causal=True)
        self.cross = Block(depth, cross=True)
        self.feed_forward = tf.keras.Sequential(
            [tf.keras.layers.Dense(32, activation="relu"), tf.keras.layers.Dense(depth)]
        )
        self.logits = tf.keras.layers.Dense(VOCAB)

    def call(self, inputs):
        context, x = inputs
        context = self.encoder(self.embed_source(context))
        x = self.cross(x=self.decoder(self.embed_target(x)), context=context)
        return self.logits(x + self.feed_forward(x))


class WarmUp(tf.keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, depth, warmup_steps=40):
        super().__init__()
        self.depth = tf.cast(depth, tf.float32)
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        step = tf.cast(step, tf.float32) + 1.0
        return 0.1 * tf.math.rsqrt(self.depth) * tf.math.minimum(tf.math.rsqrt(step), step * self.warmup_steps**-1.5)


def masked_loss(label, pred):
    mask = tf.cast(label != 0, tf.float32)
    loss = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")(label, pred)
    return tf.reduce_sum(loss * mask) / tf.reduce_sum(mask)


def masked_accuracy(label, pred):
    match = tf.cast(label, tf.int64) == tf.argmax(pred, axis=2)
    mask = label != 0
    return tf.reduce_sum(tf.cast(match & mask, tf.float32)) / tf.reduce_sum(tf.cast(mask, tf.float32))


model = Translator()
(first_source, first_target), _ = next(iter(batches))
assert model((first_source, first_target)).shape == (32, STEPS, VOCAB)
assert model.cross.scores.shape == (32, 2, STEPS, STEPS)  # (batch, heads, target steps, source steps)
model.compile(
    optimizer=tf.keras.optimizers.Adam(WarmUp(16), beta_1=0.9, beta_2=0.98, epsilon=1e-9),
    loss=masked_loss,
    metrics=[masked_accuracy],
)
history = model.fit(batches, epochs=8, verbose=0)
assert history.history["loss"][-1] < 0.8 * history.history["loss"][0], history.history["loss"]

# Greedy decoding, one step at a time: the decoder's layers now see one-step-long sequences.
output = tf.constant([[START]], dtype=tf.int64)
for _ in range(STEPS):
    predicted = tf.argmax(model((source[:1], output), training=False)[:, -1:, :], axis=-1)
    output = tf.concat([output, predicted], axis=-1)
assert output.shape == (1, STEPS + 1)

# Luong attention in a functional model, with a padding mask; saved and loaded as .keras.
tokens = tf.keras.Input(shape=(STEPS,), dtype="int64")
embedded = tf.keras.layers.Embedding(VOCAB, 8, mask_zero=True)(tokens)
attended = tf.keras.layers.Attention(use_scale=True)([embedded, embedded])
pooled = tf.keras.layers.GlobalAveragePooling1D()(attended)
classifier = tf.keras.Model(tokens, tf.keras.layers.Dense(2, activation="softmax")(pooled))
classifier.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
classifier.fit(source, (lengths > 4).astype("int64"), epochs=1, verbose=0)
classifier.save("attention.keras")
restored = tf.keras.models.load_model("attention.keras")
np.testing.assert_allclose(
    restored.predict(source[:4], verbose=0), classifier.predict(source[:4], verbose=0), rtol=1e-5, atol=1e-6
)
print("THEME OK")
