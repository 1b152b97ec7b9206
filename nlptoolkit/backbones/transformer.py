"""keras-hub TokenAndPositionEmbedding -> Transformer encoder/decoder stack."""

import keras

from nlptoolkit.backbones.base import Backbone
from nlptoolkit.backbones.base import masked_mean
from nlptoolkit.layers.arguments import UNCHECKED
from nlptoolkit.layers.transformer_stack import TRANSFORMER_ARGUMENTS
from nlptoolkit.layers.transformer_stack import StackNames
from nlptoolkit.layers.transformer_stack import transformer_stack

LAYER_NAMES = StackNames(
    embedding="token_and_position_embedding",
    dropout="dropout",
    block="transformer_layer",
    final_norm="final_layernorm",
)


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

    ARGUMENTS = {**TRANSFORMER_ARGUMENTS, "causal": UNCHECKED}

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
        args = self.check_arguments(locals())
        stack = transformer_stack(args, LAYER_NAMES, decoder=args.causal)

        # === Functional model ===
        token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        padding_mask = keras.ops.not_equal(token_ids, 0)
        x = stack.dropout(stack.embedding(token_ids))
        for block in stack.blocks:
            if args.causal:
                x = block(x, decoder_padding_mask=padding_mask)
            else:
                x = block(x, padding_mask=padding_mask)
        x = stack.final_norm(x)
        pooled = masked_mean(x, padding_mask)
        self.init_graph(token_ids, x, pooled, padding_mask, **kwargs)

        # === Config and handles the decoders use ===
        self.set_arguments(args)
        self.embedding = stack.embedding
        self.transformer_layers = stack.blocks
        self.final_norm = stack.final_norm
