"""A tokenizer trained from the data and saved inside the model file.

Three levels share one class so every task handles text the same way:

- ``"word"``: lower-cased words, ASCII punctuation split off, and each CJK
  ideograph a token of its own (as BERT's basic tokenizer and keras-hub's
  ``split_on_cjk`` split them: Chinese and Japanese kanji are written
  without spaces);
- ``"char"``: Unicode characters (for character-level language models);
- ``"wordpiece"``: sub-words from keras-hub's WordPiece trainer.

Ids ``0..3`` are always ``[PAD]``, ``[UNK]``, ``[BOS]``, ``[EOS]``. Unseen
tokens map to ``[UNK]``; long texts are truncated, never an error. When
more than half the tokens of a batch are unknown, `Tokenizer.tokenize`
logs a warning naming the likely cause (once per tokenizer). The
vocabulary travels as an asset of the ``.keras`` file (JSON, never pickle).
"""

import collections
import collections.abc
import json
import logging
import os
import re

import keras
import numpy as np
import tensorflow as tf

from nlptoolkit.checks import check_choice
from nlptoolkit.checks import check_positive_int
from nlptoolkit.checks import check_texts

logger = logging.getLogger(__name__)

PAD_TOKEN, UNK_TOKEN, BOS_TOKEN, EOS_TOKEN = "[PAD]", "[UNK]", "[BOS]", "[EOS]"
SPECIAL_TOKENS = [PAD_TOKEN, UNK_TOKEN, BOS_TOKEN, EOS_TOKEN]
PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3
LEVELS = ("word", "char", "wordpiece")
_VOCABULARY_FILE = "vocabulary.json"
# CJK Unified Ideographs and their extensions and compatibility blocks: the
# ranges of BERT's ``_is_chinese_char`` and keras-hub's ``CJK_REGEX``.
_CJK_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)
_CJK_REGEX = "|".join(f"[\\x{{{a:X}}}-\\x{{{b:X}}}]" for a, b in _CJK_RANGES)
# Scripts written without spaces between words that the word level does not
# split (kana, Thai, Lao, Khmer, Myanmar): named when most tokens are [UNK].
_UNSPACED = re.compile("[\u3040-\u30ff\u0e00-\u0eff\u1780-\u17ff\u1000-\u109f]")
_CJK = re.compile("|".join(f"[{chr(a)}-{chr(b)}]" for a, b in _CJK_RANGES))
UNKNOWN_WARNING_FRACTION = 0.5


def _split(texts, level, lowercase, split_on_cjk=False):
    """Split a string tensor into a ragged tensor of string tokens."""
    if lowercase:
        texts = tf.strings.lower(texts, encoding="utf-8")
    if level == "char":
        return tf.strings.unicode_split(
            texts, "UTF-8", errors="replace", replacement_char=0xFFFD
        )
    texts = tf.strings.regex_replace(texts, r"<br\s*/?>", " ")
    texts = tf.strings.regex_replace(texts, r"([[:punct:]])", r" \1 ")
    if split_on_cjk:
        texts = tf.strings.regex_replace(texts, _CJK_REGEX, r" \0 ")
    return tf.strings.split(texts)


