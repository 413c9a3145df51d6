"""Theme: structured data. Text, integer and number columns in a dict; StringLookup,
IntegerLookup, CategoryEncoding, Discretization and Normalization adapted on the data
(arrays and a tf.data pipeline); a functional model with named inputs of each kind; fit and
evaluate on a Dataset of dicts, predict on a dict of tensors."""

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(7)
n = 400
columns = {
    "city": rng.choice(["north", "south", "east", "west"], size=n).astype(object),
    "rooms": rng.integers(1, 6, size=n),
    "area": rng.normal(80.0, 25.0, size=n).astype("float32"),
    "age": rng.uniform(0.0, 60.0, size=n).astype("float32"),
}
labels = ((columns["city"] == "north") | (columns["rooms"] >= 4)).astype("int64")

# The layers on their own, as the preprocessing guide shows them.
cities = layers.StringLookup()
cities.adapt(columns["city"])
assert cities.vocabulary_size() == 5 and cities.get_vocabulary()[0] == "[UNK]"
assert cities(["north", "nowhere"]).numpy().tolist()[1] == 0
back = layers.StringLookup(vocabulary=cities.get_vocabulary()[1:], invert=True)
assert back(cities(["east"])).numpy().tolist() == [b"east"]
rooms = layers.IntegerLookup(output_mode="one_hot")
rooms.adapt(columns["rooms"])
assert rooms([3]).shape == (1, 6)
encoded = layers.CategoryEncoding(num_tokens=4, output_mode="multi_hot")([[0, 3], [1, 1]])
assert encoded.numpy().tolist() == [[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 0.0]]
bins = layers.Discretization(num_bins=4)
bins.adapt(columns["age"])
assert sorted(set(bins(columns["age"]).numpy().tolist())) == [0, 1, 2, 3]

# The pipeline of the structured-data tutorials: a dict of columns in a Dataset.
dataset = tf.data.Dataset.from_tensor_slices((dict(columns), labels))
for features, label in dataset.take(1):
    assert features["city"].dtype == "string" and features["rooms"].dtype != "string"
area_normalizer = layers.Normalization()
area_normalizer.adapt(dataset.map(lambda x, y: tf.expand_dims(x["area"], -1)))
age_bins = layers.Discretization(num_bins=3, output_mode="one_hot")
age_bins.adapt(dataset.map(lambda x, y: x["age"]).batch(64))

inputs = {
    "city": keras.Input(shape=(1,), name="city", dtype="string"),
    "rooms": keras.Input(shape=(1,), name="rooms", dtype="int64"),
    "area": keras.Input(shape=(1,), name="area"),
    "age": keras.Input(shape=(1,), name="age"),
}
city_encoder = layers.StringLookup(vocabulary=["north", "south", "east", "west"], output_mode="one_hot")
room_encoder = layers.IntegerLookup(vocabulary=[1, 2, 3, 4, 5], output_mode="one_hot")
features = layers.concatenate(
    [
        city_encoder(inputs["city"]),
        room_encoder(inputs["rooms"]),
        area_normalizer(inputs["area"]),
        age_bins(inputs["age"]),
    ]
)
hidden = layers.Dense(16, activation="relu")(features)
model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(hidden))
model.compile(optimizer=keras.optimizers.Adam(0.02), loss="binary_crossentropy", metrics=["accuracy"])
table = {name: values.reshape(-1, 1) for name, values in columns.items()}
train = tf.data.Dataset.from_tensor_slices((table, labels)).shuffle(n).batch(32)
history = model.fit(train, epochs=15, verbose=0)
assert history.history["accuracy"][-1] > 0.9, history.history["accuracy"]
loss, accuracy = model.evaluate(tf.data.Dataset.from_tensor_slices((table, labels)).batch(50), verbose=0)
assert accuracy > 0.9
sample = {
    "city": tf.constant([["north"]]),
    "rooms": tf.constant([[1]], dtype=tf.int64),
    "area": tf.constant([[70.0]]),
    "age": tf.constant([[10.0]]),
}
assert model.predict(sample, verbose=0)[0, 0] > 0.5
print("THEME OK")
