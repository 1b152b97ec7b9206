"""Interpolated modified Kneser-Ney n-gram language model, in numpy.

Every n-gram of every order gets a dense integer id: the id of an n-gram is
its rank among the sorted keys `context_id * (V + 1) + token`, where
`context_id` is the id of its first n - 1 tokens. Counting is then
`np.unique` and `np.bincount`, and lookup is `np.searchsorted`, so fitting
on the Penn Treebank (about a million tokens) takes seconds.
"""

from __future__ import annotations

import collections
import logging

import numpy as np

from nlptoolkit.baselines.config import ConstructorConfig
from nlptoolkit.checks import check_choice
from nlptoolkit.checks import check_positive_int
from nlptoolkit.checks import check_texts
from nlptoolkit.checks import describe_value
from nlptoolkit.metrics.language_modeling import bits_per_token
from nlptoolkit.metrics.language_modeling import perplexity
from nlptoolkit.validation import Interval
from nlptoolkit.validation import check

logger = logging.getLogger(__name__)

LEVELS = ("char", "word")
# Absolute discounting's fixed D (None: modified Kneser-Ney's estimates).
DISCOUNT = Interval(float, 0, 1, closed="right")
# Used when count-of-counts cannot define a modified KN discount (tiny data).
_FALLBACK_DISCOUNT = 0.75
_MIN_DISCOUNT = 0.05


def _shift(values: np.ndarray) -> np.ndarray:
    """`values` moved one position right, repeating the first element."""
    shifted = np.empty_like(values)
    shifted[0] = values[0]
    shifted[1:] = values[:-1]
    return shifted


def _modified_kn_discounts(adjusted: np.ndarray) -> np.ndarray:
    """Discounts `[0, D1, D2, D3+]` from counts of counts n1..n4.

    Chen & Goodman's modified Kneser-Ney estimates when n1..n4 are all
    non-zero; otherwise (tiny data) one discount `n1 / (n1 + 2 n2)` for
    every count, as Ney et al. estimate it. Each `Dk` is kept in
    `[0.05, k]` so that counts stay non-negative and every seen context
    passes some mass to the lower order.
    """
    n = [int(np.count_nonzero(adjusted == k)) for k in range(5)]
    if n[1] == 0:
        discounts = [0.0] + [_FALLBACK_DISCOUNT] * 3
    elif min(n[1:]) == 0:
        discounts = [0.0] + [n[1] / (n[1] + 2 * n[2])] * 3
    else:
        y = n[1] / (n[1] + 2 * n[2])
        discounts = [
            0.0,
            1 - 2 * y * n[2] / n[1],
            2 - 3 * y * n[3] / n[2],
            3 - 4 * y * n[4] / n[3],
        ]
    return np.array(
        [0.0]
        + [float(np.clip(discounts[k], _MIN_DISCOUNT, k)) for k in (1, 2, 3)]
    )


