"""Stop training after a wall-clock budget."""

import time

import keras

from nlptoolkit.validation import POSITIVE_FLOAT
from nlptoolkit.validation import check


class TimeLimit(keras.callbacks.Callback):
    """Stop training once ``seconds`` have passed (checked every batch).

    Example:
    >>> from nlptoolkit.callbacks import TimeLimit
    >>> TimeLimit(300).seconds
    300
    """

    def __init__(self, seconds):
        super().__init__()
        # Checked under the name `fit` takes it by.
        check("max_seconds", seconds, POSITIVE_FLOAT)
        self.seconds = seconds
        self.stopped_early = False

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        over = time.perf_counter() - self._start > self.seconds
        strategy = getattr(self.model, "_distribute_strategy", None)
        extended = getattr(strategy, "extended", None)
        in_multi_worker = getattr(extended, "_in_multi_worker_mode", None)
        if in_multi_worker is not None and in_multi_worker():
            # Workers must stop after the same batch (the others would
            # wait forever in the next all-reduce): stop once any is over.
            import tensorflow as tf

            flags = strategy.run(lambda: tf.constant(float(over)))
            over = float(strategy.reduce("SUM", flags, axis=None)) > 0
        if over:
            self.model.stop_training = True
            self.stopped_early = True
