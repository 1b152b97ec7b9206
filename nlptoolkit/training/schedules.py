"""Learning-rate schedules and the default optimizer.

The default recipe for every classifier is AdamW with gradient clipping
(``clipnorm=1.0``) under :class:`WarmupCosineDecay`: a linear warm-up over
the first 10% of the steps, then a half cosine down to ``alpha`` times the
peak (0 by default) at the last step.

**When the schedule learns its length.** The total number of steps is
``ceil(train_rows / batch_size) * epochs``, known only when ``fit`` sees the
data. A task's first ``fit`` builds and compiles the model with the
schedule sized for that call. A later ``fit`` on the same model *re-arms*
the schedule (:func:`rearm`): ``start_step`` moves to the optimizer's
current iteration and ``total_steps`` to the new call's steps, so every
``fit`` call runs one full warm-up + cosine cycle (a warm restart, as in
SGDR, Loshchilov & Hutter 2017) while the optimizer keeps its moments.
Without re-arming, a second ``fit`` would run at the schedule's floor
(``alpha * peak``, i.e. 0) and learn nothing. ``start_step`` and
``total_steps`` are in ``get_config``, so a saved model reloads the cycle
it was last trained with. With TensorFlow the compiled train step reads
them from a variable: re-arming does not trace the step again.
"""

import math

import keras
from keras import ops

from nlptoolkit.validation import FRACTION
from nlptoolkit.validation import NON_NEGATIVE_INT
from nlptoolkit.validation import POSITIVE_FLOAT
from nlptoolkit.validation import POSITIVE_INT
from nlptoolkit.validation import UNIT_INTERVAL
from nlptoolkit.validation import Options
from nlptoolkit.validation import check

OPTIMIZERS = ("adamw", "adam", "sgd")
SCHEDULES = ("cosine", "constant")

DEFAULT_WARMUP_FRACTION = 0.1
DEFAULT_CLIPNORM = 1.0
DEFAULT_WEIGHT_DECAY = 0.01


def _cycle_setting(name, doc):
    """A property kept as an int in ``_{name}``: setting it moves the
    cycle variable the compiled train step reads."""
    attribute = f"_{name}"

    def read(self):
        return getattr(self, attribute)

    def write(self, value):
        setattr(self, attribute, int(value))
        self._sync_cycle()

    return property(read, write, doc=doc)


