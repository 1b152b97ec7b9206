"""Pretrained causal language models behind nlptoolkit's backbone contract.

:class:`PretrainedCausalLM` wraps a keras-hub ``CausalLM`` (GPT-2, Llama,
Mistral, Gemma, Qwen, ...: ``preset.CAUSAL_ARCHITECTURES``) loaded from a
preset handle or folder (``preset.resolve_preset``). It takes
``token_ids`` alone and returns the one output contract
(``sequence_output``, ``pooled_output``, ``padding_mask``) plus
``logits``: the keras-hub model's own next-token logits (its tied or
separate output embedding), which ``heads.PresetLanguageModelHead``
passes on. :meth:`PretrainedCausalLM.call_with_cache` (keras-hub's
``causal_lm.call_with_cache`` over one stacked cache tensor, whatever
layout the family keeps) is what ``nlptoolkit.decoding.PresetCausalAdapter``
decodes with.

Attention is causal, so right padding never reaches a real position: the
padding mask given to the keras-hub backbone is all ones, and no id is
taken for padding (GPT-2 has no pad token).
"""

import keras

from nlptoolkit.backbones.base import Backbone
from nlptoolkit.backbones.preset import load_hub_task
from nlptoolkit.backbones.preset import max_sequence_length
from nlptoolkit.layers.arguments import KerasObject

# Backbones whose ``call_with_cache`` takes a tuple of per-layer ``(key,
# value)`` tensors rather than one stacked tensor.
PER_LAYER_CACHES = ("Gemma3Backbone",)


def load_hub_causal_lm(info, dtype=None):
    """The keras-hub ``CausalLM`` ``info`` points at (weights loaded, no
    preprocessor), after checking it is a causal architecture."""
    return load_hub_task(info, "CausalLM", "causal", dtype=dtype)


@keras.saving.register_keras_serializable(package="nlptoolkit")
class PretrainedCausalLM(Backbone):
    """A keras-hub ``CausalLM`` as an nlptoolkit backbone.

    Returns ``sequence_output`` (the final hidden states), ``pooled_output``
    (the last position's: the only one that read the whole input),
    ``padding_mask`` (all True: causal attention) and ``logits`` (the
    keras-hub model's, in its compute dtype). ``max_sequence_length`` is
    the position table's size (None where the model has no limit).
    ``get_config`` holds the keras-hub model's config, so a saved task
    reloads without the preset.

    Example:
    >>> import numpy as np
    >>> import keras_hub
    >>> import nlptoolkit
    >>> hub = keras_hub.models.GPT2Backbone(
    ...     vocabulary_size=20, num_layers=1, num_heads=2, hidden_dim=8,
    ...     intermediate_dim=16, max_sequence_length=16)
    >>> lm = keras_hub.models.GPT2CausalLM(backbone=hub, preprocessor=None)
    >>> backbone = nlptoolkit.backbones.PretrainedCausalLM(lm)
    >>> out = backbone(np.array([[19, 5, 6, 0]]))
    >>> tuple(out["logits"].shape), backbone.max_sequence_length
    ((1, 4, 20), 16)
    """

    ARGUMENTS = {"causal_lm": KerasObject()}

    def __init__(self, causal_lm, **kwargs):
        args = self.check_arguments(locals())
        hub = causal_lm.backbone
        if getattr(hub, "vision_encoder", None) is not None:
            raise ValueError(
                "A text generator takes a text-only causal LM. Received: a "
                f"{type(hub).__name__} with a vision encoder (an image-text "
                "checkpoint, whose inputs include images). Use the "
                "text-only checkpoint of the family (e.g. Gemma 3 1B, "
                "Hugging Face model type 'gemma3_text')."
            )
        token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        padding_mask = keras.ops.ones_like(token_ids, dtype="bool")
        sequence = hub({"token_ids": token_ids, "padding_mask": padding_mask})
        logits = hub.token_embedding(sequence, reverse=True)
        self.init_graph(
            token_ids,
            sequence,
            sequence[:, -1, :],
            padding_mask,
            extra_outputs={"logits": logits},
            **kwargs,
        )
        self.set_arguments(args)
        self.hub_backbone = hub
        self.hidden_dim = hub.hidden_dim
        self.vocabulary_size = hub.vocabulary_size
        self.max_sequence_length = max_sequence_length(hub)

    @classmethod
    def from_preset(cls, info, dtype=None):
        """Load the keras-hub causal LM ``info`` describes and wrap it."""
        return cls(load_hub_causal_lm(info, dtype=dtype))

    def cache_shape(self, batch_size, length):
        """The shape of ``causal_lm.call_with_cache``'s cache: ``(batch,
        num_layers, 2, length, key/value heads, head_dim)`` (GPT-2's
        layout; grouped-query models have fewer key/value heads)."""
        hub = self.hub_backbone
        query_heads = getattr(hub, "num_query_heads", None) or hub.num_heads
        heads = getattr(hub, "num_key_value_heads", None) or query_heads
        head_dim = getattr(hub, "head_dim", None) or (
            hub.hidden_dim // query_heads
        )
        return (batch_size, hub.num_layers, 2, length, heads, head_dim)

    def call_with_cache(self, token_ids, cache, cache_update_index):
        """``(logits, cache)``: the keras-hub model's ``call_with_cache``
        for ``token_ids`` (starting at ``cache_update_index``) over a
        cache of ``cache_shape``. A family that keeps one ``(key, value)``
        pair per layer (Gemma 3) gets the stacked cache split for the
        call and stacked again after."""
        if type(self.hub_backbone).__name__ not in PER_LAYER_CACHES:
            logits, _, cache = self.causal_lm.call_with_cache(
                token_ids, cache, cache_update_index
            )
            return logits, cache
        layers = tuple(
            (cache[:, i, 0], cache[:, i, 1])
            for i in range(self.hub_backbone.num_layers)
        )
        logits, _, layers = self.causal_lm.call_with_cache(
            token_ids, layers, cache_update_index
        )
        stacked = [keras.ops.stack(pair, axis=1) for pair in layers]
        return logits, keras.ops.stack(stacked, axis=1)
