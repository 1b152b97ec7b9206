"""Boundary checks shared by `nlptoolkit.metrics` and `nlptoolkit.baselines`.

Every helper raises an error that says what was received, what was expected
and how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping

import numpy as np


def _describe(value) -> str:
    """A short description of `value` for error messages."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def check_texts(value, name: str = "texts", allow_empty_strings=True):
    """Returns `value` as a non-empty list of `str`, or raises.

    A bare string is a `TypeError` whose message suggests `[text]`; an empty
    batch is a `ValueError`; a non-string element is a `TypeError` naming its
    index.
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(
            f"`{name}` must be a list of strings, not a single string. "
            f"Received: {name}={_describe(value)}. "
            f"To pass one text, wrap it in a list: [text]."
        )
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise TypeError(
            f"`{name}` must be a list of strings. "
            f"Received: {name}={_describe(value)}."
        )
    texts = list(value)
    if not texts:
        raise ValueError(
            f"`{name}` is empty. Expected at least one string. "
            f"Received: {name}=[]."
        )
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(
                f"`{name}` must contain only strings; element {index} is "
                f"{_describe(text)}. Convert it with str() or drop it."
            )
        if not allow_empty_strings and not text.strip():
            raise ValueError(
                f"`{name}` element {index} is an empty string. Remove empty "
                f"texts before calling."
            )
    return texts


def check_sequence(value, name: str) -> list:
    """Returns `value` as a non-empty list (any element type), or raises."""
    if isinstance(value, (str, bytes)):
        raise TypeError(
            f"`{name}` must be a list or array, not a single string. "
            f"Received: {name}={_describe(value)}. Wrap it in a list: [value]."
        )
    if isinstance(value, np.ndarray):
        if value.ndim != 1:
            raise ValueError(
                f"`{name}` must be one-dimensional. Received an array of "
                f"shape {value.shape}."
            )
        items = value.tolist()
    elif isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise TypeError(
            f"`{name}` must be a list or array. "
            f"Received: {name}={_describe(value)}."
        )
    else:
        items = list(value)
    if not items:
        raise ValueError(
            f"`{name}` is empty. Expected at least one element. "
            f"Received: {name}=[]."
        )
    return items


def check_same_length(first, second, first_name: str, second_name: str):
    """Raises `ValueError` when two batches differ in length."""
    if len(first) != len(second):
        raise ValueError(
            f"`{first_name}` and `{second_name}` must have the same length. "
            f"Received: len({first_name})={len(first)}, "
            f"len({second_name})={len(second)}."
        )


def check_positive_int(value, name: str, minimum: int = 1) -> int:
    """Returns `value` if it is an int >= `minimum`, else raises."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(
            f"`{name}` must be an integer >= {minimum}. "
            f"Received: {name}={_describe(value)}."
        )
    if value < minimum:
        raise ValueError(
            f"`{name}` must be an integer >= {minimum}. "
            f"Received: {name}={value}."
        )
    return int(value)
