"""Seq2seq heads: a decoder that attends over an encoder's outputs.

Both heads take a dict with ``token_ids`` (the decoder input, ``[BOS]``
first, ``0`` = padding), ``encoder_sequence``, ``encoder_padding_mask``
and ``encoder_pooled`` (a backbone's output dict, renamed) and return
next-token logits ``(batch, length, vocabulary_size)``.

For cached decoding each head also offers:

- ``init_cache(first_token_ids, encoder_outputs, length)``: the cache
  before the first step, a tuple whose tensors all have the batch first
  (so keras-hub's ``BeamSampler`` can repeat and gather it);
- ``call_with_cache(token_ids, cache, index)``: one step (the token at
  ``index``) -> ``(logits, cache)``.

The encoder's outputs travel inside the cache: a beam search then sees
one copy per beam.
"""

import keras
from keras import ops

from nlptoolkit.heads.base import Head
from nlptoolkit.layers.transformer_stack import TRANSFORMER_ARGUMENTS
from nlptoolkit.layers.transformer_stack import StackNames
from nlptoolkit.layers.transformer_stack import transformer_stack
from nlptoolkit.validation import FRACTION
from nlptoolkit.validation import POSITIVE_INT
from nlptoolkit.validation import Options

ATTENTION_TYPES = ("luong", "bahdanau")
DECODER_LAYER_NAMES = StackNames(
    embedding="decoder_embedding",
    dropout="decoder_dropout",
    block="decoder_layer",
    final_norm="decoder_final_layernorm",
)


def _as_mask(mask):
    return ops.cast(mask, "bool")


class Seq2SeqHead(Head):
    """What both seq2seq heads share besides :class:`Head`'s: sublayers
    built by the functional graph that calls the head."""

    def build_from_config(self, config):
        # Built by the functional graph that calls it (all sublayers at
        # once); building from shapes alone would leave them unbuilt.
        del config


