"""LanguageModelHead and PresetLanguageModelHead: next-token logits."""

import keras
import numpy as np

from nlptoolkit.heads import LanguageModelHead
from nlptoolkit.heads import PresetLanguageModelHead

SEQUENCE = np.random.default_rng(0).normal(size=(2, 5, 8)).astype("float32")


def test_logits_at_every_position():
    head = LanguageModelHead(vocabulary_size=30)
    logits = keras.ops.convert_to_numpy(head({"sequence_output": SEQUENCE}))
    assert (
        logits.shape
        == (2, 5, 30)
        == tuple(head.compute_output_shape({"sequence_output": (2, 5, 8)}))
    )
    assert logits.dtype == np.float32
    # Decoders call `logits` on cached hidden states: the same numbers.
    np.testing.assert_allclose(head.logits(SEQUENCE), logits, atol=1e-6)
    # Position by position: no position sees another.
    np.testing.assert_allclose(
        head.logits(SEQUENCE[:, 2:3]), logits[:, 2:3], atol=1e-6
    )


def test_config_round_trip_gives_the_same_logits():
    head = LanguageModelHead(vocabulary_size=12)
    logits = head({"sequence_output": SEQUENCE})
    assert head.get_config()["vocabulary_size"] == 12
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(head)
    )
    assert restored.get_config() == head.get_config()
    restored({"sequence_output": SEQUENCE})
    restored.set_weights(head.get_weights())
    np.testing.assert_allclose(
        restored({"sequence_output": SEQUENCE}), logits, atol=1e-6
    )


def test_the_padding_mask_stops_at_the_head():
    head = LanguageModelHead(vocabulary_size=12)
    mask = np.ones((2, 5), bool)
    assert head.supports_masking
    assert head.compute_mask({"sequence_output": SEQUENCE}, mask) is None


def test_preset_head_passes_the_models_logits_as_float32():
    head = PresetLanguageModelHead()
    logits = np.random.default_rng(1).normal(size=(2, 5, 30))
    out = keras.ops.convert_to_numpy(head({"logits": logits.astype("f2")}))
    assert out.dtype == np.float32 and out.shape == (2, 5, 30)
    np.testing.assert_allclose(out, logits.astype("f2"), rtol=0, atol=0)
    assert head.weights == []
    restored = PresetLanguageModelHead.from_config(head.get_config())
    assert restored.dtype_policy.name == "float32"
