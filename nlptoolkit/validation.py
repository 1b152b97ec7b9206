"""One home for argument checks, in the scikit-learn style.

A parameter's rule is declared once, as a list of constraints (any one
satisfied is enough): an :class:`Interval` of integers or real numbers,
:class:`Options` (a closed set of values), :class:`InstanceOf` a type, a
:class:`PathLike`, or ``None``. :func:`check` checks one value and returns
it *normalised* (a NumPy integer becomes an ``int``, a NumPy float a
``float``); :func:`validate` checks a dict of parameters against a dict of
constraints; :func:`argparse_type` makes the command line's parser of a
flag from the same constraints, so the library and the CLI accept and
refuse exactly the same values.

Every failure is one :class:`InvalidParameterError` (a subclass of both
``ValueError`` and ``TypeError``, as scikit-learn's) whose message names
the parameter, says what was expected and shows what was received, as
Keras does (``Received: units=0``).

Example:
>>> import numpy as np
>>> from nlptoolkit.validation import POSITIVE_INT, check
>>> check("hidden_dim", np.int64(8), POSITIVE_INT)
8
>>> type(check("hidden_dim", np.int64(8), POSITIVE_INT)).__name__
'int'
>>> check("hidden_dim", 0, POSITIVE_INT)
Traceback (most recent call last):
...
nlptoolkit.validation.InvalidParameterError: `hidden_dim` must be a \
positive integer (>= 1). Received: hidden_dim=0.
>>> check("num_layers", None, POSITIVE_INT, None) is None
True
"""

import argparse
import math
import numbers
import os

__all__ = [
    "FRACTION",
    "NON_NEGATIVE_INT",
    "POSITIVE_FLOAT",
    "POSITIVE_INT",
    "SEED",
    "STRING",
    "UNIT_INTERVAL",
    "BOOL",
    "InstanceOf",
    "Interval",
    "InvalidParameterError",
    "Options",
    "PathLike",
    "argparse_type",
    "check",
    "describe",
    "validate",
]


class InvalidParameterError(ValueError, TypeError):
    """A parameter broke its constraints.

    Both a ``ValueError`` and a ``TypeError`` (as scikit-learn's
    ``InvalidParameterError``), so code that catches either keeps working.
    """


class Constraint:
    """A rule a value may satisfy: ``accepts(value)``, ``normalise(value)``
    and a readable ``description`` ("a positive integer (>= 1)")."""

    description = "a valid value"

    def accepts(self, value):
        raise NotImplementedError

    def normalise(self, value):
        return value

    def parse(self, text):
        """The value a command-line string stands for (before checking)."""
        return text

    def __str__(self):
        return self.description


