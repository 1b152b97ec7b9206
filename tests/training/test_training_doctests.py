"""Docstring examples of nlptoolkit.training run."""

import doctest
import importlib
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2] / "nlptoolkit"
MODULES = sorted(
    str(path.relative_to(ROOT.parent).with_suffix("")).replace("/", ".")
    for path in (ROOT / "training").glob("*.py")
)


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module):
    result = doctest.testmod(
        importlib.import_module(module), optionflags=doctest.ELLIPSIS
    )
    assert result.failed == 0


def test_training_does_not_import_tasks():
    for path in (ROOT / "training").glob("*.py"):
        assert "nlptoolkit.tasks" not in path.read_text(), path.name
