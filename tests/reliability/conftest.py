"""Shared by the reliability tests: tiny trained models (trained once) and
the child processes of the SIGKILL tests.

A test module that defines ``start_children(folder, spawn)`` gets its
children from the ``children`` fixture: started on first use (so a child
imports TensorFlow while another works), each waits on stdin until the
test tells it to go; whatever is left is killed at the end of the
session. (Starting them at collection time, to overlap their imports with
other tests, measured no faster on the shared 2-core machine.)
"""

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import pytest
from helpers import TINY
from helpers import TOY_LABELS
from helpers import TOY_TEXTS

CORPUS = "to be or not to be, that is the question. " * 12
TESTS = pathlib.Path(__file__).resolve().parents[1]
_CHILDREN = {}  # test module path -> (children dict, folder)


def spawn(script, *args, folder, name):
    """A Python child running ``script`` with ``args``; its stdin and
    stdout are pipes, its stderr goes to ``folder/<name>.err``."""
    env = {
        **os.environ,
        # One thread each: tiny models, and the tests run meanwhile.
        "TF_NUM_INTRAOP_THREADS": "1",
        "TF_NUM_INTEROP_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONPATH": os.pathsep.join(
            [str(TESTS), os.environ.get("PYTHONPATH", "")]
        ),
    }
    with open(folder / f"{name}.err", "w") as stderr:
        return subprocess.Popen(
            [sys.executable, "-c", script, *map(str, args)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=env,
        )


def _start(module):
    key = str(module.__file__)
    if key not in _CHILDREN:
        folder = pathlib.Path(tempfile.mkdtemp(prefix="nlptoolkit-rel-"))
        _CHILDREN[key] = (module.start_children(folder, spawn), folder)
    return _CHILDREN[key]


def pytest_sessionfinish(session, exitstatus):
    for children, folder in _CHILDREN.values():
        for child in children.values():
            if child.poll() is None:
                child.kill()
            child.wait()
        shutil.rmtree(folder, ignore_errors=True)
    _CHILDREN.clear()


@pytest.fixture
def children(request):
    """``(children, folder)``: this module's ``start_children``, started
    once per session."""
    return _start(request.module)


@pytest.fixture(scope="session")
def tiny_classifier():
    """An LSTM classifier; its training data holds empty and blank texts."""
    import nlptoolkit

    clf = nlptoolkit.TextClassifier("lstm", seed=0, **TINY)
    clf.fit(
        ["", "  \n"] + TOY_TEXTS,
        ["neg", "pos"] + TOY_LABELS,
        epochs=1,
        batch_size=8,
        early_stopping=False,
        verbose=0,
    )
    return clf


def train_tiny_transformer_classifier():
    """The recipe the determinism test repeats (seed 7, 2 epochs)."""
    import nlptoolkit

    clf = nlptoolkit.TextClassifier("transformer", seed=7, **TINY)
    clf.fit(
        TOY_TEXTS,
        TOY_LABELS,
        epochs=2,
        batch_size=8,
        early_stopping=False,
        verbose=0,
    )
    return clf


@pytest.fixture(scope="session")
def transformer_classifier_recipe():
    return train_tiny_transformer_classifier


@pytest.fixture(scope="session")
def tiny_transformer_classifier():
    return train_tiny_transformer_classifier()


@pytest.fixture(scope="session")
def tiny_classifier_file(tiny_classifier, tmp_path_factory):
    path = tmp_path_factory.mktemp("classifier") / "model.keras"
    tiny_classifier.save(path)
    return path


@pytest.fixture(scope="session")
def tiny_generator():
    """A char-level LSTM language model."""
    import nlptoolkit

    gen = nlptoolkit.TextGenerator(
        "lstm", seed=0, hidden_dim=8, num_layers=1, sequence_length=16
    )
    gen.fit(CORPUS, epochs=1, batch_size=8, verbose=0)
    return gen
