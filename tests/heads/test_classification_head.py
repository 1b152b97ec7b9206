"""ClassificationHead: pooled vector -> class probabilities."""

import keras
import numpy as np
import pytest

from nlptoolkit.heads import ClassificationHead

POOLED = np.random.default_rng(0).normal(size=(4, 8)).astype("float32")


def test_probabilities_per_class():
    head = ClassificationHead(num_classes=3)
    probs = keras.ops.convert_to_numpy(head({"pooled_output": POOLED}))
    assert (
        probs.shape
        == (4, 3)
        == tuple(head.compute_output_shape({"pooled_output": (4, 8)}))
    )
    assert probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-5)
    assert (probs > 0).all()


def test_dropout_only_while_training():
    head = ClassificationHead(num_classes=3, dropout=0.5)
    inputs = {"pooled_output": POOLED}
    first = keras.ops.convert_to_numpy(head(inputs))
    np.testing.assert_array_equal(first, head(inputs, training=False))
    trained = keras.ops.convert_to_numpy(head(inputs, training=True))
    assert not np.allclose(first, trained)


def test_config_round_trip_gives_the_same_probabilities():
    head = ClassificationHead(num_classes=4, dropout=0.25, name="clf")
    probs = head({"pooled_output": POOLED})
    config = head.get_config()
    assert (config["num_classes"], config["dropout"]) == (4, 0.25)
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(head)
    )
    assert restored.get_config() == config
    restored({"pooled_output": POOLED})
    restored.set_weights(head.get_weights())
    np.testing.assert_allclose(
        restored({"pooled_output": POOLED}), probs, atol=1e-6
    )


def test_the_padding_mask_stops_at_the_head():
    """The backbone's dict carries a mask; the pooled vector has used it,
    so the head takes it and gives none onwards."""
    head = ClassificationHead(num_classes=2)
    features = {"pooled_output": POOLED, "padding_mask": np.ones((4, 6))}
    assert head.supports_masking
    assert head.compute_mask(features, mask=np.ones((4, 6), bool)) is None
    assert tuple(head(features).shape) == (4, 2)


@pytest.mark.parametrize("num_classes", [1, 0, 2.0, "3"])
def test_fewer_than_two_classes_or_not_an_int_is_refused(num_classes):
    with pytest.raises(ValueError, match="num_classes") as error:
        ClassificationHead(num_classes=num_classes)
    assert "Received" in str(error.value)
