"""``ban_repeated_ngrams``: the ``no_repeat_ngram_size`` logits processor."""

import numpy as np
import pytest
import tensorflow as tf

from nlptoolkit.decoding import ban_repeated_ngrams
from nlptoolkit.decoding import check_no_repeat_ngram_size


def banned(ids, index, n, vocabulary_size=10):
    logits = np.zeros((len(ids), vocabulary_size), "float32")
    out = np.asarray(ban_repeated_ngrams(logits, np.asarray(ids), index, n))
    return [np.nonzero(row < 0)[0].tolist() for row in out]


def reference(ids, index, n, pad=0):
    """Hugging Face's rule, one row at a time, in plain Python."""
    result = []
    for row in np.asarray(ids).tolist():
        context = row[:index]
        prefix = context[index - n + 1 :] if n > 1 else []
        found = set()
        if index >= n - 1 and pad not in prefix:
            for start in range(index - n + 1):
                gram = context[start : start + n]
                if pad not in gram and gram[:-1] == prefix:
                    found.add(gram[-1])
        result.append(sorted(found))
    return result


def test_bans_exactly_the_tokens_that_complete_a_seen_ngram():
    ids = [
        [2, 5, 6, 5, 6, 5, 9, 9],  # "5 6" twice; context ends "6 5"
        [2, 5, 6, 7, 5, 8, 0, 0],  # "5 6" seen; context ends "8"
        [2, 5, 0, 5, 6, 5, 7, 7],  # a pad inside: "5 0", "0 5" are no n-grams
    ]
    # Position 6 is next; tokens from 6 on are not context.
    assert banned(ids, 6, 2) == [[6], [], [6]]
    assert banned(ids, 6, 3) == [[6], [], []]
    assert banned(ids, 5, 2) == [[5], [6], []]
    # Unigrams: every context token (padding excluded).
    assert banned(ids, 3, 1) == [[2, 5, 6], [2, 5, 6], [2, 5]]
    # Fewer than n - 1 context tokens: nothing to match.
    assert banned(ids, 1, 3) == [[], [], []]
    assert banned(ids, 0, 1) == [[], [], []]
    # A prefix that holds padding bans nothing.
    assert banned([[2, 5, 6, 5, 0]], 5, 2) == [[]]
    assert banned(ids, 6, 0) == [[], [], []]  # off


def test_without_a_pad_id_every_id_is_a_token():
    """A pretrained vocabulary's id 0 is a real token (GPT-2's "!"):
    with ``pad_id=None`` it forms n-grams like any other id."""
    ids = np.asarray([[7, 0, 0, 9]])
    logits = np.zeros((1, 10), "float32")
    with_pad = ban_repeated_ngrams(logits, ids, 3, 2)
    without = ban_repeated_ngrams(logits, ids, 3, 2, pad_id=None)
    assert np.nonzero(np.asarray(with_pad)[0] < 0)[0].tolist() == []
    assert np.nonzero(np.asarray(without)[0] < 0)[0].tolist() == [0]


def test_matches_the_reference_on_random_arrays():
    rng = np.random.default_rng(0)
    for _ in range(200):
        batch, length = rng.integers(1, 4), rng.integers(1, 12)
        ids = rng.integers(0, 4, size=(batch, length)).astype("int32")
        index = int(rng.integers(0, length + 1))
        n = int(rng.integers(1, 5))
        assert banned(ids, index, n, 6) == reference(ids, index, n)


def test_runs_traced_with_unknown_shapes():
    spec = [
        tf.TensorSpec([None, None], tf.float32),
        tf.TensorSpec([None, None], tf.int32),
        tf.TensorSpec([], tf.int32),
    ]
    traced = tf.function(
        lambda logits, ids, index: ban_repeated_ngrams(logits, ids, index, 2),
        input_signature=spec,
    )
    ids = np.array([[2, 5, 6, 5, 0, 0], [2, 7, 7, 7, 7, 0]], "int32")
    logits = np.random.default_rng(1).normal(size=(2, 9)).astype("float32")
    out = traced(logits, ids, 4).numpy()
    eager = np.asarray(ban_repeated_ngrams(logits, ids, 4, 2))
    np.testing.assert_array_equal(out, eager)
    assert (out[0, 6] < -1e8) and (out[1, 7] < -1e8)
    untouched = np.ones_like(out, bool)
    untouched[0, 6] = untouched[1, 7] = False
    np.testing.assert_array_equal(out[untouched], logits[untouched])


@pytest.mark.parametrize("value", [-1, 1.5, 2.0, True, "2", None, np.nan])
def test_bad_sizes_are_refused_with_the_fix(value):
    with pytest.raises(ValueError, match="no_repeat_ngram_size") as error:
        check_no_repeat_ngram_size(value)
    assert "Received" in str(error.value) and ">= 0" in str(error.value)


def test_sizes_accepted():
    assert check_no_repeat_ngram_size(0) == 0
    assert check_no_repeat_ngram_size(np.int64(3)) == 3
