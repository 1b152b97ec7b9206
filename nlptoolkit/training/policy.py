"""One training policy for every task.

Every task's ``fit`` takes the same training options, with the same
meaning: ``optimizer``, ``learning_rate``, ``schedule``,
``early_stopping``, ``tensorboard_dir`` and ``checkpoint_dir`` (None: the
task's default). A task declares its defaults once, as a
:class:`TrainingPolicy` (``Task.training_policy``, with one per backbone
kind where the data says so); :meth:`TrainingPolicy.resolve` merges a
``fit`` call's options into a :class:`FitPlan`, which compiles the model
with its optimizer and schedule (:func:`make_optimizer`), records them in
``model.task_config["training"]`` (saved with the model) and, through
:func:`fit_callbacks`, builds the callbacks of the run: the time limit,
early stopping (best epoch restored), TensorBoard and the epoch backups.
:func:`find_learning_rate` is the learning-rate range test hook every
task's ``find_learning_rate`` ends with.

**Per-task defaults.** The classifiers default to AdamW with a linear
warm-up + cosine decay and early stopping on ``val_accuracy`` /
``val_loss`` (patience 1). The generator and the summarizer trained from
scratch default to Adam at a constant rate (``clipnorm=1.0``) without
early stopping: the settings their recorded default runs were measured
with (BENCHMARKS.md); fine-tuning a pretrained generator or summarizer
defaults to AdamW + warm-up + cosine, as for pretrained classifiers. Any
task accepts any option: ``fit(schedule="cosine")`` on a generator, or
``fit(optimizer="sgd", schedule="constant")`` on a classifier.

**The other options** of ``fit``, the same on every task:
``validation_data`` (else, with early stopping, ``validation_split`` of
the rows held out, seeded), ``epochs`` (None: the task's default),
``batch_size``, ``callbacks``, ``verbose``, ``max_seconds`` (stop after
that much wall time, checked every batch), ``tensorboard_dir`` (epoch
scalars, the learning rate, the model graph) and ``checkpoint_dir``
(a backup after every epoch: after a crash the same call resumes from
the last one; deleted when training finishes).

**How long the cosine lasts.** A cosine schedule needs its number of
steps. It spans the ``fit`` call's steps, ``ceil(rows / batch_size) *
epochs`` (:func:`~nlptoolkit.training.schedules.total_steps`), and is
re-armed by every ``fit`` (:func:`~nlptoolkit.training.schedules.rearm`).
Under a time budget (``max_seconds``) the run may stop long before its
last epoch, which would cut the cosine near its peak (and, with the CLIs'
``--epochs 100`` default, never finish the warm-up). So with
``max_seconds`` the cycle is fitted to the budget
(:class:`CosineTimeBudget`): after a few steps it is resized to the steps
the remaining time holds at the measured step rate (never more than the
epochs' steps), and re-estimated at every epoch end, so the rate reaches
its floor about when the time runs out.

Example:
>>> from nlptoolkit.training.policy import TrainingPolicy
>>> plan = TrainingPolicy().resolve(default_learning_rate=1e-3)
>>> plan.optimizer, plan.schedule, plan.learning_rate, plan.patience
('adamw', 'cosine', 0.001, 1)
>>> plan = TrainingPolicy(optimizer="adam", schedule="constant",
...     early_stopping=False).resolve(schedule="cosine",
...     default_learning_rate=5e-3)
>>> plan.optimizer, plan.schedule, plan.patience
('adam', 'cosine', None)
"""

import dataclasses
import logging
import os
import time

import keras

from nlptoolkit import validation
from nlptoolkit.training import schedules
from nlptoolkit.training.schedules import DEFAULT_CLIPNORM
from nlptoolkit.training.schedules import DEFAULT_WARMUP_FRACTION
from nlptoolkit.training.schedules import DEFAULT_WEIGHT_DECAY
from nlptoolkit.training.schedules import OPTIMIZERS
from nlptoolkit.training.schedules import SCHEDULES

logger = logging.getLogger(__name__)

