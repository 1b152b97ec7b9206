"""Length bucketing: batches of texts of similar length, padded per batch.

A pretrained encoder's cost grows with the padded length of each batch.
Padding every batch to the longest allowed text makes a 10-token sentence
pay for 64 or 512 positions. Here rows are grouped with rows of similar
length and each batch is cut to its own longest row (rounded up to a
multiple of 8 up to 64 positions, of 32 up to 256 and of 64 beyond, so
at most 18 shapes get traced up to 512), the dynamic padding of Hugging
Face's ``group_by_length``.

Training batches stay random: each epoch shuffles the rows, sorts them by
length within pools of ``pool_batches`` batches, and shuffles the order of
the batches. Prediction sorts all rows and puts the outputs back in the
input order.

Example:
>>> import numpy as np
>>> from nlptoolkit.training.bucketing import length_batches
>>> lengths = np.array([3, 9, 2, 8, 4, 10])
>>> [lengths[b].tolist() for b in length_batches(lengths, batch_size=2)]
[[2, 3], [4, 8], [9, 10]]
"""

import contextlib
import logging

import numpy as np

# (up to this width, round up to a multiple of this): few traced shapes.
WIDTH_STEPS = ((64, 8), (256, 32), (None, 64))
POOL_BATCHES = 50


def length_batches(
    lengths, batch_size, shuffle=False, seed=0, pool_batches=POOL_BATCHES
):
    """Row positions, one array per batch, grouped by length.

    Without ``shuffle`` the rows are sorted by length (stable). With it,
    the rows are shuffled with ``seed``, sorted within pools of
    ``pool_batches * batch_size`` rows, cut into batches, and the batches
    shuffled. Every row appears exactly once; there are
    ``ceil(rows / batch_size)`` batches at most one short.
    """
    lengths = np.asarray(lengths)
    rows = len(lengths)
    if not shuffle:
        order = np.argsort(lengths, kind="stable")
        return [order[i : i + batch_size] for i in range(0, rows, batch_size)]
    rng = np.random.default_rng(seed)
    order = rng.permutation(rows)
    pool = max(1, pool_batches) * batch_size
    batches = []
    for start in range(0, rows, pool):
        chunk = order[start : start + pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches.extend(
            chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)
        )
    # The one short batch (the last of the last pool) stays last so every
    # other batch is full, as Keras' own batching does.
    short = [b for b in batches if len(b) < batch_size]
    full = [b for b in batches if len(b) == batch_size]
    return [full[i] for i in rng.permutation(len(full))] + short


def padded_width(lengths, limit):
    """The batch's width: its longest row rounded up (``WIDTH_STEPS``),
    at most ``limit``."""
    longest = max(1, int(np.max(lengths)))
    for bound, step in WIDTH_STEPS:
        if bound is None or longest <= bound:
            return min(limit, -(-longest // step) * step)
    raise AssertionError("unreachable: the last step has no bound")


class _DropRetracingWarnings(logging.Filter):
    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


@contextlib.contextmanager
def expected_retracing():
    """Hide TensorFlow's retracing warning: each batch width is traced
    once on purpose."""
    tf_logger = logging.getLogger("tensorflow")
    drop = _DropRetracingWarnings()
    tf_logger.addFilter(drop)
    try:
        yield
    finally:
        tf_logger.removeFilter(drop)


def bucketed_dataset(
    token_ids,
    lengths,
    labels=None,
    batch_size=32,
    shuffle=False,
    seed=0,
):
    """A ``tf.data.Dataset`` of length-bucketed batches.

    ``token_ids`` is the ``(rows, max_length)`` array padded to the
    longest allowed length (padding at the end), ``lengths`` the real
    length of each row. Yields ``ids`` (or ``(ids, labels)``) with each
    batch cut to :func:`padded_width`. With ``shuffle`` each pass over the
    dataset (each epoch) draws a new grouping from ``seed`` + the pass.
    """
    import tensorflow as tf

    token_ids = np.asarray(token_ids)
    lengths = np.asarray(lengths)
    limit = token_ids.shape[1]
    passes = [0]

    def batches():
        order = length_batches(
            lengths, batch_size, shuffle=shuffle, seed=seed + passes[0]
        )
        passes[0] += 1
        for rows in order:
            width = padded_width(lengths[rows], limit)
            ids = token_ids[rows, :width]
            if labels is None:
                yield ids
            else:
                yield ids, labels[rows]

    ids_spec = tf.TensorSpec((None, None), tf.as_dtype(token_ids.dtype))
    if labels is None:
        signature = ids_spec
    else:
        labels = np.asarray(labels)
        label_spec = tf.TensorSpec(
            (None,) + labels.shape[1:], tf.as_dtype(labels.dtype)
        )
        signature = (ids_spec, label_spec)
    count = -(-len(lengths) // batch_size)
    dataset = tf.data.Dataset.from_generator(
        batches, output_signature=signature
    )
    return dataset.apply(tf.data.experimental.assert_cardinality(count))


def predict_bucketed(
    model, token_ids, lengths, batch_size=64, callbacks=None, verbose=0
):
    """``model.predict`` over length-sorted batches, outputs returned in
    the input order."""
    order = np.concatenate(
        length_batches(lengths, batch_size) or [np.zeros(0, "int64")]
    )
    dataset = bucketed_dataset(token_ids, lengths, batch_size=batch_size)
    with expected_retracing():
        outputs = model.predict(dataset, callbacks=callbacks, verbose=verbose)
    restored = np.empty_like(outputs)
    restored[order] = outputs
    return restored
