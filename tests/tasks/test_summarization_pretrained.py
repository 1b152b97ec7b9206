"""Summarizer(backbone=<BART preset>): fine-tuning, the three decode paths,
cached vs uncached logits, beam search, the clock, pad id 1, one-file
save/load, export, the CLI and every refusal, on a tiny random BART the
tests write themselves (keras-hub preset format; a Hugging Face folder in
``test_summarization_pretrained_hf.py``)."""

import json
import shutil

import numpy as np
import pytest
from presets import SUMMARY_PAIRS
from presets import summary_data
from presets import summary_log_probs
from presets import write_keras_hub_bart
from presets import write_keras_hub_bert

import nlptoolkit
from nlptoolkit.backbones import preset as preset_lib

LENGTHS = {"sequence_length": 24, "summary_length": 10}
DOCUMENTS, SUMMARIES = summary_data()


@pytest.fixture(scope="module")
def hub_folder(tmp_path_factory):
    return write_keras_hub_bart(tmp_path_factory.mktemp("hub") / "bart")


@pytest.fixture(scope="module")
def tuned(hub_folder, tmp_path_factory):
    """Fine-tuned from a copy of the preset that is deleted right after:
    nothing later may need the folder."""
    copy = tmp_path_factory.mktemp("copy") / "bart"
    shutil.copytree(hub_folder, copy)
    manifest = preset_lib.resolve_preset(str(copy)).manifest()
    model = nlptoolkit.Summarizer(
        str(copy), seed=0, learning_rate=1e-2, **LENGTHS
    )
    history = model.fit(DOCUMENTS, SUMMARIES, epochs=4, batch_size=4, verbose=0)
    shutil.rmtree(copy)
    return model, history, manifest


def test_fine_tuning_lowers_the_loss_and_records_the_manifest(tuned):
    model, history, manifest = tuned
    losses = history.history["loss"]
    # Each epoch lower, and by a margin (about 5.1 -> 4.6 nats here).
    assert all(b < a for a, b in zip(losses, losses[1:], strict=False))
    assert losses[-1] < losses[0] - 0.25, losses
    recorded = model.model.task_config["pretrained"]
    assert recorded["weights_sha256"] == manifest["weights_sha256"]
    assert recorded["handle"] == manifest["handle"]
    assert recorded["architecture"] == "BartBackbone"
    optimizer = model.model.optimizer
    assert type(optimizer).__name__ == "AdamW"


def test_bart_framing_and_pad_id_one(tuned):
    model, _, _ = tuned
    tokenizer = model.tokenizer
    assert tokenizer.pad_token_id == 1
    assert tokenizer.decoder_start_ids == [2, 0]  # </s> <s>
    encoded = model.encode_documents(["alice met bob"])
    assert encoded.shape == (1, LENGTHS["sequence_length"])
    row = encoded[0].tolist()
    assert row[0] == 0 and 2 in row  # <s> ... </s>
    assert row[row.index(2) + 1 :] == [1] * (len(row) - row.index(2) - 1)
    inputs, targets = model.encode_summaries(["alice met bob"])
    assert inputs[0, :2].tolist() == [2, 0]
    assert targets[0, 0] == 0 and targets[0, -1] == 1
    assert model.model.loss.ignore_class == 1
    # Predicted ids are padded with 1 after the end token.
    ids = model.predict(DOCUMENTS[:4], max_length=8)
    for line in ids:
        line = line.tolist()
        if 2 in line:
            assert set(line[line.index(2) + 1 :]) <= {1}
    # Extra encoder padding (id 1) changes nothing: the mask reads 1.
    adapter = model.decoder.adapter
    short = model.encode_documents(DOCUMENTS[:2])
    longer = np.concatenate([short, np.ones((2, 6), "int32")], axis=1)
    start = np.array([[2, 0, 1, 1]] * 2, "int32")
    first = [
        np.asarray(adapter.next(start, adapter.prefill(start, enc), 2)[0])
        for enc in (short, longer)
    ]
    np.testing.assert_allclose(first[0], first[1], atol=1e-5)
    zeros = np.concatenate([short, np.zeros((2, 6), "int32")], axis=1)
    as_zero = adapter.next(start, adapter.prefill(start, zeros), 2)[0]
    assert np.abs(np.asarray(as_zero) - first[0]).max() > 1e-4


