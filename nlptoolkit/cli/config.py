"""Command-line flags made from a config dataclass's fields.

Each field declared with ``dataclasses.field(default=..., metadata={
"constraints": (...), "help": "..."})`` (e.g. ``GenerationConfig``'s)
becomes one ``--field-name`` flag whose type is
``validation.argparse_type(*constraints)``: the command line accepts and
refuses what the library does.
"""

import dataclasses

from nlptoolkit.validation import argparse_type

_FIELDS = "_config_fields"  # the parser default naming the flags added


def add_config_arguments(parser, config_class, defaults=None, fields=None):
    """One flag per field of ``config_class`` (only ``fields``, when
    given), with the field's default unless ``defaults`` names another.

    Example:
    >>> import argparse, dataclasses
    >>> from nlptoolkit.validation import POSITIVE_INT
    >>> @dataclasses.dataclass(frozen=True)
    ... class Beams:
    ...     num_beams: int = dataclasses.field(
    ...         default=4, metadata={"constraints": (POSITIVE_INT,)})
    >>> parser = argparse.ArgumentParser()
    >>> add_config_arguments(parser, Beams, defaults={"num_beams": 2})
    >>> config_from_args(Beams, parser.parse_args(["--num-beams", "3"]))
    Beams(num_beams=3)
    >>> config_from_args(Beams, parser.parse_args([]))
    Beams(num_beams=2)
    """
    defaults = defaults or {}
    added = []
    for field in dataclasses.fields(config_class):
        name, meta = field.name, field.metadata
        if fields is not None and name not in fields:
            continue
        checks, text = meta.get("constraints"), meta.get("help", "")
        default = defaults.get(name, field.default)
        if name in defaults:  # this command's own default
            text += f" (here: {defaults[name]})"
        parser.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            type=argparse_type(*checks, name=name) if checks else None,
            default=None if default is dataclasses.MISSING else default,
            help=text.replace("%", "%%") or None,
        )
        added.append(name)
    names = (*(parser.get_default(_FIELDS) or ()), *added)
    parser.set_defaults(**{_FIELDS: names})


def config_from_args(config_class, args):
    """``config_class(**values)`` of the flags :func:`add_config_arguments`
    added (the config checks them together, e.g. its cross-field rules)."""
    names = getattr(args, _FIELDS, None)
    if names is None:
        names = [f.name for f in dataclasses.fields(config_class)]
    values = {n: getattr(args, n) for n in names if hasattr(args, n)}
    return config_class(**values)
