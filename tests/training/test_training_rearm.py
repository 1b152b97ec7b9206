"""Re-arming the warm-up + cosine schedule keeps the compiled train step.

`rearm` moves the cycle with a variable assign (TensorFlow), so a second
`fit` reuses the traced train function instead of tracing it again, and
that reused step follows the new cycle.
"""

import numpy as np
import pytest
import tensorflow as tf
from helpers import TINY
from helpers import TOY_LABELS
from helpers import TOY_TEXTS

import nlptoolkit
from nlptoolkit import training

STEPS = [0, 3, 7, 8, 9, 12, 20, 27, 40]


def test_moved_cycle_gives_the_values_of_a_new_schedule():
    moved = training.WarmupCosineDecay(1e-3, total_steps=10)
    compiled = tf.function(lambda step: moved(step))
    traced_values = [float(compiled(tf.constant(s))) for s in STEPS]
    moved.start_step = 7
    moved.total_steps = 20
    fresh = training.WarmupCosineDecay(1e-3, total_steps=20, start_step=7)
    expected = [float(fresh(s)) for s in STEPS]
    assert moved.updates_in_place
    assert [float(moved(s)) for s in STEPS] == pytest.approx(expected)
    # The function traced before the move reads the new cycle.
    assert [float(compiled(tf.constant(s))) for s in STEPS] == pytest.approx(
        expected
    )
    assert compiled.experimental_get_tracing_count() == 1
    assert traced_values != pytest.approx(expected)
    assert moved.get_config() == fresh.get_config()


def test_no_warmup_starts_on_the_cosine():
    schedule = training.WarmupCosineDecay(
        2e-3, total_steps=10, warmup_fraction=0.0
    )
    assert schedule.warmup_steps == 0
    assert float(schedule(0)) == pytest.approx(2e-3)
    assert float(schedule(5)) == pytest.approx(1e-3, rel=1e-5)
    assert float(schedule(10)) == pytest.approx(0.0, abs=1e-9)


def _fit_twice(force_retrace):
    clf = nlptoolkit.TextClassifier("lstm", seed=0, bidirectional=False, **TINY)
    fit = {"batch_size": 8, "verbose": 0, "early_stopping": False}
    clf.fit(TOY_TEXTS, TOY_LABELS, epochs=2, **fit)
    first = clf.model.train_function
    before = clf.model.get_weights()
    if force_retrace:
        clf.model.make_train_function(force=True)
    clf.fit(TOY_TEXTS[:16], TOY_LABELS[:16], epochs=1, **fit)
    return clf, first, before


def test_second_fit_reuses_the_train_step_and_follows_the_new_cycle():
    clf, first, before = _fit_twice(force_retrace=False)
    assert clf.model.train_function is first
    schedule = training.schedule_of(clf.model.optimizer)
    # 24 rows -> 3 batches x 2 epochs, then 16 rows -> 2 batches.
    assert (schedule.start_step, schedule.total_steps) == (6, 2)
    # The old cycle ends at step 6 at its floor (0): had the reused step
    # kept it, the second fit would have left the weights alone.
    changed = [
        not np.allclose(a, b)
        for a, b in zip(before, clf.model.get_weights(), strict=True)
    ]
    assert any(changed)
    # The same run with the step traced again ends with the same weights.
    again, _, _ = _fit_twice(force_retrace=True)
    for ours, theirs in zip(
        clf.model.get_weights(), again.model.get_weights(), strict=True
    ):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
