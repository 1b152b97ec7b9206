"""Conversions from a language model's mean loss to perplexity and bits."""

from __future__ import annotations

import math

from nlptoolkit.checks import describe_value


def _check_loss(loss_nats) -> float:
    try:
        loss = float(loss_nats)
    except (TypeError, ValueError):
        raise TypeError(
            "`loss_nats` must be a number: the mean negative log-likelihood "
            "per token in nats. Received: "
            f"loss_nats={describe_value(loss_nats)}."
        ) from None
    if math.isnan(loss):
        raise ValueError("`loss_nats` is NaN. Check the model's loss.")
    if loss < 0:
        raise ValueError(
            "`loss_nats` must be >= 0 (a cross-entropy over a discrete "
            f"vocabulary cannot be negative). Received: loss_nats={loss}."
        )
    return loss


def perplexity(loss_nats) -> float:
    """Perplexity from a mean cross-entropy loss in nats per token.

    Perplexity is `exp(loss)`: the effective number of equally likely
    choices per token. Keras' `sparse_categorical_crossentropy` reports
    nats, so pass its mean loss directly. Compare perplexities only between
    models that use the same tokens (characters, words or the same
    subword vocabulary).

    Args:
        loss_nats: mean negative log-likelihood per token, natural log.

    Returns:
        The perplexity as a `float` (`inf` for an infinite loss).

    Example:
    >>> import math
    >>> from nlptoolkit.metrics import perplexity
    >>> round(perplexity(math.log(141.2)), 6)
    141.2
    >>> perplexity(0.0)
    1.0
    """
    loss = _check_loss(loss_nats)
    try:
        return math.exp(loss)
    except OverflowError:
        return math.inf


def bits_per_token(loss_nats) -> float:
    """Bits per token (bits per character at character level).

    Converts a mean loss in nats to bits: `loss / ln(2)`.

    Args:
        loss_nats: mean negative log-likelihood per token, natural log.

    Returns:
        The loss in bits per token as a `float`.

    Example:
    >>> import math
    >>> from nlptoolkit.metrics import bits_per_token
    >>> bits_per_token(math.log(2))
    1.0
    >>> round(bits_per_token(1.4697), 4)
    2.1203
    """
    return _check_loss(loss_nats) / math.log(2)
