# Deep Learning with Python (1st ed.), 3.5: classifying newswires (46 topics).
# Synthetic bag-of-words data stand in for the Reuters dataset.
import numpy as np
from keras import models
from keras import layers
from keras.utils import to_categorical

np.random.seed(1)
dimension = 2000
n_topics = 46


def make_data(n):
    labels = np.random.randint(0, n_topics, size=n)
    data = []
    for label in labels:
        words = list(np.random.randint(200, dimension, size=30))
        words += list(label * 4 + np.random.randint(0, 4, size=6))
        data.append(words)
    return data, labels


train_data, train_labels = make_data(2000)
test_data, test_labels = make_data(400)


def vectorize_sequences(sequences, dimension=dimension):
    results = np.zeros((len(sequences), dimension))
    for i, sequence in enumerate(sequences):
        results[i, sequence] = 1.
    return results


x_train = vectorize_sequences(train_data)
x_test = vectorize_sequences(test_data)


def to_one_hot(labels, dimension=46):
    results = np.zeros((len(labels), dimension))
    for i, label in enumerate(labels):
        results[i, label] = 1.
    return results


one_hot_train_labels = to_one_hot(train_labels)
one_hot_test_labels = to_one_hot(test_labels)

one_hot_train_labels = to_categorical(train_labels)
one_hot_test_labels = to_categorical(test_labels)

model = models.Sequential()
model.add(layers.Dense(64, activation='relu', input_shape=(dimension,)))
model.add(layers.Dense(64, activation='relu'))
model.add(layers.Dense(46, activation='softmax'))

model.compile(optimizer='rmsprop',
              loss='categorical_crossentropy',
              metrics=['accuracy'])

x_val = x_train[:500]
partial_x_train = x_train[500:]

y_val = one_hot_train_labels[:500]
partial_y_train = one_hot_train_labels[500:]

history = model.fit(partial_x_train,
                    partial_y_train,
                    epochs=5,
                    batch_size=128,
                    validation_data=(x_val, y_val))

results = model.evaluate(x_test, one_hot_test_labels)
print(results)

predictions = model.predict(x_test)
print(predictions[0].shape)
print(np.sum(predictions[0]))
print(np.argmax(predictions[0]))

y_train = np.array(train_labels)
y_test = np.array(test_labels)

model.compile(optimizer='rmsprop', loss='sparse_categorical_crossentropy', metrics=['acc'])
history = model.fit(x_train, y_train, epochs=2, batch_size=128)
results = model.evaluate(x_test, y_test)
print("sparse test accuracy: %.4f" % results[1])
print("keys:", sorted(history.history))
