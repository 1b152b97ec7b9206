"""Summarizer: an encoder-decoder with cross-attention, cached decoding.

Trained from scratch (``"transformer"``, ``"lstm"``: a vocabulary learned
from the data, ``[BOS] ... [EOS]`` framing) or fine-tuned from a
pretrained encoder-decoder (``backbone=`` a BART or T5 preset or folder:
its tokenizer, its framing and special ids, keras-hub's ``BartSeq2SeqLM``
or ``T5Seq2SeqLM`` decoded by ``nlptoolkit.decoding.PresetSeq2SeqAdapter``).

"""

import logging

import keras
import numpy as np

from nlptoolkit import backbones as backbones_lib
from nlptoolkit import training
from nlptoolkit.baselines import lead_k
from nlptoolkit.checks import check_callbacks
from nlptoolkit.checks import check_positive_int
from nlptoolkit.decoding import Decoder
from nlptoolkit.decoding import GenerationConfig
from nlptoolkit.decoding import PresetSeq2SeqAdapter
from nlptoolkit.decoding import Seq2SeqAdapter
from nlptoolkit.decoding import make_sampler
from nlptoolkit.heads import LSTMSeq2SeqHead
from nlptoolkit.heads import TransformerSeq2SeqHead
from nlptoolkit.heads.seq2seq import ATTENTION_TYPES
from nlptoolkit.metrics import rouge
from nlptoolkit.preprocessing import BOS_ID
from nlptoolkit.preprocessing import EOS_ID
from nlptoolkit.preprocessing import PAD_ID
from nlptoolkit.preprocessing import as_texts
from nlptoolkit.preprocessing.seq2seq_preset_tokenizer import cut_after_end
from nlptoolkit.tasks.task import Pair
from nlptoolkit.tasks.task import Task
from nlptoolkit.tasks.task import TaskModel
from nlptoolkit.tasks.task import takes_options_of
from nlptoolkit.training import lr_range_test
from nlptoolkit.training import policy
from nlptoolkit.validation import POSITIVE_INT
from nlptoolkit.validation import Interval
from nlptoolkit.validation import check

logger = logging.getLogger(__name__)

ENCODER_INPUT = "encoder_token_ids"
DECODER_INPUT = "decoder_token_ids"
# The fewest positions of an encoder or decoder input (a start or end
# token besides the text).
MIN_LENGTH = 2

# What `summarize` and `evaluate` decode with where their config leaves a
# field None (max_length None: summary_length, see `_max_length`).
SUMMARIZE_DEFAULTS = {"sampler": "beam"}
EVALUATE_DEFAULTS = {"sampler": "greedy"}


def _seq2seq_inputs():
    """The two int32 inputs of a seq2seq task model, by name."""
    return {
        name: keras.Input(shape=(None,), dtype="int32", name=name)
        for name in (ENCODER_INPUT, DECODER_INPUT)
    }


def _functional(model, inputs, outputs, kwargs):
    """Build ``model`` (a ``TaskModel`` subclass) as the functional model
    ``inputs -> outputs``: ``super(TaskModel, model)`` skips TaskModel's
    own graph; once Keras has put ``Functional`` into the hierarchy this
    resolves to it."""
    super(TaskModel, model).__init__(inputs=inputs, outputs=outputs, **kwargs)


@keras.saving.register_keras_serializable(package="nlptoolkit")
class Seq2SeqTaskModel(TaskModel):
    """Functional model ``{encoder_token_ids, decoder_token_ids} ->
    logits``: the encoder (a backbone) and a seq2seq head.

    Like :class:`TaskModel` it carries the ``tokenizer`` and
    ``task_config``, so one ``.keras`` file holds the whole Summarizer.
    """

    def __init__(self, backbone, head, tokenizer, task_config=None, **kwargs):
        inputs = _seq2seq_inputs()
        encoded = backbone(inputs[ENCODER_INPUT])
        logits = head(
            {
                "token_ids": inputs[DECODER_INPUT],
                "encoder_sequence": encoded["sequence_output"],
                "encoder_padding_mask": encoded["padding_mask"],
                "encoder_pooled": encoded["pooled_output"],
            }
        )
        _functional(self, inputs, logits, kwargs)
        self.carry(backbone, head, tokenizer, task_config)


