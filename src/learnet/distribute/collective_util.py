"""``tf.distribute.experimental.CommunicationOptions``: how collectives talk between workers.

TensorFlow lets a ``MultiWorkerMirroredStrategy`` (and its reductions, through
``options=``) choose the collective implementation (``RING`` over gRPC, ``NCCL`` between
GPUs, ``AUTO``), how gradients are packed (``bytes_per_pack``) and a timeout. learnet's
collectives are MPI's, which choose their own algorithm, so these options are checked and
kept for code that sets them: they change no result.

Examples
--------
>>> import learnet as tf
>>> tf.distribute.experimental.CommunicationOptions(implementation="ring")
Options(bytes_per_pack=0,timeout_seconds=None, implementation=CommunicationImplementation.RING)
"""

import enum
import numbers

__all__ = ["CollectiveHints", "CommunicationImplementation", "CommunicationOptions"]


class CommunicationImplementation(enum.Enum):
    """Which collective implementation to use (``tf.distribute.experimental.CommunicationImplementation``)."""

    AUTO = "AUTO"
    RING = "RING"
    NCCL = "NCCL"


class CommunicationOptions:
    """Options for cross-worker communication (``tf.distribute.experimental.CommunicationOptions``).

    Parameters
    ----------
    bytes_per_pack : int, default 0
        Gradients are reduced in packs of about this many bytes (0: the strategy decides).
    timeout_seconds : float, optional
        Give up on a collective after this long (``None``: wait).
    implementation : CommunicationImplementation or str, default AUTO
        ``"AUTO"``, ``"RING"`` or ``"NCCL"`` (any case).

    Raises
    ------
    TypeError
        If ``bytes_per_pack`` is not a number.
    ValueError
        If ``bytes_per_pack`` is negative or ``implementation`` is not one of them.

    Examples
    --------
    >>> import learnet as tf
    >>> options = tf.distribute.experimental.CommunicationOptions(bytes_per_pack=50 * 1024 * 1024)
    >>> options.merge(tf.distribute.experimental.CommunicationOptions(timeout_seconds=10))
    Options(bytes_per_pack=52428800,timeout_seconds=10, implementation=CommunicationImplementation.AUTO)
    """

    def __init__(self, bytes_per_pack=0, timeout_seconds=None, implementation=CommunicationImplementation.AUTO):
        if isinstance(bytes_per_pack, bool) or not isinstance(bytes_per_pack, numbers.Real):
            raise TypeError(f"Argument `bytes_per_pack` must be a number of bytes, Received {bytes_per_pack!r}.")
        if bytes_per_pack < 0:
            raise ValueError(f"Argument `bytes_per_pack` must be >=0, Received {bytes_per_pack}.")
        if isinstance(implementation, str):
            try:
                implementation = CommunicationImplementation(implementation.upper())
            except ValueError:
                raise ValueError(
                    f"{implementation.upper()!r} is not a valid CommunicationImplementation "
                    "(one of 'AUTO', 'RING', 'NCCL')"
                ) from None
        if not isinstance(implementation, CommunicationImplementation):
            raise ValueError(
                "Argument `implementation` must be instance of "
                "`tf.distribute.experimental.CommunicationImplementation`."
            )
        self.bytes_per_pack = bytes_per_pack
        self.timeout_seconds = timeout_seconds
        self.implementation = implementation

    def merge(self, options):
        """A copy of these options with the fields ``options`` sets (differs from the defaults) taken from it."""
        if not isinstance(options, CommunicationOptions):
            raise ValueError(f"merge() takes CommunicationOptions, got {type(options).__name__}")
        merged = CommunicationOptions(self.bytes_per_pack, self.timeout_seconds, self.implementation)
        if options.bytes_per_pack != 0:
            merged.bytes_per_pack = options.bytes_per_pack
        if options.timeout_seconds is not None:
            merged.timeout_seconds = options.timeout_seconds
        if options.implementation is not CommunicationImplementation.AUTO:
            merged.implementation = options.implementation
        return merged

    def __eq__(self, other):
        if not isinstance(other, CommunicationOptions):
            return NotImplemented
        return (self.bytes_per_pack, self.timeout_seconds, self.implementation) == (
            other.bytes_per_pack,
            other.timeout_seconds,
            other.implementation,
        )

    def __hash__(self):
        return hash((self.bytes_per_pack, self.timeout_seconds, self.implementation))

    def __repr__(self):
        return (
            f"Options(bytes_per_pack={self.bytes_per_pack},timeout_seconds={self.timeout_seconds}, "
            f"implementation={self.implementation})"
        )


class CollectiveHints(CommunicationOptions):
    """The former name of ``CommunicationOptions``, without ``implementation``.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.distribute.experimental.CollectiveHints(bytes_per_pack=1024).bytes_per_pack
    1024
    """

    def __init__(self, bytes_per_pack=0, timeout_seconds=None):
        super().__init__(bytes_per_pack, timeout_seconds)


def check_options(options, where):
    """``options`` if it is ``None`` or ``CommunicationOptions``, else a ValueError naming ``where``."""
    if options is not None and not isinstance(options, CommunicationOptions):
        raise ValueError(
            f"{where} must be an instance of tf.distribute.experimental.CommunicationOptions, "
            f"got {type(options).__name__} {options!r}"
        )
    return options
