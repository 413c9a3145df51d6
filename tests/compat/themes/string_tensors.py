"""Theme: string tensors and tf.strings basics."""

import tensorflow as tf

animals = tf.constant(["Gray wolf", "Red fox", "Brown bear"])
assert animals.dtype == tf.string and animals.shape == (3,)
assert animals.numpy()[1] == b"Red fox"
assert tf.strings.length(animals).numpy().tolist() == [9, 7, 10]
assert tf.strings.split(animals).to_list()[2] == [b"Brown", b"bear"]
assert tf.strings.upper(animals)[0].numpy() == b"GRAY WOLF"
assert tf.strings.to_number(tf.constant(["3", "4.5"])).numpy().tolist() == [3.0, 4.5]
letters = tf.strings.unicode_decode(tf.constant("abc"), input_encoding="UTF-8")
assert letters.numpy().tolist() == [97, 98, 99]
print("THEME OK")
