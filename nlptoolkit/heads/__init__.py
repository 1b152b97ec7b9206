"""Task heads that sit on a backbone's output dict."""

from nlptoolkit.heads.classification import ClassificationHead
from nlptoolkit.heads.language_model import LanguageModelHead
from nlptoolkit.heads.language_model import PresetLanguageModelHead
from nlptoolkit.heads.seq2seq import LSTMSeq2SeqHead
from nlptoolkit.heads.seq2seq import TransformerSeq2SeqHead

__all__ = [
    "ClassificationHead",
    "LSTMSeq2SeqHead",
    "LanguageModelHead",
    "PresetLanguageModelHead",
    "TransformerSeq2SeqHead",
]
