import numpy as np
import pytest

from nlptoolkit import backbones
from nlptoolkit.decoding import Decoder
from nlptoolkit.decoding import adapter_for
from nlptoolkit.decoding import count_generated
from nlptoolkit.decoding import make_sampler
from nlptoolkit.heads import LanguageModelHead


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
            ids.copy(), 2, mask, make_sampler("greedy"), decode=decode
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
        ids, 1, ids != 0, make_sampler("random", seed=1), decode="stepwise"
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
