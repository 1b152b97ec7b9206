"""Task metrics: classification scores, ROUGE, perplexity, and plots.

Pure numpy / scikit-learn / rouge-score / matplotlib; importing this package
does not import TensorFlow, and scikit-learn, rouge-score and matplotlib are
imported only when a function that needs them is called.

Example:
>>> import nlptoolkit.metrics as metrics
>>> metrics.classification_metrics([0, 1], [0, 1], ["neg", "pos"])["accuracy"]
1.0
>>> metrics.rouge(["a summary"], ["a summary"])["rougeL"]
100.0
"""

from nlptoolkit.metrics.classification import classification_metrics
from nlptoolkit.metrics.language_modeling import bits_per_token
from nlptoolkit.metrics.language_modeling import perplexity
from nlptoolkit.metrics.plotting import plot_confusion_matrix
from nlptoolkit.metrics.plotting import plot_history
from nlptoolkit.metrics.summarization import rouge

__all__ = [
    "bits_per_token",
    "classification_metrics",
    "perplexity",
    "plot_confusion_matrix",
    "plot_history",
    "rouge",
]
