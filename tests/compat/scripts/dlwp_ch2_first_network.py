# Deep Learning with Python (1st ed.), 2.1: a first look at a neural network
from keras.datasets import mnist
from keras import models
from keras import layers
from keras.utils import to_categorical
import matplotlib.pyplot as plt

(train_images, train_labels), (test_images, test_labels) = mnist.load_data()
train_images, train_labels = train_images[:3000], train_labels[:3000]
test_images, test_labels = test_images[:1000], test_labels[:1000]

print(train_images.shape)
print(len(train_labels))
print(train_labels)

digit = train_images[4]
plt.imshow(digit, cmap=plt.cm.binary)
plt.show()

network = models.Sequential()
network.add(layers.Dense(512, activation='relu', input_shape=(28 * 28,)))
network.add(layers.Dense(10, activation='softmax'))

network.compile(optimizer='rmsprop',
                loss='categorical_crossentropy',
                metrics=['accuracy'])

train_images = train_images.reshape((3000, 28 * 28))
train_images = train_images.astype('float32') / 255

test_images = test_images.reshape((1000, 28 * 28))
test_images = test_images.astype('float32') / 255

train_labels = to_categorical(train_labels)
test_labels = to_categorical(test_labels)

history = network.fit(train_images, train_labels, epochs=2, batch_size=128)

test_loss, test_acc = network.evaluate(test_images, test_labels)
print('test_acc:', test_acc)
print('history keys:', sorted(history.history.keys()))
