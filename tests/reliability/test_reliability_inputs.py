"""Input validation at every public boundary.

Bad inputs get a ``ValueError``/``TypeError`` that names the argument and
what was received, at the boundary (constructors fail at construction,
not inside Keras); the CLIs turn them into one line on stderr and exit
code 2. Empty and whitespace-only texts are valid inputs to inference
(``predict``/``classify``/``generate``/``summarize``): they hold no
tokens and the model predicts from an empty input. A property test feeds
arbitrary Unicode to every tokenizer level and to tiny trained models.
"""

import math

import numpy as np
import pandas as pd
import pytest
from helpers import TINY
from helpers import TOY_LABELS
from helpers import TOY_TEXTS
from helpers import run_cli_in_process
from hypothesis import HealthCheck
from hypothesis import example
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

import nlptoolkit
from nlptoolkit import datasets
from nlptoolkit.preprocessing import Tokenizer

DOCUMENTS = ["alice met bob at the cafe and they talked about work"] * 8
SUMMARIES = ["alice met bob"] * 8
MILLION = "word " * 200_000  # a text of a million characters
PROPERTY = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
texts_strategy = st.lists(st.text(max_size=40), min_size=1, max_size=4)


@pytest.fixture(scope="module")
def classifier(tiny_classifier):
    return tiny_classifier


@pytest.fixture(scope="module")
def generator(tiny_generator):
    return tiny_generator


@pytest.fixture(scope="module")
def summarizer(tmp_path_factory):
    model = nlptoolkit.Summarizer(
        "lstm", seed=0, sequence_length=16, summary_length=6, **TINY
    )
    backup = tmp_path_factory.mktemp("summarizer") / "backup"
    model.fit(
        DOCUMENTS,
        SUMMARIES,
        epochs=1,
        batch_size=8,
        verbose=0,
        checkpoint_dir=backup,
    )
    assert not backup.exists()  # A finished run deletes its backup.
    return model


@pytest.fixture(scope="module")
def tokenizers():
    result = {}
    for level in ("word", "char", "wordpiece"):
        tokenizer = Tokenizer(level=level, vocabulary_size=64)
        tokenizer.train(TOY_TEXTS)
        result[level] = tokenizer
    return result


# --------------------------------------------------------- constructors
@pytest.mark.parametrize(
    "task, kwargs, error, match",
    [
        ("TextClassifier", {"hidden_dim": 0}, ValueError, "hidden_dim=0"),
        ("TextClassifier", {"hidden_dim": -3}, ValueError, "hidden_dim=-3"),
        ("TextClassifier", {"hidden_dim": 2.5}, ValueError, "hidden_dim=2.5"),
        ("TextClassifier", {"hidden_dim": "8"}, ValueError, "hidden_dim='8'"),
        ("TextClassifier", {"hidden_dim": 7}, ValueError, "even"),
        ("TextClassifier", {"vocabulary_size": 4}, ValueError, ">= 8"),
        ("TextClassifier", {"sequence_length": 0}, ValueError, "sequence"),
        ("TextClassifier", {"num_layers": 0}, ValueError, "num_layers=0"),
        ("TextClassifier", {"dropout": 1.0}, ValueError, "dropout=1.0"),
        ("TextClassifier", {"dropout": -0.1}, ValueError, "dropout"),
        ("TextClassifier", {"tokenizer": "bpe"}, ValueError, "wordpiece"),
        ("TextClassifier", {"learning_rate": 0}, ValueError, "learning_r"),
        ("TextClassifier", {"bidirectional": "no"}, TypeError, "True or"),
        ("TextClassifier", {"seed": -1}, ValueError, "seed=-1"),
        ("TextClassifier", {"seed": 1.5}, ValueError, "seed=1.5"),
        ("TextClassifier", {"hidden_size": 8}, TypeError, "hidden_size"),
        ("TextClassifier", {"strategy": "gpu"}, TypeError, "strategy="),
        ("TextGenerator", {"sequence_length": 0}, ValueError, "sequence"),
        ("TextGenerator", {"vocabulary_size": 3}, ValueError, ">= 8"),
        ("TextGenerator", {"stride": 0}, ValueError, "stride=0"),
        ("TextGenerator", {"num_heads": 3}, ValueError, "divide"),
        ("TextGenerator", {"intermediate_dim": -1}, ValueError, "interm"),
        ("Summarizer", {"summary_length": 1}, ValueError, "summary_length"),
        ("Summarizer", {"attention": "dot"}, ValueError, "luong"),
        ("Summarizer", {"tokenizer": "char"}, ValueError, "wordpiece"),
        ("Summarizer", {"hidden_dim": 0}, ValueError, "hidden_dim=0"),
    ],
)
def test_constructor_rejects_bad_arguments(task, kwargs, error, match):
    task_class = getattr(nlptoolkit, task)
    backbone = "transformer" if task == "TextGenerator" else "lstm"
    with pytest.raises(error, match=match):
        task_class(backbone, **kwargs)


