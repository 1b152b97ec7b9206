"""Smoke test of `benchmarks/pretrained_summarization.py` at toy sizes:
the three arms run side by side and the file renders."""

import json
import pathlib

from helpers import load_script

BENCHMARKS = pathlib.Path(__file__).resolve().parents[2] / "benchmarks"


def test_three_arms_side_by_side_and_render(tmp_path):
    output = tmp_path / "results" / "pretrained_summarization.json"
    script = load_script("pretrained_summarization")
    sizes = ["--hidden-dim", "8", "--num-layers", "1", "--num-heads", "2"]
    sizes += ["--new-tokens", "4", "--sequence-length", "16", "--repeats", "1"]
    assert script.main(["--quick", "--output", str(output), *sizes]) == 0
    payload = json.loads(output.read_text())
    arms = [row["arm"] for row in payload["rows"]]
    assert arms == [
        "nlptoolkit fused",
        "nlptoolkit stepwise",
        "keras-hub generate",
    ]
    for row in payload["rows"]:
        assert row["batch_size"] == 1 and row["new_tokens"] == 4
        assert row["tokens_per_second"] > 0 and row["warmup_seconds"] > 0
    assert payload["rows"][2]["vs_keras_hub"] == 1.0
    render = load_script("render")
    page = tmp_path / "BENCHMARKS.md"
    render.main(["--results", str(output.parent), "--output", str(page)])
    text = page.read_text()
    assert "keras-hub generate" in text and "nlptoolkit fused" in text
