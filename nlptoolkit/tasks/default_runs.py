"""The note of a task's default run: what it scored, and what beats it.

Each task's spec (``nlptoolkit.tasks.registry``) records in
``default_run`` what its no-argument ``train`` scored against its baseline
(``"default"``), and when that loses, a run that beats the baseline
(``"better"``, with its command) and maybe the closest run on the same
data (``"closest"``). `default_run_notice` turns them into the note the
command line logs before such a ``train``.
"""

from nlptoolkit.tasks.registry import TASK_SPECS

# Each task's default-run figures.
DEFAULT_RUNS = {
    n: s.default_run for n, s in TASK_SPECS.items() if s.default_run
}
KINDS = ("default", "better", "closest")  # a ``default_run``'s entries


def _figure(value, unit=""):
    return "(not measured yet)" if value is None else f"{value:g}{unit}"


def _duration(seconds):
    if seconds is None:
        return "training time: see BENCHMARKS.md"
    return f"about {max(1, round(seconds / 60))} minutes of training"


def _result(figures, baseline):
    """``"ROUGE-L 27.9 against Lead-3's 24.9"`` from a figures entry."""
    if figures["score"] is None:
        return f"{figures['metric']}: see BENCHMARKS.md"
    unit, worse = figures.get("unit", ""), figures.get("lower_is_better")
    return (
        f"{figures['metric']} {_figure(figures['score'], unit)} against "
        f"{figures.get('baseline', baseline)}'s "
        f"{_figure(figures['baseline_score'], unit)}"
    ) + (" (lower is better)" if worse else "")


def default_run_notice(task, dataset=None):
    """The note (``note:`` lines) a task's no-argument ``train`` logs
    before training, from :data:`DEFAULT_RUNS` (the specs'
    ``default_run``); ``None`` when that run beats its baseline.

    Example:
    >>> from nlptoolkit.tasks.default_runs import default_run_notice
    >>> default_run_notice("classification") is None
    True
    >>> "--recipe" in default_run_notice("summarization")
    True
    """
    entry = DEFAULT_RUNS.get(task) or {}
    if "better" not in entry:
        return None
    default, better, closest = (entry.get(k) for k in KINDS)
    baseline = default["baseline"]
    where = f"{task} on {dataset}" if dataset else task
    lines = [
        f"this default run ({where}, {default['setting']}) scored "
        f"{_result(default, baseline)} on "
        f"{default.get('machine', 'a 2-core CPU')}: it does not beat its "
        "baseline (see BENCHMARKS.md)."
    ]
    if closest:
        lines.append(
            "no run recorded on this dataset beats that baseline yet; the "
            f"closest, {closest['what']}, scored {_result(closest, baseline)}"
            f" ({_duration(closest['train_seconds'])})."
        )
    if better["score"] is None or better["train_seconds"] is None:
        figures = (
            f" (its {better['metric']} and training time on 2 cores: see "
            "BENCHMARKS.md)"
        )
    else:
        figures = (
            f", {_result(better, baseline)} "
            f"({_duration(better['train_seconds'])} on 2 cores)"
        )
    lines += [
        f"a run that beats its baseline: {better['what']}{figures}. Run:",
        f"  {better['command']}",
    ]
    return "\n".join(f"note: {line}" for line in lines)
