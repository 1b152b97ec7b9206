"""SentimentClassifier: a TextClassifier that knows polarity labels."""

import numpy as np

from nlptoolkit.tasks.classification.task import TextClassifier

# Integer label sets -> readable names, in label order.
POLARITY_NAMES = {
    2: ["negative", "positive"],
    3: ["negative", "neutral", "positive"],
    5: ["very negative", "negative", "neutral", "positive", "very positive"],
}


class SentimentClassifier(TextClassifier):
    """Binary or graded polarity.

    Integer labels ``0..k-1`` (k = 2, 3 or 5) are named ``negative`` ...
    ``positive``; string labels keep their own names. ``polarity`` gives a
    score in [-1, 1]: the expected class position under the predicted
    probabilities, from most negative (-1) to most positive (+1).

    Example (three graded classes):
    >>> from nlptoolkit import SentimentClassifier
    >>> clf = SentimentClassifier(
    ...     "lstm", hidden_dim=8, vocabulary_size=64, seed=1)
    >>> reviews = ["awful film", "an ok film", "a great film"] * 6
    >>> _ = clf.fit(reviews, [0, 1, 2] * 6, epochs=1, verbose=0)
    >>> clf.label_names
    ['negative', 'neutral', 'positive']
    >>> -1.0 <= clf.polarity(["a great plot"])[0] <= 1.0
    True
    """

    task_id = "sentiment"

    def _label_names_for(self, labels):
        if all(isinstance(v, int) for v in labels) and labels == list(
            range(len(labels))
        ):
            names = POLARITY_NAMES.get(len(labels))
            if names:
                return list(names)
        return super()._label_names_for(labels)

    def polarity(self, texts, batch_size=64):
        """A score per text in [-1, 1] (negative to positive)."""
        probabilities = self.predict(texts, batch_size=batch_size)
        positions = np.linspace(-1.0, 1.0, probabilities.shape[-1])
        return (probabilities * positions).sum(axis=-1).tolist()
