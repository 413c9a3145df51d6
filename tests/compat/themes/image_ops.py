"""Theme: tf.image basics on a small synthetic image."""

import numpy as np
import tensorflow as tf

pixels = (np.arange(4 * 6 * 3).reshape(4, 6, 3) * 5 % 256).astype("uint8")
image = tf.image.convert_image_dtype(pixels, tf.float32)
assert image.dtype == tf.float32 and float(tf.reduce_max(image)) <= 1.0
assert np.allclose(image.numpy(), pixels / 255.0)
assert tf.image.resize(image, (8, 12)).shape == (8, 12, 3)
assert tf.image.resize(image[None], (2, 3), method="nearest").shape == (1, 2, 3, 3)
assert np.array_equal(tf.image.flip_left_right(image).numpy(), image.numpy()[:, ::-1])
assert np.array_equal(tf.image.flip_up_down(image).numpy(), image.numpy()[::-1])
assert tf.image.rot90(image).shape == (6, 4, 3)
assert np.allclose(tf.image.rot90(image, k=4).numpy(), image.numpy())
stronger = tf.image.adjust_contrast(image, 2.0).numpy()
assert stronger.std() > image.numpy().std()
assert tf.image.rgb_to_grayscale(image).shape == (4, 6, 1)
assert tf.image.central_crop(image, 0.5).shape == (2, 4, 3)
standard = tf.image.per_image_standardization(image).numpy()
assert abs(standard.mean()) < 1e-5 and abs(standard.std() - 1) < 1e-3
back = tf.image.convert_image_dtype(image, tf.uint8)
assert back.dtype == tf.uint8 and np.array_equal(back.numpy(), pixels)
print("THEME OK")
