"""A task's no-argument ``train`` says, before training, what it scores
against its baseline and which run beats it (issue 22, item 3); the
figures in ``cli.DEFAULT_RUNS`` are those of the results files they cite.
"""

import json
import logging
import math
import pathlib

import pandas as pd
import pytest

import nlptoolkit
from nlptoolkit import cli
from nlptoolkit import datasets

RESULTS = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "results"
CLASSES = {
    "classification": nlptoolkit.TextClassifier,
    "sentiment": nlptoolkit.SentimentClassifier,
    "summarization": nlptoolkit.Summarizer,
    "generation": nlptoolkit.TextGenerator,
}


class _Started(Exception):
    """Raised by the stub ``fit``: training would start here."""


def _tiny_load(name, split="train", max_examples=None, **kwargs):
    """Four rows in the default dataset's layout, no file read."""
    if name == "dialogsum":
        return pd.DataFrame(
            {
                "document": ["#Person1#: hi there. #Person2#: hello."] * 4,
                "summary": ["they greet each other."] * 4,
            }
        )
    if name == "tiny_shakespeare":
        return pd.DataFrame({"text": ["ROMEO:\nWhat light is this?\n"]})
    return pd.DataFrame(
        {"text": ["a good film", "a bad film"] * 2, "label": [1, 0] * 2}
    )


def _run_until_fit(task, argv, monkeypatch, caplog, tmp_path):
    """Run ``python -m nlptoolkit.tasks.<task> argv`` in process on tiny
    stand-in data, stopping when ``fit`` is called; returns the log text
    recorded by then."""
    import importlib

    seen = {}

    def fit(self, *args, **kwargs):
        seen["log"] = "\n".join(caplog.messages)
        raise _Started

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(datasets, "load", _tiny_load)
    monkeypatch.setattr(CLASSES[task], "fit", fit)
    main = importlib.import_module(f"nlptoolkit.tasks.{task}.__main__").main
    caplog.set_level(logging.INFO, logger="nlptoolkit")
    with pytest.raises(_Started):
        main(argv)
    return seen["log"]


@pytest.mark.parametrize("task", ["sentiment", "summarization", "generation"])
def test_no_argument_train_logs_the_notice_before_training(
    task, monkeypatch, caplog, tmp_path
):
    log = _run_until_fit(task, [], monkeypatch, caplog, tmp_path)
    notice = cli.default_run_notice(task)
    assert notice is not None
    lines = [line for line in log.splitlines() if line.startswith("note:")]
    assert lines, log
    text = "\n".join(lines)
    command = DEFAULT_COMMANDS[task]
    assert command in text
    assert "does not beat its baseline" in text
    # The command is on a line of its own, ready to copy.
    assert f"note:   {command}" in lines


DEFAULT_COMMANDS = {
    task: entry["better"]["command"]
    for task, entry in cli.DEFAULT_RUNS.items()
    if "better" in entry
}


@pytest.mark.parametrize(
    "task, argv",
    [
        ("classification", []),  # its default beats TF-IDF: no note
        ("summarization", ["train", "--max-minutes", "30"]),
        ("generation", ["train", "--backbone", "lstm"]),
        ("sentiment", ["train", "--epochs", "2"]),
    ],
)
def test_no_notice_when_default_beats_or_options_are_given(
    task, argv, monkeypatch, caplog, tmp_path
):
    log = _run_until_fit(task, argv, monkeypatch, caplog, tmp_path)
    assert "note:" not in log


def test_where_the_run_writes_and_the_seed_keep_it_a_default_run(
    monkeypatch, caplog, tmp_path
):
    argv = ["train", "--output", str(tmp_path / "out"), "--seed", "3"]
    log = _run_until_fit("summarization", argv, monkeypatch, caplog, tmp_path)
    assert "note:   " + DEFAULT_COMMANDS["summarization"] in log


def _close(shown, measured):
    """``shown`` is ``measured`` to the digits it shows."""
    text = f"{shown:g}"
    decimals = len(text.split(".")[1]) if "." in text else 0
    return math.isclose(
        shown, round(measured, decimals), abs_tol=10**-decimals / 2 + 1e-9
    )


def _figures():
    for task, entry in cli.DEFAULT_RUNS.items():
        for kind, figures in entry.items():
            yield task, kind, figures


@pytest.mark.parametrize(
    "task, kind, figures",
    list(_figures()),
    ids=[f"{t}-{k}" for t, k, _ in _figures()],
)
def test_figures_are_those_of_the_results_file_they_cite(task, kind, figures):
    name, row_id = figures["source"]
    path = RESULTS / name
    if not path.exists():
        # Not measured yet: the note must not state a figure.
        assert figures["score"] is None and figures.get("train_seconds") is None
        return
    rows = json.loads(path.read_text(encoding="utf-8"))["rows"]
    key = "task" if name == "defaults.json" else "recipe"
    if name == "pretrained.json":  # Rows of benchmarks/pretrained.py.
        key = "id"
        rows = [
            {**r, "model": r["accuracy"], "baseline_score": r["tfidf"]}
            for r in rows
        ]
    matches = [row for row in rows if row.get(key) == row_id]
    if figures["score"] is None:
        assert not matches or name != "defaults.json", (
            f"{name} has a row for {row_id}: put its figures in "
            "cli.DEFAULT_RUNS"
        )
        return
    assert len(matches) == 1, f"{name} has no row {key}={row_id!r}"
    row = matches[0]
    assert _close(figures["score"], row["model"])
    assert _close(figures["baseline_score"], row["baseline_score"])
    if figures.get("train_seconds") is not None:
        assert abs(figures["train_seconds"] - row["train_seconds"]) < 1
    if name == "defaults.json":
        # The note is logged exactly when the default loses.
        assert row["beats"] == ("better" not in cli.DEFAULT_RUNS[task])
        assert not row.get("quick")
    if kind == "better":
        higher = row.get("higher_is_better", True)
        beats = row["model"] > row["baseline_score"]
        assert beats == higher


def test_the_note_is_logged_exactly_when_the_recorded_default_loses():
    path = RESULTS / "defaults.json"
    if not path.exists():
        pytest.skip("benchmarks/results/defaults.json not written yet")
    rows = json.loads(path.read_text(encoding="utf-8"))["rows"]
    assert rows
    for row in rows:
        notice = cli.default_run_notice(row["task"])
        assert row["beats"] == (notice is None), row["task"]
