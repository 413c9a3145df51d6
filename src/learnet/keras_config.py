"""``keras.config``: the global settings of Keras 3, beside TensorFlow's ``tf.config``.

With ``import learnet as keras`` and ``import learnet as tf`` one module serves both, so
``keras.config`` holds TensorFlow's device settings (``list_physical_devices`` ...) and
these: the default float type and fuzz factor, the image layout, the dtype policy, and the
switches Keras 3 keeps for logging, tracebacks, attention kernels, unsafe deserialization
and capped training runs (``set_max_epochs``, ``set_max_steps_per_epoch``, which ``fit``
honours as Keras does: handy to try a tutorial quickly).

Examples
--------
>>> import learnet as keras
>>> keras.config.floatx(), keras.config.image_data_format(), keras.config.backend()
('float32', 'channels_last', 'tensorflow')
>>> keras.config.set_max_epochs(2)
>>> keras.config.max_epochs()
2
>>> keras.config.set_max_epochs(None)
"""

import importlib
import os

from learnet.backend import epsilon, floatx, set_epsilon, set_floatx

__all__ = [
    "backend",
    "disable_flash_attention",
    "disable_interactive_logging",
    "disable_traceback_filtering",
    "dtype_policy",
    "enable_flash_attention",
    "enable_interactive_logging",
    "enable_traceback_filtering",
    "enable_unsafe_deserialization",
    "epsilon",
    "floatx",
    "image_data_format",
    "is_flash_attention_enabled",
    "is_interactive_logging_enabled",
    "is_nnx_enabled",
    "is_traceback_filtering_enabled",
    "max_epochs",
    "max_steps_per_epoch",
    "set_backend",
    "set_dtype_policy",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "set_max_epochs",
    "set_max_steps_per_epoch",
]

_settings = {
    "interactive_logging": True,
    "traceback_filtering": True,
    "flash_attention": None,  # None: Keras' "decide by the hardware"; learnet has one attention kernel
    "unsafe_deserialization": False,
    "max_epochs": None,
    "max_steps_per_epoch": None,
    "image_data_format": "channels_last",
}
_DATA_FORMATS = ("channels_first", "channels_last")


def uses_legacy_keras():
    """Whether ``TF_USE_LEGACY_KERAS`` asks for Keras 2's rules, as TensorFlow reads it.

    With ``TF_USE_LEGACY_KERAS=1`` (or ``true``), TensorFlow 2.16+ makes ``tf.keras`` the
    ``tf_keras`` package, Keras 2; notebooks written for it set the variable and
    ``import tf_keras`` before ``import tensorflow`` (Hands-On Machine Learning's chapters 16
    to 19). learnet is Keras 3 and follows Keras 2 only where the two give different results
    for the same code, and only while the variable is set (read when the rule applies):

    * a functional model given a list of one input or output (``Model([x], [y])``) holds
      that one tensor, not the list: calling it, or ``predict``, gives one array, as Keras 2
      does (Keras 3 keeps the list, and a model called on symbolic tensors then gives one).
    * ``model.save`` and ``ModelCheckpoint`` given a whole model's name with no file ending
      (no ``.keras``, ``.learnet``, ``.h5``) write a SavedModel directory, Keras 2's default
      (Keras 3 refuses such a name).

    Examples
    --------
    >>> import os
    >>> from learnet import keras_config
    >>> keras_config.uses_legacy_keras() == (os.environ.get("TF_USE_LEGACY_KERAS") in ("1", "true", "True"))
    True
    """
    return os.environ.get("TF_USE_LEGACY_KERAS") in ("1", "true", "True")


def backend():
    """``'tensorflow'``, as ``keras.backend.backend()``: scripts that branch on the backend
    take their TensorFlow branch, whose ``tf.*`` calls learnet runs."""
    return importlib.import_module("learnet.keras_backend").backend()


def set_backend(name):
    """Keras 3 switches between TensorFlow, JAX and PyTorch here; learnet stands in for TensorFlow.

    ``'tensorflow'`` (and ``'learnet'``) are accepted and change nothing; any other name
    raises a ``ValueError`` saying so.
    """
    if name not in ("tensorflow", "learnet"):
        raise ValueError(
            f"set_backend: learnet computes every operation itself, as Keras on TensorFlow, and has no "
            f"{name!r} backend; run the script with the real Keras to use another backend"
        )


def image_data_format():
    """The layout of images for layers given no ``data_format``: ``'channels_last'`` (the
    default, ``(batch, height, width, channels)``) or ``'channels_first'`` (``(batch, channels,
    height, width)``).

    A layer reads it when it is made, as in Keras 3, so changing it later does not change
    layers that already exist.

    Examples
    --------
    >>> import learnet as keras
    >>> keras.config.image_data_format()
    'channels_last'
    """
    return _settings["image_data_format"]