@keras.saving.register_keras_serializable(package="nlptoolkit")
class TransformerSeq2SeqHead(Seq2SeqHead):
    """Transformer decoder with cross-attention (keras-hub layers).

    Token + position embedding, ``num_layers`` keras-hub
    ``TransformerDecoder`` blocks given the ``encoder_sequence``, a final
    layer norm and a ``Dense`` to the vocabulary. Decoding keeps a
    self-attention KV cache and a cross-attention KV cache computed once
    from the encoder's outputs.

    Args:
        vocabulary_size: number of token ids (shared with the encoder).
        sequence_length: the longest decoder input (position table).
        hidden_dim, intermediate_dim, num_layers, num_heads, dropout: as
            in ``TransformerBackbone``.

    Example:
    >>> import numpy as np
    >>> import nlptoolkit
    >>> encoder_outputs = {  # a backbone's dict
    ...     "sequence_output": np.ones((1, 7, 8), "float32"),
    ...     "padding_mask": np.ones((1, 7), bool),
    ...     "pooled_output": np.ones((1, 8), "float32")}
    >>> head = nlptoolkit.heads.TransformerSeq2SeqHead(
    ...     vocabulary_size=30, sequence_length=6, hidden_dim=8,
    ...     intermediate_dim=16, num_heads=2)
    >>> start = np.array([[2]])
    >>> cache = head.init_cache(start, encoder_outputs, length=6)
    >>> logits, cache = head.call_with_cache(start, cache, 0)
    >>> tuple(logits.shape), tuple(cache[0].shape)  # self-attention K/V
    ((1, 1, 30), (1, 2, 2, 6, 2, 4))
    """

    ARGUMENTS = TRANSFORMER_ARGUMENTS

    def __init__(
        self,
        vocabulary_size,
        sequence_length=64,
        hidden_dim=128,
        intermediate_dim=256,
        num_layers=2,
        num_heads=4,
        dropout=0.1,
        **kwargs,
    ):
        super().__init__(**kwargs)
        args = self.check_arguments(locals())
        stack = transformer_stack(args, DECODER_LAYER_NAMES, decoder=True)
        self.set_arguments(args)
        self.max_positions = self.sequence_length
        self.embedding = stack.embedding
        self.embedding_dropout = stack.dropout
        self.transformer_layers = stack.blocks
        self.final_norm = stack.final_norm
        self.dense = self.logits_layer(self.vocabulary_size)

    def call(self, inputs, training=None):
        token_ids = inputs["token_ids"]
        encoder_sequence = inputs["encoder_sequence"]
        encoder_mask = _as_mask(inputs["encoder_padding_mask"])
        x = self.embedding_dropout(self.embedding(token_ids), training=training)
        padding_mask = ops.not_equal(token_ids, 0)
        for layer in self.transformer_layers:
            x = layer(
                x,
                encoder_sequence=encoder_sequence,
                decoder_padding_mask=padding_mask,
                encoder_padding_mask=encoder_mask,
                training=training,
            )
        return self.dense(self.final_norm(x))

    def init_cache(self, first_token_ids, encoder_outputs, length):
        """Empty self-attention cache of ``length`` positions, and the
        cross-attention K/V of every layer (from the encoder, once)."""
        encoder_sequence = encoder_outputs["sequence_output"]
        encoder_mask = _as_mask(encoder_outputs["padding_mask"])
        batch_size = ops.shape(encoder_sequence)[0]
        encoder_length = ops.shape(encoder_sequence)[1]
        head_dim = self.hidden_dim // self.num_heads
        dtype = encoder_sequence.dtype
        self_cache = ops.zeros(
            (batch_size, self.num_layers, 2, length, self.num_heads, head_dim),
            dtype=dtype,
        )
        cross_cache = ops.zeros(
            (
                batch_size,
                self.num_layers,
                2,
                encoder_length,
                self.num_heads,
                head_dim,
            ),
            dtype=dtype,
        )
        cache = (self_cache, cross_cache, encoder_sequence, encoder_mask)
        # One pass over the first token fills the cross-attention caches;
        # its self-attention entry is rewritten by the first step.
        _, cache = self._run(first_token_ids, cache, 0, fill_cross=True)
        return cache

    def _run(self, token_ids, cache, index, fill_cross=False):
        self_cache, cross_cache, encoder_sequence, encoder_mask = cache
        x = self.embedding(token_ids, start_index=index)
        self_caches, cross_caches = [], []
        for number, layer in enumerate(self.transformer_layers):
            x, layer_self, layer_cross = layer(
                x,
                encoder_sequence=encoder_sequence,
                encoder_padding_mask=encoder_mask,
                self_attention_cache=self_cache[:, number, ...],
                self_attention_cache_update_index=index,
                cross_attention_cache=cross_cache[:, number, ...],
                cross_attention_cache_update_index=0 if fill_cross else None,
            )
            self_caches.append(layer_self)
            cross_caches.append(layer_cross)
        logits = self.dense(self.final_norm(x))
        cache = (
            ops.stack(self_caches, axis=1),
            ops.stack(cross_caches, axis=1),
            encoder_sequence,
            encoder_mask,
        )
        return logits, cache

    def call_with_cache(self, token_ids, cache, index):
        """Logits for ``token_ids`` placed at ``index``; updated cache."""
        return self._run(token_ids, cache, index)


