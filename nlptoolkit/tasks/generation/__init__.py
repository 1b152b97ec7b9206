"""Text generation (``python -m nlptoolkit.tasks.generation``)."""

from nlptoolkit.tasks.generation.task import TextGenerator

__all__ = ["TextGenerator"]
