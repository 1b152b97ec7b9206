"""Embedding -> stacked (optionally bidirectional) LSTM."""

import keras

from nlptoolkit.backbones.base import Backbone
from nlptoolkit.checks import check_bidirectional_width
from nlptoolkit.checks import check_bool
from nlptoolkit.checks import check_choice
from nlptoolkit.checks import check_fraction
from nlptoolkit.checks import check_positive_int


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
        vocabulary_size = check_positive_int("vocabulary_size", vocabulary_size)
        hidden_dim = check_positive_int("hidden_dim", hidden_dim)
        num_layers = check_positive_int("num_layers", num_layers)
        dropout = check_fraction("dropout", dropout)
        check_choice("pooling", pooling, ("max", "last"))
        embedding_dim = check_positive_int(
            "embedding_dim", embedding_dim, allow_none=True
        )
        if check_bool("bidirectional", bidirectional):
            check_bidirectional_width(hidden_dim)
        embedding_dim = embedding_dim or hidden_dim
        units = hidden_dim // 2 if bidirectional else hidden_dim

        # === Layers ===
        token_embedding = keras.layers.Embedding(
            vocabulary_size, embedding_dim, name="token_embedding"
        )
        embedding_dropout = keras.layers.Dropout(dropout, name="dropout")
        lstm_layers = []
        for index in range(num_layers):
            lstm = keras.layers.LSTM(
                units,
                return_sequences=True,
                return_state=True,
                name=f"lstm_{index}",
            )
            if bidirectional:
                lstm = keras.layers.Bidirectional(lstm, name=f"bilstm_{index}")
            lstm_layers.append(lstm)
        layer_dropouts = [
            keras.layers.Dropout(dropout, name=f"dropout_{index}")
            for index in range(num_layers)
        ]

        # === Functional model ===
        token_ids = keras.Input(
            shape=(sequence_length,), dtype="int32", name="token_ids"
        )
        padding_mask = keras.ops.not_equal(token_ids, 0)
        x = embedding_dropout(token_embedding(token_ids))
        for lstm, drop in zip(lstm_layers, layer_dropouts, strict=True):
            outputs = lstm(x, mask=padding_mask)
            x, states = outputs[0], outputs[1:]
            x = drop(x)
        if pooling == "max":
            masked = keras.ops.where(padding_mask[:, :, None], x, -1e9)
            pooled = keras.ops.max(masked, axis=1)
        elif bidirectional:
            pooled = keras.ops.concatenate([states[0], states[2]], axis=-1)
        else:
            pooled = states[0]
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
        self.hidden_dim = hidden_dim
        self.embedding_dim = embedding_dim
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.sequence_length = sequence_length
        self.pooling = pooling
        self.token_embedding = token_embedding
        self.lstm_layers = lstm_layers

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "hidden_dim": self.hidden_dim,
                "embedding_dim": self.embedding_dim,
                "num_layers": self.num_layers,
                "bidirectional": self.bidirectional,
                "dropout": self.dropout,
                "sequence_length": self.sequence_length,
                "pooling": self.pooling,
            }
        )
        return config
