"""Theme: Keras 3's keras.ops, NumPy style, as the keras.io guides write it."""

import numpy as np
from keras import ops

scores = ops.convert_to_tensor(np.array([[1.0, 5.0, 2.0], [4.0, 0.5, 3.0]], dtype="float32"))
assert ops.shape(scores) == (2, 3) and ops.ndim(scores) == 2
assert ops.convert_to_numpy(ops.sum(scores, axis=1)).tolist() == [8.0, 7.5]
assert abs(float(ops.mean(scores)) - 15.5 / 6) < 1e-6
assert ops.convert_to_numpy(ops.argmax(scores, axis=-1)).tolist() == [1, 0]
assert int(ops.argmax(scores)) == 1  # flattened, as NumPy
parts = ops.split(ops.arange(10), [3, 7])
assert [int(ops.shape(p)[0]) for p in parts] == [3, 4, 3]
assert ops.convert_to_numpy(ops.where(scores > 2.5, scores, 0.0)).tolist() == [[0.0, 5.0, 0.0], [4.0, 0.0, 3.0]]
assert ops.convert_to_numpy(ops.cumsum(ops.ones((4,)))).tolist() == [1.0, 2.0, 3.0, 4.0]
assert ops.convert_to_numpy(ops.matmul(scores, ops.transpose(scores))).shape == (2, 2)
stacked = ops.concatenate([scores, scores], axis=0)
assert ops.shape(stacked) == (4, 3) and ops.shape(ops.expand_dims(scores, -1)) == (2, 3, 1)
assert ops.convert_to_numpy(ops.cast(ops.round(scores / 2), "int32")).tolist() == [[0, 2, 1], [2, 0, 2]]
assert ops.convert_to_numpy(ops.segment_sum(ops.arange(4.0), ops.array([0, 0, 1, 1]), num_segments=2)).tolist() == [
    1.0,
    5.0,
]
assert np.allclose(ops.convert_to_numpy(ops.einsum("ij,ij->i", scores, scores)), [30.0, 25.25])
print("THEME OK")