@keras.saving.register_keras_serializable(package="nlptoolkit")
class Tokenizer(keras.layers.Layer):
    """Maps raw strings to padded token ids and back.

    Args:
        level: ``"word"``, ``"char"`` or ``"wordpiece"``.
        vocabulary_size: the largest vocabulary to keep, special tokens
            included.
        lowercase: lower-case the text before splitting.
        vocabulary: a list of tokens (the first four are the special
            tokens); ``None`` until :meth:`train` is called.
        split_on_cjk: ``"word"`` level: make each CJK ideograph a token
            of its own, as BERT's basic tokenizer does (default True; a
            tokenizer saved before this option existed keeps False, so it
            reads text as it was trained to).

    Example:
    >>> import nlptoolkit
    >>> tok = nlptoolkit.preprocessing.Tokenizer(level="word")
    >>> tok.train(["a good film", "a bad film"])
    >>> tuple(tok.tokenize(["a good movie"], sequence_length=5).shape)
    (1, 5)
    >>> tok.detokenize(tok.tokenize(["a good film"]))
    ['a good film']

    Chinese (written without spaces) is split into characters:
    >>> tok.train(["这部电影很好看", "剧情很无聊"])
    >>> [tok.id_to_token(i) for i in tok.tokenize(["剧情好看"])[0]]
    ['剧', '情', '好', '看']
    """

    def __init__(
        self,
        level="word",
        vocabulary_size=20000,
        lowercase=None,
        vocabulary=None,
        split_on_cjk=True,
        **kwargs,
    ):
        kwargs.pop("trainable", None)
        super().__init__(trainable=False, **kwargs)
        check_choice("level", level, LEVELS)
        vocabulary_size = check_positive_int(
            "vocabulary_size", vocabulary_size, minimum=8
        )
        self.level = level
        self.vocabulary_size = vocabulary_size
        self.lowercase = (level != "char") if lowercase is None else lowercase
        self.split_on_cjk = bool(split_on_cjk)
        self._warned_unknown = False
        self._vocabulary = None
        self._table = None
        self._wordpiece = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary)

    # ------------------------------------------------------------ vocabulary
    @property
    def vocabulary(self):
        """The list of tokens, index = id (``None`` before training)."""
        return self._vocabulary

    @property
    def is_trained(self):
        return self._vocabulary is not None

    def set_vocabulary(self, vocabulary):
        vocabulary = [str(token) for token in vocabulary]
        if vocabulary[: len(SPECIAL_TOKENS)] != SPECIAL_TOKENS:
            raise ValueError(
                "A vocabulary must start with the special tokens "
                f"{SPECIAL_TOKENS}. Received: {vocabulary[:4]}."
            )
        self._vocabulary = vocabulary
        self._id_to_token = np.array(vocabulary, dtype=object)
        if self.level == "wordpiece":
            import keras_hub

            self._wordpiece = keras_hub.tokenizers.WordPieceTokenizer(
                vocabulary=vocabulary,
                lowercase=self.lowercase,
                oov_token=UNK_TOKEN,
                special_tokens=SPECIAL_TOKENS,
            )
        else:
            self._table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(
                    tf.constant(vocabulary),
                    tf.range(len(vocabulary), dtype=tf.int32),
                ),
                default_value=UNK_ID,
            )

    def train(self, texts, min_frequency=1):
        """Learn the vocabulary from training texts.

        Keeps the ``vocabulary_size - 4`` most frequent tokens seen at least
        ``min_frequency`` times (ties broken alphabetically, so training is
        deterministic).
        """
        texts = check_texts(texts)
        dataset = tf.data.Dataset.from_tensor_slices(texts).batch(2048)
        budget = self.vocabulary_size - len(SPECIAL_TOKENS)
        if self.level == "wordpiece":
            import keras_hub

            tokens = keras_hub.tokenizers.compute_word_piece_vocabulary(
                dataset,
                vocabulary_size=self.vocabulary_size,
                lowercase=self.lowercase,
                reserved_tokens=SPECIAL_TOKENS,
            )
            self.set_vocabulary(tokens)
            return
        counts = collections.Counter()
        for batch in dataset:
            pieces = self._split(batch).flat_values
            values, freq = np.unique(pieces.numpy(), return_counts=True)
            counts.update(
                dict(zip(values.tolist(), freq.tolist(), strict=True))
            )
        ranked = sorted(
            (
                (-count, token)
                for token, count in counts.items()
                if count >= min_frequency
            ),
        )[:budget]
        tokens = [token.decode("utf-8") for _, token in ranked]
        tokens = [t for t in tokens if t not in SPECIAL_TOKENS]
        self.set_vocabulary(SPECIAL_TOKENS + tokens)
        logger.info(
            "Trained a %s tokenizer: %d tokens (of %d distinct).",
            self.level,
            len(self._vocabulary),
            len(counts),
        )

    def _require_vocabulary(self):
        if self._vocabulary is None:
            raise ValueError(
                "This tokenizer has no vocabulary yet. Call "
                "`tokenizer.train(texts)` (tasks do this in `fit`)."
            )

    # ------------------------------------------------------------- tokenize
    def tokenize_ragged(self, texts):
        """Strings (tf tensor or list) -> ragged int32 ids, no padding."""
        self._require_vocabulary()
        texts = tf.convert_to_tensor(texts, dtype=tf.string)
        if self.level == "wordpiece":
            ids = self._wordpiece.tokenize(texts)
            # keras-hub returns Python lists when called eagerly.
            if isinstance(ids, list):
                ids = tf.ragged.constant(ids, dtype=tf.int32, ragged_rank=1)
            elif not isinstance(ids, tf.RaggedTensor):
                ids = tf.RaggedTensor.from_tensor(ids)
            return tf.cast(ids, tf.int32)
        pieces = self._split(texts)
        return tf.ragged.map_flat_values(self._table.lookup, pieces)

    def _split(self, texts):
        return _split(texts, self.level, self.lowercase, self.split_on_cjk)

    def tokenize(self, texts, sequence_length=None):
        """Strings -> dense int32 ids of shape ``(batch, sequence_length)``.

        Longer texts keep their first ``sequence_length`` tokens; shorter
        ones are padded with ``0``. Without ``sequence_length`` the batch is
        padded to its longest text.
        """
        ids = self.tokenize_ragged(texts)
        if tf.executing_eagerly():
            self._check_unknown(texts, ids)
        if sequence_length is not None:
            ids = ids[:, :sequence_length]
            return ids.to_tensor(
                default_value=PAD_ID, shape=[None, sequence_length]
            )
        return ids.to_tensor(default_value=PAD_ID)

    def call(self, texts):
        return self.tokenize(texts)

    def _check_unknown(self, texts, ids):
        """Warn (once) when most tokens of a batch are ``[UNK]``."""
        flat = ids.flat_values.numpy()
        unknown = int((flat == UNK_ID).sum())
        if not flat.size or unknown <= UNKNOWN_WARNING_FRACTION * flat.size:
            return
        log = logger.debug if self._warned_unknown else logger.warning
        self._warned_unknown = True
        log(
            "%d of the %d tokens (%.0f%%) in these texts are unknown to "
            "the tokenizer ([UNK]): the model sees almost nothing of them. "
            "Likely cause: %s",
            unknown,
            flat.size,
            100 * unknown / flat.size,
            self._unknown_cause(texts),
        )

    def _unknown_cause(self, texts):
        if isinstance(texts, tf.Tensor):
            texts = [t.decode("utf-8", "replace") for t in texts.numpy()]
        sample = "".join(str(t) for t in list(texts)[:256])
        if (
            self.level == "word"
            and _CJK.search(sample)
            and not (self.split_on_cjk)
        ):
            return (
                "the texts hold Chinese/Japanese characters, which this "
                "tokenizer (saved with split_on_cjk=False) keeps as whole "
                "runs; retrain the model, whose word tokenizer now splits "
                "them into characters."
            )
        if self.level == "word" and _UNSPACED.search(sample):
            return (
                "the texts are in a script written without spaces between "
                "words (Japanese kana, Thai, Khmer, ...), which the word "
                "tokenizer keeps as whole runs; train with tokenizer='char' "
                "or tokenizer='wordpiece'."
            )
        size = len(self._vocabulary)
        if size >= self.vocabulary_size:
            small = (
                f", or the vocabulary is too small ({size} tokens: raise "
                "vocabulary_size)"
            )
        else:
            small = f" (the training texts held only {size - 4} tokens)"
        return (
            "these texts differ from the training texts (another language "
            f"or domain){small}."
        )

    def detokenize(self, ids):
        """Token ids (batch, length) -> list of str; stops at ``[EOS]``.

        Padding and the other special tokens are dropped.
        """
        self._require_vocabulary()
        ids = np.asarray(keras.ops.convert_to_numpy(ids))
        if ids.ndim == 1:
            ids = ids[None, :]
        texts = []
        for row in ids:
            row = row.astype(np.int64)
            stops = np.nonzero(row == EOS_ID)[0]
            if stops.size:
                row = row[: stops[0]]
            row = row[(row >= len(SPECIAL_TOKENS)) | (row == UNK_ID)]
            row = row[row < len(self._vocabulary)]
            tokens = self._id_to_token[row].tolist()
            texts.append(self._join(tokens))
        return texts

    def _join(self, tokens):
        if self.level == "char":
            return "".join(tokens)
        if self.level == "wordpiece":
            text = " ".join(tokens)
            return text.replace(" ##", "")
        return " ".join(tokens)

    def detokenize_tensor(self, ids, mask=None):
        """:meth:`detokenize` with TensorFlow ops, for traced functions.

        ``ids`` is an int tensor ``(batch, length)``; ``mask`` (bool, same
        shape, optional) marks the positions to read. Each row stops at
        its first ``[EOS]`` among them; padding and the other special
        tokens are dropped; tokens are joined as :meth:`detokenize` joins
        them (``char``: no separator; ``word``: spaces; ``wordpiece``:
        spaces, then ``" ##"`` removed). Returns a ``tf.string`` tensor
        ``(batch,)``; the vocabulary is a constant of the graph.

        Example:
        >>> import nlptoolkit
        >>> tok = nlptoolkit.preprocessing.Tokenizer(level="word")
        >>> tok.train(["a good film", "a bad film"])
        >>> ids = tok.tokenize(["a good film"])
        >>> tok.detokenize_tensor(ids).numpy().tolist()
        [b'a good film']
        """
        self._require_vocabulary()
        ids = tf.cast(tf.convert_to_tensor(ids), tf.int32)
        if mask is None:
            mask = tf.ones_like(ids, dtype=tf.bool)
        mask = tf.cast(mask, tf.bool)
        stops = tf.cast(tf.logical_and(tf.equal(ids, EOS_ID), mask), tf.int32)
        before_stop = tf.equal(tf.cumsum(stops, axis=1), 0)
        known = tf.logical_and(
            tf.logical_or(
                tf.greater_equal(ids, len(SPECIAL_TOKENS)),
                tf.equal(ids, UNK_ID),
            ),
            tf.less(ids, len(self._vocabulary)),
        )
        keep = tf.logical_and(tf.logical_and(mask, before_stop), known)
        tokens = tf.gather(
            tf.constant(self._vocabulary, dtype=tf.string),
            tf.ragged.boolean_mask(ids, keep),
        )
        separator = "" if self.level == "char" else " "
        texts = tf.strings.reduce_join(tokens, axis=1, separator=separator)
        if self.level == "wordpiece":
            texts = tf.strings.regex_replace(texts, " ##", "")
        return texts

    def id_to_token(self, token_id):
        self._require_vocabulary()
        return self._vocabulary[int(token_id)]

    def token_to_id(self, token):
        self._require_vocabulary()
        try:
            return self._vocabulary.index(token)
        except ValueError:
            return UNK_ID

    # ------------------------------------------------------------- saving
    def save_assets(self, dir_path):
        self._require_vocabulary()
        path = os.path.join(dir_path, _VOCABULARY_FILE)
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(self._vocabulary, handle, ensure_ascii=False)

    def load_assets(self, dir_path):
        path = os.path.join(dir_path, _VOCABULARY_FILE)
        with open(path, encoding="utf-8") as handle:
            self.set_vocabulary(json.load(handle))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "level": self.level,
                "vocabulary_size": self.vocabulary_size,
                "lowercase": self.lowercase,
                "split_on_cjk": self.split_on_cjk,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        # Saved before `split_on_cjk` existed: keep reading text as then.
        config = {"split_on_cjk": False, **config}
        return cls(**config)
