"""Classification head: pooled vector -> class probabilities."""

import keras

from nlptoolkit.checks import at_least
from nlptoolkit.heads.base import FeatureHead
from nlptoolkit.validation import FRACTION


@keras.saving.register_keras_serializable(package="nlptoolkit")
class ClassificationHead(FeatureHead):
    """Dropout and a softmax ``Dense`` over the backbone's pooled output.

    Example:
    >>> import numpy as np
    >>> import nlptoolkit
    >>> head = nlptoolkit.heads.ClassificationHead(num_classes=3)
    >>> probs = head({"pooled_output": np.ones((2, 8), "float32")})
    >>> probs.numpy().sum(axis=-1).round(5).tolist()  # one row per text
    [1.0, 1.0]
    """

    ARGUMENTS = {"num_classes": at_least(2), "dropout": FRACTION}
    FEATURE = "pooled_output"

    def __init__(self, num_classes, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.set_arguments(self.check_arguments(locals()))
        self.dropout_layer = keras.layers.Dropout(self.dropout)
        self.dense = self.logits_layer(self.num_classes, activation="softmax")

    def call(self, features, training=None):
        x = self.dropout_layer(features["pooled_output"], training=training)
        return self.dense(x)
