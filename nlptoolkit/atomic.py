"""Write a file whole or not at all: into a temp file beside it, then a
rename.

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

import os
import tempfile


def atomic_write(path, write, suffix=".tmp"):
    """Call ``write(tmp_path)``, then rename the temp file onto ``path``.

    The temp file lies in ``path``'s directory (created if missing) and
    ends with ``suffix`` (writers that choose a format by extension, such
    as Keras's ``.keras``, need the right one). If ``write`` fails, the
    temp file is removed and ``path`` is untouched. Returns ``path``.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, tmp = tempfile.mkstemp(
        dir=directory, prefix=f".{os.path.basename(path)}.", suffix=suffix
    )
    os.close(handle)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path
