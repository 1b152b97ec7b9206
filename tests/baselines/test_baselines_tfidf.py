import os
import pathlib

import numpy as np
import pytest

from nlptoolkit.baselines import TfidfLogisticRegression

DATA = pathlib.Path(os.environ.get("NLPTOOLKIT_DATA", "../shared/data"))


def read_labelled(path, encoding="utf-8"):
    """`<label> <text>` per line -> (texts, labels)."""
    if not path.is_file():
        pytest.skip(f"{path} not available")
    texts, labels = [], []
    for line in path.read_text(encoding=encoding).splitlines():
        label, text = line.split(" ", 1)
        texts.append(text)
        labels.append(label)
    return texts, labels


def test_sst2_sentence_subset_above_075():
    folder = DATA / "sst2-sentence"
    train_texts, train_labels = read_labelled(folder / "stsa.binary.train")
    test_texts, test_labels = read_labelled(folder / "stsa.binary.test")
    model = TfidfLogisticRegression().fit(train_texts, train_labels)
    result = model.evaluate(test_texts[:600], test_labels[:600])
    assert result["accuracy"] > 0.75
    assert result["macro_f1"] > 0.75
    assert result["label_names"] == ["0", "1"]


def test_trec_svm_above_085():
    folder = DATA / "trec"
    # TREC files are Latin-1; labels are COARSE:fine, keep COARSE.
    train_texts, train_labels = read_labelled(folder / "TREC.train", "latin-1")
    test_texts, test_labels = read_labelled(folder / "TREC.test", "latin-1")
    coarse = [label.split(":")[0] for label in train_labels]
    model = TfidfLogisticRegression(classifier="svm").fit(train_texts, coarse)
    result = model.evaluate(
        test_texts, [label.split(":")[0] for label in test_labels]
    )
    assert len(result["label_names"]) == 6
    assert result["accuracy"] > 0.85


TEXTS = ["a great film", "great acting", "a dull film", "dull plot"] * 3


@pytest.mark.parametrize("classifier", ["logreg", "svm"])
def test_string_and_int_labels_round_trip(classifier):
    for labels in (["pos", "pos", "neg", "neg"] * 3, [1, 1, 0, 0] * 3):
        model = TfidfLogisticRegression(classifier=classifier)
        predictions = model.fit(TEXTS, labels).predict(["great", "dull"])
        assert isinstance(predictions, np.ndarray)
        assert predictions.tolist() == [labels[0], labels[2]]


def test_evaluate_with_label_unseen_in_fit():
    labels = ["pos", "pos", "neg", "neg"] * 3
    model = TfidfLogisticRegression().fit(TEXTS, labels)
    result = model.evaluate(["great", "dull", "meh"], ["pos", "neg", "mixed"])
    assert result["label_names"] == ["neg", "pos", "mixed"]
    assert result["accuracy"] == pytest.approx(2 / 3)
    assert result["per_class"]["mixed"]["recall"] == 0.0


def test_errors():
    model = TfidfLogisticRegression()
    with pytest.raises(RuntimeError, match="fit"):
        model.predict(["x"])
    with pytest.raises(TypeError, match=r"\[text\]"):
        model.fit("a great film", ["pos"])
    with pytest.raises(ValueError, match="same length"):
        model.fit(["a", "b"], [0])
    with pytest.raises(ValueError, match="two distinct"):
        model.fit(["a", "b"], [0, 0])
    with pytest.raises(ValueError, match="empty"):
        model.fit([], [])
    with pytest.raises(ValueError, match="logreg"):
        TfidfLogisticRegression(classifier="forest")
    with pytest.raises(ValueError, match="ngram_range"):
        TfidfLogisticRegression(ngram_range=(2, 1))
    model.fit(TEXTS, [0, 0, 1, 1] * 3)
    with pytest.raises(TypeError, match=r"\[text\]"):
        model.predict("great")
