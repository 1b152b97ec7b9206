"""Argument checks shared by every public boundary.

Each check here is a thin use of :mod:`nlptoolkit.validation` (one rule,
one place): a parameter's rule is a constraint (``POSITIVE_INT``,
``SEED``, ...), checked by :func:`nlptoolkit.validation.check`, which
returns the value normalised (a NumPy integer becomes an ``int``) and
refuses it with an :class:`~nlptoolkit.validation.InvalidParameterError`
(both a ``ValueError`` and a ``TypeError``) that names the argument,
says what was expected and shows what was received, as Keras does
(``Received: units=0``). Beside them live the rules that read two values
(``num_heads`` divides ``hidden_dim``; a bidirectional LSTM needs an even
``hidden_dim``), which the tasks and the backbones share, and the batch
checks (:func:`check_texts`, :func:`check_sequence`,
:func:`check_same_length`) every verb, metric and baseline uses.

Example:
>>> from nlptoolkit.checks import check_positive_int
>>> check_positive_int("batch_size", 32)
32
>>> check_positive_int("batch_size", 0)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
nlptoolkit.validation.InvalidParameterError: `batch_size` must be a \
positive integer (>= 1). Received: batch_size=0.
"""

import collections.abc

from nlptoolkit.validation import BOOL
from nlptoolkit.validation import FRACTION
from nlptoolkit.validation import POSITIVE_FLOAT
from nlptoolkit.validation import POSITIVE_INT
from nlptoolkit.validation import SEED
from nlptoolkit.validation import InstanceOf
from nlptoolkit.validation import Interval
from nlptoolkit.validation import InvalidParameterError
from nlptoolkit.validation import Options
from nlptoolkit.validation import PathLike
from nlptoolkit.validation import check
from nlptoolkit.validation import validate

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
BOOL_PARAMS = ("bidirectional", "freeze_backbone")
# The rule of each task constructor argument (string options come from
# each task's ``param_choices``; ``None`` is added where the default is
# ``None``, chosen from the data).
TASK_PARAM_RULES = {
    **{
        name: Interval(int, MINIMUM[name], None)
        if name in MINIMUM
        else POSITIVE_INT
        for name in POSITIVE_INT_PARAMS
    },
    **dict.fromkeys(BOOL_PARAMS, BOOL),
    "dropout": FRACTION,
    "learning_rate": POSITIVE_FLOAT,
}
CALLBACKS = InstanceOf((list, tuple), description="a list of callbacks")


def at_least(minimum):
    """The constraint "an integer >= ``minimum``" (``POSITIVE_INT`` for
    1)."""
    return POSITIVE_INT if minimum == 1 else Interval(int, minimum, None)


def _none(allow_none):
    return (None,) if allow_none else ()


def check_positive_int(name, value, minimum=1, allow_none=False, where=None):
    """``value`` as an ``int`` if it is an integer >= ``minimum``."""
    return check(
        name, value, at_least(minimum), *_none(allow_none), where=where
    )


def check_positive_number(name, value, allow_none=False, where=None):
    """``value`` as a ``float`` if it is a finite number > 0."""
    return check(name, value, POSITIVE_FLOAT, *_none(allow_none), where=where)


def check_fraction(name, value, low=0.0, high=1.0, closed_low=True):
    """A float in ``[low, high)``; ``(low, high]`` if not ``closed_low``."""
    if (low, high, closed_low) == (0.0, 1.0, True):
        return check(name, value, FRACTION)
    closed = "left" if closed_low else "right"
    return check(name, value, Interval(float, low, high, closed=closed))


def check_choice(name, value, choices, where=None):
    """``value`` if it is one of ``choices`` (a string option)."""
    return check(name, value, Options(choices), where=where)


def check_bool(name, value, where=None):
    """``value`` if it is ``True`` or ``False``."""
    return check(name, value, BOOL, where=where)


def check_seed(name, value, where=None):
    """A seed: ``None`` or an integer in ``[0, 2**32)`` (as an ``int``)."""
    return check(name, value, SEED, None, where=where)


def check_path(name, value):
    """``value`` as a ``str`` path (a non-empty ``str`` or
    ``os.PathLike``)."""
    return check(name, value, PathLike(), hint="Pass a file or folder name.")


