"""Imports point one way (DESIGN.md; issue 20): read with ``ast``, never
executed.

(a) Nothing below ``tasks`` imports ``nlptoolkit.tasks``: not at module
level, not inside a function, not by string (``importlib.import_module``).
"Below" is every module except ``nlptoolkit.tasks.*``, the package's
``__init__`` (the public API re-exports the tasks) and the ``cli`` layer
(``nlptoolkit/cli.py``, or a ``nlptoolkit/cli/`` package).

(b) No module takes part in a cycle of module-level imports (statements
run on import: the module body, ``if``/``try`` blocks and class bodies,
not function bodies), nor in a cycle once the imports deferred into
functions or made by string count too. An edge goes to the module an
import names (``from nlptoolkit.heads import X`` -> ``nlptoolkit.heads``;
``from nlptoolkit.backbones import base`` -> ``nlptoolkit.backbones.base``),
not to the parent packages Python also runs: counting those would put
every module in a cycle through ``nlptoolkit/__init__.py``.

Violations found on main when this test was written are listed in
``KNOWN_TO_REMOVE``: each is an ``xfail(strict=True)``, so the test fails
as soon as one is fixed, and the lead empties the list after merging the
change that fixes it (issue 20: the ``cli`` helper removes the
``cli <-> tasks`` cycle). Do not add to it."""

import ast
import functools
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "nlptoolkit"

# (contract, module) pairs that fail on main today; see the module
# docstring. "any-cycle": the cli <-> tasks cycle (cli.py imports every
# task's __main__ by string; they and classification/cli.py import cli),
# and decoding.adapters' adapter factory importing
# decoding.preset_adapter, whose adapter subclasses one of adapters'.
KNOWN_TO_REMOVE = {
    ("any-cycle", "nlptoolkit.decoding.adapters"),
    ("any-cycle", "nlptoolkit.decoding.preset_adapter"),
}


def _name(path):
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