@keras.saving.register_keras_serializable(package="nlptoolkit")
class WarmupCosineDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up to ``peak_learning_rate``, then cosine decay.

    With ``s = step - start_step`` and ``w = round(warmup_fraction *
    total_steps)`` warm-up steps, the learning rate is
    ``peak * (s + 1) / w`` for ``s < w`` and then
    ``peak * (alpha + (1 - alpha) * (1 + cos(pi * p)) / 2)`` with
    ``p = (s - w) / (total_steps - w)`` clipped to [0, 1]: it reaches
    ``alpha * peak`` at the last step and stays there.

    Args:
        peak_learning_rate: the learning rate at the end of warm-up.
        total_steps: steps in one cycle (warm-up included).
        warmup_fraction: share of ``total_steps`` spent warming up
            (0 disables warm-up).
        alpha: the final learning rate as a fraction of the peak.
        start_step: the optimizer iteration the cycle starts at (moved by
            :func:`rearm` when ``fit`` is called again).
        name: optional name.

    Example:
    >>> from nlptoolkit.training import WarmupCosineDecay
    >>> schedule = WarmupCosineDecay(1e-3, total_steps=100)
    >>> [round(float(schedule(s)), 6) for s in (0, 9, 55, 100)]
    [0.0001, 0.001, 0.0005, 0.0]
    >>> WarmupCosineDecay.from_config(schedule.get_config()).total_steps
    100
    """

    def __init__(
        self,
        peak_learning_rate,
        total_steps,
        warmup_fraction=DEFAULT_WARMUP_FRACTION,
        alpha=0.0,
        start_step=0,
        name=None,
    ):
        self.peak_learning_rate = check(
            "peak_learning_rate", peak_learning_rate, POSITIVE_FLOAT
        )
        self._total_steps = check("total_steps", total_steps, POSITIVE_INT)
        self.warmup_fraction = check(
            "warmup_fraction", warmup_fraction, FRACTION
        )
        self.alpha = check("alpha", alpha, UNIT_INTERVAL)
        self._start_step = check("start_step", start_step, NON_NEGATIVE_INT)
        self.name = name
        self._cycle = _cycle_variable(self._cycle_values())

    # The cycle (start, warm-up and decay steps) is read from a variable
    # inside the compiled train step, so `rearm` moves it with an assign
    # and the train function is not traced again (with TensorFlow; other
    # backends bake Python numbers in and are re-traced by `rearm`).
    start_step = _cycle_setting(
        "start_step", "The optimizer iteration the cycle starts at."
    )
    total_steps = _cycle_setting(
        "total_steps", "Steps in one cycle (warm-up included)."
    )

    @property
    def updates_in_place(self):
        """Whether a compiled train step sees a changed cycle without
        being traced again."""
        return self._cycle is not None

    @property
    def warmup_steps(self):
        """Warm-up steps of the current cycle."""
        return int(round(self.warmup_fraction * self.total_steps))

    def _cycle_values(self):
        warmup = self.warmup_steps
        decay = max(self.total_steps - warmup, 1)
        return [float(self.start_step), float(warmup), float(decay)]

    def _sync_cycle(self):
        if self._cycle is not None:
            self._cycle.assign(self._cycle_values())

    def __call__(self, step):
        peak = self.peak_learning_rate
        if self._cycle is None:
            start, warmup, decay = self._cycle_values()
        else:
            start, warmup, decay = (self._cycle[i] for i in range(3))
        step = ops.cast(step, "float32") - start
        progress = ops.clip((step - warmup) / decay, 0.0, 1.0)
        cosine = 0.5 * (1.0 + ops.cos(math.pi * progress))
        decayed = peak * (self.alpha + (1.0 - self.alpha) * cosine)
        warming = peak * (step + 1.0) / ops.maximum(warmup, 1.0)
        # No warm-up (warmup == 0): the cosine from the first step.
        return ops.where(
            ops.logical_and(step < warmup, warmup > 0), warming, decayed
        )

    def get_config(self):
        return {
            "peak_learning_rate": self.peak_learning_rate,
            "total_steps": self.total_steps,
            "warmup_fraction": self.warmup_fraction,
            "alpha": self.alpha,
            "start_step": self.start_step,
            "name": self.name,
        }


def _cycle_variable(values):
    """A float32 TensorFlow variable holding ``values`` (None on other
    backends). Created where the schedule is (under a strategy's scope
    when the task builds it there), never trained or saved: the schedule's
    config holds the same numbers."""
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    return tf.Variable(
        values, dtype=tf.float32, trainable=False, name="cosine_cycle"
    )


def total_steps(rows, batch_size, epochs):
    """Optimizer steps for ``epochs`` passes over ``rows`` examples.

    Example:
    >>> from nlptoolkit.training import total_steps
    >>> total_steps(100, batch_size=32, epochs=3)
    12
    """
    return max(1, math.ceil(rows / batch_size)) * epochs


def make_optimizer(
    optimizer="adamw",
    learning_rate=1e-3,
    schedule="cosine",
    steps=1,
    warmup_fraction=DEFAULT_WARMUP_FRACTION,
    clipnorm=DEFAULT_CLIPNORM,
    weight_decay=DEFAULT_WEIGHT_DECAY,
):
    """A Keras optimizer from names, as tasks' ``fit`` builds it.

    Args:
        optimizer: ``"adamw"`` (default), ``"adam"``, ``"sgd"`` (momentum
            0.9), or a ``keras.optimizers.Optimizer`` instance, returned
            unchanged (its own learning rate and schedule apply).
        learning_rate: the peak (``"cosine"``) or constant learning rate.
        schedule: ``"cosine"`` (:class:`WarmupCosineDecay` over ``steps``),
            ``"constant"``, or a ``LearningRateSchedule`` instance.
        steps: optimizer steps in one ``fit`` call (see
            :func:`total_steps`).
        warmup_fraction: share of the steps spent warming up.
        clipnorm: per-variable gradient norm clip (None disables).
        weight_decay: AdamW's decoupled weight decay.

    Example:
    >>> from nlptoolkit.training import make_optimizer
    >>> opt = make_optimizer("adamw", 2e-3, "cosine", steps=50)
    >>> type(opt).__name__, opt.clipnorm
    ('AdamW', 1.0)
    >>> type(make_optimizer("adam", 1e-3, "constant")).__name__
    'Adam'
    """
    if isinstance(optimizer, keras.optimizers.Optimizer):
        return optimizer
    check(
        "optimizer",
        optimizer,
        Options(
            OPTIMIZERS,
            description=f"one of {list(OPTIMIZERS)} or a "
            "keras.optimizers.Optimizer instance",
        ),
    )
    learning_rate = check("learning_rate", learning_rate, POSITIVE_FLOAT)
    if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
        rate = schedule
    else:
        check(
            "schedule",
            schedule,
            Options(
                SCHEDULES,
                description=f"one of {list(SCHEDULES)} or a keras "
                "LearningRateSchedule instance",
            ),
        )
    if schedule == "cosine":
        rate = WarmupCosineDecay(
            learning_rate, total_steps=steps, warmup_fraction=warmup_fraction
        )
    elif schedule == "constant":
        rate = float(learning_rate)
    if optimizer == "adamw":
        return keras.optimizers.AdamW(
            rate, weight_decay=weight_decay, clipnorm=clipnorm
        )
    if optimizer == "adam":
        return keras.optimizers.Adam(rate, clipnorm=clipnorm)
    return keras.optimizers.SGD(rate, momentum=0.9, clipnorm=clipnorm)


def _inner(optimizer):
    # A mixed-precision LossScaleOptimizer wraps the real one.
    return getattr(optimizer, "inner_optimizer", optimizer)


def schedule_of(optimizer):
    """The ``LearningRateSchedule`` an optimizer runs, or None.

    Example:
    >>> from nlptoolkit.training import make_optimizer, schedule_of
    >>> type(schedule_of(make_optimizer(steps=10))).__name__
    'WarmupCosineDecay'
    >>> schedule_of(make_optimizer(schedule="constant")) is None
    True
    """
    if optimizer is None:
        return None
    # Keras keeps the schedule object (not a variable) in `_learning_rate`;
    # the public `learning_rate` property evaluates it instead.
    rate = getattr(_inner(optimizer), "_learning_rate", None)
    if isinstance(rate, keras.optimizers.schedules.LearningRateSchedule):
        return rate
    return None


def rearm(model, steps):
    """Start a new warm-up + cosine cycle of ``steps`` steps at the
    optimizer's current iteration (a no-op for other schedules).

    Called by ``Task._train`` before every ``model.fit``. With
    TensorFlow the compiled train step reads the cycle from a variable,
    so the next ``fit`` reuses it; on other backends, when the cycle
    changes after the model has trained, the compiled train function is
    dropped so the next ``fit`` traces the new constants. Returns the
    :class:`WarmupCosineDecay` (or None).

    Example:
    >>> import keras
    >>> from nlptoolkit.training import make_optimizer, rearm
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile(make_optimizer(steps=10), "mse")
    >>> rearm(model, 40).total_steps
    40
    """
    schedule = schedule_of(getattr(model, "optimizer", None))
    if not isinstance(schedule, WarmupCosineDecay):
        return None
    start = int(ops.convert_to_numpy(_inner(model.optimizer).iterations))
    if (schedule.start_step, schedule.total_steps) != (start, steps):
        schedule.start_step = start
        schedule.total_steps = int(steps)
        # With TensorFlow the traced step reads the cycle from a variable:
        # re-tracing it (1-2 s per `fit` call on a 2-core CPU) is needed
        # only where the cycle was baked in as numbers.
        if (
            not schedule.updates_in_place
            and getattr(model, "train_function", None) is not None
        ):
            model.make_train_function(force=True)
    return schedule


def describe(optimizer):
    """A JSON-able summary of an optimizer and its schedule (for
    ``metrics.json``).

    Example:
    >>> from nlptoolkit.training import describe, make_optimizer
    >>> describe(make_optimizer("adamw", 2e-3, steps=100))["warmup_steps"]
    10
    """
    inner = _inner(optimizer)
    config = inner.get_config()
    info = {
        "optimizer": type(inner).__name__,
        "clipnorm": config.get("clipnorm"),
        "weight_decay": config.get("weight_decay"),
    }
    schedule = schedule_of(inner)
    if isinstance(schedule, WarmupCosineDecay):
        info.update(
            {
                "schedule": "cosine",
                "learning_rate": schedule.peak_learning_rate,
                "total_steps": schedule.total_steps,
                "warmup_steps": schedule.warmup_steps,
                "final_learning_rate": schedule.alpha
                * schedule.peak_learning_rate,
            }
        )
    elif schedule is not None:
        info.update({"schedule": type(schedule).__name__})
    else:
        rate = ops.convert_to_numpy(inner.learning_rate)
        info.update({"schedule": "constant", "learning_rate": float(rate)})
    return info
