"""Per-backbone decoding adapters: how to prefill and take one step.

An adapter knows how to run one backbone + head one token at a time with a
cache, using keras-hub's contract for samplers: ``next(prompt, cache,
index) -> (logits, hidden_states, cache)`` reads the token at ``index - 1``
and returns the logits for position ``index``.

- Transformer: a KV cache of shape ``(batch, num_layers, 2, length,
  num_heads, head_dim)`` filled by keras-hub's ``TransformerDecoder``
  (``self_attention_cache`` / ``self_attention_cache_update_index``).
- LSTM: the ``(h, c)`` state of every layer, ``(batch, num_layers, 2,
  units)``.

Both also offer ``uncached_logits(prefix)``: the whole prefix through the
model again, the quadratic reference path.

``prefill(prefill_tokens(token_ids, index), length)`` builds the cache
before the first step at ``index``: it reads only the prompt columns,
and ``length`` (the token array's width) is the length of the cache it
preallocates (the LSTM's state has none and ignores it).

``supports_jit = True`` marks an adapter whose fused loop has been checked
under XLA (``Decoder.generate(..., jit_compile="auto")`` compiles it with
XLA on TensorFlow; other adapters run it without).
"""

from keras import ops

from nlptoolkit.preprocessing import BOS_ID
from nlptoolkit.preprocessing import PAD_ID
from nlptoolkit.preprocessing import UNK_ID

# Ids a decoder must never emit: a generated [PAD] would be masked out on
# the next step, a [BOS] or [UNK] is never a useful output.
FORBIDDEN_IDS = (PAD_ID, UNK_ID, BOS_ID)


def forbid_special_ids(logits, token_ids=FORBIDDEN_IDS):
    """Set the logits of ``token_ids`` (default ``FORBIDDEN_IDS``, the
    trained tokenizers' specials; a preset passes its own) to a very
    negative value."""
    vocabulary_size = ops.shape(logits)[-1]
    forbidden = ops.zeros((vocabulary_size,), dtype="bool")
    for token_id in token_ids:
        forbidden = ops.logical_or(
            forbidden, ops.equal(ops.arange(vocabulary_size), token_id)
        )
    return ops.where(forbidden[None, :], -1e9, logits)


class TransformerAdapter:
    """KV-cached decoding over a causal ``TransformerBackbone``.

    ``supports_window = True``: past its ``max_positions`` it decodes
    over a sliding ``ContextWindow`` (``windowed_next``).
    """

    kind = "transformer"
    supports_jit = True
    supports_window = True

    def __init__(self, backbone, head):
        if not backbone.causal:
            raise ValueError(
                "Decoding needs a causal Transformer backbone (built with "
                "`causal=True`)."
            )
        self.backbone = backbone
        self.head = head
        self.max_positions = backbone.sequence_length

    def _empty_cache(self, batch_size, length):
        b = self.backbone
        head_dim = b.hidden_dim // b.num_heads
        # The layers' compute dtype: bfloat16/float16 under mixed precision.
        return ops.zeros(
            (batch_size, b.num_layers, 2, length, b.num_heads, head_dim),
            dtype=b.embedding.compute_dtype,
        )

    def call_with_cache(self, token_ids, cache, cache_update_index):
        """Run ``token_ids`` (starting at ``cache_update_index``) through
        the decoder, reading and updating the cache."""
        b = self.backbone
        x = b.embedding(token_ids, start_index=cache_update_index)
        caches = []
        for index, layer in enumerate(b.transformer_layers):
            x, layer_cache = layer(
                x,
                self_attention_cache=cache[:, index, ...],
                self_attention_cache_update_index=cache_update_index,
            )
            caches.append(layer_cache)
        x = b.final_norm(x)
        return self.head.logits(x), ops.stack(caches, axis=1)

    def prefill_tokens(self, token_ids, index):
        """What ``prefill`` reads: the prompt columns before ``index``
        (the padded columns after them are never worth computing)."""
        return token_ids[:, :index]

    def prefill(self, token_ids, length=None):
        """A cache of ``length`` positions (default: ``token_ids``'
        width) holding the keys and values of ``token_ids``; the later
        positions are zeros, which each step overwrites before anything
        attends to them (causal)."""
        batch_size = ops.shape(token_ids)[0]
        if length is None:
            length = ops.shape(token_ids)[1]
        cache = self._empty_cache(batch_size, length)
        _, cache = self.call_with_cache(token_ids, cache, 0)
        return cache

    def next(self, prompt, cache, index):
        batch_size = ops.shape(prompt)[0]
        token = ops.slice(prompt, [0, index - 1], [batch_size, 1])
        logits, cache = self.call_with_cache(token, cache, index - 1)
        return forbid_special_ids(logits[:, 0, :]), None, cache

    def windowed_next(self, window):
        """``next`` over a sliding ``window`` (a ``ContextWindow``).

        The cache holds ``window.context`` positions, token ``t`` at
        ``t - window.start(index)``. Where the window slides
        (``window.slides_at(index)``), the cache is first re-prefilled
        with the last ``window.keep`` tokens before ``index``.
        """
        keep, context = window.keep, window.context

        def next(prompt, cache, index):
            batch_size = ops.shape(prompt)[0]
            index = ops.cast(index, "int32")

            def reprefill():
                tokens = ops.slice(
                    prompt, [0, index - keep], [batch_size, keep]
                )
                return self.prefill(tokens, context)

            old = cache
            cache = ops.cond(window.slides_at(index), reprefill, lambda: old)
            token = ops.slice(prompt, [0, index - 1], [batch_size, 1])
            logits, cache = self.call_with_cache(
                token, cache, index - 1 - window.start(index)
            )
            return forbid_special_ids(logits[:, 0, :]), None, cache

        return next

    def uncached_logits(self, prefix):
        """Logits of the last position, recomputing the whole prefix."""
        outputs = self.backbone(prefix)
        logits = self.head.logits(outputs["sequence_output"][:, -1:, :])
        return forbid_special_ids(logits[:, 0, :])


