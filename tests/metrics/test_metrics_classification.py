import json

import numpy as np
import pytest

from nlptoolkit.metrics import classification_metrics


def test_known_values():
    result = classification_metrics(
        [0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0], ["a", "b", "c"]
    )
    assert result["accuracy"] == pytest.approx(4 / 6)
    assert result["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    a = result["per_class"]["a"]
    assert a["precision"] == pytest.approx(0.5)
    assert a["recall"] == pytest.approx(0.5)
    assert a["support"] == 2
    b = result["per_class"]["b"]
    assert b["precision"] == pytest.approx(2 / 3)
    assert b["f1"] == pytest.approx(0.8)
    c = result["per_class"]["c"]
    assert c["f1"] == pytest.approx(2 / 3)
    assert result["macro_f1"] == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert result["label_names"] == ["a", "b", "c"]


def test_json_serialisable_plain_types():
    result = classification_metrics(
        np.array([0, 1, 1]), np.array([0, 1, 0]), ["neg", "pos"]
    )
    text = json.dumps(result)
    assert json.loads(text) == result
    assert type(result["accuracy"]) is float
    assert type(result["per_class"]["pos"]["support"]) is int
    assert type(result["confusion_matrix"][0][0]) is int


def test_absent_class_keeps_full_matrix_and_zero_scores():
    result = classification_metrics([0, 0], [0, 0], ["x", "y", "z"])
    assert result["confusion_matrix"] == [[2, 0, 0], [0, 0, 0], [0, 0, 0]]
    assert result["per_class"]["z"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "support": 0,
    }
    assert result["accuracy"] == 1.0
    assert result["macro_f1"] == pytest.approx(1 / 3)


def test_default_label_names():
    result = classification_metrics([0, 2], [0, 2])
    assert result["label_names"] == ["0", "1", "2"]


def test_bare_string_suggests_list():
    with pytest.raises(TypeError, match=r"\[value\]"):
        classification_metrics("0", [0], ["a"])


def test_unequal_lengths():
    with pytest.raises(ValueError, match="same length"):
        classification_metrics([0, 1], [0], ["a", "b"])


def test_empty():
    with pytest.raises(ValueError, match="empty"):
        classification_metrics([], [], ["a"])


def test_index_beyond_label_names():
    with pytest.raises(ValueError, match="names only 2 classes"):
        classification_metrics([0, 2], [0, 1], ["a", "b"])


def test_string_labels_rejected_with_fix():
    with pytest.raises(TypeError, match="integer class indices"):
        classification_metrics(["pos"], ["pos"], ["pos"])
