"""Names that courses reach for and learnet does not have yet, and what it has instead.

``learnet``, ``learnet.datasets`` and ``learnet.layers`` look a name they lack up in
:data:`NOT_YET` (from their module ``__getattr__``). A listed name raises
:class:`NotInLearnetError`, which says that learnet does not have it yet and what to use
instead; any other missing name stays a plain ``AttributeError``.

The table is the only place to edit: when a name lands in learnet, delete its line (a
real attribute is always found before the table is asked, and
``tests/test_not_yet.py`` fails while a listed name exists, as a reminder).

Examples
--------
>>> import learnet as keras
>>> keras.estimator                                            # doctest: +SKIP
Traceback (most recent call last):
...
learnet.not_yet.NotInLearnetError: learnet.estimator is not in learnet yet: ...
"""

#: Module name -> {missing name: what learnet has instead}. Delete a line when the name lands.
NOT_YET = {
    "learnet": {
        "estimator": "learnet trains with Sequential or Model, compile and fit",
    },
}


class NotInLearnetError(ImportError, NotImplementedError):
    """A name that TensorFlow or Keras has and learnet does not have yet.

    An ``ImportError`` (so ``from learnet import estimator`` shows this message, and
    ``except ImportError`` fallbacks work) and a ``NotImplementedError``.
    """


def missing(module_name, name):
    """The :class:`NotInLearnetError` for ``module_name.name`` when the table lists it, else None.

    Examples
    --------
    >>> missing("learnet", "estimator").name
    'estimator'
    >>> missing("learnet.layers", "Dense") is None
    True
    """
    instead = NOT_YET.get(module_name, {}).get(name)
    if instead is None:
        return None
    return NotInLearnetError(f"{module_name}.{name} is not in learnet yet: {instead}.", name=name)


def module_getattr(module_name):
    """A module ``__getattr__`` that raises :class:`NotInLearnetError` for the names listed for it.

    Examples
    --------
    >>> __getattr__ = module_getattr("learnet.layers")  # doctest: +SKIP
    """

    def __getattr__(name):
        error = missing(module_name, name)
        if error is not None:
            raise error
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")

    return __getattr__
