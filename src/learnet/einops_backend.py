"""einops on learnet tensors: ``einops.rearrange``, ``reduce``, ``repeat``, ``parse_shape``...

TensorFlow's tutorials (neural machine translation with attention, image captioning,
video classification) reshape their tensors with `einops <https://einops.rocks>`_::

    import einops
    images = einops.rearrange(video, "b t h w c -> (b t) h w c")

einops finds how to work on a tensor through a *backend*: a subclass of
``einops._backends.AbstractBackend`` whose ``framework_name`` is the name of an imported
module. The first time einops meets a tensor of a type it does not know, it creates one
of each such subclass and asks it whether it handles that type.

learnet does not import einops (einops is not one of its dependencies), and the backend
class can only be written once einops is imported, since it subclasses einops' own
class. So :func:`install` (called by ``import learnet``) does one of two things:

* einops is already imported: it defines the backend class at once;
* otherwise it puts a small finder at the front of ``sys.meta_path``. The finder does
  nothing for every other import; when ``einops._backends`` is imported it lets the usual
  finder and loader load it, then defines the backend class and takes itself away.

The backend's methods are made of learnet's differentiable ops (``reshape``,
``transpose``, ``reduce_*``, ``tile``, ``concat``, ``einsum``...), so a ``GradientTape``
follows gradients through every einops call.

Examples
--------
>>> import learnet as tf
>>> import einops  # doctest: +SKIP
>>> x = tf.zeros((2, 3, 4, 5))
>>> einops.rearrange(x, "b h w c -> b (h w) c").shape  # doctest: +SKIP
TensorShape([2, 12, 5])
>>> einops.parse_shape(x, "b _ _ c")  # doctest: +SKIP
{'b': 2, 'c': 5}
"""

import importlib.abc
import sys

from learnet.ops import creation, linalg
from learnet.ops import reduce as reduce_ops
from learnet.ops import shape as shape_ops
from learnet.tensor import Tensor, convert_to_tensor

BACKENDS_MODULE = "einops._backends"  # the einops module that holds AbstractBackend

# einops' names of its reductions, and the learnet op for each.
_REDUCTIONS = {
    "min": reduce_ops.reduce_min,
    "max": reduce_ops.reduce_max,
    "sum": reduce_ops.reduce_sum,
    "mean": reduce_ops.reduce_mean,
    "prod": reduce_ops.reduce_prod,
    "any": reduce_ops.reduce_any,
    "all": reduce_ops.reduce_all,
}

LearnetBackend = None  # the backend class, once einops is imported (einops keeps only a weak reference)


class LearnetBackendMethods:
    """What einops asks of a framework, answered with learnet's differentiable ops.

    The einops backend class is this class mixed into ``einops._backends.AbstractBackend``
    (see :func:`define_backend`); einops calls these methods, users call einops.

    Examples
    --------
    >>> import learnet as tf
    >>> methods = LearnetBackendMethods()
    >>> x = tf.zeros((2, 3))
    >>> methods.shape(x), methods.reduce(x, "sum", (1,)).shape
    ((2, 3), TensorShape([2]))
    """

    framework_name = "learnet"  # einops creates the backend only while this module is imported

    def is_appropriate_type(self, tensor):
        """Whether ``tensor`` is a learnet ``Tensor`` (a ``Variable`` is one too)."""
        return isinstance(tensor, Tensor)

    def from_numpy(self, x):
        """A tensor holding the NumPy array ``x``."""
        return convert_to_tensor(x)

    def to_numpy(self, x):
        """The values of ``x`` as a NumPy array."""
        return x.numpy()

    def arange(self, start, stop):
        """The integers ``start, start + 1, ..., stop - 1`` as a tensor."""
        return creation.range(start, stop)

    def shape(self, x):
        """The shape as a tuple of Python ints (a learnet tensor always knows its sizes)."""
        return tuple(int(size) for size in x.shape)

    def reshape(self, x, shape):
        return shape_ops.reshape(x, shape)

    def transpose(self, x, axes):
        return shape_ops.transpose(x, axes)

    def reduce(self, x, operation, axes):
        """Reduce ``x`` over ``axes`` with one of einops' reductions (``"sum"``, ``"mean"``...)."""
        if operation not in _REDUCTIONS:
            raise ValueError(f"einops on learnet: unknown reduction {operation!r}; expected one of {list(_REDUCTIONS)}")
        return _REDUCTIONS[operation](x, axis=tuple(axes))

    def stack_on_zeroth_dimension(self, tensors):
        """Stack a list of tensors along a new first axis (``rearrange`` of a list)."""
        return shape_ops.stack(list(tensors), axis=0)

    def add_axis(self, x, new_position):
        return shape_ops.expand_dims(x, new_position)

    def add_axes(self, x, n_axes, pos2len):
        """Insert new axes (``repeat``): size 1 by a reshape, then broadcast to their lengths.

        ``pos2len`` maps each new axis' position in the result of ``n_axes`` axes to its
        length. Broadcasting sums the gradient back over the new axes.
        """
        sizes = iter(self.shape(x))
        kept_shape = [1 if axis in pos2len else next(sizes) for axis in range(n_axes)]
        x = shape_ops.reshape(x, kept_shape)
        return shape_ops.broadcast_to(x, [pos2len.get(axis, size) for axis, size in enumerate(kept_shape)])

    def tile(self, x, repeats):
        return shape_ops.tile(x, repeats)

    def concat(self, tensors, axis):
        return shape_ops.concat(list(tensors), axis=axis)

    def is_float_type(self, x):
        """Whether ``x`` holds floating-point numbers (einops averages only those)."""
        dtype = x.dtype
        return getattr(dtype, "kind", "") == "f" or getattr(dtype, "name", "") == "bfloat16"

    def einsum(self, pattern, *x):
        """``einops.einsum`` after einops has turned its axis names into letters."""
        return linalg.einsum(pattern, *x)

    def __repr__(self):
        return "<einops backend for learnet>"


