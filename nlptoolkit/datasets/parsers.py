"""Parsers for the named datasets' file formats: file path -> DataFrame.

Each parser takes the resolved path of the file holding a split and the
canonical split name, and returns the split in the file's order (IMDB: by
label, then review id). Malformed content raises `ValueError` naming the
file and the line.
"""

import ast
import json
import logging
import re
import tarfile
from pathlib import Path

import pandas as pd

from nlptoolkit.datasets.errors import DatasetNotFoundError

logger = logging.getLogger(__name__)

_IMDB_MEMBER = re.compile(
    r"^(?:\./)?(?:aclImdb/)?(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$"
)
_IMDB_LABELS = {"neg": 0, "pos": 1}
_NUMBERED_SUMMARY = re.compile(r"summary(\d+)")


def _lines(path: Path, encoding: str = "utf-8") -> list[str]:
    """The lines of a text file, without line ends or a final empty line."""
    text = path.read_text(encoding=encoding)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]


def _classification_frame(texts, labels, **extra) -> pd.DataFrame:
    frame = pd.DataFrame({"text": texts, "label": labels, **extra})
    if frame["label"].dtype.kind in "iu":
        frame["label"] = frame["label"].astype("int64")
    return frame


def read_imdb(path: Path, split: str) -> pd.DataFrame:
    """IMDB from the tar archive (streamed, never extracted) or its folder."""
    rows = []
    if path.is_dir():
        for label_name, label in _IMDB_LABELS.items():
            for review in (path / split / label_name).glob("*_*.txt"):
                review_id = int(review.name.split("_", 1)[0])
                text = review.read_bytes().decode("utf-8", errors="replace")
                rows.append((label, review_id, text))
        where = f"folder {str(path)!r} ({split}/pos/*.txt, {split}/neg/*.txt)"
    else:
        with tarfile.open(path, "r|*") as archive:
            for member in archive:
                match = _IMDB_MEMBER.match(member.name)
                if match is None or match.group(1) != split:
                    continue
                if not member.isfile():
                    continue
                handle = archive.extractfile(member)
                text = handle.read().decode("utf-8", errors="replace")
                label = _IMDB_LABELS[match.group(2)]
                rows.append((label, int(match.group(3)), text))
        where = (
            f"archive {str(path)!r} (members aclImdb/{split}/pos/*.txt and "
            f"aclImdb/{split}/neg/*.txt)"
        )
    if not rows:
        raise DatasetNotFoundError(
            f"IMDB split {split!r}: no reviews found in {where}. Expected the "
            "aclImdb layout: aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt."
        )
    rows.sort(key=lambda row: (row[0], row[1]))
    return _classification_frame(
        [row[2] for row in rows], [row[0] for row in rows]
    )


def read_sst2(path: Path, split: str) -> pd.DataFrame:
    """``<label> <sentence>`` per line (harvardnlp stsa.binary.*)."""
    texts, labels = [], []
    for number, line in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        label, _, text = line.strip().partition(" ")
        if label not in ("0", "1") or not text:
            raise ValueError(
                f"{path}:{number}: expected '<0|1> <sentence>'. Received: "
                f"{line[:80]!r}"
            )
        texts.append(text.strip())
        labels.append(int(label))
    return _classification_frame(texts, labels)


def read_sst2_glue(path: Path, split: str) -> pd.DataFrame:
    """GLUE-style TSV with a ``sentence<TAB>label`` header."""
    lines = _lines(path)
    if not lines:
        raise ValueError(f"{path} is empty.")
    header = lines[0].split("\t")
    missing = [c for c in ("sentence", "label") if c not in header]
    if missing:
        raise ValueError(
            f"{path}: header lacks column(s) {missing}; it has {header}."
        )
    text_at, label_at = header.index("sentence"), header.index("label")
    texts, labels = [], []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split("\t")
        try:
            label = int(fields[label_at])
            text = fields[text_at]
        except (IndexError, ValueError):
            raise ValueError(
                f"{path}:{number}: expected {len(header)} tab-separated "
                f"fields {header} with an integer label. Received: "
                f"{line[:80]!r}"
            ) from None
        texts.append(text.strip())
        labels.append(label)
    return _classification_frame(texts, labels)


def read_trec(path: Path, split: str) -> pd.DataFrame:
    """``COARSE:fine question`` per line; the files are latin-1."""
    texts, labels, fine_labels = [], [], []
    for number, line in enumerate(_lines(path, "latin-1"), start=1):
        if not line.strip():
            continue
        fine, _, question = line.strip().partition(" ")
        coarse, colon, _ = fine.partition(":")
        if not colon or not coarse or not question:
            raise ValueError(
                f"{path}:{number}: expected 'COARSE:fine question'. "
                f"Received: {line[:80]!r}"
            )
        texts.append(question.strip())
        labels.append(coarse)
        fine_labels.append(fine)
    return _classification_frame(texts, labels, fine_label=fine_labels)


def _json_record(line: str, path: Path, number: int) -> dict:
    try:
        return json.loads(line)
    except json.JSONDecodeError as error:
        # DialogSum's original release wrote Python dict literals.
        try:
            record = ast.literal_eval(line)
        except (ValueError, SyntaxError):
            raise ValueError(
                f"{path}:{number}: not a JSON object ({error})."
            ) from None
        if not isinstance(record, dict):
            raise ValueError(f"{path}:{number}: not a JSON object.") from None
        return record


def read_dialogsum(path: Path, split: str) -> pd.DataFrame:
    """DialogSum JSON lines: ``dialogue`` and ``summary`` (or summary1..3)."""
    documents, summaries, references = [], [], []
    for number, line in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        record = _json_record(line, path, number)
        if "dialogue" not in record:
            raise ValueError(
                f"{path}:{number}: no 'dialogue' field; fields: "
                f"{sorted(record)}."
            )
        numbered = [k for k in record if _NUMBERED_SUMMARY.fullmatch(k)]
        refs = [record[k] for k in sorted(numbered, key=lambda k: int(k[7:]))]
        if "summary" in record:
            summary = record["summary"]
        elif refs:
            summary = record["summary1"] if "summary1" in record else refs[0]
        else:
            raise ValueError(
                f"{path}:{number}: no 'summary' or 'summary1' field; fields: "
                f"{sorted(record)}."
            )
        documents.append(record["dialogue"])
        summaries.append(summary)
        references.append(refs)
    frame = pd.DataFrame({"document": documents, "summary": summaries})
    if any(references):
        frame["references"] = pd.Series(references, dtype=object)
    return frame


def read_tiny_shakespeare(path: Path, split: str) -> pd.DataFrame:
    """One row: the first 90% of characters for train, else the last 10%."""
    text = path.read_text(encoding="utf-8")
    cut = int(len(text) * 0.9)
    return pd.DataFrame(
        {"text": [text[:cut] if split == "train" else text[cut:]]}
    )


def read_lines(path: Path, split: str) -> pd.DataFrame:
    """One row per line, stripped (PTB)."""
    return pd.DataFrame({"text": [line.strip() for line in _lines(path)]})


PARSERS = {
    "imdb": read_imdb,
    "sst2": read_sst2,
    "sst2_glue": read_sst2_glue,
    "trec": read_trec,
    "dialogsum": read_dialogsum,
    "tiny_shakespeare": read_tiny_shakespeare,
    "ptb": read_lines,
}