def test_greedy_is_identical_on_every_path_and_after_loading(tuned, tmp_path):
    model, _, _ = tuned
    outputs = {
        decode: model.summarize(
            DOCUMENTS[:4], max_length=8, sampler="greedy", decode=decode
        )
        for decode in ("fused", "stepwise", "uncached")
    }
    assert outputs["fused"] == outputs["stepwise"] == outputs["uncached"]
    assert any(outputs["fused"]), "the tuned model says something"
    path = tmp_path / "bart.keras"
    model.save(path)  # The preset folder is gone already.
    loaded = nlptoolkit.load(path)
    assert type(loaded) is nlptoolkit.Summarizer and loaded.pretrained
    assert (
        loaded.summarize(DOCUMENTS[:4], max_length=8, sampler="greedy")
        == outputs["fused"]
    )
    np.testing.assert_array_equal(
        loaded.predict(DOCUMENTS[:4], SUMMARIES[:4]),
        model.predict(DOCUMENTS[:4], SUMMARIES[:4]),
    )
    config = loaded.model.task_config
    assert config["pretrained"] == model.model.task_config["pretrained"]


def test_cached_step_logits_equal_the_uncached_forward_pass(tuned):
    """Each cached step's logits against the whole model run on the
    prefix (encoder and decoder recomputed): equal within 1e-5 (float32
    on CPU; measured differences are about 1e-7)."""
    model, _, _ = tuned
    adapter = model.decoder.adapter
    encoder = model.encode_documents(DOCUMENTS[:3])
    ids = np.full((3, 10), 1, "int32")
    ids[:, :2] = [2, 0]
    rng = np.random.default_rng(0)
    ids[:, 2:] = rng.integers(4, model.tokenizer.vocabulary_size, (3, 8))
    cache = adapter.prefill(ids, encoder)
    for index in range(2, 10):
        cached, _, cache = adapter.next(ids, cache, index)
        uncached = adapter.uncached_logits(ids[:, :index], encoder)
        np.testing.assert_allclose(
            np.asarray(cached), np.asarray(uncached), atol=1e-5
        )
    # The saved functional model (teacher forcing) gives the same logits.
    forced = model.model.predict(
        {"encoder_token_ids": encoder, "decoder_token_ids": ids}, verbose=0
    )
    cached_again, _, _ = adapter.next(ids, adapter.prefill(ids, encoder), 2)
    keep = np.asarray(cached_again) > -1e8  # forbidden ids aside
    np.testing.assert_allclose(
        np.asarray(cached_again)[keep], forced[:, 1][keep], atol=1e-5
    )


def test_beam_search_is_never_below_greedy(tuned):
    """With as many beams as tokens over two steps, beam search is
    exhaustive: its summary's log-probability (plain sum, length_penalty
    0) is at least greedy's, for every document."""
    model, _, _ = tuned
    documents = [d for d, _ in SUMMARY_PAIRS]
    vocabulary = model.tokenizer.vocabulary_size
    greedy = model.predict(documents, max_length=2)
    beam = model._decode_ids(
        documents,
        2,
        nlptoolkit.decoding.make_sampler(
            "beam", num_beams=vocabulary, length_penalty=0.0
        ),
        "fused",
        None,
        32,
    )
    greedy_score = summary_log_probs(model, documents, greedy)[0]
    beam_score = summary_log_probs(model, documents, beam)[0]
    assert np.all(beam_score >= greedy_score - 1e-4), (beam_score, greedy_score)


def test_the_clock_times_every_stepwise_step(tuned):
    model, _, _ = tuned
    clock = nlptoolkit.callbacks.InferenceClock()
    for callbacks in ([], [clock]):  # The first run warms up (compiles).
        model.summarize(
            DOCUMENTS[:4],
            max_length=8,
            sampler="greedy",
            decode="stepwise",
            callbacks=callbacks,
        )
    frame = clock.to_dataframe()
    assert not frame["warmup"].any()
    kinds = frame["kind"].tolist()
    assert "prefill" in kinds and kinds.count("step") >= 1
    steps = frame[frame["kind"] == "step"]
    assert steps["position"].tolist() == list(range(3, 3 + len(steps))), (
        "one row per decoding step, positions after the start tokens"
    )
    assert (steps["seconds"] > 0).all()
    assert clock.summary()["ttft"] > 0


