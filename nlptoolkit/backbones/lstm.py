"""Embedding -> stacked (optionally bidirectional) LSTM."""

import keras

from nlptoolkit.backbones.base import Backbone
from nlptoolkit.checks import check_bidirectional_width
from nlptoolkit.layers.arguments import UNCHECKED
from nlptoolkit.validation import BOOL
from nlptoolkit.validation import FRACTION
from nlptoolkit.validation import POSITIVE_INT
from nlptoolkit.validation import Options


@keras.saving.register_keras_serializable(package="nlptoolkit")
class LSTMBackbone(Backbone):
    """Token embedding followed by ``num_layers`` LSTM layers.

    ``hidden_dim`` is the width of ``sequence_output`` and ``pooled_output``;
    a bidirectional layer gives each direction ``hidden_dim // 2`` units.
    ``pooled_output`` is, with ``pooling="max"``, the maximum over the real
    (unpadded) positions of ``sequence_output``; with ``pooling="last"``,
    the final state (both directions concatenated), read at each text's
    last real token thanks to the padding mask.

    Args:
        vocabulary_size: number of token ids.
        hidden_dim: output width.
        embedding_dim: token embedding width (defaults to ``hidden_dim``).
        num_layers: stacked LSTM layers.
        bidirectional: read the text both ways (not for language models).
        dropout: dropout on the embeddings and between layers.
        sequence_length: optional fixed input length (``None``: any).
        pooling: ``"max"`` or ``"last"`` (see above).

    Example:
    >>> import numpy as np
    >>> import nlptoolkit
    >>> backbone = nlptoolkit.backbones.LSTMBackbone(
    ...     vocabulary_size=50, hidden_dim=8)
    >>> out = backbone(np.array([[5, 6, 7, 0]]))
    >>> tuple(out["pooled_output"].shape)
    (1, 8)
    """

    ARGUMENTS = {
        "vocabulary_size": POSITIVE_INT,
        "hidden_dim": POSITIVE_INT,
        "embedding_dim": [POSITIVE_INT, None],
        "num_layers": POSITIVE_INT,
        "bidirectional": BOOL,
        "dropout": FRACTION,
        "sequence_length": UNCHECKED,
        "pooling": Options(("max", "last")),
    }

    def __init__(
        self,
        vocabulary_size,
        hidden_dim=128,
        embedding_dim=None,
        num_layers=1,
        bidirectional=True,
        dropout=0.0,
        sequence_length=None,
        pooling="last",
        **kwargs,
    ):
        args = self.check_arguments(locals())
        if args.bidirectional:
            check_bidirectional_width(args.hidden_dim)
        args.embedding_dim = args.embedding_dim or args.hidden_dim
        units = args.hidden_dim // 2 if args.bidirectional else args.hidden_dim

        # === Layers ===
        token_embedding = keras.layers.Embedding(
            args.vocabulary_size, args.embedding_dim, name="token_embedding"
        )
        embedding_dropout = keras.layers.Dropout(args.dropout, name="dropout")
        lstm_layers = []
        for index in range(args.num_layers):
            lstm = keras.layers.LSTM(
                units,
                return_sequences=True,
                return_state=True,
                name=f"lstm_{index}",
            )
            if args.bidirectional:
                lstm = keras.layers.Bidirectional(lstm, name=f"bilstm_{index}")
            lstm_layers.append(lstm)
        layer_dropouts = [
            keras.layers.Dropout(args.dropout, name=f"dropout_{index}")
            for index in range(args.num_layers)
        ]

        # === Functional model ===
        token_ids = keras.Input(
            shape=(args.sequence_length,), dtype="int32", name="token_ids"
        )
        padding_mask = keras.ops.not_equal(token_ids, 0)
        x = embedding_dropout(token_embedding(token_ids))
        for lstm, drop in zip(lstm_layers, layer_dropouts, strict=True):
            outputs = lstm(x, mask=padding_mask)
            x, states = outputs[0], outputs[1:]
            x = drop(x)
        if args.pooling == "max":
            masked = keras.ops.where(padding_mask[:, :, None], x, -1e9)
            pooled = keras.ops.max(masked, axis=1)
        elif args.bidirectional:
            pooled = keras.ops.concatenate([states[0], states[2]], axis=-1)
        else:
            pooled = states[0]
        self.init_graph(token_ids, x, pooled, padding_mask, **kwargs)

        # === Config and handles the decoders use ===
        self.set_arguments(args)
        self.token_embedding = token_embedding
        self.lstm_layers = lstm_layers
