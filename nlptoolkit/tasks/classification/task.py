"""TextClassifier: raw strings in, class probabilities and label names out."""

import logging

import keras
import numpy as np

from nlptoolkit import backbones as backbones_lib
from nlptoolkit.heads import ClassificationHead
from nlptoolkit.metrics import classification_metrics
from nlptoolkit.preprocessing import Tokenizer
from nlptoolkit.preprocessing import as_texts
from nlptoolkit.preprocessing import as_texts_and_labels
from nlptoolkit.tasks.task import Task
from nlptoolkit.tasks.task import TaskModel
from nlptoolkit.tasks.task import set_seed

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
        backbone: ``"lstm"`` or ``"transformer"``.
        seed: seeds Python, NumPy and Keras for a repeatable run.
        strategy: a ``tf.distribute`` strategy to build and train under.
        vocabulary_size, sequence_length, hidden_dim, intermediate_dim,
        num_layers, num_heads, dropout: backbone sizes (keras-hub names).
            ``sequence_length=None`` picks the 95th percentile of the
            training texts' token counts (at most 512).
        bidirectional: LSTM reads both ways.
        tokenizer: ``"word"`` or ``"wordpiece"``.
        learning_rate: Adam's learning rate (``None``: 1e-3 for the LSTM,
            5e-4 for the Transformer).

    Example:
    >>> import nlptoolkit
    >>> clf = nlptoolkit.TextClassifier(
    ...     "lstm", hidden_dim=8, vocabulary_size=64, seed=1)
    >>> texts = ["good film", "great plot", "bad film", "awful plot"] * 4
    >>> labels = ["pos", "pos", "neg", "neg"] * 4
    >>> _ = clf.fit(texts, labels, epochs=1, verbose=0)
    >>> clf.predict(["good plot"]).shape
    (1, 2)
    >>> clf.classify(["good plot"])[0] in ("neg", "pos")
    True
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
        "learning_rate": None,
    }

    def __init__(self, backbone="lstm", **kwargs):
        super().__init__(backbone, **kwargs)
        self.labels = None
        self.label_names = None

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
    def _learning_rate(self):
        if self.params["learning_rate"] is not None:
            return self.params["learning_rate"]
        return 1e-3 if self.backbone_name == "lstm" else 5e-4

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

    def _build_model(self, texts):
        tokenizer = Tokenizer(
            level=self.params["tokenizer"],
            vocabulary_size=self.params["vocabulary_size"],
        )
        tokenizer.train(texts)
        sequence_length = self.params["sequence_length"]
        if sequence_length is None:
            lengths = tokenizer.tokenize_ragged(texts[:20000]).row_lengths()
            sequence_length = choose_sequence_length(lengths.numpy())
            logger.info("Chose sequence_length=%d", sequence_length)
        backbone = backbones_lib.get(
            self.backbone_name, **self._backbone_kwargs(sequence_length)
        )
        head = ClassificationHead(
            num_classes=len(self.labels), dropout=self.params["dropout"]
        )
        config = self._task_config()
        config.update(
            {
                "sequence_length": sequence_length,
                "labels": self.labels,
                "label_names": self.label_names,
            }
        )
        model = TaskModel(backbone, head, tokenizer, task_config=config)
        model.compile(
            optimizer=keras.optimizers.Adam(
                self._learning_rate(), clipnorm=1.0
            ),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    def _restore(self, model):
        super()._restore(model)
        self.labels = list(model.task_config["labels"])
        self.label_names = list(model.task_config["label_names"])

    # ------------------------------------------------------------ verbs
    def fit(
        self,
        texts,
        labels=None,
        validation_data=None,
        epochs=5,
        batch_size=32,
        callbacks=None,
        verbose="auto",
        early_stopping=True,
        max_seconds=None,
    ):
        """Train on raw texts and labels; returns the Keras ``History``.

        ``texts`` may be a list, numpy array, pandas Series, or a tf.data
        Dataset of ``(text, label)``. ``validation_data`` is a
        ``(texts, labels)`` pair; with it and ``early_stopping=True`` the
        weights of the best validation epoch are kept.
        """
        texts, labels = as_texts_and_labels(texts, labels)
        set_seed(self.seed)
        if self.model is None:
            self._learn_labels(labels)
            with self._scope():
                self.model = self._build_model(texts)
        x = self.encode(texts)
        y = self._label_ids(labels)
        validation = None
        if validation_data is not None:
            if (
                not isinstance(validation_data, (tuple, list))
                or len(validation_data) != 2
            ):
                raise ValueError(
                    "`validation_data` must be a `(texts, labels)` pair. "
                    f"Received: {type(validation_data).__name__}."
                )
            val_texts, val_labels = as_texts_and_labels(
                *validation_data, name="validation texts"
            )
            validation = (
                self.encode(val_texts),
                self._label_ids(val_labels, "validation labels"),
            )
        return self._train(
            x,
            y,
            validation,
            epochs=epochs,
            batch_size=batch_size,
            callbacks=callbacks,
            verbose=verbose,
            max_seconds=max_seconds,
            early_stopping_monitor="val_accuracy" if early_stopping else None,
        )

    def predict(self, texts, batch_size=64, callbacks=None, verbose=0):
        """Class probabilities, shape ``(len(texts), num_classes)``."""
        texts = as_texts(texts)
        model = self._require_model()
        return model.predict(
            self.encode(texts),
            batch_size=batch_size,
            callbacks=callbacks,
            verbose=verbose,
        )

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
