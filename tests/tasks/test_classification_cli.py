"""The CLIs on small real data: each one once as users run it (a
subprocess: sentiment's train, classification's user error), the other
calls through the same ``main`` in this process (each TensorFlow start
costs ~10 s)."""

import json
import os
import subprocess
import sys

import pytest
from helpers import run_cli_captured
from helpers import run_cli_in_process

FAST = [
    "--max-examples",
    "150",
    "--epochs",
    "1",
    "--hidden-dim",
    "8",
    "--vocabulary-size",
    "300",
]


def run_cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=300,
    )


def test_sentiment_train_evaluate_predict_on_sst2(tmp_path, capsys):
    out = tmp_path / "run"
    result = run_cli(
        "nlptoolkit.tasks.sentiment",
        "train",
        "--dataset",
        "sst2",
        *FAST,
        "--output",
        str(out),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "tfidf+logreg" in result.stdout
    names = {p.name for p in out.iterdir()}
    assert {
        "model.keras",
        "metrics.json",
        "history.csv",
        "learning_curves.png",
        "confusion_matrix.png",
    } <= names
    metrics = json.loads((out / "metrics.json").read_text())
    for key in (
        "accuracy",
        "macro_f1",
        "baseline_accuracy",
        "train_seconds",
        "dataset",
        "backbone",
        "seed",
    ):
        assert key in metrics
    assert metrics["dataset"] == "sst2"
    assert 0.0 <= metrics["accuracy"] <= 1.0

    # The other verbs in this process: the subprocess above already
    # checked the real entry point.
    clock_dir = tmp_path / "clock"
    code, printed, err = run_cli_captured(
        "sentiment",
        [
            "predict",
            "--model",
            str(out / "model.keras"),
            "a wonderful film",
            "awful",
            "--batch-size",
            "1",
            "--clock",
            str(clock_dir),
        ],
        capsys,
    )
    assert code == 0, err[-2000:]
    assert {p.name for p in clock_dir.iterdir()} == {
        "clock.csv",
        "clock.json",
        "clock.png",
    }
    assert "cycles" in err
    lines = printed.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].split("\t")[0] in ("negative", "positive")

    code, printed, err = run_cli_captured(
        "sentiment",
        [
            "evaluate",
            "--model",
            str(out / "model.keras"),
            "--dataset",
            "sst2",
            "--max-examples",
            "50",
        ],
        capsys,
    )
    assert code == 0, err[-2000:]
    assert "accuracy" in printed


def test_classification_trains_from_own_csv(tmp_path, capsys):
    rows = ["question,kind"]
    for i in range(30):
        rows.append(f"where is city {i},LOC")
        rows.append(f"who is person {i},HUM")
    path = tmp_path / "qs.csv"
    path.write_text("\n".join(rows) + "\n")
    out = tmp_path / "run"
    code, _, err = run_cli_captured(
        "classification",
        [
            "train",
            "--train-file",
            str(path),
            "--test-file",
            str(path),
            "--text-column",
            "question",
            "--label-column",
            "kind",
            "--epochs",
            "2",
            "--hidden-dim",
            "8",
            "--output",
            str(out),
        ],
        capsys,
    )
    assert code == 0, err[-2000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["label_names"] == ["HUM", "LOC"]


@pytest.mark.parametrize(
    "args, match, in_process",
    [
        (["train", "--dataset", "nope"], "nope", False),
        (
            ["train", "--train-file", "missing.csv", "--test-file", "x.csv"],
            "missing.csv",
            True,
        ),
        (["predict", "--model", "missing.keras", "hi"], "missing.keras", True),
    ],
)
def test_user_errors_exit_2_with_one_line(
    args, match, in_process, tmp_path, monkeypatch, capsys
):
    """One case as a real process; the others through the same ``main``
    in this process (a TensorFlow import saved per case)."""
    out = tmp_path / "never"
    argv = [*args, *(["--output", str(out)] if args[0] == "train" else [])]
    if in_process:
        monkeypatch.chdir(tmp_path)
        returncode, lines = run_cli_in_process("classification", argv, capsys)
    else:
        result = run_cli("nlptoolkit.tasks.classification", *argv, cwd=tmp_path)
        returncode = result.returncode
        lines = result.stderr.strip().splitlines()
    stderr = "\n".join(lines)
    assert returncode == 2
    assert match in stderr
    assert "Traceback" not in stderr
    assert len(lines) == 1
    assert not out.exists()


def test_failed_train_leaves_no_output_dir(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nonly one class,a\nagain,a\n")
    out = tmp_path / "run"
    code, _ = run_cli_in_process(
        "classification",
        [
            "train",
            "--train-file",
            str(bad),
            "--test-file",
            str(bad),
            "--output",
            str(out),
        ],
        capsys,
    )
    assert code == 2
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".run")]