def _is_integer(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class Interval(Constraint):
    """Integers (``int``) or finite real numbers (``float``) between
    ``left`` and ``right`` (``None``: unbounded on that side).

    ``closed`` is ``"both"``, ``"left"``, ``"right"`` or ``"neither"``.
    Real numbers must be finite (``inf`` and ``nan`` are refused); an
    integer is accepted where a real number is asked for. Booleans are
    never numbers here. ``description`` overrides the generated one.

    Example:
    >>> from nlptoolkit.validation import Interval
    >>> str(Interval(float, 0, 1, closed="left"))
    'a number in [0, 1)'
    >>> Interval(float, 0, None, closed="neither").accepts(float("inf"))
    False
    """

    def __init__(self, kind, left, right, *, closed="both", description=None):
        if kind not in (int, float):
            raise ValueError(
                f"`kind` must be int or float. Received: kind={kind!r}."
            )
        if closed not in ("both", "left", "right", "neither"):
            raise ValueError(
                "`closed` must be one of ['both', 'left', 'right', "
                f"'neither']. Received: closed={closed!r}."
            )
        self.kind, self.left, self.right = kind, left, right
        self.closed = closed
        self.description = description or self._describe()

    def _describe(self):
        noun = "an integer" if self.kind is int else "a number"
        left_closed = self.closed in ("both", "left")
        right_closed = self.closed in ("both", "right")
        if self.right is None and self.left is None:
            return noun if self.kind is int else "a finite number"
        if self.right is None:
            if self.kind is int and self.left == 1 and left_closed:
                return "a positive integer (>= 1)"
            sign = ">=" if left_closed else ">"
            finite = "" if self.kind is int else "finite "
            noun = noun.replace("a ", f"a {finite}", 1)
            return f"{noun} {sign} {self.left}"
        if self.left is None:
            sign = "<=" if right_closed else "<"
            return f"{noun} {sign} {self.right}"
        low = "[" if left_closed else "("
        high = "]" if right_closed else ")"
        return f"{noun} in {low}{self.left}, {self.right}{high}"

    def accepts(self, value):
        if self.kind is int and not _is_integer(value):
            return False
        if self.kind is float and (
            not _is_real(value) or not math.isfinite(value)
        ):
            return False
        if self.left is not None:
            if value < self.left:
                return False
            if value == self.left and self.closed in ("right", "neither"):
                return False
        if self.right is not None:
            if value > self.right:
                return False
            if value == self.right and self.closed in ("left", "neither"):
                return False
        return True

    def normalise(self, value):
        return self.kind(value)

    def parse(self, text):
        try:
            return self.kind(text)
        except ValueError:
            return text  # refused by accepts(), with the usual message


class Options(Constraint):
    """One of a closed set of values (string options, usually).

    Example:
    >>> from nlptoolkit.validation import Options
    >>> str(Options(["fused", "stepwise"]))
    "one of ['fused', 'stepwise']"
    """

    def __init__(self, values, *, description=None):
        self.values = tuple(values)
        self.description = description or f"one of {list(self.values)}"

    def accepts(self, value):
        try:
            return any(
                type(value) is type(option) and value == option
                for option in self.values
            )
        except Exception:  # an object whose == raises is not an option
            return False


class InstanceOf(Constraint):
    """An instance of ``kind`` (a type or a tuple of types); ``bool`` is
    described as "True or False".

    Example:
    >>> from nlptoolkit.validation import BOOL, check
    >>> check("bidirectional", True, BOOL)
    True
    """

    def __init__(self, kind, *, description=None):
        self.kind = kind
        if description is None:
            kinds = kind if isinstance(kind, tuple) else (kind,)
            names = " or ".join(k.__name__ for k in kinds)
            description = (
                "True or False" if kind is bool else f"an instance of {names}"
            )
        self.description = description

    def accepts(self, value):
        return isinstance(value, self.kind)

    def parse(self, text):
        if self.kind is bool:
            return {"true": True, "false": False}.get(text.lower(), text)
        return text


class PathLike(Constraint):
    """A non-empty path, ``str`` or ``os.PathLike``, normalised to ``str``.

    Example:
    >>> import pathlib
    >>> from nlptoolkit.validation import PathLike, check
    >>> check("path", pathlib.Path("model.keras"), PathLike())
    'model.keras'
    """

    description = "a path (str or pathlib.Path)"

    def accepts(self, value):
        if isinstance(value, bytes) or not isinstance(
            value, (str, os.PathLike)
        ):
            return False
        return bool(os.fspath(value))

    def normalise(self, value):
        return os.fspath(value)


class _NoneConstraint(Constraint):
    description = "None"

    def accepts(self, value):
        return value is None


POSITIVE_INT = Interval(int, 1, None)
NON_NEGATIVE_INT = Interval(int, 0, None)
POSITIVE_FLOAT = Interval(float, 0, None, closed="neither")
FRACTION = Interval(float, 0, 1, closed="left")
UNIT_INTERVAL = Interval(float, 0, 1)
SEED = Interval(
    int, 0, 2**32, closed="left", description="an integer in [0, 2**32)"
)
BOOL = InstanceOf(bool)
STRING = InstanceOf(str, description="a string")


def _constraints(constraints):
    if not constraints:
        raise ValueError("Pass at least one constraint.")
    return [
        _NoneConstraint() if constraint is None else constraint
        for constraint in constraints
    ]


def describe(*constraints):
    """What the constraints accept, in words ("a positive integer (>= 1)
    or None")."""
    return " or ".join(str(c) for c in _constraints(constraints))


def _shown(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check(name, value, *constraints, where=None, hint=None):
    """``value``, normalised, if one of ``constraints`` accepts it; else
    an :class:`InvalidParameterError` naming ``name``. ``where`` (e.g.
    ``"TextClassifier"``) prefixes the message; ``hint`` (the fix, where
    "must be ..." does not say it all) ends it. ``None`` among the
    constraints accepts ``None``.

    Example:
    >>> from nlptoolkit.validation import InstanceOf, check
    >>> check("callbacks", "clock", InstanceOf(list), hint="Pass [clock].")
    Traceback (most recent call last):
    ...
    nlptoolkit.validation.InvalidParameterError: `callbacks` must be an \
instance of list. Received: callbacks='clock'. Pass [clock].
    """
    for constraint in _constraints(constraints):
        if constraint.accepts(value):
            return constraint.normalise(value)
    prefix = f"{where}: " if where else ""
    kind = ""
    if not isinstance(value, (numbers.Number, str, type(None))):
        kind = f" of type {type(value).__name__}"
    fix = f" {hint}" if hint else ""
    raise InvalidParameterError(
        f"{prefix}`{name}` must be {describe(*constraints)}. Received: "
        f"{name}={_shown(value)}{kind}.{fix}"
    )


def validate(constraints, params, where=None):
    """Check every parameter of ``params`` that ``constraints`` names
    (``{name: [constraint, ...]}``; a single constraint needs no list) and
    return a new dict with the normalised values (the others as given).

    Example:
    >>> import numpy as np
    >>> from nlptoolkit.validation import POSITIVE_INT, SEED, validate
    >>> rules = {"hidden_dim": POSITIVE_INT, "seed": [SEED, None]}
    >>> validate(rules, {"hidden_dim": np.int64(8), "seed": None, "x": 1})
    {'hidden_dim': 8, 'seed': None, 'x': 1}
    >>> validate(rules, {"seed": 2**40}, where="TextClassifier")
    Traceback (most recent call last):
    ...
    nlptoolkit.validation.InvalidParameterError: TextClassifier: `seed` \
must be an integer in [0, 2**32) or None. Received: seed=1099511627776.
    """
    checked = dict(params)
    for name, value in params.items():
        rule = constraints.get(name)
        if rule is None:
            continue
        rule = rule if isinstance(rule, (list, tuple)) else [rule]
        checked[name] = check(name, value, *rule, where=where)
    return checked


def argparse_type(*constraints, name=None):
    """An ``argparse`` ``type=`` built from the same constraints the
    library checks: the text is parsed as the first constraint says
    (``int``/``float`` for an :class:`Interval`), then checked; a refusal
    is an ``argparse.ArgumentTypeError`` ("expected a positive integer
    (>= 1), received '0'"). ``"none"`` stands for ``None`` where ``None``
    is allowed.

    Example:
    >>> from nlptoolkit.validation import POSITIVE_FLOAT, argparse_type
    >>> learning_rate = argparse_type(POSITIVE_FLOAT)
    >>> learning_rate("3e-4")
    0.0003
    >>> learning_rate("inf")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a finite number > 0, received 'inf'
    """
    rules = _constraints(constraints)

    def parse(text):
        for constraint in rules:
            if isinstance(constraint, _NoneConstraint):
                if text.lower() == "none":
                    return None
                continue
            value = constraint.parse(text)
            if constraint.accepts(value):
                return constraint.normalise(value)
        raise argparse.ArgumentTypeError(
            f"expected {describe(*constraints)}, received {text!r}"
        )

    parse.__name__ = name or "value"
    parse.constraints = tuple(rules)
    return parse
