import numpy as np
import pytest
from helpers import TINY
from helpers import run_task_test

import nlptoolkit
from nlptoolkit.callbacks import InferenceClock

CORPUS = (
    "to be or not to be, that is the question. "
    "whether tis nobler in the mind to suffer. "
) * 12
PROMPTS = ["to be", "", "whether tis nobler in"]
# XLA compiles take seconds per shape: the tests that are not about XLA
# decode without it (``test_xla_and_plain_fused_loops_agree_...`` and the
# seeded-sampling test keep the default, "auto").
PLAIN = {"jit_compile": False}


def tiny_generator(backbone, **kwargs):
    params = {**TINY, "sequence_length": 48, **kwargs}
    params.pop("vocabulary_size")
    return nlptoolkit.TextGenerator(backbone, seed=0, **params)


# Each model is trained once per module (a fit of even a tiny model costs
# seconds of graph building) and shared by the tests that only read it.
@pytest.fixture(scope="module")
def fitted():
    """``{backbone: (generator, history)}``, trained on first use."""
    return {}


def _fit(fitted, backbone):
    if backbone not in fitted:
        generator = tiny_generator(backbone)
        history = generator.fit(CORPUS, epochs=2, batch_size=8, verbose=0)
        fitted[backbone] = generator, history
    return fitted[backbone]


@pytest.fixture(scope="module", params=["lstm", "transformer"])
def trained(request, fitted):
    return _fit(fitted, request.param)[0]


@pytest.fixture(scope="module")
def short_transformer(tmp_path_factory):
    """The shared task test's model: a Transformer of 16 positions (seed
    1), which the context tests below decode past."""
    params = {**TINY, "sequence_length": 16}
    params.pop("vocabulary_size")
    return run_task_test(
        nlptoolkit.TextGenerator,
        ([CORPUS],),
        ["to be", "the question"],
        tmp_path_factory.mktemp("shared"),
        backbone="transformer",
        **params,
    )


@pytest.fixture(scope="module")
def short_lstm():
    """An LSTM of 16 positions with two layers and a learning rate of its
    own (``test_lstm_and_transformer_get_their_own_defaults``)."""
    generator = tiny_generator(
        "lstm", sequence_length=16, num_layers=2, learning_rate=2e-3
    )
    generator.fit(CORPUS, epochs=1, batch_size=8, verbose=0)
    return generator


def test_shared_task_test(short_transformer):
    # run_task_test (config round trip, fit, predict on lists and
    # tf.data, save and load) ran in the fixture.
    assert isinstance(short_transformer, nlptoolkit.TextGenerator)
    assert short_transformer.params["sequence_length"] == 16


def test_greedy_is_identical_across_decode_paths(trained):
    outputs = {
        decode: trained.generate(PROMPTS, max_length=12, decode=decode, **PLAIN)
        for decode in ("fused", "stepwise", "uncached")
    }
    assert outputs["fused"] == outputs["stepwise"] == outputs["uncached"]
    for prompt, text in zip(PROMPTS, outputs["fused"], strict=True):
        assert text.startswith(prompt)


def test_xla_and_plain_fused_loops_agree_under_op_determinism(trained):
    from nlptoolkit.tasks.task import op_determinism_enabled

    assert op_determinism_enabled()  # the seeded task turned it on
    outputs = {
        jit: trained.generate(PROMPTS, max_length=12, jit_compile=jit)
        for jit in ("auto", True, False)
    }
    assert outputs["auto"] == outputs[True] == outputs[False]
    assert outputs[True] == trained.generate(
        PROMPTS, max_length=12, decode="stepwise"
    )


def test_sampling_with_a_seed_repeats_and_survives_save_load(trained, tmp_path):
    first = trained.generate(PROMPTS, max_length=10, sampler="top_k", seed=3)
    again = trained.generate(PROMPTS, max_length=10, sampler="top_k", seed=3)
    assert first == again
    path = tmp_path / "lm.keras"
    trained.save(path)
    loaded = nlptoolkit.load(path)
    assert (
        loaded.generate(PROMPTS, max_length=10, sampler="top_k", seed=3)
        == first
    )
    assert loaded.generate(PROMPTS, max_length=12, **PLAIN) == (
        trained.generate(PROMPTS, max_length=12, **PLAIN)
    )


