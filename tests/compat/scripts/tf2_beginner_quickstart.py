# TensorFlow 2 quickstart for beginners (tensorflow.org/tutorials/quickstart/beginner)
import tensorflow as tf
print("TensorFlow version:", tf.__version__)

mnist = tf.keras.datasets.mnist

(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train, x_test = x_train / 255.0, x_test / 255.0
# (smaller slices so that the lesson runs in seconds)
x_train, y_train = x_train[:3000], y_train[:3000]
x_test, y_test = x_test[:1000], y_test[:1000]

model = tf.keras.models.Sequential([
  tf.keras.layers.Flatten(input_shape=(28, 28)),
  tf.keras.layers.Dense(128, activation='relu'),
  tf.keras.layers.Dropout(0.2),
  tf.keras.layers.Dense(10)
])

predictions = model(x_train[:1]).numpy()
print(predictions)

print(tf.nn.softmax(predictions).numpy())

loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

initial_loss = loss_fn(y_train[:1], predictions).numpy()
print("initial loss:", initial_loss)

model.compile(optimizer='adam',
              loss=loss_fn,
              metrics=['accuracy'])

model.fit(x_train, y_train, epochs=2)

loss, accuracy = model.evaluate(x_test,  y_test, verbose=2)
print(f"test accuracy: {accuracy:.4f}")

probability_model = tf.keras.Sequential([
  model,
  tf.keras.layers.Softmax()
])

probs = probability_model(x_test[:5])
print(probs)
print("rows sum to one:", bool(abs(float(tf.reduce_sum(probs[0])) - 1.0) < 1e-5))
