"""Backbones: Embedding -> LSTM | Transformer, one output contract."""

from nlptoolkit.backbones.base import OUTPUT_KEYS
from nlptoolkit.backbones.base import Backbone
from nlptoolkit.backbones.lstm import LSTMBackbone
from nlptoolkit.backbones.registry import BACKBONES
from nlptoolkit.backbones.registry import get
from nlptoolkit.backbones.registry import resolve
from nlptoolkit.backbones.transformer import TransformerBackbone

__all__ = [
    "BACKBONES",
    "OUTPUT_KEYS",
    "Backbone",
    "LSTMBackbone",
    "TransformerBackbone",
    "get",
    "resolve",
]
