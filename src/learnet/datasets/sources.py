"""Where dataset files come from: local folders, the cache, public mirrors.

The files of a dataset are looked for, in order, in

1. the ``path`` given to ``load_data`` (and only there, when it is given);
2. ``$LEARNET_DATASETS/<folder>/``, e.g. ``$LEARNET_DATASETS/fashion-mnist/``;
3. system folders, such as Debian's ``/usr/share/datasets/fashion-mnist/``;
4. the cache, ``~/.learnet/datasets/<folder>/`` (``$LEARNET_HOME/datasets/...``).

Each file is taken from the first folder that has it, gzipped or not. What is
still missing is downloaded from the public mirrors, one after another, checked
against its known SHA-256 digest, and renamed into the cache only once it is
complete and correct.

Nothing here reads the files; :mod:`learnet.datasets.loader` does.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DatasetNotFoundError

__all__ = [
    "DatasetFile",
    "DatasetSpec",
    "Found",
    "Location",
    "DownloadError",
    "cache_dir",
    "find_files",
    "fetch",
    "download_file",
    "DEFAULT_TIMEOUT",
]

#: Seconds to wait for a mirror to connect or send more data before trying the next.
DEFAULT_TIMEOUT = 10.0

# Source labels, as shown to users.
PATH = "path argument"
ENVIRONMENT = "LEARNET_DATASETS"
SYSTEM = "system folder"
CACHE = "cache"
DOWNLOAD = "downloaded to the cache"

_CHUNK = 1 << 20


@dataclass(frozen=True)
class DatasetFile:
    """One file of a dataset as the mirrors serve it.

    Parameters
    ----------
    name : str
        File name, e.g. ``"train-images-idx3-ubyte.gz"``.
    sha256 : str
        Hex SHA-256 digest of the file as downloaded (32 hex digits: an MD5
        digest, for the few files whose publishers list only that).
    size : int, optional
        Size in bytes, when known (a download that grows past it is stopped).
    """

    name: str
    sha256: str
    size: int | None = None

    @property
    def local_names(self) -> tuple[str, ...]:
        """Names under which the file is accepted on disk: as served, or unzipped."""
        if self.name.endswith(".gz"):
            return (self.name, self.name[: -len(".gz")])
        return (self.name,)


@dataclass(frozen=True)
class DatasetSpec:
    """Everything needed to find, download and check one dataset.

    Parameters
    ----------
    name : str
        Python name, e.g. ``"fashion_mnist"``.
    title : str
        Name shown to people, e.g. ``"Fashion-MNIST"``.
    folder : str
        Sub-folder of ``LEARNET_DATASETS`` and of the cache, e.g. ``"fashion-mnist"``.
    files : tuple of DatasetFile
        Training images, training labels, test images, test labels, in this order.
    mirrors : tuple of str
        Base URLs, tried in order; a file's URL is the base plus its name.
    archive : DatasetFile, optional
        A one-file copy of the whole dataset (Keras' ``mnist.npz``), used when the
        separate files are incomplete.
    archive_mirrors : tuple of str
        Base URLs for ``archive``.
    system_dirs : tuple of str
        Folders where an operating-system package installs the files.
    image_shape : tuple of int
        Shape of one image.
    num_classes : int
        Labels are ``0 .. num_classes - 1``.
    loader : str
        The call that reads the files, as messages name it; by default
        ``"<name>.load_data"`` (``"imdb.get_word_index"`` for IMDB's word index).
    """

    name: str
    title: str
    folder: str
    files: tuple[DatasetFile, ...]
    mirrors: tuple[str, ...]
    archive: DatasetFile | None = None
    archive_mirrors: tuple[str, ...] = ()
    system_dirs: tuple[str, ...] = ()
    image_shape: tuple[int, ...] = (28, 28)
    num_classes: int = 10
    loader: str = ""

    @property
    def file_names(self) -> list[str]:
        return [f.name for f in self.files]

    @property
    def loader_call(self) -> str:
        """The function that reads the files, e.g. ``"mnist.load_data"``."""
        return self.loader or f"{self.name}.load_data"


@dataclass(frozen=True)
class Found:
    """A file on disk and the source it was found in (e.g. ``"LEARNET_DATASETS"``)."""

    source: str
    path: Path


@dataclass
class Location:
    """Where each file of a dataset is, as far as the disk tells.

    Attributes
    ----------
    spec : DatasetSpec
    found : dict of str to Found
        The files found so far, by name.
    archive : Found or None
        A one-file copy of the dataset, when one was found.
    searched : list of (str, Path)
        The folders looked in, in order, with their source label.
    explicit : bool
        Whether the search was limited to a ``path`` given by the caller.
    """

    spec: DatasetSpec
    found: dict[str, Found] = field(default_factory=dict)
    archive: Found | None = None
    searched: list[tuple[str, Path]] = field(default_factory=list)
    explicit: bool = False

    @property
    def files_complete(self) -> bool:
        """True when all separate files were found."""
        return all(name in self.found for name in self.spec.file_names)

    @property
    def complete(self) -> bool:
        """True when the dataset can be loaded without downloading."""
        return self.files_complete or self.archive is not None

    @property
    def missing(self) -> list[str]:
        """Names of the files still needed (empty when :attr:`complete`)."""
        if self.complete:
            return []
        return [name for name in self.spec.file_names if name not in self.found]

    def summary(self) -> str:
        """A few lines for people: where each file is, or what to do.

        Examples
        --------
        >>> from learnet.datasets import locate
        >>> print(locate("mnist").summary())  # doctest: +SKIP
        MNIST: incomplete, 3 of 4 files found
          train-images-idx3-ubyte.gz  missing
          ...
        """
        spec = self.spec
        if self.files_complete:
            head = f"{spec.title}: ready"
        elif self.archive is not None:
            head = f"{spec.title}: ready ({self.archive.source}: {self.archive.path})"
        elif len(spec.files) == 1:
            head = f"{spec.title}: missing"
        else:
            head = f"{spec.title}: incomplete, {len(self.found)} of {len(spec.files)} files found"
        lines = [head]
        if self.files_complete or self.archive is None:
            width = max(len(name) for name in spec.file_names)
            for name in spec.file_names:
                where = self.found.get(name)
                status = f"{where.source}: {where.path}" if where else "missing"
                lines.append(f"  {name:<{width}}  {status}")
        if not self.complete:
            lines.append("  " + _how_to_fix(self).replace("\n", "\n  "))
        return "\n".join(lines)


class DownloadError(DatasetNotFoundError):
    """Every mirror failed for a file; ``reasons`` holds ``(url, why)`` pairs."""

    def __init__(self, name: str, reasons: list[tuple[str, str]]) -> None:
        self.name = name
        self.reasons = reasons
        listed = "\n".join(f"  - {url}: {why}" for url, why in reasons)
        super().__init__(f"Could not download {name}:\n{listed}")


def cache_dir() -> Path:
    """The folder downloads go to: ``$LEARNET_HOME/datasets``, else ``~/.learnet/datasets``.

    Examples
    --------
    >>> cache_dir().name
    'datasets'
    """
    home = os.environ.get("LEARNET_HOME")
    root = Path(home).expanduser() if home else Path.home() / ".learnet"
    return root / "datasets"


def _search_folders(spec: DatasetSpec, path: str | os.PathLike | None) -> list[tuple[str, Path]]:
    if path is not None:
        folder = Path(path).expanduser()
        # A folder laid out like LEARNET_DATASETS (holding mnist/, ...) works too.
        return [(PATH, folder), (PATH, folder / spec.folder)]
    folders = []
    shared = os.environ.get("LEARNET_DATASETS")
    if shared:
        folders.append((ENVIRONMENT, Path(shared).expanduser() / spec.folder))
    folders.extend((SYSTEM, Path(d)) for d in spec.system_dirs)
    folders.append((CACHE, cache_dir() / spec.folder))
    return folders


def find_files(spec: DatasetSpec, path: str | os.PathLike | None = None) -> Location:
    """Look for a dataset's files on disk; never downloads, never reads a file.

    Parameters
    ----------
    spec : DatasetSpec
    path : str or path-like, optional
        A folder holding the files, or the archive file itself (``mnist.npz``).
        When given, nothing else is searched.

    Returns
    -------
    Location
    """
    location = Location(spec, explicit=path is not None)
    if path is not None and Path(path).expanduser().is_file():
        file = Path(path).expanduser()
        if file.suffix != ".npz":
            raise DatasetNotFoundError(
                f"{file} is a file; pass load_data(path=...) the folder holding "
                f"{', '.join(spec.file_names)}, or a Keras-style .npz archive."
            )
        location.searched.append((PATH, file.parent))
        location.archive = Found(PATH, file)
        return location
    for source, folder in _search_folders(spec, path):
        location.searched.append((source, folder))
        if not folder.is_dir():
            continue
        for file in spec.files:
            if file.name in location.found:
                continue
            for local_name in file.local_names:
                candidate = folder / local_name
                if candidate.is_file():
                    location.found[file.name] = Found(source, candidate)
                    break
        if spec.archive is not None and location.archive is None:
            candidate = folder / spec.archive.name
            if candidate.is_file():
                location.archive = Found(source, candidate)
    return location


def fetch(
    spec: DatasetSpec,
    path: str | os.PathLike | None = None,
    *,
    progress: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
) -> Location:
    """Find a dataset's files, downloading the missing ones into the cache.

    Parameters
    ----------
    spec : DatasetSpec
    path : str or path-like, optional
        Only look here (see :func:`find_files`); nothing is downloaded.
    progress : bool, default True
        Show a progress bar while downloading.
    timeout : float
        Seconds a mirror may stay silent before the next one is tried.

    Returns
    -------
    Location
        A complete location.

    Raises
    ------
    DatasetNotFoundError
        If files are missing and could not be downloaded. The message says
        which files to put into which folder.
    """
    location = find_files(spec, path)
    if location.complete:
        return location
    if location.explicit:
        raise DatasetNotFoundError(_not_found_message(location, {}))

    target = cache_dir() / spec.folder
    failures: dict[str, list[tuple[str, str]]] = {}
    for file in spec.files:
        if file.name in location.found:
            continue
        try:
            saved = download_file(
                [m + file.name for m in spec.mirrors],
                target / file.name,
                file.sha256,
                size=file.size,
                progress=progress,
                timeout=timeout,
            )
        except DownloadError as err:
            failures[file.name] = err.reasons
        else:
            location.found[file.name] = Found(DOWNLOAD, saved)
    if not location.complete and spec.archive is not None and spec.archive_mirrors:
        archive = spec.archive
        try:
            saved = download_file(
                [m + archive.name for m in spec.archive_mirrors],
                target / archive.name,
                archive.sha256,
                size=archive.size,
                progress=progress,
                timeout=timeout,
            )
        except DownloadError as err:
            failures[archive.name] = err.reasons
        else:
            location.archive = Found(DOWNLOAD, saved)
    if not location.complete:
        raise DatasetNotFoundError(_not_found_message(location, failures))
    return location


def download_file(
    urls: list[str],
    destination: str | os.PathLike,
    sha256: str,
    *,
    size: int | None = None,
    progress: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
) -> Path:
    """Download a file from the first URL that delivers it intact.

    The bytes go to a temporary file beside ``destination``; only a file whose
    SHA-256 digest matches is renamed to ``destination``, so an interrupted or
    corrupted download never takes its place.

    Parameters
    ----------
    urls : list of str
        Mirrors, tried in order.
    destination : str or path-like
        Where the file ends up; its folder is created if needed.
    sha256 : str
        Expected hex digest.
    size : int, optional
        Expected size in bytes; a download growing past it is stopped.
    progress : bool, default True
        Show a tqdm progress bar.
    timeout : float
        Seconds a mirror may stay silent.

    Returns
    -------
    pathlib.Path
        ``destination``.

    Raises
    ------
    DownloadError
        If no URL worked; ``reasons`` says why for each.
    """
    import http.client  # imported here: it is slow to import and rarely needed

    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    reasons = []
    for url in urls:
        try:
            _download_once(url, destination, sha256, size, progress, timeout)
        except (OSError, ValueError, http.client.HTTPException) as err:
            reasons.append((url, str(err) or type(err).__name__))
        else:
            return destination
    raise DownloadError(destination.name, reasons)


def _download_once(url: str, destination: Path, sha256: str, size: int | None, progress: bool, timeout: float) -> None:
    # Imported here: both take a noticeable time to import and most runs never download.
    import urllib.request

    from tqdm import tqdm

    request = urllib.request.Request(url, headers={"User-Agent": "learnet"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else size
        handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.", suffix=".part")
        try:
            algorithm = "md5" if len(sha256) == 32 else "sha256"
            digest = hashlib.new(algorithm)
            received = 0
            with (
                os.fdopen(handle, "wb") as out,
                tqdm(
                    total=total,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    desc=destination.name,
                    disable=not progress,
                ) as bar,
            ):
                while chunk := response.read(_CHUNK):
                    received += len(chunk)
                    if size is not None and received > size:
                        raise ValueError(f"the server sent more than the expected {size} bytes")
                    digest.update(chunk)
                    out.write(chunk)
                    bar.update(len(chunk))
            if digest.hexdigest() != sha256:
                expected_size = f", expected {size}" if size is not None else ""
                raise ValueError(
                    f"corrupt download: {'MD5' if algorithm == 'md5' else 'SHA-256'} {digest.hexdigest()} does not match the "
                    f"known {sha256} ({received} bytes received{expected_size})"
                )
            os.replace(temporary, destination)
        except BaseException:
            # Also on Ctrl-C: a partial file must never be left behind.
            Path(temporary).unlink(missing_ok=True)
            raise


def _how_to_fix(location: Location) -> str:
    spec = location.spec
    missing = ", ".join(location.missing)
    all_files = ", ".join(spec.file_names)
    archive = f" (or Keras' {spec.archive.name})" if spec.archive is not None else ""
    call = spec.loader_call
    function = call.rsplit(".", 1)[-1]
    if location.explicit:
        folder = location.searched[0][1]
        return (
            f"Put {missing} into {folder}{archive}, or call "
            f"{call}() without path to use LEARNET_DATASETS, the cache "
            "or a download."
        )
    folders = [folder for source, folder in location.searched if source == ENVIRONMENT]
    cache = cache_dir() / spec.folder
    folders.append(cache)
    into = " or ".join(str(f) for f in folders)
    several = len(spec.files) > 1
    kind = "the original files" if several else "the file as the mirrors serve it"
    gzipped = ", gzipped or not" if any(f.name.endswith(".gz") for f in spec.files) else ""
    them = "them" if several else "it"
    text = (
        f"To fix this, put {missing} ({kind}{gzipped}) into {into}.\n"
        f"Or set the environment variable LEARNET_DATASETS to a folder whose "
        f"{spec.folder}/ subfolder holds {all_files}{archive};\n"
        f"or pass {function}(path=...) a folder holding {'these files' if several else 'it'}."
    )
    return text + f"\nWith a network connection, {call}() downloads {them} into {cache}."


def _not_found_message(location: Location, failures: dict[str, list[tuple[str, str]]]) -> str:
    spec = location.spec
    missing = location.missing
    lines = [f"{spec.title}: {len(missing)} of {len(spec.files)} files not found: {', '.join(missing)}."]
    if location.found:
        lines.append("Found:")
        lines += [f"  - {name} ({found.source}: {found.path})" for name, found in location.found.items()]
    lines.append("Looked in:")
    for source, folder in location.searched:
        absent = "" if folder.is_dir() else ", no such folder"
        lines.append(f"  - {folder} ({source}{absent})")
    if failures:
        lines.append("Downloading failed (no network connection, or the mirrors are down):")
        for reasons in failures.values():
            lines += [f"  - {url}: {why}" for url, why in reasons]
    lines.append(_how_to_fix(location))
    return "\n".join(lines)
