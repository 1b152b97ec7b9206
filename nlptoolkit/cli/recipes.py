"""Recipes (``train --recipe FILE``) and the note of a default run.

A recipe (``nlptoolkit.tasks.recipe``) gives a task's ``train`` options as
defaults, options on the command line win: :func:`parse_args`. A
no-argument ``train`` logs, before training, the note of its default run
(``nlptoolkit.tasks.default_runs``): :func:`log_default_notice`.
"""

import argparse
import json
import logging
import sys

from nlptoolkit.errors import UserError
from nlptoolkit.tasks.default_runs import DEFAULT_RUNS  # noqa: F401
from nlptoolkit.tasks.default_runs import default_run_notice
from nlptoolkit.tasks.recipe import RECIPE_KEYS  # noqa: F401
from nlptoolkit.tasks.recipe import read_recipe
from nlptoolkit.tasks.registry import TASK_SPECS

logger = logging.getLogger("nlptoolkit")

TASK_NAMES = tuple(TASK_SPECS)
# Where a run writes, not what it trains: a recipe may leave them out and a
# command line may change them without the run departing from its recipe.
RUN_LOCATION_OPTIONS = ("output", "checkpoint-dir", "tensorboard", "recipe",
                        "overwrite", "verbose")  # fmt: skip
_NOT_IN_RECIPES = ("help", "recipe")


def default_run_task(parser, args):
    """The task id when ``args`` are a no-argument ``train`` (every
    option at its default, except where the run writes and ``--seed``),
    else ``None``."""
    sub = subcommand_parser(parser, "train")
    changed = getattr(args, "recipe", None) or any(
        sub.get_default(dest)
        not in (argparse.SUPPRESS, getattr(args, dest, None))
        for dest, name in _option_names(sub).items()
        if name not in (*RUN_LOCATION_OPTIONS, "seed")
    )
    return None if changed else getattr(sub, "recipe_task", None)


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
    args.recipe_record = dict(path=path, contents=recipe, overrides=overrides)
    return args


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


def subcommand_parser(parser, name):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name]
    raise ValueError(f"{parser.prog} has no subcommands")


def _long_options(parser):
    """``{long option name without --: action}`` of a parser's options."""
    return {
        option[2:]: action
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--")
    }


def _option_names(parser):
    """``{dest: its first long option name without --}``."""
    return {a.dest: n for n, a in reversed(_long_options(parser).items())}


def recipe_defaults(recipe, parser, path="recipe"):
    """The parser defaults (``{dest: value}``) a recipe's ``train`` values
    give, each checked as the command line checks it (its type and
    choices). Raises :class:`UserError` naming the valid options."""
    actions = _long_options(parser)
    for name in _NOT_IN_RECIPES:
        actions.pop(name, None)
    defaults = {}
    for key, value in recipe["train"].items():
        if key not in actions:
            raise UserError(
                f"recipe {path}: unknown option {key!r} for "
                f"{parser.prog}. Valid options: {', '.join(sorted(actions))}."
            )
        action = actions[key]
        defaults[action.dest] = _recipe_value(action, key, value, path)
    return defaults


def _recipe_value(action, key, value, path):
    where, shown = f"recipe {path}: {key!r}", json.dumps(value)
    if action.nargs == 0:  # a flag: store_true / store_false
        if not isinstance(value, bool):
            raise UserError(
                f"{where} is a flag: expected true or false. Received: {shown}."
            )
        return action.const if value else action.default
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise UserError(
            f"{where}: expected a string or a number, as --{key} takes on "
            f"the command line. Received: {shown}."
        )
    try:
        converted = action.type(str(value)) if action.type else str(value)
    except (argparse.ArgumentTypeError, ValueError, TypeError) as error:
        raise UserError(f"{where}: {error}. Received: {shown}.") from None
    if action.choices is not None and converted not in action.choices:
        raise UserError(
            f"{where}: expected one of {list(action.choices)}. Received: "
            f"{shown}."
        )
    return converted


def recipe_record(args):
    """``metrics.json``'s ``recipe``: ``{"path", "contents", "overrides"}``
    (the options given on the command line that differ from the recipe,
    besides where the run writes), or ``None`` without ``--recipe``."""
    return getattr(args, "recipe_record", None)
