"""The error of a request the user has to fix.

`UserError` is raised when a run cannot go ahead as asked: an output
folder holding files nlptoolkit did not write, a bad ``TF_CONFIG``, a bad
recipe file. Its message says what was received, what was expected and
the fix. It is a ``ValueError``. The command line prints it as one line,
``error: <message>``, and exits with code 2 (``nlptoolkit.cli.UserError``
is this class).

Example:
>>> from nlptoolkit.errors import UserError
>>> issubclass(UserError, ValueError)
True
"""


class UserError(ValueError):
    """An error in what the user asked for (exit code 2, one line)."""
