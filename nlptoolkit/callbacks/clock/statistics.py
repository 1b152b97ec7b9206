"""The clock's summary figures, computed from its cycle records.

`ClockStatistics` gives `InferenceClock` its `summary()` and
`summaries()`; the definitions of every figure are in the
`InferenceClock` docstring. `theil_sen` is the robust line behind
`slope_ms_per_position`. Nothing here runs while cycles are recorded.
"""

import numpy as np

from nlptoolkit.callbacks.clock.schema import _AFTER_PREFILL
from nlptoolkit.callbacks.clock.schema import _BS
from nlptoolkit.callbacks.clock.schema import _IDX
from nlptoolkit.callbacks.clock.schema import _K
from nlptoolkit.callbacks.clock.schema import _POS
from nlptoolkit.callbacks.clock.schema import _RUN
from nlptoolkit.callbacks.clock.schema import _SEC
from nlptoolkit.callbacks.clock.schema import _SPAN
from nlptoolkit.callbacks.clock.schema import _START
from nlptoolkit.callbacks.clock.schema import _STEP_KINDS
from nlptoolkit.callbacks.clock.schema import _TOK
from nlptoolkit.callbacks.clock.schema import _WARM

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


class ClockStatistics:
    """`summary()` / `summaries()` over an `InferenceClock`'s records.

    A mixin: it reads the `_cycles`, `_runs` and `labels` that
    `InferenceClock` keeps.
    """

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
