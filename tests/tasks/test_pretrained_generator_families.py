"""The decoder families keras-hub's converters read, through TextGenerator:
a tiny random Mistral, Gemma, Gemma 3 (text-only), Qwen 2 and Qwen 3
(``presets.CAUSAL_FAMILIES``: sliding-window, multi-query and
grouped-query attention, a head_dim unlike hidden_dim / heads, tied and
untied outputs, a per-layer cache, SentencePiece and byte-level BPE
tokenizers) saved with keras-hub's ``save_to_preset``, each fine-tuned
once per module; Gemma and Mistral also as Hugging Face folders.

CPU is the budget. Decoding runs with ``jit_compile=False`` (XLA
compiles take seconds per shape; ``test_pretrained_generator.py`` covers
XLA). Fine-tuning and the forced end of text run eagerly: tracing the
train step costs several times the three eager steps, per family, and
the traced step is the one every preset shares
(``test_pretrained_generator.py`` runs it). The slow tests (``-m slow``)
hold Qwen 3 (no code of its own), Gemma 3's decoding on three
paths and after load (its per-layer cache is checked by the default run's
cached-steps test), the Mistral Hugging Face folder and Gemma's export
(a SentencePiece continuation in the SavedModel)."""

import contextlib
import os

import numpy as np
import pytest
from presets import CAUSAL_FAMILIES
from presets import GPT2_TEXTS
from presets import write_hf_causal_lm
from presets import write_keras_hub_causal_lm

import nlptoolkit

PROMPTS = ["the cat", "", "a dog ran on the"]
# family: (start token, end token, pad token or id, cache's (key/value
# heads, head_dim)). keras-hub gives Mistral and Qwen 2 pad id 0, a real
# piece here; Qwen has no start token (texts start with the end token).
EXPECTED = {
    "mistral": ("<s>", "</s>", 0, (2, 4)),
    "gemma": ("<bos>", "<eos>", "<pad>", (1, 12)),
    "gemma3": ("<bos>", "<eos>", "<pad>", (1, 12)),
    "qwen": ("<|endoftext|>", "<|endoftext|>", 0, (2, 4)),
    "qwen3": ("<|im_end|>", "<|im_end|>", "<|endoftext|>", (2, 6)),
}
# The families keras-hub writes Hugging Face folders of and reads back
# (its Qwen exporter writes vocab.json and merges.txt, its Qwen converter
# reads tokenizer.json): their Hugging Face architecture and how close the
# logits come back (keras-hub's Mistral converter rounds every weight to
# float16).
HF_FOLDERS = {
    "gemma": ("GemmaForCausalLM", 1e-5),
    "mistral": ("MistralForCausalLM", 2e-3),
}


SLOW = pytest.mark.slow
FAMILIES = [
    pytest.param(name, marks=SLOW) if name == "qwen3" else name
    for name in sorted(CAUSAL_FAMILIES)
]
DECODED_FAMILIES = [
    pytest.param(name, marks=SLOW) if name in ("gemma3", "qwen3") else name
    for name in sorted(CAUSAL_FAMILIES)
]


@contextlib.contextmanager
def eagerly():
    """``tf.function`` runs eagerly inside (no tracing)."""
    import tensorflow as tf

    tf.config.run_functions_eagerly(True)
    try:
        yield
    finally:
        tf.config.run_functions_eagerly(False)


@pytest.fixture(scope="module", params=FAMILIES)
def family(request):
    return request.param


@pytest.fixture(scope="module")
def folder(family, tmp_path_factory):
    path = tmp_path_factory.mktemp(family) / "hub"
    return write_keras_hub_causal_lm(path, family)


@pytest.fixture(scope="module")
def tuned(folder):
    """Fine-tuned three steps (one batch per epoch), eagerly."""
    generator = nlptoolkit.TextGenerator(
        folder, seed=0, sequence_length=16, learning_rate=1e-2
    )
    with eagerly():
        history = generator.fit(GPT2_TEXTS, epochs=3, batch_size=4, verbose=0)
    return generator, history.history["loss"]


