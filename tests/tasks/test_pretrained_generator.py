"""Fine-tuning pretrained causal LMs through TextGenerator: a tiny random
GPT-2 saved with keras-hub's ``save_to_preset`` and the same model written
as a Hugging Face folder; the three decode paths, the cache against the
uncached forward pass, beam search against greedy, the clock, save/load
without the preset, export, special ids (GPT-2's id 0 is the real token
"!", its one special token the last id), and every bad input.

XLA compiles take seconds per shape on a 2-core CPU, so the default tests
decode with ``jit_compile=False``; the slow ones cover XLA (the default),
the Hugging Face folder end to end, the sliding window, export, mixed
precision under a strategy and the CLI."""

import os
import shutil

import numpy as np
import pytest
from presets import GPT2_TEXTS
from presets import beam_gains_over_greedy
from presets import write_hf_gpt2
from presets import write_keras_hub_bert
from presets import write_keras_hub_gpt2

import nlptoolkit
from nlptoolkit.callbacks import InferenceClock

PROMPTS = ["the cat", "", "a dog ran on the"]
END_ID = 63  # "<|endoftext|>", the tiny vocabulary's last id.


@pytest.fixture(scope="module")
def hub_folder(tmp_path_factory):
    return write_keras_hub_gpt2(tmp_path_factory.mktemp("gpt2") / "hub")


@pytest.fixture(scope="module")
def folders(hub_folder, tmp_path_factory):
    """Both formats (the Hugging Face one only for the tests that need
    it: writing it builds a second model)."""
    hf = write_hf_gpt2(tmp_path_factory.mktemp("gpt2-hf") / "hf")
    return {"keras_hub": hub_folder, "huggingface": hf}


def fine_tune(folder):
    generator = nlptoolkit.TextGenerator(
        folder, seed=0, sequence_length=16, learning_rate=1e-2
    )
    history = generator.fit(GPT2_TEXTS * 2, epochs=3, batch_size=4, verbose=0)
    return generator, history.history["loss"]


@pytest.fixture(scope="module")
def tuned(hub_folder):
    return fine_tune(hub_folder)


@pytest.fixture(scope="module")
def saved(tuned, tmp_path_factory):
    """The fine-tuned generator's ``.keras`` file, saved once."""
    path = tmp_path_factory.mktemp("saved") / "generator.keras"
    tuned[0].save(path)
    return path


def check_fine_tuned(source, folder, generator, losses, path, jit):
    """Loss went down; greedy text is the same on the three paths and
    after ``nlptoolkit.load`` of ``path`` (saved here unless it exists)
    with the preset folder gone."""
    assert losses[-1] < losses[0] - 0.2
    manifest = generator.model.task_config["pretrained"]
    assert (manifest["source"], manifest["handle"]) == (source, folder)
    assert len(manifest["weights_sha256"]) == 64
    assert generator.model.task_config["training"]["optimizer"] == "adamw"
    out = {
        decode: generator.generate(
            PROMPTS, max_length=10, decode=decode, jit_compile=jit
        )
        for decode in ("fused", "stepwise", "uncached")
    }
    assert out["fused"] == out["stepwise"] == out["uncached"]
    pairs = list(zip(out["fused"], PROMPTS, strict=True))
    assert all(text.startswith(prompt) for text, prompt in pairs)
    assert any(len(text) > len(prompt) for text, prompt in pairs)
    if not os.path.exists(path):
        generator.save(path)
    moved = folder + "-moved"
    os.rename(folder, moved)
    try:
        loaded = nlptoolkit.load(path)
        decodes = ("fused", "stepwise", "uncached") if jit else ("fused",)
        for decode in decodes:
            assert (
                loaded.generate(
                    PROMPTS, max_length=10, decode=decode, jit_compile=jit
                )
                == out["fused"]
            )
        np.testing.assert_allclose(
            loaded.predict(PROMPTS), generator.predict(PROMPTS), atol=1e-5
        )
        assert loaded.model.task_config["pretrained"] == manifest
    finally:
        os.rename(moved, folder)
    return out["fused"]


