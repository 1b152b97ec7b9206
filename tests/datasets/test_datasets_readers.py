"""Generic readers: read_file, from_dataframe, read_folder, and the examples."""

import json
import logging
import pathlib

import pandas as pd
import pytest

import nlptoolkit.datasets as ds

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "data" / "examples"


def _write(path, text, encoding="utf-8"):
    path.write_text(text, encoding=encoding)
    return path


# --- read_file ----------------------------------------------------------------


def test_csv_select_and_rename(tmp_path):
    path = _write(
        tmp_path / "r.csv",
        'id,review,stars\n1,"Great, really",5\n2,NA,1\n3,null,3\n',
    )
    df = ds.read_file(path, columns={"text": "review", "label": "stars"})
    assert df.to_dict("list") == {
        "text": ["Great, really", "NA", "null"],
        "label": [5, 1, 3],
    }


def test_csv_all_columns_and_list(tmp_path):
    path = _write(tmp_path / "r.csv", "text,label,extra\na,0,x\nb,1,y\n")
    assert list(ds.read_file(path).columns) == ["text", "label", "extra"]
    df = ds.read_file(str(path), columns=["label", "text"])
    assert list(df.columns) == ["label", "text"]


def test_tsv_without_quoting(tmp_path):
    path = _write(
        tmp_path / "r.tsv",
        'sentence\tlabel\n"quoted" start\t1\nit \'s fine\t0\n',
    )
    df = ds.read_file(path, columns={"text": "sentence", "label": "label"})
    assert df["text"].tolist() == ['"quoted" start', "it 's fine"]


def test_jsonl_document_summary(tmp_path):
    lines = [
        {"dialogue": "A: hi\nB: hello", "summary": "They greet.", "id": 1},
        {"dialogue": "A: bye", "summary": "A leaves.", "id": 2},
    ]
    path = _write(
        tmp_path / "d.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n\n"
    )
    df = ds.read_file(
        path, columns={"document": "dialogue", "summary": "summary"}
    )
    assert list(df.columns) == ["document", "summary"]
    assert df["document"].iloc[0] == "A: hi\nB: hello"


def test_missing_column_names_it_and_existing(tmp_path):
    path = _write(tmp_path / "r.csv", "review,stars\nok,1\n")
    with pytest.raises(ValueError) as error:
        ds.read_file(path, columns={"text": "review", "label": "sentiment"})
    message = str(error.value)
    assert "['sentiment']" in message
    assert "['review', 'stars']" in message
    assert str(path) in message


def test_bare_string_columns(tmp_path):
    path = _write(tmp_path / "r.csv", "review\nok\n")
    with pytest.raises(ValueError, match="bare string"):
        ds.read_file(path, columns="review")


def test_nonexistent_file_names_path(tmp_path):
    path = tmp_path / "nope.csv"
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        ds.read_file(path)


def test_folder_is_not_a_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="read_folder"):
        ds.read_file(tmp_path)


def test_unsupported_extension(tmp_path):
    path = _write(tmp_path / "r.xlsx", "x")
    with pytest.raises(ValueError, match=r"\.xlsx.*\.csv"):
        ds.read_file(path)


@pytest.mark.parametrize(
    ("name", "text"),
    [("e.csv", ""), ("e.tsv", ""), ("e.jsonl", ""), ("h.csv", "a,b\n")],
)
def test_empty_files(tmp_path, name, text):
    path = _write(tmp_path / name, text)
    with pytest.raises(ValueError, match=name):
        ds.read_file(path)


def test_blank_jsonl_has_no_rows(tmp_path):
    path = _write(tmp_path / "b.jsonl", "\n\n")
    with pytest.raises(ValueError, match="no rows"):
        ds.read_file(path)


def test_malformed_jsonl_names_line(tmp_path):
    path = _write(tmp_path / "d.jsonl", '{"text": "a"}\n{"text": \n')
    with pytest.raises(ValueError, match=r"d\.jsonl:2"):
        ds.read_file(path)
    path = _write(tmp_path / "l.jsonl", '["not", "an", "object"]\n')
    with pytest.raises(ValueError, match="JSON object"):
        ds.read_file(path)


