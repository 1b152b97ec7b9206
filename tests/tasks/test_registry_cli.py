"""The task table drives the command line: every task has a complete
spec, the CLI's task names are the registry's ids, each CLI is built from
its spec, flags come from the library's constraints, and the CLI layer and
the tasks do not import each other in a cycle."""

import argparse
import ast
import dataclasses
import inspect
import pathlib

import pytest
from helpers import run_cli_in_process

from nlptoolkit import cli
from nlptoolkit import datasets
from nlptoolkit import validation
from nlptoolkit.cli.hooks import COMMANDS
from nlptoolkit.cli.hooks import task_commands
from nlptoolkit.tasks import registry

PACKAGE = pathlib.Path(registry.__file__).resolve().parents[1]
SPECS = list(registry.TASK_SPECS.values())


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_every_task_has_a_complete_spec(spec):
    for field in dataclasses.fields(spec):
        value = getattr(spec, field.name)
        assert value not in (None, "", (), {}), (spec.id, field.name)
    assert spec.task_class.task_id == spec.id
    assert callable(getattr(spec.task_class, spec.verb))
    assert set(spec.help) == {"train", "evaluate", spec.command}
    datasets.get_info(spec.default_dataset)  # a registered dataset
    assert spec.default_epochs >= 1
    assert "model.keras" in spec.artifacts
    assert "metrics.json" in spec.artifacts
    for row in spec.metric_rows:
        label, key, baseline_key, fmt = row
        assert key != baseline_key and format(1.5, fmt)
    assert {"source", "metric", "score", "baseline"} <= set(
        spec.default_run["default"]
    )
    for alias in spec.aliases:
        assert registry.get_task_class(alias) is spec.task_class
        assert registry.get_task_spec(alias) is spec


def test_cli_task_names_are_the_registry_ids():
    ids = tuple(registry.TASK_SPECS)
    assert cli.TASK_NAMES == ids
    assert tuple(COMMANDS) == ids
    assert tuple(registry.TASKS) == ids
    assert set(cli.DEFAULT_RUNS) == set(ids)
    assert cli.DEFAULT_RUNS["generation"] is (
        registry.TASK_SPECS["generation"].default_run
    )


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_each_cli_is_built_from_its_spec(spec):
    parser = task_commands(spec.id).build_parser()
    assert parser.prog == f"python -m nlptoolkit.tasks.{spec.id}"
    commands = [
        action
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
    ][0].choices
    assert list(commands) == ["train", "evaluate", spec.command]
    train = commands["train"].parse_args([])
    assert train.backbone == spec.default_backbone
    for role, column in spec.columns.items():
        assert getattr(train, f"{role}_column") == column
    main = __import__(f"nlptoolkit.tasks.{spec.id}.__main__", fromlist=["main"])
    assert main.build_parser is main.main.build_parser


def test_argparse_types_come_from_the_library_constraints():
    assert cli.positive_float.constraints == (validation.POSITIVE_FLOAT,)
    assert cli.positive_int.constraints == (validation.POSITIVE_INT,)
    assert cli.seed_int.constraints == (validation.SEED,)
    parser = task_commands("classification").build_parser()
    train = cli.recipes.subcommand_parser(parser, "train")
    types = {a.dest: a.type for a in train._actions}
    assert types["learning_rate"] is cli.positive_float
    for text in ("inf", "nan", "0", "-1e-3"):
        with pytest.raises(argparse.ArgumentTypeError):
            cli.positive_float(text)
    assert cli.positive_float("3e-4") == 0.0003


@pytest.mark.parametrize(
    "module, argv, flag",
    [
        ("classification", ["train", "--learning-rate", "inf"], "--learning"),
        ("generation", ["train", "--max-minutes", "inf"], "--max-minutes"),
        ("summarization", ["train", "--max-minutes", "nan"], "--max-minutes"),
    ],
)
def test_infinite_numbers_are_refused_with_one_line(
    module, argv, flag, capsys, tmp_path
):
    out = tmp_path / "never"
    code, lines = run_cli_in_process(
        module, [*argv, "--output", str(out)], capsys
    )
    assert code == 2 and len(lines) == 1, lines
    assert flag in lines[0] and "finite" in lines[0]
    assert not out.exists()


