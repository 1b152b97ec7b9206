"""Sentiment analysis (``python -m nlptoolkit.tasks.sentiment``)."""

from nlptoolkit.tasks.sentiment.task import SentimentClassifier

__all__ = ["SentimentClassifier"]
