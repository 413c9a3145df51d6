"""The datasets learnet knows, and where each one stands on this machine.

Used by the ``learnet datasets`` command; nothing here downloads or reads data.
"""
from __future__ import annotations

import os

from . import fashion_mnist, mnist
from .sources import Location, find_files

__all__ = ["DATASETS", "locate", "describe"]

#: Dataset name -> its module (each has ``load_data`` and ``SPEC``).
DATASETS = {"mnist": mnist, "fashion_mnist": fashion_mnist}


def locate(name: str, path: str | os.PathLike | None = None) -> Location:
    """Say where a dataset's files are, without downloading or reading them.

    Parameters
    ----------
    name : str
        ``"mnist"`` or ``"fashion_mnist"`` (``"fashion-mnist"`` works too).
    path : str or path-like, optional
        Look only here, as ``load_data(path=...)`` would.

    Returns
    -------
    Location
        ``.complete``, ``.found`` (file name -> source and path), ``.missing``,
        ``.searched``, and ``.summary()`` for people.

    Raises
    ------
    ValueError
        If the name is unknown.

    Examples
    --------
    >>> from learnet.datasets import locate
    >>> location = locate("fashion_mnist")
    >>> location.spec.title
    'Fashion-MNIST'
    >>> location.complete  # doctest: +SKIP
    True
    """
    key = name.strip().lower().replace("-", "_")
    if key not in DATASETS:
        raise ValueError(
            f"Unknown dataset {name!r}; known datasets: {', '.join(DATASETS)}."
        )
    # Looked up at call time, so a replaced SPEC (other mirrors, say) is honoured.
    return find_files(DATASETS[key].SPEC, path)


def describe() -> str:
    """Where every known dataset was found, or what to do to get it.

    Returns
    -------
    str
        One block per dataset, as printed by ``learnet datasets``.

    Examples
    --------
    >>> from learnet.datasets import describe
    >>> print(describe())  # doctest: +SKIP
    MNIST: ready
      train-images-idx3-ubyte.gz  cache: ~/.learnet/datasets/mnist/train-images-idx3-ubyte.gz
      ...
    """
    return "\n\n".join(locate(name).summary() for name in DATASETS)
