"""The pieces every task's command line shares: the parser and its exit
codes, ``--strategy``, output folders, JSON/CSV/table output, ``--clock``.

Its conventions (exit codes, atomic output folders): see ``nlptoolkit.cli``.
"""

import argparse
import contextlib
import json
import logging
import os
import shutil
import sys
import tempfile

from nlptoolkit import _quiet
from nlptoolkit.atomic import OutputFolderError
from nlptoolkit.atomic import atomic_write
from nlptoolkit.atomic import check_output_dir
from nlptoolkit.atomic import output_dir
from nlptoolkit.provenance import manifest  # noqa: F401 (cli.manifest)
from nlptoolkit.validation import NON_NEGATIVE_INT
from nlptoolkit.validation import POSITIVE_FLOAT
from nlptoolkit.validation import POSITIVE_INT
from nlptoolkit.validation import SEED
from nlptoolkit.validation import Interval
from nlptoolkit.validation import argparse_type

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


def add_flags(parser, rows):
    """Add ``--name`` flags from ``(name, kind, default, help[, metavar])``
    rows: ``kind`` is an argparse type, a tuple of choices, ``bool`` (an
    on/off flag) or ``None`` (text)."""
    for name, kind, default, text, *metavar in rows:
        options = {"default": default, "help": text}
        if kind is bool:
            options = {"action": "store_true", "help": text}
        elif isinstance(kind, tuple):
            options["choices"] = kind
        elif kind is not None:
            options["type"] = kind
        if metavar:
            options["metavar"] = metavar[0]
        parser.add_argument(f"--{name}", **options)


OVERWRITE = (
    "overwrite",
    bool,
    False,
    "write into an output folder that holds other files too: only "
    "nlptoolkit's own files there (model.keras, metrics.json, ...) are "
    "replaced, the others are left untouched",
)


def add_common_train_arguments(parser, default_dataset):
    """Arguments every ``train`` subcommand shares."""
    add_flags(
        parser.add_argument_group("data"),
        [
            ("dataset", None, None, f"named dataset (default: "
             f"{default_dataset}); see nlptoolkit.datasets"),
            ("train-file", None, None, "CSV/TSV/JSONL training file"),
            ("test-file", None, None, "CSV/TSV/JSONL test file"),
            ("max-examples", positive_int, None,
             "use at most N examples per split (quick runs)"),
        ],
    )  # fmt: skip
    add_flags(
        parser.add_argument_group("model"),
        [
            ("backbone", None, "lstm", "lstm | transformer (default lstm), "
             "or a pretrained model: a keras-hub preset name, kaggle:// or "
             "hf:// handle, a local preset or Hugging Face folder, or "
             "all-minilm-l6-v2 (classifiers)"),
            ("epochs", positive_int, None, None),
            ("batch-size", positive_int, 32, None),
            ("seed", seed_int, 0, "seeds Python, NumPy, Keras and turns on "
             "TensorFlow op determinism (default 0)"),
            ("strategy", STRATEGIES, "default", "tf.distribute strategy: "
             "default (one device), mirrored (all local GPUs, else the CPU) "
             "or multiworker (workers from TF_CONFIG); --batch-size is the "
             "global batch"),
            ("output", None, None, "directory for model.keras, metrics.json, "
             "history.csv, plots (default: runs/<task>-<dataset>-<backbone>)"),
            OVERWRITE,
            ("checkpoint-dir", None, None, "back up the training state there "
             "every epoch; rerun the same command after a crash to resume "
             "from the last epoch", "DIR"),
        ],
    )  # fmt: skip


def add_overwrite_argument(parser):
    """``--overwrite``: write into an output folder that holds files
    nlptoolkit did not write (only nlptoolkit's own file names there are
    replaced; see ``nlptoolkit.atomic``)."""
    add_flags(parser, [OVERWRITE])


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
    names = ("checkpoint_dir", "tensorboard")
    return tuple(getattr(args, n) for n in names if getattr(args, n, None))


# argparse types, from the constraints the library checks (one rule each).
positive_int = argparse_type(POSITIVE_INT, name="positive_int")
ngram_size = argparse_type(NON_NEGATIVE_INT, name="ngram_size")
seed_int = argparse_type(SEED, name="seed_int")
positive_float = argparse_type(POSITIVE_FLOAT, name="positive_float")
length_penalty = argparse_type(
    Interval(float, None, None), name="length_penalty"
)


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
    clock = "time every cycle; write clock.csv, clock.json, clock.png"
    add_flags(parser, [("clock", None, None, clock, "DIR"), OVERWRITE])


def keras_verbose():
    """Progress bars on a terminal, one line per epoch otherwise."""
    return 1 if sys.stderr.isatty() else 2


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