class LSTMAdapter:
    """State-carrying decoding over a unidirectional ``LSTMBackbone``."""

    kind = "lstm"
    max_positions = None
    supports_jit = True

    def __init__(self, backbone, head):
        if backbone.bidirectional:
            raise ValueError(
                "Decoding needs a unidirectional LSTM backbone (built with "
                "`bidirectional=False`)."
            )
        self.backbone = backbone
        self.head = head

    def _run(self, token_ids, cache):
        x = self.backbone.token_embedding(token_ids)
        states = []
        for index, layer in enumerate(self.backbone.lstm_layers):
            x, h, c = layer(
                x, initial_state=[cache[:, index, 0], cache[:, index, 1]]
            )
            states.append(ops.stack([h, c], axis=1))
        return x, ops.stack(states, axis=1)

    def empty_cache(self, batch_size):
        b = self.backbone
        return ops.zeros(
            (batch_size, b.num_layers, 2, b.hidden_dim),
            dtype=b.lstm_layers[0].compute_dtype,
        )

    def prefill_tokens(self, token_ids, index):
        """What ``prefill`` reads: the tokens before ``index - 1`` (the
        first step then reads the token at ``index - 1``)."""
        return token_ids[:, : index - 1]

    def prefill(self, token_ids, length=None):
        """The LSTM state after ``token_ids`` (zeros if there are none);
        ``length`` is unused (the state does not grow)."""
        del length
        cache = self.empty_cache(ops.shape(token_ids)[0])
        if token_ids.shape[1] == 0:
            return cache
        _, cache = self._run(token_ids, cache)
        return cache

    def next(self, prompt, cache, index):
        batch_size = ops.shape(prompt)[0]
        token = ops.slice(prompt, [0, index - 1], [batch_size, 1])
        x, cache = self._run(token, cache)
        logits = self.head.logits(x)
        return forbid_special_ids(logits[:, 0, :]), None, cache

    def uncached_logits(self, prefix):
        outputs = self.backbone(prefix)
        logits = self.head.logits(outputs["sequence_output"][:, -1:, :])
        return forbid_special_ids(logits[:, 0, :])


def adapter_for(backbone, head):
    """The adapter that decodes ``backbone`` (by its type)."""
    from nlptoolkit.backbones import LSTMBackbone
    from nlptoolkit.backbones import TransformerBackbone

    if isinstance(backbone, TransformerBackbone):
        return TransformerAdapter(backbone, head)
    if isinstance(backbone, LSTMBackbone):
        return LSTMAdapter(backbone, head)
    raise TypeError(
        f"No decoding adapter for {type(backbone).__name__}. Expected an "
        "LSTMBackbone or a TransformerBackbone."
    )
