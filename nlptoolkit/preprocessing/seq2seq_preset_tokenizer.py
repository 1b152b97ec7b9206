"""The tokenizer of a pretrained encoder-decoder (BART, T5), for the
Summarizer.

:class:`Seq2SeqPresetTokenizer` wraps keras-hub's
``Seq2SeqLMPreprocessor`` of the preset (``BartSeq2SeqLMPreprocessor``,
``T5Seq2SeqLMPreprocessor``) behind the tokenizer API of
:class:`~nlptoolkit.preprocessing.PresetTokenizer`, which it extends with
the decoder side:

- ``tokenize(documents, sequence_length)``: the encoder's packed ids
  (BART: ``<s> ... </s>``, padded with the preset's pad id, 1 for BART;
  T5: ``... </s>``, no start token, padded with 0;
  a long document is cut before its ``</s>``, never an error);
- ``encode_summaries(summaries, summary_length)``: teacher-forcing
  ``(decoder_inputs, targets)``, framed by the preset's own decoder
  packer (BART: ``</s> <s> ... </s>``; T5: ``<pad> ... </s>``) and
  shifted by one, as keras-hub's preprocessor frames them for ``fit``;
- ``decoder_start_ids``: what every summary starts from (BART:
  ``[</s>, <s>]``; T5: ``[<pad>]``), and ``end_token_id``;
- ``detokenize(ids)`` / ``detokenize_tensor(ids)``: text without the
  special tokens, up to each row's first end token.

Special ids come from the preset's tokenizer, never assumed to be 0. It
is a Keras layer, so the vocabulary and merges travel inside the task's
``.keras`` file as assets.
"""

import keras
import numpy as np

from nlptoolkit.checks import check_texts
from nlptoolkit.preprocessing.preset_tokenizer import PresetTokenizer
from nlptoolkit.validation import POSITIVE_INT


