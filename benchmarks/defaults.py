"""What a new user's first run gives: every task's no-argument `train`
beside its baseline.

Each task runs exactly as the README's first commands do,
`python -m nlptoolkit.tasks.<task> train`, in a subprocess, adding only
`--output <tmp>/<task>` so that nothing is written into the project (and
`--max-examples N` when asked, for a smoke run). The `metrics.json` each
run writes gives its row: the task's metric against the baseline trained
and scored in the same run, and the seconds it took. Rows are merged into
`benchmarks/results/defaults.json`, one per task (a re-run replaces its
row), so tasks can be run one at a time.

    nice -n 19 python benchmarks/defaults.py                 # all four
    nice -n 19 python benchmarks/defaults.py --tasks generation
    python benchmarks/defaults.py --dry-run                  # commands only

The summarization and generation defaults stop training after a 5-minute
budget: on a loaded machine they train fewer steps in it, so their scores
depend on the load (recorded per row).
"""

import concurrent.futures
import datetime
import json
import logging
import os
import pathlib
import shlex
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _common  # noqa: E402

logger = logging.getLogger("benchmarks.defaults")

DEFAULT_OUTPUT = _common.RESULTS_DIR / "defaults.json"
TASKS = ("classification", "sentiment", "summarization", "generation")

# metrics.json keys of each task's metric and its baseline's, and whether
# higher is better (the metric the task's `train` prints first).
METRICS = {
    "classification": ("accuracy", "baseline_accuracy", True),
    "sentiment": ("accuracy", "baseline_accuracy", True),
    "summarization": ("rougeL", "baseline_rougeL", True),
    "generation": ("loss", "baseline_loss", False),
}
SPLITS = {
    "classification": "test",
    "sentiment": "test",
    "summarization": "test",
    "generation": "validation",
}
DEFINITIONS = {
    "command": "what was run, as a new user types it; the script adds "
    "only `--output <tmp>/<task>` (and `--max-examples` for smoke runs)",
    "model, baseline": "the task's metric for the trained model and for "
    "the baseline `train` fits and scores in the same run, on the same "
    "split: accuracy (fraction, test) against TF-IDF + logistic "
    "regression, ROUGE-L F1 (%, test, best of the references) against "
    "Lead-3, loss (nats per character, validation) against a character "
    "7-gram Kneser-Ney model",
    "beats baseline": "whether the model's figure is better than the "
    "baseline's (higher accuracy/ROUGE-L, lower loss)",
    "train s": "the model's training seconds as `train` records them "
    "(summarization and generation stop after a 5-minute budget)",
    "wall s": "the whole command's wall seconds: start-up, data, "
    "training, evaluation, baseline, saving",
    "load start / end": "1-minute load average at the start and end of "
    "the command (2 cores: above 2 the run shared the CPU)",
    "note before training": "whether the CLI logged its default-run note "
    "before the first epoch (see `nlptoolkit.cli.DEFAULT_RUNS`)",
}


def build_parser():
    parser = _common.benchmark_parser(
        __doc__, "a smoke run: --max-examples 64 on every task"
    )
    parser.set_defaults(output=str(DEFAULT_OUTPUT))
    parser.add_argument(
        "--tasks",
        default=",".join(TASKS),
        help=f"comma-separated subset of {','.join(TASKS)} (default: all)",
    )
    parser.add_argument(
        "--max-examples",
        type=int,
        default=None,
        help="pass --max-examples N to every train (smoke runs only: the "
        "row is marked quick)",
    )
    parser.add_argument(
        "--parallel",
        type=int,
        default=1,
        help="run this many tasks at once, in the order --tasks gives "
        "(default 1; more shares the CPU between runs: slower seconds, "
        "fewer steps in a time budget)",
    )
    parser.add_argument(
        "--rewrite",
        action="store_true",
        help="rewrite the results file's notes and definitions from this "
        "script, keeping its rows and manifest (no training)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the commands and exit, without training",
    )
    parser.add_argument(
        "--keep",
        default=None,
        metavar="DIR",
        help="write the runs' output folders and logs under DIR instead "
        "of a temporary folder that is removed",
    )
    return parser


def parse_tasks(text):
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in TASKS]
    if unknown or not names:
        raise SystemExit(
            f"error: --tasks {text!r}: unknown task(s) {unknown}. Expected "
            f"a comma-separated subset of {','.join(TASKS)}."
        )
    return names


def user_command(task):
    """The no-argument command, as a new user types it."""
    return f"python -m nlptoolkit.tasks.{task} train"


def task_argv(task, output, max_examples=None):
    """The subprocess argv: the user's command plus ``--output``."""
    argv = [sys.executable, "-m", f"nlptoolkit.tasks.{task}", "train"]
    argv += ["--output", str(output)]
    if max_examples:
        argv += ["--max-examples", str(max_examples)]
    return argv


def _load():
    if not hasattr(os, "getloadavg"):
        return None
    return [round(value, 2) for value in os.getloadavg()]


