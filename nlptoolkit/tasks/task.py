"""The Task base: a backbone plus a tokenizer plus a head, and the verbs.

A :class:`Task` is the object users hold (``TextClassifier``, ...). It keeps
its constructor arguments until ``fit`` sees data; ``fit`` then trains the
tokenizer, builds a :class:`TaskModel` (``nlptoolkit.tasks.model``: a functional
Keras model that carries the tokenizer and the task's settings, so one
``.keras`` file holds everything) and trains it. ``save`` writes that file
atomically and ``nlptoolkit.load`` turns it back into the same Task class.
Seeding and op determinism live in ``nlptoolkit.provenance``; ``TaskModel``,
``set_seed`` and ``op_determinism_enabled`` stay importable from here.
"""

import contextlib
import contextvars
import logging
import time

import numpy as np

from nlptoolkit import backbones as backbones_lib
from nlptoolkit.atomic import atomic_write
from nlptoolkit.checks import check_path
from nlptoolkit.checks import check_positive_int
from nlptoolkit.checks import check_seed
from nlptoolkit.checks import check_task_params
from nlptoolkit.preprocessing import check_texts

# Re-exported: imported from here by the tasks, the registry and tests.
from nlptoolkit.provenance import (
    op_determinism_enabled as op_determinism_enabled,
)
from nlptoolkit.provenance import set_seed
from nlptoolkit.tasks.model import TaskModel as TaskModel
from nlptoolkit.tasks.model import _reducible_logs as _reducible_logs
from nlptoolkit.tasks.scale import dtype_policy_scope
from nlptoolkit.tasks.scale import resolve_precision
from nlptoolkit.tasks.scale import write_saved_model

logger = logging.getLogger(__name__)

# True while ``nlptoolkit.load`` rebuilds a Task from a saved file: a
# pretrained handle is then not resolved (the file holds the weights, so
# the preset folder may be gone).
_RESTORING = contextvars.ContextVar("nlptoolkit_restoring", default=False)


@contextlib.contextmanager
def restoring():
    """Within it, Task constructors skip resolving pretrained handles."""
    token = _RESTORING.set(True)
    try:
        yield
    finally:
        _RESTORING.reset(token)


def restoring_now():
    """Whether a Task is being rebuilt by ``nlptoolkit.load`` (within
    :func:`restoring`): a pretrained handle is then not resolved."""
    return _RESTORING.get()


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


def atomic_save_model(model, path):
    """Save ``model`` to ``path`` through a temp file and a rename.

    A crash mid-save leaves the previous file (if any) untouched.
    """
    path = check_path("path", path)
    if not path.endswith(".keras"):
        raise ValueError(
            "Models are saved as one `.keras` file. Received: "
            f"path={path!r}. Use a name ending in `.keras`, e.g. "
            "'model.keras'."
        )
    atomic_write(path, model.save, suffix=".keras")