def define_backend(backends_module=None):
    """Define learnet's einops backend class in ``einops._backends`` (once).

    Parameters
    ----------
    backends_module : module, optional
        The imported ``einops._backends``; by default taken from ``sys.modules``.

    Returns
    -------
    type
        The backend class (a subclass of ``einops._backends.AbstractBackend``).

    Examples
    --------
    >>> import einops  # doctest: +SKIP
    >>> define_backend().framework_name  # doctest: +SKIP
    'learnet'
    """
    global LearnetBackend
    if backends_module is None:
        backends_module = sys.modules[BACKENDS_MODULE]
    abstract = backends_module.AbstractBackend
    if LearnetBackend is None or not issubclass(LearnetBackend, abstract):
        # class LearnetBackend(LearnetBackendMethods, abstract), written where einops' class is at hand
        LearnetBackend = type("LearnetBackend", (LearnetBackendMethods, abstract), {"__module__": __name__})
    return LearnetBackend


class _DefineAfterLoading(importlib.abc.Loader):
    """A loader that runs einops' own loader, then defines the backend class."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        uninstall_hook()
        define_backend(module)

    def __getattr__(self, name):
        # Everything else (get_source, get_filename, resource readers) is einops' loader's.
        return getattr(self._loader, name)


class EinopsImportHook(importlib.abc.MetaPathFinder):
    """A ``sys.meta_path`` finder that defines the backend when ``einops._backends`` is imported.

    For every other module it answers ``None``, so Python goes on to the usual finders.
    For ``einops._backends`` it asks those finders for the module, and hands back their
    answer with the loader wrapped so that the backend is defined right after the module
    has run. The hook then removes itself.
    """

    def find_spec(self, fullname, path=None, target=None):
        if fullname != BACKENDS_MODULE:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                break
        else:
            return None  # not installed here: Python says so as usual
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _DefineAfterLoading(spec.loader)
        return spec


_hook = EinopsImportHook()


def uninstall_hook():
    """Take the import hook out of ``sys.meta_path`` (nothing happens if it is not there)."""
    if _hook in sys.meta_path:
        sys.meta_path.remove(_hook)


def install():
    """Make einops work on learnet tensors, now or when einops is imported.

    Called once by ``import learnet``. If ``einops._backends`` is already imported the
    backend is defined at once; otherwise the import hook waits for it. learnet itself
    never imports einops.

    Examples
    --------
    >>> install()  # what ``import learnet`` does
    """
    if BACKENDS_MODULE in sys.modules:
        define_backend(sys.modules[BACKENDS_MODULE])
    elif _hook not in sys.meta_path:
        sys.meta_path.insert(0, _hook)
