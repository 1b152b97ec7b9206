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
    columns = {
        "text": list(texts),
        "true": [label_names[i] for i in true_ids],
        "predicted": [label_names[i] for i in predicted],
        "loss": loss,
        "probability": probabilities[rows, predicted],
    }
    return _worst(columns, "loss", k)


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
    k = _check_k(k, len(documents))
    columns = {
        "document": list(documents),
        "reference": [
            r if isinstance(r, str) else " | ".join(r) for r in references
        ],
        "prediction": list(predictions),
        "rougeL": rouge_l_per_example(predictions, references),
    }
    return _worst(columns, "rougeL", k, ascending=True)


def sequence_losses(model, x, y, ignore_class, batch_size=64):
    """Each row's mean cross-entropy (nats per target token) under
    ``model`` (which outputs logits ``(rows, length, vocabulary)``), and
    its number of targets; ``ignore_class`` targets are not counted.
    ``x`` may be a dict of arrays. Runs batch by batch, so the logits of
    only one batch are held at a time.

    Returns:
        ``(losses, tokens)``: float64 and int64 arrays, one entry per row
        (a row without targets has loss 0).

    Example:
    >>> import keras, numpy as np
    >>> from nlptoolkit.training.top_losses import sequence_losses
    >>> model = keras.Sequential([keras.Input((3,), dtype="int32"),
    ...     keras.layers.Embedding(5, 5)])
    >>> y = np.array([[1, 2, 0], [0, 0, 0]])
    >>> losses, tokens = sequence_losses(model, y, y, ignore_class=0)
    >>> tokens.tolist(), bool(losses[0] > 0), float(losses[1])
    ([2, 0], True, 0.0)
    """
    import keras

    from nlptoolkit.training.lr_finder import _take

    batch_size = validation.check(
        "batch_size", batch_size, validation.POSITIVE_INT
    )
    y = np.asarray(y)
    totals, counts = [], []
    for start in range(0, len(y), batch_size):
        rows = np.arange(start, min(start + batch_size, len(y)))
        logits = model(_take(x, rows), training=False)
        targets = y[rows]
        keep = targets != ignore_class
        safe = np.where(keep, targets, 0)
        loss = keras.ops.sparse_categorical_crossentropy(
            safe, keras.ops.cast(logits, "float32"), from_logits=True
        )
        loss = np.asarray(keras.ops.convert_to_numpy(loss), "float64")
        totals.append((loss * keep).sum(axis=1))
        counts.append(keep.sum(axis=1))
    totals = np.concatenate(totals)
    counts = np.concatenate(counts).astype("int64")
    return totals / np.maximum(counts, 1), counts


def language_model_top_losses(text_index, windows, losses, tokens, k=10):
    """The ``k`` windows of a language model with the highest mean loss,
    worst first.

    Args:
        text_index: the position of each window's text.
        windows: each window's target tokens, as text.
        losses: each window's mean cross-entropy (nats per token).
        tokens: each window's number of targets.
        k: how many rows to return (all when ``k`` is None).

    Returns:
        A pandas DataFrame with columns ``text``, ``window``, ``loss``
        and ``tokens``, sorted by ``loss`` descending, indexed by the
        windows' positions.

    Example:
    >>> from nlptoolkit.training.top_losses import language_model_top_losses
    >>> frame = language_model_top_losses(
    ...     [0, 0, 1], ["to be", "or not", "that"], [1.0, 3.0, 2.0],
    ...     [5, 6, 4], k=2)
    >>> frame[["text", "window"]].values.tolist()
    [[0, 'or not'], [1, 'that']]
    """
    k = _check_k(k, len(windows))
    columns = {
        "text": list(text_index),
        "window": list(windows),
        "loss": np.asarray(losses, dtype="float64"),
        "tokens": np.asarray(tokens, dtype="int64"),
    }
    return _worst(columns, "loss", k)


def _worst(columns, by, k, ascending=False):
    """A DataFrame of ``columns`` sorted by ``by`` (stable), first ``k``."""
    import pandas as pd

    frame = pd.DataFrame(columns)
    frame = frame.sort_values(by, ascending=ascending, kind="stable")
    return frame.head(k)


def _check_k(k, rows):
    """``k`` checked (a positive integer, or None: all ``rows``)."""
    k = validation.check("k", k, validation.POSITIVE_INT, None)
    return rows if k is None else k
