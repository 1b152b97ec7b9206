"""The inference clock: time every predict batch and every decoding step.

A *cycle* is one moment of inference that can be counted and timed: one
`predict` batch, the prefill of a generation (prompt in, first token out),
or one decoding step (one new token for every sequence in the batch). A
*run* is one `predict` call or one decode call; its cycles share a `run` id
and a `label`.

`InferenceClock` is a `keras.callbacks.Callback`. It hooks into
`model.predict(x, callbacks=[clock])` through the standard predict hooks,
and into nlptoolkit's decode loops through the decode hooks below. Each hook
reads `time.perf_counter()` and appends one tuple to a list; nothing else
(no pandas, no formatting) happens until export or `summary()`.

Decode hook contract (called by the decode loops on every callback that
defines the method):

- `on_decode_begin(logs)`: `logs = {"batch_size": int, "prompt_length": int,
  "max_length": int, "backbone": str, "decode": "fused" | "stepwise" |
  "uncached", "label": str or None}`. Starts a run; its clock starts here.
- `on_prefill_begin(logs)` / `on_prefill_end(logs)`: around processing the
  prompt and producing the first new token. `logs = {"position": int,
  "batch_size": int, "tokens": int, "warmup": bool}`.
- `on_decode_step_begin(step, logs)` / `on_decode_step_end(step, logs)`:
  around one step, `step` counting from 1, same `logs` keys as prefill,
  `position` being the index of the token produced. `_end` is called only
  after the new token ids are numpy on the host. Optional keys: `kind`
  (default `"step"`): `"chunk"` for a cycle of several steps run in one
  compiled call (`position` is its first token's, `span` the steps it
  ran, `tokens` all of them), `"reprefill"` for the step at which a
  Transformer's sliding context window re-prefilled its cache.
- `on_decode_end(logs)`: `logs = {"tokens_generated": int}` and, optionally,
  `"warmup": bool` for the fused path. A run that recorded no prefill or
  step cycle (the fused `while_loop`) becomes one cycle of kind `"fused"`.

`tokens` and `tokens_generated` count new tokens over the whole batch
(`batch_size` tokens for a step in which every sequence is still running).
"""

import json
import logging
import math
import os
import time
import weakref

import keras
import numpy as np

from nlptoolkit.atomic import atomic_write

logger = logging.getLogger(__name__)

KINDS = ("batch", "prefill", "step", "chunk", "reprefill", "fused")
# Kinds whose rows are decoding steps after the prefill (token arrivals).
_AFTER_PREFILL = ("step", "chunk", "reprefill")
# Kinds whose rows time decoding steps (per step: `seconds / span`).
_STEP_KINDS = ("step", "chunk")

# Column order of `to_dataframe()` and of the CSV / JSON exports. `label`,
# `backbone` and `decode` come from the run a cycle belongs to; the others
# are stored per cycle, in `_CYCLE_FIELDS` order.
COLUMNS = (
    "kind",
    "run",
    "label",
    "index",
    "position",
    "batch_size",
    "tokens",
    "seconds",
    "warmup",
    "start",
    "span",
    "backbone",
    "decode",
)
_CYCLE_FIELDS = (
    "kind",
    "run",
    "index",
    "position",
    "batch_size",
    "tokens",
    "seconds",
    "warmup",
    "start",
    "span",
)
_K, _RUN, _IDX, _POS, _BS, _TOK, _SEC, _WARM, _START, _SPAN = range(10)

_STEP_KEYS = ("position", "batch_size", "tokens", "warmup")

SUMMARY_KEYS = (
    "label",
    "runs",
    "records",
    "cycles",
    "warmup_cycles",
    "warmup_seconds",
    "cycle_seconds",
    "prefill_seconds",
    "ttft",
    "tpot",
    "e2e",
    "itl_mean",
    "itl_p50",
    "itl_p90",
    "itl_p99",
    "step_mean",
    "steps_derived",
    "reprefill_cycles",
    "reprefill_seconds",
    "batch_latency_mean",
    "batch_latency_p99",
    "cycles_per_second",
    "tokens_per_second",
    "samples_per_second",
    "slope_ms_per_position",
    "intercept_ms",
)


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


def _mean(values):
    return float(np.mean(values)) if len(values) else None


def _percentile(values, q):
    return float(np.percentile(values, q)) if len(values) else None


# Theil-Sen over at most this many points (about 2M pairs, a fraction of a
# second); longer decodes are thinned evenly along position.
THEIL_SEN_MAX_POINTS = 2000


