"""The learning-rate range test (Smith 2017; fastai's ``lr_find``).

Train for a fraction of an epoch while the learning rate grows
exponentially from ``min_learning_rate`` to ``max_learning_rate``, record
the loss of every batch, and suggest the rate where the (smoothed) loss
falls fastest. The model's variables are snapshotted first and restored
afterwards; the run uses its own optimizer, so the model's compiled
optimizer (its moments, its iteration count, its schedule) is never
touched. A ``fit`` after the test starts from exactly the same state as
one without it.

**The smoothed loss** is a centred moving average of the batch losses
over ``smoothing`` (10%) of the steps. It is centred, so it does not lag:
fastai's exponential average trails a short sweep by many steps, which
moved both suggestions too high. The run stops early once an
exponential average of the loss exceeds ``divergence`` times its
minimum.

**The suggestion.** ``"minimum"`` (the default) takes the learning rate
of the lowest smoothed loss divided by ``MINIMUM_DIVISOR``: about a
decade and a third before the loss stops improving. ``"steepest"`` takes
the learning rate where the smoothed loss falls fastest against
``log10(lr)``, searched between the first 10% of the points and the
minimum. Both are reported. The minimum was the steadier of the two on
the benchmarks (the batch losses are noisy, and the steepest point of a
noisy curve jumps about), and the divisor is calibrated on fixed-rate
sweeps: fastai's smaller divisor overshot, a larger one under-trained.
The runs and their figures: BENCHMARKS.md, "Training defaults"
(``benchmarks/training_defaults.py``). Fitting a parabola to the batch
losses around the minimum was tried to steady the suggestion and
rejected: the loss curve is lopsided (slow fall, sharp rise) and the fit
often opened downwards.
"""

import dataclasses
import logging
import math

import keras
import numpy as np

from nlptoolkit import validation

logger = logging.getLogger(__name__)

SUGGESTIONS = ("minimum", "steepest")
MINIMUM_DIVISOR = 20.0
FRACTION_OF_EPOCH = validation.Interval(float, 0, 1, closed="right")


@dataclasses.dataclass
class LRFinderResult:
    """What :func:`lr_range_test` measured.

    Attributes:
        frame: a pandas DataFrame with one row per batch: ``lr``, ``loss``
            and ``smoothed_loss``.
        suggestion: the suggested learning rate (by ``method``).
        method: ``"minimum"`` or ``"steepest"``.
        steepest: the steepest-descent learning rate.
        minimum: the learning rate of the lowest smoothed loss, divided
            by ``MINIMUM_DIVISOR``.
        diverged: whether the test stopped early because the loss blew up.

    Example:
    >>> import pandas as pd
    >>> from nlptoolkit.training import LRFinderResult
    >>> frame = pd.DataFrame({"lr": [1e-4, 1e-3], "loss": [1.0, 0.5],
    ...                       "smoothed_loss": [1.0, 0.7]})
    >>> result = LRFinderResult(frame, 1e-3, "steepest", 1e-3, 1e-4, False)
    >>> result.suggestion
    0.001
    """

    frame: object
    suggestion: float
    method: str
    steepest: float
    minimum: float
    diverged: bool

    def to_dict(self):
        """The suggestion and how it was found, JSON-able."""
        return {
            "suggestion": self.suggestion,
            "method": self.method,
            "steepest": self.steepest,
            "minimum": self.minimum,
            "minimum_divisor": MINIMUM_DIVISOR,
            "diverged": self.diverged,
            "steps": len(self.frame),
            "lr_range": [
                float(self.frame.lr.iloc[0]),
                float(self.frame.lr.iloc[-1]),
            ],
        }

    def plot(self, path=None):
        """Loss against learning rate (log x), the suggestion marked.

        Saved atomically when ``path`` is given; returns the Figure.
        """
        from nlptoolkit.metrics.plotting import _new_figure
        from nlptoolkit.metrics.plotting import save_figure_atomically

        figure = _new_figure((6.0, 4.0))
        axes = figure.add_subplot()
        frame = self.frame
        axes.plot(frame.lr, frame.loss, alpha=0.3, label="batch loss")
        axes.plot(frame.lr, frame.smoothed_loss, label="smoothed loss")
        axes.axvline(
            self.suggestion,
            color="tab:red",
            linestyle="--",
            label=f"suggestion ({self.method}) {self.suggestion:.2g}",
        )
        axes.set_xscale("log")
        axes.set_xlabel("learning rate")
        axes.set_ylabel("loss")
        low = float(np.nanmin(frame.smoothed_loss))
        high = float(frame.smoothed_loss.iloc[0])
        axes.set_ylim(
            low - 0.1 * abs(high - low), high + 0.5 * abs(high - low) + 1e-3
        )
        axes.grid(alpha=0.3)
        axes.legend()
        axes.set_title("Learning-rate range test")
        if path is not None:
            save_figure_atomically(figure, path)
        return figure


