"""The Transformer stack that the backbone and the seq2seq head share.

Token + position embedding (keras-hub ``TokenAndPositionEmbedding``),
dropout, ``num_layers`` pre-norm keras-hub blocks with GELU, and a final
layer norm. :data:`TRANSFORMER_ARGUMENTS` is the rule of each size the
stack takes (the ``ARGUMENTS`` table of
:mod:`nlptoolkit.layers.arguments` both classes extend);
:func:`transformer_stack` builds the layers, named as each owner names
them (:class:`StackNames`).

Example:
>>> from types import SimpleNamespace
>>> from nlptoolkit.layers.transformer_stack import StackNames
>>> from nlptoolkit.layers.transformer_stack import transformer_stack
>>> sizes = SimpleNamespace(vocabulary_size=20, sequence_length=8,
...     hidden_dim=8, intermediate_dim=16, num_layers=2, num_heads=2,
...     dropout=0.0)
>>> names = StackNames("embedding", "dropout", "block", "final_norm")
>>> stack = transformer_stack(sizes, names, decoder=False)
>>> [block.name for block in stack.blocks]
['block_0', 'block_1']
"""

import dataclasses

import keras
import keras_hub

from nlptoolkit.checks import check_heads_divide_width
from nlptoolkit.validation import FRACTION
from nlptoolkit.validation import POSITIVE_INT

TRANSFORMER_ARGUMENTS = {
    "vocabulary_size": POSITIVE_INT,
    "sequence_length": POSITIVE_INT,
    "hidden_dim": POSITIVE_INT,
    "intermediate_dim": POSITIVE_INT,
    "num_layers": POSITIVE_INT,
    "num_heads": POSITIVE_INT,
    "dropout": FRACTION,
}


@dataclasses.dataclass(frozen=True)
class StackNames:
    """The names of a stack's layers (block ``i`` is ``f"{block}_{i}"``)."""

    embedding: str
    dropout: str
    block: str
    final_norm: str


@dataclasses.dataclass(frozen=True)
class TransformerStack:
    """The layers :func:`transformer_stack` builds."""

    embedding: keras.layers.Layer
    dropout: keras.layers.Layer
    blocks: list
    final_norm: keras.layers.Layer


def transformer_stack(sizes, names, decoder):
    """The layers of a stack of ``sizes`` (a namespace holding the
    :data:`TRANSFORMER_ARGUMENTS`, already checked; ``num_heads`` must
    divide ``hidden_dim``): ``TransformerDecoder`` blocks where
    ``decoder`` (causal self-attention, cross-attention when called with
    an encoder sequence), ``TransformerEncoder`` blocks otherwise."""
    check_heads_divide_width(sizes.hidden_dim, sizes.num_heads)
    embedding = keras_hub.layers.TokenAndPositionEmbedding(
        vocabulary_size=sizes.vocabulary_size,
        sequence_length=sizes.sequence_length,
        embedding_dim=sizes.hidden_dim,
        name=names.embedding,
    )
    dropout = keras.layers.Dropout(sizes.dropout, name=names.dropout)
    block_class = (
        keras_hub.layers.TransformerDecoder
        if decoder
        else keras_hub.layers.TransformerEncoder
    )
    blocks = [
        block_class(
            intermediate_dim=sizes.intermediate_dim,
            num_heads=sizes.num_heads,
            dropout=sizes.dropout,
            activation="gelu",
            normalize_first=True,
            name=f"{names.block}_{index}",
        )
        for index in range(sizes.num_layers)
    ]
    final_norm = keras.layers.LayerNormalization(
        epsilon=1e-5, name=names.final_norm
    )
    return TransformerStack(embedding, dropout, blocks, final_norm)
