"""Classification head: pooled vector -> class probabilities."""

import keras

from nlptoolkit.checks import check_fraction
from nlptoolkit.checks import check_positive_int


@keras.saving.register_keras_serializable(package="nlptoolkit")
class ClassificationHead(keras.layers.Layer):
    """Dropout and a softmax ``Dense`` over the backbone's pooled output.

    Example:
    >>> import numpy as np
    >>> import nlptoolkit
    >>> head = nlptoolkit.heads.ClassificationHead(num_classes=3)
    >>> probs = head({"pooled_output": np.ones((2, 8), "float32")})
    >>> tuple(probs.shape)
    (2, 3)
    """

    def __init__(self, num_classes, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        num_classes = check_positive_int("num_classes", num_classes, 2)
        dropout = check_fraction("dropout", dropout)
        self.num_classes = num_classes
        self.dropout = dropout
        # The backbone's outputs carry a padding mask; the pooled vector
        # has already used it, so accept and drop it silently.
        self.supports_masking = True
        self.dropout_layer = keras.layers.Dropout(dropout)
        self.dense = keras.layers.Dense(
            num_classes, activation="softmax", dtype="float32", name="logits"
        )

    def build(self, input_shape):
        self.dense.build(input_shape["pooled_output"])
        self.built = True

    def call(self, features, training=None):
        x = self.dropout_layer(features["pooled_output"], training=training)
        return self.dense(x)

    def compute_mask(self, features, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return input_shape["pooled_output"][:-1] + (self.num_classes,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"num_classes": self.num_classes, "dropout": self.dropout}
        )
        return config
