"""The pieces every task's command line shares: the parser and its exit
codes, the common flags and types, output folders, the table, ``--clock``.

Its conventions (exit codes, atomic output folders): see ``nlptoolkit.cli``.
"""

import argparse
import logging
import os
import sys

from nlptoolkit import _quiet
from nlptoolkit.atomic import check_output_dir
from nlptoolkit.atomic import output_dir
from nlptoolkit.atomic import write_csv  # noqa: F401 (cli.write_csv)
from nlptoolkit.atomic import write_json  # noqa: F401
from nlptoolkit.errors import UserError
from nlptoolkit.provenance import manifest  # noqa: F401 (cli.manifest)
from nlptoolkit.training import distribute
from nlptoolkit.validation import POSITIVE_FLOAT
from nlptoolkit.validation import POSITIVE_INT
from nlptoolkit.validation import SEED
from nlptoolkit.validation import argparse_type

USER_ERRORS = (ValueError, TypeError, FileNotFoundError, KeyError, OSError)
STRATEGIES, make_strategy = distribute.STRATEGIES, distribute.make_strategy
is_chief, atomic_output_dir = distribute.is_chief, distribute.chief_output_dir


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


# argparse types, from the constraints the library checks (one rule each).
positive_int = argparse_type(POSITIVE_INT, name="positive_int")
seed_int = argparse_type(SEED, name="seed_int")
positive_float = argparse_type(POSITIVE_FLOAT, name="positive_float")

OVERWRITE = ("overwrite", bool, False, "write into an output folder that holds "
             "other files too: only nlptoolkit's own files there (model.keras,"
             " metrics.json, ...) are replaced, the others are left "
             "untouched")  # fmt: skip


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


def check_output(path, args, what="--output", own=()):
    """Refuse, before any work, an output folder holding files nlptoolkit
    did not write (unless ``--overwrite``): ``nlptoolkit.atomic``'s
    ``check_output_dir``, a :class:`UserError`. Returns the absolute
    path."""
    overwrite = getattr(args, "overwrite", False)
    return check_output_dir(path, overwrite=overwrite, own=own, what=what)


def own_folders(args):
    """Folders a ``train`` run writes itself (its checkpoint and
    TensorBoard folders), which may lie inside its output folder."""
    names = ("checkpoint_dir", "tensorboard")
    return tuple(getattr(args, n) for n in names if getattr(args, n, None))


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


def interrupt_message(args):
    """The one line Ctrl-C prints (called while handling it): what was
    interrupted, and that nothing was written, or where the last
    checkpoint is, or the output folder it was moving its files into
    (``nlptoolkit.atomic.CommitInterrupted``)."""
    command = getattr(args, "command", None) or "the command"
    line = f"interrupted: {command} stopped by Ctrl-C"
    folder = getattr(sys.exc_info()[1], "path", None)
    checkpoint = getattr(args, "checkpoint_dir", None)
    if folder:
        return (
            f"{line} while moving its files into {folder}; files there may "
            "be a mix of this run and an earlier one."
        )
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
        message, code = f"error: {error}", 2
    except Interrupted as error:
        message, code = str(error), 130
    except KeyboardInterrupt:
        message = "interrupted: stopped by Ctrl-C; nothing was written."
        code = 130
    except USER_ERRORS as error:
        text = " ".join(str(error).split()) or type(error).__name__
        message, code = f"error: {type(error).__name__}: {text}", 2
    print(message, file=sys.stderr)
    return code


def format_table(rows, headers):
    """A plain text table (used to print model-vs-baseline metrics)."""
    cells = [[str(c) for c in row] for row in (headers, *rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def add_clock_argument(parser):
    """``--clock DIR`` (and ``--overwrite``) on a predict-like command."""
    clock = "time every cycle; write clock.csv, clock.json, clock.png"
    add_flags(parser, [("clock", None, None, clock, "DIR"), OVERWRITE])


def clock_callbacks(args):
    """``[InferenceClock()]`` when ``--clock DIR`` was given, else ``[]``
    (``make_main`` checked the folder before the command ran)."""
    if not args.clock:
        return []
    from nlptoolkit.callbacks import InferenceClock

    return [InferenceClock()]


def finish_clock(callbacks, args):
    """After the run, with ``--clock DIR``: clock.csv, clock.json and
    clock.png into DIR (``nlptoolkit.atomic.output_dir``), the summary
    table on stderr."""
    if not callbacks:
        return
    clock, overwrite = callbacks[0], getattr(args, "overwrite", False)
    with output_dir(args.clock, overwrite=overwrite) as tmp:
        clock.to_csv(os.path.join(tmp, "clock.csv"))
        clock.to_json(os.path.join(tmp, "clock.json"))
        clock.plot(os.path.join(tmp, "clock.png"))
    print(clock.format_summary(), file=sys.stderr)


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
