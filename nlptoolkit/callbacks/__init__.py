"""Callbacks: the inference clock."""

from nlptoolkit.callbacks.clock import InferenceClock
from nlptoolkit.callbacks.time_limit import TimeLimit

__all__ = ["InferenceClock", "TimeLimit"]
