"""The tokenizer of a pretrained model, behind nlptoolkit's tokenizer API.

A pretrained backbone comes with its own vocabulary and packing (BERT's
``[CLS] ... [SEP]``, RoBERTa's ``<s> ... </s>``): nothing is trained.
:class:`PresetTokenizer` wraps keras-hub's ``TextClassifierPreprocessor``
for the preset and offers what the tasks call on a trained
:class:`~nlptoolkit.preprocessing.Tokenizer`: ``tokenize(texts,
sequence_length)`` (dense ids, padded with the preset's own pad id,
truncated, never an error) and ``tokenize_ragged``. Special ids come from
the preset's tokenizer, never assumed to be 0. It is a Keras layer, so
the vocabulary travels inside the task's ``.keras`` file as an asset.
"""

import keras
import numpy as np

from nlptoolkit.preprocessing.tokenizer import check_texts


@keras.saving.register_keras_serializable(package="nlptoolkit")
class PresetTokenizer(keras.layers.Layer):
    """A keras-hub preprocessor (tokenizer + packer) as an nlptoolkit
    tokenizer.

    Args:
        preprocessor: a keras-hub ``TextClassifierPreprocessor``.
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

    def __init__(self, preprocessor, sequence_length=128, **kwargs):
        kwargs.setdefault("trainable", False)
        super().__init__(**kwargs)
        self.preprocessor = preprocessor
        self.sequence_length = int(sequence_length)
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
        return tf.cast(packed["token_ids"], "int32")

    def tokenize_ragged(self, texts):
        """Unpadded, untruncated packed ids (special tokens included)."""
        import tensorflow as tf

        if not isinstance(texts, tf.Tensor):
            texts = tf.constant(check_texts(texts))
        ids = self.hub_tokenizer(texts)
        if isinstance(ids, (list, tuple)):  # keras-hub's eager output.
            ids = tf.ragged.constant(ids, dtype="int32", ragged_rank=1)
        elif not isinstance(ids, tf.RaggedTensor):
            ids = tf.RaggedTensor.from_tensor(ids)
        specials = [
            getattr(self.hub_tokenizer, name, None)
            for name in ("cls_token_id", "start_token_id")
        ]
        start = next((s for s in specials if s is not None), None)
        ends = [
            getattr(self.hub_tokenizer, name, None)
            for name in ("sep_token_id", "end_token_id")
        ]
        end = next((e for e in ends if e is not None), None)
        rows = ids.nrows()
        parts = []
        if start is not None:
            parts.append(tf.fill([rows, 1], tf.cast(start, ids.dtype)))
        parts.append(ids)
        if end is not None:
            parts.append(tf.fill([rows, 1], tf.cast(end, ids.dtype)))
        return tf.concat(parts, axis=1)

    def token_counts(self, texts):
        """Packed length of each text before truncation (numpy ints)."""
        counts = [
            self.tokenize_ragged(texts[i : i + 4096]).row_lengths().numpy()
            for i in range(0, len(texts), 4096)
        ]
        return np.concatenate(counts) if counts else np.zeros(0, "int64")

    def call(self, texts):
        return self.tokenize(texts)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "preprocessor": keras.saving.serialize_keras_object(
                    self.preprocessor
                ),
                "sequence_length": self.sequence_length,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["preprocessor"] = keras.saving.deserialize_keras_object(
            config["preprocessor"]
        )
        return cls(**config)
