"""The `InferenceClock` callback: its hooks record one tuple per cycle.

Each hook reads `time.perf_counter()` and appends one tuple (layout:
`nlptoolkit.callbacks.clock.schema`) to a list; nothing else (no pandas,
no formatting) happens until export or `summary()`, which the mixins in
`statistics`, `output` and `plots` provide. The decode hook contract is
in the `nlptoolkit.callbacks.clock` package docstring.
"""

import logging
import time
import weakref

import keras
import numpy as np

from nlptoolkit.callbacks.clock.output import ClockOutput
from nlptoolkit.callbacks.clock.plots import ClockPlots
from nlptoolkit.callbacks.clock.schema import _AFTER_PREFILL
from nlptoolkit.callbacks.clock.statistics import ClockStatistics
from nlptoolkit.validation import STRING
from nlptoolkit.validation import check

# The clock's one logger (the package's name, as before the split).
logger = logging.getLogger(__package__)

_STEP_KEYS = ("position", "batch_size", "tokens", "warmup")


def _contract_error(hook, logs, keys):
    return ValueError(
        f"`InferenceClock.{hook}` expects `logs` with keys {list(keys)}. "
        f"Received: logs={logs!r}. Pass every key listed in the hook "
        "contract in `nlptoolkit.callbacks.clock`."
    )


def _leading_dim(value):
    shape = getattr(value, "shape", None)
    if shape is None:
        # `pythonify_logs` turns a one-element output into a float.
        return 1 if isinstance(value, (int, float)) else 0
    if len(shape) == 0:
        return 1
    return int(shape[0]) if shape[0] is not None else 0


def _to_host(value):
    """Materialises one output leaf on the host (a no-op for numpy)."""
    if isinstance(value, (np.ndarray, int, float)):
        return value
    try:
        return keras.ops.convert_to_numpy(value)
    except (TypeError, ValueError):  # e.g. ragged or sparse outputs
        return value


