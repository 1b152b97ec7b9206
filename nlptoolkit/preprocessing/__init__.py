"""Tokenizers trained from the data, and helpers that batch text."""

from nlptoolkit.checks import check_texts
from nlptoolkit.preprocessing.inputs import as_texts
from nlptoolkit.preprocessing.inputs import as_texts_and_labels
from nlptoolkit.preprocessing.preset_tokenizer import PresetTokenizer
from nlptoolkit.preprocessing.seq2seq_preset_tokenizer import (
    Seq2SeqPresetTokenizer,
)
from nlptoolkit.preprocessing.tokenizer import BOS_ID
from nlptoolkit.preprocessing.tokenizer import EOS_ID
from nlptoolkit.preprocessing.tokenizer import PAD_ID
from nlptoolkit.preprocessing.tokenizer import SPECIAL_TOKENS
from nlptoolkit.preprocessing.tokenizer import UNK_ID
from nlptoolkit.preprocessing.tokenizer import Tokenizer

__all__ = [
    "as_texts",
    "as_texts_and_labels",
    "BOS_ID",
    "EOS_ID",
    "PAD_ID",
    "PresetTokenizer",
    "SPECIAL_TOKENS",
    "Seq2SeqPresetTokenizer",
    "UNK_ID",
    "Tokenizer",
    "check_texts",
]
