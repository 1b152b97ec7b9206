"""Baselines: the bar every model is shown beside.

TF-IDF n-grams with a linear classifier (classification), Lead-k
(summarisation) and an interpolated Kneser-Ney n-gram model (language
modelling). Pure numpy / scikit-learn; importing this package does not
import TensorFlow.

Example:
>>> from nlptoolkit.baselines import lead_k
>>> lead_k(["First sentence. Second one. Third. Fourth."], k=3)
['First sentence. Second one. Third.']
"""

from nlptoolkit.baselines.lead import lead_k
from nlptoolkit.baselines.ngram import NGramLanguageModel
from nlptoolkit.baselines.tfidf import TfidfLogisticRegression

__all__ = [
    "NGramLanguageModel",
    "TfidfLogisticRegression",
    "lead_k",
]
