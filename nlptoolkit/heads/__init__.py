"""Task heads that sit on a backbone's output dict."""

from nlptoolkit.heads.classification import ClassificationHead
from nlptoolkit.heads.language_model import LanguageModelHead

__all__ = ["ClassificationHead", "LanguageModelHead"]
