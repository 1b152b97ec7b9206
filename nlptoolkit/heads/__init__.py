"""Task heads that sit on a backbone's output dict."""

from nlptoolkit.heads.classification import ClassificationHead

__all__ = ["ClassificationHead"]
