"""nlptoolkit's ``BeamSampler``: frozen finished beams, ``length_penalty``.

Most cases use a fake ``next`` whose logits depend only on the last token
(a bigram table), so which hypothesis wins can be worked out by hand.
Tokens: 0 [PAD], 1 [BOS], 4 the stop token.
"""

import keras
import keras_hub
import numpy as np
import pytest
from keras import ops

from nlptoolkit.decoding import BeamSampler
from nlptoolkit.decoding import make_sampler

STOP = (4,)


def bigram_next(rows):
    """``next(prompt, cache, index)`` from next-token probabilities by
    last token (``rows[t]``: the distribution after token ``t``)."""
    with np.errstate(divide="ignore"):
        table = np.log(np.asarray(rows, "float32"))

    def next(prompt, cache, index):
        last = ops.take(prompt, index - 1, axis=1)
        return ops.take(table, last, axis=0), None, cache

    return next


def decode(sampler, next, length=5, prompt=None, index=1, mask=None):
    if prompt is None:
        prompt = np.zeros((1, length), "int32")
        prompt[:, 0] = 1
    out = sampler(next, prompt, index=index, mask=mask, stop_token_ids=STOP)
    return ops.convert_to_numpy(out).tolist()


UNIFORM = [0.2] * 5
# "4" alone: log 0.5 = -0.69 in sum, per token -0.69;
# "2 3 4": log(0.4 * 0.9 * 0.9) = -1.13 in sum, per token -0.38.
SHORT_OR_LONG = [
    UNIFORM,
    [0.04, 0.03, 0.4, 0.03, 0.5],
    [0.025, 0.025, 0.025, 0.9, 0.025],
    [0.025, 0.025, 0.025, 0.025, 0.9],
    UNIFORM,
]


@pytest.mark.parametrize(
    "penalty, expected",
    [
        (0.0, [1, 4, 0, 0, 0]),
        (-1.0, [1, 4, 0, 0, 0]),
        (1.0, [1, 2, 3, 4, 0]),
        (2.0, [1, 2, 3, 4, 0]),
    ],
)
def test_length_penalty_chooses_between_short_and_long(penalty, expected):
    sampler = make_sampler("beam", num_beams=2, length_penalty=penalty)
    assert decode(sampler, bigram_next(SHORT_OR_LONG)) == [expected]


def test_a_finished_beam_is_frozen_and_keeps_its_score():
    # After [BOS]: stop (0.5) or "2" (0.45); "2" repeats (0.95). The
    # finished beam holds [PAD] from then on; with the plain sum its
    # log 0.5 = -0.69 beats "2 2 2 2 2 2 2" (-1.10). keras-hub's sampler
    # keeps extending the finished beam (log 0.6 a step) and loses it.
    rows = [
        UNIFORM,
        [0.02, 0.02, 0.45, 0.01, 0.5],
        [0.0, 0.0, 0.95, 0.02, 0.03],
        UNIFORM,
        [0.1, 0.1, 0.1, 0.6, 0.1],
    ]
    next = bigram_next(rows)
    ours = BeamSampler(num_beams=2, length_penalty=0.0)
    assert decode(ours, next, length=8) == [[1, 4, 0, 0, 0, 0, 0, 0]]
    theirs = keras_hub.samplers.BeamSampler(num_beams=2)
    assert decode(theirs, next, length=8)[0][:2] == [1, 2]
    # Per token (penalty 2), the long unfinished hypothesis wins.
    long = BeamSampler(num_beams=2, length_penalty=2.0)
    assert decode(long, next, length=8) == [[1, 2, 2, 2, 2, 2, 2, 2]]


def test_a_finished_hypothesis_that_loses_its_slot_is_kept():
    # "4" (log 0.09 = -2.41) finishes first, then two likelier
    # continuations of "2" push it out of both slots; everything after
    # them ends below -2.41, so "4" is still the answer.
    after = [0.0, 0.0, 0.2, 0.2, 0.2, 0.2, 0.2]
    rows = [
        after,
        [0.004, 0.004, 0.89, 0.004, 0.09, 0.004, 0.004],
        [0.02, 0.02, 0.02, 0.45, 0.02, 0.45, 0.02],
        after,
        [1 / 7] * 7,
        after,
        after,
    ]
    sampler = BeamSampler(num_beams=2, length_penalty=0.0)
    assert decode(sampler, bigram_next(rows), length=6) == [[1, 4, 0, 0, 0, 0]]


