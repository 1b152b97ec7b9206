"""The clocked stepwise path in chunks of k steps (``chunk_size``)."""

import numpy as np
import pytest

from nlptoolkit import backbones
from nlptoolkit.callbacks import InferenceClock
from nlptoolkit.decoding import Decoder
from nlptoolkit.decoding import adapter_for
from nlptoolkit.decoding import check_chunk_size
from nlptoolkit.decoding import make_sampler
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
    decoder = build(kind)
    ids, mask = batch()
    greedy = make_sampler("greedy")
    free = decoder.generate(ids.copy(), 2, mask, greedy)
    # Stop on a token each row generates, so both rows stop early.
    stop = (int(free[0, 6]), int(free[1, 5]))
    fused = decoder.generate(ids.copy(), 2, mask, greedy, stop_token_ids=stop)
    for chunk_size in (1, 3, 32):
        chunked = decoder.generate(
            ids.copy(),
            2,
            mask,
            greedy,
            decode="stepwise",
            chunk_size=chunk_size,
            stop_token_ids=stop,
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
