"""Splitting off validation data and weighting classes."""

import logging

import numpy as np

from nlptoolkit.validation import Interval
from nlptoolkit.validation import check

logger = logging.getLogger(__name__)

DEFAULT_VALIDATION_SPLIT = 0.1


def carve_validation(
    rows, fraction=DEFAULT_VALIDATION_SPLIT, stratify=None, seed=0
):
    """Split ``range(rows)`` into train and validation positions.

    ``fraction`` of the rows (at least one; rounded up) go to validation,
    drawn at random with ``seed``; with ``stratify`` (one label per row)
    the class shares are kept, as scikit-learn's ``train_test_split``
    does, whenever every class has at least two rows and the holdout can
    hold one of each (plain random otherwise).

    Returns:
        ``(train_positions, validation_positions)``, sorted numpy arrays.

    Example:
    >>> from nlptoolkit.training import carve_validation
    >>> train, val = carve_validation(20, 0.1, stratify=[0, 1] * 10)
    >>> len(train), len(val)
    (18, 2)
    """
    from sklearn.model_selection import train_test_split

    check("validation_split", fraction, Interval(float, 0, 1, closed="neither"))
    if rows < 2:
        raise ValueError(
            f"Cannot carve validation data out of {rows} row(s). Pass "
            "`validation_data`, or `early_stopping=False`."
        )
    size = max(1, int(np.ceil(fraction * rows)))
    positions = np.arange(rows)
    labels = None
    if stratify is not None:
        _, counts = np.unique(
            np.asarray(stratify, dtype=object).astype(str), return_counts=True
        )
        if (
            counts.min() >= 2
            and size >= len(counts)
            and rows - size >= len(counts)
        ):
            labels = stratify
    train, validation = train_test_split(
        positions, test_size=size, random_state=seed, stratify=labels
    )
    return np.sort(train), np.sort(validation)


def balanced_class_weight(label_ids, num_classes):
    """``{class: weight}`` inversely proportional to class frequency.

    scikit-learn's ``compute_class_weight("balanced")``: ``rows /
    (classes_present * count(class))``; classes absent from
    ``label_ids`` get 1.0.

    Example:
    >>> from nlptoolkit.training import balanced_class_weight
    >>> balanced_class_weight([0, 0, 0, 1], 2)
    {0: 0.6666666666666666, 1: 2.0}
    """
    from sklearn.utils.class_weight import compute_class_weight

    label_ids = np.asarray(label_ids)
    present = np.unique(label_ids)
    weights = compute_class_weight("balanced", classes=present, y=label_ids)
    out = dict.fromkeys(range(num_classes), 1.0)
    out.update(
        {int(c): float(w) for c, w in zip(present, weights, strict=True)}
    )
    return out
