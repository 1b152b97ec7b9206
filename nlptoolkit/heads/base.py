"""What every head shares: declared arguments, the mask, the logits layer.

A head is a Keras layer on a backbone's output dict. It declares its
constructor arguments once, in ``ARGUMENTS``
(:mod:`nlptoolkit.layers.arguments`: checked, set and saved in
``get_config`` from that table); it takes the backbone's padding mask
and gives none onwards (the head's output is per text or per position
of its own input, already masked where it matters); its last layer is
a float32 ``Dense`` named ``logits`` (:meth:`Head.logits_layer`), so
mixed precision never reaches the loss. :class:`FeatureHead` is a head
that reads one entry of the dict.

Example:
>>> import numpy as np
>>> from nlptoolkit.heads.base import FeatureHead
>>> class Scores(FeatureHead):
...     FEATURE = "pooled_output"
...     def __init__(self, **kwargs):
...         super().__init__(**kwargs)
...         self.dense = self.logits_layer(2)
...     def call(self, features):
...         return self.dense(features["pooled_output"])
>>> head = Scores()
>>> tuple(head({"pooled_output": np.ones((3, 8), "float32")}).shape)
(3, 2)
>>> head.compute_mask({"pooled_output": None}, mask=np.ones((3, 4))) is None
True
"""

import keras

from nlptoolkit.layers.arguments import DeclaredArguments


class Head(DeclaredArguments, keras.layers.Layer):
    """Base class of the heads (see the module docstring)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # The backbone's outputs carry a padding mask: accept it, and
        # drop it (``compute_mask``).
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return None

    @staticmethod
    def logits_layer(units, activation=None):
        """The head's last layer: ``units`` outputs, computed in float32."""
        return keras.layers.Dense(
            units, activation=activation, dtype="float32", name="logits"
        )


class FeatureHead(Head):
    """A head whose ``dense`` (its :meth:`~Head.logits_layer`) reads one
    entry of the backbone's dict, ``FEATURE``, and replaces its last
    axis."""

    FEATURE = None

    def build(self, input_shape):
        self.dense.build(input_shape[self.FEATURE])
        self.built = True

    def compute_output_shape(self, input_shape):
        return input_shape[self.FEATURE][:-1] + (self.dense.units,)
