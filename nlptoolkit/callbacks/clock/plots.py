"""The clock's plot: step time against position (or batch latency).

`ClockPlots` gives `InferenceClock` its `plot()`, drawn on a matplotlib
`Figure` that is not registered with pyplot (no backend is selected).

Example:
>>> from nlptoolkit.callbacks import InferenceClock
>>> clock = InferenceClock()
>>> fig = clock.plot()  # nothing recorded: an empty, labelled figure
>>> fig.axes[0].get_title()
'Inference clock: predict batch latency'
"""

import os

import numpy as np

from nlptoolkit.atomic import atomic_write
from nlptoolkit.callbacks.clock.schema import _K
from nlptoolkit.callbacks.clock.schema import _POS
from nlptoolkit.callbacks.clock.schema import _RUN
from nlptoolkit.callbacks.clock.schema import _SEC
from nlptoolkit.callbacks.clock.schema import _SPAN
from nlptoolkit.callbacks.clock.schema import _STEP_KINDS
from nlptoolkit.callbacks.clock.schema import _WARM


class ClockPlots:
    """`plot()` of an `InferenceClock`'s records.

    A mixin: it reads the `_cycles`, `_runs` and `labels` that
    `InferenceClock` keeps.
    """

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
