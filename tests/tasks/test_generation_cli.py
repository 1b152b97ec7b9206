import json
import os
import subprocess
import sys

import pytest
from helpers import run_cli_captured


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "nlptoolkit.tasks.generation", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=300,
    )


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """``train`` as users run it (a subprocess): a Transformer of 16
    positions, which the tests below also generate past."""
    folder = tmp_path_factory.mktemp("cli")
    corpus = folder / "corpus.txt"
    corpus.write_text("to be or not to be, that is the question.\n" * 60)
    out = folder / "run"
    result = run_cli(
        "train",
        "--train-file",
        str(corpus),
        "--test-file",
        str(corpus),
        "--epochs",
        "1",
        "--hidden-dim",
        "8",
        "--num-layers",
        "1",
        "--sequence-length",
        "16",
        "--output",
        str(out),
    )
    return result, out


def test_train_then_generate_with_stream_and_clock(
    trained_run, tmp_path, capsys
):
    result, out = trained_run
    assert result.returncode == 0, result.stderr[-2000:]
    names = {p.name for p in out.iterdir()}
    assert {
        "model.keras",
        "metrics.json",
        "history.csv",
        "learning_curves.png",
        "samples.txt",
    } <= names
    # Samples go on from the opening words of the held-out text, not
    # from Tiny Shakespeare's "ROMEO:".
    samples = (out / "samples.txt").read_text().split("\n\n-----\n\n")
    assert samples[0].startswith("to be or")
    metrics = json.loads((out / "metrics.json").read_text())
    for key in (
        "loss",
        "perplexity",
        "bits_per_char",
        "train_seconds",
        "baseline_loss",
        "baseline_perplexity",
    ):
        assert key in metrics

    # The other verbs in this process: the subprocess above already
    # checked the real entry point, and each TensorFlow start costs ~10 s.
    from nlptoolkit.tasks.generation.__main__ import main

    model = str(out / "model.keras")
    clock = tmp_path / "clock"
    code, printed, err = run_cli_captured(
        "generation",
        ["generate", "--model", model, "--prompt", "to be",
         "--max-length", "8", "--stream", "--seed", "1",
         "--no-repeat-ngram-size", "2", "--clock", str(clock)],
        capsys,
    )  # fmt: skip
    assert code == 0, err[-2000:]
    assert printed.startswith("to be")
    assert (clock / "clock.csv").exists() and (clock / "clock.png").exists()

    code, _, err = run_cli_captured(
        "generation",
        ["generate", "--model", model, "--sampler", "nope"],
        capsys,
    )
    assert code == 2 and "top_k" in err and "Traceback" not in err

    # Beam search with its options.
    beam = ["--sampler", "beam", "--num-beams", "2", "--max-length", "6"]
    beam += ["--length-penalty", "0", "--no-repeat-ngram-size", "2"]
    assert main(["generate", "--model", model, "--prompt", "to be", *beam]) == 0
    assert capsys.readouterr().out.startswith("to be")
    assert main(["generate", "--model", model, "--length-penalty", "1"]) == 2
    assert "beam search" in capsys.readouterr().err


def test_sample_prompts_follow_the_dataset():
    from nlptoolkit.tasks.generation import __main__ as generation_cli

    lines = [f"line {i} of the news wire" for i in range(9)]
    assert generation_cli.sample_prompts("ptb", ["\n".join(lines)]) == [
        "line 0 of",
        "line 3 of",
        "line 6 of",
    ]
    shakespeare = generation_cli.sample_prompts("tiny_shakespeare", ["x"])
    assert shakespeare == generation_cli.SAMPLE_PROMPTS
    # Nothing to take words from: the fixed prompts.
    assert generation_cli.sample_prompts("mine.txt", [" \n\n"]) == (
        generation_cli.SAMPLE_PROMPTS
    )


def test_generate_past_the_context_on_the_cli(trained_run, capsys):
    """`generate --max-length` beyond the model's context works (issue
    21): a 16-context Transformer writes 40 characters, in-process."""
    import nlptoolkit
    from nlptoolkit.tasks.generation.__main__ import main

    result, out = trained_run
    assert result.returncode == 0, result.stderr[-2000:]
    model = str(out / "model.keras")
    generator = nlptoolkit.load(model)
    assert generator.backbone_name == "transformer"
    assert generator.params["sequence_length"] == 16
    capsys.readouterr()
    args = ["generate", "--model", model, "--prompt", "to be"]
    args += ["--sampler", "greedy"]
    for decode in ("fused", "stepwise"):
        code = main([*args, "--max-length", "40", "--decode", decode])
        assert code == 0, capsys.readouterr().err
        text = capsys.readouterr().out.strip()
        expected = generator.generate(["to be"], max_length=40)[0]
        assert text == expected.strip() and len(text) > 16
