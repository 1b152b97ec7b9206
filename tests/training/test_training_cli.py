"""The classification CLI's training options, run in-process on a CSV."""

import json

from nlptoolkit.tasks.classification.__main__ import main


def _write_csv(path):
    rows = ["question,kind"]
    for i in range(30):
        rows.append(f"where is city {i},LOC")
        rows.append(f"who is person {i},HUM")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_find_lr_tensorboard_and_top_losses(tmp_path, capsys):
    data = _write_csv(tmp_path / "qs.csv")
    out = tmp_path / "run"
    common = ["--text-column", "question", "--label-column", "kind"]
    code = main(
        [
            "train",
            "--train-file",
            str(data),
            "--test-file",
            str(data),
            *common,
            "--epochs",
            "2",
            "--hidden-dim",
            "8",
            "--vocabulary-size",
            "64",
            "--batch-size",
            "8",
            "--find-lr",
            "--tensorboard",
            str(tmp_path / "tb"),
            "--output",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "lr finder: suggested learning rate" in printed
    assert {"lr_finder.png", "lr_finder.csv", "model.keras"} <= {
        p.name for p in out.iterdir()
    }
    assert list((tmp_path / "tb" / "train").glob("events.out.*"))
    metrics = json.loads((out / "metrics.json").read_text())
    suggestion = metrics["lr_finder"]["suggestion"]
    assert metrics["training"]["learning_rate"] == suggestion
    assert metrics["training"]["optimizer"] == "AdamW"
    assert metrics["training"]["schedule"] == "cosine"
    assert metrics["training"]["early_stopping"] is True

    code = main(
        [
            "evaluate",
            "--model",
            str(out / "model.keras"),
            "--test-file",
            str(data),
            *common,
            "--top-k",
            "5",
        ]
    )
    assert code == 0
    lines = (out / "top_losses.csv").read_text().strip().splitlines()
    assert lines[0] == "row,text,true,predicted,loss,probability"
    assert len(lines) == 6


def test_find_lr_with_learning_rate_is_a_user_error(tmp_path, capsys):
    data = _write_csv(tmp_path / "qs.csv")
    code = main(
        [
            "train",
            "--train-file",
            str(data),
            "--test-file",
            str(data),
            "--text-column",
            "question",
            "--label-column",
            "kind",
            "--find-lr",
            "--learning-rate",
            "1e-3",
            "--output",
            str(tmp_path / "never"),
        ]
    )
    assert code == 2
    assert "--find-lr" in capsys.readouterr().err
    assert not (tmp_path / "never").exists()
