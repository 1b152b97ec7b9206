"""Summarizer(backbone=<T5 preset>): fine-tuning, T5's framing (no start
token on the encoder, the pad id as the decoder's start), the three decode
paths, cached vs uncached logits, beam search and its length penalty, the
n-gram ban, the clock, one-file save/load, export, the CLI, and the
refusal of a Hugging Face T5 folder (keras-hub has no converter for it),
on a tiny random T5 with a SentencePiece vocabulary the tests train
themselves (keras-hub preset format)."""

import json
import shutil

import numpy as np
import pytest
from helpers import run_cli_captured
from presets import SUMMARY_PAIRS
from presets import best_two_token_summary
from presets import summary_data
from presets import summary_log_probs
from presets import t5_sentencepiece
from presets import write_keras_hub_t5

import nlptoolkit
from nlptoolkit.backbones import preset as preset_lib
from nlptoolkit.decoding import make_sampler

LENGTHS = {"sequence_length": 24, "summary_length": 10}
DOCUMENTS, SUMMARIES = summary_data()


# The tests' T5 moves its special pieces (T5 itself: pad 0, </s> 1, unk
# 2), so that anything taking 0 for padding, or a fixed id for the end or
# the decoder's start, fails; id 0 is a real piece here.
IDS = {"pad": 5, "eos": 3, "unk": 4}
PAD, END = IDS["pad"], IDS["eos"]


@pytest.fixture(scope="module")
def hub_folder(tmp_path_factory):
    return write_keras_hub_t5(tmp_path_factory.mktemp("hub") / "t5", ids=IDS)


@pytest.fixture(scope="module")
def tuned(hub_folder, tmp_path_factory):
    """Fine-tuned from a copy of the preset that is deleted right after:
    nothing later may need the folder."""
    copy = tmp_path_factory.mktemp("copy") / "t5"
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
    # Each epoch lower, and by a margin (about 4.8 -> 3.6 nats here).
    assert all(b < a for a, b in zip(losses, losses[1:], strict=False))
    assert losses[-1] < losses[0] - 0.5, losses
    recorded = model.model.task_config["pretrained"]
    assert recorded["weights_sha256"] == manifest["weights_sha256"]
    assert recorded["architecture"] == "T5Backbone"
    assert type(model.model.backbone).__name__ == "T5Seq2SeqLM"


def test_t5_layout_pad_zero_is_the_decoder_start():
    """T5's own layout (pad 0, ``</s>`` 1): the encoder packs no start
    token and ends with ``</s>``; the decoder starts from the pad id."""
    import keras_hub

    hub = keras_hub.models.T5Seq2SeqLMPreprocessor(
        keras_hub.models.T5Tokenizer(proto=t5_sentencepiece())
    )
    tokenizer = nlptoolkit.preprocessing.Seq2SeqPresetTokenizer(hub, 8, 6)
    assert (tokenizer.pad_token_id, tokenizer.end_token_id) == (0, 1)
    assert tokenizer.decoder_start_ids == [0]
    assert tokenizer.start_token_id is None  # T5 packs no start token.
    row = tokenizer.tokenize(["bob met alice"]).numpy()[0].tolist()
    assert row[0] not in (0, 1) and row.count(1) == 1
    assert row[row.index(1) + 1 :] == [0] * (len(row) - row.index(1) - 1)
    inputs, targets = tokenizer.encode_summaries(["bob"])
    assert inputs[0, 0] == 0 and inputs[0, 1:].tolist() == (
        targets[0, :-1].tolist()
    )
    assert tokenizer.detokenize(inputs) == ["bob"]


def test_special_ids_come_from_the_tokenizer(tuned):
    model, _, _ = tuned
    tokenizer = model.tokenizer
    hub = tokenizer.hub_tokenizer
    assert (hub.token_to_id("<pad>"), hub.token_to_id("</s>")) == (PAD, END)
    assert model.special_ids == ([PAD], END, PAD)
    assert 0 not in tokenizer.special_token_ids
    assert tokenizer.start_token_id is None
    row = model.encode_documents(["alice met bob"])[0].tolist()
    assert row[0] != PAD and row.count(END) == 1
    assert row[row.index(END) + 1 :] == [PAD] * (len(row) - row.index(END) - 1)
    inputs, targets = model.encode_summaries(["alice met bob"])
    assert inputs[0, 0] == PAD and targets[0, -1] == PAD
    assert inputs[0, 1:].tolist() == targets[0, :-1].tolist()
    assert model.model.loss.ignore_class == PAD
    assert model.decoder.adapter.forbidden_ids == (PAD,)
    for line in model.predict(DOCUMENTS[:4], max_length=8).tolist():
        if PAD in line:  # Padding only after the end token.
            assert END in line[: line.index(PAD)], line
    # Encoder padding is read from the pad id: more of it changes nothing,
    # the same columns of id 0 (a real piece here) do.
    adapter = model.decoder.adapter
    short = model.encode_documents(DOCUMENTS[:2])
    start = np.full((2, 3), PAD, "int32")
    first = [
        np.asarray(adapter.next(start, adapter.prefill(start, enc), 1)[0])
        for enc in (
            short,
            np.pad(short, ((0, 0), (0, 6)), constant_values=PAD),
            np.pad(short, ((0, 0), (0, 6)), constant_values=0),
        )
    ]
    np.testing.assert_allclose(first[0], first[1], atol=1e-5)
    assert np.abs(first[2] - first[0]).max() > 1e-4


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
    path = tmp_path / "t5.keras"
    model.save(path)  # The preset folder is gone already.
    assert [p.name for p in tmp_path.iterdir()] == ["t5.keras"]
    loaded = nlptoolkit.load(path)
    assert type(loaded) is nlptoolkit.Summarizer and loaded.pretrained
    again = loaded.summarize(
        DOCUMENTS[:4], max_length=8, sampler="greedy", decode="uncached"
    )
    assert again == outputs["fused"]
    np.testing.assert_array_equal(
        loaded.predict(DOCUMENTS[:4], SUMMARIES[:4]),
        model.predict(DOCUMENTS[:4], SUMMARIES[:4]),
    )