# The options every task's ``fit`` accepts (None: the task's default).
FIT_OPTIONS = (
    "optimizer",
    "learning_rate",
    "schedule",
    "early_stopping",
    "tensorboard_dir",
    "checkpoint_dir",
)

OPTIMIZER = [
    validation.Options(OPTIMIZERS),
    validation.InstanceOf(
        keras.optimizers.Optimizer,
        description="a keras.optimizers.Optimizer instance",
    ),
]
SCHEDULE = [
    validation.Options(SCHEDULES),
    validation.InstanceOf(
        keras.optimizers.schedules.LearningRateSchedule,
        description="a keras LearningRateSchedule instance",
    ),
]
PATIENCE = validation.Interval(
    int,
    1,
    None,
    description="a patience (a positive integer: epochs without progress)",
)
EARLY_STOPPING = [validation.BOOL, PATIENCE]
NON_NEGATIVE = validation.Interval(float, 0, None)


@dataclasses.dataclass(frozen=True)
class TrainingPolicy:
    """A task's training defaults (what ``fit`` does when not told).

    Attributes:
        optimizer: ``"adamw"``, ``"adam"`` or ``"sgd"``.
        schedule: ``"cosine"`` (warm-up + cosine decay over the run's
            steps) or ``"constant"``.
        early_stopping: True (patience 1), a patience, or False.
        monitor: the validation metric(s) early stopping watches (see
            :class:`~nlptoolkit.training.callbacks.EarlyStopping`).
        warmup_fraction, clipnorm, weight_decay: as
            :func:`~nlptoolkit.training.schedules.make_optimizer` takes
            them.

    Example:
    >>> from nlptoolkit.training.policy import TrainingPolicy
    >>> TrainingPolicy(early_stopping=3).resolve(
    ...     default_learning_rate=1e-3).patience
    3
    """

    optimizer: str = "adamw"
    schedule: str = "cosine"
    early_stopping: object = True
    monitor: tuple = ("val_loss",)
    warmup_fraction: float = DEFAULT_WARMUP_FRACTION
    clipnorm: float = DEFAULT_CLIPNORM
    weight_decay: float = DEFAULT_WEIGHT_DECAY

    def __post_init__(self):
        validation.check("optimizer", self.optimizer, OPTIMIZER[0])
        validation.check("schedule", self.schedule, SCHEDULE[0])
        validation.check("early_stopping", self.early_stopping, *EARLY_STOPPING)
        validation.check(
            "warmup_fraction", self.warmup_fraction, validation.FRACTION
        )
        validation.check(
            "clipnorm", self.clipnorm, validation.POSITIVE_FLOAT, None
        )
        validation.check("weight_decay", self.weight_decay, NON_NEGATIVE)
        monitor = self.monitor
        monitors = (monitor,) if isinstance(monitor, str) else tuple(monitor)
        if not monitors or not all(isinstance(m, str) for m in monitors):
            raise validation.InvalidParameterError(
                "`monitor` must be a metric name or a sequence of names. "
                f"Received: monitor={monitor!r}."
            )
        object.__setattr__(self, "monitor", monitors)

    def resolve(
        self,
        optimizer=None,
        learning_rate=None,
        schedule=None,
        early_stopping=None,
        *,
        default_learning_rate,
    ):
        """A ``fit`` call's options over these defaults, checked: a
        :class:`FitPlan`. ``default_learning_rate`` is the task's (its
        constructor's ``learning_rate``, or one chosen by backbone)."""
        optimizer = validation.check("optimizer", optimizer, *OPTIMIZER, None)
        schedule = validation.check("schedule", schedule, *SCHEDULE, None)
        early_stopping = validation.check(
            "early_stopping", early_stopping, *EARLY_STOPPING, None
        )
        learning_rate = validation.check(
            "learning_rate", learning_rate, validation.POSITIVE_FLOAT, None
        )
        if learning_rate is None:
            learning_rate = validation.check(
                "learning_rate",
                default_learning_rate,
                validation.POSITIVE_FLOAT,
            )
        if early_stopping is None:
            early_stopping = self.early_stopping
        if early_stopping is False:
            patience = None
        else:
            patience = 1 if early_stopping is True else early_stopping
        return FitPlan(
            optimizer=self.optimizer if optimizer is None else optimizer,
            learning_rate=float(learning_rate),
            schedule=self.schedule if schedule is None else schedule,
            patience=patience,
            monitor=self.monitor,
            warmup_fraction=self.warmup_fraction,
            clipnorm=self.clipnorm,
            weight_decay=self.weight_decay,
        )