def test_fine_tune_decode_paths_and_load_without_the_preset(
    hub_folder, tuned, saved
):
    generator, losses = tuned
    check_fine_tuned("keras_hub", hub_folder, generator, losses, saved, False)


def test_the_hugging_face_folder_is_the_same_model(folders):
    """Both folders hold ``tiny_gpt2(seed=0)``: loaded through keras-hub's
    converter, the Hugging Face one gives the same logits (atol 1e-5)."""
    from nlptoolkit.backbones import PretrainedCausalLM
    from nlptoolkit.backbones import resolve_preset

    ids = np.array([[63, 58, 62, 0, 14, 60]], "int32")
    logits = {
        source: np.asarray(
            PretrainedCausalLM.from_preset(resolve_preset(folder))(ids)[
                "logits"
            ]
        )
        for source, folder in folders.items()
    }
    np.testing.assert_allclose(
        logits["huggingface"], logits["keras_hub"], atol=1e-5
    )


@pytest.mark.slow
def test_hugging_face_folder_end_to_end_under_xla(folders, tuned, tmp_path):
    """The Hugging Face folder fine-tuned, on the three paths with the
    default ``jit_compile="auto"`` (XLA compiles: nothing falls back),
    the same text as the keras-hub folder's after the same training."""
    folder = folders["huggingface"]
    generator, losses = fine_tune(folder)
    text = check_fine_tuned(
        "huggingface", folder, generator, losses, tmp_path / "hf.keras", "auto"
    )
    assert not generator.decoder._jit_failed
    assert text == tuned[0].generate(PROMPTS, max_length=10)


def test_cached_steps_equal_the_uncached_forward_pass(tuned):
    """Prefill the prompt, then take every step from the cache: each
    step's logits equal the full model's on the whole prefix (float32,
    atol 1e-5)."""
    generator, _ = tuned
    adapter = generator.decoder.adapter
    ids, lengths = generator._encode_prompts(["the dog sat on"], 8)
    start = int(lengths[0])
    ids[0, start:] = [5, 0, 17, END_ID - 1, 30, 0, 2, 9]
    full = generator.model.predict(ids, verbose=0)
    cache = adapter.prefill(ids[:, :start], ids.shape[1])
    for index in range(start, ids.shape[1] + 1):
        logits, _, cache = adapter.next(ids, cache, index)
        np.testing.assert_allclose(
            np.asarray(logits)[0], full[0, index - 1], atol=1e-5
        )
        np.testing.assert_allclose(
            np.asarray(adapter.uncached_logits(ids[:, :index]))[0],
            full[0, index - 1],
            atol=1e-5,
        )


def test_beam_search_never_scores_below_greedy(tuned):
    """Exhaustive two-token beam search (as many beams as ids) scores
    the best continuation of the model's uncached logits (atol 1e-4),
    never below greedy's, and beats it by over a nat: greedy's first token
    is not the best start."""
    generator, _ = tuned
    gains = beam_gains_over_greedy(generator, PROMPTS[:2])
    assert min(gains) > 1.0, gains  # About 3.6 nats on both prompts.


def test_clock_rows_and_streaming_on_the_stepwise_path(tuned):
    generator, _ = tuned
    clock = InferenceClock()
    seen = []
    generator.generate(
        ["the cat", "a dog"],
        max_length=6,
        decode="stepwise",
        jit_compile=False,
        callbacks=[clock],
        on_token=lambda step, ids, texts: seen.append((step, len(texts))),
    )
    frame = clock.to_dataframe()
    assert (frame["kind"] == "prefill").sum() == 1
    steps = frame[frame["kind"] == "step"]
    assert len(steps) == len(seen) - 1 >= 1
    assert (steps["batch_size"] == 2).all()
    assert steps["position"].tolist() == sorted(steps["position"])
    assert clock.summary()["tokens_per_second"] > 0


@pytest.mark.slow
def test_past_the_model_positions_every_path_slides_alike(tuned):
    """The tiny preset holds 64 positions: 70 new tokens slide the
    context window, identically on the three paths."""
    generator, _ = tuned
    assert generator.decoder.adapter.max_positions == 64
    assert generator.decoder.window is not None
    out = [
        generator.generate(
            ["the cat"], max_length=70, decode=decode, jit_compile=False
        )
        for decode in ("fused", "stepwise", "uncached")
    ]
    assert out[0] == out[1] == out[2]


