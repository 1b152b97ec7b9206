"""Readers for a user's own data: CSV/TSV/JSONL files, DataFrames, folders.

All return a `pandas.DataFrame` with the toolkit's column names (``text``,
``label``; ``document``, ``summary``) once the caller says which of the
file's columns play which part.
"""

import codecs
import csv
import json
import logging
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from nlptoolkit.checks import check_path

logger = logging.getLogger(__name__)

_FORMATS = (".csv", ".tsv", ".jsonl")
# Columns whose values must all be present (a missing text cannot be used).
_REQUIRED_VALUES = ("text", "document")


def _missing_columns_error(source, missing, existing) -> ValueError:
    return ValueError(
        f"{source}: missing column(s) {missing}; the columns that exist are "
        f"{existing}. Pass the names of the columns to use."
    )


def _check_no_missing_values(frame: pd.DataFrame, source: str) -> None:
    for column in _REQUIRED_VALUES:
        if column not in frame.columns:
            continue
        empty = frame.index[frame[column].isna()].tolist()
        if empty:
            shown = ", ".join(str(i) for i in empty[:10])
            more = f" and {len(empty) - 10} more" if len(empty) > 10 else ""
            raise ValueError(
                f"{source}: column {column!r} has {len(empty)} missing "
                f"value(s), at row(s) {shown}{more}. Drop or fill them first."
            )


def _select(frame: pd.DataFrame, columns, source: str) -> pd.DataFrame:
    if columns is None:
        return frame
    if isinstance(columns, str):
        raise ValueError(
            "columns must be a mapping {new_name: column_in_file} or a list "
            f"of column names, not a bare string. Received: columns="
            f"{columns!r}; did you mean columns={{'text': {columns!r}}}?"
        )
    if isinstance(columns, Mapping):
        wanted = dict(columns)
    elif isinstance(columns, (list, tuple)):
        wanted = {name: name for name in columns}
    else:
        raise TypeError(
            "columns must be a mapping {new_name: column_in_file}, a list "
            f"of column names or None. Received: columns={columns!r} of "
            f"type {type(columns).__name__}."
        )
    existing = list(frame.columns)
    missing = [src for src in wanted.values() if src not in existing]
    if missing:
        raise _missing_columns_error(source, missing, existing)
    selected = frame[list(wanted.values())].copy()
    selected.columns = list(wanted.keys())
    _check_no_missing_values(selected, source)
    return selected.reset_index(drop=True)


def _check_encoding(encoding):
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise ValueError(
            f"Unknown text encoding. Received: encoding={encoding!r}. Pass "
            "a codec name such as 'utf-8' or 'latin-1'."
        ) from None


def _read_jsonl(path: Path, encoding: str) -> pd.DataFrame:
    records = []
    with open(path, encoding=encoding) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(
                    f"{path}:{number}: not valid JSON ({error})."
                ) from None
            if not isinstance(record, dict):
                raise ValueError(
                    f"{path}:{number}: each line must be a JSON object; "
                    f"received a {type(record).__name__}."
                )
            records.append(record)
    return pd.DataFrame.from_records(records)


def read_file(path, columns=None, *, encoding="utf-8") -> pd.DataFrame:
    """Read a ``.csv``, ``.tsv`` or ``.jsonl`` file into a DataFrame.

    The format follows the extension. CSV files are read with standard
    quoting; TSV files without quoting (a tab separates fields, a quote is
    just a character). Empty fields are missing values, but texts such as
    ``"NA"`` or ``"null"`` stay strings. JSONL holds one JSON object per line.

    Args:
        path: the file.
        columns: which columns to keep and what to call them. A mapping
            ``{new_name: column_in_file}`` selects and renames, in that order,
            e.g. ``{"text": "review", "label": "sentiment"}`` or
            ``{"document": "dialogue", "summary": "summary"}``; a list of
            names selects without renaming; ``None`` keeps every column.
            A ``text`` or ``document`` column may not have missing values.
        encoding: the file's text encoding.

    Returns:
        A `pandas.DataFrame` with a fresh RangeIndex.

    Raises:
        FileNotFoundError: ``path`` does not exist (or is a folder).
        ValueError: unsupported extension, empty file, malformed content,
            undecodable bytes, or a missing column (naming it and the
            columns that exist).

    Example:

    >>> import pathlib, tempfile
    >>> import nlptoolkit.datasets
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "reviews.csv"
    >>> _ = p.write_text("review,stars\\nGreat film!,5\\nDull.,1\\n")
    >>> df = nlptoolkit.datasets.read_file(
    ...     p, columns={"text": "review", "label": "stars"}
    ... )
    >>> df.to_dict("list")
    {'text': ['Great film!', 'Dull.'], 'label': [5, 1]}
    """
    file_path = Path(check_path("path", path)).expanduser()
    _check_encoding(encoding)
    if not file_path.exists():
        raise FileNotFoundError(f"No such file: {str(file_path)!r}")
    if file_path.is_dir():
        raise FileNotFoundError(
            f"{str(file_path)!r} is a folder, not a file; for one sub-folder "
            "per class use nlptoolkit.datasets.read_folder."
        )
    suffix = file_path.suffix.lower()
    if suffix not in _FORMATS:
        raise ValueError(
            f"Unsupported file type {suffix or '(none)'!r} for "
            f"{str(file_path)!r}; supported: {list(_FORMATS)}."
        )
    if file_path.stat().st_size == 0:
        raise ValueError(f"{str(file_path)!r} is empty.")
    try:
        if suffix == ".jsonl":
            frame = _read_jsonl(file_path, encoding)
        else:
            options = (
                {"sep": ","}
                if suffix == ".csv"
                else {
                    "sep": "\t",
                    "quoting": csv.QUOTE_NONE,
                }
            )
            frame = pd.read_csv(
                file_path,
                encoding=encoding,
                keep_default_na=False,
                na_values=[""],
                **options,
            )
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{str(file_path)!r} is not valid {encoding} ({error}); pass "
            "encoding=..., e.g. encoding='latin-1'."
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise ValueError(
            f"Could not parse {str(file_path)!r} as {suffix[1:]}: {error}"
        ) from None
    if frame.empty:
        raise ValueError(f"{str(file_path)!r} holds no rows.")
    return _select(frame, columns, repr(str(file_path)))