@pytest.mark.parametrize("backbone", [None, 3, "gru"])
def test_unknown_backbone_lists_the_choices(backbone):
    with pytest.raises((TypeError, ValueError), match="lstm"):
        nlptoolkit.TextClassifier(backbone)


# ---------------------------------------------------------------- verbs
def _bad_calls():
    """(fixture, call, error, match): each call gets a clear error."""
    big = "x" * 10
    return [
        ("classifier", lambda m: m.predict([]), ValueError, "empty"),
        ("classifier", lambda m: m.predict(None), TypeError, "None"),
        ("classifier", lambda m: m.predict("a text"), TypeError, r"\[text\]"),
        ("classifier", lambda m: m.predict(b"a"), TypeError, "bytes"),
        ("classifier", lambda m: m.predict(["a", None]), TypeError, r"\[1\]"),
        (
            "classifier",
            lambda m: m.predict(["a", math.nan]),
            TypeError,
            "dropna",
        ),
        (
            "classifier",
            lambda m: m.predict([b"\xff\xfe"]),
            ValueError,
            "UTF-8",
        ),
        (
            "classifier",
            lambda m: m.predict(["ok", "\ud800"]),
            ValueError,
            r"texts\[1\].*surrogate",
        ),
        ("classifier", lambda m: m.predict({"a": 1}), TypeError, "dict"),
        ("classifier", lambda m: m.predict({"a", "b"}), TypeError, "set"),
        (
            "classifier",
            lambda m: m.predict(pd.DataFrame({"text": ["a"]})),
            TypeError,
            r"df\['text'\]",
        ),
        ("classifier", lambda m: m.predict([3]), TypeError, "int"),
        ("classifier", lambda m: m.predict([big], 0), ValueError, "batch"),
        ("classifier", lambda m: m.predict([big], -1), ValueError, "batch"),
        (
            "classifier",
            lambda m: m.predict([big], callbacks="clock"),
            TypeError,
            "callbacks",
        ),
        (
            "classifier",
            lambda m: m.evaluate(["a"], ["neutral"]),
            ValueError,
            "Known labels",
        ),
        (
            "classifier",
            lambda m: m.evaluate(["a", "b"], ["pos"]),
            ValueError,
            "same length",
        ),
        (
            "classifier",
            lambda m: m.evaluate(["a"], [math.nan]),
            ValueError,
            "missing",
        ),
        (
            "classifier",
            lambda m: m.fit(["a", "b"], ["pos", "new"], verbose=0),
            ValueError,
            r"labels\[1\]` is 'new'",
        ),
        (
            "classifier",
            lambda m: m.fit(TOY_TEXTS, TOY_LABELS, batch_size=0),
            ValueError,
            "batch_size=0",
        ),
        (
            "classifier",
            lambda m: m.fit(TOY_TEXTS, TOY_LABELS, epochs=-1),
            ValueError,
            "epochs=-1",
        ),
        (
            "classifier",
            lambda m: m.fit(TOY_TEXTS, TOY_LABELS, max_seconds=math.nan),
            ValueError,
            "max_seconds",
        ),
        (
            "classifier",
            lambda m: m.fit(TOY_TEXTS, TOY_LABELS, callbacks="x"),
            TypeError,
            "callbacks",
        ),
        ("classifier", lambda m: m.save(None), TypeError, "path"),
        ("classifier", lambda m: m.save("model.h5"), ValueError, ".keras"),
        (
            "classifier",
            lambda m: m.encode(["a"], sequence_length=0),
            ValueError,
            "sequence_length",
        ),
        (
            "generator",
            lambda m: m.generate(["a"], max_length=-1),
            ValueError,
            "max_length=-1",
        ),
        (
            "generator",
            lambda m: m.generate(["a"], max_length=2.0),
            ValueError,
            "max_length",
        ),
        ("generator", lambda m: m.generate([None]), TypeError, "prompts"),
        (
            "generator",
            lambda m: m.generate(["a"], temperature=math.nan),
            ValueError,
            "temperature",
        ),
        (
            "generator",
            lambda m: m.generate(["a"], sampler="top_k", top_k=0),
            ValueError,
            "top_k=0",
        ),
        (
            "generator",
            lambda m: m.generate(["a"], sampler="top_k", top_k=10**6),
            ValueError,
            "vocabulary size",
        ),
        (
            "generator",
            lambda m: m.generate(["a"], sampler="top_p", top_p=1.5),
            ValueError,
            "top_p",
        ),
        (
            "generator",
            lambda m: m.generate(["a"], sampler="top_k", seed=-1),
            ValueError,
            "seed",
        ),
        (
            "generator",
            lambda m: m.generate(["a"], callbacks="x"),
            TypeError,
            "callbacks",
        ),
        (
            "generator",
            lambda m: m.generate(["a"], decode="stepwise", on_token=5),
            TypeError,
            "on_token",
        ),
        (
            "generator",
            lambda m: m.generate(["a"], stop_token="zz"),
            ValueError,
            "stop_token",
        ),
        ("generator", lambda m: m.fit(""), ValueError, "empty"),
        ("generator", lambda m: m.fit(["", ""]), ValueError, "only empty"),
        ("generator", lambda m: m.predict(["a"], -2), ValueError, "batch"),
        ("generator", lambda m: m.evaluate(["a"], 0), ValueError, "batch"),
        (
            "summarizer",
            lambda m: m.summarize(["a"], max_length=-1),
            ValueError,
            "max_length",
        ),
        (
            "summarizer",
            lambda m: m.predict(["a"], batch_size=0),
            ValueError,
            "batch_size",
        ),
        (
            "summarizer",
            lambda m: m.fit(["a"], [None]),
            TypeError,
            r"summaries\[0\]",
        ),
        (
            "summarizer",
            lambda m: m.fit(["  "], ["a"]),
            ValueError,
            r"documents\[0\]",
        ),
        (
            "summarizer",
            lambda m: m.evaluate(["a", "b"], ["x"]),
            ValueError,
            "same length",
        ),
        (
            "summarizer",
            lambda m: m.summarize(["a"], sampler="top_k", top_k=0),
            ValueError,
            "top_k",
        ),
        (
            "summarizer",
            lambda m: m.summarize(["a"], no_repeat_ngram_size=-2),
            ValueError,
            "no_repeat_ngram_size=-2",
        ),
        (
            "summarizer",
            lambda m: m.evaluate(["a"], ["b"], no_repeat_ngram_size=0.5),
            ValueError,
            "no_repeat_ngram_size=0.5",
        ),
        (
            "summarizer",
            lambda m: m.summarize(["a"], length_penalty=math.inf),
            ValueError,
            "length_penalty=inf",
        ),
        (
            "summarizer",
            lambda m: m.evaluate(["a"], ["b"], length_penalty=1.0),
            ValueError,
            "sampler='beam'",
        ),
        (
            "generator",
            lambda m: m.generate(["a"], no_repeat_ngram_size=False),
            ValueError,
            "no_repeat_ngram_size=False",
        ),
        (
            "generator",
            lambda m: m.generate(
                ["a"], sampler="beam", length_penalty=-math.inf
            ),
            ValueError,
            "length_penalty=-inf",
        ),
    ]