def smooth(losses, smoothing=0.1):
    """Centred moving average of ``losses`` over a window of
    ``smoothing`` times their number (odd, at least 3; shorter at the
    ends).

    Example:
    >>> from nlptoolkit.training.lr_finder import smooth
    >>> smooth([1.0, 2.0, 3.0, 4.0], 0.5)
    [1.5, 2.0, 3.0, 3.5]
    """
    import pandas as pd

    window = max(3, int(round(smoothing * len(losses))) | 1)
    series = pd.Series(np.asarray(losses, dtype=float))
    averaged = series.rolling(window, center=True, min_periods=1).mean()
    return averaged.tolist()


def suggest(lrs, smoothed, divisor=MINIMUM_DIVISOR):
    """``(steepest, minimum / divisor)`` learning rates of a range test.

    Example:
    >>> import numpy as np
    >>> from nlptoolkit.training.lr_finder import suggest
    >>> lrs = np.logspace(-5, 0, 11)
    >>> loss = [2, 2, 1.9, 1.6, 1.0, 0.6, 0.5, 0.45, 0.5, 1.0, 3.0]
    >>> [float(f"{v:.2g}") for v in suggest(lrs, loss)]
    [0.001, 0.0016]
    >>> [float(f"{v:.2g}") for v in suggest(lrs, loss, divisor=10)]
    [0.001, 0.0032]
    """
    lrs = np.asarray(lrs, dtype=float)
    smoothed = np.asarray(smoothed, dtype=float)
    finite = np.isfinite(smoothed)
    lowest = int(np.nanargmin(np.where(finite, smoothed, np.inf)))
    minimum = float(lrs[lowest] / divisor)
    skip = len(lrs) // 10
    if lowest - skip < 2:
        return minimum, minimum
    slopes = np.gradient(smoothed[: lowest + 1], np.log10(lrs[: lowest + 1]))
    index = skip + int(np.argmin(slopes[skip:lowest]))
    return float(lrs[index]), minimum


def _batches(rows, batch_size, steps, seed):
    """``steps`` index batches, reshuffling after every pass."""
    rng = np.random.default_rng(seed)
    out, order = [], np.array([], dtype=int)
    while len(out) < steps:
        if len(order) < batch_size:
            order = np.concatenate([order, rng.permutation(rows)])
        out.append(order[:batch_size])
        order = order[batch_size:]
    return out


def _take(x, index):
    if isinstance(x, dict):
        return {key: value[index] for key, value in x.items()}
    return x[index]


