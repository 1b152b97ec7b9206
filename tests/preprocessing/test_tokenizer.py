import numpy as np
import pytest

from nlptoolkit.preprocessing import BOS_ID
from nlptoolkit.preprocessing import SPECIAL_TOKENS
from nlptoolkit.preprocessing import UNK_ID
from nlptoolkit.preprocessing import Tokenizer
from nlptoolkit.preprocessing import check_texts

CORPUS = ["A good film!", "a bad film, truly.", "héllo wörld"] * 5


@pytest.mark.parametrize("level", ["word", "char", "wordpiece"])
def test_round_trip_and_padding(level):
    tokenizer = Tokenizer(level=level, vocabulary_size=200)
    tokenizer.train(CORPUS)
    assert tokenizer.vocabulary[:4] == SPECIAL_TOKENS
    ids = tokenizer.tokenize(["a good film", "héllo"], sequence_length=12)
    assert ids.shape == (2, 12)
    assert ids.numpy()[1, -1] == 0
    texts = tokenizer.detokenize(ids)
    assert texts[1] == "héllo"
    assert texts[0].replace(" ", "") == "agoodfilm"


def test_word_level_splits_punctuation_and_maps_unknown():
    tokenizer = Tokenizer(level="word")
    tokenizer.train(CORPUS)
    ids = tokenizer.tokenize(["good zebra!"]).numpy()[0]
    assert ids[1] == UNK_ID
    assert tokenizer.id_to_token(ids[2]) == "!"


def test_long_input_is_truncated_not_an_error():
    tokenizer = Tokenizer(level="char", vocabulary_size=64)
    tokenizer.train(CORPUS)
    ids = tokenizer.tokenize(["a" * 100_000], sequence_length=16)
    assert ids.shape == (1, 16)


def test_vocabulary_size_caps_and_training_is_deterministic():
    one, two = Tokenizer(vocabulary_size=8), Tokenizer(vocabulary_size=8)
    one.train(CORPUS)
    two.train(list(reversed(CORPUS)))
    assert len(one.vocabulary) == 8
    assert one.vocabulary == two.vocabulary


def test_detokenize_stops_at_eos_and_drops_bos():
    tokenizer = Tokenizer(level="char", vocabulary_size=64)
    tokenizer.train(CORPUS)
    ids = tokenizer.tokenize(["ab"]).numpy()[0].tolist()
    row = np.array([[BOS_ID, *ids, 3, *ids]])
    assert tokenizer.detokenize(row) == ["ab"]


def test_untrained_tokenizer_says_how_to_fix():
    with pytest.raises(ValueError, match="train"):
        Tokenizer().tokenize(["x"])


def test_unknown_level_lists_choices():
    with pytest.raises(ValueError, match="wordpiece"):
        Tokenizer(level="bpe")


@pytest.mark.parametrize(
    "bad, error, match",
    [
        ("one text", TypeError, r"\[text\]"),
        ([], ValueError, "empty"),
        (None, TypeError, "None"),
        (["ok", None], TypeError, r"texts\[1\]"),
        ([b"\xff\xfe"], ValueError, "UTF-8"),
    ],
)
def test_check_texts_errors(bad, error, match):
    with pytest.raises(error, match=match):
        check_texts(bad)


def test_vocabulary_survives_assets(tmp_path):
    tokenizer = Tokenizer(level="char", vocabulary_size=64)
    tokenizer.train(CORPUS)
    tokenizer.save_assets(tmp_path)
    restored = Tokenizer.from_config(tokenizer.get_config())
    restored.load_assets(tmp_path)
    assert restored.vocabulary == tokenizer.vocabulary
