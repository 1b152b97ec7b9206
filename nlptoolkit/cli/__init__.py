"""The command line: ``python -m nlptoolkit.tasks.<task> ...`` and the
``nlptoolkit <task> ...`` console script.

One generic ``train`` / ``evaluate`` / predict-like command set
(:mod:`~nlptoolkit.cli.commands`) is built for each task from its spec in
``nlptoolkit.tasks.registry`` and its few hooks
(:mod:`~nlptoolkit.cli.hooks`); :mod:`~nlptoolkit.cli.base` holds the
shared pieces, :mod:`~nlptoolkit.cli.recipes` the ``--recipe`` files and
the default run's note, :mod:`~nlptoolkit.cli.config` the flags made from
a config dataclass's fields.

Conventions: ``train --output DIR`` writes ``model.keras`` and
``metrics.json`` (and plots) into DIR atomically (a failed run leaves no
half-written DIR) and never over files nlptoolkit did not write (see
``nlptoolkit.atomic``: such a folder is refused unless ``--overwrite``);
user errors exit with code 2 and one line on stderr; Ctrl-C exits with
130 and one line; TensorFlow's C++ log lines stay off the terminal unless
``--verbose`` is given or ``TF_CPP_MIN_LOG_LEVEL`` was set by the user.
"""

import sys

from nlptoolkit.cli.base import *  # noqa: F403
from nlptoolkit.cli.base import _RUN  # noqa: F401
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
        print(
            "usage: nlptoolkit {" + ",".join(TASK_NAMES) + "} [subcommand] ...",
            file=sys.stderr,
        )
        return 2
    return program(task_main(argv[0]), argv[1:])
