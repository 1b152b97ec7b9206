"""Language-model head: every position's vector -> next-token logits."""

import keras

from nlptoolkit.heads.base import FeatureHead
from nlptoolkit.validation import POSITIVE_INT


@keras.saving.register_keras_serializable(package="nlptoolkit")
class LanguageModelHead(FeatureHead):
    """A ``Dense`` over ``sequence_output`` giving next-token logits.

    Example:
    >>> import numpy as np
    >>> import nlptoolkit
    >>> backbone = nlptoolkit.backbones.LSTMBackbone(  # reads left to right
    ...     vocabulary_size=30, hidden_dim=8, bidirectional=False)
    >>> head = nlptoolkit.heads.LanguageModelHead(vocabulary_size=30)
    >>> outputs = backbone(np.array([[5, 6, 7], [8, 9, 0]]))
    >>> tuple(head(outputs).shape)
    (2, 3, 30)
    >>> last = outputs["sequence_output"][:, -1:]
    >>> tuple(head.logits(last).shape)  # one decoding step
    (2, 1, 30)
    """

    ARGUMENTS = {"vocabulary_size": POSITIVE_INT}
    FEATURE = "sequence_output"

    def __init__(self, vocabulary_size, **kwargs):
        super().__init__(**kwargs)
        self.set_arguments(self.check_arguments(locals()))
        self.dense = self.logits_layer(self.vocabulary_size)

    def call(self, features):
        return self.logits(features["sequence_output"])

    def logits(self, sequence_output):
        """Logits for a ``(batch, length, hidden_dim)`` tensor (decoders
        call this directly on cached hidden states)."""
        return self.dense(sequence_output)


@keras.saving.register_keras_serializable(package="nlptoolkit")
class PresetLanguageModelHead(keras.layers.Layer):
    """The logits a pretrained causal LM computes itself, as float32.

    A keras-hub ``CausalLM`` has its own output embedding (GPT-2 ties it
    to the input embedding), so ``backbones.PretrainedCausalLM`` returns
    ``logits`` and this head, which has no weights, passes them on.

    Example:
    >>> import numpy as np
    >>> import nlptoolkit
    >>> head = nlptoolkit.heads.PresetLanguageModelHead()
    >>> logits = head({"logits": np.ones((2, 5, 30), "float16")})
    >>> import keras
    >>> tuple(logits.shape), keras.backend.standardize_dtype(logits.dtype)
    ((2, 5, 30), 'float32')
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)

    def call(self, features):
        return self.logits(features["logits"])

    def logits(self, logits):
        return keras.ops.cast(logits, "float32")

    def compute_output_shape(self, input_shape):
        return input_shape["logits"]