class InferenceClock(
    ClockStatistics, ClockOutput, ClockPlots, keras.callbacks.Callback
):
    """Times inference cycles: predict batches and decoding steps.

    Pass it in `callbacks` to `model.predict` on any Keras model, or to
    nlptoolkit's `generate` / `summarize`. Each cycle records `kind`
    (`"batch"`, `"prefill"`, `"step"`, `"chunk"`, `"reprefill"` or
    `"fused"`), `run`, `label`,
    `index`, `position`, `batch_size`, `tokens`, `seconds`, `warmup`,
    `start`, `span`, `backbone` and `decode`:

    - `index`: the cycle's number in its run. Decode runs: 0 for the
      prefill, then the step number (from 1). Predict runs: 0, 1, 2, ...
    - `position`: decode cycles: index of the token produced; predict
      cycles: index of the first batch covered.
    - `batch_size`: sequences in the batch; for predict, the leading
      dimension of the batch outputs (rows over all batches covered).
    - `tokens`: new tokens produced over the whole batch (0 for predict).
    - `seconds`: wall time of the cycle (`time.perf_counter`), stopped only
      after the outputs are numpy on the host.
    - `start`: seconds from the run's start to the cycle's start. A run
      starts at `on_predict_begin` / `on_decode_begin`.
    - `span`: elementary cycles covered: 1, or the number of batches with
      `steps_per_execution > 1`, or the steps of a chunk, or the tokens
      per sequence of a fused run.
    - `warmup`: whether the cycle paid for tracing or compiling. Predict:
      true when `model.predict_function` was traced (or retraced, e.g. for
      a ragged last batch or new input shape) during the cycle, read from
      `tf.function.experimental_get_tracing_count()`; where no tracing
      count exists (`run_eagerly=True`, other backends), the first cycle
      after a `predict_function` this clock has not seen. Decode: the
      loop's `logs["warmup"]`; a fused run without that key is warm-up
      when it is the first this clock sees for its label, batch size,
      prompt length and maximum length.

    `summary()` defines, with times in seconds unless named `_ms`, and
    warm-up cycles never in a percentile or rate:

    - `runs`; `records` (non-warm-up rows); `cycles` (non-warm-up
      elementary cycles, the sum of `span`); `warmup_cycles` (warm-up rows).
    - `warmup_seconds`: sum of warm-up cycle seconds (trace + compile).
    - `cycle_seconds`: sum of non-warm-up cycle seconds.
    - `prefill_seconds`: mean seconds of the non-warm-up prefill cycles.
    Decode cycles after the prefill are `step` rows (one step timed),
    `chunk` rows (k steps timed together; the per-step figures below are
    then derived, `seconds / span`, and `steps_derived` is True) and
    `reprefill` rows (the step at which the context window slid: a
    re-prefill of the kept tokens and one step).

    - `ttft`: time from a run's start to its first token (prefill end);
      the mean over runs whose prefill is not a warm-up cycle.
    - `e2e`: time from a run's start to the end of its last cycle; the
      mean over runs without warm-up cycles. (The sum of a run's cycle
      seconds is this minus the host time between cycles.)
    - `tpot`: `(e2e - ttft) / (N - 1)` per run, N being the tokens per
      sequence (the prefill token plus the span of every later cycle;
      e2e the last token's arrival), as vLLM and
      genai-perf compute it; the mean over runs without warm-up steps.
    - `itl_mean`, `itl_p50`, `itl_p90`, `itl_p99`: inter-token latency,
      the gaps between consecutive token arrivals (end of the previous
      prefill/step cycle to end of this step), pooled over the
      non-warm-up steps of all runs; a chunk's tokens arrive together,
      so its gap counts `span` times as `gap / span` (derived). Without
      warm-up steps, a run's mean ITL equals its TPOT.
    - `step_mean`: seconds per step of non-warm-up step and chunk cycles
      (their seconds over their spans: the steps themselves, without
      host time between cycles).
    - `steps_derived`: whether chunk rows fed the per-step figures.
    - `reprefill_cycles`, `reprefill_seconds`: count and mean seconds of
      the non-warm-up re-prefill cycles (not in `step_mean` or the
      slope; in TTFT/TPOT/ITL, as token arrivals).
    - `batch_latency_mean`, `batch_latency_p99`: seconds per predict batch
      (`seconds / span`) over non-warm-up batch cycles.
    - `cycles_per_second`: the clock rate, `cycles / cycle_seconds`.
    - `tokens_per_second`: non-warm-up tokens over the seconds of the
      non-warm-up prefill, step and fused cycles.
    - `samples_per_second`: predict rows per second (non-warm-up batches).
    - `slope_ms_per_position`, `intercept_ms`: Theil-Sen line of step
      `seconds` (in ms; a chunk's `seconds / span` at its middle
      position) against `position` over non-warm-up steps (the
      median of pairwise slopes, see `theil_sen`; one stalled step does not
      move it): flat with a cache, growing without.

    A figure that cannot be computed (no steps, no warm run, ...) is None.
    `summary(label)` pools the runs of one label; `summary()` pools every
    run recorded; `summaries()` gives one summary per label.

    Args:
        label: optional string that overrides the label of every run this
            clock records. By default a run is labelled `logs["label"]`,
            else `"<backbone>/<decode>"` for decoding and `"predict"` for
            predict calls.

    Example:

    >>> import numpy as np
    >>> import keras
    >>> import nlptoolkit.callbacks
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    >>> clock = nlptoolkit.callbacks.InferenceClock()
    >>> x = np.random.rand(10, 4).astype("float32")
    >>> _ = model.predict(x, batch_size=4, callbacks=[clock], verbose=0)
    >>> _ = model.predict(x, batch_size=4, callbacks=[clock], verbose=0)
    >>> df = clock.to_dataframe()
    >>> df["batch_size"].tolist()
    [4, 4, 2, 4, 4, 2]
    >>> bool(df["warmup"].iloc[0]), bool(df["warmup"].iloc[3:].any())
    (True, False)
    >>> stats = clock.summary()
    >>> stats["batch_latency_mean"] > 0
    True
    >>> stats["ttft"] is None  # no decoding recorded
    True
    """

    def __init__(self, label=None):
        super().__init__()
        self.label = check("label", label, STRING, None)
        self.reset()

    # ------------------------------------------------------------------
    # State.

    def reset(self):
        """Forgets every recorded run and cycle."""
        self._cycles = []
        self._runs = []
        self._run = None
        self._run_t0 = 0.0
        self._run_count = 0
        self._t = None
        self._begin_batch = 0
        self._trace_count = None
        self._tracing_count = None
        self._first_cycle_warm = False
        self._decode_batch_size = 0
        self._decode_prompt_length = 0
        self._decode_signature = None
        self._fused_seen = set()
        self._seen_functions = weakref.WeakSet()
        self._seen_function_ids = set()

    def _begin_run(self, label, backbone=None, decode=None):
        self._run = len(self._runs)
        self._runs.append(
            {
                "label": self.label if self.label is not None else label,
                "backbone": backbone,
                "decode": decode,
            }
        )
        self._run_count = 0
        self._t = None
        self._run_t0 = time.perf_counter()

    @property
    def runs(self):
        """Number of runs recorded."""
        return len(self._runs)

    @property
    def labels(self):
        """Run labels in the order they first appear."""
        return list(dict.fromkeys(run["label"] for run in self._runs))

    def __len__(self):
        return len(self._cycles)

    def __repr__(self):
        return (
            f"<InferenceClock runs={len(self._runs)} "
            f"cycles={len(self._cycles)} labels={self.labels}>"
        )

    def get_config(self):
        return {"label": self.label}

    # ------------------------------------------------------------------
    # Predict hooks (called by Keras `model.predict`).

    def _new_function(self, fn):
        """True the first time this clock sees `fn`."""
        try:
            if fn in self._seen_functions:
                return False
            self._seen_functions.add(fn)
            return True
        except TypeError:  # not weak-referenceable
            if id(fn) in self._seen_function_ids:
                return False
            self._seen_function_ids.add(id(fn))
            return True

    def on_predict_begin(self, logs=None):
        fn = getattr(self._model, "predict_function", None)
        self._tracing_count = getattr(
            fn, "experimental_get_tracing_count", None
        )
        # Without a tracing count, the first cycle of a function this clock
        # has not seen is the warm-up cycle.
        self._first_cycle_warm = self._tracing_count is None and (
            self._new_function(fn)
        )
        self._begin_run("predict")

    def on_predict_batch_begin(self, batch, logs=None):
        self._begin_batch = batch
        if self._tracing_count is not None:
            self._trace_count = self._tracing_count()
        self._t = time.perf_counter()

    def on_predict_batch_end(self, batch, logs=None):
        # Materialise the outputs on the host before stopping the clock.
        # `CallbackList` has usually converted a single output to numpy
        # already; nested outputs (lists, dicts) are converted here.
        logs = logs or {}
        outputs = logs["outputs"] if "outputs" in logs else logs
        leaves = [_to_host(leaf) for leaf in keras.tree.flatten(outputs)]
        t = time.perf_counter()
        t_begin = self._t
        if t_begin is None or self._run is None:
            logger.warning(
                "InferenceClock: on_predict_batch_end(%s) without a "
                "matching on_predict_begin/on_predict_batch_begin; "
                "cycle ignored.",
                batch,
            )
            return
        self._t = None
        begin = self._begin_batch
        # With steps_per_execution > 1 one call covers batches
        # [begin, batch]; the last call of an epoch may cover fewer.
        last = batch
        steps = (self.params or {}).get("steps")
        if steps:
            last = min(last, steps - 1)
        span = max(last - begin + 1, 1)
        if self._tracing_count is not None:
            warm = self._tracing_count() != self._trace_count
        else:
            warm = self._first_cycle_warm
            self._first_cycle_warm = False
        index = self._run_count
        self._run_count = index + 1
        self._cycles.append(
            (
                "batch",
                self._run,
                index,
                begin,
                _leading_dim(leaves[0]) if leaves else 0,
                0,
                t - t_begin,
                warm,
                t_begin - self._run_t0,
                span,
            )
        )

    def on_predict_end(self, logs=None):
        self._run = None
        self._tracing_count = None
        self._trace_count = None

    # ------------------------------------------------------------------
    # Decode hooks (called by nlptoolkit's decode loops).

    def on_decode_begin(self, logs=None):
        """Starts a decode run. See the module docstring for `logs`."""
        logs = logs or {}
        backbone = logs.get("backbone")
        decode = logs.get("decode")
        label = logs.get("label")
        if label is None:
            if backbone is None and decode is None:
                label = "decode"
            else:
                label = f"{backbone}/{decode}"
        self._decode_batch_size = int(logs.get("batch_size") or 0)
        self._decode_prompt_length = int(logs.get("prompt_length") or 0)
        self._decode_signature = (
            label if self.label is None else self.label,
            self._decode_batch_size,
            self._decode_prompt_length,
            logs.get("max_length"),
        )
        self._begin_run(label, backbone, decode)

    def on_prefill_begin(self, logs=None):
        self._t = time.perf_counter()

    def on_prefill_end(self, logs=None):
        t = time.perf_counter()
        self._record("prefill", 0, logs, t, "on_prefill_end")

    def on_decode_step_begin(self, step, logs=None):
        self._t = time.perf_counter()

    def on_decode_step_end(self, step, logs=None):
        t = time.perf_counter()
        kind = (logs or {}).get("kind", "step")
        if kind not in _AFTER_PREFILL:
            raise ValueError(
                "`InferenceClock.on_decode_step_end` expects logs['kind'] "
                f"in {list(_AFTER_PREFILL)} (default 'step'). Received: "
                f"kind={kind!r}."
            )
        self._record(kind, step, logs, t, "on_decode_step_end")

    def _record(self, kind, index, logs, t, hook):
        t_begin = self._t
        if t_begin is None or self._run is None:
            logger.warning(
                "InferenceClock: %s without a matching begin hook; "
                "cycle ignored.",
                hook,
            )
            return
        self._t = None
        try:
            position = logs["position"]
            batch_size = logs["batch_size"]
            tokens = logs["tokens"]
            warm = logs["warmup"]
            span = int(logs.get("span", 1))
        except (KeyError, TypeError):
            raise _contract_error(hook, logs, _STEP_KEYS) from None
        self._run_count += 1
        self._cycles.append(
            (
                kind,
                self._run,
                index,
                position,
                batch_size,
                tokens,
                t - t_begin,
                bool(warm),
                t_begin - self._run_t0,
                span,
            )
        )

    def on_decode_end(self, logs=None):
        """Ends a decode run; a run without cycles becomes a fused cycle."""
        t = time.perf_counter()
        if self._run is None:
            logger.warning(
                "InferenceClock: on_decode_end without on_decode_begin; "
                "ignored."
            )
            return
        if self._run_count == 0:
            try:
                tokens = int(logs["tokens_generated"])
            except (KeyError, TypeError):
                raise _contract_error(
                    "on_decode_end", logs, ("tokens_generated",)
                ) from None
            warm = logs.get("warmup")
            if warm is None:
                warm = self._decode_signature not in self._fused_seen
            self._fused_seen.add(self._decode_signature)
            batch_size = self._decode_batch_size
            span = tokens // batch_size if batch_size else tokens
            self._cycles.append(
                (
                    "fused",
                    self._run,
                    0,
                    self._decode_prompt_length,
                    batch_size,
                    tokens,
                    t - self._run_t0,
                    bool(warm),
                    0.0,
                    max(span, 1),
                )
            )
        self._run = None
        self._t = None
