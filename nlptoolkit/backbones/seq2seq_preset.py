"""Pretrained encoder-decoders: a preset handle -> keras-hub ``Seq2SeqLM``.

What a ``Summarizer(backbone=HANDLE_OR_DIR)`` is built from. The handle
is resolved and checked by ``nlptoolkit.backbones.preset``
(``resolve_preset``, ``check_architecture(info, "seq2seq")``: BART, from
a keras-hub preset folder or a Hugging Face folder through keras-hub's
converter; T5, from a keras-hub preset only, keras-hub having no
converter for Hugging Face T5 folders, which are refused with that fix);
the network is reached only for a remote handle, and a failure there is
one ``PresetUnavailableError``.

The model is keras-hub's own ``Seq2SeqLM`` for the architecture
(``BartSeq2SeqLM``, ``T5Seq2SeqLM``) without its preprocessor: its
forward pass gives the logits ``fit`` trains (the output projection is
its own, the tied token embedding), and its public ``call_encoder`` /
``call_decoder_with_cache`` are what
``nlptoolkit.decoding.PresetSeq2SeqAdapter`` decodes with.
"""

from nlptoolkit.backbones.preset import load_hub_task


def load_hub_seq2seq(info, dtype=None):
    """The keras-hub ``Seq2SeqLM`` (weights loaded, no preprocessor) of
    the preset ``info`` describes (a ``PresetInfo``); a ValueError for
    an architecture that is not an encoder-decoder keras-hub can decode.

    Example:
    >>> import keras_hub, tempfile
    >>> from nlptoolkit.backbones import resolve_preset
    >>> from nlptoolkit.backbones.seq2seq_preset import load_hub_seq2seq
    >>> folder = tempfile.mkdtemp()
    >>> keras_hub.models.BartBackbone(
    ...     vocabulary_size=8, num_layers=1, num_heads=2, hidden_dim=4,
    ...     intermediate_dim=8, max_sequence_length=8).save_to_preset(folder)
    >>> type(load_hub_seq2seq(resolve_preset(folder))).__name__
    'BartSeq2SeqLM'
    """
    model = load_hub_task(info, "Seq2SeqLM", "seq2seq", dtype=dtype)
    # keras-hub's Seq2SeqLM compiles itself when built; nlptoolkit trains
    # the task model around it, so that state is unused. Left set, it is
    # saved, and every load warns that it cannot be restored.
    model.compiled = False
    return model
