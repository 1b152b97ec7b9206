import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
from helpers import TINY
from helpers import TOY_LABELS
from helpers import TOY_TEXTS
from helpers import run_task_test

import nlptoolkit


def _shared_task_test(backbone, folder):
    return run_task_test(
        nlptoolkit.TextClassifier,
        (TOY_TEXTS, TOY_LABELS),
        ["a good plot", "an awful movie", "zebra"],
        folder,
        backbone=backbone,
        **TINY,
    )


# One model per backbone for the module (a fit of even a tiny model costs
# seconds of graph building): the shared task test trains it, and the
# tests that need any trained classifier reuse it.
@pytest.fixture(scope="module")
def lstm_classifier(tmp_path_factory):
    return _shared_task_test("lstm", tmp_path_factory.mktemp("lstm"))


@pytest.fixture(scope="module")
def transformer_classifier(tmp_path_factory):
    return _shared_task_test(
        "transformer", tmp_path_factory.mktemp("transformer")
    )


@pytest.mark.parametrize("backbone", ["lstm", "transformer"])
def test_text_classifier_passes_the_shared_task_test(request, backbone):
    # run_task_test (config round trip, fit, predict on lists and
    # tf.data, save and load) ran in the fixture.
    task = request.getfixturevalue(f"{backbone}_classifier")
    assert task.label_names == ["neg", "pos"]
    assert set(task.classify(["good", "bad"])) <= {"neg", "pos"}


def test_sentiment_names_integer_polarity_and_scores(task_test, tmp_path):
    labels = [1 if label == "pos" else 0 for label in TOY_LABELS]
    task = task_test(
        nlptoolkit.SentimentClassifier,
        (TOY_TEXTS, labels),
        ["good", "bad"],
        tmp_path,
        **TINY,
    )
    assert task.label_names == ["negative", "positive"]
    assert all(-1.0 <= s <= 1.0 for s in task.polarity(["good", "bad"]))
    loaded = nlptoolkit.load(tmp_path / "model.keras")
    assert loaded.classify(["good", "bad"]) == task.classify(["good", "bad"])


def test_learns_a_separable_problem_and_evaluates():
    clf = nlptoolkit.TextClassifier("lstm", seed=0, **TINY)
    clf.fit(TOY_TEXTS, TOY_LABELS, epochs=30, batch_size=8, verbose=0)
    metrics = clf.evaluate(TOY_TEXTS, TOY_LABELS)
    assert metrics["accuracy"] == 1.0
    assert metrics["confusion_matrix"] == [[12, 0], [0, 12]]
    assert set(metrics["per_class"]) == {"neg", "pos"}


def test_accepts_pandas_numpy_and_tf_data():
    frame = pd.DataFrame({"text": TOY_TEXTS, "label": TOY_LABELS})
    clf = nlptoolkit.TextClassifier("lstm", seed=0, **TINY)
    clf.fit(frame["text"], frame["label"], epochs=1, verbose=0)
    clf.fit(np.array(TOY_TEXTS), np.array(TOY_LABELS), epochs=1, verbose=0)
    pairs = tf.data.Dataset.from_tensor_slices((TOY_TEXTS, TOY_LABELS))
    clf.fit(pairs.batch(4), epochs=1, verbose=0)
    assert clf.evaluate(pairs)["accuracy"] >= 0.0


def test_validation_data_and_early_stopping_keep_best_epoch():
    clf = nlptoolkit.TextClassifier("lstm", seed=0, **TINY)
    history = clf.fit(
        TOY_TEXTS,
        TOY_LABELS,
        validation_data=(TOY_TEXTS[:6], TOY_LABELS[:6]),
        epochs=3,
        verbose=0,
    )
    assert "val_accuracy" in history.history


@pytest.mark.parametrize(
    "texts, labels, error, match",
    [
        ("one text", ["pos"], TypeError, r"\[text\]"),
        ([], [], ValueError, "empty"),
        (["a", None], ["pos", "neg"], TypeError, "dropna"),
        (["a", "b"], ["pos"], ValueError, "same length"),
        (["a", "b"], ["pos", "pos"], ValueError, "two classes"),
        (["a", "b"], ["pos", 1], TypeError, "mixes"),
        (["a", "b"], None, ValueError, "labels"),
    ],
)
def test_bad_input_is_a_clear_error(texts, labels, error, match):
    clf = nlptoolkit.TextClassifier("lstm", **TINY)
    with pytest.raises(error, match=match):
        clf.fit(texts, labels, epochs=1, verbose=0)


def test_unseen_label_at_evaluate_and_untrained_model(lstm_classifier):
    clf = nlptoolkit.TextClassifier("lstm", **TINY)
    with pytest.raises(ValueError, match="fit"):
        clf.predict(["x"])
    with pytest.raises(ValueError, match="Known labels"):
        lstm_classifier.evaluate(["x"], ["neutral"])


def test_constructor_errors():
    with pytest.raises(ValueError, match="backbone"):
        nlptoolkit.TextClassifier("gru")
    with pytest.raises(TypeError, match="hidden_size"):
        nlptoolkit.TextClassifier("lstm", hidden_size=3)
    with pytest.raises(ValueError, match="seed"):
        nlptoolkit.TextClassifier("lstm", seed=-1)


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        nlptoolkit.load(tmp_path / "missing.keras")
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a valid"):
        nlptoolkit.load(bad)


def test_save_needs_keras_suffix(lstm_classifier, tmp_path):
    with pytest.raises(ValueError, match=".keras"):
        lstm_classifier.save(tmp_path / "model.h5")
