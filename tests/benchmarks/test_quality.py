"""`benchmarks/quality.py`: recipes run through the CLI, rows merged into
quality.json, runs imported, the table rendered.

Most tests replace the CLI subprocess by a fake that parses the command
with the real parser (so the `recipe` record is the CLI's own) and writes
a metrics.json of the task's shape; one runs a real, tiny training
through the task's CLI `main`, in this process.
"""

import importlib
import importlib.util
import json
import pathlib

import pytest
from helpers import load_script

from nlptoolkit import cli

ROOT = pathlib.Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"


def fake_metrics(args, task, score):
    base = {
        "dataset": args.dataset,
        "backbone": args.backbone,
        "seed": args.seed,
        "train_seconds": 12.5,
        "epochs_run": 1,
        "parameters": 1234,
        "manifest": {"seed": args.seed, "dataset": args.dataset},
        "recipe": cli.recipe_record(args),
    }
    if task in ("sentiment", "classification"):
        base.update(
            accuracy=score,
            macro_f1=score,
            baseline="tfidf-1-2gram+logreg",
            baseline_accuracy=0.8,
            baseline_macro_f1=0.79,
        )
    elif task == "summarization":
        base.update(
            rouge1=30.0,
            rouge2=9.0,
            rougeL=score * 30,
            baseline="Lead-3",
            baseline_rouge1=27.0,
            baseline_rouge2=7.0,
            baseline_rougeL=24.0,
        )
    else:
        base.update(
            loss=score,
            perplexity=float("inf"),  # written as Infinity by the CLI
            baseline=f"{args.ngram_order}-gram Kneser-Ney",
            baseline_loss=1.5,
            baseline_perplexity=140.0,
            tokenizer=args.tokenizer,
        )
        if args.tokenizer == "word":
            base.update(word_perplexity=score * 200, tokens_per_word=1.19)
    return base


@pytest.fixture
def fake_cli(monkeypatch):
    """Replaces the subprocess; `calls` records each argv."""
    monkeypatch.chdir(ROOT)
    quality = load_script("quality")
    state = {"calls": [], "score": 0.5, "code": 0}

    def run_cli(argv, cwd):
        assert argv[0] == "-m" and cwd == str(ROOT)
        state["calls"].append(argv)
        if state["code"]:
            return state["code"]
        task = argv[1].rsplit(".", 1)[1]
        module = importlib.import_module(f"nlptoolkit.tasks.{task}.__main__")
        args = cli.parse_args(module.main.build_parser(), argv[2:])
        output = pathlib.Path(args.output)
        output.mkdir(parents=True)
        cli.write_json(
            output / "metrics.json", fake_metrics(args, task, state["score"])
        )
        return 0

    monkeypatch.setattr(quality, "run_cli", run_cli)
    state["quality"] = quality
    return state


def rows_of(path):
    return {r["recipe"]: r for r in json.loads(path.read_text())["rows"]}


def test_quick_run_of_every_recipe_writes_one_row_each(fake_cli, tmp_path):
    quality = fake_cli["quality"]
    out = tmp_path / "quality.json"
    assert quality.main(["--quick", "--output", str(out)]) == 0
    payload = json.loads(out.read_text())
    assert payload["benchmark"] == "quality"
    assert payload["manifest"]["quick"] is True
    rows = rows_of(out)
    assert set(rows) == set(quality.list_recipes()) and len(rows) == 12
    assert len(fake_cli["calls"]) == 12
    for name, row in rows.items():
        task = row["task"]
        assert row["quick"] is True and row["imported_from"] is None
        assert row["command"].startswith(
            f"python -m nlptoolkit.tasks.{task} train --recipe "
            f"tasks/{name}.json --max-examples"
        )
        assert name == f"{task}-{row['dataset']}-{row['backbone']}"
        assert row["num_parameters"] == 1234
        assert row["train_seconds"] == 12.5
        assert row["references"], name  # every dataset has some
        assert all(r["source"] for r in row["references"])
        assert row["manifest"]["quick"] is True
        assert row["manifest"]["recipe"] == f"tasks/{name}.json"
        assert row["manifest"]["run"]["dataset"] == row["dataset"]
    assert rows["sentiment-imdb-lstm"]["metric"] == "accuracy"
    assert rows["sentiment-imdb-lstm"]["baseline_score"] == 0.8
    assert rows["summarization-dialogsum-lstm"]["metric"] == "rougeL"
    shakespeare = rows["generation-tiny_shakespeare-transformer"]
    assert shakespeare["metric"] == "loss"
    assert shakespeare["higher_is_better"] is False
    assert shakespeare["other_metrics"]["perplexity"] is None  # was inf
    ptb = rows["generation-ptb-lstm"]
    assert (ptb["metric"], ptb["model"]) == ("word_perplexity", 100.0)
    assert ptb["baseline_score"] == 140.0
    assert 141.2 in [r["score"] for r in ptb["references"]]


