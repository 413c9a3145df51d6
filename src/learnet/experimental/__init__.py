"""``tf.experimental``: TensorFlow's experimental namespaces that learnet has.

Only ``tf.experimental.numpy`` (``learnet.experimental.numpy``, NumPy's API over
learnet tensors) so far; it is imported when first used.

Examples
--------
>>> import learnet.experimental.numpy as tnp
>>> tnp.ones([2]).numpy()
array([1., 1.])
"""

import importlib


def __getattr__(name):
    if name == "numpy":
        return importlib.import_module(f"{__name__}.numpy")
    raise AttributeError(f"module 'learnet.experimental' has no attribute {name!r}")