@keras.saving.register_keras_serializable(package="nlptoolkit")
class PretrainedSeq2SeqTaskModel(TaskModel):
    """Functional model ``{encoder_token_ids, decoder_token_ids} ->
    logits`` over a keras-hub ``Seq2SeqLM`` (``backbone``; BART, T5), the
    padding masks computed from the tokenizer's ``pad_token_id`` (1 for
    BART, 0 for T5; an argument, as the tokenizer's vocabulary is loaded
    only after the model is rebuilt; the decoder's first column, its
    start token, is never padding, though T5's is the pad id). It has no
    separate head (the output projection is the keras-hub model's own),
    so ``head`` is None. Like
    :class:`TaskModel` it carries the ``tokenizer`` and ``task_config``:
    one ``.keras`` file, no preset folder needed to load it.
    """

    def __init__(
        self,
        backbone,
        tokenizer,
        pad_token_id,
        task_config=None,
        head=None,
        **kw,
    ):
        if head is not None:
            raise ValueError(
                "A pretrained encoder-decoder has no separate head. "
                f"Received: head={head!r}."
            )
        inputs = _seq2seq_inputs()
        encoder_ids, decoder_ids = inputs[ENCODER_INPUT], inputs[DECODER_INPUT]
        pad = int(pad_token_id)
        logits = backbone(
            {
                "encoder_token_ids": encoder_ids,
                "encoder_padding_mask": keras.ops.not_equal(encoder_ids, pad),
                "decoder_token_ids": decoder_ids,
                "decoder_padding_mask": _decoder_padding_mask(decoder_ids, pad),
            }
        )
        _functional(self, inputs, logits, kw)
        self.carry(backbone, None, tokenizer, task_config)
        self.pad_token_id = pad

    def get_config(self):
        config = super().get_config()
        config["pad_token_id"] = self.pad_token_id
        return config


def _check_pairs(documents, summaries, summaries_name="summaries"):
    """Documents and summaries as lists of non-empty strings, same length.

    ``summaries`` may hold lists of reference strings (evaluation).
    """
    documents = _check_documents(documents)
    if isinstance(summaries, (str, bytes)):
        raise TypeError(
            f"`{summaries_name}` must be a batch, one per document; received "
            f"a single string: {str(summaries)[:40]!r}. Wrap it in a list."
        )
    if summaries is None:
        raise TypeError(
            f"`{summaries_name}` is None. Pass one summary per document."
        )
    if hasattr(summaries, "tolist"):
        summaries = summaries.tolist()
    summaries = list(summaries)
    if len(summaries) != len(documents):
        raise ValueError(
            f"`documents` and `{summaries_name}` must have the same length. "
            f"Received: {len(documents)} documents and {len(summaries)} "
            f"{summaries_name}. Pass one summary per document."
        )
    for index, item in enumerate(summaries):
        group = item if isinstance(item, (list, tuple)) else [item]
        if hasattr(item, "tolist") and not isinstance(item, str):
            group = item.tolist()
            group = group if isinstance(group, list) else [group]
        if not group:
            raise ValueError(
                f"`{summaries_name}[{index}]` is an empty list of "
                "references. Pass at least one reference per document."
            )
        for text in group:
            if not isinstance(text, str):
                raise TypeError(
                    f"`{summaries_name}[{index}]` must be a string (or a "
                    f"list of strings); received {type(text).__name__}: "
                    f"{text!r}. Remove missing values (e.g. `df.dropna()`)."
                )
            if not text.strip():
                raise ValueError(
                    f"`{summaries_name}[{index}]` is an empty string. "
                    "Remove pairs without a summary."
                )
    return documents, summaries


def _check_documents(documents, allow_empty=False):
    """Documents as a list of str. Training and evaluation refuse empty
    (or whitespace-only) documents; inference (``allow_empty``) takes
    them and summarizes an empty encoding."""
    documents = as_texts(documents, "documents")
    if allow_empty:
        return documents
    for index, text in enumerate(documents):
        if not text.strip():
            raise ValueError(
                f"`documents[{index}]` is an empty string. Remove empty "
                "documents (e.g. `df[df.document.str.strip() != '']`)."
            )
    return documents


