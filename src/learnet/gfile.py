"""``tf.io.gfile``: TensorFlow's file functions, on the local file system.

TensorFlow's ``gfile`` also reaches cloud storage (``gs://``, ``s3://``); learnet reads
and writes local paths only, and refuses a URL scheme with a clear error. Missing files
raise ``tf.errors.NotFoundError`` (also a ``FileNotFoundError``), as TensorFlow's do.

Examples
--------
>>> import learnet as tf, tempfile, os
>>> folder = tempfile.mkdtemp()
>>> with tf.io.gfile.GFile(os.path.join(folder, "notes.txt"), "w") as stream:
...     _ = stream.write("one\\ntwo\\n")
>>> tf.io.gfile.listdir(folder), tf.io.gfile.exists(os.path.join(folder, "notes.txt"))
(['notes.txt'], True)
>>> [os.path.basename(p) for p in tf.io.gfile.glob(os.path.join(folder, "*.txt"))]
['notes.txt']
"""

import glob as _glob
import os
import re
import shutil

from learnet import errors

__all__ = [
    "GFile",
    "copy",
    "exists",
    "get_registered_schemes",
    "glob",
    "isdir",
    "join",
    "listdir",
    "makedirs",
    "mkdir",
    "remove",
    "rename",
    "rmtree",
    "stat",
    "walk",
]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


def _local(path, what):
    if isinstance(path, bytes):
        path = path.decode()
    path = os.fspath(path)
    if _SCHEME.match(path) and not path.startswith("file://"):
        raise errors.UnimplementedError(
            None, None, f"{what}: {path!r} is not a local path; learnet's gfile reads the local file system only"
        )
    return path[len("file://") :] if path.startswith("file://") else path


def _not_found(what, path):
    return errors.NotFoundError(None, None, f"{what}: {path}; No such file or directory")


class GFile:
    """A file object (``tf.io.gfile.GFile(name, mode)``): ``read``, ``write``, ``readline``,
    ``readlines``, iteration, ``seek``, ``tell``, ``size``, ``flush``, ``close``, and ``with``.

    ``"r"`` reads text, ``"rb"`` bytes; ``"w"``/``"wb"`` write, ``"a"`` appends.
    """

    def __init__(self, name, mode="r"):
        self.name = _local(name, "GFile")
        self.mode = mode
        if mode not in ("r", "rb", "w", "wb", "a", "ab", "r+", "rb+", "w+", "wb+"):
            raise errors.InvalidArgumentError(None, None, f"GFile: mode {mode!r} is not a file mode")
        try:
            self._file = open(self.name, mode, **({} if "b" in mode else {"encoding": "utf-8"}))  # noqa: SIM115
        except FileNotFoundError:
            raise _not_found("GFile", self.name) from None

    def read(self, n=-1):
        return self._file.read(n)

    def readline(self):
        return self._file.readline()

    def readlines(self):
        return self._file.readlines()

    def write(self, data):
        if isinstance(data, str) and "b" in self.mode:
            data = data.encode()
        elif isinstance(data, (bytes, bytearray)) and "b" not in self.mode:
            data = bytes(data).decode()
        return self._file.write(data)

    def seek(self, offset, whence=0):
        return self._file.seek(offset, whence)

    def tell(self):
        return self._file.tell()

    def size(self):
        """The file's length in bytes."""
        self._file.flush()
        return os.path.getsize(self.name)

    def flush(self):
        self._file.flush()

    def close(self):
        self._file.close()

    @property
    def closed(self):
        return self._file.closed

    def __iter__(self):
        return iter(self._file)

    def __next__(self):
        return next(self._file)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


Open = GFile  # TensorFlow's other name


def exists(path):
    """Whether ``path`` (a file or directory) exists."""
    return os.path.exists(_local(path, "exists"))


def isdir(path):
    """Whether ``path`` is a directory."""
    return os.path.isdir(_local(path, "isdir"))


def glob(pattern):
    """The paths matching ``pattern`` (``*``, ``?``, ``[...]``), or a list of patterns, sorted."""
    patterns = [pattern] if isinstance(pattern, (str, bytes, os.PathLike)) else list(pattern)
    found = set()
    for item in patterns:
        found.update(_glob.glob(_local(item, "glob")))
    return sorted(found)


def listdir(path):
    """The names of the entries of the directory ``path`` (not their paths), sorted."""
    path = _local(path, "listdir")
    if not os.path.isdir(path):
        raise _not_found("listdir", path)
    return sorted(os.listdir(path))


def makedirs(path):
    """Make the directory ``path`` and its parents; an existing one is fine."""
    os.makedirs(_local(path, "makedirs"), exist_ok=True)


def mkdir(path):
    """Make the directory ``path`` (its parent must exist; an existing one is fine)."""
    path = _local(path, "mkdir")
    if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        raise _not_found("mkdir", os.path.dirname(path))
    os.makedirs(path, exist_ok=True)


def remove(path):
    """Delete the file ``path``."""
    path = _local(path, "remove")
    if not os.path.isfile(path):
        raise _not_found("remove", path)
    os.remove(path)


def rmtree(path):
    """Delete the directory ``path`` and everything in it."""
    path = _local(path, "rmtree")
    if not os.path.isdir(path):
        raise _not_found("rmtree", path)
    shutil.rmtree(path)


def rename(src, dst, overwrite=False):
    """Move ``src`` to ``dst``; an existing ``dst`` needs ``overwrite=True``."""
    src, dst = _local(src, "rename"), _local(dst, "rename")
    if not os.path.exists(src):
        raise _not_found("rename", src)
    if os.path.exists(dst) and not overwrite:
        raise errors.AlreadyExistsError(None, None, f"rename: {dst} exists; pass overwrite=True")
    os.replace(src, dst)


def copy(src, dst, overwrite=False):
    """Copy the file ``src`` to ``dst``; an existing ``dst`` needs ``overwrite=True``."""
    src, dst = _local(src, "copy"), _local(dst, "copy")
    if not os.path.isfile(src):
        raise _not_found("copy", src)
    if os.path.exists(dst) and not overwrite:
        raise errors.AlreadyExistsError(None, None, f"copy: {dst} exists; pass overwrite=True")
    shutil.copyfile(src, dst)


class FileStatistics:
    """What ``stat`` returns: ``length`` (bytes), ``mtime_nsec`` and ``is_directory``."""

    def __init__(self, length, mtime_nsec, is_directory):
        self.length, self.mtime_nsec, self.is_directory = length, mtime_nsec, is_directory

    def __repr__(self):
        return f"FileStatistics(length={self.length}, mtime_nsec={self.mtime_nsec}, is_directory={self.is_directory})"


def stat(path):
    """The ``FileStatistics`` of ``path``."""
    path = _local(path, "stat")
    try:
        result = os.stat(path)
    except FileNotFoundError:
        raise _not_found("stat", path) from None
    return FileStatistics(result.st_size, result.st_mtime_ns, os.path.isdir(path))


def walk(top, topdown=True, onerror=None):
    """``(directory, subdirectory names, file names)`` for each directory under ``top``, as ``os.walk``."""
    yield from os.walk(_local(top, "walk"), topdown=topdown, onerror=onerror)


def join(path, *paths):
    """The paths joined with the separator."""
    return os.path.join(_local(path, "join"), *paths)


def get_registered_schemes():
    """The URL schemes this gfile reads: local files only."""
    return ["file"]
