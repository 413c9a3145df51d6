# Keras 2 blog-post style: custom metrics and losses written with the backend (`K.`) functions.
import numpy as np
from keras.models import Sequential
from keras.layers import Dense
from keras import backend as K
from keras.optimizers import Adam


def recall_m(y_true, y_pred):
    true_positives = K.sum(K.round(K.clip(y_true * y_pred, 0, 1)))
    possible_positives = K.sum(K.round(K.clip(y_true, 0, 1)))
    recall = true_positives / (possible_positives + K.epsilon())
    return recall


def precision_m(y_true, y_pred):
    true_positives = K.sum(K.round(K.clip(y_true * y_pred, 0, 1)))
    predicted_positives = K.sum(K.round(K.clip(y_pred, 0, 1)))
    precision = true_positives / (predicted_positives + K.epsilon())
    return precision


def f1_m(y_true, y_pred):
    precision = precision_m(y_true, y_pred)
    recall = recall_m(y_true, y_pred)
    return 2 * ((precision * recall) / (precision + recall + K.epsilon()))


def rmse(y_true, y_pred):
    return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1))


np.random.seed(7)
X = np.random.rand(1000, 8)
y = (X[:, 0] + X[:, 1] > 1.0).astype("float32")

model = Sequential()
model.add(Dense(12, input_dim=8, activation='relu'))
model.add(Dense(8, activation='relu'))
model.add(Dense(1, activation='sigmoid'))
model.compile(loss='binary_crossentropy', optimizer=Adam(lr=0.01),
              metrics=['acc', f1_m, precision_m, recall_m])
history = model.fit(X, y, validation_split=0.2, epochs=5, batch_size=32, verbose=2)
loss, accuracy, f1_score, precision, recall = model.evaluate(X, y, verbose=0)
print("accuracy %.3f f1 %.3f precision %.3f recall %.3f" % (accuracy, f1_score, precision, recall))
print(sorted(history.history.keys()))

print("learning rate:", K.get_value(model.optimizer.lr))
K.set_value(model.optimizer.lr, 0.001)
print("learning rate now:", K.get_value(model.optimizer.lr))

reg = Sequential([Dense(16, activation='relu', input_shape=(8,)), Dense(1)])
reg.compile(optimizer='adam', loss='mse', metrics=[rmse])
target = X @ np.arange(8)
h = reg.fit(X, target, epochs=3, verbose=0)
print("rmse history:", h.history['rmse'])
K.clear_session()
