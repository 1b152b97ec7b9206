"""The examples a model gets most wrong: highest loss, lowest ROUGE."""

import numpy as np

from nlptoolkit import validation


def classification_top_losses(
    texts, true_ids, probabilities, label_names, k=10
):
    """The ``k`` examples with the highest cross-entropy, worst first.

    Args:
        texts: the input texts.
        true_ids: the true class index of each text.
        probabilities: ``(len(texts), num_classes)`` predicted
            probabilities.
        label_names: one name per class.
        k: how many rows to return (all when ``k`` is None).

    Returns:
        A pandas DataFrame with columns ``text``, ``true``, ``predicted``,
        ``loss`` (``-log p(true)``, nats) and ``probability`` (of the
        predicted class), sorted by ``loss`` descending, indexed by the
        examples' positions in ``texts``.

    Example:
    >>> from nlptoolkit.training import classification_top_losses
    >>> frame = classification_top_losses(
    ...     ["good", "bad"], [1, 1], [[0.2, 0.8], [0.9, 0.1]], ["neg", "pos"],
    ...     k=1)
    >>> frame[["text", "true", "predicted"]].values.tolist()
    [['bad', 'pos', 'neg']]
    """
    import pandas as pd

    probabilities = np.asarray(probabilities, dtype="float64")
    true_ids = np.asarray(true_ids, dtype="int64")
    if probabilities.ndim != 2 or len(probabilities) != len(texts):
        raise ValueError(
            "`probabilities` must have one row per text. Received shape "
            f"{probabilities.shape} for {len(texts)} texts."
        )
    k = _check_k(k, len(texts))
    rows = np.arange(len(texts))
    loss = -np.log(np.clip(probabilities[rows, true_ids], 1e-12, 1.0))
    predicted = probabilities.argmax(axis=-1)
    frame = pd.DataFrame(
        {
            "text": list(texts),
            "true": [label_names[i] for i in true_ids],
            "predicted": [label_names[i] for i in predicted],
            "loss": loss,
            "probability": probabilities[rows, predicted],
        }
    )
    frame = frame.sort_values("loss", ascending=False, kind="stable")
    return frame.head(k)


def rouge_l_per_example(predictions, references):
    """ROUGE-L F1 (percent) of each prediction against its reference(s),
    scored as :func:`nlptoolkit.metrics.rouge` scores the mean.

    Example:
    >>> from nlptoolkit.training.top_losses import rouge_l_per_example
    >>> rouge_l_per_example(["the cat sat", "a dog"], ["the cat sat", "x"])
    [100.0, 0.0]
    """
    from rouge_score import rouge_scorer

    from nlptoolkit.metrics.summarization import _normalise_references

    groups = _normalise_references(references)
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    scores = []
    for prediction, group in zip(predictions, groups, strict=True):
        if len(group) == 1:
            score = scorer.score(group[0], prediction)
        else:
            score = scorer.score_multi(group, prediction)
        scores.append(100.0 * score["rougeL"].fmeasure)
    return scores


def summarization_top_losses(documents, references, predictions, k=10):
    """The ``k`` summaries with the lowest ROUGE-L, worst first.

    Returns:
        A pandas DataFrame with columns ``document``, ``reference``,
        ``prediction`` and ``rougeL`` (F1, percent), sorted by ``rougeL``
        ascending, indexed by the examples' positions.

    Example:
    >>> from nlptoolkit.training import summarization_top_losses
    >>> frame = summarization_top_losses(
    ...     ["d1", "d2"], ["the cat sat", "a dog ran"],
    ...     ["the cat sat", "the cat"], k=2)
    >>> frame["rougeL"].tolist()
    [0.0, 100.0]
    """
    import pandas as pd

    k = _check_k(k, len(documents))
    frame = pd.DataFrame(
        {
            "document": list(documents),
            "reference": [
                r if isinstance(r, str) else " | ".join(r) for r in references
            ],
            "prediction": list(predictions),
            "rougeL": rouge_l_per_example(predictions, references),
        }
    )
    frame = frame.sort_values("rougeL", ascending=True, kind="stable")
    return frame.head(k)


def _check_k(k, rows):
    """``k`` checked (a positive integer, or None: all ``rows``)."""
    k = validation.check("k", k, validation.POSITIVE_INT, None)
    return rows if k is None else k
