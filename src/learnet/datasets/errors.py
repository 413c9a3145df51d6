"""Exceptions raised when a dataset's files are missing or damaged."""

from __future__ import annotations

__all__ = ["DatasetError", "DatasetNotFoundError", "DatasetCorruptError"]


class DatasetError(Exception):
    """Base class of every dataset error, to catch them all at once."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """A dataset's files are neither on disk nor downloadable.

    The message lists the missing files, the folders searched, why each
    download failed, and where to put the files.
    """


class DatasetCorruptError(DatasetError, ValueError):
    """A dataset file is truncated, damaged or not in the expected format.

    The message names the file.
    """
