"""class_weight="balanced" on classifiers."""

import numpy as np
import pytest
from helpers import TINY

import nlptoolkit
from nlptoolkit import training

# 5 positive rows for each negative one, and texts that carry no signal:
# the model can only learn the class prior, which the weights undo.
TEXTS = ["the same words every time", "the same words again"] * 12
LABELS = (["pos"] * 5 + ["neg"]) * 4


def test_balanced_weights_follow_scikit_learn():
    weights = training.balanced_class_weight([0] * 10 + [1] * 2, 3)
    assert weights == pytest.approx({0: 0.6, 1: 3.0, 2: 1.0})


def _minority_probability(class_weight):
    clf = nlptoolkit.TextClassifier("lstm", seed=0, bidirectional=False, **TINY)
    clf.fit(
        TEXTS,
        LABELS,
        epochs=4,
        batch_size=8,
        verbose=0,
        learning_rate=0.05,
        schedule="constant",
        early_stopping=False,
        class_weight=class_weight,
    )
    negative = clf.label_names.index("neg")
    return float(clf.predict(TEXTS)[:, negative].mean()), clf


def test_balanced_class_weight_raises_the_minority_class():
    plain, _ = _minority_probability(None)
    balanced, clf = _minority_probability("balanced")
    assert plain < 0.4
    assert balanced > plain + 0.1
    assert clf.training_config["class_weight"] == pytest.approx(
        {"neg": 3.0, "pos": 0.6}
    )


def test_class_weight_errors():
    clf = nlptoolkit.TextClassifier("lstm", seed=0, bidirectional=False, **TINY)
    with pytest.raises(ValueError, match="balanced"):
        clf.fit(TEXTS, LABELS, epochs=1, verbose=0, class_weight="auto")
    with pytest.raises(ValueError, match="Known labels"):
        clf.fit(TEXTS, LABELS, epochs=1, verbose=0, class_weight={"x": 2.0})
    assert np.isfinite(clf.predict(["fine"])).all()
