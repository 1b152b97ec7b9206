"""Decoding a pretrained keras-hub causal LM (GPT-2, Llama, Mistral, ...).

:class:`PresetCausalAdapter` gives the ``Decoder`` what it needs from a
``backbones.PretrainedCausalLM``: ``prefill`` / ``next`` over the
keras-hub ``CausalLM.call_with_cache`` (a key/value cache of shape
``(batch, num_layers, 2, length, key/value heads, head_dim)``, GPT-2's
layout; Gemma 3's per-layer pairs are stacked into it), and
``uncached_logits`` (the whole prefix through the model again).
keras-hub's own ``_build_cache`` is private: the cache is preallocated
here (zeros, ``PretrainedCausalLM.cache_shape``) and filled by one
``call_with_cache`` from position 0, as keras-hub fills it. So the
fused, stepwise and uncached paths, every sampler, ``stop_token``,
``on_token`` and the InferenceClock work unchanged.

Special ids come from the preset's tokenizer: ``forbidden_ids`` are the
ids never emitted (its special tokens other than the end token: for
GPT-2 none, as ``<|endoftext|>`` is both its start and its end); no id
is taken for padding.

Past the model's ``max_sequence_length`` it decodes over the same sliding
``ContextWindow`` as the from-scratch Transformer (``supports_window``):
the cache holds the context, and where the window slides it is
re-prefilled with the last ``keep`` tokens, whose positions then start
at 0 again (on every decode path alike).
"""

from keras import ops

from nlptoolkit.decoding.adapters import TransformerAdapter
from nlptoolkit.decoding.adapters import forbid_special_ids


class PresetCausalAdapter(TransformerAdapter):
    """KV-cached decoding over a ``PretrainedCausalLM``.

    Args:
        backbone: a ``nlptoolkit.backbones.PretrainedCausalLM``.
        head: its ``PresetLanguageModelHead``.
        forbidden_ids: ids whose logits are set very negative at every
            step (default: none).

    Example:
    >>> import numpy as np
    >>> import keras_hub
    >>> import nlptoolkit
    >>> from nlptoolkit.decoding import Decoder, adapter_for, make_sampler
    >>> hub = keras_hub.models.GPT2Backbone(
    ...     vocabulary_size=20, num_layers=1, num_heads=2, hidden_dim=8,
    ...     intermediate_dim=16, max_sequence_length=16)
    >>> lm = keras_hub.models.GPT2CausalLM(backbone=hub, preprocessor=None)
    >>> backbone = nlptoolkit.backbones.PretrainedCausalLM(lm)
    >>> head = nlptoolkit.heads.PresetLanguageModelHead()
    >>> decoder = Decoder(adapter_for(backbone, head, forbidden_ids=[0]))
    >>> ids = np.array([[19, 5, 0, 0, 0]], "int32")
    >>> out = decoder.generate(ids, 2, ids != 0, make_sampler("greedy"),
    ...                        jit_compile=False)
    >>> out.shape, bool((out[0, 2:] != 0).all())
    ((1, 5), True)
    """

    kind = "pretrained"
    # Every id may be a real token: the n-gram ban skips none.
    ngram_pad_id = None
    supports_jit = True
    supports_window = True

    def __init__(self, backbone, head, forbidden_ids=None):
        self.backbone = backbone
        self.head = head
        self.causal_lm = backbone.causal_lm
        self.max_positions = backbone.max_sequence_length
        self.forbidden_ids = tuple(int(i) for i in (forbidden_ids or ()))

    def _empty_cache(self, batch_size, length):
        return ops.zeros(
            self.backbone.cache_shape(batch_size, length),
            dtype=self.causal_lm.compute_dtype,
        )

    def call_with_cache(self, token_ids, cache, cache_update_index):
        """The keras-hub model's ``call_with_cache``
        (``PretrainedCausalLM.call_with_cache``): float32 logits for
        ``token_ids`` (starting at ``cache_update_index``) and the cache."""
        logits, cache = self.backbone.call_with_cache(
            token_ids, cache, cache_update_index
        )
        return self.head.logits(logits), cache

    def uncached_logits(self, prefix):
        """Logits of the last position, recomputing the whole prefix."""
        logits = self.head(self.backbone(prefix))
        return forbid_special_ids(logits[:, -1, :], self.forbidden_ids)
