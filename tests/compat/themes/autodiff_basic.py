"""Theme: GradientTape on variables and watched constants, persistent tapes, several sources."""

import tensorflow as tf

a = tf.Variable(3.0)
b = tf.Variable([1.0, 2.0])
with tf.GradientTape(persistent=True) as tape:
    y = a * a * tf.reduce_sum(b)  # 3 a^2 ... d/da = 2 a sum(b) = 18
    z = tf.reduce_sum(b * b)
grad_a, grad_b = tape.gradient(y, [a, b])
assert float(grad_a) == 18.0 and grad_b.numpy().tolist() == [9.0, 9.0]
assert tape.gradient(z, b).numpy().tolist() == [2.0, 4.0]
del tape
c = tf.constant(2.0)
with tf.GradientTape() as tape:
    tape.watch(c)
    cube = c**3
assert float(tape.gradient(cube, c)) == 12.0
with tf.GradientTape() as outer:
    outer.watch(c)
    with tf.GradientTape() as inner:
        inner.watch(c)
        cube = c**3
    first = inner.gradient(cube, c)
assert float(outer.gradient(first, c)) == 12.0  # second derivative 6c
print("THEME OK")
