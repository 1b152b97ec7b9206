"""What every backbone shares: flat config, validation, the output contract.

Both backbones are functional Keras models that take ``token_ids`` (int32,
``(batch, length)``, ``0`` = padding) and return the same dict:

- ``sequence_output``: ``(batch, length, hidden_dim)``;
- ``pooled_output``: ``(batch, hidden_dim)``, one vector per text;
- ``padding_mask``: ``(batch, length)`` booleans, ``True`` on real tokens.
"""

import keras

OUTPUT_KEYS = ("sequence_output", "pooled_output", "padding_mask")


def check_positive_int(name, value):
    """Raise a ValueError naming ``name`` unless ``value`` is an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"`{name}` must be a positive integer. Received: "
            f"{name}={value!r}. Pass a value >= 1."
        )


def check_dropout(value):
    if not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(
            f"`dropout` must be a float in [0, 1). Received: dropout={value!r}."
        )


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
