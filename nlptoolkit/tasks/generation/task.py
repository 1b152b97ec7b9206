"""TextGenerator: a causal language model with cached decoding."""

import logging
import math

import keras
import numpy as np

from nlptoolkit import backbones as backbones_lib
from nlptoolkit.checks import check_callbacks
from nlptoolkit.checks import check_positive_int
from nlptoolkit.decoding import Decoder
from nlptoolkit.decoding import adapter_for
from nlptoolkit.decoding import check_chunk_size
from nlptoolkit.decoding import check_decode
from nlptoolkit.decoding import check_jit_compile
from nlptoolkit.decoding import check_no_repeat_ngram_size
from nlptoolkit.decoding import make_sampler
from nlptoolkit.heads import LanguageModelHead
from nlptoolkit.metrics import bits_per_token
from nlptoolkit.metrics import perplexity
from nlptoolkit.preprocessing import BOS_ID
from nlptoolkit.preprocessing import EOS_ID
from nlptoolkit.preprocessing import PAD_ID
from nlptoolkit.preprocessing import Tokenizer
from nlptoolkit.preprocessing import as_texts
from nlptoolkit.preprocessing import check_texts
from nlptoolkit.tasks.task import Task
from nlptoolkit.tasks.task import TaskModel
from nlptoolkit.tasks.task import set_seed

