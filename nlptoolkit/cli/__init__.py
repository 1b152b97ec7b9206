"""The command line: ``python -m nlptoolkit.tasks.<task> ...`` and the
``nlptoolkit <task> ...`` console script.

Each task's commands (:mod:`~nlptoolkit.cli.commands`) are built from its
spec in ``nlptoolkit.tasks.registry`` and its hooks
(:mod:`~nlptoolkit.cli.hooks`), with the shared pieces of
:mod:`~nlptoolkit.cli.base`, :mod:`~nlptoolkit.cli.recipes` and
:mod:`~nlptoolkit.cli.config`. ``train --output DIR`` writes into DIR
atomically, never over files nlptoolkit did not write (unless
``--overwrite``; ``nlptoolkit.atomic``); user errors exit with code 2 and
one line on stderr, Ctrl-C with 130 and one line; TensorFlow's C++ log
lines stay off the terminal unless ``--verbose`` or
``TF_CPP_MIN_LOG_LEVEL`` is given.
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