def theil_sen(x, y):
    """Robust line through points: ``(slope, intercept)``.

    The slope is the median of the slopes between every pair of points at
    different ``x``; the intercept is the median of ``y - slope * x``. A
    few stalled steps (a host pause of seconds, as seen on shared
    machines) leave it where it was, while they can turn a least-squares
    slope negative. Above ``THEIL_SEN_MAX_POINTS`` points, that many are
    taken evenly along ``x``. Returns ``(None, None)`` when every ``x`` is
    the same.

    Example:
    >>> x = [1, 2, 3, 4, 5, 6]
    >>> y = [3.0, 5.0, 7.0, 9000.0, 11.0, 13.0]   # y = 2x + 1, one stall
    >>> theil_sen(x, y)
    (2.0, 1.0)
    """
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    order = np.argsort(x, kind="stable")
    if len(order) > THEIL_SEN_MAX_POINTS:
        picks = np.linspace(0, len(order) - 1, THEIL_SEN_MAX_POINTS)
        order = order[np.round(picks).astype(int)]
    x, y = x[order], y[order]
    first, second = np.triu_indices(len(x), k=1)
    dx = x[second] - x[first]
    apart = dx != 0
    if not apart.any():
        return None, None
    slope = float(np.median((y[second] - y[first])[apart] / dx[apart]))
    return slope, float(np.median(y - slope * x))


