"""A grouped-query causal family through TextGenerator: a tiny random
Llama 3 (4 query heads over 2 key/value heads, rotary positions, an
untied output embedding, a byte-level BPE tokenizer with five special
tokens) saved with keras-hub's ``save_to_preset``, fine-tuned once per
module. The cache is ``(batch, layers, 2, length, 2, head_dim)``: a
cache sized by the query heads would fail ``call_with_cache``.

Decoding runs with ``jit_compile=False`` (XLA compiles take seconds per
shape on a 2-core CPU; ``test_pretrained_generator.py`` covers XLA)."""

import os

import numpy as np
import pytest
from presets import GPT2_TEXTS
from presets import LLAMA3_SPECIALS
from presets import beam_gains_over_greedy
from presets import write_keras_hub_llama3

import nlptoolkit

PROMPTS = ["the cat", "", "a dog ran on the"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_keras_hub_llama3(tmp_path_factory.mktemp("llama3") / "hub")


@pytest.fixture(scope="module")
def tuned(folder):
    generator = nlptoolkit.TextGenerator(
        folder, seed=0, sequence_length=16, learning_rate=1e-2
    )
    history = generator.fit(GPT2_TEXTS * 2, epochs=2, batch_size=4, verbose=0)
    return generator, history.history["loss"]


def test_grouped_query_cache_and_special_ids(tuned):
    """The cache has the key/value heads (2), not the query heads (4);
    the start and header ids are never generated; both end ids,
    ``<|end_of_text|>`` and ``<|eot_id|>`` (an instruct model's end of
    turn), end generation."""
    generator, losses = tuned
    assert losses[-1] < losses[0]
    backbone = generator.model.backbone
    hub = backbone.hub_backbone
    assert (hub.num_query_heads, hub.num_key_value_heads) == (4, 2)
    assert backbone.cache_shape(3, 7) == (3, 2, 2, 7, 2, 4)
    assert backbone.max_sequence_length is None  # Rotary: no table.
    ids = {
        t: generator.tokenizer.hub_tokenizer.token_to_id(t)
        for t in LLAMA3_SPECIALS
    }
    start, end = ids["<|begin_of_text|>"], ids["<|end_of_text|>"]
    assert generator.special_ids[:2] == (start, end)
    eot = ids["<|eot_id|>"]
    assert generator.end_ids == (end, eot)
    assert generator.decoder.adapter.forbidden_ids == tuple(
        sorted(set(ids.values()) - {end, eot})
    )
    # A row that says <|eot_id|> ends there, the token cut like the end.
    the = generator.tokenizer.hub_tokenizer.token_to_id("the")
    row = np.asarray([[start, the, the, eot, the, the]])
    assert generator._texts(
        ["x"], row, np.asarray([1]), list(generator.end_ids), 5
    ) == generator._texts(["x"], row[:, :3], np.asarray([1]), [end], 5)


def test_cached_steps_equal_the_uncached_forward_pass(tuned):
    """Prefill the prompt, then every step from the grouped-query cache:
    each step's logits equal the full model's on the whole prefix
    (float32, atol 1e-5), the forbidden ids masked in both."""
    generator, _ = tuned
    adapter = generator.decoder.adapter
    ids, lengths = generator._encode_prompts(["the dog sat on"], 6)
    start = int(lengths[0])
    ids[0, start:] = [5, 0, 17, 30, 0, 2]
    full = generator.model.predict(ids, verbose=0)
    full[..., list(adapter.forbidden_ids)] = -1e9
    cache = adapter.prefill(ids[:, :start], ids.shape[1])
    for index in range(start, ids.shape[1] + 1):
        logits, _, cache = adapter.next(ids, cache, index)
        np.testing.assert_allclose(
            np.asarray(logits)[0], full[0, index - 1], atol=1e-5
        )
    np.testing.assert_allclose(
        np.asarray(adapter.uncached_logits(ids))[0],
        full[0, -1],
        atol=1e-5,
    )


def test_greedy_is_the_same_on_three_paths_and_after_load(
    folder, tuned, tmp_path
):
    """Greedy text is identical on fused, stepwise and uncached, and
    after ``nlptoolkit.load`` with the preset folder gone."""
    generator, _ = tuned
    out = {
        decode: generator.generate(
            PROMPTS, max_length=8, decode=decode, jit_compile=False
        )
        for decode in ("fused", "stepwise", "uncached")
    }
    assert out["fused"] == out["stepwise"] == out["uncached"]
    pairs = list(zip(out["fused"], PROMPTS, strict=True))
    assert all(text.startswith(prompt) for text, prompt in pairs)
    assert any(len(text) > len(prompt) for text, prompt in pairs)
    path = tmp_path / "llama.keras"
    generator.save(path)
    moved = folder + "-moved"
    os.rename(folder, moved)
    try:
        loaded = nlptoolkit.load(path)
        assert (
            loaded.generate(PROMPTS, max_length=8, jit_compile=False)
            == out["fused"]
        )
        np.testing.assert_allclose(
            loaded.predict(PROMPTS), generator.predict(PROMPTS), atol=1e-5
        )
    finally:
        os.rename(moved, folder)


def test_beam_search_never_scores_below_greedy(tuned):
    """Exhaustive two-token beam search scores the best continuation of
    the model's uncached logits, never below greedy's; on "the cat"
    greedy's first token is not the best start (beam ahead by > 1 nat)."""
    generator, _ = tuned
    gains = beam_gains_over_greedy(generator, ["the cat", "a dog ran on the"])
    assert gains[0] > 1.0, gains
