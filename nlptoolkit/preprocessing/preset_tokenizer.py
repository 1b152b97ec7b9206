"""The tokenizer of a pretrained model, behind nlptoolkit's tokenizer API.

A pretrained backbone comes with its own vocabulary and packing (BERT's
``[CLS] ... [SEP]``, RoBERTa's ``<s> ... </s>``, GPT-2's
``<|endoftext|>``): nothing is trained. :class:`PresetTokenizer` wraps
the keras-hub preprocessor of the preset (a ``TextClassifierPreprocessor``
for classifiers, a ``CausalLMPreprocessor`` for generators) and offers
what the tasks call on a trained :class:`~nlptoolkit.preprocessing.Tokenizer`:
``tokenize(texts, sequence_length)`` (dense ids, padded with the preset's
own pad id, truncated, never an error), ``tokenize_ragged``,
``detokenize`` and ``detokenize_tensor``. Special ids (``pad_token_id``,
``start_token_id``, ``end_token_id``, ``special_token_ids``) come from the
preset's tokenizer, never assumed to be 0: GPT-2's tokenizer has no pad
token (keras-hub reports 0, which is ``"!"``, a real token) and one
special token, ``<|endoftext|>``, its start and end. It is a Keras layer,
so the vocabulary travels inside the task's ``.keras`` file as an asset.

A continuation (new tokens after a prompt) is detokenized with
``continuation=True``: a SentencePiece tokenizer (Mistral's, Gemma's)
drops the word-boundary space of a text's first piece (``"▁dog"`` alone
is ``"dog"``), right at the start of a text and wrong after a prompt
(``"the cat" + "dog"``). The row is detokenized after a fixed real token
(``anchor``) and that token's text cut off, which keeps the space
wherever the tokenizer would write it inside a text; a byte-level BPE
(GPT-2's, Qwen's) gives the same text either way.
"""

import keras
import numpy as np

from nlptoolkit.checks import check_texts
from nlptoolkit.layers.arguments import DeclaredArguments
from nlptoolkit.layers.arguments import KerasObject
from nlptoolkit.validation import POSITIVE_INT


