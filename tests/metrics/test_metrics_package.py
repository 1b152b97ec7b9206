"""Module-level properties of nlptoolkit.metrics."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2] / "nlptoolkit"
MODULES = sorted(
    str(path.relative_to(ROOT.parent).with_suffix("")).replace("/", ".")
    for path in (ROOT / "metrics").glob("*.py")
)


@pytest.mark.parametrize("module", MODULES)
def test_no_top_level_tensorflow_or_keras_import(module):
    path = ROOT.parent / (module.replace(".", "/") + ".py")
    tree = ast.parse(path.read_text())
    for node in tree.body:
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        for name in names:
            assert name.split(".")[0] not in ("tensorflow", "keras"), name