def test_rows_are_replaced_one_recipe_at_a_time(fake_cli, tmp_path):
    quality = fake_cli["quality"]
    out = tmp_path / "quality.json"
    names = "classification-trec-lstm,sentiment-sst2-lstm"
    assert quality.main(["--recipes", names, "--output", str(out)]) == 0
    first = rows_of(out)
    assert not first["sentiment-sst2-lstm"]["quick"]
    assert "--max-examples" not in first["sentiment-sst2-lstm"]["command"]

    fake_cli["score"] = 0.7
    args = ["--recipes", "sentiment-sst2-lstm.json", "--output", str(out)]
    assert quality.main(args) == 0
    rows = rows_of(out)
    assert set(rows) == set(first)
    assert rows["sentiment-sst2-lstm"]["model"] == 0.7
    assert rows["classification-trec-lstm"] == first["classification-trec-lstm"]

    # A quick row never silently replaces a full one.
    fake_cli["score"] = 0.1
    assert quality.main(args + ["--quick"]) == 0
    assert rows_of(out)["sentiment-sst2-lstm"]["model"] == 0.7
    assert quality.main(args + ["--quick", "--force"]) == 0
    assert rows_of(out)["sentiment-sst2-lstm"]["quick"] is True


def test_a_failed_run_writes_no_row(fake_cli, tmp_path):
    quality = fake_cli["quality"]
    fake_cli["code"] = 1
    out = tmp_path / "quality.json"
    args = ["--recipes", "classification-trec-lstm", "--output", str(out)]
    assert quality.main(args) == 1
    assert not out.exists()


def _hand_run(fake_cli, tmp_path, name, *extra):
    """What `python -m ... train --recipe tasks/<name>.json` leaves."""
    recipe = json.loads((ROOT / "tasks" / f"{name}.json").read_text())
    task = recipe["task"]
    directory = tmp_path / f"hand-{name}-{len(extra)}"
    argv = [
        "-m", f"nlptoolkit.tasks.{task}", "train", "--recipe",
        f"tasks/{name}.json", "--output", str(directory), *extra,
    ]  # fmt: skip
    assert fake_cli["quality"].run_cli(argv, cwd=str(ROOT)) == 0
    return directory


def test_import_run_takes_a_run_of_the_same_recipe(fake_cli, tmp_path):
    quality = fake_cli["quality"]
    out = tmp_path / "quality.json"
    name = "sentiment-imdb-transformer"
    fake_cli["score"] = 0.861
    run = _hand_run(fake_cli, tmp_path, name, "--checkpoint-dir", "ckpt")
    calls = len(fake_cli["calls"])
    args = ["--recipes", name, "--import-run", str(run), "--output", str(out)]
    assert quality.main(args) == 0
    assert len(fake_cli["calls"]) == calls  # nothing trained
    row = rows_of(out)[name]
    assert row["imported_from"] == str(run) and row["quick"] is False
    assert row["model"] == 0.861
    assert row["command"] == (
        f"python -m nlptoolkit.tasks.sentiment train --recipe tasks/{name}.json"
    )
    assert row["manifest"]["imported"] is True


def test_import_run_of_a_summarizer_keeps_its_other_decodings(
    fake_cli, tmp_path
):
    quality = fake_cli["quality"]
    results = tmp_path / "results"
    name = "summarization-dialogsum-lstm"
    run = _hand_run(fake_cli, tmp_path, name)
    metrics = json.loads((run / "metrics.json").read_text())
    metrics.update(sampler="greedy", num_beams=None, test_examples=500)
    cli.write_json(run / "metrics.json", metrics)
    beam = {"rouge1": 31.0, "rouge2": 9.5, "rougeL": 26.5, "examples": 500}
    beam.update(baseline_rougeL=24.0, decode_seconds=88.0, num_beams=4)
    cli.write_json(run / "evaluation-beam4.json", beam)
    other = {**beam, "examples": 12, "rougeL": 99.0}
    cli.write_json(run / "evaluation-sample.json", other)
    out = results / "quality.json"
    args = ["--recipes", name, "--import-run", str(run), "--output", str(out)]
    assert quality.main(args) == 0
    decodings = rows_of(out)[name]["decodings"]
    assert set(decodings) == {"greedy", "beam4"}  # not the 12-row one
    assert decodings["greedy"]["rougeL"] == metrics["rougeL"]
    assert decodings["beam4"]["rougeL"] == 26.5
    render = load_script("render")
    output = tmp_path / "BENCHMARKS.md"
    assert (
        render.main(["--results", str(results), "--output", str(output)]) == 0
    )
    text = output.read_text()
    assert "Decodings of the same summarisation model" in text
    assert f"| {name} | beam4 | 31.0 | 9.50 | 26.5 | 24.0 | 88.0 |" in text