@keras.saving.register_keras_serializable(package="nlptoolkit")
class PresetTokenizer(DeclaredArguments, keras.layers.Layer):
    """A keras-hub preprocessor (tokenizer + packer) as an nlptoolkit
    tokenizer.

    Args:
        preprocessor: a keras-hub ``TextClassifierPreprocessor`` or
            ``CausalLMPreprocessor``.
        sequence_length: the default packed length (special tokens
            included).

    Example:
    >>> import keras_hub
    >>> import nlptoolkit
    >>> vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "good"]
    >>> hub = keras_hub.models.BertTextClassifierPreprocessor(
    ...     keras_hub.models.BertTokenizer(vocabulary=vocab),
    ...     sequence_length=6)
    >>> tokenizer = nlptoolkit.preprocessing.PresetTokenizer(hub, 6)
    >>> tokenizer.tokenize(["a good good film"]).numpy().tolist()
    [[2, 5, 6, 6, 1, 3]]
    >>> tokenizer.pad_token_id, tokenizer.vocabulary_size
    (0, 7)
    """

    ARGUMENTS = {
        "preprocessor": KerasObject(),
        "sequence_length": POSITIVE_INT,
    }

    def __init__(self, preprocessor, sequence_length=128, **kwargs):
        kwargs.setdefault("trainable", False)
        super().__init__(**kwargs)
        self.set_arguments(self.check_arguments(locals()))
        self.preprocessor.sequence_length = self.sequence_length

    @property
    def hub_tokenizer(self):
        return self.preprocessor.tokenizer

    @property
    def pad_token_id(self):
        return int(self.hub_tokenizer.pad_token_id)

    @property
    def unk_token_id(self):
        token = getattr(self.hub_tokenizer, "unk_token", None) or "[UNK]"
        try:
            return int(self.hub_tokenizer.token_to_id(token))
        except (KeyError, ValueError):
            return None

    def _special(self, *names):
        """The first of the hub tokenizer's ``names`` ids that is set."""
        for name in names:
            value = getattr(self.hub_tokenizer, name, None)
            if value is not None:
                return int(value)
        return None

    @property
    def start_token_id(self):
        """The id packed first (``[CLS]``, ``<s>``, ``<|endoftext|>``), or
        None where the preset packs none."""
        return self._special("cls_token_id", "start_token_id")

    @property
    def end_token_id(self):
        """The id packed last (``[SEP]``, ``</s>``, ``<|endoftext|>``), or
        None where the preset packs none."""
        return self._special("sep_token_id", "end_token_id")

    @property
    def end_token_ids(self):
        """Every id that ends a text: ``end_token_id`` first, then any
        second end token keras-hub registers (``end_token2_id``: Llama
        3's ``<|eot_id|>``, which ends an instruct model's turn). Empty
        where the preset packs no end token."""
        ids = [self.end_token_id]
        ids.append(getattr(self.hub_tokenizer, "end_token2_id", None))
        ends = []
        for token_id in ids:
            if token_id is not None and int(token_id) not in ends:
                ends.append(int(token_id))
        return tuple(ends)

    @property
    def special_token_ids(self):
        """The ids of the preset's special tokens (sorted): what
        ``detokenize`` drops. GPT-2's: ``<|endoftext|>`` alone (its
        reported pad id, 0, is a real token and not among them)."""
        ids = getattr(self.hub_tokenizer, "special_token_ids", None) or []
        return sorted({int(i) for i in ids})

    @property
    def vocabulary_size(self):
        return int(self.hub_tokenizer.vocabulary_size())

    @property
    def vocabulary(self):
        return list(self.hub_tokenizer.get_vocabulary())

    @property
    def is_trained(self):
        return True

    def train(self, texts, min_frequency=1):
        raise ValueError(
            "A pretrained model's tokenizer comes with it and is not "
            "trained. Received a call to `train`."
        )

    def tokenize(self, texts, sequence_length=None):
        """Packed ids ``(batch, sequence_length)``, padded with
        ``pad_token_id``; longer texts are cut at the end."""
        import tensorflow as tf

        if not isinstance(texts, tf.Tensor):
            texts = tf.constant(check_texts(texts))
        length = sequence_length or self.sequence_length
        self.preprocessor.sequence_length = int(length)
        try:
            packed = self.preprocessor(texts)
        finally:
            self.preprocessor.sequence_length = self.sequence_length
        if isinstance(packed, tuple):  # A CausalLMPreprocessor's (x, y, w).
            packed = packed[0]
        return tf.cast(packed["token_ids"], "int32")

    def tokenize_ragged(self, texts, special_tokens=True):
        """Unpadded, untruncated ids: packed (``start_token_id`` first and
        ``end_token_id`` last, where the preset has them) or, with
        ``special_tokens=False``, the text's own tokens alone."""
        import tensorflow as tf

        if not isinstance(texts, tf.Tensor):
            texts = tf.constant(check_texts(texts))
        ids = self.hub_tokenizer(texts)
        if isinstance(ids, (list, tuple)):  # keras-hub's eager output.
            ids = tf.ragged.constant(ids, dtype="int32", ragged_rank=1)
        elif not isinstance(ids, tf.RaggedTensor):
            ids = tf.RaggedTensor.from_tensor(ids)
        ids = tf.cast(ids, "int32")
        if not special_tokens:
            return ids
        start, end = self.start_token_id, self.end_token_id
        rows = ids.nrows()
        parts = []
        if start is not None:
            parts.append(tf.fill([rows, 1], tf.cast(start, ids.dtype)))
        parts.append(ids)
        if end is not None:
            parts.append(tf.fill([rows, 1], tf.cast(end, ids.dtype)))
        return tf.concat(parts, axis=1)

    def _detokenize_rows(self, rows):
        """Rows of known, non-special ids -> list of str."""
        import tensorflow as tf

        if not rows:
            return []
        ragged = tf.ragged.constant(rows, dtype="int32", ragged_rank=1)
        texts = self.hub_tokenizer.detokenize(ragged)
        texts = np.asarray(keras.ops.convert_to_numpy(texts)).reshape(-1)
        return [
            t.decode("utf-8", "replace") if isinstance(t, bytes) else str(t)
            for t in texts.tolist()
        ]

    @property
    def anchor(self):
        """``(anchor_id, its text)``: the lowest id that is no special
        token and detokenizes alone to printable text without surrounding
        spaces (GPT-2's ``"!"``; a SentencePiece word piece), which
        ``continuation=True`` writes first and cuts off again. Found
        eagerly, even while a function is traced."""
        import tensorflow as tf

        if getattr(self, "_anchor", None) is None:
            drop = set(self.special_token_ids)
            ids = range(min(self.vocabulary_size, 512))
            ids = [i for i in ids if i not in drop]
            with tf.init_scope():
                texts = self._detokenize_rows([[i] for i in ids])
            for token_id, text in zip(ids, texts, strict=True):
                plain = text.isprintable() and "\ufffd" not in text
                if text and text == text.strip() and plain:
                    self._anchor = (token_id, text)
                    break
            else:
                raise ValueError(
                    "The preset's tokenizer has no plain token among its "
                    "first 512 ids to detokenize a continuation after. "
                    f"Received a vocabulary of {self.vocabulary_size} ids."
                )
        return self._anchor

    def detokenize(self, ids, continuation=False):
        """Token ids (a batch of rows, ragged or not) -> list of str.

        The special tokens (``special_token_ids``) and ids outside the
        vocabulary are dropped; nothing else is (a caller cuts a row at
        its stop token first). Bytes that do not decode (a byte-level
        BPE token cut mid-character) become U+FFFD. ``continuation=True``:
        each row follows a text, so its first piece keeps the space a
        SentencePiece tokenizer drops at the start of a text.
        """
        if hasattr(ids, "to_list"):
            ids = ids.to_list()
        elif not isinstance(ids, (list, tuple)):
            ids = np.asarray(keras.ops.convert_to_numpy(ids))
            ids = ids[None, :] if ids.ndim == 1 else ids
        drop = set(self.special_token_ids)
        size = self.vocabulary_size
        rows = [
            [int(t) for t in row if int(t) not in drop and 0 <= int(t) < size]
            for row in ids
        ]
        if not continuation:
            return self._detokenize_rows(rows)
        anchor_id, anchor = self.anchor
        texts = self._detokenize_rows([[anchor_id, *row] for row in rows])
        return [text[len(anchor) :] for text in texts]

    def detokenize_tensor(
        self, ids, mask=None, stop_token_ids=None, continuation=False
    ):
        """:meth:`detokenize` with TensorFlow ops, for traced functions.

        ``ids`` is an int tensor ``(batch, length)``; ``mask`` (bool,
        same shape, optional) marks the positions to read. Each row stops
        at its first ``stop_token_ids`` (default: ``end_token_id``) among
        them; the special tokens are dropped. ``continuation`` as for
        :meth:`detokenize`. Returns a ``tf.string`` tensor ``(batch,)``.
        """
        import tensorflow as tf

        ids = tf.cast(tf.convert_to_tensor(ids), tf.int32)
        if mask is None:
            mask = tf.ones_like(ids, dtype=tf.bool)
        mask = tf.cast(mask, tf.bool)
        if stop_token_ids is None:
            end = self.end_token_id
            stop_token_ids = () if end is None else (end,)
        stops = tf.zeros_like(ids, dtype=tf.bool)
        for token_id in stop_token_ids:
            stops = tf.logical_or(stops, tf.equal(ids, int(token_id)))
        stops = tf.cast(tf.logical_and(stops, mask), tf.int32)
        before_stop = tf.equal(tf.cumsum(stops, axis=1), 0)
        known = tf.logical_and(
            tf.greater_equal(ids, 0), tf.less(ids, self.vocabulary_size)
        )
        for token_id in self.special_token_ids:
            known = tf.logical_and(known, tf.not_equal(ids, token_id))
        keep = tf.logical_and(tf.logical_and(mask, before_stop), known)
        if not continuation:
            texts = self.hub_tokenizer.detokenize(
                tf.ragged.boolean_mask(ids, keep)
            )
            return tf.reshape(texts, [-1])
        anchor_id, anchor = self.anchor
        first = tf.ones_like(ids[:, :1], dtype=tf.bool)
        ids = tf.concat([tf.fill(tf.shape(first), anchor_id), ids], axis=1)
        keep = tf.concat([first, keep], axis=1)
        texts = self.hub_tokenizer.detokenize(tf.ragged.boolean_mask(ids, keep))
        texts = tf.reshape(texts, [-1])
        cut = len(anchor.encode("utf-8"))
        start = tf.fill(tf.shape(texts), cut)
        return tf.strings.substr(texts, start, tf.strings.length(texts) - cut)

    def token_counts(self, texts):
        """Packed length of each text before truncation (numpy ints)."""
        counts = [
            self.tokenize_ragged(texts[i : i + 4096]).row_lengths().numpy()
            for i in range(0, len(texts), 4096)
        ]
        return np.concatenate(counts) if counts else np.zeros(0, "int64")

    def call(self, texts):
        return self.tokenize(texts)
