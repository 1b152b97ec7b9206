"""nlptoolkit: a Keras 3 toolkit for applied NLP.

From a CSV of text to a trained, evaluated, saved and measured model.

Example:
>>> import nlptoolkit
>>> clf = nlptoolkit.SentimentClassifier("lstm", hidden_dim=8, seed=0)
>>> _ = clf.fit(["good", "bad"] * 8, [1, 0] * 8, epochs=1, verbose=0)
>>> clf.classify(["good"])[0] in ("negative", "positive")
True
"""

import os

# First: _quiet records whether the user set TF_CPP_MIN_LOG_LEVEL.
from nlptoolkit._quiet import quiet_import  # noqa: I001

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

quiet_import("tensorflow", "keras", "keras_hub")

from nlptoolkit import backbones  # noqa: E402
from nlptoolkit import callbacks  # noqa: E402
from nlptoolkit import datasets  # noqa: E402
from nlptoolkit import heads  # noqa: E402
from nlptoolkit import preprocessing  # noqa: E402
from nlptoolkit import training  # noqa: E402
from nlptoolkit.decoding import GenerationConfig  # noqa: E402
from nlptoolkit.tasks.classification import TextClassifier  # noqa: E402
from nlptoolkit.tasks.generation import TextGenerator  # noqa: E402
from nlptoolkit.tasks.registry import load  # noqa: E402
from nlptoolkit.tasks.sentiment import SentimentClassifier  # noqa: E402
from nlptoolkit.tasks.summarization import Summarizer  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "GenerationConfig",
    "SentimentClassifier",
    "Summarizer",
    "TextClassifier",
    "TextGenerator",
    "backbones",
    "callbacks",
    "datasets",
    "heads",
    "load",
    "preprocessing",
    "training",
]
