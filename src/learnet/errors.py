"""``tf.errors``: the exception classes TensorFlow code catches.

Each is an ``OpError`` (as in TensorFlow) and also the Python exception learnet raised
for the same mistake before, so ``except ValueError`` code keeps working:
``InvalidArgumentError`` is a ``ValueError``, ``NotFoundError`` a ``FileNotFoundError``,
``OutOfRangeError`` an ``IndexError``, ``UnimplementedError`` a ``NotImplementedError``,
``ResourceExhaustedError`` a ``MemoryError``.

Examples
--------
>>> import learnet as tf
>>> try:
...     tf.constant(1.0) + tf.constant(1.0, dtype=tf.float64)
... except tf.errors.InvalidArgumentError as error:
...     print(type(error).__name__, isinstance(error, ValueError))
InvalidArgumentError True
"""

__all__ = [
    "OpError",
    "CancelledError",
    "UnknownError",
    "InvalidArgumentError",
    "DeadlineExceededError",
    "NotFoundError",
    "AlreadyExistsError",
    "PermissionDeniedError",
    "UnauthenticatedError",
    "ResourceExhaustedError",
    "FailedPreconditionError",
    "AbortedError",
    "OutOfRangeError",
    "UnimplementedError",
    "InternalError",
    "UnavailableError",
    "DataLossError",
]

# TensorFlow's error codes (tf.errors.OK ... tf.errors.DATA_LOSS).
OK = 0
CANCELLED = 1
UNKNOWN = 2
INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
ABORTED = 10
OUT_OF_RANGE = 11
UNIMPLEMENTED = 12
INTERNAL = 13
UNAVAILABLE = 14
DATA_LOSS = 15
UNAUTHENTICATED = 16


class OpError(Exception):
    """An operation failed: ``OpError(node_def, op, message)``, as TensorFlow constructs it."""

    error_code = UNKNOWN

    def __init__(self, node_def=None, op=None, message="", *args, **kwargs):
        Exception.__init__(self, message)
        self._message = message
        self.node_def = node_def
        self.op = op

    @property
    def message(self):
        """The error's message."""
        return self._message

    def __str__(self):
        return str(self._message)

    def __reduce__(self):
        return type(self), (self.node_def, self.op, self._message)


def _error(name, code, python_error=None, doc=""):
    bases = (OpError,) if python_error is None else (OpError, python_error)
    return type(name, bases, {"error_code": code, "__doc__": doc, "__module__": __name__})


CancelledError = _error("CancelledError", CANCELLED, doc="An operation was cancelled.")
UnknownError = _error("UnknownError", UNKNOWN, doc="An error of an unknown kind.")
InvalidArgumentError = _error(
    "InvalidArgumentError", INVALID_ARGUMENT, ValueError, "An op got an argument it cannot take (a ValueError)."
)
DeadlineExceededError = _error("DeadlineExceededError", DEADLINE_EXCEEDED, doc="A deadline passed.")
NotFoundError = _error("NotFoundError", NOT_FOUND, FileNotFoundError, "A file or entity was not found.")
AlreadyExistsError = _error("AlreadyExistsError", ALREADY_EXISTS, FileExistsError, "The entity already exists.")
PermissionDeniedError = _error("PermissionDeniedError", PERMISSION_DENIED, PermissionError, "Not allowed.")
UnauthenticatedError = _error("UnauthenticatedError", UNAUTHENTICATED, doc="No valid credentials.")
ResourceExhaustedError = _error("ResourceExhaustedError", RESOURCE_EXHAUSTED, MemoryError, "Out of memory.")
FailedPreconditionError = _error(
    "FailedPreconditionError", FAILED_PRECONDITION, RuntimeError, "The system is not in a state to run the op."
)
AbortedError = _error("AbortedError", ABORTED, doc="An operation was aborted.")
OutOfRangeError = _error("OutOfRangeError", OUT_OF_RANGE, IndexError, "Past the end (of a dataset, a range).")
UnimplementedError = _error("UnimplementedError", UNIMPLEMENTED, NotImplementedError, "Not implemented.")
InternalError = _error("InternalError", INTERNAL, RuntimeError, "An internal invariant broke.")
UnavailableError = _error("UnavailableError", UNAVAILABLE, doc="A service is unavailable.")
DataLossError = _error("DataLossError", DATA_LOSS, doc="Data was lost or corrupted.")


class IndexOutOfRangeError(InvalidArgumentError, IndexError):  # type: ignore[valid-type,misc]
    """An index past the end of an axis (``tf.gather(x, [1])`` on one row): TensorFlow's
    ``InvalidArgumentError``, and Python's ``IndexError`` that indexing code expects."""