class NGramLanguageModel(ConstructorConfig):
    """A smoothed n-gram language model: interpolated Kneser-Ney.

    Probabilities follow interpolated *modified* Kneser-Ney (Chen & Goodman
    1998): at each order the count of an n-gram is reduced by a discount
    `D1`, `D2` or `D3+` (estimated from counts of counts; or one fixed
    `discount`), and the freed mass goes to the next lower order, whose
    counts are continuation counts (how many distinct tokens precede the
    n-gram), as KenLM adjusts them (n-grams starting with the start-of-
    sequence padding keep raw counts, and padding counts once, like a
    single `<s>`). The lowest order interpolates with
    the uniform distribution over the vocabulary, so every token, including
    `<unk>`, has a non-zero probability and perplexity is always finite.

    Tokens:
        `level="word"`: each line of each text is split on whitespace and
        ends with `eos_token` (`"</s>"`), which is predicted and counted,
        as word-level PTB figures count it. Blank lines are skipped.
        `level="char"`: each text is one sequence of characters (newlines
        included); no end token is added.
        Tokens seen fewer than `min_count` times in `fit`, and tokens never
        seen, map to `unk_token`. Each sequence starts with `order - 1`
        start paddings that are context only, never predicted.

    What it scores (a word 5-gram on PTB, a character 7-gram on Tiny
    Shakespeare, beside the generators and the published references):
    BENCHMARKS.md, "Model quality: every recipe in tasks/ beside its
    baseline" (the baseline column).

    Args:
        order: the n of the n-gram (1 = unigram), >= 1.
        level: `"word"` or `"char"`.
        discount: `None` (modified Kneser-Ney, three discounts per order
            estimated from the data) or a number in (0, 1] used for every
            count at every order (interpolated Kneser-Ney with absolute
            discounting).
        min_count: tokens seen fewer times than this in `fit` become
            `unk_token`.
        unk_token: the unknown token.
        eos_token: the end-of-line token (word level).

    Example:
    >>> from nlptoolkit.baselines import NGramLanguageModel
    >>> model = NGramLanguageModel(order=2, level="word")
    >>> model = model.fit(["the cat sat", "the dog sat", "a cat ran"])
    >>> result = model.evaluate(["the cat ran", "a zebra sat"])
    >>> sorted(result)
    ['bits_per_token', 'loss', 'perplexity', 'tokens', 'unknown_tokens']
    >>> result["tokens"], result["unknown_tokens"]
    (8, 1)
    >>> probabilities = model.probabilities("the")
    >>> round(float(probabilities.sum()), 6)
    1.0
    >>> model.vocabulary[int(probabilities.argmax())]
    'cat'
    """

    def __init__(
        self,
        order=3,
        level="word",
        discount=None,
        min_count=1,
        unk_token="<unk>",
        eos_token="</s>",
    ):
        self.order = check_positive_int("order", order)
        self.level = check_choice("level", level, LEVELS)
        self.discount = check("discount", discount, DISCOUNT, None)
        self.min_count = check_positive_int("min_count", min_count)
        for name, token in (("unk_token", unk_token), ("eos_token", eos_token)):
            if not isinstance(token, str) or not token:
                raise ValueError(
                    f"`{name}` must be a non-empty string. "
                    f"Received: {name}={describe_value(token)}."
                )
        if level == "char" and len(unk_token) == 1:
            raise ValueError(
                "At char level `unk_token` must not be a single character "
                f"(it would collide with that character). Received: "
                f"unk_token={unk_token!r}. Keep the default '<unk>'."
            )
        self.unk_token = unk_token
        self.eos_token = eos_token
        self._vocabulary = None

    @property
    def vocabulary(self) -> list[str]:
        """The predicted tokens, index `i` naming token id `i`."""
        self._check_fitted()
        return list(self._vocabulary)

    @property
    def discounts(self) -> list[list[float]]:
        """`[D1, D2, D3+]` for each order 1..`order` (as fitted)."""
        self._check_fitted()
        return [d[1:].tolist() for d in self._discounts[1:]]

    def _check_fitted(self):
        if self._vocabulary is None:
            raise RuntimeError(
                "This NGramLanguageModel is not fitted yet. Call "
                "`fit(texts)` first."
            )

    # ----------------------------------------------------------------- data
    def _tokenize(self, texts) -> list[list[str]]:
        if self.level == "char":
            return [list(text) for text in texts if text]
        sequences = []
        for text in texts:
            for line in text.splitlines():
                tokens = line.split()
                if tokens:
                    tokens.append(self.eos_token)
                    sequences.append(tokens)
        return sequences

    def _sequences(self, texts) -> list[list[str]]:
        """The token sequences of ``texts`` (checked; an error where it
        holds no tokens)."""
        sequences = self._tokenize(check_texts(texts, "texts"))
        if not sequences:
            raise ValueError(
                "`texts` holds no tokens (only empty or blank strings). "
                "Pass non-empty text."
            )
        return sequences

    def _stream(self, sequences) -> tuple[np.ndarray, int]:
        """Token ids with `order - 1` paddings before each sequence."""
        lookup = self._token_to_id
        unk = lookup[self.unk_token]
        pad = [self._bos] * (self.order - 1)
        ids: list[int] = []
        unknown = 0
        for sequence in sequences:
            ids.extend(pad)
            encoded = [lookup.get(token, unk) for token in sequence]
            ids.extend(encoded)
            unknown += sum(1 for token in sequence if token not in lookup)
        return np.asarray(ids, dtype=np.int64), unknown

    # ------------------------------------------------------------------ fit
    def fit(self, texts):
        """Counts n-grams in `texts` and estimates the discounts.

        Args:
            texts: list of strings (lines for word level; running text
                for char level).

        Returns:
            `self`.
        """
        sequences = self._sequences(texts)
        counts = collections.Counter()
        for sequence in sequences:
            counts.update(sequence)
        kept = [t for t, c in counts.items() if c >= self.min_count]
        kept.sort(key=lambda token: (-counts[token], token))
        if self.unk_token not in kept:
            kept.append(self.unk_token)
        self._vocabulary = kept
        self._token_to_id = {token: i for i, token in enumerate(kept)}
        vocabulary_size = len(kept)
        self._bos = vocabulary_size  # padding id, context only
        self._base = vocabulary_size + 1
        tokens, _ = self._stream(sequences)
        self._fit_counts(tokens)
        logger.info(
            "Fitted %d-gram %s-level KN model: %d tokens, vocabulary %d, "
            "n-grams per order %s",
            self.order,
            self.level,
            int(np.count_nonzero(tokens != self._bos)),
            vocabulary_size,
            [int(np.count_nonzero(a)) for a in self._adjusted[1:]],
        )
        return self

    def _fit_counts(self, tokens: np.ndarray):
        order, base, bos = self.order, self._base, self._bos
        predicted = tokens != bos
        # keys[n]: sorted unique keys of the n-grams (n-gram id = index).
        self._keys = [np.zeros(1, dtype=np.int64)]
        grams = [np.zeros(len(tokens), dtype=np.int64)]
        first_index = [np.zeros(1, dtype=np.int64)]
        for n in range(1, order + 1):
            keys = _shift(grams[n - 1]) * base + tokens
            unique, first, inverse = np.unique(
                keys, return_index=True, return_inverse=True
            )
            self._keys.append(unique)
            first_index.append(first)
            grams.append(inverse.reshape(-1))
        adjusted = [None] * (order + 1)
        for n in range(order, 0, -1):
            keys = self._keys[n]
            raw = np.bincount(grams[n][predicted], minlength=len(keys))
            if n == order:
                adjusted[n] = raw
                continue
            # Continuation count: distinct tokens preceding the n-gram, i.e.
            # distinct (n+1)-grams (not ending in padding) with it as suffix.
            upper = first_index[n + 1][self._keys[n + 1] % base != bos]
            continuation = np.bincount(grams[n][upper], minlength=len(keys))
            start = first_index[n] - n + 1
            first_token = np.where(
                start >= 0, tokens[np.maximum(start, 0)], bos
            )
            adjusted[n] = np.where(first_token == bos, raw, continuation)
            grams[n + 1] = None
        # Sequence starts: an n-gram whose first two tokens are both padding
        # is the same event as its (n-1)-gram suffix, so it is not counted
        # again (as with a single <s> in SRILM and KenLM); its context then
        # has no counts and backs off to the lower order.
        for n in range(3, order + 1):
            start = first_index[n] - n + 1
            double = np.ones(len(start), dtype=bool)
            for offset in (0, 1):
                where = start + offset
                double &= np.where(
                    where >= 0, tokens[np.maximum(where, 0)] == bos, True
                )
            adjusted[n] = np.where(double, 0, adjusted[n])
        self._adjusted = adjusted
        self._discounts = [None]
        self._numerators = [None]
        self._totals = [None]
        self._backoff = [None]
        for n in range(1, order + 1):
            a = adjusted[n].astype(np.int64)
            if self.discount is None:
                d = _modified_kn_discounts(a)
            else:
                d = np.array([0.0] + [float(self.discount)] * 3)
            contexts = self._keys[n] // base
            size = len(self._keys[n - 1])
            seen = a > 0
            self._discounts.append(d)
            numerators = np.where(seen, a - d[np.minimum(a, 3)], 0.0)
            totals = np.bincount(
                contexts[seen], weights=a[seen], minlength=size
            )
            # Mass left to the lower order: the sum of the discounts taken.
            kept = np.bincount(contexts, weights=numerators, minlength=size)
            self._numerators.append(numerators)
            self._totals.append(totals)
            self._backoff.append(totals - kept)

    # ------------------------------------------------------------ scoring
    def _lookup(self, n: int, contexts: np.ndarray, words: np.ndarray):
        """Ids of the n-grams (context id, word), -1 where unseen."""
        keys = self._keys[n]
        query = np.maximum(contexts, 0) * self._base + words
        index = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
        found = (contexts >= 0) & (keys[index] == query)
        return np.where(found, index, -1)

    def _context_ids(self, tokens: np.ndarray) -> list[np.ndarray]:
        """For each order n, id of the (n-1)-gram ending at each position."""
        grams = [np.zeros(len(tokens), dtype=np.int64)]
        for n in range(1, self.order):
            grams.append(self._lookup(n, _shift(grams[n - 1]), tokens))
        return grams

    def _probabilities(self, contexts: list, words: np.ndarray) -> np.ndarray:
        """p(word | context); `contexts[n - 1]` is the order-n context id."""
        probabilities = np.full(len(words), 1.0 / len(self._vocabulary))
        for n in range(1, self.order + 1):
            context = contexts[n - 1]
            safe = np.maximum(context, 0)
            total = self._totals[n][safe]
            seen = (context >= 0) & (total > 0)
            gram = self._lookup(n, np.where(seen, context, -1), words)
            numerator = np.where(
                gram >= 0, self._numerators[n][np.maximum(gram, 0)], 0.0
            )
            interpolated = (
                numerator + self._backoff[n][safe] * probabilities
            ) / np.where(seen, total, 1.0)
            probabilities = np.where(seen, interpolated, probabilities)
        return probabilities

    def evaluate(self, texts) -> dict:
        """Cross-entropy of `texts` under the model.

        Args:
            texts: list of strings, tokenised as in `fit`.

        Returns:
            `{"loss": nats per token, "perplexity": exp(loss),
            "bits_per_token": loss / ln 2, "tokens": tokens scored,
            "unknown_tokens": tokens scored as unk_token}`. Word level counts
            one end-of-line token per non-blank line.
        """
        self._check_fitted()
        sequences = self._sequences(texts)
        tokens, unknown = self._stream(sequences)
        grams = self._context_ids(tokens)
        positions = np.flatnonzero(tokens != self._bos)
        # A predicted position always follows order - 1 paddings or tokens,
        # so positions - 1 >= 0 whenever order >= 2.
        contexts = [
            grams[n - 1][np.maximum(positions - 1, 0)]
            for n in range(1, self.order + 1)
        ]
        probabilities = self._probabilities(contexts, tokens[positions])
        loss = float(-np.mean(np.log(probabilities)))
        return {
            "loss": loss,
            "perplexity": perplexity(loss),
            "bits_per_token": bits_per_token(loss),
            "tokens": int(len(positions)),
            "unknown_tokens": int(unknown),
        }

    def probabilities(self, context="") -> np.ndarray:
        """Next-token distribution after `context`, over `vocabulary`.

        Args:
            context: the preceding text: a string (split on whitespace at
                word level, into characters at char level) or a list of
                tokens. It is read as the start of a sequence, so fewer
                than `order - 1` tokens are preceded by start padding.

        Returns:
            A float array of shape `(len(vocabulary),)` summing to 1.
        """
        self._check_fitted()
        if isinstance(context, str):
            tokens = context.split() if self.level == "word" else list(context)
        elif isinstance(context, (list, tuple)) and all(
            isinstance(t, str) for t in context
        ):
            tokens = list(context)
        else:
            raise TypeError(
                "`context` must be a string or a list of token strings. "
                f"Received: context={describe_value(context)}."
            )
        unk = self._token_to_id[self.unk_token]
        ids = [self._bos] * (self.order - 1)
        ids += [self._token_to_id.get(t, unk) for t in tokens]
        ids.append(self._bos)  # the position being predicted
        grams = self._context_ids(np.asarray(ids, dtype=np.int64))
        size = len(self._vocabulary)
        contexts = [np.zeros(size, dtype=np.int64)]  # order 1: empty context
        contexts += [
            np.full(size, grams[n - 1][-2]) for n in range(2, self.order + 1)
        ]
        return self._probabilities(contexts, np.arange(size))

    def perplexity(self, texts) -> float:
        """Shortcut for `evaluate(texts)["perplexity"]`."""
        return self.evaluate(texts)["perplexity"]

    def __repr__(self):
        fitted = (
            f", vocabulary_size={len(self._vocabulary)}"
            if self._vocabulary is not None
            else ""
        )
        return (
            f"NGramLanguageModel(order={self.order}, level={self.level!r}"
            f"{fitted})"
        )
