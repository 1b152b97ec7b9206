"""What every backbone shares: flat config, validation, the output contract.

Each backbone declares its constructor arguments once, in ``ARGUMENTS``
(:mod:`nlptoolkit.layers.arguments`): they are checked, set and saved in
``get_config`` from that table.

Both backbones are functional Keras models that take ``token_ids`` (int32,
``(batch, length)``, ``0`` = padding) and return the same dict:

- ``sequence_output``: ``(batch, length, hidden_dim)``;
- ``pooled_output``: ``(batch, hidden_dim)``, one vector per text;
- ``padding_mask``: ``(batch, length)`` booleans, ``True`` on real tokens.
"""

import keras

from nlptoolkit import checks
from nlptoolkit.layers.arguments import DeclaredArguments

OUTPUT_KEYS = ("sequence_output", "pooled_output", "padding_mask")


def check_positive_int(name, value):
    """``value`` as an ``int`` if it is an integer >= 1 (the shared rule,
    :func:`nlptoolkit.checks.check_positive_int`)."""
    return checks.check_positive_int(name, value)


def check_dropout(value):
    """``value`` as a ``float`` in [0, 1) (``validation.FRACTION``)."""
    return checks.check_fraction("dropout", value)


def masked_mean(sequence, padding_mask):
    """The mean of ``sequence`` (``(batch, length, width)``) over the
    positions ``padding_mask`` marks real; zeros for a row without any."""
    weights = keras.ops.cast(padding_mask, sequence.dtype)[:, :, None]
    return keras.ops.sum(sequence * weights, axis=1) / keras.ops.maximum(
        keras.ops.sum(weights, axis=1), 1.0
    )


class Backbone(DeclaredArguments, keras.Model):
    """Base class: subclasses build a functional graph in ``__init__``
    (ending in :meth:`init_graph`) and declare their arguments in
    ``ARGUMENTS``."""

    def init_graph(
        self,
        token_ids,
        sequence_output,
        pooled_output,
        padding_mask,
        extra_outputs=None,
        **kwargs,
    ):
        """Make this model the functional graph from ``token_ids`` to the
        output contract (``OUTPUT_KEYS``, then any ``extra_outputs``);
        ``kwargs`` are ``keras.Model``'s (``name``, ``trainable``...)."""
        outputs = dict(
            zip(
                OUTPUT_KEYS,
                (sequence_output, pooled_output, padding_mask),
                strict=True,
            )
        )
        outputs.update(extra_outputs or {})
        super().__init__(inputs=token_ids, outputs=outputs, **kwargs)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            **self.argument_config(),
        }

    @property
    def output_keys(self):
        return OUTPUT_KEYS