@pytest.mark.parametrize(
    "fixture, call, error, match",
    _bad_calls(),
    ids=lambda value: None if callable(value) else str(value)[:20],
)
def test_verbs_reject_bad_input(request, fixture, call, error, match):
    model = request.getfixturevalue(fixture)
    with pytest.raises(error, match=match):
        call(model)


def test_untrained_tasks_say_fit_first():
    for task in (
        nlptoolkit.TextClassifier("lstm", **TINY),
        nlptoolkit.TextGenerator("lstm", **TINY),
    ):
        with pytest.raises(ValueError, match="fit"):
            task.predict(["a"])


def test_single_class_and_load_errors(tmp_path):
    with pytest.raises(ValueError, match="two classes"):
        nlptoolkit.TextClassifier("lstm", **TINY).fit(["a", "b"], ["x", "x"])
    with pytest.raises(TypeError, match="path"):
        nlptoolkit.load(None)
    with pytest.raises(FileNotFoundError, match="No model file"):
        nlptoolkit.load(tmp_path)


# ------------------------------------- empty, blank and huge texts work
def test_classifier_predicts_on_empty_blank_and_huge_texts(
    classifier, tiny_transformer_classifier
):
    """The LSTM fixture was trained with an empty and a blank text; a
    Transformer (mean pooling over no tokens) is checked too."""
    transformer = tiny_transformer_classifier
    texts = ["", " \n\t ", MILLION, "x" * 1_000_000]
    for clf in (classifier, transformer):
        probabilities = clf.predict(texts)
        assert probabilities.shape == (4, 2)
        assert np.isfinite(probabilities).all()
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
        assert set(clf.classify(texts)) <= {"neg", "pos"}


