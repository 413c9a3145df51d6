"""Theme: keras.random with int seeds and SeedGenerator."""

import numpy as np
import keras
from keras import ops

generator = keras.random.SeedGenerator(42)
first = keras.random.normal((3,), seed=generator)
second = keras.random.normal((3,), seed=generator)
assert not np.array_equal(ops.convert_to_numpy(first), ops.convert_to_numpy(second))
same_a = keras.random.uniform((4,), minval=-1.0, maxval=1.0, seed=7)
same_b = keras.random.uniform((4,), minval=-1.0, maxval=1.0, seed=7)
assert np.array_equal(ops.convert_to_numpy(same_a), ops.convert_to_numpy(same_b))
assert np.all(np.abs(ops.convert_to_numpy(same_a)) <= 1.0)
kept = ops.convert_to_numpy(keras.random.dropout(ops.ones((1000,)), rate=0.25, seed=3))
assert abs((kept == 0).mean() - 0.25) < 0.06 and np.allclose(kept[kept > 0], 1 / 0.75)
order = ops.convert_to_numpy(keras.random.shuffle(ops.arange(20), seed=5))
assert sorted(order.tolist()) == list(range(20))
print("THEME OK")