# The text generator's and the summarizer's ``fit`` defaults. From
# scratch: Adam at a constant rate, clipnorm 1.0, no early stopping: the
# settings the recorded runs of BENCHMARKS.md were trained with.
# Fine-tuning: AdamW with warm-up + cosine, as for pretrained classifiers.
GENERATIVE_POLICIES = {
    "default": TrainingPolicy(
        optimizer="adam", schedule="constant", early_stopping=False
    ),
    "pretrained": TrainingPolicy(early_stopping=False),
}


@dataclasses.dataclass(frozen=True)
class FitPlan:
    """What one ``fit`` call trains with (from
    :meth:`TrainingPolicy.resolve`).

    ``patience`` is None when early stopping is off.

    Example:
    >>> from nlptoolkit.training.policy import TrainingPolicy
    >>> plan = TrainingPolicy().resolve(default_learning_rate=2e-3)
    >>> type(plan.make_optimizer(steps=10)).__name__
    'AdamW'
    >>> plan.record()
    {'optimizer': 'adamw', 'learning_rate': 0.002, 'schedule': 'cosine'}
    """

    optimizer: object
    learning_rate: float
    schedule: object
    patience: object
    monitor: tuple
    warmup_fraction: float = DEFAULT_WARMUP_FRACTION
    clipnorm: float = DEFAULT_CLIPNORM
    weight_decay: float = DEFAULT_WEIGHT_DECAY

    @property
    def early_stopping(self):
        """Whether this run stops early (given validation data)."""
        return self.patience is not None

    def make_optimizer(self, steps=1):
        """The Keras optimizer, its schedule sized to ``steps``."""
        return schedules.make_optimizer(
            self.optimizer,
            self.learning_rate,
            self.schedule,
            steps=steps,
            warmup_fraction=self.warmup_fraction,
            clipnorm=self.clipnorm,
            weight_decay=self.weight_decay,
        )

    def record(self):
        """The settings as ``model.task_config["training"]`` keeps them
        (JSON-able; an instance is named by type and id)."""
        return {
            "optimizer": _named(self.optimizer),
            "learning_rate": self.learning_rate,
            "schedule": _named(self.schedule),
        }

    def compile(self, model, loss, metrics=None, steps=1):
        """Compile ``model`` with this plan's optimizer and record it."""
        model.compile(
            optimizer=self.make_optimizer(steps), loss=loss, metrics=metrics
        )
        model.task_config["training"] = self.record()

    def needs_compile(self, model, default):
        """Whether ``model`` must be compiled again for this plan: its
        recorded settings differ. A model compiled before settings were
        recorded (an older file) counts as compiled with ``default`` (the
        task's default plan), so a plain ``fit`` keeps its optimizer."""
        recorded = model.task_config.get("training")
        if recorded is None:
            if self.record() == default.record():
                model.task_config["training"] = self.record()
                return False
            return True
        return recorded != self.record()


def _named(value):
    if isinstance(value, str):
        return value
    return f"{type(value).__name__}@{id(value)}"