def test_generator_and_summarizer_take_empty_blank_and_huge_inputs(
    generator, summarizer
):
    prompts = ["", "   "]
    texts = generator.generate(prompts, max_length=3)
    assert [t[: len(p)] for t, p in zip(texts, prompts, strict=True)] == (
        prompts
    )
    logits = generator.predict(prompts)
    assert logits.shape[:2] == (2, 4) and np.isfinite(logits).all()
    summaries = summarizer.summarize(["", " \n ", MILLION], sampler="greedy")
    assert len(summaries) == 3 and all(isinstance(s, str) for s in summaries)
    ids = summarizer.predict(["", MILLION])
    assert ids.shape == (2, 6) and ids.dtype.kind == "i"


# ------------------------------------------------------------ property
def _well_formed_ids(ids, count, vocabulary_size):
    ids = np.asarray(ids)
    assert ids.ndim == 2 and ids.shape[0] == count
    assert ids.dtype == np.int32
    assert ((ids >= 0) & (ids < vocabulary_size)).all()


@PROPERTY
@given(texts=texts_strategy)
@example(texts=[""])
@example(texts=["   ", "\n\t"])
@example(texts=["\x00", "🙂👍🏽", "مرحبا", "e\u0301", "\u200b", "[UNK] [PAD]"])
def test_property_every_tokenizer_level(tokenizers, texts):
    for level, tokenizer in tokenizers.items():
        size = len(tokenizer.vocabulary)
        _well_formed_ids(tokenizer.tokenize(texts, 8), len(texts), size)
        ragged = tokenizer.tokenize_ragged(texts)
        assert ragged.shape[0] == len(texts), level
        dense = tokenizer.tokenize(texts)
        _well_formed_ids(dense, len(texts), size)
        back = tokenizer.detokenize(dense)
        assert len(back) == len(texts)
        assert all(isinstance(text, str) for text in back)


@PROPERTY
@given(texts=texts_strategy)
@example(texts=["", " "])
def test_property_classifier_predict(classifier, texts):
    probabilities = classifier.predict(texts)
    assert probabilities.shape == (len(texts), 2)
    assert np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


@PROPERTY
# A few seeds only: each new seed compiles a new decode loop (~0.3 s).
@given(prompts=texts_strategy, seed=st.sampled_from([0, 7, 2**32 - 1]))
@example(prompts=[""], seed=0)
def test_property_generator_generate(generator, prompts, seed):
    texts = generator.generate(
        prompts, max_length=2, sampler="top_k", seed=seed
    )
    assert isinstance(texts, list) and len(texts) == len(prompts)
    for prompt, text in zip(prompts, texts, strict=True):
        assert isinstance(text, str) and text.startswith(prompt)