@keras.saving.register_keras_serializable(package="nlptoolkit")
class LSTMSeq2SeqHead(Seq2SeqHead):
    """LSTM decoder with attention over the encoder's outputs.

    Embedding -> ``num_layers`` LSTM layers (initial state from the
    encoder's ``pooled_output``) -> attention over ``encoder_sequence``
    (``"luong"``: ``keras.layers.Attention``, dot product; ``"bahdanau"``:
    ``keras.layers.AdditiveAttention``) -> ``tanh`` of the decoder output
    concatenated with the context (Luong's attentional vector) ->
    layer norm -> ``Dense`` to the vocabulary. No input feeding, so a step
    needs only the LSTM state: the cache is
    ``(state, encoder_sequence, encoder_mask)``.

    Args:
        vocabulary_size: number of token ids (shared with the encoder).
        hidden_dim: LSTM units; must equal the encoder's ``hidden_dim``.
        num_layers: stacked LSTM layers.
        dropout: dropout on embeddings and the attentional vector.
        attention: ``"luong"`` or ``"bahdanau"``.

    Example:
    >>> import numpy as np
    >>> import nlptoolkit
    >>> head = nlptoolkit.heads.LSTMSeq2SeqHead(
    ...     vocabulary_size=30, hidden_dim=8)
    >>> logits = head({
    ...     "token_ids": np.array([[2, 5, 6, 0]]),
    ...     "encoder_sequence": np.ones((1, 7, 8), "float32"),
    ...     "encoder_padding_mask": np.ones((1, 7), bool),
    ...     "encoder_pooled": np.ones((1, 8), "float32")})
    >>> tuple(logits.shape)
    (1, 4, 30)
    """

    ARGUMENTS = {
        "vocabulary_size": POSITIVE_INT,
        "hidden_dim": POSITIVE_INT,
        "num_layers": POSITIVE_INT,
        "dropout": FRACTION,
        "attention": Options(ATTENTION_TYPES),
    }

    def __init__(
        self,
        vocabulary_size,
        hidden_dim=128,
        num_layers=1,
        dropout=0.0,
        attention="luong",
        **kwargs,
    ):
        super().__init__(**kwargs)
        args = self.check_arguments(locals())
        self.set_arguments(args)
        self.max_positions = None
        self.token_embedding = keras.layers.Embedding(
            args.vocabulary_size, args.hidden_dim, name="decoder_embedding"
        )
        self.embedding_dropout = keras.layers.Dropout(args.dropout)
        self.bridge = keras.layers.Dense(
            args.hidden_dim, activation="tanh", name="bridge"
        )
        self.lstm_layers = [
            keras.layers.LSTM(
                args.hidden_dim,
                return_sequences=True,
                return_state=True,
                name=f"decoder_lstm_{index}",
            )
            for index in range(args.num_layers)
        ]
        if args.attention == "luong":
            self.attention_layer = keras.layers.Attention(name="attention")
        else:
            self.attention_layer = keras.layers.AdditiveAttention(
                name="attention"
            )
        self.combine = keras.layers.Dense(
            args.hidden_dim, activation="tanh", name="attentional"
        )
        self.output_dropout = keras.layers.Dropout(args.dropout)
        # Without it the first steps fit the (skewed) unigram distribution
        # by growing a constant attentional vector until its tanh
        # saturates: constant logits, no gradient below, the loss frozen
        # at the unigram level. The norm fixes its scale (as the
        # Transformer head's final norm does).
        self.output_norm = keras.layers.LayerNormalization(
            epsilon=1e-5, name="attentional_norm"
        )
        self.dense = self.logits_layer(args.vocabulary_size)

    def _initial_state(self, encoder_pooled):
        h = self.bridge(encoder_pooled)
        c = ops.zeros_like(h)
        layer_state = ops.stack([h, c], axis=1)
        return ops.stack([layer_state] * self.num_layers, axis=1)

    def _decode(
        self, token_ids, state, encoder_sequence, encoder_mask, training
    ):
        x = self.embedding_dropout(
            self.token_embedding(token_ids), training=training
        )
        states = []
        for number, layer in enumerate(self.lstm_layers):
            x, h, c = layer(
                x,
                initial_state=[state[:, number, 0], state[:, number, 1]],
                training=training,
            )
            states.append(ops.stack([h, c], axis=1))
        context = self.attention_layer(
            [x, encoder_sequence], mask=[None, encoder_mask]
        )
        x = self.combine(ops.concatenate([x, context], axis=-1))
        x = self.output_norm(x)
        x = self.output_dropout(x, training=training)
        return self.dense(x), ops.stack(states, axis=1)

    def call(self, inputs, training=None):
        encoder_mask = _as_mask(inputs["encoder_padding_mask"])
        state = self._initial_state(inputs["encoder_pooled"])
        logits, _ = self._decode(
            inputs["token_ids"],
            state,
            inputs["encoder_sequence"],
            encoder_mask,
            training,
        )
        return logits

    def init_cache(self, first_token_ids, encoder_outputs, length):
        del first_token_ids, length
        state = self._initial_state(encoder_outputs["pooled_output"])
        return (
            state,
            encoder_outputs["sequence_output"],
            _as_mask(encoder_outputs["padding_mask"]),
        )

    def call_with_cache(self, token_ids, cache, index):
        del index
        state, encoder_sequence, encoder_mask = cache
        logits, state = self._decode(
            token_ids, state, encoder_sequence, encoder_mask, None
        )
        return logits, (state, encoder_sequence, encoder_mask)
