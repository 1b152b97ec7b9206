"""XLA for the fused loop: ``Decoder.generate(..., jit_compile=...)``."""

import logging

import keras_hub
import numpy as np
import pytest
import tensorflow as tf

from nlptoolkit import backbones
from nlptoolkit.decoding import Decoder
from nlptoolkit.decoding import adapter_for
from nlptoolkit.decoding import check_jit_compile
from nlptoolkit.decoding import make_sampler
from nlptoolkit.heads import LanguageModelHead


def build(kind):
    sizes = {"vocabulary_size": 30, "hidden_dim": 8, "num_layers": 1}
    if kind == "lstm":
        backbone = backbones.get("lstm", bidirectional=False, **sizes)
    else:
        backbone = backbones.get(
            "transformer",
            sequence_length=24,
            intermediate_dim=16,
            num_heads=2,
            causal=True,
            **sizes,
        )
    head = LanguageModelHead(30)
    head(backbone(np.ones((1, 4), "int32")))
    return Decoder(adapter_for(backbone, head))


def batch(length=12):
    ids = np.zeros((3, length), "int32")
    ids[0, :4] = [2, 5, 6, 7]
    ids[1, :2] = [2, 9]
    ids[2, :6] = [2, 4, 4, 4, 4, 4]
    return ids, ids != 0


class NumpyGreedy(keras_hub.samplers.GreedySampler):
    """Greedy through ``tf.numpy_function``, which XLA cannot compile."""

    def get_next_token(self, probabilities):
        def argmax(p):
            return np.argmax(p, axis=-1).astype("int32")

        token = tf.numpy_function(argmax, [probabilities], tf.int32)
        return tf.reshape(token, tf.shape(probabilities)[:1])


@pytest.mark.parametrize("kind", ["lstm", "transformer"])
def test_xla_and_plain_loops_give_the_same_greedy_tokens(kind):
    decoder = build(kind)
    ids, mask = batch()
    outputs = {
        jit: decoder.generate(
            ids.copy(),
            2,
            mask,
            make_sampler("greedy"),
            jit_compile=jit,
            stop_token_ids=(5,),
        )
        for jit in (True, False)
    }
    stepwise = decoder.generate(
        ids.copy(),
        2,
        mask,
        make_sampler("greedy"),
        decode="stepwise",
        stop_token_ids=(5,),
    )
    np.testing.assert_array_equal(outputs[True], outputs[False])
    np.testing.assert_array_equal(outputs[True], stepwise)
    assert "fused_jit" in decoder._compiled[next(iter(decoder._compiled))]


def test_auto_falls_back_where_xla_cannot_compile(caplog):
    decoder = build("transformer")
    ids, mask = batch()
    greedy = decoder.generate(
        ids.copy(), 2, mask, make_sampler("greedy"), jit_compile=False
    )
    with caplog.at_level(logging.WARNING, "nlptoolkit.decoding.loop"):
        out = decoder.generate(ids.copy(), 2, mask, NumpyGreedy())
        again = decoder.generate(ids.copy(), 2, mask, NumpyGreedy())
    warnings = [r for r in caplog.records if "without XLA" in r.getMessage()]
    assert len(warnings) == 1  # remembered: not tried (or logged) again
    assert "PyFunc" in warnings[0].getMessage()
    np.testing.assert_array_equal(out, greedy)
    np.testing.assert_array_equal(again, greedy)
    with pytest.raises(tf.errors.InvalidArgumentError, match="PyFunc"):
        decoder.generate(
            ids.copy(), 2, mask, NumpyGreedy(temperature=0.5), jit_compile=True
        )


def test_an_adapter_not_marked_supports_jit_runs_without_xla(caplog):
    decoder = build("lstm")
    decoder.adapter = type(
        "Unchecked", (type(decoder.adapter),), {"supports_jit": False}
    )(decoder.adapter.backbone, decoder.adapter.head)
    ids, mask = batch(8)
    with caplog.at_level(logging.INFO, "nlptoolkit.decoding.loop"):
        decoder.generate(ids, 2, mask, make_sampler("greedy"))
    assert "Unchecked is not marked supports_jit" in caplog.text
    assert "fused_jit" not in decoder._compiled[next(iter(decoder._compiled))]
    with pytest.raises(ValueError, match="jit_compile='auto' or False"):
        decoder.generate(ids, 2, mask, make_sampler("greedy"), jit_compile=True)


def test_each_new_shape_is_a_warm_up_call():
    warmups = []

    class Recorder:
        def on_decode_end(self, logs):
            warmups.append(logs["warmup"])

    decoder = build("transformer")
    for length, start in ((10, 2), (10, 2), (12, 2), (12, 2), (10, 2), (10, 1)):
        ids, mask = batch(length)
        decoder.generate(
            ids, start, mask, make_sampler(), callbacks=[Recorder()]
        )
    # XLA compiles per shape and per start (the prefill's width).
    assert warmups == [True, False, True, False, False, True]


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_bad_jit_compile_is_refused(value):
    with pytest.raises(ValueError, match="'auto', True or False"):
        check_jit_compile(value)
    decoder = build("lstm")
    ids, mask = batch(6)
    with pytest.raises(ValueError, match="jit_compile"):
        decoder.generate(ids, 2, mask, make_sampler(), jit_compile=value)
