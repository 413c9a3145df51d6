"""``tf.Module``: a container of variables and other modules, as the TF guides build models.

A subclass stores ``tf.Variable``s and other modules (or Keras layers) as attributes,
directly or inside lists, tuples and dicts; ``variables``, ``trainable_variables`` and
``submodules`` find them all, in a fixed order (attributes sorted by name), without
being told. ``name_scope`` prefixes the names of variables made inside it.

Examples
--------
>>> import learnet as tf
>>> class Linear(tf.Module):
...     def __init__(self, name=None):
...         super().__init__(name=name)
...         self.w = tf.Variable(2.0, name="w")
...         self.b = tf.Variable(0.5, name="b", trainable=False)
...     def __call__(self, x):
...         return self.w * x + self.b
>>> model = Linear(name="linear")
>>> [v.name for v in model.trainable_variables]
['w']
>>> float(model(3.0))
6.5
"""

import re
from typing import Any, Callable

from learnet.control import name_scope
from learnet.tensor import Variable

__all__ = ["DictWrapper", "ListWrapper", "Module", "notify", "wrap"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def _camel_to_snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class Module:
    """Base class of objects that hold variables (``tf.Module``).

    Parameters
    ----------
    name : str, optional
        The module's name (by default its class name in snake_case). It must be a valid
        Python identifier-like name, as in TensorFlow.
    """

    def __init__(self, name=None):
        if name is None:
            name = _camel_to_snake(type(self).__name__)
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"{name!r} is not a valid module name: use letters, digits and underscores")
        self._name = name
        self._scope_name = name_scope.current() + name

    def __setattr__(self, name, value):
        hook = restore_hook  # one global read while no checkpoint restore is pending
        if hook is None:
            object.__setattr__(self, name, value)
            return
        # A checkpoint restore is waiting for objects: what is attached now may be one of
        # them, and a list or dict attached now is watched for the items added to it.
        object.__setattr__(self, name, wrap(value))
        hook(self)

    # A subclass whose __init__ never calls super().__init__() (the tf.function guide has one)
    # still has a name: its class's, as TensorFlow gives it.
    _name = None
    _scope_name = None

    @property
    def name(self):
        return self._name if self._name is not None else _camel_to_snake(type(self).__name__)

    @property
    def name_scope(self):
        """A context manager in which names get this module's prefix (``with self.name_scope:``)."""
        return name_scope(self._scope_name if self._scope_name is not None else self.name)

    @property
    def variables(self):
        """Every variable of this module and its submodules, each once."""
        return tuple(self._flatten(lambda v: True))

    @property
    def trainable_variables(self):
        """The trainable variables of this module and its submodules."""
        return tuple(self._flatten(lambda v: v.trainable))

    @property
    def non_trainable_variables(self):
        return tuple(self._flatten(lambda v: not v.trainable))

    @property
    def submodules(self):
        """Every module (and Keras layer) inside this one, nearest first."""
        found, seen = [], {id(self)}
        queue = [self]
        while queue:
            current = queue.pop(0)
            for child in _children(current):
                if _is_module(child) and id(child) not in seen:
                    seen.add(id(child))
                    found.append(child)
                    queue.append(child)
        return tuple(found)

    def _flatten(self, keep):
        out, seen = [], set()
        for variable in _variables_of(self, set()):
            if id(variable) not in seen and keep(variable):
                seen.add(id(variable))
                out.append(variable)
        return out

    @classmethod
    def with_name_scope(cls, method):
        """Decorate a method so it runs inside the module's ``name_scope``."""

        def wrapped(self, *args, **kwargs):
            with self.name_scope:
                return method(self, *args, **kwargs)

        wrapped.__name__ = method.__name__
        wrapped.__doc__ = method.__doc__
        return wrapped

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


def graph_operations(model):
    """A functional model's ``operations`` (its layers and its operations on symbolic tensors,
    which Keras 3's ``layers`` leaves out), another model's or layer's ``layers``: what its
    files, checkpoints and summary count."""
    return model.operations if isinstance(getattr(type(model), "operations", None), property) else model.layers


def _is_module(value):
    return isinstance(value, Module) or (hasattr(value, "trainable_weights") and hasattr(value, "weights"))


