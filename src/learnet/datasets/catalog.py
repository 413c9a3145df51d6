"""The datasets learnet knows, and where each one stands on this machine.

Used by the ``learnet datasets`` command; nothing here downloads or reads data.
"""

from __future__ import annotations

import os

from . import boston_housing, california_housing, cifar10, cifar100, fashion_mnist, imdb, mnist, reuters
from .sources import Location, find_files

__all__ = ["DATASETS", "locate", "locate_all", "describe"]

#: Dataset name -> its module (each has ``load_data`` and ``SPEC``; IMDB and Reuters
#: also ``WORD_INDEX_SPEC``, the file ``get_word_index`` reads).
DATASETS = {
    "mnist": mnist,
    "fashion_mnist": fashion_mnist,
    "cifar10": cifar10,
    "cifar100": cifar100,
    "imdb": imdb,
    "reuters": reuters,
    "boston_housing": boston_housing,
    "california_housing": california_housing,
}


def locate(name: str, path: str | os.PathLike | None = None) -> Location:
    """Say where a dataset's files are, without downloading or reading them.

    Parameters
    ----------
    name : str
        A key of :data:`DATASETS`, e.g. ``"mnist"`` or ``"fashion_mnist"``
        (``"fashion-mnist"`` works too).
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
    # Looked up at call time, so a replaced SPEC (other mirrors, say) is honoured.
    return find_files(_module(name).SPEC, path)


def locate_all(name: str, path: str | os.PathLike | None = None) -> list[Location]:
    """Like :func:`locate`, for every file set of a dataset: IMDB's and Reuters'
    word index (read by ``get_word_index``) come after the data itself.

    Examples
    --------
    >>> from learnet.datasets import locate_all
    >>> [location.spec.title for location in locate_all("imdb")]
    ['IMDB reviews', 'IMDB word index']
    """
    module = _module(name)
    specs = [module.SPEC] + ([module.WORD_INDEX_SPEC] if hasattr(module, "WORD_INDEX_SPEC") else [])
    return [find_files(spec, path) for spec in specs]


def _module(name: str):
    def plain(text):  # "Fashion-MNIST", "fashion_mnist", "CIFAR-100" all match
        return text.strip().lower().replace("-", "").replace("_", "")

    for key, module in DATASETS.items():
        if plain(key) == plain(name):
            return module
    raise ValueError(f"Unknown dataset {name!r}; known datasets: {', '.join(DATASETS)}.")


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
    return "\n\n".join(location.summary() for name in DATASETS for location in locate_all(name))
