"""Early stopping that always hands back the best epoch's weights."""

import logging
from collections.abc import Collection

import keras
import numpy as np

from nlptoolkit import validation

logger = logging.getLogger(__name__)


class _MetricNames(validation.Constraint):
    """A metric name, or a non-empty collection of names (as a tuple)."""

    description = "a metric name or a sequence of names"

    def accepts(self, value):
        if isinstance(value, str):
            return True
        return (
            isinstance(value, Collection)
            and len(value) > 0
            and all(isinstance(name, str) for name in value)
        )

    def normalise(self, value):
        return (value,) if isinstance(value, str) else tuple(value)


# What `EarlyStopping`'s `monitor` may be.
_METRIC_NAMES = _MetricNames()


def _mode(monitor):
    return "min" if "loss" in monitor else "max"


class EarlyStopping(keras.callbacks.Callback):
    """Stop when no monitored metric improved for ``patience`` epochs, and
    restore the best epoch's weights at the end of training.

    ``monitor`` is one metric name or several. With several (the
    classifiers use ``("val_accuracy", "val_loss")``), training goes on
    while *any* of them still improves, and the epoch kept is the best
    by the first, ties broken by the next: a coarse accuracy on a small
    validation set that plateaus for a few epochs does not stop training
    while the loss still falls, and of several epochs with the same
    accuracy the one with the lower loss is kept. Metrics whose name holds
    ``loss`` are minimised, others maximised. Unlike Keras'
    ``EarlyStopping`` the weights are restored also when training runs to
    the last epoch, and ``best_epoch`` (0-based) is kept.

    Example:
    >>> from nlptoolkit.training.callbacks import EarlyStopping
    >>> stop = EarlyStopping(("val_accuracy", "val_loss"), patience=2)
    >>> stop.monitors
    ('val_accuracy', 'val_loss')
    """

    def __init__(self, monitor="val_loss", patience=2):
        super().__init__()
        self.monitors = validation.check("monitor", monitor, _METRIC_NAMES)
        self.patience = validation.check(
            "patience", patience, validation.NON_NEGATIVE_INT
        )

    def on_train_begin(self, logs=None):
        self.best = {m: None for m in self.monitors}
        self.best_key = None
        self.best_epoch = None
        self.best_weights = None
        self.wait = 0
        self.stopped_epoch = None
        self.last_epoch = None

    def _better(self, monitor, value, reference):
        if reference is None:
            return True
        if _mode(monitor) == "min":
            return value < reference
        return value > reference

    def _key(self, logs):
        # Lexicographic: larger is better for every component.
        return tuple(
            -logs[m] if _mode(m) == "min" else logs[m] for m in self.monitors
        )

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.last_epoch = epoch
        missing = [m for m in self.monitors if m not in logs]
        if missing:
            logger.warning(
                "Early stopping needs %s, not in the logs (%s); skipped.",
                missing,
                sorted(logs),
            )
            return
        values = {m: float(logs[m]) for m in self.monitors}
        if not all(np.isfinite(v) for v in values.values()):
            improved = False
        else:
            improved = False
            for monitor, value in values.items():
                if self._better(monitor, value, self.best[monitor]):
                    self.best[monitor] = value
                    improved = True
            key = self._key(values)
            if self.best_key is None or key > self.best_key:
                self.best_key = key
                self.best_epoch = epoch
                self.best_weights = self.model.get_weights()
        self.wait = 0 if improved else self.wait + 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)
            logger.info(
                "Early stopping: kept epoch %d of %d (best %s).",
                self.best_epoch + 1,
                self.last_epoch + 1,
                "/".join(self.monitors),
            )


class TensorBoard(keras.callbacks.TensorBoard):
    """Keras' ``TensorBoard`` callback, plus the model's graph.

    Keras 3 logs the epoch scalars (losses, metrics, the learning rate)
    under ``log_dir/train`` and ``log_dir/validation``, but on the
    TensorFlow backend its ``write_graph`` finds no graph to write for a
    Keras 3 train function. This callback traces the model's forward pass
    (inference mode) once at the start of training and writes that op
    graph to ``log_dir/train``, where TensorBoard's Graphs tab shows it.

    Example:
    >>> import tempfile
    >>> from nlptoolkit.training.callbacks import TensorBoard
    >>> TensorBoard(tempfile.mkdtemp()).write_graph
    True
    """

    def __init__(self, log_dir="logs", write_graph=True, **kwargs):
        super().__init__(log_dir=log_dir, write_graph=write_graph, **kwargs)

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self.write_graph:
            self._write_forward_graph()

    def _write_forward_graph(self):
        import os

        import tensorflow as tf

        model = self.model
        try:
            specs = keras.tree.map_structure(
                lambda t: tf.TensorSpec(t.shape, t.dtype), model.input
            )
            forward = tf.function(lambda x: model(x, training=False))
            graph = forward.get_concrete_function(specs).graph
            writer = tf.summary.create_file_writer(
                os.path.join(self.log_dir, "train")
            )
            with writer.as_default():
                tf.summary.graph(graph)
            writer.close()
        except Exception as error:  # noqa: BLE001 - logging must not fail fit
            logger.warning("TensorBoard: could not write the graph: %s", error)
