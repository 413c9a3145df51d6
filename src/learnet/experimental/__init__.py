"""``tf.experimental``: TensorFlow's experimental namespaces that learnet has.

``tf.experimental.numpy`` (``learnet.experimental.numpy``, NumPy's API over
learnet tensors), and the extension types with their dispatch decorators
(``ExtensionType``, ``BatchableExtensionType``, ``dispatch_for_api``... from
``learnet.extension_type``), and ``Optional`` (``learnet.data``'s); each is imported
when first used.

Examples
--------
>>> import learnet.experimental.numpy as tnp
>>> tnp.ones([2]).numpy()
array([1., 1.])
"""

import importlib


_EXTENSION_TYPE_NAMES = (
    "ExtensionType",
    "BatchableExtensionType",
    "ExtensionTypeSpec",
    "BatchableExtensionTypeSpec",
    "dispatch_for_api",
    "dispatch_for_unary_elementwise_apis",
    "dispatch_for_binary_elementwise_apis",
    "unregister_dispatch_for",
)


def __getattr__(name):
    if name == "numpy":
        return importlib.import_module(f"{__name__}.numpy")
    if name in _EXTENSION_TYPE_NAMES:
        return getattr(importlib.import_module("learnet.extension_type"), name)
    if name == "Optional":  # tf.experimental.Optional: what an iterator's get_next_as_optional gives
        return importlib.import_module("learnet.data").Optional
    raise AttributeError(f"module 'learnet.experimental' has no attribute {name!r}")