def steer(generator, target, table):
    """Make every step of ``generator`` prefer ``target``: the final
    layer norm outputs one vector ``v`` (gamma 0, beta ``v``) and the
    tied embedding is ``table`` with ``target``'s row ``10 v``."""
    hub = generator.model.backbone.hub_backbone
    rng = np.random.default_rng(0)
    v = rng.normal(size=hub.hidden_dim).astype("float32")
    hub.layer_norm.gamma.assign(np.zeros(hub.hidden_dim, "float32"))
    hub.layer_norm.beta.assign(v)
    table = table.copy()
    table[target] = 10 * v
    hub.token_embedding.embeddings.assign(table)
    return generator


def test_special_ids_come_from_the_preset(tuned, saved):
    """Id 0 is GPT-2's "!", a real token: it is generated, learned from
    and usable as a stop token; the end id (the last) ends generation."""
    generator, _ = tuned
    tokenizer = generator.tokenizer
    assert tokenizer.vocabulary[0] == "!"
    assert generator.special_ids == (END_ID, END_ID, 0)
    assert generator.decoder.adapter.forbidden_ids == ()
    # Windows learn from every real id, 0 included.
    x, y = generator.windows(["!!! the cat!"])
    assert 0 in y and -1 in y and (x != -1).all()
    assert generator.evaluate(["!!! the cat!"])["tokens"] == int((y >= 0).sum())
    copy = nlptoolkit.load(saved)  # Steered below; `tuned` stays as is.
    hub = copy.model.backbone.hub_backbone
    table = np.asarray(hub.token_embedding.embeddings).copy()
    bang = steer(copy, 0, table)
    for decode in ("fused", "uncached"):
        assert bang.generate(
            ["the cat", ""], max_length=4, decode=decode, jit_compile=False
        ) == ["the cat!!!!", "!!!!"]
    # The n-gram ban counts "!" (id 0) as a token like any other: the
    # steered model may say "!!" once, never "!!!".
    for decode in ("fused", "uncached"):
        [text] = bang.generate(
            ["the cat"],
            max_length=4,
            decode=decode,
            no_repeat_ngram_size=2,
            jit_compile=False,
        )
        assert text.startswith("the cat!!") and "!!!" not in text, text
    # "!" as the stop token: kept, and the filler is neither it nor the end.
    assert bang.generate(
        ["the cat"], max_length=4, stop_token="!", jit_compile=False
    ) == ["the cat!"]
    assert bang._filler([END_ID, 0]) not in (END_ID, 0)
    end = steer(copy, END_ID, table)
    for decode in ("fused", "uncached"):
        assert end.generate(
            ["the cat", ""], max_length=5, decode=decode, jit_compile=False
        ) == ["the cat", ""]


@pytest.mark.slow
def test_export_serves_greedy_text(tuned, tmp_path):
    import tensorflow as tf

    generator, _ = tuned
    path = generator.export(str(tmp_path / "1"), max_length=6)
    serve = tf.saved_model.load(path).signatures["serving_default"]
    texts = serve(prompts=tf.constant(PROMPTS))["text"].numpy()
    assert [t.decode() for t in texts] == generator.generate(
        PROMPTS, max_length=6
    )


def test_stop_token_and_evaluate_per_word(tuned):
    generator, _ = tuned
    with pytest.raises(ValueError, match="2 tokens"):
        generator.generate(["the"], stop_token="zq")
    metrics = generator.evaluate(GPT2_TEXTS)
    assert metrics["perplexity"] == pytest.approx(np.exp(metrics["loss"]))
    assert metrics["word_perplexity"] == pytest.approx(
        np.exp(metrics["loss"] * metrics["tokens_per_word"])
    )
    assert metrics["tokens_per_word"] > 1


