"""Constructor arguments declared once: checked, set and saved from one table.

A Keras layer or model that mixes in :class:`DeclaredArguments` lists
its constructor arguments in the class attribute ``ARGUMENTS``, each
with its rule: a constraint of :mod:`nlptoolkit.validation` (or a list
of them, ``None`` among them accepting ``None``), or ``UNCHECKED``. The
same table checks the values (:meth:`~DeclaredArguments.check_arguments`),
sets one attribute per argument (:meth:`~DeclaredArguments.set_arguments`)
and writes them into ``get_config``, so no argument can be checked but
left out of the config, or saved under another name. An argument that is
itself a Keras object (a keras-hub backbone, a preprocessor) has the rule
:class:`KerasObject`: ``get_config`` serializes it and ``from_config``
deserializes it.

Example:
>>> import keras
>>> from nlptoolkit.layers.arguments import DeclaredArguments
>>> from nlptoolkit.validation import POSITIVE_INT
>>> class Repeat(DeclaredArguments, keras.layers.Layer):
...     ARGUMENTS = {"times": POSITIVE_INT}
...     def __init__(self, times=2, **kwargs):
...         super().__init__(**kwargs)
...         self.set_arguments(self.check_arguments(locals()))
>>> Repeat(times=3).get_config()["times"]
3
>>> Repeat(times=0)
Traceback (most recent call last):
...
nlptoolkit.validation.InvalidParameterError: `times` must be a positive \
integer (>= 1). Received: times=0.
"""

import types

import keras

from nlptoolkit.validation import Constraint
from nlptoolkit.validation import validate

# The rule of an argument that is set and saved as given.
UNCHECKED = None


class KerasObject(Constraint):
    """The rule of an argument that is a Keras layer or model: saved in
    the config as its serialized dict. ``attribute`` names the attribute
    that holds it where that is not the argument's own name.

    Example:
    >>> import keras
    >>> from nlptoolkit.layers.arguments import KerasObject
    >>> KerasObject().accepts(keras.layers.Dense(2)), KerasObject().accepts(2)
    (True, False)
    """

    description = "a Keras layer or model"

    def __init__(self, attribute=None):
        self.attribute = attribute

    def accepts(self, value):
        return isinstance(value, keras.layers.Layer)


def _attribute(name, rule):
    if isinstance(rule, KerasObject) and rule.attribute:
        return rule.attribute
    return name


class DeclaredArguments:
    """Mixin (before the Keras base class) whose ``ARGUMENTS`` table
    (``{name: rule}``, in the constructor's order) checks, sets and saves
    the constructor's arguments; see the module docstring."""

    ARGUMENTS = {}

    @classmethod
    def check_arguments(cls, values):
        """The declared arguments found in ``values`` (the constructor's
        ``locals()``), checked and normalised (a NumPy integer becomes an
        ``int``), as a namespace in the table's order. An argument a
        subclass adds is left to the subclass's constructor."""
        found = {name: values[name] for name in cls.ARGUMENTS if name in values}
        rules = {
            name: rule
            for name, rule in cls.ARGUMENTS.items()
            if rule is not UNCHECKED
        }
        return types.SimpleNamespace(**validate(rules, found))

    def set_arguments(self, arguments):
        """One attribute per argument of the namespace ``arguments``."""
        for name, value in vars(arguments).items():
            setattr(self, _attribute(name, self.ARGUMENTS[name]), value)

    def argument_config(self):
        """``{name: value}`` of every declared argument, Keras objects
        serialized."""
        config = {}
        for name, rule in self.ARGUMENTS.items():
            value = getattr(self, _attribute(name, rule))
            if isinstance(rule, KerasObject):
                value = keras.saving.serialize_keras_object(value)
            config[name] = value
        return config

    def get_config(self):
        config = super().get_config()
        config.update(self.argument_config())
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name, rule in cls.ARGUMENTS.items():
            if isinstance(rule, KerasObject) and name in config:
                config[name] = keras.saving.deserialize_keras_object(
                    config[name]
                )
        return super().from_config(config)
