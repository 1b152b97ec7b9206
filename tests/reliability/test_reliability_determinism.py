"""Determinism: the same seed gives the same metrics and the same sampled
text; every CLI's ``metrics.json`` manifest records what made it."""

import hashlib
import json
import zipfile

import numpy as np
from helpers import TOY_LABELS
from helpers import TOY_TEXTS

import nlptoolkit
from nlptoolkit import cli
from nlptoolkit.fingerprint import texts_sha256
from nlptoolkit.tasks.task import op_determinism_enabled

CORPUS = "the quick brown fox jumps over the lazy dog. " * 10
PROMPTS = ["to be", "", "that is"]


def test_same_seed_same_metrics_classifier(
    tiny_transformer_classifier, transformer_classifier_recipe
):
    """A second training with the same seed (the shared fixture is the
    first) gives the same history, metrics and probabilities."""
    first = tiny_transformer_classifier
    second = transformer_classifier_recipe()
    assert op_determinism_enabled()
    assert first.history.history == second.history.history
    assert first.evaluate(TOY_TEXTS, TOY_LABELS) == second.evaluate(
        TOY_TEXTS, TOY_LABELS
    )
    np.testing.assert_array_equal(
        first.predict(TOY_TEXTS), second.predict(TOY_TEXTS)
    )


def test_same_seed_same_generations_top_k(tiny_generator, tmp_path):
    """Top-k sampling with a seed repeats itself: call after call, and
    after a save/load round trip."""
    sample = {"max_length": 6, "sampler": "top_k", "top_k": 5, "seed": 11}
    text = tiny_generator.generate(PROMPTS, **sample)
    assert tiny_generator.generate(PROMPTS, **sample) == text
    for decode in ("stepwise", "uncached"):
        assert tiny_generator.generate(PROMPTS, decode=decode, **sample) == (
            text
        )
    other_seeds = [
        tiny_generator.generate(PROMPTS, **{**sample, "seed": seed})
        for seed in (12, 13)
    ]
    assert any(other != text for other in other_seeds)  # The seed is used.
    path = tmp_path / "generator.keras"
    tiny_generator.save(path)
    assert nlptoolkit.load(path).generate(PROMPTS, **sample) == text


def _vocabulary_json_sha256(model_file):
    with zipfile.ZipFile(model_file) as archive:
        names = [n for n in archive.namelist() if n.endswith("vocabulary.json")]
        assert len(names) == 1, archive.namelist()
        return hashlib.sha256(archive.read(names[0])).hexdigest()


def test_manifest_hashes(tiny_classifier, tiny_classifier_file):
    texts = ["é ☃", "line\nbreak", ""]
    info = cli.manifest(
        3, "mine", texts=texts, tokenizer=tiny_classifier.tokenizer
    )
    expected = json.dumps(texts, ensure_ascii=False).encode("utf-8")
    assert info["dataset"] == "mine" and info["seed"] == 3
    assert info["dataset_sha256"] == hashlib.sha256(expected).hexdigest()
    # Byte for byte the vocabulary.json saved inside model.keras.
    assert info["vocabulary_sha256"] == _vocabulary_json_sha256(
        tiny_classifier_file
    )
    for key in ("tensorflow", "keras", "keras_hub", "python", "op_determinism"):
        assert key in info
    assert texts_sha256(texts[::-1]) != info["dataset_sha256"]


def test_generation_cli_metrics_carry_the_manifest(tmp_path, capsys):
    from nlptoolkit.tasks.generation.__main__ import main

    corpus = tmp_path / "corpus.txt"
    corpus.write_text(CORPUS, encoding="utf-8")
    out = tmp_path / "run"
    code = main(
        [
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
            "--seed",
            "5",
            "--checkpoint-dir",
            str(tmp_path / "backup"),
            "--output",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err[-2000:]
    manifest = json.loads((out / "metrics.json").read_text())["manifest"]
    assert manifest["seed"] == 5
    assert manifest["op_determinism"] is True
    assert manifest["dataset"] == "corpus.txt"
    assert manifest["dataset_sha256"] == texts_sha256([CORPUS])
    assert manifest["vocabulary_sha256"] == _vocabulary_json_sha256(
        out / "model.keras"
    )
    assert not (tmp_path / "backup").exists()