@pytest.mark.parametrize("sampler", ["top_p", "random", "beam"])
def test_other_samplers_produce_text(trained, sampler):
    texts = trained.generate(
        ["to be"], max_length=6, sampler=sampler, seed=1, **PLAIN
    )
    assert len(texts) == 1 and texts[0].startswith("to be")


def test_stepwise_streams_every_token_and_feeds_the_clock(trained):
    seen = []
    clock = InferenceClock()
    trained.generate(
        ["to be", "or"],
        max_length=8,
        decode="stepwise",
        callbacks=[clock],
        **PLAIN,
        on_token=lambda step, ids, texts: seen.append((step, len(texts))),
    )
    steps = [step for step, _ in seen]
    assert steps == list(range(len(steps))) and len(steps) >= 1
    assert all(width == 2 for _, width in seen)
    frame = clock.to_dataframe()
    assert set(frame["kind"]) <= {"prefill", "step"}
    assert (frame["kind"] == "prefill").sum() == 1


def test_every_prompt_gets_at_most_max_length_new_tokens(fitted):
    generator = _fit(fitted, "lstm")[0]
    assert generator.params["tokenizer"] == "char"
    prompts = ["t", "whether tis nobler"]
    texts = generator.generate(prompts, max_length=5, **PLAIN)
    for prompt, text in zip(prompts, texts, strict=True):
        assert len(text) - len(prompt) <= 5


def test_evaluate_reports_nats_perplexity_and_bits(trained):
    metrics = trained.evaluate(CORPUS[:400])
    assert metrics["perplexity"] == pytest.approx(np.exp(metrics["loss"]))
    assert metrics["bits_per_char"] == pytest.approx(
        metrics["loss"] / np.log(2)
    )


def test_training_lowers_the_loss(fitted):
    history = _fit(fitted, "lstm")[1]
    assert len(history.history["loss"]) == 2
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_unseen_characters_map_to_unknown_not_a_crash(trained):
    texts = trained.generate(["zebra ☃ 🙂"], max_length=4, **PLAIN)
    assert texts[0].startswith("zebra ☃ 🙂")


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"prompts": "to be"}, TypeError, r"\[prompt\]"),
        ({"prompts": []}, ValueError, "empty"),
        ({"prompts": ["a"], "max_length": 0}, ValueError, "max_length"),
        ({"prompts": ["a"], "sampler": "nope"}, ValueError, "top_k"),
        ({"prompts": ["a"], "decode": "fast"}, ValueError, "stepwise"),
        (
            {"prompts": ["a"], "sampler": "beam", "decode": "stepwise"},
            ValueError,
            "fused",
        ),
        (
            {"prompts": ["a"], "sampler": "beam", "num_beams": 0},
            ValueError,
            "num_beams",
        ),
        (
            {"prompts": ["a"], "no_repeat_ngram_size": -1},
            ValueError,
            "no_repeat_ngram_size=-1",
        ),
        (
            {"prompts": ["a"], "no_repeat_ngram_size": 1.0},
            ValueError,
            "no_repeat_ngram_size=1.0",
        ),
        (
            {"prompts": ["a"], "sampler": "beam", "length_penalty": "x"},
            ValueError,
            "length_penalty='x'",
        ),
        (
            {"prompts": ["a"], "sampler": "top_p", "length_penalty": 2.0},
            ValueError,
            "only applies to beam",
        ),
        ({"prompts": ["a"], "jit_compile": "yes"}, ValueError, "'auto'"),
    ],
)
def test_bad_generate_arguments(trained, kwargs, error, match):
    with pytest.raises(error, match=match):
        trained.generate(**kwargs)


@pytest.fixture(params=["lstm", "transformer"])
def short_context(request):
    return request.getfixturevalue(f"short_{request.param}")


def test_generation_runs_past_the_context_on_every_path(short_context):
    """A 16-position model generates 40 tokens: the Transformer over its
    sliding window, the LSTM carrying its state on (issue 21)."""
    outputs = {
        name: short_context.generate(
            ["to be"], max_length=40, **PLAIN, **kwargs
        )
        for name, kwargs in {
            "fused": {},
            "stepwise": {"decode": "stepwise"},
            "chunks": {"decode": "stepwise", "chunk_size": 8},
            "uncached": {"decode": "uncached"},
        }.items()
    }
    assert len(set(map(tuple, outputs.values()))) == 1, outputs
    text = outputs["fused"][0]
    assert text.startswith("to be") and len(text) > len("to be") + 16


