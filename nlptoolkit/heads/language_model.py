"""Language-model head: every position's vector -> next-token logits."""

import keras


@keras.saving.register_keras_serializable(package="nlptoolkit")
class LanguageModelHead(keras.layers.Layer):
    """A ``Dense`` over ``sequence_output`` giving next-token logits.

    Example:
    >>> import numpy as np
    >>> import nlptoolkit
    >>> head = nlptoolkit.heads.LanguageModelHead(vocabulary_size=30)
    >>> logits = head({"sequence_output": np.ones((2, 5, 8), "float32")})
    >>> tuple(logits.shape)
    (2, 5, 30)
    """

    def __init__(self, vocabulary_size, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size = vocabulary_size
        self.supports_masking = True
        self.dense = keras.layers.Dense(
            vocabulary_size, dtype="float32", name="logits"
        )

    def build(self, input_shape):
        self.dense.build(input_shape["sequence_output"])
        self.built = True

    def call(self, features):
        return self.logits(features["sequence_output"])

    def logits(self, sequence_output):
        """Logits for a ``(batch, length, hidden_dim)`` tensor (decoders
        call this directly on cached hidden states)."""
        return self.dense(sequence_output)

    def compute_mask(self, features, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return input_shape["sequence_output"][:-1] + (self.vocabulary_size,)

    def get_config(self):
        config = super().get_config()
        config.update({"vocabulary_size": self.vocabulary_size})
        return config


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
