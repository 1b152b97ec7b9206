"""Stepwise and fused decoding with caches; samplers come from keras-hub."""

from nlptoolkit.decoding.adapters import LSTMAdapter
from nlptoolkit.decoding.adapters import TransformerAdapter
from nlptoolkit.decoding.adapters import adapter_for
from nlptoolkit.decoding.loop import DECODE_PATHS
from nlptoolkit.decoding.loop import Decoder
from nlptoolkit.decoding.loop import check_decode
from nlptoolkit.decoding.loop import count_generated
from nlptoolkit.decoding.samplers import SAMPLERS
from nlptoolkit.decoding.samplers import make_sampler
from nlptoolkit.decoding.seq2seq import Seq2SeqAdapter

__all__ = [
    "DECODE_PATHS",
    "SAMPLERS",
    "Decoder",
    "LSTMAdapter",
    "Seq2SeqAdapter",
    "TransformerAdapter",
    "adapter_for",
    "check_decode",
    "count_generated",
    "make_sampler",
]
