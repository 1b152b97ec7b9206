"""What every backbone shares: flat config, validation, the output contract.

Both backbones are functional Keras models that take ``token_ids`` (int32,
``(batch, length)``, ``0`` = padding) and return the same dict:

- ``sequence_output``: ``(batch, length, hidden_dim)``;
- ``pooled_output``: ``(batch, hidden_dim)``, one vector per text;
- ``padding_mask``: ``(batch, length)`` booleans, ``True`` on real tokens.
"""

import keras

from nlptoolkit import checks

OUTPUT_KEYS = ("sequence_output", "pooled_output", "padding_mask")


def check_positive_int(name, value):
    """``value`` as an ``int`` if it is an integer >= 1 (the shared rule,
    :func:`nlptoolkit.checks.check_positive_int`)."""
    return checks.check_positive_int(name, value)


def check_dropout(value):
    """``value`` as a ``float`` in [0, 1) (``validation.FRACTION``)."""
    return checks.check_fraction("dropout", value)


class Backbone(keras.Model):
    """Base class: subclasses build a functional graph in ``__init__``."""

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @property
    def output_keys(self):
        return OUTPUT_KEYS