def check_callbacks(callbacks, name="callbacks"):
    """``callbacks`` as a list (``None`` -> ``[]``); a bare object or a
    string is refused with the fix."""
    callbacks = check(
        name,
        callbacks,
        CALLBACKS,
        None,
        hint=f"Wrap it in a list: `{name}=[callback]`.",
    )
    return [] if callbacks is None else list(callbacks)


def _is_size(value):
    return POSITIVE_INT.accepts(value)


def check_heads_divide_width(hidden_dim, num_heads, where=None):
    """Refuse ``num_heads`` that does not divide ``hidden_dim`` (each
    attention head gets ``hidden_dim // num_heads``)."""
    if hidden_dim % num_heads:
        prefix = f"{where}: " if where else ""
        raise InvalidParameterError(
            f"{prefix}`num_heads` must divide `hidden_dim` (each head "
            f"gets hidden_dim // num_heads). Received: hidden_dim="
            f"{hidden_dim}, num_heads={num_heads}. Pick e.g. num_heads=1 "
            f"or a hidden_dim that is a multiple of {num_heads}."
        )


def check_bidirectional_width(hidden_dim, where=None):
    """Refuse an odd ``hidden_dim`` for a bidirectional LSTM (each
    direction gets ``hidden_dim // 2`` units)."""
    if hidden_dim % 2:
        prefix = f"{where}: " if where else ""
        raise InvalidParameterError(
            f"{prefix}a bidirectional LSTM splits `hidden_dim` between its "
            "two directions, so it must be even. Received: hidden_dim="
            f"{hidden_dim}. Pass an even hidden_dim (e.g. {hidden_dim + 1})."
        )


def task_param_rules(defaults, choices=None):
    """The constraints of a task's constructor arguments: the shared
    rules of :data:`TASK_PARAM_RULES`, ``None`` where the task's default
    is ``None``, and string options one of ``choices[name]``."""
    rules = {}
    for name, rule in TASK_PARAM_RULES.items():
        rules[name] = [rule, None] if defaults.get(name, 0) is None else rule
    for name, options in (choices or {}).items():
        rules[name] = Options(options)
    return rules


def check_task_params(
    task_name, params, defaults, choices=None, backbone=None, bidirectional=None
):
    """A task's constructor arguments, checked and normalised (a new
    dict; NumPy integers become ``int``).

    Sizes must be positive integers (``vocabulary_size`` >= 8), ``None``
    only where the default is ``None`` (chosen from the data);
    ``dropout`` in [0, 1); ``learning_rate`` a finite number > 0;
    booleans booleans; string options one of ``choices[name]``. With
    ``backbone="transformer"``, ``num_heads`` must divide ``hidden_dim``;
    a ``bidirectional`` LSTM needs an even ``hidden_dim``.

    Example:
    >>> import numpy as np
    >>> from nlptoolkit.checks import check_task_params
    >>> check_task_params("Task", {"hidden_dim": np.int64(8)}, {})
    {'hidden_dim': 8}
    """
    params = validate(
        task_param_rules(defaults, choices), params, where=task_name
    )
    width = params.get("hidden_dim")
    heads = params.get("num_heads")
    if not _is_size(width):
        return params
    if backbone == "transformer" and _is_size(heads):
        check_heads_divide_width(width, heads, where=task_name)
    if backbone == "lstm" and bidirectional:
        check_bidirectional_width(width, where=task_name)
    return params


