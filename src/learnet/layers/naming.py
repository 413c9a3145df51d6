"""Automatic layer names, as Keras numbers them: ``dense``, ``dense_1``, ``dense_2``, ...

``reset_names`` starts the count again (``keras.backend.clear_session`` calls it).
"""

import re

from learnet import backend

_name_counts: dict[str, int] = {}


def reset_names():
    """Restart the automatic layer names, so the next ``Dense`` is ``dense`` again.

    ``learnet.utils.clear_session`` and ``learnet.backend.clear_session`` call this,
    as ``keras.backend.clear_session`` does.
    """
    _name_counts.clear()


backend.on_clear_session(reset_names)


def unique_name(base):
    """Return ``base`` the first time, then ``base_1``, ``base_2``, ... (Keras' numbering)."""
    count = _name_counts.get(base, 0)
    _name_counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def next_uid(prefix):
    """Count one more use of ``prefix`` and return the count (``keras.backend.get_uid``): the
    counter ``unique_name`` numbers names with."""
    _name_counts[prefix] = _name_counts.get(prefix, 0) + 1
    return _name_counts[prefix]


def to_snake_case(name):
    """``"BatchNormalization"`` -> ``"batch_normalization"``, ``"Conv2D"`` -> ``"conv2d"``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