class CosineTimeBudget(keras.callbacks.Callback):
    """Fit a warm-up + cosine cycle to a time budget.

    After ``probe`` steps (the first one, which traces and compiles, not
    timed) and again at every epoch end, the cycle's length becomes the
    steps done plus the steps the remaining ``seconds`` hold at the
    measured rate, never more than its length at the start (the epochs'
    steps): the learning rate then reaches its floor about when
    :class:`~nlptoolkit.callbacks.TimeLimit` stops the run. A no-op for
    any other schedule, and where the compiled step cannot see a changed
    cycle (backends other than TensorFlow; logged).

    Example:
    >>> from nlptoolkit.training.policy import CosineTimeBudget
    >>> CosineTimeBudget(300).seconds
    300.0
    """

    def __init__(self, seconds, probe=10, clock=time.perf_counter):
        super().__init__()
        self.seconds = validation.check(
            "max_seconds", seconds, validation.POSITIVE_FLOAT
        )
        self.probe = validation.check("probe", probe, validation.POSITIVE_INT)
        self.clock = clock
        self.schedule = None

    def on_train_begin(self, logs=None):
        schedule = schedules.schedule_of(self.model.optimizer)
        self.schedule = None
        if not isinstance(schedule, schedules.WarmupCosineDecay):
            return
        if not schedule.updates_in_place:
            logger.warning(
                "The cosine schedule cannot follow the time budget on "
                "this backend; it spans the epochs' steps."
            )
            return
        self.schedule = schedule
        self.planned = schedule.total_steps
        self.start = self.clock()
        self.steps = 0
        self.timed_from = None

    def on_train_batch_end(self, batch, logs=None):
        if self.schedule is None:
            return
        self.steps += 1
        if self.steps == 1:  # The first step traces and compiles.
            self.timed_from = (self.clock(), 1)
        elif self.steps == 1 + self.probe:
            self._resize()

    def on_epoch_end(self, epoch, logs=None):
        if self.schedule is not None and self.steps > 1:
            self._resize()

    def _resize(self):
        now = self.clock()
        since, steps_then = self.timed_from
        per_step = (now - since) / max(self.steps - steps_then, 1)
        left = self.seconds - (now - self.start)
        affordable = self.steps + max(int(left / max(per_step, 1e-9)), 0)
        total = max(min(self.planned, affordable), self.steps + 1)
        if total != self.schedule.total_steps:
            logger.info(
                "Cosine fitted to the time budget: %d steps (%.3f s a "
                "step, %.0f s left; the epochs hold %d).",
                total,
                per_step,
                left,
                self.planned,
            )
            self.schedule.total_steps = total


def fit_callbacks(
    model,
    callbacks=None,
    max_seconds=None,
    monitor=None,
    patience=1,
    tensorboard_dir=None,
    checkpoint_dir=None,
    backup=None,
):
    """The callbacks of one ``fit`` run, in order: the caller's, the
    time limit (and :class:`CosineTimeBudget` with it), early stopping on
    ``monitor`` (None: off), TensorBoard, and last (so it backs up after
    the others' epoch ends) the epoch backup ``backup(model,
    checkpoint_dir)`` makes. Returns ``(callbacks, early_stopping)``,
    the latter the :class:`~nlptoolkit.training.callbacks.EarlyStopping`
    or None.

    Example:
    >>> from nlptoolkit.training.policy import fit_callbacks
    >>> found, stop = fit_callbacks(None, max_seconds=60,
    ...     monitor="val_loss", patience=2)
    >>> [type(c).__name__ for c in found], stop.patience
    (['TimeLimit', 'CosineTimeBudget', 'EarlyStopping'], 2)
    """
    from nlptoolkit.callbacks import TimeLimit
    from nlptoolkit.checks import check_callbacks
    from nlptoolkit.training.callbacks import EarlyStopping
    from nlptoolkit.training.callbacks import TensorBoard

    callbacks = check_callbacks(callbacks)
    if max_seconds is not None:
        callbacks.append(TimeLimit(max_seconds))
        callbacks.append(CosineTimeBudget(max_seconds))
    early_stopping = None
    if monitor:
        early_stopping = EarlyStopping(monitor, patience=patience)
        callbacks.append(early_stopping)
    if tensorboard_dir is not None:
        tensorboard_dir = validation.check(
            "tensorboard_dir", tensorboard_dir, validation.PathLike()
        )
        callbacks.append(TensorBoard(os.fspath(tensorboard_dir)))
    if checkpoint_dir is not None:
        if backup is None:
            raise ValueError(
                "`checkpoint_dir` needs a `backup` callback factory."
            )
        callbacks.append(backup(model, checkpoint_dir))
    return callbacks, early_stopping


