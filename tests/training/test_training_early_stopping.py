"""EarlyStopping on several metrics: keep going while any improves, keep
the best epoch by the first, ties broken by the next."""

import keras
import pytest
from helpers import TOY_LABELS
from helpers import TOY_TEXTS

import nlptoolkit
from nlptoolkit.training.callbacks import EarlyStopping


def _run(callback, history):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.stop_training = False
    callback.set_model(model)
    callback.set_params({"epochs": len(history)})
    callback.on_train_begin()
    for epoch, (accuracy, loss) in enumerate(history):
        # Mark the weights with the epoch, to see which ones come back.
        model.layers[0].bias.assign([float(epoch)])
        callback.on_epoch_end(
            epoch, {"val_accuracy": accuracy, "val_loss": loss}
        )
        if model.stop_training:
            break
    callback.on_train_end()
    return epoch, float(model.layers[0].bias.numpy()[0])


def test_plateau_in_accuracy_does_not_stop_while_loss_falls():
    stop = EarlyStopping(("val_accuracy", "val_loss"), patience=1)
    history = [(0.5, 0.70), (0.6, 0.69), (0.6, 0.68), (0.6, 0.67), (0.9, 0.6)]
    last, kept = _run(stop, history)
    assert last == 4
    assert kept == 4.0 and stop.best_epoch == 4


def test_stops_when_nothing_improves_and_restores_the_best():
    stop = EarlyStopping(("val_accuracy", "val_loss"), patience=1)
    # Same best accuracy at epochs 1 and 2: the lower loss (2) is kept.
    history = [(0.5, 0.7), (0.8, 0.6), (0.8, 0.5), (0.7, 0.9), (0.9, 0.1)]
    last, kept = _run(stop, history)
    assert last == 3
    assert stop.best_epoch == 2 and kept == 2.0
    patient = EarlyStopping(("val_accuracy", "val_loss"), patience=2)
    last, kept = _run(patient, history)
    assert last == 4 and kept == 4.0


def test_early_stopping_patience_argument():
    clf = nlptoolkit.TextClassifier("lstm", hidden_dim=8, vocabulary_size=64)
    with pytest.raises(ValueError, match="patience"):
        clf.fit(TOY_TEXTS, TOY_LABELS, epochs=1, early_stopping=0)
    assert clf.model is None
