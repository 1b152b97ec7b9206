"""Recipe files: a task's run, written down.

A recipe, ``tasks/<task>-<dataset>-<backbone>.json`` at the project root,
is a JSON object ``{"task": ..., "description": ..., "train": {option:
value}}``; `read_recipe` reads one and checks its shape (the ``train``
options are checked by the command line, ``nlptoolkit.cli.recipes``).
"""

import json
import os

from nlptoolkit.errors import UserError
from nlptoolkit.tasks.registry import TASK_SPECS

RECIPE_KEYS = ("task", "description", "train")
# The project's recipes (absent in an installed package).
RECIPES_DIR = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "tasks"
)


def read_recipe(path, task=None):
    """Read and check the shape of a recipe file.

    Its ``train`` keys are the long option names of ``python -m
    nlptoolkit.tasks.<task> train`` without the leading ``--``
    (``"batch-size": 64``; a flag such as ``--no-early-stopping`` takes
    ``true`` or ``false``). With ``task`` given, a recipe for another task
    is refused. Raises ``nlptoolkit.errors.UserError``.

    Example:
    >>> import json, pathlib, tempfile
    >>> from nlptoolkit.tasks.recipe import read_recipe
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "trec.json"
    >>> _ = path.write_text(json.dumps(
    ...     {"task": "classification", "train": {"epochs": 2}}))
    >>> read_recipe(str(path), task="classification")["train"]
    {'epochs': 2}
    """
    where, keys, names = f"recipe {path}", list(RECIPE_KEYS), list(TASK_SPECS)
    try:
        with open(path, encoding="utf-8") as handle:
            recipe = json.loads(handle.read())
    except FileNotFoundError:
        raise UserError(
            f"{where}: no such file. Expected a JSON recipe file, e.g. "
            f"tasks/sentiment-sst2-lstm.json{_recipes_hint()}."
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{where}: cannot be read ({error}).") from None
    except ValueError as error:
        raise UserError(
            f"{where} is not valid JSON: {error}. Expected an object "
            '{"task": ..., "description": ..., "train": {...}}.'
        ) from None
    if not isinstance(recipe, dict):
        raise UserError(
            f"{where}: expected a JSON object with keys {keys}; received a "
            f"{type(recipe).__name__}."
        )
    name, train = recipe.get("task"), recipe.get("train")
    unknown = sorted(set(recipe) - set(keys))
    checks = [
        (unknown, f": unknown key(s) {unknown}. Expected only {keys}."),
        (name not in names, f": 'task' must be one of {names}. Received: "
         f"task={name!r}."),
        (not isinstance(recipe.get("description", ""), str),
         ": 'description' must be a string."),
        (not isinstance(train, dict), ": 'train' must be an object of "
         'option names and values, e.g. {"backbone": "lstm", "epochs": '
         f"3}}. Received: train={train!r}."),
        (task is not None and name != task, f" is a recipe for {name!r}; "
         f"this command trains {task!r}. Run: python -m "
         f"nlptoolkit.tasks.{name} train --recipe {path}"),
    ]  # fmt: skip
    for failed, message in checks:
        if failed:
            raise UserError(where + message)
    return recipe


def _recipes_hint():
    if not os.path.isdir(RECIPES_DIR):
        return ""
    count = sum(n.endswith(".json") for n in os.listdir(RECIPES_DIR))
    return f" (the project's {count} recipes are in {RECIPES_DIR})"
