"""Training that takes care of itself.

One training policy for every task's ``fit`` (``policy``: the options,
each task's defaults, the callbacks of a run), the classifiers' defaults
(AdamW, linear warm-up + cosine decay sized from the data at fit time,
gradient clipping, early stopping on a carved validation split with the
best weights restored), the learning-rate range test, top-loss tables
and class weights.

Example:
>>> from nlptoolkit.training import WarmupCosineDecay
>>> round(float(WarmupCosineDecay(1e-3, total_steps=10)(0)), 6)
0.001
"""

from nlptoolkit.training.data import DEFAULT_VALIDATION_SPLIT
from nlptoolkit.training.data import balanced_class_weight
from nlptoolkit.training.data import carve_validation
from nlptoolkit.training.lr_finder import LRFinderResult
from nlptoolkit.training.lr_finder import lr_range_test
from nlptoolkit.training.policy import FitPlan
from nlptoolkit.training.policy import TrainingPolicy
from nlptoolkit.training.policy import fit_callbacks
from nlptoolkit.training.schedules import WarmupCosineDecay
from nlptoolkit.training.schedules import describe
from nlptoolkit.training.schedules import make_optimizer
from nlptoolkit.training.schedules import rearm
from nlptoolkit.training.schedules import schedule_of
from nlptoolkit.training.schedules import total_steps
from nlptoolkit.training.top_losses import classification_top_losses
from nlptoolkit.training.top_losses import language_model_top_losses
from nlptoolkit.training.top_losses import summarization_top_losses

__all__ = [
    "DEFAULT_VALIDATION_SPLIT",
    "FitPlan",
    "LRFinderResult",
    "TrainingPolicy",
    "WarmupCosineDecay",
    "balanced_class_weight",
    "carve_validation",
    "classification_top_losses",
    "describe",
    "fit_callbacks",
    "language_model_top_losses",
    "lr_range_test",
    "make_optimizer",
    "rearm",
    "schedule_of",
    "summarization_top_losses",
    "total_steps",
]
