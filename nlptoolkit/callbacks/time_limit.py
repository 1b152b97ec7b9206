"""Stop training after a wall-clock budget."""

import time

import keras


class TimeLimit(keras.callbacks.Callback):
    """Stop training once ``seconds`` have passed (checked every batch).

    Example:
    >>> from nlptoolkit.callbacks import TimeLimit
    >>> TimeLimit(300).seconds
    300
    """

    def __init__(self, seconds):
        super().__init__()
        if not isinstance(seconds, (int, float)) or seconds <= 0:
            raise ValueError(
                "`max_seconds` must be a positive number. Received: "
                f"{seconds!r}."
            )
        self.seconds = seconds
        self.stopped_early = False

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if time.perf_counter() - self._start > self.seconds:
            self.model.stop_training = True
            self.stopped_early = True
