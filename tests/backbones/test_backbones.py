import keras
import numpy as np
import pytest

from nlptoolkit import backbones
from nlptoolkit.backbones import OUTPUT_KEYS

TOKENS = np.array([[5, 6, 7, 0, 0, 0], [8, 9, 10, 11, 12, 13]])
CONFIGS = [
    ("lstm", {"hidden_dim": 8}),
    ("lstm", {"hidden_dim": 8, "num_layers": 2, "bidirectional": False}),
    (
        "transformer",
        {
            "sequence_length": 6,
            "hidden_dim": 8,
            "intermediate_dim": 16,
            "num_heads": 2,
        },
    ),
    (
        "transformer",
        {
            "sequence_length": 6,
            "hidden_dim": 8,
            "intermediate_dim": 16,
            "num_heads": 2,
            "causal": True,
        },
    ),
]


@pytest.mark.parametrize("name, kwargs", CONFIGS)
def test_output_contract_and_config_round_trip(name, kwargs):
    backbone = backbones.get(name, vocabulary_size=20, **kwargs)
    outputs = backbone(TOKENS)
    assert sorted(outputs) == sorted(OUTPUT_KEYS)
    assert tuple(outputs["sequence_output"].shape) == (2, 6, 8)
    assert tuple(outputs["pooled_output"].shape) == (2, 8)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(outputs["padding_mask"]), TOKENS != 0
    )
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(backbone)
    )
    restored.set_weights(backbone.get_weights())
    np.testing.assert_allclose(
        restored(TOKENS)["pooled_output"], outputs["pooled_output"], atol=1e-6
    )


@pytest.mark.parametrize("name, kwargs", CONFIGS[:3])
def test_padding_does_not_change_pooled_output(name, kwargs):
    backbone = backbones.get(name, vocabulary_size=20, **kwargs)
    padded = backbone(np.array([[5, 6, 7, 0, 0, 0]]))["pooled_output"]
    unpadded = backbone(np.array([[5, 6, 7]]))["pooled_output"]
    np.testing.assert_allclose(padded, unpadded, atol=1e-5)


def test_unknown_backbone_lists_choices():
    with pytest.raises(ValueError, match="transformer"):
        backbones.get("gru", vocabulary_size=10)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"vocabulary_size": 0}, "vocabulary_size"),
        ({"vocabulary_size": 10, "hidden_dim": -1}, "hidden_dim"),
        ({"vocabulary_size": 10, "dropout": 1.5}, "dropout"),
        ({"vocabulary_size": 10, "hidden_dim": 7}, "even"),
    ],
)
def test_bad_sizes_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        backbones.get("lstm", **kwargs)


def test_heads_must_divide_width():
    with pytest.raises(ValueError, match="num_heads"):
        backbones.get(
            "transformer", vocabulary_size=10, hidden_dim=10, num_heads=3
        )