# ---------------------------------------------------------------- batches
def describe_value(value):
    """A short description of ``value`` for error messages: its type and
    its ``repr``, cut to 60 characters."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _singular(name):
    return name[:-1] if name.endswith("s") else name


def check_texts(texts, name="texts", item=None):
    """Return ``texts`` as a list of str, or raise a helpful error.

    Accepts a list, tuple, numpy array or pandas Series of strings
    (UTF-8 ``bytes`` are decoded). A bare string is a ``TypeError`` with
    the fix (``[text]``; ``item`` names one element, by default
    ``name`` without its plural ``s``); an empty batch a ``ValueError``;
    a non-string element a ``TypeError`` naming its index.

    Example:
    >>> from nlptoolkit.checks import check_texts
    >>> check_texts(["a good film"])
    ['a good film']
    """
    item = item or _singular(name)
    if isinstance(texts, (str, bytes)):
        raise TypeError(
            f"`{name}` must be a batch of strings, not a single string. "
            f"Received: {name}={str(texts)[:40]!r} of type "
            f"{type(texts).__name__}. Wrap it in a list: `[{item}]`."
        )
    if texts is None:
        raise TypeError(
            f"`{name}` must be a list of strings, received None. Pass a "
            "list, numpy array or pandas Series of strings."
        )
    if hasattr(texts, "columns") and hasattr(texts, "iloc"):
        raise TypeError(
            f"`{name}` must be a batch of strings, received a DataFrame "
            f"(columns {list(texts.columns)[:5]}). Pass one column, e.g. "
            "`df['text']`."
        )
    if isinstance(texts, (collections.abc.Mapping, set, frozenset)):
        raise TypeError(
            f"`{name}` must be an ordered batch of strings, received a "
            f"{type(texts).__name__}. Pass a list, e.g. `list(...)` of the "
            "texts in the order you want the outputs."
        )
    if hasattr(texts, "tolist"):
        texts = texts.tolist()
    try:
        texts = list(texts)
    except TypeError:
        raise TypeError(
            f"`{name}` must be a list of strings, received "
            f"{type(texts).__name__}. Pass a list, numpy array or pandas "
            "Series of strings."
        ) from None
    if not texts:
        raise ValueError(
            f"`{name}` is empty (received 0 items). Pass at least one text."
        )
    for index, text in enumerate(texts):
        if isinstance(text, bytes):
            try:
                texts[index] = text.decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError(
                    f"`{name}[{index}]` is bytes that are not valid UTF-8. "
                    "Decode it first, e.g. `data.decode('latin-1')`."
                ) from None
        elif not isinstance(text, str):
            raise TypeError(
                f"`{name}[{index}]` must be a string, received "
                f"{type(text).__name__}: {text!r}. Remove missing values "
                "(e.g. `df.dropna()`) or convert with `str()`."
            )
        elif not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as error:
                raise ValueError(
                    f"`{name}[{index}]` is not valid Unicode: it holds a "
                    f"lone surrogate {text[error.start]!r} at position "
                    f"{error.start} (often from bytes decoded with "
                    "errors='surrogateescape'). Clean it first, e.g. "
                    "`text.encode('utf-8', 'replace').decode('utf-8')`."
                ) from None
    return texts


def check_sequence(value, name):
    """Returns ``value`` as a non-empty list (any element type), or
    raises: a bare string or a mapping is a ``TypeError``, an array must
    be one-dimensional, an empty batch is a ``ValueError``.

    Example:
    >>> import numpy as np
    >>> from nlptoolkit.checks import check_sequence
    >>> check_sequence(np.array([0, 1]), "labels")
    [0, 1]
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(
            f"`{name}` must be a list or array, not a single string. "
            f"Received: {name}={describe_value(value)}. Wrap it in a list: "
            "[value]."
        )
    if hasattr(value, "ndim") and hasattr(value, "tolist"):
        if value.ndim != 1:
            raise ValueError(
                f"`{name}` must be one-dimensional. Received an array of "
                f"shape {value.shape}. Pass one value per example."
            )
        items = value.tolist()
    elif isinstance(value, collections.abc.Mapping) or not isinstance(
        value, collections.abc.Iterable
    ):
        raise TypeError(
            f"`{name}` must be a list or array. "
            f"Received: {name}={describe_value(value)}."
        )
    else:
        items = list(value)
    if not items:
        raise ValueError(
            f"`{name}` is empty. Expected at least one element. "
            f"Received: {name}=[]."
        )
    return items


def check_same_length(first, second, first_name, second_name):
    """Raises ``ValueError`` when two batches differ in length."""
    if len(first) != len(second):
        raise ValueError(
            f"`{first_name}` and `{second_name}` must have the same length. "
            f"Received: len({first_name})={len(first)}, "
            f"len({second_name})={len(second)}. Pass one "
            f"{_singular(second_name)} per {_singular(first_name)}."
        )