def test_cached_step_logits_equal_the_uncached_forward_pass(tuned):
    """Each cached step's logits against the whole model run on the
    prefix (encoder and decoder recomputed), and against the saved
    functional model's teacher-forced logits at every position: equal
    within 1e-5 (float32 on CPU; measured differences about 1e-6). The
    teacher-forced model must not mask T5's start token, the pad id."""
    model, _, _ = tuned
    adapter = model.decoder.adapter
    tokenizer = model.tokenizer
    encoder = model.encode_documents(DOCUMENTS[:3])
    ids = np.full((3, 9), tokenizer.pad_token_id, "int32")
    plain = np.setdiff1d(
        np.arange(tokenizer.vocabulary_size), tokenizer.special_token_ids
    )
    ids[:, 1:] = np.random.default_rng(0).choice(plain, (3, 8))
    forced = model.model.predict(
        {"encoder_token_ids": encoder, "decoder_token_ids": ids}, verbose=0
    )
    cache = adapter.prefill(ids, encoder)
    keep = np.ones(forced.shape[-1], bool)
    keep[list(adapter.forbidden_ids)] = False
    for index in range(1, 9):
        cached, _, cache = adapter.next(ids, cache, index)
        cached = np.asarray(cached)
        uncached = np.asarray(adapter.uncached_logits(ids[:, :index], encoder))
        np.testing.assert_allclose(cached, uncached, atol=1e-5)
        np.testing.assert_allclose(
            cached[:, keep], forced[:, index - 1][:, keep], atol=1e-5
        )


def test_beam_search_is_exhaustive_and_never_below_greedy(tuned):
    """With as many beams as tokens over two steps, beam search is
    exhaustive: its summary's log-probability (plain sum, length_penalty
    0) is the best of any two-token summary, hence at least greedy's, for
    every document."""
    model, _, _ = tuned
    documents = [d for d, _ in SUMMARY_PAIRS]
    vocabulary = model.tokenizer.vocabulary_size
    # Greedy's first two tokens (its 8-token run, compiled already).
    greedy = model.predict(documents, max_length=8)[:, :2]
    sampler = make_sampler("beam", num_beams=vocabulary, length_penalty=0.0)
    beam = model._decode_ids(documents, 2, sampler, "fused", None, 32)
    greedy_score = summary_log_probs(model, documents, greedy)[0]
    beam_score = summary_log_probs(model, documents, beam)[0]
    assert np.all(beam_score >= greedy_score - 1e-4), (beam_score, greedy_score)
    best = [best_two_token_summary(model, d, 0.0) for d in documents]
    np.testing.assert_allclose(beam_score, best, atol=1e-4)


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
    assert steps["position"].tolist() == list(range(2, 2 + len(steps))), (
        "one row per decoding step, positions after the one start token"
    )
    assert (steps["seconds"] > 0).all()


def test_evaluate_gives_rouge_beside_lead_3(tuned):
    model, _, _ = tuned
    result = model.evaluate(DOCUMENTS[:4], SUMMARIES[:4], max_length=8)
    for key in ("rouge1", "rouge2", "rougeL"):
        assert 0 <= result[key] <= 100
        assert 0 < result[f"baseline_{key}"] <= 100
    assert result["loss"] > 0


def test_the_ngram_ban(tuned):
    """Greedy repeats a token here; ``no_repeat_ngram_size=1`` removes
    every repeat (uncached path: the ban is the same on all three)."""
    model, _, _ = tuned
    plain = model.predict(DOCUMENTS[:4], max_length=8)
    banned = model._decode_ids(
        DOCUMENTS[:4], 8, make_sampler("greedy"), "uncached", None, 32,
        no_repeat_ngram_size=1,
    )  # fmt: skip

    def repeats(row):
        tokens = [t for t in row.tolist() if t not in (END, PAD)]
        return len(tokens) - len(set(tokens))

    assert any(repeats(row) for row in plain), "the test needs a repeat"
    assert not any(repeats(row) for row in banned)


