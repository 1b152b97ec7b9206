"""Write files whole or not at all, and never over what nlptoolkit did not
write.

`atomic_write` writes one file into a temp file beside it, then renames it
into place; `atomic_write_dir` does the same for a folder replaced whole (a
SavedModel export). `output_dir` does the same for a folder of results (a run's
``model.keras``, ``metrics.json``, plots ...): the files are written into a
temp folder, then moved into the output folder one rename each. An output
folder may be absent, empty, or hold an earlier nlptoolkit run (only files
with nlptoolkit's own names: `OUTPUT_NAMES`, `OUTPUT_PATTERNS`); a folder
holding anything else is refused unless ``overwrite=True``, and even then
only nlptoolkit's own file names are replaced. Nothing is ever deleted
from an output folder. `write_json` and `write_csv` write one JSON or CSV
file atomically.

Example:
>>> import os, tempfile
>>> from nlptoolkit.atomic import atomic_write
>>> path = os.path.join(tempfile.mkdtemp(), "out.txt")
>>> def write(tmp):
...     with open(tmp, "w") as handle:
...         handle.write("done")
>>> atomic_write(path, write) == path, open(path).read()
(True, 'done')
"""

import contextlib
import fnmatch
import json
import logging
import os
import shutil
import tempfile

from nlptoolkit.errors import UserError

logger = logging.getLogger("nlptoolkit")

# The file names nlptoolkit writes into an output folder.
OUTPUT_NAMES = (
    "model.keras",
    "metrics.json",
    "history.csv",
    "learning_curves.png",
    "confusion_matrix.png",
    "lr_finder.csv",
    "lr_finder.png",
    "samples.txt",
    "examples.jsonl",
    "top_losses.csv",
    "clock.csv",
    "clock.json",
    "clock.png",
)
OUTPUT_PATTERNS = ("evaluation-*.json", "top_losses-*.csv")
# Temp folders `output_dir` makes inside an existing output folder (one a
# killed run left behind is nlptoolkit's too).
_TMP_PREFIX = ".nlptoolkit-tmp-"


class OutputFolderError(UserError):
    """An output folder holds files nlptoolkit did not write (a
    ``ValueError``; see ``nlptoolkit.errors.UserError``)."""


class CommitInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped `output_dir` while it moved its files into ``path``,
    which may now hold a mix of this run's files and an earlier run's."""

    def __init__(self, path):
        super().__init__(path)
        self.path = path


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path, write, suffix=".tmp"):
    """Call ``write(tmp_path)``, then rename the temp file onto ``path``.

    The temp file lies in ``path``'s directory (created if missing) and
    ends with ``suffix`` (writers that choose a format by extension, such
    as Keras's ``.keras``, need the right one). If ``write`` fails, the
    temp file is removed and ``path`` is untouched. The file gets the
    usual permissions (``0o666`` less the umask), not the temp file's
    ``0o600``. Returns ``path``.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"Cannot write the file {path!r}: it is an existing folder "
            "(nothing in it was touched). Pass a file path, e.g. "
            f"{os.path.join(path, 'model.keras')!r}."
        )
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, tmp = tempfile.mkstemp(
        dir=directory, prefix=f".{os.path.basename(path)}.", suffix=suffix
    )
    os.close(handle)
    try:
        write(tmp)
        if os.path.isfile(tmp):
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def atomic_write_dir(path, write):
    """Call ``write(tmp_folder)``, then rename the temp folder onto ``path``.

    The temp folder lies beside ``path`` (its parent is created if
    missing). A folder already at ``path`` is replaced whole: moved aside,
    the new one renamed in, the old one deleted; so check first that it
    holds only what may be replaced (``nlptoolkit.tasks.scale`` refuses
    anything but an earlier SavedModel). If ``write`` fails, the temp
    folder is removed and ``path`` is untouched. Returns ``path``.

    Example:
    >>> import os, tempfile
    >>> from nlptoolkit.atomic import atomic_write_dir
    >>> path = os.path.join(tempfile.mkdtemp(), "export")
    >>> def write(tmp):
    ...     open(os.path.join(tmp, "saved_model.pb"), "w").close()
    >>> atomic_write_dir(path, write) == path, os.listdir(path)
    (True, ['saved_model.pb'])
    >>> os.listdir(os.path.dirname(path))  # no temp folder left
    ['export']
    """
    path = os.fspath(path)
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    name = os.path.basename(path)
    tmp = tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=parent)
    try:
        write(tmp)
        if not os.path.exists(path):
            os.replace(tmp, path)
        else:
            old = tempfile.mkdtemp(prefix=f".{name}.old-", dir=parent)
            os.rmdir(old)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    return path


def write_json(path, payload):
    """Write ``payload`` as indented JSON (keys sorted, other objects as
    ``str``) to ``path`` atomically (`atomic_write`)."""

    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as stream:
            json.dump(payload, stream, indent=2, sort_keys=True, default=str)
            stream.write("\n")

    return atomic_write(path, write, suffix=".json")


def write_csv(frame, path):
    """Write a pandas DataFrame (with its index) as CSV to ``path``
    atomically (`atomic_write`)."""
    return atomic_write(path, frame.to_csv, suffix=".csv")


def is_output_name(name):
    """Whether ``name`` is a file name nlptoolkit writes into output
    folders.

    Example:
    >>> from nlptoolkit.atomic import is_output_name
    >>> is_output_name("metrics.json"), is_output_name("notes.txt")
    (True, False)
    """
    return (
        name in OUTPUT_NAMES
        or name.startswith(_TMP_PREFIX)
        or any(fnmatch.fnmatchcase(name, p) for p in OUTPUT_PATTERNS)
    )


