"""nlptoolkit.training stays below the tasks (its examples run in
tests/test_docstrings.py)."""

import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2] / "nlptoolkit"


def test_training_does_not_import_tasks():
    for path in (ROOT / "training").glob("*.py"):
        assert "nlptoolkit.tasks" not in path.read_text(), path.name
