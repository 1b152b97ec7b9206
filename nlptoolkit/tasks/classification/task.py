"""TextClassifier: raw strings in, class probabilities and label names out."""

import logging

import numpy as np

from nlptoolkit import backbones as backbones_lib
from nlptoolkit import training
from nlptoolkit.checks import check_callbacks
from nlptoolkit.checks import check_positive_int
from nlptoolkit.heads import ClassificationHead
from nlptoolkit.metrics import classification_metrics
from nlptoolkit.preprocessing import as_texts
from nlptoolkit.preprocessing import as_texts_and_labels
from nlptoolkit.tasks.task import Pair
from nlptoolkit.tasks.task import Task
from nlptoolkit.tasks.task import TaskModel
from nlptoolkit.tasks.task import takes_options_of
from nlptoolkit.training import lr_range_test
from nlptoolkit.training import policy
from nlptoolkit.validation import InstanceOf
from nlptoolkit.validation import Options
from nlptoolkit.validation import check

logger = logging.getLogger(__name__)

MAX_AUTO_SEQUENCE_LENGTH = 512


def choose_sequence_length(token_counts, quantile=0.95):
    """A sequence length covering ``quantile`` of the texts, a multiple of
    8, between 8 and 512."""
    length = int(np.quantile(np.asarray(token_counts), quantile))
    length = int(np.ceil(max(length, 8) / 8) * 8)
    return min(length, MAX_AUTO_SEQUENCE_LENGTH)


