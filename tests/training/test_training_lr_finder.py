"""The learning-rate range test restores the model exactly."""

import numpy as np
import pytest
from helpers import TINY
from helpers import TOY_LABELS
from helpers import TOY_TEXTS

import nlptoolkit
from nlptoolkit.training.lr_finder import MINIMUM_DIVISOR
from nlptoolkit.training.lr_finder import suggest


def _values(variables):
    return [np.array(v.numpy(), copy=True) for v in variables]


def test_finder_restores_weights_and_optimizer_state(tmp_path):
    clf = nlptoolkit.TextClassifier("lstm", seed=0, bidirectional=False, **TINY)
    clf.fit(TOY_TEXTS, TOY_LABELS, epochs=1, batch_size=8, verbose=0)
    model = clf.model
    weights = _values(model.variables)
    optimizer_state = _values(model.optimizer.variables)
    result = clf.find_learning_rate(
        TOY_TEXTS, TOY_LABELS, batch_size=8, num_steps=25
    )
    after = _values(model.variables)
    assert len(after) == len(weights)
    for before_value, after_value in zip(weights, after, strict=True):
        np.testing.assert_array_equal(before_value, after_value)
    for before_value, after_value in zip(
        optimizer_state, _values(model.optimizer.variables), strict=True
    ):
        np.testing.assert_array_equal(before_value, after_value)

    frame = result.frame
    assert list(frame.columns) == ["lr", "loss", "smoothed_loss"]
    assert 2 <= len(frame) <= 25
    assert (np.diff(frame.lr) > 0).all()
    assert frame.lr.iloc[0] == pytest.approx(1e-6)
    assert frame.lr.min() <= result.suggestion <= frame.lr.max()
    assert result.method == "minimum"
    assert result.suggestion == result.minimum
    # The smoothed loss is a centred average of the batch losses.
    assert frame.smoothed_loss.mean() == pytest.approx(
        frame.loss.mean(), rel=0.2
    )
    path = tmp_path / "lr_finder.png"
    result.plot(path)
    assert path.stat().st_size > 0


def test_finder_builds_an_untrained_model():
    clf = nlptoolkit.TextClassifier("lstm", seed=0, bidirectional=False, **TINY)
    result = clf.find_learning_rate(
        TOY_TEXTS, TOY_LABELS, num_steps=10, method="steepest"
    )
    assert clf.model is not None
    assert result.suggestion == result.steepest
    assert int(clf.model.optimizer.iterations) == 0


def test_suggestions_on_a_known_curve():
    lrs = np.logspace(-6, 0, 61)
    # Flat, a steep fall centred at 1e-3, a minimum at 1e-2, then up.
    log = np.log10(lrs)
    loss = (
        2.0
        - 1.5 / (1 + np.exp(-4 * (log + 3)))
        + np.where(log > -2, 3 * (log + 2) ** 2, 0.0)
    )
    steepest, minimum = suggest(lrs, loss)
    assert steepest == pytest.approx(1e-3, rel=0.3)
    lowest = lrs[int(np.argmin(loss))]
    assert lowest == pytest.approx(1e-2, rel=0.3)
    # The default backs off 20x (1.3 decades) from the lowest loss.
    assert minimum == pytest.approx(lowest / MINIMUM_DIVISOR)
    assert MINIMUM_DIVISOR == 20.0
    assert suggest(lrs, loss, divisor=10)[1] == pytest.approx(lowest / 10)


def test_finder_argument_errors():
    clf = nlptoolkit.TextClassifier("lstm", seed=0, bidirectional=False, **TINY)
    with pytest.raises(ValueError, match="method"):
        clf.find_learning_rate(TOY_TEXTS, TOY_LABELS, method="valley")
    with pytest.raises(ValueError, match="max_learning_rate"):
        clf.find_learning_rate(
            TOY_TEXTS, TOY_LABELS, min_learning_rate=1.0, max_learning_rate=0.1
        )