logger = logging.getLogger(__name__)


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
    # trains far better at a higher rate: on Tiny Shakespeare (char, 2
    # epochs, batch 32) validation loss 1.66 nats/char at 5e-3, against
    # 1.85 for 2 x 128 at 5e-3 and 2.18 for 4 x 128 at 1e-3 after 4 epochs
    # (1e-2: 1.73, 2e-2: 1.86). Its 4-epoch recipe reaches 1.61, the
    # Transformer's 1.66 (BENCHMARKS.md).
    backbone_defaults = {
        "lstm": {"hidden_dim": 256, "num_layers": 1, "learning_rate": 5e-3}
    }
    param_choices = {"tokenizer": ("char", "word", "wordpiece")}

    def __init__(self, backbone="transformer", **kwargs):
        super().__init__(backbone, **kwargs)
        if self.params["tokenizer"] not in ("char", "word", "wordpiece"):
            raise ValueError(
                "`tokenizer` must be 'char', 'word' or 'wordpiece'. "
                f"Received: tokenizer={self.params['tokenizer']!r}."
            )
        self._decoder = None

    # ------------------------------------------------------------ build
    def _vocabulary_size(self):
        size = self.params["vocabulary_size"]
        if size is not None:
            return size
        return 512 if self.params["tokenizer"] == "char" else 8000

    def _build_model(self, texts):
        p = self.params
        tokenizer = Tokenizer(
            level=p["tokenizer"], vocabulary_size=self._vocabulary_size()
        )
        tokenizer.train(texts)
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
        model = TaskModel(backbone, head, tokenizer, task_config=config)
        model.compile(
            optimizer=keras.optimizers.Adam(p["learning_rate"], clipnorm=1.0),
            loss=keras.losses.SparseCategoricalCrossentropy(
                from_logits=True, ignore_class=PAD_ID
            ),
        )
        return model

    def _restore(self, model):
        super()._restore(model)
        self._decoder = None

    # ------------------------------------------------------------ data
    def _stream(self, texts):
        """All texts as one id stream, each framed by [BOS] ... [EOS]."""
        tokenizer = self.tokenizer
        pieces = []
        for start in range(0, len(texts), 1024):
            ragged = tokenizer.tokenize_ragged(texts[start : start + 1024])
            for row in ragged.to_list():
                pieces.append(np.asarray([BOS_ID, *row, EOS_ID], "int32"))
        return np.concatenate(pieces)

    def windows(self, texts, stride=None):
        """``(inputs, targets)`` windows of ``sequence_length`` tokens."""
        length = self.params["sequence_length"]
        stride = stride or self.params["stride"] or length
        stream = self._stream(texts)
        if len(stream) < length + 1:
            stream = np.pad(stream, (0, length + 1 - len(stream)))
        view = np.lib.stride_tricks.sliding_window_view(stream, length + 1)
        view = view[::stride]
        return view[:, :-1].copy(), view[:, 1:].copy()

    # ------------------------------------------------------------ verbs
    def fit(
        self,
        texts,
        validation_data=None,
        epochs=1,
        batch_size=32,
        callbacks=None,
        verbose="auto",
        max_seconds=None,
        tensorboard_dir=None,
        checkpoint_dir=None,
    ):
        """Train on a corpus string or a batch of texts.

        ``validation_data`` is a corpus string or texts; ``max_seconds``
        stops training after that much time (checked every batch);
        ``tensorboard_dir`` writes TensorBoard logs there;
        ``checkpoint_dir`` backs up every epoch and, after a crash, lets
        the same call resume from the last backed-up epoch.
        Returns the Keras ``History``.
        """
        texts = _as_corpus(texts)
        if not any(texts):
            raise ValueError(
                f"`texts` holds only empty strings (received {len(texts)}). "
                "Pass the text to train on (e.g. check the file is not "
                "empty)."
            )
        check_positive_int("epochs", epochs)
        check_positive_int("batch_size", batch_size)
        set_seed(self.seed)
        if self.model is None:
            with self._scope():
                self.model = self._build_model(texts)
        x, y = self.windows(texts)
        validation = None
        if validation_data is not None:
            val_x, val_y = self.windows(
                _as_corpus(validation_data), self.params["sequence_length"]
            )
            validation = (val_x, val_y)
        self._decoder = None
        return self._train(
            x,
            y,
            validation,
            epochs=epochs,
            batch_size=batch_size,
            callbacks=callbacks,
            verbose=verbose,
            max_seconds=max_seconds,
            tensorboard_dir=tensorboard_dir,
            checkpoint_dir=checkpoint_dir,
        )

    def evaluate(self, texts, batch_size=64):
        """``loss`` (nats/token), ``perplexity`` and, for the char
        tokenizer, ``bits_per_char``, over non-overlapping windows."""
        texts = _as_corpus(texts)
        check_positive_int("batch_size", batch_size)
        model = self._require_model()
        x, y = self.windows(texts, self.params["sequence_length"])
        loss = float(model.evaluate(x, y, batch_size=batch_size, verbose=0))
        result = {
            "loss": loss,
            "perplexity": perplexity(loss),
            "tokens": int(np.count_nonzero(y)),
        }
        if self.params["tokenizer"] == "char":
            result["bits_per_char"] = bits_per_token(loss)
        return result

    def predict(self, texts, batch_size=64, callbacks=None, verbose=0):
        """Next-token logits for every position: ``(batch, length, vocab)``
        where ``length`` is 1 ([BOS]) + the longest text's tokens (the
        Transformer keeps each text's last ``sequence_length`` tokens).
        Empty texts give the logits after [BOS] alone."""
        texts = as_texts(texts)
        check_positive_int("batch_size", batch_size)
        model = self._require_model()
        ids = self._encode_prompts(texts, 0)[0]
        return model.predict(
            ids, batch_size=batch_size, callbacks=callbacks, verbose=verbose
        )

    # --------------------------------------------------------- generate
    @property
    def decoder(self):
        model = self._require_model()
        if self._decoder is None:
            self._decoder = Decoder(adapter_for(model.backbone, model.head))
        return self._decoder

    def _encode_prompts(self, prompts, max_length):
        """Prompts -> (ids, prompt lengths); BOS first, right padded."""
        rows = self.tokenizer.tokenize_ragged(prompts).to_list()
        rows = [[BOS_ID, *row] for row in rows]
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
        ids = np.zeros((len(rows), total), dtype="int32")
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
        return ids, lengths

    def generate(
        self,
        prompts,
        max_length=100,
        sampler="greedy",
        temperature=1.0,
        seed=None,
        stop_token=None,
        callbacks=None,
        decode="fused",
        top_k=10,
        top_p=0.9,
        num_beams=4,
        on_token=None,
        length_penalty=None,
        no_repeat_ngram_size=0,
        jit_compile="auto",
        chunk_size=1,
    ):
        """Continue each prompt by up to ``max_length`` new tokens.

        Returns a list of str, each its prompt followed by the generated
        text (up to a ``stop_token`` or ``[EOS]``).

        Args:
            prompts: a list of strings (may differ in length, may be "").
            sampler: "greedy", "top_k", "top_p", "random", "beam" or a
                ``keras_hub.samplers.Sampler``.
            seed: seeds the random samplers (same seed, same text).
            stop_token: a token (e.g. "\\n") that ends a sequence.
            callbacks: objects with decode hooks, e.g. InferenceClock.
            decode: "fused", "stepwise" or "uncached".
            on_token: ``on_token(step, token_ids, texts)`` called after each
                step on the stepwise and uncached paths (streaming).
            num_beams: beams for ``sampler="beam"`` (>= 1, fused only).
            length_penalty: beam search only (an error with another
                sampler): the final beam maximises ``sum_log_probs /
                generated_length ** length_penalty`` (Hugging Face's
                convention; the length counts new tokens up to and
                including the stop token). None means 1.0; 0.0 ranks by
                the plain sum. Finished beams are frozen.
            no_repeat_ngram_size: an integer >= 0; ``n > 0`` forbids any
                n-gram from occurring twice in a row's tokens, the
                prompt's (and its ``[BOS]``) included, as Hugging Face
                does; every sampler and decode path. 0 (default): off.
                ``export`` leaves it out (greedy only).
            jit_compile: ``decode="fused"`` and ``"stepwise"``. ``"auto"``
                (default) compiles the fused loop (and the stepwise
                cycles) with XLA, and falls back to the plain compiled
                loop (logging why) where XLA cannot compile it; True:
                XLA, its errors raised; False: no XLA.
                XLA compiles (seconds) once per number of prompts,
                longest prompt + ``max_length``, and shortest prompt (in
                tokens); pass False for a few calls that all differ in
                those. See ``nlptoolkit.decoding.loop``.
            chunk_size: ``decode="stepwise"`` only: decoding steps per
                clocked cycle. 1 (default): each step is its own cycle
                (kind ``"step"``); k > 1: k steps run in one compiled
                call (kind ``"chunk"``, nearly the fused loop's speed),
                and the clock derives per-step figures from them;
                ``"auto"``: chunks sized from the measured cost of a call
                and of a step (``nlptoolkit.decoding.loop.ChunkSizer``).
                ``on_token`` still sees every token, after its chunk.
        """
        prompts = check_texts(prompts, "prompts")
        if (
            isinstance(max_length, bool)
            or not isinstance(max_length, int)
            or (max_length < 1)
        ):
            raise ValueError(
                "`max_length` (new tokens) must be a positive integer. "
                f"Received: max_length={max_length!r}."
            )
        if on_token is not None and decode == "fused":
            raise ValueError(
                "`on_token` streams each step, which the fused loop does not "
                "expose. Use decode='stepwise'."
            )
        if on_token is not None and not callable(on_token):
            raise TypeError(
                "`on_token` must be a function on_token(step, token_ids, "
                f"texts). Received: {on_token!r}."
            )
        callbacks = check_callbacks(callbacks)
        no_repeat_ngram_size = check_no_repeat_ngram_size(no_repeat_ngram_size)
        check_jit_compile(jit_compile)
        sampler = make_sampler(
            sampler,
            temperature,
            seed,
            top_k,
            top_p,
            num_beams,
            vocabulary_size=len(self.tokenizer.vocabulary),
            length_penalty=length_penalty,
        )
        check_decode(decode, sampler)
        check_chunk_size(chunk_size, decode)
        ids, lengths = self._encode_prompts(prompts, max_length)
        mask = np.arange(ids.shape[1])[None, :] < lengths[:, None]
        stop_ids = [EOS_ID]
        if stop_token is not None:
            stop_id = self.tokenizer.token_to_id(stop_token)
            if stop_id < 4:
                raise ValueError(
                    f"`stop_token` {stop_token!r} is not in the vocabulary. "
                    "Pass a single token the tokenizer knows, e.g. '\\n'."
                )
            stop_ids.append(stop_id)
        stream = None
        if on_token is not None:

            def stream(step, token_ids, index):
                pieces = [
                    self.tokenizer.detokenize([[t]])[0] for t in token_ids
                ]
                on_token(step, token_ids, pieces)

        output = self.decoder.generate(
            ids,
            int(lengths.min()),
            mask,
            sampler,
            decode=decode,
            callbacks=callbacks,
            stop_token_ids=stop_ids,
            on_token=stream,
            no_repeat_ngram_size=no_repeat_ngram_size,
            jit_compile=jit_compile,
            chunk_size=chunk_size,
        )
        return self._texts(prompts, output, lengths, stop_ids, max_length)

    def _serving_function(self, max_length):
        import tensorflow as tf

        model = self._require_model()
        decoder = Decoder(adapter_for(model.backbone, model.head))
        context = decoder.adapter.max_positions
        if max_length is None:
            max_length = 100 if context is None else max(1, context // 2)
        if (
            isinstance(max_length, bool)
            or not isinstance(max_length, int)
            or max_length < 1
        ):
            raise ValueError(
                "`max_length` must be a positive integer (new tokens, "
                f"fixed at export). Received: max_length={max_length!r}."
            )
        tokenizer = model.tokenizer
        sampler = make_sampler("greedy")
        separator = "" if self.params["tokenizer"] == "char" else " "

        def serve(prompts):
            rows = tokenizer.tokenize_ragged(prompts)
            bos = tf.fill([rows.nrows(), 1], tf.constant(BOS_ID, tf.int32))
            rows = tf.concat([bos, rows], axis=1)
            if context is not None:
                rows = rows[:, -context:]
            lengths = tf.cast(rows.row_lengths(), tf.int32)
            ids = rows.to_tensor(default_value=PAD_ID)
            ids = tf.pad(ids, [[0, 0], [0, max_length]])
            positions = tf.range(tf.shape(ids)[1])[None, :]
            prompt_mask = positions < lengths[:, None]

            def run(windowed):
                return decoder.fused_graph(
                    ids,
                    tf.reduce_min(lengths),
                    prompt_mask,
                    sampler,
                    stop_token_ids=(EOS_ID,),
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
        separator = "" if self.params["tokenizer"] == "char" else " "
        for prompt, row, length in zip(prompts, output, lengths, strict=True):
            new = row[length : length + max_length].tolist()
            for position, token in enumerate(new):
                if token in stop_ids:
                    new = new[: position + (token != EOS_ID)]
                    break
            text = self.tokenizer.detokenize([new + [EOS_ID]])[0]
            texts.append(prompt + (separator if prompt and text else "") + text)
        return texts

    def perplexity_of(self, texts):
        """Perplexity of ``texts`` under the model (``exp(loss)``)."""
        return math.exp(self.evaluate(texts)["loss"])
