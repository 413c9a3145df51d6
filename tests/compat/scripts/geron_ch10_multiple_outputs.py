# Hands-On Machine Learning (2nd ed.), chapter 10: regression MLPs, a functional model with an auxiliary output.
# Synthetic data with 8 features stand in for the California housing dataset.
import numpy as np
import tensorflow as tf
from tensorflow import keras

rng = np.random.RandomState(42)
X = rng.randn(3000, 8)
y = (X[:, 0] * 2 - X[:, 1] + np.sin(X[:, 2]) + 0.5 * X[:, 3] * X[:, 4] + 2.0 + 0.1 * rng.randn(3000)).reshape(-1, 1)
X_train_full, X_test, y_train_full, y_test = X[:2500], X[2500:], y[:2500], y[2500:]
X_train, X_valid, y_train, y_valid = X_train_full[:2000], X_train_full[2000:], y_train_full[:2000], y_train_full[2000:]

# what StandardScaler does
mean, scale = X_train.mean(axis=0), X_train.std(axis=0)
X_train = (X_train - mean) / scale
X_valid = (X_valid - mean) / scale
X_test = (X_test - mean) / scale

X_train_A, X_train_B = X_train[:, :5], X_train[:, 2:]
X_valid_A, X_valid_B = X_valid[:, :5], X_valid[:, 2:]
X_test_A, X_test_B = X_test[:, :5], X_test[:, 2:]
X_new_A, X_new_B = X_test_A[:3], X_test_B[:3]

np.random.seed(42)
tf.random.set_seed(42)

input_A = keras.layers.Input(shape=[5], name="wide_input")
input_B = keras.layers.Input(shape=[6], name="deep_input")
hidden1 = keras.layers.Dense(30, activation="relu")(input_B)
hidden2 = keras.layers.Dense(30, activation="relu")(hidden1)
concat = keras.layers.concatenate([input_A, hidden2])
output = keras.layers.Dense(1, name="main_output")(concat)
aux_output = keras.layers.Dense(1, name="aux_output")(hidden2)
model = keras.models.Model(inputs=[input_A, input_B],
                           outputs=[output, aux_output])

model.compile(loss=["mse", "mse"], loss_weights=[0.9, 0.1], optimizer=keras.optimizers.SGD(lr=1e-3))

history = model.fit([X_train_A, X_train_B], [y_train, y_train], epochs=5,
                    validation_data=([X_valid_A, X_valid_B], [y_valid, y_valid]))
print(sorted(history.history.keys()))

total_loss, main_loss, aux_loss = model.evaluate(
    [X_test_A, X_test_B], [y_test, y_test])
y_pred_main, y_pred_aux = model.predict([X_new_A, X_new_B])
print("total %.3f main %.3f aux %.3f" % (total_loss, main_loss, aux_loss))
print(y_pred_main.shape, y_pred_aux.shape)