def find_learning_rate(model, x, y, optimizer, scope=None, **settings):
    """The learning-rate range test on a built ``model`` (its compiled
    loss), with a fresh constant-rate optimizer of kind ``optimizer``
    (made under ``scope``, a context manager, e.g. the task's): what
    every task's ``find_learning_rate`` runs once it has its training
    arrays. ``settings`` are
    :func:`~nlptoolkit.training.lr_finder.lr_range_test`'s
    (``batch_size``, ``min_learning_rate``, ``max_learning_rate``,
    ``fraction``, ``num_steps``, ``method``, ``seed``...). Returns an
    :class:`~nlptoolkit.training.LRFinderResult`; the model's variables
    and compiled optimizer are left as they were.

    Example:
    >>> import keras, numpy as np
    >>> from nlptoolkit.training.policy import find_learning_rate
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    >>> model.compile(loss=keras.losses.SparseCategoricalCrossentropy(
    ...     from_logits=True))
    >>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    >>> y = (x[:, 0] > 0).astype("int32")
    >>> find_learning_rate(model, x, y, "adam", num_steps=20).suggestion > 0
    True
    """
    import contextlib

    from nlptoolkit.training.lr_finder import lr_range_test

    with scope or contextlib.nullcontext():
        # At any rate: the test sets the rate before every step.
        finder_optimizer = schedules.make_optimizer(optimizer, 1.0, "constant")
    return lr_range_test(model, x, y, finder_optimizer, **settings)


def plan(policies, backbone_kind, default_learning_rate, **options):
    """A ``fit`` call's :class:`FitPlan`: ``options`` (those of
    :data:`FIT_OPTIONS` that shape the optimizer and early stopping) over
    the task's policy for ``backbone_kind`` (``policies[backbone_kind]``,
    else ``policies["default"]``).

    Example:
    >>> from nlptoolkit.training.policy import TrainingPolicy, plan
    >>> policies = {"default": TrainingPolicy(optimizer="adam"),
    ...             "pretrained": TrainingPolicy()}
    >>> plan(policies, "lstm", 1e-3).optimizer
    'adam'
    >>> plan(policies, "pretrained", 5e-5, optimizer="sgd").optimizer
    'sgd'
    """
    policy = policies.get(backbone_kind, policies["default"])
    return policy.resolve(
        **options, default_learning_rate=default_learning_rate
    )


def describe_run(
    model, fit_plan, history, early_stopping, epochs, batch_size, rows
):
    """What a finished ``fit`` ran (``Task.training_config``, JSON-able):
    the optimizer and schedule (:func:`~nlptoolkit.training.describe`),
    epochs asked and run, batch size, training rows, and early stopping
    (whether it ran, its monitor and patience, the epoch kept).

    Example:
    >>> import keras
    >>> from nlptoolkit.training.policy import TrainingPolicy, describe_run
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> run = TrainingPolicy(early_stopping=False).resolve(
    ...     default_learning_rate=1e-3)
    >>> model.compile(run.make_optimizer(steps=4), "mse")
    >>> history = model.fit(keras.ops.ones((4, 2)), keras.ops.ones((4, 1)),
    ...     batch_size=2, epochs=2, verbose=0)
    >>> info = describe_run(model, run, history, None, 2, 2, 4)
    >>> info["schedule"], info["epochs_run"], info["early_stopping"]
    ('cosine', 2, False)
    """
    stopping = early_stopping is not None
    return {
        **schedules.describe(model.optimizer),
        "epochs": epochs,
        "epochs_run": len(history.epoch),
        "batch_size": batch_size,
        "early_stopping": stopping,
        "early_stopping_monitor": "/".join(fit_plan.monitor)
        if stopping
        else None,
        "early_stopping_patience": fit_plan.patience if stopping else None,
        "best_epoch": early_stopping.best_epoch if stopping else None,
        "train_rows": rows,
    }
