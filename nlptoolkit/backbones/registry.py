"""``get(name, **kwargs)``: build a backbone from its string id."""

import os

from nlptoolkit.backbones.lstm import LSTMBackbone
from nlptoolkit.backbones.transformer import TransformerBackbone

BACKBONES = {"lstm": LSTMBackbone, "transformer": TransformerBackbone}
ALIASES = {"rnn": "lstm", "bilstm": "lstm", "encoder": "transformer"}


def resolve(name, allow_pretrained=False):
    """Return the canonical backbone id for ``name`` (aliases allowed).

    With ``allow_pretrained``, any other string is taken as a pretrained
    model handle and returned as given (``nlptoolkit.backbones.preset``
    checks it when the model is built).
    """
    if allow_pretrained and isinstance(name, os.PathLike):
        name = os.fspath(name)
    if not isinstance(name, str):
        raise TypeError(
            f"`backbone` must be a string. Received: {name!r} of type "
            f"{type(name).__name__}. Expected one of {sorted(BACKBONES)}."
        )
    key = ALIASES.get(name.lower(), name.lower())
    if key not in BACKBONES and allow_pretrained:
        if not name.strip():
            raise ValueError(
                "`backbone` is empty. Expected 'lstm', 'transformer' or a "
                "pretrained model handle or folder."
            )
        return name
    if key not in BACKBONES:
        raise ValueError(
            f"Unknown backbone. Received: backbone={name!r}. Expected one "
            f"of {sorted(BACKBONES)} (aliases: {sorted(ALIASES)})."
        )
    return key


def get(name, **kwargs):
    """Build a backbone by id.

    Example:
    >>> import nlptoolkit
    >>> backbone = nlptoolkit.backbones.get(
    ...     "lstm", vocabulary_size=50, hidden_dim=8)
    >>> type(backbone).__name__
    'LSTMBackbone'
    """
    return BACKBONES[resolve(name)](**kwargs)
