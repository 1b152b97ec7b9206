"""ROUGE for summarisation, via Google's `rouge-score` package."""

from __future__ import annotations

import numpy as np

from nlptoolkit.checks import check_same_length
from nlptoolkit.checks import check_texts
from nlptoolkit.checks import describe_value

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


def _normalise_references(references) -> list[list[str]]:
    if isinstance(references, (str, bytes)):
        raise TypeError(
            "`references` must be a list with one entry per prediction, not "
            "a single string. Received: "
            f"references={describe_value(references)}. "
            "To score one example, wrap it in a list: [reference]."
        )
    try:
        items = list(references)
    except TypeError:
        raise TypeError(
            "`references` must be a list of strings or a list of lists of "
            f"strings. Received: references={describe_value(references)}."
        ) from None
    if not items:
        raise ValueError(
            "`references` is empty. Expected one reference (a string) or a "
            "list of references per prediction."
        )
    normalised = []
    for index, item in enumerate(items):
        if isinstance(item, str):
            normalised.append([item])
            continue
        if isinstance(item, (list, tuple, np.ndarray)):
            group = list(item)
            if not group:
                raise ValueError(
                    f"`references` element {index} is an empty list. Each "
                    "example needs at least one reference string."
                )
            for inner, text in enumerate(group):
                if not isinstance(text, str):
                    raise TypeError(
                        f"`references[{index}][{inner}]` must be a string. "
                        f"Received: {describe_value(text)}."
                    )
            normalised.append(group)
            continue
        raise TypeError(
            f"`references` element {index} must be a string or a list of "
            f"strings. Received: {describe_value(item)}."
        )
    return normalised


def rouge(predictions, references) -> dict:
    """Mean ROUGE-1, ROUGE-2 and ROUGE-L F1, in percent (0 to 100).

    Scores come from `rouge_score.rouge_scorer.RougeScorer` with
    `use_stemmer=True` (Porter stemming; its tokenizer lowercases and keeps
    only `[a-z0-9]` runs), averaged over examples and multiplied by 100, as
    published figures are reported. `rougeL` is the sentence-level LCS
    score (not `rougeLsum`).

    With several references for an example, each ROUGE type takes the
    reference with the highest F1 for that type (rouge-score's
    `score_multi`; the first reference wins ties), so ROUGE-1 and ROUGE-L
    of one example may come from different references.

    Args:
        predictions: list of predicted summaries (strings). Empty strings
            are allowed and score 0.
        references: list, one entry per prediction, of either a string or a
            non-empty list of strings (several references).

    Returns:
        `{"rouge1": float, "rouge2": float, "rougeL": float}`.

    Example:
    >>> from nlptoolkit.metrics import rouge
    >>> rouge(["the cat sat"], ["the cat sat"])["rouge1"]
    100.0
    >>> scores = rouge(["the cat sat"], [["a dog ran", "the cat sat down"]])
    >>> round(scores["rouge1"], 2)
    85.71
    """
    from rouge_score import rouge_scorer

    predictions = check_texts(predictions, "predictions", item="text")
    groups = _normalise_references(references)
    check_same_length(predictions, groups, "predictions", "references")
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    totals = dict.fromkeys(ROUGE_TYPES, 0.0)
    for prediction, group in zip(predictions, groups, strict=True):
        if len(group) == 1:
            scores = scorer.score(group[0], prediction)
        else:
            scores = scorer.score_multi(group, prediction)
        for rouge_type in ROUGE_TYPES:
            totals[rouge_type] += scores[rouge_type].fmeasure
    count = len(predictions)
    return {key: 100.0 * value / count for key, value in totals.items()}
