"""Classification metrics: accuracy, macro F1, per-class scores, confusion."""

from __future__ import annotations

import numpy as np

from nlptoolkit.checks import check_same_length
from nlptoolkit.checks import check_sequence
from nlptoolkit.checks import describe_value


def _as_indices(values, name: str) -> np.ndarray:
    items = check_sequence(values, name)
    for index, item in enumerate(items):
        is_int = isinstance(item, (int, np.integer)) and not isinstance(
            item, bool
        )
        is_integral_float = (
            isinstance(item, (float, np.floating)) and float(item).is_integer()
        )
        if not (is_int or is_integral_float):
            raise TypeError(
                f"`{name}` must hold integer class indices; element {index} "
                f"is {describe_value(item)}. Map label names to indices first, "
                f"e.g. [label_names.index(y) for y in labels]."
            )
    array = np.asarray(items).astype(np.int64)
    if (array < 0).any():
        raise ValueError(
            f"`{name}` must hold class indices >= 0. "
            f"Received a minimum of {int(array.min())}."
        )
    return array


def classification_metrics(y_true, y_pred, label_names=None) -> dict:
    """Accuracy, macro F1, per-class scores and the confusion matrix.

    Scores come from scikit-learn with `zero_division=0` and are computed
    over every class in `label_names`, including classes absent from this
    batch (their precision, recall and F1 are then 0, which lowers
    `macro_f1`). Every value is a plain Python `float`, `int`, `str` or list,
    so the result can be written with `json.dump`.

    Args:
        y_true: sequence of integer class indices, the gold labels.
        y_pred: sequence of integer class indices, the predictions; same
            length as `y_true`.
        label_names: one name per class, index `i` naming class `i`. If
            `None`, classes are named `"0"`, `"1"`, ... up to the largest
            index seen.

    Returns:
        A dict with `accuracy`, `macro_f1`, `per_class`
        (`{name: {"precision", "recall", "f1", "support"}}`),
        `confusion_matrix` (list of lists; rows are true classes, columns
        predicted classes, in `label_names` order) and `label_names`.

    Example:
    >>> from nlptoolkit.metrics import classification_metrics
    >>> result = classification_metrics([0, 1, 1], [0, 1, 0], ["neg", "pos"])
    >>> round(result["accuracy"], 4)
    0.6667
    >>> result["confusion_matrix"]
    [[1, 0], [1, 1]]
    >>> result["per_class"]["pos"]["recall"]
    0.5
    """
    from sklearn.metrics import confusion_matrix
    from sklearn.metrics import precision_recall_fscore_support

    true = _as_indices(y_true, "y_true")
    pred = _as_indices(y_pred, "y_pred")
    check_same_length(true, pred, "y_true", "y_pred")
    largest = int(max(true.max(), pred.max()))
    if label_names is None:
        names = [str(i) for i in range(largest + 1)]
    else:
        names = [
            str(name) for name in check_sequence(label_names, "label_names")
        ]
        if len(set(names)) != len(names):
            raise ValueError(
                f"`label_names` must be unique. Received: {names}."
            )
        if largest >= len(names):
            raise ValueError(
                f"Class index {largest} found in `y_true`/`y_pred`, but "
                f"`label_names` names only {len(names)} classes "
                f"(indices 0 to {len(names) - 1}). Pass one name per class."
            )
    labels = list(range(len(names)))
    precision, recall, f1, support = precision_recall_fscore_support(
        true, pred, labels=labels, zero_division=0
    )
    matrix = confusion_matrix(true, pred, labels=labels)
    per_class = {
        name: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i, name in enumerate(names)
    }
    return {
        "accuracy": float(np.mean(true == pred)),
        "macro_f1": float(np.mean(f1)),
        "per_class": per_class,
        "confusion_matrix": [[int(v) for v in row] for row in matrix],
        "label_names": names,
    }
