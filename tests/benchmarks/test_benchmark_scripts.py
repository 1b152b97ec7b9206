"""Smoke test of the benchmark scripts with tiny settings.

Runs `benchmarks/clock.py` and `benchmarks/generation_speed.py` in process
with a one-layer, 16-wide model and a few positions, then renders
`BENCHMARKS.md` from their JSON into a temporary folder.

Nearly all of the time goes to tracing and XLA-compiling decode loops,
once per loop, backbone and token-array shape, so the clock's settings
make its sections share shapes: every run is 8 + 16 = 24 tokens wide
(the 16-token primer's width) wherever the section allows it, and the
past-the-context section reuses the other sections' generators.
"""

import json
import pathlib

import pytest
from helpers import load_script

BENCHMARKS = pathlib.Path(__file__).resolve().parents[2] / "benchmarks"
TINY = [
    "--quick",
    "--hidden-dim",
    "16",
    "--intermediate-dim",
    "32",
    "--num-layers",
    "1",
    "--num-heads",
    "2",
    "--batch-sizes",
    "1,2",
    "--fit-seconds",
    "0.1",
    "--corpus-chars",
    "3000",
]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    clock = load_script("clock")
    clock.main(
        TINY
        + [
            "--output",
            str(out),
            # Up to position 21 + window 2: the measured runs generate
            # 21 + 2 - 7 = 16 tokens, as the primer does, so one XLA
            # compile per backbone and batch serves both.
            "--max-position",
            "21",
            "--positions",
            "16,21",
            "--window",
            "2",
            "--curve-repeats",
            "1",
            "--uncached-probe-batches",
            "2",
            "--overhead-pairs",
            "1",
            "--overhead-length",
            "16",
            "--fused-repeats",
            "1",
            "--fused-length",
            "16",
            # Past the context on the tiny model (the full run uses the 4 x
            # 128 generator users train, 60 and 500 tokens). A context of
            # 24 for every section: the past-the-context section reuses
            # these generators, and its 17-token run ("ROMEO:" + [BOS] +
            # 17 = 24 wide) their compiled loops; 40 tokens run past it.
            "--sequence-length",
            "24",
            "--past-sizes",
            "same",
            "--past-context",
            "24",
            "--past-lengths",
            "17,40",
        ]
    )
    speed = load_script("generation_speed")
    speed.main(
        TINY + ["--output", str(out), "--new-tokens", "4", "--repeats", "1"]
    )
    return out


def test_clock_json_has_every_section(results):
    payload = json.loads((results / "clock.json").read_text())
    assert payload["benchmark"] == "clock"
    assert payload["command"].startswith("python ")
    manifest = payload["manifest"]
    for key in ("date", "cpu_count", "threads", "seed", "versions"):
        assert key in manifest
    labels = {row["configuration"] for row in payload["rows"]}
    assert labels == {
        f"{b}/{d}/b{n}"
        for b in ("lstm", "transformer")
        for d in ("stepwise", "uncached")
        for n in (1, 2)
    }
    for row in payload["rows"]:
        assert row["step_ms@16"] > 0 and row["step_ms@21"] > 0
        assert row["complete"]
        expected = (
            "probe"
            if row["batch_size"] == 2 and not row["cache"]
            else ("continuous")
        )
        assert row["method"] == expected
    assert len(payload["overhead"]) == 2
    assert len(payload["fused_vs_clocked"]) == 4
    for item in payload["honesty"]:
        assert 0 < item["median_cycle_sum_over_wall"] <= 1.0
    assert set(payload["acceptance"]) >= {
        "cached_flat_within_1.3x",
        "clock_overhead_le_2pct",
        "cycle_sum_within_5pct_of_wall",
    }
    past = payload["past_context"]
    assert {(r["backbone"], r["max_length"]) for r in past} == {
        (b, n) for b in ("lstm", "transformer") for n in (17, 40)
    }
    for row in past:
        assert row["context"] == 24 and row["paths_identical"]
        if row["backbone"] == "transformer":
            assert row["reference_identical"]
            if row["max_length"] == 40:
                assert row["stepwise_reprefill_cycles"] > 0
    assert (results / "clock.png").stat().st_size > 0


def test_generation_speed_json(results):
    payload = json.loads((results / "generation_speed.json").read_text())
    assert payload["benchmark"] == "generation_speed"
    variants = {(r["batch_size"], r["variant"]) for r in payload["rows"]}
    assert variants == {
        (n, v)
        for n in (1, 2)
        for v in (
            "gpt2",
            "gpt2_xla",
            "fused",
            "fused_nojit",
            "stepwise",
            "fused_ids",
        )
    }
    assert all(r["complete"] for r in payload["rows"])
    assert [r["batch_size"] for r in payload["ratios"]] == [1, 2]
    for ratio in payload["ratios"]:
        assert ratio["greedy_text_identical"]
        assert ratio["gpt2_xla_tokens_identical"]
        assert ratio["fused_first_call_s"] > 0


def test_render_writes_every_section(results, tmp_path):
    other = {
        "benchmark": "classification",
        "command": "python benchmarks/classification.py",
        "manifest": {"date": "2026-01-01"},
        "rows": [{"dataset": "imdb", "model": "tfidf", "accuracy": 0.906}],
    }
    (results / "classification.json").write_text(json.dumps(other))
    (results / "not_a_result.json").write_text(json.dumps({"cycles": []}))
    render = load_script("render")
    output = tmp_path / "BENCHMARKS.md"
    args = ["--results", str(results), "--output", str(output)]
    assert render.main(args) == 0
    text = output.read_text()
    assert "## Inference clock" in text
    assert "## Generation speed" in text
    assert "## Classification" in text
    assert "| imdb | tfidf | 0.906 |" in text
    assert "clock.png" in text
    assert "python benchmarks/clock.py" in text
    assert render.main(args + ["--check"]) == 0


def test_render_without_results(tmp_path):
    render = load_script("render")
    output = tmp_path / "BENCHMARKS.md"
    render.main(["--results", str(tmp_path), "--output", str(output)])
    assert "No results yet" in output.read_text()