@pytest.mark.slow  # A second model, built and trained under a strategy.
def test_mixed_precision_and_strategy(hub_folder):
    import tensorflow as tf

    generator = nlptoolkit.TextGenerator(
        hub_folder,
        seed=0,
        sequence_length=16,
        mixed_precision=True,
        strategy=tf.distribute.OneDeviceStrategy("/cpu:0"),
    )
    history = generator.fit(GPT2_TEXTS, epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert generator.model.backbone.causal_lm.compute_dtype == "bfloat16"
    assert generator.predict(["the cat"]).dtype == np.float32
    text = generator.generate(["the cat"], max_length=4, jit_compile=False)
    assert text[0].startswith("the cat")


def test_sizes_freezing_and_lengths_are_refused(hub_folder):
    folder = hub_folder
    config = nlptoolkit.TextGenerator(folder, seed=3).get_config()
    assert config == {
        "backbone": folder,
        "seed": 3,
        "mixed_precision": False,
        "sequence_length": 64,
        "stride": None,
        "learning_rate": 5e-5,
    }
    again = nlptoolkit.TextGenerator.from_config(config)
    assert again.get_config() == config
    with pytest.raises(ValueError, match=r"Received: \['hidden_dim'\]"):
        nlptoolkit.TextGenerator(folder, hidden_dim=8)
    with pytest.raises(ValueError, match=r"Received: \['tokenizer'\]"):
        nlptoolkit.TextGenerator(folder, tokenizer="char")
    with pytest.raises(TypeError, match="freeze_backbone"):
        nlptoolkit.TextGenerator(folder, freeze_backbone=True)
    generator = nlptoolkit.TextGenerator(folder, sequence_length=128)
    with pytest.raises(ValueError, match="at most 64 positions"):
        generator.fit(GPT2_TEXTS, epochs=1, verbose=0)


def test_an_encoder_preset_is_the_wrong_family(tmp_path):
    folder = write_keras_hub_bert(tmp_path / "bert")
    with pytest.raises(
        ValueError, match="Unsupported architecture for a text generator"
    ) as error:
        nlptoolkit.TextGenerator(folder)
    assert "'BertBackbone'" in str(error.value)
    assert "gpt2" in str(error.value)


def test_offline_remote_handle_gives_one_clear_error(monkeypatch):
    import keras_hub

    def offline(*args, **kwargs):
        raise ConnectionError("Max retries exceeded with url")

    monkeypatch.setattr(keras_hub.models.CausalLM, "from_preset", offline)
    generator = nlptoolkit.TextGenerator("hf://openai-community/gpt2")
    with pytest.raises(
        nlptoolkit.backbones.PresetUnavailableError, match="local folder"
    ) as error:
        generator.fit(GPT2_TEXTS, epochs=1, verbose=0)
    assert "'hf://openai-community/gpt2'" in str(error.value)


@pytest.mark.slow
def test_cli_fine_tunes_a_preset_folder(hub_folder, tmp_path, capsys):
    import json

    from helpers import run_cli_in_process

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(GPT2_TEXTS * 3) + "\n")
    folder = str(tmp_path / "gpt2")
    shutil.copytree(hub_folder, folder)
    out = tmp_path / "run"
    code, errors = run_cli_in_process(
        "generation",
        [
            "train",
            "--train-file",
            str(corpus),
            "--test-file",
            str(corpus),
            "--backbone",
            folder,
            "--sequence-length",
            "16",
            "--epochs",
            "1",
            "--output",
            str(out),
        ],
        capsys,
    )
    assert code == 0, errors
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["pretrained"]["architecture"] == "GPT2Backbone"
    assert metrics["pretrained"]["weights_sha256"]
    assert metrics["tokenizer"] == "preset"
    assert metrics["word_perplexity"] > 0
    assert "word" in metrics["baseline"]
    loaded = nlptoolkit.load(out / "model.keras")
    assert loaded.generate(["the cat"], max_length=3)[0].startswith("the cat")
    code, errors = run_cli_in_process(
        "generation",
        ["train", "--train-file", str(corpus), "--test-file", str(corpus)]
        + ["--backbone", folder, "--hidden-dim", "8"]
        + ["--output", str(tmp_path / "no")],
        capsys,
    )
    assert code == 2 and "hidden_dim" in errors[-1]
