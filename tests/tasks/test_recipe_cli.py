"""``train --recipe tasks/<file>.json`` on every task CLI, and the recipes
in the project's ``tasks/`` folder."""

import importlib
import json
import pathlib

import pytest
from helpers import run_cli_captured

from nlptoolkit import cli

ROOT = pathlib.Path(__file__).resolve().parents[2]
RECIPES = ROOT / "tasks"
TASKS = ["classification", "sentiment", "summarization", "generation"]
EXPECTED = {
    f"{task}-{dataset}-{backbone}"
    for task, dataset in [
        ("sentiment", "sst2"),
        ("sentiment", "imdb"),
        ("classification", "trec"),
        ("summarization", "dialogsum"),
        ("generation", "tiny_shakespeare"),
        ("generation", "ptb"),
    ]
    for backbone in ("lstm", "transformer")
}


def full_parser(task):
    module = importlib.import_module(f"nlptoolkit.tasks.{task}.__main__")
    return module.main.build_parser()


def write_recipe(path, task, train, **extra):
    recipe = {"task": task, "description": "a test recipe", "train": train}
    recipe.update(extra)
    path.write_text(json.dumps(recipe))
    return recipe


def test_tasks_folder_holds_one_valid_recipe_per_benchmark():
    from nlptoolkit import datasets

    files = sorted(RECIPES.iterdir())
    assert not (RECIPES / "__init__.py").exists()  # not a package
    assert all(path.suffix == ".json" for path in files), files
    assert {path.stem for path in files} == EXPECTED
    for path in files:
        recipe, defaults = cli.check_recipe(str(path))
        train = recipe["train"]
        assert path.stem == (
            f"{recipe['task']}-{train['dataset']}-{train['backbone']}"
        )
        assert recipe["description"].strip()
        datasets.get_info(train["dataset"])  # a registered dataset
        assert defaults["seed"] == 0
        # Every value parses as the same option would on the command line.
        parser = full_parser(recipe["task"])
        argv = ["train"]
        for key, value in train.items():
            argv += [f"--{key}", str(value)]
        parsed = vars(parser.parse_args(argv))
        for dest, value in defaults.items():
            assert parsed[dest] == value, (path.name, dest)


def test_recipes_use_the_benchmark_settings():
    def train(name):
        return json.loads((RECIPES / f"{name}.json").read_text())["train"]

    imdb = train("sentiment-imdb-lstm")
    assert (imdb["sequence-length"], imdb["epochs"]) == (256, 3)
    summ = train("summarization-dialogsum-transformer")
    assert (summ["epochs"], summ["sampler"]) == (4, "greedy")
    # Fixed epochs (a loaded machine gives the same model); the minutes
    # budget is only a guard, longer than a quiet run takes.
    for name in EXPECTED:
        if name.startswith(("generation-", "summarization-")):
            recipe = train(name)
            assert recipe["epochs"] <= 6 and recipe["max-minutes"] >= 20
    assert train("generation-ptb-lstm")["tokenizer"] == "word"


@pytest.mark.parametrize("task", TASKS)
def test_recipe_values_are_defaults_and_flags_win(task, tmp_path):
    path = tmp_path / "recipe.json"
    recipe = write_recipe(
        path, task, {"epochs": 3, "batch-size": 16, "seed": 5}
    )
    argv = ["train", "--recipe", str(path), "--batch-size", "8"]
    args = cli.parse_args(full_parser(task), argv + ["--output", "x"])
    assert (args.epochs, args.batch_size, args.seed) == (3, 8, 5)
    assert args.output == "x"
    assert args.recipe_record == {
        "path": str(path),
        "contents": recipe,
        "overrides": {"batch-size": 8},
    }
    # Without --recipe the parser's own defaults hold.
    plain = cli.parse_args(full_parser(task), ["train"])
    assert plain.epochs is None and plain.batch_size == 32
    assert cli.recipe_record(plain) is None


def test_recipe_flags_and_types(tmp_path):
    path = tmp_path / "recipe.json"
    write_recipe(
        path,
        "classification",
        {"no-early-stopping": True, "find-lr": False, "learning-rate": 0.01},
    )
    args = cli.parse_args(
        full_parser("classification"), ["train", "--recipe", str(path)]
    )
    assert args.early_stopping is False and args.find_lr is False
    assert args.learning_rate == 0.01
    assert args.recipe_record["overrides"] == {}


