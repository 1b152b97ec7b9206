"""Shared command-line pieces used by every ``tasks/*/__main__.py``.

Conventions: ``train --output DIR`` writes ``model.keras`` and
``metrics.json`` (and plots) into DIR atomically (a failed run leaves no
half-written DIR); user errors exit with code 2 and one line on stderr.
"""

import argparse
import contextlib
import json
import logging
import os
import shutil
import sys
import tempfile

logger = logging.getLogger("nlptoolkit")

USER_ERRORS = (ValueError, TypeError, FileNotFoundError, KeyError, OSError)


class UserError(Exception):
    """An error in what the user asked for (exit code 2, one line)."""


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
        "--backbone", default="lstm", help="lstm | transformer (default lstm)"
    )
    model.add_argument("--epochs", type=positive_int, default=None)
    model.add_argument("--batch-size", type=positive_int, default=32)
    model.add_argument("--seed", type=int, default=0)
    model.add_argument(
        "--output",
        default=None,
        help="directory for model.keras, metrics.json, history.csv, plots "
        "(default: runs/<task>-<dataset>-<backbone>)",
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


def configure_logging(verbose=False):
    """Log nlptoolkit's messages to stderr, without a prefix."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        stream=sys.stderr,
    )
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def run(main_function, argv=None):
    """Call ``main_function(argv)``; user errors -> one line, exit 2."""
    try:
        return main_function(argv)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except USER_ERRORS as error:
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"error: {type(error).__name__}: {message}", file=sys.stderr)
        return 2


@contextlib.contextmanager
def atomic_output_dir(path):
    """Yield a temp dir next to ``path``; on success it replaces ``path``.

    If the block fails, the temp dir is removed and ``path`` is untouched.
    """
    path = os.path.abspath(path)
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.tmp-", dir=parent)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if os.path.isdir(path):
        old = tempfile.mkdtemp(
            prefix=f".{os.path.basename(path)}.old-", dir=parent
        )
        os.rmdir(old)
        os.replace(path, old)
        os.replace(tmp, path)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, path)


def write_json(path, payload):
    """Write JSON atomically (temp file + rename)."""
    directory = os.path.dirname(os.path.abspath(path))
    handle, tmp = tempfile.mkstemp(
        prefix=".tmp-", suffix=".json", dir=directory
    )
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        json.dump(payload, stream, indent=2, sort_keys=True, default=str)
        stream.write("\n")
    os.replace(tmp, path)


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


def write_clock(clock, directory):
    """clock.csv, clock.json and clock.png into ``directory``, and the
    summary table on stderr (``--clock DIR`` on predict/generate)."""
    os.makedirs(directory, exist_ok=True)
    clock.to_csv(os.path.join(directory, "clock.csv"))
    clock.to_json(os.path.join(directory, "clock.json"))
    clock.plot(os.path.join(directory, "clock.png"))
    print(clock.format_summary(), file=sys.stderr)


def add_clock_argument(parser):
    parser.add_argument(
        "--clock",
        default=None,
        metavar="DIR",
        help="time every cycle; write clock.csv, clock.json, clock.png",
    )


def keras_verbose():
    """Progress bars on a terminal, one line per epoch otherwise."""
    return 1 if sys.stderr.isatty() else 2


def make_main(build_parser, commands):
    """A task CLI's ``main(argv)``: parse, dispatch to ``commands[name]``
    (no subcommand means ``train``), and turn user errors into exit 2."""

    def _main(argv):
        configure_logging()
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            args = parser.parse_args(["train", *(argv or [])])
        return commands[args.command](args)

    def main(argv=None):
        return run(_main, argv)

    return main


def main(argv=None):
    """``nlptoolkit <task> ...``: the console script, mirrors
    ``python -m nlptoolkit.tasks.<task> ...``."""
    import importlib

    argv = list(sys.argv[1:] if argv is None else argv)
    tasks = ["classification", "sentiment", "summarization", "generation"]
    if not argv or argv[0] not in tasks:
        print(
            "usage: nlptoolkit {" + ",".join(tasks) + "} [subcommand] ...",
            file=sys.stderr,
        )
        return 2
    module = importlib.import_module(f"nlptoolkit.tasks.{argv[0]}.__main__")
    return module.main(argv[1:])
