"""Smoke test of `benchmarks/pretrained_generation.py` on a tiny GPT-2
preset the test writes: every variant runs (one batch size: each
compiles per shape), greedy text matches keras-hub's, and the ratios are
recorded; the renderer shows the ratio table."""

import json
import pathlib

import pytest
from helpers import load_script
from presets import write_keras_hub_gpt2

BENCHMARKS = pathlib.Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.mark.slow  # About 100 s on the shared CPU: five compiled loops.
def test_every_variant_runs_and_matches_keras_hub(tmp_path):
    folder = write_keras_hub_gpt2(tmp_path / "gpt2")
    output = tmp_path / "results" / "pretrained_generation.json"
    script = load_script("pretrained_generation")
    argv = ["--output", str(output), "--folder", folder, "--quick"]
    argv += ["--batch-sizes", "2", "--new-tokens", "4", "--repeats", "1"]
    assert script.main(argv) == 0
    payload = json.loads(output.read_text())
    variants = {(r["batch_size"], r["variant"]) for r in payload["rows"]}
    assert variants == {(2, v) for v in script.VARIANTS}
    assert all(r["tokens_per_second"] > 0 for r in payload["rows"])
    assert all(r["tokens"] == r["batch_size"] * 4 for r in payload["rows"])
    for check in payload["checks"]:
        assert all(check["same_text_as_keras_hub"].values()), check
        assert check["rows_reaching_the_end_token"] == 0
    assert [r["batch_size"] for r in payload["ratios"]] == [2]
    assert payload["ratios"][0]["fused_over_keras_hub"] > 0
    render = load_script("render")
    page = tmp_path / "BENCHMARKS.md"
    render.main(["--results", str(output.parent), "--output", str(page)])
    assert "Ratio to keras-hub's CausalLM.generate" in page.read_text()
