"""``InputSpec``: what a layer accepts (rank, fixed sizes), checked on every call."""

from learnet.layers.keras_tensor import _shape_tuple


class InputSpec:
    """What a layer accepts: rank and fixed sizes of some axes (``keras.layers.InputSpec``).

    A layer sets ``self.input_spec`` (usually in ``build``); every call is checked against
    it, and a mismatch raises a ``ValueError`` naming the layer, what it expected and
    what it got.

    Parameters
    ----------
    ndim, min_ndim, max_ndim : int, optional
        Exact, least and largest rank (batch axis included).
    axes : dict, optional
        ``{axis: size}``, e.g. ``{-1: 784}`` for a Dense layer built on 784 features.
    dtype, shape, name : optional
        ``shape`` fixes the whole shape (``None`` for any size).
    """

    def __init__(
        self,
        dtype=None,
        shape=None,
        ndim=None,
        max_ndim=None,
        min_ndim=None,
        axes=None,
        allow_last_axis_squeeze=False,
        name=None,
        optional=False,
    ):
        self.dtype = dtype
        self.shape = _shape_tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = {int(k): int(v) for k, v in (axes or {}).items()}
        self.name = name
        self.optional = optional

    def __repr__(self):
        parts = [
            f"{k}={v}"
            for k, v in (
                ("ndim", self.ndim),
                ("min_ndim", self.min_ndim),
                ("max_ndim", self.max_ndim),
                ("axes", self.axes or None),
                ("shape", self.shape),
            )
            if v is not None
        ]
        return f"InputSpec({', '.join(parts)})"

    def check(self, layer, shape):
        """Raise ``ValueError`` if an input of ``shape`` does not fit; ``layer`` names the culprit."""
        who = f"{type(layer).__name__} '{layer.name}'"
        rank = len(shape)
        if self.ndim is not None and rank != self.ndim:
            raise ValueError(
                f"{who} expects inputs of rank {self.ndim}{_rank_hint(layer, self.ndim)}, got shape {tuple(shape)}"
            )
        if self.min_ndim is not None and rank < self.min_ndim:
            raise ValueError(f"{who} expects inputs of rank at least {self.min_ndim}, got shape {tuple(shape)}")
        if self.max_ndim is not None and rank > self.max_ndim:
            raise ValueError(f"{who} expects inputs of rank at most {self.max_ndim}, got shape {tuple(shape)}")
        for axis, size in self.axes.items():
            if -rank <= axis < rank:
                actual = shape[axis]
                if actual is not None and actual != size:
                    where = "last dimension" if axis == -1 or axis == rank - 1 else f"dimension {axis} of size"
                    raise ValueError(f"{who} expects inputs with {where} {size}, got {tuple(shape)}")
        if self.shape is not None:
            for expected, actual in zip(self.shape[1:], shape[1:]):
                if expected is not None and actual is not None and expected != actual:
                    want = ("batch",) + self.shape[1:]
                    raise ValueError(f"{who} expects inputs of shape {want}, got {tuple(shape)}")


def _rank_hint(layer, ndim):
    hint = getattr(layer, "_rank_hint", None)
    return f" {hint}" if hint else ""
