import numpy as np
import pytest

from nlptoolkit import backbones
from nlptoolkit.decoding import Decoder
from nlptoolkit.decoding import adapter_for
from nlptoolkit.decoding import count_generated
from nlptoolkit.decoding import make_sampler
from nlptoolkit.heads import LanguageModelHead

# XLA compiles take seconds per shape: these tests decode without it
# (test_decoding_jit.py compares the XLA loops with these), except the
# fused loops with the n-gram ban (greedy and beam), which run under XLA
# as by default.
PLAIN = {"jit_compile": False}


def build(kind):
    if kind == "lstm":
        backbone = backbones.get(
            "lstm",
            vocabulary_size=30,
            hidden_dim=8,
            bidirectional=False,
            num_layers=2,
        )
    else:
        backbone = backbones.get(
            "transformer",
            vocabulary_size=30,
            sequence_length=24,
            hidden_dim=8,
            intermediate_dim=16,
            num_heads=2,
            num_layers=2,
            causal=True,
        )
    head = LanguageModelHead(30)
    head(backbone(np.ones((1, 4), "int32")))
    return Decoder(adapter_for(backbone, head))


@pytest.mark.parametrize("kind", ["lstm", "transformer"])
def test_paths_agree_and_keep_prompts(kind):
    decoder = build(kind)
    ids = np.zeros((3, 12), "int32")
    ids[0, :4] = [2, 5, 6, 7]
    ids[1, :2] = [2, 9]
    ids[2, :6] = [2, 4, 4, 4, 4, 4]
    mask = ids != 0
    outputs = [
        decoder.generate(
            ids.copy(), 2, mask, make_sampler("greedy"), decode=decode, **PLAIN
        )
        for decode in ("fused", "stepwise", "uncached")
    ]
    np.testing.assert_array_equal(outputs[0], outputs[1])
    np.testing.assert_array_equal(outputs[0], outputs[2])
    np.testing.assert_array_equal(outputs[0][mask], ids[mask])
    assert (outputs[0][~mask] >= 3).all()  # never PAD, UNK or BOS


def test_forbidden_ids_are_never_generated():
    decoder = build("transformer")
    ids = np.zeros((2, 20), "int32")
    ids[:, 0] = 2
    out = decoder.generate(
        ids,
        1,
        ids != 0,
        make_sampler("random", seed=1),
        decode="stepwise",
        **PLAIN,
    )
    assert not np.isin(out[:, 1:], [0, 1, 2]).any()


def test_hooks_are_called_in_order():
    events = []

    class Recorder:
        def on_decode_begin(self, logs):
            events.append(("begin", logs["decode"]))

        def on_prefill_end(self, logs):
            events.append(("prefill", logs["position"]))

        def on_decode_step_end(self, step, logs):
            events.append(("step", step, logs["position"]))

        def on_decode_end(self, logs):
            events.append(("end", logs["tokens_generated"]))

    decoder = build("lstm")
    ids = np.zeros((1, 5), "int32")
    ids[0, :2] = [2, 7]
    decoder.generate(
        ids,
        2,
        ids != 0,
        make_sampler("greedy"),
        decode="stepwise",
        callbacks=[Recorder()],
        **PLAIN,
    )
    assert events == [
        ("begin", "stepwise"),
        ("prefill", 2),
        ("step", 1, 3),
        ("step", 2, 4),
        ("end", 3),
    ]


def test_count_generated_stops_at_stop_tokens():
    out = np.array([[2, 5, 6, 3, 9], [2, 7, 8, 8, 8]])
    mask = np.array([[1, 1, 0, 0, 0], [1, 0, 0, 0, 0]], bool)
    assert count_generated(out, mask, (3,)) == 2 + 4


def repeats(row, mask_row, n):
    """N-grams that end at a generated position and occurred before."""
    seen, found = set(), []
    for end in range(n - 1, len(row)):
        gram = tuple(row[end - n + 1 : end + 1])
        if not mask_row[end] and gram in seen:
            found.append(gram)
        seen.add(gram)
    return found


@pytest.mark.parametrize("kind", ["lstm", "transformer"])
def test_no_repeat_ngram_size_on_every_path_and_sampler(kind):
    decoder = build(kind)
    ids = np.zeros((3, 16), "int32")
    ids[0, :4] = [2, 5, 6, 7]
    ids[1, :2] = [2, 9]
    ids[2, :6] = [2, 4, 4, 4, 4, 4]  # a prompt that repeats itself
    mask = ids != 0
    plain = decoder.generate(
        ids.copy(), 2, mask, make_sampler("greedy"), **PLAIN
    )
    outputs = [
        decoder.generate(
            ids.copy(),
            2,
            mask,
            make_sampler("greedy"),
            decode=decode,
            no_repeat_ngram_size=2,
            jit_compile="auto" if decode == "fused" else False,
        )
        for decode in ("fused", "stepwise", "uncached")
    ]
    np.testing.assert_array_equal(outputs[0], outputs[1])
    np.testing.assert_array_equal(outputs[0], outputs[2])
    np.testing.assert_array_equal(outputs[0][mask], ids[mask])
    # An untrained model repeats itself; the ban changes its output.
    assert any(repeats(r, m, 2) for r, m in zip(plain, mask, strict=True))
    beam = decoder.generate(
        ids.copy(), 2, mask, make_sampler("beam"), no_repeat_ngram_size=2
    )
    top_k = decoder.generate(
        ids.copy(),
        2,
        mask,
        make_sampler("top_k", top_k=5, seed=1),
        decode="stepwise",
        no_repeat_ngram_size=3,
        **PLAIN,
    )
    np.testing.assert_array_equal(beam[mask], ids[mask])
    for out, n in ((outputs[0], 2), (beam, 2), (top_k, 3)):
        for row, row_mask in zip(out.tolist(), mask, strict=True):
            assert repeats(row, row_mask, n) == [], (n, row)


def test_fused_graph_bans_repeats_when_traced():
    import tensorflow as tf

    decoder = build("transformer")
    run = tf.function(
        lambda ids: decoder.fused_graph(
            ids, 1, ids != 0, make_sampler("greedy"), no_repeat_ngram_size=1
        ),
        input_signature=[tf.TensorSpec([None, None], tf.int32)],
    )
    ids = np.zeros((2, 12), "int32")
    ids[:, 0] = 2
    out = run(ids).numpy()
    eager = decoder.generate(
        ids.copy(),
        1,
        ids != 0,
        make_sampler("greedy"),
        no_repeat_ngram_size=1,
        **PLAIN,
    )
    np.testing.assert_array_equal(out, eager)
    for row in out:
        assert len(set(row.tolist())) == len(row)  # no token twice


def test_bad_no_repeat_ngram_size_is_refused():
    decoder = build("lstm")
    ids = np.zeros((1, 4), "int32")
    ids[0, 0] = 2
    for value in (-1, 2.0, True):
        with pytest.raises(ValueError, match="no_repeat_ngram_size"):
            decoder.generate(
                ids, 1, ids != 0, make_sampler(), no_repeat_ngram_size=value
            )
