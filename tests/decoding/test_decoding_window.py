"""Generation past a Transformer's context: the sliding window, on every
decode path, against an uncached reference that crops the same way."""

import numpy as np
import pytest

from nlptoolkit import backbones
from nlptoolkit.callbacks import InferenceClock
from nlptoolkit.decoding import ContextWindow
from nlptoolkit.decoding import Decoder
from nlptoolkit.decoding import adapter_for
from nlptoolkit.decoding import make_sampler
from nlptoolkit.heads import LanguageModelHead

CONTEXT = 12


def build(kind="transformer", window_keep=None):
    if kind == "lstm":
        backbone = backbones.get(
            "lstm", vocabulary_size=30, hidden_dim=8, bidirectional=False
        )
    else:
        backbone = backbones.get(
            "transformer",
            vocabulary_size=30,
            sequence_length=CONTEXT,
            hidden_dim=8,
            intermediate_dim=16,
            num_heads=2,
            num_layers=2,
            causal=True,
            dropout=0.0,
        )
    head = LanguageModelHead(30)
    head(backbone(np.ones((1, 4), "int32")))
    return Decoder(adapter_for(backbone, head), window_keep=window_keep)


def batch(length=40):
    ids = np.zeros((3, length), "int32")
    ids[0, :4] = [2, 5, 6, 7]
    ids[1, :2] = [2, 9]
    ids[2, :6] = [2, 4, 8, 4, 8, 4]
    return ids, ids != 0


def simulated_starts(context, keep, length):
    """Window starts by the rule itself: slide to the last ``keep``
    tokens whenever the input would exceed ``context`` tokens."""
    starts, first = [], 0
    for index in range(length):
        if index - first > context:
            first = index - keep
        starts.append(first)
    return starts


def cropping_reference(decoder, ids, start, mask, keep):
    """Greedy decoding that feeds the model the cropped window at every
    step (written independently of ``ContextWindow``)."""
    ids = ids.copy()
    starts = simulated_starts(CONTEXT, keep, ids.shape[1])
    for index in range(start, ids.shape[1]):
        window = ids[:, starts[index] : index]
        logits = np.asarray(decoder.adapter.uncached_logits(window))
        new = logits.argmax(axis=-1)
        ids[:, index] = np.where(mask[:, index], ids[:, index], new)
    return ids


@pytest.mark.parametrize(
    "context,keep", [(8, 4), (12, 6), (12, 1), (12, 12), (5, 3)]
)
def test_window_formula_matches_the_rule(context, keep):
    window = ContextWindow(context, keep)
    starts = simulated_starts(context, keep, 80)
    assert [window.start(i) for i in range(80)] == starts
    slides = [i for i in range(1, 80) if starts[i] != starts[i - 1]]
    assert [i for i in range(80) if window.slides_at(i)] == slides
    for i in range(80):
        assert i - window.start(i) <= context  # never past the context
        nxt = window.next_slide(i)
        assert window.slides_at(nxt) and nxt >= i
        assert not any(window.slides_at(j) for j in range(i, nxt))


def test_window_tensor_formula_matches_the_int_one():
    window = ContextWindow(12, 5)
    indices = np.arange(60, dtype="int32")
    starts = np.asarray(window.start(indices))
    slides = np.asarray(window.slides_at(indices))
    assert starts.tolist() == [window.start(int(i)) for i in indices]
    assert slides.tolist() == [window.slides_at(int(i)) for i in indices]


@pytest.mark.parametrize("keep", [0, 13, 2.5, True])
def test_bad_keep_is_refused(keep):
    with pytest.raises(ValueError, match="keep"):
        ContextWindow(12, keep)


@pytest.mark.parametrize("keep", [None, 3])
def test_every_path_matches_the_cropping_reference(keep):
    decoder = build(window_keep=keep)
    ids, mask = batch(40)  # 40 positions, context 12
    expected = cropping_reference(decoder, ids, 2, mask, keep or CONTEXT // 2)
    # XLA compiles take seconds: the default keep runs every path with
    # and without XLA, the other keep without.
    jit = {"jit_compile": "auto" if keep is None else False}
    runs = {
        "fused": {"decode": "fused", **jit},
        "stepwise-chunks": {"decode": "stepwise", "chunk_size": 5, **jit},
        "stepwise-auto": {"decode": "stepwise", "chunk_size": "auto", **jit},
        "uncached": {"decode": "uncached"},
    }
    if keep is None:
        runs["fused-no-xla"] = {"decode": "fused", "jit_compile": False}
        runs["stepwise"] = {"decode": "stepwise"}
        runs["stepwise-no-xla"] = {"decode": "stepwise", "jit_compile": False}
    for name, kwargs in runs.items():
        output = decoder.generate(
            ids.copy(), 2, mask, make_sampler("greedy"), **kwargs
        )
        np.testing.assert_array_equal(output, expected, err_msg=name)


def test_the_clock_shows_reprefill_cycles_at_each_slide():
    decoder = build()
    window = decoder.window
    ids, mask = batch(40)
    clock = InferenceClock()
    decoder.generate(
        ids.copy(),
        2,
        mask,
        make_sampler("greedy"),
        decode="stepwise",
        chunk_size=4,
        callbacks=[clock],
        jit_compile=False,
    )
    df = clock.to_dataframe()
    slides = [i for i in range(3, 40) if window.slides_at(i)]
    assert slides  # the run crosses the context
    assert df[df["kind"] == "reprefill"]["position"].tolist() == slides
    chunks = df[df["kind"] == "chunk"]
    for position, span in zip(chunks["position"], chunks["span"], strict=True):
        covered = range(position, position + span)
        assert 1 <= span <= 4
        assert not any(window.slides_at(i) for i in covered)
    # Every position after the prompt is covered exactly once.
    covered = sorted(
        position + offset
        for position, span in zip(df["position"], df["span"], strict=True)
        for offset in range(span)
    )
    assert covered == list(range(2, 40))
    stats = clock.summary()
    assert stats["reprefill_cycles"] + stats["warmup_cycles"] >= len(slides)


@pytest.mark.parametrize(
    "sampler",
    [make_sampler("beam", num_beams=2), make_sampler("top_k", top_k=3, seed=1)],
)
def test_other_samplers_run_past_the_context(sampler):
    decoder = build()
    ids, mask = batch(30)
    first = decoder.generate(ids.copy(), 2, mask, sampler)
    again = decoder.generate(ids.copy(), 2, mask, sampler)
    np.testing.assert_array_equal(first, again)  # seeded: repeatable
    assert (first[~mask] >= 3).all()  # every position filled, no specials
    if not hasattr(sampler, "num_beams"):
        stepwise = decoder.generate(
            ids.copy(), 2, mask, sampler, decode="stepwise", jit_compile=False
        )
        assert (stepwise[~mask] >= 3).all()


def test_lstm_has_no_window_and_runs_on():
    decoder = build("lstm")
    assert decoder.window is None
    ids, mask = batch(60)
    outputs = [
        decoder.generate(ids.copy(), 2, mask, make_sampler("greedy"), **kw)
        for kw in (
            {"decode": "fused", "jit_compile": False},
            {"decode": "stepwise", "chunk_size": 7, "jit_compile": False},
            {"decode": "uncached"},
        )
    ]
    np.testing.assert_array_equal(outputs[0], outputs[1])
    np.testing.assert_array_equal(outputs[0], outputs[2])


def test_arrays_within_the_context_use_no_window():
    decoder = build()
    ids, mask = batch(CONTEXT)
    decoder.generate(ids.copy(), 2, mask, make_sampler("greedy"))
    assert all(not key[2] for key in decoder._compiled)
