"""`load`: a named dataset's split as a DataFrame, and where its files are.

Resolution order for the file holding a split:

1. ``path=``: a folder holding the dataset's files (authoritative: a
   missing file is an error, nothing else is tried);
2. ``$NLPTOOLKIT_DATA/<folder>`` when that folder exists (authoritative in
   the same way);
3. the cache, ``$NLPTOOLKIT_CACHE/<folder>`` or
   ``~/.cache/nlptoolkit/<folder>``;
4. a download from the canonical URL into the cache, checked against the
   registry's sha256; skipped when ``NLPTOOLKIT_OFFLINE=1``.

Files a user holds are read as they are (no checksum).

A relative ``$NLPTOOLKIT_DATA`` (``NLPTOOLKIT_DATA=../shared/data``) is made
absolute when nlptoolkit is imported and whenever it is read (see
`data_root`), and written back to ``os.environ``, so processes started
later from another folder (a notebook kernel, a worker) find the same data.
"""

import http.client
import logging
import os
import time
import urllib.error
from pathlib import Path

import numpy as np
import pandas as pd

from nlptoolkit.checks import check_path
from nlptoolkit.checks import check_positive_int
from nlptoolkit.datasets import download
from nlptoolkit.datasets import registry
from nlptoolkit.datasets.errors import DatasetNotFoundError
from nlptoolkit.datasets.parsers import PARSERS

logger = logging.getLogger(__name__)

DATA_ENV = "NLPTOOLKIT_DATA"
CACHE_ENV = "NLPTOOLKIT_CACHE"
OFFLINE_ENV = "NLPTOOLKIT_OFFLINE"
SUBSET_SEED = 1337

_NETWORK_ERRORS = (
    urllib.error.URLError,
    ConnectionError,
    TimeoutError,
    http.client.HTTPException,
)


def data_root() -> Path | None:
    """``$NLPTOOLKIT_DATA`` as an absolute path, or ``None`` when unset.

    A relative value is taken from the current folder; when nothing is
    there but the folder the launching shell was in (``$PWD``, which a
    process started in another folder, such as a notebook kernel, still
    carries) holds it, from that folder. The absolute path is written back
    to ``os.environ``, so child processes inherit it.

    Example:

    >>> import os, pathlib, tempfile
    >>> import nlptoolkit.datasets
    >>> here, saved = os.getcwd(), os.environ.get("NLPTOOLKIT_DATA")
    >>> os.chdir(tempfile.mkdtemp())
    >>> os.makedirs("data")
    >>> os.environ["NLPTOOLKIT_DATA"] = "data"
    >>> root = nlptoolkit.datasets.data_root()
    >>> root.is_absolute(), str(root) == os.environ["NLPTOOLKIT_DATA"]
    (True, True)
    >>> os.chdir(here)
    >>> _ = os.environ.pop("NLPTOOLKIT_DATA")
    >>> os.environ.update({"NLPTOOLKIT_DATA": saved} if saved else {})
    """
    value = os.environ.get(DATA_ENV)
    if not value:
        return None
    path = Path(value).expanduser()
    if path.is_absolute():
        return path
    absolute = Path(os.path.abspath(path))
    shell = os.environ.get("PWD")
    if not absolute.is_dir() and shell and os.path.isabs(shell):
        candidate = Path(os.path.abspath(os.path.join(shell, path)))
        if candidate.is_dir():
            absolute = candidate
    logger.debug("%s=%r read as %s", DATA_ENV, value, absolute)
    os.environ[DATA_ENV] = str(absolute)
    return absolute


def cache_dir() -> Path:
    """The cache root: ``$NLPTOOLKIT_CACHE`` or ``~/.cache/nlptoolkit``.

    Each dataset has its own folder inside it (``<cache>/<folder>``).

    Example:

    >>> import pathlib
    >>> import nlptoolkit.datasets
    >>> isinstance(nlptoolkit.datasets.cache_dir(), pathlib.Path)
    True
    """
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "nlptoolkit"


