"""Stepwise and fused decoding with caches; samplers come from keras-hub,
beam search with frozen beams and a length penalty from ``beam``, and the
``no_repeat_ngram_size`` logits processor from ``processors``."""

from nlptoolkit.decoding.adapters import LSTMAdapter
from nlptoolkit.decoding.adapters import TransformerAdapter
from nlptoolkit.decoding.adapters import adapter_for
from nlptoolkit.decoding.beam import BeamSampler
from nlptoolkit.decoding.beam import check_length_penalty
from nlptoolkit.decoding.config import GenerationConfig
from nlptoolkit.decoding.loop import DECODE_PATHS
from nlptoolkit.decoding.loop import Decoder
from nlptoolkit.decoding.loop import check_chunk_size
from nlptoolkit.decoding.loop import check_decode
from nlptoolkit.decoding.loop import check_jit_compile
from nlptoolkit.decoding.loop import count_generated
from nlptoolkit.decoding.preset_adapter import PresetCausalAdapter
from nlptoolkit.decoding.processors import ban_repeated_ngrams
from nlptoolkit.decoding.processors import check_no_repeat_ngram_size
from nlptoolkit.decoding.samplers import SAMPLERS
from nlptoolkit.decoding.samplers import make_sampler
from nlptoolkit.decoding.seq2seq import Seq2SeqAdapter
from nlptoolkit.decoding.seq2seq_preset import PresetSeq2SeqAdapter
from nlptoolkit.decoding.window import ContextWindow

__all__ = [
    "DECODE_PATHS",
    "SAMPLERS",
    "BeamSampler",
    "ContextWindow",
    "Decoder",
    "GenerationConfig",
    "LSTMAdapter",
    "PresetCausalAdapter",
    "PresetSeq2SeqAdapter",
    "Seq2SeqAdapter",
    "TransformerAdapter",
    "adapter_for",
    "ban_repeated_ngrams",
    "check_chunk_size",
    "check_decode",
    "check_jit_compile",
    "check_length_penalty",
    "check_no_repeat_ngram_size",
    "count_generated",
    "make_sampler",
]