@dataclasses.dataclass(frozen=True)
class _Decoding:
    max_length: int = dataclasses.field(
        default=None,
        metadata={
            "constraints": (validation.POSITIVE_INT, None),
            "help": "tokens to write (100% new)",
        },
    )
    temperature: float = dataclasses.field(
        default=1.0, metadata={"constraints": (validation.POSITIVE_FLOAT,)}
    )
    seed: int = dataclasses.field(
        default=None, metadata={"constraints": (validation.SEED, None)}
    )

    def __post_init__(self):
        if self.max_length == 13:
            raise ValueError("13 is refused together with the others")


def test_config_flags_are_made_from_the_fields():
    parser = cli.ArgumentParser(prog="x")
    parser.add_argument("--seed", type=int, default=7)  # not the config's
    cli.add_config_arguments(
        parser, _Decoding, defaults={"max_length": 20}, fields=("max_length",)
    )
    cli.add_config_arguments(parser, _Decoding, fields=("temperature",))
    assert cli.config_from_args(_Decoding, parser.parse_args([])) == (
        _Decoding(max_length=20)
    )
    args = parser.parse_args(["--max-length", "none", "--temperature", "2"])
    assert cli.config_from_args(_Decoding, args) == _Decoding(None, 2.0)
    help_text = parser.format_help()
    assert "100% new" in help_text and "--seed" in help_text
    with pytest.raises(ValueError, match="13 is refused"):
        cli.config_from_args(
            _Decoding, parser.parse_args(["--max-length", "13"])
        )
    with pytest.raises(SystemExit):
        parser.parse_args(["--temperature", "inf"])
    every = argparse.ArgumentParser()
    cli.add_config_arguments(every, _Decoding)
    assert {a.dest for a in every._actions} >= {"max_length", "seed"}


def _imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:  # module level only
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{a.name}" for a in node.names)


def test_no_import_cycle_between_the_cli_and_the_tasks():
    tasks = PACKAGE / "tasks"
    for path in tasks.rglob("*.py"):
        if path.name == "__main__.py":
            continue
        for name in _imports(path):
            assert not name.startswith("nlptoolkit.cli"), (path, name)
    for path in (PACKAGE / "cli").glob("*.py"):
        for name in _imports(path):
            assert "__main__" not in name, (path, name)
    for path in tasks.glob("*/__main__.py"):
        assert len(path.read_text().splitlines()) <= 15, path
    assert not (tasks / "classification" / "cli.py").exists()
    source = inspect.getsource(cli.hooks)
    assert "import_module" not in source


def test_every_task_train_takes_the_training_options(tmp_path, capsys):
    """The training flags are every task's now (one training policy): a
    generator's ``train --find-lr`` with a schedule, on a tiny corpus."""
    import json

    for task in registry.TASK_SPECS:
        parser = task_commands(task).build_parser()
        args = cli.parse_args(parser, ["train", "--no-early-stopping"])
        assert args.early_stopping is False and args.find_lr is False
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("to be or not to be, that is the question.\n" * 30)
    out = tmp_path / "run"
    argv = ["train", "--train-file", str(corpus), "--test-file", str(corpus)]
    argv += ["--epochs", "1", "--hidden-dim", "8", "--num-layers", "1"]
    argv += ["--sequence-length", "16", "--find-lr", "--schedule", "cosine"]
    code, lines = run_cli_in_process(
        "generation", [*argv, "--output", str(out)], capsys
    )
    assert code == 0, lines
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["lr_finder"]["suggestion"] > 0
    assert metrics["training"]["schedule"] == "cosine"
    assert {"lr_finder.csv", "lr_finder.png"} <= {p.name for p in out.iterdir()}


def test_summarization_evaluate_takes_rows_and_the_samplers_k():
    """``evaluate --top-k`` stays the top-losses rows (``--top-losses``
    too); ``--sampler-top-k`` is the top_k sampler's k there."""
    from nlptoolkit.cli.commands import decoding
    from nlptoolkit.tasks.summarization import Summarizer

    parser = task_commands("summarization").build_parser()
    argv = ["evaluate", "--model", "m.keras", "--sampler", "top_k"]
    args = cli.parse_args(parser, [*argv, "--top-k", "5"])
    assert args.top_k == 5 and args.sampler_top_k == 10
    assert cli.parse_args(parser, [*argv, "--top-losses", "7"]).top_k == 7
    args = cli.parse_args(parser, [*argv, "--sampler-top-k", "3"])
    assert args.top_k == 20
    _, config = decoding(args, Summarizer.summarize, top_k=args.sampler_top_k)
    assert (config.sampler, config.top_k) == ("top_k", 3)
    with pytest.raises(SystemExit):
        parser.parse_args([*argv, "--sampler-top-k", "0"])
