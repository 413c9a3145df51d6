"""Theme: tf.while_loop, tf.cond and Python control flow inside tf.function."""

import tensorflow as tf

step, value = tf.while_loop(lambda i, v: i < 10, lambda i, v: (i + 1, v * 2), [tf.constant(0), tf.constant(1)])
assert int(step) == 10 and int(value) == 1024
collatz = tf.while_loop(
    lambda n: n > 1, lambda n: [tf.cond(n % 2 == 0, lambda: n // 2, lambda: 3 * n + 1)], [tf.constant(6)]
)
assert int(collatz[0]) == 1


@tf.function
def clipped_sum(values, limit):
    total = tf.constant(0.0)
    for v in values:
        if total + v > limit:
            break
        total += v
    return total


assert float(clipped_sum(tf.constant([1.0, 2.0, 3.0, 4.0]), tf.constant(6.5))) == 6.0
sign = tf.cond(tf.constant(-3.0) > 0, lambda: tf.constant(1), lambda: tf.constant(-1))
assert int(sign) == -1
print("THEME OK")