def from_dataframe(df, text_column="text", label_column="label"):
    """Take the text and label columns of a DataFrame as ``text``/``label``.

    Args:
        df: a `pandas.DataFrame`.
        text_column: the column holding the texts.
        label_column: the column holding the labels, or ``None`` for texts
            only (language modelling).

    Returns:
        A new DataFrame with columns ``text`` (and ``label``) and a fresh
        RangeIndex; ``df`` is not modified.

    Raises:
        ValueError: ``df`` is not a DataFrame, is empty, lacks a column
            (naming it and the columns that exist), or has missing texts.

    Example:

    >>> import pandas as pd
    >>> import nlptoolkit.datasets
    >>> raw = pd.DataFrame({"body": ["Loved it", "Awful"], "y": [1, 0]})
    >>> nlptoolkit.datasets.from_dataframe(raw, "body", "y").to_dict("list")
    {'text': ['Loved it', 'Awful'], 'label': [1, 0]}
    """
    if not isinstance(df, pd.DataFrame):
        raise ValueError(
            "from_dataframe expects a pandas.DataFrame. Received: "
            f"df of type {type(df).__name__}"
        )
    if df.empty:
        raise ValueError("from_dataframe received an empty DataFrame.")
    columns = {"text": text_column}
    if label_column is not None:
        columns["label"] = label_column
    return _select(df, columns, "DataFrame")


def read_folder(path, *, encoding="utf-8") -> pd.DataFrame:
    """Read one sub-folder per class, each file one example.

    ``path/<class>/<any file>`` becomes a row with ``text`` the file's
    content (stripped) and ``label`` the sub-folder's name. Rows come by
    class name, then file name. Hidden files and folders are skipped; files
    directly in ``path`` are ignored with a warning.

    Args:
        path: the folder holding one sub-folder per class.
        encoding: the files' text encoding.

    Returns:
        A `pandas.DataFrame` with columns ``text`` and ``label`` (str).

    Raises:
        FileNotFoundError: ``path`` does not exist or is not a folder.
        ValueError: no class sub-folders, no files, or undecodable bytes.

    Example:

    >>> import pathlib, tempfile
    >>> import nlptoolkit.datasets
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for label, text in [("pos", "A joy."), ("neg", "A chore.")]:
    ...     (root / label).mkdir()
    ...     _ = (root / label / "1.txt").write_text(text)
    >>> nlptoolkit.datasets.read_folder(root).to_dict("list")
    {'text': ['A chore.', 'A joy.'], 'label': ['neg', 'pos']}
    """
    root = Path(check_path("path", path)).expanduser()
    _check_encoding(encoding)
    if not root.is_dir():
        state = "is a file" if root.exists() else "does not exist"
        raise FileNotFoundError(
            f"read_folder needs a folder with one sub-folder per class; "
            f"{str(root)!r} {state}."
        )
    entries = [e for e in sorted(root.iterdir()) if not e.name.startswith(".")]
    classes = [e for e in entries if e.is_dir()]
    stray = [e.name for e in entries if not e.is_dir()]
    if stray:
        logger.warning(
            "read_folder: ignoring %d file(s) directly in %s (e.g. %s); "
            "examples belong in one sub-folder per class.",
            len(stray),
            root,
            stray[0],
        )
    if not classes:
        raise ValueError(
            f"{str(root)!r} has no class sub-folders; expected "
            "<path>/<class>/<file> for each example."
        )
    texts, labels = [], []
    for class_dir in classes:
        files = [
            f
            for f in sorted(class_dir.iterdir())
            if f.is_file() and not f.name.startswith(".")
        ]
        if not files:
            logger.warning("read_folder: class folder %s is empty", class_dir)
        for file in files:
            try:
                texts.append(file.read_text(encoding=encoding).strip())
            except UnicodeDecodeError as error:
                raise ValueError(
                    f"{str(file)!r} is not valid {encoding} ({error}); pass "
                    "encoding=..., e.g. encoding='latin-1'."
                ) from None
            labels.append(class_dir.name)
    if not texts:
        raise ValueError(f"No example files under {str(root)!r}.")
    return pd.DataFrame({"text": texts, "label": labels})
