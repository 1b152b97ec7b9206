"""top_losses: shape, columns and order, for classifiers and summarizers."""

from unittest import mock

import numpy as np
import pytest
from helpers import TINY
from helpers import TOY_LABELS
from helpers import TOY_TEXTS

import nlptoolkit
from nlptoolkit import training


def test_classifier_top_losses_are_the_highest_losses_in_order():
    clf = nlptoolkit.TextClassifier("lstm", seed=0, bidirectional=False, **TINY)
    clf.fit(TOY_TEXTS, TOY_LABELS, epochs=2, batch_size=8, verbose=0)
    frame = clf.top_losses(TOY_TEXTS, TOY_LABELS, k=5)
    assert list(frame.columns) == [
        "text",
        "true",
        "predicted",
        "loss",
        "probability",
    ]
    assert len(frame) == 5
    assert frame["loss"].is_monotonic_decreasing
    everything = clf.top_losses(TOY_TEXTS, TOY_LABELS, k=None)
    assert len(everything) == len(TOY_TEXTS)
    assert frame["loss"].iloc[0] == pytest.approx(everything["loss"].max())
    # The loss is -log p(true label), and rows point back at the inputs.
    probabilities = clf.predict(TOY_TEXTS)
    true = [clf.label_names.index(label) for label in TOY_LABELS]
    expected = -np.log(probabilities[np.arange(len(true)), true])
    np.testing.assert_allclose(
        everything.sort_index()["loss"], expected, rtol=1e-5
    )
    assert (frame["text"] == [TOY_TEXTS[i] for i in frame.index]).all()
    with pytest.raises(ValueError, match="k"):
        clf.top_losses(TOY_TEXTS, TOY_LABELS, k=0)


def test_top_loss_helpers_order_and_errors():
    frame = training.classification_top_losses(
        ["a", "b", "c"],
        [0, 1, 0],
        [[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]],
        ["x", "y"],
        k=2,
    )
    assert frame["text"].tolist() == ["c", "b"]
    assert frame["predicted"].tolist() == ["y", "x"]
    with pytest.raises(ValueError, match="one row per text"):
        training.classification_top_losses(["a"], [0], [[1.0, 0.0]] * 2, "xy")
    worst = training.summarization_top_losses(
        ["d1", "d2", "d3"],
        ["the cat sat", ["a dog ran", "the dog ran"], "birds sing"],
        ["the cat sat", "the dog ran fast", "nothing"],
        k=3,
    )
    assert worst["rougeL"].is_monotonic_increasing
    assert worst.index.tolist() == [2, 1, 0]
    assert worst["reference"].iloc[1] == "a dog ran | the dog ran"


def test_summarizer_top_losses_worst_rouge_first():
    docs = ["alice met bob at the cafe", "carol saw dan", "erin called"]
    refs = ["alice met bob", "carol saw dan", "erin called frank"]
    decoded = ["alice met bob", "nobody", "erin called"]
    model = nlptoolkit.Summarizer("lstm", hidden_dim=8, seed=0)
    # The real summarize's signature is checked (autospec); decoding
    # itself is tested in tests/tasks/test_summarization.py.
    with mock.patch.object(
        nlptoolkit.Summarizer, "summarize", autospec=True, return_value=decoded
    ) as summarize:
        frame = model.top_losses(docs, refs, k=2, max_length=4)
    summarize.assert_called_once()
    assert summarize.call_args.kwargs["max_length"] == 4
    assert list(frame.columns) == [
        "document",
        "reference",
        "prediction",
        "rougeL",
    ]
    assert frame.index.tolist() == [1, 2]
    assert frame["prediction"].tolist() == ["nobody", "erin called"]
    assert frame["rougeL"].iloc[0] == 0.0
    assert frame["rougeL"].is_monotonic_increasing
