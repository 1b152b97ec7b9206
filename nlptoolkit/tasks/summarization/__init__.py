"""Summarization (``python -m nlptoolkit.tasks.summarization``)."""

from nlptoolkit.tasks.summarization.task import Summarizer

__all__ = ["Summarizer"]