def _offline() -> bool:
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in (
        "1",
        "true",
        "yes",
    )


def _find(folder: Path, data_file: registry.DataFile) -> Path | None:
    for name in (data_file.name, *data_file.aliases):
        candidate = folder / name
        if candidate.exists():
            return candidate
    return None


def _accepted_names(data_file: registry.DataFile) -> str:
    if not data_file.aliases:
        return repr(data_file.name)
    names = ", ".join(repr(a) for a in data_file.aliases)
    return f"{data_file.name!r} (or {names})"


def _held_folder_error(info, split, data_file, folder: Path, source: str):
    hint = ""
    nested = folder / info.folder
    if nested.is_dir() and _find(nested, data_file) is not None:
        hint = (
            f" {str(nested)!r} holds it: pass path={str(nested)!r}, or set "
            f"{DATA_ENV}={str(folder)!r}."
        )
    return DatasetNotFoundError(
        f"Dataset {info.name!r} (split {split!r}): expected file "
        f"{str(folder / data_file.name)!r} from {source} is missing; "
        f"accepted names: {_accepted_names(data_file)}.{hint} Download it "
        f"from {data_file.url} into {str(folder)!r}, or point {source} at the "
        "folder that holds it."
    )


def _unavailable_error(info, split, data_file, cache_folder, reason):
    env = data_root()
    if env:
        data_path = env / info.folder / data_file.name
        looked = f"${DATA_ENV}: {str(data_path)!r} (folder absent)"
    else:
        looked = f"${DATA_ENV} is not set"
    return DatasetNotFoundError(
        f"Dataset {info.name!r} (split {split!r}) is not available locally "
        f"and could not be downloaded.\n"
        f"  URL: {data_file.url} ({reason})\n"
        f"  expected local path: {str(cache_folder / data_file.name)!r}\n"
        f"  also looked in: {looked}\n"
        f"Fix: download {data_file.url} yourself, then set "
        f"{DATA_ENV}=<dir> so that <dir>/{info.folder}/{data_file.name} "
        f"exists, or pass path=<folder holding {data_file.name}> to "
        f"nlptoolkit.datasets.load({info.name!r})."
    )


def resolve(name: str, split: str = "train", path=None) -> Path:
    """The local path of the file holding a split, downloading if needed.

    Follows the resolution order in this module's docstring.

    Args:
        name: dataset id or alias.
        split: ``"train"``, ``"validation"`` (or ``"dev"``) or ``"test"``.
        path: optional folder holding the dataset's files.

    Returns:
        The path of the file (or, for an extracted IMDB, the folder).

    Raises:
        ValueError: unknown dataset or split.
        DatasetNotFoundError: the file is missing from a folder the user
            holds, or is nowhere local and cannot be downloaded.

    Example:

    >>> import pathlib, tempfile
    >>> import nlptoolkit.datasets
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "ptb.valid.txt").write_text(" a b c \\n")
    >>> nlptoolkit.datasets.resolve("ptb", "dev", path=folder).name
    'ptb.valid.txt'
    """
    info = registry.get_info(name)
    split = registry.canonical_split(info, split)
    data_file = info.file_for(split)
    if path is not None:
        folder = Path(check_path("path", path)).expanduser()
        if not folder.is_dir():
            raise DatasetNotFoundError(
                f"Dataset {info.name!r}: path= must be a folder holding "
                f"{_accepted_names(data_file)}. Received: path={str(path)!r} "
                f"({'a file' if folder.exists() else 'does not exist'})."
            )
        found = _find(folder, data_file)
        if found is None:
            raise _held_folder_error(info, split, data_file, folder, "path=")
        return found
    env = data_root()
    if env:
        folder = env / info.folder
        if folder.is_dir():
            found = _find(folder, data_file)
            if found is None:
                raise _held_folder_error(
                    info, split, data_file, folder, f"${DATA_ENV}"
                )
            return found
    cache_folder = cache_dir() / info.folder
    found = _find(cache_folder, data_file)
    if found is not None:
        return found
    if _offline():
        raise _unavailable_error(
            info, split, data_file, cache_folder, f"{OFFLINE_ENV} is set"
        )
    try:
        return download.download_file(
            data_file.url, cache_folder / data_file.name, data_file.sha256
        )
    except _NETWORK_ERRORS as error:
        if isinstance(error, urllib.error.HTTPError):
            reason = f"HTTP {error.code} {error.reason}"
        else:
            reason = getattr(error, "reason", None) or error
        raise _unavailable_error(
            info, split, data_file, cache_folder, f"{reason}"
        ) from error


