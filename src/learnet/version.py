"""Which versions learnet is, in one place: its own release and the API level it implements.

learnet has two version numbers, and they answer different questions:

* ``LEARNET_VERSION`` (also ``learnet.__learnet_version__``) is learnet's own release,
  the version ``pip`` installs and ``learnet --version`` prints.
* ``VERSION`` is the TensorFlow API level that learnet implements: TensorFlow 2.x with
  Keras 3 as ``tf.keras`` (the level of TensorFlow 2.16, the first release that ships
  Keras 3). ``tf.__version__``, ``tf.version.VERSION``, ``keras.__version__`` and
  ``tf.keras.__version__`` all report it, so that course code checking
  ``tf.__version__ >= "2.8.0"`` runs unchanged. Because ``import learnet as keras``
  makes ``keras`` and ``tf`` the same module, ``keras.__version__`` is that same string;
  ``KERAS_VERSION`` says which Keras API level it stands for.

Examples
--------
>>> import learnet as tf
>>> tf.__version__ == tf.version.VERSION
True
>>> tf.version.LEARNET_VERSION == tf.__learnet_version__
True
>>> import learnet as keras
>>> keras.version() == keras.version.KERAS_VERSION   # Keras 3's keras.version()
True
"""

import sys
import types

__all__ = ["ApiVersion", "LEARNET_VERSION", "VERSION", "KERAS_VERSION", "GIT_VERSION", "API_LEVEL", "version_tuple"]

#: learnet's own release (kept equal to ``version`` in pyproject.toml; a test checks it).
LEARNET_VERSION = "0.1.0"


class ApiVersion(str):
    """A version string that compares as numbers: ``ApiVersion("2.16.0") >= "2.8.0"`` is True.

    It prints and formats as the plain string. Course code often writes
    ``tf.__version__ >= "2.8.0"``; compared as text, ``"2.16.0" < "2.8.0"``, so the
    comparisons here read both sides with ``version_tuple``.
    """

    def _other(self, other):
        if isinstance(other, str):
            return version_tuple(other)
        if isinstance(other, tuple):
            return other
        return NotImplemented

    def __lt__(self, other):
        other = self._other(other)
        return NotImplemented if other is NotImplemented else version_tuple(self) < other

    def __le__(self, other):
        other = self._other(other)
        return NotImplemented if other is NotImplemented else version_tuple(self) <= other

    def __gt__(self, other):
        other = self._other(other)
        return NotImplemented if other is NotImplemented else version_tuple(self) > other

    def __ge__(self, other):
        other = self._other(other)
        return NotImplemented if other is NotImplemented else version_tuple(self) >= other

    __hash__ = str.__hash__


#: The TensorFlow API level learnet implements (TF 2.16: Keras 3 is tf.keras).
VERSION = ApiVersion("2.16.0")

#: The Keras API level learnet implements (the Keras of that TensorFlow).
KERAS_VERSION = ApiVersion("3.3.0")

#: TensorFlow's ``tf.version.GIT_VERSION``: here it names learnet's own release.
GIT_VERSION = f"learnet-{LEARNET_VERSION}"

#: One line for people: what learnet is and what it speaks.
API_LEVEL = f"learnet {LEARNET_VERSION} implementing TensorFlow {VERSION} / Keras {KERAS_VERSION}"


def version_tuple(version):
    """``"2.16.0"`` -> ``(2, 16, 0)``: compare versions as numbers, not as text.

    Parameters
    ----------
    version : str
        A dotted version such as ``"2.16.0"``; a suffix after the numbers (``"rc1"``)
        is ignored.

    Examples
    --------
    >>> version_tuple("2.16.0") >= version_tuple("2.8.0")
    True
    """
    if not isinstance(version, str) or not version:
        raise TypeError(f"version_tuple expects a version string such as '2.16.0', got {version!r}")
    numbers = []
    for part in version.split("."):
        digits = ""
        for character in part:
            if not character.isdigit():
                break
            digits += character
        if not digits:
            break
        numbers.append(int(digits))
    if not numbers:
        raise ValueError(f"version_tuple expects a version string such as '2.16.0', got {version!r}")
    return tuple(numbers)


class _VersionModule(types.ModuleType):
    """This module, callable: ``tf.version.VERSION`` reads it as TensorFlow's namespace, and
    ``keras.version()`` (Keras 3's function) calls it; ``import learnet as tf`` and
    ``import learnet as keras`` are one module, so one name serves both."""

    def __call__(self):
        """The Keras API level, as ``keras.version()`` returns Keras's own version."""
        return KERAS_VERSION


sys.modules[__name__].__class__ = _VersionModule
