"""Decoding adapter for a pretrained encoder-decoder (a keras-hub
``Seq2SeqLM``: ``BartSeq2SeqLM``, ``T5Seq2SeqLM``).

It plugs into :class:`~nlptoolkit.decoding.Decoder` like the from-scratch
``Seq2SeqAdapter``, so the fused, stepwise and uncached paths, every
sampler (beam search with its length penalty included), the n-gram ban
and the InferenceClock work unchanged:

- ``prefill`` runs the encoder once (``call_encoder``), preallocates the
  decoder's self-attention cache (``(batch, layers, 2, length, heads,
  head_dim)``, the token array's width; T5's ``key_value_dim`` is its
  head_dim) and fills the cross-attention
  cache (the encoder's keys and values, computed once) together with the
  self-attention entries of the decoder start tokens before the first
  step. The cache is ``(self_attention_cache, encoder_hidden_states,
  encoder_padding_mask, cross_attention_cache)``, keras-hub's own layout.
- ``next`` feeds one token through ``call_decoder_with_cache`` (the cross
  cache is read, not recomputed).
- ``uncached_logits`` reruns the whole model (encoder and the decoder
  prefix) every step: the reference path.

Sequences start from the preset's decoder start ids (BART: ``</s> <s>``,
so ``start == 2``; T5: its pad id, ``start == 1``); the encoder's padding
is ``pad_token_id`` (BART: 1; T5: 0), read from the tokenizer, never
assumed. ``forbidden_ids`` (pad, start...) are never
emitted.
"""

import numbers

from keras import ops

from nlptoolkit.decoding.adapters import forbid_special_ids
from nlptoolkit.validation import POSITIVE_INT
from nlptoolkit.validation import check


