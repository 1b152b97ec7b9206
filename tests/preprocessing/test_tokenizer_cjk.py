"""Text written without spaces (issue 22, item 5): the word tokenizer
splits CJK ideographs one token each, as BERT's basic tokenizer does, and
a batch that is mostly ``[UNK]`` is warned about, naming the likely
cause. English tokenization is unchanged."""

import logging

import numpy as np
import pytest

from nlptoolkit.preprocessing import Tokenizer

SUBJECTS = ["这部电影", "剧情", "演员", "音乐", "画面", "故事", "结局", "特效"]
POSITIVE = ["很好看", "非常精彩", "真感人", "特别棒", "很有趣"]
NEGATIVE = ["很无聊", "非常难看", "太差了", "特别烂", "很失望"]
# Never trained on: each one an unseen combination of seen characters.
HELD_OUT = {("这部电影", "很好看"), ("剧情", "很无聊")} | {
    (SUBJECTS[i], (POSITIVE + NEGATIVE)[j])
    for i in range(len(SUBJECTS))
    for j in range(len(POSITIVE) + len(NEGATIVE))
    if (i + j) % 5 == 0
}


def _split(pairs):
    texts = [subject + predicate for subject, predicate in pairs]
    labels = [int(predicate in POSITIVE) for _, predicate in pairs]
    return texts, labels


def test_cjk_characters_are_single_tokens():
    tok = Tokenizer(level="word")
    tok.train(["这部电影很好看。", "I loved it, 好!"])
    tokens = [tok.id_to_token(i) for i in tok.tokenize(["电影好看 it!"])[0]]
    assert tokens == ["电", "影", "好", "看", "it", "!"]
    assert tok.get_config()["split_on_cjk"] is True


def test_english_tokenization_is_unchanged():
    texts = [
        "A good film, with a great plot!",
        "I hated this dreadful movie<br />It's (really) bad...",
        "Café naïve résumé -- 3.5/10; e-mail me@example.com",
    ]
    new, old = (
        Tokenizer(level="word"),
        Tokenizer(level="word", split_on_cjk=False),
    )
    new.train(texts)
    old.train(texts)
    assert new.vocabulary == old.vocabulary
    np.testing.assert_array_equal(
        new.tokenize(texts, 32).numpy(), old.tokenize(texts, 32).numpy()
    )


def test_a_tokenizer_saved_before_the_option_keeps_its_behaviour():
    tok = Tokenizer(level="word")
    tok.train(["a good film"])
    config = tok.get_config()
    del config["split_on_cjk"]  # as saved by earlier versions
    again = Tokenizer.from_config(config)
    assert again.split_on_cjk is False
    again.set_vocabulary(tok.vocabulary)
    np.testing.assert_array_equal(
        again.tokenize(["a good film"]).numpy(),
        tok.tokenize(["a good film"]).numpy(),
    )


def test_mostly_unknown_tokens_warn_with_the_likely_cause(caplog):
    whole = Tokenizer(level="word", split_on_cjk=False)  # as before
    whole.train(["这部电影很好看", "剧情很无聊"])
    with caplog.at_level(logging.WARNING):
        whole.tokenize(["这部电影很无聊"])
    assert "unknown" in caplog.text and "split_on_cjk=False" in caplog.text
    caplog.clear()
    thai = Tokenizer(level="word")
    thai.train(["ภาพยนตร์ดีมาก"])
    with caplog.at_level(logging.WARNING):
        thai.tokenize(["ภาพยนตร์แย่มาก"])
    assert "without spaces" in caplog.text and "'char'" in caplog.text
    caplog.clear()
    known = Tokenizer(level="word")
    known.train(["a good film"])
    with caplog.at_level(logging.WARNING):
        known.tokenize(["a good movie"])  # 1 of 3 unknown: no warning
    assert caplog.text == ""


@pytest.fixture(scope="module")
def chinese_sentiment():
    import nlptoolkit

    pairs = [(s, p) for s in SUBJECTS for p in POSITIVE + NEGATIVE]
    train = _split([pair for pair in pairs if pair not in HELD_OUT])
    test = _split(sorted(HELD_OUT))
    clf = nlptoolkit.SentimentClassifier(
        "lstm", hidden_dim=8, vocabulary_size=64, seed=0
    )
    clf.fit(
        *train,
        epochs=10,
        batch_size=8,
        learning_rate=1e-2,
        early_stopping=False,
        verbose=0,
    )
    return clf, train, test


def test_chinese_sentiment_learns_and_generalises(chinese_sentiment):
    clf, train, (texts, labels) = chinese_sentiment
    assert len(texts) >= 16 and sum(labels) not in (0, len(labels))
    predicted = clf.predict(texts).argmax(axis=-1)
    accuracy = float(np.mean(predicted == np.array(labels)))
    assert accuracy >= 0.85, list(zip(texts, predicted, labels, strict=True))
    assert clf.classify(["这部电影很好看", "剧情很无聊"]) == [
        "positive",
        "negative",
    ]


def test_predict_warns_when_most_tokens_are_unknown(chinese_sentiment, caplog):
    clf = chinese_sentiment[0]
    clf.tokenizer._warned_unknown = False
    with caplog.at_level(logging.WARNING):
        clf.predict(["完全陌生的句子"])  # no character seen in training
    assert "unknown" in caplog.text and "Likely cause" in caplog.text