@keras.saving.register_keras_serializable(package="nlptoolkit")
class Seq2SeqPresetTokenizer(PresetTokenizer):
    """A keras-hub ``Seq2SeqLMPreprocessor`` as an nlptoolkit tokenizer.

    Args:
        preprocessor: a keras-hub ``Seq2SeqLMPreprocessor`` (e.g.
            ``BartSeq2SeqLMPreprocessor``).
        sequence_length: the encoder's packed length (special tokens
            included).
        summary_length: decoder positions per summary for training (the
            decoder start tokens included).

    Example:
    >>> import keras_hub
    >>> import nlptoolkit
    >>> vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "a": 3, "b": 4, "Ġ": 5,
    ...          "Ġa": 6, "Ġb": 7}
    >>> hub = keras_hub.models.BartSeq2SeqLMPreprocessor(
    ...     keras_hub.models.BartTokenizer(vocab, merges=["Ġ a", "Ġ b"]))
    >>> tokenizer = nlptoolkit.preprocessing.Seq2SeqPresetTokenizer(
    ...     hub, sequence_length=6, summary_length=5)
    >>> tokenizer.tokenize(["a b"]).numpy().tolist()
    [[0, 3, 7, 2, 1, 1]]
    >>> inputs, targets = tokenizer.encode_summaries(["b a"])
    >>> inputs.tolist(), targets.tolist()
    ([[2, 0, 4, 6, 2]], [[0, 4, 6, 2, 1]])
    >>> tokenizer.decoder_start_ids, tokenizer.pad_token_id
    ([2, 0], 1)
    >>> tokenizer.detokenize([[3, 7, 2, 3]])
    ['a b']
    """

    ARGUMENTS = {**PresetTokenizer.ARGUMENTS, "summary_length": POSITIVE_INT}

    def __init__(
        self, preprocessor, sequence_length=128, summary_length=64, **kwargs
    ):
        super().__init__(preprocessor, sequence_length, **kwargs)
        arguments = {"summary_length": summary_length}
        self.set_arguments(self.check_arguments(arguments))
        # keras-hub's `sequence_length` is the decoder's length on a
        # seq2seq preprocessor: set both sides explicitly.
        preprocessor.encoder_sequence_length = self.sequence_length
        preprocessor.decoder_sequence_length = self.summary_length

    def _packers(self):
        """The preprocessor's ``(encoder_packer, decoder_packer)``, built
        once the vocabulary is there (a reloaded model loads it after
        constructing its layers, and keras-hub reads the special ids into
        the packers when it builds them)."""
        preprocessor = self.preprocessor
        packer = preprocessor.decoder_packer
        if packer is None or packer.pad_value is None:
            # Loading builds the preprocessor before its vocabulary is
            # read (its packers then hold None ids): build it again,
            # lifting the built layer's state lock as Keras itself does
            # for late state (`Layer._untrack_variable`).
            tracker = preprocessor._tracker
            locked = tracker.locked
            tracker.unlock()
            try:
                preprocessor.build(None)
            finally:
                if locked:
                    tracker.lock()
        return preprocessor.encoder_packer, preprocessor.decoder_packer

    @property
    def end_token_id(self):
        return int(self.hub_tokenizer.end_token_id)

    @property
    def start_token_id(self):
        """The id the encoder's packer puts first (BART: ``<s>``), or None
        where it packs none (T5, whose tokenizer calls ``</s>`` its start
        token but packs it last only)."""
        start = self._packers()[0].start_value
        if isinstance(start, (list, tuple)):
            start = start[0] if start else None
        if isinstance(start, str):
            start = self.hub_tokenizer.token_to_id(start)
        return None if start is None else int(start)

    @property
    def decoder_start_ids(self):
        """The ids every decoder sequence starts with (BART: ``</s> <s>``),
        read from the preset's decoder packer."""
        start = self._packers()[1].start_value
        if start is None:
            return []
        start = start if isinstance(start, (list, tuple)) else [start]
        return [
            int(s)
            if not isinstance(s, str)
            else int(self.hub_tokenizer.token_to_id(s))
            for s in start
        ]

    @property
    def special_token_ids(self):
        """Ids ``detokenize`` drops (pad, start, end, mask...)."""
        return sorted(int(i) for i in self.hub_tokenizer.special_token_ids)

    def _as_tensor(self, texts):
        import tensorflow as tf

        if isinstance(texts, tf.Tensor):
            return texts
        return tf.constant(check_texts(texts))

    def tokenize(self, texts, sequence_length=None):
        """Encoder ids ``(batch, sequence_length)``, padded with
        ``pad_token_id``; a longer text is cut before its end token."""
        import tensorflow as tf

        ids, _ = self._packers()[0](
            self.hub_tokenizer(self._as_tensor(texts)),
            sequence_length=int(sequence_length or self.sequence_length),
        )
        return tf.cast(ids, "int32")

    def encode_summaries(self, summaries, summary_length=None):
        """``(decoder_inputs, targets)`` numpy int32, each
        ``(batch, summary_length)``: the framed summary (start ids,
        tokens, end token; cut to ``summary_length + 1``, padding with
        ``pad_token_id``) without its last token, and without its first."""
        length = int(summary_length or self.summary_length)
        ids, _ = self._packers()[1](
            self.hub_tokenizer(self._as_tensor(summaries)),
            sequence_length=length + 1,
        )
        ids = np.asarray(ids, dtype="int32")
        return ids[:, :-1], ids[:, 1:]

    def detokenize(self, ids):
        """Token ids ``(batch, length)`` -> list of str, special tokens
        dropped, each row read up to its first end token."""
        from keras_hub.src.utils.tensor_utils import strip_to_ragged_python

        ids = cut_after_end(ids, self.end_token_id, self.pad_token_id)
        rows = strip_to_ragged_python(
            ids, np.ones_like(ids, dtype=bool), self.special_token_ids
        )
        texts = self.hub_tokenizer.detokenize(rows) if rows else []
        return [_as_str(text) for text in texts]

    def detokenize_tensor(self, ids):
        """``detokenize`` inside a traced function: ``tf.string``
        ``(batch,)``."""
        import tensorflow as tf
        from keras_hub.src.utils.tensor_utils import strip_to_ragged

        ids = tf.cast(ids, "int32")
        ends = tf.cast(tf.equal(ids, self.end_token_id), "int32")
        before_end = tf.equal(tf.cumsum(ends, axis=1) - ends, 0)
        ragged = strip_to_ragged(ids, before_end, self.special_token_ids)
        return self.hub_tokenizer.detokenize(ragged)


def cut_after_end(ids, end_token_id, pad_token_id):
    """``ids`` (``(batch, length)``) as a new numpy int32 array with every
    position after each row's first ``end_token_id`` (kept) set to
    ``pad_token_id``.

    Example:
    >>> from nlptoolkit.preprocessing.seq2seq_preset_tokenizer import (
    ...     cut_after_end)
    >>> cut_after_end([[5, 2, 7, 2], [5, 6, 7, 8]], 2, 1).tolist()
    [[5, 2, 1, 1], [5, 6, 7, 8]]
    """
    ids = np.array(ids, dtype="int32", copy=True)
    ends = ids == end_token_id
    after = (np.cumsum(ends, axis=1) - ends) > 0
    ids[after] = pad_token_id
    return ids


def _as_str(text):
    if hasattr(text, "numpy"):
        text = text.numpy()
    return text.decode("utf-8") if isinstance(text, bytes) else str(text)
