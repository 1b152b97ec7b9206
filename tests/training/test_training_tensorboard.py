"""fit(tensorboard_dir=...) writes TensorBoard scalars and the graph."""

from helpers import TINY
from helpers import TOY_LABELS
from helpers import TOY_TEXTS
from tensorboard.backend.event_processing.event_accumulator import (
    EventAccumulator,
)

import nlptoolkit


def _tags(directory):
    tensors, graph = set(), False
    for path in directory.glob("events.out.tfevents.*"):
        events = EventAccumulator(str(path))
        events.Reload()
        tags = events.Tags()
        tensors |= set(tags["tensors"])
        graph = graph or tags["graph"]
    return tensors, graph


def test_tensorboard_scalars_and_graph(tmp_path):
    logs = tmp_path / "tb"
    clf = nlptoolkit.TextClassifier("lstm", seed=0, bidirectional=False, **TINY)
    clf.fit(
        TOY_TEXTS,
        TOY_LABELS,
        epochs=2,
        batch_size=8,
        verbose=0,
        tensorboard_dir=logs,
    )
    train, graph = _tags(logs / "train")
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"} <= train
    assert graph
    validation, _ = _tags(logs / "validation")
    assert {"epoch_loss", "epoch_accuracy"} <= validation