@pytest.mark.parametrize(
    "case, match",
    [
        ("overrides", "--epochs 1"),
        ("other_recipe", "differs from tasks/sentiment-imdb-lstm.json"),
        ("no_recipe", "was not trained with --recipe"),
        ("no_metrics", "no metrics.json"),
        ("two_recipes", "takes one run of one recipe"),
    ],
)
def test_import_run_refuses_other_runs(case, match, fake_cli, tmp_path, capsys):
    quality = fake_cli["quality"]
    name = "sentiment-imdb-lstm"
    if case == "overrides":
        run = _hand_run(fake_cli, tmp_path, name, "--epochs", "1")
    elif case == "other_recipe":
        run = _hand_run(fake_cli, tmp_path, "sentiment-imdb-transformer")
    elif case == "no_recipe":
        run = _hand_run(fake_cli, tmp_path, name)
        metrics = json.loads((run / "metrics.json").read_text())
        metrics["recipe"] = None
        (run / "metrics.json").write_text(json.dumps(metrics))
    else:
        run = tmp_path / "empty"
        run.mkdir()
    recipes = f"{name},sentiment-sst2-lstm" if case == "two_recipes" else name
    out = tmp_path / "quality.json"
    args = ["--recipes", recipes, "--import-run", str(run)]
    assert quality.main(args + ["--output", str(out)]) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and match in errors[0], lines
    assert not out.exists()


def test_unknown_recipe_is_refused(fake_cli, tmp_path, capsys):
    quality = fake_cli["quality"]
    code = quality.main(["--recipes", "nope", "--output", str(tmp_path / "q")])
    assert code == 2
    err = capsys.readouterr().err
    assert "unknown recipe 'nope'" in err and "sentiment-sst2-lstm" in err


def test_render_shows_the_quality_table(fake_cli, tmp_path):
    quality = fake_cli["quality"]
    results = tmp_path / "results"
    out = results / "quality.json"
    names = "sentiment-sst2-lstm,generation-ptb-transformer"
    assert quality.main(["--recipes", names, "--output", str(out)]) == 0
    render = load_script("render")
    output = tmp_path / "BENCHMARKS.md"
    args = ["--results", str(results), "--output", str(output)]
    assert render.main(args) == 0
    text = output.read_text()
    assert "## Model quality" in text
    header = (
        "| task | dataset | backbone | metric | model | baseline | "
        "reference | train s | params | command |"
    )
    assert header in text
    assert (
        "| sentiment | sst2 | lstm | accuracy ↑ (test) | 0.5 | "
        "tfidf-1-2gram+logreg 0.8 | TF-IDF + LR (data README) 0.813; "
    ) in text
    assert "| word_perplexity ↓ (validation) | 100 |" in text
    assert "`python -m nlptoolkit.tasks.generation train --recipe " in text
    assert render.main(args + ["--check"]) == 0


def test_real_quick_run_through_the_cli(monkeypatch, tmp_path):
    """One recipe, really trained (tiny), through the real CLI: the
    command `quality.py` would start as a subprocess runs here, the
    task's CLI `main` on the same arguments from the same folder (a
    second process would import TensorFlow again)."""
    quality = load_script("quality")
    calls = []

    def run_cli(argv, cwd):
        assert argv[0] == "-m" and cwd == str(ROOT)
        calls.append(argv)
        monkeypatch.chdir(cwd)
        main = importlib.import_module(f"{argv[1]}.__main__").main
        try:
            return main(argv[2:])
        except SystemExit as exit_:
            return exit_.code

    monkeypatch.setattr(quality, "run_cli", run_cli)
    tiny = "--max-examples 300 --epochs 1 --hidden-dim 8 --vocabulary-size 300"
    monkeypatch.setitem(quality.QUICK, "classification", tiny.split())
    out = tmp_path / "quality.json"
    name = "classification-trec-lstm"
    args = ["--quick", "--recipes", name, "--output", str(out)]
    assert quality.main(args) == 0
    assert [argv[1] for argv in calls] == ["nlptoolkit.tasks.classification"]
    row = rows_of(out)[name]
    assert row["command"].endswith(f"tasks/{name}.json {tiny}")
    assert 0 <= row["model"] <= 1 and 0 <= row["baseline_score"] <= 1
    assert row["num_parameters"] > 0 and row["train_seconds"] > 0
    assert row["epochs_run"] == 1 and row["manifest"]["run"]["seed"] == 0
