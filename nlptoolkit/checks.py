"""Argument checks shared by every public boundary.

Each check raises a ``ValueError`` or ``TypeError`` that names the
argument, shows what was received and says what to pass instead, as Keras
does (``Received: units=0``). Tasks check their constructor arguments
here, so a bad size fails at construction rather than deep inside Keras.

Example:
>>> from nlptoolkit.checks import check_positive_int
>>> check_positive_int("batch_size", 32)
32
>>> check_positive_int("batch_size", 0)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: `batch_size` must be a positive integer. Received: ...
"""

import math
import numbers
import os

# Constructor arguments checked by name, for every task that has them.
POSITIVE_INT_PARAMS = (
    "vocabulary_size",
    "sequence_length",
    "summary_length",
    "hidden_dim",
    "intermediate_dim",
    "num_layers",
    "num_heads",
    "min_frequency",
    "stride",
)
# The smallest accepted value where 1 is not enough.
MINIMUM = {"vocabulary_size": 8}
BOOL_PARAMS = ("bidirectional",)


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_positive_int(name, value, minimum=1, allow_none=False):
    """``value`` as an ``int`` if it is an integer >= ``minimum``."""
    if value is None and allow_none:
        return None
    if not _is_int(value) or value < minimum:
        none = " or None" if allow_none else ""
        kind = (
            "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        )
        raise ValueError(
            f"`{name}` must be {kind}{none}. Received: "
            f"{name}={value!r}. Pass an integer >= {minimum}."
        )
    return int(value)


def check_positive_number(name, value, allow_none=False):
    """``value`` as a ``float`` if it is a finite number > 0."""
    if value is None and allow_none:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(
            f"`{name}` must be a finite number > 0. Received: {name}={value!r}."
        )
    return float(value)


def check_fraction(name, value, low=0.0, high=1.0, closed_low=True):
    """A float in ``[low, high)``; ``(low, high]`` if not ``closed_low``."""
    ok = (
        not isinstance(value, bool)
        and isinstance(value, numbers.Real)
        and math.isfinite(value)
    )
    if ok:
        ok = (low <= value < high) if closed_low else (low < value <= high)
    if not ok:
        interval = f"[{low}, {high})" if closed_low else f"({low}, {high}]"
        raise ValueError(
            f"`{name}` must be a number in {interval}. Received: "
            f"{name}={value!r}."
        )
    return float(value)


def check_choice(name, value, choices):
    """``value`` if it is one of ``choices`` (a string option)."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"Unknown `{name}`. Received: {name}={value!r}. Expected one of "
            f"{list(choices)}."
        )
    return value


def check_bool(name, value):
    if not isinstance(value, bool):
        raise TypeError(
            f"`{name}` must be True or False. Received: {name}={value!r} of "
            f"type {type(value).__name__}."
        )
    return value


def check_seed(name, value):
    """A seed: ``None`` or an integer in ``[0, 2**32)``."""
    if value is None:
        return None
    if not _is_int(value) or not 0 <= value < 2**32:
        raise ValueError(
            f"`{name}` must be an integer in [0, 2**32) or None. Received: "
            f"{name}={value!r}."
        )
    return int(value)


def check_path(name, value):
    """``value`` as a ``str`` path (``str`` or ``os.PathLike``)."""
    if isinstance(value, bytes) or not isinstance(value, (str, os.PathLike)):
        raise TypeError(
            f"`{name}` must be a path (str or pathlib.Path). Received: "
            f"{name}={value!r} of type {type(value).__name__}."
        )
    path = os.fspath(value)
    if not path:
        raise ValueError(f"`{name}` is an empty path. Pass a file name.")
    return path


def check_callbacks(callbacks, name="callbacks"):
    """``callbacks`` as a list (``None`` -> ``[]``); a bare object or a
    string is a TypeError with the fix."""
    if callbacks is None:
        return []
    if isinstance(callbacks, (list, tuple)):
        return list(callbacks)
    raise TypeError(
        f"`{name}` must be a list of callbacks. Received: {callbacks!r} of "
        f"type {type(callbacks).__name__}. Wrap it in a list: "
        f"`{name}=[callback]`."
    )


def check_task_params(
    task_name, params, defaults, choices=None, backbone=None, bidirectional=None
):
    """Check a task's constructor arguments by name.

    Sizes must be positive integers (``vocabulary_size`` >= 8), ``None``
    only where the default is ``None`` (chosen from the data);
    ``dropout`` in [0, 1); ``learning_rate`` a finite number > 0;
    booleans booleans; string options one of ``choices[name]``. With
    ``backbone="transformer"``, ``num_heads`` must divide ``hidden_dim``;
    a ``bidirectional`` LSTM needs an even ``hidden_dim``.
    """
    choices = choices or {}
    for name, value in params.items():
        allow_none = defaults.get(name, 0) is None
        try:
            if name in POSITIVE_INT_PARAMS:
                check_positive_int(
                    name, value, MINIMUM.get(name, 1), allow_none
                )
            elif name == "dropout":
                check_fraction(name, value)
            elif name == "learning_rate":
                check_positive_number(name, value, allow_none)
            elif name in BOOL_PARAMS:
                check_bool(name, value)
            elif name in choices:
                check_choice(name, value, choices[name])
        except (TypeError, ValueError) as error:
            raise type(error)(f"{task_name}: {error}") from None
    width = params.get("hidden_dim")
    heads = params.get("num_heads")
    if not _is_int(width):
        return
    if backbone == "transformer" and _is_int(heads) and width % heads:
        raise ValueError(
            f"{task_name}: `num_heads` must divide `hidden_dim` (each head "
            f"gets hidden_dim // num_heads). Received: hidden_dim={width}, "
            f"num_heads={heads}. Pick e.g. num_heads=1 or a hidden_dim that "
            f"is a multiple of {heads}."
        )
    if backbone == "lstm" and bidirectional and width % 2:
        raise ValueError(
            f"{task_name}: a bidirectional LSTM splits `hidden_dim` between "
            f"its two directions, so it must be even. Received: "
            f"hidden_dim={width}. Pass an even hidden_dim (e.g. "
            f"{width + 1})."
        )