def test_one_beam_is_greedy():
    next = bigram_next(SHORT_OR_LONG)
    greedy = keras_hub.samplers.GreedySampler()
    for penalty in (0.0, 1.0, 3.0):
        beam = BeamSampler(num_beams=1, length_penalty=penalty)
        assert decode(beam, next) == [[1, 4, 0, 0, 0]]
    assert decode(greedy, next)[0][:2] == [1, 4]


def test_ragged_prompts_decode_as_each_row_alone():
    # A prompt position keeps its token in every beam (log-prob 0), so a
    # row with a longer prompt decodes as it would alone: after "1 2",
    # beam search finds "5 6 4" (0.4 * 0.99 * 0.99) over greedy's "3"
    # (0.6, then at most 0.3). Letting the beams compete on the prompt
    # position (then overwriting it) leaves two copies of "1 2" that
    # both pick "3".
    rows = [
        [1 / 7] * 7,
        [0.0, 0.0, 0.35, 0.35, 0.1, 0.2, 0.0],
        [0.0, 0.0, 0.0, 0.6, 0.0, 0.4, 0.0],
        [0.0, 0.0, 0.25, 0.2, 0.3, 0.25, 0.0],
        [1 / 7] * 7,
        [0.0, 0.0, 0.0, 0.0, 0.01, 0.0, 0.99],
        [0.0, 0.0, 0.01, 0.0, 0.99, 0.0, 0.0],
    ]
    next = bigram_next(rows)
    prompt = np.array([[1, 2, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0]], "int32")
    mask = prompt != 0
    sampler = BeamSampler(num_beams=2, length_penalty=0.0)
    together = decode(sampler, next, prompt=prompt, mask=mask)
    alone = [
        decode(sampler, next, prompt=prompt[:1], index=2, mask=mask[:1]),
        decode(sampler, next, prompt=prompt[1:], mask=mask[1:]),
    ]
    assert together == alone[0] + alone[1]
    assert together[0] == [1, 2, 5, 6, 4, 0]


def test_without_stop_tokens_every_beam_runs_to_the_end():
    sampler = BeamSampler(num_beams=2)
    out = sampler(
        bigram_next(SHORT_OR_LONG), np.array([[1, 0, 0, 0]], "int32"), index=1
    )
    assert ops.convert_to_numpy(out).shape == (1, 4)


def test_config_and_serialization_round_trip():
    sampler = make_sampler("beam", num_beams=3, length_penalty=0.5)
    assert type(sampler) is BeamSampler
    assert isinstance(sampler, keras_hub.samplers.BeamSampler)
    config = sampler.get_config()
    assert config["length_penalty"] == 0.5 and config["num_beams"] == 3
    again = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(sampler)
    )
    assert type(again) is BeamSampler
    assert again.get_config() == config
    assert make_sampler("beam").length_penalty == 1.0
    assert make_sampler("beam_search", length_penalty=2).length_penalty == 2.0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sampler": "beam", "length_penalty": float("nan")}, "nan"),
        ({"sampler": "beam", "length_penalty": float("inf")}, "inf"),
        ({"sampler": "beam", "length_penalty": True}, "True"),
        ({"sampler": "beam", "length_penalty": "1"}, "'1'"),
        ({"sampler": "greedy", "length_penalty": 1.0}, "sampler='beam'"),
        ({"sampler": "top_k", "length_penalty": 0.0}, "only applies"),
        (
            {"sampler": BeamSampler(), "length_penalty": 1.0},
            "sampler object",
        ),
    ],
)
def test_bad_length_penalty_is_refused(kwargs, match):
    with pytest.raises(ValueError, match="length_penalty") as error:
        make_sampler(**kwargs)
    assert match in str(error.value)
    assert "Received" in str(error.value)


def test_all_beams_are_not_offered():
    with pytest.raises(ValueError, match="return_all_beams"):
        BeamSampler(return_all_beams=True)
    with pytest.raises(ValueError, match="num_beams"):
        BeamSampler(num_beams=0)
