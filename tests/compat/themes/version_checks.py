"""Theme: the version checks course notebooks start with."""

from packaging import version

import tensorflow as tf
from tensorflow import keras

assert version.parse(tf.__version__) >= version.parse("2.8.0")
assert tf.version.VERSION == tf.__version__
assert version.parse(keras.__version__) >= version.parse("2.8.0")
assert tf.keras.__version__ == keras.__version__
print("TensorFlow", tf.__version__, "Keras", keras.__version__)
print("THEME OK")