@pytest.mark.slow  # About 20 s of CPU: three more compiled loops.
def test_export_and_the_length_penalty(tuned, tmp_path):
    """``export`` serves the greedy summary. Beam search with
    ``length_penalty=2`` and as many beams as tokens finds the best
    length-normalised two-token summary; with the n-gram ban as well no
    bigram repeats."""
    import tensorflow as tf

    model, _, _ = tuned
    path = model.export(str(tmp_path / "exported" / "1"), max_length=8)
    serve = tf.saved_model.load(path).signatures["serving_default"]
    out = serve(documents=tf.constant(DOCUMENTS[:4]))
    texts = [t.decode("utf-8") for t in out["text"].numpy().tolist()]
    assert texts == model.summarize(
        DOCUMENTS[:4], max_length=8, sampler="greedy"
    )
    documents = [d for d, _ in SUMMARY_PAIRS]
    sampler = make_sampler(
        "beam", num_beams=model.tokenizer.vocabulary_size, length_penalty=2.0
    )
    beam = model._decode_ids(documents, 2, sampler, "fused", None, 32)
    sums, lengths = summary_log_probs(model, documents, beam)
    best = [best_two_token_summary(model, d, 2.0) for d in documents]
    np.testing.assert_allclose(sums / lengths**2.0, best, atol=1e-4)
    sampler = make_sampler("beam", num_beams=3, length_penalty=2.0)
    banned = model._decode_ids(
        DOCUMENTS[:4], 8, sampler, "fused", None, 32, no_repeat_ngram_size=2
    )
    for row in banned.tolist():
        tokens = row[: row.index(END)] if END in row else row
        bigrams = list(zip(tokens, tokens[1:], strict=False))
        assert len(bigrams) == len(set(bigrams)), row


def _write_hf_t5(folder):
    """The files a Hugging Face T5 checkpoint opens with (the weights
    are never read: the folder is refused first)."""
    folder.mkdir()
    config = {"architectures": ["T5ForConditionalGeneration"]}
    config.update({"model_type": "t5", "d_model": 8, "vocab_size": 64})
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "spiece.model").write_bytes(b"")
    return str(folder)


def test_a_hugging_face_t5_folder_is_refused_with_the_fix(tmp_path):
    folder = _write_hf_t5(tmp_path / "hf_t5")
    with pytest.raises(ValueError) as error:
        nlptoolkit.Summarizer(folder)
    message = str(error.value)
    assert "model_type 't5'" in message and folder in message  # received
    assert "no converter" in message
    assert "['bart']" in message and "T5Backbone" in message  # supported
    assert "keras-hub preset" in message and "save_to_preset" in message


def test_refusals(hub_folder):
    with pytest.raises(ValueError, match=r"brings its own sizes.*hidden_dim"):
        nlptoolkit.Summarizer(hub_folder, hidden_dim=8)
    with pytest.raises(TypeError, match="freeze_backbone"):
        nlptoolkit.Summarizer(hub_folder, freeze_backbone=True)


def test_the_cli_takes_a_t5_folder_and_refuses_a_hugging_face_one(
    hub_folder, tmp_path, capsys
):
    data = tmp_path / "pairs.csv"
    data.write_text("document,summary\nalice met bob,alice met bob\n")

    def train(folder, *extra):
        return run_cli_captured(
            "summarization",
            ["train", "--backbone", folder, "--train-file", str(data),
             "--test-file", str(data), *extra,
             "--output", str(tmp_path / "run")],
            capsys,
        )  # fmt: skip

    # Read as a pretrained T5 (not refused as an architecture): only the
    # size it brings itself is.
    code, _, err = train(hub_folder, "--hidden-dim", "8")
    assert code == 2 and "brings its own sizes" in err, err
    code, _, err = train(_write_hf_t5(tmp_path / "hf_t5"))
    assert code == 2 and "model_type 't5'" in err and "save_to_preset" in err


@pytest.mark.slow  # Fine-tunes, decodes and saves: about 40 s of CPU.
def test_cli_train_with_a_t5_folder(hub_folder, tmp_path, capsys):
    data = tmp_path / "pairs.csv"
    rows = ["document,summary"] + [f"{d},{s}" for d, s in SUMMARY_PAIRS * 2]
    data.write_text("\n".join(rows) + "\n")
    output = tmp_path / "run"
    code, _, err = run_cli_captured(
        "summarization",
        ["train", "--backbone", hub_folder, "--train-file", str(data),
         "--test-file", str(data), "--epochs", "1", "--batch-size", "4",
         "--sequence-length", "24", "--summary-length", "10",
         "--sampler", "greedy", "--output", str(output)],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    metrics = json.loads((output / "metrics.json").read_text())
    assert metrics["pretrained"]["architecture"] == "T5Backbone"
    assert "baseline_rougeL" in metrics
    assert nlptoolkit.load(output / "model.keras").pretrained
