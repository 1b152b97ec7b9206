"""The clocked stepwise path in chunks of k steps (``chunk_size``)."""

import numpy as np
import pytest

from nlptoolkit import backbones
from nlptoolkit.callbacks import InferenceClock
from nlptoolkit.decoding import Decoder
from nlptoolkit.decoding import adapter_for
from nlptoolkit.decoding import check_chunk_size
from nlptoolkit.decoding import make_sampler
from nlptoolkit.decoding.loop import ChunkSizer
from nlptoolkit.heads import LanguageModelHead


def build(kind):
    if kind == "lstm":
        backbone = backbones.get(
            "lstm", vocabulary_size=30, hidden_dim=8, bidirectional=False
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
            dropout=0.0,
        )
    head = LanguageModelHead(30)
    head(backbone(np.ones((1, 4), "int32")))
    return Decoder(adapter_for(backbone, head))


def batch(length=16):
    ids = np.zeros((2, length), "int32")
    ids[0, :4] = [2, 5, 6, 7]
    ids[1, :2] = [2, 9]
    return ids, ids != 0


@pytest.mark.parametrize("kind", ["lstm", "transformer"])
def test_chunks_give_the_fused_array_with_stop_tokens(kind):
    # Without XLA (compiles take seconds per shape; the chunks under XLA
    # are checked in test_decoding_window.py).
    decoder = build(kind)
    ids, mask = batch()
    greedy = make_sampler("greedy")
    free = decoder.generate(ids.copy(), 2, mask, greedy, jit_compile=False)
    # Stop on a token each row generates, so both rows stop early.
    stop = (int(free[0, 6]), int(free[1, 5]))
    fused = decoder.generate(
        ids.copy(), 2, mask, greedy, stop_token_ids=stop, jit_compile=False
    )
    for chunk_size in (1, 3, 32, "auto"):
        chunked = decoder.generate(
            ids.copy(),
            2,
            mask,
            greedy,
            decode="stepwise",
            chunk_size=chunk_size,
            stop_token_ids=stop,
            jit_compile=False,
        )
        np.testing.assert_array_equal(chunked, fused, err_msg=chunk_size)
    assert (fused[:, -1] == 0).all()  # the loop stopped before the end


def test_chunk_rows_cover_every_step_and_stream_every_token():
    decoder = build("transformer")
    ids, mask = batch(16)
    clock = InferenceClock()
    streamed = []
    decoder.generate(
        ids.copy(),
        2,
        mask,
        make_sampler("greedy"),
        decode="stepwise",
        chunk_size=4,
        callbacks=[clock],
        jit_compile=False,
        on_token=lambda step, tokens, index: streamed.append((step, index)),
    )
    df = clock.to_dataframe()
    assert df["kind"].tolist() == [
        "prefill",
        "chunk",
        "chunk",
        "chunk",
        "chunk",
    ]
    assert df["position"].tolist() == [2, 3, 7, 11, 15]
    assert df["span"].tolist() == [1, 4, 4, 4, 1]
    assert df["tokens"].tolist() == [2, 8, 8, 8, 2]
    assert df["index"].tolist() == [0, 1, 5, 9, 13]
    assert streamed == [(s, s + 2) for s in range(14)]


def test_warm_chunks_are_not_warm_up_cycles_again():
    decoder = build("lstm")
    ids, mask = batch(20)
    clocks = []
    for _ in range(2):
        clock = InferenceClock()
        decoder.generate(
            ids.copy(),
            2,
            mask,
            make_sampler("greedy"),
            decode="stepwise",
            chunk_size=5,
            callbacks=[clock],
        )
        clocks.append(clock.to_dataframe())
    assert clocks[0]["warmup"].any()  # traced and compiled
    assert not clocks[1]["warmup"].any()  # new positions: no recompile


@pytest.mark.parametrize("value", [0, -1, 2.0, True, "4"])
def test_bad_chunk_size_is_refused(value):
    with pytest.raises(ValueError, match="chunk_size"):
        check_chunk_size(value)


@pytest.mark.parametrize("decode", ["fused", "uncached"])
def test_chunk_size_needs_the_stepwise_path(decode):
    decoder = build("lstm")
    ids, mask = batch()
    with pytest.raises(ValueError, match="decode='stepwise'"):
        decoder.generate(
            ids, 2, mask, make_sampler("greedy"), decode=decode, chunk_size=4
        )


