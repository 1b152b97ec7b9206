"""The clock's records out and back in: DataFrame, CSV, JSON and a table.

`ClockOutput` gives `InferenceClock` its exports (`to_dataframe`,
`to_csv`, `to_json`), the constructors that read them back
(`from_dataframe`, `from_csv`, `from_json`), `combine` / `merge`, and the
readable summary table (`format_summary`, `print_summary`). Files are
written atomically (`nlptoolkit.atomic.atomic_write`).

Example:
>>> import os, tempfile
>>> from nlptoolkit.callbacks import InferenceClock
>>> clock = InferenceClock()
>>> clock.on_decode_begin({"batch_size": 2, "prompt_length": 3,
...                        "max_length": 8, "backbone": "lstm",
...                        "decode": "fused", "label": None})
>>> clock.on_decode_end({"tokens_generated": 10, "warmup": False})
>>> path = os.path.join(tempfile.mkdtemp(), "clock.csv")
>>> clock.to_csv(path)
>>> again = InferenceClock.from_csv(path)
>>> again.to_dataframe()[["kind", "label", "tokens", "span"]].values.tolist()
[['fused', 'lstm/fused', 10, 5]]
"""

import json
import logging
import math

from nlptoolkit.atomic import atomic_write
from nlptoolkit.callbacks.clock.schema import _CYCLE_FIELDS
from nlptoolkit.callbacks.clock.schema import COLUMNS
from nlptoolkit.callbacks.clock.schema import KINDS
from nlptoolkit.callbacks.clock.statistics import _py as _jsonable

# The clock's one logger (the package's name, as before the split).
logger = logging.getLogger(__package__)


class ClockOutput:
    """Exports, imports and the summary table of an `InferenceClock`.

    A mixin: it reads and appends to the `_cycles` and `_runs` that
    `InferenceClock` keeps, and tables its `summary()`.
    """

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
            if not isinstance(clock, ClockOutput):
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


# The summary table, in blocks of figures shown alike: ``(scale, rows)``,
# ``rows`` being ``(row name, summary key)`` pairs. A ``scale`` of None
# shows a count as it is; a number multiplies the figure before it is
# shown (1e3: seconds in milliseconds).
_TABLE_BLOCKS = (
    (
        None,
        (
            ("runs", "runs"),
            ("cycles (non-warm-up)", "cycles"),
            ("warm-up cycles", "warmup_cycles"),
        ),
    ),
    (1.0, (("warm-up time (s)", "warmup_seconds"),)),
    (
        1e3,
        (
            ("prefill (ms)", "prefill_seconds"),
            ("TTFT (ms)", "ttft"),
            ("TPOT (ms)", "tpot"),
            ("E2E (ms)", "e2e"),
            ("ITL p50 (ms)", "itl_p50"),
            ("ITL p90 (ms)", "itl_p90"),
            ("ITL p99 (ms)", "itl_p99"),
            ("step mean (ms)", "step_mean"),
        ),
    ),
    (None, (("re-prefill cycles", "reprefill_cycles"),)),
    (
        1e3,
        (
            ("re-prefill mean (ms)", "reprefill_seconds"),
            ("batch mean (ms)", "batch_latency_mean"),
            ("batch p99 (ms)", "batch_latency_p99"),
        ),
    ),
    (
        1.0,
        (
            ("cycles/s", "cycles_per_second"),
            ("tokens/s", "tokens_per_second"),
            ("samples/s", "samples_per_second"),
            ("slope (ms/position)", "slope_ms_per_position"),
            ("intercept (ms)", "intercept_ms"),
        ),
    ),
)
# The table's rows: ``(row name, summary key, scale)``.
_TABLE_ROWS = tuple(
    (name, key, scale) for scale, rows in _TABLE_BLOCKS for name, key in rows
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
