"""``tf.experimental.numpy``: learnet.experimental_numpy under TensorFlow's path.

``import learnet.experimental.numpy as tnp`` (what ``import tensorflow.experimental.numpy
as tnp`` becomes) gives the names of ``learnet.experimental_numpy``; they are the same
objects, so ``experimental_enable_numpy_behavior`` and ``tnp.random`` are shared.

Examples
--------
>>> import learnet.experimental.numpy as tnp
>>> import learnet.experimental_numpy
>>> tnp.sum is learnet.experimental_numpy.sum
True
"""

from learnet import experimental_numpy as _implementation
from learnet.experimental_numpy import *  # noqa: F401,F403 - the whole public API, re-exported
from learnet.experimental_numpy import __all__  # noqa: F401


def __getattr__(name):
    # Everything else (private helpers that tests and doctests reach) lives in the one module.
    return getattr(_implementation, name)
