"""keras-hub TokenAndPositionEmbedding -> Transformer encoder/decoder stack."""

import keras
import keras_hub

from nlptoolkit.backbones.base import Backbone
from nlptoolkit.checks import check_fraction
from nlptoolkit.checks import check_heads_divide_width
from nlptoolkit.checks import check_positive_int


@keras.saving.register_keras_serializable(package="nlptoolkit")
class TransformerBackbone(Backbone):
    """Token + position embedding followed by ``num_layers`` blocks.

    With ``causal=False`` the blocks are keras-hub ``TransformerEncoder``
    layers (every token sees every other); with ``causal=True`` they are
    ``TransformerDecoder`` layers without cross-attention, so each token
    sees only the ones before it and a KV cache can be used to decode.
    ``pooled_output`` is the mean of the real (unpadded) tokens.

    Args:
        vocabulary_size: number of token ids.
        sequence_length: the longest input (size of the position table).
        hidden_dim: model width.
        intermediate_dim: feed-forward width.
        num_layers: number of blocks.
        num_heads: attention heads (must divide ``hidden_dim``).
        dropout: dropout rate inside the blocks.
        causal: decoder blocks with a causal mask (language models).

    Example:
    >>> import numpy as np
    >>> import nlptoolkit
    >>> backbone = nlptoolkit.backbones.TransformerBackbone(
    ...     vocabulary_size=50, sequence_length=8, hidden_dim=8,
    ...     intermediate_dim=16, num_heads=2)
    >>> out = backbone(np.array([[5, 6, 7, 0, 0, 0, 0, 0]]))
    >>> tuple(out["sequence_output"].shape)
    (1, 8, 8)
    """

    def __init__(
        self,
        vocabulary_size,
        sequence_length=128,
        hidden_dim=128,
        intermediate_dim=256,
        num_layers=2,
        num_heads=4,
        dropout=0.1,
        causal=False,
        **kwargs,
    ):
        vocabulary_size = check_positive_int("vocabulary_size", vocabulary_size)
        sequence_length = check_positive_int("sequence_length", sequence_length)
        hidden_dim = check_positive_int("hidden_dim", hidden_dim)
        intermediate_dim = check_positive_int(
            "intermediate_dim", intermediate_dim
        )
        num_layers = check_positive_int("num_layers", num_layers)
        num_heads = check_positive_int("num_heads", num_heads)
        dropout = check_fraction("dropout", dropout)
        check_heads_divide_width(hidden_dim, num_heads)

        # === Layers ===
        embedding = keras_hub.layers.TokenAndPositionEmbedding(
            vocabulary_size=vocabulary_size,
            sequence_length=sequence_length,
            embedding_dim=hidden_dim,
            name="token_and_position_embedding",
        )
        embedding_dropout = keras.layers.Dropout(dropout, name="dropout")
        block_class = (
            keras_hub.layers.TransformerDecoder
            if causal
            else keras_hub.layers.TransformerEncoder
        )
        blocks = [
            block_class(
                intermediate_dim=intermediate_dim,
                num_heads=num_heads,
                dropout=dropout,
                activation="gelu",
                normalize_first=True,
                name=f"transformer_layer_{index}",
            )
            for index in range(num_layers)
        ]
        final_norm = keras.layers.LayerNormalization(
            epsilon=1e-5, name="final_layernorm"
        )

        # === Functional model ===
        token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        padding_mask = keras.ops.not_equal(token_ids, 0)
        x = embedding_dropout(embedding(token_ids))
        for block in blocks:
            if causal:
                x = block(x, decoder_padding_mask=padding_mask)
            else:
                x = block(x, padding_mask=padding_mask)
        x = final_norm(x)
        weights = keras.ops.cast(padding_mask, x.dtype)[:, :, None]
        pooled = keras.ops.sum(x * weights, axis=1) / keras.ops.maximum(
            keras.ops.sum(weights, axis=1), 1.0
        )
        super().__init__(
            inputs=token_ids,
            outputs={
                "sequence_output": x,
                "pooled_output": pooled,
                "padding_mask": padding_mask,
            },
            **kwargs,
        )

        # === Config and handles the decoders use ===
        self.vocabulary_size = vocabulary_size
        self.sequence_length = sequence_length
        self.hidden_dim = hidden_dim
        self.intermediate_dim = intermediate_dim
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.dropout = dropout
        self.causal = causal
        self.embedding = embedding
        self.transformer_layers = blocks
        self.final_norm = final_norm

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "sequence_length": self.sequence_length,
                "hidden_dim": self.hidden_dim,
                "intermediate_dim": self.intermediate_dim,
                "num_layers": self.num_layers,
                "num_heads": self.num_heads,
                "dropout": self.dropout,
                "causal": self.causal,
            }
        )
        return config