def lr_range_test(
    model,
    x,
    y,
    optimizer,
    batch_size=32,
    min_learning_rate=1e-6,
    max_learning_rate=1.0,
    fraction=0.5,
    num_steps=None,
    smoothing=0.1,
    divergence=4.0,
    method="minimum",
    seed=0,
):
    """Run a learning-rate range test on a compiled Keras ``model``.

    Args:
        model: a compiled Keras model (its compiled loss is used).
        x, y: training arrays (``x`` may be a dict of arrays).
        optimizer: a fresh optimizer with a *constant* learning rate; its
            rate is overwritten every step. The model's own optimizer is
            not used.
        batch_size: examples per step.
        min_learning_rate, max_learning_rate: the range, swept
            exponentially.
        fraction: the share of one epoch the sweep lasts, when
            ``num_steps`` is None (at least 20 and at most 300 steps;
            batches are reshuffled and reused when data is short).
        num_steps: the number of steps, overriding ``fraction``.
        smoothing: the centred moving-average window, as a share of the
            steps.
        divergence: stop once an exponential average of the loss
            exceeds this multiple of its minimum (or is not finite).
        method: ``"minimum"`` or ``"steepest"`` (see the module notes).
        seed: seeds the batch order.

    Returns:
        An :class:`LRFinderResult`.

    Example:
    >>> import keras, numpy as np
    >>> from nlptoolkit.training import lr_range_test, make_optimizer
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    >>> model.compile(loss=keras.losses.SparseCategoricalCrossentropy(
    ...     from_logits=True))
    >>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    >>> y = (x[:, 0] > 0).astype("int32")
    >>> before = [v.numpy().copy() for v in model.weights]
    >>> result = lr_range_test(model, x, y, make_optimizer(
    ...     "adam", 1e-6, "constant"), batch_size=16, num_steps=20)
    >>> list(result.frame.columns)
    ['lr', 'loss', 'smoothed_loss']
    >>> all((a == b.numpy()).all() for a, b in zip(before, model.weights))
    True
    """
    import pandas as pd
    import tensorflow as tf

    validation.check("method", method, validation.Options(SUGGESTIONS))
    validation.check("batch_size", batch_size, validation.POSITIVE_INT)
    min_learning_rate = validation.check(
        "min_learning_rate", min_learning_rate, validation.POSITIVE_FLOAT
    )
    max_learning_rate = validation.check(
        "max_learning_rate",
        max_learning_rate,
        validation.Interval(float, min_learning_rate, None, closed="neither"),
        hint="Expected 0 < min_learning_rate < max_learning_rate; "
        f"received min_learning_rate={min_learning_rate!r}.",
    )
    if num_steps is None:
        validation.check("fraction", fraction, FRACTION_OF_EPOCH)
        per_epoch = math.ceil(len(y) / batch_size)
        num_steps = int(np.clip(round(fraction * per_epoch), 20, 300))
    num_steps = validation.check(
        "num_steps", num_steps, validation.Interval(int, 2, None)
    )
    variables = list(model.variables)
    snapshot = [keras.ops.convert_to_numpy(v).copy() for v in variables]
    trainable = model.trainable_variables
    optimizer.build(trainable)

    @tf.function(reduce_retracing=True)
    def step(xb, yb):
        with tf.GradientTape() as tape:
            predictions = model(xb, training=True)
            loss = model.compute_loss(x=xb, y=yb, y_pred=predictions)
        gradients = tape.gradient(loss, trainable)
        optimizer.apply(gradients, trainable)
        return loss

    lrs = min_learning_rate * (max_learning_rate / min_learning_rate) ** (
        np.arange(num_steps) / (num_steps - 1)
    )
    rows = []
    best, average, diverged = math.inf, 0.0, False
    try:
        for index, batch in enumerate(
            _batches(len(y), batch_size, num_steps, seed)
        ):
            optimizer.learning_rate = float(lrs[index])
            loss = float(step(_take(x, batch), y[batch]))
            rows.append((float(lrs[index]), loss))
            average = 0.9 * average + 0.1 * loss
            running = average / (1.0 - 0.9 ** (index + 1))
            if not math.isfinite(running) or (
                index > 0 and running > divergence * best
            ):
                diverged = True
                break
            best = min(best, running)
    finally:
        for variable, value in zip(variables, snapshot, strict=True):
            variable.assign(value)
    frame = pd.DataFrame(rows, columns=["lr", "loss"])
    frame["smoothed_loss"] = smooth(frame["loss"].tolist(), smoothing)
    steepest, minimum = suggest(frame.lr, frame.smoothed_loss)
    chosen = steepest if method == "steepest" else minimum
    logger.info(
        "LR range test: %d steps, %.1e..%.1e; steepest %.2e, minimum/%g "
        "%.2e -> %s %.2e",
        len(frame),
        frame.lr.iloc[0],
        frame.lr.iloc[-1],
        steepest,
        MINIMUM_DIVISOR,
        minimum,
        method,
        chosen,
    )
    return LRFinderResult(frame, chosen, method, steepest, minimum, diverged)