def test_wrong_encoding_suggests_encoding(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("text\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(ValueError, match="encoding="):
        ds.read_file(path)
    assert ds.read_file(path, encoding="latin-1")["text"][0] == "caf\xe9"


def test_missing_text_values(tmp_path):
    path = _write(tmp_path / "r.csv", "review,stars\ngood,5\n,1\n")
    with pytest.raises(ValueError, match=r"'text' has 1 missing.*row\(s\) 1"):
        ds.read_file(path, columns={"text": "review", "label": "stars"})


# --- from_dataframe -----------------------------------------------------------


def test_from_dataframe():
    raw = pd.DataFrame(
        {"body": ["x", "y"], "y": ["pos", "neg"], "n": [1, 2]}, index=[7, 9]
    )
    df = ds.from_dataframe(raw, "body", "y")
    assert df.to_dict("list") == {"text": ["x", "y"], "label": ["pos", "neg"]}
    assert list(df.index) == [0, 1]
    assert list(raw.columns) == ["body", "y", "n"]
    only_text = ds.from_dataframe(raw, text_column="body", label_column=None)
    assert list(only_text.columns) == ["text"]


def test_from_dataframe_missing_column():
    raw = pd.DataFrame({"body": ["x"], "y": [1]})
    with pytest.raises(ValueError) as error:
        ds.from_dataframe(raw, "text", "y")
    assert "['text']" in str(error.value)
    assert "['body', 'y']" in str(error.value)


def test_from_dataframe_rejects_non_frames():
    with pytest.raises(ValueError, match="type list"):
        ds.from_dataframe([["x", 1]], "text", "label")
    with pytest.raises(ValueError, match="empty"):
        ds.from_dataframe(pd.DataFrame({"text": []}), "text", None)


# --- read_folder --------------------------------------------------------------


def _class_folder(root, files):
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_read_folder(tmp_path, caplog):
    root = _class_folder(
        tmp_path / "reviews",
        {
            "pos/b.txt": "Loved it.\n",
            "pos/a.txt": "Great.",
            "neg/1.txt": "Awful.",
            "neg/.hidden": "skip me",
            ".git/config": "skip me",
            "README.md": "not an example",
        },
    )
    with caplog.at_level(logging.WARNING, logger="nlptoolkit.datasets"):
        df = ds.read_folder(root)
    assert df.to_dict("list") == {
        "text": ["Awful.", "Great.", "Loved it."],
        "label": ["neg", "pos", "pos"],
    }
    assert "README.md" in caplog.text


def test_read_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ds.read_folder(tmp_path / "missing")
    flat = _class_folder(tmp_path / "flat", {"a.txt": "x"})
    with pytest.raises(ValueError, match="no class sub-folders"):
        ds.read_folder(flat)
    empty = tmp_path / "empty"
    (empty / "pos").mkdir(parents=True)
    with pytest.raises(ValueError, match="No example files"):
        ds.read_folder(empty)


# --- the hand-written examples in data/examples -------------------------------


def test_example_reviews():
    df = ds.read_file(
        EXAMPLES / "reviews.csv",
        columns={"text": "review", "label": "sentiment"},
    )
    assert len(df) == 40
    assert df["label"].value_counts().to_dict() == {
        "positive": 20,
        "negative": 20,
    }
    assert df["text"].is_unique


def test_example_dialogues():
    df = ds.read_file(
        EXAMPLES / "dialogues.jsonl",
        columns={"document": "dialogue", "summary": "summary"},
    )
    assert len(df) == 10
    assert df["document"].str.startswith("#Person1#:").all()


def test_example_questions():
    df = ds.read_file(
        EXAMPLES / "questions.csv",
        columns={"text": "question", "label": "type"},
    )
    assert set(df["label"]) == set(ds.get_info("trec").labels)
