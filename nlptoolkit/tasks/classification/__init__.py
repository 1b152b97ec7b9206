"""Text classification (``python -m nlptoolkit.tasks.classification``)."""

from nlptoolkit.tasks.classification.task import TextClassifier

__all__ = ["TextClassifier"]
