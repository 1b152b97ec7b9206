import pytest

from nlptoolkit.metrics import rouge


def test_identical_is_100():
    scores = rouge(["The cat sat on the mat."], ["the cat sat on the mat"])
    assert scores == {"rouge1": 100.0, "rouge2": 100.0, "rougeL": 100.0}


def test_disjoint_and_empty_prediction_are_zero():
    scores = rouge(["dog barks", ""], ["the cat sat", "the cat sat"])
    assert scores == {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}


def test_known_value_and_mean_over_examples():
    # P = 3/3, R = 3/4 -> F1 = 6/7; mean with an identical pair.
    scores = rouge(["the cat sat", "a b"], ["the cat sat down", "a b"])
    assert scores["rouge1"] == pytest.approx(100 * (6 / 7 + 1) / 2)


def test_stemming_is_on():
    assert rouge(["cats running"], ["cat run"])["rouge1"] == 100.0


def test_multi_reference_takes_best_per_type():
    prediction = "the quick brown fox"
    refs = ["quick the fox brown", "the quick red dog"]
    multi = rouge([prediction], [refs])
    singles = [rouge([prediction], [ref]) for ref in refs]
    # ROUGE-1 is best on the first reference (all unigrams match),
    # ROUGE-2 on the second ("the quick").
    assert multi["rouge1"] == 100.0
    assert singles[0]["rouge2"] == 0.0
    assert singles[1]["rouge2"] > 0
    assert multi["rouge2"] == pytest.approx(singles[1]["rouge2"])
    for key in multi:
        assert multi[key] == pytest.approx(max(s[key] for s in singles))


def test_mixed_single_and_multiple_references():
    scores = rouge(["a b", "c d"], ["a b", ["x", "c d"]])
    assert scores["rougeL"] == 100.0


def test_bare_string_predictions():
    with pytest.raises(TypeError, match=r"\[text\]"):
        rouge("a summary", ["a summary"])


def test_bare_string_references():
    with pytest.raises(TypeError, match=r"\[reference\]"):
        rouge(["a summary"], "a summary")


def test_unequal_lengths():
    with pytest.raises(ValueError, match="same length"):
        rouge(["a", "b"], ["a"])


def test_empty_inputs():
    with pytest.raises(ValueError, match="empty"):
        rouge([], [])
    with pytest.raises(ValueError, match="empty list"):
        rouge(["a"], [[]])


def test_non_string_reference():
    with pytest.raises(TypeError, match=r"references\[0\]\[1\]"):
        rouge(["a"], [["a", 3]])