def test_evaluate_gives_rouge_beside_lead_3(tuned):
    model, _, _ = tuned
    result = model.evaluate(DOCUMENTS[:4], SUMMARIES[:4], max_length=8)
    for key in ("rouge1", "rouge2", "rougeL"):
        assert 0 <= result[key] <= 100
        assert 0 < result[f"baseline_{key}"] <= 100
    assert result["loss"] > 0


@pytest.mark.slow  # About 100 s on the shared 2-core CPU (compiles).
def test_export_and_beam_options(tuned, tmp_path):
    """``export`` serves the greedy summary; beam search takes the
    length penalty and the n-gram ban (one more compiled loop each)."""
    import tensorflow as tf

    model, _, _ = tuned
    beam = {"num_beams": 3, "length_penalty": 2.0, "no_repeat_ngram_size": 2}
    beams = model.summarize(DOCUMENTS[:4], max_length=8, **beam)
    assert len(beams) == 4 and all(isinstance(t, str) for t in beams)
    path = model.export(str(tmp_path / "exported" / "1"), max_length=8)
    serve = tf.saved_model.load(path).signatures["serving_default"]
    out = serve(documents=tf.constant(DOCUMENTS[:4]))
    texts = [t.decode("utf-8") for t in out["text"].numpy().tolist()]
    assert texts == model.summarize(
        DOCUMENTS[:4], max_length=8, sampler="greedy"
    )


def test_refusals(hub_folder, tmp_path):
    with pytest.raises(ValueError, match=r"brings its own sizes.*hidden_dim"):
        nlptoolkit.Summarizer(hub_folder, hidden_dim=8)
    with pytest.raises(TypeError, match="freeze_backbone"):
        nlptoolkit.Summarizer(hub_folder, freeze_backbone=True)
    bert = write_keras_hub_bert(tmp_path / "bert")
    with pytest.raises(ValueError, match="architecture for a summarizer"):
        nlptoolkit.Summarizer(bert)
    too_long = nlptoolkit.Summarizer(hub_folder, sequence_length=64)
    with pytest.raises(ValueError, match="sequence_length<=32"):
        too_long.fit(DOCUMENTS[:2], SUMMARIES[:2], verbose=0)


def test_max_length_counts_the_start_tokens(tuned):
    model, _, _ = tuned
    with pytest.raises(ValueError, match="max_length <= 30"):
        model.summarize(DOCUMENTS[:1], max_length=31, sampler="greedy")


def test_a_remote_handle_offline_fails_with_one_clear_error(monkeypatch):
    import keras_hub

    def offline(*args, **kwargs):
        raise ConnectionError("no network")

    monkeypatch.setattr(keras_hub.models.Seq2SeqLM, "from_preset", offline)
    model = nlptoolkit.Summarizer("bart_base_en")
    assert model.preset_info.source == "remote"
    with pytest.raises(preset_lib.PresetUnavailableError, match="local"):
        model.fit(DOCUMENTS[:2], SUMMARIES[:2], verbose=0)


def test_cli_refuses_sizes_with_a_preset(hub_folder, tmp_path, capsys):
    from nlptoolkit.tasks.summarization.__main__ import main

    data = tmp_path / "pairs.csv"
    data.write_text("document,summary\nalice met bob,alice met bob\n")
    code = main(
        ["train", "--backbone", hub_folder, "--train-file", str(data),
         "--test-file", str(data), "--hidden-dim", "8",
         "--output", str(tmp_path / "refused")]
    )  # fmt: skip
    assert code == 2
    assert "brings its own sizes" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_train_with_a_preset_folder(hub_folder, tmp_path):
    from nlptoolkit.tasks.summarization.__main__ import main

    data = tmp_path / "pairs.csv"
    rows = ["document,summary"] + [f"{d},{s}" for d, s in SUMMARY_PAIRS * 2]
    data.write_text("\n".join(rows) + "\n")
    output = tmp_path / "run"
    code = main(
        ["train", "--backbone", hub_folder, "--train-file", str(data),
         "--test-file", str(data), "--epochs", "1", "--batch-size", "4",
         "--sequence-length", "24", "--summary-length", "10",
         "--output", str(output)]
    )  # fmt: skip
    assert code == 0
    metrics = json.loads((output / "metrics.json").read_text())
    assert metrics["pretrained"]["weights_sha256"]
    assert metrics["pretrained"]["architecture"] == "BartBackbone"
    assert "baseline_rougeL" in metrics
    loaded = nlptoolkit.load(output / "model.keras")
    assert loaded.pretrained
