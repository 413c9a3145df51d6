# Deep Learning with Python (1st ed.), 4.4: fighting overfitting (smaller network, weight
# regularization, dropout) on synthetic IMDB-like bag-of-words data.
import numpy as np
from keras import models
from keras import layers
from keras import regularizers

np.random.seed(4)
dimension = 1000
n = 1200
x = (np.random.rand(n, dimension) < 0.05).astype('float32')
w = np.random.randn(dimension)
y = (x @ w > 0).astype('float32')
x_train, y_train = x[:800], y[:800]
x_test, y_test = x[800:], y[800:]

original_model = models.Sequential()
original_model.add(layers.Dense(16, activation='relu', input_shape=(dimension,)))
original_model.add(layers.Dense(16, activation='relu'))
original_model.add(layers.Dense(1, activation='sigmoid'))

original_model.compile(optimizer='rmsprop',
                       loss='binary_crossentropy',
                       metrics=['acc'])

smaller_model = models.Sequential()
smaller_model.add(layers.Dense(4, activation='relu', input_shape=(dimension,)))
smaller_model.add(layers.Dense(4, activation='relu'))
smaller_model.add(layers.Dense(1, activation='sigmoid'))

smaller_model.compile(optimizer='rmsprop',
                      loss='binary_crossentropy',
                      metrics=['acc'])

original_hist = original_model.fit(x_train, y_train,
                                   epochs=4,
                                   batch_size=512,
                                   validation_data=(x_test, y_test))
smaller_model_hist = smaller_model.fit(x_train, y_train,
                                       epochs=4,
                                       batch_size=512,
                                       validation_data=(x_test, y_test))

epochs = range(1, 5)
original_val_loss = original_hist.history['val_loss']
smaller_model_val_loss = smaller_model_hist.history['val_loss']

l2_model = models.Sequential()
l2_model.add(layers.Dense(16, kernel_regularizer=regularizers.l2(0.001),
                          activation='relu', input_shape=(dimension,)))
l2_model.add(layers.Dense(16, kernel_regularizer=regularizers.l2(0.001),
                          activation='relu'))
l2_model.add(layers.Dense(1, activation='sigmoid'))

l2_model.compile(optimizer='rmsprop',
                 loss='binary_crossentropy',
                 metrics=['acc'])

l2_model_hist = l2_model.fit(x_train, y_train,
                             epochs=4,
                             batch_size=512,
                             validation_data=(x_test, y_test))

# L1 regularization
regularizers.l1(0.001)

# L1 and L2 regularization at the same time
regularizers.l1_l2(l1=0.001, l2=0.001)

dpt_model = models.Sequential()
dpt_model.add(layers.Dense(16, activation='relu', input_shape=(dimension,)))
dpt_model.add(layers.Dropout(0.5))
dpt_model.add(layers.Dense(16, activation='relu'))
dpt_model.add(layers.Dropout(0.5))
dpt_model.add(layers.Dense(1, activation='sigmoid'))

dpt_model.compile(optimizer='rmsprop',
                  loss='binary_crossentropy',
                  metrics=['acc'])

dpt_model_hist = dpt_model.fit(x_train, y_train,
                               epochs=4,
                               batch_size=512,
                               validation_data=(x_test, y_test))
print("val_acc of the original model: %.3f" % original_hist.history['val_acc'][-1])
print("l2 history keys:", sorted(l2_model_hist.history))