def test_loss_cache_layout_and_special_ids(family, tuned):
    """Fine-tuning lowers the loss; the cache has the family's key/value
    heads and head_dim; start, end and pad ids are the preset
    tokenizer's (not 0 where it says otherwise), its special tokens other
    than the end are never generated, and a continuation keeps the space
    before its first word (SentencePiece drops it at a text's start)."""
    generator, losses = tuned
    assert losses[-1] < losses[0], losses
    start, end, pad, (heads, head_dim) = EXPECTED[family]
    backbone = generator.model.backbone
    assert backbone.cache_shape(3, 7) == (3, 2, 2, 7, heads, head_dim)
    hub = generator.tokenizer.hub_tokenizer

    def id_of(token):
        return token if isinstance(token, int) else hub.token_to_id(token)

    ids = (id_of(start), id_of(end), id_of(pad))
    assert generator.special_ids == ids
    assert generator.end_ids == (ids[1],)
    specials = set(generator.tokenizer.special_token_ids)
    assert ids[1] in specials
    assert generator.decoder.adapter.forbidden_ids == tuple(
        sorted(specials - {ids[1]})
    )
    tokenizer = generator.tokenizer
    text = "the cat sat on the mat."
    row = generator._token_rows([text])[0]
    assert tokenizer.detokenize([row]) == [text]
    assert (
        tokenizer.detokenize([row[:2]])[0]
        + tokenizer.detokenize([row[2:]], continuation=True)[0]
        == text
    )


def test_end_id_stops_generation(tuned):
    """With every id but the preset tokenizer's end id forbidden, greedy
    decoding emits it right after each prompt, and the loop stops there:
    the columns past the longest prompt's end keep the filler, and each
    prompt comes back as it was."""
    from nlptoolkit.decoding import Decoder
    from nlptoolkit.decoding import adapter_for
    from nlptoolkit.decoding import make_sampler

    generator, _ = tuned
    model = generator.model
    end = generator.tokenizer.hub_tokenizer.end_token_id
    size = generator.tokenizer.vocabulary_size
    others = sorted(set(range(size)) - {end})
    decoder = Decoder(
        adapter_for(model.backbone, model.head, forbidden_ids=others)
    )
    stop_ids = list(generator.end_ids)
    ids, lengths = generator._encode_prompts(PROMPTS, 4, stop_ids)
    mask = np.arange(ids.shape[1])[None, :] < lengths[:, None]
    with eagerly():
        out = np.asarray(
            decoder.generate(
                ids,
                int(lengths.min()),
                mask,
                make_sampler("greedy"),
                decode="uncached",
                stop_token_ids=stop_ids,
                jit_compile=False,
            )
        )
    assert (out[np.arange(len(PROMPTS)), lengths] == end).all()
    rest = out[:, lengths.max() + 1 :]
    assert rest.size and (rest == generator._filler(stop_ids)).all()
    assert generator._texts(PROMPTS, out, lengths, stop_ids, 4) == PROMPTS


def test_cached_steps_equal_the_uncached_forward_pass(tuned):
    """Prefill the prompt, then every step from the cache: each step's
    logits equal the full model's on the whole prefix (float32, atol
    1e-5), past Mistral's 4-token sliding window."""
    generator, _ = tuned
    adapter = generator.decoder.adapter
    ids, lengths = generator._encode_prompts(["the dog sat on the log"], 6)
    start = int(lengths[0])
    assert start > 4
    ids[0, start:] = [5, 0, 17, 30, 0, 9]  # Past the window.
    full = np.array(generator.model(ids))
    full[..., list(adapter.forbidden_ids)] = -1e9
    cache = adapter.prefill(ids[:, :start], ids.shape[1])
    for index in range(start, ids.shape[1] + 1):
        logits, _, cache = adapter.next(ids, cache, index)
        np.testing.assert_allclose(
            np.asarray(logits)[0], full[0, index - 1], atol=1e-5
        )


