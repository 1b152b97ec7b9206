"""The command line: ``python -m nlptoolkit.tasks.<task> ...`` and the
``nlptoolkit <task> ...`` console script.

Each task's ``train`` / ``evaluate`` / predict-like commands
(:mod:`~nlptoolkit.cli.commands`) are built from its spec in
``nlptoolkit.tasks.registry`` and its hooks (:mod:`~nlptoolkit.cli.hooks`);
:mod:`~nlptoolkit.cli.base` holds the shared pieces,
:mod:`~nlptoolkit.cli.recipes` ``--recipe`` and the default run's note,
:mod:`~nlptoolkit.cli.config` the flags of a config dataclass's fields.

Conventions: ``train --output DIR`` writes ``model.keras``,
``metrics.json`` and plots into DIR atomically, never over files
nlptoolkit did not write (``nlptoolkit.atomic``; refused unless
``--overwrite``); user errors exit with code 2 and one line on stderr;
Ctrl-C exits with 130 and one line; TensorFlow's C++ log lines stay off
the terminal unless ``--verbose`` or ``TF_CPP_MIN_LOG_LEVEL`` is set.
"""

import sys

from nlptoolkit.cli.base import *  # noqa: F403
from nlptoolkit.cli.base import program
from nlptoolkit.cli.commands import TaskCommands  # noqa: F401
from nlptoolkit.cli.commands import add_training_arguments  # noqa: F401
from nlptoolkit.cli.commands import make_main  # noqa: F401
from nlptoolkit.cli.config import add_config_arguments  # noqa: F401
from nlptoolkit.cli.config import config_from_args  # noqa: F401
from nlptoolkit.cli.hooks import check_recipe  # noqa: F401
from nlptoolkit.cli.hooks import task_main
from nlptoolkit.cli.hooks import train_parser  # noqa: F401
from nlptoolkit.cli.recipes import *  # noqa: F403
from nlptoolkit.cli.recipes import TASK_NAMES


def main(argv=None):
    """``nlptoolkit <task> ...``: the console script, mirrors
    ``python -m nlptoolkit.tasks.<task> ...``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in TASK_NAMES:
        names = "{" + ",".join(TASK_NAMES) + "}"
        print(f"usage: nlptoolkit {names} [subcommand] ...", file=sys.stderr)
        return 2
    return program(task_main(argv[0]), argv[1:])
