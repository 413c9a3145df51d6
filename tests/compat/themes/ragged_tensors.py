"""Theme: ragged tensors: rows of different lengths."""

import tensorflow as tf

sentences = tf.ragged.constant([[4, 8, 15], [16], [], [23, 42]])
assert sentences.shape.as_list() == [4, None]
assert sentences.row_lengths().numpy().tolist() == [3, 1, 0, 2]
assert sentences.to_tensor(default_value=-1).numpy().tolist()[1] == [16, -1, -1]
assert sentences[3].numpy().tolist() == [23, 42]
shifted = tf.ragged.map_flat_values(lambda values: values * 10, sentences)
assert shifted.to_list() == [[40, 80, 150], [160], [], [230, 420]]
rebuilt = tf.RaggedTensor.from_row_lengths([1, 2, 3, 4], row_lengths=[1, 3])
assert rebuilt.to_list() == [[1], [2, 3, 4]]
print("THEME OK")
