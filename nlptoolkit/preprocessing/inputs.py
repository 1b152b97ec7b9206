"""Turn the many shapes users pass (lists, arrays, pandas, tf.data) into
plain Python lists, with errors that say what was received and the fix."""

import numpy as np

from nlptoolkit.checks import check_same_length
from nlptoolkit.checks import check_texts


def _is_tf_dataset(value):
    try:
        import tensorflow as tf
    except ImportError:  # pragma: no cover
        return False
    return isinstance(value, tf.data.Dataset)


def _python_value(value):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    return value


def dataset_to_lists(dataset):
    """Read a ``tf.data.Dataset`` of texts or ``(text, label)`` pairs,
    batched or not, into ``(texts, labels_or_None)``."""
    texts, labels = [], []
    has_labels = None
    for element in dataset.as_numpy_iterator():
        if isinstance(element, tuple):
            has_labels = True
            text, label = element[0], element[1]
        else:
            has_labels = False
            text, label = element, None
        text = np.asarray(text)
        if text.ndim == 0:
            texts.append(_python_value(text.item()))
            if has_labels:
                labels.append(_python_value(np.asarray(label).item()))
        else:
            texts.extend(_python_value(t) for t in text.tolist())
            if has_labels:
                labels.extend(
                    _python_value(v) for v in np.asarray(label).tolist()
                )
    return texts, (labels if has_labels else None)


def as_texts(texts, name="texts"):
    """Texts from a list/array/Series or a tf.data.Dataset of strings."""
    if _is_tf_dataset(texts):
        texts, _ = dataset_to_lists(texts)
    return check_texts(texts, name)


def as_texts_and_labels(texts, labels=None, name="texts"):
    """Return ``(texts, labels)`` as lists; ``texts`` may be a tf.data
    Dataset of ``(text, label)`` pairs, in which case ``labels`` is None."""
    if _is_tf_dataset(texts):
        texts, dataset_labels = dataset_to_lists(texts)
        if labels is None:
            labels = dataset_labels
    if labels is None:
        raise ValueError(
            "`labels` is missing. Pass `fit(texts, labels)` or a tf.data "
            "Dataset of `(text, label)` pairs."
        )
    texts = check_texts(texts, name)
    if isinstance(labels, (str, bytes)):
        raise TypeError(
            f"`labels` must be a list, received a single string {labels!r}. "
            "Wrap it in a list."
        )
    if hasattr(labels, "tolist"):
        labels = labels.tolist()
    labels = [_python_value(v) for v in labels]
    check_same_length(texts, labels, name, "labels")
    for index, label in enumerate(labels):
        if label is None or (isinstance(label, float) and np.isnan(label)):
            raise ValueError(
                f"`labels[{index}]` is missing (received {label!r}). Drop "
                "rows without a label first, e.g. `df.dropna()`."
            )
        if isinstance(label, bool) or not isinstance(label, (int, str)):
            if isinstance(label, float) and label.is_integer():
                labels[index] = int(label)
                continue
            raise TypeError(
                f"`labels[{index}]` must be an int or a string. Received: "
                f"{label!r} of type {type(label).__name__}."
            )
    return texts, labels