class PresetSeq2SeqAdapter:
    """KV-cached decoding over a keras-hub ``Seq2SeqLM``.

    Args:
        seq2seq_lm: a keras-hub ``Seq2SeqLM`` with ``call_encoder`` and
            ``call_decoder_with_cache`` (``BartSeq2SeqLM``,
            ``T5Seq2SeqLM``).
        pad_token_id: the encoder's padding id.
        start: decoder start tokens per sequence (the prompt width).
        forbidden_ids: ids whose logits are set very negative.

    Example:
    >>> import numpy as np
    >>> import keras_hub
    >>> from nlptoolkit.decoding import Decoder, PresetSeq2SeqAdapter
    >>> from nlptoolkit.decoding import make_sampler
    >>> lm = keras_hub.models.BartSeq2SeqLM(keras_hub.models.BartBackbone(
    ...     vocabulary_size=12, num_layers=1, num_heads=2, hidden_dim=4,
    ...     intermediate_dim=8, max_sequence_length=16))
    >>> adapter = PresetSeq2SeqAdapter(lm, pad_token_id=1, start=2,
    ...                                forbidden_ids=(0, 1))
    >>> encoder = np.array([[0, 5, 6, 2, 1, 1]], "int32")
    >>> ids = np.array([[2, 0, 1, 1, 1, 1]], "int32")  # </s> <s> + 4 new
    >>> mask = np.arange(6)[None, :] < 2
    >>> out = Decoder(adapter).generate(
    ...     ids, 2, mask, make_sampler("greedy"), decode="uncached",
    ...     encoder_inputs=encoder)
    >>> out.shape, bool(np.isin(out[0, 2:], (0, 1)).any())
    ((1, 6), False)
    """

    # Every id may be a real token: the n-gram ban skips none.
    ngram_pad_id = None
    supports_jit = True

    def __init__(self, seq2seq_lm, pad_token_id, start, forbidden_ids=()):
        start = check(
            "start",
            start,
            POSITIVE_INT,
            hint="A pretrained decoder needs at least one start token.",
        )
        self.seq2seq_lm = seq2seq_lm
        self.pad_token_id = int(pad_token_id)
        self.start = start
        self.forbidden_ids = tuple(int(i) for i in forbidden_ids)
        backbone = seq2seq_lm.backbone
        self.kind = type(backbone).__name__.replace("Backbone", "").lower()
        self.max_positions = getattr(backbone, "max_sequence_length", None)

    def prefill_tokens(self, token_ids, index):
        """All of ``token_ids`` (its width is the cache's length); a
        Python ``index`` is checked to be ``start`` (a traced one, under
        XLA, cannot be)."""
        if isinstance(index, numbers.Integral) and int(index) != self.start:
            raise ValueError(
                f"This decoder starts from its {self.start} start tokens. "
                f"Received: start={index}."
            )
        return token_ids

    def encoder_padding_mask(self, encoder_token_ids):
        return ops.not_equal(encoder_token_ids, self.pad_token_id)

    def _empty_cache(self, batch_size, length, dtype):
        backbone = self.seq2seq_lm.backbone
        # T5 sizes its heads apart from the width (``key_value_dim``).
        head_dim = getattr(backbone, "key_value_dim", None) or (
            backbone.hidden_dim // backbone.num_heads
        )
        shape = (
            batch_size,
            backbone.num_layers,
            2,
            length,
            backbone.num_heads,
            head_dim,
        )
        return ops.zeros(shape, dtype=dtype)

    def prefill(self, token_ids, encoder_token_ids):
        """The encoder's outputs and both caches, before the step at
        ``start`` (``token_ids``' width is the self-attention cache's
        length)."""
        lm = self.seq2seq_lm
        mask = self.encoder_padding_mask(encoder_token_ids)
        hidden = lm.call_encoder(token_ids=encoder_token_ids, padding_mask=mask)
        batch_size = ops.shape(token_ids)[0]
        self_cache = self._empty_cache(
            batch_size, ops.shape(token_ids)[1], hidden.dtype
        )
        cross_cache = self._empty_cache(
            batch_size, ops.shape(encoder_token_ids)[1], hidden.dtype
        )
        # The start tokens before the first step's input (at least one
        # column: the cross cache is filled by the same call; with one
        # start token the first step rewrites its entry with equal values).
        prompt = token_ids[:, : max(self.start - 1, 1)]
        cache = (self_cache, hidden, mask, cross_cache)
        _, _, self_cache, cross_cache = self._decode(cache, prompt, 0, 0)
        return (self_cache, hidden, mask, cross_cache)

    def _decode(self, cache, token_ids, index, cross_index):
        """``call_decoder_with_cache`` over ``cache`` (keras-hub's layout)
        for ``token_ids`` written at self-attention ``index``:
        ``cross_index`` 0 fills the cross-attention cache, None reads it.
        Returns keras-hub's ``(logits, hidden_states, self_attention_cache,
        cross_attention_cache)``."""
        self_cache, hidden, mask, cross_cache = cache
        return self.seq2seq_lm.call_decoder_with_cache(
            encoder_hidden_states=hidden,
            encoder_padding_mask=mask,
            decoder_token_ids=token_ids,
            self_attention_cache=self_cache,
            self_attention_cache_update_index=index,
            cross_attention_cache=cross_cache,
            cross_attention_cache_update_index=cross_index,
        )

    def empty_cache(self, batch_size):
        raise ValueError(
            "Seq2seq decoding needs the encoder's inputs: call "
            "`Decoder.generate(..., encoder_inputs=encoder_token_ids)`."
        )

    def next(self, prompt, cache, index):
        self_cache, hidden, mask, cross_cache = cache
        batch_size = ops.shape(prompt)[0]
        token = ops.slice(prompt, [0, index - 1], [batch_size, 1])
        logits, _, self_cache, _ = self._decode(cache, token, index - 1, None)
        logits = forbid_special_ids(logits[:, 0, :], self.forbidden_ids)
        return logits, None, (self_cache, hidden, mask, cross_cache)

    def uncached_logits(self, prefix, encoder_token_ids):
        """Logits of the last position: the encoder and the whole decoder
        prefix recomputed."""
        prefix = ops.convert_to_tensor(prefix, "int32")
        encoder_token_ids = ops.convert_to_tensor(encoder_token_ids, "int32")
        logits = self.seq2seq_lm(
            {
                "encoder_token_ids": encoder_token_ids,
                "encoder_padding_mask": self.encoder_padding_mask(
                    encoder_token_ids
                ),
                "decoder_token_ids": prefix,
                "decoder_padding_mask": ops.ones_like(prefix, dtype="bool"),
            }
        )
        return forbid_special_ids(logits[:, -1, :], self.forbidden_ids)