# ---------------------------------------------------------- datasets
@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: datasets.load(None), ValueError, "name"),
        (lambda: datasets.load("nope"), ValueError, "Valid names"),
        (lambda: datasets.load("trec", "bogus"), ValueError, "Valid splits"),
        (lambda: datasets.load("trec", max_examples=0), ValueError, "max_"),
        (lambda: datasets.load("trec", max_examples=-5), ValueError, "max_"),
        (lambda: datasets.load("trec", path=5), TypeError, "path=5"),
        (lambda: datasets.read_file(None), TypeError, "path=None"),
        (lambda: datasets.read_folder(3.5), TypeError, "path=3.5"),
        (lambda: datasets.from_dataframe([1]), ValueError, "DataFrame"),
    ],
)
def test_dataset_loaders_reject_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_read_file_bad_encoding_columns_and_bytes(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"text,label\n\xff\xfe,1\nok,0\n")
    with pytest.raises(ValueError, match="encoding="):
        datasets.read_file(path)
    with pytest.raises(ValueError, match="encoding='nope'"):
        datasets.read_file(path, encoding="nope")
    frame = datasets.read_file(path, encoding="latin-1")
    with pytest.raises(TypeError, match="columns=5"):
        datasets.read_file(path, columns=5, encoding="latin-1")
    assert len(frame) == 2


def test_check_archive_refuses_a_file_that_is_not_a_tar(tmp_path):
    path = tmp_path / "fake.tar.gz"
    path.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(datasets.UnsafeArchiveError, match="not a readable"):
        datasets.check_archive(path)


# ----------------------------------------------------------------- CLI
@pytest.mark.parametrize(
    "module, argv, match",
    [
        ("classification", ["train", "--epochs", "0"], "--epochs"),
        ("classification", ["train", "--batch-size", "-1"], "--batch-size"),
        ("classification", ["train", "--seed", "-1"], "--seed"),
        ("classification", ["frobnicate"], "invalid choice"),
        ("classification", ["predict", "--model", "m.keras"], "texts"),
        (
            "generation",
            ["generate", "--model", "m", "--temperature", "nan"],
            "finite",
        ),
        (
            "generation",
            ["generate", "--model", "m", "--max-length", "-1"],
            "max-length",
        ),
        ("generation", ["train", "--max-minutes", "0"], "--max-minutes"),
        (
            "generation",
            ["generate", "--model", "m", "--length-penalty", "nan"],
            "--length-penalty",
        ),
        (
            "generation",
            ["generate", "--model", "m", "--no-repeat-ngram-size", "1.5"],
            "--no-repeat-ngram-size",
        ),
        (
            "summarization",
            ["evaluate", "--model", "m", "--no-repeat-ngram-size", "-1"],
            "--no-repeat-ngram-size",
        ),
        (
            "summarization",
            ["summarize", "--model", "m", "--length-penalty", "inf", "hi"],
            "--length-penalty",
        ),
        ("summarization", ["train", "--length-penalty", "2"], "beam search"),
        ("summarization", ["train", "--test-file", "x.csv"], "--train-file"),
        (
            "summarization",
            ["summarize", "--model", "none.keras", "hi"],
            "none.keras",
        ),
        ("sentiment", ["train", "--dataset", "nope"], "nope"),
    ],
)
def test_cli_errors_are_one_line_exit_2(module, argv, match, capsys, tmp_path):
    code, lines = run_cli_in_process(module, [*argv], capsys)
    assert code == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith("error:") and match in lines[0]
    assert "Traceback" not in lines[0]


def test_cli_refuses_a_model_of_another_task(
    tiny_classifier_file, generator, tmp_path, capsys
):
    clf_path = tiny_classifier_file
    gen_path = tmp_path / "gen.keras"
    generator.save(gen_path)
    code, lines = run_cli_in_process(
        "generation", ["generate", "--model", str(clf_path)], capsys
    )
    assert code == 2 and len(lines) == 1
    assert "TextClassifier" in lines[0] and "classification" in lines[0]
    code, lines = run_cli_in_process(
        "classification", ["predict", "--model", str(gen_path), "hi"], capsys
    )
    assert code == 2 and "TextGenerator" in lines[0]
    junk = tmp_path / "junk.keras"
    junk.write_bytes(b"PK\x03\x04junk")
    code, lines = run_cli_in_process(
        "sentiment", ["predict", "--model", str(junk), "hi"], capsys
    )
    assert code == 2 and len(lines) == 1 and "not a valid" in lines[0]


def test_cli_predict_accepts_an_empty_text(tiny_classifier_file, capsys):
    path = tiny_classifier_file
    code, _ = run_cli_in_process(
        "classification", ["predict", "--model", str(path), "", "  "], capsys
    )
    assert code == 0