def test_auto_chunks_are_sized_from_the_measured_costs():
    decoder = build("lstm")
    ids, mask = batch(40)
    greedy = make_sampler("greedy")
    fused = decoder.generate(ids.copy(), 2, mask, greedy)
    frames, first_chunk = [], []
    for _ in range(2):
        costs = dict(next(iter(decoder._chunk_costs.values()), {}))
        first_chunk.append(min(ChunkSizer(costs).steps(), 37))
        clock = InferenceClock()
        output = decoder.generate(
            ids.copy(),
            2,
            mask,
            greedy,
            decode="stepwise",
            chunk_size="auto",
            callbacks=[clock],
        )
        np.testing.assert_array_equal(output, fused)
        frames.append(clock.to_dataframe())
    for frame, steps in zip(frames, first_chunk, strict=True):
        assert frame["kind"].tolist()[0] == "prefill"
        assert set(frame["kind"].tolist()[1:]) == {"chunk"}
        assert frame["span"].sum() == 38  # every step, once
        assert frame["position"].tolist()[1] == 3
        assert frame["span"].tolist()[1] == steps
    # The first run measured a call and a step (the second run's first
    # chunk was sized from them, not ChunkSizer.FIRST_STEPS).
    assert first_chunk[0] == ChunkSizer.FIRST_STEPS
    (costs,) = decoder._chunk_costs.values()
    assert costs["call"] > 0 and costs["step"] > 0
    assert not frames[1]["warmup"].any()


def test_chunk_sizer_keeps_the_call_a_small_share_of_each_chunk():
    sizer = ChunkSizer({})
    assert sizer.needs_probe() and sizer.steps() == ChunkSizer.FIRST_STEPS
    calls = []

    def call():
        calls.append(1)
        return None, len(calls) == 1  # the first call compiles

    assert sizer.probe(call, repeats=2) is True and len(calls) == 3
    assert not sizer.needs_probe()
    sizer.costs.update(probe=0.0021, call=0.0021)
    sizer.record(10, 0.0121, warmup=False)  # 1 ms a step
    assert sizer.costs["step"] == pytest.approx(0.001)
    steps = sizer.steps()
    assert 0.0021 / (0.0021 + steps * 0.001) <= ChunkSizer.CALL_SHARE
    assert 0.0021 / (0.0021 + (steps - 1) * 0.001) > ChunkSizer.CALL_SHARE
    sizer.record(10, 5.0, warmup=True)  # a compile: not a step cost
    assert sizer.costs["step"] == pytest.approx(0.001)
    sizer.costs.update(call=10.0, step=0.5)  # capped at MAX_SECONDS
    assert sizer.steps() == int(ChunkSizer.MAX_SECONDS / 0.5)
    sizer.costs.update(call=10.0, step=5.0)  # a step over the cap: 1
    assert sizer.steps() == 1


def test_chunk_sizer_fits_the_fixed_cost_a_chunk_really_pays():
    # Chunks pay 3 ms each and 1 ms a step, but a call that runs no step
    # takes 2 ms: with one chunk length the probe stands for the fixed
    # cost (the step is then overstated), with two lengths or more both
    # costs come from a least-squares fit of the chunks.
    sizer = ChunkSizer({"probe": 0.002, "call": 0.002})
    sizer.record(8, 0.011, warmup=False)
    assert sizer.costs["step"] == pytest.approx(0.009 / 8)
    sizer.record(20, 0.023, warmup=False)
    sizer.record(20, 0.023, warmup=False)
    assert sizer.costs["call"] == pytest.approx(0.003)
    assert sizer.costs["step"] == pytest.approx(0.001)
    assert sizer.steps() == 57  # ceil(3 ms * 0.95 / (0.05 * 1 ms))
    # A fit below the probe (noise) keeps the probe's figure.
    noisy = ChunkSizer({"probe": 0.002, "call": 0.002})
    noisy.record(8, 0.0085, warmup=False)
    noisy.record(40, 0.0405, warmup=False)
    assert noisy.costs["call"] == 0.002
    assert noisy.costs["step"] == pytest.approx(0.001)
    # Only the last HISTORY chunks count.
    for _ in range(ChunkSizer.HISTORY + 5):
        noisy.record(30, 0.035, warmup=False)
    assert len(noisy.costs["records"]) == ChunkSizer.HISTORY


def test_auto_chunk_size_is_accepted_only_stepwise():
    assert check_chunk_size("auto") == "auto"
    with pytest.raises(ValueError, match="decode='stepwise'"):
        check_chunk_size("auto", "fused")
