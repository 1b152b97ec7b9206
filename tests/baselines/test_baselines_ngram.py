import math
import os
import pathlib

import numpy as np
import pytest

from nlptoolkit.baselines import NGramLanguageModel

DATA = pathlib.Path(os.environ.get("NLPTOOLKIT_DATA", "../shared/data"))
CORPUS = [
    "the cat sat on the mat",
    "the dog sat on the log",
    "a cat ran to the dog",
    "the the the",
]


def distribution(model, context=""):
    """{token: probability} after `context`."""
    probabilities = model.probabilities(context)
    return dict(zip(model.vocabulary, probabilities, strict=True))


def read(path):
    if not path.is_file():
        pytest.skip(f"{path} not available")
    return path.read_text()


@pytest.mark.parametrize("order", [1, 2, 3, 5])
@pytest.mark.parametrize("discount", [None, 0.5])
def test_probabilities_sum_to_one_word(order, discount):
    model = NGramLanguageModel(order=order, discount=discount).fit(CORPUS)
    for context in ["", "the", "the cat", "zebra the cat", "on the", "x y z w"]:
        probabilities = model.probabilities(context)
        assert probabilities.shape == (len(model.vocabulary),)
        assert probabilities.sum() == pytest.approx(1.0, abs=1e-12)
        assert (probabilities > 0).all()


@pytest.mark.parametrize("order", [1, 2, 4, 7])
def test_probabilities_sum_to_one_char(order):
    model = NGramLanguageModel(order=order, level="char")
    model.fit(["hello world\n", "abracadabra"])
    for context in ["", "h", "abr", "zzz", "hello wor"]:
        assert model.probabilities(context).sum() == pytest.approx(1.0)


def test_unigram_absolute_discounting_known_values():
    # Tokens a a b </s>; V = {a, b, </s>, <unk>}; D = 0.5:
    # p(w) = max(c - D, 0) / 4 + (D * 3 / 4) / 4.
    model = NGramLanguageModel(order=1, discount=0.5).fit(["a a b"])
    p = distribution(
        model,
    )
    assert p["a"] == pytest.approx(1.5 / 4 + 0.09375)
    assert p["b"] == pytest.approx(0.5 / 4 + 0.09375)
    assert p["<unk>"] == pytest.approx(0.09375)


def test_bigram_kneser_ney_known_value():
    # Bigram counts: (<s> a) 2, (a b) 1, (a c) 1, (b </s>) 1, (c </s>) 1.
    # Unigram continuation counts: a 1, b 1, c 1, </s> 2 (total 5).
    # p1(b) = 0.5 / 5 + (0.5 * 4 / 5) / 5 = 0.18
    # p2(b | a) = (1 - 0.5) / 2 + (0.5 * 2 / 2) * p1(b) = 0.34
    model = NGramLanguageModel(order=2, discount=0.5).fit(["a b", "a c"])
    p = distribution(model, "a")
    assert p["b"] == pytest.approx(0.34)
    p = distribution(model, "unseen")
    assert p["</s>"] == pytest.approx(0.38)


def test_continuation_counts_prefer_versatile_words():
    # "francisco" is frequent but only follows "san"; "glasses" is rarer
    # but follows many words. After an unseen context KN prefers glasses.
    texts = ["san francisco"] * 6 + [
        f"{word} glasses" for word in ["my", "your", "his", "new", "old"]
    ]
    model = NGramLanguageModel(order=2).fit(texts)
    p = distribution(model, "zebra")
    assert p["glasses"] > p["francisco"]
    p = distribution(model, "san")
    assert p["francisco"] > 0.8


def test_unknown_tokens_never_crash_or_give_infinity():
    model = NGramLanguageModel(order=3, level="char").fit(["abcabcabc"])
    result = model.evaluate(["xyz\u00e9abc"])
    assert result["unknown_tokens"] == 4
    assert result["tokens"] == 7
    assert math.isfinite(result["perplexity"])
    assert result["bits_per_token"] == pytest.approx(
        result["loss"] / math.log(2)
    )


def test_word_level_counts_end_of_line_tokens():
    model = NGramLanguageModel(order=2).fit(["a b c"])
    result = model.evaluate(["a b\n\nc d e\n"])
    assert result["tokens"] == 2 + 1 + 3 + 1
    assert result["unknown_tokens"] == 2


def test_min_count_maps_rare_tokens_to_unk():
    model = NGramLanguageModel(order=2, min_count=2).fit(["a a b", "a c"])
    assert "b" not in model.vocabulary and "c" not in model.vocabulary
    assert "<unk>" in model.vocabulary


def test_errors():
    with pytest.raises(TypeError, match=r"\[text\]"):
        NGramLanguageModel().fit("the cat sat")
    with pytest.raises(ValueError, match="empty"):
        NGramLanguageModel().fit([])
    with pytest.raises(ValueError, match="no tokens"):
        NGramLanguageModel().fit(["  ", "\n"])
    with pytest.raises(ValueError, match=">= 1"):
        NGramLanguageModel(order=0)
    with pytest.raises(ValueError, match="char"):
        NGramLanguageModel(level="byte")
    with pytest.raises(ValueError, match="discount"):
        NGramLanguageModel(discount=1.5)
    with pytest.raises(RuntimeError, match="fit"):
        NGramLanguageModel().evaluate(["x"])


def test_ptb_trigram_full():
    folder = DATA / "ptb"
    train = read(folder / "ptb.train.txt")
    test = read(folder / "ptb.test.txt")
    result = NGramLanguageModel(order=3).fit([train]).evaluate([test])
    assert result["tokens"] == 82430  # 78,669 words + 3,761 end tokens
    assert result["unknown_tokens"] == 0
    assert result["perplexity"] == pytest.approx(148.3, abs=0.1)


def test_tiny_shakespeare_char_subset():
    text = read(DATA / "tiny-shakespeare" / "input.txt")
    train, valid = text[:200_000], text[200_000:220_000]
    losses = [
        NGramLanguageModel(order=order, level="char")
        .fit([train])
        .evaluate([valid])["loss"]
        for order in (1, 3, 5)
    ]
    assert losses[0] > losses[1] > losses[2]
    assert 1.4 < losses[2] < 1.8


@pytest.mark.slow
def test_ptb_kn5_matches_published_figure():
    folder = DATA / "ptb"
    model = NGramLanguageModel(order=5).fit([read(folder / "ptb.train.txt")])
    result = model.evaluate([read(folder / "ptb.test.txt")])
    assert result["perplexity"] == pytest.approx(141.2, abs=0.2)


@pytest.mark.slow
def test_tiny_shakespeare_char_full_split():
    text = read(DATA / "tiny-shakespeare" / "input.txt")
    split = int(len(text) * 0.9)
    model = NGramLanguageModel(order=7, level="char").fit([text[:split]])
    result = model.evaluate([text[split:]])
    assert result["loss"] == pytest.approx(1.5165, abs=0.002)
    assert np.isclose(result["bits_per_token"], result["loss"] / math.log(2))
