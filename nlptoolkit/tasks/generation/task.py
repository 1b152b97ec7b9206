"""TextGenerator: a causal language model with cached decoding."""

import collections.abc
import logging
import math

import keras
import numpy as np

from nlptoolkit import backbones as backbones_lib
from nlptoolkit.checks import check_callbacks
from nlptoolkit.checks import check_positive_int
from nlptoolkit.decoding import Decoder
from nlptoolkit.decoding import GenerationConfig
from nlptoolkit.decoding import adapter_for
from nlptoolkit.decoding import make_sampler
from nlptoolkit.heads import LanguageModelHead
from nlptoolkit.metrics import bits_per_token
from nlptoolkit.metrics import perplexity
from nlptoolkit.preprocessing import BOS_ID
from nlptoolkit.preprocessing import EOS_ID
from nlptoolkit.preprocessing import PAD_ID
from nlptoolkit.preprocessing import as_texts
from nlptoolkit.preprocessing import check_texts
from nlptoolkit.tasks.task import Task
from nlptoolkit.tasks.task import TaskModel
from nlptoolkit.tasks.task import restoring_now
from nlptoolkit.tasks.task import takes_options_of
from nlptoolkit.training import carve_validation
from nlptoolkit.training import lr_range_test
from nlptoolkit.training import policy
from nlptoolkit.validation import POSITIVE_INT
from nlptoolkit.validation import InstanceOf
from nlptoolkit.validation import check

logger = logging.getLogger(__name__)

# A streaming hook of `generate`.
ON_TOKEN = InstanceOf(
    collections.abc.Callable,
    description="a function on_token(step, token_ids, texts)",
)
# What `generate` decodes with where its config leaves a field None.
GENERATE_DEFAULTS = {"max_length": 100, "sampler": "greedy"}


def _as_corpus(texts):
    """A bare string is one corpus; anything else is a batch of texts."""
    if isinstance(texts, str):
        if not texts:
            raise ValueError(
                "The corpus is an empty string (received texts=''). Pass "
                "the text to train on, or a list of texts."
            )
        return [texts]
    return as_texts(texts)


def _hold_out(texts, fraction, seed):
    """``(train_texts, validation_texts)`` for early stopping: a share
    ``fraction`` of the texts at random (seeded), or of one corpus string
    its last lines (its tail, where it has no line breaks)."""
    if len(texts) >= 2:
        train_at, val_at = carve_validation(
            len(texts), fraction, seed=seed or 0
        )
        held = [texts[i] for i in val_at]
        kept = [texts[i] for i in train_at]
    else:
        text = texts[0]
        if len(text) < 2:
            raise ValueError(
                "Cannot hold validation text out of a corpus of "
                f"{len(text)} character(s). Pass `validation_data`, or "
                "`early_stopping=False`."
            )
        cut = int(round((1.0 - fraction) * len(text)))
        cut = min(max(cut, 1), len(text) - 1)
        # At a line break, unless that would hold out twice the share.
        line = text.rfind("\n", 0, cut)
        if line > 0 and cut - line <= fraction * len(text):
            cut = line + 1
        kept, held = [text[:cut]], [text[cut:]]
    logger.info(
        "No validation_data: held out %d of %d characters for early stopping.",
        sum(map(len, held)),
        sum(map(len, held)) + sum(map(len, kept)),
    )
    return kept, held