class Summarizer(Task):
    """Abstractive summarization: an encoder-decoder trained from data.

    The encoder is the shared backbone (a non-causal Transformer or a
    bidirectional LSTM); the decoder attends over its outputs (keras-hub
    ``TransformerDecoder`` cross-attention, or an LSTM with Luong
    attention). One vocabulary, trained from documents and summaries,
    serves both sides. Documents longer than ``sequence_length`` tokens
    are truncated (with a logged warning); summaries are framed
    ``[BOS] ... [EOS]`` and cut to ``summary_length`` tokens.

    ``summarize`` decodes with a keras-hub sampler on one of three paths:
    ``"fused"`` (one compiled loop, fastest), ``"stepwise"`` (one compiled
    step per token, for the inference clock) and ``"uncached"`` (reruns
    encoder and decoder every step: the reference). The encoder runs once
    per batch and the decoder keeps a cache (KV caches for self- and
    cross-attention; LSTM state). Greedy decoding gives the same text on
    all three paths; beam search runs only on the fused path.

    Example:
    >>> import nlptoolkit
    >>> docs = ["alice met bob at the cafe and they talked"] * 8
    >>> sums = ["alice met bob"] * 8
    >>> model = nlptoolkit.Summarizer(
    ...     "lstm", hidden_dim=8, num_layers=1, sequence_length=16,
    ...     summary_length=8, seed=0)
    >>> _ = model.fit(docs, sums, epochs=1, verbose=0)
    >>> out = model.summarize(docs[:2], max_length=4, sampler="greedy")
    >>> len(out), all(isinstance(text, str) for text in out)
    (2, True)

    ``strategy`` and ``mixed_precision`` work as on every task (the
    logits stay float32). ``export(path, max_length=N)`` writes a
    SavedModel whose ``serving_default`` signature takes ``documents``
    (``tf.string``, ``[None]``) and returns ``text``: the greedy summary
    of at most ``N`` tokens (fixed at export; default ``summary_length``),
    as ``summarize(documents, max_length=N, sampler="greedy")`` gives it
    (``no_repeat_ngram_size`` is not part of the export).

    ``summarize(..., length_penalty=, no_repeat_ngram_size=)`` tune beam
    search (frozen finished beams, Hugging Face's length normalisation)
    and forbid repeated n-grams on every sampler.

    **Pretrained.** ``backbone=`` a BART or T5 checkpoint (a keras-hub
    preset name, a ``kaggle://`` or ``hf://`` handle, a local keras-hub
    preset folder, or a Hugging Face BART folder; keras-hub reads no
    Hugging Face T5 folder, and one is refused with the fix) fine-tunes
    it: its tokenizer, framing and special ids come with it (BART:
    ``</s> <s> ... </s>``, pad 1; T5: no start token on the encoder, the
    pad id 0 as the decoder's start, ``</s>`` last, relative positions
    without a length limit), the encoder runs once per batch and the
    decoder keeps keras-hub's self- and cross-attention caches, on every
    decode path and sampler.
    Of the arguments only ``sequence_length`` (encoder tokens, special
    ones included; default ``min(256, the model's positions)``),
    ``summary_length`` (decoder positions for training, start tokens
    included; default ``min(64, positions)``) and ``learning_rate``
    (default 5e-5, AdamW with warm-up + cosine decay) apply; the others
    are refused, and so is a checkpoint of another family (a BERT
    encoder...). ``task_config["pretrained"]`` records the handle and its
    weights' sha256. The saved ``.keras`` file holds the whole model:
    loading it needs no preset folder. ``freeze_backbone`` does not
    apply: the output layer is the backbone's own (BART's and T5's tied
    embedding, T5 1.1's untied one), so a frozen
    backbone would leave nothing to train.
    """

    task_id = "summarization"
    defaults = {
        "tokenizer": "word",
        "vocabulary_size": 8000,
        "sequence_length": 256,
        "summary_length": 64,
        "hidden_dim": 128,
        "intermediate_dim": 256,
        "num_layers": 2,
        "num_heads": 4,
        "dropout": 0.1,
        "learning_rate": 1e-3,
        "attention": "luong",
    }
    param_choices = {
        "tokenizer": ("word", "wordpiece"),
        "attention": tuple(ATTENTION_TYPES),
    }
    lstm_bidirectional = True  # The LSTM encoder reads both ways.
    supports_pretrained = True
    pretrained_arguments = (
        "sequence_length",
        "summary_length",
        "learning_rate",
    )
    backbone_defaults = {"pretrained": {"learning_rate": 5e-5}}
    training_policies = policy.GENERATIVE_POLICIES

    def __init__(self, backbone="transformer", **kwargs):
        super().__init__(backbone, **kwargs)
        p = self.params
        # Lengths given explicitly must fit a pretrained model; defaults
        # are capped to its positions.
        self._explicit_lengths = {
            name
            for name in ("sequence_length", "summary_length")
            if name in kwargs
        }
        if self.pretrained and self._preset_info is not None:
            from nlptoolkit.backbones.preset import check_architecture

            check_architecture(self._preset_info, "seq2seq")
        # ``param_choices`` checked the tokenizer (Task._check_params).
        for name in ("sequence_length", "summary_length"):
            check_positive_int(
                name, p[name], MIN_LENGTH, where=type(self).__name__
            )
        self._decoder = None

    # ------------------------------------------------------------ build
    def _pretrained_length(self, name, limit):
        """``sequence_length`` / ``summary_length`` for a pretrained model
        of ``limit`` positions: an explicit value must fit, a default is
        capped."""
        value = self.params[name]
        if name in self._explicit_lengths:
            return self._check_fits(name, value, limit)
        if limit is None or value <= limit:
            return value
        logger.info("%s capped to the model's %d positions", name, limit)
        return limit

    def _build_pretrained(self, texts):
        """keras-hub's Seq2SeqLM and tokenizer from the preset."""
        from nlptoolkit.backbones.preset import load_hub_preprocessor
        from nlptoolkit.backbones.preset import max_sequence_length
        from nlptoolkit.backbones.seq2seq_preset import load_hub_seq2seq
        from nlptoolkit.preprocessing import Seq2SeqPresetTokenizer
        from nlptoolkit.tasks.scale import resolve_precision

        info = self.preset_info
        hub = load_hub_seq2seq(
            info, dtype=resolve_precision(self.mixed_precision)
        )
        limit = max_sequence_length(hub.backbone)
        sequence_length = self._pretrained_length("sequence_length", limit)
        summary_length = self._pretrained_length("summary_length", limit)
        preprocessor = load_hub_preprocessor(
            info,
            kind="Seq2SeqLMPreprocessor",
            encoder_sequence_length=sequence_length,
            decoder_sequence_length=summary_length,
        )
        tokenizer = Seq2SeqPresetTokenizer(
            preprocessor, sequence_length, summary_length
        )
        vocabulary = tokenizer.vocabulary_size
        if vocabulary > hub.backbone.vocabulary_size:
            raise ValueError(
                f"{self.backbone_label}: its tokenizer has {vocabulary} "
                "tokens but the model's embedding only "
                f"{hub.backbone.vocabulary_size}. The folder's tokenizer "
                "files do not belong to its weights."
            )
        config = self._task_config()
        config.update(
            {
                "sequence_length": sequence_length,
                "summary_length": summary_length,
                "pretrained": info.manifest(),
            }
        )
        return PretrainedSeq2SeqTaskModel(
            hub, tokenizer, tokenizer.pad_token_id, task_config=config
        )

    def _build_from_scratch(self, texts, tokenizer):
        p = self.params
        vocabulary_size = len(tokenizer.vocabulary)
        if self.backbone_name == "lstm":
            encoder = backbones_lib.get(
                "lstm",
                vocabulary_size=vocabulary_size,
                hidden_dim=p["hidden_dim"],
                num_layers=p["num_layers"],
                dropout=p["dropout"],
                bidirectional=True,
                pooling="last",
            )
            head = LSTMSeq2SeqHead(
                vocabulary_size=vocabulary_size,
                hidden_dim=p["hidden_dim"],
                num_layers=p["num_layers"],
                dropout=p["dropout"],
                attention=p["attention"],
            )
        else:
            common = {
                "vocabulary_size": vocabulary_size,
                "hidden_dim": p["hidden_dim"],
                "intermediate_dim": p["intermediate_dim"],
                "num_layers": p["num_layers"],
                "num_heads": p["num_heads"],
                "dropout": p["dropout"],
            }
            encoder = backbones_lib.get(
                "transformer",
                sequence_length=p["sequence_length"],
                causal=False,
                **common,
            )
            head = TransformerSeq2SeqHead(
                sequence_length=p["summary_length"], **common
            )
        config = self._task_config()
        config["sequence_length"] = p["sequence_length"]
        config["summary_length"] = p["summary_length"]
        return Seq2SeqTaskModel(encoder, head, tokenizer, task_config=config)

    def _loss(self, model):
        """The teacher-forced loss (padding ignored: ``[PAD]``, or a
        pretrained model's pad id)."""
        return keras.losses.SparseCategoricalCrossentropy(
            from_logits=True,
            ignore_class=getattr(model, "pad_token_id", PAD_ID),
        )

    def _weights_changed(self):
        self._decoder = None

    # ------------------------------------------------- hooks of Task._fit
    def _check_validation(self, validation_data):
        pair = Pair("(documents, summaries)")
        return _check_pairs(*check("validation_data", validation_data, pair))

    def _vocabulary_texts(self, data):
        documents, summaries = data
        return documents + summaries

    def _training_arrays(self, data):
        """As ``Task``'s; an LSTM head built now starts its logits bias
        at the summaries' unigrams."""
        built = self.model is None
        x, y = super()._training_arrays(data)
        if built and self.backbone_name == "lstm":
            _set_logits_prior(self.model.head, y)
        return x, y

    # ------------------------------------------------------------ data
    def _length(self, name):
        """``sequence_length`` / ``summary_length`` as built (a pretrained
        model caps them to its positions)."""
        config = self.model.task_config if self.model is not None else {}
        return config.get(name) or self.params[name]

    @property
    def special_ids(self):
        """``(decoder start ids, end id, pad id)``: the preset's for a
        pretrained model (BART: ``[2, 0]``, 2, 1; T5: ``[0]``, 1, 0), else
        ``[BOS]``,
        ``[EOS]``, ``[PAD]``."""
        if self.pretrained:
            tokenizer = self.tokenizer
            return (
                tokenizer.decoder_start_ids,
                tokenizer.end_token_id,
                tokenizer.pad_token_id,
            )
        return [BOS_ID], EOS_ID, PAD_ID

    def encode_documents(self, documents):
        """Documents -> ``(batch, sequence_length)`` int32 ids; longer
        documents are truncated, with a logged warning."""
        length = self._length("sequence_length")
        tokenizer = self.tokenizer
        rows, truncated = [], 0
        for start in range(0, len(documents), 1024):
            chunk = documents[start : start + 1024]
            ragged = tokenizer.tokenize_ragged(chunk)
            lengths = ragged.row_lengths().numpy()
            truncated += int(np.sum(lengths > length))
            if self.pretrained:  # The preset's packer keeps its end token.
                rows.append(tokenizer.tokenize(chunk, length).numpy())
                continue
            rows.append(
                ragged[:, :length]
                .to_tensor(default_value=PAD_ID, shape=[None, length])
                .numpy()
            )
        if truncated:
            logger.warning(
                "%d of %d documents are longer than sequence_length=%d "
                "tokens and were truncated.",
                truncated,
                len(documents),
                length,
            )
        return np.concatenate(rows, axis=0).astype("int32")

    def encode_summaries(self, summaries):
        """Summaries -> ``(decoder_inputs, targets)``, each
        ``(batch, summary_length)``: ``[BOS] s1 ... sn`` and
        ``s1 ... sn [EOS]`` (cut to ``summary_length``); a pretrained
        model frames them as its preset does (BART: inputs ``</s> <s> s1
        ... sn``, targets ``<s> s1 ... sn </s>``, padded with its pad
        id)."""
        length = self._length("summary_length")
        if self.pretrained:
            return self.tokenizer.encode_summaries(summaries, length)
        rows = self.tokenizer.tokenize_ragged(summaries).to_list()
        inputs = np.zeros((len(rows), length), dtype="int32")
        targets = np.zeros((len(rows), length), dtype="int32")
        for index, row in enumerate(rows):
            framed = [BOS_ID, *row, EOS_ID][: length + 1]
            inputs[index, : len(framed) - 1] = framed[:-1]
            targets[index, : len(framed) - 1] = framed[1:]
        return inputs, targets

    def _arrays(self, documents, summaries):
        decoder_inputs, targets = self.encode_summaries(summaries)
        x = {
            ENCODER_INPUT: self.encode_documents(documents),
            DECODER_INPUT: decoder_inputs,
        }
        return x, targets

    # ------------------------------------------------------------ verbs
    @takes_options_of(Task._fit)
    def fit(self, documents, summaries, **options):
        """Train with teacher forcing on ``(documents, summaries)``;
        returns the Keras ``History`` (``training_config`` describes the
        run). The first call trains the vocabulary on both.

        ``validation_data`` is a ``(documents, summaries)`` pair; without
        it, early stopping holds out ``validation_split`` of the pairs (at
        random, seeded). The options are every task's
        (``nlptoolkit.training.policy``), with this task's defaults as
        ``TextGenerator.fit`` has them.
        """
        return self._fit(_check_pairs(documents, summaries), **options)

    @takes_options_of(Task._find_learning_rate, lr_range_test)
    def find_learning_rate(self, documents, summaries, **options):
        """Learning-rate range test on the teacher-forced training pairs;
        returns an ``LRFinderResult``.

        As ``TextClassifier.find_learning_rate``: a fraction of an epoch
        with the rate growing exponentially from ``min_learning_rate`` to
        ``max_learning_rate`` on a fresh ``optimizer`` (None: the kind
        ``fit`` uses by default), after which every model variable is
        restored. Builds the model first when ``fit`` has not (as ``fit``
        would, from these pairs). Use it as ``fit(...,
        learning_rate=result.suggestion)``.

        Example:
        >>> import nlptoolkit
        >>> docs = ["alice met bob at the cafe", "carol saw dan"] * 8
        >>> sums = ["alice met bob", "carol saw dan"] * 8
        >>> model = nlptoolkit.Summarizer(
        ...     "lstm", hidden_dim=8, sequence_length=8, summary_length=6,
        ...     seed=0)
        >>> result = model.find_learning_rate(docs, sums, num_steps=20)
        >>> list(result.frame.columns), result.suggestion > 0
        (['lr', 'loss', 'smoothed_loss'], True)
        """
        return self._find_learning_rate(
            _check_pairs(documents, summaries), **options
        )

    def predict(
        self,
        documents,
        summaries=None,
        batch_size=32,
        max_length=None,
        verbose=0,
    ):
        """A numpy batch. Without ``summaries``: the greedy summary token
        ids ``(batch, max_length)`` (the pad id after the end token:
        ``[PAD]`` = 0, BART's ``<pad>`` = 1); with
        ``summaries``: teacher-forced logits ``(batch, summary_length,
        vocabulary_size)``. Empty documents are summarized too."""
        check_positive_int("batch_size", batch_size)
        model = self._require_model()
        if summaries is not None:
            documents, summaries = _check_pairs(documents, summaries)
            x, _ = self._arrays(documents, summaries)
            return model.predict(x, batch_size=batch_size, verbose=verbose)
        documents = _check_documents(documents, allow_empty=True)
        return self._decode_ids(
            documents,
            self._max_length(max_length),
            make_sampler("greedy"),
            "fused",
            None,
            batch_size,
        )

    def evaluate(
        self, documents, summaries, batch_size=32, config=None, **options
    ):
        """ROUGE of generated summaries and of Lead-3 on the documents.

        ``summaries`` holds one string or one list of reference strings
        per document (the best-matching reference counts, per ROUGE
        type). Returns ``rouge1``, ``rouge2``, ``rougeL`` (F1, percent),
        ``baseline_rouge1/2/L`` (Lead-3) and, with single-string
        summaries, the teacher-forced ``loss`` (nats/token). The
        summaries are decoded as ``summarize`` does, with ``config`` (a
        ``nlptoolkit.GenerationConfig``) and the ``**options`` that
        override its fields (``sampler``, ``num_beams``, ``decode``,
        ``length_penalty``, ``no_repeat_ngram_size``...), except that
        the sampler is ``"greedy"`` by default here.
        """
        documents, summaries = _check_pairs(documents, summaries)
        config = GenerationConfig.resolve(
            config, options, EVALUATE_DEFAULTS, where="evaluate"
        )
        predictions = self.summarize(documents, config, batch_size=batch_size)
        result = self.score(documents, summaries, predictions)
        if all(isinstance(s, str) for s in summaries):
            x, y = self._arrays(documents, summaries)
            result["loss"] = float(
                self.model.evaluate(x, y, batch_size=batch_size, verbose=0)
            )
        result["examples"] = len(documents)
        return result

    @staticmethod
    def score(documents, summaries, predictions):
        """ROUGE-1/2/L F1 (percent) of ``predictions`` against
        ``summaries`` (one string or a list of references per document),
        and ``baseline_rouge1/2/L`` of Lead-3 on ``documents``: what
        ``evaluate`` reports, for summaries decoded already.

        Example:
        >>> from nlptoolkit import Summarizer
        >>> docs = ["#Person1#: hi. #Person2#: we meet at noon."]
        >>> scores = Summarizer.score(docs, ["they meet at noon"],
        ...                           ["they meet at noon"])
        >>> scores["rougeL"], scores["baseline_rougeL"] < 100
        (100.0, True)
        """
        result = rouge(predictions, summaries)
        baseline = rouge(lead_k(documents, k=3), summaries)
        result.update({f"baseline_{k}": v for k, v in baseline.items()})
        return result

    def top_losses(
        self,
        documents,
        summaries,
        k=10,
        batch_size=32,
        max_length=None,
        sampler="greedy",
    ):
        """The ``k`` documents whose generated summary has the lowest
        ROUGE-L F1 (percent) against its reference(s), worst first.

        Returns a pandas DataFrame with columns ``document``,
        ``reference``, ``prediction`` and ``rougeL``, indexed by position;
        ``k=None`` returns every row. Summaries are decoded with
        ``sampler`` (greedy by default, fused loop).

        Example:
        >>> import nlptoolkit
        >>> docs = ["alice met bob at the cafe", "carol saw dan"] * 4
        >>> sums = ["alice met bob", "carol saw dan"] * 4
        >>> model = nlptoolkit.Summarizer(
        ...     "lstm", hidden_dim=8, num_layers=1, sequence_length=8,
        ...     summary_length=6, seed=0)
        >>> _ = model.fit(docs, sums, epochs=1, verbose=0)
        >>> frame = model.top_losses(docs, sums, k=2, max_length=4)
        >>> list(frame.columns), len(frame)
        (['document', 'reference', 'prediction', 'rougeL'], 2)
        """
        documents, summaries = _check_pairs(documents, summaries)
        check("k", k, POSITIVE_INT, None)  # Before decoding them all.
        predictions = self.summarize(
            documents,
            max_length=max_length,
            sampler=sampler,
            batch_size=batch_size,
        )
        return training.summarization_top_losses(
            documents, summaries, predictions, k=k
        )

    # -------------------------------------------------------- summarize
    def _adapter(self):
        model = self._require_model()
        if not self.pretrained:
            return Seq2SeqAdapter(model.backbone, model.head)
        tokenizer = model.tokenizer
        start_ids, end, _ = self.special_ids
        forbidden = [i for i in tokenizer.special_token_ids if i != end]
        return PresetSeq2SeqAdapter(
            model.backbone,
            tokenizer.pad_token_id,
            start=len(start_ids),
            forbidden_ids=forbidden,
        )

    @property
    def decoder(self):
        if self._decoder is None:
            self._decoder = Decoder(self._adapter())
        return self._decoder

    def _max_length(self, max_length):
        adapter = self.decoder.adapter
        if self.pretrained:  # The start tokens take positions too.
            start = len(self.special_ids[0])
            limit = adapter.max_positions and adapter.max_positions - start
            what = f"{adapter.max_positions} positions, {start} of them "
            what += "taken by the decoder's start tokens"
        else:
            limit = adapter.max_positions
            what = f"{limit} positions (summary_length)"
        if max_length is None:
            length = self._length("summary_length")
            return length if limit is None else min(length, limit)
        if limit is None:
            return check("max_length", max_length, POSITIVE_INT)
        return check(
            "max_length",
            max_length,
            Interval(int, 1, limit),
            hint=f"This decoder has {what}. Use max_length <= {limit}.",
        )

    def _decode_ids(
        self,
        documents,
        max_length,
        sampler,
        decode,
        callbacks,
        batch_size,
        no_repeat_ngram_size=0,
        jit_compile="auto",
        chunk_size=1,
    ):
        """Summary token ids of ``documents`` (checked options: see
        ``GenerationConfig``), each cut after its end token (the pad id
        after it), ``batch_size`` documents at a time."""
        encoder_ids = self.encode_documents(documents)
        start_ids, end, pad = self.special_ids
        width = len(start_ids)
        outputs = []
        for start in range(0, len(documents), batch_size):
            chunk = encoder_ids[start : start + batch_size]
            ids = np.full((len(chunk), width + max_length), pad, "int32")
            ids[:, :width] = start_ids
            mask = np.zeros_like(ids, dtype=bool)
            mask[:, :width] = True
            output = self.decoder.generate(
                ids,
                width,
                mask,
                sampler,
                decode=decode,
                callbacks=callbacks,
                stop_token_ids=[end],
                encoder_inputs=chunk,
                no_repeat_ngram_size=no_repeat_ngram_size,
                jit_compile=jit_compile,
                chunk_size=chunk_size,
            )
            output = np.asarray(output)[:, width:]
            outputs.append(cut_after_end(output, end, pad))
        return np.concatenate(outputs, axis=0)

    def _serving_function(self, max_length):
        import tensorflow as tf

        model = self._require_model()
        max_length = self._max_length(max_length)
        decoder = Decoder(self._adapter())
        tokenizer = model.tokenizer
        sequence_length = self._length("sequence_length")
        sampler = make_sampler("greedy")
        start_ids, end, pad = self.special_ids
        width = len(start_ids)

        def serve(documents):
            encoder_ids = tokenizer.tokenize(documents, sequence_length)
            batch_size = tf.shape(encoder_ids)[0]
            ids = tf.pad(
                tf.tile(tf.constant([start_ids], tf.int32), [batch_size, 1]),
                [[0, 0], [0, max_length]],
                constant_values=pad,
            )
            first = tf.range(width + max_length)[None, :] < width
            output = decoder.fused_graph(
                ids,
                width,
                tf.tile(first, [batch_size, 1]),
                sampler,
                stop_token_ids=(end,),
                encoder_inputs=encoder_ids,
            )
            return {"text": tokenizer.detokenize_tensor(output[:, width:])}

        return "documents", serve

    def summarize(
        self,
        documents,
        config=None,
        *,
        callbacks=None,
        batch_size=32,
        **options,
    ):
        """Summaries of ``documents`` (a list of str) as a list of str.

        Args:
            config: a ``nlptoolkit.GenerationConfig`` (None: its
                defaults): the sampler, its settings and the decode path.
            callbacks: objects with decode hooks, e.g. InferenceClock.
            batch_size: documents decoded at a time.
            **options: any field of ``GenerationConfig``, overriding
                ``config``'s: ``max_length`` (new tokens at most; default
                ``summary_length``, which the Transformer cannot go
                beyond), ``sampler`` ("beam" here by default, "greedy",
                "top_k", "top_p", "random" or a
                ``keras_hub.samplers.Sampler``), ``num_beams``,
                ``decode`` ("fused", "stepwise" or "uncached"; beam
                search needs "fused": the beams live inside one compiled
                loop), ``temperature``, ``seed`` (seeds the random
                samplers), ``top_k``, ``top_p``, ``length_penalty`` (beam
                search only: the length counts the tokens up to and
                including ``[EOS]``; 0.0 favours shorter summaries,
                larger values longer ones; a beam that has emitted
                ``[EOS]`` is frozen), ``no_repeat_ngram_size`` (n-grams
                of summary tokens, ``[BOS]`` included), ``jit_compile``
                and ``chunk_size`` (stepwise only).
                ``GenerationConfig`` documents each.

        ``export`` decodes greedily with neither ``length_penalty`` nor
        ``no_repeat_ngram_size``.
        """
        documents = _check_documents(documents, allow_empty=True)
        config = GenerationConfig.resolve(
            config, options, SUMMARIZE_DEFAULTS, where="summarize"
        )
        callbacks = check_callbacks(callbacks)
        check_positive_int("batch_size", batch_size)
        self._require_model()
        max_length = self._max_length(config.max_length)
        ids = self._decode_ids(
            documents,
            max_length,
            config.make_sampler(len(self.tokenizer.vocabulary)),
            config.decode,
            callbacks,
            batch_size,
            config.no_repeat_ngram_size,
            jit_compile=config.jit_compile,
            chunk_size=config.chunk_size,
        )
        return self.tokenizer.detokenize(ids)


def _decoder_padding_mask(decoder_ids, pad_token_id):
    """``decoder_ids != pad_token_id``, the first column always kept: it
    is the decoder's start token, which is the pad id itself for T5.
    (Masked, T5's first query would see no key and attend to every
    position, the future included.)"""
    ops = keras.ops
    first = ops.ones_like(decoder_ids[:, :1], dtype="bool")
    rest = ops.not_equal(decoder_ids[:, 1:], pad_token_id)
    return ops.concatenate([first, rest], axis=1)


def _set_logits_prior(head, targets):
    """Start the head's logits bias at the log unigram frequencies of
    ``targets`` (PAD ignored, every count + 0.1), so the first steps need
    not push the unigram distribution through the hidden layers (which
    saturated the LSTM decoder's tanh and froze its loss)."""
    counts = np.bincount(
        targets[targets != PAD_ID].ravel(), minlength=head.vocabulary_size
    )
    counts = counts[: head.vocabulary_size] + 0.1
    head.dense.bias.assign(np.log(counts / counts.sum()).astype("float32"))