class Task:
    """Base class of every task. Subclasses define the data-facing parts.

    Subclasses set ``task_id`` (the registry key), ``defaults`` (the
    constructor's keyword defaults) and implement ``_build_model``.
    """

    task_id = None
    defaults = {}
    # Per-backbone values that replace ``defaults`` (explicit keyword
    # arguments still win), e.g. ``{"lstm": {"learning_rate": 5e-3}}``.
    backbone_defaults = {}
    # Allowed values of string options, checked at construction.
    param_choices = {}
    # Whether an LSTM backbone reads both ways (None: the `bidirectional`
    # argument decides); a bidirectional LSTM needs an even hidden_dim.
    lstm_bidirectional = None
    # Whether ``backbone`` may be a pretrained model handle or folder, and
    # the constructor arguments that then still apply.
    supports_pretrained = False
    pretrained_arguments = ()

    def __init__(
        self,
        backbone="lstm",
        *,
        seed=None,
        strategy=None,
        mixed_precision=False,
        **kwargs,
    ):
        unknown = sorted(set(kwargs) - set(self.defaults))
        if unknown:
            raise TypeError(
                f"{type(self).__name__} got unexpected keyword arguments "
                f"{unknown}. Expected some of: {sorted(self.defaults)}."
            )
        self.backbone_name = backbones_lib.resolve(
            backbone, allow_pretrained=self.supports_pretrained
        )
        self.pretrained = backbones_lib.is_pretrained(self.backbone_name)
        if self.pretrained:
            self._check_pretrained_kwargs(kwargs)
        seed = check_seed("seed", seed, where=type(self).__name__)
        self.seed = seed
        self.strategy = strategy
        resolve_precision(mixed_precision)  # Validates early.
        self.mixed_precision = mixed_precision
        defaults = self.defaults
        if self.pretrained:
            defaults = {
                name: value
                for name, value in defaults.items()
                if name in self.pretrained_arguments
            }
        self.params = {
            **defaults,
            **self.backbone_defaults.get(self.backbone_kind, {}),
            **kwargs,
        }
        self._check_params()
        self._preset_info = None
        if self.pretrained and not restoring_now():
            _ = self.preset_info  # Resolves the handle now: fail early.
        self.model = None
        self.history = None
        set_seed(seed)

    @property
    def backbone_kind(self):
        """``"lstm"``, ``"transformer"`` or ``"pretrained"``."""
        return "pretrained" if self.pretrained else self.backbone_name

    @property
    def backbone_label(self):
        """A short name for the backbone (run folders, tables): the id,
        or the last part of a pretrained handle or folder."""
        if not self.pretrained:
            return self.backbone_name
        name = self.backbone_name.split("://")[-1]
        parts = [p for p in name.replace("\\", "/").split("/") if p]
        if len(parts) > 1 and parts[-1] == "model":
            parts = parts[:-1]  # A package's `.../<name>/model` folder.
        return parts[-1] if parts else name

    @property
    def preset_info(self):
        """What the pretrained ``backbone`` handle points at
        (``nlptoolkit.backbones.PresetInfo``), resolved once."""
        if not self.pretrained:
            return None
        if self._preset_info is None:
            self._preset_info = backbones_lib.resolve_preset(self.backbone_name)
        return self._preset_info

    def _check_pretrained_kwargs(self, kwargs):
        """A pretrained model fixes its own sizes: refuse the others."""
        fixed = sorted(set(kwargs) - set(self.pretrained_arguments))
        if fixed:
            raise ValueError(
                f"{type(self).__name__}: a pretrained backbone "
                f"({self.backbone_name!r}) brings its own sizes and "
                f"tokenizer. Received: {fixed}. Remove them, or use "
                "backbone='lstm' / 'transformer' to set them. Arguments "
                f"that apply: {sorted(self.pretrained_arguments)}."
            )

    def _check_params(self):
        """Fail at construction on a bad size or option (not in Keras)."""
        if self.strategy is not None:
            import tensorflow as tf

            if not isinstance(self.strategy, tf.distribute.Strategy):
                raise TypeError(
                    "`strategy` must be a tf.distribute.Strategy or None. "
                    f"Received: strategy={self.strategy!r}. Pass e.g. "
                    "tf.distribute.MirroredStrategy()."
                )
        bidirectional = self.lstm_bidirectional
        if bidirectional is None:
            bidirectional = self.params.get("bidirectional", False)
        self.params = check_task_params(
            type(self).__name__,
            self.params,
            self.defaults,
            self.param_choices,
            backbone=self.backbone_name,
            bidirectional=bidirectional is True,
        )

    # ----------------------------------------------------------- config
    def get_config(self):
        """Constructor arguments, JSON-able (``strategy`` is not kept)."""
        return {
            "backbone": self.backbone_name,
            "seed": self.seed,
            "mixed_precision": self.mixed_precision,
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

    @contextlib.contextmanager
    def _scope(self):
        """Where the model is built and compiled: under ``strategy`` (its
        variables are mirrored; Keras records the strategy on the model,
        so ``fit`` creates the optimizer's variables and runs each step
        under it too) and, with ``mixed_precision``, under the mixed
        dtype policy, restored afterwards."""
        strategy_scope = (
            contextlib.nullcontext()
            if self.strategy is None
            else self.strategy.scope()
        )
        policy = resolve_precision(self.mixed_precision)
        with strategy_scope, dtype_policy_scope(policy):
            yield

    def _task_config(self):
        """What ``nlptoolkit.load`` needs to rebuild this Task."""
        return {
            "task": self.task_id,
            "init": self.get_config(),
            "dtype_policy": resolve_precision(self.mixed_precision),
        }

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

    def export(self, path, max_length=None):
        """Write a TensorFlow SavedModel that serves raw strings.

        Its ``serving_default`` signature takes one ``tf.string`` batch
        (shape ``[None]``) and runs everything inside the graph:
        tokenization, the model and, for generators and summarizers, the
        fused greedy decode loop and detokenization. Load it with
        ``tf.saved_model.load`` or TF Serving; nlptoolkit is not needed
        (a ``wordpiece`` tokenizer needs ``import tensorflow_text``).
        Each task's docstring lists its input and output names.

        Args:
            path: the SavedModel directory (for TF Serving, a numbered
                version folder such as ``"models/clf/1"``). It is written
                next to ``path`` and renamed into place; an earlier
                export there is replaced, and a directory holding anything
                else is refused (nothing of the user's is deleted).
            max_length: new tokens to generate, fixed at export
                (generators and summarizers only).

        Returns the absolute path.

        Example:
        >>> import tempfile, os
        >>> import tensorflow as tf
        >>> import nlptoolkit
        >>> clf = nlptoolkit.TextClassifier(
        ...     "lstm", hidden_dim=8, vocabulary_size=64, seed=1)
        >>> _ = clf.fit(["good", "bad"] * 8, ["pos", "neg"] * 8,
        ...             epochs=1, verbose=0)
        >>> path = clf.export(os.path.join(tempfile.mkdtemp(), "1"))
        >>> serve = tf.saved_model.load(path).signatures["serving_default"]
        >>> out = serve(texts=tf.constant(["good"]))
        >>> sorted(out), out["probabilities"].shape
        (['labels', 'probabilities'], TensorShape([1, 2]))
        """
        model = self._require_model()
        input_name, serve = self._serving_function(max_length)
        return write_saved_model(model, serve, input_name, path)

    def _serving_function(self, max_length):
        """``(input_name, serve)``: the graph function ``export`` traces."""
        raise NotImplementedError(
            f"{type(self).__name__} does not support `export` yet."
        )

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
        class_weight=None,
        tensorboard_dir=None,
        checkpoint_dir=None,
        early_stopping_patience=2,
        rows=None,
    ):
        """What every task's ``fit`` ends with: assemble the callbacks,
        run ``model.fit`` on arrays, time it. Returns the ``History``.

        ``early_stopping_monitor`` (e.g. ``"val_accuracy"``, or several
        names: see ``nlptoolkit.training.callbacks.EarlyStopping``) keeps
        the best validation epoch's weights when validation data is given,
        stopping after ``early_stopping_patience`` epochs without progress.
        ``class_weight`` (``{class_id: weight}``) goes to ``model.fit``;
        ``tensorboard_dir`` adds a ``TensorBoard`` callback (epoch
        scalars, learning rate, the model graph). A warm-up + cosine
        schedule is re-armed for this call's steps first
        (``nlptoolkit.training.rearm``). ``checkpoint_dir`` backs the run
        up every epoch and resumes it after a crash
        (``nlptoolkit.tasks.resume``). ``x`` may also be a ``tf.data``
        dataset of ready ``(x, y)`` batches (``y`` None, ``rows`` the
        number of training rows), e.g. length-bucketed ones.
        """
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
        from nlptoolkit import training
        from nlptoolkit.tasks.resume import backup_callback

        callbacks, self.early_stopping = training.policy.fit_callbacks(
            self.model,
            callbacks,
            max_seconds=max_seconds,
            monitor=early_stopping_monitor if validation is not None else None,
            patience=early_stopping_patience,
            tensorboard_dir=tensorboard_dir,
            checkpoint_dir=checkpoint_dir,
            backup=backup_callback,
        )

        batched = y is None
        rows = rows if batched else len(y)
        training.rearm(
            self.model, training.total_steps(rows, batch_size, epochs)
        )
        start = time.perf_counter()
        self.history = self.model.fit(
            x,
            y,
            validation_data=validation,
            epochs=epochs,
            batch_size=None if batched else batch_size,
            callbacks=callbacks,
            verbose=verbose,
            shuffle=not batched,
            class_weight=class_weight,
        )
        self.train_seconds = time.perf_counter() - start
        return self.history

    def encode(self, texts, sequence_length=None):
        """Raw strings -> numpy token ids ``(batch, sequence_length)``."""
        texts = check_texts(texts)
        check_positive_int("sequence_length", sequence_length, allow_none=True)
        tokenizer = self.tokenizer
        length = sequence_length or self.model.task_config.get(
            "sequence_length"
        )
        chunks = [
            tokenizer.tokenize(texts[i : i + 4096], length).numpy()
            for i in range(0, len(texts), 4096)
        ]
        return np.concatenate(chunks, axis=0)