@pytest.mark.parametrize("family", DECODED_FAMILIES, indirect=True)
def test_greedy_is_the_same_on_three_paths_and_after_load(
    family, folder, tuned, tmp_path
):
    """Greedy text is identical on fused, stepwise and uncached, and
    after ``nlptoolkit.load`` with the preset folder gone; each text is
    its prompt's and new tokens' detokenized together (a SentencePiece
    continuation keeps its space)."""
    from nlptoolkit.decoding import make_sampler

    generator, _ = tuned
    out = {
        decode: generator.generate(
            PROMPTS, max_length=6, decode=decode, jit_compile=False
        )
        for decode in ("fused", "stepwise", "uncached")
    }
    assert out["fused"] == out["stepwise"] == out["uncached"]
    pairs = list(zip(out["fused"], PROMPTS, strict=True))
    assert any(len(text) > len(prompt) for text, prompt in pairs)
    stop_ids = list(generator.end_ids)
    ids, lengths = generator._encode_prompts(PROMPTS, 6, stop_ids)
    mask = np.arange(ids.shape[1])[None, :] < lengths[:, None]
    rows = generator.decoder.generate(
        ids,
        int(lengths.min()),
        mask,
        make_sampler("greedy"),
        stop_token_ids=stop_ids,
        jit_compile=False,
    )
    whole = []
    for row, length in zip(np.asarray(rows), lengths, strict=True):
        new = list(row[length : length + 6])
        stops = [i for i, token in enumerate(new) if token in stop_ids]
        whole.append(list(row[:length]) + new[: (stops or [6])[0]])
    assert generator.tokenizer.detokenize(whole) == out["fused"]
    path = tmp_path / f"{family}.keras"
    generator.save(path)
    moved = folder + "-moved"
    os.rename(folder, moved)
    try:
        loaded = nlptoolkit.load(path)
        assert (
            loaded.generate(PROMPTS, max_length=6, jit_compile=False)
            == out["fused"]
        )
        assert loaded.model.task_config["pretrained"]["source"] == "keras_hub"
    finally:
        os.rename(moved, folder)


@pytest.mark.parametrize(
    "family", ["gemma", pytest.param("mistral", marks=SLOW)], indirect=True
)
def test_hugging_face_folder_of_the_same_weights(family, tuned, tmp_path):
    """The fine-tuned model written as a Hugging Face folder (keras-hub's
    exporter) reads back through keras-hub's converter: the same
    tokenizer ids, logits and greedy text as the keras-hub folder's."""
    generator, _ = tuned
    architecture, atol = HF_FOLDERS[family]
    folder = write_hf_causal_lm(
        generator.model.backbone.causal_lm,
        tmp_path / "hf",
        architecture,
        preprocessor=generator.tokenizer.preprocessor,
    )
    hf = nlptoolkit.TextGenerator(folder, seed=0, sequence_length=16)
    hf.model = hf._build_model(GPT2_TEXTS)  # Built, not trained.
    manifest = hf.model.task_config["pretrained"]
    assert (manifest["source"], manifest["architecture"]) == (
        "huggingface",
        family,
    )
    assert hf.special_ids == generator.special_ids
    assert hf._token_rows(GPT2_TEXTS) == generator._token_rows(GPT2_TEXTS)
    ids = generator._encode_prompts(PROMPTS, 0)[0]
    np.testing.assert_allclose(hf.model(ids), generator.model(ids), atol=atol)
    assert hf.generate(
        PROMPTS, max_length=6, jit_compile=False
    ) == generator.generate(PROMPTS, max_length=6, jit_compile=False)


def test_an_image_text_gemma3_is_refused(tmp_path):
    """Gemma 3 with a vision encoder takes images too: fine-tuning it as a
    text generator fails with one error naming it and the fix."""
    import keras_hub

    arguments = CAUSAL_FAMILIES["gemma3"][1]
    vision = keras_hub.models.Gemma3VisionEncoder(
        image_size=16,
        patch_size=4,
        num_heads=2,
        hidden_dim=8,
        num_layers=1,
        intermediate_dim=16,
        output_dim=16,
        pool_size=2,
    )
    backbone = keras_hub.models.Gemma3Backbone(
        vocabulary_size=64,
        num_layers=1,
        hidden_dim=16,
        intermediate_dim=32,
        vision_encoder=vision,
        **arguments,
    )
    folder = str(tmp_path / "gemma3-vision")
    backbone.save_to_preset(folder)
    generator = nlptoolkit.TextGenerator(folder)
    with pytest.raises(ValueError, match="text-only causal LM") as error:
        generator.fit(GPT2_TEXTS, epochs=1, verbose=0)
    message = str(error.value)
    assert "Gemma3Backbone with a vision encoder" in message
    assert "gemma3_text" in message


@SLOW
@pytest.mark.parametrize("family", ["gemma"], indirect=True)
def test_export_serves_greedy_text(family, tuned, tmp_path):
    """The SavedModel writes a SentencePiece continuation as generate
    does: the space before its first word kept after a prompt, none
    after an empty one."""
    import tensorflow as tf

    generator, _ = tuned
    path = generator.export(str(tmp_path / "1"), max_length=6)
    serve = tf.saved_model.load(path).signatures["serving_default"]
    texts = serve(prompts=tf.constant(PROMPTS))["text"].numpy()
    assert [t.decode() for t in texts] == generator.generate(
        PROMPTS, max_length=6, jit_compile=False
    )