class TextClassifier(Task):
    """Text classification on an LSTM or Transformer backbone.

    ``fit`` learns the vocabulary and the label set from the training data;
    labels may be strings or ints. ``predict`` returns class probabilities
    (columns in the order of ``label_names``); ``classify`` returns names.

    Args:
        backbone: ``"lstm"`` or ``"transformer"`` (trained from random
            weights), or a pretrained encoder to fine-tune: a keras-hub
            preset name (``"bert_tiny_en_uncased"``), a ``kaggle://`` or
            ``hf://`` handle, a local keras-hub preset or Hugging Face
            folder (BERT, DistilBERT, RoBERTa, ALBERT, XLM-RoBERTa), or
            ``"all-minilm-l6-v2"`` (bundled by the ``[pretrained]``
            extra). Its tokenizer comes with it; of the sizes below only
            ``sequence_length`` (capped at the model's maximum) and
            ``dropout`` (the head's) apply. See
            ``nlptoolkit.backbones.preset``.
        seed: seeds Python, NumPy and Keras for a repeatable run.
        strategy: a ``tf.distribute`` strategy to build and train under
            (``batch_size`` is the global batch, split across replicas).
        mixed_precision: ``True`` builds the model under
            ``mixed_float16`` (GPU) or ``mixed_bfloat16`` (CPU); the head
            and the probabilities stay float32.
        vocabulary_size, sequence_length, hidden_dim, intermediate_dim,
        num_layers, num_heads, dropout: backbone sizes (keras-hub names).
            ``sequence_length=None`` picks the 95th percentile of the
            training texts' token counts (at most 512).
        bidirectional: LSTM reads both ways.
        tokenizer: ``"word"`` or ``"wordpiece"``.
        min_frequency: keep only tokens seen at least this often in the
            training texts (word and char levels); rarer ones become
            ``[UNK]``, so the model also learns what to make of words it
            has never seen. The classifiers' accuracy with the default
            (2): BENCHMARKS.md, "Model quality".
        learning_rate: the default peak learning rate of ``fit``'s
            warm-up + cosine schedule (``None``: 1e-3 for the LSTM, 5e-4
            for the Transformer, 5e-5 for a pretrained backbone, 1e-3 for
            a frozen one); ``fit(learning_rate=...)`` overrides it.
        freeze_backbone: pretrained backbones only: keep the pretrained
            weights fixed and train the head alone.
        pooling: pretrained backbones only: ``"cls"`` (the model's
            pooler, or its first token), ``"mean"`` (the average of the
            real tokens), or ``"auto"``: ``"mean"`` for a
            sentence-transformers checkpoint trained with mean pooling
            (all-MiniLM-L6-v2), ``"cls"`` otherwise.

    Example:
    >>> import nlptoolkit
    >>> clf = nlptoolkit.TextClassifier(
    ...     "lstm", hidden_dim=8, bidirectional=False, vocabulary_size=64,
    ...     seed=1)
    >>> texts = ["good film", "great plot", "bad film", "awful plot"] * 4
    >>> labels = ["pos", "pos", "neg", "neg"] * 4
    >>> _ = clf.fit(texts, labels, epochs=1, verbose=0)
    >>> clf.predict(["good plot"]).shape
    (1, 2)
    >>> clf.classify(["good plot"])[0] in ("neg", "pos")
    True

    ``export(path)`` writes a SavedModel whose ``serving_default``
    signature takes ``texts`` (``tf.string``, ``[None]``) and returns
    ``labels`` (``tf.string``, ``[None]``) and ``probabilities``
    (float32, ``[None, num_classes]``, columns in ``label_names`` order).
    """

    task_id = "classification"
    defaults = {
        "vocabulary_size": 20000,
        "sequence_length": None,
        "hidden_dim": 128,
        "intermediate_dim": 256,
        "num_layers": 1,
        "num_heads": 4,
        "dropout": 0.3,
        "bidirectional": True,
        "tokenizer": "word",
        "min_frequency": 2,
        "learning_rate": None,
        "freeze_backbone": False,
        "pooling": "auto",
    }
    param_choices = {
        "tokenizer": ("word", "char", "wordpiece"),
        "pooling": ("auto", "cls", "mean"),
    }
    backbone_defaults = {"pretrained": {"dropout": 0.1}}
    supports_pretrained = True
    pretrained_arguments = (
        "sequence_length",
        "dropout",
        "learning_rate",
        "freeze_backbone",
        "pooling",
    )
    # Peak learning rates of the warm-up + cosine schedule by backbone.
    learning_rates = {
        "lstm": 1e-3,
        "transformer": 5e-4,
        "pretrained": 5e-5,
        "frozen": 1e-3,
    }
    # ``fit``'s epochs when none are given: a pretrained model needs few.
    default_epochs = {"default": 5, "pretrained": 3}
    compile_metrics = ["accuracy"]
    # ``fit``'s defaults (nlptoolkit.training.policy): AdamW, warm-up +
    # cosine, early stopping on validation accuracy then loss.
    training_policies = {
        "default": policy.TrainingPolicy(monitor=("val_accuracy", "val_loss"))
    }

    def __init__(self, backbone="lstm", **kwargs):
        super().__init__(backbone, **kwargs)
        self.labels = None
        self.label_names = None
        self.training_config = None

    # ------------------------------------------------------------ labels
    def _label_names_for(self, labels):
        return [str(label) for label in labels]

    def _learn_labels(self, labels):
        values = set(labels)
        kinds = {type(v) for v in values}
        if len(kinds) > 1:
            raise TypeError(
                "`labels` mixes ints and strings (received types "
                f"{sorted(k.__name__ for k in kinds)}). Use one type."
            )
        if len(values) < 2:
            raise ValueError(
                "A classifier needs at least two classes in `labels`. "
                f"Received only {sorted(values)}. Check the label column."
            )
        self.labels = sorted(values)
        self.label_names = self._label_names_for(self.labels)

    def _label_ids(self, labels, name="labels"):
        index = {label: i for i, label in enumerate(self.labels)}
        by_name = {n: i for i, n in enumerate(self.label_names)}
        ids = []
        for position, label in enumerate(labels):
            if label in index:
                ids.append(index[label])
            elif isinstance(label, str) and label in by_name:
                ids.append(by_name[label])
            else:
                raise ValueError(
                    f"`{name}[{position}]` is {label!r}, a label this model "
                    f"was not trained on. Known labels: {self.labels}."
                )
        return np.asarray(ids, dtype="int32")

    # ------------------------------------------------------------ build
    def _check_params(self):
        super()._check_params()  # freeze_backbone: True or False.
        freeze = self.params.get("freeze_backbone", False)
        if freeze and not self.pretrained:
            raise ValueError(
                f"{type(self).__name__}: `freeze_backbone=True` keeps "
                "pretrained weights fixed, but backbone="
                f"{self.backbone_name!r} starts from random weights and "
                "would never learn. Pass a pretrained backbone (a keras-hub "
                "preset or a model folder), or drop freeze_backbone."
            )

    def _learning_rate(self):
        if self.params["learning_rate"] is not None:
            return self.params["learning_rate"]
        kind = self.backbone_kind
        if self.params.get("freeze_backbone"):
            kind = "frozen"
        return self.learning_rates[kind]

    def _backbone_kwargs(self, sequence_length):
        p = self.params
        common = {
            "vocabulary_size": p["vocabulary_size"],
            "hidden_dim": p["hidden_dim"],
            "num_layers": p["num_layers"],
            "dropout": p["dropout"],
        }
        if self.backbone_name == "lstm":
            return {**common, "bidirectional": p["bidirectional"]}
        return {
            **common,
            "sequence_length": sequence_length,
            "intermediate_dim": p["intermediate_dim"],
            "num_heads": p["num_heads"],
        }

    def _build_pretrained(self, texts):
        """The model on the preset's backbone and tokenizer (nothing is
        trained)."""
        from nlptoolkit.backbones.preset import PretrainedBackbone
        from nlptoolkit.backbones.preset import check_encoder
        from nlptoolkit.backbones.preset import load_hub_preprocessor
        from nlptoolkit.backbones.preset import preferred_pooling
        from nlptoolkit.preprocessing import PresetTokenizer
        from nlptoolkit.tasks.scale import resolve_precision

        info = self.preset_info
        check_encoder(info)
        preprocessor = load_hub_preprocessor(info, sequence_length=8)
        tokenizer = PresetTokenizer(preprocessor, sequence_length=8)
        pooling = self.params["pooling"]
        if pooling == "auto":
            pooling = preferred_pooling(info)
        backbone = PretrainedBackbone.from_preset(
            info,
            pad_token_id=tokenizer.pad_token_id,
            pooling=pooling,
            dtype=resolve_precision(self.mixed_precision),
        )
        limit = backbone.max_sequence_length or MAX_AUTO_SEQUENCE_LENGTH
        sequence_length = self._check_fits(
            "sequence_length",
            self.params["sequence_length"],
            limit,
            " (longer texts are cut), or None to choose from the data",
        )
        if sequence_length is None:
            counts = tokenizer.token_counts(texts[:20000])
            sequence_length = min(choose_sequence_length(counts), limit)
            logger.info("Chose sequence_length=%d", sequence_length)
        tokenizer = PresetTokenizer(preprocessor, sequence_length)
        backbone.set_backbone_trainable(not self.params["freeze_backbone"])
        return self._assemble(
            backbone, tokenizer, sequence_length, pretrained=info.manifest()
        )

    def _tokenizer_training(self):
        return {"min_frequency": self.params["min_frequency"]}

    def _build_from_scratch(self, texts, tokenizer):
        sequence_length = self.params["sequence_length"]
        if sequence_length is None:
            lengths = tokenizer.tokenize_ragged(texts[:20000]).row_lengths()
            sequence_length = choose_sequence_length(lengths.numpy())
            logger.info("Chose sequence_length=%d", sequence_length)
        backbone = backbones_lib.get(
            self.backbone_name, **self._backbone_kwargs(sequence_length)
        )
        return self._assemble(backbone, tokenizer, sequence_length)

    def _assemble(self, backbone, tokenizer, sequence_length, pretrained=None):
        head = ClassificationHead(
            num_classes=len(self.labels), dropout=self.params["dropout"]
        )
        config = self._task_config()
        config.update(
            {
                "sequence_length": sequence_length,
                "labels": self.labels,
                "label_names": self.label_names,
                "pretrained": pretrained,
            }
        )
        return TaskModel(backbone, head, tokenizer, task_config=config)

    def _restore(self, model):
        super()._restore(model)
        self.labels = list(model.task_config["labels"])
        self.label_names = list(model.task_config["label_names"])

    def _loss(self, model):
        return "sparse_categorical_crossentropy"

    # ------------------------------------------------- hooks of Task._fit
    def _fit_begin(self, data):
        labels = data[1]
        if self.model is None:
            self._learn_labels(labels)
        else:  # Unseen labels fail here, before any are held out.
            self._label_ids(labels)

    def _check_validation(self, validation_data):
        pair = check(
            "validation_data", validation_data, Pair("(texts, labels)")
        )
        return as_texts_and_labels(*pair, name="validation texts")

    def _stratify(self, data):
        return data[1]

    def _arrays(self, texts, labels, name="labels"):
        return self.encode(texts), self._label_ids(labels, name)

    def _validation_arrays(self, validation):
        return self._arrays(*validation, name="validation labels")

    def _fit_inputs(self, x, y, validation, batch_size):
        if not self.pretrained:
            return super()._fit_inputs(x, y, validation, batch_size)
        # Length-bucketed batches, padded per batch.
        from nlptoolkit.training.bucketing import expected_retracing

        x = self._bucketed(x, y, batch_size, shuffle=True)
        if validation is not None:
            validation = self._bucketed(*validation, batch_size)
        return x, None, validation, expected_retracing()

    def _run_record(self, class_weight):
        names = self.label_names
        return {
            "length_bucketing": self.pretrained,
            "class_weight": None
            if class_weight is None
            else {names[i]: w for i, w in class_weight.items()},
        }

    # ------------------------------------------------------------ verbs
    @takes_options_of(Task._fit)
    def fit(self, texts, labels=None, **options):
        """Train on raw texts and labels; returns the Keras ``History``.

        ``texts`` may be a list, numpy array, pandas Series, or a tf.data
        Dataset of ``(text, label)``.

        Defaults that need no tuning: AdamW (weight decay 0.01) with
        gradient clipping (``clipnorm=1.0``), a linear warm-up over the
        first 10% of the steps then cosine decay to 0 at the last step
        (``nlptoolkit.training.WarmupCosineDecay``, sized
        ``ceil(rows / batch_size) * epochs`` here; a later ``fit`` runs a
        new cycle over its own steps, keeping the optimizer's moments),
        and early stopping with the best epoch's weights restored:
        training stops after an epoch that improved neither
        ``val_accuracy`` nor ``val_loss`` (patience 1), and keeps the epoch
        with the best ``val_accuracy``, ties broken by ``val_loss``.

        A pretrained backbone is fine-tuned the same way, at a peak rate of
        5e-5 (1e-3 with ``freeze_backbone``, where only the head learns),
        on length-bucketed batches: rows of similar token counts are
        batched together and each batch is padded to its own longest row
        (``nlptoolkit.training.bucketing``), so short texts do not pay for
        ``sequence_length`` positions.

        Args:
            epochs: passes over the data (None: 3 for a pretrained
                backbone, 5 otherwise; early stopping may stop sooner).
            validation_data: a ``(texts, labels)`` pair. Without it and
                with ``early_stopping``, ``validation_split`` of the rows
                (stratified by label, seeded) are held out for early
                stopping, and logged.
            early_stopping: True (patience 1), an int (the patience: epochs
                without progress before stopping), or False: train all
                ``epochs`` on all rows. None: True.
            optimizer: ``"adamw"``, ``"adam"``, ``"sgd"`` or a Keras
                optimizer instance. None: ``"adamw"``.
            learning_rate: the peak (``"cosine"``) or constant learning
                rate; None uses the constructor's ``learning_rate``.
                ``find_learning_rate`` suggests one.
            schedule: ``"cosine"`` or ``"constant"`` (None: cosine; see
                ``nlptoolkit.training.policy`` for its length under
                ``max_seconds``).
            validation_split: the share held out when
                ``validation_data`` is None (None or 0: none).
            class_weight: ``"balanced"`` (weights ``rows / (classes *
                count)``, scikit-learn's ``compute_class_weight``) or a
                ``{label: weight}`` dict.
            tensorboard_dir: write TensorBoard logs (epoch scalars,
                learning rate, the model graph) there.
            max_seconds: stop after that much wall time.
            checkpoint_dir: back up weights, optimizer and epoch there
                after every epoch; after a crash, the same ``fit`` call
                (same data and settings) resumes from the last backed-up
                epoch. Deleted when training finishes.

        Changing ``optimizer``, ``learning_rate`` or ``schedule`` between
        ``fit`` calls recompiles with a fresh optimizer.
        ``training_config`` describes the last fit.
        """
        return self._fit(as_texts_and_labels(texts, labels), **options)

    def _bucketed(self, token_ids, labels, batch_size, shuffle=False):
        """A tf.data dataset of length-bucketed ``(ids, labels)``."""
        from nlptoolkit.training.bucketing import bucketed_dataset

        return bucketed_dataset(
            token_ids,
            self._lengths(token_ids),
            labels,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=self.seed or 0,
        )

    def _lengths(self, token_ids):
        pad = getattr(self.tokenizer, "pad_token_id", 0)
        return (np.asarray(token_ids) != pad).sum(axis=1)

    def _class_weight(self, class_weight, label_ids):
        class_weight = check(
            "class_weight",
            class_weight,
            Options(["balanced"]),
            InstanceOf(dict, description="a {label: weight} dict"),
            None,
        )
        if class_weight is None:
            return None
        if class_weight == "balanced":
            return training.balanced_class_weight(label_ids, len(self.labels))
        ids = self._label_ids(list(class_weight), "class_weight keys")
        weights = dict.fromkeys(range(len(self.labels)), 1.0)
        weights.update(
            {
                int(i): float(w)
                for i, w in zip(ids, class_weight.values(), strict=True)
            }
        )
        return weights

    @takes_options_of(Task._find_learning_rate, lr_range_test)
    def find_learning_rate(self, texts, labels=None, **options):
        """Learning-rate range test; returns an ``LRFinderResult``.

        Trains on ``texts`` for a fraction of an epoch with the learning
        rate growing exponentially from ``min_learning_rate`` to
        ``max_learning_rate`` (constant per step, on a fresh ``optimizer``;
        None: of the kind ``fit`` uses by default), then restores every
        model variable: the model and its compiled optimizer are exactly
        as before. Builds the model first when ``fit`` has not (from
        ``texts``: pass the rows you will train on). Runs on one replica
        (no ``strategy``).

        The result has ``frame`` (a DataFrame of ``lr``, ``loss`` and
        ``smoothed_loss``, a centred moving average over 10% of the
        steps), ``suggestion`` (by ``method``: ``"minimum"``, the rate of
        the lowest smoothed loss / 20, or ``"steepest"``, where the
        smoothed loss falls fastest; both are kept as ``minimum`` and
        ``steepest``) and ``plot(path)``. Use it as
        ``fit(..., learning_rate=result.suggestion)``; the CLI's
        ``train --find-lr`` does. See ``nlptoolkit.training.lr_finder``.

        Example:
        >>> import nlptoolkit
        >>> clf = nlptoolkit.TextClassifier(
        ...     "lstm", hidden_dim=8, vocabulary_size=64, seed=1)
        >>> texts = ["good film", "bad film"] * 16
        >>> labels = ["pos", "neg"] * 16
        >>> result = clf.find_learning_rate(texts, labels, num_steps=20)
        >>> list(result.frame.columns), result.suggestion > 0
        (['lr', 'loss', 'smoothed_loss'], True)
        """
        return self._find_learning_rate(
            as_texts_and_labels(texts, labels), **options
        )

    def predict(self, texts, batch_size=64, callbacks=None, verbose=0):
        """Class probabilities, shape ``(len(texts), num_classes)``.

        Empty and whitespace-only texts are valid: they hold no tokens,
        and the model gives its prior for an empty input.
        """
        texts = as_texts(texts)
        check_positive_int("batch_size", batch_size)
        model = self._require_model()
        token_ids = self.encode(texts)
        if self.pretrained:  # Length-sorted batches, back in input order.
            from nlptoolkit.training.bucketing import predict_bucketed

            return predict_bucketed(
                model,
                token_ids,
                self._lengths(token_ids),
                batch_size=batch_size,
                callbacks=check_callbacks(callbacks),
                verbose=verbose,
            )
        return model.predict(
            token_ids,
            batch_size=batch_size,
            callbacks=check_callbacks(callbacks),
            verbose=verbose,
        )

    def _serving_function(self, max_length):
        import tensorflow as tf

        if max_length is not None:
            raise ValueError(
                "`max_length` applies to generators and summarizers; a "
                f"classifier has none. Received: max_length={max_length!r}."
            )
        model = self._require_model()
        tokenizer = model.tokenizer
        sequence_length = model.task_config["sequence_length"]
        label_names = list(self.label_names)

        def serve(texts):
            ids = tokenizer.tokenize(texts, sequence_length)
            probabilities = tf.cast(model(ids, training=False), tf.float32)
            best = tf.argmax(probabilities, axis=-1)
            labels = tf.gather(tf.constant(label_names), best)
            return {"labels": labels, "probabilities": probabilities}

        return "texts", serve

    def classify(self, texts, batch_size=64):
        """The most likely label name for each text (a list of str)."""
        probabilities = self.predict(texts, batch_size=batch_size)
        return [self.label_names[i] for i in probabilities.argmax(axis=-1)]

    def evaluate(self, texts, labels=None, batch_size=64):
        """Accuracy, macro-F1, per-class precision/recall/F1 and the
        confusion matrix, as a dict of plain Python values."""
        texts, labels = as_texts_and_labels(texts, labels)
        self._require_model()
        y_true = self._label_ids(labels)
        y_pred = self.predict(texts, batch_size=batch_size).argmax(axis=-1)
        return classification_metrics(y_true, y_pred, self.label_names)

    def top_losses(self, texts, labels=None, k=10, batch_size=64):
        """The ``k`` examples with the highest loss, worst first.

        Returns a pandas DataFrame with columns ``text``, ``true``,
        ``predicted``, ``loss`` (cross-entropy of the true label, nats) and
        ``probability`` (of the predicted label), indexed by position in
        ``texts``; ``k=None`` returns every row.

        Example:
        >>> import nlptoolkit
        >>> clf = nlptoolkit.TextClassifier(
        ...     "lstm", hidden_dim=8, vocabulary_size=64, seed=1)
        >>> texts, labels = ["good", "bad"] * 8, ["pos", "neg"] * 8
        >>> _ = clf.fit(texts, labels, epochs=1, verbose=0)
        >>> frame = clf.top_losses(texts, labels, k=3)
        >>> len(frame), list(frame.columns)[:4]
        (3, ['text', 'true', 'predicted', 'loss'])
        """
        texts, labels = as_texts_and_labels(texts, labels)
        self._require_model()
        y_true = self._label_ids(labels)
        probabilities = self.predict(texts, batch_size=batch_size)
        return training.classification_top_losses(
            texts, y_true, probabilities, self.label_names, k=k
        )