SOURCES = {_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _is_package(module):
    return SOURCES[module].name == "__init__.py"


def _resolve(module, name):
    """The package's module that importing ``name`` runs last (``name``
    itself, or its longest prefix that is a module), or None outside the
    package."""
    while name and name not in SOURCES:
        name = name.rpartition(".")[0]
    return name or None


def _imported(module, node):
    """Dotted names an ``Import``/``ImportFrom`` node (or an
    ``importlib.import_module("...")`` call) in ``module`` imports."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = module if _is_package(module) else module.rpartition(".")[0]
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            source = f"{base}.{node.module}" if node.module else base
        else:
            source = node.module
        # `from package import submodule` imports the submodule (the
        # package only runs first, as a parent); any other name is the
        # package's (or module's) own.
        names = [f"{source}.{alias.name}" for alias in node.names]
        submodules = [name for name in names if name in SOURCES]
        return submodules + ([source] if len(submodules) < len(names) else [])
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute | ast.Name)
        and getattr(node.func, "attr", getattr(node.func, "id", None))
        in ("import_module", "__import__")
        and node.args
    ):
        return _by_string(node.args[0])
    return []


def _by_string(argument):
    """The modules an ``import_module`` argument can name: a string, or
    an f-string whose placeholders stand for one dotted part each
    (``f"nlptoolkit.tasks.{task}.__main__"``: every task's
    ``__main__``)."""
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        return [argument.value]
    if not isinstance(argument, ast.JoinedStr):
        return []
    pattern = "".join(
        re.escape(part.value) if isinstance(part, ast.Constant) else "[^.]+"
        for part in argument.values
    )
    return [name for name in SOURCES if re.fullmatch(pattern, name)]


def _module_level(tree):
    """The nodes that run when the module is imported: everything but
    function bodies (class bodies run)."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            # Its decorators and defaults run; its body does not.
            stack.extend(node.decorator_list)
            defaults = node.args.defaults + node.args.kw_defaults
            # A keyword-only argument without a default is None here.
            stack.extend(d for d in defaults if d is not None)
            continue
        if isinstance(node, ast.Lambda):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


@functools.cache
def _tree(module):
    return ast.parse(SOURCES[module].read_text(), str(SOURCES[module]))


@functools.cache
def _imports(module, module_level_only):
    tree = _tree(module)
    nodes = _module_level(tree) if module_level_only else ast.walk(tree)
    names = set()
    for node in nodes:
        for name in _imported(module, node):
            resolved = _resolve(module, name)
            if resolved and resolved != module:
                names.add(resolved)
    return frozenset(names)


@functools.cache
def _cycles(module_level_only):
    """Strongly connected components (more than one module) of the import
    graph: module -> the modules in its cycle."""
    graph = {module: _imports(module, module_level_only) for module in SOURCES}
    index, low, stack, on_stack, found = {}, {}, [], set(), {}

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                for member in component:
                    found[member] = sorted(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _below_tasks(module):
    top = module.split(".")[1] if "." in module else ""
    return top not in ("", "tasks", "cli")


def _params(contract, modules):
    return [
        pytest.param(
            module,
            marks=pytest.mark.xfail(
                strict=True, reason=f"KNOWN_TO_REMOVE: {contract} {module}"
            ),
        )
        if (contract, module) in KNOWN_TO_REMOVE
        else module
        for module in modules
    ]


def _read(module, source):
    """(module-level, all) imports that ``source``, as ``module``, names."""
    tree = ast.parse(source)
    return [
        sorted({name for node in nodes for name in _imported(module, node)})
        for nodes in (_module_level(tree), ast.walk(tree))
    ]


def test_the_contract_reads_every_form_of_import():
    here = "nlptoolkit.decoding.loop"
    relative = "from . import beam\nfrom ..heads import LanguageModelHead\n"
    assert _read(here, relative)[0] == [
        "nlptoolkit.decoding.beam",
        "nlptoolkit.heads",
    ]
    # A function body is not module level; its decorators are; a class
    # body and an `if` block are.
    deferred = (
        "@functools.cache\n"
        "def f():\n    import nlptoolkit.tasks.task\n"
        "class C:\n    import nlptoolkit.heads\n"
        "if True:\n    import nlptoolkit.backbones\n"
    )
    assert _read(here, deferred) == [
        ["nlptoolkit.backbones", "nlptoolkit.heads"],
        ["nlptoolkit.backbones", "nlptoolkit.heads", "nlptoolkit.tasks.task"],
    ]
    by_string = (
        "def f(task):\n"
        "    importlib.import_module('nlptoolkit.heads')\n"
        "    importlib.import_module(f'nlptoolkit.tasks.{task}.__main__')\n"
    )
    assert _read(here, by_string)[1] == [
        "nlptoolkit.heads",
        "nlptoolkit.tasks.classification.__main__",
        "nlptoolkit.tasks.generation.__main__",
        "nlptoolkit.tasks.sentiment.__main__",
        "nlptoolkit.tasks.summarization.__main__",
    ]


def test_the_contract_sees_the_package():
    # `from package import submodule` names the submodule, not the
    # package (a parent Python runs first, not an edge); any other name
    # is the package's own.
    here = "nlptoolkit.cli"
    assert _read(here, "from nlptoolkit import checks")[0] == [
        "nlptoolkit.checks"
    ]
    assert _read(here, "from nlptoolkit import checks, load")[0] == [
        "nlptoolkit",
        "nlptoolkit.checks",
    ]
    # Every known violation names a module that exists.
    assert {module for _, module in KNOWN_TO_REMOVE} <= set(SOURCES)
    # The layers the contract protects are all there.
    below = {module.split(".")[1] for module in SOURCES if _below_tasks(module)}
    assert {"backbones", "heads", "decoding", "callbacks", "layers"} <= below
    assert {"preprocessing", "metrics", "baselines", "datasets"} <= below
    assert "training" in below


@pytest.mark.parametrize(
    "module", _params("tasks", sorted(filter(_below_tasks, SOURCES)))
)
def test_nothing_below_tasks_imports_tasks(module):
    tasks = sorted(
        name
        for name in _imports(module, False)
        if name == "nlptoolkit.tasks" or name.startswith("nlptoolkit.tasks.")
    )
    assert not tasks, (
        f"{module} imports {tasks}: nothing below `tasks` may import "
        "`nlptoolkit.tasks` (move the shared code down, or pass it in)."
    )


@pytest.mark.parametrize("module", _params("cycle", sorted(SOURCES)))
def test_no_module_level_import_cycle(module):
    cycle = _cycles(True).get(module)
    assert cycle is None, (
        f"{module} is in a cycle of module-level imports: {cycle}. "
        "Import inside the function that needs it, or move the shared "
        "code to a module both can import."
    )


@pytest.mark.parametrize("module", _params("any-cycle", sorted(SOURCES)))
def test_no_import_cycle_at_all(module):
    """Nor through imports deferred into functions or made by string: a
    deferred import hides a cycle from Python, not from the layering
    (``cli`` imports the tasks' ``__main__`` modules, which import
    ``cli``)."""
    cycle = _cycles(False).get(module)
    assert cycle is None, (
        f"{module} is in a cycle of imports (some inside functions or by "
        f"string): {cycle}. Move the shared code to a module both can "
        "import, or have the lower module receive what it needs."
    )