def foreign_entries(path, own=()):
    """The entries of folder ``path`` that nlptoolkit did not write:
    neither one of its output names (`is_output_name`) nor one of the
    ``own`` paths (folders the same run writes itself, such as its
    checkpoint folder). ``[]`` for an absent or empty folder.

    Example:
    >>> import os, tempfile
    >>> from nlptoolkit.atomic import foreign_entries
    >>> folder = tempfile.mkdtemp()
    >>> for name in ("metrics.json", "notes.txt"):
    ...     open(os.path.join(folder, name), "w").close()
    >>> foreign_entries(folder)
    ['notes.txt']
    """
    if not os.path.isdir(path):
        return []
    own = {os.path.abspath(os.fspath(p)) for p in own if p}
    return sorted(
        name
        for name in os.listdir(path)
        if not is_output_name(name)
        and os.path.abspath(os.path.join(path, name)) not in own
    )


def _shown(names, limit=3):
    shown = ", ".join(repr(n) for n in names[:limit])
    more = len(names) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def check_output_dir(path, overwrite=False, own=(), what="output folder"):
    """Refuse an output folder that holds files nlptoolkit did not write.

    ``path`` may be absent, empty, or hold an earlier nlptoolkit run. With
    ``overwrite=True`` any folder is accepted (`output_dir` then replaces
    only nlptoolkit's own file names in it). ``own``: folders the run
    writes itself inside ``path`` (e.g. its checkpoint folder); ``what``
    names the folder in the error (e.g. ``"--output"``). Returns the
    absolute path; raises `OutputFolderError`.

    Example:
    >>> import os, tempfile
    >>> from nlptoolkit.atomic import check_output_dir
    >>> folder = tempfile.mkdtemp()
    >>> open(os.path.join(folder, "notes.txt"), "w").close()
    >>> try:
    ...     check_output_dir(folder)
    ... except ValueError as error:
    ...     print("refused")
    refused
    >>> check_output_dir(folder, overwrite=True) == folder
    True
    """
    path = os.path.abspath(os.fspath(path))
    if os.path.exists(path) and not os.path.isdir(path):
        raise OutputFolderError(
            f"{what} {path!r} is a file; expected a folder (absent, empty "
            "or holding an earlier nlptoolkit run). Pass a folder path."
        )
    if overwrite:
        return path
    foreign = foreign_entries(path, own)
    if foreign:
        raise OutputFolderError(
            f"{what} {path!r} holds files nlptoolkit did not write "
            f"({_shown(foreign)}); refusing to write there. Pass a new or "
            "empty folder, or --overwrite (overwrite=True) to replace only "
            "nlptoolkit's own files there (model.keras, metrics.json, ...), "
            "leaving the others untouched."
        )
    return path


@contextlib.contextmanager
def output_dir(path, overwrite=False, own=(), what="output folder"):
    """Yield a temp folder; on success its files move into ``path``.

    ``path`` is checked first (`check_output_dir`). When it is absent the
    temp folder (beside it) is renamed into place whole; otherwise each
    file is renamed into ``path`` on its own, replacing a file of the same
    name (always one of nlptoolkit's output names, logged), and nothing
    else in ``path`` is touched. If the block fails the temp folder is
    removed and ``path`` is as it was; a Ctrl-C while the files move
    raises `CommitInterrupted`.

    Example:
    >>> import os, tempfile
    >>> from nlptoolkit.atomic import output_dir
    >>> folder = tempfile.mkdtemp()
    >>> open(os.path.join(folder, "notes.txt"), "w").close()
    >>> with output_dir(folder, overwrite=True) as tmp:
    ...     open(os.path.join(tmp, "metrics.json"), "w").close()
    >>> sorted(os.listdir(folder))
    ['metrics.json', 'notes.txt']
    """
    path = check_output_dir(path, overwrite=overwrite, own=own, what=what)
    if os.path.isdir(path):
        tmp = tempfile.mkdtemp(prefix=_TMP_PREFIX, dir=path)
    else:
        parent = os.path.dirname(path)
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(
            prefix=f".{os.path.basename(path)}.tmp-", dir=parent
        )
    try:
        yield tmp
        try:
            _commit(tmp, path)
        except KeyboardInterrupt:
            raise CommitInterrupted(path) from None
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)


def _commit(tmp, path):
    names = sorted(os.listdir(tmp))
    strange = [n for n in names if not is_output_name(n)]
    if strange:
        raise ValueError(
            f"Internal error: output files {strange} are not among "
            "nlptoolkit's output names (nlptoolkit.atomic.OUTPUT_NAMES)."
        )
    if not os.path.exists(path):
        os.chmod(tmp, 0o777 & ~_umask())
        try:
            os.replace(tmp, path)
            return
        except OSError:  # created meanwhile: move file by file
            if not os.path.isdir(path):
                raise
    replaced = [n for n in names if os.path.lexists(os.path.join(path, n))]
    for name in names:
        target = os.path.join(path, name)
        if os.path.isdir(target) and not os.path.islink(target):
            raise OutputFolderError(
                f"{target!r} is a folder; nlptoolkit writes a file of that "
                "name there. Move the folder away or pass another output "
                "folder."
            )
    for name in names:
        os.replace(os.path.join(tmp, name), os.path.join(path, name))
    if replaced:
        logger.info(
            "Replaced %s in %s (nlptoolkit's own file names; nothing else "
            "there was touched)",
            ", ".join(replaced),
            path,
        )