def set_image_data_format(data_format):
    """Set the layout that layers made from now on use when given no ``data_format``.

    Parameters
    ----------
    data_format : {"channels_last", "channels_first"}
        Upper case is accepted, as in Keras; anything else raises ``ValueError`` and changes
        nothing.

    Examples
    --------
    >>> import learnet as keras
    >>> keras.config.set_image_data_format("channels_first")
    >>> keras.layers.Conv1D(16, 1)(keras.ops.zeros((2, 8, 450))).shape
    TensorShape([2, 16, 450])
    >>> keras.config.set_image_data_format("channels_last")
    """
    standard = str(data_format).lower()
    if standard not in _DATA_FORMATS:
        raise ValueError(
            "set_image_data_format: the `data_format` argument must be one of "
            f"{{'channels_first', 'channels_last'}}. Received: data_format={data_format!r}"
        )
    _settings["image_data_format"] = standard


def _standardize_data_format(data_format, who):
    """A layer's ``data_format`` as Keras 3 reads it: ``None`` is ``image_data_format()`` now
    (when the layer is made), anything else ``'channels_last'`` or ``'channels_first'``
    (any case); other values raise ``ValueError`` naming the layer ``who``."""
    if data_format is None:
        return image_data_format()
    standard = str(data_format).lower()
    if standard not in _DATA_FORMATS:
        raise ValueError(
            f"{who}: data_format must be 'channels_last' (batch, ..., channels) or "
            f"'channels_first' (batch, channels, ...), got {data_format!r}"
        )
    return standard


def dtype_policy():
    """The global dtype policy (``keras.mixed_precision.global_policy()``)."""
    return importlib.import_module("learnet.mixed_precision").global_policy()


def set_dtype_policy(policy):
    """Set the global dtype policy (``keras.mixed_precision.set_global_policy``)."""
    importlib.import_module("learnet.mixed_precision").set_global_policy(policy)


def enable_interactive_logging():
    """Let ``fit``'s progress bar redraw itself in place in a terminal or notebook (the default)."""
    _settings["interactive_logging"] = True


def disable_interactive_logging():
    """Make ``fit``'s progress bar write plain lines, one per epoch, even in a terminal (for log files)."""
    _settings["interactive_logging"] = False


def is_interactive_logging_enabled():
    """Whether the progress bar may redraw itself in place (``enable_interactive_logging``)."""
    return _settings["interactive_logging"]


def enable_traceback_filtering():
    """Kept for Keras' API: learnet's tracebacks are never filtered (there is no compiled graph to hide)."""
    _settings["traceback_filtering"] = True


def disable_traceback_filtering():
    """Kept for Keras' API (see ``enable_traceback_filtering``)."""
    _settings["traceback_filtering"] = False


def is_traceback_filtering_enabled():
    """The switch of ``enable_traceback_filtering`` / ``disable_traceback_filtering``."""
    return _settings["traceback_filtering"]


def enable_flash_attention():
    """Kept for Keras' API: learnet computes attention one way, with the same results either way."""
    _settings["flash_attention"] = True


def disable_flash_attention():
    """Kept for Keras' API (see ``enable_flash_attention``)."""
    _settings["flash_attention"] = False


def is_flash_attention_enabled():
    """The switch of ``enable_flash_attention`` (None until set, as in Keras)."""
    return _settings["flash_attention"]


def is_nnx_enabled():
    """``False``: Flax NNX belongs to Keras' JAX backend."""
    return False


def enable_unsafe_deserialization():
    """Record the wish to load Python code from model files.

    learnet never runs code stored in a file (a ``Lambda`` layer's bytecode): such a file
    still gets a clear error, which says to rebuild the model with ordinary layers (or a
    ``Layer`` subclass) and load the weights only. The switch exists so that scripts
    calling it run.
    """
    _settings["unsafe_deserialization"] = True


def _positive_or_none(value, function):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{function}: expected a positive int or None, got {value!r}")
    return value


def set_max_epochs(max_epochs):
    """Cap every ``fit`` to at most ``max_epochs`` epochs (None: no cap), as Keras 3 does."""
    _settings["max_epochs"] = _positive_or_none(max_epochs, "set_max_epochs")


def max_epochs():
    """The cap set by ``set_max_epochs`` (None when there is none)."""
    return _settings["max_epochs"]


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Cap every epoch of ``fit`` to at most this many batches (None: no cap), as Keras 3 does."""
    _settings["max_steps_per_epoch"] = _positive_or_none(max_steps_per_epoch, "set_max_steps_per_epoch")


def max_steps_per_epoch():
    """The cap set by ``set_max_steps_per_epoch`` (None when there is none)."""
    return _settings["max_steps_per_epoch"]
