"""Exceptions raised by `nlptoolkit.datasets`."""


class DatasetNotFoundError(FileNotFoundError):
    """A named dataset's files are not where they should be.

    Raised when a directory the user points at (``path=`` or
    ``$NLPTOOLKIT_DATA/<folder>``) lacks an expected file, and when the files
    are nowhere local and the canonical URL cannot be reached. The message
    names the dataset, the URL, the expected local path and the fix.
    Subclasses `FileNotFoundError`, hence `OSError`.

    Example:

    >>> import nlptoolkit.datasets
    >>> issubclass(nlptoolkit.datasets.DatasetNotFoundError, OSError)
    True
    """


class ChecksumMismatchError(ValueError):
    """A downloaded file's sha256 differs from the one in the registry.

    The partial download is deleted before this is raised.

    Example:

    >>> import nlptoolkit.datasets
    >>> issubclass(nlptoolkit.datasets.ChecksumMismatchError, ValueError)
    True
    """


class UnsafeArchiveError(ValueError):
    """A downloaded archive holds a member whose path escapes its folder.

    Absolute member names, ``..`` components and links pointing outside the
    archive's folder are refused; the download is deleted.

    Example:

    >>> import nlptoolkit.datasets
    >>> issubclass(nlptoolkit.datasets.UnsafeArchiveError, ValueError)
    True
    """
