"""Decoding adapter for encoder-decoder models (summarization).

The encoder runs once, in prefill; the decoder then takes one token per
step with its cache (see ``nlptoolkit.heads.seq2seq``). Sequences always
start from a single ``[BOS]`` (``start == 1``), so prefill needs only the
first column of the token array (and its width, the cache length).

``Decoder.generate(..., encoder_inputs=encoder_token_ids)`` passes the
encoder's token ids to ``prefill`` and, on the uncached path, to
``uncached_logits`` (which reruns encoder and decoder every step: the
reference path).
"""

from keras import ops

from nlptoolkit.decoding.adapters import forbid_special_ids


class Seq2SeqAdapter:
    """Cached decoding over an encoder (backbone) and a seq2seq head."""

    def __init__(self, encoder, head):
        self.encoder = encoder
        self.head = head
        self.kind = "lstm" if head.max_positions is None else "transformer"
        self.max_positions = head.max_positions

    def prefill_tokens(self, token_ids, index):
        if int(index) != 1:
            raise ValueError(
                "Seq2seq decoding starts from one [BOS] token. Received: "
                f"start={index}."
            )
        return token_ids

    def prefill(self, token_ids, encoder_token_ids):
        encoder_outputs = self.encoder(encoder_token_ids)
        length = ops.shape(token_ids)[1]
        return self.head.init_cache(token_ids[:, :1], encoder_outputs, length)

    def empty_cache(self, batch_size):
        raise ValueError(
            "Seq2seq decoding needs the encoder's inputs: call "
            "`Decoder.generate(..., encoder_inputs=encoder_token_ids)`."
        )

    def next(self, prompt, cache, index):
        batch_size = ops.shape(prompt)[0]
        token = ops.slice(prompt, [0, index - 1], [batch_size, 1])
        logits, cache = self.head.call_with_cache(token, cache, index - 1)
        return forbid_special_ids(logits[:, 0, :]), None, cache

    def uncached_logits(self, prefix, encoder_token_ids):
        """Logits of the last position: encoder and the whole decoder
        prefix recomputed."""
        outputs = self.encoder(encoder_token_ids)
        logits = self.head(
            {
                "token_ids": prefix,
                "encoder_sequence": outputs["sequence_output"],
                "encoder_padding_mask": outputs["padding_mask"],
                "encoder_pooled": outputs["pooled_output"],
            }
        )
        return forbid_special_ids(logits[:, -1, :])