def run_task(task, workdir, max_examples=None):
    """Run one task's default ``train``; returns its row."""
    output = pathlib.Path(workdir) / task
    log = pathlib.Path(workdir) / f"{task}.log"
    argv = task_argv(task, output, max_examples)
    logger.info("%s: %s", task, shlex.join(argv))
    load_start = _load()
    start = time.perf_counter()
    with open(log, "w", encoding="utf-8") as stream:
        code = subprocess.call(
            argv,
            stdout=stream,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            env=dict(os.environ),
        )
    wall = time.perf_counter() - start
    text = log.read_text(encoding="utf-8", errors="replace")
    if code != 0:
        tail = "\n".join(text.splitlines()[-20:])
        raise RuntimeError(f"{task} exited with {code}:\n{tail}")
    metrics = json.loads((output / "metrics.json").read_text())
    key, baseline_key, higher = METRICS[task]
    model, baseline = float(metrics[key]), float(metrics[baseline_key])
    beats = model > baseline if higher else model < baseline
    return {
        "task": task,
        "command": user_command(task),
        "dataset": metrics.get("dataset"),
        "backbone": metrics.get("backbone"),
        "metric": key,
        "split": SPLITS[task],
        "higher_is_better": higher,
        "model": round(model, 4),
        "baseline": metrics.get("baseline"),
        "baseline_score": round(baseline, 4),
        "beats": beats,
        "train_seconds": round(float(metrics["train_seconds"]), 1),
        "wall_seconds": round(wall, 1),
        "epochs_run": metrics.get("epochs_run"),
        "load_average_start": load_start,
        "load_average_end": _load(),
        "notice": notice_lines(text),
        "quick": bool(max_examples),
        "max_examples": max_examples,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
    }


def notice_lines(text):
    """The default-run note's lines (``note:`` ...) the CLI logged before
    training began (before its first ``Epoch`` line), in order."""
    lines = []
    for line in text.splitlines():
        if line.startswith("Epoch "):
            break
        if line.startswith("note:"):
            lines.append(line)
    return lines


def merge_rows(old_rows, new_rows):
    """Rows by task in TASKS order; a new row replaces its task's old one,
    except that a quick row never replaces a full-size one."""
    by_task = {row["task"]: row for row in old_rows}
    for row in new_rows:
        old = by_task.get(row["task"])
        if old and row.get("quick") and not old.get("quick"):
            logger.info("%s: quick row kept out of the results", row["task"])
            continue
        by_task[row["task"]] = row
    return [by_task[name] for name in TASKS if name in by_task]


def main(argv=None):
    _common.setup_environment()
    args = build_parser().parse_args(argv)
    tasks = parse_tasks(args.tasks)
    max_examples = args.max_examples or (64 if args.quick else None)
    if args.dry_run:
        for task in tasks:
            argv_ = task_argv(task, "<tmp>/" + task, max_examples)
            print(shlex.join(["python", *argv_[1:]]))
        return 0
    path = pathlib.Path(args.output)
    if args.rewrite:
        payload = json.loads(path.read_text(encoding="utf-8"))
        _write_payload(path, payload["rows"], [], payload["manifest"], None)
        return 0
    started = time.perf_counter()
    info = _common.manifest(
        args.seed,
        bool(max_examples),
        niceness=os.nice(0),
        parallel_runs=args.parallel,
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="nlptoolkit-defaults-") as tmp:
        workdir = pathlib.Path(args.keep or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        with concurrent.futures.ThreadPoolExecutor(args.parallel) as pool:
            futures = [
                pool.submit(run_task, task, workdir, max_examples)
                for task in tasks
            ]
            for future in concurrent.futures.as_completed(futures):
                rows.append(future.result())
                logger.info("%s: %s", rows[-1]["task"], rows[-1])
                write(path, rows, info, started, argv)
    return 0


def write(path, rows, info, started, argv):
    """Merge ``rows`` into the results file at ``path`` (written after
    every task, so a later failure keeps the earlier rows)."""
    old = []
    if path.exists():
        old = json.loads(path.read_text(encoding="utf-8")).get("rows", [])
    info = _common.finish_manifest(dict(info), started)
    command = _common.command_line(__file__, argv or sys.argv[1:])
    _write_payload(path, old, rows, info, command)


def _write_payload(path, old, rows, info, command=None):
    """Write the results file: ``rows`` merged into ``old``; ``command``
    None keeps the file's own."""
    if command is None:
        command = json.loads(path.read_text(encoding="utf-8"))["command"]
    payload = {
        "benchmark": "defaults",
        "title": "First runs: every task's no-argument train beside its "
        "baseline",
        "command": command,
        "manifest": info,
        "rows": merge_rows(old, rows),
        "notes": [
            "Each row is one run of the task's default `train` (no "
            "arguments but `--output`), in a subprocess, as a new user "
            "runs it. `note before training`: the CLI logged its `note:` "
            "lines (what this default scores against its baseline and the "
            "command of a run that beats it; kept in the row's `notice`) "
            "before its first epoch line; a default that beats its "
            "baseline logs none.",
            "The 2-core machine was shared with other jobs during these "
            "runs (a pretrained fine-tuning benchmark and test runs; load "
            "averages per row) and they ran at `nice -n 19`: the "
            "time-budgeted defaults (summarization, generation: 5 "
            "minutes) then trained fewer steps than on an idle machine, "
            "and all seconds are longer.",
            "Rows are merged from runs of this script (`--tasks` runs "
            "some): the command, date and manifest above are the latest "
            "run's; each row keeps its own date and load averages.",
        ],
        "definitions": DEFINITIONS,
    }
    _common.write_json(path, payload)


if __name__ == "__main__":
    sys.exit(main())
