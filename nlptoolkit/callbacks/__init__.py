"""Callbacks: the inference clock."""

from nlptoolkit.callbacks.clock import InferenceClock

__all__ = ["InferenceClock"]