def load(name, split="train", path=None, max_examples=None) -> pd.DataFrame:
    """Load one split of a named public dataset as a DataFrame.

    Columns by task: classification ``text``, ``label`` (IMDB/SST-2: int,
    0 = negative, 1 = positive; TREC: the coarse class string, plus
    ``fine_label``); summarisation ``document``, ``summary`` (DialogSum test
    adds ``references``, the list of its three summaries); language
    modelling ``text`` (Tiny Shakespeare: one row; PTB: one row per line).

    Files are found through ``path=``, then ``$NLPTOOLKIT_DATA/<folder>``,
    then the cache, then downloaded (see `resolve`). Nothing is cached
    beyond the downloaded files themselves.

    Args:
        name: one of `list_datasets()` or an alias (``"sst-2"``);
            case-insensitive.
        split: ``"train"``, ``"validation"`` (alias ``"dev"``) or
            ``"test"``; which exist depends on the dataset.
        path: optional folder holding the dataset's files, as in the
            registry (e.g. the folder with ``stsa.binary.train``).
        max_examples: keep only this many rows. For classification datasets
            the rows are first shuffled with a fixed seed, so a small subset
            holds every class (IMDB files come grouped by class); otherwise
            the first rows are kept.

    Returns:
        A `pandas.DataFrame` with a fresh RangeIndex. Without
        ``max_examples`` rows come in file order.

    Raises:
        ValueError: unknown name, a split the dataset lacks, a bad
            ``max_examples``, or malformed file content.
        DatasetNotFoundError: the files are missing and cannot be fetched.

    Example:

    >>> import pathlib, tempfile
    >>> import nlptoolkit.datasets
    >>> folder = pathlib.Path(tempfile.mkdtemp())  # holds stsa.binary.dev
    >>> _ = (folder / "stsa.binary.dev").write_text("1 a gem .\\n0 a mess .\\n")
    >>> df = nlptoolkit.datasets.load("sst2", split="dev", path=folder)
    >>> df.to_dict("list")
    {'text': ['a gem .', 'a mess .'], 'label': [1, 0]}

    With the real files where ``$NLPTOOLKIT_DATA`` points:

    >>> df = nlptoolkit.datasets.load("imdb", max_examples=64)  # doctest: +SKIP
    >>> sorted(df["label"].unique())  # doctest: +SKIP
    [0, 1]
    """
    info = registry.get_info(name)
    canonical = registry.canonical_split(info, split)
    max_examples = check_positive_int(
        "max_examples", max_examples, allow_none=True
    )
    file_path = resolve(info.name, canonical, path)
    started = time.perf_counter()
    frame = PARSERS[info.name](file_path, canonical)
    logger.debug(
        "Read %s/%s from %s: %d rows in %.2f s",
        info.name,
        canonical,
        file_path,
        len(frame),
        time.perf_counter() - started,
    )
    if max_examples is not None:
        if info.task == "text-classification":
            order = np.random.default_rng(SUBSET_SEED).permutation(len(frame))
            frame = frame.iloc[order[:max_examples]]
        else:
            frame = frame.iloc[:max_examples]
    return frame.reset_index(drop=True)


data_root()  # at import: a relative $NLPTOOLKIT_DATA made absolute now
