"""Task ids, one alias table, and ``load(path)``."""

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

TASKS = {
    "classification": TextClassifier,
    "sentiment": SentimentClassifier,
    "summarization": Summarizer,
    "generation": TextGenerator,
}
TASK_ALIASES = {
    "text-classification": "classification",
    "sentiment-analysis": "sentiment",
    "summarisation": "summarization",
    "text-generation": "generation",
}


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