def test_long_prompts_keep_their_last_context_tokens(short_transformer, caplog):
    generator = short_transformer
    with caplog.at_level("WARNING"):
        long = generator.generate(["x" * 30 + "to be"], max_length=20, **PLAIN)
    assert "keep their last 16 tokens" in caplog.text
    # The model never sees more than the last 16 tokens of the prompt.
    short = generator.generate(["x" * 11 + "to be"], max_length=20, **PLAIN)
    assert long[0][len("x" * 30 + "to be") :] == short[0][16:]


def test_export_generates_past_the_context(short_transformer, tmp_path):
    import tensorflow as tf

    generator = short_transformer
    path = generator.export(tmp_path / "gen", max_length=30)
    serve = tf.saved_model.load(path).signatures["serving_default"]
    prompts = ["to be", "whether"]
    served = serve(prompts=tf.constant(prompts))["text"].numpy()
    expected = generator.generate(prompts, max_length=30, **PLAIN)
    assert [t.decode("utf-8") for t in served] == expected


def new_repeats(ids, prompt_length, n):
    """N-grams ending after the prompt that occurred earlier (the
    prompt's own n-grams count as context)."""
    seen, found = set(), []
    for end in range(n - 1, len(ids)):
        gram = tuple(ids[end - n + 1 : end + 1])
        if end >= prompt_length and gram in seen:
            found.append(gram)
        seen.add(gram)
    return found


def test_no_repeat_ngram_size_and_length_penalty(trained, tmp_path):
    # The fused loop under XLA (the default) against the plain paths.
    outputs = {
        decode: trained.generate(
            PROMPTS,
            max_length=12,
            decode=decode,
            no_repeat_ngram_size=2,
            jit_compile="auto" if decode == "fused" else False,
        )
        for decode in ("fused", "stepwise", "uncached")
    }
    assert outputs["fused"] == outputs["stepwise"] == outputs["uncached"]
    options = {"length_penalty": 0.5, "no_repeat_ngram_size": 3, **PLAIN}
    beams = trained.generate(
        PROMPTS, max_length=12, sampler="beam", num_beams=2, **options
    )
    tokenize = trained.tokenizer.tokenize_ragged
    for texts, n in ((outputs["fused"], 2), (beams, 3)):
        for prompt, text in zip(PROMPTS, texts, strict=True):
            assert text.startswith(prompt)
            prompt_ids = tokenize([prompt]).to_list()[0]
            ids = tokenize([text]).to_list()[0]
            assert new_repeats(ids, len(prompt_ids), n) == [], text
    path = tmp_path / "lm.keras"
    trained.save(path)
    loaded = nlptoolkit.load(path)
    again = loaded.generate(
        PROMPTS, max_length=12, sampler="beam", num_beams=2, **options
    )
    assert again == beams


def test_lstm_and_transformer_get_their_own_defaults(short_lstm, tmp_path):
    lstm = nlptoolkit.TextGenerator("lstm", seed=0)
    transformer = nlptoolkit.TextGenerator("transformer", seed=0)
    assert (lstm.params["hidden_dim"], lstm.params["num_layers"]) == (256, 1)
    assert lstm.params["learning_rate"] == 5e-3
    assert transformer.params["hidden_dim"] == 128
    assert transformer.params["num_layers"] == 4
    assert transformer.params["learning_rate"] == 1e-3
    # Given values win over the backbone's defaults, and a saved model
    # comes back with the values it was built with.
    small = short_lstm  # built with hidden_dim=8, num_layers=2, 2e-3
    assert len(small.model.backbone.lstm_layers) == 2
    assert small.model.optimizer.learning_rate.numpy() == pytest.approx(2e-3)
    small.save(tmp_path / "gen.keras")
    loaded = nlptoolkit.load(tmp_path / "gen.keras")
    assert loaded.params["hidden_dim"] == 8
    assert loaded.params["num_layers"] == 2