class TextGenerator(Task):
    """A causal language model (next-token prediction) that generates.

    ``fit`` takes one corpus string or a batch of texts and cuts them into
    windows of ``sequence_length + 1`` tokens (``stride`` apart); each
    text is framed by ``[BOS]`` and ``[EOS]``. ``evaluate`` gives the loss
    in nats per token, perplexity, and bits per character for the char
    tokenizer. ``generate`` continues prompts with a keras-hub sampler over
    one of three decode paths: ``"fused"`` (one compiled loop, fastest),
    ``"stepwise"`` (one compiled step per token, for callbacks and
    streaming) and ``"uncached"`` (recomputes the prefix; the reference).

    The Transformer's context is ``sequence_length`` tokens. A prompt
    keeps its last ``sequence_length`` tokens, and generation may go past
    the context: when the sequence outgrows it, the decoder keeps its
    last ``sequence_length // 2`` tokens (a sliding window), re-prefills
    the cache with them and carries on, on every decode path and sampler
    (``nlptoolkit.decoding.window``). The LSTM carries its state on and
    has no limit.

    Defaults: the Transformer has 4 layers of width 128 and learns at
    1e-3; the LSTM has 1 layer of 256 units (the same parameter count)
    and learns at 5e-3. Any of them can be given.

    ``backbone`` may also be a pretrained causal LM to fine-tune: a
    keras-hub preset name (``"gpt2_base_en"``), a ``kaggle://`` or
    ``hf://`` handle, or a local keras-hub preset or Hugging Face folder
    of an architecture in ``backbones.preset.CAUSAL_ARCHITECTURES``
    (GPT-2, Llama, Mistral, Gemma, Qwen, ...). Its tokenizer comes with
    it (each text is framed by its start and end tokens; GPT-2's are both
    ``<|endoftext|>``, which also ends generation), and so do its sizes:
    of the arguments only ``sequence_length`` (the training window, at
    most the model's positions; generation uses all of them and slides
    past them), ``stride`` and ``learning_rate`` (default 5e-5, AdamW
    with warm-up and cosine decay, as for pretrained classifiers) apply;
    the others are refused. ``evaluate`` then also gives
    ``word_perplexity``. There is no ``freeze_backbone``: the
    pretrained model's own output embedding is its language-model head,
    so nothing would be left to train. ``nlptoolkit.load`` needs no
    preset folder: the ``.keras`` file holds the model and its
    tokenizer, and ``model.task_config["pretrained"]`` the handle and
    the sha256 of the weights it started from.

    Example:
    >>> import nlptoolkit
    >>> gen = nlptoolkit.TextGenerator(
    ...     "lstm", hidden_dim=8, sequence_length=16, seed=0)
    >>> _ = gen.fit("to be or not to be " * 20, epochs=1, verbose=0)
    >>> out = gen.generate(["to be"], max_length=5)
    >>> len(out), out[0].startswith("to be")
    (1, True)

    ``strategy`` and ``mixed_precision`` work as on every task (the
    logits stay float32). ``export(path, max_length=N)`` writes a
    SavedModel whose ``serving_default`` signature takes ``prompts``
    (``tf.string``, ``[None]``) and returns ``text``: each prompt followed
    by its greedy continuation of at most ``N`` tokens (fixed at export;
    default ``sequence_length // 2`` for the Transformer, 100 for the
    LSTM), exactly as ``generate(prompts, max_length=N)`` returns it
    (``no_repeat_ngram_size`` is not part of the export).
    """

    task_id = "generation"
    defaults = {
        "tokenizer": "char",
        "vocabulary_size": None,
        "sequence_length": 64,
        "hidden_dim": 128,
        "intermediate_dim": 512,
        "num_layers": 4,
        "num_heads": 4,
        "dropout": 0.0,
        "learning_rate": 1e-3,
        "stride": None,
    }
    # One LSTM layer of 256 units has the parameters of four of 128 but
    # trains far better, and at a higher rate (Tiny Shakespeare; the
    # recipes' figures: BENCHMARKS.md, "Model quality").
    backbone_defaults = {
        "lstm": {"hidden_dim": 256, "num_layers": 1, "learning_rate": 5e-3},
        # Fine-tuning: AdamW, warm-up + cosine (as pretrained classifiers).
        "pretrained": {"learning_rate": 5e-5},
    }
    param_choices = {"tokenizer": ("char", "word", "wordpiece")}
    supports_pretrained = True
    pretrained_arguments = ("sequence_length", "stride", "learning_rate")
    # Tokens new lines get when the CLI's samples come from a pretrained
    # model (its context may be 1,024 tokens or more).
    pretrained_sample_length = 100
    training_policies = policy.GENERATIVE_POLICIES

    def __init__(self, backbone="transformer", **kwargs):
        super().__init__(backbone, **kwargs)
        if self.pretrained:
            from nlptoolkit.backbones.preset import check_architecture

            if not restoring_now():
                check_architecture(self.preset_info, "causal")
        # ``param_choices`` checked the tokenizer (Task._check_params).
        self._decoder = None

    @property
    def tokenizer_level(self):
        """``"char"``, ``"word"``, ``"wordpiece"`` or, for a pretrained
        backbone, ``"preset"`` (its own tokenizer)."""
        return "preset" if self.pretrained else self.params["tokenizer"]

    @property
    def special_ids(self):
        """``(start, end, pad)``: the id each text starts with, the one
        that ends it (and generation), and the tokenizer's pad id. The
        preset's own ids for a pretrained backbone (a missing start token
        falls back to the end token, as GPT-2's ``<|endoftext|>`` is
        both; GPT-2 has no pad token, and keras-hub reports 0, the real
        token ``"!"``), else ``[BOS]``, ``[EOS]``, ``[PAD]``. The pad id
        only fills: inputs past the end of the data (whose targets are
        ``ignore_id``) and columns the decoder writes before it reads
        them (``_filler``)."""
        if not self.pretrained:
            return BOS_ID, EOS_ID, PAD_ID
        tokenizer = self.tokenizer
        end = tokenizer.end_token_id
        start = tokenizer.start_token_id
        start = end if start is None else start
        if start is None:
            raise ValueError(
                f"The tokenizer of {self.backbone_label!r} has neither a "
                "start nor an end token, which a text generator needs to "
                "frame texts and stop. Use a causal LM preset whose "
                "tokenizer defines `end_token_id`."
            )
        return start, end, tokenizer.pad_token_id

    @property
    def end_ids(self):
        """Every id that ends generation (cut from the text, never
        forbidden): the end id of ``special_ids``, and for a pretrained
        backbone any other end token its tokenizer has
        (``PresetTokenizer.end_token_ids``, e.g. Llama 3's
        ``<|eot_id|>``)."""
        end = self.special_ids[1]
        if not self.pretrained:
            return (end,)
        others = [i for i in self.tokenizer.end_token_ids if i != end]
        return (end, *others)

    def _filler(self, stop_ids):
        """The id that fills the columns still to be generated: the pad
        id unless it is a stop id (the decode loops stop once every row
        holds a stop id past its prompt), else the lowest id that is
        none of them."""
        pad = self.special_ids[2]
        if pad not in stop_ids:
            return pad
        return min(set(range(len(stop_ids) + 1)) - set(stop_ids))

    @property
    def ignore_id(self):
        """The target id the loss ignores: ``[PAD]`` (0) from scratch,
        -1 for a pretrained backbone (every id of its vocabulary is a
        real token to learn)."""
        return -1 if self.pretrained else PAD_ID

    def _separator(self):
        """What joins a prompt and its continuation (byte-level and
        char tokens carry their own spaces)."""
        return "" if self.tokenizer_level in ("char", "preset") else " "

    # ------------------------------------------------------------ build
    def _vocabulary_size(self):
        size = self.params["vocabulary_size"]
        if size is not None:
            return size
        return 512 if self.params["tokenizer"] == "char" else 8000

    def _build_pretrained(self, texts):
        """Backbone, head and tokenizer from the preset."""
        from nlptoolkit.backbones import PretrainedCausalLM
        from nlptoolkit.backbones.preset import load_hub_preprocessor
        from nlptoolkit.heads import PresetLanguageModelHead
        from nlptoolkit.preprocessing import PresetTokenizer
        from nlptoolkit.tasks.scale import resolve_precision

        info = self.preset_info
        backbone = PretrainedCausalLM.from_preset(
            info, dtype=resolve_precision(self.mixed_precision)
        )
        length = self._check_fits(
            "sequence_length",
            self.params["sequence_length"],
            backbone.max_sequence_length,
            " (the training window)",
        )
        preprocessor = load_hub_preprocessor(
            info, kind="CausalLMPreprocessor", sequence_length=length
        )
        tokenizer = PresetTokenizer(preprocessor, sequence_length=length)
        config = self._task_config()
        config["sequence_length"] = length
        config["pretrained"] = info.manifest()
        return TaskModel(
            backbone, PresetLanguageModelHead(), tokenizer, task_config=config
        )

    def _build_from_scratch(self, texts, tokenizer):
        p = self.params
        vocabulary_size = len(tokenizer.vocabulary)
        common = {
            "vocabulary_size": vocabulary_size,
            "hidden_dim": p["hidden_dim"],
            "num_layers": p["num_layers"],
            "dropout": p["dropout"],
        }
        if self.backbone_name == "lstm":
            backbone = backbones_lib.get("lstm", bidirectional=False, **common)
        else:
            backbone = backbones_lib.get(
                "transformer",
                sequence_length=p["sequence_length"],
                intermediate_dim=p["intermediate_dim"],
                num_heads=p["num_heads"],
                causal=True,
                **common,
            )
        head = LanguageModelHead(vocabulary_size)
        config = self._task_config()
        config["sequence_length"] = p["sequence_length"]
        return TaskModel(backbone, head, tokenizer, task_config=config)

    def _loss(self, model):
        """The next-token loss (``ignore_id`` targets ignored)."""
        return keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, ignore_class=self.ignore_id
        )

    def _weights_changed(self):
        self._decoder = None

    # ------------------------------------------------- hooks of Task._fit
    def _check_validation(self, validation_data):
        return (_as_corpus(validation_data),)

    def _hold_out(self, data, fraction):
        kept, held = _hold_out(data[0], fraction, self.seed)
        return (kept,), (held,)

    def _held_out_record(self, held, fraction):
        return {
            "validation_held_out_texts": 0 if held is None else len(held[0])
        }

    def _arrays(self, texts):
        return self.windows(texts)

    def _validation_arrays(self, validation):
        # Non-overlapping windows, as ``evaluate`` reads them.
        return self.windows(validation[0], self.params["sequence_length"])

    # ------------------------------------------------------------ data
    def _token_rows(self, texts):
        """Each text's own token ids (no special tokens), as lists."""
        tokenizer = self.tokenizer
        rows = []
        for start in range(0, len(texts), 1024):
            batch = texts[start : start + 1024]
            if self.pretrained:
                ragged = tokenizer.tokenize_ragged(batch, special_tokens=False)
            else:
                ragged = tokenizer.tokenize_ragged(batch)
            rows.extend(ragged.to_list())
        return rows

    def _stream(self, texts):
        """All texts as one id stream, each framed by its start and end
        ids (``special_ids``); where they are one id (GPT-2's
        ``<|endoftext|>``), consecutive texts share it."""
        bos, eos, _ = self.special_ids
        pieces = []
        for row in self._token_rows(texts):
            if not (pieces and bos == eos):
                pieces.append(np.asarray([bos], "int32"))
            pieces.append(np.asarray([*row, eos], "int32"))
        return np.concatenate(pieces)

    def windows(self, texts, stride=None):
        """``(inputs, targets)`` windows of ``sequence_length`` tokens;
        a stream too short for one window is filled with the pad id
        (``special_ids``), its targets with ``ignore_id``."""
        length = self.params["sequence_length"]
        stride = stride or self.params["stride"] or length
        stream = self._stream(texts)
        if len(stream) < length + 1:
            stream = np.pad(
                stream,
                (0, length + 1 - len(stream)),
                constant_values=self.ignore_id,
            )
        view = np.lib.stride_tricks.sliding_window_view(stream, length + 1)
        view = view[::stride]
        inputs, targets = view[:, :-1].copy(), view[:, 1:].copy()
        inputs[inputs == self.ignore_id] = self.special_ids[2]
        return inputs, targets

    def word_metrics(self, texts, loss):
        """``words``, ``tokens_per_word`` and ``word_perplexity``:
        perplexity per whitespace-separated word, one end of line counted
        per non-blank line, as PTB figures and the word n-gram baseline
        count them: ``exp(loss * tokens_per_word)``, where the tokens
        are the targets of the framed stream (``_stream``) and ``loss``
        the mean loss per token over them.

        Tokenizers split words differently (the word tokenizer splits
        punctuation off, byte-level BPE splits rare words into pieces),
        so perplexity per token is not comparable across them; per word
        it is.
        """
        texts = _as_corpus(texts)
        words = sum(
            len(line.split()) + 1
            for text in texts
            for line in text.splitlines()
            if line.split()
        )
        targets = len(self._stream(texts)) - 1
        tokens_per_word = targets / max(words, 1)
        return {
            "words": words,
            "tokens_per_word": tokens_per_word,
            "word_perplexity": perplexity(loss * tokens_per_word),
        }

    # ------------------------------------------------------------ verbs
    @takes_options_of(Task._fit)
    def fit(self, texts, **options):
        """Train on a corpus string or a batch of texts; returns the Keras
        ``History`` (``training_config`` describes the run).

        ``validation_data`` is a corpus string or texts; without it, early
        stopping holds out ``validation_split`` of the texts (at random,
        seeded; of one corpus string, its last lines). The options are
        every task's (``nlptoolkit.training.policy``), None this task's
        default: ``epochs`` 1; from scratch Adam at a constant rate
        without early stopping, for a pretrained backbone AdamW with
        warm-up + cosine decay; ``learning_rate`` the constructor's.
        """
        texts = _as_corpus(texts)
        if not any(texts):
            raise ValueError(
                f"`texts` holds only empty strings (received {len(texts)}). "
                "Pass the text to train on (e.g. check the file is not "
                "empty)."
            )
        return self._fit((texts,), **options)

    @takes_options_of(Task._find_learning_rate, lr_range_test)
    def find_learning_rate(self, texts, **options):
        """Learning-rate range test on the training windows of ``texts``
        (a corpus string or texts); returns an ``LRFinderResult``.

        As ``TextClassifier.find_learning_rate``: a fraction of an epoch
        with the rate growing exponentially from ``min_learning_rate`` to
        ``max_learning_rate`` on a fresh ``optimizer`` (None: the kind
        ``fit`` uses by default), after which every model variable is
        restored. Builds the model first when ``fit`` has not. Use it as
        ``fit(..., learning_rate=result.suggestion)``.

        Example:
        >>> import nlptoolkit
        >>> gen = nlptoolkit.TextGenerator(
        ...     "lstm", hidden_dim=8, sequence_length=8, seed=0)
        >>> result = gen.find_learning_rate("to be or not " * 20,
        ...                                 num_steps=20)
        >>> list(result.frame.columns), result.suggestion > 0
        (['lr', 'loss', 'smoothed_loss'], True)
        """
        return self._find_learning_rate((_as_corpus(texts),), **options)

    def top_losses(self, texts, k=10, batch_size=64):
        """The ``k`` windows with the highest loss, worst first.

        Each text (a corpus string is one text) is framed by its start
        and end ids and cut into windows of ``sequence_length`` targets
        (the last one shorter); a window never spans two texts. Returns a
        pandas DataFrame with columns ``text`` (the position of the text
        in ``texts``), ``window`` (the window's target tokens as text),
        ``loss`` (mean cross-entropy, nats per token) and ``tokens``,
        sorted by ``loss`` descending; ``k=None`` returns every window.

        Example:
        >>> import nlptoolkit
        >>> gen = nlptoolkit.TextGenerator(
        ...     "lstm", hidden_dim=8, sequence_length=8, seed=0)
        >>> texts = ["to be or not to be", "that is the question"]
        >>> _ = gen.fit(texts * 4, epochs=1, verbose=0)
        >>> frame = gen.top_losses(texts, k=2)
        >>> list(frame.columns), len(frame)
        (['text', 'window', 'loss', 'tokens'], 2)
        """
        from nlptoolkit.training.top_losses import language_model_top_losses
        from nlptoolkit.training.top_losses import sequence_losses

        texts = _as_corpus(texts)
        check_positive_int("batch_size", batch_size)
        model = self._require_model()
        x, y, text_index = self._text_windows(texts)
        losses, tokens = sequence_losses(
            model, x, y, self.ignore_id, batch_size=batch_size
        )
        windows = [
            self.tokenizer.detokenize([row[row != self.ignore_id].tolist()])[0]
            for row in y
        ]
        return language_model_top_losses(
            text_index, windows, losses, tokens, k=k
        )

    def _text_windows(self, texts):
        """``(inputs, targets, text_index)``: each text's own framed ids
        cut into windows of ``sequence_length`` targets (the last padded:
        inputs with the pad id, targets with ``ignore_id``)."""
        length = self.params["sequence_length"]
        bos, eos, pad = self.special_ids
        inputs, targets, index = [], [], []
        for position, row in enumerate(self._token_rows(texts)):
            stream = [bos, *row, eos]
            for start in range(0, len(stream) - 1, length):
                piece = stream[start : start + length + 1]
                window_x = np.full(length, pad, "int32")
                window_y = np.full(length, self.ignore_id, "int32")
                window_x[: len(piece) - 1] = piece[:-1]
                window_y[: len(piece) - 1] = piece[1:]
                inputs.append(window_x)
                targets.append(window_y)
                index.append(position)
        return np.stack(inputs), np.stack(targets), index

    def evaluate(self, texts, batch_size=64):
        """``loss`` (nats/token), ``perplexity`` and, for the char
        tokenizer, ``bits_per_char``, over non-overlapping windows; for a
        pretrained backbone also ``word_perplexity`` (``word_metrics``:
        its tokens are byte-level pieces)."""
        texts = _as_corpus(texts)
        check_positive_int("batch_size", batch_size)
        model = self._require_model()
        x, y = self.windows(texts, self.params["sequence_length"])
        loss = float(model.evaluate(x, y, batch_size=batch_size, verbose=0))
        result = {
            "loss": loss,
            "perplexity": perplexity(loss),
            "tokens": int(np.count_nonzero(y != self.ignore_id)),
        }
        if self.tokenizer_level == "char":
            result["bits_per_char"] = bits_per_token(loss)
        if self.pretrained:
            result.update(self.word_metrics(texts, loss))
        return result

    def predict(self, texts, batch_size=64, callbacks=None, verbose=0):
        """Next-token logits for every position: ``(batch, length, vocab)``
        where ``length`` is 1 ([BOS]) + the longest text's tokens (the
        Transformer keeps each text's last ``sequence_length`` tokens; a
        pretrained model its last ``max_sequence_length``). Empty texts
        give the logits after [BOS] (a preset's start token) alone."""
        texts = as_texts(texts)
        check_positive_int("batch_size", batch_size)
        model = self._require_model()
        ids = self._encode_prompts(texts, 0)[0]
        return model.predict(
            ids, batch_size=batch_size, callbacks=callbacks, verbose=verbose
        )

    # --------------------------------------------------------- generate
    def _adapter(self):
        """The decoding adapter of the model (a pretrained one never
        emits its tokenizer's special ids other than the end token)."""
        model = self._require_model()
        forbidden = None
        if self.pretrained:
            ends = self.end_ids
            forbidden = [
                i for i in self.tokenizer.special_token_ids if i not in ends
            ]
        return adapter_for(model.backbone, model.head, forbidden)

    @property
    def decoder(self):
        if self._decoder is None:
            self._decoder = Decoder(self._adapter())
        return self._decoder

    def _encode_prompts(self, prompts, max_length, stop_ids=None):
        """Prompts -> (ids, prompt lengths); the start id first, right
        padded with ``_filler(stop_ids)`` (default stop: the end id),
        which the loop overwrites before it reads it."""
        bos, eos, _ = self.special_ids
        pad = self._filler([eos] if stop_ids is None else stop_ids)
        rows = [[bos, *row] for row in self._token_rows(prompts)]
        context = self.decoder.adapter.max_positions
        if context is not None and any(len(row) > context for row in rows):
            # The model never sees more: the window's first step reads at
            # most `context` tokens.
            logger.warning(
                "Prompts longer than the context of %d tokens "
                "(sequence_length) keep their last %d tokens.",
                context,
                context,
            )
            rows = [row[-context:] for row in rows]
        lengths = np.array([len(row) for row in rows])
        total = int(lengths.max()) + max_length
        ids = np.full((len(rows), total), pad, dtype="int32")
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
        return ids, lengths

    def generate(
        self,
        prompts,
        config=None,
        *,
        stop_token=None,
        callbacks=None,
        on_token=None,
        **options,
    ):
        """Continue each prompt by up to ``max_length`` new tokens.

        Returns a list of str, each its prompt followed by the generated
        text (up to a ``stop_token`` or ``[EOS]``).

        Args:
            prompts: a list of strings (may differ in length, may be "").
            config: a ``nlptoolkit.GenerationConfig`` (None: its
                defaults): the sampler, its settings and the decode path.
            stop_token: a token (e.g. "\\n") that ends a sequence.
            callbacks: objects with decode hooks, e.g. InferenceClock.
            on_token: ``on_token(step, token_ids, texts)`` called after each
                step on the stepwise and uncached paths (streaming).
            **options: any field of ``GenerationConfig``, overriding
                ``config``'s: ``max_length`` (default here 100),
                ``sampler`` ("greedy" here by default, "top_k", "top_p",
                "random", "beam" or a ``keras_hub.samplers.Sampler``),
                ``temperature``, ``seed`` (same seed, same text),
                ``top_k``, ``top_p``, ``num_beams`` (fused only),
                ``length_penalty`` (beam search only),
                ``no_repeat_ngram_size`` (the prompt and its ``[BOS]``
                count; ``export`` leaves it out), ``decode`` ("fused",
                "stepwise" or "uncached"), ``jit_compile`` (XLA compiles,
                in seconds, once per number of prompts, longest prompt +
                ``max_length`` and shortest prompt, in tokens: pass False
                for a few calls that all differ in those; see
                ``nlptoolkit.decoding.loop``) and ``chunk_size``
                (stepwise only; ``on_token`` still sees every token,
                after its chunk). ``GenerationConfig`` documents each.
        """
        prompts = check_texts(prompts, "prompts")
        config = GenerationConfig.resolve(
            config, options, GENERATE_DEFAULTS, where="generate"
        )
        if on_token is not None and config.decode == "fused":
            raise ValueError(
                "`on_token` streams each step, which the fused loop does not "
                "expose. Use decode='stepwise'."
            )
        check("on_token", on_token, ON_TOKEN, None)
        callbacks = check_callbacks(callbacks)
        sampler = config.make_sampler(len(self.tokenizer.vocabulary))
        max_length = config.max_length
        stop_ids = list(self.end_ids)
        if stop_token is not None:
            stop_ids.append(self._stop_id(stop_token))
        ids, lengths = self._encode_prompts(prompts, max_length, stop_ids)
        mask = np.arange(ids.shape[1])[None, :] < lengths[:, None]
        stream = None
        if on_token is not None:

            def stream(step, token_ids, index):
                if self.pretrained:  # Each piece as it reads in a text.
                    pieces = self.tokenizer.detokenize(
                        [[t] for t in token_ids], continuation=True
                    )
                else:
                    pieces = [
                        self.tokenizer.detokenize([[t]])[0] for t in token_ids
                    ]
                on_token(step, token_ids, pieces)

        output = self.decoder.generate(
            ids,
            int(lengths.min()),
            mask,
            sampler,
            decode=config.decode,
            callbacks=callbacks,
            stop_token_ids=stop_ids,
            on_token=stream,
            no_repeat_ngram_size=config.no_repeat_ngram_size,
            jit_compile=config.jit_compile,
            chunk_size=config.chunk_size,
        )
        return self._texts(prompts, output, lengths, stop_ids, max_length)

    def _stop_id(self, stop_token):
        """The id of ``stop_token``; an error unless it is one token."""
        if self.pretrained:
            row = self._token_rows([stop_token])[0]
            if len(row) == 1:
                return row[0]
            raise ValueError(
                f"`stop_token` {stop_token!r} is {len(row)} tokens for the "
                f"tokenizer of {self.backbone_label!r}, not one. Pass a "
                "single token it knows (e.g. '\\n' or '.')."
            )
        stop_id = self.tokenizer.token_to_id(stop_token)
        if stop_id < 4:
            raise ValueError(
                f"`stop_token` {stop_token!r} is not in the vocabulary. "
                "Pass a single token the tokenizer knows, e.g. '\\n'."
            )
        return stop_id

    def _serving_function(self, max_length):
        import tensorflow as tf

        model = self._require_model()
        decoder = Decoder(self._adapter())
        context = decoder.adapter.max_positions
        if max_length is None:
            max_length = 100 if context is None else max(1, context // 2)
        max_length = check("max_length", max_length, POSITIVE_INT)
        tokenizer = model.tokenizer
        sampler = make_sampler("greedy")
        separator = self._separator()
        bos_id = self.special_ids[0]
        end_ids = self.end_ids
        pad_id = self._filler(list(end_ids))

        def serve(prompts):
            if self.pretrained:
                rows = tokenizer.tokenize_ragged(prompts, special_tokens=False)
            else:
                rows = tokenizer.tokenize_ragged(prompts)
            bos = tf.fill([rows.nrows(), 1], tf.constant(bos_id, tf.int32))
            rows = tf.concat([bos, tf.cast(rows, tf.int32)], axis=1)
            if context is not None:
                rows = rows[:, -context:]
            lengths = tf.cast(rows.row_lengths(), tf.int32)
            ids = rows.to_tensor(default_value=pad_id)
            ids = tf.pad(ids, [[0, 0], [0, max_length]])
            positions = tf.range(tf.shape(ids)[1])[None, :]
            prompt_mask = positions < lengths[:, None]

            def run(windowed):
                return decoder.fused_graph(
                    ids,
                    tf.reduce_min(lengths),
                    prompt_mask,
                    sampler,
                    stop_token_ids=end_ids,
                    windowed=windowed,
                )

            if decoder.window is None:
                output = run(False)
            else:
                # As generate: the sliding window only past the context.
                output = tf.cond(
                    tf.shape(ids)[1] > context,
                    lambda: run(True),
                    lambda: run(False),
                )
            # Each row keeps at most max_length new tokens, as generate does.
            new_mask = tf.logical_and(
                ~prompt_mask, positions < (lengths + max_length)[:, None]
            )
            if self.pretrained:
                # After a prompt, the continuation keeps its first space.
                new = tf.where(
                    tf.equal(prompts, ""),
                    tokenizer.detokenize_tensor(output, new_mask, end_ids),
                    tokenizer.detokenize_tensor(
                        output, new_mask, end_ids, continuation=True
                    ),
                )
            else:
                new = tokenizer.detokenize_tensor(output, new_mask)
            joint = tf.logical_and(
                tf.not_equal(prompts, ""), tf.not_equal(new, "")
            )
            text = tf.where(
                joint,
                tf.strings.join([prompts, new], separator=separator),
                tf.strings.join([prompts, new]),
            )
            return {"text": text}

        return "prompts", serve

    def _texts(self, prompts, output, lengths, stop_ids, max_length):
        """Each prompt plus at most ``max_length`` new tokens (rows with a
        shorter prompt were decoded further to fill the batch)."""
        texts = []
        separator = self._separator()
        ends = self.end_ids
        for prompt, row, length in zip(prompts, output, lengths, strict=True):
            new = row[length : length + max_length].tolist()
            for position, token in enumerate(new):
                if token in stop_ids:
                    new = new[: position + (token not in ends)]
                    break
            if self.pretrained:
                # After a prompt, the continuation keeps its first space.
                text = self.tokenizer.detokenize([new], bool(prompt))[0]
            else:
                text = self.tokenizer.detokenize([new + [EOS_ID]])[0]
            texts.append(prompt + (separator if prompt and text else "") + text)
        return texts

    def perplexity_of(self, texts):
        """Perplexity of ``texts`` under the model (``exp(loss)``)."""
        return math.exp(self.evaluate(texts)["loss"])
