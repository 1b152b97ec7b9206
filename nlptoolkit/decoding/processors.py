"""Logits processors: vectorised rules applied to each step's logits.

``ban_repeated_ngrams`` is the decoder's ``no_repeat_ngram_size`` (as
Hugging Face's ``NoRepeatNGramLogitsProcessor``): a token that would
complete an n-gram already present in its row is given a very negative
logit. It uses ``keras.ops`` only, on fixed shapes, so it runs inside
``tf.function`` and the samplers' ``while_loop``; ``Decoder`` applies it
on every decode path, for every sampler (beams are rows too).
"""

from keras import ops

from nlptoolkit.preprocessing import PAD_ID
from nlptoolkit.validation import Interval
from nlptoolkit.validation import check

# The logit given to a banned token (as `forbid_special_ids` does).
BANNED_LOGIT = -1e9


# The rule of ``no_repeat_ngram_size`` (0 turns it off).
NO_REPEAT_NGRAM_SIZE = Interval(
    int, 0, None, description="an integer >= 0 (0 turns it off)"
)


def check_no_repeat_ngram_size(value, name="no_repeat_ngram_size"):
    """``value`` as an ``int`` if it is an integer >= 0 (0 turns it off)."""
    return check(
        name,
        value,
        NO_REPEAT_NGRAM_SIZE,
        hint=f"Pass e.g. {name}=3 to forbid repeating any 3-gram, or 0.",
    )


def ban_repeated_ngrams(logits, token_ids, index, ngram_size, pad_id=PAD_ID):
    """Ban every token that would repeat an n-gram of its row.

    Args:
        logits: ``(batch, vocabulary_size)``, the logits for position
            ``index``.
        token_ids: ``(batch, length)``, the token array being decoded;
            positions before ``index`` are the row's context (prompt and
            tokens decoded so far), later ones are ignored.
        index: the position being decoded (a scalar, may be a tensor).
        ngram_size: ``n`` (a Python int); 0 returns ``logits`` unchanged.
        pad_id: a token that is never part of an n-gram (padding, and
            what a finished beam appends), or None where every id may be
            a real token (a pretrained vocabulary): only the positions
            from ``index`` on are then left out.

    With ``p`` the row's last ``n - 1`` context tokens, each earlier
    n-gram ``(t_s, ..., t_{s+n-1})`` whose first ``n - 1`` tokens equal
    ``p`` bans ``t_{s+n-1}``. Rows with fewer than ``n - 1`` context
    tokens ban nothing.

    Example:
    >>> import numpy as np
    >>> from nlptoolkit.decoding.processors import ban_repeated_ngrams
    >>> ids = np.array([[2, 5, 6, 5, 0, 0]], "int32")  # context: 2 5 6 5
    >>> out = ban_repeated_ngrams(np.zeros((1, 8), "float32"), ids, 4, 2)
    >>> np.nonzero(np.asarray(out)[0] < 0)[0].tolist()  # "5 6" was seen
    [6]
    """
    n = int(ngram_size)
    if n <= 0:
        return logits
    token_ids = ops.cast(token_ids, "int32")
    index = ops.cast(index, "int32")
    shape = ops.shape(token_ids)
    batch_size, length = shape[0], shape[1]
    vocabulary_size = ops.shape(logits)[-1]
    positions = ops.arange(length, dtype="int32")
    context = ops.broadcast_to(positions[None, :] < index, shape)
    if pad_id is not None:
        context = ops.logical_and(context, ops.not_equal(token_ids, pad_id))
    # An n-gram starting at `s` lies before `index` (so the rolls below
    # never wrap) and holds no padding.
    match = ops.broadcast_to(
        positions[None, :] + (n - 1) < index, ops.shape(token_ids)
    )
    # The last n - 1 context tokens (the prefix the next token extends).
    start = index - (n - 1)
    match = ops.logical_and(match, start >= 0)
    for k in range(n):
        match = ops.logical_and(match, ops.roll(context, -k, axis=1))
        if k < n - 1:
            where = ops.maximum(start + k, 0)
            prefix = ops.take(token_ids, ops.reshape(where, (1,)), axis=1)
            match = ops.logical_and(
                match, ops.equal(ops.roll(token_ids, -k, axis=1), prefix)
            )
    completes = ops.roll(token_ids, -(n - 1), axis=1)
    rows = ops.broadcast_to(
        ops.arange(batch_size, dtype="int32")[:, None], ops.shape(token_ids)
    )
    indices = ops.stack(
        [ops.reshape(rows, (-1,)), ops.reshape(completes, (-1,))], axis=1
    )
    hits = ops.scatter(
        indices,
        ops.reshape(ops.cast(match, "float32"), (-1,)),
        (batch_size, vocabulary_size),
    )
    return ops.where(hits > 0, ops.cast(BANNED_LOGIT, logits.dtype), logits)
