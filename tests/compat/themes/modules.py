"""Theme: tf.Module collects variables and submodules by itself."""

import tensorflow as tf


class Affine(tf.Module):
    def __init__(self, n_in, n_out, name=None):
        super().__init__(name=name)
        self.kernel = tf.Variable(tf.ones([n_in, n_out]), name="kernel")
        self.offset = tf.Variable(tf.zeros([n_out]), name="offset")

    def __call__(self, x):
        return tf.matmul(x, self.kernel) + self.offset


class Stack(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.blocks = [Affine(3, 5, name="first"), Affine(5, 2, name="second")]
        self.scale = tf.Variable(2.0, trainable=False)

    def __call__(self, x):
        for block in self.blocks:
            x = tf.nn.relu(block(x))
        return x * self.scale


net = Stack(name="stack")
assert net.name == "stack"
assert len(net.variables) == 5 and len(net.trainable_variables) == 4
assert [m.name for m in net.submodules] == ["first", "second"]
assert net(tf.ones([4, 3])).shape == (4, 2)
assert float(net(tf.ones([1, 3]))[0, 0]) == 2.0 * 5 * 3
print("THEME OK")
