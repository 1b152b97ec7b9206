"""WarmupCosineDecay values, serialisation, and re-arming across fits."""

import keras
import numpy as np
import pytest
from helpers import TINY
from helpers import TOY_LABELS
from helpers import TOY_TEXTS

import nlptoolkit
from nlptoolkit import training


def test_schedule_values_warmup_peak_cosine_and_floor():
    schedule = training.WarmupCosineDecay(
        2e-3, total_steps=110, warmup_fraction=1 / 11, alpha=0.1
    )
    assert schedule.warmup_steps == 10
    values = {s: float(schedule(s)) for s in (0, 4, 9, 10, 60, 110, 500)}
    assert values[0] == pytest.approx(2e-4)
    assert values[4] == pytest.approx(1e-3)
    assert values[9] == pytest.approx(2e-3)
    assert values[10] == pytest.approx(2e-3)
    # Half-way through the decay: (peak + floor) / 2.
    assert values[60] == pytest.approx(0.55 * 2e-3, rel=1e-5)
    assert values[110] == pytest.approx(2e-4)
    assert values[500] == pytest.approx(2e-4)
    curve = [float(schedule(s)) for s in range(10, 111)]
    assert all(a >= b for a, b in zip(curve, curve[1:], strict=False))


def test_start_step_shifts_the_cycle_and_config_round_trips():
    schedule = training.WarmupCosineDecay(1e-3, total_steps=20, start_step=7)
    assert float(schedule(7)) == pytest.approx(
        float(schedule.__class__(1e-3, total_steps=20)(0))
    )
    config = schedule.get_config()
    again = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(schedule)
    )
    assert isinstance(again, training.WarmupCosineDecay)
    assert again.get_config() == config


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"peak_learning_rate": 0, "total_steps": 5}, "peak_learning_rate"),
        ({"peak_learning_rate": 1e-3, "total_steps": 0}, "total_steps"),
        (
            {
                "peak_learning_rate": 1e-3,
                "total_steps": 5,
                "warmup_fraction": 1.0,
            },
            "warmup_fraction",
        ),
    ],
)
def test_schedule_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        training.WarmupCosineDecay(**kwargs)


def test_make_optimizer_names_and_errors():
    assert isinstance(training.make_optimizer(), keras.optimizers.AdamW)
    sgd = training.make_optimizer("sgd", 0.1, "constant")
    assert isinstance(sgd, keras.optimizers.SGD)
    with pytest.raises(ValueError, match="adamw"):
        training.make_optimizer("adagrad")
    with pytest.raises(ValueError, match="cosine"):
        training.make_optimizer(schedule="linear")


def test_saved_model_keeps_its_schedule_and_second_fit_rearms(tmp_path):
    clf = nlptoolkit.TextClassifier("lstm", seed=0, bidirectional=False, **TINY)
    clf.fit(TOY_TEXTS, TOY_LABELS, epochs=2, batch_size=8, verbose=0)
    schedule = training.schedule_of(clf.model.optimizer)
    assert isinstance(schedule, training.WarmupCosineDecay)
    # 24 rows - 3 held out = 21 -> 3 batches of 8, x 2 epochs.
    assert (schedule.start_step, schedule.total_steps) == (0, 6)
    assert clf.training_config["total_steps"] == 6
    assert int(clf.model.optimizer.iterations) == 6

    clf.fit(TOY_TEXTS, TOY_LABELS, epochs=1, batch_size=8, verbose=0)
    assert (schedule.start_step, schedule.total_steps) == (6, 3)
    assert int(clf.model.optimizer.iterations) == 9
    # The re-armed cycle ran: the rate is at its floor again, not NaN.
    assert float(clf.model.optimizer.learning_rate) == pytest.approx(0.0)

    path = tmp_path / "model.keras"
    clf.save(path)
    loaded = nlptoolkit.load(path)
    restored = training.schedule_of(loaded.model.optimizer)
    assert isinstance(restored, training.WarmupCosineDecay)
    assert restored.get_config() == schedule.get_config()
    np.testing.assert_allclose(
        loaded.predict(TOY_TEXTS[:4]), clf.predict(TOY_TEXTS[:4]), atol=1e-6
    )
    # Fine-tuning the loaded model keeps its optimizer (same settings).
    loaded.fit(TOY_TEXTS, TOY_LABELS, epochs=1, batch_size=8, verbose=0)
    assert restored.start_step == 9


def test_overrides_constant_adam_without_early_stopping():
    clf = nlptoolkit.TextClassifier("lstm", seed=0, bidirectional=False, **TINY)
    history = clf.fit(
        TOY_TEXTS,
        TOY_LABELS,
        epochs=2,
        batch_size=8,
        verbose=0,
        optimizer="adam",
        learning_rate=3e-3,
        schedule="constant",
        early_stopping=False,
    )
    assert "val_loss" not in history.history
    config = clf.training_config
    assert config["optimizer"] == "Adam"
    assert config["schedule"] == "constant"
    assert config["learning_rate"] == pytest.approx(3e-3)
    assert config["train_rows"] == len(TOY_TEXTS)
    assert config["validation_carved_rows"] == 0
    # Switching back to the defaults recompiles with AdamW + cosine.
    clf.fit(TOY_TEXTS, TOY_LABELS, epochs=1, batch_size=8, verbose=0)
    assert clf.training_config["optimizer"] == "AdamW"
    assert clf.training_config["validation_carved_rows"] == 3