@pytest.mark.parametrize(
    "content, match",
    [
        (None, "no such file"),
        ("{not json", "is not valid JSON"),
        ('["a list"]', "expected a JSON object"),
        ({"task": "generation", "train": {}}, "recipe for 'generation'"),
        ({"task": "nope", "train": {}}, "'task' must be one of"),
        ({"task": "classification"}, "'train' must be an object"),
        (
            {"task": "classification", "train": {}, "extra": 1},
            "unknown key(s) ['extra']",
        ),
        (
            {"task": "classification", "train": {"epoch": 3}},
            "unknown option 'epoch'",
        ),
        (
            {"task": "classification", "train": {"epochs": 0}},
            "expected a positive integer",
        ),
        (
            {"task": "classification", "train": {"optimizer": "sgd9"}},
            "expected one of",
        ),
        (
            {"task": "classification", "train": {"find-lr": "yes"}},
            "expected true or false",
        ),
        (
            {"task": "classification", "train": {"recipe": "x.json"}},
            "unknown option 'recipe'",
        ),
    ],
)
def test_recipe_errors_exit_2_with_one_line(content, match, tmp_path, capsys):
    path = tmp_path / "recipe.json"
    if content is not None:
        text = content if isinstance(content, str) else json.dumps(content)
        path.write_text(text)
    main = importlib.import_module("nlptoolkit.tasks.classification.__main__")
    out = tmp_path / "never"
    code = main.main(["train", "--recipe", str(path), "--output", str(out)])
    lines = [line for line in capsys.readouterr().err.splitlines() if line]
    assert code == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ") and match in lines[0], lines[0]
    assert str(path) in lines[0]
    assert not out.exists()
    if "unknown option" in match:  # the valid ones are listed
        assert "batch-size" in lines[0] and "max-examples" in lines[0]


# The trainings below run ``main`` in this process (the recipe is what
# they test; test_classification_cli.py and test_summarization.py run the
# entry points as subprocesses).
def test_sentiment_train_records_its_recipe(tmp_path, capsys):
    path = tmp_path / "sst2.json"
    recipe = write_recipe(
        path,
        "sentiment",
        {
            "dataset": "sst2",
            "max-examples": 150,
            "epochs": 1,
            "hidden-dim": 8,
            "vocabulary-size": 300,
        },
    )
    out = tmp_path / "run"
    code, _, err = run_cli_captured(
        "sentiment",
        ["train", "--recipe", str(path), "--seed", "1", "--output", str(out)],
        capsys,
    )
    assert code == 0, err[-2000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["recipe"] == {
        "path": str(path),
        "contents": recipe,
        "overrides": {"seed": 1},
    }
    assert (metrics["dataset"], metrics["seed"]) == ("sst2", 1)
    assert metrics["train_rows"] == 150 and metrics["epochs_run"] == 1


def test_generation_trains_on_ptb_from_its_recipe(tmp_path, capsys):
    out = tmp_path / "run"
    tiny = [
        "--max-examples", "200", "--epochs", "1", "--hidden-dim", "8",
        "--num-layers", "1", "--sequence-length", "16",
        "--max-minutes", "0.2",
    ]  # fmt: skip
    code, printed, err = run_cli_captured(
        "generation",
        [
            "train",
            "--recipe",
            str(RECIPES / "generation-ptb-transformer.json"),
            *tiny,
            "--output",
            str(out),
        ],
        capsys,
    )
    assert code == 0, err[-2000:]
    assert "perplexity per word" in printed
    metrics = json.loads((out / "metrics.json").read_text())
    assert (metrics["dataset"], metrics["tokenizer"]) == ("ptb", "word")
    assert metrics["baseline"] == "5-gram Kneser-Ney (word)"
    for key in ("perplexity", "word_perplexity", "baseline_perplexity"):
        assert metrics[key] > 1
    # Punctuation is split off (<unk> is three tokens): more tokens than
    # words, so the per-word figure is the higher one.
    assert metrics["tokens_per_word"] > 1
    assert metrics["word_perplexity"] > metrics["perplexity"]
    record = metrics["recipe"]
    assert record["contents"]["train"]["vocabulary-size"] == 10000
    assert record["overrides"]["max-examples"] == 200
    assert metrics["parameters"] > 0


def test_summarization_train_records_its_recipe(tmp_path, capsys):
    path = tmp_path / "dialogsum.json"
    recipe = write_recipe(
        path,
        "summarization",
        {
            "max-examples": 40, "epochs": 1, "batch-size": 16,
            "hidden-dim": 8, "intermediate-dim": 16, "num-layers": 1,
            "num-heads": 2, "vocabulary-size": 200, "sequence-length": 32,
            "summary-length": 8, "sampler": "greedy",
        },
    )  # fmt: skip
    out = tmp_path / "run"
    code, _, err = run_cli_captured(
        "summarization",
        ["train", "--recipe", str(path), "--output", str(out)],
        capsys,
    )
    assert code == 0, err[-2000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["recipe"]["contents"] == recipe
    assert metrics["recipe"]["overrides"] == {}
    assert metrics["test_examples"] == 40 and metrics["sampler"] == "greedy"