def _children(obj):
    """The values held by ``obj``'s attributes (lists, tuples and dicts opened), sorted by name."""
    attributes = vars(obj) if hasattr(obj, "__dict__") else {}
    for key in sorted(attributes):
        if key.startswith("_") and isinstance(obj, Module) and key in ("_name", "_scope_name"):
            continue
        yield from _unpack(attributes[key])


def _unpack(value):
    if isinstance(value, dict):
        for key in sorted(value, key=str):
            yield from _unpack(value[key])
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _unpack(item)
    else:
        yield value


def _variables_of(obj, visited):
    if id(obj) in visited:
        return
    visited.add(id(obj))
    if not isinstance(obj, Module) and _is_module(obj):  # a Keras layer: its own weights
        yield from obj.weights
        return
    for value in _children(obj):
        if isinstance(value, Variable):
            yield value
        elif _is_module(value):
            yield from _variables_of(value, visited)


# --- tracked containers, and the hook through which a pending checkpoint restore sees new objects.
# `tf.train.Checkpoint` restores values into objects that exist when `restore` runs and, later,
# into objects attached to the restored structure afterwards (TensorFlow's deferred
# restoration): an attribute set on a `Checkpoint` or `tf.Module`, an item appended to a
# tracked list, a weight a Keras layer creates when it builds. Those places call `notify`.

# Set by learnet.checkpoint_graph while a restore waits for objects that do not exist yet;
# called with the object that just gained an attribute, an item or a weight.
restore_hook: Callable[[Any], None] | None = None


def notify(owner: Any) -> None:
    """Tell a pending checkpoint restore that ``owner`` has a new child (no-op otherwise).

    Parameters
    ----------
    owner : object
        The ``Checkpoint``, ``tf.Module``, layer or tracked container that changed.

    Examples
    --------
    >>> from learnet import module
    >>> module.notify(object())  # nothing is pending: nothing happens
    """
    hook = restore_hook
    if hook is not None:
        hook(owner)


class ListWrapper(list):
    """A list whose changes a pending checkpoint restore sees (TensorFlow's ``ListWrapper``).

    It is a ``list`` in every other respect.

    Examples
    --------
    >>> from learnet.module import ListWrapper
    >>> items = ListWrapper([1, 2])
    >>> items.append(3)
    >>> items
    ListWrapper([1, 2, 3])
    """

    __slots__ = ("__weakref__",)

    def __repr__(self):
        return f"ListWrapper({list.__repr__(self)})"

    def append(self, value):
        list.append(self, value)
        notify(self)

    def extend(self, values):
        list.extend(self, values)
        notify(self)

    def insert(self, index, value):
        list.insert(self, index, value)
        notify(self)

    def __setitem__(self, index, value):
        list.__setitem__(self, index, value)
        notify(self)

    def __iadd__(self, values):
        list.extend(self, values)
        notify(self)
        return self


class DictWrapper(dict):
    """A dict whose changes a pending checkpoint restore sees (TensorFlow's ``DictWrapper``).

    Examples
    --------
    >>> from learnet.module import DictWrapper
    >>> mapped = DictWrapper({"one": 1})
    >>> mapped["two"] = 2
    >>> mapped
    DictWrapper({'one': 1, 'two': 2})
    """

    __slots__ = ("__weakref__",)

    def __repr__(self):
        return f"DictWrapper({dict.__repr__(self)})"

    def __setitem__(self, key, value):
        dict.__setitem__(self, key, value)
        notify(self)

    def update(self, *args, **kwargs):
        dict.update(self, *args, **kwargs)
        notify(self)

    def setdefault(self, key, default=None):
        value = dict.setdefault(self, key, default)
        notify(self)
        return value


def wrap(value: Any) -> Any:
    """``value`` as a tracked container when it is a plain list or dict, else unchanged.

    Examples
    --------
    >>> from learnet.module import wrap
    >>> wrap([1])
    ListWrapper([1])
    >>> wrap((1,))
    (1,)
    """
    if type(value) is list:
        return ListWrapper(value)
    if type(value) is dict:
        return DictWrapper(value)
    return value
