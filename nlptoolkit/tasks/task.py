"""The Task base: a backbone plus a tokenizer plus a head, and the verbs.

A :class:`Task` is the object users hold (``TextClassifier``, ...). It keeps
its constructor arguments until ``fit`` sees data; ``fit`` then trains the
tokenizer, builds a :class:`TaskModel` (a functional Keras model that
carries the tokenizer and the task's settings, so one ``.keras`` file holds
everything) and trains it. ``save`` writes that file atomically and
``nlptoolkit.load`` turns it back into the same Task class.
"""

import contextlib
import logging
import os
import random
import tempfile
import time

import keras
import numpy as np

from nlptoolkit import backbones as backbones_lib
from nlptoolkit.preprocessing import check_texts

logger = logging.getLogger(__name__)

# Constructor arguments every task accepts (keras-hub spellings).
BACKBONE_ARGUMENTS = (
    "vocabulary_size",
    "sequence_length",
    "hidden_dim",
    "intermediate_dim",
    "num_layers",
    "num_heads",
    "dropout",
)


@keras.saving.register_keras_serializable(package="nlptoolkit")
class TaskModel(keras.Model):
    """Functional model ``token_ids -> head(backbone(token_ids))``.

    It also carries the ``tokenizer`` (its vocabulary is saved as an asset)
    and ``task_config``, a JSON-able dict with the Task's class id, its
    constructor arguments and what it learned from the data (labels...).
    """

    def __init__(self, backbone, head, tokenizer, task_config=None, **kwargs):
        inputs = backbone.input
        outputs = head(backbone(inputs))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.backbone = backbone
        self.head = head
        self.tokenizer = tokenizer
        self.task_config = dict(task_config or {})

    def get_config(self):
        return {
            "name": self.name,
            "backbone": keras.saving.serialize_keras_object(self.backbone),
            "head": keras.saving.serialize_keras_object(self.head),
            "tokenizer": keras.saving.serialize_keras_object(self.tokenizer),
            "task_config": self.task_config,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("backbone", "head", "tokenizer"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def set_seed(seed):
    """Seed Python, NumPy and the backend (``None`` leaves them alone)."""
    if seed is None:
        return
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)


def atomic_save_model(model, path):
    """Save ``model`` to ``path`` through a temp file and a rename.

    A crash mid-save leaves the previous file (if any) untouched.
    """
    path = os.fspath(path)
    if not path.endswith(".keras"):
        raise ValueError(
            "Models are saved as one `.keras` file. Received: "
            f"path={path!r}. Use a name ending in `.keras`, e.g. "
            "'model.keras'."
        )
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, tmp_path = tempfile.mkstemp(
        prefix=".tmp-", suffix=".keras", dir=directory
    )
    os.close(handle)
    try:
        model.save(tmp_path)
        os.replace(tmp_path, path)
    finally:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)


class Task:
    """Base class of every task. Subclasses define the data-facing parts.

    Subclasses set ``task_id`` (the registry key), ``defaults`` (the
    constructor's keyword defaults) and implement ``_build_model``.
    """

    task_id = None
    defaults = {}

    def __init__(self, backbone="lstm", *, seed=None, strategy=None, **kwargs):
        unknown = sorted(set(kwargs) - set(self.defaults))
        if unknown:
            raise TypeError(
                f"{type(self).__name__} got unexpected keyword arguments "
                f"{unknown}. Expected some of: {sorted(self.defaults)}."
            )
        self.backbone_name = backbones_lib.resolve(backbone)
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, int) or seed < 0
        ):
            raise ValueError(
                f"`seed` must be a non-negative integer or None. Received: "
                f"seed={seed!r}."
            )
        self.seed = seed
        self.strategy = strategy
        self.params = {**self.defaults, **kwargs}
        self.model = None
        self.history = None
        set_seed(seed)

    # ----------------------------------------------------------- config
    def get_config(self):
        """Constructor arguments, JSON-able (``strategy`` is not kept)."""
        return {
            "backbone": self.backbone_name,
            "seed": self.seed,
            **self.params,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        state = "trained" if self.model is not None else "untrained"
        return (
            f"{type(self).__name__}(backbone={self.backbone_name!r}, {state})"
        )

    # ------------------------------------------------------------ model
    @property
    def tokenizer(self):
        return self._require_model().tokenizer

    def _require_model(self):
        if self.model is None:
            raise ValueError(
                f"This {type(self).__name__} has not been trained yet. Call "
                "`fit(...)` first, or load one with `nlptoolkit.load(path)`."
            )
        return self.model

    def _scope(self):
        if self.strategy is None:
            return contextlib.nullcontext()
        return self.strategy.scope()

    def _task_config(self):
        """What ``nlptoolkit.load`` needs to rebuild this Task."""
        return {"task": self.task_id, "init": self.get_config()}

    def _restore(self, model):
        """Attach a loaded ``TaskModel`` (subclasses read their state)."""
        self.model = model

    @property
    def count_params(self):
        return self._require_model().count_params()

    # ----------------------------------------------------------- verbs
    def save(self, path):
        """Save the whole task (weights, vocabulary, labels, settings) to
        one ``.keras`` file, atomically."""
        atomic_save_model(self._require_model(), path)
        logger.info("Saved %s to %s", type(self).__name__, path)

    def _train(
        self,
        x,
        y,
        validation=None,
        epochs=1,
        batch_size=32,
        callbacks=None,
        verbose="auto",
        max_seconds=None,
        early_stopping_monitor=None,
    ):
        """What every task's ``fit`` ends with: assemble the callbacks,
        run ``model.fit`` on arrays, time it. Returns the ``History``.

        ``early_stopping_monitor`` (e.g. ``"val_accuracy"``) keeps the best
        validation epoch's weights when validation data is given.
        """
        from nlptoolkit.callbacks import TimeLimit

        for name, value in [("epochs", epochs), ("batch_size", batch_size)]:
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or (value < 1)
            ):
                raise ValueError(
                    f"`{name}` must be a positive integer. Received: "
                    f"{name}={value!r}."
                )
        callbacks = list(callbacks or [])
        if max_seconds is not None:
            callbacks.append(TimeLimit(max_seconds))
        if validation is not None and early_stopping_monitor:
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor=early_stopping_monitor,
                    patience=2,
                    restore_best_weights=True,
                )
            )
        start = time.perf_counter()
        self.history = self.model.fit(
            x,
            y,
            validation_data=validation,
            epochs=epochs,
            batch_size=batch_size,
            callbacks=callbacks,
            verbose=verbose,
            shuffle=True,
        )
        self.train_seconds = time.perf_counter() - start
        return self.history

    def encode(self, texts, sequence_length=None):
        """Raw strings -> numpy token ids ``(batch, sequence_length)``."""
        texts = check_texts(texts)
        tokenizer = self.tokenizer
        length = sequence_length or self.model.task_config.get(
            "sequence_length"
        )
        chunks = [
            tokenizer.tokenize(texts[i : i + 4096], length).numpy()
            for i in range(0, len(texts), 4096)
        ]
        return np.concatenate(chunks, axis=0)
