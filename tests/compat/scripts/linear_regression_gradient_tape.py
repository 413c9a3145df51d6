# A first-course lesson: linear regression with tf.Variable and GradientTape, by hand and
# with an optimizer.
import numpy as np
import tensorflow as tf

np.random.seed(42)
X = np.random.rand(100).astype(np.float32)
Y = 3.0 * X + 2.0 + np.random.normal(0, 0.05, 100).astype(np.float32)

W = tf.Variable(0.0)
b = tf.Variable(0.0)


def model(x):
    return W * x + b


def mse(y_true, y_pred):
    return tf.reduce_mean(tf.square(y_true - y_pred))


learning_rate = 0.5
for epoch in range(200):
    with tf.GradientTape() as tape:
        loss = mse(Y, model(X))
    dW, db = tape.gradient(loss, [W, b])
    W.assign_sub(learning_rate * dW)
    b.assign_sub(learning_rate * db)
    if epoch % 50 == 0:
        print(f"epoch {epoch}: loss={loss.numpy():.4f} W={W.numpy():.3f} b={b.numpy():.3f}")

print(f"by hand: W={W.numpy():.2f} b={b.numpy():.2f}")

W = tf.Variable(tf.random.normal([1, 1]))
b = tf.Variable(tf.zeros([1]))
optimizer = tf.keras.optimizers.SGD(learning_rate=0.3)
x = tf.constant(X.reshape(-1, 1))
y = tf.constant(Y.reshape(-1, 1))
losses = []
for step in range(300):
    with tf.GradientTape() as tape:
        y_pred = tf.matmul(x, W) + b
        loss = tf.keras.losses.MeanSquaredError()(y, y_pred)
    grads = tape.gradient(loss, [W, b])
    optimizer.apply_gradients(zip(grads, [W, b]))
    losses.append(float(loss))

print(f"with SGD: W={W.numpy()[0, 0]:.2f} b={b.numpy()[0]:.2f} loss {losses[0]:.3f} -> {losses[-1]:.4f}")

# the same model in Keras
model = tf.keras.Sequential([tf.keras.layers.Dense(units=1, input_shape=[1])])
model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=0.3), loss='mean_squared_error')
history = model.fit(X.reshape(-1, 1), Y, epochs=100, verbose=0)
weights = model.layers[0].get_weights()
print(f"keras: W={weights[0][0, 0]:.2f} b={weights[1][0]:.2f}")
print(model.predict(np.array([[10.0]])))
