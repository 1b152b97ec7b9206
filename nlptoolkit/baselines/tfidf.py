"""TF-IDF n-grams with a linear classifier: the bar for text classification."""

from __future__ import annotations

import logging

import numpy as np

from nlptoolkit.baselines.config import ConstructorConfig
from nlptoolkit.checks import check_choice
from nlptoolkit.checks import check_positive_int
from nlptoolkit.checks import check_positive_number
from nlptoolkit.checks import check_same_length
from nlptoolkit.checks import check_seed
from nlptoolkit.checks import check_sequence
from nlptoolkit.checks import check_texts
from nlptoolkit.checks import describe_value
from nlptoolkit.metrics import classification_metrics
from nlptoolkit.validation import POSITIVE_INT
from nlptoolkit.validation import Constraint
from nlptoolkit.validation import check

logger = logging.getLogger(__name__)

CLASSIFIERS = ("logreg", "svm")
# Regularisation used when `C=None`, chosen on this project's data
# (ngram_range=(1, 2), sublinear TF, SST-2 and TREC-6). What the logreg
# default scores: the baseline column of BENCHMARKS.md, "Model quality".
DEFAULT_C = {"logreg": 10.0, "svm": 1.0}


class _NgramRange(Constraint):
    """A pair ``(min_n, max_n)`` of n-gram sizes (as a tuple of ints)."""

    description = "a pair (min_n, max_n) of integers with 1 <= min_n <= max_n"

    def accepts(self, value):
        return (
            isinstance(value, (tuple, list))
            and len(value) == 2
            and all(POSITIVE_INT.accepts(n) for n in value)
            and value[0] <= value[1]
        )

    def normalise(self, value):
        return tuple(int(n) for n in value)


# What `ngram_range` may be.
NGRAM_RANGE = _NgramRange()


class TfidfLogisticRegression(ConstructorConfig):
    """TF-IDF word n-grams followed by a linear classifier.

    A scikit-learn `Pipeline` of `TfidfVectorizer(sublinear_tf=True,
    ngram_range=ngram_range, max_features=max_features)` and either
    `LogisticRegression` (`classifier="logreg"`, the default) or
    `LinearSVC` (`classifier="svm"`). The vectoriser lowercases and keeps
    tokens of two or more word characters.

    Logistic regression uses the `"sag"` solver: it reaches the same
    optimum as the default `"lbfgs"`, many times faster on TF-IDF
    features.

    Its test accuracy with the defaults, beside every classification
    model: BENCHMARKS.md, "Model quality: every recipe in tasks/ beside
    its baseline" (the baseline column).

    Args:
        ngram_range: `(min_n, max_n)` word n-gram sizes.
        max_features: keep only the most frequent n-grams (None: all).
        C: inverse regularisation strength. `None` picks the measured
            default for the classifier: 10.0 for `"logreg"`, 1.0 for
            `"svm"`.
        classifier: `"logreg"` or `"svm"`.
        seed: random seed passed to the classifier.
        max_iter: iteration limit of the classifier's solver.

    Example:
    >>> from nlptoolkit.baselines import TfidfLogisticRegression
    >>> texts = ["a great film", "great acting", "a dull film", "dull plot"]
    >>> labels = ["pos", "pos", "neg", "neg"]
    >>> model = TfidfLogisticRegression().fit(texts, labels)
    >>> model.predict(["great plot"]).tolist()
    ['pos']
    >>> model.evaluate(["dull acting"], ["neg"])["accuracy"]
    1.0
    """

    def __init__(
        self,
        ngram_range=(1, 2),
        max_features=None,
        C=None,
        classifier="logreg",
        seed=0,
        max_iter=1000,
    ):
        self.ngram_range = check("ngram_range", ngram_range, NGRAM_RANGE)
        self.max_features = check_positive_int(
            "max_features", max_features, allow_none=True
        )
        self.C = check_positive_number("C", C, allow_none=True)
        self.classifier = check_choice("classifier", classifier, CLASSIFIERS)
        self.seed = check_seed("seed", seed)
        self.max_iter = check_positive_int("max_iter", max_iter)
        self.pipeline = None

    @property
    def classes_(self) -> np.ndarray:
        """The labels seen by `fit`, in the classifier's order."""
        self._check_fitted()
        return self.pipeline.classes_

    def _build(self):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline
        from sklearn.svm import LinearSVC

        C = DEFAULT_C[self.classifier] if self.C is None else float(self.C)
        if self.classifier == "logreg":
            estimator = LogisticRegression(
                C=C,
                solver="sag",
                max_iter=self.max_iter,
                random_state=self.seed,
            )
        else:
            estimator = LinearSVC(
                C=C, max_iter=self.max_iter, random_state=self.seed
            )
        vectorizer = TfidfVectorizer(
            sublinear_tf=True,
            ngram_range=self.ngram_range,
            max_features=self.max_features,
        )
        return Pipeline([("tfidf", vectorizer), ("classifier", estimator)])

    def _check_fitted(self):
        if self.pipeline is None:
            raise RuntimeError(
                "This TfidfLogisticRegression is not fitted yet. Call "
                "`fit(texts, labels)` first."
            )

    def fit(self, texts, labels):
        """Fits the vectoriser and classifier.

        Args:
            texts: list of strings.
            labels: list or 1-D array of labels (strings or ints), one per
                text, with at least two distinct values.

        Returns:
            `self`, so calls can be chained.
        """
        texts = check_texts(texts, "texts")
        labels = check_sequence(labels, "labels")
        check_same_length(texts, labels, "texts", "labels")
        distinct = set(labels)
        if len(distinct) < 2:
            raise ValueError(
                "`labels` must hold at least two distinct classes. "
                f"Received only {sorted(map(str, distinct))}."
            )
        pipeline = self._build()
        pipeline.fit(texts, np.asarray(labels))
        self.pipeline = pipeline
        logger.info(
            "Fitted TF-IDF + %s on %d texts, %d classes, %d features",
            self.classifier,
            len(texts),
            len(distinct),
            len(pipeline.named_steps["tfidf"].vocabulary_),
        )
        return self

    def predict(self, texts) -> np.ndarray:
        """Predicted labels, as a numpy array of the labels given to `fit`.

        Args:
            texts: list of strings (wrap a single text: `[text]`).
        """
        self._check_fitted()
        texts = check_texts(texts, "texts")
        return self.pipeline.predict(texts)

    def evaluate(self, texts, labels) -> dict:
        """Accuracy, macro F1, per-class scores and confusion matrix.

        Labels absent from training are appended to `label_names` (the
        model never predicts them) and a warning is logged.

        Args:
            texts: list of strings.
            labels: gold labels, one per text, of the same kind as in `fit`.

        Returns:
            The dict of `nlptoolkit.metrics.classification_metrics`
            (`accuracy`, `macro_f1`, `per_class`, `confusion_matrix`,
            `label_names`).
        """
        self._check_fitted()
        texts = check_texts(texts, "texts")
        labels = check_sequence(labels, "labels")
        check_same_length(texts, labels, "texts", "labels")
        classes = list(self.classes_.tolist())
        unseen = [
            label for label in dict.fromkeys(labels) if label not in classes
        ]
        if unseen:
            logger.warning(
                "Labels not seen in fit: %s; counted as always wrong.",
                ", ".join(describe_value(label) for label in unseen),
            )
            classes.extend(unseen)
        index = {label: i for i, label in enumerate(classes)}
        predictions = self.predict(texts).tolist()
        return classification_metrics(
            [index[label] for label in labels],
            [index[label] for label in predictions],
            [str(label) for label in classes],
        )
