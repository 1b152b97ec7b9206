"""Smoke test of `benchmarks/defaults.py` without training: the commands
it runs, how it reads a run's `metrics.json` into a row, how rows merge,
and how `benchmarks/render.py` shows them."""

import json
import pathlib

from helpers import load_script

BENCHMARKS = pathlib.Path(__file__).resolve().parents[2] / "benchmarks"


def test_dry_run_lists_each_no_argument_train(capsys):
    defaults = load_script("defaults")
    assert defaults.main(["--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"python -m nlptoolkit.tasks.{task} train --output '<tmp>/{task}'"
        for task in (
            "classification",
            "sentiment",
            "summarization",
            "generation",
        )
    ]


def _fake_call(metrics, log_lines):
    """A stand-in for ``subprocess.call``: writes what a run writes."""

    def call(argv, stdout, **kwargs):
        output = pathlib.Path(argv[argv.index("--output") + 1])
        output.mkdir(parents=True)
        (output / "metrics.json").write_text(json.dumps(metrics))
        stdout.write("\n".join(log_lines) + "\n")
        return 0

    return call


def test_a_run_becomes_a_row_and_the_results_render(tmp_path, monkeypatch):
    defaults = load_script("defaults")
    metrics = {
        "loss": 2.1,
        "baseline_loss": 1.52,
        "baseline": "7-gram Kneser-Ney (char)",
        "dataset": "tiny_shakespeare",
        "backbone": "transformer",
        "train_seconds": 300.2,
        "epochs_run": 3,
    }
    log = ["note: this default run ...", "Epoch 1/100", "note: later"]
    monkeypatch.setattr(defaults.subprocess, "call", _fake_call(metrics, log))
    results = tmp_path / "results"
    out = results / "defaults.json"
    assert defaults.main(["--tasks", "generation", "--output", str(out)]) == 0
    payload = json.loads(out.read_text())
    (row,) = payload["rows"]
    assert row["command"] == "python -m nlptoolkit.tasks.generation train"
    assert row["metric"] == "loss" and row["higher_is_better"] is False
    assert row["model"] == 2.1 and row["baseline_score"] == 1.52
    assert row["beats"] is False  # a higher loss loses
    # Only the note lines logged before the first epoch line count.
    assert row["notice"] == ["note: this default run ..."]
    assert payload["manifest"]["load_average_at_start"]

    render = load_script("render")
    text = render.render(results, tmp_path / "BENCHMARKS.md")
    assert "## First runs" in text
    assert "| generation | `python -m nlptoolkit.tasks.generation train` |" in (
        text
    )
    assert "note before training" in text and "| no | " in text


def test_a_quick_row_never_replaces_a_full_one():
    defaults = load_script("defaults")
    full = {"task": "sentiment", "quick": False, "model": 0.8}
    quick = {"task": "sentiment", "quick": True, "model": 0.5}
    other = {"task": "classification", "quick": False, "model": 0.9}
    merged = defaults.merge_rows([full], [quick, other])
    assert merged == [other, full]
    assert defaults.merge_rows([quick], [full]) == [full]
