"""Shared command-line pieces used by every ``tasks/*/__main__.py``.

Conventions: ``train --output DIR`` writes ``model.keras`` and
``metrics.json`` (and plots) into DIR atomically (a failed run leaves no
half-written DIR); user errors exit with code 2 and one line on stderr.
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
    code 2, no usage dump. Sub-parsers inherit it."""

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
        "--backbone", default="lstm", help="lstm | transformer (default lstm)"
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
    model.add_argument(
        "--checkpoint-dir",
        default=None,
        metavar="DIR",
        help="back up the training state there every epoch; rerun the "
        "same command after a crash to resume from the last epoch",
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
def atomic_output_dir(path, strategy=None):
    """Yield a temp dir next to ``path``; on success it replaces ``path``.

    If the block fails, the temp dir is removed and ``path`` is untouched.
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


def clock_callbacks(args):
    """``[InferenceClock()]`` when ``--clock DIR`` was given, else ``[]``."""
    if not args.clock:
        return []
    from nlptoolkit.callbacks import InferenceClock

    return [InferenceClock()]


def finish_clock(callbacks, args):
    """After the run: write the clock's files if ``--clock`` was given."""
    if callbacks:
        write_clock(callbacks[0], args.clock)


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
