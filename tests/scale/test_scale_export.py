"""``task.export(path)``: a SavedModel that serves raw strings.

The exports are loaded in a fresh Python process that never imports
nlptoolkit, and must give the same labels and the same greedy text as the
Python API.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from helpers import TINY
from helpers import TOY_LABELS
from helpers import TOY_TEXTS

import nlptoolkit

CORPUS = "to be or not to be that is the question " * 8
PROMPTS = ["to be", "", "the question is what we"]
DOCUMENTS = [
    "alice met bob at the cafe and they talked about the weather",
    "the cat sat on the mat all day and did not move",
    "an unseenword appears here",
]
SUMMARIES = ["alice met bob", "the cat sat", "unseen words"]

# Runs in a fresh interpreter: tensorflow only, never nlptoolkit. The
# core-op exports load first, before tensorflow_text (which a wordpiece
# tokenizer's ops need) is imported.
LOADER = textwrap.dedent(
    """
    import json
    import sys

    import tensorflow as tf

    jobs = json.loads(sys.argv[1])
    results = {}
    for name, job in jobs.items():
        if job.get("needs_tensorflow_text"):
            import tensorflow_text  # noqa: F401  (registers its ops)
        else:
            assert "tensorflow_text" not in sys.modules, name
        serve = tf.saved_model.load(job["path"]).signatures[
            "serving_default"
        ]
        outputs = serve(**{job["input"]: tf.constant(job["inputs"])})
        results[name] = {
            key: [
                item.decode("utf-8") if isinstance(item, bytes) else item
                for item in value.numpy().tolist()
            ]
            for key, value in outputs.items()
        }
    assert "nlptoolkit" not in sys.modules
    print("RESULT " + json.dumps(results))
    """
)


def run_loader(jobs, timeout=240):
    """Run LOADER in a new process group; kill it on timeout."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    process = subprocess.Popen(
        [sys.executable, "-c", LOADER, json.dumps(jobs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd="/",
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"SavedModel loader timed out after {timeout}s:\n{output}")
    assert process.returncode == 0, output
    line = [x for x in output.splitlines() if x.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT ") :])


@pytest.fixture(scope="module")
def tasks():
    clf = nlptoolkit.TextClassifier("lstm", seed=1, **TINY)
    clf.fit(
        TOY_TEXTS,
        TOY_LABELS,
        epochs=1,
        batch_size=8,
        verbose=0,
        early_stopping=False,
    )
    char_gen = nlptoolkit.TextGenerator(
        "transformer", seed=0, sequence_length=16, **TINY
    )
    char_gen.fit(CORPUS, epochs=1, batch_size=8, verbose=0)
    word_gen = nlptoolkit.TextGenerator(
        "lstm", tokenizer="word", seed=0, sequence_length=8, **TINY
    )
    word_gen.fit(CORPUS, epochs=1, batch_size=8, verbose=0)
    summarizer = nlptoolkit.Summarizer(
        "lstm",
        tokenizer="wordpiece",
        seed=0,
        sequence_length=16,
        summary_length=6,
        **TINY,
    )
    summarizer.fit(DOCUMENTS * 3, SUMMARIES * 3, epochs=1, verbose=0)
    return {
        "clf": clf,
        "char_gen": char_gen,
        "word_gen": word_gen,
        "summarizer": summarizer,
    }


def test_exports_match_the_python_api_without_nlptoolkit(tasks, tmp_path):
    texts = TOY_TEXTS[:4] + ["words it never saw", ""]
    clf = tasks["clf"]
    jobs = {
        "clf": {
            "path": clf.export(tmp_path / "clf" / "1"),
            "input": "texts",
            "inputs": texts,
        },
        "char_gen": {
            "path": tasks["char_gen"].export(tmp_path / "char_gen", 6),
            "input": "prompts",
            "inputs": PROMPTS,
        },
        "word_gen": {
            "path": tasks["word_gen"].export(tmp_path / "word_gen", 4),
            "input": "prompts",
            "inputs": PROMPTS,
        },
        "summarizer": {
            "path": tasks["summarizer"].export(tmp_path / "summarizer", 5),
            "input": "documents",
            "inputs": DOCUMENTS,
            "needs_tensorflow_text": True,
        },
    }
    served = run_loader(jobs)

    assert served["clf"]["labels"] == clf.classify(texts)
    np.testing.assert_allclose(
        served["clf"]["probabilities"], clf.predict(texts), atol=1e-6
    )
    assert served["char_gen"]["text"] == tasks["char_gen"].generate(
        PROMPTS, max_length=6
    )
    assert served["word_gen"]["text"] == tasks["word_gen"].generate(
        PROMPTS, max_length=4
    )
    assert served["summarizer"]["text"] == tasks["summarizer"].summarize(
        DOCUMENTS, max_length=5, sampler="greedy"
    )


@pytest.mark.parametrize("level", ["char", "word", "wordpiece"])
def test_detokenize_tensor_matches_detokenize(level):
    from nlptoolkit.preprocessing import Tokenizer

    tokenizer = Tokenizer(level=level, vocabulary_size=40)
    tokenizer.train(DOCUMENTS + SUMMARIES)
    size = len(tokenizer.vocabulary)
    rng = np.random.default_rng(0)
    # Specials (0..3, [EOS] = 3), ordinary ids and out-of-range ids.
    ids = rng.integers(0, size + 3, size=(16, 12)).astype("int32")
    ids[::3, 5] = 3
    ids[1] = 0
    expected = tokenizer.detokenize(ids)
    got = [t.decode("utf-8") for t in tokenizer.detokenize_tensor(ids).numpy()]
    assert got == expected
    mask = np.arange(12)[None, :] >= 4
    expected = tokenizer.detokenize(ids[:, 4:])
    got = tokenizer.detokenize_tensor(ids, mask).numpy()
    assert [t.decode("utf-8") for t in got] == expected


def test_export_path_and_argument_errors(tasks, tmp_path):
    clf = tasks["clf"]
    with pytest.raises(ValueError, match="max_length"):
        clf.export(tmp_path / "a", max_length=3)
    # Past the context is allowed (a sliding window, issue 21); 0 is not.
    with pytest.raises(ValueError, match="positive integer"):
        tasks["char_gen"].export(tmp_path / "b", max_length=0)
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        clf.export(afile)
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("x")
    with pytest.raises(ValueError, match="not a SavedModel"):
        clf.export(other)
    assert (other / "keep.txt").exists()


def test_export_replaces_an_earlier_export_atomically(tasks, tmp_path):
    import tensorflow as tf

    path = tmp_path / "served" / "1"
    first = tasks["clf"].export(path)
    # A file nlptoolkit did not write is never deleted: refused (issue 22).
    (path / "notes.txt").write_text("the user's")
    with pytest.raises(ValueError, match="not a SavedModel"):
        tasks["clf"].export(path)
    assert (path / "notes.txt").read_text() == "the user's"
    (path / "notes.txt").unlink()
    again = tasks["clf"].export(path)
    assert first == again == str(path)
    assert sorted(os.listdir(tmp_path / "served")) == ["1"]
    serve = tf.saved_model.load(again).signatures["serving_default"]
    labels = serve(texts=tf.constant(["a good film"]))["labels"]
    assert labels.numpy()[0].decode() in ("neg", "pos")
