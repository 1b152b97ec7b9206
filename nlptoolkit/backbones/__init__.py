"""Backbones: Embedding -> LSTM | Transformer, or a pretrained keras-hub
encoder or causal LM; one output contract."""

from nlptoolkit.backbones.base import OUTPUT_KEYS
from nlptoolkit.backbones.base import Backbone
from nlptoolkit.backbones.lstm import LSTMBackbone
from nlptoolkit.backbones.preset import BUNDLED_CHECKPOINTS
from nlptoolkit.backbones.preset import PresetInfo
from nlptoolkit.backbones.preset import PresetUnavailableError
from nlptoolkit.backbones.preset import PretrainedBackbone
from nlptoolkit.backbones.preset import bundled_checkpoint_path
from nlptoolkit.backbones.preset import is_pretrained
from nlptoolkit.backbones.preset import resolve_preset
from nlptoolkit.backbones.preset_causal import PretrainedCausalLM
from nlptoolkit.backbones.registry import BACKBONES
from nlptoolkit.backbones.registry import get
from nlptoolkit.backbones.registry import resolve
from nlptoolkit.backbones.transformer import TransformerBackbone

__all__ = [
    "BACKBONES",
    "BUNDLED_CHECKPOINTS",
    "OUTPUT_KEYS",
    "Backbone",
    "LSTMBackbone",
    "PresetInfo",
    "PresetUnavailableError",
    "PretrainedBackbone",
    "PretrainedCausalLM",
    "TransformerBackbone",
    "bundled_checkpoint_path",
    "get",
    "is_pretrained",
    "resolve",
    "resolve_preset",
]