class InferenceClock(keras.callbacks.Callback):
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
        if label is not None and not isinstance(label, str):
            raise ValueError(
                f"`label` must be a string or None. Received: label={label!r}"
            )
        self.label = label
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

    # ------------------------------------------------------------------
    # Export and import.

    def _columns(self):
        """Column name -> list of values, in `COLUMNS` order."""
        cycles = self._cycles
        runs = self._runs
        data = {
            name: [c[i] for c in cycles] for i, name in enumerate(_CYCLE_FIELDS)
        }
        run_ids = data["run"]
        data["label"] = [runs[r]["label"] for r in run_ids]
        data["backbone"] = [runs[r]["backbone"] for r in run_ids]
        data["decode"] = [runs[r]["decode"] for r in run_ids]
        return {name: data[name] for name in COLUMNS}

    def to_dataframe(self):
        """Returns one row per cycle as a `pandas.DataFrame`.

        Columns: `kind, run, label, index, position, batch_size, tokens,
        seconds, warmup, start, span, backbone, decode` (see the class
        docstring).
        """
        import pandas as pd

        data = self._columns()
        df = pd.DataFrame(data, columns=list(COLUMNS))
        dtypes = {
            "run": "int64",
            "index": "int64",
            "position": "int64",
            "batch_size": "int64",
            "tokens": "int64",
            "seconds": "float64",
            "warmup": "bool",
            "start": "float64",
            "span": "int64",
        }
        return df.astype(dtypes)

    def to_csv(self, path):
        """Writes `to_dataframe()` to `path` as CSV, atomically."""
        df = self.to_dataframe()
        atomic_write(path, lambda tmp: df.to_csv(tmp, index=False))

    def to_json(self, path):
        """Writes the cycles and per-label summaries to `path` as JSON.

        The file holds `{"columns": [...], "cycles": [{column: value}],
        "summaries": {label: summary}}`, written atomically.
        """
        data = self._columns()
        rows = [
            {name: _jsonable(data[name][i]) for name in COLUMNS}
            for i in range(len(self._cycles))
        ]
        payload = {
            "format": "nlptoolkit.InferenceClock",
            "version": 1,
            "columns": list(COLUMNS),
            "cycles": rows,
            "summaries": self.summaries(),
        }

        def write(tmp):
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(payload, f, indent=1)

        atomic_write(path, write)

    @classmethod
    def from_dataframe(cls, df):
        """Rebuilds a clock from `to_dataframe()` output (or a CSV of it).

        Only the recorded cycles are restored: `summary()` then gives the
        same figures as on the original clock.
        """
        missing = [name for name in COLUMNS if name not in df.columns]
        if missing:
            raise ValueError(
                "`InferenceClock.from_dataframe` expects the columns of "
                f"`to_dataframe()`: {list(COLUMNS)}. Missing: {missing}. "
                f"Received columns: {list(df.columns)}"
            )
        clock = cls()
        columns = {name: df[name].tolist() for name in COLUMNS}
        clock._load(columns)
        return clock

    @classmethod
    def from_csv(cls, path):
        """Rebuilds a clock from a file written by `to_csv()`."""
        import pandas as pd

        df = pd.read_csv(
            path,
            keep_default_na=False,
            float_precision="round_trip",
            dtype={"label": str, "backbone": str, "decode": str, "kind": str},
        )
        return cls.from_dataframe(df)

    @classmethod
    def from_json(cls, path):
        """Rebuilds a clock from a file written by `to_json()`."""
        with open(path, encoding="utf-8") as f:
            payload = json.load(f)
        rows = payload["cycles"]
        columns = {name: [row[name] for row in rows] for name in COLUMNS}
        clock = cls()
        clock._load(columns)
        return clock

    def _load(self, columns):
        """Appends runs and cycles from column lists (run ids renumbered)."""

        def text(value):
            if value is None or value == "":
                return None
            if isinstance(value, float) and math.isnan(value):
                return None
            return str(value)

        def flag(value):
            if isinstance(value, str):
                return value.strip().lower() in ("true", "1")
            return bool(value)

        new_ids = {}
        for i, old in enumerate(columns["run"]):
            if old not in new_ids:
                new_ids[old] = len(self._runs)
                self._runs.append(
                    {
                        "label": text(columns["label"][i]),
                        "backbone": text(columns["backbone"][i]),
                        "decode": text(columns["decode"][i]),
                    }
                )
            kind = str(columns["kind"][i])
            if kind not in KINDS:
                raise ValueError(
                    f"Unknown cycle kind {kind!r}; expected one of {KINDS}."
                )
            self._cycles.append(
                (
                    kind,
                    new_ids[old],
                    int(columns["index"][i]),
                    int(columns["position"][i]),
                    int(columns["batch_size"][i]),
                    int(columns["tokens"][i]),
                    float(columns["seconds"][i]),
                    flag(columns["warmup"][i]),
                    float(columns["start"][i]),
                    int(columns["span"][i]),
                )
            )

    @classmethod
    def combine(cls, clocks):
        """Returns a new clock holding the runs of every clock in `clocks`.

        Labels are kept; run ids are renumbered so that runs stay apart.
        """
        clocks = list(clocks)
        for clock in clocks:
            if not isinstance(clock, InferenceClock):
                raise ValueError(
                    "`InferenceClock.combine` expects a list of "
                    f"InferenceClock. Received an item of type "
                    f"{type(clock).__name__}: {clock!r}"
                )
        combined = cls()
        for clock in clocks:
            combined._load(clock._columns())
        return combined

    def merge(self, other):
        """Returns a new clock with the runs of `self` then `other`."""
        return type(self).combine([self, other])

    # ------------------------------------------------------------------
    # Summary.

    def summaries(self):
        """Returns `{label: summary(label)}` for every label recorded."""
        return {label: self.summary(label) for label in self.labels}

    def summary(self, label=None):
        """Returns the clock's figures as a dict (definitions: class doc).

        Args:
            label: pool only the runs with this label. None pools every
                run recorded (use `summaries()` for one dict per label).
        """
        if label is not None and label not in self.labels:
            raise ValueError(
                f"No run labelled {label!r} was recorded. "
                f"Recorded labels: {self.labels}"
            )
        runs = [
            r
            for r, run in enumerate(self._runs)
            if label is None or run["label"] == label
        ]
        wanted = set(runs)
        cycles = [c for c in self._cycles if c[_RUN] in wanted]
        return _summarize(cycles, runs, label)

    def format_summary(self, label=None):
        """Returns a readable table of `summaries()` (or one label's)."""
        labels = [label] if label is not None else self.labels
        stats = [self.summary(name) for name in labels]
        return _format_table(labels, stats)

    def print_summary(self, label=None, print_fn=None):
        """Writes `format_summary()` through `print_fn`.

        Args:
            label: restrict the table to one label.
            print_fn: callable taking a string; defaults to this module's
                logger at INFO level (pass `print_fn=print` for stdout).
        """
        text = self.format_summary(label)
        if print_fn is None:
            logger.info("\n%s", text)
        else:
            print_fn(text)

    # ------------------------------------------------------------------
    # Plot.

    def plot(self, path=None, ax=None):
        """Plots step time (ms) against position, one line per label.

        Lines join the mean of non-warm-up steps at each position; warm-up
        cycles are drawn as `x` markers (the y axis turns logarithmic when
        they are over ten times the slowest step). With no decoding steps
        recorded, plots predict batch latency (ms) against batch index.

        Args:
            path: where to save the figure (format from the suffix; saved
                atomically with matplotlib's Agg canvas).
            ax: a matplotlib Axes to draw into; by default a new Figure
                (not registered with pyplot, so no backend is selected).

        Returns:
            The matplotlib Figure.
        """
        if ax is None:
            from matplotlib.figure import Figure

            fig = Figure(figsize=(7, 4), layout="constrained")
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        kinds = {c[_K] for c in self._cycles}
        if kinds & set(_STEP_KINDS):
            kind = _STEP_KINDS
            ax.set_xlabel("position (index of the token produced)")
            ax.set_ylabel("step time (ms)")
            ax.set_title("Inference clock: decoding step time vs position")
        else:
            kind = ("batch",)
            ax.set_xlabel("batch index")
            ax.set_ylabel("batch latency (ms)")
            ax.set_title("Inference clock: predict batch latency")
        drawn = False
        steady_max = warm_max = 0.0
        for label in self.labels:
            runs = {
                r for r, run in enumerate(self._runs) if run["label"] == label
            }
            points = [
                (c[_POS], c[_SEC] * 1000.0 / c[_SPAN], c[_WARM])
                for c in self._cycles
                if c[_RUN] in runs and c[_K] in kind
            ]
            if not points:
                continue
            drawn = True
            by_position = {}
            for position, ms, warm in points:
                if not warm:
                    by_position.setdefault(position, []).append(ms)
            xs = sorted(by_position)
            ys = [float(np.mean(by_position[x])) for x in xs]
            steady_max = max([steady_max] + ys)
            (line,) = ax.plot(xs, ys, marker=".", label=str(label))
            warm_points = [(p, ms) for p, ms, warm in points if warm]
            if warm_points:
                warm_max = max([warm_max] + [ms for _, ms in warm_points])
                ax.scatter(
                    [p for p, _ in warm_points],
                    [ms for _, ms in warm_points],
                    marker="x",
                    color=line.get_color(),
                    label=f"{label} (warm-up)",
                )
        if drawn:
            ax.legend()
            if steady_max > 0 and warm_max > 10 * steady_max:
                # A compile-time warm-up point would flatten every step.
                ax.set_yscale("log")
        else:
            ax.text(
                0.5,
                0.5,
                "no cycles recorded",
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
        ax.grid(True, alpha=0.3)
        if path is not None:
            fmt = os.path.splitext(os.fspath(path))[1].lstrip(".") or "png"
            atomic_write(path, lambda tmp: fig.savefig(tmp, format=fmt))
        return fig


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    return value


def _summarize(cycles, runs, label):
    """Computes the summary figures from cycle tuples of the given runs."""
    stats = dict.fromkeys(SUMMARY_KEYS)
    stats["label"] = label
    stats["runs"] = len(runs)
    warm = [c for c in cycles if c[_WARM]]
    cold = [c for c in cycles if not c[_WARM]]
    stats["records"] = len(cold)
    stats["cycles"] = sum(c[_SPAN] for c in cold)
    stats["warmup_cycles"] = len(warm)
    stats["warmup_seconds"] = float(sum(c[_SEC] for c in warm))
    cycle_seconds = float(sum(c[_SEC] for c in cold))
    stats["cycle_seconds"] = cycle_seconds
    if cycle_seconds > 0:
        stats["cycles_per_second"] = stats["cycles"] / cycle_seconds

    prefills = [c[_SEC] for c in cold if c[_K] == "prefill"]
    stats["prefill_seconds"] = _mean(prefills)
    timed_steps = [c for c in cold if c[_K] in _STEP_KINDS]
    step_count = sum(c[_SPAN] for c in timed_steps)
    if step_count:
        stats["step_mean"] = sum(c[_SEC] for c in timed_steps) / step_count
    stats["steps_derived"] = any(c[_K] == "chunk" for c in timed_steps)
    reprefills = [c[_SEC] for c in cold if c[_K] == "reprefill"]
    stats["reprefill_cycles"] = len(reprefills)
    stats["reprefill_seconds"] = _mean(reprefills)

    token_cycles = [
        c for c in cold if c[_K] in ("prefill", "fused") + _AFTER_PREFILL
    ]
    token_seconds = sum(c[_SEC] for c in token_cycles)
    if token_cycles and token_seconds > 0:
        tokens = sum(c[_TOK] for c in token_cycles)
        stats["tokens_per_second"] = tokens / token_seconds

    batches = [c for c in cold if c[_K] == "batch"]
    batch_latency = [c[_SEC] / c[_SPAN] for c in batches]
    stats["batch_latency_mean"] = _mean(batch_latency)
    stats["batch_latency_p99"] = _percentile(batch_latency, 99)
    batch_seconds = sum(c[_SEC] for c in batches)
    if batches and batch_seconds > 0:
        samples = sum(c[_BS] for c in batches)
        stats["samples_per_second"] = samples / batch_seconds

    # Per-run figures.
    by_run = {r: [] for r in runs}
    for c in cycles:
        by_run[c[_RUN]].append(c)
    ttfts, tpots, e2es, itls = [], [], [], []
    for run_cycles in by_run.values():
        if not run_cycles:
            continue
        run_cycles = sorted(run_cycles, key=lambda c: (c[_START], c[_IDX]))
        e2e = max(c[_START] + c[_SEC] for c in run_cycles)
        if not any(c[_WARM] for c in run_cycles):
            e2es.append(e2e)
        tokens_seen = [
            c for c in run_cycles if c[_K] in ("prefill",) + _AFTER_PREFILL
        ]
        prefill = next((c for c in tokens_seen if c[_K] == "prefill"), None)
        steps = [c for c in tokens_seen if c[_K] in _AFTER_PREFILL]
        if prefill is None:
            continue
        ttft = prefill[_START] + prefill[_SEC]
        if not prefill[_WARM]:
            ttfts.append(ttft)
        if steps and not any(c[_WARM] for c in steps):
            last = max(c[_START] + c[_SEC] for c in tokens_seen)
            tpots.append((last - ttft) / sum(c[_SPAN] for c in steps))
        previous = None
        for c in tokens_seen:
            arrival = c[_START] + c[_SEC]
            if c[_K] != "prefill" and previous is not None and not c[_WARM]:
                # A chunk's tokens arrive together: its gap is shared out
                # (derived per-step gaps, one per token of a row).
                itls += [(arrival - previous) / c[_SPAN]] * c[_SPAN]
            previous = arrival
    stats["ttft"] = _mean(ttfts)
    stats["tpot"] = _mean(tpots)
    stats["e2e"] = _mean(e2es)
    stats["itl_mean"] = _mean(itls)
    stats["itl_p50"] = _percentile(itls, 50)
    stats["itl_p90"] = _percentile(itls, 90)
    stats["itl_p99"] = _percentile(itls, 99)

    # A chunk's point: its mean step time, at its middle position.
    positions = np.array(
        [c[_POS] + (c[_SPAN] - 1) / 2 for c in timed_steps], dtype="float64"
    )
    if len(np.unique(positions)) >= 2:
        ms = [c[_SEC] / c[_SPAN] for c in timed_steps]
        ms = np.array(ms, dtype="float64") * 1000.0
        slope, intercept = theil_sen(positions, ms)
        stats["slope_ms_per_position"] = slope
        stats["intercept_ms"] = intercept
    return {key: _py(value) for key, value in stats.items()}


def _py(value):
    if isinstance(value, np.generic):
        return value.item()
    return value


_TABLE_ROWS = (
    ("runs", "runs", None),
    ("cycles (non-warm-up)", "cycles", None),
    ("warm-up cycles", "warmup_cycles", None),
    ("warm-up time (s)", "warmup_seconds", 1.0),
    ("prefill (ms)", "prefill_seconds", 1e3),
    ("TTFT (ms)", "ttft", 1e3),
    ("TPOT (ms)", "tpot", 1e3),
    ("E2E (ms)", "e2e", 1e3),
    ("ITL p50 (ms)", "itl_p50", 1e3),
    ("ITL p90 (ms)", "itl_p90", 1e3),
    ("ITL p99 (ms)", "itl_p99", 1e3),
    ("step mean (ms)", "step_mean", 1e3),
    ("re-prefill cycles", "reprefill_cycles", None),
    ("re-prefill mean (ms)", "reprefill_seconds", 1e3),
    ("batch mean (ms)", "batch_latency_mean", 1e3),
    ("batch p99 (ms)", "batch_latency_p99", 1e3),
    ("cycles/s", "cycles_per_second", 1.0),
    ("tokens/s", "tokens_per_second", 1.0),
    ("samples/s", "samples_per_second", 1.0),
    ("slope (ms/position)", "slope_ms_per_position", 1.0),
    ("intercept (ms)", "intercept_ms", 1.0),
)


def _format_value(value, scale):
    if value is None:
        return "-"
    if scale is None:
        return str(value)
    value = value * scale
    if value == 0 or 0.01 <= abs(value) < 1000:
        return f"{value:.3f}"
    if abs(value) < 0.01:
        return f"{value:.3g}"
    return f"{value:,.1f}"


def _format_table(labels, stats):
    header = ["InferenceClock"] + [str(label) for label in labels]
    rows = [header]
    for name, key, scale in _TABLE_ROWS:
        values = [_format_value(s[key], scale) for s in stats]
        if all(v == "-" for v in values):
            continue
        rows.append([name] + values)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])]
        cells += [
            cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
