"""The seq2seq heads: decoder logits over an encoder's outputs, the same
logits step by step through the cache, masking of encoder padding."""

import keras
import numpy as np
import pytest

from nlptoolkit.heads import LSTMSeq2SeqHead
from nlptoolkit.heads import TransformerSeq2SeqHead

RNG = np.random.default_rng(0)
TOKENS = np.array([[2, 5, 6, 7, 8], [2, 9, 4, 3, 11]])
ENCODER = RNG.normal(size=(2, 7, 8)).astype("float32")
# The second row's last three encoder positions are padding.
ENCODER_MASK = np.array([[True] * 7, [True] * 4 + [False] * 3])
POOLED = RNG.normal(size=(2, 8)).astype("float32")
HEADS = {
    "transformer": lambda: TransformerSeq2SeqHead(
        vocabulary_size=12,
        sequence_length=6,
        hidden_dim=8,
        intermediate_dim=16,
        num_layers=2,
        num_heads=2,
        dropout=0.0,
    ),
    "lstm": lambda: LSTMSeq2SeqHead(
        vocabulary_size=12, hidden_dim=8, num_layers=2
    ),
    "lstm-bahdanau": lambda: LSTMSeq2SeqHead(
        vocabulary_size=12, hidden_dim=8, attention="bahdanau"
    ),
}


def inputs(token_ids=TOKENS, encoder=ENCODER):
    return {
        "token_ids": token_ids,
        "encoder_sequence": encoder,
        "encoder_padding_mask": ENCODER_MASK,
        "encoder_pooled": POOLED,
    }


def numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


@pytest.mark.parametrize("name", HEADS)
def test_logits_for_every_decoder_position(name):
    head = HEADS[name]()
    logits = numpy(head(inputs()))
    assert logits.shape == (2, 5, 12) and logits.dtype == np.float32
    assert head.compute_mask(inputs()) is None


@pytest.mark.parametrize("name", HEADS)
def test_encoder_padding_is_not_attended(name):
    head = HEADS[name]()
    logits = numpy(head(inputs()))
    changed = ENCODER.copy()
    changed[1, 4:] = 100.0  # only the padded positions
    np.testing.assert_allclose(
        numpy(head(inputs(encoder=changed))), logits, atol=1e-5
    )
    changed[1, 0] = 100.0  # a real position: the logits move
    assert not np.allclose(numpy(head(inputs(encoder=changed)))[1], logits[1])


@pytest.mark.parametrize("name", HEADS)
def test_cached_steps_give_the_full_calls_logits(name):
    head = HEADS[name]()
    full = numpy(head(inputs()))
    encoder_outputs = {
        "sequence_output": ENCODER,
        "padding_mask": ENCODER_MASK,
        "pooled_output": POOLED,
    }
    length = TOKENS.shape[1]
    cache = head.init_cache(TOKENS[:, :1], encoder_outputs, length)
    for index in range(length):
        step, cache = head.call_with_cache(
            TOKENS[:, index : index + 1], cache, index
        )
        np.testing.assert_allclose(numpy(step)[:, 0], full[:, index], atol=1e-4)


@pytest.mark.parametrize("name", HEADS)
def test_config_round_trip_gives_the_same_logits(name):
    head = HEADS[name]()
    logits = numpy(head(inputs()))
    restored = type(head).from_config(head.get_config())
    assert restored.get_config() == head.get_config()
    restored(inputs())
    restored.set_weights(head.get_weights())
    np.testing.assert_allclose(numpy(restored(inputs())), logits, atol=1e-5)


def test_transformer_decoder_is_causal():
    """A later token never changes an earlier position's logits."""
    head = HEADS["transformer"]()
    logits = numpy(head(inputs()))
    changed = TOKENS.copy()
    changed[:, 3:] = 1
    np.testing.assert_allclose(
        numpy(head(inputs(token_ids=changed)))[:, :3], logits[:, :3], atol=1e-5
    )


@pytest.mark.parametrize(
    "make, match",
    [
        (
            lambda: TransformerSeq2SeqHead(12, hidden_dim=10, num_heads=3),
            "num_heads",
        ),
        (lambda: TransformerSeq2SeqHead(0), "vocabulary_size"),
        (lambda: LSTMSeq2SeqHead(12, hidden_dim=0), "hidden_dim"),
        (lambda: LSTMSeq2SeqHead(12, attention="dot"), "attention"),
    ],
)
def test_bad_sizes_are_refused_by_name(make, match):
    with pytest.raises(ValueError, match=match) as error:
        make()
    assert "Received" in str(error.value)
