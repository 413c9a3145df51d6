"""Floor 1: the one way learnet warns.

A warning should point at the line of the user's code that caused it, not at the
learnet internals between (``model.fit`` -> ... -> ``optimizer.apply_gradients``), so
``warn`` finds the first frame outside the ``learnet`` package and warns from there.

Examples
--------
>>> import warnings
>>> from learnet.warn import warn
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     warn("the learning rate is very large")
>>> caught[0].message.args[0], caught[0].category.__name__
('the learning rate is very large', 'UserWarning')
"""

import sys
import warnings

__all__ = ["warn", "LearnetDeprecationWarning"]


class LearnetDeprecationWarning(DeprecationWarning, UserWarning):
    """Warns about a deprecated argument (a ``DeprecationWarning`` and a ``UserWarning``).

    A ``UserWarning`` too, so it is shown by default (a plain ``DeprecationWarning`` is
    hidden outside ``__main__``), as Keras shows its deprecation messages.
    """


def caller_stacklevel():
    """The ``stacklevel`` of the first frame outside learnet, seen from the caller of this function."""
    frame, level = sys._getframe(2), 1
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] == "learnet":
        frame, level = frame.f_back, level + 1
    return level


def warn(message, category=UserWarning):
    """Warn with ``message``, pointing at the user's line that called into learnet."""
    warnings.warn(message, category, stacklevel=caller_stacklevel() + 1)


def deprecated(message):
    """Warn that an argument or a name is deprecated (``LearnetDeprecationWarning``)."""
    warnings.warn(message, LearnetDeprecationWarning, stacklevel=caller_stacklevel() + 1)
