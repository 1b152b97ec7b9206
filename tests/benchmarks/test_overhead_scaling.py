"""Smoke test of `benchmarks/overhead.py` and `benchmarks/scaling.py`.

Runs both in process with tiny models (8-16 wide, one layer), a few
hundred SST-2 rows and two short sequence lengths, then renders their
JSON into a temporary `BENCHMARKS.md`. Checks the JSON shape, the
fairness checks that do not depend on timing (same outputs, no trace
while measuring) and the rendered sections, not the figures.
"""

import json
import pathlib

import pytest
from helpers import load_script

BENCHMARKS = pathlib.Path(__file__).resolve().parents[2] / "benchmarks"

OVERHEAD_TINY = [
    "--quick",
    "--rows",
    "160",
    "--vocabulary-size",
    "200",
    "--hidden-dim",
    "8",
    "--intermediate-dim",
    "16",
    "--num-heads",
    "2",
    "--fit-rounds",
    "2",
    "--retraced-rounds",
    "1",
    "--predict-rounds",
    "2",
    "--warmup-calls",
    "1",
    # Batches that divide the 160 rows and the 144 the default arm trains
    # on (it holds out 16): no arm traces its step again for a last,
    # smaller batch.
    "--batch-size",
    "16",
    "--predict-batch-size",
    "32",
]
SCALING_TINY = [
    "--quick",
    "--lengths",
    "24,48",
    "--repeats",
    "1",
    "--warmup-calls",
    "1",
    "--batch-size",
    "2",
    "--new-tokens",
    "4",
    "--hidden-dim",
    "16",
    "--intermediate-dim",
    "32",
    "--num-layers",
    "1",
    "--num-heads",
    "2",
    "--fit-seconds",
    "0.1",
    "--corpus-chars",
    "20000",
    "--classifier-rows",
    "32",
]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    load_script("overhead").main(OVERHEAD_TINY + ["--output", str(out)])
    load_script("scaling").main(SCALING_TINY + ["--output", str(out)])
    return out


def test_overhead_json(results):
    payload = json.loads((results / "overhead.json").read_text())
    assert payload["benchmark"] == "overhead"
    assert payload["command"].startswith("python benchmarks/overhead.py")
    manifest = payload["manifest"]
    for key in ("date", "cpu_model", "threads", "seed", "versions"):
        assert key in manifest
    dataset = manifest["dataset"]
    assert dataset["name"] == "sst2" and dataset["rows"] == 160
    assert len(dataset["texts_sha256"]) == 64
    assert len(dataset["file_sha256"]) == 64
    levels = {(r["backbone"], r["verb"], r["level"]) for r in payload["rows"]}
    assert levels == {
        (backbone, verb, level)
        for backbone in ("lstm", "transformer")
        for verb, level in (
            ("fit", "model"),
            ("fit", "end-to-end"),
            ("fit", "default"),
            ("fit", "re-traced"),
            ("predict", "model"),
            ("predict", "end-to-end"),
        )
    }
    for row in payload["rows"]:
        assert row["ratio"] > 0 and row["cpu_ratio"] > 0
        assert row["nlptoolkit_samples_per_s"] > 0
        assert row["rows"] == 160
        expected_rounds = 1 if row["level"] == "re-traced" else 2
        assert row["rounds"] == expected_rounds
        assert len(row["nlptoolkit_s"]) == len(row["plain_s"])
        if row["level"] in ("model", "end-to-end"):
            assert isinstance(row["meets_target"], bool)
    for model in manifest["models"]:
        # The plain model is the same function as the classifier's ...
        assert model["same_weight_shapes"] and model["same_outputs"]
        assert model["parameters"] == model["plain_parameters"]
        # ... and no measured call traced its train step again.
        assert model["train_step_traces_while_measured"] == {
            "nlptoolkit": 0,
            "plain": 0,
        }
    assert payload["acceptance"]["same_outputs"] is True
    assert payload["acceptance"]["no_trace_while_measured"] is True


def test_scaling_json_and_plot(results):
    payload = json.loads((results / "scaling.json").read_text())
    assert payload["benchmark"] == "scaling"
    keys = {(r["backbone"], r["sequence_length"]) for r in payload["rows"]}
    assert keys == {(b, n) for b in ("lstm", "transformer") for n in (24, 48)}
    for row in payload["rows"]:
        for key in (
            "train_lm_step_s",
            "train_lm_us_per_token",
            "train_clf_step_s",
            "decode_step_ms",
            "decode_prefill_ms",
            "predict_batch_ms",
        ):
            assert row[key] > 0, key
        assert row["complete"]
        assert row["decode_steps_per_call"] == 3
        # The prompt and new tokens fill the sequence: L - 4 prompt tokens.
        assert row["decode_prompt_length"] == row["sequence_length"] - 4
        assert row["decode_warmup_cycles"] == 0
    metrics = {e["metric"] for e in payload["exponents"]}
    assert "decode_step_ms" in metrics and "train_lm_step_s" in metrics
    assert [r["sequence_length"] for r in payload["transformer_over_lstm"]] == [
        24,
        48,
    ]
    assert payload["manifest"]["text"]["corpus_chars"] == 20000
    assert (results / payload["plot"]).stat().st_size > 0


def test_render_overhead_and_scaling(results, tmp_path):
    render = load_script("render")
    output = tmp_path / "BENCHMARKS.md"
    args = ["--results", str(results), "--output", str(output)]
    assert render.main(args) == 0
    text = output.read_text()
    assert "## Overhead: nlptoolkit vs the same model in plain Keras" in text
    assert "### nlptoolkit / plain Keras" in text
    assert "| lstm | fit | model |" in text
    assert "| transformer | predict | end-to-end |" in text
    assert "- same_outputs: pass" in text
    assert "sha256" in text
    assert "## Scaling: time against sequence length" in text
    assert "| lstm | 24 |" in text and "| transformer | 48 |" in text
    assert "### Growth exponent" in text
    assert "scaling.png" in text
    assert "Definitions:" in text
    assert text.index("## Overhead") < text.index("## Scaling")
    assert render.main(args + ["--check"]) == 0
