"""Recipes (``train --recipe FILE``) and the note of a default run.

A recipe, ``tasks/<task>-<dataset>-<backbone>.json`` at the project root,
gives a task's ``train`` options as defaults (options on the command line
win); :func:`parse_args` applies it. A no-argument ``train`` logs, before
training, what that run scored against its baseline and which run beats
it (:func:`default_run_notice`, from the task table's ``default_run``).
"""

import argparse
import json
import logging
import os
import sys

from nlptoolkit.cli.base import UserError
from nlptoolkit.tasks.registry import TASK_SPECS

logger = logging.getLogger("nlptoolkit")

# Each task's default-run figures (see ``nlptoolkit.tasks.registry``).
DEFAULT_RUNS = {
    name: spec.default_run
    for name, spec in TASK_SPECS.items()
    if spec.default_run
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
    before training, from :data:`DEFAULT_RUNS` (the
    specs' ``default_run``); ``None`` when that run
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
    sub = subcommand_parser(parser, "train")
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
    sub = subcommand_parser(parser, args.command)
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

TASK_NAMES = tuple(TASK_SPECS)
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
        os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "tasks"
    )
    if not os.path.isdir(folder):
        return ""
    names = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
    return f" (the project's {len(names)} recipes are in {folder})"


def subcommand_parser(parser, name):
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


def recipe_record(args):
    """``metrics.json``'s ``recipe``: ``{"path", "contents", "overrides"}``
    (the options given on the command line that differ from the recipe,
    besides where the run writes), or ``None`` without ``--recipe``."""
    return getattr(args, "recipe_record", None)
